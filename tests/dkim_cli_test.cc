// File: tests/dkim_cli_test.cc
// End-to-end tests of `rampart dkim sign` / `rampart dkim verify`: the real
// binary (RAMPART_BIN), keys from the RFC 8463 vectors and generated ones,
// answers from a zone file and from a real DNS server on 127.0.0.1
// (DnsTestServer), JSON output, temperror on an unanswering server, and
// exit status 2 with a one-line error for bad arguments.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "dns/zone_file.h"
#include "support/dns_test_server.h"

#include "support/cli.h"

namespace rampart {
namespace {

namespace fs = std::filesystem;
using dkim::testing::read_file;

using Cmd = testing::CliResult;

class CliDkim : public testing::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const std::string v = "tests/data/dkim-rfc8463/";
    zone_ =
        "$ORIGIN football.example.com.\n"
        "brisbane._domainkey 300 TXT \"v=DKIM1; k=ed25519; "
        "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n";
    auto rsa = dkim::load_private_key(read_file(v + "test.rsa1024.private.pem"));
    ASSERT_TRUE(rsa);
    std::string p = *dkim::public_key_record_value(*rsa);
    zone_ += "test._domainkey 300 TXT \"v=DKIM1; k=rsa; p=" + p + "\"\n";
    std::ofstream(dir_ / "zone") << zone_;
  }

  std::string zone() const { return (dir_ / "zone").string(); }

  std::string zone_;
};

const std::string kVec = "tests/data/dkim-rfc8463/";

TEST_F(CliDkim, VerifiesTheRfc8463Vectors) {
  Cmd r = run("dkim verify --zone " + zone(), kVec + "rfc8463-appendixA-signed.eml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("dkim=pass header.d=football.example.com header.i=@football.example.com "
                       "header.s=brisbane header.a=ed25519-sha256 header.b=9/dsDChY"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("dkim=pass header.d=football.example.com header.i=@football.example.com "
                       "header.s=test header.a=rsa-sha256"),
            std::string::npos)
      << r.out;
  Cmd j = run("dkim verify --json --zone " + zone(), kVec + "rfc8463-appendixA-signed.eml");
  EXPECT_EQ(j.out.substr(0, 2), "[{");
  EXPECT_NE(j.out.find("\"result\": \"pass\""), std::string::npos);
  Cmd none = run("dkim verify --zone " + zone(), kVec + "rfc8463-unsigned.eml");
  EXPECT_EQ(none.out, "dkim=none (no signatures)\n");
  Cmd none_json = run("dkim verify --json --zone " + zone(), kVec + "rfc8463-unsigned.eml");
  EXPECT_EQ(none_json.out, "[]\n");
}

TEST_F(CliDkim, SignWritesHeaderThenUnchangedInput) {
  const std::string in = kVec + "rfc8463-unsigned.eml";
  for (const char* key : {"brisbane.ed25519.private.b64", "test.rsa1024.private.pem"}) {
    const std::string sel = std::string(key).substr(0, std::string(key).find('.'));
    for (const char* canon : {"simple/simple", "relaxed/relaxed", "relaxed", "simple/relaxed"}) {
      Cmd s = run("dkim sign --domain football.example.com --selector " + sel + " --key " + kVec + key +
                      " --canonicalization " + canon +
                      " --headers from:to:subject:date:from --timestamp 1700000000",
                  in);
      ASSERT_EQ(s.status, 0) << s.err;
      const std::string original = read_file(in);
      ASSERT_GT(s.out.size(), original.size());
      EXPECT_EQ(s.out.substr(s.out.size() - original.size()), original);
      EXPECT_EQ(s.out.rfind("DKIM-Signature: v=1; a=", 0), 0u);
      EXPECT_NE(s.out.find("t=1700000000;"), std::string::npos);
      std::ofstream(dir_ / "signed.eml") << s.out;
      Cmd v = run("dkim verify --zone " + zone(), (dir_ / "signed.eml").string());
      EXPECT_EQ(v.out.rfind("dkim=pass ", 0), 0u) << key << " " << canon << ": " << v.out << s.out;
    }
  }
  // An RSA key without --algorithm signs rsa-sha256.
  Cmd r = run(
      "dkim sign --domain football.example.com --selector test --key " + kVec + "test.rsa1024.private.pem",
      in);
  EXPECT_NE(r.out.find("a=rsa-sha256"), std::string::npos);
}

TEST_F(CliDkim, VerifyOverRealDns) {
  auto z = dns::parse_zone(zone_);
  ASSERT_TRUE(z) << z.error().message;
  auto server = dns::DnsTestServer::start(std::move(*z));
  ASSERT_TRUE(server);
  const std::string ns = "127.0.0.1:" + std::to_string((*server)->port());
  Cmd r = run("dkim verify --json --nameserver " + ns, kVec + "rfc8463-appendixA-signed.eml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"selector\": \"brisbane\", \"algorithm\": \"ed25519-sha256\", \"result\": \"pass\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"selector\": \"test\", \"algorithm\": \"rsa-sha256\", \"result\": \"pass\""),
            std::string::npos)
      << r.out;
  (*server)->set_drop(true);
  Cmd t = run("dkim verify --dns-timeout 300 --nameserver " + ns, kVec + "rfc8463-appendixA-signed.eml");
  EXPECT_EQ(t.status, 0);
  EXPECT_EQ(t.out.rfind("dkim=temperror ", 0), 0u) << t.out;
}

// A 2048-bit RSA key does not fit one TXT string: published as several
// character-strings (RFC 6376 3.6.2.2: they are concatenated), beside an
// empty TXT record at the same name, it verifies through libunbound.
TEST_F(CliDkim, MultiStringKeyOverRealDns) {
  const std::string pem = dkim::testing::generate_pem(dkim::KeyType::kRsa, 2048);
  auto key = dkim::load_private_key(pem);
  ASSERT_TRUE(key);
  const std::string record = dkim::testing::key_record(*key);
  ASSERT_GT(record.size(), 255u);
  dns::Txt txt;
  for (size_t i = 0; i < record.size(); i += 200) txt.strings.push_back(record.substr(i, 200));
  dns::Zone z;
  z.add("big._domainkey.example.org", dns::Record{dns::RRType::TXT, 300, txt});
  z.add("big._domainkey.example.org", dns::Record{dns::RRType::TXT, 300, dns::Txt{}});
  auto server = dns::DnsTestServer::start(std::move(z));
  ASSERT_TRUE(server) << server.error().message;
  const std::string key_file = write("big.pem", pem);
  const std::string msg =
      write("m.eml", "From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\n\r\nbody\r\n");
  Cmd s = run("dkim sign --domain example.org --selector big --key " + key_file, msg);
  ASSERT_EQ(s.status, 0) << s.err;
  const std::string signed_msg = write("signed.eml", s.out);
  Cmd v = run("dkim verify --json --nameserver 127.0.0.1:" + std::to_string((*server)->port()), signed_msg);
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("\"selector\": \"big\", \"algorithm\": \"rsa-sha256\", \"result\": \"pass\""),
            std::string::npos)
      << v.out;
  EXPECT_GT((*server)->udp_queries() + (*server)->tcp_queries(), 0u);
}

TEST_F(CliDkim, BadArguments) {
  const std::string in = kVec + "rfc8463-unsigned.eml";
  const std::string key = " --key " + kVec + "test.rsa1024.private.pem";
  for (const std::string& args : {
           std::string("dkim"),
           std::string("dkim frobnicate"),
           std::string("dkim sign --selector s") + key,
           std::string("dkim sign --domain d.example") + key,
           std::string("dkim sign --domain d.example --selector s"),
           std::string("dkim sign --domain d.example --selector s --key /nonexistent"),
           std::string("dkim sign --domain d.example --selector s --key ") + in,
           "dkim sign --domain d.example --selector s" + key + " --algorithm ed25519-sha256",
           "dkim sign --domain d.example --selector s" + key + " --algorithm rsa-sha1",
           "dkim sign --domain d.example --selector s" + key + " --canonicalization fancy",
           "dkim sign --domain d.example --selector s" + key + " --headers to:subject",
           "dkim sign --domain d.example --selector s" + key + " --timestamp soon",
           "dkim sign --domain d.example --selector s" + key + " --bogus",
           "dkim sign --domain d.example --selector s" + key + " --nameserver 127.0.0.1",
           std::string("dkim verify --domain x"),
           std::string("dkim verify --zone /nonexistent"),
           std::string("dkim verify --nameserver 999.1.1.1"),
           std::string("dkim verify extra"),
       }) {
    Cmd r = run(args, in);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_TRUE(r.out.empty()) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart

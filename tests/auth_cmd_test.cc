// File: tests/auth_cmd_test.cc
// End-to-end test of `rampart auth`: one message DKIM-signed and ARC-sealed
// here, keys, SPF and DMARC records in a zone file; the JSON of issue 3's
// Interfaces section, the readable output, a failing variant and exit 2 on
// bad arguments.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auth/arc/arc.h"
#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/strings.h"
#include "dns/zone_file.h"
#include "support/dns_test_server.h"

#include "support/cli.h"

namespace rampart {
namespace {

namespace fs = std::filesystem;
using dkim::testing::read_file;

using Cmd = testing::CliResult;

class CliAuth : public testing::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    auto k = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    ASSERT_TRUE(k);
    key_ = *k;
    const std::string rec = dkim::testing::key_record(key_);
    std::ofstream(dir_ / "zone") << "example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
                                 << "s1._domainkey.example.com. 300 IN TXT \"" << rec << "\"\n"
                                 << "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject\"\n"
                                 << "s1._domainkey.lists.example.net. 300 IN TXT \"" << rec << "\"\n";
    std::string m =
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n"
        "Date: Thu, 14 Jan 2021 15:00:01 -0800\r\n\r\nHello.\r\n";
    dkim::SignOptions so;
    so.domain = "example.com";
    so.selector = "s1";
    so.timestamp = 1700000000;
    auto sig = dkim::sign(m, key_, so);
    ASSERT_TRUE(sig);
    m = *sig + m;
    arc::SealOptions ao;
    ao.domain = "lists.example.net";
    ao.selector = "s1";
    ao.authserv_id = "lists.example.net";
    ao.timestamp = 1700000000;
    auto set = arc::seal("Authentication-Results: lists.example.net; dkim=pass header.d=example.com\r\n" + m,
                         key_, ao, arc::Cv::kNone);
    ASSERT_TRUE(set && set->added);
    message_ =
        set->fields() + "Authentication-Results: lists.example.net; dkim=pass header.d=example.com\r\n" + m;
    std::ofstream(dir_ / "msg.eml", std::ios::binary) << message_;
  }
  std::string common(const std::string& ip) {
    return "auth " + (dir_ / "msg.eml").string() + " --ip " + ip +
           " --helo mx.example.com --mail-from alice@example.com --authserv-id mx.test --zone " +
           (dir_ / "zone").string();
  }
  std::string message_;
  dkim::PrivateKey key_;
};

TEST_F(CliAuth, JsonAsTheIssueSays) {
  Cmd r = run(common("192.0.2.9") + " --json");
  // header.b= is the first 8 characters of b=; RFC 8601 makes it a quoted
  // string when they hold a tspecial ('/' or '+' in base64 often does).
  std::string b8 = message_.substr(message_.find(" b=", message_.find("DKIM-Signature")) + 3, 8);
  if (std::any_of(b8.begin(), b8.end(), [](char c) { return is_tspecial(c); })) b8 = "\\\"" + b8 + "\\\"";
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "{\"spf\": {\"result\": \"pass\"}, \"senderid\": {\"result\": \"pass\", \"pra\": "
      "\"alice@example.com\"}, "
      "\"dkim\": [{\"domain\": \"example.com\", \"selector\": \"s1\", \"algorithm\": \"ed25519-sha256\", "
      "\"result\": \"pass\", \"reason\": \"\"}], \"dmarc\": {\"result\": \"pass\", \"policy\": \"reject\", "
      "\"disposition\": \"none\"}, \"arc\": {\"cv\": \"pass\", \"reason\": \"\"}, "
      "\"authentication_results\": "
      "\"Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@example.com; sender-id=pass "
      "header.from=alice@example.com; dkim=pass header.d=example.com header.s=s1 header.a=ed25519-sha256 "
      "header.b=" +
          b8 + "; dmarc=pass (p=reject) header.from=example.com; arc=pass smtp.remote-ip=192.0.2.9\"}\n");
}

TEST_F(CliAuth, ReadableAndFailing) {
  Cmd r = run(common("198.51.100.1"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Authentication-Results: mx.test;\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("spf=fail smtp.mailfrom=alice@example.com"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nSPF (mailfrom alice@example.com): fail"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nDKIM (d=example.com s=s1 ed25519-sha256): pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nDMARC (From domain example.com): pass"), std::string::npos)
      << r.out;  // DKIM aligned
  EXPECT_NE(r.out.find("\nARC: pass (1 sets)"), std::string::npos) << r.out;
}

// DKIM, DMARC and ARC through the production resolver: --nameserver, i.e.
// UnboundResolver asking a real DNS server on 127.0.0.1 that serves the same
// zone. A tampered body from outside the SPF range fails DKIM, ARC and
// DMARC (p=reject); an ARC key the server never answers is arc=temperror,
// never arc=fail.
TEST_F(CliAuth, OverRealDnsServer) {
  auto zone = dns::parse_zone(testing::read_text(dir_ / "zone"));
  ASSERT_TRUE(zone) << zone.error().message;
  auto server = dns::DnsTestServer::start(std::move(*zone));
  ASSERT_TRUE(server) << server.error().message;
  const std::string ns =
      " --nameserver 127.0.0.1:" + std::to_string((*server)->port()) + " --dns-timeout 2000";
  auto common_ns = [&](const std::string& file, const std::string& ip) {
    return "auth " + file + " --ip " + ip +
           " --helo mx.example.com --mail-from alice@example.com --authserv-id mx.test --json" + ns;
  };
  Cmd r = run(common_ns((dir_ / "msg.eml").string(), "192.0.2.9"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"spf\": {\"result\": \"pass\"}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"selector\": \"s1\", \"algorithm\": \"ed25519-sha256\", \"result\": \"pass\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"dmarc\": {\"result\": \"pass\", \"policy\": \"reject\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"arc\": {\"cv\": \"pass\""), std::string::npos) << r.out;
  const size_t asked = (*server)->udp_queries() + (*server)->tcp_queries();
  EXPECT_GE(asked, 4u);  // SPF, DKIM key, DMARC record, ARC key at least

  std::string tampered = message_;
  tampered.replace(tampered.rfind("Hello."), 6, "Hello!");
  const std::string bad = write("tampered.eml", tampered);
  Cmd f = run(common_ns(bad, "198.51.100.1"));
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.out.find("\"spf\": {\"result\": \"fail\"}"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("\"algorithm\": \"ed25519-sha256\", \"result\": \"fail\""), std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("\"dmarc\": {\"result\": \"fail\", \"policy\": \"reject\""), std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("\"arc\": {\"cv\": \"fail\""), std::string::npos) << f.out;

  // The ARC key never answered: temperror, from `arc verify` and `auth`.
  (*server)->set_unanswered({{"s1._domainkey.lists.example.net", dns::RRType::TXT}});
  Cmd t = run(
      "arc verify --json --nameserver 127.0.0.1:" + std::to_string((*server)->port()) + " --dns-timeout 500",
      (dir_ / "msg.eml").string());
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("\"cv\": \"temperror\""), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("\"temporary\": true"), std::string::npos) << t.out;
  Cmd tl =
      run("arc verify --nameserver 127.0.0.1:" + std::to_string((*server)->port()) + " --dns-timeout 500",
          (dir_ / "msg.eml").string());
  EXPECT_EQ(tl.out.rfind("arc=temperror", 0), 0u) << tl.out;
  Cmd ta = run(common_ns((dir_ / "msg.eml").string(), "192.0.2.9") + " --dns-timeout 500");
  EXPECT_NE(ta.out.find("\"arc\": {\"cv\": \"temperror\""), std::string::npos) << ta.out;
  EXPECT_NE(ta.out.find("; arc=temperror reason="), std::string::npos) << ta.out;
  EXPECT_NE(ta.out.find("\"dmarc\": {\"result\": \"pass\""), std::string::npos) << ta.out;
  (*server)->set_unanswered({});
  Cmd p = run("arc verify --json --nameserver 127.0.0.1:" + std::to_string((*server)->port()),
              (dir_ / "msg.eml").string());
  EXPECT_NE(p.out.find("\"cv\": \"pass\""), std::string::npos) << p.out;
}

TEST_F(CliAuth, BadArguments) {
  const std::vector<std::string> bads = {
      "auth",
      "auth --ip 192.0.2.1 --helo h --mail-from a@b",
      "auth " + (dir_ / "msg.eml").string() + " --ip nope --helo h --mail-from a@b",
      "auth " + (dir_ / "msg.eml").string() + " --helo h --mail-from a@b",
      "auth /nonexistent --ip 192.0.2.1 --helo h --mail-from a@b",
      "auth " + (dir_ / "msg.eml").string() + " --ip 192.0.2.1 --helo h --mail-from a@b --bogus"};
  for (const std::string& b : bads) {
    Cmd r = run(b);
    EXPECT_EQ(r.status, 2) << b;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << b << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart

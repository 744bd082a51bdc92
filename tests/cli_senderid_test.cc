// End-to-end tests of `rampart senderid`: the real binary, a zone file and a
// real DNS server on 127.0.0.1; PRA chosen from the headers (RFC 4407),
// spf2.0/pra records preferred over v=spf1 (RFC 4406), the mfrom scope, and
// exit status 2 with one line for bad arguments.
#include <gtest/gtest.h>

#include <string>

#include "dns/zone_file.h"
#include "support/cli.h"
#include "support/dns_test_server.h"

namespace rampart {
namespace {

constexpr const char* kZone = R"($ORIGIN example.com.
@        TXT "v=spf1 -all"
         TXT "spf2.0/pra ip4:192.0.2.0/24 -all"
list     TXT "spf2.0/mfrom,pra ip4:198.51.100.0/24 -all"
bounce   TXT "v=spf1 ip4:203.0.113.0/24 -all"
)";

using CmdResult = testing::CliResult;

class CliSenderId : public testing::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    zone_ = write("example.zone", kZone);
  }
  std::string message(const std::string& name, const std::string& headers) {
    return write(name, headers + "\r\nbody\r\n");
  }
  std::string zone_;
};

TEST_F(CliSenderId, PraFromHeadersAndSpf2Precedence) {
  // From alone -> PRA is the From mailbox; spf2.0/pra allows 192.0.2.0/24
  // although v=spf1 says -all.
  auto m1 = message("m1", "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hi\r\n");
  CmdResult a = run("senderid --ip 192.0.2.9 --message " + m1 + " --zone " + zone_ + " --json");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_NE(a.out.find("\"result\": \"pass\""), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("\"pra\": \"alice@example.com\""), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("\"scope\": \"pra\""), std::string::npos) << a.out;

  // Sender wins over From (RFC 4407 section 2, step 3).
  auto m2 = message("m2", "From: alice@example.com\r\nSender: list-owner@list.example.com\r\n");
  CmdResult b = run("senderid --ip 198.51.100.7 --message " + m2 + " --zone " + zone_ + " --json");
  EXPECT_NE(b.out.find("\"pra\": \"list-owner@list.example.com\""), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("\"result\": \"pass\""), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("sender-id=pass header.sender=list-owner@list.example.com"), std::string::npos)
      << b.out;

  // Two From headers and no Sender: no PRA, permerror (RFC 4407).
  auto m3 = message("m3", "From: a@example.com\r\nFrom: b@example.com\r\n");
  CmdResult c = run("senderid --ip 192.0.2.9 --message " + m3 + " --zone " + zone_ + " --json");
  EXPECT_NE(c.out.find("\"result\": \"permerror\""), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("\"pra\": null"), std::string::npos) << c.out;
}

TEST_F(CliSenderId, MfromScopeOverRealDns) {
  dns::ZoneOptions opt;
  auto zone = dns::parse_zone(kZone, opt);
  ASSERT_TRUE(zone) << zone.error().message;
  auto server = dns::DnsTestServer::start(std::move(*zone));
  ASSERT_TRUE(server) << server.error().message;
  const std::string ns = " --nameserver 127.0.0.1:" + std::to_string((*server)->port());
  auto m = message("m", "From: alice@example.com\r\n");
  CmdResult r = run("senderid --scope mfrom --mail-from x@bounce.example.com --ip 203.0.113.5 --message " +
                    m + ns + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"result\": \"pass\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"scope\": \"mfrom\""), std::string::npos) << r.out;
  CmdResult f = run("senderid --scope mfrom --mail-from x@bounce.example.com --ip 192.0.2.1 --message " + m +
                    ns + " --json");
  EXPECT_NE(f.out.find("\"result\": \"fail\""), std::string::npos) << f.out;
}

TEST_F(CliSenderId, BadArgumentsExitTwoWithOneLine) {
  auto m = message("m", "From: alice@example.com\r\n");
  for (const std::string& args : {
           "senderid --message " + m + " --zone " + zone_,                              // no --ip
           "senderid --ip 192.0.2.1 --zone " + zone_,                                   // no --message
           "senderid --ip 192.0.2.1 --message /nonexistent/msg --zone " + zone_,        // unreadable
           "senderid --ip 192.0.2.1 --message " + m + " --scope helo --zone " + zone_,  // bad scope
           "senderid --ip 192.0.2.1 --message " + m + " --zone /nonexistent/zone",      // bad zone
       }) {
    CmdResult r = run(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
    ASSERT_FALSE(r.err.empty()) << args;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart

// End-to-end tests of `rampart spf`: the real binary, answering from a zone
// file and from a real DNS server on 127.0.0.1 (DnsTestServer), its JSON
// output, temperror on an unanswering server, and exit status 2 with a
// one-line error for bad arguments.
#include <gtest/gtest.h>

#include <string>

#include "dns/zone_file.h"
#include "support/cli.h"
#include "support/dns_test_server.h"

namespace rampart {
namespace {

constexpr const char* kZone = R"($ORIGIN example.com.
@        300 TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all exp=why.example.com"
_spf         TXT "v=spf1 mx ~all"
             MX  10 mx1
mx1          A   198.51.100.25
why          TXT "%{i} may not send for %{d}"
)";

using CmdResult = testing::CliResult;

class CliSpf : public testing::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    zone_path_ = write("example.zone", kZone);
  }
  std::string zone_path_;
};

TEST_F(CliSpf, ZoneFilePassAndFailAsJson) {
  CmdResult p =
      run("spf --ip 198.51.100.25 --helo mx.test --mail-from a@example.com --zone " + zone_path_ + " --json");
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("\"result\": \"pass\""), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("\"received_spf\": \"Received-SPF: pass"), std::string::npos) << p.out;
  CmdResult f =
      run("spf --ip 203.0.113.7 --helo mx.test --mail-from a@example.com --zone " + zone_path_ + " --json");
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.out.find("\"result\": \"fail\""), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("\"explanation\": \"203.0.113.7 may not send for example.com\""), std::string::npos)
      << f.out;
  CmdResult d = run("spf --ip 203.0.113.7 --helo mx.test --mail-from a@example.com --zone " + zone_path_ +
                    " --default-explanation 'see %{d}' --json");
  EXPECT_NE(d.out.find("\"result\": \"fail\""), std::string::npos) << d.out;
}

TEST_F(CliSpf, RealDnsServerOnLoopback) {
  dns::ZoneOptions opt;
  auto zone = dns::parse_zone(kZone, opt);
  ASSERT_TRUE(zone) << zone.error().message;
  auto server = dns::DnsTestServer::start(std::move(*zone));
  ASSERT_TRUE(server) << server.error().message;
  const std::string ns = "--nameserver 127.0.0.1:" + std::to_string((*server)->port());
  CmdResult p = run("spf --ip 198.51.100.25 --helo mx.test --mail-from a@example.com " + ns + " --json");
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("\"result\": \"pass\""), std::string::npos) << p.out;
  EXPECT_GT((*server)->udp_queries() + (*server)->tcp_queries(), 0u);
  CmdResult s = run("spf --ip 198.51.100.26 --helo mx.test --mail-from a@example.com " + ns + " --json");
  EXPECT_NE(s.out.find("\"result\": \"fail\""), std::string::npos) << s.out;  // ~all inside include: no match

  (*server)->set_drop(true);
  CmdResult t = run("spf --ip 198.51.100.25 --helo mx.test --mail-from b@example.com " + ns +
                    " --dns-timeout 300 --json");
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("\"result\": \"temperror\""), std::string::npos) << t.out;
}

TEST_F(CliSpf, BadArgumentsExitTwoWithOneLine) {
  for (const std::string& args : {
           std::string("spf --helo x --mail-from a@example.com --zone ") + zone_path_,  // no --ip
           std::string("spf --ip 1.2.3 --helo x --zone ") + zone_path_,                 // bad ip
           std::string("spf --ip 192.0.2.1 --helo x --zone /nonexistent/zone"),         // unreadable
           std::string("spf --ip 192.0.2.1 --helo x --bogus 1 --zone ") + zone_path_,   // unknown option
           std::string("spf --ip 192.0.2.1 --helo x --nameserver not-an-ip"),
           std::string("spf --ip 192.0.2.1 --helo x --dns-timeout -5 --zone ") + zone_path_,
       }) {
    CmdResult r = run(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
    ASSERT_FALSE(r.err.empty()) << args;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << args << ": " << r.err;  // exactly one line
  }
}

}  // namespace
}  // namespace rampart

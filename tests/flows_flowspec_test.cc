// File: tests/flows_flowspec_test.cc
// rampart's BGP FlowSpec lines (flows::exabgp_lines, RFC 8955) through a real
// BGP session on loopback:
//
//   ActionTable -> exabgp_lines -> exabgp (API process, AS 65000, 127.0.0.2)
//               == BGP flow (IPv4 + IPv6) ==> gobgpd (AS 65001, 127.0.0.1)
//
// and gobgpd's RIB must hold each rule: source prefix, protocol tcp,
// destination port 25, discard (block) or traffic-rate (throttle); a withdraw
// line removes it again. Exceptions and notify-only hosts send nothing.
//
//   ctest -R flows_flowspec_test --output-on-failure
//
// Needs the Debian packages exabgp and gobgpd (gobgp CLI); a missing tool
// FAILS the test. Sessions only on 127.0.0.1/127.0.0.2; the BGP and gRPC ports
// are found free first (neither daemon binds port 0) and the start is retried.
#include <gtest/gtest.h>

#include <regex>

#include "flows/actions.h"
#include "flows_process.h"

#ifndef RAMPART_EXABGP
#define RAMPART_EXABGP ""
#endif
#ifndef RAMPART_GOBGPD
#define RAMPART_GOBGPD ""
#endif
#ifndef RAMPART_GOBGP
#define RAMPART_GOBGP ""
#endif

namespace rampart::flows {
namespace {

namespace fs = std::filesystem;

void require_tool(const char* path, const char* name, const char* package) {
  ASSERT_TRUE(path[0] != '\0' && ::access(path, X_OK) == 0)
      << name << " is missing: apt-get install " << package
      << " (scripts/install-deps.sh); this test fails rather than skips without it";
}

Incident incident(const char* ip, Action a, uint64_t id) {
  Incident i;
  i.id = id;
  i.host = *IpAddress::parse(ip);
  i.first_seen_ms = 1700000000000;
  i.last_seen_ms = 1700000300000;
  i.score = a == Action::kBlock ? 2.0 : 1.2;
  i.action = a;
  return i;
}

void write(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
}

class FlowSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-flowspec.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override {
    for (Proc* p : {&exabgp_, &gobgpd_})
      if (p->running()) {
        ::kill(p->pid, SIGTERM);
        p->wait(std::chrono::seconds(10));
      }
    fs::remove_all(tmp_);
  }

  std::string rib(const char* family) {
    std::string out;
    run({RAMPART_GOBGP, "-u", "127.0.0.1", "-p", std::to_string(grpc_port_), "global", "rib", "-a", family},
        out, tmp_);
    return out;
  }

  void start_gobgpd() {
    for (int attempt = 0; attempt < 5; ++attempt) {
      bgp_port_ = free_port(SOCK_STREAM);
      grpc_port_ = free_port(SOCK_STREAM);
      if (bgp_port_ == grpc_port_) continue;
      std::ofstream(tmp_ + "/gobgpd.toml") << "[global.config]\n  as = 65001\n  router-id = \"127.0.0.1\"\n"
                                           << "  port = " << bgp_port_ << "\n"
                                           << "  local-address-list = [\"127.0.0.1\"]\n"
                                           << "[[neighbors]]\n  [neighbors.config]\n"
                                           << "    neighbor-address = \"127.0.0.2\"\n    peer-as = 65000\n"
                                           << "  [neighbors.transport.config]\n    passive-mode = true\n"
                                           << "    local-address = \"127.0.0.1\"\n"
                                           << "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n"
                                           << "      afi-safi-name = \"ipv4-flowspec\"\n"
                                           << "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n"
                                           << "      afi-safi-name = \"ipv6-flowspec\"\n";
      spawn(gobgpd_,
            {RAMPART_GOBGPD, "-f", tmp_ + "/gobgpd.toml", "--api-hosts",
             "127.0.0.1:" + std::to_string(grpc_port_), "-p"},
            tmp_ + "/gobgpd.log");
      const auto deadline = Clock::now() + std::chrono::seconds(15);
      std::string out;
      while (gobgpd_.running() && Clock::now() < deadline) {
        if (run({RAMPART_GOBGP, "-u", "127.0.0.1", "-p", std::to_string(grpc_port_), "neighbor"}, out,
                tmp_) == 0 &&
            out.find("127.0.0.2") != std::string::npos)
          return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (gobgpd_.running()) {
        ::kill(gobgpd_.pid, SIGTERM);
        gobgpd_.wait(std::chrono::seconds(5));
      }
    }
    FAIL() << "gobgpd did not start: " << read_file(tmp_ + "/gobgpd.log");
  }

  // exabgp connects from 127.0.0.2 to gobgpd; its API process prints
  // first.txt, then waits for go.flag and prints second.txt.
  void start_exabgp() {
    const std::string t = tmp_;
    std::ofstream(tmp_ + "/exabgp.conf")
        << "process rampart {\n  run /bin/sh -c \"cat " << t << "/first.txt; while [ ! -e " << t
        << "/go.flag ]; do sleep 0.05; done; cat " << t << "/second.txt; exec sleep 120\";\n"
        << "  encoder text;\n}\n"
        << "neighbor 127.0.0.1 {\n  router-id 127.0.0.2;\n  local-address 127.0.0.2;\n  local-as 65000;\n"
        << "  peer-as 65001;\n  family { ipv4 flow; ipv6 flow; }\n  api { processes [ rampart ]; }\n}\n";
    spawn(exabgp_, {RAMPART_EXABGP, tmp_ + "/exabgp.conf"}, tmp_ + "/exabgp.log",
          {"exabgp.tcp.port=" + std::to_string(bgp_port_), "exabgp.tcp.bind=", "exabgp.daemon.user=root",
           "exabgp.daemon.daemonize=false", "exabgp.log.destination=stdout", "exabgp.api.cli=false",
           "exabgp.daemon.pid=" + tmp_ + "/exabgp.pid"});
  }

  template <typename Pred>
  bool wait_rib(Pred pred, std::string& v4, std::string& v6) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      v4 = rib("ipv4-flowspec");
      v6 = rib("ipv6-flowspec");
      if (pred()) return true;
      if (Clock::now() > deadline || !exabgp_.running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::string tmp_;
  Proc gobgpd_, exabgp_;
  uint16_t bgp_port_ = 0, grpc_port_ = 0;
};

// One RIB line of gobgp's table for the rule, or "" when it is not there.
std::string rib_line(const std::string& table, const std::string& prefix) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line))
    if (line.find("[source: " + prefix + "][protocol: ==tcp][destination-port: ==25]") != std::string::npos)
      return line;
  return "";
}

TEST_F(FlowSpec, GobgpReceivesRampartsRules) {
  require_tool(RAMPART_EXABGP, "exabgp", "exabgp");
  require_tool(RAMPART_GOBGPD, "gobgpd", "gobgpd");
  require_tool(RAMPART_GOBGP, "gobgp", "gobgpd");

  ActionPolicy pol;
  pol.flowspec_rate_bytes = 12500;
  pol.exceptions = {*Prefix::parse("100.64.9.0/24")};
  ActionTable table(pol);
  const int64_t now = 1700000300000;
  table.apply(incident("100.64.0.7", Action::kBlock, 1), now);
  table.apply(incident("100.64.0.8", Action::kThrottle, 2), now);
  table.apply(incident("2001:db8::7", Action::kBlock, 3), now);
  table.apply(incident("100.64.9.9", Action::kBlock, 4), now);  // an exception: notify only
  table.apply(incident("100.64.0.10", Action::kNotify, 5), now);
  const auto announce = exabgp_lines(table.active(), pol, true);
  ASSERT_EQ(announce.size(), 3u);
  write(tmp_ + "/first.txt", announce);
  // Phase two: the throttled host's action is withdrawn (as on expiry).
  std::vector<ActiveAction> released;
  for (const auto& a : table.active())
    if (a.host == *IpAddress::parse("100.64.0.8")) released.push_back(a);
  write(tmp_ + "/second.txt", exabgp_lines(released, pol, false));

  start_gobgpd();
  ASSERT_FALSE(HasFatalFailure());
  start_exabgp();

  std::string v4, v6;
  ASSERT_TRUE(wait_rib(
      [&] {
        return !rib_line(v4, "100.64.0.7/32").empty() && !rib_line(v4, "100.64.0.8/32").empty() &&
               !rib_line(v6, "2001:db8::7/128/0").empty();
      },
      v4, v6))
      << v4 << v6 << read_file(tmp_ + "/exabgp.log") << read_file(tmp_ + "/gobgpd.log");
  // Block: discard (traffic-rate 0). Throttle: traffic-rate in bytes/s.
  EXPECT_NE(rib_line(v4, "100.64.0.7/32").find("[discard]"), std::string::npos) << v4;
  EXPECT_NE(rib_line(v4, "100.64.0.8/32").find("rate: 12500.000000"), std::string::npos) << v4;
  EXPECT_NE(rib_line(v6, "2001:db8::7/128/0").find("[discard]"), std::string::npos) << v6;
  EXPECT_NE(rib_line(v4, "100.64.0.7/32").find("65000"), std::string::npos) << v4;  // AS_PATH: from exabgp
  // Nothing for the exception or the notify-only host.
  EXPECT_EQ(v4.find("100.64.9.9"), std::string::npos) << v4;
  EXPECT_EQ(v4.find("100.64.0.10"), std::string::npos) << v4;

  std::ofstream(tmp_ + "/go.flag") << "1\n";
  ASSERT_TRUE(wait_rib([&] { return rib_line(v4, "100.64.0.8/32").empty(); }, v4, v6))
      << v4 << read_file(tmp_ + "/exabgp.log");
  EXPECT_FALSE(rib_line(v4, "100.64.0.7/32").empty()) << v4;  // the block stays
}

}  // namespace
}  // namespace rampart::flows

// File: tests/rampartd_loops_test.cc
// rampartd with two event loops (issue 11), a real daemon on 127.0.0.1
// (port 0, DNS from a master file): connections are served by both loops
// (the per-loop counters of /metrics), state shared by the loops stays
// exact (a throttle burst of N through both loops at once lets exactly N
// scans through), SIGTERM drains the connections of every loop, SIGHUP
// gives every loop the new configuration.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"

namespace rampart {
namespace {

const char* kZone = R"($ORIGIN good.test.
$TTL 300
@            TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc       TXT "v=DMARC1; p=none"
)";

const std::string kMessage =
    "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n\r\nHello Bob.\r\n";

std::string scan(uint16_t port, const std::string& client_ip) {
  return e2e::http(port, "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: " + client_ip +
                             "\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob@example.net\r\n"
                             "Content-Length: " +
                             std::to_string(kMessage.size()) + "\r\n\r\n" + kMessage);
}

// The value of the first sample line starting with `prefix` in /metrics, or -1.
long long metric(uint16_t port, const std::string& prefix) {
  const std::string m = e2e::http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  size_t p = 0;
  while ((p = m.find(prefix, p)) != std::string::npos) {
    if (p == 0 || m[p - 1] == '\n') return std::atoll(m.c_str() + p + prefix.size());
    p += prefix.size();
  }
  return -1;
}

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Daemon {
  e2e::Child child;
  uint16_t milter_port = 0, http_port = 0;
  bool start(const std::string& tmp, const std::string& config) {
    const char* bin = std::getenv("RAMPARTD_BIN");
    if (!bin) return false;
    if (!child.start({bin, "--config", config, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:0", "--zone",
                      tmp + "/zone", "--loops", "2"},
                     tmp + "/rampartd.log", true))
      return false;
    for (int i = 0; i < 3; ++i) {
      const std::string line = child.read_line(std::chrono::seconds(30));
      const std::string m = "rampartd: milter 127.0.0.1:", h = "rampartd: http 127.0.0.1:";
      if (line.rfind(m, 0) == 0) milter_port = static_cast<uint16_t>(std::atoi(line.c_str() + m.size()));
      if (line.rfind(h, 0) == 0) http_port = static_cast<uint16_t>(std::atoi(line.c_str() + h.size()));
      if (line == "rampartd: ready") return milter_port != 0 && http_port != 0;
      if (line.empty()) return false;
    }
    return false;
  }
};

struct RampartdLoops : ::testing::Test {
  std::string tmp, config;
  void SetUp() override {
    ASSERT_NE(std::getenv("RAMPARTD_BIN"), nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    tmp = ::testing::TempDir() + "/rampartd_loops." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    std::ofstream(tmp + "/zone") << kZone;
    config = tmp + "/rampart.toml";
  }
  void TearDown() override {
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  }
};

// Two clients scan at once from one address with a burst of 10 and no
// refill to speak of: connections alternate between the loops, the
// loops take from one bucket, exactly 10 scans pass.
TEST_F(RampartdLoops, BothLoopsServeAndShareTheThrottle) {
  std::ofstream(config) << "[reputation]\nenabled = false\n"
                           "[throttle.ip]\nburst = 10\nper_minute = 0.0001\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_EQ(metric(d.http_port, "rampart_loops "), 2);
  constexpr int kPerClient = 20;
  std::atomic<int> passed{0}, throttled{0}, other{0};
  auto client = [&] {
    for (int i = 0; i < kPerClient; ++i) {
      const std::string r = scan(d.http_port, "192.0.2.77");
      if (r.find("THROTTLE_IP") != std::string::npos) {
        ++throttled;
      } else if (r.find("\"action\": \"accept\"") != std::string::npos) {
        ++passed;
      } else {
        ++other;
      }
    }
  };
  std::thread a(client), b(client);
  a.join();
  b.join();
  EXPECT_EQ(passed.load(), 10);
  EXPECT_EQ(throttled.load(), 2 * kPerClient - 10);
  EXPECT_EQ(other.load(), 0);
  // One connection per scan, handed out in turn: both loops served about half.
  const long long l0 = metric(d.http_port, "rampart_loop_connections_total{loop=\"0\"} ");
  const long long l1 = metric(d.http_port, "rampart_loop_connections_total{loop=\"1\"} ");
  EXPECT_GE(l0, kPerClient - 1);
  EXPECT_GE(l1, kPerClient - 1);
  // And the requests themselves: each loop handled its half of the scans (plus a scrape or two).
  const long long r0 = metric(d.http_port, "rampart_loop_messages_total{loop=\"0\",interface=\"http\"} ");
  const long long r1 = metric(d.http_port, "rampart_loop_messages_total{loop=\"1\",interface=\"http\"} ");
  EXPECT_GE(r0, kPerClient - 1);
  EXPECT_GE(r1, kPerClient - 1);
  EXPECT_GE(r0 + r1, 2 * kPerClient);
  EXPECT_EQ(metric(d.http_port, "rampart_loop_messages_total{loop=\"1\",interface=\"milter\"} "), 0);
  // Loop 1's thread is named (top -H; the loops bench tells loop threads from the others by it).
  bool named = false;
  const std::string task = "/proc/" + std::to_string(d.child.pid()) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(task))
    if (e2e::slurp(t.path().string() + "/comm") == "rampartd-loop1\n") named = true;
  EXPECT_TRUE(named);
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

// SIGTERM with an open milter connection on each loop: both loops drain
// (the daemon stays up while they are open), then it exits 0.
TEST_F(RampartdLoops, SigtermDrainsEveryLoop) {
  std::ofstream(config) << "[reputation]\nenabled = false\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  const int a = connect_to(d.milter_port), b = connect_to(d.milter_port);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_TRUE(e2e::poll_until(
      [&] { return metric(d.http_port, "rampart_listener_connections{listener=\"milter\"} ") == 2; },
      std::chrono::seconds(10)));
  // One milter connection on each loop (plus this scrape's own HTTP connection on one).
  EXPECT_GE(metric(d.http_port, "rampart_loop_connections{loop=\"0\"} "), 1);
  EXPECT_GE(metric(d.http_port, "rampart_loop_connections{loop=\"1\"} "), 1);
  d.child.signal(SIGTERM);
  const std::string log = tmp + "/rampartd.log";
  ASSERT_TRUE(e2e::poll_until(
      [&] {
        const std::string l = e2e::slurp(log);
        return l.find("loop 0 draining") != std::string::npos &&
               l.find("loop 1 draining") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << e2e::slurp(log);
  EXPECT_TRUE(d.child.running());  // both milter connections still open
  ::close(a);
  EXPECT_TRUE(d.child.running()) << "exited with a connection still open on the other loop";
  ::close(b);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(10)), 0) << e2e::slurp(log);
  const std::string l = e2e::slurp(log);
  EXPECT_NE(l.find("loop 0 drained (0 connections left)"), std::string::npos) << l;
  EXPECT_NE(l.find("loop 1 drained (0 connections left)"), std::string::npos) << l;
}

// SIGHUP: every loop scans with the new thresholds (scans alternate loops).
TEST_F(RampartdLoops, SighupReloadsEveryLoop) {
  std::ofstream(config) << "[reputation]\nenabled = false\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(scan(d.http_port, "192.0.2.8").find("\"action\": \"accept\""), std::string::npos);
  std::ofstream(config) << "[reputation]\nenabled = false\n[policy]\nadd_header_score = -1000.0\n";
  d.child.signal(SIGHUP);
  ASSERT_TRUE(e2e::poll_until([&] { return metric(d.http_port, "rampart_reloads_total ") == 1; },
                              std::chrono::seconds(10)));
  // The reload is handed to each loop by a post: the next scans on both see it.
  ASSERT_TRUE(e2e::poll_until(
      [&] {
        int n = 0;
        for (int i = 0; i < 4; ++i)
          n += scan(d.http_port, "192.0.2.8").find("\"action\": \"add_header\"") != std::string::npos;
        return n == 4;
      },
      std::chrono::seconds(10)));
  // A bad file keeps the running configuration on every loop.
  std::ofstream(config) << "[policy]\nadd_header_score = \"x\"\n";
  d.child.signal(SIGHUP);
  ASSERT_TRUE(e2e::poll_until([&] { return metric(d.http_port, "rampart_reload_errors_total ") == 1; },
                              std::chrono::seconds(10)));
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(scan(d.http_port, "192.0.2.8").find("\"action\": \"add_header\""), std::string::npos);
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace rampart

// File: tests/rampartd_cluster_test.cc
// Two rampartd nodes sharing one Redis Cluster (issue 5): a 3-master +
// 3-replica cluster on loopback (tests/support/redis_cluster.h), two
// rampartd processes with [reputation] store = "redis" (HTTP on port 0),
//   Events    POST /v1/events batches to both nodes at once (several sender
//             identities, every event at one unix time so the decayed sums
//             are exact); a master is SIGKILLed mid-stream, its replica takes
//             over, the posting goes on. Every event of an acknowledged POST
//             (200, all lines accepted) is counted exactly once, read back
//             through GET /v1/reputation/ID?counters=1, and both nodes answer
//             identically.
//   Throttle  a client IP limited to a burst of N (no refill to speak of),
//             scanned through both nodes (POST /v1/scan), gets exactly N
//             accepted, not 2N; the same for a SASL user from many IPs.
// Fails (does not skip) without redis-server / redis-cli. Every wait polls
// with a deadline.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "reputation/redis_cluster.h"
#include "server/http/access.h"
#include "support/redis_cluster.h"

namespace rampart {
namespace {

const char* kZone = R"($ORIGIN good.test.
$TTL 300
@            TXT "v=spf1 ip4:192.0.2.0/24 -all"
)";

int status_of(const std::string& resp) { return resp.size() < 12 ? -1 : std::atoi(resp.c_str() + 9); }

std::string body_of(const std::string& resp) {
  const size_t p = resp.find("\r\n\r\n");
  return p == std::string::npos ? "" : resp.substr(p + 4);
}

// Both nodes know one token with the rights the test uses; every request carries it.
const std::string kToken = "cluster-test-token";
const std::string kAuth = "Authorization: Bearer " + kToken + "\r\n";

// POSTs wait for the store through a failover (its retry deadline is 30 s).
std::string post(uint16_t port, const std::string& path, const std::string& body,
                 const std::string& headers = "") {
  return e2e::http(port,
                   "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + kAuth + headers +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                   60);
}

std::string get(uint16_t port, const std::string& target) {
  return e2e::http(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + kAuth + "\r\n", 60);
}

// counters.METRIC.WINDOW from a ?counters=1 answer (-1 when absent).
double counter(const std::string& json, const std::string& metric, const std::string& window) {
  const size_t c = json.find("\"counters\": {");
  if (c == std::string::npos) return -1;
  const size_t m = json.find("\"" + metric + "\": {", c);
  if (m == std::string::npos) return -1;
  const size_t w = json.find("\"" + window + "\": ", m);
  if (w == std::string::npos) return -1;
  return std::strtod(json.c_str() + w + window.size() + 4, nullptr);
}

struct Daemon {
  e2e::Child child;
  uint16_t http_port = 0;
  bool start(const std::string& tmp, const std::string& config, const std::string& log) {
    const char* bin = std::getenv("RAMPARTD_BIN");
    if (!bin) return false;
    if (!child.start({bin, "--config", config, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:0", "--zone",
                      tmp + "/zone"},
                     log, true))
      return false;
    for (int i = 0; i < 3; ++i) {
      const std::string line = child.read_line(std::chrono::seconds(60));
      const std::string pre = "rampartd: http 127.0.0.1:";
      if (line.rfind(pre, 0) == 0) http_port = static_cast<uint16_t>(std::atoi(line.c_str() + pre.size()));
      if (line == "rampartd: ready") return http_port != 0;
      if (line.empty()) return false;
    }
    return false;
  }
};

constexpr int kSenders = 12;
constexpr int kBatch = 10;

std::string sender_ip(int i) { return "203.0.113." + std::to_string(10 + i); }
std::string sender_domain(int i) { return "dom" + std::to_string(i) + ".example"; }

struct Expect {
  double volume = 0, complaints = 0;
};

struct Writer {
  uint16_t port = 0;
  std::map<std::string, Expect> acked, in_doubt;
  std::atomic<int64_t> batches{0};
  std::atomic<int64_t> failures{0};
  std::string last_error;
  double slowest_ms = 0;  // the longest POST (the one waiting out the failover)
};

class RampartdCluster : public ::testing::Test {
 protected:
  std::string tmp, config;
  rampart::testing::RedisTestCluster cluster;
  Daemon a, b;

  void SetUp() override {
    ASSERT_NE(std::getenv("RAMPARTD_BIN"), nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    ASSERT_TRUE(cluster.start()) << cluster.error;
    tmp = ::testing::TempDir() + "/rampartd_cluster." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    std::ofstream(tmp + "/zone") << kZone;
    config = tmp + "/rampart.toml";
    std::string seeds;
    for (const std::string& s : cluster.seeds()) seeds += (seeds.empty() ? "\"" : ", \"") + s + "\"";
    // Throttle: bursts of 5 per client IP and 4 per SASL user, refilled
    // once in ~70 days: exact counts. The shared buckets are the default
    // with the redis store.
    std::ofstream(config) << "[[http.tokens]]\nname = \"cluster\"\nsha256 = \""
                          << server::token_sha256_hex(kToken)
                          << "\"\nrights = [\"scan\", \"read\", \"events\"]\n"
                          << "[reputation]\nstore = \"redis\"\nredis_seeds = [" << seeds
                          << "]\nredis_retry_deadline_ms = 30000\n"
                             "[throttle.ip]\nper_minute = 0.00001\nburst = 5.0\n"
                             "[throttle.sasl_user]\nper_minute = 0.00001\nburst = 4.0\n";
    ASSERT_TRUE(a.start(tmp, config, tmp + "/a.log")) << e2e::slurp(tmp + "/a.log");
    ASSERT_TRUE(b.start(tmp, config, tmp + "/b.log")) << e2e::slurp(tmp + "/b.log");
  }
  void TearDown() override {
    for (Daemon* d : {&a, &b}) {
      d->child.signal(SIGTERM);
      d->child.wait(std::chrono::seconds(30));
    }
    if (HasFailure()) {
      std::printf("--- node a log ---\n%s\n--- node b log ---\n%s\n", e2e::slurp(tmp + "/a.log").c_str(),
                  e2e::slurp(tmp + "/b.log").c_str());
    }
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  }
};

TEST_F(RampartdCluster, TwoNodesShareCountersThroughFailoverAndShareTheThrottle) {
  const int64_t t = std::time(nullptr);  // every event at this second: no decay between them
  const std::string ts = std::to_string(t);
  Writer w[2];
  w[0].port = a.http_port;
  w[1].port = b.http_port;
  std::atomic<bool> stop{false};
  auto run = [&](Writer& x, int offset) {
    for (int64_t n = 0; !stop.load(); ++n) {
      std::string body;
      std::map<std::string, Expect> delta;
      for (int k = 0; k < kBatch; ++k) {
        const int64_t seq = n * kBatch + k;
        const int i = static_cast<int>((seq + offset) % kSenders);
        const bool complaint = seq % 7 == 3;
        const int rcpts = 1 + static_cast<int>(seq % 3);
        body += "{\"time\": " + ts + ", \"type\": \"" + (complaint ? "complaint" : "message") +
                "\", \"ip\": \"" + sender_ip(i) + "\", \"mail_from\": \"news@" + sender_domain(i) +
                "\", \"spf\": \"pass\", \"recipients\": " + std::to_string(rcpts) + "}\n";
        for (const std::string& id :
             {"ip:" + sender_ip(i), "domain:" + sender_domain(i), std::string("net:203.0.113.0/24")}) {
          if (complaint) {
            delta[id].complaints += 1;
          } else {
            delta[id].volume += rcpts;
          }
        }
      }
      const auto sent = std::chrono::steady_clock::now();
      const std::string r = post(x.port, "/v1/events", body);
      x.slowest_ms = std::max(
          x.slowest_ms,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
      const bool ok = status_of(r) == 200 &&
                      body_of(r).find("\"accepted\": " + std::to_string(kBatch) + ",") != std::string::npos;
      auto& into = ok ? x.acked : x.in_doubt;
      for (const auto& [id, d] : delta) {
        into[id].volume += d.volume;
        into[id].complaints += d.complaints;
      }
      if (!ok) {
        x.failures++;
        x.last_error = r.empty() ? "no answer" : r;
      }
      x.batches++;
    }
  };
  std::thread t0(run, std::ref(w[0]), 0), t1(run, std::ref(w[1]), 5);
  auto both_past = [&](int64_t a0, int64_t a1, int64_t n) {
    return e2e::poll_until([&] { return w[0].batches.load() >= a0 + n && w[1].batches.load() >= a1 + n; },
                           std::chrono::seconds(120));
  };
  const bool warmed = both_past(0, 0, 20);

  // SIGKILL the master holding domain:dom0.example.
  reputation::RedisClusterOptions po;
  po.seeds = cluster.seeds();
  auto probe = reputation::RedisCluster::connect(po);
  ASSERT_TRUE(probe) << probe.error().message;
  const uint16_t slot = reputation::key_slot("rep{domain:" + sender_domain(0) + "}");
  const std::string victim = (*probe)->master_of(slot);
  const int victim_port = std::stoi(victim.substr(victim.rfind(':') + 1));
  const int64_t k0 = w[0].batches.load(), k1 = w[1].batches.load();
  cluster.kill_port(victim_port, SIGKILL);
  std::vector<int> live;
  for (int p : cluster.ports)
    if (p != victim_port) live.push_back(p);
  const bool failed_over = e2e::poll_until(
      [&] {
        if (!(*probe)->refresh_topology()) return false;
        const std::string m = (*probe)->master_of(slot);
        return !m.empty() && m != victim &&
               rampart::testing::node_command(live[0], {"CLUSTER", "INFO"}).find("cluster_state:ok") !=
                   std::string::npos;
      },
      std::chrono::seconds(60));
  const bool resumed = both_past(k0, k1, 20);
  stop = true;
  t0.join();
  t1.join();
  ASSERT_TRUE(warmed) << w[0].last_error << " / " << w[1].last_error;
  ASSERT_TRUE(failed_over) << "no failover of " << victim;
  ASSERT_TRUE(resumed) << "posting stalled after the failover: " << w[0].last_error << " / "
                       << w[1].last_error;
  // The store retries through the failover: no POST failed.
  EXPECT_EQ(w[0].failures + w[1].failures, 0) << w[0].last_error << " / " << w[1].last_error;

  std::map<std::string, Expect> acked, doubt;
  for (const Writer& x : w) {
    for (const auto& [id, d] : x.acked) {
      acked[id].volume += d.volume;
      acked[id].complaints += d.complaints;
    }
    for (const auto& [id, d] : x.in_doubt) {
      doubt[id].volume += d.volume;
      doubt[id].complaints += d.complaints;
    }
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(2 * kSenders + 1));
  double events = 0;
  for (const auto& [id, e] : acked) {
    const std::string target = "/v1/reputation/" + id + "?counters=1";
    // Both nodes give the same answer. The class is computed at each node's
    // clock second: read a, b, a again until a did not change in between.
    std::string ra, rb;
    const bool same = e2e::poll_until(
        [&] {
          ra = get(a.http_port, target);
          rb = get(b.http_port, target);
          return status_of(ra) == 200 && body_of(ra) == body_of(rb) &&
                 body_of(get(a.http_port, target)) == body_of(ra);
        },
        std::chrono::seconds(20));
    EXPECT_TRUE(same) << id << "\n a: " << ra << "\n b: " << rb;
    const std::string j = body_of(ra);
    EXPECT_NE(j.find("\"counters\": {\"at\": " + ts + ","), std::string::npos) << j;
    const Expect& d = doubt[id];
    for (const char* window : {"hour", "day", "month"}) {
      const double v = counter(j, "volume", window), c = counter(j, "complaints", window);
      // Exactly once: not lost (>= acknowledged), not twice (<= acknowledged + in doubt).
      EXPECT_GE(v, e.volume) << id << " " << window << ": acknowledged events lost";
      EXPECT_LE(v, e.volume + d.volume) << id << " " << window << ": counted twice";
      EXPECT_GE(c, e.complaints) << id << " " << window << ": acknowledged complaints lost";
      EXPECT_LE(c, e.complaints + d.complaints) << id << " " << window << ": counted twice";
    }
    if (id.rfind("ip:", 0) == 0) events += e.volume + e.complaints;
  }
  // The default object is unchanged without ?counters=1.
  const std::string plain = body_of(get(a.http_port, "/v1/reputation/ip:" + sender_ip(0)));
  EXPECT_EQ(plain.find("counters"), std::string::npos) << plain;
  EXPECT_NE(plain.find("\"classified_at\": "), std::string::npos) << plain;
  const Expect& net = acked["net:203.0.113.0/24"];
  std::printf(
      "failover of %s: %lld + %lld batches of %d events acknowledged by the two nodes; slowest POST %.0f / "
      "%.0f ms; net:203.0.113.0/24 volume %.0f, complaints %.0f (as expected)\n",
      victim.c_str(), static_cast<long long>(w[0].batches.load()),
      static_cast<long long>(w[1].batches.load()), kBatch, w[0].slowest_ms, w[1].slowest_ms, net.volume,
      net.complaints);

  // Shared throttle, after the failover: one client IP through both nodes.
  auto scan = [&](uint16_t port, const std::string& ip, const std::string& user) {
    std::string h = "X-Client-IP: " + ip + "\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n" +
                    "X-Rcpt-To: bob@example.net\r\n";
    if (!user.empty()) h += "X-Auth-User: " + user + "\r\n";
    return post(port, "/v1/scan",
                "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hi\r\n"
                "Message-ID: <x@good.test>\r\n\r\nhello\r\n",
                h);
  };
  auto count_accepted = [&](const std::function<std::string(int)>& one, int n, const std::string& why) {
    int accepted = 0;
    for (int i = 0; i < n; ++i) {
      const std::string r = one(i);
      EXPECT_EQ(status_of(r), 200) << r;
      const std::string j = body_of(r);
      if (j.find("Rate limit exceeded for " + why) != std::string::npos) continue;
      EXPECT_EQ(j.find("\"action\": \"tempfail\""), std::string::npos) << j;
      ++accepted;
    }
    return accepted;
  };
  EXPECT_EQ(count_accepted([&](int i) { return scan(i % 2 ? b.http_port : a.http_port, "192.0.2.50", ""); },
                           14, "client 192.0.2.50"),
            5);
  // A SASL user from a different address each time (the per-IP limit never bites).
  EXPECT_EQ(count_accepted(
                [&](int i) {
                  return scan(i % 2 ? a.http_port : b.http_port, "192.0.2." + std::to_string(100 + i),
                              "carol");
                },
                12, "user carol"),
            4);
  for (Daemon* d : {&a, &b}) {
    const std::string m = get(d->http_port, "/metrics");
    EXPECT_NE(m.find("rampart_throttle_shared_errors_total 0\n"), std::string::npos) << m;
    EXPECT_EQ(m.find("rampart_throttle_shared_calls_total 0\n"), std::string::npos) << m;
  }
  EXPECT_GT(events, 0);
}

}  // namespace
}  // namespace rampart

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
//   Frozen    every redis-server SIGSTOPped for 10 s (RampartdClusterFrozen,
//             below): scans through both nodes answered in time with
//             REP_UNAVAILABLE, event POSTs answered (200 or 503), the scan
//             events queued meanwhile counted exactly once after SIGCONT.
//   Spool     (RampartdClusterSpool) a node with --data-dir stopped by
//             SIGTERM while Redis is frozen writes its queued scan events to
//             <data-dir>/spool within drain_ms and exits; started again
//             after SIGCONT it applies them: each counted exactly once.
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
  bool start(const std::string& tmp, const std::string& config, const std::string& log,
             const std::string& data_dir = "") {
    const char* bin = std::getenv("RAMPARTD_BIN");
    if (!bin) return false;
    std::vector<std::string> argv = {bin,      "--config",    config,   "--milter",   "127.0.0.1:0",
                                     "--http", "127.0.0.1:0", "--zone", tmp + "/zone"};
    if (!data_dir.empty()) argv.insert(argv.end(), {"--data-dir", data_dir});
    http_port = 0;
    if (!child.start(argv, log, true)) return false;
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

  // The rest of [reputation], then other sections.
  virtual std::string config_tail() const {
    return "redis_retry_deadline_ms = 30000\n"
           "[throttle.ip]\nper_minute = 0.00001\nburst = 5.0\n"
           "[throttle.sasl_user]\nper_minute = 0.00001\nburst = 4.0\n";
  }

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
                          << "[reputation]\nstore = \"redis\"\nredis_seeds = [" << seeds << "]\n"
                          << config_tail();
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
  // The victim acknowledged its writes only after a WAIT (its replica held
  // them): the nodes' writes to it were followed by WAITs. (Right after the
  // cluster formed a node's CLUSTER SLOTS could list no replica, and none
  // was sent: what the replica had not yet received was lost at the kill.)
  const std::string stats = rampart::testing::node_command(victim_port, {"INFO", "commandstats"});
  const size_t wait_at = stats.find("cmdstat_wait:calls=");
  const long waits = wait_at == std::string::npos ? 0 : std::stol(stats.substr(wait_at + 19));
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
  EXPECT_GT(waits, 0) << "writes to " << victim << " acknowledged without a WAIT";
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

// Redis stops answering altogether for 10 s: every redis-server is
// SIGSTOPped (connections stay open, nothing is answered, the kernel still
// completes connects), while a client scans through both nodes and another
// posts /v1/events to both.
//   - every scan is answered within its deadline (scan_timeout_s = 2) with
//     REP_UNAVAILABLE, never a tempfail: mail is not held for reputation;
//   - every /v1/events POST is answered within the same bound: 200 (applied)
//     or 503 (refused, or in doubt: a write that reached a frozen master may
//     still apply when it wakes);
//   - after SIGCONT the scan events queued meanwhile are applied exactly once
//     (the volume of each scanning client's ip: is exactly its scans), and the
//     posted events between acknowledged and acknowledged + in doubt.
// The store's retry deadline is short (500 ms) so that a call gives up while
// Redis is away, as rampartd's defaults would within 5 s.
class RampartdClusterFrozen : public RampartdCluster {
 protected:
  std::string config_tail() const override {
    return "redis_retry_deadline_ms = 500\nflush_ms = 50\n"
           "[server]\nscan_timeout_s = 2\n"
           "[throttle.ip]\nper_minute = 600000\nburst = 100000\n"
           "[throttle.net]\nper_minute = 600000\nburst = 100000\n";
  }
};

TEST_F(RampartdClusterFrozen, RedisUnansweringForTenSeconds) {
  const std::string scan_headers =
      "X-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n"
      "X-Rcpt-To: bob@example.net\r\n";
  const std::string msg =
      "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hi\r\n"
      "Message-ID: <x@good.test>\r\n\r\nhello\r\n";
  const uint16_t ports[2] = {a.http_port, b.http_port};
  const std::string scan_ip[2] = {"192.0.2.61", "192.0.2.62"};  // one client per node (SPF pass)
  // Connected and answering before the freeze.
  for (int n = 0; n < 2; ++n) {
    const std::string r = post(ports[n], "/v1/scan", msg, "X-Client-IP: 192.0.2.99\r\n" + scan_headers);
    ASSERT_EQ(status_of(r), 200) << r;
    ASSERT_EQ(body_of(r).find("REP_UNAVAILABLE"), std::string::npos) << r;
  }
  const std::string ts = std::to_string(std::time(nullptr));
  const std::string event_ip = "203.0.113.77";
  const std::string event_line =
      "{\"time\": " + ts + ", \"type\": \"message\", \"ip\": \"" + event_ip + "\", \"recipients\": 1}\n";
  ASSERT_EQ(status_of(post(a.http_port, "/v1/events", event_line)), 200);
  double acked_events = 1, doubt_events = 0;

  constexpr auto kFrozen = std::chrono::seconds(10);
  constexpr double kScanBoundMs = 2500;  // scan_timeout_s plus the answer's way back
  std::atomic<bool> frozen_over{false};
  int scans[2] = {0, 0}, unavailable = 0, late = 0, not_ok = 0;
  double slowest_scan_ms = 0, slowest_post_ms = 0;
  int posts_ok = 0, posts_503 = 0, posts_other = 0;
  std::string last_bad, last_other, last_late;
  // What the nodes' HTTP listeners hold meanwhile: a request answered with
  // nothing is a connection refused at accept (the per-address cap, 100)
  // or one the client could not make; the sampler tells which.
  auto metric = [&](uint16_t port, const std::string& series) {
    const std::string m = body_of(get(port, "/metrics"));
    const size_t at = m.find("\n" + series + " ");
    return at == std::string::npos ? -1.0 : std::atof(m.c_str() + at + series.size() + 2);
  };
  const std::string open_series = "rampart_listener_connections{listener=\"http\"}";
  const std::string refused_series = "rampart_connections_refused_total{listener=\"http\",limit=\"address\"}";
  double most_open = 0;
  for (int p : cluster.ports) cluster.kill_port(p, SIGSTOP);
  const auto frozen_at = std::chrono::steady_clock::now();
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling.load()) {
      for (uint16_t port : ports) most_open = std::max(most_open, metric(port, open_series));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::thread poster([&] {
    for (int i = 0; !frozen_over.load(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::string r = post(ports[i % 2], "/v1/events", event_line);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      slowest_post_ms = std::max(slowest_post_ms, ms);
      if (status_of(r) == 200) {
        ++posts_ok;
        acked_events += 1;
      } else if (status_of(r) == 503) {
        ++posts_503;
        doubt_events += 1;
      } else {
        ++posts_other;
        doubt_events += 1;
        last_other =
            "after " + std::to_string(static_cast<int>(ms)) + " ms: [" + r + "] (" + e2e::http_error + ")";
      }
    }
  });
  // Scans paced at one per 5 ms: each is a new TCP connection that stays in
  // TIME_WAIT for 60 s on this side, and unpaced (1,000+ a second) they use
  // up the 28k local ports towards a node, so that a later connect fails at
  // once (seen: a POST "answered" with nothing after 0 ms).
  auto next_scan = std::chrono::steady_clock::now();
  for (int i = 0; std::chrono::steady_clock::now() - frozen_at < kFrozen; ++i) {
    std::this_thread::sleep_until(next_scan);  // the client's pace, not a wait for a result
    next_scan += std::chrono::milliseconds(5);
    const int n = i % 2;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string r =
        post(ports[n], "/v1/scan", msg, "X-Client-IP: " + scan_ip[n] + "\r\n" + scan_headers);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    slowest_scan_ms = std::max(slowest_scan_ms, ms);
    ++scans[n];
    const std::string j = body_of(r);
    // Why an answer was short or late: the client's step that failed (e2e::http_error), the time.
    const std::string why = "scan " + std::to_string(i) + " to node " + std::string(n ? "b" : "a") +
                            " after " + std::to_string(static_cast<int>(ms)) + " ms (" +
                            (e2e::http_error.empty() ? "answered" : e2e::http_error) + "): [" + r + "]";
    if (ms > kScanBoundMs) {
      ++late;
      last_late = why;
    }
    if (status_of(r) != 200 || j.find("\"action\": \"tempfail\"") != std::string::npos) {
      ++not_ok;
      last_bad = why;
    } else if (j.find("REP_UNAVAILABLE") != std::string::npos) {
      ++unavailable;
    } else {
      last_bad = why;
    }
  }
  for (int p : cluster.ports) cluster.kill_port(p, SIGCONT);
  frozen_over = true;
  poster.join();
  sampling = false;
  sampler.join();
  const double refused = metric(ports[0], refused_series) + metric(ports[1], refused_series);
  std::printf(
      "HTTP connections open at most %.0f on a node during the freeze; refused by the per-address cap: "
      "%.0f\n",
      most_open, refused);
  std::printf(
      "Redis frozen 10 s: %d + %d scans, %d with REP_UNAVAILABLE, slowest %.0f ms; %d event POSTs: %d 200, "
      "%d "
      "503, %d other, slowest %.0f ms\n",
      scans[0], scans[1], unavailable, slowest_scan_ms, posts_ok + posts_503 + posts_other, posts_ok,
      posts_503, posts_other, slowest_post_ms);
  EXPECT_GT(scans[0] + scans[1], 10);
  EXPECT_EQ(late, 0) << "slowest scan " << slowest_scan_ms << " ms; the last late one: " << last_late;
  EXPECT_EQ(not_ok, 0) << last_bad;
  EXPECT_EQ(unavailable, scans[0] + scans[1]) << last_bad;
  EXPECT_LT(slowest_post_ms, kScanBoundMs);
  EXPECT_EQ(posts_other, 0) << last_other << " (at most " << most_open << " open, " << refused
                            << " refused by the per-address cap)";
  ASSERT_TRUE(cluster.wait_healthy(cluster.ports)) << cluster.error;

  // Everything queued is written once Redis answers again (the store's
  // breaker retries after its backoff, up to 16 s here): both nodes say
  // nothing waits, in the flush queue or the store writer's, and each
  // scanning client's volume has come in.
  auto drained = [&](uint16_t port) {
    const std::string m = body_of(get(port, "/metrics"));
    return m.find("rampart_reputation_pending_events 0\n") != std::string::npos &&
           m.find("rampart_reputation_store_queued_events 0\n") != std::string::npos;
  };
  auto volume_of = [&](const std::string& ip) {
    const std::string r = get(a.http_port, "/v1/reputation/ip:" + ip + "?counters=1");
    return status_of(r) == 200 ? counter(body_of(r), "volume", "month") : -2;
  };
  ASSERT_TRUE(e2e::poll_until(
      [&] {
        return drained(a.http_port) && drained(b.http_port) && volume_of(scan_ip[0]) >= scans[0] - 0.5 &&
               volume_of(scan_ip[1]) >= scans[1] - 0.5;
      },
      std::chrono::seconds(90)))
      << "volumes " << volume_of(scan_ip[0]) << " / " << volume_of(scan_ip[1]) << " for " << scans[0] << " / "
      << scans[1] << " scans\n"
      << body_of(get(a.http_port, "/metrics"));
  // Exactly once: each queued scan event counted once, on whichever node
  // (within half an event: the month window decays the 10 s of events by a
  // few thousandths in all; counting one twice adds 1).
  for (int n = 0; n < 2; ++n) {
    const double v = volume_of(scan_ip[n]);
    EXPECT_NEAR(v, scans[n], 0.5) << "ip:" << scan_ip[n] << ": " << scans[n] << " scans, volume " << v;
  }
  const double ev = volume_of(event_ip);
  std::printf(
      "after SIGCONT: scan volumes %.3f / %.3f for %d / %d scans; posted events counted %.0f (%.0f "
      "acknowledged, %.0f answered 503: in doubt, written at most once)\n",
      volume_of(scan_ip[0]), volume_of(scan_ip[1]), scans[0], scans[1], ev, acked_events, doubt_events);
  EXPECT_GE(ev, acked_events - 1e-3) << "acknowledged events lost";
  EXPECT_LE(ev, acked_events + doubt_events + 1e-3) << "events counted twice";
  // Both nodes read the same.
  for (const std::string& ip : {scan_ip[0], scan_ip[1], event_ip}) {
    const std::string t = "/v1/reputation/ip:" + ip + "?counters=1";
    EXPECT_EQ(counter(body_of(get(a.http_port, t)), "volume", "month"),
              counter(body_of(get(b.http_port, t)), "volume", "month"))
        << ip;
  }
}

class RampartdClusterSpool : public RampartdCluster {
 protected:
  std::string config_tail() const override {
    return "redis_retry_deadline_ms = 500\nflush_ms = 50\ndrain_ms = 300\n"
           "[server]\nscan_timeout_s = 2\n"
           "[throttle.ip]\nper_minute = 600000\nburst = 100000\n"
           "[throttle.net]\nper_minute = 600000\nburst = 100000\n";
  }
};

// The SIGTERM path of rampartd's Daemon: queued events that cannot be
// written in time are spooled, and replayed once at the next start.
TEST_F(RampartdClusterSpool, QueuedEventsSurviveSigtermWhileRedisIsFrozen) {
  const std::string data = tmp + "/c-data", spool = data + "/spool";
  Daemon c;
  ASSERT_TRUE(c.start(tmp, config, tmp + "/c.log", data)) << e2e::slurp(tmp + "/c.log");
  const std::string scan_headers =
      "X-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob@example.net\r\n";
  const std::string msg =
      "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hi\r\n"
      "Message-ID: <s@good.test>\r\n\r\nhello\r\n";
  const std::string ip = "192.0.2.71";
  auto volume_of = [&](const std::string& who) {
    const std::string r = get(a.http_port, "/v1/reputation/ip:" + who + "?counters=1");
    return status_of(r) == 200 ? counter(body_of(r), "volume", "month") : -2;
  };
  auto spooled_lines = [&] {
    size_t n = 0;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(spool, ec)) {
      std::ifstream in(f.path());
      for (std::string line; std::getline(in, line);)
        if (line.find(ip) != std::string::npos) ++n;
    }
    return n;
  };
  // Answering before the freeze (and nothing of this client counted yet).
  ASSERT_EQ(status_of(post(c.http_port, "/v1/scan", msg, "X-Client-IP: 192.0.2.98\r\n" + scan_headers)), 200);
  ASSERT_EQ(volume_of(ip), 0);

  constexpr int kScans = 20;
  for (int p : cluster.ports) cluster.kill_port(p, SIGSTOP);
  int unavailable = 0;
  for (int i = 0; i < kScans; ++i) {
    const std::string r = post(c.http_port, "/v1/scan", msg, "X-Client-IP: " + ip + "\r\n" + scan_headers);
    ASSERT_EQ(status_of(r), 200) << r;
    if (body_of(r).find("REP_UNAVAILABLE") != std::string::npos) ++unavailable;
  }
  EXPECT_EQ(unavailable, kScans);
  const auto t0 = std::chrono::steady_clock::now();
  c.child.signal(SIGTERM);
  const int status = c.child.wait(std::chrono::seconds(20));
  c.child.kill_now();  // exited: closes its stdout pipe before the restart
  const double exit_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const size_t spooled = spooled_lines();
  for (int p : cluster.ports) cluster.kill_port(p, SIGCONT);
  EXPECT_EQ(status, 0) << e2e::slurp(tmp + "/c.log");
  // drain_ms, then the join of a store call in progress (redis_retry_deadline_ms).
  EXPECT_LT(exit_ms, 5000);
  // Every queued scan event is in the spool (a batch in flight too: its op
  // id makes it count once even if Redis applies it after SIGCONT).
  EXPECT_EQ(spooled, static_cast<size_t>(kScans)) << e2e::slurp(tmp + "/c.log");
  std::printf("SIGTERM with Redis frozen: exit after %.0f ms, %zu of %d scan events spooled\n", exit_ms,
              spooled, kScans);
  ASSERT_TRUE(cluster.wait_healthy(cluster.ports)) << cluster.error;

  // The next start applies the spool (each batch once) and removes it.
  ASSERT_TRUE(c.start(tmp, config, tmp + "/c2.log", data)) << e2e::slurp(tmp + "/c2.log");
  EXPECT_EQ(spooled_lines(), 0u);
  ASSERT_TRUE(e2e::poll_until([&] { return volume_of(ip) >= kScans - 0.5; }, std::chrono::seconds(30)))
      << "volume " << volume_of(ip) << " for " << kScans << " scans\n"
      << e2e::slurp(tmp + "/c2.log");
  EXPECT_NEAR(volume_of(ip), kScans, 0.5) << "the spooled events counted more than once";
  c.child.signal(SIGTERM);
  EXPECT_EQ(c.child.wait(std::chrono::seconds(20)), 0);
}

}  // namespace
}  // namespace rampart

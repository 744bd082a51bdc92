// File: tests/rampartd_spool_test.cc
// Queued events survive SIGTERM and are counted once, at process level
// (issue 11): the real rampartd with the RocksDB store (--data-dir), events
// POSTed to /v1/events (with a token) while the store's writer is held, then
// SIGTERM, then rampartd started again on the same data directory.
//
// Holding the writer: [reputation] debug_write_delay_ms (a knob for tests
// only, documented as such in src/policy/feedback.h and
// src/reputation/README.md) makes the writer thread sleep before each group
// write, as a stalled disk would. No fake store: the process, its HTTP
// server, its StoreService and its RocksDB are the production ones.
//
// What it checks:
//   - an event batch acknowledged (200) before SIGTERM is counted once;
//   - batches queued behind the held writer are spooled to
//     <data-dir>/spool at SIGTERM (every event line), and rampartd exits 0;
//   - the group in flight at SIGTERM is both spooled and written by the
//     writer when its sleep ends (before the process exits): the replay at
//     the next start skips it by its op id (fewer batches applied than
//     spooled) and nothing is counted twice;
//   - after the restart GET /v1/reputation/ip:..?counters=1 reads exactly
//     the events posted (every event at one time stamp: exact sums).
// Every wait polls with a deadline.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "server/http/access.h"

namespace rampart {
namespace {

const std::string kToken = "spool-test-token";
const std::string kAuth = "Authorization: Bearer " + kToken + "\r\n";
const std::string kIp = "198.51.100.7";
constexpr int kPerPost = 10;  // events per POST (one batch, one op id)
constexpr int kQueued = 5;    // POSTs queued behind the held writer at SIGTERM

int status_of(const std::string& resp) { return resp.size() < 12 ? -1 : std::atoi(resp.c_str() + 9); }

std::string body_of(const std::string& resp) {
  const size_t p = resp.find("\r\n\r\n");
  return p == std::string::npos ? "" : resp.substr(p + 4);
}

// counters.volume.month from a ?counters=1 answer (-1 when absent).
double volume_month(const std::string& json) {
  const size_t c = json.find("\"counters\": {");
  if (c == std::string::npos) return -1;
  const size_t m = json.find("\"volume\": {", c);
  if (m == std::string::npos) return -1;
  const size_t w = json.find("\"month\": ", m);
  if (w == std::string::npos) return -1;
  return std::strtod(json.c_str() + w + 9, nullptr);
}

// A metric's value from GET /metrics (-1 when absent).
double metric(uint16_t port, const std::string& name) {
  const std::string r = e2e::http(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", 10);
  const size_t p = r.find("\n" + name + " ");
  if (p == std::string::npos) return -1;
  return std::strtod(r.c_str() + p + name.size() + 2, nullptr);
}

struct Daemon {
  e2e::Child child;
  uint16_t http_port = 0;
  bool start(const std::string& tmp, const std::string& config, const std::string& log,
             const std::string& data_dir) {
    const char* bin = std::getenv("RAMPARTD_BIN");
    if (!bin) return false;
    const std::vector<std::string> argv = {bin,           "--config",   config,        "--milter",
                                           "127.0.0.1:0", "--http",     "127.0.0.1:0", "--zone",
                                           tmp + "/zone", "--data-dir", data_dir};
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

class RampartdSpool : public ::testing::Test {
 protected:
  std::string tmp, config, data, spool;
  void SetUp() override {
    ASSERT_NE(std::getenv("RAMPARTD_BIN"), nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    tmp = ::testing::TempDir() + "/rampartd_spool." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    std::ofstream(tmp + "/zone") << "$ORIGIN example.\n$TTL 300\n@ TXT \"none\"\n";
    data = tmp + "/data";
    spool = data + "/spool";
    std::filesystem::create_directories(data);
    config = tmp + "/rampart.toml";
    // The writer sleeps 5 s before each group; SIGTERM gives open HTTP
    // requests 1 s, then the queued events 200 ms, then spools the rest.
    std::ofstream(config)
        << "[[http.tokens]]\nname = \"spool\"\nsha256 = \"" << server::token_sha256_hex(kToken)
        << "\"\nrights = [\"read\", \"events\"]\n"
        << "[server]\ndrain_timeout_s = 1\n"
        << "[reputation]\nstore = \"rocksdb\"\ndrain_ms = 200\ndebug_write_delay_ms = 5000\n";
  }
  void TearDown() override {
    if (HasFailure())
      std::printf("--- first run ---\n%s\n--- second run ---\n%s\n", e2e::slurp(tmp + "/a.log").c_str(),
                  e2e::slurp(tmp + "/b.log").c_str());
    std::filesystem::remove_all(tmp);
  }
  size_t spooled_lines() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(spool, ec)) {
      std::ifstream in(f.path());
      for (std::string line; std::getline(in, line);)
        if (line.find(kIp) != std::string::npos) ++n;
    }
    return n;
  }
};

std::string events_body(int64_t t, int n) {
  std::string body;
  for (int i = 0; i < n; ++i)
    body += "{\"time\": " + std::to_string(t) + ", \"type\": \"message\", \"ip\": \"" + kIp +
            "\", \"recipients\": 1}\n";
  return body;
}

std::string post_events(uint16_t port, const std::string& body, int timeout_s) {
  return e2e::http(port,
                   "POST /v1/events HTTP/1.1\r\nHost: localhost\r\n" + kAuth +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                   timeout_s);
}

TEST_F(RampartdSpool, QueuedEventsSurviveSigtermAndCountOnce) {
  const int64_t t = std::time(nullptr);  // every event at this second: exact sums
  Daemon a;
  ASSERT_TRUE(a.start(tmp, config, tmp + "/a.log", data));

  // One batch acknowledged before SIGTERM (it waits out one held write).
  const std::string first = post_events(a.http_port, events_body(t, kPerPost), 30);
  ASSERT_EQ(status_of(first), 200) << first;

  // kQueued more, each its own request and batch, while the writer is held:
  // the first alone in the group being written, the others queued behind it.
  std::vector<std::thread> posters;
  std::vector<std::string> answers(kQueued);
  auto post_one = [&](int i) {
    posters.emplace_back(
        [&, i] { answers[static_cast<size_t>(i)] = post_events(a.http_port, events_body(t, kPerPost), 30); });
  };
  post_one(0);
  ASSERT_TRUE(e2e::poll_until(
      [&] { return metric(a.http_port, "rampart_reputation_store_writing_events") == kPerPost; },
      std::chrono::seconds(20)))
      << "writing " << metric(a.http_port, "rampart_reputation_store_writing_events");
  for (int i = 1; i < kQueued; ++i) post_one(i);
  ASSERT_TRUE(e2e::poll_until(
      [&] { return metric(a.http_port, "rampart_reputation_store_queued_events") == kQueued * kPerPost; },
      std::chrono::seconds(20)))
      << "queued " << metric(a.http_port, "rampart_reputation_store_queued_events");
  // Still held: the first batch is the one in flight.
  ASSERT_EQ(metric(a.http_port, "rampart_reputation_store_writing_events"), kPerPost);
  a.child.signal(SIGTERM);
  const int status = a.child.wait(std::chrono::seconds(30));
  a.child.kill_now();  // closes its stdout pipe before the restart
  for (auto& p : posters) p.join();
  EXPECT_EQ(status, 0);
  int acked_late = 0;
  for (const std::string& r : answers) acked_late += status_of(r) == 200;
  // The writer was held past the HTTP drain: none of them was acknowledged.
  EXPECT_EQ(acked_late, 0);
  // Every queued event is in the spool, the group in flight too.
  EXPECT_EQ(spooled_lines(), static_cast<size_t>(kQueued * kPerPost));
  const std::string log_a = e2e::slurp(tmp + "/a.log");
  EXPECT_NE(log_a.find("spooled to"), std::string::npos) << log_a;

  // Started again on the same data directory: the spool is applied once
  // and removed; the batch that was in flight (written when the writer's
  // sleep ended, before the exit) is skipped by its op id.
  Daemon b;
  ASSERT_TRUE(b.start(tmp, config, tmp + "/b.log", data));
  EXPECT_EQ(spooled_lines(), 0u);
  const std::string log_b = e2e::slurp(tmp + "/b.log");
  const size_t at = log_b.find(" spooled event batches applied");
  ASSERT_NE(at, std::string::npos) << log_b;
  size_t num = at;
  while (num > 0 && std::isdigit(static_cast<unsigned char>(log_b[num - 1]))) --num;
  const int applied = std::atoi(log_b.c_str() + num);
  // The queued ones applied now; the one in flight was written when the
  // writer's sleep ended (before the exit) and is skipped by its op id.
  EXPECT_EQ(applied, kQueued - 1);

  const std::string r = e2e::http(
      b.http_port,
      "GET /v1/reputation/ip:" + kIp + "?counters=1 HTTP/1.1\r\nHost: localhost\r\n" + kAuth + "\r\n", 30);
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_DOUBLE_EQ(volume_month(body_of(r)), (1 + kQueued) * kPerPost)
      << "every event counted exactly once: " << body_of(r);
  std::printf(
      "acknowledged before SIGTERM %d, spooled %d, batches applied at restart %d of %d, volume %.1f\n",
      kPerPost, kQueued * kPerPost, applied, kQueued, volume_month(body_of(r)));
  b.child.signal(SIGTERM);
  EXPECT_EQ(b.child.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace rampart

// File: src/server/server_test.cc
// ServerOptions::from: [server] read once, strictly (issue 11).
#include "server/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/executor.h"
#include "dns/zone_resolver.h"
#include "e2e_support.h"

namespace rampart::server {
namespace {

Result<ServerOptions> read(const std::string& toml) {
  auto cfg = Config::parse(toml, "s.toml");
  if (!cfg) return tl::unexpected(cfg.error());
  auto so = ServerOptions::from(*cfg);
  auto f = cfg->finish();
  if (!so) return so;
  if (!f) return tl::unexpected(f.error());
  return so;
}

TEST(ServerOptions, StrictKeysAndValues) {
  struct Case {
    const char* toml;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"[server]\nmilter = \"127.0.0.1\"\n", "s.toml:2:1: server.milter: \"127.0.0.1\": needs a port"},
      {"[server]\nhttp = \"off\"\nmilter = \"[::1]:0\"\n", nullptr},
      {"[server]\nhttp = \"localhost:80\"\n", "server.http: \"localhost:80\": not an IP address"},
      {"[server]\nmax_connections = -5\n", "server.max_connections: -5 is out of range"},
      {"[server]\nloops = 2\n", nullptr},
      {"[server]\nloops = -1\n", "server.loops: -1 is out of range"},
      {"[server]\nloops = 1000\n", "server.loops: 1000 is out of range"},
      {"[server]\nlops = 2\n", "s.toml:2:1: server.lops: unknown key"},
  };
  for (const Case& c : cases) {
    auto r = read(c.toml);
    if (!c.error) {
      EXPECT_TRUE(r) << c.toml << ": " << r.error().message;
    } else {
      ASSERT_FALSE(r) << c.toml;
      EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.toml << ": " << r.error().message;
    }
  }
}

TEST(ServerOptions, LoopsDefaultToTheCores) {
  auto r = read("");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->loops, std::max(1u, std::thread::hardware_concurrency()));
  auto two = read("[server]\nloops = 2\nhttp = \"off\"\n");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->loops, 2u);
  EXPECT_TRUE(two->http_listen.empty());
}

// A check that finishes on another thread and comes back through
// current_executor(), as the off-loop stores do: the completion must run on
// the loop thread that started the check, on every loop.
class OffLoopCheck final : public policy::Check {
 public:
  struct Seen {
    std::mutex mu;
    std::set<std::thread::id> loop_threads;
    std::atomic<int> started{0}, same_thread{0}, other_thread{0}, no_executor{0};
  };
  explicit OffLoopCheck(Seen& seen) : seen_(seen) {}
  std::string_view name() const override { return "offloop"; }
  policy::Stage stage() const override { return policy::Stage::kData; }
  void run(const std::shared_ptr<policy::ScanState>&, std::function<void()> done) override {
    ++seen_.started;
    Executor* loop = current_executor();
    if (!loop) {
      ++seen_.no_executor;
      done();
      return;
    }
    const auto tid = std::this_thread::get_id();
    {
      std::lock_guard lk(seen_.mu);
      seen_.loop_threads.insert(tid);
    }
    std::thread([this, loop, tid, done = std::move(done)]() mutable {
      loop->post([this, tid, done = std::move(done)] {
        ++(std::this_thread::get_id() == tid ? seen_.same_thread : seen_.other_thread);
        done();
      });
    }).detach();
  }

 private:
  Seen& seen_;
};

TEST(Server, TwoLoopsPostBackToTheirOwnLoop) {
  SystemClock clock;
  dns::ZoneResolver r0, r1;
  OffLoopCheck::Seen seen;
  policy::PolicyConfig pc;
  pc.spf = pc.senderid = pc.dkim = pc.dmarc = pc.fcrdns = pc.header_sanity = pc.arc = false;
  pc.per_ip.enabled = pc.per_net.enabled = false;
  auto factory = [&](dns::Resolver& r) {
    auto p = policy::Pipeline::create(pc, r, clock, nullptr);
    p->add(std::make_unique<OffLoopCheck>(seen));
    return p;
  };
  ServerOptions o;
  o.milter_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  o.loops = 2;
  auto srv = Server::create(o, {&r0, &r1}, factory, nullptr);
  ASSERT_TRUE(srv) << srv.error().message;
  EXPECT_EQ((*srv)->loops(), 2u);
  EXPECT_FALSE(Server::create(o, {&r0}, factory, nullptr));  // one resolver per loop
  std::thread loop([&] { (*srv)->run(); });
  const std::string msg = "From: a@example.com\r\nTo: b@example.net\r\nSubject: x\r\n\r\nhello\r\n";
  int ok = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string r = e2e::http((*srv)->http_port(),
                                    "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: 192.0.2.1\r\n"
                                    "Content-Length: " +
                                        std::to_string(msg.size()) + "\r\n\r\n" + msg);
    ok += r.find("\"action\"") != std::string::npos;
  }
  (*srv)->stop();
  loop.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(seen.started.load(), 8);
  EXPECT_EQ(seen.no_executor.load(), 0);
  EXPECT_EQ(seen.same_thread.load(), 8);
  EXPECT_EQ(seen.other_thread.load(), 0);
  EXPECT_EQ(seen.loop_threads.size(), 2u);  // connections handed to both loops
}

// Over the per-address cap a connection gets 503 "too many connections",
// never an empty answer: the request the client sent at once must not turn
// the close into a reset that discards the 503 (rampartd_cluster_test saw a
// POST answered with nothing after 0 ms).
TEST(Server, OverThePerAddressCapTheClientReads503) {
  SystemClock clock;
  dns::ZoneResolver r0;
  policy::PolicyConfig pc;
  pc.spf = pc.senderid = pc.dkim = pc.dmarc = pc.fcrdns = pc.header_sanity = pc.arc = false;
  pc.per_ip.enabled = pc.per_net.enabled = false;
  auto factory = [&](dns::Resolver& r) { return policy::Pipeline::create(pc, r, clock, nullptr); };
  ServerOptions o;
  o.milter_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  o.loops = 1;
  o.http_max_per_address = 1;
  auto srv = Server::create(o, {&r0}, factory, nullptr);
  ASSERT_TRUE(srv) << srv.error().message;
  std::thread loop([&] { (*srv)->run(); });
  // The one connection 127.0.0.1 may have, held open.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons((*srv)->http_port());
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  // Admitted (the healthz answer comes back) before the others try.
  const std::string hz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(held, hz.data(), hz.size(), MSG_NOSIGNAL), static_cast<ssize_t>(hz.size()));
  char b[512];
  ASSERT_GT(::recv(held, b, sizeof b, 0), 0);
  const std::string body(3000, 'x');  // more than one segment's worth in flight
  int refused = 0, empty = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string r = e2e::http((*srv)->http_port(),
                                    "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: 192.0.2.1\r\n"
                                    "Content-Length: " +
                                        std::to_string(body.size()) + "\r\n\r\n" + body);
    refused += r.rfind("HTTP/1.1 503", 0) == 0 && r.find("too many connections") != std::string::npos;
    empty += r.empty();
  }
  ::close(held);
  (*srv)->stop();
  loop.join();
  EXPECT_EQ(empty, 0);
  EXPECT_EQ(refused, 20);
}

}  // namespace
}  // namespace rampart::server

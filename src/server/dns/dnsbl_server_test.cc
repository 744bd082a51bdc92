#include "server/dns/dnsbl_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "dns/wire.h"

namespace rampart::server::dns {
namespace {

dnsbl::ZoneSetPtr zones(const std::string& txt) {
  auto ds =
      dnsbl::load_dataset_text("ip4set", {"$SOA 1h ns.ex ad.ex 1 1 1 1 1\n:2:" + txt + "\n127.0.0.2\n"});
  EXPECT_TRUE(ds.has_value());
  return dnsbl::ZoneSet::build({{"bl.ex", *ds}});
}

// One UDP exchange with a deadline; empty on timeout.
std::vector<uint8_t> udp_ask(uint16_t port, const std::vector<uint8_t>& q, int timeout_ms = 2000) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  pollfd p{fd, POLLIN, 0};
  std::vector<uint8_t> out;
  if (::poll(&p, 1, timeout_ms) == 1) {
    out.resize(65535);
    ssize_t n = ::recv(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(fd);
  return out;
}

int tcp_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool read_full(int fd, uint8_t* p, size_t n) {
  while (n) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 2000) != 1) return false;
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

std::vector<uint8_t> tcp_read_one(int fd) {
  uint8_t len[2];
  if (!read_full(fd, len, 2)) return {};
  std::vector<uint8_t> m((len[0] << 8) | len[1]);
  if (!read_full(fd, m.data(), m.size())) return {};
  return m;
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& q) {
  std::vector<uint8_t> f(q.size() + 2);
  f[0] = static_cast<uint8_t>(q.size() >> 8);
  f[1] = static_cast<uint8_t>(q.size());
  std::copy(q.begin(), q.end(), f.begin() + 2);
  return f;
}

std::unique_ptr<DnsblServer> start(dnsbl::ZoneSetPtr z, unsigned threads, UdpMode mode = UdpMode::kAsio) {
  DnsblServerOptions o;
  o.udp_mode = mode;
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.threads = threads;
  o.tcp_idle_ms = 500;
  auto s = DnsblServer::create(o, std::move(z));
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  (*s)->start();
  return std::move(*s);
}

class Modes : public ::testing::TestWithParam<UdpMode> {};
INSTANTIATE_TEST_SUITE_P(DnsblServer, Modes, ::testing::Values(UdpMode::kAsio, UdpMode::kBlocking));

TEST_P(Modes, UdpAndTcpWithPipelining) {
  auto srv = start(zones("listed"), 2, GetParam());
  uint16_t port = srv->ports()[0];
  ASSERT_NE(port, 0);
  auto q = *rampart::dns::build_query(1, "2.0.0.127.bl.ex", rampart::dns::RRType::TXT);
  auto r = udp_ask(port, q);
  ASSERT_FALSE(r.empty());
  auto a = rampart::dns::parse_response(r, rampart::dns::RRType::TXT);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].txt()->text(), "listed");

  int fd = tcp_connect(port);
  ASSERT_GE(fd, 0);
  auto q2 = *rampart::dns::build_query(2, "3.0.0.127.bl.ex", rampart::dns::RRType::A);
  auto f1 = framed(q), f2 = framed(q2);
  std::vector<uint8_t> both(f1.size() + f2.size());
  std::copy(f1.begin(), f1.end(), both.begin());
  std::copy(f2.begin(), f2.end(), both.begin() + static_cast<long>(f1.size()));
  ASSERT_EQ(::write(fd, both.data(), both.size()), static_cast<ssize_t>(both.size()));
  auto r1 = tcp_read_one(fd), r2 = tcp_read_one(fd);
  EXPECT_EQ(rampart::dns::parse_response(r1, rampart::dns::RRType::TXT).status, rampart::dns::Status::kOk);
  EXPECT_EQ(rampart::dns::parse_response(r2, rampart::dns::RRType::A).status,
            rampart::dns::Status::kNxDomain);
  // An idle connection is closed after the deadline.
  uint8_t b;
  pollfd pf{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&pf, 1, 5000), 1);
  EXPECT_EQ(::read(fd, &b, 1), 0);
  ::close(fd);
  // Garbage gets no answer; the server still answers afterwards.
  EXPECT_TRUE(udp_ask(port, {1, 2, 3}, 200).empty());
  EXPECT_FALSE(udp_ask(port, q).empty());
  auto st = srv->stats();
  EXPECT_GE(st.udp_queries, 3u);
  EXPECT_EQ(st.tcp_queries, 2u);
  EXPECT_GE(st.dropped, 1u);
  srv->stop();
}

// rampart_dns_answer_seconds: each answer observed once, under its transport
// and rcode class; rendered with HELP and TYPE; nothing measured without it.
TEST_P(Modes, AnswerLatencyHistogram) {
  Metrics metrics;
  DnsblServerOptions o;
  o.udp_mode = GetParam();
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.tcp_idle_ms = 500;
  register_answer_histograms(metrics, o);
  auto s = DnsblServer::create(o, zones("listed"));
  ASSERT_TRUE(s) << s.error().message;
  (*s)->start();
  const uint16_t port = (*s)->ports()[0];
  auto listed = *rampart::dns::build_query(1, "2.0.0.127.bl.ex", rampart::dns::RRType::TXT);
  auto unlisted = *rampart::dns::build_query(2, "3.0.0.127.bl.ex", rampart::dns::RRType::A);
  auto outside = *rampart::dns::build_query(3, "www.example.org", rampart::dns::RRType::A);
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(udp_ask(port, listed).empty());
  ASSERT_FALSE(udp_ask(port, unlisted).empty());
  ASSERT_FALSE(udp_ask(port, outside).empty());
  int fd = tcp_connect(port);
  ASSERT_GE(fd, 0);
  auto f = framed(unlisted);
  ASSERT_EQ(::write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  ASSERT_FALSE(tcp_read_one(fd).empty());
  ::close(fd);
  (*s)->stop();
  const auto& h = o.answer_seconds;
  EXPECT_EQ(h[0][answer_class(0)]->count(), 3u);  // UDP NOERROR
  EXPECT_EQ(h[0][answer_class(3)]->count(), 1u);  // UDP NXDOMAIN
  EXPECT_EQ(h[0][answer_class(5)]->count(), 1u);  // UDP REFUSED (not our zone)
  EXPECT_EQ(h[0][3]->count(), 0u);
  EXPECT_EQ(h[1][answer_class(3)]->count(), 1u);  // TCP NXDOMAIN
  EXPECT_EQ(h[1][answer_class(0)]->count(), 0u);
  // A loopback answer takes some microseconds, well under 100 ms (the TSC's
  // calibration, latency clock in dnsbl_server.cc, is not off by orders of magnitude).
  EXPECT_EQ(h[0][0]->bucket(h[0][0]->bounds().size()), 0u);
  EXPECT_GT(h[0][0]->sum(), 0.0);
  EXPECT_LT(h[0][0]->sum() / 3, 0.1);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("# HELP rampart_dns_answer_seconds "), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE rampart_dns_answer_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("rampart_dns_answer_seconds_count{transport=\"udp\",rcode=\"NOERROR\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("rampart_dns_answer_seconds_bucket{transport=\"tcp\",rcode=\"NXDOMAIN\",le=\"+Inf\"} 1"),
      std::string::npos)
      << text;
}

TEST(DnsblServer, BatchedObservationsCountEachAnswer) {
  Histogram h({0.001, 0.01});
  h.observe(0.005, 7);
  h.observe(0.0001);
  h.observe(1.0, 0);  // nothing
  EXPECT_EQ(h.count(), 8u);
  EXPECT_EQ(h.bucket(0), 1u);
  EXPECT_EQ(h.bucket(1), 7u);
  EXPECT_EQ(h.bucket(2), 0u);
  EXPECT_NEAR(h.sum(), 0.0351, 1e-6);
}

TEST_P(Modes, SwapsZonesWithoutAFailedQuery) {
  auto srv = start(zones("v0"), 2, GetParam());
  uint16_t port = srv->ports()[0];
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, answers{0};
  std::set<std::string> seen;
  std::mutex mu;
  std::thread client([&] {
    auto q = *rampart::dns::build_query(3, "2.0.0.127.bl.ex", rampart::dns::RRType::TXT);
    while (!done) {
      auto r = udp_ask(port, q);
      auto a = rampart::dns::parse_response(r, rampart::dns::RRType::TXT);
      if (!a.ok() || a.records.size() != 1) {
        ++failures;
        continue;
      }
      ++answers;
      std::lock_guard<std::mutex> l(mu);
      seen.insert(a.records[0].txt()->text());
    }
  });
  for (int i = 1; i <= 20; ++i) {
    srv->set_zones(zones("v" + std::to_string(i)));
    // Wait until the new text is seen (deadline), then swap again.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (seen.count("v" + std::to_string(i))) break;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
      std::this_thread::yield();
    }
  }
  // Every version was seen (at least 20 answers); the last zone keeps
  // answering after the swaps (a deadline, not a count of swaps: on a quiet
  // machine each swap can be seen by the very next query).
  const auto settled = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (answers < 40 && std::chrono::steady_clock::now() < settled) std::this_thread::yield();
  done = true;
  client.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GE(answers, 40);
}

// The GSO planner: one client's equal lengths in a run, the last of a run
// may be shorter, never two clients or two shorter ones in one run, the
// caps on segments and bytes, every answer in exactly one group.
TEST(DnsblServer, PlanUdpSendsFollowsTheSegmentRule) {
  auto ref = [](uint64_t addr, uint32_t port, uint16_t len) {
    UdpAnswerRef r;
    r.addr_lo = addr;
    r.port_family = port << 16 | AF_INET;
    r.len = len;
    return r;
  };
  // Client 1: 50, 70, 50, 50, 30, 20; client 2: 50, 50.
  std::vector<UdpAnswerRef> a = {ref(1, 9, 50), ref(2, 9, 50), ref(1, 9, 70), ref(1, 9, 50),
                                 ref(1, 9, 50), ref(2, 9, 50), ref(1, 9, 30), ref(1, 9, 20)};
  uint8_t order[64];
  UdpSendGroup g[64];
  size_t n = plan_udp_sends(a.data(), a.size(), order, g);
  std::vector<std::vector<int>> runs;
  for (size_t i = 0; i < n; ++i) {
    runs.emplace_back();
    for (unsigned k = g[i].begin; k < g[i].end; ++k) runs.back().push_back(order[k]);
  }
  // 70 + one shorter (the first 50); 50, 50 + 30; 20 alone; client 2's 50, 50.
  std::vector<std::vector<int>> want = {{2, 0}, {3, 4, 6}, {7}, {1, 5}};
  EXPECT_EQ(runs, want);
  EXPECT_EQ(g[0].gso_size, 70);
  EXPECT_EQ(g[1].gso_size, 50);
  EXPECT_EQ(g[2].gso_size, 0);  // one answer: no UDP_SEGMENT
  EXPECT_EQ(g[3].gso_size, 50);
  // Another port of the same address is another client.
  std::vector<UdpAnswerRef> b = {ref(1, 9, 40), ref(1, 10, 40)};
  EXPECT_EQ(plan_udp_sends(b.data(), b.size(), order, g), 2u);
  // Caps: at most 3 segments, at most 100 bytes.
  std::vector<UdpAnswerRef> c(7, ref(1, 9, 40));
  n = plan_udp_sends(c.data(), c.size(), order, g, 3, 1000);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(g[0].end - g[0].begin, 3);
  EXPECT_EQ(g[2].end - g[2].begin, 1);
  n = plan_udp_sends(c.data(), c.size(), order, g, 64, 100);
  ASSERT_EQ(n, 4u);
  EXPECT_EQ(g[0].end - g[0].begin, 2);
  EXPECT_EQ(plan_udp_sends(c.data(), 0, order, g), 0u);
}

// Queries queued before the server starts are read in one batch, so the
// answers to each client go out grouped (UDP_SEGMENT): every client still
// gets each of its answers as its own datagram, byte for byte what
// dnsbl::answer() gives, and nothing of the other client's; garbage in
// the batch is dropped. With GSO off, one send per answer.
TEST_P(Modes, GroupedSendsGiveEachAnswerAsItsOwnDatagram) {
  auto ds = dnsbl::load_dataset_text(
      "ip4set", {"$SOA 1h ns.ex ad.ex 1 1 1 1 1\n:2:Listed $\n127.0.0.2\n10.1.1.1\n10.22.1.1 :3:x\n"
                 "100.1.1.1 :4:A longer text for this one, $\n10.1.1.22\n"});
  ASSERT_TRUE(ds.has_value());
  auto z = dnsbl::ZoneSet::build({{"bl.ex", *ds}});
  const char* names[] = {"1.1.1.10.bl.ex",  "1.1.22.10.bl.ex", "1.1.1.100.bl.ex", "22.1.1.10.bl.ex",
                         "9.9.9.9.bl.ex",   "99.9.9.9.bl.ex",  "2.0.0.127.bl.ex", "bl.ex",
                         "1.1.1.1.nope.ex", "3.3.3.10.bl.ex"};
  for (bool gso : {true, false}) {
    DnsblServerOptions o;
    o.udp_mode = GetParam();
    o.udp_gso = gso;
    o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
    auto s = DnsblServer::create(o, z);
    ASSERT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    DnsblServer& srv = **s;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(srv.ports()[0]);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    constexpr int kPerClient = 30;
    int fds[2];
    std::map<uint16_t, std::vector<uint8_t>> want[2];
    dnsbl::Collector scratch;
    dnsbl::Client local;
    local.addr[0] = 127;
    local.addr[3] = 1;
    for (int c = 0; c < 2; ++c) fds[c] = ::socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < kPerClient; ++i) {
      for (int c = 0; c < 2; ++c) {
        const uint16_t id = static_cast<uint16_t>(c * 1000 + i);
        const auto type = (i + c) % 3 ? rampart::dns::RRType::TXT : rampart::dns::RRType::A;
        auto q = *rampart::dns::build_query(id, names[(i * 7 + c) % 10], type);
        uint8_t out[4096];
        size_t n = dnsbl::answer(*z, q, dnsbl::Transport::kUdp, out, sizeof out, scratch, {}, &local);
        ASSERT_GT(n, 0u);
        want[c][id] = std::vector<uint8_t>(out, out + n);
        ASSERT_EQ(::sendto(fds[c], q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
                  static_cast<ssize_t>(q.size()));
        if (i == 5) {  // garbage: no answer
          const uint8_t junk[3] = {1, 2, 3};
          ASSERT_EQ(::sendto(fds[c], junk, 3, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 3);
        }
      }
    }
    srv.start();
    for (int c = 0; c < 2; ++c) {
      std::map<uint16_t, std::vector<uint8_t>> got;
      while (got.size() < want[c].size()) {
        pollfd p{fds[c], POLLIN, 0};
        ASSERT_EQ(::poll(&p, 1, 5000), 1) << "client " << c << " got " << got.size() << " answers";
        uint8_t buf[65536];
        ssize_t n = ::recv(fds[c], buf, sizeof buf, 0);
        ASSERT_GE(n, 12);
        const uint16_t id = static_cast<uint16_t>(buf[0] << 8 | buf[1]);
        ASSERT_TRUE(want[c].count(id)) << "client " << c << " got an answer with id " << id;
        EXPECT_TRUE(got.emplace(id, std::vector<uint8_t>(buf, buf + n)).second) << "twice: " << id;
      }
      EXPECT_EQ(got, want[c]) << "client " << c << (gso ? " with GSO" : " without");
      pollfd p{fds[c], POLLIN, 0};
      EXPECT_EQ(::poll(&p, 1, 100), 0) << "an answer too many";
      ::close(fds[c]);
    }
    auto st = srv.stats();
    srv.stop();
    EXPECT_EQ(st.udp_queries, 2u * (kPerClient + 1));
    EXPECT_EQ(st.dropped, 2u);
    if (gso)
      EXPECT_LT(st.udp_sends, 2u * kPerClient);  // grouped: fewer sends than answers
    else
      EXPECT_EQ(st.udp_sends, 2u * kPerClient);
  }
}

TEST(DnsblServer, BindErrorIsReported) {
  auto srv = start(zones("x"), 1);
  DnsblServerOptions o;
  HostPort hp = *parse_host_port("127.0.0.1:0", -1, true);
  hp.port = srv->ports()[0];
  o.listen.push_back(hp);
  // A second server on a port in use fails, though both would set
  // SO_REUSEPORT (it would take part of the first one's queries).
  auto again = DnsblServer::create(o, zones("y"));
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find(hp.to_string()), std::string::npos) << again.error().message;
  EXPECT_NE(again.error().message.find("in use"), std::string::npos) << again.error().message;
  o.listen[0] = *parse_host_port("192.0.2.1:5353");  // not a local address
  auto s = DnsblServer::create(o, zones("y"));
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("192.0.2.1:5353"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace rampart::server::dns

namespace rampart::server::dns {
namespace {

TEST(DnsblServer, RateLimitGivesTheExcessiveQueriesAnswer) {
  DnsblServerOptions o;
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.rate_limit = 1;  // one a second after a burst of 5
  o.rate_burst = 5;
  auto s = DnsblServer::create(o, zones("listed"));
  ASSERT_TRUE(s.has_value());
  (*s)->start();
  uint16_t port = (*s)->ports()[0];
  auto q = *rampart::dns::build_query(1, "3.0.0.127.bl.ex", rampart::dns::RRType::A);  // not listed
  int normal = 0, excessive = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = udp_ask(port, q);
    ASSERT_FALSE(r.empty());
    auto a = rampart::dns::parse_response(r, rampart::dns::RRType::A);
    if (a.status == rampart::dns::Status::kNxDomain) ++normal;
    if (a.ok() && a.records.size() == 1 && a.records[0].ip()->to_string() == "127.255.255.255") ++excessive;
  }
  EXPECT_GE(normal, 5);
  EXPECT_LE(normal, 7);  // the burst, and what one second refills at most
  EXPECT_EQ(normal + excessive, 12);
  // Queries that are not DNSBL names are still answered as usual.
  auto soa = udp_ask(port, *rampart::dns::build_query(2, "bl.ex", rampart::dns::RRType::SOA));
  EXPECT_EQ(rampart::dns::parse_header(soa)->ancount, 1);
  EXPECT_GE((*s)->stats().rate_limited, 5u);
}

// With the queries spread per query (kQueryId, kShared) a client's queries
// reach every thread, and its token bucket is one for all of them: the
// same burst as with one thread (kHash gives each thread its own table).
struct SpreadCase {
  UdpSpread spread;
  UdpMode mode;
};
class Spreads : public ::testing::TestWithParam<SpreadCase> {};
INSTANTIATE_TEST_SUITE_P(DnsblServer, Spreads,
                         ::testing::Values(SpreadCase{UdpSpread::kQueryId, UdpMode::kAsio},
                                           SpreadCase{UdpSpread::kQueryId, UdpMode::kBlocking},
                                           SpreadCase{UdpSpread::kShared, UdpMode::kBlocking}));

std::unique_ptr<DnsblServer> start_spread(UdpSpread spread, UdpMode mode, double rate = 0, double burst = 0) {
  DnsblServerOptions o;
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.threads = 2;
  o.udp_mode = mode;
  o.udp_spread = spread;
  o.rate_limit = rate;
  o.rate_burst = burst;
  auto s = DnsblServer::create(o, zones("listed"));
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  if (!s) return nullptr;
  (*s)->start();
  return std::move(*s);
}

TEST_P(Spreads, RateLimitIsOneBucketForAllThreads) {
  auto srv = start_spread(GetParam().spread, GetParam().mode, 1, 5);
  ASSERT_TRUE(srv);
  uint16_t port = srv->ports()[0];
  int normal = 0, excessive = 0;
  for (int i = 0; i < 16; ++i) {
    // A new socket and ID each time: the queries land on both threads.
    auto q = *rampart::dns::build_query(static_cast<uint16_t>(i), "3.0.0.127.bl.ex", rampart::dns::RRType::A);
    auto r = udp_ask(port, q);
    ASSERT_FALSE(r.empty());
    auto a = rampart::dns::parse_response(r, rampart::dns::RRType::A);
    if (a.status == rampart::dns::Status::kNxDomain) ++normal;
    if (a.ok() && a.records.size() == 1 && a.records[0].ip()->to_string() == "127.255.255.255") ++excessive;
  }
  EXPECT_GE(normal, 5);
  EXPECT_LE(normal, 7);  // the burst, and what one second refills at most (not twice the burst)
  EXPECT_EQ(normal + excessive, 16);
}

// Queries from one client socket: each answered; kQueryId puts the even IDs
// on the first thread and the odd ones on the second, whatever the socket
// (the kernel's hash, kHash, puts one socket's queries on one thread).
TEST_P(Spreads, QueriesOfOneSocketAreAnsweredAndSpread) {
  auto srv = start_spread(GetParam().spread, GetParam().mode);
  ASSERT_TRUE(srv);
  uint16_t port = srv->ports()[0];
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  for (uint16_t id = 100; id < 140; ++id) {
    auto q = *rampart::dns::build_query(id, "2.0.0.127.bl.ex", rampart::dns::RRType::TXT);
    ASSERT_EQ(::send(fd, q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
    pollfd pf{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&pf, 1, 5000), 1) << "no answer to query " << id;
    std::vector<uint8_t> r(4096);
    ssize_t n = ::recv(fd, r.data(), r.size(), 0);
    ASSERT_GT(n, 0);
    r.resize(static_cast<size_t>(n));
    EXPECT_EQ(rampart::dns::parse_header(r)->id, id);
    auto a = rampart::dns::parse_response(r, rampart::dns::RRType::TXT);
    ASSERT_EQ(a.records.size(), 1u);
    EXPECT_EQ(a.records[0].txt()->text(), "listed");
  }
  ::close(fd);
  auto st = srv->stats();
  ASSERT_EQ(st.udp_queries_by_thread.size(), 2u);
  EXPECT_EQ(st.udp_queries, 40u);
  if (GetParam().spread == UdpSpread::kQueryId) {
    EXPECT_EQ(st.udp_queries_by_thread[0], 20u);
    EXPECT_EQ(st.udp_queries_by_thread[1], 20u);
  }
}

TEST(DnsblServer, SharedSocketNeedsBlockingMode) {
  DnsblServerOptions o;
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.threads = 2;
  o.udp_mode = UdpMode::kAsio;
  o.udp_spread = UdpSpread::kShared;
  auto s = DnsblServer::create(o, zones("x"));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::kConfig);
}

TEST(DnsblServer, ClientsRepeatIsExactAgainstPairwise) {
  std::mt19937_64 rnd(14);
  int repeats = 0;
  for (int round = 0; round < 2000; ++round) {
    size_t n = rnd() % 65;
    std::vector<UdpAnswerRef> a(n);
    for (auto& r : a) {
      // Few addresses and ports, so that repeats and near misses (same
      // address, other port; same port, other family) both occur.
      r.addr_lo = rnd() % 3;
      r.addr_hi = rnd() % 8 == 0 ? 1 : 0;
      r.port_family =
          static_cast<uint32_t>(rnd() % (round % 2 ? 4096 : 200)) << 16 | (rnd() % 2 ? AF_INET : AF_INET6);
      r.len = static_cast<uint16_t>(rnd() % 512);
    }
    bool want = false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        want |= a[i].addr_lo == a[j].addr_lo && a[i].addr_hi == a[j].addr_hi &&
                a[i].port_family == a[j].port_family;
    ASSERT_EQ(udp_clients_repeat(a.data(), n), want) << "round " << round << " n " << n;
    repeats += want;
  }
  EXPECT_GT(repeats, 200);  // both outcomes were checked
  EXPECT_LT(repeats, 1800);
}

// Zone transfers through the server (dnsbl::Xfr): an AXFR of a zone big
// enough for many TCP messages, all signed, then a signed SOA query over
// UDP answered signed; unsigned transfers refused; a pipelined query after
// the transfer on the same connection still answered.
TEST(DnsblServer, TransfersOverTcpSignedOverUdp) {
  std::string data = "$SOA 1h ns.ex ad.ex 7 1 1 1 1\n";
  for (int i = 0; i < 5000; ++i)
    data += "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "\n";
  auto ds = dnsbl::load_dataset_text("ip4set", {data});
  ASSERT_TRUE(ds.has_value());
  auto key = dnsbl::parse_tsig_key("k:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  dnsbl::XfrOptions xo;
  xo.allow.push_back(*parse_cidr("127.0.0.0/8"));
  xo.keys.push_back(*key);
  DnsblServerOptions o;
  o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  o.xfr = std::make_shared<dnsbl::Xfr>(xo);
  auto z = o.xfr->update(dnsbl::ZoneSet::build({{"bl.ex", *ds}}), nullptr, nullptr);
  auto srv = DnsblServer::create(o, z);
  ASSERT_TRUE(srv.has_value());
  (*srv)->start();
  uint16_t port = (*srv)->ports()[0];

  auto as_bytes = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  auto q = *rampart::dns::build_query(9, "bl.ex", uint16_t{252});
  std::string signed_q(q.begin(), q.end());
  const uint64_t now = static_cast<uint64_t>(::time(nullptr));
  std::string mac = dnsbl::tsig_sign(signed_q, *key, {}, true, 0, now);
  auto q2 = *rampart::dns::build_query(10, "2.0.1.10.bl.ex", rampart::dns::RRType::A);
  int fd = tcp_connect(port);
  ASSERT_GE(fd, 0);
  auto f1 = framed(as_bytes(signed_q)), f2 = framed(q2);
  f1.insert(f1.end(), f2.begin(), f2.end());
  ASSERT_EQ(::write(fd, f1.data(), f1.size()), static_cast<ssize_t>(f1.size()));
  size_t records = 0, messages = 0;
  while (records < 5000 + 2) {
    auto m = tcp_read_one(fd);
    ASSERT_GE(m.size(), 12u) << "after " << messages << " messages";
    EXPECT_EQ(m[3] & 0xF, 0);
    ASSERT_TRUE(dnsbl::tsig_verify_response(m, *key, mac, messages == 0, now)) << messages;
    dnsbl::TsigRecord t;
    bool fe = false;
    ASSERT_TRUE(dnsbl::find_tsig(m, &t, &fe));
    mac = t.mac;
    records += static_cast<size_t>((m[6] << 8) | m[7]);
    ++messages;
  }
  EXPECT_EQ(records, 5000u + 2);
  EXPECT_GT(messages, 5u);
  auto r2 = tcp_read_one(fd);  // the query pipelined after the transfer
  EXPECT_EQ(rampart::dns::parse_response(r2, rampart::dns::RRType::A).status, rampart::dns::Status::kOk);
  ::close(fd);

  // Unsigned: REFUSED.
  fd = tcp_connect(port);
  ASSERT_GE(fd, 0);
  auto f3 = framed(q);
  ASSERT_EQ(::write(fd, f3.data(), f3.size()), static_cast<ssize_t>(f3.size()));
  auto r3 = tcp_read_one(fd);
  ASSERT_GE(r3.size(), 12u);
  EXPECT_EQ(r3[3] & 0xF, 5);
  ::close(fd);

  // A signed SOA query over UDP: answered and signed.
  auto sq = *rampart::dns::build_query(11, "bl.ex", rampart::dns::RRType::SOA);
  std::string ssq(sq.begin(), sq.end());
  std::string smac = dnsbl::tsig_sign(ssq, *key, {}, true, 0, now);
  auto r4 = udp_ask(port, as_bytes(ssq));
  ASSERT_GE(r4.size(), 12u);
  EXPECT_EQ((r4[6] << 8) | r4[7], 1);
  EXPECT_TRUE(dnsbl::tsig_verify_response(r4, *key, smac, true, now));
  (*srv)->stop();
}

}  // namespace
}  // namespace rampart::server::dns

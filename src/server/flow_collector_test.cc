#include "server/flow_collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "flows/encoder.h"
#include "flows/simulate.h"

namespace rampart::server {
namespace {

using flows::Flow;

// A UDP sender bound to a loopback address (127.0.0.x or ::1).
class Sender {
 public:
  explicit Sender(const std::string& from_ip) {
    const auto ip = *IpAddress::parse(from_ip);
    v6_ = ip.is_v6();
    fd_ = ::socket(v6_ ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    fill(ss, ip, 0);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len()), 0) << std::strerror(errno);
  }
  ~Sender() { ::close(fd_); }
  void send(const std::vector<uint8_t>& d, const ListenAddress& to) {
    sockaddr_storage ss{};
    fill(ss, to.ip, to.port);
    ASSERT_EQ(::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&ss), len()),
              static_cast<ssize_t>(d.size()))
        << std::strerror(errno);
  }

 private:
  void fill(sockaddr_storage& ss, const IpAddress& ip, uint16_t port) {
    if (!v6_) {
      auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
      sa->sin_family = AF_INET;
      sa->sin_port = htons(port);
      sa->sin_addr.s_addr = htonl(ip.v4_host_order());
    } else {
      auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
      sa->sin6_family = AF_INET6;
      sa->sin6_port = htons(port);
      std::memcpy(sa->sin6_addr.s6_addr, ip.bytes().data(), 16);
    }
  }
  socklen_t len() const { return v6_ ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  int fd_ = -1;
  bool v6_ = false;
};

std::vector<Flow> sample(size_t n) {
  std::vector<Flow> v;
  for (size_t i = 0; i < n; ++i) {
    Flow f;
    f.start_ms = 1700000000000 + static_cast<int64_t>(i) * 1000;
    f.end_ms = f.start_ms + 500;
    f.src = IpAddress::v4(0x64400000u + static_cast<uint32_t>(i % 50));
    f.dst = IpAddress::v4(0x0B000000u + static_cast<uint32_t>(i * 7));
    f.src_port = static_cast<uint16_t>(40000 + i);
    f.dst_port = 25;
    f.protocol = flows::kProtoTcp;
    f.tcp_flags = flows::kTcpSyn;
    f.packets = 1 + i;
    f.bytes = 60 + i;
    v.push_back(f);
  }
  return v;
}

// Polls until pred() holds or 5 s pass (never a fixed sleep).
template <typename Pred>
bool poll_until(FlowCollector& c, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (!c.poll(50)) return false;
  }
  return true;
}

TEST(ListenAddress, Parses) {
  auto a = parse_listen_address("127.0.0.1:9995");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ip.to_string(), "127.0.0.1");
  EXPECT_EQ(a->port, 9995);
  auto b = parse_listen_address("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ip.is_v6());
  EXPECT_EQ(b->to_string(), "[::1]:0");
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:9995", "[::1]9995", "host:1",
                          "127.0.0.1:9x", "[::1]:"})
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
}

TEST(FlowCollector, BadListenAddressAndBindFailure) {
  FlowCollector::Options o;
  o.listen = "nope";
  EXPECT_EQ(FlowCollector::open(o, nullptr).error().code, Errc::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  auto first = FlowCollector::open(o, nullptr);
  ASSERT_TRUE(first);
  o.listen = (*first)->local().to_string();  // the same port again: EADDRINUSE
  auto second = FlowCollector::open(o, nullptr);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kIo);
}

struct FormatCase {
  const char* name;
  flows::ExportFormat format;
  const char* listen;
  const char* from;
};

class CollectorFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(CollectorFormats, DecodesWhatAnExporterSends) {
  const auto& tc = GetParam();
  std::vector<std::pair<Flow, IpAddress>> got;
  FlowCollector::Options o;
  o.listen = tc.listen;
  auto c = FlowCollector::open(o, [&](const Flow& f, const IpAddress& e) { got.emplace_back(f, e); });
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE((*c)->port(), 0);
  auto flows = sample(300);
  flows::FlowEncoder enc({.format = tc.format, .domain = 3, .template_every = 5});
  Sender s(tc.from);
  for (const auto& d : enc.encode(flows, 1700000400000)) s.send(d, (*c)->local());
  ASSERT_TRUE(poll_until(**c, [&] { return got.size() >= flows.size(); }))
      << got.size() << " " << (*c)->stats().to_string();
  ASSERT_EQ(got.size(), flows.size());
  for (size_t i = 0; i < flows.size(); ++i) {
    EXPECT_EQ(got[i].first.src, flows[i].src);
    EXPECT_EQ(got[i].first.dst, flows[i].dst);
    EXPECT_EQ(got[i].first.src_port, flows[i].src_port);
    EXPECT_EQ(got[i].first.packets, flows[i].packets);
    EXPECT_EQ(got[i].first.bytes, flows[i].bytes);
    EXPECT_EQ(got[i].second, *IpAddress::parse(tc.from));
  }
  const auto& st = (*c)->stats();
  EXPECT_EQ(st.records, flows.size());
  EXPECT_EQ(st.exporters, 1u);
  EXPECT_EQ(st.dropped(), 0u) << st.to_string();
}

INSTANTIATE_TEST_SUITE_P(
    All, CollectorFormats,
    ::testing::Values(FormatCase{"v5", flows::ExportFormat::kV5, "127.0.0.1:0", "127.0.0.1"},
                      FormatCase{"v9", flows::ExportFormat::kV9, "127.0.0.1:0", "127.0.0.2"},
                      FormatCase{"ipfix", flows::ExportFormat::kIpfix, "127.0.0.1:0", "127.0.0.3"},
                      FormatCase{"v9_over_v6", flows::ExportFormat::kV9, "[::1]:0", "::1"},
                      FormatCase{"ipfix_over_v6", flows::ExportFormat::kIpfix, "[::1]:0", "::1"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(FlowCollector, DualStackTakesIpv4ExportersUnmapped) {
  std::vector<IpAddress> exporters;
  FlowCollector::Options o;
  o.listen = "[::]:0";
  auto c = FlowCollector::open(o, [&](const Flow&, const IpAddress& e) { exporters.push_back(e); });
  ASSERT_TRUE(c) << c.error().message;
  flows::FlowEncoder enc({.format = flows::ExportFormat::kV5});
  Sender s("127.0.0.4");
  ListenAddress to{*IpAddress::parse("127.0.0.1"), (*c)->port()};
  for (const auto& d : enc.encode(sample(10), 1700000400000)) s.send(d, to);
  ASSERT_TRUE(poll_until(**c, [&] { return exporters.size() >= 10; }));
  EXPECT_EQ(exporters[0], *IpAddress::parse("127.0.0.4"));
}

TEST(FlowCollector, CountsWhatItDrops) {
  size_t records = 0;
  FlowCollector::Options o;
  o.max_datagram = 512;
  o.max_exporters = 2;
  o.allowed_exporters = {*flows::Prefix::parse("127.0.0.0/29")};
  auto c = FlowCollector::open(o, [&](const Flow&, const IpAddress&) { ++records; });
  ASSERT_TRUE(c);
  flows::FlowEncoder v5({.format = flows::ExportFormat::kV5});
  const auto one = v5.encode(sample(2), 1700000400000).at(0);  // 24 + 2*48 bytes
  Sender a("127.0.0.1"), b("127.0.0.2"), third("127.0.0.3"), outsider("127.0.0.9");
  a.send(one, (*c)->local());
  b.send({0x00, 0x07, 0x00, 0x01}, (*c)->local());        // bad version: decode error
  b.send({0x00, 0x05, 0x00, 0x1e, 0x00}, (*c)->local());  // v5 truncated: decode error
  third.send(one, (*c)->local());                         // a third exporter: over the limit
  outsider.send(one, (*c)->local());                      // not an allowed exporter
  a.send(std::vector<uint8_t>(2000, 0), (*c)->local());   // larger than max_datagram
  const auto& st = (*c)->stats();
  ASSERT_TRUE(poll_until(**c, [&] { return (*c)->stats().datagrams >= 6; })) << st.to_string();
  (*c)->stats();
  EXPECT_EQ(records, 2u);
  EXPECT_EQ(st.decode_errors, 2u);
  EXPECT_EQ(st.exporter_limit, 1u);
  EXPECT_EQ(st.not_allowed, 1u);
  EXPECT_EQ(st.oversized, 1u);
  EXPECT_EQ(st.decoder.count(flows::DropReason::kBadVersion), 1u);
  EXPECT_EQ(st.decoder.count(flows::DropReason::kTruncated), 1u);
  EXPECT_EQ(st.dropped(), 5u);
  EXPECT_NE(st.to_string().find("exporter_limit=1"), std::string::npos) << st.to_string();
}

TEST(FlowCollector, StopWakesABlockedPoll) {
  auto c = FlowCollector::open({}, nullptr);
  ASSERT_TRUE(c);
  std::thread t([&] { (*c)->stop(); });
  auto r = (*c)->poll(-1);  // returns once stop() is seen, whichever thread ran first
  t.join();
  ASSERT_TRUE(r);
  EXPECT_TRUE((*c)->stopped());
  EXPECT_EQ(*(*c)->poll(-1), 0u);
}

TEST(FlowCollector, BoundedPerPoll) {
  size_t records = 0;
  FlowCollector::Options o;
  o.batch = 2;
  o.max_batches_per_poll = 1;
  auto c = FlowCollector::open(o, [&](const Flow&, const IpAddress&) { ++records; });
  ASSERT_TRUE(c);
  flows::FlowEncoder v5({.format = flows::ExportFormat::kV5});
  Sender s("127.0.0.1");
  const auto ds = v5.encode(sample(150), 1700000400000);  // 5 datagrams of 30
  for (const auto& d : ds) s.send(d, (*c)->local());
  auto r = (*c)->poll(5000);
  ASSERT_TRUE(r);
  EXPECT_LE(*r, 2u);  // at most one batch of two per poll
  ASSERT_TRUE(poll_until(**c, [&] { return records >= 150; }));
}

// The whole path: simulated subscribers -> IPFIX over UDP -> collector -> detector.
TEST(FlowCollector, FeedsTheDetector) {
  flows::SimConfig sc;
  sc.duration_s = 2 * 3600;
  sc.users = 40;
  sc.businesses = 2;
  sc.nats = 1;
  sc.bots_burst = 2;
  sc.bots_slow = 0;
  sc.bots_relay = 0;
  auto sim = flows::simulate(sc);
  flows::Detector det(sim.detector_config);
  auto c = FlowCollector::open({}, [&](const Flow& f, const IpAddress&) { det.observe(f); });
  ASSERT_TRUE(c);
  flows::FlowEncoder enc({.format = flows::ExportFormat::kIpfix, .domain = 1});
  Sender s("127.0.0.1");
  // Paced by what the collector has read: the socket buffer never overflows.
  const size_t step = 200;
  for (size_t i = 0; i < sim.flows.size(); i += step) {
    const size_t n = std::min(step, sim.flows.size() - i);
    for (const auto& d : enc.encode(std::span<const Flow>(sim.flows).subspan(i, n), sim.flows[i].start_ms))
      s.send(d, (*c)->local());
    ASSERT_TRUE(poll_until(**c, [&] { return det.flows_seen() >= i + n; })) << (*c)->stats().to_string();
  }
  det.finish();
  std::set<std::string> bots_found;  // a host may have several incidents
  for (const auto& inc : det.take_closed()) {
    for (const auto& h : sim.hosts)
      if (h.ip == inc.host) {
        EXPECT_TRUE(h.role == flows::HostRole::kBotBurst) << inc.host.to_string();
        if (h.role == flows::HostRole::kBotBurst) bots_found.insert(inc.host.to_string());
      }
  }
  EXPECT_EQ(bots_found.size(), 2u);
  EXPECT_EQ((*c)->stats().dropped(), 0u);
}

// With no list configured only loopback exporters are decoded: a collector
// bound to a public address must not let anyone feed the detector.
TEST(FlowCollector, ExportersDefaultToLoopbackOnly) {
  auto ip = [](const char* s) { return *IpAddress::parse(s); };
  const std::vector<flows::Prefix> none;
  EXPECT_TRUE(FlowCollector::exporter_allowed(none, ip("127.0.0.1")));
  EXPECT_TRUE(FlowCollector::exporter_allowed(none, ip("127.3.2.1")));
  EXPECT_TRUE(FlowCollector::exporter_allowed(none, ip("::1")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(none, ip("192.0.2.1")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(none, ip("10.0.0.1")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(none, ip("2001:db8::1")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(none, ip("::2")));
  // A configured list replaces the default (loopback too must be listed).
  const std::vector<flows::Prefix> listed = {*flows::Prefix::parse("192.0.2.0/24"),
                                             *flows::Prefix::parse("2001:db8::/32")};
  EXPECT_TRUE(FlowCollector::exporter_allowed(listed, ip("192.0.2.200")));
  EXPECT_TRUE(FlowCollector::exporter_allowed(listed, ip("2001:db8::7")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(listed, ip("192.0.3.1")));
  EXPECT_FALSE(FlowCollector::exporter_allowed(listed, ip("127.0.0.1")));
}

TEST(FlowCollector, ExportersFromConfig) {
  auto cfg = Config::parse("[flows]\nexporters = [\"192.0.2.0/24\", \"::1\"]\n", "f.toml");
  ASSERT_TRUE(cfg);
  auto e = FlowCollector::exporters_from(*cfg);
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[0].to_string(), "192.0.2.0/24");
  auto bad = Config::parse("[flows]\nexporters = [\"10.0.0.0/x\"]\n", "f.toml");
  ASSERT_TRUE(bad);
  auto r = FlowCollector::exporters_from(*bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("f.toml:2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("flows.exporters"), std::string::npos) << r.error().message;
  auto absent = Config::parse("", "f.toml");
  ASSERT_TRUE(absent);
  ASSERT_TRUE(FlowCollector::exporters_from(*absent));
  EXPECT_TRUE(FlowCollector::exporters_from(*absent)->empty());
}

// Over a socket: a loopback exporter outside the configured list is
// counted and dropped; the listed one is decoded.
TEST(FlowCollector, DropsExportersOutsideTheList) {
  size_t records = 0;
  FlowCollector::Options o;
  o.allowed_exporters = {*flows::Prefix::parse("127.0.0.2/32")};
  auto c = FlowCollector::open(o, [&](const Flow&, const IpAddress&) { ++records; });
  ASSERT_TRUE(c);
  flows::FlowEncoder v5({.format = flows::ExportFormat::kV5});
  const auto one = v5.encode(sample(2), 1700000400000).at(0);
  Sender listed("127.0.0.2"), other("127.0.0.1");
  other.send(one, (*c)->local());
  other.send(one, (*c)->local());
  listed.send(one, (*c)->local());
  ASSERT_TRUE(poll_until(**c, [&] { return (*c)->stats().datagrams >= 3; }));
  EXPECT_EQ((*c)->stats().not_allowed, 2u);
  EXPECT_EQ(records, 2u);
}

}  // namespace
}  // namespace rampart::server

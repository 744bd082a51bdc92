// File: tests/flows_exporters_test.cc
// Real exporters against rampart's collector, on 127.0.0.1 only:
//
//   pcap (written here) --softflowd -r--> nfcapd (captures; -R repeats) --> FlowCollector
//   nfcapd file --nfreplay--> FlowCollector
//
// and the records rampart decodes must be those `nfdump -r FILE -o csv` reads
// from the same export: same count, same 5-tuples, packets and bytes.
//
//   ctest -R flows_exporters_test --output-on-failure
//
// Needs the Debian packages softflowd and nfdump; a missing tool FAILS the test
// (it is not skipped). The pcap's packets are never sent anywhere: softflowd
// reads the file. The only sockets are on 127.0.0.1. nfcapd cannot bind port
// 0, so its port is found free first (bind to 0, close) and the start is
// retried if another process took it meanwhile. No fixed sleeps: every wait is
// on a condition with a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "flows/encoder.h"
#include "flows/flow_csv.h"
#include "flows/simulate.h"
#include "flows_process.h"
#include "server/flow_collector.h"

#ifndef RAMPART_SOFTFLOWD
#define RAMPART_SOFTFLOWD ""
#endif
#ifndef RAMPART_SOFTFLOWCTL
#define RAMPART_SOFTFLOWCTL ""
#endif
#ifndef RAMPART_NFCAPD
#define RAMPART_NFCAPD ""
#endif
#ifndef RAMPART_NFDUMP
#define RAMPART_NFDUMP ""
#endif
#ifndef RAMPART_CLI
#define RAMPART_CLI ""
#endif
#ifndef RAMPART_NFREPLAY
#define RAMPART_NFREPLAY ""
#endif

namespace rampart {
namespace {

namespace fs = std::filesystem;
using flows::Flow;

// ---- a pcap of known traffic ------------------------------------------------

uint16_t checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
    put32(0xa1b2c3d4);
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(65535);
    put32(1);  // Ethernet
  }
  // One IPv4 or IPv6 packet (TCP or UDP) at time t_us.
  void packet(int64_t t_us, const std::string& src, const std::string& dst, uint8_t proto, uint16_t sp,
              uint16_t dp, uint8_t flags, size_t payload) {
    const IpAddress s = *IpAddress::parse(src), d = *IpAddress::parse(dst);
    std::vector<uint8_t> l4;
    if (proto == 6) {
      l4 = {static_cast<uint8_t>(sp >> 8),
            static_cast<uint8_t>(sp),
            static_cast<uint8_t>(dp >> 8),
            static_cast<uint8_t>(dp),
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            0,
            0x50,
            flags,
            0xff,
            0xff,
            0,
            0,
            0,
            0};
    } else {
      const size_t len = 8 + payload;
      l4 = {static_cast<uint8_t>(sp >> 8),
            static_cast<uint8_t>(sp),
            static_cast<uint8_t>(dp >> 8),
            static_cast<uint8_t>(dp),
            static_cast<uint8_t>(len >> 8),
            static_cast<uint8_t>(len),
            0,
            0};
    }
    l4.resize(l4.size() + payload, 'x');
    std::vector<uint8_t> frame(12, 0);
    frame[6] = 2;
    if (s.is_v4()) {
      frame.push_back(0x08);
      frame.push_back(0x00);
      const size_t tot = 20 + l4.size();
      std::vector<uint8_t> ip = {
          0x45, 0, static_cast<uint8_t>(tot >> 8), static_cast<uint8_t>(tot), 0, 1, 0, 0, 64, proto, 0, 0};
      ip.insert(ip.end(), s.bytes().begin(), s.bytes().begin() + 4);
      ip.insert(ip.end(), d.bytes().begin(), d.bytes().begin() + 4);
      const uint16_t c = checksum(ip.data(), ip.size());
      ip[10] = static_cast<uint8_t>(c >> 8);
      ip[11] = static_cast<uint8_t>(c);
      frame.insert(frame.end(), ip.begin(), ip.end());
    } else {
      frame.push_back(0x86);
      frame.push_back(0xdd);
      std::vector<uint8_t> ip = {
          0x60, 0, 0, 0, static_cast<uint8_t>(l4.size() >> 8), static_cast<uint8_t>(l4.size()), proto, 64};
      ip.insert(ip.end(), s.bytes().begin(), s.bytes().end());
      ip.insert(ip.end(), d.bytes().begin(), d.bytes().end());
      frame.insert(frame.end(), ip.begin(), ip.end());
    }
    frame.insert(frame.end(), l4.begin(), l4.end());
    put32(static_cast<uint32_t>(t_us / 1000000));
    put32(static_cast<uint32_t>(t_us % 1000000));
    put32(static_cast<uint32_t>(frame.size()));
    put32(static_cast<uint32_t>(frame.size()));
    out_.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
    ++packets_;
  }
  size_t packets() const { return packets_; }
  void close() { out_.close(); }

 private:
  void put32(uint32_t v) { out_.write(reinterpret_cast<const char*>(&v), 4); }
  void put16(uint16_t v) { out_.write(reinterpret_cast<const char*>(&v), 2); }
  std::ofstream out_;
  size_t packets_ = 0;
};

// A subscriber network in miniature: a spam bot (SYN-only and refused
// attempts to many MX hosts on 25), a working MTA session, web and DNS, and
// IPv6 mail. Returns the number of packets written.
size_t write_traffic_pcap(const std::string& path) {
  PcapWriter w(path);
  const int64_t t0 = 1700000000LL * 1000000;
  int64_t t = t0;
  auto step = [&] { return t += 20000; };
  for (int i = 0; i < 40; ++i) {  // bot: attempts to 40 MX hosts, some retried
    const std::string mx = "192.0.2." + std::to_string(i + 1);
    w.packet(step(), "100.64.0.7", mx, 6, static_cast<uint16_t>(40000 + i), 25, 0x02, 0);
    if (i % 3 == 0) w.packet(step(), "100.64.0.7", mx, 6, static_cast<uint16_t>(40000 + i), 25, 0x02, 0);
    if (i % 4 == 1) w.packet(step(), mx, "100.64.0.7", 6, 25, static_cast<uint16_t>(40000 + i), 0x14, 0);
  }
  for (int i = 0; i < 5; ++i) {  // an MTA session with data
    const uint16_t sp = static_cast<uint16_t>(50000 + i);
    w.packet(step(), "100.64.1.25", "198.51.100.25", 6, sp, 25, 0x02, 0);
    w.packet(step(), "198.51.100.25", "100.64.1.25", 6, 25, sp, 0x12, 0);
    for (int k = 0; k < 6; ++k) w.packet(step(), "100.64.1.25", "198.51.100.25", 6, sp, 25, 0x18, 400);
    w.packet(step(), "100.64.1.25", "198.51.100.25", 6, sp, 25, 0x11, 0);
  }
  for (int i = 0; i < 10; ++i) {  // web and DNS
    w.packet(step(), "100.64.2.9", "203.0.113.80", 6, static_cast<uint16_t>(33000 + i), 443, 0x02, 0);
    w.packet(step(), "100.64.2.9", "203.0.113.80", 6, static_cast<uint16_t>(33000 + i), 443, 0x18, 1200);
    w.packet(step(), "100.64.2.9", "203.0.113.53", 17, static_cast<uint16_t>(5300 + i), 53, 0, 40);
  }
  for (int i = 0; i < 6; ++i)  // IPv6 mail
    w.packet(step(), "2001:db8:64::7", "2001:db8:25::" + std::to_string(i + 1), 6,
             static_cast<uint16_t>(41000 + i), 25, 0x02, 0);
  w.close();
  return w.packets();
}

uint16_t free_udp_port() { return free_port(SOCK_DGRAM); }

bool udp_port_taken(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return taken;
}

void send_udp(uint16_t port, const std::vector<uint8_t>& d) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  EXPECT_EQ(::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
            static_cast<ssize_t>(d.size()));
  ::close(fd);
}

// A NetFlow v9 header with no flowsets (source ID "MARK"): no records for
// anyone. nfcapd reads datagrams one after the other and repeats each as it
// reads it, so once the repeated marker reaches the collector, nfcapd has
// finished with every datagram sent before it and can be stopped without
// losing one.
const std::vector<uint8_t> kMarker = {0,    9, 0, 0, 0, 0, 0,   1,   0x65, 0x53,
                                      0xf1, 0, 0, 0, 0, 0, 'M', 'A', 'R',  'K'};

void require_tool(const char* path, const char* name) {
  ASSERT_TRUE(path[0] != '\0' && ::access(path, X_OK) == 0)
      << name << " is missing: apt-get install "
      << (std::string(name).find("nf") == 0 ? "nfdump" : "softflowd")
      << " (scripts/install-deps.sh); this test fails rather than skips without it";
}

// ---- comparing records ----------------------------------------------------------

using Key = std::tuple<std::string, std::string, uint16_t, uint16_t, uint8_t, uint64_t, uint64_t>;

std::multiset<Key> keys_of(const std::vector<Flow>& fs) {
  std::multiset<Key> k;
  for (const auto& f : fs)
    k.emplace(f.src.to_string(), f.dst.to_string(), f.src_port, f.dst_port, f.protocol, f.packets, f.bytes);
  return k;
}

std::string describe(const std::multiset<Key>& a, const std::multiset<Key>& b) {
  std::string s;
  int shown = 0;
  for (const auto& k : a)
    if (!b.count(k) && shown++ < 5)
      s += "  only rampart: " + std::get<0>(k) + ":" + std::to_string(std::get<2>(k)) + " > " +
           std::get<1>(k) + ":" + std::to_string(std::get<3>(k)) + " p" + std::to_string(std::get<4>(k)) +
           " pkts " + std::to_string(std::get<5>(k)) + " bytes " + std::to_string(std::get<6>(k)) + "\n";
  for (const auto& k : b)
    if (!a.count(k) && shown++ < 10)
      s += "  only nfdump:  " + std::get<0>(k) + ":" + std::to_string(std::get<2>(k)) + " > " +
           std::get<1>(k) + ":" + std::to_string(std::get<3>(k)) + " p" + std::to_string(std::get<4>(k)) +
           " pkts " + std::to_string(std::get<5>(k)) + " bytes " + std::to_string(std::get<6>(k)) + "\n";
  return s;
}

std::vector<Flow> nfdump_read(const std::string& file, const std::string& tmp) {
  std::string out;
  EXPECT_EQ(run({RAMPART_NFDUMP, "-r", file, "-o", "csv"}, out, tmp), 0) << out;
  auto recs = flows::read_flow_text(out, flows::CsvFormat::kNfdumpCsv);
  EXPECT_TRUE(recs) << out.substr(0, 400);
  std::vector<Flow> v;
  if (!recs) return v;
  EXPECT_EQ(recs->stats.total(), 0u) << recs->stats.to_string();
  for (const auto& r : recs->records) v.push_back(r.flow);
  return v;
}

class Exporters : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-flows-exporters.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    server::FlowCollector::Options o;
    o.listen = "127.0.0.1:0";
    auto c = server::FlowCollector::open(o, [this](const Flow& f, const IpAddress&) { got_.push_back(f); });
    ASSERT_TRUE(c) << c.error().message;
    collector_ = std::move(*c);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Polls the collector until pred() or the deadline.
  template <typename Pred>
  bool collect_until(Pred pred, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto deadline = Clock::now() + limit;
    while (!pred()) {
      if (Clock::now() > deadline) return false;
      if (!collector_->poll(20)) return false;
    }
    return true;
  }

  // nfcapd on a free loopback port, writing into dir, repeating to the collector.
  void start_nfcapd(Proc& p, uint16_t& port) {
    fs::create_directories(tmp_ + "/cap");
    for (int attempt = 0; attempt < 5; ++attempt) {
      port = free_udp_port();
      spawn(p,
            {RAMPART_NFCAPD, "-b", "127.0.0.1", "-p", std::to_string(port), "-w", tmp_ + "/cap", "-t", "3600",
             "-P", tmp_ + "/nfcapd.pid", "-R", "127.0.0.1/" + std::to_string(collector_->port())},
            tmp_ + "/nfcapd.log");
      const auto deadline = Clock::now() + std::chrono::seconds(10);
      while (Clock::now() < deadline && p.running() && !udp_port_taken(port))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (p.running() && udp_port_taken(port)) return;
      p.wait(std::chrono::seconds(2));
    }
    FAIL() << "nfcapd did not start: " << read_file(tmp_ + "/nfcapd.log");
  }

  std::string nfcapd_file() {
    for (const auto& e : fs::directory_iterator(tmp_ + "/cap"))
      if (e.path().filename().string().rfind("nfcapd.", 0) == 0) return e.path().string();
    return "";
  }

  std::string tmp_;
  std::unique_ptr<server::FlowCollector> collector_;
  std::vector<Flow> got_;
};

struct SoftflowdCase {
  const char* name;
  const char* version;  // softflowd -v
};

class Softflowd : public Exporters, public ::testing::WithParamInterface<SoftflowdCase> {};

TEST_P(Softflowd, CollectorDecodesWhatNfdumpReads) {
  require_tool(RAMPART_SOFTFLOWD, "softflowd");
  require_tool(RAMPART_SOFTFLOWCTL, "softflowctl");
  require_tool(RAMPART_NFCAPD, "nfcapd");
  require_tool(RAMPART_NFDUMP, "nfdump");
  const std::string pcap = tmp_ + "/traffic.pcap";
  const size_t packets = write_traffic_pcap(pcap);

  Proc nfcapd;
  uint16_t nfcapd_port = 0;
  start_nfcapd(nfcapd, nfcapd_port);
  ASSERT_FALSE(HasFatalFailure());

  // softflowd -r reads the file and waits on its control socket: drive it with
  // softflowctl until every packet is processed, then shut it down (which
  // expires and exports every flow).
  const std::string ctl = tmp_ + "/softflowd.ctl";
  Proc sf;
  spawn(sf,
        {RAMPART_SOFTFLOWD, "-r", pcap, "-v", GetParam().version, "-6", "-n",
         "127.0.0.1:" + std::to_string(nfcapd_port), "-p", tmp_ + "/softflowd.pid", "-c", ctl, "-d"},
        tmp_ + "/softflowd.log");
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string stats;
  const std::regex processed("Packets processed: ([0-9]+)");
  std::smatch m;
  // (Depending on timing it may also reach the end of the file and exit by itself.)
  while (sf.running()) {
    ASSERT_LT(Clock::now(), deadline) << "softflowd did not process " << packets << " packets: " << stats
                                      << read_file(tmp_ + "/softflowd.log");
    if (fs::exists(ctl) && run({RAMPART_SOFTFLOWCTL, "-c", ctl, "statistics"}, stats, tmp_) == 0 &&
        std::regex_search(stats, m, processed) && std::stoul(m[1]) >= packets) {
      std::string out;
      run({RAMPART_SOFTFLOWCTL, "-c", ctl, "shutdown"}, out, tmp_);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(sf.wait(std::chrono::seconds(20)), 0) << read_file(tmp_ + "/softflowd.log");
  // "Flows exported: 75 (75 records) in 3 packets (0 failures)"
  const std::string sflog = read_file(tmp_ + "/softflowd.log");
  const std::regex exported(
      "Flows exported: [0-9]+ \\(([0-9]+) records\\) in ([0-9]+) packets \\(0 failures\\)");
  ASSERT_TRUE(std::regex_search(sflog, m, exported)) << sflog;
  const size_t records = std::stoul(m[1]), datagrams = std::stoul(m[2]);
  ASSERT_GT(records, 50u) << sflog;

  // Every export datagram, then the marker, back from nfcapd's repeater.
  ASSERT_TRUE(collect_until([&] { return collector_->stats().datagrams >= datagrams; }))
      << collector_->stats().to_string();
  send_udp(nfcapd_port, kMarker);
  ASSERT_TRUE(collect_until([&] { return collector_->stats().datagrams >= datagrams + 1; }))
      << collector_->stats().to_string();
  ::kill(nfcapd.pid, SIGTERM);
  ASSERT_EQ(nfcapd.wait(std::chrono::seconds(20)), 0) << read_file(tmp_ + "/nfcapd.log");
  const std::string file = nfcapd_file();
  ASSERT_FALSE(file.empty()) << read_file(tmp_ + "/nfcapd.log");

  const auto theirs = nfdump_read(file, tmp_);
  EXPECT_EQ(got_.size(), records) << collector_->stats().to_string();
  EXPECT_EQ(theirs.size(), records);
  const auto a = keys_of(got_), b = keys_of(theirs);
  EXPECT_TRUE(a == b) << describe(a, b);
  size_t v6 = 0, bot = 0;
  for (const auto& f : got_) {
    v6 += f.src.is_v6();
    bot += f.src.to_string() == "100.64.0.7" && f.dst_port == 25;
  }
  EXPECT_EQ(v6, 6u);
  EXPECT_EQ(bot, 40u);
  EXPECT_EQ(collector_->stats().decode_errors, 0u) << collector_->stats().to_string();
  EXPECT_EQ(collector_->stats().decoder.count(flows::DropReason::kUnknownTemplate), 0u);
}

INSTANTIATE_TEST_SUITE_P(All, Softflowd,
                         ::testing::Values(SoftflowdCase{"netflow_v9", "9"}, SoftflowdCase{"ipfix", "10"}),
                         [](const auto& p) { return std::string(p.param.name); });

// nfreplay sends an nfcapd file as NetFlow v9 again: rampart must decode the
// same records nfdump reads from that file.
TEST_F(Exporters, NfreplayToCollectorMatchesNfdump) {
  require_tool(RAMPART_SOFTFLOWD, "softflowd");
  require_tool(RAMPART_SOFTFLOWCTL, "softflowctl");
  require_tool(RAMPART_NFCAPD, "nfcapd");
  require_tool(RAMPART_NFDUMP, "nfdump");
  require_tool(RAMPART_NFREPLAY, "nfreplay");
  // An nfcapd file of rampart's own v9 export (FlowEncoder) of known flows.
  Proc nfcapd;
  uint16_t nfcapd_port = 0;
  start_nfcapd(nfcapd, nfcapd_port);
  ASSERT_FALSE(HasFatalFailure());
  std::vector<Flow> sent;
  for (uint32_t i = 0; i < 200; ++i) {
    Flow f;
    f.start_ms = 1700000000000 + i * 1000;
    f.end_ms = f.start_ms + 2000;
    f.src = IpAddress::v4(0x64400000u + i % 17);
    f.dst = IpAddress::v4(0xC0000200u + i);
    f.src_port = static_cast<uint16_t>(40000 + i);
    f.dst_port = i % 3 ? 25 : 443;
    f.protocol = flows::kProtoTcp;
    f.tcp_flags = flows::kTcpSyn;
    f.packets = 1 + i % 5;
    f.bytes = 60 * f.packets;
    sent.push_back(f);
  }
  {
    server::ListenAddress to{*IpAddress::parse("127.0.0.1"), nfcapd_port};
    flows::FlowEncoder enc({.format = flows::ExportFormat::kV9, .domain = 0});
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(to.port);
    size_t n = 0;
    for (const auto& d : enc.encode(sent, 1700000300000)) {
      ASSERT_EQ(::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
                static_cast<ssize_t>(d.size()));
      ++n;
    }
    ::close(fd);
    send_udp(nfcapd_port, kMarker);
    ASSERT_TRUE(collect_until([&] { return collector_->stats().datagrams >= n + 1; }));
  }
  ::kill(nfcapd.pid, SIGTERM);
  ASSERT_EQ(nfcapd.wait(std::chrono::seconds(20)), 0) << read_file(tmp_ + "/nfcapd.log");
  const std::string file = nfcapd_file();
  ASSERT_FALSE(file.empty());
  const auto theirs = nfdump_read(file, tmp_);
  ASSERT_EQ(theirs.size(), sent.size());
  EXPECT_TRUE(keys_of(got_) == keys_of(sent));

  got_.clear();
  std::string out;
  ASSERT_EQ(run({RAMPART_NFREPLAY, "-r", file, "-H", "127.0.0.1", "-p", std::to_string(collector_->port()),
                 "-v", "9", "-d", "0"},
                out, tmp_),
            0)
      << out;
  ASSERT_TRUE(collect_until([&] { return got_.size() >= theirs.size(); }))
      << got_.size() << " " << collector_->stats().to_string() << out;
  const auto a = keys_of(got_), b = keys_of(theirs);
  EXPECT_TRUE(a == b) << describe(a, b);
  EXPECT_EQ(collector_->stats().decode_errors, 0u) << collector_->stats().to_string();
}

// `rampart flows collect` end to end: port 0, the bound port read from its
// stderr, simulated bot traffic as IPFIX, incidents as JSON lines on stdout.
TEST_F(Exporters, CliCollectPrintsIncidentLines) {
  ASSERT_TRUE(RAMPART_CLI[0] != '\0') << "the rampart CLI was not built with 'flows collect'";
  collector_.reset();  // not used here
  flows::SimConfig sc;
  sc.duration_s = 3600;
  sc.users = 20;
  sc.businesses = 1;
  sc.nats = 0;
  sc.bots_burst = 1;
  sc.bots_slow = 0;
  sc.bots_relay = 0;
  auto sim = flows::simulate(sc);
  flows::FlowEncoder enc({.format = flows::ExportFormat::kIpfix, .domain = 1});
  const auto datagrams = enc.encode(sim.flows, sim.flows.back().start_ms);
  std::string subscribers;
  for (const auto& s : sim.detector_config.subscribers)
    subscribers += (subscribers.empty() ? "" : ",") + s.prefix.to_string();
  Proc cli;
  spawn(cli,
        {RAMPART_CLI, "flows", "collect", "--listen", "127.0.0.1:0", "--subscribers", subscribers, "--json",
         "--max-packets", std::to_string(datagrams.size()), "--max-seconds", "60"},
        tmp_ + "/cli.log");
  const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
  std::smatch m;
  std::string log;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!std::regex_search(log = read_file(tmp_ + "/cli.log"), m, listening)) {
    ASSERT_TRUE(cli.running()) << log;
    ASSERT_LT(Clock::now(), deadline) << log;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const uint16_t port = static_cast<uint16_t>(std::stoul(m[1]));
  // Paced in small bursts so the socket buffer never overflows on a busy machine.
  for (size_t i = 0; i < datagrams.size(); ++i) send_udp(port, datagrams[i]);
  ASSERT_EQ(cli.wait(std::chrono::seconds(60)), 0) << read_file(tmp_ + "/cli.log");
  log = read_file(tmp_ + "/cli.log");
  std::string bot;
  for (const auto& h : sim.hosts)
    if (h.role == flows::HostRole::kBotBurst) bot = h.ip.to_string();
  EXPECT_NE(log.find("{\"host\":\"" + bot + "\",\"first_seen\":"), std::string::npos) << log;
  EXPECT_NE(log.find("\"action\":\""), std::string::npos) << log;
  EXPECT_NE(log.find("records=" + std::to_string(sim.flows.size())), std::string::npos) << log;
}

}  // namespace
}  // namespace rampart

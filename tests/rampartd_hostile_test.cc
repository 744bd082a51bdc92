// File: tests/rampartd_hostile_test.cc
// Hostile clients against a real rampartd on loopback (issue 11), while a
// well-behaved client scans DKIM-signed messages about 100 times a second
// over fresh connections. Each attack alone, then all at once:
//   pipelined   5,000 small scans pipelined on one connection
//   slow        800 HTTP connections sending a header byte every 500 ms
//               (reconnecting when closed), 150 more from one address (over
//               the per-address cap), and 200 idle milter connections
//   headers     a message with 20,000 header fields and a DKIM-Signature
//               whose h= lists 200,000 names, scanned again and again
//   forged      milter sessions carrying 5,000 Authentication-Results with
//               our authserv-id and 10 X-Rampart fields each
//   unauth      POST /v1/learn, /v1/events, /v1/reports without a token or
//               with a wrong one, naming a victim's address
// Attackers and the good client each bind their own 127.0.N.1 source
// address, as different hosts would. Asserted per phase: the daemon lives,
// its RSS stays under 1 GiB, every good scan is answered; median under
// 100 ms and p99 under 1 s (the headers phase, whose cost is DKIM's, and
// the phase that includes it assert the answers only). Also: the slow
// connections are cut at their absolute header deadline, idle milter
// connections at milter_idle_timeout_s, the per-address cap refuses the
// excess, every forged field is deleted, no unauthenticated write lands.
// Bounded: about 60 s. The figures are printed.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "dns/zone_file.h"
#include "e2e_support.h"
#include "reputation/test_util.h"
#include "server/http/access.h"
#include "server/milter/codec.h"
#include "support/dns_test_server.h"

namespace rampart {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kToken = "hostile-test-good-client";
const std::string kAuthservId = "mx.hostile.test";

// 127.0.N.1: one source address per role.
constexpr int kGood = 1, kPipeliner = 3, kSlowFirst = 4, kSlowCount = 8, kOverCap = 13, kIdleMilter = 14,
              kHeaders = 15, kForger = 16, kUnauth = 17;

int connect_from(int n, uint16_t port, bool blocking = true) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl((127u << 24) | (static_cast<uint32_t>(n) << 8) | 1u);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  (void)blocking;
  return fd;
}

bool send_all(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One HTTP response (Content-Length framing) within `limit`; "" otherwise.
std::string read_response(int fd, milliseconds limit) {
  std::string in;
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    const size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) {
        const size_t len = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
        if (in.size() >= end + 4 + len) return in.substr(0, end + 4 + len);
      }
    }
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left))) <= 0) continue;
    char b[65536];
    const ssize_t n = ::recv(fd, b, sizeof b, 0);
    if (n <= 0) return "";
    in.append(b, static_cast<size_t>(n));
  }
  return "";
}

int status_of(const std::string& r) { return r.size() < 12 ? -1 : std::atoi(r.c_str() + 9); }

std::string scan_request(const std::string& msg, const std::string& client_ip, const std::string& auth,
                         bool close = false) {
  return "POST /v1/scan HTTP/1.1\r\nHost: x\r\n" + auth + "X-Client-IP: " + client_ip +
         "\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob@example.net\r\n" +
         (close ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(msg.size()) +
         "\r\n\r\n" + msg;
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

struct Figures {
  size_t sent = 0, answered = 0;
  double median_ms = 0, p99_ms = 0, max_ms = 0;
  long max_rss_kb = 0;
};

// The well-behaved client: a DKIM-signed scan every 10 ms over a fresh
// connection from 127.0.1.1, until `stop`.
class GoodClient {
 public:
  GoodClient(uint16_t port, std::string msg) : port_(port), msg_(std::move(msg)) {}
  void start() {
    stop_ = false;
    lat_.clear();
    sent_ = 0;
    thread_ = std::thread([this] { run(); });
  }
  void finish(Figures& f) {
    stop_ = true;
    thread_.join();
    f.sent = sent_;
    f.answered = lat_.size();
    std::sort(lat_.begin(), lat_.end());
    if (!lat_.empty()) {
      f.median_ms = lat_[lat_.size() / 2];
      f.p99_ms = lat_[std::min(lat_.size() - 1, lat_.size() * 99 / 100)];
      f.max_ms = lat_.back();
    }
  }

 private:
  void run() {
    auto next = Clock::now();
    for (size_t i = 0; !stop_; ++i) {
      next += milliseconds(10);
      const auto t0 = Clock::now();
      ++sent_;
      const int fd = connect_from(kGood, port_);
      std::string r;
      if (fd >= 0) {
        const std::string ip = "192.0.2." + std::to_string(1 + i % 250);
        if (send_all(fd, scan_request(msg_, ip, "Authorization: Bearer " + kToken + "\r\n", true)))
          r = read_response(fd, milliseconds(10000));
        ::close(fd);
      }
      if (status_of(r) == 200 && r.find("\"action\"") != std::string::npos)
        lat_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      std::this_thread::sleep_until(next);  // pacing: 100 scans a second at most
    }
  }
  uint16_t port_;
  std::string msg_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<double> lat_;
  size_t sent_ = 0;
};

// A milter client speaking as Postfix does.
class MilterClient {
 public:
  explicit MilterClient(int fd) : fd_(fd) {}
  ~MilterClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const milter::Command& c) { out_ += milter::encode_command(c); }
  bool flush() {
    const bool ok = send_all(fd_, out_);
    out_.clear();
    return ok;
  }
  std::optional<milter::Reply> reply(milliseconds limit) {
    return e2e::read_milter_reply(fd_, framer_, limit);
  }

 private:
  int fd_;
  std::string out_;
  milter::Framer framer_;
};

struct RampartdHostile : ::testing::Test {
  std::string tmp;
  std::unique_ptr<dns::DnsTestServer> dns_server;
  e2e::Child child;
  uint16_t http_port = 0, milter_port = 0;
  std::string good_msg;

  void SetUp() override {
    const char* bin = std::getenv("RAMPARTD_BIN");
    ASSERT_NE(bin, nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    tmp = ::testing::TempDir() + "/rampartd_hostile." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    ASSERT_TRUE(key);
    const std::string zone_text =
        "$ORIGIN good.test.\n$TTL 300\n@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc TXT \"v=DMARC1; "
        "p=reject\"\ns1._domainkey TXT \"" +
        dkim::testing::key_record(*key) + "\"\n";
    dns::ZoneOptions zo;
    auto zone = dns::parse_zone(zone_text, zo);
    ASSERT_TRUE(zone) << zone.error().message;
    auto srv = dns::DnsTestServer::start(std::move(*zone));
    ASSERT_TRUE(srv) << srv.error().message;
    dns_server = std::move(*srv);
    const std::string head =
        "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: the minutes\r\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n";
    const std::string body = "Minutes of the meeting about the quarterly budget review.\r\n";
    dkim::SignOptions so;
    so.domain = "good.test";
    so.selector = "s1";
    auto sig = dkim::sign(head + "\r\n" + body, *key, so);
    ASSERT_TRUE(sig) << sig.error().message;
    good_msg = *sig + head + "\r\n" + body;

    const std::string config = tmp + "/rampart.toml";
    std::ofstream(config)
        << "[[http.tokens]]\nname = \"good\"\nsha256 = \"" << server::token_sha256_hex(kToken)
        << "\"\nrights = [\"scan\", \"read\", \"learn\", \"events\", \"reports\"]\n"
        << "[server]\nhttp_header_timeout_s = 3\nmilter_idle_timeout_s = 4\nscan_timeout_s = 2\n"
        << "[policy]\nauthserv_id = \"" << kAuthservId << "\"\n"
        << "[reputation]\nsync = false\n";
    ASSERT_TRUE(child.start({bin, "--config", config, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:0",
                             "--nameserver", "127.0.0.1:" + std::to_string(dns_server->port())},
                            tmp + "/rampartd.log", true));
    for (int i = 0; i < 3; ++i) {
      const std::string line = child.read_line(std::chrono::seconds(30));
      const std::string m = "rampartd: milter 127.0.0.1:", h = "rampartd: http 127.0.0.1:";
      if (line.rfind(m, 0) == 0) milter_port = static_cast<uint16_t>(std::atoi(line.c_str() + m.size()));
      if (line.rfind(h, 0) == 0) http_port = static_cast<uint16_t>(std::atoi(line.c_str() + h.size()));
      if (line == "rampartd: ready" || line.empty()) break;
    }
    ASSERT_NE(http_port, 0) << e2e::slurp(tmp + "/rampartd.log");
    ASSERT_NE(milter_port, 0);
  }
  void TearDown() override {
    child.signal(SIGTERM);
    child.wait(std::chrono::seconds(30));
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  }

  std::string get(const std::string& target) {
    const int fd = connect_from(kGood, http_port);
    if (fd < 0) return "";
    send_all(fd, "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                     "\r\nConnection: close\r\n\r\n");
    std::string r = read_response(fd, milliseconds(10000));
    ::close(fd);
    return r;
  }
  long metric(const std::string& name) {
    const std::string m = get("/metrics");
    const size_t p = m.find("\n" + name + " ");
    return p == std::string::npos ? -1 : std::atol(m.c_str() + p + name.size() + 2);
  }
};

// --- the attacks: each runs until `stop` and records what it saw ---

struct Stop {
  std::atomic<bool> flag{false};
  bool operator()() const { return flag.load(); }
};

struct PipelineResult {
  int answered = 0;
};
void pipeline_attack(uint16_t port, const std::string& msg, PipelineResult& out) {
  const int fd = connect_from(kPipeliner, port);
  if (fd < 0) return;
  constexpr int kScans = 5000;
  std::thread sender([&] {
    std::string all;
    for (int i = 0; i < kScans; ++i)
      all += scan_request(msg, "203.0.113." + std::to_string(1 + i % 250),
                          "Authorization: Bearer " + kToken + "\r\n");
    send_all(fd, all);
  });
  std::string in;
  size_t pos = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (out.answered < kScans && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char b[65536];
    const ssize_t r = ::recv(fd, b, sizeof b, 0);
    if (r <= 0) break;
    in.append(b, static_cast<size_t>(r));
    while (const size_t n = e2e::complete_response(in, pos)) {
      if (in.compare(pos, 12, "HTTP/1.1 200") == 0) ++out.answered;
      pos += n;
    }
    if (pos > (1u << 20)) {
      in.erase(0, pos);
      pos = 0;
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  sender.join();
  ::close(fd);
}

struct SlowResult {
  size_t opened = 0, cut = 0, refused_fast = 0, milter_opened = 0, milter_cut = 0;
  double max_cut_s = 0, max_milter_cut_s = 0;
};
// 800 slow HTTP connections (100 from each of 8 addresses) that reconnect
// when cut, 150 from one more address, 200 idle milter connections.
void slow_attack(uint16_t http_port, uint16_t milter_port, const Stop& stop, SlowResult& out) {
  struct C {
    int fd = -1, addr = 0;
    bool milter = false;
    Clock::time_point opened{};
  };
  std::vector<C> conns;
  auto open = [&](C& c) {
    c.fd = connect_from(c.addr, c.milter ? milter_port : http_port);
    c.opened = Clock::now();
    if (c.fd < 0) return;
    if (c.milter) {
      ++out.milter_opened;
    } else {
      ++out.opened;
      send_all(c.fd, "POST /v1/scan HTTP/1.1\r\n");
    }
  };
  for (int a = 0; a < kSlowCount; ++a)
    for (int i = 0; i < 100; ++i) conns.push_back(C{-1, kSlowFirst + a, false, {}});
  for (int i = 0; i < 150; ++i) conns.push_back(C{-1, kOverCap, false, {}});
  for (int i = 0; i < 200; ++i) conns.push_back(C{-1, kIdleMilter, true, {}});
  for (C& c : conns) open(c);
  auto next_byte = Clock::now();
  while (!stop()) {
    std::vector<pollfd> p;
    for (const C& c : conns) p.push_back(pollfd{c.fd, POLLIN, 0});
    ::poll(p.data(), p.size(), 50);
    const auto now = Clock::now();
    const bool tick = now >= next_byte;
    if (tick) next_byte = now + milliseconds(500);
    for (size_t i = 0; i < conns.size(); ++i) {
      C& c = conns[i];
      bool closed = c.fd < 0;
      if (!closed && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        char b[4096];
        const ssize_t n = ::recv(c.fd, b, sizeof b, MSG_DONTWAIT);
        closed = n == 0 || (n < 0 && errno != EAGAIN);
      }
      if (!closed && tick && !c.milter) closed = !send_all(c.fd, "X");
      if (!closed) continue;
      const double lived = std::chrono::duration<double>(now - c.opened).count();
      if (c.fd >= 0) {
        if (lived < 0.3) {
          ++out.refused_fast;  // refused at accept (a cap)
        } else if (c.milter) {
          ++out.milter_cut;
          out.max_milter_cut_s = std::max(out.max_milter_cut_s, lived);
        } else {
          ++out.cut;
          out.max_cut_s = std::max(out.max_cut_s, lived);
        }
        ::close(c.fd);
      }
      c.fd = -1;
    }
    if (tick)
      for (C& c : conns)
        if (c.fd < 0) open(c);  // the attacker comes back every 500 ms
  }
  for (C& c : conns)
    if (c.fd >= 0) ::close(c.fd);
}

struct HeadersResult {
  int sent = 0, answered = 0;
};
void headers_attack(uint16_t port, const Stop& stop, HeadersResult& out) {
  std::string msg = "DKIM-Signature: v=1; a=rsa-sha256; d=good.test; s=s1; c=relaxed/relaxed; h=from";
  for (int i = 0; i < 200000; ++i) msg += ":a";
  msg += "; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n";
  for (int i = 0; i < 20000; ++i) msg += "A: " + std::to_string(i) + "\r\n";
  msg += "From: alice@good.test\r\nSubject: many fields\r\n\r\nbody\r\n";
  while (!stop()) {
    const int fd = connect_from(kHeaders, port);
    if (fd < 0) continue;
    ++out.sent;
    if (send_all(fd, scan_request(msg, "198.51.100.99", "Authorization: Bearer " + kToken + "\r\n", true)) &&
        status_of(read_response(fd, milliseconds(30000))) == 200)
      ++out.answered;
    ::close(fd);
  }
}

struct ForgedResult {
  int messages = 0, complete = 0, refused = 0;  // refused: 4xx/5xx, nothing delivered
  size_t ar_deleted = 0, xr_deleted = 0;
};
void forged_attack(uint16_t port, const Stop& stop, ForgedResult& out) {
  while (!stop()) {
    const int fd = connect_from(kForger, port);
    if (fd < 0) continue;
    MilterClient m(fd);
    m.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    m.flush();
    auto neg = m.reply(milliseconds(10000));
    if (!neg) continue;
    // Body chunks are answered unless SMFIP_NR_BODY was agreed.
    const auto* agreed = std::get_if<milter::OptNeg>(&*neg);
    const int want = agreed && (agreed->protocol & milter::kNrBody) ? 2 : 3;
    m.send(
        milter::Connect{"forger.example", '4', 25, "198.51." + std::to_string(out.messages % 200) + ".66"});
    m.send(milter::Helo{"forger.example"});
    m.send(milter::Mail{{"<x@forger.example>"}});
    m.send(milter::Rcpt{{"<victim@example.net>"}});
    m.send(milter::Data{});
    for (int i = 0; i < 5000; ++i) {
      m.send(
          milter::Header{"Authentication-Results", " " + kAuthservId + "; dkim=pass header.d=bank.example"});
      if (i % 500 == 0) m.send(milter::Header{"X-Rampart", " action=accept; score=-50"});
    }
    m.send(milter::Header{"From", " <ceo@bank.example>"});
    m.send(milter::EndOfHeaders{});
    m.send(milter::Body{"Please wire the money.\r\n"});
    m.send(milter::EndOfBody{});
    if (!m.flush()) continue;
    ++out.messages;
    // Replies: MAIL (continue), body (continue, unless NR_BODY), then the
    // end of message's changes and its final reply.
    int finals = 0;
    size_t ar = 0, xr = 0;
    bool refused = false;
    while (finals < want) {
      auto r = m.reply(milliseconds(20000));
      if (!r) break;
      if (auto* c = std::get_if<milter::ChangeHeader>(&*r)) (c->name == "X-Rampart" ? xr : ar)++;
      if (std::holds_alternative<milter::Continue>(*r) || std::holds_alternative<milter::ReplyCode>(*r) ||
          std::holds_alternative<milter::Skip>(*r))
        ++finals;
      if (std::holds_alternative<milter::ReplyCode>(*r)) {
        refused = true;  // throttled at MAIL FROM or rejected: nothing is delivered
        finals = want;
      }
    }
    out.ar_deleted += ar;
    out.xr_deleted += xr;
    if (refused) {
      ++out.refused;
    } else if (ar == 5000 && xr == 10) {
      ++out.complete;
    }
  }
}

struct UnauthResult {
  int sent = 0, refused = 0;
};
void unauth_attack(uint16_t port, const Stop& stop, UnauthResult& out) {
  const std::string now = std::to_string(std::time(nullptr));
  const std::string victim = "192.0.2.77";
  const std::string spam = "From: a@good.test\r\nSubject: x\r\n\r\nBuy cheap pills now!!! casino winner\r\n";
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"/v1/learn", "X-Label: spam\r\nX-Client-IP: " + victim + "\r\n"},
      {"/v1/events", ""},
      {"/v1/reports", ""},
  };
  for (int i = 0; !stop(); ++i) {
    const auto& [path, headers] = writes[static_cast<size_t>(i) % writes.size()];
    std::string body = spam;
    if (path == "/v1/events")
      body = "{\"time\": " + now + ", \"type\": \"bot\", \"ip\": \"" + victim + "\"}\n";
    if (path == "/v1/reports") body = reputation::testing::arf_report(spam);
    const std::string auth = i % 2 ? "Authorization: Bearer not-the-token\r\n" : "";
    const int fd = connect_from(kUnauth, port);
    if (fd < 0) continue;
    ++out.sent;
    send_all(fd, "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + headers +
                     "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                     body);
    if (status_of(read_response(fd, milliseconds(10000))) == 401) ++out.refused;
    ::close(fd);
  }
}

TEST_F(RampartdHostile, EachAttackAloneAndAllAtOnce) {
  enum Attack : unsigned { kPipelined = 1, kSlow = 2, kHeadersA = 4, kForged = 8, kUnauthA = 16 };
  struct Phase {
    const char* name;
    unsigned attacks;
    int seconds;
  };
  // "all-but-headers" asserts the latency of everything else at once; "all"
  // adds the header flood, whose cost is DKIM's (answers asserted only).
  const Phase phases[] = {{"none", 0, 3},
                          {"pipelined", kPipelined, 5},
                          {"slow", kSlow, 7},
                          {"headers", kHeadersA, 5},
                          {"forged", kForged, 5},
                          {"unauth", kUnauthA, 4},
                          {"all-but-headers", 31 & ~kHeadersA, 8},
                          {"all", 31, 8}};
  std::printf("%-15s %6s %8s %9s %9s %9s %9s  %s\n", "attack", "good", "answered", "median_ms", "p99_ms",
              "max_ms", "rss_MiB", "attack figures");
  for (const Phase& ph : phases) {
    SCOPED_TRACE(ph.name);
    Stop stop;
    std::atomic<bool> sampling{true};
    long max_rss = 0;
    std::thread sampler([&] {
      while (sampling) {
        max_rss = std::max(max_rss, rss_kb(child.pid()));
        std::this_thread::sleep_for(milliseconds(50));  // sampling period
      }
    });
    PipelineResult pr;
    SlowResult sr;
    HeadersResult hr;
    ForgedResult fr;
    UnauthResult ur;
    std::vector<std::thread> attackers;
    if (ph.attacks & kPipelined) attackers.emplace_back([&] { pipeline_attack(http_port, good_msg, pr); });
    if (ph.attacks & kSlow) attackers.emplace_back([&] { slow_attack(http_port, milter_port, stop, sr); });
    if (ph.attacks & kHeadersA) attackers.emplace_back([&] { headers_attack(http_port, stop, hr); });
    if (ph.attacks & kForged) attackers.emplace_back([&] { forged_attack(milter_port, stop, fr); });
    if (ph.attacks & kUnauthA) attackers.emplace_back([&] { unauth_attack(http_port, stop, ur); });
    // A milter probe from the good address while the attack runs: Postfix's
    // own connections are accepted and answered.
    GoodClient good(http_port, good_msg);
    good.start();
    std::this_thread::sleep_for(milliseconds(ph.seconds * 500));  // the phase's length: half ...
    bool milter_ok = false;
    {
      const int fd = connect_from(kGood, milter_port);
      if (fd >= 0) {
        MilterClient m(fd);
        m.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
        milter_ok = m.flush() && m.reply(milliseconds(5000)).has_value();
      }
    }
    std::this_thread::sleep_for(milliseconds(ph.seconds * 500));  // ... and the other half
    Figures f;
    good.finish(f);
    stop.flag = true;
    for (auto& t : attackers) t.join();
    sampling = false;
    sampler.join();
    f.max_rss_kb = max_rss;
    char extra[512] = "";
    if (ph.attacks & kPipelined)
      std::snprintf(extra + std::strlen(extra), sizeof extra - std::strlen(extra), "pipelined %d/5000; ",
                    pr.answered);
    if (ph.attacks & kSlow)
      std::snprintf(
          extra + std::strlen(extra), sizeof extra - std::strlen(extra),
          "slow http %zu opened %zu cut (max %.1f s) %zu refused; idle milter %zu opened %zu cut (max "
          "%.1f s); ",
          sr.opened, sr.cut, sr.max_cut_s, sr.refused_fast, sr.milter_opened, sr.milter_cut,
          sr.max_milter_cut_s);
    if (ph.attacks & kHeadersA)
      std::snprintf(extra + std::strlen(extra), sizeof extra - std::strlen(extra), "big headers %d/%d; ",
                    hr.answered, hr.sent);
    if (ph.attacks & kForged)
      std::snprintf(extra + std::strlen(extra), sizeof extra - std::strlen(extra),
                    "forged %d/%d messages clean, %d refused (%zu AR, %zu X-Rampart deleted); ", fr.complete,
                    fr.messages, fr.refused, fr.ar_deleted, fr.xr_deleted);
    if (ph.attacks & kUnauthA)
      std::snprintf(extra + std::strlen(extra), sizeof extra - std::strlen(extra), "unauth %d/%d refused 401",
                    ur.refused, ur.sent);
    std::printf("%-15s %6zu %8zu %9.1f %9.1f %9.1f %9.1f  %s\n", ph.name, f.sent, f.answered, f.median_ms,
                f.p99_ms, f.max_ms, static_cast<double>(f.max_rss_kb) / 1024.0, extra);
    std::fflush(stdout);

    ASSERT_TRUE(child.running()) << e2e::slurp(tmp + "/rampartd.log");
    EXPECT_LT(f.max_rss_kb, 1024 * 1024);
    EXPECT_GT(f.sent, 0u);
    EXPECT_EQ(f.answered, f.sent);
    EXPECT_TRUE(milter_ok);
    if (!(ph.attacks & kHeadersA)) {
      EXPECT_LT(f.median_ms, 100.0);
      EXPECT_LT(f.p99_ms, 1000.0);
    }
    if (ph.attacks & kPipelined) {
      EXPECT_EQ(pr.answered, 5000);
    }
    if (ph.attacks & kSlow) {
      EXPECT_GE(sr.opened, 950u);
      EXPECT_GE(sr.refused_fast, 50u);     // 150 from one address: 50 over its cap, at least once
      EXPECT_GE(sr.cut, 400u);             // header deadline 3 s in a phase of 7 s or more
      EXPECT_LT(sr.max_cut_s, 3.0 + 2.5);  // a reset-on-every-byte timer would never cut them
      EXPECT_GE(sr.milter_cut, 200u);      // milter_idle_timeout_s = 4
      EXPECT_LT(sr.max_milter_cut_s, 4.0 + 2.5);
    }
    if (ph.attacks & kHeadersA) {
      EXPECT_GT(hr.answered, 0);
    }
    if (ph.attacks & kForged) {
      EXPECT_GT(fr.complete, 0);
      EXPECT_EQ(fr.complete + fr.refused, fr.messages);
    }
    if (ph.attacks & kUnauthA) {
      EXPECT_GT(ur.sent, 0);
      EXPECT_EQ(ur.refused, ur.sent);
    }
  }
  // Nothing the unauthenticated writers sent landed.
  const std::string rep = get("/v1/reputation/ip:192.0.2.77?counters=1");
  EXPECT_EQ(status_of(rep), 200) << rep;
  EXPECT_EQ(rep.find("BOT_DETECTED"), std::string::npos) << rep;
  EXPECT_EQ(e2e::counter_hour(rep, "complaints"), 0) << rep;
  EXPECT_LE(metric("rampart_classify_learned_total"), 0);  // 0, or absent without a model
  EXPECT_GT(metric("rampart_http_unauthorized_total"), 0);
  EXPECT_GT(metric("rampart_http_slow_clients_total"), 0);
  EXPECT_GT(metric("rampart_milter_idle_closed_total"), 0);
}

// A DNS server that stops answering: /v1/scan answers a tempfail verdict
// at scan_timeout_s (2 s here), and no milter stage runs longer than that.
TEST_F(RampartdHostile, ScanAndMilterStagePastTheirDeadlineTempfail) {
  dns_server->set_drop(true);
  const auto t0 = Clock::now();
  const int fd = connect_from(kGood, http_port);
  ASSERT_GE(fd, 0);
  std::string msg = "From: a@slow.example.org\r\nSubject: x\r\n\r\nhi\r\n";
  std::string req = scan_request(msg, "5.6.7.8", "Authorization: Bearer " + kToken + "\r\n", true);
  req.replace(req.find("alice@good.test"), 15, "alice@slow.example.org");
  ASSERT_TRUE(send_all(fd, req));
  const std::string r = read_response(fd, milliseconds(10000));
  ::close(fd);
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find("\"action\": \"tempfail\""), std::string::npos) << r;
  EXPECT_NE(r.find("451 4.4.3"), std::string::npos) << r;
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.5);

  const int mfd = connect_from(kGood, milter_port);
  ASSERT_GE(mfd, 0);
  MilterClient m(mfd);
  m.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
  ASSERT_TRUE(m.flush());
  ASSERT_TRUE(m.reply(milliseconds(5000)));
  const auto t1 = Clock::now();
  m.send(milter::Connect{"mx.slow.example.org", '4', 25, "5.6.7.9"});
  m.send(milter::Helo{"mx.slow.example.org"});
  m.send(milter::Mail{{"<a@slow.example.org>"}});
  ASSERT_TRUE(m.flush());
  auto rep = m.reply(milliseconds(15000));
  const double mtook = std::chrono::duration<double>(Clock::now() - t1).count();
  ASSERT_TRUE(rep);
  // The connect stage (FCrDNS) waits for DNS that never answers: cut at
  // 2 s (no reply: Postfix asked for none). MAIL's own lookups then either
  // meet the same fate (451 4.4.3) or fail fast once unbound has marked the
  // server down (temperror, continue): either way within the deadlines.
  if (auto* code = std::get_if<milter::ReplyCode>(&*rep)) {
    EXPECT_EQ(code->text.rfind("451 4.4.3", 0), 0u) << code->text;
  } else {
    EXPECT_TRUE(std::holds_alternative<milter::Continue>(*rep)) << rep->index();
  }
  EXPECT_GE(mtook, 1.9);      // the connect stage waited for its deadline ...
  EXPECT_LT(mtook, 2 * 3.5);  // ... and no stage longer than scan_timeout_s
  EXPECT_TRUE(child.running());
}

}  // namespace
}  // namespace rampart

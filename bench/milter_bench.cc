// File: bench/milter_bench.cc
// Drives rampartd through the milter protocol, as Postfix would, with N
// realistic messages (DKIM-signed rsa-sha256 relaxed/relaxed, ~1.8 KB, SPF
// and DMARC records for 10 sender domains, served by a DNS server on
// 127.0.0.1) and prints rampartd's CPU per message (from /proc/PID/stat),
// messages per second and its resident memory at rest and after the run.
//
//   milter_bench --rampartd build/apps/rampartd/rampartd [--messages 5000] [--per-connection 10]
//   milter_bench --milter 127.0.0.1:11332 --pid PID     # a running milter (e.g. rspamd's proxy)
//
// A program that prints numbers, never a test. The client runs one milter
// connection at a time and waits for every reply the negotiated flags call
// for; the first 10% of messages warm the caches and are not counted.
// With --milter/--pid the same messages go to any milter (the peer), and
// the CPU of PID (and its children, e.g. rspamd workers, via --pid-children)
// is measured the same way.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "dns/zone_file.h"
#include "server/milter/codec.h"
#include "support/dns_test_server.h"

using namespace rampart;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// utime + stime of pid (and, optionally, every process whose parent is pid), in seconds.
double cpu_seconds(pid_t pid, bool children) {
  auto one = [](pid_t p, pid_t* ppid) -> double {
    std::string st = slurp("/proc/" + std::to_string(p) + "/stat");
    const size_t rp = st.rfind(')');
    if (rp == std::string::npos) return 0;
    std::istringstream in(st.substr(rp + 2));
    std::string field;
    std::vector<std::string> f;
    while (in >> field) f.push_back(field);
    if (f.size() < 13) return 0;
    if (ppid) *ppid = static_cast<pid_t>(std::stol(f[1]));
    return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  double total = one(pid, nullptr);
  if (!children) return total;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      const pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
      if (p <= 0 || p == pid) continue;
      pid_t pp = 0;
      const double c = one(p, &pp);
      if (pp == pid) total += c;
    }
    closedir(d);
  }
  return total;
}

long rss_kb(pid_t pid) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

class Client {
 public:
  bool connect_to(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const milter::Command& c) { out_ += milter::encode_command(c); }
  bool flush() {
    size_t off = 0;
    while (off < out_.size()) {
      const ssize_t n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    out_.clear();
    return true;
  }
  // Next reply (blocking).
  std::optional<milter::Reply> reply() {
    if (!flush()) return std::nullopt;
    while (true) {
      auto p = framer_.next();
      if (!p) return std::nullopt;
      if (*p) {
        auto r = milter::decode_reply(**p);
        if (!r) return std::nullopt;
        return *r;
      }
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      framer_.feed(std::string_view(buf, static_cast<size_t>(n)));
    }
  }

 private:
  int fd_ = -1;
  std::string out_;
  milter::Framer framer_;
};

struct Msg {
  std::string from;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::vector<Msg> make_messages(size_t n, const dkim::PrivateKey& key) {
  std::vector<Msg> out;
  std::string para =
      "Dear customer,\r\n\r\nThank you for your order. Your parcel has left our warehouse and will reach you "
      "within three working days. You can follow it on our website with the tracking number below.\r\n";
  for (size_t i = 0; i < n; ++i) {
    const std::string dom = "sender" + std::to_string(i % 10) + ".bench.example";
    std::string body;
    for (int k = 0; k < 6; ++k) body += para;
    body += "Tracking number: " + std::to_string(1000000 + i) + "\r\n\r\n-- \r\nThe shop\r\n";
    std::string head = "From: Shop <orders@" + dom + ">\r\nTo: customer" + std::to_string(i) +
                       "@example.net\r\nSubject: Your order " + std::to_string(i) +
                       " has shipped\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <" +
                       std::to_string(i) + "." + dom + "@" + dom +
                       ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n";
    dkim::SignOptions so;
    so.domain = dom;
    so.selector = "s1";
    so.timestamp = 1700000000;
    auto sig = dkim::sign(head + "\r\n" + body, key, so);
    Msg m;
    m.from = "bounce@" + dom;
    const std::string all = (sig ? *sig : std::string()) + head + "\r\n";
    auto hs = mime::HeaderSection::parse(all);  // views into `all`
    for (const auto& f : hs.fields()) {
      std::string v(f.value_raw);
      // The MTA sends folded values with LF line ends.
      std::string lf;
      for (size_t k = 0; k < v.size(); ++k)
        if (!(v[k] == '\r' && k + 1 < v.size() && v[k + 1] == '\n')) lf.push_back(v[k]);
      m.headers.emplace_back(std::string(f.name), lf);
    }
    m.body = body;
    out.push_back(std::move(m));
  }
  return out;
}

// One message through an open, negotiated connection; false on protocol failure.
std::string sample;  // the first X-Rampart value seen

bool one_message(Client& c, const Msg& m, uint32_t proto, std::string& verdict) {
  auto expect = [&](uint32_t nr) -> bool {
    if (proto & nr) return true;
    auto r = c.reply();
    return r.has_value();
  };
  c.send(milter::Macros{'M', {{"i", "QID"}}});
  c.send(milter::Mail{{"<" + m.from + ">"}});
  if (!c.reply()) return false;  // MAIL always answered
  c.send(milter::Rcpt{{"<customer@example.net>"}});
  if (!expect(milter::kNrRcpt)) return false;
  c.send(milter::Data{});
  if (!expect(milter::kNrData)) return false;
  for (const auto& [k, v] : m.headers) {
    c.send(milter::Header{k, (proto & milter::kHeaderLeadingSpace) ? v : (v.empty() ? v : v.substr(1))});
    if (!expect(milter::kNrHeader)) return false;
  }
  c.send(milter::EndOfHeaders{});
  if (!expect(milter::kNrEoh)) return false;
  c.send(milter::Body{m.body});
  if (!expect(milter::kNrBody)) return false;
  c.send(milter::EndOfBody{});
  while (true) {
    auto r = c.reply();
    if (!r) return false;
    if (std::holds_alternative<milter::Continue>(*r) || std::holds_alternative<milter::Accept>(*r)) {
      verdict = "continue";
      return true;
    }
    if (auto* y = std::get_if<milter::ReplyCode>(&*r)) {
      verdict = y->text.substr(0, 3);
      return true;
    }
    if (std::holds_alternative<milter::Reject>(*r) || std::holds_alternative<milter::Tempfail>(*r) ||
        std::holds_alternative<milter::Discard>(*r)) {
      verdict = "reject/tempfail/discard";
      return true;
    }
    if (auto* h = std::get_if<milter::InsertHeader>(&*r); h && h->name == "X-Rampart" && sample.empty())
      sample = h->value;
    // header changes, quarantine, progress: keep reading
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string rampartd, milter_addr;
  pid_t peer_pid = 0;
  bool peer_children = false;
  size_t n = 5000, per_conn = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rampartd")
      rampartd = next();
    else if (a == "--milter")
      milter_addr = next();
    else if (a == "--pid")
      peer_pid = static_cast<pid_t>(std::atoi(next().c_str()));
    else if (a == "--pid-children")
      peer_children = true;
    else if (a == "--messages")
      n = std::stoul(next());
    else if (a == "--per-connection")
      per_conn = std::max<size_t>(1, std::stoul(next()));
    else {
      std::fprintf(
          stderr,
          "usage: milter_bench --rampartd PATH | --milter 127.0.0.1:PORT --pid PID [--pid-children]\n"
          "                    [--messages N] [--per-connection K]\n");
      return 2;
    }
  }
  auto pem = slurp(std::string(RAMPART_SOURCE_DIR) + "/tests/data/dkim-rfc8463/test.rsa1024.private.pem");
  auto key = dkim::load_private_key(pem);
  if (!key) {
    std::fprintf(stderr, "milter_bench: key: %s\n", key.error().message.c_str());
    return 1;
  }
  std::string zone_text;
  const std::string pub =
      "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/"
      "byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
      "2kryOTIKT+l/K4w3QIDAQAB";
  for (int d = 0; d < 10; ++d) {
    const std::string dom = "sender" + std::to_string(d) + ".bench.example.";
    zone_text += dom + " 3600 TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";
    zone_text += "_dmarc." + dom + " 3600 TXT \"v=DMARC1; p=reject\"\n";
    zone_text += "s1._domainkey." + dom + " 3600 TXT \"v=DKIM1; k=rsa; p=" + pub + "\"\n";
  }
  zone_text += "10.2.0.192.in-addr.arpa. 3600 PTR mx.sender0.bench.example.\n";
  zone_text += "mx.sender0.bench.example. 3600 A 192.0.2.10\n";
  auto zone = dns::parse_zone(zone_text);
  if (!zone) {
    std::fprintf(stderr, "milter_bench: zone: %s\n", zone.error().message.c_str());
    return 1;
  }
  auto dns_server = dns::DnsTestServer::start(std::move(*zone));
  if (!dns_server) return 1;
  const auto msgs = make_messages(n, *key);
  if (std::getenv("MILTER_BENCH_DUMP"))
    for (const auto& [k, v] : msgs[0].headers) std::fprintf(stderr, "[%s]:[%s]\n", k.c_str(), v.c_str());

  pid_t pid = peer_pid;
  uint16_t port = 0;
  int out_pipe[2] = {-1, -1};
  std::string tmp;
  if (!rampartd.empty()) {
    char tmpl[] = "/tmp/rampart-milter-bench-XXXXXX";
    tmp = ::mkdtemp(tmpl);
    std::ofstream(tmp + "/rampart.toml")
        << "[policy]\nauthserv_id = \"mx.bench.example\"\n"
        << "[throttle.ip]\nenabled = false\n[throttle.net]\nenabled = false\n";
    if (::pipe(out_pipe) != 0) return 1;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out_pipe[1], 1);
      ::close(out_pipe[0]);
      const std::string ns = "127.0.0.1:" + std::to_string((*dns_server)->port());
      const std::string cfg = tmp + "/rampart.toml";
      ::execl(rampartd.c_str(), rampartd.c_str(), "--config", cfg.c_str(), "--milter", "127.0.0.1:0",
              "--http", "off", "--nameserver", ns.c_str(), "--log-level", "warn",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    std::string got;
    char b[256];
    while (got.find("ready") == std::string::npos) {
      const ssize_t r = ::read(out_pipe[0], b, sizeof b);
      if (r <= 0) break;
      got.append(b, static_cast<size_t>(r));
    }
    const size_t at = got.find("milter 127.0.0.1:");
    if (at == std::string::npos) {
      std::fprintf(stderr, "milter_bench: rampartd did not start\n");
      return 1;
    }
    port = static_cast<uint16_t>(std::atoi(got.c_str() + at + 17));
  } else {
    const size_t colon = milter_addr.rfind(':');
    if (colon == std::string::npos || peer_pid <= 0) {
      std::fprintf(stderr, "milter_bench: need --rampartd, or --milter ADDR:PORT with --pid\n");
      return 2;
    }
    port = static_cast<uint16_t>(std::atoi(milter_addr.c_str() + colon + 1));
  }
  const long rss_rest = rss_kb(pid);
  const size_t warm = n / 10;
  double cpu0 = 0;
  auto t0 = std::chrono::steady_clock::now();
  size_t done = 0, failed = 0;
  std::map<std::string, size_t> verdicts;
  for (size_t i = 0; i < n;) {
    Client c;
    if (!c.connect_to(port)) {
      std::fprintf(stderr, "milter_bench: cannot connect to port %u\n", port);
      break;
    }
    c.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    auto neg = c.reply();
    if (!neg || !std::holds_alternative<milter::OptNeg>(*neg)) {
      ++failed;
      ++i;
      continue;
    }
    const uint32_t proto = std::get<milter::OptNeg>(*neg).protocol;
    c.send(milter::Macros{'C', {{"j", "mx.bench.example"}}});
    c.send(milter::Connect{"mx.sender0.bench.example", '4', 40000, "192.0.2.10"});
    if (!(proto & milter::kNrConnect)) c.reply();
    c.send(milter::Helo{"mx.sender0.bench.example"});
    if (!(proto & milter::kNrHelo)) c.reply();
    for (size_t k = 0; k < per_conn && i < n; ++k, ++i) {
      if (i == warm) {
        cpu0 = cpu_seconds(pid, peer_children);
        t0 = std::chrono::steady_clock::now();
      }
      std::string v;
      if (!one_message(c, msgs[i], proto, v)) {
        ++failed;
        ++i;
        break;
      }
      if (i >= warm) {
        ++done;
        ++verdicts[v];
      }
    }
    c.send(milter::Quit{});
    c.flush();
  }
  const double cpu = cpu_seconds(pid, peer_children) - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long rss_after = rss_kb(pid);
  std::printf(
      "%-10s messages=%zu (after %zu warm-up) failed=%zu  CPU/msg=%.3f ms  msgs/s=%.0f (one connection at a "
      "time)  RSS rest=%.1f MB after=%.1f MB\n",
      rampartd.empty() ? "peer" : "rampartd", done, warm, failed,
      done ? cpu * 1000.0 / static_cast<double>(done) : 0.0,
      wall > 0 ? static_cast<double>(done) / wall : 0.0, static_cast<double>(rss_rest) / 1024.0,
      static_cast<double>(rss_after) / 1024.0);
  for (const auto& [v, count] : verdicts) std::printf("  verdict %s: %zu\n", v.c_str(), count);
  if (!sample.empty()) std::printf("  first X-Rampart:%s\n", sample.c_str());
  if (!rampartd.empty()) {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::string cmd = "rm -rf " + tmp;
    if (tmp.rfind("/tmp/rampart-milter-bench-", 0) == 0) std::system(cmd.c_str());
  }
  return failed ? 1 : 0;
}

// File: bench/milter_bench.cc
// Drives rampartd through the milter protocol, as Postfix would, and through
// its HTTP API (POST /v1/scan), with N realistic messages (DKIM-signed
// rsa-sha256 relaxed/relaxed, ~1.8 KB, SPF and DMARC records for 10 sender
// domains, served by a DNS server on 127.0.0.1), and the same messages, in the
// same run, through rspamd (its milter proxy, and /checkv2 on its normal
// worker) and OpenDKIM (verify only: DKIM alone). Prints each daemon's CPU per
// message (utime+stime from /proc, every process of the daemon), messages per
// second, resident memory at rest and after the runs, and the CPU ratios.
//
//   milter_bench --rampartd build/apps/rampartd/rampartd [--rspamd /usr/bin/rspamd]
//                [--opendkim /usr/sbin/opendkim] [--no-http] [--messages 5000] [--per-connection 10]
//   milter_bench --milter 127.0.0.1:11332 --pid PID [--pid-children]   # a milter started elsewhere
//   milter_bench --rampartd PATH --loops 1,2 --loop-rounds 3 --clients 4 --pipeline 16 --sessions 0
//                                                          # event loops: 1 vs 2 [--no-milter] [--no-http]
//
// rspamd runs with Debian's stock rules and our workers/DNS (bench/rspamd/),
// OpenDKIM with bench/milter_opendkim.conf; both from a temp dir, in the
// foreground, resolving only through the loopback DNS server, and are killed
// when the bench ends (also on SIGINT/SIGTERM; PR_SET_PDEATHSIG if it dies).
// A program that prints numbers, never a test. The client runs one milter
// connection (or HTTP request) at a time and waits for every reply the
// negotiated flags call for; the first 10% of messages warm the caches and
// are not counted. --clients C keeps C connections busy at once, all driven
// by one thread of the bench (epoll, non-blocking sockets, every milter
// conversation and HTTP request encoded before the clock starts, each run of
// commands sent without waiting in one send()), so the client takes as
// little of the shared cores as it can, and prints its own CPU beside
// rampartd's; --loops N,M starts rampartd once per loop count and prints the
// msgs/s ratios (--loop-rounds R: the counts R times, alternated, and the
// median ratio; rampartd's CPU split into its loop threads and the others,
// each loop's share of the messages from its /metrics); --pipeline K keeps
// K HTTP scans in flight on each kept-alive connection.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
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

// CPU time of pid (and, optionally, every process whose parent is pid), in seconds.
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
  // The same time in nanoseconds: the run time the scheduler counts for each
  // thread (/proc/P/task/T/schedstat, first field), summed. utime+stime come
  // in 10 ms ticks, too coarse for a block of 25 sessions at ~0.15 ms per
  // message; ticks are the fallback without schedstat (CONFIG_SCHED_INFO).
  auto precise = [&one](pid_t p) -> double {
    const std::string dir = "/proc/" + std::to_string(p) + "/task";
    double ns = 0;
    bool any = false;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const std::string st = slurp(dir + "/" + e->d_name + "/schedstat");
        if (st.empty()) continue;
        ns += std::strtod(st.c_str(), nullptr);
        any = true;
      }
      closedir(d);
    }
    return any ? ns / 1e9 : one(p, nullptr);
  };
  double total = precise(pid);
  if (!children) return total;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      const pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
      if (p <= 0 || p == pid) continue;
      pid_t pp = 0;
      one(p, &pp);
      if (pp == pid) total += precise(p);
    }
    closedir(d);
  }
  return total;
}

// utime + stime of each thread of pid, in seconds, by thread id.
std::map<long, double> thread_seconds(pid_t pid) {
  std::map<long, double> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const long tid = std::atol(e->d_name);
      if (tid <= 0) continue;
      std::string st = slurp(dir + "/" + e->d_name + "/stat");
      const size_t rp = st.rfind(')');
      if (rp == std::string::npos) continue;
      std::istringstream in(st.substr(rp + 2));
      std::vector<std::string> f;
      for (std::string field; in >> field;) f.push_back(field);
      if (f.size() < 13) continue;
      // schedstat's first field: time on a CPU in ns (stat's utime+stime count 10 ms ticks: a
      // thread's few tens of ms per run would be read to +-20%).
      const std::string sched = slurp(dir + "/" + e->d_name + "/schedstat");
      out[tid] = !sched.empty() && std::isdigit(static_cast<unsigned char>(sched[0]))
                     ? std::stod(sched) / 1e9
                     : (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    closedir(d);
  }
  return out;
}

double sum_of(const std::map<long, double>& threads) {
  double t = 0;
  for (const auto& [tid, sec] : threads) t += sec;
  return t;
}

// This process's CPU (the client and the bench's DNS server thread), to the microsecond.
double self_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The machine's idle and total CPU time so far (/proc/stat's "cpu" line, in
// ticks; idle includes iowait): over a run, the share of every core nobody
// used. On a quiet machine, idle while two loops serve means the loops
// waited (for the client, a lock) instead of scanning.
std::pair<double, double> machine_ticks() {
  double idle = 0, total = 0;
  if (FILE* f = std::fopen("/proc/stat", "r")) {
    char tag[8] = {};
    double v[10] = {};
    if (std::fscanf(f, "%7s %lf %lf %lf %lf %lf %lf %lf %lf", tag, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                    &v[6], &v[7]) == 9) {
      idle = v[3] + v[4];
      for (int i = 0; i < 8; ++i) total += v[i];
    }
    std::fclose(f);
  }
  return {idle, total};
}

// This process's voluntary context switches (each a sleep in epoll_wait,
// mostly, and the wake-up after it).
long self_sleeps() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw;
}

// The event loops' threads of rampartd `pid`: loop 0 is its main thread, the
// others are named "rampartd-loopN" (src/server/server.cc); every other
// thread (the store service's writer, DNS, ...) is not a loop.
std::map<long, bool> loop_threads(pid_t pid) {
  std::map<long, bool> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const long tid = std::atol(e->d_name);
      if (tid <= 0) continue;
      std::string comm = slurp(dir + "/" + e->d_name + "/comm");
      out[tid] = tid == pid || comm.rfind("rampartd-loop", 0) == 0;
    }
    closedir(d);
  }
  return out;
}

// CPU seconds between two thread_seconds() snapshots, of the loop threads
// and of the others.
void split_cpu(const std::map<long, double>& before, const std::map<long, double>& after,
               const std::map<long, bool>& loops, double* loop_s, double* other_s) {
  *loop_s = *other_s = 0;
  for (const auto& [tid, s] : after) {
    auto it = before.find(tid);
    const double d = s - (it == before.end() ? 0.0 : it->second);
    auto l = loops.find(tid);
    (l != loops.end() && l->second ? *loop_s : *other_s) += d;
  }
}

// Each thread's CPU between two thread_seconds() snapshots as a share of one
// core over `wall` seconds, busiest first ("97 41 6 2"): shows whether one
// loop thread was the limit.
std::string thread_shares(const std::map<long, double>& before, const std::map<long, double>& after,
                          double wall, double* busiest_s = nullptr) {
  std::vector<double> v;
  for (const auto& [tid, s] : after) {
    auto it = before.find(tid);
    const double d = s - (it == before.end() ? 0.0 : it->second);
    if (d > 0 && wall > 0) v.push_back(100.0 * d / wall);
  }
  std::sort(v.rbegin(), v.rend());
  if (busiest_s) *busiest_s = v.empty() ? 0.0 : v[0] * wall / 100.0;
  std::string out;
  for (size_t i = 0; i < v.size() && i < 6; ++i) {
    char b[16];
    std::snprintf(b, sizeof b, "%s%.0f", out.empty() ? "" : " ", v[i]);
    out += b;
  }
  return out;
}

long rss_kb(pid_t pid) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// PSS (kB) of pid plus, with children, every process whose parent is pid; *procs: how many.
long pss_kb(pid_t pid, bool children, int* procs) {
  auto one = [](pid_t p) -> long {
    std::istringstream in(slurp("/proc/" + std::to_string(p) + "/smaps_rollup"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Pss:", 0) == 0) return std::atol(line.c_str() + 4);
    return 0;
  };
  long total = one(pid);
  int count = 1;
  if (children) {
    if (DIR* d = opendir("/proc")) {
      while (dirent* e = readdir(d)) {
        const pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
        if (p <= 0 || p == pid) continue;
        std::string st = slurp("/proc/" + std::to_string(p) + "/stat");
        const size_t rp = st.rfind(')');
        if (rp == std::string::npos) continue;
        std::istringstream in(st.substr(rp + 2));
        std::string state;
        long ppid = 0;
        in >> state >> ppid;
        if (ppid == pid) total += one(p), ++count;
      }
      closedir(d);
    }
  }
  if (procs) *procs = count;
  return total;
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
  std::string raw;  // the whole message, CRLF line ends (HTTP)
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
    m.raw = all + body;
    out.push_back(std::move(m));
  }
  return out;
}

// What one run of the same messages through one daemon and one interface gave.
struct Run {
  std::string name;
  size_t done = 0, failed = 0, dkim_pass = 0;
  double cpu_ms = 0, rate = 0;
  double client_cpu_ms = -1;     // --clients: the bench's own CPU per message (same machine)
  double client_sleeps = -1;     // --clients: the bench's voluntary context switches per message
  double idle = -1;              // --clients: share of the machine's CPU idle during the run (/proc/stat)
  double cpu_s = 0, wall_s = 0;  // totals behind cpu_ms and rate
  double load = -1;              // 1-minute load average at the end of the run (loops bench)
  std::string threads;           // loops bench: % of one core each rampartd thread took, busiest first
  double busiest_ms = 0;         // loops bench: the busiest rampartd thread's CPU per message
  double loop_ms = -1, other_ms = -1;  // loops bench: CPU per message of the loop threads, of the others
  std::vector<double> per_loop;        // loops bench: each loop's share of the messages (/metrics)
  size_t round = 0;                    // loops bench: which round (--loop-rounds)
  std::map<std::string, size_t> verdicts;
  std::string sample;  // the first Authentication-Results (or X-Rampart) seen
};

bool dkim_pass_in(std::string_view s) {
  return s.find("dkim=pass") != std::string_view::npos || s.find("R_DKIM_ALLOW") != std::string_view::npos;
}

// One message through an open, negotiated connection; false on protocol failure.
bool one_message(Client& c, const Msg& m, uint32_t proto, std::string& verdict, std::string& headers) {
  auto expect = [&](uint32_t nr) -> bool {
    if (proto & nr) return true;
    auto r = c.reply();
    return r.has_value();
  };
  // The macros Postfix sends by default (milter_*_macros) with a value.
  const std::string qid = "4Q" + std::to_string(m.body.size()) + "X";
  c.send(milter::Macros{'M', {{"i", qid}, {"{mail_addr}", m.from}}});
  c.send(milter::Mail{{"<" + m.from + ">"}});
  if (!expect(milter::kNrMail)) return false;
  c.send(milter::Macros{'R',
                        {{"i", qid},
                         {"{rcpt_addr}", "customer@example.net"},
                         {"{rcpt_host}", ""},
                         {"{rcpt_mailer}", "local"}}});
  c.send(milter::Rcpt{{"<customer@example.net>"}});
  if (!expect(milter::kNrRcpt)) return false;
  c.send(milter::Macros{'T', {{"i", qid}}});
  c.send(milter::Data{});
  if (!expect(milter::kNrData)) return false;
  for (const auto& [k, v] : m.headers) {
    c.send(milter::Header{k, (proto & milter::kHeaderLeadingSpace) ? v : (v.empty() ? v : v.substr(1))});
    if (!expect(milter::kNrHeader)) return false;
  }
  c.send(milter::Macros{'N', {{"i", qid}}});
  c.send(milter::EndOfHeaders{});
  if (!expect(milter::kNrEoh)) return false;
  for (size_t at = 0; at < m.body.size(); at += milter::kChunkSize) {  // as the MTA cuts it
    c.send(milter::Body{m.body.substr(at, milter::kChunkSize)});
    if (!expect(milter::kNrBody)) return false;
  }
  c.send(milter::Macros{'E', {{"i", qid}}});
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
    std::string name, value;
    if (auto* h = std::get_if<milter::InsertHeader>(&*r)) name = h->name, value = h->value;
    if (auto* h = std::get_if<milter::AddHeader>(&*r)) name = h->name, value = h->value;
    if (auto* h = std::get_if<milter::ChangeHeader>(&*r)) name = h->name, value = h->value;
    if (!name.empty()) {  // one line per field: unfold
      for (auto& ch : value)
        if (ch == '\r' || ch == '\n' || ch == '\t') ch = ' ';
      headers += name + ":" + value + "\n";
    }
    // quarantine, progress, skip: keep reading
  }
}

// The first value of header `name` in "Name:value\n" lines, or "".
std::string header_in(const std::string& lines, const std::string& name) {
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line))
    if (line.size() > name.size() && strncasecmp(line.c_str(), name.c_str(), name.size()) == 0 &&
        line[name.size()] == ':')
      return line.substr(name.size() + 1);
  return "";
}

Run run_milter(const std::string& name, uint16_t port, pid_t pid, bool children, const std::vector<Msg>& msgs,
               size_t per_conn) {
  Run run;
  run.name = name;
  const size_t n = msgs.size(), warm = n / 10;
  double cpu0 = cpu_seconds(pid, children);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n;) {
    Client c;
    if (!c.connect_to(port)) {
      std::fprintf(stderr, "milter_bench: %s: cannot connect to port %u\n", name.c_str(), port);
      break;
    }
    c.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    auto neg = c.reply();
    if (!neg || !std::holds_alternative<milter::OptNeg>(*neg)) {
      ++run.failed;
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
        cpu0 = cpu_seconds(pid, children);
        t0 = std::chrono::steady_clock::now();
      }
      std::string v, headers;
      if (!one_message(c, msgs[i], proto, v, headers)) {
        ++run.failed;
        ++i;
        break;
      }
      if (i >= warm) {
        ++run.done;
        ++run.verdicts[v];
        if (dkim_pass_in(header_in(headers, "Authentication-Results")) ||
            dkim_pass_in(header_in(headers, "X-Rampart")))
          ++run.dkim_pass;
        if (run.sample.empty()) {
          run.sample = header_in(headers, "Authentication-Results");
          if (run.sample.empty()) run.sample = header_in(headers, "X-Rampart");
        }
      }
    }
    c.send(milter::Quit{});
    c.flush();
  }
  const double cpu = cpu_seconds(pid, children) - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  return run;
}

// One HTTP/1.1 request on a new connection ("Connection: close", as rspamc
// and rampartd's own server do); the response body, or nullopt.
std::optional<std::string> http_request(uint16_t port, const std::string& req, int* status = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  size_t off = 0;
  while (off < req.size()) {
    const ssize_t w = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (w <= 0) {
      ::close(fd);
      return std::nullopt;
    }
    off += static_cast<size_t>(w);
  }
  std::string in;
  size_t body_at = std::string::npos, length = std::string::npos;
  char buf[65536];
  while (true) {
    if (body_at == std::string::npos) {
      const size_t e = in.find("\r\n\r\n");
      if (e != std::string::npos) {
        body_at = e + 4;
        std::string head = in.substr(0, e);
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const size_t cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) length = std::stoul(head.substr(cl + 17));
        if (status && in.size() > 12) *status = std::atoi(in.c_str() + 9);
      }
    }
    if (body_at != std::string::npos && length != std::string::npos && in.size() >= body_at + length) break;
    const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (r == 0) break;
    in.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  if (body_at == std::string::npos) return std::nullopt;
  return in.substr(body_at, length == std::string::npos ? std::string::npos : length);
}

// The string value of "key" in a flat JSON object (enough for "action").
std::string json_string(const std::string& body, const std::string& key) {
  size_t at = body.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  at = body.find('"', body.find(':', at) + 1);
  if (at == std::string::npos) return "";
  const size_t end = body.find('"', at + 1);
  return end == std::string::npos ? "" : body.substr(at + 1, end - at - 1);
}

// The verdict's "action" in a /v1/scan answer, without copying the body.
std::string_view action_of(std::string_view body) {
  static constexpr std::string_view kKey = "\"action\": \"";
  const size_t at = body.find(kKey);
  if (at == std::string_view::npos) return {};
  const size_t from = at + kKey.size(), end = body.find('"', from);
  return end == std::string_view::npos ? std::string_view() : body.substr(from, end - from);
}

enum class HttpApi { kRampart, kRspamd };

Run run_http(const std::string& name, uint16_t port, HttpApi api, pid_t pid, bool children,
             const std::vector<Msg>& msgs) {
  Run run;
  run.name = name;
  const size_t n = msgs.size(), warm = n / 10;
  double cpu0 = cpu_seconds(pid, children);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    if (i == warm) {
      cpu0 = cpu_seconds(pid, children);
      t0 = std::chrono::steady_clock::now();
    }
    const Msg& m = msgs[i];
    std::string req;
    if (api == HttpApi::kRampart)
      req =
          "POST /v1/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client-IP: 192.0.2.10\r\n"
          "X-Helo: mx.sender0.bench.example\r\nX-Mail-From: " +
          m.from + "\r\nX-Rcpt-To: customer@example.net\r\n";
    else  // rspamc's headers; Hostname: the client's rDNS, which the MTA passes on the milter too
      req =
          "POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1\r\nIP: 192.0.2.10\r\nHostname: "
          "mx.sender0.bench.example\r\n"
          "Helo: mx.sender0.bench.example\r\nFrom: " +
          m.from + "\r\nRcpt: customer@example.net\r\nQueue-Id: QID\r\n";
    req += "Connection: close\r\nContent-Length: " + std::to_string(m.raw.size()) + "\r\n\r\n" + m.raw;
    int status = 0;
    auto body = http_request(port, req, &status);
    if (!body || status != 200) {
      if (run.failed++ == 0)
        std::fprintf(stderr, "milter_bench: %s: HTTP %d %s\n", name.c_str(), status,
                     body ? body->substr(0, 200).c_str() : "(no answer)");
      continue;
    }
    if (i < warm) continue;
    ++run.done;
    ++run.verdicts[json_string(*body, "action")];
    if (dkim_pass_in(*body)) ++run.dkim_pass;
    if (run.sample.empty()) {
      run.sample = json_string(*body, "authentication_results");
      if (run.sample.empty()) {  // rspamd: the authentication symbols it found
        for (const char* s : {"R_DKIM_ALLOW", "R_SPF_ALLOW", "DMARC_POLICY_ALLOW"})
          if (body->find(s) != std::string::npos)
            run.sample += std::string(run.sample.empty() ? "" : " ") + s;
      }
    }
  }
  const double cpu = cpu_seconds(pid, children) - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  return run;
}

// --pipeline K (rampartd's loops bench): POST /v1/scan on one kept-alive
// connection, K requests sent before their K answers are read (HTTP/1.1
// pipelining), so the client's own cost per scan is small beside the
// daemon's and the daemon, not the client, sets the rate.
Run run_http_pipelined(const std::string& name, uint16_t port, pid_t pid, const std::vector<Msg>& msgs,
                       size_t depth) {
  Run run;
  run.name = name;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (fd >= 0) ::close(fd);
    run.failed = msgs.size();
    return run;
  }
  const size_t n = msgs.size(), warm = n / 10;
  double cpu0 = cpu_seconds(pid, false);
  auto t0 = std::chrono::steady_clock::now();
  bool timing = false;
  std::string in;
  char buf[65536];
  for (size_t i = 0; i < n;) {
    if (!timing && i >= warm) {
      timing = true;
      cpu0 = cpu_seconds(pid, false);
      t0 = std::chrono::steady_clock::now();
    }
    const size_t batch = std::min(depth, n - i);
    std::string req;
    for (size_t k = i; k < i + batch; ++k) {
      const Msg& m = msgs[k];
      req +=
          "POST /v1/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client-IP: 192.0.2.10\r\n"
          "X-Helo: mx.sender0.bench.example\r\nX-Mail-From: " +
          m.from + "\r\nX-Rcpt-To: customer@example.net\r\nContent-Length: " + std::to_string(m.raw.size()) +
          "\r\n\r\n" + m.raw;
    }
    size_t off = 0;
    while (off < req.size()) {
      const ssize_t w = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    size_t answered = 0;
    while (answered < batch) {
      size_t len = 0;
      const size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        const size_t cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) {
          const size_t body = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
          if (in.size() >= end + 4 + body) len = end + 4 + body;
        }
      }
      if (len == 0) {
        const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        in.append(buf, static_cast<size_t>(r));
        continue;
      }
      const std::string body = in.substr(end + 4, len - end - 4);
      const bool ok = in.compare(0, 12, "HTTP/1.1 200") == 0;
      in.erase(0, len);
      ++answered;
      if (!ok) {
        ++run.failed;
        continue;
      }
      if (!timing) continue;
      ++run.done;
      ++run.verdicts[json_string(body, "action")];
      if (dkim_pass_in(body)) ++run.dkim_pass;
      if (run.sample.empty()) run.sample = json_string(body, "authentication_results");
    }
    if (answered < batch) {
      run.failed += n - i - answered;
      break;
    }
    i += batch;
  }
  ::close(fd);
  const double cpu = cpu_seconds(pid, false) - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  return run;
}

// ---- the loops bench's client: one thread, non-blocking, pre-built bytes ----
//
// --clients C drives C connections at once from ONE thread (epoll), so the
// bench costs as little CPU as it can beside rampartd on the same cores:
// every message's milter conversation (or HTTP request) is encoded before
// the clock starts, each run of commands the MTA sends without waiting for a
// reply goes out in one send(), and replies are read with one recv() per
// readiness. The client's own CPU is measured and printed with the figures.

// One message's milter conversation under a negotiated protocol: segments,
// each the commands sent together up to the one the MTA waits on; the last
// (EOB) is answered by modifications and then a final reply.
struct MilterScript {
  std::vector<std::string> segments;
};

MilterScript milter_script(const Msg& m, uint32_t proto) {
  MilterScript s;
  std::string cur;
  auto cut = [&](uint32_t nr) {
    if (proto & nr) return;
    s.segments.push_back(std::move(cur));
    cur.clear();
  };
  const std::string qid = "4Q" + std::to_string(m.body.size()) + "X";
  cur += milter::encode_command(milter::Macros{'M', {{"i", qid}, {"{mail_addr}", m.from}}});
  cur += milter::encode_command(milter::Mail{{"<" + m.from + ">"}});
  cut(milter::kNrMail);
  cur += milter::encode_command(milter::Macros{'R',
                                               {{"i", qid},
                                                {"{rcpt_addr}", "customer@example.net"},
                                                {"{rcpt_host}", ""},
                                                {"{rcpt_mailer}", "local"}}});
  cur += milter::encode_command(milter::Rcpt{{"<customer@example.net>"}});
  cut(milter::kNrRcpt);
  cur += milter::encode_command(milter::Macros{'T', {{"i", qid}}});
  cur += milter::encode_command(milter::Data{});
  cut(milter::kNrData);
  for (const auto& [k, v] : m.headers) {
    cur += milter::encode_command(
        milter::Header{k, (proto & milter::kHeaderLeadingSpace) ? v : (v.empty() ? v : v.substr(1))});
    cut(milter::kNrHeader);
  }
  cur += milter::encode_command(milter::Macros{'N', {{"i", qid}}});
  cur += milter::encode_command(milter::EndOfHeaders{});
  cut(milter::kNrEoh);
  for (size_t at = 0; at < m.body.size(); at += milter::kChunkSize) {
    cur += milter::encode_command(milter::Body{m.body.substr(at, milter::kChunkSize)});
    cut(milter::kNrBody);
  }
  cur += milter::encode_command(milter::Macros{'E', {{"i", qid}}});
  cur += milter::encode_command(milter::EndOfBody{});
  s.segments.push_back(std::move(cur));
  return s;
}

int nb_connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What one connection slot of the event-driven client is doing.
struct Slot {
  int fd = -1;
  std::string_view pending;  // bytes still to send of the current segment(s)
  std::string own;           // a segment built for this connection (its first)
  bool want_out = false;     // EPOLLOUT registered
  milter::Framer framer{milter::kDefaultMaxPacket};
  // milter: the message range of this connection, the one in progress, its segment
  size_t first = 0, end = 0, msg = 0, seg = 0;
  bool negotiated = false;
  std::string headers;  // modifications of the message in progress
  // HTTP: requests sent and answered on this connection; with fixed shares,
  // its share [next_send, end) not sent yet
  size_t sent = 0, answered = 0, next_send = 0;
  std::string in;
  int lowat = 1;  // the socket's SO_RCVLOWAT
};

class Poller {
 public:
  Poller() : ep_(::epoll_create1(EPOLL_CLOEXEC)) {}
  ~Poller() { ::close(ep_); }
  void add(int fd, uint64_t tag, bool out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.u64 = tag;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }
  void mod(int fd, uint64_t tag, bool out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.u64 = tag;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
  }
  int wait(epoll_event* evs, int n, int ms) { return ::epoll_wait(ep_, evs, n, ms); }

 private:
  int ep_;
};

// Sends what the socket takes of s.pending; false on error.
bool pump_out(Slot& s, Poller& p, uint64_t tag) {
  while (!s.pending.empty()) {
    const ssize_t w = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w <= 0) return false;
    s.pending.remove_prefix(static_cast<size_t>(w));
  }
  const bool out = !s.pending.empty();
  if (out != s.want_out) {
    s.want_out = out;
    p.mod(s.fd, tag, out);
  }
  return true;
}

// Reads what is there into `s`; false on EOF or error.
template <typename Feed>
bool pump_in(Slot& s, Feed feed) {
  char buf[65536];
  for (;;) {
    const ssize_t r = ::recv(s.fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (r <= 0) return false;
    feed(std::string_view(buf, static_cast<size_t>(r)));
    if (static_cast<size_t>(r) < sizeof buf) return true;  // drained (edge: the next data wakes us again)
  }
}

// The milter messages msgs[from, to) through `clients` connections at once,
// `per_conn` messages per connection, from this thread; adds to `run`.
void drive_milter(Run& run, uint16_t port, const std::vector<MilterScript>& scripts,
                  const std::string& prefix, size_t from, size_t to, size_t clients, size_t per_conn,
                  bool count) {
  static const std::string optneg = milter::encode_command(milter::OptNeg{6, 0x1ff, 0x1fffff});
  static const std::string quit = milter::encode_command(milter::Quit{});
  Poller poll;
  std::vector<Slot> slots(clients);
  size_t next = from, active = 0;
  auto open = [&](size_t k) -> bool {
    Slot& s = slots[k];
    if (s.fd >= 0) {
      ::send(s.fd, quit.data(), quit.size(), MSG_NOSIGNAL);
      ::close(s.fd);
      s.fd = -1;
      --active;
    }
    if (next >= to) return true;
    s = Slot{};
    s.first = s.msg = next;
    s.end = std::min(to, next + per_conn);
    next = s.end;
    s.fd = nb_connect(port);
    if (s.fd < 0) return false;
    ++active;
    s.pending = optneg;
    s.want_out = true;
    poll.add(s.fd, k, true);
    return true;
  };
  // The next segment of slot k (after a reply that was waited for).
  auto advance = [&](size_t k) -> bool {
    Slot& s = slots[k];
    if (!s.negotiated) {
      s.negotiated = true;
      s.own = prefix + scripts[s.msg].segments[0];  // CONNECT, HELO and the first MAIL in one send
      s.pending = s.own;
      s.seg = 0;
      return pump_out(s, poll, k);
    }
    if (++s.seg < scripts[s.msg].segments.size()) {
      s.pending = scripts[s.msg].segments[s.seg];
      return pump_out(s, poll, k);
    }
    return true;
  };
  auto finish_message = [&](size_t k, const std::string& verdict) -> bool {
    Slot& s = slots[k];
    if (count) {
      ++run.done;
      ++run.verdicts[verdict];
      if (dkim_pass_in(s.headers)) ++run.dkim_pass;
      if (run.sample.empty()) run.sample = header_in(s.headers, "Authentication-Results");
    }
    s.headers.clear();
    if (++s.msg >= s.end) return open(k);
    s.seg = 0;
    s.pending = scripts[s.msg].segments[0];
    return pump_out(s, poll, k);
  };
  for (size_t k = 0; k < clients; ++k)
    if (!open(k)) ++run.failed;
  epoll_event evs[256];
  while (active > 0) {
    const int n = poll.wait(evs, 256, 30000);
    if (n <= 0) {
      std::fprintf(stderr, "milter_bench: milter clients: no answer for 30 s\n");
      run.failed += to - next;
      break;
    }
    for (int e = 0; e < n; ++e) {
      const size_t k = evs[e].data.u64;
      Slot& s = slots[k];
      if (s.fd < 0) continue;
      bool ok = true;
      if (evs[e].events & EPOLLOUT) ok = pump_out(s, poll, k);
      if (ok && (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        ok = pump_in(s, [&](std::string_view d) { s.framer.feed(d); });
      while (ok && s.fd >= 0) {
        auto p = s.framer.next();
        if (!p || !*p) {
          ok = p.has_value();
          break;
        }
        auto r = milter::decode_reply(**p);
        if (!r) {
          ok = false;
          break;
        }
        if (!s.negotiated) {
          ok = std::holds_alternative<milter::OptNeg>(*r) && advance(k);
          continue;
        }
        const bool last = s.seg + 1 == scripts[s.msg].segments.size();
        if (!last) {
          ok = advance(k);
          continue;
        }
        std::string verdict;
        if (std::holds_alternative<milter::Continue>(*r) || std::holds_alternative<milter::Accept>(*r))
          verdict = "continue";
        else if (auto* y = std::get_if<milter::ReplyCode>(&*r))
          verdict = y->text.substr(0, 3);
        else if (std::holds_alternative<milter::Reject>(*r) || std::holds_alternative<milter::Tempfail>(*r) ||
                 std::holds_alternative<milter::Discard>(*r))
          verdict = "reject/tempfail/discard";
        if (verdict.empty()) {
          std::string name, value;
          if (auto* h = std::get_if<milter::InsertHeader>(&*r)) name = h->name, value = h->value;
          if (auto* h = std::get_if<milter::AddHeader>(&*r)) name = h->name, value = h->value;
          if (!name.empty()) s.headers += name + ":" + value + "\n";
          continue;
        }
        ok = finish_message(k, verdict);
      }
      if (!ok && s.fd >= 0) {  // the rest of this connection's messages fail
        run.failed += s.end - s.msg;
        ::close(s.fd);
        s.fd = -1;
        --active;
        if (!open(k)) ++run.failed;
      }
    }
  }
  for (Slot& s : slots)
    if (s.fd >= 0) ::close(s.fd);
}

// The loops bench through the milter: the protocol is learnt on one
// connection, every message's conversation encoded, the first 10% sent to
// warm the caches (not counted), then the rest timed.
Run run_milter_clients(const std::string& name, uint16_t port, pid_t pid, const std::vector<Msg>& msgs,
                       size_t clients, size_t per_conn) {
  Run run;
  run.name = name;
  uint32_t proto = 0;
  {
    Client c;
    if (!c.connect_to(port)) {
      run.failed = msgs.size();
      return run;
    }
    c.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    auto neg = c.reply();
    if (!neg || !std::holds_alternative<milter::OptNeg>(*neg)) {
      run.failed = msgs.size();
      return run;
    }
    proto = std::get<milter::OptNeg>(*neg).protocol;
    c.send(milter::Quit{});
    c.flush();
  }
  // The connection's opening, sent with its first MAIL when no reply is due.
  std::string prefix =
      milter::encode_command(milter::Macros{'C', {{"j", "mx.bench.example"}}}) +
      milter::encode_command(milter::Connect{"mx.sender0.bench.example", '4', 40000, "192.0.2.10"}) +
      milter::encode_command(milter::Helo{"mx.sender0.bench.example"});
  if (!(proto & milter::kNrConnect) || !(proto & milter::kNrHelo)) {
    std::fprintf(stderr,
                 "milter_bench: %s: CONNECT/HELO replies not waived; the one-thread client needs them\n",
                 name.c_str());
    run.failed = msgs.size();
    return run;
  }
  std::vector<MilterScript> scripts;
  scripts.reserve(msgs.size());
  for (const Msg& m : msgs) scripts.push_back(milter_script(m, proto));
  const size_t warm = msgs.size() / 10;
  drive_milter(run, port, scripts, prefix, 0, warm, clients, per_conn, false);
  const auto th0 = thread_seconds(pid);
  const double cpu0 = sum_of(th0), self0 = self_seconds();
  const long sleeps0 = self_sleeps();
  const auto ticks0 = machine_ticks();
  const auto t0 = std::chrono::steady_clock::now();
  drive_milter(run, port, scripts, prefix, warm, msgs.size(), clients, per_conn, true);
  const auto th1 = thread_seconds(pid);
  const double cpu = sum_of(th1) - cpu0, self = self_seconds() - self0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_s = cpu;
  run.wall_s = wall;
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  run.client_cpu_ms = run.done ? self * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.client_sleeps =
      run.done ? static_cast<double>(self_sleeps() - sleeps0) / static_cast<double>(run.done) : 0.0;
  if (const auto ticks1 = machine_ticks(); ticks1.second > ticks0.second)
    run.idle = (ticks1.first - ticks0.first) / (ticks1.second - ticks0.second);
  double busiest = 0;
  run.threads = thread_shares(th0, th1, wall, &busiest);
  run.busiest_ms = run.done ? busiest * 1000.0 / static_cast<double>(run.done) : 0.0;
  double loop_s = 0, other_s = 0;
  split_cpu(th0, th1, loop_threads(pid), &loop_s, &other_s);
  if (run.done) {
    run.loop_ms = loop_s * 1000.0 / static_cast<double>(run.done);
    run.other_ms = other_s * 1000.0 / static_cast<double>(run.done);
  }
  return run;
}

// A copy of `text` in memory the kernel is asked to back with 2 MiB pages
// (MADV_HUGEPAGE; transparent huge pages set to "madvise" here).
class HugeCopy {
 public:
  explicit HugeCopy(std::string_view text) : size_(text.size()) {
    static const bool off = std::getenv("MILTER_BENCH_NO_HUGE") != nullptr;
    const size_t huge = size_t{2} << 20;
    map_ = (size_ + huge - 1) / huge * huge;
    if (!off && map_ > 0) {
      void* p = ::mmap(nullptr, map_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        ::madvise(p, map_, MADV_HUGEPAGE);
        data_ = static_cast<char*>(p);
        std::memcpy(data_, text.data(), size_);
        return;
      }
    }
    map_ = 0;
    copy_ = std::string(text);
  }
  ~HugeCopy() {
    if (map_) ::munmap(data_, map_);
  }
  HugeCopy(const HugeCopy&) = delete;
  HugeCopy& operator=(const HugeCopy&) = delete;
  std::string_view view() const { return map_ ? std::string_view(data_, size_) : std::string_view(copy_); }

 private:
  size_t size_ = 0, map_ = 0;
  char* data_ = nullptr;
  std::string copy_;
};

// POST /v1/scan, `depth` requests in flight on each of `clients` kept-alive
// connections from this thread (HTTP/1.1 pipelining): all requests are built
// before the clock starts; a connection sends its next requests (at least
// depth/2), in one send(), whenever half of those in flight have been
// answered. The requests are handed out in order from one cursor to the
// connection that has room, not split into fixed shares per connection: a
// loop that serves its connections faster gets more of them, as an MTA's
// busiest connection would, instead of idling at the end of the run while
// the slower loop finishes its share (a vCPU of this VM is at times 15%
// slower than the other). Every request is sent once, with the same bytes.
// MILTER_BENCH_FIXED_SHARES=1: each connection its fixed share (the client
// before 2026-12-07, session 8).
void drive_http(Run& run, uint16_t port, std::string_view all, const std::vector<size_t>& ends, size_t from,
                size_t to, size_t clients, size_t depth, bool count) {
  static const bool fixed_shares = std::getenv("MILTER_BENCH_FIXED_SHARES") != nullptr;
  Poller poll;
  std::vector<Slot> slots(clients);
  size_t active = 0;
  size_t cursor = from;  // the next request not yet handed to a connection
  const size_t per = (to - from + clients - 1) / clients;
  const size_t refill = std::max<size_t>(1, depth / 2);
  auto start_of = [&](size_t i) { return i == 0 ? size_t{0} : ends[i - 1]; };
  // The first and one-past-last request slot k may take next.
  auto next_range = [&](Slot& s) -> std::pair<size_t, size_t> {
    if (fixed_shares) return {s.next_send, s.end};
    return {cursor, to};
  };
  // Sends up to `depth` in flight.
  auto top_up = [&](size_t k) -> bool {
    Slot& s = slots[k];
    if (!s.pending.empty()) return true;
    const size_t in_flight = s.sent - s.answered;
    const auto [first, last] = next_range(s);
    if (first >= last || in_flight + refill > depth) return true;
    const size_t upto = std::min(last, first + (depth - in_flight));
    s.pending = all.substr(start_of(first), ends[upto - 1] - start_of(first));
    s.sent += upto - first;
    (fixed_shares ? s.next_send : cursor) = upto;
    return pump_out(s, poll, k);
  };
  // The client acts on a connection only when it may send its next depth/2
  // requests (half of those in flight answered) or when its last answer is
  // in: being woken at each answer before that costs a sleep and a wake-up
  // each (a third of this client's CPU in `perf`). So each socket's
  // SO_RCVLOWAT asks for the bytes of the answers the next action waits
  // for, at the smallest answer size seen so far (an answer is never
  // shorter, so the wake-up never comes later than without it); the
  // traffic is unchanged. A smaller answer than any before (an error) could
  // leave the mark unreached: every 20 ms without a wake-up each socket is
  // read anyway.
  // MILTER_BENCH_NO_RCVLOWAT=1: woken at every answer (the client before 2026-12-07).
  static const bool no_lowat = std::getenv("MILTER_BENCH_NO_RCVLOWAT") != nullptr;
  size_t min_answer = 0;  // bytes of the smallest answer seen (0: none yet)
  auto set_lowat = [&](Slot& s) {
    if (no_lowat || min_answer == 0 || s.fd < 0) return;
    const size_t in_flight = s.sent - s.answered;
    const auto [first, last] = next_range(s);
    // Answers to wait for: those that make room for depth/2 more, or all of them.
    const size_t need = std::max<size_t>(
        1, first < last && in_flight + refill > depth ? in_flight + refill - depth : in_flight);
    const size_t want = need * min_answer;
    int lowat = static_cast<int>(std::max<size_t>(1, want > s.in.size() ? want - s.in.size() : 1));
    if (lowat == s.lowat) return;
    s.lowat = lowat;
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
  };
  auto close_slot = [&](Slot& s, bool failed) {
    if (failed) run.failed += s.sent - s.answered + (fixed_shares ? s.end - s.next_send : 0);
    ::close(s.fd);
    s.fd = -1;
    --active;
  };
  for (size_t k = 0; k < clients; ++k) {
    Slot& s = slots[k];
    s.next_send = std::min(to, from + k * per);
    s.end = std::min(to, s.next_send + per);
    if (fixed_shares && s.next_send >= s.end) continue;
    s.fd = nb_connect(port);
    if (s.fd < 0) {
      if (fixed_shares) run.failed += s.end - s.next_send;
      continue;
    }
    ++active;
    poll.add(s.fd, k, false);
    if (!top_up(k))
      close_slot(s, true);
    else if (s.sent == 0)  // nothing left for it (fewer requests than connections x depth)
      close_slot(s, false);
  }
  epoll_event evs[256];
  auto last_progress = std::chrono::steady_clock::now();
  size_t answers = 0;
  while (active > 0) {
    int n = poll.wait(evs, 256, 20);
    if (n < 0 && errno != EINTR) n = 0;
    if (n <= 0) {  // 20 ms without a wake-up: read every socket below its mark
      n = 0;
      for (size_t k = 0; k < slots.size() && n < 256; ++k)
        if (slots[k].fd >= 0) evs[n++] = epoll_event{EPOLLIN, {.u64 = k}};
    }
    const size_t answered_before = answers;
    for (int e = 0; e < n; ++e) {
      const size_t k = evs[e].data.u64;
      Slot& s = slots[k];
      if (s.fd < 0) continue;
      bool ok = true;
      if (evs[e].events & EPOLLOUT) ok = pump_out(s, poll, k);
      if (ok && (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        ok = pump_in(s, [&](std::string_view d) { s.in.append(d); });
      size_t at = 0;
      while (ok) {
        const size_t end = s.in.find("\r\n\r\n", at);
        if (end == std::string::npos) break;
        const size_t cl = s.in.find("Content-Length: ", at);
        if (cl == std::string::npos || cl > end) {
          ok = false;
          break;
        }
        const size_t len = std::strtoul(s.in.c_str() + cl + 16, nullptr, 10);
        if (s.in.size() < end + 4 + len) break;
        const std::string_view body(s.in.data() + end + 4, len);
        const bool good = s.in.compare(at, 12, "HTTP/1.1 200") == 0;
        const size_t bytes = end + 4 + len - at;
        if (min_answer == 0 || bytes < min_answer) min_answer = bytes;
        at = end + 4 + len;
        ++s.answered;
        ++answers;
        if (!good) {
          ++run.failed;
          continue;
        }
        if (!count) continue;
        ++run.done;
        ++run.verdicts[std::string(action_of(body))];
        if (dkim_pass_in(body)) ++run.dkim_pass;
        if (run.sample.empty()) run.sample = json_string(std::string(body), "authentication_results");
      }
      s.in.erase(0, at);
      if (ok) ok = top_up(k);
      const auto [first, last] = next_range(s);
      if (!ok || (s.answered >= s.sent && first >= last)) {
        close_slot(s, !ok);
      } else {
        set_lowat(s);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (answers != answered_before) last_progress = now;
    if (now - last_progress > std::chrono::seconds(30)) {
      std::fprintf(stderr, "milter_bench: HTTP clients: no answer for 30 s\n");
      for (Slot& s : slots)
        if (s.fd >= 0) close_slot(s, true);
      break;
    }
  }
  if (!fixed_shares) run.failed += to - cursor;  // never sent: every connection failed
  for (Slot& s : slots)
    if (s.fd >= 0) ::close(s.fd);
}

Run run_http_clients(const std::string& name, uint16_t port, pid_t pid, const std::vector<Msg>& msgs,
                     size_t clients, size_t depth) {
  Run run;
  run.name = name;
  std::string all;
  std::vector<size_t> ends;
  ends.reserve(msgs.size());
  for (const Msg& m : msgs) {
    all +=
        "POST /v1/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client-IP: 192.0.2.10\r\n"
        "X-Helo: mx.sender0.bench.example\r\nX-Mail-From: " +
        m.from + "\r\nX-Rcpt-To: customer@example.net\r\nContent-Length: " + std::to_string(m.raw.size()) +
        "\r\n\r\n" + m.raw;
    ends.push_back(all.size());
  }
  const HugeCopy bytes(all);
  const size_t warm = msgs.size() / 10;
  drive_http(run, port, bytes.view(), ends, 0, warm, clients, depth, false);
  const auto th0 = thread_seconds(pid);
  const double cpu0 = sum_of(th0), self0 = self_seconds();
  const long sleeps0 = self_sleeps();
  const auto ticks0 = machine_ticks();
  const auto t0 = std::chrono::steady_clock::now();
  drive_http(run, port, bytes.view(), ends, warm, msgs.size(), clients, depth, true);
  const auto th1 = thread_seconds(pid);
  const double cpu = sum_of(th1) - cpu0, self = self_seconds() - self0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_s = cpu;
  run.wall_s = wall;
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  run.client_cpu_ms = run.done ? self * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.client_sleeps =
      run.done ? static_cast<double>(self_sleeps() - sleeps0) / static_cast<double>(run.done) : 0.0;
  if (const auto ticks1 = machine_ticks(); ticks1.second > ticks0.second)
    run.idle = (ticks1.first - ticks0.first) / (ticks1.second - ticks0.second);
  double busiest = 0;
  run.threads = thread_shares(th0, th1, wall, &busiest);
  run.busiest_ms = run.done ? busiest * 1000.0 / static_cast<double>(run.done) : 0.0;
  double loop_s = 0, other_s = 0;
  split_cpu(th0, th1, loop_threads(pid), &loop_s, &other_s);
  if (run.done) {
    run.loop_ms = loop_s * 1000.0 / static_cast<double>(run.done);
    run.other_ms = other_s * 1000.0 / static_cast<double>(run.done);
  }
  return run;
}

// Every process this bench started, killed on exit and on SIGINT/SIGTERM.
std::vector<pid_t> started;

void stop_all() {
  for (pid_t p : started)
    if (p > 0) ::kill(p, SIGTERM);
  for (pid_t p : started) {
    if (p <= 0) continue;
    int st = 0;
    for (int k = 0; k < 100; ++k) {  // 10 s, then SIGKILL
      if (::waitpid(p, &st, WNOHANG) != 0) break;
      ::usleep(100000);
      if (k == 99) {
        ::kill(p, SIGKILL);
        ::waitpid(p, &st, 0);
      }
    }
  }
  started.clear();
}

extern "C" void on_signal(int sig) {
  for (pid_t p : started)
    if (p > 0) ::kill(p, SIGTERM);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// fork + exec argv with stdout to out_fd (or `log`), stderr to `log`; the child dies with us.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, int out_fd = -1) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int lf = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (lf >= 0) {
      ::dup2(out_fd >= 0 ? out_fd : lf, 1);
      ::dup2(lf, 2);
    }
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  if (pid > 0) started.push_back(pid);
  return pid;
}

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

bool port_open(uint16_t port) {
  Client c;
  return c.connect_to(port);
}

// Waits (bounded) until `ready` holds or pid exits.
bool wait_ready(pid_t pid, int seconds, const std::function<bool()>& ready) {
  for (int k = 0; k < seconds * 10; ++k) {
    if (ready()) return true;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return false;
    ::usleep(100000);
  }
  return false;
}

std::string fill(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars)
    for (size_t at = text.find(k); at != std::string::npos; at = text.find(k, at + v.size()))
      text.replace(at, k.size(), v);
  return text;
}

struct Mem {
  double rest_mb = 0, after_mb = 0;
  int procs = 0;
};

// ---- realistic traffic: many clients, SMTP sessions of a few messages ----

// splitmix64: a fixed-seed generator, so every run sends the same traffic.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

// An SMTP client: its address and the name its PTR gives ("" = no PTR: the
// MTA then passes "[address]" as the host name, as Postfix does).
struct SmtpClient {
  std::string ip, ptr;
};

// One SMTP session: a client and the messages it sends (indexes into the pool).
struct Session {
  size_t client = 0;
  size_t first = 0, count = 0;
};

// Sender domains: a few hundred, as an MX sees; each owns a /16 for its own
// MTAs (SPF ip4:), and also sends through a shared mail provider
// (include:_spf.esp.bench.example, whose /16 holds the repeat clients).
constexpr size_t kDomains = 200;
const int kFirstOctets[] = {5,   12,  23,  31,  37,  45,  46,  50,  52,  62,  64,  66, 69, 74,
                            77,  78,  80,  81,  82,  83,  85,  87,  88,  89,  91,  93, 94, 95,
                            104, 109, 141, 143, 145, 146, 151, 176, 178, 185, 193, 195};
std::string domain_name(size_t d) { return "sender" + std::to_string(d) + ".bench.example"; }
std::string domain_net(size_t d) {  // "A.B." of the domain's /16
  return std::to_string(kFirstOctets[d % 40]) + "." + std::to_string(10 + d / 40) + ".";
}
const std::string kEspNet = "62.200.";  // the mail provider's /16: the repeat clients
const std::vector<std::string> kWords = {
    "order",    "account",  "delivery", "invoice", "update",   "service", "customer", "please", "thank",
    "you",      "for",      "your",     "the",     "and",      "with",    "our",      "new",    "team",
    "meeting",  "report",   "attached", "review",  "project",  "week",    "today",    "we",     "have",
    "will",     "be",       "this",     "that",    "from",     "about",   "product",  "offer",  "price",
    "shipping", "payment",  "details",  "support", "question", "answer",  "regards",  "best",   "monday",
    "friday",   "schedule", "budget",   "quarter", "results",  "summary", "release",  "notes",  "changes"};

std::string words(Rng& r, size_t bytes, size_t width = 72) {
  std::string out, line;
  while (out.size() + line.size() < bytes) {
    const std::string& w = kWords[r.below(kWords.size())];
    if (line.size() + w.size() + 1 > width) {
      out += line + "\r\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += w;
    if (r.below(12) == 0) line += '.';
  }
  return out + line + "\r\n";
}

std::string base64_lines(Rng& r, size_t bytes) {
  static const char* tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const size_t chars = (bytes + 2) / 3 * 4;
  for (size_t i = 0; i < chars; ++i) {
    out.push_back(tab[r.next() & 63]);
    if (i % 76 == 75) out += "\r\n";
  }
  return out + "\r\n";
}

// Message i of the pool, From the session's domain `d`: half plain text of
// 1.5-5 KB, a third multipart/alternative text+HTML of 8-25 KB (newsletters:
// links, List-Unsubscribe), the rest multipart/mixed with a base64 attachment
// of 30-150 KB. DKIM-signed rsa-sha256 relaxed/relaxed by d.
Msg make_realistic(size_t i, size_t d, Rng& r, const dkim::PrivateKey& key) {
  const std::string dom = domain_name(d);
  const size_t kind = r.below(100);
  std::string ctype, body, extra;
  if (kind < 50) {
    ctype = "text/plain; charset=utf-8";
    body = "Hello,\r\n\r\n" + words(r, 1500 + r.below(3500)) + "\r\nBest regards,\r\nThe team\r\n";
  } else if (kind < 85) {
    const std::string b = "=_alt_" + std::to_string(i);
    ctype = "multipart/alternative; boundary=\"" + b + "\"";
    const size_t size = 8000 + r.below(17000);
    std::string text = words(r, size / 3), html = "<html><body>\r\n";
    while (html.size() < size * 2 / 3) {
      html += "<p>" + words(r, 300, 200) + "</p>\r\n";
      html += "<p><a href=\"https://www." + dom + "/news/" + std::to_string(r.below(100000)) +
              "?utm_source=mail\">" + kWords[r.below(kWords.size())] + "</a></p>\r\n";
    }
    html += "<img src=\"https://cdn.bench-cdn.example/p/" + std::to_string(i) + ".png\"></body></html>\r\n";
    body = "--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "--" + b +
           "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "--" + b + "--\r\n";
    extra = "List-Unsubscribe: <https://www." + dom + "/unsub/" + std::to_string(i) + ">, <mailto:unsub-" +
            std::to_string(i) + "@" + dom + ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  } else {
    const std::string b = "=_mix_" + std::to_string(i);
    ctype = "multipart/mixed; boundary=\"" + b + "\"";
    body = "--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + words(r, 800 + r.below(2000)) +
           "--" + b +
           "\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n" +
           base64_lines(r, 22000 + r.below(90000)) + "--" + b + "--\r\n";
  }
  std::string head = "From: " + kWords[r.below(kWords.size())] + " <news@" + dom + ">\r\nTo: user" +
                     std::to_string(r.below(5000)) + "@example.net\r\nSubject: " + words(r, 30, 200);
  head.resize(head.size() - 2);  // words() ends with CRLF
  head += "\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <" + std::to_string(i) + "." +
          std::to_string(r.next() % 1000000) + "@" + dom +
          ">\r\nMIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\n" + extra;
  dkim::SignOptions so;
  so.domain = dom;
  so.selector = "s1";
  so.timestamp = 1700000000;
  auto sig = dkim::sign(head + "\r\n" + body, key, so);
  Msg m;
  m.from = "bounce@" + dom;
  const std::string all = (sig ? *sig : std::string()) + head + "\r\n";
  auto hs = mime::HeaderSection::parse(all);
  for (const auto& f : hs.fields()) {
    std::string v(f.value_raw), lf;
    for (size_t k = 0; k < v.size(); ++k)
      if (!(v[k] == '\r' && k + 1 < v.size() && v[k + 1] == '\n')) lf.push_back(v[k]);
    m.headers.emplace_back(std::string(f.name), lf);
  }
  m.body = std::move(body);
  return m;
}

// Sessions through one daemon's milter, one connection per session (CONNECT
// with the session's client, HELO, its messages, QUIT), one at a time.
Run run_sessions(const std::string& name, uint16_t port, pid_t pid, bool children,
                 const std::vector<SmtpClient>& clients, const std::vector<Session>& sessions,
                 const std::vector<Msg>& msgs) {
  Run run;
  run.name = name;
  const double cpu0 = cpu_seconds(pid, children);
  const auto t0 = std::chrono::steady_clock::now();
  for (const Session& s : sessions) {
    const SmtpClient& cl = clients[s.client];
    Client c;
    if (!c.connect_to(port)) {
      std::fprintf(stderr, "milter_bench: %s: cannot connect to port %u\n", name.c_str(), port);
      run.failed += s.count;
      continue;
    }
    c.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    auto neg = c.reply();
    if (!neg || !std::holds_alternative<milter::OptNeg>(*neg)) {
      run.failed += s.count;
      continue;
    }
    const uint32_t proto = std::get<milter::OptNeg>(*neg).protocol;
    const std::string host = cl.ptr.empty() ? "[" + cl.ip + "]" : cl.ptr;
    c.send(milter::Macros{'C',
                          {{"j", "mx.bench.example"},
                           {"{daemon_name}", "smtpd"},
                           {"{daemon_addr}", "192.0.2.1"},
                           {"v", "Postfix 3.7.11"},
                           {"_", host + " [" + cl.ip + "]"}}});
    c.send(milter::Connect{host, '4', 40000, cl.ip});
    if (!(proto & milter::kNrConnect) && !c.reply()) {
      run.failed += s.count;
      continue;
    }
    c.send(milter::Macros{'H',
                          {{"{tls_version}", "TLSv1.3"},
                           {"{cipher}", "TLS_AES_256_GCM_SHA384"},
                           {"{cipher_bits}", "256"}}});  // most MX traffic is TLS now
    c.send(milter::Helo{cl.ptr.empty() ? "localhost" : cl.ptr});
    if (!(proto & milter::kNrHelo) && !c.reply()) {
      run.failed += s.count;
      continue;
    }
    for (size_t k = 0; k < s.count; ++k) {
      std::string v, headers;
      if (!one_message(c, msgs[s.first + k], proto, v, headers)) {
        run.failed += s.count - k;
        break;
      }
      ++run.done;
      ++run.verdicts[v];
      if (dkim_pass_in(header_in(headers, "Authentication-Results"))) ++run.dkim_pass;
      if (run.sample.empty()) run.sample = header_in(headers, "Authentication-Results");
    }
    c.send(milter::Quit{});
    c.flush();
  }
  const double cpu = cpu_seconds(pid, children) - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_s = cpu;
  run.wall_s = wall;
  run.cpu_ms = run.done ? cpu * 1000.0 / static_cast<double>(run.done) : 0.0;
  run.rate = wall > 0 ? static_cast<double>(run.done) / wall : 0.0;
  return run;
}

// `part` (a block of sessions) added to `total`.
void add_run(Run& total, const Run& part) {
  total.done += part.done;
  total.failed += part.failed;
  total.dkim_pass += part.dkim_pass;
  total.cpu_s += part.cpu_s;
  total.wall_s += part.wall_s;
  for (const auto& [k, n] : part.verdicts) total.verdicts[k] += n;
  if (total.sample.empty()) total.sample = part.sample;
  total.cpu_ms = total.done ? total.cpu_s * 1000.0 / static_cast<double>(total.done) : 0.0;
  total.rate = total.wall_s > 0 ? static_cast<double>(total.done) / total.wall_s : 0.0;
}

// The realistic traffic of one run: clients, the message pool, warm-up
// sessions, and for each round and kind ("new", "repeat", "mix") its sessions.
struct Traffic {
  std::vector<SmtpClient> clients;  // [0, pool): the provider's repeat clients
  size_t pool = 0;
  std::vector<Msg> msgs;
  std::vector<Session> warm;
  std::vector<std::string> kinds;
  std::vector<std::map<std::string, std::vector<Session>>> rounds;
};

Traffic plan_traffic(size_t sessions, size_t per_session, size_t rounds,
                     const std::vector<std::string>& kinds, const dkim::PrivateKey& key) {
  Traffic t;
  t.kinds = kinds;
  Rng r{1};
  t.pool = 50;
  for (size_t p = 0; p < t.pool; ++p)
    t.clients.push_back(
        {kEspNet + std::to_string(p) + ".25", "o" + std::to_string(p) + ".mail.esp.bench.example"});
  for (size_t i = 0; i < sessions * per_session; ++i)
    t.msgs.push_back(make_realistic(i, (i / per_session) % kDomains, r, key));
  // Warm-up: every sender domain once (its DNS records cached), from the pool.
  for (size_t w = 0; w < std::min(sessions, kDomains); ++w)
    t.warm.push_back({w % t.pool, w * per_session, per_session});
  std::vector<size_t> next_net(kDomains, 0);
  auto new_client = [&](size_t d) {
    const size_t c = next_net[d]++ % 256;  // a /24 of its own (wraps after 256 sessions per domain)
    SmtpClient cl{domain_net(d) + std::to_string(c) + "." + std::to_string(20 + r.below(200)), ""};
    if (r.below(10) != 0) cl.ptr = "mta" + std::to_string(c) + "." + domain_name(d);  // 1 in 10: no PTR
    t.clients.push_back(cl);
    return t.clients.size() - 1;
  };
  for (size_t round = 0; round < rounds; ++round) {
    auto& m = t.rounds.emplace_back();
    for (const auto& kind : kinds) {
      auto& list = m[kind];
      for (size_t s = 0; s < sessions; ++s) {
        const size_t d = s % kDomains;
        const bool fresh = kind == "new" || (kind == "mix" && s % 2 == 0);
        list.push_back({fresh ? new_client(d) : (s * 7 + round * 13) % t.pool, s * per_session, per_session});
      }
    }
  }
  return t;
}

std::string zone_for(const Traffic& t, const std::string& pub) {
  std::string z;
  for (size_t d = 0; d < kDomains; ++d) {
    const std::string dom = domain_name(d) + ".";
    z += dom + " 3600 TXT \"v=spf1 ip4:" + domain_net(d) + "0.0/16 include:_spf.esp.bench.example -all\"\n";
    static const char* policies[] = {"reject", "none", "quarantine"};
    z +=
        "_dmarc." + dom + " 3600 TXT \"v=DMARC1; p=" + policies[d % 3] + "; rua=mailto:dmarc@" + dom + "\"\n";
    z += "s1._domainkey." + dom + " 3600 TXT \"v=DKIM1; k=rsa; p=" + pub + "\"\n";
  }
  // 192.0.2.0/24: the client of the one-client runs.
  z += "_spf.esp.bench.example. 3600 TXT \"v=spf1 ip4:" + kEspNet + "0.0/16 ip4:192.0.2.0/24 -all\"\n";
  for (const auto& c : t.clients) {
    if (c.ptr.empty()) continue;
    int a = 0, b = 0, cc = 0, dd = 0;
    std::sscanf(c.ip.c_str(), "%d.%d.%d.%d", &a, &b, &cc, &dd);
    z += std::to_string(dd) + "." + std::to_string(cc) + "." + std::to_string(b) + "." + std::to_string(a) +
         ".in-addr.arpa. 3600 PTR " + c.ptr + ".\n";
    z += c.ptr + ". 3600 A " + c.ip + "\n";
  }
  return z;
}

// The CPU time (ms) of one fixed piece of work (integer arithmetic over 1 MiB)
// with this thread pinned to `cpu`; -1 when it cannot be pinned there. Run
// before each loops run on every CPU: the two vCPUs of this VM are at times
// 15-30% apart (the host's doing), and one loop's rate then depends on the
// vCPU it landed on, while two loops get both.
double pinned_work_ms(int cpu) {
  cpu_set_t old;
  if (::sched_getaffinity(0, sizeof old, &old) != 0) return -1;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (::sched_setaffinity(0, sizeof one, &one) != 0) return -1;
  static std::vector<uint32_t> buf(size_t{1} << 18);
  timespec a{}, b{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  uint64_t x = 88172645463325252ull;
  for (uint32_t i = 0; i < 20000000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[x & (buf.size() - 1)] += i;
  }
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  ::sched_setaffinity(0, sizeof old, &old);
  asm volatile("" : : "r"(x), "r"(buf.data()) : "memory");  // the work is not optimized away
  return (static_cast<double>(b.tv_sec - a.tv_sec) * 1e3 + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e6);
}

double load1() {
  double l = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = 0;
    std::fclose(f);
  }
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  std::string rampartd, rspamd, opendkim, milter_addr;
  pid_t peer_pid = 0;
  bool peer_children = false, http = true, milter = true, memory_row = true;
  size_t n = 5000, per_conn = 10, clients = 1, pipeline = 0, sessions = 500, per_session = 4, rounds = 3;
  std::vector<size_t> loop_counts;  // --loops 1,2: rampartd once per count
  size_t loop_rounds = 1;           // --loop-rounds R: the --loops counts R times, alternating
  std::vector<std::string> kinds = {"new", "repeat", "mix"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rampartd")
      rampartd = next();
    else if (a == "--rspamd")
      rspamd = next();
    else if (a == "--opendkim")
      opendkim = next();
    else if (a == "--no-http")
      http = false;
    else if (a == "--no-milter")  // the one-client (or --clients) runs: HTTP only
      milter = false;
    else if (a == "--no-memory-row")
      memory_row = false;
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
    else if (a == "--pipeline")
      pipeline = std::clamp<size_t>(std::stoul(next()), 1, 1000);
    else if (a == "--clients")
      clients = std::clamp<size_t>(std::stoul(next()), 1, 256);
    else if (a == "--loops") {
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');)
        loop_counts.push_back(std::clamp<size_t>(std::stoul(item), 1, 256));
    } else if (a == "--loop-rounds")
      loop_rounds = std::clamp<size_t>(std::stoul(next()), 1, 100);
    else if (a == "--sessions")
      sessions = std::stoul(next());
    else if (a == "--per-session")
      per_session = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--rounds")
      rounds = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--traffic") {
      kinds.clear();
      std::stringstream in(next());
      for (std::string k; std::getline(in, k, ',');) {
        if (k != "new" && k != "repeat" && k != "mix") {
          std::fprintf(stderr, "milter_bench: --traffic takes new,repeat,mix\n");
          return 2;
        }
        kinds.push_back(k);
      }
    } else {
      std::fprintf(
          stderr,
          "usage: milter_bench [--rampartd PATH] [--rspamd PATH] [--opendkim PATH] [--no-http]\n"
          "                    [--milter 127.0.0.1:PORT --pid PID [--pid-children]]\n"
          "                    [--messages N] [--per-connection K] [--clients C] [--pipeline K] "
          "[--loops N[,M...]] [--loop-rounds R]\n"
          "                    [--sessions S] [--per-session K] [--rounds R] [--traffic new,repeat,mix]\n"
          "                    [--no-memory-row]\n");
      return 2;
    }
  }
  if (n > 0) n = std::max<size_t>(10, n);
  if (rampartd.empty() && rspamd.empty() && opendkim.empty() && milter_addr.empty()) {
    std::fprintf(stderr,
                 "milter_bench: need --rampartd, --rspamd, --opendkim or --milter ADDR:PORT --pid PID\n");
    return 2;
  }
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  ::signal(SIGPIPE, SIG_IGN);
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
  // The one-client runs send from 192.0.2.10 for sender0..9, which the
  // provider's SPF include admits; the realistic traffic's records serve both.
  const bool realistic = sessions > 0 && (!rampartd.empty() || !rspamd.empty());
  Traffic traffic;
  if (realistic) traffic = plan_traffic(sessions, per_session, rounds, kinds, *key);
  zone_text += zone_for(traffic, pub);
  zone_text += "10.2.0.192.in-addr.arpa. 3600 PTR mx.sender0.bench.example.\n";
  zone_text += "mx.sender0.bench.example. 3600 A 192.0.2.10\n";
  auto zone = dns::parse_zone(zone_text);
  if (!zone) {
    std::fprintf(stderr, "milter_bench: zone: %s\n", zone.error().message.c_str());
    return 1;
  }
  auto dns_server = dns::DnsTestServer::start(std::move(*zone));
  if (!dns_server) return 1;
  const std::string dns_port = std::to_string((*dns_server)->port());
  const auto msgs = make_messages(n, *key);
  if (std::getenv("MILTER_BENCH_DUMP"))
    for (const auto& [k, v] : (n ? msgs[0] : traffic.msgs[0]).headers)
      std::fprintf(stderr, "[%s]:[%s]\n", k.c_str(), v.c_str());

  std::string load_before = slurp("/proc/loadavg");
  load_before =
      load_before.substr(0, load_before.find(' ', load_before.find(' ', load_before.find(' ') + 1) + 1));
  char tmpl[] = "/tmp/rampart-milter-bench-XXXXXX";
  const std::string tmp = ::mkdtemp(tmpl);
  std::vector<Run> runs;
  std::map<std::string, Mem> mem;
  auto mem_of = [](pid_t p, bool children, int* procs) {
    double kb = static_cast<double>(children ? pss_kb(p, true, procs) : rss_kb(p));
    if (!children && procs) *procs = 1;
    return kb / 1024.0;
  };
  auto failed_start = [&](const std::string& what, const std::string& log) {
    std::fprintf(stderr, "milter_bench: %s did not start; the end of %s:\n", what.c_str(), log.c_str());
    std::string text = slurp(log);
    std::fprintf(stderr, "%s\n", text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
  };
  // rampartd with `config`; its pid, milter and HTTP ports (pid 0: did not start).
  struct Started {
    pid_t pid = 0;
    uint16_t milter = 0, http = 0;
  };
  auto start_rampartd = [&](const std::string& tag, const std::string& config, bool with_http,
                            const std::vector<std::string>& extra) -> Started {
    std::ofstream(tmp + "/" + tag + ".toml") << config;
    int out_pipe[2] = {-1, -1};
    if (::pipe(out_pipe) != 0) return {};
    std::vector<std::string> args = {rampartd,
                                     "--config",
                                     tmp + "/" + tag + ".toml",
                                     "--milter",
                                     "127.0.0.1:0",
                                     "--http",
                                     with_http ? "127.0.0.1:0" : "off",
                                     "--nameserver",
                                     "127.0.0.1:" + dns_port,
                                     "--log-level",
                                     "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    const pid_t pid = spawn(args, tmp + "/" + tag + ".log", out_pipe[1]);
    ::close(out_pipe[1]);
    std::string got;
    char b[256];
    while (got.find("ready") == std::string::npos) {
      const ssize_t r = ::read(out_pipe[0], b, sizeof b);
      if (r <= 0) break;
      got.append(b, static_cast<size_t>(r));
    }
    ::close(out_pipe[0]);
    const size_t at = got.find("milter 127.0.0.1:"), hat = got.find("http 127.0.0.1:");
    if (at == std::string::npos || (with_http && hat == std::string::npos)) {
      failed_start("rampartd", tmp + "/" + tag + ".log");
      return {};
    }
    Started s;
    s.pid = pid;
    s.milter = static_cast<uint16_t>(std::atoi(got.c_str() + at + 17));
    if (with_http) s.http = static_cast<uint16_t>(std::atoi(got.c_str() + hat + 15));
    return s;
  };

  // ---- rampartd, one client (or --clients C), throttles off: milter, then
  // HTTP; one rampartd per --loops count ----
  if (loop_counts.empty()) loop_counts.push_back(0);  // 0: rampartd's default
  // --loop-rounds R: 1, 2, 1, 2, ... loops, so that a change in the machine's
  // load falls on both counts alike.
  std::vector<std::pair<size_t, size_t>> plan;  // (round, loops)
  for (size_t round = 0; round < (loop_counts.size() > 1 ? loop_rounds : 1); ++round)
    for (const size_t loops : loop_counts) plan.emplace_back(round, loops);
  // rampart_loop_messages_total{loop,interface} from rampartd's /metrics: how the work was spread.
  auto loop_messages = [](uint16_t port, const std::string& iface) {
    std::vector<double> v;
    auto text = http_request(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    std::istringstream in(text.value_or(""));
    const std::string tail = "\",interface=\"" + iface + "\"} ";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("rampart_loop_messages_total{loop=\"", 0) != 0) continue;
      const size_t t = line.find(tail);
      if (t == std::string::npos) continue;
      const size_t i = std::stoul(line.substr(34));
      if (v.size() <= i) v.resize(i + 1, 0.0);
      v[i] = std::atof(line.c_str() + t + tail.size());
    }
    return v;
  };
  auto shares = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> d(b.size(), 0.0);
    double all = 0;
    for (size_t i = 0; i < b.size(); ++i) all += d[i] = b[i] - (i < a.size() ? a[i] : 0.0);
    for (double& x : d) x = all > 0 ? x / all : 0.0;
    return d;
  };
  std::vector<std::vector<double>> vcpu_ms;  // per CPU: pinned_work_ms before each run
  for (const auto& [round, loops] : plan) {
    if (rampartd.empty() || n == 0) break;
    const std::string suffix =
        loops == 0 ? "" : ", " + std::to_string(loops) + (loops == 1 ? " loop" : " loops");
    std::vector<std::string> extra;
    if (loops > 0) extra = {"--loops", std::to_string(loops)};
    if (loop_counts.size() > 1)  // each vCPU's speed now (see pinned_work_ms)
      for (int c = 0; c < CPU_SETSIZE && c < static_cast<int>(std::thread::hardware_concurrency()); ++c)
        if (const double ms = pinned_work_ms(c); ms > 0) {
          if (vcpu_ms.size() <= static_cast<size_t>(c)) vcpu_ms.resize(c + 1);
          vcpu_ms[c].push_back(ms);
        }
    const Started r = start_rampartd("rampart-one",
                                     "[policy]\nauthserv_id = \"mx.bench.example\"\n"
                                     "[throttle.ip]\nenabled = false\n[throttle.net]\nenabled = false\n",
                                     http || loops > 0, extra);
    if (!r.pid) {
      stop_all();
      return 1;
    }
    const pid_t pid = r.pid;
    if (const char* hold = std::getenv("MILTER_BENCH_PID_FILE"))  // for `perf record -p`
      std::ofstream(hold) << r.pid << "\n";
    Mem& m = mem["rampartd" + suffix];
    m.rest_mb = mem_of(pid, false, &m.procs);
    const std::string mname = "rampartd milter" + suffix, hname = "rampartd HTTP /v1/scan" + suffix;
    if (clients > 1) {  // one thread drives them all (the bench's CPU is printed beside rampartd's)
      if (milter) {
        const auto before = loop_messages(r.http, "milter");
        runs.push_back(run_milter_clients(mname, r.milter, pid, msgs, clients, per_conn));
        runs.back().load = load1();
        runs.back().round = round;
        runs.back().per_loop = shares(before, loop_messages(r.http, "milter"));
      }
      if (http) {
        const auto before = loop_messages(r.http, "http");
        runs.push_back(run_http_clients(hname, r.http, pid, msgs, clients, std::max<size_t>(1, pipeline)));
        runs.back().load = load1();
        runs.back().round = round;
        runs.back().per_loop = shares(before, loop_messages(r.http, "http"));
      }
    } else {
      if (milter) runs.push_back(run_milter(mname, r.milter, pid, false, msgs, per_conn));
      if (http)
        runs.push_back(pipeline ? run_http_pipelined(hname, r.http, pid, msgs, pipeline)
                                : run_http(hname, r.http, HttpApi::kRampart, pid, false, msgs));
    }
    m.after_mb = mem_of(pid, false, &m.procs);
    stop_all();
  }

  // ---- rspamd: proxy (milter) -> normal worker; /checkv2 on the normal worker ----
  // It stays up for the realistic traffic below.
  pid_t rspamd_pid = 0;
  uint16_t rspamd_proxy = 0;
  if (!rspamd.empty()) {
    const std::string dir = tmp + "/rspamd";
    ::mkdir(dir.c_str(), 0700);
    ::mkdir((dir + "/local.d").c_str(), 0700);
    const uint16_t normal = free_port(), proxy = free_port();
    const std::map<std::string, std::string> vars = {{"@TMP@", dir},
                                                     {"@NORMAL@", std::to_string(normal)},
                                                     {"@PROXY@", std::to_string(proxy)},
                                                     {"@DNS@", dns_port}};
    const std::string src = std::string(RAMPART_SOURCE_DIR) + "/bench/rspamd/";
    for (const char* f :
         {"rspamd.conf", "local.d/options.inc", "local.d/fuzzy_check.conf", "local.d/milter_headers.conf"})
      std::ofstream(dir + "/" + f) << fill(slurp(src + f), vars);
    const pid_t pid = spawn(
        {rspamd, "-f", "-u", "root", "-g", "root", "-c", dir + "/rspamd.conf", "--var",
         "LOCAL_CONFDIR=" + dir, "--var", "DBDIR=" + dir, "--var", "RUNDIR=" + dir, "--var", "LOGDIR=" + dir},
        dir + "/stdout.log");
    // Loading the stock rules takes ~30 s on a busy 2-core machine: wait up to 5 minutes.
    const bool up = wait_ready(pid, 300, [&] {
      int status = 0;
      auto pong =
          http_request(normal, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", &status);
      return pong && status == 200 && port_open(proxy);
    });
    if (!up) {
      failed_start("rspamd", dir + "/rspamd.log");
    } else {
      ::sleep(2);  // let the hs_helper settle (its CPU counts: it is one of rspamd's processes)
      rspamd_pid = pid;
      rspamd_proxy = proxy;
      Mem& m = mem["rspamd"];
      m.rest_mb = mem_of(pid, true, &m.procs);
      if (n > 0) {
        runs.push_back(run_milter("rspamd milter (proxy)", proxy, pid, true, msgs, per_conn));
        if (http) runs.push_back(run_http("rspamd HTTP /checkv2", normal, HttpApi::kRspamd, pid, true, msgs));
      }
      m.after_mb = mem_of(pid, true, &m.procs);
    }
  }

  // ---- realistic traffic: rampartd with its defaults (throttles on, RocksDB
  // under --data-dir) and rspamd, round by round, kind by kind, side by side ----
  struct Row {
    size_t round = 0;
    std::string kind;
    Run ours, theirs;
    Run mem;  // rampartd with the in-memory reputation store (no --data-dir)
    double load = 0;
  };
  std::vector<Row> rows;
  pid_t real_pid = 0;
  if (realistic && !rampartd.empty()) {
    ::mkdir((tmp + "/data").c_str(), 0700);
    // MILTER_BENCH_METRICS=PREFIX,...: print rampartd's /metrics lines with those prefixes after the rounds.
    const char* want_metrics = std::getenv("MILTER_BENCH_METRICS");
    // MILTER_BENCH_RAMPART_TOML: more settings for this rampartd (experiments, e.g. the memory store).
    const char* more = std::getenv("MILTER_BENCH_RAMPART_TOML");
    const Started r = start_rampartd(
        "rampart-real", "[policy]\nauthserv_id = \"mx.bench.example\"\n" + std::string(more ? more : ""),
        want_metrics != nullptr, {"--data-dir", tmp + "/data"});
    if (r.pid) {
      real_pid = r.pid;
      if (const char* hold = std::getenv("MILTER_BENCH_PID_FILE"))  // for `perf record -p`
        std::ofstream(hold) << r.pid << "\n";
      Mem& m = mem["rampartd (realistic)"];
      m.rest_mb = mem_of(r.pid, false, &m.procs);
      run_sessions("warm", r.milter, r.pid, false, traffic.clients, traffic.warm, traffic.msgs);
      // The same rampartd without --data-dir: reputation in memory, nothing on disk per message, as
      // rspamd here (no Redis: its reputation and rate-limit modules are off). Like for like beside
      // the defaults' row; --no-memory-row leaves it out.
      Started rm;
      if (memory_row) {
        rm = start_rampartd("rampart-real-mem",
                            "[policy]\nauthserv_id = \"mx.bench.example\"\n" + std::string(more ? more : ""),
                            false, {});
        if (rm.pid) {
          Mem& mm = mem["rampartd (realistic, memory store)"];
          mm.rest_mb = mem_of(rm.pid, false, &mm.procs);
          run_sessions("warm", rm.milter, rm.pid, false, traffic.clients, traffic.warm, traffic.msgs);
        }
      }
      if (rspamd_pid)
        run_sessions("warm", rspamd_proxy, rspamd_pid, true, traffic.clients, traffic.warm, traffic.msgs);
      for (size_t round = 0; round < traffic.rounds.size(); ++round)
        for (const auto& kind : traffic.kinds) {
          const auto& list = traffic.rounds[round].at(kind);
          Row row;
          row.round = round + 1;
          row.kind = kind;
          row.load = load1();
          // Blocks of 25 sessions, each through rampartd and then rspamd: both
          // daemons see the same load of the (shared) machine.
          for (size_t at = 0; at < list.size(); at += 25) {
            const std::vector<Session> block(
                list.begin() + static_cast<std::ptrdiff_t>(at),
                list.begin() + static_cast<std::ptrdiff_t>(std::min(list.size(), at + 25)));
            add_run(row.ours,
                    run_sessions("rampartd", r.milter, r.pid, false, traffic.clients, block, traffic.msgs));
            if (rm.pid)
              add_run(row.mem, run_sessions("rampartd", rm.milter, rm.pid, false, traffic.clients, block,
                                            traffic.msgs));
            if (rspamd_pid)
              add_run(row.theirs, run_sessions("rspamd", rspamd_proxy, rspamd_pid, true, traffic.clients,
                                               block, traffic.msgs));
          }
          row.load = (row.load + load1()) / 2;
          rows.push_back(std::move(row));
        }
      m.after_mb = mem_of(r.pid, false, &m.procs);
      if (rm.pid) {
        Mem& mm = mem["rampartd (realistic, memory store)"];
        mm.after_mb = mem_of(rm.pid, false, &mm.procs);
      }
      if (want_metrics) {
        auto text =
            http_request(r.http, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        std::istringstream in(text.value_or(""));
        std::stringstream prefixes(want_metrics);
        std::vector<std::string> want;
        for (std::string p; std::getline(prefixes, p, ',');) want.push_back(p);
        for (std::string line; std::getline(in, line);)
          for (const auto& p : want)
            if (line.rfind(p, 0) == 0) std::fprintf(stderr, "metrics: %s\n", line.c_str());
      }
    }
  }
  stop_all();

  // ---- OpenDKIM, verify only: DKIM alone ----
  if (!opendkim.empty() && n > 0) {
    const uint16_t port = free_port();
    std::ofstream(tmp + "/unbound.conf")
        << "server:\n  do-not-query-localhost: no\n  module-config: \"iterator\"\n"
        << "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" << dns_port << "\n";
    std::ofstream(tmp + "/opendkim.conf")
        << fill(slurp(std::string(RAMPART_SOURCE_DIR) + "/bench/milter_opendkim.conf"),
                {{"@TMP@", tmp}, {"@PORT@", std::to_string(port)}});
    const pid_t pid = spawn({opendkim, "-f", "-x", tmp + "/opendkim.conf"}, tmp + "/opendkim.log");
    if (!wait_ready(pid, 30, [&] { return port_open(port); })) {
      failed_start("opendkim", tmp + "/opendkim.log");
    } else {
      Mem& m = mem["opendkim"];
      m.rest_mb = mem_of(pid, false, &m.procs);
      runs.push_back(run_milter("opendkim milter (DKIM only)", port, pid, false, msgs, per_conn));
      m.after_mb = mem_of(pid, false, &m.procs);
    }
    stop_all();
  }

  // ---- a milter started by someone else ----
  if (!milter_addr.empty() && n > 0) {
    const size_t colon = milter_addr.rfind(':');
    if (colon == std::string::npos || peer_pid <= 0) {
      std::fprintf(stderr, "milter_bench: --milter ADDR:PORT needs --pid PID\n");
      return 2;
    }
    Mem& m = mem["peer"];
    m.rest_mb = mem_of(peer_pid, peer_children, &m.procs);
    runs.push_back(run_milter("peer milter",
                              static_cast<uint16_t>(std::atoi(milter_addr.c_str() + colon + 1)), peer_pid,
                              peer_children, msgs, per_conn));
    m.after_mb = mem_of(peer_pid, peer_children, &m.procs);
  }
  std::string cmd = "rm -rf " + tmp;
  if (tmp.rfind("/tmp/rampart-milter-bench-", 0) == 0 && !std::getenv("MILTER_BENCH_KEEP"))
    std::system(cmd.c_str());

  size_t failed = 0;
  if (n > 0) {
    const size_t warm = n / 10;
    std::printf(
        "== one client (192.0.2.10), throttles off: every cache warm ==\n"
        "%zu messages (the first %zu warm caches, not counted), DKIM rsa-sha256 + SPF + DMARC records on a\n"
        "loopback DNS server; milter: %zu messages per connection, one connection at a time; HTTP: one\n"
        "request per connection. CPU = utime+stime of the daemon's processes (/proc), over the counted "
        "messages.\n",
        n, warm, per_conn);
    if (clients > 1)
      std::printf(
          "rampartd: --clients %zu connections at once, all driven by ONE thread of this bench (epoll,\n"
          "non-blocking, every request encoded before the clock starts); milter: each connection one "
          "message\n"
          "at a time, as an MTA; HTTP: kept-alive connections, %zu requests in flight on each (pipelined).\n",
          clients, std::max<size_t>(1, pipeline));
    std::printf("\n");
    std::printf("%-30s %8s %6s %10s %8s %9s  %s\n", "daemon, interface", "messages", "failed", "CPU ms/msg",
                "msgs/s", "dkim=pass", "verdicts");
    std::printf("%s\n", std::string(100, '-').c_str());
    for (const auto& r : runs) {
      std::string v;
      for (const auto& [k, c] : r.verdicts) v += (v.empty() ? "" : ", ") + k + " " + std::to_string(c);
      std::printf("%-30s %8zu %6zu %10.3f %8.0f %9zu  %s\n", r.name.c_str(), r.done, r.failed, r.cpu_ms,
                  r.rate, r.dkim_pass, v.c_str());
      failed += r.failed;
    }
    std::printf("\n");
    for (const auto& r : runs)
      if (!r.sample.empty())
        std::printf("%-30s first: %s\n", r.name.c_str(), r.sample.substr(0, 160).c_str());
    auto find = [&](const std::string& name) -> const Run* {
      for (const auto& r : runs)
        if (r.name == name && r.done > 0) return &r;
      return nullptr;
    };
    auto ratio = [&](const char* a, const char* b) {
      const Run *x = find(a), *y = find(b);
      if (x && y && x->cpu_ms > 0)
        std::printf("  %-26s vs %-28s %6.1fx less CPU per message (%.3f vs %.3f ms)\n", a, b,
                    y->cpu_ms / x->cpu_ms, x->cpu_ms, y->cpu_ms);
    };
    std::printf("\n");
    ratio("rampartd milter", "rspamd milter (proxy)");
    ratio("rampartd HTTP /v1/scan", "rspamd HTTP /checkv2");
    ratio("rampartd milter", "opendkim milter (DKIM only)");
    // --loops 1,2 [--loop-rounds R]: the same traffic through 1 and N event loops, alternated.
    if (loop_counts.size() >= 2 && loop_counts[0] == 1) {
      auto find_r = [&](const std::string& name, size_t round) -> const Run* {
        for (const auto& r : runs)
          if (r.name == name && r.round == round && r.done > 0) return &r;
        return nullptr;
      };
      auto median = [](std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      };
      const double cores = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
      std::printf(
          "\n== event loops: scans per second with 1 and %zu loops (issue 11 goal: 2 loops >= 1.8x one loop "
          "on 2 cores) ==\n"
          "%zu connections driven by one thread of this bench; %zu round%s, the loop counts alternated; "
          "load average before: %s\n"
          "CPU per scan (ms, /proc/PID/task/*/schedstat; client: getrusage): rampartd = its event loops' "
          "threads "
          "+ its other threads\n"
          "(store writer, ...); client = this bench's process. loop shares: each loop's part of the "
          "scans (rampartd's\n"
          "rampart_loop_messages_total{loop,interface}). bound: the ratio the measured CPU allows on %.0f "
          "cores, whatever\n"
          "the load: 1 loop serves at most 1 / (its loop's CPU per scan); N loops at most cores / "
          "(rampartd's + client's).\n",
          loop_counts.back(), clients, loop_rounds, loop_rounds == 1 ? "" : "s", load_before.c_str(), cores);
      if (!vcpu_ms.empty()) {
        // Equal vCPUs: the 1 vs 2 loops ratio means what it says. Unequal: one
        // loop's rate is that of the vCPU it ran on (mostly one, not known
        // here), and 2 loops can reach at most 1 + slower / faster of it.
        std::printf(
            "vCPU check (one fixed piece of work pinned to each CPU before every run; CPU ms, median "
            "[min-max]):");
        std::vector<double> meds;
        for (size_t c = 0; c < vcpu_ms.size(); ++c) {
          if (vcpu_ms[c].empty()) continue;
          const auto [lo, hi] = std::minmax_element(vcpu_ms[c].begin(), vcpu_ms[c].end());
          meds.push_back(median(vcpu_ms[c]));
          std::printf(" cpu%zu %.1f [%.1f-%.1f]", c, meds.back(), *lo, *hi);
        }
        if (meds.size() >= 2) {
          const auto [lo, hi] = std::minmax_element(meds.begin(), meds.end());
          std::printf("; slowest %.0f%% slower than fastest", 100.0 * (*hi / *lo - 1));
        }
        std::printf("\n");
      }
      for (const char* iface : {"rampartd HTTP /v1/scan", "rampartd milter"})
        for (size_t i = 1; i < loop_counts.size(); ++i) {
          const std::string one_name = std::string(iface) + ", 1 loop",
                            more_name = std::string(iface) + ", " + std::to_string(loop_counts[i]) + " loops";
          if (!find(one_name) || !find(more_name)) continue;
          const std::string how = std::string(iface).find("HTTP") != std::string::npos
                                      ? " (pipelined, " + std::to_string(std::max<size_t>(1, pipeline)) +
                                            " in flight per connection)"
                                      : std::string(" (one message at a time per connection, as an MTA)");
          std::printf("\n%s%s\n", iface, how.c_str());
          std::printf("  %5s %5s %9s %27s %10s %13s %6s %7s\n", "round", "loops", "scans/s",
                      "rampartd ms/scan (loops+rest)", "client ms", "loop shares %", "load", "bound");
          std::vector<double> ratios, bounds, own_bounds, cpu1, cpu2, cli1, cli2, slp1, slp2, idle1, idle2;
          for (size_t round = 0; round < loop_rounds; ++round) {
            const Run* one = find_r(one_name, round);
            const Run* more = find_r(more_name, round);
            if (!one || !more || one->rate <= 0) continue;
            double bound = 0;
            const double per_scan = more->cpu_ms + std::max(0.0, more->client_cpu_ms);
            if (per_scan > 0 && one->loop_ms > 0)
              bound = std::min(static_cast<double>(loop_counts[i]), cores * one->loop_ms / per_scan);
            for (const Run* r : {one, more}) {
              std::string sh;
              for (double x : r->per_loop)
                sh += (sh.empty() ? "" : "/") + std::to_string(static_cast<long>(100 * x + 0.5));
              char b[64];
              std::snprintf(b, sizeof b, "%.3f (%.3f+%.3f)", r->cpu_ms, r->loop_ms, r->other_ms);
              std::printf("  %5zu %5zu %9.0f %27s %10.4f %13s %6.1f", round + 1,
                          r == one ? size_t{1} : loop_counts[i], r->rate, b, r->client_cpu_ms, sh.c_str(),
                          r->load);
              if (r == more)
                std::printf(" %6.2fx   ratio %.2fx\n", bound, more->rate / one->rate);
              else
                std::printf("\n");
            }
            ratios.push_back(more->rate / one->rate);
            bounds.push_back(bound);
            // The same bound with the client on another host: what rampartd's own CPU allows.
            if (more->cpu_ms > 0 && one->loop_ms > 0)
              own_bounds.push_back(
                  std::min(static_cast<double>(loop_counts[i]), cores * one->loop_ms / more->cpu_ms));
            cpu1.push_back(one->cpu_ms);
            cpu2.push_back(more->cpu_ms);
            cli1.push_back(one->client_cpu_ms);
            cli2.push_back(more->client_cpu_ms);
            slp1.push_back(one->client_sleeps);
            slp2.push_back(more->client_sleeps);
            idle1.push_back(one->idle);
            idle2.push_back(more->idle);
          }
          if (ratios.empty()) continue;
          std::printf(
              "  => %s: %zu loops vs 1: %.2fx scans/s (median of %zu round%s; bound from CPU %.2fx); CPU per "
              "scan: rampartd %.3f vs %.3f ms (%+.0f%%), client %.4f vs %.4f ms (%.0f%% of rampartd's)\n",
              iface, loop_counts[i], median(ratios), ratios.size(), ratios.size() == 1 ? "" : "s",
              median(bounds), median(cpu2), median(cpu1), 100.0 * (median(cpu2) / median(cpu1) - 1),
              median(cli2), median(cli1), 100.0 * median(cli2) / median(cpu2));
          std::printf(
              "     client sleeps (voluntary context switches) per scan: %.3f (%zu loops), %.3f (1 loop)\n",
              median(slp2), loop_counts[i], median(slp1));
          std::printf(
              "     machine idle during the runs (/proc/stat, %% of all cores; on a quiet machine, what the "
              "loops left unused): %.1f%% (%zu loops), %.1f%% (1 loop)\n",
              100 * median(idle2), loop_counts[i], 100 * median(idle1));
          std::printf(
              "     bound without the client (were it on another host: cores x 1 loop's loop CPU / %zu "
              "loops' "
              "rampartd CPU): %.2fx\n",
              loop_counts[i], median(own_bounds));
          const Run* last = find_r(more_name, loop_rounds - 1);
          const Run* last1 = find_r(one_name, loop_rounds - 1);
          if (last && last1)
            std::printf(
                "     rampartd's threads in the last round, %% of one core each, busiest first: %s (1 loop), "
                "%s (%zu loops)\n",
                last1->threads.c_str(), last->threads.c_str(), loop_counts[i]);
        }
    }
  }

  if (!rows.empty()) {
    size_t bytes = 0;
    for (const auto& m : traffic.msgs) {
      bytes += m.body.size();
      for (const auto& [k, v] : m.headers) bytes += k.size() + v.size() + 3;
    }
    std::printf(
        "\n== realistic traffic through the milter: rampartd (defaults: throttles on, RocksDB store) vs "
        "rspamd ==\n"
        "per round and kind: %zu SMTP sessions of %zu messages (%zu messages, %.1f KB on average: plain "
        "text,\n"
        "text+HTML newsletters, attachments; DKIM-signed by %zu sender domains with SPF and DMARC records).\n"
        "Clients: new = each session from a new /24 (9 in 10 with a PTR), repeat = a pool of %zu provider "
        "MTAs\n"
        "seen before, mix = half and half. Both daemons run at once and get the same sessions, one at a "
        "time,\n"
        "in blocks of 25 sessions (rampartd, then rspamd: both see the same load), after %zu warm-up "
        "sessions\n"
        "each. CPU = utime+stime of each daemon's processes (/proc); load = 1-minute load average.\n"
        "memory ms: a second rampartd, the same but its reputation in memory (no --data-dir), given the\n"
        "same blocks: like for like with this rspamd, which has no Redis and so keeps no reputation.\n\n",
        sessions, per_session, sessions * per_session,
        static_cast<double>(bytes) / 1024.0 / static_cast<double>(traffic.msgs.size()), kDomains,
        traffic.pool, traffic.warm.size());
    std::printf("%5s %-7s %5s %12s %12s %7s %8s %8s %9s %7s  %s\n", "round", "traffic", "load", "rampartd ms",
                "rspamd ms", "ratio", "ours/s", "theirs/s", "memory ms", "ratio",
                "verdicts (rampartd | rspamd), dkim=pass");
    std::printf("%s\n", std::string(128, '-').c_str());
    std::map<std::string, std::vector<double>> ratios, mem_ratios;
    for (const auto& row : rows) {
      auto verdicts = [](const Run& r) {
        std::string v;
        for (const auto& [k, c] : r.verdicts) v += (v.empty() ? "" : " ") + k + " " + std::to_string(c);
        return v + ", dkim=pass " + std::to_string(r.dkim_pass) +
               (r.failed ? ", FAILED " + std::to_string(r.failed) : "");
      };
      const double ratio = row.ours.cpu_ms > 0 && row.theirs.done ? row.theirs.cpu_ms / row.ours.cpu_ms : 0.0;
      if (ratio > 0) ratios[row.kind].push_back(ratio);
      const double mratio = row.mem.cpu_ms > 0 && row.theirs.done ? row.theirs.cpu_ms / row.mem.cpu_ms : 0.0;
      if (mratio > 0) mem_ratios[row.kind].push_back(mratio);
      std::printf("%5zu %-7s %5.1f %12.3f %12.3f %6.1fx %8.0f %8.0f %9.3f %6.1fx  %s | %s%s\n", row.round,
                  row.kind.c_str(), row.load, row.ours.cpu_ms, row.theirs.cpu_ms, ratio, row.ours.rate,
                  row.theirs.rate, row.mem.cpu_ms, mratio, verdicts(row.ours).c_str(),
                  row.theirs.done ? verdicts(row.theirs).c_str() : "-",
                  row.mem.done ? (" | memory: " + verdicts(row.mem)).c_str() : "");
      failed += row.ours.failed + row.theirs.failed + row.mem.failed;
    }
    std::printf("\n");
    for (const auto& row : rows)
      if (!row.ours.sample.empty() && row.round == 1) {
        std::printf("rampartd %-7s first: %s\n", row.kind.c_str(), row.ours.sample.substr(0, 150).c_str());
        if (!row.theirs.sample.empty())
          std::printf("rspamd   %-7s first: %s\n", row.kind.c_str(),
                      row.theirs.sample.substr(0, 150).c_str());
      }
    std::printf("\n");
    for (auto* table : {&ratios, &mem_ratios})
      for (const auto& kind : traffic.kinds) {
        auto& v = (*table)[kind];
        if (v.empty()) continue;
        std::string each;
        for (double x : v) {
          char one[32];
          std::snprintf(one, sizeof one, "%s%.1fx", each.empty() ? "" : " ", x);
          each += one;
        }
        std::sort(v.begin(), v.end());
        std::printf(
            "  rampartd%s vs rspamd, %-6s traffic: %s; lowest %.1fx, median %.1fx less CPU per message "
            "(goal: >= "
            "10x)\n",
            table == &ratios ? " (RocksDB)" : " (memory)", kind.c_str(), each.c_str(), v.front(),
            v[v.size() / 2]);
      }
  }
  if (!mem.empty()) {
    std::printf(
        "\nmemory (MB): rampartd, opendkim: RSS of the process; rspamd: PSS summed over its processes\n");
    for (const auto& [k, m] : mem)
      std::printf("  %-22s at rest %7.1f  after the runs %7.1f  (%d process%s)\n", k.c_str(), m.rest_mb,
                  m.after_mb, m.procs, m.procs == 1 ? "" : "es");
  }
  (void)real_pid;
  return failed ? 1 : 0;
}

// rampart dnsbl — serve DNSBL/DNSWL zones from rbldnsd's data files.
//
// SYNOPSIS
//   rampart dnsbl serve [--listen ADDR:PORT]... [--threads N] [--check SECONDS]
//                       [--udp asio|blocking] [--udp-gso on|off] [--udp-spread shared|hash|id]
//                       [--rate-limit QPS [--rate-burst N]]
//                       [--xfr-allow CIDR]... [--tsig NAME:ALG:BASE64]... [--tsig-file FILE]
//                       [--notify ADDR:PORT]... [--xfr-max-records N] [--xfr-journal N]
//                       [--stats FILE]
//                       [--allow-host-bits] [--load-threads auto|1|2] ZONE:TYPE:FILE[,FILE...]...
//   rampart dnsbl check [--allow-host-bits] [--load-threads auto|1|2] ZONE:TYPE:FILE[,FILE...]...
//
// DESCRIPTION
//   serve loads the zones (rbldnsd's zone:type:file,file specs, the same
//   files rbldnsd reads) and answers DNS queries over UDP and TCP in the
//   foreground (src/server/dns/dnsbl_server.h) on every --listen address
//   (default 127.0.0.1:53; port 0 picks a free one), with N threads (default
//   1). Once listening it prints one line per address on stdout:
//     listening ADDR:PORT
//   and answers an SOA query at each zone's apex. SIGHUP, or a data file
//   whose modification time changed (checked every --check seconds, default
//   60, 0 = never), loads the data again beside the old and swaps it in; a
//   load that fails keeps the old data. SIGTERM or SIGINT stops it.
//   check loads the zones, prints the warnings and the entries per zone and
//   the load time, and exits.
//
//   --udp picks how UDP is read: "blocking" (default) --threads threads
//   sleeping in recvmmsg, the sockets watched by no epoll; "asio" through each thread's io_context,
//   as when hosted in rampartd's loops, which costs an epoll wake-up per
//   reply and per wake (bench/README.md has the figures). TCP is always on
//   the io_context threads.
//   --udp-spread: how the UDP queries reach the threads (with --threads 2
//   or more). "shared" (the default with --udp blocking) one socket per
//   address: the first thread always reads it, the others join in while
//   the readers fall behind (full batches) and sleep again once they caught
//   up, so a light load stays in one thread's large batches; "id" (the
//   default with --udp asio) a SO_REUSEPORT socket per thread, picked for
//   each query by its ID modulo --threads (a BPF program on the group):
//   even whatever the clients' sockets; "hash" a SO_REUSEPORT socket per
//   thread picked by the kernel by a hash of the client's address and port
//   (one client socket always on one thread; uneven over few client
//   sockets).
//   --udp-gso on (default) sends the answers of one read batch that go to
//   the same client socket and have equal lengths (the last may be
//   shorter) as one UDP_SEGMENT send, cut by the kernel into the same
//   datagrams; off sends one message per answer.
//   --rate-limit: queries per second per client address (0, the default, is
//   no limit; with --udp-spread hash and several threads per thread, as a
//   client's source ports may land on different threads), --rate-burst the bucket (default: the rate). Over
//   it a client gets A 127.255.255.255 and TXT "Excessive number of queries"
//   for DNSBL names (the conventional answer), its other queries as usual.
//   A spec ZONE:keys:FILE (rampart's, not rbldnsd's) makes the zone answer
//   DATA.KEY.ZONE only for the keys in FILE ("KEY [member name]" per line,
//   "!KEY" revoked), REFUSED for others; queries per member are printed
//   when it stops.
//   Zone transfers (src/dnsbl/README.md "ZONE TRANSFERS"): AXFR and IXFR over
//   TCP for clients in --xfr-allow, signed with a --tsig / --tsig-file key
//   (BIND or Knot key syntax) when one is given; --notify sends NOTIFY to a
//   secondary after each reload that changed a zone (signed with the first
//   key). --xfr-max-records (2000000) refuses bigger zones, --xfr-journal
//   (16) versions of differences are kept for IXFR (together at most 1/8
//   of the zone's records, at least 4096: an older serial gets the whole
//   zone). Each changed zone is
//   logged as "zone Z changed, serial N".
//   Counters in Prometheus' text format (queries per transport, responses
//   per rcode, dropped, rate limited, zone serials, queries per member key,
//   transfers, refused transfers, TSIG errors): on SIGUSR1 to stderr, or
//   with --stats FILE into FILE (replaced whole) on SIGUSR1 and at exit.
//   --allow-host-bits is rbldnsd's -e (127.2.3.4/24 accepted as 127.2.3.0/24).
//   --load-threads auto|1|2: threads that parse a large ip4set file. auto
//   (the default) decides at each load: 2 when a core is free (the 1-minute
//   load average at most the CPUs usable minus one), else 1: with every core
//   busy a second thread only splits the process's share of the CPU and
//   adds the merge (10 M entries under dnsperf at load 19: one thread 6.4-10
//   s to the swap, two 8.3-13.9 s).
//
// DIAGNOSTICS
//   Bad lines in data files: "file:line: reason" on stderr, the line skipped
//   (as rbldnsd). A usage error, an unreadable file, an unknown data set type
//   or an address that cannot be bound: one line on stderr, exit status 2
//   (usage) or 1.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

#if defined(HAVE_RAMPART_SERVER_DNSBL)
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "core/ip.h"
#include "dnsbl/tsig.h"
#include "dnsbl/xfr.h"
#include "dnsbl/zones.h"
#include "server/dns/dnsbl_server.h"
#include "server/dns/notifier.h"

namespace {

using namespace rampart;

struct Options {
  std::vector<HostPort> listen;
  unsigned threads = 1;
  unsigned check = 60;
  double rate_limit = 0, rate_burst = 0;
  server::dns::UdpMode udp = server::dns::UdpMode::kBlocking;
  bool udp_gso = true;
  server::dns::UdpSpread udp_spread = server::dns::UdpSpread::kShared;
  bool udp_spread_given = false;
  dnsbl::LoadOptions load;
  bool load_threads_auto = true;  // --load-threads auto: load.threads chosen at each load
  std::vector<dnsbl::ZoneSpec> specs;
  std::vector<IpPrefix> xfr_allow;
  std::vector<dnsbl::TsigKey> keys;
  std::vector<HostPort> notify;
  size_t xfr_max_records = 2000000, xfr_journal = 16;
  std::string stats;  // --stats FILE
};

int parse(cli::Args& a, Options& o, bool serve) {
  const auto& raw = a.raw();
  for (size_t i = 1; i < raw.size(); ++i) {
    std::string arg = raw[i], value;
    bool has_value = false;
    if (arg.rfind("--", 0) == 0) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_value = true;
      }
      if (arg == "--allow-host-bits" && !has_value) {
        o.load.allow_host_bits = true;
        continue;
      }
      if (arg == "--load-threads") {
        if (!has_value) {
          if (i + 1 >= raw.size()) return a.usage_error("option " + arg + " needs a value");
          value = raw[++i];
        }
        if (value != "1" && value != "2" && value != "auto")
          return a.usage_error("--load-threads " + value + ": auto, 1 or 2");
        o.load_threads_auto = value == "auto";
        o.load.threads = value == "1" ? 1 : 2;
        continue;
      }
      bool takes = serve && (arg == "--listen" || arg == "--threads" || arg == "--check" || arg == "--udp" ||
                             arg == "--udp-gso" || arg == "--udp-spread" || arg == "--rate-limit" ||
                             arg == "--rate-burst" || arg == "--xfr-allow" || arg == "--tsig" ||
                             arg == "--tsig-file" || arg == "--notify" || arg == "--xfr-max-records" ||
                             arg == "--xfr-journal" || arg == "--stats");
      if (!takes) return a.usage_error("unknown option " + arg);
      if (!has_value) {
        if (i + 1 >= raw.size()) return a.usage_error("option " + arg + " needs a value");
        value = raw[++i];
      }
      if (arg == "--stats") {
        o.stats = value;
      } else if (arg == "--xfr-allow") {
        auto net = parse_cidr(value);
        if (!net) return a.usage_error("--xfr-allow " + value + ": " + net.error().message);
        o.xfr_allow.push_back(*net);
      } else if (arg == "--tsig") {
        auto k = dnsbl::parse_tsig_key(value);
        if (!k) return a.usage_error("--tsig: " + k.error().message);
        o.keys.push_back(*k);
      } else if (arg == "--tsig-file") {
        std::ifstream f(value);
        std::stringstream text;
        text << f.rdbuf();
        if (!f) return a.usage_error("--tsig-file " + value + ": cannot read it");
        auto ks = dnsbl::parse_tsig_keyfile(text.str());
        if (!ks) return a.usage_error("--tsig-file " + value + ": " + ks.error().message);
        o.keys.insert(o.keys.end(), ks->begin(), ks->end());
      } else if (arg == "--notify") {
        auto hp = parse_host_port(value, 53);
        if (!hp) return a.usage_error("--notify " + value + ": " + hp.error().message);
        o.notify.push_back(*hp);
      } else if (arg == "--xfr-max-records" || arg == "--xfr-journal") {
        char* end = nullptr;
        unsigned long long v = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end || v == 0 || v > 1000000000ull)
          return a.usage_error(arg + " " + value + ": not a valid number");
        (arg == "--xfr-journal" ? o.xfr_journal : o.xfr_max_records) = static_cast<size_t>(v);
      } else if (arg == "--listen") {
        auto hp = parse_host_port(value, 53, true);
        if (!hp) return a.usage_error("--listen " + value + ": " + hp.error().message);
        o.listen.push_back(*hp);
      } else if (arg == "--rate-limit" || arg == "--rate-burst") {
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (value.empty() || *end || !(v >= 0) || v > 1e9)
          return a.usage_error(arg + " " + value + ": not a rate");
        (arg == "--rate-limit" ? o.rate_limit : o.rate_burst) = v;
      } else if (arg == "--udp-gso") {
        if (value != "on" && value != "off") return a.usage_error("--udp-gso: on or off");
        o.udp_gso = value == "on";
      } else if (arg == "--udp-spread") {
        if (value != "shared" && value != "hash" && value != "id")
          return a.usage_error("--udp-spread: shared, hash or id");
        o.udp_spread = value == "shared" ? server::dns::UdpSpread::kShared
                       : value == "hash" ? server::dns::UdpSpread::kHash
                                         : server::dns::UdpSpread::kQueryId;
        o.udp_spread_given = true;
      } else if (arg == "--udp") {
        if (value != "blocking" && value != "asio") return a.usage_error("--udp: asio or blocking");
        o.udp = value == "asio" ? server::dns::UdpMode::kAsio : server::dns::UdpMode::kBlocking;
      } else {
        char* end = nullptr;
        unsigned long v = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end || v > (arg == "--threads" ? 1024ul : 86400ul) ||
            (arg == "--threads" && v == 0))
          return a.usage_error(arg + " " + value + ": not a valid number");
        (arg == "--threads" ? o.threads : o.check) = static_cast<unsigned>(v);
      }
      continue;
    }
    auto spec = dnsbl::parse_zone_spec(arg);
    if (!spec) return a.usage_error(spec.error().message);
    o.specs.push_back(*spec);
  }
  if (o.specs.empty()) return a.usage_error("no ZONE:TYPE:FILE given");
  if (o.listen.empty()) o.listen.push_back(*parse_host_port("127.0.0.1:53"));
  if (o.udp == server::dns::UdpMode::kAsio && o.udp_spread == server::dns::UdpSpread::kShared) {
    if (o.udp_spread_given) return a.usage_error("--udp-spread shared needs --udp blocking");
    o.udp_spread = server::dns::UdpSpread::kQueryId;  // the default with --udp asio
  }
  return 0;
}

// --load-threads auto: two threads when a core is free, else one.
unsigned auto_load_threads() {
  double load1 = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  if (getloadavg(&load1, 1) != 1) return 2;
  return load1 <= cpus - 1 ? 2 : 1;
}

Result<dnsbl::ZoneSetPtr> load(const Options& o, double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  dnsbl::LoadReport report;
  dnsbl::LoadOptions lo = o.load;
  if (o.load_threads_auto) lo.threads = auto_load_threads();
  auto zs = dnsbl::ZoneSet::load(o.specs, &report, lo);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The loader's temporary index and the file text are free now: give the
  // pages back (glibc keeps freed small blocks otherwise).
  malloc_trim(0);
  for (const auto& w : report.warnings) std::fprintf(stderr, "rampart dnsbl: %s\n", w.c_str());
  return zs;
}

bool files_changed(const dnsbl::ZoneSet& zs) {
  for (const auto& [path, mtime] : zs.files()) {
    struct stat st {};
    int64_t now = ::stat(path.c_str(), &st) == 0
                      ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec
                      : 0;
    if (now != mtime) return true;
  }
  return false;
}

// The registry of the answer latency histograms (rampart_dns_answer_seconds),
// rendered after the counters.
rampart::Metrics& answer_metrics() {
  static rampart::Metrics m;
  return m;
}

// The counters in Prometheus' text format (written on SIGUSR1 and at exit).
std::string stats_text(const server::dns::DnsblServer& srv, const dnsbl::Xfr* xfr) {
  std::string t;
  char line[512];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    t += line;
  };
  auto st = srv.stats();
  using ull = unsigned long long;
  t += "# TYPE rampart_dnsbl_queries_total counter\n";
  add("rampart_dnsbl_queries_total{transport=\"udp\"} %llu\n", static_cast<ull>(st.udp_queries));
  add("rampart_dnsbl_queries_total{transport=\"tcp\"} %llu\n", static_cast<ull>(st.tcp_queries));
  t += "# TYPE rampart_dnsbl_responses_total counter\n";
  static const char* kRcode[16] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                   "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "11",
                                   "12",       "13",      "14",       "15"};
  for (int r = 0; r < 16; ++r)
    if (st.rcodes[r])
      add("rampart_dnsbl_responses_total{rcode=\"%s\"} %llu\n", kRcode[r], static_cast<ull>(st.rcodes[r]));
  add("# TYPE rampart_dnsbl_dropped_total counter\nrampart_dnsbl_dropped_total %llu\n",
      static_cast<ull>(st.dropped));
  add("# TYPE rampart_dnsbl_rate_limited_total counter\nrampart_dnsbl_rate_limited_total %llu\n",
      static_cast<ull>(st.rate_limited));
  auto zs = srv.zones();
  t += "# TYPE rampart_dnsbl_zone_serial gauge\n";
  for (const auto& z : zs->zones())
    add("rampart_dnsbl_zone_serial{zone=\"%s\"} %u\n", z.apex.c_str(), z.soa.serial);
  t += "# TYPE rampart_dnsbl_member_queries_total counter\n";
  for (const auto& z : zs->zones())
    if (z.keys)
      for (const auto& [member, n] : z.keys->member_counts())
        add("rampart_dnsbl_member_queries_total{zone=\"%s\",member=\"%s\"} %llu\n", z.apex.c_str(),
            member.c_str(), static_cast<ull>(n));
  if (xfr) {
    const auto& c = xfr->counters();
    t += "# TYPE rampart_dnsbl_transfers_total counter\n";
    add("rampart_dnsbl_transfers_total{type=\"axfr\"} %llu\n", static_cast<ull>(c.axfr.load()));
    add("rampart_dnsbl_transfers_total{type=\"ixfr\"} %llu\n", static_cast<ull>(c.ixfr.load()));
    add("rampart_dnsbl_transfers_total{type=\"ixfr_full\"} %llu\n", static_cast<ull>(c.ixfr_full.load()));
    add("# TYPE rampart_dnsbl_transfers_refused_total counter\nrampart_dnsbl_transfers_refused_total %llu\n",
        static_cast<ull>(c.refused.load()));
    add("# TYPE rampart_dnsbl_tsig_errors_total counter\nrampart_dnsbl_tsig_errors_total %llu\n",
        static_cast<ull>(c.tsig_errors.load()));
  }
  return t + answer_metrics().render();
}

void write_stats(const Options& o, const server::dns::DnsblServer& srv, const dnsbl::Xfr* xfr) {
  std::string text = stats_text(srv, xfr);
  if (o.stats.empty()) {
    std::fputs(text.c_str(), stderr);
    return;
  }
  std::string tmp = o.stats + ".tmp";
  std::ofstream f(tmp, std::ios::trunc);
  f << text;
  f.close();
  if (!f || std::rename(tmp.c_str(), o.stats.c_str()) != 0)
    std::fprintf(stderr, "rampart dnsbl: cannot write --stats %s\n", o.stats.c_str());
}

int run_check(cli::Args& a) {
  Options o;
  if (int rc = parse(a, o, false)) return rc;
  double secs = 0;
  auto zs = load(o, &secs);
  if (!zs) {
    std::fprintf(stderr, "rampart dnsbl: %s\n", zs.error().message.c_str());
    return 1;
  }
  for (const auto& z : (*zs)->zones()) {
    size_t n = 0;
    for (const auto& m : z.mounts)
      for (const auto& d : m.datasets) n += d->entries();
    std::printf("zone %s: %zu entries\n", z.apex.c_str(), n);
  }
  std::printf("loaded %zu entries in %.3f s\n", (*zs)->entries(), secs);
  return 0;
}

int run_serve(cli::Args& a) {
  Options o;
  if (int rc = parse(a, o, true)) return rc;
  // Signals are taken by this thread alone (sigtimedwait below); the
  // server's threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  double secs = 0;
  auto zs = load(o, &secs);
  if (!zs) {
    std::fprintf(stderr, "rampart dnsbl: %s\n", zs.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "rampart dnsbl: loaded %zu entries in %.3f s\n", (*zs)->entries(), secs);
  server::dns::DnsblServerOptions so;
  std::unique_ptr<server::dns::Notifier> notifier;
  if (!o.xfr_allow.empty() || !o.keys.empty() || !o.notify.empty()) {
    dnsbl::XfrOptions xo;
    xo.allow = o.xfr_allow;
    xo.keys = o.keys;
    xo.max_records = o.xfr_max_records;
    xo.journal = o.xfr_journal;
    so.xfr = std::make_shared<dnsbl::Xfr>(xo);
    std::vector<std::string> log;
    *zs = so.xfr->update(*zs, nullptr, &log);
    malloc_trim(0);  // the temporary sets of the zone comparison
    for (const auto& l : log) std::fprintf(stderr, "rampart dnsbl: %s\n", l.c_str());
    if (!o.notify.empty())
      notifier = std::make_unique<server::dns::Notifier>(
          o.notify, o.keys.empty() ? nullptr : &o.keys[0],
          [](const std::string& line) { std::fprintf(stderr, "rampart dnsbl: %s\n", line.c_str()); });
  }
  so.listen = o.listen;
  so.threads = o.threads;
  so.udp_mode = o.udp;
  so.udp_gso = o.udp_gso;
  so.udp_spread = o.udp_spread;
  so.rate_limit = o.rate_limit;
  so.rate_burst = o.rate_burst;
  server::dns::register_answer_histograms(answer_metrics(), so);
  auto srv = server::dns::DnsblServer::create(so, *zs);
  if (!srv) {
    std::fprintf(stderr, "rampart dnsbl: %s\n", srv.error().message.c_str());
    return 1;
  }
  (*srv)->start();
  auto ports = (*srv)->ports();
  for (size_t i = 0; i < o.listen.size(); ++i) {
    HostPort hp = o.listen[i];
    hp.port = ports[i];
    std::printf("listening %s\n", hp.to_string().c_str());
  }
  std::fflush(stdout);
  auto last_check = std::chrono::steady_clock::now();
  for (;;) {
    timespec ts{o.check ? 1 : 3600, 0};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &ts);
    bool reload = sig == SIGHUP;
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGUSR1) {
      write_stats(o, **srv, so.xfr.get());
      continue;
    }
    if (!reload && o.check &&
        std::chrono::steady_clock::now() - last_check >= std::chrono::seconds(o.check)) {
      last_check = std::chrono::steady_clock::now();
      reload = files_changed(*(*srv)->zones());
    }
    if (!reload) continue;
    auto next = load(o, &secs);
    if (!next) {
      std::fprintf(stderr, "rampart dnsbl: reload failed, keeping the loaded data: %s\n",
                   next.error().message.c_str());
      continue;
    }
    size_t entries = (*next)->entries();
    std::vector<std::string> changed;
    if (so.xfr) {
      std::vector<std::string> log;
      *next = so.xfr->update(*next, &changed, &log);
      for (const auto& l : log) std::fprintf(stderr, "rampart dnsbl: %s\n", l.c_str());
    }
    auto published = *next;
    (*srv)->set_zones(std::move(*next));
    for (const auto& apex : changed)
      for (const auto& z : published->zones())
        if (z.apex == apex) {
          std::fprintf(stderr, "rampart dnsbl: zone %s changed, serial %u\n", apex.c_str(), z.soa.serial);
          if (notifier) notifier->changed(z);
        }
    published.reset();
    next = {};
    malloc_trim(0);
    std::fprintf(stderr, "rampart dnsbl: reloaded %zu entries in %.3f s\n", entries, secs);
  }
  notifier.reset();
  (*srv)->stop();
  if (!o.stats.empty()) write_stats(o, **srv, so.xfr.get());
  for (const auto& z : (*srv)->zones()->zones())
    if (z.keys)
      for (const auto& [member, n] : z.keys->member_counts())
        std::fprintf(stderr, "rampart dnsbl: zone %s member %s: %llu queries\n", z.apex.c_str(),
                     member.c_str(), static_cast<unsigned long long>(n));
  auto st = (*srv)->stats();
  std::fprintf(
      stderr,
      "rampart dnsbl: stopped after %llu UDP queries (%llu reads, %llu sends, %llu wakeups) and %llu TCP\n",
      static_cast<unsigned long long>(st.udp_queries), static_cast<unsigned long long>(st.udp_reads),
      static_cast<unsigned long long>(st.udp_sends), static_cast<unsigned long long>(st.udp_wakeups),
      static_cast<unsigned long long>(st.tcp_queries));
  return 0;
}

int run_dnsbl(cli::Args& a) {
  const auto& raw = a.raw();
  if (raw.empty()) return a.usage_error("usage: rampart dnsbl serve|check ZONE:TYPE:FILE...");
  if (raw[0] == "serve") return run_serve(a);
  if (raw[0] == "check") return run_check(a);
  return a.usage_error("unknown subcommand '" + raw[0] + "' (serve, check)");
}

cli::Registrar reg("dnsbl", "serve DNSBL zones from rbldnsd data files", run_dnsbl);

}  // namespace
#endif

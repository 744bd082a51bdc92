// File: bench/spf_bench.cc
// NAME
//   spf_bench - rampart's side of the SPF benchmark (bench/run.sh, bench/README.md)
// SYNOPSIS
//   spf_bench [--unbound-only] QUERIES NAMESERVER@PORT REPS RESULTS_OUT
//   spf_bench --zone ZONEFILE QUERIES - REPS RESULTS_OUT
// DESCRIPTION
//   Reads QUERIES ("ip sender helo" per line, the spfquery -file format) and
//   evaluates every line with spf::Evaluator::check_sync() in this process:
//   one pass to warm the caches, whose results go to RESULTS_OUT one per line,
//   then REPS timed passes. Prints one JSON line with the number of timed
//   evaluations and their CPU (CLOCK_PROCESS_CPUTIME_ID) and wall seconds.
//   Default: dns::CachingResolver over dns::UnboundResolver forwarding every
//   query to NAMESERVER@PORT (nsd on loopback, started by bench/run.sh).
//   --unbound-only: dns::UnboundResolver alone, i.e. libunbound's own cache
//   behind its asynchronous query interface, every lookup a ub_resolve_async.
//   --zone: dns::ZoneResolver over the zone file, no DNS and no resolver
//   cache at all: the evaluator's own cost, for reference.
// DIAGNOSTICS
//   Exit 2 on bad arguments or unreadable files, with a one-line message.
//   A query that ends in temperror in the warm pass is reported on stderr
//   (the name server is not answering); the run continues. With
//   SPF_BENCH_EXPLAIN set, every warm-pass result is printed with its reason.
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/spf/spf.h"
#include "core/clock.h"
#include "core/ip.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"

#if __has_include("dns/unbound_resolver.h")
#include "dns/unbound_resolver.h"
#define SPF_BENCH_HAVE_UNBOUND 1
#endif
#if __has_include("dns/caching_resolver.h") && defined(SPF_BENCH_HAVE_UNBOUND)
#include "dns/caching_resolver.h"
#define SPF_BENCH_HAVE_CACHING 1
#endif

namespace {

using rampart::IpAddress;
namespace dns = rampart::dns;
namespace spf = rampart::spf;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int usage(const char* msg) {
  std::fprintf(stderr, "spf_bench: %s\n", msg);
  std::fprintf(
      stderr,
      "usage: spf_bench [--unbound-only | --zone ZONEFILE] QUERIES NAMESERVER@PORT REPS RESULTS_OUT\n");
  return 2;
}

#ifdef SPF_BENCH_HAVE_UNBOUND
std::unique_ptr<dns::UnboundResolver> make_unbound(const std::string& nameserver) {
  dns::UnboundOptions uo;
  uo.forwarders = {nameserver};
  uo.timeout_ms = 2000;
  // "test." is one of unbound's default local zones (RFC 6761: answered
  // NXDOMAIN locally); the benchmark zone lives there, so let it through
  // ("nodefault" is not honoured through ub_ctx_set_option; "transparent" is).
  uo.unbound_options.emplace_back("local-zone:", "test. transparent");
  auto ub = dns::UnboundResolver::create(uo);
  if (!ub) {
    std::fprintf(stderr, "spf_bench: %s\n", ub.error().message.c_str());
    return nullptr;
  }
  return std::move(*ub);
}
#endif

struct Query {
  spf::Request req;
  std::string line;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string zone_path;
  bool unbound_only = false;
  if (args.size() >= 2 && args[0] == "--zone") {
    zone_path = args[1];
    args.erase(args.begin(), args.begin() + 2);
  } else if (!args.empty() && args[0] == "--unbound-only") {
    unbound_only = true;
    args.erase(args.begin());
  }
  if (args.size() != 4) return usage("wrong number of arguments");
  const std::string& queries_path = args[0];
  const std::string& nameserver = args[1];
  const std::string& results_path = args[3];
  long reps = 0;
  try {
    reps = std::stol(args[2]);
  } catch (...) {
    return usage("REPS is not a number");
  }
  if (reps < 0 || reps > 1000000) return usage("REPS out of range");

  std::vector<Query> queries;
  {
    std::ifstream in(queries_path);
    if (!in) return usage(("cannot read " + queries_path).c_str());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string ip, sender, helo;
      if (!(fields >> ip >> sender >> helo)) continue;
      auto addr = IpAddress::parse(ip);
      if (!addr) return usage(("bad address in " + line).c_str());
      Query q;
      q.req.ip = *addr;
      q.req.mail_from = sender;
      q.req.helo = helo;
      q.req.receiver = "spf_bench";
      q.line = line;
      queries.push_back(std::move(q));
    }
  }
  if (queries.empty()) return usage("no queries");

  // Owners; `resolver` points at the one the evaluator uses.
  std::unique_ptr<dns::ZoneResolver> zone_resolver;
#ifdef SPF_BENCH_HAVE_UNBOUND
  std::unique_ptr<dns::UnboundResolver> unbound;
#endif
#ifdef SPF_BENCH_HAVE_CACHING
  rampart::SystemClock clock;
  std::unique_ptr<dns::CachingResolver> caching;
#endif
  dns::Resolver* resolver = nullptr;
  std::string mode;
  if (!zone_path.empty()) {
    auto zone = dns::load_zone_file(zone_path);
    if (!zone) return usage(zone.error().message.c_str());
    zone_resolver = std::make_unique<dns::ZoneResolver>(std::move(*zone));
    resolver = zone_resolver.get();
    mode = "ZoneResolver (in-memory zone, no DNS)";
  } else {
#ifdef SPF_BENCH_HAVE_UNBOUND
    unbound = make_unbound(nameserver);
    if (!unbound) return usage("cannot set up the unbound resolver");
    if (unbound_only) {
      resolver = unbound.get();
      mode = "UnboundResolver (libunbound cache)";
    } else {
#ifdef SPF_BENCH_HAVE_CACHING
      caching = std::make_unique<dns::CachingResolver>(*unbound, clock, dns::CacheOptions{});
      resolver = caching.get();
      mode = "CachingResolver over UnboundResolver";
#else
      return usage("built without dns::CachingResolver");
#endif
    }
#else
    (void)nameserver;
    (void)unbound_only;
    return usage("built without dns::UnboundResolver");
#endif
  }

  spf::Evaluator evaluator(*resolver, spf::Options{});
  const bool explain = std::getenv("SPF_BENCH_EXPLAIN") != nullptr;

  size_t dns_terms = 0;  // DNS-querying terms counted against the limit of 10
  {
    std::ofstream out(results_path);
    if (!out) return usage(("cannot write " + results_path).c_str());
    for (const Query& q : queries) {
      spf::Outcome o = evaluator.check_sync(q.req);
      dns_terms += o.dns_lookups;
      if (explain) {
        std::fprintf(stderr, "%s -> %s (%s)\n", q.line.c_str(),
                     std::string(spf::verdict_name(o.result)).c_str(), o.reason.c_str());
      } else if (o.result == spf::Verdict::kTempError) {
        std::fprintf(stderr, "spf_bench: temperror in warm pass: %s: %s\n", q.line.c_str(), o.reason.c_str());
      }
      out << spf::verdict_name(o.result) << '\n';
    }
  }

  size_t sink = 0;
  uint64_t lookups0 = 0;
#ifdef SPF_BENCH_HAVE_CACHING
  if (caching) lookups0 = caching->stats().hits + caching->stats().misses;
#endif
  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  for (long r = 0; r < reps; ++r) {
    for (const Query& q : queries) {
      spf::Outcome o = evaluator.check_sync(q.req);
      sink += static_cast<size_t>(o.result) + o.reason.size();
    }
  }
  const double cpu1 = cpu_seconds();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  // Resolver calls (cache hits + misses) per timed evaluation; -1 if unknown.
  double calls = -1;
#ifdef SPF_BENCH_HAVE_CACHING
  if (caching && reps > 0) {
    calls = static_cast<double>(caching->stats().hits + caching->stats().misses - lookups0) /
            static_cast<double>(queries.size() * static_cast<size_t>(reps));
  }
#endif
  std::printf(
      "{\"evaluations\": %zu, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"mode\": \"%s\", "
      "\"dns_terms_per_eval\": %.3f, \"resolver_calls_per_eval\": %.3f, \"sink\": %zu}\n",
      queries.size() * static_cast<size_t>(reps), cpu1 - cpu0, wall, mode.c_str(),
      static_cast<double>(dns_terms) / static_cast<double>(queries.size()), calls, sink);
  return 0;
}

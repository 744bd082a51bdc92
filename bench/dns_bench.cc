// File: bench/dns_bench.cc
// DNS hot paths: CachingResolver hits (the SPF budget is ~5 cached lookups
// plus evaluation in ~1 us), ZoneResolver memoised lookups, response parsing.
//
//   build-dns/dns_bench --benchmark_filter=CacheHit
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/clock.h"
#include "dns/caching_resolver.h"
#include "dns/wire.h"
#include "dns/zone_resolver.h"

namespace rampart::dns {
namespace {

ZoneResolver& zone() {
  static ZoneResolver* z = [] {
    auto* r = new ZoneResolver();
    r->add("example.com",
           Record{RRType::TXT, 3600, Txt{{"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"}}});
    r->add("_spf.example.net", Record{RRType::TXT, 3600, Txt{{"v=spf1 ip4:198.51.100.0/24 -all"}}});
    r->add("mail.example.com", Record{RRType::A, 3600, *IpAddress::parse("192.0.2.25")});
    for (int i = 0; i < 1000; ++i)
      r->add("host" + std::to_string(i) + ".example.org",
             Record{RRType::A, 3600, IpAddress::v4(0xC0000200u + i)});
    return r;
  }();
  return *z;
}

void BM_CacheHit(benchmark::State& state) {
  SystemClock clock;
  CachingResolver cache(zone(), clock);
  const char* names[] = {"example.com", "_spf.example.net", "Mail.Example.COM"};
  RRType types[] = {RRType::TXT, RRType::TXT, RRType::A};
  for (int i = 0; i < 3; ++i) cache.resolve_sync(names[i], types[i]);
  size_t ok = 0;
  int i = 0;
  for (auto _ : state) {
    cache.resolve(names[i], types[i], [&ok](AnswerPtr a) { ok += a->ok(); });
    i = (i + 1) % 3;
  }
  benchmark::DoNotOptimize(ok);
  state.counters["hit_ratio"] =
      static_cast<double>(cache.stats().hits) / static_cast<double>(state.iterations() + 3);
}
BENCHMARK(BM_CacheHit);

void BM_CacheHitFakeClock(benchmark::State& state) {
  FakeClock clock;
  CachingResolver cache(zone(), clock);
  cache.resolve_sync("example.com", RRType::TXT);
  size_t ok = 0;
  for (auto _ : state) cache.resolve("example.com", RRType::TXT, [&ok](AnswerPtr a) { ok += a->ok(); });
  benchmark::DoNotOptimize(ok);
}
BENCHMARK(BM_CacheHitFakeClock);

void BM_CacheHitManyNames(benchmark::State& state) {
  SystemClock clock;
  CachingResolver cache(zone(), clock);
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("host" + std::to_string(i) + ".example.org");
  for (const auto& n : names) cache.resolve_sync(n, RRType::A);
  size_t ok = 0, i = 0;
  for (auto _ : state) {
    cache.resolve(names[i], RRType::A, [&ok](AnswerPtr a) { ok += a->ok(); });
    i = (i + 1) % names.size();
  }
  benchmark::DoNotOptimize(ok);
}
BENCHMARK(BM_CacheHitManyNames);

void BM_ZoneResolverMemo(benchmark::State& state) {
  size_t ok = 0;
  for (auto _ : state) zone().resolve("example.com", RRType::TXT, [&ok](AnswerPtr a) { ok += a->ok(); });
  benchmark::DoNotOptimize(ok);
}
BENCHMARK(BM_ZoneResolverMemo);

void BM_ParseResponse(benchmark::State& state) {
  Response r;
  r.qname = "www.example.com";
  r.qtype = 16;
  r.answers = {{"www.example.com", Record{RRType::CNAME, 300, std::string("example.com")}},
               {"example.com", Record{RRType::TXT, 300, Txt{{"v=spf1 ", "ip4:192.0.2.0/24 -all"}}}}};
  auto bytes = *encode_response(r);
  for (auto _ : state) {
    Answer a = parse_response(bytes, RRType::TXT, "www.example.com");
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ParseResponse);

}  // namespace
}  // namespace rampart::dns

BENCHMARK_MAIN();

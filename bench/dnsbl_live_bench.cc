// File: bench/dnsbl_live_bench.cc
// Live DNSBL zones (issue 14): a zone of N listed addresses held by
// LiveZones (the rampartd code, with its DNS server on 127.0.0.1:0 and
// transfers enabled), then R class changes a second for S seconds (half new
// listings, half delistings of listed addresses, random /32s). Prints the
// time to fill the zone and, per second of changes, the time from the
// changes to the zones served (LiveZones::flush: shards rebuilt, serial
// assigned, journal updated, zone set swapped), and the resident memory.
//
//   dnsbl_live_bench [ENTRIES [CHANGES_PER_SECOND [SECONDS]]]   (1000000 1000 10)
#include <malloc.h>
#include <sys/resource.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/ip.h"
#include "server/live_zones.h"

using namespace rampart;
using SteadyClock = std::chrono::steady_clock;

namespace {

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

// CPU time of the whole process (the builder thread does the work; the
// main thread waits in flush()): wall time on a loaded host is mostly waiting.
double cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// Bytes the allocator has handed out and not had back (every arena and its
// own mmaps): the live heap, without what freed memory still holds of the RSS.
long heap_mb() {
  const auto m = ::mallinfo2();
  return static_cast<long>((m.uordblks + m.hblkhd) >> 20);
}

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string k;
  long v = 0;
  while (f >> k)
    if (k == "VmRSS:" && f >> v) return v;
  return 0;
}

reputation::ClassChange change(uint32_t addr, reputation::SenderClass to) {
  reputation::ClassChange c;
  c.identity = "ip:" + IpAddress::v4(addr).to_string();
  c.to = to;
  if (to != reputation::SenderClass::kUnknown) c.reasons.push_back({"TRAP_HITS", 1.0, "3 trap hits in 24 h"});
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t entries = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  const size_t rate = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  server::LiveZonesConfig cfg;
  cfg.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
  cfg.xfr_allow.push_back(*parse_cidr("127.0.0.0/8"));
  cfg.rebuild_ms = 0;
  cfg.max_entries = entries * 2 + rate * seconds;
  server::LiveZoneConfig z;
  z.name = "bl.example";
  z.codes = {{"spammer", 0x7f000002}, {"compromised", 0x7f000003}};
  cfg.zones.push_back(z);
  auto lz = server::LiveZones::start(cfg, nullptr, nullptr);
  if (!lz) {
    std::fprintf(stderr, "start: %s\n", lz.error().message.c_str());
    return 1;
  }
  auto listen = (*lz)->class_listener();
  std::mt19937 rng(14);
  std::vector<uint32_t> listed;
  listed.reserve(entries);
  std::vector<reputation::ClassChange> batch;
  const long rss0 = rss_kb();
  auto t0 = SteadyClock::now();
  for (size_t i = 0; i < entries; ++i) {
    uint32_t a = rng();
    if ((a >> 24) == 127 || (a >> 24) == 0) a ^= 0x40000000u;
    listed.push_back(a);
    batch.push_back(change(a, reputation::SenderClass::kSpammer));
    if (batch.size() == 10000 || i + 1 == entries) {
      listen(batch);
      batch.clear();
    }
  }
  (*lz)->flush();
  std::printf(
      "fill: %zu entries in %.0f ms (as changes, in batches of 10000), RSS +%ld MB, heap in use %ld MB\n",
      entries, ms_since(t0), (rss_kb() - rss0) / 1024, heap_mb());
  std::vector<double> took, cpu;
  for (int s = 0; s < seconds; ++s) {
    const auto start = SteadyClock::now();
    batch.clear();
    for (size_t i = 0; i < rate; ++i) {
      if (i % 2 == 0) {
        uint32_t a = rng();
        if ((a >> 24) == 127 || (a >> 24) == 0) a ^= 0x40000000u;
        listed.push_back(a);
        batch.push_back(change(a, reputation::SenderClass::kCompromised));
      } else {
        const size_t k = rng() % listed.size();
        batch.push_back(change(listed[k], reputation::SenderClass::kUnknown));
        listed[k] = listed.back();
        listed.pop_back();
      }
    }
    const auto t1 = SteadyClock::now();
    const double c1 = cpu_ms();
    listen(batch);
    (*lz)->flush();
    took.push_back(ms_since(t1));
    cpu.push_back(cpu_ms() - c1);
    std::printf("second %d: %zu changes applied and served in %.1f ms (%.1f ms CPU)\n", s + 1, rate,
                took.back(), cpu.back());
    std::fflush(stdout);
    const auto next = start + std::chrono::seconds(1);
    if (SteadyClock::now() < next) std::this_thread::sleep_until(next);
  }
  std::sort(took.begin(), took.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf(
      "per %zu changes: median %.1f ms, max %.1f ms wall; median %.1f ms, max %.1f ms CPU; RSS %ld MB, heap "
      "in use "
      "%ld MB\n",
      rate, took[took.size() / 2], took.back(), cpu[cpu.size() / 2], cpu.back(), rss_kb() / 1024, heap_mb());
  return 0;
}

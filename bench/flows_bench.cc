// File: bench/flows_bench.cc
// flows_bench — decode speed of NetFlow v9 and IPFIX (records per second per
// core, thread CPU time), and decode + detector aggregation with memory per
// tracked host. The datagrams come from FlowEncoder over simulated traffic.
//
//   flows_bench            # 1M records, 5 rounds each
//   flows_bench 4000000 3
//
// Prints figures; never fails on time.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "flows/detector.h"
#include "flows/encoder.h"
#include "flows/netflow.h"
#include "flows/simulate.h"

using namespace rampart;
using namespace rampart::flows;

namespace {

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long rss_kb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t want = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  SimConfig sc;
  sc.duration_s = 3600;
  sc.users = 400;
  auto sim = simulate(sc);
  std::vector<Flow> flows;
  flows.reserve(want);
  while (flows.size() < want)
    for (const auto& f : sim.flows) {
      if (flows.size() >= want) break;
      flows.push_back(f);
    }
  const IpAddress exporter = IpAddress::v4(0x7f000001u);
  std::printf("flows_bench: %zu records, %d rounds, best round shown (thread CPU time)\n", flows.size(),
              rounds);
  for (auto [name, fmt] :
       {std::pair{"netflow-v9", ExportFormat::kV9}, std::pair{"ipfix", ExportFormat::kIpfix}}) {
    FlowEncoder enc({.format = fmt, .domain = 1, .template_every = 20, .max_datagram = 1400});
    auto ds = enc.encode(flows, 1700000000000);
    size_t bytes = 0;
    for (const auto& d : ds) bytes += d.size();
    double best = 1e9;
    size_t decoded = 0;
    std::vector<Flow> out;
    out.reserve(64);
    for (int r = 0; r < rounds; ++r) {
      FlowDecoder dec;
      decoded = 0;
      const double t0 = cpu_seconds();
      for (const auto& d : ds) {
        out.clear();
        auto res = dec.decode(d, exporter, out);
        if (res) decoded += *res;
      }
      best = std::min(best, cpu_seconds() - t0);
    }
    std::printf(
        "%-11s decode            %6.2f M records/s/core  (%zu records, %zu datagrams, %.1f MB, %.1f "
        "ns/record)\n",
        name, static_cast<double>(decoded) / best / 1e6, decoded, ds.size(), static_cast<double>(bytes) / 1e6,
        best * 1e9 / static_cast<double>(decoded));
    // Decode + aggregate in the detector.
    const long rss0 = rss_kb();
    Detector det(sim.detector_config);
    FlowDecoder dec;
    const double t0 = cpu_seconds();
    size_t n = 0;
    for (const auto& d : ds) {
      out.clear();
      if (dec.decode(d, exporter, out))
        for (const auto& f : out) {
          det.observe(f);
          ++n;
        }
    }
    const double dt = cpu_seconds() - t0;
    const long rss1 = rss_kb();
    std::printf(
        "%-11s decode+detector   %6.2f M records/s/core  (%zu hosts tracked, ~%.0f bytes/host max-RSS "
        "growth)\n",
        name, static_cast<double>(n) / dt / 1e6, det.tracked_hosts(),
        det.tracked_hosts()
            ? static_cast<double>(rss1 - rss0) * 1024.0 / static_cast<double>(det.tracked_hosts())
            : 0.0);
  }
  std::printf("nfdump side by side: not run here (needs nfdump installed and bench/run.sh wiring)\n");
  return 0;
}

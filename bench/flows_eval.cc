// File: bench/flows_eval.cc
// flows_eval — the bot detector's evaluation: a simulated subscriber
// population (src/flows/simulate.h) and the CTU-13 samples, scored per host
// per time window as CTU-13 is (TPR, FPR, precision, F1, time to detection).
//
//   flows_eval                                  # seeds 1..3, 6 h each, 300 s windows
//   flows_eval --seed 7 --hours 12 --users 1000
//   flows_eval --ctu13 tests/data/flows/ctu13-1-capture20110810.binetflow ...
//   flows_eval --write-binetflow sim.binetflow  # the simulated flows, labelled, for `rampart flows detect`
//   flows_eval --seeds fuzz/corpus              # writes the flow fuzz seed corpora
//
// A program that prints figures, not a test: the pass/fail gate is
// src/flows/simulate_test.cc.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flows/encoder.h"
#include "flows/flow_csv.h"
#include "flows/simulate.h"

using namespace rampart;
using namespace rampart::flows;

namespace {

std::string fmt_time(int64_t ms) {
  const int64_t s = ms / 1000;
  const int64_t days = s / 86400, rem = s % 86400;
  // civil_from_days (H. Hinnant)
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld/%02lld/%02lld %02lld:%02lld:%02lld.%03lld",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60), static_cast<long long>(ms % 1000));
  return buf;
}

std::string flag_letters(uint8_t f) {
  std::string s;
  if (f & kTcpFin) s += 'F';
  if (f & kTcpSyn) s += 'S';
  if (f & kTcpRst) s += 'R';
  if (f & kTcpPsh) s += 'P';
  if (f & kTcpAck) s += 'A';
  return s;
}

void write_binetflow(const Simulation& sim, const std::string& path) {
  std::ofstream o(path);
  const Truth t = sim.truth();
  o << "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,"
       "Label\n";
  for (const auto& f : sim.flows) {
    const bool bad = t.infected_at(f.src, f.start_ms);
    o << fmt_time(f.start_ms) << ',' << (f.end_ms - f.start_ms) / 1000.0 << ','
      << (f.protocol == kProtoTcp ? "tcp" : "udp") << ',' << f.src.to_string() << ',' << f.src_port
      << ",   ->," << f.dst.to_string() << ',' << f.dst_port << ','
      << (f.protocol == kProtoTcp ? flag_letters(f.tcp_flags) + "_" : "CON") << ",0,0," << f.packets << ','
      << f.bytes << ',' << f.bytes << ',' << (bad ? "flow=From-Botnet-Sim" : "flow=Background") << '\n';
  }
}

void write_framed(const std::vector<std::vector<uint8_t>>& ds, const std::string& path) {
  std::ofstream o(path, std::ios::binary);
  for (const auto& d : ds) {
    o.put(static_cast<char>(d.size() >> 8));
    o.put(static_cast<char>(d.size() & 0xff));
    o.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
  }
}

int write_seeds(const std::string& dir) {
  namespace fs = std::filesystem;
  SimConfig c;
  c.duration_s = 120;
  c.users = 5;
  auto sim = simulate(c);
  std::vector<Flow> flows(sim.flows.begin(), sim.flows.begin() + std::min<size_t>(60, sim.flows.size()));
  flows[3].src = *IpAddress::parse("2001:db8::3");
  flows[3].dst = *IpAddress::parse("2001:db8:1::25");
  for (auto [name, fmt, extras] : {std::tuple{"fuzz_flow_v5", ExportFormat::kV5, false},
                                   std::tuple{"fuzz_flow_v9", ExportFormat::kV9, false},
                                   std::tuple{"fuzz_flow_ipfix", ExportFormat::kIpfix, false},
                                   std::tuple{"fuzz_flow_ipfix", ExportFormat::kIpfix, true}}) {
    fs::create_directories(dir + "/" + name);
    FlowEncoder enc({.format = fmt, .domain = 1, .template_every = 3, .max_datagram = 600, .extras = extras});
    auto ds = enc.encode(flows, 1700000000000);
    write_framed(ds, dir + "/" + name + "/stream" + (extras ? "-extras" : "") + ".bin");
    std::vector<std::vector<uint8_t>> first(ds.begin(), ds.begin() + 1);
    write_framed(first, dir + "/" + name + "/one" + (extras ? "-extras" : "") + ".bin");
  }
  return 0;
}

Truth ctu_truth(const std::vector<CsvRecord>& recs) {
  Truth t;
  int64_t t0 = INT64_MAX;
  for (const auto& r : recs) t0 = std::min(t0, r.flow.start_ms);
  for (const auto& r : recs)
    if (r.label.find("From-Botnet") != std::string::npos) t.infected_from_ms[r.flow.src.to_string()] = t0;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  SimConfig c;
  std::vector<uint64_t> seeds = {1, 2, 3};
  std::vector<std::string> ctu;
  std::string write_path;
  for (size_t i = 0; i < args.size(); ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "flows_eval: %s needs a value\n", args[i].c_str());
        std::exit(2);
      }
      return args[++i];
    };
    if (args[i] == "--seed")
      seeds = {std::stoull(next())};
    else if (args[i] == "--hours")
      c.duration_s = std::stoll(next()) * 3600;
    else if (args[i] == "--users")
      c.users = std::stoul(next());
    else if (args[i] == "--ctu13") {
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) ctu.push_back(args[++i]);
    } else if (args[i] == "--write-binetflow")
      write_path = next();
    else if (args[i] == "--seeds")
      return write_seeds(next());
    else {
      std::fprintf(stderr,
                   "usage: flows_eval [--seed N] [--hours H] [--users N] [--ctu13 FILE...] "
                   "[--write-binetflow FILE] [--seeds DIR]\n");
      return 2;
    }
  }
  if (!ctu.empty()) {
    DetectorConfig cfg;
    cfg.subscribers.push_back({*Prefix::parse("147.32.0.0/16"), SubscriberKind::kDynamic});
    for (const auto& path : ctu) {
      std::ifstream in(path);
      std::stringstream ss;
      ss << in.rdbuf();
      auto r = read_flow_text(ss.str(), CsvFormat::kBinetflow);
      if (!r) {
        std::fprintf(stderr, "flows_eval: %s: %s\n", path.c_str(), r.error().message.c_str());
        return 2;
      }
      std::vector<Flow> flows;
      for (const auto& rec : r->records) flows.push_back(rec.flow);
      std::stable_sort(flows.begin(), flows.end(),
                       [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
      auto rep = evaluate(flows, ctu_truth(r->records), cfg, 300);
      std::printf("== CTU-13 %s (%zu flows, 300 s windows, subscribers 147.32.0.0/16)\n%s\n", path.c_str(),
                  flows.size(), rep.table().c_str());
    }
    return 0;
  }
  for (uint64_t seed : seeds) {
    c.seed = seed;
    auto sim = simulate(c);
    if (!write_path.empty()) {
      write_binetflow(sim, write_path);
      std::printf("wrote %zu flows to %s\n", sim.flows.size(), write_path.c_str());
      return 0;
    }
    auto rep = evaluate(sim.flows, sim.truth(), sim.detector_config, 300);
    std::printf(
        "== simulation seed=%llu hours=%lld users=%zu businesses=%zu (known %zu) nats=%zu bots=%zu/%zu/%zu "
        "flows=%zu, 300 s windows\n%s\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(c.duration_s / 3600), c.users,
        c.businesses, c.known_businesses, c.nats, c.bots_burst, c.bots_slow, c.bots_relay, sim.flows.size(),
        rep.table().c_str());
  }
  return 0;
}

// File: bench/flows_eval.cc
// flows_eval — the bot detector's evaluation: a simulated subscriber
// population (src/flows/simulate.h) and the CTU-13 samples, scored per host
// per time window as CTU-13 is (TPR, FPR, precision, F1, time to detection).
//
//   flows_eval                                  # seeds 1..3, 6 h each, 120 s windows
//   flows_eval --population tuned               # issue 13's styles, 12 h (simulate.h tuned_population)
//   flows_eval --seed 7 --hours 12 --users 1000
//   flows_eval --population tuned --seed 4 --write-blind DIR   # flows.binetflow, hosts.csv, meta.json
//   flows_eval --ctu13 tests/data/flows/ctu13-1-capture20110810.binetflow ...
//   flows_eval --write-binetflow sim.binetflow  # the simulated flows, labelled, for `rampart flows detect`
//   flows_eval --seeds fuzz/corpus              # writes the flow fuzz seed corpora
//   flows_eval --fit 100 tests/data/flows/ctu13-*.binetflow   # fits the detector's model (kWeights)
//
// A program that prints figures, not a test: the pass/fail gate is
// src/flows/simulate_test.cc.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
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

// The blind-evaluation layout (bench/blind/score_flows.py reads it).
void write_blind(const Simulation& sim, const SimConfig& c, const std::string& dir) {
  std::filesystem::create_directories(dir);
  write_binetflow(sim, dir + "/flows.binetflow");
  std::ofstream h(dir + "/hosts.csv");
  h << "host,role,infected_from,infected_until\n";
  for (const auto& x : sim.hosts) {
    std::string role;
    switch (x.role) {
      case HostRole::kUser: role = "normal"; break;
      case HostRole::kBusinessMta: role = "mail_server"; break;
      case HostRole::kNat: role = "nat_gateway"; break;
      case HostRole::kBotBurst: role = "bot_heavy"; break;
      case HostRole::kBotSlow:
      case HostRole::kBotLowSlow: role = "bot_lowslow"; break;
      case HostRole::kBotRelay:
      case HostRole::kBotRelayAbuse: role = "bot_relay"; break;
      case HostRole::kNatInfected: role = "nat_infected"; break;
    }
    h << x.ip.to_string() << ',' << role << ',';
    if (x.infected_from_ms >= 0) h << x.infected_from_ms / 1000;
    h << ',';
    if (x.infected_until_ms >= 0) h << x.infected_until_ms / 1000;
    h << '\n';
  }
  std::ofstream m(dir + "/meta.json");
  m << "{\"population\": \"rampart-sim\", \"seed\": " << c.seed << ", \"start\": " << c.start_ms / 1000
    << ", \"end\": " << (c.start_ms / 1000 + c.duration_s) << ", \"subscribers\": [";
  for (size_t i = 0; i < sim.detector_config.subscribers.size(); ++i)
    m << (i ? ", " : "") << '"' << sim.detector_config.subscribers[i].prefix.to_string() << '"';
  m << "], \"mail_servers\": [";
  for (size_t i = 0; i < sim.detector_config.mail_servers.size(); ++i)
    m << (i ? ", " : "") << '"' << sim.detector_config.mail_servers[i].to_string() << '"';
  m << "], \"flows\": " << sim.flows.size() << "}\n";
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

// --fit: logistic regression of "infected" on the detector's feature vector at
// every scored flow of labelled simulations (Detector::set_feature_sink). Rows
// are thinned within a host-hour (all of the first 40, then every 8th) and
// each host-hour weighs the same in total, so a heavy bot's thousands of flows
// do not drown a low-and-slow bot's handful; positives and negatives weigh the
// same in total, times neg_weight for the negatives (default 30: a
// legitimate host flagged costs far more than a bot found an hour later). Newton's method (IRLS) with a small
// L2 penalty. Prints the weights in the order of kFeatureNames, as the C++ initializer of kWeights. +1:
// evidence of a bot, -1: evidence against, 0: free (the bias).
constexpr std::array<int, kFeatures> kFeatureSigns = {0, 1,  1,  1, 1, 1, 1, 1,  1, 1,
                                                      1, -1, -1, 1, 1, 1, 1, -1, 1, 1};

Truth ctu_truth(const std::vector<CsvRecord>& recs);

int fit(double neg_weight, const std::vector<std::string>& ctu, double ctu_boost) {
  struct Row {
    std::array<float, kFeatures> x;
    uint8_t y;
    bool legit;  // a host never infected (user, MTA, NAT)
    uint32_t group;
  };
  std::vector<Row> rows;
  std::vector<uint32_t> group_rows;
  std::vector<double> group_boost;  // a real capture's host-hour counts for this many simulated ones
  uint32_t next_group = 0;
  double boost = 1;
  auto run_flows = [&](const std::vector<Flow>& flows, const Truth& truth, const DetectorConfig& cfg,
                       const char* what) {
    std::unordered_map<std::string, uint32_t> groups;
    std::unordered_map<uint32_t, uint32_t> seen;
    Detector det(cfg);
    det.set_feature_sink([&](const IpAddress& ip, int64_t t, const std::array<double, kFeatures>& x) {
      const std::string key = ip.to_string() + "/" + std::to_string(t / 3600000);
      auto [it, fresh] = groups.emplace(key, next_group);
      if (fresh) {
        ++next_group;
        group_rows.push_back(0);
        group_boost.push_back(boost);
      }
      const uint32_t g = it->second;
      const uint32_t k = ++seen[g];
      if (k > 40 && k % 8 != 0) return;
      Row r;
      for (size_t i = 0; i < kFeatures; ++i) r.x[i] = static_cast<float>(x[i]);
      // Not fitted (weight stays 0): traffic_1h, a penalty on busy hosts as such hides the infected
      // client behind a NAT; the NAT signals are relative (excess over the
      // host's own usual, submissions per mail client).
      r.x[12] = 0;
      r.y = truth.infected_at(ip, t) ? 1 : 0;
      r.legit = !truth.infected_from_ms.count(ip.to_string());
      r.group = g;
      rows.push_back(r);
      ++group_rows[g];
    });
    for (const Flow& f : flows) det.observe(f);
    std::fprintf(stderr, "fit: %s: %zu rows so far\n", what, rows.size());
  };
  auto run = [&](const char* name, uint64_t seed) {
    auto sim = simulate(*population(name, seed));
    const std::string what = std::string(name) + " seed " + std::to_string(seed);
    run_flows(sim.flows, sim.truth(), sim.detector_config, what.c_str());
  };
  // The campus population is held out (never fitted on).
  for (uint64_t seed : {101, 102, 103, 104}) run("tuned", seed);
  for (uint64_t seed : {101, 102, 103}) run("isp", seed);
  for (uint64_t seed : {101, 102}) run("default", seed);
  // The CTU-13 samples (real captures, labelled): each of their host-hours
  // weighs as much as ctu_boost simulated ones.
  boost = ctu_boost;
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
    DetectorConfig cfg;
    cfg.subscribers.push_back({*Prefix::parse("147.32.0.0/16"), SubscriberKind::kDynamic});
    run_flows(flows, ctu_truth(r->records), cfg, path.c_str());
  }
  std::vector<double> w(rows.size());
  double pos = 0, neg = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    w[i] = group_boost[rows[i].group] / group_rows[rows[i].group];
    (rows[i].y ? pos : neg) += w[i];
  }
  for (size_t i = 0; i < rows.size(); ++i) w[i] *= rows[i].y ? 1.0 / pos : neg_weight / neg;
  constexpr size_t K = kFeatures;
  const double lambda = 1e-4;
  std::array<double, K> beta{};
  for (int iter = 0; iter < 60; ++iter) {
    std::array<double, K> g{};
    std::array<std::array<double, K>, K> H{};
    for (size_t r = 0; r < rows.size(); ++r) {
      double z = 0;
      for (size_t i = 0; i < K; ++i) z += beta[i] * rows[r].x[i];
      const double p = 1 / (1 + std::exp(-z));
      const double d = w[r] * (p - rows[r].y), s = w[r] * p * (1 - p);
      for (size_t i = 0; i < K; ++i) {
        g[i] += d * rows[r].x[i];
        for (size_t j = 0; j <= i; ++j) H[i][j] += s * rows[r].x[i] * rows[r].x[j];
      }
    }
    for (size_t i = 0; i < K; ++i) {
      for (size_t j = 0; j < i; ++j) H[j][i] = H[i][j];
      if (i > 0) {
        g[i] += lambda * beta[i];
        H[i][i] += lambda;
      }
      H[i][i] += 1e-9;
    }
    // A weight held at 0 by its sign whose gradient pushes it further out
    // stays out of this step (active set).
    for (size_t i = 0; i < K; ++i) {
      if (kFeatureSigns[i] == 0 || beta[i] != 0 || kFeatureSigns[i] * g[i] <= 0) continue;
      for (size_t j = 0; j < K; ++j) H[i][j] = H[j][i] = 0;
      H[i][i] = 1;
      g[i] = 0;
    }
    // Solve H step = g (Gaussian elimination with partial pivoting).
    std::array<double, K> step = g;
    for (size_t c = 0; c < K; ++c) {
      size_t piv = c;
      for (size_t r = c + 1; r < K; ++r)
        if (std::fabs(H[r][c]) > std::fabs(H[piv][c])) piv = r;
      std::swap(H[c], H[piv]);
      std::swap(step[c], step[piv]);
      for (size_t r = c + 1; r < K; ++r) {
        const double f = H[r][c] / H[c][c];
        for (size_t k = c; k < K; ++k) H[r][k] -= f * H[c][k];
        step[r] -= f * step[c];
      }
    }
    for (size_t c = K; c-- > 0;) {
      for (size_t k = c + 1; k < K; ++k) step[c] -= H[c][k] * step[k];
      step[c] /= H[c][c];
    }
    double step_norm = 0;
    for (size_t i = 0; i < K; ++i) step_norm += step[i] * step[i];
    if (step_norm > 25)  // damped: at most 5 per iteration
      for (size_t i = 0; i < K; ++i) step[i] *= 5 / std::sqrt(step_norm);
    double norm = 0;
    for (size_t i = 0; i < K; ++i) {
      const double before = beta[i];
      beta[i] -= step[i];
      // Each feature is evidence one way only (kFeatureSigns): a weight that
      // would turn it around is held at 0 (projected Newton).
      if (kFeatureSigns[i] > 0) beta[i] = std::max(0.0, beta[i]);
      if (kFeatureSigns[i] < 0) beta[i] = std::min(0.0, beta[i]);
      norm += (beta[i] - before) * (beta[i] - before);
    }
    if (norm < 1e-12) break;
  }
  // The legitimate host's flow that comes closest (printed, to see why).
  double max_legit = -1e9;
  const Row* worst = nullptr;
  for (const Row& r : rows) {
    if (!r.legit) continue;
    double z = 0;
    for (size_t i = 0; i < K; ++i) z += beta[i] * r.x[i];
    if (z > max_legit) max_legit = z, worst = &r;
  }
  if (worst)
    for (size_t i = 0; i < K; ++i)
      std::fprintf(stderr, "fit: worst legitimate row: %s = %.3f\n", kFeatureNames[i], worst->x[i]);
  std::printf("// highest log-odds of a legitimate host's flow: %.3f", max_legit);
  std::printf("\n// %zu rows (%zu host-hours); weights in the order of kFeatureNames\n", rows.size(),
              group_rows.size());
  for (size_t i = 0; i < K; ++i) std::printf("    %.4f,  // %s\n", beta[i], kFeatureNames[i]);
  // The fitted model on seeds 1-3 of every population (campus: held out).
  for (uint64_t seed : {1, 2, 3}) {
    for (const char* name : {"tuned", "isp", "campus", "default"}) {
      auto sim = simulate(*population(name, seed));
      sim.detector_config.weights = beta;
      auto rep = evaluate(sim.flows, sim.truth(), sim.detector_config, 120);
      std::printf("== fitted model, %s seed %llu, 120 s windows\n%s\n", name,
                  static_cast<unsigned long long>(seed), rep.table().c_str());
      for (const auto& l : rep.legit_incidents) std::printf("  flagged: %s\n", l.c_str());
    }
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
  std::string write_path, blind_dir;
  bool tuned = false, verbose = false;
  int64_t hold_s = -1, hold_slow_s = -1;
  // --login-burst-min N, --provider-prefix-v4 N: the rules' settings (A/B against the defaults).
  int64_t login_burst_min = -1, provider_prefix_v4 = -1;
  std::string trace_role;  // --trace ROLE: the model's inputs for each host of that role, every 20 min
  std::string pop = "default";
  int64_t window_s = 120;
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
    else if (args[i] == "--population") {
      pop = next();
      if (!population(pop, 1)) {
        std::fprintf(stderr, "flows_eval: --population tuned|isp|campus|cgnat|default\n");
        return 2;
      }
      tuned = pop != "default";
    } else if (args[i] == "--window")
      window_s = std::stoll(next());
    else if (args[i] == "--hold")
      hold_s = std::stoll(next());
    else if (args[i] == "--hold-slow")
      hold_slow_s = std::stoll(next());
    else if (args[i] == "--login-burst-min")
      login_burst_min = std::stoll(next());
    else if (args[i] == "--provider-prefix-v4")
      provider_prefix_v4 = std::clamp<int64_t>(std::stoll(next()), 8, 32);
    else if (args[i] == "--trace")
      trace_role = next();
    else if (args[i] == "--verbose")
      verbose = true;
    else if (args[i] == "--write-blind")
      blind_dir = next();
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
    else if (args[i] == "--fit") {
      // Optional: how much more the negatives weigh in total than the positives.
      double neg_weight = 100;
      if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) neg_weight = std::stod(args[++i]);
      // Then the CTU-13 samples to add, if any (flows_eval --fit 100 tests/data/flows/ctu13-*.binetflow).
      std::vector<std::string> ctu_files;
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) ctu_files.push_back(args[++i]);
      return fit(neg_weight, ctu_files, 20);
    } else {
      std::fprintf(stderr,
                   "usage: flows_eval [--population tuned|default] [--seed N] [--hours H] [--users N] "
                   "[--window S] [--login-burst-min N] [--provider-prefix-v4 N] [--ctu13 FILE...] "
                   "[--write-binetflow FILE] "
                   "[--write-blind DIR] [--seeds DIR]\n");
      return 2;
    }
  }
  auto settings = [&](DetectorConfig& cfg) {
    if (login_burst_min >= 0) cfg.login_burst_min = static_cast<uint32_t>(login_burst_min);
    if (provider_prefix_v4 >= 0) cfg.provider_prefix_v4 = static_cast<unsigned>(provider_prefix_v4);
  };
  if (!ctu.empty()) {
    DetectorConfig cfg;
    cfg.subscribers.push_back({*Prefix::parse("147.32.0.0/16"), SubscriberKind::kDynamic});
    settings(cfg);
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
      auto rep = evaluate(flows, ctu_truth(r->records), cfg, window_s);
      std::printf("== CTU-13 %s (%zu flows, %lld s windows, subscribers 147.32.0.0/16)\n%s\n", path.c_str(),
                  flows.size(), static_cast<long long>(window_s), rep.table().c_str());
    }
    return 0;
  }
  for (uint64_t seed : seeds) {
    if (tuned) {
      const SimConfig t = *population(pop, seed);
      const int64_t hours = c.duration_s != SimConfig{}.duration_s ? c.duration_s : t.duration_s;
      const size_t users = c.users != SimConfig{}.users ? c.users : t.users;
      c = t;
      c.duration_s = hours;
      c.users = users;
    }
    c.seed = seed;
    auto sim = simulate(c);
    if (!write_path.empty()) {
      write_binetflow(sim, write_path);
      std::printf("wrote %zu flows to %s\n", sim.flows.size(), write_path.c_str());
      return 0;
    }
    if (!blind_dir.empty()) {
      write_blind(sim, c, blind_dir);
      std::printf("wrote %zu flows, %zu hosts to %s\n", sim.flows.size(), sim.hosts.size(),
                  blind_dir.c_str());
      return 0;
    }
    if (!trace_role.empty()) {
      const Truth truth = sim.truth();
      Detector det(sim.detector_config);
      std::unordered_map<std::string, int64_t> last;
      det.set_feature_sink([&](const IpAddress& ip, int64_t t, const std::array<double, kFeatures>& x) {
        const std::string k = ip.to_string();
        auto r = truth.roles.find(k);
        if (r == truth.roles.end() || host_role_name(r->second) != trace_role) return;
        double z = 0;
        for (size_t i = 0; i < kFeatures; ++i) z += sim.detector_config.weights[i] * x[i];
        if (t - last[k] < 1200000 && z < 0) return;
        last[k] = t;
        auto f = truth.infected_from_ms.find(k);
        std::printf("%s %+.1fh z=%.2f%s", k.c_str(),
                    f == truth.infected_from_ms.end() ? 0.0 : static_cast<double>(t - f->second) / 3600000, z,
                    truth.infected_at(ip, t) ? " inf" : "");
        for (size_t i = 1; i < kFeatures; ++i)
          if (x[i] != 0) std::printf(" %s=%.2f", kFeatureNames[i], x[i]);
        std::printf("\n");
      });
      for (const Flow& f : sim.flows) det.observe(f);
      continue;
    }
    if (hold_s >= 0) sim.detector_config.hold_s = std::max(hold_s, sim.detector_config.release_after_s);
    if (hold_slow_s >= 0) sim.detector_config.hold_slow_s = hold_slow_s;
    settings(sim.detector_config);
    auto rep = evaluate(sim.flows, sim.truth(), sim.detector_config, window_s);
    std::printf(
        "== simulation %s seed=%llu hours=%lld users=%zu businesses=%zu (known %zu) nats=%zu+%zu infected "
        "bots=%zu burst/%zu slow/%zu relay/%zu lowslow/%zu relay-abuse flows=%zu, %lld s windows\n%s\n",
        pop.c_str(), static_cast<unsigned long long>(seed), static_cast<long long>(c.duration_s / 3600),
        c.users, c.businesses, c.known_businesses, c.nats, c.nats_infected, c.bots_burst, c.bots_slow,
        c.bots_relay, c.bots_lowslow, c.bots_relay_abuse, sim.flows.size(), static_cast<long long>(window_s),
        rep.table().c_str());
    if (verbose)
      for (const auto& l : rep.legit_incidents) std::printf("  flagged: %s\n", l.c_str());
  }
  return 0;
}

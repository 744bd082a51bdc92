// File: apps/rampart/flows_cmd.cc
// rampart flows — run the bot detector over a file of flow records.
//
// SYNOPSIS
//   rampart flows detect --input FILE --format binetflow|nfdump-csv
//                        --subscribers CIDR[,CIDR...] [--mail-servers CIDR[,...]]
//                        [--relays CIDR[,...]] [--config FILE] [--json]
//
// DESCRIPTION
//   Reads the whole file, sorts it by start time, feeds the detector
//   (src/flows/detector.h) and prints one line per incident, in order of
//   first_seen. With --json each line is
//     {"host":IP,"first_seen":S,"last_seen":S,"score":X,"evidence":{...},"action":"throttle|block|notify"}
//   Times are those of the flow records, read as UTC. --subscribers are taken
//   as dynamic space; a config file ([flows.detector], see detector.h) may add
//   static and business prefixes, known mail servers, relays and exceptions.
//
// DIAGNOSTICS
//   Bad arguments or an unreadable/unparsable file: one line on stderr, exit 2.
//   Malformed lines are dropped and counted; the count goes to stderr.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "core/config.h"
#include "flows/detector.h"
#include "flows/flow_csv.h"

namespace {

using namespace rampart;
using namespace rampart::flows;

int run_detect(cli::Args& a) {
  if (!a.parse({"input", "format", "subscribers", "mail-servers", "relays", "config"}, {"json"}))
    return cli::kUsage;
  if (!a.positional().empty() && a.positional()[0] != "detect")
    return a.usage_error("unknown subcommand '" + a.positional()[0] + "' (try: flows detect)");
  if (a.positional().empty()) return a.usage_error("missing subcommand (flows detect ...)");
  auto input = a.get("input");
  if (!input) return a.usage_error("--input FILE is required");
  auto fmt = parse_csv_format(a.get_or("format", ""));
  if (!fmt) return a.usage_error("--format must be binetflow or nfdump-csv");

  DetectorConfig cfg;
  if (auto path = a.get("config")) {
    auto c = Config::load_file(*path);
    if (!c) return a.usage_error(c.error().message);
    auto d = DetectorConfig::from_config(*c);
    if (!d) return a.usage_error(d.error().message);
    cfg = std::move(*d);
  }
  if (auto s = a.get("subscribers")) {
    auto ps = parse_prefix_list(*s);
    if (!ps) return a.usage_error("--subscribers: " + ps.error().message);
    for (const auto& p : *ps) cfg.subscribers.push_back({p, SubscriberKind::kDynamic});
  }
  if (cfg.subscribers.empty()) return a.usage_error("--subscribers CIDR[,CIDR...] is required");
  for (auto [opt, dest] : {std::pair{"mail-servers", &cfg.mail_servers}, std::pair{"relays", &cfg.relays}}) {
    if (auto s = a.get(opt)) {
      auto ps = parse_prefix_list(*s);
      if (!ps) return a.usage_error(std::string("--") + opt + ": " + ps.error().message);
      dest->insert(dest->end(), ps->begin(), ps->end());
    }
  }

  std::ifstream in(*input, std::ios::binary);
  if (!in) return a.usage_error("cannot read " + *input);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return a.usage_error("cannot read " + *input);
  auto recs = read_flow_text(ss.str(), *fmt);
  if (!recs) return a.usage_error(*input + ": " + recs.error().message);
  std::vector<Flow> flows;
  flows.reserve(recs->records.size());
  for (auto& r : recs->records) flows.push_back(r.flow);
  std::stable_sort(flows.begin(), flows.end(),
                   [](const Flow& x, const Flow& y) { return x.start_ms < y.start_ms; });

  Detector det(cfg);
  for (const auto& f : flows) det.observe(f);
  det.finish();
  const bool json = a.flag("json");
  for (const auto& inc : det.take_closed()) {
    if (json)
      std::printf("%s\n", incident_json(inc).c_str());
    else
      std::printf("%s %s score=%.3f first_seen=%lld last_seen=%lld\n", inc.host.to_string().c_str(),
                  std::string(action_name(inc.action)).c_str(), inc.score,
                  static_cast<long long>(inc.first_seen_ms / 1000),
                  static_cast<long long>(inc.last_seen_ms / 1000));
  }
  if (recs->stats.total() > 0)
    std::fprintf(stderr, "rampart flows: %llu records, dropped: %s\n",
                 static_cast<unsigned long long>(recs->stats.records), recs->stats.to_string().c_str());
  return 0;
}

cli::Registrar reg("flows", "flow records: 'flows detect' finds spam-sending hosts", run_detect);

}  // namespace

// bench/reputation_samples.cc — labelled sender-model snapshots and class
// changes from an events file and its truth (the blind format).
//
//   reputation_samples --events DIR/events.jsonl --truth DIR/truth.csv
//                      [--samples-out FILE] [--transitions] [--config rampart.toml]
//
// Replays the events as `rampart reputation replay` does (fresh in-memory
// store, the clock at each event's time) and, for the identities truth.csv
// labels (identity,class,bad_from):
//   --samples-out  every 2 hours of event time, the sender features
//                  (sender_features(), classify.h) of each labelled identity
//                  with at least model_min_volume recipients in the day,
//                  labelled bad (1) from its bad_from on; one identity weighs
//                  the same as any other (weight 1 / its snapshots). The
//                  lines are `reputation_sim --fit --samples-in`'s format:
//                  label,weight,feature... (classify.h Feature order); FILE.ids
//                  names each line's identity, true class and time.
//   --few-samples-out  after each event, the few-message features
//                  (few_features(), classify.h) of each labelled identity it
//                  touched while that identity has fewer than few_max_volume
//                  recipients (month), labelled as --samples-out labels, one
//                  identity weighing 1; the lines are label,weight,feature...
//                  (FewFeature order), bench/reputation_fit_few.py's input;
//                  FILE.ids as above.
//   --transitions  each class change as it happens: time, identity, true
//                  class, old -> new class and the reasons (what moved it).
// A tool for fitting the model and reading its errors (README "The sender
// model"); it prints no figures of merit (bench/blind/score_senders.py does).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/strings.h"
#include "reputation/engine.h"
#include "reputation/event_json.h"
#include "reputation/store.h"

using namespace rampart;
using namespace rampart::reputation;

namespace {

struct Truth {
  bool bad = false;
  int64_t bad_from = 0;
  std::string cls;
  std::vector<size_t> snaps;  // indices into the samples
};

struct Sample {
  bool bad;
  double weight;
  FeatureVector x;
  size_t id;  // index into seen
  int64_t t;
};

}  // namespace

int main(int argc, char** argv) {
  std::string events, truth_path, samples_out, few_out, config;
  bool transitions = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--events")
      events = next();
    else if (a == "--truth")
      truth_path = next();
    else if (a == "--samples-out")
      samples_out = next();
    else if (a == "--few-samples-out")
      few_out = next();
    else if (a == "--config")
      config = next();
    else if (a == "--transitions")
      transitions = true;
    else {
      std::fprintf(stderr,
                   "usage: reputation_samples --events FILE --truth FILE [--samples-out FILE] "
                   "[--few-samples-out FILE] "
                   "[--transitions] "
                   "[--config FILE]\n");
      return 2;
    }
  }
  if (events.empty() || truth_path.empty()) {
    std::fprintf(stderr, "reputation_samples: --events and --truth are required\n");
    return 2;
  }
  Thresholds th;
  if (!config.empty()) {
    auto cfg = Config::load_file(config);
    if (!cfg) {
      std::fprintf(stderr, "reputation_samples: %s\n", cfg.error().message.c_str());
      return 2;
    }
    auto t = Thresholds::from_config(*cfg);
    if (!t) {
      std::fprintf(stderr, "reputation_samples: %s\n", t.error().message.c_str());
      return 2;
    }
    th = *t;
  }
  std::unordered_map<std::string, Truth> truth;
  {
    std::ifstream f(truth_path);
    if (!f) {
      std::fprintf(stderr, "reputation_samples: cannot read %s\n", truth_path.c_str());
      return 2;
    }
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
      const auto v = split(line, ',');
      if (v.size() < 3) continue;
      Truth t;
      t.cls = std::string(trim(v[1]));
      t.bad = t.cls == "spammer" || t.cls == "compromised";
      t.bad_from =
          t.bad && !trim(v[2]).empty() ? std::strtoll(std::string(trim(v[2])).c_str(), nullptr, 10) : 0;
      truth.emplace(std::string(trim(v[0])), std::move(t));
    }
  }
  std::ifstream in(events, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "reputation_samples: cannot read %s\n", events.c_str());
    return 2;
  }
  FakeClock clock(0);
  MemoryStore store;
  Engine engine(store, clock, th, dmarc::PublicSuffixList::system());
  const auto& psl = dmarc::PublicSuffixList::system();
  std::vector<Sample> samples;
  struct FewSample {
    bool bad;
    FewFeatureVector x;
    std::string id;
    int64_t t;
  };
  std::vector<FewSample> few;
  std::unordered_map<std::string, size_t> few_count;  // snapshots per identity
  std::vector<std::string> seen;                      // labelled identities seen so far
  std::unordered_map<std::string, bool> is_seen;
  constexpr int64_t kEvery = 2 * 3600;
  int64_t next_snap = 0;
  auto snapshot = [&](int64_t t) {
    auto got = store.get_many(seen);
    if (!got) return;
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!(*got)[i]) continue;
      const Counters& c = *(*got)[i];
      if (c.value(Metric::kVolume, Window::kDay, t) < th.model_min_volume) continue;
      Truth& tr = truth[seen[i]];
      const IdentityKind kind = seen[i].rfind("ip:", 0) == 0 ? IdentityKind::kIp : IdentityKind::kDomain;
      tr.snaps.push_back(samples.size());
      samples.push_back(Sample{tr.bad && t >= tr.bad_from, 1.0, sender_features(c, kind, t), i, t});
    }
  };
  // Each class change with the reasons of the assessment that made it (a
  // report afterwards would judge the identity against its new class).
  if (transitions)
    engine.set_class_listener([&](std::span<const ClassChange> changes) {
      for (const ClassChange& ch : changes) {
        auto it = truth.find(ch.identity);
        if (it == truth.end()) continue;
        std::string why;
        for (const Reason& re : ch.reasons) why += " [" + re.code + " " + re.text + "]";
        std::printf("%lld %s true=%s %s->%s%s\n", static_cast<long long>(ch.at), ch.identity.c_str(),
                    it->second.cls.c_str(), std::string(class_name(ch.from)).c_str(),
                    std::string(class_name(ch.to)).c_str(), why.c_str());
      }
    });
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    auto e = parse_event_json(line);
    if (!e) continue;
    if (e->time > clock.unix_seconds()) clock.advance(std::chrono::seconds(e->time - clock.unix_seconds()));
    if (!samples_out.empty()) {
      if (next_snap == 0) next_snap = (e->time / kEvery + 1) * kEvery;
      while (e->time >= next_snap) {
        snapshot(next_snap);
        next_snap += kEvery;
      }
    }
    if (auto st = engine.record(*e); !st) {
      std::fprintf(stderr, "reputation_samples: %s\n", st.error().message.c_str());
      return 1;
    }
    for (const Identity& id : identities_of(*e, psl)) {
      auto it = truth.find(id.key);
      if (it == truth.end()) continue;
      if (!few_out.empty()) {
        auto got = store.get(id.key);
        if (got && *got) {
          const Counters& c = **got;
          const double vm = c.value(Metric::kVolume, Window::kMonth, e->time);
          if (vm > 0 && vm < th.few_max_volume) {
            const Truth& tr = it->second;
            few.push_back(FewSample{tr.bad && e->time >= tr.bad_from, few_features(c, id.kind, e->time),
                                    id.key, e->time});
            ++few_count[id.key];
          }
        }
      }
      if (!is_seen[id.key]) {
        is_seen[id.key] = true;
        seen.push_back(id.key);
      }
    }
  }
  if (!few_out.empty()) {
    std::ofstream f(few_out), ids(few_out + ".ids");
    for (const FewSample& s : few) {
      f << (s.bad ? 1 : 0) << "," << 1.0 / static_cast<double>(few_count[s.id]);
      for (double v : s.x) f << "," << v;
      f << "\n";
      ids << s.id << "," << truth[s.id].cls << "," << s.t << "\n";
    }
    std::fprintf(stderr, "reputation_samples: %zu few-message snapshots of %zu identities\n", few.size(),
                 few_count.size());
  }
  if (!samples_out.empty()) {
    for (auto& [id, t] : truth)
      for (size_t i : t.snaps) samples[i].weight = 1.0 / static_cast<double>(t.snaps.size());
    std::ofstream f(samples_out), ids(samples_out + ".ids");
    for (const Sample& s : samples) {
      f << (s.bad ? 1 : 0) << "," << s.weight;
      for (double v : s.x) f << "," << v;
      f << "\n";
      ids << seen[s.id] << "," << truth[seen[s.id]].cls << "," << s.t << "\n";
    }
    std::fprintf(stderr, "reputation_samples: %zu snapshots of %zu identities\n", samples.size(),
                 seen.size());
  }
  return 0;
}

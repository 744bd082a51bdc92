// rampart reputation — replay events through the reputation engine; read ARF reports.
//
// SYNOPSIS
//   rampart reputation replay --events FILE [--config FILE] [--json] [--all]
//   rampart reputation arf [--trusted-authserv-id ID[,ID...]] [--time T] < report.eml
//
// DESCRIPTION
//   replay reads events as JSON lines (src/reputation/event_json.h) and
//   replays them in order on a fresh in-memory store, with the clock at each
//   event's time, then prints one line per sender identity (domain:* and
//   ip:*; --all: every identity kind), sorted: with --json
//     {"identity": ..., "class": ..., "score": ..., "reasons": [...], "classified_at": ...}
//   else "identity class score classified_at reasons". Thresholds come from
//   the [reputation] table of --config (defaults otherwise). Classes are
//   judged at the time of the last event.
//
//   arf parses one feedback report (RFC 5965 / 6591, JMRP style) from stdin
//   and prints the complaint event it stands for as a JSON line, then the
//   report's warnings on stderr. Domains of the original count only when a
//   trusted authserv-id's Authentication-Results verified them.
//
// DIAGNOSTICS
//   replay: a bad line is reported on stderr with its line number and
//   skipped; exit 0. An unreadable file or config: exit 2.
//   arf: a rejected report prints "rampart reputation: rejected: <reason>"
//   on stderr, exit 1; a report that is not a complaint (auth-failure) too.
#if defined(HAVE_RAMPART_REPUTATION)

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/strings.h"
#include "reputation/arf.h"
#include "reputation/engine.h"
#include "reputation/event_json.h"

namespace rampart::cli {
namespace {

using namespace rampart::reputation;

int run_replay(Args& a) {
  auto events = a.get("events");
  if (!events) return a.usage_error("replay: --events FILE is required");
  Thresholds th;
  if (auto cfg_path = a.get("config")) {
    auto cfg = Config::load_file(*cfg_path);
    if (!cfg) return a.usage_error("replay: " + cfg.error().message);
    auto t = Thresholds::from_config(*cfg);
    if (!t) return a.usage_error("replay: " + t.error().message);
    th = *t;
  }
  std::ifstream in(*events, std::ios::binary);
  if (!in) return a.usage_error("replay: cannot read " + *events);
  FakeClock clock(0);
  MemoryStore store;
  Engine engine(store, clock, th, dmarc::PublicSuffixList::system());
  std::string line;
  size_t n = 0, bad = 0;
  int64_t last = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    auto e = parse_event_json(line);
    if (!e) {
      ++bad;
      std::fprintf(stderr, "rampart reputation: %s: line %zu: %s\n", events->c_str(), n,
                   e.error().message.c_str());
      continue;
    }
    if (e->time == 0) e->time = last;  // no time: with the previous event
    if (e->time > clock.unix_seconds()) clock.advance(std::chrono::seconds(e->time - clock.unix_seconds()));
    last = std::max(last, e->time);
    if (auto st = engine.record(*e); !st) {
      std::fprintf(stderr, "rampart reputation: line %zu: %s\n", n, st.error().message.c_str());
      return 1;
    }
  }
  std::vector<std::string> ids;
  (void)store.for_each_key([&](std::string_view k) {
    if (a.flag("all") || k.substr(0, 7) == "domain:" || k.substr(0, 3) == "ip:") ids.emplace_back(k);
    return true;
  });
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    auto r = engine.report(id, last);
    if (!r) {
      std::fprintf(stderr, "rampart reputation: %s: %s\n", id.c_str(), r.error().message.c_str());
      return 1;
    }
    if (a.flag("json")) {
      std::printf("%s\n", r->to_json().c_str());
    } else {
      std::printf("%s %s %.2f %lld", id.c_str(), class_name(r->cls).data(), r->score,
                  static_cast<long long>(r->classified_at));
      for (const Reason& re : r->reasons) std::printf(" [%s %s]", re.code.c_str(), re.text.c_str());
      std::printf("\n");
    }
  }
  if (bad) std::fprintf(stderr, "rampart reputation: %zu bad line(s) skipped\n", bad);
  return 0;
}

int run_arf(Args& a) {
  std::string raw;
  char buf[65536];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, stdin)) > 0;) raw.append(buf, got);
  std::vector<std::string> trusted;
  if (auto t = a.get("trusted-authserv-id"))
    for (std::string_view s : split(*t, ','))
      if (!trim(s).empty()) trusted.emplace_back(trim(s));
  int64_t now = SystemClock().unix_seconds();
  if (auto t = a.get("time")) {
    char* end = nullptr;
    now = std::strtoll(t->c_str(), &end, 10);
    if (t->empty() || *end != '\0' || now < 0) return a.usage_error("arf: --time must be unix seconds");
  }
  auto r = parse_arf(raw);
  if (!r) {
    std::fprintf(stderr, "rampart reputation: rejected: %s\n", r.error().message.c_str());
    return 1;
  }
  for (const std::string& w : r->warnings)
    std::fprintf(stderr, "rampart reputation: warning: %s\n", w.c_str());
  auto e = to_event(*r, auth_from_headers(*r, trusted), now);
  if (!e) {
    std::fprintf(stderr, "rampart reputation: rejected: %s\n", e.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", event_to_json(*e).c_str());
  return 0;
}

int run_reputation(Args& a) {
  if (!a.parse({"events", "config", "trusted-authserv-id", "time"}, {"json", "all"})) return kUsage;
  if (a.positional().empty()) return a.usage_error("expected 'replay' or 'arf'");
  const std::string& sub = a.positional()[0];
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  if (sub == "replay") return run_replay(a);
  if (sub == "arf") return run_arf(a);
  return a.usage_error("unknown subcommand '" + sub + "' (expected 'replay' or 'arf')");
}

Registrar reg("reputation", "replay reputation events, read ARF feedback reports", run_reputation);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_REPUTATION

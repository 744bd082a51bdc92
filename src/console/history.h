// File: src/console/history.h
// The console's time series: rampartd samples its own metrics (the
// Prometheus text of GET /metrics, core/metrics.h's writer) and keeps a
// small history in memory, no external database.
//
//   History h;
//   auto samples = parse_prometheus_text(metrics_text);        // Result<Samples>
//   h.add(unix_seconds, *samples);                              // every few seconds ([console] sample_s)
//   std::string json = h.json(Range::kHour);                    // {"t": [...], "series": {...}}
//
// Series kept (per second rates from counter deltas, or gauge values):
//   verdicts.<action>   rampart_milter_verdicts_total{action} (milter) plus
//                       rampart_scan_verdicts_total{action} when present
//   throttled           rampart_throttled_total
//   http.requests       rampart_http_requests_total
//   check.<name>        rampart_check_hits_total{check}
//   reputation.events   rampart_reputation_events_total
// Three rings: the last hour at 10 s steps (360 points), the last day at
// 5 min (288), the last 30 days at 2 h (360). A point is the mean of the
// rates sampled within its step; the step in progress is shown as it is. Memory: a fixed number of points per
// series, and at most kMaxSeries series (checks beyond that are summed as "check.other").
//
// Threads: add() and json() under one mutex (add every 10 s, json per page view).
// DIAGNOSTICS: parse_prometheus_text fails (kParse) on a malformed sample
// line naming its line number; comment and blank lines are skipped; a value
// that is not a number (NaN, +Inf) is skipped.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::console {

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  const std::string* label(std::string_view n) const;
};
using Samples = std::vector<Sample>;

Result<Samples> parse_prometheus_text(std::string_view text);

enum class Range { kHour, kDay, kMonth };
bool parse_range(std::string_view s, Range& out);

class History {
 public:
  static constexpr int64_t kStep = 10;  // seconds per point of the hour's ring
  static constexpr size_t kMaxSeries = 64;
  History();
  // One sample of every counter; rates are computed against the previous
  // call (the first call only sets the baseline).
  void add(int64_t unix_seconds, const Samples& samples);
  std::string json(Range r) const;
  // The counters' totals at the last add() (for "now" numbers).
  std::map<std::string, double> totals() const;
  // The rings' points as text (rampartd writes it to <data-dir>/console/history
  // at stop and reads it at start; the counters' baseline is not kept: a
  // restarted rampartd counts from zero):
  //   rampart-history 1
  //   ring STEP
  //   t T1 T2 ...
  //   s NAME V1 V2 ...        (as many values as times)
  std::string serialize() const;
  // Replaces the rings with what `text` holds; kParse naming the line for
  // anything else (a step that is not this build's, lengths that differ,
  // more points or series than the rings hold).
  Status restore(std::string_view text);

 private:
  struct Ring {
    int64_t step = 0;
    size_t cap = 0;
    std::vector<int64_t> t;                        // oldest first
    std::map<std::string, std::vector<double>> v;  // same length as t
    // Accumulating the current coarse point.
    int64_t acc_start = -1;
    size_t acc_n = 0;
    std::map<std::string, double> acc;
  };
  void push(Ring& r, int64_t t, const std::map<std::string, double>& point);
  struct Points {
    std::vector<int64_t> t;
    std::map<std::string, std::vector<double>> v;
  };
  // The closed points and the one in progress.
  static Points points(const Ring& r);
  static std::map<std::string, double> series_of(const Samples& s);
  mutable std::mutex mu_;
  std::map<std::string, double> last_totals_;
  int64_t last_t_ = -1;
  Ring rings_[3];
};

}  // namespace rampart::console

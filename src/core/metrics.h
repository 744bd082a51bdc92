// File: src/core/metrics.h
// One metrics registry for the whole daemon, and the one Prometheus text
// writer (exposition format 0.0.4). Every subsystem registers its metrics
// here instead of writing "# TYPE" lines of its own.
//
//   Metrics m;                                                 // usually one per process
//   Counter& conns = m.counter("rampart_milter_connections_total", "Milter connections accepted.");
//   conns.inc();                                               // lock-free, any thread
//   auto& verdicts = m.counter_family("rampart_verdicts_total", "Verdicts.", {"action"});
//   verdicts.with({"reject"}).inc();                           // a child per label values (kept)
//   Gauge& open = m.gauge("rampart_connections", "Open connections.");
//   open.add(1); open.add(-1);
//   Histogram& lat = m.histogram("rampart_scan_seconds", "Scan latency.", {0.001, 0.01, 0.1, 1});
//   lat.observe(0.004);
//   m.collect("rampart_check", [&](MetricsWriter& w) {        // values owned elsewhere, read at scrape
//     w.family("rampart_check_runs_total", "Check runs.", MetricType::kCounter);
//     w.sample({{"check", "spf"}}, runs);
//   });
//   std::string text = m.render();                             // GET /metrics
//
// Threads: counters, gauges and histograms are atomics (relaxed), safe from
// every event loop at once; registering and rendering take a mutex (do it at
// start-up; rendering is a scrape, not a hot path). References returned by
// counter()/with() stay valid as long as the registry lives.
//
// Rules (Prometheus data model): metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label
// names [a-zA-Z_][a-zA-Z0-9_]* not starting "__"; label values escaped (\\,
// \", \n); HELP escaped (\\, \n); each family's HELP and TYPE written once,
// families in name order, children in label order; histograms with
// cumulative _bucket{le=...} including +Inf, _sum and _count.
//
// DIAGNOSTICS: registering a bad name, a bad label name, the same name with
// another type, help or label set, or label values of the wrong count is a
// programming error: it throws std::invalid_argument at start-up (the only
// place registration happens), never on the data path. Registering the same
// name again with the same shape returns the existing metric.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };
std::string_view metric_type_name(MetricType t);  // "counter", "gauge", "histogram"

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A counter only one thread writes (an event loop's own statistics) and any
// thread reads (a scrape): a relaxed load and store, no locked instruction.
class OwnedCounter {
 public:
  OwnedCounter& operator++() {
    v_.store(v_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return *this;
  }
  void operator++(int) { ++*this; }
  operator uint64_t() const { return v_.load(std::memory_order_relaxed); }  // NOLINT: reads like a number

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Written by every event loop at each request: the counts are kept in
// per-thread shards (a thread picks one at its first observe; each shard its
// own cache lines) and summed when read, so two loops observing at once do
// not pass one cache line back and forth.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  // `n` observations of the same value at once (a batch of DNS answers sent
  // together): one bucket add, as cheap as observe(v).
  void observe(double v, uint64_t n);
  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size(): above the last).
  uint64_t bucket(size_t i) const { return total(2 + i); }
  uint64_t count() const { return total(0); }
  double sum() const;

 private:
  static constexpr size_t kShards = 8;
  struct FreeAligned {
    void operator()(std::atomic<uint64_t>* p) const;
  };
  // Shard k's slots at [k * stride_, (k + 1) * stride_): count, sum in
  // millionths (so it can be atomic), then one per bucket; stride_ rounded
  // up to whole cache lines.
  uint64_t total(size_t slot) const;
  std::vector<double> bounds_;
  size_t stride_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[], FreeAligned> slots_;
};

// The buckets of rampart's latency histograms (`_seconds`): 0.5 ms to 30 s.
std::vector<double> latency_buckets();

using Labels = std::vector<std::pair<std::string, std::string>>;

// A family of metrics of one name told apart by label values.
template <typename M>
class Family {
 public:
  // The child for these label values (in the order of the family's label
  // names), created on first use.
  M& with(const std::vector<std::string>& values);

 private:
  friend class Metrics;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms
  std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

// What a collect() callback writes: families and their samples.
class MetricsWriter {
 public:
  void family(std::string_view name, std::string_view help, MetricType type);
  void sample(const Labels& labels, double value);
  void sample(const Labels& labels, uint64_t value);
  void sample(const Labels& labels, int64_t value);
  const std::string& text() const { return out_; }

 private:
  friend class Metrics;
  void sample_raw(std::string_view suffix, const Labels& labels, std::string_view value);
  std::string out_;
  std::string current_;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  Counter& counter(const std::string& name, const std::string& help);
  Gauge& gauge(const std::string& name, const std::string& help);
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds);
  Family<Counter>& counter_family(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names);
  Family<Gauge>& gauge_family(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names);
  Family<Histogram>& histogram_family(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names, std::vector<double> bounds);

  // A callback run at every render(), for values another object owns (open
  // connections, per-check counters, cache sizes). `key` names it; a second
  // collect() with the same key replaces the first (a reloaded pipeline).
  void collect(const std::string& key, std::function<void(MetricsWriter&)> fn);
  void remove_collector(const std::string& key);

  std::string render() const;

 private:
  struct Entry {
    MetricType type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  Entry& entry(const std::string& name, const std::string& help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::function<void(MetricsWriter&)>> collectors_;
};

// Prometheus label-value escaping (\\, \", \n), without quotes.
std::string prometheus_escape_label(std::string_view v);

}  // namespace rampart

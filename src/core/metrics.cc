#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace rampart {
namespace {

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_help(std::string_view h) {
  std::string o;
  for (char c : h) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '\n')
      o += "\\n";
    else
      o.push_back(c);
  }
  return o;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void write_labels(std::string& o, const Labels& labels) {
  if (labels.empty()) return;
  o.push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) o.push_back(',');
    o += labels[i].first;
    o += "=\"";
    o += prometheus_escape_label(labels[i].second);
    o.push_back('"');
  }
  o.push_back('}');
}

Labels zip_labels(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels l;
  for (size_t i = 0; i < names.size(); ++i) l.emplace_back(names[i], values[i]);
  return l;
}

}  // namespace

std::string_view metric_type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string prometheus_escape_label(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o.push_back(c);
  }
  return o;
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  if (!bounds_.empty() && std::isinf(bounds_.back())) bounds_.pop_back();
  constexpr size_t kLine = 64 / sizeof(std::atomic<uint64_t>);
  stride_ = (2 + bounds_.size() + 1 + kLine - 1) / kLine * kLine;
  const size_t n = stride_ * kShards;
  void* mem = ::operator new (n * sizeof(std::atomic<uint64_t>), std::align_val_t{64});
  auto* a = static_cast<std::atomic<uint64_t>*>(mem);
  for (size_t i = 0; i < n; ++i) new (a + i) std::atomic<uint64_t>(0);
  slots_.reset(a);
}

void Histogram::FreeAligned::operator()(std::atomic<uint64_t>* p) const {
  ::operator delete (static_cast<void*>(p), std::align_val_t{64});  // atomics of integers: nothing to destroy
}

uint64_t Histogram::total(size_t slot) const {
  uint64_t v = 0;
  for (size_t k = 0; k < kShards; ++k) v += slots_[k * stride_ + slot].load(std::memory_order_relaxed);
  return v;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

void Histogram::observe(double v) { observe(v, 1); }

void Histogram::observe(double v, uint64_t n) {
  if (n == 0) return;
  // This thread's shard, chosen once (threads in start order: the loops
  // land in shards of their own).
  static std::atomic<size_t> next_shard{0};
  thread_local const size_t shard = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  std::atomic<uint64_t>* s = &slots_[shard * stride_];
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  s[2 + i].fetch_add(n, std::memory_order_relaxed);
  s[0].fetch_add(n, std::memory_order_relaxed);
  if (v > 0 && std::isfinite(v))
    s[1].fetch_add(static_cast<uint64_t>(std::llround(v * 1e6 * static_cast<double>(n))),
                   std::memory_order_relaxed);
}

double Histogram::sum() const { return static_cast<double>(total(1)) / 1e6; }

template <typename M>
M& Family<M>::with(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric family: " + std::to_string(label_names_.size()) +
                                " label values expected, " + std::to_string(values.size()) + " given");
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<M, Histogram>)
      slot = std::make_unique<Histogram>(bounds_);
    else
      slot = std::make_unique<M>();
  }
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void MetricsWriter::family(std::string_view name, std::string_view help, MetricType type) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name: " + std::string(name));
  current_ = name;
  out_ += "# HELP " + current_ + " " + escape_help(help) + "\n# TYPE " + current_ + " " +
          std::string(metric_type_name(type)) + "\n";
}

void MetricsWriter::sample_raw(std::string_view suffix, const Labels& labels, std::string_view value) {
  for (const auto& l : labels)
    if (!valid_label_name(l.first)) throw std::invalid_argument("bad label name: " + l.first);
  out_ += current_;
  out_ += suffix;
  write_labels(out_, labels);
  out_.push_back(' ');
  out_ += value;
  out_.push_back('\n');
}

void MetricsWriter::sample(const Labels& labels, double value) {
  sample_raw("", labels, format_double(value));
}
void MetricsWriter::sample(const Labels& labels, uint64_t value) {
  sample_raw("", labels, std::to_string(value));
}
void MetricsWriter::sample(const Labels& labels, int64_t value) {
  sample_raw("", labels, std::to_string(value));
}

Metrics::Entry& Metrics::entry(const std::string& name, const std::string& help, MetricType type,
                               std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name: " + name);
  for (const auto& l : label_names)
    if (!valid_label_name(l) || l == "le")
      throw std::invalid_argument("bad label name for " + name + ": " + l);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.type != type || e.help != help || e.label_names != label_names || e.bounds != bounds)
      throw std::invalid_argument("metric " + name + " registered twice with different shapes");
    return e;
  }
  Entry& e = entries_[name];
  e.type = type;
  e.help = help;
  e.label_names = label_names;
  e.bounds = bounds;
  switch (type) {
    case MetricType::kCounter:
      e.counters = std::make_unique<Family<Counter>>();
      e.counters->label_names_ = std::move(label_names);
      break;
    case MetricType::kGauge:
      e.gauges = std::make_unique<Family<Gauge>>();
      e.gauges->label_names_ = std::move(label_names);
      break;
    case MetricType::kHistogram:
      e.histograms = std::make_unique<Family<Histogram>>();
      e.histograms->label_names_ = std::move(label_names);
      e.histograms->bounds_ = std::move(bounds);
      break;
  }
  return e;
}

Counter& Metrics::counter(const std::string& name, const std::string& help) {
  return entry(name, help, MetricType::kCounter, {}, {}).counters->with({});
}
Gauge& Metrics::gauge(const std::string& name, const std::string& help) {
  return entry(name, help, MetricType::kGauge, {}, {}).gauges->with({});
}
Histogram& Metrics::histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  return entry(name, help, MetricType::kHistogram, {}, std::move(bounds)).histograms->with({});
}
Family<Counter>& Metrics::counter_family(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  return *entry(name, help, MetricType::kCounter, std::move(label_names), {}).counters;
}
Family<Gauge>& Metrics::gauge_family(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return *entry(name, help, MetricType::kGauge, std::move(label_names), {}).gauges;
}
Family<Histogram>& Metrics::histogram_family(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names,
                                             std::vector<double> bounds) {
  return *entry(name, help, MetricType::kHistogram, std::move(label_names), std::move(bounds)).histograms;
}

void Metrics::collect(const std::string& key, std::function<void(MetricsWriter&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_[key] = std::move(fn);
}

void Metrics::remove_collector(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.erase(key);
}

std::string Metrics::render() const {
  MetricsWriter w;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    w.family(name, e.help, e.type);
    switch (e.type) {
      case MetricType::kCounter: {
        std::lock_guard<std::mutex> l(e.counters->mu_);
        for (const auto& [values, c] : e.counters->children_)
          w.sample(zip_labels(e.label_names, values), c->value());
        break;
      }
      case MetricType::kGauge: {
        std::lock_guard<std::mutex> l(e.gauges->mu_);
        for (const auto& [values, g] : e.gauges->children_)
          w.sample(zip_labels(e.label_names, values), g->value());
        break;
      }
      case MetricType::kHistogram: {
        std::lock_guard<std::mutex> l(e.histograms->mu_);
        for (const auto& [values, h] : e.histograms->children_) {
          Labels labels = zip_labels(e.label_names, values);
          uint64_t cumulative = 0;
          for (size_t i = 0; i <= h->bounds().size(); ++i) {
            cumulative += h->bucket(i);
            Labels with_le = labels;
            with_le.emplace_back("le", i < h->bounds().size() ? format_double(h->bounds()[i]) : "+Inf");
            w.sample_raw("_bucket", with_le, std::to_string(cumulative));
          }
          w.sample_raw("_sum", labels, format_double(h->sum()));
          w.sample_raw("_count", labels, std::to_string(cumulative));
        }
        break;
      }
    }
  }
  for (const auto& [key, fn] : collectors_) fn(w);
  return w.out_;
}

}  // namespace rampart

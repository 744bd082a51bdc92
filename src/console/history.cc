// File: src/console/history.cc
// Prometheus text parsing and the in-memory time series (see history.h).
#include "console/history.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/json.h"
#include "core/strings.h"

namespace rampart::console {

const std::string* Sample::label(std::string_view n) const {
  for (const auto& [k, v] : labels)
    if (k == n) return &v;
  return nullptr;
}

namespace {

bool name_char(char c, bool first) { return is_alpha(c) || c == '_' || c == ':' || (!first && is_digit(c)); }

}  // namespace

// The exposition format 0.0.4: name{label="value",...} value [timestamp].
Result<Samples> parse_prometheus_text(std::string_view text) {
  Samples out;
  size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string_view why) {
      return fail(Errc::kParse, "metrics line " + std::to_string(line_no) + ": " + std::string(why));
    };
    Sample s;
    size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    if (i == 0) return bad("no metric name");
    s.name = std::string(line.substr(0, i));
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (;;) {
        while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        const size_t ns = i;
        while (i < line.size() && name_char(line[i], i == ns)) ++i;
        if (i == ns || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return bad("bad label");
        std::string key(line.substr(ns, i - ns)), value;
        i += 2;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size()) break;
            const char e = line[i++];
            value.push_back(e == 'n' ? '\n' : e);
          } else {
            value.push_back(c);
          }
        }
        if (!closed) return bad("unterminated label value");
        if (s.labels.size() >= 16) return bad("too many labels");
        s.labels.emplace_back(std::move(key), std::move(value));
      }
    }
    while (i < line.size() && line[i] == ' ') ++i;
    const std::string_view rest = line.substr(i);
    const std::string_view num = rest.substr(0, rest.find(' '));
    if (num.empty()) return bad("no value");
    double v = 0;
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size()) {
      if (num == "NaN" || num == "+Inf" || num == "-Inf") continue;
      return bad("bad value");
    }
    if (!std::isfinite(v)) continue;
    s.value = v;
    out.push_back(std::move(s));
  }
  return out;
}

bool parse_range(std::string_view s, Range& out) {
  if (s == "hour")
    out = Range::kHour;
  else if (s == "day")
    out = Range::kDay;
  else if (s == "month")
    out = Range::kMonth;
  else
    return false;
  return true;
}

History::History() {
  rings_[0].step = kStep;
  rings_[0].cap = 360;
  rings_[1].step = 300;
  rings_[1].cap = 288;
  rings_[2].step = 7200;
  rings_[2].cap = 360;
}

std::map<std::string, double> History::series_of(const Samples& samples) {
  std::map<std::string, double> m;
  size_t checks = 0;
  for (const Sample& s : samples) {
    if (s.name == "rampart_milter_verdicts_total" || s.name == "rampart_scan_verdicts_total") {
      if (const std::string* a = s.label("action")) m["verdicts." + *a] += s.value;
    } else if (s.name == "rampart_throttled_total") {
      m["throttled"] += s.value;
    } else if (s.name == "rampart_http_requests_total") {
      m["http.requests"] += s.value;
    } else if (s.name == "rampart_reputation_events_total") {
      m["reputation.events"] += s.value;
    } else if (s.name == "rampart_check_hits_total") {
      if (const std::string* c = s.label("check")) {
        const std::string key = "check." + *c;
        if (m.count(key) || checks < kMaxSeries - 16) {
          if (!m.count(key)) ++checks;
          m[key] += s.value;
        } else {
          m["check.other"] += s.value;
        }
      }
    }
  }
  return m;
}

void History::push(Ring& r, int64_t t, const std::map<std::string, double>& point) {
  const int64_t slot = t - t % r.step;
  if (r.acc_start >= 0 && slot != r.acc_start && r.acc_n > 0) {
    // Close the accumulated point.
    const size_t len = r.t.size();
    r.t.push_back(r.acc_start);
    for (auto& [k, sum] : r.acc) {
      auto& vec = r.v[k];
      vec.resize(len, 0.0);
      vec.push_back(sum / static_cast<double>(r.acc_n));
    }
    for (auto& [k, vec] : r.v) vec.resize(len + 1, 0.0);
    if (r.t.size() > r.cap) {
      const size_t drop = r.t.size() - r.cap;
      r.t.erase(r.t.begin(), r.t.begin() + static_cast<std::ptrdiff_t>(drop));
      for (auto& [k, vec] : r.v) vec.erase(vec.begin(), vec.begin() + static_cast<std::ptrdiff_t>(drop));
    }
    r.acc.clear();
    r.acc_n = 0;
  }
  if (slot != r.acc_start) r.acc_start = slot;
  for (const auto& [k, v] : point) r.acc[k] += v;
  r.acc_n++;
}

void History::add(int64_t t, const Samples& samples) {
  const auto now = series_of(samples);
  const std::lock_guard lk(mu_);
  if (last_t_ >= 0 && t > last_t_) {
    std::map<std::string, double> rate;
    const double dt = static_cast<double>(t - last_t_);
    for (const auto& [k, v] : now) {
      auto it = last_totals_.find(k);
      const double before = it == last_totals_.end() ? 0 : it->second;
      rate[k] = v >= before ? (v - before) / dt : 0;  // a reset counts as no traffic
    }
    for (Ring& r : rings_) push(r, t, rate);
  }
  last_totals_ = now;
  last_t_ = t;
}

std::map<std::string, double> History::totals() const {
  const std::lock_guard lk(mu_);
  return last_totals_;
}

namespace {
void append_num(std::string& out, double v) {
  char buf[32];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::round(v * 1000) / 1000);
  out.append(buf, ec == std::errc() ? p : buf);
}
}  // namespace

std::string History::json(Range range) const {
  const std::lock_guard lk(mu_);
  const Ring& r = rings_[static_cast<int>(range)];
  // The closed points, then the one being accumulated (partial).
  std::vector<int64_t> t = r.t;
  std::map<std::string, std::vector<double>> v = r.v;
  if (r.acc_n > 0) {
    t.push_back(r.acc_start);
    for (auto& [k, vec] : v) vec.resize(t.size() - 1, 0.0);
    for (const auto& [k, sum] : r.acc) {
      auto& vec = v[k];
      vec.resize(t.size() - 1, 0.0);
      vec.push_back(sum / static_cast<double>(r.acc_n));
    }
    for (auto& [k, vec] : v) vec.resize(t.size(), 0.0);
  }
  std::string out = "{\"step\": " + std::to_string(r.step) + ", \"t\": [";
  for (size_t i = 0; i < t.size(); ++i) out += (i ? ", " : "") + std::to_string(t[i]);
  out += "], \"series\": {";
  bool first = true;
  for (const auto& [k, vec] : v) {
    if (!first) out += ", ";
    first = false;
    append_json_string(out, k);
    out += ": [";
    for (size_t i = 0; i < vec.size(); ++i) {
      if (i) out += ", ";
      append_num(out, vec[i]);
    }
    out += "]";
  }
  out += "}}";
  return out;
}

}  // namespace rampart::console

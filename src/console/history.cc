// File: src/console/history.cc
// Prometheus text parsing and the in-memory time series (see history.h).
#include "console/history.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
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

namespace {
// A label value as a series name: letters, digits, '.', '_' and '-' only
// (the saved history separates fields by spaces).
std::string series_name(std::string_view prefix, std::string_view label) {
  std::string out(prefix);
  for (char c : label.substr(0, 64)) out.push_back(is_alnum(c) || c == '.' || c == '-' ? c : '_');
  return out;
}
}  // namespace

std::map<std::string, double> History::series_of(const Samples& samples) {
  std::map<std::string, double> m;
  // At most kMaxSeries names: labels past that are summed as "<kind>.other".
  auto add = [&m](const std::string& key, std::string_view other, double v) {
    if (m.count(key) || m.size() < kMaxSeries - 8) {
      m[key] += v;
    } else {
      m[std::string(other)] += v;
    }
  };
  for (const Sample& s : samples) {
    if (s.name == "rampart_milter_verdicts_total" || s.name == "rampart_scan_verdicts_total") {
      if (const std::string* a = s.label("action"))
        add(series_name("verdicts.", *a), "verdicts.other", s.value);
    } else if (s.name == "rampart_throttled_total") {
      m["throttled"] += s.value;
    } else if (s.name == "rampart_http_requests_total") {
      m["http.requests"] += s.value;
    } else if (s.name == "rampart_reputation_events_total") {
      m["reputation.events"] += s.value;
    } else if (s.name == "rampart_check_hits_total") {
      if (const std::string* c = s.label("check")) add(series_name("check.", *c), "check.other", s.value);
    } else if (s.name == "rampart_dnsbl_zone_responses_total") {
      // Queries answered per live zone (src/server/live_zones.h), all rcodes.
      if (const std::string* z = s.label("zone")) add(series_name("dnsbl.", *z), "dnsbl.other", s.value);
    } else if (s.name == "rampart_auth_results_total") {
      // Pass rates: auth.<method>.pass / auth.<method>.all (four methods, eight series).
      const std::string* meth = s.label("method");
      const std::string* r = s.label("result");
      if (meth && r && (*meth == "spf" || *meth == "dkim" || *meth == "dmarc" || *meth == "arc")) {
        m["auth." + *meth + ".all"] += s.value;
        if (*r == "pass") m["auth." + *meth + ".pass"] += s.value;
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
  // At most kMaxSeries names in a ring, old and new together.
  size_t names = r.v.size();
  for (const auto& [k, sum] : r.acc) names += r.v.count(k) ? 0 : 1;
  for (const auto& [k, v] : point) {
    const bool known = r.acc.count(k) || r.v.count(k);
    if (!known && names >= kMaxSeries) continue;
    if (!known) ++names;
    r.acc[k] += v;
  }
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

History::Points History::points(const Ring& r) {
  Points p{r.t, r.v};
  if (r.acc_n > 0) {
    p.t.push_back(r.acc_start);
    for (auto& [k, vec] : p.v) vec.resize(p.t.size() - 1, 0.0);
    for (const auto& [k, sum] : r.acc) {
      auto& vec = p.v[k];
      vec.resize(p.t.size() - 1, 0.0);
      vec.push_back(sum / static_cast<double>(r.acc_n));
    }
    for (auto& [k, vec] : p.v) vec.resize(p.t.size(), 0.0);
    if (p.t.size() > r.cap) {
      p.t.erase(p.t.begin());
      for (auto& [k, vec] : p.v) vec.erase(vec.begin());
    }
  }
  return p;
}

std::string History::serialize() const {
  const std::lock_guard lk(mu_);
  std::string out = "rampart-history 1\n";
  for (const Ring& r : rings_) {
    const Points p = points(r);
    out += "ring " + std::to_string(r.step) + "\nt";
    for (int64_t t : p.t) out += " " + std::to_string(t);
    out += "\n";
    for (const auto& [k, vec] : p.v) {
      out += "s " + k;
      char b[32];
      for (double v : vec) {
        std::snprintf(b, sizeof b, " %.17g", v);
        out += b;
      }
      out += "\n";
    }
  }
  return out;
}

Status History::restore(std::string_view text) {
  Ring fresh[3];
  for (int i = 0; i < 3; ++i) {
    fresh[i].step = rings_[i].step;
    fresh[i].cap = rings_[i].cap;
  }
  int ring = -1;
  bool times = false;  // the ring's "t" line seen (once, before its series)
  size_t line_no = 0;
  bool header = false;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return fail(Errc::kParse, "history line " + std::to_string(line_no) + ": " + std::string(why));
    };
    std::vector<std::string_view> f;
    for (std::string_view w : split(line, ' '))
      if (!w.empty()) f.push_back(w);
    if (f.empty()) continue;  // blank
    if (!header) {
      if (f.size() != 2 || f[0] != "rampart-history" || f[1] != "1")
        return bad("not a rampart history (version 1)");
      header = true;
      continue;
    }
    auto number = [](std::string_view s, double& out) {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
    };
    auto integer = [](std::string_view s, int64_t& out) {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (f[0] == "ring") {
      if (++ring >= 3) return bad("more than three rings");
      times = false;
      int64_t step = 0;
      if (f.size() != 2 || !integer(f[1], step) || step != fresh[ring].step)
        return bad("ring step is not " + std::to_string(fresh[ring].step));
    } else if (f[0] == "t") {
      if (ring < 0 || times) return bad("times outside a ring, or twice");
      times = true;
      if (f.size() - 1 > fresh[ring].cap) return bad("more points than the ring holds");
      for (size_t i = 1; i < f.size(); ++i) {
        int64_t t = 0;
        if (!integer(f[i], t)) return bad("bad time");
        fresh[ring].t.push_back(t);
      }
    } else if (f[0] == "s") {
      if (ring < 0 || !times || f.size() < 2) return bad("a series before its ring's times");
      if (fresh[ring].v.size() >= kMaxSeries) return bad("too many series");
      if (f.size() - 2 != fresh[ring].t.size()) return bad("series length differs from the times");
      std::vector<double> vec;
      for (size_t i = 2; i < f.size(); ++i) {
        double v = 0;
        if (!number(f[i], v)) return bad("bad value");
        vec.push_back(v);
      }
      if (!fresh[ring].v.emplace(std::string(f[1]), std::move(vec)).second) return bad("series twice");
    } else {
      return bad("unknown line");
    }
  }
  if (!header) return fail(Errc::kParse, "history: empty");
  const std::lock_guard lk(mu_);
  for (int i = 0; i < 3; ++i) rings_[i] = std::move(fresh[i]);
  return {};
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
  const Points p = points(r);
  const std::vector<int64_t>& t = p.t;
  const std::map<std::string, std::vector<double>>& v = p.v;
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

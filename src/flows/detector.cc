#include "flows/detector.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/strings.h"

namespace rampart::flows {

Result<Prefix> Prefix::parse(std::string_view text) {
  text = trim(text);
  Prefix p;
  const size_t slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return fail(Errc::kInvalidArgument, "bad prefix '" + std::string(text) + "'");
  p.net = *ip;
  const unsigned max = ip->is_v4() ? 32 : 128;
  p.len = max;
  if (slash != std::string_view::npos) {
    std::string_view n = text.substr(slash + 1);
    unsigned v = 0;
    auto r = std::from_chars(n.data(), n.data() + n.size(), v);
    if (n.empty() || r.ec != std::errc() || r.ptr != n.data() + n.size() || v > max)
      return fail(Errc::kInvalidArgument, "bad prefix length in '" + std::string(text) + "'");
    p.len = v;
  }
  p.net = p.net.masked(p.len);
  return p;
}

std::string Prefix::to_string() const { return net.to_string() + "/" + std::to_string(len); }

Result<std::vector<Prefix>> parse_prefix_list(std::string_view csv) {
  std::vector<Prefix> out;
  for (auto part : split(csv, ',')) {
    if (trim(part).empty()) continue;
    auto p = Prefix::parse(part);
    if (!p) return tl::unexpected(p.error());
    out.push_back(*p);
  }
  if (out.empty()) return fail(Errc::kInvalidArgument, "empty prefix list");
  return out;
}

std::string_view subscriber_kind_name(SubscriberKind k) {
  switch (k) {
    case SubscriberKind::kDynamic: return "dynamic";
    case SubscriberKind::kStatic: return "static";
    case SubscriberKind::kBusiness: return "business";
  }
  return "dynamic";
}

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kNotify: return "notify";
    case Action::kThrottle: return "throttle";
    case Action::kBlock: return "block";
  }
  return "notify";
}

Result<DetectorConfig> DetectorConfig::from_config(const Config& c) {
  DetectorConfig d;
  auto prefixes = [&](const char* key, std::vector<Prefix>& out) -> Status {
    for (const auto& s : c.get_strings(std::string("flows.detector.") + key)) {
      auto p = Prefix::parse(s);
      if (!p) return fail(Errc::kConfig, std::string("flows.detector.") + key + ": " + p.error().message);
      out.push_back(*p);
    }
    return {};
  };
  const std::pair<const char*, SubscriberKind> kinds[] = {
      {"subscribers_dynamic", SubscriberKind::kDynamic},
      {"subscribers_static", SubscriberKind::kStatic},
      {"subscribers_business", SubscriberKind::kBusiness}};
  for (const auto& [key, kind] : kinds) {
    std::vector<Prefix> ps;
    if (auto st = prefixes(key, ps); !st) return tl::unexpected(st.error());
    for (const auto& p : ps) d.subscribers.push_back({p, kind});
  }
  if (auto st = prefixes("mail_servers", d.mail_servers); !st) return tl::unexpected(st.error());
  if (auto st = prefixes("relays", d.relays); !st) return tl::unexpected(st.error());
  if (auto st = prefixes("exceptions", d.exceptions); !st) return tl::unexpected(st.error());
  d.window_s = c.get_int("flows.detector.window_s", d.window_s);
  d.long_window_s = c.get_int("flows.detector.long_window_s", d.long_window_s);
  d.release_after_s = c.get_int("flows.detector.release_after_s", d.release_after_s);
  d.threshold = c.get_double("flows.detector.threshold", d.threshold);
  d.block_threshold = c.get_double("flows.detector.block_threshold", d.block_threshold);
  if (d.window_s < 10 || d.long_window_s < d.window_s || d.release_after_s < 0 || d.threshold <= 0)
    return fail(Errc::kConfig, "flows.detector: window_s >= 10, long_window_s >= window_s, threshold > 0");
  return d;
}

namespace {

std::string key_of(const IpAddress& ip) {
  std::string k(17, '\0');
  k[0] = ip.is_v4() ? 4 : 6;
  for (size_t i = 0; i < 16; ++i) k[i + 1] = static_cast<char>(ip.bytes()[i]);
  return k;
}

uint64_t hash_ip(const IpAddress& ip) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : ip.bytes()) h = (h ^ b) * 1099511628211ULL;
  return h ^ (ip.is_v4() ? 4 : 6);
}

bool in_any(const std::vector<Prefix>& ps, const IpAddress& ip) {
  for (const auto& p : ps)
    if (p.contains(ip)) return true;
  return false;
}

void fmt_num(std::string& out, double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3f", v);
  out += buf;
}

constexpr size_t kBuckets = 10;     // buckets per short window
constexpr size_t kTimes = 32;       // send times kept for regularity
constexpr size_t kMaxDst = 4096;    // distinct destinations kept per host per long window
constexpr size_t kMaxSeen = 65536;  // destination history per host

}  // namespace

struct Detector::Host {
  struct Bucket {
    int64_t index = -1;
    uint32_t flows = 0, smtp25 = 0, failed25 = 0, new_dst25 = 0, submissions = 0, inbound25 = 0;
    uint32_t last_dst25 = 0;  // destinations whose latest port-25 use falls in this bucket
  };
  SubscriberKind kind = SubscriberKind::kDynamic;
  bool exception = false;
  std::vector<Bucket> ring;                          // long window, bucket_ms each
  std::unordered_map<uint64_t, int64_t> dst25_last;  // destination -> last time (ms)
  std::unordered_set<uint64_t> seen25;               // every destination ever used on 25
  std::array<int64_t, kTimes> times{};
  size_t ntimes = 0;
  int64_t last_ms = 0;
  Incident* open = nullptr;             // this host's entry in open_ (stable: node-based map)
  int64_t oldest_dst25_ms = INT64_MAX;  // lower bound of dst25_last's times (sweep trigger)

  Bucket& bucket(int64_t t_ms, int64_t bucket_ms) {
    const int64_t idx = t_ms / bucket_ms;
    Bucket& b = ring[static_cast<size_t>(idx % static_cast<int64_t>(ring.size()))];
    if (b.index != idx) b = Bucket{idx};
    return b;
  }
};

Detector::Detector(DetectorConfig cfg) : cfg_(std::move(cfg)) {}
Detector::~Detector() = default;

std::optional<SubscriberKind> Detector::subscriber_kind(const IpAddress& ip) const {
  // The longest matching prefix decides (a business /29 inside a dynamic /16).
  std::optional<SubscriberKind> best;
  int best_len = -1;
  for (const auto& s : cfg_.subscribers) {
    if (s.prefix.contains(ip) && static_cast<int>(s.prefix.len) > best_len) {
      best = s.kind;
      best_len = static_cast<int>(s.prefix.len);
    }
  }
  return best;
}

size_t Detector::HostKeyHash::operator()(const HostKey& k) const {
  // Two 64-bit halves mixed (splitmix64 finaliser): cheap and well spread.
  uint64_t h = k.hi * 0x9e3779b97f4a7c15ULL ^ (k.lo + 0x632be59bd9b4e019ULL + (k.v4 ? 1 : 0));
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<size_t>(h ^ (h >> 31));
}

Detector::HostKey Detector::host_key(const IpAddress& ip) {
  HostKey k;
  std::memcpy(&k.hi, ip.bytes().data(), 8);
  std::memcpy(&k.lo, ip.bytes().data() + 8, 8);
  k.v4 = ip.is_v4();
  return k;
}

Detector::Host* Detector::host_for(const IpAddress& ip, SubscriberKind kind) {
  const HostKey k = host_key(ip);
  auto it = hosts_.find(k);
  if (it != hosts_.end()) return it->second.get();
  if (hosts_.size() >= cfg_.max_hosts) return nullptr;
  auto h = std::make_unique<Host>();
  h->kind = kind;
  h->exception = in_any(cfg_.exceptions, ip);
  const int64_t bucket_ms = cfg_.window_s * 1000 / static_cast<int64_t>(kBuckets);
  h->ring.resize(static_cast<size_t>((cfg_.long_window_s * 1000 + bucket_ms - 1) / bucket_ms));
  Host* raw = h.get();
  hosts_.emplace(k, std::move(h));
  return raw;
}

void Detector::observe(const Flow& f) {
  ++flows_;
  const int64_t t = f.start_ms;
  // Before 1970 is no real flow (a corrupt timestamp): it would index the
  // bucket ring with a negative number.
  if (t < 0) return;
  if (t > now_ms_) now_ms_ = t;
  if (now_ms_ - last_sweep_ms_ >= cfg_.window_s * 1000 / static_cast<int64_t>(kBuckets)) advance(now_ms_);
  const int64_t bucket_ms = cfg_.window_s * 1000 / static_cast<int64_t>(kBuckets);

  // Inbound SMTP to a subscriber: evidence that the host is a real MTA.
  if (f.is_tcp() && f.dst_port == 25 && !f.syn_only()) {
    if (auto kind = subscriber_kind(f.dst); kind && !in_any(cfg_.mail_servers, f.dst)) {
      if (Host* h = host_for(f.dst, *kind)) h->bucket(t, bucket_ms).inbound25++;
    }
  }
  auto kind = subscriber_kind(f.src);
  if (!kind || in_any(cfg_.mail_servers, f.src)) return;
  Host* h = host_for(f.src, *kind);
  if (!h) return;
  h->last_ms = t;
  auto& b = h->bucket(t, bucket_ms);
  b.flows++;
  if (!f.is_tcp()) return;
  const bool to_relay = in_any(cfg_.relays, f.dst);
  const bool smtp25 = f.dst_port == 25 && !to_relay;
  const bool submission = f.dst_port == 587 || f.dst_port == 465 || (to_relay && f.dst_port == 25);
  if (!smtp25 && !submission) return;
  if (smtp25) {
    b.smtp25++;
    if (f.failed_attempt() || f.reset()) b.failed25++;
    const uint64_t d = hash_ip(f.dst);
    if (h->seen25.size() < kMaxSeen && h->seen25.insert(d).second) b.new_dst25++;
    // Distinct destinations per window without walking them on every flow:
    // each destination is counted in the bucket of its latest use, and moved
    // when it is used again in a later bucket.
    auto it = h->dst25_last.find(d);
    if (it == h->dst25_last.end()) {
      if (h->dst25_last.size() < kMaxDst) {
        h->dst25_last.emplace(d, t);
        h->oldest_dst25_ms = std::min(h->oldest_dst25_ms, t);
        b.last_dst25++;
      }
    } else if (t > it->second) {
      const int64_t old_idx = it->second / bucket_ms;
      if (old_idx != b.index) {
        auto& ob = h->ring[static_cast<size_t>(old_idx % static_cast<int64_t>(h->ring.size()))];
        if (ob.index == old_idx && ob.last_dst25 > 0) ob.last_dst25--;
        b.last_dst25++;
      }
      it->second = t;
    }
  } else {
    b.submissions++;
  }
  h->times[h->ntimes % kTimes] = t;
  h->ntimes++;
  score(*h, f.src, t, f.start_ms);
}

void Detector::score(Host& h, const IpAddress& ip, int64_t t, int64_t flow_start_ms) {
  const int64_t bucket_ms = cfg_.window_s * 1000 / static_cast<int64_t>(kBuckets);
  const int64_t cur = t / bucket_ms;
  const int64_t short_buckets = static_cast<int64_t>(kBuckets);
  uint64_t flows_w = 0, smtp_w = 0, failed_w = 0, sub_w = 0, smtp_l = 0, failed_l = 0, new_l = 0,
           inbound_l = 0, distinct_w = 0;
  for (const auto& b : h.ring) {
    if (b.index < 0 || b.index > cur || cur - b.index >= static_cast<int64_t>(h.ring.size())) continue;
    smtp_l += b.smtp25;
    failed_l += b.failed25;
    new_l += b.new_dst25;
    inbound_l += b.inbound25;
    if (cur - b.index < short_buckets) {
      flows_w += b.flows;
      smtp_w += b.smtp25;
      failed_w += b.failed25;
      sub_w += b.submissions;
      distinct_w += b.last_dst25;
    }
  }
  const int64_t wstart = t - cfg_.window_s * 1000;
  const uint32_t distinct = static_cast<uint32_t>(distinct_w);
  Evidence e;
  e.smtp_flows = static_cast<uint32_t>(smtp_w);
  e.distinct_dst25 = distinct;
  e.submissions = static_cast<uint32_t>(sub_w);
  e.new_dst25_long = static_cast<uint32_t>(new_l);
  e.inbound_smtp_long = static_cast<uint32_t>(inbound_l);
  if (smtp_w >= 3)
    e.failed_ratio = static_cast<double>(failed_w) / static_cast<double>(smtp_w);
  else if (smtp_l >= 3)
    e.failed_ratio = static_cast<double>(failed_l) / static_cast<double>(smtp_l);
  if (flows_w > 0) e.smtp_share = static_cast<double>(smtp_w + sub_w) / static_cast<double>(flows_w);
  // Regularity of the gaps between the last sends (timer-driven bots are regular).
  const size_t n = std::min(h.ntimes, kTimes);
  if (n >= 8) {
    std::array<int64_t, kTimes> ts{};
    for (size_t i = 0; i < n; ++i) ts[i] = h.times[(h.ntimes - n + i) % kTimes];
    std::sort(ts.begin(), ts.begin() + static_cast<std::ptrdiff_t>(n));
    double sum = 0, sq = 0;
    for (size_t i = 1; i < n; ++i) {
      const double g = static_cast<double>(ts[i] - ts[i - 1]);
      sum += g;
      sq += g * g;
    }
    const double m = sum / static_cast<double>(n - 1);
    if (m > 0) {
      const double var = std::max(0.0, sq / static_cast<double>(n - 1) - m * m);
      e.regularity = std::max(0.0, 1.0 - std::sqrt(var) / m);
    }
  }

  // The named terms go into e.terms only when the score opens or updates an
  // incident: most scores stay below the threshold and need no map.
  std::array<std::pair<const char*, double>, 12> terms;
  size_t nterms = 0;
  auto term = [&](const char* name, double v) {
    if (v > 0) terms[nterms++] = {name, std::round(v * 1000) / 1000};
    e.score += v;
  };
  // Fan-out counts only when destinations rarely repeat: an MTA sending a
  // newsletter reaches many domains but returns to the same MX hosts.
  const double distinct_ratio = smtp_w ? static_cast<double>(distinct) / static_cast<double>(smtp_w) : 0;
  // Fan-out from a host whose attempts nearly all succeed is what a working
  // MTA looks like; spam bots hit dead, refusing and blocklisting MX hosts.
  const double delivery_factor = smtp_l >= 3 ? std::min(1.0, 0.3 + 3.0 * e.failed_ratio) : 1.0;
  term("fanout", 0.6 * delivery_factor * std::min(1.0, distinct / 15.0) *
                     std::clamp((distinct_ratio - 0.3) / 0.6, 0.0, 1.0));
  if (smtp_l >= 3) term("failed", 0.4 * e.failed_ratio);
  if (smtp_l >= 5) term("new_destinations", 0.3 * static_cast<double>(new_l) / static_cast<double>(smtp_l));
  if (smtp_w + sub_w >= 3) term("smtp_share", 0.3 * e.smtp_share);
  term("slow_fanout", 0.5 * delivery_factor * std::min(1.0, static_cast<double>(new_l) / 20.0));
  if (n >= 8) term("regular", 0.3 * e.regularity);
  // Submission volume matters when mail is most of what the host does (a NAT
  // gateway submits a lot too, amid far more other traffic).
  term("submission_volume", 0.8 * std::min(1.0, std::max(0.0, static_cast<double>(sub_w) - 4.0) / 12.0) *
                                std::min(1.0, e.smtp_share / 0.2));
  double mult = h.kind == SubscriberKind::kDynamic ? 1.2 : h.kind == SubscriberKind::kBusiness ? 0.8 : 1.0;
  if (inbound_l >= 3) mult *= 0.4;  // receives mail: behaves as an MTA
  e.score *= mult;
  e.score = std::round(e.score * 1000) / 1000;
  if (e.score < cfg_.threshold) return;
  for (size_t i = 0; i < nterms; ++i) e.terms[terms[i].first] = terms[i].second;
  e.terms["kind_factor"] = std::round(mult * 1000) / 1000;
  int64_t first_in_window = flow_start_ms;
  for (size_t i = 0; i < n; ++i) {
    const int64_t ts = h.times[(h.ntimes - n + i) % kTimes];
    if (ts >= wstart && ts < first_in_window) first_in_window = ts;
  }
  Action a = Action::kNotify;
  if (!h.exception) {
    if (e.smtp_flows > 0 && e.smtp_flows >= e.submissions) {
      a = (e.score >= cfg_.block_threshold && h.kind == SubscriberKind::kDynamic) ? Action::kBlock
                                                                                  : Action::kThrottle;
    } else {
      a = Action::kThrottle;  // submission abuse: rate-limit, the relay can refuse it too
    }
  }
  if (!h.open) {
    Incident inc;
    inc.id = next_id_++;
    inc.host = ip;
    inc.kind = h.kind;
    inc.first_seen_ms = first_in_window;
    inc.last_seen_ms = t;
    inc.opened_ms = t;
    inc.score = e.score;
    inc.evidence = e;
    inc.action = a;
    inc.exception = h.exception;
    h.open = &open_.emplace(key_of(ip), std::move(inc)).first->second;
    return;
  }
  Incident& inc = *h.open;
  inc.last_seen_ms = std::max(inc.last_seen_ms, t);
  if (e.score > inc.score) {
    inc.score = e.score;
    inc.evidence = e;
  }
  if (static_cast<int>(a) > static_cast<int>(inc.action)) inc.action = a;
}

void Detector::advance(int64_t now_ms) {
  if (now_ms > now_ms_) now_ms_ = now_ms;
  last_sweep_ms_ = now_ms_;
  for (auto it = open_.begin(); it != open_.end();) {
    if (now_ms_ - it->second.last_seen_ms > cfg_.release_after_s * 1000) {
      if (auto h = hosts_.find(host_key(it->second.host)); h != hosts_.end()) h->second->open = nullptr;
      it->second.open = false;
      closed_.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  // Forget hosts idle for longer than the long window (bounded memory), and
  // port-25 destinations not used within it.
  const int64_t horizon = now_ms_ - cfg_.long_window_s * 1000;
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    Host& h = *it->second;
    if (h.last_ms < horizon && !h.open) {
      it = hosts_.erase(it);
      continue;
    }
    if (!h.dst25_last.empty() && h.oldest_dst25_ms < horizon) {
      int64_t oldest = INT64_MAX;
      std::erase_if(h.dst25_last, [&](const auto& kv) {
        if (kv.second < horizon) return true;
        oldest = std::min(oldest, kv.second);
        return false;
      });
      h.oldest_dst25_ms = oldest;
    }
    ++it;
  }
}

void Detector::finish() {
  for (auto& [k, h] : hosts_) h->open = nullptr;
  for (auto& [k, inc] : open_) {
    inc.open = false;
    closed_.push_back(std::move(inc));
  }
  open_.clear();
}

std::vector<Incident> Detector::take_closed() {
  std::vector<Incident> out;
  out.swap(closed_);
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    return a.first_seen_ms != b.first_seen_ms ? a.first_seen_ms < b.first_seen_ms : a.id < b.id;
  });
  return out;
}

const std::unordered_map<std::string, Incident>& Detector::open_incidents() const { return open_; }

bool Detector::flagged(const IpAddress& host) const {
  auto it = hosts_.find(host_key(host));
  return it != hosts_.end() && it->second->open != nullptr;
}

size_t Detector::tracked_hosts() const { return hosts_.size(); }

std::string incident_json(const Incident& i) {
  std::string o = "{\"host\":\"" + i.host.to_string() + "\",\"first_seen\":";
  o += std::to_string(i.first_seen_ms / 1000);
  o += ",\"last_seen\":" + std::to_string(i.last_seen_ms / 1000);
  o += ",\"score\":";
  fmt_num(o, i.score);
  const Evidence& e = i.evidence;
  o += ",\"evidence\":{\"smtp_flows\":" + std::to_string(e.smtp_flows);
  o += ",\"distinct_dst25\":" + std::to_string(e.distinct_dst25);
  o += ",\"failed_ratio\":";
  fmt_num(o, e.failed_ratio);
  o += ",\"smtp_share\":";
  fmt_num(o, e.smtp_share);
  o += ",\"new_dst25_long\":" + std::to_string(e.new_dst25_long);
  o += ",\"submissions\":" + std::to_string(e.submissions);
  o += ",\"regularity\":";
  fmt_num(o, e.regularity);
  o += ",\"inbound_smtp_long\":" + std::to_string(e.inbound_smtp_long);
  o += ",\"subscriber\":\"" + std::string(subscriber_kind_name(i.kind)) + "\"";
  o += ",\"terms\":{";
  bool first = true;
  for (const auto& [name, v] : e.terms) {
    if (!first) o += ',';
    first = false;
    o += "\"" + name + "\":";
    fmt_num(o, v);
  }
  o += "}}";
  o += ",\"action\":\"" + std::string(action_name(i.action)) + "\"}";
  return o;
}

}  // namespace rampart::flows

// File: src/dnsbl/live.cc
// Live zones written as rbldnsd data sets (see live.h).
#include "dnsbl/live.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "core/ip.h"
#include "core/strings.h"

namespace rampart::dnsbl {

namespace {

std::string a_text(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string value_text(uint32_t a, const std::string& txt) {
  return " :" + a_text(a) + ":" + live_txt(txt) + "\n";
}

void warn(LoadReport* report, const LiveZone& z, const std::string& key, const std::string& why) {
  if (report) report->warnings.push_back(z.apex + ": " + key + ": " + why);
}

bool ldh(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  for (auto label : split(d, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string live_txt(std::string_view text, size_t max) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (out.size() >= max) break;
    if (u < 0x20 || u == 0x7f) {
      out.push_back(' ');
    } else if (c == '$') {
      out += "$$";
    } else {
      out.push_back(c);
    }
  }
  if (out.size() > max) out.resize(max);
  // Do not end inside a UTF-8 sequence (or half a "$$").
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  size_t dollars = 0;
  for (size_t i = out.size(); i > 0 && out[i - 1] == '$'; --i) ++dollars;
  if (dollars % 2) out.pop_back();
  return out;
}

namespace {

constexpr const char* kTestTxt = "RFC 5782 test entry";
constexpr char kHex[] = "0123456789abcdef";

std::string hex_bytes(const uint8_t* b, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

// Prefixes shorter than these (IPv4 /8, IPv6 /24) go to the family's wide
// shard ("4", "6") instead of one shard per /16 or /32 they cover.
constexpr unsigned kWide4 = 8, kWide6 = 24;

bool is_wide(const std::string& shard) { return shard.size() == 1 && shard[0] != 'd'; }

// The first address of a regular IP shard ("4c0a8", "620010db8") as a prefix.
IpPrefix shard_prefix(const std::string& shard) {
  std::array<uint8_t, 16> bytes{};
  const bool v4 = shard[0] == '4';
  const size_t n = v4 ? 2 : 4;
  for (size_t i = 0; i < n; ++i)
    bytes[i] = static_cast<uint8_t>(std::stoi(shard.substr(1 + 2 * i, 2), nullptr, 16));
  IpPrefix p;
  p.net = v4 ? IpAddress::v4(std::array<uint8_t, 4>{bytes[0], bytes[1], 0, 0}) : IpAddress::v6(bytes);
  p.len = v4 ? 16 : 32;
  return p;
}

// The shard keys of the RFC 5782 test entries.
const std::string kTest4 = "47f00", kTest6 = "600000000", kTestDomain = "dtest";

bool holds_test(LiveData data, const std::string& shard) {
  return data == LiveData::kDomain ? shard == kTestDomain : shard == kTest4 || shard == kTest6;
}

std::string clean_domain(std::string_view key) {
  std::string d = to_lower(key);
  if (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

// Strict decimal octet of a query label (as the IPv4 data sets read them).
int octet(std::string_view l) {
  if (l.empty() || l.size() > 3 || (l.size() > 1 && l[0] == '0')) return -1;
  int v = 0;
  for (char c : l) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v > 255 ? -1 : v;
}

std::string head_text(const LiveZone& z) {
  std::string head = "$SOA " + std::to_string(z.ttl) + " " + (z.ns.empty() ? z.apex : z.ns.front()) +
                     " hostmaster." + z.apex + " " + std::to_string(z.serial) + " 1h 10m 1w " +
                     std::to_string(z.ttl) + "\n";
  if (!z.ns.empty()) {
    head += "$NS " + std::to_string(z.ttl);
    for (const auto& n : z.ns) head += " " + n;
    head += "\n";
  }
  head += "$TTL " + std::to_string(z.ttl) + "\n";
  return head;
}

// One family of a live zone ('4', '6' or 'd'): its shards, each a small
// data set, found by the shard key of the query name.
class LiveSharded final : public Dataset {
 public:
  using Shards = std::vector<std::pair<std::string, DatasetPtr>>;
  LiveSharded(char family, Shards shards) : family_(family), shards_(std::move(shards)) {
    for (const auto& [k, ds] : shards_) count_ += ds->entries();
    if (const DatasetPtr* w = find(std::string(1, family_))) wide_ = *w;
  }

  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    if (q.count == 0) return Found::kNo;
    std::string key(1, family_);
    auto label = [&](size_t k) { return q.labels[q.count - 1 - k]; };  // k-th from the top
    if (family_ == '4') {
      if (q.count > 4) return Found::kNo;
      for (size_t k = 0; k < std::min<size_t>(q.count, 2); ++k) {
        const int o = octet(label(k));
        if (o < 0) return Found::kNo;
        const auto b = static_cast<uint8_t>(o);
        key += hex_bytes(&b, 1);
      }
      if (q.count < 2) return any_or_wide(key, q, qtype, out);
    } else if (family_ == '6') {
      if (q.count > 32) return Found::kNo;
      for (size_t k = 0; k < std::min<size_t>(q.count, 8); ++k) {
        const std::string_view l = label(k);
        if (l.size() != 1 || !((l[0] >= '0' && l[0] <= '9') || (l[0] >= 'a' && l[0] <= 'f')))
          return Found::kNo;
        key += l[0];
      }
      if (q.count < 8) return any_or_wide(key, q, qtype, out);
    } else {
      // The shard of the last two labels; then the one of a single label
      // (only TEST's), the wildcard of a closer ancestor winning.
      key += label(0);
      const DatasetPtr* top = find(key);
      if (q.count == 1) {
        const Found r = top ? (*top)->query(q, qtype, out) : Found::kNo;
        return r != Found::kNo ? r : any(key + ".", q, qtype, out, true);
      }
      const DatasetPtr* two = find(key + "." + std::string(label(1)));
      const Found r = two ? (*two)->query(q, qtype, out) : Found::kNo;
      if (r == Found::kListed || !top) return r;
      const Found r1 = (*top)->query(q, qtype, out);
      return r1 == Found::kNo ? r : r1;
    }
    // A shard holds the cut copies of the wide networks over it: it
    // answers alone; where there is none, the wide networks do.
    const DatasetPtr* ds = find(key);
    if (ds) return (*ds)->query(q, qtype, out);
    return wide_ ? wide_->query(q, qtype, out) : Found::kNo;
  }
  bool well_formed(const QueryName& q) const override {
    return !shards_.empty() && shards_[0].second->well_formed(q);
  }
  size_t entries() const override { return count_; }
  DumpStatus dump(DumpSink& sink) const override {
    for (const auto& [k, ds] : shards_)
      if (auto st = ds->dump(sink); st != DumpStatus::kOk) return st;
    return DumpStatus::kOk;
  }

 private:
  const DatasetPtr* find(const std::string& key) const {
    auto it = std::lower_bound(shards_.begin(), shards_.end(), key,
                               [](const auto& e, const std::string& k) { return e.first < k; });
    return it != shards_.end() && it->first == key ? &it->second : nullptr;
  }
  // A name above the shard level of an IP family: it exists when a shard
  // below or a wide network says so.
  Found any_or_wide(const std::string& prefix, const QueryName& q, uint16_t qtype, Collector& out) const {
    const Found r = any(prefix, q, qtype, out);
    return r == Found::kNo && wide_ ? wide_->query(q, qtype, out) : r;
  }
  // A name above the shard level: it exists when a shard below says so.
  Found any(const std::string& prefix, const QueryName& q, uint16_t qtype, Collector& out,
            bool first_only = false) const {
    auto it = std::lower_bound(shards_.begin(), shards_.end(), prefix,
                               [](const auto& e, const std::string& k) { return e.first < k; });
    for (; it != shards_.end() && it->first.starts_with(prefix); ++it) {
      if (first_only) return Found::kExists;
      if (it->second->query(q, qtype, out) != Found::kNo) return Found::kExists;
    }
    return Found::kNo;
  }

  char family_;
  Shards shards_;
  DatasetPtr wide_;  // the shard of the wide networks ('4' or '6' alone), if any
  size_t count_ = 0;
};

}  // namespace

std::vector<std::string> live_shards(LiveData data, std::string_view key, std::string* why) {
  std::vector<std::string> out;
  if (data == LiveData::kDomain) {
    const std::string d = clean_domain(key);
    if (!ldh(d)) {
      *why = "not a domain name";
      return out;
    }
    if (d == "invalid" || d.ends_with(".invalid")) {
      *why = "INVALID is never listed (RFC 5782 5)";
      return out;
    }
    const size_t last = d.rfind('.');
    if (last == std::string::npos) {
      *why = "a top-level name is not listed in a live zone";
      return out;
    }
    const size_t second = d.rfind('.', last - 1);
    out.push_back("d" + d.substr(last + 1) + "." +
                  d.substr(second == std::string::npos ? 0 : second + 1,
                           last - (second == std::string::npos ? 0 : second + 1)));
    return out;
  }
  auto p = parse_cidr(key);
  if (!p) {
    *why = p.error().message;
    return out;
  }
  // parse_cidr unmaps ::ffff:a.b.c.d prefixes; the IPv6 test address is
  // written as such, so check both forms.
  static const IpAddress never4 = IpAddress::v4(0x7f000001);
  static const IpAddress never6 = *IpAddress::parse("::ffff:7f00:1");
  if (p->contains(never4) || (p->net.is_v6() && never6.matches(p->net, p->len))) {
    *why = "would list 127.0.0.1 (RFC 5782 5): skipped";
    return out;
  }
  const auto& b = p->net.bytes();
  if (p->net.is_v4()) {
    if (p->len < kWide4) {
      out.push_back("4");
      return out;
    }
    const uint32_t first = (uint32_t{b[0]} << 8) | b[1];
    const uint32_t n = p->len >= 16 ? 1 : uint32_t{1} << (16 - p->len);
    for (uint32_t i = 0; i < n; ++i) {
      const uint8_t k[2] = {static_cast<uint8_t>((first + i) >> 8), static_cast<uint8_t>(first + i)};
      out.push_back("4" + hex_bytes(k, 2));
    }
    return out;
  }
  if (p->len < kWide6) {
    out.push_back("6");
    return out;
  }
  const uint32_t first = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  const uint32_t n = p->len >= 32 ? 1 : uint32_t{1} << (32 - p->len);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t v = first + i;
    const uint8_t k[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    out.push_back("6" + hex_bytes(k, 4));
  }
  return out;
}

Result<LiveBuilder> LiveBuilder::create(std::vector<LiveZone> heads) {
  LiveBuilder b;
  std::set<std::string> seen;
  for (auto& z : heads) {
    if (z.apex.empty()) return fail(Errc::kInvalidArgument, "live zone without a name");
    if (!seen.insert(to_lower(z.apex)).second)
      return fail(Errc::kInvalidArgument, "live zone " + z.apex + " given twice");
    z.entries.clear();
  }
  b.heads_ = std::move(heads);
  b.shards_.resize(b.heads_.size());
  b.listed_.resize(b.heads_.size());
  b.wide_.resize(b.heads_.size());
  for (size_t i = 0; i < b.heads_.size(); ++i) {
    if (b.heads_[i].data == LiveData::kDomain) {
      b.set_shard(i, kTestDomain, {}, nullptr);
    } else {
      b.set_shard(i, kTest4, {}, nullptr);
      b.set_shard(i, kTest6, {}, nullptr);
    }
  }
  b.changes_.clear();
  return b;
}

void LiveBuilder::set_shard(size_t zone, const std::string& shard, std::vector<LiveEntry> entries,
                            LoadReport* report) {
  const LiveZone& z = heads_[zone];
  auto& m = shards_[zone];
  auto it = m.find(shard);
  // The wide networks of a family are kept to be copied into each shard
  // they cover that has entries of its own (the callers set those shards
  // again after the wide shard, shards_under()).
  std::vector<LiveEntry> copies;
  if (is_wide(shard)) {
    wide_[zone][shard] = entries;
    if (shard == "6") copies = ent_copies(zone);
  } else if (z.data == LiveData::kIp && (!entries.empty() || holds_test(z.data, shard))) {
    auto w = wide_[zone].find(std::string(1, shard[0]));
    if (w != wide_[zone].end()) {
      const IpPrefix sp = shard_prefix(shard);
      for (const auto& e : w->second)
        if (auto p = parse_cidr(e.key); p && p->contains(sp.net)) copies.push_back(e);
    }
  }
  const DatasetPtr old = it == m.end() ? nullptr : it->second.ds;
  const size_t old_listed = it == m.end() ? 0 : it->second.listed;
  DatasetPtr fresh;
  size_t listed = 0;
  if (!entries.empty() || holds_test(z.data, shard)) {
    std::string text = "$TTL " + std::to_string(z.ttl) + "\n";
    std::string type;
    if (z.data == LiveData::kDomain) {
      type = "dnset";
      if (shard == kTestDomain) text += "test" + value_text(z.test_a, kTestTxt);
      for (const auto& e : entries) {
        const std::string d = clean_domain(e.key);
        if (e.excluded) {
          text += "!." + d + "\n";
        } else {
          text += "." + d + value_text(e.a, e.txt);
          ++listed;
        }
      }
    } else {
      // Longer prefixes first: a prefix cut to the shard gives way to the
      // shard's own entries of that length (the first of duplicates wins).
      // (prefix, entry, a copy of a wide network)
      std::vector<std::tuple<IpPrefix, const LiveEntry*, bool>> ps;
      for (const auto& e : entries)
        if (auto p = parse_cidr(e.key)) ps.emplace_back(*p, &e, false);
      for (const auto& e : copies)
        if (auto p = parse_cidr(e.key)) ps.emplace_back(*p, &e, true);
      std::stable_sort(ps.begin(), ps.end(),
                       [](const auto& a, const auto& b) { return std::get<0>(a).len > std::get<0>(b).len; });
      const bool v4 = shard[0] == '4';
      type = v4 ? "ip4trie" : "ip6trie";
      if (shard == kTest4) text += "127.0.0.2" + value_text(z.test_a, kTestTxt);
      if (shard == kTest6) text += "::ffff:7f00:2/128" + value_text(z.test_a, kTestTxt);
      for (auto& [p, e, copy] : ps) {
        if (p.net.is_v4() != v4) continue;
        if (!is_wide(shard) && p.len < (v4 ? 16u : 32u)) p = shard_prefix(shard);  // cut to this shard
        const std::string net = p.net.to_string() + "/" + std::to_string(p.len);
        if (e->excluded) {
          text += "!" + net + "\n";
        } else {
          text += net + value_text(e->a, e->txt);
          if (!copy) ++listed;
        }
      }
    }
    auto ds = load_dataset_text(type, {text}, report);
    if (!ds) {
      warn(report, z, shard, ds.error().message);
      return;
    }
    fresh = std::move(*ds);
  }
  if (fresh) {
    m[shard] = {fresh, listed};
  } else if (it != m.end()) {
    m.erase(it);
  }
  listed_[zone] = listed_[zone] + listed - old_listed;
  // An IPv6 shard under a wide network came or went: the wide shard's
  // wildcards above it follow (ent_copies).
  const bool came_or_went = (old == nullptr) != (fresh == nullptr);
  if (came_or_went && shard.size() > 1 && shard[0] == '6') {
    auto w = wide_[zone].find("6");
    if (w != wide_[zone].end() && !w->second.empty()) {
      const IpPrefix sp = shard_prefix(shard);
      bool under = false;
      for (const auto& e : w->second)
        if (auto p = parse_cidr(e.key); p && p->contains(sp.net)) under = true;
      if (under) set_shard(zone, "6", w->second, report);
    }
  }
  auto& zc = changes_[z.apex];
  bool merged = false;
  for (auto& c : zc)
    if (c.second == old && old) {  // changed twice before take_changes(): keep the first old
      c.second = fresh;
      merged = true;
      break;
    }
  if (!merged && (old || fresh)) zc.emplace_back(old, fresh);
}

ZoneSetPtr LiveBuilder::zones(const std::vector<uint32_t>& serials) const {
  std::vector<std::pair<std::string, DatasetPtr>> parts;
  for (size_t i = 0; i < heads_.size(); ++i) {
    LiveZone z = heads_[i];
    if (i < serials.size()) z.serial = serials[i];
    auto head = load_dataset_text("ip4trie", {head_text(z)}, nullptr);
    const std::string families = z.data == LiveData::kDomain ? "d" : "46";
    for (char f : families) {
      LiveSharded::Shards shards;
      const auto& m = shards_[i];
      for (auto it = m.lower_bound(std::string(1, f)); it != m.end() && it->first[0] == f; ++it)
        shards.emplace_back(it->first, it->second.ds);
      auto ds = std::make_shared<LiveSharded>(f, std::move(shards));
      ds->type = f == 'd' ? "dnset" : f == '4' ? "ip4trie" : "ip6trie";
      ds->ttl = z.ttl;
      if (f == families[0] && head) ds->meta = (*head)->meta;
      parts.emplace_back(z.apex, std::move(ds));
    }
  }
  return ZoneSet::build(parts);
}

// IPv6 only (an IPv4 wide network's wildcards, `*.N`, sit just above the
// /16 shards): between a wide network's wildcard (at most 6 nibbles) and
// a /32 shard under it lie names that exist only because the shard's
// names are below them (empty non-terminals). A secondary's wildcard
// (RFC 4592) stops at the closest encloser, so each such name needs a
// copy of the nearest wildcard above it, as xfr.cc fill_wildcards writes
// for a whole zone. The wide shard writes them: for each ancestor (1-7
// nibbles) of each /32 shard, the longest wide network whose wildcard is
// above it (one with a wildcard at that very name needs none). The copy
// has that network's value, so it answers as the network does.
std::vector<LiveEntry> LiveBuilder::ent_copies(size_t zone) const {
  std::vector<LiveEntry> out;
  auto w = wide_[zone].find("6");
  if (w == wide_[zone].end() || w->second.empty()) return out;
  std::vector<std::pair<IpPrefix, const LiveEntry*>> wides;
  for (const auto& e : w->second)
    if (auto p = parse_cidr(e.key); p && p->net.is_v6()) wides.emplace_back(*p, &e);
  std::set<std::string> done;
  const auto& m = shards_[zone];
  for (auto it = m.upper_bound("6"); it != m.end() && it->first[0] == '6'; ++it) {
    const IpPrefix sp = shard_prefix(it->first);
    for (unsigned k = 1; k < 8; ++k) {
      IpPrefix a{sp.net.masked(4 * k), 4 * k};
      const std::pair<IpPrefix, const LiveEntry*>* best = nullptr;
      for (const auto& wp : wides)
        if (wp.first.len <= a.len && wp.first.contains(a.net) && (!best || wp.first.len > best->first.len))
          best = &wp;
      if (!best || (best->first.len + 3) / 4 == k) continue;
      std::string key = a.net.to_string() + "/" + std::to_string(a.len);
      if (!done.insert(key).second) continue;
      LiveEntry e = *best->second;
      e.key = std::move(key);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<std::string> LiveBuilder::shards_under(size_t zone, std::string_view key) const {
  std::vector<std::string> out;
  auto p = parse_cidr(key);
  if (!p) return out;
  const auto& b = p->net.bytes();
  const bool v4 = p->net.is_v4();
  const unsigned unit = v4 ? 16 : 32;
  if (p->len >= unit) return out;
  const uint64_t first = v4 ? (uint64_t{b[0]} << 8) | b[1]
                            : (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
  const uint64_t last = first + (uint64_t{1} << (unit - p->len)) - 1;
  auto key_of = [&](uint64_t v) {
    uint8_t k[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                    static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    return std::string(1, v4 ? '4' : '6') + (v4 ? hex_bytes(k + 2, 2) : hex_bytes(k, 4));
  };
  const std::string lo = key_of(first), hi = key_of(last);
  const auto& m = shards_[zone];
  for (auto it = m.lower_bound(lo); it != m.end() && it->first <= hi; ++it) out.push_back(it->first);
  return out;
}

LiveBuilder::Changes LiveBuilder::take_changes() {
  Changes out;
  out.swap(changes_);
  for (auto it = out.begin(); it != out.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [](const auto& c) { return c.first == c.second; }), v.end());
    it = v.empty() ? out.erase(it) : std::next(it);
  }
  return out;
}

size_t LiveBuilder::listed(size_t zone) const { return listed_[zone]; }

Result<ZoneSetPtr> build_live_zones(const std::vector<LiveZone>& zones, LoadReport* report) {
  auto b = LiveBuilder::create(zones);
  if (!b) return tl::unexpected(b.error());
  std::vector<uint32_t> serials;
  for (size_t i = 0; i < zones.size(); ++i) {
    const LiveZone& z = zones[i];
    serials.push_back(z.serial);
    std::map<std::string, std::vector<LiveEntry>> by_shard;
    for (const auto& e : z.entries) {
      std::string why;
      auto shards = live_shards(z.data, e.key, &why);
      if (shards.empty()) warn(report, z, e.key, why);
      for (const auto& s : shards) by_shard[s].push_back(e);
    }
    for (auto& [s, entries] : by_shard) b->set_shard(i, s, std::move(entries), report);
  }
  return b->zones(serials);
}

}  // namespace rampart::dnsbl

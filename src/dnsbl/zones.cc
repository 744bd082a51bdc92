#include "dnsbl/zones.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "core/ip.h"
#include "dns/name.h"

namespace rampart::dnsbl {

namespace {

std::vector<std::string> split_labels(std::string_view name) {
  std::vector<std::string> out;
  while (!name.empty()) {
    size_t dot = name.find('.');
    out.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

std::string lower_name(std::string_view s) {
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

Result<ZoneSpec> parse_zone_spec(std::string_view spec) {
  size_t c1 = spec.find(':');
  if (c1 == std::string_view::npos)
    return fail(Errc::kConfig, "zone spec '" + std::string(spec) + "' is not zone:type:file,...");
  size_t c2 = spec.find(':', c1 + 1);
  if (c2 == std::string_view::npos)
    return fail(Errc::kConfig, "zone spec '" + std::string(spec) + "' is not zone:type:file,...");
  ZoneSpec z;
  z.zone = lower_name(spec.substr(0, c1));
  z.type = std::string(spec.substr(c1 + 1, c2 - c1 - 1));
  if (z.zone.empty())
    return fail(Errc::kConfig,
                "zone spec '" + std::string(spec) + "': empty zone (global acl is not supported)");
  if (!dns::valid_name(z.zone) || z.zone.find('\\') != std::string::npos)
    return fail(Errc::kConfig, "zone spec '" + std::string(spec) + "': bad zone name");
  std::string_view files = spec.substr(c2 + 1);
  while (!files.empty()) {
    size_t comma = files.find(',');
    std::string_view f = files.substr(0, comma);
    if (!f.empty()) z.files.emplace_back(f);
    if (comma == std::string_view::npos) break;
    files.remove_prefix(comma + 1);
  }
  if (z.files.empty()) return fail(Errc::kConfig, "zone spec '" + std::string(spec) + "': no file");
  return z;
}

void ZoneSet::add(const std::string& zone, const DatasetPtr& ds) {
  all_.push_back(ds);
  auto attach = [this](const std::string& apex, const std::vector<std::string>& mount, const DatasetPtr& d,
                       const Dataset& meta_from) {
    auto it = std::find_if(zones_.begin(), zones_.end(), [&](const Zone& z) { return z.apex == apex; });
    if (it == zones_.end()) {
      Zone z;
      z.apex = apex;
      z.labels = split_labels(apex);
      zones_.push_back(std::move(z));
      it = zones_.end() - 1;
    }
    Zone& z = *it;
    // First $SOA / $NS in command-line order wins.
    if (meta_from.meta.soa && (z.soa.name.empty() || z.soa_synthesized)) {
      z.soa = *meta_from.meta.soa;
      z.soa.name = apex;
      z.soa_synthesized = false;
    } else if (z.soa.name.empty()) {
      z.soa_synthesized = true;
      z.soa.name = apex;
      z.soa.ttl = meta_from.ttl;
      z.soa.minimum = meta_from.ttl;
      z.soa.serial = static_cast<uint32_t>(meta_from.newest_mtime);
    }
    if (meta_from.meta.has_ns && z.ns.empty()) {
      z.ns = meta_from.meta.ns;
      z.ns_ttl = meta_from.meta.ns_ttl;
    }
    auto m =
        std::find_if(z.mounts.begin(), z.mounts.end(), [&](const Mount& x) { return x.labels == mount; });
    if (m == z.mounts.end()) {
      z.mounts.push_back({mount, {}});
      m = z.mounts.end() - 1;
    }
    if (d) m->datasets.push_back(d);
  };
  if (ds->type == "keys") {
    attach(zone, {}, nullptr, *ds);
    auto it = std::find_if(zones_.begin(), zones_.end(), [&](const Zone& z) { return z.apex == zone; });
    if (!it->keys) it->keys = ds;
    return;
  }
  if (ds->type == "acl") {
    attach(zone, {}, nullptr, *ds);
    auto it = std::find_if(zones_.begin(), zones_.end(), [&](const Zone& z) { return z.apex == zone; });
    if (!it->acl) it->acl = ds;  // one per zone, as rbldnsd
    return;
  }
  if (const auto* parts = ds->parts()) {
    attach(zone, {}, nullptr, *ds);
    for (const auto& p : *parts)
      for (const auto& sub : p.subzones) attach(zone, split_labels(sub), p.dataset, *p.dataset);
  } else {
    attach(zone, {}, ds, *ds);
  }
}

void ZoneSet::finish() {
  for (auto& z : zones_) {
    if (z.soa_synthesized) {
      z.soa.mname = z.ns.empty() ? z.apex : z.ns.front();
      z.soa.rname = "hostmaster." + z.apex;
    }
    std::stable_sort(z.mounts.begin(), z.mounts.end(),
                     [](const Mount& a, const Mount& b) { return a.labels.size() > b.labels.size(); });
  }
  std::stable_sort(zones_.begin(), zones_.end(),
                   [](const Zone& a, const Zone& b) { return a.labels.size() > b.labels.size(); });
}

ZoneSetPtr ZoneSet::with_serials(const std::vector<uint32_t>& serials) const {
  auto copy = std::make_shared<ZoneSet>(*this);
  for (size_t i = 0; i < copy->zones_.size() && i < serials.size(); ++i)
    copy->zones_[i].soa.serial = serials[i];
  return copy;
}

size_t ZoneSet::entries() const {
  size_t n = 0;
  for (const auto& d : all_) n += d->entries();
  return n;
}

ZoneSetPtr ZoneSet::build(const std::vector<std::pair<std::string, DatasetPtr>>& zones) {
  auto zs = std::make_shared<ZoneSet>();
  for (const auto& [z, d] : zones) zs->add(lower_name(z), d);
  zs->finish();
  return zs;
}

Result<ZoneSetPtr> ZoneSet::load(const std::vector<ZoneSpec>& specs, LoadReport* report,
                                 const LoadOptions& options) {
  auto zs = std::make_shared<ZoneSet>();
  std::map<std::string, DatasetPtr> cache;
  for (const auto& s : specs) {
    std::string key = s.type;
    for (const auto& f : s.files) key += "\n" + f;
    auto it = cache.find(key);
    if (it == cache.end()) {
      auto ds = load_dataset(s.type, s.files, report, options);
      if (!ds) return tl::unexpected(ds.error());
      it = cache.emplace(key, *ds).first;
      for (const auto& f : s.files) {
        struct stat st {};
        zs->files_.emplace_back(
            f, ::stat(f.c_str(), &st) == 0
                   ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec
                   : 0);
      }
    }
    zs->add(s.zone, it->second);
  }
  zs->finish();
  return ZoneSetPtr(zs);
}

// ---------------------------------------------------------------- answer

namespace {

constexpr uint16_t kTypeOpt = 41;
constexpr uint16_t kTypeAxfr = 252;
constexpr uint16_t kTypeIxfr = 251;
constexpr size_t kHeader = 12;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

class Out {
 public:
  Out(uint8_t* buf, size_t cap) : b_(buf), cap_(cap) {}
  bool ok() const { return ok_; }
  size_t size() const { return n_; }
  void u8(uint8_t v) {
    if (n_ + 1 > cap_) {
      ok_ = false;
      return;
    }
    b_[n_++] = v;
  }
  void u16(uint16_t v) {
    if (n_ + 2 > cap_) {
      ok_ = false;
      return;
    }
    b_[n_++] = static_cast<uint8_t>(v >> 8);
    b_[n_++] = static_cast<uint8_t>(v);
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void bytes(const void* p, size_t len) {
    if (n_ + len > cap_) {
      ok_ = false;
      return;
    }
    std::memcpy(b_ + n_, p, len);
    n_ += len;
  }
  void put16(size_t at, uint16_t v) {
    b_[at] = static_cast<uint8_t>(v >> 8);
    b_[at + 1] = static_cast<uint8_t>(v);
  }
  // A domain name in presentation form without escapes (names from data
  // files), uncompressed.
  void name(std::string_view n) {
    while (!n.empty()) {
      size_t dot = n.find('.');
      std::string_view l = n.substr(0, dot);
      if (l.empty() || l.size() > 63) {
        ok_ = false;  // the loader lets no such name in
        return;
      }
      u8(static_cast<uint8_t>(l.size()));
      bytes(l.data(), l.size());
      if (dot == std::string_view::npos) break;
      n.remove_prefix(dot + 1);
    }
    u8(0);
  }
  void truncate(size_t n) {
    n_ = n;
    ok_ = true;
  }

 private:
  uint8_t* b_;
  size_t cap_;
  size_t n_ = 0;
  bool ok_ = true;
};

struct Parsed {
  uint16_t id = 0, flags = 0, qtype = 0, qclass = 0;
  size_t qend = 0;  // end of the question section
  char names[256];
  std::string_view labels[128];
  size_t nlabels = 0;
  size_t label_off[128];  // offset of each label's length octet in the message
  bool edns = false;
  uint16_t udp_size = 512;
  uint8_t edns_version = 0;
};

enum class ParseResult { kOk, kDrop, kFormErr, kNotImp };

ParseResult parse(std::span<const uint8_t> m, Parsed& p) {
  if (m.size() < kHeader) return ParseResult::kDrop;
  p.id = rd16(&m[0]);
  p.flags = rd16(&m[2]);
  if (p.flags & 0x8000) return ParseResult::kDrop;  // a response: never answer one
  uint16_t qd = rd16(&m[4]), an = rd16(&m[6]), ns = rd16(&m[8]), ar = rd16(&m[10]);
  if (((p.flags >> 11) & 0xF) != 0) return ParseResult::kNotImp;
  if (qd != 1 || an != 0 || ns != 0) return ParseResult::kFormErr;
  size_t pos = kHeader, used = 0;
  for (;;) {
    if (pos >= m.size()) return ParseResult::kFormErr;
    uint8_t len = m[pos];
    if (len == 0) {
      ++pos;
      break;
    }
    if (len > 63 || p.nlabels >= 127) return ParseResult::kFormErr;  // pointers and extended labels too
    if (pos + 1 + len > m.size() || used + len + 1 > 255) return ParseResult::kFormErr;
    p.label_off[p.nlabels] = pos;
    char* dst = p.names + used;
    for (size_t i = 0; i < len; ++i) {
      char c = static_cast<char>(m[pos + 1 + i]);
      dst[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    p.labels[p.nlabels++] = std::string_view(dst, len);
    used += len + 1;
    pos += 1 + len;
  }
  if (pos + 4 > m.size()) return ParseResult::kFormErr;
  p.qtype = rd16(&m[pos]);
  p.qclass = rd16(&m[pos + 2]);
  pos += 4;
  p.qend = pos;
  for (uint16_t i = 0; i < ar; ++i) {
    // Owner name (uncompressed or a pointer), then type, class, ttl, rdlen.
    size_t owner = pos;
    for (;;) {
      if (pos >= m.size()) return ParseResult::kFormErr;
      uint8_t len = m[pos];
      if ((len & 0xC0) == 0xC0) {
        pos += 2;
        break;
      }
      if (len > 63) return ParseResult::kFormErr;
      pos += 1 + len;
      if (len == 0) break;
    }
    if (pos + 10 > m.size()) return ParseResult::kFormErr;
    uint16_t type = rd16(&m[pos]), klass = rd16(&m[pos + 2]), rdlen = rd16(&m[pos + 8]);
    uint8_t version = m[pos + 5];
    if (pos + 10 + rdlen > m.size()) return ParseResult::kFormErr;
    if (type == kTypeOpt) {
      if (p.edns || pos != owner + 1) return ParseResult::kFormErr;  // one OPT, owner root
      p.edns = true;
      p.udp_size = std::max<uint16_t>(klass, 512);
      p.edns_version = version;
    }
    pos += 10 + rdlen;
  }
  if (pos != m.size()) return ParseResult::kFormErr;
  return ParseResult::kOk;
}

void header(Out& o, const Parsed& p, bool aa, bool tc, uint8_t rcode, uint16_t qd, uint16_t an, uint16_t ns,
            uint16_t ar) {
  uint16_t flags = static_cast<uint16_t>(0x8000 | (p.flags & 0x7800) | (aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) |
                                         (p.flags & 0x0100) | (rcode & 0xF));
  o.u16(p.id);
  o.u16(flags);
  o.u16(qd);
  o.u16(an);
  o.u16(ns);
  o.u16(ar);
}

void write_opt(Out& o, uint8_t ext_rcode) {
  o.u8(0);
  o.u16(kTypeOpt);
  o.u16(1232);
  o.u8(ext_rcode);
  o.u8(0);   // version
  o.u16(0);  // flags (DO not set: no DNSSEC here)
  o.u16(0);
}

size_t error_reply(const Parsed& p, std::span<const uint8_t> q, uint8_t rcode, bool with_question,
                   uint8_t* buf, size_t cap, bool aa = false, uint8_t ext_rcode = 0) {
  Out o(buf, cap);
  bool qd = with_question && p.qend > 0;
  header(o, p, aa, false, rcode, qd ? 1 : 0, 0, 0, p.edns ? 1 : 0);
  if (qd) o.bytes(q.data() + kHeader, p.qend - kHeader);
  if (p.edns) write_opt(o, ext_rcode);
  return o.ok() ? o.size() : 0;
}

bool suffix_equal(const Parsed& p, const std::vector<std::string>& labels, size_t upto) {
  // labels (leftmost first) equal p.labels[upto - labels.size() .. upto)
  if (labels.size() > upto) return false;
  size_t base = upto - labels.size();
  for (size_t i = 0; i < labels.size(); ++i)
    if (p.labels[base + i] != labels[i]) return false;
  return true;
}

void write_soa(Out& o, const dns::Soa& soa, uint16_t apex_ptr, uint32_t ttl) {
  o.u16(static_cast<uint16_t>(0xC000 | apex_ptr));
  o.u16(kTypeSoa);
  o.u16(1);
  o.u32(ttl);
  size_t at = o.size();
  o.u16(0);
  o.name(soa.mname);
  o.name(soa.rname);
  o.u32(soa.serial);
  o.u32(soa.refresh);
  o.u32(soa.retry);
  o.u32(soa.expire);
  o.u32(soa.minimum);
  if (o.ok()) o.put16(at, static_cast<uint16_t>(o.size() - at - 2));
}

}  // namespace

size_t answer(const ZoneSet& zones, std::span<const uint8_t> query, Transport transport, uint8_t* out,
              size_t cap, Collector& scratch, const AnswerOptions& options, const Client* client) {
  scratch.zone = -1;
  Parsed p;
  switch (parse(query, p)) {
    case ParseResult::kDrop: return 0;
    case ParseResult::kFormErr: return error_reply(p, query, 1, false, out, cap);
    case ParseResult::kNotImp: return error_reply(p, query, 4, false, out, cap);
    case ParseResult::kOk: break;
  }
  if (p.edns && p.edns_version != 0) return error_reply(p, query, 0, true, out, cap, false, 1);  // BADVERS
  if (p.qclass != 1 && p.qclass != 255) return error_reply(p, query, 5, true, out, cap);
  if (p.qtype == kTypeOpt) return error_reply(p, query, 1, true, out, cap);
  // Longest zone that holds the name.
  const ZoneSet::Zone* zone = nullptr;
  for (const auto& z : zones.zones())
    if (suffix_equal(p, z.labels, p.nlabels)) {
      zone = &z;
      break;
    }
  if (!zone) return error_reply(p, query, 5, true, out, cap);
  scratch.zone = static_cast<int>(zone - zones.zones().data());
  if (p.qtype == kTypeAxfr || p.qtype == kTypeIxfr) return error_reply(p, query, 5, true, out, cap, true);

  uint32_t acl = Dataset::kAclNone;
  if (zone->acl && client) acl = zone->acl->acl(client->addr, client->v6);
  if (acl == Dataset::kAclIgnore) return 0;
  if (acl == Dataset::kAclRefuse) return error_reply(p, query, 5, true, out, cap);
  // :empty and a template hide the data sets (generic ones too, as rbldnsd).
  bool hide = acl == Dataset::kAclEmpty || acl < Dataset::kAclIgnore;

  size_t rel = p.nlabels - zone->labels.size();
  uint16_t apex_ptr = static_cast<uint16_t>(rel == 0 ? kHeader : p.label_off[rel]);
  if (rel == 0 && p.nlabels == 0) apex_ptr = kHeader;
  bool keyed_apex = false;
  if (zone->keys && rel > 0) {
    // The label below the apex is the member's key; the rest is asked as if
    // the key were not there. The apex itself (SOA, NS) needs no key.
    if (zone->keys->member(p.labels[rel - 1]) < 0) return error_reply(p, query, 5, true, out, cap);
    --rel;
    keyed_apex = rel == 0;
  }
  scratch.clear();
  Found found = rel == 0 ? Found::kExists : Found::kNo;
  for (const auto& m : zone->mounts) {
    if (!suffix_equal(p, m.labels, rel)) {
      // A mount below the name makes it an empty non-terminal.
      if (found == Found::kNo && m.labels.size() > rel) {
        bool below = true;
        for (size_t i = 0; i < rel && below; ++i) below = m.labels[m.labels.size() - rel + i] == p.labels[i];
        if (below) found = Found::kExists;
      }
      continue;
    }
    size_t sub = rel - m.labels.size();
    if (sub == 0) found = std::max(found, Found::kExists);
    QueryName qn{p.labels, sub};
    bool listed_by_acl = false;
    if (client && client->limited) {
      bool dnsbl_name = false;
      for (const auto& ds : m.datasets) dnsbl_name = dnsbl_name || ds->well_formed(qn);
      if (dnsbl_name) {
        if (p.qtype == kTypeA || p.qtype == kTypeAny) scratch.add_a(kExcessiveQueriesA, 60);
        if (p.qtype == kTypeTxt || p.qtype == kTypeAny)
          scratch.add_text(kTypeTxt, "Excessive number of queries", 60);
        found = Found::kListed;
        break;
      }
    }
    for (const auto& ds : m.datasets) {
      if (!hide) {
        found = std::max(found, ds->query(qn, p.qtype, scratch));
      } else if (acl < Dataset::kAclIgnore) {
        listed_by_acl = listed_by_acl || ds->well_formed(qn);
      } else if (ds->type == "generic") {
        // :empty: generic names still exist, without their records (as
        // rbldnsd answers them).
        size_t keep = scratch.records.size();
        if (ds->query(qn, p.qtype, scratch) != Found::kNo) found = std::max(found, Found::kExists);
        scratch.records.resize(keep);
      }
    }
    if (listed_by_acl) {
      // Every name the data sets would answer for is listed, `$` being the
      // client's address (rbldnsd's acl A:TXT template).
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), client->addr, 16);
      IpAddress ip =
          client->v6 ? IpAddress::v6(b) : IpAddress::v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]});
      zone->acl->emit_value(acl, ip.to_string(), p.qtype, scratch);
      found = Found::kListed;
    }
    break;  // the longest mount that holds the name answers
  }

  // Response size: UDP to the client's EDNS buffer (at most max_udp), or 512.
  size_t limit = cap;
  if (transport == Transport::kUdp)
    limit =
        std::min(cap, p.edns ? std::max<size_t>(512, std::min<size_t>(p.udp_size, options.max_udp)) : 512);
  size_t opt_room = p.edns ? 11 : 0;
  Out body(out, limit > opt_room ? limit - opt_room : 0);
  header(body, p, true, false, 0, 1, 0, 0, 0);
  body.bytes(query.data() + kHeader, p.qend - kHeader);
  if (!body.ok()) return 0;  // cap below the question: nothing sensible to send
  uint16_t an = 0, ns = 0;
  bool tc = false;
  auto rr_head = [&](uint16_t type, uint32_t ttl, uint16_t owner) {
    body.u16(static_cast<uint16_t>(0xC000 | owner));
    body.u16(type);
    body.u16(1);
    body.u32(ttl);
  };
  if (rel == 0 && !keyed_apex) {  // KEY.zone exists, its SOA and NS are the zone's
    if (p.qtype == kTypeSoa || p.qtype == kTypeAny) {
      write_soa(body, zone->soa, apex_ptr, zone->soa.ttl);
      ++an;
    }
    if ((p.qtype == kTypeNs || p.qtype == kTypeAny) && !zone->ns.empty()) {
      for (const auto& n : zone->ns) {
        rr_head(kTypeNs, zone->ns_ttl, apex_ptr);
        size_t at = body.size();
        body.u16(0);
        body.name(n);
        if (body.ok()) body.put16(at, static_cast<uint16_t>(body.size() - at - 2));
        ++an;
      }
    }
  }
  for (const auto& r : scratch.records) {
    if (r.type == kTypeA) {
      rr_head(kTypeA, r.ttl, kHeader);
      body.u16(4);
      body.u32(r.a);
    } else if (r.type == kTypeTxt) {
      std::string_view t = scratch.text(r);
      size_t chunks = t.empty() ? 1 : (t.size() + 254) / 255;
      size_t rdlen = t.size() + chunks;
      if (rdlen > 65535) continue;
      rr_head(kTypeTxt, r.ttl, kHeader);
      body.u16(static_cast<uint16_t>(rdlen));
      if (t.empty()) body.u8(0);
      while (!t.empty()) {
        size_t n = std::min<size_t>(t.size(), 255);
        body.u8(static_cast<uint8_t>(n));
        body.bytes(t.data(), n);
        t.remove_prefix(n);
      }
    } else if (r.type == kTypeMx) {
      rr_head(kTypeMx, r.ttl, kHeader);
      size_t at = body.size();
      body.u16(0);
      body.u16(r.mx_pref);
      body.name(scratch.text(r));
      if (body.ok()) body.put16(at, static_cast<uint16_t>(body.size() - at - 2));
    } else {
      continue;
    }
    ++an;
  }
  uint8_t rcode = 0;
  if (an == 0) {
    if (found == Found::kNo) rcode = 3;
    // RFC 2308 3: the SOA's TTL is the smaller of its TTL and MINIMUM.
    write_soa(body, zone->soa, apex_ptr, std::min(zone->soa.ttl, zone->soa.minimum));
    ns = 1;
  }
  if (!body.ok()) {
    // RFC 2181 9: what does not fit is not sent in part; TC tells the
    // client to ask again over TCP.
    tc = true;
    an = ns = 0;
    body.truncate(p.qend);
  }
  size_t n = body.size();
  Out fin(out, limit);
  header(fin, p, true, tc, rcode, 1, an, ns, p.edns ? 1 : 0);
  fin.truncate(n);
  if (p.edns) write_opt(fin, 0);
  return fin.ok() ? fin.size() : 0;
}

}  // namespace rampart::dnsbl

// File: src/dnsbl/xfr.cc
// AXFR / IXFR / TSIG-signed queries and the zone journal; see xfr.h.
#include "dnsbl/xfr.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace rampart::dnsbl {
namespace {

// The journal keeps the last `versions` differences, and of those no more
// than add up to 1/`share` of the zone's records (records removed plus
// added; at least kJournalFloor, for small zones), dropping the oldest
// first: a secondary that needs more gets the whole zone, at most `share`
// times the size (RFC 1995 4: a server may send the whole zone). A packed
// record costs about 57 bytes and a live zone's entry 2 records, against
// some 10 bytes an entry in its data sets, so a journal as large as the
// zone cost more than the zone: the first build of a 1 M-entry live zone
// (every record added) stayed in it for `versions` builds, 115 of its
// 195 MB of heap (bench/dnsbl_live_bench).
constexpr size_t kJournalFloor = 4096;
void trim_journal(std::deque<std::shared_ptr<const Xfr::Diff>>& diffs, size_t versions, size_t share,
                  size_t records) {
  while (diffs.size() > versions) diffs.pop_front();
  size_t total = 0;
  for (const auto& d : diffs) total += d->removed.size() + d->added.size();
  const size_t bound = std::max(records / std::max<size_t>(share, 1), kJournalFloor);
  while (!diffs.empty() && total > bound) {
    total -= diffs.front()->removed.size() + diffs.front()->added.size();
    diffs.pop_front();
  }
}

constexpr uint16_t kTypeCname = 5, kTypeAxfr = 252, kTypeIxfr = 251;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v);
}
void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v >> 16));
  put16(s, static_cast<uint16_t>(v));
}

// Name at `pos` (no compression: a question) as dotted lower case.
bool question_name(std::span<const uint8_t> m, size_t& pos, std::string* out) {
  out->clear();
  while (pos < m.size()) {
    uint8_t l = m[pos];
    if (l == 0) {
      ++pos;
      return true;
    }
    if (l & 0xC0 || pos + 1 + l > m.size() || out->size() > 255) return false;
    if (!out->empty()) *out += '.';
    for (size_t i = 0; i < l; ++i)
      *out += static_cast<char>(std::tolower(static_cast<unsigned char>(m[pos + 1 + i])));
    pos += 1 + l;
  }
  return false;
}

bool skip_name(std::span<const uint8_t> m, size_t& pos) {
  while (pos < m.size()) {
    uint8_t l = m[pos];
    if (l == 0) return ++pos, true;
    if ((l & 0xC0) == 0xC0) return pos + 2 <= m.size() ? (pos += 2, true) : false;
    if (l & 0xC0) return false;
    pos += 1 + l;
  }
  return false;
}

Rr text_rr(const std::string& name, uint16_t type, uint32_t ttl, std::string_view text, uint16_t pref) {
  Rr r{name, type, ttl, {}};
  if (type == kTypeMx) {
    put16(r.rdata, pref);
    r.rdata += wire_name(text);
  } else {  // TXT: character-strings of at most 255 bytes (RFC 1035 3.3.14)
    if (text.empty()) r.rdata += '\0';
    for (size_t i = 0; i < text.size(); i += 255) {
      size_t n = std::min<size_t>(255, text.size() - i);
      r.rdata += static_cast<char>(n);
      r.rdata.append(text.substr(i, n));
    }
  }
  return r;
}

class RecordSink final : public DumpSink {
 public:
  RecordSink(std::vector<Rr>& out, std::string suffix, std::string excluded, size_t cap)
      : out_(out), suffix_(std::move(suffix)), excluded_(std::move(excluded)), cap_(cap) {}
  bool node(std::string_view name, const Collector& records) override {
    std::string owner = wire_name(std::string(name).append(name.empty() ? "" : ".").append(suffix_));
    for (const auto& r : records.records) {
      if (r.type == kTypeA) {
        Rr rr{owner, kTypeA, r.ttl, {}};
        put32(rr.rdata, r.a);
        out_.push_back(std::move(rr));
      } else {
        out_.push_back(text_rr(owner, r.type, r.ttl, records.text(r), r.mx_pref));
      }
    }
    return out_.size() <= cap_;
  }
  bool excluded(std::string_view name) override {
    std::string owner = wire_name(std::string(name).append(name.empty() ? "" : ".").append(suffix_));
    out_.push_back({owner, kTypeCname, kDefaultTtl, excluded_});
    return out_.size() <= cap_;
  }

 private:
  std::vector<Rr>& out_;
  std::string suffix_, excluded_;
  size_t cap_;
};

std::string header(std::span<const uint8_t> q, uint8_t rcode, bool aa) {
  std::string h(12, '\0');
  h[0] = static_cast<char>(q[0]);
  h[1] = static_cast<char>(q[1]);
  h[2] = static_cast<char>(0x80 | (q[2] & 0x79) | (aa ? 0x04 : 0));  // QR, opcode, RD
  h[3] = static_cast<char>(rcode);
  return h;
}

void set_count(std::string& m, int section, uint16_t n) {
  m[4 + 2 * section] = static_cast<char>(n >> 8);
  m[5 + 2 * section] = static_cast<char>(n);
}

void append_rr(std::string& m, const Rr& r) {
  m += r.name;
  put16(m, r.type);
  put16(m, 1);
  put32(m, r.ttl);
  put16(m, static_cast<uint16_t>(r.rdata.size()));
  m += r.rdata;
}

Rr soa_rr(const dns::Soa& soa) { return {wire_name(soa.name), kTypeSoa, soa.ttl, soa_rdata(soa)}; }

// RFC 1982 serial arithmetic: a > b.
bool serial_gt(uint32_t a, uint32_t b) { return a != b && static_cast<int32_t>(a - b) > 0; }

// DNS wildcards (RFC 4592) stop at the closest encloser: with `*.1.10`
// (10.1.0.0/16) and `3.2.1.10` (10.1.2.3), `1.2.1.10` would be NXDOMAIN at a
// secondary (closest encloser 2.1.10, no `*.2.1.10`) while rbldnsd's
// buckets list it under the /16. So every empty non-terminal below a
// wildcard's parent gets a copy of the nearest wildcard above it.
void fill_wildcards(std::vector<Rr>& rrs, const std::string& apex) {
  auto parent = [](std::string_view n) { return n.substr(1 + static_cast<uint8_t>(n[0])); };
  auto is_wild = [](std::string_view n) { return n.size() > 2 && n[0] == 1 && n[1] == '*'; };
  std::unordered_set<std::string_view> owners;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> wild;  // parent -> records [from, to)
  for (size_t i = 0; i < rrs.size(); ++i) {
    std::string_view n = rrs[i].name;
    owners.insert(n);
    if (is_wild(n)) {
      auto [it, fresh] = wild.try_emplace(parent(n), i, i + 1);
      if (!fresh) it->second.second = i + 1;
    }
  }
  if (wild.empty()) return;
  std::vector<Rr> extra;
  std::unordered_set<std::string> done;
  for (const auto& o : owners) {
    for (std::string_view a = parent(o); a.size() > apex.size(); a = parent(a)) {
      if (owners.count(a) || wild.count(a) || done.count(std::string(a))) continue;
      // The nearest wildcard above `a`.
      for (std::string_view p = parent(a); p.size() >= apex.size(); p = parent(p)) {
        auto w = wild.find(p);
        if (w == wild.end()) {
          if (p.size() == apex.size()) break;
          continue;
        }
        done.insert(std::string(a));
        for (size_t i = w->second.first; i < w->second.second; ++i) {
          Rr r = rrs[i];
          r.name = std::string("\x01*", 2) + std::string(a);
          extra.push_back(std::move(r));
        }
        break;
      }
    }
  }
  if (extra.empty()) return;
  rrs.insert(rrs.end(), std::make_move_iterator(extra.begin()), std::make_move_iterator(extra.end()));
  std::sort(rrs.begin(), rrs.end());
}

}  // namespace

PackedRrs::PackedRrs(const std::vector<Rr>& rrs) {
  size_t n = 0;
  for (const auto& r : rrs) n += 2 + r.name.size() + 2 + 4 + 2 + r.rdata.size();
  bytes_.reserve(n);
  for (const auto& r : rrs) append(r);
}

void PackedRrs::append(const Rr& r) {
  auto put16 = [&](size_t v) {
    bytes_ += static_cast<char>((v >> 8) & 255);
    bytes_ += static_cast<char>(v & 255);
  };
  put16(r.name.size());
  bytes_ += r.name;
  put16(r.type);
  put16(r.ttl >> 16);
  put16(r.ttl & 0xFFFF);
  put16(r.rdata.size());
  bytes_ += r.rdata;
  ++count_;
}

std::vector<Rr> PackedRrs::unpack() const {
  std::vector<Rr> out;
  out.reserve(count_);
  size_t p = 0;
  auto get16 = [&]() {
    const uint32_t v = uint32_t{static_cast<uint8_t>(bytes_[p])} << 8 | static_cast<uint8_t>(bytes_[p + 1]);
    p += 2;
    return v;
  };
  for (size_t i = 0; i < count_; ++i) {
    Rr r;
    const size_t nl = get16();
    r.name = bytes_.substr(p, nl);
    p += nl;
    r.type = static_cast<uint16_t>(get16());
    r.ttl = get16() << 16;
    r.ttl |= get16();
    const size_t rl = get16();
    r.rdata = bytes_.substr(p, rl);
    p += rl;
    out.push_back(std::move(r));
  }
  return out;
}

std::string soa_rdata(const dns::Soa& soa) {
  std::string r = wire_name(soa.mname) + wire_name(soa.rname);
  put32(r, soa.serial);
  put32(r, soa.refresh);
  put32(r, soa.retry);
  put32(r, soa.expire);
  put32(r, soa.minimum);
  return r;
}

Result<std::vector<Rr>> zone_records(const ZoneSet::Zone& zone, size_t max_records) {
  if (zone.keys)
    return fail(Errc::kLimit, "zone " + zone.apex + " has member keys in its names: not transferable");
  std::vector<Rr> rrs;
  for (const auto& ns : zone.ns)
    rrs.push_back({wire_name(zone.apex), kTypeNs, zone.ns_ttl ? zone.ns_ttl : zone.soa.ttl, wire_name(ns)});
  for (const auto& m : zone.mounts) {
    std::string suffix;
    for (const auto& l : m.labels) suffix += l + ".";
    suffix += zone.apex;
    for (const auto& ds : m.datasets) {
      RecordSink sink(rrs, suffix, wire_name("excluded." + zone.apex), max_records);
      DumpStatus st = ds->dump(sink);
      if (st == DumpStatus::kUnsupported)
        return fail(Errc::kLimit,
                    "zone " + zone.apex + ": data set type " + ds->type + " cannot be transferred");
      if (st == DumpStatus::kStopped || rrs.size() > max_records)
        return fail(Errc::kLimit, "zone " + zone.apex + ": more than " + std::to_string(max_records) +
                                      " records, not transferable (--xfr-max-records)");
    }
  }
  std::sort(rrs.begin(), rrs.end());
  // The same record from two data sets (or two entries) once.
  rrs.erase(std::unique(rrs.begin(), rrs.end(),
                        [](const Rr& a, const Rr& b) {
                          return a.name == b.name && a.type == b.type && a.rdata == b.rdata;
                        }),
            rrs.end());
  fill_wildcards(rrs, wire_name(zone.apex));
  return rrs;
}

Result<std::vector<Rr>> dataset_records(const std::string& apex, const DatasetPtr& ds, size_t max_records) {
  ZoneSet::Zone z;
  z.apex = apex;
  z.mounts.push_back({{}, {ds}});
  return zone_records(z, max_records);
}

ZoneSetPtr Xfr::update_live(const ZoneSetPtr& loaded, const ShardChanges& changes,
                            std::vector<std::string>* changed, std::vector<std::string>* log) {
  std::vector<uint32_t> serials;
  std::vector<std::shared_ptr<ZoneState>> states;
  std::map<std::string, std::shared_ptr<const ZoneState>> prev;
  {
    std::lock_guard lock(mu_);
    prev = zones_;
  }
  for (const auto& z : loaded->zones()) {
    auto st = std::make_shared<ZoneState>();
    st->on_demand = true;
    st->loaded_serial = z.soa.serial;
    auto it = prev.find(z.apex);
    const ZoneState* old = it == prev.end() || !it->second->on_demand ? nullptr : it->second.get();
    bool ok = true;
    Diff d;  // packed shard by shard: no vector of every changed record at once
    if (!old) {
      auto rrs = zone_records(z, options_.max_records);
      ok = rrs.has_value();
      st->records = ok ? rrs->size() : options_.max_records + 1;
      st->serial = z.soa.serial;
    } else {
      st->records = old->records;
      if (auto c = changes.find(z.apex); c != changes.end()) {
        for (const auto& [was, now] : c->second) {
          std::vector<Rr> a, b;
          if (was) {
            auto r = dataset_records(z.apex, was, options_.max_records);
            ok = ok && r.has_value();
            if (r) a = std::move(*r);
          }
          if (now) {
            auto r = dataset_records(z.apex, now, options_.max_records);
            ok = ok && r.has_value();
            if (r) b = std::move(*r);
          }
          std::vector<Rr> removed, added;
          std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(removed));
          std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(added));
          for (const auto& r : removed) d.removed.append(r);
          for (const auto& r : added) d.added.append(r);
        }
      }
      st->records = st->records + d.added.size() - std::min(st->records, d.removed.size());
      const bool same = d.removed.empty() && d.added.empty() && old->soa.mname == z.soa.mname &&
                        old->soa.rname == z.soa.rname && old->soa.refresh == z.soa.refresh &&
                        old->soa.retry == z.soa.retry && old->soa.expire == z.soa.expire &&
                        old->soa.minimum == z.soa.minimum && old->soa.ttl == z.soa.ttl;
      st->diffs = old->diffs;
      if (same) {
        st->serial = old->serial;
      } else {
        st->serial = serial_gt(z.soa.serial, old->serial) ? z.soa.serial : old->serial + 1;
        if (changed) changed->push_back(z.apex);
        d.from = old->soa;
        d.to = z.soa;
        d.to.serial = st->serial;
        if (ok && old->transferable) {
          d.removed.shrink_to_fit();
          d.added.shrink_to_fit();
          st->diffs.push_back(std::make_shared<const Diff>(std::move(d)));
          trim_journal(st->diffs, options_.journal, options_.journal_share, st->records);
        } else {
          st->diffs.clear();  // a gap: IXFR from before it gets the whole zone
        }
      }
    }
    if (z.keys) {
      st->why = "zone " + z.apex + " has member keys in its names: not transferable";
    } else if (!ok || st->records > options_.max_records) {
      st->why = "zone " + z.apex + ": more than " + std::to_string(options_.max_records) +
                " records, not transferable (--xfr-max-records)";
    }
    st->transferable = st->why.empty();
    if (!st->transferable && log && (!old || old->transferable)) log->push_back(st->why);
    st->soa = z.soa;
    st->soa.serial = st->serial;
    serials.push_back(st->serial);
    states.push_back(std::move(st));
  }
  auto served = loaded->with_serials(serials);
  std::map<std::string, std::shared_ptr<const ZoneState>> next;
  for (size_t i = 0; i < states.size(); ++i) {
    states[i]->source = served;
    next[loaded->zones()[i].apex] = std::move(states[i]);
  }
  {
    std::lock_guard lock(mu_);
    zones_ = std::move(next);
  }
  return served;
}

ZoneSetPtr Xfr::update(const ZoneSetPtr& loaded, std::vector<std::string>* changed,
                       std::vector<std::string>* log) {
  std::vector<uint32_t> serials;
  std::map<std::string, std::shared_ptr<const ZoneState>> next;
  std::map<std::string, std::shared_ptr<const ZoneState>> prev;
  {
    std::lock_guard lock(mu_);
    prev = zones_;
  }
  for (const auto& z : loaded->zones()) {
    auto st = std::make_shared<ZoneState>();
    st->loaded_serial = z.soa.serial;
    auto rrs = zone_records(z, options_.max_records);
    if (rrs) {
      st->transferable = true;
      st->rrs = std::move(*rrs);
    } else {
      st->why = rrs.error().message;
      if (log) log->push_back(st->why);
    }
    auto it = prev.find(z.apex);
    const ZoneState* old = it == prev.end() ? nullptr : it->second.get();
    auto same_soa = [&](const dns::Soa& a) {
      return a.mname == z.soa.mname && a.rname == z.soa.rname && a.refresh == z.soa.refresh &&
             a.retry == z.soa.retry && a.expire == z.soa.expire && a.minimum == z.soa.minimum &&
             a.ttl == z.soa.ttl;
    };
    if (!old) {
      st->serial = z.soa.serial;
    } else {
      bool same = st->transferable && old->transferable ? st->rrs == old->rrs && same_soa(old->soa)
                                                        : st->loaded_serial == old->loaded_serial;
      if (same) {
        st->serial = old->serial;
        st->diffs = old->diffs;
      } else {
        st->serial = serial_gt(z.soa.serial, old->serial) ? z.soa.serial : old->serial + 1;
        if (changed) changed->push_back(z.apex);
        if (st->transferable && old->transferable) {
          st->diffs = old->diffs;
          Diff d;
          d.from = old->soa;
          std::vector<Rr> removed, added;
          std::set_difference(old->rrs.begin(), old->rrs.end(), st->rrs.begin(), st->rrs.end(),
                              std::back_inserter(removed));
          std::set_difference(st->rrs.begin(), st->rrs.end(), old->rrs.begin(), old->rrs.end(),
                              std::back_inserter(added));
          d.removed = PackedRrs(removed);
          d.added = PackedRrs(added);
          d.to = z.soa;
          d.to.serial = st->serial;
          st->diffs.push_back(std::make_shared<const Diff>(std::move(d)));
          trim_journal(st->diffs, options_.journal, options_.journal_share, st->rrs.size());
        }
      }
    }
    st->soa = z.soa;
    st->soa.serial = st->serial;
    serials.push_back(st->serial);
    next[z.apex] = std::move(st);
  }
  {
    std::lock_guard lock(mu_);
    zones_ = std::move(next);
  }
  return loaded->with_serials(serials);
}

std::shared_ptr<const Xfr::ZoneState> Xfr::state(const std::string& apex) const {
  std::lock_guard lock(mu_);
  auto it = zones_.find(apex);
  return it == zones_.end() ? nullptr : it->second;
}

std::vector<std::pair<uint32_t, uint32_t>> Xfr::journal(const std::string& apex) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<uint32_t, uint32_t>> r;
  auto it = zones_.find(apex);
  if (it != zones_.end())
    for (const auto& d : it->second->diffs) r.emplace_back(d->from.serial, d->to.serial);
  return r;
}

bool Xfr::wants(std::span<const uint8_t> q) {
  if (q.size() < 12 || (q[2] & 0x80)) return false;
  size_t pos = 12;
  if (rd16(&q[4]) == 1) {
    if (!skip_name(q, pos) || pos + 4 > q.size()) return false;
    uint16_t type = rd16(&q[pos]);
    if (type == kTypeAxfr || type == kTypeIxfr) return true;
  }
  if (rd16(&q[10]) == 0) return false;
  TsigRecord t;
  bool formerr = false;
  return find_tsig(q, &t, &formerr) || formerr;
}

void Xfr::serve(const ZoneSet& zones, std::span<const uint8_t> q, Transport transport,
                const IpAddress& client, Collector& scratch, std::vector<std::string>* out, uint64_t now,
                const AnswerOptions& answer_options) {
  if (q.size() < 12) return;
  size_t pos = 12;
  std::string qname;
  uint16_t qtype = 0;
  bool have_q = rd16(&q[4]) == 1 && question_name(q, pos, &qname) && pos + 4 <= q.size();
  if (have_q) qtype = rd16(&q[pos]);
  size_t qend = have_q ? pos + 4 : 12;
  auto reply = [&](uint8_t rcode) {
    std::string m = header(q, rcode, false);
    if (have_q) {
      m.append(reinterpret_cast<const char*>(q.data()) + 12, qend - 12);
      set_count(m, 0, 1);
    }
    return m;
  };

  TsigCheck tc = tsig_verify(q, options_.keys, now);
  if (tc.present && tc.rcode == 1) {
    out->push_back(reply(1));
    return;
  }
  if (tc.present && tc.rcode == 9) {
    counters_.tsig_errors.fetch_add(1, std::memory_order_relaxed);
    std::string m = reply(9);
    if (tc.key) {
      std::string req_mac = tc.error == kTsigBadTime || tc.error == kTsigBadTrunc ? tc.record.mac : "";
      tsig_sign(m, *tc.key, req_mac, true, tc.error, tc.error == kTsigBadTime ? tc.record.time_signed : now,
                tc.record.fudge, now);
    } else {  // BADKEY: an unsigned TSIG naming the key asked for
      TsigKey unknown{tc.record.key_name, tc.record.algorithm, {}};
      tsig_sign(m, unknown, {}, true, tc.error, now, tc.record.fudge);
    }
    out->push_back(std::move(m));
    return;
  }
  const TsigKey* key = tc.present ? tc.key : nullptr;
  std::string mac = tc.present ? tc.record.mac : std::string();
  auto sign = [&](std::string& m, bool first) {
    if (key) mac = tsig_sign(m, *key, mac, first, 0, now, tc.record.fudge);
  };

  if (!(have_q && (qtype == kTypeAxfr || qtype == kTypeIxfr))) {
    // An ordinary query signed with TSIG: answered as usual, signed (an
    // unsigned one as usual).
    std::vector<uint8_t> stripped(
        q.begin(), tc.present ? q.begin() + static_cast<ptrdiff_t>(tc.unsigned_length) : q.end());
    if (tc.present) {
      uint16_t ar = static_cast<uint16_t>(rd16(&q[10]) - 1);
      stripped[10] = static_cast<uint8_t>(ar >> 8);
      stripped[11] = static_cast<uint8_t>(ar);
    }
    std::string buf(65535, '\0');
    size_t cap = transport == Transport::kTcp ? 65535 : 4096;
    Client who;  // the acl of the zone applies as to an unsigned query
    who.v6 = client.is_v6();
    std::memcpy(who.addr, client.bytes().data(), who.v6 ? 16 : 4);
    size_t n = answer(zones, stripped, transport, reinterpret_cast<uint8_t*>(buf.data()), cap - 200, scratch,
                      answer_options, &who);
    if (n == 0) return;
    buf.resize(n);
    sign(buf, true);
    out->push_back(std::move(buf));
    return;
  }

  // A zone transfer.
  const ZoneSet::Zone* zone = nullptr;
  for (const auto& z : zones.zones())
    if (z.apex == qname) zone = &z;
  bool allowed = std::any_of(options_.allow.begin(), options_.allow.end(),
                             [&](const IpPrefix& p) { return p.contains(client); });
  std::shared_ptr<const ZoneState> st;
  if (zone) {
    std::lock_guard lock(mu_);
    auto it = zones_.find(zone->apex);
    if (it != zones_.end()) st = it->second;
  }
  // The journal's version may be newer than `zones` for the moment of a
  // reload: it is served (a secondary may as well have the newer one).
  if (transport != Transport::kTcp || !zone || !allowed || (!options_.keys.empty() && !key) || !st ||
      !st->transferable) {
    counters_.refused.fetch_add(1, std::memory_order_relaxed);
    std::string m = reply(zone ? 5 : 9);  // NOTAUTH outside our zones (RFC 5936 2.2.1)
    sign(m, true);
    out->push_back(std::move(m));
    return;
  }
  // The client's serial for IXFR: the SOA in the authority section.
  const Diff* first_diff = nullptr;
  bool up_to_date = false;
  if (qtype == kTypeIxfr) {
    size_t p = qend;
    bool ok = rd16(&q[8]) >= 1 && rd16(&q[6]) == 0 && skip_name(q, p) && p + 10 <= q.size() &&
              rd16(&q[p]) == kTypeSoa;
    if (ok) {
      size_t rd = p + 10;
      ok = skip_name(q, rd) && skip_name(q, rd) && rd + 4 <= q.size();
      if (ok) {
        uint32_t serial = (uint32_t{rd16(&q[rd])} << 16) | rd16(&q[rd + 2]);
        if (serial == st->serial)
          up_to_date = true;
        else
          for (const auto& d : st->diffs)
            if (d->from.serial == serial) {
              first_diff = d.get();
              break;
            }
      }
    }
    if (!ok) {
      std::string m = reply(1);
      sign(m, true);
      out->push_back(std::move(m));
      return;
    }
  }
  // The records to send, in order.
  std::vector<const Rr*> seq;
  std::vector<Rr> soas;                   // owned SOA records (pointers into it stay valid: reserved)
  std::vector<Rr> dumped;                 // the records of an on_demand zone
  std::vector<std::vector<Rr>> unpacked;  // the journal's differences sent (reserved: pointers stay valid)
  unpacked.reserve(2 * st->diffs.size());
  soas.reserve(2 + 2 * st->diffs.size());
  soas.push_back(soa_rr(st->soa));
  seq.push_back(&soas.back());
  (qtype == kTypeAxfr         ? counters_.axfr
   : first_diff || up_to_date ? counters_.ixfr
                              : counters_.ixfr_full)
      .fetch_add(1, std::memory_order_relaxed);
  if (up_to_date) {
    // RFC 1995 2: only the current SOA.
  } else if (first_diff) {
    bool on = false;
    for (const auto& d : st->diffs) {
      on = on || d.get() == first_diff;
      if (!on) continue;
      soas.push_back(soa_rr(d->from));
      seq.push_back(&soas.back());
      unpacked.push_back(d->removed.unpack());
      for (const auto& r : unpacked.back()) seq.push_back(&r);
      soas.push_back(soa_rr(d->to));
      seq.push_back(&soas.back());
      unpacked.push_back(d->added.unpack());
      for (const auto& r : unpacked.back()) seq.push_back(&r);
    }
    seq.push_back(&soas.front());
  } else {  // AXFR, or IXFR from an unknown serial: the whole zone (RFC 1995 4)
    if (st->on_demand) {
      for (const auto& z : st->source->zones())
        if (z.apex == st->soa.name)
          if (auto r = zone_records(z, options_.max_records)) dumped = std::move(*r);
      for (const auto& r : dumped) seq.push_back(&r);
    }
    for (const auto& r : st->rrs) seq.push_back(&r);
    seq.push_back(&soas.front());
  }
  bool first = true;
  size_t i = 0;
  do {
    std::string m = header(q, 0, true);
    if (first) {
      m.append(reinterpret_cast<const char*>(q.data()) + 12, qend - 12);
      set_count(m, 0, 1);
    }
    uint16_t an = 0;
    while (i < seq.size() &&
           (an == 0 || m.size() + seq[i]->name.size() + seq[i]->rdata.size() + 10 <= options_.message_size)) {
      append_rr(m, *seq[i++]);
      ++an;
    }
    set_count(m, 1, an);
    sign(m, first);
    first = false;
    out->push_back(std::move(m));
  } while (i < seq.size());
}

std::string notify_message(const std::string& apex, const dns::Soa& soa, uint16_t id, const TsigKey* key,
                           uint64_t now, std::string* mac) {
  std::string m(12, '\0');
  m[0] = static_cast<char>(id >> 8);
  m[1] = static_cast<char>(id);
  m[2] = static_cast<char>(4 << 3 | 0x04);  // opcode NOTIFY, AA (RFC 1996 3.7)
  set_count(m, 0, 1);
  m += wire_name(apex);
  put16(m, kTypeSoa);
  put16(m, 1);
  set_count(m, 1, 1);  // the new SOA as a hint (RFC 1996 3.7)
  append_rr(m, soa_rr(soa));
  std::string sig;
  if (key) sig = tsig_sign(m, *key, {}, true, 0, now);
  if (mac) *mac = sig;
  return m;
}

}  // namespace rampart::dnsbl

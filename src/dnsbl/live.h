// File: src/dnsbl/live.h
// Live zones (issue 14): zones whose contents a program holds in memory
// (rampartd's reputation classes and manual overrides), written out in
// rbldnsd's own data-file syntax and loaded by the same loader as any data
// file, so a live zone answers exactly as a file-backed one, and travels by
// AXFR/IXFR the same way (xfr.h numbers and journals its versions).
//
//   dnsbl::LiveZone z;
//   z.apex = "bl.example";  z.data = dnsbl::LiveData::kIp;  z.serial = now;
//   z.entries.push_back({"192.0.2.1", 0x7f000002, "spammer: TRAP_HITS ..."});
//   z.entries.push_back({"198.51.100.0/24", 0x7f000004, "bot"});
//   dnsbl::LoadReport report;
//   auto zs = dnsbl::build_live_zones({z}, &report);       // Result<ZoneSetPtr>
//
// Incremental updates (LiveBuilder): a zone is cut into shards, an IPv4
// /16, an IPv6 /32, a domain's last two labels, each its own small data set;
// a change rebuilds only the shards it touches and the zone set served is a
// new vector of shard pointers, so an update is O(changes x shard size), not
// O(zone). Shards are disjoint in the DNS name space (prefixes wider than a
// shard are split into one piece per shard, no wildcard spans two shards),
// so the records of a zone are the union of its shards' records and the
// difference of one update is the union of the changed shards' differences
// (xfr.h Xfr::update_live).
//
//   dnsbl::LiveBuilder b({head});                              // heads: apex, data, ttl, ns, test_a
//   for (auto& s : dnsbl::live_shards(kIp, "192.0.2.0/24", &why)) b.set_shard(0, s, {entries}, &report);
//   auto zs = b.zones({serial});                               // ZoneSetPtr to serve
//   auto changes = b.take_changes();                           // (old, new) shards, for IXFR
//
// Every zone built here holds the RFC 5782 section 5 test entries: an IP
// zone lists 127.0.0.2 and ::ffff:127.0.0.2 and never 127.0.0.1 or
// ::ffff:127.0.0.1 (an entry that would cover them is dropped with a
// warning); a domain zone lists TEST and never INVALID (nor names below it).
// An IP zone is an ip4trie and an ip6trie data set (longest prefix wins), a
// domain zone a dnset where each entry lists the name and every name below
// it (`.name`). TXT texts are kept printable ASCII: control bytes become
// spaces, `$` is written `$$` (no template expansion of reasons).
//
// DIAGNOSTICS: build_live_zones fails (kInvalidArgument) for an empty or
// duplicate apex; a bad entry is skipped and named in `report` ("apex: key:
// why"), as a bad line of a data file is.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "dnsbl/dataset.h"
#include "dnsbl/zones.h"

namespace rampart::dnsbl {

enum class LiveData : uint8_t { kIp, kDomain };

struct LiveEntry {
  std::string key;  // "192.0.2.1", "192.0.2.0/24", "2001:db8::/64", "example.com"
  uint32_t a = kDefaultA;
  std::string txt;  // empty: no TXT
  // Not listed even inside a listed network (an rbldnsd `!` exclusion; the
  // longest prefix wins): a delisted address inside a listed /24.
  bool excluded = false;
};

struct LiveZone {
  std::string apex;
  LiveData data = LiveData::kIp;
  uint32_t ttl = 300;
  uint32_t serial = 1;
  std::vector<std::string> ns;  // $NS names; empty: SOA only
  uint32_t test_a = kDefaultA;  // the A of the RFC 5782 test entry
  std::vector<LiveEntry> entries;
};

// The zones with their entries at once (a LiveBuilder filled and asked once).
Result<ZoneSetPtr> build_live_zones(const std::vector<LiveZone>& zones, LoadReport* report);

// The shards an entry of a zone of `data` falls into (keys: '4' and the /16's
// two bytes, '6' and the /32's eight nibbles, 'd' and "tld.label"): one, or
// one per shard for a prefix wider than a shard (IPv4 down to /8, IPv6 to
// /24), or for a wider one the family's wide shard ("4", "6"). The wide
// shard answers where no shard exists; each shard with entries of its own
// under a wide network holds a copy of it cut to the shard (LiveBuilder
// adds it; after the wide shard changes the caller sets the shards of
// shards_under() again). Empty, with `why` set, for an entry that cannot
// be listed: not an address or a domain name, one label, covering
// 127.0.0.1 or naming INVALID (RFC 5782 5).
std::vector<std::string> live_shards(LiveData data, std::string_view key, std::string* why);

// Live zones updated shard by shard (see above). Not thread-safe: one
// builder thread owns it; the zone sets it returns are immutable.
class LiveBuilder {
 public:
  // The zones' heads: apex, data, ttl, ns, test_a (entries are ignored).
  // Fails (kInvalidArgument) for an empty or duplicate apex.
  static Result<LiveBuilder> create(std::vector<LiveZone> heads);

  // Replaces the entries of shard `shard` of zone `zone` (an index in the
  // heads) with `entries` (each must fall into that shard, live_shards;
  // a wider prefix is cut to the shard). Empty: the shard goes.
  void set_shard(size_t zone, const std::string& shard, std::vector<LiveEntry> entries, LoadReport* report);
  // The regular shards of zone `zone` (not the wide one) that lie inside
  // `key`, a network of the wide shard: after the wide shard changed, the
  // caller sets each of them again (with its own entries) so that its
  // copies of the wide networks follow.
  std::vector<std::string> shards_under(size_t zone, std::string_view key) const;
  // The zones as they stand, with these SOA serials (one per zone).
  ZoneSetPtr zones(const std::vector<uint32_t>& serials) const;
  // For each zone whose shards changed since the last call: (old, new)
  // data set of each changed shard (null: none).
  using Changes = std::map<std::string, std::vector<std::pair<DatasetPtr, DatasetPtr>>>;
  Changes take_changes();
  // Entries listed in zone `zone` (exclusions and test entries aside).
  size_t listed(size_t zone) const;
  const std::vector<LiveZone>& heads() const { return heads_; }

 private:
  struct Shard {
    DatasetPtr ds;
    size_t listed = 0;
  };
  std::vector<LiveEntry> ent_copies(size_t zone) const;
  std::vector<LiveZone> heads_;
  std::vector<std::map<std::string, Shard>> shards_;  // per zone, by shard key
  // Per zone, the entries of the wide shards ("4", "6").
  std::vector<std::map<std::string, std::vector<LiveEntry>>> wide_;
  std::vector<size_t> listed_;
  Changes changes_;
};

// Printable, rbldnsd-safe TXT: control bytes to spaces, `$` doubled, at most
// `max` bytes (cut at a UTF-8 boundary).
std::string live_txt(std::string_view text, size_t max = 1000);

}  // namespace rampart::dnsbl

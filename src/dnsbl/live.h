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

// The rbldnsd data-set texts of a zone: (type, text) pairs, the first one
// carrying $SOA and $NS.
std::vector<std::pair<std::string, std::string>> live_zone_texts(const LiveZone& zone, LoadReport* report);

Result<ZoneSetPtr> build_live_zones(const std::vector<LiveZone>& zones, LoadReport* report);

// Printable, rbldnsd-safe TXT: control bytes to spaces, `$` doubled, at most
// `max` bytes (cut at a UTF-8 boundary).
std::string live_txt(std::string_view text, size_t max = 1000);

}  // namespace rampart::dnsbl

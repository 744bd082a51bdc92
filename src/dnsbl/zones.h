// File: src/dnsbl/zones.h
// ZoneSet: the zones of an rbldnsd-style command line (`zone:type:file,...`)
// with their data sets, and answer(): one DNS query in wire form to one
// response in wire form, as an authoritative server gives it (RFC 1034 4.3.2,
// RFC 2308 negative answers, RFC 6891 EDNS(0), RFC 8020 empty
// non-terminals). Pure: bytes in, bytes out, no allocation once the
// caller's Collector is warm; the network is in src/server/dns.
//
//   auto specs = dnsbl::parse_zone_spec("bl.example:ip4set:spam.txt");   // Result<ZoneSpec>
//   auto zs = dnsbl::ZoneSet::load({*specs}, &report);                    // Result<ZoneSetPtr>
//   dnsbl::Collector scratch;                                             // one per thread
//   size_t n = dnsbl::answer(**zs, packet, dnsbl::Transport::kUdp, out, sizeof out, scratch);
//   if (n) send(out, n);                                                  // 0: stay silent
//
// DIAGNOSTICS: answer() returns 0 (no reply) for what is not a DNS query
// (shorter than a header, QR set); FORMERR for a query it cannot parse;
// NOTIMP for opcodes other than QUERY; REFUSED outside its zones, for
// classes other than IN and for zone transfers; BADVERS for EDNS versions
// other than 0. Truncated answers carry TC and no records (RFC 2181 9).
// A zone's acl data set may drop the query (0), refuse it, hide the data
// (:empty) or answer every name as listed (an A:TXT template). A zone with
// member keys answers DATA.KEY.zone only for a known key, REFUSED else.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dnsbl/dataset.h"

namespace rampart::dnsbl {

struct ZoneSpec {
  std::string zone;  // lower case, no trailing dot
  std::string type;
  std::vector<std::string> files;
};

// "zone:type:file,file". Fails (kConfig) on a missing part or an empty zone.
Result<ZoneSpec> parse_zone_spec(std::string_view spec);

class ZoneSet;
using ZoneSetPtr = std::shared_ptr<const ZoneSet>;

class ZoneSet {
 public:
  struct Mount {
    std::vector<std::string> labels;  // below the apex, leftmost first
    std::vector<DatasetPtr> datasets;
  };
  struct Zone {
    std::string apex;
    std::vector<std::string> labels;  // leftmost first
    std::vector<Mount> mounts;        // longest first
    dns::Soa soa;
    bool soa_synthesized = false;
    std::vector<std::string> ns;
    uint32_t ns_ttl = 0;
    DatasetPtr acl;   // rbldnsd's acl data set for this zone, or null
    DatasetPtr keys;  // member keys (ZONE:keys:FILE): names are DATA.KEY.zone
  };

  // Loads every data set once (the same type and files in several specs
  // share one) and builds the zones in command-line order.
  static Result<ZoneSetPtr> load(const std::vector<ZoneSpec>& specs, LoadReport* report,
                                 const LoadOptions& options = {});
  // From data sets already loaded (tests, fuzzing): (zone, data set) pairs.
  static ZoneSetPtr build(const std::vector<std::pair<std::string, DatasetPtr>>& zones);

  const std::vector<Zone>& zones() const { return zones_; }
  // The files read and their modification times when loaded (reload checks).
  const std::vector<std::pair<std::string, int64_t>>& files() const { return files_; }
  size_t entries() const;
  // A copy whose zones carry these SOA serials (zone transfers number the
  // versions: src/dnsbl/xfr.h); `serials` in the order of zones().
  ZoneSetPtr with_serials(const std::vector<uint32_t>& serials) const;

 private:
  void add(const std::string& zone, const DatasetPtr& ds);
  void finish();
  std::vector<Zone> zones_;
  std::vector<std::pair<std::string, int64_t>> files_;
  std::vector<DatasetPtr> all_;
};

enum class Transport { kUdp, kTcp };

// The address a query came from (acl data sets look it up).
struct Client {
  uint8_t addr[16] = {};  // IPv4: the first 4 bytes
  bool v6 = false;
  // Over its rate limit: DNSBL names get the conventional "excessive
  // queries" answer (A 127.255.255.255 and a TXT saying so) instead of data.
  bool limited = false;
};

constexpr uint32_t kExcessiveQueriesA = 0x7fffffff;  // 127.255.255.255

struct AnswerOptions {
  // Largest UDP answer we send whatever the client's EDNS buffer says
  // (DNS flag day 2020: 1232).
  size_t max_udp = 1232;
};

// Answers one query into `out` (`cap` bytes, at least 512; 65535 for TCP).
// Returns the response length, or 0 when no response should be sent.
// `client` (may be null: no acl applies) is the querier's address.
size_t answer(const ZoneSet& zones, std::span<const uint8_t> query, Transport transport, uint8_t* out,
              size_t cap, Collector& scratch, const AnswerOptions& options = {},
              const Client* client = nullptr);

}  // namespace rampart::dnsbl

// File: src/dnsbl/xfr.h
// Zone transfers of the DNSBL zones: AXFR (RFC 5936) and IXFR (RFC 1995)
// over TCP with TSIG (RFC 8945, tsig.h), and TSIG on ordinary queries (a
// secondary asks the SOA signed). Each zone is written out as a standard DNS
// zone as `rbldnsd -d` dumps it (README.md "Zone transfers"); every load is
// compared with the previous one, the SOA serial increases when the records
// changed, and the differences of the last `journal` versions are kept for
// IXFR. Pure: zone sets and bytes in, bytes out.
//
//   dnsbl::XfrOptions o;  o.allow.push_back(*parse_cidr("127.0.0.0/8"));  o.keys = {*key};
//   auto xfr = std::make_shared<dnsbl::Xfr>(o);
//   auto served = xfr->update(loaded, &changed, &log);   // serials assigned; serve `served`
//   if (dnsbl::Xfr::wants(query)) xfr->serve(*served, query, transport, client, scratch, &msgs, now);
//
// DIAGNOSTICS: serve() answers REFUSED for a transfer over UDP, from a
// client outside `allow`, unsigned when keys are configured, or of a zone
// that cannot be transferred (a data set type without a dump, more than
// `max_records` records, member keys); NOTAUTH with the TSIG error for a bad
// key, signature, time or a truncated MAC (RFC 8945 5.2); FORMERR for an
// IXFR without the client's SOA. update() logs a zone it cannot transfer.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/ip.h"
#include "dnsbl/tsig.h"
#include "dnsbl/zones.h"

namespace rampart::dnsbl {

// One resource record of a zone, uncompressed, name in lower case.
struct Rr {
  std::string name;  // wire form
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;
  friend bool operator<(const Rr& a, const Rr& b) {
    if (a.name != b.name) return a.name < b.name;
    if (a.type != b.type) return a.type < b.type;
    if (a.rdata != b.rdata) return a.rdata < b.rdata;
    return a.ttl < b.ttl;
  }
  friend bool operator==(const Rr& a, const Rr& b) {
    return a.name == b.name && a.type == b.type && a.rdata == b.rdata && a.ttl == b.ttl;
  }
};

// Records packed one after another in one buffer (name, type, TTL, rdata
// with their lengths): the journal's differences, at about a third of the
// memory of a vector of Rr (no allocation per name and rdata).
class PackedRrs {
 public:
  PackedRrs() = default;
  explicit PackedRrs(const std::vector<Rr>& rrs);
  void append(const Rr& r);
  void shrink_to_fit() { bytes_.shrink_to_fit(); }
  std::vector<Rr> unpack() const;
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  std::string bytes_;
  size_t count_ = 0;
};

// The records of `zone` but its SOA, sorted, at most `max_records`.
// Fails (kLimit) naming why the zone cannot be expressed.
Result<std::vector<Rr>> zone_records(const ZoneSet::Zone& zone, size_t max_records);
std::string soa_rdata(const dns::Soa& soa);
// The records of one data set attached at `apex`, as zone_records() writes them.
Result<std::vector<Rr>> dataset_records(const std::string& apex, const DatasetPtr& ds, size_t max_records);

struct XfrOptions {
  std::vector<IpPrefix> allow;  // clients that may transfer (none: nobody)
  std::vector<TsigKey> keys;    // when not empty, transfers must be signed with one
  size_t max_records = 2000000;
  size_t journal = 16;  // versions of differences kept for IXFR
  // ... holding at most 1/journal_share of the zone's records (at least
  // 4096; older ones are dropped first and their IXFR gets the whole zone).
  size_t journal_share = 8;
  size_t message_size = 16000;  // bytes of records per TCP message
};

class Xfr {
 public:
  explicit Xfr(XfrOptions options) : options_(std::move(options)) {}

  // Numbers the zones of a freshly loaded set: the serial of the previous
  // version, or when the records changed the greater of the loaded serial
  // and the previous one plus 1; journals the differences. Returns the set
  // to serve; `changed` gets the apex of each zone that changed (not on the
  // first load), `log` one line per zone that cannot be transferred.
  ZoneSetPtr update(const ZoneSetPtr& loaded, std::vector<std::string>* changed,
                    std::vector<std::string>* log);

  // Live zones (live.h LiveBuilder): numbers `loaded` as update() does, but
  // a zone's differences are those of its changed shards ((old, new) data
  // sets in `changes`; a zone not named there is unchanged), O(changes)
  // instead of comparing every record, and no records are kept: an AXFR
  // (or an IXFR from outside the journal) dumps the zone set served then.
  using ShardChanges = std::map<std::string, std::vector<std::pair<DatasetPtr, DatasetPtr>>>;
  ZoneSetPtr update_live(const ZoneSetPtr& loaded, const ShardChanges& changes,
                         std::vector<std::string>* changed, std::vector<std::string>* log);

  // True for what serve() must answer: AXFR, IXFR, or a TSIG record.
  static bool wants(std::span<const uint8_t> query);

  // Answers `query` into `out` (one message per element; several for a big
  // transfer). `client` is the querier's address.
  void serve(const ZoneSet& zones, std::span<const uint8_t> query, Transport transport,
             const IpAddress& client, Collector& scratch, std::vector<std::string>* out, uint64_t now,
             const AnswerOptions& answer_options = {});

  // Journal contents, for tests: (from, to) serials of each difference kept.
  std::vector<std::pair<uint32_t, uint32_t>> journal(const std::string& apex) const;

  // Transfers answered: AXFR, IXFR with differences (or up to date), IXFR
  // answered with the whole zone; transfers refused; TSIG errors (any query).
  struct Counters {
    std::atomic<uint64_t> axfr{0}, ixfr{0}, ixfr_full{0}, refused{0}, tsig_errors{0};
  };
  const Counters& counters() const { return counters_; }

  struct Diff {
    dns::Soa from, to;
    PackedRrs removed, added;
  };
  struct ZoneState {
    uint32_t serial = 0, loaded_serial = 0;
    dns::Soa soa;
    bool transferable = false;
    std::string why;
    std::vector<Rr> rrs;
    std::deque<std::shared_ptr<const Diff>> diffs;  // shared by the versions that keep them
    // update_live(): no `rrs`; their number, and the set to dump them from.
    bool on_demand = false;
    size_t records = 0;
    ZoneSetPtr source;
  };
  // The numbered state of one zone (null when none), for tests and tools.
  std::shared_ptr<const ZoneState> state(const std::string& apex) const;

 private:
  XfrOptions options_;
  Counters counters_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const ZoneState>> zones_;
};

// A NOTIFY (RFC 1996) for `apex` with its SOA, signed when `key` is given.
std::string notify_message(const std::string& apex, const dns::Soa& soa, uint16_t id, const TsigKey* key,
                           uint64_t now, std::string* mac);

}  // namespace rampart::dnsbl

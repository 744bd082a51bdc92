// File: src/dnsbl/dataset.h
// rbldnsd data sets, loaded from rbldnsd's own files unchanged: ip4set,
// ip4tset, ip4trie, ip6trie, ip6tset, dnset, generic and combined (see
// README.md for every syntax and the rules rbldnsd follows). Pure: text in,
// lookup structures out; no I/O but reading the named files.
//
//   dnsbl::LoadReport report;
//   auto ds = dnsbl::load_dataset("ip4set", {"spam.txt"}, &report);   // Result<DatasetPtr>
//   for (auto& w : report.warnings) log(w);                           // "spam.txt:12: bad address"
//   dnsbl::Collector out;
//   std::string_view labels[] = {"2", "0", "0", "127"};
//   dnsbl::Found f = (*ds)->query({labels, 4}, dnsbl::kTypeA, out);    // kListed, out has one A
//
// DIAGNOSTICS: load_dataset fails (kIo) when a file cannot be read, (kConfig)
// for an unknown type or a combined data set nested in a combined one; a bad
// line is skipped and named in LoadReport::warnings, as rbldnsd does.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dns/zone.h"

namespace rampart::dnsbl {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeNs = 2;
constexpr uint16_t kTypeSoa = 6;
constexpr uint16_t kTypeMx = 15;
constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kTypeAny = 255;

constexpr uint32_t kDefaultTtl = 2100;  // rbldnsd's default, 35 minutes
constexpr uint32_t kDefaultA = 0x7f000002;
constexpr uint32_t kExcluded = 0xFFFFFFFFu;  // value index of an exclusion

// What a data set returns for an entry: an A value and a TXT template
// (rbldnsd's `:A:TXT`). MX is used by the generic data set only.
struct Value {
  uint16_t type = kTypeA;  // kTypeA (A, optional TXT) or, in generic, kTypeTxt / kTypeMx
  uint32_t a = kDefaultA;
  bool has_txt = false;
  uint16_t mx_pref = 0;
  uint32_t ttl = 0;  // generic only; 0 = the data set's TTL
  std::string txt;   // TXT template, or the MX exchange
};

// A Value as a data set keeps it: the text in the data set's text arena.
struct StoredValue {
  uint16_t type;
  uint16_t mx_pref;
  uint32_t a;
  uint32_t ttl;
  uint32_t txt_off, txt_len;
  bool has_txt;
};

// One answer record being built. TXT text lives in the collector's arena.
struct OutRecord {
  uint16_t type;
  uint32_t ttl;
  uint32_t a;         // A
  uint16_t mx_pref;   // MX
  uint32_t off, len;  // TXT text or MX exchange, in Collector::arena
};

// Records found for one query, without allocation once warm (reused).
class Collector {
 public:
  void clear() {
    records.clear();
    arena.clear();
  }
  void add_a(uint32_t a, uint32_t ttl);
  void add_text(uint16_t type, std::string_view text, uint32_t ttl, uint16_t mx_pref = 0);
  // A TXT record of the text appended to `arena` since `start`.
  void commit_text(size_t start, uint32_t ttl);
  std::string_view text(const OutRecord& r) const { return {arena.data() + r.off, r.len}; }

  std::vector<OutRecord> records;
  std::string arena;
  // Set by answer(): the index in ZoneSet::zones() of the zone that
  // answered, -1 when none did (the server's counters per zone).
  int zone = -1;
};

enum class Found : uint8_t { kNo, kExists, kListed };

// Zone transfers (AXFR/IXFR, src/dnsbl/xfr.h): a data set written out as the
// names and records of a standard DNS zone, as `rbldnsd -d` dumps it. Names
// are relative to the point the data set is attached at, labels leftmost
// first, dotted ("" is that point, "*.2.0.192" a wildcard).
class DumpSink {
 public:
  virtual ~DumpSink() = default;
  // The records of one name (in `records`, text in its arena). False: stop.
  virtual bool node(std::string_view name, const Collector& records) = 0;
  // A name excluded from a wildcard above it (rbldnsd dumps a CNAME to
  // `excluded`). False: stop.
  virtual bool excluded(std::string_view name) = 0;
};
enum class DumpStatus : uint8_t { kOk, kStopped, kUnsupported };

class Dataset;
using DatasetPtr = std::shared_ptr<const Dataset>;

// A query below the point the data set is attached at: labels leftmost
// first, lower case, raw octets (the reversed address for IP data sets).
struct QueryName {
  const std::string_view* labels;
  size_t count;
};

struct Metadata {
  std::optional<dns::Soa> soa;  // $SOA, first in the data set
  bool soa_serial_from_mtime = false;
  uint32_t soa_ttl_raw = 0;  // 0 = data set TTL
  std::vector<std::string> ns;
  uint32_t ns_ttl = 0;  // 0 = data set TTL
  bool has_ns = false;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // Appends the records for `q` of `qtype` (A, TXT, MX, ANY; others only
  // report whether the name exists) to `out`.
  virtual Found query(const QueryName& q, uint16_t qtype, Collector& out) const = 0;
  // Entries held (after splitting ranges), for reports and benchmarks.
  virtual size_t entries() const = 0;
  // Sub data sets of a combined one, with the subzones (relative to the
  // base zone, "" for "@") each is attached at. Empty for the others.
  struct Part {
    DatasetPtr dataset;
    std::vector<std::string> subzones;
  };
  virtual const std::vector<Part>* parts() const { return nullptr; }
  // Writes every name and its records to `sink` (ip4set, ip4tset, ip4trie,
  // ip6trie, ip6tset, dnset, generic; acl and keys are kUnsupported). kStopped when the sink said stop.
  virtual DumpStatus dump(DumpSink& /*sink*/) const { return DumpStatus::kUnsupported; }

  // acl data sets: what to do with a query from `client` (IPv4 as the
  // address in host order with v6 = false, or 16 bytes with v6 = true).
  // kAclNone when no entry matches; else kAclIgnore / kAclRefuse /
  // kAclEmpty / kAclPass, or the value number of an A:TXT template.
  static constexpr uint32_t kAclNone = 0xFFFFFFFFu, kAclIgnore = 0xFFFFFFF0u, kAclRefuse = 0xFFFFFFF1u,
                            kAclEmpty = 0xFFFFFFF2u, kAclPass = 0xFFFFFFF3u;
  virtual uint32_t acl(const uint8_t* /*client*/, bool /*v6*/) const { return kAclNone; }
  // True when `q` is a name this data set answers for (an IPv4 set: four
  // octets), listed or not: an acl template lists exactly those.
  virtual bool well_formed(const QueryName& /*q*/) const { return false; }

  // keys data sets (rampart's, not rbldnsd's): member keys in query names
  // (KEY.zone). Returns the member's number for a valid key, -1 for an
  // unknown key, -2 for a revoked one; counts the query for the member.
  virtual int member(std::string_view /*key*/) const { return -1; }
  // (member name, queries) for every member.
  virtual std::vector<std::pair<std::string, uint64_t>> member_counts() const { return {}; }
  // Writes an acl template's records, `$` being the client's address.
  void emit_value(uint32_t value, std::string_view subst, uint16_t qtype, Collector& out) const {
    emit(value, subst, qtype, out);
  }

  std::string type;
  uint32_t ttl = kDefaultTtl;
  Metadata meta;
  int64_t newest_mtime = 0;

 protected:
  friend class Loader;
  // Writes a value's A and TXT (template expanded with `subst` for `$`).
  void emit(uint32_t value, std::string_view subst, uint16_t qtype, Collector& out) const;
  std::string_view text(const StoredValue& v) const { return {texts_.data() + v.txt_off, v.txt_len}; }
  std::vector<StoredValue> values_;
  std::string texts_;
  // `$0`..`$9` and the base template `$=`; null when the data set has none
  // (most: a live zone holds tens of thousands of small data sets).
  struct Templates {
    std::array<std::optional<std::string>, 10> vars;
    std::optional<std::string> base;
  };
  std::unique_ptr<Templates> templates_;
};

struct LoadReport {
  std::vector<std::string> warnings;
  size_t lines = 0;
  size_t parallel_files = 0;  // files parsed by two threads (LoadOptions::threads)
};

struct LoadOptions {
  // rbldnsd -e: allow CIDR prefixes with host bits set.
  bool allow_host_bits = false;
  size_t max_warnings = 1000;
  // ip4set/ip4tset files of at least `parallel_min_bytes` are read whole and
  // parsed by `threads` threads (1 or 2; the result is the same either way).
  unsigned threads = 2;
  size_t parallel_min_bytes = size_t{8} << 20;
};

// Loads the files of one data set as if they were one file (the default
// `:A:TXT` line starts afresh in each).
Result<DatasetPtr> load_dataset(std::string_view type, const std::vector<std::string>& files,
                                LoadReport* report = nullptr, const LoadOptions& options = {});
// The same from text held in memory (tests, fuzzing): one string per file.
Result<DatasetPtr> load_dataset_text(std::string_view type, const std::vector<std::string>& texts,
                                     LoadReport* report = nullptr, const LoadOptions& options = {});

// rbldnsd time values: a number with an optional unit s, m, h, d, w
// (several may follow each other: 1h30m).
std::optional<uint32_t> parse_time(std::string_view s);

// Expands a TXT template: `$` is `subst`, `$$` a dollar sign, `$0`..`$9` the
// data set's variables and, when a base template (`$=`) is set, the text
// goes into it in place of `$=` unless it starts with '='.
void expand_template(std::string_view tmpl, std::string_view subst,
                     const std::array<std::optional<std::string>, 10>& vars,
                     const std::optional<std::string>& base, std::string& out);

}  // namespace rampart::dnsbl

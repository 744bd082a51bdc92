// File: src/dns/zone.h
// Zone: an in-memory set of DNS records (name -> records) with the lookup
// rules of an authoritative server: NXDOMAIN versus NODATA (empty
// non-terminals are NODATA), wildcards (RFC 4592) and CNAME chains.
// ZoneResolver and the test DNS server answer from it; zone_file.h fills it.
//
//   Zone z;
//   z.add("example.com", Record{RRType::TXT, 300, Txt{{"v=spf1 -all"}}});
//   z.add("*.wild.example.com", Record{RRType::A, 60, IpAddress::v4(0x7f000001)});
//   ZoneLookup r = z.lookup("x.wild.example.com", RRType::A);  // kOk, one A
//
// Names are case-insensitive, keyed by their canonical spelling (name.h);
// the spelling a name was first added with is kept for the owner names of
// answers (a test server answers in the zone's case, as real ones do).
// DIAGNOSTICS: lookup() returns kOk, kNxDomain, kNoData, or kServFail for a
// CNAME loop or a chain longer than kMaxCnameChain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/resolver.h"

namespace rampart::dns {

constexpr int kMaxCnameChain = 8;

// Start of authority (RFC 1035 3.3.13). Not a Record alternative: zones keep
// it apart, servers put it in the authority section of negative answers.
struct Soa {
  std::string name;  // owner (the zone apex)
  uint32_t ttl = 3600;
  std::string mname;
  std::string rname;
  uint32_t serial = 1;
  uint32_t refresh = 3600;
  uint32_t retry = 600;
  uint32_t expire = 86400;
  uint32_t minimum = 300;  // negative-caching TTL (RFC 2308)
};

// A record with its owner name, as it appears in a message section.
struct ResourceRecord {
  std::string name;
  Record record;
};

struct ZoneLookup {
  Status status = Status::kNxDomain;
  std::vector<ResourceRecord> cnames;  // CNAMEs followed, in order (owner = alias)
  std::vector<Record> records;         // records of the asked type at the end of the chain
  std::string final_name;              // name the records belong to, as first added (case kept)
  std::string error;
};

class Zone {
 public:
  // Adds a record; the name is normalised. Names and their ancestors below
  // the root become existing nodes (ancestors without records are empty
  // non-terminals).
  void add(std::string_view name, Record record);
  // Sets the apex SOA; its owner becomes an existing name.
  void set_soa(Soa soa);
  // Records at exactly `name` (no wildcard, no CNAME), or nullptr.
  const std::vector<Record>* find(std::string_view name) const;
  // True if the name exists (has records or descendants).
  bool exists(std::string_view name) const;
  ZoneLookup lookup(std::string_view name, RRType type) const;

  size_t record_count() const { return records_; }
  size_t name_count() const { return nodes_.size(); }
  // Names that own records, sorted (for printing and tests).
  std::vector<std::string> names() const;

  std::optional<Soa> soa;  // apex SOA when the zone file had one
  std::string origin;      // $ORIGIN at the end of parsing, informational

 private:
  struct Node {
    std::vector<Record> records;
    std::string spelling;  // owner as first added, without trailing dot; "" for empty non-terminals
  };
  // The spelling of an existing node's name (the key when none was given).
  const std::string& spelling(const std::string& key) const;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Node& touch(std::string name);
  const Node* node(std::string_view lower_name) const;
  // Records of a node or of the wildcard that covers the name; nullptr when
  // the name does not exist.
  const Node* match(std::string_view lower_name, bool* exists) const;

  std::unordered_map<std::string, Node, Hash, std::equal_to<>> nodes_;
  size_t records_ = 0;
};

}  // namespace rampart::dns

// File: src/dns/zone_resolver.h
// ZoneResolver: the Resolver fake for tests, fuzzers and conformance suites.
// Answers synchronously (the callback runs before resolve() returns) from an
// in-memory Zone, with the rules of zone.h (NXDOMAIN vs NODATA, empty
// non-terminals, RFC 4592 wildcards, CNAME chains; a CNAME loop is
// kServFail), injectable failures, and query counters.
//
//   ZoneResolver dns;
//   dns.add("example.com", Record{RRType::TXT, 300, Txt{{"v=spf1 mx -all"}}});
//   dns.add("example.com", Record{RRType::MX, 300, Mx{10, "mail.example.com"}});
//   dns.set_failure("slow.example.com", RRType::ANY, Status::kTimeout);
//   auto a = dns.resolve_sync("EXAMPLE.com", RRType::TXT);   // kOk
//   EXPECT_EQ(dns.query_count(), 1u);
//   EXPECT_EQ(dns.query_count("example.com", RRType::TXT), 1u);
//
// Answers are memoised per (name, type) until the next add/load/set_failure,
// so repeated lookups cost one hash lookup and a shared_ptr copy.
// An invalid name (empty label, label > 63, name > 253) answers kNxDomain.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dns/resolver.h"
#include "dns/zone.h"

namespace rampart::dns {

class ZoneResolver final : public Resolver {
 public:
  ZoneResolver() = default;
  explicit ZoneResolver(Zone zone) : zone_(std::move(zone)) {}

  void add(std::string_view name, Record record);
  // Merges every record (and the SOA, if none yet) of `zone`.
  void load(const Zone& zone);
  // Makes lookups of `name` (exact, case-insensitive) of `type`, or of every
  // type when `type` is RRType::ANY, answer `status` (kTimeout, kServFail,
  // kMalformed...). Checked for the queried name only, not CNAME targets.
  void set_failure(std::string_view name, RRType type, Status status);
  void clear_failure(std::string_view name, RRType type);
  void clear_failures();

  void resolve(std::string_view name, RRType type, Callback cb) override;
  AnswerPtr lookup_now(std::string_view name, RRType type) override { return lookup(name, type); }
  // Same answer as resolve(), without the callback.
  AnswerPtr lookup(std::string_view name, RRType type);

  size_t query_count() const { return total_; }
  size_t query_count(std::string_view name, RRType type) const;
  // Every (name, type) asked, in order, when recording is on (off by default).
  void record_queries(bool on) { recording_ = on; }
  const std::vector<std::pair<std::string, RRType>>& queries() const { return log_; }
  void reset_counts();

  const Zone& zone() const { return zone_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, size_t, Hash, std::equal_to<>>;
  // Key: lower-case name + '/' + decimal type; built in a stack buffer.
  static std::string_view key(std::string_view lower, RRType type, char* buf);
  AnswerPtr compute(std::string_view lower, RRType type) const;

  Zone zone_;
  std::unordered_map<std::string, Status, Hash, std::equal_to<>> failures_;
  std::unordered_map<std::string, AnswerPtr, Hash, std::equal_to<>> memo_;
  Map counts_;
  size_t total_ = 0;
  bool recording_ = false;
  std::vector<std::pair<std::string, RRType>> log_;
};

}  // namespace rampart::dns

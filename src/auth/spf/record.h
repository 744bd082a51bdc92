// File: src/auth/spf/record.h
// Parsing SPF records (RFC 7208 sections 4.5, 4.6, 5, 6, 12) and Sender ID
// records (RFC 4406 section 3) into terms; no DNS, no evaluation.
//
//   auto kind = spf::classify_record("v=spf1 -all", Scope::kSpf1);  // kMatch
//   auto rec = spf::parse_record("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all");
//   if (!rec) -> rec.error().message says which term is wrong (permerror)
//   for (const Term& t : rec->terms) ...
//
// Every macro-string is checked here too, so a record with any syntax error
// anywhere is rejected before evaluation, as section 4.6 requires.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/spf/macro.h"
#include "core/ip.h"
#include "core/result.h"

namespace rampart::spf {

enum class Mechanism { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };
std::string_view mechanism_name(Mechanism m);

struct Term {
  char qualifier = '+';  // '+', '-', '~', '?'
  Mechanism mechanism = Mechanism::kAll;
  MacroString domain_spec;       // empty: the current domain (a, mx, ptr)
  IpAddress network;             // ip4 / ip6
  uint32_t net4 = 0, mask4 = 0;  // ip4: network and mask, host order, for a one-compare match
  unsigned cidr4 = 32;           // a, mx, ip4
  unsigned cidr6 = 128;          // a, mx, ip6
  std::string text;              // the term as written, for reasons and headers
};

struct Record {
  std::vector<Term> terms;
  bool has_redirect = false;
  MacroString redirect;
  bool has_exp = false;
  MacroString exp;
};

enum class RecordKind {
  kOther,  // not an SPF record for this scope
  kMatch,  // a record for the requested scope
  kSpf1,   // "v=spf1" (used when no spf2.0 record matches the scope)
};

enum class Scope {
  kSpf1,           // RFC 7208: v=spf1 records only
  kSenderIdMfrom,  // RFC 4406 with the MAIL FROM identity
  kSenderIdPra,    // RFC 4406 with the Purported Responsible Address
};

// Which kind of record `text` is for `scope` (RFC 7208 4.5, RFC 4406 3.3).
// For Scope::kSpf1 a v=spf1 record is kMatch. For Sender ID scopes an
// "spf2.0/..." record naming the scope is kMatch and v=spf1 is kSpf1.
RecordKind classify_record(std::string_view text, Scope scope);

// Parses a whole record (version included). Errors are permerror reasons.
Result<Record> parse_record(std::string_view text);

}  // namespace rampart::spf

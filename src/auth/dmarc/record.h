// File: src/auth/dmarc/record.h
// DMARC policy records (RFC 7489 sections 6.3 and 6.4): recognising a TXT
// record as DMARC, and parsing its tags.
//
//   if (dmarc::is_dmarc_record(txt)) {              // 6.6.3 steps 2 and 4
//     auto rec = dmarc::parse_record(txt);           // Result<Record>
//     if (rec) { rec->p; rec->sp; rec->pct; rec->rua[0].uri; rec->rua[0].max_bytes; }
//     else     { rec.error().message; }              // no policy: permerror
//   }
//   std::string s = dmarc::to_string(*rec);          // canonical "v=DMARC1; p=..."
//
// Tags: v (must come first, value exactly "DMARC1"), p, sp, adkim, aspf,
// pct (0-100), fo (0/1/d/s, colon-separated), rf (keywords, "afrf" known),
// ri (32-bit seconds), rua and ruf (comma-separated URIs with an optional
// "!<size>[k|m|g|t]" limit). Tag names are case-insensitive (ABNF literals),
// so are the keyword values; "DMARC1" is case-sensitive (%x44...).
//
// DIAGNOSTICS (what is an error and what is only a warning):
// - not starting with v=DMARC1, a malformed tag-list (a tag without "=", a bad
//   tag name, characters outside VALCHAR, a duplicate tag: RFC 6376 3.2 as
//   6.3 says) -> Errc::kParse: the record is unusable (permerror, no policy);
// - a missing or invalid "p", or an invalid "sp" (6.6.3 step 6): when "rua"
//   holds at least one valid URI the record acts as p=none
//   (Record::p_defaulted); otherwise Errc::kParse;
// - any other invalid value (pct=200, adkim=x, ri=abc, a bad URI, fo=z) is
//   replaced by its default and noted in Record::warnings (6.4: "syntax
//   errors in the remainder of the record SHOULD be discarded in favor of
//   default values"); unknown tags are ignored (6.3) and noted too;
// - "p" not right after "v" is accepted (as most receivers do) with a warning.
// Work is linear in the record; at most kMaxUris URIs per list are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::dmarc {

enum class Policy : uint8_t { kNone, kQuarantine, kReject };
enum class Alignment : uint8_t { kRelaxed, kStrict };

std::string_view policy_name(Policy p);        // "none" / "quarantine" / "reject"
std::string_view alignment_name(Alignment a);  // "r" / "s"

constexpr size_t kMaxUris = 32;

struct ReportUri {
  std::string uri;         // as written, without the size suffix
  uint64_t max_bytes = 0;  // 0: no limit given
  std::string size_text;   // "10m" as written, empty when none
  // For mailto: URIs, the address's domain (lower-case); for others, the
  // host of the authority; empty when none could be found.
  std::string host() const;
  bool is_mailto() const;
  std::string to_string() const;  // "mailto:a@b!10m"
};

struct FailureOptions {
  bool all = true;    // "0": report when all mechanisms fail to align-pass
  bool any = false;   // "1": report when any mechanism fails to align-pass
  bool dkim = false;  // "d": report any DKIM signature that fails
  bool spf = false;   // "s": report any SPF failure
};

struct Record {
  Policy p = Policy::kNone;
  std::optional<Policy> sp;  // unset: p applies to subdomains too
  Alignment adkim = Alignment::kRelaxed;
  Alignment aspf = Alignment::kRelaxed;
  unsigned pct = 100;
  FailureOptions fo;
  std::string fo_text = "0";               // as published (normalised), for reports
  std::vector<std::string> rf = {"afrf"};  // lower-case keywords
  uint32_t ri = 86400;
  std::vector<ReportUri> rua;
  std::vector<ReportUri> ruf;
  bool p_defaulted = false;  // p missing/invalid, acting as p=none (6.6.3 step 6)
  std::vector<std::string> warnings;

  Policy subdomain_policy() const { return sp ? *sp : p; }
};

// True when `txt` starts with a v=DMARC1 tag (6.6.3: other records are discarded).
bool is_dmarc_record(std::string_view txt);

Result<Record> parse_record(std::string_view txt);

// A canonical form of the record: "v=DMARC1; p=reject; ..." (defaults left out).
std::string to_string(const Record& r);

// One "URI[!size]" element; Errc::kParse if malformed.
Result<ReportUri> parse_report_uri(std::string_view text);

}  // namespace rampart::dmarc

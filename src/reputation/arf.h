// File: src/reputation/arf.h
// Abuse Reporting Format feedback reports (RFC 5965, with the
// authentication-failure fields of RFC 6591) into reputation events.
//
//   auto rep = reputation::parse_arf(raw);            // Result<ArfReport>
//   if (!rep) rejected.keep(raw, rep.error().message, now);   // kept for inspection
//   reputation::OriginalAuth auth = reputation::auth_from_headers(*rep, options, psl);
//   // or, where the original is complete: reauthenticate(*rep, dkim_verifier, psl) (arf_dkim.h)
//   auto ev = reputation::to_event(*rep, auth, now);  // Result<Event>: a complaint on the original's
//   identities engine.record(*ev);
//
// Accepted shapes (ArfReport::style, and a warning for each leniency):
//   kArf          multipart/report; report-type=feedback-report with a
//                 message/feedback-report part and the original as
//                 message/rfc822 (complete) or text/rfc822-headers (headers only)
//   kHeadersOnly  the same, original as headers only (also the non-standard
//                 message/rfc822-headers): no body, so no DKIM re-verification
//   kJmrp         Microsoft JMRP style: no feedback-report part, the original
//                 attached as message/rfc822 (or the whole report is one):
//                 read as Feedback-Type abuse
// Fields read from the feedback-report part (names any case, values
// unfolded; the part may be base64 or quoted-printable): Feedback-Type,
// User-Agent, Version, Source-IP, Original-Mail-From, Original-Rcpt-To,
// Arrival-Date, Reporting-MTA, Reported-Domain, Reported-URI, Incidents,
// Original-Envelope-Id; RFC 6591: Auth-Failure, Delivery-Result,
// DKIM-Domain, DKIM-Identity, DKIM-Selector, Identity-Alignment, SPF-DNS.
// Missing Source-IP: the first bracketed address of the original's top-most
// Received field, with a warning. Missing User-Agent or Version: warning.
//
// DIAGNOSTICS: parse_arf() returns Errc::kParse with the reason for a report
// it cannot use: "not a multipart report", "no original message or headers",
// "feedback-report part has no fields", "no Feedback-Type", "original has no
// header fields"; Errc::kLimit past ArfLimits::max_bytes. to_event() fails
// (kInvalidArgument) for auth-failure reports (not a complaint) and for an
// original without any identity (no IP and nothing verified). Nothing throws;
// parsing is linear and bounded by the MIME limits.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"
#include "reputation/event.h"

namespace rampart::dmarc {
class PublicSuffixList;
}

namespace rampart::reputation {

enum class ArfStyle : uint8_t { kArf, kHeadersOnly, kJmrp };
std::string_view arf_style_name(ArfStyle s);

struct ArfLimits {
  size_t max_bytes = 16 * 1024 * 1024;
};

struct ArfReport {
  ArfStyle style = ArfStyle::kArf;
  std::string feedback_type;  // lower-case: abuse, fraud, virus, other, not-spam, auth-failure
  std::string user_agent, version;
  std::optional<IpAddress> source_ip;
  bool source_ip_from_received = false;
  std::string original_mail_from;
  std::vector<std::string> original_rcpt_to;
  std::string arrival_date, reporting_mta, incidents, original_envelope_id;
  std::vector<std::string> reported_domains, reported_uris;
  // RFC 6591
  std::string auth_failure, delivery_result, dkim_domain, dkim_identity, dkim_selector, identity_alignment,
      spf_dns;

  std::string original;            // the original message (or its header section alone)
  bool original_complete = false;  // headers and body (message/rfc822)
  // From the original's header fields:
  std::string from, return_path, list_id, feedback_id, message_id;
  bool one_click = false;                           // List-Unsubscribe-Post: List-Unsubscribe=One-Click
  std::vector<std::string> authentication_results;  // field values, top first
  std::vector<std::string> dkim_signature_domains;  // d= of DKIM-Signature fields (claims)

  std::vector<std::string> warnings;
};

Result<ArfReport> parse_arf(std::string_view raw, const ArfLimits& limits = {});

// Authentication of the original message, however it was established.
struct OriginalAuth {
  AuthResult spf = AuthResult::kNone;
  AuthResult dkim = AuthResult::kNone;
  AuthResult dmarc = AuthResult::kNone;
  std::vector<std::string> dkim_pass_domains;
  std::string how;  // "authentication-results mx.example.net", "dkim re-verified", "none"
};

// From the original's Authentication-Results fields added by an authserv-id
// the operator trusts (the reporting provider's own MX). Untrusted or absent
// fields give all-none: the complaint then lands on the network identities only.
OriginalAuth auth_from_headers(const ArfReport& r, const std::vector<std::string>& trusted_authserv_ids);

// The complaint event (or not-spam event for Feedback-Type not-spam) on the
// original's identities, at `now`.
Result<Event> to_event(const ArfReport& r, const OriginalAuth& auth, int64_t now);

// Rejected reports kept for inspection: the newest `max_reports`, bounded
// to `max_bytes` in all. write_to() stores each as <n>.eml and <n>.reason.
class RejectedReports {
 public:
  explicit RejectedReports(size_t max_reports = 1000, size_t max_bytes = 64 << 20)
      : max_reports_(max_reports), max_bytes_(max_bytes) {}
  struct Entry {
    int64_t time = 0;
    std::string reason;
    std::string raw;
    uint64_t seq = 0;  // 1 for the first report ever kept, then 2, ...: stable while kept
  };
  void keep(std::string_view raw, std::string reason, int64_t time);
  const std::deque<Entry>& entries() const { return entries_; }
  uint64_t total() const { return total_; }
  const Entry* find(uint64_t seq) const;
  Status write_to(const std::string& dir) const;

 private:
  std::deque<Entry> entries_;
  size_t max_reports_, max_bytes_, bytes_ = 0;
  uint64_t total_ = 0;
};

}  // namespace rampart::reputation

// File: src/reports/complaint.h
// Outbound complaint reports, the pure part: where a subscriber's complaint
// about a message may be reported (RFC 9477 CFBL-Address, configured abuse
// contacts), what leaves (RFC 5965 ARF with RFC 6590 redaction), and how
// often (per-destination rate limits, duplicates dropped).
//
//   reports::Redactor red(secret);                       // HMAC-SHA256 of local-parts
//   auto cfbl = reports::cfbl_target(headers, dkim_results);     // Result<CfblTarget>
//   reports::Contacts contacts; contacts.add(*reports::Contact::parse("198.51.100.0/24",
//   "abuse@net.example")); std::vector<std::string> to = contacts.for_ip(ip);   // most specific network
//   first reports::ComplaintInput in{.original = raw, .recipients = {"alice@isp.example"}, ...}; std::string
//   arf = reports::write_complaint_report(in, opts, red); reports::Limiter lim({.per_destination_per_hour =
//   20}); if (lim.admit("fbl@esp.example", message_key(raw), now) == reports::Admit::kSend) send(arf);
//
// RFC 9477 (Complaint Feedback Loop Address Header) rules, 3.1 and 3.2: the
// message carries exactly one CFBL-Address field; the From field names one
// mailbox; a DKIM signature that verified (dkim=pass) with d= equal to the
// From domain covers CFBL-Address (and CFBL-Feedback-ID when the message has
// one) in h=; when the CFBL-Address domain differs from the From domain, a
// second verified signature with d= equal to the address's domain covers the
// same fields. Anything else: no report to that address (Errc::kNotFound with
// the reason). A report is only for a manual complaint (a subscriber's "this
// is spam"), never for a filtering decision (RFC 9477 5.2): the caller's job.
//
// RFC 6590 redaction: every recipient address (the complaining subscriber's,
// and every address in To, Cc, Delivered-To, X-Original-To and Envelope-To
// whose domain is one of the provider's own) has its local-part replaced by
// "redacted-" and 16 hex digits of HMAC-SHA256(secret, local-part lower-cased),
// wherever it occurs in the enclosed original (any case, and %40-encoded in
// URLs), and in Original-Rcpt-To. The same address gives the same token, so a
// sender can match repeated complaints without learning who complained.
// Recipient fields (To, Cc, Bcc, Delivered-To, X-Original-To, Envelope-To)
// that name one of the provider's addresses are written again as bare
// addresses, those redacted (display names dropped); a recipient field that
// does not parse is replaced by "redacted". The enclosed header section keeps
// Message-ID and CFBL-Feedback-ID, which RFC 9477 4 asks for.
// Only the header section is enclosed unless include_body is set (and the
// original is no larger than max_original; larger: headers only).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip.h"
#include "core/result.h"

namespace rampart::mime {
class HeaderSection;
}
namespace rampart::dkim {
struct SignatureResult;
}

namespace rampart::reports {

class Redactor {
 public:
  explicit Redactor(std::string secret) : secret_(std::move(secret)) {}
  // "redacted-0123456789abcdef"
  std::string local_part(std::string_view local) const;
  // "local@domain" -> "redacted-...@domain"; text without '@' is redacted whole.
  std::string address(std::string_view addr) const;
  // `text` with every occurrence of each address (ASCII case-insensitive, and
  // with '@' written %40) replaced by its redacted form.
  std::string scrub(std::string_view text, const std::vector<std::string>& addresses) const;

 private:
  std::string secret_;
};

struct CfblTarget {
  std::string address;      // addr-spec of CFBL-Address
  std::string domain;       // its domain, lower-case
  bool xarf = false;        // "; report=xarf" (an ARF report is sent anyway, RFC 9477 4)
  std::string feedback_id;  // CFBL-Feedback-ID, when present
};

Result<CfblTarget> cfbl_target(const mime::HeaderSection& headers,
                               const std::vector<dkim::SignatureResult>& dkim_results);

struct Contact {
  std::optional<IpPrefix> network;  // by the message's source address
  std::string domain;               // by a verified DKIM d= (the domain or a subdomain of it)
  std::string address;              // where reports go
  // "198.51.100.0/24" or "2001:db8::/32" or "example.net" (a domain).
  static Result<Contact> parse(std::string_view match, std::string_view address);
};

class Contacts {
 public:
  void add(Contact c) { contacts_.push_back(std::move(c)); }
  size_t size() const { return contacts_.size(); }
  // The addresses of the most specific networks holding `ip` (one prefix length).
  std::vector<std::string> for_ip(const IpAddress& ip) const;
  // The addresses of the longest configured domain equal to or a parent of `domain`.
  std::vector<std::string> for_domain(std::string_view domain) const;

 private:
  std::vector<Contact> contacts_;
};

enum class Admit { kSend, kDuplicate, kRateLimited };
std::string_view admit_name(Admit a);

struct LimiterOptions {
  int64_t per_destination_per_hour = 20;
  int64_t total_per_hour = 1000;
  int64_t dedup_seconds = 86400;
  size_t max_keys = 100000;  // remembered (destination, message) pairs; oldest forgotten first
};

// Not thread-safe: one worker owns it.
class Limiter {
 public:
  explicit Limiter(LimiterOptions o) : o_(o) {}
  // kDuplicate when (destination, key) was admitted within dedup_seconds;
  // kRateLimited past either hourly budget (sliding hour); else kSend,
  // remembered.
  Admit admit(std::string_view destination, std::string_view key, int64_t now);

 private:
  void expire(int64_t now);
  LimiterOptions o_;
  std::unordered_map<std::string, int64_t> seen_;  // destination + '\n' + key -> time
  std::deque<std::pair<int64_t, std::string>> seen_order_;
  std::unordered_map<std::string, std::deque<int64_t>> per_dest_;
  std::deque<int64_t> all_;
};

// A key identifying the message for duplicate detection: its Message-ID, or
// a hash of its header section when it has none.
std::string message_key(std::string_view original);

struct ComplaintInput {
  std::string_view original;            // the message complained about
  std::vector<std::string> recipients;  // the complaining subscriber(s), envelope addresses
  std::optional<IpAddress> source_ip;   // where the message came from
  std::string mail_from;                // envelope sender, when known
  int64_t arrival_unix = 0;             // 0: unknown
  std::string authentication_results;   // value, our own verdict, when known
  std::string reported_domain;          // e.g. the verified d= or the From domain
};

struct ReportOptions {
  std::string from;             // the report's From (must be DKIM-signed by the caller)
  std::vector<std::string> to;  // destinations
  std::string reporting_mta;    // host name for Reporting-MTA
  std::string user_agent = "rampart/0.1";
  std::vector<std::string> own_domains;  // subscribers' domains (empty: every address is redacted)
  bool include_body = false;
  size_t max_original = 256 * 1024;
  int64_t now = 0;
};

// The complete report message, CRLF line ends (RFC 5965 feedback-type abuse).
std::string write_complaint_report(const ComplaintInput& in, const ReportOptions& o, const Redactor& red);

}  // namespace rampart::reports

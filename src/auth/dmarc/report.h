// File: src/auth/dmarc/report.h
// DMARC reports: aggregate reports (RFC 7489 section 7.2 and the appendix C
// XML schema) collected in memory per policy domain and report period, and
// failure reports (7.3) in the ARF auth-failure format of RFC 6591.
//
//   dmarc::AggregateCollector agg({"Receiver Inc", "dmarc@receiver.example", ""},
//                                 std::chrono::hours(24));
//   agg.add(outcome, request, {ip, "bounce.example.com", "receiver.example"}, clock.unix_seconds());
//   for (const dmarc::AggregateReport& r : agg.take_due(clock.unix_seconds()))
//     send(r.policy.domain, dmarc::write_aggregate_xml(r));   // valid against rua.xsd
//
//   if (dmarc::wants_failure_report(outcome, request))
//     std::string mime = dmarc::write_failure_report(outcome, request, input);  // multipart/report
//
// Aggregation: one report per (policy domain, published record, period);
// periods are aligned on multiples of the period since the epoch (UTC), so
// daily reports run midnight to midnight. Rows are merged by every field
// that appears in the XML (source IP, disposition, aligned results, override
// reasons, identifiers, raw SPF/DKIM results) and counted. Only outcomes with
// a policy and a verdict of pass or fail are reported (appendix C has no
// place for temperror/permerror). Bounds: Limits::max_reports open at once
// and Limits::max_rows per report; what does not fit is counted and written
// as <error> in report_metadata instead of growing memory.
//
// XML: elements exactly as appendix C names and orders them, text escaped,
// bytes that are not valid UTF-8 or not allowed in XML 1.0 replaced by "?",
// IPv6 source addresses written as eight groups (the schema's IPAddress
// pattern accepts no "::"), IPv4-mapped addresses as IPv4.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "auth/dmarc/dmarc.h"
#include "core/ip.h"

namespace rampart::dmarc {

struct ReporterInfo {
  std::string org_name;            // report_metadata/org_name
  std::string email;               // report_metadata/email
  std::string extra_contact_info;  // optional
};

// What the receiver knows about a message besides the DMARC outcome.
struct MessageFacts {
  IpAddress source_ip;
  std::string envelope_from;  // RFC5321.MailFrom domain (empty for the null sender)
  std::string envelope_to;    // recipient domain (optional)
};

enum class OverrideType : uint8_t {
  kForwarded,
  kSampledOut,
  kTrustedForwarder,
  kMailingList,
  kLocalPolicy,
  kOther
};
std::string_view override_name(OverrideType t);  // "forwarded", "sampled_out", ...

struct OverrideReason {
  OverrideType type = OverrideType::kOther;
  std::string comment;
};

struct PolicyPublished {
  std::string domain;
  Alignment adkim = Alignment::kRelaxed;
  Alignment aspf = Alignment::kRelaxed;
  Policy p = Policy::kNone;
  Policy sp = Policy::kNone;
  unsigned pct = 100;
  std::string fo = "0";
};
PolicyPublished policy_published(const std::string& domain, const Record& rec);

struct AggregateRow {
  IpAddress source_ip;
  uint64_t count = 0;
  Policy disposition = Policy::kNone;
  bool dkim_pass = false;  // aligned DKIM pass
  bool spf_pass = false;   // aligned SPF pass
  std::vector<OverrideReason> reasons;
  std::string envelope_to;
  std::string envelope_from;
  std::string header_from;
  std::vector<DkimInput> dkim;
  SpfInput spf;
};

struct AggregateReport {
  ReporterInfo reporter;
  std::string report_id;
  int64_t begin = 0;  // unix seconds, inclusive
  int64_t end = 0;    // unix seconds (the period's last second)
  std::vector<std::string> errors;
  PolicyPublished policy;
  std::vector<AggregateRow> rows;
};

std::string write_aggregate_xml(const AggregateReport& report);

// The IP as the appendix C IPAddress pattern wants it.
std::string report_ip(const IpAddress& ip);

class AggregateCollector {
 public:
  struct Limits {
    size_t max_reports = 100000;  // open (domain, record, period) reports
    size_t max_rows = 10000;      // rows per report
  };
  AggregateCollector(ReporterInfo reporter, std::chrono::seconds period = std::chrono::hours(24));
  AggregateCollector(ReporterInfo reporter, std::chrono::seconds period, Limits limits);

  // Counts one evaluated message. `extra` adds override reasons the caller
  // decided (forwarded, local_policy...); sampled_out is added from the outcome.
  void add(const Outcome& outcome, const Request& request, const MessageFacts& facts, int64_t now_unix,
           const std::vector<OverrideReason>& extra = {});
  // Reports whose period ended at or before `now_unix`, removed from the collector.
  std::vector<AggregateReport> take_due(int64_t now_unix);
  // Every open report (shutdown); their end is still the period end.
  std::vector<AggregateReport> take_all();

  size_t open_reports() const { return open_.size(); }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Open {
    AggregateReport report;
    std::map<std::string, size_t> index;  // row key -> rows position
    uint64_t dropped_rows = 0;
  };
  void add_one(const Outcome& o, const Request& request, const MessageFacts& facts, int64_t now_unix,
               const std::vector<OverrideReason>& extra);
  AggregateReport finish(Open& open);

  ReporterInfo reporter_;
  int64_t period_;
  Limits limits_;
  std::map<std::string, Open> open_;  // key: begin|domain|record
  uint64_t seq_ = 0;
  uint64_t dropped_ = 0;
};

// --- failure reports (7.3, RFC 6591) ----------------------------------------

struct FailureReportInput {
  std::string reporter;                 // From: address of the report
  std::vector<std::string> recipients;  // To: addresses (from ruf mailto: URIs)
  std::string user_agent = "rampart/0.1";
  std::string message_id;  // without <>; derived when empty
  int64_t date_unix = 0;   // Date: of the report
  IpAddress source_ip;
  int64_t arrival_unix = 0;            // Arrival-Date (0: left out)
  std::string original_mail_from;      // Original-Mail-From (as given, without <>)
  std::string original_rcpt_to;        // Original-Rcpt-To (optional)
  std::string original_envelope_id;    // optional
  std::string authentication_results;  // A-R value without the field name; derived when empty
  std::string delivery_result;         // "delivered", "spam", "policy", "reject", "other" (optional)
  std::vector<std::string> spf_dns;    // SPF-DNS values (RFC 6591 3.2), when known
  std::string message;                 // the original message (or only its header section)
  bool headers_only = false;           // text/rfc822-headers instead of message/rfc822
};

// True when the record's fo= asks for a report for this outcome (6.3 "fo").
bool wants_failure_report(const Outcome& outcome, const Request& request);

// The whole report message: header + multipart/report body, CRLF line ends.
std::string write_failure_report(const Outcome& outcome, const Request& request,
                                 const FailureReportInput& in);

// "Tue, 14 Nov 2023 22:13:20 +0000" (RFC 5322 3.3), UTC.
std::string rfc5322_date(int64_t unix_seconds);

}  // namespace rampart::dmarc

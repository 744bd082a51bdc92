// report.cc — DMARC aggregate (RFC 7489 7.2, appendix C) and failure (7.3,
// RFC 6591) reports. See report.h.
#include "auth/dmarc/report.h"

#include "mime/feedback_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>

#include "core/strings.h"

namespace rampart::dmarc {

std::string_view override_name(OverrideType t) {
  switch (t) {
    case OverrideType::kForwarded: return "forwarded";
    case OverrideType::kSampledOut: return "sampled_out";
    case OverrideType::kTrustedForwarder: return "trusted_forwarder";
    case OverrideType::kMailingList: return "mailing_list";
    case OverrideType::kLocalPolicy: return "local_policy";
    case OverrideType::kOther: return "other";
  }
  return "other";
}

PolicyPublished policy_published(const std::string& domain, const Record& rec) {
  PolicyPublished p;
  p.domain = domain;
  p.adkim = rec.adkim;
  p.aspf = rec.aspf;
  p.p = rec.p;
  p.sp = rec.subdomain_policy();
  p.pct = rec.pct;
  p.fo = rec.fo_text;
  return p;
}

std::string report_ip(const IpAddress& ip) {
  IpAddress u = ip.unmapped();
  if (u.is_v4()) return u.to_string();
  std::string s;
  char buf[8];
  const auto& b = u.bytes();
  for (int i = 0; i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "%x", (b[2 * i] << 8) | b[2 * i + 1]);
    if (i) s += ':';
    s += buf;
  }
  return s;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  if (cp == 0xfffe || cp == 0xffff) return 0;
  return n;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += "&quot;"; continue;
      case '\'': out += "&apos;"; continue;
      default: break;
    }
    if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      out += '?';
    } else if (c == 0x7f) {
      out += '?';
    } else if (c >= 0x80) {
      size_t n = utf8_len(s, i);
      if (n == 0) {
        out += '?';
      } else {
        out.append(s.substr(i, n));
        i += n - 1;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

void element(std::string& out, int indent, std::string_view name, std::string_view text) {
  out.append(static_cast<size_t>(indent) * 2, ' ');
  out += '<';
  out += name;
  out += '>';
  out += xml_escape(text);
  out += "</";
  out += name;
  out += ">\n";
}

void open_tag(std::string& out, int indent, std::string_view name) {
  out.append(static_cast<size_t>(indent) * 2, ' ');
  out += '<';
  out += name;
  out += ">\n";
}

void close_tag(std::string& out, int indent, std::string_view name) {
  out.append(static_cast<size_t>(indent) * 2, ' ');
  out += "</";
  out += name;
  out += ">\n";
}

std::string pass_fail(bool pass) { return pass ? "pass" : "fail"; }

}  // namespace

std::string write_aggregate_xml(const AggregateReport& r) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n";
  element(x, 1, "version", "1.0");
  open_tag(x, 1, "report_metadata");
  element(x, 2, "org_name", r.reporter.org_name);
  element(x, 2, "email", r.reporter.email);
  if (!r.reporter.extra_contact_info.empty())
    element(x, 2, "extra_contact_info", r.reporter.extra_contact_info);
  element(x, 2, "report_id", r.report_id);
  open_tag(x, 2, "date_range");
  element(x, 3, "begin", std::to_string(r.begin));
  element(x, 3, "end", std::to_string(r.end));
  close_tag(x, 2, "date_range");
  for (const auto& e : r.errors) element(x, 2, "error", e);
  close_tag(x, 1, "report_metadata");

  open_tag(x, 1, "policy_published");
  element(x, 2, "domain", r.policy.domain);
  element(x, 2, "adkim", alignment_name(r.policy.adkim));
  element(x, 2, "aspf", alignment_name(r.policy.aspf));
  element(x, 2, "p", policy_name(r.policy.p));
  element(x, 2, "sp", policy_name(r.policy.sp));
  element(x, 2, "pct", std::to_string(r.policy.pct));
  element(x, 2, "fo", r.policy.fo);
  close_tag(x, 1, "policy_published");

  for (const auto& row : r.rows) {
    open_tag(x, 1, "record");
    open_tag(x, 2, "row");
    element(x, 3, "source_ip", report_ip(row.source_ip));
    element(x, 3, "count", std::to_string(row.count));
    open_tag(x, 3, "policy_evaluated");
    element(x, 4, "disposition", policy_name(row.disposition));
    element(x, 4, "dkim", pass_fail(row.dkim_pass));
    element(x, 4, "spf", pass_fail(row.spf_pass));
    for (const auto& reason : row.reasons) {
      open_tag(x, 4, "reason");
      element(x, 5, "type", override_name(reason.type));
      if (!reason.comment.empty()) element(x, 5, "comment", reason.comment);
      close_tag(x, 4, "reason");
    }
    close_tag(x, 3, "policy_evaluated");
    close_tag(x, 2, "row");
    open_tag(x, 2, "identifiers");
    if (!row.envelope_to.empty()) element(x, 3, "envelope_to", row.envelope_to);
    element(x, 3, "envelope_from", row.envelope_from);
    element(x, 3, "header_from", row.header_from);
    close_tag(x, 2, "identifiers");
    open_tag(x, 2, "auth_results");
    for (const auto& d : row.dkim) {
      open_tag(x, 3, "dkim");
      element(x, 4, "domain", d.domain);
      if (!d.selector.empty()) element(x, 4, "selector", d.selector);
      // DKIMResultType has no softfail: report it as fail.
      AuthResult res = d.result == AuthResult::kSoftFail ? AuthResult::kFail : d.result;
      element(x, 4, "result", auth_result_name(res));
      if (!d.human_result.empty()) element(x, 4, "human_result", d.human_result);
      close_tag(x, 3, "dkim");
    }
    open_tag(x, 3, "spf");
    element(x, 4, "domain", row.spf.domain);
    element(x, 4, "scope", spf_scope_name(row.spf.scope));
    // SPFResultType has no "policy": report it as fail.
    AuthResult sres = row.spf.result == AuthResult::kPolicy ? AuthResult::kFail : row.spf.result;
    element(x, 4, "result", auth_result_name(sres));
    close_tag(x, 3, "spf");
    close_tag(x, 2, "auth_results");
    close_tag(x, 1, "record");
  }
  x += "</feedback>\n";
  return x;
}

// --- collector -----------------------------------------------------------------

AggregateCollector::AggregateCollector(ReporterInfo reporter, std::chrono::seconds period)
    : AggregateCollector(std::move(reporter), period, Limits{}) {}

AggregateCollector::AggregateCollector(ReporterInfo reporter, std::chrono::seconds period, Limits limits)
    : reporter_(std::move(reporter)), period_(std::max<int64_t>(1, period.count())), limits_(limits) {}

void AggregateCollector::add(const Outcome& outcome, const Request& request, const MessageFacts& facts,
                             int64_t now_unix, const std::vector<OverrideReason>& extra) {
  if (outcome.per_domain.empty()) {
    add_one(outcome, request, facts, now_unix, extra);
  } else {
    for (const auto& o : outcome.per_domain) add_one(o, request, facts, now_unix, extra);
  }
}

void AggregateCollector::add_one(const Outcome& o, const Request& request, const MessageFacts& facts,
                                 int64_t now_unix, const std::vector<OverrideReason>& extra) {
  if (!o.record || (o.verdict != Verdict::kPass && o.verdict != Verdict::kFail)) return;
  int64_t begin = now_unix - ((now_unix % period_) + period_) % period_;
  std::string rec = to_string(*o.record);
  std::string key = std::to_string(begin) + "|" + o.policy_domain + "|" + rec;
  auto it = open_.find(key);
  if (it == open_.end()) {
    if (open_.size() >= limits_.max_reports) {
      ++dropped_;
      return;
    }
    Open fresh;
    fresh.report.reporter = reporter_;
    fresh.report.begin = begin;
    fresh.report.end = begin + period_ - 1;
    fresh.report.policy = policy_published(o.policy_domain, *o.record);
    it = open_.emplace(key, std::move(fresh)).first;
  }
  Open& open = it->second;

  AggregateRow row;
  row.source_ip = facts.source_ip.unmapped();
  row.disposition = o.disposition;
  row.dkim_pass = o.dkim_aligned;
  row.spf_pass = o.spf_aligned;
  if (o.sampled_out) row.reasons.push_back({OverrideType::kSampledOut, ""});
  for (const auto& r : extra) row.reasons.push_back(r);
  row.envelope_to = to_lower(facts.envelope_to);
  row.envelope_from = to_lower(facts.envelope_from);
  row.header_from = o.header_from;
  row.dkim = request.dkim;
  row.spf = request.spf;

  std::string k = report_ip(row.source_ip) + "|" + std::string(policy_name(row.disposition)) +
                  (row.dkim_pass ? "|P" : "|F") + (row.spf_pass ? "P" : "F");
  for (const auto& r : row.reasons) k += "|r:" + std::string(override_name(r.type)) + ":" + r.comment;
  k += "|" + row.envelope_to + "|" + row.envelope_from + "|" + row.header_from;
  for (const auto& d : row.dkim)
    k += "|d:" + d.domain + ":" + d.selector + ":" + std::string(auth_result_name(d.result)) + ":" +
         d.human_result;
  k += "|s:" + row.spf.domain + ":" + std::string(spf_scope_name(row.spf.scope)) + ":" +
       std::string(auth_result_name(row.spf.result));
  auto r = open.index.find(k);
  if (r != open.index.end()) {
    ++open.report.rows[r->second].count;
    return;
  }
  if (open.report.rows.size() >= limits_.max_rows) {
    ++open.dropped_rows;
    ++dropped_;
    return;
  }
  row.count = 1;
  open.index.emplace(std::move(k), open.report.rows.size());
  open.report.rows.push_back(std::move(row));
}

AggregateReport AggregateCollector::finish(Open& open) {
  AggregateReport r = std::move(open.report);
  r.report_id = std::to_string(r.begin) + "." + std::to_string(++seq_) + "." + r.policy.domain;
  if (open.dropped_rows)
    r.errors.push_back(std::to_string(open.dropped_rows) + " messages not reported: more than " +
                       std::to_string(limits_.max_rows) + " distinct rows");
  return r;
}

std::vector<AggregateReport> AggregateCollector::take_due(int64_t now_unix) {
  std::vector<AggregateReport> out;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.report.end < now_unix) {
      out.push_back(finish(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<AggregateReport> AggregateCollector::take_all() {
  std::vector<AggregateReport> out;
  for (auto& [k, open] : open_) out.push_back(finish(open));
  open_.clear();
  return out;
}

// --- failure reports --------------------------------------------------------------

std::string rfc5322_date(int64_t unix_seconds) { return mime::rfc5322_date(unix_seconds); }

bool wants_failure_report(const Outcome& o, const Request& req) {
  if (!o.record || o.record->ruf.empty()) return false;
  if (o.verdict != Verdict::kPass && o.verdict != Verdict::kFail) return false;
  const FailureOptions& fo = o.record->fo;
  if (fo.all && o.verdict == Verdict::kFail) return true;
  if (fo.any && (!o.dkim_aligned || !o.spf_aligned)) return true;
  if (fo.dkim)
    for (const auto& d : req.dkim)
      if (d.result == AuthResult::kFail || d.result == AuthResult::kPermError) return true;
  if (fo.spf && (req.spf.result == AuthResult::kFail || req.spf.result == AuthResult::kSoftFail ||
                 req.spf.result == AuthResult::kPermError))
    return true;
  return false;
}

std::string write_failure_report(const Outcome& o, const Request& req, const FailureReportInput& in) {
  const std::string ip = in.source_ip.unmapped().to_string();
  mime::FeedbackReport r;
  r.original = mime::to_crlf(in.message);
  r.headers_only = in.headers_only;
  if (in.headers_only) r.original.resize(mime::header_section_of(r.original).size());
  if (r.original.size() >= 2 && r.original.substr(r.original.size() - 2) != "\r\n") r.original += "\r\n";
  r.boundary = mime::feedback_boundary("=_rampart_dmarc_", r.original);

  std::string ar = mime::header_safe(in.authentication_results);
  if (ar.empty()) {
    ar = "dmarc=" + std::string(verdict_name(o.verdict)) + " header.from=" + mime::header_safe(o.header_from);
  }
  std::string align;
  if (o.dkim_identifier_aligned) align = "dkim";
  if (o.spf_identifier_aligned) align += align.empty() ? "spf" : ", spf";
  if (align.empty()) align = "none";

  r.from = in.reporter;
  r.to = in.recipients;
  r.date_unix = in.date_unix;
  r.subject = "DMARC failure report for " + mime::header_safe(o.header_from) + " from " + ip;
  r.message_id = in.message_id;
  if (r.message_id.empty()) {
    std::string at = in.reporter.substr(
        in.reporter.rfind('@') == std::string::npos ? in.reporter.size() : in.reporter.rfind('@') + 1);
    r.message_id = "dmarc-ruf." + std::to_string(in.date_unix) + "." + r.boundary.substr(16) + "@" +
                   (at.empty() ? std::string("localhost") : at);
  }

  // Part 1: human-readable.
  r.text = "This is an authentication failure report for an email message received\nfrom IP " + ip;
  if (in.arrival_unix) r.text += " on " + rfc5322_date(in.arrival_unix);
  r.text += ".\n";
  std::string why;
  for (char c : o.reason) why += (static_cast<unsigned char>(c) < 0x80 && c != '\r' && c != '\n') ? c : '?';
  r.text += "DMARC result: " + std::string(verdict_name(o.verdict)) + " (" + why + ").\n";

  // Part 2: the machine-readable report (RFC 6591 3.1, RFC 7489 7.3.1).
  auto& f = r.fields;
  f.emplace_back("Feedback-Type", "auth-failure");
  f.emplace_back("User-Agent", in.user_agent);
  f.emplace_back("Version", "1");
  if (!in.original_envelope_id.empty()) f.emplace_back("Original-Envelope-Id", in.original_envelope_id);
  f.emplace_back("Original-Mail-From", "<" + mime::header_safe(in.original_mail_from) + ">");
  if (!in.original_rcpt_to.empty())
    f.emplace_back("Original-Rcpt-To", "<" + mime::header_safe(in.original_rcpt_to) + ">");
  if (in.arrival_unix) f.emplace_back("Arrival-Date", rfc5322_date(in.arrival_unix));
  f.emplace_back("Source-IP", ip);
  f.emplace_back("Reported-Domain", o.header_from);
  f.emplace_back("Authentication-Results", ar);
  f.emplace_back("Auth-Failure", "dmarc");
  f.emplace_back("Identity-Alignment", align);
  if (!in.delivery_result.empty()) f.emplace_back("Delivery-Result", in.delivery_result);
  if (o.aligned_dkim_failure && *o.aligned_dkim_failure < req.dkim.size()) {
    const DkimInput& d = req.dkim[*o.aligned_dkim_failure];
    f.emplace_back("DKIM-Domain", d.domain);
    f.emplace_back("DKIM-Identity", "@" + d.domain);
    if (!d.selector.empty()) f.emplace_back("DKIM-Selector", d.selector);
  }
  for (const auto& s : in.spf_dns) f.emplace_back("SPF-DNS", s);
  return mime::write_feedback_report(r);
}

}  // namespace rampart::dmarc

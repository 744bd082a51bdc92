// File: src/mime/feedback_report.h
// Writing an Abuse Reporting Format message (RFC 5965 section 2): the
// multipart/report; report-type=feedback-report envelope shared by DMARC
// failure reports (RFC 6591, src/auth/dmarc/report.h) and rampart's outbound
// complaint reports (src/reports).
//
//   mime::FeedbackReport r;
//   r.from = "abuse-reports@isp.example"; r.to = {"fbl@esp.example"};
//   r.subject = "Abuse report for 192.0.2.1"; r.date_unix = now;
//   r.boundary = mime::feedback_boundary("=_rampart_fbl_", original);
//   r.message_id = "fbl.1700000000.123@isp.example";
//   r.text = "A subscriber reported this message as spam.";
//   r.fields = {{"Feedback-Type", "abuse"}, {"User-Agent", "rampart/0.1"}, {"Version", "1"}};
//   r.original = original; r.headers_only = true;
//   std::string msg = mime::write_feedback_report(r);   // CRLF line ends
//
// The three parts (RFC 5965 2): a text/plain part for people, the
// message/feedback-report part of `fields` in order, and the original as
// message/rfc822 or, with headers_only, its header section as
// text/rfc822-headers (RFC 6522). Header and field values are written on one
// line each with CR, LF and NUL removed, so nothing taken from a message can
// add a field; the text part's non-ASCII bytes become '?'. The original's line
// ends are made CRLF and its transfer encoding is declared 8bit when it has
// 8-bit bytes. The boundary must not occur in the original:
// feedback_boundary() derives one from the content and extends it until it
// does not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::mime {

struct FeedbackReport {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string message_id;  // without <>
  int64_t date_unix = 0;
  std::string boundary;                                     // feedback_boundary()
  std::string text;                                         // part 1, lines separated by '\n'
  std::vector<std::pair<std::string, std::string>> fields;  // part 2
  std::string original;                                     // the message or its header section
  bool headers_only = false;
  // Extra header fields of the report message itself (name, value), after Date.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

std::string write_feedback_report(const FeedbackReport& r);

// `prefix` + a number derived from `original`, extended until it does not occur in it.
std::string feedback_boundary(std::string_view prefix, std::string_view original);

// "Tue, 14 Nov 2023 22:13:20 +0000" (RFC 5322 3.3), UTC.
std::string rfc5322_date(int64_t unix_seconds);

// A value safe for one header line: CR, LF and NUL removed.
std::string header_safe(std::string_view v);

// Every line end (CR, LF or CRLF) as CRLF.
std::string to_crlf(std::string_view s);

// The header section of `message` (up to and including the CRLF that ends the
// last field), or the whole message when it has no empty line.
std::string_view header_section_of(std::string_view crlf_message);

}  // namespace rampart::mime

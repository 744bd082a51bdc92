#include "mime/feedback_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>

namespace rampart::mime {

std::string rfc5322_date(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string header_safe(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  return out;
}

std::string to_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view header_section_of(std::string_view m) {
  if (m.starts_with("\r\n")) return m.substr(0, 0);
  size_t end = m.find("\r\n\r\n");
  return end == std::string_view::npos ? m : m.substr(0, end + 2);
}

std::string feedback_boundary(std::string_view prefix, std::string_view original) {
  std::string b = std::string(prefix) + std::to_string(std::hash<std::string_view>{}(original) % 1000000007);
  while (original.find(b) != std::string_view::npos) b += "_x";
  return b;
}

std::string write_feedback_report(const FeedbackReport& r) {
  std::string original = to_crlf(r.original);
  if (r.headers_only) original.resize(header_section_of(original).size());
  if (original.size() >= 2 && original.substr(original.size() - 2) != "\r\n") original += "\r\n";
  const bool eight_bit = std::any_of(original.begin(), original.end(),
                                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  std::string m;
  m += "From: " + header_safe(r.from) + "\r\n";
  if (!r.to.empty()) {
    m += "To: ";
    for (size_t i = 0; i < r.to.size(); ++i) m += (i ? ", " : "") + header_safe(r.to[i]);
    m += "\r\n";
  }
  m += "Date: " + rfc5322_date(r.date_unix) + "\r\n";
  for (const auto& [name, value] : r.extra_headers)
    m += header_safe(name) + ": " + header_safe(value) + "\r\n";
  m += "Subject: " + header_safe(r.subject) + "\r\n";
  m += "Message-ID: <" + header_safe(r.message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m +=
      "Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"" + r.boundary + "\"\r\n";
  m += "\r\n";
  m += "This is a MIME-formatted message.\r\n\r\n";

  // Part 1: for people.
  m += "--" + r.boundary + "\r\n";
  m += "Content-Type: text/plain; charset=\"US-ASCII\"\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
  for (char c : r.text) {
    if (c == '\n')
      m += "\r\n";
    else if (c != '\r')
      m += static_cast<unsigned char>(c) < 0x80 && c != '\0' ? c : '?';
  }
  if (!r.text.empty() && r.text.back() != '\n') m += "\r\n";
  m += "\r\n";

  // Part 2: the machine-readable report.
  m += "--" + r.boundary + "\r\n";
  m += "Content-Type: message/feedback-report\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
  for (const auto& [name, value] : r.fields) m += header_safe(name) + ": " + header_safe(value) + "\r\n";
  m += "\r\n";

  // Part 3: the message or its header section.
  m += "--" + r.boundary + "\r\n";
  m += r.headers_only ? "Content-Type: text/rfc822-headers\r\n" : "Content-Type: message/rfc822\r\n";
  m += std::string("Content-Transfer-Encoding: ") + (eight_bit ? "8bit" : "7bit") + "\r\n\r\n";
  m += original;
  m += "\r\n--" + r.boundary + "--\r\n";
  return m;
}

}  // namespace rampart::mime

// File: src/reputation/maillog.cc
// Unknown-recipient rejects from Postfix log lines (see maillog.h).
#include "reputation/maillog.h"

#include <array>
#include <cctype>
#include <ctime>
#include <string>

#include "core/civil_time.h"
#include "core/strings.h"

namespace rampart::reputation {

namespace {

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<int64_t> unix_time(int y, int mon, int d, int h, int mi, int s) {
  if (mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1970 || y > 9999)
    return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + s;
}

// "HH:MM:SS" -> h, m, s.
bool clock_time(std::string_view t, int& h, int& m, int& s) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return false;
  if (!digits(t.substr(0, 2)) || !digits(t.substr(3, 2)) || !digits(t.substr(6, 2))) return false;
  h = to_int(t.substr(0, 2));
  m = to_int(t.substr(3, 2));
  s = to_int(t.substr(6, 2));
  return true;
}

// The time stamp at the start of the line and what follows it.
std::optional<int64_t> stamp(std::string_view& line, int year) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int h = 0, mi = 0, s = 0;
  if (line.size() >= 15 && line[3] == ' ') {  // "Nov 27 10:00:01" / "Nov  7 10:00:01"
    int mon = 0;
    for (size_t i = 0; i < kMonths.size(); ++i)
      if (line.substr(0, 3) == kMonths[i]) mon = static_cast<int>(i) + 1;
    std::string_view day = line.substr(4, 2);
    if (day.front() == ' ') day.remove_prefix(1);
    if (mon == 0 || !digits(day) || line[6] != ' ' || !clock_time(line.substr(7, 8), h, mi, s))
      return std::nullopt;
    line.remove_prefix(15);
    return unix_time(year, mon, to_int(day), h, mi, s);
  }
  // RFC 3339: 2026-11-27T10:00:01[.frac](Z|+hh:mm|-hh:mm)
  if (line.size() < 20 || line[4] != '-' || line[7] != '-' || (line[10] != 'T' && line[10] != 't'))
    return std::nullopt;
  if (!digits(line.substr(0, 4)) || !digits(line.substr(5, 2)) || !digits(line.substr(8, 2)) ||
      !clock_time(line.substr(11, 8), h, mi, s))
    return std::nullopt;
  auto t =
      unix_time(to_int(line.substr(0, 4)), to_int(line.substr(5, 2)), to_int(line.substr(8, 2)), h, mi, s);
  size_t i = 19;
  if (i < line.size() && line[i] == '.') {
    ++i;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  }
  if (i < line.size() && (line[i] == 'Z' || line[i] == 'z')) {
    ++i;
  } else if (i + 6 <= line.size() && (line[i] == '+' || line[i] == '-') && line[i + 3] == ':' &&
             digits(line.substr(i + 1, 2)) && digits(line.substr(i + 4, 2))) {
    const int64_t off = to_int(line.substr(i + 1, 2)) * 3600 + to_int(line.substr(i + 4, 2)) * 60;
    if (t) *t += line[i] == '+' ? -off : off;
    i += 6;
  } else {
    return std::nullopt;
  }
  line.remove_prefix(i);
  return t;
}

// The value of "name=<...>" in the tail of a reject line ("" when absent).
std::string angle_field(std::string_view line, std::string_view name) {
  const std::string key = " " + std::string(name) + "=<";
  const size_t p = line.rfind(key);
  if (p == std::string_view::npos) return "";
  const size_t start = p + key.size();
  const size_t end = line.find('>', start);
  if (end == std::string_view::npos) return "";
  return std::string(line.substr(start, end - start));
}

}  // namespace

Result<std::optional<Event>> parse_postfix_log_line(std::string_view line, int year) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // Cheap filters first: most lines of a mail log are something else.
  const size_t rej = line.find(": reject: RCPT from ");
  if (rej == std::string_view::npos) return std::nullopt;
  std::string_view head = line.substr(0, rej);
  if (head.find("/smtpd[") == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(rej + 20);
  const bool unknown =
      rest.find(" 5.1.1 ") != std::string_view::npos ||
      rest.find("User unknown in ") != std::string_view::npos ||
      rest.find("Recipient address rejected: undeliverable address") != std::string_view::npos;
  if (!unknown) return std::nullopt;
  // "host[addr]:" then the reply.
  const size_t open = rest.find('[');
  const size_t close = rest.find("]:");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return fail(Errc::kParse, "unknown-recipient reject without the client address (host[addr]:)");
  std::string_view addr = rest.substr(open + 1, close - open - 1);
  if (addr.rfind("IPv6:", 0) == 0 || addr.rfind("ipv6:", 0) == 0) addr.remove_prefix(5);
  auto ip = IpAddress::parse(addr);
  if (!ip)
    return fail(Errc::kParse, "unknown-recipient reject: client address \"" + std::string(addr) + "\"");
  auto t = stamp(head, year);
  if (!t) return fail(Errc::kParse, "unknown-recipient reject without a readable time stamp");
  Event e;
  e.type = EventType::kBounce;
  e.time = *t;
  e.ip = ip->unmapped();
  e.mail_from = angle_field(rest, "from");
  e.helo = angle_field(rest, "helo");
  e.recipients = 1;
  return std::optional<Event>(std::move(e));
}

}  // namespace rampart::reputation

// record.cc — DMARC record parsing (RFC 7489 6.3, 6.4). See record.h.
#include "auth/dmarc/record.h"

#include <array>

#include "core/strings.h"

namespace rampart::dmarc {

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::kNone: return "none";
    case Policy::kQuarantine: return "quarantine";
    case Policy::kReject: return "reject";
  }
  return "none";
}

std::string_view alignment_name(Alignment a) { return a == Alignment::kStrict ? "s" : "r"; }

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// VALCHAR (RFC 6376 3.2): %x21-3A / %x3C-7E; WSP between tvals.
bool valid_value(std::string_view v) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (is_space(ch)) continue;
    if (c < 0x21 || c > 0x7e || c == ';') return false;
  }
  return true;
}

bool valid_tag_name(std::string_view n) {
  if (n.empty() || !is_alpha(n[0])) return false;
  for (char c : n)
    if (!is_alnum(c) && c != '_') return false;
  return true;
}

std::optional<Policy> parse_policy(std::string_view v) {
  if (iequals(v, "none")) return Policy::kNone;
  if (iequals(v, "quarantine")) return Policy::kQuarantine;
  if (iequals(v, "reject")) return Policy::kReject;
  return std::nullopt;
}

std::optional<Alignment> parse_alignment(std::string_view v) {
  if (iequals(v, "r")) return Alignment::kRelaxed;
  if (iequals(v, "s")) return Alignment::kStrict;
  return std::nullopt;
}

std::optional<uint64_t> parse_digits(std::string_view v, size_t max_digits) {
  if (v.empty() || v.size() > max_digits) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

bool valid_keyword(std::string_view k) {  // RFC 5321 Ldh-str
  if (k.empty() || !is_alnum(k.front()) || !is_alnum(k.back())) return false;
  for (char c : k)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// "v" *WSP "=" *WSP "DMARC1" at the start; returns the rest after it.
std::optional<std::string_view> strip_version(std::string_view txt) {
  std::string_view s = trim_ws(txt);
  if (s.empty() || (s[0] != 'v' && s[0] != 'V')) return std::nullopt;
  s.remove_prefix(1);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  if (s.empty() || s[0] != '=') return std::nullopt;
  s.remove_prefix(1);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  if (s.substr(0, 6) != "DMARC1") return std::nullopt;
  s.remove_prefix(6);
  std::string_view rest = s;
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  if (!s.empty() && s[0] != ';') return std::nullopt;  // "DMARC10", "DMARC1 x"
  return rest;
}

}  // namespace

bool is_dmarc_record(std::string_view txt) { return strip_version(txt).has_value(); }

bool ReportUri::is_mailto() const { return istarts_with(uri, "mailto:"); }

std::string ReportUri::host() const {
  std::string_view u = uri;
  if (is_mailto()) {
    u.remove_prefix(7);
    size_t q = u.find('?');
    if (q != std::string_view::npos) u = u.substr(0, q);
    size_t at = u.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string_view d = u.substr(at + 1);
    if (d.empty()) return {};
    std::string out = to_lower(d);
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
  }
  size_t colon = u.find(':');
  if (colon == std::string_view::npos) return {};
  u.remove_prefix(colon + 1);
  if (u.substr(0, 2) != "//") return {};
  u.remove_prefix(2);
  size_t end = u.find_first_of("/?#");
  if (end != std::string_view::npos) u = u.substr(0, end);
  size_t at = u.rfind('@');
  if (at != std::string_view::npos) u.remove_prefix(at + 1);
  if (!u.empty() && u.front() == '[') {
    size_t close = u.find(']');
    return close == std::string_view::npos ? std::string() : to_lower(u.substr(0, close + 1));
  }
  size_t port = u.rfind(':');
  if (port != std::string_view::npos) u = u.substr(0, port);
  std::string out = to_lower(u);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string ReportUri::to_string() const { return size_text.empty() ? uri : uri + "!" + size_text; }

Result<ReportUri> parse_report_uri(std::string_view text) {
  std::string_view t = trim_ws(text);
  ReportUri out;
  size_t bang = t.find('!');
  std::string_view uri = t.substr(0, bang);
  if (bang != std::string_view::npos) {
    std::string_view size = t.substr(bang + 1);
    std::string_view digits = size;
    uint64_t mult = 1;
    if (!size.empty() && is_alpha(size.back())) {
      switch (ascii_lower(size.back())) {
        case 'k': mult = 1ull << 10; break;
        case 'm': mult = 1ull << 20; break;
        case 'g': mult = 1ull << 30; break;
        case 't': mult = 1ull << 40; break;
        default: return fail(Errc::kParse, "bad size unit in \"" + std::string(t) + "\"");
      }
      digits.remove_suffix(1);
    }
    auto n = parse_digits(digits, 12);
    if (!n) return fail(Errc::kParse, "bad size limit in \"" + std::string(t) + "\"");
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(*n, mult, &bytes)) return fail(Errc::kParse, "size limit overflows");
    out.max_bytes = bytes;
    out.size_text = to_lower(size);
  }
  // URI (RFC 3986): scheme ":" hier-part; commas and "!" must be %-encoded.
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size())
    return fail(Errc::kParse, "not a URI: \"" + std::string(uri) + "\"");
  if (!is_alpha(uri[0])) return fail(Errc::kParse, "bad URI scheme in \"" + std::string(uri) + "\"");
  for (size_t i = 0; i < colon; ++i) {
    char c = uri[i];
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.')
      return fail(Errc::kParse, "bad URI scheme in \"" + std::string(uri) + "\"");
  }
  for (char ch : uri) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || ch == ',' || ch == '"' || ch == '<' || ch == '>' || ch == '\\' ||
        ch == '^' || ch == '`' || ch == '{' || ch == '|' || ch == '}')
      return fail(Errc::kParse, "invalid character in URI \"" + std::string(uri) + "\"");
  }
  out.uri = std::string(uri);
  if (out.is_mailto() && out.host().empty())
    return fail(Errc::kParse, "mailto URI without a domain: \"" + out.uri + "\"");
  return out;
}

Result<Record> parse_record(std::string_view txt) {
  auto rest = strip_version(txt);
  if (!rest) return fail(Errc::kParse, "not a DMARC record (must start with v=DMARC1)");
  Record r;
  std::vector<std::string> seen = {"v"};
  bool p_seen = false, p_valid = false, sp_invalid = false;
  size_t index = 0;  // tags after v
  std::string_view s = *rest;
  while (!s.empty()) {
    size_t semi = s.find(';');
    std::string_view elem = s.substr(0, semi);
    s = semi == std::string_view::npos ? std::string_view() : s.substr(semi + 1);
    elem = trim_ws(elem);
    if (elem.empty()) continue;  // "; ;" and the trailing ";" are tolerated
    size_t eq = elem.find('=');
    if (eq == std::string_view::npos)
      return fail(Errc::kParse, "tag without \"=\": \"" + std::string(elem) + "\"");
    std::string_view name = trim_ws(elem.substr(0, eq));
    std::string_view value = trim_ws(elem.substr(eq + 1));
    if (!valid_tag_name(name)) return fail(Errc::kParse, "invalid tag name \"" + std::string(name) + "\"");
    if (!valid_value(value))
      return fail(Errc::kParse, "invalid character in the value of tag \"" + std::string(name) + "\"");
    std::string lname = to_lower(name);
    for (const auto& n : seen)
      if (n == lname) return fail(Errc::kParse, "duplicate tag \"" + lname + "\"");
    seen.push_back(lname);
    ++index;
    auto warn = [&](std::string what) { r.warnings.push_back(lname + ": " + std::move(what)); };

    if (lname == "p") {
      p_seen = true;
      if (index != 1) r.warnings.push_back("p: not the second tag (6.3), accepted");
      if (auto p = parse_policy(value)) {
        r.p = *p;
        p_valid = true;
      } else {
        warn("invalid policy \"" + std::string(value) + "\"");
      }
    } else if (lname == "sp") {
      if (auto p = parse_policy(value)) {
        r.sp = *p;
      } else {
        sp_invalid = true;
        warn("invalid policy \"" + std::string(value) + "\"");
      }
    } else if (lname == "adkim" || lname == "aspf") {
      auto a = parse_alignment(value);
      if (!a) {
        warn("invalid alignment \"" + std::string(value) + "\", using r");
      } else {
        (lname == "adkim" ? r.adkim : r.aspf) = *a;
      }
    } else if (lname == "pct") {
      auto n = parse_digits(value, 3);
      if (!n || *n > 100) {
        warn("invalid percentage \"" + std::string(value) + "\", using 100");
      } else {
        r.pct = static_cast<unsigned>(*n);
      }
    } else if (lname == "ri") {
      auto n = parse_digits(value, 10);
      if (!n || *n > 0xffffffffull) {
        warn("invalid interval \"" + std::string(value) + "\", using 86400");
      } else {
        r.ri = static_cast<uint32_t>(*n);
      }
    } else if (lname == "fo") {
      FailureOptions fo{false, false, false, false};
      std::string text;
      bool ok = !value.empty();
      for (auto part : split(value, ':')) {
        part = trim_ws(part);
        if (part.size() != 1) {
          ok = false;
          break;
        }
        char c = ascii_lower(part[0]);
        if (c == '0')
          fo.all = true;
        else if (c == '1')
          fo.any = true;
        else if (c == 'd')
          fo.dkim = true;
        else if (c == 's')
          fo.spf = true;
        else {
          ok = false;
          break;
        }
        if (!text.empty()) text += ':';
        text += c;
      }
      if (ok) {
        r.fo = fo;
        r.fo_text = text;
      } else {
        warn("invalid failure options \"" + std::string(value) + "\", using 0");
      }
    } else if (lname == "rf") {
      std::vector<std::string> formats;
      bool ok = !value.empty();
      for (auto part : split(value, ':')) {
        part = trim_ws(part);
        if (!valid_keyword(part)) {
          ok = false;
          break;
        }
        formats.push_back(to_lower(part));
      }
      if (ok) {
        r.rf = std::move(formats);
      } else {
        warn("invalid report format \"" + std::string(value) + "\", using afrf");
      }
    } else if (lname == "rua" || lname == "ruf") {
      auto& list = lname == "rua" ? r.rua : r.ruf;
      for (auto part : split(value, ',')) {
        auto u = parse_report_uri(part);
        if (!u) {
          warn(u.error().message + " (ignored)");
          continue;
        }
        if (list.size() >= kMaxUris) {
          warn("more than " + std::to_string(kMaxUris) + " URIs (rest ignored)");
          break;
        }
        list.push_back(std::move(*u));
      }
    } else if (lname == "v") {
      return fail(Errc::kParse, "duplicate tag \"v\"");
    } else {
      warn("unknown tag ignored");
    }
  }
  // 6.6.3 step 6.
  if (!p_valid || sp_invalid) {
    std::string why = !p_seen ? "no \"p\" tag" : !p_valid ? "invalid \"p\" tag" : "invalid \"sp\" tag";
    if (r.rua.empty()) return fail(Errc::kParse, why + " and no valid rua URI");
    r.p = Policy::kNone;
    r.sp.reset();
    r.p_defaulted = true;
    r.warnings.push_back(why + ": acting as p=none because rua is valid (6.6.3)");
  }
  return r;
}

std::string to_string(const Record& r) {
  std::string s = "v=DMARC1; p=" + std::string(policy_name(r.p));
  if (r.sp) s += "; sp=" + std::string(policy_name(*r.sp));
  if (r.adkim == Alignment::kStrict) s += "; adkim=s";
  if (r.aspf == Alignment::kStrict) s += "; aspf=s";
  if (r.pct != 100) s += "; pct=" + std::to_string(r.pct);
  if (r.fo_text != "0") s += "; fo=" + r.fo_text;
  if (!(r.rf.size() == 1 && r.rf[0] == "afrf")) {
    s += "; rf=";
    for (size_t i = 0; i < r.rf.size(); ++i) s += (i ? ":" : "") + r.rf[i];
  }
  if (r.ri != 86400) s += "; ri=" + std::to_string(r.ri);
  auto uris = [&](const char* tag, const std::vector<ReportUri>& list) {
    if (list.empty()) return;
    s += "; ";
    s += tag;
    s += '=';
    for (size_t i = 0; i < list.size(); ++i) s += (i ? "," : "") + list[i].to_string();
  };
  uris("rua", r.rua);
  uris("ruf", r.ruf);
  return s;
}

}  // namespace rampart::dmarc

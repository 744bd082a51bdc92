#include "auth/spf/record.h"

#include <charconv>

#include "core/strings.h"

namespace rampart::spf {

std::string_view mechanism_name(Mechanism m) {
  switch (m) {
    case Mechanism::kAll: return "all";
    case Mechanism::kInclude: return "include";
    case Mechanism::kA: return "a";
    case Mechanism::kMx: return "mx";
    case Mechanism::kPtr: return "ptr";
    case Mechanism::kIp4: return "ip4";
    case Mechanism::kIp6: return "ip6";
    case Mechanism::kExists: return "exists";
  }
  return "?";
}

namespace {

bool version_is(std::string_view text, std::string_view version) {
  if (!istarts_with(text, version)) return false;
  return text.size() == version.size() || text[version.size()] == ' ';
}

// "spf2.0/mfrom,pra ..." -> does the scope list name `want`?
bool spf2_scope_matches(std::string_view text, std::string_view want) {
  if (!istarts_with(text, "spf2.0/")) return false;
  std::string_view rest = text.substr(7);
  size_t end = rest.find(' ');
  std::string_view scopes = rest.substr(0, end);
  for (auto s : split(scopes, ','))
    if (iequals(s, want)) return true;
  return false;
}

Result<unsigned> parse_cidr(std::string_view digits, unsigned max, std::string_view term) {
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0'))
    return fail(Errc::kParse, "invalid CIDR length in '" + std::string(term) + "'");
  unsigned v = 0;
  for (char c : digits) {
    if (!is_digit(c)) return fail(Errc::kParse, "invalid CIDR length in '" + std::string(term) + "'");
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) return fail(Errc::kParse, "CIDR length too large in '" + std::string(term) + "'");
  }
  return v;
}

// Splits "domain/24//64" (or "/24", "//64") into the domain part and the
// dual-cidr-length. Mechanisms a and mx only.
Status split_dual_cidr(std::string_view arg, std::string_view term, std::string_view& domain, Term& t) {
  // Only a trailing "/digits" or "//digits" is a CIDR length; any other '/'
  // belongs to the domain-spec (a macro-literal may contain '/').
  auto trailing_digits = [](std::string_view s) {
    size_t n = 0;
    while (n < s.size() && is_digit(s[s.size() - 1 - n])) ++n;
    return n;
  };
  domain = arg;
  size_t n = trailing_digits(arg);
  if (n > 0 && arg.size() > n + 1 && arg.substr(arg.size() - n - 2, 2) == "//") {
    auto v6 = parse_cidr(arg.substr(arg.size() - n), 128, term);
    if (!v6) return tl::unexpected(v6.error());
    t.cidr6 = *v6;
    arg = arg.substr(0, arg.size() - n - 2);
    domain = arg;
    n = trailing_digits(arg);
  }
  if (n > 0 && arg.size() > n && arg[arg.size() - n - 1] == '/') {
    auto v4 = parse_cidr(arg.substr(arg.size() - n), 32, term);
    if (!v4) return tl::unexpected(v4.error());
    t.cidr4 = *v4;
    domain = arg.substr(0, arg.size() - n - 1);
  }
  return {};
}

bool is_toplabel(std::string_view label) {
  // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
  if (label.empty()) return false;
  bool has_alpha = false;
  for (char c : label) {
    if (is_alpha(c))
      has_alpha = true;
    else if (!is_digit(c) && c != '-')
      return false;
  }
  if (label.front() == '-' || label.back() == '-') return false;
  return has_alpha || label.find('-') != std::string_view::npos;
}

// domain-spec = macro-string domain-end; domain-end = ("." toplabel ["."]) / macro-expand
Result<MacroString> parse_domain_spec(std::string_view spec, std::string_view term) {
  if (spec.empty()) return fail(Errc::kParse, "empty domain-spec in '" + std::string(term) + "'");
  auto ms = parse_macro_string(spec, false);
  if (!ms) return tl::unexpected(ms.error());
  const MacroPart& last = ms->parts.back();
  if (last.letter != 0) return ms;  // ends with a macro-expand
  std::string_view lit = last.literal;
  // A trailing "%-"/"%_" expansion is literal text here; the check is lexical.
  if (!lit.empty() && lit.back() == '.') lit.remove_suffix(1);
  size_t dot = lit.rfind('.');
  if (dot == std::string_view::npos) {
    // The whole literal is the top label; valid only if preceded by a macro.
    if (ms->parts.size() < 2)
      return fail(Errc::kParse, "domain-spec without a top-level label in '" + std::string(term) + "'");
    return fail(Errc::kParse, "domain-spec must end in '.toplabel' in '" + std::string(term) + "'");
  }
  if (!is_toplabel(lit.substr(dot + 1)))
    return fail(Errc::kParse, "invalid top-level label in '" + std::string(term) + "'");
  return ms;
}

bool is_modifier_name(std::string_view n) {
  if (n.empty() || !is_alpha(n[0])) return false;
  for (char c : n)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

Status parse_term(std::string_view tok, Record& rec) {
  // Modifier?
  size_t eq = tok.find('=');
  if (eq != std::string_view::npos) {
    std::string_view name = tok.substr(0, eq);
    if (is_modifier_name(name)) {
      std::string_view value = tok.substr(eq + 1);
      if (iequals(name, "redirect")) {
        if (rec.has_redirect) return fail(Errc::kParse, "more than one redirect= modifier");
        auto ms = parse_domain_spec(value, tok);
        if (!ms) return tl::unexpected(ms.error());
        rec.redirect = std::move(*ms);
        rec.has_redirect = true;
      } else if (iequals(name, "exp")) {
        if (rec.has_exp) return fail(Errc::kParse, "more than one exp= modifier");
        auto ms = parse_domain_spec(value, tok);
        if (!ms) return tl::unexpected(ms.error());
        rec.exp = std::move(*ms);
        rec.has_exp = true;
      } else {
        // Unknown modifiers are ignored (6), but must still be syntactically valid.
        auto ms = parse_macro_string(value, false);
        if (!ms) return tl::unexpected(ms.error());
      }
      return {};
    }
  }
  Term t;
  t.text = std::string(tok);
  std::string_view s = tok;
  if (s[0] == '+' || s[0] == '-' || s[0] == '~' || s[0] == '?') {
    t.qualifier = s[0];
    s.remove_prefix(1);
  }
  size_t sep = s.find_first_of(":/");
  std::string_view name = s.substr(0, sep);
  std::string_view arg = sep == std::string_view::npos ? std::string_view() : s.substr(sep);
  const bool has_colon = !arg.empty() && arg[0] == ':';
  std::string_view after_colon = has_colon ? arg.substr(1) : arg;

  auto bad = [&](const char* why) {
    return fail(Errc::kParse, std::string(why) + " '" + std::string(tok) + "'");
  };

  if (iequals(name, "all")) {
    if (!arg.empty()) return bad("'all' takes no argument:");
    t.mechanism = Mechanism::kAll;
  } else if (iequals(name, "include") || iequals(name, "exists")) {
    t.mechanism = iequals(name, "include") ? Mechanism::kInclude : Mechanism::kExists;
    if (!has_colon) return bad("mechanism needs ':domain':");
    auto ms = parse_domain_spec(after_colon, tok);
    if (!ms) return tl::unexpected(ms.error());
    t.domain_spec = std::move(*ms);
  } else if (iequals(name, "a") || iequals(name, "mx")) {
    t.mechanism = iequals(name, "a") ? Mechanism::kA : Mechanism::kMx;
    std::string_view domain;
    auto st = split_dual_cidr(has_colon ? after_colon : arg, tok, domain, t);
    if (!st) return st;
    if (has_colon) {
      auto ms = parse_domain_spec(domain, tok);
      if (!ms) return tl::unexpected(ms.error());
      t.domain_spec = std::move(*ms);
    } else if (!domain.empty()) {
      return bad("invalid mechanism:");
    }
  } else if (iequals(name, "ptr")) {
    t.mechanism = Mechanism::kPtr;
    if (!arg.empty()) {
      if (!has_colon) return bad("invalid ptr mechanism:");
      auto ms = parse_domain_spec(after_colon, tok);
      if (!ms) return tl::unexpected(ms.error());
      t.domain_spec = std::move(*ms);
    }
  } else if (iequals(name, "ip4") || iequals(name, "ip6")) {
    const bool v4 = iequals(name, "ip4");
    t.mechanism = v4 ? Mechanism::kIp4 : Mechanism::kIp6;
    if (!has_colon) return bad("mechanism needs ':address':");
    std::string_view net = after_colon;
    size_t slash = net.find('/');
    if (slash != std::string_view::npos) {
      auto len = parse_cidr(net.substr(slash + 1), v4 ? 32 : 128, tok);
      if (!len) return tl::unexpected(len.error());
      (v4 ? t.cidr4 : t.cidr6) = *len;
      net = net.substr(0, slash);
    }
    auto ip = IpAddress::parse(net);
    if (!ip || ip->is_v4() != v4) return bad("invalid address in");
    if (v4) {
      // ip4-network is a strict dotted quad: no leading zeros like "01".
      for (auto part : split(net, '.'))
        if (part.size() > 1 && part[0] == '0') return bad("invalid address in");
    }
    t.network = *ip;
    if (v4) {
      t.mask4 = t.cidr4 == 0 ? 0u : ~uint32_t{0} << (32 - t.cidr4);
      t.net4 = ip->v4_host_order() & t.mask4;
    }
  } else {
    return bad("unknown mechanism");
  }
  rec.terms.push_back(std::move(t));
  return {};
}

}  // namespace

RecordKind classify_record(std::string_view text, Scope scope) {
  const bool spf1 = version_is(text, "v=spf1");
  if (scope == Scope::kSpf1) return spf1 ? RecordKind::kMatch : RecordKind::kOther;
  if (spf1) return RecordKind::kSpf1;
  if (spf2_scope_matches(text, scope == Scope::kSenderIdPra ? "pra" : "mfrom")) return RecordKind::kMatch;
  return RecordKind::kOther;
}

Result<Record> parse_record(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f) return fail(Errc::kParse, "record contains non-ASCII or control characters");
  // Skip the version ("v=spf1" or "spf2.0/scopes").
  size_t pos = text.find(' ');
  if (pos == std::string_view::npos) pos = text.size();
  std::string_view version = text.substr(0, pos);
  if (!iequals(version, "v=spf1") && !istarts_with(version, "spf2.0/"))
    return fail(Errc::kParse, "not an SPF record");
  Record rec;
  size_t terms = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (++terms > 1000) return fail(Errc::kLimit, "too many terms");
    auto st = parse_term(text.substr(pos, end - pos), rec);
    if (!st) return tl::unexpected(st.error());
    pos = end;
  }
  return rec;
}

}  // namespace rampart::spf

// File: src/mime/url.cc
// URL finding and normalisation; see url.h.
#include "mime/url.h"

#include <algorithm>

#include "core/strings.h"
#include "mime/decode.h"
#include "mime/idna.h"

namespace rampart::mime {
namespace {

constexpr std::string_view kTlds[] = {
    "com",  "net",   "org", "info", "biz",    "edu",  "gov",  "mil",     "int",   "io",    "co",    "me",
    "tv",   "cc",    "ru",  "cn",   "de",     "uk",   "jp",   "fr",      "br",    "it",    "nl",    "au",
    "in",   "es",    "pl",  "ca",   "ch",     "se",   "be",   "at",      "dk",    "fi",    "cz",    "gr",
    "hu",   "pt",    "ro",  "ua",   "kr",     "tw",   "hk",   "sg",      "vn",    "th",    "ph",    "mx",
    "ar",   "cl",    "za",  "tr",   "ir",     "nz",   "ie",   "il",      "sk",    "lt",    "lv",    "ee",
    "by",   "kz",    "top", "xyz",  "online", "site", "club", "shop",    "store", "app",   "dev",   "ly",
    "gl",   "su",    "us",  "eu",   "asia",   "pro",  "mobi", "name",    "link",  "click", "live",  "life",
    "work", "today", "icu", "vip",  "win",    "bid",  "loan", "website", "space", "tech",  "fun",   "pw",
    "ws",   "tk",    "ml",  "ga",   "cf",     "gq",   "cam",  "rest",    "bar",   "buzz",  "email", "cloud"};

bool is_tld(std::string_view label) {
  if (label.size() < 2 || label.size() > 7) return false;
  std::string l = to_lower(label);
  for (std::string_view t : kTlds)
    if (t == l) return true;
  return false;
}

bool is_host_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// Characters that end a URL in text.
bool ends_url(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 32 || u == 127 || c == '<' || c == '>' || c == '"' || c == '`' || c == '{' || c == '}' ||
         c == '|' || c == '^';
}

// Parses a WHATWG-style IPv4 number ("192", "0xC0", "0300"); false if not a number.
bool ipv4_number(std::string_view p, uint64_t& v) {
  if (p.empty()) return false;
  int base = 10;
  if (p.size() >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p.remove_prefix(2);
  } else if (p.size() >= 2 && p[0] == '0') {
    base = 8;
    p.remove_prefix(1);
  }
  v = 0;
  for (char c : p) {
    int d = hex_value(c);
    if (d < 0 || d >= base) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xFFFFFFFFull) return false;
  }
  return true;
}

// "3232235777" / "0xC0.0xA8.1.1" -> "192.168.1.1"; false when not an IPv4 host.
bool ipv4_host(std::string_view h, std::string& out) {
  uint64_t parts[4];
  size_t count = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = h.find('.', start);
    const std::string_view p =
        h.substr(start, dot == std::string_view::npos ? h.size() - start : dot - start);
    if (count == 4 || !ipv4_number(p, parts[count])) return false;
    ++count;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  uint64_t v = 0;
  for (size_t k = 0; k + 1 < count; ++k) {
    if (parts[k] > 255) return false;
    v |= parts[k] << (8 * (3 - k));
  }
  const uint64_t last = parts[count - 1];
  if (last >= (1ull << (8 * (5 - count)))) return false;
  v |= last;
  out = std::to_string((v >> 24) & 255) + "." + std::to_string((v >> 16) & 255) + "." +
        std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
  return true;
}

// RFC 3492 punycode of one label of code points.
bool punycode_label(const std::vector<uint32_t>& cps, std::string& out) {
  constexpr uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
  auto digit = [](uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); };
  auto adapt = [&](uint32_t delta, uint32_t numpoints, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / numpoints;
    uint32_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
      delta /= kBase - kTmin;
      k += kBase;
    }
    return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
  };
  std::string o = "xn--";
  uint32_t b = 0;
  for (uint32_t c : cps)
    if (c < 0x80) {
      o += static_cast<char>(c);
      ++b;
    }
  if (b > 0) o += '-';
  uint32_t n = 0x80, delta = 0, bias = 72, h = b;
  const auto total = static_cast<uint32_t>(cps.size());
  while (h < total) {
    uint32_t m = 0xFFFFFFFF;
    for (uint32_t c : cps)
      if (c >= n && c < m) m = c;
    if (static_cast<uint64_t>(m - n) * (h + 1) > 0xFFFFFFFFull - delta) return false;
    delta += (m - n) * (h + 1);
    n = m;
    for (uint32_t c : cps) {
      if (c < n && ++delta == 0) return false;
      if (c == n) {
        uint32_t q = delta;
        for (uint32_t k = kBase;; k += kBase) {
          const uint32_t t = k <= bias ? kTmin : (k >= bias + kTmax ? kTmax : k - bias);
          if (q < t) break;
          o += digit(t + (q - t) % (kBase - t));
          q = (q - t) / (kBase - t);
        }
        o += digit(q);
        bias = adapt(delta, h + 1, h == b);
        delta = 0;
        ++h;
      }
    }
    ++delta;
    ++n;
  }
  if (o.size() > 63) return false;
  out += o;
  return true;
}

// Decodes UTF-8 into code points; false when invalid.
bool decode_utf8(std::string_view s, std::vector<uint32_t>& cps) {
  cps.clear();
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    cps.push_back(cp);
    i += len;
  }
  return true;
}

}  // namespace

std::string_view url_source_name(UrlSource s) {
  switch (s) {
    case UrlSource::kText: return "text";
    case UrlSource::kHtmlHref: return "href";
    case UrlSource::kHtmlSrc: return "src";
    case UrlSource::kHtmlAction: return "action";
    case UrlSource::kHtmlBackground: return "background";
  }
  return "text";
}

std::string punycode_host(std::string_view host, bool* invalid_idn) {
  if (invalid_idn != nullptr) *invalid_idn = false;
  if (auto a = domain_to_ascii(host)) return std::move(*a);
  if (invalid_idn != nullptr) *invalid_idn = true;
  // UTS #46 said no: RFC 3492 of each label as written (ASCII lower-cased).
  std::string out;
  std::vector<uint32_t> cps;
  size_t start = 0;
  while (start <= host.size()) {
    const size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? host.size() - start : dot - start);
    bool ascii = true;
    for (char c : label)
      if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    if (ascii) {
      out += to_lower(label);
    } else {
      if (!decode_utf8(label, cps)) return "";
      for (uint32_t& c : cps)
        if (c >= 'A' && c <= 'Z') c += 32;
      if (!punycode_label(cps, out)) return "";
    }
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

bool normalize_url(std::string_view in, Url& out) {
  // Trim, and drop tabs and line breaks anywhere (HTML URL parsing does).
  std::string s;
  in = trim(in);
  while (!in.empty() && (in.front() == '\r' || in.front() == '\n')) in.remove_prefix(1);
  if (in.size() > kMaxUrlLength) in = in.substr(0, kMaxUrlLength);
  s.reserve(in.size());
  for (char c : in)
    if (c != '\t' && c != '\r' && c != '\n') s += c;
  std::string_view v = s;
  std::string scheme;
  if (v.size() >= 2 && v[0] == '/' && v[1] == '/') {
    scheme = "http";
  } else if (istarts_with(v, "www.")) {
    scheme = "http";
  } else {
    const size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
    scheme = to_lower(v.substr(0, colon));
    if (scheme != "http" && scheme != "https" && scheme != "ftp") return false;
    v.remove_prefix(colon + 1);
  }
  while (!v.empty() && (v.front() == '/' || v.front() == '\\')) v.remove_prefix(1);
  size_t auth_end = 0;
  while (auth_end < v.size() && v[auth_end] != '/' && v[auth_end] != '?' && v[auth_end] != '#' &&
         v[auth_end] != '\\')
    ++auth_end;
  std::string_view auth = v.substr(0, auth_end);
  std::string_view rest = v.substr(auth_end);
  const size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth.remove_prefix(at + 1);
  std::string_view hostport = auth;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t rb = hostport.find(']');
    if (rb == std::string_view::npos) return false;
    if (rb + 1 < hostport.size() && hostport[rb + 1] == ':') port = hostport.substr(rb + 2);
    hostport = hostport.substr(0, rb + 1);
  } else {
    const size_t c = hostport.rfind(':');
    if (c != std::string_view::npos) {
      port = hostport.substr(c + 1);
      hostport = hostport.substr(0, c);
    }
  }
  for (char c : port)
    if (!is_digit(c)) return false;
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443") ||
      (scheme == "ftp" && port == "21"))
    port = {};
  // Host: percent-decoded, lower-case, trailing dots removed.
  std::string host;
  bool bad_idn = false;
  for (size_t k = 0; k < hostport.size(); ++k) {
    if (hostport[k] == '%' && k + 2 < hostport.size() && hex_value(hostport[k + 1]) >= 0 &&
        hex_value(hostport[k + 2]) >= 0) {
      host += static_cast<char>(hex_value(hostport[k + 1]) * 16 + hex_value(hostport[k + 2]));
      k += 2;
    } else {
      host += hostport[k];
    }
  }
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {
    for (char& c : host) {
      c = ascii_lower(c);
      if (!is_digit(c) && !(c >= 'a' && c <= 'f') && c != ':' && c != '.' && c != '[' && c != ']')
        return false;
    }
  } else {
    for (char c : host)
      if (!is_host_char(c)) return false;
    std::string ip;
    if (ipv4_host(host, ip)) {
      host = ip;
    } else {
      host = punycode_host(host, &bad_idn);
      // UTS #46 maps full-width dots and symbols to ASCII ("ex\uff0e" is "ex.",
      // "\uff04" is "$"): the result must be a host name again.
      while (!host.empty() && host.back() == '.') host.pop_back();
      for (char c : host)
        if (!is_host_char(c) || static_cast<unsigned char>(c) >= 0x80) return false;
      if (host.empty() || host.front() == '.' || host.find("..") != std::string::npos) return false;
    }
  }
  out.host = host;
  out.invalid_idn = bad_idn;
  out.url = scheme + "://" + host;
  if (!port.empty()) {
    out.url += ':';
    out.url.append(port);
  }
  if (rest.empty()) {
    out.url += '/';
  } else {
    out.url.append(rest);
  }
  // The host may have grown (U-labels to A-labels): cut the result to the
  // same cap as the input, never inside a %XX escape or a UTF-8 sequence, so
  // that normalising the result again gives the result (found by
  // fuzz_mime_html: a 4,096-byte link became 4,107 bytes, then 4,096).
  if (out.url.size() > kMaxUrlLength) {
    size_t cut = kMaxUrlLength;
    while (cut > 0 && (static_cast<unsigned char>(out.url[cut]) & 0xC0) == 0x80) --cut;
    if (cut >= 1 && out.url[cut - 1] == '%')
      cut -= 1;
    else if (cut >= 2 && out.url[cut - 2] == '%')
      cut -= 2;
    out.url.resize(cut);
  }
  return true;
}

bool find_urls(std::string_view s, std::vector<Url>& out, size_t max) {
  return find_urls(s, [&](Url&& u) {
    if (out.size() >= max) return false;
    out.push_back(std::move(u));
    return true;
  });
}

bool find_urls(std::string_view s, const std::function<bool(Url&&)>& sink) {
  const size_t n = s.size();
  size_t i = 0;
  auto boundary_before = [&](size_t k) {
    if (k == 0) return true;
    const char p = s[k - 1];
    return !is_alnum(p) && p != '.' && p != '-' && p != '_' && p != '@' && p != '/' && p != ':' &&
           static_cast<unsigned char>(p) < 0x80;
  };
  while (i < n) {
    const char c = s[i];
    if (!is_alnum(c) || !boundary_before(i)) {
      ++i;
      continue;
    }
    size_t end = i;
    bool explicit_url = false;
    const char lc = ascii_lower(c);
    if ((lc == 'h' || lc == 'f' || lc == 'w') &&
        (istarts_with(s.substr(i, 8), "https://") || istarts_with(s.substr(i, 7), "http://") ||
         istarts_with(s.substr(i, 6), "ftp://") || istarts_with(s.substr(i, 4), "www."))) {
      explicit_url = true;
      while (end < n && !ends_url(s[end])) ++end;
    } else {
      // A bare domain: host characters, then an optional path.
      while (end < n && is_host_char(s[end]) && s[end] != '_') ++end;
      std::string_view tok = s.substr(i, end - i);
      while (!tok.empty() && (tok.back() == '.' || tok.back() == '-')) tok.remove_suffix(1);
      const size_t dot = tok.rfind('.');
      if (dot == std::string_view::npos || dot == 0 || !is_tld(tok.substr(dot + 1)) ||
          (end < n && s[end] == '@')) {
        i = end > i ? end : i + 1;
        continue;
      }
      end = i + tok.size();
      if (end < n && (s[end] == '/' || s[end] == ':')) {
        while (end < n && !ends_url(s[end])) ++end;
      }
    }
    // Trailing punctuation is not part of the URL.
    std::string_view cand = s.substr(i, end - i);
    size_t open_parens = 0, close_parens = 0;
    for (char ch : cand) {
      if (ch == '(') ++open_parens;
      if (ch == ')') ++close_parens;
    }
    while (!cand.empty()) {
      const char b = cand.back();
      if (b == '.' || b == ',' || b == ';' || b == ':' || b == '!' || b == '?' || b == '\'' || b == ']' ||
          b == '*') {
        cand.remove_suffix(1);
      } else if (b == ')' && close_parens > open_parens) {
        cand.remove_suffix(1);
        --close_parens;
      } else {
        break;
      }
    }
    Url u;
    const bool ok = explicit_url ? normalize_url(cand, u) : normalize_url("http://" + std::string(cand), u);
    if (!cand.empty() && ok) {
      u.source = UrlSource::kText;
      if (!sink(std::move(u))) return false;
    }
    i = end > i ? end : i + 1;
  }
  return true;
}

}  // namespace rampart::mime

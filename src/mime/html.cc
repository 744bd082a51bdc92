// File: src/mime/html.cc
// HTML to visible text; see html.h.
#include "mime/html.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/strings.h"
#include "mime/charset.h"

namespace rampart::mime {
namespace {

struct NamedEntity {
  std::string_view name;
  uint32_t cp;
};

// Latin-1 names, U+00A0 to U+00FF in order.
constexpr std::string_view kLatin1Names[96] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",
    "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",
    "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12",
    "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
    "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde",
    "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",
    "Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",
    "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
    "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

constexpr NamedEntity kEntities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
    {"euro", 0x20AC},   {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},  {"lsquo", 0x2018},
    {"rsquo", 0x2019},  {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"sbquo", 0x201A},  {"bdquo", 0x201E},
    {"bull", 0x2022},   {"trade", 0x2122},  {"dagger", 0x2020}, {"Dagger", 0x2021}, {"permil", 0x2030},
    {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"ensp", ' '},      {"emsp", ' '},      {"thinsp", ' '},
    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},    {"rlm", 0x200F},    {"OElig", 0x0152},
    {"oelig", 0x0153},  {"Scaron", 0x0160}, {"scaron", 0x0161}, {"Yuml", 0x0178},   {"fnof", 0x0192},
    {"circ", 0x02C6},   {"tilde", 0x02DC},  {"larr", 0x2190},   {"rarr", 0x2192},   {"uarr", 0x2191},
    {"darr", 0x2193},   {"hearts", 0x2665}, {"spades", 0x2660}, {"clubs", 0x2663},  {"diams", 0x2666},
    {"check", 0x2713},  {"star", 0x2606},   {"starf", 0x2605},  {"prime", 0x2032},  {"Prime", 0x2033},
    {"infin", 0x221E},  {"ne", 0x2260},     {"le", 0x2264},     {"ge", 0x2265},     {"minus", 0x2212},
    {"alpha", 0x03B1},  {"beta", 0x03B2},   {"pi", 0x03C0},     {"mu", 0x03BC},     {"Omega", 0x03A9},
    {"NewLine", '\n'},  {"Tab", '\t'},      {"nbsp", 0xA0},
};

// Legacy names a browser accepts without ';'.
constexpr std::string_view kNoSemicolonOk[] = {"amp", "lt", "gt", "quot", "nbsp", "copy", "reg"};

constexpr uint16_t kCp1252High[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                      0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

bool lookup_entity(std::string_view name, uint32_t& cp) {
  for (const NamedEntity& e : kEntities)
    if (e.name == name) {
      cp = e.cp;
      return true;
    }
  for (size_t k = 0; k < 96; ++k)
    if (kLatin1Names[k] == name) {
      cp = static_cast<uint32_t>(0xA0 + k);
      return true;
    }
  return false;
}

// Decodes a character reference at s[i] ('&'). Returns the number of bytes
// used (0 when it is not one) and the code point.
size_t parse_entity(std::string_view s, size_t i, uint32_t& cp) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    bool hex = false;
    if (j < s.size() && (s[j] == 'x' || s[j] == 'X')) {
      hex = true;
      ++j;
    }
    const size_t d0 = j;
    uint32_t v = 0;
    while (j < s.size()) {
      const int d = hex ? hex_value(s[j]) : (is_digit(s[j]) ? s[j] - '0' : -1);
      if (d < 0) break;
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (v > 0x10FFFF) v = 0x110000;  // saturate
      ++j;
    }
    if (j == d0) return 0;
    if (j < s.size() && s[j] == ';') ++j;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
      v = 0xFFFD;
    } else if (v >= 0x80 && v <= 0x9F) {
      v = kCp1252High[v - 0x80];
    }
    cp = v;
    return j - i;
  }
  const size_t n0 = j;
  while (j < s.size() && j - n0 < 32 && is_alnum(s[j])) ++j;
  if (j == n0) return 0;
  const std::string_view name = s.substr(n0, j - n0);
  const bool semi = j < s.size() && s[j] == ';';
  if (!lookup_entity(name, cp)) return 0;
  if (semi) return j + 1 - i;
  for (std::string_view ok : kNoSemicolonOk)
    if (ok == name) return j - i;
  return 0;
}

bool ieq_at(std::string_view s, size_t i, std::string_view lit) {
  if (s.size() - i < lit.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k)
    if (ascii_lower(s[i + k]) != lit[k]) return false;
  return true;
}

// Finds "</name" (any case) from i; returns its index or npos.
size_t find_end_tag(std::string_view s, size_t i, std::string_view name) {
  while (i < s.size()) {
    const void* p = std::memchr(s.data() + i, '<', s.size() - i);
    if (p == nullptr) return std::string_view::npos;
    i = static_cast<size_t>(static_cast<const char*>(p) - s.data());
    if (i + 1 < s.size() && s[i + 1] == '/' && ieq_at(s, i + 2, name)) {
      const size_t e = i + 2 + name.size();
      if (e >= s.size() || !is_alnum(s[e])) return i;
    }
    ++i;
  }
  return std::string_view::npos;
}

bool one_of(std::string_view name, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

bool is_block(std::string_view n) {
  return one_of(n, {"p",          "div",        "br",     "li",     "tr",      "h1",       "h2",     "h3",
                    "h4",         "h5",         "h6",     "table",  "ul",      "ol",       "dl",     "dt",
                    "dd",         "blockquote", "hr",     "pre",    "section", "article",  "header", "footer",
                    "nav",        "aside",      "form",   "center", "address", "fieldset", "main",   "figure",
                    "figcaption", "tbody",      "thead",  "tfoot",  "caption", "body",     "html",   "option",
                    "legend",     "details",    "summary"});
}

bool is_void(std::string_view n) {
  return one_of(n, {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "source",
                    "wbr", "param", "track", "keygen", "frame"});
}

// Inline style that hides an element.
bool style_hides(std::string_view style) {
  std::string s;
  s.reserve(std::min<size_t>(style.size(), 512));
  for (size_t k = 0; k < style.size() && s.size() < 512; ++k)
    if (!is_wsp(style[k]) && style[k] != '\r' && style[k] != '\n') s += ascii_lower(style[k]);
  if (s.find("display:none") != std::string::npos) return true;
  if (s.find("visibility:hidden") != std::string::npos) return true;
  for (std::string_view prop : {std::string_view("font-size:"), std::string_view("opacity:")}) {
    size_t at = 0;
    while ((at = s.find(prop, at)) != std::string::npos) {
      size_t k = at + prop.size();
      // "0", "0px", "0.0em", "0%": only zeros and dots before the unit.
      size_t digits = 0;
      bool nonzero = false;
      while (k < s.size() && (is_digit(s[k]) || s[k] == '.')) {
        if (is_digit(s[k])) ++digits;
        if (s[k] >= '1' && s[k] <= '9') nonzero = true;
        ++k;
      }
      if (digits > 0 && !nonzero) return true;
      at += prop.size();
    }
  }
  return false;
}

// Zero-width space/joiners, word joiner, BOM, soft hyphen: dropped from text.
size_t invisible_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xAD) return 2;
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
    const auto c2 = static_cast<unsigned char>(s[i + 2]);
    if (c2 >= 0x8B && c2 <= 0x8D) return 3;
  }
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x81 &&
      static_cast<unsigned char>(s[i + 2]) == 0xA0)
    return 3;
  if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
      static_cast<unsigned char>(s[i + 2]) == 0xBF)
    return 3;
  return 0;
}

class TextSink {
 public:
  explicit TextSink(HtmlText& r, size_t max) : r_(r), max_(max) {}
  void space() {
    if (!r_.text.empty()) pending_space_ = true;
  }
  // A line break (1) or a paragraph break (2); breaks do not add up.
  void newline(size_t count) {
    if (r_.text.empty()) return;
    if (newlines_ < count) newlines_ = count;
    pending_space_ = false;
  }
  void text(std::string_view s) {
    if (s.empty()) return;
    flush();
    if (r_.text.size() + s.size() > max_) {
      r_.truncated = true;
      size_t n = max_ - std::min(max_, r_.text.size());
      while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
      r_.text.append(s.substr(0, n));
      full_ = true;
      return;
    }
    r_.text.append(s);
  }
  void code_point(uint32_t cp) {
    if (cp == 0xA0 || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
      space();
      return;
    }
    if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 || cp == 0xFEFF) return;
    std::string b;
    append_utf8(b, cp);
    text(b);
  }
  bool full() const { return full_; }

 private:
  void flush() {
    if (newlines_ > 0) {
      r_.text.append(newlines_, '\n');
    } else if (pending_space_) {
      r_.text += ' ';
    }
    newlines_ = 0;
    pending_space_ = false;
  }
  HtmlText& r_;
  size_t max_;
  size_t newlines_ = 0;
  bool pending_space_ = false;
  bool full_ = false;
};

struct Tag {
  std::array<char, 16> name_buf{};
  size_t name_len = 0;
  bool closing = false;
  bool self_closing = false;
  bool hidden = false;
  std::string_view name() const { return std::string_view(name_buf.data(), name_len); }
};

}  // namespace

void decode_html_entities(std::string_view s, std::string& out) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') continue;
    uint32_t cp = 0;
    const size_t n = parse_entity(s, i, cp);
    if (n == 0) continue;
    out.append(s.substr(run, i - run));
    append_utf8(out, cp);
    i += n - 1;
    run = i + 1;
  }
  out.append(s.substr(run));
}

HtmlText html_to_text(std::string_view s, const HtmlLimits& limits) {
  HtmlText r;
  r.text.reserve(std::min(s.size() / 2, limits.max_text));
  TextSink out(r, limits.max_text);
  // Hidden element tracking without a stack: the name of the outermost hidden
  // element and how many elements of that name are open inside it.
  std::array<char, 16> hidden_name{};
  size_t hidden_len = 0;
  size_t hidden_nest = 0;
  auto hidden = [&] { return hidden_nest > 0; };

  const size_t n = s.size();
  size_t i = 0;
  size_t run = 0;  // start of pending plain text
  auto flush_run = [&](size_t end) {
    if (run >= end) return;
    if (hidden()) {
      r.hidden_bytes += end - run;
      return;
    }
    // Collapse whitespace, drop invisible characters, keep the rest.
    size_t k = run;
    size_t seg = run;
    while (k < end) {
      const char c = s[k];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0') {
        out.text(s.substr(seg, k - seg));
        if (c != '\0') out.space();
        ++k;
        seg = k;
        continue;
      }
      if (static_cast<unsigned char>(c) >= 0xC2) {
        const size_t inv = invisible_len(s, k);
        if (inv > 0) {
          out.text(s.substr(seg, k - seg));
          k += inv;
          seg = k;
          continue;
        }
        if (static_cast<unsigned char>(c) == 0xC2 && k + 1 < end &&
            static_cast<unsigned char>(s[k + 1]) == 0xA0) {
          out.text(s.substr(seg, k - seg));  // U+00A0 NO-BREAK SPACE
          out.space();
          k += 2;
          seg = k;
          continue;
        }
      }
      ++k;
    }
    out.text(s.substr(seg, end - seg));
  };

  while (i < n && !out.full()) {
    const char c = s[i];
    if (c == '&') {
      uint32_t cp = 0;
      const size_t len = parse_entity(s, i, cp);
      if (len > 0) {
        flush_run(i);
        if (!hidden()) out.code_point(cp);
        i += len;
        run = i;
        continue;
      }
      ++i;
      continue;
    }
    if (c != '<' || i + 1 >= n) {
      ++i;
      continue;
    }
    const char d = s[i + 1];
    if (d == '!' || d == '?' || (d == '/' && i + 2 < n && !is_alpha(s[i + 2]))) {
      flush_run(i);
      ++r.tags;
      size_t e;
      if (d == '!' && i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-') {
        const size_t close = s.find("-->", i + 4);
        e = close == std::string_view::npos ? n : close + 3;
      } else {
        const size_t close = s.find('>', i + 2);
        e = close == std::string_view::npos ? n : close + 1;
      }
      if (hidden()) r.hidden_bytes += e - i;
      i = run = e;
      continue;
    }
    if (!is_alpha(d) && d != '/') {
      ++i;  // a literal '<'
      continue;
    }
    // A tag.
    flush_run(i);
    ++r.tags;
    const size_t tag_start = i;
    Tag t;
    size_t j = i + 1;
    if (s[j] == '/') {
      t.closing = true;
      ++j;
    }
    while (j < n && (is_alnum(s[j]) || s[j] == '-' || s[j] == ':')) {
      if (t.name_len < t.name_buf.size()) t.name_buf[t.name_len++] = ascii_lower(s[j]);
      ++j;
    }
    // Attributes.
    std::string_view href, src, action, background;
    bool hide = false;
    while (j < n && s[j] != '>') {
      const char a = s[j];
      if (a == ' ' || a == '\t' || a == '\r' || a == '\n' || a == '\f') {
        ++j;
        continue;
      }
      if (a == '/') {
        if (j + 1 < n && s[j + 1] == '>') t.self_closing = true;
        ++j;
        continue;
      }
      const size_t a0 = j;
      while (j < n && s[j] != '=' && s[j] != '>' && s[j] != '/' && s[j] != ' ' && s[j] != '\t' &&
             s[j] != '\r' && s[j] != '\n' && s[j] != '\f')
        ++j;
      if (j == a0) ++j;  // a stray '='
      const std::string_view aname = s.substr(a0, j - a0);
      size_t k = j;
      while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n')) ++k;
      std::string_view aval;
      bool has_value = false;
      if (k < n && s[k] == '=') {
        has_value = true;
        ++k;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n')) ++k;
        if (k < n && (s[k] == '"' || s[k] == '\'')) {
          const char q = s[k];
          const size_t close = s.find(q, k + 1);
          const size_t e = close == std::string_view::npos ? n : close;
          aval = s.substr(k + 1, e - k - 1);
          k = close == std::string_view::npos ? n : close + 1;
        } else {
          const size_t v0 = k;
          while (k < n && s[k] != '>' && s[k] != ' ' && s[k] != '\t' && s[k] != '\r' && s[k] != '\n') ++k;
          aval = s.substr(v0, k - v0);
        }
        j = k;
      }
      if (t.closing || aname.size() > 10) continue;
      if (iequals(aname, "href"))
        href = aval;
      else if (iequals(aname, "src"))
        src = aval;
      else if (iequals(aname, "action"))
        action = aval;
      else if (iequals(aname, "background"))
        background = aval;
      else if (iequals(aname, "style") && has_value && style_hides(aval))
        hide = true;
      else if (iequals(aname, "hidden"))
        hide = true;
    }
    i = run = j < n ? j + 1 : n;  // after '>'
    const std::string_view name = t.name();

    if (hidden()) {
      r.hidden_bytes += i - tag_start;
      if (name == std::string_view(hidden_name.data(), hidden_len) && !is_void(name) && !t.self_closing) {
        if (t.closing) {
          --hidden_nest;
        } else {
          ++hidden_nest;
        }
      }
    }
    if (!t.closing) {
      auto add_link = [&](std::string_view v, HtmlLinkKind kind) {
        if (v.empty()) return;
        if (r.links.size() >= limits.max_links) {
          r.truncated = true;
          return;
        }
        HtmlLink l;
        decode_html_entities(trim(v.substr(0, std::min<size_t>(v.size(), 8192))), l.url);
        l.kind = kind;
        r.links.push_back(std::move(l));
      };
      if (!href.empty() && one_of(name, {"a", "area", "link", "base"})) add_link(href, HtmlLinkKind::kHref);
      if (!src.empty() && one_of(name, {"img", "iframe", "frame", "embed", "script", "input", "source"}))
        add_link(src, HtmlLinkKind::kSrc);
      if (!action.empty() && name == "form") add_link(action, HtmlLinkKind::kAction);
      if (!background.empty()) add_link(background, HtmlLinkKind::kBackground);

      // Raw text: skip to the end tag.
      if (!t.self_closing && one_of(name, {"script", "style", "title", "template", "xml"})) {
        const size_t e = find_end_tag(s, i, name);
        const size_t stop = e == std::string_view::npos ? n : e;
        if (hidden()) r.hidden_bytes += stop - i;
        i = run = stop;
        continue;
      }
      if (!hidden() && hide && !is_void(name) && !t.self_closing && t.name_len > 0) {
        hidden_name = t.name_buf;
        hidden_len = t.name_len;
        hidden_nest = 1;
        continue;
      }
    }
    if (hidden()) continue;
    if (one_of(name,
               {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "ul", "ol", "pre", "hr"})) {
      out.newline(2);
    } else if (is_block(name)) {
      out.newline(1);
    } else if (name == "td" || name == "th") {
      out.space();
    } else if (name == "img" && !t.closing) {
      out.space();
    }
  }
  if (!out.full()) flush_run(std::min(n, std::max(run, i)));
  // Trim trailing whitespace.
  while (!r.text.empty() && (r.text.back() == ' ' || r.text.back() == '\n')) r.text.pop_back();
  return r;
}

std::string sniff_html_charset(std::string_view html) {
  const std::string_view head = html.substr(0, std::min<size_t>(html.size(), 2048));
  size_t at = 0;
  while (true) {
    at = head.find('<', at);
    if (at == std::string_view::npos) return "";
    if (!ieq_at(head, at + 1, "meta")) {
      ++at;
      continue;
    }
    const size_t end = head.find('>', at);
    const std::string_view tag = head.substr(at, end == std::string_view::npos ? head.size() - at : end - at);
    std::string lower = to_lower(tag);
    const size_t cs = lower.find("charset");
    if (cs != std::string::npos) {
      size_t k = cs + 7;
      while (k < lower.size() && (lower[k] == ' ' || lower[k] == '=' || lower[k] == '"' || lower[k] == '\''))
        ++k;
      const size_t v0 = k;
      while (k < lower.size() &&
             (is_alnum(lower[k]) || lower[k] == '-' || lower[k] == '_' || lower[k] == '.' || lower[k] == ':'))
        ++k;
      if (k > v0) return lower.substr(v0, k - v0);
    }
    if (end == std::string_view::npos) return "";
    at = end;
  }
}

}  // namespace rampart::mime

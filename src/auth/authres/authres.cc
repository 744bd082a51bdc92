// authres.cc — RFC 8601 Authentication-Results parsing and writing.
#include "auth/authres/authres.h"

#include "core/strings.h"

namespace rampart::authres {

std::string ResInfo::property(std::string_view ptype, std::string_view name) const {
  for (const auto& p : props)
    if (iequals(p.ptype, ptype) && iequals(p.name, name)) return p.value;
  return {};
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || is_tspecial(ch)) return false;
  }
  return true;
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_keyword_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status cfws(std::string* comments = nullptr) {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (is_ws(c)) {
        ++i_;
      } else if (c == '(') {
        size_t start = i_;
        size_t depth = 0;
        std::string text;
        while (i_ < s_.size()) {
          char d = s_[i_];
          if (d == '\\' && i_ + 1 < s_.size()) {
            if (depth >= 1) text += s_[i_ + 1];
            i_ += 2;
            continue;
          }
          if (d == '(') {
            if (++depth > kMaxCommentDepth) return err(Errc::kLimit, "comments nested too deeply");
            if (depth > 1) text += d;
          } else if (d == ')') {
            if (--depth == 0) {
              ++i_;
              break;
            }
            text += d;
          } else {
            text += d;
          }
          ++i_;
        }
        if (depth != 0) {
          i_ = start;
          return err(Errc::kParse, "unterminated comment");
        }
        if (comments) {
          std::string_view t = trim(text);
          if (!t.empty()) {
            if (!comments->empty()) *comments += ' ';
            *comments += t;
          }
        }
      } else {
        break;
      }
    }
    return {};
  }

  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || at_end()) return false;
    ++i_;
    return true;
  }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }

  std::string keyword() {
    size_t start = i_;
    while (i_ < s_.size() && is_keyword_char(s_[i_])) ++i_;
    return to_lower(s_.substr(start, i_ - start));
  }

  std::string digits() {
    size_t start = i_;
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  // quoted-string (RFC 5322 3.2.4), decoded; caller checked the opening quote.
  Result<std::string> quoted() {
    size_t start = i_;
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c == '\\' && i_ + 1 < s_.size()) {
        out += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      if (c == '\r' || c == '\n') {  // folding inside the quotes
        ++i_;
        continue;
      }
      out += c;
      ++i_;
    }
    i_ = start;
    return tl::unexpected(make(Errc::kParse, "unterminated quoted-string"));
  }

  // A value: quoted-string, or an unquoted run up to WSP, ';', '(' or ')'.
  Result<std::string> value() {
    if (peek() == '"') return quoted();
    size_t start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      auto u = static_cast<unsigned char>(c);
      if (is_ws(c) || c == ';' || c == '(' || c == ')' || c == '"' || u < 0x20 || u == 0x7f) break;
      ++i_;
    }
    if (i_ == start) return tl::unexpected(make(Errc::kParse, "value expected"));
    return std::string(s_.substr(start, i_ - start));
  }

  Error make(Errc code, std::string what) const {
    return Error{code, what + " at offset " + std::to_string(i_)};
  }
  tl::unexpected<Error> err(Errc code, std::string what) const { return tl::unexpected(make(code, what)); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

#define RAMPART_TRY(expr)                                         \
  do {                                                            \
    auto rampart_st_ = (expr);                                    \
    if (!rampart_st_) return tl::unexpected(rampart_st_.error()); \
  } while (0)

Result<unsigned> small_number(const std::string& d) {
  if (d.empty() || d.size() > 9) return fail(Errc::kParse, "bad version number \"" + d + "\"");
  unsigned n = 0;
  for (char c : d) n = n * 10 + static_cast<unsigned>(c - '0');
  return n;
}

}  // namespace

Result<AuthResults> parse(std::string_view value) {
  if (value.size() > kMaxInput) return fail(Errc::kLimit, "Authentication-Results longer than 64 KiB");
  Parser p(value);
  AuthResults ar;
  RAMPART_TRY(p.cfws());
  if (p.at_end()) return fail(Errc::kParse, "missing authserv-id");
  {
    auto id = p.value();
    if (!id) return tl::unexpected(id.error());
    ar.authserv_id = std::move(*id);
  }
  RAMPART_TRY(p.cfws());
  if (is_digit(p.peek())) {
    std::string d = p.digits();
    auto v = small_number(d);
    if (!v) return tl::unexpected(v.error());
    ar.version = *v;
    RAMPART_TRY(p.cfws());
  }
  bool none = false;
  while (!p.at_end()) {
    if (!p.eat(';')) return p.err(Errc::kParse, "\";\" expected");
    RAMPART_TRY(p.cfws());
    if (p.at_end()) break;  // a trailing ";" is tolerated
    if (p.peek() == ';') continue;
    size_t mstart = p.pos();
    std::string method = p.keyword();
    if (method.empty()) return p.err(Errc::kParse, "method expected");
    RAMPART_TRY(p.cfws());
    if (method == "none" && (p.at_end() || p.peek() == ';')) {
      if (!ar.results.empty()) return p.err(Errc::kParse, "\"none\" after results");
      none = true;
      continue;
    }
    if (none) {
      p.seek(mstart);
      return p.err(Errc::kParse, "results after \"none\"");
    }
    if (ar.results.size() >= kMaxResults) return p.err(Errc::kLimit, "too many results");
    ResInfo r;
    r.method = std::move(method);
    if (p.eat('/')) {
      RAMPART_TRY(p.cfws());
      auto v = small_number(p.digits());
      if (!v) return p.err(Errc::kParse, "method version expected");
      r.method_version = *v;
      RAMPART_TRY(p.cfws());
    }
    if (!p.eat('=')) return p.err(Errc::kParse, "\"=\" expected after method \"" + r.method + "\"");
    RAMPART_TRY(p.cfws());
    r.result = p.keyword();
    if (r.result.empty()) return p.err(Errc::kParse, "result expected for method \"" + r.method + "\"");
    RAMPART_TRY(p.cfws(&r.comment));
    // reasonspec and propspecs
    while (!p.at_end() && p.peek() != ';') {
      size_t kstart = p.pos();
      std::string word = p.keyword();
      if (word.empty()) return p.err(Errc::kParse, "property expected");
      RAMPART_TRY(p.cfws(&r.comment));
      if (word == "reason" && p.peek() == '=') {
        if (!r.reason.empty() || !r.props.empty()) {
          p.seek(kstart);
          return p.err(Errc::kParse, "misplaced reason");
        }
        p.eat('=');
        RAMPART_TRY(p.cfws());
        auto v = p.value();
        if (!v) return tl::unexpected(v.error());
        r.reason = std::move(*v);
        RAMPART_TRY(p.cfws(&r.comment));
        continue;
      }
      if (!p.eat('.')) return p.err(Errc::kParse, "\".\" expected after ptype \"" + word + "\"");
      RAMPART_TRY(p.cfws());
      std::string prop = p.keyword();
      if (prop.empty()) return p.err(Errc::kParse, "property name expected");
      RAMPART_TRY(p.cfws());
      if (!p.eat('=')) return p.err(Errc::kParse, "\"=\" expected after property");
      RAMPART_TRY(p.cfws());
      auto v = p.value();
      if (!v) return tl::unexpected(v.error());
      if (r.props.size() >= kMaxProperties) return p.err(Errc::kLimit, "too many properties");
      r.props.push_back(Property{std::move(word), std::move(prop), std::move(*v)});
      RAMPART_TRY(p.cfws(&r.comment));
    }
    ar.results.push_back(std::move(r));
  }
  // A bare authserv-id (no "; none") is read as none, as receivers do.
  return ar;
}

Result<AuthResults> parse_field(std::string_view field) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) return fail(Errc::kParse, "not a header field");
  std::string_view name = trim(field.substr(0, colon));
  if (!iequals(name, "Authentication-Results"))
    return fail(Errc::kParse, "not an Authentication-Results field: \"" + std::string(name) + "\"");
  return parse(field.substr(colon + 1));
}

// --- writing --------------------------------------------------------------------

namespace {

std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (c == '\t') out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : clean(s)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string value_text(std::string_view v) {
  std::string c = clean(v);
  return is_token(c) ? c : quote(c);
}

bool dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (s[i + 1] == '.') return false;
      continue;
    }
    if (is_alnum(c)) continue;
    if (std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// pvalue: token, [local-part]"@"domain, or quoted-string.
std::string pvalue_text(std::string_view v) {
  std::string c = clean(v);
  if (is_token(c)) return c;
  size_t at = c.rfind('@');
  if (at != std::string::npos) {
    std::string_view local = std::string_view(c).substr(0, at), domain = std::string_view(c).substr(at + 1);
    if ((local.empty() || dot_atom(local)) && dot_atom(domain) &&
        domain.find('=') == std::string_view::npos && domain.find('/') == std::string_view::npos)
      return c;
  }
  return quote(c);
}

std::string comment_text(std::string_view s) {
  std::string out = "(";
  for (char c : clean(s)) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

// A keyword (lower case, only keyword characters; "x" if none is left) and
// pvalue_text() appended to `out` (no temporaries in the
// common case: keywords and values that are tokens already).
void append_keyword(std::string& out, std::string_view k) {
  const size_t before = out.size();
  for (char c : k)
    if (is_keyword_char(c)) out += ascii_lower(c);
  if (out.size() == before) out += 'x';
}

void append_pvalue(std::string& out, std::string_view v) {
  if (is_token(v)) {  // no control characters: clean() would not change it
    out.append(v);
  } else {
    out += pvalue_text(v);
  }
}

void append_resinfo(std::string& s, const ResInfo& r) {
  append_keyword(s, r.method);
  if (r.method_version) s.append("/").append(std::to_string(r.method_version));
  s += '=';
  append_keyword(s, r.result);
  if (!r.reason.empty()) s.append(" reason=").append(quote(r.reason));
  if (!r.comment.empty()) s.append(" ").append(comment_text(r.comment));
  for (const auto& p : r.props) {
    s += ' ';
    append_keyword(s, p.ptype);
    s += '.';
    append_keyword(s, p.name);
    s += '=';
    append_pvalue(s, p.value);
  }
}

}  // namespace

std::string format_resinfo(const ResInfo& r) {
  std::string s;
  append_resinfo(s, r);
  return s;
}

std::string format(const AuthResults& ar, const FormatOptions& opt) {
  std::string s = opt.include_name ? "Authentication-Results: " : "";
  s.reserve(s.size() + 64 + 96 * ar.results.size());
  std::string id = clean(ar.authserv_id);
  s += id.empty() ? std::string("unknown") : value_text(id);
  if (opt.write_version || ar.version > 1) s += " " + std::to_string(ar.version ? ar.version : 1);
  const char* sep = opt.fold ? ";\r\n\t" : "; ";
  if (ar.results.empty()) return s + "; none";
  for (const auto& r : ar.results) {
    s += sep;
    append_resinfo(s, r);
  }
  return s;
}

// --- registry ---------------------------------------------------------------------

const std::vector<MethodInfo>& registered_methods() {
  static const std::vector<MethodInfo> kMethods = {
      {"auth",
       "RFC 8601 (RFC 4954 SMTP AUTH)",
       {"none", "pass", "fail", "temperror", "permerror"},
       {"smtp.auth", "smtp.mailfrom"},
       false},
      {"dkim",
       "RFC 8601 (RFC 6376), RFC 6008",
       {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"},
       {"header.d", "header.i", "header.b", "header.a", "header.s"},
       false},
      {"domainkeys",
       "RFC 8601 (RFC 4870)",
       {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"},
       {"header.d", "header.from", "header.sender"},
       true},
      {"iprev", "RFC 8601 (section 3)", {"pass", "fail", "temperror", "permerror"}, {"policy.iprev"}, false},
      {"sender-id",
       "RFC 8601 (RFC 4406)",
       {"none", "pass", "fail", "softfail", "neutral", "temperror", "permerror", "hardfail"},
       {"header.from", "header.sender", "header.resent-from", "header.resent-sender"},
       false},
      {"spf",
       "RFC 8601 (RFC 7208)",
       {"none", "pass", "fail", "softfail", "neutral", "temperror", "permerror", "hardfail"},
       {"smtp.mailfrom", "smtp.helo"},
       false},
      {"dmarc",
       "RFC 7489 section 11.1",
       {"none", "pass", "fail", "temperror", "permerror"},
       {"header.from", "policy.dmarc"},
       false},
      {"arc",
       "RFC 8617 section 10.1",
       {"none", "pass", "fail"},
       {"header.oldest-pass", "smtp.remote-ip"},
       false},
  };
  return kMethods;
}

const MethodInfo* find_method(std::string_view name) {
  for (const auto& m : registered_methods())
    if (iequals(m.name, name)) return &m;
  return nullptr;
}

bool valid_result(std::string_view method, std::string_view result) {
  const MethodInfo* m = find_method(method);
  if (!m) return false;
  for (auto r : m->results)
    if (iequals(r, result)) return true;
  return false;
}

}  // namespace rampart::authres

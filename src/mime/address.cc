#include "mime/address.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/strings.h"
#include "mime/idna.h"

namespace rampart::mime {

namespace {

// RFC 5322 3.2.3 atext, plus 8-bit bytes (RFC 6532 UTF-8).
bool is_atext(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c >= 0x80) return true;
  if (is_alnum(ch)) return true;
  switch (ch) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~': return true;
    default: return false;
  }
}

enum class Tok : uint8_t { kAtom, kQuoted, kLiteral, kSpecial, kEnd };

struct Token {
  Tok type = Tok::kEnd;
  char ch = 0;       // for kSpecial
  size_t begin = 0;  // content: atom text, quoted-string or literal inside the delimiters
  size_t end = 0;
  size_t offset = 0;          // where the token starts in the input
  bool space_before = false;  // FWS or a comment precedes the token
};

std::string at(size_t offset) { return " at offset " + std::to_string(offset); }

std::string describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", u);
    return buf;
  }
  return std::string("'") + c + "'";
}

// Splits `s` into tokens, dropping whitespace and comments. Linear, no
// recursion: comment nesting is a counter.
Result<std::vector<Token>> lex(std::string_view s) {
  std::vector<Token> out;
  const size_t n = s.size();
  size_t i = 0;
  bool space = false;
  while (i < n) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      ++i;
      continue;
    }
    Token t;
    t.offset = i;
    t.space_before = space;
    if (c == '(') {
      const size_t start = i;
      size_t depth = 1;
      ++i;
      while (i < n && depth > 0) {
        const char d = s[i];
        if (d == '\\') {
          if (i + 1 >= n) break;
          i += 2;
          continue;
        }
        if (d == '(') {
          if (++depth > kMaxCommentDepth)
            return fail(Errc::kLimit,
                        "comment nested deeper than " + std::to_string(kMaxCommentDepth) + at(start));
        } else if (d == ')') {
          --depth;
        }
        ++i;
      }
      if (depth > 0) return fail(Errc::kParse, "unterminated comment" + at(start));
      space = true;
      continue;
    }
    if (c == '"' || c == '[') {
      const char close = c == '"' ? '"' : ']';
      const size_t start = i++;
      t.begin = i;
      while (i < n && s[i] != close) {
        const char d = s[i];
        if (d == '\\') {
          // quoted-pair; obs-qp allows NUL, CR and LF after the backslash, but
          // they cannot be written back into an address: refuse them.
          if (i + 1 < n && (s[i + 1] == '\0' || s[i + 1] == '\r' || s[i + 1] == '\n'))
            return fail(Errc::kParse, "quoted-pair of NUL, CR or LF" + at(i));
          i += 2;  // a trailing backslash runs past the end
          continue;
        }
        if (d == '\0') return fail(Errc::kParse, "NUL byte" + at(i));
        if (close == ']' && d == '[') return fail(Errc::kParse, "'[' inside domain-literal" + at(i));
        ++i;
      }
      if (i >= n) {
        return fail(
            Errc::kParse,
            std::string(c == '"' ? "unterminated quoted-string" : "unterminated domain-literal") + at(start));
      }
      t.end = i++;
      t.type = c == '"' ? Tok::kQuoted : Tok::kLiteral;
      out.push_back(t);
      space = false;
      continue;
    }
    switch (c) {
      case '<':
      case '>':
      case ':':
      case ';':
      case '@':
      case ',':
      case '.':
        t.type = Tok::kSpecial;
        t.ch = c;
        out.push_back(t);
        ++i;
        space = false;
        continue;
      default: break;
    }
    if (is_atext(c)) {
      t.type = Tok::kAtom;
      t.begin = i;
      while (i < n && is_atext(s[i])) ++i;
      t.end = i;
      out.push_back(t);
      space = false;
      continue;
    }
    return fail(Errc::kParse, "unexpected character " + describe(c) + at(i));
  }
  Token end;
  end.offset = n;
  end.space_before = space;
  out.push_back(end);
  return out;
}

// Content of a quoted-string or domain-literal: quoted-pairs resolved, line
// breaks removed (unfolding).
std::string decode_quoted(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      out += raw[++i];
    } else if (c != '\r' && c != '\n') {
      out += c;
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view s, std::vector<Token> toks) : s_(s), t_(std::move(toks)) {}

  const Token& tok() const { return t_[p_]; }
  bool at_end() const { return tok().type == Tok::kEnd; }
  bool is_special(char c) const { return tok().type == Tok::kSpecial && tok().ch == c; }
  bool is_word() const { return tok().type == Tok::kAtom || tok().type == Tok::kQuoted; }
  void next() {
    if (!at_end()) ++p_;
  }

  // One address at the current token. Groups only when `allow_group`.
  Result<Address> address(bool allow_group) {
    const size_t w0 = p_;
    while (is_word() || is_special('.')) ++p_;
    const size_t w1 = p_;
    if (is_special('<')) {
      Mailbox mb;
      if (w1 > w0) {
        auto name = phrase(w0, w1);
        if (!name) return tl::unexpected(name.error());
        mb.display_name = std::move(*name);
      }
      next();
      if (auto st = angle_addr(mb); !st) return tl::unexpected(st.error());
      return single(std::move(mb));
    }
    if (is_special('@')) {
      Mailbox mb;
      auto lp = local_part(w0, w1);
      if (!lp) return tl::unexpected(lp.error());
      mb.local_part = std::move(*lp);
      next();
      if (auto st = domain(mb); !st) return tl::unexpected(st.error());
      return single(std::move(mb));
    }
    if (is_special(':') && w1 > w0) {
      if (!allow_group) return fail(Errc::kParse, "group syntax not allowed here" + at(tok().offset));
      auto name = phrase(w0, w1);
      if (!name) return tl::unexpected(name.error());
      Address a;
      a.is_group = true;
      a.group_name = std::move(*name);
      next();
      // group-list = mailbox-list / CFWS / obs-group-list
      for (;;) {
        while (is_special(',')) next();
        if (is_special(';')) {
          next();
          return a;
        }
        if (at_end()) return fail(Errc::kParse, "group without closing ';'" + at(tok().offset));
        auto m = address(false);
        if (!m) return tl::unexpected(m.error());
        if (++count_ > kMaxAddresses) return too_many();
        a.mailboxes.push_back(std::move(m->mailboxes.front()));
        if (!is_special(',') && !is_special(';'))
          return fail(Errc::kParse, "expected ',' or ';' in group" + at(tok().offset));
      }
    }
    if (w1 == w0) return fail(Errc::kParse, "expected an address" + at(tok().offset));
    return fail(Errc::kParse, "expected '@' or '<'" + at(tok().offset));
  }

  // addr-spec alone.
  Result<Mailbox> addr_spec() {
    const size_t w0 = p_;
    while (is_word() || is_special('.')) ++p_;
    if (!is_special('@')) return fail(Errc::kParse, "expected '@'" + at(tok().offset));
    Mailbox mb;
    auto lp = local_part(w0, p_);
    if (!lp) return tl::unexpected(lp.error());
    mb.local_part = std::move(*lp);
    next();
    if (auto st = domain(mb); !st) return tl::unexpected(st.error());
    return mb;
  }

  Status expect_end() {
    if (!at_end()) return fail(Errc::kParse, "unexpected " + what() + at(tok().offset));
    return {};
  }

  tl::unexpected<Error> too_many() const {
    return fail(Errc::kLimit, "more than " + std::to_string(kMaxAddresses) + " addresses");
  }
  size_t& count() { return count_; }

  std::string what() const {
    switch (tok().type) {
      case Tok::kAtom: return "word";
      case Tok::kQuoted: return "quoted-string";
      case Tok::kLiteral: return "domain-literal";
      case Tok::kSpecial: return std::string("'") + tok().ch + "'";
      case Tok::kEnd: return "end of input";
    }
    return "token";
  }

 private:
  static Address single(Mailbox mb) {
    Address a;
    a.mailboxes.push_back(std::move(mb));
    return a;
  }

  std::string word_text(const Token& t) const {
    std::string_view raw = s_.substr(t.begin, t.end - t.begin);
    if (t.type == Tok::kQuoted) return decode_quoted(raw);
    return std::string(raw);
  }

  // phrase / obs-phrase: word *(word / "." / CFWS).
  Result<std::string> phrase(size_t b, size_t e) const {
    if (t_[b].type == Tok::kSpecial)
      return fail(Errc::kParse, "display name starts with '.'" + at(t_[b].offset));
    std::string out;
    for (size_t i = b; i < e; ++i) {
      const Token& t = t_[i];
      if (i > b && t.space_before) out += ' ';
      if (t.type == Tok::kSpecial) {
        out += '.';
      } else {
        out += word_text(t);
      }
    }
    return out;
  }

  // local-part = dot-atom / quoted-string / obs-local-part (word *("." word)).
  Result<std::string> local_part(size_t b, size_t e) const {
    if (b == e) return fail(Errc::kParse, "empty local-part" + at(t_[b].offset));
    std::string out;
    bool want_word = true;
    for (size_t i = b; i < e; ++i) {
      const Token& t = t_[i];
      const bool dot = t.type == Tok::kSpecial;
      if (want_word && dot) return fail(Errc::kParse, "misplaced '.' in local-part" + at(t.offset));
      if (!want_word && !dot)
        return fail(Errc::kParse, "words in local-part not separated by '.'" + at(t.offset));
      if (dot) {
        out += '.';
      } else {
        out += word_text(t);
      }
      want_word = !want_word;
    }
    if (want_word) return fail(Errc::kParse, "local-part ends with '.'" + at(t_[e - 1].offset));
    return out;
  }

  // domain = dot-atom / domain-literal / obs-domain (atom *("." atom)).
  Status domain(Mailbox& mb) {
    if (tok().type == Tok::kLiteral) {
      // Quoted-pairs stay as written (so addr_spec() reads back the same);
      // FWS is dropped; lower-case like a domain name.
      std::string lit = "[";
      const std::string_view raw = s_.substr(tok().begin, tok().end - tok().begin);
      for (size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '\\' && i + 1 < raw.size()) {
          lit += c;
          lit += ascii_lower(raw[++i]);
        } else if (!is_wsp(c) && c != '\r' && c != '\n') {
          lit += ascii_lower(c);
        }
      }
      lit += ']';
      mb.domain = std::move(lit);
      mb.domain_literal = true;
      next();
      return {};
    }
    auto d = domain_name();
    if (!d) return tl::unexpected(d.error());
    mb.domain = std::move(*d);
    return {};
  }

  // The domain in A-label form (idna.h): U-labels (RFC 6532) go through
  // UTS #46; an invalid one is a parse error naming the domain.
  Result<std::string> domain_name() {
    std::string out;
    const size_t start = tok().offset;
    for (;;) {
      if (tok().type != Tok::kAtom)
        return fail(Errc::kParse, "expected domain, got " + what() + at(tok().offset));
      out += to_lower(s_.substr(tok().begin, tok().end - tok().begin));
      next();
      if (!is_special('.')) break;
      out += '.';
      next();
    }
    if (is_ascii(out)) return out;
    auto a = domain_to_ascii(out);
    if (!a) return fail(a.error().code, a.error().message + at(start));
    // UTS #46 maps full-width dots and symbols to ASCII: the result must be
    // a domain again ("ex\uff0e" would be "ex.").
    if (!is_dot_atom(*a))
      return fail(Errc::kParse, "invalid internationalised domain name: maps to \"" + *a + "\"" + at(start));
    return a;
  }

  // After '<': [obs-route] addr-spec '>'.
  Status angle_addr(Mailbox& mb) {
    if (is_special('>')) return fail(Errc::kParse, "empty angle-addr" + at(tok().offset));
    if (is_special('@') || is_special(',')) {
      // obs-route = obs-domain-list ":" ; obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@"
      // domain])
      for (;;) {
        while (is_special(',')) next();
        if (!is_special('@')) break;
        next();
        if (tok().type == Tok::kLiteral) {
          Mailbox tmp;
          if (auto st = domain(tmp); !st) return st;
          mb.route.push_back(std::move(tmp.domain));
        } else {
          auto d = domain_name();
          if (!d) return tl::unexpected(d.error());
          mb.route.push_back(std::move(*d));
        }
        if (mb.route.size() > kMaxAddresses) return too_many();
      }
      if (!is_special(':')) return fail(Errc::kParse, "expected ':' after obs-route" + at(tok().offset));
      next();
    }
    auto spec = addr_spec();
    if (!spec) return tl::unexpected(spec.error());
    mb.local_part = std::move(spec->local_part);
    mb.domain = std::move(spec->domain);
    mb.domain_literal = spec->domain_literal;
    if (!is_special('>')) return fail(Errc::kParse, "expected '>', got " + what() + at(tok().offset));
    next();
    return {};
  }

  std::string_view s_;
  std::vector<Token> t_;
  size_t p_ = 0;
  size_t count_ = 0;
};

Result<Parser> make_parser(std::string_view text) {
  auto toks = lex(text);
  if (!toks) return tl::unexpected(toks.error());
  return Parser(text, std::move(*toks));
}

}  // namespace

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

std::string Mailbox::display_domain() const {
  if (domain_literal) return domain;
  return domain_to_unicode(domain);
}

std::string Mailbox::addr_spec() const {
  std::string out;
  if (is_dot_atom(local_part)) {
    out = local_part;
  } else {
    out.reserve(local_part.size() + 2 + domain.size() + 1);
    out += '"';
    for (char c : local_part) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '@';
  out += domain;
  return out;
}

Result<Mailbox> parse_addr_spec(std::string_view text) {
  auto p = make_parser(text);
  if (!p) return tl::unexpected(p.error());
  auto mb = p->addr_spec();
  if (!mb) return mb;
  if (auto st = p->expect_end(); !st) return tl::unexpected(st.error());
  return mb;
}

Result<Mailbox> parse_mailbox(std::string_view text) {
  auto p = make_parser(text);
  if (!p) return tl::unexpected(p.error());
  if (p->at_end()) return fail(Errc::kParse, "no mailbox");
  auto a = p->address(false);
  if (!a) return tl::unexpected(a.error());
  if (p->is_special(','))
    return fail(Errc::kParse, "more than one mailbox where one is allowed" + at(p->tok().offset));
  if (auto st = p->expect_end(); !st) return tl::unexpected(st.error());
  return std::move(a->mailboxes.front());
}

Result<std::vector<Mailbox>> parse_mailbox_list(std::string_view text) {
  auto p = make_parser(text);
  if (!p) return tl::unexpected(p.error());
  std::vector<Mailbox> out;
  for (;;) {
    while (p->is_special(',')) p->next();  // obs-mbox-list empty elements
    if (p->at_end()) break;
    auto a = p->address(false);
    if (!a) return tl::unexpected(a.error());
    if (++p->count() > kMaxAddresses) return p->too_many();
    out.push_back(std::move(a->mailboxes.front()));
    if (!p->is_special(',') && !p->at_end())
      return fail(Errc::kParse, "expected ',' between mailboxes, got " + p->what() + at(p->tok().offset));
  }
  if (out.empty()) return fail(Errc::kParse, "no mailbox");
  return out;
}

Result<std::vector<Address>> parse_address_list(std::string_view text) {
  auto p = make_parser(text);
  if (!p) return tl::unexpected(p.error());
  std::vector<Address> out;
  for (;;) {
    while (p->is_special(',')) p->next();  // obs-addr-list empty elements
    if (p->at_end()) break;
    auto a = p->address(true);
    if (!a) return tl::unexpected(a.error());
    if (!a->is_group && ++p->count() > kMaxAddresses) return p->too_many();
    out.push_back(std::move(*a));
    if (!p->is_special(',') && !p->at_end())
      return fail(Errc::kParse, "expected ',' between addresses, got " + p->what() + at(p->tok().offset));
  }
  if (out.empty()) return fail(Errc::kParse, "no address");
  return out;
}

}  // namespace rampart::mime

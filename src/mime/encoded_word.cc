// File: src/mime/encoded_word.cc
// RFC 2047 decoding; see encoded_word.h.
#include "mime/encoded_word.h"

#include "core/strings.h"
#include "mime/charset.h"

namespace rampart::mime {
namespace {

constexpr size_t kMaxCharsetLen = 64;

bool is_lwsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct Word {
  std::string_view charset;  // without "*lang"
  char encoding = 'B';
  std::string_view text;
  size_t end = 0;  // index after "?="
};

// Parses an encoded word at s[i] ("=?" there). Returns false when it is not one.
bool parse_word(std::string_view s, size_t i, Word& w, bool& looked_like) {
  looked_like = false;
  size_t p = i + 2;
  const size_t cs_start = p;
  while (p < s.size() && s[p] != '?' && !is_lwsp(s[p]) && p - cs_start <= kMaxCharsetLen) ++p;
  if (p >= s.size() || s[p] != '?' || p == cs_start) return false;
  std::string_view cs = s.substr(cs_start, p - cs_start);
  ++p;
  if (p + 1 >= s.size() || s[p + 1] != '?') return false;
  const char enc = static_cast<char>(s[p] | 0x20);
  if (enc != 'b' && enc != 'q') return false;
  looked_like = true;
  p += 2;
  const size_t text_start = p;
  while (p < s.size() && s[p] != '?' && !is_lwsp(s[p])) ++p;
  if (p + 1 >= s.size() || s[p] != '?' || s[p + 1] != '=') return false;
  const size_t star = cs.find('*');
  if (star != std::string_view::npos) cs = cs.substr(0, star);
  w.charset = cs;
  w.encoding = enc;
  w.text = s.substr(text_start, p - text_start);
  w.end = p + 2;
  return true;
}

}  // namespace

std::string decode_header(std::string_view value, DefectSet& defects, size_t max_out) {
  // Unfold: drop CR and LF (folding keeps the WSP after them).
  std::string unfolded;
  std::string_view s = value;
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    unfolded.reserve(value.size());
    for (char c : value)
      if (c != '\r' && c != '\n') unfolded += c;
    s = unfolded;
  }
  std::string out;
  if (s.find("=?") == std::string_view::npos) {
    to_utf8(s, "us-ascii", out, defects, max_out);
    return out;
  }
  std::string pending;          // decoded bytes of adjacent encoded words
  std::string_view pending_cs;  // their charset
  auto flush = [&] {
    if (!pending.empty()) to_utf8(pending, pending_cs, out, defects, max_out);
    pending.clear();
  };
  size_t i = 0;
  size_t lit = 0;           // start of literal text not yet written
  bool after_word = false;  // the last thing written was an encoded word
  while (i < s.size()) {
    const size_t at = s.find("=?", i);
    if (at == std::string_view::npos) break;
    Word w;
    bool looked_like = false;
    if (!parse_word(s, at, w, looked_like)) {
      if (looked_like) note(defects, DefectKind::kEncodedWordError);
      i = at + 2;
      continue;
    }
    std::string_view between = s.substr(lit, at - lit);
    bool only_ws = true;
    for (char c : between)
      if (!is_lwsp(c)) only_ws = false;
    if (!(after_word && only_ws)) {
      flush();
      to_utf8(between, "us-ascii", out, defects, max_out);
    }
    if (!pending.empty() && !iequals(pending_cs, w.charset)) flush();
    pending_cs = w.charset;
    if (w.encoding == 'b') {
      base64_decode(w.text, pending, defects, max_out);
    } else {
      q_decode(w.text, pending, defects, max_out);
    }
    after_word = true;
    i = lit = w.end;
    if (out.size() >= max_out) break;
  }
  flush();
  if (lit < s.size() && out.size() < max_out) to_utf8(s.substr(lit), "us-ascii", out, defects, max_out);
  return out;
}

}  // namespace rampart::mime

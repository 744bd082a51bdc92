// File: src/auth/dkim/tag_list.cc
// RFC 6376 section 3.2 tag lists; see tag_list.h.
#include "auth/dkim/tag_list.h"

#include <string>

#include "core/strings.h"

namespace rampart::dkim {
namespace {

constexpr bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr bool is_valchar(unsigned char c) { return c >= 0x21 && c <= 0x7e && c != ';'; }

}  // namespace

Result<TagList> parse_tag_list(std::string_view text) {
  TagList out;
  auto& tags = out.mutable_tags();
  size_t i = 0;
  const size_t n = text.size();
  while (true) {
    while (i < n && is_fws(text[i])) ++i;
    if (i == n) {
      // Empty input, or a trailing ';' (allowed once at the end).
      break;
    }
    if (text[i] == ';') return fail(Errc::kParse, "tag list: empty tag-spec");
    const size_t name_begin = i;
    if (!is_alpha(text[i])) return fail(Errc::kParse, "tag list: tag name must start with a letter");
    while (i < n && (is_alnum(text[i]) || text[i] == '_')) ++i;
    std::string_view name = text.substr(name_begin, i - name_begin);
    while (i < n && is_fws(text[i])) ++i;
    if (i == n || text[i] != '=')
      return fail(Errc::kParse, "tag list: missing '=' after tag '" + std::string(name) + "'");
    ++i;
    const size_t raw_begin = i;
    size_t vb = i, ve = i;
    bool seen = false;
    while (i < n && text[i] != ';') {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (is_fws(static_cast<char>(c))) {
        ++i;
        continue;
      }
      if (!is_valchar(c))
        return fail(Errc::kParse, "tag list: invalid character in value of '" + std::string(name) + "'");
      if (!seen) vb = i;
      seen = true;
      ve = ++i;
    }
    const size_t raw_end = i;
    for (const Tag& t : tags)
      if (t.name == name) return fail(Errc::kParse, "tag list: duplicate tag '" + std::string(name) + "'");
    if (tags.size() >= TagList::kMaxTags) return fail(Errc::kLimit, "tag list: too many tags");
    Tag t;
    t.name = name;
    t.value = seen ? text.substr(vb, ve - vb) : text.substr(raw_begin, 0);
    t.raw_begin = raw_begin;
    t.raw_end = raw_end;
    tags.push_back(t);
    if (i == n) break;
    ++i;  // ';'
  }
  return out;
}

std::string strip_fws(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (!is_fws(c)) out.push_back(c);
  return out;
}

std::vector<std::string_view> split_colon_list(std::string_view v) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i == v.size() || v[i] == ':') {
      std::string_view item = v.substr(start, i - start);
      while (!item.empty() && is_fws(item.front())) item.remove_prefix(1);
      while (!item.empty() && is_fws(item.back())) item.remove_suffix(1);
      out.push_back(item);
      start = i + 1;
    }
  }
  return out;
}

}  // namespace rampart::dkim

// File: src/core/strings.h
// Small ASCII string helpers used by every parser (no locale, no allocation
// unless the result is a new string).
//
//   iequals("MX", "mx"); to_lower("Example.COM"); trim("  a ");
//   split("a b  c", ' ')  -> {"a","b","","c"}  (views into the input)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rampart {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr bool is_alpha(char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// RFC 2045 5.1 tspecials: the characters that end a MIME (and RFC 8601) token.
constexpr bool is_tspecial(char c) {
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=': return true;
    default: return false;
  }
}

// Copies n bytes from `in` to `out`, ASCII letters lower-cased, 8 bytes at a
// time (hot: every DNS cache lookup normalises its name). Bytes >= 0x80 are
// copied unchanged.
void ascii_lower_copy(const char* in, size_t n, char* out);

bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);

}  // namespace rampart

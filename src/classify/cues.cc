// File: src/classify/cues.cc
// The spam cues of short texts and their fixed prior (cues.h).
#include "classify/cues.h"

#include <algorithm>
#include <array>

namespace rampart::classify {

namespace {

inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_word(unsigned char c) { return is_digit(c) || is_alpha(c) || c == '_'; }
inline char lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }

// `s` starts with `p` ignoring ASCII case (p is lower case).
bool starts_nocase(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (lower(static_cast<unsigned char>(s[i])) != p[i]) return false;
  return true;
}

bool equals_nocase(std::string_view s, std::string_view p) {
  return s.size() == p.size() && starts_nocase(s, p);
}

constexpr std::array<std::string_view, 18> kActions = {
    "call", "txt",   "text", "reply",  "claim",   "send",       "win",   "won",     "winner",
    "free", "offer", "stop", "urgent", "collect", "guaranteed", "award", "awarded", "mobile"};

bool is_action(std::string_view w) {
  if (equals_nocase(w, "landline") || starts_nocase(w, "subscri")) return true;
  return std::any_of(kActions.begin(), kActions.end(),
                     [w](std::string_view a) { return equals_nocase(w, a); });
}

bool is_money_word(std::string_view w) {
  return equals_nocase(w, "pound") || equals_nocase(w, "pounds") || equals_nocase(w, "cash") ||
         equals_nocase(w, "prize");
}

bool is_tld(std::string_view w) {
  return equals_nocase(w, "com") || equals_nocase(w, "net") || equals_nocase(w, "org") ||
         equals_nocase(w, "biz") || equals_nocase(w, "info");
}

}  // namespace

Cues read_cues(std::string_view t) {
  Cues c;
  const auto* b = reinterpret_cast<const unsigned char*>(t.data());
  const size_t n = t.size();
  size_t letters = 0, capitals = 0, phone_end = 0;
  for (size_t i = 0; i < n;) {
    const unsigned char ch = b[i];
    // Money signs: '$', '£' (C2 A3), '€' (E2 82 AC).
    if (ch == '$' || (ch == 0xC2 && i + 1 < n && b[i + 1] == 0xA3) ||
        (ch == 0xE2 && i + 2 < n && b[i + 1] == 0x82 && b[i + 2] == 0xAC))
      c.money = true;
    if (!c.url && (ch == 'h' || ch == 'H' || ch == 'w' || ch == 'W')) {
      const std::string_view rest = t.substr(i);
      c.url =
          starts_nocase(rest, "http://") || starts_nocase(rest, "https://") || starts_nocase(rest, "www.");
    }
    // A phone number: digits and spaces, 10 characters or more, digit at both ends.
    // A run starting inside one already read ends where it did, shorter:
    // each byte is read once ("1 1 1 1 ..." stays linear).
    if (is_digit(ch) && i >= phone_end) {
      size_t j = i, last_digit = i;
      while (j < n && (is_digit(b[j]) || b[j] == ' ')) {
        if (is_digit(b[j])) last_digit = j;
        ++j;
      }
      if (last_digit + 1 - i >= 10) c.phone = true;
      phone_end = j;
    }
    if (!is_word(ch)) {
      ++i;
      continue;
    }
    // A token.
    size_t j = i;
    size_t digits = 0;
    while (j < n && is_word(b[j])) {
      if (is_digit(b[j])) ++digits;
      if (is_alpha(b[j])) {
        ++letters;
        capitals += b[j] <= 'Z';
      }
      ++j;
    }
    const std::string_view w = t.substr(i, j - i);
    const size_t len = j - i;
    if (digits == len && len >= 4 && len <= 6) c.short_code = true;
    if (len >= 2 && digits == len - 1 && (w.back() == 'p' || w.back() == 'P')) c.money = true;
    if (digits == 0) {
      if (c.calls_to_action < 3 && is_action(w)) ++c.calls_to_action;
      if (is_money_word(w)) c.money = true;
      if (i > 0 && b[i - 1] == '.') {
        if (is_tld(w) && (j == n || !is_word(b[j]))) c.url = true;
        // ".co.uk"
        if (equals_nocase(w, "co") && j + 3 <= n && b[j] == '.' && starts_nocase(t.substr(j + 1), "uk") &&
            (j + 3 == n || !is_word(b[j + 3])))
          c.url = true;
      }
    }
    i = j;
  }
  c.shouting = letters > 20 && 2 * capitals > letters;
  return c;
}

double cue_prior(const Cues& c) {
  return -2.0 + 2.0 * c.url + 2.5 * c.phone + 1.5 * c.short_code + 1.5 * c.money + 1.0 * c.calls_to_action +
         0.5 * c.shouting;
}

double cue_prior(std::string_view text) { return cue_prior(read_cues(text)); }

}  // namespace rampart::classify

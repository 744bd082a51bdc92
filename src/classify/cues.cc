// File: src/classify/cues.cc
// The spam cues of short texts and their fixed prior (cues.h).
#include "classify/cues.h"

#include <algorithm>
#include <array>

namespace rampart::classify {

namespace {

// Byte classes: a token byte (ASCII letter, digit, '_'), a digit, a letter,
// a capital.
constexpr uint8_t kWordByte = 1, kDigit = 2, kLetter = 4, kCapital = 8;
constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9', capital = c >= 'A' && c <= 'Z', small = c >= 'a' && c <= 'z';
    t[c] =
        static_cast<uint8_t>((digit || capital || small || c == '_' ? kWordByte : 0) | (digit ? kDigit : 0) |
                             (capital || small ? kLetter : 0) | (capital ? kCapital : 0));
  }
  return t;
}();

inline char lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }

// `s` starts with `p` ignoring ASCII case (p is lower case).
bool starts_nocase(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (lower(static_cast<unsigned char>(s[i])) != p[i]) return false;
  return true;
}

// The words of a token without digits, lower-cased (`w`: at most its first
// 10 bytes, `len` its whole length): by length, so that a token is compared
// with the few words of its size.
bool is_action(std::string_view w, size_t len) {
  if (len >= 7 && w.substr(0, 7) == "subscri") return true;
  switch (len) {
    case 3: return w == "txt" || w == "win" || w == "won";
    case 4: return w == "call" || w == "text" || w == "send" || w == "free" || w == "stop";
    case 5: return w == "reply" || w == "claim" || w == "offer" || w == "award";
    case 6: return w == "winner" || w == "urgent" || w == "mobile";
    case 7: return w == "collect" || w == "awarded";
    case 8: return w == "landline";
    case 10: return w == "guaranteed";
    default: return false;
  }
}

bool is_money_word(std::string_view w) {
  return w == "pound" || w == "pounds" || w == "cash" || w == "prize";
}

bool is_tld(std::string_view w) {
  return w == "com" || w == "net" || w == "org" || w == "biz" || w == "info";
}

}  // namespace

Cues read_cues(std::string_view t) {
  Cues c;
  const auto* b = reinterpret_cast<const unsigned char*>(t.data());
  const size_t n = t.size();
  size_t letters = 0, capitals = 0, phone_end = 0;
  for (size_t i = 0; i < n;) {
    const unsigned char ch = b[i];
    if ((kClass[ch] & kWordByte) == 0) {
      // Money signs: '$', '£' (C2 A3), '€' (E2 82 AC).
      if (ch == '$' || (ch == 0xC2 && i + 1 < n && b[i + 1] == 0xA3) ||
          (ch == 0xE2 && i + 2 < n && b[i + 1] == 0x82 && b[i + 2] == 0xAC))
        c.money = true;
      ++i;
      continue;
    }
    // A token starts here.
    if (!c.url && (ch == 'h' || ch == 'H' || ch == 'w' || ch == 'W')) {
      const std::string_view rest = t.substr(i);
      c.url =
          starts_nocase(rest, "http://") || starts_nocase(rest, "https://") || starts_nocase(rest, "www.");
    }
    // A phone number: digits and spaces, 10 characters or more, digit at both ends.
    // A run starting inside one already read ends where it did, shorter:
    // each byte is read once ("1 1 1 1 ..." stays linear).
    if ((kClass[ch] & kDigit) != 0 && i >= phone_end) {
      size_t j = i, last_digit = i;
      while (j < n && ((kClass[b[j]] & kDigit) != 0 || b[j] == ' ')) {
        if ((kClass[b[j]] & kDigit) != 0) last_digit = j;
        ++j;
      }
      if (last_digit + 1 - i >= 10) c.phone = true;
      phone_end = j;
    }
    size_t j = i;
    size_t digits = 0;
    char low[10];  // the token's first 10 bytes, lower-cased
    for (uint8_t k; j < n && ((k = kClass[b[j]]) & kWordByte) != 0; ++j) {
      digits += (k & kDigit) != 0;
      letters += (k & kLetter) != 0;
      capitals += (k & kCapital) != 0;
      if (j - i < sizeof low) low[j - i] = lower(b[j]);
    }
    const size_t len = j - i;
    if (digits == len && len >= 4 && len <= 6) c.short_code = true;
    if (len >= 2 && digits == len - 1 && (b[j - 1] == 'p' || b[j - 1] == 'P')) c.money = true;
    if (digits == 0) {
      const std::string_view w(low, std::min(len, sizeof low));
      if (c.calls_to_action < 3 && is_action(w, len)) ++c.calls_to_action;
      if (len <= 6 && is_money_word(w)) c.money = true;
      if (i > 0 && b[i - 1] == '.') {
        // The token ends at j (end or a non-token byte).
        if (len <= 4 && is_tld(w)) c.url = true;
        // ".co.uk"
        if (w == "co" && j + 3 <= n && b[j] == '.' && starts_nocase(t.substr(j + 1), "uk") &&
            (j + 3 == n || (kClass[b[j + 3]] & kWordByte) == 0))
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

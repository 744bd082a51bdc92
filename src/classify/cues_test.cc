// Tests of the spam cues of short texts and their prior (cues.h): each cue
// on its own, the look-alikes that must not count, the weights, and bytes
// that are not text.
#include "classify/cues.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <string>

namespace rampart::classify {
namespace {

namespace reference {

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

// read_cues as it was before it read tokens by byte class and compared
// words by length (commit e3f75f8): what the rewrite must equal.
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

}  // namespace reference

TEST(Cues, EachCueAlone) {
  EXPECT_TRUE(read_cues("see http://x.example/a").url);
  EXPECT_TRUE(read_cues("go to WWW.prize.example now").url);
  EXPECT_TRUE(read_cues("visit areyouunique.co.uk today").url);
  EXPECT_TRUE(read_cues("at smsco.com").url);
  EXPECT_FALSE(read_cues("the community is nice.commute").url);  // ".commute" is no TLD

  EXPECT_TRUE(read_cues("call 09061701461 now").phone);
  EXPECT_TRUE(read_cues("ring 0800 123 4567").phone);         // groups with spaces
  EXPECT_FALSE(read_cues("at 8 or 9, then 10 11 12").phone);  // runs of 1 and 8 characters
  EXPECT_FALSE(read_cues("ref 123456789").phone);             // 9 digits

  EXPECT_TRUE(read_cues("text WIN to 87121").short_code);
  EXPECT_FALSE(read_cues("in 2 mins").short_code);
  EXPECT_FALSE(read_cues("code abc1234").short_code);  // digits inside a word
  EXPECT_FALSE(read_cues("1234567").short_code);       // 7 digits

  EXPECT_TRUE(read_cues("only \xC2\xA3"
                        "5")
                  .money);
  EXPECT_TRUE(read_cues("win $100").money);
  EXPECT_TRUE(read_cues("\xE2\x82\xAC"
                        "20 off")
                  .money);
  EXPECT_TRUE(read_cues("150p per msg").money);
  EXPECT_TRUE(read_cues("a CASH prize").money);
  EXPECT_FALSE(read_cues("happy birthday").money);
  EXPECT_FALSE(read_cues("p").money);

  EXPECT_EQ(read_cues("ok see you").calls_to_action, 0u);
  EXPECT_EQ(read_cues("Call me").calls_to_action, 1u);
  EXPECT_EQ(read_cues("URGENT! claim your FREE offer, reply STOP").calls_to_action, 3u);  // at most 3
  EXPECT_EQ(read_cues("subscribe or Subscription").calls_to_action, 2u);
  EXPECT_EQ(read_cues("calling recall texts").calls_to_action, 0u);  // whole words only

  EXPECT_TRUE(read_cues("YOU HAVE WON A GUARANTEED PRIZE TODAY").shouting);
  EXPECT_FALSE(read_cues("I HAVE A DATE").shouting);  // 11 letters: too short to tell
  EXPECT_FALSE(read_cues("You have won a guaranteed prize today").shouting);
}

TEST(Cues, PriorWeights) {
  EXPECT_DOUBLE_EQ(cue_prior("ok see you at home"), -2.0);
  // phone 2.5, money 1.5, winner + call + claim 3.
  EXPECT_DOUBLE_EQ(cue_prior("WINNER!! Call 09061701461 to claim your \xC2\xA3"
                             "900 prize"),
                   -2.0 + 2.5 + 1.5 + 3.0);
  Cues all;
  all.url = all.phone = all.short_code = all.money = all.shouting = true;
  all.calls_to_action = 3;
  EXPECT_DOUBLE_EQ(cue_prior(all), -2.0 + 2 + 2.5 + 1.5 + 1.5 + 3 + 0.5);
  EXPECT_GT(cue_prior("Free entry in 2 a wkly comp to win FA Cup final tkts. Text FA to 87121"),
            cue_prior("Nah I don't think he goes to usf, he lives around here though"));
}

// The same cues as the plain reading above on 100,000 random texts made of
// cue words in any case, look-alikes, digits, spaces, dots, signs and
// stray bytes.
TEST(Cues, EqualsReference) {
  const std::string_view pieces[] = {"call",
                                     "CALL",
                                     "Call",
                                     "txt",
                                     "text",
                                     "texts",
                                     "reply",
                                     "claim",
                                     "send",
                                     "win",
                                     "WON",
                                     "winner",
                                     "free",
                                     "offer",
                                     "stop",
                                     "urgent",
                                     "collect",
                                     "guaranteed",
                                     "GUARANTEED",
                                     "guaranteeds",
                                     "award",
                                     "awarded",
                                     "mobile",
                                     "landline",
                                     "LandLine",
                                     "subscri",
                                     "subscribe",
                                     "Subscription",
                                     "subscr",
                                     "pound",
                                     "Pounds",
                                     "cash",
                                     "prize",
                                     "prizes",
                                     "com",
                                     "net",
                                     "org",
                                     "biz",
                                     "info",
                                     "infos",
                                     "co",
                                     "uk",
                                     "UK",
                                     "co.uk",
                                     ".",
                                     "..",
                                     " ",
                                     "  ",
                                     "\n",
                                     "http://",
                                     "HTTPS://",
                                     "https:/",
                                     "www.",
                                     "WWW",
                                     "wwww.",
                                     "h",
                                     "w",
                                     "$",
                                     "\xC2\xA3",
                                     "\xC2",
                                     "\xE2\x82\xAC",
                                     "\xE2\x82",
                                     "0",
                                     "1",
                                     "07",
                                     "150",
                                     "150p",
                                     "150P",
                                     "p",
                                     "1234",
                                     "87121",
                                     "1234567",
                                     "0800",
                                     "09061701461",
                                     "_",
                                     "a",
                                     "B",
                                     "ok",
                                     "lor",
                                     "!",
                                     "'",
                                     "-",
                                     "\xff",
                                     "\x80",
                                     "x1",
                                     "1x"};
  std::mt19937_64 rng(7726);
  for (int i = 0; i < 100000; ++i) {
    std::string t;
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) t += pieces[rng() % std::size(pieces)];
    const Cues a = read_cues(t), b = reference::read_cues(t);
    ASSERT_EQ(a.url, b.url) << t;
    ASSERT_EQ(a.phone, b.phone) << t;
    ASSERT_EQ(a.short_code, b.short_code) << t;
    ASSERT_EQ(a.money, b.money) << t;
    ASSERT_EQ(a.calls_to_action, b.calls_to_action) << t;
    ASSERT_EQ(a.shouting, b.shouting) << t;
  }
}

TEST(Cues, AnyBytes) {
  std::string bin;
  for (int i = 0; i < 70000; ++i) bin.push_back(static_cast<char>(i * 131));
  const Cues c = read_cues(bin);
  EXPECT_LE(c.calls_to_action, 3u);
  EXPECT_EQ(cue_prior(""), -2.0);
  // Cut multi-byte signs at the end are not read past the text.
  EXPECT_FALSE(read_cues("\xC2").money);
  EXPECT_FALSE(read_cues("x\xE2\x82").money);
  EXPECT_TRUE(read_cues(std::string(100000, '7')).phone);
  // Digits between spaces: one run, read once (this took seconds when each
  // digit started a new scan).
  std::string spaced;
  for (int i = 0; i < 200000; ++i) spaced += "1 ";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(read_cues(spaced).phone);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_FALSE(read_cues("1 2 3 4 x 5").phone);  // 7 characters, then 1
}

}  // namespace
}  // namespace rampart::classify

// Tests of feature extraction and hashing (features.h, hash.h): determinism,
// deduplication, channels, options, and bounded cost on pathological input.
#include "classify/features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <iterator>
#include <random>
#include <set>
#include <utility>

#include "classify/hash.h"
#include "mime/url.h"

namespace rampart::classify {
namespace {

constexpr const char* kEmail =
    "From spammer@example.com Mon Jan  1 00:00:00 2024\n"
    "From: \"Best Deals\" <deals@offers.example>\n"
    "To: you@example.net\n"
    "Subject: =?utf-8?q?Cheap_pills_now?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Buy cheap pills at http://pills.shop.example/buy now!\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><body><p>Buy <b>cheap</b> pills</p><a "
    "href=\"http://pills.shop.example/buy\">here</a></body></html>\n"
    "--b1--\n";

std::set<uint32_t> features(std::string_view in, Channel ch, const FeatureOptions& o = {}) {
  Extractor ex(o);
  std::vector<uint32_t> f;
  ex.extract(in, ch, f);
  return {f.begin(), f.end()};
}

FeatureOptions default_sms() {
  FeatureOptions o;
  o.ngram_min = 3;
  o.ngram_max = 5;
  o.raw_prefix = 0;
  o.text_prefix = 2000;
  o.max_text = 8192;
  o.shapes = true;
  o.stats = true;
  return o;
}

TEST(Hash, FoldStaysInRangeAndTagsSeparate) {
  for (unsigned bits : {16u, 20u, 22u, 26u}) {
    for (uint64_t v = 0; v < 1000; ++v) EXPECT_LT(fold(hash_u64(v, 7), bits), 1u << bits);
  }
  EXPECT_NE(hash_bytes("viagra", ns_tag('w'), 0), hash_bytes("viagra", ns_tag('s'), 0));
  EXPECT_NE(hash_bytes("viagra", ns_tag('w'), 0), hash_bytes("viagra", ns_tag('w'), 1));
  EXPECT_EQ(hash_bytes("viagra", ns_tag('w'), 3), hash_bytes("viagra", ns_tag('w'), 3));
  // lengths around the 8-byte step differ
  EXPECT_NE(hash_bytes("abcdefgh", 0, 0), hash_bytes(std::string_view("abcdefgh\0", 9), 0, 0));
  EXPECT_NE(hash_bytes("", 0, 0), hash_bytes(std::string_view("\0", 1), 0, 0));
}

TEST(Extractor, DeterministicDeduplicatedWithBias) {
  Extractor ex(FeatureOptions{});
  std::vector<uint32_t> a, b;
  ex.extract(kEmail, Channel::kEmail, a);
  ex.extract(kEmail, Channel::kEmail, b);
  EXPECT_EQ(a, b);
  EXPECT_GT(a.size(), 100u);
  EXPECT_EQ(std::set<uint32_t>(a.begin(), a.end()).size(), a.size()) << "duplicates";
  for (uint32_t i : a) EXPECT_LT(i, 1u << 22);
  // The bias feature is shared by every message.
  std::vector<uint32_t> c;
  ex.extract("hello", Channel::kSms, c);
  EXPECT_EQ(a[0], c[0]);
}

TEST(Extractor, SeedChangesIndices) {
  FeatureOptions o1, o2;
  o2.seed = 42;
  auto a = features(kEmail, Channel::kEmail, o1), b = features(kEmail, Channel::kEmail, o2);
  std::vector<uint32_t> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  EXPECT_LT(common.size(), a.size() / 10);
}

TEST(Extractor, EmailUsesDecodedTextUrlsAndHeaders) {
  FeatureOptions o;
  o.raw_prefix = 0;  // only the parsed features
  o.text_prefix = 0;
  const auto full = features(kEmail, Channel::kEmail, o);
  // The same words in the text of an SMS land elsewhere (other namespace),
  // but the same email twice with a different body differs: the body a client
  // shows, the HTML alternative. The plain one it passes over is not read.
  std::string other = kEmail;
  other.replace(other.find("Buy <b>cheap</b> pills"), 22, "Meeting notes for you");
  const auto f2 = features(other, Channel::kEmail, o);
  EXPECT_NE(full, f2);
  std::string plain_changed = kEmail;
  plain_changed.replace(plain_changed.find("Buy cheap pills at"), 18, "Meeting notes for ");
  EXPECT_EQ(full, features(plain_changed, Channel::kEmail, o));
  // Without URL features there are fewer features.
  o.urls = false;
  EXPECT_LT(features(kEmail, Channel::kEmail, o).size(), full.size());
  o.urls = true;
  o.headers = false;
  EXPECT_LT(features(kEmail, Channel::kEmail, o).size(), full.size());
}

TEST(Extractor, WordsAreCaseFolded) {
  FeatureOptions o;
  o.raw_prefix = 0;
  o.text_prefix = 0;
  o.structure = false;
  EXPECT_EQ(features("FREE Entry NOW", Channel::kSms, o), features("free entry now", Channel::kSms, o));
  o.text_prefix = 100;  // character n-grams keep case
  EXPECT_NE(features("FREE Entry NOW", Channel::kSms, o), features("free entry now", Channel::kSms, o));
}

TEST(Extractor, ChannelsDiffer) {
  EXPECT_NE(features("win a prize", Channel::kSms), features("win a prize", Channel::kIm));
}

// Shapes: two different premium-rate numbers share their shape and prefix
// features, which neither a number of another shape nor a text without
// digits has; off, no such shared feature.
TEST(Extractor, NumberShapes) {
  FeatureOptions o = default_sms();
  o.ngram_min = o.ngram_max = 8;  // keep character n-grams of the numbers apart
  auto common = [&](std::string_view a, std::string_view b) {
    std::set<uint32_t> fa = features(a, Channel::kSms, o), fb = features(b, Channel::kSms, o), both;
    std::set_intersection(fa.begin(), fa.end(), fb.begin(), fb.end(), std::inserter(both, both.end()));
    return both.size();
  };
  // Features two texts share with shapes on, beyond those they share without.
  auto gained = [&](std::string_view a, std::string_view b) {
    o.shapes = false;
    const size_t off = common(a, b);
    o.shapes = true;
    return common(a, b) - off;
  };
  EXPECT_EQ(gained("zz 09061701461", "zz 09066364589"), 2u);  // shape and "09" + 11 digits
  EXPECT_EQ(gained("zz 09061701461", "zz 07090201529"), 1u);  // the shape only
  EXPECT_EQ(gained("zz 150p", "zz 250p"), 1u);                // "999p"
  EXPECT_EQ(gained("zz 09061701461", "zz abc"), 0u);
  EXPECT_EQ(gained("zz 0906", "zz 0907"), 1u);  // "9999"; under 5 digits no prefix
}

// Stats: the same words typed in capitals, or with many digits, differ in
// one feature each; with stats off they do not differ at all beyond the
// character n-grams (which are case-sensitive).
TEST(Extractor, TypingStats) {
  FeatureOptions o = default_sms();
  o.ngram_min = o.ngram_max = 8;
  o.words = false;
  o.structure = false;
  const auto lower = features("call now", Channel::kSms, o), upper = features("CALL NOW", Channel::kSms, o);
  std::set<uint32_t> only;
  std::set_difference(upper.begin(), upper.end(), lower.begin(), lower.end(),
                      std::inserter(only, only.end()));
  EXPECT_EQ(only.size(), 2u);  // the 8-gram "CALL NOW" and the capitals bucket
  o.stats = false;
  const auto lower0 = features("call now", Channel::kSms, o), upper0 = features("CALL NOW", Channel::kSms, o);
  only.clear();
  std::set_difference(upper0.begin(), upper0.end(), lower0.begin(), lower0.end(),
                      std::inserter(only, only.end()));
  EXPECT_EQ(only.size(), 1u);
  // Never on email.
  FeatureOptions e;
  e.stats = true;
  e.shapes = false;
  FeatureOptions e0 = e;
  e0.stats = false;
  EXPECT_EQ(features(kEmail, Channel::kEmail, e), features(kEmail, Channel::kEmail, e0));
}

TEST(FeatureOptions, ParseAndValidate) {
  FeatureOptions o;
  ASSERT_TRUE(parse_feature_options("bits=20,ngram=3-5,raw=100,words=0", o, nullptr));
  EXPECT_EQ(o.bits, 20u);
  EXPECT_EQ(o.ngram_min, 3u);
  EXPECT_EQ(o.ngram_max, 5u);
  EXPECT_EQ(o.raw_prefix, 100u);
  EXPECT_FALSE(o.words);
  FeatureOptions bad;
  EXPECT_FALSE(parse_feature_options("bits=40", bad, nullptr));
  EXPECT_FALSE(parse_feature_options("ngram=5-3", bad, nullptr));
  EXPECT_FALSE(parse_feature_options("ngram=9", bad, nullptr));
  EXPECT_FALSE(parse_feature_options("words=maybe", bad, nullptr));
  EXPECT_FALSE(parse_feature_options("nokey", bad, nullptr));
  EXPECT_FALSE(parse_feature_options("unknown=1", bad, nullptr));
  std::string rest;
  FeatureOptions o3;
  ASSERT_TRUE(parse_feature_options("rate=0.1,bits=18", o3, &rest));
  EXPECT_EQ(rest, "rate=0.1");
  EXPECT_EQ(o3.bits, 18u);
  FeatureOptions round;
  ASSERT_TRUE(parse_feature_options(to_string(o), round, nullptr));
  EXPECT_EQ(to_string(round), to_string(o));
}

TEST(Channel, Names) {
  for (Channel c : {Channel::kEmail, Channel::kSms, Channel::kIm})
    EXPECT_EQ(*parse_channel(channel_name(c)), c);
  EXPECT_FALSE(parse_channel("fax"));
}

// Pathological inputs: each costs bounded time and at most max_features.
TEST(Extractor, BoundedCostOnPathologicalInput) {
  std::mt19937 rng(1);
  std::string binary(8 << 20, '\0');
  for (char& c : binary) c = static_cast<char>(rng());
  std::string huge_token(8 << 20, 'a');
  std::string nested_html = "Content-Type: text/html\n\n";
  for (int i = 0; i < 200000; ++i) nested_html += "<div><b>";
  std::string many_parts = "Content-Type: multipart/mixed; boundary=x\n\n";
  for (int i = 0; i < 20000; ++i)
    many_parts += "--x\nContent-Type: text/plain\n\nword" + std::to_string(i) + "\n";
  std::string huge_header = "Subject: ";
  huge_header += std::string(4 << 20, 'x');
  huge_header += "\n\nbody\n";
  std::string words;
  for (int i = 0; i < 500000; ++i) words += "w" + std::to_string(i) + " ";

  FeatureOptions o;
  Extractor ex(o);
  std::vector<uint32_t> f;
  for (std::string* in : {&binary, &huge_token, &nested_html, &many_parts, &huge_header, &words}) {
    for (Channel ch : {Channel::kEmail, Channel::kSms}) {
      const auto t0 = std::chrono::steady_clock::now();
      ex.extract(*in, ch, f);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      EXPECT_LE(f.size(), o.max_features);
      EXPECT_GT(f.size(), 0u);
      EXPECT_LT(ms, 2000) << "input of " << in->size() << " bytes took " << ms << " ms";
    }
  }
  // An enormous token is one length-bucket feature, not a hash of 8 MB.
  FeatureOptions w;
  w.raw_prefix = 0;
  w.text_prefix = 0;
  w.structure = false;
  w.urls = false;
  EXPECT_EQ(features(huge_token, Channel::kSms, w).size(), 3u);  // bias, channel, long-token bucket
}

TEST(Extractor, MaxFeaturesCaps) {
  FeatureOptions o;
  o.max_features = 64;
  std::string words;
  for (int i = 0; i < 1000; ++i) words += "w" + std::to_string(i) + " ";
  EXPECT_EQ(features(words, Channel::kSms, o).size(), 64u);
}

// The character n-grams exactly, in order (the weights' sums follow the
// order): the bias, the channel, then each position's n-grams shortest
// first, each index once, stopping at max_features. Computed here the plain
// way against the extractor's (which reads 8 bytes a position while it can
// and the sink has room), for the SMS n-grams (3-5), email's (4) and
// another range, texts of 0-40 bytes and caps that fall inside them.
TEST(Extractor, NgramsExactlyInOrder) {
  std::mt19937_64 rng(5);
  size_t compared = 0;
  for (auto [lo, hi] : {std::pair<uint32_t, uint32_t>{3, 5}, {4, 4}, {2, 6}, {1, 8}}) {
    for (uint32_t cap : {16u, 24u, 60u, 16384u}) {
      FeatureOptions o;
      o.ngram_min = lo;
      o.ngram_max = hi;
      o.raw_prefix = 0;
      o.text_prefix = 2000;
      o.words = o.bigrams = o.urls = o.structure = o.shapes = o.stats = false;
      o.max_features = cap;
      o.seed = rng() % 4;
      Extractor ex(o);
      for (size_t len = 0; len <= 40; ++len) {
        std::string t;
        for (size_t i = 0; i < len; ++i)
          t.push_back(static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 3));
        std::vector<uint32_t> want;
        std::set<uint32_t> seen;
        auto add = [&](uint64_t h) {
          const uint32_t idx = fold(h, o.bits);
          if (want.size() < cap && seen.insert(idx).second) want.push_back(idx);
        };
        add(hash_u64(0 ^ ns_tag('B'), o.seed));
        add(hash_u64(static_cast<uint64_t>(Channel::kSms) ^ ns_tag('C'), o.seed));
        for (size_t i = 0; i < len; ++i) {
          for (uint32_t k = lo; k <= hi && i + k <= len; ++k) {
            uint64_t v = 0;
            std::memcpy(&v, t.data() + i, k);
            add(hash_u64(v ^ (ns_tag('t') + k), o.seed));
          }
        }
        std::vector<uint32_t> got;
        ex.extract(t, Channel::kSms, got);
        EXPECT_EQ(got, want) << lo << "-" << hi << " cap " << cap << " len " << len;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 4u * 4 * 41);
}

// The extractor looks for URLs in a short text only when it may hold one:
// a ':' (a scheme), a '.' after a 'w' ("www.") or a letter after a '.'
// (a top-level domain). Without any of them mime::find_urls finds none,
// whatever else the text holds; with them, it does.
TEST(Extractor, NoUrlWithoutSchemeWwwOrTld) {
  auto may_hold = [](std::string_view t) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == ':') return true;
      if (t[i] == '.' && i + 1 < t.size() && std::isalpha(static_cast<unsigned char>(t[i + 1]))) return true;
      if (t[i] == '.' && i > 0 && (t[i - 1] == 'w' || t[i - 1] == 'W')) return true;
    }
    return false;
  };
  std::mt19937_64 rng(9);
  const std::string_view pieces[] = {"www", "WWW", "http",     "https", "//",        "/",   "@",   "com",
                                     "co",  "uk",  "bit",      "ly",    "-",         "_",   " ",   "\n",
                                     "1",   "192", "?",        "=",     ".",         "..",  "...", ". ",
                                     ".1",  ".-",  "\xc3\xa9", "xn--",  "ftp",       "org", "%2e", "[",
                                     "]",   "#",   "&",        "~",     ".\xd1\x80", "ww",  "w",   "example"};
  size_t without = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string t;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) t += pieces[rng() % std::size(pieces)];
    if (may_hold(t)) continue;
    ++without;
    std::vector<mime::Url> urls;
    mime::find_urls(t, urls, 16);
    EXPECT_TRUE(urls.empty()) << t;
  }
  EXPECT_GT(without, 5000u);
  // With a scheme, "www." or a top-level domain they are found, and the
  // extractor has their host features.
  std::vector<mime::Url> urls;
  mime::find_urls("win at www.prize.example now", urls, 16);
  mime::find_urls("see http://localhost/x", urls, 16);
  mime::find_urls("go to prize.com today", urls, 16);
  EXPECT_EQ(urls.size(), 3u);
  FeatureOptions o = default_sms();
  FeatureOptions no_urls = o;
  no_urls.urls = false;
  for (std::string_view t :
       {"win at www.prize.example now", "see http://localhost/x", "go to prize.com today"})
    EXPECT_GT(features(t, Channel::kSms, o).size(), features(t, Channel::kSms, no_urls).size()) << t;
}

// The typing stats count capitals, letters and digits exactly at any
// length (they are added in packed words of 21-bit counts): 2.5 MiB of
// "AAAa1" holds 2^21 letters, 3/4 of them capitals (bucket 7), and 2^19
// digits (bucket 10).
TEST(Extractor, TypingStatsOfLongTexts) {
  FeatureOptions o;
  o.text_prefix = 0;
  o.raw_prefix = 0;
  o.max_text = 3u << 20;
  o.words = o.bigrams = o.urls = o.structure = o.shapes = false;
  o.stats = true;
  std::string t;
  for (size_t i = 0; i < (size_t{5} << 19); ++i) t += "AAAa1"[i % 5];
  auto idx = [&o](uint64_t v, uint64_t tag) { return fold(hash_u64(v ^ tag, o.seed), o.bits); };
  const std::set<uint32_t> want = {idx(0, ns_tag('B')),
                                   idx(static_cast<uint64_t>(Channel::kSms), ns_tag('C')),
                                   idx(7, ns_tag('s', 'u')), idx(10, ns_tag('s', 'd'))};
  EXPECT_EQ(features(t, Channel::kSms, o), want);
  EXPECT_EQ(features("AAAa1", Channel::kSms, o).size(), 4u);
  EXPECT_NE(features("AAAa1", Channel::kSms, o), want);  // one digit: bucket 0
}

// The classifier reads the text a mail client shows: the HTML alternative
// (not the plain one it passes over), its visible text, decoded charsets, and
// attachments by name, never their bytes. With only word features on, a
// multipart/alternative message gives exactly the features of a one-part
// message holding the text the client displays.
TEST(Extractor, EmailTextIsWhatAClientShows) {
  FeatureOptions o;
  o.raw_prefix = 0;
  o.headers = false;
  o.urls = false;
  o.structure = false;
  const std::string shown_alt =
      "Subject: s\nContent-Type: multipart/mixed; boundary=m\n\n--m\n"
      "Content-Type: multipart/alternative; boundary=a\n\n--a\n"
      "Content-Type: text/plain\n\nzebra quagga\n--a\n"
      "Content-Type: text/html; charset=iso-8859-1\n\n<p>caf\xe9 <b>latte</b></p>"
      "<div style=\"display:none\">hiddenword</div>\n--a--\n"
      "--m\nContent-Type: application/octet-stream; name=\"invoice.zip\"\n"
      "Content-Transfer-Encoding: base64\n\nYmluYXJ5Ymx\n--m--\n";
  const std::string same_text =
      "Subject: s\nContent-Type: text/plain; charset=utf-8\n\ncaf\xc3\xa9 latte\n[attachment: invoice.zip]\n";
  EXPECT_EQ(features(shown_alt, Channel::kEmail, o), features(same_text, Channel::kEmail, o));
  const std::string plain_words = "Subject: s\n\nzebra quagga\n";
  const auto alt = features(shown_alt, Channel::kEmail, o);
  const auto plain = features(plain_words, Channel::kEmail, o);
  size_t common = 0;
  for (uint32_t f : plain) common += alt.count(f);
  EXPECT_LT(common, plain.size());  // "zebra", "quagga" are not read
}

}  // namespace
}  // namespace rampart::classify

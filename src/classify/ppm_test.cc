// Tests of the character-level class models (ppm.h): direction of the
// score, the Witten-Bell estimate computed by hand, reuse of the scoring's
// hashes for learning, and bounded input.
#include "classify/ppm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace rampart::classify {
namespace {

TEST(CharModel, EmptyModelAndEmptyTextScoreZero) {
  CharModel m(3, 12);
  EXPECT_EQ(m.log_ratio("anything"), 0.0);  // both classes uniform over bytes
  m.learn("spam spam spam", true);
  EXPECT_EQ(m.log_ratio(""), 0.0);
  CharModel none;  // no table
  EXPECT_EQ(none.log_ratio("text"), 0.0);
  none.learn("text", true);  // no effect, no crash
}

// Order 0, one byte learned as spam: P_spam("a") = (1 + 1 * 1/256) / (1 + 1)
// (count 1, one distinct byte, total 1), P_ham("a") = 1/256 (never seen).
TEST(CharModel, WittenBellByHand) {
  CharModel m(0, 12);
  m.learn("a", true);
  const double ps = (1 + 1.0 / 256) / 2, ph = 1.0 / 256;
  EXPECT_NEAR(m.log_ratio("a"), std::log(ps / ph), 1e-12);
  // An unseen byte: spam escapes to 1/256 with weight 1/2.
  EXPECT_NEAR(m.log_ratio("b"), std::log((1.0 / 256) / 2 / (1.0 / 256)), 1e-12);
  // Two bytes: the average per byte.
  EXPECT_NEAR(m.log_ratio("ab"), (std::log(ps / ph) + std::log(0.5)) / 2, 1e-12);
}

// The same byte with a discount d (absolute discounting): P_spam("a") =
// (1 - d + d * 1 * 1/256) / 1, the escape to an unseen byte is d * 1/256;
// the ham side, never seen, stays uniform. Out-of-range discounts mean 0.
TEST(CharModel, DiscountByHand) {
  for (double d : {0.5, 0.3}) {
    CharModel m(0, 12, d);
    EXPECT_EQ(m.discount(), d);
    m.learn("a", true);
    const double ps = 1 - d + d / 256, ph = 1.0 / 256;
    EXPECT_NEAR(m.log_ratio("a"), std::log(ps / ph), 1e-12) << d;
    EXPECT_NEAR(m.log_ratio("b"), std::log(d), 1e-12) << d;
    // Order 1: after "ab" learned, "b" following "a" blends order 1 (count
    // 1 of 1, one distinct) with order 0 (b: 1 of 2, two distinct).
    CharModel o(1, 12, d);
    o.learn("ab", true);
    const double p0 = (1 - d + d * 2 / 256.0) / 2;
    const double p1 = 1 - d + d * p0;
    const double pa = (1 - d + d * 2 / 256.0) / 2;  // "a" at position 0: order 0 only
    EXPECT_NEAR(o.log_ratio("ab"), (std::log(pa * 256) + std::log(p1 * 256)) / 2, 1e-12) << d;
  }
  EXPECT_EQ(CharModel(3, 12, 1.0).discount(), 0.0);
  EXPECT_EQ(CharModel(3, 12, -0.5).discount(), 0.0);
  // A discounted model scores differently from Witten-Bell on the same counts.
  CharModel wb(3, 12), ad(3, 12, 0.5);
  for (CharModel* m : {&wb, &ad}) {
    m->learn("WINNER call now", true);
    m->learn("see you at home", false);
  }
  EXPECT_EQ(wb.table(), ad.table());
  EXPECT_NE(wb.log_ratio("call me at home"), ad.log_ratio("call me at home"));
}

TEST(CharModel, SeparatesStyles) {
  CharModel m(3, 16);
  for (int i = 0; i < 20; ++i) {
    m.learn("URGENT! You have WON a 2000 prize GUARANTEED. Call 09061701461 from a landline", true);
    m.learn("ok lor, i'll be there in 5 mins, u wan me to buy dinner?", false);
  }
  EXPECT_GT(m.log_ratio("WON! Call 09061701461 to claim your prize"), 0.5);
  EXPECT_LT(m.log_ratio("ok i'll buy dinner lor"), -0.5);
}

// Learning with the slots kept from scoring changes the table exactly as
// learning from scratch does.
TEST(CharModel, KeptSlotsLearnTheSame) {
  CharModel a(3, 14), b(3, 14);
  const std::string texts[] = {"Free entry in 2 a wkly comp", "Nah I don't think he goes", "", "x",
                               std::string(3000, 'z')};
  std::vector<CharModel::Slots> keep;
  bool spam = true;
  for (const std::string& t : texts) {
    const double ra = a.log_ratio(t);
    const double rb = b.log_ratio(t, keep);
    EXPECT_EQ(ra, rb);
    a.learn(t, spam);
    b.learn(t, spam, keep);
    spam = !spam;
  }
  EXPECT_EQ(a.table(), b.table());
  // Slots kept for another text length are ignored, not misused.
  b.log_ratio("short", keep);
  a.learn("a longer text", true);
  b.learn("a longer text", true, keep);
  EXPECT_EQ(a.table(), b.table());
}

// The fast scoring (context tables, both classes in one vector, slots
// hashed ahead) equals the plain computation to the bit: on learned tables
// of every order, on tables of random counts up to the saturated UINT32_MAX
// (kMaxCount), with and without a discount,
// and through the slots kept for learning.
TEST(CharModel, FastScoringEqualsReference) {
  std::mt19937_64 rng(16);
  auto text_of = [&rng](size_t len, int alphabet) {
    std::string t;
    for (size_t i = 0; i < len; ++i)
      t.push_back(static_cast<char>(alphabet == 256 ? rng() % 256 : 'a' + rng() % alphabet));
    return t;
  };
  std::vector<CharModel::Slots> keep;
  size_t compared = 0;
  for (uint32_t order = 0; order <= CharModel::kMaxOrder; ++order) {
    for (double d : {0.0, 0.5}) {
      CharModel learned(order, 12, d);
      for (int i = 0; i < 60; ++i) learned.learn(text_of(rng() % 120, i % 3 == 0 ? 256 : 6), rng() % 2 == 0);
      CharModel random(order, 10, d);
      for (uint32_t& c : random.table()) {
        const uint64_t r = rng() % 8;
        c = r < 3    ? 0
            : r == 3 ? CharModel::kMaxCount
            : r == 4 ? CharModel::kMaxCount - rng() % 1000
                     : rng() % 50;
      }
      for (const CharModel* m : {&learned, &random}) {
        for (int i = 0; i < 40; ++i) {
          const std::string t = text_of(rng() % 200, i % 2 == 0 ? 256 : 6);
          const double ref = m->reference_log_ratio(t);
          EXPECT_EQ(m->log_ratio(t), ref) << "order " << order << " d " << d << " len " << t.size();
          EXPECT_EQ(m->log_ratio(t, keep), ref) << "order " << order << " d " << d << " len " << t.size();
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 7u * 2 * 2 * 40);
}

// Counts stop at kMaxCount (2^31 - 1) when learned, and saturate() brings
// larger ones (an older build's file) down to it, so the scoring's signed
// conversion sees no negative count.
TEST(CharModel, CountsSaturate) {
  CharModel m(0, 10);
  m.learn("a", true);
  for (uint32_t& c : m.table())
    if (c != 0) c = CharModel::kMaxCount - 1;
  m.learn("aa", true);  // the count and the total of "a" reach the cap and stay there
  size_t at_cap = 0;
  for (uint32_t c : m.table()) at_cap += c == CharModel::kMaxCount;
  EXPECT_EQ(at_cap, 2u);  // the count of "a" and the total (the distinct count, not bumped, one below)
  for (uint32_t& c : m.table())
    if (c == CharModel::kMaxCount) c = UINT32_MAX;
  m.saturate();
  for (uint32_t c : m.table()) EXPECT_LE(c, CharModel::kMaxCount);
  const double r = m.log_ratio("ab");
  EXPECT_TRUE(std::isfinite(r));
  EXPECT_EQ(r, m.reference_log_ratio("ab"));
  EXPECT_GT(m.log_ratio("a"), 4.0);  // "a" is all spam
}

TEST(CharModel, ArbitraryBytesAndClampedOptions) {
  CharModel m(99, 12);  // order clamped to 6
  EXPECT_EQ(m.order(), CharModel::kMaxOrder);
  EXPECT_EQ(m.table().size(), size_t{2} << 12);
  CharModel s(2, 1);
  EXPECT_EQ(s.bits(), 10u);
  std::string bin;
  for (int i = 0; i < 4096; ++i) bin.push_back(static_cast<char>(i * 37));
  s.learn(bin, true);
  const double r = s.log_ratio(bin);
  EXPECT_TRUE(std::isfinite(r));
  EXPECT_GT(r, 0.0);
}

}  // namespace
}  // namespace rampart::classify

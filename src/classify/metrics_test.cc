// Tests of the TREC figures (metrics.h) against hand-computed examples.
#include "classify/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rampart::classify {
namespace {

TEST(Roca, HandComputed) {
  // spam {0.9, 0.4}, ham {0.5, 0.1}: pairs (0.9,0.5) (0.9,0.1) (0.4,0.1)
  // right, (0.4,0.5) wrong: area 3/4.
  std::vector<Judged> j = {{0.9, true}, {0.5, false}, {0.4, true}, {0.1, false}};
  EXPECT_NEAR(one_minus_roca_pct(j), 25.0, 1e-12);
  // Ties count half: spam {0.5}, ham {0.5, 0.1}: (1 + 0.5) / 2.
  std::vector<Judged> t = {{0.5, true}, {0.5, false}, {0.1, false}};
  EXPECT_NEAR(one_minus_roca_pct(t), 25.0, 1e-12);
  // All tied: 50.
  std::vector<Judged> all = {{0.3, true}, {0.3, false}, {0.3, true}, {0.3, false}};
  EXPECT_NEAR(one_minus_roca_pct(all), 50.0, 1e-12);
  // Perfect and reversed.
  std::vector<Judged> p = {{0.9, true}, {0.8, true}, {0.2, false}};
  EXPECT_NEAR(one_minus_roca_pct(p), 0.0, 1e-12);
  std::vector<Judged> r = {{0.1, true}, {0.8, false}};
  EXPECT_NEAR(one_minus_roca_pct(r), 100.0, 1e-12);
  // One class only: 0 by convention.
  std::vector<Judged> one = {{0.1, true}, {0.8, true}};
  EXPECT_EQ(one_minus_roca_pct(one), 0.0);
  // Order of input does not matter.
  std::vector<Judged> j2 = {{0.1, false}, {0.4, true}, {0.9, true}, {0.5, false}};
  EXPECT_NEAR(one_minus_roca_pct(j2), 25.0, 1e-12);
}

TEST(Lam, HandComputed) {
  // 10 ham, 10 spam, no error: hm = sm = 0.5 / 10.5, lam = 1/21.
  std::vector<Judged> j;
  for (int i = 0; i < 10; ++i) j.push_back({0.9, true});
  for (int i = 0; i < 10; ++i) j.push_back({0.1, false});
  EXPECT_NEAR(lam_pct(j, 0.5), 100.0 / 21.0, 1e-9);
  // 4 ham, one at the threshold (a false positive); 2 spam, none missed:
  // hm = 1.5/4.5 = 1/3, sm = 0.5/2.5 = 1/5; odds (1/2 * 1/4)^(1/2) = 1/sqrt(8);
  // lam = 1 / (1 + sqrt(8)).
  std::vector<Judged> k = {{0.5, false}, {0.1, false}, {0.2, false}, {0.3, false}, {0.7, true}, {0.6, true}};
  EXPECT_NEAR(lam_pct(k, 0.5), 100.0 / (1.0 + std::sqrt(8.0)), 1e-9);
}

TEST(FprAtTpr, HandComputed) {
  std::vector<Judged> j;
  for (int i = 1; i <= 100; ++i) j.push_back({i / 100.0, true});
  j.push_back({0.005, false});
  j.push_back({0.015, false});
  j.push_back({0.5, false});
  // Catching 99 of 100 spam needs t = 0.02; ham at or above: 0.5 only.
  EXPECT_NEAR(fpr_at_tpr(j, 0.99), 1.0 / 3.0, 1e-12);
  // 100%: t = 0.01: ham 0.015 and 0.5.
  EXPECT_NEAR(fpr_at_tpr(j, 1.0), 2.0 / 3.0, 1e-12);
  // Ham tied with the threshold counts.
  std::vector<Judged> t = {{0.5, true}, {0.5, false}, {0.4, false}};
  EXPECT_NEAR(fpr_at_tpr(t, 0.99), 0.5, 1e-12);
}

}  // namespace
}  // namespace rampart::classify

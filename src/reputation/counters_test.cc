// File: src/reputation/counters_test.cc
#include "reputation/counters.h"

#include <cmath>

#include <gtest/gtest.h>

namespace rampart::reputation {
namespace {

TEST(Counters, AddAndDecayPerWindow) {
  Counters c;
  c.add(Metric::kVolume, 100, 1000);
  EXPECT_DOUBLE_EQ(c.value(Metric::kVolume, Window::kHour, 1000), 100);
  EXPECT_NEAR(c.value(Metric::kVolume, Window::kHour, 1000 + 3600), 100 / std::exp(1.0), 1e-3);
  EXPECT_NEAR(c.value(Metric::kVolume, Window::kDay, 1000 + 3600), 100 * std::exp(-1.0 / 24), 1e-3);
  EXPECT_NEAR(c.value(Metric::kVolume, Window::kMonth, 1000 + 86400), 100 * std::exp(-1.0 / 30), 1e-3);
  EXPECT_EQ(c.value(Metric::kComplaints, Window::kDay, 5000), 0);
}

TEST(Counters, SteadyRateReadsAsPerWindow) {
  Counters c;
  // 10 a minute for three days: the day window tends to 14400 per day.
  for (int64_t t = 0; t < 3 * 86400; t += 60) c.add(Metric::kVolume, 10, t);
  const int64_t now = 3 * 86400;
  EXPECT_NEAR(c.value(Metric::kVolume, Window::kHour, now), 600, 10);
  EXPECT_NEAR(c.value(Metric::kVolume, Window::kDay, now), 14400 * (1 - std::exp(-3.0)), 200);
}

TEST(Counters, OldEventDecaysIntoNewerRecord) {
  Counters c;
  c.add(Metric::kTraps, 1, 10000);
  c.add(Metric::kTraps, 1, 10000 - 3600);
  EXPECT_EQ(c.t, 10000);
  EXPECT_NEAR(c.value(Metric::kTraps, Window::kHour, 10000), 1 + std::exp(-1.0), 1e-5);
}

TEST(Counters, MergeIsCommutativeAndAssociative) {
  Counters a, b, c;
  a.add(Metric::kVolume, 5, 100);
  b.add(Metric::kVolume, 7, 4000);
  b.add(Metric::kComplaints, 1, 4000);
  c.add(Metric::kBounces, 2, 2000);
  const Counters x = merge(merge(a, b), c), y = merge(a, merge(c, b)), z = merge(merge(c, a), b);
  for (size_t i = 0; i < x.v.size(); ++i) {
    EXPECT_NEAR(x.v[i], y.v[i], 1e-4);
    EXPECT_NEAR(x.v[i], z.v[i], 1e-4);
  }
  EXPECT_EQ(x.t, 4000);
  EXPECT_NEAR(x.value(Metric::kVolume, Window::kHour, 4000), 7 + 5 * std::exp(-3900.0 / 3600), 1e-4);
}

TEST(Counters, MergeEqualsSequentialAdd) {
  Counters seq, d1, d2;
  seq.add(Metric::kVolume, 3, 50);
  seq.add(Metric::kVolume, 4, 900);
  d1.add(Metric::kVolume, 3, 50);
  d2.add(Metric::kVolume, 4, 900);
  const Counters m = merge(d2, d1);
  for (size_t i = 0; i < m.v.size(); ++i) EXPECT_NEAR(m.v[i], seq.v[i], 1e-5);
}

TEST(Counters, EncodeRoundTripAndRejectsBadLength) {
  Counters c;
  c.add(Metric::kVolume, 12345, 1700000000);
  c.add(Metric::kUnsubscribes, 2, 1700000100);
  const std::string e = encode(c);
  ASSERT_EQ(e.size(), kEncodedSize);
  auto d = decode(e);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->t, c.t);
  EXPECT_EQ(d->v, c.v);
  EXPECT_FALSE(decode(e.substr(1)));
  EXPECT_EQ(decode("").error().code, Errc::kParse);
}

TEST(Counters, ReadsRecordsFromBeforeTheBotMetric) {
  static_assert(kEncodedSize == 188 && kEncodedSizeV3 == 176 && kEncodedSizeV2 == 140 &&
                kEncodedSizeV1 == 128);
  Counters c;
  c.add(Metric::kVolume, 12345, 1700000000);
  c.add(Metric::kUnsubscribes, 2, 1700000100);  // the last v1 metric
  const std::string v2 = encode(c);
  // A v1 record is the same bytes without the bot metric's three floats.
  auto d = decode(std::string_view(v2).substr(0, kEncodedSizeV1));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->t, c.t);
  EXPECT_EQ(d->v, c.v);
  EXPECT_EQ(d->value(Metric::kBot, Window::kDay, c.t), 0);
  // ... and a merge with it writes the current layout.
  Counters b;
  b.add(Metric::kBot, 1, 1700000200);
  const Counters m = merge(*d, b);
  EXPECT_EQ(encode(m).size(), kEncodedSize);
  EXPECT_FLOAT_EQ(m.v[Counters::index(Metric::kBot, Window::kDay)], 1.0f);
  EXPECT_EQ(metric_name(Metric::kBot), "bot");
}

TEST(Counters, ReadsRecordsFromBeforeTheSenderSignals) {
  Counters c;
  c.add(Metric::kVolume, 7, 1700000000);
  c.add(Metric::kBot, 1, 1700000100);  // the last v2 metric
  const std::string v3 = encode(c);
  auto d = decode(std::string_view(v3).substr(0, kEncodedSizeV2));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->v, c.v);
  Counters b;
  b.add(Metric::kBadHelo, 2, 1700000200);
  const Counters m = merge(*d, b);
  EXPECT_EQ(encode(m).size(), kEncodedSize);
  EXPECT_FLOAT_EQ(m.v[Counters::index(Metric::kBadHelo, Window::kHour)], 2.0f);
  EXPECT_EQ(metric_name(Metric::kAuthFail), "auth_fail");
  EXPECT_FALSE(decode(v3.substr(0, kEncodedSizeV2 + 4)));
}

TEST(Counters, ReadsRecordsFromBeforeTheCoSignedMetric) {
  Counters c;
  c.add(Metric::kVolume, 9, 1700000000);
  c.add(Metric::kBadHelo, 3, 1700000100);  // the last v3 metric
  const std::string v4 = encode(c);
  auto d = decode(std::string_view(v4).substr(0, kEncodedSizeV3));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->v, c.v);
  EXPECT_EQ(d->value(Metric::kCoSigned, Window::kMonth, c.t), 0);
  Counters b;
  b.add(Metric::kCoSigned, 4, 1700000200);
  const Counters m = merge(*d, b);
  EXPECT_EQ(encode(m).size(), kEncodedSize);
  EXPECT_FLOAT_EQ(m.v[Counters::index(Metric::kCoSigned, Window::kDay)], 4.0f);
  EXPECT_EQ(metric_name(Metric::kCoSigned), "co_signed");
  EXPECT_FALSE(decode(v4.substr(0, kEncodedSizeV3 + 4)));
}

}  // namespace
}  // namespace rampart::reputation

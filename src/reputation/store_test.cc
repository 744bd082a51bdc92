// File: src/reputation/store_test.cc
// BreakerStore (store.h): fails fast while the backend is down, probes once
// per backoff (doubling, capped), closes on success; kParse passes through.
#include <gtest/gtest.h>

#include "reputation/store.h"
#include "reputation/test_util.h"

namespace rampart::reputation {
namespace {

using testing::FlakyStore;

// The default merge_async: merge() on the caller's thread, then done, once.
TEST(Store, DefaultMergeAsyncCallsDoneOnceWithMergesResult) {
  MemoryStore m;
  Counters d;
  d.add(Metric::kVolume, 3, 1700000000);
  int calls = 0;
  m.merge_async({{"ip:192.0.2.1", d}}, [&](Status st) {
    EXPECT_TRUE(st);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  auto c = m.get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(Metric::kVolume, Window::kMonth, 1700000000), 3);

  FlakyStore f;
  f.failing = Errc::kTemporary;
  std::optional<Status> got;
  f.merge_async({{"ip:192.0.2.1", d}}, [&](Status st) { got = st; });
  ASSERT_TRUE(got);
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, Errc::kTemporary);
}

TEST(MemoryStore, MergeOpsAppliesEachOpIdOnce) {
  MemoryStore s;
  Counters d;
  d.add(Metric::kVolume, 1, 1700000000);
  std::vector<OpBatch> ops = {
      {"n1-1", {{"ip:192.0.2.1", d}}}, {"n1-2", {{"ip:192.0.2.1", d}}}, {"n1-1", {{"ip:192.0.2.1", d}}}};
  auto n = s.merge_ops(ops);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  n = s.merge_ops(ops);  // a retry of all three
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  auto c = s.get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_NEAR((*c)->value(Metric::kVolume, Window::kMonth, 1700000000), 2, 1e-5);
  // The log is bounded: the oldest ids go first.
  OpLog log(2);
  log.add("a");
  log.add("b");
  log.add("c");
  EXPECT_FALSE(log.contains("a"));
  EXPECT_TRUE(log.contains("b") && log.contains("c"));
  EXPECT_EQ(log.size(), 2u);
}

// The default merge_ops (a store that keeps no op ids): every batch merged.
TEST(Store, DefaultMergeOpsMergesEveryBatch) {
  FlakyStore s;
  Counters d;
  d.add(Metric::kVolume, 1, 1700000000);
  std::vector<OpBatch> ops = {{"x", {{"ip:192.0.2.1", d}}}, {"x", {{"ip:192.0.2.1", d}}}};
  auto n = s.merge_ops(ops);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(s.merges, 1);
}

TEST(BreakerStore, FailsFastWhileDownAndProbesWithBackoff) {
  FakeClock clock;
  auto inner = std::make_unique<FlakyStore>();
  FlakyStore* flaky = inner.get();
  BreakerStore b(std::move(inner), clock, std::chrono::milliseconds(1000), std::chrono::milliseconds(4000));
  Counters d;
  d.add(Metric::kVolume, 1, 1700000000);
  const std::vector<Update> one = {{"ip:192.0.2.1", d}};
  ASSERT_TRUE(b.merge(one));
  EXPECT_FALSE(b.open());

  flaky->failing = Errc::kTemporary;
  auto r = b.get("ip:192.0.2.1");
  ASSERT_FALSE(r);
  EXPECT_EQ(flaky->calls, 2);
  EXPECT_TRUE(b.open());
  // Refused without reaching the backend, with the reason.
  for (int i = 0; i < 5; ++i) {
    auto f = b.merge(one);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, Errc::kTemporary);
    EXPECT_NE(f.error().message.find("after: store down"), std::string::npos) << f.error().message;
  }
  EXPECT_EQ(flaky->calls, 2);
  EXPECT_EQ(b.short_circuits(), 5u);
  // After the backoff one probe; still down: the backoff doubles (2 s).
  clock.advance(std::chrono::milliseconds(1000));
  EXPECT_FALSE(b.open());
  EXPECT_FALSE(b.get("ip:192.0.2.1"));
  EXPECT_EQ(flaky->calls, 3);
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_TRUE(b.open());
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(b.get("ip:192.0.2.1"));  // probe 2 fails: 4 s (the cap)
  clock.advance(std::chrono::milliseconds(4000));
  EXPECT_FALSE(b.get("ip:192.0.2.1"));  // probe 3 fails: still 4 s
  clock.advance(std::chrono::milliseconds(3999));
  EXPECT_TRUE(b.open());
  EXPECT_EQ(b.trips(), 4u);
  // Back: the next probe succeeds and the breaker closes.
  flaky->failing = Errc::kOk;
  clock.advance(std::chrono::milliseconds(1));
  auto ok = b.get("ip:192.0.2.1");
  ASSERT_TRUE(ok && *ok);
  EXPECT_FALSE(b.open());
  ASSERT_TRUE(b.merge(one));
  // Errors that say nothing about the backend's health do not trip it.
  flaky->failing = Errc::kParse;
  EXPECT_FALSE(b.get("ip:192.0.2.1"));
  EXPECT_FALSE(b.open());
  EXPECT_EQ(b.name(), "flaky");
}

}  // namespace
}  // namespace rampart::reputation

#include "dns/caching_resolver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "dns/zone_resolver.h"

namespace rampart::dns {
namespace {

using std::chrono::seconds;

Record a(const char* ip, uint32_t ttl) { return Record{RRType::A, ttl, *IpAddress::parse(ip)}; }

// An upstream that answers only when told to, like a network resolver.
class DeferredResolver final : public Resolver {
 public:
  void resolve(std::string_view name, RRType, Callback cb) override {
    names.emplace_back(name);
    cbs.push_back(std::move(cb));
  }
  size_t pending() const override { return cbs.size(); }
  void answer_all(Status s, uint32_t ttl = 100) {
    auto a = std::make_shared<Answer>();
    a->status = s;
    a->min_ttl = ttl;
    auto todo = std::move(cbs);
    cbs.clear();
    for (auto& cb : todo) cb(a);
  }
  std::vector<std::string> names;
  std::vector<Callback> cbs;
};

class CachingResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zone_.add("example.com", a("192.0.2.1", 300));
    zone_.add("short.example.com", a("192.0.2.2", 5));
    zone_.add("long.example.com", a("192.0.2.3", 999999));
    zone_.add("zero.example.com", a("192.0.2.4", 0));
  }
  ZoneResolver zone_;
  FakeClock clock_;
};

TEST_F(CachingResolverTest, HitsAreSynchronousAndCaseInsensitive) {
  CachingResolver cache(zone_, clock_);
  auto first = cache.resolve_sync("example.com", RRType::A);
  ASSERT_EQ(first->status, Status::kOk);
  bool called = false;
  cache.resolve("EXAMPLE.com.", RRType::A, [&](AnswerPtr a) {
    called = true;
    EXPECT_EQ(a.get(), first.get());  // the same shared answer
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(zone_.query_count(), 1u);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  // Another type is another key.
  cache.resolve_sync("example.com", RRType::TXT);
  EXPECT_EQ(zone_.query_count(), 2u);
}

TEST_F(CachingResolverTest, ExpiresAfterTtl) {
  CachingResolver cache(zone_, clock_);
  cache.resolve_sync("short.example.com", RRType::A);
  clock_.advance(seconds(4));
  cache.resolve_sync("short.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 1u);
  clock_.advance(seconds(1));
  cache.resolve_sync("short.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 2u);
  EXPECT_EQ(cache.stats().expired, 1u);
}

TEST_F(CachingResolverTest, TtlClamps) {
  CacheOptions o;
  o.min_ttl = 10;
  o.max_ttl = 600;
  CachingResolver cache(zone_, clock_, o);
  cache.resolve_sync("short.example.com", RRType::A);  // 5 -> 10
  cache.resolve_sync("long.example.com", RRType::A);   // 999999 -> 600
  cache.resolve_sync("zero.example.com", RRType::A);   // 0 -> 10
  clock_.advance(seconds(9));
  cache.resolve_sync("short.example.com", RRType::A);
  cache.resolve_sync("zero.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 3u);
  clock_.advance(seconds(590));
  cache.resolve_sync("long.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 3u);
  clock_.advance(seconds(1));
  cache.resolve_sync("long.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 4u);
}

TEST_F(CachingResolverTest, ZeroTtlNotCachedByDefault) {
  CachingResolver cache(zone_, clock_);
  cache.resolve_sync("zero.example.com", RRType::A);
  cache.resolve_sync("zero.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CachingResolverTest, NegativeCaching) {
  CacheOptions o;
  o.negative_ttl = 30;
  o.max_negative_ttl = 100;
  CachingResolver cache(zone_, clock_, o);
  // No SOA in the zone: negative_ttl applies.
  EXPECT_EQ(cache.resolve_sync("nope.example.com", RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(cache.resolve_sync("example.com", RRType::MX)->status, Status::kNoData);
  clock_.advance(seconds(29));
  EXPECT_EQ(cache.resolve_sync("nope.example.com", RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(cache.resolve_sync("example.com", RRType::MX)->status, Status::kNoData);
  EXPECT_EQ(zone_.query_count(), 2u);
  clock_.advance(seconds(1));
  cache.resolve_sync("nope.example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 3u);
  // SOA-derived TTLs, clamped to max_negative_ttl.
  Answer n;
  n.status = Status::kNxDomain;
  n.min_ttl = 60;
  EXPECT_EQ(cache.ttl_for(n), 60u);
  n.min_ttl = 86400;
  EXPECT_EQ(cache.ttl_for(n), 100u);
}

TEST_F(CachingResolverTest, TemporaryFailuresNotCachedUnlessConfigured) {
  zone_.set_failure("example.com", RRType::A, Status::kServFail);
  {
    CachingResolver cache(zone_, clock_);
    cache.resolve_sync("example.com", RRType::A);
    cache.resolve_sync("example.com", RRType::A);
    EXPECT_EQ(zone_.query_count(), 2u);
  }
  CacheOptions o;
  o.failure_ttl = 2;
  CachingResolver cache(zone_, clock_, o);
  EXPECT_EQ(cache.resolve_sync("example.com", RRType::A)->status, Status::kServFail);
  cache.resolve_sync("example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 3u);
  clock_.advance(seconds(2));
  cache.resolve_sync("example.com", RRType::A);
  EXPECT_EQ(zone_.query_count(), 4u);
}

TEST_F(CachingResolverTest, SizeBoundEvictsLeastRecentlyUsed) {
  for (int i = 0; i < 10; ++i) zone_.add("n" + std::to_string(i), a("192.0.2.9", 300));
  CacheOptions o;
  o.max_entries = 3;
  CachingResolver cache(zone_, clock_, o);
  cache.resolve_sync("n0", RRType::A);
  cache.resolve_sync("n1", RRType::A);
  cache.resolve_sync("n2", RRType::A);
  cache.resolve_sync("n0", RRType::A);  // n0 most recent; n1 is the LRU
  cache.resolve_sync("n3", RRType::A);  // evicts n1
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  zone_.reset_counts();
  cache.resolve_sync("n0", RRType::A);
  cache.resolve_sync("n2", RRType::A);
  cache.resolve_sync("n3", RRType::A);
  EXPECT_EQ(zone_.query_count(), 0u);
  cache.resolve_sync("n1", RRType::A);
  EXPECT_EQ(zone_.query_count(), 1u);
  for (int i = 0; i < 10; ++i) cache.resolve_sync("n" + std::to_string(i), RRType::A);
  EXPECT_EQ(cache.size(), 3u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

// Few entries can still hold much memory (big TXT answers): max_bytes
// bounds it, evicting the least recently used; an answer bigger than the
// whole budget is answered but not kept.
TEST_F(CachingResolverTest, ByteBoundEvictsAndSkipsOversizedAnswers) {
  for (int i = 0; i < 6; ++i) {
    Txt t;
    for (int s = 0; s < 4; ++s) t.strings.push_back(std::string(250, static_cast<char>('a' + i)));
    zone_.add("t" + std::to_string(i), Record{RRType::TXT, 300, t});
  }
  Txt huge;
  for (int s = 0; s < 40; ++s) huge.strings.push_back(std::string(250, 'h'));
  zone_.add("huge", Record{RRType::TXT, 300, huge});
  CacheOptions o;
  o.max_entries = 1000;  // not the bound that acts here
  Answer probe;
  probe.status = Status::kOk;
  probe.records = zone_.lookup("t0", RRType::TXT)->records;
  const size_t one = CachingResolver::entry_bytes(std::string(4, 'k'), probe);
  ASSERT_GT(one, 1000u);  // four 250-octet strings at least
  o.max_bytes = 3 * one + one / 2;
  CachingResolver cache(zone_, clock_, o);
  for (int i = 0; i < 6; ++i) {
    auto a = cache.resolve_sync("t" + std::to_string(i), RRType::TXT);
    ASSERT_EQ(a->status, Status::kOk);
    EXPECT_LE(cache.bytes(), o.max_bytes);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.stats().evictions, 3u);
  zone_.reset_counts();
  cache.resolve_sync("t5", RRType::TXT);  // kept
  cache.resolve_sync("t4", RRType::TXT);
  EXPECT_EQ(zone_.query_count(), 0u);
  cache.resolve_sync("t0", RRType::TXT);  // evicted: asked again
  EXPECT_EQ(zone_.query_count(), 1u);

  auto h = cache.resolve_sync("huge", RRType::TXT);
  ASSERT_EQ(h->status, Status::kOk);
  ASSERT_EQ(h->records.size(), 1u);
  const Txt* ht = h->records[0].txt();
  ASSERT_NE(ht, nullptr);
  EXPECT_EQ(ht->strings.size(), 40u);
  EXPECT_EQ(cache.stats().too_large, 1u);
  EXPECT_EQ(cache.size(), 3u);  // nothing evicted for it
  cache.resolve_sync("huge", RRType::TXT);
  EXPECT_EQ(zone_.query_count(), 3u);  // never served from the cache
  EXPECT_LE(cache.bytes(), o.max_bytes);
  cache.clear();
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST_F(CachingResolverTest, ConcurrentMissesShareOneQuery) {
  DeferredResolver up;
  CachingResolver cache(up, clock_);
  int done = 0;
  for (int i = 0; i < 3; ++i)
    cache.resolve("x.example", RRType::TXT, [&](AnswerPtr a) {
      EXPECT_EQ(a->status, Status::kNoData);
      ++done;
    });
  EXPECT_EQ(up.names.size(), 1u);
  EXPECT_EQ(cache.pending(), 1u);
  EXPECT_EQ(cache.stats().coalesced, 2u);
  up.answer_all(Status::kNoData);
  EXPECT_EQ(done, 3);
  cache.resolve("x.example", RRType::TXT, [&](AnswerPtr) { ++done; });
  EXPECT_EQ(done, 4);
  EXPECT_EQ(up.names.size(), 1u);
}

TEST_F(CachingResolverTest, UpstreamAnswerAfterCacheDestroyedIsIgnored) {
  DeferredResolver up;
  int done = 0;
  {
    CachingResolver cache(up, clock_);
    cache.resolve("x.example", RRType::A, [&](AnswerPtr) { ++done; });
  }
  up.answer_all(Status::kOk);
  EXPECT_EQ(done, 0);
}

TEST_F(CachingResolverTest, OverlongNamesGoUpstreamUncached) {
  CachingResolver cache(zone_, clock_);
  std::string name(300, 'a');
  EXPECT_EQ(cache.resolve_sync(name, RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(cache.resolve_sync(name, RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(zone_.query_count(), 2u);
}

}  // namespace
}  // namespace rampart::dns

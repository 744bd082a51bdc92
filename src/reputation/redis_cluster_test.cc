// File: src/reputation/redis_cluster_test.cc
// Pure parts of the Redis Cluster store: slots, hash tags, value encoding.
// The cluster itself is exercised by tests/redis_cluster_test.cc (e2e).
#include "reputation/redis_cluster.h"

#include <gtest/gtest.h>

#include "reputation/redis_store.h"

namespace rampart::reputation {
namespace {

TEST(RedisSlots, Crc16AndKnownSlots) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the Redis Cluster spec's check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(RedisSlots, HashTags) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);  // empty tag: whole key
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  EXPECT_EQ(key_slot("rep{domain:example.com}"), key_slot("rep{domain:example.com}:op:1:2"));
  EXPECT_EQ(key_slot("rep{domain:example.com}"), key_slot("rep{domain:example.com}:s"));
}

TEST(RedisStoreEncoding, DoublesRoundTrip) {
  Counters c;
  c.add(Metric::kVolume, 12345, 1700000000);
  c.add(Metric::kTraps, 3, 1700000100);
  const std::string b = encode_doubles(c);
  ASSERT_EQ(b.size(), 272u);
  auto d = decode_doubles(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->t, c.t);
  EXPECT_EQ(d->v, c.v);
  // A value written before the bot metric (31 doubles) reads with bot 0.
  auto old = decode_doubles(b.substr(0, 248));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->v, c.v);
  EXPECT_FALSE(decode_doubles(b.substr(8)));
  EXPECT_NE(merge_script().find("struct.unpack"), std::string_view::npos);
}

TEST(RedisStoreEncoding, SparseRoundTripAndEveryLayoutRead) {
  Counters c;
  c.add(Metric::kVolume, 12345, 1700000000);
  c.add(Metric::kTraps, 3, 1700000100);
  c.add(Metric::kBot, 1, 1700000200);
  const std::string b = encode_sparse(c);
  ASSERT_EQ(b.size(), 10u + 3 * 12);  // time, mask, three metrics
  auto d = decode_record(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->t, c.t);
  EXPECT_EQ(d->v, c.v);
  // Every metric, none.
  Counters all;
  for (size_t m = 0; m < kMetricCount; ++m)
    all.add(static_cast<Metric>(m), 1.0 + static_cast<double>(m), 5000);
  ASSERT_EQ(encode_sparse(all).size(), 10u + 12 * kMetricCount);
  EXPECT_EQ(decode_record(encode_sparse(all))->v, all.v);
  EXPECT_EQ(encode_sparse(Counters{}).size(), 10u);
  EXPECT_EQ(decode_record(encode_sparse(Counters{}))->v, Counters{}.v);
  // The earlier layouts still read.
  auto old = decode_record(encode_doubles(c));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->v, c.v);
  ASSERT_TRUE(decode_record(encode_doubles(c).substr(0, 248)));
  // co_signed (bit 14, layout v4) is read from the sparse layout.
  Counters co;
  co.add(Metric::kCoSigned, 7, 1700000300);
  ASSERT_EQ(decode_record(encode_sparse(co))->v, co.v);
  // Truncated, mask and length disagreeing, unknown metric bits.
  EXPECT_FALSE(decode_record(b.substr(0, b.size() - 1)));
  EXPECT_FALSE(decode_record(b.substr(0, 9)));
  EXPECT_FALSE(decode_record(b + std::string(12, '\0')));
  std::string bad = encode_sparse(Counters{});
  bad[9] = '\x80';  // metric bit 15 (there are 15: bits 0-14)
  bad += std::string(12, '\0');
  EXPECT_FALSE(decode_record(bad));
}

// Started while Redis is down: the lazy store opens, and each call fails
// (kTemporary) instead of the process refusing to start; a strict open fails.
TEST(RedisStoreLazy, OpensWithoutTheClusterAndFailsPerCall) {
  RedisStoreOptions o;
  o.cluster.seeds = {"127.0.0.1:1"};  // nothing listens there
  o.cluster.retry_deadline = o.cluster.connect_timeout = o.cluster.io_timeout =
      std::chrono::milliseconds(100);
  auto strict = RedisClusterStore::open(o);
  EXPECT_FALSE(strict);
  o.lazy_connect = true;
  auto lazy = RedisClusterStore::open(o);
  ASSERT_TRUE(lazy) << lazy.error().message;
  EXPECT_FALSE((*lazy)->connected());
  auto g = (*lazy)->get("ip:192.0.2.1");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::kTemporary);
  EXPECT_NE(g.error().message.find("not reachable"), std::string::npos) << g.error().message;
  Counters d;
  d.add(Metric::kVolume, 1, 1700000000);
  auto m = (*lazy)->merge(std::vector<Update>{{"ip:192.0.2.1", d}});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kTemporary);
}

}  // namespace
}  // namespace rampart::reputation

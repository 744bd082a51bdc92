// File: src/reputation/memory_store_test.cc
// The compact MemoryStore against a reference map that applies
// reputation::merge() (what the store did before): values must be identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "reputation/store.h"

namespace rampart::reputation {
namespace {

struct Reference {
  std::unordered_map<std::string, Counters> m;
  void merge(std::span<const Update> ups) {
    for (const Update& u : ups) {
      auto it = m.find(u.key);
      if (it == m.end())
        m.emplace(u.key, u.delta);
      else
        it->second = reputation::merge(it->second, u.delta);
    }
  }
};

void expect_same(const Counters& want, const Counters& got, const std::string& key) {
  ASSERT_EQ(want.t, got.t) << key;
  for (size_t i = 0; i < want.v.size(); ++i) ASSERT_EQ(want.v[i], got.v[i]) << key << " value " << i;
}

void expect_store_equals(MemoryStore& store, const Reference& ref) {
  ASSERT_EQ(store.size(), ref.m.size());
  for (const auto& [k, want] : ref.m) {
    auto got = store.get(k);
    ASSERT_TRUE(got);
    ASSERT_TRUE(got->has_value()) << k;
    expect_same(want, **got, k);
  }
}

Counters delta(std::initializer_list<std::pair<Metric, double>> adds, int64_t t) {
  Counters c;
  c.t = t;
  for (auto [m, x] : adds)
    for (size_t w = 0; w < kWindowCount; ++w)
      c.v[Counters::index(m, static_cast<Window>(w))] = static_cast<float>(x);
  return c;
}

std::string ip_key(uint64_t i) {
  return "ip:10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255) + "/" + std::to_string(i >> 24);
}

TEST(MemoryStore, AbsentKey) {
  MemoryStore store;
  auto r = store.get("ip:192.0.2.1");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  ASSERT_TRUE(store.merge(std::vector<Update>{{"ip:192.0.2.1", delta({{Metric::kVolume, 1}}, 100)}}));
  r = store.get("ip:192.0.2.2");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  r = store.get("192.0.2.1");  // the same name without its prefix is another key
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.merge({}));
}

TEST(MemoryStore, GrowsThroughManyRehashes) {
  // 16 slots at first: 300k keys take 15 rehashes and ~100 arena chunks.
  MemoryStore store;
  Reference ref;
  std::vector<Update> batch;
  int64_t t = 1700000000;
  const uint64_t n = 300000;
  for (uint64_t i = 0; i < n; ++i) {
    batch.push_back({ip_key(i), delta({{Metric::kVolume, 1 + i % 7}, {Metric::kFcrdns, 1}},
                                      t + static_cast<int64_t>(i % 1000))});
    if (batch.size() == 1000 || i + 1 == n) {
      ASSERT_TRUE(store.merge(batch));
      ref.merge(batch);
      batch.clear();
    }
  }
  // Every key once more, at a later time (decay + add on every record).
  for (uint64_t i = 0; i < n; ++i) {
    batch.push_back({ip_key(i), delta({{Metric::kVolume, 2}}, t + 5000)});
    if (batch.size() == 777 || i + 1 == n) {
      ASSERT_TRUE(store.merge(batch));
      ref.merge(batch);
      batch.clear();
    }
  }
  expect_store_equals(store, ref);
  EXPECT_GT(store.memory_bytes(), 0u);
}

TEST(MemoryStore, BlockMovingBetweenSizeClassesKeepsValues) {
  MemoryStore store;
  Reference ref;
  int64_t t = 1700000000;
  const std::vector<std::string> keys = {"domain:news.example", "ip:198.51.100.7", "x", ""};
  // One metric more per round (each a larger block); older and newer times.
  for (size_t m = 0; m < kMetricCount; ++m) {
    std::vector<Update> ups;
    for (const std::string& k : keys) {
      ups.push_back({k, delta({{static_cast<Metric>(m), 3 + static_cast<double>(m)}}, t)});
      ups.push_back({k, delta({{Metric::kVolume, 10}}, t - 600)});  // older than the record
    }
    ASSERT_TRUE(store.merge(ups));
    ref.merge(ups);
    expect_store_equals(store, ref);
    t += 1800;
  }
  // Metrics added in reverse order on other keys (blocks freed above are reused).
  for (size_t m = kMetricCount; m-- > 0;) {
    std::vector<Update> ups;
    for (int i = 0; i < 50; ++i)
      ups.push_back({"dkim:d" + std::to_string(i) + ".example", delta({{static_cast<Metric>(m), 1}}, t)});
    ASSERT_TRUE(store.merge(ups));
    ref.merge(ups);
    t += 60;
  }
  expect_store_equals(store, ref);
}

TEST(MemoryStore, RandomBatchesMatchMerge) {
  // Duplicates within a batch, out-of-order times, all metrics, many key shapes.
  MemoryStore store;
  Reference ref;
  std::mt19937_64 rng(42);
  const char* prefixes[] = {
      "ip:", "net:", "domain:", "dkim:", "spf:", "pra:", "fbid:", "list:", "", "i", "dom", "d:"};
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back(prefixes[i % 12] + std::to_string(rng() % 100000));
  int64_t t = 1700000000;
  for (int round = 0; round < 300; ++round) {
    std::vector<Update> ups(1 + rng() % 100);
    for (Update& u : ups) {
      u.key = keys[rng() % keys.size()];
      u.delta.t = t + static_cast<int64_t>(rng() % 7200) - 3600;
      for (int j = 0; j < 1 + static_cast<int>(rng() % 3); ++j) {
        const auto m = static_cast<Metric>(rng() % kMetricCount);
        const double x = static_cast<double>(rng() % 500) / 4;
        for (size_t w = 0; w < kWindowCount; ++w)
          u.delta.v[Counters::index(m, static_cast<Window>(w))] = static_cast<float>(x);
      }
    }
    ASSERT_TRUE(store.merge(ups));
    ref.merge(ups);
    t += 600;
  }
  expect_store_equals(store, ref);
  // get_many agrees with get, absent keys included.
  std::vector<std::string> ask(keys.begin(), keys.begin() + 100);
  ask.push_back("ip:absent");
  auto many = store.get_many(ask);
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), ask.size());
  for (size_t i = 0; i < ask.size(); ++i) {
    auto one = store.get(ask[i]);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->has_value(), (*many)[i].has_value()) << ask[i];
    if (one->has_value()) expect_same(**one, *(*many)[i], ask[i]);
  }
}

TEST(MemoryStore, ForEachKeyReturnsEveryKeyOnce) {
  MemoryStore store;
  std::set<std::string> want;
  std::vector<Update> ups;
  for (int i = 0; i < 20000; ++i) {
    std::string k = (i % 3 == 0 ? "domain:d" : i % 3 == 1 ? "net:10.0.0.0/" : "other-") + std::to_string(i);
    want.insert(k);
    ups.push_back({k, delta({{Metric::kVolume, 1}}, 1000)});
    ups.push_back({k, delta({{Metric::kComplaints, 1}}, 1001)});  // twice in a batch: still one key
  }
  ASSERT_TRUE(store.merge(ups));
  std::map<std::string, int> seen;
  ASSERT_TRUE(store.for_each_key([&](std::string_view k) {
    ++seen[std::string(k)];
    return true;
  }));
  ASSERT_EQ(seen.size(), want.size());
  for (const auto& [k, n] : seen) {
    EXPECT_EQ(n, 1) << k;
    EXPECT_TRUE(want.count(k)) << k;
  }
  // Stops when fn returns false; fn may call the store.
  int calls = 0;
  ASSERT_TRUE(store.for_each_key([&](std::string_view k) {
    auto r = store.get(k);
    EXPECT_TRUE(r && r->has_value());
    return ++calls < 5;
  }));
  EXPECT_EQ(calls, 5);
}

TEST(MemoryStore, NamesOfManyLengths) {
  MemoryStore store;
  Reference ref;
  std::vector<std::string> keys;
  for (size_t n = 0; n < 300; ++n) {
    keys.push_back(std::string(n, 'a' + static_cast<char>(n % 26)));
    keys.push_back("domain:" + std::string(n, 'b'));
    keys.push_back("ip:" + std::string(n, '1'));
  }
  keys.push_back("list:" + std::string(4094, 'l'));  // the longest 12-bit length
  keys.push_back("list:" + std::string(4095, 'l'));  // 4-byte length from here
  keys.push_back("list:" + std::string(65535, 'l'));
  keys.push_back(std::string(70000, 'z'));
  keys.push_back(std::string(3 << 20, 'h'));  // bigger than an arena chunk
  keys.push_back(std::string("ip:\0x", 5));   // embedded NUL
  for (int round = 0; round < 3; ++round) {
    std::vector<Update> ups;
    for (const std::string& k : keys)
      ups.push_back(
          {k, delta({{static_cast<Metric>(round * 3), 1.5}, {Metric::kVolume, 2}}, 2000 + round * 100)});
    ASSERT_TRUE(store.merge(ups));
    ref.merge(ups);
  }
  expect_store_equals(store, ref);
  std::set<std::string> seen;
  ASSERT_TRUE(store.for_each_key([&](std::string_view k) {
    EXPECT_TRUE(seen.insert(std::string(k)).second);
    return true;
  }));
  EXPECT_EQ(seen.size(), keys.size());
  EXPECT_EQ(seen, std::set<std::string>(keys.begin(), keys.end()));
}

TEST(MemoryStore, ConcurrentMergesGiveExactSums) {
  MemoryStore store;
  const int kKeys = 500, kRounds = 400;
  auto writer = [&](Metric m) {
    std::vector<Update> ups;
    for (int r = 0; r < kRounds; ++r) {
      ups.clear();
      for (int k = 0; k < kKeys; ++k) ups.push_back({"domain:k" + std::to_string(k), delta({{m, 1}}, 5000)});
      ASSERT_TRUE(store.merge(ups));
    }
  };
  std::thread a(writer, Metric::kVolume), b(writer, Metric::kComplaints);
  std::thread c([&] {  // a reader meanwhile
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(store.get("domain:k" + std::to_string(i % kKeys)));
  });
  a.join();
  b.join();
  c.join();
  ASSERT_EQ(store.size(), static_cast<size_t>(kKeys));
  for (int k = 0; k < kKeys; ++k) {
    auto r = store.get("domain:k" + std::to_string(k));
    ASSERT_TRUE(r && r->has_value());
    for (size_t w = 0; w < kWindowCount; ++w) {
      EXPECT_EQ((**r).v[Counters::index(Metric::kVolume, static_cast<Window>(w))], kRounds);
      EXPECT_EQ((**r).v[Counters::index(Metric::kComplaints, static_cast<Window>(w))], kRounds);
    }
  }
}

TEST(MemoryStore, ExpireSomeRemovesDecayedInBoundedSteps) {
  MemoryStore m;
  const int64_t t0 = 1700000000;
  std::vector<Update> ups;
  std::map<std::string, Counters> want;  // what must stay
  for (int i = 0; i < 3000; ++i) {
    Counters d;
    const bool keep = i % 3 == 0;
    d.add(keep ? Metric::kComplaints : Metric::kVolume, keep ? 1e5 : 1, t0);
    const std::string k = (i % 2 ? "ip:10.0." : "domain:d") + std::to_string(i);
    ups.push_back({k, d});
    if (keep) want[k] = d;
  }
  ASSERT_TRUE(m.merge(ups));
  ASSERT_TRUE(m.put_state("domain:d2", "spammer"));
  EXPECT_EQ(m.expire_some(t0, 1 << 20), 0u);  // nothing decayed yet
  const int64_t later = t0 + 150 * 86400;     // 1 * exp(-5) < 0.01 <= 1e5 * exp(-5)
  // Bounded: 64 slots per call remove at most 64.
  size_t removed = 0, calls = 0;
  for (size_t r; (r = m.expire_some(later, 64)) > 0 || removed < 2000; ++calls) {
    EXPECT_LE(r, 64u);
    removed += r;
    ASSERT_LT(calls, 100000u);
  }
  EXPECT_EQ(removed, 2000u);
  EXPECT_EQ(m.size(), 1000u);
  for (const Update& u : ups) {
    auto c = m.get(u.key);
    ASSERT_TRUE(c);
    auto it = want.find(u.key);
    if (it == want.end()) {
      EXPECT_FALSE(*c) << u.key;
      continue;
    }
    ASSERT_TRUE(*c) << u.key;  // every survivor still found after the shifts
    EXPECT_EQ((*c)->v, it->second.v);
  }
  auto st = m.get_state("domain:d2");
  ASSERT_TRUE(st && *st);
  // Removed identities come back fresh.
  ASSERT_TRUE(m.merge(ups));
  EXPECT_EQ(m.size(), 3000u);
  auto c = m.get("ip:10.0.1");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(Metric::kVolume, Window::kMonth, t0), 1);
}

TEST(MemoryStore, StatesAreSeparate) {
  MemoryStore store;
  ASSERT_TRUE(store.put_state("domain:a.example", "S1"));
  ASSERT_TRUE(store.put_state("domain:a.example", "S2"));
  auto s = store.get_state("domain:a.example");
  ASSERT_TRUE(s && s->has_value());
  EXPECT_EQ(**s, "S2");
  EXPECT_EQ(store.size(), 0u);
  auto c = store.get("domain:a.example");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->has_value());
}

// lookup_many (prefetched in groups of 16, states under the same lock) gives
// what get() and get_state() give, key by key, present or not.
TEST(MemoryStore, LookupManyMatchesGetAndGetState) {
  MemoryStore store;
  std::vector<Update> ups;
  for (int i = 0; i < 100; ++i) {
    Counters d;
    d.add(static_cast<Metric>(i % kMetricCount), 1 + i, 1700000000 + i);
    ups.push_back({"domain:d" + std::to_string(i) + ".example", d});
  }
  ASSERT_TRUE(store.merge(ups));
  ASSERT_TRUE(store.put_state("domain:d7.example", "spammer"));
  ASSERT_TRUE(store.put_state("domain:absent9.example", "bulk"));  // a state without counters
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{16}, size_t{17}, size_t{40}}) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < n; ++i)
      keys.push_back(i % 3 == 2 ? "domain:absent" + std::to_string(i) + ".example"
                                : "domain:d" + std::to_string(i) + ".example");
    auto got = store.lookup_many(keys);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), n);
    for (size_t i = 0; i < n; ++i) {
      auto c = store.get(keys[i]);
      auto st = store.get_state(keys[i]);
      ASSERT_TRUE(c && st);
      ASSERT_EQ((*got)[i].counters.has_value(), c->has_value()) << keys[i];
      if (*c) expect_same(**c, *(*got)[i].counters, keys[i]);
      EXPECT_EQ((*got)[i].state, *st) << keys[i];
    }
  }
  auto two = store.lookup_many(std::vector<std::string>{"domain:d7.example", "domain:absent9.example"});
  ASSERT_TRUE(two);
  EXPECT_EQ((*two)[0].state, std::optional<std::string>("spammer"));
  EXPECT_TRUE((*two)[0].counters);
  EXPECT_EQ((*two)[1].state, std::optional<std::string>("bulk"));
  EXPECT_FALSE((*two)[1].counters);
}

// The keys of a [u16 length][key]... list.
std::vector<std::string> listed(const std::string& list) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 2 <= list.size();) {
    const size_t n = static_cast<unsigned char>(list[i]) |
                     (static_cast<size_t>(static_cast<unsigned char>(list[i + 1])) << 8);
    out.emplace_back(list.substr(i + 2, n));
    i += 2 + n;
  }
  return out;
}

// merge_marking lists each changed identity once until take_marked reads
// it; the mark changes no value, also when a block moves to a larger size.
TEST(MemoryStore, MarkedKeysAreListedOnceUntilTaken) {
  MemoryStore m;
  const Counters a = delta({{Metric::kVolume, 1}}, 1000);
  const Counters b = delta({{Metric::kTraps, 2}, {Metric::kBot, 1}}, 1000);  // new metrics: the block moves
  std::string list;
  const std::vector<UpdateRef> first = {{"ip:192.0.2.1", &a}, {"domain:x.example", &a}, {"ip:192.0.2.1", &a}};
  ASSERT_TRUE(m.merge_marking(first, &list));
  EXPECT_EQ(listed(list), (std::vector<std::string>{"ip:192.0.2.1", "domain:x.example"}));
  const std::vector<UpdateRef> second = {{"ip:192.0.2.1", &b}};
  ASSERT_TRUE(m.merge_marking(second, &list));  // still marked: not listed again
  EXPECT_EQ(listed(list).size(), 2u);
  std::vector<Update> plain = {
      {"ip:192.0.2.1", a}, {"ip:192.0.2.1", a}, {"ip:192.0.2.1", b}, {"domain:x.example", a}};
  MemoryStore ref;
  ASSERT_TRUE(ref.merge(plain));
  const std::vector<std::string_view> keys = {"ip:192.0.2.1", "domain:x.example", "ip:192.0.2.9"};
  const auto got = m.take_marked(keys);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    auto want = ref.get(keys[i]);
    ASSERT_TRUE(got[i] && want && *want) << keys[i];
    EXPECT_EQ(encode(*got[i]), encode(**want)) << keys[i];
  }
  EXPECT_FALSE(got[2]);
  list.clear();
  ASSERT_TRUE(m.merge_marking(second, &list));  // taken: marked and listed again
  EXPECT_EQ(listed(list), (std::vector<std::string>{"ip:192.0.2.1"}));
  ASSERT_TRUE(m.merge(plain));  // merge() leaves marks alone
  EXPECT_EQ(listed(list).size(), 1u);
  std::string removed;
  EXPECT_EQ(m.expire_some(1000 + 400 * 86400, 1 << 10, kExpireBelow, &removed), 2u);
  auto gone = listed(removed);
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (std::vector<std::string>{"domain:x.example", "ip:192.0.2.1"}));
}

}  // namespace
}  // namespace rampart::reputation

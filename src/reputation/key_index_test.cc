// File: src/reputation/key_index_test.cc
// KeyIndex against a std::unordered_map doing the same: adds, finds,
// erases from the end of the vector (as StoreService does), growth and the
// reuse of erased slots, and keys whose 32-bit hashes may collide.
#include "reputation/key_index.h"

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace rampart::reputation {
namespace {

TEST(KeyIndex, AgreesWithAMapThroughAddsAndErasesFromTheEnd) {
  std::vector<std::string> v;  // positions are what the index stores
  std::unordered_map<std::string, uint32_t> want;
  KeyIndex idx;
  const auto key_of = [&v](uint32_t i) -> std::string_view { return v[i]; };
  std::mt19937_64 rng(5);
  for (int round = 0; round < 40; ++round) {
    // Adds: some new keys, some already there.
    for (int k = 0; k < 500; ++k) {
      const std::string key = "ip:192.0." + std::to_string(rng() % 4000);
      auto [pos, fresh] = idx.find_or_add(key, static_cast<uint32_t>(v.size()), key_of);
      const auto it = want.find(key);
      ASSERT_EQ(fresh, it == want.end()) << key;
      if (fresh) {
        ASSERT_EQ(pos, v.size());
        v.push_back(key);
        want.emplace(key, pos);
      } else {
        ASSERT_EQ(pos, it->second) << key;
      }
    }
    // Erase the last third, key first, then the element.
    const size_t keep = v.size() * 2 / 3;
    for (size_t i = keep; i < v.size(); ++i) {
      idx.erase(v[i], key_of);
      want.erase(v[i]);
    }
    v.resize(keep);
    ASSERT_EQ(idx.size(), want.size());
    for (size_t i = 0; i < v.size(); ++i) {
      auto f = idx.find(v[i], key_of);
      ASSERT_TRUE(f) << v[i];
      EXPECT_EQ(*f, i);
    }
    EXPECT_FALSE(idx.find("ip:198.51.100.1", key_of));
  }
  idx.clear();
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_FALSE(idx.find(v.front(), key_of));
}

TEST(KeyIndex, EmptyKeysAndAbsentKeysOnAnEmptyIndex) {
  std::vector<std::string> v;
  KeyIndex idx;
  const auto key_of = [&v](uint32_t i) -> std::string_view { return v[i]; };
  EXPECT_FALSE(idx.find("", key_of));
  idx.erase("x", key_of);  // nothing there: no effect
  auto [pos, fresh] = idx.find_or_add("", 0, key_of);
  EXPECT_TRUE(fresh);
  v.push_back("");
  EXPECT_EQ(idx.find_or_add("", 1, key_of), std::make_pair(pos, false));
}

// The writer's way (StoreService): keys hashed first, reserve(), slots
// prefetched ahead, find_or_add with the hash given. Same answers as the
// plain calls through growth (reserve() each round); home_position() names the
// element a key's home slot holds (a guess for prefetching: here, with
// few keys, usually the key's own position) and nothing for an absent key.
TEST(KeyIndex, HashedAddsAfterReserveMatchPlainOnes) {
  std::vector<std::string> v;
  KeyIndex hashed, plain;
  const auto key_of = [&v](uint32_t i) -> std::string_view { return v[i]; };
  std::mt19937_64 rng(9);
  size_t guessed = 0, present = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> keys;
    for (int k = 0; k < 300; ++k) keys.push_back("domain:s" + std::to_string(rng() % 2000) + ".example");
    std::vector<uint32_t> hashes;
    for (const auto& k : keys) hashes.push_back(KeyIndex::hash(k));
    hashed.reserve(keys.size());
    const size_t before = hashed.size();
    for (size_t j = 0; j < keys.size(); ++j) {
      hashed.prefetch(hashes[j]);
      const auto guess = hashed.home_position(hashes[j]);
      const auto want = plain.find_or_add(keys[j], static_cast<uint32_t>(v.size()), key_of);
      const auto got = hashed.find_or_add(keys[j], hashes[j], static_cast<uint32_t>(v.size()), key_of);
      ASSERT_EQ(got, want) << keys[j];
      if (!got.second) {
        ++present;
        guessed += guess == got.first;
      } else {
        EXPECT_FALSE(guess && key_of(*guess) == keys[j]) << keys[j];
        v.push_back(keys[j]);
      }
    }
    EXPECT_EQ(hashed.size(), before + (v.size() - before));
  }
  EXPECT_EQ(hashed.size(), plain.size());
  EXPECT_GT(present, 0u);
  EXPECT_GT(guessed * 2, present);  // the home slot holds most keys
}

}  // namespace
}  // namespace rampart::reputation

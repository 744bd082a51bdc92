// File: src/reputation/key_index.h
// KeyIndex: a hash index over strings held elsewhere, e.g. the keys of a
// vector's elements, so a set of identities needs no second copy of each key
// and no allocation per key (StoreService's writer: the group's senders and
// the identities waiting for re-classification; issue 11, 200 k events/s).
//
//   std::vector<std::pair<Identity, int64_t>> v;
//   KeyIndex idx;
//   auto key_of = [&](uint32_t i) -> std::string_view { return v[i].first.key; };
//   auto [pos, fresh] = idx.find_or_add(key, v.size(), key_of);   // fresh: push_back to v now
//   idx.erase(key, key_of);                                        // before v loses that element
//
// Many keys in a row (each a cache miss in a big index): hash them first,
// reserve() room, then prefetch() each slot a few keys ahead of its
// find_or_add(key, hash, ...), so the misses overlap.
//
// Open addressing with linear probing; each slot holds 32 bits of the key's
// hash and the element's position + 1 (0: empty; erased slots are marked and
// reused when the table is rebuilt). Positions must stay valid while indexed
// (erase an element's key before it is removed or moved). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::reputation {

class KeyIndex {
 public:
  // The position of `key` (key_of(position) == key), added at `next` if absent.
  template <typename KeyOf>
  std::pair<uint32_t, bool> find_or_add(std::string_view key, uint32_t next, const KeyOf& key_of) {
    return find_or_add(key, hash(key), next, key_of);
  }
  // The same with the key's hash(key) given.
  template <typename KeyOf>
  std::pair<uint32_t, bool> find_or_add(std::string_view key, uint32_t h, uint32_t next,
                                        const KeyOf& key_of) {
    if ((used_ + 1) * 2 > slots_.size()) rebuild(std::max<size_t>(64, live_ * 4));
    size_t i = h & mask_;
    std::optional<size_t> gone;  // the first erased slot on the way: reused
    for (;; i = (i + 1) & mask_) {
      const uint64_t s = slots_[i];
      if (s == 0) break;
      if (s == kGone) {
        if (!gone) gone = i;
        continue;
      }
      if (static_cast<uint32_t>(s >> 32) == h && key_of(pos_of(s)) == key) return {pos_of(s), false};
    }
    if (gone) {
      i = *gone;
    } else {
      ++used_;
    }
    slots_[i] = (uint64_t{h} << 32) | (uint64_t{next} + 1);
    ++live_;
    return {next, true};
  }
  template <typename KeyOf>
  std::optional<uint32_t> find(std::string_view key, const KeyOf& key_of) const {
    if (slots_.empty()) return std::nullopt;
    const uint32_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const uint64_t s = slots_[i];
      if (s == 0) return std::nullopt;
      if (s != kGone && static_cast<uint32_t>(s >> 32) == h && key_of(pos_of(s)) == key) return pos_of(s);
    }
  }
  template <typename KeyOf>
  void erase(std::string_view key, const KeyOf& key_of) {
    if (slots_.empty()) return;
    const uint32_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const uint64_t s = slots_[i];
      if (s == 0) return;
      if (s != kGone && static_cast<uint32_t>(s >> 32) == h && key_of(pos_of(s)) == key) {
        slots_[i] = kGone;
        --live_;
        return;
      }
    }
  }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), 0);
    used_ = live_ = 0;
  }
  size_t size() const { return live_; }

  // Room for `n` more keys without a rebuild (so prefetched slots stay put).
  void reserve(size_t n) {
    if ((used_ + n + 1) * 2 > slots_.size()) rebuild(std::max<size_t>(64, (live_ + n) * 4));
  }
  // Starts loading the home slot of a key hashed `h`; returns that slot's
  // current content (0 if the index is empty): a caller may prefetch what
  // it points to (the element at position + 1 of a slot whose upper half is h).
  void prefetch(uint32_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }
  // The position of the key in the home slot of `h` when its hash tag is h
  // (a guess: the key itself is not compared), for prefetching the element.
  std::optional<uint32_t> home_position(uint32_t h) const {
    if (slots_.empty()) return std::nullopt;
    const uint64_t s = slots_[h & mask_];
    if (s == 0 || s == kGone || static_cast<uint32_t>(s >> 32) != h) return std::nullopt;
    return pos_of(s);
  }

  static uint32_t hash(std::string_view k) {
    const uint64_t h = std::hash<std::string_view>{}(k);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }

 private:
  static constexpr uint64_t kGone = ~uint64_t{0};
  static uint32_t pos_of(uint64_t s) { return static_cast<uint32_t>(s & 0xffffffffu) - 1; }
  // A table of at least `want` slots (a power of two) holding the live entries.
  void rebuild(size_t want) {
    size_t n = 64;
    while (n < want) n *= 2;
    std::vector<uint64_t> old(n, 0);
    old.swap(slots_);
    mask_ = n - 1;
    used_ = live_;
    for (const uint64_t s : old) {
      if (s == 0 || s == kGone) continue;
      size_t i = static_cast<uint32_t>(s >> 32) & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;  // live and erased slots
  size_t live_ = 0;
};

}  // namespace rampart::reputation

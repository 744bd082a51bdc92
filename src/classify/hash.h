// File: src/classify/hash.h
// Feature hashing: bytes (and a namespace tag) to an index in a 2^bits
// weight table. Fast, seeded, no allocation; not cryptographic.
//
//   uint64_t h = classify::hash_bytes("viagra", classify::ns_tag('w'), seed);
//   uint32_t idx = classify::fold(h, 22);      // index in [0, 2^22)
//   uint64_t g = classify::hash_u64(0x61626364, seed);   // a 4-byte window
//
// A different seed gives an independent family of hash functions (the eval's
// --seed). Every byte string hashes; there is no failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rampart::classify {

inline constexpr uint64_t kMul1 = 0x9E3779B97F4A7C15ull;
inline constexpr uint64_t kMul2 = 0xBF58476D1CE4E5B9ull;
inline constexpr uint64_t kMul3 = 0x94D049BB133111EBull;

// SplitMix64 finaliser: a good 64-bit mixer.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= kMul2;
  x ^= x >> 27;
  x *= kMul3;
  x ^= x >> 31;
  return x;
}

constexpr uint64_t hash_u64(uint64_t v, uint64_t seed) { return mix64(v * kMul1 + seed); }

// A namespace tag keeps "subject word x" apart from "body word x".
constexpr uint64_t ns_tag(char a, char b = 0) {
  return (static_cast<uint64_t>(static_cast<unsigned char>(a)) << 8 | static_cast<unsigned char>(b)) *
         0xD6E8FEB86659FD93ull;
}

// Hash of a byte string, 8 bytes a step.
inline uint64_t hash_bytes(std::string_view s, uint64_t tag, uint64_t seed) {
  uint64_t h = seed ^ tag ^ (s.size() * kMul3);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix64(h ^ (w * kMul1));
  }
  uint64_t w = 0;
  if (i < s.size()) {
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = mix64(h ^ (w * kMul1) ^ 0xFF);
  }
  return mix64(h);
}

constexpr uint32_t fold(uint64_t h, unsigned bits) { return static_cast<uint32_t>(h >> (64 - bits)); }

}  // namespace rampart::classify

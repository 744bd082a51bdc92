// File: src/classify/ppm.cc
// The character-level class models (ppm.h): Witten-Bell interpolation of
// orders 0..k over hashed counts.
#include "classify/ppm.h"

#include <algorithm>
#include <cmath>

#include "classify/hash.h"

namespace rampart::classify {

namespace {

constexpr uint64_t kSeed = 0x70706d636f756e74ull;  // "ppmcount"
constexpr uint64_t kTotal = 0x100;                 // the distinct count sits in the neighbouring slot

// The hash of the context of order k at position i: the k bytes before i,
// nearest first, chained from the empty context.
inline uint64_t extend(uint64_t ctx, unsigned char byte) {
  return mix64((ctx ^ (byte + 1u)) * kMul1 + kMul2);
}
// ctx is already mixed: one multiply spreads the symbol over the top bits.
inline uint32_t slot(uint64_t ctx, uint64_t sym, uint32_t bits) {
  return fold((ctx + sym * kMul3) * kMul1, bits);
}

inline void bump(uint32_t& c) { c += c != UINT32_MAX ? 1u : 0u; }

}  // namespace

CharModel::CharModel(uint32_t order, uint32_t bits, double discount)
    : order_(std::min(order, kMaxOrder)),
      bits_(std::clamp<uint32_t>(bits, 10, 26)),
      discount_(discount > 0 && discount < 1 ? discount : 0) {
  t_.assign(size_t{2} << bits_, 0);
}

namespace {

// The slots of the contexts of byte i, orders 0..min(order, i).
inline void slots_at(const unsigned char* b, size_t i, uint32_t order, uint32_t bits, CharModel::Slots* out) {
  uint64_t ctx = kSeed;
  for (uint32_t k = 0; k <= order && k <= i; ++k) {
    if (k > 0) ctx = extend(ctx, b[i - k]);
    out[k].n = slot(ctx, b[i], bits);
    out[k].tot = slot(ctx, kTotal, bits);
  }
}

// How many bytes ahead the scoring prefetches the count slots: the slots of
// a byte depend on the text only, so the table's cache misses of the next
// bytes overlap the arithmetic of this one.
constexpr size_t kAhead = 4;

inline void prefetch_byte(const uint32_t* t, const CharModel::Slots* s, size_t i, uint32_t order) {
  const uint32_t top = static_cast<uint32_t>(std::min<size_t>(order, i));
  for (uint32_t k = 0; k <= top; ++k) {
    __builtin_prefetch(t + 2 * size_t{s[k].n});
    __builtin_prefetch(t + 2 * size_t{s[k].tot & ~1u});
  }
}

}  // namespace

namespace {

// P_spam / P_ham of one byte from its slots, orders 0..top. Each class's
// Witten-Bell chain p_k = (n_k + u_k p_{k-1}) / (tot_k + u_k) is carried
// as a fraction a_k / b_k (a_k = n_k b_{k-1} + u_k a_{k-1}, b_k = (tot_k +
// u_k) b_{k-1}), so a byte costs one division instead of one per order and
// class, whose latencies chained (the same value up to rounding; b stays
// below 2^(8 + 33 * 7), a never shrinks). A class stops at its first
// unseen context. With a discount d > 0 (absolute discounting, PPM method D
// at d = 1/2) p_k = (max(n_k - d, 0) + d u_k p_{k-1}) / tot_k, carried the
// same way (a_k = max(n_k - d, 0) b_{k-1} + d u_k a_{k-1}, b_k = tot_k b_{k-1});
// kDiscount picks the method once per text, not per order.
template <bool kDiscount>
inline double byte_ratio(const uint32_t* t, const CharModel::Slots* s, uint32_t top, double d) {
  double as = 1, bs = 256, ah = 1, bh = 256;
  bool open_s = true, open_h = true;
  for (uint32_t k = 0; k <= top && (open_s || open_h); ++k) {
    const uint32_t* tot = t + 2 * size_t{s[k].tot};
    const uint32_t* dis = t + 2 * size_t{s[k].tot ^ 1u};
    const uint32_t* n = t + 2 * size_t{s[k].n};
    open_s = open_s && tot[0] > 0;
    open_h = open_h && tot[1] > 0;
    if constexpr (kDiscount) {
      if (open_s) {
        const double u = std::max<uint32_t>(dis[0], 1);
        as = (n[0] > 0 ? n[0] - d : 0.0) * bs + d * u * as;
        bs = tot[0] * bs;
      }
      if (open_h) {
        const double u = std::max<uint32_t>(dis[1], 1);
        ah = (n[1] > 0 ? n[1] - d : 0.0) * bh + d * u * ah;
        bh = tot[1] * bh;
      }
    } else {
      if (open_s) {
        const double u = std::max<uint32_t>(dis[0], 1);
        as = n[0] * bs + u * as;
        bs = (tot[0] + u) * bs;
      }
      if (open_h) {
        const double u = std::max<uint32_t>(dis[1], 1);
        ah = n[1] * bh + u * ah;
        bh = (tot[1] + u) * bh;
      }
    }
  }
  return (as * bh) / (bs * ah);
}

// The sum of the per-byte log ratios over the text. Slots of byte j come
// from at(j) (a pointer to order + 1 of them, valid until kAhead bytes
// later); ahead(j) computes them. A log every 8 bytes: each product of 8
// ratios stays far inside a double's range.
template <bool kDiscount, class Ahead, class At>
double sum_log_ratio(const uint32_t* t, size_t len, uint32_t order, double d, Ahead ahead, At at) {
  for (size_t i = 0; i < std::min(len, kAhead); ++i) prefetch_byte(t, ahead(i), i, order);
  double sum = 0, ratio = 1;
  for (size_t i = 0; i < len; ++i) {
    if (i + kAhead < len) prefetch_byte(t, ahead(i + kAhead), i + kAhead, order);
    ratio *= byte_ratio<kDiscount>(t, at(i), static_cast<uint32_t>(std::min<size_t>(order, i)), d);
    if ((i & 7) == 7) {
      sum += std::log(ratio);
      ratio = 1;
    }
  }
  return sum + std::log(ratio);
}

}  // namespace

// A verdict: the slots of the next kAhead bytes in a ring on the stack, no
// allocation.
double CharModel::log_ratio(std::string_view text) const {
  if (text.empty() || t_.empty()) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  constexpr size_t kRing = 8;
  static_assert(kRing > kAhead && (kRing & (kRing - 1)) == 0);
  Slots ring[kRing][kMaxOrder + 1];
  const uint32_t order = order_, bits = bits_;
  auto ahead = [&](size_t j) {
    Slots* s = ring[j & (kRing - 1)];
    slots_at(b, j, order, bits, s);
    return s;
  };
  auto at = [&](size_t j) { return ring[j & (kRing - 1)]; };
  const double sum = discount_ > 0 ? sum_log_ratio<true>(t_.data(), text.size(), order, discount_, ahead, at)
                                   : sum_log_ratio<false>(t_.data(), text.size(), order, 0, ahead, at);
  return sum / static_cast<double>(text.size());
}

double CharModel::log_ratio(std::string_view text, std::vector<Slots>& keep) const {
  if (text.empty() || t_.empty()) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t per = order_ + 1, len = text.size();
  keep.resize(len * per);
  Slots* all = keep.data();
  const uint32_t order = order_, bits = bits_;
  auto ahead = [&](size_t j) {
    slots_at(b, j, order, bits, all + j * per);
    return all + j * per;
  };
  auto at = [&](size_t j) { return all + j * per; };
  const double sum = discount_ > 0 ? sum_log_ratio<true>(t_.data(), len, order, discount_, ahead, at)
                                   : sum_log_ratio<false>(t_.data(), len, order, 0, ahead, at);
  return sum / static_cast<double>(len);
}

void CharModel::learn(std::string_view text, bool spam) {
  std::vector<Slots> none;
  learn(text, spam, none);
}

void CharModel::learn(std::string_view text, bool spam, const std::vector<Slots>& kept) {
  if (t_.empty()) return;
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  uint32_t* t = t_.data();
  const size_t side = spam ? 0 : 1;
  const size_t per = order_ + 1;
  const bool reuse = kept.size() == text.size() * per;
  Slots local[kMaxOrder + 1];
  for (size_t i = 0; i < text.size(); ++i) {
    const Slots* s = local;
    if (reuse)
      s = kept.data() + i * per;
    else
      slots_at(b, i, order_, bits_, local);
    const uint32_t top = static_cast<uint32_t>(std::min<size_t>(order_, i));
    for (uint32_t k = 0; k <= top; ++k) {
      uint32_t& n = t[2 * size_t{s[k].n} + side];
      if (n == 0) bump(t[2 * size_t{s[k].tot ^ 1u} + side]);
      bump(n);
      bump(t[2 * size_t{s[k].tot} + side]);
    }
  }
}

}  // namespace rampart::classify

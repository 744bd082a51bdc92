// File: src/classify/ppm.cc
// The character-level class models (ppm.h): Witten-Bell interpolation of
// orders 0..k over hashed counts.
#include "classify/ppm.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "classify/hash.h"

namespace rampart::classify {

namespace {

constexpr uint64_t kSeed = 0x70706d636f756e74ull;  // "ppmcount"
constexpr uint64_t kTotal = 0x100;                 // the distinct count sits in the neighbouring slot

// The hash of the context of order k at position i: the k bytes before i,
// nearest first, chained from the empty context.
constexpr uint64_t extend(uint64_t ctx, unsigned char byte) {
  return mix64((ctx ^ (byte + 1u)) * kMul1 + kMul2);
}
// ctx is already mixed: one multiply spreads the symbol over the top bits.
inline uint32_t slot(uint64_t ctx, uint64_t sym, uint32_t bits) {
  return fold((ctx + sym * kMul3) * kMul1, bits);
}

inline void bump(uint32_t& c) { c += c < CharModel::kMaxCount ? 1u : 0u; }

}  // namespace

CharModel::CharModel(uint32_t order, uint32_t bits, double discount)
    : order_(std::min(order, kMaxOrder)),
      bits_(std::clamp<uint32_t>(bits, 10, 26)),
      discount_(discount > 0 && discount < 1 ? discount : 0) {
  t_.assign(size_t{2} << bits_, 0);
}

namespace {

// The context hashes and slots that depend on one byte only, computed once:
// the order-1 context of each previous byte, and before the fold the order-0
// slot of each byte, the order-0 total and the order-1 total of each
// previous byte (slot() without its fold).
constexpr uint64_t unfolded(uint64_t ctx, uint64_t sym) { return (ctx + sym * kMul3) * kMul1; }
struct ByteTables {
  uint64_t ctx1[256];  // extend(kSeed, byte)
  uint64_t n0[256];    // unfolded(kSeed, byte)
  uint64_t tot1[256];  // unfolded(ctx1[byte], kTotal)
  uint64_t tot0;       // unfolded(kSeed, kTotal)
};
constexpr ByteTables kBytes = [] {
  ByteTables t{};
  for (unsigned c = 0; c < 256; ++c) {
    t.ctx1[c] = extend(kSeed, static_cast<unsigned char>(c));
    t.n0[c] = unfolded(kSeed, c);
    t.tot1[c] = unfolded(t.ctx1[c], kTotal);
  }
  t.tot0 = unfolded(kSeed, kTotal);
  return t;
}();

// The slots of the contexts of byte i, orders 0..min(order, i): the same
// values as chaining extend() and slot() from the empty context (orders 0
// and 1 from kBytes).
inline void slots_at(const unsigned char* b, size_t i, uint32_t order, uint32_t bits, CharModel::Slots* out) {
  const unsigned shift = 64 - bits;
  const unsigned char c = b[i];
  out[0].n = static_cast<uint32_t>(kBytes.n0[c] >> shift);
  out[0].tot = static_cast<uint32_t>(kBytes.tot0 >> shift);
  if (order == 0 || i == 0) return;
  const uint64_t sym = c * kMul3;
  uint64_t ctx = kBytes.ctx1[b[i - 1]];
  out[1].n = static_cast<uint32_t>(((ctx + sym) * kMul1) >> shift);
  out[1].tot = static_cast<uint32_t>(kBytes.tot1[b[i - 1]] >> shift);
  const uint32_t top = static_cast<uint32_t>(std::min<size_t>(order, i));
  for (uint32_t k = 2; k <= top; ++k) {
    ctx = extend(ctx, b[i - k]);
    out[k].n = static_cast<uint32_t>(((ctx + sym) * kMul1) >> shift);
    out[k].tot = static_cast<uint32_t>(((ctx + kTotal * kMul3) * kMul1) >> shift);
  }
}

// The chained computation the above replaces (reference_log_ratio).
inline void slots_chained(const unsigned char* b, size_t i, uint32_t order, uint32_t bits,
                          CharModel::Slots* out) {
  uint64_t ctx = kSeed;
  for (uint32_t k = 0; k <= order && k <= i; ++k) {
    if (k > 0) ctx = extend(ctx, b[i - k]);
    out[k].n = slot(ctx, b[i], bits);
    out[k].tot = slot(ctx, kTotal, bits);
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

// The sum of the per-byte log ratios from byte `from` on, added to `sum`
// and `ratio` (a log every 8 bytes: each product of 8 ratios stays far
// inside a double's range), with byte i's slots from slots(i) and its ratio
// from ratio_of(slots, i). The caller divides by the length.
template <class Slots, class Ratio>
inline void sum_bytes(size_t from, size_t len, double& sum, double& ratio, Slots slots, Ratio ratio_of) {
  for (size_t i = from; i < len; ++i) {
    ratio *= ratio_of(slots(i), i);
    if ((i & 7) == 7) {
      sum += std::log(ratio);
      ratio = 1;
    }
  }
}

#if defined(__SSE2__)
// Witten-Bell as byte_ratio<false>, both classes at once in the two lanes
// of a vector (spam, ham). A class whose context is unseen gets n = tot = 0
// and u = 1 from then on, which leaves its a and b unchanged exactly (a =
// 0 b + 1 a, b = (0 + 1) b) where byte_ratio skips them. The same
// operations in the same order, so the same value to the bit (no FMA:
// x86-64 without -mfma; ppm_test compares them).
inline __m128d count_pair(const uint32_t* p) {
  // Counts stay within kMaxCount (INT32_MAX): the signed conversion is exact.
  return _mm_cvtepi32_pd(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// Order 0's total and distinct counts are the same for every byte of a
// text: its share of the chain (whether each class has seen anything, u,
// and b after order 0) is computed once per text.
struct Order0 {
  __m128d open, u, b;
  Order0(const uint32_t* t, uint32_t tot_slot) {
    const __m128d tot = count_pair(t + 2 * size_t{tot_slot});
    open = _mm_cmpgt_pd(tot, _mm_setzero_pd());
    u = _mm_max_pd(_mm_and_pd(count_pair(t + 2 * size_t{tot_slot ^ 1u}), open), _mm_set1_pd(1));
    b = _mm_mul_pd(_mm_add_pd(_mm_and_pd(tot, open), u), _mm_set1_pd(256));
  }
};

struct Chain {
  __m128d a, b, open;

  // After order 0, from a = 1, b = 256: a = n 256 + u 1 (u 1 is u exactly).
  Chain(const Order0& o, const uint32_t* t, uint32_t n_slot) : b(o.b), open(o.open) {
    a = _mm_add_pd(_mm_mul_pd(_mm_and_pd(count_pair(t + 2 * size_t{n_slot}), open), _mm_set1_pd(256)), o.u);
  }
  void order(const uint32_t* t, CharModel::Slots s) {
    const __m128d one = _mm_set1_pd(1);
    const __m128d tot = count_pair(t + 2 * size_t{s.tot});
    open = _mm_and_pd(open, _mm_cmpgt_pd(tot, _mm_setzero_pd()));
    const __m128d u = _mm_max_pd(_mm_and_pd(count_pair(t + 2 * size_t{s.tot ^ 1u}), open), one);
    a = _mm_add_pd(_mm_mul_pd(_mm_and_pd(count_pair(t + 2 * size_t{s.n}), open), b), _mm_mul_pd(u, a));
    b = _mm_mul_pd(_mm_add_pd(_mm_and_pd(tot, open), u), b);
  }
  // (as bh) / (bs ah)
  double ratio() const {
    const __m128d x = _mm_mul_pd(a, _mm_shuffle_pd(b, b, 1));
    return _mm_cvtsd_f64(x) / _mm_cvtsd_f64(_mm_unpackhi_pd(x, x));
  }
};

// Orders 0..K of byte i >= K: the loops unrolled.
template <uint32_t K>
inline void slots_full(const unsigned char* b, size_t i, unsigned shift, CharModel::Slots* out) {
  const unsigned char c = b[i];
  out[0].n = static_cast<uint32_t>(kBytes.n0[c] >> shift);
  out[0].tot = static_cast<uint32_t>(kBytes.tot0 >> shift);
  if constexpr (K > 0) {
    const uint64_t sym = c * kMul3;
    uint64_t ctx = kBytes.ctx1[b[i - 1]];
    out[1].n = static_cast<uint32_t>(((ctx + sym) * kMul1) >> shift);
    out[1].tot = static_cast<uint32_t>(kBytes.tot1[b[i - 1]] >> shift);
#pragma GCC unroll 8
    for (uint32_t k = 2; k <= K; ++k) {
      ctx = extend(ctx, b[i - k]);
      out[k].n = static_cast<uint32_t>(((ctx + sym) * kMul1) >> shift);
      out[k].tot = static_cast<uint32_t>(((ctx + kTotal * kMul3) * kMul1) >> shift);
    }
  }
}

// Witten-Bell over the text, order K: the first K bytes with their shorter
// contexts, the rest unrolled. With `keep`, the slots go there (K + 1 per
// byte) for the learning that follows.
template <uint32_t K, bool kKeep>
double sum_wb(const uint32_t* t, const unsigned char* b, size_t len, uint32_t bits, CharModel::Slots* keep) {
  CharModel::Slots local[K + 1];
  auto at = [&](size_t i) {
    if constexpr (kKeep) return keep + i * (K + 1);
    return local;
  };
  double sum = 0, ratio = 1;
  const unsigned shift = 64 - bits;
  const Order0 o0(t, static_cast<uint32_t>(kBytes.tot0 >> shift));
  const size_t head = std::min<size_t>(K, len);
  sum_bytes(
      0, head, sum, ratio,
      [&](size_t i) {
        CharModel::Slots* s = at(i);
        slots_at(b, i, K, bits, s);
        return s;
      },
      [&](const CharModel::Slots* s, size_t i) {
        Chain ch(o0, t, s[0].n);
        for (size_t k = 1; k <= i; ++k) ch.order(t, s[k]);
        return ch.ratio();
      });
  sum_bytes(
      head, len, sum, ratio,
      [&](size_t i) {
        CharModel::Slots* s = at(i);
        slots_full<K>(b, i, shift, s);
        return s;
      },
      [&](const CharModel::Slots* s, size_t) {
        Chain ch(o0, t, s[0].n);
#pragma GCC unroll 8
        for (uint32_t k = 1; k <= K; ++k) ch.order(t, s[k]);
        return ch.ratio();
      });
  return sum + std::log(ratio);
}

template <bool kKeep>
double sum_wb_of(uint32_t order, const uint32_t* t, const unsigned char* b, size_t len, uint32_t bits,
                 CharModel::Slots* keep) {
  switch (order) {
    case 0: return sum_wb<0, kKeep>(t, b, len, bits, keep);
    case 1: return sum_wb<1, kKeep>(t, b, len, bits, keep);
    case 2: return sum_wb<2, kKeep>(t, b, len, bits, keep);
    case 3: return sum_wb<3, kKeep>(t, b, len, bits, keep);
    case 4: return sum_wb<4, kKeep>(t, b, len, bits, keep);
    case 5: return sum_wb<5, kKeep>(t, b, len, bits, keep);
    default: break;
  }
  static_assert(CharModel::kMaxOrder == 6);
  return sum_wb<6, kKeep>(t, b, len, bits, keep);
}
#endif

// Any order, either escape, one class after the other (byte_ratio); also
// the Witten-Bell path without SSE2.
template <bool kDiscount>
double sum_plain(const uint32_t* t, const unsigned char* b, size_t len, uint32_t order, uint32_t bits,
                 double d, CharModel::Slots* keep) {
  const size_t per = order + 1;
  CharModel::Slots local[CharModel::kMaxOrder + 1];
  double sum = 0, ratio = 1;
  sum_bytes(
      0, len, sum, ratio,
      [&](size_t i) {
        CharModel::Slots* s = keep != nullptr ? keep + i * per : local;
        slots_at(b, i, order, bits, s);
        return s;
      },
      [&](const CharModel::Slots* s, size_t i) {
        return byte_ratio<kDiscount>(t, s, static_cast<uint32_t>(std::min<size_t>(order, i)), d);
      });
  return sum + std::log(ratio);
}

}  // namespace

double CharModel::sum_log(std::string_view text, Slots* keep) const {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const uint32_t* t = t_.data();
  const size_t len = text.size();
  if (discount_ > 0) return sum_plain<true>(t, b, len, order_, bits_, discount_, keep);
#if defined(__SSE2__)
  return keep != nullptr ? sum_wb_of<true>(order_, t, b, len, bits_, keep)
                         : sum_wb_of<false>(order_, t, b, len, bits_, nullptr);
#else
  return sum_plain<false>(t, b, len, order_, bits_, 0, keep);
#endif
}

// A verdict: the slots on the stack, no allocation.
double CharModel::log_ratio(std::string_view text) const {
  if (text.empty() || t_.empty()) return 0;
  return sum_log(text, nullptr) / static_cast<double>(text.size());
}

double CharModel::log_ratio(std::string_view text, std::vector<Slots>& keep) const {
  if (text.empty() || t_.empty()) return 0;
  keep.resize(text.size() * (order_ + 1));
  return sum_log(text, keep.data()) / static_cast<double>(text.size());
}

double CharModel::reference_log_ratio(std::string_view text) const {
  if (text.empty() || t_.empty()) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  Slots s[kMaxOrder + 1];
  double sum = 0, ratio = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    slots_chained(b, i, order_, bits_, s);
    const auto top = static_cast<uint32_t>(std::min<size_t>(order_, i));
    ratio *= discount_ > 0 ? byte_ratio<true>(t_.data(), s, top, discount_)
                           : byte_ratio<false>(t_.data(), s, top, 0);
    if ((i & 7) == 7) {
      sum += std::log(ratio);
      ratio = 1;
    }
  }
  return (sum + std::log(ratio)) / static_cast<double>(text.size());
}

void CharModel::saturate() {
  for (uint32_t& c : t_) c = std::min(c, kMaxCount);
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

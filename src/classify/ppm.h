// File: src/classify/ppm.h
// A character-level compression model of each class for short texts (SMS,
// IM): two order-k Markov models over bytes, one learned from spam and one
// from ham, each blending its orders 0..k by Witten-Bell interpolation
// (the escape weight of a context is the number of distinct bytes seen after
// it, as in PPM method C; or, with a discount d in (0, 1), absolute
// discounting: d taken from each seen byte's count and given to the lower
// order, PPM method D at d = 1/2), and the text scored by how much better the spam
// model compresses it:
//
//   (log P_spam(text) - log P_ham(text)) / bytes     (nats per byte)
//
// This is the "minimum cross-entropy" classifier of the TREC/CEAS
// compression-model filters, with hashed counts instead of a context tree:
//
//   classify::CharModel cm(/*order=*/3, /*bits=*/21);
//   double r = cm.log_ratio("WINNER!! call 09061701461");   // > 0: spam-like
//   cm.learn("WINNER!! call 09061701461", /*spam=*/true);
//
// Counts live in one table of 2^bits slots, each a pair (spam count, ham
// count) of 32-bit counters saturating at 2^31 - 1, indexed by a seeded hash of
// (context, next byte) and (context, "total"), the distinct count beside
// the total in the same cache line;
// collisions are not detected (as with the hashed features). Cost per byte:
// 3 slots per order, both classes read from the same slot. Never fails,
// never throws; a text is bytes (invalid UTF-8 included).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "classify/huge_alloc.h"

namespace rampart::classify {

class CharModel {
 public:
  static constexpr uint32_t kMaxOrder = 6;
  // Counts saturate here (INT32_MAX: the scoring converts them as signed).
  static constexpr uint32_t kMaxCount = 0x7fffffff;
  CharModel() = default;
  // order 0..kMaxOrder, bits 10..26; discount 0 (Witten-Bell) or in (0, 1)
  // (anything else: 0).
  CharModel(uint32_t order, uint32_t bits, double discount = 0);

  // The slots of one context: its count pair for the next byte, and its
  // total pair (the distinct pair is the neighbour, tot ^ 1).
  struct Slots {
    uint32_t n, tot;
  };

  double log_ratio(std::string_view text) const;
  void learn(std::string_view text, bool spam);
  // The same, keeping the slots the scoring computed in `keep` (the
  // caller's scratch) for the learning that follows on the same text (a
  // TREC step, or a report right after a verdict).
  double log_ratio(std::string_view text, std::vector<Slots>& keep) const;
  void learn(std::string_view text, bool spam, const std::vector<Slots>& kept);
  // log_ratio() computed the plain way (the contexts hashed as a chain, one
  // byte at a time, one class after the other, no prefetching): what the
  // fast path must equal to the bit (ppm_test).
  double reference_log_ratio(std::string_view text) const;

  uint32_t order() const { return order_; }
  double discount() const { return discount_; }
  uint32_t bits() const { return bits_; }
  // The table: 2^bits pairs, spam count then ham count (for the model file).
  // After writing counts into it, saturate() (a count above kMaxCount, as
  // older builds could save, becomes kMaxCount).
  const std::vector<uint32_t, HugePageAllocator<uint32_t>>& table() const { return t_; }
  std::vector<uint32_t, HugePageAllocator<uint32_t>>& table() { return t_; }
  void saturate();

 private:
  // The sum of the per-byte log ratios (the slots into keep[len * (order +
  // 1)] when not null).
  double sum_log(std::string_view text, Slots* keep) const;

  uint32_t order_ = 3;
  uint32_t bits_ = 0;
  double discount_ = 0;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> t_;
};

}  // namespace rampart::classify

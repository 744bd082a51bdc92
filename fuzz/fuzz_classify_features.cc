// File: fuzz/fuzz_classify_features.cc
// libFuzzer target: feature extraction (classify::Extractor) on arbitrary
// bytes, as an email and as an SMS (number shapes and typing stats on). Every index must lie in the table and
// appear once; the count stays within max_features. The SMS cue prior
// (classify/cues.h) reads the same bytes: at most 3 calls to action, a prior
// within [-2, 9].
//
//   fuzz_classify_features fuzz/corpus/fuzz_classify_features
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "classify/cues.h"
#include "classify/features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::classify;
  static Extractor ex([] {
    FeatureOptions o;
    o.bits = 18;
    o.text_prefix = 1000;
    o.max_features = 4096;
    o.shapes = true;  // the SMS/IM defaults' number shapes and typing stats
    o.stats = true;
    return o;
  }());
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<uint32_t> f;
  for (Channel ch : {Channel::kEmail, Channel::kSms}) {
    ex.extract(in, ch, f);
    if (f.size() > 4096) std::abort();
    std::set<uint32_t> seen;
    for (uint32_t i : f)
      if (i >= (1u << 18) || !seen.insert(i).second) std::abort();
  }
  const Cues c = read_cues(in);
  const double prior = cue_prior(c);
  if (c.calls_to_action > 3 || !(prior >= -2.0 && prior <= 9.0)) std::abort();
  return 0;
}

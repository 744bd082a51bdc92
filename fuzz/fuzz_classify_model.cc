// File: fuzz/fuzz_classify_model.cc
// libFuzzer target: the classifier's model-file loader
// (classify::Model::deserialize) on arbitrary bytes. A file that loads must
// serialize back to the same bytes and score without reading out of bounds.
//
//   fuzz_classify_model fuzz/corpus/fuzz_classify_model
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "classify/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = rampart::classify::Model::deserialize(in);
  if (!m) return 0;
  if (m->serialize() != in) std::abort();
  std::vector<uint32_t> f = {0, 1, 0xFFFFFFFFu, 12345};
  const double s = m->score(f, "WINNER! call 09061701461");  // text: the character models, if any
  if (!(s >= 0 && s <= 1)) std::abort();
  m->learn(f, true, "WINNER! call 09061701461");
  return 0;
}

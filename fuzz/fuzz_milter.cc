// File: fuzz/fuzz_milter.cc
// Fuzz target: the milter codec. Frames the input as a stream of packets,
// decodes each command and checks that re-encoding and decoding again gives
// the same bytes; also decodes each packet as a reply.
//
//   fuzz_milter_replay fuzz/corpus/fuzz_milter      # every build (ctest)
//   fuzz_milter -max_total_time=60 fuzz/corpus/fuzz_milter   # make fuzz
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/milter/codec.h"

using namespace rampart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  milter::Framer f(1 << 16);
  f.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  for (int i = 0; i < 10000; ++i) {
    auto p = f.next();
    if (!p || !*p) break;
    auto cmd = milter::decode(**p);
    (void)milter::decode_reply(**p);
    if (!cmd) continue;
    const std::string once = milter::encode_command(*cmd);
    auto again = milter::decode_one(once, 1 << 17);
    if (!again) std::abort();  // what we encode must decode
    if (milter::encode_command(*again) != once) std::abort();
  }
  return 0;
}

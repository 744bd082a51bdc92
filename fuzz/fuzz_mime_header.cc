// File: fuzz/fuzz_mime_header.cc
// libFuzzer target for the RFC 5322 header-section parser (src/mime/header.h).
//
//   fuzz_mime_header fuzz/corpus/fuzz_mime_header      # clang, RAMPART_FUZZ=ON
//   fuzz_mime_header_replay fuzz/corpus/fuzz_mime_header  # every build (ctest)
//
// Checks, besides "no crash, no hang": every field view lies inside the
// input, fields are in order and before the body, body_offset <= size.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HeaderLimits lim;
  lim.max_fields = 200;  // small limits so the fuzzer reaches them
  lim.max_header_bytes = 16 * 1024;
  lim.max_defects = 50;
  HeaderSection h = HeaderSection::parse(in, lim);
  if (h.body_offset() > size) std::abort();
  if (h.size() > lim.max_fields || h.defects().size() > lim.max_defects) std::abort();
  size_t prev_end = 0;
  for (const HeaderField& f : h.fields()) {
    const char* b = in.data();
    if (f.raw.data() < b || f.raw.data() + f.raw.size() > b + size) std::abort();
    if (f.offset < prev_end || f.offset + f.raw.size() > h.body_offset()) std::abort();
    if (f.name.empty() || f.name.data() != f.raw.data()) std::abort();
    prev_end = f.offset + f.raw.size();
    std::string v = f.value();
    (void)f.empty_value();
    if (v.size() > f.value_raw.size()) std::abort();
  }
  (void)h.all("From");
  (void)h.count("received");
  (void)h.body();
  return 0;
}

// File: fuzz/fuzz_mime_tnef.cc
// libFuzzer target for the TNEF (winmail.dat) reader (src/mime/tnef.h).
//
//   fuzz_mime_tnef fuzz/corpus/fuzz_mime_tnef          # clang, RAMPART_FUZZ=ON
//   fuzz_mime_tnef_replay fuzz/corpus/fuzz_mime_tnef   # every build (ctest)
//
// Checks, besides "no crash, no hang": a stream is rejected exactly when it
// lacks the signature; limits hold (attachments); every attachment's size
// fits in the input; names are valid UTF-8 and bounded; types are lower-case
// "type/subtype"; an incomplete stream says why.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/charset.h"
#include "mime/tnef.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  TnefLimits lim;
  lim.max_attachments = 32;
  lim.max_properties = 256;
  auto t = parse_tnef(in, lim);
  if (t.has_value() != is_tnef(in)) std::abort();
  if (!t) {
    if (t.error().message.empty()) std::abort();
    return 0;
  }
  if (t->attachments.size() > lim.max_attachments) std::abort();
  if (t->complete != t->problem.empty()) std::abort();
  if (!is_valid_utf8(t->problem)) std::abort();
  for (const TnefAttachment& a : t->attachments) {
    if (a.size > size) std::abort();
    if (!is_valid_utf8(a.name) || a.name.size() > 4096) std::abort();
    if (a.mime_type.empty() || a.mime_type.find('/') == std::string::npos) std::abort();
    for (char c : a.mime_type)
      if (c >= 'A' && c <= 'Z') std::abort();
    (void)guess_mime_type(a.name);
  }
  return 0;
}

// File: fuzz/fuzz_dkim_signature.cc
// Fuzz target: DKIM tag lists and DKIM-Signature values (src/auth/dkim/
// tag_list.h, signature.h), and removing b= from a field.
//
//   fuzz_dkim_signature fuzz/corpus/fuzz_dkim_signature   # libFuzzer build
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/dkim/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace rampart::dkim;
  if (auto tl = parse_tag_list(text)) {
    for (const Tag& t : tl->tags()) {
      if (t.raw_begin > t.raw_end || t.raw_end > text.size()) __builtin_trap();
      (void)split_colon_list(t.value);
    }
  }
  auto sig = parse_signature(text);
  if (sig) {
    if (sig->signed_headers.empty()) __builtin_trap();
    (void)sig->key_name();
    (void)sig->identity_domain();
  }
  (void)strip_b_value("DKIM-Signature:" + std::string(text));
  return 0;
}

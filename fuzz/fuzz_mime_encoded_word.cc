// File: fuzz/fuzz_mime_encoded_word.cc
// libFuzzer target for RFC 2047 encoded words, RFC 2231 parameters and the
// transfer decoders (src/mime/encoded_word.h, params.h, decode.h).
//
//   fuzz_mime_encoded_word fuzz/corpus/fuzz_mime_encoded_word          # clang, RAMPART_FUZZ=ON
//   fuzz_mime_encoded_word_replay fuzz/corpus/fuzz_mime_encoded_word   # every build (ctest)
//
// Checks: decoded headers and parameter names/filenames are valid UTF-8 and
// within their bounds; base64_decoded_size matches base64_decode; decoders
// respect max_out.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/charset.h"
#include "mime/decode.h"
#include "mime/encoded_word.h"
#include "mime/params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  DefectSet d = 0;
  std::string h = decode_header(in, d, 4096);
  if (h.size() > 4096 || !is_valid_utf8(h)) std::abort();
  ContentType ct = parse_content_type(in, d);
  if (ct.params.size() > kMaxParams) std::abort();
  for (const Param& p : ct.params)
    if ((p.name == "name" || p.name == "filename") && !is_valid_utf8(p.value)) std::abort();
  ContentDisposition cd = parse_content_disposition(in, d);
  if (!is_valid_utf8(cd.filename())) std::abort();
  (void)parse_transfer_encoding(in, d);
  std::string out;
  base64_decode(in, out, d);
  if (out.size() != base64_decoded_size(in)) std::abort();
  out.clear();
  base64_decode(in, out, d, 7);
  if (out.size() > 7) std::abort();
  out.clear();
  qp_decode(in, out, d, 100);
  if (out.size() > 100) std::abort();
  out.clear();
  to_utf8(in, size > 0 && data[0] < 0x40 ? "shift_jis" : "iso-2022-jp", out, d, 1000);
  if (out.size() > 1000 || !is_valid_utf8(out)) std::abort();
  return 0;
}

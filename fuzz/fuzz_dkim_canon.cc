// File: fuzz/fuzz_dkim_canon.cc
// Fuzz target: DKIM canonicalization (src/auth/dkim/canon.h): bare LF ->
// CRLF, header section split, simple/relaxed header and body forms, body
// hash with an l= limit taken from the input (also streamed through
// BodyHasher in pieces of 1-8 bytes: same result), and h= selection.
// Checks invariants: relaxed body has no WSP before a CRLF (but the one
// added to an unterminated last line), the simple
// body ends in CRLF, body_hash's canonical length matches canonical_body.
//
//   fuzz_dkim_canon fuzz/corpus/fuzz_dkim_canon
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/dkim/canon.h"
#include "auth/dkim/dkim.h"
#include "mime/header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::dkim;
  std::string_view msg(reinterpret_cast<const char*>(data), size);
  std::string crlf;
  if (to_crlf(msg, crlf)) msg = crlf;
  auto hs = rampart::mime::HeaderSection::parse(msg);
  std::string out;
  std::vector<std::string> names;
  for (const auto& f : hs.fields()) {
    canonicalize_header(Canon::kSimple, f.raw, out);
    canonicalize_header(Canon::kRelaxed, f.raw, out);
    if (names.size() < 8) names.emplace_back(f.name);
  }
  names.push_back("from");
  out.clear();
  header_hash_input(Canon::kRelaxed, hs, names, "DKIM-Signature: v=1; b=", out);
  for (Canon c : {Canon::kSimple, Canon::kRelaxed}) {
    const std::string body = canonical_body(c, hs.body());
    if (c == Canon::kSimple && (body.size() < 2 || body.substr(body.size() - 2) != "\r\n")) __builtin_trap();
    // Relaxed: no WSP before a CRLF, except before the CRLF added to an
    // unterminated last line (RFC 6376 3.4.4 step b).
    const std::string_view in = hs.body();
    const bool unterminated = !in.empty() && (in.size() < 2 || in.substr(in.size() - 2) != "\r\n");
    const size_t wsp_eol = body.find(" \r\n");
    if (c == Canon::kRelaxed &&
        ((wsp_eol != std::string::npos && !(unterminated && wsp_eol + 3 == body.size())) ||
         body.find("\t") != std::string::npos))
      __builtin_trap();
    if (canonical_body_length(c, hs.body()) != body.size()) __builtin_trap();
    const uint64_t limit = size ? data[0] : 0;
    auto bh = body_hash(c, HashAlg::kSha256, hs.body(), limit);
    if (bh && (bh->canonical != body.size() || bh->hashed != limit)) __builtin_trap();
    if (!bh && limit <= body.size()) __builtin_trap();
    // The streaming hasher agrees with body_hash() for pieces of 1..8 bytes.
    BodyHasher h(c, HashAlg::kSha256, limit);
    for (size_t at = 0, k = 0; at < in.size(); ++k) {
      const size_t n = 1 + (size > 1 ? data[1 + k % (size - 1)] % 8 : 0);
      h.update(in.substr(at, n));
      at += n;
    }
    auto sh = h.finish();
    if (sh.has_value() != bh.has_value() ||
        (bh && (sh->digest != bh->digest || sh->canonical != bh->canonical)))
      __builtin_trap();
  }
  return 0;
}

// File: src/mime/decode.h
// Content-Transfer-Encoding decoders (RFC 2045 sections 6.7 and 6.8) and the
// "Q" encoding of RFC 2047 section 4.2, tolerant of what real mail holds.
//
//   mime::DefectSet d = 0;
//   std::string out;
//   mime::base64_decode("SGVs\r\nbG8=", out, d);          // out == "Hello"
//   mime::qp_decode("caf=C3=A9 =\r\nau lait", out, d);   // appends "café au lait"
//   if (mime::has(d, mime::DefectKind::kBase64Garbage)) ...
//   size_t n = mime::base64_decoded_size(body);        // without decoding
//
// Every decoder appends to `out` and stops once `out` holds `max_out` bytes
// (the caller's budget); it returns false when it stopped early.
//
// DIAGNOSTICS: decoding never fails. base64: CR, LF, SP and HTAB are skipped
// silently, other bytes outside the alphabet are skipped with kBase64Garbage;
// "=" ends a quantum and decoding goes on after it (concatenated encodings);
// leftover bits at the end give kBase64Truncated. quoted-printable: "=" at the
// end of a line (after optional trailing whitespace) is a soft line break;
// "=XX" decodes (lower-case hex accepted); any other "=" is kept as written
// with kQpInvalidEscape; trailing whitespace on a line is removed (RFC 2045
// 6.7 rule 3). Linear time, no allocation beyond `out`.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "mime/header.h"

namespace rampart::mime {

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

bool base64_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out = kNoLimit);
// Number of bytes base64_decode would produce (no allocation).
size_t base64_decoded_size(std::string_view in);

bool qp_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out = kNoLimit);

// RFC 2047 4.2 "Q": like quoted-printable without line breaks; "_" is SP.
bool q_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out = kNoLimit);

// Value of a hex digit, or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace rampart::mime

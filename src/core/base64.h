// File: src/core/base64.h
// Base64 (RFC 4648): the standard alphabet with '=' padding (section 4: DKIM
// b=/bh=/p=, TSIG secrets) and the URL alphabet without padding (section 5:
// JWS/PASSporT, RFC 7515 section 2). One implementation for every module.
//
//   std::string s = base64_encode(bytes);                         // "c2VjcmV0IQ=="
//   std::string u = base64_encode(bytes, Base64::kUrl);           // "c2VjcmV0IQ"
//   auto d = base64_decode(text, {.padding = Base64Padding::kRequired});   // DKIM
//   auto j = base64_decode(text, {.alphabet = Base64::kUrl, .padding = Base64Padding::kForbidden,
//                                 .whitespace = false});                    // JWS
//
// DIAGNOSTICS: decoding fails (Errc::kParse, naming the fault) on a character
// outside the alphabet, data after padding, more than two '=', a length the
// padding rule refuses, and, without padding, a length of 4n+1 or non-zero
// bits left over in the last character.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart {

enum class Base64 : uint8_t { kStandard, kUrl };
enum class Base64Padding : uint8_t {
  kRequired,   // '=' up to a multiple of 4 characters (DKIM)
  kOptional,   // '=' may be left out (TSIG secrets as people write them)
  kForbidden,  // no '=' at all (JWS)
};

struct Base64Rules {
  Base64 alphabet = Base64::kStandard;
  Base64Padding padding = Base64Padding::kRequired;
  bool whitespace = true;  // SP, HTAB, CR, LF skipped (folded header values)
};

// The standard alphabet is padded with '='; the URL alphabet is not.
std::string base64_encode(std::string_view bytes, Base64 alphabet = Base64::kStandard);
Result<std::string> base64_decode(std::string_view text, Base64Rules rules = {});

}  // namespace rampart

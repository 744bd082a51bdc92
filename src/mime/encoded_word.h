// File: src/mime/encoded_word.h
// RFC 2047 encoded words in header fields, decoded to UTF-8.
//
//   mime::DefectSet d = 0;
//   std::string s = mime::decode_header("=?ISO-8859-1?Q?Andr=E9?= Pirard", d);  // "André Pirard"
//   std::string t = mime::decode_header("=?UTF-8?B?4oKs?= =?UTF-8?B?MTA=?=", d); // "€10"
//   std::string u = mime::decode_header(field.value_raw, d);   // folds removed too
//
// The field value is unfolded first (CR and LF dropped, RFC 5322 3.2.2).
// Encoded words ("=?charset[*lang]?B|Q?text?=", RFC 2047 section 2 and RFC
// 2231 section 5) are decoded with base64 or "Q" and then from their charset
// (charset.h). Linear whitespace between two encoded words is dropped
// (section 6.2); adjacent words in the same charset are joined before the
// charset conversion, so a character split between two words survives.
// Lenient like the mail readers people use: encoded words inside other text
// ("a=?utf-8?q?b?=c") and longer than 75 characters are decoded too. Text
// outside encoded words is UTF-8 when valid (RFC 6532), else windows-1252.
//
// DIAGNOSTICS: never fails. Something that starts like an encoded word but
// is not one is kept as written (kEncodedWordError); decoder and charset
// defects are added to `defects`. Output is valid UTF-8, at most `max_out`
// bytes. Linear time.
#pragma once

#include <string>
#include <string_view>

#include "mime/decode.h"
#include "mime/header.h"

namespace rampart::mime {

std::string decode_header(std::string_view value, DefectSet& defects, size_t max_out = 64 * 1024);

}  // namespace rampart::mime

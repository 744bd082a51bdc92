// File: src/mime/charset.h
// Text in any MIME charset to UTF-8 (RFC 2045 5.1 "charset", RFC 2046 4.1.2),
// through glibc iconv, then ICU (ucnv) for the labels iconv does not know
// (x-mac-cyrillic, hz-gb-2312, iso-ir-149, x-iscii-*, SCSU, BOCU-1,
// IMAP-mailbox-name, ...), with fast paths for UTF-8, US-ASCII, ISO-8859-1
// and windows-1252.
//
//   std::string out;
//   mime::DefectSet d = 0;
//   mime::to_utf8("caf\xe9", "ISO-8859-1", out, d);   // out == "café"
//   mime::to_utf8(sjis_bytes, "shift_jis", out, d);
//   std::string_view cs = mime::canonical_charset("Latin1");  // "windows-1252"
//   bool ok = mime::is_valid_utf8(s);
//
// Labels are matched as the WHATWG Encoding Standard does for mail in
// practice: ISO-8859-1 / US-ASCII with 8-bit bytes read as windows-1252,
// gb2312/gbk as GB18030, big5 as BIG5-HKSCS, shift_jis as CP932 (windows-31j),
// ks_c_5601-1987/euc-kr as CP949. Other labels go to iconv as they are, once
// checked to hold only [A-Za-z0-9._:+-] (at most 40 bytes), then to ICU, then
// without an "x-" prefix to both.
//
// DIAGNOSTICS: conversion never fails. Bytes invalid in their charset become
// U+FFFD (kCharsetError; never dropped, also under ICU: illegal, unmapped and
// truncated sequences alike); after 4096 such errors the rest is read as
// windows-1252. An unknown label (or one iconv cannot open) gives
// kUnknownCharset (neither iconv nor ICU opens it) and the text is read as
// UTF-8 when it is valid, else as windows-1252. Output is always valid UTF-8 and at most `max_out` bytes in
// total (cut on a character boundary; the function then returns false).
// iconv descriptors are cached per thread (a few entries); no global state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/decode.h"
#include "mime/header.h"

namespace rampart::mime {

// Appends `in`, read in `charset`, as UTF-8 to `out`. An empty charset means
// US-ASCII (RFC 2045 5.2).
bool to_utf8(std::string_view in, std::string_view charset, std::string& out, DefectSet& defects,
             size_t max_out = kNoLimit);

// The canonical lower-case name rampart uses for a label ("utf-8",
// "us-ascii", "windows-1252", "gb18030", "cp932", ...), or "" when the label
// is not one iconv may be asked for.
std::string canonical_charset(std::string_view label);

bool is_valid_utf8(std::string_view s);
// Appends `in` to `out`, each invalid UTF-8 byte replaced by U+FFFD; returns
// false when max_out cut it short. `*valid` (if given) says whether `in` was
// valid UTF-8.
bool utf8_repair(std::string_view in, std::string& out, size_t max_out = kNoLimit, bool* valid = nullptr);
// Appends windows-1252 bytes as UTF-8.
bool windows1252_to_utf8(std::string_view in, std::string& out, size_t max_out = kNoLimit);
// Appends code point `cp` as UTF-8 (U+FFFD for surrogates and values above
// U+10FFFF).
void append_utf8(std::string& out, uint32_t cp);

}  // namespace rampart::mime

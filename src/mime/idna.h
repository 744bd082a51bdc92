// File: src/mime/idna.h
// Internationalised domain names: IDNA2008 with UTS #46 (non-transitional)
// processing, through libidn2. Used wherever mime compares or hands out a
// domain: addresses (address.h: Mailbox::domain is the A-label form) and URL
// hosts (url.h).
//
//   auto a = mime::domain_to_ascii("B\u00fccher.Example");  // "xn--bcher-kva.example"
//   if (!a) log(a.error().message);    // "invalid internationalised domain name ..."
//   mime::domain_to_unicode("xn--bcher-kva.example");      // "b\u00fccher.example" (display)
//
// UTS #46 (https://www.unicode.org/reports/tr46/) section 4 "Processing":
// mapping (case folding, NFC, full-width forms, U+3002 and the other dots),
// then IDNA2008 validity (RFC 5891 5.4: CONTEXTJ/CONTEXTO, bidi of RFC 5893)
// of each U-label, then RFC 3492 punycode (section 4.2 "ToASCII").
//
// An all-ASCII domain is only lower-cased: a name DNS holds as written (an
// underscore, a leading hyphen, an A-label libidn2 would not produce) stays
// usable for lookups. A domain with bytes >= 0x80 must be valid UTF-8 and
// pass UTS #46; else domain_to_ascii fails (Errc::kParse, the message names the
// domain and libidn2's reason; Errc::kLimit above kMaxIdnInput bytes).
// domain_to_unicode never fails: what cannot be shown in Unicode is returned
// lower-cased as it was.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart::mime {

constexpr size_t kMaxIdnInput = 1024;

// The A-label (ASCII, lower-case) form of `domain`.
Result<std::string> domain_to_ascii(std::string_view domain);
// The U-label form of `domain` for display (UTF-8, lower-case).
std::string domain_to_unicode(std::string_view domain);
// True when every byte is below 0x80.
bool is_ascii(std::string_view s);

}  // namespace rampart::mime

// File: src/mime/url.h
// URLs in text and HTML links, normalised, with their host for reputation
// lookups (DNSBL/SURBL-style).
//
//   mime::Url u;
//   if (mime::normalize_url("HTTP://User@WWW.Example.COM.:80/a?b#c", u)) {
//     u.url;   // "http://www.example.com/a?b#c"
//     u.host;  // "www.example.com"
//   }
//   std::vector<mime::Url> found;
//   mime::find_urls("see www.example.org/x, or https://b.test.", found, 100);
//   mime::punycode_host("bücher.example");   // "xn--bcher-kva.example"
//
// Normalisation: scheme and host lower-case; "www." and "//" get "http://";
// userinfo dropped; default ports dropped; host percent-decoded, trailing dot
// removed, IDNs turned into A-labels with UTS #46 (idna.h, libidn2; a host
// UTS #46 rejects, such as an emoji label browsers still open, is kept as the
// plain RFC 3492 punycode of each label and flagged Url::invalid_idn;
// domain_to_unicode gives the U-label form for display), numeric hosts in the forms browsers
// accept (3232235777, 0xC0.0xA8.1.1, 0300.0250.1.1) written as dotted quads;
// backslashes after the scheme read as slashes; tabs and line breaks removed
// (as HTML does). Only http, https and ftp URLs are reported; mailto:,
// javascript:, cid: and relative links are not URLs here.
//
// In text: "http://", "https://", "ftp://", "www." and bare domain names
// whose last label is a common TLD (kept short to avoid "file.txt"), not
// preceded by "@" (e-mail addresses are not URLs). Trailing punctuation is
// not part of a URL; a ")" is when the URL holds a "(".
//
// DIAGNOSTICS: normalize_url returns false for what is not a reportable URL;
// find_urls stops after `max` URLs and returns false then. Linear time: each
// byte of text is looked at a bounded number of times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::mime {

enum class UrlSource : uint8_t { kText, kHtmlHref, kHtmlSrc, kHtmlAction, kHtmlBackground };
std::string_view url_source_name(UrlSource s);

struct Url {
  std::string url;   // normalised
  std::string host;  // lower-case, punycode, no trailing dot; IPv4 dotted; IPv6 in brackets
  UrlSource source = UrlSource::kText;
  uint32_t part = 0;         // index of the part it came from (Message::parts)
  bool invalid_idn = false;  // the host is not a valid IDN (UTS #46): kept as plain punycode
};

constexpr size_t kMaxUrlLength = 4096;

bool normalize_url(std::string_view in, Url& out);
bool find_urls(std::string_view text, std::vector<Url>& out, size_t max);
// Same, handing each URL to `sink`, which returns false to stop.
bool find_urls(std::string_view text, const std::function<bool(Url&&)>& sink);
// UTF-8 host name to its ASCII form: UTS #46 (domain_to_ascii); when UTS #46
// rejects it, RFC 3492 punycode label by label and *invalid_idn set; "" when
// a label cannot be encoded at all (invalid UTF-8, too long).
std::string punycode_host(std::string_view host, bool* invalid_idn = nullptr);

}  // namespace rampart::mime

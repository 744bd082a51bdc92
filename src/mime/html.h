// File: src/mime/html.h
// HTML to the text a reader sees, and the links in it, in one linear pass.
//
//   mime::HtmlText h = mime::html_to_text("<p>Hi&nbsp;<b>there</b></p><a href='http://x.test/'>go</a>");
//   h.text;            // "Hi there\ngo"
//   h.links[0].url;    // "http://x.test/" (entities decoded, not yet normalised: url.h)
//   std::string cs = mime::sniff_html_charset(raw_html);   // <meta charset=...>, or ""
//
// What is dropped: tags, comments, <!DOCTYPE>/<?...?>, the content of
// <script>, <style>, <title>, <template> and of elements hidden by inline
// style (display:none, visibility:hidden, font-size:0, opacity:0) or the
// `hidden` attribute (counted in hidden_bytes); zero-width characters and soft
// hyphens (used to break words apart). Block elements (p, div, br, li, tr,
// h1-h6, table, ...) become line breaks, table cells a space; runs of
// whitespace become one space; at most one empty line in a row. Entities are
// decoded: the named ones mail uses (Latin-1, typography, &amp; and co., with
// or without ';') and numeric ones (&#8364; &#x20AC;; 0x80-0x9F read as
// windows-1252, invalid values as U+FFFD). Links: href (a, area, link, base),
// src (img, iframe, frame, embed, script), action (form) and background.
//
// DIAGNOSTICS: never fails; input is expected to be UTF-8 (charset.h first).
// Unclosed comments, tags, quotes and raw-text elements run to the end of the
// input as they do in browsers. No element stack: 100,000 nested tags cost
// what 100,000 flat ones do; each byte is looked at a bounded number of times.
// Output is cut at HtmlLimits::max_text bytes and max_links links (truncated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::mime {

struct HtmlLimits {
  size_t max_text = 4 * 1024 * 1024;
  size_t max_links = 1000;
};

enum class HtmlLinkKind : uint8_t { kHref, kSrc, kAction, kBackground };

struct HtmlLink {
  std::string url;  // attribute value, entities decoded, whitespace trimmed
  HtmlLinkKind kind = HtmlLinkKind::kHref;
};

struct HtmlText {
  std::string text;  // UTF-8, trimmed
  std::vector<HtmlLink> links;
  size_t tags = 0;          // tags seen
  size_t hidden_bytes = 0;  // bytes of input inside hidden elements
  bool truncated = false;   // a limit cut text or links short
};

HtmlText html_to_text(std::string_view html, const HtmlLimits& limits = {});

// Appends `s` with HTML character references decoded.
void decode_html_entities(std::string_view s, std::string& out);

// The charset named by a <meta charset> or <meta http-equiv content="...;
// charset=..."> in the first 2048 bytes, or "".
std::string sniff_html_charset(std::string_view html);

}  // namespace rampart::mime

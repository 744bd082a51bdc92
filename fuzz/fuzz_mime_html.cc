// File: fuzz/fuzz_mime_html.cc
// libFuzzer target for HTML to text and URL normalisation (src/mime/html.h,
// src/mime/url.h).
//
//   fuzz_mime_html fuzz/corpus/fuzz_mime_html          # clang, RAMPART_FUZZ=ON
//   fuzz_mime_html_replay fuzz/corpus/fuzz_mime_html   # every build (ctest)
//
// Checks: text stays within the limit and is valid UTF-8 when the input is;
// link count bounded; a normalised URL normalises to itself (idempotence).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mime/charset.h"
#include "mime/html.h"
#include "mime/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HtmlLimits lim;
  lim.max_text = 64 * 1024;
  lim.max_links = 16;
  HtmlText h = html_to_text(in, lim);
  if (h.text.size() > lim.max_text || h.links.size() > lim.max_links) std::abort();
  if (is_valid_utf8(in) && !is_valid_utf8(h.text)) std::abort();
  for (const HtmlLink& l : h.links) {
    Url u;
    if (!normalize_url(l.url, u)) continue;
    Url again;
    if (!normalize_url(u.url, again) || again.url != u.url || again.host != u.host) std::abort();
  }
  std::vector<Url> found;
  find_urls(in, found, 16);
  for (const Url& u : found) {
    Url again;
    if (!normalize_url(u.url, again) || again.url != u.url) std::abort();
  }
  (void)sniff_html_charset(in);
  return 0;
}

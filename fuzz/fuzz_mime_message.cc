// File: fuzz/fuzz_mime_message.cc
// libFuzzer target for the whole message parser (src/mime/message.h):
// structure, decoders, charsets, HTML, URLs.
//
//   fuzz_mime_message fuzz/corpus/fuzz_mime_message          # clang, RAMPART_FUZZ=ON
//   fuzz_mime_message_replay fuzz/corpus/fuzz_mime_message   # every build (ctest)
//
// Checks, besides "no crash, no hang": limits hold (parts, depth, URLs,
// defects, decoded bytes), the tree is consistent (parents before children,
// depth = parent depth + 1), views lie inside the input unless in_decoded,
// all text is valid UTF-8 (display_text too), and attachments (uuencoded,
// TNEF) point at a part.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/charset.h"
#include "mime/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  MessageLimits lim;
  lim.max_depth = 8;  // small limits so the fuzzer reaches them
  lim.max_parts = 64;
  lim.max_decoded_bytes = 256 * 1024;
  lim.max_urls = 32;
  lim.max_defects = 64;
  lim.headers.max_fields = 100;
  Message m = Message::parse(in, lim);
  if (m.parts().empty() || m.parts().size() > lim.max_parts) std::abort();
  if (m.urls().size() > lim.max_urls || m.defects().size() > lim.max_defects) std::abort();
  if (m.decoded_bytes() > lim.max_decoded_bytes) std::abort();
  const char* b = in.data();
  for (size_t i = 0; i < m.parts().size(); ++i) {
    const Part& p = m.parts()[i];
    if (p.depth > lim.max_depth) std::abort();
    if (i == 0 ? p.parent != kNoParent : (p.parent >= i || m.parts()[p.parent].depth + 1 != p.depth))
      std::abort();
    for (uint32_t c : p.children)
      if (c <= i || c >= m.parts().size()) std::abort();
    if (!p.in_decoded) {
      if (p.raw.data() < b || p.raw.data() + p.raw.size() > b + size) std::abort();
      if (p.body.data() < p.raw.data() || p.body.data() + p.body.size() > p.raw.data() + p.raw.size())
        std::abort();
      if (p.offset != static_cast<size_t>(p.raw.data() - b)) std::abort();
    }
  }
  for (const TextPart& t : m.text_parts())
    if (!is_valid_utf8(t.text) || t.part >= m.parts().size()) std::abort();
  for (const Attachment& a : m.attachments())
    if (!is_valid_utf8(a.filename)) std::abort();
  for (const Url& u : m.urls())
    if (u.host.empty() || u.url.find(u.host) == std::string::npos) std::abort();
  for (const Defect& d : m.defects())
    if (d.offset > size) std::abort();
  if (!is_valid_utf8(m.subject())) std::abort();
  // What a client shows: valid UTF-8, bounded, at least one shown part per
  // text-bearing alternative (never more text than the parts hold).
  const std::string shown = m.display_text(1 << 20);
  if (!is_valid_utf8(shown) || shown.size() > (1 << 20)) std::abort();
  for (const Attachment& a : m.attachments())
    if (a.part >= m.parts().size()) std::abort();
  if (m.parts().size() > 1) (void)m.decode_body(m.parts()[1], 4096);
  return 0;
}

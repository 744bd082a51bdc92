// File: src/auth/dkim/tag_list.h
// The tag=value list of RFC 6376 section 3.2, shared by DKIM-Signature, DKIM
// key records and (RFC 8617) the ARC header fields.
//
//   auto tl = dkim::parse_tag_list("v=1; a=rsa-sha256; d=example.com; b=ab cd");
//   if (!tl) -> tl.error().message: "tag list: ..." (a permerror)
//   if (const dkim::Tag* d = tl->find("d")) use(d->value);   // "example.com"
//
// Views point into the input. `value` has leading and trailing FWS removed
// but keeps inner FWS (b= and bh= strip it when decoding); `raw_begin` /
// `raw_end` delimit everything between the '=' and the next ';' (or the end),
// which is what "the b= value including surrounding whitespace" means when a
// signature header is hashed with an empty b= (RFC 6376 3.5, 3.7).
//
// DIAGNOSTICS: fails (Errc::kParse) on a tag name that is not
// ALPHA *(ALPHA / DIGIT / "_"), a missing '=', a character outside VALCHAR
// (%x21-3A / %x3C-7E) in a value, an empty tag-spec between two ';', or a
// tag given twice (3.2: "MUST be treated as an error"). At most kMaxTags tags.
// Linear time, no recursion, no allocation beyond the tag vector.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::dkim {

struct Tag {
  std::string_view name;
  std::string_view value;  // FWS-trimmed
  size_t raw_begin = 0;    // offset just after '='
  size_t raw_end = 0;      // offset of the ';' that ends the value, or input size
};

class TagList {
 public:
  static constexpr size_t kMaxTags = 64;

  const Tag* find(std::string_view name) const {
    for (const Tag& t : tags_)
      if (t.name == name) return &t;
    return nullptr;
  }
  const std::vector<Tag>& tags() const { return tags_; }
  std::vector<Tag>& mutable_tags() { return tags_; }

 private:
  std::vector<Tag> tags_;
};

// Parses `text` (a header field value, folds included, or a TXT record).
Result<TagList> parse_tag_list(std::string_view text);

// Removes every FWS character (SP, HTAB, CR, LF) from `v`: base64 tag values.
std::string strip_fws(std::string_view v);

// Splits a colon-separated list ("from : to:subject"), trimming FWS around
// each element. Empty elements are kept (callers decide).
std::vector<std::string_view> split_colon_list(std::string_view v);

}  // namespace rampart::dkim

// File: src/mime/header.h
// The header section of an Internet message (RFC 5322 sections 2.1, 2.2,
// 3.6 and the obsolete syntax of 4.5): split raw bytes into header fields and
// the body, without copying. The base of the MIME parser: every later layer
// (MIME parts, DKIM, PRA) reads fields through HeaderSection.
//
//   std::string_view msg = ...;                       // must outlive `h`
//   mime::HeaderSection h = mime::HeaderSection::parse(msg);
//   for (const mime::HeaderField* f : h.all("Received")) use(f->value());
//   if (const mime::HeaderField* from = h.first("from")) ...
//   std::string_view body = h.body();
//   for (const mime::Defect& d : h.defects()) log(mime::defect_name(d.kind), d.offset);
//
// Lines end in CRLF or a bare LF. A line starting with SP/HTAB continues the
// previous field (folding, including the obsolete whitespace-only lines);
// HeaderField::value() unfolds (RFC 5322 3.2.2). Field names are matched
// without regard to case; WSP between name and colon (obs-optional, 4.5) is
// accepted.
//
// DIAGNOSTICS: parse() never fails and never throws. Anything malformed is
// recorded as a Defect with its byte offset and parsing goes on:
// - a line that is not a field (no colon, empty name, bytes outside printable
//   US-ASCII in the name) ends the header section; the body starts at it
//   (kMissingColon / kInvalidFieldName), as Postfix and Python do;
// - an initial mbox "From " line is skipped (kMboxFromLine);
// - a continuation line before any field is skipped (kLeadingContinuation);
// - NUL bytes, bare CR and 8-bit bytes are kept in the views and noted once
//   per field (kNul, kBareCr, kEightBit);
// - no empty line before the end of input: kNoBody (every line was a field);
// - more than Limits::max_fields fields: later fields are dropped
//   (kTooManyFields) but the body still starts after the header section;
// - more than Limits::max_header_bytes of header: parsing stops there and
//   the body starts at that byte (kHeaderTooLarge).
// Work is linear in the size of the header section; no recursion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::mime {

enum class DefectKind : uint8_t {
  kMissingColon,         // a non-field line ended the header section early
  kInvalidFieldName,     // "name:" with characters outside RFC 5322 ftext
  kMboxFromLine,         // leading "From " envelope line skipped
  kLeadingContinuation,  // a folded line with no field before it (skipped)
  kObsWspBeforeColon,    // "Name :" (obs-optional, RFC 5322 4.5)
  kNul,                  // NUL byte in a field
  kBareCr,               // CR not followed by LF in a field
  kEightBit,             // byte >= 0x80 in a field (RFC 6532 or junk)
  kBareLf,               // line ended by LF alone (noted once per message)
  kNoBody,               // input ended inside the header section
  kTooManyFields,        // Limits::max_fields reached; later fields dropped
  kHeaderTooLarge,       // Limits::max_header_bytes reached; parsing stopped
  // MIME structure and decoding (message.h, params.h, decode.h, charset.h,
  // encoded_word.h). Appended: the values above keep their numbers.
  kInvalidContentType,       // Content-Type without type/subtype: read as text/plain (RFC 2045 5.2)
  kInvalidParameter,         // malformed parameter, RFC 2231 section or value
  kDuplicateParameter,       // the same parameter twice: the first is kept
  kMissingBoundary,          // multipart without a boundary parameter: read as text/plain
  kInvalidBoundary,          // boundary longer than 70 characters or with bad characters
  kNoBoundaryFound,          // no delimiter line in a multipart body: read as text/plain
  kMissingCloseDelimiter,    // multipart ended without "--boundary--"
  kMultipartEncoded,         // multipart or message with base64/quoted-printable CTE (ignored)
  kUnknownTransferEncoding,  // Content-Transfer-Encoding not known: body read as 8bit
  kTooDeep,                  // MessageLimits::max_depth reached: the part is kept as a leaf
  kTooManyParts,             // MessageLimits::max_parts reached: later parts dropped
  kDecodedTooLarge,          // MessageLimits::max_decoded_bytes reached: text cut short
  kBase64Garbage,            // bytes outside the base64 alphabet (skipped)
  kBase64Truncated,          // base64 ended inside a quantum (leftover bits dropped)
  kQpInvalidEscape,          // "=" not followed by two hex digits or a line end (kept)
  kUnknownCharset,           // charset not known: read as UTF-8 when valid, else windows-1252
  kCharsetError,             // bytes invalid in their charset (or UTF-8): U+FFFD put in
  kEncodedWordError,         // malformed RFC 2047 encoded word (kept as written)
  kTooManyUrls,              // MessageLimits::max_urls reached: later URLs dropped
  kInvalidIdn,               // a URL host UTS #46 rejects (kept as plain punycode, idna.h)
  kUuencodeUnterminated,     // uuencoded file without its "end" line (decoded up to where it stops)
  kTnefMalformed,            // TNEF (winmail.dat) stream cut short or inconsistent (tnef.h)
  kDefectKindCount           // not a defect: the number of kinds
};

std::string_view defect_name(DefectKind k);

// A set of defect kinds, for the decoders (decode.h, charset.h, ...) that note
// what was wrong without offsets: bit k set when DefectKind k happened.
using DefectSet = uint64_t;
static_assert(static_cast<unsigned>(DefectKind::kDefectKindCount) <= 64, "DefectSet is 64 bits");
inline void note(DefectSet& s, DefectKind k) { s |= DefectSet{1} << static_cast<unsigned>(k); }
inline bool has(DefectSet s, DefectKind k) { return (s >> static_cast<unsigned>(k)) & 1u; }

struct Defect {
  DefectKind kind;
  size_t offset;  // byte offset in the message
};

struct HeaderField {
  std::string_view name;       // as written, trailing WSP removed
  std::string_view raw;        // "Name: value" with folds, without the final line end
  std::string_view value_raw;  // bytes after the colon, folds included
  size_t offset = 0;           // offset of the field in the message

  // Unfolded value (every CRLF / LF removed, RFC 5322 3.2.2), with leading
  // and trailing whitespace removed.
  std::string value() const;
  // True when the value has no character other than WSP, CR and LF.
  bool empty_value() const;
  // Case-insensitive name match.
  bool is(std::string_view field_name) const;
};

struct HeaderLimits {
  size_t max_fields = 10000;
  size_t max_header_bytes = 1024 * 1024;
  size_t max_defects = 1000;  // defects beyond this are counted, not stored
};

class HeaderSection {
 public:
  // Parses the header section at the start of `message`; the views in the
  // result point into `message`, which must outlive the HeaderSection.
  static HeaderSection parse(std::string_view message, const HeaderLimits& limits = {});

  const std::vector<HeaderField>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }

  // Every field named `name` (any case), in message order.
  std::vector<const HeaderField*> all(std::string_view name) const;
  const HeaderField* first(std::string_view name) const;
  size_t count(std::string_view name) const;

  // Offset of the first body byte (after the empty line), or message.size().
  size_t body_offset() const { return body_offset_; }
  std::string_view body() const { return message_.substr(body_offset_); }
  std::string_view message() const { return message_; }

  const std::vector<Defect>& defects() const { return defects_; }
  bool has_defect(DefectKind k) const;
  size_t dropped_defects() const { return dropped_defects_; }
  // True when a limit cut the header section short (kTooManyFields or
  // kHeaderTooLarge): some fields are missing from fields().
  bool truncated() const { return truncated_; }

 private:
  void add_defect(DefectKind k, size_t offset, size_t max_defects);

  std::string_view message_;
  std::vector<HeaderField> fields_;
  std::vector<Defect> defects_;
  size_t body_offset_ = 0;
  size_t dropped_defects_ = 0;
  bool truncated_ = false;
};

// Unfolds a raw field value: removes every CR and LF that is part of a line
// break (RFC 5322 3.2.2). Does not trim.
std::string unfold(std::string_view raw);

}  // namespace rampart::mime

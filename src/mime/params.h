// File: src/mime/params.h
// MIME header fields with parameters: Content-Type (RFC 2045 5.1),
// Content-Disposition (RFC 2183), Content-Transfer-Encoding (RFC 2045 6.1),
// with RFC 2231 parameter value continuations, charsets and languages.
//
//   mime::DefectSet d = 0;
//   mime::ContentType ct = mime::parse_content_type(
//       "multipart/mixed; boundary=\"simple boundary\" (comment)", d);
//   ct.type;  ct.subtype;              // "multipart", "mixed" (lower-case)
//   ct.param("boundary");              // "simple boundary" (exact bytes)
//   mime::ContentDisposition cd = mime::parse_content_disposition(
//       "attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", d);
//   cd.filename();                     // "€ rates.pdf" (UTF-8)
//   mime::TransferEncoding te = mime::parse_transfer_encoding("Base64", d);
//
// Parameter names are lower-cased; values keep their bytes (quotes removed,
// quoted-pairs resolved), except "name" and "filename", which are decoded to
// UTF-8 (RFC 2231 charset, else RFC 2047 encoded words as mailers write them,
// else UTF-8 or windows-1252). RFC 2231 sections (name*0*=, name*1=, ...) are
// joined in index order; an extended value wins over a plain one of the same
// name. Comments (nested, RFC 5322 3.2.2) are skipped wherever CFWS may be.
//
// DIAGNOSTICS: never fails. A Content-Type without "type/subtype" reads as
// text/plain (RFC 2045 5.2) with kInvalidContentType; a malformed parameter
// is skipped up to the next ";" (kInvalidParameter); a repeated parameter
// keeps the first value (kDuplicateParameter); missing or repeated RFC 2231
// sections give kInvalidParameter and the sections present are joined.
// At most kMaxParams parameters and kMaxSections sections per name are kept.
// Linear time, no recursion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.h"

namespace rampart::mime {

constexpr size_t kMaxParams = 64;
constexpr size_t kMaxSections = 100;

struct Param {
  std::string name;      // lower-case, without RFC 2231 "*" suffixes
  std::string value;     // decoded (see above)
  std::string language;  // RFC 2231 language tag, when given
};

struct ContentType {
  std::string type = "text";      // lower-case
  std::string subtype = "plain";  // lower-case
  std::vector<Param> params;
  bool present = false;  // false when the field was missing or invalid (defaults used)

  // Value of a parameter (case-insensitive name), or "" when absent.
  std::string_view param(std::string_view name) const;
  bool has_param(std::string_view name) const;
  bool is(std::string_view t, std::string_view sub) const;
  bool is_multipart() const { return type == "multipart"; }
  std::string mime_type() const { return type + "/" + subtype; }
};

enum class DispositionType : uint8_t { kNone, kInline, kAttachment, kOther };

struct ContentDisposition {
  DispositionType type = DispositionType::kNone;
  std::vector<Param> params;
  std::string_view param(std::string_view name) const;
  std::string_view filename() const { return param("filename"); }
};

enum class TransferEncoding : uint8_t {
  k7Bit,
  k8Bit,
  kBinary,
  kQuotedPrintable,
  kBase64,
  kUuencode,
  kUnknown
};
std::string_view transfer_encoding_name(TransferEncoding e);

// `value` is a field body, folded or not.
ContentType parse_content_type(std::string_view value, DefectSet& defects);
ContentDisposition parse_content_disposition(std::string_view value, DefectSet& defects);
// x-uuencode, x-uue, uuencode and uue give kUuencode. Anything else not in
// RFC 2045 6.1 gives kUnknownTransferEncoding and is read as mail clients
// read it: by its letters and digits ("Base 64", "base-64", "quoted
// printable", "7-bit") when they spell a known encoding, else kUnknown (8bit).
TransferEncoding parse_transfer_encoding(std::string_view value, DefectSet& defects);

// The ";"-separated parameter list that follows a type in a field body.
std::vector<Param> parse_parameters(std::string_view list, DefectSet& defects);

}  // namespace rampart::mime

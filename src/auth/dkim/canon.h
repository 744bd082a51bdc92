// File: src/auth/dkim/canon.h
// DKIM canonicalization (RFC 6376 section 3.4): "simple" and "relaxed" for
// header fields and bodies, and the body hash (3.7) with the l= limit. Pure
// functions over CRLF text; DKIM and ARC (RFC 8617) both use them.
//
//   std::string h;
//   dkim::canonicalize_header(Canon::kRelaxed, "Subject:  Hi\r\n  there ", h);
//   // h == "subject:Hi there\r\n"
//   std::string b = dkim::canonical_body(Canon::kSimple, "Hi\r\n\r\n\r\n");  // "Hi\r\n"
//   auto bh = dkim::body_hash(Canon::kRelaxed, HashAlg::kSha256, body);   // raw digest
//   auto part = dkim::body_hash(Canon::kRelaxed, HashAlg::kSha256, body, 100);  // l=100
//
// Input is expected with CRLF line ends (dkim::to_crlf() turns bare LF into
// CRLF first). A CR not followed by LF is an ordinary character here.
//
// DIAGNOSTICS: canonicalization cannot fail. body_hash() fails (Errc::kParse)
// when a length limit is larger than the canonical body (RFC 6376 3.5 l=),
// and (Errc::kInternal) if the digest cannot be computed. Linear time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/dkim/crypto.h"
#include "core/result.h"

namespace rampart::dkim {

enum class Canon : uint8_t { kSimple, kRelaxed };
std::string_view canon_name(Canon c);

// Parses "simple", "relaxed" (any case). Fails on anything else.
Result<Canon> parse_canon(std::string_view s);

// Appends the canonical form of one header field `raw` ("Name: value" with
// its folds, without the final CRLF) to `out`, followed by CRLF when `crlf`.
void canonicalize_header(Canon c, std::string_view raw, std::string& out, bool crlf = true);

// The canonical body as a string (tests, fuzzing; body_hash() does not copy).
std::string canonical_body(Canon c, std::string_view body);

// Length in bytes of the canonical body.
uint64_t canonical_body_length(Canon c, std::string_view body);

struct BodyHash {
  std::string digest;      // raw bytes (20 for SHA-1, 32 for SHA-256)
  uint64_t hashed = 0;     // bytes hashed (== limit when one was given)
  uint64_t canonical = 0;  // length of the whole canonical body
};

// Hash of the canonical body, of its first `limit` bytes when given.
Result<BodyHash> body_hash(Canon c, HashAlg alg, std::string_view body,
                           std::optional<uint64_t> limit = std::nullopt);

// `message` with every LF not preceded by CR turned into CRLF. Returns false
// (leaving `out` untouched) when there is no bare LF, so callers keep using
// the original bytes without a copy.
bool to_crlf(std::string_view message, std::string& out);

}  // namespace rampart::dkim

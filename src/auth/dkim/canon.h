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
#include <memory>
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

// The body hash over a body fed in pieces of any size (a milter's body
// chunks, a message too large to hold): update() with each piece in order,
// then finish(). The result equals body_hash() over the concatenation, in
// constant memory. Input as for body_hash() (CRLF line ends; a CR not
// followed by LF is an ordinary character, even split from its LF).
//
//   dkim::BodyHasher h(Canon::kRelaxed, HashAlg::kSha256);   // or with l=
//   for (auto chunk : chunks) h.update(chunk);
//   Result<BodyHash> bh = h.finish();
class BodyHasher {
 public:
  BodyHasher(Canon c, HashAlg alg, std::optional<uint64_t> limit = std::nullopt);
  void update(std::string_view piece);
  // Same failures as body_hash(); call once.
  Result<BodyHash> finish();

  Canon canon() const { return canon_; }
  HashAlg alg() const { return alg_; }
  std::optional<uint64_t> limit() const { return limit_; }

 private:
  void emit(std::string_view s);
  void flush_out();
  void content_byte(char ch);

  Canon canon_;
  HashAlg alg_;
  std::optional<uint64_t> limit_;
  std::unique_ptr<Digest> digest_;
  std::string out_;            // canonical bytes not yet given to the digest
  uint64_t canonical_ = 0;     // canonical bytes so far
  uint64_t hashed_ = 0;        // of which hashed (<= limit)
  uint64_t pending_crlf_ = 0;  // line ends after the last content, held back
  bool pending_cr_ = false;    // a CR at the end of the last piece
  bool pending_wsp_ = false;   // relaxed: a WSP run in the current line, not yet written
  bool any_content_ = false;   // some content was written
};

// `message` with every LF not preceded by CR turned into CRLF. Returns false
// (leaving `out` untouched) when there is no bare LF, so callers keep using
// the original bytes without a copy.
bool to_crlf(std::string_view message, std::string& out);

}  // namespace rampart::dkim

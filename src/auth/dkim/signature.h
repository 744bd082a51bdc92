// File: src/auth/dkim/signature.h
// DKIM-Signature header fields (RFC 6376 3.5) and DKIM key records (3.6.1,
// RFC 8463 4.2) parsed into plain structs; no DNS, no crypto.
//
//   auto sig = dkim::parse_signature(field.value_raw);   // Result<Signature>
//   if (!sig) -> permerror, sig.error().message says which tag is wrong
//   sig->domain, sig->selector, sig->signed_headers, sig->body_canon ...
//   auto key = dkim::parse_key_record("v=DKIM1; k=ed25519; p=11qY...");
//   if (key && key->revoked()) ...
//
// DIAGNOSTICS (all Errc::kParse = permerror): tag-list syntax (tag_list.h);
// a missing required tag (v a b bh d h s); v= other than "1"; an algorithm
// other than rsa-sha1 / rsa-sha256 / ed25519-sha256; unknown c=; b= / bh=
// not base64; h= without From; i= whose domain is not d= or a subdomain of
// it; l=, t=, x= not decimal (or over 2^62); x= before t=; q= without
// dns/txt; d= or s= not a plausible domain / selector. Key records: v= other
// than DKIM1 or not first; k= not rsa / ed25519; h= without a known hash;
// p= missing or not base64; s= not naming email or "*".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim/canon.h"
#include "auth/dkim/crypto.h"
#include "auth/dkim/tag_list.h"
#include "core/result.h"

namespace rampart::dkim {

// At most this many names of h= are kept (RFC 6376 sets no limit; real
// signers list a few dozen, oversigning included). A signature listing more
// is not evaluated: the verifier reports it as neutral with a reason naming
// the limit, never as a fail; the signer refuses to make one.
constexpr size_t kMaxSignedHeaders = 1000;

struct Signature {
  Algorithm algorithm = Algorithm::kRsaSha256;
  std::string signature;  // b=, decoded
  std::string body_hash;  // bh=, decoded
  Canon header_canon = Canon::kSimple;
  Canon body_canon = Canon::kSimple;
  std::string domain;                       // d=, lower-case
  std::string selector;                     // s=, as written
  std::vector<std::string> signed_headers;  // h=, lower-case, in order (the first kMaxSignedHeaders)
  size_t signed_header_count = 0;           // names in h= (may exceed kMaxSignedHeaders)
  std::string identity;                     // i= (default "@" + d=)
  std::optional<uint64_t> body_length;      // l=
  std::optional<int64_t> timestamp;         // t=
  std::optional<int64_t> expiration;        // x=
  std::string copied_headers;               // z=, as written
  std::string b_value;                      // b= as written with FWS removed (for A-R header.b)

  // Domain part of i= (after '@'), lower-case.
  std::string identity_domain() const;
  // "<selector>._domainkey.<domain>"
  std::string key_name() const;
};

// Parses the value of a DKIM-Signature field (after the colon, folds
// included). `tags` receives the tag list when non-null (its views point
// into `value`).
Result<Signature> parse_signature(std::string_view value, TagList* tags = nullptr);

// The field `raw` ("DKIM-Signature: ...", folds included) with the value of
// its b= tag removed, as hashed by signers and verifiers (RFC 6376 3.7).
// Fails when `raw` has no colon or no parsable tag list or no b= tag.
Result<std::string> strip_b_value(std::string_view raw);

struct KeyRecord {
  std::vector<HashAlg> hashes{HashAlg::kSha1, HashAlg::kSha256};  // h=
  KeyType type = KeyType::kRsa;                                   // k=
  std::string public_key;                                         // p=, decoded ("" = revoked)
  std::string_view p_text;                                        // p= as written (into the parsed text)
  bool testing = false;                                           // t=y
  bool strict = false;                                            // t=s: i= domain must equal d=
  bool unknown_type = false;                                      // k= named an algorithm we do not know

  bool revoked() const { return public_key.empty(); }
  bool allows(HashAlg h) const;
};

// Parses a key record (the TXT strings joined). Unknown k= parses with
// `unknown_type` set (the verifier reports it as unusable), unknown tags and
// flags are ignored as 3.6.1 requires.
Result<KeyRecord> parse_key_record(std::string_view text);

// A domain or selector usable in a DNS name: dot-separated labels of
// 1..63 characters, whole name at most 253.
bool plausible_domain(std::string_view d);

}  // namespace rampart::dkim

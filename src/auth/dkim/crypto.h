// File: src/auth/dkim/crypto.h
// The cryptography DKIM and ARC need, over OpenSSL 3 EVP: digests, base64,
// public keys from key records, private keys for signing, and signing or
// verifying the header hash input for rsa-sha1, rsa-sha256 and
// ed25519-sha256 (RFC 6376 3.3, RFC 8463 3).
//
//   auto pub = dkim::parse_public_key(KeyType::kRsa, der_bytes);      // from p=
//   auto ok  = dkim::verify_data(*pub, Algorithm::kRsaSha256, hdr_input, sig);
//   auto key = dkim::load_private_key(pem_or_base64_seed);            // Result<PrivateKey>
//   auto sig = dkim::sign_data(*key, Algorithm::kEd25519Sha256, hdr_input);
//
// ed25519-sha256 signs SHA-256(header hash input) with PureEdDSA (RFC 8463
// section 3); the RSA algorithms sign the input with PKCS#1 v1.5.
// Keys are reference-counted and immutable: share them across threads.
//
// DIAGNOSTICS: every function returns a Result; bad key bytes, a key of the
// wrong type and OpenSSL failures are errors (Errc::kParse / kInvalidArgument
// / kInternal), never exceptions. A signature that does not match is
// `false`, not an error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/result.h"

struct evp_pkey_st;
struct evp_pkey_ctx_st;
struct evp_md_ctx_st;

namespace rampart::dkim {

enum class HashAlg : uint8_t { kSha1, kSha256 };
enum class KeyType : uint8_t { kRsa, kEd25519 };
enum class Algorithm : uint8_t { kRsaSha1, kRsaSha256, kEd25519Sha256 };

std::string_view algorithm_name(Algorithm a);  // "rsa-sha256"...
Result<Algorithm> parse_algorithm(std::string_view s);
HashAlg algorithm_hash(Algorithm a);
KeyType algorithm_key_type(Algorithm a);
std::string_view hash_name(HashAlg h);      // "sha1", "sha256"
std::string_view key_type_name(KeyType k);  // "rsa", "ed25519"
size_t digest_size(HashAlg h);

// Incremental digest; update() never fails, finish() reports OpenSSL errors.
class Digest {
 public:
  explicit Digest(HashAlg alg);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(std::string_view data);
  Result<std::string> finish();

 private:
  evp_md_ctx_st* ctx_ = nullptr;
  bool ok_ = false;
};

Result<std::string> digest(HashAlg alg, std::string_view data);

// Base64 of tag values (core/base64.h, the standard alphabet): decoding
// ignores FWS (SP, HTAB, CR, LF) and fails on any other non-alphabet
// character, bad padding or a length that is not a multiple of 4.
inline std::string base64_encode(std::string_view bytes) { return rampart::base64_encode(bytes); }
inline Result<std::string> base64_decode(std::string_view text) { return rampart::base64_decode(text); }

using PkeyPtr = std::shared_ptr<evp_pkey_st>;

struct PublicKey {
  PkeyPtr pkey;
  KeyType type = KeyType::kRsa;
  unsigned bits = 0;  // RSA modulus size; 256 for ed25519
  // RSA keys from parse_public_key(): a context set up once for PKCS#1 v1.5
  // verification of this key, never used itself: verify_data() works on a
  // copy (EVP_PKEY_CTX_dup), so one key serves several threads. It saves
  // the per-message EVP_DigestVerifyInit (6.7 -> 4.1 us CPU per verify with
  // a 1024-bit key). Null: the plain EVP_DigestVerify path.
  std::shared_ptr<evp_pkey_ctx_st> verify_ctx;
};

// From a key record's decoded p=: RSA as SubjectPublicKeyInfo DER (or a bare
// PKCS#1 RSAPublicKey, which some publish), ed25519 as the raw 32 bytes
// (RFC 8463 4.2).
Result<PublicKey> parse_public_key(KeyType type, std::string_view der);

struct PrivateKey {
  PkeyPtr pkey;
  KeyType type = KeyType::kRsa;
  unsigned bits = 0;
};

// PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY") or, for ed25519,
// the base64 of the 32-byte seed (RFC 8463 appendix A).
Result<PrivateKey> load_private_key(std::string_view text);

// The public key of `key` as a key record's p= value (base64).
Result<std::string> public_key_record_value(const PrivateKey& key);

// Signs / verifies the header hash input `data` (RFC 6376 3.7 step 2).
Result<std::string> sign_data(const PrivateKey& key, Algorithm alg, std::string_view data);
Result<bool> verify_data(const PublicKey& key, Algorithm alg, std::string_view data,
                         std::string_view signature);

}  // namespace rampart::dkim

// File: fuzz/fuzz_dkim_key.cc
// Fuzz target: DKIM key records (src/auth/dkim/signature.h) and the public
// key bytes they carry (crypto.h parse_public_key over OpenSSL).
//
//   fuzz_dkim_key fuzz/corpus/fuzz_dkim_key
#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/dkim/crypto.h"
#include "auth/dkim/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace rampart::dkim;
  auto k = parse_key_record(text);
  if (k && !k->revoked() && !k->unknown_type) {
    auto pk = parse_public_key(k->type, k->public_key);
    if (pk && !pk->pkey) __builtin_trap();
  }
  // The raw bytes as DER / ed25519 too.
  (void)parse_public_key(KeyType::kRsa, text);
  (void)parse_public_key(KeyType::kEd25519, text);
  (void)base64_decode(text);
  ERR_clear_error();
  return 0;
}

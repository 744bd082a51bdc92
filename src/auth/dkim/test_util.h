// File: src/auth/dkim/test_util.h
// Test helpers shared by the DKIM tests, benchmark and interop tests:
// key generation (OpenSSL) and file reading. Not part of the library.
//
//   std::string pem = dkim::testing::generate_pem(dkim::KeyType::kRsa, 2048);
//   auto key = dkim::load_private_key(pem);
//   dns.add("s1._domainkey.example.com", key_txt(*key));
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <string>

#include "auth/dkim/crypto.h"
#include "dns/resolver.h"

namespace rampart::dkim::testing {

inline std::string generate_pem(KeyType type, unsigned bits = 2048) {
  EVP_PKEY* p = type == KeyType::kRsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits))
                                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!p) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, p, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(p);
  return out;
}

// "v=DKIM1; k=...; p=..." for `key`, with `extra` tags inserted after k=.
inline std::string key_record(const PrivateKey& key, const std::string& extra = "") {
  auto p = public_key_record_value(key);
  return "v=DKIM1; k=" + std::string(key_type_name(key.type)) + "; " + extra +
         "p=" + (p ? *p : std::string());
}

// A TXT record split into 255-byte strings, as DNS carries it.
inline dns::Record txt_record(const std::string& text) {
  dns::Txt t;
  for (size_t i = 0; i < text.size(); i += 255) t.strings.push_back(text.substr(i, 255));
  return dns::Record{dns::RRType::TXT, 300, t};
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace rampart::dkim::testing

// File: src/channels/stir_testing.h
// A throwaway STI PKI for tests and benchmarks (never for production): an
// EC P-256 root, an intermediate and a signer certificate made with OpenSSL,
// optional TNAuthList, and a signer that makes SHAKEN PASSporTs for a call.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <string>

#include "channels/stir.h"

namespace rampart::channels::stir::testing_pki {

inline constexpr int64_t kNow = 1796601600;  // 2026-12-07T00:00:00Z

inline EVP_PKEY* new_p256() { return EVP_EC_gen("P-256"); }

inline std::string pem_of(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* p;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

inline std::string key_pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

// A certificate for `subject_key`, signed by `issuer_key` (self-signed when
// issuer is null), valid from nb to na; optional TNAuthList DER.
inline X509* make_cert(const char* cn, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                       int64_t nb, int64_t na, const std::string& tnauth_der = {}) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(std::hash<std::string>{}(cn)&0x7fffffff));
  ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(nb));
  ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(na));
  X509_set_pubkey(x, subject_key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  if (ca) {
    X509_EXTENSION* ku = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_add_ext(x, ku, -1);
    X509_EXTENSION_free(ku);
  }
  if (!tnauth_der.empty()) {
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, reinterpret_cast<const unsigned char*>(tnauth_der.data()),
                          static_cast<int>(tnauth_der.size()));
    X509_EXTENSION* e = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, os);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
  }
  X509_sign(x, issuer_key, EVP_sha256());
  return x;
}

inline std::string der_tlv(unsigned char tag, const std::string& v) {
  std::string s(1, static_cast<char>(tag));
  s.push_back(static_cast<char>(v.size()));
  return s + v;
}

struct Pki {
  EVP_PKEY *ca_key, *int_key, *sp_key;
  X509 *ca, *inter, *sp;
  std::string chain;  // signer + intermediate, PEM
  TrustAnchors anchors;
  explicit Pki(const std::string& tnauth = {}, int64_t sp_nb = kNow - 86400, int64_t sp_na = kNow + 86400) {
    ca_key = new_p256();
    int_key = new_p256();
    sp_key = new_p256();
    ca = make_cert("STI-CA test", ca_key, nullptr, ca_key, true, kNow - 864000, kNow + 864000);
    inter = make_cert("STI-CA intermediate", int_key, ca, ca_key, true, kNow - 864000, kNow + 864000);
    sp = make_cert("SHAKEN 1234", sp_key, inter, int_key, false, sp_nb, sp_na, tnauth);
    chain = pem_of(sp) + pem_of(inter);
    anchors = *TrustAnchors::load_pem(pem_of(ca));
  }
  ~Pki() {
    X509_free(ca);
    X509_free(inter);
    X509_free(sp);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(int_key);
    EVP_PKEY_free(sp_key);
  }
  std::string sign_call(char attest = 'A', const std::string& orig = "12025550100",
                        const std::string& dest = "12025550199", int64_t iat = kNow) const {
    auto key = load_signing_key(key_pem(sp_key));
    if (!key) return {};
    auto id = sign(*key, {.x5u = "https://cert.example.net/sp.pem",
                          .attest = attest,
                          .orig = orig,
                          .dest = {dest},
                          .origid = "123e4567-e89b-42d3-a456-426614174000",
                          .iat = iat});
    if (!id) return {};
    return *id;
  }
};

}  // namespace rampart::channels::stir::testing_pki

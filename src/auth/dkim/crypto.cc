// File: src/auth/dkim/crypto.cc
// OpenSSL 3 EVP for DKIM; see crypto.h. Message digests are fetched once per
// process (EVP_MD_fetch) so no verify pays the provider lookup.
#include "auth/dkim/crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>

#include "core/strings.h"

namespace rampart::dkim {
namespace {

const EVP_MD* md_for(HashAlg h) {
  static const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return h == HashAlg::kSha1 ? sha1 : sha256;
}

PkeyPtr wrap(EVP_PKEY* p) { return PkeyPtr(p, EVP_PKEY_free); }

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string_view algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kRsaSha1: return "rsa-sha1";
    case Algorithm::kRsaSha256: return "rsa-sha256";
    case Algorithm::kEd25519Sha256: return "ed25519-sha256";
  }
  return "?";
}

Result<Algorithm> parse_algorithm(std::string_view s) {
  if (iequals(s, "rsa-sha256")) return Algorithm::kRsaSha256;
  if (iequals(s, "ed25519-sha256")) return Algorithm::kEd25519Sha256;
  if (iequals(s, "rsa-sha1")) return Algorithm::kRsaSha1;
  return fail(Errc::kParse, "unsupported algorithm '" + std::string(s) + "'");
}

HashAlg algorithm_hash(Algorithm a) { return a == Algorithm::kRsaSha1 ? HashAlg::kSha1 : HashAlg::kSha256; }
KeyType algorithm_key_type(Algorithm a) {
  return a == Algorithm::kEd25519Sha256 ? KeyType::kEd25519 : KeyType::kRsa;
}
std::string_view hash_name(HashAlg h) { return h == HashAlg::kSha1 ? "sha1" : "sha256"; }
std::string_view key_type_name(KeyType k) { return k == KeyType::kRsa ? "rsa" : "ed25519"; }
size_t digest_size(HashAlg h) { return h == HashAlg::kSha1 ? 20 : 32; }

Digest::Digest(HashAlg alg) : ctx_(EVP_MD_CTX_new()) {
  ok_ = ctx_ != nullptr && md_for(alg) != nullptr && EVP_DigestInit_ex(ctx_, md_for(alg), nullptr) == 1;
}
Digest::~Digest() { EVP_MD_CTX_free(ctx_); }
void Digest::update(std::string_view data) {
  if (ok_ && !data.empty()) ok_ = EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1;
}
Result<std::string> Digest::finish() {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_, buf, &n) != 1) return fail(Errc::kInternal, "digest failed");
  ok_ = false;
  return std::string(reinterpret_cast<char*>(buf), n);
}

Result<std::string> digest(HashAlg alg, std::string_view data) {
  Digest d(alg);
  d.update(data);
  return d.finish();
}

Result<PublicKey> parse_public_key(KeyType type, std::string_view der) {
  PublicKey k;
  k.type = type;
  if (type == KeyType::kEd25519) {
    if (der.size() != 32) return fail(Errc::kParse, "ed25519 public key is not 32 bytes");
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(der.data()), 32);
    if (!p) return fail(Errc::kParse, "ed25519 public key rejected");
    k.pkey = wrap(p);
    k.bits = 256;
    return k;
  }
  if (der.empty() || der.size() > 16384) return fail(Errc::kParse, "RSA public key: bad length");
  const unsigned char* q = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* p = d2i_PUBKEY(nullptr, &q, static_cast<long>(der.size()));
  if (!p) {
    q = reinterpret_cast<const unsigned char*>(der.data());
    p = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, static_cast<long>(der.size()));
  }
  if (!p) return fail(Errc::kParse, "RSA public key: not a SubjectPublicKeyInfo or RSAPublicKey");
  k.pkey = wrap(p);
  if (EVP_PKEY_get_base_id(p) != EVP_PKEY_RSA) return fail(Errc::kParse, "public key is not RSA");
  k.bits = static_cast<unsigned>(EVP_PKEY_get_bits(p));
  if (EVP_PKEY_CTX* c = EVP_PKEY_CTX_new_from_pkey(nullptr, p, nullptr)) {
    if (EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1) {
      k.verify_ctx = std::shared_ptr<evp_pkey_ctx_st>(c, EVP_PKEY_CTX_free);
    } else {
      EVP_PKEY_CTX_free(c);  // the EVP_DigestVerify path then
    }
  }
  ERR_clear_error();
  return k;
}

Result<PrivateKey> load_private_key(std::string_view text) {
  PrivateKey k;
  std::string_view t = trim(text);
  if (t.find("-----BEGIN") != std::string_view::npos) {
    BIO* bio = BIO_new_mem_buf(t.data(), static_cast<int>(t.size()));
    if (!bio) return fail(Errc::kInternal, "BIO_new_mem_buf failed");
    EVP_PKEY* p = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!p) return fail(Errc::kParse, "private key: unreadable PEM (expected PKCS#1 or PKCS#8)");
    k.pkey = wrap(p);
    const int id = EVP_PKEY_get_base_id(p);
    if (id == EVP_PKEY_RSA) {
      k.type = KeyType::kRsa;
      k.bits = static_cast<unsigned>(EVP_PKEY_get_bits(p));
    } else if (id == EVP_PKEY_ED25519) {
      k.type = KeyType::kEd25519;
      k.bits = 256;
    } else {
      return fail(Errc::kInvalidArgument, "private key: neither RSA nor Ed25519");
    }
    return k;
  }
  auto seed = base64_decode(t);
  if (!seed || seed->size() != 32)
    return fail(Errc::kParse, "private key: neither PEM nor the base64 of a 32-byte ed25519 seed");
  EVP_PKEY* p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(seed->data()), 32);
  if (!p) return fail(Errc::kParse, "private key: ed25519 seed rejected");
  k.pkey = wrap(p);
  k.type = KeyType::kEd25519;
  k.bits = 256;
  return k;
}

Result<std::string> public_key_record_value(const PrivateKey& key) {
  if (!key.pkey) return fail(Errc::kInvalidArgument, "no key");
  if (key.type == KeyType::kEd25519) {
    unsigned char raw[32];
    size_t n = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key.pkey.get(), raw, &n) != 1 || n != 32)
      return fail(Errc::kInternal, "ed25519: cannot extract the public key");
    return base64_encode(std::string_view(reinterpret_cast<char*>(raw), n));
  }
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key.pkey.get(), &der);
  if (n <= 0) return fail(Errc::kInternal, "RSA: cannot encode the public key");
  std::string out = base64_encode(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(n)));
  OPENSSL_free(der);
  return out;
}

Result<std::string> sign_data(const PrivateKey& key, Algorithm alg, std::string_view data) {
  if (!key.pkey) return fail(Errc::kInvalidArgument, "no key");
  if (algorithm_key_type(alg) != key.type)
    return fail(Errc::kInvalidArgument, std::string("key type ") + std::string(key_type_name(key.type)) +
                                            " cannot sign " + std::string(algorithm_name(alg)));
  if (alg == Algorithm::kRsaSha1) return fail(Errc::kInvalidArgument, "rsa-sha1 is verify-only (RFC 8301)");
  MdCtx c;
  if (!c.ctx) return fail(Errc::kInternal, "EVP_MD_CTX_new failed");
  std::string hashed;
  std::string_view input = data;
  const EVP_MD* md = nullptr;
  if (alg == Algorithm::kEd25519Sha256) {
    auto h = digest(HashAlg::kSha256, data);
    if (!h) return tl::unexpected(h.error());
    hashed = std::move(*h);
    input = hashed;
  } else {
    md = md_for(HashAlg::kSha256);
  }
  if (EVP_DigestSignInit(c.ctx, nullptr, md, nullptr, key.pkey.get()) != 1)
    return fail(Errc::kInternal, "EVP_DigestSignInit failed");
  size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(c.ctx, nullptr, &n, in, input.size()) != 1) return fail(Errc::kInternal, "sign failed");
  std::string sig(n, '\0');
  if (EVP_DigestSign(c.ctx, reinterpret_cast<unsigned char*>(sig.data()), &n, in, input.size()) != 1)
    return fail(Errc::kInternal, "sign failed");
  sig.resize(n);
  return sig;
}

Result<bool> verify_data(const PublicKey& key, Algorithm alg, std::string_view data,
                         std::string_view signature) {
  if (!key.pkey) return fail(Errc::kInvalidArgument, "no key");
  if (algorithm_key_type(alg) != key.type)
    return fail(Errc::kInvalidArgument, "key type does not match algorithm");
  unsigned char hashed[32];
  std::string_view input = data;
  const EVP_MD* md = nullptr;
  if (alg == Algorithm::kEd25519Sha256) {
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), hashed, &n, md_for(HashAlg::kSha256), nullptr) != 1 || n != 32)
      return fail(Errc::kInternal, "digest failed");
    input = std::string_view(reinterpret_cast<char*>(hashed), 32);
  } else {
    md = md_for(algorithm_hash(alg));
    if (key.verify_ctx && md) {
      // RSA: the digest, then PKCS#1 v1.5 on a copy of the key's prepared
      // context (the same check EVP_DigestVerify makes, without its init).
      unsigned char h[EVP_MAX_MD_SIZE];
      unsigned int hn = 0;
      if (EVP_Digest(data.data(), data.size(), h, &hn, md, nullptr) != 1)
        return fail(Errc::kInternal, "digest failed");
      const std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> v(EVP_PKEY_CTX_dup(key.verify_ctx.get()),
                                                                     EVP_PKEY_CTX_free);
      if (!v || EVP_PKEY_CTX_set_signature_md(v.get(), md) != 1)
        return fail(Errc::kInternal, "EVP_PKEY_CTX_dup failed");
      return EVP_PKEY_verify(v.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), h, hn) == 1;
    }
  }
  MdCtx c;
  if (!c.ctx) return fail(Errc::kInternal, "EVP_MD_CTX_new failed");
  if (EVP_DigestVerifyInit(c.ctx, nullptr, md, nullptr, key.pkey.get()) != 1)
    return fail(Errc::kInternal, "EVP_DigestVerifyInit failed");
  const int r =
      EVP_DigestVerify(c.ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size());
  return r == 1;
}

}  // namespace rampart::dkim

// Ed25519 keys and signatures, the group key and keyed hashes (libsodium).
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "core/strings.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

namespace {
Status ensure_sodium() {
  if (sodium_init() < 0) return fail(Errc::kInternal, "libsodium failed to initialise");
  return {};
}

std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

Result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, path + ": cannot open");
  std::string s(4096, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  if (s.size() == 4096) return fail(Errc::kLimit, path + ": larger than 4 KiB");
  return s;
}
}  // namespace

SigningKey::~SigningKey() { sodium_memzero(sk_.data(), sk_.size()); }

Result<SigningKey> SigningKey::generate() {
  if (auto st = ensure_sodium(); !st) return tl::unexpected(st.error());
  SigningKey k;
  crypto_sign_ed25519_keypair(k.pk_.data(), k.sk_.data());
  return k;
}

Result<SigningKey> SigningKey::parse(std::string_view text) {
  if (auto st = ensure_sodium(); !st) return tl::unexpected(st.error());
  text = trim(text);
  if (!text.starts_with("ed25519-secret:"))
    return fail(Errc::kParse, "signing key: expected 'ed25519-secret:<base64>'");
  auto raw = base64_decode(text.substr(15), {.padding = Base64Padding::kRequired, .whitespace = false});
  if (!raw || raw->size() != 64) return fail(Errc::kParse, "signing key: not 64 bytes of base64");
  SigningKey k;
  std::copy(raw->begin(), raw->end(), k.sk_.begin());
  sodium_memzero(raw->data(), raw->size());
  // The public half must be the one the seed derives (a corrupted file is
  // refused rather than signing with a key nobody can verify).
  std::array<uint8_t, 32> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), k.sk_.data());
  std::array<uint8_t, 64> again{};
  crypto_sign_ed25519_seed_keypair(k.pk_.data(), again.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  const bool same = sodium_memcmp(again.data(), k.sk_.data(), 64) == 0;
  sodium_memzero(again.data(), again.size());
  if (!same) return fail(Errc::kParse, "signing key: public half does not match the seed");
  return k;
}

Result<SigningKey> SigningKey::load_file(const std::string& path) {
  auto s = read_small_file(path);
  if (!s) return tl::unexpected(s.error());
  auto k = parse(*s);
  sodium_memzero(s->data(), s->size());
  if (!k) return fail(k.error().code, path + ": " + k.error().message);
  return k;
}

std::string SigningKey::to_text() const {
  return "ed25519-secret:" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(sk_.data()), sk_.size())) + "\n";
}

std::string SigningKey::public_text() const { return public_key_text(pk_); }

std::string public_key_text(const PublicKey& pk) {
  return "ed25519:" + base64_encode(std::string_view(reinterpret_cast<const char*>(pk.data()), pk.size()));
}

std::array<uint8_t, kSignatureBytes> SigningKey::sign(std::string_view message) const {
  std::array<uint8_t, kSignatureBytes> sig{};
  crypto_sign_ed25519_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                               message.size(), sk_.data());
  return sig;
}

Result<PublicKey> parse_public_key(std::string_view text) {
  if (!text.starts_with("ed25519:")) return fail(Errc::kParse, "public key: expected 'ed25519:<base64>'");
  auto raw = base64_decode(text.substr(8), {.padding = Base64Padding::kRequired, .whitespace = false});
  if (!raw || raw->size() != kPublicKeyBytes) return fail(Errc::kParse, "public key: not 32 bytes of base64");
  PublicKey pk{};
  std::copy(raw->begin(), raw->end(), pk.begin());
  return pk;
}

bool verify_signature(const PublicKey& pk, std::string_view message, const uint8_t* sig) {
  if (sodium_init() < 0) return false;
  return crypto_sign_ed25519_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                             message.size(), pk.data()) == 0;
}

Result<GroupKey> generate_group_key() {
  if (auto st = ensure_sodium(); !st) return tl::unexpected(st.error());
  GroupKey k{};
  randombytes_buf(k.data(), k.size());
  return k;
}

Result<GroupKey> parse_group_key(std::string_view text) {
  text = trim(text);
  if (!text.starts_with("hmac-sha256:") || text.size() != 12 + 64)
    return fail(Errc::kParse, "group key: expected 'hmac-sha256:' and 64 hex digits");
  GroupKey k{};
  for (size_t i = 0; i < 32; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nib(text[12 + 2 * i]), lo = nib(text[13 + 2 * i]);
    if (hi < 0 || lo < 0) return fail(Errc::kParse, "group key: not lower-case hex");
    k[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return k;
}

Result<GroupKey> load_group_key(const std::string& path) {
  auto s = read_small_file(path);
  if (!s) return tl::unexpected(s.error());
  auto k = parse_group_key(*s);
  if (!k) return fail(k.error().code, path + ": " + k.error().message);
  return k;
}

std::string group_key_text(const GroupKey& k) { return "hmac-sha256:" + to_hex(k.data(), k.size()) + "\n"; }

std::string blind(const GroupKey& key, ItemKind kind, std::string_view value) {
  (void)ensure_sodium();
  std::string_view label = kind == ItemKind::kIpHmac ? "ip" : kind == ItemKind::kUrlHmac ? "url" : "mail";
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(label.data()), label.size());
  const unsigned char zero = 0;
  crypto_auth_hmacsha256_update(&st, &zero, 1);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
  std::array<uint8_t, 32> mac{};
  crypto_auth_hmacsha256_final(&st, mac.data());
  return to_hex(mac.data(), mac.size());
}

Result<Item> blinded_item(const GroupKey& key, DataClass cls, std::string_view what, std::string_view value) {
  Item it;
  it.cls = cls;
  if (what == "ip") {
    auto ip = IpAddress::parse(value);
    if (!ip) return fail(Errc::kParse, "ip: " + ip.error().message);
    it.kind = ItemKind::kIpHmac;
    it.value = blind(key, it.kind, ip->unmapped().to_string());
  } else if (what == "url") {
    if (value.empty() || value.size() > 8192) return fail(Errc::kParse, "url: 1-8192 bytes");
    it.kind = ItemKind::kUrlHmac;
    it.value = blind(key, it.kind, value);
  } else if (what == "mail") {
    if (value.find('@') == std::string_view::npos) return fail(Errc::kParse, "mail: no '@'");
    it.kind = ItemKind::kMailHmac;
    it.value = blind(key, it.kind, to_lower(value));
  } else {
    return fail(Errc::kInvalidArgument, "blind: ip, url or mail");
  }
  if (!class_admits(cls, it.kind))
    return fail(Errc::kInvalidArgument,
                std::string(class_name(cls)) + " does not carry " + std::string(kind_name(it.kind)));
  return it;
}

std::string sha256_hex(std::string_view bytes) {
  (void)ensure_sodium();
  std::array<uint8_t, crypto_hash_sha256_BYTES> h{};
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(h.data(), h.size());
}

}  // namespace rampart::exchange

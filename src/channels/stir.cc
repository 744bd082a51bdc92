// File: src/channels/stir.cc
// STIR/SHAKEN verification and signing; see stir.h.
#include "channels/stir.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "core/base64.h"
#include "core/civil_time.h"
#include "core/strings.h"

namespace rampart::channels::stir {

namespace {

using Json = nlohmann::json;

Verdict failed(int status, std::string reason) {
  Verdict v;
  v.verstat = Verstat::kFailed;
  v.sip_status = status;
  v.reason = std::move(reason);
  return v;
}

bool is_b64url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Parses a JSON object without exceptions; nullopt unless it is an object.
std::optional<Json> parse_object(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

const std::string* get_string(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool is_p256(EVP_PKEY* k) {
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) return false;
  char curve[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(k, "group", curve, sizeof curve, &len) != 1) return false;
  return std::string_view(curve, len) == "prime256v1" || std::string_view(curve, len) == "P-256";
}

std::vector<std::unique_ptr<X509, X509Free>> read_chain(std::string_view chain, std::string* why) {
  std::vector<std::unique_ptr<X509, X509Free>> certs;
  if (chain.size() > kMaxChainBytes) {
    *why = "x5u answer larger than " + std::to_string(kMaxChainBytes) + " bytes";
    return certs;
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(chain.data(), static_cast<int>(chain.size())));
  while (certs.size() < kMaxChainCerts + 1) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!x) break;
    certs.emplace_back(x);
  }
  ERR_clear_error();
  if (certs.empty()) {  // one DER certificate
    const auto* p = reinterpret_cast<const unsigned char*>(chain.data());
    if (X509* x = d2i_X509(nullptr, &p, static_cast<long>(chain.size()))) certs.emplace_back(x);
    ERR_clear_error();
  }
  if (certs.size() > kMaxChainCerts) {
    *why = "x5u holds more than " + std::to_string(kMaxChainCerts) + " certificates";
    certs.clear();
  } else if (certs.empty()) {
    *why = "x5u holds no certificate";
  }
  return certs;
}

// ES256 (RFC 7518 section 3.4): the JWS signature is R || S, 32 bytes each.
bool es256_verify(EVP_PKEY* key, std::string_view input, std::string_view rs) {
  if (rs.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

Result<std::string> es256_sign(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return fail(Errc::kInternal, "ES256 sign: " + openssl_error());
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return fail(Errc::kInternal, "ES256 sign: " + openssl_error());
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return fail(Errc::kInternal, "ES256 sign: " + openssl_error());
  std::string rs(64, '\0');
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(rs.data()), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(rs.data()) + 32, 32) != 32)
    return fail(Errc::kInternal, "ES256 sign: signature does not fit");
  return rs;
}

// --- DER, just enough for RFC 8226's TNAuthorizationList ---
struct Der {
  std::string_view s;
  // Reads one TLV; false when malformed (multi-byte tags and indefinite
  // lengths are not DER for this structure).
  bool next(unsigned char* tag, std::string_view* value) {
    if (s.size() < 2) return false;
    *tag = static_cast<unsigned char>(s[0]);
    if ((*tag & 0x1f) == 0x1f) return false;
    size_t len = static_cast<unsigned char>(s[1]);
    size_t hdr = 2;
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 3 || s.size() < 2 + n) return false;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(s[2 + i]);
      hdr += n;
    }
    if (s.size() - hdr < len) return false;
    *value = s.substr(hdr, len);
    s.remove_prefix(hdr + len);
    return true;
  }
};

bool tn_chars(std::string_view v) {
  return !v.empty() && v.size() <= 15 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '#' || c == '*';
  });
}

}  // namespace

std::string_view verstat_name(Verstat v) {
  switch (v) {
    case Verstat::kPassed: return "TN-Validation-Passed";
    case Verstat::kFailed: return "TN-Validation-Failed";
    case Verstat::kNoValidation: return "No-TN-Validation";
  }
  return "TN-Validation-Failed";
}

std::string base64url_encode(std::string_view bytes) { return base64_encode(bytes, Base64::kUrl); }

// RFC 7515 section 2: base64url without padding or whitespace.
Result<std::string> base64url_decode(std::string_view text) {
  return base64_decode(text, Base64Rules{Base64::kUrl, Base64Padding::kForbidden, false});
}

std::string tn_digits(std::string_view tn) {
  std::string d;
  for (char c : tn)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

Result<IdentityField> parse_identity_field(std::string_view value) {
  if (value.size() > kMaxIdentityBytes)
    return fail(Errc::kParse, "Identity longer than " + std::to_string(kMaxIdentityBytes) + " bytes");
  value = trim(value);
  IdentityField f;
  size_t semi = value.find(';');
  std::string_view token = trim(value.substr(0, semi));
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return fail(Errc::kParse, "Identity is not HEADER.PAYLOAD.SIGNATURE");
  f.header_b64 = std::string(token.substr(0, d1));
  f.payload_b64 = std::string(token.substr(d1 + 1, d2 - d1 - 1));
  f.signature_b64 = std::string(token.substr(d2 + 1));
  f.compact = f.payload_b64.empty();
  if (f.header_b64.empty() || f.signature_b64.empty() || !is_b64url(f.header_b64) ||
      !is_b64url(f.payload_b64) || !is_b64url(f.signature_b64))
    return fail(Errc::kParse, "Identity token is not base64url");
  bool have_info = false;
  while (semi != std::string_view::npos) {
    std::string_view rest = value.substr(semi + 1);
    // The info URI is inside <...> and may itself hold ';'.
    std::string_view t = trim(rest);
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return fail(Errc::kParse, "Identity parameter without '='");
    std::string name = to_lower(trim(t.substr(0, eq)));
    std::string_view v = trim(t.substr(eq + 1));
    size_t consumed;
    if (!v.empty() && v.front() == '<') {
      size_t close = v.find('>');
      if (close == std::string_view::npos) return fail(Errc::kParse, "Identity info without '>'");
      if (name == "info") {
        f.info = std::string(v.substr(1, close - 1));
        have_info = true;
      }
      std::string_view after = v.substr(close + 1);
      size_t next = after.find(';');
      if (!trim(after.substr(0, next)).empty()) return fail(Errc::kParse, "Identity: text after info's '>'");
      consumed =
          next == std::string_view::npos ? std::string_view::npos : (after.data() + next) - value.data();
    } else {
      size_t next = v.find(';');
      std::string_view pv = trim(v.substr(0, next));
      if (pv.size() >= 2 && pv.front() == '"' && pv.back() == '"') pv = pv.substr(1, pv.size() - 2);
      if (name == "alg")
        f.alg = std::string(pv);
      else if (name == "ppt")
        f.ppt = std::string(pv);
      else if (name == "info")
        return fail(Errc::kParse, "Identity info not in <...>");
      consumed = next == std::string_view::npos ? std::string_view::npos : (v.data() + next) - value.data();
    }
    semi = consumed;
  }
  if (!have_info) return fail(Errc::kParse, "Identity without info parameter");
  return f;
}

std::variant<Verdict, Checked> check_identity(std::string_view identity_value, const Call& call) {
  if (trim(identity_value).empty()) {
    Verdict v;
    v.verstat = Verstat::kNoValidation;
    v.sip_status = 428;
    v.reason = "no Identity header";
    return v;
  }
  auto field = parse_identity_field(identity_value);
  if (!field) return failed(438, field.error().message);
  if (!field->alg.empty() && field->alg != "ES256")
    return failed(438, "alg parameter " + field->alg + " is not ES256");
  if (field->ppt != "shaken")
    return failed(438,
                  field->ppt.empty() ? "no ppt parameter" : "ppt parameter " + field->ppt + " is not shaken");

  auto header_text = base64url_decode(field->header_b64);
  if (!header_text) return failed(438, "PASSporT header: " + header_text.error().message);
  auto header = parse_object(*header_text);
  if (!header) return failed(438, "PASSporT header is not a JSON object");
  Checked c;
  Passport& p = c.passport;
  const std::string* alg = get_string(*header, "alg");
  if (!alg || *alg != "ES256")
    return failed(438, "PASSporT alg " + (alg ? *alg : std::string("missing")) + " is not ES256");
  p.alg = *alg;
  const std::string* ppt = get_string(*header, "ppt");
  if (!ppt || *ppt != "shaken")
    return failed(438, ppt ? "PASSporT ppt " + *ppt + " is not shaken" : "PASSporT without ppt");
  p.ppt = *ppt;
  if (header->contains("typ")) {
    const std::string* typ = get_string(*header, "typ");
    if (!typ || to_lower(*typ) != "passport") return failed(438, "PASSporT typ is not passport");
    p.typ = *typ;
  }
  const std::string* x5u = get_string(*header, "x5u");
  if (!x5u || x5u->empty()) return failed(438, "PASSporT without x5u");
  p.x5u = *x5u;
  if (field->info != p.x5u)
    return failed(438, "info parameter <" + field->info + "> is not the x5u " + p.x5u);

  std::string payload_b64 = field->payload_b64;
  if (field->compact) {
    // RFC 8224 section 4.1 / RFC 8225 section 9: rebuild from the call.
    std::string payload = "{\"dest\":{\"tn\":[\"" + tn_digits(call.to_tn) +
                          "\"]},\"iat\":" + std::to_string(call.date) + ",\"orig\":{\"tn\":\"" +
                          tn_digits(call.from_tn) + "\"}}";
    payload_b64 = base64url_encode(payload);
    p.orig_tn = tn_digits(call.from_tn);
    p.dest_tns = {tn_digits(call.to_tn)};
    p.iat = call.date;
  } else {
    auto payload_text = base64url_decode(field->payload_b64);
    if (!payload_text) return failed(438, "PASSporT payload: " + payload_text.error().message);
    auto payload = parse_object(*payload_text);
    if (!payload) return failed(438, "PASSporT payload is not a JSON object");
    const std::string* attest = get_string(*payload, "attest");
    if (!attest || attest->size() != 1 || ((*attest)[0] != 'A' && (*attest)[0] != 'B' && (*attest)[0] != 'C'))
      return failed(438, attest ? "attest " + *attest + " is not A, B or C" : "PASSporT without attest");
    p.attest = (*attest)[0];
    const std::string* origid = get_string(*payload, "origid");
    if (!origid || origid->empty()) return failed(438, "PASSporT without origid");
    p.origid = *origid;
    auto orig = payload->find("orig");
    const std::string* orig_tn =
        orig != payload->end() && orig->is_object() ? get_string(*orig, "tn") : nullptr;
    if (!orig_tn) return failed(438, "PASSporT without orig.tn");
    p.orig_tn = *orig_tn;
    auto dest = payload->find("dest");
    if (dest == payload->end() || !dest->is_object()) return failed(438, "PASSporT without dest");
    auto tns = dest->find("tn");
    if (tns == dest->end() || !tns->is_array() || tns->empty())
      return failed(438, "PASSporT without dest.tn");
    for (const auto& t : *tns) {
      if (!t.is_string()) return failed(438, "PASSporT dest.tn holds a non-string");
      p.dest_tns.push_back(t.get<std::string>());
    }
    auto iat = payload->find("iat");
    if (iat == payload->end() || !iat->is_number_integer())
      return failed(438, "PASSporT without integer iat");
    p.iat = iat->get<int64_t>();
  }

  const std::string from = tn_digits(call.from_tn), to = tn_digits(call.to_tn);
  if (tn_digits(p.orig_tn) != from || from.empty())
    return failed(438, "orig.tn " + p.orig_tn + " is not the caller " + call.from_tn);
  if (to.empty() || std::none_of(p.dest_tns.begin(), p.dest_tns.end(),
                                 [&](const std::string& t) { return tn_digits(t) == to; }))
    return failed(438, "dest.tn does not hold the callee " + call.to_tn);

  auto sig = base64url_decode(field->signature_b64);
  if (!sig) return failed(438, "signature: " + sig.error().message);
  if (sig->size() != 64)
    return failed(438, "ES256 signature of " + std::to_string(sig->size()) + " bytes, not 64");

  const int64_t skew = p.iat > call.date ? p.iat - call.date : call.date - p.iat;
  if (skew > kFreshnessSeconds) {
    Verdict v = failed(403, "stale date: iat " + std::to_string(p.iat) + " is " + std::to_string(skew) +
                                " s from the call's date");
    v.attest = p.attest;
    v.origid = p.origid;
    return v;
  }
  c.signing_input = field->header_b64 + "." + payload_b64;
  c.signature = std::move(*sig);
  c.x5u = p.x5u;
  return c;
}

Result<TrustAnchors> TrustAnchors::load_pem(std::string_view pem) {
  TrustAnchors t;
  t.store_.reset(X509_STORE_new(), X509_STORE_free);
  if (!t.store_) return fail(Errc::kInternal, "X509_STORE_new");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509, X509Free> cert(x);
    if (X509_STORE_add_cert(t.store_.get(), cert.get()) == 1) ++t.count_;
  }
  ERR_clear_error();
  if (t.count_ == 0) return fail(Errc::kParse, "trust anchors: no PEM certificate");
  return t;
}

Result<TrustAnchors> TrustAnchors::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kNotFound, "trust anchors: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto t = load_pem(ss.str());
  if (!t) return fail(t.error().code, path + ": " + t.error().message);
  return t;
}

Verdict fetch_failed(std::string_view why) { return failed(436, "x5u: " + std::string(why)); }

Result<TnAuthList> parse_tn_auth_list(std::string_view der) {
  Der outer{der};
  unsigned char tag;
  std::string_view seq;
  if (!outer.next(&tag, &seq) || tag != 0x30 || !outer.s.empty())
    return fail(Errc::kParse, "TNAuthList: not a SEQUENCE");
  TnAuthList list;
  Der entries{seq};
  size_t n = 0;
  while (!entries.s.empty()) {
    if (++n > 1000) return fail(Errc::kParse, "TNAuthList: too many entries");
    std::string_view v;
    if (!entries.next(&tag, &v)) return fail(Errc::kParse, "TNAuthList: bad entry");
    const unsigned num = tag & 0x1f;
    const bool constructed = tag & 0x20;
    if ((tag & 0xc0) != 0x80 || num > 2) return fail(Errc::kParse, "TNAuthList: unknown entry");
    std::string_view inner = v;
    unsigned char itag = 0;
    // EXPLICIT tagging (RFC 8226's module) wraps the value; IMPLICIT (seen in
    // the field) does not. Both are accepted.
    if (constructed && num != 1) {
      Der d{v};
      if (!d.next(&itag, &inner) || itag != 0x16 || !d.s.empty())
        return fail(Errc::kParse, "TNAuthList: bad string");
    } else if (num == 1) {
      Der d{v};
      std::string_view first;
      Der peek = d;
      if (!peek.next(&itag, &first)) return fail(Errc::kParse, "TNAuthList: bad range");
      if (itag == 0x30) {
        if (!d.next(&itag, &inner) || !d.s.empty()) return fail(Errc::kParse, "TNAuthList: bad range");
      }
      Der r{itag == 0x30 ? inner : v};
      std::string_view start, count;
      if (!r.next(&itag, &start) || itag != 0x16 || !tn_chars(start))
        return fail(Errc::kParse, "TNAuthList: bad range start");
      if (!r.next(&itag, &count) || itag != 0x02 || count.empty() || count.size() > 8)
        return fail(Errc::kParse, "TNAuthList: bad range count");
      uint64_t cnt = 0;
      for (char ch : count) cnt = (cnt << 8) | static_cast<unsigned char>(ch);
      list.ranges.emplace_back(std::string(start), cnt);
      continue;
    }
    if (num == 0) {
      if (inner.empty() || inner.size() > 64) return fail(Errc::kParse, "TNAuthList: bad SPC");
      list.spcs.emplace_back(inner);
    } else {
      if (!tn_chars(inner)) return fail(Errc::kParse, "TNAuthList: bad telephone number");
      list.tns.emplace_back(inner);
    }
  }
  if (n == 0) return fail(Errc::kParse, "TNAuthList: empty");
  return list;
}

bool TnAuthList::covers(std::string_view tn) const {
  if (tns.empty() && ranges.empty()) return true;  // SPC only: the SPC vouches
  const std::string d = tn_digits(tn);
  for (const auto& t : tns)
    if (t == d) return true;
  for (const auto& [start, count] : ranges) {
    if (start.size() != d.size() || !std::all_of(start.begin(), start.end(), ::isdigit)) continue;
    const uint64_t lo = std::stoull(start), x = std::stoull(d);
    if (x >= lo && x - lo < count) return true;
  }
  return false;
}

struct ChainCache::Entry {
  std::shared_ptr<EVP_PKEY> key;
  std::optional<TnAuthList> tn_auth;
  int64_t valid_from = 0, valid_until = 0;  // the verified path's common validity
  std::string subject;
};

struct ChainCache::Impl {
  size_t max_entries = 0;
  mutable std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> map;
  std::list<std::string> order;  // oldest first
};

ChainCache::ChainCache(size_t max_entries) : impl_(std::make_unique<Impl>()) {
  impl_->max_entries = max_entries;
}
ChainCache::~ChainCache() = default;
size_t ChainCache::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->map.size();
}

std::shared_ptr<const ChainCache::Entry> ChainCache::find(std::string_view chain, int64_t date) const {
  const std::string key(chain);
  std::lock_guard lock(impl_->mu);
  auto it = impl_->map.find(key);
  if (it == impl_->map.end() || date < it->second->valid_from || date > it->second->valid_until)
    return nullptr;
  return it->second;
}

void ChainCache::put(std::string chain, Entry e) {
  auto shared = std::make_shared<const Entry>(std::move(e));
  std::lock_guard lock(impl_->mu);
  if (impl_->max_entries == 0 || impl_->map.count(chain)) return;
  while (impl_->map.size() >= impl_->max_entries) {
    impl_->map.erase(impl_->order.front());
    impl_->order.pop_front();
  }
  impl_->order.push_back(chain);
  impl_->map.emplace(std::move(chain), std::move(shared));
}

namespace {

bool asn1_time_unix(const ASN1_TIME* t, int64_t* out) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return false;
  *out = days_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                         static_cast<unsigned>(tm.tm_mday)) *
             86400 +
         tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return true;
}

Verdict finish(const Checked& c, EVP_PKEY* key, const std::optional<TnAuthList>& tn_auth,
               const std::string& subject) {
  // RFC 8226: where the certificate lists telephone numbers, the caller must be one of them.
  if (tn_auth && !tn_auth->covers(c.passport.orig_tn))
    return failed(438, "certificate's TNAuthList does not cover the caller " + c.passport.orig_tn);
  if (!es256_verify(key, c.signing_input, c.signature)) return failed(438, "signature does not verify");
  Verdict v;
  v.verstat = Verstat::kPassed;
  v.attest = c.passport.attest;
  v.origid = c.passport.origid;
  v.reason = std::string("verified") +
             (v.attest ? std::string(", attestation ") + *v.attest : std::string()) + ", signed by " +
             subject;
  return v;
}

}  // namespace

Verdict verify_with_chain(const Checked& c, std::string_view chain, const TrustAnchors& anchors,
                          const Call& call, ChainCache* cache) {
  if (cache)
    if (auto e = cache->find(chain, call.date)) return finish(c, e->key.get(), e->tn_auth, e->subject);
  std::string why;
  auto certs = read_chain(chain, &why);
  if (certs.empty()) return fetch_failed(why);
  X509* leaf = certs.front().get();
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (!key || !is_p256(key)) return failed(437, "signing certificate's key is not EC P-256");

  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(untrusted.get(), certs[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), anchors.store(), leaf, untrusted.get()) != 1)
    return failed(437, "certificate check: " + openssl_error());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(call.date));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return failed(437, std::string("certificate: ") + X509_verify_cert_error_string(err));
  }

  std::optional<TnAuthList> tn_auth;
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
  int idx = oid ? X509_get_ext_by_OBJ(leaf, oid, -1) : -1;
  ASN1_OBJECT_free(oid);
  if (idx >= 0) {
    ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    auto list = parse_tn_auth_list(std::string_view(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), ASN1_STRING_length(data)));
    if (!list) return failed(437, "certificate: " + list.error().message);
    tn_auth = std::move(*list);
  }
  char subject_buf[256] = {};
  X509_NAME_oneline(X509_get_subject_name(leaf), subject_buf, sizeof subject_buf);
  const std::string subject = subject_buf;

  if (cache) {
    ChainCache::Entry e;
    e.valid_from = INT64_MIN;
    e.valid_until = INT64_MAX;
    bool ok = true;
    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; ok && path && i < sk_X509_num(path); ++i) {
      X509* x = sk_X509_value(path, i);
      int64_t nb = 0, na = 0;
      ok = asn1_time_unix(X509_get0_notBefore(x), &nb) && asn1_time_unix(X509_get0_notAfter(x), &na);
      e.valid_from = std::max(e.valid_from, nb);
      e.valid_until = std::min(e.valid_until, na);
    }
    if (ok && path) {
      EVP_PKEY_up_ref(key);
      e.key.reset(key, EVP_PKEY_free);
      e.tn_auth = tn_auth;
      e.subject = subject;
      cache->put(std::string(chain), std::move(e));
    }
  }
  return finish(c, key, tn_auth, subject);
}

Result<std::shared_ptr<evp_pkey_st>> load_signing_key(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);  // PKCS#8 and SEC1
  if (!k) return fail(Errc::kParse, "signing key: not a PEM private key (" + openssl_error() + ")");
  std::shared_ptr<evp_pkey_st> key(k, EVP_PKEY_free);
  if (!is_p256(k)) return fail(Errc::kInvalidArgument, "signing key: not EC P-256 (ES256)");
  return key;
}

Result<std::string> sign(const std::shared_ptr<evp_pkey_st>& key, const SignRequest& req) {
  if (req.attest != 'A' && req.attest != 'B' && req.attest != 'C')
    return fail(Errc::kInvalidArgument, "attest must be A, B or C");
  if (req.x5u.empty() || req.x5u.find_first_of("<>; \t\r\n") != std::string::npos)
    return fail(Errc::kInvalidArgument, "x5u must be a URL without <, >, ; or spaces");
  if (tn_digits(req.orig).empty() || req.dest.empty())
    return fail(Errc::kInvalidArgument, "orig and dest are needed");
  std::string origid = req.origid;
  if (origid.empty()) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return fail(Errc::kInternal, "RAND_bytes");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    char buf[37];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    origid = buf;
  }
  // nlohmann::json keeps object keys sorted and dump() writes no whitespace:
  // the RFC 8225 section 9 canonical form.
  Json header = {{"alg", "ES256"}, {"ppt", "shaken"}, {"typ", "passport"}, {"x5u", req.x5u}};
  Json dest = Json::array();
  for (const auto& d : req.dest) dest.push_back(tn_digits(d));
  Json payload = {{"attest", std::string(1, req.attest)},
                  {"dest", {{"tn", dest}}},
                  {"iat", req.iat},
                  {"orig", {{"tn", tn_digits(req.orig)}}},
                  {"origid", origid}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  auto sig = es256_sign(key.get(), input);
  if (!sig) return tl::unexpected(sig.error());
  return input + "." + base64url_encode(*sig) + ";info=<" + req.x5u + ">;alg=ES256;ppt=shaken";
}

}  // namespace rampart::channels::stir

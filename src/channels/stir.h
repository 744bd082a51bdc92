// File: src/channels/stir.h
// STIR/SHAKEN caller authentication: SIP Identity header fields (RFC 8224)
// carrying SHAKEN PASSporTs (RFC 8225, RFC 8588), signed with ES256 and
// vouched for by a certificate chain fetched from the PASSporT's x5u.
//
// Verification is two pure steps around the certificate fetch (src/channels/x5u.h):
//
//   auto step = stir::check_identity(value, call);       // everything but the certificate
//   if (auto* v = std::get_if<stir::Verdict>(&step)) return *v;   // 428 / 438 / 403
//   auto& c = std::get<stir::Checked>(step);              // c.x5u to fetch
//   stir::Verdict v = stir::verify_with_chain(c, pem_chain, anchors, call);   // 437 / 438 / pass
//   // or stir::fetch_failed(why) when the fetch failed: 436
//
//   std::string id = *stir::sign(key, {.x5u = ..., .attest = 'A', .orig = ..., .dest = {...}});
//
// The verdict is a verstat (TN-Validation-Passed / -Failed, No-TN-Validation)
// with the RFC 8224 section 6.2.2 response code of a failure:
//   428  no Identity header (No-TN-Validation);
//   438  invalid Identity header: bad signature, claims that don't match the
//        call's From/To, alg other than ES256, ppt not "shaken", attest not
//        A/B/C, origid missing (full form), malformed base64url or JSON, the
//        info parameter not equal to x5u, a certificate whose TNAuthList
//        (RFC 8226) lists numbers that don't cover the caller;
//   437  unsupported credential: certificate not yet or no longer valid at the
//        call's date, a chain that doesn't reach the trust anchors, a key that
//        is not EC P-256;
//   436  bad identity info: the x5u can't be fetched or holds no certificate;
//   403  stale date: iat more than 60 s from the call's Date, either side.
// Checks run in that order of cost: parsing and claims, freshness, then the
// certificate (fetched), then the signature.
//
// Telephone numbers compare as digits only (RFC 8224 section 8.3: leading
// "+" and visual separators removed). Compact form (RFC 8224 section 4.1,
// "HEADER..SIGNATURE") rebuilds the payload from the call as
// {"dest":{"tn":["TO"]},"iat":DATE,"orig":{"tn":"FROM"}} (RFC 8225 section 9:
// sorted keys, no whitespace).
//
// DIAGNOSTICS: nothing here throws; every malformed input is a verdict with a
// reason. Inputs are capped (an Identity value of 8 KiB, a chain of 64 KiB
// and 10 certificates); JSON is parsed by nlohmann::json without exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

struct evp_pkey_st;
struct x509_store_st;

namespace rampart::channels::stir {

inline constexpr size_t kMaxIdentityBytes = 8 * 1024;
inline constexpr size_t kMaxChainBytes = 64 * 1024;
inline constexpr size_t kMaxChainCerts = 10;
inline constexpr int64_t kFreshnessSeconds = 60;

enum class Verstat : uint8_t { kPassed, kFailed, kNoValidation };
std::string_view verstat_name(Verstat v);  // "TN-Validation-Passed", ...

struct Verdict {
  Verstat verstat = Verstat::kFailed;
  std::optional<char> attest;         // 'A', 'B' or 'C'
  std::optional<std::string> origid;  // full form only
  int sip_status = 0;                 // 0 when passed, else 428/436/437/438/403
  std::string reason;
};

// The call the Identity header field came with.
struct Call {
  std::string from_tn;  // the caller (From / P-Asserted-Identity)
  std::string to_tn;    // the callee (To / Request-URI)
  int64_t date = 0;     // the Date header field (or now), unix seconds
};

// RFC 8224 section 4.1: the signed identity token and its parameters.
struct IdentityField {
  std::string header_b64, payload_b64, signature_b64;  // payload empty when compact
  bool compact = false;
  std::string info;  // the URI inside "<...>"
  std::string alg;   // the alg parameter ("" when absent)
  std::string ppt;   // the ppt parameter ("" when absent)
};
Result<IdentityField> parse_identity_field(std::string_view value);

// A decoded SHAKEN PASSporT.
struct Passport {
  std::string alg, typ, ppt, x5u;  // JOSE header (RFC 8225 section 4)
  std::optional<char> attest;
  std::optional<std::string> origid;
  std::string orig_tn;
  std::vector<std::string> dest_tns;
  int64_t iat = 0;
};

// What check_identity leaves for the certificate step.
struct Checked {
  Passport passport;
  std::string signing_input;  // BASE64URL(header) "." BASE64URL(payload)
  std::string signature;      // raw R || S, 64 bytes
  std::string x5u;
};

std::variant<Verdict, Checked> check_identity(std::string_view identity_value, const Call& call);

// Trust anchors (the STI-CA list): a PEM file of CA certificates.
class TrustAnchors {
 public:
  static Result<TrustAnchors> load_pem(std::string_view pem);
  static Result<TrustAnchors> load_file(const std::string& path);
  x509_store_st* store() const { return store_.get(); }
  size_t size() const { return count_; }

 private:
  std::shared_ptr<x509_store_st> store_;
  size_t count_ = 0;
};

// Chains already verified against one set of trust anchors, so that a call
// signed with a known certificate costs one ES256 verify: the signer's key,
// its TNAuthList and the window in which every certificate of the verified
// path is valid. A call dated outside the window is checked from scratch.
// Bounded (the oldest entry goes); thread-safe (a lock held for the look-up
// and the store only, never for a verification): threads may share one.
class ChainCache {
 public:
  explicit ChainCache(size_t max_entries = 256);
  ~ChainCache();
  ChainCache(const ChainCache&) = delete;
  ChainCache& operator=(const ChainCache&) = delete;
  size_t size() const;
  struct Entry;
  std::shared_ptr<const Entry> find(std::string_view chain, int64_t date) const;
  void put(std::string chain, Entry e);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The certificate step: `chain` is what x5u returned (PEM certificates, the
// signer's first, or one DER certificate). With a cache, a chain verified
// before (for these anchors) is not verified again within its validity.
Verdict verify_with_chain(const Checked& checked, std::string_view chain, const TrustAnchors& anchors,
                          const Call& call, ChainCache* cache = nullptr);
Verdict fetch_failed(std::string_view why);  // 436

// Signing (for a provider that originates calls).
struct SignRequest {
  std::string x5u;
  char attest = 'A';
  std::string orig;
  std::vector<std::string> dest;
  std::string origid;  // a fresh UUID when empty
  int64_t iat = 0;
};
// The signing key: PKCS#8 or SEC1 PEM of an EC P-256 key.
Result<std::shared_ptr<evp_pkey_st>> load_signing_key(std::string_view pem);
// A full-form Identity header field value:
//   HEADER.PAYLOAD.SIGNATURE;info=<x5u>;alg=ES256;ppt=shaken
Result<std::string> sign(const std::shared_ptr<evp_pkey_st>& key, const SignRequest& req);

// Helpers exposed for tests and the fuzz target.
std::string base64url_encode(std::string_view bytes);
Result<std::string> base64url_decode(std::string_view text);
std::string tn_digits(std::string_view tn);
// RFC 8226 TNAuthorizationList (the extension's DER value): the SPCs and the
// numbers/ranges it lists; error when the DER is malformed.
struct TnAuthList {
  std::vector<std::string> spcs;
  std::vector<std::string> tns;
  std::vector<std::pair<std::string, uint64_t>> ranges;  // start, count
  bool covers(std::string_view tn) const;                // true when it lists no number at all
};
Result<TnAuthList> parse_tn_auth_list(std::string_view der);

}  // namespace rampart::channels::stir

// File: src/auth/dkim/dkim.h
// DKIM verification and signing (RFC 6376, RFC 8463 ed25519-sha256, RFC 8301
// algorithm rules) over the async dns::Resolver, with an injected Clock.
//
//   dns::ZoneResolver dns;   // or UnboundResolver / CachingResolver
//   SystemClock clock;
//   dkim::Verifier v(dns, clock);
//   for (const dkim::SignatureResult& r : v.verify_sync(message))
//     printf("%s d=%s s=%s %s\n", dkim::verdict_name(r.result).data(), r.domain.c_str(),
//            r.selector.c_str(), r.reason.c_str());
//   v.verify(message, [](std::vector<dkim::SignatureResult> rs) { ... });   // async
//
//   auto key = dkim::load_private_key(pem);                 // Result<PrivateKey>
//   dkim::SignOptions o;
//   o.domain = "example.com"; o.selector = "s1"; o.timestamp = 1700000000;
//   auto field = dkim::sign(message, *key, o);   // "DKIM-Signature: ...\r\n"
//   out = *field + message;
//
// Primitives for ARC (RFC 8617) and other signers: header_hash_input()
// (h= selection bottom-up, oversigning, the signature field with b= emptied),
// body_hash() and the canonicalizers (canon.h), parse_tag_list()
// (tag_list.h), parse_key_record() and KeyCache + lookup_key() (key
// retrieval with the RFC 6376 6.1.2 rules), sign_data()/verify_data()
// (crypto.h).
//
// Messages may use CRLF or bare LF line ends (bare LF is read as CRLF).
//
// DIAGNOSTICS: one SignatureResult per DKIM-Signature field, top first (at
// most VerifyOptions::max_signatures evaluated; the rest are kNeutral
// "not evaluated"). Results (RFC 8601 2.7.1):
//   kPass       signature and body hash verified
//   kFail       kBodyHash: body hash mismatch; kSignature: signature did
//               not verify; kKey: key revoked (empty p=) or RSA key shorter
//               than min_rsa_bits
//   kTempError  key lookup failed temporarily (SERVFAIL, timeout): 4xx
//   kPermError  signature syntax (any tag), expired (x=), t= in the future,
//               no key record, key record syntax, key unusable (unknown k=,
//               k= not matching a=, h= excluding the hash, s= not email,
//               p= not a key), t=s with i= in a subdomain, l= past the body
//   kPolicy     verified but refused by options (rsa-sha1, l=)
//   kNeutral    not evaluated because a limit was reached, the reason says
//               which: more than max_signatures signatures, h= with more
//               than kMaxSignedHeaders names, a header section cut short by
//               header_limits (more fields or bytes than it allows; then
//               every signature is neutral, and a message whose signatures
//               may all lie past the cut gets one neutral result with
//               field_index == SIZE_MAX)
// `weak` marks rsa-sha1 (RFC 8301); `testing` a key with t=y. Nothing
// throws; a Verifier (and its key cache) belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/dkim/canon.h"
#include "auth/dkim/crypto.h"
#include "auth/dkim/signature.h"
#include "auth/dkim/tag_list.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "dns/resolver.h"
#include "mime/header.h"

namespace rampart::dkim {

enum class Verdict : uint8_t { kPass, kFail, kNeutral, kTempError, kPermError, kPolicy };
std::string_view verdict_name(Verdict v);  // "pass", "fail", ... (RFC 8601 names)

enum class FailKind : uint8_t { kNone, kBodyHash, kSignature, kKey };
std::string_view fail_kind_name(FailKind f);  // "", "body hash", "signature", "key"

struct SignatureResult {
  Verdict result = Verdict::kPermError;
  FailKind fail = FailKind::kNone;
  std::string reason;  // why, for every result but pass
  std::string domain;  // d= (lower-case), when it could be read
  std::string selector;
  std::string identity;   // i=, or "@d"
  std::string algorithm;  // a= as written when unknown, else algorithm_name()
  std::string header_b;   // first 8 characters of b= (RFC 6008 header.b)
  bool weak = false;      // rsa-sha1
  bool testing = false;   // key record t=y
  unsigned key_bits = 0;
  size_t field_index = 0;  // index of the field in HeaderSection::fields()
  std::optional<Signature> signature;
};

// "dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256
// header.b=AbCdEfGh" (RFC 8601 / RFC 6008 property names; comments left out).
std::string method_result(const SignatureResult& r);

struct VerifyOptions {
  size_t max_signatures = 10;
  unsigned min_rsa_bits = 1024;   // RFC 8301: shorter keys fail
  bool allow_sha1 = true;         // false: verified rsa-sha1 -> kPolicy
  bool allow_body_length = true;  // false: signatures with l= -> kPolicy
  int64_t max_clock_skew = 300;   // seconds; t= further ahead is a permerror; <0: no t= check
  size_t key_cache_entries = 4096;
  mime::HeaderLimits header_limits;  // a header section cut short: every result neutral
};

// Parsed public keys keyed by key type and p= text, so a key seen before
// costs a hash lookup instead of d2i_PUBKEY (~130 us). Bounded: cleared when
// full. Not thread-safe (one per Verifier).
class KeyCache {
 public:
  explicit KeyCache(size_t max_entries = 4096) : max_(max_entries) {}
  Result<PublicKey> get(KeyType type, std::string_view p_text, std::string_view der);
  size_t size() const { return map_.size(); }
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, PublicKey, Hash, std::equal_to<>> map_;
  std::string scratch_;
  size_t max_, hits_ = 0, misses_ = 0;
};

// The outcome of fetching a signature's key (RFC 6376 6.1.2).
struct KeyLookup {
  Verdict result = Verdict::kPass;  // kPass: usable; else kTempError / kPermError / kFail
  FailKind fail = FailKind::kNone;
  std::string reason;
  KeyRecord record;
  PublicKey key;
};

// Fetches and checks the key for (algorithm, domain, selector, identity
// domain): TXT at "<selector>._domainkey.<domain>", the first record that
// parses, k=/h=/s=/t=s/p= rules and the RSA size floor.
Task<KeyLookup> lookup_key(dns::Resolver& resolver, KeyCache& cache, const Signature& sig,
                           unsigned min_rsa_bits = 1024);
// The same checks on an answer already in hand (no DNS).
KeyLookup check_key_answer(const dns::Answer& answer, KeyCache& cache, const Signature& sig,
                           unsigned min_rsa_bits = 1024);

// The positions of a header section's fields by lower-case name, built in
// one pass on the first find(), so that h= selection costs one hash lookup
// per name instead of a scan of every field (linear in fields + names,
// whatever h= holds). `headers` must outlive the index.
class HeaderIndex {
 public:
  explicit HeaderIndex(const mime::HeaderSection& headers) : headers_(headers) {}
  // Indices into HeaderSection::fields() of the fields named `lower_name`,
  // top to bottom; nullptr when there is none.
  const std::vector<uint32_t>* find(std::string_view lower_name) const;
  size_t lookups() const { return lookups_; }  // find() calls so far (tests count work with it)
  bool built() const { return built_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  const mime::HeaderSection& headers_;
  mutable std::unordered_map<std::string, std::vector<uint32_t>, Hash, std::equal_to<>> map_;
  mutable size_t lookups_ = 0;
  mutable bool built_ = false;
};

// Below this many (fields x h= names), header_hash_input() scans the fields
// (cheaper than building the index for an ordinary message); above, it
// uses the index. Either way the work is bounded by this or linear.
constexpr size_t kHeaderScanLimit = 4096;

// The header hash input (RFC 6376 3.7 step 2): for each name of `signed_headers`,
// the lowest not yet used field of that name (5.4.2; none left: nothing),
// canonicalized, then `sig_field_without_b` (strip_b_value()) canonicalized
// without its trailing CRLF. Appended to `out`. A scan when fields x names
// <= kHeaderScanLimit, else one index lookup per name; the overload without
// an index makes one when needed.
void header_hash_input(Canon c, const mime::HeaderSection& headers, const HeaderIndex& index,
                       const std::vector<std::string>& signed_headers, std::string_view sig_field_without_b,
                       std::string& out);
void header_hash_input(Canon c, const mime::HeaderSection& headers,
                       const std::vector<std::string>& signed_headers, std::string_view sig_field_without_b,
                       std::string& out);

// Streaming verification (a milter that does not keep a large body): the
// body hashes a message's signatures need, one per distinct (body
// canonicalization, hash, l=) among the first `max_signatures` DKIM-Signature
// fields that parse. Feed the body through one BodyHasher per request and
// pass the results to Verifier::verify_task(message, hashes); `message` then
// needs only the header section (its body may be cut or empty).
struct BodyHashRequest {
  Canon canon = Canon::kSimple;
  HashAlg hash = HashAlg::kSha256;
  std::optional<uint64_t> limit;
  bool operator==(const BodyHashRequest&) const = default;
};
std::vector<BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers,
                                                size_t max_signatures = 10);

struct PrecomputedBodyHash {
  BodyHashRequest request;
  Result<BodyHash> value;  // BodyHasher::finish()
};

class Verifier {
 public:
  Verifier(dns::Resolver& resolver, const Clock& clock, VerifyOptions options = {});
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  using Done = std::function<void(std::vector<SignatureResult>)>;
  // `message` must stay alive until `done` has run.
  void verify(std::string_view message, Done done);
  Task<std::vector<SignatureResult>> verify_task(std::string_view message);
  // With body hashes computed by the caller (body_hash_requests()): a
  // signature whose request is among them uses it instead of hashing the
  // body in `message`.
  Task<std::vector<SignatureResult>> verify_task(std::string_view message,
                                                 std::vector<PrecomputedBodyHash> body_hashes);
  // Runs the resolver until the answer is in (CLI, tests).
  std::vector<SignatureResult> verify_sync(std::string_view message);

  KeyCache& key_cache();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SignOptions {
  std::string domain;                  // d=
  std::string selector;                // s=
  std::optional<Algorithm> algorithm;  // default: rsa-sha256 for RSA keys, ed25519-sha256 for ed25519
  Canon header_canon = Canon::kRelaxed;
  Canon body_canon = Canon::kRelaxed;
  // h=: names as given (a name listed more often than it occurs oversigns).
  // Empty: the fields of default_signed_headers() present in the message.
  std::vector<std::string> headers;
  std::optional<int64_t> timestamp;   // t=
  std::optional<int64_t> expiration;  // x=
  std::string identity;               // i= (empty: none)
  bool body_length = false;           // add l= (the whole canonical body)
  std::string eol = "\r\n";           // line end of the folds and the field
};

// Header limits that read every field of `message` (signers parse their own
// message whole; only verifiers of incoming mail need a cap).
mime::HeaderLimits unlimited_headers(std::string_view message);

// from, reply-to, subject, date, to, cc, message-id, in-reply-to,
// references, mime-version, content-type, content-transfer-encoding, ...
const std::vector<std::string>& default_signed_headers();

// The DKIM-Signature field for `message`, folded at 78 columns, ending with
// `options.eol`. Fails (kInvalidArgument) on a bad domain/selector, a header
// list without From, a key that cannot make the algorithm, rsa-sha1.
Result<std::string> sign(std::string_view message, const PrivateKey& key, const SignOptions& options);

}  // namespace rampart::dkim

// File: src/auth/arc/arc.h
// ARC, the Authenticated Received Chain (RFC 8617): reading the three ARC
// header fields, validating a chain (section 5.2) and sealing a message as an
// intermediary (section 5.1), over the async dns::Resolver with the DKIM key
// cache and primitives (src/auth/dkim).
//
//   dns::ZoneResolver dns;                         // or UnboundResolver / CachingResolver
//   arc::Validator v(dns);                         // or arc::Validator(dns, &verifier.key_cache())
//   arc::ChainResult r = v.validate_sync(message);
//   printf("arc=%s (%s) oldest-pass=%u\n", arc::cv_name(r.cv).data(), r.reason.c_str(), r.oldest_pass);
//   v.validate(message, [](arc::ChainResult r) { ... });   // async; `message` must outlive it
//
//   auto key = dkim::load_private_key(pem);
//   arc::SealOptions o;
//   o.domain = "example.org"; o.selector = "s1"; o.authserv_id = "mx.example.org";
//   o.headers = {"from", "to", "subject"}; o.timestamp = 1700000000;
//   auto set = v.seal_sync(message, *key, o);       // Result<SealOutput>
//   if (set && set->added) out = set->fields() + message;   // AS, AMS, AAR on top
//   auto pure = arc::seal(message, *key, o, arc::Cv::kPass); // no DNS: caller's cv
//
// The chain status a sealer writes (cv=) comes from, in order: SealOptions::cv;
// the "arc=" result in the Authentication-Results fields of authserv_id (the
// intermediary's own verdict, as the ValiMail suite stamps it); validating
// the incoming chain. The sealed fields use the tag order and spacing of the
// ValiMail signing suite (tags sorted, "; " between them, folded only at
// those separators, never inside a value).
//
// Messages may use CRLF or bare LF line ends (bare LF is read as CRLF).
//
// DIAGNOSTICS: validation never fails as a call; it returns a ChainResult:
//   cv=none  no ARC header field at all
//   cv=pass  every step of RFC 8617 5.2 succeeded
//   cv=fail  with `fail` saying which step failed and `reason` in words:
//     kStructure    an ARC field without a readable i=, i= outside 1..50,
//                   a set without exactly one AAR, AMS and AS, gaps
//     kReportedFail an ARC-Seal says cv=fail (the chain was broken upstream;
//                   dkimpy reports this case as "no result")
//     kBadCv        cv=pass at i=1 or cv=none above i=1
//     kSyntax       the latest AMS or an AS has a bad tag (RFC 6376 3.2 tag
//                   list rules, required tags, a= not rsa-sha256 /
//                   ed25519-sha256, AS with h=, AMS h= naming ARC-Seal ...)
//     kAmsFailed    the latest AMS did not verify (key, body hash, signature)
//     kSealFailed   an ARC-Seal did not verify
//     kLimit        not evaluated, a limit was reached (not_evaluated() is
//                   true; the reason names it): the header section was cut
//                   short by ValidateOptions::header_limits, or the latest
//                   AMS's h= lists more than dkim::kMaxSignedHeaders names
//                   (an older AMS over it only counts as not validated for
//                   oldest-pass). Not a verdict on the chain.
//   cv=temperror     with fail=kTemporary: a key lookup failed temporarily
//                    (SERVFAIL, timeout). Not a verdict on the chain: a
//                    4xx / try later (temporary() is true), "arc=temperror".
// Sealing fails (Result error, Errc::kInvalidArgument) on a bad domain,
// selector, authserv-id, header list or key; it returns added=false with a
// reason, and no fields, when the latest ARC-Seal already says cv=fail or
// the chain has 50 sets (RFC 8617 5.1). Nothing throws; a Validator belongs
// to one thread. Work is bounded: at most kMaxArcFields ARC fields are read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim/dkim.h"
#include "core/result.h"
#include "core/task.h"
#include "dns/resolver.h"
#include "mime/header.h"

namespace rampart::arc {

constexpr unsigned kMaxInstance = 50;     // RFC 8617 4.2.1
constexpr size_t kMaxArcFields = 3 * 51;  // more ARC fields than this: fail without parsing

// kTempError is a validation result only (a key lookup failed temporarily):
// never a cv= value, parse_cv() does not read it and seal() refuses it.
enum class Cv : uint8_t { kNone, kPass, kFail, kTempError };
std::string_view cv_name(Cv cv);  // "none", "pass", "fail", "temperror"
// "none" / "pass" / "fail" in any case (RFC 8617 4.1.3 ABNF strings).
std::optional<Cv> parse_cv(std::string_view s);

// ---------------------------------------------------------------- fields

// ARC-Authentication-Results (RFC 8617 4.1.1): "i=N;" then an RFC 8601 payload.
struct AuthResultsField {
  unsigned instance = 0;
  std::string_view payload;  // after the ';' that ends i=N (views into the value)
};
Result<AuthResultsField> parse_aar(std::string_view value);

// ARC-Message-Signature (4.1.2): a DKIM signature with i= as the instance and
// no v=. `sig` holds the DKIM view (identity "@" + d=) for the key lookup.
struct MessageSignature {
  unsigned instance = 0;
  dkim::Signature sig;
};
Result<MessageSignature> parse_ams(std::string_view value);

// ARC-Seal (4.1.3): i, a, b, cv, d, s required; t optional; h= forbidden.
struct Seal {
  unsigned instance = 0;
  Cv cv = Cv::kNone;
  dkim::Signature sig;  // algorithm, signature (b=), domain, selector, timestamp
};
Result<Seal> parse_seal(std::string_view value);

enum class FieldKind : uint8_t { kAar, kAms, kSeal };
// The ARC field kind of a header name, or nullopt.
std::optional<FieldKind> field_kind(std::string_view name);
// The instance of an ARC field value, reading only i= (AAR: the "i=N;" prefix).
Result<unsigned> read_instance(FieldKind kind, std::string_view value);

// ---------------------------------------------------------------- validation

enum class FailReason : uint8_t {
  kNone,
  kStructure,
  kReportedFail,
  kBadCv,
  kSyntax,
  kAmsFailed,
  kSealFailed,
  kTemporary,
  kLimit,  // not evaluated: a limit was reached (header fields, header bytes, AMS h= names)
};
std::string_view fail_reason_name(FailReason f);  // "", "structure", "reported-fail", ...

struct SetResult {
  unsigned instance = 0;
  Cv cv = Cv::kNone;  // as the ARC-Seal declares it
  std::string ams_domain, ams_selector, seal_domain, seal_selector;
  std::optional<bool> ams_valid;   // nullopt: not checked
  std::optional<bool> seal_valid;  // nullopt: not checked
  std::string ams_reason, seal_reason;
};

struct ChainResult {
  Cv cv = Cv::kNone;
  FailReason fail = FailReason::kNone;
  std::string reason;           // why, for fail and none
  unsigned instances = 0;       // N, the highest instance
  unsigned oldest_pass = 0;     // RFC 8617 5.2 step 5: 0 when every AMS validated
  std::vector<SetResult> sets;  // sets[i-1] for instance i (when the structure was read)

  bool temporary() const { return fail == FailReason::kTemporary; }
  bool not_evaluated() const { return fail == FailReason::kLimit; }
};

// "arc=pass header.oldest-pass=2" (RFC 8617 10.1 property; oldest-pass only
// when it is not 0), "arc=fail", "arc=none".
std::string method_result(const ChainResult& r);

struct ValidateOptions {
  unsigned min_rsa_bits = 1024;
  size_t key_cache_entries = 4096;
  mime::HeaderLimits header_limits;
};

struct SealOptions {
  std::string domain;       // d=
  std::string selector;     // s=
  std::string authserv_id;  // the intermediary's ADMD (RFC 8601 authserv-id)
  // AMS h=: names as given (lower-cased); empty: dkim::default_signed_headers()
  // present in the message.
  std::vector<std::string> headers;
  std::optional<int64_t> timestamp;  // t= (absent: no t=)
  std::optional<Cv> cv;              // forces the chain status
  // The results to copy into the AAR ("spf=pass smtp.mailfrom=...; dkim=...").
  // Empty: those of the message's Authentication-Results fields whose
  // authserv-id is `authserv_id`, in message order (the suite's consolidation).
  std::string authentication_results;
  dkim::Canon header_canon = dkim::Canon::kRelaxed;  // AMS c=
  dkim::Canon body_canon = dkim::Canon::kRelaxed;
  std::string eol = "\r\n";  // line end of the new fields and their folds
};

struct SealOutput {
  bool added = false;  // false: nothing to add (reason says why)
  std::string reason;
  unsigned instance = 0;
  Cv cv = Cv::kNone;
  std::string aar, ams, seal;  // whole fields, each ending with SealOptions::eol

  // The three fields in the order they are prepended: AS, AMS, AAR.
  std::string fields() const { return seal + ams + aar; }
};

// Seals with a chain status the caller has established (no DNS).
Result<SealOutput> seal(std::string_view message, const dkim::PrivateKey& key, const SealOptions& options,
                        Cv cv);

// The "arc=" result the intermediary stamped in its own Authentication-Results
// fields (authserv-id `authserv_id`): nullopt when there is none; kFail when
// there are several or the result is not none/pass/fail.
std::optional<Cv> stamped_cv(std::string_view message, std::string_view authserv_id);

// Streaming validation (a milter that does not keep a large body), as
// dkim::body_hash_requests(): the body hashes the ARC-Message-Signatures
// need, one per distinct (body canonicalization, hash, l=), for the AMS of
// the highest instances first, at most `max_requests` (among the first 50
// AMS fields that parse). Feed the body through one dkim::BodyHasher each
// and pass the results to Validator::validate(message, hashes, done).
std::vector<dkim::BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers,
                                                      size_t max_requests = 10);

class Validator {
 public:
  // Keys are parsed through `cache` when given (e.g. a dkim::Verifier's
  // key_cache(), so DKIM and ARC share parsed keys), else through its own.
  explicit Validator(dns::Resolver& resolver, ValidateOptions options = {}, dkim::KeyCache* cache = nullptr);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  using Done = std::function<void(ChainResult)>;
  // `message` must stay alive until `done` has run.
  void validate(std::string_view message, Done done);
  Task<ChainResult> validate_task(std::string_view message);
  // With the body hashes computed by the caller (body_hash_requests()):
  // `message` then needs only the header section. An AMS whose hash is not
  // among them fails ("body hash not computed").
  void validate(std::string_view message, std::vector<dkim::PrecomputedBodyHash> body_hashes, Done done);
  Task<ChainResult> validate_task(std::string_view message,
                                  std::vector<dkim::PrecomputedBodyHash> body_hashes);
  // Runs the resolver until the answer is in (CLI, tests).
  ChainResult validate_sync(std::string_view message);

  // Seals: cv from options, else from stamped_cv(), else by validating.
  Task<Result<SealOutput>> seal_task(std::string_view message, const dkim::PrivateKey& key,
                                     const SealOptions& options);
  Result<SealOutput> seal_sync(std::string_view message, const dkim::PrivateKey& key,
                               const SealOptions& options);

  dkim::KeyCache& key_cache();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::arc

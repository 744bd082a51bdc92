// File: src/auth/dmarc/dmarc.h
// DMARC (RFC 7489): finds the Domain Owner's policy for the RFC5322.From
// domain, checks identifier alignment of the SPF and DKIM results it is given,
// and decides the verdict and the disposition to apply.
//
//   dns::CachingResolver resolver(...);
//   dmarc::Evaluator dmarc(resolver);                 // Options{}: system PSL, real random
//   dmarc::Request req;
//   req.author = dmarc::author_domains(headers);      // mime::HeaderSection of the message
//   req.spf = {dmarc::AuthResult::kPass, "bounce.example.com", dmarc::SpfScope::kMailFrom};
//   req.dkim.push_back({dmarc::AuthResult::kPass, "example.com", "s1", ""});
//   dmarc::Outcome o = dmarc.check_sync(req);         // or dmarc.check(req, callback)
//   o.verdict;       // kPass / kFail / kNone / kTempError / kPermError
//   o.policy;        // requested policy that applies (p, or sp for a subdomain)
//   o.disposition;   // what to do: none / quarantine / reject (after pct sampling)
//
// SPF and DKIM come in as plain results (AuthResult + domain), so this module
// composes with any SPF/DKIM implementation (rampart's spf/ and dkim/, or
// results read back from Authentication-Results).
//
// Rules implemented:
// - author domain (6.6.1): exactly one From field with one mailbox is the
//   normal case; several mailboxes, or several From fields (forbidden by
//   RFC 5322, flagged in Outcome::multiple_from_fields so a caller may
//   reject), are each evaluated and the strictest policy among the failing
//   checks applies; a message with no usable From domain gets kNone
//   (11.2: "no aligned identifier could be extracted");
// - policy discovery (6.6.3): _dmarc.<from>, then _dmarc.<organizational
//   domain> when the first set holds no v=DMARC1 record; several records ->
//   kPermError (no policy applied, step 5); a record that does not parse ->
//   kPermError; "sp" applies when the record came from the organizational
//   domain (6.3);
// - alignment (3.1): relaxed = same organizational domain (orgdomain.h),
//   strict = same name; DMARC passes when SPF or any DKIM signature passes
//   with an aligned identifier (4.2);
// - pct (6.6.4): a failing message is sampled with the injected
//   Options::random_percent (0..99, selected when < pct); when not selected
//   reject becomes quarantine and quarantine becomes none (sampled_out).
//
// DIAGNOSTICS: a DNS timeout/SERVFAIL on either lookup, or a failure without
// any aligned pass when an aligned SPF/DKIM result was temperror, gives
// kTempError (answer 4xx; never a pass). Outcome::reason always says why.
// Disposition is kNone for every verdict but kFail.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "auth/dmarc/record.h"
#include "dns/resolver.h"
#include "mime/header.h"

namespace rampart::dmarc {

enum class Verdict : uint8_t { kNone, kPass, kFail, kTempError, kPermError };
std::string_view verdict_name(Verdict v);  // "none", "pass", "fail", "temperror", "permerror"

// Results of the underlying methods, with the RFC 8601 names.
enum class AuthResult : uint8_t { kNone, kPass, kFail, kSoftFail, kNeutral, kPolicy, kTempError, kPermError };
std::string_view auth_result_name(AuthResult r);
std::optional<AuthResult> parse_auth_result(std::string_view name);  // any case

enum class SpfScope : uint8_t { kMailFrom, kHelo };
std::string_view spf_scope_name(SpfScope s);  // "mfrom" / "helo" (appendix C)

struct SpfInput {
  AuthResult result = AuthResult::kNone;
  // The SPF-authenticated domain: MAIL FROM's domain, or the HELO name when
  // the reverse-path was null (scope kHelo).
  std::string domain;
  SpfScope scope = SpfScope::kMailFrom;
};

struct DkimInput {
  AuthResult result = AuthResult::kNone;
  std::string domain;        // d=
  std::string selector;      // s=
  std::string human_result;  // e.g. the failure reason, for reports
};

constexpr size_t kMaxAuthorDomains = 16;

struct AuthorDomains {
  std::vector<std::string> domains;  // lower-case, deduplicated, message order
  size_t from_fields = 0;
  size_t mailboxes = 0;
  std::string error;  // why no domain could be taken (domains empty)
};

// RFC 6.6.1 over the message's From fields.
AuthorDomains author_domains(const mime::HeaderSection& headers);
// The same over From field bodies given as text (one per field).
AuthorDomains author_domains(const std::vector<std::string>& from_values);

struct Request {
  AuthorDomains author;
  SpfInput spf;
  std::vector<DkimInput> dkim;
};

enum class DiscoveryStatus : uint8_t { kFound, kNone, kTempError, kPermError };

struct Discovery {
  DiscoveryStatus status = DiscoveryStatus::kNone;
  std::optional<Record> record;
  std::string author_domain;     // normalised
  std::string org_domain;        // of author_domain
  std::string policy_domain;     // where the record was found
  bool from_org_domain = false;  // found by the fallback of 6.6.3 step 3
  std::string reason;
};

struct Outcome {
  Verdict verdict = Verdict::kNone;
  std::string header_from;    // the (decisive) author domain
  std::string org_domain;     // its organizational domain
  std::string policy_domain;  // where the record was found; empty when none
  std::optional<Record> record;
  Policy policy = Policy::kNone;         // requested: p, or sp for a subdomain
  bool subdomain_policy = false;         // policy came from "sp"
  Policy disposition = Policy::kNone;    // to apply (after pct); kNone unless kFail
  bool sampled_out = false;              // pct did not select this failing message
  bool dkim_aligned = false;             // aligned DKIM pass (policy_evaluated/dkim)
  bool spf_aligned = false;              // aligned SPF pass (policy_evaluated/spf)
  std::string dkim_domain;               // d= of the first aligned passing signature
  bool dkim_identifier_aligned = false;  // some d= aligned (pass or not)
  bool spf_identifier_aligned = false;   // the SPF domain aligned (pass or not)
  // Index in Request::dkim of the first aligned signature that did not pass
  // (DKIM-Domain/-Selector of a failure report).
  std::optional<size_t> aligned_dkim_failure;
  bool multiple_from_fields = false;
  std::string reason;
  std::vector<Outcome> per_domain;  // one entry per author domain when several

  bool temporary() const { return verdict == Verdict::kTempError; }
};

// Returns 0..99; a failing message is subject to its policy when < pct.
using RandomPercent = std::function<unsigned()>;

// 3.1: strict = same name, relaxed = same organizational domain.
bool aligned(std::string_view authenticated, std::string_view author, Alignment mode,
             const PublicSuffixList& psl);

// The verdict for one author domain from a finished discovery (pure).
Outcome evaluate(const Discovery& d, const SpfInput& spf, const std::vector<DkimInput>& dkim,
                 const PublicSuffixList& psl, const RandomPercent& random_percent);

// Combines per-domain outcomes (6.6.1): any fail -> the strictest failing
// disposition; else temperror, permerror, pass, none in that order.
Outcome combine(std::vector<Outcome> per_domain);

struct Options {
  const PublicSuffixList* psl = nullptr;  // nullptr: PublicSuffixList::system()
  RandomPercent random_percent;           // empty: a per-thread mt19937
};

// External report destinations (7.1).
struct ExternalCheck {
  enum class Status : uint8_t { kSameOrganization, kAuthorized, kUnauthorized, kTempError };
  Status status = Status::kUnauthorized;
  std::string query_name;                  // "<policy-domain>._report._dmarc.<host>" (empty when not needed)
  std::vector<ReportUri> rua_replacement;  // from the destination's record, same host only
  std::vector<ReportUri> ruf_replacement;
  std::string reason;
  bool may_send() const { return status == Status::kSameOrganization || status == Status::kAuthorized; }
};
std::string_view external_status_name(ExternalCheck::Status s);

class Evaluator {
 public:
  explicit Evaluator(dns::Resolver& resolver, Options options = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  using Done = std::function<void(Outcome)>;
  void check(const Request& req, Done done);
  Outcome check_sync(const Request& req);

  void discover(std::string_view author_domain, std::function<void(Discovery)> done);
  Discovery discover_sync(std::string_view author_domain);

  void verify_external(std::string_view policy_domain, const ReportUri& uri,
                       std::function<void(ExternalCheck)> done);
  ExternalCheck verify_external_sync(std::string_view policy_domain, const ReportUri& uri);

  const PublicSuffixList& psl() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::dmarc

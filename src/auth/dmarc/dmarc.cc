// dmarc.cc — DMARC policy discovery, alignment and verdict (RFC 7489 3.1,
// 4.2, 6.6, 7.1) as coroutines over the asynchronous dns::Resolver.
#include "auth/dmarc/dmarc.h"

#include <algorithm>
#include <random>

#include "core/strings.h"
#include "core/task.h"
#include "dns/await.h"
#include "mime/address.h"

// g++ 12 with -fsanitize inlines the coroutine ramp of Impl::run() (a frame
// larger than core/task.h's pooled size classes, so it comes from
// ::operator new) and then reports the class-specific PooledFrame::operator
// delete, which forwards to ::operator delete for such sizes, as a mismatch.
// A false positive; silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace rampart::dmarc {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kNone: return "none";
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kTempError: return "temperror";
    case Verdict::kPermError: return "permerror";
  }
  return "none";
}

std::string_view auth_result_name(AuthResult r) {
  switch (r) {
    case AuthResult::kNone: return "none";
    case AuthResult::kPass: return "pass";
    case AuthResult::kFail: return "fail";
    case AuthResult::kSoftFail: return "softfail";
    case AuthResult::kNeutral: return "neutral";
    case AuthResult::kPolicy: return "policy";
    case AuthResult::kTempError: return "temperror";
    case AuthResult::kPermError: return "permerror";
  }
  return "none";
}

std::optional<AuthResult> parse_auth_result(std::string_view name) {
  static constexpr AuthResult kAll[] = {AuthResult::kNone,      AuthResult::kPass,     AuthResult::kFail,
                                        AuthResult::kSoftFail,  AuthResult::kNeutral,  AuthResult::kPolicy,
                                        AuthResult::kTempError, AuthResult::kPermError};
  for (AuthResult r : kAll)
    if (iequals(name, auth_result_name(r))) return r;
  return std::nullopt;
}

std::string_view spf_scope_name(SpfScope s) { return s == SpfScope::kHelo ? "helo" : "mfrom"; }

std::string_view external_status_name(ExternalCheck::Status s) {
  switch (s) {
    case ExternalCheck::Status::kSameOrganization: return "same-organization";
    case ExternalCheck::Status::kAuthorized: return "authorized";
    case ExternalCheck::Status::kUnauthorized: return "unauthorized";
    case ExternalCheck::Status::kTempError: return "temperror";
  }
  return "unauthorized";
}

namespace {

// A name usable under "_dmarc." (or another prefix of `extra` octets).
bool usable_domain(std::string_view d, size_t extra) {
  if (d.empty() || d.size() + extra > 253 || d.front() == '[') return false;
  size_t start = 0;
  for (size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      size_t len = i - start;
      if (len == 0 || len > 63) return false;
      start = i + 1;
    } else if (static_cast<unsigned char>(d[i]) <= 0x20 || d[i] == 0x7f) {
      return false;
    }
  }
  return true;
}

unsigned default_random_percent() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<unsigned>(gen() % 100);
}

int strictness(Policy p) { return static_cast<int>(p); }

Policy less_strict(Policy p) { return p == Policy::kReject ? Policy::kQuarantine : Policy::kNone; }

struct TxtSet {
  bool temporary = false;
  std::vector<std::string> dmarc;  // records starting with v=DMARC1
  std::string error;
};

TxtSet collect(const dns::AnswerPtr& a) {
  TxtSet s;
  if (!a) {
    s.temporary = true;
    s.error = "no answer";
    return s;
  }
  if (a->temporary()) {
    s.temporary = true;
    s.error = std::string(dns::status_name(a->status));
    if (!a->error.empty()) s.error += ": " + a->error;
    return s;
  }
  if (!a->ok()) return s;
  for (const auto& rec : a->records)
    if (const dns::Txt* t = rec.txt()) {
      std::string text = t->text();
      if (is_dmarc_record(text)) s.dmarc.push_back(std::move(text));
    }
  return s;
}

}  // namespace

// --- author domain (6.6.1) ---------------------------------------------------

AuthorDomains author_domains(const std::vector<std::string>& from_values) {
  AuthorDomains out;
  out.from_fields = from_values.size();
  if (from_values.empty()) {
    out.error = "no From field";
    return out;
  }
  std::string problems;
  for (const auto& v : from_values) {
    auto list = mime::parse_mailbox_list(v);
    if (!list) {
      problems = "unparseable From field: " + list.error().message;
      continue;
    }
    for (const auto& mb : *list) {
      ++out.mailboxes;
      if (mb.domain_literal || mb.domain.empty()) {
        problems = "From address without a usable domain";
        continue;
      }
      std::string d = normalize_domain(mb.domain);
      if (!usable_domain(d, 0)) {
        problems = "invalid From domain \"" + d + "\"";
        continue;
      }
      if (std::find(out.domains.begin(), out.domains.end(), d) == out.domains.end())
        out.domains.push_back(std::move(d));
    }
  }
  if (out.domains.empty()) out.error = problems.empty() ? "From field without addresses" : problems;
  return out;
}

AuthorDomains author_domains(const mime::HeaderSection& headers) {
  std::vector<std::string> values;
  for (const mime::HeaderField* f : headers.all("From")) values.push_back(f->value());
  return author_domains(values);
}

// --- alignment and verdict (3.1, 4.2, 6.6) ------------------------------------

bool aligned(std::string_view authenticated, std::string_view author, Alignment mode,
             const PublicSuffixList& psl) {
  std::string a = normalize_domain(authenticated), b = normalize_domain(author);
  if (a.empty() || b.empty() || a.front() == '[' || b.front() == '[') return false;
  if (a == b) return true;
  if (mode == Alignment::kStrict) return false;
  return psl.organizational_domain(a) == psl.organizational_domain(b);
}

Outcome evaluate(const Discovery& d, const SpfInput& spf, const std::vector<DkimInput>& dkim,
                 const PublicSuffixList& psl, const RandomPercent& random_percent) {
  Outcome o;
  o.header_from = d.author_domain;
  o.org_domain = d.org_domain;
  switch (d.status) {
    case DiscoveryStatus::kNone: o.verdict = Verdict::kNone; break;
    case DiscoveryStatus::kTempError: o.verdict = Verdict::kTempError; break;
    case DiscoveryStatus::kPermError: o.verdict = Verdict::kPermError; break;
    case DiscoveryStatus::kFound: break;
  }
  if (d.status != DiscoveryStatus::kFound || !d.record) {
    o.reason = d.reason;
    o.policy_domain = d.policy_domain;
    return o;
  }
  const Record& rec = *d.record;
  o.record = rec;
  o.policy_domain = d.policy_domain;
  if (d.from_org_domain && d.author_domain != d.policy_domain) {
    o.policy = rec.subdomain_policy();
    o.subdomain_policy = rec.sp.has_value();
  } else {
    o.policy = rec.p;
  }

  bool temp = false;
  std::string temp_what;
  for (size_t i = 0; i < dkim.size(); ++i) {
    const DkimInput& sig = dkim[i];
    if (!aligned(sig.domain, d.author_domain, rec.adkim, psl)) continue;
    o.dkim_identifier_aligned = true;
    if (sig.result != AuthResult::kPass && !o.aligned_dkim_failure) o.aligned_dkim_failure = i;
    if (sig.result == AuthResult::kPass) {
      if (!o.dkim_aligned) o.dkim_domain = normalize_domain(sig.domain);
      o.dkim_aligned = true;
    } else if (sig.result == AuthResult::kTempError) {
      temp = true;
      temp_what = "DKIM d=" + sig.domain;
    }
  }
  if (aligned(spf.domain, d.author_domain, rec.aspf, psl)) {
    o.spf_identifier_aligned = true;
    if (spf.result == AuthResult::kPass) {
      o.spf_aligned = true;
    } else if (spf.result == AuthResult::kTempError) {
      temp = true;
      temp_what = "SPF " + spf.domain;
    }
  }

  const std::string where = "policy of " + d.policy_domain;
  if (o.dkim_aligned || o.spf_aligned) {
    o.verdict = Verdict::kPass;
    if (o.dkim_aligned) {
      o.reason = "aligned DKIM pass (d=" + o.dkim_domain + ")";
      if (o.spf_aligned) o.reason += " and aligned SPF pass (" + spf.domain + ")";
    } else {
      o.reason = "aligned SPF pass (" + normalize_domain(spf.domain) + ")";
    }
    return o;
  }
  if (temp) {
    o.verdict = Verdict::kTempError;
    o.reason = "no aligned pass; temporary error on aligned " + temp_what;
    return o;
  }
  o.verdict = Verdict::kFail;
  o.disposition = o.policy;
  o.reason = "no aligned DKIM or SPF pass (" + where + ": p" + (o.subdomain_policy ? "s" : "") + "=" +
             std::string(policy_name(o.policy)) + ")";
  if (o.policy != Policy::kNone && rec.pct < 100) {
    unsigned r = 0;
    if (rec.pct > 0) r = random_percent ? random_percent() % 100 : default_random_percent();
    if (rec.pct == 0 || r >= rec.pct) {
      o.sampled_out = true;
      o.disposition = less_strict(o.policy);
      o.reason += "; not selected by pct=" + std::to_string(rec.pct) + ", applying " +
                  std::string(policy_name(o.disposition));
    }
  }
  return o;
}

Outcome combine(std::vector<Outcome> per_domain) {
  if (per_domain.empty()) return Outcome{};
  if (per_domain.size() == 1) return std::move(per_domain[0]);
  auto pick = [&](Verdict v) -> const Outcome* {
    const Outcome* best = nullptr;
    for (const auto& o : per_domain) {
      if (o.verdict != v) continue;
      if (!best || strictness(o.disposition) > strictness(best->disposition) ||
          (o.disposition == best->disposition && strictness(o.policy) > strictness(best->policy)))
        best = &o;
    }
    return best;
  };
  const Outcome* decisive = nullptr;
  for (Verdict v : {Verdict::kFail, Verdict::kTempError, Verdict::kPermError, Verdict::kPass, Verdict::kNone})
    if ((decisive = pick(v))) break;
  Outcome out = *decisive;
  std::string names;
  for (const auto& o : per_domain) names += (names.empty() ? "" : ", ") + o.header_from;
  out.reason = std::to_string(per_domain.size()) + " author domains (" + names + "); decisive " +
               out.header_from + ": " + out.reason;
  out.per_domain = std::move(per_domain);
  return out;
}

// --- evaluator ----------------------------------------------------------------

struct Evaluator::Impl {
  Impl(dns::Resolver& r, Options o) : resolver(r), opt(std::move(o)) {
    psl = opt.psl ? opt.psl : &PublicSuffixList::system();
  }
  dns::Resolver& resolver;
  Options opt;
  const PublicSuffixList* psl;

  Task<TxtSet> lookup(std::string name) {
    dns::AnswerPtr a = co_await dns::Lookup(resolver, name, dns::RRType::TXT);
    co_return collect(a);
  }

  // 6.6.3 steps 1-5 for one name; false when nothing was found there.
  static bool take(const TxtSet& set, const std::string& domain, bool fallback, Discovery& d) {
    if (set.temporary) {
      d.status = DiscoveryStatus::kTempError;
      d.reason = "DNS error on _dmarc." + domain + " (" + set.error + ")";
      return true;
    }
    if (set.dmarc.empty()) return false;
    d.policy_domain = domain;
    d.from_org_domain = fallback;
    if (set.dmarc.size() > 1) {
      d.status = DiscoveryStatus::kPermError;
      d.reason = std::to_string(set.dmarc.size()) + " DMARC records at _dmarc." + domain + " (6.6.3 step 5)";
      return true;
    }
    auto rec = parse_record(set.dmarc[0]);
    if (!rec) {
      d.status = DiscoveryStatus::kPermError;
      d.reason = "invalid DMARC record at _dmarc." + domain + ": " + rec.error().message;
      return true;
    }
    d.status = DiscoveryStatus::kFound;
    d.record = std::move(*rec);
    d.reason = "record at _dmarc." + domain;
    return true;
  }

  Task<Discovery> discover(std::string author) {
    Discovery d;
    d.author_domain = normalize_domain(author);
    if (!usable_domain(d.author_domain, 7)) {
      d.status = DiscoveryStatus::kNone;
      d.reason = "author domain \"" + d.author_domain + "\" cannot be looked up";
      co_return d;
    }
    d.org_domain = psl->organizational_domain(d.author_domain);
    TxtSet first = co_await lookup("_dmarc." + d.author_domain);
    if (take(first, d.author_domain, false, d)) co_return d;
    if (d.org_domain != d.author_domain && usable_domain(d.org_domain, 7)) {
      TxtSet second = co_await lookup("_dmarc." + d.org_domain);
      if (take(second, d.org_domain, true, d)) co_return d;
    }
    d.status = DiscoveryStatus::kNone;
    d.reason = "no DMARC record for " + d.author_domain +
               (d.org_domain != d.author_domain ? " or " + d.org_domain : std::string());
    co_return d;
  }

  Task<Outcome> run(Request req) {
    if (req.author.domains.empty()) {
      Outcome o;
      o.verdict = Verdict::kNone;
      o.reason = "no author domain: " + req.author.error;
      o.multiple_from_fields = req.author.from_fields > 1;
      co_return o;
    }
    if (req.author.domains.size() > kMaxAuthorDomains) {
      Outcome o;
      o.verdict = Verdict::kPermError;
      o.reason = std::to_string(req.author.domains.size()) + " author domains (more than " +
                 std::to_string(kMaxAuthorDomains) + ")";
      o.multiple_from_fields = req.author.from_fields > 1;
      co_return o;
    }
    std::vector<Outcome> all;
    for (const auto& domain : req.author.domains) {
      Discovery d = co_await discover(domain);
      all.push_back(evaluate(d, req.spf, req.dkim, *psl, opt.random_percent));
    }
    Outcome out = combine(std::move(all));
    out.multiple_from_fields = req.author.from_fields > 1;
    if (out.multiple_from_fields)
      out.reason += " (message has " + std::to_string(req.author.from_fields) + " From fields)";
    co_return out;
  }

  Task<ExternalCheck> external(std::string policy_domain, ReportUri uri) {
    ExternalCheck c;
    std::string host = uri.host();
    std::string owner = normalize_domain(policy_domain);
    if (host.empty()) {
      c.status = ExternalCheck::Status::kUnauthorized;
      c.reason = "no destination host in " + uri.uri;
      co_return c;
    }
    if (psl->organizational_domain(host) == psl->organizational_domain(owner)) {
      c.status = ExternalCheck::Status::kSameOrganization;
      c.reason = host + " is within the organizational domain of " + owner;
      co_return c;
    }
    c.query_name = owner + "._report._dmarc." + host;
    if (!usable_domain(c.query_name, 0)) {
      c.status = ExternalCheck::Status::kUnauthorized;
      c.reason = "verification name " + c.query_name + " is not a valid domain";
      co_return c;
    }
    TxtSet set = co_await lookup(c.query_name);
    if (set.temporary) {
      c.status = ExternalCheck::Status::kTempError;
      c.reason = "DNS error on " + c.query_name + " (" + set.error + ")";
      co_return c;
    }
    if (set.dmarc.empty()) {
      c.status = ExternalCheck::Status::kUnauthorized;
      c.reason = "no v=DMARC1 record at " + c.query_name;
      co_return c;
    }
    c.status = ExternalCheck::Status::kAuthorized;
    c.reason = "authorized by " + c.query_name;
    if (set.dmarc.size() == 1)
      if (auto rec = parse_record(set.dmarc[0])) {
        for (auto& u : rec->rua)
          if (u.host() == host) c.rua_replacement.push_back(u);
        for (auto& u : rec->ruf)
          if (u.host() == host) c.ruf_replacement.push_back(u);
      }
    co_return c;
  }

  template <typename T, typename Go>
  T drive(Go go) {
    std::optional<T> out;
    go([&](T v) { out = std::move(v); });
    while (!out) resolver.wait(50);
    return std::move(*out);
  }
};

Evaluator::Evaluator(dns::Resolver& resolver, Options options)
    : impl_(std::make_unique<Impl>(resolver, std::move(options))) {}
Evaluator::~Evaluator() = default;

const PublicSuffixList& Evaluator::psl() const { return *impl_->psl; }

void Evaluator::check(const Request& req, Done done) { start(impl_->run(req), std::move(done)); }

Outcome Evaluator::check_sync(const Request& req) {
  return impl_->drive<Outcome>([&](std::function<void(Outcome)> d) { check(req, std::move(d)); });
}

void Evaluator::discover(std::string_view author_domain, std::function<void(Discovery)> done) {
  start(impl_->discover(std::string(author_domain)), std::move(done));
}

Discovery Evaluator::discover_sync(std::string_view author_domain) {
  return impl_->drive<Discovery>(
      [&](std::function<void(Discovery)> d) { discover(author_domain, std::move(d)); });
}

void Evaluator::verify_external(std::string_view policy_domain, const ReportUri& uri,
                                std::function<void(ExternalCheck)> done) {
  start(impl_->external(std::string(policy_domain), uri), std::move(done));
}

ExternalCheck Evaluator::verify_external_sync(std::string_view policy_domain, const ReportUri& uri) {
  return impl_->drive<ExternalCheck>(
      [&](std::function<void(ExternalCheck)> d) { verify_external(policy_domain, uri, std::move(d)); });
}

}  // namespace rampart::dmarc

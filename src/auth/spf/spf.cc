// spf.cc — SPF check_host() (RFC 7208 sections 4, 5, 6) as coroutines over
// the asynchronous dns::Resolver. See spf.h for the contract.
#include "auth/spf/spf.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>
#include <unordered_map>

#include "core/strings.h"
#include "core/task.h"
#include "dns/await.h"
#include "dns/name.h"

namespace rampart::spf {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kNone: return "none";
    case Verdict::kNeutral: return "neutral";
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kSoftFail: return "softfail";
    case Verdict::kTempError: return "temperror";
    case Verdict::kPermError: return "permerror";
  }
  return "?";
}

namespace {

using dns::AnswerPtr;
using dns::RRType;

// A domain usable as an SPF identity or query name (RFC 7208 4.3).
bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 + 1) return false;
  if (d.front() == '[') return false;  // domain literal
  if (d.back() == '.') d.remove_suffix(1);
  const char* p = d.data();
  const char* const end = p + d.size();
  size_t labels = 0;
  for (;;) {
    const void* hit = std::memchr(p, '.', static_cast<size_t>(end - p));
    const char* dot = hit ? static_cast<const char*>(hit) : end;
    const size_t len = static_cast<size_t>(dot - p);
    if (len == 0 || len > 63) return false;
    ++labels;
    if (dot == end) break;
    p = dot + 1;
  }
  return labels >= 2;
}

// SPF names are text in which only the dots have meaning (a domain-spec may
// hold any visible character, RFC 7208 7.1); resolvers read presentation
// form, where a backslash escapes. Only a backslash needs converting: every
// other octet reaches the wire as it is (dns/name.h).
std::string_view query_name(std::string_view text, std::string& buf) {
  if (text.find('\\') == std::string_view::npos) return text;
  buf = dns::text_to_name(text);
  return buf;
}

std::string strip_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

struct HostResult {
  Verdict verdict = Verdict::kNeutral;
  std::string reason;
  std::string mechanism;
  std::string domain;
  std::string explanation;
};

HostResult result(Verdict v, std::string reason, std::string_view domain) {
  HostResult r;
  r.verdict = v;
  r.reason = std::move(reason);
  r.domain = std::string(domain);
  return r;
}

Verdict qualifier_verdict(char q) {
  switch (q) {
    case '-': return Verdict::kFail;
    case '~': return Verdict::kSoftFail;
    case '?': return Verdict::kNeutral;
    default: return Verdict::kPass;
  }
}

// Per-check state, owned by the top-level coroutine.
struct Check {
  const Request* req = nullptr;
  IpAddress ip;
  uint32_t ip4 = 0;            // host order, when ip is IPv4
  std::string sender_storage;  // only when "postmaster" had to be filled in
  std::string_view sender, local_part, sender_domain;
  unsigned lookups = 0;
  unsigned voids = 0;
  bool ptr_done = false;
  std::string validated_ptr = "unknown";
  std::string ptr_for_domain;  // domain the %{p} value was chosen for
};

enum class Match { kNo, kYes, kError };
struct TermOutcome {
  Match match = Match::kNo;
  std::unique_ptr<HostResult> error;  // when kError (rare: kept off the hot path)
};

}  // namespace

struct Evaluator::Impl {
  dns::Resolver& resolver;
  Options opt;
  std::unordered_map<std::string, std::shared_ptr<const Result<Record>>> parsed;

  Result<MacroString> default_exp;
  // Parsed record per TXT answer, keyed by the answer object: a caching
  // resolver hands out the same AnswerPtr until the TTL runs out, so a warm
  // evaluation neither re-selects nor re-parses records.
  struct Selected {
    std::weak_ptr<const dns::Answer> answer;
    std::shared_ptr<const Result<Record>> record;  // null: no record for the scope
    unsigned matches = 0;                          // >1: permerror
  };
  std::unordered_map<const dns::Answer*, Selected> selected[3];

  Impl(dns::Resolver& r, Options o)
      : resolver(r), opt(std::move(o)), default_exp(parse_macro_string(opt.default_explanation, true)) {}

  std::shared_ptr<const Result<Record>> parse_cached(const std::string& text) {
    auto it = parsed.find(text);
    if (it != parsed.end()) return it->second;
    if (parsed.size() > 4096) parsed.clear();
    auto p = std::make_shared<const Result<Record>>(parse_record(text));
    parsed.emplace(text, p);
    return p;
  }

  const Selected& select(const AnswerPtr& txt, Scope scope) {
    auto& map = selected[static_cast<int>(scope)];
    auto it = map.find(txt.get());
    if (it != map.end() && !it->second.answer.expired()) return it->second;
    if (map.size() > 8192) {
      for (auto i = map.begin(); i != map.end();)
        i = i->second.answer.expired() ? map.erase(i) : std::next(i);
      if (map.size() > 8192) map.clear();
    }
    Selected sel;
    sel.answer = txt;
    std::string joined, match_text, spf1_text;
    unsigned matches = 0, spf1s = 0;
    for (const auto& rr : txt->records) {
      const dns::Txt* t = rr.txt();
      if (!t) continue;
      std::string_view text;
      if (t->strings.size() == 1) {
        text = t->strings[0];
      } else {
        joined = t->text();
        text = joined;
      }
      switch (classify_record(text, scope)) {
        case RecordKind::kMatch:
          if (++matches == 1) match_text = text;
          break;
        case RecordKind::kSpf1:
          if (++spf1s == 1) spf1_text = text;
          break;
        case RecordKind::kOther: break;
      }
    }
    // RFC 4406: records for the scope win; v=spf1 only when there are none.
    sel.matches = matches ? matches : spf1s;
    if (sel.matches == 1) sel.record = parse_cached(matches ? match_text : spf1_text);
    auto& slot = map[txt.get()];
    slot = std::move(sel);
    return slot;
  }

  MacroContext macro_ctx(const Check& c, std::string_view domain) const {
    MacroContext m;
    m.sender = c.sender;
    m.local_part = c.local_part;
    m.sender_domain = c.sender_domain;
    m.domain = domain;
    m.ip = &c.ip;
    m.helo = c.req->helo;
    m.validated_ptr = c.validated_ptr;
    m.receiver = c.req->receiver;
    m.timestamp = opt.clock ? opt.clock->unix_seconds() : static_cast<int64_t>(std::time(nullptr));
    return m;
  }

  // Validated names of the client IP (RFC 7208 5.5): PTR, then forward
  // lookups that must include the IP. DNS errors skip names, never fail.
  Task<std::vector<std::string>> validated_names(Check& c) {
    std::vector<std::string> out;
    std::string rev = c.ip.reverse_name() + (c.ip.is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
    AnswerPtr ptr = co_await dns::Lookup(resolver, rev, RRType::PTR);
    if (!ptr || !ptr->ok()) co_return out;
    unsigned n = 0;
    for (const auto& rr : ptr->records) {
      const std::string* name = rr.name();
      if (!name) continue;
      if (++n > opt.max_ptr_names) break;
      AnswerPtr fwd = co_await dns::Lookup(resolver, *name, c.ip.is_v4() ? RRType::A : RRType::AAAA);
      if (!fwd || !fwd->ok()) continue;
      for (const auto& a : fwd->records) {
        if (a.ip() && *a.ip() == c.ip) {
          out.push_back(to_lower(strip_dot(*name)));
          break;
        }
      }
    }
    co_return out;
  }

  static bool is_subdomain(std::string_view name, std::string_view target) {
    if (iequals(name, target)) return true;
    return name.size() > target.size() && iends_with(name, target) &&
           name[name.size() - target.size() - 1] == '.';
  }

  // Computes %{p} for `domain` when a macro-string needs it.
  Task<bool> ensure_ptr(Check& c, const MacroString& ms, std::string_view domain) {
    if (!ms.uses_p || (c.ptr_done && c.ptr_for_domain == domain)) co_return true;
    auto names = co_await validated_names(c);
    c.ptr_done = true;
    c.ptr_for_domain = std::string(domain);
    c.validated_ptr = "unknown";
    for (const auto& n : names)
      if (iequals(n, domain)) {
        c.validated_ptr = n;
        co_return true;
      }
    for (const auto& n : names)
      if (is_subdomain(n, domain)) {
        c.validated_ptr = n;
        co_return true;
      }
    if (!names.empty()) c.validated_ptr = names.front();
    co_return true;
  }

  // Target name of a term without a %{p} macro: no DNS needed.
  Result<std::string> target_name_now(const Check& c, const MacroString& ms, std::string_view domain) const {
    if (ms.empty()) return std::string(domain);
    auto r = expand(ms, macro_ctx(c, domain), true);
    if (!r) return r;
    return strip_dot(std::move(*r));
  }

  Task<Result<std::string>> target_name_ptr(Check& c, const MacroString& ms, std::string_view domain) {
    co_await ensure_ptr(c, ms, domain);
    co_return target_name_now(c, ms, domain);
  }

  // Counts a DNS-querying term against the limit (4.6.4).
  bool count_lookup(Check& c) { return ++c.lookups <= opt.max_dns_mechanisms; }

  // Records a void answer; false when the void limit is exceeded.
  bool count_void(Check& c, const dns::Answer& a) {
    if (a.status == dns::Status::kNxDomain || a.status == dns::Status::kNoData ||
        (a.status == dns::Status::kOk && a.records.empty()))
      ++c.voids;
    return c.voids <= opt.max_void_lookups;
  }

  static bool ip_in(const dns::Answer& a, const IpAddress& ip, unsigned cidr) {
    for (const auto& rr : a.records)
      if (rr.ip() && ip.matches(*rr.ip(), cidr)) return true;
    return false;
  }

  Task<TermOutcome> eval_term(Check& c, const Term& t, std::string_view domain, unsigned depth) {
    TermOutcome out;
    auto error = [&](Verdict v, std::string why) {
      TermOutcome e;
      e.match = Match::kError;
      e.error = std::make_unique<HostResult>(result(v, std::move(why), domain));
      e.error->mechanism = t.text;
      return e;
    };
    if (!count_lookup(c))
      co_return error(Verdict::kPermError, "more than " + std::to_string(opt.max_dns_mechanisms) +
                                               " DNS lookups (at '" + t.text + "')");
    // The target name: the current domain, a constant from the record, or a
    // macro expansion (the only case that allocates).
    std::string_view name = domain;
    std::string expanded;
    if (t.domain_spec.is_constant) {
      name = t.domain_spec.constant;
    } else if (!t.domain_spec.empty()) {
      Result<std::string> target = target_name_now(c, t.domain_spec, domain);
      if (t.domain_spec.uses_p)
        target = co_await target_name_ptr(c, t.domain_spec, domain);  // GCC 12: no co_await in ?:
      if (!target)
        co_return error(Verdict::kPermError, "bad macro in '" + t.text + "': " + target.error().message);
      expanded = std::move(*target);
      name = expanded;
    }
    const unsigned cidr = c.ip.is_v4() ? t.cidr4 : t.cidr6;
    const RRType addr_type = c.ip.is_v4() ? RRType::A : RRType::AAAA;

    switch (t.mechanism) {
      case Mechanism::kInclude: {
        HostResult inner = co_await check_host(c, name, depth + 1, /*detail=*/false);
        switch (inner.verdict) {
          case Verdict::kPass: out.match = Match::kYes; break;
          case Verdict::kFail:
          case Verdict::kSoftFail:
          case Verdict::kNeutral: break;
          case Verdict::kTempError: co_return error(Verdict::kTempError, inner.reason);
          case Verdict::kPermError: co_return error(Verdict::kPermError, inner.reason);
          case Verdict::kNone:
            co_return error(Verdict::kPermError,
                            "included domain '" + std::string(name) + "' has no SPF record");
        }
        co_return out;
      }
      case Mechanism::kA:
      case Mechanism::kExists: {
        if (!valid_domain(name)) {
          // Not a name DNS can hold: treated like a lookup that found nothing.
          ++c.voids;
          if (c.voids > opt.max_void_lookups)
            co_return error(Verdict::kPermError,
                            "more than " + std::to_string(opt.max_void_lookups) + " void lookups");
          co_return out;
        }
        const RRType qt = t.mechanism == Mechanism::kExists ? RRType::A : addr_type;
        std::string qbuf;
        const std::string_view qname = query_name(name, qbuf);
        AnswerPtr a = co_await dns::Lookup(resolver, qname, qt);
        if (a->temporary())
          co_return error(Verdict::kTempError, "DNS " + std::string(dns::status_name(a->status)) +
                                                   " looking up " + std::string(name) + " " +
                                                   std::string(dns::rrtype_name(qt)));
        if (!count_void(c, *a))
          co_return error(Verdict::kPermError,
                          "more than " + std::to_string(opt.max_void_lookups) + " void lookups");
        if (t.mechanism == Mechanism::kExists) {
          if (a->ok() && !a->records.empty()) out.match = Match::kYes;
        } else if (a->ok() && ip_in(*a, c.ip, cidr)) {
          out.match = Match::kYes;
        }
        co_return out;
      }
      case Mechanism::kMx: {
        if (!valid_domain(name)) {
          ++c.voids;
          if (c.voids > opt.max_void_lookups)
            co_return error(Verdict::kPermError,
                            "more than " + std::to_string(opt.max_void_lookups) + " void lookups");
          co_return out;
        }
        std::string qbuf;
        const std::string_view qname = query_name(name, qbuf);
        AnswerPtr mx = co_await dns::Lookup(resolver, qname, RRType::MX);
        if (mx->temporary())
          co_return error(Verdict::kTempError, "DNS " + std::string(dns::status_name(mx->status)) +
                                                   " looking up " + std::string(name) + " MX");
        if (!count_void(c, *mx))
          co_return error(Verdict::kPermError,
                          "more than " + std::to_string(opt.max_void_lookups) + " void lookups");
        if (!mx->ok()) co_return out;
        if (mx->records.size() > opt.max_mx_names)
          co_return error(Verdict::kPermError, "more than " + std::to_string(opt.max_mx_names) +
                                                   " MX records for " + std::string(name));
        for (const auto& rr : mx->records) {
          const dns::Mx* m = rr.mx();
          if (!m || m->exchange.empty() || m->exchange == ".") continue;  // null MX (RFC 7505)
          AnswerPtr a = co_await dns::Lookup(resolver, m->exchange, addr_type);
          if (a->temporary())
            co_return error(Verdict::kTempError,
                            "DNS " + std::string(dns::status_name(a->status)) + " looking up " + m->exchange);
          if (a->ok() && ip_in(*a, c.ip, cidr)) {
            out.match = Match::kYes;
            co_return out;
          }
        }
        co_return out;
      }
      case Mechanism::kPtr: {
        auto names = co_await validated_names(c);
        for (const auto& n : names)
          if (is_subdomain(n, name)) {
            out.match = Match::kYes;
            break;
          }
        co_return out;
      }
      default: co_return error(Verdict::kPermError, "internal: unexpected mechanism");
    }
  }

  // Explanation for a fail (RFC 7208 6.2); empty -> default explanation.
  Task<std::string> explain(Check& c, const Record& rec, std::string_view domain) {
    if (rec.has_exp) {
      Result<std::string> target = target_name_now(c, rec.exp, domain);
      if (rec.exp.uses_p) target = co_await target_name_ptr(c, rec.exp, domain);  // GCC 12: no co_await in ?:
      if (target && valid_domain(*target)) {
        std::string qbuf;
        const std::string_view qname = query_name(*target, qbuf);
        AnswerPtr a = co_await dns::Lookup(resolver, qname, RRType::TXT);
        if (a->ok() && a->records.size() == 1 && a->records[0].txt()) {
          std::string text = a->records[0].txt()->text();
          auto ms = parse_macro_string(text, true);
          if (ms) {
            co_await ensure_ptr(c, *ms, domain);
            auto e = expand(*ms, macro_ctx(c, domain), false);
            if (e) co_return *e;
          }
        }
      }
    }
    co_return co_await default_explanation(c, domain);
  }

  Task<std::string> default_explanation(Check& c, std::string_view domain) {
    if (opt.default_explanation.empty()) co_return std::string();
    if (!default_exp) co_return opt.default_explanation;  // not a valid macro-string: literal
    if (default_exp->uses_p) co_await ensure_ptr(c, *default_exp, domain);
    auto e = expand(*default_exp, macro_ctx(c, domain), false);
    co_return e ? *e : opt.default_explanation;
  }

  // check_host() of RFC 7208 section 4, for a nested or top-level domain.
  // `detail`: build the reason, mechanism and explanation of a match. Off
  // inside include (only the verdict counts there, and an included
  // record's exp= must not be used, 6.2).
  // `domain` must outlive the task: it points into the caller's frame.
  Task<HostResult> check_host(Check& c, std::string_view domain, unsigned depth, bool detail) {
    if (!valid_domain(domain)) {
      co_return result(depth == 0 ? Verdict::kNone : Verdict::kPermError,
                       "'" + std::string(domain) + "' is not a valid domain name", domain);
    }
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (depth > 20) co_return result(Verdict::kPermError, "include/redirect nesting too deep", domain);

    // 4.4 Record lookup, 4.5 selecting records.
    std::string qbuf;
    const std::string_view qname = query_name(domain, qbuf);
    AnswerPtr txt = co_await dns::Lookup(resolver, qname, RRType::TXT);
    if (txt->temporary())
      co_return result(
          Verdict::kTempError,
          "DNS " + std::string(dns::status_name(txt->status)) + " looking up " + std::string(domain) + " TXT",
          domain);
    if (!txt->ok()) {
      co_return result(Verdict::kNone,
                       txt->status == dns::Status::kNxDomain
                           ? "domain " + std::string(domain) + " does not exist"
                           : "no SPF record at " + std::string(domain),
                       domain);
    }
    const Selected& sel = select(txt, c.req->scope);
    if (sel.matches > 1)
      co_return result(Verdict::kPermError, "more than one SPF record at " + std::string(domain), domain);
    if (!sel.record) co_return result(Verdict::kNone, "no SPF record at " + std::string(domain), domain);
    const std::shared_ptr<const Result<Record>> rec_ptr = sel.record;  // owned: the map may be pruned
    if (!*rec_ptr)
      co_return result(
          Verdict::kPermError,
          "syntax error in SPF record of " + std::string(domain) + ": " + rec_ptr->error().message, domain);
    const Record& rec = **rec_ptr;

    for (const Term& t : rec.terms) {
      bool matched = false;
      switch (t.mechanism) {
        case Mechanism::kAll: matched = true; break;
        case Mechanism::kIp4: matched = c.ip.is_v4() && (c.ip4 & t.mask4) == t.net4; break;
        case Mechanism::kIp6: matched = c.ip.is_v6() && c.ip.matches(t.network, t.cidr6); break;
        default: {
          TermOutcome o = co_await eval_term(c, t, domain, depth);
          if (o.match == Match::kError) co_return std::move(*o.error);
          matched = o.match == Match::kYes;
        }
      }
      if (!matched) continue;
      HostResult r;
      r.verdict = qualifier_verdict(t.qualifier);
      if (!detail) co_return r;
      r.reason = "matched '" + t.text + "' in the record of " + std::string(domain);
      r.domain = domain;
      r.mechanism = t.text;
      if (r.verdict == Verdict::kFail) r.explanation = co_await explain(c, rec, domain);
      co_return r;
    }

    if (rec.has_redirect) {
      if (!count_lookup(c))
        co_return result(Verdict::kPermError,
                         "more than " + std::to_string(opt.max_dns_mechanisms) + " DNS lookups (at redirect)",
                         domain);
      Result<std::string> target = target_name_now(c, rec.redirect, domain);
      if (rec.redirect.uses_p)
        target = co_await target_name_ptr(c, rec.redirect, domain);  // GCC 12: no co_await in ?:
      if (!target)
        co_return result(Verdict::kPermError, "bad macro in redirect: " + target.error().message, domain);
      HostResult r = co_await check_host(c, *target, depth + 1, detail);
      if (r.verdict == Verdict::kNone) {
        r.verdict = Verdict::kPermError;
        r.reason = "redirect target '" + *target + "' has no SPF record";
      }
      co_return r;
    }
    if (!detail) co_return result(Verdict::kNeutral, std::string(), std::string_view());
    co_return result(Verdict::kNeutral,
                     "no term matched in the record of " + std::string(domain) + " (default neutral)",
                     domain);
  }

  Task<Outcome> run_owned(Request req, std::string identity, const char* kind) {
    Outcome out;
    co_await run(req, identity, kind, out);
    co_return out;
  }

  Outcome run_sync(const Request& req, bool helo_only);

  // `req` and `identity` must outlive the task (check_sync: the caller's;
  // check(): run_owned's copies).
  // Writes the result into `out` (the caller's), saving the moves of
  // returning an Outcome through the coroutine machinery.
  Task<bool> run(const Request& req, std::string_view identity, const char* kind, Outcome& out) {
    Check c;
    c.req = &req;
    c.ip = req.ip.unmapped();
    if (c.ip.is_v4()) c.ip4 = c.ip.v4_host_order();
    size_t at = identity.rfind('@');
    if (at == std::string_view::npos || at == 0) {
      // No local part: "postmaster" (RFC 7208 4.3).
      c.sender_domain = at == std::string_view::npos ? identity : identity.substr(1);
      c.sender_storage = "postmaster@" + std::string(c.sender_domain);
      c.sender = c.sender_storage;
      c.local_part = c.sender.substr(0, 10);
      c.sender_domain = c.sender.substr(11);
    } else {
      c.sender = identity;
      c.local_part = identity.substr(0, at);
      c.sender_domain = identity.substr(at + 1);
    }
    std::string_view domain = c.sender_domain;
    HostResult r = co_await check_host(c, domain, 0, /*detail=*/true);
    out.result = r.verdict;
    out.reason = std::move(r.reason);
    out.mechanism = std::move(r.mechanism);
    out.domain = r.domain.empty() ? domain : std::move(r.domain);
    out.explanation = std::move(r.explanation);
    out.identity = std::string(identity);
    out.identity_kind = kind;
    out.dns_lookups = std::min(c.lookups, opt.max_dns_mechanisms + 1);
    out.void_lookups = c.voids;
    co_return true;
  }
};

Evaluator::Evaluator(dns::Resolver& resolver, Options options)
    : impl_(std::make_unique<Impl>(resolver, std::move(options))) {}
Evaluator::~Evaluator() = default;

namespace {
// The identity a check evaluates (RFC 7208 2.3, 2.4; RFC 4407 for the PRA).
std::string_view identity_of(const Request& req, bool helo_only, std::string& storage, const char*& kind) {
  if (!helo_only && req.scope == Scope::kSenderIdPra) {
    kind = "pra";
    return req.pra;
  }
  if (!helo_only && !req.mail_from.empty()) {
    kind = "mailfrom";
    return req.mail_from;
  }
  kind = "helo";
  storage = "postmaster@" + req.helo;
  return storage;
}
}  // namespace

void Evaluator::check(const Request& req, Done done) {
  std::string storage;
  const char* kind = nullptr;
  std::string identity(identity_of(req, false, storage, kind));
  start(impl_->run_owned(req, std::move(identity), kind), std::move(done));
}

void Evaluator::check_helo(const Request& req, Done done) {
  std::string storage;
  const char* kind = nullptr;
  std::string identity(identity_of(req, true, storage, kind));
  start(impl_->run_owned(req, std::move(identity), kind), std::move(done));
}

void Evaluator::check_host(const IpAddress& ip, std::string_view domain, std::string_view sender,
                           const Request& ctx, Done done) {
  Request r = ctx;
  r.ip = ip;
  std::string identity(sender);
  if (identity.find('@') == std::string::npos) identity = "postmaster@" + std::string(domain);
  start(impl_->run_owned(std::move(r), std::move(identity), "mailfrom"), std::move(done));
}

Outcome Evaluator::Impl::run_sync(const Request& req, bool helo_only) {
  std::string storage;
  const char* kind = nullptr;
  std::string_view identity = identity_of(req, helo_only, storage, kind);
  Outcome out;
  bool finished = false;
  start(run(req, identity, kind, out), [&finished](bool) { finished = true; });
  while (!finished) resolver.wait(50);
  return out;
}

Outcome Evaluator::check_sync(const Request& req) { return impl_->run_sync(req, false); }

Outcome Evaluator::check_helo_sync(const Request& req) { return impl_->run_sync(req, true); }

std::string received_spf(const Request& req, const Outcome& out) {
  const std::string ip = req.ip.unmapped().to_string();
  const std::string& who = out.identity;
  std::string comment;
  switch (out.result) {
    case Verdict::kPass: comment = "domain of " + who + " designates " + ip + " as permitted sender"; break;
    case Verdict::kFail:
      comment = "domain of " + who + " does not designate " + ip + " as permitted sender";
      break;
    case Verdict::kSoftFail:
      comment = "domain of transitioning " + who + " does not designate " + ip + " as permitted sender";
      break;
    case Verdict::kNeutral: comment = ip + " is neither permitted nor denied by domain of " + who; break;
    case Verdict::kNone: comment = "domain of " + who + " does not designate permitted sender hosts"; break;
    case Verdict::kTempError:
      comment = "error in processing during lookup of " + who + ": " + out.reason;
      break;
    case Verdict::kPermError:
      comment = "permanent error in processing domain of " + who + ": " + out.reason;
      break;
  }
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') q += '\\';
      q += ch;
    }
    return q + "\"";
  };
  // Comments may not carry unbalanced parentheses.
  for (auto& ch : comment)
    if (ch == '(' || ch == ')') ch = ' ';
  std::string h =
      "Received-SPF: " + std::string(verdict_name(out.result)) + " (" + req.receiver + ": " + comment + ")";
  h += " client-ip=" + ip + ";";
  if (out.identity_kind == "helo" || req.mail_from.empty()) {
    h += " envelope-from=" + quote(req.mail_from.empty() ? out.identity : req.mail_from) + ";";
  } else {
    h += " envelope-from=" + quote(req.mail_from) + ";";
  }
  if (!req.helo.empty()) h += " helo=" + quote(req.helo) + ";";
  h += " receiver=" + req.receiver + ";";
  h += " identity=" + out.identity_kind + ";";
  if (!out.mechanism.empty()) h += " mechanism=" + quote(out.mechanism) + ";";
  if (h.back() == ';') h.pop_back();
  return h;
}

}  // namespace rampart::spf

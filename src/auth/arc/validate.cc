// File: src/auth/arc/validate.cc
// ARC chain validation (RFC 8617 5.2) as a coroutine over dns::Resolver, and
// the Validator's sealing entry points; see arc.h.
//
// Per message: bare LF -> CRLF (copy only when needed), one HeaderSection
// parse, ARC fields grouped by instance, the cheap checks of steps 1-3 (no
// DNS), then every distinct key name looked up at once (one batch await),
// then the latest AMS, the older AMSes (oldest-pass) and every AS, each
// with one EVP verify over the dkim primitives.
#include <openssl/err.h>

#include <algorithm>
#include <coroutine>
#include <utility>

#include "auth/arc/arc.h"
#include "auth/arc/sets.h"
#include "core/strings.h"
#include "dns/await.h"

namespace rampart::arc {

using dns::AnswerPtr;
using dns::RRType;

namespace detail {

std::string_view kind_name(FieldKind k) {
  switch (k) {
    case FieldKind::kAar: return "ARC-Authentication-Results";
    case FieldKind::kAms: return "ARC-Message-Signature";
    case FieldKind::kSeal: return "ARC-Seal";
  }
  return "?";
}

ArcSets collect_sets(const mime::HeaderSection& hs) {
  ArcSets s;
  const auto& fields = hs.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    auto kind = field_kind(fields[i].name);
    if (!kind) continue;
    if (++s.count > kMaxArcFields) {
      if (s.error.empty()) s.error = "more than " + std::to_string(kMaxArcFields) + " ARC header fields";
      continue;
    }
    auto inst = read_instance(*kind, fields[i].value_raw);
    if (!inst) {
      if (s.error.empty()) s.error = std::string(kind_name(*kind)) + ": " + inst.error().message;
      continue;
    }
    if (*inst >= s.slots.size()) s.slots.resize(*inst + 1);
    s.slots[*inst].of(*kind).push_back(i);
    if (*inst > s.max_instance) s.max_instance = *inst;
  }
  if (s.slots.empty()) s.slots.resize(1);
  return s;
}

}  // namespace detail

namespace {

using detail::ArcSets;
using detail::Slot;

struct Check {
  bool ok = false;
  bool temporary = false;
  bool limit = false;  // not evaluated (a limit: the body hash was not streamed)
  std::string reason;
};

bool tag_says_fail(std::string_view value) {
  auto tl = dkim::parse_tag_list(value);
  if (!tl) return false;
  const dkim::Tag* cv = tl->find("cv");
  return cv && parse_cv(cv->value) == Cv::kFail;
}

}  // namespace

struct Validator::Impl {
  Impl(dns::Resolver& r, ValidateOptions o, dkim::KeyCache* c)
      : resolver(r), options(std::move(o)), own_cache(options.key_cache_entries), cache(c ? *c : own_cache) {}
  dns::Resolver& resolver;
  ValidateOptions options;
  dkim::KeyCache own_cache;
  dkim::KeyCache& cache;
  std::string buf;

  struct BodyMemo {
    dkim::Canon canon;
    dkim::HashAlg hash;
    std::optional<uint64_t> limit;
    Result<dkim::BodyHash> value;
  };

  // `pre`: body hashes computed by the caller; then the body in `message`
  // is never hashed (it may be cut).
  Task<ChainResult> run(std::string_view message,
                        std::optional<std::vector<dkim::PrecomputedBodyHash>> pre = std::nullopt);
  Check key_for(const dkim::Signature& sig, const std::vector<std::string>& names,
                const std::vector<AnswerPtr>& answers, dkim::KeyLookup& out);
  Check verify_ams(const mime::HeaderSection& hs, const dkim::HeaderIndex& index, std::string_view raw,
                   const dkim::Signature& sig, const std::vector<std::string>& names,
                   const std::vector<AnswerPtr>& answers, std::vector<BodyMemo>& memo, bool streamed);
  Check verify_seal(const mime::HeaderSection& hs, const ArcSets& sets, unsigned instance,
                    const dkim::Signature& sig, const std::vector<std::string>& names,
                    const std::vector<AnswerPtr>& answers);
};

namespace {
// Whether a line of the header section starts with "ARC-" (any case): false
// means the message has no ARC set, so neither the whole message (bare-LF
// check) nor its header section needs to be read. Stops at the first empty
// line; a line that starts with WSP (a fold) or a lone CR is no field start.
bool may_have_arc_fields(std::string_view m) {
  size_t at = 0;
  while (at < m.size()) {
    if (m[at] == '\n' || (m[at] == '\r' && at + 1 < m.size() && m[at + 1] == '\n')) return false;
    if (m.size() - at >= 4 && iequals(m.substr(at, 4), "arc-")) return true;
    const size_t nl = m.find('\n', at);
    if (nl == std::string_view::npos) return false;
    at = nl + 1;
  }
  return false;
}

// The signature check both AMS and AS end with: `data` is the canonicalized
// hash input. A crypto-library error is temporary, a mismatch is a failure.
Check verify_signature(const dkim::KeyLookup& key, const dkim::Signature& sig, const std::string& data) {
  Check c;
  auto ok = dkim::verify_data(key.key, sig.algorithm, data, sig.signature);
  ERR_clear_error();
  if (!ok) {
    c.temporary = true;
    c.reason = "verify: " + ok.error().message;
  } else if (!*ok) {
    c.reason = "signature did not verify";
  } else {
    c.ok = true;
  }
  return c;
}
}  // namespace

Check Validator::Impl::key_for(const dkim::Signature& sig, const std::vector<std::string>& names,
                               const std::vector<AnswerPtr>& answers, dkim::KeyLookup& out) {
  Check c;
  const std::string name = sig.key_name();
  AnswerPtr a;
  for (size_t i = 0; i < names.size() && i < answers.size(); ++i)
    if (names[i] == name) a = answers[i];
  if (!a) {
    auto sf = std::make_shared<dns::Answer>();
    sf->status = dns::Status::kServFail;
    sf->error = "no answer";
    a = std::move(sf);
  }
  out = dkim::check_key_answer(*a, cache, sig, options.min_rsa_bits);
  if (out.result != dkim::Verdict::kPass) {
    c.temporary = out.result == dkim::Verdict::kTempError;
    c.reason = out.reason;
    return c;
  }
  c.ok = true;
  return c;
}

Check Validator::Impl::verify_ams(const mime::HeaderSection& hs, const dkim::HeaderIndex& index,
                                  std::string_view raw, const dkim::Signature& sig,
                                  const std::vector<std::string>& names,
                                  const std::vector<AnswerPtr>& answers, std::vector<BodyMemo>& memo,
                                  bool streamed) {
  dkim::KeyLookup key;
  Check c = key_for(sig, names, answers, key);
  if (!c.ok) return c;
  c.ok = false;
  const dkim::HashAlg alg = dkim::algorithm_hash(sig.algorithm);
  const Result<dkim::BodyHash>* bh = nullptr;
  for (const BodyMemo& m : memo)
    if (m.canon == sig.body_canon && m.hash == alg && m.limit == sig.body_length) bh = &m.value;
  if (!bh && streamed) {
    c.limit = true;
    c.reason = "not evaluated: body hash not computed (the body is not held whole)";
    return c;
  }
  if (!bh) {
    memo.push_back(BodyMemo{sig.body_canon, alg, sig.body_length,
                            dkim::body_hash(sig.body_canon, alg, hs.body(), sig.body_length)});
    bh = &memo.back().value;
  }
  if (!*bh) {
    c.reason = (*bh).error().message;
    return c;
  }
  if ((*bh)->digest != sig.body_hash) {
    c.reason = "body hash did not verify";
    return c;
  }
  auto stripped = dkim::strip_b_value(raw);
  if (!stripped) {
    c.reason = stripped.error().message;
    return c;
  }
  buf.clear();
  dkim::header_hash_input(sig.header_canon, hs, index, sig.signed_headers, *stripped, buf);
  return verify_signature(key, sig, buf);
}

Check Validator::Impl::verify_seal(const mime::HeaderSection& hs, const ArcSets& sets, unsigned instance,
                                   const dkim::Signature& sig, const std::vector<std::string>& names,
                                   const std::vector<AnswerPtr>& answers) {
  dkim::KeyLookup key;
  Check c = key_for(sig, names, answers, key);
  if (!c.ok) return c;
  c.ok = false;
  const auto& fields = hs.fields();
  // RFC 8617 5.1.1: the ARC sets 1..instance in order, AAR, AMS, AS each,
  // relaxed; the AS being checked last, b= emptied, without its CRLF.
  buf.clear();
  for (unsigned j = 1; j <= instance; ++j) {
    const Slot& s = sets.slots[j];
    dkim::canonicalize_header(dkim::Canon::kRelaxed, fields[s.aar.front()].raw, buf);
    dkim::canonicalize_header(dkim::Canon::kRelaxed, fields[s.ams.front()].raw, buf);
    if (j < instance) dkim::canonicalize_header(dkim::Canon::kRelaxed, fields[s.seal.front()].raw, buf);
  }
  auto stripped = dkim::strip_b_value(fields[sets.slots[instance].seal.front()].raw);
  if (!stripped) {
    c.reason = stripped.error().message;
    return c;
  }
  dkim::canonicalize_header(dkim::Canon::kRelaxed, *stripped, buf, /*crlf=*/false);
  return verify_signature(key, sig, buf);
}

Task<ChainResult> Validator::Impl::run(std::string_view message,
                                       std::optional<std::vector<dkim::PrecomputedBodyHash>> pre) {
  if (!may_have_arc_fields(message)) {
    ChainResult none;
    none.reason = "no ARC header fields";
    co_return none;
  }
  std::string crlf;
  if (dkim::to_crlf(message, crlf)) message = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(message, options.header_limits);
  const auto& fields = hs.fields();
  ChainResult r;
  auto set_fail = [&r](FailReason f, std::string why) {
    // A key that could not be fetched says nothing about the chain.
    r.cv = f == FailReason::kTemporary ? Cv::kTempError : Cv::kFail;
    r.fail = f;
    r.reason = std::move(why);
  };

  // A header section cut short by a limit: ARC fields or signed fields past
  // the cut are unknown, so the chain is not evaluated.
  if (hs.truncated()) {
    set_fail(FailReason::kLimit,
             hs.has_defect(mime::DefectKind::kHeaderTooLarge)
                 ? "not evaluated: the header section is larger than the limit of " +
                       std::to_string(options.header_limits.max_header_bytes) + " bytes"
                 : "not evaluated: the message has more header fields than the limit of " +
                       std::to_string(options.header_limits.max_fields));
    co_return r;
  }

  // Step 1: collect the sets.
  const ArcSets sets = detail::collect_sets(hs);
  if (sets.count == 0) {
    r.reason = "no ARC header fields";
    co_return r;
  }
  if (!sets.error.empty()) {
    set_fail(FailReason::kStructure, sets.error);
    co_return r;
  }
  const unsigned n = sets.max_instance;
  r.instances = n;

  // Step 2: the latest seal already reports a failure.
  for (size_t idx : sets.slots[n].seal)
    if (tag_says_fail(fields[idx].value_raw)) {
      set_fail(FailReason::kReportedFail, "ARC-Seal i=" + std::to_string(n) + " reports cv=fail");
      co_return r;
    }

  // Step 3: structure, every seal parsed, cv values.
  for (unsigned i = 1; i <= n; ++i) {
    for (FieldKind k : {FieldKind::kAar, FieldKind::kAms, FieldKind::kSeal}) {
      const size_t count = sets.slots[i].of(k).size();
      if (count == 1) continue;
      set_fail(FailReason::kStructure, (count == 0 ? "no " : std::to_string(count) + " ") +
                                           std::string(detail::kind_name(k)) +
                                           " with i=" + std::to_string(i));
      co_return r;
    }
  }
  std::vector<Seal> seals(n + 1);
  r.sets.resize(n);
  for (unsigned i = 1; i <= n; ++i) {
    auto s = parse_seal(fields[sets.slots[i].seal.front()].value_raw);
    if (!s) {
      set_fail(FailReason::kSyntax, "ARC-Seal i=" + std::to_string(i) + ": " + s.error().message);
      co_return r;
    }
    seals[i] = std::move(*s);
    SetResult& sr = r.sets[i - 1];
    sr.instance = i;
    sr.cv = seals[i].cv;
    sr.seal_domain = seals[i].sig.domain;
    sr.seal_selector = seals[i].sig.selector;
  }
  for (unsigned i = n; i >= 1; --i)
    if (seals[i].cv == Cv::kFail) {
      set_fail(FailReason::kReportedFail, "ARC-Seal i=" + std::to_string(i) + " reports cv=fail");
      co_return r;
    }
  for (unsigned i = 1; i <= n; ++i) {
    const Cv want = i == 1 ? Cv::kNone : Cv::kPass;
    if (seals[i].cv != want) {
      set_fail(FailReason::kBadCv, "ARC-Seal i=" + std::to_string(i) +
                                       " has cv=" + std::string(cv_name(seals[i].cv)) +
                                       ", expected cv=" + std::string(cv_name(want)));
      co_return r;
    }
  }

  // The AMSes: the latest must parse; older ones only count for oldest-pass.
  std::vector<std::optional<MessageSignature>> ams(n + 1);
  for (unsigned i = 1; i <= n; ++i) {
    auto m = parse_ams(fields[sets.slots[i].ams.front()].value_raw);
    SetResult& sr = r.sets[i - 1];
    if (!m) {
      sr.ams_valid = false;
      sr.ams_reason = m.error().message;
      if (i == n) {
        set_fail(FailReason::kSyntax,
                 "ARC-Message-Signature i=" + std::to_string(i) + ": " + m.error().message);
        co_return r;
      }
      continue;
    }
    sr.ams_domain = m->sig.domain;
    sr.ams_selector = m->sig.selector;
    if (m->sig.signed_header_count > dkim::kMaxSignedHeaders) {
      sr.ams_valid = false;
      sr.ams_reason = "not evaluated: h= lists " + std::to_string(m->sig.signed_header_count) +
                      " header names, more than the limit of " + std::to_string(dkim::kMaxSignedHeaders);
      if (i == n) {
        set_fail(FailReason::kLimit, "ARC-Message-Signature i=" + std::to_string(i) + ": " + sr.ams_reason);
        co_return r;
      }
      continue;  // older AMS: counts as not validated for oldest-pass
    }
    ams[i] = std::move(*m);
  }

  // Every distinct key name, looked up at once.
  std::vector<std::string> names;
  auto want = [&names](const dkim::Signature& s) {
    std::string k = s.key_name();
    for (const std::string& x : names)
      if (iequals(x, k)) return;
    names.push_back(std::move(k));
  };
  for (unsigned i = n; i >= 1; --i) {
    if (ams[i]) want(ams[i]->sig);
    want(seals[i].sig);
  }
  std::vector<AnswerPtr> answers;
  co_await dns::LookupAll(resolver, names, RRType::TXT, answers);

  // Step 4: the latest AMS.
  std::vector<BodyMemo> memo;
  memo.reserve(pre ? pre->size() + 2 : 2);
  if (pre)
    for (dkim::PrecomputedBodyHash& h : *pre)
      memo.push_back(BodyMemo{h.request.canon, h.request.hash, h.request.limit, std::move(h.value)});
  const bool streamed = pre.has_value();
  const dkim::HeaderIndex index(hs);
  {
    Check c = verify_ams(hs, index, fields[sets.slots[n].ams.front()].raw, ams[n]->sig, names, answers, memo,
                         streamed);
    SetResult& sr = r.sets[n - 1];
    sr.ams_valid = c.ok;
    sr.ams_reason = c.reason;
    if (!c.ok) {
      set_fail(c.temporary ? FailReason::kTemporary : (c.limit ? FailReason::kLimit : FailReason::kAmsFailed),
               "ARC-Message-Signature i=" + std::to_string(n) + ": " + c.reason);
      co_return r;
    }
  }
  // Step 5: oldest-pass.
  for (unsigned i = n - 1; i >= 1; --i) {
    SetResult& sr = r.sets[i - 1];
    bool ok = false;
    if (ams[i]) {
      Check c = verify_ams(hs, index, fields[sets.slots[i].ams.front()].raw, ams[i]->sig, names, answers,
                           memo, streamed);
      sr.ams_valid = c.ok;
      sr.ams_reason = c.reason;
      ok = c.ok;
    }
    if (!ok) {
      r.oldest_pass = i + 1;
      break;
    }
  }
  // Step 6: every seal, latest first.
  for (unsigned i = n; i >= 1; --i) {
    Check c = verify_seal(hs, sets, i, seals[i].sig, names, answers);
    SetResult& sr = r.sets[i - 1];
    sr.seal_valid = c.ok;
    sr.seal_reason = c.reason;
    if (!c.ok) {
      set_fail(c.temporary ? FailReason::kTemporary : FailReason::kSealFailed,
               "ARC-Seal i=" + std::to_string(i) + ": " + c.reason);
      co_return r;
    }
  }
  // Step 7.
  r.cv = Cv::kPass;
  co_return r;
}

Validator::Validator(dns::Resolver& resolver, ValidateOptions options, dkim::KeyCache* cache)
    : impl_(std::make_unique<Impl>(resolver, std::move(options), cache)) {}
Validator::~Validator() = default;

dkim::KeyCache& Validator::key_cache() { return impl_->cache; }

Task<ChainResult> Validator::validate_task(std::string_view message) { return impl_->run(message); }

void Validator::validate(std::string_view message, Done done) { start(impl_->run(message), std::move(done)); }

Task<ChainResult> Validator::validate_task(std::string_view message,
                                           std::vector<dkim::PrecomputedBodyHash> body_hashes) {
  return impl_->run(message, std::move(body_hashes));
}

void Validator::validate(std::string_view message, std::vector<dkim::PrecomputedBodyHash> body_hashes,
                         Done done) {
  start(impl_->run(message, std::move(body_hashes)), std::move(done));
}

std::vector<dkim::BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers,
                                                      size_t max_requests) {
  constexpr size_t kMaxAmsFields = 50;  // RFC 8617 5.1.1.1: at most 50 sets
  std::vector<std::pair<unsigned, dkim::BodyHashRequest>> found;
  size_t seen = 0;
  for (const mime::HeaderField& f : headers.fields()) {
    if (!f.is("ARC-Message-Signature")) continue;
    if (seen++ >= kMaxAmsFields) break;
    auto ams = parse_ams(f.value_raw);
    if (!ams) continue;
    found.push_back(
        {ams->instance, dkim::BodyHashRequest{ams->sig.body_canon, dkim::algorithm_hash(ams->sig.algorithm),
                                              ams->sig.body_length}});
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<dkim::BodyHashRequest> out;
  for (const auto& [instance, r] : found) {
    if (out.size() >= max_requests) break;
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

ChainResult Validator::validate_sync(std::string_view message) {
  ChainResult out;
  bool done = false;
  validate(message, [&](ChainResult r) {
    out = std::move(r);
    done = true;
  });
  while (!done) impl_->resolver.wait(50);
  return out;
}

Task<Result<SealOutput>> Validator::seal_task(std::string_view message, const dkim::PrivateKey& key,
                                              const SealOptions& options) {
  std::optional<Cv> cv = options.cv;
  if (!cv) cv = stamped_cv(message, options.authserv_id);
  if (!cv || *cv == Cv::kNone) {
    // No verdict of our own (or "none", which only fits a message without a
    // chain): validate the incoming chain.
    ChainResult r = co_await impl_->run(message);
    if (r.temporary()) co_return fail(Errc::kTemporary, "ARC validation: " + r.reason);
    cv = r.cv;
  }
  co_return seal(message, key, options, *cv);
}

Result<SealOutput> Validator::seal_sync(std::string_view message, const dkim::PrivateKey& key,
                                        const SealOptions& options) {
  std::optional<Result<SealOutput>> out;
  start(seal_task(message, key, options), [&](Result<SealOutput> r) { out = std::move(r); });
  while (!out) impl_->resolver.wait(50);
  return std::move(*out);
}

}  // namespace rampart::arc

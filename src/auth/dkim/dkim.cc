// File: src/auth/dkim/dkim.cc
// DKIM verifier (coroutine over dns::Resolver) and signer; see dkim.h.
//
// Per message: bare LF -> CRLF (copy only when needed), one HeaderSection
// parse, every DKIM-Signature parsed, all key lookups started at once (one
// DnsBatch await), then per signature: key checks (cached parsed keys),
// body hash (memoised per canonicalization/hash/l= within the message),
// header hash input, one EVP verify.
#include "auth/dkim/dkim.h"

#include <openssl/err.h>

#include <algorithm>
#include <coroutine>
#include <utility>

#include "core/strings.h"
#include "dns/await.h"

namespace rampart::dkim {

using dns::AnswerPtr;
using dns::RRType;

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kNeutral: return "neutral";
    case Verdict::kTempError: return "temperror";
    case Verdict::kPermError: return "permerror";
    case Verdict::kPolicy: return "policy";
  }
  return "?";
}

std::string_view fail_kind_name(FailKind f) {
  switch (f) {
    case FailKind::kNone: return "";
    case FailKind::kBodyHash: return "body hash";
    case FailKind::kSignature: return "signature";
    case FailKind::kKey: return "key";
  }
  return "?";
}

std::string method_result(const SignatureResult& r) {
  std::string s = "dkim=";
  s += verdict_name(r.result);
  if (!r.domain.empty()) s += " header.d=" + r.domain;
  if (!r.identity.empty() && r.signature) s += " header.i=" + r.identity;
  if (!r.selector.empty()) s += " header.s=" + r.selector;
  if (!r.algorithm.empty()) s += " header.a=" + r.algorithm;
  if (!r.header_b.empty()) s += " header.b=" + r.header_b;
  return s;
}

Result<PublicKey> KeyCache::get(KeyType type, std::string_view p_text, std::string_view der) {
  scratch_.assign(key_type_name(type));
  scratch_.push_back(':');
  scratch_.append(p_text);
  auto it = map_.find(std::string_view(scratch_));
  if (it != map_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  auto k = parse_public_key(type, der);
  ERR_clear_error();
  if (!k) return k;
  if (map_.size() >= max_) map_.clear();
  if (max_ > 0) map_.emplace(scratch_, *k);
  return k;
}

KeyLookup check_key_answer(const dns::Answer& answer, KeyCache& cache, const Signature& sig,
                           unsigned min_rsa_bits) {
  KeyLookup out;
  auto perm = [&](std::string why) {
    out.result = Verdict::kPermError;
    out.fail = FailKind::kKey;
    out.reason = std::move(why);
    return out;
  };
  if (answer.temporary()) {
    out.result = Verdict::kTempError;
    out.fail = FailKind::kKey;
    out.reason = "key lookup failed: " + std::string(dns::status_name(answer.status));
    return out;
  }
  if (answer.status != dns::Status::kOk || answer.records.empty())
    return perm("no key record at " + sig.key_name());
  std::string first_error;
  std::optional<KeyRecord> rec;
  std::string text;
  for (const dns::Record& r : answer.records) {
    const dns::Txt* t = r.txt();
    if (!t) continue;
    text.clear();
    for (const std::string& s : t->strings) text += s;
    auto k = parse_key_record(text);
    if (k) {
      rec = std::move(*k);
      break;
    }
    if (first_error.empty()) first_error = k.error().message;
  }
  if (!rec) return perm(first_error.empty() ? "no key record at " + sig.key_name() : first_error);
  // p_text points into `text`, which is reused below; keep a copy for the cache key.
  std::string p_text(rec->p_text);
  rec->p_text = {};
  if (rec->unknown_type) return perm("key record: unknown key type k=");
  if (rec->revoked()) {
    out.result = Verdict::kFail;
    out.fail = FailKind::kKey;
    out.reason = "key revoked (empty p=)";
    out.record = std::move(*rec);
    return out;
  }
  if (rec->type != algorithm_key_type(sig.algorithm))
    return perm("key type " + std::string(key_type_name(rec->type)) +
                " does not match a=" + std::string(algorithm_name(sig.algorithm)));
  if (!rec->allows(algorithm_hash(sig.algorithm)))
    return perm("key record h= does not allow " + std::string(hash_name(algorithm_hash(sig.algorithm))));
  if (rec->strict && sig.identity_domain() != sig.domain) return perm("key t=s: i= domain must equal d=");
  auto pk = cache.get(rec->type, p_text, rec->public_key);
  if (!pk) return perm("key record p=: " + pk.error().message);
  out.key = std::move(*pk);
  out.record = std::move(*rec);
  if (out.key.type == KeyType::kRsa && out.key.bits < min_rsa_bits) {
    out.result = Verdict::kFail;
    out.fail = FailKind::kKey;
    out.reason = "RSA key of " + std::to_string(out.key.bits) + " bits is shorter than " +
                 std::to_string(min_rsa_bits);
    return out;
  }
  out.result = Verdict::kPass;
  return out;
}

namespace {

AnswerPtr servfail_answer() {
  auto a = std::make_shared<dns::Answer>();
  a->status = dns::Status::kServFail;
  a->error = "no answer";
  return a;
}

// Best-effort d= / s= / a= for results of signatures that do not parse.
void describe_unparsed(std::string_view value, SignatureResult& r) {
  auto tl = parse_tag_list(value);
  if (!tl) return;
  if (const Tag* d = tl->find("d")) r.domain = to_lower(d->value);
  if (const Tag* s = tl->find("s")) r.selector = std::string(s->value);
  if (const Tag* a = tl->find("a")) r.algorithm = std::string(a->value);
  if (const Tag* b = tl->find("b")) r.header_b = strip_fws(b->value).substr(0, 8);
}

}  // namespace

Task<KeyLookup> lookup_key(dns::Resolver& resolver, KeyCache& cache, const Signature& sig,
                           unsigned min_rsa_bits) {
  const std::string name = sig.key_name();
  AnswerPtr a = co_await dns::Lookup(resolver, name, RRType::TXT);
  if (!a) a = servfail_answer();
  co_return check_key_answer(*a, cache, sig, min_rsa_bits);
}

const std::vector<uint32_t>* HeaderIndex::find(std::string_view lower_name) const {
  if (!built_) {
    built_ = true;
    const auto& fields = headers_.fields();
    std::string key;
    for (size_t i = 0; i < fields.size(); ++i) {
      key.assign(fields[i].name);
      for (char& ch : key) ch = ascii_lower(ch);
      auto it = map_.find(std::string_view(key));
      if (it == map_.end()) it = map_.emplace(key, std::vector<uint32_t>{}).first;
      it->second.push_back(static_cast<uint32_t>(i));
    }
  }
  ++lookups_;
  auto it = map_.find(lower_name);
  return it == map_.end() ? nullptr : &it->second;
}

void header_hash_input(Canon c, const mime::HeaderSection& headers, const HeaderIndex& index,
                       const std::vector<std::string>& signed_headers, std::string_view sig_field_without_b,
                       std::string& out) {
  const auto& fields = headers.fields();
  if (fields.size() * signed_headers.size() <= kHeaderScanLimit) {
    // Small: for each name the lowest unused field of that name, by a scan.
    std::vector<bool> used(fields.size(), false);
    for (const std::string& name : signed_headers) {
      for (size_t i = fields.size(); i-- > 0;) {
        if (used[i] || !fields[i].is(name)) continue;
        used[i] = true;
        canonicalize_header(c, fields[i].raw, out);
        break;
      }
    }
    canonicalize_header(c, sig_field_without_b, out, /*crlf=*/false);
    return;
  }
  // Instances of a name already used, counted from the bottom (5.4.2), keyed
  // by the name's position list.
  std::unordered_map<const std::vector<uint32_t>*, uint32_t> taken;
  std::string lower;
  for (const std::string& name : signed_headers) {
    std::string_view key = name;
    if (std::any_of(name.begin(), name.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
      lower = to_lower(name);
      key = lower;
    }
    const std::vector<uint32_t>* pos = index.find(key);
    if (!pos) continue;
    uint32_t& used = taken[pos];
    if (used >= pos->size()) continue;  // listed more often than present: signs nothing
    canonicalize_header(c, fields[(*pos)[pos->size() - 1 - used]].raw, out);
    ++used;
  }
  canonicalize_header(c, sig_field_without_b, out, /*crlf=*/false);
}

void header_hash_input(Canon c, const mime::HeaderSection& headers,
                       const std::vector<std::string>& signed_headers, std::string_view sig_field_without_b,
                       std::string& out) {
  const HeaderIndex index(headers);
  header_hash_input(c, headers, index, signed_headers, sig_field_without_b, out);
}

struct Verifier::Impl {
  Impl(dns::Resolver& r, const Clock& c, VerifyOptions o)
      : resolver(r), clock(c), options(std::move(o)), cache(options.key_cache_entries) {}
  dns::Resolver& resolver;
  const Clock& clock;
  VerifyOptions options;
  KeyCache cache;
  std::string hdr_buf;

  struct BodyMemo {
    Canon canon;
    HashAlg hash;
    std::optional<uint64_t> limit;
    Result<BodyHash> value;
  };

  struct Prepared {
    std::vector<SignatureResult> results;
    std::vector<size_t> pending;     // indices into results awaiting a key
    std::vector<std::string> names;  // key names for `pending`
  };

  Task<std::vector<SignatureResult>> run(std::string_view message, std::vector<PrecomputedBodyHash> pre = {});
  void prepare(const mime::HeaderSection& hs, Prepared& p) const;
  void finish_all(const mime::HeaderSection& hs, Prepared& p, const std::vector<AnswerPtr>& answers,
                  std::vector<PrecomputedBodyHash>& pre);
  void finish(SignatureResult& r, const Signature& sig, const mime::HeaderSection& hs,
              const HeaderIndex& index, std::string_view raw, const dns::Answer& answer,
              std::vector<BodyMemo>& memo);
};

void Verifier::Impl::finish(SignatureResult& r, const Signature& sig, const mime::HeaderSection& hs,
                            const HeaderIndex& index, std::string_view raw, const dns::Answer& answer,
                            std::vector<BodyMemo>& memo) {
  KeyLookup key = check_key_answer(answer, cache, sig, options.min_rsa_bits);
  r.testing = key.record.testing;
  r.key_bits = key.key.bits;
  if (key.result != Verdict::kPass) {
    r.result = key.result;
    r.fail = key.result == Verdict::kFail ? key.fail : FailKind::kNone;
    r.reason = std::move(key.reason);
    return;
  }
  // Body hash, shared by signatures with the same parameters.
  const HashAlg halg = algorithm_hash(sig.algorithm);
  const Result<BodyHash>* bh = nullptr;
  for (const BodyMemo& m : memo)
    if (m.canon == sig.body_canon && m.hash == halg && m.limit == sig.body_length) bh = &m.value;
  if (!bh) {
    memo.push_back(BodyMemo{sig.body_canon, halg, sig.body_length,
                            body_hash(sig.body_canon, halg, hs.body(), sig.body_length)});
    bh = &memo.back().value;
  }
  if (!*bh) {
    r.result = (*bh).error().code == Errc::kParse ? Verdict::kPermError : Verdict::kTempError;
    r.reason = (*bh).error().message;
    return;
  }
  if ((*bh)->digest != sig.body_hash) {
    r.result = Verdict::kFail;
    r.fail = FailKind::kBodyHash;
    r.reason = "body hash did not verify";
    return;
  }
  auto stripped = strip_b_value(raw);
  if (!stripped) {
    r.result = Verdict::kPermError;
    r.reason = stripped.error().message;
    return;
  }
  hdr_buf.clear();
  header_hash_input(sig.header_canon, hs, index, sig.signed_headers, *stripped, hdr_buf);
  auto ok = verify_data(key.key, sig.algorithm, hdr_buf, sig.signature);
  ERR_clear_error();
  if (!ok) {
    r.result = Verdict::kTempError;
    r.reason = "verify: " + ok.error().message;
    return;
  }
  if (!*ok) {
    r.result = Verdict::kFail;
    r.fail = FailKind::kSignature;
    r.reason = "signature did not verify";
    return;
  }
  r.result = Verdict::kPass;
  if (sig.algorithm == Algorithm::kRsaSha1 && !options.allow_sha1) {
    r.result = Verdict::kPolicy;
    r.reason = "rsa-sha1 not accepted (RFC 8301)";
  } else if (sig.body_length && !options.allow_body_length) {
    r.result = Verdict::kPolicy;
    r.reason = "l= body length not accepted";
  } else if (sig.algorithm == Algorithm::kRsaSha1) {
    r.reason = "rsa-sha1 is weak (RFC 8301)";
  }
}

// Every DKIM-Signature field read, checked as far as it can be without DNS;
// `pending` lists the results that wait for their key (kept out of the
// coroutine so its frame stays small).
void Verifier::Impl::prepare(const mime::HeaderSection& hs, Prepared& p) const {
  const auto& fields = hs.fields();
  const int64_t now = clock.unix_seconds();
  // A header section cut short by a limit: the fields past the cut (maybe
  // signed ones, maybe signatures) are unknown, so nothing is evaluated.
  std::string cut;
  if (hs.truncated())
    cut = hs.has_defect(mime::DefectKind::kHeaderTooLarge)
              ? "not evaluated: the header section is larger than the limit of " +
                    std::to_string(options.header_limits.max_header_bytes) + " bytes"
              : "not evaluated: the message has more header fields than the limit of " +
                    std::to_string(options.header_limits.max_fields);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!fields[i].is("DKIM-Signature")) continue;
    SignatureResult r;
    r.field_index = i;
    if (!cut.empty() || p.results.size() >= options.max_signatures) {
      r.result = Verdict::kNeutral;
      r.reason = !cut.empty()
                     ? cut
                     : "not evaluated: more than " + std::to_string(options.max_signatures) + " signatures";
      describe_unparsed(fields[i].value_raw, r);
      p.results.push_back(std::move(r));
      continue;
    }
    auto sig = parse_signature(fields[i].value_raw);
    if (!sig) {
      r.result = Verdict::kPermError;
      r.reason = sig.error().message;
      describe_unparsed(fields[i].value_raw, r);
      p.results.push_back(std::move(r));
      continue;
    }
    r.domain = sig->domain;
    r.selector = sig->selector;
    r.identity = sig->identity;
    r.algorithm = std::string(algorithm_name(sig->algorithm));
    r.header_b = sig->b_value.substr(0, 8);
    r.weak = sig->algorithm == Algorithm::kRsaSha1;
    if (sig->signed_header_count > kMaxSignedHeaders) {
      r.result = Verdict::kNeutral;
      r.reason = "not evaluated: h= lists " + std::to_string(sig->signed_header_count) +
                 " header names, more than the limit of " + std::to_string(kMaxSignedHeaders);
    } else if (sig->expiration && *sig->expiration < now) {
      r.result = Verdict::kPermError;
      r.reason = "signature expired (x=" + std::to_string(*sig->expiration) + ")";
    } else if (options.max_clock_skew >= 0 && sig->timestamp &&
               *sig->timestamp > now + options.max_clock_skew) {
      r.result = Verdict::kPermError;
      r.reason = "signature timestamp t=" + std::to_string(*sig->timestamp) + " is in the future";
    } else {
      p.pending.push_back(p.results.size());
      p.names.push_back(sig->key_name());
    }
    r.signature = std::move(*sig);
    p.results.push_back(std::move(r));
  }
  if (!cut.empty() && p.results.empty()) {
    SignatureResult r;
    r.result = Verdict::kNeutral;
    r.reason = cut + " (DKIM-Signature fields past it are not read)";
    r.field_index = SIZE_MAX;
    p.results.push_back(std::move(r));
  }
}

// Key checks, body hashes and signatures of the pending results.
void Verifier::Impl::finish_all(const mime::HeaderSection& hs, Prepared& p,
                                const std::vector<AnswerPtr>& answers,
                                std::vector<PrecomputedBodyHash>& pre) {
  const HeaderIndex index(hs);
  std::vector<BodyMemo> memo;
  memo.reserve(p.pending.size() + pre.size());
  for (PrecomputedBodyHash& h : pre)
    memo.push_back(BodyMemo{h.request.canon, h.request.hash, h.request.limit, std::move(h.value)});
  for (size_t k = 0; k < p.pending.size(); ++k) {
    SignatureResult& r = p.results[p.pending[k]];
    AnswerPtr a = k < answers.size() && answers[k] ? answers[k] : servfail_answer();
    finish(r, *r.signature, hs, index, hs.fields()[r.field_index].raw, *a, memo);
  }
}

Task<std::vector<SignatureResult>> Verifier::Impl::run(std::string_view message,
                                                       std::vector<PrecomputedBodyHash> pre) {
  std::string crlf;
  if (to_crlf(message, crlf)) message = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(message, options.header_limits);
  Prepared p;
  prepare(hs, p);
  if (!p.pending.empty()) {
    std::vector<AnswerPtr> answers;
    co_await dns::LookupAll(resolver, p.names, RRType::TXT, answers);
    finish_all(hs, p, answers, pre);
  }
  co_return std::move(p.results);
}

Verifier::Verifier(dns::Resolver& resolver, const Clock& clock, VerifyOptions options)
    : impl_(std::make_unique<Impl>(resolver, clock, std::move(options))) {}
Verifier::~Verifier() = default;

KeyCache& Verifier::key_cache() { return impl_->cache; }

Task<std::vector<SignatureResult>> Verifier::verify_task(std::string_view message) {
  return impl_->run(message);
}

Task<std::vector<SignatureResult>> Verifier::verify_task(std::string_view message,
                                                         std::vector<PrecomputedBodyHash> body_hashes) {
  return impl_->run(message, std::move(body_hashes));
}

std::vector<BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers, size_t max_signatures) {
  std::vector<BodyHashRequest> out;
  size_t seen = 0;
  for (const mime::HeaderField& f : headers.fields()) {
    if (!f.is("DKIM-Signature")) continue;
    if (seen++ >= max_signatures) break;
    auto sig = parse_signature(f.value_raw);
    if (!sig) continue;
    const BodyHashRequest r{sig->body_canon, algorithm_hash(sig->algorithm), sig->body_length};
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

void Verifier::verify(std::string_view message, Done done) { start(impl_->run(message), std::move(done)); }

std::vector<SignatureResult> Verifier::verify_sync(std::string_view message) {
  std::vector<SignatureResult> out;
  bool done = false;
  verify(message, [&](std::vector<SignatureResult> r) {
    out = std::move(r);
    done = true;
  });
  while (!done) impl_->resolver.wait(50);
  return out;
}

// ---------------------------------------------------------------- signing

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> h = {"from",
                                             "reply-to",
                                             "subject",
                                             "date",
                                             "to",
                                             "cc",
                                             "message-id",
                                             "in-reply-to",
                                             "references",
                                             "mime-version",
                                             "content-type",
                                             "content-transfer-encoding",
                                             "list-id",
                                             "list-unsubscribe",
                                             "list-unsubscribe-post"};
  return h;
}

namespace {

// Appends "tag" to the field being built, folding before it when the line
// would pass 78 columns.
struct Folder {
  std::string& out;
  const std::string& eol;
  size_t line_len;
  void add(std::string_view piece, bool space_before) {
    const size_t need = piece.size() + (space_before ? 1 : 0);
    if (line_len + need > 78 && line_len > 1) {
      out += eol;
      out += ' ';
      line_len = 1;
    } else if (space_before) {
      out += ' ';
      ++line_len;
    }
    out += piece;
    line_len += piece.size();
  }
};

}  // namespace

mime::HeaderLimits unlimited_headers(std::string_view message) {
  mime::HeaderLimits l;
  l.max_fields = SIZE_MAX;
  l.max_header_bytes = message.size();
  return l;
}

Result<std::string> sign(std::string_view message, const PrivateKey& key, const SignOptions& o) {
  if (!key.pkey) return fail(Errc::kInvalidArgument, "no signing key");
  const std::string domain = to_lower(o.domain);
  if (!plausible_domain(domain))
    return fail(Errc::kInvalidArgument, "domain '" + o.domain + "' is not valid");
  if (!plausible_domain(o.selector))
    return fail(Errc::kInvalidArgument, "selector '" + o.selector + "' is not valid");
  Algorithm alg = key.type == KeyType::kEd25519 ? Algorithm::kEd25519Sha256 : Algorithm::kRsaSha256;
  if (o.algorithm) alg = *o.algorithm;
  if (alg == Algorithm::kRsaSha1) return fail(Errc::kInvalidArgument, "rsa-sha1 is verify-only (RFC 8301)");
  if (algorithm_key_type(alg) != key.type)
    return fail(Errc::kInvalidArgument, "a " + std::string(key_type_name(key.type)) + " key cannot sign " +
                                            std::string(algorithm_name(alg)));
  if (o.eol != "\r\n" && o.eol != "\n") return fail(Errc::kInvalidArgument, "eol must be CRLF or LF");
  if (!o.identity.empty()) {
    const size_t at = o.identity.rfind('@');
    if (at == std::string::npos) return fail(Errc::kInvalidArgument, "identity has no '@'");
    const std::string idom = to_lower(std::string_view(o.identity).substr(at + 1));
    if (!(idom == domain || (idom.size() > domain.size() && iends_with(idom, "." + domain))))
      return fail(Errc::kInvalidArgument, "identity domain must be the domain or a subdomain of it");
    for (char c : o.identity)
      if (static_cast<unsigned char>(c) <= 0x20 || c == ';' || static_cast<unsigned char>(c) >= 0x7f)
        return fail(Errc::kInvalidArgument, "identity has characters that need quoted-printable");
  }
  if (o.timestamp && *o.timestamp < 0) return fail(Errc::kInvalidArgument, "timestamp must not be negative");
  if (o.expiration && o.timestamp && *o.expiration < *o.timestamp)
    return fail(Errc::kInvalidArgument, "expiration before timestamp");

  std::string crlf;
  std::string_view msg = message;
  if (to_crlf(message, crlf)) msg = crlf;
  // Our own message: every field read (a cut header section would sign
  // other fields than a verifier picks).
  const mime::HeaderSection hs = mime::HeaderSection::parse(msg, unlimited_headers(msg));

  std::vector<std::string> names;
  if (o.headers.empty()) {
    for (const std::string& h : default_signed_headers())
      if (hs.first(h)) names.push_back(h);
    if (names.empty() || names.front() != "from") names.insert(names.begin(), "from");
  } else {
    for (const std::string& h : o.headers) {
      std::string_view t = trim(h);
      if (t.empty()) continue;
      for (char c : t)
        if (static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == ';' ||
            static_cast<unsigned char>(c) >= 0x7f)
          return fail(Errc::kInvalidArgument, "header name '" + h + "' is not valid");
      names.push_back(to_lower(t));
    }
  }
  if (names.size() > kMaxSignedHeaders)
    return fail(Errc::kInvalidArgument, "more than " + std::to_string(kMaxSignedHeaders) +
                                            " header names (verifiers would not evaluate the signature)");
  bool has_from = false;
  for (const auto& n : names) has_from = has_from || n == "from";
  if (!has_from) return fail(Errc::kInvalidArgument, "the signed headers must include From (RFC 6376 5.4)");

  auto bh = body_hash(o.body_canon, algorithm_hash(alg), hs.body());
  if (!bh) return tl::unexpected(bh.error());

  std::string f = "DKIM-Signature:";
  Folder fold{f, o.eol, f.size()};
  auto tag = [&](std::string_view t) { fold.add(t, true); };
  tag("v=1;");
  tag("a=" + std::string(algorithm_name(alg)) + ";");
  tag("c=" + std::string(canon_name(o.header_canon)) + "/" + std::string(canon_name(o.body_canon)) + ";");
  tag("d=" + domain + ";");
  tag("s=" + o.selector + ";");
  if (!o.identity.empty()) tag("i=" + o.identity + ";");
  if (o.timestamp) tag("t=" + std::to_string(*o.timestamp) + ";");
  if (o.expiration) tag("x=" + std::to_string(*o.expiration) + ";");
  if (o.body_length) tag("l=" + std::to_string(bh->canonical) + ";");
  // h= folds between names when long.
  for (size_t i = 0; i < names.size(); ++i) {
    std::string piece = (i == 0 ? "h=" : "") + names[i] + (i + 1 == names.size() ? ";" : ":");
    fold.add(piece, i == 0);
  }
  tag("bh=" + base64_encode(bh->digest) + ";");
  tag("b=");
  // Everything after "b=" is the b= value, removed before hashing.
  std::string input;
  input.reserve(1024);
  std::string f_crlf = f;
  if (o.eol == "\n") {
    std::string tmp;
    if (to_crlf(f, tmp)) f_crlf = std::move(tmp);
  }
  header_hash_input(o.header_canon, hs, names, f_crlf, input);
  auto sig = sign_data(key, alg, input);
  ERR_clear_error();
  if (!sig) return tl::unexpected(sig.error());
  const std::string b = base64_encode(*sig);
  for (size_t i = 0; i < b.size();) {
    const size_t room = fold.line_len < 78 ? 78 - fold.line_len : 0;
    if (room < 8) {
      f += o.eol;
      f += ' ';
      fold.line_len = 1;
      continue;
    }
    const size_t take = std::min(room, b.size() - i);
    f.append(b, i, take);
    fold.line_len += take;
    i += take;
  }
  f += o.eol;
  return f;
}

}  // namespace rampart::dkim

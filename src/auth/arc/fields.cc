// File: src/auth/arc/fields.cc
// Parsers of the three ARC header fields (RFC 8617 4.1) over the DKIM tag
// list (RFC 6376 3.2); see arc.h.
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/arc/arc.h"
#include "core/strings.h"

namespace rampart::arc {

using dkim::Tag;
using dkim::TagList;

std::string_view cv_name(Cv cv) {
  switch (cv) {
    case Cv::kNone: return "none";
    case Cv::kPass: return "pass";
    case Cv::kFail: return "fail";
    case Cv::kTempError: return "temperror";
  }
  return "?";
}

std::optional<Cv> parse_cv(std::string_view s) {
  if (iequals(s, "none")) return Cv::kNone;
  if (iequals(s, "pass")) return Cv::kPass;
  if (iequals(s, "fail")) return Cv::kFail;
  return std::nullopt;
}

std::optional<FieldKind> field_kind(std::string_view name) {
  if (iequals(name, "ARC-Authentication-Results")) return FieldKind::kAar;
  if (iequals(name, "ARC-Message-Signature")) return FieldKind::kAms;
  if (iequals(name, "ARC-Seal")) return FieldKind::kSeal;
  return std::nullopt;
}

namespace {

constexpr bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// 1*DIGIT within 1..kMaxInstance.
Result<unsigned> parse_instance(std::string_view v) {
  if (v.empty()) return fail(Errc::kParse, "i= is empty");
  unsigned n = 0;
  for (char c : v) {
    if (!is_digit(c)) return fail(Errc::kParse, "i= is not a number");
    n = n * 10 + static_cast<unsigned>(c - '0');
    if (n > 1000) return fail(Errc::kParse, "i= is larger than " + std::to_string(kMaxInstance));
  }
  if (n < 1 || n > kMaxInstance)
    return fail(Errc::kParse, "i=" + std::to_string(n) + " is outside 1.." + std::to_string(kMaxInstance));
  return n;
}

// 1*12DIGIT (RFC 6376 t=, x=).
Result<int64_t> parse_time(std::string_view v, std::string_view tag) {
  if (v.empty() || v.size() > 12) return fail(Errc::kParse, std::string(tag) + "= is not a timestamp");
  int64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return fail(Errc::kParse, std::string(tag) + "= is not a timestamp");
    n = n * 10 + (c - '0');
  }
  return n;
}

Result<dkim::Algorithm> parse_arc_algorithm(const Tag* a) {
  if (!a) return fail(Errc::kParse, "missing required tag a=");
  auto alg = dkim::parse_algorithm(a->value);
  if (!alg) return tl::unexpected(alg.error());
  if (*alg == dkim::Algorithm::kRsaSha1) return fail(Errc::kParse, "a=rsa-sha1 is not allowed in ARC");
  return *alg;
}

// d=, s=, b= and the instance, common to AMS and AS.
Status parse_common(const TagList& tl, unsigned& instance, dkim::Signature& s) {
  const Tag* ti = tl.find("i");
  if (!ti) return fail(Errc::kParse, "missing required tag i=");
  auto inst = parse_instance(ti->value);
  if (!inst) return tl::unexpected(inst.error());
  instance = *inst;
  auto alg = parse_arc_algorithm(tl.find("a"));
  if (!alg) return tl::unexpected(alg.error());
  s.algorithm = *alg;
  const Tag* tb = tl.find("b");
  if (!tb) return fail(Errc::kParse, "missing required tag b=");
  s.b_value = dkim::strip_fws(tb->value);
  auto b = dkim::base64_decode(s.b_value);
  if (!b) return fail(Errc::kParse, "b=: " + b.error().message);
  if (b->empty()) return fail(Errc::kParse, "b= is empty");
  s.signature = std::move(*b);
  const Tag* td = tl.find("d");
  if (!td) return fail(Errc::kParse, "missing required tag d=");
  s.domain = to_lower(td->value);
  if (!dkim::plausible_domain(s.domain)) return fail(Errc::kParse, "d= is not a domain name");
  const Tag* ts = tl.find("s");
  if (!ts) return fail(Errc::kParse, "missing required tag s=");
  s.selector = std::string(ts->value);
  if (!dkim::plausible_domain(s.selector)) return fail(Errc::kParse, "s= is not a valid selector");
  if (s.key_name().size() > 253) return fail(Errc::kParse, "s=._domainkey.d= is longer than 253 characters");
  s.identity = "@" + s.domain;
  if (const Tag* tt = tl.find("t")) {
    auto t = parse_time(tt->value, "t");
    if (!t) return tl::unexpected(t.error());
    s.timestamp = *t;
  }
  return {};
}

}  // namespace

Result<AuthResultsField> parse_aar(std::string_view value) {
  // [FWS] "i" [FWS] "=" [FWS] 1*DIGIT [FWS] ";" payload
  size_t p = 0;
  auto skip = [&] {
    while (p < value.size() && is_fws(value[p])) ++p;
  };
  skip();
  if (p >= value.size() || value[p] != 'i')
    return fail(Errc::kParse, "ARC-Authentication-Results does not start with i=");
  ++p;
  skip();
  if (p >= value.size() || value[p] != '=')
    return fail(Errc::kParse, "ARC-Authentication-Results does not start with i=");
  ++p;
  skip();
  const size_t d0 = p;
  while (p < value.size() && is_digit(value[p])) ++p;
  auto inst = parse_instance(value.substr(d0, p - d0));
  if (!inst) return tl::unexpected(inst.error());
  skip();
  if (p >= value.size() || value[p] != ';')
    return fail(Errc::kParse, "ARC-Authentication-Results: no ';' after i=");
  AuthResultsField f;
  f.instance = *inst;
  f.payload = value.substr(p + 1);
  if (trim(f.payload).empty()) return fail(Errc::kParse, "ARC-Authentication-Results has no authserv-id");
  return f;
}

Result<MessageSignature> parse_ams(std::string_view value) {
  auto tl = dkim::parse_tag_list(value);
  if (!tl) return tl::unexpected(tl.error());
  MessageSignature m;
  dkim::Signature& s = m.sig;
  if (auto st = parse_common(*tl, m.instance, s); !st) return tl::unexpected(st.error());
  const Tag* tbh = tl->find("bh");
  if (!tbh) return fail(Errc::kParse, "missing required tag bh=");
  auto bh = dkim::base64_decode(tbh->value);
  if (!bh) return fail(Errc::kParse, "bh=: " + bh.error().message);
  if (bh->empty()) return fail(Errc::kParse, "bh= is empty");
  s.body_hash = std::move(*bh);
  // Without c=, ARC reads relaxed/relaxed (dkimpy, the ValiMail suite's
  // ams_fields_c_na), not DKIM's simple/simple.
  s.header_canon = dkim::Canon::kRelaxed;
  s.body_canon = dkim::Canon::kRelaxed;
  if (const Tag* c = tl->find("c")) {
    std::string_view v = c->value;
    const size_t slash = v.find('/');
    auto hc = dkim::parse_canon(trim(v.substr(0, slash)));
    if (!hc) return fail(Errc::kParse, "c=: " + hc.error().message);
    s.header_canon = *hc;
    if (slash != std::string_view::npos) {
      auto bc = dkim::parse_canon(trim(v.substr(slash + 1)));
      if (!bc) return fail(Errc::kParse, "c=: " + bc.error().message);
      s.body_canon = *bc;
    }
  }
  const Tag* th = tl->find("h");
  if (!th) return fail(Errc::kParse, "missing required tag h=");
  for (std::string_view h : dkim::split_colon_list(th->value)) {
    for (char c : h)
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
        return fail(Errc::kParse, "h= has an invalid header name");
    if (iequals(h, "arc-seal")) return fail(Errc::kParse, "h= names ARC-Seal (RFC 8617 4.1.2)");
    // As in DKIM: every name checked, the first kMaxSignedHeaders kept.
    if (++s.signed_header_count <= dkim::kMaxSignedHeaders) s.signed_headers.push_back(to_lower(h));
  }
  if (const Tag* tlen = tl->find("l")) {
    auto l = parse_time(tlen->value, "l");
    if (!l) return tl::unexpected(l.error());
    s.body_length = static_cast<uint64_t>(*l);
  }
  if (const Tag* tx = tl->find("x")) {
    auto x = parse_time(tx->value, "x");
    if (!x) return tl::unexpected(x.error());
    s.expiration = *x;
  }
  return m;
}

Result<Seal> parse_seal(std::string_view value) {
  auto tl = dkim::parse_tag_list(value);
  if (!tl) return tl::unexpected(tl.error());
  Seal a;
  if (auto st = parse_common(*tl, a.instance, a.sig); !st) return tl::unexpected(st.error());
  const Tag* tcv = tl->find("cv");
  if (!tcv) return fail(Errc::kParse, "missing required tag cv=");
  auto cv = parse_cv(tcv->value);
  if (!cv) return fail(Errc::kParse, "cv=" + std::string(tcv->value) + " is not none, pass or fail");
  a.cv = *cv;
  if (tl->find("h")) return fail(Errc::kParse, "ARC-Seal must not have h= (RFC 8617 4.1.3)");
  return a;
}

Result<unsigned> read_instance(FieldKind kind, std::string_view value) {
  if (kind == FieldKind::kAar) {
    auto f = parse_aar(value);
    if (!f) return tl::unexpected(f.error());
    return f->instance;
  }
  auto tl = dkim::parse_tag_list(value);
  if (!tl) return tl::unexpected(tl.error());
  const Tag* ti = tl->find("i");
  if (!ti) return fail(Errc::kParse, "missing required tag i=");
  return parse_instance(ti->value);
}

std::string_view fail_reason_name(FailReason f) {
  switch (f) {
    case FailReason::kNone: return "";
    case FailReason::kStructure: return "structure";
    case FailReason::kReportedFail: return "reported-fail";
    case FailReason::kBadCv: return "bad-cv";
    case FailReason::kSyntax: return "syntax";
    case FailReason::kAmsFailed: return "ams";
    case FailReason::kSealFailed: return "seal";
    case FailReason::kTemporary: return "temporary";
    case FailReason::kLimit: return "limit";
  }
  return "?";
}

std::string method_result(const ChainResult& r) {
  std::string s = "arc=";
  s += cv_name(r.cv);
  if (r.cv == Cv::kPass && r.oldest_pass > 0) s += " header.oldest-pass=" + std::to_string(r.oldest_pass);
  return s;
}

}  // namespace rampart::arc

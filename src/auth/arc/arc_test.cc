// File: src/auth/arc/arc_test.cc
// ARC unit tests: field parsers, the RFC 8617 5.2 steps one by one on chains
// sealed here (three hops, a tampered hop, oldest-pass), sealing rules of
// 5.1 (cv from the stamp or by validation, no set after cv=fail, 50 sets),
// ed25519, bare-LF input, DNS failures as temporary, hostile input. The
// ValiMail suite runs in tests/arc_conformance_test.cc.
#include "auth/arc/arc.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "auth/dkim/test_util.h"
#include "dns/zone_resolver.h"

namespace rampart::arc {
namespace {

using dkim::testing::generate_pem;
using dkim::testing::key_record;
using dkim::testing::txt_record;

const char* const kMessage =
    "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=a@example.com;\r\n"
    "  dkim=pass header.d=example.com\r\n"
    "From: Alice <a@example.com>\r\n"
    "To: list@example.net\r\n"
    "Subject: hello\r\n"
    "Date: Thu, 14 Jan 2021 15:00:01 -0800\r\n"
    "\r\n"
    "Hi,\r\n"
    "  ARC test.\r\n";

struct Fixture : ::testing::Test {
  void SetUp() override {
    auto k = dkim::load_private_key(generate_pem(dkim::KeyType::kRsa, 1024));
    ASSERT_TRUE(k);
    rsa = *k;
    dns.add("s1._domainkey.example.net", txt_record(key_record(rsa)));
    dns.add("s1._domainkey.example.org", txt_record(key_record(rsa)));
  }
  SealOptions opts(const std::string& domain, const std::string& srv) {
    SealOptions o;
    o.domain = domain;
    o.selector = "s1";
    o.authserv_id = srv;
    o.headers = {"from", "to", "subject", "date"};
    o.timestamp = 1700000000;
    return o;
  }
  // Seals `m` at `domain`, returning the sealed message.
  std::string hop(const std::string& m, const std::string& domain, std::optional<Cv> cv = std::nullopt) {
    Validator v(dns);
    SealOptions o = opts(domain, "mx." + domain);
    o.cv = cv;
    auto out = v.seal_sync(m, rsa, o);
    EXPECT_TRUE(out) << (out ? "" : out.error().message);
    if (!out) return m;
    EXPECT_TRUE(out->added) << out->reason;
    return out->fields() + m;
  }
  dns::ZoneResolver dns;
  dkim::PrivateKey rsa;
};

TEST(ArcFields, Parsers) {
  auto aar = parse_aar(" i = 3 ; mx.example.org; spf=pass");
  ASSERT_TRUE(aar);
  EXPECT_EQ(aar->instance, 3u);
  EXPECT_EQ(aar->payload, " mx.example.org; spf=pass");
  EXPECT_FALSE(parse_aar("mx.example.org; i=1; spf=pass"));  // not prefixed
  EXPECT_FALSE(parse_aar("i=1 mx.example.org; spf=pass"));   // no ';'
  EXPECT_FALSE(parse_aar("i=0; mx"));
  EXPECT_FALSE(parse_aar("i=51; mx"));
  EXPECT_FALSE(parse_aar("i=1;  "));
  EXPECT_FALSE(parse_aar("i=99999999999999999999; mx"));

  const std::string ams = "i=2; a=rsa-sha256; d=Example.ORG; s=s1; h=From : to; bh=AAAA; b=AA AA";
  auto m = parse_ams(ams);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->instance, 2u);
  EXPECT_EQ(m->sig.domain, "example.org");
  EXPECT_EQ(m->sig.signed_headers, (std::vector<std::string>{"from", "to"}));
  EXPECT_EQ(m->sig.header_canon, dkim::Canon::kRelaxed);  // no c=: relaxed/relaxed
  EXPECT_EQ(m->sig.body_canon, dkim::Canon::kRelaxed);
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha1; d=e.org; s=s; h=from; bh=AAAA; b=AAAA"));
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha256; d=e.org; s=s; h=from:arc-seal; bh=AAAA; b=AAAA"));
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha256; d=e.org; s=s; bh=AAAA; b=AAAA"));  // no h=
  EXPECT_TRUE(parse_ams("i=1; a=rsa-sha256; d=e.org; s=s; h=; bh=AAAA; b=AAAA; foo=bar"));
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha256; d=e.org; s=s; h=from; bh=AAAA; b=AAAA; t="));
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha256; d=e..org; s=s; h=from; bh=AAAA; b=AAAA"));
  EXPECT_FALSE(parse_ams("i=1; a=rsa-sha256; d=e.org; s=s; h=from; bh=AAAA; b=AAAA; c="));

  auto s = parse_seal("i=1; a=rsa-sha256; cv=None; d=example.org; s=s1; t=5; b=AAAA");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->cv, Cv::kNone);
  EXPECT_EQ(s->sig.timestamp, 5);
  EXPECT_FALSE(parse_seal("i=1; a=rsa-sha256; cv=maybe; d=example.org; s=s1; b=AAAA"));
  EXPECT_FALSE(parse_seal("i=1; a=rsa-sha256; d=example.org; s=s1; b=AAAA"));  // no cv=
  EXPECT_FALSE(parse_seal("i=1; a=rsa-sha256; cv=none; d=example.org; s=s1; h=from; b=AAAA"));
  EXPECT_FALSE(parse_seal("i=1; a=rsa-sha256; cv=none; d=example.org; s=s1; b="));
  EXPECT_FALSE(parse_seal("i=1; i=1; a=rsa-sha256; cv=none; d=example.org; s=s1; b=AAAA"));

  EXPECT_EQ(field_kind("arc-SEAL"), FieldKind::kSeal);
  EXPECT_EQ(read_instance(FieldKind::kAms, "a=b; i=7"), 7u);
  EXPECT_FALSE(read_instance(FieldKind::kSeal, "i=x"));
}

TEST_F(Fixture, NoChainIsNone) {
  Validator v(dns);
  ChainResult r = v.validate_sync(kMessage);
  EXPECT_EQ(r.cv, Cv::kNone);
  EXPECT_EQ(method_result(r), "arc=none");
  EXPECT_EQ(v.validate_sync("").cv, Cv::kNone);
}

// Messages without ARC fields are answered from a scan of the header
// section's line starts; ARC fields in any case, after many fields or with
// bare LF line ends are still found and validated.
TEST_F(Fixture, ArcFieldsFoundWhereverTheyStart) {
  Validator v(dns);
  const std::string sealed = hop(kMessage, "example.net");
  ASSERT_EQ(v.validate_sync(sealed).cv, Cv::kPass);
  std::string lower = sealed;
  for (const char* name : {"ARC-Seal:", "ARC-Message-Signature:", "ARC-Authentication-Results:"})
    for (size_t at = lower.find(name); at != std::string::npos; at = lower.find(name, at + 1))
      for (size_t k = 0; k < 4; ++k) lower[at + k] = static_cast<char>(std::tolower(lower[at + k]));
  EXPECT_EQ(v.validate_sync(lower).cv, Cv::kPass) << lower;
  std::string many;
  for (int i = 0; i < 50; ++i) many += "X-Trace: hop " + std::to_string(i) + "\r\n";
  EXPECT_EQ(v.validate_sync(many + sealed).cv, Cv::kPass);
  std::string lf;
  for (char c : sealed)
    if (c != '\r') lf += c;
  EXPECT_EQ(v.validate_sync(lf).cv, Cv::kPass);
  // "ARC-" only in a fold or in the body: no set.
  ChainResult r =
      v.validate_sync(std::string("Subject: x\r\n ARC-Seal: i=1\r\n") + kMessage + "ARC-Seal: i=1\r\n");
  EXPECT_EQ(r.cv, Cv::kNone);
  EXPECT_EQ(r.reason, "no ARC header fields");
  // A broken set is still evaluated (and fails), not taken for none.
  EXPECT_EQ(v.validate_sync("arc-seal: i=1; cv=none\r\n" + std::string(kMessage)).cv, Cv::kFail);
}

TEST_F(Fixture, ThreeHopsPass) {
  std::string m = hop(kMessage, "example.net");
  m = "Authentication-Results: mx.example.org; arc=pass\r\n" + m;
  m = hop(m, "example.org");
  m = hop(m, "example.net");
  Validator v(dns);
  ChainResult r = v.validate_sync(m);
  EXPECT_EQ(r.cv, Cv::kPass) << r.reason;
  EXPECT_EQ(r.instances, 3u);
  EXPECT_EQ(r.oldest_pass, 0u);
  ASSERT_EQ(r.sets.size(), 3u);
  EXPECT_EQ(r.sets[0].cv, Cv::kNone);
  EXPECT_EQ(r.sets[2].cv, Cv::kPass);
  EXPECT_TRUE(r.sets[1].seal_valid.value_or(false));
  EXPECT_EQ(r.sets[1].seal_domain, "example.org");
  EXPECT_EQ(method_result(r), "arc=pass");
}

TEST_F(Fixture, StampOrValidationDecidesCv) {
  std::string m1 = hop(kMessage, "example.net");
  // No stamp from mx.example.org: the chain is validated (pass).
  Validator v(dns);
  auto out = v.seal_sync(m1, rsa, opts("example.org", "mx.example.org"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->cv, Cv::kPass);
  EXPECT_EQ(out->instance, 2u);
  EXPECT_NE(out->aar.find("i=2; mx.example.org; arc=pass"), std::string::npos) << out->aar;
  // The stamp wins over validation (the intermediary's own verdict).
  auto out2 = v.seal_sync("Authentication-Results: mx.example.org; arc=fail\r\n" + m1, rsa,
                          opts("example.org", "mx.example.org"));
  ASSERT_TRUE(out2);
  EXPECT_EQ(out2->cv, Cv::kFail);
  // A chain whose latest seal says cv=fail gets no new set (RFC 8617 5.1).
  const std::string failed = out2->fields() + m1;
  auto out3 = v.seal_sync(failed, rsa, opts("example.net", "mx.example.net"));
  ASSERT_TRUE(out3);
  EXPECT_FALSE(out3->added);
  EXPECT_TRUE(out3->fields().empty());
  ChainResult r = v.validate_sync(failed);
  EXPECT_EQ(r.cv, Cv::kFail);
  EXPECT_EQ(r.fail, FailReason::kReportedFail);
  // Two arc= stamps: fail.
  EXPECT_EQ(stamped_cv("Authentication-Results: a.b; arc=pass; arc=pass\r\n\r\n", "a.b"), Cv::kFail);
  EXPECT_EQ(stamped_cv("Authentication-Results: x.y; arc=pass\r\n\r\n", "a.b"), std::nullopt);
  EXPECT_EQ(stamped_cv("Authentication-Results: A.B (c; d) ; arc = pass (ok; fine)\r\n\r\n", "a.b"),
            Cv::kPass);
}

TEST_F(Fixture, TamperedBodyAndOldestPass) {
  std::string m = hop(kMessage, "example.net");
  // The list rewrites the subject, then seals: AMS(1) breaks, AS(1) holds.
  const size_t p = m.find("Subject: hello");
  ASSERT_NE(p, std::string::npos);
  m.replace(p, 14, "Subject: [list] hello");
  m = hop(m, "example.org", Cv::kPass);
  Validator v(dns);
  ChainResult r = v.validate_sync(m);
  EXPECT_EQ(r.cv, Cv::kPass) << r.reason;
  EXPECT_EQ(r.oldest_pass, 2u);
  EXPECT_EQ(method_result(r), "arc=pass header.oldest-pass=2");
  EXPECT_FALSE(r.sets[0].ams_valid.value_or(true));
  // Changing the body now breaks the latest AMS.
  std::string broken = m + "extra line\r\n";
  r = v.validate_sync(broken);
  EXPECT_EQ(r.cv, Cv::kFail);
  EXPECT_EQ(r.fail, FailReason::kAmsFailed);
  EXPECT_NE(r.reason.find("body hash"), std::string::npos) << r.reason;
  // Changing an AAR breaks the seals.
  std::string aar = m;
  const size_t q = aar.find("i=1; mx.example.net");
  ASSERT_NE(q, std::string::npos);
  aar.replace(q, 19, "i=1; mx.example.com");
  r = v.validate_sync(aar);
  EXPECT_EQ(r.cv, Cv::kFail);
  EXPECT_EQ(r.fail, FailReason::kSealFailed);
}

// A milter that does not keep a large body: body_hash_requests() from the
// header section, the body through dkim::BodyHashers in pieces, then
// validate(message cut to a prefix, hashes).
TEST_F(Fixture, StreamedBodyHashesValidateACutMessage) {
  std::string big = kMessage;
  for (int i = 0; i < 5000; ++i) big += "line " + std::to_string(i) + " of a long list message\r\n";
  std::string m = hop(big, "example.net");
  m = "Authentication-Results: mx.example.org; arc=pass\r\n" + m;
  m = hop(m, "example.org");
  auto hashes = [](const std::string& msg) {
    const size_t body_at = msg.find("\r\n\r\n") + 4;
    const auto requests = body_hash_requests(mime::HeaderSection::parse(msg.substr(0, body_at)));
    std::vector<dkim::PrecomputedBodyHash> out;
    for (const auto& r : requests) {
      dkim::BodyHasher h(r.canon, r.hash, r.limit);
      for (size_t at = body_at; at < msg.size(); at += 1000) h.update(std::string_view(msg).substr(at, 1000));
      out.push_back({r, h.finish()});
    }
    return out;
  };
  const auto pre = hashes(m);
  EXPECT_EQ(pre.size(), 1u);  // both AMS: relaxed, sha256, no l=
  const std::string cut = m.substr(0, m.find("\r\n\r\n") + 104);
  Validator v(dns);
  std::optional<ChainResult> r;
  v.validate(cut, pre, [&](ChainResult x) { r = std::move(x); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cv, Cv::kPass) << r->reason;
  EXPECT_EQ(r->instances, 2u);
  EXPECT_EQ(r->oldest_pass, 0u);

  // A change past the cut: only the streamed hashes see it.
  std::string changed = m;
  changed[changed.rfind("line 4999")] = 'L';
  r.reset();
  v.validate(cut, hashes(changed), [&](ChainResult x) { r = std::move(x); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cv, Cv::kFail);
  EXPECT_EQ(r->fail, FailReason::kAmsFailed);
  EXPECT_NE(r->reason.find("body hash"), std::string::npos) << r->reason;

  // No hash for the AMS: not evaluated (a limit), never a hash of the cut body.
  r.reset();
  v.validate(cut, {}, [&](ChainResult x) { r = std::move(x); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cv, Cv::kFail);
  EXPECT_EQ(r->fail, FailReason::kLimit);
  EXPECT_TRUE(r->not_evaluated());
  EXPECT_NE(r->reason.find("not computed"), std::string::npos) << r->reason;
}

TEST_F(Fixture, StructureAndCvRules) {
  const std::string m = hop(hop(kMessage, "example.net"), "example.org");
  Validator v(dns);
  ASSERT_EQ(v.validate_sync(m).cv, Cv::kPass);
  // Drop the AMS of instance 1.
  std::string no_ams = m;
  const size_t a = no_ams.rfind("ARC-Message-Signature:");  // the lowest is i=1
  ASSERT_NE(a, std::string::npos);
  size_t e = no_ams.find("\r\n", a);
  while (e != std::string::npos && (no_ams[e + 2] == ' ' || no_ams[e + 2] == '\t'))
    e = no_ams.find("\r\n", e + 2);
  ASSERT_NE(e, std::string::npos);
  no_ams.erase(a, e + 2 - a);
  ChainResult r = v.validate_sync(no_ams);
  EXPECT_EQ(r.fail, FailReason::kStructure) << r.reason;
  // Instance out of range.
  r = v.validate_sync("ARC-Seal: i=51; a=rsa-sha256; cv=pass; d=e.org; s=s; b=AAAA\r\n\r\nx\r\n");
  EXPECT_EQ(r.fail, FailReason::kStructure);
  // cv=pass at i=1.
  auto out = seal(kMessage, rsa, opts("example.net", "mx.example.net"), Cv::kNone);
  ASSERT_TRUE(out);
  std::string bad = out->fields() + kMessage;
  const size_t c = bad.find("cv=none");
  bad.replace(c, 7, "cv=pass");
  r = v.validate_sync(bad);
  EXPECT_EQ(r.fail, FailReason::kBadCv);
  // cv=none with a chain: refused.
  EXPECT_FALSE(seal(m, rsa, opts("example.net", "mx.example.net"), Cv::kNone));
}

TEST_F(Fixture, FiftySetsIsTheLimit) {
  std::string m = kMessage;
  for (int i = 0; i < 50; ++i) {
    auto out = seal(m, rsa, opts("example.net", "mx.example.net"), i == 0 ? Cv::kNone : Cv::kPass);
    ASSERT_TRUE(out && out->added);
    m = out->fields() + m;
  }
  Validator v(dns);
  ChainResult r = v.validate_sync(m);
  EXPECT_EQ(r.cv, Cv::kPass) << r.reason;
  EXPECT_EQ(r.instances, 50u);
  auto out = seal(m, rsa, opts("example.net", "mx.example.net"), Cv::kPass);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->added);
}

TEST_F(Fixture, Ed25519AndBareLf) {
  auto ed = dkim::load_private_key(generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(ed);
  dns.add("ed._domainkey.example.net", txt_record(key_record(*ed)));
  std::string lf;
  for (const char* p = kMessage; *p; ++p)
    if (*p != '\r') lf += *p;
  SealOptions o = opts("example.net", "mx.example.net");
  o.selector = "ed";
  o.eol = "\n";
  Validator v(dns);
  auto out = v.seal_sync(lf, *ed, o);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->seal.find('\r'), std::string::npos);
  EXPECT_NE(out->seal.find("a=ed25519-sha256"), std::string::npos);
  ChainResult r = v.validate_sync(out->fields() + lf);
  EXPECT_EQ(r.cv, Cv::kPass) << r.reason;
}

// A key lookup that fails temporarily is its own result, temperror, never
// cv=fail: the chain may well be good. Sealing waits; seal() refuses it.
TEST_F(Fixture, DnsFailureIsTemperrorNotFail) {
  const std::string m = hop(kMessage, "example.net");
  for (dns::Status st : {dns::Status::kServFail, dns::Status::kTimeout}) {
    dns.clear_failures();
    dns.set_failure("s1._domainkey.example.net", dns::RRType::TXT, st);
    Validator v(dns);
    ChainResult r = v.validate_sync(m);
    EXPECT_EQ(r.cv, Cv::kTempError) << dns::status_name(st);
    EXPECT_EQ(r.fail, FailReason::kTemporary);
    EXPECT_TRUE(r.temporary()) << r.reason;
    EXPECT_EQ(method_result(r), "arc=temperror");
    EXPECT_EQ(cv_name(r.cv), "temperror");
  }
  EXPECT_FALSE(parse_cv("temperror"));  // not a cv= value
  Validator v(dns);
  auto out = v.seal_sync(m, rsa, opts("example.org", "mx.example.org"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kTemporary);
  auto pure = seal(m, rsa, opts("example.org", "mx.example.org"), Cv::kTempError);
  ASSERT_FALSE(pure);
  EXPECT_EQ(pure.error().code, Errc::kTemporary);
  ChainResult r;
  dns.clear_failures();
  dns.set_failure("s1._domainkey.example.net", dns::RRType::TXT, dns::Status::kNxDomain);
  r = v.validate_sync(m);
  EXPECT_EQ(r.cv, Cv::kFail);
  EXPECT_FALSE(r.temporary());
}

TEST_F(Fixture, SharedKeyCacheAndBadOptions) {
  dkim::KeyCache cache;
  Validator v(dns, {}, &cache);
  const std::string m = hop(kMessage, "example.net");
  EXPECT_EQ(v.validate_sync(m).cv, Cv::kPass);
  EXPECT_EQ(&v.key_cache(), &cache);
  EXPECT_GE(cache.hits() + cache.misses(), 2u);
  SealOptions o = opts("example.net", "mx.example.net");
  o.authserv_id = "bad id";
  EXPECT_FALSE(seal(kMessage, rsa, o, Cv::kNone));
  o = opts("exa mple", "mx");
  EXPECT_FALSE(seal(kMessage, rsa, o, Cv::kNone));
  o = opts("example.net", "mx");
  o.headers = {"from", "arc-seal"};
  EXPECT_FALSE(seal(kMessage, rsa, o, Cv::kNone));
  // Explicit results text replaces the consolidation.
  o = opts("example.net", "mx");
  o.authentication_results = "dkim=pass header.d=example.com; arc=none";
  auto out = seal(kMessage, rsa, o, Cv::kNone);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->aar,
            "ARC-Authentication-Results: i=1; mx; dkim=pass header.d=example.com;\r\n  arc=none\r\n");
}

TEST_F(Fixture, HostileInputStaysBounded) {
  Validator v(dns);
  std::string many;
  for (int i = 0; i < 400; ++i) many += "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=e.org; s=s; b=AAAA\r\n";
  ChainResult r = v.validate_sync(many + "\r\nbody\r\n");
  EXPECT_EQ(r.fail, FailReason::kStructure);
  EXPECT_EQ(dns.query_count(), 0u);
  r = v.validate_sync("ARC-Authentication-Results: i=1\r\nARC-Seal: ;;;\r\n\r\n");
  EXPECT_EQ(r.cv, Cv::kFail);
  static constexpr char kNuls[] = "ARC-Seal: i=1; b=\0\0\0; cv=none\r\n\r\n";
  r = v.validate_sync(std::string(kNuls, sizeof kNuls - 1));  // NULs inside, no terminator
  EXPECT_EQ(r.cv, Cv::kFail);
}

// Issue 11: limits give a result that says so (kLimit, not_evaluated()), never
// a plain fail; AMS h= selection is linear (dkim::HeaderIndex).
TEST_F(Fixture, LimitsAreNotEvaluatedFailures) {
  std::string trace;
  for (int i = 0; i < 20000; ++i) trace += "X-Trace: hop " + std::to_string(i) + "\r\n";
  // A valid one-hop chain over a message with 20,000 fields, h= oversigning
  // X-Trace 999 times: passes when every field is read.
  SealOptions o = opts("example.net", "mx.example.net");
  o.headers.assign(dkim::kMaxSignedHeaders - 4, "x-trace");
  o.headers.insert(o.headers.end(), {"from", "to", "subject", "date"});
  Validator sealer(dns);
  auto out = sealer.seal_sync(trace + kMessage, rsa, o);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_TRUE(out->added) << out->reason;
  const std::string m = out->fields() + trace + kMessage;
  ValidateOptions wide;
  wide.header_limits.max_fields = 30000;
  wide.header_limits.max_header_bytes = 8 << 20;
  Validator v_wide(dns, wide);
  ChainResult r = v_wide.validate_sync(m);
  EXPECT_EQ(r.cv, Cv::kPass) << r.reason;

  // Default limits: cut at 10,000 fields.
  Validator v(dns);
  r = v.validate_sync(m);
  EXPECT_EQ(r.fail, FailReason::kLimit);
  EXPECT_TRUE(r.not_evaluated());
  EXPECT_NE(r.reason.find("more header fields than the limit of 10000"), std::string::npos) << r.reason;

  // The latest AMS listing more than kMaxSignedHeaders names.
  std::string big = m;
  const size_t h = big.find("h=x-trace", big.find("ARC-Message-Signature"));  // bh= base64 has no '-'
  ASSERT_NE(h, std::string::npos);
  std::string more = "h=";
  for (int i = 0; i < 200000; ++i) more += "x-trace:";
  big.insert(h, more);
  big.erase(h + more.size(), 2);  // the old "h=" now follows the added names
  wide.header_limits.max_header_bytes = 16 << 20;
  Validator v_big(dns, wide);
  r = v_big.validate_sync(big);
  EXPECT_EQ(r.fail, FailReason::kLimit) << r.reason;
  EXPECT_NE(r.reason.find("more than the limit of 1000"), std::string::npos) << r.reason;
  EXPECT_EQ(fail_reason_name(r.fail), "limit");

  // The sealer refuses an h= over the limit.
  o.headers.push_back("x-trace");
  EXPECT_FALSE(sealer.seal_sync(trace + kMessage, rsa, o));
}

}  // namespace
}  // namespace rampart::arc

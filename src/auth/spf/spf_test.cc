// Table tests for SPF built from RFC 7208 rules and examples (section
// numbers in each case), on top of the openspf suites run in tests/.
#include "auth/spf/spf.h"

#include <gtest/gtest.h>

#include "auth/spf/macro.h"
#include "auth/spf/record.h"
#include "core/strings.h"
#include "dns/name.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"

namespace rampart::spf {
namespace {

dns::ZoneResolver zone_from(std::string_view text) {
  dns::ZoneOptions opt;
  opt.origin = "example.com";
  auto z = dns::parse_zone(text, opt);
  EXPECT_TRUE(z) << (z ? "" : z.error().message);
  return dns::ZoneResolver(z ? *z : dns::Zone());
}

Outcome run(dns::Resolver& r, std::string_view ip, std::string_view from,
            std::string_view helo = "mx.example.org", Options opt = {}) {
  Evaluator ev(r, opt);
  Request req;
  req.ip = *IpAddress::parse(ip);
  req.mail_from = std::string(from);
  req.helo = std::string(helo);
  req.receiver = "mx.receiver.test";
  return ev.check_sync(req);
}

// --- record syntax (4.6, 5, 6) ---------------------------------------------

struct SyntaxCase {
  const char* record;
  bool ok;
};

class RecordSyntax : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(RecordSyntax, ParsesOrRejects) {
  auto r = parse_record(GetParam().record);
  EXPECT_EQ(static_cast<bool>(r), GetParam().ok) << GetParam().record << (r ? "" : ": " + r.error().message);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7208, RecordSyntax,
    ::testing::Values(SyntaxCase{"v=spf1", true}, SyntaxCase{"v=spf1 -all", true},
                      SyntaxCase{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx ptr -all", true},
                      SyntaxCase{"v=spf1 a:mail.example.com/24//64 mx/30 ~all", true},
                      SyntaxCase{"v=spf1 include:_spf.example.com exists:%{i}._spf.%{d} ?all", true},
                      SyntaxCase{"v=spf1 redirect=_spf.example.com", true},
                      SyntaxCase{"v=spf1 -all exp=explain.%{d}", true},
                      SyntaxCase{"v=spf1 -all moo=cow", true},               // 6: unknown modifier ignored
                      SyntaxCase{"v=spf1 foo:bar -all", false},              // 4.6: unknown mechanism
                      SyntaxCase{"v=spf1 ip4:192.0.2.0/33", false},          // 5.6: cidr > 32
                      SyntaxCase{"v=spf1 ip4:192.0.2.0/024", false},         // no leading zero
                      SyntaxCase{"v=spf1 ip6:2001:db8::/129", false},        // cidr > 128
                      SyntaxCase{"v=spf1 ip4:2001:db8::1", false},           // wrong family
                      SyntaxCase{"v=spf1 include", false},                   // include needs a domain
                      SyntaxCase{"v=spf1 a:1.2.3.4", false},                 // numeric top label (7.1)
                      SyntaxCase{"v=spf1 exists:%{x}.example.com", false},   // unknown macro letter
                      SyntaxCase{"v=spf1 exists:%{c}.example.com", false},   // c only in exp (7.2)
                      SyntaxCase{"v=spf1 exists:%{d0}.example.com", false},  // zero digit transformer
                      SyntaxCase{"v=spf1 redirect=a.example.com redirect=b.example.com", false},  // 6: twice
                      SyntaxCase{"v=spf1 exp=a.example.com exp=b.example.com", false},
                      SyntaxCase{"v=spf1 all:foo", false},
                      SyntaxCase{"v=spf1 -all\x01", false},                 // 3.1: ASCII only
                      SyntaxCase{"v=spf1  ip4:192.0.2.1   -all ", true}));  // 4.6.1: 1*SP

// --- macros (7.4 examples) --------------------------------------------------

TEST(Macro, Rfc7208Section74Examples) {
  IpAddress ip4 = *IpAddress::parse("192.0.2.3");
  MacroContext ctx;
  ctx.sender = "strong-bad@email.example.com";
  ctx.local_part = "strong-bad";
  ctx.sender_domain = "email.example.com";
  ctx.domain = "email.example.com";
  ctx.ip = &ip4;
  ctx.validated_ptr = "mx.example.org";
  ctx.receiver = "example.net";
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
      {"%{p2}.trusted-domains.example.net", "example.org.trusted-domains.example.net"},
      {"%%%_%-", "% %20"},
      {"%{S}", "strong-bad%40email.example.com"},  // 7.3: upper case = URL-encoded
  };
  for (const auto& c : cases) {
    auto ms = parse_macro_string(c.in, false);
    ASSERT_TRUE(ms) << c.in << ": " << ms.error().message;
    auto out = expand(*ms, ctx, true);
    ASSERT_TRUE(out) << c.in;
    EXPECT_EQ(*out, c.out) << c.in;
  }
  IpAddress ip6 = *IpAddress::parse("2001:db8::cb01");
  ctx.ip = &ip6;
  auto ms = parse_macro_string("%{ir}.%{v}._spf.%{d2}", false);
  auto out = expand(*ms, ctx, true);
  ASSERT_TRUE(out);
  EXPECT_TRUE(
      iequals(*out, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"))
      << *out;
}

TEST(Macro, ExpansionIsBounded) {
  // 7.3: a name is cut to 253 octets from the left; a bomb cannot grow.
  std::string big(200, 'a');
  IpAddress ip = *IpAddress::parse("192.0.2.1");
  MacroContext ctx;
  std::string sender = big + "@" + "example.com";
  ctx.sender = sender;
  ctx.local_part = big;
  ctx.domain = "example.com";
  ctx.ip = &ip;
  auto ms = parse_macro_string("%{l}.%{l}.%{l}.example.com", false);
  ASSERT_TRUE(ms);
  auto out = expand(*ms, ctx, true);
  ASSERT_TRUE(out);
  EXPECT_LE(out->size(), 253u);
  std::string bomb;
  for (int i = 0; i < 100; ++i) bomb += "%{s}";
  auto bms = parse_macro_string(bomb, false);
  ASSERT_TRUE(bms);
  EXPECT_FALSE(expand(*bms, ctx, false));  // output cap, not unbounded growth
}

// --- evaluation ---------------------------------------------------------------

TEST(Evaluate, ResultsByQualifier) {
  auto z = zone_from(R"(
@        TXT "v=spf1 ip4:192.0.2.0/24 -ip4:198.51.100.1 ~ip4:198.51.100.2 ?ip4:198.51.100.3 -all"
)");
  EXPECT_EQ(run(z, "192.0.2.7", "a@example.com").result, Verdict::kPass);
  EXPECT_EQ(run(z, "198.51.100.1", "a@example.com").result, Verdict::kFail);
  EXPECT_EQ(run(z, "198.51.100.2", "a@example.com").result, Verdict::kSoftFail);
  EXPECT_EQ(run(z, "198.51.100.3", "a@example.com").result, Verdict::kNeutral);
  EXPECT_EQ(run(z, "203.0.113.9", "a@example.com").result, Verdict::kFail);
  EXPECT_EQ(run(z, "2001:db8::1", "a@example.com").result, Verdict::kFail);  // ip4 never matches v6
}

TEST(Evaluate, NoneTempErrorPermError) {
  auto z = zone_from(R"(
@        TXT "v=spf1 -all"
two      TXT "v=spf1 -all"
         TXT "v=spf1 +all"
nospf    TXT "hello"
bad      TXT "v=spf1 ip4:300.1.1.1 -all"
)");
  EXPECT_EQ(run(z, "192.0.2.1", "a@nowhere.example.com").result, Verdict::kNone);   // 4.3 NXDOMAIN
  EXPECT_EQ(run(z, "192.0.2.1", "a@nospf.example.com").result, Verdict::kNone);     // 4.5 no record
  EXPECT_EQ(run(z, "192.0.2.1", "a@two.example.com").result, Verdict::kPermError);  // 4.5 two records
  EXPECT_EQ(run(z, "192.0.2.1", "a@bad.example.com").result, Verdict::kPermError);  // 4.6 syntax
  z.set_failure("example.com", dns::RRType::TXT, dns::Status::kServFail);
  auto t = run(z, "192.0.2.1", "a@example.com");
  EXPECT_EQ(t.result, Verdict::kTempError);  // 4.4 DNS error
  EXPECT_NE(t.reason.find("servfail"), std::string::npos) << t.reason;
  EXPECT_EQ(run(z, "192.0.2.1", "a@[192.0.2.1]").result, Verdict::kNone);  // 4.3 literal
}

TEST(Evaluate, HeloIdentityWhenMailFromIsNull) {
  auto z = zone_from(R"(
mx       TXT "v=spf1 a -all"
         A   192.0.2.25
)");
  auto o = run(z, "192.0.2.25", "", "mx.example.com");
  EXPECT_EQ(o.result, Verdict::kPass);
  EXPECT_EQ(o.identity, "postmaster@mx.example.com");  // 2.4
  EXPECT_EQ(o.identity_kind, "helo");
}

TEST(Evaluate, IncludeRedirectMxPtrExists) {
  auto z = zone_from(R"(
@            TXT "v=spf1 include:_spf.example.com mx exists:%{i}.allow.example.com redirect=_r.example.com"
             MX 10 mx1
             MX 20 mx2
mx1          A 192.0.2.11
mx2          A 192.0.2.12
_spf         TXT "v=spf1 ip4:198.51.100.0/24 -all"
_r           TXT "v=spf1 ptr:ptr.example.com ~all"
203.0.113.5.allow A 127.0.0.2
good.ptr     A 203.0.113.77
77.113.0.203.in-addr.arpa. PTR good.ptr.example.com.
)");
  EXPECT_EQ(run(z, "198.51.100.9", "a@example.com").result, Verdict::kPass);      // 5.2 include
  EXPECT_EQ(run(z, "192.0.2.12", "a@example.com").result, Verdict::kPass);        // 5.4 mx
  EXPECT_EQ(run(z, "203.0.113.5", "a@example.com").result, Verdict::kPass);       // 5.7 exists
  EXPECT_EQ(run(z, "203.0.113.77", "a@example.com").result, Verdict::kPass);      // 5.5 ptr via redirect
  EXPECT_EQ(run(z, "203.0.113.78", "a@example.com").result, Verdict::kSoftFail);  // 6.1 redirect result
}

TEST(Evaluate, LookupLimitsGivePermError) {
  // 4.6.4: an 11th DNS-querying term is a permerror; 10 are fine.
  std::string ten = "v=spf1";
  for (int i = 0; i < 10; ++i) ten += " a:h" + std::to_string(i) + ".example.com";
  std::string zone = "ten TXT \"" + ten + " -all\"\neleven TXT \"" + ten + " a:h10.example.com -all\"\n";
  for (int i = 0; i <= 10; ++i) zone += "h" + std::to_string(i) + " A 10.0.0." + std::to_string(i + 1) + "\n";
  zone += "void TXT \"v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all\"\n";
  auto z = zone_from(zone);
  EXPECT_EQ(run(z, "192.0.2.1", "a@ten.example.com").result, Verdict::kFail);
  auto o = run(z, "192.0.2.1", "a@eleven.example.com");
  EXPECT_EQ(o.result, Verdict::kPermError);
  EXPECT_NE(o.reason.find("DNS lookups"), std::string::npos) << o.reason;
  auto v = run(z, "192.0.2.1", "a@void.example.com");  // three NXDOMAIN answers
  EXPECT_EQ(v.result, Verdict::kPermError);
  EXPECT_NE(v.reason.find("void"), std::string::npos) << v.reason;
}

TEST(Evaluate, IncludeLoopEndsInPermError) {
  auto z = zone_from(R"(
loop     TXT "v=spf1 include:loop.example.com -all"
)");
  auto o = run(z, "192.0.2.1", "a@loop.example.com");
  EXPECT_EQ(o.result, Verdict::kPermError);
  EXPECT_LE(z.query_count(), 12u);  // bounded by the 10-lookup limit
}

TEST(Evaluate, ExplanationWithMacros) {
  auto z = zone_from(R"(
@        TXT "v=spf1 -all exp=why.example.com"
why      TXT "%{i} is not one of %{d}'s designated mail servers."
)");
  auto o = run(z, "192.0.2.1", "a@example.com");
  EXPECT_EQ(o.result, Verdict::kFail);
  EXPECT_EQ(o.explanation, "192.0.2.1 is not one of example.com's designated mail servers.");
}

TEST(Evaluate, TimestampMacroUsesInjectedClock) {
  auto z = zone_from(R"(
@        TXT "v=spf1 -all exp=why.example.com"
why      TXT "rejected at %{t} for %{c}"
)");
  FakeClock clock(1700000123);
  Options opt;
  opt.clock = &clock;
  auto o = run(z, "192.0.2.1", "a@example.com", "mx.example.org", opt);
  EXPECT_EQ(o.explanation, "rejected at 1700000123 for 192.0.2.1");
}

TEST(ReceivedSpf, HeaderFields) {
  auto z = zone_from("@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
  Request req;
  req.ip = *IpAddress::parse("192.0.2.1");
  req.mail_from = "alice@example.com";
  req.helo = "mx.example.org";
  req.receiver = "mx.receiver.test";
  Evaluator ev(z);
  auto o = ev.check_sync(req);
  std::string h = received_spf(req, o);
  EXPECT_EQ(h,
            "Received-SPF: pass (mx.receiver.test: domain of alice@example.com designates 192.0.2.1 as "
            "permitted sender) client-ip=192.0.2.1; envelope-from=\"alice@example.com\"; "
            "helo=\"mx.example.org\"; receiver=mx.receiver.test; identity=mailfrom; "
            "mechanism=\"ip4:192.0.2.0/24\"");
}

// --- hostile input ends in permerror/temperror with a reason ----------------

TEST(BadInput, HostileRecordsAndAnswers) {
  std::string huge = "v=spf1";
  for (int i = 0; i < 2000; ++i)
    huge += " ip4:10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
  auto z = zone_from(R"(
loop1    CNAME loop2
loop2    CNAME loop1
c1       CNAME c2
c2       CNAME c3
c3       CNAME c4
c4       CNAME c5
c5       CNAME c6
c6       CNAME c7
c7       CNAME c8
c8       CNAME c9
c9       CNAME c10
c10      TXT "v=spf1 +all"
labels   TXT "v=spf1 include:%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.x.example.com -all"
mxbomb   TXT "v=spf1 mx:many.example.com -all"
nonascii TXT "v=spf1 a:caf\195\169.example.com -all"
)");
  // A TXT record of 2000 terms (about 28 KB of strings): parsed, bounded.
  {
    dns::Record r;
    r.type = dns::RRType::TXT;
    dns::Txt txt;
    for (size_t i = 0; i < huge.size(); i += 255) txt.strings.push_back(huge.substr(i, 255));
    r.data = txt;
    z.add("huge.example.com", r);
  }
  for (int i = 0; i < 11; ++i) {
    dns::Record mx;
    mx.type = dns::RRType::MX;
    mx.data = dns::Mx{static_cast<uint16_t>(i), "mx" + std::to_string(i) + ".example.com"};
    z.add("many.example.com", mx);
  }
  auto h = run(z, "10.7.207.1", "a@huge.example.com");
  EXPECT_EQ(h.result, Verdict::kPermError) << h.reason;  // more than 1000 terms: refused, bounded
  EXPECT_NE(h.reason.find("too many terms"), std::string::npos) << h.reason;
  auto l = run(z, "192.0.2.1", "a@loop1.example.com");
  EXPECT_EQ(l.result, Verdict::kTempError) << l.reason;  // CNAME loop: SERVFAIL-like
  EXPECT_FALSE(l.reason.empty());
  auto c = run(z, "192.0.2.1", "a@c1.example.com");
  EXPECT_EQ(c.result, Verdict::kTempError) << c.reason;  // 9 CNAMEs: over the resolver's chain bound of 8
  auto lb = run(z, "192.0.2.1", "a@labels.example.com");
  EXPECT_EQ(lb.result, Verdict::kPermError) << lb.reason;  // target cut to 253 octets, no record there
  auto mx = run(z, "192.0.2.1", "a@mxbomb.example.com");
  EXPECT_EQ(mx.result, Verdict::kPermError) << mx.reason;  // > 10 MX records (4.6.4)
  EXPECT_NE(mx.reason.find("MX"), std::string::npos) << mx.reason;
  auto na = run(z, "192.0.2.1", "a@nonascii.example.com");
  EXPECT_EQ(na.result, Verdict::kPermError) << na.reason;                   // 3.1: 7-bit ASCII only
  z.set_failure("example.com", dns::RRType::TXT, dns::Status::kMalformed);  // truncated answer
  auto t = run(z, "192.0.2.1", "a@example.com");
  EXPECT_EQ(t.result, Verdict::kTempError);
  EXPECT_NE(t.reason.find("malformed"), std::string::npos) << t.reason;
}

// --- Sender ID record selection (RFC 4406 3.3, 4.4) ----------------------------

TEST(SenderIdRecords, ScopeSelectionAndFallback) {
  EXPECT_EQ(classify_record("v=spf1 -all", Scope::kSpf1), RecordKind::kMatch);
  EXPECT_EQ(classify_record("spf2.0/pra -all", Scope::kSpf1), RecordKind::kOther);
  EXPECT_EQ(classify_record("spf2.0/mfrom,pra -all", Scope::kSenderIdPra), RecordKind::kMatch);
  EXPECT_EQ(classify_record("spf2.0/mfrom -all", Scope::kSenderIdPra), RecordKind::kOther);
  EXPECT_EQ(classify_record("v=spf1 -all", Scope::kSenderIdPra), RecordKind::kSpf1);
  EXPECT_EQ(classify_record("v=spf10 -all", Scope::kSpf1), RecordKind::kOther);

  auto z = zone_from(R"(
@        TXT "v=spf1 -all"
         TXT "spf2.0/pra ip4:192.0.2.0/24 -all"
only1    TXT "v=spf1 ip4:198.51.100.0/24 -all"
)");
  Evaluator ev(z);
  Request req;
  req.ip = *IpAddress::parse("192.0.2.1");
  req.scope = Scope::kSenderIdPra;
  req.pra = "alice@example.com";
  EXPECT_EQ(ev.check_sync(req).result, Verdict::kPass);  // spf2.0/pra wins over v=spf1
  req.scope = Scope::kSpf1;
  req.mail_from = "alice@example.com";
  EXPECT_EQ(ev.check_sync(req).result, Verdict::kFail);  // RFC 7208 ignores spf2.0
  req.scope = Scope::kSenderIdPra;
  req.pra = "bob@only1.example.com";
  req.ip = *IpAddress::parse("198.51.100.4");
  EXPECT_EQ(ev.check_sync(req).result, Verdict::kPass);  // falls back to v=spf1
}

// --- what the real DNS path showed (tests/spf_dns_conformance_test) --------

dns::Record a_rec(const char* ip) { return dns::Record{dns::RRType::A, 300, *IpAddress::parse(ip)}; }
dns::Record txt_rec(std::vector<std::string> strings) {
  return dns::Record{dns::RRType::TXT, 300, dns::Txt{std::move(strings)}};
}

// 7.1: a domain-spec may hold any visible character but '%'; after macro
// expansion also spaces. The name reaches DNS octet for octet, a backslash
// included (it is text, not an escape).
TEST(RealPathGroups, DomainSpecsWithAnyVisibleCharacter) {
  dns::Zone z;
  z.add("e11.example.com", txt_rec({"v=spf1 a:foo:bar/baz.example.com -all"}));
  z.add("foo:bar/baz.example.com", a_rec("1.2.3.4"));
  z.add("e12.example.com", txt_rec({"v=spf1 mx:back\\slash.example.com -all"}));
  z.add(dns::text_to_name("back\\slash.example.com"),
        dns::Record{dns::RRType::MX, 300, dns::Mx{0, "foo:bar/baz.example.com"}});
  z.add("e1a.example.com", txt_rec({"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"}));
  z.add("macro%percent  space%20url-space.example.com", a_rec("1.2.3.5"));
  z.add("backslash.example.com", a_rec("1.2.3.4"));  // what "\s" as an escape would reach
  dns::ZoneResolver r(z);
  EXPECT_EQ(run(r, "1.2.3.4", "x@e11.example.com").result, Verdict::kPass);
  EXPECT_EQ(run(r, "::ffff:1.2.3.4", "x@e11.example.com").result, Verdict::kPass);
  EXPECT_EQ(run(r, "1.2.3.4", "x@e12.example.com").result, Verdict::kPass);
  EXPECT_EQ(run(r, "1.2.3.5", "x@e1a.example.com").result, Verdict::kPass);
  EXPECT_EQ(run(r, "1.2.3.4", "x@e1a.example.com").result, Verdict::kFail);
}

// 3.3: an empty TXT record (no strings) beside a multi-string SPF record is
// no record at all: the SPF record is evaluated, no temperror, no permerror.
TEST(RealPathGroups, EmptyTxtBesideMultiStringRecord) {
  dns::Zone z;
  z.add("null.example.com", txt_rec({"v=spf1 ip4:", "192.0.2.5 -all"}));
  z.add("null.example.com", txt_rec({}));
  dns::ZoneResolver r(z);
  EXPECT_EQ(run(r, "192.0.2.5", "silly@null.example.com").result, Verdict::kPass);
  EXPECT_EQ(run(r, "192.0.2.6", "silly@null.example.com").result, Verdict::kFail);
}

// 5.5 and 7.1 %{p}: PTR answers in another letter case, in private and
// documentation ranges, and an IPv6 client whose MX does not match but whose
// PTR (via redirect) does.
TEST(RealPathGroups, PtrCaseAndValidatedNames) {
  dns::Zone z;
  z.add("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.D.0.1.0.0.2.ip6.arpa",
        dns::Record{dns::RRType::PTR, 300, std::string("mail.Example.com")});
  z.add("mail.example.com", dns::Record{dns::RRType::AAAA, 300, *IpAddress::parse("2001:db8::1")});
  z.add("mail.example.com", a_rec("192.168.218.41"));
  z.add("e6.example.com", txt_rec({"v=spf1 ptr:example.Com -all"}));
  z.add("41.218.168.192.in-addr.arpa", dns::Record{dns::RRType::PTR, 300, std::string("MAIL.example.com")});
  z.add("e7.example.com", txt_rec({"v=spf1 -all exp=msg.example.com"}));
  z.add("msg.example.com", txt_rec({"connect from %{p}"}));
  z.add("example.org", txt_rec({"v=spf1 mx redirect=_spf.example.com"}));
  z.add("example.org", dns::Record{dns::RRType::MX, 300, dns::Mx{10, "smtp.example.org"}});
  z.add("smtp.example.org", dns::Record{dns::RRType::AAAA, 300, *IpAddress::parse("2001:db8:ff0:100::3")});
  z.add("_spf.example.com", txt_rec({"v=spf1 ptr:fe.example.org -all"}));
  z.add("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.F.F.0.8.B.D.0.1.0.0.2.ip6.arpa",
        dns::Record{dns::RRType::PTR, 300, std::string("smtp6-v.fe.example.org")});
  z.add("smtp6-v.fe.example.org",
        dns::Record{dns::RRType::AAAA, 300, *IpAddress::parse("2001:db8:ff0:100::2")});
  dns::ZoneResolver r(z);
  EXPECT_EQ(run(r, "2001:db8::1", "bar@e6.example.com").result, Verdict::kPass);
  Outcome p = run(r, "192.168.218.41", "x@e7.example.com");
  EXPECT_EQ(p.result, Verdict::kFail);
  EXPECT_EQ(p.explanation, "connect from mail.example.com");
  EXPECT_EQ(run(r, "2001:db8:ff0:100::2", "test@example.org").result, Verdict::kPass);
  EXPECT_EQ(run(r, "2001:db8:ff0:100::4", "test@example.org").result, Verdict::kFail);
}

}  // namespace
}  // namespace rampart::spf

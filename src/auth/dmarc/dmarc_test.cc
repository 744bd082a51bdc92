// Table tests for DMARC evaluation (RFC 7489): identifier alignment (3.1),
// policy discovery (6.6.3), verdict and disposition with sp and pct (6.3,
// 6.6.4), the From rules (6.6.1) and external destinations (7.1), over the
// ZoneResolver fake.
#include "auth/dmarc/dmarc.h"

#include <gtest/gtest.h>

#include "dns/zone_resolver.h"

namespace rampart::dmarc {
namespace {

using dns::RRType;

void txt(dns::ZoneResolver& z, std::string_view name, std::vector<std::string> strings) {
  z.add(name, dns::Record{RRType::TXT, 300, dns::Txt{std::move(strings)}});
}

const PublicSuffixList& psl() { return PublicSuffixList::system(); }

// --- organizational domains: each thread's cache of answers -------------------------

TEST(OrganizationalDomain, AskedAgainGivesTheSameAnswer) {
  for (int round = 0; round < 3; ++round) {  // the first round fills the cache, the others read it
    EXPECT_EQ(psl().organizational_domain("foo.example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl().organizational_domain("Mail.Example.COM."), "example.com");
    EXPECT_EQ(psl().organizational_domain("co.uk"), "co.uk");
    EXPECT_EQ(psl().organizational_domain(""), "");
  }
  // More names than the cache holds: each still gets its own answer.
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 3000; ++i) {
      const std::string n =
          "h" + std::to_string(i) + (i % 2 ? ".d" + std::to_string(i) + ".co.uk" : ".x.org");
      ASSERT_EQ(psl().organizational_domain(n), i % 2 ? "d" + std::to_string(i) + ".co.uk" : "x.org") << n;
    }
}

TEST(OrganizationalDomain, EachListHasItsOwnAnswers) {
  auto plain = PublicSuffixList::from_text("com\n");
  auto hosted = PublicSuffixList::from_text("com\nexample.com\n");  // example.com hands out names
  ASSERT_TRUE(plain && hosted);
  for (int round = 0; round < 3; ++round) {  // interleaved: a cache by name alone would mix them
    EXPECT_EQ(plain->organizational_domain("a.b.example.com"), "example.com");
    EXPECT_EQ(hosted->organizational_domain("a.b.example.com"), "b.example.com");
  }
  // A list made after another is gone (perhaps at the same address) does not read its answers.
  for (const char* rules : {"com\n", "com\nexample.com\n", "com\n"}) {
    auto list = PublicSuffixList::from_text(rules);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->organizational_domain("a.b.example.com"),
              std::string_view(rules) == "com\n" ? "example.com" : "b.example.com")
        << rules;
  }
  // A moved list answers as before.
  PublicSuffixList moved = std::move(*hosted);
  EXPECT_EQ(moved.organizational_domain("a.b.example.com"), "b.example.com");
}

// --- alignment (3.1.1, 3.1.2) ----------------------------------------------------

struct AlignCase {
  const char* authenticated;
  const char* author;
  bool relaxed;
  bool strict;
};

class AlignmentTable : public ::testing::TestWithParam<AlignCase> {};

TEST_P(AlignmentTable, RelaxedAndStrict) {
  const AlignCase& c = GetParam();
  EXPECT_EQ(aligned(c.authenticated, c.author, Alignment::kRelaxed, psl()), c.relaxed)
      << c.authenticated << " vs " << c.author;
  EXPECT_EQ(aligned(c.authenticated, c.author, Alignment::kStrict, psl()), c.strict)
      << c.authenticated << " vs " << c.author;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7489, AlignmentTable,
    ::testing::Values(
        // 3.1.1: d=example.com, From news.example.com: relaxed only
        AlignCase{"example.com", "news.example.com", true, false},
        // 3.1.2: MAIL FROM cbg.bounces.example.com, From payments@example.com: relaxed only
        AlignCase{"cbg.bounces.example.com", "example.com", true, false},
        AlignCase{"example.com", "example.com", true, true},
        AlignCase{"EXAMPLE.com.", "example.COM", true, true},      // case and trailing dot
        AlignCase{"a.example.com", "b.example.com", true, false},  // siblings share the org domain
        AlignCase{"example.net", "example.com", false, false},
        AlignCase{"example.com.evil.net", "example.com", false, false},
        AlignCase{"a.example.co.uk", "b.example.co.uk", true, false},
        AlignCase{"example.co.uk", "other.co.uk", false, false},  // public suffix is not an org
        AlignCase{"co.uk", "example.co.uk", false, false}, AlignCase{"", "example.com", false, false},
        AlignCase{"[192.0.2.1]", "example.com", false, false}));

// --- discovery (6.6.3) -------------------------------------------------------------

TEST(Discovery, RecordAtAuthorDomain) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=reject"});
  Evaluator ev(z);
  Discovery d = ev.discover_sync("Example.COM");
  EXPECT_EQ(d.status, DiscoveryStatus::kFound) << d.reason;
  EXPECT_EQ(d.policy_domain, "example.com");
  EXPECT_FALSE(d.from_org_domain);
  EXPECT_EQ(z.query_count(), 1u);
}

TEST(Discovery, FallsBackToOrganizationalDomain) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.co.uk", {"v=DMARC1; p=reject; sp=quarantine"});
  z.record_queries(true);
  Evaluator ev(z);
  Discovery d = ev.discover_sync("foo.example.co.uk");
  EXPECT_EQ(d.status, DiscoveryStatus::kFound) << d.reason;
  EXPECT_EQ(d.policy_domain, "example.co.uk");
  EXPECT_EQ(d.org_domain, "example.co.uk");
  EXPECT_TRUE(d.from_org_domain);
  ASSERT_EQ(z.queries().size(), 2u);
  EXPECT_EQ(z.queries()[0].first, "_dmarc.foo.example.co.uk");
  EXPECT_EQ(z.queries()[1].first, "_dmarc.example.co.uk");
}

TEST(Discovery, NonDmarcRecordsAreDiscarded) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.news.example.com", {"v=spf1 -all"});
  txt(z, "_dmarc.news.example.com", {"some other text"});
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=none"});
  Evaluator ev(z);
  Discovery d = ev.discover_sync("news.example.com");
  EXPECT_EQ(d.status, DiscoveryStatus::kFound) << d.reason;
  EXPECT_EQ(d.policy_domain, "example.com");
}

TEST(Discovery, RecordInSeveralStrings) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=rej", "ect; pct=50"});
  Evaluator ev(z);
  Discovery d = ev.discover_sync("example.com");
  ASSERT_EQ(d.status, DiscoveryStatus::kFound) << d.reason;
  EXPECT_EQ(d.record->p, Policy::kReject);
  EXPECT_EQ(d.record->pct, 50u);
}

TEST(Discovery, NoneTempAndPerm) {
  dns::ZoneResolver z;
  Evaluator ev(z);
  EXPECT_EQ(ev.discover_sync("news.example.com").status, DiscoveryStatus::kNone);
  EXPECT_EQ(ev.discover_sync("").status, DiscoveryStatus::kNone);
  EXPECT_EQ(ev.discover_sync("[192.0.2.1]").status, DiscoveryStatus::kNone);
  EXPECT_EQ(ev.discover_sync(std::string(250, 'a')).status, DiscoveryStatus::kNone);

  // Several DMARC records: step 5, no policy.
  txt(z, "_dmarc.two.example", {"v=DMARC1; p=none"});
  txt(z, "_dmarc.two.example", {"v=DMARC1; p=reject"});
  EXPECT_EQ(ev.discover_sync("two.example").status, DiscoveryStatus::kPermError);
  // A syntax error: no policy.
  txt(z, "_dmarc.broken.example", {"v=DMARC1; p=reject; p=none"});
  EXPECT_EQ(ev.discover_sync("broken.example").status, DiscoveryStatus::kPermError);
  // A record at the subdomain that is broken does not fall back.
  txt(z, "_dmarc.sub.broken2.example", {"v=DMARC1; foo"});
  txt(z, "_dmarc.broken2.example", {"v=DMARC1; p=reject"});
  EXPECT_EQ(ev.discover_sync("sub.broken2.example").status, DiscoveryStatus::kPermError);

  // Temporary failures: first lookup (no fallback) and the fallback lookup.
  z.set_failure("_dmarc.slow.example.com", RRType::TXT, dns::Status::kTimeout);
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=reject"});
  z.reset_counts();
  Discovery d = ev.discover_sync("slow.example.com");
  EXPECT_EQ(d.status, DiscoveryStatus::kTempError) << d.reason;
  EXPECT_EQ(z.query_count(), 1u);
  z.set_failure("_dmarc.example.org", RRType::TXT, dns::Status::kServFail);
  EXPECT_EQ(ev.discover_sync("a.example.org").status, DiscoveryStatus::kTempError);
}

// --- verdict and disposition --------------------------------------------------------

struct VerdictCase {
  const char* name;
  const char* record;  // at _dmarc.example.com
  const char* from;    // author domain
  AuthResult spf;
  const char* spf_domain;
  AuthResult dkim;  // one signature
  const char* dkim_domain;
  unsigned random;  // what the random source returns
  Verdict verdict;
  Policy policy;
  Policy disposition;
  bool sampled_out;
};

class VerdictTable : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(VerdictTable, Decides) {
  const VerdictCase& c = GetParam();
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {c.record});
  Options opt;
  unsigned random = c.random;
  opt.random_percent = [random] { return random; };
  Evaluator ev(z, opt);
  Request req;
  req.author = author_domains(std::vector<std::string>{std::string("user@") + c.from});
  req.spf = {c.spf, c.spf_domain, SpfScope::kMailFrom};
  if (c.dkim_domain[0]) req.dkim.push_back({c.dkim, c.dkim_domain, "s1", ""});
  Outcome o = ev.check_sync(req);
  EXPECT_EQ(o.verdict, c.verdict) << c.name << ": " << o.reason;
  EXPECT_EQ(o.policy, c.policy) << c.name << ": " << o.reason;
  EXPECT_EQ(o.disposition, c.disposition) << c.name << ": " << o.reason;
  EXPECT_EQ(o.sampled_out, c.sampled_out) << c.name << ": " << o.reason;
  EXPECT_FALSE(o.reason.empty());
}

constexpr auto P = AuthResult::kPass;
constexpr auto F = AuthResult::kFail;
constexpr auto N = AuthResult::kNone;
constexpr auto T = AuthResult::kTempError;

INSTANTIATE_TEST_SUITE_P(
    Rfc7489, VerdictTable,
    ::testing::Values(
        VerdictCase{"dkim-aligned-pass", "v=DMARC1; p=reject", "example.com", F, "example.com", P,
                    "example.com", 0, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        VerdictCase{"spf-aligned-pass", "v=DMARC1; p=reject", "example.com", P, "bounce.example.com", N, "",
                    0, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        VerdictCase{"spf-pass-unaligned", "v=DMARC1; p=reject", "example.com", P, "example.net", F,
                    "example.com", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"dkim-pass-unaligned", "v=DMARC1; p=quarantine", "example.com", F, "example.com", P,
                    "example.org", 0, Verdict::kFail, Policy::kQuarantine, Policy::kQuarantine, false},
        VerdictCase{"strict-dkim-subdomain", "v=DMARC1; p=reject; adkim=s", "example.com", N, "", P,
                    "mail.example.com", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"strict-spf-subdomain", "v=DMARC1; p=reject; aspf=s", "example.com", P,
                    "bounce.example.com", N, "", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"strict-exact", "v=DMARC1; p=reject; adkim=s; aspf=s", "example.com", P, "example.com", N,
                    "", 0, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        VerdictCase{"softfail-is-not-pass", "v=DMARC1; p=reject", "example.com", AuthResult::kSoftFail,
                    "example.com", N, "", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"p-none-fails", "v=DMARC1; p=none", "example.com", F, "example.com", N, "", 0,
                    Verdict::kFail, Policy::kNone, Policy::kNone, false},
        // sp for subdomains found through the organizational domain
        VerdictCase{"sp-applies", "v=DMARC1; p=reject; sp=quarantine", "news.example.com", F, "x.example.net",
                    N, "", 0, Verdict::kFail, Policy::kQuarantine, Policy::kQuarantine, false},
        VerdictCase{"p-applies-without-sp", "v=DMARC1; p=reject", "news.example.com", F, "x.example.net", N,
                    "", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"sp-not-for-domain-itself", "v=DMARC1; p=reject; sp=none", "example.com", F,
                    "x.example.net", N, "", 0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"subdomain-aligned-pass", "v=DMARC1; p=reject; sp=reject", "news.example.com", N, "", P,
                    "example.com", 0, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        // pct sampling (6.6.4): selected when random < pct
        VerdictCase{"pct-selected", "v=DMARC1; p=reject; pct=25", "example.com", F, "example.com", N, "", 24,
                    Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"pct-sampled-out-reject", "v=DMARC1; p=reject; pct=25", "example.com", F, "example.com",
                    N, "", 25, Verdict::kFail, Policy::kReject, Policy::kQuarantine, true},
        VerdictCase{"pct-sampled-out-quarantine", "v=DMARC1; p=quarantine; pct=10", "example.com", F,
                    "example.com", N, "", 50, Verdict::kFail, Policy::kQuarantine, Policy::kNone, true},
        VerdictCase{"pct-zero", "v=DMARC1; p=reject; pct=0", "example.com", F, "example.com", N, "", 0,
                    Verdict::kFail, Policy::kReject, Policy::kQuarantine, true},
        VerdictCase{"pct-100", "v=DMARC1; p=reject; pct=100", "example.com", F, "example.com", N, "", 99,
                    Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"pct-pass-unaffected", "v=DMARC1; p=reject; pct=1", "example.com", P, "example.com", N,
                    "", 99, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        // temporary errors never pass
        VerdictCase{"aligned-dkim-temperror", "v=DMARC1; p=reject", "example.com", F, "example.net", T,
                    "example.com", 0, Verdict::kTempError, Policy::kReject, Policy::kNone, false},
        VerdictCase{"aligned-spf-temperror", "v=DMARC1; p=reject", "example.com", T, "example.com", N, "", 0,
                    Verdict::kTempError, Policy::kReject, Policy::kNone, false},
        VerdictCase{"unaligned-temperror-fails", "v=DMARC1; p=reject", "example.com", T, "example.net", N, "",
                    0, Verdict::kFail, Policy::kReject, Policy::kReject, false},
        VerdictCase{"temperror-but-aligned-pass", "v=DMARC1; p=reject", "example.com", T, "example.com", P,
                    "example.com", 0, Verdict::kPass, Policy::kReject, Policy::kNone, false},
        // record problems
        VerdictCase{"invalid-record", "v=DMARC1; p=reject; p=none", "example.com", F, "example.com", N, "", 0,
                    Verdict::kPermError, Policy::kNone, Policy::kNone, false},
        VerdictCase{"rua-only-acts-as-none", "v=DMARC1; rua=mailto:r@example.com", "example.com", F,
                    "example.com", N, "", 0, Verdict::kFail, Policy::kNone, Policy::kNone, false},
        VerdictCase{"no-record", "v=spf1 -all", "example.com", F, "example.com", N, "", 0, Verdict::kNone,
                    Policy::kNone, Policy::kNone, false}));

TEST(Verdict, DnsTimeoutIsTempError) {
  dns::ZoneResolver z;
  z.set_failure("_dmarc.example.com", RRType::ANY, dns::Status::kTimeout);
  Evaluator ev(z);
  Request req;
  req.author = author_domains(std::vector<std::string>{"a@example.com"});
  req.dkim.push_back({AuthResult::kPass, "example.com", "s", ""});
  Outcome o = ev.check_sync(req);
  EXPECT_EQ(o.verdict, Verdict::kTempError) << o.reason;
  EXPECT_TRUE(o.temporary());
  EXPECT_EQ(o.disposition, Policy::kNone);
}

TEST(Verdict, RandomNotConsultedWhenNotNeeded) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=reject"});
  int calls = 0;
  Options opt;
  opt.random_percent = [&calls] {
    ++calls;
    return 0u;
  };
  Evaluator ev(z, opt);
  Request req;
  req.author = author_domains(std::vector<std::string>{"a@example.com"});
  EXPECT_EQ(ev.check_sync(req).verdict, Verdict::kFail);
  EXPECT_EQ(calls, 0);
}

// --- From rules (6.6.1) ----------------------------------------------------------------

TEST(AuthorDomain, Extraction) {
  auto one = author_domains(std::vector<std::string>{"\"Doe, John\" <John@Example.COM>"});
  EXPECT_EQ(one.domains, std::vector<std::string>{"example.com"});
  EXPECT_EQ(one.from_fields, 1u);

  auto multi = author_domains(std::vector<std::string>{"a@example.com, b@example.org, c@EXAMPLE.com"});
  EXPECT_EQ(multi.domains, (std::vector<std::string>{"example.com", "example.org"}));
  EXPECT_EQ(multi.mailboxes, 3u);

  auto none = author_domains(std::vector<std::string>{});
  EXPECT_TRUE(none.domains.empty());
  EXPECT_FALSE(none.error.empty());

  auto literal = author_domains(std::vector<std::string>{"a@[192.0.2.1]"});
  EXPECT_TRUE(literal.domains.empty());
  auto junk = author_domains(std::vector<std::string>{"not an address"});
  EXPECT_TRUE(junk.domains.empty());
  auto group = author_domains(std::vector<std::string>{"undisclosed-recipients:;"});
  EXPECT_TRUE(group.domains.empty());

  std::string msg = "From: a@example.com\r\nFrom: b@example.net\r\nTo: x@y.example\r\n\r\nbody\r\n";
  auto h = mime::HeaderSection::parse(msg);
  auto two = author_domains(h);
  EXPECT_EQ(two.from_fields, 2u);
  EXPECT_EQ(two.domains, (std::vector<std::string>{"example.com", "example.net"}));
}

// RFC 8616 section 6: an IDN author domain is looked up and aligned as
// A-labels, whichever form the From field or d= holds; an invalid IDN is a
// clear error, not a domain.
TEST(AuthorDomain, InternationalisedDomains) {
  auto u = author_domains(std::vector<std::string>{"J\xc3\xb6rg <j@B\xc3\xbc\x63her.example>"});
  EXPECT_EQ(u.domains, std::vector<std::string>{"xn--bcher-kva.example"});
  EXPECT_TRUE(aligned("B\xc3\xbc\x63her.example", "xn--bcher-kva.example", Alignment::kStrict, psl()));
  EXPECT_TRUE(aligned("mail.xn--bcher-kva.example", "b\xc3\xbc\x63her.example", Alignment::kRelaxed, psl()));
  EXPECT_FALSE(aligned("\xd0\xb0pple.com", "apple.com", Alignment::kRelaxed, psl()));  // Cyrillic a
  auto bad = author_domains(std::vector<std::string>{"x@\xe2\x98\x83.example"});
  EXPECT_TRUE(bad.domains.empty());
  EXPECT_NE(bad.error.find("invalid internationalised domain name"), std::string::npos) << bad.error;
}

TEST(AuthorDomain, NoFromIsNone) {
  dns::ZoneResolver z;
  Evaluator ev(z);
  Request req;
  req.author = author_domains(std::vector<std::string>{});
  Outcome o = ev.check_sync(req);
  EXPECT_EQ(o.verdict, Verdict::kNone);
  EXPECT_EQ(z.query_count(), 0u);
}

TEST(AuthorDomain, MultipleDomainsStrictestFailingPolicy) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=quarantine"});
  txt(z, "_dmarc.example.org", {"v=DMARC1; p=reject"});
  txt(z, "_dmarc.example.net", {"v=DMARC1; p=none"});
  Evaluator ev(z);
  Request req;
  req.author = author_domains(std::vector<std::string>{"a@example.com, b@example.org, c@example.net"});
  Outcome o = ev.check_sync(req);
  EXPECT_EQ(o.verdict, Verdict::kFail) << o.reason;
  EXPECT_EQ(o.disposition, Policy::kReject);
  EXPECT_EQ(o.header_from, "example.org");
  EXPECT_EQ(o.per_domain.size(), 3u);
  EXPECT_FALSE(o.multiple_from_fields);

  // One domain passes, the other fails: the failure decides.
  req.dkim.push_back({AuthResult::kPass, "example.org", "s", ""});
  o = ev.check_sync(req);
  EXPECT_EQ(o.verdict, Verdict::kFail);
  EXPECT_EQ(o.disposition, Policy::kQuarantine);
  EXPECT_EQ(o.header_from, "example.com");

  // Every domain passes.
  req.author = author_domains(std::vector<std::string>{"b@example.org"});
  EXPECT_EQ(ev.check_sync(req).verdict, Verdict::kPass);

  // Two From fields: evaluated the same way, and flagged.
  req.author = author_domains(std::vector<std::string>{"a@example.org", "b@example.com"});
  o = ev.check_sync(req);
  EXPECT_TRUE(o.multiple_from_fields);
  EXPECT_EQ(o.verdict, Verdict::kFail);
  EXPECT_EQ(o.disposition, Policy::kQuarantine);
}

TEST(AuthorDomain, TempErrorBeatsPassAcrossDomains) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=reject"});
  z.set_failure("_dmarc.example.org", RRType::TXT, dns::Status::kServFail);
  Evaluator ev(z);
  Request req;
  req.author = author_domains(std::vector<std::string>{"a@example.com, b@example.org"});
  req.dkim.push_back({AuthResult::kPass, "example.com", "s", ""});
  EXPECT_EQ(ev.check_sync(req).verdict, Verdict::kTempError);
}

TEST(AuthorDomain, TooManyDomains) {
  dns::ZoneResolver z;
  Evaluator ev(z);
  std::string from;
  for (size_t i = 0; i <= kMaxAuthorDomains; ++i)
    from += (i ? ", a@d" : "a@d") + std::to_string(i) + ".example";
  Request req;
  req.author = author_domains(std::vector<std::string>{from});
  EXPECT_EQ(ev.check_sync(req).verdict, Verdict::kPermError);
  EXPECT_EQ(z.query_count(), 0u);
}

// --- asynchronous use ------------------------------------------------------------------

TEST(Async, CallbackRunsOnce) {
  dns::ZoneResolver z;
  txt(z, "_dmarc.example.com", {"v=DMARC1; p=reject"});
  Evaluator ev(z);
  Request req;
  req.author = author_domains(std::vector<std::string>{"a@example.com"});
  int calls = 0;
  ev.check(req, [&](Outcome o) {
    ++calls;
    EXPECT_EQ(o.verdict, Verdict::kFail);
  });
  EXPECT_EQ(calls, 1);
}

// --- external destinations (7.1) ------------------------------------------------------

TEST(External, Verification) {
  dns::ZoneResolver z;
  Evaluator ev(z);
  auto uri = [](const char* s) { return *parse_report_uri(s); };

  auto same = ev.verify_external_sync("example.com", uri("mailto:dmarc@reports.example.com"));
  EXPECT_EQ(same.status, ExternalCheck::Status::kSameOrganization);
  EXPECT_TRUE(same.may_send());
  EXPECT_EQ(z.query_count(), 0u);

  auto denied = ev.verify_external_sync("example.com", uri("mailto:dmarc@thirdparty.example.net"));
  EXPECT_EQ(denied.status, ExternalCheck::Status::kUnauthorized);
  EXPECT_EQ(denied.query_name, "example.com._report._dmarc.thirdparty.example.net");
  EXPECT_FALSE(denied.may_send());

  txt(z, "example.com._report._dmarc.thirdparty.example.net", {"v=DMARC1"});
  auto ok = ev.verify_external_sync("example.com", uri("mailto:dmarc@thirdparty.example.net"));
  EXPECT_EQ(ok.status, ExternalCheck::Status::kAuthorized) << ok.reason;
  EXPECT_TRUE(ok.rua_replacement.empty());

  txt(z, "sub.example.com._report._dmarc.thirdparty.example.net",
      {"v=DMARC1; rua=mailto:other@thirdparty.example.net,mailto:evil@attacker.example"});
  auto repl = ev.verify_external_sync("sub.example.com", uri("mailto:dmarc@thirdparty.example.net"));
  EXPECT_EQ(repl.status, ExternalCheck::Status::kAuthorized);
  ASSERT_EQ(repl.rua_replacement.size(), 1u);  // other hosts are not accepted
  EXPECT_EQ(repl.rua_replacement[0].uri, "mailto:other@thirdparty.example.net");

  z.set_failure("example.org._report._dmarc.thirdparty.example.net", RRType::TXT, dns::Status::kTimeout);
  auto temp = ev.verify_external_sync("example.org", uri("mailto:dmarc@thirdparty.example.net"));
  EXPECT_EQ(temp.status, ExternalCheck::Status::kTempError);
  EXPECT_FALSE(temp.may_send());

  txt(z, "example.com._report._dmarc.reports.example.net", {"not dmarc"});
  EXPECT_EQ(ev.verify_external_sync("example.com", uri("https://reports.example.net/in")).status,
            ExternalCheck::Status::kUnauthorized);
}

}  // namespace
}  // namespace rampart::dmarc

// Table tests for DMARC record parsing (RFC 7489 6.3, 6.4, 6.6.3 step 6,
// appendix B examples) and Organizational Domains (3.2).
#include "auth/dmarc/record.h"

#include <gtest/gtest.h>

#include "auth/dmarc/orgdomain.h"

namespace rampart::dmarc {
namespace {

struct RecordCase {
  const char* text;
  bool ok;
  const char* canonical;  // to_string() of the result when ok
  size_t warnings;
};

class RecordParse : public ::testing::TestWithParam<RecordCase> {};

TEST_P(RecordParse, Table) {
  const RecordCase& c = GetParam();
  auto r = parse_record(c.text);
  ASSERT_EQ(static_cast<bool>(r), c.ok) << c.text << (r ? "" : ": " + r.error().message);
  if (!r) return;
  EXPECT_EQ(to_string(*r), c.canonical) << c.text;
  EXPECT_EQ(r->warnings.size(), c.warnings) << c.text;
  // The canonical form parses to itself.
  auto again = parse_record(to_string(*r));
  ASSERT_TRUE(again);
  EXPECT_EQ(to_string(*again), to_string(*r));
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7489, RecordParse,
    ::testing::Values(
        // Appendix B.2.1: monitoring only
        RecordCase{"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com", true,
                   "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com", 0},
        // B.2.3: per-message failure reports to a third party
        RecordCase{"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
                   "ruf=mailto:auth-reports@thirdparty.example.net",
                   true,
                   "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
                   "ruf=mailto:auth-reports@thirdparty.example.net",
                   0},
        // B.2.4: quarantine 25%, two rua URIs, one with a size limit
        RecordCase{"v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
                   "mailto:tld-test@thirdparty.example.net!10m; pct=25",
                   true,
                   "v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc-feedback@example.com,"
                   "mailto:tld-test@thirdparty.example.net!10m",
                   0},
        RecordCase{"v=DMARC1;p=reject", true, "v=DMARC1; p=reject", 0},
        RecordCase{"v=DMARC1; p=reject;", true, "v=DMARC1; p=reject", 0},  // trailing separator
        RecordCase{"  v = DMARC1 ;\tp = Reject ; SP=none ", true, "v=DMARC1; p=reject; sp=none", 0},
        RecordCase{"v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=s; pct=50; fo=1:d:s; rf=afrf; ri=3600",
                   true, "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=s; pct=50; fo=1:d:s; ri=3600", 0},
        RecordCase{"v=DMARC1; p=none; pct=025", true, "v=DMARC1; p=none; pct=25", 0},  // 1*3DIGIT
        RecordCase{"v=DMARC1; p=none; pct=0", true, "v=DMARC1; p=none; pct=0", 0},
        // Invalid values of other tags: default + warning (6.4)
        RecordCase{"v=DMARC1; p=none; pct=200", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; pct=1000", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; pct=-5", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; adkim=x; aspf=strict", true, "v=DMARC1; p=none", 2},
        RecordCase{"v=DMARC1; p=none; fo=2", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; ri=abc", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; ri=99999999999", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; rf=-bad", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; rf=afrf:iodef", true, "v=DMARC1; p=none; rf=afrf:iodef", 0},
        // Unknown tags are ignored (6.3)
        RecordCase{"v=DMARC1; p=none; np=reject; psd=y", true, "v=DMARC1; p=none", 2},
        // Bad URIs are dropped, good ones kept
        RecordCase{"v=DMARC1; p=none; rua=mailto:a@example.com!10x,mailto:b@example.com", true,
                   "v=DMARC1; p=none; rua=mailto:b@example.com", 1},
        RecordCase{"v=DMARC1; p=none; rua=notauri", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; rua=mailto:nodomain", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; rua=mailto:a@example.com!99999999999999", true, "v=DMARC1; p=none", 1},
        RecordCase{"v=DMARC1; p=none; rua=https://reports.example.net/dmarc!1g", true,
                   "v=DMARC1; p=none; rua=https://reports.example.net/dmarc!1g", 0},
        // p not second: accepted with a warning
        RecordCase{"v=DMARC1; rua=mailto:a@example.com; p=quarantine", true,
                   "v=DMARC1; p=quarantine; rua=mailto:a@example.com", 1},
        // 6.6.3 step 6: no valid p (or invalid sp) -> p=none when rua is valid
        RecordCase{"v=DMARC1; rua=mailto:a@example.com", true, "v=DMARC1; p=none; rua=mailto:a@example.com",
                   1},
        RecordCase{"v=DMARC1; p=bogus; rua=mailto:a@example.com", true,
                   "v=DMARC1; p=none; rua=mailto:a@example.com", 2},
        RecordCase{"v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com", true,
                   "v=DMARC1; p=none; rua=mailto:a@example.com", 2},
        // ... and no policy at all otherwise
        RecordCase{"v=DMARC1", false, "", 0}, RecordCase{"v=DMARC1;", false, "", 0},
        RecordCase{"v=DMARC1; p=bogus", false, "", 0},
        RecordCase{"v=DMARC1; p=reject; sp=bogus", false, "", 0},
        RecordCase{"v=DMARC1; p=reject; rua=bad", true, "v=DMARC1; p=reject", 1},  // only the URI goes
        // Not DMARC records at all / broken tag-lists
        RecordCase{"v=dmarc1; p=none", false, "", 0},  // %x44 %x4d...: case-sensitive
        RecordCase{"v=DMARC2; p=none", false, "", 0}, RecordCase{"v=DMARC10; p=none", false, "", 0},
        RecordCase{"v=DMARC1 p=none", false, "", 0},   // no separator after the version
        RecordCase{"p=none; v=DMARC1", false, "", 0},  // v must come first
        RecordCase{"v=spf1 -all", false, "", 0}, RecordCase{"", false, "", 0},
        RecordCase{"v=DMARC1; p=none; p=reject", false, "", 0},   // duplicate tag (RFC 6376 3.2)
        RecordCase{"v=DMARC1; p=none; P=reject", false, "", 0},   // duplicate, any case
        RecordCase{"v=DMARC1; p=none; v=DMARC1", false, "", 0},   // duplicate v
        RecordCase{"v=DMARC1; p=none; garbage", false, "", 0},    // tag without "="
        RecordCase{"v=DMARC1; p=none; 1x=y", false, "", 0},       // bad tag name
        RecordCase{"v=DMARC1; p=none; =y", false, "", 0},         // empty tag name
        RecordCase{"v=DMARC1; p=none; x=a\x01", false, "", 0},    // control character
        RecordCase{"v=DMARC1; p=none; x=\xc3\xa9", false, "", 0}  // 8-bit
        ));

TEST(RecordDetails, SizesAndHosts) {
  auto r = parse_record(
      "v=DMARC1; p=reject; rua=mailto:a@Example.COM!10m, mailto:b@example.net?subject=x!2K,"
      "https://user@Reports.Example.org:8443/x!1t; ruf=mailto:f@example.com!500");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rua.size(), 3u);
  EXPECT_EQ(r->rua[0].max_bytes, 10ull * 1024 * 1024);
  EXPECT_EQ(r->rua[0].host(), "example.com");
  EXPECT_TRUE(r->rua[0].is_mailto());
  EXPECT_EQ(r->rua[1].max_bytes, 2048u);
  EXPECT_EQ(r->rua[2].host(), "reports.example.org");
  EXPECT_EQ(r->rua[2].max_bytes, 1ull << 40);
  EXPECT_EQ(r->ruf[0].max_bytes, 500u);
  EXPECT_EQ(r->ruf[0].to_string(), "mailto:f@example.com!500");
}

TEST(RecordDetails, Defaults) {
  auto r = parse_record("v=DMARC1; p=quarantine");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::kQuarantine);
  EXPECT_FALSE(r->sp);
  EXPECT_EQ(r->subdomain_policy(), Policy::kQuarantine);  // p applies to subdomains without sp
  EXPECT_EQ(r->adkim, Alignment::kRelaxed);
  EXPECT_EQ(r->aspf, Alignment::kRelaxed);
  EXPECT_EQ(r->pct, 100u);
  EXPECT_EQ(r->ri, 86400u);
  EXPECT_TRUE(r->fo.all);
  EXPECT_FALSE(r->fo.any);
  EXPECT_EQ(r->rf, std::vector<std::string>{"afrf"});
  EXPECT_FALSE(r->p_defaulted);
}

TEST(RecordDetails, IsDmarcRecord) {
  EXPECT_TRUE(is_dmarc_record("v=DMARC1; p=none"));
  EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
  EXPECT_TRUE(is_dmarc_record("v=DMARC1;"));
  EXPECT_TRUE(is_dmarc_record(" v =\tDMARC1 ; p=none"));
  EXPECT_FALSE(is_dmarc_record("v=DMARC1x"));
  EXPECT_FALSE(is_dmarc_record("v=spf1 -all"));
  EXPECT_FALSE(is_dmarc_record(""));
}

TEST(RecordDetails, UriLimit) {
  std::string t = "v=DMARC1; p=none; rua=";
  for (int i = 0; i < 50; ++i)
    t += (i ? "," : "") + std::string("mailto:r") + std::to_string(i) + "@example.com";
  auto r = parse_record(t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rua.size(), kMaxUris);
}

// --- Organizational Domains (3.2) -----------------------------------------------

struct OrgCase {
  const char* domain;
  const char* org;
};

class OrgDomain : public ::testing::TestWithParam<OrgCase> {};

TEST_P(OrgDomain, SystemList) {
  const auto& psl = PublicSuffixList::system();
  ASSERT_TRUE(psl.loaded()) << psl.source();
  EXPECT_EQ(psl.organizational_domain(GetParam().domain), GetParam().org) << GetParam().domain;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7489, OrgDomain,
    ::testing::Values(OrgCase{"foo.example.co.uk", "example.co.uk"},
                      OrgCase{"example.co.uk", "example.co.uk"}, OrgCase{"a.b.c.example.com", "example.com"},
                      OrgCase{"example.com", "example.com"}, OrgCase{"Mail.Example.COM.", "example.com"},
                      OrgCase{"news.example.com", "example.com"},
                      OrgCase{"co.uk", "co.uk"},  // a public suffix is its own
                      OrgCase{"com", "com"},
                      OrgCase{"foo.bar.example.invalidtld", "example.invalidtld"},  // "*"
                      OrgCase{"www.city.kawasaki.jp", "city.kawasaki.jp"},          // exception rule
                      OrgCase{"a.b.example.ck", "b.example.ck"},                    // *.ck
                      OrgCase{"", ""}));

TEST(OrgDomainText, OwnList) {
  auto psl = PublicSuffixList::from_text("// test list\ncom\nuk\nco.uk\n*.ck\n!www.ck\n");
  ASSERT_TRUE(psl) << psl.error().message;
  EXPECT_EQ(psl->organizational_domain("foo.example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl->organizational_domain("x.y.example.com"), "example.com");
  EXPECT_EQ(psl->organizational_domain("www.ck"), "www.ck");
  EXPECT_EQ(psl->organizational_domain("a.www.ck"), "www.ck");
  EXPECT_EQ(psl->organizational_domain("a.b.ck"), "a.b.ck");
  EXPECT_TRUE(psl->is_public_suffix("co.uk"));
  EXPECT_FALSE(psl->is_public_suffix("example.co.uk"));
  EXPECT_FALSE(PublicSuffixList::from_file("/nonexistent/psl.dat"));
}

}  // namespace
}  // namespace rampart::dmarc

// File: src/reputation/arf_test.cc
// ARF parsing over tests/data/arf (RFC 5965 B.2, RFC 6591, real-world
// variants, bad reports), complaint events, DKIM re-verification.
#include "reputation/arf.h"

#include <gtest/gtest.h>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "auth/dmarc/orgdomain.h"
#include "dns/zone_resolver.h"
#include "reputation/arf_dkim.h"
#include "reputation/engine.h"
#include "reputation/test_util.h"

namespace rampart::reputation {
namespace {

std::string load(const std::string& name) { return dkim::testing::read_file("tests/data/arf/" + name); }

bool has_warning(const ArfReport& r, std::string_view part) {
  for (const std::string& w : r.warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

TEST(Arf, Rfc5965AppendixB2) {
  auto r = parse_arf(load("rfc5965-b2.eml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->style, ArfStyle::kArf);
  EXPECT_EQ(r->feedback_type, "abuse");
  EXPECT_EQ(r->user_agent, "SomeGenerator/1.0");
  EXPECT_EQ(r->version, "1");
  ASSERT_TRUE(r->source_ip);
  EXPECT_EQ(r->source_ip->to_string(), "192.0.2.1");
  EXPECT_EQ(r->original_mail_from, "somespammer@example.net");
  EXPECT_EQ(r->original_rcpt_to, std::vector<std::string>{"user@example.com"});
  EXPECT_EQ(r->reported_domains, std::vector<std::string>{"example.net"});
  EXPECT_EQ(r->reported_uris.size(), 2u);
  EXPECT_TRUE(r->original_complete);
  EXPECT_NE(r->original.find("Spam Spam Spam"), std::string::npos);
  EXPECT_EQ(r->from, "<somespammer@example.net>");
  EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
  // Nothing verified: the complaint lands on the IP only.
  auto e = to_event(*r, auth_from_headers(*r, {"mail.example.com"}), 1700000000);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->type, EventType::kComplaint);
  const auto ids = identities_of(*e, dmarc::PublicSuffixList::system());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].key, "ip:192.0.2.1");
}

TEST(Arf, Rfc6591AuthFailureIsNotAComplaint) {
  auto r = parse_arf(load("rfc6591-dkim.eml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->style, ArfStyle::kHeadersOnly);
  EXPECT_EQ(r->feedback_type, "auth-failure");
  EXPECT_EQ(r->auth_failure, "signature");
  EXPECT_EQ(r->dkim_domain, "example.net");
  EXPECT_EQ(r->dkim_selector, "jan2010");
  EXPECT_EQ(r->dkim_identity, "@example.net");
  EXPECT_EQ(r->dkim_signature_domains, std::vector<std::string>{"example.net"});
  EXPECT_FALSE(r->original_complete);
  auto e = to_event(*r, OriginalAuth{}, 1);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("auth-failure"), std::string::npos);
}

TEST(Arf, MissingSourceIpHeadersOnlyTrustedAuthResults) {
  auto r = parse_arf(load("no-source-ip-headers-only.eml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->style, ArfStyle::kHeadersOnly);
  ASSERT_TRUE(r->source_ip);
  EXPECT_EQ(r->source_ip->to_string(), "198.51.100.20");
  EXPECT_TRUE(r->source_ip_from_received);
  EXPECT_TRUE(has_warning(*r, "no Source-IP"));
  EXPECT_TRUE(has_warning(*r, "headers only"));
  EXPECT_EQ(r->list_id, "offers.news.example");
  EXPECT_EQ(r->feedback_id, "c42:offers:news");
  EXPECT_TRUE(r->one_click);
  EXPECT_EQ(r->return_path, "bounces@mail.news.example");

  // Untrusted: nothing verified, network identities only.
  OriginalAuth none = auth_from_headers(*r, {});
  EXPECT_EQ(none.dkim, AuthResult::kNone);
  // Trusted reporter's own field: the domain is verified; evil.example's is ignored.
  OriginalAuth a = auth_from_headers(*r, {"mx1.isp.example"});
  EXPECT_EQ(a.spf, AuthResult::kPass);
  EXPECT_EQ(a.dmarc, AuthResult::kPass);
  EXPECT_EQ(a.dkim_pass_domains, std::vector<std::string>{"news.example"});
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  auto e = to_event(*r, a, 1700000000);
  ASSERT_TRUE(e);
  std::vector<std::string> keys;
  for (const Identity& i : identities_of(*e, *psl)) keys.push_back(i.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"ip:198.51.100.20", "net:198.51.100.0/24", "domain:news.example",
                                            "dkim:news.example", "spf:mail.news.example",
                                            "fbid:c42:offers:news", "list:offers.news.example"}));
}

TEST(Arf, MicrosoftJmrpStyle) {
  auto r = parse_arf(load("jmrp.eml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->style, ArfStyle::kJmrp);
  EXPECT_EQ(r->feedback_type, "abuse");
  ASSERT_TRUE(r->source_ip);
  EXPECT_EQ(r->source_ip->to_string(), "198.51.100.99");
  EXPECT_EQ(r->original_rcpt_to, std::vector<std::string>{"someone@hotmail.com"});
  OriginalAuth a = auth_from_headers(*r, {"hotmail.com"});
  EXPECT_EQ(a.spf, AuthResult::kPass);
  EXPECT_EQ(a.dkim, AuthResult::kNone);
  auto e = to_event(*r, a, 1);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->mail_from, "bounce@shop.example");
}

TEST(Arf, Base64FeedbackPartAndBareLf) {
  auto r = parse_arf(load("base64-feedback.eml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->feedback_type, "abuse");
  ASSERT_TRUE(r->source_ip);
  EXPECT_EQ(r->source_ip->to_string(), "203.0.113.5");
}

TEST(Arf, BadReportsRejectedWithReasonAndKept) {
  RejectedReports kept(2);
  const std::pair<const char*, const char*> cases[] = {
      {"bad-not-multipart.eml", "not a multipart report"},
      {"bad-no-original.eml", "no original message"},
      {"bad-no-feedback-type.eml", "no Feedback-Type"},
  };
  for (const auto& [file, reason] : cases) {
    const std::string raw = load(file);
    ASSERT_FALSE(raw.empty()) << file;
    auto r = parse_arf(raw);
    ASSERT_FALSE(r) << file;
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << file << ": " << r.error().message;
    kept.keep(raw, r.error().message, 1700000000);
  }
  EXPECT_EQ(kept.total(), 3u);
  ASSERT_EQ(kept.entries().size(), 2u);  // bounded: the newest two
  EXPECT_NE(kept.entries().back().reason.find("Feedback-Type"), std::string::npos);
  EXPECT_EQ(kept.find(1), nullptr);  // dropped
  ASSERT_NE(kept.find(3), nullptr);
  EXPECT_EQ(kept.find(3), &kept.entries().back());
  EXPECT_EQ(kept.find(2)->seq, 2u);
  EXPECT_EQ(kept.find(4), nullptr);
  EXPECT_EQ(kept.find(0), nullptr);
  EXPECT_FALSE(parse_arf(std::string(100, 'x'), ArfLimits{10}));
}

TEST(Arf, ComplaintsReachTheEngine) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  auto r = parse_arf(load("no-source-ip-headers-only.eml"));
  ASSERT_TRUE(r);
  auto e = to_event(*r, auth_from_headers(*r, {"mx1.isp.example"}), 1700000000);
  ASSERT_TRUE(e);
  ASSERT_TRUE(engine.record(*e));
  auto c = store.get("domain:news.example");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(Metric::kComplaints, Window::kDay, 1700000000), 1);
}

TEST(Arf, DkimReverificationOfACompleteOriginal) {
  auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(key);
  dns::ZoneResolver dns;
  dns.add("s1._domainkey.news.example", dkim::testing::txt_record(dkim::testing::key_record(*key)));
  const std::string original =
      "From: News <letters@news.example>\r\nTo: u@isp.example\r\nSubject: offers\r\n"
      "Date: Mon, 02 Oct 2023 09:12:00 +0000\r\nMessage-ID: <m1@news.example>\r\n\r\nHello.\r\n";
  dkim::SignOptions o;
  o.domain = "news.example";
  o.selector = "s1";
  o.timestamp = 1696237920;
  auto sig = dkim::sign(original, *key, o);
  ASSERT_TRUE(sig) << sig.error().message;
  FakeClock clock(1696237930);
  dkim::Verifier v(dns, clock);
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);

  auto good = parse_arf(testing::arf_report(*sig + original));
  ASSERT_TRUE(good) << good.error().message;
  ASSERT_TRUE(good->original_complete);
  OriginalAuth a = reauthenticate(*good, v, *psl);
  EXPECT_EQ(a.dkim, AuthResult::kPass);
  EXPECT_EQ(a.dmarc, AuthResult::kPass);
  EXPECT_EQ(a.dkim_pass_domains, std::vector<std::string>{"news.example"});

  // Altered in transit (or forged): DKIM fails, the domain is not blamed.
  std::string altered = *sig + original;
  altered.replace(altered.find("Hello."), 6, "Buy!!!");
  auto bad = parse_arf(testing::arf_report(altered));
  ASSERT_TRUE(bad);
  OriginalAuth b = reauthenticate(*bad, v, *psl);
  EXPECT_EQ(b.dkim, AuthResult::kFail);
  EXPECT_EQ(b.dmarc, AuthResult::kFail);
  auto e = to_event(*bad, b, 1);
  ASSERT_TRUE(e);
  for (const Identity& i : identities_of(*e, *psl)) EXPECT_NE(i.kind, IdentityKind::kDomain) << i.key;
}

}  // namespace
}  // namespace rampart::reputation

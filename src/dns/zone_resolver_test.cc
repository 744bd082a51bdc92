#include "dns/zone_resolver.h"

#include <gtest/gtest.h>

#include "dns/format.h"
#include "dns/zone_file.h"

namespace rampart::dns {
namespace {

std::string rec(const AnswerPtr& a, size_t i = 0) {
  return i < a->records.size() ? record_to_string(a->records[i]) : std::string();
}

Record a(const char* ip, uint32_t ttl = 300) { return Record{RRType::A, ttl, *IpAddress::parse(ip)}; }
Record txt(std::string s, uint32_t ttl = 300) { return Record{RRType::TXT, ttl, Txt{{std::move(s)}}}; }
Record cname(std::string target) { return Record{RRType::CNAME, 100, std::move(target)}; }

class ZoneResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto z = parse_zone(R"(
$ORIGIN example.com.
$TTL 300
@        SOA ns host 1 2 3 4 60
@        TXT "v=spf1 -all"
         MX 10 mail
mail     A 192.0.2.25
a.b.c    A 192.0.2.1
www  100 CNAME mail
loop1    CNAME loop2
loop2    CNAME loop1
self     CNAME self
dangling CNAME nowhere.example.org.
*.wild   TXT "wild"
*.wild   CNAME mail
sub.wild A 192.0.2.50
*.cn     CNAME mail
)");
    ASSERT_TRUE(z) << z.error().message;
    dns_.load(*z);
  }
  ZoneResolver dns_;
};

TEST_F(ZoneResolverTest, PositiveAndCaseInsensitive) {
  auto r = dns_.resolve_sync("EXAMPLE.Com.", RRType::TXT);
  ASSERT_EQ(r->status, Status::kOk);
  EXPECT_EQ(rec(r), "TXT \"v=spf1 -all\"");
  EXPECT_EQ(r->min_ttl, 300u);
  auto mx = dns_.resolve_sync("example.com", RRType::MX);
  ASSERT_EQ(mx->records.size(), 1u);
  EXPECT_EQ(rec(mx), "MX 10 mail.example.com");
}

TEST_F(ZoneResolverTest, NxDomainNoDataAndEmptyNonTerminals) {
  EXPECT_EQ(dns_.resolve_sync("nope.example.com", RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(dns_.resolve_sync("mail.example.com", RRType::TXT)->status, Status::kNoData);
  // b.c.example.com and c.example.com exist only because a.b.c does.
  EXPECT_EQ(dns_.resolve_sync("b.c.example.com", RRType::A)->status, Status::kNoData);
  EXPECT_EQ(dns_.resolve_sync("c.example.com", RRType::TXT)->status, Status::kNoData);
  EXPECT_EQ(dns_.resolve_sync("x.a.b.c.example.com", RRType::A)->status, Status::kNxDomain);
  // Negative TTL from the SOA.
  EXPECT_EQ(dns_.resolve_sync("nope.example.com", RRType::A)->min_ttl, 60u);
}

TEST_F(ZoneResolverTest, Wildcards) {
  auto r = dns_.resolve_sync("anything.wild.example.com", RRType::TXT);
  ASSERT_EQ(r->status, Status::kOk);
  EXPECT_EQ(rec(r), "TXT \"wild\"");
  // Deeper names below the wildcard match too (closest encloser wild.example.com).
  EXPECT_EQ(dns_.resolve_sync("x.y.wild.example.com", RRType::TXT)->status, Status::kOk);
  // A name that exists blocks the wildcard (RFC 4592 2.2.1).
  EXPECT_EQ(dns_.resolve_sync("sub.wild.example.com", RRType::TXT)->status, Status::kNoData);
  // Below an existing name, the closest encloser is that name: no wildcard there.
  EXPECT_EQ(dns_.resolve_sync("x.sub.wild.example.com", RRType::TXT)->status, Status::kNxDomain);
  // The wildcard owner itself is an ordinary name.
  EXPECT_EQ(dns_.resolve_sync("*.wild.example.com", RRType::TXT)->status, Status::kOk);
  // Wildcard with a CNAME alongside (only for types it does not have).
  auto c = dns_.resolve_sync("q.cn.example.com", RRType::A);
  ASSERT_EQ(c->status, Status::kOk);
  EXPECT_EQ(rec(c), "A 192.0.2.25");
  // The wildcard does not cover the encloser itself.
  EXPECT_EQ(dns_.resolve_sync("wild.example.com", RRType::TXT)->status, Status::kNoData);
}

TEST_F(ZoneResolverTest, CnameFollowingAndLoops) {
  auto r = dns_.resolve_sync("www.example.com", RRType::A);
  ASSERT_EQ(r->status, Status::kOk);
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(rec(r), "A 192.0.2.25");
  EXPECT_EQ(r->min_ttl, 100u);  // the CNAME's TTL is smaller
  auto c = dns_.resolve_sync("www.example.com", RRType::CNAME);
  ASSERT_EQ(c->status, Status::kOk);
  EXPECT_EQ(rec(c), "CNAME mail.example.com");
  EXPECT_EQ(dns_.resolve_sync("www.example.com", RRType::TXT)->status, Status::kNoData);
  EXPECT_EQ(dns_.resolve_sync("loop1.example.com", RRType::A)->status, Status::kServFail);
  EXPECT_EQ(dns_.resolve_sync("self.example.com", RRType::A)->status, Status::kServFail);
  EXPECT_EQ(dns_.resolve_sync("dangling.example.com", RRType::A)->status, Status::kNxDomain);
}

TEST(ZoneResolver, LongChainIsServFail) {
  ZoneResolver dns;
  for (int i = 0; i < 12; ++i) dns.add("c" + std::to_string(i), cname("c" + std::to_string(i + 1)));
  dns.add("c12", a("192.0.2.1"));
  EXPECT_EQ(dns.resolve_sync("c0", RRType::A)->status, Status::kServFail);
  EXPECT_EQ(dns.resolve_sync("c5", RRType::A)->status, Status::kOk);  // 7 hops
}

TEST_F(ZoneResolverTest, InjectedFailures) {
  dns_.set_failure("Example.com", RRType::TXT, Status::kTimeout);
  EXPECT_EQ(dns_.resolve_sync("example.com", RRType::TXT)->status, Status::kTimeout);
  EXPECT_EQ(dns_.resolve_sync("example.com", RRType::MX)->status, Status::kOk);
  dns_.set_failure("mail.example.com", RRType::ANY, Status::kServFail);
  EXPECT_EQ(dns_.resolve_sync("mail.example.com", RRType::A)->status, Status::kServFail);
  EXPECT_TRUE(dns_.resolve_sync("mail.example.com", RRType::AAAA)->temporary());
  dns_.clear_failure("example.com", RRType::TXT);
  EXPECT_EQ(dns_.resolve_sync("example.com", RRType::TXT)->status, Status::kOk);
  dns_.clear_failures();
  EXPECT_EQ(dns_.resolve_sync("mail.example.com", RRType::A)->status, Status::kOk);
}

TEST_F(ZoneResolverTest, SynchronousCallbackAndCounts) {
  bool called = false;
  dns_.resolve("example.com", RRType::TXT, [&](AnswerPtr r) {
    called = true;
    EXPECT_TRUE(r->ok());
  });
  EXPECT_TRUE(called);  // before resolve() returned
  EXPECT_EQ(dns_.pending(), 0u);
  dns_.record_queries(true);
  dns_.resolve_sync("EXAMPLE.COM", RRType::TXT);
  dns_.resolve_sync("nope.example.com", RRType::A);
  EXPECT_EQ(dns_.query_count(), 3u);
  EXPECT_EQ(dns_.query_count("example.com", RRType::TXT), 2u);
  EXPECT_EQ(dns_.query_count("nope.example.com", RRType::A), 1u);
  EXPECT_EQ(dns_.query_count("nope.example.com", RRType::TXT), 0u);
  ASSERT_EQ(dns_.queries().size(), 2u);
  EXPECT_EQ(dns_.queries()[0].first, "example.com");
  EXPECT_EQ(dns_.queries()[1].second, RRType::A);
  dns_.reset_counts();
  EXPECT_EQ(dns_.query_count(), 0u);
}

TEST_F(ZoneResolverTest, AddInvalidatesMemo) {
  EXPECT_EQ(dns_.resolve_sync("new.example.com", RRType::A)->status, Status::kNxDomain);
  dns_.add("NEW.example.com", a("192.0.2.9"));
  EXPECT_EQ(dns_.resolve_sync("new.example.com", RRType::A)->status, Status::kOk);
}

TEST(ZoneResolver, InvalidNames) {
  ZoneResolver dns;
  dns.add("example.com", txt("x"));
  EXPECT_EQ(dns.resolve_sync("a..example.com", RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(dns.resolve_sync(std::string(64, 'a') + ".example.com", RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(dns.resolve_sync(std::string(300, 'a'), RRType::A)->status, Status::kNxDomain);
  EXPECT_EQ(dns.query_count(), 3u);
}

TEST(ZoneResolver, AnyReturnsAllTypes) {
  ZoneResolver dns;
  dns.add("x", a("192.0.2.1"));
  dns.add("x", txt("t"));
  EXPECT_EQ(dns.resolve_sync("x", RRType::ANY)->records.size(), 2u);
}

}  // namespace
}  // namespace rampart::dns

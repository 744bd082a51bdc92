// UnboundResolver against DnsTestServer on 127.0.0.1: every status a real
// resolver can produce, TCP fallback on TC, and timeouts.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "dns/format.h"
#include "dns/unbound_resolver.h"
#include "dns/zone_file.h"
#include "support/dns_test_server.h"

namespace rampart::dns {
namespace {

constexpr const char* kZone = R"(
$ORIGIN example.com.
$TTL 300
@     SOA   ns hostmaster 1 3600 600 86400 60
@     A     192.0.2.1
@     AAAA  2001:db8::1
@     MX    10 mail
@     MX    20 backup
@     TXT   "v=spf1 ip4:192.0.2.0/24 " "include:_spf.example.net -all"
mail  A     192.0.2.25
www   CNAME mail
a.b   TXT   "deep"
*.w   TXT   "wildcard"
)";

std::string records(const AnswerPtr& a) {
  std::string out;
  for (const auto& r : a->records) out += (out.empty() ? "" : "; ") + record_to_string(r);
  return out;
}

class DnsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto zone = parse_zone(kZone);
    ASSERT_TRUE(zone) << zone.error().message;
    auto server = DnsTestServer::start(std::move(*zone));
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }
  std::unique_ptr<UnboundResolver> resolver(int timeout_ms = 3000) {
    UnboundOptions o;
    o.forwarders = {server_->forwarder()};
    o.timeout_ms = timeout_ms;
    auto r = UnboundResolver::create(o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }
  std::unique_ptr<DnsTestServer> server_;
};

TEST_F(DnsIntegration, PositiveAnswers) {
  auto r = resolver();
  ASSERT_TRUE(r);
  auto a = r->resolve_sync("Example.COM", RRType::A);
  EXPECT_EQ(answer_to_string(*a), "ok ttl=300: A 192.0.2.1");
  a = r->resolve_sync("example.com", RRType::AAAA);
  EXPECT_EQ(records(a), "AAAA 2001:db8::1");
  a = r->resolve_sync("example.com", RRType::MX);
  ASSERT_EQ(a->status, Status::kOk);
  EXPECT_EQ(a->records.size(), 2u);
  EXPECT_NE(records(a).find("MX 10 mail.example.com"), std::string::npos);
  a = r->resolve_sync("example.com.", RRType::TXT);
  ASSERT_EQ(a->status, Status::kOk);
  EXPECT_EQ(records(a), "TXT \"v=spf1 ip4:192.0.2.0/24 \" \"include:_spf.example.net -all\"");
  ASSERT_EQ(a->records.size(), 1u);
  const Txt* t = a->records[0].txt();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->strings.size(), 2u);
  EXPECT_FALSE(a->secure);
  a = r->resolve_sync("www.example.com", RRType::A);
  EXPECT_EQ(records(a), "A 192.0.2.25");
  a = r->resolve_sync("x.w.example.com", RRType::TXT);
  EXPECT_EQ(records(a), "TXT \"wildcard\"");
  EXPECT_GT(server_->udp_queries(), 0u);
}

TEST_F(DnsIntegration, NegativeAnswers) {
  auto r = resolver();
  ASSERT_TRUE(r);
  auto a = r->resolve_sync("nope.example.com", RRType::A);
  EXPECT_EQ(a->status, Status::kNxDomain) << a->error;
  EXPECT_EQ(a->min_ttl, 60u);
  a = r->resolve_sync("mail.example.com", RRType::TXT);
  EXPECT_EQ(a->status, Status::kNoData) << a->error;
  a = r->resolve_sync("b.example.com", RRType::TXT);  // empty non-terminal
  EXPECT_EQ(a->status, Status::kNoData) << a->error;
  a = r->resolve_sync("a..example.com", RRType::A);
  EXPECT_EQ(a->status, Status::kNxDomain);
}

TEST_F(DnsIntegration, ServFail) {
  server_->set_servfail(true);
  auto r = resolver();
  ASSERT_TRUE(r);
  auto a = r->resolve_sync("example.com", RRType::A);
  EXPECT_EQ(a->status, Status::kServFail) << a->error;
  EXPECT_TRUE(a->temporary());
}

TEST_F(DnsIntegration, DroppedQueriesTimeOut) {
  server_->set_drop(true);
  auto r = resolver(300);
  ASSERT_TRUE(r);
  auto start = std::chrono::steady_clock::now();
  auto a = r->resolve_sync("example.com", RRType::TXT);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a->status, Status::kTimeout) << a->error;
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_EQ(r->pending(), 0u);
  EXPECT_EQ(r->timeouts(), 1u);
  EXPECT_GT(server_->udp_queries(), 0u);
}

TEST_F(DnsIntegration, TruncatedUdpRetriesOverTcp) {
  server_->set_truncate_udp(true);
  auto r = resolver();
  ASSERT_TRUE(r);
  auto a = r->resolve_sync("example.com", RRType::TXT);
  ASSERT_EQ(a->status, Status::kOk) << a->error;
  EXPECT_EQ(a->records.size(), 1u);
  EXPECT_GT(server_->tcp_queries(), 0u);
}

TEST_F(DnsIntegration, AsynchronousCallbacksRunInProcess) {
  auto r = resolver();
  ASSERT_TRUE(r);
  EXPECT_GE(r->fd(), 0);
  int done = 0;
  const char* names[] = {"example.com", "mail.example.com", "nope.example.com"};
  for (const char* n : names)
    r->resolve(n, RRType::A, [&](AnswerPtr a) {
      EXPECT_TRUE(a->status == Status::kOk || a->status == Status::kNxDomain);
      ++done;
    });
  EXPECT_EQ(done, 0);  // never before resolve() returns for a network lookup
  EXPECT_EQ(r->pending(), 3u);
  while (r->pending() > 0) r->wait(1000);
  EXPECT_EQ(done, 3);
}

TEST_F(DnsIntegration, DnssecBogusWithTrustAnchor) {
  // A trust anchor for example.com that the unsigned test zone cannot match:
  // validation fails, the answer is bogus and temporary (kServFail).
  std::string path = ::testing::TempDir() + "/dns_anchor.ds";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "example.com. 3600 IN DS 12345 8 2 "
      "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE0B7B4A8B3C4A5A3F0D0D0D0D\n",
      f);
  std::fclose(f);
  UnboundOptions o;
  o.forwarders = {server_->forwarder()};
  o.trust_anchor_file = path;
  auto r = UnboundResolver::create(o);
  ASSERT_TRUE(r) << r.error().message;
  auto a = (*r)->resolve_sync("example.com", RRType::A);
  EXPECT_TRUE(a->bogus);
  EXPECT_FALSE(a->secure);
  EXPECT_EQ(a->status, Status::kServFail);
  EXPECT_NE(a->error.find("DNSSEC"), std::string::npos) << a->error;
  std::remove(path.c_str());
}

TEST(UnboundResolverConfig, RejectsBadOptions) {
  UnboundOptions o;
  o.forwarders = {"not-an-ip"};
  EXPECT_FALSE(UnboundResolver::create(o));
  o.forwarders = {"127.0.0.1@99999"};
  EXPECT_FALSE(UnboundResolver::create(o));
  o.forwarders = {"::1@53"};
  EXPECT_TRUE(UnboundResolver::create(o));
  o.timeout_ms = 0;
  EXPECT_FALSE(UnboundResolver::create(o));
  o.timeout_ms = 100;
  o.trust_anchor_file = "/nonexistent/anchor";
  EXPECT_FALSE(UnboundResolver::create(o));
}

TEST(DnsTestServerUnit, AnswersFromZone) {
  auto zone = parse_zone(kZone);
  ASSERT_TRUE(zone);
  auto server = DnsTestServer::start(std::move(*zone));
  ASSERT_TRUE(server);
  EXPECT_GT((*server)->port(), 0);
  auto q = build_query(5, "www.example.com", RRType::A);
  auto reply = (*server)->answer(*q, true);
  auto h = parse_header(reply);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->aa);
  EXPECT_EQ(h->id, 5);
  EXPECT_EQ(h->ancount, 2);  // CNAME + A
  EXPECT_EQ(answer_to_string(parse_response(reply, RRType::A)), "ok ttl=300: A 192.0.2.25");
  (*server)->set_truncate_udp(true);
  EXPECT_TRUE(parse_header((*server)->answer(*q, true))->tc);
  EXPECT_FALSE(parse_header((*server)->answer(*q, false))->tc);
}

}  // namespace
}  // namespace rampart::dns

namespace rampart::dns {
namespace {

// What the SPF suites showed on the real path, one case each through
// libunbound: PTRs in the reverse zones of private and documentation ranges
// (libunbound answers those itself unless told to forward them), an owner in
// another letter case, names with ':' '/' '%' and spaces, and empty TXT
// rdata beside a multi-string record.
TEST(DnsIntegrationNames, SpecialReverseZonesOddNamesAndEmptyTxt) {
  Zone z;
  auto ptr = [](const char* target) { return Record{RRType::PTR, 300, std::string(target)}; };
  z.add("41.218.168.192.in-addr.arpa", ptr("mx.example.com"));
  z.add("5.0.0.10.in-addr.arpa", ptr("ten.example.com"));
  z.add("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.F.F.0.8.B.D.0.1.0.0.2.ip6.arpa", ptr("v6.example.org"));
  z.add("foo:bar/baz.example.com", Record{RRType::A, 300, *IpAddress::parse("1.2.3.4")});
  z.add("macro%percent  space%20url-space.example.com", Record{RRType::A, 300, *IpAddress::parse("1.2.3.5")});
  z.add("null.example.com", Record{RRType::TXT, 300, Txt{{"v=spf1 ip4:", "192.0.2.5 -all"}}});
  z.add("null.example.com", Record{RRType::TXT, 300, Txt{}});
  auto server = DnsTestServer::start(std::move(z));
  ASSERT_TRUE(server) << server.error().message;
  UnboundOptions o;
  o.forwarders = {(*server)->forwarder()};
  auto r = UnboundResolver::create(o);
  ASSERT_TRUE(r) << r.error().message;

  auto a = (*r)->resolve_sync("41.218.168.192.in-addr.arpa", RRType::PTR);
  ASSERT_EQ(a->status, Status::kOk) << a->error;
  EXPECT_EQ(records(a), "PTR mx.example.com");
  a = (*r)->resolve_sync("5.0.0.10.in-addr.arpa", RRType::PTR);
  EXPECT_EQ(records(a), "PTR ten.example.com") << a->error;
  // Asked in lower case, answered with the zone's upper-case owner.
  a = (*r)->resolve_sync("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.f.f.0.8.b.d.0.1.0.0.2.ip6.arpa",
                         RRType::PTR);
  EXPECT_EQ(records(a), "PTR v6.example.org") << a->error;

  a = (*r)->resolve_sync("foo:bar/baz.example.com", RRType::A);
  EXPECT_EQ(records(a), "A 1.2.3.4") << a->error;
  a = (*r)->resolve_sync("macro%percent  space%20url-space.example.com", RRType::A);
  EXPECT_EQ(records(a), "A 1.2.3.5") << a->error;
  a = (*r)->resolve_sync("foo:bar/other.example.com", RRType::A);
  EXPECT_EQ(a->status, Status::kNxDomain);

  a = (*r)->resolve_sync("null.example.com", RRType::TXT);
  ASSERT_EQ(a->status, Status::kOk) << a->error;
  ASSERT_EQ(a->records.size(), 2u);
  std::string texts;
  for (const auto& rec : a->records) texts += "[" + rec.txt()->text() + "]";
  EXPECT_TRUE(texts == "[v=spf1 ip4:192.0.2.5 -all][]" || texts == "[][v=spf1 ip4:192.0.2.5 -all]") << texts;
}

}  // namespace
}  // namespace rampart::dns

#include "flows/actions.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace rampart::flows {
namespace {

constexpr int64_t kNow = 1700000000000;

Incident incident(const char* host, Action a, uint64_t id = 1) {
  Incident i;
  i.id = id;
  i.host = *IpAddress::parse(host);
  i.first_seen_ms = kNow - 60000;
  i.last_seen_ms = kNow;
  i.score = 1.7;
  i.action = a;
  return i;
}

TEST(Actions, ApplyExtendExpireAndEscalate) {
  ActionPolicy p;
  p.block_ttl_s = 3600;
  p.exceptions.push_back(*Prefix::parse("100.64.200.0/24"));
  ActionTable t(p);
  const auto& a = t.apply(incident("100.64.1.5", Action::kBlock), kNow);
  EXPECT_EQ(a.expires_ms, kNow + 3600000);
  EXPECT_EQ(t.apply(incident("100.64.200.7", Action::kBlock), kNow).action, Action::kNotify);
  // Extended, never shortened.
  t.apply(incident("100.64.1.5", Action::kThrottle, 2), kNow + 1800000);
  EXPECT_EQ(t.find(*IpAddress::parse("100.64.1.5"))->action, Action::kBlock);
  EXPECT_EQ(t.find(*IpAddress::parse("100.64.1.5"))->expires_ms, kNow + 1800000 + 3600000);
  EXPECT_TRUE(t.expire(kNow + 5399999).empty());  // nothing due yet
  auto released = t.expire(kNow + 5400000);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].host.to_string(), "100.64.1.5");
  EXPECT_EQ(t.find(*IpAddress::parse("100.64.1.5")), nullptr);
  // Second strike: TTL doubles.
  const auto& again = t.apply(incident("100.64.1.5", Action::kBlock, 3), kNow + 6000000);
  EXPECT_EQ(again.strikes, 2u);
  EXPECT_EQ(again.expires_ms, kNow + 6000000 + 7200000);
}

TEST(Actions, NftablesRuleset) {
  ActionPolicy p;
  p.exceptions.push_back(*Prefix::parse("100.64.200.0/24"));
  p.exceptions.push_back(*Prefix::parse("2001:db8:25::/48"));
  ActionTable t(p);
  t.apply(incident("100.64.1.5", Action::kBlock), kNow);
  t.apply(incident("100.64.1.6", Action::kThrottle), kNow);
  t.apply(incident("2001:db8::66", Action::kBlock), kNow);
  const std::string r = nftables_ruleset(t, p, kNow + 1000);
  EXPECT_NE(r.find("table inet rampart_port25 {"), std::string::npos);
  EXPECT_NE(r.find("elements = { 100.64.1.5 timeout 86399s }"), std::string::npos) << r;
  EXPECT_NE(r.find("elements = { 100.64.1.6 timeout 21599s }"), std::string::npos) << r;
  EXPECT_NE(r.find("elements = { 2001:db8::66 timeout 86399s }"), std::string::npos) << r;
  EXPECT_NE(r.find("elements = { 100.64.200.0/24 }"), std::string::npos) << r;
  EXPECT_NE(r.find("tcp dport 25 ip saddr @block4 counter drop"), std::string::npos);
  // The ruleset is accepted by nft when it is installed (configure defines RAMPART_NFT).
#ifdef RAMPART_NFT
  const std::string path = ::testing::TempDir() + "rampart_port25.nft";
  std::ofstream(path) << r;
  const std::string cmd = std::string(RAMPART_NFT) + " -c -f " + path + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << r;
#endif
}

TEST(Actions, ExabgpFlowspecLines) {
  ActionPolicy p;
  p.flowspec_rate_bytes = 1000;
  ActionTable t(p);
  t.apply(incident("100.64.1.5", Action::kBlock), kNow);
  t.apply(incident("100.64.1.6", Action::kThrottle), kNow);
  t.apply(incident("100.64.1.7", Action::kNotify), kNow);
  auto ann = exabgp_lines(t.active(), p, true);
  ASSERT_EQ(ann.size(), 2u);
  EXPECT_EQ(
      ann[0],
      "announce flow route { match { source 100.64.1.5/32; protocol tcp; destination-port =25; } then { "
      "discard; } }");
  EXPECT_EQ(
      ann[1],
      "announce flow route { match { source 100.64.1.6/32; protocol tcp; destination-port =25; } then { "
      "rate-limit 1000; } }");
  auto wd = exabgp_lines(t.active(), p, false);
  EXPECT_EQ(wd[0].rfind("withdraw flow route { match { source 100.64.1.5/32;", 0), 0u);
}

TEST(Actions, Rfc6561NotificationAndWalledGarden) {
  ActionPolicy p;
  ActionTable t(p);
  auto inc = incident("100.64.1.5", Action::kBlock, 7);
  const auto& a = t.apply(inc, kNow);
  const std::string j = notification_json(inc, a, p);
  for (const char* k :
       {"\"rfc\":6561", "\"incident\":7", "\"subscriber_ip\":\"100.64.1.5\"", "\"action\":\"block\"",
        "\"walled_garden\":true", "\"recommended_step\":", "\"score\":1.700", "\"evidence\":{"})
    EXPECT_NE(j.find(k), std::string::npos) << k << " in " << j;
  EXPECT_EQ(walled_garden_list(t), "100.64.1.5 " + std::to_string(kNow / 1000 + 86400) + "\n");
}

}  // namespace
}  // namespace rampart::flows

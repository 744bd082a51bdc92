#include "flows/detector.h"

#include <gtest/gtest.h>

namespace rampart::flows {
namespace {

constexpr int64_t kT0 = 1700000000000;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

Flow tcp(const char* src, IpAddress dst, uint16_t dport, int64_t t, bool ok) {
  Flow f;
  f.start_ms = f.end_ms = t;
  f.src = ip(src);
  f.dst = dst;
  f.dst_port = dport;
  f.protocol = kProtoTcp;
  f.tcp_flags = ok ? (kTcpSyn | kTcpAck | kTcpPsh | kTcpFin) : kTcpSyn;
  return f;
}

DetectorConfig config() {
  DetectorConfig c;
  c.subscribers.push_back({*Prefix::parse("100.64.0.0/16"), SubscriberKind::kDynamic});
  c.subscribers.push_back({*Prefix::parse("100.66.0.0/24"), SubscriberKind::kBusiness});
  c.mail_servers.push_back(*Prefix::parse("100.66.0.25"));
  c.relays.push_back(*Prefix::parse("100.127.0.25"));
  c.exceptions.push_back(*Prefix::parse("100.64.200.0/24"));
  return c;
}

// 200 attempts in 5 minutes to distinct destinations, half failing.
void burst(Detector& d, const char* src, int64_t t0) {
  for (uint32_t i = 0; i < 200; ++i)
    d.observe(tcp(src, IpAddress::v4(0x0B000000u + i * 977), 25, t0 + i * 1500, i % 2 == 0));
}

TEST(Prefix, ParseAndContains) {
  auto p = Prefix::parse("192.0.2.77/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "192.0.2.0/24");
  EXPECT_TRUE(p->contains(ip("192.0.2.1")));
  EXPECT_FALSE(p->contains(ip("192.0.3.1")));
  EXPECT_EQ(Prefix::parse("2001:db8::1")->len, 128u);
  for (const char* bad : {"", "1.2.3.4/33", "1.2.3/24", "1.2.3.4/", "1.2.3.4/x"})
    EXPECT_FALSE(Prefix::parse(bad)) << bad;
  EXPECT_FALSE(parse_prefix_list("10.0.0.0/8,bogus"));
  EXPECT_EQ(parse_prefix_list("10.0.0.0/8, 192.0.2.0/24")->size(), 2u);
}

struct Case {
  const char* name;
  const char* host;
  bool expect_incident;
  Action expect_action;
};

class Scenarios : public ::testing::TestWithParam<Case> {};

TEST_P(Scenarios, BurstFromHost) {
  const auto& c = GetParam();
  Detector d(config());
  burst(d, c.host, kT0);
  d.finish();
  auto inc = d.take_closed();
  if (!c.expect_incident) {
    EXPECT_TRUE(inc.empty());
    return;
  }
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].host.to_string(), c.host);
  EXPECT_EQ(inc[0].action, c.expect_action);
  EXPECT_GE(inc[0].score, 1.0);
  // The evidence is the one at the highest score, reached after a handful of
  // failing attempts to distinct hosts.
  EXPECT_GE(inc[0].evidence.distinct_dst25, 5u);
  EXPECT_GT(inc[0].evidence.terms.count("fanout") + inc[0].evidence.terms.count("failed"), 0u);
  EXPECT_NEAR(inc[0].evidence.failed_ratio, 0.5, 0.1);
  EXPECT_EQ(inc[0].first_seen_ms, kT0);
}

INSTANTIATE_TEST_SUITE_P(Detector, Scenarios,
                         ::testing::Values(Case{"dynamic_bot", "100.64.1.5", true, Action::kBlock},
                                           Case{"business_host", "100.66.0.9", true, Action::kThrottle},
                                           Case{"known_mail_server", "100.66.0.25", false, Action::kNotify},
                                           Case{"exception", "100.64.200.9", true, Action::kNotify},
                                           Case{"not_a_subscriber", "198.51.100.7", false, Action::kNotify}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Detector, MtaThatReceivesMailIsNotFlagged) {
  Detector d(config());
  const char* mta = "100.66.0.10";
  for (int i = 0; i < 60; ++i) {
    Flow in = tcp("203.0.113.9", ip(mta), 25, kT0 + i * 10000, true);
    in.src = IpAddress::v4(0xCB007100u + static_cast<uint32_t>(i));
    d.observe(in);
    // Outbound mail to a handful of big providers, repeatedly, almost all delivered.
    d.observe(tcp(mta, IpAddress::v4(0x0B000000u + static_cast<uint32_t>(i % 6)), 25, kT0 + i * 10000 + 5,
                  i % 30 != 0));
  }
  d.finish();
  auto inc = d.take_closed();
  EXPECT_TRUE(inc.empty()) << incident_json(inc[0]);
}

TEST(Detector, RelayAbuseIsThrottled) {
  Detector d(config());
  for (int i = 0; i < 200; ++i) d.observe(tcp("100.64.3.3", ip("100.127.0.25"), 587, kT0 + i * 8000, true));
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].action, Action::kThrottle);
  EXPECT_GE(inc[0].evidence.submissions, 12u);
}

TEST(Detector, OrdinaryUserIsQuiet) {
  Detector d(config());
  for (int i = 0; i < 2000; ++i) {
    d.observe(tcp("100.64.4.4", IpAddress::v4(0x0C000000u + static_cast<uint32_t>(i % 50)), 443,
                  kT0 + i * 5000, true));
    if (i % 200 == 0) d.observe(tcp("100.64.4.4", ip("100.127.0.25"), 587, kT0 + i * 5000 + 1, true));
  }
  d.finish();
  EXPECT_TRUE(d.take_closed().empty());
}

TEST(Detector, IncidentClosesAfterQuietTimeAndReopens) {
  auto cfg = config();
  cfg.release_after_s = 600;
  Detector d(cfg);
  burst(d, "100.64.1.5", kT0);
  EXPECT_TRUE(d.flagged(ip("100.64.1.5")));
  // Only web traffic for 2 hours: the incident closes.
  for (int i = 0; i < 720; ++i)
    d.observe(tcp("100.64.9.9", ip("12.0.0.1"), 443, kT0 + 300000 + i * 10000, true));
  EXPECT_FALSE(d.flagged(ip("100.64.1.5")));
  auto closed = d.take_closed();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_FALSE(closed[0].open);
  EXPECT_LE(closed[0].last_seen_ms, kT0 + 300000);
  burst(d, "100.64.1.5", kT0 + 8000000);
  d.finish();
  auto again = d.take_closed();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].id, closed[0].id);
}

TEST(Detector, ConfigFromToml) {
  auto c = Config::parse(R"(
[flows.detector]
subscribers_dynamic = ["100.64.0.0/16"]
subscribers_business = ["100.66.0.0/24"]
mail_servers = ["100.66.0.25"]
relays = ["100.127.0.25/32"]
exceptions = []
window_s = 120
threshold = 0.9
)");
  ASSERT_TRUE(c);
  auto d = DetectorConfig::from_config(*c);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->subscribers.size(), 2u);
  EXPECT_EQ(d->window_s, 120);
  EXPECT_DOUBLE_EQ(d->threshold, 0.9);
  auto bad = Config::parse("[flows.detector]\nmail_servers = [\"nope\"]\n");
  ASSERT_TRUE(bad);
  EXPECT_FALSE(DetectorConfig::from_config(*bad));
}

TEST(Detector, IncidentJsonShape) {
  Detector d(config());
  burst(d, "100.64.1.5", kT0);
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  const std::string j = incident_json(inc[0]);
  EXPECT_EQ(j.rfind("{\"host\":\"100.64.1.5\",\"first_seen\":1700000000,\"last_seen\":", 0), 0u) << j;
  for (const char* k : {"\"score\":", "\"evidence\":{", "\"distinct_dst25\":", "\"action\":\"block\"}"})
    EXPECT_NE(j.find(k), std::string::npos) << k << " in " << j;
}

}  // namespace
}  // namespace rampart::flows

#include "flows/detector.h"
#include "flows/incidents.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

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

// Relay abuse with stolen credentials: a submission whose login one in 20
// is refused (the server resets the session).
Flow abuse_sub(const char* src, IpAddress dst, uint16_t dport, int64_t t, int i) {
  Flow f = tcp(src, dst, dport, t, true);
  if (i % 20 == 19) f.tcp_flags = kTcpSyn | kTcpAck | kTcpRst;
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
  for (int i = 0; i < 200; ++i)
    d.observe(abuse_sub("100.64.3.3", ip("100.127.0.25"), 587, kT0 + i * 8000, i));
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
  cfg.hold_s = 600;
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

// A confirmed incident (score >= confirm_threshold) keeps the host flagged in
// every window it is active in, mail or not, until hold_s pass without new
// evidence; an unconfirmed one ends with its last evidence.
TEST(Detector, ConfirmedIncidentHoldsTheHost) {
  for (bool confirm : {true, false}) {
    auto cfg = config();
    cfg.release_after_s = 1800;
    cfg.hold_s = 4 * 3600;
    if (!confirm) cfg.confirm_threshold = 2.5;  // out of reach (score <= 2)
    // (this test's web traffic, a server no other host reaches every 30 s, is a lone beacon: rule off)
    cfg.beacon_min_hours = 0;
    Detector d(cfg);
    burst(d, "100.64.1.5", kT0);
    ASSERT_TRUE(d.flagged(ip("100.64.1.5")));
    // The owner browses for 3 hours, one page every 30 s.
    const int64_t web0 = kT0 + 400000;
    for (int i = 0; i < 360; ++i) d.observe(tcp("100.64.1.5", ip("12.0.0.1"), 443, web0 + i * 30000, true));
    const int64_t web_end = web0 + 359 * 30000;
    EXPECT_EQ(d.flagged(ip("100.64.1.5")), confirm) << confirm;
    d.finish();
    auto inc = d.take_closed();
    ASSERT_EQ(inc.size(), 1u);
    EXPECT_EQ(inc[0].confirmed, confirm);
    EXPECT_LE(inc[0].last_evidence_ms, kT0 + 300000);
    if (confirm)
      EXPECT_EQ(inc[0].last_seen_ms, web_end);
    else
      EXPECT_EQ(inc[0].last_seen_ms, inc[0].last_evidence_ms);
    const std::string j = incident_json(inc[0]);
    EXPECT_NE(j.find(confirm ? "\"confirmed\":true" : "\"confirmed\":false"), std::string::npos) << j;
  }
  // The hold ends: hold_s without evidence closes it, and the flows after
  // that are not in it.
  auto cfg = config();
  cfg.hold_s = 3600;
  cfg.release_after_s = 600;
  cfg.beacon_min_hours = 0;
  Detector d(cfg);
  burst(d, "100.64.1.5", kT0);
  for (int i = 0; i < 240; ++i)
    d.observe(tcp("100.64.1.5", ip("12.0.0.1"), 443, kT0 + 400000 + i * 30000, true));
  EXPECT_FALSE(d.flagged(ip("100.64.1.5")));
  auto closed = d.take_closed();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_TRUE(closed[0].confirmed);
  EXPECT_LE(closed[0].last_seen_ms, closed[0].last_evidence_ms + 3600000 + 30000);
  EXPECT_GE(closed[0].last_seen_ms, closed[0].last_evidence_ms + 3600000 - 30000);
}

// Evidence that never came in bursts (a low-and-slow bot) is held only
// hold_slow_s; here the 200-flow burst counts as slow (burst_mail_per_hour
// above it).
TEST(Detector, SlowEvidenceIsHeldShorter) {
  for (uint32_t burst_mail : {100u, 500u}) {
    auto cfg = config();
    cfg.release_after_s = 600;
    cfg.hold_s = 4 * 3600;
    cfg.hold_slow_s = 3600;
    cfg.burst_mail_per_hour = burst_mail;
    // (this test's web traffic, a server no other host reaches every 30 s, is a lone beacon: rule off)
    cfg.beacon_min_hours = 0;
    Detector d(cfg);
    burst(d, "100.64.1.5", kT0);
    for (int i = 0; i < 360; ++i)
      d.observe(tcp("100.64.1.5", ip("12.0.0.1"), 443, kT0 + 400000 + i * 30000, true));
    d.finish();
    auto inc = d.take_closed();
    ASSERT_EQ(inc.size(), 1u);
    EXPECT_EQ(inc[0].peak_mail_1h, 200u);
    const int64_t held = inc[0].last_seen_ms - inc[0].last_evidence_ms;
    if (burst_mail < 200)
      EXPECT_GT(held, 2 * 3600000) << "bursty: held 4 h (the 3 h of web traffic)";
    else
      EXPECT_LE(held, 3600000 + 30000) << "slow: held 1 h";
  }
}

// A slow-evidence host that comes back within a day of its last incident
// was not cleaned by its quiet hours: the repeat incident is held as long
// as a burst's (hold_s), the first one only hold_slow_s.
TEST(Detector, RepeatIncidentIsHeldAsLongAsABurst) {
  auto cfg = config();
  cfg.release_after_s = 600;
  cfg.hold_s = 4 * 3600;
  cfg.hold_slow_s = 3600;
  cfg.burst_mail_per_hour = 500;  // the 200-flow burst counts as slow evidence
  // (this test's web traffic, a server no other host reaches every 30 s, is a lone beacon: rule off)
  cfg.beacon_min_hours = 0;
  Detector d(cfg);
  const int64_t second = kT0 + 3 * 3600000LL;
  burst(d, "100.64.1.6", kT0);
  for (int i = 0; i < 360; ++i)  // 3 h of web traffic after the first burst
    d.observe(tcp("100.64.1.6", ip("12.0.0.1"), 443, kT0 + 400000 + i * 30000, true));
  burst(d, "100.64.1.6", second);
  for (int i = 0; i < 360; ++i)
    d.observe(tcp("100.64.1.6", ip("12.0.0.1"), 443, second + 400000 + i * 30000, true));
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 2u);
  EXPECT_FALSE(inc[0].repeat);
  EXPECT_LE(inc[0].last_seen_ms - inc[0].last_evidence_ms, 3600000 + 30000) << "first: held 1 h";
  EXPECT_TRUE(inc[1].repeat);
  EXPECT_GT(inc[1].last_seen_ms - inc[1].last_evidence_ms, 2 * 3600000) << "repeat: held past 1 h";
}

// The features behind relay abuse, through the feature sink (x in the order
// of kFeatureNames): sustained_submission counts 10-minute slots above the
// host's usual, submissions_per_client divides by its mail clients' polls.
std::array<double, kFeatures> last_features(const std::vector<Flow>& flows, const char* host) {
  Detector d(config());
  std::array<double, kFeatures> last{};
  d.set_feature_sink([&](const IpAddress& a, int64_t, const std::array<double, kFeatures>& x) {
    if (a == ip(host)) last = x;
  });
  for (const Flow& f : flows) d.observe(f);
  return last;
}

size_t feature(const char* name) {
  for (size_t i = 0; i < kFeatures; ++i)
    if (std::string_view(kFeatureNames[i]) == name) return i;
  ADD_FAILURE() << name;
  return 0;
}

TEST(Detector, SustainedSubmissionSeparatesAbuseFromABatch) {
  const IpAddress webmail = ip("13.0.0.7");
  // Three hours of browsing first (the host's own usual: no submissions).
  const int64_t t1 = kT0 + 3 * 3600000;
  std::vector<Flow> abuse, batch;
  for (int i = 0; i < 3 * 360; ++i) {
    abuse.push_back(tcp("100.64.3.3", ip("12.0.0.1"), 443, kT0 + i * 10000, true));
    batch.push_back(tcp("100.64.3.4", ip("12.0.0.1"), 443, kT0 + i * 10000, true));
  }
  // Relay abuse: 120 an hour for an hour, evenly.
  for (int i = 0; i < 120; ++i) abuse.push_back(abuse_sub("100.64.3.3", webmail, 587, t1 + i * 30000, i));
  // A legitimate batch: 50 submissions in 10 minutes.
  for (int i = 0; i < 50; ++i) batch.push_back(tcp("100.64.3.4", webmail, 587, t1 + i * 12000, true));
  const size_t k = feature("sustained_submission");
  EXPECT_DOUBLE_EQ(last_features(abuse, "100.64.3.3")[k], 1.0);
  EXPECT_DOUBLE_EQ(last_features(batch, "100.64.3.4")[k], 0.0);
}

TEST(Detector, SustainedSubmissionIsRelativeToTheHostsUsual) {
  // A NAT gateway that has submitted ~60 an hour for 4 hours (its many
  // users) does not count 10 an hour-slot as sustained; a host that never
  // submitted does.
  const IpAddress relay = ip("13.0.0.7");
  std::vector<Flow> busy, quiet;
  const int64_t t1 = kT0 + 4 * 3600000;
  for (int i = 0; i < 4 * 60; ++i) busy.push_back(tcp("100.64.5.5", relay, 587, kT0 + i * 60000, true));
  for (int i = 0; i < 4 * 360; ++i) {
    busy.push_back(tcp("100.64.5.5", ip("12.0.0.1"), 443, kT0 + i * 10000 + 5, true));
    quiet.push_back(tcp("100.64.5.6", ip("12.0.0.1"), 443, kT0 + i * 10000 + 5, true));
  }
  for (int i = 0; i < 60; ++i) {
    busy.push_back(tcp("100.64.5.5", relay, 587, t1 + i * 60000, true));
    quiet.push_back(abuse_sub("100.64.5.6", relay, 587, t1 + i * 60000, i));
  }
  auto by_time = [](std::vector<Flow>& v) {
    std::stable_sort(v.begin(), v.end(),
                     [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
  };
  by_time(busy);
  by_time(quiet);
  const size_t k = feature("sustained_submission");
  EXPECT_DOUBLE_EQ(last_features(busy, "100.64.5.5")[k], 0.0);
  EXPECT_DOUBLE_EQ(last_features(quiet, "100.64.5.6")[k], 1.0);
}

TEST(Detector, SubmissionsPerMailClient) {
  // The same 100 submissions an hour from a host whose 40 mail clients poll
  // IMAP every 10 minutes (a NAT gateway) and from one that polls once.
  const IpAddress relay = ip("13.0.0.7"), imap = ip("13.0.0.9");
  std::vector<Flow> nat, bot;
  for (int i = 0; i < 100; ++i) {
    nat.push_back(tcp("100.64.6.6", relay, 465, kT0 + i * 36000, true));
    bot.push_back(abuse_sub("100.64.6.7", relay, 465, kT0 + i * 36000, i));
    for (int c = 0; c < 3; ++c) nat.push_back(tcp("100.64.6.6", imap, 993, kT0 + i * 36000 + 1 + c, true));
  }
  bot.push_back(tcp("100.64.6.7", imap, 993, kT0 + 3600000 - 10, true));
  bot.push_back(tcp("100.64.6.7", relay, 465, kT0 + 3600000 - 5, true));
  nat.push_back(tcp("100.64.6.6", relay, 465, kT0 + 3600000 - 5, true));
  const size_t k = feature("submissions_per_client");
  EXPECT_LT(last_features(nat, "100.64.6.6")[k], 0.1);         // 101 / (300 + 10) / 5
  EXPECT_DOUBLE_EQ(last_features(bot, "100.64.6.7")[k], 1.0);  // 101 / 11 / 5, capped
}

// A legitimate batch (50 in 10 minutes) is trimmed away with the hour's two
// busiest 10-minute slots; relay abuse at 120 an hour is not.
TEST(Detector, TrimmedSubmissionsDropABatch) {
  const IpAddress webmail = ip("13.0.0.7");
  std::vector<Flow> abuse, batch;
  for (int i = 0; i < 120; ++i) abuse.push_back(abuse_sub("100.64.3.3", webmail, 587, kT0 + i * 30000, i));
  for (int i = 0; i < 50; ++i) batch.push_back(tcp("100.64.3.4", webmail, 587, kT0 + i * 12000, true));
  batch.push_back(tcp("100.64.3.4", webmail, 587, kT0 + 3000000, true));
  const size_t k = feature("submission_volume");
  EXPECT_GT(last_features(abuse, "100.64.3.3")[k], 0.3);  // 1.5 * (120 - 40) = 120 -> 0.7 * share
  EXPECT_DOUBLE_EQ(last_features(batch, "100.64.3.4")[k], 0.0);
}

// Bursts of submissions in several hours of a day (relay abuse every few
// hours) against one batch a day.
TEST(Detector, SubmissionBurstHours) {
  const IpAddress webmail = ip("13.0.0.7");
  std::vector<Flow> bursts, once;
  // 60 in 45 minutes each (kT0 is 13 minutes past an hour: each burst lies in one hour).
  for (int b = 0; b < 5; ++b)
    for (int i = 0; i < 60; ++i)
      bursts.push_back(abuse_sub("100.64.3.3", webmail, 587, kT0 + b * 3 * 3600000 + i * 45000, b * 60 + i));
  for (int i = 0; i < 40; ++i) once.push_back(tcp("100.64.3.4", webmail, 587, kT0 + i * 45000, true));
  once.push_back(tcp("100.64.3.4", webmail, 587, kT0 + 12 * 3600000, true));
  // Both keep browsing in between (a host idle for an hour is forgotten).
  for (int i = 0; i < 12 * 12; ++i) {
    bursts.push_back(tcp("100.64.3.3", ip("12.0.0.1"), 443, kT0 + i * 300000 + 7, true));
    once.push_back(tcp("100.64.3.4", ip("12.0.0.1"), 443, kT0 + i * 300000 + 7, true));
  }
  for (auto* v : {&bursts, &once})
    std::stable_sort(v->begin(), v->end(),
                     [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
  const size_t k = feature("submission_bursts");
  EXPECT_DOUBLE_EQ(last_features(bursts, "100.64.3.3")[k], 1.0);  // 5 burst hours: (5 - 1) / 3, capped
  EXPECT_DOUBLE_EQ(last_features(once, "100.64.3.4")[k], 0.0);
}

// Burst hours are measured against the people of their own hour (flows8):
// an office gateway whose 25 people (200 IMAP polls an hour) submit 60 an
// hour through ten office hours, 2-3 an hour by night and evening (5 people
// polling), has no burst hour when read in the evening; the same day's
// submissions from a host with no more people by day than in the evening
// (relay abuse in office hours) has ten.
TEST(Detector, SubmissionBurstHoursCountThatHoursPeople) {
  const IpAddress smarthost = ip("13.0.0.7"), imap = ip("13.9.0.9");
  auto day = [&](const char* host, bool people_by_day) {
    std::vector<Flow> v;
    int k = 0;
    for (int h = 0; h < 22; ++h) {
      const bool office = h >= 8 && h < 18;
      const int subs = office ? 60 : h < 8 ? 2 : 3;
      const int polls = office && people_by_day ? 200 : 40;
      const int64_t t0 = kT0 - kT0 % 3600000 + h * 3600000LL;
      for (int i = 0; i < subs; ++i)
        v.push_back(abuse_sub(host, smarthost, 587, t0 + 1000 + i * (3500000 / subs), k++));
      for (int i = 0; i < polls; ++i)
        v.push_back(tcp(host, imap, 993, t0 + 2000 + i * (3500000 / polls), true));
    }
    std::stable_sort(v.begin(), v.end(),
                     [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
    return last_features(v, host);
  };
  const size_t k = feature("submission_bursts");
  EXPECT_DOUBLE_EQ(day("100.64.3.5", true)[k], 0.0);
  EXPECT_DOUBLE_EQ(day("100.64.3.6", false)[k], 1.0);
}

// The provider's smarthost is learnt: a port-25 destination reached by 12
// subscriber hosts that use no other port-25 destination is a relay, and port
// 25 to it counts as submission from then on (for every host). A big MX host
// reached by 12 hosts that each also reach many others is not.
TEST(Detector, SharedSmarthostIsLearnt) {
  const IpAddress smarthost = ip("100.127.0.26"), big_mx = ip("11.0.0.1");
  Detector d(config());
  std::array<double, kFeatures> last{};
  d.set_feature_sink([&](const IpAddress& a, int64_t, const std::array<double, kFeatures>& x) {
    if (a == ip("100.64.8.99")) last = x;
  });
  int64_t t = kT0;
  for (uint32_t i = 0; i < 12; ++i) {
    const std::string user = "100.64.7." + std::to_string(i + 1);
    d.observe(tcp(user.c_str(), smarthost, 25, t += 1000, true));
    // Another kind of host: an MTA-like sender to the big MX and 5 others.
    const std::string mta = "100.64.9." + std::to_string(i + 1);
    for (uint32_t k = 0; k < 5; ++k)
      d.observe(tcp(mta.c_str(), IpAddress::v4(0x16000000u + i * 16 + k), 25, t += 1000, true));
    d.observe(tcp(mta.c_str(), big_mx, 25, t += 1000, true));
  }
  // A new host sends 30 messages on 25 to the smarthost: submissions.
  for (int i = 0; i < 30; ++i) d.observe(tcp("100.64.8.99", smarthost, 25, t += 1000, true));
  EXPECT_DOUBLE_EQ(last[feature("smtp25_share_1h")], 0.0);
  // ... and 30 to the big MX: port 25 still.
  Detector d2(config());
  std::array<double, kFeatures> last2{};
  d2.set_feature_sink([&](const IpAddress& a, int64_t, const std::array<double, kFeatures>& x) {
    if (a == ip("100.64.8.99")) last2 = x;
  });
  t = kT0;
  for (uint32_t i = 0; i < 12; ++i) {
    const std::string mta = "100.64.9." + std::to_string(i + 1);
    for (uint32_t k = 0; k < 5; ++k)
      d2.observe(tcp(mta.c_str(), IpAddress::v4(0x16000000u + i * 16 + k), 25, t += 1000, true));
    d2.observe(tcp(mta.c_str(), big_mx, 25, t += 1000, true));
  }
  for (int i = 0; i < 30; ++i) d2.observe(tcp("100.64.8.99", big_mx, 25, t += 1000, true));
  EXPECT_DOUBLE_EQ(last2[feature("smtp25_share_1h")], 1.0);
}

// A host back within a day of its last incident is held at once.
TEST(Detector, RepeatOffenderIsConfirmed) {
  auto cfg = config();
  cfg.release_after_s = 600;
  cfg.hold_s = 3600;
  cfg.hold_slow_s = 600;
  cfg.confirm_threshold = 2.5;  // never by score
  Detector d(cfg);
  burst(d, "100.64.1.5", kT0);
  d.advance(kT0 + 2 * 3600000);
  auto first = d.take_closed();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].confirmed);
  burst(d, "100.64.1.5", kT0 + 4 * 3600000);
  d.finish();
  auto second = d.take_closed();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(second[0].confirmed);
  EXPECT_TRUE(second[0].repeat);
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
hold_s = 21600
confirm_threshold = 1.5
)");
  ASSERT_TRUE(c);
  auto d = DetectorConfig::from_config(*c);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->subscribers.size(), 2u);
  EXPECT_EQ(d->window_s, 120);
  EXPECT_DOUBLE_EQ(d->threshold, 0.9);
  EXPECT_EQ(d->hold_s, 21600);
  EXPECT_DOUBLE_EQ(d->confirm_threshold, 1.5);
  auto bad = Config::parse("[flows.detector]\nmail_servers = [\"nope\"]\n");
  ASSERT_TRUE(bad);
  EXPECT_FALSE(DetectorConfig::from_config(*bad));
  // A hold shorter than the release, or a confirmation below the threshold.
  for (const char* text :
       {"[flows.detector]\nhold_s = 60\n", "[flows.detector]\nconfirm_threshold = 0.5\n"}) {
    auto b = Config::parse(text);
    ASSERT_TRUE(b);
    EXPECT_FALSE(DetectorConfig::from_config(*b)) << text;
  }
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

// Bots that send no mail: a port scan (failed attempts to many destinations
// on one port), found by the unanswered fan-out model, notified only, with
// its evidence; held like a burst.
TEST(Detector, PortScanWithoutMail) {
  Detector d(config());
  // Browsing first (answered), then 300 SYNs to distinct addresses on 445 in 2 minutes.
  for (uint32_t i = 0; i < 20; ++i)
    d.observe(tcp("100.64.3.3", IpAddress::v4(0x5D000000u + i), 443, kT0 + i * 5000, true));
  for (uint32_t i = 0; i < 300; ++i)
    d.observe(tcp("100.64.3.3", IpAddress::v4(0x0C000000u + i * 7919), 445, kT0 + 200000 + i * 400, false));
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_TRUE(inc[0].probing);
  EXPECT_EQ(inc[0].action, Action::kNotify);
  EXPECT_GE(inc[0].evidence.scan_dsts, 50u);
  EXPECT_EQ(inc[0].evidence.scan_port, 445);
  EXPECT_GE(inc[0].evidence.probe_score, 1.0);
  EXPECT_GT(inc[0].evidence.terms.count("probe_scan"), 0u);
  EXPECT_GE(inc[0].first_seen_ms, kT0 + 200000);
  EXPECT_LE(inc[0].first_seen_ms, kT0 + 260000);
  const std::string j = incident_json(inc[0]);
  EXPECT_NE(j.find("\"scan_port\":445"), std::string::npos) << j;
  EXPECT_NE(j.find("\"probing\":true"), std::string::npos) << j;
}

// Hard negatives of the same model: a peer-to-peer client's failed attempts
// go to many destinations but each on its own port; a monitoring host's
// answered polls of 120 targets; a few failed attempts to one port; a mail
// server (never scored) scanning.
// A worm sweeping five Windows services at once (135, 139, 445, 1433, 3389):
// 40 failed destinations a port in each 5-minute window, under the floor
// (44) on any one port, 200 over the five. A P2P client whose 300 failed
// peers listen on ports of their own, three at most on one, is no sweep.
TEST(Detector, MultiPortSweep) {
  Detector d(config());
  const uint16_t ports[] = {135, 139, 445, 1433, 3389};
  for (uint32_t i = 0; i < 400; ++i) {
    d.observe(tcp("100.64.7.7", IpAddress::v4(0x0C000000u + i * 7919), ports[i % 5], kT0 + i * 1500, false));
    d.observe(tcp("100.64.7.8", IpAddress::v4(0x0D000000u + i * 7919), static_cast<uint16_t>(20000 + i / 3),
                  kT0 + i * 1500 + 1, false));
  }
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].host.to_string(), "100.64.7.7");
  EXPECT_TRUE(inc[0].probing);
  EXPECT_GE(inc[0].evidence.scan_dsts, 60u);
  EXPECT_GT(inc[0].evidence.terms.count("probe_scan"), 0u);
}

TEST(Detector, FanOutThatIsNotAScan) {
  Detector d(config());
  for (uint32_t i = 0; i < 300; ++i)
    d.observe(tcp("100.64.4.4", IpAddress::v4(0x0D000000u + i * 7919), static_cast<uint16_t>(20000 + i * 17),
                  kT0 + i * 400, false));
  for (int round = 0; round < 10; ++round)
    for (uint32_t i = 0; i < 120; ++i)
      d.observe(tcp("100.64.5.5", IpAddress::v4(0x0A400000u + i), 443, kT0 + round * 30000 + i * 100, true));
  for (uint32_t i = 0; i < 6; ++i)
    d.observe(tcp("100.64.6.6", IpAddress::v4(0x0E000000u + i), 443, kT0 + i * 1000, false));
  for (uint32_t i = 0; i < 300; ++i)
    d.observe(tcp("100.66.0.25", IpAddress::v4(0x0F000000u + i * 7919), 445, kT0 + i * 400, false));
  d.finish();
  EXPECT_TRUE(d.take_closed().empty());
}

// A flood: unanswered UDP to one destination (a bidirectional record with
// no reply bytes); the same flows answered are not one, nor where the source
// records no replies at all.
TEST(Detector, UnansweredFloodToOneTarget) {
  auto udp = [](const char* src, uint32_t n, bool answered) {
    std::vector<Flow> out;
    for (uint32_t i = 0; i < n; ++i) {
      Flow f;
      f.start_ms = f.end_ms = kT0 + i * 100;
      f.src = ip(src);
      f.dst = ip("198.51.100.9");
      f.dst_port = 80;
      f.protocol = kProtoUdp;
      f.bidirectional = true;
      f.packets = 10;
      f.bytes = 5000;
      f.rev_bytes = answered ? 200 : 0;
      f.rev_packets = answered ? 1 : 0;
      out.push_back(f);
    }
    return out;
  };
  DetectorConfig cfg = config();
  cfg.probe_weights = {-6.0, 1.0, 1.5, 1.0};
  Detector d(cfg);
  for (const Flow& f : udp("100.64.8.8", 2000, true)) d.observe(f);
  for (const Flow& f : udp("100.64.7.7", 2000, false)) d.observe(f);
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].host.to_string(), "100.64.7.7");
  EXPECT_GE(inc[0].evidence.flood_flows, 100u);
  EXPECT_TRUE(inc[0].probing);
  // A source that records no replies at all (every UDP flow silent): silence
  // is no evidence there.
  Detector oneway(cfg);
  for (const Flow& f : udp("100.64.7.7", 2000, false)) oneway.observe(f);
  oneway.finish();
  EXPECT_TRUE(oneway.take_closed().empty());
  // The built-in model: 2000 in 200 s is far past its 241 in 300 s.
  Detector builtin(config());
  for (const Flow& f : udp("100.64.8.8", 2000, true)) builtin.observe(f);
  for (const Flow& f : udp("100.64.7.7", 2000, false)) builtin.observe(f);
  builtin.finish();
  const auto b = builtin.take_closed();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(b[0].evidence.terms.count("probe_flood"), 0u);
  // 60 silent flows to one destination: below the minimum evidence.
  Detector few(config());
  for (const Flow& f : udp("100.64.8.8", 2000, true)) few.observe(f);
  for (const Flow& f : udp("100.64.7.7", 60, false)) few.observe(f);
  few.finish();
  EXPECT_TRUE(few.take_closed().empty());
}

// Silent UDP to many destinations (a P2P bot's burst to its peers) where the
// source records replies; the probe weights come from [flows.detector].
TEST(Detector, SilentUdpFanOutAndConfigWeights) {
  DetectorConfig cfg = config();
  Detector d(cfg);
  auto udp = [](const char* src, IpAddress dst, int64_t t, bool answered) {
    Flow f;
    f.start_ms = f.end_ms = t;
    f.src = ip(src);
    f.dst = dst;
    f.dst_port = 4000;
    f.protocol = kProtoUdp;
    f.bidirectional = true;
    f.bytes = 120;
    f.rev_bytes = answered ? 300 : 0;
    return f;
  };
  for (uint32_t i = 0; i < 1200; ++i) d.observe(udp("100.64.9.1", ip("198.51.100.53"), kT0 + i * 50, true));
  for (uint32_t i = 0; i < 60; ++i)
    d.observe(udp("100.64.9.9", IpAddress::v4(0x0B100000u + i * 331), kT0 + 60000 + i * 1000, false));
  // 20 silent destinations: below the minimum evidence.
  for (uint32_t i = 0; i < 20; ++i)
    d.observe(udp("100.64.9.10", IpAddress::v4(0x0B200000u + i * 331), kT0 + 60000 + i * 1000, false));
  d.finish();
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].host.to_string(), "100.64.9.9");
  EXPECT_GE(inc[0].evidence.udp_unanswered, 30u);
  EXPECT_GT(inc[0].evidence.terms.count("probe_udp"), 0u);

  auto c = Config::parse(R"(
[flows.detector]
subscribers_dynamic = ["100.64.0.0/16"]
probe_bias = -3.5
probe_scan = 0.5
)");
  ASSERT_TRUE(c);
  auto dc = DetectorConfig::from_config(*c);
  ASSERT_TRUE(dc);
  EXPECT_DOUBLE_EQ(dc->probe_weights[0], -3.5);
  EXPECT_DOUBLE_EQ(dc->probe_weights[1], 0.5);
  EXPECT_DOUBLE_EQ(dc->probe_weights[3], default_probe_weights()[3]);
}

// A person's lone mail-merge (384 submissions in 18 minutes to the usual
// server) is not relay abuse; the same batch coming back every two hours
// with some logins refused (stolen credentials) is.
TEST(Detector, LoneMailMergeIsNotRelayAbuse) {
  auto day = [](Detector& d, const char* host, int batches, bool refusals) {
    const IpAddress smarthost = ip("198.51.100.25");
    std::vector<Flow> flows;
    // 12 hours of a person: IMAP polls, browsing, a message an hour.
    for (int slot = 0; slot < 12 * 6; ++slot) {
      const int64_t t = kT0 + slot * 600000LL;
      flows.push_back(tcp(host, ip("198.51.100.143"), 993, t, true));
      for (uint32_t i = 0; i < 10; ++i)
        flows.push_back(tcp(host, IpAddress::v4(0x5D000000u + (i + static_cast<uint32_t>(slot)) % 40), 443,
                            t + i * 50000, true));
      if (slot % 6 == 0) flows.push_back(tcp(host, smarthost, 587, t + 1000, true));
    }
    // The batches from hour 6 on, two hours apart.
    for (int b = 0; b < batches; ++b)
      for (uint32_t i = 0; i < 384; ++i)
        flows.push_back(abuse_sub(host, smarthost, 587, kT0 + (6 + 2 * b) * 3600000LL + i * 2800,
                                  refusals ? static_cast<int>(i) : 0));
    std::stable_sort(flows.begin(), flows.end(),
                     [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
    for (const Flow& f : flows) d.observe(f);
    d.finish();
    return d.take_closed();
  };
  Detector lone(config());
  const auto lone_inc = day(lone, "100.64.12.1", 1, true);
  EXPECT_TRUE(lone_inc.empty()) << incident_json(lone_inc.front());
  Detector again(config());
  auto inc = day(again, "100.64.12.2", 3, true);
  ASSERT_FALSE(inc.empty());
  EXPECT_GT(
      inc[0].evidence.terms.count("submission_volume_6h") + inc[0].evidence.terms.count("submission_bursts"),
      0u);
  EXPECT_EQ(inc[0].evidence.credential_factor, 1.0);
  // The same three batches with every login accepted (the sender's own
  // account): not relay abuse.
  Detector clean(config());
  const auto clean_inc = day(clean, "100.64.12.3", 3, false);
  EXPECT_TRUE(clean_inc.empty()) << incident_json(clean_inc.front());
}

TEST(CredentialFactor, KnownValues) {
  // min(1, 2 P(X <= refused)), X ~ Poisson(0.02 * submissions), by hand.
  EXPECT_DOUBLE_EQ(credential_factor(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(credential_factor(100, 2), 1.0);  // the expected count
  EXPECT_DOUBLE_EQ(credential_factor(100, 5), 1.0);
  EXPECT_NEAR(credential_factor(100, 0), 2 * std::exp(-2.0), 1e-12);
  EXPECT_NEAR(credential_factor(100, 1), 2 * 3 * std::exp(-2.0), 1e-12);  // 2 (e^-2 + 2 e^-2), < 1
  EXPECT_NEAR(credential_factor(600, 0), 2 * std::exp(-12.0), 1e-15);
  EXPECT_NEAR(credential_factor(600, 2), 2 * (1 + 12 + 72) * std::exp(-12.0), 1e-15);
  EXPECT_GE(credential_factor(20, 0), 1.0);      // lambda 0.4: P(0) = 0.67
  EXPECT_EQ(credential_factor(100000, 0), 0.0);  // e^-2000 underflows: no NaN
}

TEST(CredentialFactor, RefusedLogin) {
  Flow f = tcp("100.64.1.1", ip("13.0.0.7"), 587, kT0, true);
  f.bytes = 24000;
  EXPECT_FALSE(refused_login(f));  // a message went through
  f.bytes = 0;
  EXPECT_FALSE(refused_login(f));  // no byte count: unknown, not refused
  f.bytes = 900;
  EXPECT_TRUE(refused_login(f));  // greeting, TLS and AUTH only
  f.bytes = 24000;
  f.tcp_flags |= kTcpRst;
  EXPECT_TRUE(refused_login(f));                                                   // reset
  EXPECT_TRUE(refused_login(tcp("100.64.1.1", ip("13.0.0.7"), 587, kT0, false)));  // never accepted
}

// A busy legitimate sender (a small office on one address): 100 accepted
// submissions an hour to its provider for eight hours is not relay abuse;
// the same volume with one login in 20 refused is.
TEST(Detector, CleanHeavySenderIsNotRelayAbuse) {
  auto day = [](const char* host, bool refusals) {
    // (the web traffic, 40 servers no other host reaches in turn every 36 s, is a lone beacon: rule off)
    DetectorConfig c = config();
    c.beacon_min_hours = 0;
    Detector d(c);
    std::vector<Flow> flows;
    const IpAddress server = ip("13.0.0.7");
    for (int i = 0; i < 8 * 100; ++i) {
      Flow f = abuse_sub(host, server, i % 3 ? 587 : 465, kT0 + i * 36000LL, refusals ? i : 0);
      if (f.tcp_flags & kTcpPsh) f.bytes = 20000;
      flows.push_back(f);
      flows.push_back(tcp(host, IpAddress::v4(0x5D000000u + static_cast<uint32_t>(i % 40)), 443,
                          kT0 + i * 36000LL + 7, true));
    }
    for (const Flow& f : flows) d.observe(f);
    d.finish();
    return d.take_closed();
  };
  const auto clean = day("100.64.13.1", false);
  EXPECT_TRUE(clean.empty()) << incident_json(clean.front());
  const auto abuse = day("100.64.13.2", true);
  ASSERT_FALSE(abuse.empty());
  EXPECT_EQ(abuse[0].action, Action::kThrottle);
  EXPECT_GT(abuse[0].evidence.submissions_refused_24h, 0u);
}

// Logins at many providers' submission servers within the hour (a list of
// stolen accounts) behind a NAT whose own clients keep the volume ordinary:
// 40 submissions an hour to 20 providers is flagged; the same volume to the
// two servers of its users' providers is not, nor to 20 addresses of two
// providers' pools (round-robin names: one /16 each; blind9's mail users
// reach 20-30 addresses of six providers in an hour).
TEST(Detector, ManyProvidersSubmissionServers) {
  auto hour = [](const char* host, uint32_t servers, uint32_t networks, bool reads = false) {
    Detector d(config());
    for (uint32_t i = 0; i < 360; ++i) {
      const int64_t t = kT0 + i * 10000LL;
      d.observe(tcp(host, IpAddress::v4(0x5D000000u + i % 50), 443, t, true));
      if (i % 9 == 0) {
        const uint32_t k = (i / 9) % servers;
        // Server k: network k % networks (a /16), address k within it (spread over /24s).
        const uint32_t addr = 0x0E000000u + ((k % networks) << 16) + (k << 8) + 25;
        Flow f = tcp(host, IpAddress::v4(addr), i % 2 ? 587 : 465, t + 1, true);
        f.bytes = 20000;
        d.observe(f);
        // Its people read their mail at the same providers (IMAP, another
        // address of the provider's network).
        if (reads) d.observe(tcp(host, IpAddress::v4(addr + 68), 993, t + 2, true));
      }
    }
    d.finish();
    return d.take_closed();
  };
  const auto two = hour("100.64.14.1", 2, 2);
  EXPECT_TRUE(two.empty()) << incident_json(two.front());
  const auto pools = hour("100.64.14.3", 20, 2);
  EXPECT_TRUE(pools.empty()) << incident_json(pools.front());
  const auto many = hour("100.64.14.2", 20, 20);
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].evidence.terms.count("many_providers"), 1u);
  EXPECT_GE(many[0].evidence.submission_servers, 12u);
  EXPECT_GE(many[0].evidence.submission_networks, 12u);
  EXPECT_GE(many[0].evidence.submission_networks_unread, 12u);
  EXPECT_EQ(many[0].action, Action::kThrottle);
  // An office whose people submit where they read their mail (flows8).
  const auto office = hour("100.64.14.4", 20, 20, true);
  EXPECT_TRUE(office.empty()) << incident_json(office.front());
}

// Credential stuffing against IMAP/POP: a host with three hours of ordinary
// use (web, a mail client polling two servers of its provider six times an
// hour) opens 150 short IMAP/POP sessions in eight minutes at eight servers of
// four providers: flagged, notified (no mail to stop), held like a burst. A
// NAT whose people poll 120 times every 10 minutes all day is not: that is
// its usual, and before it has one (its first two hours) the rule is silent.
TEST(Detector, LoginBurstCredentialStuffing) {
  auto run = [](const char* host, uint32_t polls_per_slot, bool stuff, uint32_t login_min = 70) {
    DetectorConfig c = config();
    c.login_burst_min = login_min;
    // (the web traffic, 40 servers no other host reaches in turn every 10 s, is a lone beacon: rule off)
    c.beacon_min_hours = 0;
    Detector d(c);
    const int64_t hours = 4;
    for (int64_t s = 0; s < hours * 6; ++s) {
      const int64_t t0 = kT0 + s * 600000;
      for (int64_t i = 0; i < 60; ++i)
        d.observe(
            tcp(host, IpAddress::v4(0x5D000000u + static_cast<uint32_t>(i % 40)), 443, t0 + i * 10000, true));
      for (uint32_t i = 0; i < polls_per_slot; ++i)
        d.observe(tcp(host, IpAddress::v4(0x0E010000u + (i % 2) * 7), 993,
                      t0 + 5000 + i * (590000 / polls_per_slot), true));
      if (stuff && s == 20) {
        for (uint32_t i = 0; i < 150; ++i) {
          // Eight servers, two in each of four provider networks (/16s).
          const uint32_t server = 0x0F000000u + ((i % 4) << 16) + ((i / 4) % 2) * 300;
          Flow f = tcp(host, IpAddress::v4(server),
                       i % 3 == 0   ? 995
                       : i % 3 == 1 ? 143
                                    : 993,
                       t0 + i * 3200, true);
          f.bytes = 600;
          d.observe(f);
        }
      }
    }
    d.finish();
    return d.take_closed();
  };
  const auto person = run("100.64.15.1", 1, false);
  EXPECT_TRUE(person.empty()) << incident_json(person.front());
  const auto stuffer = run("100.64.15.2", 1, true);
  ASSERT_EQ(stuffer.size(), 1u);
  EXPECT_TRUE(stuffer[0].login_burst);
  EXPECT_TRUE(stuffer[0].confirmed);
  EXPECT_EQ(stuffer[0].action, Action::kNotify);
  EXPECT_EQ(stuffer[0].evidence.terms.count("login_burst"), 1u);
  EXPECT_GE(stuffer[0].evidence.login_peak, 70u);
  EXPECT_GE(stuffer[0].evidence.login_networks, 4u);
  const auto nat = run("100.64.15.3", 120, false);
  EXPECT_TRUE(nat.empty()) << incident_json(nat.front());
  // Without the rule the stuffer is not flagged (nothing else sees it).
  const auto off = run("100.64.15.2", 1, true, 0);
  EXPECT_TRUE(off.empty()) << incident_json(off.front());
}

// Relay abuse that goes on for a day: 40 submissions an hour (one login in
// 20 refused) from a host whose usual is none. Once confirmed, its hours are
// no part of its usual, so it stays flagged to the end instead of becoming
// its own baseline after half a day.
TEST(Detector, AbuseDoesNotBecomeTheUsual) {
  Detector d(config());
  const char* host = "100.64.17.1";
  const IpAddress server = ip("13.0.0.11");
  int n = 0;
  const int hours = 30;
  for (int h = 0; h < hours; ++h) {
    for (int i = 0; i < 120; ++i) {
      const int64_t t = kT0 + h * 3600000LL + i * 30000LL;
      d.observe(tcp(host, IpAddress::v4(0x5D000000u + static_cast<uint32_t>(i % 40)), 443, t, true));
      if (h >= 2 && i % 3 == 1) {
        Flow f = abuse_sub(host, server, 587, t + 1, n++);
        if (f.tcp_flags & kTcpPsh) f.bytes = 30000;
        d.observe(f);
      }
    }
  }
  d.finish();
  const auto inc = d.take_closed();
  ASSERT_FALSE(inc.empty());
  EXPECT_LT(inc.front().first_seen_ms, kT0 + 4 * 3600000LL);
  EXPECT_GE(inc.back().last_seen_ms, kT0 + (hours - 1) * 3600000LL);
  int64_t covered = 0;
  for (const auto& i : inc) covered += i.last_seen_ms - i.first_seen_ms;
  EXPECT_GE(covered, (hours - 5) * 3600000LL);
}

// A recursive resolver asks thousands of servers; a few percent never answer.
// Those silent destinations are loss, not a sweep: they count only beyond
// one in ten of the host's answered UDP flows of the window.
TEST(Detector, ResolverLossIsNotSilentFanOut) {
  Detector d(config());
  auto udp = [](const char* src, uint32_t dst, int64_t t, bool answered) {
    Flow f;
    f.start_ms = f.end_ms = t;
    f.src = ip(src);
    f.dst = IpAddress::v4(dst);
    f.dst_port = 53;
    f.protocol = kProtoUdp;
    f.bidirectional = true;
    f.bytes = 80;
    f.rev_bytes = answered ? 300 : 0;
    return f;
  };
  // 20 minutes at 5 queries a second to 2,000 servers, 1 in 25 unanswered
  // (60 silent destinations per 5-minute window, 1,440 answered).
  // The same 60 silent destinations a window from a host with little else.
  for (uint32_t i = 0; i < 6000; ++i) {
    d.observe(udp("100.64.20.53", 0x0C000000u + (i * 7919) % 2000, kT0 + i * 200, i % 25 != 0));
    if (i % 25 == 0 || i % 250 == 1)
      d.observe(udp("100.64.20.54", 0x0D000000u + (i * 7919) % 2000, kT0 + i * 200 + 1, i % 25 != 0));
  }
  d.finish();
  const auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0].host.to_string(), "100.64.20.54");
  EXPECT_GT(inc[0].evidence.terms.count("probe_udp"), 0u);
}

}  // namespace
}  // namespace rampart::flows

namespace rampart::flows {
namespace {

TEST(PoissonTail, KnownValues) {
  // P(X >= k) for X ~ Poisson(lambda), worked out by hand from the pmf.
  EXPECT_DOUBLE_EQ(poisson_tail(0.5, 0), 1.0);
  EXPECT_NEAR(poisson_tail(0.5, 1), 1 - std::exp(-0.5), 1e-12);
  EXPECT_NEAR(poisson_tail(0.5, 2), 1 - std::exp(-0.5) * 1.5, 1e-12);
  // Small lambda: the first term dominates (no cancellation to 0).
  EXPECT_NEAR(poisson_tail(0.01, 3), std::exp(-0.01) * (1e-6 / 6 + 1e-8 / 24 + 1e-10 / 120), 1e-14);
  EXPECT_GT(poisson_tail(0.01, 3), 0.0);
  EXPECT_DOUBLE_EQ(poisson_tail(5, 3), 1.0);  // at or below the mean: no evidence
  EXPECT_DOUBLE_EQ(poisson_tail(0, 2), 0.0);
}

// The C&C pivot. Three hosts spam (confirmed bots) and, like an infected
// host that sends no mail, call a command server every 15 minutes; a
// thousand people reach a popular site, which the bots reach too. The quiet
// infected host is flagged by the server it shares with the bots (notified,
// with the evidence); nobody who merely shares the popular site with them,
// nor a host that reached the server once, is.
void cc_world(Detector& d, bool one_off) {
  const IpAddress server = IpAddress::v4(0xCB007107u);   // 203.0.113.7
  const IpAddress popular = IpAddress::v4(0xC6336401u);  // 198.51.100.1
  const char* bots[] = {"100.64.1.1", "100.64.1.2", "100.64.1.3"};
  std::vector<std::string> people;
  for (int i = 0; i < 1000; ++i)
    people.push_back("100.64." + std::to_string(10 + i / 250) + "." + std::to_string(i % 250));
  uint32_t spam = 0;
  for (int64_t m = 0; m < 300; ++m) {  // five hours, minute by minute
    const int64_t t = kT0 + m * 60000;
    for (size_t i = 0; i < people.size(); ++i)
      if ((static_cast<int64_t>(i) + m) % 30 == 0)
        d.observe(tcp(people[i].c_str(), popular, 443, t + static_cast<int64_t>(i), true));
    for (const char* b : bots) {
      if (m % 30 == 1) d.observe(tcp(b, popular, 443, t + 1000, true));
      if (m % 15 == 2) d.observe(tcp(b, server, 443, t + 2000, true));
      if (m < 60)  // spam for the first hour: 20 attempts a minute, half failing
        for (int k = 0; k < 20; ++k, ++spam)
          d.observe(tcp(b, IpAddress::v4(0x0B000000u + spam * 977), 25, t + 3000 + k * 100, k % 2 == 0));
    }
    if (m % 15 == 7) d.observe(tcp("100.64.5.5", server, 443, t + 4000, true));
    if (one_off && m == 200) d.observe(tcp("100.64.6.6", server, 443, t + 5000, true));
  }
  d.finish();
}

TEST(Detector, CommandServerOfConfirmedBots) {
  Detector d(config());
  cc_world(d, true);
  auto inc = d.take_closed();
  std::vector<std::string> hosts;
  const Incident* quiet = nullptr;
  for (const auto& i : inc) {
    hosts.push_back(i.host.to_string());
    if (i.host.to_string() == "100.64.5.5") quiet = &i;
  }
  std::sort(hosts.begin(), hosts.end());
  EXPECT_EQ(hosts, (std::vector<std::string>{"100.64.1.1", "100.64.1.2", "100.64.1.3", "100.64.5.5"}));
  ASSERT_NE(quiet, nullptr);
  EXPECT_TRUE(quiet->cc_only);
  EXPECT_TRUE(quiet->confirmed);
  EXPECT_EQ(quiet->action, Action::kNotify);
  EXPECT_GE(quiet->evidence.cc_hours, 3u);
  EXPECT_EQ(quiet->evidence.cc_servers, 1u);
  EXPECT_EQ(quiet->evidence.cc_bots, 3u);
  EXPECT_LE(quiet->evidence.cc_p, 1e-5);
  // Found in the third clock hour of its calls (kT0 is 47 minutes before an
  // hour's end; the bots were confirmed in minutes).
  EXPECT_GT(quiet->opened_ms - kT0, 3600000 + 47 * 60000);
  EXPECT_LT(quiet->opened_ms - kT0, 2 * 3600000 + 47 * 60000);
  const std::string j = incident_json(*quiet);
  for (const char* k : {"\"cc_hours\":", "\"cc_bots\":3", "\"cc_only\":true", "\"action\":\"notify\""})
    EXPECT_NE(j.find(k), std::string::npos) << k << " in " << j;
  // In words, for the operator (the incident store's summary).
  const std::string words = incident_summary(*quiet);
  EXPECT_NE(words.find("C&C: 1 server(s) shared with 3 confirmed bots"), std::string::npos) << words;
  double bots_figure = 0;
  for (const auto& [k, v] : incident_figures(*quiet))
    if (k == "cc_bots") bots_figure = v;
  EXPECT_EQ(bots_figure, 3.0);
}

TEST(Detector, CommandServerPivotOff) {
  DetectorConfig c = config();
  c.cc_min_bots = 0;
  Detector d(c);
  cc_world(d, false);
  for (const auto& i : d.take_closed()) EXPECT_NE(i.host.to_string(), "100.64.5.5");
  // A share of bots the popular site cannot reach makes no server suspect.
  DetectorConfig s = config();
  s.cc_min_share = 0.9;
  Detector d2(s);
  cc_world(d2, false);
  for (const auto& i : d2.take_closed()) EXPECT_NE(i.host.to_string(), "100.64.5.5");
}

// The pivot's base rate is the bots' share of all host-destination contacts
// (round 8). Four spam bots are NAT gateways of many people each: they reach
// all 300 sites of this world every hour; 400 people reach three sites each,
// the same three every hour. Each site's first contacts are then half bots,
// far beyond the bots' 1% of the hosts, but just what their share of the
// contacts (half) predicts: no site is suspect and no person is flagged.
TEST(Detector, CommandServerBaseRateWeighsReach) {
  Detector d(config());
  const char* gateways[] = {"100.64.1.1", "100.64.1.2", "100.64.1.3", "100.64.1.4"};
  auto site = [](uint32_t k) { return IpAddress::v4(0xC6330000u + k * 7); };
  uint32_t spam = 0;
  for (int64_t hour = 0; hour < 6; ++hour)
    for (int64_t m = 0; m < 60; ++m) {
      const int64_t t = kT0 + (hour * 60 + m) * 60000;
      for (uint32_t g = 0; g < 4; ++g) {
        for (uint32_t k = m * 5; k < m * 5 + 5; ++k)
          d.observe(tcp(gateways[g], site(k), 443, t + g * 10 + k, true));
        if (hour == 0 && m < 30)  // spam in the first half hour: confirmed bots
          for (int i = 0; i < 20; ++i, ++spam)
            d.observe(
                tcp(gateways[g], IpAddress::v4(0x0B000000u + spam * 977), 25, t + 1000 + i * 50, i % 2 == 0));
      }
      for (uint32_t p = 0; p < 400; ++p) {
        if (static_cast<int64_t>(p % 60) != m) continue;
        const std::string src = "100.64." + std::to_string(10 + p / 200) + "." + std::to_string(p % 200);
        for (uint32_t j = 0; j < 3; ++j)
          d.observe(tcp(src.c_str(), site((p * 3 + j) % 300), 443, t + 20000 + p * 10 + j, true));
      }
    }
  d.finish();
  size_t people_flagged = 0, bots_flagged = 0;
  for (const auto& i : d.take_closed()) {
    const std::string h = i.host.to_string();
    if (h.rfind("100.64.1.", 0) == 0)
      ++bots_flagged;
    else
      ++people_flagged;
  }
  EXPECT_EQ(bots_flagged, 4u);
  EXPECT_EQ(people_flagged, 0u);
}

// A mail exchanger on a dynamic line (round 8): a small MTA receives mail
// from many senders at about the rate it sends, and sends to many MX hosts it
// never used before, a third of the sessions reset. Without the mail it
// receives the same sending is flagged; with it, not, unless a spam burst from
// behind the same address takes its sends far past what it receives.
void exchanger(Detector& d, const char* host, bool receives, bool burst_at_4h) {
  uint32_t k = 0;
  for (int64_t m = 0; m < 6 * 60; ++m) {
    const int64_t t = kT0 + m * 60000;
    if (receives) {
      Flow in = tcp("203.0.113.9", ip(host), 25, t, true);
      in.src = IpAddress::v4(0xCB000000u + static_cast<uint32_t>(m));
      d.observe(in);
    }
    Flow out = tcp(host, IpAddress::v4(0x0B000000u + (k++) * 977), 25, t + 500, true);
    if (m % 3 == 0) out.tcp_flags |= kTcpRst;
    d.observe(out);
    if (burst_at_4h && m == 4 * 60)
      for (uint32_t i = 0; i < 300; ++i)
        d.observe(tcp(host, IpAddress::v4(0x0C000000u + i * 977), 25, t + 1000 + i * 500, i % 2 == 0));
  }
  d.finish();
}

TEST(Detector, MailExchangerOnADynamicLine) {
  {
    Detector d(config());
    exchanger(d, "100.64.7.7", false, false);
    EXPECT_FALSE(d.take_closed().empty()) << "the sending alone looks like a bot";
  }
  {
    Detector d(config());
    exchanger(d, "100.64.7.7", true, false);
    auto inc = d.take_closed();
    EXPECT_TRUE(inc.empty()) << incident_json(inc[0]);
  }
  {
    Detector d(config());
    exchanger(d, "100.64.7.7", true, true);
    auto inc = d.take_closed();
    ASSERT_FALSE(inc.empty());
    EXPECT_GE(inc[0].first_seen_ms, kT0 + 4 * 3600000);
    EXPECT_LT(inc[0].evidence.mail_exchange, 0.3);
    EXPECT_GE(inc[0].evidence.inbound_smtp_24h, 200u);
    const std::string j = incident_json(inc[0]);
    EXPECT_NE(j.find("\"mail_exchange\":"), std::string::npos) << j;
  }
}

// A small mail exchanger keeps its history over a quiet hour (flows8): it
// receives and sends 2 an hour for ten hours, is silent for 90 minutes (no
// flow at all), then sends 3 an hour to MX hosts it never used for four
// hours and receives nothing. Not flagged: the mail it received within the
// day still counts. A host that sends the same and never received any is
// flagged (what the server looked like when it was forgotten after its
// quiet hour).
TEST(Detector, MailExchangerIsRememberedOverAQuietHour) {
  auto run = [](const char* host, bool receives) {
    DetectorConfig c = config();
    c.beacon_min_hours = 0;  // its one web server every 30 minutes is not the point here
    Detector d(c);
    uint32_t k = 0;
    for (int64_t m = 0; m < 10 * 60; m += 30) {
      const int64_t t = kT0 + m * 60000;
      if (receives) {
        Flow in = tcp("203.0.113.9", ip(host), 25, t, true);
        in.src = IpAddress::v4(0xCB000000u + static_cast<uint32_t>(m));
        d.observe(in);
      }
      d.observe(tcp(host, IpAddress::v4(0x0B000000u + (k++) * 977), 25, t + 500, true));
      d.observe(tcp(host, ip("12.0.0.1"), 443, t + 900, true));
    }
    for (int64_t m = 0; m < 4 * 60; m += 20) {
      const int64_t t = kT0 + (11 * 60 + 30 + m) * 60000;
      d.observe(tcp(host, IpAddress::v4(0x0C000000u + (k++) * 977), 25, t, true));
      d.observe(tcp(host, ip("12.0.0.1"), 443, t + 900, true));
    }
    d.finish();
    return d.take_closed();
  };
  const auto server = run("100.64.7.8", true);
  EXPECT_TRUE(server.empty()) << incident_json(server.front());
  EXPECT_FALSE(run("100.64.7.9", false).empty()) << "the sending alone looks like low-and-slow";
}

// Lone beacons: a host that calls a server no other subscriber reaches every
// 30 minutes (a minute of jitter either way) for eight hours is flagged,
// notified only, from its beacon evidence; a person who returns to three
// favourite sites of their own every hour, a few visits a minute or two apart
// and then a pause, is not (the gaps vary too much), nor are two hosts that
// both call one telemetry server as regularly (not lone).
void beacon_world(Detector& d) {
  const IpAddress cc = IpAddress::v4(0xCB007109u);         // 203.0.113.9
  const IpAddress telemetry = IpAddress::v4(0xC633640Au);  // 198.51.100.10
  for (int64_t m = 0; m < 8 * 60; ++m) {
    const int64_t t = kT0 + m * 60000;
    if (m % 30 == 0) d.observe(tcp("100.64.7.7", cc, 443, t + ((m / 30) % 3 - 1) * 50000, true));
    if (m % 60 < 4 && m % 60 != 1)
      for (uint32_t k = 0; k < 3; ++k)
        d.observe(tcp("100.64.8.8", IpAddress::v4(0xC0000210u + k), 443, t + 5000 + k * 1000, true));
    if (m % 30 == 3) {
      d.observe(tcp("100.64.9.1", telemetry, 443, t + 7000, true));
      d.observe(tcp("100.64.9.2", telemetry, 443, t + 8000, true));
    }
  }
  d.finish();
}

TEST(Detector, LoneBeacon) {
  Detector d(config());
  beacon_world(d);
  auto inc = d.take_closed();
  ASSERT_EQ(inc.size(), 1u);
  const Incident& b = inc[0];
  EXPECT_EQ(b.host.to_string(), "100.64.7.7");
  EXPECT_TRUE(b.confirmed);
  EXPECT_TRUE(b.cc_only);
  EXPECT_EQ(b.action, Action::kNotify);
  EXPECT_EQ(b.evidence.beacon_servers, 1u);
  EXPECT_GE(b.evidence.beacon_hours, 4u);
  EXPECT_GE(b.evidence.beacon_sessions, 6u);
  EXPECT_LE(b.evidence.beacon_cv, 0.3);
  // Four clock hours of calls: found after the fourth hour began, before the sixth.
  EXPECT_GT(b.opened_ms - kT0, 2 * 3600000);
  EXPECT_LT(b.opened_ms - kT0, 5 * 3600000);
  EXPECT_GE(b.last_seen_ms, kT0 + 7 * 3600000);  // held while the calls go on
  const std::string j = incident_json(b);
  for (const char* k : {"\"beacon_servers\":1", "\"beacon_cv\":", "\"action\":\"notify\""})
    EXPECT_NE(j.find(k), std::string::npos) << k << " in " << j;
  const std::string words = incident_summary(b);
  EXPECT_NE(words.find("beacon: 1 server(s) no other subscriber reaches"), std::string::npos) << words;
  // Off: nothing.
  DetectorConfig off = config();
  off.beacon_min_hours = 0;
  Detector d2(off);
  beacon_world(d2);
  EXPECT_TRUE(d2.take_closed().empty());
  // A looser bar on the gaps takes the person's visits too.
  DetectorConfig loose = config();
  loose.beacon_max_cv = 2;
  Detector d3(loose);
  beacon_world(d3);
  std::vector<std::string> hosts;
  for (const auto& i : d3.take_closed()) hosts.push_back(i.host.to_string());
  std::sort(hosts.begin(), hosts.end());
  EXPECT_EQ(hosts, (std::vector<std::string>{"100.64.7.7", "100.64.8.8"}));
}

TEST(Detector, LoneBeaconConfig) {
  auto c = Config::parse(
      "[flows.detector]\nbeacon_min_hours = 5\nbeacon_dst_hours = 3\nbeacon_span_h = 8\nbeacon_max_cv = "
      "0.2\n");
  ASSERT_TRUE(c);
  auto d = DetectorConfig::from_config(*c);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->beacon_min_hours, 5u);
  EXPECT_EQ(d->beacon_dst_hours, 3u);
  EXPECT_EQ(d->beacon_span_h, 8u);
  EXPECT_DOUBLE_EQ(d->beacon_max_cv, 0.2);
  for (const char* text :
       {"[flows.detector]\nbeacon_min_hours = 7\n", "[flows.detector]\nbeacon_dst_hours = 1\n",
        "[flows.detector]\nbeacon_span_h = 30\n", "[flows.detector]\nbeacon_max_cv = -1\n"}) {
    auto b = Config::parse(text);
    ASSERT_TRUE(b);
    EXPECT_FALSE(DetectorConfig::from_config(*b)) << text;
  }
}

TEST(Detector, CommandServerConfig) {
  auto c = Config::parse(
      "[flows.detector]\ncc_min_bots = 3\ncc_max_p = 1e-6\ncc_min_share = 0.5\ncc_min_hours = 2\n");
  ASSERT_TRUE(c);
  auto d = DetectorConfig::from_config(*c);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->cc_min_bots, 3u);
  EXPECT_DOUBLE_EQ(d->cc_max_p, 1e-6);
  EXPECT_DOUBLE_EQ(d->cc_min_share, 0.5);
  EXPECT_EQ(d->cc_min_hours, 2u);
  for (const char* text : {"[flows.detector]\ncc_max_p = 0\n", "[flows.detector]\ncc_min_hours = 7\n",
                           "[flows.detector]\ncc_min_share = 1.5\n"}) {
    auto b = Config::parse(text);
    ASSERT_TRUE(b);
    EXPECT_FALSE(DetectorConfig::from_config(*b)) << text;
  }
}

}  // namespace
}  // namespace rampart::flows

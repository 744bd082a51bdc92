// File: src/reputation/event_test.cc
#include "reputation/event.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "auth/dmarc/orgdomain.h"
#include "reputation/event_json.h"

namespace rampart::reputation {
namespace {

std::vector<std::string> keys(const Event& e) {
  std::vector<std::string> out;
  for (const Identity& i : identities_of(e, dmarc::PublicSuffixList::system())) out.push_back(i.key);
  return out;
}

Event good_message() {
  Event e;
  e.ip = *IpAddress::parse("192.0.2.77");
  e.helo = "mx.example.co.uk";
  e.mail_from = "bounce@mail.Example.co.uk";
  e.spf = AuthResult::kPass;
  e.from = "News <news@example.co.uk>";
  e.dmarc = AuthResult::kPass;
  e.dkim_domains = {"esp.example.net", "example.co.uk"};
  e.dkim = AuthResult::kPass;
  e.feedback_id = "camp1:cust2:mailer:esp";
  e.list_id = "<news.example.co.uk>";
  return e;
}

TEST(Identities, VerifiedDomainsAndNetworks) {
  const auto k = keys(good_message());
  const std::vector<std::string> want = {
      "ip:192.0.2.77",          "net:192.0.2.0/24",   "domain:example.co.uk",   "domain:example.net",
      "dkim:esp.example.net",   "dkim:example.co.uk", "spf:mail.example.co.uk", "fbid:camp1:cust2:mailer:esp",
      "list:news.example.co.uk"};
  EXPECT_EQ(k, want);
}

TEST(Identities, ClaimsNeverCount) {
  Event e = good_message();
  e.spf = AuthResult::kFail;
  e.dkim = AuthResult::kFail;
  e.dmarc = AuthResult::kFail;
  const auto k = keys(e);
  EXPECT_EQ(k, (std::vector<std::string>{"ip:192.0.2.77", "net:192.0.2.0/24"}));
  // HELO is never an identity, even when everything else passes.
  for (const auto& s : keys(good_message())) EXPECT_EQ(s.find("helo"), std::string::npos);
}

TEST(Identities, Ipv6AndMapped) {
  Event e;
  e.ip = *IpAddress::parse("2001:DB8:1:2:3::1");
  EXPECT_EQ(keys(e), (std::vector<std::string>{"ip:2001:db8:1:2:3::1", "net:2001:db8:1:2::/64"}));
  e.ip = *IpAddress::parse("::ffff:198.51.100.9");
  EXPECT_EQ(keys(e), (std::vector<std::string>{"ip:198.51.100.9", "net:198.51.100.0/24"}));
}

TEST(Identities, SenderIdPra) {
  Event e;
  e.pra = "Sender@Lists.Example.ORG";
  e.senderid = AuthResult::kPass;
  EXPECT_EQ(keys(e), (std::vector<std::string>{"domain:example.org", "pra:lists.example.org"}));
}

TEST(EventJson, ParsesTheDocumentedFields) {
  auto e = parse_event_json(
      R"({"time": 1700000000, "type": "complaint", "ip": "192.0.2.1", "helo": "h.example", "mail_from": "a@b.example",
          "from": "x@b.example", "dkim_domains": ["b.example"], "spf": "pass", "dkim": "pass", "dmarc": "none",
          "list_unsubscribe_one_click": true, "fcrdns": false, "recipients": 7, "extra": {"a": [1, {"b": null}]}})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->time, 1700000000);
  EXPECT_EQ(e->type, EventType::kComplaint);
  EXPECT_EQ(e->ip->to_string(), "192.0.2.1");
  EXPECT_EQ(e->dkim_domains, std::vector<std::string>{"b.example"});
  EXPECT_EQ(e->spf, AuthResult::kPass);
  EXPECT_EQ(e->dmarc, AuthResult::kNone);
  EXPECT_TRUE(e->list_unsubscribe_one_click);
  EXPECT_EQ(e->recipients, 7u);
  auto back = parse_event_json(event_to_json(*e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(event_to_json(*back), event_to_json(*e));
}

TEST(Identities, BotEventIsAboutTheAddressOnly) {
  // A flow detection knows nothing of domains: even with verified domains set
  // (which a detector never sets), only ip: and net: count.
  Event e = good_message();
  e.type = EventType::kBot;
  EXPECT_EQ(keys(e), (std::vector<std::string>{"ip:192.0.2.77", "net:192.0.2.0/24"}));
  Event v6;
  v6.type = EventType::kBot;
  v6.ip = *IpAddress::parse("2001:db8:5::9");
  EXPECT_EQ(keys(v6), (std::vector<std::string>{"ip:2001:db8:5::9", "net:2001:db8:5::/64"}));
  Event none;
  none.type = EventType::kBot;
  EXPECT_TRUE(keys(none).empty());
}

TEST(EventJson, BotRoundTrip) {
  EXPECT_EQ(event_type_name(EventType::kBot), "bot");
  EXPECT_EQ(parse_event_type("bot"), EventType::kBot);
  auto e = parse_event_json(R"({"type":"bot","time":1313005000,"ip":"147.32.84.165"})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->type, EventType::kBot);
  EXPECT_EQ(e->time, 1313005000);
  EXPECT_EQ(e->ip->to_string(), "147.32.84.165");
  const std::string line = event_to_json(*e);
  EXPECT_EQ(line, R"({"time": 1313005000, "type": "bot", "ip": "147.32.84.165"})");
  auto back = parse_event_json(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->type, EventType::kBot);
  EXPECT_EQ(back->time, e->time);
  EXPECT_EQ(*back->ip, *e->ip);
  EXPECT_EQ(event_to_json(*back), line);
}

TEST(EventJson, BadLinesSayWhy) {
  for (const char* bad :
       {"", "{", "[]", R"({"type": "nope"})", R"({"ip": "999.1.1.1"})", R"({"recipients": -1})",
        R"({"recipients": 1.5})", R"({"time": "x"})", R"({"a": [1,]})", R"({"a": 1} x)",
        R"({"fcrdns": "yes"})", R"({"dkim_domains": "a"})", R"({"a": "\u12"})"}) {
    auto e = parse_event_json(bad);
    EXPECT_FALSE(e) << bad;
    if (!e) {
      EXPECT_FALSE(e.error().message.empty());
    }
  }
  std::string deep(200, '[');
  auto e = parse_event_json("{\"x\": " + deep + "}");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::kLimit);
}

}  // namespace
}  // namespace rampart::reputation

// File: src/server/channel_reputation_test.cc
// The glue of calls and messages into the reputation store (issue 16): the
// events handed to the sink, the overrides applied to verdicts and answers.
#include "server/channel_reputation.h"

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "server/calls_api.h"

namespace rampart::server {
namespace {

namespace msg = channels::messages;
using reputation::EventType;

struct Fixture {
  std::shared_ptr<reputation::OverrideStore> overrides;
  ChannelReputation rep;
  std::vector<reputation::Event> got;
  Metrics metrics;
  Fixture() {
    auto o = reputation::OverrideStore::open("");
    overrides = std::move(*o);
    rep.overrides = overrides;
    rep.sink = [this](std::vector<reputation::Event> evs) {
      for (auto& e : evs) got.push_back(std::move(e));
    };
    rep.register_metrics(metrics);
  }
  void set(const std::string& id, const char* action) {
    auto req = reputation::parse_override_request(std::string(R"({"identity": ")") + id +
                                                  R"(", "action": ")" + action + R"(", "reason": "test"})");
    ASSERT_TRUE(req) << req.error().message;
    ASSERT_TRUE(overrides->apply(*req, "desk", 1796601600));
  }
};

msg::Verdict verdict(const char* action) {
  msg::Verdict v;
  v.action = action;
  v.symbols.push_back(msg::Symbol{"SENDER_FANOUT", 3, "60 recipients"});
  return v;
}

TEST(ChannelReputation, MessagesBecomeEventsAndOverridesDecide) {
  Fixture f;
  msg::Message m;
  m.sender = "+44 7700 900123";
  m.recipients = {"+447700900001", "+447700900002"};
  m.time = 4102444800;  // a client's clock (2100): never the event's time
  std::vector<reputation::Event> evs;
  msg::Verdict v = verdict("tag");
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "tag");  // no override: the verdict as it was
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, EventType::kMessage);
  EXPECT_EQ(evs[0].channel, "sms");
  EXPECT_EQ(evs[0].recipients, 2u);
  EXPECT_EQ(evs[0].time, 0);  // stamped when rampartd queues it
  EXPECT_EQ(evs[0].verdict, reputation::Verdict::kSpam);
  EXPECT_EQ(evs[0].reasons, (std::vector<std::string>{"SENDER_FANOUT: 60 recipients"}));
  f.rep.record(std::move(evs));
  ASSERT_EQ(f.got.size(), 1u);
  EXPECT_EQ(reputation::channel_identities_of(f.got[0])[0].key, "sms:+447700900123");
  // Allowed: never blocked nor tagged; the event still says what the checks saw.
  f.set("sms:+447700900123", "allow");
  evs.clear();
  v = verdict("block");
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "allow");
  EXPECT_EQ(v.symbols.back().name, "OVERRIDE_ALLOW");
  EXPECT_EQ(evs.at(0).verdict, reputation::Verdict::kSpam);
  // Blocked: refused whatever the checks said.
  f.set("sms:+447700900123", "block");
  v = verdict("allow");
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "block");
  EXPECT_EQ(v.symbols.back().name, "OVERRIDE_BLOCK");
  EXPECT_NE(v.symbols.back().reason.find("by desk: test"), std::string::npos);
  // An alphanumeric sender ID is no identity: no event, no override.
  evs.clear();
  m.sender = "MYBANK";
  v = verdict("allow");
  f.rep.on_message(m, v, evs);
  EXPECT_TRUE(evs.empty());
  EXPECT_EQ(v.action, "allow");
  // Reports: a complaint and a not-spam report.
  msg::Complaint c;
  c.sender = "+447700900123";
  f.rep.on_report(c, true);
  f.rep.on_report(c, false);
  ASSERT_EQ(f.got.size(), 3u);
  EXPECT_EQ(f.got[1].type, EventType::kComplaint);
  EXPECT_EQ(f.got[2].type, EventType::kNotSpam);
  const std::string text = f.metrics.render();
  EXPECT_NE(text.find("rampart_channel_events_total{channel=\"sms\",type=\"complaint\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rampart_channel_overrides_total{channel=\"sms\",action=\"block\"} 1"),
            std::string::npos);
}

CallAnswer answer(const char* action, int code) {
  CallAnswer a;
  a.action = action;
  a.code = code;
  a.reason = "pattern";
  a.display_prefix = std::string(action) == "tag" ? "Spam? " : "";
  a.reasons = {"CALLER_FANOUT 40 callees"};
  return a;
}

TEST(ChannelReputation, CallsBecomeEventsAndOverridesDecide) {
  Fixture f;
  CallRequest req;
  req.from = "sip:+13135550100@carrier.example";
  req.source_ip = "203.0.113.66";
  req.trunk = "Carrier-A";
  CallAnswer a = answer("block", 607);
  f.rep.on_call(req, "+13135550100", 1796601600, a);
  EXPECT_EQ(a.action, "block");
  ASSERT_EQ(f.got.size(), 1u);
  EXPECT_EQ(f.got[0].type, EventType::kCall);
  EXPECT_EQ(f.got[0].verdict, reputation::Verdict::kSpam);
  EXPECT_EQ(f.got[0].reasons.at(0), "verstat No-TN-Validation");
  std::vector<std::string> keys;
  for (const auto& id : reputation::channel_identities_of(f.got[0])) keys.push_back(id.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"voice:+13135550100", "sip:203.0.113.66", "trunk:carrier-a"}));
  // The trunk blocked by hand: a clean caller on it is refused, 603...
  f.set("trunk:carrier-a", "block");
  a = answer("allow", 0);
  f.rep.on_call(req, "+13135550100", 1796601601, a);
  EXPECT_EQ(a.action, "block");
  EXPECT_EQ(a.code, 603);
  EXPECT_TRUE(a.reason.starts_with("OVERRIDE_BLOCK trunk:carrier-a"));
  // ... unless the caller itself is allowed (its override comes first): a
  // tag or block of the patterns becomes allow, without the prefix.
  f.set("voice:+13135550100", "allow");
  a = answer("tag", 0);
  f.rep.on_call(req, "+13135550100", 1796601602, a);
  EXPECT_EQ(a.action, "allow");
  EXPECT_EQ(a.display_prefix, "");
  EXPECT_TRUE(a.reasons.back().starts_with("OVERRIDE_ALLOW voice:+13135550100"));
  // A failed Identity refused by configuration stays refused: an allowed
  // number is what a spoofer presents.
  a = answer("reject", 438);
  f.rep.on_call(req, "+13135550100", 1796601603, a);
  EXPECT_EQ(a.action, "reject");
  EXPECT_EQ(a.code, 438);
  // A withheld caller has no number; its source and trunk still count.
  f.got.clear();
  a = answer("allow", 0);
  f.rep.on_call(req, "", 1796601604, a);
  ASSERT_EQ(f.got.size(), 1u);
  EXPECT_EQ(reputation::channel_identities_of(f.got[0]).size(), 2u);
  EXPECT_EQ(a.action, "block");  // the trunk's block
  // A call's end.
  f.rep.on_end("+13135550100", "203.0.113.66", "carrier-a", 1796601605, true, 2);
  ASSERT_EQ(f.got.size(), 2u);
  EXPECT_EQ(f.got[1].type, EventType::kCallEnd);
  EXPECT_TRUE(f.got[1].answered);
  EXPECT_EQ(f.got[1].duration, 2);
}

TEST(ChannelReputation, ClassChangesOfChannelIdentitiesAreCounted) {
  Fixture f;
  auto listen = f.rep.class_listener();
  std::vector<reputation::ClassChange> cs(3);
  cs[0].identity = "voice:+13135550100";
  cs[0].to = reputation::SenderClass::kSpammer;
  cs[1].identity = "ip:192.0.2.1";  // mail's: not counted here
  cs[1].to = reputation::SenderClass::kSpammer;
  cs[2].identity = "shortcode:72900";
  cs[2].to = reputation::SenderClass::kBulk;
  listen(cs);
  const std::string text = f.metrics.render();
  EXPECT_NE(text.find("rampart_channel_class_changes_total{kind=\"voice\",class=\"spammer\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rampart_channel_class_changes_total{kind=\"shortcode\",class=\"bulk\"} 1"),
            std::string::npos);
  EXPECT_EQ(text.find("kind=\"ip\""), std::string::npos);
}

// The stored class of a caller or sender is a verdict input: a caller
// classed spammer is tagged on its next call (refused, 607, when its
// Identity passed with attestation A), a sender classed spammer gets
// SENDER_CLASS_SPAMMER (tag alone, block with another sign). Overrides win;
// the source's and trunk's classes are not used; the event keeps the
// verdict before the class; a class that goes away stops counting.
TEST(ChannelReputation, StoredClassesAreAVerdictInput) {
  Fixture f;
  auto listen = f.rep.class_listener();
  std::vector<reputation::ClassChange> cs(4);
  cs[0].identity = "voice:+13135550100";
  cs[0].to = reputation::SenderClass::kSpammer;
  cs[0].reasons.push_back({"SPAM_VERDICTS", 1, "40 of 40 calls blocked or tagged"});
  cs[1].identity = "sms:+447700900123";
  cs[1].to = reputation::SenderClass::kSpammer;
  cs[2].identity = "sip:203.0.113.66";
  cs[2].to = reputation::SenderClass::kSpammer;
  cs[3].identity = "voice:+12025550100";
  cs[3].to = reputation::SenderClass::kBulk;  // a good class: no input
  listen(cs);
  EXPECT_TRUE(f.rep.bad_class("voice:+13135550100"));
  EXPECT_FALSE(f.rep.bad_class("voice:+12025550100"));

  CallRequest req;
  req.from = "+13135550100";
  req.source_ip = "203.0.113.66";
  CallAnswer a = answer("allow", 0);
  f.rep.on_call(req, "+13135550100", 1796601600, a);
  f.rep.apply_caller_class("+13135550100", a, "Spam? ");
  EXPECT_EQ(a.action, "tag");
  EXPECT_EQ(a.display_prefix, "Spam? ");
  EXPECT_EQ(
      a.reason,
      "REPUTATION_CLASS voice:+13135550100 classed spammer in the reputation store (SPAM_VERDICTS: 40 of "
      "40 calls blocked or tagged)");
  EXPECT_EQ(f.got.back().verdict, reputation::Verdict::kHam);  // the event: the verdict before the class
  // Attested A by its provider: the number is really the caller's: refused.
  a = answer("allow", 0);
  a.verstat = channels::stir::Verstat::kPassed;
  a.attest = 'A';
  f.rep.apply_caller_class("+13135550100", a, "Spam? ");
  EXPECT_EQ(a.action, "block");
  EXPECT_EQ(a.code, 607);
  EXPECT_EQ(a.display_prefix, "");
  a = answer("allow", 0);  // attestation B: the signer does not vouch for the number
  a.verstat = channels::stir::Verstat::kPassed;
  a.attest = 'B';
  f.rep.apply_caller_class("+13135550100", a, "Spam? ");
  EXPECT_EQ(a.action, "tag");
  // A pattern block stays what it was.
  a = answer("block", 603);
  f.rep.apply_caller_class("+13135550100", a, "Spam? ");
  EXPECT_EQ(a.action, "block");
  EXPECT_EQ(a.code, 603);
  EXPECT_EQ(a.reason, "pattern");
  // Another caller from the spammer-classed source: untouched.
  a = answer("allow", 0);
  f.rep.apply_caller_class("+13135550999", a, "Spam? ");
  EXPECT_EQ(a.action, "allow");
  a = answer("allow", 0);
  f.rep.apply_caller_class("+12025550100", a, "Spam? ");  // bulk
  EXPECT_EQ(a.action, "allow");
  a = answer("allow", 0);
  f.rep.apply_caller_class("", a, "Spam? ");  // withheld
  EXPECT_EQ(a.action, "allow");
  // Allowed by hand: the override wins.
  f.set("voice:+13135550100", "allow");
  a = answer("tag", 0);
  f.rep.on_call(req, "+13135550100", 1796601601, a);
  f.rep.apply_caller_class("+13135550100", a, "Spam? ");
  EXPECT_EQ(a.action, "allow");

  // SMS: the sender's class is a symbol worth a tag alone, a block with another sign.
  msg::Message m;
  m.sender = "+447700900123";
  m.recipients = {"+447700900001"};
  std::vector<reputation::Event> evs;
  msg::Verdict v;
  v.action = "allow";
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "tag");
  ASSERT_FALSE(v.symbols.empty());
  EXPECT_EQ(v.symbols.back().name, "SENDER_CLASS_SPAMMER");
  EXPECT_DOUBLE_EQ(v.score, 4);
  EXPECT_EQ(evs.at(0).verdict, reputation::Verdict::kHam);
  v = verdict("tag");
  v.score = 4;
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "block");
  m.sender = "+447700900999";  // another sender: nothing
  v = msg::Verdict{};
  v.action = "allow";
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "allow");
  EXPECT_TRUE(v.symbols.empty());
  const std::string text = f.metrics.render();
  EXPECT_NE(text.find("rampart_channel_class_verdicts_total{channel=\"voice\",action=\"tag\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rampart_channel_class_verdicts_total{channel=\"sms\",action=\"block\"} 1"),
            std::string::npos);

  // The class goes away: it stops counting.
  cs.resize(1);
  cs[0].identity = "sms:+447700900123";
  cs[0].from = reputation::SenderClass::kSpammer;
  cs[0].to = reputation::SenderClass::kUnknown;
  listen(cs);
  m.sender = "+447700900123";
  v = msg::Verdict{};
  v.action = "allow";
  f.rep.on_message(m, v, evs);
  EXPECT_EQ(v.action, "allow");
}

}  // namespace
}  // namespace rampart::server

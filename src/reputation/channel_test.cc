// File: src/reputation/channel_test.cc
// Other channels' identities (issue 16): numbers, short codes, IM accounts,
// SIP sources and trunks as reputation identities, their events and classes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "reputation/engine.h"
#include "reputation/event.h"
#include "reputation/event_json.h"
#include "reputation/overrides.h"

namespace rampart::reputation {
namespace {

const dmarc::PublicSuffixList& psl() {
  static auto p = dmarc::PublicSuffixList::from_text("com\nexample\n");
  return *p;
}

std::vector<std::string> keys_of(const Event& e) {
  std::vector<std::string> out;
  for (const Identity& i : identities_of(e, psl())) out.push_back(i.key);
  return out;
}

TEST(ChannelIdentity, NumbersAreCanonicalPerChannel) {
  auto key = [](std::string_view ch, std::string_view s) {
    auto id = channel_sender_identity(ch, s);
    return id ? id->key : std::string("-");
  };
  EXPECT_EQ(key("sms", "+1 (202) 555-0100"), "sms:+12025550100");
  EXPECT_EQ(key("sms", "00447700900123"), "sms:+447700900123");
  EXPECT_EQ(key("sms", "447700900123"), "sms:+447700900123");  // SMPP international, no "+"
  EXPECT_EQ(key("sms", "12345"), "shortcode:12345");
  EXPECT_EQ(key("sms", "729"), "shortcode:729");
  EXPECT_EQ(key("voice", "+12025550100"), "voice:+12025550100");
  EXPECT_EQ(key("voice", "12345"), "-");       // not a caller
  EXPECT_EQ(key("voice", "2025550100"), "-");  // national form: rampartd converts it first
  EXPECT_EQ(key("im", " alice@chat.example "), "im:alice@chat.example");
  // No identity: alphanumeric sender IDs, withheld callers, junk, other channels.
  EXPECT_EQ(key("sms", "MYBANK"), "-");
  EXPECT_EQ(key("voice", "anonymous"), "-");
  EXPECT_EQ(key("sms", "+1234567890123456"), "-");  // 16 digits: longer than E.164
  EXPECT_EQ(key("sms", "+1234"), "-");
  EXPECT_EQ(key("sms", "12"), "-");
  EXPECT_EQ(key("im", "a b"), "-");
  EXPECT_EQ(key("im", "x{y}"), "-");  // braces would be a Redis hash tag
  EXPECT_EQ(key("im", std::string(129, 'a')), "-");
  EXPECT_EQ(key("mail", "+12025550100"), "-");
}

TEST(ChannelIdentity, KindsAndCanonicalKeys) {
  EXPECT_EQ(identity_kind_of("voice:+12025550100"), IdentityKind::kVoice);
  EXPECT_EQ(identity_kind_of("shortcode:12345"), IdentityKind::kShortCode);
  EXPECT_EQ(identity_kind_of("sip:192.0.2.1"), IdentityKind::kSip);
  EXPECT_EQ(identity_kind_of("spf:example.com"), IdentityKind::kSpf);
  EXPECT_TRUE(is_channel_kind(IdentityKind::kTrunk));
  EXPECT_FALSE(is_channel_kind(IdentityKind::kListId));
  EXPECT_EQ(canonical_channel_key("VOICE:+1 202 555 0100"), "voice:+12025550100");
  EXPECT_EQ(canonical_channel_key("sip:::ffff:192.0.2.1"), "sip:192.0.2.1");
  EXPECT_EQ(canonical_channel_key("trunk:Carrier-A"), "trunk:carrier-a");
  EXPECT_EQ(canonical_channel_key("shortcode:12345"), "shortcode:12345");
  EXPECT_FALSE(canonical_channel_key("sms:12345"));  // a short code is shortcode:
  EXPECT_FALSE(canonical_channel_key("voice:abc"));
  EXPECT_FALSE(canonical_channel_key("sip:not-an-ip"));
  EXPECT_FALSE(canonical_channel_key("ip:192.0.2.1"));
  // Overrides take them, canonical.
  auto o = canonical_identity("voice:+1-202-555-0100");
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, "voice:+12025550100");
  EXPECT_TRUE(canonical_identity("trunk:peer-1"));
  EXPECT_FALSE(canonical_identity("voice:12"));
  auto req =
      parse_override_request(R"({"identity": "sms:+447700900123", "action": "block", "reason": "7726"})");
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->identity, "sms:+447700900123");
}

TEST(ChannelIdentity, EventsNameTheChannelsIdentitiesOnly) {
  Event call;
  call.type = EventType::kCall;
  call.channel = "voice";
  call.sender = "+12025550100";
  call.ip = *IpAddress::parse("::ffff:198.51.100.7");
  call.trunk = "Carrier-A";
  call.from = "someone@example.com";  // never a mail identity on a channel's event
  call.dmarc = AuthResult::kPass;
  EXPECT_EQ(keys_of(call),
            (std::vector<std::string>{"voice:+12025550100", "sip:198.51.100.7", "trunk:carrier-a"}));
  Event sms;
  sms.channel = "sms";
  sms.sender = "+447700900123";
  sms.ip = *IpAddress::parse("192.0.2.1");  // an SMS has no SIP source: no ip:/net:/sip:
  EXPECT_EQ(keys_of(sms), (std::vector<std::string>{"sms:+447700900123"}));
  sms.sender = "MYBANK";
  EXPECT_TRUE(keys_of(sms).empty());
  Event im;
  im.type = EventType::kComplaint;
  im.channel = "im";
  im.sender = "spammer42";
  EXPECT_EQ(keys_of(im), (std::vector<std::string>{"im:spammer42"}));
}

TEST(ChannelIdentity, EventJsonRoundTrip) {
  Event e;
  e.type = EventType::kCallEnd;
  e.time = 1796601600;
  e.channel = "voice";
  e.sender = "+12025550100";
  e.trunk = "carrier-a";
  e.answered = true;
  e.duration = 3;
  e.verdict = Verdict::kSpam;
  e.reasons = {"CALLER_FANOUT 40 callees in a minute", "SHORT \"calls\""};
  const std::string j = event_to_json(e);
  auto back = parse_event_json(j);
  ASSERT_TRUE(back) << back.error().message << " in " << j;
  EXPECT_EQ(back->type, EventType::kCallEnd);
  EXPECT_EQ(back->channel, "voice");
  EXPECT_EQ(back->sender, "+12025550100");
  EXPECT_EQ(back->trunk, "carrier-a");
  EXPECT_TRUE(back->answered);
  EXPECT_EQ(back->duration, 3);
  EXPECT_EQ(back->verdict, Verdict::kSpam);
  EXPECT_EQ(back->reasons, e.reasons);
  EXPECT_EQ(event_to_json(*back), j);
  // Bad values are errors naming the field; reasons are bounded.
  EXPECT_FALSE(parse_event_json(R"({"type": "call", "channel": "fax"})"));
  EXPECT_FALSE(parse_event_json(R"({"type": "call_end", "duration": -1})"));
  EXPECT_FALSE(parse_event_json(R"({"type": "call", "reasons": "x"})"));
  std::string many = R"({"type": "call", "channel": "voice", "reasons": [)";
  for (int i = 0; i < 100; ++i) many += std::string(i ? ", " : "") + "\"" + std::string(300, 'r') + "\"";
  auto m = parse_event_json(many + "]}");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->reasons.size(), kMaxEventReasons);
  EXPECT_EQ(m->reasons[0].size(), 200u);
}

TEST(ChannelIdentity, DeltasOfCallsAndMessages) {
  Event call;
  call.type = EventType::kCall;
  call.channel = "voice";
  call.verdict = Verdict::kSpam;
  Counters d = delta_of(call, 100);
  EXPECT_EQ(d.v[Counters::index(Metric::kVolume, Window::kDay)], 1);
  EXPECT_EQ(d.v[Counters::index(Metric::kSpamVerdict, Window::kDay)], 1);
  Event end;
  end.type = EventType::kCallEnd;
  end.channel = "voice";
  end.answered = true;
  end.duration = 2;
  EXPECT_EQ(delta_of(end, 100).v[Counters::index(Metric::kBounces, Window::kDay)], 1);
  end.duration = 40;  // a conversation
  EXPECT_EQ(delta_of(end, 100).v[Counters::index(Metric::kBounces, Window::kDay)], 0);
  end.duration = 2;
  end.answered = false;  // not answered: no short call
  EXPECT_EQ(delta_of(end, 100).v[Counters::index(Metric::kBounces, Window::kDay)], 0);
  EXPECT_EQ(delta_of(end, 100).v[Counters::index(Metric::kVolume, Window::kDay)], 0);
}

struct World {
  FakeClock clock{1796601600};
  MemoryStore store;
  Engine engine{store, clock, Thresholds{}, psl()};
};

Event call_from(std::string_view caller, int64_t t, bool flagged) {
  Event e;
  e.type = EventType::kCall;
  e.time = t;
  e.channel = "voice";
  e.sender = std::string(caller);
  e.ip = *IpAddress::parse("203.0.113.9");
  e.trunk = "carrier-b";
  e.verdict = flagged ? Verdict::kSpam : Verdict::kHam;
  if (flagged) e.reasons = {"CALLER_FANOUT"};
  return e;
}

TEST(ChannelClass, RobocallerIsASpammerWithItsReasonAndIsHeld) {
  World w;
  int64_t t = 1796601600;
  // 300 callees in five minutes; the call patterns blocked all but the first 30.
  for (int i = 0; i < 300; ++i, ++t) ASSERT_TRUE(w.engine.record(call_from("+12025550188", t, i >= 30)));
  auto r = w.engine.report("voice:+12025550188", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_NE(r->to_json().find("SPAM_VERDICTS"), std::string::npos) << r->to_json();
  EXPECT_NE(r->to_json().find("calls blocked or tagged"), std::string::npos);
  EXPECT_GT(r->classified_at, 0);
  // Its source address and trunk carry honest callers too: the same share
  // from this caller alone makes them bad only because all their calls were
  // this caller's (a trunk with many honest callers stays unknown below).
  auto trunk = w.engine.report("trunk:carrier-b", t);
  ASSERT_TRUE(trunk);
  EXPECT_EQ(trunk->cls, SenderClass::kSpammer);
  // A week later, quiet: held (the month window), not forgiven by silence.
  auto later = w.engine.report("voice:+12025550188", t + 7 * 86400);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->cls, SenderClass::kSpammer) << later->to_json();
}

TEST(ChannelClass, HonestCallerOnABusyTrunkIsNeverBad) {
  World w;
  int64_t t = 1796601600;
  // A trunk with 200 honest callers and one robocaller whose 40 calls were blocked.
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(w.engine.record(call_from("+1202555" + std::to_string(1000 + i), t++, false)));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(w.engine.record(call_from("+12025550199", t++, true)));
  auto honest = w.engine.report("voice:+12025551000", t);
  ASSERT_TRUE(honest);
  EXPECT_EQ(honest->cls, SenderClass::kUnknown);
  EXPECT_NE(honest->to_json().find("LOW_VOLUME"), std::string::npos) << honest->to_json();
  auto trunk = w.engine.report("trunk:carrier-b", t);
  ASSERT_TRUE(trunk);
  EXPECT_FALSE(is_bad(trunk->cls)) << trunk->to_json();
  EXPECT_NE(trunk->to_json().find("CHANNEL_FLAGGED"), std::string::npos) << trunk->to_json();
  auto robo = w.engine.report("voice:+12025550199", t);
  ASSERT_TRUE(robo);
  EXPECT_EQ(robo->cls, SenderClass::kSpammer);
}

TEST(ChannelClass, ShortCallsAloneMakeACallerBad) {
  World w;
  int64_t t = 1796601600;
  for (int i = 0; i < 60; ++i, t += 30) {
    ASSERT_TRUE(w.engine.record(call_from("+12025550177", t, false)));
    Event end = call_from("+12025550177", t + 3, false);
    end.type = EventType::kCallEnd;
    end.verdict = Verdict::kNone;
    end.answered = true;
    end.duration = i % 5 == 0 ? 60 : 2;  // four in five hung up on within seconds
    ASSERT_TRUE(w.engine.record(end));
  }
  auto r = w.engine.report("voice:+12025550177", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_NE(r->to_json().find("SHORT_CALLS"), std::string::npos);
}

TEST(ChannelClass, SmsComplaintsIncluding7726MakeASpammer) {
  World w;
  int64_t t = 1796601600;
  Event m;
  m.channel = "sms";
  m.sender = "+447700900123";
  for (int i = 0; i < 40; ++i) {
    m.time = t++;
    ASSERT_TRUE(w.engine.record(m));
  }
  auto before = w.engine.report("sms:+447700900123", t);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->cls, SenderClass::kUnknown);
  Event c = m;
  c.type = EventType::kComplaint;  // a 7726 forward names the sender
  for (int i = 0; i < 6; ++i) {
    c.time = t++;
    ASSERT_TRUE(w.engine.record(c));
  }
  auto r = w.engine.report("sms:+447700900123", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_NE(r->to_json().find("COMPLAINTS_BAD"), std::string::npos);
  // Four complaints are not enough (min_complaints 5): another sender stays unknown.
  m.sender = c.sender = "+447700900124";
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(w.engine.record((m.time = t++, m)));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(w.engine.record((c.time = t++, c)));
  auto other = w.engine.report("sms:+447700900124", t);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->cls, SenderClass::kUnknown) << other->to_json();
  // A not-spam report shows (as information) a day later, decayed.
  Event ns = m;
  ns.type = EventType::kNotSpam;
  ns.time = t;
  ASSERT_TRUE(w.engine.record(ns));
  auto later = w.engine.report("sms:+447700900124", t + 86400);
  ASSERT_TRUE(later);
  EXPECT_NE(later->to_json().find("NOT_SPAM"), std::string::npos) << later->to_json();
  EXPECT_EQ(later->cls, SenderClass::kUnknown);
}

TEST(ChannelClass, CleanShortCodeBecomesBulkAfterItsHistory) {
  World w;
  int64_t t = 1796601600;
  Event m;
  m.channel = "sms";
  m.sender = "72900";
  m.recipients = 20;
  // Seven days of clean notifications, every two hours.
  for (int i = 0; i < 7 * 12; ++i, t += 7200) {
    m.time = t;
    ASSERT_TRUE(w.engine.record(m));
  }
  auto r = w.engine.report("shortcode:72900", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kBulk) << r->to_json();
  EXPECT_NE(r->to_json().find("CLEAN_TRAFFIC"), std::string::npos);
  // Mostly flagged from now on, after a good history: compromised.
  m.verdict = Verdict::kSpam;
  m.recipients = 1;
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(w.engine.record((m.time = t++, m)));
  r = w.engine.report("shortcode:72900", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kCompromised) << r->to_json();
}

}  // namespace
}  // namespace rampart::reputation

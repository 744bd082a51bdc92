// File: src/channels/messages_test.cc
#include "channels/messages.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace rampart::channels::messages {
namespace {

constexpr int64_t kT = 1796601600;

Message sms(std::string from, std::string to, std::string text, int64_t t = kT) {
  Message m;
  m.channel = Channel::kSms;
  m.sender = std::move(from);
  m.recipients = {std::move(to)};
  m.text = std::move(text);
  m.time = t;
  return m;
}

bool has(const Verdict& v, std::string_view name) {
  for (const auto& s : v.symbols)
    if (s.name == name) return true;
  return false;
}

TEST(Messages, Parse) {
  auto m = parse_message(
      R"({"channel": "sms", "sender": "+12025550100", "recipients": ["+12025550199", "+12025550198"],
          "text": "hi", "time": 1796601600})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->channel, Channel::kSms);
  EXPECT_EQ(m->recipients.size(), 2u);
  EXPECT_EQ(m->time, kT);
  EXPECT_TRUE(
      parse_message(R"({"channel": "im", "sender": "alice@chat", "recipients": ["bob"], "text": ""})"));
  std::string many = R"({"channel": "sms", "sender": "1", "text": "x", "recipients": [)";
  for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + "\"" + std::to_string(i) + "\"";
  many += "]}";
  for (const std::string& bad : std::vector<std::string>{
           "", "[]", R"({"channel": "mms", "sender": "1", "recipients": ["2"], "text": ""})",
           R"({"channel": "sms", "recipients": ["2"], "text": ""})",
           R"({"channel": "sms", "sender": "", "recipients": ["2"], "text": ""})",
           R"({"channel": "sms", "sender": "1", "recipients": [], "text": ""})",
           R"({"channel": "sms", "sender": "1", "recipients": [2], "text": ""})",
           R"({"channel": "sms", "sender": "1", "recipients": ["2"]})",
           R"({"channel": "sms", "sender": "1", "recipients": ["2"], "text": "", "time": "now"})",
           R"({"channel": "sms", "sender": "1", "recipients": ["2"], "text": "", "x": 1})", many,
           R"({"channel": "sms", "sender": "1", "recipients": ["2"], "text": ")" + std::string(5000, 'a') +
               "\"}"})
    EXPECT_FALSE(parse_message(bad)) << bad.substr(0, 80);
  auto c =
      parse_complaint(R"({"channel": "sms", "sender": "+12025550100", "text": "win http://x.example/a"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sender, "+12025550100");
  EXPECT_FALSE(parse_complaint(R"({"channel": "sms"})"));
}

TEST(Messages, TextHelpers) {
  EXPECT_EQ(normalise("  WIN a Prize!!! Call 0800-123  "), "win a prize call 0000 000");
  EXPECT_EQ(url_hosts("go to https://Bit.LY/x or www.prize.example. now; http://nodot/"),
            (std::vector<std::string>{"bit.ly", "www.prize.example"}));
  EXPECT_EQ(phone_numbers("call 0800 123 4567 or +44 (20) 7946-0958, code 1234"),
            (std::vector<std::string>{"08001234567", "442079460958"}));
  // Small edits keep the fingerprint close; another text is far.
  const std::string a =
      normalise("Congratulations! You have won a $1000 gift card. Claim it now at the link below");
  const std::string b =
      normalise("Congratulations!! You have won a $5000 gift card, claim it now at the link below");
  const std::string c =
      normalise("Hi mum, running late, will be home around seven, keep dinner warm for me please");
  EXPECT_LE(std::popcount(simhash(a) ^ simhash(b)), 3);
  EXPECT_GT(std::popcount(simhash(a) ^ simhash(c)), 10);
}

// The fingerprint's definition, one bit at a time (the state file keeps
// fingerprints, so the counting in simhash() must give exactly these): each
// 4-byte window, big-endian, through splitmix64's finaliser (texts under 4
// bytes: FNV-1a of the text, mixed); a bit is set where more than half of
// the windows' hashes have it.
uint64_t reference_simhash(std::string_view n) {
  auto mix = [](uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  if (n.empty()) return 0;
  std::vector<uint64_t> hashes;
  if (n.size() < 4) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : n) h = (h ^ c) * 1099511628211ULL;
    hashes.push_back(mix(h));
  }
  for (size_t i = 3; i < n.size() && n.size() >= 4; ++i) {
    uint32_t g = 0;
    for (size_t k = i - 3; k <= i; ++k) g = (g << 8) | static_cast<unsigned char>(n[k]);
    hashes.push_back(mix(g));
  }
  uint64_t out = 0;
  for (int b = 0; b < 64; ++b) {
    size_t ones = 0;
    for (uint64_t h : hashes) ones += (h >> b) & 1;
    if (2 * ones > hashes.size()) out |= uint64_t{1} << b;
  }
  return out;
}

TEST(Messages, SimhashCountsEveryWindow) {
  // Lengths around the 255-window flush of the byte counters, and long
  // texts of one repeated window (every counter at its maximum).
  std::mt19937_64 rng(16);
  for (size_t len : {0, 1, 3, 4, 5, 40, 257, 258, 259, 600, 4096}) {
    for (int rep = 0; rep < 4; ++rep) {
      std::string t;
      for (size_t i = 0; i < len; ++i) t.push_back(static_cast<char>(rep == 3 ? 'a' : 'a' + rng() % 27));
      EXPECT_EQ(simhash(t), reference_simhash(t)) << "length " << len << " rep " << rep;
    }
  }
  std::string bytes;
  for (int i = 0; i < 3000; ++i) bytes.push_back(static_cast<char>(rng()));
  EXPECT_EQ(simhash(bytes), reference_simhash(bytes));
}

// A small max_texts indexes the bands by their first bits only (fewer,
// longer lists); the exact band is compared in the list, so near duplicates
// are found as with the full index: the same verdicts, symbol for symbol.
TEST(Messages, CoarseBandIndexJudgesTheSame) {
  Options small;
  small.max_texts = 64;
  Checker full, coarse(small);
  std::mt19937_64 rng(3);
  const char* kTexts[] = {"Congratulations! You have won a %d gift card. Claim it now at the link below",
                          "Your parcel %d is held at the depot, pay the fee at the link to release it",
                          "URGENT: your account %d is locked, verify your details today at the link"};
  char buf[160];
  size_t near = 0;
  for (int i = 0; i < 600; ++i) {
    std::snprintf(buf, sizeof buf, kTexts[rng() % 3], static_cast<int>(100 + rng() % 900));
    const Message m = sms("+1313555" + std::to_string(1000 + rng() % 40),
                          "+1202555" + std::to_string(rng() % 5000), buf, kT + i);
    const Verdict a = full.check(m, kT + i), b = coarse.check(m, kT + i);
    EXPECT_EQ(a.to_json(), b.to_json()) << i;
    near += has(a, "TEXT_BULK") || has(a, "TEXT_CAMPAIGN");
  }
  EXPECT_GT(near, 300u);  // the edits were seen as one text each
}

TEST(Messages, ConversationsAreAllowed) {
  Checker ck;
  for (int i = 0; i < 30; ++i) {
    auto v =
        ck.check(sms("+12025550100", "+12025550199", "are we still on for " + std::to_string(i)), kT + i);
    EXPECT_EQ(v.action, "allow") << v.to_json();
    ck.check(sms("+12025550199", "+12025550100", "yes see you at " + std::to_string(i)), kT + i);
  }
  // A sender with many answered recipients is not "unanswered".
  for (int i = 0; i < 40; ++i) {
    const std::string friend_ = "+1202555" + std::to_string(1000 + i);
    ck.check(sms("+13125550100", friend_, "party on saturday at my place, bring snacks " + std::to_string(i)),
             kT);
    ck.check(sms(friend_, "+13125550100", "count me in"), kT + 1);
  }
  auto v =
      ck.check(sms("+13125550100", "+12025551999", "party on saturday at my place, bring snacks"), kT + 2);
  EXPECT_FALSE(has(v, "SENDER_UNANSWERED")) << v.to_json();
  EXPECT_NE(v.action, "block");
}

TEST(Messages, BulkSpamWithSmallEditsIsBlocked) {
  Checker ck;
  Verdict last;
  for (int i = 0; i < 60; ++i) {
    // The amount changes each time: the text survives as a near duplicate.
    last = ck.check(sms("+13135550100", "+1202556" + std::to_string(1000 + i),
                        "Congratulations! You have won a $" + std::to_string(100 * (i % 9 + 1)) +
                            " gift card. Claim it now at the link below"),
                    kT + i);
  }
  EXPECT_EQ(last.action, "block") << last.to_json();
  EXPECT_TRUE(has(last, "TEXT_BULK"));
  EXPECT_TRUE(has(last, "SENDER_FANOUT"));
  EXPECT_TRUE(has(last, "SENDER_UNANSWERED"));
  auto j = nlohmann::json::parse(last.to_json());
  EXPECT_EQ(j["action"], "block");
  EXPECT_FALSE(j["symbols"][0]["reason"].get<std::string>().empty());
  // Another sender with the same text, writing to several people: a campaign.
  Verdict other;
  for (int i = 0; i < 5; ++i)
    other = ck.check(
        sms("+13135550101", "+1202555" + std::to_string(9990 + i),
            "Congratulations! You have won a $300 gift card. Claim it now at the link below", kT + 61),
        kT + 61);
  EXPECT_TRUE(has(other, "TEXT_CAMPAIGN")) << other.to_json();
  // Outside the window the sender starts afresh.
  auto later = ck.check(sms("+13135550100", "+12025557777", "hello again", kT + 60 + 4000), kT + 60 + 4000);
  EXPECT_EQ(later.action, "allow") << later.to_json();
}

TEST(Messages, ComplaintsName7726Senders_Urls_AndNumbers) {
  Checker ck;
  Complaint c;
  c.channel = Channel::kSms;
  c.sender = "+13135550100";
  c.text = "Your parcel is held: pay the fee at https://parcel-fee.example/x or call 0800 123 4567";
  ck.complaint(c, kT);
  auto v = ck.check(sms("+13135550100", "+12025550199", "hello"), kT + 10);
  EXPECT_TRUE(has(v, "SENDER_COMPLAINED")) << v.to_json();
  auto u = ck.check(sms("+14155550100", "+12025550199", "see https://PARCEL-FEE.example/track now"), kT + 10);
  EXPECT_TRUE(has(u, "URL_REPORTED")) << u.to_json();
  EXPECT_EQ(u.action, "tag");
  auto p = ck.check(sms("+14155550101", "+12025550198", "ring 0800-123-4567 today"), kT + 10);
  EXPECT_TRUE(has(p, "PHONE_REPORTED")) << p.to_json();
  // Complaints are per channel.
  Message im = sms("+13135550100", "bob", "hello");
  im.channel = Channel::kIm;
  EXPECT_FALSE(has(ck.check(im, kT + 10), "SENDER_COMPLAINED"));
}

TEST(Messages, StateSurvivesARestart) {
  Checker ck;
  Complaint c;
  c.channel = Channel::kSms;
  c.sender = "+13135550100";
  c.text = "Your parcel is held: pay the fee at https://parcel-fee.example/x or call 0800 123 4567";
  ck.complaint(c, kT);
  const std::string spam = "Congratulations! You have won a gift card. Claim it now at the link below";
  for (int i = 0; i < 15; ++i)  // a bulk sender, 15 of the 20 recipients TEXT_BULK needs
    ck.check(sms("+13135550177", "+1202556" + std::to_string(1000 + i), spam), kT + i);
  ck.check(sms("+12025550001", "+12025550002", "lunch?"), kT + 20);
  ck.check(sms("+12025550002", "+12025550001", "yes"), kT + 21);  // a reply
  const std::string saved = ck.save_state(kT + 30);

  Checker q;  // the restarted daemon
  size_t skipped = 9;
  EXPECT_GT(q.load_state(saved + "{\"sender\": 5}\n[]\n", kT + 30, &skipped), 5u);
  EXPECT_EQ(skipped, 2u);
  EXPECT_EQ(q.senders(), ck.senders());
  EXPECT_EQ(q.texts(), ck.texts());
  EXPECT_EQ(q.save_state(kT + 30).size(), saved.size());  // the same entries (hash maps: any order)
  auto v = q.check(sms("+13135550100", "+12025550199", "hello"), kT + 40);
  EXPECT_TRUE(has(v, "SENDER_COMPLAINED")) << v.to_json();
  auto u = q.check(sms("+14155550100", "+12025550199", "see https://parcel-fee.example/track"), kT + 40);
  EXPECT_TRUE(has(u, "URL_REPORTED")) << u.to_json();
  auto p = q.check(sms("+14155550101", "+12025550198", "ring 0800-123-4567 today"), kT + 40);
  EXPECT_TRUE(has(p, "PHONE_REPORTED")) << p.to_json();
  Verdict bulk;
  for (int i = 15; i < 20; ++i)
    bulk = q.check(sms("+13135550177", "+1202556" + std::to_string(1000 + i), spam), kT + 40);
  EXPECT_TRUE(has(bulk, "TEXT_BULK")) << bulk.to_json();  // the 15 before the restart count
  Checker fresh;
  Verdict none;
  for (int i = 15; i < 20; ++i)
    none = fresh.check(sms("+13135550177", "+1202556" + std::to_string(1000 + i), spam), kT + 40);
  EXPECT_FALSE(has(none, "TEXT_BULK"));
  // Outside the window the senders' windows are gone; the reported URL stays.
  Checker late;
  late.load_state(saved, kT + 10000);
  EXPECT_FALSE(
      has(late.check(sms("+13135550100", "+12025550199", "hello"), kT + 10000), "SENDER_COMPLAINED"));
  EXPECT_TRUE(has(late.check(sms("+1415555010", "+12025550199", "https://parcel-fee.example"), kT + 10000),
                  "URL_REPORTED"));
}

TEST(Messages, SenderClassesPerChannel) {
  Checker ck;
  Complaint c;
  c.channel = Channel::kIm;
  c.sender = "spammer@chat";
  ck.complaint(c, kT);
  for (int i = 0; i < 60; ++i)
    ck.check(sms("+13135550100", "+1202556" + std::to_string(1000 + i), "hello number " + std::to_string(i)),
             kT);
  ck.check(sms("+12025550001", "+12025550002", "lunch?"), kT);
  auto classes = ck.sender_classes(kT + 10, 100);
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0].sender, "+13135550100");  // most recent first
  EXPECT_EQ(classes[0].cls, "bulk");
  EXPECT_EQ(classes[0].recipients, 60u);
  EXPECT_EQ(classes[1].channel, Channel::kIm);
  EXPECT_EQ(classes[1].sender, "spammer@chat");
  EXPECT_EQ(classes[1].cls, "complained");
  EXPECT_EQ(ck.sender_classes(kT + 10, 1).size(), 1u);
  EXPECT_TRUE(ck.sender_classes(kT + 10000, 100).empty());  // the window has passed
}

TEST(Messages, Bounded) {
  Options o;
  o.max_senders = 50;
  o.max_texts = 40;
  Checker ck(o);
  for (int i = 0; i < 500; ++i)
    ck.check(sms("+1202555" + std::to_string(1000 + i), "+12025550199",
                 "message number " + std::to_string(i) + " with its own distinct words " +
                     std::to_string(i * 7919)),
             kT + i);
  EXPECT_LE(ck.senders(), 50u);
  EXPECT_LE(ck.texts(), 40u);
}

}  // namespace
}  // namespace rampart::channels::messages

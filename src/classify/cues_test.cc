// Tests of the spam cues of short texts and their prior (cues.h): each cue
// on its own, the look-alikes that must not count, the weights, and bytes
// that are not text.
#include "classify/cues.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace rampart::classify {
namespace {

TEST(Cues, EachCueAlone) {
  EXPECT_TRUE(read_cues("see http://x.example/a").url);
  EXPECT_TRUE(read_cues("go to WWW.prize.example now").url);
  EXPECT_TRUE(read_cues("visit areyouunique.co.uk today").url);
  EXPECT_TRUE(read_cues("at smsco.com").url);
  EXPECT_FALSE(read_cues("the community is nice.commute").url);  // ".commute" is no TLD

  EXPECT_TRUE(read_cues("call 09061701461 now").phone);
  EXPECT_TRUE(read_cues("ring 0800 123 4567").phone);         // groups with spaces
  EXPECT_FALSE(read_cues("at 8 or 9, then 10 11 12").phone);  // runs of 1 and 8 characters
  EXPECT_FALSE(read_cues("ref 123456789").phone);             // 9 digits

  EXPECT_TRUE(read_cues("text WIN to 87121").short_code);
  EXPECT_FALSE(read_cues("in 2 mins").short_code);
  EXPECT_FALSE(read_cues("code abc1234").short_code);  // digits inside a word
  EXPECT_FALSE(read_cues("1234567").short_code);       // 7 digits

  EXPECT_TRUE(read_cues("only \xC2\xA3"
                        "5")
                  .money);
  EXPECT_TRUE(read_cues("win $100").money);
  EXPECT_TRUE(read_cues("\xE2\x82\xAC"
                        "20 off")
                  .money);
  EXPECT_TRUE(read_cues("150p per msg").money);
  EXPECT_TRUE(read_cues("a CASH prize").money);
  EXPECT_FALSE(read_cues("happy birthday").money);
  EXPECT_FALSE(read_cues("p").money);

  EXPECT_EQ(read_cues("ok see you").calls_to_action, 0u);
  EXPECT_EQ(read_cues("Call me").calls_to_action, 1u);
  EXPECT_EQ(read_cues("URGENT! claim your FREE offer, reply STOP").calls_to_action, 3u);  // at most 3
  EXPECT_EQ(read_cues("subscribe or Subscription").calls_to_action, 2u);
  EXPECT_EQ(read_cues("calling recall texts").calls_to_action, 0u);  // whole words only

  EXPECT_TRUE(read_cues("YOU HAVE WON A GUARANTEED PRIZE TODAY").shouting);
  EXPECT_FALSE(read_cues("I HAVE A DATE").shouting);  // 11 letters: too short to tell
  EXPECT_FALSE(read_cues("You have won a guaranteed prize today").shouting);
}

TEST(Cues, PriorWeights) {
  EXPECT_DOUBLE_EQ(cue_prior("ok see you at home"), -2.0);
  // phone 2.5, money 1.5, winner + call + claim 3.
  EXPECT_DOUBLE_EQ(cue_prior("WINNER!! Call 09061701461 to claim your \xC2\xA3"
                             "900 prize"),
                   -2.0 + 2.5 + 1.5 + 3.0);
  Cues all;
  all.url = all.phone = all.short_code = all.money = all.shouting = true;
  all.calls_to_action = 3;
  EXPECT_DOUBLE_EQ(cue_prior(all), -2.0 + 2 + 2.5 + 1.5 + 1.5 + 3 + 0.5);
  EXPECT_GT(cue_prior("Free entry in 2 a wkly comp to win FA Cup final tkts. Text FA to 87121"),
            cue_prior("Nah I don't think he goes to usf, he lives around here though"));
}

TEST(Cues, AnyBytes) {
  std::string bin;
  for (int i = 0; i < 70000; ++i) bin.push_back(static_cast<char>(i * 131));
  const Cues c = read_cues(bin);
  EXPECT_LE(c.calls_to_action, 3u);
  EXPECT_EQ(cue_prior(""), -2.0);
  // Cut multi-byte signs at the end are not read past the text.
  EXPECT_FALSE(read_cues("\xC2").money);
  EXPECT_FALSE(read_cues("x\xE2\x82").money);
  EXPECT_TRUE(read_cues(std::string(100000, '7')).phone);
  // Digits between spaces: one run, read once (this took seconds when each
  // digit started a new scan).
  std::string spaced;
  for (int i = 0; i < 200000; ++i) spaced += "1 ";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(read_cues(spaced).phone);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_FALSE(read_cues("1 2 3 4 x 5").phone);  // 7 characters, then 1
}

}  // namespace
}  // namespace rampart::classify

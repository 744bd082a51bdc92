// File: src/channels/content_test.cc
// The SMS/IM content symbol (content.h): a model trained here on a few texts
// scores a spammy text above a chatty one, with the symbol and its reason; no
// model (or one that learned too little) adds nothing; a bad file is refused.
#include "channels/content.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>

#include <filesystem>
#include <fstream>

namespace rampart::channels::messages {
namespace {

const char* kSpam[] = {
    "WINNER!! You have won a 1000 GBP prize. Call 09061701461 now to claim, T&C apply",
    "URGENT! Your mobile number has been awarded a 2000 bonus prize, call 09066362231 to claim",
    "FREE entry in a weekly competition to win cash, text WIN to 87121 now",
    "Congratulations, you won a free holiday! Claim your prize now: call 08712300220",
    "Your account is locked. Verify now at http://bank-verify.example to claim your refund",
    "You have been selected for a cash prize of 5000. Reply CLAIM to 80062 now, 150p/msg",
};
const char* kHam[] = {
    "are we still on for lunch tomorrow? I can pick you up at noon",
    "ok see you at seven, bring the keys please",
    "running late, the bus is stuck in traffic, there in ten minutes",
    "thanks for dinner last night, the kids loved it",
    "can you buy milk on your way home? we are out",
    "did you watch the game? what a finish, call me later",
};

std::unique_ptr<ContentModel> trained(ContentOptions opt = {}) {
  auto c = classify::Classifier::create(classify::Channel::kSms,
                                        classify::default_feature_options(classify::Channel::kSms),
                                        classify::default_learner_options(classify::Channel::kSms));
  EXPECT_TRUE(c);
  auto m = std::make_unique<ContentModel>(std::move(*c), opt);
  for (int round = 0; round < 10; ++round)
    for (size_t i = 0; i < std::size(kSpam); ++i) {
      m->learn(kSpam[i], true);
      m->learn(kHam[i], false);
    }
  return m;
}

const Symbol* find(const Verdict& v, const std::string& name) {
  for (const auto& s : v.symbols)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(Content, SpammyTextScoresAboveHamWithSymbolAndReason) {
  auto m = trained();
  const std::string spam = "You have WON a cash prize! Call 09061234567 now to claim your 500 GBP";
  const std::string ham = "see you at lunch tomorrow, I will bring the kids";
  EXPECT_GT(m->probability(spam), m->probability(ham));
  Verdict vs;
  vs.action = "allow";
  m->score(spam, "SMS", vs);
  const Symbol* s = find(vs, "SMS_CONTENT_SPAM");
  ASSERT_NE(s, nullptr) << vs.to_json();
  EXPECT_GT(s->score, 0);
  EXPECT_LE(s->score, 5);
  // The reason as printf's "%.3f" writes both numbers.
  char want[96];
  std::snprintf(want, sizeof want, "content P(spam) %.3f, threshold %.3f", m->probability(spam),
                static_cast<double>(m->model().threshold()));
  EXPECT_EQ(s->reason, want);
  EXPECT_DOUBLE_EQ(vs.score, s->score);
  Verdict vh;
  m->score(ham, "IM", vh);
  const Symbol* h = find(vh, "IM_CONTENT_HAM");
  ASSERT_NE(h, nullptr) << vh.to_json();
  EXPECT_LT(h->score, 0);
  EXPECT_GE(h->score, -1);
  EXPECT_EQ(vh.action, "allow");
}

TEST(Content, TheSymbolJoinsTheOtherScoresInTheAction) {
  auto m = trained(ContentOptions{.spam = 100, .ham = 1, .min_learned = 1});
  Verdict v;
  v.score = 3;
  v.action = "allow";
  v.symbols.push_back({"SENDER_FANOUT", 3, "x"});
  m->score("WINNER! You have won a prize, call 09061701461 now to claim", "SMS", v);
  ASSERT_NE(find(v, "SMS_CONTENT_SPAM"), nullptr) << v.to_json();
  EXPECT_EQ(v.action, std::string(action_for(v.score)));
  EXPECT_NE(v.action, "allow") << v.to_json();
}

TEST(Content, ReportsMoveTheScoreOfTheSameText) {
  auto m = trained();
  const std::string text = "meet me at the station with the tickets, we leave at nine";
  const double before = m->probability(text);
  for (int i = 0; i < 5; ++i) m->learn(text, true);
  EXPECT_GT(m->probability(text), before);
  EXPECT_EQ(m->learned_since_save(), 10u * 2 * std::size(kSpam) + 5);
}

class ContentFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/content_test." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ContentFiles, MissingModelIsFreshAndSilentUntilItLearns) {
  bool created = false;
  auto m = ContentModel::open(dir_ + "/sms.model", classify::Channel::kSms, {}, &created);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(created);
  Verdict v;
  v.action = "allow";
  (*m)->score("WINNER!! call 09061701461 to claim your prize", "SMS", v);
  EXPECT_TRUE(v.symbols.empty()) << v.to_json();
  EXPECT_EQ(v.action, "allow");
  EXPECT_LT((*m)->probability("x"), 0);
}

TEST_F(ContentFiles, SavedSnapshotReopensAndBadFilesAreRefused) {
  auto m = trained();
  const double p = m->probability(kSpam[0]);
  auto copy = m->snapshot();
  EXPECT_EQ(m->learned_since_save(), 0u);
  ASSERT_TRUE(copy->save(dir_ + "/sms.model"));
  bool created = true;
  auto back = ContentModel::open(dir_ + "/sms.model", classify::Channel::kSms, {}, &created);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(created);
  EXPECT_NEAR((*back)->probability(kSpam[0]), p, 1e-6);

  std::ofstream(dir_ + "/bad.model") << "RMPCLSMD not a model";
  auto bad = ContentModel::open(dir_ + "/bad.model", classify::Channel::kSms, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("refused"), std::string::npos) << bad.error().message;

  auto mail = classify::Model::create(classify::Channel::kEmail,
                                      classify::default_feature_options(classify::Channel::kEmail),
                                      classify::default_learner_options(classify::Channel::kEmail));
  ASSERT_TRUE(mail);
  ASSERT_TRUE(mail->save(dir_ + "/mail.model"));
  auto wrong = ContentModel::open(dir_ + "/mail.model", classify::Channel::kSms, {});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("mail model"), std::string::npos) << wrong.error().message;
}

}  // namespace
}  // namespace rampart::channels::messages

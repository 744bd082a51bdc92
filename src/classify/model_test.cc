// Tests of the online learners and the model file (model.h, classifier.h):
// convergence on a separable synthetic set, save/load round trip, refusal
// of corrupt, truncated and other-version files with the old model kept.
#include "classify/model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "classify/classifier.h"
#include "classify/corpus.h"

namespace rampart::classify {
namespace {

// Spam draws 30 features from [0, 500), ham from [500, 1000), both add 30
// from a shared noise range [1000, 5000).
std::vector<uint32_t> synthetic(std::mt19937& rng, bool spam) {
  std::vector<uint32_t> f;
  std::uniform_int_distribution<uint32_t> own(0, 499), noise(1000, 4999);
  for (int i = 0; i < 30; ++i) f.push_back(own(rng) + (spam ? 0 : 500));
  for (int i = 0; i < 30; ++i) f.push_back(noise(rng));
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return f;
}

FeatureOptions small() {
  FeatureOptions o;
  o.bits = 16;
  return o;
}

void converges(LearnerOptions lo) {
  auto m = Model::create(Channel::kEmail, small(), lo);
  ASSERT_TRUE(m);
  std::mt19937 rng(5);
  for (int i = 0; i < 400; ++i) {
    const bool spam = i % 3 == 0;
    m->learn(synthetic(rng, spam), spam);
  }
  int right = 0;
  for (int i = 0; i < 300; ++i) {
    const bool spam = i % 2 == 0;
    const double s = m->score(synthetic(rng, spam));
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 1.0);
    right += m->is_spam(s) == spam;
  }
  EXPECT_EQ(right, 300);
  EXPECT_EQ(m->hams() + m->spams(), 400u);
}

TEST(Model, LogisticConverges) { converges(LearnerOptions{}); }
TEST(Model, AdagradConverges) {
  LearnerOptions lo;
  lo.adagrad = true;
  lo.rate = 0.05f;
  lo.thick = 0.05f;
  converges(lo);
}
TEST(Model, PassiveAggressiveConverges) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kPassiveAggressive;
  converges(lo);
}
TEST(Model, NormalizedRepeatedConverges) {
  LearnerOptions lo;
  lo.normalize = true;
  lo.rate = 1.0f;
  lo.reps = 3;
  converges(lo);
}

TEST(Model, ParamsParse) {
  FeatureOptions f;
  LearnerOptions l;
  ASSERT_TRUE(parse_params("algo=pa,c=0.5,bits=18,ada=1,reps=2,target=0.2,threshold=0.7", f, l));
  EXPECT_EQ(l.algorithm, Algorithm::kPassiveAggressive);
  EXPECT_FLOAT_EQ(l.c, 0.5f);
  EXPECT_EQ(f.bits, 18u);
  EXPECT_TRUE(l.adagrad);
  EXPECT_EQ(l.reps, 2u);
  EXPECT_FLOAT_EQ(l.threshold, 0.7f);
  EXPECT_FALSE(parse_params("algo=svm", f, l));
  EXPECT_FALSE(parse_params("rate=-1", f, l));
  EXPECT_FALSE(parse_params("rate=nan", f, l));
  EXPECT_FALSE(parse_params("reps=0", f, l));
  EXPECT_FALSE(parse_params("colour=blue", f, l));
}

TEST(Model, Calibrate) {
  auto m = Model::create(Channel::kSms, small(), LearnerOptions{});
  ASSERT_TRUE(m);
  m->calibrate(0.01);  // no ham seen: unchanged
  EXPECT_FLOAT_EQ(m->threshold(), 0.5f);
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) m->learn(synthetic(rng, i % 2 == 0), i % 2 == 0);
  m->calibrate(0.0);
  // Every ham seen scores below the threshold now.
  EXPECT_GT(m->threshold(), 0.0f);
  EXPECT_LE(m->threshold(), 1.0f);
}

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rampart-model-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "m.model").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Model trained(LearnerOptions lo = {}) {
    auto m = Model::create(Channel::kEmail, small(), lo);
    std::mt19937 rng(9);
    for (int i = 0; i < 100; ++i) m->learn(synthetic(rng, i % 2 == 0), i % 2 == 0);
    return std::move(*m);
  }
  std::string bytes() {
    auto b = read_file_prefix(path_, 64u << 20);
    return b ? *b : std::string();
  }
  void write(const std::string& b) { std::ofstream(path_, std::ios::binary | std::ios::trunc) << b; }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ModelFile, RoundTrip) {
  for (bool ada : {false, true}) {
    LearnerOptions lo;
    lo.adagrad = ada;
    Model m = trained(lo);
    ASSERT_TRUE(m.save(path_));
    auto back = Model::load(path_);
    ASSERT_TRUE(back) << back.error().message;
    std::mt19937 rng(11);
    for (int i = 0; i < 20; ++i) {
      auto f = synthetic(rng, i % 2 == 0);
      EXPECT_EQ(back->margin(f), m.margin(f));
    }
    EXPECT_EQ(back->hams(), m.hams());
    EXPECT_EQ(back->spams(), m.spams());
    EXPECT_EQ(back->learner_options().adagrad, ada);
    EXPECT_EQ(to_string(back->feature_options()), to_string(m.feature_options()));
    EXPECT_EQ(back->serialize(), m.serialize());
    // No temporary file left behind.
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file();
    EXPECT_EQ(files, 1u);
  }
}

TEST_F(ModelFile, CorruptOtherVersionTruncatedRefused) {
  Model m = trained();
  ASSERT_TRUE(m.save(path_));
  const std::string good = bytes();

  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  write(flipped);
  auto r = Model::load(path_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("checksum"), std::string::npos) << r.error().message;

  std::string v2 = good;
  const uint32_t two = 2;
  std::memcpy(v2.data() + 8, &two, 4);
  write(v2);
  r = Model::load(path_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("version 2"), std::string::npos) << r.error().message;

  write(good.substr(0, good.size() - 100));
  EXPECT_FALSE(Model::load(path_));
  write("RMPCLSM");
  EXPECT_FALSE(Model::load(path_));
  write("not a model at all, just some text");
  r = Model::load(path_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("magic"), std::string::npos);
  write("");
  EXPECT_FALSE(Model::load(path_));
  EXPECT_FALSE(Model::load((dir_ / "missing").string()));
  EXPECT_EQ(Model::load((dir_ / "missing").string()).error().code, Errc::kIo);
}

TEST_F(ModelFile, ReloadKeepsOldModelOnBadFile) {
  Model m = trained();
  ASSERT_TRUE(m.save(path_));
  auto c = Classifier::open(path_);
  ASSERT_TRUE(c);
  const std::string msg = "Subject: hello\n\nsee you at lunch\n";
  const double before = c->classify(msg).score;
  std::string b = bytes();
  b[100] ^= 1;
  write(b);
  auto st = c->reload(path_);
  EXPECT_FALSE(st);
  EXPECT_EQ(c->classify(msg).score, before);

  ProviderModels models;
  write(b);
  EXPECT_FALSE(models.open("isp1", path_));
  EXPECT_EQ(models.find("isp1"), nullptr);
  ASSERT_TRUE(m.save(path_));
  ASSERT_TRUE(models.open("isp1", path_));
  ASSERT_NE(models.find("isp1"), nullptr);
  write(b);
  EXPECT_FALSE(models.open("isp1", path_));
  ASSERT_NE(models.find("isp1"), nullptr);  // still the good one
  EXPECT_EQ(models.find("isp1")->classify(msg).score, before);
}

TEST(Classifier, LearnsMessagesEndToEnd) {
  auto c = Classifier::create(Channel::kSms, default_feature_options(Channel::kSms),
                              default_learner_options(Channel::kSms));
  ASSERT_TRUE(c);
  for (int i = 0; i < 30; ++i) {
    c->learn("WINNER! Claim your FREE prize now, call 09061701461 txt WIN to 87121", true);
    c->learn("ok see you at the station at 6, bring the umbrella", false);
  }
  EXPECT_TRUE(c->classify("FREE prize WINNER call 09061701461 now").spam);
  EXPECT_FALSE(c->classify("see you at the station, ok?").spam);
}

}  // namespace
}  // namespace rampart::classify

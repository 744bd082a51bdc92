// Tests of the online learners and the model file (model.h, classifier.h):
// convergence on a separable synthetic set, save/load round trip, refusal
// of corrupt, truncated and other-version files with the old model kept.
#include "classify/model.h"

#include "classify/cues.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "classify/classifier.h"
#include "classify/corpus.h"
#include "classify/hash.h"

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
TEST(Model, EnsembleConverges) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  lo.rate = 16.0f;
  converges(lo);
}

// The ensemble's margin is the average of its halves' log-odds: after
// learning, each half alone (recomputed from the same examples with the
// single learners' update rules) would rank a spam above a ham, and so
// does the whole; options it does not take are refused.
TEST(Model, EnsembleIsBothHalvesAndRefusesOtherOptions) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  for (auto bad : {+[](LearnerOptions& o) { o.adagrad = true; },
                   +[](LearnerOptions& o) { o.normalize = true; }, +[](LearnerOptions& o) { o.reps = 2; }}) {
    LearnerOptions b = lo;
    bad(b);
    auto m = Model::create(Channel::kSms, small(), b);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, Errc::kInvalidArgument);
  }
  lo.rate = 16.0f;
  auto m = Model::create(Channel::kSms, small(), lo);
  ASSERT_TRUE(m);
  const std::vector<uint32_t> spam = {1, 2, 3, 4}, ham = {5, 6, 7, 8};
  EXPECT_EQ(m->margin(spam), 0.0);
  EXPECT_DOUBLE_EQ(m->score(spam), 0.5);  // log-odds 0
  m->learn(spam, true);
  // PA half: loss 1, step min(C = 0.1, 1/4) = 0.1 per weight, margin 0.4.
  // LR half (rate 16, x = 1/2): p = 0.5, step 16 * 0.5 * 0.5 = 4 per
  // weight, margin 4 * 4 * 0.5 = 8. Average of 4 * 0.4 and 8: 4.8.
  EXPECT_NEAR(m->margin(spam), 4.8, 1e-5);
  EXPECT_NEAR(m->score(spam), 1.0 / (1.0 + std::exp(-4.8)), 1e-6);
  EXPECT_EQ(m->margin(ham), 0.0);  // disjoint features untouched
  m->learn(ham, false);
  EXPECT_NEAR(m->margin(ham), -4.8, 1e-5);
  EXPECT_TRUE(m->is_spam(m->score(spam)));
  EXPECT_FALSE(m->is_spam(m->score(ham)));
}

// With ppm > 0 the character models add ppm times their log ratio per byte;
// margin_then_learn is margin() then learn_scored() in one step, to the bit.
TEST(Model, EnsembleWithCharacterModels) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  lo.rate = 16.0f;
  lo.ppm = 2.0f;
  lo.ppm_bits = 12;
  auto a = Model::create(Channel::kSms, small(), lo), b = Model::create(Channel::kSms, small(), lo);
  ASSERT_TRUE(a && b);
  const std::vector<uint32_t> f = {1, 2, 3};
  EXPECT_EQ(a->margin(f, "WIN"), 0.0);
  const double m0 = b->margin_then_learn(f, true, "WIN");
  a->learn_scored(f, true, a->margin(f, "WIN"), "WIN");
  EXPECT_EQ(m0, 0.0);
  EXPECT_EQ(a->serialize(), b->serialize());
  // Order 3 on "WIN" learned as spam: each byte's spam estimate is above
  // 1/256, ham's is 1/256, so the character part is positive.
  EXPECT_GT(a->margin(f, "WIN"), a->margin(f));
  EXPECT_EQ(a->margin(f, ""), a->margin(f));
  const double m1 = b->margin_then_learn(f, false, "ok lor");
  EXPECT_EQ(m1, a->margin(f, "ok lor"));
  a->learn_scored(f, false, m1, "ok lor");
  EXPECT_EQ(a->serialize(), b->serialize());

  LearnerOptions bad = lo;
  bad.algorithm = Algorithm::kPassiveAggressive;
  EXPECT_FALSE(Model::create(Channel::kSms, small(), bad));  // ppm needs the ensemble
  bad = lo;
  bad.ppm_bits = 9;
  EXPECT_FALSE(Model::create(Channel::kSms, small(), bad));
  bad = lo;
  bad.ppm_order = 7;
  EXPECT_FALSE(Model::create(Channel::kSms, small(), bad));
  FeatureOptions fo;
  LearnerOptions lp;
  ASSERT_TRUE(parse_params("algo=ens,ppm=1.5,ppm_order=2,ppm_bits=14", fo, lp));
  EXPECT_FLOAT_EQ(lp.ppm, 1.5f);
  EXPECT_EQ(lp.ppm_order, 2u);
  EXPECT_EQ(lp.ppm_bits, 14u);
  EXPECT_FALSE(parse_params("ppm=-1", fo, lp));
  EXPECT_FALSE(parse_params("ppm_order=7", fo, lp));
  EXPECT_FALSE(parse_params("ppm_bits=27", fo, lp));
}

// ppm_d=D: the character models with absolute discounting instead of
// Witten-Bell. It changes their part of the margin (not the linear halves),
// survives the file (learner flag 16 and 4 bytes; a Witten-Bell file is laid
// out as before), and is refused out of range or without character models.
TEST(Model, CharacterModelDiscount) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  lo.rate = 16.0f;
  lo.ppm = 2.0f;
  lo.ppm_bits = 12;
  lo.prior = true;
  LearnerOptions ld = lo;
  ld.ppm_d = 0.5f;
  auto wb = Model::create(Channel::kSms, small(), lo), ad = Model::create(Channel::kSms, small(), ld);
  ASSERT_TRUE(wb && ad);
  const std::vector<uint32_t> f = {1, 2, 3}, g = {4, 5};
  for (Model* m : {&*wb, &*ad}) {
    m->margin_then_learn(f, true, "WINNER call 09061701461 now");
    m->margin_then_learn(g, false, "see you at home later");
  }
  const std::string text = "call me at home";
  const auto pw = wb->members(f, text), pd = ad->members(f, text);
  EXPECT_EQ(pw.pa, pd.pa);
  EXPECT_EQ(pw.lr, pd.lr);
  EXPECT_EQ(pw.prior, pd.prior);
  EXPECT_NE(pw.chars, pd.chars);
  EXPECT_NEAR(pd.total(), ad->margin(f, text), 1e-9);

  const std::string plain_file = wb->serialize(), d_file = ad->serialize();
  EXPECT_EQ(d_file.size(), plain_file.size() + 4);
  uint32_t lflags = 0;
  std::memcpy(&lflags, d_file.data() + 36, 4);
  EXPECT_EQ(lflags, 4u | 16u);
  std::memcpy(&lflags, plain_file.data() + 36, 4);
  EXPECT_EQ(lflags, 4u);
  auto back = Model::deserialize(d_file);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->learner_options().ppm_d, 0.5f);
  EXPECT_EQ(back->margin(f, text), ad->margin(f, text));
  EXPECT_EQ(back->serialize(), d_file);
  // With the prior's weight too: both trail the character block, weight first.
  LearnerOptions both = ld;
  both.prior_weight = 2.0f;
  auto c = Model::create(Channel::kSms, small(), both);
  ASSERT_TRUE(c);
  c->margin_then_learn(f, true, "WINNER");
  back = Model::deserialize(c->serialize());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->learner_options().prior_weight, 2.0f);
  EXPECT_EQ(back->learner_options().ppm_d, 0.5f);
  EXPECT_EQ(back->margin(f, text), c->margin(f, text));

  for (float d : {-0.1f, 1.0f, 2.0f}) {
    LearnerOptions bad = ld;
    bad.ppm_d = d;
    EXPECT_FALSE(Model::create(Channel::kSms, small(), bad)) << d;
  }
  LearnerOptions no_chars = ld;
  no_chars.ppm = 0;
  EXPECT_FALSE(Model::create(Channel::kSms, small(), no_chars));
  FeatureOptions fo;
  LearnerOptions lp;
  ASSERT_TRUE(parse_params("ppm_d=0.3", fo, lp));
  EXPECT_FLOAT_EQ(lp.ppm_d, 0.3f);
  EXPECT_FALSE(parse_params("ppm_d=1", fo, lp));
  EXPECT_FALSE(parse_params("ppm_d=-0.5", fo, lp));
  EXPECT_FALSE(parse_params("ppm_d=x", fo, lp));
  EXPECT_EQ(default_learner_options(Channel::kSms).ppm_d, 0.0f);

  // In the file: a discount out of range, or flag 16 on a model without
  // character models, is refused with its cause.
  auto resum = [](std::string b) {
    b.resize(b.size() - 8);
    const uint64_t sum = hash_bytes(b, 0x636b73756d, 0x72616d70617274ull);
    b.append(reinterpret_cast<const char*>(&sum), 8);
    return b;
  };
  for (float d : {0.0f, 1.0f, -1.0f}) {
    std::string b = d_file;
    std::memcpy(b.data() + b.size() - 12, &d, 4);
    auto r = Model::deserialize(resum(b));
    ASSERT_FALSE(r) << d;
    EXPECT_NE(r.error().message.find("discount out of range"), std::string::npos) << r.error().message;
  }
  LearnerOptions lin = lo;
  lin.ppm = 0;
  auto l = Model::create(Channel::kSms, small(), lin);
  ASSERT_TRUE(l);
  std::string b = l->serialize();
  const uint32_t flags = 4u | 16u;
  std::memcpy(b.data() + 36, &flags, 4);
  const float half = 0.5f;
  b.insert(b.size() - 8, reinterpret_cast<const char*>(&half), 4);
  auto r = Model::deserialize(resum(b));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("discount without character models"), std::string::npos)
      << r.error().message;
}

// With prior the cue prior (cues.h) joins the ensemble's log-odds at full
// weight on a fresh model and fades as 100 / (100 + learned); scoring and
// margin_then_learn agree; the flag survives the file; other learners
// refuse it.
TEST(Model, EnsembleCuePriorFades) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  LearnerOptions with = lo;
  with.prior = true;
  auto a = Model::create(Channel::kSms, small(), lo), b = Model::create(Channel::kSms, small(), with);
  ASSERT_TRUE(a && b);
  const std::vector<uint32_t> f = {1, 2, 3};
  const std::string spam =
      "URGENT! Call 09061701461 to claim your \xC2\xA3"
      "900 prize";
  const std::string ham = "ok lor see you at home";
  EXPECT_DOUBLE_EQ(b->margin(f, spam) - a->margin(f, spam), cue_prior(spam));
  EXPECT_DOUBLE_EQ(b->margin(f, ham) - a->margin(f, ham), -2.0);
  EXPECT_GT(b->score(f, spam), 0.99);
  EXPECT_LT(b->score(f, ham), 0.2);
  // The same 100 messages learned by both: the prior is half its weight.
  std::mt19937 rng(5);
  for (int i = 0; i < 100; ++i) {
    auto x = synthetic(rng, i % 2 == 0);
    const double ma = a->margin_then_learn(x, i % 2 == 0, "");
    const double mb = b->margin_then_learn(x, i % 2 == 0, "");
    EXPECT_DOUBLE_EQ(mb - ma, cue_prior(std::string_view()) * 100.0 / (100.0 + i));
  }
  EXPECT_NEAR(b->margin(f, spam) - a->margin(f, spam), cue_prior(spam) / 2, 1e-9);
  const double before = b->margin(f, spam);
  EXPECT_EQ(before, b->margin_then_learn(f, true, spam));

  LearnerOptions bad = with;
  bad.algorithm = Algorithm::kPassiveAggressive;
  EXPECT_FALSE(Model::create(Channel::kSms, small(), bad));
  FeatureOptions fo;
  LearnerOptions lp;
  ASSERT_TRUE(parse_params("algo=ens,prior=1", fo, lp));
  EXPECT_TRUE(lp.prior);
  EXPECT_EQ(lp.prior_weight, 1.0f);
  ASSERT_TRUE(parse_params("prior=0", fo, lp));
  EXPECT_FALSE(lp.prior);
  ASSERT_TRUE(parse_params("prior=2.5", fo, lp));
  EXPECT_TRUE(lp.prior);
  EXPECT_EQ(lp.prior_weight, 2.5f);
  EXPECT_FALSE(parse_params("prior=-1", fo, lp));
  EXPECT_FALSE(parse_params("prior=101", fo, lp));
  EXPECT_FALSE(parse_params("prior=x", fo, lp));
  EXPECT_EQ(default_learner_options(Channel::kSms).prior_weight, 1.0f);
  EXPECT_TRUE(default_learner_options(Channel::kSms).prior);
  EXPECT_FALSE(default_learner_options(Channel::kEmail).prior);

  auto back = Model::deserialize(b->serialize());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->learner_options().prior);
  EXPECT_EQ(back->margin(f, spam), b->margin(f, spam));
  back = Model::deserialize(a->serialize());
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->learner_options().prior);

  // prior=W: the prior's part scales with W; W survives the file (4 bytes
  // and learner flag 8; a weight-1 file is laid out as before, so older
  // builds load it); W out of range is refused by create().
  LearnerOptions heavy = with;
  heavy.prior_weight = 2.0f;
  auto c = Model::create(Channel::kSms, small(), heavy), d = Model::create(Channel::kSms, small(), with);
  ASSERT_TRUE(c && d);
  EXPECT_NEAR(c->margin(f, spam) - d->margin(f, spam), cue_prior(spam), 1e-12);  // fresh: 2x - 1x
  EXPECT_NEAR(c->members(f, ham).prior, -4.0, 1e-12);
  const std::string heavy_file = c->serialize(), plain_file = d->serialize();
  EXPECT_EQ(heavy_file.size(), plain_file.size() + 4);
  uint32_t lflags = 0;
  std::memcpy(&lflags, heavy_file.data() + 36, 4);
  EXPECT_EQ(lflags, 4u | 8u);
  std::memcpy(&lflags, plain_file.data() + 36, 4);
  EXPECT_EQ(lflags, 4u);
  back = Model::deserialize(heavy_file);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->learner_options().prior_weight, 2.0f);
  EXPECT_EQ(back->margin(f, spam), c->margin(f, spam));
  EXPECT_EQ(back->serialize(), heavy_file);
  for (float w : {0.0f, -1.0f, 101.0f}) {
    heavy.prior_weight = w;
    EXPECT_FALSE(Model::create(Channel::kSms, small(), heavy)) << w;
  }
}

// members() splits margin() into its parts: for the full ensemble (both
// halves, the character models, the prior) they add up to the margin after
// learning in both directions; each part moves with what it models; a
// single learner's margin is all in `pa`.
TEST(Model, MembersAddUpToTheMargin) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  lo.rate = 16.0f;
  lo.ppm = 2.0f;
  lo.ppm_bits = 12;
  lo.prior = true;
  auto m = Model::create(Channel::kSms, small(), lo);
  ASSERT_TRUE(m);
  const std::string spam = "URGENT! Call 09061701461 to claim your prize";
  const std::string ham = "ok lor see you at home";
  std::mt19937 rng(9);
  for (int i = 0; i < 60; ++i) {
    const bool is_spam = i % 3 == 0;
    auto x = synthetic(rng, is_spam);
    const std::string& text = is_spam ? spam : ham;
    const Model::Members parts = m->members(x, text);
    const double margin = m->margin(x, text);
    EXPECT_NEAR(parts.total(), margin, 1e-9 * (1 + std::fabs(margin))) << i;
    EXPECT_EQ(m->margin_then_learn(x, is_spam, text), margin);
  }
  auto s = synthetic(rng, true), h = synthetic(rng, false);
  const Model::Members ps = m->members(s, spam), ph = m->members(h, ham);
  EXPECT_GT(ps.pa, 0);
  EXPECT_LT(ph.pa, 0);
  EXPECT_GT(ps.lr, 0);
  EXPECT_LT(ph.lr, 0);
  EXPECT_GT(ps.chars, 0);
  EXPECT_LT(ph.chars, 0);
  EXPECT_NEAR(ps.prior, cue_prior(spam) * 100.0 / 160.0, 1e-12);
  EXPECT_NEAR(ph.prior, -2.0 * 100.0 / 160.0, 1e-12);

  LearnerOptions single;
  single.algorithm = Algorithm::kPassiveAggressive;
  auto pa = Model::create(Channel::kSms, small(), single);
  ASSERT_TRUE(pa);
  pa->learn(s, true);
  const Model::Members one = pa->members(s, spam);
  EXPECT_GT(one.pa, 0);
  EXPECT_EQ(one.pa, pa->margin(s, spam));
  EXPECT_EQ(one.lr + one.chars + one.prior, 0.0);
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
  ASSERT_TRUE(parse_params("algo=ens,shapes=1,stats=0", f, l));
  EXPECT_EQ(l.algorithm, Algorithm::kEnsemble);
  EXPECT_EQ(algorithm_name(l.algorithm), "ens");
  EXPECT_TRUE(f.shapes);
  EXPECT_FALSE(f.stats);
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
    for (int i = 0; i < 100; ++i)
      m->learn(synthetic(rng, i % 2 == 0), i % 2 == 0, i % 2 ? "ok lor" : "WIN cash");
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
  for (int variant : {0, 1, 2, 3}) {
    const bool ada = variant == 1;
    LearnerOptions lo;
    lo.adagrad = ada;
    if (variant >= 2) lo.algorithm = Algorithm::kEnsemble;
    if (variant == 3) {
      lo.ppm = 2.0f;
      lo.ppm_bits = 12;
    }
    Model m = trained(lo);
    ASSERT_TRUE(m.save(path_));
    auto back = Model::load(path_);
    ASSERT_TRUE(back) << back.error().message;
    std::mt19937 rng(11);
    for (int i = 0; i < 20; ++i) {
      auto f = synthetic(rng, i % 2 == 0);
      EXPECT_EQ(back->margin(f), m.margin(f));
      EXPECT_EQ(back->margin(f, "WIN now lor"), m.margin(f, "WIN now lor"));
    }
    if (variant == 3) {
      EXPECT_NE(m.margin({}, "WIN now"), m.margin({}));
    }
    EXPECT_EQ(back->learner_options().ppm, lo.ppm);
    EXPECT_EQ(back->learner_options().ppm_bits, lo.ppm_bits);
    EXPECT_EQ(back->hams(), m.hams());
    EXPECT_EQ(back->spams(), m.spams());
    EXPECT_EQ(back->learner_options().adagrad, ada);
    EXPECT_EQ(back->learner_options().algorithm, lo.algorithm);
    EXPECT_EQ(to_string(back->feature_options()), to_string(m.feature_options()));
    EXPECT_EQ(back->serialize(), m.serialize());
    // No temporary file left behind.
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file();
    EXPECT_EQ(files, 1u);
  }
}

// Feature flags this build does not know, and an ensemble file that claims
// AdaGrad accumulators, are refused (checksums recomputed so that the
// field itself is what gets checked).
TEST_F(ModelFile, UnknownFlagsAndBadEnsembleRefused) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  Model m = trained(lo);
  const std::string good = m.serialize();
  auto patch = [&](size_t off, uint32_t v) {
    std::string b = good;
    std::memcpy(b.data() + off, &v, 4);
    b.resize(b.size() - 8);
    const uint64_t sum = hash_bytes(b, 0x636b73756d, 0x72616d70617274ull);
    b.append(reinterpret_cast<const char*>(&sum), 8);
    return b;
  };
  ASSERT_TRUE(Model::deserialize(patch(8, 1)));  // the same bytes, re-summed: still good
  // magic 8, version 4, channel 4, algo 4, rate/thick/c/threshold 16, lflags at 36.
  auto r = Model::deserialize(patch(36, 2));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ensemble"), std::string::npos) << r.error().message;
  // ... reps 4, target 4, hams 8, spams 8, bits 4, seed 8, then ten u32: flags is the tenth.
  const size_t flags = 40 + 4 + 4 + 8 + 8 + 4 + 8 + 9 * 4;
  ASSERT_TRUE(Model::deserialize(patch(flags, 127)));
  r = Model::deserialize(patch(flags, 128));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("flags"), std::string::npos) << r.error().message;
  // lflags 4 (the cue prior) and 8 (its weight, after the character block)
  // are known, 16 (the character models' discount) too, 32 is not; a weight
  // without the prior, or the flag without the weight's bytes, is refused;
  // the prior on a non-ensemble is refused.
  ASSERT_TRUE(Model::deserialize(patch(36, 4)));
  r = Model::deserialize(patch(36, 32));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("learner flags"), std::string::npos) << r.error().message;
  r = Model::deserialize(patch(36, 8));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("prior weight without"), std::string::npos) << r.error().message;
  r = Model::deserialize(patch(36, 12));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("trailing"), std::string::npos) << r.error().message;
  {
    std::string plain = trained(LearnerOptions{}).serialize();  // logistic
    const uint32_t prior_flag = 4;
    std::memcpy(plain.data() + 36, &prior_flag, 4);
    plain.resize(plain.size() - 8);
    const uint64_t sum = hash_bytes(plain, 0x636b73756d, 0x72616d70617274ull);
    plain.append(reinterpret_cast<const char*>(&sum), 8);
    r = Model::deserialize(plain);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cue prior"), std::string::npos) << r.error().message;
  }
  r = Model::deserialize(patch(16, 3));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("algorithm 3"), std::string::npos) << r.error().message;
}

// The ensemble's character-model block (weight, order, bits, table):
// out-of-range values and a weight without a table are refused.
TEST_F(ModelFile, BadCharacterModelBlockRefused) {
  LearnerOptions lo;
  lo.algorithm = Algorithm::kEnsemble;
  lo.ppm = 2.0f;
  lo.ppm_bits = 12;
  const std::string good = trained(lo).serialize();
  const size_t block = good.size() - 8 - (size_t{2} << 12) * 4 - 12;
  auto patch = [&](size_t off, uint32_t v) {
    std::string b = good;
    std::memcpy(b.data() + off, &v, 4);
    b.resize(b.size() - 8);
    const uint64_t sum = hash_bytes(b, 0x636b73756d, 0x72616d70617274ull);
    b.append(reinterpret_cast<const char*>(&sum), 8);
    return b;
  };
  ASSERT_TRUE(Model::deserialize(patch(block + 8, 12)));
  EXPECT_FALSE(Model::deserialize(patch(block, 0)));       // weight 0 with a table
  EXPECT_FALSE(Model::deserialize(patch(block + 4, 7)));   // order 7
  EXPECT_FALSE(Model::deserialize(patch(block + 8, 9)));   // bits 9
  EXPECT_FALSE(Model::deserialize(patch(block + 8, 13)));  // the table is for 12
  const float nan = std::nanf("");
  uint32_t nan_bits = 0;
  std::memcpy(&nan_bits, &nan, 4);
  EXPECT_FALSE(Model::deserialize(patch(block, nan_bits)));
  EXPECT_FALSE(Model::deserialize(good.substr(0, good.size() - 20)));
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

// The SMS default (with the character models) on an 8 MB message: only the
// first text_prefix bytes reach the character models, so a verdict and a
// learning step stay bounded; a byte salad scores in [0, 1].
TEST(Classifier, HugeSmsIsBounded) {
  auto c = Classifier::create(Channel::kSms, default_feature_options(Channel::kSms),
                              default_learner_options(Channel::kSms));
  ASSERT_TRUE(c);
  ASSERT_GT(c->model().learner_options().ppm, 0.0f);
  std::mt19937 rng(1);
  std::string huge(8u << 20, '\0');
  for (char& ch : huge) ch = static_cast<char>(rng());
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    const double s = c->score_and_learn(huge, i % 2 == 0);
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 1.0);
    EXPECT_TRUE(std::isfinite(c->classify(huge).score));
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
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

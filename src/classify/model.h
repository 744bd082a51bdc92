// File: src/classify/model.h
// The online linear model over hashed features (features.h): a score in
// [0, 1], learning from one message at a time (immediate feedback), saved
// and loaded atomically in a versioned, checksummed file.
//
//   auto m = classify::Model::create(classify::Channel::kEmail, fopt, lopt);   // Result<Model>
//   double p = m->score(features);              // P(spam), in [0, 1]
//   bool spam = m->is_spam(p);                  // p >= threshold()
//   m->learn(features, /*spam=*/true);          // a user's report
//   m->save("/var/lib/rampart/provider.model"); // temp file, fsync, rename
//   auto m2 = classify::Model::load(path);      // refuses corrupt / other-version files
//
// Learners (LearnerOptions::algorithm):
// - kLogistic: logistic regression by stochastic gradient descent on binary
//   features, w += rate * (y - p) (the TREC 2007 immediate-feedback winner's
//   method); with `thick` > 0 a message already scored within `thick` of its
//   label is not learned (cheaper, slightly less accurate).
// - kPassiveAggressive: PA-I, a margin learner close to a relaxed online SVM:
//   w += y * min(C, (1 - y m) / |x|^2) * x when the margin y m is below 1.
// - kEnsemble: both on the same features, each with its own weights, their
//   log-odds averaged: (4 m_pa + m_lr) / 2, where the passive-aggressive
//   learner (C = c) sees binary features and the logistic one (rate = rate)
//   features worth 1/sqrt(count). With ppm > 0 a third member joins: the
//   character-level class models of ppm.h over the text, ppm times their
//   log ratio per byte added to the log-odds. With prior, a fourth: the
//   fixed spam cues of cues.h, weighted 100 / (100 + messages learned), for
//   the cold start. The SMS/IM default (README.md).
// All keep a calibration histogram of their scores before learning each
// message (prequential): calibrate(max_fpr) sets the threshold so that at
// most that fraction of ham seen scored at or above it.
//
// File (little-endian): magic "RMPCLSMD", u32 version (kModelVersion), the
// options, counts and calibration histogram, 2^bits float weights, the
// ensemble's character block, the cue prior's f32 weight when it is not 1
// (learner flag 8), and a 64-bit checksum of every byte before it. load() refuses with a clear error
// (Errc::kParse) a file that is short, has another magic, another version,
// a bad checksum, inconsistent options or non-finite weights; the caller
// keeps its old model. save() writes "<path>.tmp.<pid>", fsyncs, renames
// over <path> and fsyncs the directory, so a reader sees the old file or
// the new one, never a mix. No exceptions are thrown.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classify/features.h"
#include "classify/huge_alloc.h"
#include "classify/ppm.h"
#include "core/result.h"

namespace rampart::classify {

inline constexpr uint32_t kModelVersion = 1;
inline constexpr char kModelMagic[8] = {'R', 'M', 'P', 'C', 'L', 'S', 'M', 'D'};
inline constexpr size_t kCalibrationBins = 100;

enum class Algorithm : uint8_t { kLogistic = 0, kPassiveAggressive = 1, kEnsemble = 2 };
std::string_view algorithm_name(Algorithm a);

struct LearnerOptions {
  Algorithm algorithm = Algorithm::kLogistic;
  float rate = 0.02f;      // logistic (and the ensemble's logistic half): learning rate
  float thick = 0.0f;      // logistic: skip learning when |y - p| < thick
  float c = 0.1f;          // passive-aggressive (and the ensemble's PA half): aggressiveness C
  float threshold = 0.5f;  // score at or above: spam
  bool normalize = false;  // features worth 1/sqrt(count) instead of 1
  bool adagrad = false;    // logistic: per-weight rates rate / sqrt(1 + sum of squared gradients)
  uint32_t reps = 1;       // logistic: learn a message up to reps times while |y - p| > target
  float target = 0.5f;
  float ppm = 0.0f;        // ensemble: weight of the character-level class models (ppm.h), 0: none
  uint32_t ppm_order = 3;  // their order (0..6)
  uint32_t ppm_bits = 19;  // their table: 2^ppm_bits count pairs (10..26; 19: 4 MiB)
  float ppm_d = 0;         // their escape: 0 Witten-Bell, in (0, 1) absolute discounting (`ppm_d=D`)
  bool prior = false;      // ensemble: the fixed cue prior of cues.h, fading as 100 / (100 + learned)
  float prior_weight = 1;  // its weight, 0 < w <= 100 (`prior=W`); files without one: 1
};

// The measured defaults of each channel (README.md).
FeatureOptions default_feature_options(Channel channel);
LearnerOptions default_learner_options(Channel channel);

// "algo=lr|pa|ens,ppm=W,ppm_order=K,ppm_bits=B,ppm_d=D,prior=0|W,rate=R,thick=T,c=C,threshold=X,norm=0|1,ada=0|1,reps=N,target=T";
// other keys go to the feature options (features.h). Unknown keys are an error.
Status parse_params(std::string_view spec, FeatureOptions& fopt, LearnerOptions& lopt);

class Model {
 public:
  static Result<Model> create(Channel channel, const FeatureOptions& fopt, const LearnerOptions& lopt);

  // w . x over the given feature indices (each < 2^bits); `text` is what
  // the character-level models read (ensemble with ppm > 0; else unused).
  double margin(std::span<const uint32_t> features, std::string_view text = {}) const;
  // P(spam) in [0, 1].
  double score(std::span<const uint32_t> features, std::string_view text = {}) const {
    return to_score(margin(features, text));
  }
  double to_score(double margin) const;

  // The parts of margin(), in log-odds: for the ensemble its members (the
  // passive-aggressive and the logistic halves, the character models, the
  // cue prior as weighted now); for a single learner, its margin in `pa`.
  // They add up to margin() (to rounding). What `rampart classify eval
  // --members` writes, to study how the members rank the hard messages.
  struct Members {
    double pa = 0, lr = 0, chars = 0, prior = 0;
    double total() const { return pa + lr + chars + prior; }
  };
  Members members(std::span<const uint32_t> features, std::string_view text = {}) const;
  bool is_spam(double score) const { return score >= lopt_.threshold; }

  // Learns one labelled message. learn_scored takes the margin already
  // computed for these features (saves a pass) and records the score in the
  // calibration histogram.
  void learn(std::span<const uint32_t> features, bool spam, std::string_view text = {});
  // margin() then learn_scored() in one step (the character models compute
  // their hashes once); returns the margin before learning.
  double margin_then_learn(std::span<const uint32_t> features, bool spam, std::string_view text);
  void learn_scored(std::span<const uint32_t> features, bool spam, double margin, std::string_view text = {});

  // Threshold such that at most `max_fpr` of the ham in the calibration
  // histogram scored at or above it; unchanged when no ham was seen.
  void calibrate(double max_fpr);
  void set_threshold(float t) { lopt_.threshold = t; }
  float threshold() const { return lopt_.threshold; }

  Channel channel() const { return channel_; }
  const FeatureOptions& feature_options() const { return fopt_; }
  const LearnerOptions& learner_options() const { return lopt_; }
  uint64_t hams() const { return hams_; }
  uint64_t spams() const { return spams_; }
  size_t nonzero_weights() const;

  std::string serialize() const;
  static Result<Model> deserialize(std::string_view bytes);
  Status save(const std::string& path) const;
  static Result<Model> load(const std::string& path);

 private:
  Model() = default;

  Channel channel_ = Channel::kEmail;
  FeatureOptions fopt_;
  LearnerOptions lopt_;
  uint64_t hams_ = 0, spams_ = 0;
  std::array<uint32_t, kCalibrationBins> ham_hist_{};
  std::array<uint32_t, kCalibrationBins> spam_hist_{};
  // The ensemble's two linear members (no character models, no prior).
  // The ensemble's two linear learners' weight sums over `features` (s: the
  // passive-aggressive half, l: the logistic half) and the count they are
  // normalised by.
  struct LinearSums {
    float s = 0, l = 0;
    double n = 1;
  };
  LinearSums linear_sums(std::span<const uint32_t> features) const;
  double linear_margin(std::span<const uint32_t> features) const;
  // The cue prior's share of the log-odds (0 without `prior`).
  double prior_margin(std::string_view text) const;
  void step_logistic(std::span<const uint32_t> features, double g, double x);
  void learn_ensemble(std::span<const uint32_t> features, bool spam);
  void learn_weights(std::span<const uint32_t> features, bool spam, double margin);
  // Weight i is w_[i * stride_]; with adagrad (stride 2) its sum of squared
  // gradients sits beside it, w_[2i + 1], on the same cache line; in the
  // ensemble (stride 2) w_[2i] is the passive-aggressive weight and
  // w_[2i + 1] the logistic one.
  std::vector<float, HugePageAllocator<float>> w_;
  uint32_t stride_ = 1;
  size_t size_ = 0;                           // 2^bits
  CharModel chars_;                           // ensemble with ppm > 0: 2^ppm_bits count pairs
  std::vector<CharModel::Slots> char_slots_;  // margin_then_learn's scratch
};

}  // namespace rampart::classify

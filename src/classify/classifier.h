// File: src/classify/classifier.h
// The classifier a caller uses: feature extraction and a model together,
// per provider, with a reload that keeps the old model when the new file is
// bad.
//
//   auto c = classify::Classifier::open("/var/lib/rampart/isp1.model");   // Result<Classifier>
//   classify::Verdict v = c->classify(raw_message);    // v.score in [0,1], v.spam
//   c->learn(raw_message, /*spam=*/true);              // a user's report
//   double before = c->score_and_learn(raw, spam);     // TREC step: score, then learn
//   if (auto st = c->reload(path); !st) log(st.error().message);   // old model still in use
//   c->save(path);                                     // atomic (model.h)
//
//   classify::ProviderModels models;                   // one model per provider
//   models.open("isp1", "/var/lib/rampart/isp1.model");
//   if (classify::Classifier* c = models.find("isp1")) c->classify(raw);
//
// Not thread-safe: one Classifier per thread, or a lock around learn().
// Per-user adaptation is not implemented (a provider-wide model only).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classify/features.h"
#include "classify/model.h"
#include "core/result.h"

namespace rampart::classify {

struct Verdict {
  double score = 0;  // P(spam)
  bool spam = false;
};

class Classifier {
 public:
  static Result<Classifier> create(Channel channel, const FeatureOptions& fopt, const LearnerOptions& lopt);
  static Result<Classifier> open(const std::string& model_path);
  explicit Classifier(Model model);

  Verdict classify(std::string_view input);
  void learn(std::string_view input, bool spam);
  double score_and_learn(std::string_view input, bool spam);
  // The model's members on this input (Model::members), learning nothing.
  Model::Members members(std::string_view input);

  // Loads `path`; on any error the current model stays and the error is
  // returned.
  Status reload(const std::string& path);
  Status save(const std::string& path) const { return model_.save(path); }

  Model& model() { return model_; }
  const Model& model() const { return model_; }
  const std::vector<uint32_t>& last_features() const { return features_; }

 private:
  std::string_view char_text(std::string_view input) const;

  Model model_;
  Extractor extractor_;
  std::vector<uint32_t> features_;
};

class ProviderModels {
 public:
  // Opens (or re-opens) a provider's model; on error an already open model
  // for that provider stays in use.
  Status open(const std::string& provider, const std::string& path);
  Classifier* find(const std::string& provider);
  size_t size() const { return models_.size(); }

 private:
  std::map<std::string, std::unique_ptr<Classifier>, std::less<>> models_;
};

}  // namespace rampart::classify

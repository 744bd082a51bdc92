// File: src/classify/classifier.cc
// Classifier and ProviderModels (classifier.h).
#include "classify/classifier.h"

#include <algorithm>

namespace rampart::classify {

Classifier::Classifier(Model model) : model_(std::move(model)), extractor_(model_.feature_options()) {
  features_.reserve(model_.feature_options().max_features);
}

Result<Classifier> Classifier::create(Channel channel, const FeatureOptions& fopt,
                                      const LearnerOptions& lopt) {
  auto m = Model::create(channel, fopt, lopt);
  if (!m) return tl::unexpected(m.error());
  return Classifier(std::move(*m));
}

Result<Classifier> Classifier::open(const std::string& model_path) {
  auto m = Model::load(model_path);
  if (!m) return tl::unexpected(m.error());
  return Classifier(std::move(*m));
}

// What the character-level models read (model.h, ppm > 0): the text of an
// SMS or IM up to the n-gram prefix; nothing of an email.
std::string_view Classifier::char_text(std::string_view input) const {
  if (model_.channel() == Channel::kEmail) return {};
  return input.substr(0, std::max<size_t>(model_.feature_options().text_prefix, 1));
}

Verdict Classifier::classify(std::string_view input) {
  extractor_.extract(input, model_.channel(), features_);
  const double s = model_.score(features_, char_text(input));
  return Verdict{s, model_.is_spam(s)};
}

void Classifier::learn(std::string_view input, bool spam) {
  extractor_.extract(input, model_.channel(), features_);
  model_.learn(features_, spam, char_text(input));
}

double Classifier::score_and_learn(std::string_view input, bool spam) {
  extractor_.extract(input, model_.channel(), features_);
  return model_.to_score(model_.margin_then_learn(features_, spam, char_text(input)));
}

Model::Members Classifier::members(std::string_view input) {
  extractor_.extract(input, model_.channel(), features_);
  return model_.members(features_, char_text(input));
}

Status Classifier::reload(const std::string& path) {
  auto m = Model::load(path);
  if (!m) return tl::unexpected(m.error());
  model_ = std::move(*m);
  extractor_ = Extractor(model_.feature_options());
  return {};
}

Status ProviderModels::open(const std::string& provider, const std::string& path) {
  auto it = models_.find(provider);
  if (it != models_.end()) return it->second->reload(path);
  auto c = Classifier::open(path);
  if (!c) return tl::unexpected(c.error());
  models_.emplace(provider, std::make_unique<Classifier>(std::move(*c)));
  return {};
}

Classifier* ProviderModels::find(const std::string& provider) {
  auto it = models_.find(provider);
  return it == models_.end() ? nullptr : it->second.get();
}

}  // namespace rampart::classify

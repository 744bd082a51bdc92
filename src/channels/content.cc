// File: src/channels/content.cc
// The content symbol of SMS/IM verdicts (see content.h).
#include "channels/content.h"

#include <algorithm>
#include <filesystem>

#include "core/fixed.h"

namespace rampart::channels::messages {

Result<std::unique_ptr<ContentModel>> ContentModel::open(const std::string& path, classify::Channel channel,
                                                         ContentOptions opt, bool* created) {
  if (created) *created = false;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return fail(Errc::kIo, "content model " + path + ": " + ec.message());
    auto c = classify::Classifier::create(channel, classify::default_feature_options(channel),
                                          classify::default_learner_options(channel));
    if (!c) return tl::unexpected(c.error());
    if (created) *created = true;
    return std::make_unique<ContentModel>(std::move(*c), opt);
  }
  auto c = classify::Classifier::open(path);
  if (!c) return fail(c.error().code, "content model refused: " + c.error().message);
  if (c->model().channel() == classify::Channel::kEmail)
    return fail(Errc::kConfig,
                "content model " + path + " is a mail model (train it with --channel sms or im)");
  return std::make_unique<ContentModel>(std::move(*c), opt);
}

ContentModel::ContentModel(classify::Classifier c, ContentOptions opt)
    : classifier_(std::move(c)), opt_(opt) {}

uint64_t ContentModel::learned() const { return classifier_.model().hams() + classifier_.model().spams(); }

double ContentModel::probability(std::string_view text) {
  if (learned() < opt_.min_learned) return -1;
  return classifier_.classify(text.substr(0, kMaxTextBytes)).score;
}

void ContentModel::score(std::string_view text, std::string_view prefix, Verdict& v) {
  const double p = probability(text);
  if (p < 0) return;
  const double t = std::clamp(static_cast<double>(classifier_.model().threshold()), 1e-6, 1 - 1e-6);
  // "content P(spam) 0.912, threshold 0.500", without printf (a verdict's
  // share of it showed in profiles).
  Symbol s;
  s.reason.reserve(48);
  s.reason = "content P(spam) ";
  append_fixed(s.reason, p, 3);
  s.reason += ", threshold ";
  append_fixed(s.reason, t, 3);
  s.name.reserve(prefix.size() + 13);
  s.name = prefix;
  if (p >= t) {
    s.name += "_CONTENT_SPAM";
    s.score = opt_.spam * (p - t) / (1 - t);
  } else {
    s.name += "_CONTENT_HAM";
    s.score = -opt_.ham * (t - p) / t;
  }
  v.score += s.score;
  v.symbols.push_back(std::move(s));
  v.action = action_for(v.score);
}

void ContentModel::learn(std::string_view text, bool spam) {
  if (text.empty()) return;
  classifier_.learn(text.substr(0, kMaxTextBytes), spam);
  ++since_save_;
}

std::unique_ptr<classify::Model> ContentModel::snapshot() {
  since_save_ = 0;
  return std::make_unique<classify::Model>(classifier_.model());
}

}  // namespace rampart::channels::messages

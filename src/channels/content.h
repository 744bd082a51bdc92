// File: src/channels/content.h
// The content of an SMS or instant message scored by the channel's classify
// model (src/classify), as mail's scans score theirs (issue 16):
//
//   auto c = messages::ContentModel::open("/var/lib/rampart/sms.model", classify::Channel::kSms, {});
//   messages::Verdict v = checker.check(m, now);
//   c->score(m.text, "SMS", v);     // adds SMS_CONTENT_SPAM or SMS_CONTENT_HAM, re-decides the action
//   c->learn(report.text, true);    // a 7726 complaint: spam; a "not spam" report: ham
//   auto copy = c->snapshot();      // when learned_since_save(): copy here, write elsewhere
//   copy->save(path);               // atomic (classify/model.h)
//
// Symbols: <CH>_CONTENT_SPAM scores 0..spam, scaled from the model's P(spam)
// above its threshold (P = 1: the full weight); <CH>_CONTENT_HAM scores
// 0..-ham below it. The reason carries P(spam) and the threshold. Nothing is
// added until the model has learned min_learned messages.
//
// A missing file is a fresh model with the channel's measured defaults
// (classify/README.md), which learns from the reports and is saved later; a
// corrupt file, another version or a mail model is an error (the caller
// logs it and goes on without the content symbol). Texts are cut at 4 KiB
// (messages::kMaxTextBytes) before the model sees them. Not thread-safe: one
// owner thread (rampartd: the messages worker).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "channels/messages.h"
#include "classify/classifier.h"
#include "core/result.h"

namespace rampart::channels::messages {

struct ContentOptions {
  double spam = 5;            // the most SMS_CONTENT_SPAM scores (P(spam) = 1)
  double ham = 1;             // the most SMS_CONTENT_HAM takes off (P(spam) = 0)
  uint64_t min_learned = 50;  // messages the model must have learned before it speaks
};

class ContentModel {
 public:
  // `created` (optional) tells whether the file was missing (a fresh model).
  static Result<std::unique_ptr<ContentModel>> open(const std::string& path, classify::Channel channel,
                                                    ContentOptions opt, bool* created = nullptr);
  ContentModel(classify::Classifier c, ContentOptions opt);

  // P(spam) of the text, or a negative number while the model has learned
  // fewer than min_learned messages.
  double probability(std::string_view text);
  // Adds the content symbol (prefix "SMS" or "IM") to `v`, with its score,
  // and decides the action again from the total (action_for()).
  void score(std::string_view text, std::string_view prefix, Verdict& v);
  void learn(std::string_view text, bool spam);

  uint64_t learned() const;  // hams + spams the model holds
  uint64_t learned_since_save() const { return since_save_; }
  // A copy of the model to write on another thread; resets learned_since_save().
  std::unique_ptr<classify::Model> snapshot();
  const classify::Model& model() const { return classifier_.model(); }

 private:
  classify::Classifier classifier_;
  ContentOptions opt_;
  uint64_t since_save_ = 0;
};

}  // namespace rampart::channels::messages

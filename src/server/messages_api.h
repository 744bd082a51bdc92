// File: src/server/messages_api.h
// POST /v1/messages: SMS and instant-message verdicts (src/channels/messages.h)
// in rampartd, within the API's access control:
//
//   POST /v1/messages           (right "scan") one message as JSON:
//     {"channel": "sms"|"im", "sender": "+12025550100", "recipients": ["..."],
//      "text": "...", "time": 1796601600}
//     -> 200 {"action": "allow|tag|block", "score": 7.0,
//             "symbols": [{"name": "TEXT_BULK", "score": 3.0, "reason": "..."}]}
//   POST /v1/messages/batch     (right "scan") JSON lines, one message a line
//     -> 200 JSON lines, one verdict a line in order; a line that does not
//        parse answers {"line": N, "error": "..."} and the others go on.
//   POST /v1/messages/complaints (right "events") a spam report, e.g. a GSMA
//     7726 forward: {"channel": "sms", "sender": "+1...", "text": "...", "time": ...}
//     -> 200 {"complaint": "recorded"}; the text trains the content model as spam
//   GET /v1/messages/senders[?limit=N] (right "read") the senders' classes per
//     channel, as mail senders' reputation: {"senders": [{"channel", "sender",
//     "class": "complained|bulk|unanswered", "messages", "recipients",
//     "unanswered", "complaints"}]}, most recent first (default 100, at most 10,000).
//   POST /v1/messages/notspam   (right "events") the same body: a recipient
//     says a message was not spam; the text trains the content model as ham
//     -> 200 {"notspam": "recorded"}
//
//   [messages]
//   enabled = true
//   window_s = 3600          # the sender and text windows
//   max_queue = 4096         # requests waiting for the worker, then 503
//   state_file = "/var/lib/rampart/messages.state"   # default: <data dir>/messages.state
//   state_interval_s = 60    # written this often and at stop
//   model = "<data-dir>/sms.model"  # the SMS content model ("": none)
//   im_model = ""            # the IM content model ("": the SMS model's)
//   content_spam = 5.0       # most SMS_CONTENT_SPAM / IM_CONTENT_SPAM scores
//   content_ham = 1.0        # most SMS_CONTENT_HAM / IM_CONTENT_HAM takes off
//   min_learned = 50         # messages a model must hold before it speaks
//   save_interval_s = 300    # a model that learned is saved at most this often
//
// State: the senders' windows (messages, recipients, replies, complaints),
// the texts' fingerprints and the URLs and numbers named in complaints are
// written to `state_file` every `state_interval_s` and when the service
// stops (core/file.h, atomically), and read back at start: a sender
// complained about before a restart is still flagged after it.
//
// The content models (channels/content.h): a missing file starts a fresh
// model (a log line; no content symbol until it has learned min_learned
// reports); a refused file (corrupt, other version, a mail model) is logged
// and that channel goes without the content symbol; start() never fails for
// a model. Seed one with `rampart classify train --channel sms --format tsv`
// (src/channels/README.md). Learning happens on the worker, in turn with
// the verdicts; a save copies the model there and writes it (atomically,
// classify/model.h) on a thread of its own, one save at a time; the
// destructor writes what was learned since.
//
// Threads: parsed on the event loop; one worker thread owns the Checker and
// the content models (no lock); the answer is posted back to the loop that
// asked. Bad bodies: 400 with the reason; 10,000 lines per batch at most (413
// beyond).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "channels/content.h"
#include "channels/messages.h"
#include "core/config.h"
#include "core/result.h"

namespace rampart {
class Metrics;
}

namespace rampart::server {

class Router;
class ChannelReputation;

struct MessagesConfig {
  bool enabled = true;
  int64_t window_s = 3600;
  size_t max_queue = 4096;
  std::string state_file;  // "": not persisted
  int64_t state_interval_s = 60;
  std::string model;     // SMS content model file ("": no content symbol)
  std::string im_model;  // IM content model file ("": the SMS model)
  double content_spam = 5;
  double content_ham = 1;
  int64_t min_learned = 50;
  int64_t save_interval_s = 300;
  // `data_dir` (rampartd --data-dir) is where `model` defaults to.
  static Result<MessagesConfig> from(const Config& cfg, const std::string& data_dir = {});
};

inline constexpr size_t kMaxBatchLines = 10000;

class MessageService {
 public:
  static Result<std::unique_ptr<MessageService>> start(MessagesConfig cfg, Metrics* metrics);
  ~MessageService();
  MessageService(const MessageService&) = delete;
  MessageService& operator=(const MessageService&) = delete;

  // `lines`: parsed messages or the parse error of each input line; `done`
  // (on the worker) gets one verdict JSON per entry. False past the queue.
  using Parsed = Result<channels::messages::Message>;
  bool check(std::vector<Parsed> lines, std::function<void(std::vector<std::string>)> done);
  bool complaint(channels::messages::Complaint c, std::function<void()> done);
  bool senders(size_t limit, std::function<void(std::string)> done);
  // A "not spam" report: the text trains the content model as ham.
  bool not_spam(channels::messages::Complaint c, std::function<void()> done);
  // Messages, complaints and not-spam reports into the reputation store,
  // overrides applied to the verdicts (channel_reputation.h); null: none.
  void set_reputation(std::shared_ptr<ChannelReputation> rep);

  struct Impl;

 private:
  explicit MessageService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

void add_message_routes(Router& router, std::shared_ptr<MessageService> svc);

}  // namespace rampart::server

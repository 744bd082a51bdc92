// File: src/server/messages_api.cc
// POST /v1/messages (see messages_api.h).
#include "server/messages_api.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <ctime>
#include <thread>

#include "core/executor.h"
#include "core/file.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strings.h"
#include "server/channel_reputation.h"
#include "server/http/parser.h"
#include "server/http/router.h"
#include "server/state_file.h"

namespace rampart::server {

namespace msg = channels::messages;

Result<MessagesConfig> MessagesConfig::from(const Config& cfg, const std::string& data_dir) {
  const size_t mark = cfg.error_count();
  MessagesConfig c;
  Section s = cfg.section("messages");
  c.enabled = s.boolean("enabled", true);
  c.window_s = s.integer("window_s", 3600, 60, 7 * 86400);
  c.max_queue = static_cast<size_t>(s.integer("max_queue", 4096, 1, 1000000));
  c.state_file = s.string("state_file", data_dir.empty() ? std::string() : data_dir + "/messages.state");
  c.state_interval_s = s.integer("state_interval_s", 60, 1, 86400);
  c.model = s.string("model", data_dir.empty() ? "" : data_dir + "/sms.model");
  c.im_model = s.string("im_model", "");
  c.content_spam = s.number("content_spam", 5, 0, 100);
  c.content_ham = s.number("content_ham", 1, 0, 100);
  c.min_learned = s.integer("min_learned", 50, 0, int64_t{1} << 40);
  c.save_interval_s = s.integer("save_interval_s", 300, 0, 86400);
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

struct MessageService::Impl {
  MessagesConfig cfg;
  boost::asio::io_context ctx{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{ctx.get_executor()};
  msg::Checker checker;
  std::thread thread;
  std::atomic<size_t> queued{0};
  Family<Counter>* verdicts = nullptr;
  Counter* complaints = nullptr;
  Counter* bad = nullptr;
  // The checker' state across restarts (server/state_file.h).
  StateFile state{ctx,
                  "messages",
                  cfg.state_file,
                  cfg.state_interval_s,
                  [this](std::string_view text, int64_t now, size_t* skipped) {
                    return checker.load_state(text, now, skipped);
                  },
                  [this](int64_t now) { return checker.save_state(now); }};
  // The content models (worker only); im may be the sms model itself.
  std::shared_ptr<msg::ContentModel> sms_model, im_model;
  std::string sms_path, im_path;
  // Saves run here, one at a time, so the worker never waits for the disk.
  boost::asio::io_context saver{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> saver_guard{saver.get_executor()};
  std::thread saver_thread;
  std::atomic<bool> saving{false};
  int64_t last_save = 0;  // worker only
  Family<Counter>* learned = nullptr;
  Counter* saves = nullptr;
  Counter* save_errors = nullptr;
  std::shared_ptr<ChannelReputation> rep;  // worker only (set_reputation)

  explicit Impl(MessagesConfig c) : cfg(c), checker(options(c)) {}
  static msg::Options options(const MessagesConfig& c) {
    msg::Options o;
    o.window_s = c.window_s;
    return o;
  }
  msg::ContentModel* content(msg::Channel ch) const {
    return ch == msg::Channel::kIm ? im_model.get() : sms_model.get();
  }
  const std::string& path_of(const msg::ContentModel* m) const {
    return m == sms_model.get() ? sms_path : im_path;
  }
  // Opens `path` for `ch`; logs what happened; null when there is no model.
  std::shared_ptr<msg::ContentModel> open_model(const std::string& path, msg::Channel ch) {
    if (path.empty()) return nullptr;
    const auto cc = ch == msg::Channel::kIm ? classify::Channel::kIm : classify::Channel::kSms;
    const msg::ContentOptions o{cfg.content_spam, cfg.content_ham, static_cast<uint64_t>(cfg.min_learned)};
    bool created = false;
    auto m = msg::ContentModel::open(path, cc, o, &created);
    const auto name = msg::channel_name(ch);
    if (!m) {
      log::get()->error("messages: {}; {} verdicts go without the content symbol", m.error().message, name);
      return nullptr;
    }
    if (created)
      log::get()->warn(
          "messages: {} content model {} does not exist: a fresh model learns from the reports, no content "
          "symbol until it has learned {} (seed it: rampart classify train --channel {} --format tsv)",
          name, path, cfg.min_learned, name);
    else
      log::get()->info("messages: {} content model {} loaded ({} messages learned)", name, path,
                       (*m)->learned());
    return std::shared_ptr<msg::ContentModel>(std::move(*m));
  }
  // Worker: a model that learned is copied here and written on the saver
  // (force: now, after any save in flight; the destructor's).
  void maybe_save(msg::ContentModel* m, bool force) {
    if (!m || m->learned_since_save() == 0) return;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (!force && (now - last_save < cfg.save_interval_s || saving.load())) return;
    last_save = now;
    std::shared_ptr<classify::Model> copy = m->snapshot();
    const std::string path = path_of(m);
    saving = true;
    boost::asio::post(saver, [this, copy, path] {
      if (auto st = copy->save(path); !st) {
        if (save_errors) save_errors->inc();
        log::get()->error("messages: content model not saved: {}", st.error().message);
      } else if (saves) {
        saves->inc();
      }
      saving = false;
    });
  }
  void learn(const msg::Complaint& c, bool spam) {
    msg::ContentModel* m = content(c.channel);
    if (!m || c.text.empty()) return;
    m->learn(c.text, spam);
    if (learned) learned->with({std::string(msg::channel_name(c.channel)), spam ? "spam" : "ham"}).inc();
    maybe_save(m, false);
  }
  bool enter() {
    if (queued.fetch_add(1, std::memory_order_relaxed) >= cfg.max_queue) {
      queued.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
};

MessageService::MessageService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MessageService::~MessageService() {
  Impl* p = impl_.get();
  p->guard.reset();
  p->ctx.stop();
  if (p->thread.joinable()) p->thread.join();
  p->state.save();  // the worker has stopped: nothing else touches the checker
  // The worker is gone: what it learned since the last save is written after
  // the save in flight (same file, same temporary name).
  p->maybe_save(p->sms_model.get(), true);
  if (p->im_model != p->sms_model) p->maybe_save(p->im_model.get(), true);
  p->saver_guard.reset();
  if (p->saver_thread.joinable()) p->saver_thread.join();
}

Result<std::unique_ptr<MessageService>> MessageService::start(MessagesConfig cfg, Metrics* metrics) {
  auto impl = std::make_unique<Impl>(cfg);
  if (metrics) {
    impl->verdicts = &metrics->counter_family(
        "rampart_messages_total", "SMS/IM messages judged (POST /v1/messages), by channel and action.",
        {"channel", "action"});
    impl->complaints = &metrics->counter("rampart_messages_complaints_total",
                                         "SMS/IM spam reports recorded (POST /v1/messages/complaints).");
    impl->bad =
        &metrics->counter("rampart_messages_refused_total", "SMS/IM messages or lines refused as malformed.");
    impl->learned = &metrics->counter_family(
        "rampart_messages_learned_total",
        "SMS/IM texts the content model learned from reports (complaints: spam, notspam: ham).",
        {"channel", "label"});
    impl->saves = &metrics->counter("rampart_messages_model_saves_total", "SMS/IM content model saves.");
    impl->save_errors = &metrics->counter("rampart_messages_model_save_errors_total",
                                          "SMS/IM content model saves that failed.");
  }
  impl->state.load();
  impl->state.schedule();
  impl->sms_path = impl->cfg.model;
  impl->sms_model = impl->open_model(impl->sms_path, msg::Channel::kSms);
  if (impl->cfg.im_model.empty() || impl->cfg.im_model == impl->cfg.model) {
    impl->im_model = impl->sms_model;
    impl->im_path = impl->sms_path;
  } else {
    impl->im_path = impl->cfg.im_model;
    impl->im_model = impl->open_model(impl->im_path, msg::Channel::kIm);
  }
  impl->last_save = static_cast<int64_t>(std::time(nullptr));
  Impl* p = impl.get();
  impl->thread = std::thread([p] { p->ctx.run(); });
  impl->saver_thread = std::thread([p] { p->saver.run(); });
  return std::unique_ptr<MessageService>(new MessageService(std::move(impl)));
}

bool MessageService::check(std::vector<Parsed> lines, std::function<void(std::vector<std::string>)> done) {
  Impl* p = impl_.get();
  if (!p->enter()) return false;
  boost::asio::post(p->ctx, [p, lines = std::move(lines), done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::vector<std::string> out;
    out.reserve(lines.size());
    std::vector<reputation::Event> events;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!lines[i]) {
        if (p->bad) p->bad->inc();
        out.push_back("{\"line\": " + std::to_string(i + 1) +
                      ", \"error\": " + json_quote(lines[i].error().message) + "}");
        continue;
      }
      msg::Verdict v = p->checker.check(*lines[i], now);
      if (msg::ContentModel* cm = p->content(lines[i]->channel))
        cm->score(lines[i]->text, lines[i]->channel == msg::Channel::kIm ? "IM" : "SMS", v);
      if (p->rep) p->rep->on_message(*lines[i], v, events);
      if (p->verdicts) p->verdicts->with({std::string(msg::channel_name(lines[i]->channel)), v.action}).inc();
      out.push_back(v.to_json());
    }
    if (p->rep) p->rep->record(std::move(events));
    done(std::move(out));
  });
  return true;
}

bool MessageService::complaint(msg::Complaint c, std::function<void()> done) {
  Impl* p = impl_.get();
  if (!p->enter()) return false;
  boost::asio::post(p->ctx, [p, c = std::move(c), done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    p->checker.complaint(c, static_cast<int64_t>(std::time(nullptr)));
    if (p->complaints) p->complaints->inc();
    if (p->rep) p->rep->on_report(c, true);
    p->learn(c, true);
    done();
  });
  return true;
}

bool MessageService::not_spam(msg::Complaint c, std::function<void()> done) {
  Impl* p = impl_.get();
  if (!p->enter()) return false;
  boost::asio::post(p->ctx, [p, c = std::move(c), done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    if (p->rep) p->rep->on_report(c, false);
    p->learn(c, false);
    done();
  });
  return true;
}

void MessageService::set_reputation(std::shared_ptr<ChannelReputation> rep) {
  Impl* p = impl_.get();
  boost::asio::post(p->ctx, [p, rep = std::move(rep)]() mutable { p->rep = std::move(rep); });
}

bool MessageService::senders(size_t limit, std::function<void(std::string)> done) {
  Impl* p = impl_.get();
  if (!p->enter()) return false;
  boost::asio::post(p->ctx, [p, limit, done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    std::string out = "{\"senders\": [";
    bool first = true;
    for (const auto& c : p->checker.sender_classes(static_cast<int64_t>(std::time(nullptr)), limit)) {
      out += first ? "" : ", ";
      first = false;
      out += JsonObject()
                 .str("channel", msg::channel_name(c.channel))
                 .str("sender", c.sender)
                 .str("class", c.cls)
                 .num("messages", static_cast<int64_t>(c.messages))
                 .num("recipients", static_cast<int64_t>(c.recipients))
                 .num("unanswered", static_cast<int64_t>(c.unanswered))
                 .num("complaints", static_cast<int64_t>(c.complaints))
                 .done();
    }
    done(out + "]}");
  });
  return true;
}

namespace {

size_t sender_limit(const std::string& target) {
  const size_t q = target.find("limit=");
  if (q == std::string::npos) return 100;
  size_t n = 0, i = q + 6;
  while (i < target.size() && target[i] >= '0' && target[i] <= '9' && n < 1000000)
    n = n * 10 + static_cast<size_t>(target[i++] - '0');
  return std::clamp<size_t>(n, 1, 10000);
}

// The reply runs on the loop that asked (or at once without one: tests).
std::function<void(HttpReply)> on_loop(HttpRespond respond) {
  Executor* loop = current_executor();
  return [loop, respond = std::move(respond)](HttpReply rep) {
    if (loop)
      loop->post([respond, rep = std::move(rep)]() mutable { respond(std::move(rep)); });
    else
      respond(std::move(rep));
  };
}

}  // namespace

void add_message_routes(Router& router, std::shared_ptr<MessageService> svc) {
  router.add("POST", "/v1/messages", Right::kScan,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               auto m = msg::parse_message(req.body);
               if (!m) {
                 respond(HttpReply{400, error_json(m.error().message)});
                 return;
               }
               std::vector<MessageService::Parsed> one;
               one.push_back(std::move(m));
               auto reply = on_loop(respond);
               if (!svc->check(std::move(one), [reply](std::vector<std::string> out) {
                     reply(HttpReply{200, out.at(0)});
                   }))
                 respond(HttpReply{503, error_json("too many messages waiting")});
             });
  router.add("POST", "/v1/messages/batch", Right::kScan,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               std::vector<MessageService::Parsed> lines;
               for (std::string_view line : split(req.body, '\n')) {
                 if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                 if (trim(line).empty()) continue;
                 if (lines.size() >= kMaxBatchLines) {
                   respond(HttpReply{413, error_json("more than 10000 lines")});
                   return;
                 }
                 lines.push_back(msg::parse_message(line));
               }
               if (lines.empty()) {
                 respond(HttpReply{400, error_json("no message")});
                 return;
               }
               auto reply = on_loop(respond);
               auto done = [reply](std::vector<std::string> out) {
                 std::string body;
                 for (auto& l : out) body += l + "\n";
                 reply(HttpReply{200, std::move(body), "application/x-ndjson"});
               };
               if (!svc->check(std::move(lines), std::move(done)))
                 respond(HttpReply{503, error_json("too many messages waiting")});
             });
  router.add("GET", "/v1/messages/senders", Right::kRead,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               auto reply = on_loop(respond);
               if (!svc->senders(sender_limit(req.target), [reply](std::string body) {
                     reply(HttpReply{200, std::move(body)});
                   }))
                 respond(HttpReply{503, error_json("too many messages waiting")});
             });
  router.add("POST", "/v1/messages/complaints", Right::kEvents,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               auto c = msg::parse_complaint(req.body);
               if (!c) {
                 respond(HttpReply{400, error_json(c.error().message)});
                 return;
               }
               auto reply = on_loop(respond);
               if (!svc->complaint(std::move(*c), [reply] {
                     reply(HttpReply{200, "{\"complaint\": \"recorded\"}"});
                   }))
                 respond(HttpReply{503, error_json("too many messages waiting")});
             });
  router.add(
      "POST", "/v1/messages/notspam", Right::kEvents,
      [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
        auto c = msg::parse_complaint(req.body);
        if (!c) {
          respond(HttpReply{400, error_json(c.error().message)});
          return;
        }
        auto reply = on_loop(respond);
        if (!svc->not_spam(std::move(*c), [reply] { reply(HttpReply{200, "{\"notspam\": \"recorded\"}"}); }))
          respond(HttpReply{503, error_json("too many messages waiting")});
      });
}

}  // namespace rampart::server

// File: src/policy/feedback.h
// Reputation and content classification in the scan pipeline, and the
// feedback endpoints of rampartd's HTTP API: one Feedback object lives as
// long as rampartd (it survives SIGHUP reloads, like the Throttle) and
// installs two checks in every Pipeline built.
//
//   auto fc = policy::FeedbackConfig::from(config);          // [reputation], [classify]
//   auto fb = std::make_shared<policy::Feedback>(*fc, clock, authserv_id);
//   fb->set_store(std::make_unique<reputation::MemoryStore>());   // or RocksDbStore, RedisClusterStore
//   if (auto st = fb->load_model(); !st) log(st.error().message); // content check disabled
//   auto pipe = policy::Pipeline::create(pcfg, resolver, clock, throttle);
//   fb->add_checks(*pipe);                                    // content (data), reputation (data, wave 2)
//   fb->set_resolver(resolver);                               // DKIM re-verification of ARF originals
//   fb->post_report(arf_body, [](Feedback::Answer a) {...});  // POST /v1/reports (after the DKIM keys)
//   Feedback::Answer b = fb->post_learn("spam", raw, "");     // POST /v1/learn
//   fb->post_events(json_lines);                              // POST /v1/events
//   fb->get_reputation("domain:example.com");                 // GET /v1/reputation/ID
//   fb->save_model(true);                                     // SIGTERM
//
// Checks:
//   content     data, wave 0  CONTENT_SPAM (0..classify.spam, scaled from the
//                             model's P(spam) above its threshold) or CONTENT_HAM
//                             (0..classify.ham below it); nothing until the model
//                             has learned classify.min_learned messages.
//   reputation  data, wave 2  (after DMARC and the content check) records a
//                             message event (auth results, the verdict so far,
//                             recipients, one-click unsubscribe, FCrDNS,
//                             Feedback-ID, List-Id) and adds, per class seen
//                             among the verified sender identities (ip, net,
//                             domain, dkim, spf, pra; looked up before this
//                             message is counted): REP_SPAMMER, REP_COMPROMISED
//                             (positive), REP_BULK_OK, REP_TRANSACTIONAL (small
//                             negative; bulk with a negative score: REP_BULK, 0).
//                             A recipient among reputation.trap_addresses or in
//                             reputation.trap_domains also records a trap event
//                             (same fields) and adds REP_TRAP_HIT
//                             (reputation.score_trap, default 0: the trap
//                             mailbox still gets the message).
// The verdict recorded is spam when the score so far reaches quarantine_score
// or a reject was forced, ham below add_header_score, else none.
//
// Threads: one Feedback serves every event loop. The store runs on the
// StoreService's threads and posts each completion back to the loop that
// made the call (current_executor()); the model is under model_mu_ (a save
// copies it and writes outside the lock), the scan-event queue under
// pending_mu_, the settings SIGHUP changes and the rejected reports under
// mu_; counters are atomics. Each lock is held for a few reads or writes,
// never across a store call, a callback or a wait.
//
// DIAGNOSTICS: a store error (kIo / kTemporary) never rejects: with
// reputation.tempfail = true the message is tempfailed (451 4.7.1), else
// (default) REP_UNAVAILABLE with score 0 and the scan goes on.
// load_model(): a missing file starts a fresh model (saved later); a corrupt
// or other-version file is refused (Errc::kParse from classify::Model::load)
// and the content check stays off; reload_model() (SIGHUP) keeps the model
// in use when the file is bad, and does nothing when the file has not changed
// since it was last loaded or saved (so learning is not thrown away).
// post_report: the original is authenticated again before its identities
// are blamed: DKIM re-verified over a complete original (set_resolver; the
// keys as published now), SPF and the rest only from the Authentication-
// Results of reputation.trusted_authserv_ids, never of our own authserv-id
// (whoever sends a report writes its original).
// 400 with {"error", "accepted": 0, "rejected": 1, "reason"} for a report
// parse_arf() or to_event() refuses (kept in rejected()); 503 for a store
// error (the report is not counted: send it again). post_learn: 400 for a bad X-Label or a body that is
// not a message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/classifier.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/result.h"
#include "policy/policy.h"
#include "reputation/arf.h"
#include "reputation/classify.h"
#include "reputation/engine.h"
#include "reputation/overrides.h"
#include "reputation/store.h"
#include "reputation/store_service.h"

namespace rampart::dns {
class Resolver;
}
namespace rampart::dkim {
class Verifier;
}

namespace rampart {
class MetricsWriter;
}

namespace rampart::policy {

struct FeedbackConfig {
  // [reputation]
  bool reputation = true;
  // The store itself ([reputation] store, sync, redis_seeds, ...) is read by
  // reputation::store_spec() (src/reputation/store_factory.h).
  bool tempfail = false;  // a store error tempfails the message
  // The scores of REP_* and CONTENT_* are in PolicyConfig::scores ([scores]).
  // Spam traps: addresses ("trap@example.net") and whole domains ("traps.example.net"),
  // compared without case.
  std::vector<std::string> trap_addresses, trap_domains;
  // Scanned messages' events are written in batches: every flush_ms (on
  // rampartd's 100 ms tick) or once flush_events wait, one store merge each
  // (one WAL fsync with rocksdb), so the event loop does not wait for the
  // disk per message. 0: each at once, as it is scanned. Past max_pending
  // (the store failing) the oldest are dropped and counted.
  int64_t flush_ms = 100;
  int64_t flush_events = 512;
  int64_t max_pending = 100000;
  // The reputation check waits this long for its lookup (the store runs on
  // a thread of its own, reputation::StoreService); past it the scan goes
  // on with REP_UNAVAILABLE (or a tempfail with tempfail = true). 1..60000.
  int64_t lookup_timeout_ms = 200;
  // SIGTERM: how long queued events may take to be written before the rest
  // is spooled to <data-dir>/spool (Feedback::drain). 0..600000.
  int64_t drain_ms = 5000;
  // FOR TESTS ONLY (tests/rampartd_spool_test): the store writer sleeps this
  // long before each group write, as a disk that stalls would make it; lets
  // a test queue events behind the writer of the real process. 0 (default):
  // off. Never set it in production. 0..60000.
  int64_t debug_write_delay_ms = 0;
  std::string reports_maildir;  // empty: none
  int64_t reports_poll_ms = 2000;
  std::vector<std::string> trusted_authserv_ids;  // ARF originals' Authentication-Results
  // Who may send reports into reports_maildir ([[reputation.reporters]]:
  // name, domain, verify = "dkim" | "mailbox"). A report's From domain (or a
  // subdomain of it) names the reporter; "dkim": the report itself must
  // carry a DKIM signature that verifies with d= that domain; "mailbox": the
  // mailbox is the reporter's alone, its From is taken as said. None listed:
  // every report in the mailbox is refused.
  struct Reporter {
    std::string name, domain;
    bool dkim = true;
  };
  std::vector<Reporter> reporters;
  reputation::Thresholds thresholds;
  // [classify]
  std::string model;  // empty: no content check
  int64_t min_learned = 50;
  int64_t save_interval_s = 300;

  static Result<FeedbackConfig> from(const Config& cfg);
};

// The reputation event a scanned message stands for (no I/O).
reputation::Event event_of(const ScanState& s, reputation::Verdict verdict);

class Feedback : public std::enable_shared_from_this<Feedback> {
 public:
  Feedback(FeedbackConfig cfg, const Clock& clock, std::string authserv_id);
  ~Feedback();

  // Reputation over `store`, through a reputation::StoreService (its
  // threads); without a store the reputation check is off. `metrics`: the
  // registry of the store's latency histograms (rampart_store_*_seconds).
  void set_store(std::unique_ptr<reputation::Store> store, Metrics* metrics = nullptr);
  // Where drain() spools the events it could not write (rampartd:
  // <data-dir>/spool); empty: not spooled (lost, and logged).
  void set_spool_dir(std::string dir) { spool_dir_ = std::move(dir); }
  // At start, before the loops run: applies the spooled events of an
  // earlier run (each batch once, by its op id). Returns batches applied.
  Result<size_t> replay_spool();
  // SIGTERM, after the loops stopped: hands the queued scan events to the
  // store, waits for the writes until `deadline`, spools the rest, stops the
  // store's threads and joins them (a store call in progress is waited
  // for), then saves the model; reputation is off afterwards. Blocking (no
  // loop runs then); the loops' executors must still exist.
  Status drain(std::chrono::steady_clock::time_point deadline);
  Status load_model();
  Status reload_model();
  // Saves the model when it learned since the last save (force: whatever the
  // interval), else when save_interval_s has passed.
  Status save_model(bool force);
  // Weights, tempfail, trusted ids, traps, flushing (SIGHUP); the store,
  // thresholds, reports Maildir and model path need a restart.
  void reconfigure(const FeedbackConfig& cfg);

  void add_checks(Pipeline& p);

  struct Answer {
    int status = 200;
    std::string json;
    std::string reason = {};  // why a report was refused (400)
  };
  // Re-verifies DKIM of a complete original over the resolver of
  // set_resolver() (none: trusted Authentication-Results only). `done` runs
  // once, at once or from the event loop.
  void set_resolver(dns::Resolver& resolver);
  void post_report(std::string body, std::function<void(Answer)> done);
  // The DKIM results of `message` over that same resolver (keys as published
  // now; none without a resolver), for outbound complaint reports (RFC 9477
  // needs the signatures that cover CFBL-Address). Call it on the resolver's
  // loop; `done` runs once, from it.
  void verify_dkim(std::shared_ptr<const std::string> message,
                   std::function<void(std::vector<dkim::SignatureResult>)> done);
  // A report that arrived by mail (ReportIngest): refused (400) unless its
  // From names a listed reporter, verified as that reporter says, then
  // post_report(). `done` runs once, at once or from the event loop.
  void post_mailbox_report(std::string body, std::function<void(Answer)> done);
  // A scanned message's event: handed to the store at once with flush_ms =
  // 0, else queued for the next flush (time stamped now).
  Status queue(reputation::Event e);
  // Hands the queued events to the store service as one batch (one op id).
  // On a loop: queued for its writer, which retries them while the store is
  // down (the service's queue full: they stay here, bounded by max_pending).
  // Without a loop: written at once; on a store error they stay queued.
  Status flush();
  // From the event loop (about every 100 ms): flushes when flush_ms passed.
  void tick();
  size_t pending() const {
    const std::lock_guard lk(pending_mu_);
    return pending_.size();
  }
  // GET /v1/reports/rejected: {"total", "kept": [{"id", "time", "reason", "bytes"}, ...]};
  // GET /v1/reports/rejected/ID: {"id", "time", "reason", "raw"} (404 when no longer kept).
  Answer get_rejected(std::string_view id) const;
  // Whether an envelope recipient ("<a@b>" or "a@b") is a configured trap.
  bool is_trap(std::string_view rcpt) const;
  // POST /v1/events: reputation events as JSON lines (src/reputation/event_json.h);
  // a line that does not parse is reported with its number and skipped. A
  // line whose time is more than kMaxEventFutureSeconds ahead of the clock,
  // or older than kMaxEventAgeSeconds (the decay horizon: 4 time constants
  // of the month window, where less than 2% of its weight would remain),
  // refuses the whole request: 400 naming the lines, nothing applied (all
  // lines are checked before any is recorded).
  static constexpr int64_t kMaxEventFutureSeconds = 300;
  static constexpr int64_t kMaxEventAgeSeconds = 4 * 30 * 86400;
  // The events of a request are one batch (one op id): 200 once all are
  // durable, 503 with nothing applied when the store fails or its queue is full.
  using AnswerDone = std::function<void(Answer)>;
  void post_events(std::string_view body, AnswerDone done);
  // GET /v1/reputation/IDENTITY: the identity's report ("domain:example.com", "ip:192.0.2.1");
  // with_counters (?counters=1): plus its stored counters (reputation::Report::to_json).
  void get_reputation(std::string_view identity, bool with_counters, AnswerDone done);
  // label "spam" or "ham"; client_ip (optional) names the original's source.
  // The model learns (and is saved when due) on the service's worker thread.
  void post_learn(std::string_view label, std::string body, std::string_view client_ip, AnswerDone done);
  // The same, answered before they return: only without a loop (tests, tools).
  Answer post_events(std::string_view body);
  Answer get_reputation(std::string_view identity, bool with_counters = false);
  Answer post_learn(std::string_view label, std::string_view body, std::string_view client_ip);

  // Off the loops only (tools, tests): the engine over the store.
  reputation::Engine* engine() { return service_ ? &service_->engine() : nullptr; }
  reputation::StoreService* service() { return service_.get(); }
  // Manual overrides (issue 14, reputation/overrides.h), set once before the
  // loops run: in scans a "block" reads as REP_SPAMMER and an "allow" drops
  // a bad class (a "delist" only concerns the DNSBL zones).
  void set_overrides(std::shared_ptr<const reputation::OverrideStore> o) { overrides_ = std::move(o); }
  const reputation::OverrideStore* overrides() const { return overrides_.get(); }
  classify::Classifier* classifier() { return classifier_.get(); }
  // `work` off the event loops (the store service's worker, or Feedback's
  // own thread without reputation), then `done` on the caller's loop; with
  // no loop (tools, tests) both at once on the caller's thread. For blocking
  // work: model loads and saves, learning, Maildir reads.
  void run_off_loop(std::function<void()> work, std::function<void()> done);
  // SIGHUP on a loop: reload_model() off the loop (errors logged).
  void reload_model_off_loop();
  const reputation::RejectedReports& rejected() const { return rejected_; }
  // A copy: reconfigure() (SIGHUP, loop 0) may change it meanwhile.
  FeedbackConfig config() const {
    const std::lock_guard lk(mu_);
    return cfg_;
  }
  // Its families, through the one Prometheus writer (core/metrics.h).
  void collect_metrics(MetricsWriter& w) const;
  std::string metrics() const;  // the same as Prometheus text (tests)

 private:
  friend class ReputationCheck;
  friend class ContentCheck;
  // One event as its own batch, answered once durable (or failed).
  void record(reputation::Event e, std::function<void(Status)> done);
  void report_answer(std::string body, const reputation::ArfReport& rep, const reputation::OriginalAuth& auth,
                     AnswerDone done);
  Answer reject_report(std::string_view body, const std::string& why);
  void stamp_model();
  // A setting reconfigure() may change while other loops read it.
  template <typename T>
  T setting(T FeedbackConfig::*field) const {
    const std::lock_guard lk(mu_);
    return cfg_.*field;
  }

  // cfg_'s reloadable fields (reconfigure) and rejected_; never held across
  // a call out of this object.
  mutable std::mutex mu_;
  FeedbackConfig cfg_;
  // cfg_ lists trap addresses or domains (is_trap() takes no lock without).
  std::atomic<bool> any_traps_{false};
  const Clock& clock_;
  std::string authserv_id_;
  std::unique_ptr<reputation::StoreService> service_;
  std::shared_ptr<const reputation::OverrideStore> overrides_;
  std::string spool_dir_;
  // The model: classify and learn take turns (learning on the service's
  // worker holds it for one message; a save copies the model under it and
  // writes the copy outside it).
  mutable std::mutex model_mu_;
  std::unique_ptr<classify::Classifier> classifier_;
  class OffLoop;
  std::mutex off_mu_;
  std::unique_ptr<OffLoop> off_loop_;  // started at its first use (no store service)
  reputation::RejectedReports rejected_;
  std::unique_ptr<dkim::Verifier> verifier_;
  mutable std::mutex pending_mu_;  // pending_, last_flush_, batching_ (several loops scan)
  std::vector<reputation::Event> pending_;
  // cfg_'s flush_ms, flush_events, max_pending, copied under pending_mu_ so
  // that queue() (every scan) takes one lock, not mu_ as well.
  struct Batching {
    int64_t flush_ms = 0, flush_events = 0, max_pending = 0;
  } batching_;
  std::chrono::steady_clock::time_point last_flush_{};
  std::optional<std::filesystem::file_time_type> model_mtime_;
  std::atomic<uint64_t> learned_since_save_{0};
  std::atomic<int64_t> last_save_{0};
  std::atomic<uint64_t> events_{0}, store_errors_{0}, reports_accepted_{0}, reports_rejected_{0}, learned_{0},
      model_saves_{0}, model_errors_{0}, trap_hits_{0}, reports_reverified_{0}, flushes_{0}, dropped_{0},
      lookup_timeouts_{0};
};

}  // namespace rampart::policy

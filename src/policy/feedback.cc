// File: src/policy/feedback.cc
// The reputation and content checks and the feedback endpoints (see
// feedback.h).
#include "policy/feedback.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <system_error>
#include <thread>

#include <toml++/toml.h>

#include "auth/dkim/dkim.h"
#include "auth/dmarc/orgdomain.h"
#include "core/fixed.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strings.h"
#include "mime/address.h"
#include "mime/header.h"
#include "reputation/arf_dkim.h"
#include "reputation/event_json.h"

namespace rampart::policy {

namespace {

// "<list.example.com>" or "Name <list.example.com>" -> "list.example.com".
std::string angle_value(std::string_view v) {
  const size_t open = v.find('<');
  const size_t close = v.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    return std::string(trim(v.substr(open + 1, close - open - 1)));
  return std::string(trim(v));
}

std::string num(double v) { return fixed(v, 2); }

bool sender_kind(reputation::IdentityKind k) {
  using K = reputation::IdentityKind;
  return k == K::kIp || k == K::kNet || k == K::kDomain || k == K::kDkim || k == K::kSpf || k == K::kPra;
}

}  // namespace

Result<FeedbackConfig> FeedbackConfig::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  FeedbackConfig c;
  Section rep = cfg.section("reputation");
  c.reputation = rep.boolean("enabled", c.reputation);
  c.tempfail = rep.boolean("tempfail", c.tempfail);
  c.trusted_authserv_ids = rep.strings("trusted_authserv_ids");
  c.flush_ms = rep.integer("flush_ms", c.flush_ms, 0, 60000);
  c.flush_events = rep.integer("flush_events", c.flush_events, 1, 1000000);
  c.max_pending = rep.integer("max_pending", c.max_pending, 1, 100000000);
  if (c.max_pending < c.flush_events) rep.invalid("max_pending", "must be >= flush_events");
  c.lookup_timeout_ms = rep.integer("lookup_timeout_ms", c.lookup_timeout_ms, 1, 60000);
  c.drain_ms = rep.integer("drain_ms", c.drain_ms, 0, 600000);
  c.debug_write_delay_ms = rep.integer("debug_write_delay_ms", c.debug_write_delay_ms, 0, 60000);
  c.reports_maildir = rep.string("reports_maildir", c.reports_maildir);
  c.reports_poll_ms = rep.integer("reports_poll_ms", c.reports_poll_ms, 10, 3600000);
  // Reporters whose mailed ARF reports are accepted (issue 11): a report from
  // any other domain, or failing its DKIM check, is refused.
  for (Section t : rep.tables("reporters")) {
    FeedbackConfig::Reporter r;
    r.name = t.string("name", "");
    r.domain = to_lower(trim(t.string("domain", "")));
    while (!r.domain.empty() && r.domain.back() == '.') r.domain.pop_back();
    const std::string verify = t.choice("verify", "dkim", {"dkim", "mailbox"});
    if (r.name.empty()) t.invalid("name", "each reporter needs a name");
    if (r.domain.empty()) t.invalid("domain", "each reporter needs a domain");
    r.dkim = verify == "dkim";
    if (!r.name.empty() && !r.domain.empty()) c.reporters.push_back(std::move(r));
  }
  c.trap_addresses = rep.strings("trap_addresses");
  c.trap_domains = rep.strings("trap_domains");
  for (const std::string& a : c.trap_addresses)
    if (a.find('@') == std::string::npos) rep.invalid("trap_addresses", "not an address: \"" + a + "\"");
  for (const std::string& d : c.trap_domains)
    if (trim(d).empty() || d.find('@') != std::string::npos)
      rep.invalid("trap_domains", "not a domain: \"" + d + "\"");
  // The class thresholds (reputation.*) and the store (reputation.store ...)
  // are read by src/reputation through the dotted getters.
  auto th = reputation::Thresholds::from_config(cfg, "reputation");
  if (th) c.thresholds = *th;
  Section cl = cfg.section("classify");
  c.model = cl.string("model", c.model);
  c.min_learned = cl.integer("min_learned", c.min_learned, 0, int64_t{1} << 40);
  c.save_interval_s = cl.integer("save_interval_s", c.save_interval_s, 0, 86400 * 365);
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  if (!th) return tl::unexpected(th.error());
  return c;
}

reputation::Event event_of(const ScanState& s, reputation::Verdict verdict) {
  using reputation::AuthResult;
  reputation::Event e;
  e.type = reputation::EventType::kMessage;
  e.time = 0;  // the engine's clock
  if (s.env.has_ip) e.ip = s.env.ip.unmapped();
  e.helo = s.env.helo;
  e.mail_from = s.env.mail_from;
  if (const auto* f = s.headers.first("From")) {
    auto mbs = mime::parse_mailbox_list(f->value());
    if (mbs && !mbs->empty()) e.from = mbs->front().local_part + "@" + mbs->front().domain;
  }
  bool dkim_seen = false;
  for (const authres::ResInfo& r : s.auth) {
    const AuthResult res = reputation::parse_auth_result(r.result);
    if (r.method == "spf" && e.spf == AuthResult::kNone) {
      e.spf = res;
    } else if (r.method == "dmarc" && e.dmarc == AuthResult::kNone) {
      e.dmarc = res;
    } else if (r.method == "sender-id" && e.senderid == AuthResult::kNone) {
      e.senderid = r.result == "hardfail" ? AuthResult::kFail : res;
      for (const auto* n : {"from", "sender", "resent-from", "resent-sender"})
        if (auto v = r.property("header", n); !v.empty()) {
          e.pra = v;
          break;
        }
    } else if (r.method == "dkim") {
      if (res == AuthResult::kPass) {
        e.dkim = AuthResult::kPass;
        if (auto d = to_lower(r.property("header", "d"));
            !d.empty() && std::find(e.dkim_domains.begin(), e.dkim_domains.end(), d) == e.dkim_domains.end())
          e.dkim_domains.push_back(std::move(d));
      } else if (!dkim_seen) {
        e.dkim = res;
      }
      dkim_seen = true;
    }
  }
  e.fcrdns = !s.rdns_name.empty();
  e.recipients = static_cast<uint32_t>(std::max<size_t>(1, s.env.rcpts.size()));
  e.verdict = verdict;
  if (const auto* p = s.headers.first("List-Unsubscribe-Post"))
    e.list_unsubscribe_one_click = s.headers.first("List-Unsubscribe") != nullptr &&
                                   to_lower(trim(p->value())) == "list-unsubscribe=one-click";
  if (const auto* f = s.headers.first("Feedback-ID")) e.feedback_id = std::string(trim(f->value()));
  if (const auto* f = s.headers.first("List-Id")) e.list_id = angle_value(f->value());
  return e;
}

// ---------------------------------------------------------------- checks
class ContentCheck final : public Check {
 public:
  ContentCheck(const PolicyConfig& cfg, std::shared_ptr<Feedback> fb) : cfg_(cfg), fb_(std::move(fb)) {}
  std::string_view name() const override { return "content"; }
  Stage stage() const override { return Stage::kData; }
  void run(const std::shared_ptr<ScanState>& s, std::function<void()> done) override {
    if (!fb_->classifier()) {
      done();
      return;
    }
    const int64_t min_learned = fb_->setting(&FeedbackConfig::min_learned);
    classify::Verdict v;
    double t = 0;
    bool scored = false;
    {
      // The model under its lock (learning, a save's copy or a SIGHUP load
      // meanwhile on other threads); done() outside it.
      const std::lock_guard lk(fb_->model_mu_);
      if (classify::Classifier* c = fb_->classifier_.get()) {
        const classify::Model& m = c->model();
        if (static_cast<int64_t>(m.hams() + m.spams()) >= min_learned) {
          v = c->classify(s->message);
          t = std::clamp(static_cast<double>(m.threshold()), 1e-6, 1 - 1e-6);
          scored = true;
        }
      }
    }
    if (!scored) {
      done();
      return;
    }
    const std::string why = "P(spam) " + num(v.score) + ", threshold " + num(t);
    if (v.score >= t) {
      s->add(name(), "CONTENT_SPAM", cfg_.scores("CONTENT_SPAM") * (v.score - t) / (1 - t), why);
    } else {
      s->add(name(), "CONTENT_HAM", cfg_.scores("CONTENT_HAM") * (t - v.score) / t, why);
    }
    done();
  }

 private:
  const PolicyConfig& cfg_;
  std::shared_ptr<Feedback> fb_;
};

class ReputationCheck final : public Check {
 public:
  ReputationCheck(const PolicyConfig& cfg, std::shared_ptr<Feedback> fb) : cfg_(cfg), fb_(std::move(fb)) {}
  std::string_view name() const override { return "reputation"; }
  Stage stage() const override { return Stage::kData; }
  int wave() const override { return 2; }
  void run(const std::shared_ptr<ScanState>& s, std::function<void()> done) override {
    reputation::StoreService* svc = fb_->service();
    if (!svc || !fb_->cfg_.reputation) {
      done();
      return;
    }
    // The verdict so far (before any reputation symbol: no feedback loop).
    reputation::Verdict verdict = reputation::Verdict::kNone;
    const double score = s->score();
    if ((s->forced && *s->forced == Action::kReject) || score >= cfg_.quarantine_score) {
      verdict = reputation::Verdict::kSpam;
    } else if (!s->temp_failed && !s->forced && score < cfg_.add_header_score) {
      verdict = reputation::Verdict::kHam;
    }
    reputation::Event e = event_of(*s, verdict);
    const auto ids = reputation::identities_of(e, dmarc::PublicSuffixList::system());
    std::vector<std::string> keys;
    for (const auto& id : ids)
      if (sender_kind(id.kind)) keys.push_back(id.key);
    // The in-memory store answers in well under a microsecond and never
    // waits for I/O (one mutex, held by the writer for one slice of 256
    // in-memory merges at most): asked here on the loop, without the hand-off to the service's
    // reader and back (two thread wake-ups per message, the largest cost
    // that did not scale with the loops; docs/design.md "Event loops").
    if (svc->store().name() == "memory") {
      looked_up(*s, std::move(e), svc->engine().report_many(keys));
      done();
      return;
    }
    // Else one store round trip for all, on the store's thread, within the
    // budget; the answer comes back on this loop.
    svc->report_many(std::move(keys),
                     std::chrono::milliseconds(fb_->setting(&FeedbackConfig::lookup_timeout_ms)),
                     [this, s, e = std::move(e),
                      done = std::move(done)](Result<std::vector<reputation::Report>> reports) mutable {
                       looked_up(*s, std::move(e), std::move(reports));
                       done();
                     });
  }

 private:
  void looked_up(ScanState& st, reputation::Event e, Result<std::vector<reputation::Report>> reports) {
    ScanState* s = &st;
    struct Seen {
      reputation::SenderClass cls;
      std::string ids, first_reasons;
      double rep_score = 0;
    };
    std::vector<Seen> seen;
    bool said = false;  // REP_UNAVAILABLE once
    if (!reports) {
      if (reports.error().message.find("took longer") != std::string::npos) fb_->lookup_timeouts_++;
      unavailable(*s, reports.error().message);
      said = true;
      // Tempfailed: the MTA sends the message again, counted then.
      if (fb_->setting(&FeedbackConfig::tempfail)) return;
      reports = std::vector<reputation::Report>{};  // the event is still counted
    }
    if (const reputation::OverrideStore* ov = fb_->overrides())
      for (reputation::Report& r : *reports) apply_override(*ov, r);
    for (const reputation::Report& r : *reports) {
      if (r.cls == reputation::SenderClass::kUnknown) continue;
      auto it = std::find_if(seen.begin(), seen.end(), [&](const Seen& x) { return x.cls == r.cls; });
      if (it != seen.end()) {
        if (it->ids.size() < 200) it->ids += ", " + r.identity;
        continue;
      }
      std::string reasons;
      for (const auto& why : r.reasons) reasons += (reasons.empty() ? "" : ", ") + why.code;
      seen.push_back(Seen{r.cls, r.identity, std::move(reasons), r.score});
    }
    const bool bad = std::any_of(seen.begin(), seen.end(), [](const Seen& x) { return is_bad(x.cls); });
    for (const Seen& x : seen) {
      if (bad && !is_bad(x.cls)) continue;  // a bad identity outweighs good ones
      std::string sym;
      switch (x.cls) {
        case reputation::SenderClass::kSpammer: sym = "REP_SPAMMER"; break;
        case reputation::SenderClass::kCompromised: sym = "REP_COMPROMISED"; break;
        case reputation::SenderClass::kBulk: sym = x.rep_score >= 0 ? "REP_BULK_OK" : "REP_BULK"; break;
        case reputation::SenderClass::kTransactional: sym = "REP_TRANSACTIONAL"; break;
        case reputation::SenderClass::kUnknown: continue;
      }
      const double w = cfg_.scores(sym);
      s->add(name(), std::move(sym), w,
             x.ids + " (score " + num(x.rep_score) + (x.first_reasons.empty() ? "" : ": " + x.first_reasons) +
                 ")");
    }
    size_t traps = 0;
    std::string first_trap;
    for (const std::string& r : s->env.rcpts)
      if (fb_->is_trap(r) && traps++ == 0) first_trap = angle_value(r);
    std::optional<reputation::Event> trap;
    if (traps > 0) trap = e;
    const log::MessageScope scope(s->log_id());
    if (!s->look_only && log::get()->should_log(spdlog::level::debug))
      log::get()->debug("{}: reputation event {}", s->log_id(), reputation::event_to_json(e));
    if (s->look_only) {
      // Looks only: the symbols, no events.
    } else if (auto qs = fb_->queue(std::move(e)); !qs) {
      if (!said) unavailable(*s, qs.error().message);
      return;
    }
    if (trap) {
      trap->type = reputation::EventType::kTrap;
      if (!s->look_only) fb_->trap_hits_++;
      s->add(name(), "REP_TRAP_HIT", cfg_.scores("REP_TRAP_HIT"),
             first_trap + (traps > 1 ? " and " + std::to_string(traps - 1) + " more trap(s)" : ""));
      if (s->look_only) return;
      if (auto qs = fb_->queue(std::move(*trap)); !qs && !said) unavailable(*s, qs.error().message);
    }
  }

  // An operator's block or allow (reputation/overrides.h) over the class.
  static void apply_override(const reputation::OverrideStore& ov, reputation::Report& r) {
    auto o = ov.find(r.identity);
    if (!o) return;
    if (o->action == reputation::OverrideAction::kBlock) {
      r.cls = reputation::SenderClass::kSpammer;
      r.reasons = {reputation::Reason{"OVERRIDE_BLOCK", 0, o->reason}};
    } else if (o->action == reputation::OverrideAction::kAllow && is_bad(r.cls)) {
      r.cls = reputation::SenderClass::kUnknown;
    }
  }

  void unavailable(ScanState& s, const std::string& why) {
    if (fb_->setting(&FeedbackConfig::tempfail)) {
      s.tempfail("REPUTATION", "store: " + why);
    } else {
      s.add(name(), "REP_UNAVAILABLE", 0, "store: " + why);
    }
  }
  const PolicyConfig& cfg_;
  std::shared_ptr<Feedback> fb_;
};

// ---------------------------------------------------------------- Feedback
// A worker thread for Feedback's blocking work when there is no store
// service (reputation off): model loads, learning and saves, Maildir reads.
class Feedback::OffLoop {
 public:
  OffLoop() : thread_([this] { loop(); }) {}
  ~OffLoop() {
    {
      const std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // a job held the last reference to Feedback: it ends after this
    } else {
      thread_.join();
    }
  }
  void run(std::function<void()> work, std::function<void()> done, Executor* ex) {
    {
      const std::lock_guard lk(mu_);
      q_.push_back(Job{std::move(work), std::move(done), ex});
    }
    cv_.notify_one();
  }

 private:
  struct Job {
    std::function<void()> work, done;
    Executor* ex;
  };
  void loop() {
    for (;;) {
      Job j;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;  // stopping, and every job run
        j = std::move(q_.front());
        q_.pop_front();
      }
      j.work();
      if (j.done) j.ex->post(std::move(j.done));
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> q_;
  bool stop_ = false;
  std::thread thread_;
};

Feedback::Feedback(FeedbackConfig cfg, const Clock& clock, std::string authserv_id)
    : cfg_(std::move(cfg)), clock_(clock), authserv_id_(std::move(authserv_id)) {
  last_save_ = clock_.unix_seconds();
  batching_ = Batching{cfg_.flush_ms, cfg_.flush_events, cfg_.max_pending};
  any_traps_.store(!cfg_.trap_addresses.empty() || !cfg_.trap_domains.empty(), std::memory_order_relaxed);
}

Feedback::~Feedback() = default;

void Feedback::set_store(std::unique_ptr<reputation::Store> store, Metrics* metrics) {
  service_.reset();
  if (store && cfg_.reputation) {
    reputation::ServiceOptions o;
    if (metrics) {
      o.read_seconds = &metrics->histogram("rampart_store_read_seconds",
                                           "Reputation store reads (one lookup of a scan's identities).",
                                           latency_buckets());
      o.write_seconds = &metrics->histogram("rampart_store_write_seconds",
                                            "Reputation store writes (one group of event batches, durable).",
                                            latency_buckets());
    }
    o.max_queued_events = static_cast<size_t>(std::max<int64_t>(cfg_.max_pending, 1));
    o.write_delay = std::chrono::milliseconds(cfg_.debug_write_delay_ms);  // tests only
    service_ = std::make_unique<reputation::StoreService>(std::move(store), clock_, cfg_.thresholds,
                                                          dmarc::PublicSuffixList::system(), o);
  }
}

Result<size_t> Feedback::replay_spool() {
  if (!service_ || spool_dir_.empty()) return size_t{0};
  auto n = service_->replay_spool(spool_dir_);
  if (n && *n > 0) log::get()->info("reputation: {} spooled event batches applied from {}", *n, spool_dir_);
  return n;
}

Status Feedback::drain(std::chrono::steady_clock::time_point deadline) {
  Status result;
  if (service_) {
    std::vector<reputation::Event> left;
    {
      const std::lock_guard lk(pending_mu_);
      left.swap(pending_);
    }
    auto n = service_->drain(deadline, spool_dir_, std::move(left));
    if (!n) {
      log::get()->error("reputation: events not written at exit: {}", n.error().message);
      result = tl::unexpected(n.error());
    } else if (*n > 0) {
      log::get()->warn("reputation: {} events not written in time: spooled to {} (applied at the next start)",
                       *n, spool_dir_);
    }
    // The service's threads (a reader or the writer still in a store call,
    // the read timer, the worker) post to the loops' executors: joined here,
    // while those exist (rampartd destroys its loops later). From now on the
    // reputation check and endpoints are off, as without a store.
    service_.reset();
  }
  // Feedback's own worker (reputation off) likewise: its last jobs run and
  // post while the loops' executors still exist.
  std::unique_ptr<OffLoop> off;
  {
    const std::lock_guard lk(off_mu_);
    off = std::move(off_loop_);
  }
  off.reset();
  if (auto st = save_model(true); !st) {
    log::get()->error("classify: saving {} failed: {}", cfg_.model, st.error().message);
    if (result) result = st;
  }
  return result;
}

void Feedback::stamp_model() {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(cfg_.model, ec);
  if (ec) {
    model_mtime_.reset();
  } else {
    model_mtime_ = t;
  }
}

Status Feedback::load_model() {
  if (cfg_.model.empty()) {
    const std::lock_guard lk(model_mu_);
    classifier_.reset();
    return {};
  }
  std::error_code ec;
  if (!std::filesystem::exists(cfg_.model, ec)) {
    auto c = classify::Classifier::create(classify::Channel::kEmail,
                                          classify::default_feature_options(classify::Channel::kEmail),
                                          classify::default_learner_options(classify::Channel::kEmail));
    const std::lock_guard lk(model_mu_);
    classifier_.reset();
    if (!c) return tl::unexpected(c.error());
    classifier_ = std::make_unique<classify::Classifier>(std::move(*c));
    model_mtime_.reset();
    log::get()->info("classify: {} does not exist: a fresh model (saved after learning)", cfg_.model);
    return {};
  }
  // Read and parsed outside the lock (the loops' content checks go on with
  // what they have), put in place under it.
  auto c = classify::Classifier::open(cfg_.model);
  const std::lock_guard lk(model_mu_);
  classifier_.reset();
  if (!c) {
    model_errors_++;
    return fail(c.error().code, "classify: model " + cfg_.model + " refused: " + c.error().message);
  }
  classifier_ = std::make_unique<classify::Classifier>(std::move(*c));
  stamp_model();
  learned_since_save_ = 0;
  return {};
}

Status Feedback::reload_model() {
  if (cfg_.model.empty()) return {};
  bool missing = false;
  {
    const std::lock_guard lk(model_mu_);
    if (!classifier_) missing = true;
  }
  if (missing) return load_model();
  std::error_code ec;
  auto t = std::filesystem::last_write_time(cfg_.model, ec);
  {
    const std::lock_guard lk(model_mu_);
    if (ec || (model_mtime_ && *model_mtime_ == t)) return {};  // unchanged (or gone): keep ours
  }
  // The file is read and parsed outside the lock (it may be large, or on a
  // slow disk): the content checks use the old model meanwhile; the new one
  // replaces it in the same Classifier object (whose address the checks read).
  auto c = classify::Classifier::open(cfg_.model);
  if (!c) {
    model_errors_++;
    return fail(c.error().code, "classify: model " + cfg_.model +
                                    " refused, the old model stays in use: " + c.error().message);
  }
  const std::lock_guard lk(model_mu_);
  if (!classifier_) return {};
  *classifier_ = std::move(*c);
  stamp_model();
  learned_since_save_ = 0;
  return {};
}

void Feedback::reload_model_off_loop() {
  run_off_loop(
      [self = shared_from_this()] {
        if (auto st = self->reload_model(); !st) log::get()->error("{}", st.error().message);
      },
      nullptr);
}

void Feedback::run_off_loop(std::function<void()> work, std::function<void()> done) {
  Executor* ex = current_executor();
  if (!ex) {  // no loop to keep free (tools, tests, start-up)
    work();
    if (done) done();
    return;
  }
  if (service_) return service_->run(std::move(work), std::move(done));
  {
    const std::lock_guard lk(off_mu_);
    if (!off_loop_) off_loop_ = std::make_unique<OffLoop>();
  }
  off_loop_->run(std::move(work), std::move(done), ex);
}

Status Feedback::save_model(bool force) {
  if (!classifier_ || cfg_.model.empty() || learned_since_save_ == 0) return {};
  const int64_t now = clock_.unix_seconds();
  if (!force && now - last_save_ < setting(&FeedbackConfig::save_interval_s)) return {};
  // A copy taken under the lock (memory only), written outside it: the
  // loops' content checks do not wait for the disk.
  std::optional<classify::Model> copy;
  uint64_t learned = 0;
  {
    const std::lock_guard lk(model_mu_);
    if (!classifier_) return {};  // a failed SIGHUP load meanwhile
    copy.emplace(classifier_->model());
    learned = learned_since_save_;
  }
  if (auto st = copy->save(cfg_.model); !st) {
    model_errors_++;
    return st;
  }
  model_saves_++;
  last_save_ = now;
  learned_since_save_ -= learned;
  const std::lock_guard lk(model_mu_);
  stamp_model();
  return {};
}

void Feedback::reconfigure(const FeedbackConfig& c) {
  bool to_once = false;
  {
    // Short: the other loops read these meanwhile (setting()).
    const std::lock_guard lk(mu_);
    cfg_.tempfail = c.tempfail;
    cfg_.trusted_authserv_ids = c.trusted_authserv_ids;
    cfg_.reporters = c.reporters;
    cfg_.min_learned = c.min_learned;
    cfg_.save_interval_s = c.save_interval_s;
    cfg_.trap_addresses = c.trap_addresses;
    cfg_.trap_domains = c.trap_domains;
    any_traps_.store(!cfg_.trap_addresses.empty() || !cfg_.trap_domains.empty(), std::memory_order_relaxed);
    cfg_.flush_events = c.flush_events;
    cfg_.max_pending = c.max_pending;
    to_once = c.flush_ms == 0 && cfg_.flush_ms != 0;
    cfg_.flush_ms = c.flush_ms;
    cfg_.lookup_timeout_ms = c.lookup_timeout_ms;
  }
  {
    const std::lock_guard lk(pending_mu_);
    batching_ = Batching{c.flush_ms, c.flush_events, c.max_pending};
  }
  if (to_once) (void)flush();  // from batched to at once: what was queued goes now
}

void Feedback::add_checks(Pipeline& p) {
  if (!cfg_.model.empty()) p.add(std::make_unique<ContentCheck>(p.config(), shared_from_this()));
  if (cfg_.reputation) p.add(std::make_unique<ReputationCheck>(p.config(), shared_from_this()));
}

Status Feedback::queue(reputation::Event e) {
  if (!service_) return {};
  if (e.time == 0) e.time = clock_.unix_seconds();
  bool full = false, at_once = false;
  {
    const std::lock_guard lk(pending_mu_);
    const Batching b = batching_;
    if (b.flush_ms <= 0) {
      at_once = true;
    } else {
      if (pending_.empty() && last_flush_ == std::chrono::steady_clock::time_point{})
        last_flush_ = clock_.monotonic();
      pending_.push_back(std::move(e));
      if (static_cast<int64_t>(pending_.size()) > b.max_pending) {
        const size_t drop = pending_.size() - static_cast<size_t>(std::max<int64_t>(b.max_pending, 0));
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop));
        dropped_ += drop;
      }
      full = static_cast<int64_t>(pending_.size()) >= b.flush_events;
    }
  }
  if (at_once) {
    if (!current_executor()) {
      Status got;
      record(std::move(e), [&](Status st) { got = std::move(st); });
      return got;
    }
    // On a loop: the writer takes it (retried while the store is down).
    events_++;
    std::vector<reputation::Event> one;
    one.push_back(std::move(e));
    if (service_->record(std::move(one), reputation::StoreService::kKeep, nullptr).empty()) {
      store_errors_++;
      dropped_++;
      return fail(Errc::kTemporary, "reputation write queue full");
    }
    return {};
  }
  if (full) return flush();
  return {};
}

Status Feedback::flush() {
  std::vector<reputation::Event> batch;
  {
    const std::lock_guard lk(pending_mu_);
    last_flush_ = clock_.monotonic();
    if (pending_.empty() || !service_) return {};
    batch.swap(pending_);
  }
  const size_t n = batch.size();
  const int64_t max_pending = std::max<int64_t>(setting(&FeedbackConfig::max_pending), 0);
  auto keep = [this, max_pending](std::vector<reputation::Event> evs) {
    // Back in front of what was queued meanwhile, bounded by max_pending.
    const std::lock_guard lk(pending_mu_);
    evs.insert(evs.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.swap(evs);
    if (static_cast<int64_t>(pending_.size()) > max_pending) {
      const size_t drop = pending_.size() - static_cast<size_t>(max_pending);
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop));
      dropped_ += drop;
    }
  };
  if (!current_executor()) {  // no loop: written now; kept on error
    std::vector<reputation::Event> copy = batch;
    Status got;
    service_->record(std::move(batch), reputation::StoreService::kAnswer,
                     [&](Status st) { got = std::move(st); });
    if (!got) {
      store_errors_++;
      log::get()->warn("reputation: writing {} queued events failed ({}); kept for the next flush", n,
                       got.error().message);
      keep(std::move(copy));
      return got;
    }
    events_ += n;
    flushes_++;
    return {};
  }
  // On a loop: the service's writer takes the batch and retries it while the
  // store is down; refused only when its queue is full (kept here then).
  // (record_keep: refused, the batch is handed back, not copied beforehand.)
  if (service_->record_keep(batch).empty()) {
    store_errors_++;
    keep(std::move(batch));
    return fail(Errc::kTemporary, "reputation write queue full: the events stay queued here");
  }
  events_ += n;
  flushes_++;
  return {};
}

void Feedback::tick() {
  const auto every = std::chrono::milliseconds(setting(&FeedbackConfig::flush_ms));
  {
    const std::lock_guard lk(pending_mu_);
    if (pending_.empty()) return;
    if (clock_.monotonic() - last_flush_ < every) return;
  }
  (void)flush();
}

void Feedback::record(reputation::Event e, std::function<void(Status)> done) {
  if (!service_) return done(Status{});
  std::vector<reputation::Event> one;
  one.push_back(std::move(e));
  service_->record(std::move(one), reputation::StoreService::kAnswer,
                   [self = shared_from_this(), done = std::move(done)](Status st) {
                     if (st) {
                       self->events_++;
                     } else {
                       self->store_errors_++;
                     }
                     done(std::move(st));
                   });
}

namespace {
Feedback::Answer error_answer(int status, std::string_view why) {
  return Feedback::Answer{status, JsonObject().str("error", why).done()};
}
Feedback::Answer disabled() { return error_answer(503, "reputation is disabled"); }
// The callback form's answer, when it came before the call returned (no loop).
template <typename Start>
Feedback::Answer answer_now(Start start) {
  std::optional<Feedback::Answer> got;
  start([&got](Feedback::Answer a) { got = std::move(a); });
  if (got) return std::move(*got);
  return error_answer(500, "answered later: use the callback form on an event loop");
}
}  // namespace

Feedback::Answer Feedback::post_events(std::string_view body) {
  return answer_now([&](AnswerDone d) { post_events(body, std::move(d)); });
}
Feedback::Answer Feedback::get_reputation(std::string_view identity, bool with_counters) {
  return answer_now([&](AnswerDone d) { get_reputation(identity, with_counters, std::move(d)); });
}
Feedback::Answer Feedback::post_learn(std::string_view label, std::string_view body,
                                      std::string_view client_ip) {
  return answer_now([&](AnswerDone d) { post_learn(label, std::string(body), client_ip, std::move(d)); });
}

void Feedback::post_events(std::string_view body, AnswerDone done) {
  if (!service_) return done(disabled());
  size_t rejected = 0, line_no = 0;
  std::vector<std::string> errors, out_of_window;
  std::vector<reputation::Event> events;
  // Every line is read and its time checked before any is applied: one
  // line out of the time window refuses the whole request.
  const int64_t now = clock_.unix_seconds();
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto ev = reputation::parse_event_json(line);
    if (!ev) {
      ++rejected;
      if (errors.size() < 100)
        errors.push_back("line " + std::to_string(line_no) + ": " + ev.error().message);
      continue;
    }
    if (ev->time > now + kMaxEventFutureSeconds) {
      if (out_of_window.size() < 100)
        out_of_window.push_back("line " + std::to_string(line_no) + ": time " + std::to_string(ev->time) +
                                " is more than " + std::to_string(kMaxEventFutureSeconds) +
                                " s in the future");
    } else if (ev->time != 0 && ev->time < now - kMaxEventAgeSeconds) {
      if (out_of_window.size() < 100)
        out_of_window.push_back("line " + std::to_string(line_no) + ": time " + std::to_string(ev->time) +
                                " is older than the decay horizon (" +
                                std::to_string(kMaxEventAgeSeconds / 86400) + " days)");
    }
    events.push_back(std::move(*ev));
  }
  if (!out_of_window.empty())
    return done(Answer{400, JsonObject()
                                .str("error", "events out of the time window; nothing applied")
                                .num("accepted", static_cast<int64_t>(0))
                                .num("rejected", static_cast<int64_t>(events.size() + rejected))
                                .strings("errors", out_of_window)
                                .done()});
  const size_t accepted = events.size();
  auto answer = [rejected, accepted, errors = std::move(errors)](Status st) {
    if (!st)
      return Answer{503, JsonObject()
                             .str("error", "reputation store: " + st.error().message)
                             .num("accepted", static_cast<int64_t>(0))
                             .done()};
    return Answer{rejected == 0 || accepted > 0 ? 200 : 400,
                  JsonObject()
                      .num("accepted", static_cast<int64_t>(accepted))
                      .num("rejected", static_cast<int64_t>(rejected))
                      .strings("errors", errors)
                      .done()};
  };
  if (events.empty()) return done(answer(Status{}));
  // One batch, one op id: applied all together, once; answered when durable.
  service_->record(
      std::move(events), reputation::StoreService::kAnswer,
      [self = shared_from_this(), accepted, answer = std::move(answer), done = std::move(done)](Status st) {
        if (st) {
          self->events_ += accepted;
        } else {
          self->store_errors_++;
        }
        done(answer(std::move(st)));
      });
}

void Feedback::get_reputation(std::string_view identity, bool with_counters, AnswerDone done) {
  if (!service_) return done(disabled());
  if (identity.empty() || identity.find(':') == std::string_view::npos)
    return done(error_answer(400, "identity must look like domain:example.com or ip:192.0.2.1"));
  std::vector<std::string> keys;
  // Other channels' identities (issue 16) as the engine keys them:
  // "voice:+1-202-555-0100" is voice:+12025550100.
  if (auto k = reputation::canonical_channel_key(identity))
    keys.push_back(std::move(*k));
  else
    keys.emplace_back(identity);
  // A reader's budget: the scan's, at least a second (a person or a script waits).
  const auto budget =
      std::chrono::milliseconds(std::max<int64_t>(setting(&FeedbackConfig::lookup_timeout_ms), 1000));
  service_->report_many(std::move(keys), budget,
                        [with_counters, done = std::move(done)](Result<std::vector<reputation::Report>> r) {
                          if (!r) return done(error_answer(503, "reputation store: " + r.error().message));
                          done(Answer{200, (*r)[0].to_json(with_counters)});
                        });
}

void Feedback::set_resolver(dns::Resolver& resolver) {
  verifier_ = std::make_unique<dkim::Verifier>(resolver, clock_);
}

bool Feedback::is_trap(std::string_view rcpt) const {
  // Most configurations list no traps: then no lock (every scan of every
  // loop asks, and the mutex's line would move between the loops' cores).
  if (!any_traps_.load(std::memory_order_relaxed)) return false;
  std::string a = to_lower(angle_value(rcpt));
  if (a.empty()) return false;
  const std::lock_guard lk(mu_);  // SIGHUP may change the lists meanwhile
  for (const std::string& t : cfg_.trap_addresses)
    if (to_lower(angle_value(t)) == a) return true;
  const size_t at = a.rfind('@');
  if (at == std::string::npos) return false;
  std::string_view dom = std::string_view(a).substr(at + 1);
  if (!dom.empty() && dom.back() == '.') dom.remove_suffix(1);
  for (const std::string& t : cfg_.trap_domains) {
    std::string_view td = trim(t);
    if (!td.empty() && td.back() == '.') td.remove_suffix(1);
    if (!td.empty() && to_lower(td) == dom) return true;
  }
  return false;
}

Feedback::Answer Feedback::get_rejected(std::string_view id) const {
  const std::lock_guard lk(mu_);  // reports are refused on loop 0, read from any loop
  if (id.empty()) {
    std::string kept = "[";
    for (const auto& e : rejected_.entries())
      kept += (kept.size() > 1 ? ", " : "") + JsonObject()
                                                  .num("id", static_cast<int64_t>(e.seq))
                                                  .num("time", e.time)
                                                  .str("reason", e.reason)
                                                  .num("bytes", static_cast<int64_t>(e.raw.size()))
                                                  .done();
    return Answer{
        200,
        JsonObject().num("total", static_cast<int64_t>(rejected_.total())).raw("kept", kept + "]").done()};
  }
  uint64_t seq = 0;
  for (char c : id) {
    if (c < '0' || c > '9' || seq > (UINT64_MAX - 9) / 10) return error_answer(400, "bad report id");
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  const auto* e = rejected_.find(seq);
  if (!e) return error_answer(404, "no such rejected report (kept: the newest ones only)");
  return Answer{200, JsonObject()
                         .num("id", static_cast<int64_t>(e->seq))
                         .num("time", e->time)
                         .str("reason", e->reason)
                         .str("raw", e->raw)
                         .done()};
}

Feedback::Answer Feedback::reject_report(std::string_view body, const std::string& why) {
  reports_rejected_++;
  {
    const std::lock_guard lk(mu_);
    rejected_.keep(body, why, clock_.unix_seconds());
  }
  return Answer{
      400, JsonObject().str("error", why).num("accepted", 0).num("rejected", 1).str("reason", why).done(),
      why};
}

void Feedback::post_report(std::string body, std::function<void(Answer)> done) {
  if (!service_) return done(disabled());
  auto rep = reputation::parse_arf(body);
  if (!rep) return done(reject_report(body, rep.error().message));
  // Only the operator's listed authserv-ids: whoever sends a report writes
  // its original, so Authentication-Results claiming ours prove nothing.
  std::vector<std::string> trusted;
  for (const std::string& id : setting(&FeedbackConfig::trusted_authserv_ids))
    if (strcasecmp(id.c_str(), authserv_id_.c_str()) != 0) trusted.push_back(id);
  if (!verifier_ || !rep->original_complete) {
    const auto auth = reputation::auth_from_headers(*rep, trusted);
    return report_answer(std::move(body), *rep, auth, std::move(done));
  }
  // The report and its body live in the frame until the keys are in.
  struct Pending {
    std::string body;
    reputation::ArfReport rep;
  };
  auto p = std::make_shared<Pending>(Pending{std::move(body), std::move(*rep)});
  reports_reverified_++;
  start(reputation::reauthenticate_task(p->rep, *verifier_, dmarc::PublicSuffixList::system(),
                                        std::move(trusted)),
        [self = shared_from_this(), p, done = std::move(done)](reputation::OriginalAuth auth) mutable {
          self->report_answer(std::move(p->body), p->rep, auth, std::move(done));
        });
}

void Feedback::post_mailbox_report(std::string body, std::function<void(Answer)> done) {
  if (!service_) return done(disabled());
  std::string from_domain;
  const auto head = mime::HeaderSection::parse(body);
  for (const auto& f : head.fields())
    if (iequals(f.name, "From")) {
      from_domain = to_lower(reputation::domain_of(angle_value(f.value_raw)));
      break;
    }
  std::optional<FeedbackConfig::Reporter> who;  // a copy: SIGHUP may change the list meanwhile
  {
    const std::lock_guard lk(mu_);
    for (const auto& r : cfg_.reporters) {
      const std::string_view d = from_domain;
      if (d == r.domain || (d.size() > r.domain.size() && d.substr(d.size() - r.domain.size()) == r.domain &&
                            d[d.size() - r.domain.size() - 1] == '.')) {
        who = r;
        break;
      }
    }
  }
  if (!who)
    return done(reject_report(
        body, "not from a listed reporter ([[reputation.reporters]]): From domain \"" + from_domain + "\""));
  if (!who->dkim) return post_report(std::move(body), std::move(done));
  if (!verifier_)
    return done(reject_report(body, "reporter " + who->name + " needs DKIM and no resolver is set"));
  auto p = std::make_shared<std::string>(std::move(body));
  verifier_->verify(*p, [self = shared_from_this(), p, name = who->name, domain = who->domain,
                         done = std::move(done)](std::vector<dkim::SignatureResult> results) mutable {
    bool ok = false;
    for (const auto& r : results) ok = ok || (r.result == dkim::Verdict::kPass && iequals(r.domain, domain));
    if (!ok)
      return done(self->reject_report(
          *p, "report from reporter " + name + " without a valid DKIM signature of d=" + domain));
    self->post_report(std::move(*p), std::move(done));
  });
}

void Feedback::verify_dkim(std::shared_ptr<const std::string> message,
                           std::function<void(std::vector<dkim::SignatureResult>)> done) {
  if (!verifier_ || !message) return done({});
  verifier_->verify(*message, [message, done = std::move(done)](std::vector<dkim::SignatureResult> r) {
    done(std::move(r));
  });
}

void Feedback::report_answer(std::string body, const reputation::ArfReport& rep,
                             const reputation::OriginalAuth& auth, AnswerDone done) {
  auto ev = reputation::to_event(rep, auth, clock_.unix_seconds());
  if (!ev) return done(reject_report(body, ev.error().message));
  if (!service_) return done(disabled());
  std::vector<std::string> ids;
  for (const auto& id : reputation::identities_of(*ev, dmarc::PublicSuffixList::system()))
    ids.push_back(id.key);
  std::string ok = JsonObject()
                       .num("accepted", 1)
                       .num("rejected", 0)
                       .str("reason", "")
                       .str("type", reputation::event_type_name(ev->type))
                       .str("style", reputation::arf_style_name(rep.style))
                       .str("auth", auth.how)
                       .str("dkim", reputation::auth_result_name(auth.dkim))
                       .str("dmarc", reputation::auth_result_name(auth.dmarc))
                       .strings("identities", ids)
                       .strings("warnings", rep.warnings)
                       .done();
  // 200 once the complaint is durable; 503 (send it again) when the store failed.
  record(std::move(*ev), [self = shared_from_this(), ok = std::move(ok), done = std::move(done)](Status st) {
    if (!st) return done(error_answer(503, "reputation store: " + st.error().message));
    self->reports_accepted_++;
    done(Answer{200, ok});
  });
}

void Feedback::post_learn(std::string_view label, std::string body, std::string_view client_ip,
                          AnswerDone done) {
  const std::string l = to_lower(trim(label));
  if (l != "spam" && l != "ham") return done(error_answer(400, "X-Label must be spam or ham"));
  const bool spam = l == "spam";
  if (trim(body).empty() || mime::HeaderSection::parse(body).size() == 0)
    return done(error_answer(400, "the body is not a message (no header fields)"));
  std::optional<IpAddress> ip;
  if (!trim(client_ip).empty()) {
    auto p = IpAddress::parse(trim(client_ip));
    if (!p) return done(error_answer(400, "X-Client-IP is not an IP address"));
    ip = p->unmapped();
  }
  if (!classifier_ && !service_)
    return done(error_answer(503, "neither a content model nor reputation is configured"));
  // The message's reputation event (read on the loop: parsing only).
  std::optional<reputation::Event> ev;
  std::string rep_reason;
  if (service_) {
    // The message as a JMRP-style report: the same reading of its header
    // fields (From, Return-Path, List-Id, Feedback-ID, Received, trusted
    // Authentication-Results) as a provider's complaint gets.
    std::string wrapped = "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n";
    wrapped += body;
    auto rep = reputation::parse_arf(wrapped);
    if (!rep) {
      rep_reason = rep.error().message;
    } else {
      rep->feedback_type = spam ? "abuse" : "not-spam";
      if (ip) rep->source_ip = ip;
      std::vector<std::string> trusted = setting(&FeedbackConfig::trusted_authserv_ids);
      trusted.push_back(authserv_id_);
      auto e =
          reputation::to_event(*rep, reputation::auth_from_headers(*rep, trusted), clock_.unix_seconds());
      if (!e) {
        rep_reason = e.error().message;
      } else {
        ev = std::move(*e);
      }
    }
  }
  struct State {
    std::string body, label, rep_type = "none", rep_reason;
    bool learned = false;
    int status = 200;
    AnswerDone done;
  };
  auto st = std::make_shared<State>();
  st->body = std::move(body);
  st->label = l;
  st->rep_reason = std::move(rep_reason);
  st->done = std::move(done);
  auto self = shared_from_this();
  auto answer = [st] {
    st->done(Answer{st->status, JsonObject()
                                    .boolean("learned", st->learned)
                                    .str("label", st->label)
                                    .str("reputation", st->rep_type)
                                    .str("reason", st->rep_reason)
                                    .done()});
  };
  // Then the reputation event, answered once durable.
  auto then_record = [self, st, ev = std::move(ev), answer]() mutable {
    if (!ev) return answer();
    const std::string type(reputation::event_type_name(ev->type));
    self->record(std::move(*ev), [st, type, answer](Status rs) {
      if (!rs) {
        st->rep_reason = "reputation store: " + rs.error().message;
        st->status = 503;
      } else {
        st->rep_type = type;
      }
      answer();
    });
  };
  if (!classifier_) return then_record();
  // Learning (and the save when due) on the store service's worker thread,
  // or here without a loop.
  auto learn = [self, st, spam] {
    {
      const std::lock_guard lk(self->model_mu_);
      if (!self->classifier_) return;  // a failed SIGHUP load meanwhile: not learned
      self->classifier_->learn(st->body, spam);
    }
    st->learned = true;
    self->learned_++;
    self->learned_since_save_++;
    if (auto s2 = self->save_model(false); !s2)
      log::get()->error("classify: saving {} failed: {}", self->cfg_.model, s2.error().message);
  };
  // Learning (and the save when due) off the loop: on the store service's
  // worker, or Feedback's own without reputation; here without a loop.
  run_off_loop(std::move(learn), std::move(then_record));
}

void Feedback::collect_metrics(MetricsWriter& w) const {
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    w.family(name, help, MetricType::kCounter);
    w.sample({}, v);
  };
  counter("rampart_reputation_events_total", "Reputation events recorded.", events_);
  counter("rampart_reputation_store_errors_total", "Reputation store errors.", store_errors_);
  counter("rampart_reputation_flushes_total", "Batches of scan events written (one store merge each).",
          flushes_);
  counter("rampart_reputation_events_dropped_total", "Scan events dropped past reputation.max_pending.",
          dropped_);
  w.family("rampart_reputation_pending_events", "Scan events waiting for the next flush.",
           MetricType::kGauge);
  w.sample({}, static_cast<uint64_t>(pending()));
  counter("rampart_reports_accepted_total", "ARF reports accepted (POST /v1/reports).", reports_accepted_);
  counter("rampart_reports_rejected_total", "ARF reports rejected (kept for inspection).", reports_rejected_);
  counter("rampart_reports_reverified_total", "ARF originals whose DKIM was verified again.",
          reports_reverified_);
  counter("rampart_trap_hits_total", "Scanned messages addressed to a configured spam trap.", trap_hits_);
  counter("rampart_classify_learned_total", "Messages learned (POST /v1/learn).", learned_);
  counter("rampart_classify_saves_total", "Content model saves.", model_saves_);
  counter("rampart_classify_errors_total", "Content model load or save errors.", model_errors_);
  counter("rampart_reputation_lookup_timeouts_total",
          "Scans whose reputation lookup ran past reputation.lookup_timeout_ms (REP_UNAVAILABLE).",
          lookup_timeouts_);
  if (service_) {
    const reputation::ServiceStats st = service_->stats();
    counter("rampart_reputation_store_groups_total", "Store writes of the reputation writer (one per group).",
            st.groups);
    counter("rampart_reputation_store_duplicates_total",
            "Event batches the store had applied before (op id seen: not counted again).", st.duplicates);
    counter("rampart_reputation_store_retries_total", "Event batches written again after a store error.",
            st.retries);
    counter("rampart_reputation_store_refused_total",
            "Writes and lookups refused at once: the store service's queue was full.",
            st.writes_refused + st.reads_refused);
    counter("rampart_reputation_spooled_events_total", "Events spooled at exit (not written in time).",
            st.spooled);
    w.family("rampart_reputation_store_queued_events", "Events waiting for the reputation writer.",
             MetricType::kGauge);
    w.sample({}, static_cast<uint64_t>(st.queued_events));
    w.family("rampart_reputation_store_writing_events",
             "Of the queued events, those in the store write in progress (a stalled disk shows here).",
             MetricType::kGauge);
    w.sample({}, static_cast<uint64_t>(st.writing_events));
  }
}

std::string Feedback::metrics() const {
  MetricsWriter w;
  collect_metrics(w);
  return w.text();
}

}  // namespace rampart::policy

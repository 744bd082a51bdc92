// File: src/server/daemon.cc
// rampartd assembled from its configuration (see daemon.h).
#include "server/daemon.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strings.h"
#include "dns/caching_resolver.h"
#include "dns/unbound_resolver.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/report_maildir.h"
#include "policy/throttle.h"
#include "reputation/event_json.h"
#include "server/http/feedback_routes.h"
#include "server/http/log_routes.h"
#include "server/http/router.h"
#ifdef HAVE_RAMPART_REDIS
#include "reputation/redis_limiter.h"
#endif
#ifdef HAVE_RAMPART_CALLS
#include "server/channel_reputation.h"
#endif

namespace rampart::server {

namespace {

#ifdef HAVE_RAMPART_REDIS
// The throttle's shared buckets: one per key in the reputation store's Redis
// Cluster (src/reputation/redis_limiter.h), with a short deadline: past it the
// Throttle answers from its local bucket.
class RedisBuckets final : public policy::SharedBuckets {
 public:
  explicit RedisBuckets(reputation::RedisLimiterOptions o) : lim_(std::move(o)) {}
  Result<bool> take(std::string_view key, const policy::RateLimit& limit) override {
    return lim_.take(key, limit.per_minute, limit.burst);
  }
  Result<int> take_pair(std::string_view first, const policy::RateLimit& first_limit, std::string_view second,
                        const policy::RateLimit& second_limit) override {
    return lim_.take_pair(first, first_limit.per_minute, first_limit.burst, second, second_limit.per_minute,
                          second_limit.burst);
  }

 private:
  reputation::RedisRateLimiter lim_;
};
#endif

// Every connection is a descriptor: the soft limit goes up to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

// Every section reader, then the keys none of them read: all errors at once
// (one per line, each naming file:line:column and key).
Result<DaemonSettings> read_daemon_settings(const DaemonArgs& a) {
  auto cfg = a.config_path.empty() ? Config::parse("", "<defaults>") : Config::load_file(a.config_path);
  if (!cfg) return tl::unexpected(cfg.error());
  if (a.milter) cfg->set_string("server.milter", *a.milter, "--milter");
  if (a.http) cfg->set_string("server.http", *a.http, "--http");
  if (!a.nameservers.empty()) cfg->set_strings("dns.nameservers", a.nameservers, "--nameserver");
  std::vector<std::string> errors;
  auto note = [&errors](const auto& r) {
    if (r) return;
    for (auto line : split(r.error().message, '\n'))
      if (std::find(errors.begin(), errors.end(), line) == errors.end()) errors.emplace_back(line);
  };
  auto pol = policy::PolicyConfig::from(*cfg);
  note(pol);
  auto fb = policy::FeedbackConfig::from(*cfg);
  note(fb);
  auto dm = policy::DaemonConfig::from(*cfg);
  note(dm);
  auto st = reputation::store_spec(*cfg, a.data_dir);
  note(st);
  auto so = ServerOptions::from(*cfg);
  note(so);
  auto ac = AccessControl::from(*cfg);
  note(ac);
#ifdef HAVE_RAMPART_LIVE_ZONES
  auto lz = LiveZonesConfig::from(*cfg);
  note(lz);
#endif
  auto cc = console::ConsoleConfig::from(*cfg, a.data_dir);
  note(cc);
  auto rc = reports::ReportsConfig::from(*cfg, a.data_dir);
  note(rc);
#ifdef HAVE_RAMPART_ZOMBIES
  auto fl = FlowsConfig::from(*cfg);
  note(fl);
#endif
#ifdef HAVE_RAMPART_CALLS
  auto calls = CallsConfig::from(*cfg, a.data_dir);
  note(calls);
  auto msgs = MessagesConfig::from(*cfg, a.data_dir);
  note(msgs);
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
  auto xc = ExchangeConfig::from(*cfg, a.data_dir);
  note(xc);
#endif
  auto lg = log::LogOptions::from(*cfg);
  note(lg);
  note(cfg->finish());
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return fail(Errc::kConfig, msg);
  }
  if (a.loops) so->loops = *a.loops;
  DaemonSettings out{
      std::move(*cfg),
      std::move(*pol),
      std::move(*fb),
      std::move(*dm),
      std::move(*st),
      std::move(*so),
      std::move(*ac),
#ifdef HAVE_RAMPART_LIVE_ZONES
      std::move(*lz),
#endif
      std::move(*cc),
      std::move(*rc),
#ifdef HAVE_RAMPART_ZOMBIES
      std::move(*fl),
#endif
#ifdef HAVE_RAMPART_CALLS
      std::move(*calls),
      std::move(*msgs),
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
      std::move(*xc),
#endif
      *lg,
  };
  return out;
}

struct Daemon::Impl {
  DaemonArgs args;
  DaemonSettings s;
  SystemClock clock;
  // First: it outlives the threads that observe its histograms (caches, the
  // store service, the server's loops).
  Metrics metrics;
  std::vector<std::unique_ptr<dns::Resolver>> upstreams;
  std::vector<std::unique_ptr<dns::CachingResolver>> caches;  // one per loop
  std::shared_ptr<policy::Throttle> throttle;
  std::shared_ptr<policy::Feedback> feedback;
  std::unique_ptr<policy::ReportIngest> ingest;
  std::unique_ptr<Router> router;
  std::unique_ptr<Server> server;
  std::unique_ptr<console::Console> console;        // [console] enabled
  std::shared_ptr<console::SenderHistory> senders;  // its per-sender history (the server's on_verdict)
  std::unique_ptr<reports::Outbox> outbox;          // [reports] enabled
  bool drained = false;                             // the store service's threads stopped (drain())
#ifdef HAVE_RAMPART_LIVE_ZONES
  // Manual overrides (scans and live zones) and the live DNSBL zones.
  std::shared_ptr<reputation::OverrideStore> overrides;
  std::unique_ptr<LiveZones> live;
#endif
#ifdef HAVE_RAMPART_ZOMBIES
  std::unique_ptr<FlowService> flows;  // [flows] listen: the collector's thread
#endif
#ifdef HAVE_RAMPART_CALLS
  std::shared_ptr<CallService> calls;        // [calls] enabled; its worker posts to the loops
  std::shared_ptr<MessageService> messages;  // [messages] enabled; likewise
#ifdef HAVE_RAMPART_CALLS
  std::shared_ptr<ChannelReputation> channel_rep;  // calls' and messages' reputation (its seed walk)
#endif
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
  std::unique_ptr<ExchangeService> exchange;  // [exchange] enabled
#endif

  Impl(DaemonArgs a, DaemonSettings st) : args(std::move(a)), s(std::move(st)) {}
  // The store service's threads post completions to the loops' executors:
  // they stop (drain(): at once if run() did not) before any executor can
  // go. Then Feedback goes while the loops' executors exist: drop every
  // other reference (the ingest, the routes), so that its last one is the
  // server's pipelines, which the server releases before its loops.
  // Nothing calls the Router once run() has returned.
  ~Impl() {
    if (!drained) drain(std::chrono::steady_clock::now());
#ifdef HAVE_RAMPART_ZOMBIES
    flows.reset();  // its thread calls into the live zones
#endif
#ifdef HAVE_RAMPART_CALLS
    calls.reset();  // the routes hold the last reference, released before the server
    messages.reset();
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
    if (exchange) exchange->stop();  // its worker calls the live zones' listener
#endif
#ifdef HAVE_RAMPART_LIVE_ZONES
    live.reset();
#endif
    ingest.reset();
    feedback.reset();
    router.reset();
    server.reset();
    console.reset();  // after the server: no loop calls it any more
  }

  // One resolver per event loop (CachingResolver is not thread-safe), the
  // cache budget split between them.
  Status start_resolvers(size_t loops) {
    dns::UnboundOptions uo;
    for (const HostPort& ns : s.dns.nameservers)
      uo.forwarders.push_back(ns.ip.to_string() + "@" + std::to_string(ns.port));  // unbound's ADDR@PORT
    uo.timeout_ms = static_cast<int>(s.dns.dns_timeout_ms);
    dns::CacheOptions co;
    co.max_entries = std::max<size_t>(1, static_cast<size_t>(s.dns.dns_cache_entries) / loops);
    co.max_bytes = std::max<size_t>(size_t{1} << 20, co.max_bytes / loops);
    co.upstream_seconds = &metrics.histogram(
        "rampart_dns_lookup_seconds",
        "DNS queries sent upstream (cache misses): from the query to its answer.", latency_buckets());
    for (size_t i = 0; i < loops; ++i) {
      if (!args.zone_path.empty()) {
        dns::ZoneOptions zo;
        zo.file_name = args.zone_path;
        auto zone = dns::load_zone_file(args.zone_path, zo);
        if (!zone) return fail(Errc::kConfig, "--zone: " + zone.error().message);
        upstreams.push_back(std::make_unique<dns::ZoneResolver>(std::move(*zone)));
      } else {
        auto unbound = dns::UnboundResolver::create(uo);
        if (!unbound) return fail(Errc::kIo, "resolver: " + unbound.error().message);
        upstreams.push_back(std::move(*unbound));
      }
      caches.push_back(std::make_unique<dns::CachingResolver>(*upstreams.back(), clock, co));
    }
    return {};
  }

  Status start_throttle() {
    throttle = std::make_shared<policy::Throttle>(clock);
    const policy::PolicyConfig& p = s.policy;
    // [throttle] shared: buckets in the Redis Cluster (default: when the store is redis).
    if (!p.throttle_shared.value_or(s.store.kind == reputation::StoreKind::kRedis)) return {};
    if (s.store.kind != reputation::StoreKind::kRedis)
      return fail(Errc::kConfig, "throttle.shared = true needs [reputation] store = \"redis\"");
#ifdef HAVE_RAMPART_REDIS
    reputation::RedisLimiterOptions lo;
    lo.cluster.seeds = s.store.seeds;
    lo.cluster.connect_timeout = lo.cluster.io_timeout = lo.cluster.retry_deadline =
        std::chrono::milliseconds(p.throttle_shared_timeout_ms);
    throttle->set_shared(std::make_unique<RedisBuckets>(std::move(lo)),
                         std::chrono::milliseconds(p.throttle_shared_fallback_ms));
    log::get()->info("throttle: shared buckets in the Redis Cluster (timeout {} ms, then local)",
                     p.throttle_shared_timeout_ms);
#endif
    return {};
  }

  // Reputation and the content model live as long as the process (reloads
  // build new pipelines around them).
  Status start_feedback() {
    const policy::FeedbackConfig& f = s.feedback;
    feedback = std::make_shared<policy::Feedback>(f, clock, s.policy.authserv_id);
    if (f.reputation) {
      auto store = reputation::open_store(s.store);
      if (!store) return tl::unexpected(store.error());
      log::get()->info("reputation store: {}", (*store)->name());
      feedback->set_store(std::move(*store), &metrics);  // its StoreService threads start here
#ifdef HAVE_RAMPART_LIVE_ZONES
      // Class changes to the live zones, before the spool replays (the one
      // hook into re-classification).
      if (live && feedback->service())
        feedback->service()->engine().set_class_listener(live->class_listener());
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
      // ... and to the members' exchange, which publishes them (both, when both run).
      if (exchange && feedback->service()) {
        reputation::ClassListener pub = exchange->class_listener(), zones;
#ifdef HAVE_RAMPART_LIVE_ZONES
        if (live) zones = live->class_listener();
#endif
        feedback->service()->engine().set_class_listener(
            [pub, zones](std::span<const reputation::ClassChange> cs) {
              if (zones) zones(cs);
              pub(cs);
            });
        // What the members report is evidence the engine reads (naming them).
        feedback->service()->engine().set_shared_evidence(exchange->shared_evidence());
      }
#endif
      // Events an earlier run could not write before it stopped, applied
      // once each (op ids) before any loop runs.
      if (!args.data_dir.empty()) feedback->set_spool_dir(args.data_dir + "/spool");
      if (auto n = feedback->replay_spool(); !n)
        log::get()->error("reputation: spool not replayed: {}", n.error().message);
#ifdef HAVE_RAMPART_LIVE_ZONES
      // The classes held before this start (a walk of the store off the loops).
      if (live && feedback->service()) live->seed_from(feedback->service()->engine());
#endif
    }
    if (auto st = feedback->load_model(); !st) {
      log::get()->error("{}; the content check is disabled", st.error().message);
    } else if (feedback->classifier()) {
      log::get()->info("classify: model {} loaded", f.model);
    }
    // ARF originals are re-verified on loop 0 (add_feedback_routes hops there).
    feedback->set_resolver(*caches[0]);
    // Feedback reports delivered into a Maildir.
    if (f.reports_maildir.empty()) return {};
    if (!f.reputation)
      return fail(Errc::kConfig, "reputation.reports_maildir needs reputation.enabled = true");
    auto md = policy::ReportMaildir::open(f.reports_maildir);
    if (!md) return fail(Errc::kIo, md.error().message);
    ingest = std::make_unique<policy::ReportIngest>(feedback, std::move(*md), clock, f.reports_poll_ms);
    log::get()->info("feedback reports from maildir {}", f.reports_maildir);
    return {};
  }

#ifdef HAVE_RAMPART_LIVE_ZONES
  // Overrides under <data-dir>/overrides (memory only without one); the
  // live zones when [dnsbl] listen is set.
  Status start_live_zones() {
    auto ov = reputation::OverrideStore::open(args.data_dir.empty() ? "" : args.data_dir + "/overrides");
    if (!ov) return tl::unexpected(ov.error());
    overrides = std::move(*ov);
    if (!s.dnsbl.enabled()) return {};
    s.dnsbl.state_dir = args.data_dir;
    auto lz = LiveZones::start(s.dnsbl, overrides, &metrics);
    if (!lz) return tl::unexpected(lz.error());
    live = std::move(*lz);
    return {};
  }
#endif

  // One pipeline per loop, over that loop's resolver (checks keep caches).
  Server::PipelineFactory factory_for(policy::PolicyConfig pc) {
    return [this, pc = std::move(pc)](dns::Resolver& r) {
      auto pipe = policy::Pipeline::create(pc, r, clock, throttle);
      feedback->add_checks(*pipe);
      return pipe;
    };
  }

  // SIGHUP (on loop 0): a bad file keeps the running configuration.
  Result<Server::PipelineFactory> reload() {
    auto c = read_daemon_settings(args);
    if (!c) return tl::unexpected(c.error());
    router->set_access(std::move(c->access));
    feedback->reconfigure(c->feedback);
    feedback->reload_model_off_loop();  // the file is read off the loop; errors logged there
    return factory_for(c->policy);
  }

  // The daemon's metrics registry (core/metrics.h): the values other objects
  // own are read at each scrape by collectors; the server's own families
  // come first in GET /metrics.
  void register_metrics() {
    metrics.collect("dns", [this](MetricsWriter& w) {
      uint64_t hits = 0, misses = 0;
      for (const auto& c : caches) {
        hits += c->stats().hits;
        misses += c->stats().misses;
      }
      w.family("rampart_dns_cache_hits_total", "DNS cache hits.", MetricType::kCounter);
      w.sample({}, hits);
      w.family("rampart_dns_cache_misses_total", "DNS cache misses.", MetricType::kCounter);
      w.sample({}, misses);
    });
    metrics.collect("throttle", [this](MetricsWriter& w) {
      w.family("rampart_throttle_keys", "Token buckets in memory.", MetricType::kGauge);
      w.sample({}, static_cast<uint64_t>(throttle->size()));
      if (!throttle->shared()) return;
      w.family("rampart_throttle_shared_calls_total", "Throttle takes answered by the shared buckets.",
               MetricType::kCounter);
      w.sample({}, static_cast<uint64_t>(throttle->shared_calls()));
      w.family("rampart_throttle_shared_errors_total",
               "Shared bucket failures (answered locally: fail open).", MetricType::kCounter);
      w.sample({}, static_cast<uint64_t>(throttle->shared_errors()));
      w.family("rampart_throttle_local_fallbacks_total", "Takes answered by local buckets while shared.",
               MetricType::kCounter);
      w.sample({}, static_cast<uint64_t>(throttle->fallbacks()));
    });
    metrics.collect("feedback", [this](MetricsWriter& w) { feedback->collect_metrics(w); });
#ifdef HAVE_RAMPART_ZOMBIES
    metrics.collect("flows", [this](MetricsWriter& w) { write_flow_metrics(w, flows.get()); });
#endif
    metrics.collect("maildir", [this](MetricsWriter& w) {
      if (!ingest) return;
      const auto& is = ingest->stats();
      w.family("rampart_maildir_reports_total", "Feedback reports read from the reports Maildir, by outcome.",
               MetricType::kCounter);
      w.sample({{"outcome", "accepted"}}, static_cast<uint64_t>(is.accepted));
      w.sample({{"outcome", "rejected"}}, static_cast<uint64_t>(is.rejected));
      w.sample({{"outcome", "retried"}}, static_cast<uint64_t>(is.retried));
      w.sample({{"outcome", "io_error"}}, static_cast<uint64_t>(is.io_errors));
      w.sample({{"outcome", "stuck"}}, static_cast<uint64_t>(is.stuck));
    });
  }

  Status start() {
    raise_fd_limit();
    const size_t loops = std::max<size_t>(1, s.server.loops);
    if (auto st = start_resolvers(loops); !st) return st;
    if (auto st = start_throttle(); !st) return st;
#ifdef HAVE_RAMPART_LIVE_ZONES
    if (auto st = start_live_zones(); !st) return st;
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
    if (auto st = start_exchange(); !st) return st;
#endif
    if (auto st = start_feedback(); !st) return st;
#ifdef HAVE_RAMPART_LIVE_ZONES
    feedback->set_overrides(overrides);
#endif
    register_metrics();
    router = std::make_unique<Router>(std::move(s.access));
    std::vector<dns::Resolver*> resolvers;
    for (auto& c : caches) resolvers.push_back(c.get());
    s.server.metrics = &metrics;  // the server's latency histograms
    if (s.console.enabled) {
      // The console's per-sender daily counters, from every decided message:
      // its address, network, MAIL FROM and From domains, verified DKIM d=
      // and Feedback-ID (console::sender_history_keys).
      senders = std::make_shared<console::SenderHistory>();
      s.server.on_verdict = [h = senders](const policy::ScanState& st, const policy::Verdict& v) {
        const auto outcome = v.action == policy::Action::kReject || v.action == policy::Action::kTempfail
                                 ? console::SenderOutcome::kRefused
                             : v.action == policy::Action::kAccept ? console::SenderOutcome::kAccepted
                                                                   : console::SenderOutcome::kFlagged;
        const reputation::Event e = policy::event_of(st, reputation::Verdict::kNone);
        console::SenderFacts f;
        f.ip = e.ip;
        f.mail_from = e.mail_from;
        f.from = e.from;
        if (e.dkim == reputation::AuthResult::kPass) f.dkim_domains = e.dkim_domains;
        f.feedback_id = e.feedback_id;
        h->record(console::sender_history_keys(f), static_cast<int64_t>(std::time(nullptr)), outcome);
      };
    }
    auto srv = Server::create(
        s.server, resolvers, factory_for(s.policy), [this] { return reload(); },
        [this] { return metrics.render(); }, router.get());
    if (!srv) return tl::unexpected(srv.error());
    server = std::move(*srv);
    if (auto st = start_reports(); !st) return st;
    add_feedback_routes(*router, feedback, &server->executor(0), complaint_sink());
    add_log_level_routes(*router);  // GET/PUT /v1/log-level (read / admin)
#ifdef HAVE_RAMPART_LIVE_ZONES
    add_override_routes(*router, overrides);
#endif
#ifdef HAVE_RAMPART_ZOMBIES
    if (auto st = start_flows(); !st) return st;
#endif
#ifdef HAVE_RAMPART_CALLS
    if (s.calls.enabled) {
      auto cs = CallService::start(s.calls, &metrics);
      if (!cs) return tl::unexpected(cs.error());
      calls = std::move(*cs);
      add_call_routes(*router, calls);
    }
    if (s.messages.enabled) {
      auto ms = MessageService::start(s.messages, &metrics);
      if (!ms) return tl::unexpected(ms.error());
      messages = std::move(*ms);
      add_message_routes(*router, messages);
    }
    start_channel_reputation();
#endif
    if (auto st = start_console(); !st) return st;
#if defined(HAVE_RAMPART_EXCHANGE_SERVICE) && defined(HAVE_RAMPART_ZOMBIES)
    // The flow detector's bots go to the members at once (urgent), in clear
    // when the outbound policy allows it ([exchange] publishable_networks),
    // else blinded (members can test them but not read them).
    if (exchange && flows)
      flows->add_listener([ex = exchange.get()](const flows::IncidentRecord& r) {
        auto st =
            ex->publish(exchange::Item{exchange::DataClass::kBotIp, exchange::ItemKind::kIp, r.host, 1});
        if (st) return;
        auto b = ex->blinded("blind-ip", exchange::DataClass::kBotIp, r.host);
        if (b) st = ex->publish(std::move(*b));
        if (!st) log::get()->info("exchange: bot {} not published: {}", r.host, st.error().message);
      });
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
    if (exchange && feedback->service())
      // Received items become reputation events (with their provenance) on
      // loop 0, whose executor the store service answers to.
      exchange->set_event_sink([wfb = std::weak_ptr<policy::Feedback>(feedback),
                                loop = &server->executor(0)](std::vector<reputation::Event> evs) {
        loop->post([wfb, evs = std::move(evs)]() mutable {
          auto fb = wfb.lock();
          if (fb && fb->service())
            fb->service()->record(std::move(evs), reputation::StoreService::kKeep, nullptr);
        });
      });
    if (!exchange) ExchangeService::register_idle_metrics(metrics);
    if (exchange) {
      add_exchange_routes(*router, exchange.get());
      if (auto st = server->listen_exchange(s.exchange.listen, exchange->handler(), exchange->tls()); !st)
        return st;
      log::get()->info("exchange: port {} (mutual TLS 1.3)", server->exchange_port());
    }
#endif
    // Loop 0's tick: the event queue's flush, the reports Maildir, the console's history.
    server->set_tick([this] {
      feedback->tick();
      if (ingest) ingest->tick();
      if (console) console->tick(clock.unix_seconds());
    });
    return {};
  }

  // Outbound complaint reports (src/reports): their own thread; a
  // subscriber's complaint (POST /v1/learn, spam) is queued, never waited for.
  Status start_reports() {
    if (!s.reports.enabled) return {};
    auto ob = reports::Outbox::start(s.reports);
    if (!ob) return fail(Errc::kConfig, ob.error().message);
    outbox = std::move(*ob);
    metrics.collect("reports", [this](MetricsWriter& w) { outbox->collect_metrics(w); });
    log::get()->info("reports: complaint reports from {} via {}", s.reports.sender, s.reports.relay);
    return {};
  }

  ComplaintSink complaint_sink() {
    if (!outbox) return {};
    return [this](std::shared_ptr<const std::string> msg, std::string ip, std::string rcpt,
                  std::vector<dkim::SignatureResult> dkim) {
      reports::Complaint c;
      c.message = *msg;
      if (auto a = IpAddress::parse(trim(ip))) c.source_ip = a->unmapped();
      for (auto r : split(rcpt, ','))
        if (!trim(r).empty()) c.recipients.emplace_back(trim(r));
      c.dkim = std::move(dkim);
      c.time = clock.unix_seconds();
      outbox->submit(std::move(c));
    };
  }

#ifdef HAVE_RAMPART_CALLS
  // Calls and messages as reputation identities (channel_reputation.h):
  // their events go to loop 0 and join the scanned messages' batches
  // (Feedback::queue: one store write every [reputation] flush_ms or
  // flush_events, not one per call); the overrides apply to their verdicts.
  void start_channel_reputation() {
    if ((!calls && !messages) || !feedback->service()) return;
    auto rep = std::make_shared<ChannelReputation>();
    rep->register_metrics(metrics);
#ifdef HAVE_RAMPART_LIVE_ZONES
    rep->overrides = overrides;
#endif
    rep->sink = [wfb = std::weak_ptr<policy::Feedback>(feedback),
                 loop = &server->executor(0)](std::vector<reputation::Event> evs) {
      loop->post([wfb, evs = std::move(evs)]() mutable {
        auto fb = wfb.lock();
        if (!fb) return;
        for (auto& e : evs) (void)fb->queue(std::move(e));
      });
    };
    feedback->service()->engine().add_class_listener(rep->class_listener());
    // The callers' and senders' classes held before this start, for the verdicts.
    rep->seed_from(feedback->service()->engine());
    channel_rep = rep;
    if (calls) calls->set_reputation(rep);
    if (messages) messages->set_reputation(rep);
  }
#endif

#ifdef HAVE_RAMPART_ZOMBIES
  // [flows]: the collector and detector on their own thread; each new
  // incident becomes a reputation "bot" event (posted to loop 0, where
  // Feedback takes events) and, with live zones, the bot's TXT evidence.
  // The routes exist either way (without [flows]: 503).
  Status start_flows() {
    if (!s.flows.enabled()) {
      router->add("GET", "/v1/incidents", Right::kRead,
                  [](HttpRequest&, std::string_view, HttpRespond respond) {
                    respond(HttpReply{503, "{\"error\": \"no flow collector: set [flows] listen\"}"});
                  });
      return {};
    }
    FlowServiceDeps d;
    d.data_dir = args.data_dir;
    d.loop = &server->executor(0);
#ifdef HAVE_RAMPART_LIVE_ZONES
    d.audit = overrides;
    if (live)
      d.zone_evidence = [lz = live.get()](const std::string& ip, std::string text) {
        lz->set_bot_evidence(ip, std::move(text));
      };
#endif
    // A weak reference: a closure still queued on a stopped loop must not
    // keep Feedback past the loops' executors.
    d.on_new = [wfb = std::weak_ptr<policy::Feedback>(feedback)](const flows::IncidentRecord& r) {
      auto fb = wfb.lock();
      if (!fb) return;
      reputation::Event e;
      e.type = reputation::EventType::kBot;
      e.time = static_cast<int64_t>(std::time(nullptr));
      auto ip = IpAddress::parse(r.host);
      if (!ip) return;
      e.ip = *ip;
      fb->post_events(reputation::event_to_json(e), [host = r.host](policy::Feedback::Answer a) {
        if (a.status != 200)
          log::get()->warn("flows: bot event for {} not recorded: {} {}", host, a.status, a.json);
      });
    };
    auto fs = FlowService::start(s.flows, std::move(d));
    if (!fs) return tl::unexpected(fs.error());
    flows = std::move(*fs);
    flows->add_routes(*router);
    return {};
  }
#endif

#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
  // The members' exchange: its worker, state and audit log; its listings go
  // to the live zones. The listener and routes come with the server.
  Status start_exchange() {
    if (!s.exchange.enabled) return {};
    auto ex = ExchangeService::start(s.exchange, &metrics);
    if (!ex) return tl::unexpected(ex.error());
    exchange = std::move(*ex);
#ifdef HAVE_RAMPART_LIVE_ZONES
    if (live) exchange->set_listing_sink(live->class_listener());
#endif
    return {};
  }
#endif

  // The web console (src/console) on its own listener, over the server's
  // metrics, a look-only scan and the reputation store.
  Status start_console() {
    if (!s.console.enabled) return {};
    console::ConsoleBackend b;
    b.metrics_text = [this] { return server->metrics_text(); };
    b.scan = [this](HttpRequest req, HttpRespond respond) {
      server->scan(std::move(req), std::move(respond));
    };
    b.reputation = [fb = feedback](std::string id, std::function<void(int, std::string)> done) {
      fb->get_reputation(id, true, [done = std::move(done)](policy::Feedback::Answer a) {
        done(a.status, std::move(a.json));
      });
    };
#ifdef HAVE_RAMPART_ZOMBIES
    if (flows) {
      b.zombies = [fs = flows.get()] { return fs->incidents_json("", 1000); };
      b.zombies_active = [fs = flows.get()] { return fs->active_count(); };
      b.zombie_change = [fs = flows.get()](uint64_t id, bool extend, std::string who, std::string reason,
                                           int64_t seconds, std::function<void(int, std::string)> done) {
        JsonObject body;
        body.str("reason", reason);
        if (extend && seconds > 0) body.num("seconds", seconds);
        auto c = flows::parse_incident_change(body.done(), extend, fs->max_ttl_s());
        if (!c) return done(400, JsonObject().str("error", c.error().message).done());
        fs->change(id, extend, std::move(who), std::move(*c), std::move(done));
      };
    }
#endif
    b.senders = senders;
    // The Channels page: each service answers on its worker; back to the asking loop.
    auto on_loop = [](std::function<void(std::string)> done) {
      Executor* loop = current_executor();
      return [loop, done = std::move(done)](std::string body) mutable {
        if (!loop) return done(std::move(body));
        loop->post([done = std::move(done), body = std::move(body)]() mutable { done(std::move(body)); });
      };
    };
    if (calls)
      b.call_incidents = [w = std::weak_ptr<CallService>(calls),
                          on_loop](std::function<void(std::string)> done) {
        auto reply = on_loop(std::move(done));
        auto cs = w.lock();  // weak: the services still go before the server
        if (!cs || !cs->incidents(1000, reply)) reply("");
      };
    if (messages)
      b.message_senders = [w = std::weak_ptr<MessageService>(messages),
                           on_loop](std::function<void(std::string)> done) {
        auto reply = on_loop(std::move(done));
        auto ms = w.lock();
        if (!ms || !ms->senders(1000, reply)) reply("");
      };
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
    if (exchange) b.exchange_members = [ex = exchange.get()] { return ex->members_json(); };
#endif
    auto c = console::Console::create(s.console, std::move(b));
    if (!c) return fail(Errc::kConfig, c.error().message);
    console = std::move(*c);
    std::shared_ptr<TlsContext> tls;
    if (s.console.tls()) {
      auto t = TlsContext::server(s.console.tls_cert, s.console.tls_key);
      if (!t) return fail(Errc::kConfig, "console: " + t.error().message);
      tls = std::move(*t);
    }
    if (auto st = server->listen_console(s.console.listen, console.get(), std::move(tls)); !st) return st;
    console->set_port(server->console_port());
    log::get()->info("console: port {}{} (accounts in {})", server->console_port(),
                     s.console.tls() ? ", TLS" : "", s.console.users);
    return {};
  }

  // After the loops stopped (no loop thread runs, their executors still
  // exist): the queued reputation events written until `deadline`, the rest
  // spooled to <data-dir>/spool; the store service's threads stopped; the
  // content model saved. Blocking.
  void drain(std::chrono::steady_clock::time_point deadline) {
    drained = true;
#ifdef HAVE_RAMPART_ZOMBIES
    if (flows) flows->stop();  // saves the incidents; posts nothing to the loops afterwards
#endif
#ifdef HAVE_RAMPART_LIVE_ZONES
    if (live) live->stop_seed();  // it reads the store, which drain() stops
#endif
#ifdef HAVE_RAMPART_CALLS
    if (channel_rep) channel_rep->stop_seed();  // likewise
#endif
    if (feedback) (void)feedback->drain(deadline);  // logs what it could not do
    if (outbox) outbox->stop();                     // a report being sent finishes first
    if (console) {
      console->stop();                // its worker posts to the loops' executors
      (void)console->save_history();  // logs what it could not do
    }
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::create(const DaemonArgs& args, DaemonSettings settings) {
  auto impl = std::make_unique<Impl>(args, std::move(settings));
  if (auto st = impl->start(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

uint16_t Daemon::milter_port() const { return impl_->server->milter_port(); }
uint16_t Daemon::http_port() const { return impl_->server->http_port(); }
uint16_t Daemon::console_port() const { return impl_->server->console_port(); }
uint16_t Daemon::flows_port() const {
#ifdef HAVE_RAMPART_ZOMBIES
  return impl_->flows ? impl_->flows->port() : 0;
#else
  return 0;
#endif
}
#ifdef HAVE_RAMPART_ZOMBIES
void Daemon::add_incident_listener(IncidentListener l) {
  if (impl_->flows) impl_->flows->add_listener(std::move(l));
}
#endif
uint16_t Daemon::exchange_port() const { return impl_->server->exchange_port(); }
const ServerOptions& Daemon::server_options() const { return impl_->s.server; }

int Daemon::run() {
  log::get()->info("rampartd ready: milter port {}, http port {}, {} loops, authserv-id {}", milter_port(),
                   http_port(), impl_->server->loops(), impl_->s.policy.authserv_id);
  const int rc = impl_->server->run();
  impl_->drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(impl_->s.feedback.drain_ms));
  return rc;
}

}  // namespace rampart::server

// File: src/server/flow_service.cc
// The bot detector inside rampartd (see flow_service.h).
#include "server/flow_service.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/json.h"
#include "core/log.h"
#include "flows/notify.h"
#include "server/flow_collector.h"
#include "server/http/access.h"
#include "server/http/router.h"

namespace rampart::server {

namespace {

int64_t now_s() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

Result<FlowsConfig> FlowsConfig::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  FlowsConfig c;
  Section sec = cfg.section("flows");
  c.listen = sec.string("listen", "");
  if (!c.listen.empty())
    if (auto l = parse_listen_address(c.listen); !l) sec.invalid("listen", l.error().message);
  c.max_exporters = static_cast<size_t>(sec.integer("max_exporters", 64, 1, 65536));
  c.max_hosts = static_cast<size_t>(sec.integer("max_hosts", 100000, 1, 1 << 22));
  c.max_incidents = static_cast<size_t>(sec.integer("max_incidents", 10000, 1, 1000000));
  c.notify_file = sec.string("notify_file", "");
  c.notify_webhook = sec.string("notify_webhook", "");
  c.notify_ca = sec.string("notify_ca", "");
  if (!c.notify_webhook.empty())
    if (auto u = flows::parse_webhook_url(c.notify_webhook); !u)
      sec.invalid("notify_webhook", u.error().message);
  flows::ActionPolicy& p = c.actions;
  p.block_ttl_s = sec.integer("block_ttl_s", p.block_ttl_s, 60, 365 * 86400);
  p.throttle_ttl_s = sec.integer("throttle_ttl_s", p.throttle_ttl_s, 60, 365 * 86400);
  p.notify_ttl_s = sec.integer("notify_ttl_s", p.notify_ttl_s, 60, 365 * 86400);
  p.max_ttl_s = sec.integer("max_ttl_s", p.max_ttl_s, 60, 365 * 86400);
  p.throttle_per_minute =
      static_cast<unsigned>(sec.integer("throttle_per_minute", p.throttle_per_minute, 1, 100000));
  p.walled_garden_url = sec.string("walled_garden_url", p.walled_garden_url);
  auto ex = FlowCollector::exporters_from(cfg);
  if (ex) c.exporters = std::move(*ex);
  auto det = flows::DetectorConfig::from_config(cfg);
  if (det) {
    c.detector = std::move(*det);
    c.detector.max_hosts = c.max_hosts;
    c.actions.exceptions = c.detector.exceptions;
    if (c.enabled() && c.detector.subscribers.empty())
      sec.invalid("listen",
                  "needs subscriber prefixes ([flows.detector] subscribers_dynamic, _static or _business)");
  }
  std::string msg;
  if (auto st = cfg.errors_since(mark); !st) msg = st.error().message;
  if (!det) msg += (msg.empty() ? "" : "\n") + cfg.source() + ": " + det.error().message;
  if (!msg.empty()) return fail(Errc::kConfig, msg);
  return c;
}

struct FlowService::Impl {
  FlowsConfig cfg;
  FlowServiceDeps deps;
  std::unique_ptr<FlowCollector> collector;
  std::unique_ptr<flows::Detector> detector;
  std::unique_ptr<flows::IncidentStore> store;
  std::unique_ptr<flows::Notifier> notifier;
  flows::ActionTable table;
  std::thread thread;

  // Commands from the loops (release, extend), run on the flow thread.
  std::mutex mu;
  std::deque<std::function<void()>> commands;
  bool stopping = false;
  static constexpr size_t kMaxCommands = 64;

  std::mutex listeners_mu;
  std::vector<IncidentListener> listeners;

  // Detector incident id -> (store id, score and last_seen last handed on).
  struct Seen {
    uint64_t record = 0;
    double score = 0;
    int64_t last_seen_ms = 0;
  };
  std::unordered_map<uint64_t, Seen> seen;

  // Counters for the metrics (written by the flow thread).
  std::atomic<uint64_t> datagrams{0}, records{0}, bytes{0}, oversized{0}, not_allowed{0}, exporter_limit{0},
      decode_errors{0}, kernel_drops{0}, exporters{0}, hosts{0}, opened{0}, notifications{0}, save_errors{0},
      released{0}, extended{0}, expired{0};

  explicit Impl(FlowsConfig c, FlowServiceDeps d)
      : cfg(std::move(c)), deps(std::move(d)), table(cfg.actions) {}

  bool submit(std::function<void()> fn) {
    std::lock_guard lock(mu);
    if (stopping || commands.size() >= kMaxCommands) return false;
    commands.push_back(std::move(fn));  // run within one poll (100 ms)
    return true;
  }

  void announce(const flows::IncidentRecord& r) {
    if (!deps.loop) return;
    std::vector<IncidentListener> ls;
    {
      std::lock_guard lock(listeners_mu);
      ls = listeners;
    }
    // Copies only: the loop may run it after the service is gone.
    deps.loop->post([on_new = deps.on_new, ls = std::move(ls), r] {
      if (on_new) on_new(r);
      for (const auto& l : ls) l(r);
    });
  }

  void handle(const flows::Incident& inc, int64_t now) {
    auto s = seen.find(inc.id);
    if (s != seen.end()) {
      // Only a rising score or evidence a minute newer is worth a record update.
      if (inc.score <= s->second.score && inc.last_seen_ms < s->second.last_seen_ms + 60000) return;
      auto rec = store->find(s->second.record);
      if (!rec || !rec->active()) return;  // released or expired by hand or time: this incident is done
    }
    const flows::ActiveAction& act = table.apply(inc, now * 1000);
    auto r = store->observe(inc, act, now);
    if (!r) {
      log::get()->warn("flows: incident for {} not kept: {}", inc.host.to_string(), r.error().message);
      return;
    }
    const auto& [rec, is_new] = *r;
    seen[inc.id] = {rec.id, inc.score, inc.last_seen_ms};
    if (deps.zone_evidence) deps.zone_evidence(rec.host, rec.summary);
    if (!is_new) return;
    opened.fetch_add(1, std::memory_order_relaxed);
    log::get()->warn("flows: incident {}: {} {} ({}): {}", rec.id, rec.host, rec.action, rec.kind,
                     rec.summary);
    if (notifier) {
      notifier->notify(flows::notification_json(inc, act, cfg.actions));
      notifications.fetch_add(1, std::memory_order_relaxed);
    }
    announce(rec);
  }

  void sync_detector(int64_t now) {
    std::vector<flows::Incident> open;
    for (const auto& [k, inc] : detector->open_incidents()) open.push_back(inc);
    for (const auto& inc : open) handle(inc, now);
    for (const auto& inc : detector->take_closed()) {
      handle(inc, now);
      seen.erase(inc.id);
    }
  }

  void expire(int64_t now) {
    table.expire(now * 1000);
    for (const auto& r : store->expire(now)) {
      expired.fetch_add(1, std::memory_order_relaxed);
      log::get()->info("flows: incident {} ({}) expired", r.id, r.host);
    }
  }

  void snapshot() {
    const CollectorStats& st = collector->stats();
    datagrams = st.datagrams;
    records = st.records;
    bytes = st.bytes;
    oversized = st.oversized;
    not_allowed = st.not_allowed;
    exporter_limit = st.exporter_limit;
    decode_errors = st.decode_errors;
    kernel_drops = st.kernel_drops;
    exporters = st.exporters;
    hosts = detector->tracked_hosts();
  }

  void save() {
    if (auto st = store->save(); !st) {
      save_errors.fetch_add(1, std::memory_order_relaxed);
      log::get()->error("flows: incidents not saved: {}", st.error().message);
    }
  }

  void run() {
    auto last_tick = std::chrono::steady_clock::now() - std::chrono::seconds(2);
    for (;;) {
      auto r = collector->poll(100);
      if (!r) log::get()->error("flows: {}", r.error().message);
      std::deque<std::function<void()>> todo;
      bool stop_now = false;
      {
        std::lock_guard lock(mu);
        todo.swap(commands);
        stop_now = stopping;
      }
      const int64_t now = now_s();
      sync_detector(now);
      for (auto& fn : todo) fn();
      const auto t = std::chrono::steady_clock::now();
      if (t - last_tick >= std::chrono::seconds(1) || !todo.empty() || stop_now) {
        last_tick = t;
        expire(now);
        if (notifier) notifier->pump();
        save();
        snapshot();
      }
      if (stop_now) break;
    }
    if (notifier) notifier->drain(std::chrono::seconds(2));
  }

  // On the flow thread: a change by hand, audited first.
  void change(uint64_t id, bool extend, const std::string& who, const flows::IncidentChange& c,
              const std::function<void(int, std::string)>& reply) {
    const int64_t now = now_s();
    auto rec = store->find(id);
    if (!rec) return reply(404, error_json("no incident " + std::to_string(id)));
    if (!rec->active())
      return reply(409, error_json("incident " + std::to_string(id) + " is " +
                                   std::string(flows::incident_state_name(rec->state))));
    const int64_t seconds = c.seconds > 0 ? c.seconds
                                          : (rec->action == "block"      ? cfg.actions.block_ttl_s
                                             : rec->action == "throttle" ? cfg.actions.throttle_ttl_s
                                                                         : cfg.actions.notify_ttl_s);
    if (deps.audit) {
      reputation::OverrideRequest a{
          "ip:" + rec->host,
          extend ? reputation::OverrideAction::kExtend : reputation::OverrideAction::kRelease,
          "incident " + std::to_string(id) +
              (extend ? " +" + std::to_string(seconds) + " s" : std::string()) + ": " + c.reason};
      if (auto n = deps.audit->note(a, who, now); !n) {
        log::get()->error("flows: incident {}: audit line not written: {}", id, n.error().message);
        return reply(503, error_json("audit log: " + n.error().message));
      }
    }
    auto done =
        extend ? store->extend(id, seconds, who, c.reason, now) : store->release(id, who, c.reason, now);
    if (!done) return reply(409, error_json(done.error().message));
    if (extend) {
      extended.fetch_add(1, std::memory_order_relaxed);
    } else {
      released.fetch_add(1, std::memory_order_relaxed);
      if (auto ip = IpAddress::parse(done->host)) table.remove(*ip);
      if (deps.zone_evidence) deps.zone_evidence(done->host, "");
    }
    log::get()->info("flows: incident {} ({}) {} by {}: {}", id, done->host, extend ? "extended" : "released",
                     who, c.reason);
    save();
    reply(200, "{\"incident\": " + flows::incident_to_json(*done) + "}");
  }
};

FlowService::FlowService(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

FlowService::~FlowService() { stop(); }

Result<std::unique_ptr<FlowService>> FlowService::start(FlowsConfig cfg, FlowServiceDeps deps) {
  auto impl = std::make_shared<Impl>(std::move(cfg), std::move(deps));
  Impl* im = impl.get();
  const std::string path = im->deps.data_dir.empty() ? "" : im->deps.data_dir + "/flows/incidents.jsonl";
  auto st = flows::IncidentStore::open(path, {.max_incidents = im->cfg.max_incidents});
  if (!st) return tl::unexpected(st.error());
  im->store = std::move(*st);
  // Released or expired ones stay so; active ones run to their end (the
  // action table starts empty: the host's next incident applies afresh).
  if (!im->cfg.notify_file.empty() || !im->cfg.notify_webhook.empty()) {
    flows::NotifyOptions no;
    no.file = im->cfg.notify_file;
    no.webhook = im->cfg.notify_webhook;
    no.tls_ca_file = im->cfg.notify_ca;
    auto n = flows::Notifier::open(std::move(no));
    if (!n) return fail(Errc::kIo, "flows: notify: " + n.error().message);
    im->notifier = std::move(*n);
  }
  im->detector = std::make_unique<flows::Detector>(im->cfg.detector);
  FlowCollector::Options o;
  o.listen = im->cfg.listen;
  o.max_exporters = im->cfg.max_exporters;
  o.allowed_exporters = im->cfg.exporters;
  flows::Detector* det = im->detector.get();
  auto c = FlowCollector::open(o, [det](const flows::Flow& f, const IpAddress&) { det->observe(f); });
  if (!c)
    return fail(c.error().code == Errc::kInvalidArgument ? Errc::kConfig : Errc::kIo,
                "flows.listen " + im->cfg.listen + ": " + c.error().message);
  im->collector = std::move(*c);
  log::get()->info("flows: collector on {} ({} incidents kept from before)",
                   im->collector->local().to_string(), im->store->size());
  im->thread = std::thread([im] { im->run(); });
  return std::unique_ptr<FlowService>(new FlowService(std::move(impl)));
}

void FlowService::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }                          // commands queued before run in the thread's last pass
  impl_->collector->stop();  // async-signal-safe eventfd write: poll() returns
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t FlowService::port() const { return impl_->collector->port(); }

void FlowService::add_listener(IncidentListener l) {
  std::lock_guard lock(impl_->listeners_mu);
  impl_->listeners.push_back(std::move(l));
}

int64_t FlowService::max_ttl_s() const { return impl_->cfg.actions.max_ttl_s; }

size_t FlowService::active_count() const {
  size_t n = 0;
  for (const auto& [action, k] : impl_->store->active_by_action()) n += k;
  return n;
}

std::string FlowService::incidents_json(std::string_view state, size_t limit) const {
  std::string out = "{\"incidents\": [";
  bool first = true;
  size_t n = 0;
  for (const auto& r : impl_->store->list()) {
    if (n >= limit) break;
    if (state == "active" && !r.active()) continue;
    if (!state.empty() && state != "active" && flows::incident_state_name(r.state) != state) continue;
    out += first ? "" : ", ";
    first = false;
    out += flows::incident_to_json(r);
    ++n;
  }
  return out + "]}";
}

void FlowService::change(uint64_t id, bool extend, std::string who, flows::IncidentChange c,
                         std::function<void(int, std::string)> done) {
  Executor* loop = current_executor();
  auto reply = [loop, done](int status, std::string body) {
    if (loop)
      loop->post([done, status, body = std::move(body)]() mutable { done(status, std::move(body)); });
    else
      done(status, std::move(body));
  };
  Impl* im = impl_.get();
  if (!im->submit([im, id, extend, who = std::move(who), c = std::move(c), reply] {
        im->change(id, extend, who, c, reply);
      }))
    done(503, error_json("too many incident changes queued"));
}

void FlowService::add_routes(Router& router) {
  Router* r = &router;
  FlowService* self = this;
  router.add(
      "GET", "/v1/incidents", Right::kRead, [self](HttpRequest& req, std::string_view, HttpRespond respond) {
        std::string state;
        if (auto q = req.target.find("state="); q != std::string::npos) {
          state = req.target.substr(q + 6);
          state = state.substr(0, state.find('&'));
          if (state != "active" && !flows::parse_incident_state(state)) {
            respond(HttpReply{400, error_json("state: open, extended, released, expired or active")});
            return;
          }
        }
        size_t limit = 1000;
        if (auto q = req.target.find("limit="); q != std::string::npos) {
          const char* b = req.target.data() + q + 6;
          const char* e = req.target.data() + req.target.size();
          auto pr = std::from_chars(b, e, limit);
          if (pr.ec != std::errc() || (pr.ptr != e && *pr.ptr != '&') || limit == 0 || limit > 100000) {
            respond(HttpReply{400, error_json("limit: 1..100000")});
            return;
          }
        }
        respond(HttpReply{200, self->incidents_json(state, limit)});
      });
  router.add(
      "POST", "/v1/incidents/", Right::kOverride,
      [self, r](HttpRequest& req, std::string_view rest, HttpRespond respond) {
        // rest: "{id}/release" or "{id}/extend"
        const size_t slash = rest.find('/');
        const std::string_view num = rest.substr(0, slash),
                               verb = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
        uint64_t id = 0;
        auto pr = std::from_chars(num.data(), num.data() + num.size(), id);
        if (pr.ec != std::errc() || pr.ptr != num.data() + num.size() || num.empty() ||
            (verb != "release" && verb != "extend")) {
          respond(HttpReply{404, error_json("use POST /v1/incidents/{id}/release or /extend")});
          return;
        }
        const bool extend = verb == "extend";
        auto c = flows::parse_incident_change(req.body, extend, self->max_ttl_s());
        if (!c) {
          respond(HttpReply{400, error_json(c.error().message)});
          return;
        }
        std::string who = r->access()->token_name(req);
        if (who.empty()) who = "anonymous";
        self->change(id, extend, who, std::move(*c), [respond](int status, std::string body) {
          respond(HttpReply{status, std::move(body)});
        });
      },
      Router::kPrefix);
}

void FlowService::collect_metrics(MetricsWriter& w) const { write_metrics(w, this); }

void FlowService::write_metrics(MetricsWriter& w, const FlowService* s) {
  const Impl* im = s ? s->impl_.get() : nullptr;
  auto v = [im](std::atomic<uint64_t> Impl::*field) { return im ? (im->*field).load() : uint64_t{0}; };
  w.family("rampart_flows_enabled", "1 when rampartd runs a flow collector ([flows] listen).",
           MetricType::kGauge);
  w.sample({}, uint64_t{im ? 1u : 0u});
  std::map<std::string, size_t> states{{"open", 0}, {"extended", 0}, {"released", 0}, {"expired", 0}};
  std::map<std::string, size_t> actions{{"notify", 0}, {"throttle", 0}, {"block", 0}};
  if (im) {
    states = im->store->count_by_state();
    actions = im->store->active_by_action();
  }
  w.family("rampart_flow_incidents", "Bot incidents kept, by state.", MetricType::kGauge);
  for (const auto& [state, n] : states) w.sample({{"state", state}}, static_cast<uint64_t>(n));
  w.family("rampart_flow_incidents_active", "Open or extended bot incidents, by action.", MetricType::kGauge);
  for (const auto& [action, n] : actions) w.sample({{"action", action}}, static_cast<uint64_t>(n));
  w.family("rampart_flow_incidents_total",
           "Bot incidents, by event (opened, released, extended, expired, "
           "dropped: refused while the store was full).",
           MetricType::kCounter);
  w.sample({{"event", "opened"}}, v(&Impl::opened));
  w.sample({{"event", "released"}}, v(&Impl::released));
  w.sample({{"event", "extended"}}, v(&Impl::extended));
  w.sample({{"event", "expired"}}, v(&Impl::expired));
  w.sample({{"event", "dropped"}}, im ? im->store->dropped() : uint64_t{0});
  w.family("rampart_flow_datagrams_total", "NetFlow/IPFIX datagrams received.", MetricType::kCounter);
  w.sample({}, v(&Impl::datagrams));
  w.family("rampart_flow_records_total", "Flow records decoded and scored.", MetricType::kCounter);
  w.sample({}, v(&Impl::records));
  w.family("rampart_flow_dropped_total", "Flow datagrams dropped, by reason.", MetricType::kCounter);
  w.sample({{"reason", "oversized"}}, v(&Impl::oversized));
  w.sample({{"reason", "exporter_not_allowed"}}, v(&Impl::not_allowed));
  w.sample({{"reason", "exporter_limit"}}, v(&Impl::exporter_limit));
  w.sample({{"reason", "decode_error"}}, v(&Impl::decode_errors));
  w.sample({{"reason", "kernel"}}, v(&Impl::kernel_drops));
  w.family("rampart_flow_exporters", "Exporters with a decoder.", MetricType::kGauge);
  w.sample({}, v(&Impl::exporters));
  w.family("rampart_flow_hosts", "Subscriber hosts the detector tracks.", MetricType::kGauge);
  w.sample({}, v(&Impl::hosts));
  w.family("rampart_flow_notifications_total", "RFC 6561 notifications handed to the notifier.",
           MetricType::kCounter);
  w.sample({}, v(&Impl::notifications));
  w.family("rampart_flow_save_errors_total", "Failed writes of the incidents file.", MetricType::kCounter);
  w.sample({}, v(&Impl::save_errors));
}

void write_flow_metrics(MetricsWriter& w, const FlowService* s) { FlowService::write_metrics(w, s); }

}  // namespace rampart::server

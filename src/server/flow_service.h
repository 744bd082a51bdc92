// File: src/server/flow_service.h
// FlowService: the bot detector inside rampartd (issues 14 and 15). A
// thread of its own runs the FlowCollector (NetFlow v5/v9, IPFIX) and the
// flows::Detector; each incident the detector opens becomes a record of the
// IncidentStore (src/flows/incidents.h) with its action (ActionTable:
// throttle, block or notify, with the policy's TTL, repeat offenders
// longer), its RFC 6561 notification (Notifier: file and/or webhook) and
// its evidence; results reach the event loop through Executor::post().
//
//   [flows]
//   listen = "127.0.0.1:2055"          # empty (default): no flow collector
//   exporters = ["192.0.2.0/24"]       # who may send (default: loopback only)
//   max_exporters = 64
//   max_hosts = 100000                 # hosts the detector tracks (~10 KB each)
//   max_incidents = 10000              # records kept (released/expired ones go first)
//   notify_file = ""                   # RFC 6561 notifications, one JSON line each
//   notify_webhook = ""                # http(s)://HOST[:PORT]/PATH
//   notify_ca = ""
//   block_ttl_s = 86400                # the actions' lifetimes (flows/actions.h)
//   throttle_ttl_s = 21600
//   notify_ttl_s = 86400
//   max_ttl_s = 604800
//   throttle_per_minute = 10
//   walled_garden_url = "https://abuse.example.net/remediate"
//   [flows.detector]                   # flows/detector.h DetectorConfig::from_config
//   subscribers_dynamic = ["100.64.0.0/10"]
//   mail_servers = ["192.0.2.25/32"]
//
//   auto fc = FlowsConfig::from(cfg);
//   auto fs = FlowService::start(*fc, deps);        // binds; the thread starts
//   fs->add_routes(router);                         // GET /v1/incidents, POST .../release|extend
//   fs->add_listener([](const flows::IncidentRecord& r) { ... });   // each new incident, on deps.loop
//
// Each new incident, on the loop (deps.loop): deps.on_new (rampartd: a
// reputation "bot" event for the host, so its ip: and net: identities are
// classed with BOT_DETECTED) and every listener. From the flow thread: the
// evidence in words to deps.zone_evidence (rampartd: the live zones' bot
// TXT); a released incident clears it.
//
// HTTP (JSON):
//   GET /v1/incidents[?state=open|extended|released|expired|active][&limit=N] (right read)
//     -> {"incidents": [<record>, ...]} newest first (incident_to_json), at
//     most N (default 1000)
//   POST /v1/incidents/{id}/release  {"reason": "..."}                   (right override)
//   POST /v1/incidents/{id}/extend   {"reason": "...", "seconds": N}     (right override)
//     -> 200 {"incident": <record>}; 400 bad body; 404 unknown id; 409 not
//     active; 503 when the flow thread's queue (64) is full or the audit
//     line cannot be written (then nothing changed). Each change is
//     appended to the overrides' audit log (reputation/overrides.h) with
//     action "release" or "extend", identity ip:HOST, reason
//     "incident N: REASON", and who (the token's name).
//
// Threads: one (the flow thread) owns the collector, the detector, the
// action table and the notifier, writes the store's file and the audit
// lines; the loops only read the store (it locks) and queue changes.
//
// DIAGNOSTICS: from() records kConfig errors naming file:line and the key
// (a bad listen address or prefix, no subscriber prefix while listen is
// set, a bad webhook URL, numbers out of range). start() fails kIo when
// the socket cannot be bound or the notify file opened, kParse for a
// corrupt incidents file (<data-dir>/flows/incidents.jsonl, named with its
// line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/executor.h"
#include "core/metrics.h"
#include "core/result.h"
#include "flows/actions.h"
#include "flows/detector.h"
#include "flows/incidents.h"
#include "reputation/overrides.h"

namespace rampart::server {

class Router;

struct FlowsConfig {
  std::string listen;  // "ADDR:PORT"; empty: off
  std::vector<flows::Prefix> exporters;
  size_t max_exporters = 64;
  size_t max_hosts = 100000;
  size_t max_incidents = 10000;
  std::string notify_file, notify_webhook, notify_ca;
  flows::DetectorConfig detector;
  flows::ActionPolicy actions;
  bool enabled() const { return !listen.empty(); }
  static Result<FlowsConfig> from(const Config& cfg);
};

using IncidentListener = std::function<void(const flows::IncidentRecord&)>;

struct FlowServiceDeps {
  std::string data_dir;  // incidents in <data_dir>/flows/incidents.jsonl; empty: memory only
  std::shared_ptr<reputation::OverrideStore> audit;  // release/extend lines; null: not audited
  std::function<void(const std::string& host, std::string text)> zone_evidence;  // any thread
  Executor* loop = nullptr;  // where new incidents are announced
  IncidentListener on_new;   // on `loop`
};

class FlowService {
 public:
  static Result<std::unique_ptr<FlowService>> start(FlowsConfig cfg, FlowServiceDeps deps);
  ~FlowService();  // stop()
  FlowService(const FlowService&) = delete;
  FlowService& operator=(const FlowService&) = delete;

  // Ends the flow thread (saves the store, drains notifications for at most
  // 2 s); nothing is posted to the loop after it returns. Idempotent.
  void stop();
  uint16_t port() const;
  // Called on deps.loop for every new incident, in order (thread-safe to add).
  void add_listener(IncidentListener l);
  void add_routes(Router& router);
  // {"incidents": [...]}, newest first, at most `limit`; `state` "" (all),
  // "active" (open or extended) or a state name.
  std::string incidents_json(std::string_view state = "", size_t limit = SIZE_MAX) const;
  // Release (extend = false) or extend by hand; `done(status, json)` runs on
  // the caller's executor (current_executor()), or at once without one.
  void change(uint64_t id, bool extend, std::string who, flows::IncidentChange c,
              std::function<void(int, std::string)> done);
  int64_t max_ttl_s() const;
  size_t active_count() const;  // open or extended incidents
  void collect_metrics(MetricsWriter& w) const;
  // The families (zeros without a service: the reference lists them).
  static void write_metrics(MetricsWriter& w, const FlowService* s);

  struct Impl;

 private:
  explicit FlowService(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// FlowService::write_metrics.
void write_flow_metrics(MetricsWriter& w, const FlowService* s);

}  // namespace rampart::server

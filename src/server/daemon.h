// File: src/server/daemon.h
// Daemon: rampartd assembled from its configuration. read_daemon_settings()
// reads every section of the file (and the command-line overrides) at once;
// Daemon::create() wires one resolver per event loop (UnboundResolver, or a
// master file, behind a CachingResolver with its share of the cache), the
// Throttle (local, or shared through the Redis Cluster), Feedback with its
// reputation store and content model, the reports Maildir, the metrics
// registry, the Router with its feedback endpoints and the Server
// (server.h); run() serves until SIGTERM has drained, then writes the
// queued reputation events within [reputation] drain_ms (the rest spooled
// to <data-dir>/spool and applied once at the next start), stops the
// reputation store's threads and saves the content model. apps/rampartd
// only parses its command line and calls these.
//
//   DaemonArgs a; a.config_path = "/etc/rampart/rampart.toml"; a.loops = 2;
//   auto s = read_daemon_settings(a);              // every error at once
//   auto d = Daemon::create(a, std::move(*s));
//   d->milter_port(); d->http_port();              // bound (port 0: a free one)
//   return d->run();
//
// SIGHUP re-reads the file (read_daemon_settings with the same arguments):
// tokens, feedback settings and the content model file, and one new
// pipeline per loop; a bad file keeps everything as it was.
//
// DIAGNOSTICS: read_daemon_settings(): Errc::kConfig with one line per
// error, each naming file:line:column and the key. Daemon::create():
// kConfig for a configuration that cannot run (--zone unreadable,
// throttle.shared without a redis store, reports_maildir without
// reputation, a bad store table): exit status 2; anything else (a
// resolver, store, Maildir or listener that cannot start): exit status 1.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "console/console.h"
#include "core/config.h"
#include "core/log.h"
#include "core/result.h"
#include "policy/feedback.h"
#include "policy/policy.h"
#include "reports/outbox.h"
#include "reputation/store_factory.h"
#include "server/http/access.h"
#include "server/server.h"
#ifdef HAVE_RAMPART_LIVE_ZONES
#include "server/live_zones.h"
#endif
#ifdef HAVE_RAMPART_ZOMBIES
#include "server/flow_service.h"
#endif
#ifdef HAVE_RAMPART_CALLS
#include "server/calls_api.h"
#include "server/messages_api.h"
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
#include "server/exchange_service.h"
#endif

namespace rampart::server {

// What the command line says (each option stands for a configuration key).
struct DaemonArgs {
  std::string config_path;  // empty: the embedded defaults
  std::string data_dir;     // RocksDB store under DIR/reputation, spool under DIR/spool
  std::string zone_path;    // DNS answers from a master file (demos, tests)
  std::optional<std::string> milter, http;
  std::vector<std::string> nameservers;
  std::optional<size_t> loops;
};

struct DaemonSettings {
  Config cfg;
  policy::PolicyConfig policy;
  policy::FeedbackConfig feedback;
  policy::DaemonConfig dns;  // [dns]
  reputation::StoreSpec store;
  ServerOptions server;
  AccessControl access;
#ifdef HAVE_RAMPART_LIVE_ZONES
  LiveZonesConfig dnsbl;  // [dnsbl]: live zones (live_zones.h)
#endif
  console::ConsoleConfig console;  // [console]
  reports::ReportsConfig reports;  // [reports]: outbound complaint reports
#ifdef HAVE_RAMPART_ZOMBIES
  FlowsConfig flows;  // [flows]: the flow collector and bot incidents (flow_service.h)
#endif
#ifdef HAVE_RAMPART_CALLS
  CallsConfig calls;        // [calls]: POST /v1/calls (calls_api.h)
  MessagesConfig messages;  // [messages]: POST /v1/messages (messages_api.h)
#endif
#ifdef HAVE_RAMPART_EXCHANGE_SERVICE
  ExchangeConfig exchange;  // [exchange]: the members' exchange (exchange_service.h)
#endif
  log::LogOptions log;  // [log]: format (applied by rampartd's main before the daemon starts)
};

Result<DaemonSettings> read_daemon_settings(const DaemonArgs& args);

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(const DaemonArgs& args, DaemonSettings settings);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  uint16_t milter_port() const;
  uint16_t http_port() const;      // 0: no HTTP API
  uint16_t console_port() const;   // 0: no web console ([console] enabled = false)
  uint16_t flows_port() const;     // 0: no flow collector ([flows] listen empty)
  uint16_t exchange_port() const;  // 0: no exchange ([exchange] enabled = false)
#ifdef HAVE_RAMPART_ZOMBIES
  // Each new bot incident, on loop 0, after it is stored (for the members'
  // exchange). Before or after run() starts; thread-safe. No-op without [flows].
  void add_incident_listener(IncidentListener l);
#endif
  const ServerOptions& server_options() const;
  // Serves until SIGTERM has drained; 0, as Server::run().
  int run();

  struct Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::server

// File: src/server/server.h
// Server: rampartd's event loop. One thread, epoll: the milter listener and
// its connections (MilterSession each), the HTTP API listener and its
// connections (HttpConnection each, answered by a Router), the resolver's
// fd (UnboundResolver::fd through CachingResolver), a signalfd (SIGHUP
// reload, SIGTERM/SIGINT drain) and a 100 ms tick for deadlines.
//
//   ServerOptions o;
//   o.milter_listen = "127.0.0.1:0";        // port 0: the kernel picks
//   o.http_listen = "127.0.0.1:0";          // empty: no HTTP API
//   Router router(access);                   // http/router.h; add_feedback_routes(router, fb) ...
//   auto srv = Server::create(o, resolver, pipeline, reload_fn, metrics_fn, &router);
//   srv->milter_port(); srv->http_port();
//   return srv->run();                      // until SIGTERM has drained
//
// create() adds GET /healthz, GET /metrics (both open) and POST /v1/scan
// (right: scan) to the router.
//
// Signals must be blocked in every thread before any is started (main does
// it first thing; libunbound starts a thread): run() reads them from a
// signalfd. SIGHUP calls `reload`; on error the old pipeline stays and the
// error is logged. SIGTERM stops accepting, lets open milter connections
// finish (Postfix closes them after its SMTP session) up to drain_timeout,
// then returns 0.
//
// Limits (docs/design.md "Connections and limits"): each listener has its
// own connection cap and a cap per client address; a connection over a cap
// is closed at once (HTTP: after a 503). Nothing is read from a connection
// while its request or milter stage is in progress beyond a small queue, or
// while its output is over the cap. HTTP deadlines are in http/connection.h;
// a milter connection with no command for milter_idle_timeout, and no stage
// running, is closed; a milter stage or a /v1/scan past scan_timeout
// answers tempfail (451 4.4.3).
//
// DIAGNOSTICS: create() fails with kInvalidArgument for a bad listen address
// and kIo when a socket cannot be bound. accept() failing for lack of file
// descriptors pauses that listener for 100 ms instead of spinning.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "dns/resolver.h"
#include "policy/policy.h"
#include "server/http/connection.h"
#include "server/http/router.h"
#include "server/milter/session.h"

namespace rampart::server {

struct ServerOptions {
  std::string milter_listen = "127.0.0.1:11332";
  std::string http_listen = "127.0.0.1:11334";
  // A milter stage or a /v1/scan past this answers tempfail.
  std::chrono::milliseconds scan_timeout{20000};
  std::chrono::seconds drain_timeout{30};
  // Per listener, and per client address on that listener.
  size_t milter_max_connections = 1000, milter_max_per_address = 1000;
  size_t http_max_connections = 1000, http_max_per_address = 100;
  // A milter connection with no stage running and nothing received for this long is closed.
  std::chrono::seconds milter_idle_timeout{600};
  // Output queued for one connection past which nothing more is read from it.
  size_t max_output = 1u << 20;
  // Milter commands queued behind a running stage past which nothing more is read.
  size_t milter_max_queued = 64;
  size_t max_http_body = 20u << 20;
  // HTTP deadlines (http/connection.h); request_timeout is scan_timeout.
  std::chrono::milliseconds http_header_timeout{10000};
  std::chrono::milliseconds http_body_timeout{60000};
  // A kept-alive HTTP connection with no request in progress is closed after this.
  std::chrono::milliseconds http_idle_timeout{60000};

  // [server]: milter, http (listen addresses), scan_timeout_s,
  // drain_timeout_s, max_connections (the default of both listeners' caps),
  // milter_max_connections, milter_max_per_address, http_max_connections,
  // http_max_per_address, milter_idle_timeout_s, http_header_timeout_s,
  // http_body_timeout_s, http_idle_timeout_s. Errc::kConfig for a value out
  // of its range.
  static Result<ServerOptions> from(const Config& cfg);
};

// "ADDR:PORT" or "[v6]:PORT".
Result<std::pair<IpAddress, uint16_t>> parse_listen(std::string_view s);

class Server {
 public:
  using Reload = std::function<Result<std::shared_ptr<policy::Pipeline>>()>;
  // `extra_metrics` appends Prometheus text (DNS cache, throttle) to /metrics;
  // `router` (null: one of its own) serves the HTTP API and must outlive the server.
  static Result<std::unique_ptr<Server>> create(const ServerOptions& opt, dns::Resolver& resolver,
                                                std::shared_ptr<policy::Pipeline> pipeline, Reload reload,
                                                std::function<std::string()> extra_metrics = {},
                                                Router* router = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t milter_port() const;
  uint16_t http_port() const;
  int run();
  // Asks run() to drain and return (thread- and signal-safe).
  void stop();
  // `fn` runs on the event loop about every 100 ms (rampartd polls its
  // feedback-report Maildir from it). Set before run().
  void set_tick(std::function<void()> fn);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::server

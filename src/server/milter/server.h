// File: src/server/milter/server.h
// Server: rampartd's event loop. One thread, epoll: the milter listener and
// its connections (MilterSession each), the HTTP API listener (http.h), the
// resolver's fd (UnboundResolver::fd through CachingResolver), a signalfd
// (SIGHUP reload, SIGTERM/SIGINT drain) and a 100 ms tick for deadlines.
//
//   ServerOptions o;
//   o.milter_listen = "127.0.0.1:0";        // port 0: the kernel picks
//   o.http_listen = "127.0.0.1:0";          // empty: no HTTP API
//   auto srv = Server::create(o, resolver, pipeline, reload_fn);   // Result<unique_ptr<Server>>
//   srv->milter_port(); srv->http_port();
//   return srv->run();                      // until SIGTERM has drained
//
// Signals must be blocked in every thread before any is started (main does
// it first thing; libunbound starts a thread): run() reads them from a
// signalfd. SIGHUP calls `reload`; on error the old pipeline stays and the
// error is logged. SIGTERM stops accepting, lets open milter connections
// finish (Postfix closes them after its SMTP session) up to drain_timeout,
// then returns 0.
//
// DIAGNOSTICS: create() fails with kInvalidArgument for a bad listen address
// and kIo when a socket cannot be bound. Connections beyond max_connections
// are closed at once (the MTA applies milter_default_action = tempfail).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "dns/resolver.h"
#include "policy/policy.h"
#include "server/milter/http.h"
#include "server/milter/session.h"

namespace rampart::server {

struct ServerOptions {
  std::string milter_listen = "127.0.0.1:11332";
  std::string http_listen = "127.0.0.1:11334";
  std::chrono::milliseconds scan_timeout{20000};
  std::chrono::seconds drain_timeout{30};
  size_t max_connections = 1000;
  size_t max_http_body = 20u << 20;
  // A kept-alive HTTP connection with no request in progress is closed after this.
  std::chrono::seconds http_idle_timeout{60};
};

// "ADDR:PORT" or "[v6]:PORT".
Result<std::pair<IpAddress, uint16_t>> parse_listen(std::string_view s);

// Extra HTTP endpoints (rampartd's POST /v1/reports, /v1/learn): the route
// returns false for a path it does not serve ("no such endpoint"); for one it
// serves it calls `respond` exactly once with the reply (JSON body), at once
// or later from the event loop (a report whose DKIM keys are looked up). A
// reply for a connection closed in the meantime is dropped.
struct HttpReply {
  int status = 200;
  std::string body;
};
using HttpRespond = std::function<void(HttpReply)>;
using HttpRoute = std::function<bool(const HttpRequest&, HttpRespond respond)>;

class Server {
 public:
  using Reload = std::function<Result<std::shared_ptr<policy::Pipeline>>()>;
  // `extra_metrics` appends Prometheus text (DNS cache, throttle) to /metrics;
  // `route` serves paths the server does not know itself.
  static Result<std::unique_ptr<Server>> create(const ServerOptions& opt, dns::Resolver& resolver,
                                                std::shared_ptr<policy::Pipeline> pipeline, Reload reload,
                                                std::function<std::string()> extra_metrics = {},
                                                HttpRoute route = {});
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

// File: src/server/server.h
// Server: rampartd's event loops on Boost.Asio. N loops (ServerOptions::loops,
// default one per core), one asio::io_context and one thread each (loop 0
// runs on the thread that calls run()). Every loop has its own connections,
// its own resolver (the caller gives one per loop: dns::CachingResolver is
// not thread-safe) and its own scan pipeline built by a PipelineFactory over
// that resolver (checks keep caches); what the loops share is thread-safe:
// the listeners' connection caps (a mutex), the Router, the Throttle and
// Feedback (their own locks), the metrics (atomics).
//
//   ServerOptions o;
//   o.milter_listen = "127.0.0.1:0";        // port 0: the kernel picks
//   o.http_listen = "127.0.0.1:0";          // empty: no HTTP API
//   o.loops = 2;
//   std::vector<dns::Resolver*> dns = {&r0, &r1};   // one per loop
//   auto pipes = [&](dns::Resolver& r) { return Pipeline::create(cfg, r, clock, throttle); };
//   Router router(access);                   // http/router.h; add_feedback_routes(router, fb) ...
//   auto srv = Server::create(o, dns, pipes, reload_fn, metrics_fn, &router);
//   srv->milter_port(); srv->http_port(); srv->executor(0);
//   return srv->run();                      // until SIGTERM has drained
//
// create() adds GET /healthz, GET /metrics (both open) and POST /v1/scan
// (right: scan) to the router.
//
// Listeners: one acceptor per listener, on loop 0, hands each accepted
// connection to the loops in turn (round robin), so two connections go to
// two loops whatever their addresses (SO_REUSEPORT would hash them, and a
// closed listener would drop the connections queued on it at a drain).
// Each loop thread is the current executor of its thread (core/executor.h:
// work finished elsewhere comes back with current_executor()->post()).
//
// Signals: SIGHUP/SIGTERM/SIGINT must be blocked in every thread before any
// is started (main does it first thing; libunbound starts threads): run()
// installs an asio::signal_set on loop 0 and unblocks them on its thread
// only. SIGHUP calls `reload` on loop 0: the new factory builds one
// pipeline per loop, each handed to its loop; on error the old pipelines
// stay and the error is logged. SIGTERM stops accepting, lets open milter
// connections finish (Postfix closes them after its SMTP session) up to
// drain_timeout on every loop, then run() returns 0.
//
// Limits (docs/design.md "Connections and limits"): each listener has its
// own connection cap and a cap per client address, both global across the
// loops; a connection over a cap is closed at once (HTTP: after a 503).
// Nothing is read from a connection while its request or milter stage is in
// progress beyond a small queue, or while its output is over the cap. HTTP
// deadlines are in http/connection.h; a milter connection with no command
// for milter_idle_timeout, and no stage running, is closed; a milter stage
// or a /v1/scan past scan_timeout answers tempfail (451 4.4.3). Deadlines
// are absolute and checked by each loop's 100 ms steady_timer.
//
// DIAGNOSTICS: create() fails with kInvalidArgument for a bad listen address
// or a resolver count other than the loop count, and kIo when a socket
// cannot be bound. accept() failing for lack of file descriptors pauses that
// listener for 100 ms instead of spinning.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/executor.h"
#include "core/metrics.h"
#include "core/result.h"
#include "dns/resolver.h"
#include "policy/policy.h"
#include "policy/verdict_log.h"
#include "server/http/connection.h"
#include "server/http/router.h"
#include "server/http/tls.h"
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
  // Event loops (threads); from(): [server] loops, 0 or absent = one per core.
  size_t loops = 1;
  // Not in the file: the daemon's registry, where the server registers its
  // latency histograms (milter end of message, API and console requests,
  // /v1/scan). Null: none. Must outlive the server.
  Metrics* metrics = nullptr;
  // Not in the file: told of every decided message (milter; /v1/scan unless
  // look-only) on its loop; rampartd's console keeps its per-sender history with it.
  policy::VerdictObserver on_verdict;

  // [server]: milter, http (listen addresses), scan_timeout_s,
  // drain_timeout_s, max_connections (the default of both listeners' caps),
  // milter_max_connections, milter_max_per_address, http_max_connections,
  // http_max_per_address, milter_idle_timeout_s, http_header_timeout_s,
  // http_body_timeout_s, http_idle_timeout_s, loops (0: the number of
  // cores, std::thread::hardware_concurrency()). Errc::kConfig for a value out
  // of its range.
  static Result<ServerOptions> from(const Config& cfg);
};

// "ADDR:PORT" or "[v6]:PORT".
Result<std::pair<IpAddress, uint16_t>> parse_listen(std::string_view s);

class Server {
 public:
  // Builds one loop's pipeline over that loop's resolver.
  using PipelineFactory = std::function<std::shared_ptr<policy::Pipeline>(dns::Resolver&)>;
  // SIGHUP: the factory of the new configuration, or an error (the old stays).
  using Reload = std::function<Result<PipelineFactory>()>;
  // `resolvers`: one per loop (opt.loops), each used by its loop's thread
  // only; `extra_metrics` appends Prometheus text (DNS cache, throttle) to
  // /metrics; `router` (null: one of its own) serves the HTTP API and must
  // outlive the server.
  static Result<std::unique_ptr<Server>> create(const ServerOptions& opt,
                                                std::vector<dns::Resolver*> resolvers,
                                                PipelineFactory pipelines, Reload reload,
                                                std::function<std::string()> extra_metrics = {},
                                                Router* router = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t milter_port() const;
  uint16_t http_port() const;
  size_t loops() const;
  // The web console's listener (src/console): its own address, caps as the
  // HTTP API's, requests to `handler` (which must outlive the server); over
  // TLS when `tls` is set (http/tls.h). Before run(); kIo when the address
  // cannot be bound.
  Status listen_console(const std::string& spec, HttpHandler* handler,
                        std::shared_ptr<TlsContext> tls = nullptr);
  uint16_t console_port() const;  // 0: no console
  // The members' exchange (src/exchange): its own listener, always mutual
  // TLS (TlsContext::server_mutual); each request carries the client
  // certificate's SHA-256 (HttpRequest::tls_peer_sha256). Before run().
  Status listen_exchange(const std::string& spec, HttpHandler* handler, std::shared_ptr<TlsContext> tls);
  uint16_t exchange_port() const;  // 0: no exchange
  // GET /metrics's text (any thread).
  std::string metrics_text();
  // POST /v1/scan without the access check (the console's Scan page, which
  // checks its own sessions); on an event loop's thread.
  void scan(HttpRequest req, HttpRespond respond);
  // Loop `i`'s executor (post() runs a function on that loop's thread).
  Executor& executor(size_t i);
  int run();
  // Asks run() to drain and return (thread- and signal-safe).
  void stop();
  // `fn` runs on loop 0 about every 100 ms (rampartd polls its
  // feedback-report Maildir from it). Set before run().
  void set_tick(std::function<void()> fn);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::server

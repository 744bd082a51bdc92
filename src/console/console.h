// File: src/console/console.h
// The web console: rampartd's operator pages and their JSON API, on a
// listener of their own (loopback by default), with accounts, sessions,
// CSRF checks and login rate limits. It is an HttpHandler for the server's
// event loops (src/server/server.h Server::listen_console); it reaches the
// daemon only through ConsoleBackend (metrics text, a look-only scan, a
// reputation lookup), so it is tested without one.
//
//   auto cc = ConsoleConfig::from(cfg, data_dir);       // [console]; strict
//   ConsoleBackend b{.metrics_text = ..., .scan = ..., .reputation = ...};
//   auto console = Console::create(*cc, std::move(b));  // loads the bundle from cc->assets
//   server->listen_console(cc->listen, console->get());
//   (*console)->set_port(server->console_port());
//   loop 0's tick: (*console)->tick(clock.unix_seconds());
//
//   [console]
//   enabled = true
//   listen = "127.0.0.1:11335"          # loopback only, unless TLS:
//   tls_cert = "/etc/rampart/console.crt"   # PEM chain, leaf first
//   tls_key = "/etc/rampart/console.key"
//   assets = "/usr/share/rampart/web"   # the bundle built from web/
//   users = "/var/lib/rampart/console/users"   # default: <data-dir>/console/users
//   history = "/var/lib/rampart/console/history" # default: <data-dir>/console/history
//   hosts = ["console.example:11335"]   # further Host values to accept (behind a proxy)
//   sample_s = 10                       # seconds between history samples
//   session_idle_s = 1800
//   session_max_s = 43200
//   max_sessions = 1000
//   login_max_failures = 5              # per client address and per user name
//   login_window_s = 900
//
// Pages (one static bundle; the server checks the session and role before
// serving each): /login (open), /live and /senders (viewer), /zombies
// (viewer), /zones and /channels (viewer), /scan (operator), /users (admin). Without a session a page is
// 303 to /login, an API call 401; with a role too low: 403.
// API: POST /api/login (form user, password; Origin checked; rate
// limited: 429 with Retry-After), POST /api/logout, GET /api/me,
// GET /api/live, GET /api/history?range=hour|day|month,
// GET /api/senders?q=IDENTITY, POST /api/scan (operator; the message as
// body, envelope as /v1/scan's X- headers; look only: no reputation
// events), GET /api/zombies, POST /api/zombies/release (operator),
// GET /api/zones, GET /api/exchange (the sharing group's members),
// GET /api/channels (the calls' incidents, the SMS/IM senders' classes and
// their verdict counts; a channel that is off: "enabled": false),
// GET /api/users, POST /api/users, POST /api/users/delete (admin),
// GET /api/log-level, POST /api/log-level (admin; form level=NAME; logged
// at warn with the user's name, as PUT /v1/log-level is).
// Every POST but login needs the session's X-CSRF-Token and a matching
// Origin (sessions.h csrf_check). Every answer carries a strict
// Content-Security-Policy (no source but 'self'), nosniff, DENY framing and
// no-store.
//
// Threads: handle() runs on any event loop; sessions, limiter and history
// lock themselves. Password checks (Argon2id, ~100 ms, 64 MiB) and the
// users file run on one worker thread of the console's, never on a loop;
// their answers are posted back to the loop that asked
// (current_executor()). At most 64 jobs wait; more answer 503.
// DIAGNOSTICS: ConsoleConfig::from records kConfig errors naming
// file:line:column and the key (a listen address that is not loopback
// without TLS, one of tls_cert/tls_key without the other, a bad number);
// Console::create fails kIo when the bundle directory cannot be read or
// holds no index.html. A history file that cannot be read is logged and the
// history starts empty.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/accounts.h"
#include "console/history.h"
#include "console/sender_history.h"
#include "console/sessions.h"
#include "core/config.h"
#include "core/result.h"
#include "server/http/connection.h"

namespace rampart::console {

struct ConsoleConfig {
  bool enabled = false;
  std::string listen = "127.0.0.1:11335";
  // PEM files: with both, the listener speaks TLS (http/tls.h), cookies are
  // Secure (__Host-rampart_session) and listen may be any address.
  std::string tls_cert, tls_key;
  bool tls() const { return !tls_cert.empty(); }
  std::string assets = "/usr/share/rampart/web";
  std::string users;    // the accounts file
  std::string history;  // the time series kept across restarts ("": not kept)
  std::string senders;  // the per-sender daily counters kept across restarts ("": not kept)
  std::vector<std::string> hosts;
  int64_t sample_s = 10;  // seconds between history samples (1-60)
  SessionLimits sessions;
  LoginLimits login;
  // [console]: every key above. `data_dir`: the default users file's home
  // (<data_dir>/console/users; without one /var/lib/rampart/console/users).
  static Result<ConsoleConfig> from(const Config& cfg, const std::string& data_dir);
};

struct ConsoleBackend {
  // GET /metrics's text (any thread).
  std::function<std::string()> metrics_text;
  // A look-only scan (the request carries /v1/scan's headers and the
  // message); answers a verdict as JSON. On an event loop's thread.
  std::function<void(server::HttpRequest, server::HttpRespond)> scan;
  // A reputation report ("ip:192.0.2.1") as JSON: status and body.
  std::function<void(std::string id, std::function<void(int, std::string)>)> reputation;
  // Bot incidents (src/server/flow_service.h); unset without a flow
  // collector. `zombies`: {"incidents": [...]} (any thread). `zombie_change`:
  // release (extend false) or extend incident `id` by `who` with `reason`
  // (`seconds` 0: the action's usual TTL); `done(status, json)` on the
  // caller's loop.
  std::function<std::string()> zombies;
  std::function<size_t()> zombies_active;  // open or extended (the Live page)
  std::function<void(uint64_t id, bool extend, std::string who, std::string reason, int64_t seconds,
                     std::function<void(int, std::string)> done)>
      zombie_change;
  // Daily counters per sender (filled by rampartd's verdicts; null: no plot).
  // The console loads it from [console] senders at create and saves it with the history.
  std::shared_ptr<SenderHistory> senders;
  // The members' exchange (src/server/exchange_service.h members_json());
  // unset without [exchange]. Any thread.
  std::function<std::string()> exchange_members;
  // The other channels (GET /api/channels): the calls' incidents
  // ({"incidents": [...]}, as GET /v1/calls/incidents) and the SMS/IM
  // senders' classes ({"senders": [...]}, as GET /v1/messages/senders);
  // unset when [calls] / [messages] is off. `done` runs on the caller's
  // loop, with "" when the service's queue is full.
  std::function<void(std::function<void(std::string)>)> call_incidents;
  std::function<void(std::function<void(std::string)>)> message_senders;
};

// GET /api/channels's body (pure): `calls` and `senders` are the services'
// answers (nullopt: the channel is off, "": it was busy) and `metrics_text`
// the Prometheus text the per-action counts come from
// (rampart_calls_total{action}, rampart_messages_total{channel,action},
// rampart_messages_complaints_total). {"calls": {"enabled": false} | {"enabled":
// true, "counts": {action: n}, "incidents": [...]}, "messages": {"enabled":
// false} | {"enabled": true, "counts": {channel: {action: n}}, "complaints": n,
// "senders": [...]}}; a busy service gives an empty list and "busy": true.
std::string channels_json(const std::optional<std::string>& calls, const std::optional<std::string>& senders,
                          std::string_view metrics_text);

class Console final : public server::HttpHandler {
 public:
  static Result<std::unique_ptr<Console>> create(ConsoleConfig cfg, ConsoleBackend backend);
  ~Console() override;
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // The bound port (Host and Origin values the console answers to).
  void set_port(uint16_t port);
  void handle(server::HttpRequest req, server::HttpRespond respond) override;
  server::HttpReply timeout_reply(std::string_view path) override;
  // About every 100 ms from one loop: a history sample every sample_s
  // seconds, expired sessions dropped.
  void tick(int64_t unix_seconds);

  // At stop (no loop running, their executors still there): finishes the
  // worker's jobs (their answers are posted to the loops, which drop them)
  // and ends the worker thread, so that nothing posts to a loop later.
  void stop();
  // At stop: the history to `history`, atomically. Logs and returns the error.
  Status save_history();
  // For tests: the Argon2id cost of accounts added through the API.
  void set_hash_cost(HashCost c);
  SessionStore& sessions();
  const History& history() const;

  struct Impl;

 private:
  explicit Console(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::console

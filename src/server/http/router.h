// File: src/server/http/router.h
// Router: rampartd's HTTP endpoints by method and path, each with the right
// a token must hold (access.h), as the HttpHandler of every connection.
//
//   Router r(std::move(access));
//   r.add("GET", "/healthz", std::nullopt, [](HttpRequest&, std::string_view, HttpRespond done) {...});
//   r.add("POST", "/v1/learn", Right::kLearn, learn);
//   r.add("GET", "/v1/reputation/", Right::kRead, rep, Router::kPrefix);   // the rest of the path is the id
//   r.set_timeout("/v1/scan", [] { return HttpReply{200, timeout_verdict_json()}; });
//
// A path no route knows: 404. A known path, another method: 405 ("use
// GET"). Then access: 401 (no token or an unknown one) or 403 (a token
// without the right, or a write endpoint while no token is configured);
// the handler does not run, so nothing changes. A token over its rate
// (access.h): 429 with Retry-After (RFC 6585 4), nor does it run. Exact
// paths win over prefixes, longer prefixes over shorter. Everything answers
// JSON {"error": "..."} on failure.
//
// Threads: add() and set_timeout() before the server starts; then handle()
// runs on every event loop at once (routes are read-only, the tokens an
// atomic shared_ptr swapped by set_access(), the counters atomics). The
// handlers themselves must be thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/access.h"
#include "server/http/connection.h"

namespace rampart::server {

class Router final : public HttpHandler {
 public:
  // `rest`: the path after a prefix route's prefix ("" for exact routes).
  using Handler = std::function<void(HttpRequest& req, std::string_view rest, HttpRespond respond)>;
  static constexpr bool kPrefix = true;

  explicit Router(AccessControl access = {});
  void add(std::string method, std::string path, std::optional<Right> right, Handler h, bool prefix = false);
  void set_timeout(std::string path, std::function<HttpReply()> reply);
  // SIGHUP: the tokens of the new configuration (any thread; requests in
  // progress finish with the tokens they started with).
  void set_access(AccessControl access) {
    access_.store(std::make_shared<const AccessControl>(std::move(access)));
    access_version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const AccessControl> access() const { return access_.load(); }

  void handle(HttpRequest req, HttpRespond respond) override;
  HttpReply timeout_reply(std::string_view path) override;

  uint64_t unauthorized() const { return unauthorized_.load(std::memory_order_relaxed); }
  uint64_t forbidden() const { return forbidden_.load(std::memory_order_relaxed); }
  uint64_t rate_limited() const { return rate_limited_.load(std::memory_order_relaxed); }

 private:
  struct Route {
    std::string method, path;
    std::optional<Right> right;
    Handler handler;
    bool prefix = false;
  };
  std::vector<Route> routes_;
  std::vector<std::pair<std::string, std::function<HttpReply()>>> timeouts_;
  // The tokens in effect for a request on this thread: each thread keeps its
  // own copy of access_ and loads it again only when access_version_ moved,
  // so the loops do not all write access_'s lock and count per request.
  const AccessControl& current_access() const;

  std::atomic<std::shared_ptr<const AccessControl>> access_;
  std::atomic<uint64_t> access_version_{0};
  const uint64_t uid_;  // which Router a thread's copy belongs to
  std::atomic<uint64_t> unauthorized_{0}, forbidden_{0}, rate_limited_{0};
};

}  // namespace rampart::server

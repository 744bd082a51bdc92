// File: src/server/http/router.cc
// Endpoints by method and path, with access control (see router.h).
#include "server/http/router.h"

namespace rampart::server {

namespace {
std::atomic<uint64_t> g_next_router{1};
}  // namespace

Router::Router(AccessControl access)
    : access_(std::make_shared<const AccessControl>(std::move(access))),
      uid_(g_next_router.fetch_add(1, std::memory_order_relaxed)) {}

const AccessControl& Router::current_access() const {
  struct Copy {
    uint64_t uid = 0, version = 0;
    std::shared_ptr<const AccessControl> access;
  };
  thread_local Copy copy;
  const uint64_t v = access_version_.load(std::memory_order_acquire);
  if (copy.uid != uid_ || copy.version != v || !copy.access) {
    copy.access = access_.load();
    copy.uid = uid_;
    copy.version = v;
  }
  return *copy.access;
}

void Router::add(std::string method, std::string path, std::optional<Right> right, Handler h, bool prefix) {
  routes_.push_back(Route{std::move(method), std::move(path), right, std::move(h), prefix});
}

void Router::set_timeout(std::string path, std::function<HttpReply()> reply) {
  timeouts_.emplace_back(std::move(path), std::move(reply));
}

void Router::handle(HttpRequest req, HttpRespond respond) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  // The best path match: exact, else the longest prefix.
  const Route* best_path = nullptr;
  for (const Route& r : routes_) {
    const bool match = r.prefix ? path.compare(0, r.path.size(), r.path) == 0 : path == r.path;
    if (!match) continue;
    if (!best_path || (!r.prefix && best_path->prefix) ||
        (r.prefix == best_path->prefix && r.path.size() > best_path->path.size()))
      best_path = &r;
  }
  if (!best_path) {
    respond(HttpReply{404, error_json("no such endpoint")});
    return;
  }
  const Route* route = nullptr;
  std::string allowed;
  for (const Route& r : routes_) {
    if (r.path != best_path->path || r.prefix != best_path->prefix) continue;
    if (r.method == req.method) route = &r;
    if (!allowed.empty()) allowed += " or ";
    allowed += r.method;
  }
  if (!route) {
    respond(HttpReply{405, error_json("use " + allowed)});
    return;
  }
  if (route->right) {
    const AccessControl& access = current_access();
    int64_t retry_s = 1;
    switch (access.check(req, *route->right, nullptr, &retry_s)) {
      case Access::kAllowed: break;
      case Access::kRateLimited:
        rate_limited_.fetch_add(1, std::memory_order_relaxed);
        respond(HttpReply{429, error_json("this token is over its request rate"), "application/json",
                          "Retry-After: " + std::to_string(retry_s) + "\r\n"});
        return;
      case Access::kUnauthorized:
        unauthorized_.fetch_add(1, std::memory_order_relaxed);
        respond(HttpReply{401, error_json("a bearer token with the " +
                                          std::string(right_name(*route->right)) + " right is required")});
        return;
      case Access::kForbidden:
        forbidden_.fetch_add(1, std::memory_order_relaxed);
        respond(HttpReply{
            403, error_json(access.open() ? "writes need a token: configure [[http.tokens]]"
                                          : "this token lacks the " + std::string(right_name(*route->right)) +
                                                " right")});
        return;
    }
  }
  const std::string_view rest = route->prefix ? std::string_view(path).substr(route->path.size()) : "";
  route->handler(req, rest, std::move(respond));
}

HttpReply Router::timeout_reply(std::string_view path) {
  for (const auto& [p, fn] : timeouts_)
    if (p == path) return fn();
  return HttpReply{503, error_json("request timed out")};
}

}  // namespace rampart::server

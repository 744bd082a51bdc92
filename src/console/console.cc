// File: src/console/console.cc
// The web console's pages and API (see console.h).
#include "console/console.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "console/forms.h"
#include "core/executor.h"
#include "core/ip.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strings.h"
#include "reputation/event.h"

namespace rampart::console {

using server::HttpReply;
using server::HttpRequest;
using server::HttpRespond;

namespace {
bool is_loopback(const IpAddress& a) {
  const IpAddress u = a.unmapped();
  if (u.is_v4()) return u.bytes()[0] == 127;
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  return u.bytes() == one;
}
}  // namespace

Result<ConsoleConfig> ConsoleConfig::from(const Config& cfg, const std::string& data_dir) {
  const size_t mark = cfg.error_count();
  ConsoleConfig c;
  Section s = cfg.section("console");
  c.enabled = s.boolean("enabled", c.enabled);
  c.listen = s.string("listen", c.listen);
  c.tls_cert = s.string("tls_cert", "");
  c.tls_key = s.string("tls_key", "");
  if (c.tls_cert.empty() != c.tls_key.empty())
    s.invalid(c.tls_cert.empty() ? "tls_key" : "tls_cert", "tls_cert and tls_key go together");
  if (auto hp = parse_host_port(c.listen, -1, true); !hp) {
    s.invalid("listen", hp.error().message);
  } else if (!is_loopback(hp->ip) && !c.tls()) {
    s.invalid("listen",
              "without tls_cert and tls_key the console listens on loopback only (127.0.0.0/8, ::1)");
  }
  c.assets = s.string("assets", c.assets);
  c.users = s.string("users", default_users_file(data_dir));
  c.history = s.string("history", data_dir.empty() ? std::string() : data_dir + "/console/history");
  c.senders = s.string("senders", data_dir.empty() ? std::string() : data_dir + "/console/senders");
  c.hosts = s.strings("hosts");
  for (const std::string& h : c.hosts)
    if (h.empty() || h.size() > 255 || h.find_first_of(" /\t\r\n") != std::string::npos)
      s.invalid("hosts", "not a host[:port]: '" + h + "'");
  c.sample_s = s.integer("sample_s", c.sample_s, 1, 60);
  c.sessions.idle = std::chrono::seconds(s.integer("session_idle_s", c.sessions.idle.count(), 60, 7 * 86400));
  c.sessions.absolute =
      std::chrono::seconds(s.integer("session_max_s", c.sessions.absolute.count(), 60, 30 * 86400));
  c.sessions.max_sessions = static_cast<size_t>(s.integer("max_sessions", 1000, 1, 1000000));
  c.login.max_failures = static_cast<uint32_t>(s.integer("login_max_failures", 5, 1, 1000));
  c.login.window = std::chrono::seconds(s.integer("login_window_s", c.login.window.count(), 1, 86400));
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

namespace {

constexpr size_t kMaxJobs = 64;
constexpr size_t kMaxFormBytes = 16384;
constexpr size_t kMaxAssetBytes = 16u << 20;
// With TLS the __Host- prefix (RFC 6265bis 4.1.3.2): Secure, Path=/, no Domain.
const char* const kSessionCookie = "rampart_session";
const char* const kSecureSessionCookie = "__Host-rampart_session";

// Served with every answer: nothing but this origin, no framing, no caching.
const char* const kSecurityHeaders =
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";

HttpReply json_reply(int status, std::string body, std::string headers = {}) {
  HttpReply r{status, std::move(body)};
  r.headers = kSecurityHeaders + headers;
  return r;
}
HttpReply error_reply(int status, std::string_view why, std::string headers = {}) {
  return json_reply(status, JsonObject().str("error", why).done(), std::move(headers));
}

std::string_view content_type_of(std::string_view name) {
  if (iends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (iends_with(name, ".css")) return "text/css; charset=utf-8";
  if (iends_with(name, ".html")) return "text/html; charset=utf-8";
  if (iends_with(name, ".svg")) return "image/svg+xml";
  if (iends_with(name, ".png")) return "image/png";
  if (iends_with(name, ".map") || iends_with(name, ".json")) return "application/json";
  return "application/octet-stream";
}

// The page paths and the least role each needs (nullopt: open).
struct Page {
  const char* path;
  std::optional<Role> role;
};
constexpr Page kPages[] = {
    {"/login", std::nullopt},    {"/live", Role::kViewer},     {"/senders", Role::kViewer},
    {"/zombies", Role::kViewer}, {"/scan", Role::kOperator},   {"/users", Role::kAdmin},
    {"/zones", Role::kViewer},   {"/channels", Role::kViewer},
};

// A sender search as a reputation identity: an address, a network, a
// "kind:value" identity, else a domain.
std::optional<std::string> identity_of(std::string_view q) {
  q = trim(q);
  if (q.empty() || q.size() > 300) return std::nullopt;
  if (auto ip = IpAddress::parse(q)) return "ip:" + ip->to_string();
  // Other channels (issue 16): a channel's identity, canonical; a telephone
  // number ("+" and digits) as a caller (voice:; the page adds its sms:
  // twin), 3-8 digits as an SMS short code.
  for (std::string_view kind : {"sms:", "voice:", "shortcode:", "im:", "sip:", "trunk:"})
    if (istarts_with(q, kind)) return reputation::canonical_channel_key(q);
  if (q.starts_with('+')) return reputation::canonical_channel_key("voice:" + std::string(q));
  if (q.size() >= 3 && q.size() <= 8 && q.find_first_not_of("0123456789") == std::string_view::npos)
    return "shortcode:" + std::string(q);
  if (q.find('/') != std::string_view::npos)
    if (auto net = parse_cidr(q)) return "net:" + std::string(q);
  for (std::string_view kind : {"ip:", "net:", "domain:", "dkim:", "spf:", "pra:", "fbid:", "org:"})
    if (istarts_with(q, kind)) return std::string(q);
  for (char c : q)
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_') return std::nullopt;
  return "domain:" + to_lower(q);
}

}  // namespace

struct Console::Impl {
  ConsoleConfig cfg;
  ConsoleBackend backend;
  SessionStore sessions_;
  LoginLimiter limiter;
  History history_;
  std::map<std::string, std::pair<std::string, std::string>> assets;  // name -> (type, bytes)
  std::mutex host_mu;
  std::vector<std::string> hosts;  // accepted Host header values
  HashCost cost = interactive_cost();
  int64_t next_sample = 0;
  // The accounts file as last seen by the worker (mtime, size): a change
  // ends the sessions of users deleted or given another role.
  std::atomic<int64_t> users_stamp{-1};
  std::atomic<bool> users_check_queued{false};
  std::atomic<uint64_t> logins_ok{0}, logins_failed{0}, logins_limited{0}, csrf_refused{0};

  // The worker: Argon2id and the users file, off the event loops.
  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::thread worker;

  Impl(ConsoleConfig c, ConsoleBackend b)
      : cfg(std::move(c)), backend(std::move(b)), sessions_(cfg.sessions), limiter(cfg.login) {}

  ~Impl() { stop_worker(); }

  // Runs the jobs queued, then ends the worker; later offloads answer 503.
  void stop_worker() {
    {
      const std::lock_guard lk(jobs_mu);
      stopping = true;
    }
    jobs_cv.notify_all();
    if (worker.joinable()) worker.join();
  }

  void start_worker() {
    worker = std::thread([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lk(jobs_mu);
          jobs_cv.wait(lk, [this] { return stopping || !jobs.empty(); });
          if (jobs.empty()) return;
          job = std::move(jobs.front());
          jobs.pop_front();
        }
        try {
          job();
        } catch (const std::exception& e) {
          log::get()->error("console worker: {}", e.what());
        }
      }
    });
  }

  // Runs `work` on the worker; its reply goes to `respond` on the loop that
  // asked. False when the queue is full.
  bool offload(std::function<HttpReply()> work, HttpRespond respond) {
    Executor* home = current_executor();
    const std::lock_guard lk(jobs_mu);
    if (jobs.size() >= kMaxJobs || stopping) return false;
    jobs.push_back([work = std::move(work), respond = std::move(respond), home]() mutable {
      HttpReply r = work();
      if (home) {
        home->post([respond = std::move(respond), r = std::move(r)]() mutable { respond(std::move(r)); });
      } else {
        respond(std::move(r));
      }
    });
    jobs_cv.notify_one();
    return true;
  }

  Status load_assets() {
    DIR* d = ::opendir(cfg.assets.c_str());
    if (!d) return fail(Errc::kIo, "console assets " + cfg.assets + ": cannot open (build web/: make web)");
    size_t total = 0;
    std::string err;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name[0] == '.') continue;
      const std::string path = cfg.assets + "/" + name;
      struct stat sb {};
      if (::stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
      total += static_cast<size_t>(sb.st_size);
      if (total > kMaxAssetBytes || assets.size() >= 64) {
        err = "console assets " + cfg.assets + ": over 64 files or 16 MiB";
        break;
      }
      std::ifstream in(path, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      if (!in.good() && !in.eof()) {
        err = "console assets: cannot read " + path;
        break;
      }
      assets[name] = {std::string(content_type_of(name)), ss.str()};
    }
    ::closedir(d);
    if (!err.empty()) return fail(Errc::kIo, err);
    if (!assets.count("index.html"))
      return fail(Errc::kIo, "console assets " + cfg.assets + ": no index.html");
    return {};
  }

  void set_port(uint16_t port) {
    std::vector<std::string> h;
    const std::string p = std::to_string(port);
    h.push_back("127.0.0.1:" + p);
    h.push_back("localhost:" + p);
    h.push_back("[::1]:" + p);
    if (auto hp = parse_host_port(cfg.listen, -1, true)) {
      const std::string ip = hp->ip.to_string();
      h.push_back((ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + p);
    }
    for (const std::string& x : cfg.hosts) h.push_back(to_lower(x));
    const std::lock_guard lk(host_mu);
    hosts = std::move(h);
  }

  bool host_ok(const HttpRequest& req) {
    const std::string* host = req.header("host");
    if (!host) return false;
    const std::string h = to_lower(trim(*host));
    const std::lock_guard lk(host_mu);
    return std::find(hosts.begin(), hosts.end(), h) != hosts.end();
  }

  std::vector<std::string> origins(const HttpRequest& req) {
    const std::string* host = req.header("host");
    if (!host) return {};
    return {(cfg.tls() ? "https://" : "http://") + to_lower(trim(*host))};
  }

  std::optional<Session> session_of(const HttpRequest& req) {
    const std::string* cookie = req.header("cookie");
    if (!cookie) return std::nullopt;
    auto c = parse_cookie_header(*cookie);
    if (!c) return std::nullopt;
    const std::string* id = find_field(*c, cfg.tls() ? kSecureSessionCookie : kSessionCookie);
    if (!id) return std::nullopt;
    return sessions_.find(*id, std::chrono::steady_clock::now());
  }

  std::string session_cookie(const std::string& value, bool clear) const {
    std::string c = "Set-Cookie: " + std::string(cfg.tls() ? kSecureSessionCookie : kSessionCookie) + "=" +
                    value + "; Path=/; HttpOnly; SameSite=Strict";
    if (cfg.tls()) c += "; Secure";
    if (clear) c += "; Max-Age=0";
    return c + "\r\n";
  }

  HttpReply asset(std::string_view name, int status = 200) {
    auto it = assets.find(std::string(name));
    if (it == assets.end()) return error_reply(404, "no such file");
    HttpReply r{status, it->second.second, it->second.first};
    r.headers = kSecurityHeaders;
    return r;
  }

  void handle(HttpRequest& req, HttpRespond respond) {
    if (!host_ok(req)) {
      respond(error_reply(400, "unknown Host (add it to [console] hosts)"));
      return;
    }
    const std::string path = req.target.substr(0, req.target.find('?'));
    // The bundle: open (it holds no data).
    if (path == "/favicon.ico") {
      HttpReply r = json_reply(204, "");
      r.content_type = "image/x-icon";
      return respond(std::move(r));
    }
    if (path.starts_with("/assets/")) {
      if (req.method != "GET") return respond(error_reply(405, "use GET"));
      return respond(asset(path.substr(8)));
    }
    if (path == "/" || path.empty()) {
      HttpReply r = json_reply(303, "", "Location: /live\r\n");
      r.content_type = "text/plain";
      return respond(std::move(r));
    }
    for (const Page& p : kPages) {
      if (path != p.path) continue;
      if (req.method != "GET") return respond(error_reply(405, "use GET"));
      if (!p.role) return respond(asset("index.html"));
      auto s = session_of(req);
      if (!s) {
        HttpReply r = json_reply(303, "", "Location: /login?next=" + std::string(p.path).substr(1) + "\r\n");
        r.content_type = "text/plain";
        return respond(std::move(r));
      }
      if (s->role < *p.role) return respond(asset("index.html", 403));  // the page says why
      return respond(asset("index.html"));
    }
    if (path.starts_with("/api/")) return api(req, path, std::move(respond));
    respond(error_reply(404, "no such page"));
  }

  // The API: the session, the role, the CSRF token of a POST, then the route.
  void api(HttpRequest& req, const std::string& path, HttpRespond respond) {
    // Forms are small; only a scanned message may be large.
    if (path != "/api/scan" && req.body.size() > kMaxFormBytes)
      return respond(error_reply(413, "request too large"));
    if (path == "/api/login") {
      if (req.method != "POST") return respond(error_reply(405, "use POST"));
      return login(req, std::move(respond));
    }
    struct Route {
      const char* method;
      const char* path;
      Role role;
    };
    static constexpr Route kRoutes[] = {
        {"GET", "/api/me", Role::kViewer},
        {"POST", "/api/logout", Role::kViewer},
        {"GET", "/api/live", Role::kViewer},
        {"GET", "/api/history", Role::kViewer},
        {"GET", "/api/senders", Role::kViewer},
        {"GET", "/api/zombies", Role::kViewer},
        {"GET", "/api/zones", Role::kViewer},
        {"GET", "/api/exchange", Role::kViewer},
        {"GET", "/api/channels", Role::kViewer},
        {"POST", "/api/zombies/release", Role::kOperator},
        {"POST", "/api/zombies/extend", Role::kOperator},
        {"POST", "/api/scan", Role::kOperator},
        {"GET", "/api/users", Role::kAdmin},
        {"POST", "/api/users", Role::kAdmin},
        {"POST", "/api/users/delete", Role::kAdmin},
        {"GET", "/api/log-level", Role::kAdmin},
        {"POST", "/api/log-level", Role::kAdmin},
    };
    const Route* route = nullptr;
    bool path_known = false;
    for (const Route& r : kRoutes) {
      if (path != r.path) continue;
      path_known = true;
      if (req.method == r.method) route = &r;
    }
    if (!path_known) return respond(error_reply(404, "no such endpoint"));
    if (!route) return respond(error_reply(405, "wrong method"));
    auto s = session_of(req);
    if (!s)
      return respond(error_reply(401, "log in first", "WWW-Authenticate: Cookie realm=\"rampart\"\r\n"));
    if (s->role < route->role)
      return respond(error_reply(403, "the " + std::string(role_name(s->role)) +
                                          " role may not do this (needs " +
                                          std::string(role_name(route->role)) + ")"));
    if (req.method == "POST") {
      switch (csrf_check(req, *s, origins(req))) {
        case CsrfResult::kOk: break;
        case CsrfResult::kBadOrigin:
          csrf_refused++;
          return respond(error_reply(403, "cross-site request refused (Origin)"));
        case CsrfResult::kBadToken:
          csrf_refused++;
          return respond(error_reply(403, "missing or wrong CSRF token"));
      }
    }
    if (path == "/api/me") return respond(json_reply(200, me_json(*s)));
    if (path == "/api/logout") {
      sessions_.remove(s->id);
      return respond(json_reply(200, "{\"ok\": true}", session_cookie("", true)));
    }
    if (path == "/api/live") return respond(json_reply(200, live_json()));
    if (path == "/api/history") {
      auto q = parse_query(req.target);
      Range r = Range::kHour;
      const std::string* rs = q ? find_field(*q, "range") : nullptr;
      if (rs && !parse_range(*rs, r)) return respond(error_reply(400, "range: hour, day or month"));
      return respond(json_reply(200, history_.json(r)));
    }
    if (path == "/api/senders") return senders(req, std::move(respond));
    if (path == "/api/zombies") return respond(json_reply(200, zombies_json()));
    if (path == "/api/zones") return respond(json_reply(200, zones_json()));
    if (path == "/api/exchange")
      return respond(json_reply(200, backend.exchange_members ? "{\"enabled\": true, \"exchange\": " +
                                                                    backend.exchange_members() + "}"
                                                              : std::string("{\"enabled\": false}")));
    if (path == "/api/channels") return channels(std::move(respond));
    if (path == "/api/log-level") return log_level(req, *s, std::move(respond));
    if (path == "/api/zombies/release" || path == "/api/zombies/extend")
      return zombie_change(req, *s, path.ends_with("/extend"), std::move(respond));
    if (path == "/api/scan") return scan(req, *s, std::move(respond));
    if (path == "/api/users" && req.method == "GET") return users_list(std::move(respond));
    if (path == "/api/users") return users_add(req, *s, std::move(respond));
    if (path == "/api/users/delete") return users_delete(req, *s, std::move(respond));
    respond(error_reply(404, "no such endpoint"));
  }

  static std::string me_json(const Session& s) {
    return JsonObject().str("user", s.user).str("role", role_name(s.role)).str("csrf", s.csrf).done();
  }

  void login(HttpRequest& req, HttpRespond respond) {
    // Login CSRF: the form must come from the console's own page.
    bool origin_ok = false;
    if (const std::string* o = req.header("origin"))
      for (const std::string& mine : origins(req)) origin_ok |= equal_ct(*o, mine);
    if (!origin_ok) {
      csrf_refused++;
      return respond(error_reply(403, "cross-site login refused (Origin)"));
    }
    auto form = parse_form(req.body);
    if (!form) return respond(error_reply(400, form.error().message));
    const std::string* user = find_field(*form, "user");
    const std::string* password = find_field(*form, "password");
    if (!user || !password || user->empty() || password->empty())
      return respond(error_reply(400, "user and password are required"));
    const auto now = std::chrono::steady_clock::now();
    const std::string akey = "addr:" + req.peer;
    // A name no account can have is a failure of the address only (no key per junk name).
    const std::string ukey = valid_user_name(*user) ? "user:" + *user : akey;
    if (!limiter.allowed(akey, now) || !limiter.allowed(ukey, now)) {
      logins_limited++;
      const int64_t wait = std::max(limiter.retry_after(akey, now), limiter.retry_after(ukey, now));
      return respond(error_reply(429, "too many failed logins; try again later",
                                 "Retry-After: " + std::to_string(std::max<int64_t>(1, wait)) + "\r\n"));
    }
    std::string name = *user, pw = *password, users_file = cfg.users;
    const bool queued = offload(
        [this, name = std::move(name), pw = std::move(pw), users_file, akey, ukey]() -> HttpReply {
          auto store = AccountStore::load(users_file);
          std::optional<Account> who;
          if (!store) {
            log::get()->error("console: {}", store.error().message);
          } else {
            who = store->verify(name, pw);
          }
          const auto t = std::chrono::steady_clock::now();
          if (!who) {
            limiter.failure(akey, t);
            limiter.failure(ukey, t);
            logins_failed++;
            log::get()->warn("console: failed login for '{}' from {}", name, akey.substr(5));
            return error_reply(401, "wrong user name or password",
                               "WWW-Authenticate: Cookie realm=\"rampart\"\r\n");
          }
          limiter.success(ukey);
          limiter.success(akey);
          logins_ok++;
          Session s = sessions_.create(who->name, who->role, t);
          log::get()->info("console: {} ({}) logged in from {}", who->name, role_name(who->role),
                           akey.substr(5));
          return json_reply(200, me_json(s), session_cookie(s.id, false));
        },
        respond);
    if (!queued) respond(error_reply(503, "busy: try again"));
  }

  std::string live_json() {
    std::string text = backend.metrics_text ? backend.metrics_text() : std::string();
    auto samples = parse_prometheus_text(text);
    if (!samples) samples = Samples{};
    std::map<std::string, double> verdicts;
    std::map<std::string, std::pair<double, double>> checks;    // runs, hits
    std::map<std::string, std::map<std::string, double>> auth;  // method -> result -> messages
    double throttled = 0, throttle_keys = 0, rep_events = 0, scans = 0;
    for (const Sample& s : *samples) {
      if (s.name == "rampart_milter_verdicts_total" || s.name == "rampart_scan_verdicts_total") {
        if (const std::string* a = s.label("action")) verdicts[*a] += s.value;
      } else if (s.name == "rampart_check_runs_total") {
        if (const std::string* c = s.label("check")) checks[*c].first += s.value;
      } else if (s.name == "rampart_check_hits_total") {
        if (const std::string* c = s.label("check")) checks[*c].second += s.value;
      } else if (s.name == "rampart_throttled_total") {
        throttled += s.value;
      } else if (s.name == "rampart_throttle_keys") {
        throttle_keys += s.value;
      } else if (s.name == "rampart_reputation_events_total") {
        rep_events += s.value;
      } else if (s.name == "rampart_http_requests_total") {
        scans += s.value;
      } else if (s.name == "rampart_auth_results_total") {
        const std::string* m = s.label("method");
        const std::string* r = s.label("result");
        if (m && r && s.value > 0) auth[*m][*r] += s.value;
      }
    }
    auto num = [](double v) {
      char b[32];
      std::snprintf(b, sizeof b, "%.6g", v);
      return std::string(b);
    };
    std::string out = "{\"verdicts\": {";
    bool first = true;
    for (const auto& [a, v] : verdicts) {
      out += (first ? "" : ", ") + json_quote(a) + ": " + num(v);
      first = false;
    }
    // Checks by hits (the checks that added a positive score most often).
    std::vector<std::pair<std::string, std::pair<double, double>>> by_hits(checks.begin(), checks.end());
    std::stable_sort(by_hits.begin(), by_hits.end(),
                     [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
    out += "}, \"checks\": [";
    first = true;
    for (const auto& [name, rh] : by_hits) {
      out += std::string(first ? "" : ", ") + "{\"check\": " + json_quote(name) +
             ", \"runs\": " + num(rh.first) + ", \"hits\": " + num(rh.second) + "}";
      first = false;
    }
    // Authentication results by method (rampart_auth_results_total): the pass rates.
    out += "], \"auth\": {";  // method -> {result: messages}
    first = true;
    for (const auto& [m, results] : auth) {
      out += std::string(first ? "" : ", ") + json_quote(m) + ": {";
      bool f2 = true;
      for (const auto& [r, v] : results) {
        out += std::string(f2 ? "" : ", ") + json_quote(r) + ": " + num(v);
        f2 = false;
      }
      out += "}";
      first = false;
    }
    // Rates: the last point of the hour's history.
    const std::string hist = history_.json(Range::kHour);
    out += "}, \"throttled\": " + num(throttled) + ", \"throttle_keys\": " + num(throttle_keys) +
           ", \"reputation_events\": " + num(rep_events) + ", \"http_requests\": " + num(scans) +
           zombies_live() + ", \"sessions\": " + std::to_string(sessions_.size()) +
           ", \"history_hour\": " + hist + "}";
    return out;
  }

  // The live DNSBL zones (src/server/live_zones.h) from their metrics:
  // entries, serial, queries answered (all rcodes) and refused over the
  // per-client rate; the rates over time are the history's dnsbl.<zone>.
  std::string zones_json() {
    std::string text = backend.metrics_text ? backend.metrics_text() : std::string();
    auto samples = parse_prometheus_text(text);
    if (!samples) samples = Samples{};
    struct Zone {
      double entries = 0, serial = 0, queries = 0, nxdomain = 0;
    };
    std::map<std::string, Zone> zones;
    struct Latency {
      double count = 0, sum = 0;
      std::map<double, double> le;  // upper bound -> cumulative count
    };
    Latency latency[2];  // udp, tcp
    double rate_limited = 0, dropped = 0;
    bool served = false;
    for (const Sample& s : *samples) {
      const std::string* z = s.label("zone");
      if (s.name == "rampart_dnsbl_zone_entries" && z) {
        zones[*z].entries = s.value;
      } else if (s.name == "rampart_dnsbl_zone_serial" && z) {
        zones[*z].serial = s.value;
      } else if (s.name == "rampart_dnsbl_zone_responses_total" && z) {
        zones[*z].queries += s.value;
        if (const std::string* rc = s.label("rcode"); rc && *rc == "NXDOMAIN") zones[*z].nxdomain += s.value;
      } else if (s.name == "rampart_dnsbl_rate_limited_total") {
        rate_limited += s.value;
        served = true;
      } else if (s.name == "rampart_dnsbl_entries_dropped_total") {
        dropped += s.value;
      } else if (const std::string* t = s.label("transport");
                 t && (*t == "udp" || *t == "tcp") && s.name.starts_with("rampart_dns_answer_seconds_")) {
        // The answer latency histogram (src/server/dns/dnsbl_server.h), all rcodes together.
        Latency& l = latency[*t == "udp" ? 0 : 1];
        if (s.name == "rampart_dns_answer_seconds_count") {
          l.count += s.value;
        } else if (s.name == "rampart_dns_answer_seconds_sum") {
          l.sum += s.value;
        } else if (const std::string* le = s.label("le");
                   le && s.name == "rampart_dns_answer_seconds_bucket") {
          l.le[*le == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(le->c_str(), nullptr)] +=
              s.value;
        }
      }
    }
    auto num = [](double v) {
      char b[32];
      std::snprintf(b, sizeof b, "%.17g", v);
      return std::string(b);
    };
    // The q-quantile's bucket bound (the first bound holding q of the answers).
    auto quantile = [](const Latency& l, double q) -> double {
      for (const auto& [bound, n] : l.le)
        if (n >= q * l.count) return bound;
      return 0;
    };
    std::string answers;
    for (int t = 0; t < 2; ++t) {
      const Latency& l = latency[t];
      if (l.count <= 0) continue;
      auto bound = [&](double q) {  // null: above the last finite bucket
        const double b = quantile(l, q);
        return std::isinf(b) ? std::string("null") : num(b);
      };
      answers += std::string(answers.empty() ? "" : ", ") + "\"" + (t == 0 ? "udp" : "tcp") +
                 "\": {\"count\": " + num(l.count) + ", \"mean_s\": " + num(l.sum / l.count) +
                 ", \"p50_le_s\": " + bound(0.5) + ", \"p99_le_s\": " + bound(0.99) + "}";
    }
    std::string out = "{\"served\": " + std::string(served || !zones.empty() ? "true" : "false") +
                      ", \"rate_limited\": " + num(rate_limited) + ", \"entries_dropped\": " + num(dropped) +
                      ", \"answers\": {" + answers + "}, \"zones\": [";
    bool first = true;
    for (const auto& [name, z] : zones) {
      out += std::string(first ? "" : ", ") + "{\"zone\": " + json_quote(name) +
             ", \"entries\": " + num(z.entries) + ", \"serial\": " + num(z.serial) +
             ", \"queries\": " + num(z.queries) + ", \"nxdomain\": " + num(z.nxdomain) + "}";
      first = false;
    }
    return out + "]}";
  }

  void senders(HttpRequest& req, HttpRespond respond) {
    auto q = parse_query(req.target);
    const std::string* qs = q ? find_field(*q, "q") : nullptr;
    if (!qs) return respond(error_reply(400, "q= is required (an IP, a network, a domain, or kind:value)"));
    auto id = identity_of(*qs);
    if (!id)
      return respond(error_reply(
          400,
          "not an IP address, network, domain, telephone number (+...), short code or kind:value identity"));
    if (!backend.reputation) return respond(error_reply(503, "reputation is not available"));
    // Its daily counters (SenderHistory): [[day, messages, flagged, refused], ...], oldest first.
    std::string days = "[";
    if (backend.senders)
      for (const SenderDay& d : backend.senders->days(*id))
        days += std::string(days.size() > 1 ? ", " : "") + "[" + std::to_string(d.day) + ", " +
                std::to_string(d.messages) + ", " + std::to_string(d.flagged) + ", " +
                std::to_string(d.refused) + "]";
    days += "]";
    const std::string note =
        backend.senders ? "messages a day as rampartd decided them (UTC days; at most 30 days, and the " +
                              std::to_string(10000) + " senders most recently seen)"
                        : "no per-sender history in this rampartd";
    // A number looked up as a caller is also looked up as an SMS sender
    // ("also": [{"id", "report"}]): one number, two channels' reputations.
    std::string twin;
    if (id->starts_with("voice:")) twin = "sms:" + id->substr(6);
    auto finish = [id = *id, days, note, respond](int status, std::string body, std::string also) {
      if (status != 200) return respond(json_reply(status, std::move(body)));
      respond(json_reply(200, JsonObject()
                                  .str("id", id)
                                  .raw("report", body)
                                  .raw("days", days)
                                  .str("history", note)
                                  .raw("also", "[" + also + "]")
                                  .done()));
    };
    backend.reputation(*id, [this, twin, finish](int status, std::string body) {
      if (status != 200 || twin.empty()) return finish(status, std::move(body), "");
      backend.reputation(twin, [twin, finish, body](int st2, std::string b2) {
        finish(200, body, st2 == 200 ? JsonObject().str("id", twin).raw("report", b2).done() : "");
      });
    });
  }

  // The Channels page: the calls' incidents, then the senders' classes (each
  // answered on this loop by its service's worker), then the counts.
  void channels(HttpRespond respond) {
    auto finish = [this, respond](std::optional<std::string> calls, std::optional<std::string> senders) {
      respond(json_reply(
          200, channels_json(calls, senders, backend.metrics_text ? backend.metrics_text() : std::string())));
    };
    auto then_senders = [this, finish](std::optional<std::string> calls) {
      if (!backend.message_senders) return finish(std::move(calls), std::nullopt);
      backend.message_senders(
          [finish, calls = std::move(calls)](std::string senders) { finish(calls, std::move(senders)); });
    };
    if (!backend.call_incidents) return then_senders(std::nullopt);
    backend.call_incidents([then_senders](std::string calls) { then_senders(std::move(calls)); });
  }

  // The Live page's count: open and extended incidents.
  std::string zombies_live() const {
    if (!backend.zombies_active)
      return ", \"zombies\": null, \"zombies_note\": \"no flow collector in this rampartd\"";
    return ", \"zombies\": " + std::to_string(backend.zombies_active()) +
           ", \"zombies_note\": \"open or extended\"";
  }

  // The Zombies page: incidents from the flow collector (the backend), or why there are none.
  std::string zombies_json() const {
    if (!backend.zombies)
      return JsonObject()
          .boolean("available", false)
          .raw("incidents", "[]")
          .str("reason",
               "this rampartd runs no flow collector ([flows] listen is not set; flows can still be "
               "analysed by `rampart flows`); incidents appear here once rampartd collects flows")
          .done();
    const std::string list = backend.zombies();  // {"incidents": [...]}
    return "{\"available\": true, " + list.substr(1);
  }

  // Form fields id, reason (and seconds for extend); the change runs off the loop.
  void zombie_change(HttpRequest& req, const Session& s, bool extend, HttpRespond respond) {
    if (!backend.zombie_change)
      return respond(
          error_reply(503, "this rampartd runs no flow collector: there are no incidents to change"));
    auto form = parse_form(req.body);
    if (!form) return respond(error_reply(400, form.error().message));
    const std::string* id = find_field(*form, "id");
    const std::string* reason = find_field(*form, "reason");
    const std::string* secs = find_field(*form, "seconds");
    uint64_t n = 0;
    int64_t seconds = 0;
    if (!id || std::from_chars(id->data(), id->data() + id->size(), n).ptr != id->data() + id->size() ||
        id->empty())
      return respond(error_reply(400, "id: an incident number"));
    if (!reason || reason->find_first_not_of(" \t") == std::string::npos)
      return respond(error_reply(400, "reason: required (why, for the audit log)"));
    if (extend && secs && !secs->empty() &&
        (std::from_chars(secs->data(), secs->data() + secs->size(), seconds).ptr !=
             secs->data() + secs->size() ||
         seconds < 0))
      return respond(error_reply(400, "seconds: a whole number"));
    log::get()->info("console: {} {} incident {}", s.user, extend ? "extends" : "releases", n);
    backend.zombie_change(n, extend, "console:" + s.user, *reason, seconds,
                          [respond = std::move(respond)](int status, std::string body) {
                            respond(json_reply(status, std::move(body)));
                          });
  }

  void scan(HttpRequest& req, const Session& s, HttpRespond respond) {
    if (!backend.scan) return respond(error_reply(503, "scanning is not available"));
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/scan?look_only=1";
    for (const char* h : {"x-client-ip", "x-helo", "x-mail-from", "x-rcpt-to", "x-auth-user"})
      for (const std::string& v : req.all(h)) r.headers.emplace_back(h, v);
    r.headers.emplace_back("x-look-only", "1");
    r.body = std::move(req.body);
    r.peer = req.peer;
    log::get()->info("console: {} scans a message ({} bytes, look only)", s.user, r.body.size());
    backend.scan(std::move(r), [respond = std::move(respond)](HttpReply rep) {
      respond(json_reply(rep.status, std::move(rep.body)));
    });
  }

  void users_list(HttpRespond respond) {
    const bool queued = offload(
        [users = cfg.users]() -> HttpReply {
          auto store = AccountStore::load(users);
          if (!store) return error_reply(500, store.error().message);
          std::string out = "{\"users\": [";
          bool first = true;
          for (const Account& a : store->accounts()) {
            out += std::string(first ? "" : ", ") +
                   JsonObject().str("user", a.name).str("role", role_name(a.role)).done();
            first = false;
          }
          return json_reply(200, out + "]}");
        },
        respond);
    if (!queued) respond(error_reply(503, "busy: try again"));
  }

  void users_add(HttpRequest& req, const Session& s, HttpRespond respond) {
    auto form = parse_form(req.body);
    if (!form) return respond(error_reply(400, form.error().message));
    const std::string* user = find_field(*form, "user");
    const std::string* role = find_field(*form, "role");
    const std::string* pw = find_field(*form, "password");
    if (!user || !role || !pw) return respond(error_reply(400, "user, role and password are required"));
    auto r = parse_role(*role);
    if (!r) return respond(error_reply(400, "role: viewer, operator or admin"));
    const bool queued = offload(
        [this, name = *user, role = *r, pw = *pw, by = s.user]() -> HttpReply {
          auto store = AccountStore::load(cfg.users);
          if (!store) return error_reply(500, store.error().message);
          store->set_hash_cost(cost);
          if (auto st = store->add(name, role, pw); !st) return error_reply(400, st.error().message);
          if (auto st = store->save(); !st) return error_reply(500, st.error().message);
          log::get()->info("console: {} added user {} ({})", by, name, role_name(role));
          return json_reply(200, JsonObject().str("user", name).str("role", role_name(role)).done());
        },
        respond);
    if (!queued) respond(error_reply(503, "busy: try again"));
  }

  void users_delete(HttpRequest& req, const Session& s, HttpRespond respond) {
    auto form = parse_form(req.body);
    if (!form) return respond(error_reply(400, form.error().message));
    const std::string* user = find_field(*form, "user");
    if (!user) return respond(error_reply(400, "user is required"));
    if (*user == s.user) return respond(error_reply(400, "you cannot delete yourself"));
    const bool queued = offload(
        [this, name = *user, by = s.user]() -> HttpReply {
          auto store = AccountStore::load(cfg.users);
          if (!store) return error_reply(500, store.error().message);
          if (auto st = store->remove(name); !st) return error_reply(404, st.error().message);
          if (auto st = store->save(); !st) return error_reply(500, st.error().message);
          const size_t ended = sessions_.remove_user(name);
          log::get()->info("console: {} deleted user {} ({} sessions ended)", by, name, ended);
          return json_reply(200, JsonObject().str("deleted", name).done());
        },
        respond);
    if (!queued) respond(error_reply(503, "busy: try again"));
  }

  // The log level at run time (as PUT /v1/log-level): the change is logged
  // at warn while the more verbose of the two levels holds.
  void log_level(HttpRequest& req, const Session& s, HttpRespond respond) {
    if (req.method == "GET")
      return respond(json_reply(200, JsonObject().str("level", log::level_name()).done()));
    auto form = parse_form(req.body);
    if (!form) return respond(error_reply(400, form.error().message));
    const std::string* level = find_field(*form, "level");
    if (!level) return respond(error_reply(400, "level is required"));
    if (auto st = log::valid_level(*level); !st) return respond(error_reply(400, st.error().message));
    const std::string previous = log::level_name();
    const auto line = [&] {
      log::get()->warn("log level {} -> {} by console user {}", previous, *level, s.user);
    };
    const bool more_verbose = spdlog::level::from_str(*level) < log::get()->level();
    if (!more_verbose) line();
    log::set_level(*level);
    if (more_verbose) line();
    respond(json_reply(200, JsonObject().str("level", log::level_name()).str("previous", previous).done()));
  }

  void tick(int64_t now) {
    if (now < next_sample) return;
    next_sample = now + cfg.sample_s;
    if (backend.metrics_text) {
      auto s = parse_prometheus_text(backend.metrics_text());
      if (s) history_.add(now, *s);
    }
    sessions_.expire(std::chrono::steady_clock::now());
    if (!users_check_queued.exchange(true)) {
      const std::lock_guard lk(jobs_mu);
      if (stopping) return;
      jobs.push_back([this] {
        check_users_file();
        users_check_queued = false;
      });
      jobs_cv.notify_one();
    }
  }

  // On the worker: `rampart user del|add` changed the file -> sessions of
  // users no longer there, or with another role, end now.
  void check_users_file() {
    struct stat sb {};
    const int64_t stamp =
        ::stat(cfg.users.c_str(), &sb) == 0
            ? static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec + sb.st_size
            : 0;
    if (stamp == users_stamp.exchange(stamp)) return;
    auto store = AccountStore::load(cfg.users);
    if (!store) {
      log::get()->error("console: {}", store.error().message);
      return;
    }
    const size_t ended = sessions_.remove_unless([&](const std::string& user, Role role) {
      const Account* a = store->find(user);
      return a && a->role == role;
    });
    if (ended > 0) log::get()->info("console: {} sessions ended (their accounts changed)", ended);
  }
};

Console::Console(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Console::~Console() = default;

Result<std::unique_ptr<Console>> Console::create(ConsoleConfig cfg, ConsoleBackend backend) {
  auto impl = std::make_unique<Impl>(std::move(cfg), std::move(backend));
  if (auto st = impl->load_assets(); !st) return tl::unexpected(st.error());
  if (!impl->cfg.history.empty()) {
    std::ifstream in(impl->cfg.history, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      if (auto st = impl->history_.restore(ss.str()); !st)
        log::get()->warn("console: {}: {}; the history starts empty", impl->cfg.history, st.error().message);
    }
  }
  if (!impl->cfg.senders.empty() && impl->backend.senders) {
    std::ifstream in(impl->cfg.senders, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      if (auto st = impl->backend.senders->restore(ss.str()); !st)
        log::get()->warn("console: {}: {}; the sender history starts empty", impl->cfg.senders,
                         st.error().message);
    }
  }
  impl->set_port(0);
  impl->start_worker();
  return std::unique_ptr<Console>(new Console(std::move(impl)));
}

void Console::set_port(uint16_t port) { impl_->set_port(port); }
void Console::stop() { impl_->stop_worker(); }
Status Console::save_history() {
  auto save = [](const std::string& path, const std::string& text, const char* what) -> Status {
    if (path.empty()) return {};
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0)
      ::mkdir(path.substr(0, slash).c_str(), 0700);  // exists: fine
    auto st = write_file_atomically(path, text);
    if (!st) log::get()->error("console: {} not saved: {}", what, st.error().message);
    return st;
  };
  Status st = save(impl_->cfg.history, impl_->history_.serialize(), "history");
  if (impl_->backend.senders) {
    auto ss = save(impl_->cfg.senders, impl_->backend.senders->serialize(), "sender history");
    if (st && !ss) st = ss;
  }
  return st;
}
void Console::handle(HttpRequest req, HttpRespond respond) { impl_->handle(req, std::move(respond)); }
HttpReply Console::timeout_reply(std::string_view) { return error_reply(503, "request timed out"); }
void Console::tick(int64_t unix_seconds) { impl_->tick(unix_seconds); }
void Console::set_hash_cost(HashCost c) { impl_->cost = c; }
SessionStore& Console::sessions() { return impl_->sessions_; }
const History& Console::history() const { return impl_->history_; }

std::string channels_json(const std::optional<std::string>& calls, const std::optional<std::string>& senders,
                          std::string_view metrics_text) {
  auto samples = parse_prometheus_text(metrics_text);
  if (!samples) samples = Samples{};
  std::map<std::string, double> call_counts;
  std::map<std::string, std::map<std::string, double>> message_counts;
  double complaints = 0;
  for (const Sample& s : *samples) {
    const std::string* action = s.label("action");
    if (s.name == "rampart_calls_total" && action) {
      call_counts[*action] += s.value;
    } else if (s.name == "rampart_messages_total" && action) {
      const std::string* channel = s.label("channel");
      message_counts[channel ? *channel : std::string()][*action] += s.value;
    } else if (s.name == "rampart_messages_complaints_total") {
      complaints += s.value;
    }
  }
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", v);
    return std::string(b);
  };
  auto counts = [&](const std::map<std::string, double>& m) {
    std::string out = "{";
    for (const auto& [k, v] : m)
      out += std::string(out.size() > 1 ? ", " : "") + json_quote(k) + ": " + num(v);
    return out + "}";
  };
  // A service's answer {"<key>": [...]} spliced after `head`; "" (busy) or
  // anything that is not an object: an empty list.
  auto list = [](const std::string& answer, const char* key, std::string head) {
    if (answer.size() < 2 || answer.front() != '{' || answer.back() != '}')
      return head + ", \"busy\": true, \"" + key + "\": []}";
    return head + ", " + answer.substr(1);
  };
  std::string out = "{\"calls\": ";
  if (!calls)
    out += "{\"enabled\": false}";
  else
    out += list(*calls, "incidents", "{\"enabled\": true, \"counts\": " + counts(call_counts));
  out += ", \"messages\": ";
  if (!senders) {
    out += "{\"enabled\": false}";
  } else {
    std::string by_channel = "{";
    for (const auto& [channel, m] : message_counts)
      by_channel += std::string(by_channel.size() > 1 ? ", " : "") + json_quote(channel) + ": " + counts(m);
    by_channel += "}";
    out += list(*senders, "senders",
                "{\"enabled\": true, \"counts\": " + by_channel + ", \"complaints\": " + num(complaints));
  }
  return out + "}";
}

}  // namespace rampart::console

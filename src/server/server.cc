// File: src/server/server.cc
// rampartd's event loop over epoll (see server.h).
#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/executor.h"
#include "core/log.h"
#include "core/metrics.h"
#include "server/http/scan.h"

namespace rampart::server {

namespace {
constexpr uint64_t kMilterListener = 1, kHttpListener = 2, kSignal = 3, kResolver = 4, kWake = 5, kPost = 6,
                   kFirstConn = 100;

// The loop as an Executor (core/executor.h): functions posted from other
// threads (the reputation store's, learning) run on the loop thread, woken
// through an eventfd. (storesvc: the smallest hook until the Asio loops.)
class LoopExecutor final : public Executor {
 public:
  int fd = -1;
  void post(std::function<void()> fn) override {
    {
      const std::lock_guard lk(mu_);
      q_.push_back(std::move(fn));
    }
    const uint64_t one = 1;
    if (fd >= 0) [[maybe_unused]]
      auto r = ::write(fd, &one, sizeof one);
  }
  void run_posted() {
    uint64_t v = 0;
    [[maybe_unused]] auto rr = ::read(fd, &v, sizeof v);
    std::vector<std::function<void()>> now;
    {
      const std::lock_guard lk(mu_);
      now.swap(q_);
    }
    for (auto& fn : now) fn();
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> q_;
};
constexpr auto kTick = std::chrono::milliseconds(100);

Result<int> listen_on(const std::string& spec, uint16_t& port_out) {
  auto addr = parse_listen(spec);
  if (!addr) return tl::unexpected(addr.error());
  const auto& [ip, port] = *addr;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ip.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, ip.bytes().data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    std::memcpy(&sa->sin6_addr, ip.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 512) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(Errc::kIo, "bind " + spec + ": " + std::strerror(e));
  }
  sockaddr_storage bound{};
  socklen_t bl = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bl);
  port_out = bound.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                        : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return fd;
}
}  // namespace

Result<std::pair<IpAddress, uint16_t>> parse_listen(std::string_view s) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return fail(Errc::kInvalidArgument, "bad listen address: " + std::string(s));
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return fail(Errc::kInvalidArgument, "listen address needs :PORT");
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return fail(Errc::kInvalidArgument, "bad listen address: " + std::string(s));
  if (port.empty() || port.size() > 5) return fail(Errc::kInvalidArgument, "bad port: " + std::string(s));
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return fail(Errc::kInvalidArgument, "bad port: " + std::string(s));
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p > 65535) return fail(Errc::kInvalidArgument, "bad port: " + std::string(s));
  return std::make_pair(*ip, static_cast<uint16_t>(p));
}

Result<ServerOptions> ServerOptions::from(const Config& cfg) {
  // Read through Section: each key counts as read for Config::finish(), and a
  // wrong type or a value out of range names file:line:column and the key.
  const size_t mark = cfg.error_count();
  ServerOptions so;
  Section srv = cfg.section("server");
  so.milter_listen = srv.string("milter", so.milter_listen);
  so.http_listen = srv.string("http", so.http_listen);
  struct Num {
    const char* key;
    int64_t dflt, min, max;
  };
  const int64_t shared = srv.integer("max_connections", 1000, 1, 1000000);
  const Num nums[] = {
      {"scan_timeout_s", 20, 1, 3600},
      {"drain_timeout_s", 30, 0, 3600},
      {"milter_max_connections", shared, 1, 1000000},
      {"milter_max_per_address", shared, 1, 1000000},
      {"http_max_connections", shared, 1, 1000000},
      {"http_max_per_address", 100, 1, 1000000},
      {"milter_idle_timeout_s", 600, 1, 86400},
      {"http_header_timeout_s", 10, 1, 3600},
      {"http_body_timeout_s", 60, 1, 3600},
      {"http_idle_timeout_s", 60, 1, 3600},
  };
  int64_t v[std::size(nums)];
  for (size_t i = 0; i < std::size(nums); ++i)
    v[i] = srv.integer(nums[i].key, nums[i].dflt, nums[i].min, nums[i].max);
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  so.scan_timeout = std::chrono::seconds(v[0]);
  so.drain_timeout = std::chrono::seconds(v[1]);
  so.milter_max_connections = static_cast<size_t>(v[2]);
  so.milter_max_per_address = static_cast<size_t>(v[3]);
  so.http_max_connections = static_cast<size_t>(v[4]);
  so.http_max_per_address = static_cast<size_t>(v[5]);
  so.milter_idle_timeout = std::chrono::seconds(v[6]);
  so.http_header_timeout = std::chrono::seconds(v[7]);
  so.http_body_timeout = std::chrono::seconds(v[8]);
  so.http_idle_timeout = std::chrono::seconds(v[9]);
  return so;
}

struct Server::Impl {
  struct Conn final : MilterSink {
    Impl* impl = nullptr;
    uint64_t id = 0;
    int fd = -1;
    bool http = false;
    bool want_close = false;  // milter: close once `out` is flushed
    bool dead = false;
    uint32_t events = 0;  // the epoll interest in force
    std::string addr;     // the client's address bytes (per-address limit)
    milter::Framer framer;
    std::string out;  // milter replies not yet sent
    std::chrono::steady_clock::time_point last_active{};
    std::shared_ptr<MilterSession> session;
    std::shared_ptr<HttpConnection> hc;

    void send(std::string_view bytes) override {
      if (dead) return;
      out.append(bytes);
      impl->flush(*this);
    }
    void close() override {
      want_close = true;
      impl->flush(*this);
    }
  };

  struct Listener {
    const char* name = "";
    int fd = -1;
    uint64_t key = 0;
    size_t open = 0, max = 0, max_per_address = 0;
    std::unordered_map<std::string, size_t> per_address;
    uint64_t refused_listener = 0, refused_address = 0;
    bool paused = false;
    std::chrono::steady_clock::time_point resume_at{};
  };

  ServerOptions opt;
  dns::Resolver& resolver;
  std::shared_ptr<policy::Pipeline> pipeline;
  std::vector<std::shared_ptr<policy::Pipeline>> retired;
  Reload reload;
  std::function<std::string()> extra_metrics;
  std::unique_ptr<Router> own_router;
  Router* router = nullptr;
  HttpLimits http_limits;
  std::function<void()> tick_hook;
  int ep = -1, sig_fd = -1, wake_fd = -1;
  LoopExecutor loop_exec;
  Listener milter_l, http_l;
  uint16_t milter_port = 0, http_port = 0;
  uint64_t next_id = kFirstConn;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;
  std::unordered_set<uint64_t> suspended;  // connections not read from (EPOLLIN off)
  MilterStats stats;
  HttpConnStats http_stats;
  uint64_t reloads = 0, reload_errors = 0, milter_idle_closed = 0;
  bool draining = false;
  std::chrono::steady_clock::time_point drain_deadline{};

  Impl(const ServerOptions& o, dns::Resolver& r) : opt(o), resolver(r) {
    milter_l.name = "milter";
    milter_l.key = kMilterListener;
    milter_l.max = o.milter_max_connections;
    milter_l.max_per_address = o.milter_max_per_address;
    http_l.name = "http";
    http_l.key = kHttpListener;
    http_l.max = o.http_max_connections;
    http_l.max_per_address = o.http_max_per_address;
    http_limits.max_body = o.max_http_body;
    http_limits.max_output = o.max_output;
    http_limits.header_timeout = o.http_header_timeout;
    http_limits.body_timeout = o.http_body_timeout;
    http_limits.idle_timeout = o.http_idle_timeout;
    http_limits.request_timeout = o.scan_timeout;
  }
  ~Impl() {
    for (auto& [id, c] : conns)
      if (c->fd >= 0) ::close(c->fd);
    conns.clear();  // sessions first: they may hold pipelines
    for (auto* l : {&milter_l, &http_l})
      if (l->fd >= 0) ::close(l->fd);
    for (int fd : {ep, sig_fd, wake_fd, loop_exec.fd})
      if (fd >= 0) ::close(fd);
  }

  void add_fd(int fd, uint64_t id, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  bool can_read(const Conn& c) const {
    if (c.dead) return false;
    if (c.http) return c.hc->want_read();
    return !c.want_close && c.out.size() < opt.max_output && c.session->queued() < opt.milter_max_queued;
  }

  // EPOLLIN only while the connection may read; EPOLLOUT while output waits.
  void update_interest(Conn& c) {
    if (c.dead || c.fd < 0) return;
    const bool readable = can_read(c);
    const bool pending = c.http ? !c.hc->output().empty() : !c.out.empty();
    const uint32_t want = (readable ? EPOLLIN : 0u) | (pending ? EPOLLOUT : 0u);
    if (readable) {
      suspended.erase(c.id);
    } else {
      suspended.insert(c.id);
    }
    if (want == c.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = c.id;
    ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = want;
  }

  // Sends what it can; 0 when sent, else errno of the failure (EAGAIN: later).
  int send_some(Conn& c, std::string_view data, size_t& sent) {
    sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(c.fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 ? errno : EPIPE;
    }
    return 0;
  }

  void flush(Conn& c) {
    if (c.dead) return;
    if (c.http) {
      // consumed() may take the next pipelined request and add its answer.
      while (!c.hc->output().empty()) {
        size_t sent = 0;
        const int err = send_some(c, c.hc->output(), sent);
        c.hc->consumed(sent, std::chrono::steady_clock::now());
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        if (err != 0) {
          c.dead = true;  // peer gone
          return;
        }
      }
      if (c.hc->finished()) c.dead = true;
    } else {
      if (!c.out.empty()) {
        size_t sent = 0;
        const int err = send_some(c, c.out, sent);
        c.out.erase(0, sent);
        if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) {
          c.dead = true;
          return;
        }
      }
      if (c.out.empty() && c.want_close) c.dead = true;
    }
    update_interest(c);
  }

  static std::string address_key(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(&ss);
      return std::string(reinterpret_cast<const char*>(&sa->sin_addr), 4);
    }
    if (ss.ss_family == AF_INET6) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(&ss);
      return std::string(reinterpret_cast<const char*>(&sa->sin6_addr), 16);
    }
    return {};
  }

  void pause_listener(Listener& l, int err) {
    if (l.paused || l.fd < 0) return;
    l.paused = true;
    l.resume_at = std::chrono::steady_clock::now() + kTick;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, l.fd, nullptr);
    log::get()->warn("{}: accept: {}; not accepting for {} ms", l.name, std::strerror(err), kTick.count());
  }

  void accept_all(Listener& l) {
    const bool http = &l == &http_l;
    while (!l.paused) {
      sockaddr_storage ss{};
      socklen_t sl = sizeof ss;
      const int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          pause_listener(l, errno);
        return;
      }
      std::string key = address_key(ss);
      const bool over_listener = l.open >= l.max;
      const bool over_address =
          !over_listener && l.max_per_address > 0 && l.per_address[key] >= l.max_per_address;
      if (over_listener || over_address) {
        if (over_listener) {
          l.refused_listener++;
        } else {
          l.refused_address++;
          if (l.per_address[key] == 0) l.per_address.erase(key);
        }
        if (http) {
          const std::string r =
              http_response(503, "application/json", error_json("too many connections"), false);
          [[maybe_unused]] auto n = ::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        ::close(fd);
        continue;
      }
      l.open++;
      l.per_address[key]++;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->impl = this;
      c->id = next_id++;
      c->fd = fd;
      c->http = http;
      c->addr = std::move(key);
      c->last_active = std::chrono::steady_clock::now();
      if (http) {
        const uint64_t id = c->id;
        c->hc =
            std::make_shared<HttpConnection>(*router, http_limits, http_stats, c->last_active, [this, id] {
              auto it = conns.find(id);
              if (it != conns.end()) flush(*it->second);
            });
      } else {
        SessionOptions so;
        so.stage_timeout = opt.scan_timeout;
        c->session = std::make_shared<MilterSession>([this] { return pipeline; }, *c, stats, so);
      }
      c->events = EPOLLIN;
      add_fd(fd, c->id, EPOLLIN);
      conns.emplace(c->id, std::move(c));
    }
  }

  void read_conn(Conn& c) {
    char buf[65536];
    size_t total = 0;
    while (can_read(c) && total < (1u << 20)) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0) {
        c.dead = true;
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
        break;
      }
      total += static_cast<size_t>(n);
      const auto now = std::chrono::steady_clock::now();
      c.last_active = now;
      if (c.http) {
        c.hc->on_input(std::string_view(buf, static_cast<size_t>(n)), now);
        flush(c);
        continue;
      }
      c.framer.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (!c.dead && !c.want_close) {
        auto p = c.framer.next();
        if (!p) {
          stats.protocol_errors++;
          log::get()->warn("milter: {}", p.error().message);
          c.dead = true;
          return;
        }
        if (!*p) break;
        auto cmd = milter::decode(**p);
        if (!cmd) {
          stats.protocol_errors++;
          log::get()->warn("milter: {}", cmd.error().message);
          c.dead = true;
          return;
        }
        auto session = c.session;  // keeps it alive through a close()
        session->on_command(std::move(*cmd));
      }
    }
    update_interest(c);
  }

  // GET /metrics: the server's own families through the one Prometheus
  // writer (core/metrics.h), then the daemon's registry (extra_metrics).
  std::string metrics() {
    MetricsWriter w;
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      w.family(name, help, MetricType::kCounter);
      w.sample({}, v);
    };
    counter("rampart_milter_connections_total", "Milter connections accepted.", stats.connections);
    counter("rampart_milter_messages_total", "Messages seen (MAIL FROM).", stats.messages);
    w.family("rampart_milter_verdicts_total", "Verdicts at end of message or MAIL FROM.",
             MetricType::kCounter);
    w.sample({{"action", "accept"}}, static_cast<uint64_t>(stats.accepted));
    w.sample({{"action", "add_header"}}, static_cast<uint64_t>(stats.add_header));
    w.sample({{"action", "quarantine"}}, static_cast<uint64_t>(stats.quarantined));
    w.sample({{"action", "tempfail"}}, static_cast<uint64_t>(stats.tempfailed));
    w.sample({{"action", "reject"}}, static_cast<uint64_t>(stats.rejected));
    counter("rampart_throttled_total", "Messages refused by a rate limit (451 4.7.1).", stats.throttled);
    counter("rampart_scan_timeouts_total", "Stages tempfailed for running past scan_timeout.",
            stats.timeouts);
    counter("rampart_milter_protocol_errors_total", "Milter connections closed on malformed input.",
            stats.protocol_errors);
    counter("rampart_milter_idle_closed_total", "Milter connections closed after milter_idle_timeout_s.",
            milter_idle_closed);
    counter("rampart_http_requests_total", "HTTP API requests.", http_stats.requests);
    counter("rampart_http_errors_total", "HTTP API requests answered with an error.", http_stats.errors);
    counter("rampart_http_timeouts_total", "HTTP requests answered with a tempfail past scan_timeout.",
            http_stats.timeouts);
    counter("rampart_http_slow_clients_total",
            "HTTP connections closed for missing a header, body or output deadline.",
            http_stats.slow_clients);
    counter("rampart_http_unauthorized_total", "HTTP requests refused 401 (no or unknown token).",
            router->unauthorized());
    counter("rampart_http_forbidden_total", "HTTP requests refused 403 (token without the right).",
            router->forbidden());
    counter("rampart_reloads_total", "Successful configuration reloads.", reloads);
    counter("rampart_reload_errors_total", "Failed configuration reloads (old configuration kept).",
            reload_errors);
    w.family("rampart_connections", "Open connections.", MetricType::kGauge);
    w.sample({}, static_cast<uint64_t>(conns.size()));
    w.family("rampart_listener_connections", "Open connections by listener.", MetricType::kGauge);
    for (const Listener* l : {&milter_l, &http_l})
      w.sample({{"listener", l->name}}, static_cast<uint64_t>(l->open));
    w.family("rampart_connections_refused_total",
             "Connections closed at accept: over the listener's cap or the per-address cap.",
             MetricType::kCounter);
    for (const Listener* l : {&milter_l, &http_l}) {
      w.sample({{"listener", l->name}, {"limit", "listener"}}, static_cast<uint64_t>(l->refused_listener));
      w.sample({{"listener", l->name}, {"limit", "address"}}, static_cast<uint64_t>(l->refused_address));
    }
    struct PerCheck {
      const char* name;
      const char* help;
      uint64_t (*get)(policy::Check&);
    };
    static const PerCheck per_check[] = {
        {"rampart_check_runs_total", "Check runs.",
         [](policy::Check& c) { return static_cast<uint64_t>(c.counters().runs.load()); }},
        {"rampart_check_hits_total", "Runs that added a positive score.",
         [](policy::Check& c) { return static_cast<uint64_t>(c.counters().hits.load()); }},
        {"rampart_check_tempfails_total", "Runs that tempfailed the message.",
         [](policy::Check& c) { return static_cast<uint64_t>(c.counters().tempfails.load()); }},
    };
    for (const PerCheck& pc : per_check) {
      w.family(pc.name, pc.help, MetricType::kCounter);
      for (const auto& c : pipeline->checks()) w.sample({{"check", std::string(c->name())}}, pc.get(*c));
    }
    std::string m = w.text();
    if (extra_metrics) m += extra_metrics();
    return m;
  }

  // POST /v1/scan: the pipeline's stages in order, then the verdict. Each
  // stage's completion may come at once (continuing in this frame: at most
  // five deep) or later from the event loop.
  void scan_stage(std::shared_ptr<policy::ScanState> st, std::shared_ptr<policy::Pipeline> pipe, size_t stage,
                  HttpRespond respond) {
    static constexpr policy::Stage kStages[] = {policy::Stage::kConnect, policy::Stage::kHelo,
                                                policy::Stage::kMail, policy::Stage::kRcpt,
                                                policy::Stage::kData};
    const bool stop_early =
        stage > 2 && st->forced &&
        (*st->forced == policy::Action::kTempfail || *st->forced == policy::Action::kReject);
    if (stage == std::size(kStages) || stop_early) {
      policy::Verdict v = pipe->verdict(*st);
      respond(HttpReply{200, verdict_json(v)});
      return;
    }
    pipe->run(kStages[stage], st,
              [this, st, pipe, stage, respond] { scan_stage(st, pipe, stage + 1, respond); });
  }

  void add_routes() {
    router->add("GET", "/healthz", std::nullopt, [this](HttpRequest&, std::string_view, HttpRespond respond) {
      if (draining) {
        respond(HttpReply{503, "{\"status\": \"draining\"}"});
      } else {
        respond(HttpReply{200, "{\"status\": \"ok\"}"});
      }
    });
    router->add("GET", "/metrics", std::nullopt, [this](HttpRequest&, std::string_view, HttpRespond respond) {
      respond(HttpReply{200, metrics(), "text/plain; version=0.0.4"});
    });
    router->add("POST", "/v1/scan", Right::kScan,
                [this](HttpRequest& req, std::string_view, HttpRespond respond) {
                  auto st = scan_state_from(req);
                  if (!st) {
                    respond(HttpReply{400, error_json(st.error().message)});
                    return;
                  }
                  auto pipe = pipeline;
                  (*st)->too_large = req.body.size() > pipe->config().max_scan_bytes;
                  (*st)->set_message(std::move(req.body));
                  scan_stage(*st, pipe, 0, std::move(respond));
                });
    router->set_timeout("/v1/scan", [] { return HttpReply{200, timeout_verdict_json()}; });
  }

  void on_signal() {
    signalfd_siginfo si{};
    while (::read(sig_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) {
        auto r = reload ? reload() : Result<std::shared_ptr<policy::Pipeline>>(pipeline);
        if (r) {
          retired.push_back(pipeline);
          pipeline = *r;
          reloads++;
          log::get()->info("configuration reloaded");
        } else {
          reload_errors++;
          log::get()->error("reload failed, keeping the running configuration: {}", r.error().message);
        }
      } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
        begin_drain();
      }
    }
  }

  void begin_drain() {
    if (draining) return;
    draining = true;
    for (auto& [id, c] : conns)
      if (c->hc) {
        c->hc->drain();  // idle: closed now; busy: after its answer
        if (c->hc->finished()) c->dead = true;
      }
    drain_deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
    log::get()->info("draining: no new connections, waiting for {} open", conns.size());
    for (Listener* l : {&milter_l, &http_l})
      if (l->fd >= 0) {
        if (!l->paused) ::epoll_ctl(ep, EPOLL_CTL_DEL, l->fd, nullptr);
        ::close(l->fd);
        l->fd = -1;
      }
  }

  void reap() {
    for (auto it = conns.begin(); it != conns.end();) {
      Conn& c = *it->second;
      if (!c.dead) {
        ++it;
        continue;
      }
      ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
      Listener& l = c.http ? http_l : milter_l;
      l.open--;
      if (auto pa = l.per_address.find(c.addr); pa != l.per_address.end() && --pa->second == 0)
        l.per_address.erase(pa);
      suspended.erase(c.id);
      it = conns.erase(it);
    }
    // A retired pipeline goes once nothing (session, pending lookup) holds it.
    std::erase_if(retired, [](const std::shared_ptr<policy::Pipeline>& p) { return p.use_count() == 1; });
  }

  // Connections that stopped reading may read again once a stage or a
  // request completed (from the resolver, the tick, another connection).
  void resume_suspended() {
    if (suspended.empty()) return;
    std::vector<uint64_t> ids(suspended.begin(), suspended.end());
    for (uint64_t id : ids) {
      auto it = conns.find(id);
      if (it == conns.end()) {
        suspended.erase(id);
        continue;
      }
      update_interest(*it->second);
    }
  }

  void tick(std::chrono::steady_clock::time_point now) {
    resolver.process();  // expires lookups past their timeout
    if (tick_hook && !draining) tick_hook();
    for (Listener* l : {&milter_l, &http_l})
      if (l->paused && now >= l->resume_at && l->fd >= 0) {
        l->paused = false;
        add_fd(l->fd, l->key, EPOLLIN);
      }
    for (auto& [id, c] : conns) {
      if (c->dead) continue;
      if (c->session) {
        auto s = c->session;
        s->tick(now);
        // No stage running, nothing queued, nothing received for a while.
        if (!c->dead && s->idle() && now - c->last_active >= opt.milter_idle_timeout) {
          milter_idle_closed++;
          c->dead = true;
        }
      } else if (c->hc) {
        auto h = c->hc;
        if (h->tick(now)) {
          c->dead = true;
        } else {
          flush(*c);  // a timeout's answer or a 408
        }
      }
    }
  }

  int run() {
    const ScopedExecutor on_this_loop(&loop_exec);
    epoll_event events[64];
    auto last_tick = std::chrono::steady_clock::now();
    while (true) {
      const int n = ::epoll_wait(ep, events, 64, static_cast<int>(kTick.count()));
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kMilterListener) {
          accept_all(milter_l);
        } else if (id == kHttpListener) {
          accept_all(http_l);
        } else if (id == kSignal) {
          on_signal();
        } else if (id == kResolver) {
          resolver.process();
        } else if (id == kPost) {
          loop_exec.run_posted();
        } else if (id == kWake) {
          uint64_t v = 0;
          [[maybe_unused]] auto rr = ::read(wake_fd, &v, sizeof v);
          begin_drain();
        } else {
          auto it = conns.find(id);
          if (it == conns.end()) continue;
          Conn& c = *it->second;
          if (events[i].events & EPOLLOUT) flush(c);
          if (events[i].events & EPOLLIN) {
            read_conn(c);
          } else if (events[i].events & (EPOLLHUP | EPOLLERR)) {
            c.dead = true;  // not reading (busy) and the peer is gone
          }
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_tick >= kTick) {
        last_tick = now;
        tick(now);
      }
      resume_suspended();
      reap();
      if (draining && (conns.empty() || now >= drain_deadline)) {
        log::get()->info("drained ({} connections left)", conns.size());
        return 0;
      }
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& opt, dns::Resolver& resolver,
                                               std::shared_ptr<policy::Pipeline> pipeline, Reload reload,
                                               std::function<std::string()> extra_metrics, Router* router) {
  auto impl = std::make_unique<Impl>(opt, resolver);
  if (!router) {
    impl->own_router = std::make_unique<Router>();
    router = impl->own_router.get();
  }
  impl->router = router;
  impl->add_routes();
  impl->pipeline = std::move(pipeline);
  impl->reload = std::move(reload);
  impl->extra_metrics = std::move(extra_metrics);
  impl->ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (impl->ep < 0) return fail(Errc::kIo, "epoll_create1 failed");
  auto m = listen_on(opt.milter_listen, impl->milter_port);
  if (!m) return tl::unexpected(m.error());
  impl->milter_l.fd = *m;
  impl->add_fd(*m, kMilterListener, EPOLLIN);
  if (!opt.http_listen.empty()) {
    auto h = listen_on(opt.http_listen, impl->http_port);
    if (!h) return tl::unexpected(h.error());
    impl->http_l.fd = *h;
    impl->add_fd(*h, kHttpListener, EPOLLIN);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  impl->sig_fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (impl->sig_fd >= 0) impl->add_fd(impl->sig_fd, kSignal, EPOLLIN);
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd >= 0) impl->add_fd(impl->wake_fd, kWake, EPOLLIN);
  impl->loop_exec.fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->loop_exec.fd >= 0) impl->add_fd(impl->loop_exec.fd, kPost, EPOLLIN);
  if (resolver.fd() >= 0) {
    impl->add_fd(resolver.fd(), kResolver, EPOLLIN);
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::milter_port() const { return impl_->milter_port; }
uint16_t Server::http_port() const { return impl_->http_port; }
int Server::run() { return impl_->run(); }
void Server::set_tick(std::function<void()> fn) { impl_->tick_hook = std::move(fn); }

void Server::stop() {
  const uint64_t one = 1;
  if (impl_->wake_fd >= 0) [[maybe_unused]]
    auto r = ::write(impl_->wake_fd, &one, sizeof one);
}

}  // namespace rampart::server

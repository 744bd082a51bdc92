// File: src/server/milter/server.cc
// rampartd's event loop over epoll (see server.h).
#include "server/milter/server.h"

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
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "server/milter/http.h"

namespace rampart::server {

namespace {
constexpr uint64_t kMilterListener = 1, kHttpListener = 2, kSignal = 3, kResolver = 4, kWake = 5,
                   kFirstConn = 100;

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

struct Server::Impl {
  struct Conn final : MilterSink {
    Impl* impl = nullptr;
    uint64_t id = 0;
    int fd = -1;
    bool http = false;
    bool want_close = false;  // close once `out` is flushed
    bool dead = false;
    bool writable_armed = false;
    milter::Framer framer;
    std::string out;
    std::string in;  // HTTP request bytes
    bool http_busy = false;
    bool keep_alive = false;  // the request being answered asked to keep the connection
    std::chrono::steady_clock::time_point last_active{};
    std::shared_ptr<MilterSession> session;

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

  ServerOptions opt;
  dns::Resolver& resolver;
  std::shared_ptr<policy::Pipeline> pipeline;
  std::vector<std::shared_ptr<policy::Pipeline>> retired;
  Reload reload;
  std::function<std::string()> extra_metrics;
  HttpRoute route;
  std::function<void()> tick_hook;
  int ep = -1, milter_fd = -1, http_fd = -1, sig_fd = -1, wake_fd = -1;
  uint16_t milter_port = 0, http_port = 0;
  uint64_t next_id = kFirstConn;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;
  MilterStats stats;
  uint64_t http_requests = 0, http_errors = 0, reloads = 0, reload_errors = 0;
  bool draining = false;
  std::chrono::steady_clock::time_point drain_deadline{};

  Impl(const ServerOptions& o, dns::Resolver& r) : opt(o), resolver(r) {}
  ~Impl() {
    for (auto& [id, c] : conns)
      if (c->fd >= 0) ::close(c->fd);
    for (int fd : {ep, milter_fd, http_fd, sig_fd, wake_fd})
      if (fd >= 0) ::close(fd);
  }

  void add_fd(int fd, uint64_t id, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  void flush(Conn& c) {
    while (!c.out.empty() && !c.dead) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.writable_armed) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLOUT;
          ev.data.u64 = c.id;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
          c.writable_armed = true;
        }
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      c.dead = true;  // peer gone
      return;
    }
    if (c.out.empty() && c.writable_armed && !c.dead) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = c.id;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      c.writable_armed = false;
    }
    if (c.out.empty() && c.want_close) c.dead = true;
  }

  void accept_all(int lfd, bool http) {
    while (true) {
      const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      if (conns.size() >= opt.max_connections) {
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->impl = this;
      c->id = next_id++;
      c->fd = fd;
      c->http = http;
      c->last_active = std::chrono::steady_clock::now();
      if (!http) {
        SessionOptions so;
        so.stage_timeout = opt.scan_timeout;
        c->session = std::make_shared<MilterSession>([this] { return pipeline; }, *c, stats, so);
      }
      add_fd(fd, c->id, EPOLLIN);
      conns.emplace(c->id, std::move(c));
    }
  }

  void read_conn(Conn& c) {
    char buf[65536];
    size_t total = 0;
    while (!c.dead && total < (1u << 20)) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0) {
        c.dead = true;
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
        return;
      }
      total += static_cast<size_t>(n);
      if (c.http) {
        c.last_active = std::chrono::steady_clock::now();
        c.in.append(buf, static_cast<size_t>(n));
        serve_http(c);
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
  }

  std::string metrics() {
    std::string m;
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      m += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(v) + "\n";
    };
    counter("rampart_milter_connections_total", "Milter connections accepted.", stats.connections);
    counter("rampart_milter_messages_total", "Messages seen (MAIL FROM).", stats.messages);
    m += "# HELP rampart_milter_verdicts_total Verdicts at end of message or MAIL FROM.\n"
         "# TYPE rampart_milter_verdicts_total counter\n";
    m += "rampart_milter_verdicts_total{action=\"accept\"} " + std::to_string(stats.accepted) + "\n";
    m += "rampart_milter_verdicts_total{action=\"add_header\"} " + std::to_string(stats.add_header) + "\n";
    m += "rampart_milter_verdicts_total{action=\"quarantine\"} " + std::to_string(stats.quarantined) + "\n";
    m += "rampart_milter_verdicts_total{action=\"tempfail\"} " + std::to_string(stats.tempfailed) + "\n";
    m += "rampart_milter_verdicts_total{action=\"reject\"} " + std::to_string(stats.rejected) + "\n";
    counter("rampart_throttled_total", "Messages refused by a rate limit (451 4.7.1).", stats.throttled);
    counter("rampart_scan_timeouts_total", "Stages tempfailed for running past scan_timeout.",
            stats.timeouts);
    counter("rampart_milter_protocol_errors_total", "Milter connections closed on malformed input.",
            stats.protocol_errors);
    counter("rampart_http_requests_total", "HTTP API requests.", http_requests);
    counter("rampart_http_errors_total", "HTTP API requests answered with an error.", http_errors);
    counter("rampart_reloads_total", "Successful configuration reloads.", reloads);
    counter("rampart_reload_errors_total", "Failed configuration reloads (old configuration kept).",
            reload_errors);
    m += "# HELP rampart_connections Open connections.\n# TYPE rampart_connections "
         "gauge\nrampart_connections " +
         std::to_string(conns.size()) + "\n";
    m += "# HELP rampart_check_runs_total Check runs.\n# TYPE rampart_check_runs_total counter\n";
    std::string hits =
        "# HELP rampart_check_hits_total Runs that added a positive score.\n"
        "# TYPE rampart_check_hits_total counter\n";
    std::string temps =
        "# HELP rampart_check_tempfails_total Runs that tempfailed the message.\n"
        "# TYPE rampart_check_tempfails_total counter\n";
    for (const auto& c : pipeline->checks()) {
      const std::string label = "{check=\"" + std::string(c->name()) + "\"} ";
      m += "rampart_check_runs_total" + label + std::to_string(c->counters().runs.load()) + "\n";
      hits += "rampart_check_hits_total" + label + std::to_string(c->counters().hits.load()) + "\n";
      temps +=
          "rampart_check_tempfails_total" + label + std::to_string(c->counters().tempfails.load()) + "\n";
    }
    m += hits + temps;
    if (extra_metrics) m += extra_metrics();
    return m;
  }

  // Answers the request in progress on connection `id` (gone: dropped); a
  // kept-alive connection then serves the next request already read.
  void respond(uint64_t id, int status, std::string_view content_type, std::string_view body) {
    auto it = conns.find(id);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    const bool keep = c.keep_alive && !draining;
    c.http_busy = false;
    c.last_active = std::chrono::steady_clock::now();
    c.out += http_response(status, content_type, body, keep);
    if (!keep) c.want_close = true;
    flush(c);
    if (keep && !c.dead && !c.in.empty()) serve_http(c);
  }

  void scan_http(uint64_t id, std::shared_ptr<policy::ScanState> st, std::shared_ptr<policy::Pipeline> pipe,
                 size_t stage) {
    static constexpr policy::Stage kStages[] = {policy::Stage::kConnect, policy::Stage::kHelo,
                                                policy::Stage::kMail, policy::Stage::kRcpt,
                                                policy::Stage::kData};
    const bool stop_early =
        stage > 2 && st->forced &&
        (*st->forced == policy::Action::kTempfail || *st->forced == policy::Action::kReject);
    if (stage == std::size(kStages) || stop_early) {
      policy::Verdict v = pipe->verdict(*st);
      respond(id, 200, "application/json", verdict_json(v));
      return;
    }
    pipe->run(kStages[stage], st, [this, id, st, pipe, stage] { scan_http(id, st, pipe, stage + 1); });
  }

  void serve_http(Conn& c) {
    if (c.http_busy || c.want_close) return;
    HttpRequest req;
    size_t used = 0;
    std::string err;
    const HttpParse r = parse_http_request(c.in, opt.max_http_body, req, used, err);
    if (r == HttpParse::kIncomplete) return;
    http_requests++;
    if (r == HttpParse::kError) {
      http_errors++;
      c.in.clear();
      c.keep_alive = false;  // the stream cannot be trusted past a bad request
      respond(c.id, 400, "application/json", error_json(err));
      return;
    }
    c.in.erase(0, used);
    c.keep_alive = req.keep_alive;
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/healthz") {
      if (draining) {
        respond(c.id, 503, "application/json", "{\"status\": \"draining\"}");
      } else {
        respond(c.id, 200, "application/json", "{\"status\": \"ok\"}");
      }
      return;
    }
    if (path == "/metrics") {
      respond(c.id, 200, "text/plain; version=0.0.4", metrics());
      return;
    }
    if (path == "/v1/scan") {
      if (req.method != "POST") {
        http_errors++;
        respond(c.id, 405, "application/json", error_json("use POST"));
        return;
      }
      auto st = scan_state_from(req);
      if (!st) {
        http_errors++;
        respond(c.id, 400, "application/json", error_json(st.error().message));
        return;
      }
      auto pipe = pipeline;
      (*st)->too_large = req.body.size() > pipe->config().max_scan_bytes;
      (*st)->set_message(std::move(req.body));
      c.http_busy = true;
      scan_http(c.id, *st, pipe, 0);
      return;
    }
    if (route) {
      c.http_busy = true;
      const uint64_t id = c.id;
      const bool served = route(req, [this, id](HttpReply reply) {
        if (reply.status >= 400) http_errors++;
        respond(id, reply.status, "application/json", reply.body);
      });
      if (served) return;
      c.http_busy = false;
    }
    http_errors++;
    respond(c.id, 404, "application/json", error_json("no such endpoint"));
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

  // A kept-alive HTTP connection between requests (nothing read, nothing to send).
  static bool idle_http(const Conn& c) { return c.http && !c.http_busy && c.in.empty() && c.out.empty(); }

  void begin_drain() {
    if (draining) return;
    draining = true;
    for (auto& [id, c] : conns)
      if (idle_http(*c)) c->dead = true;  // kept-alive, between requests: closed now
    drain_deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
    log::get()->info("draining: no new connections, waiting for {} open", conns.size());
    for (int* fd : {&milter_fd, &http_fd})
      if (*fd >= 0) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, *fd, nullptr);
        ::close(*fd);
        *fd = -1;
      }
  }

  void reap() {
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->second->dead) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, it->second->fd, nullptr);
        ::close(it->second->fd);
        it->second->fd = -1;
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
    // A retired pipeline goes once nothing (session, pending lookup) holds it.
    std::erase_if(retired, [](const std::shared_ptr<policy::Pipeline>& p) { return p.use_count() == 1; });
  }

  int run() {
    epoll_event events[64];
    auto last_tick = std::chrono::steady_clock::now();
    while (true) {
      const int n = ::epoll_wait(ep, events, 64, 100);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kMilterListener) {
          accept_all(milter_fd, false);
        } else if (id == kHttpListener) {
          accept_all(http_fd, true);
        } else if (id == kSignal) {
          on_signal();
        } else if (id == kResolver) {
          resolver.process();
        } else if (id == kWake) {
          uint64_t v = 0;
          [[maybe_unused]] auto rr = ::read(wake_fd, &v, sizeof v);
          begin_drain();
        } else {
          auto it = conns.find(id);
          if (it == conns.end()) continue;
          Conn& c = *it->second;
          if (events[i].events & EPOLLOUT) flush(c);
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_conn(c);
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_tick >= std::chrono::milliseconds(100)) {
        last_tick = now;
        resolver.process();  // expires lookups past their timeout
        if (tick_hook && !draining) tick_hook();
        for (auto& [id, c] : conns) {
          if (c->session && !c->dead) {
            auto s = c->session;
            s->tick(now);
          }
          // Between requests, or a request arriving too slowly: closed.
          if (c->http && !c->dead && !c->http_busy && c->out.empty() &&
              now - c->last_active >= opt.http_idle_timeout)
            c->dead = true;
        }
      }
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
                                               std::function<std::string()> extra_metrics, HttpRoute route) {
  auto impl = std::make_unique<Impl>(opt, resolver);
  impl->route = std::move(route);
  impl->pipeline = std::move(pipeline);
  impl->reload = std::move(reload);
  impl->extra_metrics = std::move(extra_metrics);
  impl->ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (impl->ep < 0) return fail(Errc::kIo, "epoll_create1 failed");
  auto m = listen_on(opt.milter_listen, impl->milter_port);
  if (!m) return tl::unexpected(m.error());
  impl->milter_fd = *m;
  impl->add_fd(impl->milter_fd, kMilterListener, EPOLLIN);
  if (!opt.http_listen.empty()) {
    auto h = listen_on(opt.http_listen, impl->http_port);
    if (!h) return tl::unexpected(h.error());
    impl->http_fd = *h;
    impl->add_fd(impl->http_fd, kHttpListener, EPOLLIN);
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

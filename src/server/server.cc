// File: src/server/server.cc
// rampartd's event loops on Boost.Asio (see server.h).
#include "server/server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

// Boost.Asio (Debian libboost-dev, header-only). g++ 12 at -O2 sees a
// "potential null pointer dereference" inside asio's scheduler that it
// cannot prove away; the warning is about asio's code, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "policy/verdict_log.h"
#include "server/http/scan.h"
#include "server/http/tls.h"

namespace rampart::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

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
  if (auto hp = parse_host_port(so.milter_listen, -1, true); !hp) srv.invalid("milter", hp.error().message);
  so.http_listen = srv.string("http", so.http_listen);
  if (so.http_listen == "off") so.http_listen.clear();
  if (!so.http_listen.empty())
    if (auto hp = parse_host_port(so.http_listen, -1, true); !hp) srv.invalid("http", hp.error().message);
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
      {"loops", 0, 0, 256},
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
  so.loops = v[10] > 0 ? static_cast<size_t>(v[10]) : std::max(1u, std::thread::hardware_concurrency());
  return so;
}

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
constexpr size_t kReadBuffer = 16384;  // per connection, while a read is outstanding

// The listener caps, shared by every loop (accepts happen on loop 0,
// closes on any loop).
struct Listener {
  const char* name = "";
  bool http = false;
  HttpHandler* handler = nullptr;   // HTTP: null = the Router
  std::shared_ptr<TlsContext> tls;  // HTTP over TLS (the console's listener, when configured)
  bool mutual = false;              // client certificates (the exchange's listener)
  size_t max = 0, max_per_address = 0;
  std::mutex mu;
  size_t open = 0;
  std::unordered_map<std::string, size_t> per_address;
  std::atomic<uint64_t> refused_listener{0}, refused_address{0};
  uint16_t port = 0;
  std::unique_ptr<tcp::acceptor> acceptor;    // loop 0's; null once closed (drain)
  std::unique_ptr<asio::steady_timer> pause;  // accept() out of descriptors: retry later
  size_t next_loop = 0;                       // round robin (loop 0 only)

  enum class Admit { kOk, kListener, kAddress };
  Admit admit(const std::string& key) {
    std::lock_guard lk(mu);
    if (open >= max) {
      refused_listener.fetch_add(1, std::memory_order_relaxed);
      return Admit::kListener;
    }
    if (max_per_address > 0) {
      auto it = per_address.find(key);
      if (it != per_address.end() && it->second >= max_per_address) {
        refused_address.fetch_add(1, std::memory_order_relaxed);
        return Admit::kAddress;
      }
    }
    open++;
    per_address[key]++;
    return Admit::kOk;
  }
  void release(const std::string& key) {
    std::lock_guard lk(mu);
    open--;
    if (auto it = per_address.find(key); it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
  size_t open_now() {
    std::lock_guard lk(mu);
    return open;
  }
};

std::string address_key(const tcp::endpoint& ep) {
  const auto a = ep.address();
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  const auto b = v6.to_bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

struct Server::Impl {
  struct Loop;

  struct Conn final : MilterSink, std::enable_shared_from_this<Conn> {
    Conn(Loop& l, tcp::socket s) : loop(&l), sock(std::move(s)) {}
    Loop* loop;
    uint64_t id = 0;
    tcp::socket sock;
    Listener* listener = nullptr;
    bool http = false;
    bool want_close = false;  // milter: close once `out` is flushed
    bool dead = false;
    bool reading = false;     // an async read is outstanding
    bool write_wait = false;  // waiting for the socket to take more output
    std::string addr;         // the client's address bytes (per-address limit)
    milter::Framer framer;
    std::string out;  // milter replies not yet sent
    std::chrono::steady_clock::time_point last_active{};
    std::shared_ptr<MilterSession> session;
    std::shared_ptr<HttpConnection> hc;
    std::unique_ptr<TlsStream> tls;  // between the socket and hc, on a TLS listener
    std::unique_ptr<char[]> buf;

    void send(std::string_view bytes) override {
      if (dead) return;
      out.append(bytes);
      loop->flush(*this);
    }
    void close() override {
      want_close = true;
      loop->flush(*this);
    }
  };

  // One event loop: its io_context, thread, connections, resolver, pipeline.
  struct Loop {
    struct Exec final : Executor {
      Loop* loop = nullptr;
      void post(std::function<void()> fn) override {
        asio::post(loop->ctx, [l = loop, fn = std::move(fn)] {
          fn();
          l->after_io();
        });
      }
    };

    Loop(Impl& i, size_t n, dns::Resolver& r) : impl(&i), index(n), resolver(&r), tick_timer(ctx) {
      exec.loop = this;
    }

    Impl* impl;
    size_t index;
    asio::io_context ctx{1};
    Exec exec;
    dns::Resolver* resolver;
    std::unique_ptr<asio::posix::stream_descriptor> resolver_sd;
    asio::steady_timer tick_timer;
    // Read by other loops' scrapes; replaced by reloads (posted to this loop).
    std::atomic<std::shared_ptr<policy::Pipeline>> pipeline;
    std::unordered_map<uint64_t, std::shared_ptr<Conn>> conns;
    std::unordered_set<uint64_t> suspended;  // connections not read from
    bool any_dead = false;
    uint64_t next_id = 1;
    MilterStats stats;
    HttpConnStats http_stats;
    HttpConnStats console_stats;  // the console's listener, counted apart from the API
    OwnedCounter milter_idle_closed, accepted;
    OwnedCounter scan_verdicts[5];  // POST /v1/scan by policy::Action (not look-only scans)
    policy::AuthTally scan_auth;    // and their authentication results
    std::atomic<size_t> open{0};
    bool draining = false, finished = false;
    std::chrono::steady_clock::time_point drain_deadline{};

    ServerOptions& opt() { return impl->opt; }

    bool can_read(const Conn& c) const {
      if (c.dead) return false;
      if (c.http) return c.hc->want_read();
      return !c.want_close && c.out.size() < impl->opt.max_output &&
             c.session->queued() < impl->opt.milter_max_queued;
    }

    // A read outstanding exactly while the connection may read.
    void update_interest(Conn& c) {
      if (c.dead) return;
      if (!can_read(c)) {
        suspended.insert(c.id);
        return;
      }
      suspended.erase(c.id);
      if (c.reading) return;
      c.reading = true;
      c.sock.async_read_some(asio::buffer(c.buf.get(), kReadBuffer),
                             [self = c.shared_from_this()](const boost::system::error_code& ec, size_t n) {
                               Loop& l = *self->loop;
                               self->reading = false;
                               l.on_read(*self, ec, n);
                               l.after_io();
                             });
    }

    void kill(Conn& c) {
      c.dead = true;
      any_dead = true;
    }

    void on_read(Conn& c, const boost::system::error_code& ec, size_t n) {
      if (c.dead) return;
      if (ec) {
        kill(c);  // EOF, reset, or cancelled by a close
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      c.last_active = now;
      const std::string_view data(c.buf.get(), n);
      if (c.http && c.tls) {
        std::string plain;
        if (!c.tls->feed(data, plain)) {
          log::get()->debug("{}: {}", c.listener->name, c.tls->error());
          flush(c);  // the alert, if the socket takes it now
          kill(c);
          return;
        }
        // Mutual TLS (the exchange's listener): the client certificate's
        // SHA-256 goes with every request, for the handler to map to a member.
        if (c.listener->mutual && !c.hc->has_tls_peer() && c.tls->handshake_done())
          c.hc->set_tls_peer(c.tls->peer_sha256());
        if (!plain.empty()) c.hc->on_input(plain, now);
        flush(c);
      } else if (c.http) {
        c.hc->on_input(data, now);
        flush(c);
      } else {
        c.framer.feed(data);
        while (!c.dead && !c.want_close) {
          auto p = c.framer.next();
          if (!p) {
            stats.protocol_errors++;
            log::get()->warn("milter: {}", p.error().message);
            kill(c);
            return;
          }
          if (!*p) break;
          auto cmd = milter::decode(**p);
          if (!cmd) {
            stats.protocol_errors++;
            log::get()->warn("milter: {}", cmd.error().message);
            kill(c);
            return;
          }
          auto session = c.session;  // keeps it alive through a close()
          session->on_command(std::move(*cmd));
        }
      }
      update_interest(c);
    }

    // Sends what the socket takes now; waits for it to take more otherwise.
    void flush(Conn& c) {
      if (c.dead) return;
      if (!c.write_wait) {
        // Plaintext answers become records (nothing before the handshake is
        // done); consumed() may let the connection answer the next request.
        while (c.tls && !c.hc->output().empty()) {
          const size_t took = c.tls->write(c.hc->output());
          if (took == 0) break;
          c.hc->consumed(took, std::chrono::steady_clock::now());
        }
        std::string_view data = c.tls    ? std::string_view(c.tls->output())
                                : c.http ? std::string_view(c.hc->output())
                                         : std::string_view(c.out);
        size_t sent = 0;
        while (sent < data.size()) {
          boost::system::error_code ec;
          const size_t n = c.sock.write_some(asio::buffer(data.data() + sent, data.size() - sent), ec);
          if (ec == asio::error::would_block || ec == asio::error::try_again) break;
          if (ec) {
            kill(c);
            return;
          }
          sent += n;
        }
        if (sent > 0) {
          if (c.tls) {
            c.tls->sent(sent);
          } else if (c.http) {
            c.hc->consumed(sent, std::chrono::steady_clock::now());
          } else {
            c.out.erase(0, sent);
          }
        }
        const bool pending = c.tls    ? !c.tls->output().empty()
                             : c.http ? !c.hc->output().empty()
                                      : !c.out.empty();
        if (pending) {
          c.write_wait = true;
          c.sock.async_wait(tcp::socket::wait_write,
                            [self = c.shared_from_this()](const boost::system::error_code& ec) {
                              Loop& l = *self->loop;
                              self->write_wait = false;
                              if (ec) {
                                l.kill(*self);
                              } else {
                                l.flush(*self);
                              }
                              l.after_io();
                            });
        }
      }
      const bool done =
          c.http ? c.hc->finished() && (!c.tls || c.tls->output().empty()) : (c.want_close && c.out.empty());
      if (done) {
        kill(c);
        return;
      }
      update_interest(c);
    }

    // A connection accepted by loop 0, now on this loop's thread.
    void adopt(tcp::socket sock, Listener& l, std::string key) {
      if (draining) {
        boost::system::error_code ec;
        sock.close(ec);
        l.release(key);
        return;
      }
      boost::system::error_code ec;
      sock.non_blocking(true, ec);
      sock.set_option(tcp::no_delay(true), ec);
      auto c = std::make_shared<Conn>(*this, std::move(sock));
      c->id = next_id++;
      c->listener = &l;
      c->http = l.http;
      c->addr = std::move(key);
      c->buf = std::make_unique<char[]>(kReadBuffer);
      c->last_active = std::chrono::steady_clock::now();
      accepted++;
      if (c->http) {
        const uint64_t id = c->id;
        HttpHandler& h = l.handler ? *l.handler : static_cast<HttpHandler&>(*impl->router);
        c->hc = std::make_shared<HttpConnection>(h, impl->http_limits, l.handler ? console_stats : http_stats,
                                                 c->last_active, [this, id] {
                                                   auto it = conns.find(id);
                                                   if (it != conns.end()) flush(*it->second);
                                                 });
        if (l.tls) c->tls = std::make_unique<TlsStream>(*l.tls);
        // The console's login limiter counts per client address (the API needs none).
        boost::system::error_code pe;
        const auto peer = l.handler ? c->sock.remote_endpoint(pe) : tcp::endpoint();
        if (l.handler && !pe) {
          const auto a = peer.address();
          c->hc->set_peer(a.is_v6() && a.to_v6().is_v4_mapped()
                              ? asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string()
                              : a.to_string());
        }
      } else {
        SessionOptions so;
        so.stage_timeout = impl->opt.scan_timeout;
        c->session = std::make_shared<MilterSession>([this] { return pipeline.load(); }, *c, stats, so);
      }
      Conn& ref = *c;
      conns.emplace(c->id, std::move(c));
      open.store(conns.size(), std::memory_order_relaxed);
      update_interest(ref);
    }

    // After every handler: connections that stopped reading may read again
    // (a stage or a request completed), dead ones go.
    void after_io() {
      resume_suspended();
      reap();
      check_drained();
    }

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

    void reap() {
      if (!any_dead) return;
      any_dead = false;
      for (auto it = conns.begin(); it != conns.end();) {
        Conn& c = *it->second;
        if (!c.dead) {
          ++it;
          continue;
        }
        boost::system::error_code ec;
        c.sock.close(ec);  // outstanding operations complete with operation_aborted
        c.listener->release(c.addr);
        suspended.erase(c.id);
        it = conns.erase(it);
      }
      open.store(conns.size(), std::memory_order_relaxed);
    }

    void start_resolver() {
      const int fd = resolver->fd();
      if (fd < 0) return;
      // The descriptor belongs to the resolver: wrap a duplicate.
      const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (dup < 0) return;
      resolver_sd = std::make_unique<asio::posix::stream_descriptor>(ctx, dup);
      wait_resolver();
    }
    void wait_resolver() {
      resolver_sd->async_wait(asio::posix::stream_descriptor::wait_read,
                              [this](const boost::system::error_code& ec) {
                                if (ec) return;
                                resolver->process();
                                after_io();
                                if (!finished) wait_resolver();
                              });
    }

    void start_tick() {
      tick_timer.expires_after(kTick);
      tick_timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || finished) return;
        tick(std::chrono::steady_clock::now());
        after_io();
        if (!finished) start_tick();
      });
    }

    void tick(std::chrono::steady_clock::time_point now) {
      resolver->process();  // expires lookups past their timeout
      if (index == 0) impl->tick0();
      for (auto& [id, c] : conns) {
        if (c->dead) continue;
        if (c->session) {
          auto s = c->session;
          s->tick(now);
          // No stage running, nothing queued, nothing received for a while.
          if (!c->dead && s->idle() && now - c->last_active >= impl->opt.milter_idle_timeout) {
            milter_idle_closed++;
            kill(*c);
          }
        } else if (c->hc) {
          auto h = c->hc;
          if (h->tick(now) || (c->tls && !c->tls->handshake_done() && h->closing())) {
            // (A TLS client past its header deadline without a handshake cannot read the 408.)
            kill(*c);
          } else {
            flush(*c);  // a timeout's answer or a 408
          }
        }
      }
    }

    void begin_drain() {
      if (draining) return;
      draining = true;
      for (auto& [id, c] : conns)
        if (c->hc) {
          c->hc->drain();  // idle: closed now; busy: after its answer
          if (c->hc->finished()) kill(*c);
        }
      drain_deadline = std::chrono::steady_clock::now() + impl->opt.drain_timeout;
      log::get()->info("loop {} draining: waiting for {} open connections", index, conns.size());
      after_io();
    }

    void check_drained() {
      if (!draining || finished) return;
      if (!conns.empty() && std::chrono::steady_clock::now() < drain_deadline) return;
      finished = true;
      log::get()->info("loop {} drained ({} connections left)", index, conns.size());
      boost::system::error_code ec;
      tick_timer.cancel();
      if (resolver_sd) resolver_sd->close(ec);
      if (index == 0) impl->stop_loop0_io();
      ctx.stop();
    }
  };

  ServerOptions opt;
  std::vector<std::unique_ptr<Loop>> loops;
  PipelineFactory factory;
  std::mutex retired_mu;
  std::vector<std::shared_ptr<policy::Pipeline>> retired;
  Reload reload;
  std::function<std::string()> extra_metrics;
  std::unique_ptr<Router> own_router;
  Router* router = nullptr;
  HttpLimits http_limits;
  std::function<void()> tick_hook;
  Listener milter_l, http_l, console_l, exchange_l;
  // Loop 0's: signals, stop().
  std::unique_ptr<asio::signal_set> signals;
  int stop_fd = -1;
  std::unique_ptr<asio::posix::stream_descriptor> stop_sd;
  std::atomic<uint64_t> reloads{0}, reload_errors{0};
  std::atomic<bool> draining{false};

  explicit Impl(const ServerOptions& o) : opt(o) {
    milter_l.name = "milter";
    milter_l.max = o.milter_max_connections;
    milter_l.max_per_address = o.milter_max_per_address;
    http_l.name = "http";
    http_l.http = true;
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
    for (auto& l : loops) {
      l->conns.clear();  // sessions first: they may hold pipelines
      l->pipeline.store(nullptr);
    }
    milter_l.acceptor.reset();
    http_l.acceptor.reset();
    console_l.acceptor.reset();
    exchange_l.acceptor.reset();
    signals.reset();
    stop_sd.reset();
    milter_l.pause.reset();
    http_l.pause.reset();
    console_l.pause.reset();
    exchange_l.pause.reset();
    loops.clear();
    if (stop_fd >= 0) ::close(stop_fd);
  }

  Loop& loop0() { return *loops[0]; }

  Status listen(Listener& l, const std::string& spec) {
    auto addr = parse_listen(spec);
    if (!addr) return tl::unexpected(addr.error());
    const auto& [ip, port] = *addr;
    boost::system::error_code ec;
    const auto a = asio::ip::make_address(ip.to_string(), ec);
    if (ec) return fail(Errc::kInvalidArgument, "bad listen address: " + spec);
    const tcp::endpoint ep(a, port);
    auto acc = std::make_unique<tcp::acceptor>(loop0().ctx);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(512, ec);
    if (ec) return fail(Errc::kIo, "bind " + spec + ": " + ec.message());
    l.port = acc->local_endpoint(ec).port();
    l.pause = std::make_unique<asio::steady_timer>(loop0().ctx);
    l.acceptor = std::move(acc);
    return {};
  }

  // Loop 0: accepts, checks the caps, hands the socket to the next loop.
  void accept_next(Listener& l) {
    if (!l.acceptor) return;
    Loop& target = *loops[l.next_loop];
    l.acceptor->async_accept(target.ctx, [this, &l, &target](const boost::system::error_code& ec,
                                                             tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !l.acceptor) return;
      if (ec) {
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory || ec.value() == ENFILE) {
          log::get()->warn("{}: accept: {}; not accepting for {} ms", l.name, ec.message(), kTick.count());
          l.pause->expires_after(kTick);
          l.pause->async_wait([this, &l](const boost::system::error_code& e) {
            if (!e) accept_next(l);
          });
          return;
        }
        accept_next(l);  // ECONNABORTED and the like: the next one
        return;
      }
      boost::system::error_code ec2;
      const auto peer = sock.remote_endpoint(ec2);
      std::string key = ec2 ? std::string() : address_key(peer);
      const auto admit = l.admit(key);
      if (admit != Listener::Admit::kOk) {
        if (l.http) {
          const std::string r =
              http_response(503, "application/json", error_json("too many connections"), false);
          [[maybe_unused]] auto n =
              ::send(sock.native_handle(), r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        sock.close(ec2);
      } else {
        l.next_loop = (l.next_loop + 1) % loops.size();
        if (&target == &loop0()) {
          target.adopt(std::move(sock), l, std::move(key));
        } else {
          // The socket is already registered with the target's reactor; its
          // thread takes it from here.
          asio::post(target.ctx, [&target, &l, s = std::make_shared<tcp::socket>(std::move(sock)),
                                  k = std::move(key)]() mutable {
            target.adopt(std::move(*s), l, std::move(k));
            target.after_io();
          });
        }
      }
      accept_next(l);
      loop0().after_io();
    });
  }

  void tick0() {
    if (tick_hook && !draining.load()) tick_hook();
    // A retired pipeline goes once nothing (session, pending lookup) holds it.
    std::lock_guard lk(retired_mu);
    std::erase_if(retired, [](const std::shared_ptr<policy::Pipeline>& p) { return p.use_count() == 1; });
  }

  void stop_loop0_io() {
    boost::system::error_code ec;
    if (signals) signals->cancel(ec);
    if (stop_sd) stop_sd->cancel(ec);
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l})
      if (l->pause) l->pause->cancel();
  }

  void wait_signals() {
    signals->async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        on_reload();
      } else if (signo == SIGUSR1 || signo == SIGUSR2) {
        // The log level at run time: SIGUSR1 one step more verbose (toward
        // trace), SIGUSR2 one step less (toward off). Said at the new level
        // (at least info), so it shows unless the level is off.
        const std::string now = log::step_level(signo == SIGUSR1 ? +1 : -1);
        log::get()->log(std::max(spdlog::level::info, log::get()->level()), "log level now {} ({})", now,
                        signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
      } else {
        begin_drain();
      }
      if (!loop0().finished) wait_signals();
    });
  }

  void wait_stop() {
    stop_sd->async_wait(asio::posix::stream_descriptor::wait_read,
                        [this](const boost::system::error_code& ec) {
                          if (ec) return;
                          uint64_t v = 0;
                          [[maybe_unused]] auto rr = ::read(stop_fd, &v, sizeof v);
                          begin_drain();
                        });
  }

  void on_reload() {
    auto r = reload ? reload() : Result<PipelineFactory>(factory);
    if (!r) {
      reload_errors.fetch_add(1);
      log::get()->error("reload failed, keeping the running configuration: {}", r.error().message);
      return;
    }
    factory = *r;
    for (auto& lp : loops) {
      auto pipe = factory(*lp->resolver);
      Loop* l = lp.get();
      asio::post(l->ctx, [this, l, pipe] {
        auto old = l->pipeline.exchange(pipe);
        std::lock_guard lk(retired_mu);
        retired.push_back(std::move(old));
      });
    }
    reloads.fetch_add(1);
    log::get()->info("configuration reloaded");
  }

  // Loop 0: no new connections; every loop drains its own.
  void begin_drain() {
    if (draining.exchange(true)) return;
    log::get()->info("draining: no new connections");
    boost::system::error_code ec;
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l})
      if (l->acceptor) {
        l->acceptor->close(ec);
        l->acceptor.reset();
      }
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l})
      if (l->pause) l->pause->cancel();
    for (auto& lp : loops) {
      Loop* l = lp.get();
      asio::post(l->ctx, [l] { l->begin_drain(); });
    }
  }

  // Latency histograms in the daemon's registry (ServerOptions::metrics).
  Histogram* scan_seconds = nullptr;
  void register_histograms(Metrics& m) {
    auto& milter = m.histogram("rampart_milter_message_seconds",
                               "Milter: from the end of a message to its verdict (the data-stage checks).",
                               latency_buckets());
    auto& api = m.histogram("rampart_http_request_seconds",
                            "HTTP API requests: from the request to its answer.", latency_buckets());
    auto& con = m.histogram("rampart_console_request_seconds",
                            "Web console requests: from the request to its answer.", latency_buckets());
    scan_seconds = &m.histogram("rampart_scan_seconds", "POST /v1/scan: from the request to the verdict.",
                                latency_buckets());
    for (auto& l : loops) {
      l->stats.message_seconds = &milter;
      l->http_stats.seconds = &api;
      l->console_stats.seconds = &con;
    }
  }

  // GET /metrics: the server's own families through the one Prometheus
  // writer (core/metrics.h), summed over the loops, then the daemon's
  // registry (extra_metrics).
  std::string metrics() {
    MetricsWriter w;
    auto sum = [&](auto get) {
      uint64_t v = 0;
      for (auto& l : loops) v += get(*l);
      return v;
    };
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      w.family(name, help, MetricType::kCounter);
      w.sample({}, v);
    };
#define RAMPART_SUM(field) sum([](Loop& l) -> uint64_t { return l.field; })
    counter("rampart_milter_connections_total", "Milter connections accepted.",
            RAMPART_SUM(stats.connections));
    counter("rampart_milter_messages_total", "Messages seen (MAIL FROM).", RAMPART_SUM(stats.messages));
    w.family("rampart_milter_verdicts_total", "Verdicts at end of message or MAIL FROM.",
             MetricType::kCounter);
    w.sample({{"action", "accept"}}, RAMPART_SUM(stats.accepted));
    w.sample({{"action", "add_header"}}, RAMPART_SUM(stats.add_header));
    w.sample({{"action", "quarantine"}}, RAMPART_SUM(stats.quarantined));
    w.sample({{"action", "tempfail"}}, RAMPART_SUM(stats.tempfailed));
    w.sample({{"action", "reject"}}, RAMPART_SUM(stats.rejected));
    w.family("rampart_scan_verdicts_total", "Verdicts of POST /v1/scan (look-only scans not counted).",
             MetricType::kCounter);
    for (size_t a = 0; a < 5; ++a)
      w.sample({{"action", std::string(policy::action_name(static_cast<policy::Action>(a)))}},
               sum([a](Loop& l) -> uint64_t { return l.scan_verdicts[a]; }));
    w.family("rampart_auth_results_total",
             "Decided messages (milter and POST /v1/scan, not look-only) by authentication method and "
             "result: pass when any entry of the method passed, else the first entry's result.",
             MetricType::kCounter);
    for (size_t m = 0; m < policy::AuthTally::kMethods.size(); ++m)
      for (size_t r = 0; r < policy::AuthTally::kResults.size(); ++r)
        w.sample({{"method", std::string(policy::AuthTally::kMethods[m])},
                  {"result", std::string(policy::AuthTally::kResults[r])}},
                 sum([m, r](Loop& l) -> uint64_t { return l.stats.auth.get(m, r) + l.scan_auth.get(m, r); }));
    counter("rampart_throttled_total", "Messages refused by a rate limit (451 4.7.1).",
            RAMPART_SUM(stats.throttled));
    counter("rampart_scan_timeouts_total", "Stages tempfailed for running past scan_timeout.",
            RAMPART_SUM(stats.timeouts));
    counter("rampart_milter_protocol_errors_total", "Milter connections closed on malformed input.",
            RAMPART_SUM(stats.protocol_errors));
    counter("rampart_milter_idle_closed_total", "Milter connections closed after milter_idle_timeout_s.",
            RAMPART_SUM(milter_idle_closed));
    counter("rampart_http_requests_total", "HTTP API requests.", RAMPART_SUM(http_stats.requests));
    counter("rampart_http_errors_total", "HTTP API requests answered with an error.",
            RAMPART_SUM(http_stats.errors));
    counter("rampart_http_timeouts_total", "HTTP requests answered with a tempfail past scan_timeout.",
            RAMPART_SUM(http_stats.timeouts));
    counter("rampart_http_slow_clients_total",
            "HTTP connections closed for missing a header, body or output deadline.",
            RAMPART_SUM(http_stats.slow_clients));
    counter("rampart_console_requests_total",
            "Web console requests (pages and its API; not in the HTTP API's).",
            RAMPART_SUM(console_stats.requests));
    counter("rampart_console_errors_total", "Web console requests answered with an error.",
            RAMPART_SUM(console_stats.errors));
#undef RAMPART_SUM
    counter("rampart_http_unauthorized_total", "HTTP requests refused 401 (no or unknown token).",
            router->unauthorized());
    counter("rampart_http_forbidden_total", "HTTP requests refused 403 (token without the right).",
            router->forbidden());
    counter("rampart_http_rate_limited_total", "HTTP requests refused 429 (token over its rate).",
            router->rate_limited());
    counter("rampart_reloads_total", "Successful configuration reloads.", reloads.load());
    counter("rampart_reload_errors_total", "Failed configuration reloads (old configuration kept).",
            reload_errors.load());
    w.family("rampart_connections", "Open connections.", MetricType::kGauge);
    w.sample({}, sum([](Loop& l) -> uint64_t { return l.open.load(std::memory_order_relaxed); }));
    w.family("rampart_loops", "Event loops (threads).", MetricType::kGauge);
    w.sample({}, static_cast<uint64_t>(loops.size()));
    w.family("rampart_loop_connections", "Open connections by event loop.", MetricType::kGauge);
    for (auto& l : loops)
      w.sample({{"loop", std::to_string(l->index)}},
               static_cast<uint64_t>(l->open.load(std::memory_order_relaxed)));
    w.family("rampart_loop_connections_total", "Connections accepted, by the event loop that served them.",
             MetricType::kCounter);
    for (auto& l : loops) w.sample({{"loop", std::to_string(l->index)}}, static_cast<uint64_t>(l->accepted));
    // The work each loop did (how evenly the connections' load is spread, not only the connections).
    w.family("rampart_loop_messages_total",
             "Milter messages (MAIL FROM) and HTTP API requests, by the event loop that handled them.",
             MetricType::kCounter);
    for (auto& l : loops) {
      w.sample({{"loop", std::to_string(l->index)}, {"interface", "milter"}},
               static_cast<uint64_t>(l->stats.messages));
      w.sample({{"loop", std::to_string(l->index)}, {"interface", "http"}},
               static_cast<uint64_t>(l->http_stats.requests));
    }
    w.family("rampart_listener_connections", "Open connections by listener.", MetricType::kGauge);
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l})
      w.sample({{"listener", l->name}}, static_cast<uint64_t>(l->open_now()));
    w.family("rampart_connections_refused_total",
             "Connections closed at accept: over the listener's cap or the per-address cap.",
             MetricType::kCounter);
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l}) {
      w.sample({{"listener", l->name}, {"limit", "listener"}}, l->refused_listener.load());
      w.sample({{"listener", l->name}, {"limit", "address"}}, l->refused_address.load());
    }
    // Per check, summed over the loops' pipelines (one per loop, same checks).
    std::vector<std::shared_ptr<policy::Pipeline>> pipes;
    for (auto& l : loops)
      if (auto p = l->pipeline.load()) pipes.push_back(std::move(p));
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
      std::map<std::string, uint64_t> by_name;
      std::vector<std::string> order;
      for (const auto& p : pipes)
        for (const auto& c : p->checks()) {
          auto [it, fresh] = by_name.emplace(std::string(c->name()), 0);
          if (fresh) order.push_back(it->first);
          it->second += pc.get(*c);
        }
      for (const auto& n : order) w.sample({{"check", n}}, by_name[n]);
    }
    std::string m = w.text();
    if (extra_metrics) m += extra_metrics();
    return m;
  }

  void scan(HttpRequest& req, HttpRespond respond) {
    if (scan_seconds)
      respond = [respond = std::move(respond), h = scan_seconds,
                 t0 = std::chrono::steady_clock::now()](HttpReply r) {
        h->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        respond(std::move(r));
      };
    auto st = scan_state_from(req);
    if (!st) {
      respond(HttpReply{400, error_json(st.error().message)});
      return;
    }
    Loop* l = this_loop();
    auto pipe = (l ? l : &loop0())->pipeline.load();
    (*st)->too_large = req.body.size() > pipe->config().max_scan_bytes;
    (*st)->set_message(std::move(req.body));
    scan_stage(*st, pipe, 0, std::move(respond));
  }

  // POST /v1/scan: the pipeline's stages in order, then the verdict. Each
  // stage's completion may come at once (continuing in this frame: at most
  // five deep) or later from the event loop.
  static void scan_stage(std::shared_ptr<policy::ScanState> st, std::shared_ptr<policy::Pipeline> pipe,
                         size_t stage, HttpRespond respond) {
    static constexpr policy::Stage kStages[] = {policy::Stage::kConnect, policy::Stage::kHelo,
                                                policy::Stage::kMail, policy::Stage::kRcpt,
                                                policy::Stage::kData};
    const bool stop_early =
        stage > 2 && st->forced &&
        (*st->forced == policy::Action::kTempfail || *st->forced == policy::Action::kReject);
    if (stage == std::size(kStages) || stop_early) {
      policy::Verdict v = pipe->verdict(*st);
      const log::MessageScope scope(st->log_id());
      if (log::get()->should_log(spdlog::level::info))  // the line costs ~3% of a scan: only when kept
        log::get()->info("http {}", policy::verdict_log_line(*st, v));
      if (Loop* l = this_loop(); l && !st->look_only) {
        l->scan_verdicts[static_cast<size_t>(v.action) % 5]++;
        l->scan_auth.count(*st);
        if (l->stats.on_verdict) (*l->stats.on_verdict)(*st, v);
      }
      respond(HttpReply{200, verdict_json(v)});
      return;
    }
    // `respond` moves along (a copy at each stage is a few allocations: it
    // wraps the latency histogram's timer and the connection's callback).
    pipe->run(kStages[stage], st, [st, pipe, stage, respond = std::move(respond)]() mutable {
      scan_stage(st, pipe, stage + 1, std::move(respond));
    });
  }

  // The loop whose thread this is (handlers run on loop threads).
  static Loop*& this_loop() {
    static thread_local Loop* l = nullptr;
    return l;
  }

  void add_routes() {
    router->add("GET", "/healthz", std::nullopt, [this](HttpRequest&, std::string_view, HttpRespond respond) {
      if (draining.load()) {
        respond(HttpReply{503, "{\"status\": \"draining\"}"});
      } else {
        respond(HttpReply{200, "{\"status\": \"ok\"}"});
      }
    });
    router->add("GET", "/metrics", std::nullopt, [this](HttpRequest&, std::string_view, HttpRespond respond) {
      respond(HttpReply{200, metrics(), "text/plain; version=0.0.4"});
    });
    router->add(
        "POST", "/v1/scan", Right::kScan,
        [this](HttpRequest& req, std::string_view, HttpRespond respond) { scan(req, std::move(respond)); });
    router->set_timeout("/v1/scan", [] { return HttpReply{200, timeout_verdict_json()}; });
  }

  void run_loop(Loop& l) {
    this_loop() = &l;
    ScopedExecutor scope(&l.exec);
    l.start_resolver();
    l.start_tick();
    for (;;) {
      try {
        l.ctx.run();
        break;
      } catch (const std::exception& e) {
        // Nothing on the data path throws; a handler that does is a bug:
        // log it and keep the loop serving.
        log::get()->error("loop {}: {}", l.index, e.what());
      }
    }
    this_loop() = nullptr;
  }

  int run() {
    // Signals: an asio::signal_set on loop 0, delivered to this thread only.
    signals = std::make_unique<asio::signal_set>(loop0().ctx, SIGHUP, SIGTERM, SIGINT);
    signals->add(SIGUSR1);
    signals->add(SIGUSR2);
    wait_signals();
    wait_stop();
    for (Listener* l : {&milter_l, &http_l, &console_l, &exchange_l}) accept_next(*l);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    std::vector<std::thread> threads;
    for (size_t i = 1; i < loops.size(); ++i)
      threads.emplace_back([this, i] {
        // "rampartd-loopN" in top -H and /proc/PID/task/*/comm (loop 0 is the main thread).
        const std::string name = "rampartd-loop" + std::to_string(i);
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        run_loop(*loops[i]);
      });
    pthread_sigmask(SIG_UNBLOCK, &set, &old);
    run_loop(loop0());
    for (auto& t : threads) t.join();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return 0;
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& opt,
                                               std::vector<dns::Resolver*> resolvers,
                                               PipelineFactory pipelines, Reload reload,
                                               std::function<std::string()> extra_metrics, Router* router) {
  const size_t n = std::max<size_t>(1, opt.loops);
  if (resolvers.size() != n)
    return fail(Errc::kInvalidArgument, "server: " + std::to_string(n) +
                                            " loops need as many resolvers, not " +
                                            std::to_string(resolvers.size()));
  if (!pipelines) return fail(Errc::kInvalidArgument, "server: no pipeline factory");
  auto impl = std::make_unique<Impl>(opt);
  impl->opt.loops = n;
  for (size_t i = 0; i < n; ++i) {
    if (!resolvers[i]) return fail(Errc::kInvalidArgument, "server: a null resolver");
    impl->loops.push_back(std::make_unique<Impl::Loop>(*impl, i, *resolvers[i]));
  }
  if (!router) {
    impl->own_router = std::make_unique<Router>();
    router = impl->own_router.get();
  }
  impl->router = router;
  impl->add_routes();
  impl->factory = std::move(pipelines);
  for (auto& l : impl->loops) l->pipeline.store(impl->factory(*l->resolver));
  impl->reload = std::move(reload);
  impl->extra_metrics = std::move(extra_metrics);
  if (opt.metrics) impl->register_histograms(*opt.metrics);
  if (impl->opt.on_verdict)
    for (auto& l : impl->loops) l->stats.on_verdict = &impl->opt.on_verdict;
  if (auto st = impl->listen(impl->milter_l, opt.milter_listen); !st) return tl::unexpected(st.error());
  if (!opt.http_listen.empty())
    if (auto st = impl->listen(impl->http_l, opt.http_listen); !st) return tl::unexpected(st.error());
  impl->console_l.name = "console";
  impl->console_l.http = true;
  impl->console_l.max = opt.http_max_connections;
  impl->console_l.max_per_address = opt.http_max_per_address;
  impl->exchange_l.name = "exchange";
  impl->exchange_l.http = true;
  impl->exchange_l.max = opt.http_max_connections;
  impl->exchange_l.max_per_address = opt.http_max_per_address;
  impl->stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->stop_fd < 0) return fail(Errc::kIo, std::string("eventfd: ") + std::strerror(errno));
  const int dup = ::fcntl(impl->stop_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail(Errc::kIo, std::string("dup: ") + std::strerror(errno));
  impl->stop_sd = std::make_unique<asio::posix::stream_descriptor>(impl->loop0().ctx, dup);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::milter_port() const { return impl_->milter_l.port; }
uint16_t Server::http_port() const { return impl_->http_l.port; }
uint16_t Server::console_port() const { return impl_->console_l.port; }
Status Server::listen_console(const std::string& spec, HttpHandler* handler,
                              std::shared_ptr<TlsContext> tls) {
  if (!handler) return fail(Errc::kInvalidArgument, "console: no handler");
  impl_->console_l.handler = handler;
  impl_->console_l.tls = std::move(tls);
  return impl_->listen(impl_->console_l, spec);
}
uint16_t Server::exchange_port() const { return impl_->exchange_l.port; }
Status Server::listen_exchange(const std::string& spec, HttpHandler* handler,
                               std::shared_ptr<TlsContext> tls) {
  if (!handler || !tls)
    return fail(Errc::kInvalidArgument, "exchange: a handler and mutual TLS are required");
  impl_->exchange_l.handler = handler;
  impl_->exchange_l.tls = std::move(tls);
  impl_->exchange_l.mutual = true;
  return impl_->listen(impl_->exchange_l, spec);
}
std::string Server::metrics_text() { return impl_->metrics(); }
void Server::scan(HttpRequest req, HttpRespond respond) { impl_->scan(req, std::move(respond)); }
size_t Server::loops() const { return impl_->loops.size(); }
Executor& Server::executor(size_t i) { return impl_->loops.at(i)->exec; }
int Server::run() { return impl_->run(); }
void Server::set_tick(std::function<void()> fn) { impl_->tick_hook = std::move(fn); }

void Server::stop() {
  // An eventfd write: async-signal-safe, any thread.
  const uint64_t one = 1;
  if (impl_->stop_fd >= 0) [[maybe_unused]]
    auto r = ::write(impl_->stop_fd, &one, sizeof one);
}

}  // namespace rampart::server

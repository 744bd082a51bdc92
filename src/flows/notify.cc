// File: src/flows/notify.cc
#include "flows/notify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

namespace rampart::flows {

namespace {

using Clock = Notifier::Clock;

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timeout, -1 error.
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r;
    return 1;
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The last OpenSSL error as text ("" when none).
std::string ssl_error_text() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

struct Notifier::Tls {
  SSL_CTX* ctx = nullptr;
  ~Tls() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

Notifier::Notifier(NotifyOptions o) : opt_(std::move(o)) {}

Result<WebhookUrl> parse_webhook_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return fail(Errc::kInvalidArgument, "webhook URL '" + std::string(url) + "': " + why);
  };
  WebhookUrl u;
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    u.tls = true;
    u.port = 443;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else {
    return bad("must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  for (char c : u.path)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return bad("path has spaces or control characters");
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated [IPv6] host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("junk after ]");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("no host");
  for (char c : u.host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_'))
      return bad("bad character in host");
  if (authority.size() && authority.back() == ':') return bad("empty port");
  if (!port.empty()) {
    unsigned p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return bad("port must be 1-65535");
    u.port = static_cast<uint16_t>(p);
  }
  const bool v6 = u.host.find(':') != std::string::npos;
  u.host_header = (v6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
  return u;
}

std::string NotifyStats::to_string() const {
  return "notifications=" + std::to_string(notifications) + " file_lines=" + std::to_string(file_lines) +
         " file_errors=" + std::to_string(file_errors) +
         " webhook_delivered=" + std::to_string(webhook_delivered) +
         " webhook_failures=" + std::to_string(webhook_failures) +
         " webhook_timeouts=" + std::to_string(webhook_timeouts) +
         " webhook_dropped=" + std::to_string(webhook_dropped);
}

Result<std::unique_ptr<Notifier>> Notifier::open(NotifyOptions o) {
  if (o.timeout_ms <= 0) return fail(Errc::kInvalidArgument, "notify timeout must be > 0 ms");
  if (o.max_queue == 0) o.max_queue = 1;
  if (o.max_attempts == 0) o.max_attempts = 1;
  std::unique_ptr<Notifier> n(new Notifier(std::move(o)));
  if (!n->opt_.webhook.empty()) {
    auto u = parse_webhook_url(n->opt_.webhook);
    if (!u) return tl::unexpected(u.error());
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(u->port);
    const int rc = ::getaddrinfo(u->host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr)
      return fail(Errc::kInvalidArgument, "webhook host '" + u->host + "': " + ::gai_strerror(rc));
    std::memcpy(&n->addr_, res->ai_addr, res->ai_addrlen);
    n->addr_len_ = res->ai_addrlen;
    ::freeaddrinfo(res);
    n->url_ = std::move(*u);
    n->has_webhook_ = true;
    if (n->url_.tls) {
      n->tls_ = std::make_unique<Tls>();
      n->tls_->ctx = SSL_CTX_new(TLS_client_method());
      if (!n->tls_->ctx) return fail(Errc::kIo, "TLS: " + ssl_error_text());
      SSL_CTX_set_min_proto_version(n->tls_->ctx, TLS1_2_VERSION);
      SSL_CTX_set_verify(n->tls_->ctx, SSL_VERIFY_PEER, nullptr);
      const bool loaded =
          n->opt_.tls_ca_file.empty()
              ? SSL_CTX_set_default_verify_paths(n->tls_->ctx) == 1
              : SSL_CTX_load_verify_locations(n->tls_->ctx, n->opt_.tls_ca_file.c_str(), nullptr) == 1;
      if (!loaded)
        return fail(Errc::kInvalidArgument,
                    "TLS CA certificates " +
                        (n->opt_.tls_ca_file.empty() ? "(system store)" : n->opt_.tls_ca_file) + ": " +
                        ssl_error_text());
    }
  }
  if (!n->opt_.tls_ca_file.empty() && !n->tls_)
    return fail(Errc::kInvalidArgument, "a TLS CA file needs an https:// webhook");
  if (!n->opt_.file.empty()) {
    n->fd_ = ::open(n->opt_.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (n->fd_ < 0) return fail(Errc::kIo, "cannot open " + n->opt_.file + ": " + std::strerror(errno));
  }
  return n;
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

void Notifier::notify(std::string json) {
  ++stats_.notifications;
  if (fd_ >= 0) {
    // One write() of the whole line (O_APPEND: it lands at the end even with
    // other writers); a short write is completed, an error counted.
    std::string line = json + "\n";
    size_t off = 0;
    bool ok = true;
    while (off < line.size()) {
      const ssize_t w = ::write(fd_, line.data() + off, line.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        last_error_ = "write " + opt_.file + ": " + std::strerror(errno);
        break;
      }
      off += static_cast<size_t>(w);
    }
    if (ok && opt_.fsync && ::fsync(fd_) != 0) {
      ok = false;
      last_error_ = "fsync " + opt_.file + ": " + std::strerror(errno);
    }
    ok ? ++stats_.file_lines : ++stats_.file_errors;
  }
  if (has_webhook_) {
    if (queue_.size() >= opt_.max_queue) {
      queue_.pop_front();
      ++stats_.webhook_dropped;
    }
    queue_.push_back(Pending{std::move(json), 0});
    pump();
  }
}

void Notifier::pump() {
  if (queue_.empty()) return;
  const auto start = Clock::now();
  if (start < next_try_) return;
  const auto deadline = start + std::chrono::milliseconds(opt_.timeout_ms);
  while (!queue_.empty() && Clock::now() < deadline) {
    Pending& p = queue_.front();
    ++p.attempts;
    auto r = post(p.body, deadline);
    if (r) {
      ++stats_.webhook_delivered;
      queue_.pop_front();
      backoff_ms_ = 0;
      continue;
    }
    ++stats_.webhook_failures;
    if (r.error().code == Errc::kTemporary) ++stats_.webhook_timeouts;
    last_error_ = r.error().message;
    if (p.attempts >= opt_.max_attempts) {
      queue_.pop_front();
      ++stats_.webhook_dropped;
    }
    backoff_ms_ = backoff_ms_ == 0 ? opt_.backoff_initial_ms : std::min(backoff_ms_ * 2, opt_.backoff_max_ms);
    next_try_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
    return;
  }
}

bool Notifier::drain(std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  for (;;) {
    pump();
    if (queue_.empty()) return true;
    const auto now = Clock::now();
    if (now >= end) return false;
    // Wait out the backoff, but not past the limit.
    std::this_thread::sleep_until(std::min(std::max(next_try_, now), end));
  }
}

Status Notifier::post(const std::string& body, Clock::time_point deadline) {
  Fd s;
  s.fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return fail(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  const std::string where = "webhook " + url_.host_header;
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0) {
    if (errno != EINPROGRESS) return fail(Errc::kIo, where + ": connect: " + std::strerror(errno));
    const int w = wait_fd(s.fd, POLLOUT, deadline);
    if (w == 0) return fail(Errc::kTemporary, where + ": connect timed out");
    int err = 0;
    socklen_t len = sizeof err;
    if (w < 0 || ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
      return fail(Errc::kIo, where + ": connect: " + std::strerror(err ? err : errno));
  }
  // TLS (https): the handshake, the server's name checked against its certificate.
  std::unique_ptr<SSL, void (*)(SSL*)> ssl(nullptr, SSL_free);
  // An SSL call that wants the socket readable or writable waits for it (1),
  // times out (0) or failed (-1).
  auto ssl_wait = [&](int rc) {
    const int e = SSL_get_error(ssl.get(), rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      const int w = wait_fd(s.fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      return w > 0 ? 1 : w;
    }
    return -1;
  };
  if (tls_) {
    ERR_clear_error();
    ssl.reset(SSL_new(tls_->ctx));
    if (!ssl || SSL_set_fd(ssl.get(), s.fd) != 1)
      return fail(Errc::kIo, where + ": TLS: " + ssl_error_text());
    in6_addr a6{};
    in_addr a4{};
    const bool ip = ::inet_pton(AF_INET, url_.host.c_str(), &a4) == 1 ||
                    ::inet_pton(AF_INET6, url_.host.c_str(), &a6) == 1;
    const bool named = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), url_.host.c_str()) == 1
                          : SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                     const_cast<char*>(url_.host.c_str())) == 1 &&
                                SSL_set1_host(ssl.get(), url_.host.c_str()) == 1;
    if (!named) return fail(Errc::kIo, where + ": TLS: " + ssl_error_text());
    for (;;) {
      const int rc = SSL_connect(ssl.get());
      if (rc == 1) break;
      const int w = ssl_wait(rc);
      if (w == 1) continue;
      if (w == 0) return fail(Errc::kTemporary, where + ": TLS handshake timed out");
      const long v = SSL_get_verify_result(ssl.get());
      if (v != X509_V_OK)
        return fail(Errc::kIo,
                    where + ": TLS: certificate not accepted: " + X509_verify_cert_error_string(v));
      const std::string why = ssl_error_text();
      return fail(Errc::kIo, where + ": TLS handshake failed" + (why.empty() ? "" : ": " + why));
    }
  }
  std::string req = "POST " + url_.path + " HTTP/1.1\r\nHost: " + url_.host_header +
                    "\r\nUser-Agent: rampart\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  size_t off = 0;
  while (off < req.size()) {
    if (ssl) {
      const int n = SSL_write(ssl.get(), req.data() + off,
                              static_cast<int>(std::min<size_t>(req.size() - off, 1 << 30)));
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      const int w = ssl_wait(n);
      if (w == 1) continue;
      if (w == 0) return fail(Errc::kTemporary, where + ": send timed out");
      return fail(Errc::kIo, where + ": TLS send: " + ssl_error_text());
    }
    const ssize_t n = ::send(s.fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int w = wait_fd(s.fd, POLLOUT, deadline);
      if (w == 0) return fail(Errc::kTemporary, where + ": send timed out");
      if (w < 0) return fail(Errc::kIo, where + ": poll: " + std::strerror(errno));
      continue;
    }
    return fail(Errc::kIo, where + ": send: " + std::strerror(errno));
  }
  // The status line is all that is needed ("HTTP/1.x NNN ..."); read at most 4 KiB.
  std::string resp;
  char buf[1024];
  while (resp.find("\r\n") == std::string::npos && resp.size() < 4096) {
    if (ssl) {
      const int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n > 0) {
        resp.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (SSL_get_error(ssl.get(), n) == SSL_ERROR_ZERO_RETURN) break;
      const int w = ssl_wait(n);
      if (w == 1) continue;
      if (w == 0) return fail(Errc::kTemporary, where + ": no response before the timeout");
      break;  // closed without close_notify: judge what arrived
    }
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n > 0) {
      resp.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int w = wait_fd(s.fd, POLLIN, deadline);
      if (w == 0) return fail(Errc::kTemporary, where + ": no response before the timeout");
      if (w < 0) return fail(Errc::kIo, where + ": poll: " + std::strerror(errno));
      continue;
    }
    return fail(Errc::kIo, where + ": recv: " + std::strerror(errno));
  }
  if (resp.size() < 12 || resp.compare(0, 7, "HTTP/1.") != 0 || resp[8] != ' ')
    return fail(Errc::kIo, where + ": not an HTTP response");
  const std::string code = resp.substr(9, 3);
  if (code[0] != '2') return fail(Errc::kPermanent, where + ": HTTP " + code);
  return {};
}

}  // namespace rampart::flows

// File: src/channels/x5u.cc
// HTTPS fetch of x5u certificate chains with an HTTP-caching-aware cache; see x5u.h.
#include "channels/x5u.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <cstring>

#include "core/civil_time.h"
#include "core/strings.h"

namespace rampart::channels {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

Result<HttpsUrl> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() > 2048) return fail(Errc::kParse, "x5u URL longer than 2048 bytes");
  if (url.size() < kScheme.size() || to_lower(url.substr(0, kScheme.size())) != kScheme)
    return fail(Errc::kParse, "x5u is not an https:// URL");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  HttpsUrl u;
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (size_t hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  if (u.target.empty() || u.target[0] != '/') u.target.insert(u.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) return fail(Errc::kParse, "x5u URL with user info");
  std::string_view host = authority;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::kParse, "x5u URL: bad IPv6 literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(Errc::kParse, "x5u URL: bad port");
      authority = after;
    } else {
      authority = {};
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    authority = authority.substr(colon);
  } else {
    authority = {};
  }
  if (!authority.empty()) {
    std::string_view p = authority.substr(1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535)
      return fail(Errc::kParse, "x5u URL: bad port");
    u.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return fail(Errc::kParse, "x5u URL without host");
  u.host = std::string(host);
  return u;
}

Result<int64_t> parse_http_date(std::string_view t) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  t = trim(t);
  std::string s = to_lower(t);
  // Normalise the three forms to tokens: day, month, year, hh:mm:ss.
  for (char& c : s)
    if (c == ',' || c == '-') c = ' ';
  std::vector<std::string_view> tok;
  for (std::string_view v : split(s, ' '))
    if (!v.empty()) tok.push_back(v);
  int day = -1, year = -1, month = -1, hh = -1, mm = -1, ss = -1;
  auto num = [](std::string_view v, int* out) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && p == v.data() + v.size();
  };
  for (std::string_view v : tok) {
    if (v.size() == 8 && v[2] == ':' && v[5] == ':') {
      if (!num(v.substr(0, 2), &hh) || !num(v.substr(3, 2), &mm) || !num(v.substr(6, 2), &ss))
        return fail(Errc::kParse, "HTTP-date: bad time");
    } else if (v.size() >= 3 && std::isalpha(static_cast<unsigned char>(v[0]))) {
      for (int i = 0; i < 12; ++i)
        if (v.substr(0, 3) == kMonths[i] && (v.size() == 3)) month = i + 1;
    } else if (int n; num(v, &n)) {
      if (v.size() >= 4)
        year = n;
      else if (day < 0)
        day = n;
      else if (year < 0 && v.size() == 2)
        year = n < 70 ? 2000 + n : 1900 + n;  // RFC 850
    }
  }
  if (day < 1 || day > 31 || month < 1 || year < 1970 || year > 9999 || hh < 0 || hh > 23 || mm < 0 ||
      mm > 59 || ss < 0 || ss > 60)
    return fail(Errc::kParse, "not an HTTP-date: " + std::string(t.substr(0, 64)));
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hh * 3600 +
         mm * 60 + ss;
}

int64_t cache_lifetime(std::string_view cache_control, std::string_view expires, std::string_view date,
                       int64_t now) {
  int64_t max_age = -1, s_maxage = -1;
  for (std::string_view d : split(cache_control, ',')) {
    std::string v = to_lower(trim(d));
    if (v == "no-store" || v == "no-cache" || v == "private") return 0;
    auto directive = [&](std::string_view name, int64_t* out) {
      if (v.size() > name.size() + 1 && v.compare(0, name.size(), name) == 0 && v[name.size()] == '=') {
        std::string_view n = std::string_view(v).substr(name.size() + 1);
        if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
        int64_t x = 0;
        auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), x);
        if (ec == std::errc() && p == n.data() + n.size() && x >= 0) *out = x;
      }
    };
    directive("max-age", &max_age);
    directive("s-maxage", &s_maxage);
  }
  if (s_maxage >= 0) return s_maxage;  // a shared cache (RFC 9111 section 5.2.2.10)
  if (max_age >= 0) return max_age;
  if (!trim(expires).empty()) {
    auto e = parse_http_date(expires);
    if (!e) return 0;  // an invalid Expires means already expired (RFC 9111 section 5.3)
    auto d = parse_http_date(date);
    int64_t origin_now = d ? *d : now;
    return *e > origin_now ? *e - origin_now : 0;
  }
  return 0;
}

std::shared_ptr<const std::string> CertCache::get(const std::string& url, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = map_.find(url);
  if (it == map_.end()) return nullptr;
  if (it->second.expires_at <= now) {
    order_.erase(it->second.order);
    map_.erase(it);
    return nullptr;
  }
  return it->second.body;
}

void CertCache::put(const std::string& url, std::string body, int64_t expires_at) {
  if (max_entries_ == 0) return;
  auto shared = std::make_shared<const std::string>(std::move(body));
  std::lock_guard lock(mu_);
  if (auto it = map_.find(url); it != map_.end()) {
    order_.erase(it->second.order);
    map_.erase(it);
  }
  while (map_.size() >= max_entries_) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(url);
  map_.emplace(url, Entry{std::move(shared), expires_at, std::prev(order_.end())});
}

struct X5uFetcher::Impl {
  asio::any_io_executor ex;
  X5uOptions opt;
  ssl::context tls{ssl::context::tls_client};
  std::string tls_error;
};

namespace {

struct Session : std::enable_shared_from_this<Session> {
  Session(asio::any_io_executor ex, ssl::context& tls) : resolver(ex), stream(ex, tls), deadline(ex) {}
  asio::ip::tcp::resolver resolver;
  beast::ssl_stream<beast::tcp_stream> stream;
  asio::steady_timer deadline;
  beast::flat_buffer buffer;
  http::request<http::empty_body> req;
  http::response_parser<http::string_body> parser;
  HttpsUrl url;
  std::string url_text;
  int64_t now = 0;
  CertCache* cache = nullptr;
  X5uFetcher::Callback done;
  bool finished = false;

  void finish(Result<std::string> r) {
    if (finished) return;
    finished = true;
    deadline.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
    auto cb = std::move(done);
    cb(std::move(r));
  }
  void fail_with(std::string_view step, const beast::error_code& ec) {
    finish(fail(Errc::kTemporary, std::string(step) + ": " + ec.message()));
  }

  void start(std::chrono::milliseconds timeout, size_t max_body) {
    auto self = shared_from_this();
    deadline.expires_after(timeout);
    deadline.async_wait([self](const beast::error_code& ec) {
      if (ec) return;
      self->resolver.cancel();
      self->finish(fail(Errc::kTemporary, "deadline passed fetching the x5u"));
    });
    parser.body_limit(max_body);
    parser.header_limit(8 * 1024);
    req = http::request<http::empty_body>(http::verb::get, url.target, 11);
    req.set(http::field::host, url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host);
    req.set(http::field::user_agent, "rampart-stir");
    req.set(http::field::accept, "application/pem-certificate-chain, application/x-pem-file, */*");
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self](const beast::error_code& ec, asio::ip::tcp::resolver::results_type results) {
          if (self->finished) return;
          if (ec) return self->fail_with("resolve " + self->url.host, ec);
          self->connect(results);
        });
  }
  void connect(const asio::ip::tcp::resolver::results_type& results) {
    auto self = shared_from_this();
    beast::get_lowest_layer(stream).async_connect(
        results, [self](const beast::error_code& ec, const asio::ip::tcp::endpoint&) {
          if (self->finished) return;
          if (ec) return self->fail_with("connect", ec);
          beast::error_code ignored;
          asio::ip::make_address(self->url.host, ignored);
          if (ignored) {  // a name: SNI (RFC 6066), and the certificate must name it
            if (SSL_ctrl(self->stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                         TLSEXT_NAMETYPE_host_name, const_cast<char*>(self->url.host.c_str())) != 1)
              return self->finish(fail(Errc::kInternal, "TLS: cannot set SNI"));
          }
          self->stream.set_verify_callback(ssl::host_name_verification(self->url.host));
          self->stream.async_handshake(ssl::stream_base::client, [self](const beast::error_code& ec2) {
            if (self->finished) return;
            if (ec2) return self->fail_with("TLS", ec2);
            self->write();
          });
        });
  }
  void write() {
    auto self = shared_from_this();
    http::async_write(stream, req, [self](const beast::error_code& ec, size_t) {
      if (self->finished) return;
      if (ec) return self->fail_with("send", ec);
      http::async_read(
          self->stream, self->buffer, self->parser, [self](const beast::error_code& ec2, size_t) {
            if (self->finished) return;
            if (ec2) return self->fail_with("read", ec2);
            auto& res = self->parser.get();
            if (res.result_int() != 200)
              return self->finish(fail(Errc::kPermanent, "HTTP status " + std::to_string(res.result_int())));
            std::string body = std::move(res.body());
            auto field = [&res](http::field f) {
              auto v = res[f];
              return std::string_view(v.data(), v.size());
            };
            int64_t life = cache_lifetime(field(http::field::cache_control), field(http::field::expires),
                                          field(http::field::date), self->now);
            if (life > 0) self->cache->put(self->url_text, body, self->now + life);
            self->finish(std::move(body));
          });
    });
  }
};

}  // namespace

X5uFetcher::X5uFetcher(asio::any_io_executor ex, X5uOptions opt) : impl_(std::make_unique<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->opt = std::move(opt);
  beast::error_code ec;
  impl_->tls.set_default_verify_paths(ec);
  if (ec) impl_->tls_error = "system CAs: " + ec.message();
  if (!impl_->opt.https_ca.empty()) {
    impl_->tls.load_verify_file(impl_->opt.https_ca, ec);
    if (ec) impl_->tls_error = impl_->opt.https_ca + ": " + ec.message();
  }
  impl_->tls.set_verify_mode(ssl::verify_peer);
}

X5uFetcher::~X5uFetcher() = default;

Status X5uFetcher::ready() const {
  if (!impl_->tls_error.empty()) return fail(Errc::kConfig, impl_->tls_error);
  return {};
}

void X5uFetcher::fetch(const std::string& url, int64_t now, Callback done) {
  if (auto hit = cache_.get(url, now)) {
    asio::post(impl_->ex, [done = std::move(done), body = *hit]() mutable { done(std::move(body)); });
    return;
  }
  auto parsed = parse_https_url(url);
  if (!parsed) {
    asio::post(impl_->ex,
               [done = std::move(done), e = parsed.error()]() mutable { done(tl::unexpected(e)); });
    return;
  }
  auto s = std::make_shared<Session>(impl_->ex, impl_->tls);
  s->url = std::move(*parsed);
  s->url_text = url;
  s->now = now;
  s->cache = &cache_;
  s->done = std::move(done);
  s->start(impl_->opt.timeout, impl_->opt.max_body);
}

}  // namespace rampart::channels

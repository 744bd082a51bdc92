// File: src/channels/x5u.h
// Fetching the certificate chain a PASSporT's x5u names (RFC 8225 section
// 5.1.2, RFC 8588 section 4): HTTPS GET over Boost.Beast and OpenSSL
// (asio::ssl), the server verified against the system CAs (plus an optional
// extra CA file) with the host name checked, and a cache that honours the
// answer's HTTP caching headers (RFC 9111: Cache-Control no-store, no-cache,
// max-age, s-maxage; Expires against Date). Nothing is cached without them.
//
//   channels::X5uFetcher f(io.get_executor(), {.https_ca = "ca.pem"});
//   f.fetch("https://cert.example.net/sp.pem", [](Result<std::string> chain) { ... });
//   io.run();   // or the event loop the fetcher lives on
//
// Completions run on the fetcher's executor. Bounds: a deadline for the whole
// fetch (connect, TLS, request, answer), 64 KiB of body, 8 KiB of header, 256
// cache entries of at most 64 KiB each (the least recently stored goes).
//
// DIAGNOSTICS: every failure is an error naming the step: a URL that is not
// https://host[:port]/path, DNS, connect, TLS (an untrusted server), an HTTP
// status other than 200, a body over the cap, the deadline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace rampart::channels {

struct HttpsUrl {
  std::string host;
  uint16_t port = 443;
  std::string target;  // path and query, "/" at least
};
Result<HttpsUrl> parse_https_url(std::string_view url);

// HTTP-date (RFC 9110 section 5.6.7): IMF-fixdate, RFC 850 and asctime forms.
Result<int64_t> parse_http_date(std::string_view text);

// Seconds an answer may be served from the cache from now on (0: not at all),
// from its Cache-Control, Expires and Date header fields.
int64_t cache_lifetime(std::string_view cache_control, std::string_view expires, std::string_view date,
                       int64_t now);

// Thread-safe (a lock): the fetcher's thread stores, any thread may look up
// (rampartd answers a call with a cached chain on the HTTP loop that took it).
class CertCache {
 public:
  explicit CertCache(size_t max_entries = 256) : max_entries_(max_entries) {}
  // The body while fresh (shared: a later put or expiry does not pull it away), else null.
  std::shared_ptr<const std::string> get(const std::string& url, int64_t now);
  void put(const std::string& url, std::string body, int64_t expires_at);
  size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const std::string> body;
    int64_t expires_at;
    std::list<std::string>::iterator order;
  };
  mutable std::mutex mu_;
  size_t max_entries_;
  std::unordered_map<std::string, Entry> map_;
  std::list<std::string> order_;  // oldest first
};

struct X5uOptions {
  std::string https_ca;  // an extra CA file the HTTPS server may chain to
  std::chrono::milliseconds timeout{3000};
  size_t max_body = 64 * 1024;
};

class X5uFetcher {
 public:
  using Callback = std::function<void(Result<std::string>)>;
  X5uFetcher(boost::asio::any_io_executor ex, X5uOptions opt);
  ~X5uFetcher();
  X5uFetcher(const X5uFetcher&) = delete;
  X5uFetcher& operator=(const X5uFetcher&) = delete;

  // The chain from the cache when fresh, else fetched (and cached as the
  // answer allows). `now` is unix seconds.
  void fetch(const std::string& url, int64_t now, Callback done);
  CertCache& cache() { return cache_; }
  Status ready() const;  // the TLS context loaded (the CA file read)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  CertCache cache_;
};

}  // namespace rampart::channels

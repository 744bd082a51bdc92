// File: src/server/http/access.h
// Access control for rampartd's HTTP API: bearer tokens with rights, stored
// in the configuration as SHA-256 hashes.
//
//   [[http.tokens]]
//   name = "desk"
//   sha256 = "<hex SHA-256 of the token>"       # rampart token new desk --rights scan,read
//   rights = ["scan", "read", "learn", "events", "reports", "override", "calls", "publish", "admin"]
//
//   auto ac = AccessControl::from(config);      // Result<AccessControl>
//   switch (ac->check(request, Right::kLearn)) { case Access::kAllowed: ...; case kUnauthorized: 401; ... }
//
// Requests carry "Authorization: Bearer <token>" (RFC 6750 2.1), or
// "Authorization: Basic base64(<any name>:<token>)" (RFC 7617) for clients
// that can only put credentials in a URL (Kamailio's http_client connections). With at
// least one token configured every right needs a token holding it: no token
// or an unknown one is kUnauthorized (401), a known token without the right
// kForbidden (403). With none configured, scan and read are open and learn,
// events, reports, override, calls, publish and admin are kForbidden: writes are off until an operator makes
// a token. The presented token is hashed and compared with every configured
// hash in constant time (CRYPTO_memcmp), so neither the token nor which hash
// matched leaks through timing.
//
// A token may carry a request rate: `rate = 200` (requests per second) and
// `burst = 400` (requests; default one second's worth, at least 1). Past it
// the token's requests are kRateLimited (429 with Retry-After) until the
// rate allows them again, so one client holding a token (a flood of cached
// /v1/calls, of scans, of reports) cannot take the loops from the others.
// The limit is GCRA (the generic cell rate algorithm, a token bucket without
// a refill timer: one atomic "theoretical arrival time" per token, shared by
// every loop, updated by compare-and-swap). A request refused 401 or 403
// does not count against the rate. No rate: unlimited (the default; nothing
// shared is touched). The state starts afresh when the tokens are reloaded.
// DIAGNOSTICS: from() fails with Errc::kConfig naming the entry for a
// missing name, a sha256 that is not 64 hex digits, an unknown or missing
// right, a duplicate name or hash, a rate outside (0, 10^7] or a burst
// outside [1, 10^9] (or a burst without a rate), or http.tokens that is not
// an array of tables. Keys read: http.tokens[].name, .sha256, .rights, .rate,
// .burst (nothing else).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "server/http/parser.h"

namespace rampart::server {

// kOverride: manual DNSBL listings and delistings (POST /v1/overrides, issue 14).
// kCalls: a SIP proxy asking per INVITE (POST /v1/calls, issue 16).
// kPublish: items for the members' exchange (POST /v1/exchange/publish, issue 17).
// kAdmin: the daemon's own settings at run time (PUT /v1/log-level, issue 15).
enum class Right : uint16_t {
  kScan = 1,
  kRead = 2,
  kLearn = 4,
  kEvents = 8,
  kReports = 16,
  kOverride = 32,
  kCalls = 64,
  kPublish = 128,
  kAdmin = 256
};
enum class Access { kAllowed, kUnauthorized, kForbidden, kRateLimited };

// "scan", "read", ... -> the right; nullopt-like: false when unknown.
bool parse_right(std::string_view name, Right& out);
std::string_view right_name(Right r);

// GCRA over a monotonic clock in nanoseconds; thread-safe, lock-free.
class RateLimit {
 public:
  RateLimit(double per_second, double burst);
  // True when a request at `now_ns` conforms (and counts it); false when it
  // is over the rate, with the wait until one would conform in *retry_ns.
  bool admit(int64_t now_ns, int64_t* retry_ns = nullptr);

 private:
  int64_t interval_ns_, tolerance_ns_;
  alignas(64) std::atomic<int64_t> tat_{0};  // its own cache line: every loop writes it
};

struct ApiToken {
  std::string name;
  std::array<uint8_t, 32> sha256{};
  uint32_t rights = 0;               // Right bits
  std::shared_ptr<RateLimit> limit;  // null: unlimited
};

class AccessControl {
 public:
  static Result<AccessControl> from(const Config& cfg);
  void add(ApiToken t) { tokens_.push_back(std::move(t)); }
  bool open() const { return tokens_.empty(); }
  size_t size() const { return tokens_.size(); }
  // `who` (may be null) receives the token's name when one matched;
  // `retry_s` (may be null) the seconds to wait when kRateLimited (>= 1).
  Access check(const HttpRequest& req, Right right, std::string* who = nullptr,
               int64_t* retry_s = nullptr) const;
  // The name of the token the request carries ("" for none or an unknown
  // one), for audit lines of a request check() already allowed: neither its
  // rights nor its rate are looked at, and nothing is counted.
  std::string token_name(const HttpRequest& req) const;

 private:
  const ApiToken* match(const HttpRequest& req) const;  // null: no known token
  std::vector<ApiToken> tokens_;
};

// Hex SHA-256 of a token (what goes into sha256 = "...").
std::string token_sha256_hex(std::string_view token);
// A new random token: 32 bytes from OpenSSL's RAND_bytes as 64 hex digits
// with a "rmp_" prefix; Errc::kInternal if the generator fails.
Result<std::string> new_token();

}  // namespace rampart::server

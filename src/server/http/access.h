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
// DIAGNOSTICS: from() fails with Errc::kConfig naming the entry for a
// missing name, a sha256 that is not 64 hex digits, an unknown or missing
// right, a duplicate name or hash, or http.tokens that is not an array of
// tables. Keys read: http.tokens[].name, .sha256, .rights (nothing else).
#pragma once

#include <array>
#include <cstdint>
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
enum class Access { kAllowed, kUnauthorized, kForbidden };

// "scan", "read", ... -> the right; nullopt-like: false when unknown.
bool parse_right(std::string_view name, Right& out);
std::string_view right_name(Right r);

struct ApiToken {
  std::string name;
  std::array<uint8_t, 32> sha256{};
  uint32_t rights = 0;  // Right bits
};

class AccessControl {
 public:
  static Result<AccessControl> from(const Config& cfg);
  void add(ApiToken t) { tokens_.push_back(std::move(t)); }
  bool open() const { return tokens_.empty(); }
  size_t size() const { return tokens_.size(); }
  // `who` (may be null) receives the token's name when one matched.
  Access check(const HttpRequest& req, Right right, std::string* who = nullptr) const;

 private:
  std::vector<ApiToken> tokens_;
};

// Hex SHA-256 of a token (what goes into sha256 = "...").
std::string token_sha256_hex(std::string_view token);
// A new random token: 32 bytes from OpenSSL's RAND_bytes as 64 hex digits
// with a "rmp_" prefix; Errc::kInternal if the generator fails.
Result<std::string> new_token();

}  // namespace rampart::server

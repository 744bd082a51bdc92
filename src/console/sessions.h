// File: src/console/sessions.h
// The console's login sessions, CSRF tokens and login rate limits (no I/O).
//
//   SessionStore sessions({.max_sessions = 1000, .idle = 30min, .absolute = 12h});
//   Session s = sessions.create("ann", Role::kOperator, now);      // s.id -> cookie, s.csrf -> page
//   std::optional<Session> cur = sessions.find(cookie_value, now); // expired/unknown: nullopt
//   sessions.remove(cookie_value);                                  // logout
//   bool ok = csrf_ok(req, *cur, host_origins);                     // every state-changing request
//
//   LoginLimiter lim({.max_failures = 5, .window = 15min, .max_keys = 10000});
//   if (!lim.allowed("addr:127.0.0.1", now) || !lim.allowed("user:ann", now)) -> 429
//   lim.failure("addr:127.0.0.1", now); lim.success("user:ann");
//
// Session ids and CSRF tokens: 32 random bytes each (libsodium
// randombytes_buf), hex. The store keys sessions by a BLAKE2b hash of the
// id (crypto_generichash), so a lookup's timing depends on the hash, not
// on how much of a guessed id matches; the CSRF token is compared with
// sodium_memcmp (constant time). A session ends at `idle` after its last
// use or `absolute` after its creation, whichever comes first. Over
// max_sessions the oldest-used session is dropped (bounded memory).
//
// The login limiter counts failures per key (a client address, a user
// name) in a fixed window: after max_failures within `window` of the first
// one, the key is refused until the window ends. At most max_keys keys; a
// new key over that evicts the oldest window first.
//
// Threads: both are locked by their own mutex; every call is O(log n).
// DIAGNOSTICS: none; randomness failing aborts inside libsodium (it does
// not return errors).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "console/accounts.h"
#include "server/http/parser.h"

namespace rampart::console {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Session {
  std::string id;    // the cookie value (only returned by create())
  std::string csrf;  // the per-session CSRF token
  std::string user;
  Role role = Role::kViewer;
  SteadyTime created{}, last_used{};
};

struct SessionLimits {
  size_t max_sessions = 1000;
  std::chrono::seconds idle{30 * 60};
  std::chrono::seconds absolute{12 * 3600};
};

class SessionStore {
 public:
  explicit SessionStore(SessionLimits l = {}) : limits_(l) {}
  Session create(std::string user, Role role, SteadyTime now);
  // The session with this id, its last use moved to now; nullopt when
  // unknown or expired (an expired one is removed).
  std::optional<Session> find(std::string_view id, SteadyTime now);
  void remove(std::string_view id);
  // Every session of `user` (account deleted or its password changed).
  size_t remove_user(std::string_view user);
  // Every session whose user `keep` refuses (the accounts file changed: a
  // user deleted or given another role).
  size_t remove_unless(const std::function<bool(const std::string& user, Role role)>& keep);
  size_t size() const;
  // Drops expired sessions (the console's tick).
  size_t expire(SteadyTime now);

 private:
  using Key = std::string;  // BLAKE2b-256 of the id
  static Key key_of(std::string_view id);
  bool expired(const Session& s, SteadyTime now) const;
  void evict_oldest();
  SessionLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Session> sessions_;
};

// 2*n hex digits of fresh randomness.
std::string random_hex(size_t n);
// Constant-time equality (sodium_memcmp); false when the lengths differ.
bool equal_ct(std::string_view a, std::string_view b);

// A state-changing request may go on when (1) its Origin header (or, when
// absent, its Referer's origin) is one of `origins` ("http://127.0.0.1:8080";
// the console's own origins, derived from the Host header and the scheme),
// and (2) its X-CSRF-Token header equals the session's token. Browsers send
// Origin on every cross-site POST and cannot set X-CSRF-Token across sites
// without a CORS preflight, which the console never answers.
enum class CsrfResult { kOk, kBadOrigin, kBadToken };
CsrfResult csrf_check(const server::HttpRequest& req, const Session& s,
                      const std::vector<std::string>& origins);

struct LoginLimits {
  uint32_t max_failures = 5;
  std::chrono::seconds window{15 * 60};
  size_t max_keys = 10000;
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits l = {}) : limits_(l) {}
  bool allowed(std::string_view key, SteadyTime now);
  void failure(std::string_view key, SteadyTime now);
  void success(std::string_view key);
  size_t size() const;
  // Seconds until `key` may try again (0: now).
  int64_t retry_after(std::string_view key, SteadyTime now) const;

 private:
  struct Entry {
    SteadyTime start{};
    uint32_t failures = 0;
  };
  LoginLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> keys_;
};

}  // namespace rampart::console

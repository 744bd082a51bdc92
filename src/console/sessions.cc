// File: src/console/sessions.cc
// Sessions, CSRF checks and the login limiter (see sessions.h).
#include "console/sessions.h"

#include <sodium.h>

#include <algorithm>

namespace rampart::console {

std::string random_hex(size_t n) {
  static const bool ready = sodium_init() >= 0;  // randombytes_buf works either way (it aborts on failure)
  (void)ready;
  std::vector<unsigned char> b(n);
  randombytes_buf(b.data(), b.size());
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
  out.pop_back();
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionStore::Key SessionStore::key_of(std::string_view id) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(id.data()), id.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

bool SessionStore::expired(const Session& s, SteadyTime now) const {
  return now - s.last_used >= limits_.idle || now - s.created >= limits_.absolute;
}

void SessionStore::evict_oldest() {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (oldest == sessions_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

Session SessionStore::create(std::string user, Role role, SteadyTime now) {
  Session s;
  s.id = random_hex(32);
  s.csrf = random_hex(32);
  s.user = std::move(user);
  s.role = role;
  s.created = s.last_used = now;
  const std::lock_guard lk(mu_);
  while (!sessions_.empty() && sessions_.size() >= std::max<size_t>(1, limits_.max_sessions)) evict_oldest();
  Session stored = s;
  stored.id.clear();  // only the hash of the id is kept
  sessions_.emplace(key_of(s.id), std::move(stored));
  return s;
}

std::optional<Session> SessionStore::find(std::string_view id, SteadyTime now) {
  if (id.size() != 64) return std::nullopt;
  const Key k = key_of(id);
  const std::lock_guard lk(mu_);
  auto it = sessions_.find(k);
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  Session s = it->second;
  s.id = std::string(id);
  return s;
}

void SessionStore::remove(std::string_view id) {
  const Key k = key_of(id);
  const std::lock_guard lk(mu_);
  sessions_.erase(k);
}

size_t SessionStore::remove_user(std::string_view user) {
  const std::lock_guard lk(mu_);
  return std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user == user; });
}

size_t SessionStore::remove_unless(const std::function<bool(const std::string&, Role)>& keep) {
  const std::lock_guard lk(mu_);
  return std::erase_if(sessions_, [&](const auto& kv) { return !keep(kv.second.user, kv.second.role); });
}

size_t SessionStore::size() const {
  const std::lock_guard lk(mu_);
  return sessions_.size();
}

size_t SessionStore::expire(SteadyTime now) {
  const std::lock_guard lk(mu_);
  return std::erase_if(sessions_, [&](const auto& kv) { return expired(kv.second, now); });
}

namespace {
// "scheme://host[:port]" of an absolute URL (Referer), or "" when it is not one.
std::string origin_of_url(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const size_t path = url.find('/', scheme_end + 3);
  return std::string(url.substr(0, path));
}
}  // namespace

CsrfResult csrf_check(const server::HttpRequest& req, const Session& s,
                      const std::vector<std::string>& origins) {
  std::string origin;
  if (const std::string* o = req.header("origin")) {
    origin = *o;
  } else if (const std::string* r = req.header("referer")) {
    origin = origin_of_url(*r);
  }
  bool origin_ok = false;
  for (const std::string& o : origins) origin_ok |= !origin.empty() && equal_ct(origin, o);
  if (!origin_ok) return CsrfResult::kBadOrigin;
  const std::string* token = req.header("x-csrf-token");
  if (!token || !equal_ct(*token, s.csrf)) return CsrfResult::kBadToken;
  return CsrfResult::kOk;
}

bool LoginLimiter::allowed(std::string_view key, SteadyTime now) {
  const std::lock_guard lk(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return true;
  if (now - it->second.start >= limits_.window) {
    keys_.erase(it);
    return true;
  }
  return it->second.failures < limits_.max_failures;
}

void LoginLimiter::failure(std::string_view key, SteadyTime now) {
  const std::lock_guard lk(mu_);
  auto it = keys_.find(key);
  if (it != keys_.end() && now - it->second.start >= limits_.window) {
    keys_.erase(it);
    it = keys_.end();
  }
  if (it == keys_.end()) {
    if (keys_.size() >= std::max<size_t>(1, limits_.max_keys)) {
      // Full: drop expired windows, else the oldest one.
      std::erase_if(keys_, [&](const auto& kv) { return now - kv.second.start >= limits_.window; });
      if (keys_.size() >= std::max<size_t>(1, limits_.max_keys)) {
        auto oldest = keys_.begin();
        for (auto i = keys_.begin(); i != keys_.end(); ++i)
          if (i->second.start < oldest->second.start) oldest = i;
        keys_.erase(oldest);
      }
    }
    it = keys_.emplace(std::string(key), Entry{now, 0}).first;
  }
  it->second.failures++;
}

void LoginLimiter::success(std::string_view key) {
  const std::lock_guard lk(mu_);
  if (auto it = keys_.find(key); it != keys_.end()) keys_.erase(it);
}

size_t LoginLimiter::size() const {
  const std::lock_guard lk(mu_);
  return keys_.size();
}

int64_t LoginLimiter::retry_after(std::string_view key, SteadyTime now) const {
  const std::lock_guard lk(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.failures < limits_.max_failures) return 0;
  const auto left = limits_.window - (now - it->second.start);
  return std::max<int64_t>(0, std::chrono::ceil<std::chrono::seconds>(left).count());
}

}  // namespace rampart::console

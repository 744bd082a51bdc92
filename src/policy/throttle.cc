// File: src/policy/throttle.cc
// Token buckets (see throttle.h).
#include "policy/throttle.h"

#include <algorithm>

namespace rampart::policy {

Throttle::Bucket& Throttle::bucket(std::string_view key, const RateLimit& limit) {
  const auto now = clock_.monotonic();
  auto it = map_.find(std::string(key));
  if (it == map_.end()) {
    if (map_.size() >= max_keys_ && !lru_.empty()) {
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(key);
    Bucket b;
    b.tokens = limit.burst;
    b.last = now;
    b.lru = lru_.begin();
    it = map_.emplace(std::string(key), b).first;
    return it->second;
  }
  Bucket& b = it->second;
  lru_.splice(lru_.begin(), lru_, b.lru);
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_minute / 60.0);
  b.last = now;
  return b;
}

bool Throttle::take(std::string_view key, const RateLimit& limit) {
  if (!limit.enabled) return true;
  Bucket& b = bucket(key, limit);
  if (b.tokens < 1.0) {
    ++refused_;
    return false;
  }
  b.tokens -= 1.0;
  return true;
}

double Throttle::tokens(std::string_view key, const RateLimit& limit) { return bucket(key, limit).tokens; }

}  // namespace rampart::policy

// File: src/policy/throttle.cc
// Token buckets (see throttle.h).
#include "policy/throttle.h"

#include <algorithm>

#include "core/log.h"

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

bool Throttle::take_local(std::string_view key, const RateLimit& limit) {
  Bucket& b = bucket(key, limit);
  if (b.tokens < 1.0) {
    ++refused_;
    return false;
  }
  b.tokens -= 1.0;
  return true;
}

void Throttle::set_shared(std::unique_ptr<SharedBuckets> shared, std::chrono::milliseconds fallback_for) {
  shared_ = std::move(shared);
  fallback_for_ = fallback_for;
  shared_down_until_ = {};
}

bool Throttle::take(std::string_view key, const RateLimit& limit) {
  if (!limit.enabled) return true;
  if (shared_) {
    const auto now = clock_.monotonic();
    if (now >= shared_down_until_) {
      auto r = shared_->take(key, limit);
      if (r) {
        ++shared_calls_;
        if (!*r) ++refused_;
        return *r;
      }
      ++shared_errors_;
      shared_down_until_ = now + fallback_for_;
      log::get()->warn("throttle: shared buckets failed ({}); local buckets for the next {} ms",
                       r.error().message, fallback_for_.count());
    }
    ++fallbacks_;
  }
  return take_local(key, limit);
}

double Throttle::tokens(std::string_view key, const RateLimit& limit) { return bucket(key, limit).tokens; }

}  // namespace rampart::policy

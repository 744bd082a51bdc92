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
  std::lock_guard lk(mu_);
  shared_ = std::move(shared);
  fallback_for_ = fallback_for;
  shared_down_until_ = {};
}

Result<int> SharedBuckets::take_pair(std::string_view first, const RateLimit& first_limit,
                                     std::string_view second, const RateLimit& second_limit) {
  auto a = take(first, first_limit);
  if (!a) return tl::unexpected(a.error());
  if (!*a) return 1;
  auto b = take(second, second_limit);
  if (!b) return tl::unexpected(b.error());
  return *b ? 0 : 2;
}

SharedBuckets* Throttle::backend() {
  if (!shared_) return nullptr;
  if (clock_.monotonic() < shared_down_until_) {
    ++fallbacks_;
    return nullptr;
  }
  return shared_.get();
}

void Throttle::backend_failed(const Error& e) {
  ++shared_errors_;
  ++fallbacks_;
  shared_down_until_ = clock_.monotonic() + fallback_for_;
  log::get()->warn("throttle: shared buckets failed ({}); local buckets for the next {} ms", e.message,
                   fallback_for_.count());
}

bool Throttle::take(std::string_view key, const RateLimit& limit) {
  if (!limit.enabled) return true;
  std::lock_guard lk(mu_);
  if (SharedBuckets* b = backend()) {
    auto r = b->take(key, limit);
    if (r) {
      ++shared_calls_;
      if (!*r) ++refused_;
      return *r;
    }
    backend_failed(r.error());
  }
  return take_local(key, limit);
}

int Throttle::take_pair(std::string_view first, const RateLimit& first_limit, std::string_view second,
                        const RateLimit& second_limit) {
  if (!first_limit.enabled) return take(second, second_limit) ? 0 : 2;
  if (!second_limit.enabled) return take(first, first_limit) ? 0 : 1;
  std::lock_guard lk(mu_);
  if (SharedBuckets* b = backend()) {
    auto r = b->take_pair(first, first_limit, second, second_limit);
    if (r) {
      ++shared_calls_;
      if (*r != 0) ++refused_;
      return *r;
    }
    backend_failed(r.error());
  }
  if (!take_local(first, first_limit)) return 1;
  return take_local(second, second_limit) ? 0 : 2;
}

double Throttle::tokens(std::string_view key, const RateLimit& limit) {
  std::lock_guard lk(mu_);
  return bucket(key, limit).tokens;
}

}  // namespace rampart::policy

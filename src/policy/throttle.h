// File: src/policy/throttle.h
// Throttle: token buckets keyed by a string ("ip:192.0.2.1", "net:192.0.2.0/24",
// "user:alice", "domain:example.com"), refilled continuously, bounded in
// memory (least recently used keys are dropped past max_keys).
//
//   SystemClock clock;
//   auto t = std::make_shared<policy::Throttle>(clock);
//   policy::RateLimit lim{true, 60, 120};          // 60 per minute, bursts of 120
//   if (!t->take("ip:192.0.2.1", lim)) reply("451 4.7.1 rate limit");
//   t->set_shared(std::make_unique<MyBuckets>());  // several nodes, one limit
//
// Buckets start full, so an ordinary sender (dozens a minute) is never
// stopped, while a burst of a thousand is stopped after `burst` messages.
// Time comes from the injected Clock (monotonic). Thread-safe: every event
// loop of rampartd takes from the same buckets (one mutex; a take is a hash
// lookup and a few arithmetic operations, so the loops rarely meet there;
// a shared backend's call is made under it too, as the backend client is
// not thread-safe).
//
// Shared buckets: with set_shared(), take() asks the SharedBuckets backend
// (rampartd: reputation::RedisRateLimiter, one bucket per key in the Redis
// Cluster, see src/policy/README.md) so several rampartd nodes share one
// limit. The local buckets stay as the fallback: when the backend fails
// (an error, a timeout) take() answers from the local bucket of the key
// (fail open: mail is never refused because the backend is down), counts
// the failure (shared_errors()), and keeps using the local buckets for
// `fallback_for` before it asks the backend again, so an unreachable
// backend costs one timeout per `fallback_for`, not one per message.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/result.h"
#include "policy/policy.h"

namespace rampart::policy {

// A token-bucket backend several nodes share.
class SharedBuckets {
 public:
  virtual ~SharedBuckets() = default;
  // Takes one token from `key`'s bucket: true when taken, false when empty;
  // an error when the backend could not answer (the Throttle falls back).
  virtual Result<bool> take(std::string_view key, const RateLimit& limit) = 0;
  // A token from `first`, then (only when it gave one) from `second`: 0 both
  // taken, 1 first refused, 2 second refused. Default: two take() calls; the
  // Redis backend does both in one round trip (one script on one slot).
  virtual Result<int> take_pair(std::string_view first, const RateLimit& first_limit, std::string_view second,
                                const RateLimit& second_limit);
};

class Throttle {
 public:
  explicit Throttle(const Clock& clock, size_t max_keys = 200000) : clock_(clock), max_keys_(max_keys) {}
  // Takes one token for `key`; false when the bucket is empty.
  bool take(std::string_view key, const RateLimit& limit);
  // take(first), then take(second) when the first gave a token, in one
  // backend call: 0 both taken, 1 first refused, 2 second refused. A
  // disabled limit is skipped (it never refuses).
  int take_pair(std::string_view first, const RateLimit& first_limit, std::string_view second,
                const RateLimit& second_limit);
  // Tokens left in the local bucket (for tests and the metrics).
  double tokens(std::string_view key, const RateLimit& limit);
  size_t size() const {
    std::lock_guard lk(mu_);
    return map_.size();
  }
  uint64_t refused() const {
    std::lock_guard lk(mu_);
    return refused_;
  }

  void set_shared(std::unique_ptr<SharedBuckets> shared,
                  std::chrono::milliseconds fallback_for = std::chrono::seconds(1));
  bool shared() const { return shared_ != nullptr; }
  // Backend calls answered, and failed (answered locally instead).
  uint64_t shared_calls() const {
    std::lock_guard lk(mu_);
    return shared_calls_;
  }
  uint64_t shared_errors() const {
    std::lock_guard lk(mu_);
    return shared_errors_;
  }
  // Takes answered by the local buckets while a backend is set.
  uint64_t fallbacks() const {
    std::lock_guard lk(mu_);
    return fallbacks_;
  }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
    std::list<std::string>::iterator lru;
  };
  Bucket& bucket(std::string_view key, const RateLimit& limit);
  bool take_local(std::string_view key, const RateLimit& limit);
  // The backend when it is up (not in its fallback period); records a failure.
  SharedBuckets* backend();
  void backend_failed(const Error& e);

  mutable std::mutex mu_;
  const Clock& clock_;
  size_t max_keys_;
  std::unordered_map<std::string, Bucket> map_;
  std::list<std::string> lru_;  // most recent at front
  uint64_t refused_ = 0;
  std::unique_ptr<SharedBuckets> shared_;
  std::chrono::milliseconds fallback_for_{1000};
  std::chrono::steady_clock::time_point shared_down_until_{};
  uint64_t shared_calls_ = 0, shared_errors_ = 0, fallbacks_ = 0;
};

}  // namespace rampart::policy

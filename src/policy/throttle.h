// File: src/policy/throttle.h
// Throttle: token buckets keyed by a string ("ip:192.0.2.1", "net:192.0.2.0/24",
// "user:alice", "domain:example.com"), refilled continuously, bounded in
// memory (least recently used keys are dropped past max_keys).
//
//   SystemClock clock;
//   auto t = std::make_shared<policy::Throttle>(clock);
//   policy::RateLimit lim{true, 60, 120};          // 60 per minute, bursts of 120
//   if (!t->take("ip:192.0.2.1", lim)) reply("451 4.7.1 rate limit");
//
// Buckets start full, so an ordinary sender (dozens a minute) is never
// stopped, while a burst of a thousand is stopped after `burst` messages.
// Time comes from the injected Clock (monotonic). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "policy/policy.h"

namespace rampart::policy {

class Throttle {
 public:
  explicit Throttle(const Clock& clock, size_t max_keys = 200000) : clock_(clock), max_keys_(max_keys) {}
  // Takes one token for `key`; false when the bucket is empty.
  bool take(std::string_view key, const RateLimit& limit);
  // Tokens left (for tests and the metrics).
  double tokens(std::string_view key, const RateLimit& limit);
  size_t size() const { return map_.size(); }
  uint64_t refused() const { return refused_; }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
    std::list<std::string>::iterator lru;
  };
  Bucket& bucket(std::string_view key, const RateLimit& limit);

  const Clock& clock_;
  size_t max_keys_;
  std::unordered_map<std::string, Bucket> map_;
  std::list<std::string> lru_;  // most recent at front
  uint64_t refused_ = 0;
};

}  // namespace rampart::policy

// File: src/reputation/redis_limiter.h
// RedisRateLimiter: token buckets in a Redis Cluster, shared by every
// rampartd node (the throttle's SharedBuckets backend, src/policy/throttle.h).
//
//   reputation::RedisLimiterOptions o;
//   o.cluster.seeds = {"10.0.0.1:7000"};
//   o.cluster.retry_deadline = std::chrono::milliseconds(100);   // then the caller falls back
//   reputation::RedisRateLimiter lim(o);                          // connects on first use
//   Result<bool> ok = lim.take("ip:192.0.2.1", 120, 240);         // 120 per minute, bursts of 240
//
// One bucket per key in "thr{KEY}" (the key is the hash tag: one slot, one
// master), a hash {t: last refill in ms, n: tokens}. take() is one EVALSHA
// of an atomic Lua script: refill by elapsed time, take a token when one is
// there, write back, PEXPIRE (take_pair: the same over two buckets). Time is the master's
// (redis.call('TIME')), not the caller's: every node sees one clock per bucket, so a node whose clock runs
// ahead cannot refill everybody's buckets early (Redis 7 replicates the script's effects, so TIME is
// allowed). When the master's clock is behind the stored time (a promoted replica on another host) the bucket
// does not refill until it catches up. A missing key is a full bucket, so the TTL is the time to refill
// completely (plus a second), capped at max_ttl: an idle key expires exactly when forgetting it changes
// nothing.
//
// Failure: no WAIT, on purpose: a failover may lose the last takes the
// replica had not received (up to the replication lag: a few messages more
// may pass). A take is idempotent within its call: the client retries a
// request whose reply it lost (a timeout, a dropped connection, MOVED after
// a failover), so each take carries an operation id
// "thr{TAG}:op:<client>:<seq>" (TAG: the last bucket's key, one slot) that
// the script SETs, with its answer, for 2 x (retry_deadline + io_timeout) +
// 1 s; a take sent twice takes one token and gets the same answer twice.
// Errors (node down, timeout, the cluster's retry_deadline passed) come
// back as Errc::kTemporary: the
// caller answers locally. One object belongs to one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "reputation/redis_cluster.h"

namespace rampart::reputation {

struct RedisLimiterOptions {
  RedisClusterOptions cluster;  // keep retry_deadline and io_timeout short: the mail waits
  std::string prefix = "thr";
  std::chrono::milliseconds max_ttl{std::chrono::hours(24)};
};

class RedisRateLimiter {
 public:
  struct Outcome {
    bool taken = false;
    double tokens = 0;  // left after this take
  };
  explicit RedisRateLimiter(RedisLimiterOptions options);
  ~RedisRateLimiter();

  Result<bool> take(std::string_view key, double per_minute, double burst);
  Result<Outcome> take_outcome(std::string_view key, double per_minute, double burst);
  std::string bucket_key(std::string_view key) const;  // "thr{KEY}"
  // A token from `first`, then (only if it gave one) from `second`, in one
  // script on one slot: 0 both taken, 1 first refused, 2 second refused.
  // Both buckets carry the second key as hash tag: "thr{SECOND}" (the same
  // bucket take(SECOND) uses) and "thr{SECOND}:FIRST" (a bucket of its own,
  // not take(FIRST)'s): a key is taken either alone or as a pair's first,
  // consistently on every node (the throttle always pairs ip with its net).
  Result<int> take_pair(std::string_view first, double first_per_minute, double first_burst,
                        std::string_view second, double second_per_minute, double second_burst);
  std::string pair_key(std::string_view tag, std::string_view key) const;
  // nullptr until the first successful connection.
  RedisCluster* cluster() { return cluster_.get(); }

 private:
  Status ensure_connected();
  RedisLimiterOptions options_;
  std::unique_ptr<RedisCluster> cluster_;
  // The bucket script over `keys` (one slot; rate and burst per key):
  // {index of the refusing bucket or 0, tokens left in the last one looked at}.
  Result<std::pair<int, double>> run(const std::vector<std::string>& keys,
                                     const std::vector<double>& per_minute_and_burst);
  std::string sha_;
  std::string client_id_;
  uint64_t seq_ = 0;
};

// The bucket script (exposed for tests).
std::string_view rate_limit_script();

}  // namespace rampart::reputation

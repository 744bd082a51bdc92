// File: src/dns/caching_resolver.h
// CachingResolver: a Resolver decorator that keeps answers in process, keyed
// by (lower-case name, type). A hit answers synchronously without allocating
// (lower-cased key in a stack buffer, heterogeneous lookup, shared AnswerPtr).
//
//   UnboundResolver& net = ...;
//   SystemClock clock;
//   CacheOptions opt;
//   opt.max_entries = 50000;
//   CachingResolver dns(net, clock, opt);
//   dns.resolve("example.com", RRType::TXT, cb);  // miss: asks `net`; hit: cb runs now
//
// Positive answers live min_ttl..max_ttl seconds (from Answer::min_ttl);
// NXDOMAIN/NODATA live for their SOA-derived TTL (RFC 2308), or negative_ttl
// when the answer carries none, at most max_negative_ttl; temporary failures
// (servfail, timeout, malformed) are cached failure_ttl seconds (default 0:
// never). A TTL of 0 is not cached. Concurrent misses for one key share one
// upstream query. The cache is bounded twice: max_entries answers and
// max_bytes of memory (keys, entries and answers with their records and
// strings, as entry_bytes() counts them); past either bound the least
// recently used entries are evicted, and an answer larger than max_bytes on
// its own is passed on but not kept.
// Time comes from the injected Clock (monotonic), so tests use FakeClock.
// fd(), process(), wait() and pending() pass through to the upstream.
// Not thread-safe: use one instance per thread (rampartd: one per event
// loop); only stats() may be read from another thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "dns/resolver.h"

namespace rampart::dns {

struct CacheOptions {
  size_t max_entries = 100000;
  size_t max_bytes = size_t{64} << 20;  // 64 MiB
  uint32_t min_ttl = 0;
  uint32_t max_ttl = 86400;
  uint32_t negative_ttl = 300;
  uint32_t max_negative_ttl = 3600;
  uint32_t failure_ttl = 0;
  // Set: the time of each query sent upstream (a miss not coalesced), from
  // the miss to the answer (core/metrics.h; rampart_dns_lookup_seconds).
  Histogram* upstream_seconds = nullptr;
};

class CachingResolver final : public Resolver {
 public:
  CachingResolver(Resolver& upstream, const Clock& clock, CacheOptions options = {});
  ~CachingResolver() override;
  CachingResolver(const CachingResolver&) = delete;
  CachingResolver& operator=(const CachingResolver&) = delete;

  void resolve(std::string_view name, RRType type, Callback cb) override;
  // The cached answer (a hit, counted in stats), or nullptr (nothing counted).
  AnswerPtr lookup_now(std::string_view name, RRType type) override;
  int fd() const override { return upstream_.fd(); }
  void process() override { upstream_.process(); }
  void wait(int timeout_ms) override { upstream_.wait(timeout_ms); }
  size_t pending() const override { return upstream_.pending(); }

  // Written by the owning thread, readable from any (a metrics scrape).
  struct Stats {
    OwnedCounter hits;
    OwnedCounter misses;
    OwnedCounter coalesced;  // misses that joined a query already in flight
    OwnedCounter inserts;
    OwnedCounter expired;
    OwnedCounter evictions;
    OwnedCounter too_large;  // answers not kept: larger than max_bytes alone
  };
  const Stats& stats() const { return stats_; }
  size_t size() const { return map_.size(); }
  // Memory the cached entries account for (at most max_bytes).
  size_t bytes() const { return bytes_; }
  void clear();

  // Seconds an answer would be kept (0: not cached). Exposed for tests.
  uint32_t ttl_for(const Answer& a) const;
  // What one entry counts against max_bytes: the key, the entry and its map
  // node, the Answer and every record with the strings it owns.
  static size_t entry_bytes(std::string_view key, const Answer& a);

 private:
  struct Entry {
    AnswerPtr answer;
    std::chrono::steady_clock::time_point expires;
    Entry* prev = nullptr;  // LRU list, most recent at head_
    Entry* next = nullptr;
    const std::string* key = nullptr;
    size_t bytes = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void store(const std::string& key, const AnswerPtr& answer);
  void on_answer(const std::string& key, const AnswerPtr& answer);
  void link_front(Entry* e);
  void unlink(Entry* e);
  void erase(Entry* e);

  Resolver& upstream_;
  const Clock& clock_;
  CacheOptions opt_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
  std::unordered_map<std::string, std::vector<Callback>, Hash, std::equal_to<>> inflight_;
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
  size_t bytes_ = 0;
  Stats stats_;
  // Set by the destructor so late upstream callbacks do not touch freed state.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::dns

// File: src/reputation/store.h
// Store: where decayed counters and class states live. One interface, three
// implementations: MemoryStore (tests, simulator), RocksDbStore (embedded,
// crash-safe), RedisClusterStore (several rampartd nodes).
//
//   reputation::MemoryStore store;
//   std::vector<Update> ups = {{"ip:192.0.2.1", delta}, {"domain:example.com", delta}};
//   if (auto st = store.merge(ups); !st) tempfail(st.error());   // all or nothing
//   Result<std::optional<Counters>> c = store.get("ip:192.0.2.1");
//   store.put_state("domain:example.com", encoded_state);
//
// merge() adds each delta with reputation::merge() (decay to the later time
// stamp, then add): the store never needs to read before it writes, and
// updates commute. A merge that returns success is durable as the store
// defines it (RocksDB: WAL synced; Redis: on the master and acknowledged by a
// replica, see redis_store.h). Atomicity: MemoryStore and RocksDbStore apply a
// batch all or nothing; RedisClusterStore per key (a batch spans slots).
//
// DIAGNOSTICS: every call returns Result; Errc::kIo / kTemporary when the
// backend is unreachable or failed (the caller retries or tempfails),
// kParse for a stored record that does not decode. Nothing throws.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "reputation/counters.h"

namespace rampart::reputation {

struct Update {
  std::string key;
  Counters delta;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string_view name() const = 0;

  virtual Status merge(std::span<const Update> updates) = 0;
  virtual Result<std::optional<Counters>> get(std::string_view key) = 0;
  // Default: get() in a loop.
  virtual Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys);

  // Class state of an identity (opaque bytes, last writer wins).
  virtual Status put_state(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> get_state(std::string_view key) = 0;

  // Every key with counters (order unspecified). Stops early when fn returns false.
  virtual Status for_each_key(const std::function<bool(std::string_view)>& fn) = 0;
};

// In-memory store; thread-safe (one mutex).
class MemoryStore final : public Store {
 public:
  std::string_view name() const override { return "memory"; }
  Status merge(std::span<const Update> updates) override;
  Result<std::optional<Counters>> get(std::string_view key) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Counters, Hash, std::equal_to<>> counters_;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> states_;
};

}  // namespace rampart::reputation

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

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "reputation/counters.h"

namespace rampart::reputation {

struct Update {
  std::string key;
  Counters delta;
};

// An update whose key and delta the caller holds (no copy of either):
// MemoryStore::merge_marking, the resident RocksDB store's write path.
struct UpdateRef {
  std::string_view key;
  const Counters* delta = nullptr;
};

// A batch of updates with a stable operation id (issue 11: nothing counted
// twice). The id is given when the batch is accepted (StoreService: node,
// boot and sequence number) and kept across retries and the drain spool, so
// a store that records the ids it applied applies each batch once however
// often it is sent. Empty op_id: not tracked (applied every time).
struct OpBatch {
  std::string op_id;
  std::vector<Update> updates;
};

// The op ids a store applied recently, in a bounded FIFO (MemoryStore; the
// RocksDB store keeps them on disk). Not thread-safe.
class OpLog {
 public:
  explicit OpLog(size_t keep = 1 << 18) : keep_(keep) {}
  bool contains(std::string_view id) const { return ids_.find(std::string(id)) != ids_.end(); }
  void add(std::string id);
  size_t size() const { return ids_.size(); }

 private:
  size_t keep_;
  std::unordered_map<std::string, char> ids_;
  std::vector<std::string> order_;  // ring of the ids in insertion order
  size_t next_ = 0;
};

// Keys that expire: a record whose every value, decayed to `now` with
// decay_factor() (counters.h), is below `below` holds nothing worth keeping.
// The default threshold: a single count (1) reaches it in the month window
// after 30 d x ln(100) = ~138 days of silence. A record stamped after `now`
// never reads as decayed.
constexpr float kExpireBelow = 0.01f;
bool decayed_below(const Counters& c, int64_t now, float below = kExpireBelow);

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string_view name() const = 0;

  virtual Status merge(std::span<const Update> updates) = 0;
  // Asynchronous merge: `done` is called exactly once with what merge() would
  // have returned. Default: merge() on the caller's thread, then done (so every
  // store has it). RocksDbStore queues the batch for its writer thread (group
  // commit) and calls `done` ON THAT THREAD once the batch is durable: a caller
  // on an event loop posts the completion back to its loop and does nothing
  // else in `done`. A store that cannot take the batch now (queue full,
  // closing) calls done(kTemporary) at once, on the caller's thread, before
  // merge_async returns; it never blocks the caller.
  using MergeDone = std::function<void(Status)>;
  virtual void merge_async(std::vector<Update> updates, MergeDone done);
  virtual Result<std::optional<Counters>> get(std::string_view key) = 0;
  // Default: get() in a loop.
  virtual Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys);

  // Counters and class state of each key, in order: what a report needs.
  // Default: get_many() and get_state() per key; the Redis store answers all
  // in one pipelined round trip per node.
  struct Lookup {
    std::optional<Counters> counters;
    std::optional<std::string> state;
  };
  virtual Result<std::vector<Lookup>> lookup_many(std::span<const std::string> keys);

  // Idempotent merge (issue 11): applies each batch whose op_id this store
  // has not applied before and records its op_id with it (MemoryStore and
  // RocksDbStore: in the same atomic write; so a batch is either applied and
  // recorded or neither). Returns how many batches were applied now (the
  // others were duplicates, skipped). Concurrent merge_ops calls with the
  // same op id must not race (StoreService calls it from one writer thread).
  // Default: merge() of every batch, no op ids kept (counted again on retry).
  virtual Result<size_t> merge_ops(std::span<const OpBatch> ops);
  // merge_ops() for a caller that knows what some keys will hold once every
  // batch of `ops` is applied (StoreService's cache of recent counters):
  // `totals`, the value after the write of each key listed. When no batch is
  // a duplicate the store may write those values instead of the deltas
  // (RocksDB: a Put, which a read need not fold with operands); with a
  // duplicate it merges the fresh batches' deltas as merge_ops() does.
  // Default: merge_ops(ops).
  virtual Result<size_t> merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> totals);

  // Class state of an identity (opaque bytes, last writer wins).
  virtual Status put_state(std::string_view key, std::string_view value) = 0;
  // Several states in one write (RocksDB: one WriteBatch, one WAL sync).
  // Default: put_state() each, in order.
  virtual Status put_states(std::span<const std::pair<std::string, std::string>> states);
  virtual Result<std::optional<std::string>> get_state(std::string_view key) = 0;

  // Every key with counters (order unspecified). Stops early when fn returns false.
  virtual Status for_each_key(const std::function<bool(std::string_view)>& fn) = 0;

  // Whether calls may come from several threads at once (StoreService runs
  // reads beside the writer only then; else one call at a time). Default: no.
  virtual bool thread_safe() const { return false; }
  // Whether StoreService may keep its cache of recent counters in front of
  // this store: only a store no other process writes (the cache would miss
  // their writes) and whose reads cost more than the cache's. Default: no.
  virtual bool cacheable() const { return false; }
};

// A store that fails fast while its backend is down (rampartd over Redis
// Cluster: a dead cluster must not hold the event loop on every message).
// After a call fails with kIo or kTemporary, every call fails at once with
// kTemporary ("unavailable ... after: <the error>") for a backoff that starts
// at `initial` and doubles up to `max`; the first call after it goes through
// (a probe) and a success closes the breaker. Other errors (kParse) pass
// through without tripping it. Not thread-safe (one caller, as the stores).
class BreakerStore final : public Store {
 public:
  BreakerStore(std::unique_ptr<Store> inner, const Clock& clock,
               std::chrono::milliseconds initial = std::chrono::seconds(1),
               std::chrono::milliseconds max = std::chrono::seconds(30));
  bool cacheable() const override { return inner_->cacheable(); }
  std::string_view name() const override { return inner_->name(); }
  Status merge(std::span<const Update> updates) override;
  Result<size_t> merge_ops(std::span<const OpBatch> ops) override;
  Result<size_t> merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> totals) override;
  Result<std::optional<Counters>> get(std::string_view key) override;
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys) override;
  Result<std::vector<Lookup>> lookup_many(std::span<const std::string> keys) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Status put_states(std::span<const std::pair<std::string, std::string>> states) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;

  bool open() const;                                  // failing fast now
  uint64_t short_circuits() const { return short_; }  // calls refused without trying
  uint64_t trips() const { return trips_; }           // times the backend was found down
  Store& inner() { return *inner_; }

 private:
  // kTemporary while open, else nothing.
  std::optional<Error> refuse();
  template <typename R>
  R note(R r);

  std::unique_ptr<Store> inner_;
  const Clock& clock_;
  std::chrono::milliseconds initial_, max_, backoff_{0};
  std::chrono::steady_clock::time_point until_{};
  std::string last_error_;
  uint64_t short_ = 0, trips_ = 0;
};

// In-memory store; thread-safe (one mutex). Compact (memory_store.cc): a flat
// open-addressing table of 8-byte slots (32 bits of the key's hash, 32-bit
// block offset) over an arena of variable-size blocks, one per identity: time
// stamp, a bitmask of the metrics present, 3 floats (hour/day/month) for each
// metric that was ever non-zero, and the identity's name (its "ip:", "net:",
// "domain:"... prefix as a 4-bit code). A block that gains a metric moves to a
// larger size class (free lists per class). Values are those of
// reputation::merge() exactly. Limit: 16 GiB of blocks (~150 M identities);
// past it merge() fails with kIo.
class MemoryStore final : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  std::string_view name() const override { return "memory"; }
  Status merge(std::span<const Update> updates) override;
  // Op ids kept in an OpLog (the last 262,144 batches) beside the table.
  Result<size_t> merge_ops(std::span<const OpBatch> ops) override;
  bool thread_safe() const override { return true; }
  Result<std::optional<Counters>> get(std::string_view key) override;
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys) override;
  // Counters and states of a message's identities under one lock, the
  // keys' slots and blocks loaded together (their cache misses overlap).
  Result<std::vector<Lookup>> lookup_many(std::span<const std::string> keys) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;
  size_t size() const;
  // Expiry sweep, a bounded amount of work per call: looks at the next
  // `max_slots` slots of the table (a cursor goes round it) and removes each
  // identity whose counters have decayed_below(now, below) (the block goes to
  // the free lists; class states are kept). Returns how many it removed. Call
  // it from a timer, e.g. 4096 slots every 100 ms goes round 10 M identities
  // (16.7 M slots) in about 7 minutes.
  // With `removed`, the key of each identity removed is appended to it as
  // [u16 length, little endian][key] (RocksDbStore's resident counters: the
  // next checkpoint deletes them on disk).
  size_t expire_some(int64_t now, size_t max_slots, float below = kExpireBelow,
                     std::string* removed = nullptr);
  // merge() that also marks each identity changed (a bit in its block) and
  // appends to `marked`, as expire_some() does, the key of each identity
  // that was not marked before: the list holds each changed identity once
  // until take_marked() reads it (RocksDbStore's checkpoints, without a set
  // of their own or a sort of every update's key).
  Status merge_marking(std::span<const UpdateRef> updates, std::string* marked);
  // The counters of `keys` (nullopt: none), clearing their changed marks.
  std::vector<std::optional<Counters>> take_marked(std::span<const std::string_view> keys);
  // Bytes the counters take: slot table plus arena chunks (free blocks and
  // the unused tail of the last chunk included); class states not counted.
  size_t memory_bytes() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  class Table;
  // Marked: std::string (merge_marking's list) or void (merge(): no marks).
  template <typename KeyAt, typename DeltaAt, typename Marked>
  Status merge_impl(size_t n, const KeyAt& key_at, const DeltaAt& delta_at, Marked* marked);
  mutable std::mutex mu_;
  std::mutex ops_mu_;    // taken before mu_: one merge_ops at a time
  std::mutex merge_mu_;  // taken before mu_: one merge at a time (its room, reserved first, stays its own)
  OpLog ops_;
  std::unique_ptr<Table> table_;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> states_;
};

}  // namespace rampart::reputation

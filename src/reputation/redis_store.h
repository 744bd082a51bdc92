// File: src/reputation/redis_store.h
// RedisClusterStore: counters in a Redis Cluster (Debian redis-server in
// cluster mode) shared by several rampartd nodes.
//
//   reputation::RedisStoreOptions o;
//   o.cluster.seeds = {"10.0.0.1:7000", "10.0.0.2:7000"};
//   auto store = reputation::RedisClusterStore::open(o);   // Result<unique_ptr>
//   (*store)->merge(updates);
//
// Layout: identity I lives in "rep{I}" (its slot is the hash of I, so every
// key of one identity is on one node), sparse: the time stamp as a
// little-endian double, a uint16 mask of the metrics present, then 3
// little-endian floats (hour, day, month) per non-zero metric, in metric
// order: 10 + 12 * metrics bytes (58 for four). Values written by earlier
// versions, 272 bytes of 34 doubles (or 248 from before the bot metric, bot
// 0; a 344-byte form with the first 14 metrics, before co_signed, is read too), are still read, and rewritten
// sparse by the next
// merge; an older binary does not read the sparse layout (kParse) and its script would replace such a record
// by its delta: upgrade every node together. A merge is a Lua script (EVALSHA, falling back to EVAL on
// NOSCRIPT) that decays and adds exactly as reputation::merge() does (in doubles, stored as floats, as the
// other stores keep them), atomically on the node. Class state is
// "rep{I}:s".
//
// No acknowledged event lost across failover: merge() pipelines the scripts
// per node followed by WAIT (RedisStoreOptions::wait_replicas, capped at the
// replicas CLUSTER SLOTS lists for the node or, when more, its ROLE shows
// connected), and returns success only when
// every update reached its master and that many replicas, so the replica
// promoted when the master dies holds it. Retries (after a timeout, a dead
// master, a WAIT short of replicas) are made idempotent with an operation id
// per update: the script first does SET "rep{I}:op:<id>" NX EX op_ttl and
// applies the delta only when that key was new (the marker is in the
// identity's slot, written by the same script, so it is replicated, and
// survives a failover, together with the counters). A batch is first
// reduced to one update per identity (the deltas of one identity combined
// with reputation::merge(): updates commute), so a batch of thousands of
// scan events is a few scripts, well within a call's deadline. merge()
// names each update "<client>:<seq>" (fresh per call: retries inside the
// call are idempotent, a new call is a new operation); merge_once(updates,
// OP) and merge_ops() name it OP: the caller's retry of the same batch, even
// from another process, applies every update once as long as the markers
// live (op_ttl_seconds). A replay still writes (it renews the marker's
// expiry), so the WAIT after it covers the first write by offset, also on a
// new connection (after a read timeout). A master learnt from a MOVED, not yet in a CLUSTER
// SLOTS, is asked for wait_replicas (a short WAIT refreshes the map), and
// the WAIT's reply is read with wait timeout + io_timeout.
// Since a marker is SET NX before the delta, an update whose reply is lost
// was applied or not; a retry completes exactly the ones that were not.
// Atomicity is per identity (one script), not per batch: a batch spans slots.
// One store object belongs to one thread.
//
// DIAGNOSTICS: Errc::kTemporary when the cluster cannot take the writes
// before the retry deadline (the caller tempfails or retries the same
// batch: no double counting unless it builds a new one); kParse for a stored
// value of the wrong size; kIo for an unexpected script error.
#pragma once

#include <memory>
#include <random>

#include "reputation/redis_cluster.h"
#include "reputation/store.h"

namespace rampart::reputation {

struct RedisStoreOptions {
  RedisClusterOptions cluster;
  int wait_replicas = 1;
  bool idempotent = true;
  int op_ttl_seconds = 86400;
  // Keys that expire: each write sets the record's TTL to its decay horizon
  // (until every value, decayed, is below this; redis_store.cc); <= 0: never.
  float expire_below = kExpireBelow;
  std::string prefix = "rep";
  // open() succeeds without the cluster (rampartd starting while Redis is
  // down); every call first connects, failing with kTemporary until it can.
  bool lazy_connect = false;
};

class RedisClusterStore final : public Store {
 public:
  static Result<std::unique_ptr<RedisClusterStore>> open(RedisStoreOptions options);

  std::string_view name() const override { return "redis-cluster"; }
  Status merge(std::span<const Update> updates) override;
  // merge() of a batch named by a stable operation id (non-empty): sent
  // again with the same id and updates -- after a timeout, a kTemporary, a
  // lost reply, from another process -- each update applies at most once,
  // so a caller that retries until success counts each exactly once (as
  // long as the markers live: op_ttl_seconds).
  Status merge_once(std::span<const Update> updates, std::string_view op_id);
  // Store::merge_ops over the same markers: batch B's updates are named
  // B.op_id (an empty id: a fresh one, as merge() does), all batches in one
  // pipelined round trip per node. A batch counts as applied now when at
  // least one of its updates was (a retry after a partial write completes
  // the rest); one whose every marker was set already is a duplicate.
  Result<size_t> merge_ops(std::span<const OpBatch> ops) override;
  Result<std::optional<Counters>> get(std::string_view key) override;
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys) override;
  Result<std::vector<Lookup>> lookup_many(std::span<const std::string> keys) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;
  // Updates that found their operation marker already set (retries that
  // were not applied again), since open.
  uint64_t duplicates() const { return duplicates_; }

  // The client (tests; null until connected with lazy_connect).
  RedisCluster& cluster() { return *cluster_; }
  bool connected() const { return cluster_ != nullptr; }

 private:
  RedisClusterStore(RedisStoreOptions options, std::unique_ptr<RedisCluster> cluster);
  std::string counter_key(std::string_view id) const;
  Status ensure_connected();
  // The scripts of `updates`, marker i named by op_ids[i]; *fresh (when
  // given) gets 1 for each update applied now, 0 for one applied before.
  Status apply(std::span<const Update> updates, const std::vector<std::string>& op_ids,
               std::vector<uint8_t>* fresh = nullptr);

  RedisStoreOptions options_;
  std::unique_ptr<RedisCluster> cluster_;
  std::string sha_;
  std::string client_id_;
  uint64_t seq_ = 0;
  uint64_t duplicates_ = 0;
};

// The sparse Redis encoding (see Layout) and a decoder of every layout.
std::string encode_sparse(const Counters& c);
Result<Counters> decode_record(std::string_view bytes);
// The earlier 272-byte encoding (34 little-endian doubles: the first 11
// metrics, the later ones are dropped; what an older rampart wrote, for
// tests); decode also reads the 248-byte layout from before the bot metric
// and a 344-byte one with the 14 metrics before co_signed (layout v4's 15th).
std::string encode_doubles(const Counters& c);
Result<Counters> decode_doubles(std::string_view bytes);
// The merge script (exposed for tests).
std::string_view merge_script();

}  // namespace rampart::reputation

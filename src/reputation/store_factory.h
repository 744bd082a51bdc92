// File: src/reputation/store_factory.h
// The reputation store chosen in the configuration (start-up only): the one
// path rampartd takes. Two spellings are read; the first is the
// one rampartd's default configuration documents:
//
//   [reputation]
//   store = "redis"                       # "memory" | "rocksdb" | "redis"
//   sync = true                           # rocksdb: fsync the WAL per batch
//   resident = true                       # rocksdb: counters in memory, RocksDB their journal
//   redis_seeds = ["10.0.0.1:7000", "10.0.0.2:7000"]
//   redis_wait_replicas = 1               # redis: replicas that must hold a write
//   redis_retry_deadline_ms = 5000        # redis: how long a call polls through failover
//
//   [reputation.store]                    # the older table form (still read)
//   kind = "rocksdb"                      # "memory" | "rocksdb" | "redis" | "redis-cluster"
//   path = "/var/lib/rampart/reputation"  # rocksdb (default: DATA_DIR/reputation)
//   sync = true
//   seeds = ["10.0.0.1:7000"]
//   wait_replicas = 1
//   retry_deadline_ms = 5000
//
// Without a store key: rocksdb under DATA_DIR/reputation when a data
// directory is given (rampartd --data-dir) and this build has RocksDB, else
// memory.
//
//   auto spec = reputation::store_spec(cfg, data_dir);   // Result<StoreSpec>
//   auto store = reputation::open_store(*spec);          // Result<std::unique_ptr<Store>>
//   spec->kind == StoreKind::kRedis;                     // e.g. to share the throttle (src/policy)
//
// The Redis store opens without the cluster (it connects on first use) and
// comes wrapped in a BreakerStore (store.h): while the cluster is down, calls
// fail at once (kTemporary) for a backoff of 1 s doubling to 30 s, and one
// call in each backoff tries again, costing at most retry_deadline.
// DIAGNOSTICS: Errc::kConfig for an unknown kind, a missing path (rocksdb
// without DATA_DIR or path) or seeds, or a kind this build lacks
// (librocksdb-dev / libhiredis-dev absent); the store's own open errors
// otherwise (kIo, kTemporary), with the store named.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "reputation/store.h"

namespace rampart::reputation {

enum class StoreKind : uint8_t { kMemory, kRocksDb, kRedis };

struct StoreSpec {
  StoreKind kind = StoreKind::kMemory;
  std::string path;                // rocksdb directory
  bool sync = true;                // rocksdb
  bool resident = true;            // rocksdb: RocksOptions::resident
  std::vector<std::string> seeds;  // redis "host:port"
  int wait_replicas = 1;
  std::chrono::milliseconds retry_deadline{5000};
};

// The store the configuration asks for; `data_dir` is rampartd's --data-dir ("" if none).
Result<StoreSpec> store_spec(const Config& cfg, const std::string& data_dir = "");
Result<std::unique_ptr<Store>> open_store(const StoreSpec& spec);
// store_spec() then open_store().
Result<std::unique_ptr<Store>> open_store(const Config& cfg, const std::string& data_dir = "");

}  // namespace rampart::reputation

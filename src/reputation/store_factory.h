// File: src/reputation/store_factory.h
// The store chosen in the configuration (start-up only):
//
//   [reputation.store]
//   kind = "rocksdb"                      # "memory" | "rocksdb" | "redis-cluster"
//   path = "/var/lib/rampart/reputation"  # rocksdb
//   sync = true                           # rocksdb: fsync the WAL per batch
//   seeds = ["10.0.0.1:7000", "10.0.0.2:7000"]   # redis-cluster
//   wait_replicas = 1                     # redis-cluster
//   retry_deadline_ms = 20000             # redis-cluster
//
//   auto store = reputation::open_store(cfg);   // Result<std::unique_ptr<Store>>
//
// DIAGNOSTICS: Errc::kConfig for an unknown kind, a missing path or seeds,
// or a kind this build lacks (librocksdb-dev / libhiredis-dev absent);
// the store's own open errors otherwise (kIo, kTemporary).
#pragma once

#include <memory>

#include "core/config.h"
#include "reputation/store.h"

namespace rampart::reputation {

Result<std::unique_ptr<Store>> open_store(const Config& cfg, std::string_view table = "reputation.store");

}  // namespace rampart::reputation

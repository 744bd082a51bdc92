// File: src/reputation/store_factory.cc
// Store selection from the configuration (see store_factory.h).
#include "reputation/store_factory.h"

#include <toml++/toml.h>

#if defined(HAVE_ROCKSDB_STORE)
#include "reputation/rocksdb_store.h"
#endif
#if defined(HAVE_REDIS_STORE)
#include "reputation/redis_store.h"
#endif

namespace rampart::reputation {

Result<StoreSpec> store_spec(const Config& cfg, const std::string& data_dir) {
  StoreSpec s;
  const toml::node* node = cfg.table().at_path("reputation.store").node();
  const bool table_form = node && node->is_table();
  if (node && !table_form && !node->is_string())
    return fail(Errc::kConfig, "reputation.store: expected a string (\"memory\", \"rocksdb\", \"redis\")");
  // p: where the store's own keys are ("reputation.store." or "reputation.").
  const std::string p = table_form ? "reputation.store." : "reputation.";
  std::string kind = table_form ? cfg.get_string(p + "kind", "") : cfg.get_string("reputation.store", "");
  s.sync = cfg.get_bool(p + "sync", true);
  s.resident = cfg.get_bool(p + "resident", true);
  s.seeds = cfg.get_strings(table_form ? p + "seeds" : p + "redis_seeds");
  s.wait_replicas =
      static_cast<int>(cfg.get_int(table_form ? p + "wait_replicas" : p + "redis_wait_replicas", 1));
  s.retry_deadline = std::chrono::milliseconds(
      cfg.get_int(table_form ? p + "retry_deadline_ms" : p + "redis_retry_deadline_ms", 5000));
  if (table_form) s.path = cfg.get_string(p + "path", "");
  const std::string where = table_form ? "reputation.store.kind" : "reputation.store";
  if (kind.empty()) {
#if defined(HAVE_ROCKSDB_STORE)
    kind = data_dir.empty() && s.path.empty() ? "memory" : "rocksdb";
#else
    kind = "memory";
#endif
  }
  if (kind == "memory") {
    s.kind = StoreKind::kMemory;
  } else if (kind == "rocksdb") {
    s.kind = StoreKind::kRocksDb;
    if (s.path.empty() && !data_dir.empty()) s.path = data_dir + "/reputation";
    if (s.path.empty())
      return fail(Errc::kConfig, where + " = \"rocksdb\" needs --data-dir (or reputation.store.path)");
  } else if (kind == "redis" || kind == "redis-cluster") {
    s.kind = StoreKind::kRedis;
    if (s.seeds.empty())
      return fail(Errc::kConfig, where + " = \"" + kind + "\" needs " +
                                     (table_form ? "reputation.store.seeds" : "reputation.redis_seeds"));
    if (s.wait_replicas < 0 || s.retry_deadline.count() <= 0)
      return fail(Errc::kConfig, "reputation: redis wait_replicas must be >= 0 and retry_deadline_ms > 0");
  } else {
    return fail(Errc::kConfig, where + ": \"" + kind + "\" is not memory, rocksdb or redis");
  }
  return s;
}

Result<std::unique_ptr<Store>> open_store(const StoreSpec& spec) {
  switch (spec.kind) {
    case StoreKind::kMemory: return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
    case StoreKind::kRocksDb: {
#if defined(HAVE_ROCKSDB_STORE)
      RocksOptions o;
      o.sync = spec.sync;
      o.resident = spec.resident;
      auto s = RocksDbStore::open(spec.path, o);
      if (!s) return fail(s.error().code, "reputation store " + spec.path + ": " + s.error().message);
      return std::unique_ptr<Store>(std::move(*s));
#else
      return fail(Errc::kConfig, "this build has no RocksDB store (librocksdb-dev missing at build time)");
#endif
    }
    case StoreKind::kRedis: {
#if defined(HAVE_REDIS_STORE)
      RedisStoreOptions o;
      o.cluster.seeds = spec.seeds;
      o.wait_replicas = spec.wait_replicas;
      o.cluster.retry_deadline = spec.retry_deadline;
      // Started while the cluster is down: connect on first use; while it
      // stays down, fail fast (REP_UNAVAILABLE, queued events kept) instead
      // of holding the caller a retry deadline per call.
      o.lazy_connect = true;
      auto s = RedisClusterStore::open(o);
      if (!s) return fail(s.error().code, "reputation store redis: " + s.error().message);
      static const SystemClock clock;
      return std::unique_ptr<Store>(std::make_unique<BreakerStore>(std::move(*s), clock));
#else
      return fail(Errc::kConfig,
                  "this build has no Redis Cluster store (libhiredis-dev missing at build time)");
#endif
    }
  }
  return fail(Errc::kConfig, "reputation store: unknown kind");
}

Result<std::unique_ptr<Store>> open_store(const Config& cfg, const std::string& data_dir) {
  auto spec = store_spec(cfg, data_dir);
  if (!spec) return tl::unexpected(spec.error());
  return open_store(*spec);
}

}  // namespace rampart::reputation

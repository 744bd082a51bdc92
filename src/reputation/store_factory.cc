// File: src/reputation/store_factory.cc
// Store selection from the configuration.
#include "reputation/store_factory.h"

#if defined(HAVE_ROCKSDB_STORE)
#include "reputation/rocksdb_store.h"
#endif
#if defined(HAVE_REDIS_STORE)
#include "reputation/redis_store.h"
#endif

namespace rampart::reputation {

Result<std::unique_ptr<Store>> open_store(const Config& cfg, std::string_view table) {
  const std::string p = std::string(table) + ".";
  const std::string kind = cfg.get_string(p + "kind", "memory");
  if (kind == "memory") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (kind == "rocksdb") {
#if defined(HAVE_ROCKSDB_STORE)
    auto path = cfg.require_string(p + "path");
    if (!path) return fail(Errc::kConfig, p + "path is required for the rocksdb store");
    RocksOptions o;
    o.sync = cfg.get_bool(p + "sync", true);
    auto s = RocksDbStore::open(*path, o);
    if (!s) return tl::unexpected(s.error());
    return std::unique_ptr<Store>(std::move(*s));
#else
    return fail(Errc::kConfig, "this build has no RocksDB store (librocksdb-dev missing at build time)");
#endif
  }
  if (kind == "redis-cluster") {
#if defined(HAVE_REDIS_STORE)
    RedisStoreOptions o;
    o.cluster.seeds = cfg.get_strings(p + "seeds");
    if (o.cluster.seeds.empty())
      return fail(Errc::kConfig, p + "seeds is required for the redis-cluster store");
    o.wait_replicas = static_cast<int>(cfg.get_int(p + "wait_replicas", 1));
    o.cluster.retry_deadline = std::chrono::milliseconds(cfg.get_int(p + "retry_deadline_ms", 20000));
    auto s = RedisClusterStore::open(o);
    if (!s) return tl::unexpected(s.error());
    return std::unique_ptr<Store>(std::move(*s));
#else
    return fail(Errc::kConfig,
                "this build has no Redis Cluster store (libhiredis-dev missing at build time)");
#endif
  }
  return fail(Errc::kConfig, p + "kind \"" + kind + "\" is not memory, rocksdb or redis-cluster");
}

}  // namespace rampart::reputation

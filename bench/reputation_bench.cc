// File: bench/reputation_bench.cc
// Store benchmark: counter updates per second per core and lookups per
// second for the in-memory, RocksDB and Redis Cluster stores, with memory per
// identity for the in-memory store. Prints figures; never a test.
//
//   reputation_bench [--identities 1000000] [--updates 5000000] [--batch 64]
//                    [--rocksdb DIR] [--redis 127.0.0.1:7000,127.0.0.1:7001]
//
// Updates are Store::merge() batches of --batch single-identity deltas over
// uniformly drawn identities ("ip:10.x.y.z"), all at distinct times (the
// decay arithmetic runs on every merge). CPU time is this process's
// (CLOCK_PROCESS_CPUTIME_ID), so "per core" for the single-threaded loop; the
// Redis figures are wall-clock rates from one client (the servers' CPU is not
// counted). RocksDB runs twice: WAL fsync per batch (the default, crash-safe)
// and without fsync.
#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reputation/store.h"
#if defined(HAVE_ROCKSDB_STORE)
#include "reputation/rocksdb_store.h"
#endif
#if defined(HAVE_REDIS_STORE)
#include "reputation/redis_store.h"
#endif

using namespace rampart;
using namespace rampart::reputation;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string key_of(uint64_t i) {
  return "ip:10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255) + (i >> 24 ? "/" + std::to_string(i >> 24) : "");
}

struct Figures {
  double updates_per_cpu_s = 0, updates_per_wall_s = 0, lookups_per_cpu_s = 0, lookup_us = 0;
};

Figures run(Store& store, uint64_t identities, uint64_t updates, size_t batch, uint64_t lookups) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> pick(0, identities - 1);
  // Keys drawn ahead so string building stays out of the timed loop.
  std::vector<std::string> keys;
  keys.reserve(identities);
  for (uint64_t i = 0; i < identities; ++i) keys.push_back(key_of(i));
  std::vector<Update> ups(batch);
  Figures f;
  int64_t t = 1700000000;
  double c0 = cpu_seconds(), w0 = wall_seconds();
  for (uint64_t done = 0; done < updates; done += batch) {
    for (size_t k = 0; k < batch; ++k) {
      ups[k].key = keys[pick(rng)];
      ups[k].delta = Counters{};
      ups[k].delta.add(Metric::kVolume, 1, ++t);
    }
    if (auto st = store.merge(ups); !st) {
      std::fprintf(stderr, "reputation_bench: %s: %s\n", store.name().data(), st.error().message.c_str());
      return f;
    }
  }
  double c1 = cpu_seconds(), w1 = wall_seconds();
  f.updates_per_cpu_s = static_cast<double>(updates) / (c1 - c0);
  f.updates_per_wall_s = static_cast<double>(updates) / (w1 - w0);
  c0 = cpu_seconds();
  w0 = wall_seconds();
  uint64_t found = 0;
  for (uint64_t i = 0; i < lookups; ++i) {
    auto r = store.get(keys[pick(rng)]);
    if (r && *r) ++found;
  }
  c1 = cpu_seconds();
  w1 = wall_seconds();
  f.lookups_per_cpu_s = static_cast<double>(lookups) / (c1 - c0);
  f.lookup_us = (w1 - w0) / static_cast<double>(lookups) * 1e6;
  if (found == 0)
    std::fprintf(stderr, "reputation_bench: %s: no lookup found anything\n", store.name().data());
  return f;
}

void print(const char* name, const Figures& f) {
  std::printf("| %s | %.0f | %.0f | %.0f | %.2f |\n", name, f.updates_per_cpu_s, f.updates_per_wall_s,
              f.lookups_per_cpu_s, f.lookup_us);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t identities = 1000000, updates = 5000000;
  size_t batch = 64;
  std::string rocks_dir, redis;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--identities")
      identities = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--updates")
      updates = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--batch")
      batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--rocksdb")
      rocks_dir = next();
    else if (a == "--redis")
      redis = next();
    else {
      std::fprintf(stderr,
                   "usage: reputation_bench [--identities N] [--updates N] [--batch N] [--rocksdb DIR] "
                   "[--redis host:port,...]\n");
      return 2;
    }
  }
  if (identities == 0 || batch == 0) return 2;
  std::printf("reputation_bench: %llu identities, %llu updates in batches of %zu\n\n",
              static_cast<unsigned long long>(identities), static_cast<unsigned long long>(updates), batch);
  std::printf(
      "| store | updates/s per core (CPU) | updates/s (wall) | lookups/s per core | lookup us (wall) |\n");
  std::printf("|---|---|---|---|---|\n");
  {
    const size_t before = mallinfo2().uordblks;
    MemoryStore m;
    Figures f = run(m, identities, updates, batch, 1000000);
    const size_t after = mallinfo2().uordblks;
    print("memory", f);
    std::printf("\nmemory store: %zu identities, %.0f bytes per identity (heap, incl. key and hash node)\n\n",
                m.size(), static_cast<double>(after - before) / static_cast<double>(m.size()));
  }
#if defined(HAVE_ROCKSDB_STORE)
  if (!rocks_dir.empty()) {
    for (bool sync : {false, true}) {
      const std::string dir = rocks_dir + (sync ? "/sync" : "/nosync");
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      RocksOptions o;
      o.sync = sync;
      auto s = RocksDbStore::open(dir, o);
      if (!s) {
        std::fprintf(stderr, "reputation_bench: %s\n", s.error().message.c_str());
        return 1;
      }
      // fsync per batch bounds the rate by the disk: fewer updates for it.
      const uint64_t n = sync ? std::min<uint64_t>(updates, 64 * 2000) : updates;
      Figures f = run(**s, identities, n, batch, 200000);
      print(sync ? "rocksdb (WAL fsync per batch)" : "rocksdb (no fsync)", f);
      s->reset();
      std::filesystem::remove_all(dir);
    }
  }
#endif
#if defined(HAVE_REDIS_STORE)
  if (!redis.empty()) {
    RedisStoreOptions o;
    std::stringstream ss(redis);
    for (std::string seed; std::getline(ss, seed, ',');) o.cluster.seeds.push_back(seed);
    auto s = RedisClusterStore::open(o);
    if (!s) {
      std::fprintf(stderr, "reputation_bench: %s\n", s.error().message.c_str());
      return 1;
    }
    const uint64_t n = std::min<uint64_t>(updates, 500000);
    Figures f = run(**s, std::min<uint64_t>(identities, 100000), n, batch, 20000);
    print("redis cluster (one client, WAIT 1, idempotent)", f);
  }
#endif
  return 0;
}

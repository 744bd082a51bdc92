// File: src/reputation/rocksdb_store.h
// RocksDbStore: the embedded default store (Debian librocksdb-dev).
//
//   auto store = reputation::RocksDbStore::open("/var/lib/rampart/reputation");   // Result<unique_ptr>
//   (*store)->merge(updates);     // one WriteBatch of Merge() operations, WAL synced
//
// Counters are RocksDB merge operands (key "c:" + identity, value the 140-byte
// encoding of counters.h; 128-byte records from before the bot metric are read
// with bot 0); the merge operator is reputation::merge(), so a
// write never reads. Class states are plain Put()s under "s:" + identity.
//
// Durability: with RocksOptions::sync (the default) every merge() is one
// WriteBatch written with WriteOptions::sync = true: when merge() returns
// success the batch is in the fsync'ed write-ahead log, so a kill -9 (or
// power loss, with honest disks) loses no acknowledged event; the batch is
// applied all or nothing on recovery. sync = false trades that for speed
// (a process crash still loses nothing; an OS crash may lose the last writes).
//
// DIAGNOSTICS: open() fails with Errc::kIo and RocksDB's status text (lock
// held by another process, corruption, permissions); merge/get fail with kIo.
// A stored record of the wrong size makes the merge operator keep the valid
// operands and log nothing (it cannot fail a read); get() returns kParse.
#pragma once

#include <memory>
#include <string>

#include "reputation/store.h"

namespace rocksdb {
class DB;
}

namespace rampart::reputation {

struct RocksOptions {
  bool sync = true;  // fsync the WAL on every merge()/put_state()
  bool create_if_missing = true;
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 64 << 20;
};

class RocksDbStore final : public Store {
 public:
  static Result<std::unique_ptr<RocksDbStore>> open(const std::string& path, RocksOptions options = {});
  ~RocksDbStore() override;

  std::string_view name() const override { return "rocksdb"; }
  Status merge(std::span<const Update> updates) override;
  Result<std::optional<Counters>> get(std::string_view key) override;
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;
  // Flushes memtables (tests, shutdown).
  Status flush();
  // Compacts the whole key range (merge operands folded; benchmarks).
  Status compact();

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksOptions options);
  std::unique_ptr<rocksdb::DB> db_;
  RocksOptions options_;
};

}  // namespace rampart::reputation

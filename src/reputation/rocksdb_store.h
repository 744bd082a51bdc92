// File: src/reputation/rocksdb_store.h
// RocksDbStore: the embedded default store (Debian librocksdb-dev).
//
//   auto store = reputation::RocksDbStore::open("/var/lib/rampart/reputation");   // Result<unique_ptr>
//   (*store)->merge(updates);     // one WriteBatch of Merge() operations, WAL synced
//
// Counters are RocksDB merge operands (key "c:" + identity); the merge
// operator is reputation::merge(), so a write never reads. Operands written
// have a compact layout (8-byte time, 2-byte metric mask, flags byte, one
// float per metric when its windows are equal, else three: 23 bytes for a
// three-metric event delta); merge results are the full records of
// counters.h (188 bytes; 128/140/176-byte records of older layouts are read with
// the new metrics 0). Class states are plain Put()s under "s:" + identity.
//
// Durability: with RocksOptions::sync (the default) every merge() is one
// WriteBatch written with WriteOptions::sync = true: when merge() returns
// success the batch is in the fsync'ed write-ahead log, so a kill -9 (or
// power loss, with honest disks) loses no acknowledged event; the batch is
// applied all or nothing on recovery. sync = false trades that for speed
// (a process crash still loses nothing; an OS crash may lose the last writes).
//
// Group commit (merge_async): batches queue for one writer thread (started
// by open()), which takes everything queued at once, folds the deltas of a
// key that occurs more than once with reputation::merge() (commutative, so
// the stored sum is the same), writes it as ONE WriteBatch with one WAL fsync,
// then calls each batch's `done` in the order the batches were queued, on the
// writer thread (callers on an event loop post the completion back to it).
// done(ok) means what merge() returning success means: the batch is in the
// fsync'ed WAL. A group is all or nothing: on a write error every `done` of
// the group gets kIo. The queue is bounded (RocksOptions::max_queued_updates):
// a batch that does not fit gets done(kTemporary) at once on the caller's
// thread (one larger than the bound is taken only into an empty queue);
// merge_async never blocks. The destructor stops taking batches, writes what
// is queued (every pending `done` is called), then joins the writer. merge()
// stays synchronous (its own WriteBatch); both may be used at once (merges
// commute).
//
// Idempotent merges (merge_ops, issue 11): the op ids of the batches it
// applies are Put() as "o:" + op id (value: the unix time, 8 bytes) in the
// same WriteBatch as their merges, so a batch and its id are durable
// together. A batch whose id is found (one MultiGet per call) is skipped.
// The ids expire in compactions RocksOptions::op_id_keep_s after they were
// written (default 7 days: far longer than any retry or spool replay).
// Folding and key order as in group commit; one WAL sync per call.
//
// Expiry: a compaction filter drops counter records that decayed to nothing
// (RocksOptions::expire_below): keys of senders silent for months go at the
// next compaction of their file, so the store does not grow with every address
// ever seen.
//
// Resident counters (RocksOptions::resident, issue 11: 200 k durable
// events/s): the counters live in a MemoryStore (store.h) and RocksDB holds
// their journal and checkpoints. A write (merge, merge_ops, a group of
// merge_async) is ONE Put of a journal record ("j:" + 8-byte big-endian
// sequence number) beside its op ids, in one WriteBatch with one WAL fsync;
// once durable it is applied to the memory table. The record (version 2):
// a 13-byte head, then entries of one compact operand (a delta) and the keys
// it applies to (an event's identities share its delta), a key repeated in
// the record written as its number in the record's own table (found through
// a 4096-slot cache of recent keys);
// records of version 1 ([u16 key length][key][compact operand]..., written
// before) are still replayed. Reads of counters come from memory; class
// states and op ids stay RocksDB keys. A checkpointer thread, after
// RocksOptions::checkpoint_bytes of journal, writes each counter changed
// since the last checkpoint (the memory table marks and lists each changed
// identity once: MemoryStore::merge_marking) as a full record ("c:" key,
// 176 bytes plus the 8-byte number of the last journal record it includes:
// 184 bytes) in batches of 4096, then deletes the journal records it
// covers. Opening loads every "c:" record (older layouts and unfolded merge
// operands of a store written without `resident` included: the upgrade
// path) and replays the journal, applying a record to a key only when it is
// newer than the number the key's checkpoint carries (a crash mid-checkpoint
// counts nothing twice). Closing checkpoints everything, so a cleanly closed
// store holds no journal. Memory: the MemoryStore's (about 60-100 bytes per
// identity). Expiry: the checkpointer sweeps the memory table
// (expire_some); the identities it removes are deleted on disk by the next
// checkpoint, at most RocksOptions::expired_checkpoint_after later.
// Opening a store that holds a journal WITHOUT `resident` fails (kIo, "holds
// a journal of counters ...") rather than ignore acknowledged counts; a
// binary older than the 184-byte record reads it as kParse, and one older
// than the version 2 journal record refuses to open a store holding one
// ("journal record N does not decode"; its head is built to fail that
// binary's decoder) instead of misreading it.
//
// DIAGNOSTICS: open() fails with Errc::kIo and RocksDB's status text (lock
// held by another process, corruption, permissions); merge/get fail with kIo.
// A stored record of the wrong size makes the merge operator keep the valid
// operands and log nothing (it cannot fail a read); get() returns kParse.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "reputation/store.h"

namespace rocksdb {
class DB;
class CompactionFilter;
}  // namespace rocksdb

namespace rampart::reputation {

struct RocksOptions {
  bool sync = true;  // fsync the WAL on every merge()/put_state()
  bool create_if_missing = true;
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 64 << 20;
  // merge_async: updates queued for the writer thread at most (back-pressure).
  size_t max_queued_updates = 1 << 18;
  // merge_async: fold repeated keys of a group before writing (false: one
  // Merge() per update, as queued).
  bool coalesce = true;
  // RocksDB's max_successive_merges: a Merge() on a key with that many operands
  // in the memtable folds them (bounding what a read folds), at the price of a
  // memtable lookup per Merge(). 0: never.
  size_t max_successive_merges = 64;
  // Keys that expire: compactions drop a counter record whose values, decayed
  // to the compaction's time, are all below this (decayed_below(), store.h);
  // <= 0: never. Merge operands not yet folded into a record are kept, and so
  // are class states.
  float expire_below = kExpireBelow;
  // merge_ops: how long applied op ids are kept (compactions drop older ones).
  int64_t op_id_keep_s = 7 * 86400;
  // The compaction filter's "now"; nullptr: the system clock. Must outlive the store.
  const Clock* clock = nullptr;
  // Counters resident in memory, RocksDB their journal and checkpoints (see above).
  bool resident = false;
  // resident: journal bytes written between two checkpoints (at most ~2x
  // this is replayed at the next open after a crash).
  size_t checkpoint_bytes = 64 << 20;
  // resident: identities the expiry sweep removed from memory are deleted on
  // disk by a checkpoint at most this long after the first of them (sooner
  // once 65,536 wait, or with the next checkpoint_bytes of journal).
  std::chrono::milliseconds expired_checkpoint_after{60000};
  // FOR TESTS ONLY: a checkpoint leaves the journal it covers in place, as a
  // crash between its record writes and the journal's deletion would.
  bool checkpoint_keeps_journal = false;
};

// What the group-commit writer did (tests, benchmarks).
struct GroupCommitStats {
  uint64_t groups = 0;           // WriteBatches written (one fsync each with sync)
  uint64_t batches = 0;          // merge_async batches completed (done called by the writer)
  uint64_t updates = 0;          // updates in them
  uint64_t written = 0;          // Merge() operations after folding repeated keys
  uint64_t rejected = 0;         // batches refused with kTemporary (queue full or closing)
  size_t queued = 0;             // updates waiting now
  uint64_t journal_records = 0;  // resident: journal records written
  uint64_t checkpoints = 0;      // resident: checkpoints completed
};

class ResidentCounters;  // rocksdb_store.cc

class RocksDbStore final : public Store {
 public:
  static Result<std::unique_ptr<RocksDbStore>> open(const std::string& path, RocksOptions options = {});
  ~RocksDbStore() override;

  std::string_view name() const override { return "rocksdb"; }
  Status merge(std::span<const Update> updates) override;
  Result<size_t> merge_ops(std::span<const OpBatch> ops) override { return merge_ops_to(ops, {}); }
  // The totals are Put() as full records (no operand for reads to fold).
  Result<size_t> merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> totals) override;
  Status put_states(std::span<const std::pair<std::string, std::string>> states) override;
  bool thread_safe() const override { return true; }
  // One process holds the database (RocksDB's lock file): it alone writes.
  bool cacheable() const override { return true; }
  void merge_async(std::vector<Update> updates, MergeDone done) override;
  GroupCommitStats group_commit_stats() const;
  Result<std::optional<Counters>> get(std::string_view key) override;
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> keys) override;
  // Counters and states of every key in one MultiGet.
  Result<std::vector<Lookup>> lookup_many(std::span<const std::string> keys) override;
  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override;
  // Flushes memtables (tests, shutdown).
  Status flush();
  // Compacts the whole key range (merge operands folded; benchmarks).
  Status compact();
  // resident: writes every counter changed since the last checkpoint and
  // drops the journal it covers (the checkpointer does it on its own; tests).
  Status checkpoint();
  bool resident() const { return res_ != nullptr; }

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksOptions options,
               std::unique_ptr<rocksdb::CompactionFilter> filter, std::unique_ptr<ResidentCounters> res);
  void writer_loop();
  void checkpoint_loop();
  static Status load_resident(rocksdb::DB& db, ResidentCounters& r);
  class Writer;
  std::unique_ptr<rocksdb::CompactionFilter> filter_;  // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  RocksOptions options_;
  std::unique_ptr<ResidentCounters> res_;  // resident: the counters (before writer_: its thread joins first)
  std::unique_ptr<Writer> writer_;
};

// The decoders of what the store reads back from disk at open and on every
// read (fuzz_reputation_record): a "c:" value (a full record of any layout,
// or a resident checkpoint record; its journal number in *journal_seq, 0 for
// the others), and a resident journal record's updates, fn(key, delta) each
// (false when it does not decode: nothing after the bad update is read).
Result<Counters> decode_stored_counters(std::string_view value, uint64_t* journal_seq = nullptr);
bool decode_journal_record(std::string_view record,
                           const std::function<void(std::string_view, const Counters&)>& fn);

}  // namespace rampart::reputation

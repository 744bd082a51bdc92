// File: src/reputation/rocksdb_store.cc
// RocksDB store with reputation::merge() as an associative merge operator.
#include "reputation/rocksdb_store.h"

#include "reputation/key_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rampart::reputation {

namespace {

// Merge operands (the deltas written) in a compact layout: 8-byte time, a
// 2-byte mask of the metrics present, one byte of flags (bit 0: every window
// of a metric holds the same value, as in one event's delta), then per
// metric present one float (flag set) or three (hour, day, month), all little
// endian: 11 + 4 x metrics bytes for an event's delta (23 for three metrics)
// instead of the 188-byte record. Its sizes (11 + 4k, 11 + 12k) are odd, a
// full record's (8 + 4n: 128, 140, 176, 188) even: the two are told apart by size. Merge
// results (what reads and compactions see) are always full records.
constexpr size_t kOperandHead = 11;
static_assert(kEncodedSize % 2 == 0 && kEncodedSizeV1 % 2 == 0 && kEncodedSizeV2 % 2 == 0 &&
                  kEncodedSizeV3 % 2 == 0,
              "full records must stay even-sized: operands are odd");

void put_le(char* p, uint64_t x, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((x >> (8 * i)) & 0xff);
}
uint64_t get_le(const unsigned char* p, int bytes) {
  uint64_t x = 0;
  for (int i = 0; i < bytes; ++i) x |= uint64_t{p[i]} << (8 * i);
  return x;
}

void encode_operand(const Counters& d, std::string& out) {
  uint16_t mask = 0;
  bool flat = true;
  for (size_t m = 0; m < kMetricCount; ++m) {
    const float* v = &d.v[m * kWindowCount];
    bool any = false;
    for (size_t w = 0; w < kWindowCount; ++w) any |= v[w] != 0;
    if (!any) continue;
    mask |= static_cast<uint16_t>(1u << m);
    for (size_t w = 1; w < kWindowCount; ++w) flat &= v[w] == v[0];
  }
  const size_t per = flat ? 1 : kWindowCount;
  const size_t size = kOperandHead + 4 * per * static_cast<size_t>(__builtin_popcount(mask));
  const size_t base = out.size();
  out.resize(base + size);
  char* p = out.data() + base;
  put_le(p, static_cast<uint64_t>(d.t), 8);
  put_le(p + 8, mask, 2);
  p[10] = flat ? 1 : 0;
  p += kOperandHead;
  for (size_t m = 0; m < kMetricCount; ++m) {
    if (!(mask & (1u << m))) continue;
    for (size_t w = 0; w < per; ++w) {
      uint32_t bits;
      std::memcpy(&bits, &d.v[m * kWindowCount + w], 4);
      put_le(p, bits, 4);
      p += 4;
    }
  }
}

// A checkpoint record of resident counters: the full record, then the
// 8-byte (little endian) number of the last journal record it includes.
// Checkpoints written before layout v4 hold a v3 record (kCheckpointSizeV3).
constexpr size_t kCheckpointSize = kEncodedSize + 8;
constexpr size_t kCheckpointSizeV3 = kEncodedSizeV3 + 8;
static_assert(kCheckpointSize % 2 == 0 && kCheckpointSizeV3 % 2 == 0,
              "checkpoint records are full records: even-sized");
static_assert(kCheckpointSizeV3 != kEncodedSize && kCheckpointSizeV3 != kEncodedSizeV3 &&
                  kCheckpointSizeV3 != kEncodedSizeV2 && kCheckpointSizeV3 != kEncodedSizeV1 &&
                  kCheckpointSize != kEncodedSize,
              "a checkpoint's size tells it from a full record");
// The size of the full record inside a checkpoint record of `size` bytes, or 0.
size_t checkpointed_size(size_t size) {
  return size == kCheckpointSize ? kEncodedSize : size == kCheckpointSizeV3 ? kEncodedSizeV3 : 0;
}

// A stored "c:" value: a full record of any layout, or a checkpoint record
// (its journal number in *seq when given; 0 for the others).
Result<Counters> decode_record(std::string_view b, uint64_t* seq = nullptr) {
  if (seq) *seq = 0;
  if (const size_t n = checkpointed_size(b.size())) {
    if (seq) *seq = get_le(reinterpret_cast<const unsigned char*>(b.data()) + n, 8);
    b = b.substr(0, n);
  }
  return decode(b);
}

// A full record (any layout) or a compact operand; nullopt when neither.
std::optional<Counters> decode_any(std::string_view b) {
  if (const size_t n = checkpointed_size(b.size())) b = b.substr(0, n);
  if (b.size() == kEncodedSize || b.size() == kEncodedSizeV1 || b.size() == kEncodedSizeV2 ||
      b.size() == kEncodedSizeV3) {
    auto c = decode(b);
    if (!c) return std::nullopt;
    return *c;
  }
  if (b.size() < kOperandHead) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  const auto mask = static_cast<uint16_t>(get_le(p + 8, 2));
  const unsigned flags = p[10];
  if (flags > 1 || (mask >> kMetricCount) != 0) return std::nullopt;
  const size_t per = flags ? 1 : kWindowCount;
  if (b.size() != kOperandHead + 4 * per * static_cast<size_t>(__builtin_popcount(mask))) return std::nullopt;
  Counters c;
  c.t = static_cast<int64_t>(get_le(p, 8));
  p += kOperandHead;
  for (size_t m = 0; m < kMetricCount; ++m) {
    if (!(mask & (1u << m))) continue;
    for (size_t w = 0; w < kWindowCount; ++w) {
      const auto bits = static_cast<uint32_t>(get_le(p + 4 * (flags ? 0 : w), 4));
      std::memcpy(&c.v[m * kWindowCount + w], &bits, 4);
    }
    p += 4 * per;
  }
  return c;
}

class CounterMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  // The result is always a full record (reads and compactions decode it);
  // an operand that does not decode is dropped, the valid ones kept.
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    auto add = decode_any(std::string_view(value.data(), value.size()));
    std::optional<Counters> old;
    if (existing) old = decode_any(std::string_view(existing->data(), existing->size()));
    if (!old && !add) return false;
    new_value->clear();
    if (!old) {
      encode_to(*add, *new_value);
    } else if (!add) {
      encode_to(*old, *new_value);
    } else {
      encode_to(reputation::merge(*old, *add), *new_value);
    }
    return true;
  }
  const char* Name() const override { return "rampart.reputation.counters.v1"; }
};

// Drops counter records decayed below the threshold at compaction time.
// and op ids ("o:") older than op_id_keep_s.
class ExpireFilter final : public rocksdb::CompactionFilter {
 public:
  ExpireFilter(float below, int64_t op_keep_s, const Clock* clock)
      : below_(below), op_keep_s_(op_keep_s), clock_(clock) {}
  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    if (key.size() < 2 || key[1] != ':') return false;
    static const SystemClock system;
    const int64_t now = (clock_ ? *clock_ : static_cast<const Clock&>(system)).unix_seconds();
    if (key[0] == 'o') {
      if (op_keep_s_ <= 0 || value.size() != 8) return false;
      int64_t t = 0;
      std::memcpy(&t, value.data(), 8);
      return now - t > op_keep_s_;
    }
    if (key[0] != 'c' || below_ <= 0) return false;
    auto c = decode_record(std::string_view(value.data(), value.size()));
    if (!c) return false;
    return decayed_below(*c, now, below_);
  }
  const char* Name() const override { return "rampart.reputation.expire"; }

 private:
  float below_;
  int64_t op_keep_s_;
  const Clock* clock_;
};

tl::unexpected<Error> io(const rocksdb::Status& s, std::string_view what) {
  return fail(Errc::kIo, "rocksdb " + std::string(what) + ": " + s.ToString());
}

std::string counter_key(std::string_view k) {
  std::string s;
  s.reserve(2 + k.size());
  s.append("c:").append(k);
  return s;
}

// ---- resident counters: the journal ----

// "j:" + the record's number, big endian (key order is number order).
std::string journal_key(uint64_t seq) {
  std::string k("j:");
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((seq >> (8 * i)) & 0xff));
  return k;
}
bool is_journal_key(const rocksdb::Slice& k) { return k.size() == 10 && k[0] == 'j' && k[1] == ':'; }
uint64_t journal_seq(const rocksdb::Slice& k) {
  uint64_t x = 0;
  for (size_t i = 2; i < 10; ++i) x = (x << 8) | static_cast<unsigned char>(k[i]);
  return x;
}

// Journal records. Version 1 (stores written before the compact record;
// still read): the updates as [u16 key length][key][compact operand]...
//
// Version 2 (written now): a 13-byte head, then entries. The head reads to a
// version 1 decoder as an update with an empty key and an operand whose
// flags byte is 0xff, which it rejects: a binary that knows only version 1
// refuses to open the store ("journal record N does not decode") instead of
// misreading it. An entry is one compact operand (the delta) followed by the
// keys it applies to: a varint count, then per key a varint reference: 0 is
// a key first seen in this record (a varint length and its bytes; it takes
// the next number of the record's key table), r > 0 the table's key r - 1.
// One event's identities share its delta, and an identity repeated in a
// record is written once: about 120 bytes per message event instead of ~215.
// Records are self-contained (the table is per record), so a checkpoint may
// delete any of them.
constexpr char kJournalV2Head[13] = {0, 0, 'r', 'a', 'm', 'p', 'j', 'r', 'n', '2', 0, 0, '\xff'};

void put_varint(std::string& out, uint64_t x) {
  char b[10];
  int n = 0;
  while (x >= 0x80) {
    b[n++] = static_cast<char>((x & 0x7f) | 0x80);
    x >>= 7;
  }
  b[n++] = static_cast<char>(x);
  out.append(b, static_cast<size_t>(n));
}
// Reads a varint at rec[*i]; false when it runs past the end or over 64 bits.
bool get_varint(std::string_view rec, size_t* i, uint64_t* x) {
  *x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*i >= rec.size()) return false;
    const auto b = static_cast<unsigned char>(rec[(*i)++]);
    if (shift == 63 && b > 1) return false;
    *x |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// The size of the compact operand at rec[i] from its head, or 0 when its
// head does not fit or is invalid (decode_any checks the rest).
size_t operand_size_at(std::string_view rec, size_t i) {
  if (rec.size() - i < kOperandHead) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(rec.data()) + i;
  const auto mask = static_cast<uint16_t>(get_le(p + 8, 2));
  if (p[10] > 1) return 0;
  const size_t per = p[10] ? 1 : kWindowCount;
  const size_t size = kOperandHead + 4 * per * static_cast<size_t>(__builtin_popcount(mask));
  return rec.size() - i < size ? 0 : size;
}

bool same_delta(const Counters& a, const Counters& b) {
  // The time and the values, not the struct: with an odd number of floats
  // (layout v4: 45) it has 4 bytes of padding.
  return a.t == b.t && std::memcmp(a.v.data(), b.v.data(), sizeof(a.v)) == 0;
}

// Keys repeated within a record are found through a direct-mapped cache of
// the record's table (16 KB: it stays in the core's cache; a table-wide hash
// index over a group's ~80 k keys missed the cache on every key, 6% of the
// writer's CPU). A key whose slot another key took is written again: the
// format allows a key in the table twice, only the bytes grow.
constexpr size_t kRecentKeys = 4096;
using RecentKeys = std::array<uint32_t, kRecentKeys>;  // table number + 1 of the last key in each slot

// A version 2 record of `ups`; `table`/`recent` are scratch space.
void journal_encode(std::span<const UpdateRef> ups, std::string& out, std::vector<std::string_view>& table,
                    RecentKeys& recent) {
  out.assign(kJournalV2Head, sizeof kJournalV2Head);
  table.clear();
  recent.fill(0);
  for (size_t i = 0; i < ups.size();) {
    const Counters& d = *ups[i].delta;
    size_t j = i + 1;
    while (j < ups.size() && (ups[j].delta == &d || same_delta(*ups[j].delta, d))) ++j;
    encode_operand(d, out);
    put_varint(out, j - i);
    for (; i < j; ++i) {
      const std::string_view k = ups[i].key;
      uint32_t& slot = recent[XXH3_64bits(k.data(), k.size()) & (kRecentKeys - 1)];
      if (slot != 0 && table[slot - 1] == k) {
        put_varint(out, slot);
        continue;
      }
      table.push_back(k);
      slot = static_cast<uint32_t>(table.size());
      put_varint(out, 0);
      put_varint(out, k.size());
      out.append(k);
    }
  }
}

// Calls fn(key, delta) for each update of a journal record (either
// version); false when the record does not decode (nothing after the bad
// update is read).
template <typename Fn>
bool journal_each(std::string_view rec, Fn&& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(rec.data());
  size_t i = 0;
  if (rec.size() >= sizeof kJournalV2Head &&
      std::memcmp(rec.data(), kJournalV2Head, sizeof kJournalV2Head) == 0) {
    std::vector<std::string_view> table;
    i = sizeof kJournalV2Head;
    while (i < rec.size()) {
      const size_t size = operand_size_at(rec, i);
      if (size == 0) return false;
      auto d = decode_any(rec.substr(i, size));
      if (!d) return false;
      i += size;
      uint64_t n = 0;
      if (!get_varint(rec, &i, &n) || n == 0 || n > rec.size() - i)
        return false;  // a key takes a byte at least
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t r = 0;
        if (!get_varint(rec, &i, &r)) return false;
        if (r == 0) {
          uint64_t len = 0;
          if (!get_varint(rec, &i, &len) || len > rec.size() - i) return false;
          table.push_back(rec.substr(i, len));
          i += len;
          fn(table.back(), *d);
        } else {
          if (r > table.size()) return false;
          fn(table[r - 1], *d);
        }
      }
    }
    return true;
  }
  while (i < rec.size()) {
    if (rec.size() - i < 2) return false;
    const size_t klen = get_le(p + i, 2);
    i += 2;
    if (rec.size() - i < klen + kOperandHead) return false;
    const std::string_view key = rec.substr(i, klen);
    i += klen;
    const size_t size = operand_size_at(rec, i);
    if (size == 0) return false;
    auto d = decode_any(rec.substr(i, size));
    if (!d) return false;
    i += size;
    fn(key, *d);
  }
  return true;
}

}  // namespace

Result<Counters> decode_stored_counters(std::string_view value, uint64_t* journal_seq) {
  return decode_record(value, journal_seq);
}

bool decode_journal_record(std::string_view record,
                           const std::function<void(std::string_view, const Counters&)>& fn) {
  return journal_each(record, fn);
}

// The counters in memory, with what is needed to keep them durable.
class ResidentCounters {
 public:
  MemoryStore mem;
  std::mutex mu;            // journal writes and their application, in number order
  uint64_t next_seq = 1;    // the next journal record's number
  uint64_t first_kept = 1;  // journal records below this are deleted
  // Keys changed since the last checkpoint ([u16 length][key]...): each
  // once as the memory table marks it (merge_marking), plus the keys the
  // expiry removed (deleted on disk by the next checkpoint).
  std::string dirty;
  size_t journal_bytes = 0;  // written since the last checkpoint began
  size_t expired = 0;        // keys the expiry removed since the last checkpoint began
  std::chrono::steady_clock::time_point expired_since{};  // when the first of them was removed
  uint64_t records = 0, checkpoints = 0;
  size_t checkpoint_bytes = 0;  // RocksOptions::checkpoint_bytes
  std::mutex cp_mu;             // one checkpoint at a time
  std::condition_variable cv;   // wakes the checkpointer
  bool stop = false;            // under mu
  bool keep_journal = false;    // under mu: an update journaled but not applied (memory full)
  std::thread thread;
};

namespace {

// Journals `ups` (one version 2 record) and the op ids with one WriteBatch,
// then applies the updates to the memory table. The updates count once
// durable; a failed write changes nothing.
Status journal_write(rocksdb::DB& db, ResidentCounters& r, bool sync, std::span<const UpdateRef> ups,
                     std::span<const std::string* const> op_ids, int64_t now) {
  if (ups.empty() && op_ids.empty()) return {};
  thread_local std::string blob;
  thread_local std::vector<std::string_view> table;
  thread_local RecentKeys recent;
  if (!ups.empty())
    journal_encode(ups, blob, table, recent);  // before the lock: the checkpointer reads meanwhile
  std::unique_lock lock(r.mu);
  rocksdb::WriteBatch batch;
  if (!ups.empty())
    if (auto st = batch.Put(journal_key(r.next_seq), blob); !st.ok()) return io(st, "batch");
  char t[8];
  std::memcpy(t, &now, 8);
  for (const std::string* id : op_ids)
    if (auto st = batch.Put("o:" + *id, rocksdb::Slice(t, 8)); !st.ok()) return io(st, "batch");
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  if (auto st = db.Write(wo, &batch); !st.ok()) return io(st, "journal write");
  if (ups.empty()) return {};
  ++r.next_seq;
  ++r.records;
  r.journal_bytes += blob.size();
  Status st = r.mem.merge_marking(ups, &r.dirty);
  if (r.journal_bytes >= r.checkpoint_bytes) r.cv.notify_one();
  if (!st) {
    r.keep_journal = true;  // the journal holds what memory lacks: no checkpoint may delete it
    return fail(Errc::kIo,
                "resident counters: " + st.error().message + " (journaled: applied at the next open)");
  }
  return {};
}

}  // namespace

// The group-commit queue; the thread runs RocksDbStore::writer_loop().
class RocksDbStore::Writer {
 public:
  struct Pending {
    std::vector<Update> updates;
    MergeDone done;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Pending> queue;
  size_t queued = 0;  // updates in `queue`
  bool stopping = false;
  GroupCommitStats stats;
  std::thread thread;
};

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksOptions options,
                           std::unique_ptr<rocksdb::CompactionFilter> filter,
                           std::unique_ptr<ResidentCounters> res)
    : filter_(std::move(filter)),
      db_(std::move(db)),
      options_(options),
      res_(std::move(res)),
      writer_(std::make_unique<Writer>()) {
  writer_->thread = std::thread([this] { writer_loop(); });
  if (res_) res_->thread = std::thread([this] { checkpoint_loop(); });
}

RocksDbStore::~RocksDbStore() {
  {
    const std::lock_guard<std::mutex> lock(writer_->mu);
    writer_->stopping = true;
  }
  writer_->cv.notify_all();
  writer_->thread.join();  // drains the queue first
  if (res_) {
    {
      const std::lock_guard lock(res_->mu);
      res_->stop = true;
    }
    res_->cv.notify_all();
    res_->thread.join();
    (void)checkpoint();  // a cleanly closed store holds no journal (failed: replayed at the next open)
  }
  if (db_) (void)db_->Close();
}

void RocksDbStore::merge_async(std::vector<Update> updates, MergeDone done) {
  const size_t n = updates.size();
  {
    std::unique_lock<std::mutex> lock(writer_->mu);
    const char* why = nullptr;
    if (writer_->stopping)
      why = "rocksdb store closing";
    else if (writer_->queued > 0 && writer_->queued + n > options_.max_queued_updates)
      why = "rocksdb write queue full";
    if (why) {
      ++writer_->stats.rejected;
      const size_t q = writer_->queued;
      lock.unlock();
      if (done)
        done(fail(Errc::kTemporary, std::string(why) + " (" + std::to_string(q) + " updates queued, limit " +
                                        std::to_string(options_.max_queued_updates) + ")"));
      return;
    }
    writer_->queue.push_back({std::move(updates), std::move(done)});
    writer_->queued += n;
  }
  writer_->cv.notify_one();
}

GroupCommitStats RocksDbStore::group_commit_stats() const {
  const std::lock_guard<std::mutex> lock(writer_->mu);
  GroupCommitStats s = writer_->stats;
  s.queued = writer_->queued;
  if (res_) {
    const std::lock_guard rl(res_->mu);
    s.journal_records = res_->records;
    s.checkpoints = res_->checkpoints;
  }
  return s;
}

void RocksDbStore::writer_loop() {
  Writer& w = *writer_;
  std::deque<Writer::Pending> group;
  rocksdb::WriteBatch batch;
  std::string key, val;
  // Folded deltas of the group: key -> index into `folded`.
  std::unordered_map<std::string_view, size_t> slot;
  std::vector<std::pair<std::string_view, Counters>> folded;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(w.mu);
      w.cv.wait(lock, [&] { return w.stopping || !w.queue.empty(); });
      if (w.queue.empty()) return;  // stopping, and everything written
      group.swap(w.queue);
      w.queued = 0;
    }
    if (res_) {  // one journal record for the group, no folding (the memory table adds each)
      size_t n = 0;
      std::vector<UpdateRef> all;
      for (const Writer::Pending& p : group) {
        n += p.updates.size();
        for (const Update& u : p.updates) all.push_back({u.key, &u.delta});
      }
      const Status result = journal_write(*db_, *res_, options_.sync, all, {}, 0);
      {
        const std::lock_guard<std::mutex> lock(w.mu);
        ++w.stats.groups;
        w.stats.batches += group.size();
        w.stats.updates += n;
        w.stats.written += n;
      }
      for (Writer::Pending& p : group)
        if (p.done) p.done(result);
      group.clear();
      continue;
    }
    batch.Clear();
    slot.clear();
    folded.clear();
    size_t n = 0;
    rocksdb::Status st;
    auto put = [&](std::string_view k, const Counters& d) {
      if (!st.ok()) return;
      key.assign("c:").append(k);
      val.clear();
      encode_operand(d, val);
      st = batch.Merge(key, val);
    };
    for (const Writer::Pending& p : group) {
      n += p.updates.size();
      for (const Update& u : p.updates) {
        if (!options_.coalesce) {
          put(u.key, u.delta);
          continue;
        }
        auto [it, fresh] = slot.try_emplace(u.key, folded.size());
        if (fresh)
          folded.emplace_back(u.key, u.delta);
        else
          folded[it->second].second = reputation::merge(folded[it->second].second, u.delta);
      }
    }
    // In key order: each memtable insert starts from the previous one's place
    // in the skip list (RocksDB keeps that splice), not from its head.
    std::sort(folded.begin(), folded.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [k, d] : folded) put(k, d);
    if (st.ok()) {
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync;
      st = db_->Write(wo, &batch);
    }
    const Status result = st.ok() ? Status{} : io(st, "group write");
    {
      const std::lock_guard<std::mutex> lock(w.mu);
      ++w.stats.groups;
      w.stats.batches += group.size();
      w.stats.updates += n;
      w.stats.written += options_.coalesce ? folded.size() : n;
    }
    // Keys in `slot`/`folded` point into `group`: cleared above before reuse.
    for (Writer::Pending& p : group)
      if (p.done) p.done(result);
    slot.clear();
    folded.clear();
    group.clear();
  }
}

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::open(const std::string& path, RocksOptions options) {
  rocksdb::Options o;
  o.create_if_missing = options.create_if_missing;
  o.merge_operator = std::make_shared<CounterMerge>();
  o.write_buffer_size = options.write_buffer_bytes;
  o.max_successive_merges = options.max_successive_merges;
  // One memtable insert hint per key kind ("c:", "s:", "j:", "o:"): the
  // checkpoint's sorted counters and the sorted class states each go on from
  // their own last insert instead of a search from the skip list's top
  // whenever another kind was written in between. Insert hints only: keys,
  // order, reads and the files are unchanged.
  o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(2));
  std::unique_ptr<rocksdb::CompactionFilter> filter;
  if (options.expire_below > 0 || options.op_id_keep_s > 0) {
    filter = std::make_unique<ExpireFilter>(options.expire_below, options.op_id_keep_s, options.clock);
    o.compaction_filter = filter.get();  // stateless: one for every compaction thread
  }
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Bloom filters (10 bits per key, ~1.2 bytes per identity on disk): the
  // writer's re-classification reads every sender's "c:" and "s:" keys, and
  // most "s:" keys (and many op ids) do not exist; without a filter each
  // miss searches every level's index and data blocks (reputation_bench
  // --service-only: 46% of the CPU in MultiGet).
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.02;  // a whole-key bloom filter over the memtable too
  o.memtable_whole_key_filtering = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(o, path, &raw);
  if (!s.ok()) return io(s, "open " + path);
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<ResidentCounters> res;
  if (options.resident) {
    res = std::make_unique<ResidentCounters>();
    res->checkpoint_bytes = options.checkpoint_bytes;
    if (auto st = load_resident(*db, *res); !st)
      return fail(st.error().code, path + ": " + st.error().message);
  } else {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->Seek("j:");
    if (it->Valid() && is_journal_key(it->key()))
      return fail(Errc::kIo,
                  "rocksdb open " + path +
                      ": holds a journal of counters not yet checkpointed (written with resident "
                      "counters, then not closed cleanly); open it with resident counters to apply it");
    if (!it->status().ok()) return io(it->status(), "open " + path);
  }
  return std::unique_ptr<RocksDbStore>(
      new RocksDbStore(std::move(db), options, std::move(filter), std::move(res)));
}

// Every "c:" record into the memory table, then the journal replayed: a
// record's updates apply to a key only when the record is newer than the
// key's checkpoint. Keys touched by the journal are marked dirty (the next
// checkpoint writes them and deletes the journal).
Status RocksDbStore::load_resident(rocksdb::DB& db, ResidentCounters& r) {
  // The journal first: which keys it touches (their checkpoint numbers are kept).
  std::vector<std::pair<uint64_t, std::string>> journal;
  std::unordered_map<std::string, uint64_t> ckpt;  // key in the journal -> its checkpoint's number
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("j:"); it->Valid() && is_journal_key(it->key()); it->Next()) {
    journal.emplace_back(journal_seq(it->key()), it->value().ToString());
    const bool ok = journal_each(journal.back().second, [&](std::string_view k, const Counters&) {
      ckpt.try_emplace(std::string(k), 0);
    });
    if (!ok)
      return fail(Errc::kParse,
                  "journal record " + std::to_string(journal.back().first) + " does not decode");
  }
  if (!it->status().ok()) return io(it->status(), "journal read");
  uint64_t max_seq = journal.empty() ? 0 : journal.back().first;
  std::vector<Update> ups;
  auto apply = [&]() -> Status {
    auto st = r.mem.merge(ups);
    ups.clear();
    return st;
  };
  for (it->Seek("c:"); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() < 2 || k[0] != 'c' || k[1] != ':') break;
    uint64_t seq = 0;
    auto c = decode_record(std::string_view(it->value().data(), it->value().size()), &seq);
    const std::string key(k.data() + 2, k.size() - 2);
    if (!c) return fail(Errc::kParse, "counters of " + key + ": " + c.error().message);
    max_seq = std::max(max_seq, seq);
    if (auto f = ckpt.find(key); f != ckpt.end()) f->second = seq;
    ups.push_back(Update{key, *c});
    if (ups.size() >= 8192)
      if (auto st = apply(); !st) return st;
  }
  if (!it->status().ok()) return io(it->status(), "counters read");
  if (auto st = apply(); !st) return st;
  // The replayed updates mark their keys (the next checkpoint writes them);
  // a key whose checkpoint covers a record is right on disk already.
  std::vector<UpdateRef> refs;
  for (const auto& [seq, rec] : journal) {
    journal_each(rec, [&](std::string_view k, const Counters& d) {
      if (seq > ckpt[std::string(k)]) ups.push_back(Update{std::string(k), d});
    });
    refs.clear();
    for (const Update& u : ups) refs.push_back({u.key, &u.delta});
    auto st = r.mem.merge_marking(refs, &r.dirty);
    ups.clear();
    if (!st) return st;
  }
  r.next_seq = max_seq + 1;
  r.first_kept = journal.empty() ? r.next_seq : journal.front().first;
  r.journal_bytes = 0;
  return {};
}

Status RocksDbStore::checkpoint() {
  if (!res_) return {};
  ResidentCounters& r = *res_;
  const std::lock_guard cp(r.cp_mu);
  std::string keys;
  uint64_t upto = 0, first = 0;
  bool keep = false;
  {
    const std::lock_guard lock(r.mu);
    keys.swap(r.dirty);
    upto = r.next_seq - 1;  // every record up to here: its keys are in `keys`
    first = r.first_kept;
    keep = r.keep_journal;
    r.journal_bytes = 0;
    r.expired = 0;
  }
  // If anything fails, the keys go back (the journal they need is kept).
  auto restore = [&](Status st) {
    const std::lock_guard lock(r.mu);
    r.dirty.append(keys);
    return st;
  };
  std::vector<std::string_view> ks;
  for (size_t i = 0; i + 2 <= keys.size();) {
    const size_t n = get_le(reinterpret_cast<const unsigned char*>(keys.data()) + i, 2);
    ks.push_back(std::string_view(keys).substr(i + 2, n));
    i += 2 + n;
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  constexpr size_t kChunk = 4096;
  std::vector<std::string_view> chunk;
  rocksdb::WriteBatch batch;
  std::string key, val;
  rocksdb::WriteOptions wo;
  wo.sync = false;  // the journal's deletion comes after these in the WAL: a crash keeps the journal
  for (size_t b = 0; b < ks.size(); b += kChunk) {
    const size_t e = std::min(ks.size(), b + kChunk);
    chunk.assign(ks.begin() + static_cast<std::ptrdiff_t>(b), ks.begin() + static_cast<std::ptrdiff_t>(e));
    uint64_t at = 0;
    std::vector<std::optional<Counters>> got;
    {
      const std::lock_guard lock(r.mu);  // no write between its journal record and its application
      at = r.next_seq - 1;
      got = r.mem.take_marked(chunk);  // a later write marks (and lists) the key again
    }
    batch.Clear();
    for (size_t i = 0; i < chunk.size(); ++i) {
      key.assign("c:").append(chunk[i]);
      rocksdb::Status st;
      if (got[i]) {
        val.clear();
        encode_to(*got[i], val);
        char n[8];
        put_le(n, at, 8);
        val.append(n, 8);
        st = batch.Put(key, val);
      } else {
        st = batch.Delete(key);  // expired from memory: gone from disk too
      }
      if (!st.ok()) return restore(io(st, "checkpoint batch"));
    }
    if (auto st = db_->Write(wo, &batch); !st.ok()) return restore(io(st, "checkpoint write"));
  }
  batch.Clear();
  // Tests: the crash between the two writes. An update not applied (memory
  // full): the journal is its only copy, kept for the next open.
  if (options_.checkpoint_keeps_journal || keep) upto = first - 1;
  for (uint64_t q = first; q <= upto; ++q)
    if (auto st = batch.Delete(journal_key(q)); !st.ok()) return restore(io(st, "checkpoint batch"));
  if (batch.Count() > 0)
    if (auto st = db_->Write(wo, &batch); !st.ok()) return restore(io(st, "journal delete"));
  const std::lock_guard lock(r.mu);
  r.first_kept = upto + 1;
  ++r.checkpoints;
  return {};
}

void RocksDbStore::checkpoint_loop() {
  ResidentCounters& r = *res_;
  static const SystemClock system;
  for (;;) {
    {
      std::unique_lock lock(r.mu);
      r.cv.wait_for(lock, std::chrono::milliseconds(100),
                    [&] { return r.stop || r.journal_bytes >= r.checkpoint_bytes; });
      if (r.stop) return;
    }
    // Due after checkpoint_bytes of journal, or once keys expired from
    // memory have waited expired_checkpoint_after (or 65,536 of them wait):
    // the checkpoint deletes their records on disk.
    bool due = false;
    {
      const std::lock_guard lock(r.mu);
      due = r.journal_bytes >= r.checkpoint_bytes ||
            (r.expired > 0 && (r.expired >= 65536 || std::chrono::steady_clock::now() - r.expired_since >=
                                                         options_.expired_checkpoint_after));
    }
    if (due) (void)checkpoint();  // failed: the keys and the journal stay for the next one
    // Expiry: a slice of the memory table each round (4096 slots every 100 ms).
    if (options_.expire_below > 0) {
      const int64_t now =
          (options_.clock ? *options_.clock : static_cast<const Clock&>(system)).unix_seconds();
      const std::lock_guard lock(r.mu);  // an expired key is listed: the next checkpoint deletes it
      const size_t n = r.mem.expire_some(now, 4096, options_.expire_below, &r.dirty);
      if (n > 0 && r.expired == 0) r.expired_since = std::chrono::steady_clock::now();
      r.expired += n;
    }
  }
}

Status RocksDbStore::merge(std::span<const Update> updates) {
  if (res_) {
    std::vector<UpdateRef> refs;
    refs.reserve(updates.size());
    for (const Update& u : updates) refs.push_back({u.key, &u.delta});
    return journal_write(*db_, *res_, options_.sync, refs, {}, 0);
  }
  rocksdb::WriteBatch batch;
  std::string key, val;
  for (const Update& u : updates) {
    key.assign("c:").append(u.key);
    val.clear();
    encode_operand(u.delta, val);
    const rocksdb::Status s = batch.Merge(key, val);
    if (!s.ok()) return io(s, "batch");
  }
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  const rocksdb::Status s = db_->Write(w, &batch);
  if (!s.ok()) return io(s, "write");
  return {};
}

Result<size_t> RocksDbStore::merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> totals) {
  // Which op ids are already applied: one MultiGet.
  std::vector<std::string> oks;
  std::vector<size_t> which;  // index into ops of each entry of oks
  for (size_t i = 0; i < ops.size(); ++i)
    if (!ops[i].op_id.empty()) {
      oks.push_back("o:" + ops[i].op_id);
      which.push_back(i);
    }
  std::vector<char> skip(ops.size(), 0);
  if (!oks.empty()) {
    std::vector<rocksdb::Slice> slices(oks.begin(), oks.end());
    std::vector<std::string> values;
    const std::vector<rocksdb::Status> st = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
    for (size_t j = 0; j < oks.size(); ++j) {
      if (st[j].ok()) {
        skip[which[j]] = 1;
      } else if (!st[j].IsNotFound()) {
        return io(st[j], "op id lookup");
      }
    }
  }
  // One batch sent twice in this call counts once.
  KeyIndex in_call;
  const auto op_of = [&ops](uint32_t i) -> std::string_view { return ops[i].op_id; };
  for (size_t i = 0; i < ops.size(); ++i)
    if (!skip[i] && !ops[i].op_id.empty() &&
        !in_call.find_or_add(ops[i].op_id, static_cast<uint32_t>(i), op_of).second)
      skip[i] = 1;
  static const SystemClock system;
  const int64_t now = (options_.clock ? *options_.clock : static_cast<const Clock&>(system)).unix_seconds();
  if (res_) {  // one journal record: the fresh batches' updates (the memory table adds each) and op ids
    thread_local std::vector<UpdateRef> all;
    std::vector<const std::string*> ids;
    size_t total = 0;
    for (const OpBatch& b : ops) total += b.updates.size();
    all.clear();
    all.reserve(total);
    ids.reserve(ops.size());
    size_t applied = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (skip[i]) continue;
      ++applied;
      for (const Update& u : ops[i].updates) all.push_back({u.key, &u.delta});
      if (!ops[i].op_id.empty()) ids.push_back(&ops[i].op_id);
    }
    auto st = journal_write(*db_, *res_, options_.sync, all, ids, now);
    if (!st) return tl::unexpected(st.error());
    return applied;
  }
  // The fresh batches' deltas folded per key, written in key order (as the
  // group-commit writer), and their op ids, in one WriteBatch.
  std::unordered_map<std::string_view, size_t> slot;
  std::vector<std::pair<std::string_view, Counters>> folded;
  size_t applied = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (skip[i]) continue;
    ++applied;
    for (const Update& u : ops[i].updates) {
      auto [it, fresh] = slot.try_emplace(u.key, folded.size());
      if (fresh)
        folded.emplace_back(u.key, u.delta);
      else
        folded[it->second].second = reputation::merge(folded[it->second].second, u.delta);
    }
  }
  // Every batch fresh: the keys whose totals the caller knows are written
  // whole (a Put: reads find the value, no operands to fold).
  std::unordered_map<std::string_view, const Counters*> total;
  if (applied == ops.size())
    for (const Update& u : totals) total.emplace(u.key, &u.delta);
  std::sort(folded.begin(), folded.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  rocksdb::WriteBatch batch;
  std::string key, val;
  for (const auto& [k, d] : folded) {
    key.assign("c:").append(k);
    val.clear();
    if (const auto it = total.find(k); it != total.end()) {
      encode_to(*it->second, val);
      if (auto s = batch.Put(key, val); !s.ok()) return io(s, "batch");
      continue;
    }
    encode_operand(d, val);
    if (auto s = batch.Merge(key, val); !s.ok()) return io(s, "batch");
  }
  char t[8];
  std::memcpy(t, &now, 8);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (skip[i] || ops[i].op_id.empty()) continue;
    if (auto s = batch.Put("o:" + ops[i].op_id, rocksdb::Slice(t, 8)); !s.ok()) return io(s, "batch");
  }
  if (batch.Count() == 0) return applied;
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  if (auto s = db_->Write(w, &batch); !s.ok()) return io(s, "write");
  return applied;
}

Status RocksDbStore::put_states(std::span<const std::pair<std::string, std::string>> states) {
  if (states.empty()) return {};
  // In key order (equal keys in their order: the last one wins, as before),
  // so each memtable insert goes on from the previous one (the hint above).
  thread_local std::vector<uint32_t> order;
  order.resize(states.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return states[a].first < states[b].first; });
  rocksdb::WriteBatch batch;
  std::string key = "s:";
  for (const uint32_t i : order) {
    key.resize(2);
    key += states[i].first;
    if (auto s = batch.Put(key, states[i].second); !s.ok()) return io(s, "batch");
  }
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  if (auto s = db_->Write(w, &batch); !s.ok()) return io(s, "write");
  return {};
}

Result<std::optional<Counters>> RocksDbStore::get(std::string_view key) {
  if (res_) return res_->mem.get(key);
  std::string v;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), counter_key(key), &v);
  if (s.IsNotFound()) return std::optional<Counters>();
  if (!s.ok()) return io(s, "get");
  auto c = decode_record(v);
  if (!c) return tl::unexpected(c.error());
  return std::optional<Counters>(*c);
}

Result<std::vector<std::optional<Counters>>> RocksDbStore::get_many(std::span<const std::string> keys) {
  if (res_) return res_->mem.get_many(keys);
  std::vector<std::string> ks;
  ks.reserve(keys.size());
  for (const std::string& k : keys) ks.push_back(counter_key(k));
  std::vector<rocksdb::Slice> slices(ks.begin(), ks.end());
  std::vector<std::string> values;
  const std::vector<rocksdb::Status> st = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  std::vector<std::optional<Counters>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (st[i].IsNotFound()) continue;
    if (!st[i].ok()) return io(st[i], "multiget");
    auto c = decode_record(values[i]);
    if (!c) return tl::unexpected(c.error());
    out[i] = *c;
  }
  return out;
}

Result<std::vector<Store::Lookup>> RocksDbStore::lookup_many(std::span<const std::string> keys) {
  if (res_) {  // counters from memory, class states in one MultiGet
    auto out = res_->mem.lookup_many(keys);
    if (!out) return out;
    std::vector<std::string> ks;
    ks.reserve(keys.size());
    for (const std::string& k : keys) ks.push_back("s:" + k);
    std::vector<rocksdb::Slice> slices(ks.begin(), ks.end());
    std::vector<std::string> values;
    const std::vector<rocksdb::Status> st = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (st[i].IsNotFound()) continue;
      if (!st[i].ok()) return io(st[i], "multiget");
      (*out)[i].state = std::move(values[i]);
    }
    return out;
  }
  std::vector<std::string> ks;
  ks.reserve(2 * keys.size());
  for (const std::string& k : keys) ks.push_back(counter_key(k));
  for (const std::string& k : keys) ks.push_back("s:" + k);
  std::vector<rocksdb::Slice> slices(ks.begin(), ks.end());
  std::vector<std::string> values;
  const std::vector<rocksdb::Status> st = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  std::vector<Lookup> out(keys.size());
  const size_t n = keys.size();
  for (size_t i = 0; i < n; ++i) {
    if (!st[i].IsNotFound()) {
      if (!st[i].ok()) return io(st[i], "multiget");
      auto c = decode_record(values[i]);
      if (!c) return tl::unexpected(c.error());
      out[i].counters = *c;
    }
    if (!st[n + i].IsNotFound()) {
      if (!st[n + i].ok()) return io(st[n + i], "multiget");
      out[i].state = std::move(values[n + i]);
    }
  }
  return out;
}

Status RocksDbStore::put_state(std::string_view key, std::string_view value) {
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  const rocksdb::Status s = db_->Put(w, "s:" + std::string(key), rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return io(s, "put");
  return {};
}

Result<std::optional<std::string>> RocksDbStore::get_state(std::string_view key) {
  std::string v;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), "s:" + std::string(key), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return io(s, "get");
  return std::optional<std::string>(std::move(v));
}

Status RocksDbStore::for_each_key(const std::function<bool(std::string_view)>& fn) {
  if (res_) return res_->mem.for_each_key(fn);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("c:"); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() < 2 || k[0] != 'c' || k[1] != ':') break;
    if (!fn(std::string_view(k.data() + 2, k.size() - 2))) break;
  }
  if (!it->status().ok()) return io(it->status(), "iterate");
  return {};
}

Status RocksDbStore::flush() {
  if (auto st = checkpoint(); !st) return st;
  const rocksdb::Status s = db_->Flush(rocksdb::FlushOptions());
  if (!s.ok()) return io(s, "flush");
  return {};
}

Status RocksDbStore::compact() {
  const rocksdb::Status s = db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
  if (!s.ok()) return io(s, "compact");
  return {};
}

}  // namespace rampart::reputation

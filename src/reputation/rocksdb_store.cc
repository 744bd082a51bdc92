// File: src/reputation/rocksdb_store.cc
// RocksDB store with reputation::merge() as an associative merge operator.
#include "reputation/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace rampart::reputation {

namespace {

// Merge operands (the deltas written) in a compact layout: 8-byte time, a
// 2-byte mask of the metrics present, one byte of flags (bit 0: every window
// of a metric holds the same value, as in one event's delta), then per
// metric present one float (flag set) or three (hour, day, month), all little
// endian: 11 + 4 x metrics bytes for an event's delta (23 for three metrics)
// instead of the 176-byte record. Its sizes (11 + 4k, 11 + 12k) are odd, a
// full record's (8 + 4n: 128, 140, 176) even: the two are told apart by size. Merge
// results (what reads and compactions see) are always full records.
constexpr size_t kOperandHead = 11;
static_assert(kEncodedSize % 2 == 0 && kEncodedSizeV1 % 2 == 0 && kEncodedSizeV2 % 2 == 0,
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

// A full record (any layout) or a compact operand; nullopt when neither.
std::optional<Counters> decode_any(std::string_view b) {
  if (b.size() == kEncodedSize || b.size() == kEncodedSizeV1 || b.size() == kEncodedSizeV2) {
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
    auto c = decode(std::string_view(value.data(), value.size()));
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
                           std::unique_ptr<rocksdb::CompactionFilter> filter)
    : filter_(std::move(filter)), db_(std::move(db)), options_(options), writer_(std::make_unique<Writer>()) {
  writer_->thread = std::thread([this] { writer_loop(); });
}

RocksDbStore::~RocksDbStore() {
  {
    const std::lock_guard<std::mutex> lock(writer_->mu);
    writer_->stopping = true;
  }
  writer_->cv.notify_all();
  writer_->thread.join();  // drains the queue first
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
  return std::unique_ptr<RocksDbStore>(
      new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options, std::move(filter)));
}

Status RocksDbStore::merge(std::span<const Update> updates) {
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
  std::unordered_map<std::string_view, char> in_call;
  for (size_t i = 0; i < ops.size(); ++i)
    if (!skip[i] && !ops[i].op_id.empty() && !in_call.try_emplace(ops[i].op_id, 0).second) skip[i] = 1;
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
  static const SystemClock system;
  const int64_t now = (options_.clock ? *options_.clock : static_cast<const Clock&>(system)).unix_seconds();
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
  rocksdb::WriteBatch batch;
  for (const auto& [k, v] : states)
    if (auto s = batch.Put("s:" + k, v); !s.ok()) return io(s, "batch");
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  if (auto s = db_->Write(w, &batch); !s.ok()) return io(s, "write");
  return {};
}

Result<std::optional<Counters>> RocksDbStore::get(std::string_view key) {
  std::string v;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), counter_key(key), &v);
  if (s.IsNotFound()) return std::optional<Counters>();
  if (!s.ok()) return io(s, "get");
  auto c = decode(v);
  if (!c) return tl::unexpected(c.error());
  return std::optional<Counters>(*c);
}

Result<std::vector<std::optional<Counters>>> RocksDbStore::get_many(std::span<const std::string> keys) {
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
    auto c = decode(values[i]);
    if (!c) return tl::unexpected(c.error());
    out[i] = *c;
  }
  return out;
}

Result<std::vector<Store::Lookup>> RocksDbStore::lookup_many(std::span<const std::string> keys) {
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
      auto c = decode(values[i]);
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

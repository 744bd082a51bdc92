// File: src/reputation/rocksdb_store.cc
// RocksDB store with reputation::merge() as an associative merge operator.
#include "reputation/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace rampart::reputation {

namespace {

class CounterMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    auto add = decode(std::string_view(value.data(), value.size()));
    if (!existing) {
      if (!add) return false;
      new_value->assign(value.data(), value.size());
      return true;
    }
    auto old = decode(std::string_view(existing->data(), existing->size()));
    if (!old && !add) return false;
    if (!old) {
      new_value->assign(value.data(), value.size());
      return true;
    }
    if (!add) {
      new_value->assign(existing->data(), existing->size());
      return true;
    }
    new_value->clear();
    encode_to(reputation::merge(*old, *add), *new_value);
    return true;
  }
  const char* Name() const override { return "rampart.reputation.counters.v1"; }
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

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksOptions options)
    : db_(std::move(db)), options_(options) {}

RocksDbStore::~RocksDbStore() {
  if (db_) (void)db_->Close();
}

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::open(const std::string& path, RocksOptions options) {
  rocksdb::Options o;
  o.create_if_missing = options.create_if_missing;
  o.merge_operator = std::make_shared<CounterMerge>();
  o.write_buffer_size = options.write_buffer_bytes;
  o.max_successive_merges = 64;  // fold merge chains in the memtable
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  t.filter_policy.reset();
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(o, path, &raw);
  if (!s.ok()) return io(s, "open " + path);
  return std::unique_ptr<RocksDbStore>(new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options));
}

Status RocksDbStore::merge(std::span<const Update> updates) {
  rocksdb::WriteBatch batch;
  std::string key, val;
  for (const Update& u : updates) {
    key.assign("c:").append(u.key);
    val.clear();
    encode_to(u.delta, val);
    const rocksdb::Status s = batch.Merge(key, val);
    if (!s.ok()) return io(s, "batch");
  }
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  const rocksdb::Status s = db_->Write(w, &batch);
  if (!s.ok()) return io(s, "write");
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

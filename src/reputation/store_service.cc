// File: src/reputation/store_service.cc
// The reputation store on threads of its own (see store_service.h).
#include "reputation/store_service.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <compare>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "reputation/event_json.h"

namespace rampart::reputation {

namespace {

using Steady = std::chrono::steady_clock;

void deliver(Executor* ex, std::function<void()> fn) {
  if (ex) {
    ex->post(std::move(fn));
  } else {
    fn();
  }
}

Error temporary(std::string why) { return Error{Errc::kTemporary, std::move(why)}; }

// Deadlines for reads: fires each function at its time on one thread.
class Timer {
 public:
  Timer() : thread_([this] { loop(); }) {}
  ~Timer() { stop(); }
  // Pending functions are dropped, never run.
  void stop() {
    {
      const std::lock_guard lk(mu_);
      if (stop_) return;
      stop_ = true;
      q_.clear();
    }
    cv_.notify_all();
    thread_.join();
  }
  // `fn` at `t` on the timer's thread, unless cancel()led first. The thread
  // is woken only when `t` comes before the time it sleeps until: reads
  // answered in time are cancelled, and a read's budget is the same for
  // every read, so a new one rarely comes first. With nothing queued the
  // thread sleeps a second at a time. (A wake-up per read, and another at
  // its budget, were the timer thread's 7% of rampartd's CPU on new
  // clients; README "Off the event loop".)
  struct Id {
    Steady::time_point t;
    uint64_t n = 0;
    auto operator<=>(const Id&) const = default;
  };
  Id at(Steady::time_point t, std::function<void()> fn) {
    bool first = false;
    Id id;
    {
      const std::lock_guard lk(mu_);
      id = Id{t, ++next_};
      first = t < until_;
      q_.emplace(id, std::move(fn));
    }
    if (first) cv_.notify_all();
    return id;
  }
  // Drops `id` if it has not run (a read answered within its budget): its
  // function and what it holds go now, not at its time. No wake-up: a
  // thread waiting for that time finds nothing due then and waits again.
  void cancel(const Id& id) {
    std::function<void()> fn;  // destroyed outside the lock
    const std::lock_guard lk(mu_);
    if (auto it = q_.find(id); it != q_.end()) {
      fn = std::move(it->second);
      q_.erase(it);
    }
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      const auto now = Steady::now();
      if (q_.empty() || now < q_.begin()->first.t) {
        until_ = q_.empty() ? now + std::chrono::seconds(1) : q_.begin()->first.t;
        cv_.wait_until(lk, until_);
        until_ = Steady::time_point::min();  // awake: at() need not wake it
        continue;
      }
      auto fn = std::move(q_.begin()->second);
      q_.erase(q_.begin());
      lk.unlock();
      fn();
      fn = nullptr;  // what it holds goes before the lock is taken again
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Id, std::function<void()>> q_;
  uint64_t next_ = 0;
  Steady::time_point until_ = Steady::time_point::max();  // what the thread sleeps until
  bool stop_ = false;
  std::thread thread_;
};

bool fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Counters and class states of identities written or read recently: the
// re-classifier and lookups read them here instead of from the store. Exact:
// an entry holds what the store holds (README "Cache of recent counters").
// Sharded (a mutex each); bounded by two generations per shard: when the
// young one is full the old one is dropped and the young one ages (an entry
// found in the old one moves to the young one; one being written is kept).
class RecentCache {
 public:
  struct Entry {
    std::optional<Counters> counters;  // when has_counters: as stored (nullopt: none stored)
    std::optional<std::string> state;  // when has_state: as stored
    bool has_counters = false, has_state = false;
    bool writing = false;     // the writer's store write of this key is in progress
    uint64_t last_write = 0;  // stamp of the end of the last write of this key
  };
  // capacity 0: off (every call a no-op, every get a miss).
  explicit RecentCache(size_t capacity)
      : per_young_(std::max<size_t>(1, capacity / (2 * kShards))), on_(capacity > 0) {}
  bool on() const { return on_; }

  // Stamps: one sequence for the ends of counter writes and for the start
  // of reads. A read begun at stamp r (read_stamp(), before the store read)
  // may fill a key's counters only if no write of that key was in progress
  // and every write of it ended at a stamp <= r (so the read saw it).
  uint64_t read_stamp() const { return seq_.load(); }
  // States: written by the re-classifier only (and writes outside the
  // writer): a fill needs no state write to have begun since before its read.
  struct Epoch {
    uint64_t states = 0;
    bool states_quiet = false;
  };
  Epoch epoch() const {
    Epoch e;
    e.states = states_begun_.load();
    e.states_quiet = e.states == states_ended_.load();
    return e;
  }
  void begin_states() { states_begun_.fetch_add(1); }
  void end_states() { states_ended_.fetch_add(1); }

  // The whole lookup when both are known.
  bool get(const std::string& key, Store::Lookup& out) {
    if (!on_) return false;
    Shard& sh = shard(key);
    const std::lock_guard lk(sh.mu);
    Entry* e = find(sh, key);
    if (!e || !e->has_counters || !e->has_state) return false;
    out.counters = e->counters;
    out.state = e->state;
    return true;
  }
  // A store read of `key` begun at stamp `r` (counters) and epoch `at` (state).
  void fill(const std::string& key, const Store::Lookup& l, uint64_t r, const Epoch& at) {
    if (!on_) return;
    Shard& sh = shard(key);
    const std::lock_guard lk(sh.mu);
    Entry* e = find(sh, key);
    const bool counters_ok = e ? !e->writing && e->last_write <= r : dropped_.load() <= r;
    const bool states_ok = at.states_quiet && states_begun_.load() == at.states;
    if (!counters_ok && !states_ok) return;
    if (!e) e = &slot(sh, key);
    if (counters_ok && !e->has_counters) {
      e->counters = l.counters;
      e->has_counters = true;
    }
    if (states_ok && !e->has_state) {
      e->state = l.state;
      e->has_state = true;
    }
  }
  // The writer, before its store write of `key`: marks it, and gives what
  // it holds (true: `out` is the stored value, nullopt for none).
  bool begin_write(const std::string& key, std::optional<Counters>& out) {
    Shard& sh = shard(key);
    const std::lock_guard lk(sh.mu);
    Entry& e = slot(sh, key);
    e.writing = true;
    if (!e.has_counters) return false;
    out = e.counters;
    return true;
  }
  uint64_t next_stamp() { return ++seq_; }
  // ... and after it, at stamp `stamp`: `total` is what the key holds now
  // (nullptr: unknown, the write failed or was a duplicate: forgotten).
  void end_write(const std::string& key, const Counters* total, uint64_t stamp) {
    Shard& sh = shard(key);
    const std::lock_guard lk(sh.mu);
    Entry* e = find(sh, key);
    if (!e) return;  // never dropped while writing
    e->writing = false;
    e->last_write = stamp;
    if (total && e->has_counters) {
      e->counters = *total;
    } else {
      e->has_counters = false;
      e->counters.reset();
    }
  }
  // The re-classifier wrote `state` (ok) or may have (failed: forget it).
  void state_written(const std::string& key, const std::string* state) {
    if (!on_) return;
    Shard& sh = shard(key);
    const std::lock_guard lk(sh.mu);
    Entry* e = find(sh, key);
    if (!e) return;
    if (state) {
      e->state = *state;
      e->has_state = true;
    } else {
      e->has_state = false;
    }
  }
  // Writes outside the writer (write_mu held: the writer is not writing):
  // everything is forgotten, and reads begun before `stamp` fill nothing.
  void clear(uint64_t stamp) {
    for (Shard& sh : shards_) {
      const std::lock_guard lk(sh.mu);
      sh.young.clear();
      sh.old.clear();
    }
    raise_dropped(stamp);
  }
  size_t size() {
    size_t n = 0;
    for (Shard& sh : shards_) {
      const std::lock_guard lk(sh.mu);
      n += sh.young.size() + sh.old.size();
    }
    return n;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> young, old;
  };
  Shard& shard(const std::string& key) { return shards_[std::hash<std::string>{}(key) % kShards]; }
  Entry* find(Shard& sh, const std::string& key) {
    if (auto it = sh.young.find(key); it != sh.young.end()) return &it->second;
    auto it = sh.old.find(key);
    if (it == sh.old.end()) return nullptr;
    Entry e = std::move(it->second);
    sh.old.erase(it);
    return &make_room(sh).emplace(key, std::move(e)).first->second;
  }
  Entry& slot(Shard& sh, const std::string& key) {
    if (Entry* e = find(sh, key)) return *e;
    return make_room(sh)[key];
  }
  void raise_dropped(uint64_t stamp) {
    uint64_t d = dropped_.load();
    while (d < stamp && !dropped_.compare_exchange_weak(d, stamp)) {
    }
  }
  std::unordered_map<std::string, Entry>& make_room(Shard& sh) {
    if (sh.young.size() >= per_young_) {
      // The old generation goes; what it knew of writes goes with it: a
      // fill of a key it held must not be older than its last write.
      uint64_t last = 0;
      std::vector<std::pair<std::string, Entry>> keep;
      for (auto& [k, e] : sh.old) {
        if (e.writing)
          keep.emplace_back(k, std::move(e));
        else
          last = std::max(last, e.last_write);
      }
      raise_dropped(last);
      sh.old.swap(sh.young);
      sh.young.clear();
      for (auto& [k, e] : keep) sh.young.emplace(std::move(k), std::move(e));
    }
    return sh.young;
  }

  size_t per_young_;
  bool on_;
  Shard shards_[kShards];
  std::atomic<uint64_t> seq_{1}, dropped_{0};
  std::atomic<uint64_t> states_begun_{0}, states_ended_{0};
};

}  // namespace

struct StoreService::Impl {
  struct ReadJob {
    std::vector<std::string> ids;
    ReportsDone done;
    Executor* ex = nullptr;
    Steady::time_point deadline;
    std::shared_ptr<std::atomic<bool>> finished;
    Timer::Id timeout;  // its budget's entry in `timer`, cancelled when answered in time
  };
  struct WriteMeta {
    Mode mode = kKeep;
    StatusDone done;
    Executor* ex = nullptr;
  };
  struct WriteJob {
    EventBatch batch;
    WriteMeta meta;
  };
  struct Work {
    std::function<void()> work, done;
    Executor* ex = nullptr;
  };

  Impl(std::unique_ptr<Store> s, const Clock& c, Thresholds th, const dmarc::PublicSuffixList& psl,
       ServiceOptions o)
      : store(std::move(s)),
        clock(c),
        engine(*store, c, th, psl),
        opt(o),
        cache(store->cacheable() ? o.cache_identities : 0) {
    std::random_device rd;
    char b[64];
    std::snprintf(b, sizeof b, "%08x%08x-%lld", rd(), rd(), static_cast<long long>(c.unix_seconds()));
    node = b;
    opt.readers = std::clamp<size_t>(opt.readers, 1, 8);
    for (size_t i = 0; i < opt.readers; ++i) readers.emplace_back([this] { read_loop(); });
    writer = std::thread([this] { write_loop(); });
    worker = std::thread([this] { work_loop(); });
    reclass = std::thread([this] { reclass_loop(); });
  }

  ~Impl() {
    signal_stop();
    for (auto& t : readers) t.join();
    writer.join();
    worker.join();
    reclass.join();
    timer.stop();
  }

  // Threads return once their store call in progress (if any) returns.
  void signal_stop() {
    {
      const std::lock_guard lk(mu);
      stopped = true;
      closing = true;
      abandoned = true;
    }
    read_cv.notify_all();
    write_cv.notify_all();
    work_cv.notify_all();
    reclass_cv.notify_all();
  }

  // Store calls take turns unless the store is thread-safe.
  std::unique_lock<std::mutex> store_turn() {
    if (store->thread_safe()) return {};
    return std::unique_lock<std::mutex>(store_mu);
  }

  void finish_read(ReadJob& j, Result<std::vector<Report>> r) {
    if (j.finished->exchange(true)) return;  // timed out before
    timer.cancel(j.timeout);
    deliver(j.ex, [done = std::move(j.done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

  void read_loop() {
    for (;;) {
      ReadJob j;
      {
        std::unique_lock lk(mu);
        read_cv.wait(lk, [&] { return stopped || !reads.empty(); });
        if (stopped) return;
        j = std::move(reads.front());
        reads.pop_front();
        if (j.finished->load()) {
          ++stats.reads_skipped;  // the caller stopped waiting while it was queued
          continue;
        }
      }
      const auto t0 = std::chrono::steady_clock::now();
      Result<std::vector<Report>> r = reports_cached(j.ids);
      if (opt.read_seconds)
        opt.read_seconds->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      {
        const std::lock_guard lk(mu);
        ++stats.reads;
        if (!r) ++stats.read_errors;
      }
      finish_read(j, std::move(r));
    }
  }

  // Re-classifies up to kReclassifyPass of the identities written since the
  // last pass (each once, at its latest event time). Class states are derived
  // from the counters: an error is counted and the identities dropped (their
  // next event re-classifies them).
  static constexpr size_t kReclassifyPass = 1 << 15;
  static constexpr size_t kMaxDirty = 1 << 20;  // identities waiting, at most
  static constexpr int kReclassNice = 10;       // the re-classifier thread's nice value
  void reclassify_some() {
    Engine::Senders part;
    {
      const std::lock_guard lk(mu);  // dirty: the writer's, read by stats()
      if (dirty.empty()) return;
      if (dirty.size() <= kReclassifyPass) {
        part.swap(dirty);
        dirty_at.clear();
      } else {
        for (size_t i = dirty.size() - kReclassifyPass; i < dirty.size(); ++i)
          dirty_at.erase(dirty[i].first.key, dirty_key());  // before the element leaves `dirty`
        part.assign(std::make_move_iterator(dirty.end() - kReclassifyPass),
                    std::make_move_iterator(dirty.end()));
        dirty.resize(dirty.size() - kReclassifyPass);
      }
      reclassifying = part.size();  // still counted in to_reclassify until the pass is done
    }
    Status st = reclassify_cached(part);
    const std::lock_guard lk(mu);
    reclassifying = 0;
    ++stats.reclassify_passes;
    stats.reclassified += part.size();
    if (!st) ++stats.reclassify_errors;
  }

  // Lookups from the cache alone; false when any key is not in it.
  bool cached_lookups(std::span<const std::string> ids, std::vector<Store::Lookup>& looks) {
    if (!cache.on()) return false;
    looks.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      if (!cache.get(ids[i], looks[i])) return false;
    return true;
  }

  // Engine::report_many, the keys the cache has from it, the others read
  // (and kept: a new sender's first lookup is the next one's hit).
  Result<std::vector<Report>> reports_cached(std::span<const std::string> ids) {
    std::vector<Store::Lookup> looks(ids.size());
    if (auto st = lookup_through_cache(looks, [&](size_t i) -> const std::string& { return ids[i]; }); !st)
      return tl::unexpected(st.error());
    return engine.reports_from(ids, looks);
  }

  // looks[i] for key_of(i): from the cache where it holds the key, the rest
  // in one lookup_many whose answers fill the cache. Returns the cache hits.
  template <typename KeyOf>
  Result<uint64_t> lookup_through_cache(std::vector<Store::Lookup>& looks, KeyOf key_of) {
    std::vector<std::string> miss;
    std::vector<size_t> miss_at;
    for (size_t i = 0; i < looks.size(); ++i)
      if (!cache.get(key_of(i), looks[i])) {
        miss.push_back(key_of(i));
        miss_at.push_back(i);
      }
    if (!miss.empty()) {
      const RecentCache::Epoch at = cache.epoch();
      const uint64_t stamp = cache.read_stamp();
      auto r = [&] {
        auto turn = store_turn();
        return store->lookup_many(miss);
      }();
      if (!r) return tl::unexpected(r.error());
      for (size_t j = 0; j < miss.size(); ++j) {
        cache.fill(miss[j], (*r)[j], stamp, at);
        looks[miss_at[j]] = std::move((*r)[j]);
      }
    }
    return looks.size() - miss.size();
  }

  // Engine::reclassify, reading what the cache has from the cache.
  Status reclassify_cached(const Engine::Senders& part) {
    std::vector<Store::Lookup> looks(part.size());
    auto got = lookup_through_cache(looks, [&](size_t i) -> const std::string& { return part[i].first.key; });
    if (!got) return tl::unexpected(got.error());
    const uint64_t hits = *got;
    std::vector<std::pair<std::string, std::string>> states;
    std::vector<ClassChange> changes;
    engine.next_states(part, looks, states, engine.has_listener() ? &changes : nullptr);
    cache.begin_states();
    Status st = [&] {
      auto turn = store_turn();
      return engine.commit_states(states, changes);
    }();
    for (const auto& [k, v] : states) cache.state_written(k, st ? &v : nullptr);
    cache.end_states();
    const std::lock_guard lk(mu);
    stats.reclassify_cache_hits += hits;
    return st;
  }

  // A write outside the writer thread (no loop; the spool replay): counters
  // and states change under the cache, which forgets everything.
  template <typename F>
  auto outside_write(F&& f) {
    cache.begin_states();
    auto r = f();
    cache.clear(cache.next_stamp());
    cache.end_states();
    return r;
  }

  // The group's counters (Engine::write_ops), keeping the cache exact: the
  // senders it does not hold are read first (this thread is the only writer
  // of counters: what it reads is what the store holds before the write),
  // then the deltas are added to what it holds. A group with a batch not
  // applied (a duplicate op id) or a failed write: its keys are forgotten.
  Result<size_t> write_group(const std::vector<EventBatch>& group, Engine::Senders& senders) {
    const std::span<const OpBatch> ops = engine.ops_into(group, senders, writer_ops);
    if (!cache.on()) return store->merge_ops(ops);
    // Each key's deltas folded (the store adds the same sum).
    std::unordered_map<std::string_view, size_t> slot;
    std::vector<Update> totals;  // first the folded delta, then the value after the write
    for (const OpBatch& b : ops)
      for (const Update& u : b.updates) {
        auto [it, fresh] = slot.try_emplace(u.key, totals.size());
        if (fresh)
          totals.push_back(u);
        else
          totals[it->second].delta = merge(totals[it->second].delta, u.delta);
      }
    // The keys the cache holds: their value after the write is known and
    // written whole; the others are merged as deltas (and stay unknown until
    // a read fills them).
    std::vector<char> known(totals.size(), 0);
    std::vector<Update> put;
    for (size_t i = 0; i < totals.size(); ++i) {
      std::optional<Counters> before;
      if (!cache.begin_write(totals[i].key, before)) continue;
      known[i] = 1;
      if (before) totals[i].delta = merge(*before, totals[i].delta);
      put.push_back(totals[i]);
    }
    Result<size_t> r = store->merge_ops_to(ops, put);
    const bool all = r && *r == ops.size();
    const uint64_t stamp = cache.next_stamp();
    for (size_t i = 0; i < totals.size(); ++i)
      cache.end_write(totals[i].key, all && known[i] ? &totals[i].delta : nullptr, stamp);
    const std::lock_guard lk(mu);
    stats.writer_known += put.size();
    return r;
  }

  void write_loop() {
    std::vector<EventBatch> group;
    std::vector<WriteMeta> metas;
    Engine::Senders senders;
    std::vector<uint32_t> sender_hashes;  // KeyIndex::hash of each sender's key
    auto backoff = Steady::duration::zero();
    Steady::time_point retry_at{};
    for (;;) {
      {
        std::unique_lock lk(mu);
        for (;;) {
          if (abandoned) return;
          if (closing && (queue.empty() || Steady::now() >= drain_deadline)) {
            writer_idle = true;
            idle_cv.notify_all();
            write_cv.wait(lk, [&] { return abandoned; });
            return;
          }
          if (!queue.empty() && Steady::now() >= retry_at) break;
          if (queue.empty()) {
            write_cv.wait(lk);
          } else {
            write_cv.wait_until(lk, closing ? std::min(retry_at, drain_deadline) : retry_at);
          }
        }
        size_t n = 0;
        while (!queue.empty() &&
               (group.empty() || n + queue.front().batch.events.size() <= opt.max_group_events)) {
          n += queue.front().batch.events.size();
          group.push_back(std::move(queue.front().batch));
          metas.push_back(std::move(queue.front().meta));
          queue.pop_front();
        }
        inflight = &group;
        inflight_metas = &metas;
      }
      senders.clear();
      if (opt.write_delay.count() > 0) std::this_thread::sleep_for(opt.write_delay);  // tests: a slow disk
      const auto w0 = std::chrono::steady_clock::now();
      Result<size_t> r = [&] {
        const std::lock_guard wl(write_mu);
        auto turn = store_turn();
        return write_group(group, senders);  // acknowledged once the counters are durable
      }();
      if (opt.write_seconds)
        opt.write_seconds->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
      sender_hashes.resize(senders.size());  // before taking mu (below)
      for (size_t j = 0; j < senders.size(); ++j) sender_hashes[j] = KeyIndex::hash(senders[j].first.key);
      std::vector<std::pair<WriteMeta, Status>> answers;
      {
        const std::lock_guard lk(mu);
        inflight = nullptr;
        inflight_metas = nullptr;
        if (abandoned) return;  // drain() spooled the group and answered its callers
        size_t evs = 0;
        for (const auto& b : group) evs += b.events.size();
        if (r) {
          ++stats.groups;
          stats.batches += group.size();
          stats.events += evs;
          stats.duplicates += group.size() - std::min(group.size(), *r);
          queued_events -= evs;
          backoff = Steady::duration::zero();
          // Each sender is a cache miss in a big index (and another in
          // `dirty` when present): hashed before the lock, its slot
          // prefetched kSlotAhead senders ahead and the element its home
          // slot names kElementAhead ahead, so the misses overlap.
          constexpr size_t kSlotAhead = 16, kElementAhead = 8, kKeyAhead = 4;
          dirty_at.reserve(senders.size());
          const size_t ns = senders.size();
          for (size_t j = 0; j < std::min(ns, kSlotAhead); ++j) dirty_at.prefetch(sender_hashes[j]);
          for (size_t j = 0; j < ns; ++j) {
            if (j + kSlotAhead < ns) dirty_at.prefetch(sender_hashes[j + kSlotAhead]);
            if (j + kElementAhead < ns)
              if (auto p = dirty_at.home_position(sender_hashes[j + kElementAhead]); p && *p < dirty.size())
                __builtin_prefetch(&dirty[*p]);
            if (j + kKeyAhead < ns)
              if (auto p = dirty_at.home_position(sender_hashes[j + kKeyAhead]); p && *p < dirty.size())
                __builtin_prefetch(dirty[*p].first.key.data());
            auto& [id, t] = senders[j];
            if (dirty.size() >= kMaxDirty && !dirty_at.find(id.key, dirty_key())) {
              ++stats.reclassify_skipped;  // re-classified at its next event
              continue;
            }
            auto [pos, fresh] = dirty_at.find_or_add(id.key, sender_hashes[j],
                                                     static_cast<uint32_t>(dirty.size()), dirty_key());
            if (fresh) {
              dirty.emplace_back(std::move(id), t);
            } else {
              dirty[pos].second = std::max(dirty[pos].second, t);
            }
          }
          for (auto& m : metas) answers.emplace_back(std::move(m), Status{});
        } else {
          ++stats.write_errors;
          // kAnswer: the caller hears of it; kKeep: back to the head of the queue.
          for (size_t i = group.size(); i-- > 0;) {
            if (metas[i].mode == kAnswer) {
              queued_events -= group[i].events.size();
              answers.emplace_back(std::move(metas[i]), tl::unexpected(r.error()));
            } else {
              queue.push_front(WriteJob{std::move(group[i]), std::move(metas[i])});
              ++stats.retries;
            }
          }
          backoff = backoff == Steady::duration::zero()
                        ? Steady::duration(opt.retry_initial)
                        : std::min<Steady::duration>(backoff * 2, opt.retry_max);
          retry_at = Steady::now() + backoff;
        }
        group.clear();
        metas.clear();
      }
      idle_cv.notify_all();
      for (auto& [m, st] : answers)
        if (m.done) deliver(m.ex, [done = std::move(m.done), st = std::move(st)] { done(st); });
      // Under a steady stream of writes the states still catch up: a pass
      // once as many identities wait as one pass takes.
      if (!senders.empty()) reclass_cv.notify_one();
    }
  }

  // The re-classification thread: the identities the writer wrote, each
  // once per pass, off the write path (the acknowledgements do not wait).
  void reclass_loop() {
    // Below the writer and the readers: acknowledgements and scans' lookups
    // come first; on a busy machine the class states lag (at most kMaxDirty
    // identities wait; the others are re-classified at their next event).
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kReclassNice);
    for (;;) {
      {
        std::unique_lock lk(mu);
        reclass_cv.wait(lk, [&] { return stopped || !dirty.empty(); });
        if (stopped) return;  // what waits is derived data: redone at the next event
      }
      reclassify_some();
    }
  }

  void work_loop() {
    for (;;) {
      Work w;
      {
        std::unique_lock lk(mu);
        work_cv.wait(lk, [&] { return stopped || !works.empty(); });
        if (works.empty()) return;
        w = std::move(works.front());
        works.pop_front();
      }
      w.work();
      {
        const std::lock_guard lk(mu);
        ++stats.jobs;
      }
      if (w.done) deliver(w.ex, std::move(w.done));
    }
  }

  std::string next_op_id() { return node + "-" + std::to_string(++seq); }

  Status write_spool(const std::string& dir, const std::vector<EventBatch>& batches, size_t* events) {
    *events = 0;
    if (batches.empty()) return {};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::kIo, "spool " + dir + ": " + ec.message());
    const std::string name = dir + "/events-" + node + "-" + std::to_string(seq.load()) + ".spool";
    const std::string tmp = name + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      for (const EventBatch& b : batches)
        for (const Event& e : b.events) {
          f << b.op_id << ' ' << event_to_json(e) << '\n';
          ++*events;
        }
      f.flush();
      if (!f) return fail(Errc::kIo, "spool " + tmp + ": write failed");
    }
    if (!fsync_path(tmp, O_RDONLY)) return fail(Errc::kIo, "spool " + tmp + ": fsync failed");
    std::filesystem::rename(tmp, name, ec);
    if (ec) return fail(Errc::kIo, "spool " + name + ": " + ec.message());
    if (!fsync_path(dir, O_RDONLY | O_DIRECTORY)) return fail(Errc::kIo, "spool " + dir + ": fsync failed");
    return {};
  }

  std::unique_ptr<Store> store;
  const Clock& clock;
  Engine engine;
  ServiceOptions opt;
  RecentCache cache;
  std::string node;
  std::atomic<uint64_t> seq{0};
  Timer timer;

  mutable std::mutex mu;  // queues, flags, stats
  std::mutex store_mu;    // store calls when the store is not thread-safe
  std::mutex write_mu;    // Engine::record_ops: one at a time
  std::condition_variable read_cv, write_cv, work_cv, idle_cv, reclass_cv;
  std::deque<ReadJob> reads;
  std::deque<WriteJob> queue;
  std::deque<Work> works;
  std::vector<OpBatch> writer_ops;              // the writer's op batches, reused (Engine::ops_into)
  std::vector<EventBatch>* inflight = nullptr;  // the group being written (writer thread's)
  std::vector<WriteMeta>* inflight_metas = nullptr;
  // Identities written and not yet re-classified (under mu).
  Engine::Senders dirty;
  KeyIndex dirty_at;  // over dirty's keys
  struct DirtyKey {
    const Engine::Senders* v;
    std::string_view operator()(uint32_t i) const { return (*v)[i].first.key; }
  };
  DirtyKey dirty_key() const { return DirtyKey{&dirty}; }
  size_t reclassifying = 0;  // identities of the pass in progress (under mu)
  size_t queued_events = 0;  // in `queue` and in flight
  bool closing = false, abandoned = false, stopped = false, writer_idle = false;
  Steady::time_point drain_deadline = Steady::time_point::max();
  ServiceStats stats;
  std::vector<std::thread> readers;
  std::thread writer, worker, reclass;
};

StoreService::StoreService(std::unique_ptr<Store> store, const Clock& clock, Thresholds th,
                           const dmarc::PublicSuffixList& psl, ServiceOptions o)
    : impl_(std::make_shared<Impl>(std::move(store), clock, th, psl, o)) {}

StoreService::~StoreService() = default;

void StoreService::report_many(std::vector<std::string> identities, std::chrono::milliseconds budget,
                               ReportsDone done) {
  Impl& m = *impl_;
  Executor* ex = current_executor();
  if (!ex) {  // no loop to keep free: the caller's thread
    done(m.reports_cached(identities));
    return;
  }
  // Every identity in the cache of recent counters: answered here, on the
  // loop, without a thread hop (a few lock-protected hash look-ups).
  if (std::vector<Store::Lookup> looks; m.cached_lookups(identities, looks)) {
    {
      const std::lock_guard lk(m.mu);
      ++m.stats.reads;
      ++m.stats.reads_cached;
    }
    done(m.engine.reports_from(identities, looks));
    return;
  }
  Impl::ReadJob j;
  j.ids = std::move(identities);
  j.done = std::move(done);
  j.ex = ex;
  j.deadline = Steady::now() + budget;
  j.finished = std::make_shared<std::atomic<bool>>(false);
  {
    std::unique_lock lk(m.mu);
    if (m.closing || m.reads.size() >= m.opt.max_queued_reads) {
      ++m.stats.reads_refused;
      const size_t q = m.reads.size();
      lk.unlock();
      j.done(tl::unexpected(
          temporary(m.closing ? "reputation store service closing"
                              : "reputation store busy (" + std::to_string(q) + " lookups queued)")));
      return;
    }
    // The timeout callback needs `done`, which the job owns: share it.
    auto shared_done = std::make_shared<ReportsDone>(std::move(j.done));
    j.done = [shared_done](Result<std::vector<Report>> r) { (*shared_done)(std::move(r)); };
    j.timeout = m.timer.at(j.deadline, [finished = j.finished, ex, budget, shared_done, impl = impl_.get()] {
      if (finished->exchange(true)) return;
      {
        const std::lock_guard tl(impl->mu);
        ++impl->stats.read_timeouts;
      }
      ex->post([shared_done, budget] {
        (*shared_done)(tl::unexpected(
            temporary("reputation lookup took longer than " + std::to_string(budget.count()) + " ms")));
      });
    });
    m.reads.push_back(std::move(j));
  }
  m.read_cv.notify_one();
}

Task<Result<std::vector<Report>>> StoreService::reports(std::vector<std::string> identities,
                                                        std::chrono::milliseconds budget) {
  auto start = [this, ids = std::move(identities), budget](auto done) mutable {
    report_many(std::move(ids), budget, std::move(done));
  };
  // A named awaiter (g++ 12 mishandles some temporaries in co_await expressions).
  CallbackAwaiter<Result<std::vector<Report>>, decltype(start)> aw{std::move(start), {}};
  Result<std::vector<Report>> r = co_await aw;
  co_return r;
}

std::string StoreService::record(std::vector<Event> events, Mode mode, StatusDone done) {
  return record_impl(events, mode, std::move(done), false);
}

std::string StoreService::record_keep(std::vector<Event>& events) {
  return record_impl(events, kKeep, nullptr, true);
}

std::string StoreService::record_impl(std::vector<Event>& events, Mode mode, StatusDone done,
                                      bool give_back) {
  Impl& m = *impl_;
  const int64_t now = m.clock.unix_seconds();
  for (Event& e : events)
    if (e.time == 0) e.time = now;  // the same counts on every retry and replay
  Executor* ex = current_executor();
  Impl::WriteJob j;
  j.batch.op_id = m.next_op_id();
  j.batch.events = std::move(events);
  j.meta = Impl::WriteMeta{mode, std::move(done), ex};
  const std::string id = j.batch.op_id;
  const size_t n = j.batch.events.size();
  if (!ex) {  // no loop: write now on this thread; a kKeep batch that fails is retried by the writer
    Result<size_t> r = [&] {
      const std::lock_guard wl(m.write_mu);
      auto turn = m.store_turn();
      return m.outside_write([&] { return m.engine.record_ops(std::span<const EventBatch>(&j.batch, 1)); });
    }();
    if (r || mode == kAnswer) {
      {
        const std::lock_guard lk(m.mu);
        if (r) {
          ++m.stats.groups;
          ++m.stats.batches;
          m.stats.events += n;
          if (*r == 0) ++m.stats.duplicates;
        } else {
          ++m.stats.write_errors;
        }
      }
      if (j.meta.done) j.meta.done(r ? Status{} : Status(tl::unexpected(r.error())));
      return id;
    }
  }
  {
    std::unique_lock lk(m.mu);
    const char* why = nullptr;
    if (m.closing)
      why = "reputation store service closing";
    else if (m.queued_events > 0 && m.queued_events + n > m.opt.max_queued_events)
      why = "reputation write queue full";
    if (why) {
      ++m.stats.writes_refused;
      const size_t q = m.queued_events;
      lk.unlock();
      if (j.meta.done)
        j.meta.done(
            tl::unexpected(temporary(std::string(why) + " (" + std::to_string(q) + " events queued)")));
      if (give_back) events = std::move(j.batch.events);
      return "";
    }
    m.queued_events += n;
    m.queue.push_back(std::move(j));
  }
  m.write_cv.notify_one();
  return id;
}

Task<Status> StoreService::recorded(std::vector<Event> events) {
  auto start = [this, ev = std::move(events)](auto done) mutable {
    record(std::move(ev), kAnswer, std::move(done));
  };
  CallbackAwaiter<Status, decltype(start)> aw{std::move(start), {}};
  Status r = co_await aw;
  co_return r;
}

void StoreService::run(std::function<void()> work, std::function<void()> done) {
  Impl& m = *impl_;
  Executor* ex = current_executor();
  if (!ex) {
    work();
    if (done) done();
    return;
  }
  {
    const std::lock_guard lk(m.mu);
    m.works.push_back(Impl::Work{std::move(work), std::move(done), ex});
  }
  m.work_cv.notify_one();
}

Result<size_t> StoreService::drain(std::chrono::steady_clock::time_point deadline,
                                   const std::string& spool_dir, std::vector<Event> more) {
  Impl& m = *impl_;
  std::vector<EventBatch> left;
  std::vector<Impl::WriteMeta> unanswered;
  const int64_t now = m.clock.unix_seconds();
  for (Event& e : more)
    if (e.time == 0) e.time = now;
  {
    std::unique_lock lk(m.mu);
    if (m.stopped) return size_t{0};
    if (!more.empty()) {
      m.queued_events += more.size();
      m.queue.push_back(Impl::WriteJob{EventBatch{m.next_op_id(), std::move(more)}, Impl::WriteMeta{}});
    }
    m.closing = true;
    m.drain_deadline = deadline;
    m.write_cv.notify_all();
    m.idle_cv.wait_until(lk, deadline, [&] { return m.writer_idle; });
    // What was not written: the group in flight (perhaps written after all:
    // its op ids make the replay count it once) and the queue.
    m.abandoned = true;
    if (m.inflight)
      for (const EventBatch& b : *m.inflight) left.push_back(b);
    if (m.inflight_metas)
      for (auto& meta : *m.inflight_metas)
        if (meta.done) unanswered.push_back(std::move(meta));
    for (auto& j : m.queue) {
      left.push_back(std::move(j.batch));
      if (j.meta.done) unanswered.push_back(std::move(j.meta));
    }
    m.queue.clear();
    m.queued_events = 0;
  }
  m.write_cv.notify_all();
  // Posted to loops that may not run again (stopping): dropped then, never run elsewhere.
  for (auto& u : unanswered)
    deliver(u.ex, [done = std::move(u.done)] {
      done(tl::unexpected(temporary("rampartd stopping: the events were spooled")));
    });
  size_t spooled = 0;
  Status st;
  if (spool_dir.empty()) {
    for (const auto& b : left) spooled += b.events.size();
  } else {
    st = m.write_spool(spool_dir, left, &spooled);
  }
  {
    const std::lock_guard lk(m.mu);
    m.stats.spooled += spooled;
  }
  m.signal_stop();  // joined by the destructor (a store call may still hang)
  if (!st) return tl::unexpected(st.error());
  return spooled;
}

Result<size_t> StoreService::replay_spool(const std::string& spool_dir) {
  Impl& m = *impl_;
  std::error_code ec;
  if (!std::filesystem::is_directory(spool_dir, ec)) return size_t{0};
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(spool_dir, ec))
    if (e.path().extension() == ".spool") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  size_t applied = 0;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<EventBatch> batches;
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const size_t sp = line.find(' ');
      if (line.empty()) continue;
      auto ev = sp == std::string::npos ? Result<Event>(fail(Errc::kParse, "no op id"))
                                        : parse_event_json(std::string_view(line).substr(sp + 1));
      if (!ev)
        return fail(Errc::kParse,
                    "spool " + f + " line " + std::to_string(line_no) + ": " + ev.error().message);
      const std::string_view op = std::string_view(line).substr(0, sp);
      if (batches.empty() || batches.back().op_id != op) batches.push_back(EventBatch{std::string(op), {}});
      batches.back().events.push_back(std::move(*ev));
    }
    for (size_t i = 0; i < batches.size(); i += 256) {
      const std::span<const EventBatch> part(batches.data() + i, std::min<size_t>(256, batches.size() - i));
      Result<size_t> r = [&] {
        const std::lock_guard wl(m.write_mu);
        auto turn = m.store_turn();
        return m.outside_write([&] { return m.engine.record_ops(part); });
      }();
      if (!r)
        return fail(r.error().code, "spool " + f + ": " + r.error().message + " (kept for the next start)");
      applied += *r;
    }
    std::filesystem::remove(f, ec);
    if (ec) return fail(Errc::kIo, "spool " + f + ": " + ec.message());
  }
  const std::lock_guard lk(m.mu);
  m.stats.replayed += applied;
  return applied;
}

ServiceStats StoreService::stats() const {
  const std::lock_guard lk(impl_->mu);
  ServiceStats s = impl_->stats;
  s.queued_events = impl_->queued_events;
  if (impl_->inflight)
    for (const EventBatch& b : *impl_->inflight) s.writing_events += b.events.size();
  s.queued_reads = impl_->reads.size();
  s.to_reclassify = impl_->dirty.size() + impl_->reclassifying;
  s.cached_identities = impl_->cache.size();
  return s;
}

const std::string& StoreService::node() const { return impl_->node; }
Engine& StoreService::engine() { return impl_->engine; }
Store& StoreService::store() { return *impl_->store; }

}  // namespace rampart::reputation

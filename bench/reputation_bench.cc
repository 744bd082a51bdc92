// File: bench/reputation_bench.cc
// Reputation store benchmark at scale (default 10 M identities): identity
// updates and message events per second per core, lookups per second and
// latency, memory per identity, for the in-memory store, RocksDB (with and
// without WAL fsync) and the Redis Cluster store, printed side by side with
// the goals of issue 5. Prints figures; never a test.
//
//   reputation_bench [--identities 10000000] [--updates 5000000] [--batch 64]
//                    [--load-batch 10000] [--rocksdb DIR] [--redis 127.0.0.1:7000,...]
//                    [--redis-identities N] [--no-compact] [--no-memory] [--service-only]
//
// Population: identities come in fives per sender j: ip:A.B.C.1,
// net:A.B.C.0/24, domain:sJ.example, dkim:sJ.example, spf:sJ.example, the
// five identities a message event from that sender touches (an SPF, DKIM and
// DMARC pass). Each identity holds 3-5 of the 11 metrics (volume,
// auth_aligned, fcrdns; one_click for odd j; spam_verdict for j % 3 == 0).
//
// An "update" is one identity's delta in a Store::merge() batch (--batch per
// merge, uniformly drawn identities, every one at a later time stamp, so the
// decay arithmetic runs on each). An "event" is one message event through
// reputation::Engine: record_counters_only() (16 events per call: their
// identities' deltas in one merge) or record() (one merge, then the five
// sender identities re-classified: get + get_state + classify each).
// The row "rocksdb, WAL fsync, group commit" sends the same updates and
// events through RocksDbStore::merge_async (Engine over an adapter whose
// merge() queues the batch): an update or event counts once its done(ok)
// ran on the writer thread, and the clock runs to the last completion.
// "Per core" is CPU time of this process (CLOCK_PROCESS_CPUTIME_ID; the
// loops are single-threaded), so the RocksDB background threads count and
// the Redis servers' CPU does not.
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "core/clock.h"
#include "reputation/engine.h"
#include "reputation/store.h"
#include "reputation/store_service.h"
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
size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}
size_t huge_bytes() {  // AnonHugePages (transparent huge pages in use)
  std::ifstream f("/proc/self/smaps_rollup");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("AnonHugePages:", 0) == 0) return std::strtoull(line.c_str() + 14, nullptr, 10) * 1024;
  return 0;
}
size_t heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

struct Timer {
  double c0 = cpu_seconds(), w0 = wall_seconds();
  double cpu() const { return cpu_seconds() - c0; }
  double wall() const { return wall_seconds() - w0; }
};

// ---- the population ----
std::string ip_of(uint64_t j) {
  return std::to_string(20 + ((j >> 16) % 200)) + "." + std::to_string((j >> 8) & 255) + "." +
         std::to_string(j & 255);
}
std::string sender_domain(uint64_t j) { return "s" + std::to_string(j) + ".example"; }
std::string key_of(uint64_t i) {
  const uint64_t j = i / 5;
  switch (i % 5) {
    case 0: return "ip:" + ip_of(j) + ".1";
    case 1: return "net:" + ip_of(j) + ".0/24";
    case 2: return "domain:" + sender_domain(j);
    case 3: return "dkim:" + sender_domain(j);
    default: return "spf:" + sender_domain(j);
  }
}
Event event_of(uint64_t j, int64_t t) {
  Event e;
  e.time = t;
  e.ip = *IpAddress::parse(ip_of(j) + ".1");
  e.mail_from = "b@" + sender_domain(j);
  e.from = "n@" + sender_domain(j);
  e.dkim_domains = {sender_domain(j)};
  e.spf = e.dkim = e.dmarc = AuthResult::kPass;
  e.fcrdns = true;
  e.list_unsubscribe_one_click = j % 2 == 1;
  e.verdict = j % 3 == 0 ? Verdict::kSpam : Verdict::kHam;
  e.recipients = 1 + static_cast<uint32_t>(j % 5);
  return e;
}
// The delta a message from sender j stands for (3-5 metrics).
Counters delta_for(uint64_t j, int64_t t) {
  Counters d;
  d.t = t;
  const float n = static_cast<float>(1 + j % 5);
  auto put = [&](Metric m) {
    for (size_t w = 0; w < kWindowCount; ++w) d.v[Counters::index(m, static_cast<Window>(w))] = n;
  };
  put(Metric::kVolume);
  put(Metric::kAuthAligned);
  put(Metric::kFcrdns);
  if (j % 2 == 1) put(Metric::kOneClick);
  if (j % 3 == 0) put(Metric::kSpamVerdict);
  return d;
}

// Keys built once, outside every timed loop (one buffer, not 10 M strings).
struct Keys {
  std::string buf;
  std::vector<uint64_t> ends;
  explicit Keys(uint64_t n) {
    ends.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      buf += key_of(i);
      ends.push_back(buf.size());
    }
  }
  std::string_view operator[](uint64_t i) const {
    const uint64_t b = i ? ends[i - 1] : 0;
    return std::string_view(buf).substr(b, ends[i] - b);
  }
  uint64_t size() const { return ends.size(); }
};

// Identities drawn ahead for a timed loop, their names copied in draw order:
// the loop reads them sequentially, so the benchmark's own key pool adds no
// cache misses to the store's.
struct Drawn {
  std::vector<uint64_t> index;
  std::string buf;
  std::vector<uint32_t> len;
  Drawn(const Keys& keys, uint64_t n, uint64_t count, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint64_t> pick(0, n - 1);
    index.reserve(count);
    len.reserve(count);
    for (uint64_t k = 0; k < count; ++k) {
      index.push_back(pick(rng));
      const std::string_view key = keys[index.back()];
      buf += key;
      len.push_back(static_cast<uint32_t>(key.size()));
    }
  }
};

struct BenchConfig {
  uint64_t updates = 5000000, lookups = 2000000, events = 1000000, record_events = 200000;
  size_t batch = 64, load_batch = 10000, events_per_call = 16;
};

struct Row {
  std::string store;
  uint64_t identities = 0;
  double load_per_wall_s = 0;
  double upd_cpu = 0, upd_wall = 0;
  double ev_cpu = 0, ev_wall = 0;                      // record_counters_only
  double rec_cpu = 0, rec_wall = 0;                    // record
  double look_cpu = 0, look_us = 0, look_best_us = 0;  // get(): per core; median and best round (wall)
  double look_many_us = 0, look_many_cpu_us = 0;       // lookup_many() of look_group keys, per key
  size_t look_group = 0;
  double rss_per_identity = -1;  // RSS delta over the load / identities
  double bytes_per_identity = -1;
  std::string memory_note;
  double ids_per_event = 0;
};

// The benchmark's "now": every update and event is one second later. Atomic:
// RocksDB's compaction threads read it (BenchClock) for the expiry filter.
std::atomic<int64_t> g_time{1700000000};
class BenchClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(g_time.load()));
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};
const BenchClock g_clock;

// Every identity once (large batches). Returns identities/s (wall).
double load(Store& s, const Keys& keys, uint64_t n, size_t batch) {
  std::vector<Update> ups;
  ups.reserve(batch);
  const Timer tm;
  for (uint64_t i = 0; i < n; i += batch) {
    ups.clear();
    for (uint64_t k = i; k < std::min(n, i + batch); ++k)
      ups.push_back({std::string(keys[k]), delta_for(k / 5, g_time)});
    if (auto st = s.merge(ups); !st) {
      std::fprintf(stderr, "reputation_bench: %s load: %s\n", s.name().data(), st.error().message.c_str());
      std::exit(1);
    }
  }
  ++g_time;
  return static_cast<double>(n) / tm.wall();
}

void updates(Store& s, const Keys& keys, uint64_t n, uint64_t count, size_t batch, Row& r) {
  count = (count + batch - 1) / batch * batch;
  const Drawn d(keys, n, count, 7);
  std::vector<Update> ups(batch);
  size_t pos = 0;
  const Timer tm;
  for (uint64_t done = 0; done < count; done += batch) {
    for (size_t k = 0; k < batch; ++k) {
      ups[k].key.assign(d.buf, pos, d.len[done + k]);
      pos += d.len[done + k];
      ups[k].delta = delta_for(d.index[done + k] / 5, ++g_time);
    }
    if (auto st = s.merge(ups); !st) {
      std::fprintf(stderr, "reputation_bench: %s merge: %s\n", s.name().data(), st.error().message.c_str());
      std::exit(1);
    }
  }
  r.upd_cpu = static_cast<double>(count) / tm.cpu();
  r.upd_wall = static_cast<double>(count) / tm.wall();
}

// Lookups of random identities among the n, in `rounds` rounds (the wall
// figure is the median round's: this machine is shared, and a round where
// the process was descheduled says nothing about the store). Two ways:
// get() one key at a time, and lookup_many() of `group` keys at once, as a
// scan asks for a message's identities (counters and class state).
void lookups(Store& s, const Keys& keys, uint64_t n, uint64_t count, Row& r, size_t group = 5,
             int rounds = 10) {
  const Drawn d(keys, n, count, 11);
  const std::string_view buf = d.buf;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  const uint64_t per_round = std::max<uint64_t>(count / static_cast<uint64_t>(rounds), 1);
  uint64_t found = 0;
  std::vector<double> wall, cpu;
  size_t pos = 0;
  for (uint64_t k = 0; k + per_round <= count; k += per_round) {
    const Timer tm;
    for (uint64_t j = k; j < k + per_round; ++j) {
      auto g = s.get(buf.substr(pos, d.len[j]));
      pos += d.len[j];
      if (g && *g) ++found;
    }
    wall.push_back(tm.wall() / static_cast<double>(per_round) * 1e6);
    cpu.push_back(tm.cpu() / static_cast<double>(per_round) * 1e6);
  }
  const uint64_t looked = per_round * wall.size();
  r.look_us = median(wall);
  r.look_best_us = *std::min_element(wall.begin(), wall.end());
  r.look_cpu = 1e6 / median(cpu);
  if (found != looked)
    std::fprintf(stderr, "reputation_bench: %s: %llu of %llu lookups found nothing\n", s.name().data(),
                 static_cast<unsigned long long>(looked - found), static_cast<unsigned long long>(looked));
  // lookup_many: the same keys, `group` at a time.
  std::vector<std::string> batch(group);
  wall.clear();
  cpu.clear();
  found = 0;
  pos = 0;
  const uint64_t per_round_many = per_round / group * group;
  for (uint64_t k = 0; k + per_round_many <= count; k += per_round_many) {
    const Timer tm;
    for (uint64_t j = k; j < k + per_round_many; j += group) {
      for (size_t g = 0; g < group; ++g) {
        batch[g].assign(buf, pos, d.len[j + g]);
        pos += d.len[j + g];
      }
      auto l = s.lookup_many(batch);
      if (l)
        for (const auto& one : *l) found += one.counters.has_value();
    }
    wall.push_back(tm.wall() / static_cast<double>(per_round_many) * 1e6);
    cpu.push_back(tm.cpu() / static_cast<double>(per_round_many) * 1e6);
  }
  if (!wall.empty()) {
    r.look_many_us = median(wall);
    r.look_many_cpu_us = median(cpu);
    r.look_group = group;
    if (found != per_round_many * wall.size())
      std::fprintf(stderr, "reputation_bench: %s: lookup_many found %llu of %llu\n", s.name().data(),
                   static_cast<unsigned long long>(found),
                   static_cast<unsigned long long>(per_round_many * wall.size()));
  }
}

// Events over senders already loaded: a ring of prebuilt events, times set in the loop.
void events(Store& s, uint64_t n, uint64_t count, uint64_t record_count, size_t per_call, Row& r) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  if (!psl) std::exit(1);
  FakeClock clock(1700000000);
  Engine engine(s, clock, Thresholds{}, *psl);
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<uint64_t> pick(0, n / 5 - 1);
  std::vector<Event> ring;
  size_t ids = 0;
  for (int i = 0; i < 4096; ++i) {
    ring.push_back(event_of(pick(rng), 0));
    ids += identities_of(ring.back(), *psl).size();
  }
  r.ids_per_event = static_cast<double>(ids) / static_cast<double>(ring.size());
  const size_t before = s.name() == "memory" ? static_cast<MemoryStore&>(s).size() : 0;
  {
    std::vector<Event> call(per_call);
    const Timer tm;
    for (uint64_t done = 0; done < count; done += per_call) {
      for (size_t k = 0; k < per_call; ++k) {
        call[k] = ring[(done + k) % ring.size()];
        call[k].time = ++g_time;
      }
      if (auto st = engine.record_counters_only(call); !st) {
        std::fprintf(stderr, "reputation_bench: %s events: %s\n", s.name().data(),
                     st.error().message.c_str());
        std::exit(1);
      }
    }
    r.ev_cpu = static_cast<double>(count) / tm.cpu();
    r.ev_wall = static_cast<double>(count) / tm.wall();
  }
  if (record_count) {
    const Timer tm;
    for (uint64_t done = 0; done < record_count; ++done) {
      Event e = ring[done % ring.size()];
      e.time = ++g_time;
      if (auto st = engine.record(e); !st) {
        std::fprintf(stderr, "reputation_bench: %s record: %s\n", s.name().data(),
                     st.error().message.c_str());
        std::exit(1);
      }
    }
    r.rec_cpu = static_cast<double>(record_count) / tm.cpu();
    r.rec_wall = static_cast<double>(record_count) / tm.wall();
  }
  if (s.name() == "memory" && static_cast<MemoryStore&>(s).size() != before)
    std::fprintf(stderr, "reputation_bench: events created %zu identities outside the population\n",
                 static_cast<MemoryStore&>(s).size() - before);
}

#if defined(HAVE_ROCKSDB_STORE)
// Group commit as a caller on an event loop uses it: merge() hands the batch
// to RocksDbStore::merge_async and returns; the event counts as durable when
// its done(ok) runs (on the writer thread). A refused batch (queue full) is
// retried once completions have made room; the loop thread of a real caller
// would hold the events instead. finish() waits for every completion: the
// rate is completions over the wall time until the last one.
class AsyncAck final : public Store {
 public:
  explicit AsyncAck(RocksDbStore& s) : s_(s) {}
  std::string_view name() const override { return "rocksdb-async"; }
  Status merge(std::span<const Update> updates) override {
    for (;;) {
      std::optional<Status> refused;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return in_flight_ < max_in_flight_; });
        ++in_flight_;
      }
      bool inline_call = true;
      s_.merge_async(std::vector<Update>(updates.begin(), updates.end()),
                     [this, &refused, &inline_call](Status st) {
                       if (inline_call && !st && st.error().code == Errc::kTemporary) {
                         refused = std::move(st);
                         return;
                       }
                       const std::lock_guard<std::mutex> lock(mu_);
                       --in_flight_;
                       if (!st) failed_ = st.error().message;
                       ++acked_;
                       cv_.notify_all();
                     });
      inline_call = false;
      if (!refused) return {};
      {
        // Queue full: wait for a completion, then try again.
        std::unique_lock<std::mutex> lock(mu_);
        --in_flight_;
        const uint64_t a = acked_;
        cv_.wait(lock, [&] { return acked_ != a || in_flight_ == 0; });
        ++retries_;
      }
    }
  }
  void finish() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    if (!failed_.empty()) {
      std::fprintf(stderr, "reputation_bench: group commit: %s\n", failed_.c_str());
      std::exit(1);
    }
  }
  uint64_t retries() const { return retries_; }
  Result<std::optional<Counters>> get(std::string_view key) override { return s_.get(key); }
  Status put_state(std::string_view key, std::string_view value) override { return s_.put_state(key, value); }
  Result<std::optional<std::string>> get_state(std::string_view key) override { return s_.get_state(key); }
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override {
    return s_.for_each_key(fn);
  }

 private:
  RocksDbStore& s_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t in_flight_ = 0, acked_ = 0, retries_ = 0;
  const uint64_t max_in_flight_ = 1 << 14;
  std::string failed_;
};

// Updates (random identities, batches of `batch`) and events (counters only)
// through group commit; the rates count up to the last completion.
void group_commit(RocksDbStore& rs, const Keys& keys, uint64_t n, uint64_t count, uint64_t ev_count,
                  size_t batch, size_t per_call, Row& r) {
  AsyncAck a(rs);
  {
    const Timer tm;
    updates(a, keys, n, count, batch, r);
    a.finish();
    count = (count + batch - 1) / batch * batch;
    r.upd_cpu = static_cast<double>(count) / tm.cpu();
    r.upd_wall = static_cast<double>(count) / tm.wall();
  }
  const GroupCommitStats s0 = rs.group_commit_stats();
  {
    const Timer tm;
    events(a, n, ev_count, 0, per_call, r);
    a.finish();
    r.ev_cpu = static_cast<double>(ev_count) / tm.cpu();
    r.ev_wall = static_cast<double>(ev_count) / tm.wall();
  }
  const GroupCommitStats s1 = rs.group_commit_stats();
  char b[300];
  std::snprintf(
      b, sizeof b,
      "events: %llu groups (one WAL fsync each), %.0f events per group, %llu updates folded to %llu "
      "writes; %llu retries after a full queue",
      static_cast<unsigned long long>(s1.groups - s0.groups),
      static_cast<double>(ev_count) / static_cast<double>(std::max<uint64_t>(1, s1.groups - s0.groups)),
      static_cast<unsigned long long>(s1.updates - s0.updates),
      static_cast<unsigned long long>(s1.written - s0.written), static_cast<unsigned long long>(a.retries()));
  r.memory_note = b;
}
#endif

// The store service as rampartd uses it (reputation::StoreService): batches
// of `per_call` message events handed to record() from a caller with a
// current executor (an InlineExecutor: completions run on the writer
// thread), each acknowledged once durable: op ids checked and recorded,
// every queued batch written as one group (one WAL fsync); the senders are
// re-classified afterwards, each once per pass (one MultiGet, one state
// batch), when the queue is empty or 32 k identities wait. A refused batch
// (queue full) waits for completions. The rate counts up to the last
// acknowledgement; the note says when the class states had caught up.
class RefStore final : public Store {
 public:
  explicit RefStore(Store& s) : s_(s) {}
  std::string_view name() const override { return s_.name(); }
  bool thread_safe() const override { return s_.thread_safe(); }
  bool cacheable() const override { return s_.cacheable(); }
  Status merge(std::span<const Update> u) override { return s_.merge(u); }
  Result<size_t> merge_ops(std::span<const OpBatch> ops) override { return s_.merge_ops(ops); }
  Result<std::optional<Counters>> get(std::string_view k) override { return s_.get(k); }
  Result<std::vector<std::optional<Counters>>> get_many(std::span<const std::string> k) override {
    return s_.get_many(k);
  }
  Result<std::vector<Lookup>> lookup_many(std::span<const std::string> k) override {
    return s_.lookup_many(k);
  }
  Status put_state(std::string_view k, std::string_view v) override { return s_.put_state(k, v); }
  Status put_states(std::span<const std::pair<std::string, std::string>> st) override {
    return s_.put_states(st);
  }
  Result<std::optional<std::string>> get_state(std::string_view k) override { return s_.get_state(k); }
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override {
    return s_.for_each_key(fn);
  }

 private:
  Store& s_;
};

long g_cache = -1;  // --cache: ServiceOptions::cache_identities; -1: the default
void through_service(Store& store, uint64_t n, uint64_t count, size_t per_call, Row& r) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  if (!psl) std::exit(1);
  ServiceOptions o;
  o.max_queued_events = 1 << 17;
  if (g_cache >= 0) o.cache_identities = static_cast<size_t>(g_cache);
  StoreService svc(std::make_unique<RefStore>(store), g_clock, Thresholds{}, *psl, o);
  InlineExecutor inline_exec;
  const ScopedExecutor on(&inline_exec);
  std::fprintf(stderr, "reputation_bench: StoreService phase (%llu events)\n",
               static_cast<unsigned long long>(count));
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<uint64_t> pick(0, n / 5 - 1);
  std::vector<Event> ring;
  for (int i = 0; i < 65536; ++i) ring.push_back(event_of(pick(rng), 0));
  std::mutex mu;
  std::condition_variable cv;
  uint64_t acked = 0, sent = 0, refused = 0;
  std::string failed;
  const Timer tm;
  for (uint64_t done = 0; done < count; done += per_call) {
    std::vector<Event> call(per_call);
    for (size_t k = 0; k < per_call; ++k) {
      call[k] = ring[(done + k) % ring.size()];
      call[k].time = ++g_time;
    }
    for (;;) {
      const std::string id = svc.record(call, StoreService::kAnswer, [&, per_call](Status st) {
        const std::lock_guard lk(mu);
        if (!st && st.error().message.find("queue full") != std::string::npos) return;  // refused at once
        if (!st) failed = st.error().message;
        acked += per_call;
        cv.notify_all();
      });
      if (!id.empty()) break;
      std::unique_lock lk(mu);
      ++refused;
      const uint64_t a = acked;
      cv.wait_for(lk, std::chrono::milliseconds(50), [&] { return acked != a; });
    }
    sent += per_call;
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return acked >= sent; });
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "reputation_bench: service: %s\n", failed.c_str());
    std::exit(1);
  }
  r.rec_cpu = static_cast<double>(count) / tm.cpu();
  r.rec_wall = static_cast<double>(count) / tm.wall();
  const double acked_at = tm.wall();
  // The class states catch up after the acknowledgements: until none waits.
  while (svc.stats().to_reclassify > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double settled_at = tm.wall(), settled_cpu = tm.cpu();
  const ServiceStats st = svc.stats();
  char b[900];
  std::snprintf(
      b, sizeof b,
      "events through StoreService: %llu groups (one WAL fsync for the counters + op ids each), %.0f "
      "events per group; %llu identities re-classified in %llu passes (%llu from the cache of recent "
      "counters, the rest one MultiGet per pass; one state batch each), %llu identity writes whose "
      "total the cache knew, %zu cached at the end; class states settled %.2f s after the last "
      "acknowledgement (%.0f events/s wall, %.0f per core counting to then); %llu batches refused (queue "
      "full) and sent again",
      static_cast<unsigned long long>(st.groups),
      static_cast<double>(count) / static_cast<double>(std::max<uint64_t>(1, st.groups)),
      static_cast<unsigned long long>(st.reclassified), static_cast<unsigned long long>(st.reclassify_passes),
      static_cast<unsigned long long>(st.reclassify_cache_hits),
      static_cast<unsigned long long>(st.writer_known), st.cached_identities, settled_at - acked_at,
      static_cast<double>(count) / settled_at, static_cast<double>(count) / settled_cpu,
      static_cast<unsigned long long>(refused));
  r.memory_note = b;
}

std::string si(double x) {
  char b[32];
  if (x <= 0)
    return "-";
  else if (x >= 1e6)
    std::snprintf(b, sizeof b, "%.2f M", x / 1e6);
  else if (x >= 1e3)
    std::snprintf(b, sizeof b, "%.0f k", x / 1e3);
  else
    std::snprintf(b, sizeof b, "%.0f", x);
  return b;
}

uint64_t dir_bytes(const std::string& dir, bool sst_only) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && (!sst_only || e.path().extension() == ".sst")) n += e.file_size(ec);
  return n;
}

#if defined(HAVE_REDIS_STORE)
// Sum of used_memory over the masters.
int64_t redis_used_memory(RedisCluster& c) {
  auto r = c.on_masters({"INFO", "memory"});
  if (!r) return -1;
  int64_t sum = 0;
  for (const auto& [node, reply] : *r) {
    const size_t p = reply.str.find("used_memory:");
    if (p == std::string::npos) return -1;
    sum += std::strtoll(reply.str.c_str() + p + 12, nullptr, 10);
  }
  return sum;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  uint64_t identities = 10000000, redis_identities = 0;
  BenchConfig cfg;
  std::string rocks_dir, redis;
  bool compact = true, memory = true, service_only = false, resident = true;
  long successive = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--identities")
      identities = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--updates")
      cfg.updates = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--batch")
      cfg.batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--load-batch")
      cfg.load_batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--rocksdb")
      rocks_dir = next();
    else if (a == "--redis")
      redis = next();
    else if (a == "--redis-identities")
      redis_identities = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--no-compact")
      compact = false;
    else if (a == "--service-only")  // RocksDB: load, then only the StoreService row (profiling)
      service_only = true;
    else if (a == "--no-memory")
      memory = false;
    else if (a == "--no-resident")  // RocksDB: counters in RocksDB's keys, not resident in memory
      resident = false;
    else if (a == "--max-successive-merges")
      successive = std::strtol(next().c_str(), nullptr, 10);
    else if (a == "--cache")  // StoreService's cache of recent counters (identities; 0: off)
      g_cache = std::strtol(next().c_str(), nullptr, 10);
    else {
      std::fprintf(
          stderr,
          "usage: reputation_bench [--identities N] [--updates N] [--batch N] [--load-batch N] "
          "[--rocksdb DIR] [--redis host:port,...] [--redis-identities N] [--no-compact] [--no-memory] "
          "[--service-only] [--no-resident] [--cache N] [--max-successive-merges N]\n");
      return 2;
    }
  }
  if (identities < 5 || cfg.batch == 0 || cfg.load_batch == 0) return 2;
  if (redis_identities == 0 || redis_identities > identities) redis_identities = identities;
  cfg.lookups = std::min<uint64_t>(cfg.lookups, std::max<uint64_t>(cfg.updates / 2, 1));
  cfg.events = std::min<uint64_t>(cfg.events, std::max<uint64_t>(cfg.updates / 5, 16));
  cfg.record_events = std::min<uint64_t>(cfg.record_events, cfg.events);

  std::printf(
      "reputation_bench: %llu identities (3-5 of 11 metrics each; keys ip:, net:, domain:, dkim:, spf:)\n",
      static_cast<unsigned long long>(identities));
  std::printf(
      "update = one identity's delta in a Store::merge() batch of %zu; event = one message event through "
      "Engine "
      "(record_counters_only: %zu events per call; record: merge + re-classify the sender identities)\n",
      cfg.batch, cfg.events_per_call);
  std::printf(
      "per core = CPU time of this process; load phase: batches of %zu updates (every identity once)\n\n",
      cfg.load_batch);
  std::fflush(stdout);

  const Timer total;
  const Keys keys(identities);
  std::vector<Row> rows;
  // ---- in-memory ----
  if (memory) {
    Row r;
    r.store = "memory";
    r.identities = identities;
    const size_t rss0 = rss_bytes(), heap0 = heap_bytes();
    auto m = std::make_unique<MemoryStore>();
    r.load_per_wall_s = load(*m, keys, identities, cfg.load_batch);
    const size_t rss1 = rss_bytes(), heap1 = heap_bytes();
    const double n = static_cast<double>(m->size());
    r.bytes_per_identity = static_cast<double>(m->memory_bytes()) / n;
    r.rss_per_identity = (static_cast<double>(rss1) - static_cast<double>(rss0)) / n;
    char b[200];
    std::snprintf(b, sizeof b,
                  "store's own count; RSS delta %.1f B, heap delta %.1f B; %.0f MB in huge pages",
                  r.rss_per_identity, (static_cast<double>(heap1) - static_cast<double>(heap0)) / n,
                  static_cast<double>(huge_bytes()) / 1e6);
    r.memory_note = b;
    updates(*m, keys, identities, cfg.updates, cfg.batch, r);
    lookups(*m, keys, identities, cfg.lookups, r);
    events(*m, identities, cfg.events, cfg.record_events, cfg.events_per_call, r);
    rows.push_back(r);
    std::fprintf(stderr, "reputation_bench: memory done (%.0f s)\n", total.wall());
  }
#if defined(HAVE_ROCKSDB_STORE)
  if (!rocks_dir.empty()) {
    const std::string dir = rocks_dir + "/db";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    double load_rate = 0;
    std::string disk_note;
    double disk_per_id = -1;
    for (bool sync : {false, true}) {
      RocksOptions o;
      o.sync = sync;
      if (successive >= 0) o.max_successive_merges = static_cast<size_t>(successive);
      o.clock = &g_clock;  // expiry judged at the benchmark's time, not today's
      o.resident = resident;
      const size_t rss0 = rss_bytes();
      auto s = RocksDbStore::open(dir, o);
      if (!s) {
        std::fprintf(stderr, "reputation_bench: %s\n", s.error().message.c_str());
        return 1;
      }
      Row r;
      r.identities = identities;
      r.store = sync ? "rocksdb, WAL fsync per merge" : "rocksdb, no fsync";
      if (!sync) {
        load_rate = load(**s, keys, identities, cfg.load_batch);
        (void)(*s)->flush();
        const uint64_t as_is = dir_bytes(dir, false);
        char b[200];
        if (compact) {
          (void)(*s)->compact();
          const uint64_t c = dir_bytes(dir, false);
          disk_per_id = static_cast<double>(c) / static_cast<double>(identities);
          std::snprintf(b, sizeof b,
                        "disk after full compaction (as loaded, flushed: %.0f B); process RSS %+.0f MB",
                        static_cast<double>(as_is) / static_cast<double>(identities),
                        (static_cast<double>(rss_bytes()) - static_cast<double>(rss0)) / 1e6);
        } else {
          disk_per_id = static_cast<double>(as_is) / static_cast<double>(identities);
          std::snprintf(b, sizeof b, "disk as loaded (flushed, not compacted); process RSS %+.0f MB",
                        (static_cast<double>(rss_bytes()) - static_cast<double>(rss0)) / 1e6);
        }
        disk_note = b;
        r.load_per_wall_s = load_rate;
        r.bytes_per_identity = disk_per_id;
        r.memory_note = disk_note;
      }
      // fsync per merge bounds the rate by the disk: fewer operations for it.
      const uint64_t nu =
          sync ? std::min<uint64_t>(cfg.updates, cfg.batch * 1000) : std::min<uint64_t>(cfg.updates, 500000);
      if (!service_only) {
        updates(**s, keys, identities, nu, cfg.batch, r);
        if (!sync) lookups(**s, keys, identities, std::min<uint64_t>(cfg.lookups, 200000), r);
        events(**s, identities, sync ? 8000 : 40000, sync ? 1000 : 10000, cfg.events_per_call, r);
        rows.push_back(r);
        std::fprintf(stderr, "reputation_bench: %s done (%.0f s)\n", r.store.c_str(), total.wall());
      }
      if (sync && service_only) {
        Row v;
        v.identities = identities;
        v.store = "rocksdb, WAL fsync, StoreService (op ids, group commit, re-classified)";
        through_service(**s, identities, std::min<uint64_t>(cfg.events, 1000000), cfg.events_per_call, v);
        rows.push_back(v);
      } else if (sync) {
        Row g;
        g.identities = identities;
        g.store = "rocksdb, WAL fsync, group commit (merge_async)";
        group_commit(**s, keys, identities, std::min<uint64_t>(cfg.updates, 2000000),
                     std::min<uint64_t>(cfg.events, 1000000), cfg.batch, cfg.events_per_call, g);
        rows.push_back(g);
        std::fprintf(stderr, "reputation_bench: %s done (%.0f s)\n", g.store.c_str(), total.wall());
        Row v;
        v.identities = identities;
        v.store = "rocksdb, WAL fsync, StoreService (op ids, group commit, re-classified)";
        through_service(**s, identities, std::min<uint64_t>(cfg.events, 1000000), cfg.events_per_call, v);
        rows.push_back(v);
        std::fprintf(stderr, "reputation_bench: %s done (%.0f s)\n", v.store.c_str(), total.wall());
      }
    }
    std::filesystem::remove_all(dir);
  }
#endif
#if defined(HAVE_REDIS_STORE)
  if (!redis.empty()) {
    RedisStoreOptions o;
    std::stringstream ss(redis);
    for (std::string seed; std::getline(ss, seed, ',');) o.cluster.seeds.push_back(seed);
    o.cluster.io_timeout = std::chrono::milliseconds(10000);
    auto s = RedisClusterStore::open(o);
    if (!s) {
      std::fprintf(stderr, "reputation_bench: %s\n", s.error().message.c_str());
      return 1;
    }
    Row r;
    r.store = "redis cluster (WAIT 1, idempotent, one client)";
    r.identities = redis_identities;
    RedisCluster& c = (*s)->cluster();
    const int64_t mem0 = redis_used_memory(c);
    {
      // Load: the records themselves (sparse layout) with pipelined SETs (not the merge
      // script: 10 M script calls would take minutes); no WAIT.
      std::vector<RedisCluster::Request> reqs;
      const Timer tm;
      for (uint64_t i = 0; i < redis_identities; i += cfg.load_batch) {
        reqs.clear();
        for (uint64_t k = i; k < std::min(redis_identities, i + cfg.load_batch); ++k) {
          std::string key = "rep{" + std::string(keys[k]) + "}";
          reqs.push_back({key, {"SET", key, encode_sparse(delta_for(k / 5, g_time))}});
        }
        auto rep = c.pipeline(reqs, 0);
        if (!rep) {
          std::fprintf(stderr, "reputation_bench: redis load: %s\n", rep.error().message.c_str());
          return 1;
        }
      }
      r.load_per_wall_s = static_cast<double>(redis_identities) / tm.wall();
    }
    const int64_t mem1 = redis_used_memory(c);
    if (mem0 >= 0 && mem1 >= 0) {
      r.bytes_per_identity = static_cast<double>(mem1 - mem0) / static_cast<double>(redis_identities);
      r.memory_note = "used_memory delta summed over the 3 masters (replicas hold as much again)";
    }
    updates(**s, keys, redis_identities, std::min<uint64_t>(cfg.updates, 200000), cfg.batch, r);
    lookups(**s, keys, redis_identities, std::min<uint64_t>(cfg.lookups, 20000), r);
    events(**s, redis_identities, 10000, 1000, cfg.events_per_call, r);
    rows.push_back(r);
    std::fprintf(stderr, "reputation_bench: redis done (%.0f s)\n", total.wall());
  }
#endif

  std::printf(
      "| store | identities | load/s (wall) | updates/s per core | updates/s (wall) | events/s per core, "
      "counters only "
      "| events/s (wall), counters only | events/s per core, record | events/s (wall), record | lookups/s "
      "per core "
      "| lookup us (wall) | bytes per identity |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    char bpi[32] = "-";
    if (r.bytes_per_identity >= 0) std::snprintf(bpi, sizeof bpi, "%.0f", r.bytes_per_identity);
    char us[32] = "-";
    if (r.look_us > 0) std::snprintf(us, sizeof us, "%.2f", r.look_us);
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.store.c_str(),
                si(static_cast<double>(r.identities)).c_str(), si(r.load_per_wall_s).c_str(),
                si(r.upd_cpu).c_str(), si(r.upd_wall).c_str(), si(r.ev_cpu).c_str(), si(r.ev_wall).c_str(),
                si(r.rec_cpu).c_str(), si(r.rec_wall).c_str(), si(r.look_cpu).c_str(), us, bpi);
  }
  std::printf("| goal (issue 5, in memory) | 10 M | | >= 1 M | | | | | | | < 1 | < 100 |\n\n");
  for (const Row& r : rows) {
    std::printf("%s: %.1f identities per event", r.store.c_str(), r.ids_per_event);
    if (!r.memory_note.empty()) std::printf("; bytes per identity: %s", r.memory_note.c_str());
    std::printf("\n");
  }
  double load_now = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load_now) != 1) load_now = -1;
    std::fclose(f);
  }
  for (const Row& r : rows) {
    if (r.store.find("(merge_async)") != std::string::npos)
      std::printf(
          "\ngoal (issue 11): RocksDB durable (WAL fsync'd) >= 200 k events/s with group commit: %s "
          "events/s wall, counters only through merge_async (%s)\n",
          si(r.ev_wall).c_str(), r.ev_wall >= 200e3 ? "met" : "NOT met");
    if (r.store.find("StoreService") != std::string::npos)
      std::printf(
          "goal (issue 11): the same through reputation::StoreService as rampartd writes (op ids, "
          "re-classification): %s events/s wall, %s per core (%s; load average %.1f on %ld cores at the "
          "end)\n",
          si(r.rec_wall).c_str(), si(r.rec_cpu).c_str(), r.rec_wall >= 200e3 ? "met" : "NOT met", load_now,
          sysconf(_SC_NPROCESSORS_ONLN));
  }
  if (!rows.empty() && rows.front().store == "memory") {
    const Row& m = rows.front();
    auto met = [](bool ok) { return ok ? "met" : "NOT met"; };
    std::printf("\ngoals (issue 5, in-memory store at %s identities):\n",
                si(static_cast<double>(m.identities)).c_str());
    std::printf("  >= 1 M identity updates/s per core: %s (%s)\n", si(m.upd_cpu).c_str(),
                met(m.upd_cpu >= 1e6));
    std::printf(
        "     through Engine::record_counters_only: %s events/s per core x %.1f identities = %s updates/s "
        "(%s)\n",
        si(m.ev_cpu).c_str(), m.ids_per_event, si(m.ev_cpu * m.ids_per_event).c_str(),
        met(m.ev_cpu * m.ids_per_event >= 1e6));
    std::printf("  lookups < 1 us: %.2f us wall, %.2f us CPU (%s)\n", m.look_us, 1e6 / m.look_cpu,
                met(m.look_us < 1.0));
    std::printf("  < 100 bytes per identity: %.0f B (%s)\n", m.bytes_per_identity,
                met(m.bytes_per_identity < 100));
    double load1 = -1;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (std::fscanf(f, "%lf", &load1) != 1) load1 = -1;
      std::fclose(f);
    }
    std::printf(
        "\ngoals (issue 11, reputation at provider scale: %s identities in the embedded MemoryStore, one "
        "thread, random keys, warm; load average %.1f on %ld cores while measured):\n",
        si(static_cast<double>(m.identities)).c_str(), load1, sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("  bytes per identity (RSS delta / identities) %.1f B, goal <= 100 B: %s\n",
                m.rss_per_identity, met(m.rss_per_identity > 0 && m.rss_per_identity <= 100));
    std::printf("  updates/s per core %s, goal >= 1 M: %s\n", si(m.upd_cpu).c_str(), met(m.upd_cpu >= 1e6));
    if (m.look_group)
      std::printf(
          "  us per lookup, lookup_many of %zu keys (a message's identities, as a scan asks) %.3f us wall "
          "(median of rounds; %.3f us CPU), goal <= 0.5 us: %s\n",
          m.look_group, m.look_many_us, m.look_many_cpu_us, met(m.look_many_us <= 0.5));
    std::printf(
        "  us per lookup, get() one key at a time %.3f us wall (median of rounds; best %.3f; %.3f us CPU), "
        "goal <= 0.5 us: %s\n",
        m.look_us, m.look_best_us, 1e6 / m.look_cpu, met(m.look_us <= 0.5));
  }
  std::printf("\npeer anchors: none for reputation stores in shared/docs/ANCHORS.md\n");
  std::printf("total %.0f s\n", total.wall());
  return 0;
}

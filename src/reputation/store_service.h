// File: src/reputation/store_service.h
// StoreService: the reputation store off the event loop (issue 11: no
// blocking call on a loop thread, ever). It owns the Store and an Engine
// over it and runs every call that may block on threads of its own:
//
//   reputation::StoreService svc(std::move(store), clock, thresholds, psl);
//   // On a loop thread (current_executor() set, core/executor.h):
//   svc.report_many(keys, std::chrono::milliseconds(200), [](Result<std::vector<Report>> r) {...});
//   svc.record(std::move(events), StoreService::kAnswer, [](Status st) {...});   // 200 once durable
//   svc.record(std::move(events), StoreService::kKeep, nullptr);                 // scan events
//   svc.run([] { classifier.learn(...); }, [] { ... });                          // learning, saves
//   Result<std::vector<Report>> r = co_await svc.reports(keys, budget);          // in a coroutine
//   // SIGTERM: svc.drain(deadline, data_dir + "/spool"); at start: svc.replay_spool(dir).
//
// Threads: one writer (every write), `readers` readers (lookups for scans and
// GET /v1/reputation), one re-classifier, one worker (run(): learning, model
// saves) and one timer (read budgets). Store calls run side by side only when
// the store is thread_safe(); else they take turns on one mutex. Each
// completion is posted back to the executor that was current when the call
// was made (the caller's loop). With no current executor (tools, tests, the
// main thread after the loops stopped) the call runs at once on the calling
// thread and `done` before the call returns: there is no loop to block.
//
// Reads: a bounded queue (max_queued_reads); full: done(kTemporary) at once.
// Each read has a budget: past it done(kTemporary "timed out") is posted and
// the store's late answer is dropped; a read whose budget ran out while it
// waited in the queue is not sent to the store at all.
//
// Writes: each record() call is a batch of events given an operation id when
// it is accepted ("<node>-<boot>-<seq>", node random per process); the id
// stays with the batch through retries and the spool, and the store applies
// it once (Store::merge_ops). The writer takes every batch queued (up to
// max_group_events events) and writes their counters as one
// Engine::write_ops: one store write, one WAL sync with RocksDB (group
// commit), one pipelined round trip per node with Redis. A batch is
// acknowledged (done(ok)) once its counters and op id are durable. The sender
// identities written are then re-classified by the re-classifier thread,
// each once per pass however many events touched it (Engine::reclassify: one
// lookup_many, one put_states); class states are derived from the counters,
// so a pass that fails, or identities past 1 M waiting, are simply redone at
// their next event. Reads see a state at most one pass late (the class itself
// is computed from the counters at read time). Queue bounded by events (max_queued_events);
// a batch that does not fit is refused at once with kTemporary. Two modes:
//   kAnswer  the caller waits (HTTP writes): done(ok) once the batch is
//            durable, done(error) at the first store error (not retried:
//            the client sends again; 503).
//   kKeep    nobody waits (events of scanned messages): retried with the
//            same op id, backing off from retry_initial to retry_max, while
//            the store is down; it stays in the bounded queue meanwhile.
//
// Cache of recent counters (ServiceOptions::cache_identities; only for a
// store that is Store::cacheable(), i.e. RocksDB): counters and class states
// of identities written or read recently, exact (README "Cache of recent
// counters"). The re-classifier reads it instead of the store; report_many()
// whose identities are all in it answers on the caller's loop at once (no
// thread hop); the writer writes the totals it knows whole.
//
// drain(deadline, dir): stops taking writes, lets the writer apply what is
// queued until `deadline`, then writes what is left (kKeep batches and
// unanswered kAnswer ones, whose callers get kTemporary) to one spool file
// in `dir`, fsync'd (file and directory), and stops the threads. One line per
// event: "<op id> <event JSON>" (event_json.h). replay_spool(dir) at the
// next start applies every spool file's batches with their op ids, each once
// however often replayed, then removes the file.
//
// DIAGNOSTICS: errors are the store's (kIo, kTemporary) or kTemporary for a
// full queue, a budget run out, or a service draining. Nothing throws.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "core/clock.h"
#include "core/executor.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/task.h"
#include "reputation/engine.h"
#include "reputation/store.h"

namespace rampart::reputation {

struct ServiceOptions {
  size_t readers = 1;  // reader threads (1-2)
  size_t max_queued_reads = 1024;
  size_t max_queued_events = 100000;
  size_t max_group_events = 16384;  // events in one store write at most
  std::chrono::milliseconds retry_initial{100}, retry_max{5000};
  // FOR TESTS ONLY: the writer sleeps this long before each group's store
  // write (after taking it: the group is in flight meanwhile), as a stalled
  // disk would hold it; [reputation] debug_write_delay_ms. 0: off.
  std::chrono::milliseconds write_delay{0};
  // Set: the time of each store read (one report_many) and each group write
  // (one write_ops), measured on the service's threads (core/metrics.h).
  Histogram* read_seconds = nullptr;
  Histogram* write_seconds = nullptr;
  // The cache of recent counters: identities (their counters and class
  // state) kept in memory, at most (an estimated ~340 bytes each); 0: off,
  // the default: on reputation_bench it cost more than it saved (README).
  size_t cache_identities = 0;
};

struct ServiceStats {
  uint64_t reads = 0, read_errors = 0, read_timeouts = 0, reads_refused = 0, reads_skipped = 0;
  uint64_t groups = 0, batches = 0, events = 0, duplicates = 0, write_errors = 0, writes_refused = 0;
  uint64_t retries = 0, spooled = 0, replayed = 0, jobs = 0;
  uint64_t reclassify_passes = 0, reclassified = 0, reclassify_errors = 0, reclassify_skipped = 0;
  // The cache of recent counters: reads answered from it on the caller's
  // loop, re-classifications that read nothing, identity writes whose
  // total the cache knew (written whole), identities in it now.
  uint64_t reads_cached = 0, reclassify_cache_hits = 0, writer_known = 0;
  size_t cached_identities = 0;
  size_t queued_events = 0, queued_reads = 0;
  size_t to_reclassify = 0;   // waiting, and in the pass in progress (0: states and stats settled)
  size_t writing_events = 0;  // of queued_events, those in the group being written now
};

class StoreService {
 public:
  enum Mode { kAnswer, kKeep };
  using ReportsDone = std::function<void(Result<std::vector<Report>>)>;
  using StatusDone = std::function<void(Status)>;

  StoreService(std::unique_ptr<Store> store, const Clock& clock, Thresholds th,
               const dmarc::PublicSuffixList& psl, ServiceOptions o = {});
  // Stops the threads; batches still queued are dropped (call drain() first).
  ~StoreService();
  StoreService(const StoreService&) = delete;
  StoreService& operator=(const StoreService&) = delete;

  // Reports of `identities` (Engine::report_many) within `budget`.
  void report_many(std::vector<std::string> identities, std::chrono::milliseconds budget, ReportsDone done);
  Task<Result<std::vector<Report>>> reports(std::vector<std::string> identities,
                                            std::chrono::milliseconds budget);
  // Queues `events` as one batch; returns its op id ("" when refused: done
  // got kTemporary). Events with time 0 are stamped with the clock now.
  std::string record(std::vector<Event> events, Mode mode, StatusDone done);
  // record(events, kKeep, nullptr) that hands the events back when refused:
  // accepted, they are moved out; refused ("" returned), `events` holds them
  // still (stamped), for the caller to keep without having copied them.
  std::string record_keep(std::vector<Event>& events);
  Task<Status> recorded(std::vector<Event> events);  // kAnswer, awaitable
  // `work` on the worker thread, then `done` on the caller's loop.
  void run(std::function<void()> work, std::function<void()> done);

  // Blocking (never on a loop thread): see above; `more` (events not yet
  // handed over) join the queue as one kKeep batch first. Empty spool_dir:
  // what is left is dropped (and counted in the result). Returns the events
  // not written (spooled).
  Result<size_t> drain(std::chrono::steady_clock::time_point deadline, const std::string& spool_dir,
                       std::vector<Event> more = {});
  // Blocking, at start before any loop runs. Returns batches applied now.
  Result<size_t> replay_spool(const std::string& spool_dir);

  ServiceStats stats() const;
  const std::string& node() const;
  Engine& engine();  // for calls off the loops only (tools, tests)
  Store& store();

  struct Impl;

 private:
  std::string record_impl(std::vector<Event>& events, Mode mode, StatusDone done, bool give_back);
  std::shared_ptr<Impl> impl_;
};

// The awaitable form of a callback API: `co_await await_callback<T>([&](auto done) { api(..., done); })`.
template <typename T, typename Start>
struct CallbackAwaiter {
  Start start;
  std::optional<T> value;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    // The callback may run before start() returns (no loop: inline), then
    // the coroutine goes on without suspending.
    auto state = std::make_shared<std::atomic<int>>(0);  // 1: suspended, 2: completed
    start([this, h, state](T v) {
      value.emplace(std::move(v));
      if (state->exchange(2) == 1) h.resume();
    });
    int expected = 0;
    return state->compare_exchange_strong(expected, 1);
  }
  T await_resume() { return std::move(*value); }
};

}  // namespace rampart::reputation

// File: src/reputation/store_service.cc
// The reputation store on threads of its own (see store_service.h).
#include "reputation/store_service.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
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
  void at(Steady::time_point t, std::function<void()> fn) {
    {
      const std::lock_guard lk(mu_);
      q_.emplace(t, std::move(fn));
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      if (q_.empty()) {
        cv_.wait(lk);
        continue;
      }
      const auto t = q_.begin()->first;
      if (Steady::now() < t) {
        cv_.wait_until(lk, t);
        continue;
      }
      auto fn = std::move(q_.begin()->second);
      q_.erase(q_.begin());
      lk.unlock();
      fn();
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Steady::time_point, std::function<void()>> q_;
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

}  // namespace

struct StoreService::Impl {
  struct ReadJob {
    std::vector<std::string> ids;
    ReportsDone done;
    Executor* ex = nullptr;
    Steady::time_point deadline;
    std::shared_ptr<std::atomic<bool>> finished;
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
      : store(std::move(s)), clock(c), engine(*store, c, th, psl), opt(o) {
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
      Result<std::vector<Report>> r = [&] {
        auto turn = store_turn();
        return engine.report_many(j.ids);
      }();
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
        part.assign(std::make_move_iterator(dirty.end() - kReclassifyPass),
                    std::make_move_iterator(dirty.end()));
        dirty.resize(dirty.size() - kReclassifyPass);
        for (const auto& p : part) dirty_at.erase(p.first.key);
      }
      reclassifying = part.size();  // still counted in to_reclassify until the pass is done
    }
    Status st = [&] {
      auto turn = store_turn();
      return engine.reclassify(part);
    }();
    const std::lock_guard lk(mu);
    reclassifying = 0;
    ++stats.reclassify_passes;
    stats.reclassified += part.size();
    if (!st) ++stats.reclassify_errors;
  }

  void write_loop() {
    std::vector<EventBatch> group;
    std::vector<WriteMeta> metas;
    Engine::Senders senders;
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
        return engine.write_ops(group, senders);  // acknowledged once the counters are durable
      }();
      if (opt.write_seconds)
        opt.write_seconds->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
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
          for (auto& [id, t] : senders) {
            if (dirty.size() >= kMaxDirty && !dirty_at.count(id.key)) {
              ++stats.reclassify_skipped;  // re-classified at its next event
              continue;
            }
            auto [it, fresh] = dirty_at.try_emplace(id.key, dirty.size());
            if (fresh) {
              dirty.emplace_back(std::move(id), t);
            } else {
              dirty[it->second].second = std::max(dirty[it->second].second, t);
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
  std::vector<EventBatch>* inflight = nullptr;  // the group being written (writer thread's)
  std::vector<WriteMeta>* inflight_metas = nullptr;
  // Identities written and not yet re-classified (under mu).
  Engine::Senders dirty;
  std::unordered_map<std::string, size_t> dirty_at;
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
    Result<std::vector<Report>> r = [&] {
      auto turn = m.store_turn();
      return m.engine.report_many(identities);
    }();
    done(std::move(r));
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
    m.timer.at(j.deadline, [finished = j.finished, ex, budget, shared_done, impl = impl_.get()] {
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
      return m.engine.record_ops(std::span<const EventBatch>(&j.batch, 1));
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
        return m.engine.record_ops(part);
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
  return s;
}

const std::string& StoreService::node() const { return impl_->node; }
Engine& StoreService::engine() { return impl_->engine; }
Store& StoreService::store() { return *impl_->store; }

}  // namespace rampart::reputation

// File: src/core/executor.h
// Executor: the event loop a piece of code runs on. Work that completes on
// another thread (a store's writer thread, a Redis client thread, learning)
// brings its completion back with post(); the loop runs it on its own thread.
//
//   Executor* loop = current_executor();          // the loop of this thread, or null
//   store_thread.submit([loop, done = std::move(done)] {
//     auto r = slow_call();
//     loop->post([done, r] { done(r); });         // runs on the loop's thread
//   });
//
//   // In a coroutine (core/task.h): hop onto a loop.
//   co_await resume_on(*loop);
//
// Each loop thread sets itself as the thread's current executor (the
// server's loops do this first thing); code outside a loop sees null and
// must not expect post-backs (tests use InlineExecutor or ManualExecutor).
// post() is thread-safe and never blocks; a posted function runs exactly
// once unless the loop is destroyed first (then it is dropped, never run on
// another thread).
#pragma once

#include <coroutine>
#include <deque>
#include <functional>
#include <mutex>

namespace rampart {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> fn) = 0;
};

namespace detail {
inline Executor*& current_executor_slot() {
  static thread_local Executor* e = nullptr;
  return e;
}
}  // namespace detail

inline Executor* current_executor() { return detail::current_executor_slot(); }

// Sets the thread's current executor for its lifetime, restoring the previous one.
class ScopedExecutor {
 public:
  explicit ScopedExecutor(Executor* e) : prev_(detail::current_executor_slot()) {
    detail::current_executor_slot() = e;
  }
  ~ScopedExecutor() { detail::current_executor_slot() = prev_; }
  ScopedExecutor(const ScopedExecutor&) = delete;
  ScopedExecutor& operator=(const ScopedExecutor&) = delete;

 private:
  Executor* prev_;
};

// Runs posted functions at once on the posting thread (unit tests, tools).
class InlineExecutor final : public Executor {
 public:
  void post(std::function<void()> fn) override { fn(); }
};

// Queues posted functions until run_pending() (unit tests that step a loop by hand).
class ManualExecutor final : public Executor {
 public:
  void post(std::function<void()> fn) override {
    std::lock_guard lk(mu_);
    q_.push_back(std::move(fn));
  }
  // Runs what is queued now (and what those post meanwhile); returns how many ran.
  size_t run_pending() {
    size_t n = 0;
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lk(mu_);
        if (q_.empty()) return n;
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
      ++n;
    }
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> q_;
};

// co_await resume_on(loop): the coroutine continues on `loop`'s thread.
struct ResumeOn {
  Executor& ex;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    ex.post([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};
inline ResumeOn resume_on(Executor& ex) { return ResumeOn{ex}; }

}  // namespace rampart

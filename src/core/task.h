// File: src/core/task.h
// Task<T>: a lazy C++20 coroutine for protocol logic that waits on DNS (or
// any callback-based source) without threads and without blocking.
//
//   Task<int> child() { auto a = co_await something; co_return 42; }
//   Task<int> parent() { int v = co_await child(); co_return v + 1; }
//   start(parent(), [](int v) { ... });   // runs until the first real wait
//
// Awaiting a child uses symmetric transfer, so long chains of synchronous
// completions (cache hits) do not grow the stack. A Task owns its frame;
// a started task frees itself when it completes. Exceptions are not used:
// an escaping exception terminates (the data path returns Result<T>).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <utility>

namespace rampart {

namespace detail {
// Coroutine frames come and go at a high rate (one per awaited call); a small
// per-thread free list per 64-byte size class keeps them off malloc. At most
// kFramesKept frames per class are kept; larger frames use operator new.
struct FramePool {
  static constexpr std::size_t kClass = 64, kClasses = 32, kFramesKept = 64;
  struct Node {
    Node* next;
  };
  Node* heads[kClasses] = {};
  std::size_t counts[kClasses] = {};
  ~FramePool() {
    for (auto* h : heads)
      while (h) {
        Node* n = h->next;
        ::operator delete(h);
        h = n;
      }
  }
  static FramePool& get() {
    static thread_local FramePool pool;
    return pool;
  }
  void* alloc(std::size_t n) {
    const std::size_t c = (n + kClass - 1) / kClass;
    if (c >= kClasses) return ::operator new(n);
    if (Node* h = heads[c]) {
      heads[c] = h->next;
      --counts[c];
      return h;
    }
    return ::operator new(c* kClass);
  }
  void free(void* p, std::size_t n) {
    const std::size_t c = (n + kClass - 1) / kClass;
    if (c >= kClasses || counts[c] >= kFramesKept) {
      ::operator delete(p);
      return;
    }
    Node* node = static_cast<Node*>(p);
    node->next = heads[c];
    heads[c] = node;
    ++counts[c];
  }
};
struct PooledFrame {
  static void* operator new(std::size_t n) { return FramePool::get().alloc(n); }
  static void operator delete(void* p, std::size_t n) { FramePool::get().free(p, n); }
};
}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PooledFrame {
    std::optional<T> value;
    std::coroutine_handle<> continuation;

    Task get_return_object() { return Task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        auto c = h.promise().continuation;
        return c ? c : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    template <typename U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
    void unhandled_exception() noexcept { std::terminate(); }
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> cont) noexcept {
    h_.promise().continuation = cont;
    return h_;
  }
  T await_resume() { return std::move(*h_.promise().value); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
struct Detached {
  struct promise_type : detail::PooledFrame {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};
template <typename T, typename F>
Detached run_detached(Task<T> task, F done) {
  done(co_await task);
}
}  // namespace detail

// Starts `task`; `done(T)` runs once when it completes (possibly before
// start() returns, if nothing had to wait).
template <typename T, typename F>
void start(Task<T> task, F done) {
  detail::run_detached(std::move(task), std::move(done));
}

}  // namespace rampart

// File: src/core/clock.h
// Clock is injected wherever time matters, so tests can move time by hand.
//
//   SystemClock clock;            // production
//   FakeClock fake(1700000000);   // tests: fake.advance(std::chrono::seconds(5));
//   int64_t t = clock.unix_seconds();
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace rampart {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for timestamps written into headers and reports).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time (for timeouts, rate limits, decay).
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;

  int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1700000000) : wall_(std::chrono::seconds(unix_seconds)) {}
  std::chrono::system_clock::time_point now() const override { return wall_; }
  std::chrono::steady_clock::time_point monotonic() const override { return mono_; }
  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }

 private:
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_{};
};

}  // namespace rampart

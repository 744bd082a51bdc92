// File: src/reputation/test_store.h
// A store for tests (header-only, like auth/dkim/test_util.h): a MemoryStore
// whose merge and get can be made to fail with a chosen error, counting the
// merges and the calls that reached it.
//
//   auto store = std::make_unique<reputation::testing::FlakyStore>();
//   store->failing = Errc::kTemporary;   // merge and get fail ("store down")
//   store->merges;                        // successful merges so far
#pragma once

#include <string_view>

#include "reputation/store.h"

namespace rampart::reputation::testing {

class FlakyStore final : public Store {
 public:
  Errc failing = Errc::kOk;  // kOk: works
  bool fail_reads = true;    // false: only merges fail
  int merges = 0;            // merges that went through
  int calls = 0;             // merge and get calls, failed ones included
  MemoryStore mem;

  std::string_view name() const override { return "flaky"; }
  Status merge(std::span<const Update> u) override {
    ++calls;
    if (failing != Errc::kOk) return fail(failing, "store down");
    ++merges;
    return mem.merge(u);
  }
  Result<std::optional<Counters>> get(std::string_view k) override {
    ++calls;
    if (failing != Errc::kOk && fail_reads) return fail(failing, "store down");
    return mem.get(k);
  }
  Status put_state(std::string_view k, std::string_view v) override { return mem.put_state(k, v); }
  Result<std::optional<std::string>> get_state(std::string_view k) override { return mem.get_state(k); }
  Status for_each_key(const std::function<bool(std::string_view)>& fn) override {
    return mem.for_each_key(fn);
  }
};

}  // namespace rampart::reputation::testing

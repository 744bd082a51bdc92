// File: src/reputation/test_util.h
// Test helpers (header-only, like auth/dkim/test_util.h): a MemoryStore
// whose merge and get can be made to fail with a chosen error, counting the
// merges and the calls that reached it; an RFC 5965 abuse report around an
// original message.
//
//   auto store = std::make_unique<reputation::testing::FlakyStore>();
//   store->failing = Errc::kTemporary;   // merge and get fail ("store down")
//   store->merges;                        // successful merges so far
//   std::string raw = reputation::testing::arf_report(signed_original);   // Source-IP 198.51.100.20
#pragma once

#include <string>
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

// A feedback report (Feedback-Type abuse) with `original` as its
// message/rfc822 part; `eol` "\r\n" (on the wire) or "\n" (an mbox file).
inline std::string arf_report(const std::string& original, const std::string& source_ip = "198.51.100.20",
                              const std::string& eol = "\r\n") {
  return "From: fbl@isp.example" + eol + "MIME-Version: 1.0" + eol +
         "Content-Type: multipart/report; report-type=feedback-report; boundary=\"zz\"" + eol + eol + "--zz" +
         eol + "Content-Type: message/feedback-report" + eol + eol + "Feedback-Type: abuse" + eol +
         "User-Agent: t/1" + eol + "Version: 1" + eol + "Source-IP: " + source_ip + eol + eol + "--zz" + eol +
         "Content-Type: message/rfc822" + eol + eol + original + eol + "--zz--" + eol;
}

}  // namespace rampart::reputation::testing

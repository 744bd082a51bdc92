// File: fuzz/fuzz_override_json.cc
// Fuzz target: the override JSON (src/reputation/overrides.h): the body of
// POST /v1/overrides and the lines of overrides.jsonl / audit.jsonl. What
// parses as a stored line must print back to a line that parses to the same
// printed form; a request that parses has a canonical identity and a
// bounded reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reputation/overrides.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::reputation;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_override_request(text)) {
    auto again = canonical_identity(r->identity);
    if (!again || *again != r->identity || r->reason.empty() || r->reason.size() > kMaxReason) std::abort();
  }
  if (auto o = parse_override_json(text)) {
    const std::string once = o->to_json();
    auto again = parse_override_json(once);
    if (!again || again->to_json() != once) std::abort();
  }
  return 0;
}

// File: fuzz/fuzz_reputation_event.cc
// Fuzz target: event JSON lines (src/reputation/event_json.h). What parses
// must print back to a line that parses to the same printed form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reputation/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::reputation;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto e = parse_event_json(line);
  if (!e) return 0;
  const std::string once = event_to_json(*e);
  auto again = parse_event_json(once);
  if (!again || event_to_json(*again) != once) std::abort();
  return 0;
}

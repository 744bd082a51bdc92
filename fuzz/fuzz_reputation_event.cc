// File: fuzz/fuzz_reputation_event.cc
// Fuzz target: event JSON lines (src/reputation/event_json.h). What parses
// must print back to a line that parses to the same printed form; a
// channel's event (issue 16) names its identities without crashing.
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
  for (const Identity& id : channel_identities_of(*e))
    if (id.key.empty() || !canonical_channel_key(id.key) || *canonical_channel_key(id.key) != id.key)
      std::abort();
  const std::string once = event_to_json(*e);
  auto again = parse_event_json(once);
  if (!again || event_to_json(*again) != once) std::abort();
  return 0;
}

// File: fuzz/fuzz_maillog.cc
// Fuzz target: Postfix log lines (src/reputation/maillog.h). A line read as
// a bounce must print as an event JSON line that parses back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reputation/event_json.h"
#include "reputation/maillog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::reputation;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto e = parse_postfix_log_line(line, 2026);
  if (!e || !*e) return 0;
  if ((**e).type != EventType::kBounce || !(**e).ip) std::abort();
  if (!parse_event_json(event_to_json(**e))) std::abort();
  return 0;
}

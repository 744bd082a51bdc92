// File: fuzz/fuzz_incidents.cc
// Fuzz target: the bot incidents' JSON (src/flows/incidents.h): a line of
// <data-dir>/flows/incidents.jsonl and the body of POST
// /v1/incidents/{id}/release|extend. A stored line that parses prints to a
// line that parses and prints the same; a change that parses has a bounded
// reason and seconds within their range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "flows/incidents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::flows;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_incident_json(text)) {
    const std::string once = incident_to_json(*r);
    auto again = parse_incident_json(once);
    if (!again) std::abort();
    const std::string twice = incident_to_json(*again);
    auto third = parse_incident_json(twice);
    if (!third || incident_to_json(*third) != twice) std::abort();
  }
  for (bool extend : {false, true}) {
    if (auto c = parse_incident_change(text, extend, 86400)) {
      if (c->reason.empty() || c->reason.size() > kMaxIncidentReason) std::abort();
      if (!extend && c->seconds != 0) std::abort();
      if (extend && c->seconds != 0 && (c->seconds < 60 || c->seconds > 86400)) std::abort();
    }
  }
  return 0;
}

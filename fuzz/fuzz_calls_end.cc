// Fuzz target: POST /v1/calls/end bodies (src/server/calls_api.h): the JSON
// and form parsers of a call's end as Kamailio's dialog events report it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/calls_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (auto e : {rampart::server::parse_call_end(in), rampart::server::parse_call_end_form(in)})
    if (e && (e->call_id.empty() || e->call_id.size() > 1024 || e->duration_s < 0 ||
              (!e->answered && e->duration_s != 0)))
      std::abort();
  return 0;
}

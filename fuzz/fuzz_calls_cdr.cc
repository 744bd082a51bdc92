// Fuzz target: CDR lines (src/channels/calls.h CdrReader, both formats) fed
// to the call-pattern detector, as `rampart calls detect` does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/calls.h"
#include "core/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::channels::calls;
  if (size == 0) return 0;
  CdrReader r;
  r.format = data[0] & 1 ? CdrFormat::kAsterisk : CdrFormat::kCsv;
  Options o;
  o.own_ranges = {"1202555"};
  o.max_keys = 64;
  CallPatterns p(o);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (std::string_view line : rampart::split(in, '\n')) {
    auto c = r.line(line);
    if (!c) continue;
    (void)p.on_invite(*c);
    p.on_end(*c);
  }
  (void)p.incidents();
  return 0;
}

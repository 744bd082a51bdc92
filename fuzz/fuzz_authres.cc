// Fuzz target: Authentication-Results parsing and writing
// (src/auth/authres/authres.h). Whatever parses must write back to text that
// parses again, and writing is idempotent after one round.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/authres/authres.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::authres;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_field(text);
  auto ar = parse(text);
  if (!ar) return 0;
  for (const auto& r : ar->results) (void)valid_result(r.method, r.result);
  FormatOptions opt;
  std::string once = format(*ar, opt);
  auto again = parse_field(once);
  if (!again) std::abort();  // we wrote something we cannot read
  std::string twice = format(*again, opt);
  auto third = parse_field(twice);
  if (!third || format(*third, opt) != twice) std::abort();
  return 0;
}

// Fuzz target: DMARC record parsing (src/auth/dmarc/record.h). A record
// that parses must print to a canonical form that parses to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/dmarc/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::dmarc;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)is_dmarc_record(text);
  (void)parse_report_uri(text);
  auto r = parse_record(text);
  if (!r) return 0;
  for (const auto& u : r->rua) (void)u.host();
  for (const auto& u : r->ruf) (void)u.host();
  std::string canon = to_string(*r);
  auto again = parse_record(canon);
  if (!again || to_string(*again) != canon) std::abort();
  return 0;
}

// File: fuzz/fuzz_arf.cc
// Fuzz target: ARF feedback reports (src/reputation/arf.h). Parsing must
// never crash or hang; whatever parses is turned into an event (or refused
// with a reason), and the event's identities are computed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/dmarc/orgdomain.h"
#include "reputation/arf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::reputation;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto r = parse_arf(raw);
  if (!r) {
    if (r.error().message.empty()) std::abort();  // a rejection always says why
    return 0;
  }
  if (r->feedback_type.empty()) std::abort();
  const OriginalAuth a = auth_from_headers(*r, {"mx1.isp.example", "hotmail.com"});
  auto e = to_event(*r, a, 1700000000);
  if (e) (void)identities_of(*e, rampart::dmarc::PublicSuffixList::system());
  return 0;
}

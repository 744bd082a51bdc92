// Fuzz target: SPF / Sender ID record parsing (src/auth/spf/record.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/spf/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using rampart::spf::Scope;
  (void)rampart::spf::classify_record(text, Scope::kSpf1);
  (void)rampart::spf::classify_record(text, Scope::kSenderIdPra);
  auto r = rampart::spf::parse_record(text);
  if (r) {
    for (const auto& t : r->terms) (void)t.text.size();
  }
  return 0;
}

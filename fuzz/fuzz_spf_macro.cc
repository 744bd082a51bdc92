// Fuzz target: SPF macro-string parsing and expansion (src/auth/spf/macro.h).
// First byte picks domain/explanation mode and the client address family.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/spf/macro.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool exp = data[0] & 1;
  const bool v6 = data[0] & 2;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto ms = rampart::spf::parse_macro_string(text, exp);
  if (!ms) return 0;
  static const auto ip4 = *rampart::IpAddress::parse("192.0.2.3");
  static const auto ip6 = *rampart::IpAddress::parse("2001:db8::cb01");
  rampart::spf::MacroContext ctx;
  ctx.sender = "strong-bad@email.example.com";
  ctx.local_part = "strong-bad";
  ctx.sender_domain = "email.example.com";
  ctx.domain = "email.example.com";
  ctx.helo = "mx.example.org";
  ctx.ip = v6 ? &ip6 : &ip4;
  auto out = rampart::spf::expand(*ms, ctx, !exp);
  if (out && !exp && out->size() > 253) std::abort();  // 7.3 bound must hold
  if (out && out->size() > rampart::spf::kMaxExpansion + 256) std::abort();
  return 0;
}

// File: fuzz/fuzz_pra.cc
// libFuzzer target for the RFC 4407 PRA algorithm (src/auth/senderid/pra.h)
// over the header parser: a whole message in, a PRA or a reason out.
//
//   fuzz_pra fuzz/corpus/fuzz_pra
//   fuzz_pra_replay fuzz/corpus/fuzz_pra   # ctest
//
// Invariants: a reason is always given; a found PRA has a domain and its
// address parses as an addr-spec; the selected field belongs to the message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/senderid/pra.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mime::HeaderLimits lim;
  lim.max_fields = 500;
  lim.max_header_bytes = 64 * 1024;
  auto h = mime::HeaderSection::parse(in, lim);
  senderid::Pra p = senderid::find_pra(h);
  if (p.reason.empty()) std::abort();
  if (p.found()) {
    if (p.field == nullptr || p.mailbox.domain.empty() || p.mailbox.domain_literal) std::abort();
    auto again = mime::parse_addr_spec(p.address());
    if (!again || again->domain != p.mailbox.domain) std::abort();
  }
  if (p.field != nullptr && (p.field < h.fields().data() || p.field >= h.fields().data() + h.size()))
    std::abort();
  return 0;
}

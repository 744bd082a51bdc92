// File: fuzz/fuzz_mime_address.cc
// libFuzzer target for the RFC 5322 address parser (src/mime/address.h).
//
//   fuzz_mime_address fuzz/corpus/fuzz_mime_address
//   fuzz_mime_address_replay fuzz/corpus/fuzz_mime_address   # ctest
//
// Runs every entry point on the input. Invariant checked: the addr_spec() of
// any parsed mailbox parses again as an addr-spec to the same local-part and
// domain (quoting is right), and domains come out lower-case, IDNs as
// A-labels whose display form is valid UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/address.h"
#include "mime/charset.h"

namespace {

void check_roundtrip(const rampart::mime::Mailbox& mb) {
  for (char c : mb.domain) {
    if (c >= 'A' && c <= 'Z') std::abort();
    // IDNs come out as A-labels (idna.h): only a domain-literal keeps 8-bit bytes.
    if (static_cast<unsigned char>(c) >= 0x80 && !mb.domain_literal) std::abort();
  }
  if (!rampart::mime::is_valid_utf8(mb.display_domain()) && !mb.domain_literal) std::abort();
  auto again = rampart::mime::parse_addr_spec(mb.addr_spec());
  if (!again) std::abort();
  if (again->local_part != mb.local_part || again->domain != mb.domain) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto l = parse_address_list(in)) {
    for (const Address& a : *l)
      for (const Mailbox& m : a.mailboxes) check_roundtrip(m);
  }
  if (auto l = parse_mailbox_list(in)) {
    for (const Mailbox& m : *l) check_roundtrip(m);
  }
  if (auto m = parse_mailbox(in)) check_roundtrip(*m);
  if (auto m = parse_addr_spec(in)) check_roundtrip(*m);
  return 0;
}

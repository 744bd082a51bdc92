// Fuzz target: reading DMARC aggregate reports (src/auth/dmarc/report_read.h):
// the bytes as a report mail, as an attachment (gzip / zip / XML by magic) and
// as XML. A report that parses must survive writing and reading again with the
// same rows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/dmarc/report_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::dmarc;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ReadLimits lim;
  lim.max_xml_bytes = 1u << 20;  // keep bombs cheap under the fuzzer
  lim.max_attachment_bytes = 1u << 20;
  std::vector<std::string> warnings;
  (void)read_report_message(bytes, &warnings, lim);
  auto xml = unpack_report(bytes, lim);
  if (!xml) return 0;
  auto r = parse_aggregate_xml(*xml, &warnings, lim);
  if (!r) return 0;
  (void)aggregate_report_json(*r);
  auto again = parse_aggregate_xml(write_aggregate_xml(*r), nullptr, lim);
  if (!again || again->rows.size() != r->rows.size()) std::abort();
  return 0;
}

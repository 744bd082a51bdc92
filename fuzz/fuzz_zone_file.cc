// File: fuzz/fuzz_zone_file.cc
// Fuzzes the master-file parser; zones that parse are looked up by every
// owner name they contain (wildcards, CNAME loops, empty non-terminals).
//
//   build-fuzz-dns/fuzz_zone_file fuzz/corpus/fuzz_zone_file -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/zone_file.h"

using namespace rampart::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  ZoneOptions opt;
  opt.origin = "example.com";
  opt.max_records = 2000;
  auto zone = parse_zone(std::string_view(reinterpret_cast<const char*>(data), size), opt);
  if (!zone) {
    if (zone.error().message.empty()) __builtin_trap();
    return 0;
  }
  size_t n = 0;
  for (const auto& name : zone->names()) {
    if (++n > 200) break;
    (void)zone->lookup(name, RRType::A);
    (void)zone->lookup("x." + name, RRType::TXT);
  }
  return 0;
}

// File: fuzz/fuzz_dns_wire.cc
// Fuzzes the DNS wire parsers: parse_response (for several query types, with
// and without an expected name), parse_query, and, for queries that parse,
// a round trip through Response/encode_response/parse_response.
//
//   build-fuzz-dns/fuzz_dns_wire fuzz/corpus/fuzz_dns_wire -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire.h"

using namespace rampart::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> msg(data, size);
  for (RRType t : {RRType::A, RRType::TXT, RRType::MX, RRType::CNAME, RRType::ANY}) {
    Answer a = parse_response(msg, t);
    if (a.status == Status::kOk && a.records.empty()) __builtin_trap();
  }
  (void)parse_response(msg, RRType::AAAA, "example.com");
  auto q = parse_query(msg);
  if (q) {
    Response r = Response::to(*q);
    r.answers.push_back({q->name, Record{RRType::TXT, 60, Txt{{"x"}}}});
    auto bytes = encode_response(r, 512);
    if (bytes) {
      Answer back = parse_response(*bytes, RRType::TXT, q->name);
      if (back.status == Status::kMalformed) __builtin_trap();
    }
  }
  return 0;
}

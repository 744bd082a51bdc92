// File: fuzz/fuzz_flow_netflow.cc
// libFuzzer targets fuzz_flow_v5, fuzz_flow_v9, fuzz_flow_ipfix (this file,
// built with RAMPART_FUZZ_VERSION = 5, 9, 10): a stream of datagrams through
// one FlowDecoder, so templates learnt from one datagram drive the next. The
// version field of every datagram is forced, so each target stays on its decoder.
//
//   input = { u16 big-endian length, that many bytes }*   (a short tail is one last datagram)
//   seeds: fuzz/corpus/fuzz_flow_{v5,v9,ipfix}/ (written by `flows_eval --seeds`).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "flows/netflow.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  flows::FlowDecoder dec(
      flows::FlowDecoder::Limits{.max_sources = 8, .max_templates_per_source = 32, .max_fields = 64});
  std::vector<flows::Flow> out;
  const IpAddress exporters[2] = {IpAddress::v4(0x7f000001u), IpAddress::v4(0x7f000002u)};
  size_t i = 0, n = 0;
  while (i < size) {
    size_t len = size - i;
    if (size - i >= 2) {
      len = (size_t{data[i]} << 8) | data[i + 1];
      i += 2;
      if (len > size - i) len = size - i;
    }
    std::vector<uint8_t> d(data + i, data + i + len);
    if (d.size() >= 2) {
      d[0] = 0;
      d[1] = RAMPART_FUZZ_VERSION;
    }
    const size_t before = out.size();
    auto r = dec.decode(d, exporters[n++ % 2], out);
    if (!r && out.size() != before) __builtin_trap();  // a dropped datagram leaves nothing behind
    if (r && out.size() != before + *r) __builtin_trap();
    i += len;
    if (out.size() > 100000) out.clear();
  }
  return 0;
}

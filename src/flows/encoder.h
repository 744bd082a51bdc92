// File: src/flows/encoder.h
// FlowEncoder: Flow records to NetFlow v5, NetFlow v9 or IPFIX datagrams, the
// way an exporter (softflowd, a router) sends them. Used by the round-trip
// tests, the benchmark and the traffic generator; not on the collector path.
//
//   FlowEncoder enc({.format = ExportFormat::kIpfix, .domain = 7});
//   auto datagrams = enc.encode(flows, /*export_ms=*/1700000000000);
//   for (auto& d : datagrams) decoder.decode(d, exporter, out);
//
// v9/IPFIX: a template set opens the first datagram and every
// `template_every` datagrams after it. IPv4 flows use template 256, IPv6
// flows template 257. `extras` adds an enterprise-specific element and a
// variable-length element (IPFIX only) that a collector must skip.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "flows/flow.h"

namespace rampart::flows {

enum class ExportFormat { kV5, kV9, kIpfix };

class FlowEncoder {
 public:
  struct Options {
    ExportFormat format = ExportFormat::kV9;
    uint32_t domain = 0;  // v9 source ID / IPFIX observation domain
    size_t template_every = 20;
    size_t max_datagram = 1400;
    bool extras = false;
  };

  explicit FlowEncoder(Options o) : o_(o) {}

  // Encodes the flows into as many datagrams as needed (v5 carries IPv4 only:
  // IPv6 flows are left out).
  std::vector<std::vector<uint8_t>> encode(std::span<const Flow> flows, int64_t export_ms);

 private:
  void encode_v5(std::span<const Flow> flows, int64_t export_ms, std::vector<std::vector<uint8_t>>& out);
  void encode_templated(std::span<const Flow> flows, int64_t export_ms,
                        std::vector<std::vector<uint8_t>>& out);

  Options o_;
  uint32_t sequence_ = 0;
  size_t datagrams_ = 0;
  int64_t boot_ms_ = -1;
};

}  // namespace rampart::flows

#include "flows/encoder.h"

#include <string_view>

namespace rampart::flows {

namespace {

void put8(std::vector<uint8_t>& b, uint8_t v) { b.push_back(v); }
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v >> 32));
  put32(b, static_cast<uint32_t>(v));
}
void set16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put_addr(std::vector<uint8_t>& b, const IpAddress& a) {
  const size_t n = a.is_v4() ? 4 : 16;
  for (size_t i = 0; i < n; ++i) b.push_back(a.bytes()[i]);
}

struct Spec {
  uint16_t ie;
  uint16_t len;
  uint32_t pen;  // enterprise number, 0 for IANA elements
};

std::vector<Spec> layout(bool v6, bool ipfix, bool extras) {
  std::vector<Spec> s;
  s.push_back({static_cast<uint16_t>(v6 ? 27 : 8), static_cast<uint16_t>(v6 ? 16 : 4), 0});
  s.push_back({static_cast<uint16_t>(v6 ? 28 : 12), static_cast<uint16_t>(v6 ? 16 : 4), 0});
  s.push_back({7, 2, 0});
  s.push_back({11, 2, 0});
  s.push_back({4, 1, 0});
  s.push_back({6, 1, 0});
  s.push_back({5, 1, 0});
  s.push_back({2, 8, 0});
  s.push_back({1, 8, 0});
  if (ipfix) {
    s.push_back({152, 8, 0});
    s.push_back({153, 8, 0});
  } else {
    s.push_back({22, 4, 0});
    s.push_back({21, 4, 0});
  }
  if (extras && ipfix) {
    s.push_back({static_cast<uint16_t>(0x8000 | 1), 4, 29305});  // an enterprise element
    s.push_back({82, 65535, 0});                                 // interfaceName, variable
  }
  return s;
}

size_t record_size(const std::vector<Spec>& s) {
  size_t n = 0;
  for (const auto& f : s) n += f.len == 65535 ? 1 + 4 : f.len;  // "eth0" + 1 length byte
  return n;
}

}  // namespace

std::vector<std::vector<uint8_t>> FlowEncoder::encode(std::span<const Flow> flows, int64_t export_ms) {
  std::vector<std::vector<uint8_t>> out;
  if (boot_ms_ < 0) boot_ms_ = export_ms - 86400000;
  if (o_.format == ExportFormat::kV5)
    encode_v5(flows, export_ms, out);
  else
    encode_templated(flows, export_ms, out);
  return out;
}

void FlowEncoder::encode_v5(std::span<const Flow> flows, int64_t export_ms,
                            std::vector<std::vector<uint8_t>>& out) {
  std::vector<const Flow*> v4;
  for (const auto& f : flows)
    if (f.src.is_v4() && f.dst.is_v4()) v4.push_back(&f);
  const uint32_t uptime = static_cast<uint32_t>(export_ms - boot_ms_);
  for (size_t at = 0; at < v4.size(); at += 30) {
    const size_t n = std::min<size_t>(30, v4.size() - at);
    std::vector<uint8_t> b;
    b.reserve(24 + n * 48);
    put16(b, 5);
    put16(b, static_cast<uint16_t>(n));
    put32(b, uptime);
    put32(b, static_cast<uint32_t>(export_ms / 1000));
    put32(b, static_cast<uint32_t>((export_ms % 1000) * 1000000));
    put32(b, sequence_);
    put8(b, 0);
    put8(b, static_cast<uint8_t>(o_.domain));
    put16(b, 0);
    for (size_t k = 0; k < n; ++k) {
      const Flow& f = *v4[at + k];
      put32(b, f.src.v4_host_order());
      put32(b, f.dst.v4_host_order());
      put32(b, 0);
      put16(b, 0);
      put16(b, 0);
      put32(b, static_cast<uint32_t>(f.packets));
      put32(b, static_cast<uint32_t>(f.bytes));
      put32(b, static_cast<uint32_t>(f.start_ms - boot_ms_));
      put32(b, static_cast<uint32_t>(f.end_ms - boot_ms_));
      put16(b, f.src_port);
      put16(b, f.dst_port);
      put8(b, 0);
      put8(b, f.tcp_flags);
      put8(b, f.protocol);
      put8(b, f.tos);
      put32(b, 0);
      put32(b, 0);
    }
    sequence_ += static_cast<uint32_t>(n);
    out.push_back(std::move(b));
  }
}

void FlowEncoder::encode_templated(std::span<const Flow> flows, int64_t export_ms,
                                   std::vector<std::vector<uint8_t>>& out) {
  const bool ipfix = o_.format == ExportFormat::kIpfix;
  const std::vector<Spec> l4 = layout(false, ipfix, o_.extras), l6 = layout(true, ipfix, o_.extras);
  const size_t header = ipfix ? 16 : 20;
  size_t at = 0;
  while (at < flows.size() || (flows.empty() && at == 0)) {
    std::vector<uint8_t> b;
    b.reserve(o_.max_datagram + 64);
    if (ipfix) {
      put16(b, 10);
      put16(b, 0);  // length, set below
      put32(b, static_cast<uint32_t>(export_ms / 1000));
      put32(b, sequence_);
      put32(b, o_.domain);
    } else {
      put16(b, 9);
      put16(b, 0);  // count, set below
      put32(b, static_cast<uint32_t>(export_ms - boot_ms_));
      put32(b, static_cast<uint32_t>(export_ms / 1000));
      put32(b, sequence_);
      put32(b, o_.domain);
    }
    size_t count = 0;
    if (datagrams_ % o_.template_every == 0) {
      const size_t set_at = b.size();
      put16(b, ipfix ? 2 : 0);
      put16(b, 0);
      for (uint16_t id : {uint16_t{256}, uint16_t{257}}) {
        const auto& l = id == 256 ? l4 : l6;
        put16(b, id);
        put16(b, static_cast<uint16_t>(l.size()));
        for (const auto& s : l) {
          put16(b, s.ie);
          put16(b, s.len);
          if (s.pen) put32(b, s.pen);
        }
        ++count;
      }
      set16(b, set_at + 2, static_cast<uint16_t>(b.size() - set_at));
    }
    size_t data_records = 0;
    // Data sets: runs of flows of the same family while the datagram has room.
    while (at < flows.size()) {
      const bool v6 = flows[at].src.is_v6();
      const auto& l = v6 ? l6 : l4;
      const size_t rs = record_size(l);
      if (b.size() + 4 + rs > o_.max_datagram && data_records > 0) break;
      const size_t set_at = b.size();
      put16(b, v6 ? 257 : 256);
      put16(b, 0);
      while (at < flows.size() && flows[at].src.is_v6() == v6 && b.size() + rs <= o_.max_datagram) {
        const Flow& f = flows[at++];
        for (const auto& s : l) {
          switch (s.ie) {
            case 8:
            case 27: put_addr(b, f.src); break;
            case 12:
            case 28: put_addr(b, f.dst); break;
            case 7: put16(b, f.src_port); break;
            case 11: put16(b, f.dst_port); break;
            case 4: put8(b, f.protocol); break;
            case 6: put8(b, f.tcp_flags); break;
            case 5: put8(b, f.tos); break;
            case 2: put64(b, f.packets); break;
            case 1: put64(b, f.bytes); break;
            case 152: put64(b, static_cast<uint64_t>(f.start_ms)); break;
            case 153: put64(b, static_cast<uint64_t>(f.end_ms)); break;
            case 22: put32(b, static_cast<uint32_t>(f.start_ms - boot_ms_)); break;
            case 21: put32(b, static_cast<uint32_t>(f.end_ms - boot_ms_)); break;
            case 82: {
              put8(b, 4);
              for (char c : std::string_view("eth0")) put8(b, static_cast<uint8_t>(c));
              break;
            }
            default: put32(b, 0xdeadbeef); break;  // the enterprise element
          }
        }
        ++count;
        ++data_records;
      }
      set16(b, set_at + 2, static_cast<uint16_t>(b.size() - set_at));
    }
    if (ipfix) {
      set16(b, 2, static_cast<uint16_t>(b.size()));
      sequence_ += static_cast<uint32_t>(data_records);
    } else {
      set16(b, 2, static_cast<uint16_t>(count));
      sequence_ += 1;
    }
    (void)header;
    ++datagrams_;
    out.push_back(std::move(b));
    if (flows.empty()) break;
  }
}

}  // namespace rampart::flows

#include "flows/netflow.h"

#include <cstring>
#include <string>

namespace rampart::flows {

namespace {

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
// Reduced-size encoding (RFC 7011 6.2): an unsigned integer in 1..8 bytes.
inline uint64_t be_n(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// What a field does to a Flow. Anything not listed is skipped by length.
enum Kind : uint8_t {
  kSkip,
  kBytes,
  kPackets,
  kProto,
  kTos,
  kFlags,
  kSrcPort,
  kDstPort,
  kSrc4,
  kDst4,
  kSrc6,
  kDst6,
  kLastUptime,   // 21: ms of sysUptime (v9) at the last packet
  kFirstUptime,  // 22
  kStartSec,     // 150
  kEndSec,       // 151
  kStartMs,      // 152
  kEndMs,        // 153
  kStartUs,      // 154 (NTP 64-bit)
  kEndUs,        // 155
  kStartNs,      // 156 (NTP 64-bit)
  kEndNs,        // 157
};

uint8_t kind_of(uint16_t ie) {
  switch (ie) {
    case 1:
    case 85: return kBytes;
    case 2:
    case 86: return kPackets;
    case 4: return kProto;
    case 5: return kTos;
    case 6: return kFlags;
    case 7: return kSrcPort;
    case 11: return kDstPort;
    case 8: return kSrc4;
    case 12: return kDst4;
    case 27: return kSrc6;
    case 28: return kDst6;
    case 21: return kLastUptime;
    case 22: return kFirstUptime;
    case 150: return kStartSec;
    case 151: return kEndSec;
    case 152: return kStartMs;
    case 153: return kEndMs;
    case 154: return kStartUs;
    case 155: return kEndUs;
    case 156: return kStartNs;
    case 157: return kEndNs;
    default: return kSkip;
  }
}

// NTP timestamp (RFC 5905 64-bit, seconds since 1900) to Unix ms.
int64_t ntp_to_unix_ms(uint64_t v) {
  const int64_t sec = static_cast<int64_t>(v >> 32) - 2208988800LL;
  const int64_t frac_ms = static_cast<int64_t>(((v & 0xffffffffULL) * 1000) >> 32);
  return sec * 1000 + frac_ms;
}

// The latest time a record may carry: 9999-12-31T23:59:59.999Z (far past any
// real flow, far below the int64 limit of ms arithmetic).
constexpr int64_t kMaxTimeMs = 253402300799999;

constexpr size_t kV5Header = 24, kV5Record = 48, kV5MaxCount = 30;
constexpr size_t kV9Header = 20, kIpfixHeader = 16, kSetHeader = 4;

}  // namespace

size_t FlowDecoder::SourceKeyHash::operator()(const SourceKey& k) const {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : k.addr) h = (h ^ b) * 1099511628211ULL;
  h = (h ^ k.domain) * 1099511628211ULL;
  h = (h ^ k.version) * 1099511628211ULL;
  return static_cast<size_t>(h);
}

size_t FlowDecoder::template_count() const {
  size_t n = 0;
  for (const auto& [k, s] : sources_) n += s.templates.size();
  return n;
}

Result<size_t> FlowDecoder::drop(DropReason r, std::vector<Flow>& out, size_t restore_to, const char* what) {
  out.resize(restore_to);
  stats_.drop(r);
  return fail(Errc::kParse, std::string(drop_reason_name(r)) + ": " + what);
}

Result<size_t> FlowDecoder::decode(std::span<const uint8_t> p, const IpAddress& exporter,
                                   std::vector<Flow>& out) {
  ++stats_.packets;
  if (p.size() < 2) return drop(DropReason::kTruncated, out, out.size(), "datagram shorter than a version");
  const uint16_t version = be16(p.data());
  Result<size_t> r = [&]() -> Result<size_t> {
    switch (version) {
      case 5: return decode_v5(p, out);
      case 9: return decode_v9(p, exporter, out);
      case 10: return decode_ipfix(p, exporter, out);
      default: return drop(DropReason::kBadVersion, out, out.size(), "version is not 5, 9 or 10");
    }
  }();
  if (r) stats_.records += *r;
  return r;
}

Result<size_t> FlowDecoder::decode_v5(std::span<const uint8_t> p, std::vector<Flow>& out) {
  const size_t start = out.size();
  if (p.size() < kV5Header) return drop(DropReason::kTruncated, out, start, "v5 header");
  const uint16_t count = be16(p.data() + 2);
  if (count == 0 || count > kV5MaxCount) return drop(DropReason::kBadCount, out, start, "v5 count not 1..30");
  if (p.size() < kV5Header + size_t{count} * kV5Record)
    return drop(DropReason::kTruncated, out, start, "v5 records shorter than count");
  const uint32_t uptime = be32(p.data() + 4);
  const int64_t export_ms = int64_t{be32(p.data() + 8)} * 1000 + be32(p.data() + 12) / 1000000;
  out.reserve(start + count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* r = p.data() + kV5Header + i * kV5Record;
    Flow& f = out.emplace_back();
    f.src = IpAddress::v4(be32(r));
    f.dst = IpAddress::v4(be32(r + 4));
    f.packets = be32(r + 16);
    f.bytes = be32(r + 20);
    const uint32_t first = be32(r + 24), last = be32(r + 28);
    // Uptime counters wrap after ~49.7 days: differences taken modulo 2^32.
    f.start_ms = export_ms - static_cast<int64_t>(static_cast<uint32_t>(uptime - first));
    f.end_ms = export_ms - static_cast<int64_t>(static_cast<uint32_t>(uptime - last));
    f.src_port = be16(r + 32);
    f.dst_port = be16(r + 34);
    f.tcp_flags = r[37];
    f.protocol = r[38];
    f.tos = r[39];
  }
  return size_t{count};
}

FlowDecoder::Source* FlowDecoder::source_for(const IpAddress& exporter, uint32_t domain, uint8_t version) {
  SourceKey k;
  k.addr = exporter.bytes();
  if (exporter.is_v4()) std::memset(k.addr.data() + 4, 0xee, 12);  // keep v4 and v6 keys apart
  k.domain = domain;
  k.version = version;
  auto it = sources_.find(k);
  if (it != sources_.end()) return &it->second;
  if (sources_.size() >= limits_.max_sources) return nullptr;
  return &sources_[k];
}

bool FlowDecoder::add_template(Source& src, uint16_t id, Template t) {
  auto it = src.templates.find(id);
  if (it != src.templates.end()) {
    it->second = std::move(t);  // refresh (possibly a different layout)
    return true;
  }
  if (src.templates.size() >= limits_.max_templates_per_source) {
    stats_.drop(DropReason::kTemplateLimit);
    return true;  // the set itself is well formed; the template is refused
  }
  src.templates.emplace(id, std::move(t));
  return true;
}

bool FlowDecoder::parse_templates(std::span<const uint8_t> body, Source& src, bool ipfix, bool options) {
  size_t i = 0;
  const size_t n = body.size();
  const uint8_t* b = body.data();
  const uint16_t set_id = ipfix ? (options ? 3 : 2) : (options ? 1 : 0);
  // Trailing bytes shorter than a template header are padding (RFC 7011 3.3.1).
  while (n - i >= 4) {
    const uint16_t id = be16(b + i);
    if (id == 0) break;  // zero padding at the end of the set
    uint32_t field_count = 0, scope_count = 0;
    if (!ipfix && options) {
      // v9 options template: id, scope length (bytes), option length (bytes).
      if (n - i < 6) return false;
      const uint16_t scope_len = be16(b + i + 2), opt_len = be16(b + i + 4);
      if (scope_len % 4 || opt_len % 4) return false;
      field_count = (scope_len + opt_len) / 4u;
      scope_count = scope_len / 4u;
      i += 6;
      if (field_count == 0) return false;
    } else {
      field_count = be16(b + i + 2);
      i += 4;
      if (ipfix && options) {
        if (field_count == 0) {  // withdrawal of an options template
          if (id == set_id) {
            std::erase_if(src.templates, [](const auto& kv) { return kv.second.options; });
          } else {
            src.templates.erase(id);
          }
          stats_.drop(DropReason::kTemplateWithdrawn);
          continue;
        }
        if (n - i < 2) return false;
        scope_count = be16(b + i);
        i += 2;
        if (scope_count == 0 || scope_count > field_count) return false;
      } else if (field_count == 0) {
        // Withdrawal (RFC 7011 8.1; v9 collectors treat it the same way).
        if (id == set_id) {
          std::erase_if(src.templates, [](const auto& kv) { return !kv.second.options; });
        } else {
          src.templates.erase(id);
        }
        stats_.drop(DropReason::kTemplateWithdrawn);
        continue;
      }
    }
    if (id < 256) return false;
    if (field_count > limits_.max_fields) return false;
    Template t;
    t.options = options;
    t.fields.reserve(field_count);
    for (uint32_t k = 0; k < field_count; ++k) {
      if (n - i < 4) return false;
      uint16_t ie = be16(b + i);
      const uint16_t len = be16(b + i + 2);
      i += 4;
      bool enterprise = false;
      if (ipfix && (ie & 0x8000)) {
        if (n - i < 4) return false;
        i += 4;  // enterprise number: element skipped by length
        enterprise = true;
      }
      if (len == 0) return false;
      if (len == 65535 && !ipfix) return false;
      Field fd;
      fd.ie = enterprise ? 0 : ie;
      fd.length = len;
      fd.kind = (enterprise || options) ? static_cast<uint8_t>(kSkip) : kind_of(ie);
      // A known element with a length it cannot have is skipped, not trusted.
      switch (fd.kind) {
        case kSrc4:
        case kDst4:
          if (len != 4) fd.kind = kSkip;
          break;
        case kSrc6:
        case kDst6:
          if (len != 16) fd.kind = kSkip;
          break;
        case kProto:
        case kTos:
          if (len != 1) fd.kind = kSkip;
          break;
        case kSrcPort:
        case kDstPort:
          if (len != 2) fd.kind = kSkip;
          break;
        case kStartUs:
        case kEndUs:
        case kStartNs:
        case kEndNs:
          if (len != 8) fd.kind = kSkip;
          break;
        default:
          if (len == 65535 || len > 8) fd.kind = kSkip;
      }
      if (len == 65535) {
        t.variable = true;
        t.fixed_length += 1;  // at least the length byte
      } else {
        t.fixed_length += len;
      }
      t.fields.push_back(fd);
    }
    (void)scope_count;
    if (t.fixed_length == 0 || t.fixed_length > 65535) return false;
    if (!add_template(src, id, std::move(t))) return false;
  }
  return true;
}

bool FlowDecoder::decode_records(std::span<const uint8_t> body, const Template& t, int64_t export_ms,
                                 int64_t uptime_ms, bool ipfix, std::vector<Flow>& out, size_t& added) {
  const uint8_t* b = body.data();
  const size_t n = body.size();
  size_t i = 0;
  // Records continue while a whole minimal record fits; the rest is padding.
  while (n - i >= t.fixed_length) {
    Flow f;
    bool have_start = false, have_end = false;
    int64_t first_up = -1, last_up = -1;
    for (const Field& fd : t.fields) {
      size_t len = fd.length;
      if (len == 65535) {
        if (n - i < 1) return false;
        len = b[i++];
        if (len == 255) {
          if (n - i < 2) return false;
          len = be16(b + i);
          i += 2;
        }
      }
      if (n - i < len) return false;
      const uint8_t* v = b + i;
      i += len;
      switch (fd.kind) {
        case kSkip: break;
        case kBytes: f.bytes = be_n(v, len); break;
        case kPackets: f.packets = be_n(v, len); break;
        case kProto: f.protocol = v[0]; break;
        case kTos: f.tos = v[0]; break;
        case kFlags: f.tcp_flags = static_cast<uint8_t>(be_n(v, len)); break;
        case kSrcPort: f.src_port = be16(v); break;
        case kDstPort: f.dst_port = be16(v); break;
        case kSrc4: f.src = IpAddress::v4(be32(v)); break;
        case kDst4: f.dst = IpAddress::v4(be32(v)); break;
        case kSrc6: {
          std::array<uint8_t, 16> a;
          std::memcpy(a.data(), v, 16);
          f.src = IpAddress::v6(a);
          break;
        }
        case kDst6: {
          std::array<uint8_t, 16> a;
          std::memcpy(a.data(), v, 16);
          f.dst = IpAddress::v6(a);
          break;
        }
        case kLastUptime: last_up = static_cast<int64_t>(be_n(v, len)); break;
        case kFirstUptime: first_up = static_cast<int64_t>(be_n(v, len)); break;
        // Seconds and milliseconds are unsigned on the wire (up to 8 bytes):
        // a value past kMaxTimeMs would overflow int64 when scaled, or turn
        // negative when cast, so it is not used (the record keeps the
        // export time) and counted as bad_time.
        case kStartSec:
        case kEndSec:
        case kStartMs:
        case kEndMs:
        case kStartUs:
        case kStartNs:
        case kEndUs:
        case kEndNs: {
          const bool start =
              fd.kind == kStartSec || fd.kind == kStartMs || fd.kind == kStartUs || fd.kind == kStartNs;
          int64_t ms = -1;
          if (fd.kind == kStartSec || fd.kind == kEndSec) {
            const uint64_t s = be_n(v, len);
            if (s <= static_cast<uint64_t>(kMaxTimeMs / 1000)) ms = static_cast<int64_t>(s) * 1000;
          } else if (fd.kind == kStartMs || fd.kind == kEndMs) {
            const uint64_t m = be_n(v, len);
            if (m <= static_cast<uint64_t>(kMaxTimeMs)) ms = static_cast<int64_t>(m);
          } else {
            ms = ntp_to_unix_ms(be_n(v, 8));  // 32-bit seconds: always in int64 range
          }
          if (ms < 0 || ms > kMaxTimeMs) {
            stats_.drop(DropReason::kBadTime);
            break;
          }
          (start ? f.start_ms : f.end_ms) = ms;
          (start ? have_start : have_end) = true;
          break;
        }
        default: break;
      }
    }
    if (!have_start) {
      if (first_up >= 0 && uptime_ms >= 0)
        f.start_ms = export_ms - static_cast<int64_t>(static_cast<uint32_t>(uptime_ms - first_up));
      else
        f.start_ms = export_ms;
    }
    if (!have_end) {
      if (last_up >= 0 && uptime_ms >= 0)
        f.end_ms = export_ms - static_cast<int64_t>(static_cast<uint32_t>(uptime_ms - last_up));
      else
        f.end_ms = f.start_ms;
    }
    (void)ipfix;
    out.push_back(f);
    ++added;
  }
  return true;
}

Result<size_t> FlowDecoder::decode_v9(std::span<const uint8_t> p, const IpAddress& exporter,
                                      std::vector<Flow>& out) {
  const size_t start = out.size();
  if (p.size() < kV9Header) return drop(DropReason::kTruncated, out, start, "v9 header");
  const uint8_t* h = p.data();
  const uint32_t uptime = be32(h + 4);
  const int64_t export_ms = int64_t{be32(h + 8)} * 1000;
  const uint32_t seq = be32(h + 12);
  const uint32_t source_id = be32(h + 16);
  Source* src = source_for(exporter, source_id, 9);
  if (!src) return drop(DropReason::kTemplateLimit, out, start, "too many v9 sources");
  if (src->have_sequence && seq != src->next_sequence) stats_.drop(DropReason::kSequenceGap);
  src->have_sequence = true;
  src->next_sequence = seq + 1;  // v9: sequence counts export packets
  size_t added = 0;
  size_t i = kV9Header;
  while (p.size() - i >= kSetHeader) {
    const uint16_t set_id = be16(h + i);
    const uint16_t len = be16(h + i + 2);
    if (len < kSetHeader) return drop(DropReason::kBadLength, out, start, "v9 flowset length < 4");
    if (len > p.size() - i) return drop(DropReason::kTruncated, out, start, "v9 flowset past datagram end");
    std::span<const uint8_t> body = p.subspan(i + kSetHeader, len - kSetHeader);
    i += len;
    if (set_id == 0 || set_id == 1) {
      if (!parse_templates(body, *src, false, set_id == 1))
        return drop(DropReason::kBadTemplate, out, start, "v9 template malformed");
    } else if (set_id < 256) {
      stats_.drop(DropReason::kBadRecord);  // reserved set id: skipped
    } else if (!decode_data_set(body, set_id, *src, export_ms, uptime, false, out, added)) {
      return drop(DropReason::kBadRecord, out, start, "v9 data record overruns its flowset");
    }
  }
  // Fewer than 4 trailing bytes: tolerated as padding.
  return added;
}

bool FlowDecoder::decode_data_set(std::span<const uint8_t> body, uint16_t set_id, const Source& src,
                                  int64_t export_ms, int64_t uptime_ms, bool ipfix, std::vector<Flow>& out,
                                  size_t& added) {
  auto it = src.templates.find(set_id);
  if (it == src.templates.end()) {
    stats_.drop(DropReason::kUnknownTemplate);
    return true;
  }
  if (it->second.options) {
    stats_.drop(DropReason::kOptionsSkipped);
    return true;
  }
  return decode_records(body, it->second, export_ms, uptime_ms, ipfix, out, added);
}

Result<size_t> FlowDecoder::decode_ipfix(std::span<const uint8_t> p, const IpAddress& exporter,
                                         std::vector<Flow>& out) {
  const size_t start = out.size();
  if (p.size() < kIpfixHeader) return drop(DropReason::kTruncated, out, start, "IPFIX header");
  const uint8_t* h = p.data();
  const uint16_t msg_len = be16(h + 2);
  if (msg_len < kIpfixHeader) return drop(DropReason::kBadLength, out, start, "IPFIX length < 16");
  if (msg_len > p.size()) return drop(DropReason::kTruncated, out, start, "IPFIX message past datagram end");
  p = p.first(msg_len);  // bytes after the message are not ours
  const int64_t export_ms = int64_t{be32(h + 4)} * 1000;
  const uint32_t seq = be32(h + 8);
  const uint32_t domain = be32(h + 12);
  Source* src = source_for(exporter, domain, 10);
  if (!src) return drop(DropReason::kTemplateLimit, out, start, "too many IPFIX domains");
  if (src->have_sequence && seq != src->next_sequence) stats_.drop(DropReason::kSequenceGap);
  size_t added = 0;
  size_t i = kIpfixHeader;
  while (i < p.size()) {
    if (p.size() - i < kSetHeader) return drop(DropReason::kTruncated, out, start, "IPFIX set header");
    const uint16_t set_id = be16(h + i);
    const uint16_t len = be16(h + i + 2);
    if (len < kSetHeader) return drop(DropReason::kBadLength, out, start, "IPFIX set length < 4");
    if (len > p.size() - i) return drop(DropReason::kTruncated, out, start, "IPFIX set past message end");
    std::span<const uint8_t> body = p.subspan(i + kSetHeader, len - kSetHeader);
    i += len;
    if (set_id == 2 || set_id == 3) {
      if (!parse_templates(body, *src, true, set_id == 3))
        return drop(DropReason::kBadTemplate, out, start, "IPFIX template malformed");
    } else if (set_id < 256) {
      stats_.drop(DropReason::kBadRecord);  // reserved set id: skipped
    } else if (!decode_data_set(body, set_id, *src, export_ms, -1, true, out, added)) {
      return drop(DropReason::kBadRecord, out, start, "IPFIX data record overruns its set");
    }
  }
  // IPFIX: the sequence number counts data records (RFC 7011 3.1).
  src->have_sequence = true;
  src->next_sequence = seq + static_cast<uint32_t>(added);
  return added;
}

}  // namespace rampart::flows

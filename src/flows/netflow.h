// File: src/flows/netflow.h
// FlowDecoder: NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011, with the
// information elements of RFC 7012) datagrams to Flow records. Pure: bytes in,
// records out, no I/O; keeps the templates it has learnt, per exporter address
// and observation domain (v9: source ID).
//
//   FlowDecoder dec;                                  // one per collector thread
//   std::vector<Flow> out;
//   auto r = dec.decode(datagram, exporter_ip, out);  // Result<size_t>: records added
//   if (!r) log_debug("dropped: {}", r.error().message);
//   dec.stats().to_string();                          // "unknown_template=3 truncated=1"
//
// Failure contract: a datagram whose header or a set header is malformed is
// dropped whole (nothing appended, error returned, reason counted). A data set
// for a template not yet seen, an options data set, or a record using an
// unknown field is skipped and counted; the rest of the datagram is decoded.
// Templates: refresh replaces, field count 0 withdraws (IPFIX template ID 2/3
// withdraws all of a domain), and Limits bound templates and exporters so a
// template flood cannot grow memory without end. Enterprise-specific fields
// are skipped by length. Sequence gaps are counted (kSequenceGap), not dropped.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "flows/flow.h"

namespace rampart::flows {

class FlowDecoder {
 public:
  struct Limits {
    size_t max_sources = 4096;               // (exporter, domain) pairs
    size_t max_templates_per_source = 1024;  // templates of one (exporter, domain)
    size_t max_fields = 256;                 // fields in one template
  };

  FlowDecoder() = default;
  explicit FlowDecoder(Limits limits) : limits_(limits) {}

  // Decodes one datagram (v5, v9 or IPFIX: chosen by the version field).
  Result<size_t> decode(std::span<const uint8_t> packet, const IpAddress& exporter, std::vector<Flow>& out);

  const DecodeStats& stats() const { return stats_; }
  size_t template_count() const;
  size_t source_count() const { return sources_.size(); }

  // One field of a compiled template: which Flow member it fills.
  struct Field {
    uint16_t ie = 0;      // information element id (0 for enterprise fields)
    uint16_t length = 0;  // 65535 = variable length (IPFIX)
    uint8_t kind = 0;     // internal: what to do with the bytes
  };
  struct Template {
    std::vector<Field> fields;
    uint32_t fixed_length = 0;  // sum of fixed lengths (lower bound of a record)
    bool variable = false;
    bool options = false;  // options template: its data is skipped
  };

 private:
  struct SourceKey {
    std::array<uint8_t, 16> addr{};
    uint32_t domain = 0;
    uint8_t version = 0;
    bool operator==(const SourceKey& o) const {
      return addr == o.addr && domain == o.domain && version == o.version;
    }
  };
  struct SourceKeyHash {
    size_t operator()(const SourceKey& k) const;
  };
  struct Source {
    std::unordered_map<uint16_t, Template> templates;
    uint32_t next_sequence = 0;
    bool have_sequence = false;
  };

  Result<size_t> decode_v5(std::span<const uint8_t> p, std::vector<Flow>& out);
  Result<size_t> decode_v9(std::span<const uint8_t> p, const IpAddress& exporter, std::vector<Flow>& out);
  Result<size_t> decode_ipfix(std::span<const uint8_t> p, const IpAddress& exporter, std::vector<Flow>& out);
  Source* source_for(const IpAddress& exporter, uint32_t domain, uint8_t version);
  // Parses the template records of one set; returns false when the set is malformed.
  bool parse_templates(std::span<const uint8_t> body, Source& src, bool ipfix, bool options);
  bool add_template(Source& src, uint16_t id, Template t);
  // Decodes the data records of one set with template t.
  // A data set (id >= 256) of v9 or IPFIX: decoded with its template, or
  // counted and skipped (unknown template, options data). False: the
  // records overrun the set (the datagram is dropped).
  bool decode_data_set(std::span<const uint8_t> body, uint16_t set_id, const Source& src, int64_t export_ms,
                       int64_t uptime_ms, bool ipfix, std::vector<Flow>& out, size_t& added);
  bool decode_records(std::span<const uint8_t> body, const Template& t, int64_t export_ms, int64_t uptime_ms,
                      bool ipfix, std::vector<Flow>& out, size_t& added);
  Result<size_t> drop(DropReason r, std::vector<Flow>& out, size_t restore_to, const char* what);

  Limits limits_;
  DecodeStats stats_;
  std::unordered_map<SourceKey, Source, SourceKeyHash> sources_;
};

}  // namespace rampart::flows

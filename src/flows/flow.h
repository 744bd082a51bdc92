// File: src/flows/flow.h
// Flow: one flow record, whatever it was decoded from (NetFlow v5, NetFlow v9,
// IPFIX, CTU-13 .binetflow, `nfdump -o csv`). DecodeStats: why input was dropped.
//
//   Flow f;
//   f.src = *IpAddress::parse("10.0.0.7"); f.dst_port = 25; f.protocol = kProtoTcp;
//   f.tcp_flags = kTcpSyn;             // initiator sent only SYN
//   if (f.syn_only()) ...              // a failed or refused attempt
//
//   DecodeStats st;
//   st.drop(DropReason::kTruncated);   // counted, never thrown
//   st.count(DropReason::kTruncated);  // -> 1
//   st.to_string();                    // "truncated=1"
//
// Times are milliseconds since the Unix epoch (UTC). Counters are those of the
// initiator (src -> dst); when the source is bidirectional (binetflow, nfdump
// with opkt/obyt) the reply direction is in rev_*.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ip.h"

namespace rampart::flows {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpV6 = 58;

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpUrg = 0x20;
constexpr uint8_t kTcpEce = 0x40;
constexpr uint8_t kTcpCwr = 0x80;

struct Flow {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
  uint8_t tos = 0;
  uint8_t tcp_flags = 0;      // union of the initiator's TCP flags
  uint8_t rev_tcp_flags = 0;  // union of the responder's flags, when known
  bool bidirectional = false;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t rev_packets = 0;
  uint64_t rev_bytes = 0;

  bool is_tcp() const { return protocol == kProtoTcp; }
  // The initiator never completed the handshake: SYN seen, no ACK.
  bool syn_only() const { return is_tcp() && (tcp_flags & kTcpSyn) && !(tcp_flags & kTcpAck); }
  // Either side reset the connection.
  bool reset() const { return is_tcp() && ((tcp_flags | rev_tcp_flags) & kTcpRst); }
  // A failed or refused TCP attempt: SYN-only, or reset before any payload came back.
  bool failed_attempt() const {
    if (!is_tcp()) return false;
    if (syn_only()) return true;
    return bidirectional && (rev_tcp_flags & kTcpRst) && !(rev_tcp_flags & kTcpPsh);
  }
};

enum class DropReason : uint8_t {
  kTruncated,          // fewer bytes than a header or length field promises
  kBadVersion,         // not NetFlow v5/v9 or IPFIX
  kBadLength,          // a length field is impossible (0, < header, > remaining)
  kBadCount,           // v5 record count out of range or inconsistent
  kBadTemplate,        // template with impossible field count/lengths
  kTemplateLimit,      // too many templates or exporters (flood)
  kUnknownTemplate,    // data set for a template not (yet) received
  kOptionsSkipped,     // options data set: skipped on purpose (not malformed)
  kBadRecord,          // a data record could not be decoded
  kBadAddress,         // an address field of the wrong size
  kSequenceGap,        // exporter sequence jumped (lost packets); counted, not dropped
  kTemplateWithdrawn,  // template withdrawal received; counted
  kCsvBadLine,         // a CSV line with missing/unparsable columns
  kCsvBadHeader,       // a CSV header without the columns we need
  kBadTime,            // a start/end time field out of range (kept: the record gets the export time)
  kCount_,
};

std::string_view drop_reason_name(DropReason r);

class DecodeStats {
 public:
  void drop(DropReason r) { ++counts_[static_cast<size_t>(r)]; }
  uint64_t count(DropReason r) const { return counts_[static_cast<size_t>(r)]; }
  uint64_t total() const;
  void add(const DecodeStats& o);
  // "reason=n reason=n" for the reasons that are non-zero; "" when clean.
  std::string to_string() const;

  uint64_t packets = 0;  // datagrams (or lines) seen
  uint64_t records = 0;  // flows produced

 private:
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount_)> counts_{};
};

// Seconds-precision helpers shared by the CSV readers and the CLI.
// "2011/08/10 11:34:53.221630" or "2011-08-10 11:34:53.221" read as UTC.
bool parse_timestamp_utc(std::string_view text, int64_t& out_ms);
// Characters of "CEUAPRSF" (any order, '.' and '_' ignored) to a flag byte.
uint8_t parse_tcp_flag_letters(std::string_view text);

}  // namespace rampart::flows

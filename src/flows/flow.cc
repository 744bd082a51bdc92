// File: src/flows/flow.cc
#include "flows/flow.h"

#include "core/civil_time.h"

namespace rampart::flows {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kTruncated: return "truncated";
    case DropReason::kBadVersion: return "bad_version";
    case DropReason::kBadLength: return "bad_length";
    case DropReason::kBadCount: return "bad_count";
    case DropReason::kBadTemplate: return "bad_template";
    case DropReason::kTemplateLimit: return "template_limit";
    case DropReason::kUnknownTemplate: return "unknown_template";
    case DropReason::kOptionsSkipped: return "options_skipped";
    case DropReason::kBadRecord: return "bad_record";
    case DropReason::kBadAddress: return "bad_address";
    case DropReason::kSequenceGap: return "sequence_gap";
    case DropReason::kTemplateWithdrawn: return "template_withdrawn";
    case DropReason::kCsvBadLine: return "csv_bad_line";
    case DropReason::kCsvBadHeader: return "csv_bad_header";
    case DropReason::kBadTime: return "bad_time";
    case DropReason::kCount_: break;
  }
  return "unknown";
}

uint64_t DecodeStats::total() const {
  uint64_t t = 0;
  for (auto c : counts_) t += c;
  return t;
}

void DecodeStats::add(const DecodeStats& o) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  packets += o.packets;
  records += o.records;
}

std::string DecodeStats::to_string() const {
  std::string out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (!out.empty()) out += ' ';
    out += drop_reason_name(static_cast<DropReason>(i));
    out += '=';
    out += std::to_string(counts_[i]);
  }
  return out;
}

namespace {

bool take_uint(std::string_view s, size_t& i, size_t ndigits, unsigned& out) {
  if (i + ndigits > s.size()) return false;
  unsigned v = 0;
  for (size_t k = 0; k < ndigits; ++k) {
    const char c = s[i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  i += ndigits;
  return true;
}

}  // namespace

bool parse_timestamp_utc(std::string_view s, int64_t& out_ms) {
  size_t i = 0;
  unsigned y, mo, d, h, mi, sec;
  if (!take_uint(s, i, 4, y)) return false;
  if (i >= s.size() || (s[i] != '/' && s[i] != '-')) return false;
  ++i;
  if (!take_uint(s, i, 2, mo)) return false;
  if (i >= s.size() || (s[i] != '/' && s[i] != '-')) return false;
  ++i;
  if (!take_uint(s, i, 2, d)) return false;
  if (i >= s.size() || (s[i] != ' ' && s[i] != 'T')) return false;
  ++i;
  if (!take_uint(s, i, 2, h) || i >= s.size() || s[i++] != ':') return false;
  if (!take_uint(s, i, 2, mi) || i >= s.size() || s[i++] != ':') return false;
  if (!take_uint(s, i, 2, sec)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    int64_t scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return false;
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i != s.size()) return false;
  const int64_t days = days_from_civil(y, mo, d);
  out_ms = ((days * 24 + h) * 60 + mi) * 60000 + int64_t{sec} * 1000 + frac_ms;
  return true;
}

uint8_t parse_tcp_flag_letters(std::string_view text) {
  uint8_t f = 0;
  for (char c : text) {
    switch (c) {
      case 'F': f |= kTcpFin; break;
      case 'S': f |= kTcpSyn; break;
      case 'R': f |= kTcpRst; break;
      case 'P': f |= kTcpPsh; break;
      case 'A': f |= kTcpAck; break;
      case 'U': f |= kTcpUrg; break;
      case 'E': f |= kTcpEce; break;
      case 'C': f |= kTcpCwr; break;
      default: break;
    }
  }
  return f;
}

}  // namespace rampart::flows

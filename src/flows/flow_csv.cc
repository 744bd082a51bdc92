#include "flows/flow_csv.h"

#include <charconv>
#include <cmath>

#include "core/strings.h"

namespace rampart::flows {

namespace {

bool parse_u64(std::string_view s, uint64_t& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc() && p == s.data() + s.size()) return true;
  // nfdump scales large numbers: "1.2 M", "3.4 G"
  double d = 0;
  auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec2 != std::errc()) return false;
  std::string_view rest = trim(s.substr(static_cast<size_t>(p2 - s.data())));
  double mul = 1;
  if (rest == "K" || rest == "k")
    mul = 1e3;
  else if (rest == "M")
    mul = 1e6;
  else if (rest == "G")
    mul = 1e9;
  else if (rest == "T")
    mul = 1e12;
  else if (!rest.empty())
    return false;
  d *= mul;
  if (!(d >= 0) || d > 1.8e19) return false;
  out = static_cast<uint64_t>(d);
  return true;
}

bool parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

// Ports: decimal, or hex "0x0303" (Argus prints ICMP type/code that way); empty = 0.
bool parse_port(std::string_view s, uint16_t& out) {
  s = trim(s);
  if (s.empty()) {
    out = 0;
    return true;
  }
  unsigned v = 0;
  std::from_chars_result r;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    r = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
  else
    r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool parse_proto(std::string_view s, uint8_t& out) {
  s = trim(s);
  if (iequals(s, "tcp"))
    out = kProtoTcp;
  else if (iequals(s, "udp"))
    out = kProtoUdp;
  else if (iequals(s, "icmp"))
    out = kProtoIcmp;
  else if (iequals(s, "ipv6-icmp") || iequals(s, "icmp6"))
    out = kProtoIcmpV6;
  else {
    unsigned v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > 255) {
      out = 0;  // Argus names many protocols ("arp", "igmp", ...): kept as 0
      return !s.empty();
    }
    out = static_cast<uint8_t>(v);
  }
  return true;
}

Result<IpAddress> parse_addr(std::string_view s) {
  s = trim(s);
  return IpAddress::parse(s);
}

}  // namespace

Result<CsvFormat> parse_csv_format(std::string_view name) {
  if (name == "binetflow") return CsvFormat::kBinetflow;
  if (name == "nfdump-csv") return CsvFormat::kNfdumpCsv;
  return fail(Errc::kInvalidArgument,
              "unknown flow format '" + std::string(name) + "' (binetflow|nfdump-csv)");
}

int CsvFlowReader::col(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (iequals(header_[i], name)) return static_cast<int>(i);
  return -1;
}

Status CsvFlowReader::read_header(std::string_view line) {
  header_.clear();
  for (auto c : split(line, ',')) header_.emplace_back(trim(c));
  if (format_ == CsvFormat::kBinetflow) {
    c_start_ = col("StartTime");
    c_dur_ = col("Dur");
    c_proto_ = col("Proto");
    c_src_ = col("SrcAddr");
    c_sport_ = col("Sport");
    c_dst_ = col("DstAddr");
    c_dport_ = col("Dport");
    c_state_ = col("State");
    c_pkts_ = col("TotPkts");
    c_bytes_ = col("TotBytes");
    c_src_bytes_ = col("SrcBytes");
    c_label_ = col("Label");
    c_tos_ = col("sTos");
    if (c_start_ < 0 || c_proto_ < 0 || c_src_ < 0 || c_dst_ < 0 || c_dport_ < 0)
      return fail(Errc::kParse, "binetflow header lacks StartTime/Proto/SrcAddr/DstAddr/Dport");
  } else {
    c_start_ = col("ts");
    c_end_ = col("te");
    c_dur_ = col("td");
    c_src_ = col("sa");
    c_dst_ = col("da");
    c_sport_ = col("sp");
    c_dport_ = col("dp");
    c_proto_ = col("pr");
    c_flags_ = col("flg");
    c_pkts_ = col("ipkt");
    c_bytes_ = col("ibyt");
    c_opkts_ = col("opkt");
    c_obytes_ = col("obyt");
    c_tos_ = col("stos");
    if (c_start_ < 0 || c_proto_ < 0 || c_src_ < 0 || c_dst_ < 0 || c_dport_ < 0)
      return fail(Errc::kParse, "nfdump csv header lacks ts/sa/da/dp/pr");
  }
  int mx = 0;
  for (int c : {c_start_, c_end_, c_dur_, c_proto_, c_src_, c_sport_, c_dst_, c_dport_, c_state_, c_pkts_,
                c_bytes_, c_src_bytes_, c_flags_, c_opkts_, c_obytes_, c_tos_})
    mx = std::max(mx, c);
  min_cols_ = static_cast<size_t>(mx) + 1;
  have_header_ = true;
  return {};
}

Result<std::optional<CsvRecord>> CsvFlowReader::feed_line(std::string_view line) {
  ++stats_.packets;
  line = trim(line);
  if (line.empty() || done_) return std::optional<CsvRecord>{};
  if (!have_header_) {
    if (auto st = read_header(line); !st) {
      stats_.drop(DropReason::kCsvBadHeader);
      return tl::unexpected(st.error());
    }
    return std::optional<CsvRecord>{};
  }
  if (format_ == CsvFormat::kNfdumpCsv) {
    if (istarts_with(line, "Summary")) {
      done_ = true;
      return std::optional<CsvRecord>{};
    }
    if (istarts_with(line, "No matching")) return std::optional<CsvRecord>{};
    if (istarts_with(line, "ts,")) return std::optional<CsvRecord>{};  // repeated header
  }
  auto cols = split(line, ',');
  // The binetflow Label may itself hold commas: it is the last column, rejoin.
  if (cols.size() < min_cols_) {
    stats_.drop(DropReason::kCsvBadLine);
    return fail(Errc::kParse, "too few columns");
  }
  auto r = format_ == CsvFormat::kBinetflow ? parse_binetflow(cols) : parse_nfdump(cols);
  if (!r) {
    stats_.drop(DropReason::kCsvBadLine);
    return tl::unexpected(r.error());
  }
  if (format_ == CsvFormat::kBinetflow && c_label_ >= 0 && static_cast<size_t>(c_label_) < cols.size()) {
    const char* b = cols[static_cast<size_t>(c_label_)].data();
    r->label = std::string(trim(std::string_view(b, static_cast<size_t>(line.data() + line.size() - b))));
  }
  ++stats_.records;
  return std::optional<CsvRecord>(std::move(*r));
}

Result<CsvRecord> CsvFlowReader::parse_binetflow(const std::vector<std::string_view>& cols) {
  CsvRecord rec;
  Flow& f = rec.flow;
  auto at = [&](int c) { return c >= 0 ? cols[static_cast<size_t>(c)] : std::string_view(); };
  if (!parse_timestamp_utc(trim(at(c_start_)), f.start_ms)) return fail(Errc::kParse, "bad StartTime");
  double dur = 0;
  if (c_dur_ >= 0 && !trim(at(c_dur_)).empty() && (!parse_double(at(c_dur_), dur) || dur < 0 || dur > 1e9))
    return fail(Errc::kParse, "bad Dur");
  f.end_ms = f.start_ms + static_cast<int64_t>(dur * 1000.0);
  if (!parse_proto(at(c_proto_), f.protocol)) return fail(Errc::kParse, "bad Proto");
  auto s = parse_addr(at(c_src_));
  auto d = parse_addr(at(c_dst_));
  if (!s || !d) return fail(Errc::kParse, "bad address");
  f.src = *s;
  f.dst = *d;
  if (!parse_port(at(c_sport_), f.src_port) || !parse_port(at(c_dport_), f.dst_port))
    return fail(Errc::kParse, "bad port");
  f.bidirectional = true;
  if (c_state_ >= 0 && f.is_tcp()) {
    std::string_view st = trim(at(c_state_));
    const size_t us = st.find('_');
    f.tcp_flags = parse_tcp_flag_letters(st.substr(0, us));
    if (us != std::string_view::npos) f.rev_tcp_flags = parse_tcp_flag_letters(st.substr(us + 1));
  }
  uint64_t tot_pkts = 0, tot_bytes = 0, src_bytes = 0;
  if (c_pkts_ >= 0 && !parse_u64(at(c_pkts_), tot_pkts)) return fail(Errc::kParse, "bad TotPkts");
  if (c_bytes_ >= 0 && !parse_u64(at(c_bytes_), tot_bytes)) return fail(Errc::kParse, "bad TotBytes");
  if (c_src_bytes_ >= 0 && !parse_u64(at(c_src_bytes_), src_bytes)) return fail(Errc::kParse, "bad SrcBytes");
  if (src_bytes > tot_bytes) src_bytes = tot_bytes;
  f.bytes = c_src_bytes_ >= 0 ? src_bytes : tot_bytes;
  f.rev_bytes = tot_bytes - f.bytes;
  f.packets = tot_pkts;  // Argus gives no per-direction packet split here
  if (c_tos_ >= 0) {
    double tos = 0;
    if (parse_double(at(c_tos_), tos) && tos >= 0 && tos <= 255) f.tos = static_cast<uint8_t>(tos);
  }
  return rec;
}

Result<CsvRecord> CsvFlowReader::parse_nfdump(const std::vector<std::string_view>& cols) {
  CsvRecord rec;
  Flow& f = rec.flow;
  auto at = [&](int c) { return c >= 0 ? cols[static_cast<size_t>(c)] : std::string_view(); };
  if (!parse_timestamp_utc(trim(at(c_start_)), f.start_ms)) return fail(Errc::kParse, "bad ts");
  if (c_end_ >= 0) {
    if (!parse_timestamp_utc(trim(at(c_end_)), f.end_ms)) return fail(Errc::kParse, "bad te");
  } else {
    double dur = 0;
    if (c_dur_ >= 0 && (!parse_double(at(c_dur_), dur) || dur < 0 || dur > 1e9))
      return fail(Errc::kParse, "bad td");
    f.end_ms = f.start_ms + static_cast<int64_t>(dur * 1000.0);
  }
  if (f.end_ms < f.start_ms) f.end_ms = f.start_ms;
  auto s = parse_addr(at(c_src_));
  auto d = parse_addr(at(c_dst_));
  if (!s || !d) return fail(Errc::kParse, "bad address");
  f.src = *s;
  f.dst = *d;
  if (!parse_port(at(c_sport_), f.src_port)) return fail(Errc::kParse, "bad sp");
  // nfdump prints ICMP type.code as dp "3.3" / "0.0": keep 0.
  std::string_view dp = trim(at(c_dport_));
  if (dp.find('.') != std::string_view::npos)
    f.dst_port = 0;
  else if (!parse_port(dp, f.dst_port))
    return fail(Errc::kParse, "bad dp");
  if (!parse_proto(at(c_proto_), f.protocol)) return fail(Errc::kParse, "bad pr");
  if (c_flags_ >= 0) f.tcp_flags = parse_tcp_flag_letters(trim(at(c_flags_)));
  if (c_pkts_ >= 0 && !parse_u64(at(c_pkts_), f.packets)) return fail(Errc::kParse, "bad ipkt");
  if (c_bytes_ >= 0 && !parse_u64(at(c_bytes_), f.bytes)) return fail(Errc::kParse, "bad ibyt");
  if (c_opkts_ >= 0 && !parse_u64(at(c_opkts_), f.rev_packets)) return fail(Errc::kParse, "bad opkt");
  if (c_obytes_ >= 0 && !parse_u64(at(c_obytes_), f.rev_bytes)) return fail(Errc::kParse, "bad obyt");
  f.bidirectional = f.rev_packets > 0;
  if (c_tos_ >= 0) {
    uint64_t tos = 0;
    if (parse_u64(at(c_tos_), tos) && tos <= 255) f.tos = static_cast<uint8_t>(tos);
  }
  return rec;
}

Result<CsvReadResult> read_flow_text(std::string_view text, CsvFormat f) {
  CsvFlowReader rd(f);
  CsvReadResult out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto r = rd.feed_line(line);
    if (!r) {
      if (!rd.have_header()) return tl::unexpected(r.error());
      continue;
    }
    if (*r) out.records.push_back(std::move(**r));
  }
  if (!rd.have_header()) return fail(Errc::kParse, "empty input: no header line");
  out.stats = rd.stats();
  return out;
}

}  // namespace rampart::flows

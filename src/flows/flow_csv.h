// File: src/flows/flow_csv.h
// Readers for flow records kept as text: the CTU-13 bidirectional flow CSV
// (`.binetflow`, Argus ra output) and `nfdump -o csv`. Columns are found by
// the header's names, so column order and extra columns do not matter.
//
//   CsvFlowReader rd(CsvFormat::kBinetflow);
//   for (auto line : lines) {
//     auto r = rd.feed_line(line);        // Result<std::optional<CsvRecord>>
//     if (!r) continue;                   // counted in rd.stats(), reason in r.error()
//     if (*r) use((*r)->flow, (*r)->label);
//   }
//   auto all = read_flow_text(text, CsvFormat::kNfdumpCsv);  // whole file at once
//
// Times are read as UTC (CTU-13 and nfdump print local time without a zone).
// The first line must be the header; a line with too few columns or an
// unparsable address, port, time or number is dropped with kCsvBadLine. nfdump's
// trailing "Summary" block ends the records.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "flows/flow.h"

namespace rampart::flows {

enum class CsvFormat { kBinetflow, kNfdumpCsv };

Result<CsvFormat> parse_csv_format(std::string_view name);  // "binetflow" | "nfdump-csv"

struct CsvRecord {
  Flow flow;
  std::string label;  // binetflow Label column ("flow=From-Botnet-..."), else empty
};

class CsvFlowReader {
 public:
  explicit CsvFlowReader(CsvFormat f) : format_(f) {}

  // Returns a record, nullopt for a line that carries none (header, blank,
  // nfdump summary), or an error for a malformed line (counted).
  Result<std::optional<CsvRecord>> feed_line(std::string_view line);

  const DecodeStats& stats() const { return stats_; }
  bool have_header() const { return have_header_; }

 private:
  Status read_header(std::string_view line);
  Result<CsvRecord> parse_binetflow(const std::vector<std::string_view>& cols);
  Result<CsvRecord> parse_nfdump(const std::vector<std::string_view>& cols);
  int col(std::string_view name) const;

  CsvFormat format_;
  DecodeStats stats_;
  bool have_header_ = false;
  bool done_ = false;
  std::vector<std::string> header_;
  // Column indexes resolved from the header (-1 when absent).
  int c_start_ = -1, c_end_ = -1, c_dur_ = -1, c_proto_ = -1, c_src_ = -1, c_sport_ = -1, c_dst_ = -1,
      c_dport_ = -1, c_state_ = -1, c_pkts_ = -1, c_bytes_ = -1, c_src_bytes_ = -1, c_label_ = -1,
      c_flags_ = -1, c_opkts_ = -1, c_obytes_ = -1, c_tos_ = -1;
  size_t min_cols_ = 0;
};

struct CsvReadResult {
  std::vector<CsvRecord> records;
  DecodeStats stats;
};

// Reads a whole text (a file's contents). Fails only when the header is
// missing or lacks required columns; bad lines are counted in stats.
Result<CsvReadResult> read_flow_text(std::string_view text, CsvFormat f);

}  // namespace rampart::flows

// File: fuzz/fuzz_flow_csv.cc
// libFuzzer targets fuzz_flow_binetflow and fuzz_flow_nfdump (this file,
// built with RAMPART_FUZZ_CSV = 0 or 1): the .binetflow / `nfdump -o csv`
// reader, and the detector over whatever it accepts.
//
//   input = the text of a file, header first
//   seeds: fuzz/corpus/fuzz_flow_binetflow/ (CTU-13 rows), fuzz_flow_nfdump/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flows/detector.h"
#include "flows/flow_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::flows;
  const CsvFormat f = RAMPART_FUZZ_CSV ? CsvFormat::kNfdumpCsv : CsvFormat::kBinetflow;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = read_flow_text(text, f);
  if (!r) return 0;
  DetectorConfig cfg;
  cfg.subscribers.push_back({*Prefix::parse("0.0.0.0/0"), SubscriberKind::kDynamic});
  cfg.subscribers.push_back({*Prefix::parse("::/0"), SubscriberKind::kStatic});
  Detector det(cfg);
  for (const auto& rec : r->records) det.observe(rec.flow);
  det.finish();
  for (const auto& inc : det.take_closed()) (void)incident_json(inc);
  return 0;
}

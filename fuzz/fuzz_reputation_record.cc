// File: fuzz/fuzz_reputation_record.cc
// Fuzz target: what the RocksDB store reads back from disk
// (src/reputation/rocksdb_store.h): a stored counters value (any layout, or
// a resident checkpoint record) and a resident journal record. Bad bytes
// are an error, never a crash or an overread; a value that decodes encodes
// to a record that decodes to the same encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reputation/counters.h"
#include "reputation/rocksdb_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::reputation;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  uint64_t seq = 0;
  if (auto c = decode_stored_counters(bytes, &seq)) {
    const std::string once = encode(*c);
    auto again = decode(once);
    if (!again || encode(*again) != once) std::abort();
  }
  size_t updates = 0;
  (void)decode_journal_record(bytes, [&](std::string_view key, const Counters& d) {
    if (key.size() > bytes.size()) std::abort();
    (void)encode(d);
    ++updates;
  });
  if (updates > size) std::abort();  // each update takes bytes of its own
  return 0;
}

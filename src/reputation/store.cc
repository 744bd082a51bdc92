// File: src/reputation/store.cc
// Store defaults (the in-memory store is memory_store.cc).
#include "reputation/store.h"

namespace rampart::reputation {

Result<std::vector<std::optional<Counters>>> Store::get_many(std::span<const std::string> keys) {
  std::vector<std::optional<Counters>> out;
  out.reserve(keys.size());
  for (const std::string& k : keys) {
    auto r = get(k);
    if (!r) return tl::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace rampart::reputation

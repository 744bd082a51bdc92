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

Result<std::vector<Store::Lookup>> Store::lookup_many(std::span<const std::string> keys) {
  auto counters = get_many(keys);
  if (!counters) return tl::unexpected(counters.error());
  std::vector<Lookup> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    out[i].counters = std::move((*counters)[i]);
    auto st = get_state(keys[i]);
    if (!st) return tl::unexpected(st.error());
    out[i].state = std::move(*st);
  }
  return out;
}

}  // namespace rampart::reputation

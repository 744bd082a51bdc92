// File: src/reputation/store.cc
// Store defaults and the in-memory store.
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

Status MemoryStore::merge(std::span<const Update> updates) {
  std::lock_guard lock(mu_);
  for (const Update& u : updates) {
    auto it = counters_.find(u.key);
    if (it == counters_.end())
      counters_.emplace(u.key, u.delta);
    else
      it->second = reputation::merge(it->second, u.delta);
  }
  return {};
}

Result<std::optional<Counters>> MemoryStore::get(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = counters_.find(key);
  if (it == counters_.end()) return std::optional<Counters>();
  return std::optional<Counters>(it->second);
}

Status MemoryStore::put_state(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  states_.insert_or_assign(std::string(key), std::string(value));
  return {};
}

Result<std::optional<std::string>> MemoryStore::get_state(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = states_.find(key);
  if (it == states_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::for_each_key(const std::function<bool(std::string_view)>& fn) {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    keys.reserve(counters_.size());
    for (const auto& [k, v] : counters_) keys.push_back(k);
  }
  for (const std::string& k : keys)
    if (!fn(k)) break;
  return {};
}

size_t MemoryStore::size() const {
  std::lock_guard lock(mu_);
  return counters_.size();
}

}  // namespace rampart::reputation

// File: src/reputation/store.cc
// Store defaults (the in-memory store is memory_store.cc).
#include "reputation/store.h"

#include <algorithm>
#include <cmath>

namespace rampart::reputation {

bool decayed_below(const Counters& c, int64_t now, float below) {
  double f[kWindowCount];
  for (size_t w = 0; w < kWindowCount; ++w) f[w] = decay_factor(static_cast<Window>(w), now - c.t);
  for (size_t i = 0; i < c.v.size(); ++i)
    if (std::abs(c.v[i]) * f[i % kWindowCount] >= below) return false;
  return true;
}

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

void OpLog::add(std::string id) {
  if (keep_ == 0 || ids_.count(id)) return;
  if (order_.size() < keep_) {
    order_.push_back(id);
  } else {
    ids_.erase(order_[next_]);
    order_[next_] = id;
    next_ = (next_ + 1) % keep_;
  }
  ids_.emplace(std::move(id), 0);
}

Result<size_t> Store::merge_ops(std::span<const OpBatch> ops) {
  std::vector<Update> all;
  for (const OpBatch& b : ops) all.insert(all.end(), b.updates.begin(), b.updates.end());
  if (auto st = merge(all); !st) return tl::unexpected(st.error());
  return ops.size();
}

Result<size_t> Store::merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> /*totals*/) {
  return merge_ops(ops);
}

Status Store::put_states(std::span<const std::pair<std::string, std::string>> states) {
  for (const auto& [k, v] : states)
    if (auto st = put_state(k, v); !st) return st;
  return {};
}

void Store::merge_async(std::vector<Update> updates, MergeDone done) { done(merge(updates)); }

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

// ---------------------------------------------------------------- BreakerStore
BreakerStore::BreakerStore(std::unique_ptr<Store> inner, const Clock& clock,
                           std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : inner_(std::move(inner)), clock_(clock), initial_(initial), max_(std::max(initial, max)) {}

bool BreakerStore::open() const { return backoff_.count() > 0 && clock_.monotonic() < until_; }

std::optional<Error> BreakerStore::refuse() {
  if (!open()) return std::nullopt;
  ++short_;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until_ - clock_.monotonic());
  return Error{Errc::kTemporary, std::string(inner_->name()) + " store unavailable (next try in " +
                                     std::to_string(left.count()) + " ms) after: " + last_error_};
}

template <typename R>
R BreakerStore::note(R r) {
  if (r) {
    backoff_ = std::chrono::milliseconds(0);
    return r;
  }
  const Errc c = r.error().code;
  if (c != Errc::kIo && c != Errc::kTemporary) return r;
  backoff_ = backoff_.count() == 0 ? initial_ : std::min(max_, backoff_ * 2);
  until_ = clock_.monotonic() + backoff_;
  last_error_ = r.error().message;
  ++trips_;
  return r;
}

Status BreakerStore::merge(std::span<const Update> updates) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->merge(updates));
}
Result<size_t> BreakerStore::merge_ops(std::span<const OpBatch> ops) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->merge_ops(ops));
}
Result<size_t> BreakerStore::merge_ops_to(std::span<const OpBatch> ops, std::span<const Update> totals) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->merge_ops_to(ops, totals));
}
Status BreakerStore::put_states(std::span<const std::pair<std::string, std::string>> states) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->put_states(states));
}
Result<std::optional<Counters>> BreakerStore::get(std::string_view key) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->get(key));
}
Result<std::vector<std::optional<Counters>>> BreakerStore::get_many(std::span<const std::string> keys) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->get_many(keys));
}
Result<std::vector<Store::Lookup>> BreakerStore::lookup_many(std::span<const std::string> keys) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->lookup_many(keys));
}
Status BreakerStore::put_state(std::string_view key, std::string_view value) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->put_state(key, value));
}
Result<std::optional<std::string>> BreakerStore::get_state(std::string_view key) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->get_state(key));
}
Status BreakerStore::for_each_key(const std::function<bool(std::string_view)>& fn) {
  if (auto e = refuse()) return tl::unexpected(*e);
  return note(inner_->for_each_key(fn));
}

}  // namespace rampart::reputation

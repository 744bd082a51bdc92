// The outbound policy (enforced when an item is published) and the tally of
// what came in, weighted by trust and decayed.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "exchange/exchange.h"

namespace rampart::exchange {

namespace {
bool overlaps(const IpPrefix& a, const IpPrefix& b) {
  if (a.net.is_v4() != b.net.is_v4()) return false;
  return a.contains(b.net) || b.contains(a.net);
}
bool within(const IpPrefix& outer, const IpPrefix& inner) {
  return outer.net.is_v4() == inner.net.is_v4() && outer.len <= inner.len && outer.contains(inner.net);
}
}  // namespace

Status Publisher::publish(Item item, int64_t now) {
  if (auto st = check(item, now); !st) return st;
  return queue(std::move(item));
}

Status Publisher::retract(Item item, int64_t now) {
  item.count = 1;  // the same checks as a report of it: grammar, class, write right, policy
  if (auto st = check(item, now); !st) return st;
  item.count = 0;
  return queue(std::move(item));
}

Status Publisher::queue(Item item) {
  const size_t c = static_cast<size_t>(item.cls);
  auto& q = pending_[c];
  if (q.size() >= 16 * kMaxItems) return fail(Errc::kLimit, "publish queue full");
  // A report and a retraction of one item in one batch would merge (counts
  // added): the later one replaces the earlier. Reports are many and
  // retractions rare, so the queue is only searched when one is pending.
  if (item.count == 0 || retractions_[c] > 0) {
    const auto same = [&](const Item& o) {
      if (o.kind != item.kind || o.value != item.value || (o.count == 0) == (item.count == 0)) return false;
      if (o.count == 0) --retractions_[c];
      return true;
    };
    q.erase(std::remove_if(q.begin(), q.end(), same), q.end());
  }
  if (item.count == 0) ++retractions_[c];
  q.push_back(std::move(item));
  return {};
}

Status Publisher::check(Item& item, int64_t now) const {
  auto canon = canonical_value(item.kind, item.value);
  if (!canon) return fail(Errc::kParse, canon.error().message);
  item.value = std::move(*canon);
  if (!class_admits(item.cls, item.kind))
    return fail(Errc::kPermanent, fmt::format("policy: class {} carries no {} items", class_name(item.cls),
                                              kind_name(item.kind)));
  if (item.count == 0) return fail(Errc::kInvalidArgument, "count is at least 1");
  const Member* me = group_->find(self_);
  if (me == nullptr) return fail(Errc::kPermanent, "policy: '" + self_ + "' is not a member of the group");
  if (!me->may_write(item.cls, now))
    return fail(Errc::kPermanent, fmt::format("policy: {} may not write {} (rights or revocation)", self_,
                                              class_name(item.cls)));
  if (!policy_.classes.empty() && policy_.classes.count(item.cls) == 0)
    return fail(Errc::kPermanent,
                fmt::format("policy: {} is not published by this member", class_name(item.cls)));
  if (item.kind == ItemKind::kIp) {
    auto ip = IpAddress::parse(item.value);
    const IpPrefix host{*ip, ip->is_v4() ? 32u : 128u};
    for (const IpPrefix& sub : policy_.subscriber_networks) {
      if (!sub.contains(*ip)) continue;
      bool allowed = false;
      for (const IpPrefix& pub : policy_.publishable_networks) allowed = allowed || within(pub, host);
      if (!allowed)
        return fail(Errc::kPermanent,
                    fmt::format("policy: {} is a subscriber address (in {}): publish it blinded "
                                "(ip_hmac)",
                                item.value, sub.to_string()));
    }
  } else if (item.kind == ItemKind::kNet) {
    auto net = parse_cidr(item.value);
    const unsigned floor = net->net.is_v4() ? policy_.min_v4_prefix : policy_.min_v6_prefix;
    if (net->len < floor)
      return fail(Errc::kPermanent, fmt::format("policy: {} is wider than /{}", item.value, floor));
    for (const IpPrefix& sub : policy_.subscriber_networks) {
      if (!overlaps(sub, *net)) continue;
      bool allowed = false;
      for (const IpPrefix& pub : policy_.publishable_networks) allowed = allowed || within(pub, *net);
      if (!allowed)
        return fail(Errc::kPermanent,
                    fmt::format("policy: {} overlaps subscriber network {}", item.value, sub.to_string()));
    }
  }
  return {};
}

std::optional<Batch> Publisher::take(DataClass cls, uint64_t seq, int64_t now) {
  auto& q = pending_[static_cast<size_t>(cls)];
  if (q.empty()) return std::nullopt;
  Batch b;
  b.cls = cls;
  b.origin = self_;
  b.seq = seq;
  b.time = now;
  if (q.size() <= kMaxItems) {
    b.items = std::move(q);
    q.clear();
  } else {
    b.items.assign(std::make_move_iterator(q.begin()), std::make_move_iterator(q.begin() + kMaxItems));
    q.erase(q.begin(), q.begin() + kMaxItems);
  }
  return b;
}

// ---------------------------------------------------------------- Tally
std::string Tally::key_of(const Item& i) {
  return fmt::format("{} {} {}", class_name(i.cls), kind_name(i.kind), i.value);
}

double Tally::trust(std::string_view origin) const {
  if (auto it = trust_.find(origin); it != trust_.end()) return it->second;
  if (auto it = trust_.find("*"); it != trust_.end()) return it->second;
  return 0.0;
}

double Tally::score_of(const Entry& e, int64_t now) const {
  double s = 0;
  for (const Report& r : e.reports) {
    if (r.count == 0) continue;  // withdrawn
    const double age = std::max(0.0, static_cast<double>(now - r.time) - fresh_s_);
    const double decay = half_life_s_ > 0 ? std::exp2(-age / half_life_s_) : 1.0;
    s += trust(r.origin) * decay;
  }
  return s;
}

double Tally::score(const Item& key, int64_t now) const {
  auto it = entries_.find(key_of(key));
  return it == entries_.end() ? 0.0 : score_of(it->second, now);
}

bool Tally::retracted(const Item& key) const {
  auto it = entries_.find(key_of(key));
  return it != entries_.end() && it->second.retracted != 0;
}

bool Tally::listed(const Item& key) const {
  auto it = entries_.find(key_of(key));
  return it != entries_.end() && it->second.listed;
}

const std::vector<Report>* Tally::reports(const Item& key) const {
  auto it = entries_.find(key_of(key));
  return it == entries_.end() ? nullptr : &it->second.reports;
}

std::vector<Tally::Change> Tally::add(const Batch& b, int64_t now) {
  std::vector<Change> changes;
  for (const Item& i : b.items) {
    Entry& e = entries_[key_of(i)];
    bool found = false;
    for (Report& r : e.reports) {
      if (r.origin != b.origin) continue;
      found = true;
      // An older batch overtaken by a newer one changes nothing; count 0
      // keeps the withdrawal (and its time) so that a late older report
      // does not bring the item back.
      if (b.time >= r.time) r = Report{b.origin, b.time, b.seq, i.count};
      break;
    }
    if (!found) e.reports.push_back(Report{b.origin, b.time, b.seq, i.count});
    if (i.count == 0) e.retracted = std::max(e.retracted, b.time);
    const bool now_listed = score_of(e, now) >= threshold_ - 1e-9;
    if (now_listed != e.listed) {
      e.listed = now_listed;
      changes.push_back(Change{i, now_listed});
    }
  }
  return changes;
}

std::vector<Tally::Change> Tally::expire(int64_t now) {
  std::vector<Change> changes;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const double s = score_of(it->second, now);
    const bool now_listed = s >= threshold_ - 1e-9;
    if (now_listed != it->second.listed) {
      it->second.listed = now_listed;
      // Rebuild the item from the key "class kind value".
      Item item;
      const std::string& k = it->first;
      const size_t a = k.find(' '), bpos = k.find(' ', a + 1);
      item.cls = *parse_class(std::string_view(k).substr(0, a));
      item.kind = *parse_kind(std::string_view(k).substr(a + 1, bpos - a - 1));
      item.value = k.substr(bpos + 1);
      changes.push_back(Change{std::move(item), now_listed});
    }
    // Decayed to nothing (or withdrawn by every origin, kept an hour so that
    // a re-classification can still see the retraction): dropped.
    if (it->second.retracted != 0 && now - it->second.retracted >= kRetractionKeep) it->second.retracted = 0;
    const bool tombstone = it->second.retracted != 0;
    if (!now_listed && s < threshold_ * 0.01 && !tombstone)
      it = entries_.erase(it);
    else
      ++it;
  }
  return changes;
}

}  // namespace rampart::exchange

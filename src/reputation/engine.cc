// File: src/reputation/engine.cc
// Events to counter updates; classification with history.
#include "reputation/engine.h"

#include <algorithm>
#include <unordered_map>

#include <cstdio>

#include "auth/dmarc/orgdomain.h"
#include "reputation/helo.h"

namespace rampart::reputation {

std::string Report::to_json(bool with_counters) const {
  std::string out = "{\"identity\": ";
  append_json_string(out, identity);
  out += ", \"class\": ";
  append_json_string(out, class_name(cls));
  char b[64];
  std::snprintf(b, sizeof b, ", \"score\": %.2f", score);
  out += b;
  out += ", \"reasons\": [";
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i) out += ", ";
    append_json_string(out, reasons[i].code + ": " + reasons[i].text);
  }
  out += "], \"classified_at\": " + std::to_string(classified_at);
  if (!shared_by.empty()) {
    out += ", \"shared_by\": [";
    for (size_t i = 0; i < shared_by.size(); ++i) {
      out += i ? ", {\"member\": " : "{\"member\": ";
      append_json_string(out, shared_by[i].member);
      out += ", \"seq\": " + std::to_string(shared_by[i].seq) +
             ", \"time\": " + std::to_string(shared_by[i].time) + "}";
    }
    out += "]";
  }
  if (with_counters) {
    out += ", \"counters\": {\"at\": " + std::to_string(counters.t);
    for (size_t m = 0; m < kMetricCount; ++m) {
      out += ", ";
      append_json_string(out, metric_name(static_cast<Metric>(m)));
      out += ": {";
      for (size_t w = 0; w < kWindowCount; ++w) {
        std::snprintf(
            b, sizeof b, "%s\"%s\": %.9g", w ? ", " : "",
            std::string(window_name(static_cast<Window>(w))).c_str(),
            static_cast<double>(counters.v[Counters::index(static_cast<Metric>(m), static_cast<Window>(w))]));
        out += b;
      }
      out += "}";
    }
    out += "}";
  }
  out += "}";
  return out;
}

namespace {
// SPF and DKIM both passed for the From's organisational domain (relaxed
// alignment, RFC 7489 3.1.1 and 3.1.2) while the domain has no DMARC record.
bool aligned_without_record(const Event& e, const dmarc::PublicSuffixList& psl) {
  if (e.dmarc != AuthResult::kNone || e.spf != AuthResult::kPass || e.dkim != AuthResult::kPass) return false;
  const std::string from = domain_of(e.from);
  if (from.empty()) return false;
  const std::string org = psl.organizational_domain(from);
  if (org.empty() || psl.organizational_domain(domain_of(e.mail_from)) != org) return false;
  for (const std::string& d : e.dkim_domains)
    if (psl.organizational_domain(domain_of(d)) == org) return true;
  return false;
}
}  // namespace

std::vector<std::string> cosigners_of(const Event& e, const dmarc::PublicSuffixList& psl) {
  std::vector<std::string> out;
  if (e.type != EventType::kMessage || e.dkim != AuthResult::kPass || e.dkim_domains.empty()) return out;
  const std::string from = domain_of(e.from);
  if (from.empty()) return out;
  std::string from_org;  // looked up only for a d= that is not the From's name or a parent or child of it
  auto related = [](std::string_view a, std::string_view b) {  // a is b or a subdomain of b
    return a == b || (a.size() > b.size() && a.ends_with(b) && a[a.size() - b.size() - 1] == '.');
  };
  for (const std::string& raw : e.dkim_domains) {
    std::string d = domain_of(raw);
    if (d.empty() || related(d, from) || related(from, d)) continue;
    if (from_org.empty()) from_org = psl.organizational_domain(from);
    if (psl.organizational_domain(d) == from_org) continue;
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  return out;
}

Counters delta_of(const Event& e, int64_t at, const dmarc::PublicSuffixList* psl) {
  Counters d;
  d.t = at;
  auto put = [&](Metric m, double x) {
    for (size_t w = 0; w < kWindowCount; ++w)
      d.v[Counters::index(m, static_cast<Window>(w))] = static_cast<float>(x);
  };
  switch (e.type) {
    case EventType::kMessage: {
      const double n = e.recipients;
      put(Metric::kVolume, n);
      const bool spf_bad = e.spf == AuthResult::kFail || e.spf == AuthResult::kSoftFail;
      if ((e.spf == AuthResult::kPass && e.dkim == AuthResult::kPass && e.dmarc == AuthResult::kPass) ||
          (psl && aligned_without_record(e, *psl)))
        put(Metric::kAuthAligned, n);
      else if (e.dmarc == AuthResult::kPass)
        put(Metric::kDmarcOnly, n);
      else if ((spf_bad || e.dmarc == AuthResult::kFail) && e.spf != AuthResult::kPass &&
               e.dkim != AuthResult::kPass)
        // Nothing verified the sender and something said it was not
        // authorised. A DMARC fail beside a passing SPF or DKIM of another
        // domain is a mailing list or forwarder (RFC 7960), not a forgery.
        put(Metric::kAuthFail, n);
      if (is_bad_helo(classify_helo(e.helo, e.ip))) put(Metric::kBadHelo, n);
      if (e.list_unsubscribe_one_click) put(Metric::kOneClick, n);
      if (e.fcrdns) put(Metric::kFcrdns, n);
      // A verdict judges one message's content: weighted by its recipients
      // but at most kVerdictRecipients, so one flagged post of a mailing
      // list (hundreds of recipients, a filter's false positive) does not
      // read as most of the sender's mail.
      if (e.verdict == Verdict::kSpam) put(Metric::kSpamVerdict, std::min<double>(n, kVerdictRecipients));
      break;
    }
    case EventType::kComplaint: put(Metric::kComplaints, 1); break;
    case EventType::kTrap: put(Metric::kTraps, 1); break;
    case EventType::kBounce: put(Metric::kBounces, 1); break;
    case EventType::kNotSpam: put(Metric::kNotSpam, 1); break;
    case EventType::kUnsubscribe: put(Metric::kUnsubscribes, 1); break;
    case EventType::kBot: put(Metric::kBot, 1); break;
    case EventType::kShared:
      break;  // the evidence is the exchange's (Engine::set_shared_evidence)
    // Calls (issue 16): one attempt; blocked, tagged or rejected reads as a
    // spam verdict, as a message's does.
    case EventType::kCall:
      put(Metric::kVolume, 1);
      if (e.verdict == Verdict::kSpam) put(Metric::kSpamVerdict, 1);
      break;
    // A short answered call (the callee hung up on it): counted in kBounces,
    // which a channel identity reads as short calls (classify_channel).
    case EventType::kCallEnd:
      if (e.answered && e.duration >= 0 && e.duration < kShortCallSeconds) put(Metric::kBounces, 1);
      break;
  }
  return d;
}

namespace {
std::atomic<uint64_t> g_next_engine{1};
}  // namespace

Engine::Engine(Store& store, const Clock& clock, Thresholds th, const dmarc::PublicSuffixList& psl)
    : store_(store), clock_(clock), th_(th), psl_(psl), uid_(g_next_engine.fetch_add(1)) {}

const SharedEvidenceFn* Engine::shared_fn() const {
  const uint64_t v = shared_version_.load(std::memory_order_acquire);
  if (v == 0) return nullptr;
  struct Copy {
    uint64_t uid = 0, version = 0;
    std::shared_ptr<const SharedEvidenceFn> fn;
  };
  thread_local Copy copy;
  if (copy.uid != uid_ || copy.version != v) {
    copy.fn = shared_.load();
    copy.uid = uid_;
    copy.version = v;
  }
  return copy.fn.get();
}

namespace {
bool is_sender_kind(IdentityKind k) { return k != IdentityKind::kFeedbackId && k != IdentityKind::kListId; }

// The inputs of identities_of() for a mail event (a message, a complaint,
// a bounce, a bot: every field it reads), as one key, each field
// length-prefixed (two events with the same key get the same identities).
// False for other channels' and shared events (not memoized).
bool identity_inputs(const Event& e, std::string& out) {
  if (e.type == EventType::kShared || e.type == EventType::kCall || e.type == EventType::kCallEnd ||
      !e.channel.empty())
    return false;
  out.clear();
  const auto field = [&out](std::string_view v) {
    const auto n = static_cast<uint32_t>(v.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(v);
  };
  out.push_back(e.type == EventType::kBot ? 'b' : 'm');
  out.push_back(static_cast<char>(e.dkim));
  out.push_back(static_cast<char>(e.spf));
  out.push_back(static_cast<char>(e.senderid));
  out.push_back(static_cast<char>(e.dmarc));
  if (e.ip) {
    out.push_back(e.ip->is_v4() ? '4' : '6');
    out.append(reinterpret_cast<const char*>(e.ip->bytes().data()), e.ip->bytes().size());
  } else {
    out.push_back('-');
  }
  field(e.mail_from);
  field(e.from);
  field(e.pra);
  field(e.feedback_id);
  field(e.list_id);
  for (const std::string& d : e.dkim_domains) field(d);
  return true;
}
}  // namespace

void Engine::collect(std::span<const Event> events, std::vector<std::pair<Identity, int64_t>>* senders) {
  updates_.clear();
  // One event: identities_of() gives each identity once, no map needed.
  KeyIndex seen;  // sender keys -> index in *senders
  collect_into(events, updates_, senders, events.size() == 1 ? nullptr : &seen);
}

void Engine::collect_into(std::span<const Event> events, std::vector<Update>& updates,
                          std::vector<std::pair<Identity, int64_t>>* senders, KeyIndex* seen,
                          KeyIndex* fold) const {
  const auto key_of = [senders](uint32_t i) -> std::string_view { return (*senders)[i].first.key; };
  const auto update_key = [&updates](uint32_t i) -> std::string_view { return updates[i].key; };
  if (!fold)  // folded: a batch's senders, not its events, set the size
    updates.reserve(updates.size() +
                    6 * events.size());  // ip, net, domain, dkim, spf and one more, typically
  // Folded (the writer's batches): a sender's identities are worked out
  // once per batch; its next events with the same inputs to identities_of()
  // take them from `memo` (no domain look-ups, no allocation per identity).
  std::string probe;
  std::vector<std::string> memo_keys;
  std::vector<std::vector<Identity>> memo_ids;
  KeyIndex memo;
  const auto memo_key = [&memo_keys](uint32_t i) -> std::string_view { return memo_keys[i]; };
  std::vector<Identity> own;
  for (const Event& e : events) {
    const int64_t at = e.time ? e.time : clock_.unix_seconds();
    const Counters d = delta_of(e, at, &psl_);
    // Mail another domain signed (Metric::kCoSigned): for the address, its
    // network, and the signer's own identities, not the From's.
    const std::vector<std::string> cos = cosigners_of(e, psl_);
    Counters dc;
    std::vector<std::string> cos_orgs;
    if (!cos.empty()) {
      dc = d;
      const double n = e.recipients;
      for (size_t w = 0; w < kWindowCount; ++w)
        dc.v[Counters::index(Metric::kCoSigned, static_cast<Window>(w))] = static_cast<float>(n);
      for (const std::string& c : cos) cos_orgs.push_back("domain:" + psl_.organizational_domain(c));
    }
    std::vector<Identity>* ids_p = &own;
    if (fold && identity_inputs(e, probe)) {
      auto [pos, fresh] = memo.find_or_add(probe, static_cast<uint32_t>(memo_keys.size()), memo_key);
      if (fresh) {
        memo_keys.push_back(probe);
        memo_ids.push_back(identities_of(e, psl_));
      }
      ids_p = &memo_ids[pos];
    } else {
      own = identities_of(e, psl_);
    }
    for (Identity& id : *ids_p) {
      bool co = false;
      if (!cos.empty()) {
        if (id.kind == IdentityKind::kIp || id.kind == IdentityKind::kNet)
          co = true;
        else if (id.kind == IdentityKind::kDomain)
          co = std::find(cos_orgs.begin(), cos_orgs.end(), id.key) != cos_orgs.end();
        else if (id.kind == IdentityKind::kDkim)
          for (const std::string& c : cos) co = co || (id.key.size() == 5 + c.size() && id.key.ends_with(c));
      }
      if (senders && is_sender_kind(id.kind)) {
        if (!seen) {
          senders->emplace_back(id, at);
        } else if (auto [pos, fresh] =
                       seen->find_or_add(id.key, static_cast<uint32_t>(senders->size()), key_of);
                   fresh) {
          senders->emplace_back(id, at);
        } else {
          (*senders)[pos].second = std::max((*senders)[pos].second, at);
        }
      }
      if (fold) {
        auto [pos, fresh] = fold->find_or_add(id.key, static_cast<uint32_t>(updates.size()), update_key);
        if (!fresh) {
          updates[pos].delta = merge(updates[pos].delta, co ? dc : d);
        } else {
          updates.push_back(Update{id.key, co ? dc : d});  // a copy: the memo may serve the next event
        }
        continue;
      }
      updates.push_back(Update{std::move(id.key), co ? dc : d});
    }
  }
}

Status Engine::record(const Event& e) { return record_batch(std::span<const Event>(&e, 1)); }

Status Engine::record_batch(std::span<const Event> events) {
  // Each sender identity once, re-classified at the latest event about it.
  std::vector<std::pair<Identity, int64_t>> senders;
  collect(events, &senders);
  if (updates_.empty()) return {};
  if (auto st = store_.merge(updates_); !st) return st;
  return reclassify(senders);
}

Result<size_t> Engine::record_ops(std::span<const EventBatch> batches) {
  Senders senders;
  auto applied = write_ops(batches, senders);
  if (!applied) return applied;
  if (auto st = reclassify(senders); !st) return tl::unexpected(st.error());
  return applied;
}

std::vector<OpBatch> Engine::ops_of(std::span<const EventBatch> batches, Senders& senders) const {
  std::vector<OpBatch> ops;
  ops_into(batches, senders, ops);
  return ops;
}

std::span<const OpBatch> Engine::ops_into(std::span<const EventBatch> batches, Senders& senders,
                                          std::vector<OpBatch>& ops) const {
  KeyIndex seen;
  const auto key_of = [&senders](uint32_t i) -> std::string_view { return senders[i].first.key; };
  // Sized once for the group (about five sender identities per event), not
  // grown by doubling: a group of 15 k events rebuilt it a dozen times.
  size_t events = 0;
  for (const EventBatch& b : batches) events += b.events.size();
  seen.reserve(senders.size() + 5 * events);
  for (size_t i = 0; i < senders.size(); ++i)
    seen.find_or_add(senders[i].first.key, static_cast<uint32_t>(i), key_of);
  if (ops.size() < batches.size()) ops.resize(batches.size());
  // A batch's updates, one per key: a busy sender's hundreds of events in
  // 100 ms are one merge in the store, not hundreds (with the memory store
  // each was a table update under the lock the loops' lookups take).
  KeyIndex fold;
  for (size_t i = 0; i < batches.size(); ++i) {
    ops[i].op_id = batches[i].op_id;
    ops[i].updates.clear();  // its capacity stays: no large allocation per batch
    fold.clear();
    collect_into(batches[i].events, ops[i].updates, &senders, &seen, &fold);
  }
  return std::span<const OpBatch>(ops.data(), batches.size());
}

Result<size_t> Engine::write_ops(std::span<const EventBatch> batches, Senders& senders) {
  return store_.merge_ops(ops_of(batches, senders));
}

void Engine::next_states(const Senders& senders, std::span<const Store::Lookup> lookups,
                         std::vector<std::pair<std::string, std::string>>& states,
                         std::vector<ClassChange>* changes) const {
  ClassChange change;
  for (size_t i = 0; i < senders.size(); ++i) {
    change.identity.clear();
    if (auto next = next_state(senders[i].first, lookups[i], senders[i].second, changes ? &change : nullptr))
      states.emplace_back(senders[i].first.key, std::move(*next));
    if (changes && !change.identity.empty()) changes->push_back(std::move(change));
  }
}

Status Engine::commit_states(std::span<const std::pair<std::string, std::string>> states,
                             std::span<const ClassChange> changes) {
  if (states.empty()) return {};
  Status st =
      states.size() == 1 ? store_.put_state(states[0].first, states[0].second) : store_.put_states(states);
  if (st && !changes.empty())
    if (const auto listener = listener_.load()) (*listener)(changes);
  return st;
}

Status Engine::reclassify(const Senders& senders) {
  if (senders.empty()) return {};
  std::vector<std::string> keys;
  keys.reserve(senders.size());
  for (const auto& s : senders) keys.push_back(s.first.key);
  auto looked = store_.lookup_many(keys);  // one round trip with Redis
  if (!looked) return tl::unexpected(looked.error());
  std::vector<std::pair<std::string, std::string>> states;
  std::vector<ClassChange> changes;
  next_states(senders, *looked, states, has_listener() ? &changes : nullptr);
  return commit_states(states, changes);
}

Status Engine::record_counters_only(std::span<const Event> events) {
  collect(events, nullptr);
  return store_.merge(updates_);
}

namespace {
IdentityKind kind_of(std::string_view key) { return identity_kind_of(key); }
}  // namespace

namespace {
std::optional<ClassState> decode_state(const std::optional<std::string>& raw) {
  if (!raw) return std::nullopt;
  return ClassState::decode(*raw);
}
// Since when the identity has been good (or clean while unknown); 0: never.
int64_t history_since(const std::optional<ClassState>& prev) {
  if (!prev) return 0;
  if (prev->cls == SenderClass::kUnknown) return prev->good_since;
  return prev->good_since ? prev->good_since : prev->since;
}
}  // namespace

namespace {
bool shared_kind(IdentityKind k) {
  return k == IdentityKind::kIp || k == IdentityKind::kNet || k == IdentityKind::kDomain;
}

// Folds the members' evidence into `a`; returns true when the class is bad
// only because of it.
bool apply_shared(Assessment& a, const SharedEvidence& ev) {
  if (ev.by.empty()) return false;
  std::string who;
  for (size_t i = 0; i < ev.by.size(); ++i) {
    char t[32];
    std::snprintf(t, sizeof t, "%.2g", i < ev.trust.size() ? ev.trust[i] : 0.0);
    who += (i ? ", " : "") + ev.by[i].member + "@" + std::to_string(ev.by[i].time) + " (batch " +
           std::to_string(ev.by[i].seq) + ", trust " + t + ")";
  }
  char w[64];
  std::snprintf(w, sizeof w, "%.2f", ev.weight);
  const bool enough = ev.weight >= 1 - 1e-9;
  a.reasons.push_back(Reason{"EXCHANGE", enough ? -5.0 : 0.0,
                             std::string(ev.bot ? "reported as a bot" : "reported as a spam source") +
                                 " by members of the exchange: " + who + "; trust-weighted " + w +
                                 (enough ? " >= 1 (the exchange's threshold)" : " < 1: not enough")});
  if (!enough) return false;
  // The zones list a bot under their bot code by this reason (live_zones.cc).
  if (ev.bot) a.reasons.push_back(Reason{"BOT_DETECTED", 0, "as members of the exchange report (EXCHANGE)"});
  if (is_bad(a.cls)) return false;
  a.cls = ev.bot ? SenderClass::kCompromised : SenderClass::kSpammer;
  a.score -= 5;
  a.clean = false;
  return true;
}
}  // namespace

std::optional<ClassState> Engine::classify_with_shared(const Identity& id, const Store::Lookup& l,
                                                       int64_t now, Assessment& a,
                                                       std::vector<Provenance>* learned,
                                                       std::vector<Provenance>* by) const {
  const std::optional<ClassState> prev = decode_state(l.state);
  std::optional<SharedEvidence> ev;
  if (shared_kind(id.kind))
    if (const SharedEvidenceFn* fn = shared_fn()) ev = (*fn)(id.key, now);
  if (!l.counters && !ev) return std::nullopt;
  static const Counters kNone{};
  a = classify(l.counters ? *l.counters : kNone, id.kind, now, th_, prev ? prev->cls : SenderClass::kUnknown,
               history_since(prev));
  const bool own_bad = is_bad(a.cls);  // this member's own evidence, before the members'
  if (ev && apply_shared(a, *ev) && learned) *learned = ev->by;
  if (ev && by && !ev->by.empty()) *by = ev->by;
  // A member withdrew its report, what the others say is not enough, the
  // class came from the members' reports alone (ClassState::learned: never
  // one this member earned itself, however long it has merely been held),
  // and nothing of this member's own says it is bad now (judged as a
  // newcomer: without the hold of the class the members' reports gave it):
  // the class ends now, not after the hold.
  if (ev && ev->retracted && ev->weight < 1 - 1e-9 && prev && is_bad(prev->cls) && prev->learned &&
      !is_bad(classify(l.counters ? *l.counters : kNone, id.kind, now, th_).cls)) {
    a.cls = SenderClass::kUnknown;
    a.reasons.push_back(Reason{"RETRACTED", 0, "a member withdrew its report; what is left is not enough"});
    return ClassState{SenderClass::kUnknown, now, 0};
  }
  ClassState next = apply_history(a, prev, now);
  // Where a bad class came from: the members' reports when this member's own
  // evidence said nothing bad when it began and has said nothing bad since;
  // once its own evidence says bad, the class is its own for good.
  next.learned = is_bad(next.cls) && !own_bad && (prev && is_bad(prev->cls) ? prev->learned : true);
  return next;
}

std::optional<std::string> Engine::next_state(const Identity& id, const Store::Lookup& l, int64_t now,
                                              ClassChange* change) const {
  Assessment a;
  std::vector<Provenance> learned;
  const auto st = classify_with_shared(id, l, now, a, &learned, nullptr);
  if (!st) return std::nullopt;
  const ClassState& next = *st;
  const std::optional<ClassState> prev = decode_state(l.state);
  const SenderClass before = prev ? prev->cls : SenderClass::kUnknown;
  if (change && before != next.cls) {
    change->identity = id.key;
    change->from = before;
    change->to = next.cls;
    change->reasons = a.reasons;
    change->at = now;
    change->learned_from = is_bad(next.cls) ? std::move(learned) : std::vector<Provenance>{};
  }
  if (!prev || prev->cls != next.cls || prev->since != next.since || prev->learned != next.learned) {
    if (next.cls == SenderClass::kUnknown && !next.good_since && !prev) return std::nullopt;
    return next.encode();
  }
  return std::nullopt;
}

Report Engine::report_from(std::string_view identity, const Store::Lookup& l, int64_t now) const {
  Report r;
  r.identity = std::string(identity);
  r.now = now;
  Assessment a;
  const Identity id{kind_of(identity), std::string(identity)};
  const auto st = classify_with_shared(id, l, now, a, nullptr, &r.shared_by);
  if (!st) {
    if (const std::optional<ClassState> prev = decode_state(l.state)) {
      r.cls = prev->cls;
      r.classified_at = prev->since;
    }
    return r;
  }
  if (l.counters) r.counters = *l.counters;
  r.cls = a.cls;
  r.score = a.score;
  r.reasons = std::move(a.reasons);
  r.classified_at = r.cls == SenderClass::kUnknown ? 0 : st->since;
  return r;
}

Result<Report> Engine::report(std::string_view identity, int64_t now) {
  if (now == 0) now = clock_.unix_seconds();
  const std::string key(identity);
  auto l = store_.lookup_many(std::span<const std::string>(&key, 1));
  if (!l) return tl::unexpected(l.error());
  return report_from(identity, (*l)[0], now);
}

Result<std::vector<Report>> Engine::report_many(std::span<const std::string> identities, int64_t now) {
  auto l = store_.lookup_many(identities);
  if (!l) return tl::unexpected(l.error());
  return reports_from(identities, *l, now);
}

std::vector<Report> Engine::reports_from(std::span<const std::string> identities,
                                         std::span<const Store::Lookup> lookups, int64_t now) const {
  if (now == 0) now = clock_.unix_seconds();
  std::vector<Report> out;
  out.reserve(identities.size());
  for (size_t i = 0; i < identities.size(); ++i) out.push_back(report_from(identities[i], lookups[i], now));
  return out;
}

StoredClassWalk walk_stored_classes(Engine& engine, const std::atomic<bool>& stop,
                                    const std::function<bool(std::string_view)>& wanted,
                                    const std::function<bool(SenderClass)>& keep,
                                    const std::function<void(std::vector<ClassChange>&)>& apply,
                                    const std::function<void(const std::string&)>& warn) {
  StoredClassWalk walked;
  std::vector<std::string> chunk;
  auto flush_chunk = [&]() {
    if (chunk.empty()) return;
    auto reports = engine.report_many(chunk);  // at the engine's clock
    chunk.clear();
    if (!reports) {
      warn(reports.error().message);
      return;
    }
    std::vector<ClassChange> found;
    for (auto& r : *reports)
      if (keep(r.cls))
        found.push_back({std::move(r.identity), SenderClass::kUnknown, r.cls, std::move(r.reasons), r.now});
    walked.kept += found.size();
    if (!found.empty()) apply(found);
  };
  auto st = engine.store().for_each_key([&](std::string_view k) {
    if (stop.load()) return false;
    if (!wanted(k)) return true;
    ++walked.keys;
    chunk.emplace_back(k);
    if (chunk.size() >= 512) flush_chunk();
    return true;
  });
  if (!stop.load()) flush_chunk();
  if (!st) warn(st.error().message);
  return walked;
}

}  // namespace rampart::reputation

// File: src/reputation/engine.h
// The reputation engine: turns events into counter updates on the verified
// identities they are about, keeps each identity's class and since when,
// and answers "what is this identity" with the reasons.
//
//   reputation::MemoryStore store;                // or RocksDbStore, RedisClusterStore
//   SystemClock clock;
//   reputation::Engine engine(store, clock, thresholds, dmarc::PublicSuffixList::system());
//   if (auto st = engine.record(event); !st) tempfail(st.error());
//   Result<reputation::Report> r = engine.report("domain:example.com");
//   r->cls; r->score; r->reasons; r->classified_at;  r->to_json();
//
// record(): one Store::merge() with every identity's delta (volume etc. from
// the event, see event.h), then each sender identity (ip, net, domain, dkim,
// spf, pra) is re-classified and its state written when the class changed.
// Events with time 0 take the clock's time. report() classifies at the
// clock's time (or `now`).
//
// DIAGNOSTICS: store errors are returned as they are (kIo/kTemporary: retry
// or tempfail); an event without any verified identity is accepted and
// changes nothing.
#pragma once

#include "core/json.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "reputation/classify.h"
#include "reputation/event.h"
#include "reputation/key_index.h"
#include "reputation/store.h"

namespace rampart::reputation {

struct Report {
  std::string identity;
  SenderClass cls = SenderClass::kUnknown;
  double score = 0;
  std::vector<Reason> reasons;
  int64_t classified_at = 0;  // when the current class began; 0 for unknown
  Counters counters;          // as stored (decay them with value(..., now))
  int64_t now = 0;
  // Members of the exchange whose reports count in this class (EXCHANGE
  // reason); JSON "shared_by": [{"member", "seq", "time"}] when not empty.
  std::vector<Provenance> shared_by{};
  // {"identity": ..., "class": ..., "score": ..., "reasons": [...], "classified_at": ...}
  // with_counters adds "counters": {"at": T, "volume": {"hour": h, "day": d,
  // "month": m}, ... every metric} with the values as stored at unix time T
  // (not decayed to now: exact, and the same whichever node answers).
  std::string to_json(bool with_counters = false) const;
};

// The counter increments an event stands for (recipients for message
// metrics, one for the others), at the event's time. A spam verdict counts
// at most kVerdictRecipients recipients (it judges one message).
// With `psl`, a message whose From domain publishes no DMARC record (dmarc
// none) counts as aligned when SPF and DKIM both passed for domains of the
// From's organisational domain (RFC 7489 3.1 relaxed identifier alignment,
// computed here): authenticated and aligned, only without the record.
inline constexpr uint32_t kVerdictRecipients = 5;
Counters delta_of(const Event& e, int64_t at, const dmarc::PublicSuffixList* psl = nullptr);
// The domains of a message's valid DKIM signatures whose organisational
// domain is not the From's (issue 13, round 12): a platform that signs its
// customers' mail (an ESP's d= beside the customer's, a hosted mail
// service's), a mailing list re-signing its posts. Empty for other events,
// without a valid signature or a From, or when every d= is the From's own.
// The engine counts the message's recipients as Metric::kCoSigned for the
// ip: and net: identities and for these signers' domain: and dkim:
// identities, never for the From's.
std::vector<std::string> cosigners_of(const Event& e, const dmarc::PublicSuffixList& psl);

// A class change decided by re-classification (Engine::reclassify): what
// the live DNSBL zones list and delist by (src/server/live_zones.h). `to`
// carries the hysteresis of apply_history: a bad class is held, silence
// never forgives.
struct ClassChange {
  std::string identity;  // "ip:192.0.2.1", "net:...", "domain:..."
  SenderClass from = SenderClass::kUnknown, to = SenderClass::kUnknown;
  std::vector<Reason> reasons;  // of the new class
  int64_t at = 0;
  // Not empty: the class is bad only because these members of the exchange
  // reported it (nothing this member saw itself): it must not be published
  // again as this member's own report (src/server/exchange_service.cc).
  std::vector<Provenance> learned_from{};
};

// What the members of the private exchange said about an identity
// (src/server/exchange_service.cc keeps it; Engine::set_shared_evidence).
struct SharedEvidence {
  // Sum over reporting members of trust x decay, over the exchange's
  // threshold: >= 1 makes the identity bad (SPAMMER, or COMPROMISED for a bot).
  double weight = 0;
  bool bot = false;        // reported as a bot (bot_ip), else as a spam source
  bool retracted = false;  // a member withdrew its report of it (recently)
  std::vector<Provenance> by;
  std::vector<double> trust;  // by[i]'s trust
};
using SharedEvidenceFn = std::function<std::optional<SharedEvidence>(std::string_view identity, int64_t now)>;
// Called on the thread that re-classified (StoreService's re-classifier),
// after the new states were written; it must be quick and thread-safe.
using ClassListener = std::function<void(std::span<const ClassChange>)>;

// Events accepted together under one operation id (StoreService).
struct EventBatch {
  std::string op_id;
  std::vector<Event> events;
};

class Engine {
 public:
  Engine(Store& store, const Clock& clock, Thresholds th, const dmarc::PublicSuffixList& psl);

  Status record(const Event& e);
  // Several events in one store merge (one WAL sync), then every sender
  // identity they touch re-classified once, at the latest of its events'
  // times (rampartd's batched scan events). All or nothing for the counters
  // as the store's merge is; a re-classification error leaves the counters in.
  Status record_batch(std::span<const Event> events);
  // Several batches, each counted once by its op id (Store::merge_ops: one
  // write for all), then every sender identity they touch re-classified once
  // (one lookup_many, one put_states). Returns how many batches were applied
  // now (the others had been applied before). Events with time 0 take the
  // clock's time: give them a time before the batch may be retried. Thread
  // use: record_ops on one thread at a time; report()/report_many() may run
  // on others beside it when the store is thread_safe().
  Result<size_t> record_ops(std::span<const EventBatch> batches);
  // record_ops() in two steps (StoreService's writer acknowledges a batch
  // once its counters are durable, then re-classifies the senders of many
  // groups at once, each identity once): the counters, with the senders to
  // re-classify (each once, at its latest event time) added to `senders`...
  using Senders = std::vector<std::pair<Identity, int64_t>>;
  Result<size_t> write_ops(std::span<const EventBatch> batches, Senders& senders);
  // ... and their re-classification (one lookup_many, one put_states).
  Status reclassify(const Senders& senders);
  // write_ops() split for a caller that keeps counters itself (StoreService's
  // cache of recent counters): the op batches of `batches`, each with one
  // update per identity (its events' deltas merged in their order: merge is
  // commutative and associative up to rounding, and exact for events of the
  // same second), the senders added to `senders` as write_ops does.
  std::vector<OpBatch> ops_of(std::span<const EventBatch> batches, Senders& senders) const;
  // ops_of() into `ops`, whose elements (and their vectors' capacity) are
  // reused from one call to the next (StoreService's writer: a 20 KB vector
  // per batch allocated and freed per group cost ~20% of the CPU in glibc's
  // malloc_consolidate). Returns the first batches.size() elements; ops is
  // never shrunk.
  std::span<const OpBatch> ops_into(std::span<const EventBatch> batches, Senders& senders,
                                    std::vector<OpBatch>& ops) const;
  // reclassify() from lookups the caller already has (lookups[i] for
  // senders[i]): the states to write (key, encoded state) and the class
  // changes for the listener. No store call.
  void next_states(const Senders& senders, std::span<const Store::Lookup> lookups,
                   std::vector<std::pair<std::string, std::string>>& states,
                   std::vector<ClassChange>* changes) const;
  // Writes `states` (one put_states) and tells the listener of `changes`.
  Status commit_states(std::span<const std::pair<std::string, std::string>> states,
                       std::span<const ClassChange> changes);
  bool has_listener() const { return listener_.load() != nullptr; }
  // report_many() from lookups the caller already has (no store call).
  std::vector<Report> reports_from(std::span<const std::string> identities,
                                   std::span<const Store::Lookup> lookups, int64_t now = 0) const;
  // Without re-classifying (bulk loading, benchmarks): one merge for all events.
  Status record_counters_only(std::span<const Event> events);

  Result<Report> report(std::string_view identity, int64_t now = 0);
  // report() for several identities in one Store::lookup_many (one round
  // trip with Redis): what a scan asks for its sender identities.
  Result<std::vector<Report>> report_many(std::span<const std::string> identities, int64_t now = 0);

  // The one hook into re-classification: every class change, once written.
  // Safe to set while other threads re-classify (an atomic swap).
  void set_class_listener(ClassListener l) {
    listener_.store(std::make_shared<const ClassListener>(std::move(l)));
  }
  // Another listener beside the one set (called after it). Start-up only:
  // not safe against a concurrent set_class_listener/add_class_listener.
  void add_class_listener(ClassListener l) {
    auto prev = listener_.load();
    if (!prev) return set_class_listener(std::move(l));
    set_class_listener([prev, l = std::move(l)](std::span<const ClassChange> cs) {
      (*prev)(cs);
      l(cs);
    });
  }

  // Evidence from the members' exchange, read at every classification of an
  // ip:, net: or domain: identity (must be quick and thread-safe). With it,
  // an identity the members reported (weight >= 1) is bad with an EXCHANGE
  // reason naming them; below, the reason is there with weight 0; when a
  // member withdrew its report (retracted), what is left is below 1 and the
  // counters hold no bad evidence, a bad class ends at once (RETRACTED)
  // instead of being held.
  void set_shared_evidence(SharedEvidenceFn f) {
    shared_.store(std::make_shared<const SharedEvidenceFn>(std::move(f)));
    shared_version_.fetch_add(1, std::memory_order_release);
  }

  const Thresholds& thresholds() const { return th_; }
  Store& store() { return store_; }

 private:
  // updates_ from the events' deltas; with `senders`, each sender identity
  // once with the latest time of its events.
  void collect(std::span<const Event> events, std::vector<std::pair<Identity, int64_t>>* senders);
  // With `fold` (an index over `updates`, empty at the start): each key's
  // deltas merged into one update (the first event's position).
  void collect_into(std::span<const Event> events, std::vector<Update>& updates,
                    std::vector<std::pair<Identity, int64_t>>* senders, KeyIndex* seen,
                    KeyIndex* fold = nullptr) const;
  std::optional<std::string> next_state(const Identity& id, const Store::Lookup& l, int64_t now,
                                        ClassChange* change = nullptr) const;
  Report report_from(std::string_view identity, const Store::Lookup& l, int64_t now) const;
  // classify() and apply_history() with the exchange's evidence folded in;
  // nullopt without counters and without evidence. `learned`: the members
  // when the class is bad only because of them; `by`: every reporter.
  std::optional<ClassState> classify_with_shared(const Identity& id, const Store::Lookup& l, int64_t now,
                                                 Assessment& a, std::vector<Provenance>* learned,
                                                 std::vector<Provenance>* by) const;

  Store& store_;
  const Clock& clock_;
  Thresholds th_;
  const dmarc::PublicSuffixList& psl_;
  std::vector<Update> updates_;
  std::atomic<std::shared_ptr<const ClassListener>> listener_;
  std::atomic<std::shared_ptr<const SharedEvidenceFn>> shared_;
  // Bumped after each set_shared_evidence (0: none set). Every scan reads
  // the evidence of its ip:, net: and domain: identities: each thread keeps
  // its own copy of shared_ and loads it again only when this moves (a load
  // of the atomic shared_ptr locks it: a write to one cache line that every
  // loop would share). shared_fn() returns this thread's copy.
  std::atomic<uint64_t> shared_version_{0};
  const uint64_t uid_;
  const SharedEvidenceFn* shared_fn() const;
};

// The classes a store holds, walked once (the start-up seeding of the live
// DNSBL zones and of the channels' held classes): every key `wanted` accepts
// is read with report_many() at the engine's clock in chunks of 512, and the
// identities of a chunk whose class `keep` accepts go to `apply` as changes
// from unknown. Stops early when `stop` is set. A chunk or a walk that fails
// is reported to `warn` (the error's message) and the walk goes on with the
// next chunk. Call it off the event loop: it reads the whole store.
struct StoredClassWalk {
  size_t keys = 0;  // keys `wanted` accepted
  size_t kept = 0;  // identities handed to `apply`
};
StoredClassWalk walk_stored_classes(Engine& engine, const std::atomic<bool>& stop,
                                    const std::function<bool(std::string_view)>& wanted,
                                    const std::function<bool(SenderClass)>& keep,
                                    const std::function<void(std::vector<ClassChange>&)>& apply,
                                    const std::function<void(const std::string&)>& warn);

// JSON string quoting (RFC 8259): quotes, backslash, control characters.
using rampart::append_json_string;  // core/json.h

}  // namespace rampart::reputation

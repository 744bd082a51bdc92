// File: src/server/channel_reputation.cc
// Calls and messages as reputation identities (see channel_reputation.h).
#include "server/channel_reputation.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/log.h"
#include "server/calls_api.h"

namespace rampart::server {

namespace msg = channels::messages;
using reputation::Event;
using reputation::EventType;

namespace {

std::string_view type_label(EventType t) { return reputation::event_type_name(t); }

void add_reason(Event& e, std::string r) {
  if (e.reasons.size() < reputation::kMaxEventReasons) e.reasons.push_back(r.substr(0, 200));
}

constexpr double kClassScore = 4;  // SENDER_CLASS_*: tag alone (action_for), block with one more sign

bool verdict_kind(reputation::IdentityKind k) {
  using K = reputation::IdentityKind;
  return k == K::kVoice || k == K::kSms || k == K::kShortCode || k == K::kIm;
}

}  // namespace

// The bad classes of callers and senders (channel_reputation.h).
struct ChannelReputation::Classes {
  std::mutex mu;
  std::unordered_map<std::string, HeldClass> bad;
  std::deque<std::string> order;            // insertion order, for the bound (stale names skipped)
  std::unordered_set<std::string> touched;  // changes heard while the walk runs
  bool seeding = false;
  std::atomic<bool> stop{false};
  std::thread seeder;

  // `from_walk`: the start-up walk's findings, which never overwrite a change heard meanwhile.
  void apply_locked(std::span<const reputation::ClassChange> cs, bool from_walk) {
    for (const auto& c : cs) {
      if (!verdict_kind(reputation::identity_kind_of(c.identity))) continue;
      if (from_walk && touched.count(c.identity)) continue;
      if (!from_walk && seeding) touched.insert(c.identity);
      if (!reputation::is_bad(c.to)) {
        bad.erase(c.identity);
        continue;
      }
      HeldClass h{c.to, c.reasons.empty()
                            ? std::string()
                            : c.reasons.front().code +
                                  (c.reasons.front().text.empty() ? "" : ": " + c.reasons.front().text)};
      auto [it, fresh] = bad.insert_or_assign(c.identity, std::move(h));
      (void)it;
      if (fresh) order.push_back(c.identity);
      while (bad.size() > kMaxHeldClasses && !order.empty()) {
        bad.erase(order.front());
        order.pop_front();
      }
      if (order.size() > 2 * kMaxHeldClasses) {  // names erased since: drop them from the order
        std::deque<std::string> kept;
        for (auto& n : order)
          if (bad.count(n)) kept.push_back(std::move(n));
        order.swap(kept);
      }
    }
  }

  void walk(reputation::Engine& engine) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto walked = reputation::walk_stored_classes(
        engine, stop, [](std::string_view k) { return verdict_kind(reputation::identity_kind_of(k)); },
        [](reputation::SenderClass c) { return reputation::is_bad(c); },
        [this](std::vector<reputation::ClassChange>& found) {
          std::lock_guard lock(mu);
          apply_locked(found, true);
        },
        [](const std::string& why) { log::get()->warn("channels: reading the stored classes: {}", why); });
    {
      std::lock_guard lock(mu);
      seeding = false;
      touched.clear();
    }
    log::get()->info(
        "channels: {} of {} caller and sender identities held a bad class at start ({} ms){}", walked.kept,
        walked.keys,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
        stop.load() ? ", stopped early" : "");
  }
};

ChannelReputation::ChannelReputation() : classes_(std::make_shared<Classes>()) {}

ChannelReputation::~ChannelReputation() { stop_seed(); }

void ChannelReputation::seed_from(reputation::Engine& engine) {
  if (!engine.store().thread_safe()) {
    log::get()->warn(
        "channels: the {} store is not thread-safe: callers' and senders' classes held before this start "
        "count from their next change",
        engine.store().name());
    return;
  }
  if (classes_->seeder.joinable()) return;
  {
    std::lock_guard lock(classes_->mu);
    classes_->seeding = true;
  }
  Classes* raw = classes_.get();
  classes_->seeder = std::thread([raw, &engine] { raw->walk(engine); });
}

void ChannelReputation::stop_seed() {
  classes_->stop = true;
  if (classes_->seeder.joinable()) classes_->seeder.join();
}

std::optional<ChannelReputation::HeldClass> ChannelReputation::bad_class(const std::string& identity) const {
  std::lock_guard lock(classes_->mu);
  auto it = classes_->bad.find(identity);
  if (it == classes_->bad.end()) return std::nullopt;
  return it->second;
}

void ChannelReputation::register_metrics(Metrics& m) {
  events_ = &m.counter_family("rampart_channel_events_total",
                              "Calls and SMS/IM events handed to the reputation store, by channel and type "
                              "(message, complaint, not_spam, call, call_end).",
                              {"channel", "type"});
  overridden_ = &m.counter_family(
      "rampart_channel_overrides_total",
      "Calls and SMS/IM messages whose verdict a manual override decided (POST /v1/overrides), by channel "
      "and action (allow, block).",
      {"channel", "action"});
  changes_ = &m.counter_family("rampart_channel_class_changes_total",
                               "Class changes of calls' and SMS/IM identities in the reputation store, by "
                               "kind (voice, sip, trunk, sms, "
                               "shortcode, im) and new class.",
                               {"kind", "class"});
  class_applied_ = &m.counter_family(
      "rampart_channel_class_verdicts_total",
      "Calls and SMS/IM messages whose verdict the stored class of their caller or sender raised "
      "(spammer, compromised), by channel and resulting action (tag, block).",
      {"channel", "action"});
}

reputation::ClassListener ChannelReputation::class_listener() const {
  std::weak_ptr<Classes> weak = classes_;
  return [changes = changes_, weak](std::span<const reputation::ClassChange> cs) {
    if (auto held = weak.lock()) {
      std::lock_guard lock(held->mu);
      held->apply_locked(cs, false);
    }
    if (!changes) return;
    for (const auto& c : cs) {
      const auto kind = reputation::identity_kind_of(c.identity);
      if (reputation::is_channel_kind(kind))
        changes
            ->with({std::string(reputation::identity_kind_prefix(kind)),
                    std::string(reputation::class_name(c.to))})
            .inc();
    }
  };
}

std::optional<reputation::Override> ChannelReputation::override_of(
    std::span<const std::string> identities) const {
  if (!overrides) return std::nullopt;
  for (const std::string& id : identities) {
    if (id.empty()) continue;
    auto o = overrides->find(id);
    if (o &&
        (o->action == reputation::OverrideAction::kAllow || o->action == reputation::OverrideAction::kBlock))
      return o;
  }
  return std::nullopt;
}

void ChannelReputation::record(std::vector<Event> evs) const {
  if (evs.empty()) return;
  if (events_)
    for (const Event& e : evs) events_->with({e.channel, std::string(type_label(e.type))}).inc();
  if (sink) sink(std::move(evs));
}

void ChannelReputation::on_message(const msg::Message& m, msg::Verdict& v, std::vector<Event>& out) const {
  const std::string channel(msg::channel_name(m.channel));
  Event e;
  e.type = EventType::kMessage;
  // Stamped when rampartd queues it (Feedback::queue): a client's clock
  // (a message's "time", a call's Date) never moves the counters.
  e.time = 0;
  e.channel = channel;
  e.sender = m.sender;
  e.recipients = static_cast<uint32_t>(m.recipients.size());
  // The channel's own verdict is the evidence; an override decides the answer only.
  e.verdict = v.action == "allow" ? reputation::Verdict::kHam : reputation::Verdict::kSpam;
  for (const msg::Symbol& s : v.symbols) add_reason(e, s.name + (s.reason.empty() ? "" : ": " + s.reason));
  if (auto id = reputation::channel_sender_identity(channel, m.sender)) {
    const std::string key = id->key;
    if (auto o = override_of(std::span<const std::string>(&key, 1))) {
      const bool block = o->action == reputation::OverrideAction::kBlock;
      v.action = block ? "block" : "allow";
      v.symbols.push_back(msg::Symbol{block ? "OVERRIDE_BLOCK" : "OVERRIDE_ALLOW", 0,
                                      key + " " + std::string(reputation::override_action_name(o->action)) +
                                          " by " + o->who + ": " + o->reason});
      if (overridden_) overridden_->with({channel, block ? "block" : "allow"}).inc();
    } else if (auto held = bad_class(key)) {
      // The stored class: a sign worth a tag alone (after the event took the verdict before it).
      const std::string cls(reputation::class_name(held->cls));
      std::string name = "SENDER_CLASS_" + cls;
      for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      v.symbols.push_back(msg::Symbol{name, kClassScore,
                                      key + " classed " + cls + " in the reputation store" +
                                          (held->reason.empty() ? "" : " (" + held->reason + ")")});
      v.score += kClassScore;
      v.action = std::string(msg::action_for(v.score));
      if (class_applied_ && v.action != "allow") class_applied_->with({channel, v.action}).inc();
    }
    out.push_back(std::move(e));
  }
}

void ChannelReputation::on_report(const msg::Complaint& c, bool spam) {
  Event e;
  e.type = spam ? EventType::kComplaint : EventType::kNotSpam;
  e.time = 0;  // now, as on_message
  e.channel = std::string(msg::channel_name(c.channel));
  e.sender = c.sender;
  if (!reputation::channel_sender_identity(e.channel, e.sender)) return;
  std::vector<Event> evs;
  evs.push_back(std::move(e));
  record(std::move(evs));
}

void ChannelReputation::on_call(const CallRequest& req, const std::string& caller_e164, int64_t time,
                                CallAnswer& a) {
  Event e;
  e.type = EventType::kCall;
  e.time = time;
  e.channel = "voice";
  e.sender = caller_e164;
  if (auto ip = IpAddress::parse(req.source_ip)) e.ip = *ip;
  e.trunk = req.trunk;
  e.verdict = a.action == "allow" ? reputation::Verdict::kHam : reputation::Verdict::kSpam;
  add_reason(e, "verstat " + std::string(channels::stir::verstat_name(a.verstat)) +
                    (a.attest ? std::string(" attest ") + *a.attest : std::string()));
  for (const std::string& r : a.reasons) add_reason(e, r);
  // Which overrides apply: the caller's, else the source's, else the trunk's.
  std::vector<std::string> ids;
  for (const auto& id : reputation::channel_identities_of(e)) ids.push_back(id.key);
  if (auto o = override_of(ids)) {
    const bool block = o->action == reputation::OverrideAction::kBlock;
    const std::string why = o->identity + " " + std::string(reputation::override_action_name(o->action)) +
                            " by " + o->who + ": " + o->reason;
    if (block && a.action != "block" && a.action != "reject") {
      a.action = "block";
      a.code = 603;
      a.reason = "OVERRIDE_BLOCK " + why;
      a.display_prefix.clear();
      a.reasons.push_back("OVERRIDE_BLOCK " + why);
    } else if (block) {
      a.reasons.push_back("OVERRIDE_BLOCK " + why);
    } else if (a.action == "block" || a.action == "tag") {
      a.action = "allow";
      a.code = 0;
      a.reason = "OVERRIDE_ALLOW " + why;
      a.display_prefix.clear();
      a.reasons.push_back("OVERRIDE_ALLOW " + why);
    }
    if (overridden_) overridden_->with({"voice", block ? "block" : "allow"}).inc();
  }
  if (ids.empty()) return;
  std::vector<Event> evs;
  evs.push_back(std::move(e));
  record(std::move(evs));
}

void ChannelReputation::apply_caller_class(const std::string& caller_e164, CallAnswer& a,
                                           const std::string& tag_prefix) const {
  if (caller_e164.empty() || a.action == "block" || a.action == "reject") return;
  for (const std::string& r : a.reasons)
    if (r.starts_with("OVERRIDE_")) return;  // an override decided it
  const std::string key = "voice:" + caller_e164;
  auto held = bad_class(key);
  if (!held) return;
  const std::string why = "REPUTATION_CLASS " + key + " classed " +
                          std::string(reputation::class_name(held->cls)) + " in the reputation store" +
                          (held->reason.empty() ? "" : " (" + held->reason + ")");
  a.reasons.push_back(why);
  if (a.verstat == channels::stir::Verstat::kPassed && a.attest == 'A') {
    // Its provider vouches the caller holds the number: the class is its own.
    a.action = "block";
    a.code = 607;
    a.reason = why;
    a.display_prefix.clear();
  } else if (a.action == "allow") {
    a.action = "tag";
    a.reason = why;
    a.display_prefix = tag_prefix;
  }
  if (class_applied_) class_applied_->with({"voice", a.action}).inc();
}

void ChannelReputation::on_end(const std::string& caller_e164, const std::string& source_ip,
                               const std::string& trunk, int64_t time, bool answered, int64_t duration) {
  Event e;
  e.type = EventType::kCallEnd;
  e.time = time;
  e.channel = "voice";
  e.sender = caller_e164;
  if (auto ip = IpAddress::parse(source_ip)) e.ip = *ip;
  e.trunk = trunk;
  e.answered = answered;
  e.duration = answered ? duration : -1;
  std::vector<Event> evs;
  evs.push_back(std::move(e));
  record(std::move(evs));
}

}  // namespace rampart::server

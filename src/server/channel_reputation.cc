// File: src/server/channel_reputation.cc
// Calls and messages as reputation identities (see channel_reputation.h).
#include "server/channel_reputation.h"

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

}  // namespace

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
}

reputation::ClassListener ChannelReputation::class_listener() const {
  return [changes = changes_](std::span<const reputation::ClassChange> cs) {
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

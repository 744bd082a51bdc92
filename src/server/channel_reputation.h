// File: src/server/channel_reputation.h
// Calls and messages as reputation identities (issue 16): the glue between
// rampartd's channel services (calls_api.h, messages_api.h) and the
// reputation store and overrides (src/reputation).
//
//   auto rep = std::make_shared<ChannelReputation>();
//   rep->sink = [](std::vector<reputation::Event> evs) {...};   // to the store service
//   rep->overrides = override_store;                             // may be null
//   rep->register_metrics(metrics);
//   calls->set_reputation(rep);  messages->set_reputation(rep);
//
// What goes in (reputation/event.h): each judged message (kMessage, channel
// sms or im, the sender, its recipients, verdict spam when it was blocked or
// tagged, its symbols as reasons), each complaint (kComplaint: a "report
// spam" or a GSMA 7726 forward) and not-spam report (kNotSpam), each call
// (kCall: the caller in international form, the INVITE's source address,
// the trunk, verdict spam when it was blocked, tagged or rejected, the
// decision's reasons and the verstat) and each call end (kCallEnd). The
// identities are sms:/shortcode:/im: and voice:/sip:/trunk:. Events are
// stamped when rampartd takes them, never with the client's "time" or Date. A caller ID is
// a claim unless STIR/SHAKEN attested it ("verstat" among the reasons): the
// class of a spoofed number says what was done in its name.
//
// Overrides (POST /v1/overrides with such an identity) are applied to the
// verdict before it is answered: the sender's (a number, short code,
// account), else the call's source address, else its trunk. block: refused
// (a message "block", a call 603 Decline), symbol or reason OVERRIDE_BLOCK;
// allow: a block or tag of the patterns becomes allow (OVERRIDE_ALLOW). A
// call refused for a failed Identity ([calls] stir_failed = "reject") stays
// refused: an allowed number is what a spoofer would present.
//
// Stored classes as verdict input: the class the reputation store holds for
// a caller (voice:) or an SMS/IM sender (sms:, shortcode:, im:) counts in
// the next verdict, after the overrides (an override wins). A caller classed
// spammer or compromised is tagged ("Spam? ", reason REPUTATION_CLASS ...)
// and refused with 607 when the call's Identity passed with attestation A
// (its provider vouches the caller holds that number: the class is its own,
// not a spoofer's doing); a sender so classed gets SENDER_CLASS_SPAMMER (or
// _COMPROMISED), score 4: tagged alone, blocked with one more sign. The
// call's source (sip:) and trunk (trunk:) classes are not used: an SBC or an
// interconnect carries honest callers beside a campaign. The event recorded
// for the call or message keeps the verdict before the class, so the class
// does not feed itself. The classes come from the engine's class changes
// (class_listener) and, for those held before this start, from a walk of the
// store's channel keys (seed_from; a change heard meanwhile wins). At most
// kMaxHeldClasses bad identities are held (then the oldest go).
//
// Threads: the services call it from their worker threads; `sink` must be
// thread-safe (rampartd posts to loop 0), OverrideStore::find locks, the
// class table locks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "channels/messages.h"
#include "core/metrics.h"
#include "reputation/engine.h"
#include "reputation/event.h"
#include "reputation/overrides.h"

namespace rampart::server {

struct CallAnswer;
struct CallRequest;
struct CallEnd;

class ChannelReputation {
 public:
  static constexpr size_t kMaxHeldClasses = 1'000'000;
  ChannelReputation();
  ~ChannelReputation();  // stops the seed walk
  ChannelReputation(const ChannelReputation&) = delete;
  ChannelReputation& operator=(const ChannelReputation&) = delete;

  std::function<void(std::vector<reputation::Event>)> sink;
  std::shared_ptr<const reputation::OverrideStore> overrides;

  // rampart_channel_events_total{channel, type}, rampart_channel_overrides_total{channel, action},
  // rampart_channel_class_changes_total{kind, class}.
  void register_metrics(Metrics& m);

  // The allow or block override of the first of `identities` that has one.
  std::optional<reputation::Override> override_of(std::span<const std::string> identities) const;

  // A judged message: the override applied to `v`, the event added to `out`.
  void on_message(const channels::messages::Message& m, channels::messages::Verdict& v,
                  std::vector<reputation::Event>& out) const;
  // A complaint (spam) or a not-spam report.
  void on_report(const channels::messages::Complaint& c, bool spam);
  // A judged call: `caller_e164` the caller in international form ("+" and
  // digits; "" for a withheld or national number without a country code);
  // the override applied to `a`, the event recorded.
  void on_call(const CallRequest& req, const std::string& caller_e164, int64_t time, CallAnswer& a);
  // The stored class of a judged call's caller applied to `a` (after
  // on_call; nothing when an override decided it or it is refused already).
  void apply_caller_class(const std::string& caller_e164, CallAnswer& a, const std::string& tag_prefix) const;
  // A bad class (spammer, compromised) held for `identity`, with its first
  // reason; nullopt otherwise.
  struct HeldClass {
    reputation::SenderClass cls = reputation::SenderClass::kUnknown;
    std::string reason;
  };
  std::optional<HeldClass> bad_class(const std::string& identity) const;
  // The classes held before this start: a thread walks the store's channel
  // keys (Store::for_each_key) and asks their reports in chunks of 512. Only
  // for a thread-safe store (RocksDB, memory); else logged and skipped (the
  // classes count from their next change). stop_seed() before the store goes.
  void seed_from(reputation::Engine& engine);
  void stop_seed();
  // A call's end (the INVITE's caller, source and trunk).
  void on_end(const std::string& caller_e164, const std::string& source_ip, const std::string& trunk,
              int64_t time, bool answered, int64_t duration);
  // Hands events to the sink (counted).
  void record(std::vector<reputation::Event> evs) const;
  // The engine's class changes (Engine::add_class_listener): those of
  // channel identities counted by kind and new class.
  reputation::ClassListener class_listener() const;

 private:
  Family<Counter>* events_ = nullptr;
  Family<Counter>* overridden_ = nullptr;
  Family<Counter>* changes_ = nullptr;
  Family<Counter>* class_applied_ = nullptr;
  struct Classes;
  std::shared_ptr<Classes> classes_;
};

}  // namespace rampart::server

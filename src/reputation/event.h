// File: src/reputation/event.h
// What the reputation engine learns from: plain structs the scan pipeline
// (rampartd), the ARF parser and the event replayer fill in. No I/O here.
//
//   reputation::Event e;
//   e.type = EventType::kMessage;
//   e.time = 1700000000;
//   e.ip = *IpAddress::parse("192.0.2.1");
//   e.mail_from = "bounce@news.example.com";  e.spf = AuthResult::kPass;
//   e.from = "news@example.com";              e.dmarc = AuthResult::kPass;
//   e.dkim_domains = {"example.com"};         e.dkim = AuthResult::kPass;
//   e.recipients = 3;  e.list_unsubscribe_one_click = true;  e.fcrdns = true;
//   auto ids = identities_of(e, dmarc::PublicSuffixList::system());
//
// A complaint, trap hit, bounce, "not spam" or unsubscribe carries the same
// fields as the message it is about (so it lands on the same identities).
// A bot detection carries only the time and the ip (flows see no mail
// headers); identities_of() gives it ip: and net: whatever else is set.
//
// Identities (identities_of): what an event is about, each with whether it was
// verified. Only verified identities earn or lose reputation; claims (the
// HELO name, an unverified MAIL FROM or From domain, a DKIM d= that failed)
// are never returned.
//   ip:<addr>            client address (canonical; IPv4-mapped unmapped)
//   net:<prefix>/24|/64  its network
//   domain:<org>         DMARC organisational domain of every verified domain
//   dkim:<d>             each DKIM d= when dkim is pass
//   spf:<domain>         MAIL FROM domain when SPF passed
//   pra:<domain>         Sender ID PRA domain when Sender ID passed
//   fbid:<Feedback-ID>   when DKIM passed (Google requires it signed)
//   list:<List-Id>       when DKIM passed
//
// Other channels (issue 16): an event with `channel` set ("sms", "im",
// "voice") is about the channel's sender, never about mail identities:
//   sms:+<E.164>         an SMS sender number ("+", 8-15 digits)
//   shortcode:<digits>   an SMS short code (3-8 digits)
//   im:<account>         an instant-messaging account
//   voice:+<E.164>       a calling number (rampartd puts national numbers in
//                        international form first; a withheld caller ID is none)
//   sip:<addr>           the source address of a call's INVITE (canonical)
//   trunk:<name>         the trunk or peer a call came in on
// channel_sender_identity() is the one place these are made canonical.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"

namespace rampart::dmarc {
class PublicSuffixList;
}

namespace rampart::reputation {

// kBot: a flow detector (src/flows, `rampart flows detect|collect --events`)
// saw this IP behave like a spam bot; about the ip: and net: identities only.
// kShared: a member of the private exchange (src/exchange) reported (or
// withdrew) `subject`, an ip:, net: (/24, /64) or domain: identity; `origin`
// says who, in which batch and when, `weight` the receiver's trust in that
// member. It changes no counter: the engine re-classifies the subject and
// reads the exchange's evidence for it (Engine::set_shared_evidence), which
// decays and names the members.
// kCall: a call judged at its INVITE (channel "voice"; verdict spam when it
// was blocked, tagged or rejected). kCallEnd: how a call ended (answered,
// duration): a short answered call counts (robocalls are hung up on).
enum class EventType : uint8_t {
  kMessage,
  kComplaint,
  kTrap,
  kBounce,
  kNotSpam,
  kUnsubscribe,
  kBot,
  kShared,
  kCall,
  kCallEnd
};
std::string_view event_type_name(EventType t);  // "message", "complaint", "trap", ..., "bot"
std::optional<EventType> parse_event_type(std::string_view s);

// An authentication outcome as the reputation engine needs it.
enum class AuthResult : uint8_t { kNone, kPass, kFail, kSoftFail, kNeutral, kTempError, kPermError };
std::string_view auth_result_name(AuthResult r);
AuthResult parse_auth_result(std::string_view s);  // unknown text: kNone

enum class Verdict : uint8_t { kNone, kHam, kSpam };

// Where shared evidence came from: the member of the exchange that signed
// the batch, the batch's sequence number and time (unix seconds).
struct Provenance {
  std::string member;
  uint64_t seq = 0;
  int64_t time = 0;
  bool operator==(const Provenance&) const = default;
};

struct Event {
  EventType type = EventType::kMessage;
  int64_t time = 0;  // unix seconds; 0: the engine's clock
  std::optional<IpAddress> ip;
  std::string helo;
  std::string mail_from;                  // envelope sender (address or bare domain)
  std::string from;                       // RFC 5322 From address (or domain)
  std::string pra;                        // Sender ID PRA address (or domain)
  std::vector<std::string> dkim_domains;  // d= of the signatures that passed (when dkim == kPass)
  AuthResult spf = AuthResult::kNone;
  AuthResult dkim = AuthResult::kNone;
  AuthResult dmarc = AuthResult::kNone;
  AuthResult senderid = AuthResult::kNone;
  bool list_unsubscribe_one_click = false;
  bool fcrdns = false;
  uint32_t recipients = 1;
  Verdict verdict = Verdict::kNone;
  std::string feedback_id;
  std::string list_id;
  // Set for evidence learned from another member (kShared): never this
  // member's own observation, so never published again as its own report.
  std::optional<Provenance> origin{};
  double weight = 1;      // kShared: the receiver's trust in the origin
  std::string subject{};  // kShared: "ip:192.0.2.7", "net:198.51.100.0/24", "domain:example.com"
  // Other channels (issue 16): "sms", "im" or "voice" ("": mail). The
  // sender (a number, short code or account as the channel gave it), the
  // trunk of a call, the reasons of the channel's verdict (its symbols, at
  // most kMaxEventReasons), and how a call ended (kCallEnd).
  std::string channel{};
  std::string sender{};
  std::string trunk{};
  std::vector<std::string> reasons{};
  bool answered = false;
  int64_t duration = -1;  // seconds; -1: unknown
};

inline constexpr size_t kMaxEventReasons = 16;
// An answered call shorter than this is a short call (kCallEnd).
inline constexpr int64_t kShortCallSeconds = 6;

enum class IdentityKind : uint8_t {
  kIp,
  kNet,
  kDomain,
  kDkim,
  kSpf,
  kPra,
  kFeedbackId,
  kListId,
  // Other channels (issue 16).
  kSms,
  kShortCode,
  kIm,
  kVoice,
  kSip,
  kTrunk
};
inline bool is_channel_kind(IdentityKind k) { return k >= IdentityKind::kSms; }
std::string_view identity_kind_prefix(IdentityKind k);  // "ip", "net", "domain", ...

struct Identity {
  IdentityKind kind = IdentityKind::kIp;
  std::string key;  // "domain:example.com", "ip:192.0.2.1", ...
};

// The verified identities an event is about, without duplicates, in the
// order ip, net, domain..., dkim..., spf, pra, fbid, list (kBot: ip, net only;
// kShared: the subject alone, canonical, when it is an ip:, a net: /24 or /64
// or a domain: (its organisational domain), else none).
std::vector<Identity> identities_of(const Event& e, const dmarc::PublicSuffixList& psl);

// The identity of a sender on a channel ("sms", "im", "voice"), canonical:
// sms: "+" and 8-15 digits (formatting removed; a leading "00" or 9-15
// digits without "+" read as international, as SMPP writes them) is
// sms:+<digits>, 3-8 digits shortcode:<digits>; voice: the same numbers as
// voice:+<digits> (short codes are not callers); im: the account, trimmed, at
// most 128 bytes of printable ASCII or UTF-8 without spaces, quotes,
// backslashes or braces. Anything else (an alphanumeric SMS sender ID, a
// withheld caller ID, an unknown channel): nullopt, no identity.
std::optional<Identity> channel_sender_identity(std::string_view channel, std::string_view sender);
// identities_of() for a channel's event (no public suffix list needed):
// the sender's identity; for voice also sip:<source> and trunk:<name>.
std::vector<Identity> channel_identities_of(const Event& e);
// A key of a channel kind ("voice:+1 202-555-0100", "SIP:192.0.2.1",
// "trunk:Carrier-A") made canonical, or nullopt when it is not one.
std::optional<std::string> canonical_channel_key(std::string_view key);
// The kind of a key by its prefix; kDomain when none matches.
IdentityKind identity_kind_of(std::string_view key);

// The domain of "user@domain" or of a bare domain, lower-case, no trailing
// dot; "" for an empty or unusable value ("<>", "@", "a@").
std::string domain_of(std::string_view address_or_domain);

}  // namespace rampart::reputation

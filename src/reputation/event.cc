// File: src/reputation/event.cc
// Event names and the identities an event is about.
#include "reputation/event.h"

#include "auth/dmarc/orgdomain.h"
#include "core/strings.h"

namespace rampart::reputation {

std::string_view event_type_name(EventType t) {
  switch (t) {
    case EventType::kMessage: return "message";
    case EventType::kComplaint: return "complaint";
    case EventType::kTrap: return "trap";
    case EventType::kBounce: return "bounce";
    case EventType::kNotSpam: return "not_spam";
    case EventType::kUnsubscribe: return "unsubscribe";
    case EventType::kBot: return "bot";
    case EventType::kShared: return "shared";
    case EventType::kCall: return "call";
    case EventType::kCallEnd: return "call_end";
  }
  return "?";
}

std::optional<EventType> parse_event_type(std::string_view s) {
  for (auto t :
       {EventType::kMessage, EventType::kComplaint, EventType::kTrap, EventType::kBounce, EventType::kNotSpam,
        EventType::kUnsubscribe, EventType::kBot, EventType::kShared, EventType::kCall, EventType::kCallEnd})
    if (s == event_type_name(t)) return t;
  if (s == "not-spam" || s == "notspam") return EventType::kNotSpam;
  return std::nullopt;
}

std::string_view auth_result_name(AuthResult r) {
  switch (r) {
    case AuthResult::kNone: return "none";
    case AuthResult::kPass: return "pass";
    case AuthResult::kFail: return "fail";
    case AuthResult::kSoftFail: return "softfail";
    case AuthResult::kNeutral: return "neutral";
    case AuthResult::kTempError: return "temperror";
    case AuthResult::kPermError: return "permerror";
  }
  return "none";
}

AuthResult parse_auth_result(std::string_view s) {
  for (auto r : {AuthResult::kPass, AuthResult::kFail, AuthResult::kSoftFail, AuthResult::kNeutral,
                 AuthResult::kTempError, AuthResult::kPermError})
    if (s == auth_result_name(r)) return r;
  return AuthResult::kNone;
}

std::string_view identity_kind_prefix(IdentityKind k) {
  switch (k) {
    case IdentityKind::kIp: return "ip";
    case IdentityKind::kNet: return "net";
    case IdentityKind::kDomain: return "domain";
    case IdentityKind::kDkim: return "dkim";
    case IdentityKind::kSpf: return "spf";
    case IdentityKind::kPra: return "pra";
    case IdentityKind::kFeedbackId: return "fbid";
    case IdentityKind::kListId: return "list";
    case IdentityKind::kSms: return "sms";
    case IdentityKind::kShortCode: return "shortcode";
    case IdentityKind::kIm: return "im";
    case IdentityKind::kVoice: return "voice";
    case IdentityKind::kSip: return "sip";
    case IdentityKind::kTrunk: return "trunk";
  }
  return "?";
}

IdentityKind identity_kind_of(std::string_view key) {
  for (auto k : {IdentityKind::kIp, IdentityKind::kNet, IdentityKind::kDomain, IdentityKind::kDkim,
                 IdentityKind::kSpf, IdentityKind::kPra, IdentityKind::kFeedbackId, IdentityKind::kListId,
                 IdentityKind::kSms, IdentityKind::kShortCode, IdentityKind::kIm, IdentityKind::kVoice,
                 IdentityKind::kSip, IdentityKind::kTrunk}) {
    const std::string_view p = identity_kind_prefix(k);
    if (key.size() > p.size() && key.substr(0, p.size()) == p && key[p.size()] == ':') return k;
  }
  return IdentityKind::kDomain;
}

namespace {

// A telephone number as digits: formatting (spaces, dashes, dots, brackets)
// removed; `plus` when it was written with "+" or "00" (international).
// nullopt when anything else is in it.
std::optional<std::string> number_of(std::string_view s, bool& plus) {
  s = trim(s);
  plus = false;
  if (s.starts_with('+')) {
    plus = true;
    s.remove_prefix(1);
  }
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      d += c;
      if (d.size() > 20) return std::nullopt;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (!plus && d.starts_with("00")) {
    plus = true;
    d.erase(0, 2);
  }
  if (d.empty()) return std::nullopt;
  return d;
}

std::optional<Identity> make(IdentityKind k, std::string_view value) {
  std::string key(identity_kind_prefix(k));
  key += ':';
  key += value;
  return Identity{k, std::move(key)};
}

// An account name or trunk: no spaces, controls, quotes, backslashes or
// braces (the Redis store's hash tags), at most `max` bytes.
bool plain_token(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\\' || c == '{' || c == '}') return false;
  }
  return true;
}

}  // namespace

std::optional<Identity> channel_sender_identity(std::string_view channel, std::string_view sender) {
  sender = trim(sender);
  if (channel == "im") {
    if (!plain_token(sender, 128)) return std::nullopt;
    return make(IdentityKind::kIm, sender);
  }
  const bool sms = channel == "sms";
  if (!sms && channel != "voice") return std::nullopt;
  bool plus = false;
  auto d = number_of(sender, plus);
  if (!d) return std::nullopt;
  // E.164 (ITU-T E.164: at most 15 digits with the country code; 8 at least
  // for a subscriber number anywhere).
  if ((plus || (sms && d->size() >= 9)) && d->size() >= 8 && d->size() <= 15)
    return make(sms ? IdentityKind::kSms : IdentityKind::kVoice, "+" + *d);
  if (sms && !plus && d->size() >= 3 && d->size() <= 8) return make(IdentityKind::kShortCode, *d);
  return std::nullopt;
}

std::optional<std::string> canonical_channel_key(std::string_view key) {
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string kind = to_lower(key.substr(0, colon));
  const std::string_view v = trim(key.substr(colon + 1));
  std::optional<Identity> id;
  if (kind == "sms" || kind == "voice" || kind == "im") {
    id = channel_sender_identity(kind, v);
    if (id && kind == "voice" && id->kind != IdentityKind::kVoice) id.reset();
    if (id && kind == "sms" && id->kind != IdentityKind::kSms) id.reset();
  } else if (kind == "shortcode") {
    bool plus = false;
    auto d = number_of(v, plus);
    if (d && !plus && d->size() >= 3 && d->size() <= 8) id = make(IdentityKind::kShortCode, *d);
  } else if (kind == "sip") {
    if (auto ip = IpAddress::parse(v)) id = make(IdentityKind::kSip, ip->unmapped().to_string());
  } else if (kind == "trunk") {
    if (plain_token(v, 64)) id = make(IdentityKind::kTrunk, to_lower(v));
  }
  if (!id) return std::nullopt;
  return std::move(id->key);
}

std::string domain_of(std::string_view s) {
  // Trim whitespace and angle brackets.
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '<')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '>')) s.remove_suffix(1);
  const size_t at = s.rfind('@');
  if (at != std::string_view::npos) s = s.substr(at + 1);
  std::string d = to_lower(s);
  if (!d.empty() && d.back() == '.') d.pop_back();
  for (char c : d)
    if (c == ' ' || c == '@' || c == '<' || c == '>' || c == '"' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x21)
      return {};
  return d;
}

namespace {

void push_unique(std::vector<Identity>& out, IdentityKind kind, std::string_view value) {
  if (value.empty()) return;
  std::string key;
  key.reserve(identity_kind_prefix(kind).size() + 1 + value.size());
  key.append(identity_kind_prefix(kind)).append(":").append(value);
  for (const Identity& i : out)
    if (i.key == key) return;
  out.push_back(Identity{kind, std::move(key)});
}

std::string trim_copy(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '<')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '>')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

namespace {
// The one identity a shared report is about (canonical), or none.
std::vector<Identity> shared_identity(const Event& e, const dmarc::PublicSuffixList& psl) {
  std::vector<Identity> out;
  const std::string_view s = e.subject;
  if (s.starts_with("ip:")) {
    if (auto ip = IpAddress::parse(s.substr(3)))
      push_unique(out, IdentityKind::kIp, ip->unmapped().to_string());
  } else if (s.starts_with("net:")) {
    // Only the networks the engine keeps (/24, /64): others are the zones' business.
    if (auto p = parse_cidr(s.substr(4)); p && p->len == (p->net.is_v4() ? 24u : 64u))
      push_unique(out, IdentityKind::kNet,
                  p->net.masked(p->len).to_string() + (p->net.is_v4() ? "/24" : "/64"));
  } else if (s.starts_with("domain:")) {
    push_unique(out, IdentityKind::kDomain, psl.organizational_domain(domain_of(s.substr(7))));
  }
  return out;
}
}  // namespace

std::vector<Identity> channel_identities_of(const Event& e) {
  std::vector<Identity> out;
  if (auto id = channel_sender_identity(e.channel, e.sender)) out.push_back(std::move(*id));
  if (e.channel == "voice") {
    if (e.ip) out.push_back(*make(IdentityKind::kSip, e.ip->unmapped().to_string()));
    if (plain_token(trim(e.trunk), 64)) out.push_back(*make(IdentityKind::kTrunk, to_lower(trim(e.trunk))));
  }
  return out;
}

std::vector<Identity> identities_of(const Event& e, const dmarc::PublicSuffixList& psl) {
  if (e.type == EventType::kShared) return shared_identity(e, psl);
  if (!e.channel.empty() || e.type == EventType::kCall || e.type == EventType::kCallEnd)
    return channel_identities_of(e);
  std::vector<Identity> out;
  out.reserve(8);
  if (e.ip) {
    const IpAddress ip = e.ip->unmapped();
    push_unique(out, IdentityKind::kIp, ip.to_string());
    const unsigned len = ip.is_v4() ? 24 : 64;
    push_unique(out, IdentityKind::kNet, ip.masked(len).to_string() + (ip.is_v4() ? "/24" : "/64"));
  }
  if (e.type == EventType::kBot) return out;  // a flow detection says nothing about domains
  // Verified domains.
  std::vector<std::string> dkim;
  if (e.dkim == AuthResult::kPass)
    for (const std::string& d : e.dkim_domains) {
      std::string n = domain_of(d);
      if (!n.empty()) dkim.push_back(std::move(n));
    }
  const std::string spf = e.spf == AuthResult::kPass ? domain_of(e.mail_from) : std::string();
  const std::string pra = e.senderid == AuthResult::kPass ? domain_of(e.pra) : std::string();
  const std::string from = e.dmarc == AuthResult::kPass ? domain_of(e.from) : std::string();

  // The From, MAIL FROM and d= of one message are mostly the same domain:
  // its organisational domain is looked up once (issue 11: the writer's CPU
  // per event).
  const std::string* asked = nullptr;
  std::string org;
  auto org_of = [&](const std::string& d) -> const std::string& {
    if (d.empty()) {
      static const std::string none;
      return none;
    }
    if (!asked || *asked != d) {
      org = psl.organizational_domain(d);
      asked = &d;
    }
    return org;
  };
  for (const std::string* d : {&from, &spf, &pra}) push_unique(out, IdentityKind::kDomain, org_of(*d));
  for (const std::string& d : dkim) push_unique(out, IdentityKind::kDomain, org_of(d));
  for (const std::string& d : dkim) push_unique(out, IdentityKind::kDkim, d);
  push_unique(out, IdentityKind::kSpf, spf);
  push_unique(out, IdentityKind::kPra, pra);
  if (!dkim.empty()) {
    push_unique(out, IdentityKind::kFeedbackId, trim_copy(e.feedback_id));
    push_unique(out, IdentityKind::kListId, trim_copy(e.list_id));
  }
  return out;
}

}  // namespace rampart::reputation

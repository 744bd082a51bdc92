// File: src/reputation/event_json.h
// Events as JSON lines (POST /v1/events, `rampart reputation replay`):
//
//   {"time": 1700000000, "type": "message", "ip": "192.0.2.1", "helo": "mx.example.com",
//    "mail_from": "b@example.com", "from": "news@example.com", "dkim_domains": ["example.com"],
//    "spf": "pass", "dkim": "pass", "dmarc": "pass", "list_unsubscribe_one_click": true,
//    "fcrdns": true, "recipients": 3}
//
//   Result<Event> e = reputation::parse_event_json(line);
//   std::string line = reputation::event_to_json(*e);
//
// A bot detection (flow detector, src/flows) is written as just
//   {"time": 1700000000, "type": "bot", "ip": "192.0.2.1"}
// (other fields are read but mean nothing for it: identities_of gives ip/net).
//
// Other channels (issue 16): "channel" ("sms", "im", "voice"), "sender",
// "trunk", "reasons" (strings, the first kMaxEventReasons kept, 200 bytes
// each), "answered" and "duration" (a call's end), e.g.
//   {"time": 1796601600, "type": "call", "channel": "voice", "sender": "+12025550100",
//    "ip": "192.0.2.9", "trunk": "carrier-a", "verdict": "spam", "reasons": ["CALL_FANOUT ..."]}
//   {"time": 1796601600, "type": "complaint", "channel": "sms", "sender": "+447700900123"}
//
// Also read: "pra", "senderid", "verdict" ("spam"|"ham"), "feedback_id",
// "list_id". Unknown fields (any JSON value, nested up to kMaxJsonDepth) are
// ignored. "type" defaults to message, "recipients" to 1.
//
// DIAGNOSTICS: Errc::kParse with the byte offset for JSON syntax errors, a
// wrong value type for a known field, an unknown "type", a bad "ip", a
// negative or non-integral "time" or "recipients"; kLimit past kMaxJsonDepth.
// No recursion; linear in the line.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "reputation/event.h"

namespace rampart::reputation {

constexpr size_t kMaxJsonDepth = 64;

Result<Event> parse_event_json(std::string_view line);
std::string event_to_json(const Event& e);

}  // namespace rampart::reputation

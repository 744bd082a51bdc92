// File: src/server/calls_api.h
// POST /v1/calls: rampartd's answer to a SIP proxy (Kamailio, deploy/kamailio)
// per INVITE: STIR/SHAKEN verification of the Identity header field
// (src/channels/stir.h, the x5u chain fetched over HTTPS with its cache) and
// the call patterns of the caller, the trunk and the originating network
// (src/channels/calls.h), combined into one action the proxy applies:
//
//   allow   let the call through (with the verstat when an Identity came);
//   tag     let it through marked: verstat parameter, "Spam? " caller-name prefix;
//   block   refuse it: 603 Decline (a caller ID that is invalid, the callee's
//           own number, one of the provider's ranges from outside with
//           own_ranges_action = "block", or a spoofed-looking caller ID whose
//           Identity failed or is missing where expected) or
//           607 Unwanted (RFC 8197: the caller's pattern, e.g. a robocaller);
//   reject  refuse a failed Identity with its RFC 8224 code (436/437/438/403),
//           only with [calls] stir_failed = "reject" (default: tag).
//
//   [calls]
//   enabled = true
//   trust_anchors = "/etc/rampart/sti-ca.pem"   # the STI-CA list (PEM)
//   https_ca = ""                               # an extra CA for x5u servers
//   x5u_timeout_ms = 800                        # the whole fetch, then 436
//   stir_failed = "tag"                         # or "reject"
//   own_ranges = ["1202555"]                    # digit prefixes of our own numbers
//   own_ranges_action = "tag"                   # from outside: tag (ported out?) or "block"
//   stir_expected_trunks = []                   # every call on them signed ("*": all from outside)
//   tag_prefix = "Spam? "
//   toll_tag_destinations = 10                  # own caller, international callees in the window: tag
//   toll_block_destinations = 20                # ... block (603), or from tag on with two signs
//   state_file = "/var/lib/rampart/calls.state"   # default: <data dir>/calls.state
//   state_interval_s = 60                          # written this often and at stop
//
//   auto svc = CallService::start(cfg, &metrics);   // its worker thread starts
//   add_call_routes(router, *svc);                  // POST /v1/calls (right "calls")
//
// Request (JSON, at most 16 KiB): {"from": "+12025550100", "to": "+12025550199",
// "identity": "<Identity header value>" (absent or "": none), "date":
// "<Date header>" or unix seconds (absent: now), "source_ip": "192.0.2.1",
// "trunk": "carrier-a", "external": true, "call_id": "..."}. Answer 200:
// {"action": "allow|tag|block|reject", "code": 0|603|607|4xx, "reason": "...",
// "verstat": "TN-Validation-Passed|TN-Validation-Failed|No-TN-Validation",
// "attest": "A"|null, "display_prefix": "" | "Spam? ", "reasons": [...]}.
// 400 for a bad body, 503 past the queue (1,024 calls waiting).
// The same request as a form body (Content-Type
// application/x-www-form-urlencoded: "from=%2B1202...&to=...&identity=...")
// gets the same answer as a form (CallAnswer::to_form): what the shipped
// Kamailio config uses, building the body with {s.urlencode.param} and
// reading the answer with {param.value,...,&}, no JSON library on its side
// (Kamailio 5.6 has no JSON-escaping transformation; jansson_set parsed and
// printed the whole document once per field: bench/README.md, "kamlat2").
// GET /v1/calls/incidents (right "read"): the callers, trunks and networks
// flagged so far with their evidence (calls::Incident), strongest first.
// POST /v1/calls/end (right "calls"): the proxy reports how a call it asked
// about ended (Kamailio's dialog module, deploy/kamailio): {"call_id": "...",
// "answered": true, "duration": 3, "status": 200} (at most 4 KiB; `answered`
// defaults to a 2xx `status`, else to a positive `duration`). The call is
// found by its Call-ID among the last 100,000 INVITEs asked about, and its
// attempt gets its end, so the short-call and answer-seizure ratios work on
// live signalling. Answer 200 {"recorded": true|false} (false: not found);
// as a form too ("call_id=...&answered=true&duration=3", answer
// "recorded=true").
//
// State: the call patterns (every key's attempts in the window and its
// incident) are written to `state_file` every `state_interval_s` and when the
// service stops (core/file.h, atomically), and read back at start: a
// robocaller blocked before a restart is blocked after it.
//
// Threads: a call that needs nothing fetched (no Identity, one that fails
// before its certificate, or one whose x5u chain is in the cache) and a
// call's end are answered at once on the event loop that took them: the
// patterns' bookkeeping under a lock (a few microseconds; try-locked, so a
// loop never waits behind a state save), the ES256 verification outside it,
// the certificate caches locking for themselves. Anything else (an x5u to
// fetch, the patterns busy) goes to one worker thread (the fetch never
// blocks: Beast on the worker's io_context with its deadline) and the answer
// is posted back to the loop that asked (core/executor.h). Answering at once
// saves the two thread hand-offs, which cost more than the verification on a
// machine with idle cores (bench/README.md, "calllat").
//
// DIAGNOSTICS: CallsConfig::from records kConfig errors with file:line for
// an unreadable trust-anchor file or a bad value; start() fails with kConfig
// when the anchors cannot be loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/calls.h"
#include "channels/stir.h"
#include "core/config.h"
#include "core/result.h"

namespace rampart {
class Metrics;
}

namespace rampart::server {

class Router;
class ChannelReputation;

struct CallsConfig {
  bool enabled = false;
  std::string trust_anchors;
  std::string https_ca;
  int64_t x5u_timeout_ms = 800;
  bool reject_failed = false;  // stir_failed = "reject"
  std::vector<std::string> own_ranges;
  bool own_ranges_block = false;  // own_ranges_action = "block" (default "tag": numbers ported out)
  // Interconnects on which every call from outside carries an Identity (the
  // SHAKEN peers; "*": all of them): there a call without one whose caller
  // ID looks spoofed is refused like one with a failed Identity.
  std::vector<std::string> stir_expected_trunks;
  bool expects_identity(std::string_view trunk, bool external) const;
  std::string country_code, national_prefix = "0", international_prefix = "00";  // calls.h Options
  std::string tag_prefix = "Spam? ";
  // Toll fraud by our own callers (calls.h Options toll_*, utc_offset_min).
  uint32_t toll_tag_destinations = 10, toll_block_destinations = 20, toll_countries = 3;
  double toll_share = 0.5, toll_history_factor = 4;
  int64_t toll_long_call_s = 180, toll_bar_s = 86400, utc_offset_min = 0;
  uint32_t cli_foreign_min = 10;  // calls.h Options::cli_foreign_min (a hosted dialer)
  // The other pattern thresholds ([calls] keys of the same names as calls.h
  // Options: judge_min_ended, conversation_s, invalid_cli_source_min,
  // invalid_cli_source_share, neighbour_free_digits, neighbour_wave_min,
  // wangiri_callees, wangiri_asr, toll_source_min, tdos_calls,
  // tdos_distinct_share, tdos_source_min); the rest of it is set from the
  // fields above.
  channels::calls::Options thresholds;
  size_t max_queue = 1024;
  std::string state_file;  // "": not persisted
  int64_t state_interval_s = 60;
  static Result<CallsConfig> from(const Config& cfg, const std::string& data_dir = "");
};

struct CallRequest {
  std::string from, to, identity, source_ip, trunk, call_id;
  bool external = true;
  int64_t date = 0;  // 0: now
};
inline constexpr size_t kMaxCallRequestBytes = 16 * 1024;
Result<CallRequest> parse_call_request(std::string_view body);
// The same request as a form (Content-Type application/x-www-form-urlencoded,
// what deploy/kamailio sends: each value percent-encoded by Kamailio's
// {s.urlencode.param}): the same fields, each at most once; an empty value
// stands for an absent one; `external` true/false/1/0; `date` an HTTP-date
// or unix seconds. Errors as parse_call_request.
Result<CallRequest> parse_call_request_form(std::string_view body);

struct CallEnd {
  std::string call_id;
  bool answered = false;
  int64_t duration_s = 0;
  int status = 0;  // the final SIP status when known
};
inline constexpr size_t kMaxCallEndBytes = 4 * 1024;
Result<CallEnd> parse_call_end(std::string_view body);
// As a form: call_id, answered (true/false/1/0), duration, status; empty = absent.
Result<CallEnd> parse_call_end_form(std::string_view body);

struct CallAnswer {
  std::string action;  // "allow", "tag", "block", "reject"
  int code = 0;
  std::string reason;
  channels::stir::Verstat verstat = channels::stir::Verstat::kNoValidation;
  std::optional<char> attest;
  std::string display_prefix;
  std::vector<std::string> reasons;
  std::string to_json() const;
  // The answer to a form request: "action=tag&code=0&verstat=...&attest=A&
  // display_prefix=Spam%3F%20&reason=...&reasons=..." (console::form_encode
  // of each value, the fields in this order, `reasons` repeated; a field with
  // an empty value is left out: Kamailio's parser of {param.value,NAME,&}
  // fails on "name=&"), read by Kamailio without a JSON parser.
  std::string to_form() const;
};

struct HttpRequest;
// Content-Type application/x-www-form-urlencoded (any parameters after it)
// and a body that is not a JSON object (one starting with '{' is JSON
// whatever its label: curl -d and Python's urllib call every body a form).
bool is_form_body(const HttpRequest& req);

// The rule (pure): the patterns' assessment and the STIR verdict of one call.
// `identity_expected`: the call came from outside over an interconnect where
// every call carries an Identity (CallsConfig::expects_identity). A caller ID
// that looks spoofed (Assessment::spoofed: our own range from outside, a
// neighbour-spoofing wave) with a failed Identity, or with none where one is
// expected, is refused with 603; with a valid one, or none where none is
// expected, it stays a tag.
CallAnswer decide_call(const channels::calls::Assessment& a, const channels::stir::Verdict& v,
                       const CallsConfig& cfg, bool identity_expected = false);

class CallService {
 public:
  static Result<std::unique_ptr<CallService>> start(CallsConfig cfg, Metrics* metrics);
  ~CallService();  // stops and joins the worker
  CallService(const CallService&) = delete;
  CallService& operator=(const CallService&) = delete;

  // Runs `done` at once on the calling thread when the call needs nothing
  // fetched (see Threads above), else later on the worker thread; false
  // (nothing runs) past the queue.
  bool assess(CallRequest req, std::function<void(CallAnswer)> done);
  // The keys (caller, trunk, network) tagged or blocked so far, strongest
  // first, as {"incidents": [{"key", "action", "first_seen", "last_seen",
  // "attempts", "reasons"}]} (at most `limit`); `done` runs on the worker.
  bool incidents(size_t limit, std::function<void(std::string)> done);
  // A call's end (POST /v1/calls/end); `done` (at once, or on the worker
  // when the patterns are busy) gets whether the call was found. False
  // (nothing runs) past the queue.
  bool end(CallEnd e, std::function<void(bool)> done);
  const CallsConfig& config() const;
  // Calls and their ends into the reputation store, overrides applied to the
  // answers (channel_reputation.h); null: none.
  void set_reputation(std::shared_ptr<ChannelReputation> rep);

  struct Impl;

 private:
  explicit CallService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// POST /v1/calls and /v1/calls/end, right "calls"; GET /v1/calls/incidents[?limit=N] (read;
// default 100, at most 10,000).
void add_call_routes(Router& router, std::shared_ptr<CallService> svc);

}  // namespace rampart::server

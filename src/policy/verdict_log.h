// File: src/policy/verdict_log.h
// One log line per message, the way Postfix logs its own decisions: what
// rampartd decided for a message and why, for the journal or syslog.
//
//   log::get()->info("{}", policy::verdict_log_line(state, verdict));
//   // 4Xy3z1: client=mx.example.org[192.0.2.1], helo=<mx.example.org>, from=<a@example.org>,
//   //   to=<b@example.net>, nrcpt=1, action=reject, score=16.50, reply="550 5.7.1 ...",
//   //   symbols=SPF_FAIL(6.00 "SPF fail: 192.0.2.1 not permitted"), DMARC_FAIL_REJECT(9.00 "...")
//
// The queue id leads (NOQUEUE and rampart's generated id, "NOQUEUE:
// id=0a1b2c3d4e5f, client=...", before Postfix gave one), as in Postfix's own
// lines, so `grep QUEUEID /var/log/mail.log` shows Postfix's and rampart's
// lines for a message together. Values are quoted where they may hold
// spaces; control characters and quotes in them are escaped (a client
// cannot forge a second line); the line is cut at 4 KiB with "...".
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "policy/policy.h"

namespace rampart::policy {

std::string verdict_log_line(const ScanState& s, const Verdict& v);

// Told of every decided message (milter, and /v1/scan unless look-only), on
// the event loop that decided it (so: thread-safe and quick).
using VerdictObserver = std::function<void(const ScanState&, const Verdict&)>;

// Authentication results of decided messages, per method and result, for
// rampart_auth_results_total{method,result} (the console's pass rates).
// One count per message and method present in ScanState::auth: "pass" when
// any of its entries passed (a message with two DKIM signatures, one good,
// passes DKIM), else the first entry's result. Results outside the list
// count as "other". One writer thread (an event loop), any reader.
struct AuthTally {
  static constexpr std::array<std::string_view, 4> kMethods{"spf", "dkim", "dmarc", "arc"};
  static constexpr std::array<std::string_view, 9> kResults{
      "pass", "fail", "softfail", "neutral", "none", "policy", "temperror", "permerror", "other"};
  OwnedCounter n[kMethods.size()][kResults.size()];
  void count(const ScanState& s);
  uint64_t get(size_t method, size_t result) const { return n[method][result]; }
};

}  // namespace rampart::policy

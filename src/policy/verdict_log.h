// File: src/policy/verdict_log.h
// One log line per message, the way Postfix logs its own decisions: what
// rampartd decided for a message and why, for the journal or syslog.
//
//   log::get()->info("{}", policy::verdict_log_line(state, verdict));
//   // 4Xy3z1: client=mx.example.org[192.0.2.1], helo=<mx.example.org>, from=<a@example.org>,
//   //   to=<b@example.net>, nrcpt=1, action=reject, score=16.50, reply="550 5.7.1 ...",
//   //   symbols=SPF_FAIL(6.00 "SPF fail: 192.0.2.1 not permitted"), DMARC_FAIL_REJECT(9.00 "...")
//
// The queue id leads (NOQUEUE before Postfix gave one), as in Postfix's own
// lines, so `grep QUEUEID /var/log/mail.log` shows Postfix's and rampart's
// lines for a message together. Values are quoted where they may hold
// spaces; control characters and quotes in them are escaped (a client
// cannot forge a second line); the line is cut at 4 KiB with "...".
#pragma once

#include <string>

#include "policy/policy.h"

namespace rampart::policy {

std::string verdict_log_line(const ScanState& s, const Verdict& v);

}  // namespace rampart::policy

// File: src/server/http/scan.h
// POST /v1/scan's envelope from its request headers, and the verdict as
// JSON.
//
//   auto st = scan_state_from(req);            // Result<shared_ptr<ScanState>>: X-Client-IP, X-Helo, ...
//   std::string body = verdict_json(verdict);  // {"action": ..., "score": ..., "symbols": [...], ...}
//   std::string late = timeout_verdict_json(); // tempfail, for a scan past its deadline
//
// Envelope headers: X-Client-IP, X-Helo, X-Mail-From, X-Rcpt-To
// (repeatable, or comma-separated), X-Auth-User; addresses without angle
// brackets ("<>" or empty is the null sender).
// DIAGNOSTICS: scan_state_from fails (kInvalidArgument) for a missing or
// unparseable X-Client-IP.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "policy/policy.h"
#include "server/http/parser.h"

namespace rampart::server {

std::string verdict_json(const policy::Verdict& v);
// {"action": "tempfail", ..., "smtp_reply": "451 4.4.3 ..."}: the answer of a
// scan that did not finish by its deadline.
std::string timeout_verdict_json();
Result<std::shared_ptr<policy::ScanState>> scan_state_from(const HttpRequest& req);

}  // namespace rampart::server

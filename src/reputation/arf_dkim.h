// File: src/reputation/arf_dkim.h
// Authenticating the original of a feedback report again: DKIM over the
// complete original (src/auth/dkim), DMARC alignment of the verified d=
// with the From domain (relaxed, organisational domains), SPF from a trusted
// Authentication-Results field when there is one (SPF cannot be checked
// again after the fact without the delivery-time DNS).
//
//   dkim::Verifier v(resolver, clock);
//   reputation::OriginalAuth a = reputation::reauthenticate(report, v, psl, {"mx.example.net"});
//   auto ev = reputation::to_event(report, a, now);
//
// A headers-only original cannot be re-verified (no body): the trusted
// Authentication-Results alone count then (no DNS is asked). DKIM temperror/permerror count as
// not verified.
#pragma once

#include <string>
#include <vector>

#include "core/task.h"
#include "reputation/arf.h"

namespace rampart::dkim {
class Verifier;
struct SignatureResult;
}  // namespace rampart::dkim

namespace rampart::reputation {

// Runs the verifier's resolver until the keys are in (CLI, tests).
OriginalAuth reauthenticate(const ArfReport& r, dkim::Verifier& verifier, const dmarc::PublicSuffixList& psl,
                            const std::vector<std::string>& trusted_authserv_ids = {});
// The same on an event loop (rampartd): `r` must outlive the task.
Task<OriginalAuth> reauthenticate_task(const ArfReport& r, dkim::Verifier& verifier,
                                       const dmarc::PublicSuffixList& psl,
                                       std::vector<std::string> trusted_authserv_ids = {});
// The decision alone, from the verifier's results over r.original.
OriginalAuth auth_from_dkim(const ArfReport& r, const std::vector<dkim::SignatureResult>& results,
                            const dmarc::PublicSuffixList& psl,
                            const std::vector<std::string>& trusted_authserv_ids);

}  // namespace rampart::reputation

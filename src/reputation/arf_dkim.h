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
// Authentication-Results alone count then. DKIM temperror/permerror count as
// not verified.
#pragma once

#include <string>
#include <vector>

#include "reputation/arf.h"

namespace rampart::dkim {
class Verifier;
}

namespace rampart::reputation {

OriginalAuth reauthenticate(const ArfReport& r, dkim::Verifier& verifier, const dmarc::PublicSuffixList& psl,
                            const std::vector<std::string>& trusted_authserv_ids = {});

}  // namespace rampart::reputation

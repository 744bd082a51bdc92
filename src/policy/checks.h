// File: src/policy/checks.h
// The built-in checks of the scan pipeline, one class each, and the factory
// that installs those the PolicyConfig enables.
//
//   auto p = Pipeline::create(cfg, resolver, clock, throttle);   // calls add_default_checks
//   p->add(std::make_unique<MyCheck>(...));                      // a plug-in of your own
//
// Stage and symbols of each check (scores from PolicyConfig::scores, the
// [scores] table). "inbound" checks (Check::inbound_only) do not run for an
// authenticated submission:
//   throttle      mail  THROTTLE_IP / _NET / _SENDER_DOMAIN / _SASL_USER -> 451 4.7.1
//   fcrdns        connect  FCRDNS_OK, FCRDNS_FAIL, RDNS_NONE; writes iprev
//   dnsbl_ip      connect  <zone symbol> per listing zone
//   spf           mail  SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, ...; writes spf
//   header_sanity data  MISSING_FROM, MULTIPLE_FROM (both force at least add_header),
//                       MISSING_DATE, MISSING_MESSAGE_ID, HEADER_DEFECT, DUPLICATE_SUBJECT
//   dkim          data  DKIM_PASS, DKIM_FAIL, ...; writes dkim
//   arc           data  ARC_PASS, ARC_FAIL, ARC_NONE, ARC_TEMPERROR; writes arc (when built)
//   senderid      data  SENDERID_PASS, SENDERID_FAIL, ...; writes sender-id
//   dnsbl_domain  data  <zone symbol> per listed domain (MAIL FROM, From)
//   dmarc         data, wave 1  DMARC_PASS, DMARC_FAIL_{NONE,QUARANTINE,REJECT}, ...;
//                       writes dmarc; with a record it stands for SPF/DKIM/Sender ID (their
//                       scores become 0); p=reject -> 550 5.7.1, p=quarantine -> quarantine
//   submission    data  authenticated submissions only: AUTH_SUBMISSION (added when the
//                       login is seen), SUBMISSION_MANY_RCPTS, SUBMISSION_FOREIGN_FROM
// inbound: fcrdns, dnsbl_ip, dnsbl_domain, spf, senderid, dkim, arc, dmarc.
// DIAGNOSTICS: a temporary DNS failure in spf/dkim/dmarc/senderid/fcrdns
// calls ScanState::tempfail() when PolicyConfig::dns_tempfail (default);
// in the DNSBL checks only when dnsbl_tempfail.
#pragma once

#include <memory>

#include "core/clock.h"
#include "dns/resolver.h"
#include "policy/policy.h"

namespace rampart::policy {

void add_default_checks(Pipeline& p, dns::Resolver& resolver, const Clock& clock,
                        std::shared_ptr<Throttle> throttle);

}  // namespace rampart::policy

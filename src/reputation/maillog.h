// File: src/reputation/maillog.h
// Unknown-recipient bounces from the MTA's log: the one reputation event a
// milter cannot see. Postfix rejects a RCPT TO for a user it does not have
// (reject_unlisted_recipient, 550 5.1.1) in smtpd's own restrictions, before
// any milter is asked, and logs
//
//   Nov 27 10:00:01 mx postfix/smtpd[1234]: NOQUEUE: reject: RCPT from
//   unknown[203.0.113.5]: 550 5.1.1 <nosuch@example.net>: Recipient address
//   rejected: User unknown in local recipient table; from=<a@sender.test>
//   to=<nosuch@example.net> proto=ESMTP helo=<bad.example>
//
// (one line). Each such line becomes a bounce event about the client: ip,
// HELO name and MAIL FROM as claimed, nothing verified, so only the ip: and
// net: identities are charged (event.h).
//
//   int year = 2026;                                   // classic syslog lines carry no year
//   auto ev = reputation::parse_postfix_log_line(line, year);   // Result<std::optional<Event>>
//   if (!ev) warn(ev.error().message);                 // a reject line it could not read
//   else if (*ev) post(event_to_json(**ev));           // rampart reputation maillog
//
// Recognised: classic syslog ("Nov 27 10:00:01 host ...", the year given)
// and RFC 3339 time stamps ("2026-11-27T10:00:01.123456+01:00 host ...");
// any postfix smtpd service name ("postfix/smtpd", "postfix-in/smtpd");
// the reasons "User unknown in ... table", "Recipient address rejected:
// undeliverable address" (reject_unverified_recipient) and any 5.1.1 reject.
// Other lines (other rejects, deliveries, other programs) are nullopt.
//
// DIAGNOSTICS: Errc::kParse for a line that is an unknown-recipient reject
// but lacks the client address or a readable time stamp ("... RCPT from
// host[addr] ..."). Lines are read in linear time; nothing throws.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"
#include "reputation/event.h"

namespace rampart::reputation {

Result<std::optional<Event>> parse_postfix_log_line(std::string_view line, int year);

}  // namespace rampart::reputation

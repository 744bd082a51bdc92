// File: src/auth/senderid/pra.h
// The Purported Responsible Address of RFC 4407 section 2: the mailbox of
// whoever most proximately caused a message to be delivered, taken from
// Resent-Sender, Resent-From, Sender or From.
//
//   auto headers = mime::HeaderSection::parse(raw_message);
//   senderid::Pra pra = senderid::find_pra(headers);
//   if (pra.found()) check(pra.address());       // "alice@example.com"
//   else log("no PRA: {}", pra.reason);            // which rule refused, why
//
// The algorithm (RFC 4407 section 2), steps as numbered there:
//  1. The first non-empty Resent-Sender, unless a non-empty Resent-From
//     precedes it with a Received or Return-Path field between the two (the
//     Resent-Sender then belongs to an older resent block): go to 2.
//     Otherwise the Resent-Sender is selected (5).
//  2. Else the first non-empty Resent-From is selected (5).
//  3. Else the non-empty Sender fields: exactly one is selected (5); more
//     than one: no PRA (6).
//  4. Else the non-empty From fields: exactly one is selected (5); none or
//     more than one: no PRA (6).
//  5. The selected field must hold exactly one mailbox with a domain name;
//     otherwise (several mailboxes, a group, unparsable, a domain-literal):
//     no PRA (6). A malformed selected field never falls back to a later step.
// "Non-empty" means a field body with something other than white space.
//
// DIAGNOSTICS: find_pra() never fails; Pra::status says which rule ended
// the search and Pra::reason explains it in one line, citing the step.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/address.h"
#include "mime/header.h"

namespace rampart::senderid {

enum class PraSource { kNone, kResentSender, kResentFrom, kSender, kFrom };

enum class PraStatus {
  kFound,           // step 5 succeeded
  kNoFrom,          // step 4: no Resent-*, no Sender and no non-empty From
  kMultipleSender,  // step 3: more than one non-empty Sender
  kMultipleFrom,    // step 4: more than one non-empty From
  kMalformed,       // step 5: the selected field is not one mailbox with a domain
};

std::string_view pra_source_name(PraSource s);  // "Resent-Sender", ..., "none"
std::string_view pra_status_name(PraStatus s);  // "found", "no-from", ...

struct Pra {
  PraStatus status = PraStatus::kNoFrom;
  PraSource source = PraSource::kNone;       // the selected field (also when malformed)
  const mime::HeaderField* field = nullptr;  // the selected field, points into the HeaderSection
  mime::Mailbox mailbox;                     // valid when found()
  std::string reason;

  bool found() const { return status == PraStatus::kFound; }
  // "local@domain" when found(), else "".
  std::string address() const { return found() ? mailbox.addr_spec() : std::string(); }
};

Pra find_pra(const mime::HeaderSection& headers);

}  // namespace rampart::senderid

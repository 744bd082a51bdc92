#include "auth/senderid/pra.h"

#include <vector>

namespace rampart::senderid {

std::string_view pra_source_name(PraSource s) {
  switch (s) {
    case PraSource::kNone: return "none";
    case PraSource::kResentSender: return "Resent-Sender";
    case PraSource::kResentFrom: return "Resent-From";
    case PraSource::kSender: return "Sender";
    case PraSource::kFrom: return "From";
  }
  return "none";
}

std::string_view pra_status_name(PraStatus s) {
  switch (s) {
    case PraStatus::kFound: return "found";
    case PraStatus::kNoFrom: return "no-from";
    case PraStatus::kMultipleSender: return "multiple-sender";
    case PraStatus::kMultipleFrom: return "multiple-from";
    case PraStatus::kMalformed: return "malformed";
  }
  return "unknown";
}

namespace {

using mime::HeaderField;

bool trace_field(const HeaderField& f) { return f.is("Received") || f.is("Return-Path"); }

// Step 5 on the field selected by `step`.
Pra select(const HeaderField& f, PraSource source, int step) {
  Pra p;
  p.source = source;
  p.field = &f;
  const std::string where =
      std::string(pra_source_name(source)) + " (RFC 4407 section 2, step " + std::to_string(step) + ")";
  // Resent-Sender and Sender hold a mailbox, Resent-From and From a
  // mailbox-list: parsing both as lists lets step 5 say "several mailboxes".
  auto list = mime::parse_mailbox_list(f.value_raw);
  if (!list) {
    p.status = PraStatus::kMalformed;
    p.reason = "no PRA: " + where + " is malformed: " + list.error().message + " (step 5)";
    return p;
  }
  if (list->size() != 1) {
    p.status = PraStatus::kMalformed;
    p.reason = "no PRA: " + where + " holds " + std::to_string(list->size()) + " mailboxes" +
               (source == PraSource::kFrom ? " and there is no Sender" : "") + " (step 5)";
    return p;
  }
  if (list->front().domain_literal || list->front().domain.empty()) {
    p.status = PraStatus::kMalformed;
    p.reason = "no PRA: " + where + " mailbox has no domain name (step 5)";
    return p;
  }
  p.status = PraStatus::kFound;
  p.mailbox = std::move(list->front());
  p.reason = "PRA " + p.mailbox.addr_spec() + " from " + where;
  return p;
}

}  // namespace

Pra find_pra(const mime::HeaderSection& headers) {
  const auto& fields = headers.fields();

  // Step 1: the first non-empty Resent-Sender, unless a non-empty Resent-From
  // before it is separated from it by Received / Return-Path.
  const HeaderField* first_resent_from = nullptr;
  bool trace_between = false;
  const HeaderField* resent_sender = nullptr;
  for (const auto& f : fields) {
    if (f.is("Resent-From") && !f.empty_value()) {
      if (first_resent_from == nullptr) first_resent_from = &f;
    } else if (trace_field(f)) {
      if (first_resent_from != nullptr) trace_between = true;
    } else if (f.is("Resent-Sender") && !f.empty_value()) {
      resent_sender = &f;
      break;
    }
  }
  if (resent_sender != nullptr && !(first_resent_from != nullptr && trace_between))
    return select(*resent_sender, PraSource::kResentSender, 1);

  // Step 2: the first non-empty Resent-From.
  for (const auto& f : fields)
    if (f.is("Resent-From") && !f.empty_value()) return select(f, PraSource::kResentFrom, 2);

  // Step 3: the non-empty Sender fields.
  std::vector<const HeaderField*> senders;
  for (const auto& f : fields)
    if (f.is("Sender") && !f.empty_value()) senders.push_back(&f);
  if (senders.size() > 1) {
    Pra p;
    p.status = PraStatus::kMultipleSender;
    p.source = PraSource::kSender;
    p.field = senders[1];
    p.reason =
        "no PRA: " + std::to_string(senders.size()) + " non-empty Sender fields (RFC 4407 section 2, step 3)";
    return p;
  }
  if (senders.size() == 1) return select(*senders[0], PraSource::kSender, 3);

  // Step 4: the non-empty From fields.
  std::vector<const HeaderField*> froms;
  for (const auto& f : fields)
    if (f.is("From") && !f.empty_value()) froms.push_back(&f);
  if (froms.size() == 1) return select(*froms[0], PraSource::kFrom, 4);
  Pra p;
  p.source = PraSource::kNone;
  if (froms.empty()) {
    p.status = PraStatus::kNoFrom;
    p.reason =
        "no PRA: no non-empty Resent-Sender, Resent-From, Sender or From field "
        "(RFC 4407 section 2, step 4)";
  } else {
    p.status = PraStatus::kMultipleFrom;
    p.source = PraSource::kFrom;
    p.field = froms[1];
    p.reason = "no PRA: " + std::to_string(froms.size()) +
               " non-empty From fields and no Sender (RFC 4407 section 2, step 4)";
  }
  return p;
}

}  // namespace rampart::senderid

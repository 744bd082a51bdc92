// Table tests of the PRA algorithm, one or more rows per rule of RFC 4407
// section 2 (the step each row exercises is in its name).
#include "auth/senderid/pra.h"

#include <string>

#include <gtest/gtest.h>

namespace rampart::senderid {
namespace {

struct Row {
  const char* rule;     // RFC 4407 section 2 step and what the row checks
  const char* headers;  // header section, "\n" line ends, body appended by the test
  PraStatus status;
  PraSource source;
  const char* pra;  // expected address when found
};

const Row kRows[] = {
    // Step 1: the first non-empty Resent-Sender.
    {"s2 step 1: Resent-Sender of the first resent block wins",
     "Resent-From: rf@forwarder.example\nResent-Sender: rs@forwarder.example\n"
     "Received: from a by b\nSender: s@orig.example\nFrom: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentSender, "rs@forwarder.example"},
    {"s2 step 1: Resent-Sender without Resent-From",
     "Resent-Sender: Rs <rs@Forwarder.Example>\nFrom: f@orig.example\n", PraStatus::kFound,
     PraSource::kResentSender, "rs@forwarder.example"},
    {"s2 step 1: trace fields before any Resent-From do not matter",
     "Received: from x by y\nReturn-Path: <b@x>\nResent-Sender: rs@fw.example\nFrom: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentSender, "rs@fw.example"},
    {"s2 step 1: empty Resent-Sender is skipped for the next non-empty one",
     "Resent-Sender:   \nResent-Sender: rs2@fw.example\nFrom: f@orig.example\n", PraStatus::kFound,
     PraSource::kResentSender, "rs2@fw.example"},
    {"s2 step 1 -> 2: Received between Resent-From and Resent-Sender",
     "Resent-From: rf@new.example\nReceived: from a by b\nResent-Sender: rs@old.example\n"
     "From: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentFrom, "rf@new.example"},
    {"s2 step 1 -> 2: Return-Path between Resent-From and Resent-Sender",
     "Resent-From: rf@new.example\nReturn-Path: <x@y>\nResent-Sender: rs@old.example\n"
     "From: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentFrom, "rf@new.example"},
    {"s2 step 1 -> 2: any earlier Resent-From with a trace field after it counts",
     "Resent-From: rf1@new.example\nReceived: from a by b\nResent-From: rf2@mid.example\n"
     "Resent-Sender: rs@mid.example\nFrom: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentFrom, "rf1@new.example"},
    {"s2 step 1 -> 5 -> 6: malformed Resent-Sender does not fall back",
     "Resent-Sender: not an address\nResent-From: rf@fw.example\nFrom: f@orig.example\n",
     PraStatus::kMalformed, PraSource::kResentSender, ""},
    // Step 2: the first non-empty Resent-From.
    {"s2 step 2: first non-empty Resent-From",
     "Resent-From:\nResent-From: rf1@fw.example\nResent-From: rf2@fw2.example\nFrom: f@orig.example\n",
     PraStatus::kFound, PraSource::kResentFrom, "rf1@fw.example"},
    {"s2 step 2 -> 5 -> 6: Resent-From with two mailboxes",
     "Resent-From: a@fw.example, b@fw.example\nFrom: f@orig.example\n", PraStatus::kMalformed,
     PraSource::kResentFrom, ""},
    // Step 3: Sender.
    {"s2 step 3: exactly one non-empty Sender wins over From",
     "From: f@orig.example\nSender: Secretary <sec@Orig.Example>\n", PraStatus::kFound, PraSource::kSender,
     "sec@orig.example"},
    {"s2 step 3: Sender chosen even when From holds several mailboxes",
     "From: a@orig.example, b@orig.example\nSender: s@orig.example\n", PraStatus::kFound, PraSource::kSender,
     "s@orig.example"},
    {"s2 step 3: empty Sender fields are ignored", "Sender:\nSender:  \nFrom: f@orig.example\n",
     PraStatus::kFound, PraSource::kFrom, "f@orig.example"},
    {"s2 step 3 -> 6: more than one non-empty Sender",
     "Sender: s1@orig.example\nSender: s2@orig.example\nFrom: f@orig.example\n", PraStatus::kMultipleSender,
     PraSource::kSender, ""},
    {"s2 step 3 -> 5 -> 6: malformed Sender does not fall back to From",
     "Sender: <broken@\nFrom: f@orig.example\n", PraStatus::kMalformed, PraSource::kSender, ""},
    // Step 4: From.
    {"s2 step 4: exactly one From", "From: \"Doe, John\" <John.Doe@Orig.Example> (home)\n", PraStatus::kFound,
     PraSource::kFrom, "John.Doe@orig.example"},
    {"s2 step 4: field names match in any case", "FROM: f@orig.example\n", PraStatus::kFound,
     PraSource::kFrom, "f@orig.example"},
    {"s2 step 4 -> 6: no From at all", "To: t@dest.example\nSubject: x\n", PraStatus::kNoFrom,
     PraSource::kNone, ""},
    {"s2 step 4 -> 6: only empty From", "From:   \n", PraStatus::kNoFrom, PraSource::kNone, ""},
    {"s2 step 4 -> 6: more than one non-empty From", "From: f1@orig.example\nFrom: f2@orig.example\n",
     PraStatus::kMultipleFrom, PraSource::kFrom, ""},
    // Step 5: the selected field must be a single well-formed mailbox with a domain.
    {"s2 step 5 -> 6: From with several mailboxes and no Sender", "From: a@orig.example, b@orig.example\n",
     PraStatus::kMalformed, PraSource::kFrom, ""},
    {"s2 step 5 -> 6: hopelessly malformed From", "From: @@@\n", PraStatus::kMalformed, PraSource::kFrom, ""},
    {"s2 step 5 -> 6: mailbox without a domain name (domain-literal)", "From: a@[192.0.2.1]\n",
     PraStatus::kMalformed, PraSource::kFrom, ""},
    {"s2 step 5 -> 6: mailbox without a domain name (bare local-part)", "From: alice\n",
     PraStatus::kMalformed, PraSource::kFrom, ""},
    {"s2 step 5 -> 6: group syntax is not a single mailbox", "From: Team: a@orig.example;\n",
     PraStatus::kMalformed, PraSource::kFrom, ""},
    {"s2 step 5: obsolete syntax still gives one mailbox",
     "From: John Q. Public <@relay.example:john . public@ Orig.Example>\n", PraStatus::kFound,
     PraSource::kFrom, "john.public@orig.example"},
    {"s2 step 5: folded field", "From: Alice\r\n <alice@orig.example>\n", PraStatus::kFound, PraSource::kFrom,
     "alice@orig.example"},
};

TEST(Pra, Rfc4407Section2Table) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(r.rule);
    std::string msg = std::string(r.headers) + "\nbody\n";
    auto h = mime::HeaderSection::parse(msg);
    Pra p = find_pra(h);
    EXPECT_EQ(pra_status_name(p.status), pra_status_name(r.status)) << p.reason;
    EXPECT_EQ(pra_source_name(p.source), pra_source_name(r.source)) << p.reason;
    EXPECT_EQ(p.address(), r.pra) << p.reason;
    EXPECT_FALSE(p.reason.empty());
    EXPECT_NE(p.reason.find("RFC 4407 section 2"), std::string::npos) << p.reason;
    if (r.status == PraStatus::kFound) {
      ASSERT_NE(p.field, nullptr);
      EXPECT_TRUE(p.field->is(pra_source_name(r.source)));
    }
  }
}

TEST(Pra, ReasonNamesTheRule) {
  auto h = mime::HeaderSection::parse("From: a@x.example, b@y.example\n\n");
  Pra p = find_pra(h);
  EXPECT_EQ(p.reason,
            "no PRA: From (RFC 4407 section 2, step 4) holds 2 mailboxes and there is no Sender (step 5)");
  auto h2 = mime::HeaderSection::parse("Sender: a@x.example\nSender: b@x.example\n\n");
  EXPECT_EQ(find_pra(h2).reason, "no PRA: 2 non-empty Sender fields (RFC 4407 section 2, step 3)");
}

TEST(Pra, EmptyMessage) {
  auto h = mime::HeaderSection::parse("");
  Pra p = find_pra(h);
  EXPECT_EQ(p.status, PraStatus::kNoFrom);
  EXPECT_EQ(p.address(), "");
}

}  // namespace
}  // namespace rampart::senderid

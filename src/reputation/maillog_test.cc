// File: src/reputation/maillog_test.cc
// Unknown-recipient rejects from Postfix log lines (maillog.h).
#include "reputation/maillog.h"

#include <gtest/gtest.h>

#include "auth/dmarc/orgdomain.h"

namespace rampart::reputation {
namespace {

TEST(Maillog, ClassicSyslogLine) {
  auto e = parse_postfix_log_line(
      "Nov 27 10:00:01 mx postfix/smtpd[1234]: NOQUEUE: reject: RCPT from unknown[203.0.113.5]: 550 5.1.1 "
      "<nosuch@example.net>: Recipient address rejected: User unknown in local recipient table; "
      "from=<a@sender.test> to=<nosuch@example.net> proto=ESMTP helo=<bad.example>\n",
      2026);
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_TRUE(e->has_value());
  const Event& ev = **e;
  EXPECT_EQ(ev.type, EventType::kBounce);
  EXPECT_EQ(ev.time, 1795773601);  // 2026-11-27T10:00:01Z
  ASSERT_TRUE(ev.ip);
  EXPECT_EQ(ev.ip->to_string(), "203.0.113.5");
  EXPECT_EQ(ev.mail_from, "a@sender.test");
  EXPECT_EQ(ev.helo, "bad.example");
  EXPECT_EQ(ev.recipients, 1u);
  // Nothing verified: only ip: and net: are charged.
  auto psl = dmarc::PublicSuffixList::from_text("test\nexample\n");
  ASSERT_TRUE(psl);
  for (const Identity& id : identities_of(ev, *psl))
    EXPECT_TRUE(id.kind == IdentityKind::kIp || id.kind == IdentityKind::kNet) << id.key;
}

TEST(Maillog, Rfc3339AndIpv6AndOtherReasons) {
  auto e = parse_postfix_log_line(
      "2026-11-27T11:00:01.123456+01:00 mx postfix-in/smtpd[9]: 4AbC: reject: RCPT from "
      "x.example[IPv6:2001:db8::1]: 550 5.1.1 <u@example.net>: Recipient address rejected: undeliverable "
      "address: host x said: 550 no such user; from=<> to=<u@example.net> proto=ESMTP helo=<x.example>",
      2000);
  ASSERT_TRUE(e && e->has_value()) << (e ? "" : e.error().message);
  EXPECT_EQ((*e)->time, 1795773601);
  EXPECT_EQ((*e)->ip->to_string(), "2001:db8::1");
  EXPECT_EQ((*e)->mail_from, "");
  e = parse_postfix_log_line(
      "Jan  2 00:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[192.0.2.1]: 550 5.1.1 "
      "<v@example.net>: "
      "Recipient address rejected: User unknown in virtual mailbox table; from=<s@x.test> to=<v@example.net> "
      "proto=SMTP",
      2024);
  ASSERT_TRUE(e && e->has_value());
  EXPECT_EQ((*e)->time, 1704153600);  // 2024-01-02T00:00:00Z
  EXPECT_EQ((*e)->helo, "");
}

TEST(Maillog, OtherLinesAreNotEvents) {
  for (const char* line : {
           "",
           "Nov 27 10:00:01 mx postfix/smtpd[1]: connect from unknown[203.0.113.5]",
           // A relay refusal is not an unknown recipient.
           "Nov 27 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[203.0.113.5]: 454 4.7.1 "
           "<x@other.test>: Relay access denied; from=<a@b.test> to=<x@other.test> proto=ESMTP helo=<a>",
           // Not smtpd (a cleanup or local line mentioning the same words).
           "Nov 27 10:00:01 mx postfix/cleanup[1]: NOQUEUE: reject: RCPT from a[203.0.113.5]: 550 5.1.1 x",
           "Nov 27 10:00:01 mx postfix/smtp[1]: 4AbC: to=<x@y.test>, status=bounced (550 5.1.1 user unknown)",
       }) {
    auto e = parse_postfix_log_line(line, 2026);
    ASSERT_TRUE(e) << line;
    EXPECT_FALSE(e->has_value()) << line;
  }
}

TEST(Maillog, BrokenRejectLinesAreErrors) {
  for (const char* line : {
           "Nov 27 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from nowhere: 550 5.1.1 <x@y>: User "
           "unknown in local recipient table",
           "Nov 27 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[999.1.1.1]: 550 5.1.1 <x@y>: z",
           "Xyz 27 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[192.0.2.1]: 550 5.1.1 <x@y>: z",
           "2026-13-27T10:00:01Z mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[192.0.2.1]: 550 5.1.1 "
           "<x@y>",
       }) {
    auto e = parse_postfix_log_line(line, 2026);
    ASSERT_FALSE(e) << line;
    EXPECT_EQ(e.error().code, Errc::kParse);
  }
}

}  // namespace
}  // namespace rampart::reputation

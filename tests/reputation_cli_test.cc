// File: tests/reputation_cli_test.cc
// `rampart reputation replay` and `rampart reputation arf` end to end.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "reputation/test_util.h"
#include "support/cli.h"

namespace rampart {
namespace {

class CliReputation : public testing::CliTest {};

std::string message_line(int64_t t, const char* ip, const char* domain, int rcpts, bool one_click) {
  return std::string("{\"time\": ") + std::to_string(t) + ", \"type\": \"message\", \"ip\": \"" + ip +
         "\", \"helo\": \"mx." + domain + "\", \"mail_from\": \"b@mail." + domain + "\", \"from\": \"n@" +
         domain + "\", \"dkim_domains\": [\"" + domain +
         "\"], \"spf\": \"pass\", \"dkim\": \"pass\", \"dmarc\": \"pass\", " +
         "\"list_unsubscribe_one_click\": " + (one_click ? "true" : "false") +
         ", \"fcrdns\": true, \"recipients\": " + std::to_string(rcpts) + "}\n";
}

TEST_F(CliReputation, ReplayClassesAndBadLines) {
  std::string ev;
  int64_t t = 1700000000;
  // Six days (a good class needs five days of consistent mail).
  for (int i = 0; i < 288; ++i, t += 1800) {
    ev += message_line(t, "198.51.100.20", "news.example.co.uk", 200, true);
    ev += message_line(t, "192.0.2.7", "shop.example.com", 4, false);
  }
  ev += "{\"time\": 1700200000, \"type\": \"bogus\"}\nnot json\n\n";
  // A fresh sender hitting traps.
  for (int i = 0; i < 3; ++i) {
    ev += message_line(t + i, "203.0.113.9", "spam.example.net", 20, false);
    std::string trap = message_line(t + i, "203.0.113.9", "spam.example.net", 1, false);
    trap.replace(trap.find("\"message\""), 9, "\"trap\"");
    ev += trap;
  }
  const std::string file = write("events.jsonl", ev);
  auto r = run("reputation replay --events " + file + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("line 577"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 578"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("{\"identity\": \"domain:example.co.uk\", \"class\": \"bulk\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"identity\": \"domain:example.com\", \"class\": \"transactional\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"identity\": \"domain:example.net\", \"class\": \"spammer\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"identity\": \"ip:203.0.113.9\", \"class\": \"spammer\""), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("net:"), std::string::npos);
  EXPECT_EQ(r.out.find("helo"), std::string::npos);

  // Thresholds from the config: a lower bulk threshold makes the shop bulk.
  const std::string cfg = write("r.toml", "[reputation]\nbulk_daily_volume = 50\n");
  auto r2 = run("reputation replay --events " + file + " --config " + cfg + " --json");
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_NE(r2.out.find("{\"identity\": \"domain:example.com\", \"class\": \"bulk\""), std::string::npos)
      << r2.out;

  EXPECT_EQ(run("reputation replay").status, 2);
  EXPECT_EQ(run("reputation replay --events /nonexistent").status, 2);
  EXPECT_EQ(run("reputation frobnicate").status, 2);
}

TEST_F(CliReputation, ArfReports) {
  auto ok = run("reputation arf --trusted-authserv-id mx1.isp.example --time 1700000000",
                "tests/data/arf/no-source-ip-headers-only.eml");
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"type\": \"complaint\""), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("\"ip\": \"198.51.100.20\""), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("\"dkim_domains\": [\"news.example\"]"), std::string::npos) << ok.out;
  EXPECT_NE(ok.err.find("warning: no Source-IP"), std::string::npos) << ok.err;
  auto bad = run("reputation arf", "tests/data/arf/bad-no-original.eml");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("rejected: no original message"), std::string::npos) << bad.err;
}

// Reports from an mbox (">From " unescaped), DKIM of the originals checked
// again over --zone; a bad report is reported and the rest go on.
TEST_F(CliReputation, ArfMboxWithDkimReverification) {
  auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(key);
  const std::string zone =
      write("zone", "s1._domainkey.news.example. 300 IN TXT \"" + dkim::testing::key_record(*key) + "\"\n");
  const std::string original =
      "From: News <letters@news.example>\r\nTo: u@isp.example\r\nSubject: offers\r\n"
      "Date: Mon, 02 Oct 2023 09:12:00 +0000\r\nMessage-ID: <m1@news.example>\r\n\r\n"
      "Hello.\r\nFrom here on, offers.\r\n";
  dkim::SignOptions o;
  o.domain = "news.example";
  o.selector = "s1";
  auto sig = dkim::sign(original, *key, o);
  ASSERT_TRUE(sig) << sig.error().message;
  std::string signed_lf = *sig + original;
  for (size_t p; (p = signed_lf.find("\r\n")) != std::string::npos;) signed_lf.replace(p, 2, "\n");
  std::string escaped = signed_lf;  // mboxrd: a body line "From ..." is stored as ">From ..."
  escaped.replace(escaped.find("\nFrom here"), 6, "\n>From ");
  std::string altered = escaped;
  altered.replace(altered.find("Hello."), 6, "Buy!!!");
  const std::string box = "From fbl@isp.example Mon Oct  2 10:00:00 2023\n" +
                          reputation::testing::arf_report(escaped, "198.51.100.20", "\n") +
                          "\nFrom fbl@isp.example Mon Oct  2 10:01:00 2023\nSubject: not a report\n\nhi\n" +
                          "\nFrom fbl@isp.example Mon Oct  2 10:02:00 2023\n" +
                          reputation::testing::arf_report(altered, "198.51.100.21", "\n");
  const std::string file = write("fbl.mbox", box);
  auto r = run("reputation arf --time 1700000000 --verify-dkim --zone " + zone + " --mbox " + file);
  EXPECT_EQ(r.status, 1) << r.err;  // one refused
  const size_t first = r.out.find('\n');
  ASSERT_NE(first, std::string::npos) << r.out;
  const std::string l1 = r.out.substr(0, first);
  EXPECT_NE(l1.find("\"ip\": \"198.51.100.20\""), std::string::npos) << r.out;
  EXPECT_NE(l1.find("\"dkim\": \"pass\""), std::string::npos) << r.out;
  EXPECT_NE(l1.find("\"dkim_domains\": [\"news.example\"]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"report\": \"" + file + ":2\", \"rejected\": "), std::string::npos) << r.out;
  const size_t third = r.out.find("198.51.100.21");
  ASSERT_NE(third, std::string::npos) << r.out;
  const std::string l3 = r.out.substr(r.out.rfind('\n', third) + 1);
  EXPECT_NE(l3.find("\"dkim\": \"fail\""), std::string::npos) << r.out;  // failed DKIM blames no domain
  EXPECT_NE(l3.find("\"dkim_domains\": []"), std::string::npos) << r.out;
  // Without --verify-dkim nothing is verified (no trusted Authentication-Results).
  auto plain = run("reputation arf --time 1700000000 --mbox " + file);
  EXPECT_EQ(plain.out.find("\"dkim\": \"pass\""), std::string::npos) << plain.out;
  EXPECT_EQ(run("reputation arf --mbox /nonexistent").status, 2);
  EXPECT_EQ(run("reputation arf --mbox a --maildir b").status, 2);
}

// Postfix log lines -> bounce events, ready for POST /v1/events / replay.
TEST_F(CliReputation, MaillogBounces) {
  const std::string log = write(
      "mail.log",
      "Nov 27 10:00:00 mx postfix/smtpd[1]: connect from unknown[203.0.113.5]\n"
      "Nov 27 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.5]: 550 5.1.1 "
      "<a@example.net>: Recipient address rejected: User unknown in local recipient table; from=<s@x.test> "
      "to=<a@example.net> proto=ESMTP helo=<x.test>\n"
      "Nov 27 10:00:02 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from broken: 550 5.1.1 <b@example.net>: "
      "User unknown in local recipient table\n");
  auto r = run("reputation maillog " + log + " --year 2026");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\"time\": 1795773601, \"type\": \"bounce\", \"ip\": \"203.0.113.5\", ", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("\"helo\": \"x.test\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"mail_from\": \"s@x.test\""), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.err.find("line 3: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 bounce event(s) from 3 line(s), 1 unreadable"), std::string::npos) << r.err;
  // The events replay.
  const std::string ev = write("bounces.jsonl", r.out);
  auto rp = run("reputation replay --events " + ev + " --all --json");
  ASSERT_EQ(rp.status, 0) << rp.err;
  EXPECT_NE(rp.out.find("\"identity\": \"ip:203.0.113.5\""), std::string::npos) << rp.out;
  EXPECT_EQ(rp.out.find("x.test"), std::string::npos) << rp.out;  // claims charge no domain
  EXPECT_EQ(run("reputation maillog /nonexistent").status, 2);
  EXPECT_EQ(run("reputation maillog " + log + " --year 19").status, 2);
}

}  // namespace
}  // namespace rampart

// File: src/exchange/audit_test.cc
// AuditLog::activity(): what each member published and read, per class, as
// recorded since the log was opened.
#include <unistd.h>

#include <gtest/gtest.h>

#include "exchange/exchange.h"

namespace rampart::exchange {
namespace {

TEST(ExchangeAuditActivity, SumsPerMemberAndClass) {
  char dir[] = "/tmp/exchange_activity_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/audit.log";
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->record(100, "publish", "A", "bot_ip", 3, 1));
  ASSERT_TRUE(log->record(110, "publish", "A", "bot_ip", 2, 2));
  ASSERT_TRUE(log->record(120, "write", "B", "spam_source", 4, 7));
  ASSERT_TRUE(log->record(130, "read", "B", "bot_ip", 5));
  ASSERT_TRUE(log->record(140, "read", "B", "bot_ip", 1));
  ASSERT_TRUE(log->record(150, "refuse", "C", "", 0, 0, "revoked"));
  ASSERT_TRUE(log->record(160, "deny", "", "", 0, 0, "unknown certificate"));  // no name: not counted
  AuditLog moved = std::move(*log);                                            // the tally moves with the log
  ASSERT_TRUE(moved.record(170, "deny", "C", "", 0, 0, "revoked"));
  const auto a = moved.activity();
  ASSERT_EQ(a.size(), 3u);
  const AuditActivity& ab = a.at("A").by_class.at("bot_ip");
  EXPECT_EQ(ab.published_items, 5u);
  EXPECT_EQ(ab.published_batches, 2u);
  EXPECT_EQ(ab.last_published, 110);
  EXPECT_EQ(ab.read_items, 0u);
  const MemberActivity& b = a.at("B");
  EXPECT_EQ(b.by_class.at("spam_source").published_items, 4u);
  EXPECT_EQ(b.by_class.at("spam_source").last_published, 120);
  EXPECT_EQ(b.by_class.at("bot_ip").read_items, 6u);
  EXPECT_EQ(b.by_class.at("bot_ip").reads, 2u);
  EXPECT_EQ(b.by_class.at("bot_ip").last_read, 140);
  EXPECT_EQ(b.refused, 0u);
  EXPECT_EQ(a.at("C").refused, 2u);
  EXPECT_EQ(a.at("C").last_refused, 170);
  EXPECT_TRUE(a.at("C").by_class.empty());
  // A log opened again starts its tally empty; tally_existing() reads the
  // file back to the same counts (the unnamed deny line aside, as before).
  auto again = AuditLog::open(path);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->activity().empty());
  ASSERT_TRUE(again->tally_existing());
  const auto b2 = again->activity();
  ASSERT_EQ(b2.size(), 3u);
  EXPECT_EQ(b2.at("A").by_class.at("bot_ip").published_items, 5u);
  EXPECT_EQ(b2.at("A").by_class.at("bot_ip").published_batches, 2u);
  EXPECT_EQ(b2.at("B").by_class.at("bot_ip").read_items, 6u);
  EXPECT_EQ(b2.at("B").by_class.at("bot_ip").last_read, 140);
  EXPECT_EQ(b2.at("C").refused, 2u);
  EXPECT_EQ(again->first_time(), 100);
  // Only the tail: with 60 bytes (the last line is 51), the partial line is skipped and the last counted.
  auto tail = AuditLog::open(path);
  ASSERT_TRUE(tail);
  ASSERT_TRUE(tail->tally_existing(60));
  const auto t = tail->activity();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.at("C").refused, 1u);
  EXPECT_EQ(tail->first_time(), 170);
  unlink(path.c_str());
  rmdir(dir);
}

TEST(ExchangeAuditActivity, ParsesOnlyAuditLines) {
  AuditLog::Line l;
  ASSERT_TRUE(AuditLog::parse_line("1765000000 write member=A class=bot_ip items=3 seq=1", l));
  EXPECT_EQ(l.time, 1765000000);
  EXPECT_EQ(l.op, "write");
  EXPECT_EQ(l.member, "A");
  EXPECT_EQ(l.cls, "bot_ip");
  EXPECT_EQ(l.items, 3u);
  ASSERT_TRUE(
      AuditLog::parse_line("5 deny member=- class=- items=0 detail=\"unknown certificate from x\"", l));
  EXPECT_EQ(l.member, "");
  EXPECT_EQ(l.cls, "");
  for (const char* bad :
       {"", "x write member=A class=b items=1", "-5 write member=A class=b items=1",
        "5 write member=A class=b", "5 write member=A items=1 class=b", "5 write member=A class=b items=-1",
        "5 write member=A class=b items=99999999999999999999", "5 Write member=A class=b items=1",
        "5 write member= class=b items=1", "5 write member=A class=b items=1x"})
    EXPECT_FALSE(AuditLog::parse_line(bad, l)) << bad;
}

}  // namespace
}  // namespace rampart::exchange

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
  // A log opened again starts its tally empty (the file is not read back).
  auto again = AuditLog::open(path);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->activity().empty());
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace rampart::exchange

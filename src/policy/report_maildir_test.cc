// File: src/policy/report_maildir_test.cc
// Feedback reports from a Maildir (report_maildir.h): accepted reports move
// to cur/, refused ones to rejected/ with the reason, a store error leaves
// the report in new/ for the next poll, oversized files are refused unread.
#include "policy/report_maildir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/feedback.h"
#include "reputation/store.h"
#include "reputation/test_util.h"

namespace rampart::policy {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

size_t count(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

using reputation::testing::FlakyStore;

struct MaildirFixture : ::testing::Test {
  FakeClock clock{1700000000};
  std::string dir;
  void SetUp() override {
    dir = ::testing::TempDir() + "/report_maildir_test." + std::to_string(::getpid());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(MaildirFixture, OpenCreatesTheLayout) {
  auto md = ReportMaildir::open(dir + "/fbl/");
  ASSERT_TRUE(md) << md.error().message;
  EXPECT_EQ(md->dir(), dir + "/fbl");
  for (const char* sub : {"new", "cur", "tmp", "rejected"})
    EXPECT_TRUE(fs::is_directory(dir + "/fbl/" + sub));
  put(dir + "/file", "x");
  auto bad = ReportMaildir::open(dir + "/file");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kIo);
}

TEST_F(MaildirFixture, ReportsAreSortedIntoCurAndRejected) {
  auto md = ReportMaildir::open(dir, 4096);
  ASSERT_TRUE(md);
  put(dir + "/new/1700000001.a.host", slurp("tests/data/arf/rfc5965-b2.eml"));
  put(dir + "/new/1700000002.b.host", slurp("tests/data/arf/bad-no-feedback-type.eml"));
  put(dir + "/new/1700000003.c.host", std::string(5000, 'x'));  // over max_bytes
  put(dir + "/new/1700000004.d.host:2,", slurp("tests/data/arf/jmrp.eml"));
  put(dir + "/new/.hidden", "ignored");
  FeedbackConfig fc;
  fc.reporters = {
      {"abuse desk", "example.com", false}, {"isp", "isp.example", false}, {"msn", "hotmail.com", false}};
  auto fb = std::make_shared<Feedback>(fc, clock, "mx.example.net");
  fb->set_store(std::make_unique<reputation::MemoryStore>());
  ReportIngest ingest(fb, std::move(*md), clock, 1000);
  ingest.tick();
  EXPECT_FALSE(ingest.busy());
  EXPECT_EQ(ingest.stats().accepted, 2u);
  EXPECT_EQ(ingest.stats().rejected, 2u);
  EXPECT_EQ(count(dir + "/new"), 1u);  // .hidden
  EXPECT_TRUE(fs::exists(dir + "/cur/1700000001.a.host:2,S"));
  EXPECT_TRUE(fs::exists(dir + "/cur/1700000004.d.host:2,"));
  EXPECT_TRUE(fs::exists(dir + "/rejected/1700000002.b.host"));
  EXPECT_NE(slurp(dir + "/rejected/1700000002.b.host.reason").find("Feedback-Type"), std::string::npos);
  EXPECT_NE(slurp(dir + "/rejected/1700000003.c.host.reason").find("larger than the limit"),
            std::string::npos);
  auto c = fb->engine()->store().get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(reputation::Metric::kComplaints, reputation::Window::kDay, clock.unix_seconds()), 1);
}

TEST_F(MaildirFixture, StoreErrorsLeaveTheReportForTheNextPoll) {
  auto md = ReportMaildir::open(dir);
  ASSERT_TRUE(md);
  put(dir + "/new/1.a", slurp("tests/data/arf/rfc5965-b2.eml"));
  put(dir + "/new/2.b", slurp("tests/data/arf/rfc5965-b2.eml"));
  FeedbackConfig fc;
  fc.reporters = {{"abuse desk", "example.com", false}};
  auto fb = std::make_shared<Feedback>(fc, clock, "mx.example.net");
  auto store = std::make_unique<FlakyStore>();
  FlakyStore* flaky = store.get();
  flaky->failing = Errc::kTemporary;
  fb->set_store(std::move(store));
  ReportIngest ingest(fb, std::move(*md), clock, 1000);
  ingest.tick();
  EXPECT_EQ(ingest.stats().retried, 1u);  // stopped at the first
  EXPECT_EQ(ingest.stats().accepted, 0u);
  EXPECT_EQ(count(dir + "/new"), 2u);
  flaky->failing = Errc::kOk;
  ingest.tick();  // within poll_ms: nothing
  EXPECT_EQ(count(dir + "/new"), 2u);
  clock.advance(std::chrono::milliseconds(1000));
  ingest.tick();
  EXPECT_EQ(ingest.stats().accepted, 2u);
  EXPECT_EQ(count(dir + "/new"), 0u);
  EXPECT_EQ(count(dir + "/cur"), 2u);
  auto c = flaky->mem.get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_NEAR((*c)->value(reputation::Metric::kComplaints, reputation::Window::kDay, clock.unix_seconds()), 2,
              1e-3);
}

// A report that cannot be moved out of new/ after its post (here cur/ is
// not a directory: ENOTDIR, as EXDEV or a read-only cur/ would fail) is
// counted once, logged once and never posted again while it stays; it does
// not hold up the reports behind it, even with a batch of one.
TEST_F(MaildirFixture, UnmovableReportIsPostedOnceThenSkipped) {
  auto md = ReportMaildir::open(dir);
  ASSERT_TRUE(md);
  put(dir + "/new/1.a", slurp("tests/data/arf/rfc5965-b2.eml"));            // accepted, then cur/ fails
  put(dir + "/new/2.b", slurp("tests/data/arf/bad-no-feedback-type.eml"));  // refused: rejected/ works
  fs::remove_all(dir + "/cur");
  put(dir + "/cur", "not a directory");
  FeedbackConfig fc;
  fc.reporters = {{"abuse desk", "example.com", false}};
  auto fb = std::make_shared<Feedback>(fc, clock, "mx.example.net");
  fb->set_store(std::make_unique<reputation::MemoryStore>());
  ReportIngest ingest(fb, std::move(*md), clock, 1000, /*batch=*/1);
  auto complaints = [&] {
    auto c = fb->engine()->store().get("ip:192.0.2.1");
    return c && *c
               ? (*c)->value(reputation::Metric::kComplaints, reputation::Window::kDay, clock.unix_seconds())
               : 0.0;
  };
  for (int poll = 0; poll < 5; ++poll) {
    ingest.tick();
    clock.advance(std::chrono::milliseconds(1000));
  }
  EXPECT_EQ(ingest.stats().accepted, 1u);  // posted once, not once per poll
  EXPECT_EQ(ingest.stats().stuck, 1u);
  EXPECT_EQ(ingest.stats().io_errors, 1u);
  EXPECT_EQ(ingest.stats().rejected, 1u);  // the second file got its turn
  EXPECT_NEAR(complaints(), 1, 1e-3);
  EXPECT_TRUE(fs::exists(dir + "/new/1.a"));
  EXPECT_TRUE(fs::exists(dir + "/rejected/2.b"));
  EXPECT_EQ(ingest.stuck(), std::set<std::string>{"1.a"});
  // The operator takes it away: forgotten; a new file of that name is read.
  fs::remove(dir + "/new/1.a");
  ingest.tick();
  clock.advance(std::chrono::milliseconds(1000));
  EXPECT_TRUE(ingest.stuck().empty());
  fs::remove(dir + "/cur");
  fs::create_directories(dir + "/cur");
  put(dir + "/new/1.a", slurp("tests/data/arf/rfc5965-b2.eml"));
  ingest.tick();
  EXPECT_EQ(ingest.stats().accepted, 2u);
  EXPECT_TRUE(fs::exists(dir + "/cur/1.a:2,S"));
  EXPECT_NEAR(complaints(), 2, 1e-3);
}

// Reports by mail only from listed reporters: an unlisted From is refused
// (kept in rejected/ with the reason); a "mailbox" reporter is taken as
// said.
TEST_F(MaildirFixture, OnlyListedReporters) {
  auto md = ReportMaildir::open(dir);
  ASSERT_TRUE(md);
  put(dir + "/new/1.a", slurp("tests/data/arf/rfc5965-b2.eml"));  // From: abusedesk@example.com
  put(dir + "/new/2.b", slurp("tests/data/arf/jmrp.eml"));        // From: staff@hotmail.com
  FeedbackConfig fc;
  fc.reporters = {{"msn", "hotmail.com", false}};
  auto fb = std::make_shared<Feedback>(fc, clock, "mx.example.net");
  fb->set_store(std::make_unique<reputation::MemoryStore>());
  ReportIngest ingest(fb, std::move(*md), clock, 1000);
  ingest.tick();
  EXPECT_EQ(ingest.stats().accepted, 1u);
  EXPECT_EQ(ingest.stats().rejected, 1u);
  EXPECT_TRUE(fs::exists(dir + "/cur/2.b:2,S"));
  EXPECT_NE(slurp(dir + "/rejected/1.a.reason").find("not from a listed reporter"), std::string::npos);
  EXPECT_NE(slurp(dir + "/rejected/1.a.reason").find("example.com"), std::string::npos);
  auto c = fb->engine()->store().get("ip:192.0.2.1");
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);  // the refused report blamed nobody
}

}  // namespace
}  // namespace rampart::policy

// File: tests/reputation_cli_test.cc
// `rampart reputation replay` and `rampart reputation arf` end to end.
#include <string>

#include <gtest/gtest.h>

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
  for (int i = 0; i < 96; ++i, t += 1800) {
    ev += message_line(t, "198.51.100.20", "news.example.co.uk", 200, true);
    ev += message_line(t, "192.0.2.7", "shop.example.com", 2, false);
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
  EXPECT_NE(r.err.find("line 193"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 194"), std::string::npos) << r.err;
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

}  // namespace
}  // namespace rampart

// File: tests/flows_reputation_test.cc
// `rampart flows detect --events FILE` writes reputation "bot" events that
// `rampart reputation replay --events FILE` reads: the CTU-13 bot becomes a
// spammer with BOT_DETECTED on its ip: and net: identities.
#include <string>

#include <gtest/gtest.h>

#include "support/cli.h"

namespace rampart {
namespace {

class CliFlowsReputation : public testing::CliTest {};

const char* const kCtu13 =
    "flows detect --input tests/data/flows/ctu13-1-capture20110810.binetflow --format binetflow "
    "--subscribers 147.32.0.0/16 --json";

TEST_F(CliFlowsReputation, DetectedBotBecomesSpammer) {
  const std::string events = path("events.jsonl");
  auto d = run(std::string(kCtu13) + " --events " + events);
  ASSERT_EQ(d.status, 0) << d.err;
  ASSERT_NE(d.out.find("{\"host\":\"147.32.84.165\""), std::string::npos) << d.out;
  const std::string ev = testing::read_text(events);
  // One line per incident, in the reputation library's format, at last_seen.
  const size_t lls = d.out.find("\"last_seen\":");
  ASSERT_NE(lls, std::string::npos);
  const std::string last_seen = d.out.substr(lls + 12, d.out.find(',', lls) - lls - 12);
  EXPECT_NE(ev.find("{\"time\": " + last_seen + ", \"type\": \"bot\", \"ip\": \"147.32.84.165\"}\n"),
            std::string::npos)
      << ev;
  size_t incidents = 0, lines = 0;
  for (char c : d.out) incidents += c == '\n';
  for (char c : ev) lines += c == '\n';
  EXPECT_EQ(lines, incidents) << ev;

  auto r = run("reputation replay --events " + events + " --json --all");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* id : {"ip:147.32.84.165", "net:147.32.84.0/24"}) {
    const size_t at = r.out.find(std::string("{\"identity\": \"") + id + "\", \"class\": \"spammer\"");
    ASSERT_NE(at, std::string::npos) << id << "\n" << r.out;
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(line.find("\"BOT_DETECTED: flow detector saw it behave like a spam bot"), std::string::npos)
        << line;
  }
  // Only the address and its network: a flow says nothing about domains.
  EXPECT_EQ(r.out.find("domain:"), std::string::npos) << r.out;

  // --events appends: a second run adds the same lines again.
  auto d2 = run(std::string(kCtu13) + " --events " + events);
  ASSERT_EQ(d2.status, 0) << d2.err;
  EXPECT_EQ(testing::read_text(events), ev + ev);
}

TEST_F(CliFlowsReputation, UnwritableEventsFileIsAUsageError) {
  auto d = run(std::string(kCtu13) + " --events " + path("no/such/dir/events.jsonl"));
  EXPECT_EQ(d.status, 2) << d.out;
  EXPECT_NE(d.err.find("--events"), std::string::npos) << d.err;
  EXPECT_TRUE(d.out.empty()) << d.out;
}

}  // namespace
}  // namespace rampart

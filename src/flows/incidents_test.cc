// File: src/flows/incidents_test.cc
// IncidentStore: new vs updated records, release/extend/expire, the bound,
// the file across a reopen, and the parsers' refusals.
#include "flows/incidents.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rampart::flows {
namespace {

Incident bot(const char* host, uint64_t id, double score) {
  Incident i;
  i.id = id;
  i.host = *IpAddress::parse(host);
  i.first_seen_ms = 1700000000000;
  i.last_seen_ms = 1700000300000;
  i.score = score;
  i.action = Action::kBlock;
  i.evidence.smtp_flows = 150;
  i.evidence.distinct_dst25 = 148;
  i.evidence.failed_ratio = 1.0;
  i.evidence.new_dst25_long = 148;
  i.evidence.score = score;
  i.evidence.terms["fanout"] = 2.5;
  i.evidence.terms["failed"] = 1.25;
  return i;
}

ActiveAction act(const Incident& i, int64_t expires_s) {
  ActiveAction a;
  a.host = i.host;
  a.action = i.action;
  a.expires_ms = expires_s * 1000;
  a.incident_id = i.id;
  return a;
}

std::string tmpdir() {
  auto d = std::filesystem::temp_directory_path() / ("incidents-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d.string();
}

TEST(Incidents, SummaryNamesTheEvidenceInWordsAndNumbers) {
  const Incident i = bot("100.64.0.7", 1, 1.93);
  const std::string s = incident_summary(i);
  EXPECT_NE(s.find("port 25: 150 flows to 148 destinations"), std::string::npos) << s;
  EXPECT_NE(s.find("100% failed"), std::string::npos) << s;
  EXPECT_NE(s.find("score 1.93"), std::string::npos) << s;
  EXPECT_NE(s.find("fanout=2.5"), std::string::npos) << s;
  auto f = incident_figures(i);
  auto has = [&](const std::string& k, double v) {
    for (const auto& [name, x] : f)
      if (name == k) return x == v;
    return false;
  };
  EXPECT_TRUE(has("distinct_dst25", 148));
  EXPECT_TRUE(has("term_fanout", 2.5));
  EXPECT_FALSE(has("submissions", 0));  // zeros are left out
}

TEST(Incidents, UpdateReleaseExtendExpireAndReopen) {
  auto s = IncidentStore::open("");
  ASSERT_TRUE(s);
  auto& st = **s;
  Incident a = bot("100.64.0.7", 1, 1.2);
  auto r = st.observe(a, act(a, 1000), 100);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->second);
  EXPECT_EQ(r->first.id, 1u);
  EXPECT_EQ(r->first.state, IncidentState::kOpen);
  EXPECT_EQ(r->first.action, "block");
  EXPECT_EQ(r->first.expires, 1000);
  // The same host again: the record is updated, not a new one.
  a.score = 1.9;
  r = st.observe(a, act(a, 2000), 110);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->second);
  EXPECT_EQ(r->first.score, 1.9);
  EXPECT_EQ(r->first.expires, 2000);
  EXPECT_EQ(st.size(), 1u);
  // Extend: never shortens; state extended; who and why kept.
  auto e = st.extend(1, 10, "desk", "still at it", 120);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, IncidentState::kExtended);
  EXPECT_EQ(e->expires, 2000);
  e = st.extend(1, 5000, "desk", "still at it", 120);
  EXPECT_EQ(e->expires, 5120);
  EXPECT_EQ(e->who, "desk");
  // Release; a second release is refused; an unknown id is kNotFound.
  auto rel = st.release(1, "ops", "cleaned", 130);
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->state, IncidentState::kReleased);
  EXPECT_EQ(rel->reason, "cleaned");
  EXPECT_EQ(st.release(1, "ops", "again", 131).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(st.release(9, "ops", "x", 131).error().code, Errc::kNotFound);
  EXPECT_EQ(st.extend(1, 100, "ops", "x", 131).error().code, Errc::kInvalidArgument);
  // The host again after the release: a new record.
  r = st.observe(bot("100.64.0.7", 2, 1.5), act(a, 3000), 140);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->second);
  EXPECT_EQ(r->first.id, 2u);
  // Time runs out.
  EXPECT_TRUE(st.expire(2999).empty());
  auto gone = st.expire(3000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].id, 2u);
  EXPECT_EQ(st.find(2)->state, IncidentState::kExpired);
  auto counts = st.count_by_state();
  EXPECT_EQ(counts["released"], 1u);
  EXPECT_EQ(counts["expired"], 1u);
  EXPECT_EQ(st.active_by_action()["block"], 0u);
}

TEST(Incidents, BoundedOldestInactiveGoesFirstAllActiveRefused) {
  auto s = IncidentStore::open("", {.max_incidents = 2});
  ASSERT_TRUE(s);
  auto& st = **s;
  Incident a = bot("100.64.0.1", 1, 1.2), b = bot("100.64.0.2", 2, 1.2), c = bot("100.64.0.3", 3, 1.2);
  ASSERT_TRUE(st.observe(a, act(a, 1000), 1));
  ASSERT_TRUE(st.observe(b, act(b, 1000), 2));
  auto full = st.observe(c, act(c, 1000), 3);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::kLimit);
  EXPECT_EQ(st.dropped(), 1u);
  ASSERT_TRUE(st.release(1, "ops", "fine", 4));
  auto ok = st.observe(c, act(c, 1000), 5);
  ASSERT_TRUE(ok);
  EXPECT_EQ(st.size(), 2u);
  EXPECT_FALSE(st.find(1));  // the released one made room
}

TEST(Incidents, PersistedAcrossReopen) {
  const std::string dir = tmpdir();
  const std::string path = dir + "/flows/incidents.jsonl";
  {
    auto s = IncidentStore::open(path);
    ASSERT_TRUE(s) << s.error().message;
    Incident a = bot("100.64.0.7", 1, 1.9), b = bot("2001:db8::7", 2, 1.3);
    ASSERT_TRUE((*s)->observe(a, act(a, 5000), 100));
    ASSERT_TRUE((*s)->observe(b, act(b, 5000), 101));
    ASSERT_TRUE((*s)->release(2, "desk", "a \"quoted\" reason", 102));
    ASSERT_TRUE((*s)->save());
    EXPECT_FALSE((*s)->dirty());
  }
  auto s = IncidentStore::open(path);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ((*s)->size(), 2u);
  auto one = (*s)->find(1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->host, "100.64.0.7");
  EXPECT_EQ(one->state, IncidentState::kOpen);
  EXPECT_EQ(one->score, 1.9);
  EXPECT_NE(one->summary.find("148 destinations"), std::string::npos);
  auto two = (*s)->find(2);
  EXPECT_EQ(two->state, IncidentState::kReleased);
  EXPECT_EQ(two->reason, "a \"quoted\" reason");
  EXPECT_EQ(two->host, "2001:db8::7");
  // New ids continue after the saved ones; the open one is still the host's.
  Incident a = bot("100.64.0.7", 5, 2.0);
  auto r = (*s)->observe(a, act(a, 6000), 200);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->second);
  Incident c = bot("100.64.0.9", 6, 2.0);
  EXPECT_EQ((*s)->observe(c, act(c, 6000), 200)->first.id, 3u);
  // A corrupt line in the middle names the file and line.
  {
    std::ofstream f(path, std::ios::trunc);
    f << incident_to_json(*one) << "\n{\"id\": 2, \"host\": 7}\n" << incident_to_json(*two) << "\n";
  }
  auto bad = IncidentStore::open(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kParse);
  EXPECT_NE(bad.error().message.find("incidents.jsonl:2"), std::string::npos) << bad.error().message;
  std::filesystem::remove_all(dir);
}

TEST(Incidents, ParsersRefuseBadInput) {
  EXPECT_FALSE(parse_incident_json(""));
  EXPECT_FALSE(parse_incident_json("[]"));
  EXPECT_FALSE(parse_incident_json("{\"id\": -1}"));
  EXPECT_FALSE(parse_incident_json(std::string(kMaxIncidentJson + 1, ' ')));
  IncidentRecord r;
  r.id = 4;
  r.host = "192.0.2.1";
  r.kind = "dynamic";
  r.action = "throttle";
  r.summary = "x";
  r.evidence = {{"score", 1.5}};
  auto back = parse_incident_json(incident_to_json(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->action, "throttle");
  EXPECT_EQ(back->evidence.size(), 1u);
  std::string bad_action = incident_to_json(r);
  bad_action.replace(bad_action.find("throttle"), 8, "explode!");
  EXPECT_FALSE(parse_incident_json(bad_action));

  auto c = parse_incident_change(R"({"reason": "cleaned"})", false, 86400);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, "cleaned");
  EXPECT_EQ(parse_incident_change(R"({"reason": "x", "seconds": 600})", true, 86400)->seconds, 600);
  EXPECT_FALSE(parse_incident_change(R"({"reason": "x", "seconds": 600})", false, 86400));  // not for release
  EXPECT_FALSE(parse_incident_change(R"({"reason": "x", "seconds": 10})", true, 86400));
  EXPECT_FALSE(parse_incident_change(R"({"reason": "x", "seconds": 90000})", true, 86400));
  EXPECT_FALSE(parse_incident_change(R"({"reason": "x", "seconds": "600"})", true, 86400));
  EXPECT_FALSE(parse_incident_change(R"({"reason": "  "})", false, 86400));
  EXPECT_FALSE(parse_incident_change(R"({"reason": "a\nb"})", false, 86400));
  EXPECT_FALSE(parse_incident_change("{\"reason\": \"" + std::string(201, 'x') + "\"}", false, 86400));
  EXPECT_FALSE(parse_incident_change(R"({"why": "x"})", false, 86400));
  EXPECT_FALSE(parse_incident_change("reason=x", false, 86400));
}

}  // namespace
}  // namespace rampart::flows

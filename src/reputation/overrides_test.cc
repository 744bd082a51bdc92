#include "reputation/overrides.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rampart::reputation {
namespace {

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rampart-overrides-XXXXXX").string();
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Overrides, Identities) {
  EXPECT_EQ(*canonical_identity("ip:192.0.2.1"), "ip:192.0.2.1");
  EXPECT_EQ(*canonical_identity("ip:::ffff:192.0.2.1"), "ip:192.0.2.1");
  EXPECT_EQ(*canonical_identity("ip:2001:DB8:0::1"), "ip:2001:db8::1");
  EXPECT_EQ(*canonical_identity("net:192.0.2.0/24"), "net:192.0.2.0/24");
  EXPECT_EQ(*canonical_identity("domain:Example.COM."), "domain:example.com");
  EXPECT_FALSE(canonical_identity("net:192.0.2.1/24"));  // host bits
  EXPECT_FALSE(canonical_identity("net:192.0.2.1"));     // not a CIDR
  EXPECT_FALSE(canonical_identity("ip:300.1.1.1"));
  EXPECT_FALSE(canonical_identity("domain:bad..name"));
  EXPECT_FALSE(canonical_identity("domain:sp ace.example"));
  EXPECT_FALSE(canonical_identity("dkim:example.com"));
  EXPECT_FALSE(canonical_identity("192.0.2.1"));
}

TEST(Overrides, RequestJson) {
  auto r = parse_override_request(
      R"( {"identity": "ip:192.0.2.1", "action": "delist", "reason": "ticket \"42\" \u00e9\ud83d\ude00"} )");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->identity, "ip:192.0.2.1");
  EXPECT_EQ(r->action, OverrideAction::kDelist);
  EXPECT_EQ(r->reason, "ticket \"42\" \xc3\xa9\xf0\x9f\x98\x80");
  for (const char* bad : {
           "",
           "[]",
           "{",
           R"({"identity": "ip:192.0.2.1", "action": "delist"})",                              // no reason
           R"({"identity": "ip:192.0.2.1", "action": "nuke", "reason": "x"})",                 // action
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": ""})",                 // empty reason
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": "a\nb"})",             // control
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": "x", "extra": "y"})",  // unknown
           R"({"identity": "ip:192.0.2.1", "identity": "ip:192.0.2.2", "action": "block", "reason": "x"})",
           R"({"identity": 1, "action": "block", "reason": "x"})",
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": "x"} trailing)",
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": "\ud800"})",  // lone surrogate
           R"({"identity": "ip:192.0.2.1", "action": "block", "reason": "x)",
       }) {
    EXPECT_FALSE(parse_override_request(bad)) << bad;
  }
  EXPECT_FALSE(parse_override_request(R"({"identity": "ip:192.0.2.1", "action": "block", "reason": ")" +
                                      std::string(201, 'x') + "\"}"));
  EXPECT_FALSE(parse_override_request(std::string(kMaxOverrideJson + 1, ' ')));
}

TEST(Overrides, ApplyPersistAuditAndReopen) {
  const std::string dir = temp_dir();
  std::vector<Override> heard;
  {
    auto s = OverrideStore::open(dir);
    ASSERT_TRUE(s) << s.error().message;
    (*s)->set_listener([&](const Override& o) { heard.push_back(o); });
    auto a = (*s)->apply(*parse_override_request(R"({"identity": "ip:192.0.2.1", "action": "delist",
                                                     "reason": "customer fixed it"})"),
                         "desk", 1700000000);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->who, "desk");
    ASSERT_TRUE(
        (*s)->apply({"domain:spam.example", OverrideAction::kBlock, "phishing kit"}, "ops", 1700000100));
    ASSERT_TRUE(
        (*s)->apply({"net:198.51.100.0/24", OverrideAction::kAllow, "our relays"}, "ops", 1700000200));
    ASSERT_TRUE(
        (*s)->apply({"net:198.51.100.0/24", OverrideAction::kClear, "not ours any more"}, "ops", 1700000300));
    EXPECT_EQ((*s)->size(), 2u);
    EXPECT_EQ((*s)->find("ip:192.0.2.1")->action, OverrideAction::kDelist);
    EXPECT_FALSE((*s)->find("net:198.51.100.0/24"));
    ASSERT_EQ(heard.size(), 4u);
    EXPECT_EQ(heard[3].action, OverrideAction::kClear);
  }
  // The audit log has every change, in order, append-only.
  const std::string audit = slurp(dir + "/audit.jsonl");
  EXPECT_EQ(std::count(audit.begin(), audit.end(), '\n'), 4);
  EXPECT_NE(
      audit.find(
          R"({"identity": "ip:192.0.2.1", "action": "delist", "reason": "customer fixed it", "who": "desk", "at": 1700000000})"),
      std::string::npos)
      << audit;
  // Reopened: the same set and audit.
  auto s = OverrideStore::open(dir);
  ASSERT_TRUE(s) << s.error().message;
  auto list = (*s)->list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].identity, "domain:spam.example");
  EXPECT_EQ(list[0].who, "ops");
  EXPECT_EQ(list[1].reason, "customer fixed it");
  auto last = (*s)->audit(2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[1].reason, "not ours any more");
  EXPECT_EQ((*s)->audit(100).size(), 4u);
  // A corrupt set file is an error naming the line, not a silent guess.
  std::ofstream(dir + "/overrides.jsonl", std::ios::app) << "{not json\n";
  auto broken = OverrideStore::open(dir);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("overrides.jsonl:3"), std::string::npos) << broken.error().message;
  std::filesystem::remove_all(dir);
}

TEST(Overrides, NothingChangesWhenTheAuditCannotBeWritten) {
  const std::string dir = temp_dir();
  auto s = OverrideStore::open(dir);
  ASSERT_TRUE(s);
  std::filesystem::remove_all(dir);  // the dir is gone: the audit line cannot be written
  auto r = (*s)->apply({"ip:192.0.2.9", OverrideAction::kBlock, "x"}, "desk", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_FALSE((*s)->find("ip:192.0.2.9"));
  EXPECT_TRUE((*s)->audit(10).empty());
}

TEST(Overrides, Bounded) {
  OverrideOptions o;
  o.max_overrides = 2;
  o.audit_memory = 3;
  auto s = OverrideStore::open("", o);
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->apply({"ip:192.0.2.1", OverrideAction::kBlock, "x"}, "a", 1));
  ASSERT_TRUE((*s)->apply({"ip:192.0.2.2", OverrideAction::kBlock, "x"}, "a", 2));
  auto r = (*s)->apply({"ip:192.0.2.3", OverrideAction::kBlock, "x"}, "a", 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kLimit);
  ASSERT_TRUE(
      (*s)->apply({"ip:192.0.2.2", OverrideAction::kDelist, "changed"}, "a", 4));  // replacing is fine
  ASSERT_TRUE((*s)->apply({"ip:192.0.2.1", OverrideAction::kClear, "x"}, "a", 5));
  EXPECT_EQ((*s)->audit(100).size(), 3u);
}

}  // namespace
}  // namespace rampart::reputation

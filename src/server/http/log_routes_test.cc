// File: src/server/http/log_routes_test.cc
// GET/PUT /v1/log-level through a Router with real tokens: the admin right
// changes the level, others are refused and change nothing, bad names are 400.
#include "server/http/log_routes.h"

#include <gtest/gtest.h>

#include <string>

#include "core/config.h"
#include "core/log.h"

namespace rampart::server {
namespace {

std::string tokens() {
  return "[[http.tokens]]\nname = \"ops\"\nsha256 = \"" + token_sha256_hex("tok-admin") +
         "\"\nrights = [\"admin\"]\n[[http.tokens]]\nname = \"desk\"\nsha256 = \"" +
         token_sha256_hex("tok-read") + "\"\nrights = [\"read\", \"override\"]\n";
}

HttpReply call(Router& r, const std::string& method, const std::string& token, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.target = "/v1/log-level";
  req.body = body;
  if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
  HttpReply out{0, ""};
  r.handle(req, [&](HttpReply rep) { out = std::move(rep); });
  return out;
}

TEST(LogLevelRoutes, AdminChangesOthersDoNot) {
  auto cfg = Config::parse(tokens());
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac) << ac.error().message;
  Router r(std::move(*ac));
  add_log_level_routes(r);
  log::set_level("info");

  auto g = call(r, "GET", "tok-read", "");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body, "{\"level\": \"info\"}");

  // The admin right: changed, with the previous level.
  auto p = call(r, "PUT", "tok-admin", "debug\n");
  EXPECT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.body, "{\"level\": \"debug\", \"previous\": \"info\"}");
  EXPECT_EQ(log::level_name(), "debug");

  // Read and override are not admin: 403, and the level stays.
  auto f = call(r, "PUT", "tok-read", "trace");
  EXPECT_EQ(f.status, 403);
  EXPECT_EQ(log::level_name(), "debug");
  // No token: 401.
  EXPECT_EQ(call(r, "PUT", "", "trace").status, 401);
  EXPECT_EQ(log::level_name(), "debug");

  // Unknown names and oversized bodies: 400, unchanged.
  auto bad = call(r, "PUT", "tok-admin", "loud");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("trace"), std::string::npos) << bad.body;  // names the levels
  EXPECT_EQ(call(r, "PUT", "tok-admin", std::string(100, 'a')).status, 400);
  EXPECT_EQ(call(r, "PUT", "tok-admin", "").status, 400);
  EXPECT_EQ(log::level_name(), "debug");

  // Back, and "off" is a level like the others.
  EXPECT_EQ(call(r, "PUT", "tok-admin", " off ").status, 200);
  EXPECT_EQ(log::level_name(), "off");
  EXPECT_EQ(call(r, "PUT", "tok-admin", "warn").status, 200);
  EXPECT_EQ(log::level_name(), "warning");  // spdlog's name for it
  // POST is not the method: 405.
  EXPECT_EQ(call(r, "POST", "tok-admin", "info").status, 405);
}

TEST(LogLevelRoutes, WithoutTokensTheLevelIsNotWritable) {
  Router r;  // no tokens configured: read open, admin forbidden
  add_log_level_routes(r);
  log::set_level("info");
  EXPECT_EQ(call(r, "GET", "", "").status, 200);
  EXPECT_EQ(call(r, "PUT", "", "debug").status, 403);
  EXPECT_EQ(log::level_name(), "info");
}

}  // namespace
}  // namespace rampart::server

// `rampart token new`: the real binary prints a random token and the
// [[http.tokens]] lines whose hash and rights rampartd's AccessControl
// accepts for that token; bad arguments exit 2 with one line.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"
#include "server/http/access.h"
#include "support/cli.h"

namespace rampart {
namespace {

class CliToken : public testing::CliTest {};

TEST_F(CliToken, NewTokenAndItsConfigLines) {
  auto r = run("token new desk --rights scan,read,scan");
  ASSERT_EQ(r.status, 0) << r.err;
  const size_t nl = r.out.find('\n');
  ASSERT_NE(nl, std::string::npos) << r.out;
  const std::string token = r.out.substr(0, nl);
  EXPECT_EQ(token.size(), 68u) << token;
  EXPECT_EQ(token.rfind("rmp_", 0), 0u) << token;
  EXPECT_EQ(r.out.find(token, nl), std::string::npos) << "the token itself is not in the config lines";
  EXPECT_NE(r.out.find("rights = [\"scan\", \"read\"]\n"), std::string::npos) << r.out;
  auto cfg = Config::parse(r.out.substr(nl + 1));
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto ac = server::AccessControl::from(*cfg);
  ASSERT_TRUE(ac) << ac.error().message;
  server::HttpRequest req;
  req.headers.emplace_back("authorization", "Bearer " + token);
  std::string who;
  EXPECT_EQ(ac->check(req, server::Right::kScan, &who), server::Access::kAllowed);
  EXPECT_EQ(who, "desk");
  EXPECT_EQ(ac->check(req, server::Right::kRead), server::Access::kAllowed);
  EXPECT_EQ(ac->check(req, server::Right::kLearn), server::Access::kForbidden);

  auto again = run("token new desk --rights scan");
  ASSERT_EQ(again.status, 0);
  EXPECT_NE(again.out.substr(0, 68), token);  // random, not derived from the name
}

TEST_F(CliToken, BadArguments) {
  for (const std::string& args :
       {std::string("token new desk"), std::string("token new desk --rights root"),
        std::string("token new 'a b' --rights scan"), std::string("token new"),
        std::string("token old desk --rights scan"), std::string("token new desk --rights ,")}) {
    auto r = run(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.out;
    EXPECT_TRUE(r.out.empty()) << args;
    EXPECT_NE(r.err.find("rampart token: "), std::string::npos) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart

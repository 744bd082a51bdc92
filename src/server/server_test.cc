// File: src/server/server_test.cc
// ServerOptions::from: [server] read once, strictly (issue 11).
#include "server/server.h"

#include <gtest/gtest.h>

#include <thread>

namespace rampart::server {
namespace {

Result<ServerOptions> read(const std::string& toml) {
  auto cfg = Config::parse(toml, "s.toml");
  if (!cfg) return tl::unexpected(cfg.error());
  auto so = ServerOptions::from(*cfg);
  auto f = cfg->finish();
  if (!so) return so;
  if (!f) return tl::unexpected(f.error());
  return so;
}

TEST(ServerOptions, StrictKeysAndValues) {
  struct Case {
    const char* toml;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"[server]\nmilter = \"127.0.0.1\"\n", "s.toml:2:1: server.milter: \"127.0.0.1\": needs a port"},
      {"[server]\nhttp = \"off\"\nmilter = \"[::1]:0\"\n", nullptr},
      {"[server]\nhttp = \"localhost:80\"\n", "server.http: \"localhost:80\": not an IP address"},
      {"[server]\nmax_connections = -5\n", "server.max_connections: -5 is out of range"},
      {"[server]\nloops = 2\n", nullptr},
      {"[server]\nloops = -1\n", "server.loops: -1 is out of range"},
      {"[server]\nloops = 1000\n", "server.loops: 1000 is out of range"},
      {"[server]\nlops = 2\n", "s.toml:2:1: server.lops: unknown key"},
  };
  for (const Case& c : cases) {
    auto r = read(c.toml);
    if (!c.error) {
      EXPECT_TRUE(r) << c.toml << ": " << r.error().message;
    } else {
      ASSERT_FALSE(r) << c.toml;
      EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.toml << ": " << r.error().message;
    }
  }
}

TEST(ServerOptions, LoopsDefaultToTheCores) {
  auto r = read("");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->loops, std::max(1u, std::thread::hardware_concurrency()));
  auto two = read("[server]\nloops = 2\nhttp = \"off\"\n");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->loops, 2u);
  EXPECT_TRUE(two->http_listen.empty());
}

}  // namespace
}  // namespace rampart::server

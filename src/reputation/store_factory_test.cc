// File: src/reputation/store_factory_test.cc
#include "reputation/store_factory.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace rampart::reputation {
namespace {

TEST(StoreFactory, KindsAndErrors) {
  auto mem = open_store(*Config::parse(""));
  ASSERT_TRUE(mem) << mem.error().message;
  EXPECT_EQ((*mem)->name(), "memory");

  char tmpl[] = "/tmp/rampart-factory-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto rocks =
      open_store(*Config::parse("[reputation.store]\nkind = \"rocksdb\"\npath = \"" + dir + "/db\"\n"));
  ASSERT_TRUE(rocks) << rocks.error().message;
  EXPECT_EQ((*rocks)->name(), "rocksdb");
  rocks->reset();
  std::filesystem::remove_all(dir);

  for (const char* bad :
       {"[reputation.store]\nkind = \"cassandra\"\n", "[reputation.store]\nkind = \"rocksdb\"\n",
        "[reputation.store]\nkind = \"redis-cluster\"\n"}) {
    auto s = open_store(*Config::parse(bad));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, Errc::kConfig) << bad;
  }
}

}  // namespace
}  // namespace rampart::reputation

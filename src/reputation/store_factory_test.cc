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
  // rampartd's spelling: [reputation] store = "rocksdb" under --data-dir.
  auto rocks2 = open_store(*Config::parse("[reputation]\nstore = \"rocksdb\"\nsync = false\n"), dir);
  ASSERT_TRUE(rocks2) << rocks2.error().message;
  EXPECT_EQ((*rocks2)->name(), "rocksdb");
  EXPECT_TRUE(std::filesystem::exists(dir + "/reputation"));
  rocks2->reset();
  std::filesystem::remove_all(dir);

  for (const char* bad :
       {"[reputation.store]\nkind = \"cassandra\"\n", "[reputation.store]\nkind = \"rocksdb\"\n",
        "[reputation.store]\nkind = \"redis-cluster\"\n", "[reputation]\nstore = \"sqlite\"\n",
        "[reputation]\nstore = \"redis\"\n", "[reputation]\nstore = \"rocksdb\"\n",
        "[reputation]\nstore = 3\n",
        "[reputation]\nstore = \"redis\"\nredis_seeds = [\"127.0.0.1:1\"]\nredis_retry_deadline_ms = 0\n"}) {
    auto s = open_store(*Config::parse(bad));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, Errc::kConfig) << bad << ": " << s.error().message;
  }
}

TEST(StoreFactory, SpecFromBothSpellings) {
  // Default: rocksdb under the data directory (when built with RocksDB), else memory.
  auto d = store_spec(*Config::parse(""), "/var/lib/rampart");
  ASSERT_TRUE(d);
  if (d->kind == StoreKind::kRocksDb) {
    EXPECT_EQ(d->path, "/var/lib/rampart/reputation");
  } else {
    EXPECT_EQ(d->kind, StoreKind::kMemory);  // a build without RocksDB
  }
  EXPECT_EQ(store_spec(*Config::parse(""))->kind, StoreKind::kMemory);

  auto a =
      store_spec(*Config::parse("[reputation]\nstore = \"redis\"\nredis_seeds = [\"10.0.0.1:7000\"]\n"
                                "redis_wait_replicas = 2\nredis_retry_deadline_ms = 5000\n"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->kind, StoreKind::kRedis);
  EXPECT_EQ(a->seeds, std::vector<std::string>{"10.0.0.1:7000"});
  EXPECT_EQ(a->wait_replicas, 2);
  EXPECT_EQ(a->retry_deadline, std::chrono::milliseconds(5000));
  auto b =
      store_spec(*Config::parse("[reputation.store]\nkind = \"redis-cluster\"\nseeds = [\"10.0.0.1:7000\"]\n"
                                "wait_replicas = 2\nretry_deadline_ms = 5000\n"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->kind, StoreKind::kRedis);
  EXPECT_EQ(b->seeds, a->seeds);
  EXPECT_EQ(b->wait_replicas, 2);
  EXPECT_EQ(b->retry_deadline, a->retry_deadline);
}

}  // namespace
}  // namespace rampart::reputation

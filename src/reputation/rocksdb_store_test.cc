// File: src/reputation/rocksdb_store_test.cc
// RocksDbStore: merge semantics, reopen, and kill -9 during a burst of
// acknowledged writes (a forked child writes and reports each acknowledged
// batch through a pipe; the parent SIGKILLs it mid-burst and reopens).
#include "reputation/rocksdb_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace rampart::reputation {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/rampart-rocks-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

Counters one(Metric m, double n, int64_t t) {
  Counters c;
  c.add(m, n, t);
  return c;
}

TEST(RocksDbStore, MergeGetStateReopen) {
  TempDir dir;
  {
    auto s = RocksDbStore::open(dir.path + "/db");
    ASSERT_TRUE(s) << s.error().message;
    RocksDbStore& st = **s;
    std::vector<Update> ups = {{"ip:192.0.2.1", one(Metric::kVolume, 5, 1000)},
                               {"domain:example.com", one(Metric::kComplaints, 1, 1000)}};
    ASSERT_TRUE(st.merge(ups));
    ups[0].delta = one(Metric::kVolume, 7, 1000 + 3600);
    ASSERT_TRUE(st.merge(std::span<const Update>(ups).first(1)));
    ASSERT_TRUE(st.put_state("domain:example.com", "spammer 1000"));
    auto c = st.get("ip:192.0.2.1");
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((*c)->t, 4600);
    EXPECT_NEAR((*c)->value(Metric::kVolume, Window::kHour, 4600), 7 + 5 / std::exp(1.0), 1e-4);
    ASSERT_TRUE(st.flush());
    ASSERT_TRUE(st.merge(std::span<const Update>(ups).first(1)));  // on top of an SST value
  }
  auto s = RocksDbStore::open(dir.path + "/db");
  ASSERT_TRUE(s) << s.error().message;
  auto c = (*s)->get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_NEAR((*c)->value(Metric::kVolume, Window::kMonth, 4600), 19, 1e-2);
  auto st = (*s)->get_state("domain:example.com");
  ASSERT_TRUE(st && *st);
  EXPECT_EQ(**st, "spammer 1000");
  auto none = (*s)->get("ip:203.0.113.1");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  std::vector<std::string> keys;
  ASSERT_TRUE((*s)->for_each_key([&](std::string_view k) {
    keys.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"domain:example.com", "ip:192.0.2.1"}));
  auto many = (*s)->get_many(std::vector<std::string>{"domain:example.com", "nope"});
  ASSERT_TRUE(many);
  EXPECT_TRUE((*many)[0]);
  EXPECT_FALSE((*many)[1]);
}

TEST(RocksDbStore, SecondOpenFailsWithReason) {
  TempDir dir;
  auto a = RocksDbStore::open(dir.path + "/db");
  ASSERT_TRUE(a);
  auto b = RocksDbStore::open(dir.path + "/db");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::kIo);
  EXPECT_NE(b.error().message.find("lock"), std::string::npos) << b.error().message;
}

// The child: batches of two merges (same fixed time, so values are exact
// counts); after each acknowledged batch it writes the batch number.
[[noreturn]] void writer_child(const std::string& path, int ack_fd) {
  auto s = RocksDbStore::open(path);
  if (!s) _exit(3);
  for (uint32_t i = 1;; ++i) {
    std::vector<Update> ups = {{"ip:198.51.100.1", one(Metric::kVolume, 1, 1700000000)},
                               {"domain:burst.example", one(Metric::kVolume, 1, 1700000000)}};
    if (!(*s)->merge(ups)) _exit(4);
    if (::write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

TEST(RocksDbStore, KillNineLosesNoAcknowledgedEvent) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    writer_child(path, fds[1]);
  }
  ::close(fds[1]);
  uint32_t last = 0, v = 0;
  // Let it acknowledge a few hundred batches, then kill it mid-burst.
  while (last < 300 && ::read(fds[0], &v, sizeof v) == sizeof v) last = v;
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  while (::read(fds[0], &v, sizeof v) == sizeof v) last = v;  // acks already in the pipe
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  ASSERT_GE(last, 300u);

  auto s = RocksDbStore::open(path);
  ASSERT_TRUE(s) << s.error().message;
  for (const char* key : {"ip:198.51.100.1", "domain:burst.example"}) {
    auto c = (*s)->get(key);
    ASSERT_TRUE(c && *c) << key;
    const double n = (*c)->value(Metric::kVolume, Window::kMonth, 1700000000);
    // Every acknowledged batch is there; at most the one in flight beyond it.
    EXPECT_GE(n, last) << key;
    EXPECT_LE(n, last + 1) << key;
  }
}

}  // namespace
}  // namespace rampart::reputation

// File: src/reputation/rocksdb_store_test.cc
// RocksDbStore: merge semantics, reopen, and kill -9 during a burst of
// acknowledged writes (a forked child writes and reports each acknowledged
// batch through a pipe; the parent SIGKILLs it mid-burst and reopens).
#include "reputation/rocksdb_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "auth/dmarc/orgdomain.h"
#include "reputation/engine.h"

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

// Other channels' identities (issue 16) through the engine: an SMS sender
// complained about (7726) and a short code, classed and kept across a reopen.
TEST(RocksDbStore, ChannelIdentitiesThroughTheEngineAndAReopen) {
  TempDir dir;
  auto psl = dmarc::PublicSuffixList::from_text("com\n");
  ASSERT_TRUE(psl);
  FakeClock clock(1796601600);
  const int64_t t = 1796601600;
  {
    auto s = RocksDbStore::open(dir.path + "/db");
    ASSERT_TRUE(s) << s.error().message;
    Engine engine(**s, clock, Thresholds{}, *psl);
    std::vector<Event> evs;
    for (int i = 0; i < 30; ++i) {
      Event m;
      m.time = t + i;
      m.channel = "sms";
      m.sender = i % 2 ? "+447700900123" : "72900";
      evs.push_back(m);
    }
    for (int i = 0; i < 6; ++i) {
      Event c;
      c.type = EventType::kComplaint;
      c.time = t + 30 + i;
      c.channel = "sms";
      c.sender = "00447700900123";
      evs.push_back(c);
    }
    ASSERT_TRUE(engine.record_batch(evs));
  }
  auto s = RocksDbStore::open(dir.path + "/db");
  ASSERT_TRUE(s) << s.error().message;
  Engine engine(**s, clock, Thresholds{}, *psl);
  auto r = engine.report("sms:+447700900123", t + 40);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_NE(r->to_json().find("COMPLAINTS_BAD"), std::string::npos);
  auto st = (*s)->get_state("sms:+447700900123");
  ASSERT_TRUE(st && *st);
  EXPECT_TRUE(st->value().starts_with("spammer ")) << **st;
  auto sc = engine.report("shortcode:72900", t + 40);
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->cls, SenderClass::kUnknown);
  EXPECT_NEAR(sc->counters.value(Metric::kVolume, Window::kMonth, t + 40), 15, 0.01);
}

// Op ids (issue 11): a batch sent again (a retry, a spool replayed twice,
// twice in one call) is applied once, across a reopen; the ids expire in
// compactions after op_id_keep_s, and states go in one batch.
// The compact operand layout (rocksdb_store.cc): every shape a delta takes
// (one metric with equal windows, windows that differ, all 14 metrics, an
// empty delta) merges to what reputation::merge() gives, from the memtable,
// after a flush and after a full compaction.
TEST(RocksDbStore, CompactOperandsOfEveryShapeMergeExactly) {
  TempDir dir;
  RocksOptions o;
  o.expire_below = 0;  // times of 1970: not expired by the compaction below
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  RocksDbStore& st = **s;
  std::vector<Counters> deltas;
  deltas.push_back(one(Metric::kVolume, 3, 1000));  // flat, one metric: 15 bytes
  Counters uneven = one(Metric::kComplaints, 1, 900);
  uneven = merge(uneven, one(Metric::kComplaints, 2, 2000));  // windows decayed differently
  deltas.push_back(uneven);
  Counters all;
  for (size_t m = 0; m < kMetricCount; ++m)
    all.add(static_cast<Metric>(m), 1.0 + static_cast<double>(m), 1500);
  all = merge(all, one(Metric::kBot, 1, 2500));  // every metric, not flat: 11 + 12 x 14 = 179 bytes
  deltas.push_back(all);
  deltas.push_back(Counters{});  // empty: 11 bytes
  deltas.push_back(one(Metric::kBadHelo, 0.5, 3000));
  Counters want;
  for (const Counters& d : deltas) want = merge(want, d);
  for (const Counters& d : deltas) {
    const Update u{"ip:192.0.2.77", d};
    ASSERT_TRUE(st.merge(std::span<const Update>(&u, 1)));
  }
  auto check = [&](const char* when) {
    auto c = st.get("ip:192.0.2.77");
    ASSERT_TRUE(c && *c) << when;
    EXPECT_EQ((*c)->t, want.t) << when;
    for (size_t i = 0; i < want.v.size(); ++i)
      EXPECT_NEAR((*c)->v[i], want.v[i], 1e-4) << when << " value " << i;
  };
  check("memtable");
  ASSERT_TRUE(st.flush());
  check("flushed");
  const Update more{"ip:192.0.2.77", one(Metric::kVolume, 1, 3000)};
  ASSERT_TRUE(st.merge(std::span<const Update>(&more, 1)));
  want = merge(want, more.delta);
  ASSERT_TRUE(st.compact());
  check("compacted");
}

TEST(RocksDbStore, MergeOpsAppliesEachOpIdOnce) {
  TempDir dir;
  FakeClock clock(1700000000);
  RocksOptions o;
  o.clock = &clock;
  o.op_id_keep_s = 86400;
  const int64_t t0 = 1700000000;
  auto batch = [&](const std::string& id, double n) {
    return OpBatch{
        id, {{"ip:192.0.2.1", one(Metric::kVolume, n, t0)}, {"ip:192.0.2.2", one(Metric::kVolume, n, t0)}}};
  };
  auto volume = [&](RocksDbStore& st, const char* k) {
    auto c = st.get(k);
    return c && *c ? (*c)->value(Metric::kVolume, Window::kMonth, t0) : 0.0;
  };
  {
    auto s = RocksDbStore::open(dir.path + "/db", o);
    ASSERT_TRUE(s) << s.error().message;
    std::vector<OpBatch> ops = {batch("a", 1), batch("b", 2), batch("a", 1)};
    auto n = (*s)->merge_ops(ops);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 2u);
    EXPECT_NEAR(volume(**s, "ip:192.0.2.1"), 3, 1e-4);
    std::vector<std::pair<std::string, std::string>> states = {{"ip:192.0.2.1", "x"}, {"ip:192.0.2.2", "y"}};
    ASSERT_TRUE((*s)->put_states(states));
    EXPECT_EQ((*s)->get_state("ip:192.0.2.2")->value_or(""), "y");
  }
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  std::vector<OpBatch> again = {batch("b", 2), batch("c", 4), batch("", 8)};  // "" is not tracked
  auto n = (*s)->merge_ops(again);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_NEAR(volume(**s, "ip:192.0.2.1"), 15, 1e-3);
  // Keys of op ids are not identities.
  size_t keys = 0;
  ASSERT_TRUE((*s)->for_each_key([&](std::string_view) { return ++keys, true; }));
  EXPECT_EQ(keys, 2u);
  // Two days on, compacted: "a" is forgotten (applied again if ever sent again).
  clock.advance(std::chrono::hours(48));
  ASSERT_TRUE((*s)->flush());
  ASSERT_TRUE((*s)->compact());
  std::vector<OpBatch> late = {batch("a", 1)};
  n = (*s)->merge_ops(late);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
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
[[noreturn]] void writer_child(const std::string& path, int ack_fd, RocksOptions o = {}) {
  auto s = RocksDbStore::open(path, o);
  if (!s) _exit(3);
  for (uint32_t i = 1;; ++i) {
    std::vector<Update> ups = {{"ip:198.51.100.1", one(Metric::kVolume, 1, 1700000000)},
                               {"domain:burst.example", one(Metric::kVolume, 1, 1700000000)}};
    if (!(*s)->merge(ups)) _exit(4);
    if (::write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

// Forks `child(ack_fd)`, which writes a uint32 per acknowledged batch and
// never returns, kills it with SIGKILL once `acks` batches are acknowledged
// and gives the last acknowledgement read (those already in the pipe
// included; 0 after a failure). `in_order`: each one is the previous + 1.
uint32_t kill_nine_after(const std::function<void(int)>& child, uint32_t acks, bool in_order = false) {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe";
    return 0;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork";
    return 0;
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    _exit(6);
  }
  ::close(fds[1]);
  uint32_t last = 0, v = 0;
  while (last < acks && ::read(fds[0], &v, sizeof v) == sizeof v) {
    if (in_order) {
      EXPECT_EQ(v, last + 1);  // acknowledged in order
    }
    last = v;
  }
  EXPECT_EQ(::kill(pid, SIGKILL), 0);
  while (::read(fds[0], &v, sizeof v) == sizeof v) last = v;
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  EXPECT_GE(last, acks);
  return last;
}

// The store at `path` opened with `o` counts every acknowledged batch of
// the writers above (`last`) on both their keys, and at most `in_flight`
// more.
void expect_acknowledged(const std::string& path, RocksOptions o, uint32_t last, uint32_t in_flight) {
  auto s = RocksDbStore::open(path, o);
  ASSERT_TRUE(s) << s.error().message;
  for (const char* key : {"ip:198.51.100.1", "domain:burst.example"}) {
    auto c = (*s)->get(key);
    ASSERT_TRUE(c && *c) << key;
    const double n = (*c)->value(Metric::kVolume, Window::kMonth, 1700000000);
    EXPECT_GE(n, last) << key;              // every acknowledged batch
    EXPECT_LE(n, last + in_flight) << key;  // at most those in flight beyond
  }
}

TEST(RocksDbStore, KillNineLosesNoAcknowledgedEvent) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  // Let it acknowledge a few hundred batches, then kill it mid-burst.
  const uint32_t last = kill_nine_after([&](int ack) { writer_child(path, ack); }, 300);
  ASSERT_GE(last, 300u);
  expect_acknowledged(path, {}, last, 1);
}

// ---------------------------------------------------------------- expiry

TEST(RocksDbStore, CompactionDropsRecordsDecayedToNothing) {
  TempDir dir;
  FakeClock clock(1700000000);
  RocksOptions o;
  o.clock = &clock;
  o.sync = false;
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  const int64_t t0 = 1700000000;
  std::vector<Update> ups = {{"ip:192.0.2.1", one(Metric::kVolume, 1, t0)},          // one count
                             {"domain:big.example", one(Metric::kVolume, 1e6, t0)},  // a million
                             {"ip:192.0.2.2", one(Metric::kTraps, 1, t0 + 200 * 86400)}};
  ASSERT_TRUE((*s)->merge(ups));
  ASSERT_TRUE((*s)->put_state("ip:192.0.2.1", "spammer"));
  // Compaction now: nothing has decayed yet.
  ASSERT_TRUE((*s)->flush());
  ASSERT_TRUE((*s)->compact());
  EXPECT_TRUE(*(*s)->get("ip:192.0.2.1"));
  // 150 days later: 1 * exp(-150 / 30) = 0.0067 < 0.01 goes; 1e6 * 0.0067 stays;
  // a record stamped after "now" stays.
  clock.advance(std::chrono::hours(24 * 150));
  ASSERT_TRUE((*s)->flush());
  ASSERT_TRUE((*s)->compact());
  EXPECT_FALSE(*(*s)->get("ip:192.0.2.1"));
  // The identity comes back with fresh counters only.
  const int64_t now = clock.unix_seconds();
  ASSERT_TRUE((*s)->merge(std::vector<Update>{{"ip:192.0.2.1", one(Metric::kVolume, 1, now)}}));
  auto fresh = (*s)->get("ip:192.0.2.1");
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ((*fresh)->t, now);
  EXPECT_NEAR((*fresh)->value(Metric::kVolume, Window::kMonth, now), 1, 1e-6);
  auto big = (*s)->get("domain:big.example");
  ASSERT_TRUE(big && *big);
  EXPECT_NEAR((*big)->value(Metric::kVolume, Window::kMonth, t0), 1e6, 1);
  EXPECT_TRUE(*(*s)->get("ip:192.0.2.2"));
  auto st = (*s)->get_state("ip:192.0.2.1");
  ASSERT_TRUE(st && *st);  // class states do not expire
  std::vector<std::string> keys;
  ASSERT_TRUE((*s)->for_each_key([&](std::string_view k) {
    keys.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"domain:big.example", "ip:192.0.2.1", "ip:192.0.2.2"}));
}

TEST(RocksDbStore, ExpiryOffKeepsEverything) {
  TempDir dir;
  FakeClock clock(1700000000 + 400 * 86400);
  RocksOptions o;
  o.clock = &clock;
  o.expire_below = 0;
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->merge(std::vector<Update>{{"ip:192.0.2.1", one(Metric::kVolume, 1, 1700000000)}}));
  ASSERT_TRUE((*s)->flush());
  ASSERT_TRUE((*s)->compact());
  EXPECT_TRUE(*(*s)->get("ip:192.0.2.1"));
}

// ---------------------------------------------------------------- group commit

// Completions from the writer thread, waited for with a deadline.
struct Completions {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;  // batch ids in the order their done ran
  std::vector<Status> results;
  Store::MergeDone done_for(int id) {
    return [this, id](Status st) {
      const std::lock_guard<std::mutex> lock(mu);
      order.push_back(id);
      results.push_back(std::move(st));
      cv.notify_all();
    };
  }
  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return order.size() >= n; });
  }
};

// A done that holds the writer thread until released: what queues up meanwhile
// is one group.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
  Store::MergeDone done() {
    return [this](Status) {
      std::unique_lock<std::mutex> lock(mu);
      entered = true;
      cv.notify_all();
      cv.wait(lock, [&] { return open; });
    };
  }
  bool wait_entered() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return entered; });
  }
  void release() {
    const std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

constexpr int64_t kT = 1700000000;

double month_volume(RocksDbStore& s, const std::string& key) {
  auto c = s.get(key);
  if (!c || !*c) return -1;
  return (*c)->value(Metric::kVolume, Window::kMonth, kT);
}

TEST(RocksDbGroupCommit, OneGroupPerQueueInOrderEveryDoneOnceDurable) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  Completions comp;
  {
    auto s = RocksDbStore::open(path);
    ASSERT_TRUE(s) << s.error().message;
    Gate gate;
    (*s)->merge_async({{"ip:192.0.2.9", one(Metric::kVolume, 1, kT)}}, gate.done());
    ASSERT_TRUE(gate.wait_entered());
    // The writer is held in the first done: these 100 batches queue up.
    for (int i = 0; i < 100; ++i)
      (*s)->merge_async({{"ip:192.0.2.1", one(Metric::kVolume, 1, kT)},
                         {"domain:k" + std::to_string(i % 7) + ".example", one(Metric::kVolume, 2, kT)}},
                        comp.done_for(i));
    EXPECT_EQ((*s)->group_commit_stats().queued, 200u);
    gate.release();
    ASSERT_TRUE(comp.wait_for(100));
    const GroupCommitStats st = (*s)->group_commit_stats();
    EXPECT_EQ(st.groups, 2u);  // the gate's batch, then all 100 at once
    EXPECT_EQ(st.batches, 101u);
    EXPECT_EQ(st.updates, 201u);
    EXPECT_EQ(st.written, 1u + 8u);  // repeated keys folded: ip:192.0.2.1 and 7 domains
    EXPECT_EQ(st.queued, 0u);
  }
  {
    const std::lock_guard<std::mutex> lock(comp.mu);
    ASSERT_EQ(comp.order.size(), 100u);  // exactly once each
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(comp.order[i], i);  // in queue order
      EXPECT_TRUE(comp.results[i]);
    }
  }
  auto s = RocksDbStore::open(path);  // acknowledged means on disk
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 100);
  EXPECT_EQ(month_volume(**s, "ip:192.0.2.9"), 1);
  EXPECT_EQ(month_volume(**s, "domain:k0.example"), 2 * 15);  // i % 7 == 0: 15 of 0..99
  EXPECT_EQ(month_volume(**s, "domain:k6.example"), 2 * 14);
}

TEST(RocksDbGroupCommit, WithoutFoldingEveryUpdateIsWritten) {
  TempDir dir;
  RocksOptions o;
  o.coalesce = false;
  o.sync = false;
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  Completions comp;
  for (int i = 0; i < 50; ++i)
    (*s)->merge_async({{"ip:192.0.2.1", one(Metric::kVolume, 1, kT + i)}}, comp.done_for(i));
  ASSERT_TRUE(comp.wait_for(50));
  EXPECT_EQ((*s)->group_commit_stats().written, 50u);
  auto c = (*s)->get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->t, kT + 49);
  double want = 0;
  for (int i = 0; i < 50; ++i) want += std::exp(-(49.0 - i) / 3600.0);
  EXPECT_NEAR((*c)->value(Metric::kVolume, Window::kHour, kT + 49), want, 1e-3);
}

TEST(RocksDbGroupCommit, FullQueueRefusesAtOnceNeverBlocks) {
  TempDir dir;
  RocksOptions o;
  o.max_queued_updates = 4;
  auto s = RocksDbStore::open(dir.path + "/db", o);
  ASSERT_TRUE(s) << s.error().message;
  Gate gate;
  (*s)->merge_async({{"ip:192.0.2.9", one(Metric::kVolume, 1, kT)}}, gate.done());
  ASSERT_TRUE(gate.wait_entered());
  Completions comp;
  (*s)->merge_async({{"a", one(Metric::kVolume, 1, kT)},
                     {"b", one(Metric::kVolume, 1, kT)},
                     {"c", one(Metric::kVolume, 1, kT)}},
                    comp.done_for(0));  // 3 of 4
  std::optional<Status> refused;
  std::thread::id where;
  (*s)->merge_async({{"d", one(Metric::kVolume, 1, kT)}, {"e", one(Metric::kVolume, 1, kT)}}, [&](Status st) {
    refused = std::move(st);
    where = std::this_thread::get_id();
  });
  // Called before merge_async returned, on this thread, with kTemporary.
  ASSERT_TRUE(refused);
  EXPECT_EQ(where, std::this_thread::get_id());
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, Errc::kTemporary);
  EXPECT_NE(refused->error().message.find("queue full"), std::string::npos) << refused->error().message;
  (*s)->merge_async({{"f", one(Metric::kVolume, 1, kT)}}, comp.done_for(1));  // 4 of 4: fits
  EXPECT_EQ((*s)->group_commit_stats().rejected, 1u);
  gate.release();
  ASSERT_TRUE(comp.wait_for(2));
  // A batch larger than the bound goes into an empty queue.
  std::vector<Update> big;
  for (int i = 0; i < 10; ++i) big.push_back({"big" + std::to_string(i), one(Metric::kVolume, 1, kT)});
  (*s)->merge_async(std::move(big), comp.done_for(2));
  ASSERT_TRUE(comp.wait_for(3));
  const std::lock_guard<std::mutex> lock(comp.mu);
  for (const Status& st : comp.results) EXPECT_TRUE(st);
  EXPECT_EQ(month_volume(**s, "f"), 1);
  EXPECT_EQ(month_volume(**s, "d"), -1);  // the refused batch was not written
  EXPECT_EQ(month_volume(**s, "big9"), 1);
}

TEST(RocksDbGroupCommit, CloseWritesEverythingQueued) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  Completions comp;
  {
    auto s = RocksDbStore::open(path);
    ASSERT_TRUE(s) << s.error().message;
    // 300 batches queued in microseconds while the writer fsyncs (milliseconds):
    // most are still queued when the store is destroyed right after.
    for (int i = 0; i < 300; ++i)
      (*s)->merge_async({{"ip:192.0.2.1", one(Metric::kVolume, 1, kT)}}, comp.done_for(i));
  }
  // The destructor returned: every done has run, ok, in order.
  ASSERT_EQ(comp.order.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(comp.order[i], i);
    EXPECT_TRUE(comp.results[i]);
  }
  auto s = RocksDbStore::open(path);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 300);
}

// The child: merge_async of two updates per batch, at most 256 in flight;
// each done(ok) writes the batch number to the pipe (in order, from the
// writer thread).
[[noreturn]] void async_writer_child(const std::string& path, int ack_fd, RocksOptions o = {}) {
  auto s = RocksDbStore::open(path, o);
  if (!s) _exit(3);
  std::atomic<uint32_t> acked{0};
  for (uint32_t i = 1;; ++i) {
    while (i - acked.load() > 256) std::this_thread::yield();
    (*s)->merge_async({{"ip:198.51.100.1", one(Metric::kVolume, 1, kT)},
                       {"domain:burst.example", one(Metric::kVolume, 1, kT)}},
                      [&acked, ack_fd, i](Status st) {
                        if (!st) _exit(4);
                        if (::write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
                        acked = i;
                      });
  }
}

// Kills a child writing through merge_async (`o`) after 3000 acknowledged
// batches; the store reopened with `reopen` holds every acknowledged batch
// and at most the 256 in flight beyond.
void kill_nine_async(RocksOptions o, RocksOptions reopen) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  const uint32_t last = kill_nine_after([&](int ack) { async_writer_child(path, ack, o); }, 3000, true);
  ASSERT_GE(last, 3000u);
  expect_acknowledged(path, reopen, last, 256);
}

TEST(RocksDbGroupCommit, KillNineLosesNoAcknowledgedBatch) { kill_nine_async({}, {}); }

// ---------------------------------------------------------------- resident counters

RocksOptions resident(size_t checkpoint_bytes = 64 << 20) {
  RocksOptions o;
  o.resident = true;
  o.checkpoint_bytes = checkpoint_bytes;
  o.expire_below = 0;  // times of 2023: the sweep would drop them
  return o;
}

// A store written without `resident` (full records on disk and merge
// operands in the memtable) opened with it (the upgrade path), op ids kept
// across both, and the checkpoint records read back without `resident`.
TEST(RocksDbResident, UpgradeOpIdsAndReadBackWithout) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  RocksOptions plain;
  plain.expire_below = 0;
  auto b = [](const std::string& id, double n) {
    return OpBatch{
        id,
        {{"ip:192.0.2.1", one(Metric::kVolume, n, kT)}, {"domain:a.example", one(Metric::kTraps, n, kT)}}};
  };
  {
    auto s = RocksDbStore::open(path, plain);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->merge_ops(std::vector<OpBatch>{b("a", 1)}));
    ASSERT_TRUE((*s)->flush());                                     // a full record in an SST
    ASSERT_TRUE((*s)->merge_ops(std::vector<OpBatch>{b("b", 2)}));  // an operand in the memtable
    ASSERT_TRUE((*s)->put_state("ip:192.0.2.1", "spammer"));
  }
  {
    auto s = RocksDbStore::open(path, resident());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->resident());
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 3);
    auto n = (*s)->merge_ops(std::vector<OpBatch>{b("b", 2), b("c", 4), b("c", 4)});  // b: applied before
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1u);
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 7);
    auto looks =
        (*s)->lookup_many(std::vector<std::string>{"ip:192.0.2.1", "domain:a.example", "ip:192.0.2.9"});
    ASSERT_TRUE(looks) << looks.error().message;
    ASSERT_TRUE((*looks)[0].counters && (*looks)[1].counters);
    EXPECT_FALSE((*looks)[2].counters);
    EXPECT_EQ((*looks)[0].state.value_or(""), "spammer");
    EXPECT_FALSE((*looks)[1].state);
    EXPECT_NEAR((*looks)[1].counters->value(Metric::kTraps, Window::kMonth, kT), 7, 1e-4);
    std::vector<std::string> keys;
    ASSERT_TRUE((*s)->for_each_key([&](std::string_view k) { return keys.emplace_back(k), true; }));
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"domain:a.example", "ip:192.0.2.1"}));
  }
  {
    auto s = RocksDbStore::open(path, plain);  // closed cleanly: no journal left, checkpoint records read
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 7);
    auto n = (*s)->merge_ops(std::vector<OpBatch>{b("c", 4), b("d", 8)});
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1u);
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 15);  // an operand on a checkpoint record
  }
  auto s = RocksDbStore::open(path, resident());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 15);
  auto traps = (*s)->get("domain:a.example");
  ASSERT_TRUE(traps && *traps);
  EXPECT_NEAR((*traps)->value(Metric::kTraps, Window::kMonth, kT), 15, 1e-4);
}

// A crash leaves a journal: opened without `resident` it is refused (the
// acknowledged counts are in it), with `resident` it is replayed once.
TEST(RocksDbResident, JournalLeftByACrashIsReplayedNeverIgnored) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto s = RocksDbStore::open(path, resident());
    if (!s) _exit(3);
    for (int i = 0; i < 5; ++i) {
      std::vector<Update> ups = {{"ip:198.51.100.1", one(Metric::kVolume, 1, kT)}};
      if (!(*s)->merge(ups)) _exit(4);
    }
    const uint32_t done = 5;
    if (::write(fds[1], &done, sizeof done) != sizeof done) _exit(5);
    for (;;) ::pause();  // killed: never closed, never checkpointed
  }
  ::close(fds[1]);
  uint32_t v = 0;
  ASSERT_EQ(::read(fds[0], &v, sizeof v), static_cast<ssize_t>(sizeof v));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(fds[0]);
  {
    RocksOptions plain;
    auto s = RocksDbStore::open(path, plain);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("journal"), std::string::npos) << s.error().message;
  }
  for (int round = 0; round < 2; ++round) {  // the second open finds the checkpoint of the first close
    auto s = RocksDbStore::open(path, resident());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(month_volume(**s, "ip:198.51.100.1"), 5) << round;
  }
}

// kill -9 while checkpoints run all the time (one every 256 journal bytes):
// a checkpoint record that already holds some journal records' updates must
// not have them added again at the replay, and nothing acknowledged is lost.
TEST(RocksDbResident, KillNineDuringCheckpointsCountsEachBatchOnce) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  const uint32_t last = kill_nine_after([&](int ack) { writer_child(path, ack, resident(256)); }, 2000);
  ASSERT_GE(last, 2000u);
  expect_acknowledged(path, resident(), last, 1);
  auto s = RocksDbStore::open(path, resident());
  ASSERT_TRUE(s) << s.error().message;
  const GroupCommitStats st = (*s)->group_commit_stats();
  EXPECT_EQ(st.checkpoints, 0u);  // this process has written nothing yet
}

// The journal records a checkpoint covered are still there at the next open
// (a crash came between the checkpoint's records and the journal's
// deletion): the replay skips them for the keys the checkpoint wrote.
TEST(RocksDbResident, JournalCoveredByACheckpointIsNotCountedTwice) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  RocksOptions o = resident(1 << 30);
  o.checkpoint_keeps_journal = true;
  {
    auto s = RocksDbStore::open(path, o);
    ASSERT_TRUE(s) << s.error().message;
    std::vector<Update> a = {{"ip:192.0.2.1", one(Metric::kVolume, 1, kT)}};
    std::vector<Update> b = {{"ip:192.0.2.2", one(Metric::kVolume, 1, kT)}};
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->merge(a));
    ASSERT_TRUE((*s)->checkpoint());  // ip .1 = 5 at record 5; the journal 1-5 stays
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->merge(b));
  }  // the close checkpoints ip .2 = 3 at record 8; the journal 1-8 stays
  for (int round = 0; round < 2; ++round) {
    auto s = RocksDbStore::open(path, o);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), round == 0 ? 5 : 6) << round;
    EXPECT_EQ(month_volume(**s, "ip:192.0.2.2"), 3) << round;
    std::vector<Update> c = {{"ip:192.0.2.1", one(Metric::kVolume, 1, kT)}};
    if (round == 0) {
      ASSERT_TRUE((*s)->merge(c));  // record 9, after the checkpoints' numbers
      EXPECT_EQ(month_volume(**s, "ip:192.0.2.1"), 6);
    }
  }
}

TEST(RocksDbResident, GroupCommitKillNineLosesNoAcknowledgedBatch) {
  kill_nine_async(resident(4096), resident());
}

// Checkpoints as they run: the journal they cover is deleted, and what a
// reopen reads equals what was in memory.
TEST(RocksDbResident, CheckpointWritesTheCountersAndDropsTheJournal) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  {
    auto s = RocksDbStore::open(path, resident(1 << 30));
    ASSERT_TRUE(s) << s.error().message;
    for (int i = 0; i < 100; ++i) {
      std::vector<Update> ups = {{"ip:192.0.2." + std::to_string(i % 7), one(Metric::kVolume, 1, kT)}};
      ASSERT_TRUE((*s)->merge(ups));
    }
    EXPECT_EQ((*s)->group_commit_stats().journal_records, 100u);
    ASSERT_TRUE((*s)->checkpoint());
    EXPECT_EQ((*s)->group_commit_stats().checkpoints, 1u);
    for (int i = 0; i < 7; ++i)
      EXPECT_EQ(month_volume(**s, "ip:192.0.2." + std::to_string(i)), i < 2 ? 15 : 14);
  }
  RocksOptions plain;
  plain.expire_below = 0;
  auto s = RocksDbStore::open(path, plain);
  ASSERT_TRUE(s) << s.error().message;
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(month_volume(**s, "ip:192.0.2." + std::to_string(i)), i < 2 ? 15 : 14);
}

// The journal's bytes, read with RocksDB itself (no store): "j:" number -> record.
std::vector<std::pair<std::string, std::string>> raw_journal(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  rocksdb::Options o;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status st = rocksdb::DB::OpenForReadOnly(o, path, &raw);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) return out;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("j:"); it->Valid() && it->key().starts_with("j:"); it->Next())
    out.emplace_back(it->key().ToString(), it->value().ToString());
  return out;
}

// A child that writes `ups` with merge() (resident), acknowledges, and is
// killed before any checkpoint: its journal record stays for the parent.
void write_then_kill(const std::string& path, const std::vector<Update>& ups) {
  const uint32_t last = kill_nine_after(
      [&](int ack) {
        auto s = RocksDbStore::open(path, resident(1 << 30));
        if (!s) _exit(3);
        if (!(*s)->merge(ups)) _exit(4);
        const uint32_t one_ack = 1;
        if (::write(ack, &one_ack, sizeof one_ack) != sizeof one_ack) _exit(5);
        for (;;) ::pause();
      },
      1);
  EXPECT_EQ(last, 1u);
}

// The compact journal record (version 2): one delta for the keys that share
// it (an event's identities), each key's bytes once per record (a repeat is
// its number in the record's table). Its exact size is checked, and what
// the replay makes of it.
TEST(RocksDbResident, JournalRecordSharesDeltasAndWritesEachKeyOnce) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  const Counters d = one(Metric::kVolume, 2, kT);           // one metric, windows equal: a 15-byte operand
  const Counters e = one(Metric::kComplaints, 1, kT + 60);  // the same shape
  const std::string k1 = "ip:192.0.2.1", k2 = "net:192.0.2.0/24", k3 = "domain:a.example";
  write_then_kill(path, {{k1, d}, {k2, d}, {k3, e}, {k1, e}});
  const auto journal = raw_journal(path);
  ASSERT_EQ(journal.size(), 1u);
  const std::string& rec = journal[0].second;
  // head 13 | operand d, count 2, new k1, new k2 | operand e, count 2, new k3, table entry 1 (k1)
  const size_t expect = 13 + (15 + 1 + (2 + k1.size()) + (2 + k2.size())) + (15 + 1 + (2 + k3.size()) + 1);
  EXPECT_EQ(rec.size(), expect);
  EXPECT_LT(rec.size(), 4 * 2 + k1.size() * 2 + k2.size() + k3.size() + 4 * 15);  // the first format's size
  std::vector<std::pair<std::string, int64_t>> got;
  ASSERT_TRUE(
      decode_journal_record(rec, [&](std::string_view k, const Counters& c) { got.emplace_back(k, c.t); }));
  EXPECT_EQ(got,
            (std::vector<std::pair<std::string, int64_t>>{{k1, kT}, {k2, kT}, {k3, kT + 60}, {k1, kT + 60}}));
  // Cut anywhere inside, it does not decode (or decodes to fewer updates, never more or other keys).
  for (size_t cut = 13; cut < rec.size(); ++cut) {
    size_t n = 0;
    const bool ok =
        decode_journal_record(std::string_view(rec).substr(0, cut), [&](std::string_view k, const Counters&) {
          EXPECT_TRUE(k == k1 || k == k2 || k == k3) << cut;
          ++n;
        });
    EXPECT_LT(n, 4u) << cut;
    if (ok) {
      EXPECT_TRUE(n == 0 || n == 2) << cut;  // only at an entry's end
    }
  }
  auto s = RocksDbStore::open(path, resident());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_NEAR(month_volume(**s, k1), 2, 1e-3);  // decayed by 60 s (the later delta)
  EXPECT_EQ(month_volume(**s, k2), 2);
  auto c1 = (*s)->get(k1);
  ASSERT_TRUE(c1 && *c1);
  EXPECT_NEAR((*c1)->value(Metric::kComplaints, Window::kMonth, kT + 60), 1, 1e-5);
  auto c3 = (*s)->get(k3);
  ASSERT_TRUE(c3 && *c3);
  EXPECT_NEAR((*c3)->value(Metric::kComplaints, Window::kMonth, kT + 60), 1, 1e-5);
}

// A journal of the first format (what main's resident stores left after a
// crash) is still replayed: written here byte by byte, as that format is
// documented ([u16 key length][key][compact operand]...).
TEST(RocksDbResident, JournalOfTheFirstFormatIsReplayed) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  auto le = [](std::string& out, uint64_t x, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
  };
  auto f32 = [&](std::string& out, float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    le(out, bits, 4);
  };
  std::string rec;
  const std::string k1 = "ip:198.51.100.7", k2 = "domain:old.example";
  le(rec, k1.size(), 2);
  rec += k1;
  le(rec, static_cast<uint64_t>(kT), 8);
  le(rec, 1u << static_cast<unsigned>(Metric::kVolume), 2);
  rec.push_back(1);  // every window the same: one float
  f32(rec, 3);
  le(rec, k2.size(), 2);
  rec += k2;
  le(rec, static_cast<uint64_t>(kT), 8);
  le(rec, 1u << static_cast<unsigned>(Metric::kTraps), 2);
  rec.push_back(0);  // three floats: hour, day, month
  f32(rec, 1);
  f32(rec, 2);
  f32(rec, 4);
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string key = "j:";
    for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>((uint64_t{41} >> (8 * i)) & 0xff));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(db->Put(wo, key, rec).ok());
  }
  {
    auto s = RocksDbStore::open(path, RocksOptions{});
    ASSERT_FALSE(s);  // never ignored without resident
  }
  for (int round = 0; round < 2; ++round) {  // replayed, then checkpointed by the close
    auto s = RocksDbStore::open(path, resident());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(month_volume(**s, k1), 3 + round) << round;
    auto c = (*s)->get(k2);
    ASSERT_TRUE(c && *c) << round;
    EXPECT_NEAR((*c)->value(Metric::kTraps, Window::kDay, kT), 2, 1e-5) << round;
    EXPECT_NEAR((*c)->value(Metric::kTraps, Window::kMonth, kT), 4, 1e-5) << round;
    if (round == 0) {
      std::vector<Update> more = {{k1, one(Metric::kVolume, 1, kT)}};
      ASSERT_TRUE((*s)->merge(more));  // numbered after the old record (42)
      EXPECT_EQ(month_volume(**s, k1), 4);
    }
  }
  EXPECT_TRUE(raw_journal(path).empty());
  auto s = RocksDbStore::open(path, resident());
  ASSERT_TRUE(s);
  EXPECT_EQ(month_volume(**s, k1), 4);
}

// Records of layout v3 (176 bytes, before Metric::kCoSigned) and resident
// checkpoints of them (176 + 8 bytes) written by an older binary are read,
// the new metric 0; the next merge writes the current layout.
TEST(RocksDbStore, ReadsLayoutV3RecordsAndCheckpoints) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  Counters c;
  c.add(Metric::kVolume, 6, kT);
  c.add(Metric::kBadHelo, 2, kT);
  const std::string v4 = encode(c);
  const std::string v3 = v4.substr(0, kEncodedSizeV3);
  std::string ckpt = v3;
  for (int i = 0; i < 8; ++i) ckpt.push_back(static_cast<char>(i == 0 ? 5 : 0));  // journal number 5
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "c:ip:198.51.100.7", v3).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "c:ip:198.51.100.8", ckpt).ok());
  }
  for (const bool res : {false, true}) {
    auto s = RocksDbStore::open(path, res ? resident() : RocksOptions{});
    ASSERT_TRUE(s) << s.error().message;
    for (const char* k : {"ip:198.51.100.7", "ip:198.51.100.8"}) {
      auto got = (*s)->get(k);
      ASSERT_TRUE(got && *got) << k;
      EXPECT_EQ((*got)->value(Metric::kVolume, Window::kMonth, kT), 6) << k;
      EXPECT_EQ((*got)->value(Metric::kBadHelo, Window::kDay, kT), 2) << k;
      const bool merged = res && std::string_view(k) == "ip:198.51.100.7";  // by the first round
      EXPECT_EQ((*got)->value(Metric::kCoSigned, Window::kDay, kT), merged ? 3 : 0) << k;
    }
    if (!res) {
      std::vector<Update> more = {{"ip:198.51.100.7", one(Metric::kCoSigned, 3, kT)}};
      ASSERT_TRUE((*s)->merge(more));
      auto got = (*s)->get("ip:198.51.100.7");
      ASSERT_TRUE(got && *got);
      EXPECT_EQ((*got)->value(Metric::kCoSigned, Window::kDay, kT), 3);
    }
  }
}

// A clock the store's threads read while the test moves it.
class SharedClock final : public Clock {
 public:
  explicit SharedClock(int64_t t) : t_(t) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(t_.load()));
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void set(int64_t t) { t_.store(t); }

 private:
  std::atomic<int64_t> t_;
};

// Identities the expiry sweep removes from memory go from disk too (a
// checkpoint deletes their records), without a compaction and without
// closing the store: a kill -9 after it finds them gone.
TEST(RocksDbResident, ExpiredIdentitiesAreDeletedOnDisk) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  const std::string old_key = "ip:192.0.2.50", fresh_key = "ip:192.0.2.51";
  const int64_t later = kT + 400 * 86400;  // past the ~138 days a single count lasts
  const uint32_t last = kill_nine_after(
      [&](int ack) {
        SharedClock clock(kT);
        RocksOptions o = resident(1 << 30);
        o.expire_below = kExpireBelow;
        o.clock = &clock;
        o.expired_checkpoint_after = std::chrono::milliseconds(20);
        auto s = RocksDbStore::open(path, o);
        if (!s) _exit(3);
        std::vector<Update> ups = {{old_key, one(Metric::kVolume, 1, kT)},
                                   {fresh_key, one(Metric::kVolume, 1, later)}};
        if (!(*s)->merge(ups) || !(*s)->checkpoint()) _exit(4);  // both on disk as checkpoint records
        clock.set(later);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {  // the sweep (every 100 ms), then the checkpoint it makes due
          auto g = (*s)->get(old_key);
          if (g && !*g && (*s)->group_commit_stats().checkpoints >= 2) break;
          if (std::chrono::steady_clock::now() > deadline) _exit(7);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        const uint32_t one_ack = 1;
        if (::write(ack, &one_ack, sizeof one_ack) != sizeof one_ack) _exit(5);
        for (;;) ::pause();  // killed: no close, no checkpoint of its own
      },
      1);
  ASSERT_EQ(last, 1u);
  RocksOptions plain;  // reads the records on disk; no expiry of its own
  plain.expire_below = 0;
  auto s = RocksDbStore::open(path, plain);
  ASSERT_TRUE(s) << s.error().message;
  auto gone = (*s)->get(old_key);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto kept = (*s)->get(fresh_key);
  ASSERT_TRUE(kept && *kept);
}

// Class states beside resident counters (lookup_many takes the counters from
// memory and the states from "s:" keys): a batch of states and a single one
// are seen at once by lookup_many and get_state, the last of a key wins, a
// plain open reads what the resident store wrote and the next resident open
// reads what the plain one wrote, counters unchanged.
TEST(RocksDbResident, ClassStatesAcrossBothModes) {
  TempDir dir;
  const std::string path = dir.path + "/db";
  const std::vector<std::string> keys = {"ip:192.0.2.1", "domain:a.example", "dkim:b.example"};
  auto states_of = [&](RocksDbStore& s) {
    std::vector<std::string> out;
    auto looks = s.lookup_many(keys);
    EXPECT_TRUE(looks) << looks.error().message;
    if (looks)
      for (const auto& l : *looks) out.push_back(l.state.value_or("-"));
    return out;
  };
  {
    auto s = RocksDbStore::open(path, resident());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->merge(std::vector<Update>{{keys[0], one(Metric::kVolume, 1, kT)}}));
    using States = std::vector<std::pair<std::string, std::string>>;
    ASSERT_TRUE((*s)->put_states(States{{keys[0], "bulk 1 2"}, {keys[1], "spammer 3"}}));
    EXPECT_EQ(states_of(**s), (std::vector<std::string>{"bulk 1 2", "spammer 3", "-"}));
    ASSERT_TRUE((*s)->put_states(States{{keys[1], "good 4 4"}, {keys[2], "bulk 5 5"}}));
    ASSERT_TRUE((*s)->put_state(keys[0], "spammer 6"));
    EXPECT_EQ(states_of(**s), (std::vector<std::string>{"spammer 6", "good 4 4", "bulk 5 5"}));
    auto one_state = (*s)->get_state(keys[1]);
    ASSERT_TRUE(one_state && *one_state);
    EXPECT_EQ(**one_state, "good 4 4");
  }
  {
    auto s = RocksDbStore::open(path, RocksOptions{});  // what the resident store wrote is on disk
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(states_of(**s), (std::vector<std::string>{"spammer 6", "good 4 4", "bulk 5 5"}));
    ASSERT_TRUE((*s)->put_state(keys[2], "spammer 7"));
  }
  auto s = RocksDbStore::open(path, resident());  // loaded at open
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(states_of(**s), (std::vector<std::string>{"spammer 6", "good 4 4", "spammer 7"}));
  EXPECT_EQ(month_volume(**s, keys[0]), 1);
}

// put_states writes a batch in key order (memtable insert hints); a key given
// twice in one batch keeps the later value, whatever the keys around it, in
// both modes and after a reopen.
TEST(RocksDbStore, StatesBatchInAnyOrderLastOfAKeyWins) {
  for (const bool res : {false, true}) {
    TempDir dir;
    const std::string path = dir.path + "/db";
    const RocksOptions o = res ? resident() : RocksOptions{};
    using States = std::vector<std::pair<std::string, std::string>>;
    const States batch = {{"spf:z.example", "bulk 1 1"},     {"ip:192.0.2.7", "spammer 2"},
                          {"dkim:a.example", "good 3 3"},    {"ip:192.0.2.7", "bulk 4 4"},
                          {"domain:m.example", "spammer 5"}, {"dkim:a.example", "spammer 6"},
                          {"ip:192.0.2.7", "good 7 7"}};
    const std::vector<std::string> keys = {"ip:192.0.2.7", "dkim:a.example", "spf:z.example",
                                           "domain:m.example"};
    const std::vector<std::string> want = {"good 7 7", "spammer 6", "bulk 1 1", "spammer 5"};
    for (int round = 0; round < 2; ++round) {  // written, then read back after a reopen
      auto s = RocksDbStore::open(path, o);
      ASSERT_TRUE(s) << s.error().message;
      if (round == 0) {
        ASSERT_TRUE((*s)->put_states(batch));
      }
      auto looks = (*s)->lookup_many(keys);
      ASSERT_TRUE(looks) << looks.error().message;
      for (size_t i = 0; i < keys.size(); ++i)
        EXPECT_EQ((*looks)[i].state.value_or("-"), want[i])
            << keys[i] << " resident " << res << " round " << round;
    }
  }
}

}  // namespace
}  // namespace rampart::reputation

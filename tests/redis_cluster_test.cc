// File: tests/redis_cluster_test.cc
// RedisClusterStore end to end: starts six redis-server processes in cluster
// mode on loopback (free ports, a private temporary directory), joins them
// with `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`,
// then:
//   Redirections  a client with a stale slot map follows MOVED; a slot in
//                 migration answers ASK and the client sends ASKING.
//   Layouts       an old 272-byte record is read and merged into the
//                 sparse layout; the script agrees with reputation::merge().
//   Failover      two stores in two threads write the same identities; a
//                 master is SIGKILLed; its replica takes over; no
//                 acknowledged update is lost and both stores read the same.
//   RateLimiter   the throttle's shared token buckets (redis_limiter.h): two
//                 clients share one bucket, TTL, the cost of a take.
//   Idempotency   merge_once() batches applied once: replayed, from another
//                 client, after timeouts against a SIGSTOPped master (and
//                 the same for a throttle take), across a CLUSTER FAILOVER.
//   Durability    a replayed operation is not acknowledged before a replica
//                 holds its first write; a master learnt from a MOVED is
//                 waited for (WAIT) like the others.
// The cluster is tests/support/redis_cluster.h. Fails (does not skip) when
// redis-server / redis-cli are missing (Debian redis-server, redis-tools).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <span>
#include <thread>

#include <gtest/gtest.h>

#include "auth/dmarc/orgdomain.h"
#include "reputation/engine.h"
#include "reputation/redis_limiter.h"
#include "reputation/redis_store.h"
#include "support/redis_cluster.h"

namespace rampart::reputation {
namespace {

using Steady = std::chrono::steady_clock;
constexpr int64_t kT = 1700000000;  // one time stamp: no decay, exact counts

using rampart::testing::node_command;
using Cluster = rampart::testing::RedisTestCluster;

template <typename F>
bool poll_until(F f, std::chrono::milliseconds limit) {
  return rampart::testing::redis_poll_until(f, limit);
}

RedisStoreOptions options_for(const Cluster& c) {
  RedisStoreOptions o;
  o.cluster.seeds = c.seeds();
  o.cluster.retry_deadline = std::chrono::seconds(30);
  return o;
}

Counters plus_one() {
  Counters d;
  d.add(Metric::kVolume, 1, kT);
  return d;
}

double volume(RedisClusterStore& s, const std::string& id) {
  auto c = s.get(id);
  if (!c || !*c) return -1;
  return (*c)->value(Metric::kVolume, Window::kMonth, kT);
}

class RedisClusterE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new Cluster();
    if (!cluster_->start()) start_error_ = cluster_->error;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    ASSERT_TRUE(start_error_.empty()) << start_error_;
  }
  static Cluster* cluster_;
  static std::string start_error_;
};
Cluster* RedisClusterE2E::cluster_ = nullptr;
std::string RedisClusterE2E::start_error_;

TEST_F(RedisClusterE2E, Redirections) {
  auto a = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(a) << a.error().message;
  auto b = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ((*a)->cluster().masters().size(), 3u);

  // MOVED: a stale map sends everything to one master.
  (*a)->cluster().route_all_to_for_test((*a)->cluster().masters()[0]);
  std::vector<Update> ups;
  for (int i = 0; i < 30; ++i)
    ups.push_back(Update{"domain:moved" + std::to_string(i) + ".example", plus_one()});
  ASSERT_TRUE((*a)->merge(ups));
  EXPECT_GT((*a)->cluster().stats().moved, 0u);
  for (const Update& u : ups) EXPECT_EQ(volume(**b, u.key), 1) << u.key;

  // ASK: the slot of one identity is being migrated to another master.
  const std::string id = "domain:ask.example";
  const uint16_t slot = key_slot("rep{" + id + "}");
  ASSERT_TRUE((*a)->cluster().refresh_topology());
  const std::string src = (*a)->cluster().master_of(slot);
  std::string dst;
  for (const std::string& m : (*a)->cluster().masters())
    if (m != src) dst = m;
  auto port_of = [](const std::string& n) { return std::stoi(n.substr(n.rfind(':') + 1)); };
  const std::string src_id = node_command(port_of(src), {"CLUSTER", "MYID"});
  const std::string dst_id = node_command(port_of(dst), {"CLUSTER", "MYID"});
  ASSERT_EQ(node_command(port_of(dst), {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", src_id}),
            "OK");
  ASSERT_EQ(node_command(port_of(src), {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", dst_id}),
            "OK");
  // Single-key commands are asked over (ASKING + command on the importing node).
  const uint64_t asks = (*a)->cluster().stats().ask;
  ASSERT_TRUE((*a)->put_state(id, "bulk 1700000000"));
  EXPECT_GT((*a)->cluster().stats().ask, asks);
  auto st = (*a)->get_state(id);
  ASSERT_TRUE(st && *st);
  EXPECT_EQ(**st, "bulk 1700000000");
  // The merge script uses two keys (counters and operation marker): the
  // importing node answers TRYAGAIN while some are missing, so the merge is
  // retried until the migration is done.
  std::vector<Update> one{{id, plus_one()}};
  Status merged;
  std::thread migrating_merge([&] { merged = (*a)->merge(one); });
  // As redis-cli does: the importing node first (it bumps its epoch), then
  // the source, then the other masters.
  std::vector<std::string> order = {dst, src};
  for (const std::string& n : (*a)->cluster().masters())
    if (n != dst && n != src) order.push_back(n);
  for (const std::string& n : order) {
    EXPECT_EQ(node_command(port_of(n), {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", dst_id}), "OK");
  }
  migrating_merge.join();
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(volume(**a, id), 1);
  const uint64_t moved = (*b)->cluster().stats().moved;
  ASSERT_TRUE((*b)->merge(one));
  EXPECT_GT((*b)->cluster().stats().moved, moved);
  EXPECT_EQ(volume(**a, id), 2);
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
}

TEST_F(RedisClusterE2E, RateLimiter) {
  RedisLimiterOptions o;
  o.cluster.seeds = cluster_->seeds();
  RedisRateLimiter a(o), b(o);
  // Two clients, one bucket: a burst of 5 at a negligible refill rate gives
  // exactly 5 tokens whichever client asks.
  const double slow = 1e-6;  // per minute
  int taken = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = (i % 2 ? a : b).take("ip:192.0.2.1", slow, 5);
    ASSERT_TRUE(r) << r.error().message;
    taken += *r ? 1 : 0;
  }
  EXPECT_EQ(taken, 5);
  // The bucket is a hash in "thr{KEY}", on the master of KEY's slot, with a
  // TTL: the time to refill (capped at a day) plus a second.
  ASSERT_NE(a.cluster(), nullptr);
  const std::string key = a.bucket_key("ip:192.0.2.1");
  EXPECT_EQ(key, "thr{ip:192.0.2.1}");
  EXPECT_EQ(key_slot(key), key_slot("ip:192.0.2.1"));
  auto ttl = a.cluster()->command({"PTTL", key});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 86000000);
  EXPECT_LE(ttl->integer, 86400000);
  // A fast bucket: 600 per minute (10 per second), burst 2: the TTL is the
  // refill time of what was taken (0.1 s per token) plus a second.
  auto o1 = a.take_outcome("user:fast", 600, 2);
  ASSERT_TRUE(o1);
  EXPECT_TRUE(o1->taken);
  EXPECT_NEAR(o1->tokens, 1.0, 1e-9);
  ttl = a.cluster()->command({"PTTL", a.bucket_key("user:fast")});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 900);
  EXPECT_LE(ttl->integer, 1100);
  // Refill from the server's clock: poll until a token is back.
  auto o2 = b.take_outcome("user:fast", 600, 2);
  ASSERT_TRUE(o2);
  EXPECT_TRUE(o2->taken);
  EXPECT_LT(o2->tokens, 1.0);
  EXPECT_TRUE(poll_until(
      [&] {
        auto back = a.take_outcome("user:fast", 600, 2);
        return back && back->taken;
      },
      std::chrono::seconds(5)));
  // An idle bucket expires once full again; a missing key is a full bucket.
  EXPECT_TRUE(poll_until(
      [&] {
        auto e = a.cluster()->command({"EXISTS", a.bucket_key("user:fast")});
        return e && e->integer == 0;
      },
      std::chrono::seconds(10)));
  auto o3 = b.take_outcome("user:fast", 600, 2);
  ASSERT_TRUE(o3);
  EXPECT_NEAR(o3->tokens, 1.0, 1e-9);

  // ip and net in one script on the net's slot: the ip bucket is charged
  // first; the net only when the ip gave a token.
  {
    const double slow_rate = 1e-6;
    auto p = [&](RedisRateLimiter& l, const std::string& ip) {
      auto r = l.take_pair(ip, slow_rate, 2, "net:198.51.100.0/24", slow_rate, 3);
      EXPECT_TRUE(r) << r.error().message;
      return r ? *r : -1;
    };
    EXPECT_EQ(p(a, "ip:198.51.100.1"), 0);
    EXPECT_EQ(p(b, "ip:198.51.100.1"), 0);
    EXPECT_EQ(p(a, "ip:198.51.100.1"), 1);  // the ip is spent, the net keeps a token
    EXPECT_EQ(p(b, "ip:198.51.100.2"), 0);
    EXPECT_EQ(p(a, "ip:198.51.100.3"), 2);  // the net is spent
    const std::string k1 = a.pair_key("net:198.51.100.0/24", "ip:198.51.100.1");
    EXPECT_EQ(k1, "thr{net:198.51.100.0/24}:ip:198.51.100.1");
    EXPECT_EQ(key_slot(k1), key_slot(a.bucket_key("net:198.51.100.0/24")));
    auto exists = a.cluster()->command({"EXISTS", k1});
    ASSERT_TRUE(exists);
    EXPECT_EQ(exists->integer, 1);
    // The net bucket is the one take() uses alone: it is empty.
    auto alone = a.take("net:198.51.100.0/24", slow_rate, 3);
    ASSERT_TRUE(alone);
    EXPECT_FALSE(*alone);
  }

  // What a take costs on loopback (one EVALSHA round trip): the throttle
  // does one per limit checked, on the event loop.
  constexpr int kTakes = 2000;
  const auto t0 = Steady::now();
  for (int i = 0; i < kTakes; ++i) {
    auto r = a.take("ip:198.51.100." + std::to_string(i % 200), 120, 240);
    ASSERT_TRUE(r) << r.error().message;
  }
  const double us = std::chrono::duration<double, std::micro>(Steady::now() - t0).count() / kTakes;
  std::printf("shared throttle: %d takes, %.1f us per take (wall, loopback)\n", kTakes, us);
  const auto t2 = Steady::now();
  for (int i = 0; i < kTakes; ++i) {
    auto r =
        a.take_pair("ip:198.51.101." + std::to_string(i % 200), 120, 240, "net:198.51.101.0/24", 1e6, 1e6);
    ASSERT_TRUE(r) << r.error().message;
  }
  const double us_pair = std::chrono::duration<double, std::micro>(Steady::now() - t2).count() / kTakes;
  std::printf("shared throttle: %d ip+net pairs, %.1f us per pair (wall, loopback)\n", kTakes, us_pair);

  // A dead cluster: an error within the deadline (the throttle falls back).
  RedisLimiterOptions dead;
  dead.cluster.seeds = {"127.0.0.1:1"};
  dead.cluster.retry_deadline = dead.cluster.connect_timeout = dead.cluster.io_timeout =
      std::chrono::milliseconds(100);
  RedisRateLimiter d(dead);
  const auto t1 = Steady::now();
  auto r = d.take("ip:192.0.2.1", 120, 240);
  EXPECT_FALSE(r);
  EXPECT_LT(Steady::now() - t1, std::chrono::seconds(2));
}

TEST_F(RedisClusterE2E, SparseRecordsMergeLikeMergeAndReadOldOnes) {
  auto s = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(s) << s.error().message;
  // A record of the earlier 272-byte layout, as an older rampart wrote it.
  Counters old;
  old.add(Metric::kVolume, 1000, kT);
  old.add(Metric::kComplaints, 2, kT);
  const std::string id = "domain:old-layout.example";
  auto set = (*s)->cluster().command({"SET", "rep{" + id + "}", encode_doubles(old)});
  ASSERT_TRUE(set);
  ASSERT_FALSE(set->is_error()) << set->str;
  auto got = (*s)->get(id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((**got).v, old.v);
  // Merges at later times (decay) with new metrics: the script's result is
  // reputation::merge()'s, up to the exp() of Lua's libm.
  Counters want = old;
  for (int i = 1; i <= 3; ++i) {
    Counters d;
    d.add(Metric::kVolume, 10 * i, kT + 3600 * i);
    d.add(i == 2 ? Metric::kTraps : Metric::kFcrdns, 1, kT + 3600 * i);
    ASSERT_TRUE((*s)->merge(std::vector<Update>{{id, d}}));
    want = merge(want, d);
  }
  got = (*s)->get(id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((**got).t, want.t);
  for (size_t i = 0; i < want.v.size(); ++i) EXPECT_FLOAT_EQ((**got).v[i], want.v[i]) << i;
  // lookup_many: counters and class state in one pipeline, absent keys empty.
  ASSERT_TRUE((*s)->put_state(id, "state-bytes"));
  const std::vector<std::string> keys = {id, "domain:absent.example"};
  auto looked = (*s)->lookup_many(keys);
  ASSERT_TRUE(looked) << looked.error().message;
  ASSERT_EQ(looked->size(), 2u);
  ASSERT_TRUE((*looked)[0].counters);
  EXPECT_EQ((*looked)[0].counters->v, (**got).v);
  EXPECT_EQ((*looked)[0].state, std::optional<std::string>("state-bytes"));
  EXPECT_FALSE((*looked)[1].counters);
  EXPECT_FALSE((*looked)[1].state);
  // Stored sparse now: volume, fcrdns, complaints, traps.
  auto raw = (*s)->cluster().command({"GET", "rep{" + id + "}"});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->str.size(), 10u + 4 * 12);
}

// Other channels' identities (issue 16) through the engine: a robocaller's
// calls on voice:, its source on sip:, classed in the cluster and read the
// same by another client (another rampartd node).
TEST_F(RedisClusterE2E, ChannelIdentitiesThroughTheEngine) {
  auto a = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(a) << a.error().message;
  auto b = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(b) << b.error().message;
  auto psl = dmarc::PublicSuffixList::from_text("com\n");
  ASSERT_TRUE(psl);
  FakeClock clock(kT);
  Engine engine(**a, clock, Thresholds{}, *psl);
  std::vector<Event> calls;
  for (int i = 0; i < 100; ++i) {
    Event e;
    e.type = EventType::kCall;
    e.time = kT + i;
    e.channel = "voice";
    e.sender = "+1 313 555 0100";
    e.ip = *IpAddress::parse("203.0.113.66");
    e.verdict = i < 20 ? Verdict::kHam : Verdict::kSpam;
    calls.push_back(e);
  }
  ASSERT_TRUE(engine.record_batch(calls));
  Engine other(**b, clock, Thresholds{}, *psl);
  for (const char* id : {"voice:+13135550100", "sip:203.0.113.66"}) {
    auto r = other.report(id, kT + 100);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
    EXPECT_NE(r->to_json().find("SPAM_VERDICTS"), std::string::npos);
    EXPECT_NEAR(r->counters.value(Metric::kVolume, Window::kMonth, kT + 99), 100, 0.1);
  }
  auto raw = (*b)->cluster().command({"EXISTS", "rep{voice:+13135550100}"});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->integer, 1);
}

int port_of(const std::string& node) { return std::stoi(node.substr(node.rfind(':') + 1)); }

// A batch named by an operation id is applied once however often it is sent:
// again by the same store, by another store (another process), with one
// identity twice in the batch; plain merge() calls are separate operations.
TEST_F(RedisClusterE2E, MergeOnceAppliesABatchOnce) {
  auto a = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(a) << a.error().message;
  auto b = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(b) << b.error().message;
  std::vector<Update> batch;
  for (int i = 0; i < 30; ++i)
    batch.push_back(Update{"domain:once" + std::to_string(i) + ".example", plus_one()});
  batch.push_back(Update{"domain:once0.example", plus_one()});  // twice in one batch: both count
  ASSERT_TRUE((*a)->merge_once(batch, "batch-1"));
  EXPECT_EQ((*a)->duplicates(), 0u);
  ASSERT_TRUE((*a)->merge_once(batch, "batch-1"));
  ASSERT_TRUE((*b)->merge_once(batch, "batch-1"));
  EXPECT_EQ((*a)->duplicates(), 30u);  // one script per identity
  EXPECT_EQ((*b)->duplicates(), 30u);
  EXPECT_EQ(volume(**b, "domain:once0.example"), 2);
  for (int i = 1; i < 30; ++i) EXPECT_EQ(volume(**b, "domain:once" + std::to_string(i) + ".example"), 1) << i;
  // Another operation id is another batch; so is each plain merge().
  ASSERT_TRUE((*b)->merge_once(std::span<const Update>(batch).subspan(1, 1), "batch-2"));
  EXPECT_EQ(volume(**a, "domain:once1.example"), 2);
  ASSERT_TRUE((*a)->merge(std::span<const Update>(batch).subspan(1, 1)));
  ASSERT_TRUE((*a)->merge(std::span<const Update>(batch).subspan(1, 1)));
  EXPECT_EQ(volume(**a, "domain:once1.example"), 4);
  // The marker is in the identity's slot and expires.
  auto ttl = (*a)->cluster().command({"TTL", "rep{domain:once3.example}:op:batch-1"});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 86000);
  EXPECT_LE(ttl->integer, 86400);
  EXPECT_FALSE((*a)->merge_once(batch, ""));
  // Store::merge_ops (the StoreService writer's call): batches by op id, a
  // replayed one skipped, a partly written one completed.
  std::vector<OpBatch> ops(2);
  ops[0].op_id = "svc-1";
  ops[0].updates = {{"domain:ops1.example", plus_one()}, {"domain:ops2.example", plus_one()}};
  ops[1].op_id = "svc-2";
  ops[1].updates = {{"domain:ops1.example", plus_one()}};
  ASSERT_TRUE(
      (*a)->merge_once(std::span<const Update>(ops[0].updates).subspan(0, 1), "svc-1"));  // half of svc-1
  auto n = (*b)->merge_ops(ops);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2u);  // svc-1 completed, svc-2 new
  n = (*b)->merge_ops(ops);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);  // both replays
  EXPECT_EQ(volume(**a, "domain:ops1.example"), 2);
  EXPECT_EQ(volume(**a, "domain:ops2.example"), 1);
}

// Redis stops answering (SIGSTOP: connections stay open, the kernel keeps
// what is sent) for longer than the client's io_timeout: the client gives up
// on each request, reconnects and sends it again, so the master runs it
// several times once it is back. Without operation markers that counts an
// update several times (checked: it is what the test provokes); with them,
// once -- also when the caller's call failed (kTemporary) and the caller
// retries the batch under the same id after Redis returns.
TEST_F(RedisClusterE2E, RetriesAfterTimeoutsCountOnce) {
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  const std::string id = "domain:timeout.example";
  auto probe = RedisCluster::connect(options_for(*cluster_).cluster);
  ASSERT_TRUE(probe) << probe.error().message;
  const int master = port_of((*probe)->master_of(key_slot("rep{" + id + "}")));
  RedisStoreOptions quick = options_for(*cluster_);
  quick.cluster.io_timeout = std::chrono::milliseconds(100);
  quick.cluster.retry_deadline = std::chrono::seconds(10);
  RedisStoreOptions plain = quick;
  plain.idempotent = false;
  auto freeze = [&](std::chrono::milliseconds ms, const std::function<void()>& during) {
    cluster_->kill_port(master, SIGSTOP);
    std::thread resume([&] {
      std::this_thread::sleep_for(ms);  // how long Redis is away (the scenario, not a wait for a result)
      cluster_->kill_port(master, SIGCONT);
    });
    during();
    resume.join();
  };
  const std::vector<Update> one{{id, plus_one()}};

  // The control: without markers the retries are counted.
  auto p = RedisClusterStore::open(plain);
  ASSERT_TRUE(p) << p.error().message;
  Status st;
  freeze(std::chrono::milliseconds(600), [&] { st = (*p)->merge(one); });
  ASSERT_TRUE(st) << st.error().message;
  const double replays = volume(**p, id);
  EXPECT_GE(replays, 2) << "the scenario did not make the client send twice";
  ASSERT_TRUE((*p)->cluster().command({"DEL", "rep{" + id + "}"}));

  // merge() and merge_once(): once each.
  auto s = RedisClusterStore::open(quick);
  ASSERT_TRUE(s) << s.error().message;
  freeze(std::chrono::milliseconds(600), [&] { st = (*s)->merge(one); });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_GT((*s)->cluster().stats().retries, 0u);
  EXPECT_EQ(volume(**s, id), 1);
  freeze(std::chrono::milliseconds(600), [&] { st = (*s)->merge_once(one, "retried-op"); });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(volume(**s, id), 2);

  // The caller's deadline passes while Redis is away (kTemporary, the
  // update in doubt); it retries the same operation later: counted once.
  RedisStoreOptions impatient = quick;
  impatient.cluster.retry_deadline = std::chrono::milliseconds(300);
  auto q = RedisClusterStore::open(impatient);
  ASSERT_TRUE(q) << q.error().message;
  freeze(std::chrono::milliseconds(600), [&] { st = (*q)->merge_once(one, "in-doubt-op"); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kTemporary);
  ASSERT_TRUE(
      poll_until([&] { return bool((*q)->merge_once(one, "in-doubt-op")); }, std::chrono::seconds(10)));
  EXPECT_EQ(volume(**s, id), 3);

  // The throttle's take: one token however often the take was sent.
  RedisLimiterOptions lo;
  lo.cluster = quick.cluster;
  RedisRateLimiter lim(lo);
  std::string bucket;  // an identity whose bucket is on the frozen master
  for (int i = 0; bucket.empty(); ++i) {
    const std::string k = "ip:203.0.113." + std::to_string(i);
    if ((*probe)->master_of(key_slot(lim.bucket_key(k))) == "127.0.0.1:" + std::to_string(master)) bucket = k;
  }
  ASSERT_TRUE(lim.take(bucket, 1e-6, 5));  // connected, 4 left
  Result<RedisRateLimiter::Outcome> took;
  freeze(std::chrono::milliseconds(600), [&] { took = lim.take_outcome(bucket, 1e-6, 5); });
  ASSERT_TRUE(took) << took.error().message;
  EXPECT_TRUE(took->taken);
  EXPECT_NEAR(took->tokens, 3, 1e-3);
  ASSERT_NE(lim.cluster(), nullptr);
  EXPECT_GT(lim.cluster()->stats().retries, 0u);
  auto after = lim.take_outcome(bucket, 1e-6, 5);
  ASSERT_TRUE(after);
  EXPECT_NEAR(after->tokens, 2, 1e-3);
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
}

// Every node stops answering (SIGSTOP: connections stay open, connects
// still complete in the kernel): a call is held for its retry deadline, not
// io_timeout for each node it tries (a topology refresh walks all six).
TEST_F(RedisClusterE2E, FrozenClusterHoldsACallItsDeadline) {
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  RedisStoreOptions o = options_for(*cluster_);
  o.cluster.io_timeout = std::chrono::milliseconds(1000);
  o.cluster.retry_deadline = std::chrono::milliseconds(250);
  auto s = RedisClusterStore::open(o);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->get("domain:frozen.example"));
  for (int p : cluster_->ports) cluster_->kill_port(p, SIGSTOP);
  std::vector<double> ms;
  for (int i = 0; i < 2; ++i) {  // the second starts with a topology refresh
    const auto t0 = Steady::now();
    auto g = (*s)->get("domain:frozen.example");
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    EXPECT_FALSE(g);
    if (!g) {
      EXPECT_EQ(g.error().code, Errc::kTemporary);
    }
  }
  for (int p : cluster_->ports) cluster_->kill_port(p, SIGCONT);
  for (double m : ms) EXPECT_LT(m, 600) << "a call outlived its 250 ms deadline";
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  EXPECT_TRUE(poll_until([&] { return bool((*s)->get("domain:frozen.example")); }, std::chrono::seconds(10)));
}

// A batch written, its master replaced by its replica (CLUSTER FAILOVER),
// the same batch sent again: the markers came over with the counters.
TEST_F(RedisClusterE2E, MergeOnceAcrossAFailover) {
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  auto s = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(s) << s.error().message;
  std::vector<Update> batch;
  for (int i = 0; i < 12; ++i)
    batch.push_back(Update{"domain:fo" + std::to_string(i) + ".example", plus_one()});
  ASSERT_TRUE((*s)->merge_once(batch, "before-failover"));
  const uint16_t slot = key_slot("rep{domain:fo0.example}");
  const std::string old_master = (*s)->cluster().master_of(slot);
  int replica = 0;
  for (int p : cluster_->ports)
    if (node_command(p, {"INFO", "replication"}).find("master_port:" + std::to_string(port_of(old_master))) !=
        std::string::npos)
      replica = p;
  ASSERT_NE(replica, 0) << "no replica of " << old_master;
  ASSERT_EQ(node_command(replica, {"CLUSTER", "FAILOVER"}), "OK");
  ASSERT_TRUE(poll_until(
      [&] {
        return (*s)->cluster().refresh_topology() &&
               (*s)->cluster().master_of(slot) == "127.0.0.1:" + std::to_string(replica);
      },
      std::chrono::seconds(30)));
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  auto fresh = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(fresh);
  ASSERT_TRUE((*fresh)->merge_once(batch, "before-failover"));
  EXPECT_EQ((*fresh)->duplicates(), batch.size());
  for (const Update& u : batch) EXPECT_EQ(volume(**fresh, u.key), 1) << u.key;
}

// The replica of `master` (its port), 0 when none is linked.
int replica_of(const Cluster& c, int master) {
  for (int p : c.ports)
    if (node_command(p, {"INFO", "replication"}).find("master_port:" + std::to_string(master)) !=
        std::string::npos)
      return p;
  return 0;
}

// How many WAIT commands `port` has run (INFO commandstats).
long wait_calls(int port) {
  const std::string s = node_command(port, {"INFO", "commandstats"});
  const size_t at = s.find("cmdstat_wait:calls=");
  return at == std::string::npos ? 0 : std::stol(s.substr(at + 19));
}

// The write reached the master, but no replica acknowledged it (the
// replica is stopped); the call fails (in doubt). The same operation sent
// again on a new connection (after a read timeout) finds its marker: the
// replay must not be acknowledged either while no replica holds the first
// write. (It was: a replay wrote nothing, and a WAIT on a connection that
// wrote nothing answers at once; had the master died then, an acknowledged
// update was gone.) Run right after the cluster formed, this also failed at
// the first write: the client's CLUSTER SLOTS listed no replica yet, so it
// sent no WAIT at all; each master's own count of connected replicas (ROLE)
// is now read with it.
TEST_F(RedisClusterE2E, AReplayIsAcknowledgedOnlyOnceAReplicaHoldsTheWrite) {
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  const std::string id = "domain:replay-wait.example";
  auto probe = RedisCluster::connect(options_for(*cluster_).cluster);
  ASSERT_TRUE(probe) << probe.error().message;
  const int master = port_of((*probe)->master_of(key_slot("rep{" + id + "}")));
  const int replica = replica_of(*cluster_, master);
  ASSERT_NE(replica, 0) << "no replica of " << master;
  RedisStoreOptions quick = options_for(*cluster_);
  quick.cluster.retry_deadline = std::chrono::milliseconds(400);
  const std::vector<Update> one{{id, plus_one()}};
  auto s = RedisClusterStore::open(quick);
  ASSERT_TRUE(s) << s.error().message;
  cluster_->kill_port(replica, SIGSTOP);
  const Status st1 = (*s)->merge_once(one, "replay-wait");
  const std::string marker = node_command(master, {"EXISTS", "rep{" + id + "}:op:replay-wait"});
  // Sent again, as the StoreService's writer retries a batch: the first
  // call's read timed out, so this goes out on a new connection.
  const uint64_t reconnects = (*s)->cluster().stats().reconnects;
  const Status st2 = (*s)->merge_once(one, "replay-wait");
  const uint64_t reconnected = (*s)->cluster().stats().reconnects - reconnects;
  cluster_->kill_port(replica, SIGCONT);
  EXPECT_FALSE(st1) << "acknowledged while the only replica was stopped";
  EXPECT_EQ(marker, "1") << "the first write did not reach the master";
  EXPECT_GT(reconnected, 0u) << "the replay did not go out on a new connection";
  EXPECT_FALSE(st2) << "the replay was acknowledged while no replica held the write";
  if (!st2) {
    EXPECT_EQ(st2.error().code, Errc::kTemporary) << st2.error().message;
  }
  // The replica is back: the replay is acknowledged, and counted once.
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  ASSERT_TRUE(
      poll_until([&] { return bool((*s)->merge_once(one, "replay-wait")); }, std::chrono::seconds(10)));
  EXPECT_EQ(volume(**s, id), 1);
}

// A failover the client has not seen: its write is redirected (MOVED) to
// the promoted replica, a master its last CLUSTER SLOTS did not list. It was
// acknowledged without a WAIT there (replicas unknown: 0), so under load an
// update the new master's own replica had not received could be lost at
// the next failover. It must be waited for like any master's.
TEST_F(RedisClusterE2E, AMasterLearntFromAMovedIsWaitedFor) {
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  const std::string id = "domain:moved-wait.example";
  const std::vector<Update> one{{id, plus_one()}};
  auto s = RedisClusterStore::open(options_for(*cluster_));
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->merge_once(one, "before"));
  const uint16_t slot = key_slot("rep{" + id + "}");
  const int old_master = port_of((*s)->cluster().master_of(slot));
  const int replica = replica_of(*cluster_, old_master);
  ASSERT_NE(replica, 0) << "no replica of " << old_master;
  ASSERT_EQ(node_command(replica, {"CLUSTER", "FAILOVER"}), "OK");
  auto probe = RedisCluster::connect(options_for(*cluster_).cluster);
  ASSERT_TRUE(probe);
  ASSERT_TRUE(poll_until(
      [&] {
        return (*probe)->refresh_topology() &&
               (*probe)->master_of(slot) == "127.0.0.1:" + std::to_string(replica);
      },
      std::chrono::seconds(30)));
  ASSERT_TRUE(cluster_->wait_healthy(cluster_->ports));
  const long waits = wait_calls(replica);
  const uint64_t moved = (*s)->cluster().stats().moved;
  ASSERT_TRUE((*s)->merge_once(one, "after"));
  EXPECT_GT((*s)->cluster().stats().moved, moved) << "the client's map was not stale: no MOVED";
  EXPECT_GT(wait_calls(replica), waits) << "acknowledged by the new master without a WAIT";
  EXPECT_EQ(volume(**s, id), 2);
}

TEST_F(RedisClusterE2E, MasterKilledNoAcknowledgedEventLost) {
  constexpr int kIds = 24;
  std::vector<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.push_back("domain:fail" + std::to_string(i) + ".example");
  struct Writer {
    std::unique_ptr<RedisClusterStore> store;
    std::vector<int64_t> acked = std::vector<int64_t>(kIds, 0);
    std::vector<int64_t> in_doubt = std::vector<int64_t>(kIds, 0);
    std::atomic<int64_t> batches{0};
    std::atomic<int64_t> failures{0};
    std::string last_error;
  };
  Writer w[2];
  for (Writer& x : w) {
    auto s = RedisClusterStore::open(options_for(*cluster_));
    ASSERT_TRUE(s) << s.error().message;
    x.store = std::move(*s);
  }
  std::atomic<bool> stop{false};
  auto run = [&](Writer& x, int offset) {
    for (int64_t n = 0; !stop.load(); ++n) {
      std::vector<Update> ups;
      std::vector<int> which;
      for (int k = 0; k < 4; ++k) {
        const int i = static_cast<int>((n * 4 + k + offset) % kIds);
        which.push_back(i);
        ups.push_back(Update{ids[static_cast<size_t>(i)], plus_one()});
      }
      auto st = x.store->merge(ups);
      for (int i : which) (st ? x.acked : x.in_doubt)[static_cast<size_t>(i)]++;
      if (!st) {
        x.failures++;
        x.last_error = st.error().message;
      }
      x.batches++;
    }
  };
  std::thread t0(run, std::ref(w[0]), 0), t1(run, std::ref(w[1]), 7);
  auto both_reach = [&](int64_t n) { return w[0].batches.load() >= n && w[1].batches.load() >= n; };
  const bool warmed = poll_until([&] { return both_reach(100); }, std::chrono::seconds(60));

  // Kill the master that serves the first identity.
  auto probe = RedisCluster::connect(options_for(*cluster_).cluster);
  ASSERT_TRUE(probe);
  const uint16_t slot = key_slot("rep{" + ids[0] + "}");
  const std::string victim = (*probe)->master_of(slot);
  const int victim_port = std::stoi(victim.substr(victim.rfind(':') + 1));
  const int64_t at_kill0 = w[0].batches.load(), at_kill1 = w[1].batches.load();
  cluster_->kill_port(victim_port, SIGKILL);

  // Failover: another node serves the slot, the cluster is ok again.
  std::vector<int> live;
  for (int p : cluster_->ports)
    if (p != victim_port) live.push_back(p);
  const bool failed_over = poll_until(
      [&] {
        if (!(*probe)->refresh_topology()) return false;
        const std::string m = (*probe)->master_of(slot);
        return !m.empty() && m != victim &&
               node_command(live[0], {"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos;
      },
      std::chrono::seconds(60));
  // Writers go on after the failover.
  const bool resumed = poll_until(
      [&] { return w[0].batches.load() >= at_kill0 + 100 && w[1].batches.load() >= at_kill1 + 100; },
      std::chrono::seconds(60));
  stop = true;
  t0.join();
  t1.join();
  ASSERT_TRUE(warmed);
  ASSERT_TRUE(failed_over) << "no failover of " << victim;
  ASSERT_TRUE(resumed) << "writers stalled: " << w[0].last_error << " / " << w[1].last_error;

  int64_t total_acked = 0, total_doubt = 0;
  for (int i = 0; i < kIds; ++i) {
    const std::string& id = ids[static_cast<size_t>(i)];
    const int64_t acked = w[0].acked[static_cast<size_t>(i)] + w[1].acked[static_cast<size_t>(i)];
    const int64_t doubt = w[0].in_doubt[static_cast<size_t>(i)] + w[1].in_doubt[static_cast<size_t>(i)];
    total_acked += acked;
    total_doubt += doubt;
    auto ca = w[0].store->get(id);
    auto cb = w[1].store->get(id);
    ASSERT_TRUE(ca && *ca && cb && *cb) << id;
    EXPECT_EQ((*ca)->v, (*cb)->v) << "clients disagree on " << id;
    const double v = (*ca)->value(Metric::kVolume, Window::kMonth, kT);
    EXPECT_GE(v, static_cast<double>(acked)) << id << ": acknowledged updates lost";
    EXPECT_LE(v, static_cast<double>(acked + doubt)) << id << ": counted twice";
  }
  std::printf(
      "failover of %s: %lld acknowledged updates, %lld in doubt, MOVED %llu/%llu, retries %llu/%llu\n",
      victim.c_str(), static_cast<long long>(total_acked), static_cast<long long>(total_doubt),
      static_cast<unsigned long long>(w[0].store->cluster().stats().moved),
      static_cast<unsigned long long>(w[1].store->cluster().stats().moved),
      static_cast<unsigned long long>(w[0].store->cluster().stats().retries),
      static_cast<unsigned long long>(w[1].store->cluster().stats().retries));
  EXPECT_EQ(w[0].failures + w[1].failures, 0) << w[0].last_error << " / " << w[1].last_error;
}

}  // namespace
}  // namespace rampart::reputation

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
// Every wait polls with a deadline; every process is stopped at the end.
// Skips when redis-server / redis-cli are missing (Debian redis-server,
// redis-tools).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "reputation/redis_store.h"

namespace rampart::reputation {
namespace {

using Steady = std::chrono::steady_clock;
constexpr int64_t kT = 1700000000;  // one time stamp: no decay, exact counts

template <typename F>
bool poll_until(F f, std::chrono::milliseconds limit) {
  const auto deadline = Steady::now() + limit;
  for (;;) {
    if (f()) return true;
    if (Steady::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
}

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  FILE* f = std::fopen(log.c_str(), "w");
  if (f) {
    ::dup2(::fileno(f), 1);
    ::dup2(::fileno(f), 2);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  _exit(127);
}

int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  const bool done = poll_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One synchronous command on one node, for the test's own checks.
std::string node_command(int port, const std::vector<std::string>& argv) {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (!c || c->err) {
    if (c) redisFree(c);
    return "";
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (const auto& a : argv) {
    p.push_back(a.c_str());
    l.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(p.size()), p.data(), l.data()));
  std::string out;
  if (r) {
    if (r->str) out.assign(r->str, r->len);
    if (r->type == REDIS_REPLY_INTEGER) out = std::to_string(r->integer);
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

struct Cluster {
  std::string dir;
  std::vector<int> ports;
  std::vector<pid_t> pids;
  std::string error;

  bool start() {
    char tmpl[] = "/tmp/rampart-redis-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pick(20000, 45000);
    while (ports.size() < 6) {
      const int p = pick(rng);
      bool clash = false;
      for (int q : ports) clash |= (q == p || q + 10000 == p || q == p + 10000);
      if (!clash && port_free(p) && port_free(p + 10000)) ports.push_back(p);
    }
    for (int p : ports) {
      const std::string ps = std::to_string(p);
      pids.push_back(spawn({"/usr/bin/redis-server",
                            "--port",
                            ps,
                            "--bind",
                            "127.0.0.1",
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            dir + "/nodes-" + ps + ".conf",
                            "--cluster-node-timeout",
                            "1000",
                            "--appendonly",
                            "no",
                            "--save",
                            "",
                            "--dir",
                            dir,
                            "--daemonize",
                            "no",
                            "--protected-mode",
                            "no",
                            "--repl-diskless-sync",
                            "yes",
                            "--repl-diskless-sync-delay",
                            "0",
                            "--cluster-replica-validity-factor",
                            "0"},
                           dir + "/redis-" + ps + ".log"));
    }
    for (int p : ports)
      if (!poll_until([&] { return node_command(p, {"PING"}) == "PONG"; }, std::chrono::seconds(20))) {
        error = "redis-server on port " + std::to_string(p) + " did not answer PING";
        return false;
      }
    std::vector<std::string> create = {"/usr/bin/redis-cli", "--cluster", "create"};
    for (int p : ports) create.push_back("127.0.0.1:" + std::to_string(p));
    for (const char* a : {"--cluster-replicas", "1", "--cluster-yes"}) create.push_back(a);
    const pid_t cli = spawn(create, dir + "/create.log");
    if (wait_exit(cli, std::chrono::seconds(90)) != 0) {
      error = "redis-cli --cluster create failed (see " + dir + "/create.log)";
      return false;
    }
    return wait_healthy(ports);
  }

  bool wait_healthy(const std::vector<int>& live) {
    const bool ok = poll_until(
        [&] {
          for (int p : live) {
            if (node_command(p, {"CLUSTER", "INFO"}).find("cluster_state:ok") == std::string::npos)
              return false;
            const std::string repl = node_command(p, {"INFO", "replication"});
            if (repl.find("role:slave") != std::string::npos &&
                repl.find("master_link_status:up") == std::string::npos)
              return false;
          }
          return true;
        },
        std::chrono::seconds(60));
    if (!ok) error = "cluster did not become healthy";
    return ok;
  }

  std::vector<std::string> seeds() const {
    std::vector<std::string> s;
    for (int p : ports) s.push_back("127.0.0.1:" + std::to_string(p));
    return s;
  }

  void kill_port(int port, int sig) {
    for (size_t i = 0; i < ports.size(); ++i)
      if (ports[i] == port && pids[i] > 0) {
        ::kill(pids[i], sig);
        if (sig == SIGKILL) {
          ::waitpid(pids[i], nullptr, 0);
          pids[i] = -1;
        }
      }
  }

  ~Cluster() {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, SIGTERM);
    for (pid_t& p : pids)
      if (p > 0) {
        wait_exit(p, std::chrono::seconds(10));
        p = -1;
      }
    if (!dir.empty() && !::getenv("RAMPART_KEEP_REDIS")) std::filesystem::remove_all(dir);
  }
};

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
    if (::access("/usr/bin/redis-server", X_OK) != 0 || ::access("/usr/bin/redis-cli", X_OK) != 0) return;
    cluster_ = new Cluster();
    if (!cluster_->start()) start_error_ = cluster_->error;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "redis-server / redis-cli missing (scripts/install-deps.sh)";
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
  // Stored sparse now: volume, fcrdns, complaints, traps.
  auto raw = (*s)->cluster().command({"GET", "rep{" + id + "}"});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->str.size(), 10u + 4 * 12);
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

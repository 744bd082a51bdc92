// File: tests/support/redis_cluster.h
// A Redis Cluster for tests: six Debian redis-server processes in cluster
// mode on 127.0.0.1 (free ports, a private temporary directory), joined by
// `redis-cli --cluster create ... --cluster-replicas 1` into 3 masters + 3
// replicas. Every wait polls with a deadline; every process is stopped by
// the destructor (RAMPART_KEEP_REDIS=1 keeps the directory and its logs).
//
//   rampart::testing::RedisTestCluster c;
//   ASSERT_TRUE(c.start()) << c.error;          // fails (never skips) without redis-server / redis-cli
//   c.seeds();                                  // {"127.0.0.1:P1", ...}
//   c.kill_port(port, SIGKILL);                 // a master dies
//   c.wait_healthy(live_ports);                 // cluster_state:ok, replicas linked
//   rampart::testing::node_command(port, {"CLUSTER", "INFO"});
//
// Used by tests/redis_cluster_test.cc (the store between clients) and
// tests/rampartd_cluster_test.cc (two rampartd nodes).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace rampart::testing {

template <typename F>
bool redis_poll_until(F f, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (f()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
}

inline bool loopback_port_free(int port) {
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

inline pid_t redis_spawn(const std::vector<std::string>& argv, const std::string& log) {
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

// Exit status, or -1 (killed at the deadline, or by a signal).
inline int redis_wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  const bool done = redis_poll_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One synchronous command on one node, for a test's own checks ("" on failure).
inline std::string node_command(int port, const std::vector<std::string>& argv) {
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

struct RedisTestCluster {
  std::string dir;
  std::vector<int> ports;
  std::vector<pid_t> pids;
  std::string error;

  RedisTestCluster() = default;
  RedisTestCluster(const RedisTestCluster&) = delete;
  RedisTestCluster& operator=(const RedisTestCluster&) = delete;

  bool start() {
    if (::access("/usr/bin/redis-server", X_OK) != 0 || ::access("/usr/bin/redis-cli", X_OK) != 0) {
      error = "redis-server / redis-cli missing (Debian redis-server, redis-tools; scripts/install-deps.sh)";
      return false;
    }
    char tmpl[] = "/tmp/rampart-redis-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      error = "mkdtemp failed";
      return false;
    }
    dir = tmpl;
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pick(20000, 45000);
    while (ports.size() < 6) {
      const int p = pick(rng);
      bool clash = false;
      for (int q : ports) clash |= (q == p || q + 10000 == p || q == p + 10000);
      if (!clash && loopback_port_free(p) && loopback_port_free(p + 10000)) ports.push_back(p);
    }
    for (int p : ports) {
      const std::string ps = std::to_string(p);
      pids.push_back(redis_spawn({"/usr/bin/redis-server",
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
      if (!redis_poll_until([&] { return node_command(p, {"PING"}) == "PONG"; }, std::chrono::seconds(20))) {
        error = "redis-server on port " + std::to_string(p) + " did not answer PING";
        return false;
      }
    std::vector<std::string> create = {"/usr/bin/redis-cli", "--cluster", "create"};
    for (int p : ports) create.push_back("127.0.0.1:" + std::to_string(p));
    for (const char* a : {"--cluster-replicas", "1", "--cluster-yes"}) create.push_back(a);
    const pid_t cli = redis_spawn(create, dir + "/create.log");
    if (redis_wait_exit(cli, std::chrono::seconds(90)) != 0) {
      error = "redis-cli --cluster create failed (see " + dir + "/create.log)";
      return false;
    }
    return wait_healthy(ports);
  }

  // Every node in `live` says cluster_state:ok and every replica among them is linked.
  bool wait_healthy(const std::vector<int>& live) {
    const bool ok = redis_poll_until(
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

  ~RedisTestCluster() {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, SIGTERM);
    for (pid_t& p : pids)
      if (p > 0) {
        redis_wait_exit(p, std::chrono::seconds(10));
        p = -1;
      }
    if (!dir.empty() && !::getenv("RAMPART_KEEP_REDIS")) std::filesystem::remove_all(dir);
  }
};

}  // namespace rampart::testing

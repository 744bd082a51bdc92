// File: src/reputation/redis_cluster.h
// A synchronous Redis Cluster client over hiredis (Debian libhiredis-dev):
// key slots (CRC16 with hash tags), topology from CLUSTER SLOTS, MOVED and
// ASK redirections, failover (connection loss, CLUSTERDOWN, TRYAGAIN:
// refresh the topology and retry until a deadline), pipelines per node, and
// WAIT for replica acknowledgement.
//
//   reputation::RedisClusterOptions o;
//   o.seeds = {"127.0.0.1:7000", "127.0.0.1:7001"};
//   auto c = reputation::RedisCluster::connect(o);         // Result<unique_ptr>
//   auto r = (*c)->command({"SET", "user:{42}:name", "x"});  // Result<Reply>
//   std::vector<RedisCluster::Request> batch = ...;       // each with a key
//   auto replies = (*c)->pipeline(batch);                  // routed per slot, one round trip per node
//   reputation::key_slot("{user1000}.following");          // 5474 ... same as "{user1000}.followers"
//
// Routing: a command goes to the master of its key's slot. "-MOVED slot
// host:port" updates that slot and retries there (a full refresh only after
// many redirections in one call: the redirecting node's answer is fresher
// than another node's CLUSTER SLOTS); "-ASK slot host:port" sends ASKING then the command to that node
// once, without changing the map. Connection errors, "-CLUSTERDOWN" and
// "-TRYAGAIN" refresh the topology from any known node and retry with a
// short backoff, polling until RedisClusterOptions::retry_deadline.
// The deadline bounds the whole call: every connect and socket read is cut
// to what is left of it (io_timeout at most) and a topology refresh stops
// trying nodes once it passed, so a cluster that stops answering (SIGSTOP,
// a partition: connections stay open) holds a call retry_deadline, not
// io_timeout for each of its nodes.
// One RedisCluster belongs to one thread.
//
// DIAGNOSTICS: Errc::kTemporary when the deadline passes without an answer
// (node down, failover not finished), with the last error seen; a Redis
// error reply other than the redirections above comes back as a Reply with
// type kError (not a failure of the call); kInvalidArgument for a bad seed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct redisContext;

namespace rampart::reputation {

// CRC16-CCITT (XMODEM), as Redis Cluster uses it.
uint16_t crc16(std::string_view data);
// The hash slot of a key: CRC16 of the hash tag ({...}, first '{' to the next
// '}', when non-empty) or of the whole key, mod 16384.
uint16_t key_slot(std::string_view key);
constexpr uint16_t kSlots = 16384;

struct Reply {
  enum class Type : uint8_t { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // string, status, error
  int64_t integer = 0;
  std::vector<Reply> elements;
  bool is_error() const { return type == Type::kError; }
};

struct RedisClusterOptions {
  std::vector<std::string> seeds;  // "host:port"
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds io_timeout{1000};
  std::chrono::milliseconds retry_deadline{20000};  // per call, across failover
};

struct RedisClusterStats {
  uint64_t moved = 0, ask = 0, refreshes = 0, reconnects = 0, retries = 0;
};

class RedisCluster {
 public:
  struct Request {
    std::string key;                // routes the request (slot)
    std::vector<std::string> argv;  // the command
  };

  static Result<std::unique_ptr<RedisCluster>> connect(RedisClusterOptions options);
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // argv[1] is the key (GET, SET, ...); use command_for for other layouts.
  Result<Reply> command(const std::vector<std::string>& argv);
  Result<Reply> command_for(std::string_view key, const std::vector<std::string>& argv);
  // Every request routed by its key; pipelined per node; redirections and
  // failover handled per request. With wait_replicas > 0, a WAIT is sent to
  // each node after its requests and a request counts as done only when its
  // node's WAIT reached that many replicas (else it is retried: the caller's
  // commands must be idempotent then). Replies in request order.
  Result<std::vector<Reply>> pipeline(
      const std::vector<Request>& requests, int wait_replicas = 0,
      std::chrono::milliseconds wait_timeout = std::chrono::milliseconds(1000));
  // A command on every master (SCAN, FLUSHALL, SCRIPT LOAD): replies per master "host:port".
  Result<std::map<std::string, Reply>> on_masters(const std::vector<std::string>& argv);

  // One command on one node, no routing (SCAN, INFO, tests).
  Result<Reply> command_on(const std::string& node, const std::vector<std::string>& argv) {
    return send_one(node, argv, false);
  }
  const std::vector<std::string>& masters() const { return nodes_; }

  Status refresh_topology();
  // "host:port" of the master serving `slot` ("" when unknown).
  std::string master_of(uint16_t slot) const;
  const RedisClusterStats& stats() const { return stats_; }
  // Tests: route every slot to one node, as a client with a stale map would.
  void route_all_to_for_test(const std::string& node);

 private:
  struct Conn;
  explicit RedisCluster(RedisClusterOptions options);
  Result<Conn*> conn(const std::string& node);
  void drop(const std::string& node);
  // `t`, cut to what is left of the current call's deadline (none: `t`).
  std::chrono::milliseconds bounded(std::chrono::milliseconds t) const;
  // Sets the connection's socket timeout to bounded(base, io_timeout when
  // 0); false when the call's deadline has passed.
  bool arm(Conn& c, std::chrono::milliseconds base = std::chrono::milliseconds(0));
  // The deadline of the pipeline()/on_masters() call in progress (the
  // outermost one), so that no read, connect or refresh outlives it.
  struct CallDeadline {
    CallDeadline(RedisCluster& c, std::chrono::steady_clock::time_point d) : c_(c), outer_(c.call_deadline_) {
      if (outer_ == std::chrono::steady_clock::time_point{} || d < outer_) c_.call_deadline_ = d;
    }
    ~CallDeadline() { c_.call_deadline_ = outer_; }
    CallDeadline(const CallDeadline&) = delete;
    CallDeadline& operator=(const CallDeadline&) = delete;
    RedisCluster& c_;
    std::chrono::steady_clock::time_point outer_;
  };
  Result<Reply> send_one(const std::string& node, const std::vector<std::string>& argv, bool asking);
  void set_slot(uint16_t slot, const std::string& node);
  // Replicas the last CLUSTER SLOTS listed for master `node`; -1: not a
  // master in it (learnt from a MOVED since).
  int replicas_of(const std::string& node) const;

  RedisClusterOptions options_;
  std::vector<std::string> nodes_;  // index -> "host:port"
  std::array<uint16_t, kSlots> slot_node_{};
  std::vector<std::string> known_;  // every node seen (seeds, masters, replicas)
  // master -> replicas: CLUSTER SLOTS listed (failed ones are not) or,
  // when more, its ROLE showed connected.
  std::map<std::string, int> replicas_;
  std::map<std::string, std::unique_ptr<Conn>> conns_;
  RedisClusterStats stats_;
  bool need_refresh_ = false;
  std::chrono::steady_clock::time_point call_deadline_{};
};

}  // namespace rampart::reputation

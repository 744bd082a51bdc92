// File: src/reputation/redis_cluster.cc
// Redis Cluster client: slots, topology, redirections, failover retries.
#include "reputation/redis_cluster.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace rampart::reputation {

namespace {

constexpr uint16_t kNoNode = 0xFFFF;

// CRC16 XMODEM (poly 0x1021, init 0), bitwise; fast enough next to a round trip.
uint16_t crc16_update(uint16_t crc, unsigned char b) {
  crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(b) << 8));
  for (int i = 0; i < 8; ++i)
    crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  return crc;
}

Reply convert(const redisReply* r) {
  Reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: break;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "MOVED 3999 127.0.0.1:6381" -> slot, node (an empty host means `from`'s host).
bool parse_redirect(std::string_view err, std::string_view from, uint16_t& slot, std::string& node) {
  const size_t a = err.find(' ');
  if (a == std::string_view::npos) return false;
  const size_t b = err.find(' ', a + 1);
  if (b == std::string_view::npos) return false;
  unsigned v = 0;
  auto r = std::from_chars(err.data() + a + 1, err.data() + b, v);
  if (r.ec != std::errc() || v >= kSlots) return false;
  slot = static_cast<uint16_t>(v);
  node = std::string(err.substr(b + 1));
  if (!node.empty() && node[0] == ':') node = std::string(from.substr(0, from.rfind(':'))) + node;
  return !node.empty();
}

bool retryable_error(std::string_view e) {
  return starts_with(e, "CLUSTERDOWN") || starts_with(e, "TRYAGAIN") || starts_with(e, "LOADING") ||
         starts_with(e, "MASTERDOWN") || starts_with(e, "READONLY");
}

timeval to_tv(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

uint16_t crc16(std::string_view data) {
  uint16_t crc = 0;
  for (char c : data) crc = crc16_update(crc, static_cast<unsigned char>(c));
  return crc;
}

uint16_t key_slot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<uint16_t>(crc16(key) & (kSlots - 1));
}

struct RedisCluster::Conn {
  redisContext* ctx = nullptr;
  std::chrono::milliseconds timeout{0};  // the socket's read/write timeout now
  ~Conn() {
    if (ctx) redisFree(ctx);
  }
};

RedisCluster::RedisCluster(RedisClusterOptions options) : options_(std::move(options)) {
  slot_node_.fill(kNoNode);
}
RedisCluster::~RedisCluster() = default;

Result<std::unique_ptr<RedisCluster>> RedisCluster::connect(RedisClusterOptions options) {
  if (options.seeds.empty()) return fail(Errc::kInvalidArgument, "redis cluster: no seed nodes");
  for (const std::string& s : options.seeds)
    if (s.rfind(':') == std::string::npos)
      return fail(Errc::kInvalidArgument, "redis cluster: bad seed " + s);
  std::unique_ptr<RedisCluster> c(new RedisCluster(std::move(options)));
  c->known_ = c->options_.seeds;
  const auto deadline = std::chrono::steady_clock::now() + c->options_.retry_deadline;
  const CallDeadline scope(*c, deadline);
  for (;;) {
    auto st = c->refresh_topology();
    if (st) return c;
    if (std::chrono::steady_clock::now() >= deadline) return tl::unexpected(st.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<RedisCluster::Conn*> RedisCluster::conn(const std::string& node) {
  auto it = conns_.find(node);
  if (it != conns_.end()) return it->second.get();
  const size_t colon = node.rfind(':');
  if (colon == std::string::npos) return fail(Errc::kInvalidArgument, "redis: bad node " + node);
  const std::string host = node.substr(0, colon);
  int port = 0;
  auto pr = std::from_chars(node.data() + colon + 1, node.data() + node.size(), port);
  if (pr.ec != std::errc()) return fail(Errc::kInvalidArgument, "redis: bad port in " + node);
  const auto budget = bounded(options_.connect_timeout);
  if (budget.count() <= 0) return fail(Errc::kTemporary, "redis " + node + ": call deadline passed");
  auto c = std::make_unique<Conn>();
  c->ctx = redisConnectWithTimeout(host.c_str(), port, to_tv(budget));
  if (!c->ctx) return fail(Errc::kTemporary, "redis " + node + ": cannot allocate context");
  if (c->ctx->err) return fail(Errc::kTemporary, "redis " + node + ": " + c->ctx->errstr);
  c->timeout = options_.io_timeout;
  redisSetTimeout(c->ctx, to_tv(c->timeout));
  ++stats_.reconnects;
  Conn* raw = c.get();
  conns_[node] = std::move(c);
  return raw;
}

void RedisCluster::drop(const std::string& node) { conns_.erase(node); }

std::chrono::milliseconds RedisCluster::bounded(std::chrono::milliseconds t) const {
  if (call_deadline_ == std::chrono::steady_clock::time_point{}) return t;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(call_deadline_ - std::chrono::steady_clock::now());
  return std::min(t, left);
}

bool RedisCluster::arm(Conn& c, std::chrono::milliseconds base) {
  const auto t = bounded(base.count() > 0 ? base : options_.io_timeout);
  if (t.count() <= 0) return false;
  if (t != c.timeout) {
    redisSetTimeout(c.ctx, to_tv(t));
    c.timeout = t;
  }
  return true;
}

Result<Reply> RedisCluster::send_one(const std::string& node, const std::vector<std::string>& argv,
                                     bool asking) {
  auto c = conn(node);
  if (!c) return tl::unexpected(c.error());
  if (!arm(**c)) return fail(Errc::kTemporary, "redis " + node + ": call deadline passed");
  redisContext* ctx = (*c)->ctx;
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (const std::string& a : argv) {
    p.push_back(a.data());
    l.push_back(a.size());
  }
  if (asking) {
    const char* ask = "ASKING";
    const size_t ask_len = 6;
    redisAppendCommandArgv(ctx, 1, &ask, &ask_len);
  }
  redisAppendCommandArgv(ctx, static_cast<int>(p.size()), p.data(), l.data());
  Reply out;
  for (int i = 0; i < (asking ? 2 : 1); ++i) {
    void* r = nullptr;
    if (redisGetReply(ctx, &r) != REDIS_OK || !r) {
      const std::string e = ctx->errstr;
      drop(node);
      return fail(Errc::kTemporary, "redis " + node + ": " + e);
    }
    out = convert(static_cast<redisReply*>(r));
    freeReplyObject(r);
  }
  return out;
}

Status RedisCluster::refresh_topology() {
  ++stats_.refreshes;
  std::string last = "no node answered";
  // Current masters first, then everything known.
  std::vector<std::string> order = nodes_;
  for (const std::string& k : known_)
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  for (const std::string& node : order) {
    if (bounded(options_.io_timeout).count() <= 0) break;  // the call's deadline passed
    auto r = send_one(node, {"CLUSTER", "SLOTS"}, false);
    if (!r) {
      last = r.error().message;
      continue;
    }
    if (r->type != Reply::Type::kArray || r->elements.empty()) {
      last = "redis " + node + ": CLUSTER SLOTS: " + (r->is_error() ? r->str : std::string("no slots"));
      continue;
    }
    std::array<uint16_t, kSlots> map{};
    map.fill(kNoNode);
    std::vector<std::string> nodes;
    std::map<std::string, int> replicas;
    auto name = [&](const Reply& n) -> std::string {
      if (n.type != Reply::Type::kArray || n.elements.size() < 2) return {};
      std::string host = n.elements[0].str;
      if (host.empty()) host = node.substr(0, node.rfind(':'));
      return host + ":" + std::to_string(n.elements[1].integer);
    };
    for (const Reply& range : r->elements) {
      if (range.type != Reply::Type::kArray || range.elements.size() < 3) continue;
      const int64_t lo = range.elements[0].integer, hi = range.elements[1].integer;
      const std::string master = name(range.elements[2]);
      if (master.empty() || lo < 0 || hi >= kSlots || lo > hi) continue;
      auto it = std::find(nodes.begin(), nodes.end(), master);
      const auto idx = static_cast<uint16_t>(it - nodes.begin());
      if (it == nodes.end()) nodes.push_back(master);
      for (int64_t s = lo; s <= hi; ++s) map[static_cast<size_t>(s)] = idx;
      replicas[master] = static_cast<int>(range.elements.size()) - 3;
      for (size_t k = 2; k < range.elements.size(); ++k) {
        const std::string n = name(range.elements[k]);
        if (!n.empty() && std::find(known_.begin(), known_.end(), n) == known_.end()) known_.push_back(n);
      }
    }
    // CLUSTER SLOTS is one node's gossip: just after a cluster forms, or
    // under load (a replica briefly marked failed), it may list fewer
    // replicas than a master has, and WAIT would be capped below what the
    // master can reach (down to no WAIT at all). Ask each master (ROLE)
    // which replicas are connected to it and wait for those too.
    for (const std::string& m : nodes) {
      if (bounded(options_.io_timeout).count() <= 0) break;
      auto role = send_one(m, {"ROLE"}, false);
      if (!role || role->type != Reply::Type::kArray || role->elements.size() < 3 ||
          role->elements[0].str != "master" || role->elements[2].type != Reply::Type::kArray)
        continue;
      int& n = replicas[m];
      n = std::max(n, static_cast<int>(role->elements[2].elements.size()));
    }
    nodes_ = std::move(nodes);
    slot_node_ = map;
    replicas_ = std::move(replicas);
    need_refresh_ = false;
    return {};
  }
  return fail(Errc::kTemporary, "redis cluster topology: " + last);
}

std::string RedisCluster::master_of(uint16_t slot) const {
  const uint16_t i = slot_node_[slot];
  return i == kNoNode || i >= nodes_.size() ? std::string() : nodes_[i];
}

int RedisCluster::replicas_of(const std::string& node) const {
  auto it = replicas_.find(node);
  return it == replicas_.end() ? -1 : it->second;
}

void RedisCluster::route_all_to_for_test(const std::string& node) {
  nodes_ = {node};
  slot_node_.fill(0);
}

void RedisCluster::set_slot(uint16_t slot, const std::string& node) {
  auto it = std::find(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end()) {
    nodes_.push_back(node);
    it = nodes_.end() - 1;
  }
  slot_node_[slot] = static_cast<uint16_t>(it - nodes_.begin());
}

Result<Reply> RedisCluster::command(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return fail(Errc::kInvalidArgument, "redis: command without a key");
  return command_for(argv[1], argv);
}

Result<Reply> RedisCluster::command_for(std::string_view key, const std::vector<std::string>& argv) {
  std::vector<Request> one{Request{std::string(key), argv}};
  auto r = pipeline(one);
  if (!r) return tl::unexpected(r.error());
  return std::move((*r)[0]);
}

Result<std::vector<Reply>> RedisCluster::pipeline(const std::vector<Request>& requests, int wait_replicas,
                                                  std::chrono::milliseconds wait_timeout) {
  std::vector<Reply> out(requests.size());
  std::vector<size_t> pending(requests.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  const auto deadline = std::chrono::steady_clock::now() + options_.retry_deadline;
  // Every connect, read and topology refresh of this call ends by `deadline`.
  const CallDeadline scope(*this, deadline);
  auto backoff = std::chrono::milliseconds(5);
  std::string last_error;
  unsigned moved_in_call = 0;
  const std::string wait_ms = std::to_string(wait_timeout.count());

  while (!pending.empty()) {
    if (need_refresh_) {
      if (auto st = refresh_topology(); !st) last_error = st.error().message;
    }
    std::map<std::string, std::vector<size_t>> by_node;
    std::vector<size_t> next;
    bool slept_worthy = false;
    for (size_t i : pending) {
      const std::string node = master_of(key_slot(requests[i].key));
      if (node.empty()) {
        need_refresh_ = true;
        next.push_back(i);
        slept_worthy = true;
        last_error = "no master for slot " + std::to_string(key_slot(requests[i].key));
      } else {
        by_node[node].push_back(i);
      }
    }
    for (auto& [node, idxs] : by_node) {
      auto c = conn(node);
      if (c && !arm(**c)) c = fail(Errc::kTemporary, "redis " + node + ": call deadline passed");
      if (!c) {
        last_error = c.error().message;
        need_refresh_ = true;
        slept_worthy = true;
        next.insert(next.end(), idxs.begin(), idxs.end());
        continue;
      }
      redisContext* ctx = (*c)->ctx;
      std::vector<const char*> p;
      std::vector<size_t> l;
      for (size_t i : idxs) {
        p.clear();
        l.clear();
        for (const std::string& a : requests[i].argv) {
          p.push_back(a.data());
          l.push_back(a.size());
        }
        redisAppendCommandArgv(ctx, static_cast<int>(p.size()), p.data(), l.data());
      }
      // A master not in the last CLUSTER SLOTS (learnt from a MOVED: a
      // replica promoted since) has an unknown number of replicas: ask for
      // them all; a WAIT short of that refreshes the map and retries.
      const int listed = replicas_of(node);
      const int want = listed < 0 ? wait_replicas : std::min(wait_replicas, listed);
      if (want > 0) {
        const std::string n = std::to_string(want);
        const char* w[3] = {"WAIT", n.c_str(), wait_ms.c_str()};
        const size_t wl[3] = {4, n.size(), wait_ms.size()};
        redisAppendCommandArgv(ctx, 3, w, wl);
      }
      std::vector<size_t> done;  // tentatively complete (pending the WAIT)
      bool io_failed = false;
      for (size_t k = 0; k < idxs.size() + (want > 0 ? 1 : 0); ++k) {
        void* raw = nullptr;
        // The WAIT may block wait_timeout on the server before it answers:
        // read it with that much more time than io_timeout, so a slow
        // replica costs a retry on this connection, not a reconnect.
        if (k == idxs.size() && !arm(**c, options_.io_timeout + wait_timeout)) {
          last_error = "redis " + node + ": call deadline passed";
          io_failed = true;
          break;
        }
        if (redisGetReply(ctx, &raw) != REDIS_OK || !raw) {
          last_error = "redis " + node + ": " + ctx->errstr;
          io_failed = true;
          break;
        }
        Reply r = convert(static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        if (k == idxs.size()) {  // the WAIT
          if (r.type != Reply::Type::kInteger || r.integer < want) {
            last_error = "redis " + node + ": WAIT reached " + std::to_string(r.integer) + " of " +
                         std::to_string(want) + " replicas";
            need_refresh_ = true;
            slept_worthy = true;
            next.insert(next.end(), done.begin(), done.end());
            done.clear();
          }
          break;
        }
        const size_t i = idxs[k];
        if (r.is_error()) {
          uint16_t slot = 0;
          std::string target;
          if (starts_with(r.str, "MOVED ") && parse_redirect(r.str, node, slot, target)) {
            // The answer of the node that knows wins over a possibly stale
            // CLUSTER SLOTS from another node: update the slot only; refresh
            // the whole map when redirections keep coming.
            ++stats_.moved;
            last_error = "redis " + node + ": " + r.str;
            set_slot(slot, target);
            if (++moved_in_call > 64) {
              need_refresh_ = true;
              moved_in_call = 0;
            }
            next.push_back(i);
            continue;
          }
          if (starts_with(r.str, "ASK ") && parse_redirect(r.str, node, slot, target)) {
            ++stats_.ask;
            auto a = send_one(target, requests[i].argv, true);
            if (!a || (a->is_error() && retryable_error(a->str))) {
              last_error = a ? a->str : a.error().message;
              slept_worthy = true;
              next.push_back(i);
              continue;
            }
            const int listed_t = replicas_of(target);
            const int want_t = listed_t < 0 ? wait_replicas : std::min(wait_replicas, listed_t);
            if (want_t > 0) {
              auto w = send_one(target, {"WAIT", std::to_string(want_t), wait_ms}, false);
              if (!w || w->type != Reply::Type::kInteger || w->integer < want_t) {
                last_error = "redis " + target + ": WAIT after ASK not reached";
                slept_worthy = true;
                next.push_back(i);
                continue;
              }
            }
            out[i] = std::move(*a);
            continue;
          }
          if (retryable_error(r.str)) {
            last_error = "redis " + node + ": " + r.str;
            need_refresh_ = true;
            slept_worthy = true;
            next.push_back(i);
            continue;
          }
        }
        out[i] = std::move(r);
        done.push_back(i);
      }
      if (io_failed) {
        // Every request of this node without a final reply is retried.
        drop(node);
        need_refresh_ = true;
        slept_worthy = true;
        for (size_t i : idxs)
          if (std::find(next.begin(), next.end(), i) == next.end() &&
              (want > 0 || std::find(done.begin(), done.end(), i) == done.end()))
            next.push_back(i);
      }
    }
    pending = std::move(next);
    if (pending.empty()) break;
    ++stats_.retries;
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(Errc::kTemporary, "redis cluster: gave up after retries: " + last_error);
    if (slept_worthy) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          backoff, deadline - std::chrono::steady_clock::now()));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
    }
  }
  return out;
}

Result<std::map<std::string, Reply>> RedisCluster::on_masters(const std::vector<std::string>& argv) {
  const CallDeadline scope(*this, std::chrono::steady_clock::now() + options_.retry_deadline);
  if (need_refresh_) {
    if (auto st = refresh_topology(); !st) return tl::unexpected(st.error());
  }
  std::map<std::string, Reply> out;
  for (const std::string& node : std::vector<std::string>(nodes_)) {
    auto r = send_one(node, argv, false);
    if (!r) return tl::unexpected(r.error());
    out[node] = std::move(*r);
  }
  return out;
}

}  // namespace rampart::reputation

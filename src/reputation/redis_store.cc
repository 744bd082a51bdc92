// File: src/reputation/redis_store.cc
// Decayed counters in Redis Cluster through a merge script.
#include "reputation/redis_store.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace rampart::reputation {

namespace {

// The doubles layout (no longer written; read) holds at most the 14 metrics
// of layout v3 (kMetricCountV3); the sparse layout holds every metric.
constexpr size_t kDoubles = 1 + kMetricCountV3 * kWindowCount;
constexpr size_t kDoubleBytes = 8 * kDoubles;

// KEYS[1] counters, KEYS[2] operation marker; ARGV[1] packed delta,
// ARGV[2] "1" when idempotent, ARGV[3] marker TTL, ARGV[4] the expiry
// threshold (0: none): the record is SET with EX = its decay horizon, the
// time until its largest value, decayed, falls below the threshold
// (max of tau * ln(v / threshold) over the values). Same arithmetic as
// reputation::merge(): decay both sides to the later time stamp, add.
// Records are read in any layout (sparse floats, 344, 272 or 248 bytes of
// doubles: the first 14, 11 or 10 metrics) and written sparse: double time,
// uint16 metric mask, 3 floats (hour, day, month) per non-zero metric (15
// metrics: 46 values with the time).
constexpr std::string_view kScript = R"lua(
local taus = {3600, 86400, 2592000}
local function dec(s)
  local n = string.len(s)
  local c = {}
  if n == 344 or n == 272 or n == 248 then
    local v = {struct.unpack('<' .. string.rep('d', n / 8), s)}
    for i = 1, 46 do
      if i <= n / 8 then c[i] = v[i] else c[i] = 0 end
    end
    return c
  end
  if n < 10 or (n - 10) % 12 ~= 0 then return nil end
  local t, mask = struct.unpack('<dH', s)
  c[1] = t
  for i = 2, 46 do c[i] = 0 end
  local pos = 11
  for m = 0, 14 do
    if bit.band(mask, bit.lshift(1, m)) ~= 0 then
      if pos + 11 > n then return nil end
      c[2 + m * 3], c[3 + m * 3], c[4 + m * 3] = struct.unpack('<fff', s, pos)
      pos = pos + 12
    end
  end
  if pos ~= n + 1 then return nil end
  return c
end
local function enc(c)
  local mask, parts = 0, {}
  for m = 0, 14 do
    local h, d, mo = c[2 + m * 3], c[3 + m * 3], c[4 + m * 3]
    if h ~= 0 or d ~= 0 or mo ~= 0 then
      mask = mask + bit.lshift(1, m)
      parts[#parts + 1] = struct.pack('<fff', h, d, mo)
    end
  end
  return struct.pack('<dH', c[1], mask) .. table.concat(parts)
end
local below = tonumber(ARGV[4]) or 0
local function put(c)
  if below <= 0 then return redis.call('SET', KEYS[1], enc(c)) end
  local ttl = 1
  for m = 0, 10 do
    for w = 1, 3 do
      local v = math.abs(c[1 + m * 3 + w])
      if v > below then ttl = math.max(ttl, math.ceil(taus[w] * math.log(v / below))) end
    end
  end
  return redis.call('SET', KEYS[1], enc(c), 'EX', ttl)
end
local d = dec(ARGV[1])
if not d then return redis.error_reply('ERR rampart: bad counter delta') end
if ARGV[2] == '1' then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[3])) then
    -- A replay. Still write (the marker's expiry): the client's WAIT then
    -- covers this write, which replicas receive after the first one, by
    -- offset, not by what the server counts for a connection that wrote
    -- nothing (a new one, after a read timeout).
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
    return 0
  end
end
local cur = redis.call('GET', KEYS[1])
local c = cur and dec(cur)
if not c then
  put(d)
  return 1
end
local t = math.max(c[1], d[1])
local out = {t}
for m = 0, 14 do
  for w = 1, 3 do
    local i = 1 + m * 3 + w
    out[i] = c[i] * math.exp(-(t - c[1]) / taus[w]) + d[i] * math.exp(-(t - d[1]) / taus[w])
  end
end
put(out)
return 1
)lua";
static_assert(kDoubles == 43, "the script reads 43 doubles (34 before the sender signals, 31 before bot)");
static_assert(kMetricCount == 15, "the script's sparse layout has 15 metrics (46 values with the time)");
constexpr size_t kDoubleBytesV1 = 8 * (1 + kMetricCountV1 * kWindowCount);
constexpr size_t kDoubleBytesV2 = 8 * (1 + kMetricCountV2 * kWindowCount);
static_assert(kDoubleBytesV1 == 248 && kDoubleBytesV2 == 272 && kDoubleBytes == 344,
              "the script's record sizes");

void put_double(std::string& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

double get_double(const char* p) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

}  // namespace

std::string_view merge_script() { return kScript; }

std::string encode_doubles(const Counters& c) {
  std::string out;
  out.reserve(kDoubleBytesV2);
  put_double(out, static_cast<double>(c.t));
  for (size_t i = 0; i < kMetricCountV2 * kWindowCount; ++i) put_double(out, c.v[i]);
  return out;
}

std::string encode_sparse(const Counters& c) {
  std::string out;
  out.reserve(10 + 12 * kMetricCount);
  put_double(out, static_cast<double>(c.t));
  uint16_t mask = 0;
  for (size_t m = 0; m < kMetricCount; ++m)
    for (size_t w = 0; w < kWindowCount; ++w)
      if (c.v[m * kWindowCount + w] != 0.0f) mask = static_cast<uint16_t>(mask | (1u << m));
  out.push_back(static_cast<char>(mask & 0xff));
  out.push_back(static_cast<char>(mask >> 8));
  for (size_t m = 0; m < kMetricCount; ++m) {
    if (!(mask & (1u << m))) continue;
    for (size_t w = 0; w < kWindowCount; ++w) {
      uint32_t bits;
      std::memcpy(&bits, &c.v[m * kWindowCount + w], 4);
      for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
    }
  }
  return out;
}

Result<Counters> decode_record(std::string_view b) {
  if (b.size() == kDoubleBytes || b.size() == kDoubleBytesV2 || b.size() == kDoubleBytesV1)
    return decode_doubles(b);
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  const uint16_t mask = b.size() >= 10 ? static_cast<uint16_t>(p[8] | (p[9] << 8)) : 0;
  if (b.size() < 10 || (mask >> kMetricCount) != 0 ||
      b.size() != 10 + 12 * static_cast<size_t>(__builtin_popcount(mask)))
    return fail(Errc::kParse, "redis counter value of " + std::to_string(b.size()) +
                                  " bytes: neither the sparse layout nor 344 (or 272, 248) bytes of doubles");
  Counters c;
  c.t = static_cast<int64_t>(get_double(b.data()));
  size_t at = 10;
  for (size_t m = 0; m < kMetricCount; ++m) {
    if (!(mask & (1u << m))) continue;
    for (size_t w = 0; w < kWindowCount; ++w, at += 4) {
      const uint32_t bits = uint32_t{p[at]} | (uint32_t{p[at + 1]} << 8) | (uint32_t{p[at + 2]} << 16) |
                            (uint32_t{p[at + 3]} << 24);
      std::memcpy(&c.v[m * kWindowCount + w], &bits, 4);
    }
  }
  return c;
}

Result<Counters> decode_doubles(std::string_view b) {
  if (b.size() != kDoubleBytes && b.size() != kDoubleBytesV2 && b.size() != kDoubleBytesV1)
    return fail(Errc::kParse, "redis counter value of " + std::to_string(b.size()) +
                                  " bytes, want 344 (or 272 before the sender signals, 248 before bot)");
  Counters c;
  c.t = static_cast<int64_t>(get_double(b.data()));
  const size_t n = b.size() / 8 - 1;  // v1: the first metrics; the rest stay 0
  for (size_t i = 0; i < n; ++i) c.v[i] = static_cast<float>(get_double(b.data() + 8 * (i + 1)));
  return c;
}

RedisClusterStore::RedisClusterStore(RedisStoreOptions options, std::unique_ptr<RedisCluster> cluster)
    : options_(std::move(options)), cluster_(std::move(cluster)) {
  std::random_device rd;
  const uint64_t id = (uint64_t{rd()} << 32) ^ rd();
  char b[24];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(id));
  client_id_ = b;
}

Result<std::unique_ptr<RedisClusterStore>> RedisClusterStore::open(RedisStoreOptions options) {
  const bool lazy = options.lazy_connect;
  std::unique_ptr<RedisClusterStore> s(new RedisClusterStore(std::move(options), nullptr));
  if (lazy) return s;  // connects on first use
  if (auto st = s->ensure_connected(); !st) return tl::unexpected(st.error());
  return s;
}

Status RedisClusterStore::ensure_connected() {
  if (cluster_) return {};
  auto c = RedisCluster::connect(options_.cluster);
  if (!c) return fail(Errc::kTemporary, "redis cluster not reachable: " + c.error().message);
  auto loaded = (*c)->on_masters({"SCRIPT", "LOAD", std::string(kScript)});
  if (!loaded) return fail(Errc::kTemporary, "redis cluster: " + loaded.error().message);
  for (const auto& [node, r] : *loaded) {
    if (r.type != Reply::Type::kString) return fail(Errc::kIo, "redis " + node + ": SCRIPT LOAD: " + r.str);
    sha_ = r.str;
  }
  cluster_ = std::move(*c);
  return {};
}

std::string RedisClusterStore::counter_key(std::string_view id) const {
  std::string k;
  k.reserve(options_.prefix.size() + id.size() + 2);
  k.append(options_.prefix).append("{").append(id).append("}");
  return k;
}

namespace {
// One update per identity, in first-seen order, the deltas of an identity
// named more than once combined with reputation::merge() (updates commute:
// applying the sum is applying each). A batch of scan events names the same
// ip:, net: and domain: thousands of times; one script per identity keeps a
// batch within the call's deadline, and the marker per (operation,
// identity) is then exact.
std::vector<Update> coalesce(std::span<const Update> updates) {
  std::vector<Update> out;
  out.reserve(updates.size());
  std::unordered_map<std::string_view, size_t> at;
  for (const Update& u : updates) {
    auto [it, fresh] = at.try_emplace(u.key, out.size());
    if (fresh) {
      out.push_back(u);
    } else {
      Update& o = out[it->second];
      o.delta = reputation::merge(o.delta, u.delta);
    }
  }
  return out;
}
}  // namespace

Status RedisClusterStore::merge(std::span<const Update> updates) {
  const std::vector<Update> ups = coalesce(updates);
  std::vector<std::string> ids;
  ids.reserve(ups.size());
  for (size_t i = 0; i < ups.size(); ++i) ids.push_back(client_id_ + ":" + std::to_string(++seq_));
  return apply(ups, ids);
}

Status RedisClusterStore::merge_once(std::span<const Update> updates, std::string_view op_id) {
  if (op_id.empty()) return fail(Errc::kInvalidArgument, "redis merge_once: empty operation id");
  const std::vector<Update> ups = coalesce(updates);
  return apply(ups, std::vector<std::string>(ups.size(), std::string(op_id)));
}

Result<size_t> RedisClusterStore::merge_ops(std::span<const OpBatch> ops) {
  std::vector<Update> ups;
  std::vector<std::string> ids;
  std::vector<size_t> batch_of;
  for (size_t b = 0; b < ops.size(); ++b) {
    const std::string id = ops[b].op_id.empty() ? client_id_ + ":" + std::to_string(++seq_) : ops[b].op_id;
    for (Update& u : coalesce(ops[b].updates)) {
      ups.push_back(std::move(u));
      ids.push_back(id);
      batch_of.push_back(b);
    }
  }
  std::vector<uint8_t> fresh;
  if (auto st = apply(ups, ids, &fresh); !st) return tl::unexpected(st.error());
  std::vector<uint8_t> applied(ops.size(), 0);
  for (size_t b = 0; b < ops.size(); ++b)
    if (ops[b].updates.empty()) applied[b] = 1;
  for (size_t i = 0; i < ups.size(); ++i)
    if (fresh[i]) applied[batch_of[i]] = 1;
  return static_cast<size_t>(std::count(applied.begin(), applied.end(), uint8_t{1}));
}

Status RedisClusterStore::apply(std::span<const Update> updates, const std::vector<std::string>& op_ids,
                                std::vector<uint8_t>* fresh) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  if (fresh) fresh->assign(updates.size(), 0);
  std::vector<RedisCluster::Request> reqs;
  reqs.reserve(updates.size());
  const std::string ttl = std::to_string(options_.op_ttl_seconds);
  const std::string below = std::to_string(options_.expire_below);
  for (size_t i = 0; i < updates.size(); ++i) {
    std::string key = counter_key(updates[i].key);
    std::string marker = key + ":op:" + op_ids[i];
    reqs.push_back(RedisCluster::Request{key,
                                         {"EVALSHA", sha_, "2", key, marker, encode_sparse(updates[i].delta),
                                          options_.idempotent ? "1" : "0", ttl, below}});
  }
  auto replies = cluster_->pipeline(reqs, options_.wait_replicas);
  if (!replies) return tl::unexpected(replies.error());
  // The script answers 1 when it applied the delta, 0 for a marker already set.
  auto note = [&](size_t i, const Reply& r) {
    if (r.type == Reply::Type::kInteger && r.integer == 0) {
      ++duplicates_;
    } else if (fresh) {
      (*fresh)[i] = 1;
    }
  };
  // A node that lost its script cache (a promoted replica, a restart): EVAL.
  std::vector<RedisCluster::Request> again;
  std::vector<size_t> again_idx;
  for (size_t i = 0; i < replies->size(); ++i) {
    const Reply& r = (*replies)[i];
    if (r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0) {
      RedisCluster::Request q = reqs[i];
      q.argv[0] = "EVAL";
      q.argv[1] = std::string(kScript);
      again.push_back(std::move(q));
      again_idx.push_back(i);
    } else if (r.is_error()) {
      return fail(Errc::kIo, "redis merge " + updates[i].key + ": " + r.str);
    } else {
      note(i, r);
    }
  }
  if (!again.empty()) {
    auto r2 = cluster_->pipeline(again, options_.wait_replicas);
    if (!r2) return tl::unexpected(r2.error());
    for (size_t k = 0; k < r2->size(); ++k) {
      if ((*r2)[k].is_error()) return fail(Errc::kIo, "redis merge: " + (*r2)[k].str);
      note(again_idx[k], (*r2)[k]);
    }
  }
  return {};
}

Result<std::optional<Counters>> RedisClusterStore::get(std::string_view key) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  auto r = cluster_->command({"GET", counter_key(key)});
  if (!r) return tl::unexpected(r.error());
  if (r->type == Reply::Type::kNil) return std::optional<Counters>();
  if (r->type != Reply::Type::kString) return fail(Errc::kIo, "redis GET: " + r->str);
  auto c = decode_record(r->str);
  if (!c) return tl::unexpected(c.error());
  return std::optional<Counters>(*c);
}

Result<std::vector<std::optional<Counters>>> RedisClusterStore::get_many(std::span<const std::string> keys) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  std::vector<RedisCluster::Request> reqs;
  for (const std::string& k : keys) {
    std::string ck = counter_key(k);
    reqs.push_back(RedisCluster::Request{ck, {"GET", ck}});
  }
  auto replies = cluster_->pipeline(reqs);
  if (!replies) return tl::unexpected(replies.error());
  std::vector<std::optional<Counters>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const Reply& r = (*replies)[i];
    if (r.type == Reply::Type::kNil) continue;
    if (r.type != Reply::Type::kString) return fail(Errc::kIo, "redis GET: " + r.str);
    auto c = decode_record(r.str);
    if (!c) return tl::unexpected(c.error());
    out[i] = *c;
  }
  return out;
}

Result<std::vector<Store::Lookup>> RedisClusterStore::lookup_many(std::span<const std::string> keys) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  // Counter and state keys share the hash tag: one slot, one node per identity.
  std::vector<RedisCluster::Request> reqs;
  reqs.reserve(2 * keys.size());
  for (const std::string& k : keys) {
    std::string ck = counter_key(k);
    reqs.push_back(RedisCluster::Request{ck, {"GET", ck}});
    std::string sk = ck + ":s";
    reqs.push_back(RedisCluster::Request{sk, {"GET", sk}});
  }
  auto replies = cluster_->pipeline(reqs);
  if (!replies) return tl::unexpected(replies.error());
  std::vector<Lookup> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const Reply& c = (*replies)[2 * i];
    const Reply& st = (*replies)[2 * i + 1];
    for (const Reply* r : {&c, &st})
      if (r->type != Reply::Type::kNil && r->type != Reply::Type::kString)
        return fail(Errc::kIo, "redis GET: " + r->str);
    if (c.type == Reply::Type::kString) {
      auto d = decode_record(c.str);
      if (!d) return tl::unexpected(d.error());
      out[i].counters = *d;
    }
    if (st.type == Reply::Type::kString) out[i].state = st.str;
  }
  return out;
}

Status RedisClusterStore::put_state(std::string_view key, std::string_view value) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  const std::string k = counter_key(key) + ":s";
  auto r =
      cluster_->pipeline({RedisCluster::Request{k, {"SET", k, std::string(value)}}}, options_.wait_replicas);
  if (!r) return tl::unexpected(r.error());
  if ((*r)[0].is_error()) return fail(Errc::kIo, "redis SET: " + (*r)[0].str);
  return {};
}

Result<std::optional<std::string>> RedisClusterStore::get_state(std::string_view key) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  auto r = cluster_->command({"GET", counter_key(key) + ":s"});
  if (!r) return tl::unexpected(r.error());
  if (r->type == Reply::Type::kNil) return std::optional<std::string>();
  if (r->type != Reply::Type::kString) return fail(Errc::kIo, "redis GET: " + r->str);
  return std::optional<std::string>(r->str);
}

Status RedisClusterStore::for_each_key(const std::function<bool(std::string_view)>& fn) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  // SCAN every master; counter keys are exactly "<prefix>{I}".
  if (auto st = cluster_->refresh_topology(); !st) return st;
  const std::string pattern = options_.prefix + "{*}";
  for (const std::string& node : std::vector<std::string>(cluster_->masters())) {
    std::string cursor = "0";
    do {
      auto r = cluster_->command_on(node, {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (!r) return tl::unexpected(r.error());
      if (r->type != Reply::Type::kArray || r->elements.size() != 2)
        return fail(Errc::kIo, "redis SCAN on " + node);
      cursor = r->elements[0].str;
      for (const Reply& k : r->elements[1].elements) {
        const std::string& s = k.str;
        if (s.size() < options_.prefix.size() + 2 || s.back() != '}') continue;
        if (!fn(std::string_view(s).substr(options_.prefix.size() + 1,
                                           s.size() - options_.prefix.size() - 2)))
          return {};
      }
    } while (cursor != "0");
  }
  return {};
}

}  // namespace rampart::reputation

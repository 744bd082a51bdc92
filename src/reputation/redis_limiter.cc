// File: src/reputation/redis_limiter.cc
// Token buckets in Redis Cluster (see redis_limiter.h).
#include "reputation/redis_limiter.h"

#include <cstdio>
#include <cstdlib>
#include <random>

namespace rampart::reputation {

namespace {

// KEYS[1] is the take's operation marker; the buckets, on its slot, are
// KEYS[2..], taken in order: bucket i with ARGV[2i-1] tokens per
// millisecond and ARGV[2i] burst; ARGV[#ARGV - 1] is the marker's TTL in ms,
// the last ARGV the buckets' TTL cap in ms. A bucket is only touched when
// every one before it gave a token. Returns {i of the bucket that refused,
// or 0 when all gave one; the tokens left in the last bucket looked at, as a
// string}, and keeps that answer in the marker: the same take sent again
// (the client's retry after a lost reply) gets it back without taking again.
constexpr std::string_view kScript = R"lua(
local prev = redis.call('GET', KEYS[1])
if prev then
  local i, l = string.match(prev, '^(%d+) (.*)$')
  return {tonumber(i), l}
end
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local cap = tonumber(ARGV[#ARGV])
local op_ttl = tonumber(ARGV[#ARGV - 1])
local function done(i, left)
  local l = string.format('%.17g', left)
  redis.call('SET', KEYS[1], i .. ' ' .. l, 'PX', op_ttl)
  return {i, l}
end
local left = 0
for i = 1, #KEYS - 1 do
  local key = KEYS[i + 1]
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local b = redis.call('HMGET', key, 't', 'n')
  local last, tokens = now, burst
  if b[1] and b[2] then
    last = tonumber(b[1])
    tokens = tonumber(b[2])
    if now > last then
      tokens = math.min(burst, tokens + (now - last) * rate)
      last = now
    end
  end
  if tokens < 1 then return done(i, tokens) end
  tokens = tokens - 1
  local ttl = cap
  if rate > 0 then ttl = math.min(ttl, math.ceil((burst - tokens) / rate) + 1000) end
  redis.call('HSET', key, 't', string.format('%.0f', last), 'n', string.format('%.17g', tokens))
  redis.call('PEXPIRE', key, ttl)
  left = tokens
end
return done(0, left)
)lua";

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

}  // namespace

std::string_view rate_limit_script() { return kScript; }

RedisRateLimiter::RedisRateLimiter(RedisLimiterOptions options) : options_(std::move(options)) {
  std::random_device rd;
  char b[24];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>((uint64_t{rd()} << 32) ^ rd()));
  client_id_ = b;
}
RedisRateLimiter::~RedisRateLimiter() = default;

std::string RedisRateLimiter::bucket_key(std::string_view key) const {
  std::string k;
  k.reserve(options_.prefix.size() + key.size() + 2);
  k.append(options_.prefix).append("{").append(key).append("}");
  return k;
}

Status RedisRateLimiter::ensure_connected() {
  if (cluster_) return {};
  auto c = RedisCluster::connect(options_.cluster);
  if (!c) return tl::unexpected(c.error());
  auto loaded = (*c)->on_masters({"SCRIPT", "LOAD", std::string(kScript)});
  if (!loaded) return tl::unexpected(loaded.error());
  for (const auto& [node, r] : *loaded) {
    if (r.type != Reply::Type::kString)
      return fail(Errc::kTemporary, "redis " + node + ": SCRIPT LOAD: " + r.str);
    sha_ = r.str;
  }
  cluster_ = std::move(*c);
  return {};
}

std::string RedisRateLimiter::pair_key(std::string_view tag, std::string_view key) const {
  std::string k = bucket_key(tag);
  if (key != tag) k.append(":").append(key);
  return k;
}

Result<bool> RedisRateLimiter::take(std::string_view key, double per_minute, double burst) {
  auto o = take_outcome(key, per_minute, burst);
  if (!o) return tl::unexpected(o.error());
  return o->taken;
}

Result<std::pair<int, double>> RedisRateLimiter::run(const std::vector<std::string>& keys,
                                                     const std::vector<double>& per_minute_and_burst) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  const std::string& k = keys.back();
  // The marker carries the last bucket's hash tag: the same slot.
  std::string marker = bucket_key(k.substr(k.find('{') + 1, k.find('}') - k.find('{') - 1));
  marker.append(":op:").append(client_id_).append(":").append(std::to_string(++seq_));
  std::vector<std::string> argv = {"EVALSHA", sha_, std::to_string(keys.size() + 1), marker};
  argv.insert(argv.end(), keys.begin(), keys.end());
  for (size_t i = 0; i < per_minute_and_burst.size(); ++i)
    argv.push_back(num(i % 2 == 0 ? per_minute_and_burst[i] / 60000.0 : per_minute_and_burst[i]));
  // The marker outlives every retry of this call.
  const auto op_ttl =
      2 * (options_.cluster.retry_deadline + options_.cluster.io_timeout) + std::chrono::milliseconds(1000);
  argv.push_back(std::to_string(op_ttl.count()));
  argv.push_back(std::to_string(options_.max_ttl.count()));
  auto r = cluster_->command_for(k, argv);
  if (r && r->is_error() && r->str.rfind("NOSCRIPT", 0) == 0) {  // a promoted replica, a restart
    argv[0] = "EVAL";
    argv[1] = std::string(kScript);
    r = cluster_->command_for(k, argv);
  }
  if (!r) return fail(Errc::kTemporary, "throttle " + k + ": " + r.error().message);
  if (r->type != Reply::Type::kArray || r->elements.size() != 2 ||
      r->elements[0].type != Reply::Type::kInteger || r->elements[0].integer < 0 ||
      r->elements[0].integer > static_cast<int64_t>(keys.size()))
    return fail(Errc::kTemporary, "throttle " + k + ": unexpected reply " + (r->is_error() ? r->str : ""));
  return std::pair<int, double>(static_cast<int>(r->elements[0].integer),
                                std::strtod(r->elements[1].str.c_str(), nullptr));
}

Result<RedisRateLimiter::Outcome> RedisRateLimiter::take_outcome(std::string_view key, double per_minute,
                                                                 double burst) {
  auto r = run({bucket_key(key)}, {per_minute, burst});
  if (!r) return tl::unexpected(r.error());
  return Outcome{r->first == 0, r->second};
}

Result<int> RedisRateLimiter::take_pair(std::string_view first, double first_per_minute, double first_burst,
                                        std::string_view second, double second_per_minute,
                                        double second_burst) {
  // Both on the slot of the second key (the wider one: the network).
  auto r = run({pair_key(second, first), pair_key(second, second)},
               {first_per_minute, first_burst, second_per_minute, second_burst});
  if (!r) return tl::unexpected(r.error());
  return r->first;
}

}  // namespace rampart::reputation

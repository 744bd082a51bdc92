// File: src/reputation/redis_limiter.cc
// Token buckets in Redis Cluster (see redis_limiter.h).
#include "reputation/redis_limiter.h"

#include <cstdio>
#include <cstdlib>

namespace rampart::reputation {

namespace {

// KEYS[1] bucket; ARGV[1] tokens per millisecond, ARGV[2] burst, ARGV[3]
// TTL cap in ms. Returns {1 taken | 0 refused, tokens left as a string}.
constexpr std::string_view kScript = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'n')
local last, tokens = now, burst
if b[1] and b[2] then
  last = tonumber(b[1])
  tokens = tonumber(b[2])
  if now > last then
    tokens = math.min(burst, tokens + (now - last) * rate)
    last = now
  end
end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
local ttl = tonumber(ARGV[3])
if rate > 0 then ttl = math.min(ttl, math.ceil((burst - tokens) / rate) + 1000) end
redis.call('HSET', KEYS[1], 't', string.format('%.0f', last), 'n', string.format('%.17g', tokens))
redis.call('PEXPIRE', KEYS[1], ttl)
return {taken, string.format('%.17g', tokens)}
)lua";

// Two buckets on one slot, in order: KEYS[1], KEYS[2]; ARGV[1], ARGV[2] rate
// and burst of the first, ARGV[3], ARGV[4] of the second, ARGV[5] the TTL
// cap. The second is only touched when the first gave a token. Returns 0
// both taken, 1 first refused, 2 second refused.
constexpr std::string_view kPairScript = R"lua(
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local cap = tonumber(ARGV[5])
for i = 1, 2 do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local b = redis.call('HMGET', KEYS[i], 't', 'n')
  local last, tokens = now, burst
  if b[1] and b[2] then
    last = tonumber(b[1])
    tokens = tonumber(b[2])
    if now > last then
      tokens = math.min(burst, tokens + (now - last) * rate)
      last = now
    end
  end
  if tokens < 1 then return i end
  tokens = tokens - 1
  local ttl = cap
  if rate > 0 then ttl = math.min(ttl, math.ceil((burst - tokens) / rate) + 1000) end
  redis.call('HSET', KEYS[i], 't', string.format('%.0f', last), 'n', string.format('%.17g', tokens))
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
)lua";

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

}  // namespace

std::string_view rate_limit_script() { return kScript; }

RedisRateLimiter::RedisRateLimiter(RedisLimiterOptions options) : options_(std::move(options)) {}
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
  for (auto [script, sha] : {std::pair{kScript, &sha_}, std::pair{kPairScript, &pair_sha_}}) {
    auto loaded = (*c)->on_masters({"SCRIPT", "LOAD", std::string(script)});
    if (!loaded) return tl::unexpected(loaded.error());
    for (const auto& [node, r] : *loaded) {
      if (r.type != Reply::Type::kString)
        return fail(Errc::kTemporary, "redis " + node + ": SCRIPT LOAD: " + r.str);
      *sha = r.str;
    }
  }
  cluster_ = std::move(*c);
  return {};
}

std::string RedisRateLimiter::pair_key(std::string_view tag, std::string_view key) const {
  std::string k = bucket_key(tag);
  if (key != tag) k.append(":").append(key);
  return k;
}

Result<int> RedisRateLimiter::take_pair(std::string_view first, double first_per_minute, double first_burst,
                                        std::string_view second, double second_per_minute,
                                        double second_burst) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  // Both on the slot of the second key (the wider one: the network).
  const std::string k1 = pair_key(second, first), k2 = pair_key(second, second);
  std::vector<std::string> argv = {"EVALSHA",
                                   pair_sha_,
                                   "2",
                                   k1,
                                   k2,
                                   num(first_per_minute / 60000.0),
                                   num(first_burst),
                                   num(second_per_minute / 60000.0),
                                   num(second_burst),
                                   std::to_string(options_.max_ttl.count())};
  auto r = cluster_->command_for(k2, argv);
  if (r && r->is_error() && r->str.rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = std::string(kPairScript);
    r = cluster_->command_for(k2, argv);
  }
  if (!r) return fail(Errc::kTemporary, "throttle " + k2 + ": " + r.error().message);
  if (r->type != Reply::Type::kInteger || r->integer < 0 || r->integer > 2)
    return fail(Errc::kTemporary, "throttle " + k2 + ": unexpected reply " + (r->is_error() ? r->str : ""));
  return static_cast<int>(r->integer);
}

Result<bool> RedisRateLimiter::take(std::string_view key, double per_minute, double burst) {
  auto o = take_outcome(key, per_minute, burst);
  if (!o) return tl::unexpected(o.error());
  return o->taken;
}

Result<RedisRateLimiter::Outcome> RedisRateLimiter::take_outcome(std::string_view key, double per_minute,
                                                                 double burst) {
  if (auto st = ensure_connected(); !st) return tl::unexpected(st.error());
  const std::string k = bucket_key(key);
  std::vector<std::string> argv = {"EVALSHA",
                                   sha_,
                                   "1",
                                   k,
                                   num(per_minute / 60000.0),
                                   num(burst),
                                   std::to_string(options_.max_ttl.count())};
  auto r = cluster_->command_for(k, argv);
  if (r && r->is_error() && r->str.rfind("NOSCRIPT", 0) == 0) {  // a promoted replica, a restart
    argv[0] = "EVAL";
    argv[1] = std::string(kScript);
    r = cluster_->command_for(k, argv);
  }
  if (!r) return fail(Errc::kTemporary, "throttle " + k + ": " + r.error().message);
  if (r->type != Reply::Type::kArray || r->elements.size() != 2 ||
      r->elements[0].type != Reply::Type::kInteger)
    return fail(Errc::kTemporary, "throttle " + k + ": unexpected reply " + (r->is_error() ? r->str : ""));
  Outcome out;
  out.taken = r->elements[0].integer == 1;
  out.tokens = std::strtod(r->elements[1].str.c_str(), nullptr);
  return out;
}

}  // namespace rampart::reputation

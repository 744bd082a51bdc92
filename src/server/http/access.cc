// File: src/server/http/access.cc
// Bearer tokens with rights (see access.h).
#include "server/http/access.h"

#include <algorithm>
#include <chrono>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <toml++/toml.h>

#include "core/base64.h"
#include "core/strings.h"

namespace rampart::server {

namespace {

constexpr std::pair<std::string_view, Right> kRights[] = {
    {"scan", Right::kScan},     {"read", Right::kRead},       {"learn", Right::kLearn},
    {"events", Right::kEvents}, {"reports", Right::kReports}, {"override", Right::kOverride},
    {"calls", Right::kCalls},   {"publish", Right::kPublish}, {"admin", Right::kAdmin}};

std::array<uint8_t, 32> sha256(std::string_view s) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string o;
  o.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    o.push_back(kDigits[p[i] >> 4]);
    o.push_back(kDigits[p[i] & 15]);
  }
  return o;
}

}  // namespace

bool parse_right(std::string_view name, Right& out) {
  for (const auto& [n, r] : kRights)
    if (n == name) {
      out = r;
      return true;
    }
  return false;
}

std::string_view right_name(Right r) {
  for (const auto& [n, v] : kRights)
    if (v == r) return n;
  return "?";
}

Result<AccessControl> AccessControl::from(const Config& cfg) {
  // Read through Section so the keys count as read for Config::finish():
  // a misspelt key inside a token is reported there with its position.
  const size_t mark = cfg.error_count();
  AccessControl ac;
  Section http = cfg.section("http");
  for (Section t : http.tables("tokens")) {
    ApiToken tok;
    tok.name = t.string("name", "");
    if (tok.name.empty()) {
      t.invalid("name", "each token needs a name");
      continue;
    }
    const std::string hash = t.string("sha256", "");
    bool hex_ok = hash.size() == 64;
    for (size_t k = 0; hex_ok && k < 32; ++k) {
      const int hi = hexval(hash[2 * k]), lo = hexval(hash[2 * k + 1]);
      if (hi < 0 || lo < 0)
        hex_ok = false;
      else
        tok.sha256[k] = static_cast<uint8_t>(hi * 16 + lo);
    }
    if (!hex_ok) {
      t.invalid("sha256",
                "token " + tok.name + ": sha256 must be 64 hex digits (rampart token new prints it)");
      continue;
    }
    const std::vector<std::string> rights = t.strings("rights");
    if (rights.empty()) t.invalid("rights", "token " + tok.name + ": rights (a non-empty array) is required");
    bool rights_ok = !rights.empty();
    for (const std::string& r : rights) {
      Right right{};
      if (!parse_right(r, right)) {
        t.invalid("rights",
                  "token " + tok.name + ": unknown right \"" + r +
                      "\" (use scan, read, learn, events, reports, override, calls, publish, admin)");
        rights_ok = false;
        continue;
      }
      tok.rights |= static_cast<uint32_t>(right);
    }
    if (!rights_ok) continue;
    if (t.has("rate")) {
      const double rate = t.number("rate", 0, 1e-9, 1e7);
      const double burst = t.number("burst", std::max(1.0, rate), 1, 1e9);
      if (rate <= 0) continue;  // number() reported it
      tok.limit = std::make_shared<RateLimit>(rate, burst);
    } else if (t.has("burst")) {
      t.invalid("burst", "token " + tok.name + ": burst needs a rate");
      continue;
    }
    bool dup = false;
    for (const ApiToken& o : ac.tokens_) {
      if (o.name == tok.name) {
        t.invalid("name", "duplicate token name " + tok.name);
        dup = true;
      } else if (o.sha256 == tok.sha256) {
        t.invalid("sha256", "token " + tok.name + ": the same sha256 as " + o.name);
        dup = true;
      }
    }
    if (!dup) ac.tokens_.push_back(std::move(tok));
  }
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return ac;
}

RateLimit::RateLimit(double per_second, double burst) {
  const double interval = 1e9 / per_second;
  interval_ns_ = std::max<int64_t>(1, static_cast<int64_t>(interval));
  // A burst of B requests at once conforms: the arrival time may run
  // (B - 1) intervals ahead of now.
  tolerance_ns_ = static_cast<int64_t>(std::min(9e18, interval * (burst - 1)));
}

bool RateLimit::admit(int64_t now_ns, int64_t* retry_ns) {
  int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t start = std::max(tat, now_ns);
    if (start - now_ns > tolerance_ns_) {
      if (retry_ns) *retry_ns = start - now_ns - tolerance_ns_;
      return false;
    }
    if (tat_.compare_exchange_weak(tat, start + interval_ns_, std::memory_order_relaxed)) return true;
  }
}

const ApiToken* AccessControl::match(const HttpRequest& req) const {
  const std::string* auth = req.header("authorization");
  if (!auth) return nullptr;
  std::string_view v = trim(*auth);
  std::string basic_token;
  if (v.size() >= 6 && iequals(v.substr(0, 6), "basic ")) {
    // RFC 7617 for clients that cannot set a header (Kamailio's http_client
    // connections): the token is the password, the user name is ignored.
    auto decoded = base64_decode(trim(v.substr(6)));
    if (!decoded) return nullptr;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return nullptr;
    basic_token = decoded->substr(colon + 1);
    v = basic_token;
  } else if (v.size() >= 7 && iequals(v.substr(0, 7), "bearer ")) {
    v = trim(v.substr(7));
  } else {
    return nullptr;
  }
  if (v.empty()) return nullptr;
  const std::array<uint8_t, 32> h = sha256(v);
  const ApiToken* found = nullptr;
  for (const ApiToken& t : tokens_)  // every hash compared: no early exit
    if (CRYPTO_memcmp(t.sha256.data(), h.data(), h.size()) == 0) found = &t;
  return found;
}

std::string AccessControl::token_name(const HttpRequest& req) const {
  const ApiToken* t = match(req);
  return t ? t->name : std::string();
}

Access AccessControl::check(const HttpRequest& req, Right right, std::string* who, int64_t* retry_s) const {
  if (tokens_.empty())
    return right == Right::kScan || right == Right::kRead ? Access::kAllowed : Access::kForbidden;
  const ApiToken* found = match(req);
  if (!found) return Access::kUnauthorized;
  if (who) *who = found->name;
  if (!(found->rights & static_cast<uint32_t>(right))) return Access::kForbidden;
  if (found->limit) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t wait_ns = 0;
    if (!found->limit->admit(now, &wait_ns)) {
      if (retry_s) *retry_s = std::max<int64_t>(1, (wait_ns + 999'999'999) / 1'000'000'000);
      return Access::kRateLimited;
    }
  }
  return Access::kAllowed;
}

std::string token_sha256_hex(std::string_view token) {
  const auto h = sha256(token);
  return hex(h.data(), h.size());
}

Result<std::string> new_token() {
  uint8_t b[32];
  if (RAND_bytes(b, sizeof b) != 1) return fail(Errc::kInternal, "RAND_bytes failed");
  return "rmp_" + hex(b, sizeof b);
}

}  // namespace rampart::server

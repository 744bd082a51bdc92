// File: src/server/http/access.cc
// Bearer tokens with rights (see access.h).
#include "server/http/access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <toml++/toml.h>

#include "core/strings.h"

namespace rampart::server {

namespace {

constexpr std::pair<std::string_view, Right> kRights[] = {{"scan", Right::kScan},
                                                          {"read", Right::kRead},
                                                          {"learn", Right::kLearn},
                                                          {"events", Right::kEvents},
                                                          {"reports", Right::kReports}};

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
  AccessControl ac;
  const toml::node* n = cfg.table().at_path("http.tokens").node();
  if (!n) return ac;
  const toml::array* arr = n->as_array();
  if (!arr) return fail(Errc::kConfig, "http.tokens: expected [[http.tokens]] tables");
  size_t i = 0;
  for (const auto& el : *arr) {
    ++i;
    const std::string where = "http.tokens[" + std::to_string(i) + "]";
    const toml::table* t = el.as_table();
    if (!t) return fail(Errc::kConfig, where + ": expected a table");
    ApiToken tok;
    const auto name = (*t)["name"].value<std::string>();
    if (!name || name->empty()) return fail(Errc::kConfig, where + ": name (a string) is required");
    tok.name = *name;
    const auto hash = (*t)["sha256"].value<std::string>();
    if (!hash || hash->size() != 64)
      return fail(Errc::kConfig, where + " (" + tok.name + "): sha256 must be 64 hex digits");
    for (size_t k = 0; k < 32; ++k) {
      const int hi = hexval((*hash)[2 * k]), lo = hexval((*hash)[2 * k + 1]);
      if (hi < 0 || lo < 0)
        return fail(Errc::kConfig, where + " (" + tok.name + "): sha256 must be 64 hex digits");
      tok.sha256[k] = static_cast<uint8_t>(hi * 16 + lo);
    }
    const toml::array* rights = (*t)["rights"].as_array();
    if (!rights || rights->empty())
      return fail(Errc::kConfig, where + " (" + tok.name + "): rights (a non-empty array) is required");
    for (const auto& r : *rights) {
      const auto s = r.value<std::string>();
      Right right{};
      if (!s || !parse_right(*s, right))
        return fail(Errc::kConfig,
                    where + " (" + tok.name + "): unknown right (use scan, read, learn, events, reports)");
      tok.rights |= static_cast<uint32_t>(right);
    }
    for (const ApiToken& o : ac.tokens_) {
      if (o.name == tok.name) return fail(Errc::kConfig, where + ": duplicate token name " + tok.name);
      if (o.sha256 == tok.sha256) return fail(Errc::kConfig, where + ": the same sha256 as " + o.name);
    }
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key != "name" && key != "sha256" && key != "rights")
        return fail(Errc::kConfig, where + " (" + tok.name + "): unknown key " + std::string(key));
    }
    ac.tokens_.push_back(std::move(tok));
  }
  return ac;
}

Access AccessControl::check(const HttpRequest& req, Right right, std::string* who) const {
  if (tokens_.empty())
    return right == Right::kScan || right == Right::kRead ? Access::kAllowed : Access::kForbidden;
  const std::string* auth = req.header("authorization");
  if (!auth) return Access::kUnauthorized;
  std::string_view v = trim(*auth);
  if (v.size() < 7 || !iequals(v.substr(0, 7), "bearer ")) return Access::kUnauthorized;
  v = trim(v.substr(7));
  if (v.empty()) return Access::kUnauthorized;
  const std::array<uint8_t, 32> h = sha256(v);
  const ApiToken* found = nullptr;
  for (const ApiToken& t : tokens_)  // every hash compared: no early exit
    if (CRYPTO_memcmp(t.sha256.data(), h.data(), h.size()) == 0) found = &t;
  if (!found) return Access::kUnauthorized;
  if (who) *who = found->name;
  return (found->rights & static_cast<uint32_t>(right)) ? Access::kAllowed : Access::kForbidden;
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

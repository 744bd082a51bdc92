// File: src/reputation/helo.cc
// HELO name kinds (see helo.h).
#include "reputation/helo.h"

#include <array>
#include <string>

#include "core/strings.h"

namespace rampart::reputation {

std::string_view helo_kind_name(HeloKind k) {
  switch (k) {
    case HeloKind::kFqdn: return "fqdn";
    case HeloKind::kEmpty: return "empty";
    case HeloKind::kLiteral: return "literal";
    case HeloKind::kLocalhost: return "localhost";
    case HeloKind::kNoDot: return "nodot";
    case HeloKind::kLocalTld: return "localtld";
    case HeloKind::kGeneric: return "generic";
  }
  return "?";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Four or more runs of digits in `label` (separated by anything else).
bool four_numbers(std::string_view label) {
  int runs = 0;
  bool in = false;
  for (char c : label) {
    if (is_digit(c)) {
      if (!in) ++runs;
      in = true;
    } else {
      in = false;
    }
  }
  return runs >= 4;
}

// The client's IPv4 octets in order (decimal, any separators, or as 8 hex
// digits) anywhere in the name.
bool embeds_address(std::string_view name, const IpAddress& ip) {
  if (!ip.is_v4()) return false;
  const auto& b = ip.bytes();
  // "%02x" x 4 by hand: snprintf was a third of this function's cost, and it
  // runs for every scanned message's event on the store's writer thread.
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[8];
  for (size_t k = 0; k < 4; ++k) {
    hex[2 * k] = kHex[b[k] >> 4];
    hex[2 * k + 1] = kHex[b[k] & 0xf];
  }
  if (name.find(std::string_view(hex, sizeof hex)) != std::string_view::npos) return true;
  // Decimal: the numbers in the name, in order; look for the four octets in a row
  // (forward, or reversed as in-addr.arpa style names write them).
  std::array<int, 64> nums{};
  size_t n = 0;
  for (size_t i = 0; i < name.size() && n < nums.size();) {
    if (!is_digit(name[i])) {
      ++i;
      continue;
    }
    int v = 0;
    size_t j = i;
    while (j < name.size() && is_digit(name[j]) && j - i < 4) v = v * 10 + (name[j++] - '0');
    while (j < name.size() && is_digit(name[j])) ++j;  // longer runs: not an octet
    nums[n++] = j - i <= 3 ? v : -1;
    i = j;
  }
  for (size_t i = 0; i + 4 <= n; ++i) {
    bool fwd = true, rev = true;
    for (size_t k = 0; k < 4; ++k) {
      fwd = fwd && nums[i + k] == b[k];
      rev = rev && nums[i + k] == b[3 - k];
    }
    if (fwd || rev) return true;
  }
  return false;
}

}  // namespace

HeloKind classify_helo(std::string_view helo, const std::optional<IpAddress>& client) {
  std::string_view h = trim(helo);
  if (h.empty()) return HeloKind::kEmpty;
  if (h.front() == '[') return HeloKind::kLiteral;
  std::string name = to_lower(h);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return HeloKind::kEmpty;
  if (IpAddress::parse(name)) return HeloKind::kLiteral;
  if (name == "localhost" || name.starts_with("localhost.")) return HeloKind::kLocalhost;
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return HeloKind::kNoDot;
  const std::string_view tld = std::string_view(name).substr(name.rfind('.') + 1);
  for (std::string_view p : {"local", "lan", "home", "localdomain", "internal", "localnet", "workgroup",
                             "intranet", "corp", "invalid", "domain", "router"})
    if (tld == p) return HeloKind::kLocalTld;
  if (client && embeds_address(name, client->unmapped())) return HeloKind::kGeneric;
  if (four_numbers(std::string_view(name).substr(0, dot))) return HeloKind::kGeneric;
  return HeloKind::kFqdn;
}

}  // namespace rampart::reputation

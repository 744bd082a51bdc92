// File: src/auth/spf/macro.h
// SPF macro-strings (RFC 7208 section 7): parsed once, expanded per check.
//
//   auto ms = spf::parse_macro_string("%{ir}.%{v}._spf.%{d2}", /*exp=*/false);
//   MacroContext ctx{...};                         // sender, domain, ip, ...
//   Result<std::string> name = spf::expand(*ms, ctx, /*is_domain=*/true);
//
// Parsing rejects unknown macro letters, the exp-only letters (c, r, t)
// outside explanations, a zero digit transformer and stray '%'. Expansion is
// bounded: a name is truncated to 253 octets from the left (7.3) and any
// expansion output is capped (kMaxExpansion) so a macro bomb cannot grow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"

namespace rampart::spf {

constexpr size_t kMaxExpansion = 8192;

struct MacroPart {
  // literal text when letter == 0; otherwise a macro-expand.
  char letter = 0;          // lower-case macro letter
  bool url_encode = false;  // upper-case letter in the source
  unsigned digits = 0;      // 0: all parts
  bool reverse = false;
  std::string delimiters;  // empty: "."
  std::string literal;
};

struct MacroString {
  std::vector<MacroPart> parts;
  std::string text;     // as written
  bool uses_p = false;  // contains %{p}: expansion needs PTR lookups
  // No macro at all: `constant` is the expansion as a domain name (trailing
  // dot removed, cut to 253 octets as 7.3 says), so callers skip expand().
  bool is_constant = false;
  std::string constant;
  bool empty() const { return text.empty(); }
  bool uses(char letter) const;
};

Result<MacroString> parse_macro_string(std::string_view text, bool exp);

struct MacroContext {
  std::string_view sender;                     // s: local@domain
  std::string_view local_part;                 // l
  std::string_view sender_domain;              // o
  std::string_view domain;                     // d: current domain
  const IpAddress* ip = nullptr;               // i, c, v
  std::string_view helo;                       // h
  std::string_view validated_ptr = "unknown";  // p: already resolved by the caller
  std::string_view receiver = "unknown";       // r
  int64_t timestamp = 0;                       // t
};

// Expands `ms`. When `is_domain`, the result is truncated to 253 octets by
// dropping labels from the left (RFC 7208 7.3).
Result<std::string> expand(const MacroString& ms, const MacroContext& ctx, bool is_domain);

}  // namespace rampart::spf

// File: src/core/ip.h
// IpAddress: an IPv4 or IPv6 address as 16 bytes, parsed and printed without
// allocation on the hot path; prefix matching for CIDR rules.
//
//   auto ip = IpAddress::parse("192.0.2.1");          // Result<IpAddress>
//   ip->is_v4(); ip->to_string(); ip->matches(net, 24);
//   ip->reverse_name();   // "1.2.0.192" (v4) or nibble form (v6), no suffix
//   auto net = parse_cidr("10.0.0.0/8");              // Result<IpPrefix>
//   net->contains(*ip);
//   auto hp = parse_host_port("[::1]:53", 53);        // Result<HostPort>; "::1" -> port 53
//
// These are the only parsers of CIDRs and ADDR:PORT in the tree: config
// readers, command-line options and listeners all use them.
//
// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) parses as IPv6; call
// unmapped() to get the IPv4 address, as SPF requires (RFC 7208 5.6).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart {

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(uint32_t host_order);
  static IpAddress v4(const std::array<uint8_t, 4>& b);
  static IpAddress v6(const std::array<uint8_t, 16>& b);
  static Result<IpAddress> parse(std::string_view text);

  bool is_v4() const { return v4_; }
  bool is_v6() const { return !v4_; }
  // IPv4 bytes live in bytes()[0..3]; IPv6 uses all 16.
  const std::array<uint8_t, 16>& bytes() const { return b_; }
  uint32_t v4_host_order() const;
  bool is_v4_mapped() const;
  IpAddress unmapped() const;  // ::ffff:a.b.c.d -> a.b.c.d, else itself

  // True when the first `prefix_len` bits equal those of `net` (same family).
  bool matches(const IpAddress& net, unsigned prefix_len) const;
  IpAddress masked(unsigned prefix_len) const;

  std::string to_string() const;
  // "d.c.b.a" for IPv4, 32 dot-separated nibbles for IPv6 (RFC 3596 order).
  std::string reverse_name() const;
  // Dotted nibble form in forward order (SPF %{i} for IPv6).
  std::string dotted_nibbles() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) { return a.v4_ == b.v4_ && a.b_ == b.b_; }

 private:
  bool v4_ = true;
  std::array<uint8_t, 16> b_{};
};

// A network: address and prefix length ("10.0.0.0/8", "2001:db8::/32"); a
// bare address is a host prefix (/32, /128).
struct IpPrefix {
  IpAddress net;
  unsigned len = 0;
  // IPv4-mapped IPv6 clients match IPv4 prefixes.
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;  // "10.0.0.0/8"
};
// Strict: the prefix is 1-3 decimal digits within the family's size and
// the address has no bits set past it ("10.0.0.1/8" is refused, naming
// 10.0.0.0/8). Errc::kParse with the reason.
Result<IpPrefix> parse_cidr(std::string_view text);

// An IP address and a port: "ADDR:PORT", "[IPv6]:PORT"; with a default port
// also "ADDR" and a bare IPv6 address. Ports 1-65535 (0 only when
// `allow_port_zero`: a listener that picks a free port).
struct HostPort {
  IpAddress ip;
  uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:53", "[::1]:53"
};
Result<HostPort> parse_host_port(std::string_view text, int default_port = -1, bool allow_port_zero = false);

}  // namespace rampart

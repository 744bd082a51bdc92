#include "core/ip.h"

#include <arpa/inet.h>

#include <cstring>

namespace rampart {

IpAddress IpAddress::v4(uint32_t h) {
  return v4(std::array<uint8_t, 4>{static_cast<uint8_t>(h >> 24), static_cast<uint8_t>(h >> 16),
                                   static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)});
}

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& b) {
  IpAddress ip;
  ip.v4_ = true;
  std::memcpy(ip.b_.data(), b.data(), 4);
  return ip;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& b) {
  IpAddress ip;
  ip.v4_ = false;
  ip.b_ = b;
  return ip;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN + 8 || text.empty())
    return fail(Errc::kParse, "not an IP address: '" + std::string(text.substr(0, 64)) + "'");
  char buf[INET6_ADDRSTRLEN + 8];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, ip.b_.data()) == 1) {
      ip.v4_ = true;
      return ip;
    }
  } else if (inet_pton(AF_INET6, buf, ip.b_.data()) == 1) {
    ip.v4_ = false;
    return ip;
  }
  return fail(Errc::kParse, "not an IP address: '" + std::string(text) + "'");
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{b_[0]} << 24) | (uint32_t{b_[1]} << 16) | (uint32_t{b_[2]} << 8) | b_[3];
}

bool IpAddress::is_v4_mapped() const {
  if (v4_) return false;
  for (int i = 0; i < 10; ++i)
    if (b_[i] != 0) return false;
  return b_[10] == 0xff && b_[11] == 0xff;
}

IpAddress IpAddress::unmapped() const {
  if (!is_v4_mapped()) return *this;
  return v4(std::array<uint8_t, 4>{b_[12], b_[13], b_[14], b_[15]});
}

bool IpAddress::matches(const IpAddress& net, unsigned prefix_len) const {
  if (v4_ != net.v4_) return false;
  if (v4_) {
    if (prefix_len == 0) return true;
    if (prefix_len > 32) prefix_len = 32;
    const uint32_t mask = prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
    return ((v4_host_order() ^ net.v4_host_order()) & mask) == 0;
  }
  const unsigned max = v4_ ? 32 : 128;
  if (prefix_len > max) prefix_len = max;
  const unsigned full = prefix_len / 8, rest = prefix_len % 8;
  if (std::memcmp(b_.data(), net.b_.data(), full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (b_[full] & mask) == (net.b_[full] & mask);
}

IpAddress IpAddress::masked(unsigned prefix_len) const {
  IpAddress out = *this;
  const unsigned max = v4_ ? 32 : 128;
  if (prefix_len > max) prefix_len = max;
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned bit = i * 8;
    if (bit >= prefix_len) {
      out.b_[i] = 0;
    } else if (bit + 8 > prefix_len) {
      out.b_[i] &= static_cast<uint8_t>(0xff << (8 - (prefix_len - bit)));
    }
  }
  return out;
}

std::string IpAddress::to_string() const {
  if (v4_) {
    // Hot in SPF macro expansion: format without inet_ntop.
    char buf[16];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      unsigned v = b_[i];
      if (v >= 100) {
        *p++ = static_cast<char>('0' + v / 100);
        v %= 100;
        *p++ = static_cast<char>('0' + v / 10);
        *p++ = static_cast<char>('0' + v % 10);
      } else if (v >= 10) {
        *p++ = static_cast<char>('0' + v / 10);
        *p++ = static_cast<char>('0' + v % 10);
      } else {
        *p++ = static_cast<char>('0' + v);
      }
      if (i != 3) *p++ = '.';
    }
    return std::string(buf, static_cast<size_t>(p - buf));
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v4_ ? AF_INET : AF_INET6, b_.data(), buf, sizeof buf);
  return buf;
}

static constexpr char kHex[] = "0123456789abcdef";

std::string IpAddress::reverse_name() const {
  std::string out;
  if (v4_) {
    for (int i = 3; i >= 0; --i) {
      out += std::to_string(b_[i]);
      if (i) out += '.';
    }
    return out;
  }
  out.reserve(64);
  for (int i = 15; i >= 0; --i) {
    out += kHex[b_[i] & 0xf];
    out += '.';
    out += kHex[b_[i] >> 4];
    if (i) out += '.';
  }
  return out;
}

std::string IpAddress::dotted_nibbles() const {
  std::string out;
  out.reserve(64);
  for (int i = 0; i < 16; ++i) {
    out += kHex[b_[i] >> 4];
    out += '.';
    out += kHex[b_[i] & 0xf];
    if (i != 15) out += '.';
  }
  return out;
}

bool IpPrefix::contains(const IpAddress& ip) const { return ip.unmapped().matches(net, len); }

std::string IpPrefix::to_string() const { return net.to_string() + "/" + std::to_string(len); }

namespace {
// 1-5 decimal digits, no sign, no leading '+'; -1 when not that.
long parse_decimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return -1;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}
}  // namespace

Result<IpPrefix> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return fail(Errc::kParse, "not an address or CIDR: \"" + std::string(text) + "\"");
  IpPrefix p{ip->unmapped(), 0};
  const unsigned max = p.net.is_v4() ? 32 : 128;
  // A mapped IPv6 prefix (::ffff:10.0.0.0/104) is the IPv4 prefix it maps.
  const unsigned shift = ip->is_v4_mapped() ? 96 : 0;
  p.len = max;
  if (slash != std::string_view::npos) {
    const long len = parse_decimal(text.substr(slash + 1), 3);
    if (len < 0 || static_cast<unsigned long>(len) > max + shift || static_cast<unsigned long>(len) < shift)
      return fail(Errc::kParse, "bad prefix length in \"" + std::string(text) + "\" (0-" +
                                    std::to_string(max + shift) + ")");
    p.len = static_cast<unsigned>(len) - shift;
  }
  if (!(p.net.masked(p.len) == p.net))
    return fail(Errc::kParse, "\"" + std::string(text) + "\" has bits set past the prefix; did you mean " +
                                  p.net.masked(p.len).to_string() + "/" + std::to_string(p.len + shift) +
                                  "?");
  return p;
}

std::string HostPort::to_string() const {
  if (ip.is_v6()) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text, int default_port, bool allow_port_zero) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view host, port;
  bool has_port = true;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(Errc::kParse, quoted + ": missing ]");
    host = text.substr(1, close - 1);
    if (close + 1 == text.size()) {
      has_port = false;
    } else if (text[close + 1] != ':') {
      return fail(Errc::kParse, quoted + ": expected [IPv6]:PORT");
    } else {
      port = text.substr(close + 2);
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      host = text;  // no port, or a bare IPv6 address
      has_port = false;
    } else {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
  }
  auto ip = IpAddress::parse(host);
  if (!ip)
    return fail(Errc::kParse, quoted + ": not an IP address" + (has_port ? "" : " (expected ADDR:PORT)"));
  HostPort hp{*ip, 0};
  if (!has_port) {
    if (default_port < 0) return fail(Errc::kParse, quoted + ": needs a port (ADDR:PORT or [IPv6]:PORT)");
    hp.port = static_cast<uint16_t>(default_port);
    return hp;
  }
  const long p = parse_decimal(port, 5);
  if (p < 0 || p > 65535 || (p == 0 && !allow_port_zero))
    return fail(Errc::kParse, quoted + ": bad port (" + std::string(allow_port_zero ? "0" : "1") + "-65535)");
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

}  // namespace rampart

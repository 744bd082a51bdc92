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

}  // namespace rampart

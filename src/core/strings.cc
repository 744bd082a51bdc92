#include "core/strings.h"

#include <cstdint>
#include <cstring>

namespace rampart {

void ascii_lower_copy(const char* in, size_t n, char* out) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, in + i, 8);
    const uint64_t heptets = x & (0x7F * kOnes);
    const uint64_t gt_z = heptets + (0x7F - 'Z') * kOnes;  // high bit set when > 'Z'
    const uint64_t ge_a = heptets + (0x80 - 'A') * kOnes;  // high bit set when >= 'A'
    const uint64_t ascii = ~x & (0x80 * kOnes);
    const uint64_t upper = ascii & (ge_a ^ gt_z);
    x |= upper >> 2;  // 0x80 >> 2 == 0x20
    std::memcpy(out + i, &x, 8);
  }
  for (; i < n; ++i) out[i] = ascii_lower(in[i]);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

bool iends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(s.size() - p.size()), p);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (is_wsp(s[b]) || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (is_wsp(s[e - 1]) || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return s.substr(b, e - b);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

}  // namespace rampart

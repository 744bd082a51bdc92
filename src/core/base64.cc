// File: src/core/base64.cc
// RFC 4648 base64 and base64url; see base64.h.
#include "core/base64.h"

#include <array>

namespace rampart {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> reverse(const char* alphabet) {
  std::array<int8_t, 256> r{};
  for (auto& v : r) v = -1;
  for (int i = 0; i < 64; ++i) r[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr auto kStdRev = reverse(kStd);
constexpr auto kUrlRev = reverse(kUrl);

}  // namespace

std::string base64_encode(std::string_view in, Base64 alphabet) {
  const char* a = alphabet == Base64::kUrl ? kUrl : kStd;
  const bool pad = alphabet == Base64::kStandard;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  auto u = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (u(i) << 16) | (u(i + 1) << 8) | u(i + 2);
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out.push_back(a[(v >> 6) & 63]);
    out.push_back(a[v & 63]);
  }
  if (i + 1 == in.size()) {
    const uint32_t v = u(i) << 16;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (i + 2 == in.size()) {
    const uint32_t v = (u(i) << 16) | (u(i + 1) << 8);
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out.push_back(a[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text, Base64Rules rules) {
  const auto& rev = rules.alphabet == Base64::kUrl ? kUrlRev : kStdRev;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  unsigned nbits = 0, chars = 0, pad = 0;
  for (char ch : text) {
    if (rules.whitespace && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) continue;
    if (ch == '=' && rules.padding != Base64Padding::kForbidden) {
      if (++pad > 2) return fail(Errc::kParse, "base64: too much padding");
      ++chars;
      continue;
    }
    const int8_t v = rev[static_cast<unsigned char>(ch)];
    if (v < 0) return fail(Errc::kParse, "base64: invalid character");
    if (pad) return fail(Errc::kParse, "base64: data after padding");
    ++chars;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((acc >> nbits) & 0xff));
    }
  }
  switch (rules.padding) {
    case Base64Padding::kRequired:
      if (chars % 4 != 0) return fail(Errc::kParse, "base64: length is not a multiple of 4");
      break;
    case Base64Padding::kOptional:
      if (nbits >= 6) return fail(Errc::kParse, "base64: bad length");
      break;
    case Base64Padding::kForbidden:
      if (chars % 4 == 1) return fail(Errc::kParse, "base64url: bad length");
      if (nbits > 0 && (acc & ((1u << nbits) - 1)) != 0)
        return fail(Errc::kParse, "base64url: non-zero trailing bits");
      break;
  }
  return out;
}

}  // namespace rampart

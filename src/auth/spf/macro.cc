#include "auth/spf/macro.h"

#include <algorithm>
#include <cstdio>

#include "core/strings.h"

namespace rampart::spf {

namespace {
constexpr std::string_view kDelimiters = ".-+,/_=";

bool is_macro_letter(char c, bool exp) {
  switch (c) {
    case 's':
    case 'l':
    case 'o':
    case 'd':
    case 'i':
    case 'p':
    case 'h':
    case 'v': return true;
    case 'c':
    case 'r':
    case 't': return exp;
    default: return false;
  }
}

void append_url_encoded(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : v) {
    if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}
}  // namespace

bool MacroString::uses(char letter) const {
  for (const auto& p : parts)
    if (p.letter == letter) return true;
  return false;
}

Result<MacroString> parse_macro_string(std::string_view text, bool exp) {
  MacroString ms;
  ms.text = std::string(text);
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) {
      MacroPart p;
      p.literal = std::move(lit);
      ms.parts.push_back(std::move(p));
      lit.clear();
    }
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%') {
      // macro-literal = %x21-24 / %x26-7E; explanations also allow SP.
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e) {
        if (!(exp && c == ' '))
          return fail(Errc::kParse, "invalid character in macro-string '" + std::string(text) + "'");
      }
      lit += c;
      continue;
    }
    if (i + 1 >= text.size())
      return fail(Errc::kParse, "'%' at end of macro-string '" + std::string(text) + "'");
    char n = text[++i];
    if (n == '%') {
      lit += '%';
      continue;
    }
    if (n == '_') {
      lit += ' ';
      continue;
    }
    if (n == '-') {
      lit += "%20";
      continue;
    }
    if (n != '{')
      return fail(Errc::kParse, "invalid macro '%" + std::string(1, n) + "' in '" + std::string(text) + "'");
    size_t close = text.find('}', i);
    if (close == std::string_view::npos)
      return fail(Errc::kParse, "unterminated macro in '" + std::string(text) + "'");
    std::string_view body = text.substr(i + 1, close - i - 1);
    i = close;
    if (body.empty()) return fail(Errc::kParse, "empty macro in '" + std::string(text) + "'");
    MacroPart p;
    char letter = body[0];
    p.url_encode = letter >= 'A' && letter <= 'Z';
    p.letter = ascii_lower(letter);
    if (!is_macro_letter(p.letter, exp))
      return fail(Errc::kParse,
                  "invalid macro letter '" + std::string(1, letter) + "' in '" + std::string(text) + "'");
    size_t j = 1;
    bool have_digits = false;
    unsigned digits = 0;
    while (j < body.size() && is_digit(body[j])) {
      have_digits = true;
      if (digits < 1000) digits = digits * 10 + static_cast<unsigned>(body[j] - '0');
      ++j;
    }
    if (have_digits && digits == 0)
      return fail(Errc::kParse, "zero digit transformer in '" + std::string(text) + "'");
    p.digits = std::min(digits, 128u);
    if (j < body.size() && (body[j] == 'r' || body[j] == 'R')) {
      p.reverse = true;
      ++j;
    }
    for (; j < body.size(); ++j) {
      if (kDelimiters.find(body[j]) == std::string_view::npos)
        return fail(Errc::kParse, "invalid macro delimiter '" + std::string(1, body[j]) + "' in '" +
                                      std::string(text) + "'");
      p.delimiters += body[j];
    }
    flush();
    if (p.letter == 'p') ms.uses_p = true;
    ms.parts.push_back(std::move(p));
  }
  flush();
  ms.is_constant = !ms.text.empty();
  for (const auto& part : ms.parts)
    if (part.letter != 0) ms.is_constant = false;
  if (ms.is_constant) {
    for (const auto& part : ms.parts) ms.constant += part.literal;
    if (!ms.constant.empty() && ms.constant.back() == '.') ms.constant.pop_back();
    while (ms.constant.size() > 253) {
      size_t dot = ms.constant.find('.');
      if (dot == std::string::npos) {
        ms.is_constant = false;  // expand() reports the error
        break;
      }
      ms.constant.erase(0, dot + 1);
    }
  }
  return ms;
}

Result<std::string> expand(const MacroString& ms, const MacroContext& ctx, bool is_domain) {
  std::string out;
  std::string value;
  for (const auto& p : ms.parts) {
    if (p.letter == 0) {
      out += p.literal;
    } else {
      value.clear();
      switch (p.letter) {
        case 's': value = ctx.sender; break;
        case 'l': value = ctx.local_part; break;
        case 'o': value = ctx.sender_domain; break;
        case 'd': value = ctx.domain; break;
        case 'h': value = ctx.helo; break;
        case 'p': value = ctx.validated_ptr; break;
        case 'r': value = ctx.receiver; break;
        case 't': value = std::to_string(ctx.timestamp); break;
        case 'v': value = (ctx.ip && ctx.ip->is_v6()) ? "ip6" : "in-addr"; break;
        case 'i':
          if (ctx.ip) {
            if (ctx.ip->is_v4()) {
              value = ctx.ip->to_string();
            } else {
              // Upper-case nibbles, as the openspf suite expects (v-macro-ip6);
              // DNS compares names case-insensitively, so lookups are unaffected.
              value = ctx.ip->dotted_nibbles();
              for (auto& ch : value)
                if (ch >= 'a' && ch <= 'f') ch = static_cast<char>(ch - 32);
            }
          }
          break;
        case 'c':
          if (ctx.ip) value = ctx.ip->to_string();
          break;
        default: return fail(Errc::kParse, "invalid macro letter");
      }
      if (p.digits || p.reverse || !p.delimiters.empty()) {
        std::string_view delims =
            p.delimiters.empty() ? std::string_view(".") : std::string_view(p.delimiters);
        std::vector<std::string_view> labels;
        size_t start = 0;
        for (size_t k = 0; k <= value.size(); ++k) {
          if (k == value.size() || delims.find(value[k]) != std::string_view::npos) {
            labels.emplace_back(value.data() + start, k - start);
            start = k + 1;
          }
        }
        if (p.reverse) std::reverse(labels.begin(), labels.end());
        size_t first = 0;
        if (p.digits && p.digits < labels.size()) first = labels.size() - p.digits;
        std::string joined;
        for (size_t k = first; k < labels.size(); ++k) {
          if (k != first) joined += '.';
          joined += labels[k];
        }
        value = std::move(joined);
      }
      if (p.url_encode) {
        append_url_encoded(out, value);
      } else {
        out += value;
      }
    }
    if (out.size() > kMaxExpansion) return fail(Errc::kLimit, "macro expansion too long");
  }
  if (is_domain) {
    // RFC 7208 7.3: drop labels from the left until the name fits 253 octets.
    while (out.size() > 253) {
      size_t dot = out.find('.');
      if (dot == std::string::npos) return fail(Errc::kParse, "expanded domain too long");
      out.erase(0, dot + 1);
    }
  }
  return out;
}

}  // namespace rampart::spf

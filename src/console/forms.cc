// File: src/console/forms.cc
// Form bodies, query strings and Cookie headers (see forms.h).
#include "console/forms.h"

#include "core/strings.h"

namespace rampart::console {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) return fail(Errc::kParse, "truncated %-escape");
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return fail(Errc::kParse, "bad %-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void form_encode(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' || u == '.' ||
        u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
}

Result<FormFields> parse_form(std::string_view body) {
  FormFields out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view pair = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) {
      if (amp == body.size()) break;
      continue;
    }
    if (out.size() >= kMaxFields) return fail(Errc::kParse, "too many form fields");
    const size_t eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name) return tl::unexpected(name.error());
    if (name->size() > kMaxFieldName) return fail(Errc::kParse, "form field name too long");
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return tl::unexpected(value.error());
    out.emplace_back(std::move(*name), std::move(*value));
    if (amp == body.size()) break;
  }
  return out;
}

Result<FormFields> parse_query(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return FormFields{};
  std::string_view query = target.substr(q + 1);
  if (const size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  return parse_form(query);
}

Result<FormFields> parse_cookie_header(std::string_view header) {
  FormFields out;
  for (std::string_view part : split(header, ';')) {
    part = trim(part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    if (out.size() >= kMaxFields) return fail(Errc::kParse, "too many cookies");
    std::string_view name = trim(part.substr(0, eq));
    std::string_view value = trim(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (name.size() > kMaxFieldName) continue;
    out.emplace_back(std::string(name), std::string(value));
  }
  return out;
}

const std::string* find_field(const FormFields& f, std::string_view name) {
  for (const auto& [k, v] : f)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace rampart::console

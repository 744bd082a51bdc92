// File: src/mime/params.cc
// Content-Type, Content-Disposition, Content-Transfer-Encoding and RFC 2231
// parameters; see params.h.
#include "mime/params.h"

#include <algorithm>

#include "core/strings.h"
#include "mime/charset.h"
#include "mime/decode.h"
#include "mime/encoded_word.h"

namespace rampart::mime {
namespace {

constexpr size_t kMaxParamValue = 64 * 1024;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 2045 5.1 tspecials plus SP and CTLs end a token.
bool is_token_char(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c > 32 && c != 127 && !is_tspecial(ch);  // 8-bit tolerated in headers seen in the wild
}

// Skips whitespace and (nested) comments from s[i]; returns the new index.
size_t skip_cfws(std::string_view s, size_t i) {
  while (i < s.size()) {
    if (is_ws(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      size_t depth = 0;
      while (i < s.size()) {
        const char c = s[i];
        if (c == '\\') {
          i += 2;
          continue;
        }
        if (c == '(') ++depth;
        if (c == ')' && --depth == 0) {
          ++i;
          break;
        }
        ++i;
      }
      if (i > s.size()) i = s.size();
    } else {
      break;
    }
  }
  return i;
}

// Skips to just after the next ';' outside quotes (or the end).
size_t skip_to_semicolon(std::string_view s, size_t i) {
  bool quoted = false;
  while (i < s.size()) {
    const char c = s[i];
    if (quoted && c == '\\') {
      i += 2;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == ';' && !quoted) return i + 1;
    ++i;
  }
  return s.size();
}

struct Section {
  size_t index = 0;
  bool encoded = false;
  std::string value;
};

struct Raw {
  std::string name;  // base name, lower-case
  bool extended = false;
  std::vector<Section> sections;
  std::string plain;  // value of "name=" (not extended)
  bool has_plain = false;
  bool plain_quoted = false;
};

// Percent-decodes RFC 2231 extended text; invalid escapes are kept.
void percent_decode(std::string_view s, std::string& out, DefectSet& defects) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      if (s[i] == '%') note(defects, DefectKind::kInvalidParameter);
      out += s[i];
    }
  }
}

bool decodes_to_text(std::string_view name) { return name == "name" || name == "filename"; }

}  // namespace

std::vector<Param> parse_parameters(std::string_view s, DefectSet& defects) {
  std::vector<Raw> raws;
  size_t i = 0;
  while (i < s.size()) {
    i = skip_cfws(s, i);
    if (i >= s.size()) break;
    if (s[i] == ';') {
      ++i;
      continue;
    }
    // attribute [*N][*]
    const size_t a0 = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    std::string attr = to_lower(s.substr(a0, i - a0));
    i = skip_cfws(s, i);
    if (attr.empty() || i >= s.size() || s[i] != '=') {
      note(defects, DefectKind::kInvalidParameter);
      i = skip_to_semicolon(s, i == a0 ? i + 1 : i);
      continue;
    }
    ++i;  // '='
    i = skip_cfws(s, i);
    std::string value;
    bool quoted = false;
    if (i < s.size() && s[i] == '"') {
      quoted = true;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
          value += s[i + 1];
          i += 2;
          continue;
        }
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c != '\r' && c != '\n') value += c;
        ++i;
      }
      if (!closed) note(defects, DefectKind::kInvalidParameter);
    } else {
      // Token, read leniently: anything up to ';', whitespace or a comment
      // ("boundary=----=_Part_1" is common though '=' is a tspecial).
      const size_t v0 = i;
      while (i < s.size() && s[i] != ';' && !is_ws(s[i]) && s[i] != '(' && s[i] != '"') ++i;
      value.assign(s.substr(v0, i - v0));
      if (value.empty()) note(defects, DefectKind::kInvalidParameter);
    }
    if (value.size() > kMaxParamValue) value.resize(kMaxParamValue);
    i = skip_cfws(s, i);
    if (i < s.size() && s[i] != ';') {
      note(defects, DefectKind::kInvalidParameter);
      i = skip_to_semicolon(s, i);
    }

    // RFC 2231: name*  name*N  name*N*
    std::string base = attr;
    bool extended = false, encoded = false;
    size_t index = 0;
    const size_t star = attr.find('*');
    if (star != std::string::npos) {
      base = attr.substr(0, star);
      std::string_view rest = std::string_view(attr).substr(star + 1);
      extended = true;
      if (rest.empty()) {
        encoded = true;  // name*=
      } else {
        size_t k = 0;
        size_t n = 0;
        while (k < rest.size() && is_digit(rest[k]) && k < 4)
          n = n * 10 + static_cast<size_t>(rest[k++] - '0');
        if (k == 0 || (k < rest.size() && !(rest[k] == '*' && k + 1 == rest.size())) ||
            (k > 1 && rest[0] == '0')) {
          note(defects, DefectKind::kInvalidParameter);
          continue;
        }
        index = n;
        encoded = k < rest.size();
      }
      if (base.empty()) {
        note(defects, DefectKind::kInvalidParameter);
        continue;
      }
    }
    auto it = std::find_if(raws.begin(), raws.end(), [&](const Raw& r) { return r.name == base; });
    if (it == raws.end()) {
      if (raws.size() >= kMaxParams) {
        note(defects, DefectKind::kInvalidParameter);
        continue;
      }
      raws.push_back(Raw{});
      it = raws.end() - 1;
      it->name = base;
    }
    if (extended) {
      if (it->sections.size() >= kMaxSections) {
        note(defects, DefectKind::kInvalidParameter);
        continue;
      }
      bool dup = false;
      for (const Section& sec : it->sections)
        if (sec.index == index) dup = true;
      if (dup) {
        note(defects, DefectKind::kDuplicateParameter);
        continue;
      }
      it->extended = true;
      Section sec;
      sec.index = index;
      sec.encoded = encoded;
      sec.value = std::move(value);
      it->sections.push_back(std::move(sec));
    } else {
      if (it->has_plain) {
        note(defects, DefectKind::kDuplicateParameter);
        continue;
      }
      it->has_plain = true;
      it->plain_quoted = quoted;
      it->plain = std::move(value);
    }
  }

  std::vector<Param> out;
  out.reserve(raws.size());
  for (Raw& r : raws) {
    Param p;
    p.name = r.name;
    if (r.extended) {
      std::sort(r.sections.begin(), r.sections.end(),
                [](const Section& a, const Section& b) { return a.index < b.index; });
      std::string bytes;
      std::string charset;
      for (size_t k = 0; k < r.sections.size(); ++k) {
        const Section& sec = r.sections[k];
        if (sec.index != k) note(defects, DefectKind::kInvalidParameter);  // a section is missing
        std::string_view v = sec.value;
        if (sec.encoded && k == 0) {
          // charset'language'text
          const size_t q1 = v.find('\'');
          const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
          if (q2 == std::string_view::npos) {
            note(defects, DefectKind::kInvalidParameter);
          } else {
            charset = std::string(v.substr(0, q1));
            p.language = std::string(v.substr(q1 + 1, q2 - q1 - 1));
            v = v.substr(q2 + 1);
          }
        }
        if (sec.encoded) {
          percent_decode(v, bytes, defects);
        } else {
          bytes.append(v);
        }
        if (bytes.size() > kMaxParamValue) {
          bytes.resize(kMaxParamValue);
          break;
        }
      }
      if (charset.empty()) {
        if (decodes_to_text(p.name)) {
          to_utf8(bytes, "us-ascii", p.value, defects);
        } else {
          p.value = std::move(bytes);
        }
      } else {
        to_utf8(bytes, charset, p.value, defects);
      }
    } else if (decodes_to_text(p.name)) {
      p.value = decode_header(r.plain, defects, kMaxParamValue);
    } else {
      p.value = std::move(r.plain);
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string_view ContentType::param(std::string_view name) const {
  for (const Param& p : params)
    if (iequals(p.name, name)) return p.value;
  return {};
}

bool ContentType::has_param(std::string_view name) const {
  for (const Param& p : params)
    if (iequals(p.name, name)) return true;
  return false;
}

bool ContentType::is(std::string_view t, std::string_view sub) const {
  return iequals(type, t) && iequals(subtype, sub);
}

std::string_view ContentDisposition::param(std::string_view name) const {
  for (const Param& p : params)
    if (iequals(p.name, name)) return p.value;
  return {};
}

ContentType parse_content_type(std::string_view s, DefectSet& defects) {
  ContentType ct;
  size_t i = skip_cfws(s, 0);
  const size_t t0 = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  const std::string_view type = s.substr(t0, i - t0);
  i = skip_cfws(s, i);
  bool ok = !type.empty() && i < s.size() && s[i] == '/';
  std::string_view subtype;
  if (ok) {
    i = skip_cfws(s, i + 1);
    const size_t s0 = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    subtype = s.substr(s0, i - s0);
    i = skip_cfws(s, i);
    ok = !subtype.empty() && (i >= s.size() || s[i] == ';');
  }
  if (!ok) {
    // RFC 2045 5.2: an invalid Content-Type is text/plain; charset=us-ascii.
    // Keep the parameters when they can be found (the boundary may be there).
    note(defects, DefectKind::kInvalidContentType);
    const size_t semi = skip_to_semicolon(s, 0);
    ct.params = parse_parameters(s.substr(semi), defects);
    // A multipart with a garbled type but a boundary is still a multipart for
    // most readers; we follow RFC 2045 and stay with text/plain.
    return ct;
  }
  ct.type = to_lower(type);
  ct.subtype = to_lower(subtype);
  ct.present = true;
  ct.params = parse_parameters(s.substr(i), defects);
  return ct;
}

ContentDisposition parse_content_disposition(std::string_view s, DefectSet& defects) {
  ContentDisposition cd;
  size_t i = skip_cfws(s, 0);
  const size_t t0 = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  const std::string_view type = s.substr(t0, i - t0);
  if (type.empty()) {
    note(defects, DefectKind::kInvalidParameter);
  } else if (iequals(type, "inline")) {
    cd.type = DispositionType::kInline;
  } else if (iequals(type, "attachment")) {
    cd.type = DispositionType::kAttachment;
  } else {
    cd.type = DispositionType::kOther;
  }
  const size_t semi = skip_to_semicolon(s, i);
  cd.params = parse_parameters(s.substr(semi), defects);
  return cd;
}

TransferEncoding parse_transfer_encoding(std::string_view s, DefectSet& defects) {
  size_t i = skip_cfws(s, 0);
  const size_t t0 = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  const std::string_view v = s.substr(t0, i - t0);
  if (v.empty() || iequals(v, "7bit")) return TransferEncoding::k7Bit;
  if (iequals(v, "8bit")) return TransferEncoding::k8Bit;
  if (iequals(v, "binary")) return TransferEncoding::kBinary;
  if (iequals(v, "quoted-printable")) return TransferEncoding::kQuotedPrintable;
  if (iequals(v, "base64")) return TransferEncoding::kBase64;
  // uuencode has no registered name; these are the ones mail software sends.
  if (iequals(v, "x-uuencode") || iequals(v, "x-uue") || iequals(v, "uuencode") || iequals(v, "uue"))
    return TransferEncoding::kUuencode;
  note(defects, DefectKind::kUnknownTransferEncoding);
  // What mail clients make of misspelt values: the letters and digits of
  // the value up to ";" or a comment ("Base 64", "base-64", "quoted printable",
  // "7-bit", "8 bit").
  std::string key;
  for (size_t k = t0; k < s.size() && s[k] != ';' && s[k] != '(' && key.size() < 32; ++k)
    if (is_alnum(s[k])) key += ascii_lower(s[k]);
  if (key == "base64") return TransferEncoding::kBase64;
  if (key == "quotedprintable" || key == "qp") return TransferEncoding::kQuotedPrintable;
  if (key == "7bit") return TransferEncoding::k7Bit;
  if (key == "8bit") return TransferEncoding::k8Bit;
  return TransferEncoding::kUnknown;
}

std::string_view transfer_encoding_name(TransferEncoding e) {
  switch (e) {
    case TransferEncoding::k7Bit: return "7bit";
    case TransferEncoding::k8Bit: return "8bit";
    case TransferEncoding::kBinary: return "binary";
    case TransferEncoding::kQuotedPrintable: return "quoted-printable";
    case TransferEncoding::kBase64: return "base64";
    case TransferEncoding::kUuencode: return "x-uuencode";
    case TransferEncoding::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace rampart::mime

// File: src/mime/idna.cc
// IDNA through libidn2; see idna.h.
#include "mime/idna.h"

#include <idn2.h>

#include <memory>

#include "core/strings.h"
#include "mime/charset.h"

namespace rampart::mime {
namespace {

struct Idn2Free {
  void operator()(char* p) const { idn2_free(p); }
};
using Idn2String = std::unique_ptr<char, Idn2Free>;

// The domain as it may appear in an error message: valid UTF-8, bounded.
std::string quoted(std::string_view d) {
  std::string out = "\"";
  utf8_repair(d.substr(0, 128), out);
  if (d.size() > 128) out += "...";
  out += '"';
  return out;
}

}  // namespace

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

Result<std::string> domain_to_ascii(std::string_view domain) {
  if (is_ascii(domain)) return to_lower(domain);
  if (domain.size() > kMaxIdnInput)
    return fail(Errc::kLimit,
                "internationalised domain name longer than " + std::to_string(kMaxIdnInput) + " bytes");
  if (domain.find('\0') != std::string_view::npos)
    return fail(Errc::kParse, "invalid internationalised domain name " + quoted(domain) + ": NUL byte");
  const std::string in(domain);
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NONTRANSITIONAL);
  Idn2String owned(out);
  if (rc != IDN2_OK || out == nullptr)
    return fail(Errc::kParse, "invalid internationalised domain name " + quoted(domain) + ": " +
                                  idn2_strerror(rc) + " (UTS #46, IDNA2008)");
  return to_lower(out);
}

std::string domain_to_unicode(std::string_view domain) {
  std::string ascii;
  if (is_ascii(domain)) {
    ascii = to_lower(domain);
  } else {
    auto a = domain_to_ascii(domain);
    if (!a) {
      std::string out;
      utf8_repair(domain.substr(0, kMaxIdnInput), out);
      return out;
    }
    ascii = std::move(*a);
  }
  if (ascii.size() > kMaxIdnInput || ascii.find('\0') != std::string::npos) return ascii;
  // Only labels in A-label form change; skip libidn2 when there is none.
  bool alabel = istarts_with(ascii, "xn--") || ascii.find(".xn--") != std::string::npos;
  if (!alabel) return ascii;
  char* out = nullptr;
  const int rc = idn2_to_unicode_8z8z(ascii.c_str(), &out, 0);
  Idn2String owned(out);
  if (rc != IDN2_OK || out == nullptr || !is_valid_utf8(out)) return ascii;
  return std::string(out);
}

}  // namespace rampart::mime

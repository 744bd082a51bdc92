// File: src/console/forms.h
// The console's small request parsers, pure (no I/O): a form body
// (application/x-www-form-urlencoded, the WHATWG URL standard's
// "application/x-www-form-urlencoded parsing"), a query string, and a Cookie
// header (RFC 6265 section 5.4's cookie-string: "name=value; name=value").
//
//   auto form = parse_form("user=ann&password=p%40ss");   // Result<FormFields>
//   const std::string* pw = find_field(*form, "password");
//   auto cookies = parse_cookie_header("rampart_session=ab12; theme=dark");
//   const std::string* sid = find_field(*cookies, "rampart_session");
//
// Bounded: at most kMaxFields fields, each name at most 256 bytes; a body or
// header is never copied more than once. Nothing throws.
// DIAGNOSTICS: parse_form fails (kParse) for a bad %-escape or too many
// fields; parse_cookie_header skips pairs without '=' (RFC 6265 5.2: a
// user agent ignores them; so does this server) and fails (kParse) over
// kMaxFields pairs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace rampart::console {

using FormFields = std::vector<std::pair<std::string, std::string>>;
inline constexpr size_t kMaxFields = 64;
inline constexpr size_t kMaxFieldName = 256;

// %XX escapes and '+' (as a space) decoded; a bad escape is an error.
Result<std::string> form_decode(std::string_view s);
// The other way: every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" as
// %XX (upper-case hex; a space too, never '+'), appended to `out`.
void form_encode(std::string_view s, std::string& out);
Result<FormFields> parse_form(std::string_view body);
// The query part of a request target ("/api/x?a=1&b=2" -> a, b), parsed as a form.
Result<FormFields> parse_query(std::string_view target);
Result<FormFields> parse_cookie_header(std::string_view header);
// The first field of that name, or null.
const std::string* find_field(const FormFields& f, std::string_view name);

}  // namespace rampart::console

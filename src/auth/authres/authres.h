// File: src/auth/authres/authres.h
// The Authentication-Results header field (RFC 8601): writing it from the
// results of the checks, and reading it back (from upstream hosts, ARC sets,
// tests). Plus the registry of methods, results and properties (RFC 8601
// section 2.7 and the IANA registries: spf, sender-id, dkim, dmarc, arc,
// iprev, auth, domainkeys).
//
//   authres::AuthResults ar;
//   ar.authserv_id = "mx.example.org";
//   authres::ResInfo spf;  spf.method = "spf"; spf.result = "pass";
//   spf.props = {{"smtp", "mailfrom", "alice@example.com"}};
//   ar.results.push_back(spf);
//   authres::ResInfo dkim;  dkim.method = "dkim"; dkim.result = "fail";
//   dkim.reason = "body hash did not verify";
//   dkim.props = {{"header", "d", "example.com"}, {"header", "b", "oINEO8hg"}};
//   ar.results.push_back(dkim);
//   std::string field = authres::format(ar);   // "Authentication-Results: mx.example.org;\r\n\tspf=pass ..."
//
//   auto parsed = authres::parse_field("Authentication-Results: example.com; none");
//   auto p2 = authres::parse("example.com; dkim=pass (good) header.d=example.com");
//   p2->results[0].method;                      // "dkim"
//   p2->results[0].property("header", "d");    // "example.com"
//
// Parsing follows the ABNF of RFC 8601 2.2 with its CFWS everywhere
// (comments nested up to kMaxCommentDepth, quoted-pairs), method versions
// ("dkim/1"), the payload version after the authserv-id, "reason=" and the
// "none" result. Methods, results, ptypes and property names are Keywords,
// compared without regard to case and stored lower-case. Property values may
// be a token, a quoted-string or [local-part]"@"domain; as real headers
// carry unquoted base64 (header.b=ab/c+d=), an unquoted value runs to the
// next whitespace, ";" or "(".
//
// Writing quotes whatever is not a token (or local@domain), escapes
// comments, drops CR/LF/NUL and other controls, and folds one resinfo a line.
//
// DIAGNOSTICS: parse() returns Errc::kParse with a byte offset for
// malformed input, Errc::kLimit past kMaxInput bytes, kMaxResults resinfos,
// kMaxProperties properties or kMaxCommentDepth nested comments. Work is
// linear; no recursion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::authres {

constexpr size_t kMaxInput = 64 * 1024;
constexpr size_t kMaxResults = 256;
constexpr size_t kMaxProperties = 64;
constexpr size_t kMaxCommentDepth = 64;

struct Property {
  std::string ptype;  // "smtp", "header", "body", "policy" (lower-case)
  std::string name;   // "mailfrom", "d", "from", ... (lower-case)
  std::string value;  // decoded
};

struct ResInfo {
  std::string method;           // lower-case: "spf", "dkim", ...
  unsigned method_version = 0;  // 0: not given ("dkim/1" -> 1)
  std::string result;           // lower-case: "pass", "fail", ...
  std::string reason;           // reason="..." (decoded); empty when absent
  std::string comment;          // the comments after the result, joined by a space
  std::vector<Property> props;

  // The value of ptype.name, or empty.
  std::string property(std::string_view ptype, std::string_view name) const;
};

struct AuthResults {
  std::string authserv_id;
  unsigned version = 0;          // 0: not given (means 1)
  std::vector<ResInfo> results;  // empty: "none"
};

// Parses the field body (what follows "Authentication-Results:").
Result<AuthResults> parse(std::string_view value);
// Parses a whole field: "Authentication-Results: ..." (name any case).
Result<AuthResults> parse_field(std::string_view field);

struct FormatOptions {
  bool fold = true;            // one resinfo a line (CRLF + TAB)
  bool include_name = true;    // start with "Authentication-Results: "
  bool write_version = false;  // write the payload version (1) after the id
};

std::string format(const AuthResults& ar, const FormatOptions& opt = {});
// One resinfo, "dkim=pass reason=\"...\" (comment) header.d=example.com".
std::string format_resinfo(const ResInfo& r);

// --- registry (RFC 8601 2.7, 6; RFC 7489 11.1; RFC 8617 10; RFC 7208 9.1) ---
struct MethodInfo {
  std::string_view name;
  std::string_view defined_in;               // "RFC 7208", ...
  std::vector<std::string_view> results;     // valid result keywords
  std::vector<std::string_view> properties;  // "smtp.mailfrom", "header.d", ...
  bool deprecated = false;
};

const std::vector<MethodInfo>& registered_methods();
const MethodInfo* find_method(std::string_view name);  // any case; nullptr if unknown
// True when `result` is registered for `method` (both any case).
bool valid_result(std::string_view method, std::string_view result);

// True when `s` can be written unquoted (RFC 2045 token).
bool is_token(std::string_view s);

}  // namespace rampart::authres

// File: src/server/milter/http.h
// The HTTP API's pure parts: an HTTP/1.1 request parser (request line,
// headers, Content-Length body), the response writer, the envelope of
// POST /v1/scan from its request headers, and the verdict as JSON.
//
//   HttpRequest req;
//   size_t used = 0;
//   std::string err;
//   switch (parse_http_request(buf, 20 << 20, req, used, err)) {
//     case HttpParse::kIncomplete: read more; break;
//     case HttpParse::kError: send(http_response(400, "application/json", error_json(err))); break;
//     case HttpParse::kComplete: dispatch(req); break;
//   }
//   auto st = scan_state_from(req);            // Result<shared_ptr<ScanState>>: X-Client-IP, X-Helo, ...
//   std::string body = verdict_json(verdict);  // {"action": ..., "score": ..., "symbols": [...], ...}
//
// Envelope headers of POST /v1/scan: X-Client-IP, X-Helo, X-Mail-From,
// X-Rcpt-To (repeatable, or comma-separated), X-Auth-User; addresses without
// angle brackets ("<>" or empty is the null sender).
// Connections persist (HTTP/1.1 keep-alive, RFC 9112 9.3) unless the client
// says "Connection: close" or speaks HTTP/1.0 without "keep-alive";
// pipelined requests are answered in order.
// DIAGNOSTICS: kError for a malformed request line or header, a header
// section over 64 KiB, a body over max_body, chunked transfer encoding (not
// supported: 411/400); scan_state_from fails (kInvalidArgument) for a
// missing or unparseable X-Client-IP.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "policy/policy.h"

namespace rampart::server {

struct HttpRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // Whether the client wants the connection kept for another request (RFC
  // 9112 9.3: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
  // "Connection: keep-alive").
  bool keep_alive = false;
  const std::string* header(std::string_view lower_name) const;
  std::vector<std::string> all(std::string_view lower_name) const;
};

enum class HttpParse { kIncomplete, kComplete, kError };

HttpParse parse_http_request(std::string_view buf, size_t max_body, HttpRequest& out, size_t& consumed,
                             std::string& error);
// keep_alive: "Connection: keep-alive" (another request may follow), else "Connection: close".
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive = false);
std::string json_escape(std::string_view s);
std::string error_json(std::string_view message);
std::string verdict_json(const policy::Verdict& v);
Result<std::shared_ptr<policy::ScanState>> scan_state_from(const HttpRequest& req);

}  // namespace rampart::server

// File: src/server/http/parser.h
// The HTTP API's pure parts: an HTTP/1.1 request parser (request line,
// headers, Content-Length body), the response writer and JSON errors.
// The envelope of POST /v1/scan and the verdict as JSON are in scan.h.
//
//   HttpRequest req;
//   size_t used = 0;
//   std::string err;
//   switch (parse_http_request(buf, 20 << 20, req, used, err)) {
//     case HttpParse::kIncomplete: read more; break;
//     case HttpParse::kError: send(http_response(400, "application/json", error_json(err))); break;
//     case HttpParse::kComplete: dispatch(req); break;
//   }
//
// Connections persist (HTTP/1.1 keep-alive, RFC 9112 9.3) unless the client
// says "Connection: close" or speaks HTTP/1.0 without "keep-alive";
// pipelined requests are answered in order.
// DIAGNOSTICS: kError for a malformed request line or header, a header
// section over 64 KiB, a body over max_body, chunked transfer encoding (not
// supported: 411/400).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::server {

struct HttpRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // Whether the client wants the connection kept for another request (RFC
  // 9112 9.3: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
  // "Connection: keep-alive").
  bool keep_alive = false;
  // The client's address ("127.0.0.1", "::1"), set by the server for the
  // handler (per-address limits such as the console's login limiter).
  std::string peer;
  // On a mutual-TLS listener (the exchange's): the hex SHA-256 of the
  // client's certificate, set by the server; empty elsewhere.
  std::string tls_peer_sha256;
  const std::string* header(std::string_view lower_name) const;
  std::vector<std::string> all(std::string_view lower_name) const;
};

enum class HttpParse { kIncomplete, kComplete, kError };

HttpParse parse_http_request(std::string_view buf, size_t max_body, HttpRequest& out, size_t& consumed,
                             std::string& error);
// keep_alive: "Connection: keep-alive" (another request may follow), else "Connection: close".
// `extra_headers`: complete header lines, each ending "\r\n" (Set-Cookie, Location, ...).
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive = false, std::string_view extra_headers = {});
std::string json_escape(std::string_view s);
std::string error_json(std::string_view message);
// The end of the header section in `buf` (the offset just past the blank
// line), or npos while it is incomplete.
size_t http_header_end(std::string_view buf);

}  // namespace rampart::server

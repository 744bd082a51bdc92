// File: src/server/http/parser.cc
// HTTP/1.1 request parsing and the response writer (see parser.h).
#include "server/http/parser.h"

#include "core/json.h"
#include "core/strings.h"

#include <cctype>

namespace rampart::server {

namespace {
std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

std::vector<std::string> HttpRequest::all(std::string_view lower_name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == lower_name) out.push_back(v);
  return out;
}

size_t http_header_end(std::string_view buf) {
  const size_t end = buf.find("\r\n\r\n");
  return end == std::string_view::npos ? end : end + 4;
}

HttpParse parse_http_request(std::string_view buf, size_t max_body, HttpRequest& out, size_t& consumed,
                             std::string& error) {
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > 65536) {
      error = "header section too large";
      return HttpParse::kError;
    }
    return HttpParse::kIncomplete;
  }
  std::string_view head = buf.substr(0, end);
  const size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.substr(sp2 + 1, 5) != "HTTP/") {
    error = "malformed request line";
    return HttpParse::kError;
  }
  out = HttpRequest{};
  out.method = std::string(line.substr(0, sp1));
  out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view h = head.substr(pos, e - pos);
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "malformed header field";
      return HttpParse::kError;
    }
    out.headers.emplace_back(lower(trim(h.substr(0, colon))), std::string(trim(h.substr(colon + 1))));
    pos = e + 2;
  }
  {
    const bool http11 = line.substr(sp2 + 1) == "HTTP/1.1";
    bool close = false, keep = false;
    for (const std::string& v : out.all("connection"))
      for (std::string_view tok : split(v, ',')) {
        const std::string t = lower(trim(tok));
        close = close || t == "close";
        keep = keep || t == "keep-alive";
      }
    out.keep_alive = !close && (http11 || keep);
  }
  if (const auto* te = out.header("transfer-encoding"); te && lower(*te) != "identity") {
    error = "chunked transfer encoding is not supported; send Content-Length";
    return HttpParse::kError;
  }
  size_t len = 0;
  if (const auto* cl = out.header("content-length")) {
    if (cl->empty() || cl->size() > 12) {
      error = "bad Content-Length";
      return HttpParse::kError;
    }
    for (char c : *cl) {
      if (c < '0' || c > '9') {
        error = "bad Content-Length";
        return HttpParse::kError;
      }
      len = len * 10 + static_cast<size_t>(c - '0');
    }
  }
  if (len > max_body) {
    error = "body too large";
    return HttpParse::kError;
  }
  if (buf.size() - (end + 4) < len) return HttpParse::kIncomplete;
  out.body = std::string(buf.substr(end + 4, len));
  consumed = end + 4 + len;
  return HttpParse::kComplete;
}

std::string http_response(int status, std::string_view content_type, std::string_view body, bool keep_alive,
                          std::string_view extra_headers) {
  const char* reason = "OK";
  switch (status) {
    case 200: reason = "OK"; break;
    case 204: reason = "No Content"; break;
    case 303: reason = "See Other"; break;
    case 400: reason = "Bad Request"; break;
    case 404: reason = "Not Found"; break;
    case 401: reason = "Unauthorized"; break;
    case 403: reason = "Forbidden"; break;
    case 405: reason = "Method Not Allowed"; break;
    case 408: reason = "Request Timeout"; break;
    case 413: reason = "Payload Too Large"; break;
    case 429: reason = "Too Many Requests"; break;
    case 500: reason = "Internal Server Error"; break;
    case 503: reason = "Service Unavailable"; break;
    default: reason = "Error"; break;
  }
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: ";
  out += content_type;
  if (status == 401 && extra_headers.find("WWW-Authenticate") == std::string_view::npos)
    out += "\r\nWWW-Authenticate: Bearer realm=\"rampart\"";
  out += "\r\n";
  out += extra_headers;
  out += "Content-Length: " + std::to_string(body.size()) +
         (keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  out += body;
  return out;
}

std::string json_escape(std::string_view s) { return json_quote(s); }

std::string error_json(std::string_view message) { return "{\"error\": " + json_escape(message) + "}"; }

}  // namespace rampart::server

// File: src/core/json.h
// JSON string escaping for the JSON every program here writes (CLI output,
// HTTP answers, events, reports). RFC 8259 section 7: quote, backslash and
// control characters escaped; other bytes (UTF-8) pass through.
//
//   std::string s = "{\"reason\": " + json_quote(reason) + "}";
//   append_json_string(out, name);          // appends "\"...\""
//   std::string body = json_escape(text);   // without the quotes
#pragma once

#include <string>
#include <string_view>

namespace rampart {

void append_json_escaped(std::string& out, std::string_view s);  // no quotes

inline void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}

inline std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  append_json_escaped(out, s);
  return out;
}

inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 10);
  append_json_string(out, s);
  return out;
}

}  // namespace rampart

// File: src/core/json.h
// JSON string escaping for the JSON every program here writes (CLI output,
// HTTP answers, events, reports). RFC 8259 section 7: quote, backslash and
// control characters (and DEL) escaped; well-formed UTF-8 passes through;
// every byte that starts no well-formed UTF-8 sequence (invalid, overlong,
// surrogate, truncated) becomes U+FFFD (as UTF-8), so the output is always
// valid JSON and writing what was read gives the same text.
//
//   std::string s = "{\"reason\": " + json_quote(reason) + "}";
//   append_json_string(out, name);          // appends "\"...\""
//   std::string body = json_escape(text);   // without the quotes
//
// JsonObject writes one object in the house style ({"a": 1, "b": "x"}):
//
//   std::string j = JsonObject().num("accepted", 1).str("reason", why).strings("ids", ids).done();
//   JsonObject().raw("counters", other_json)   // a value already in JSON
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

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

class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value) {
    append_json_string(start(key), value);
    return *this;
  }
  JsonObject& num(std::string_view key, int64_t value) {
    start(key) += std::to_string(value);
    return *this;
  }
  JsonObject& boolean(std::string_view key, bool value) {
    start(key) += value ? "true" : "false";
    return *this;
  }
  // A value that is JSON already (an object, an array, a formatted number).
  JsonObject& raw(std::string_view key, std::string_view json) {
    start(key) += json;
    return *this;
  }
  template <typename Strings>
  JsonObject& strings(std::string_view key, const Strings& values) {
    std::string& out = start(key);
    out += '[';
    bool first = true;
    for (const auto& v : values) {
      if (!first) out += ", ";
      first = false;
      append_json_string(out, v);
    }
    out += ']';
    return *this;
  }
  std::string done() { return out_.empty() ? "{}" : out_ + "}"; }

 private:
  std::string& start(std::string_view key) {
    out_ += out_.empty() ? "{" : ", ";
    append_json_string(out_, key);
    out_ += ": ";
    return out_;
  }
  std::string out_;
};

}  // namespace rampart

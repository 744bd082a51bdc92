// File: src/core/config.h
// TOML configuration (toml++). Parsing happens at start-up or on reload only;
// a bad file is an Errc::kConfig error naming the line, never an abort.
//
//   auto cfg = Config::load_file("/etc/rampart/rampart.toml");
//   auto cfg = Config::parse(R"(dns.timeout_ms = 2000)");
//   int64_t t = cfg->get_int("dns.timeout_ms", 3000);      // default if absent
//   auto s = cfg->require_string("server.listen");         // Result<std::string>
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace rampart {

class Config {
 public:
  static Result<Config> parse(std::string_view text, std::string_view source = "<string>");
  static Result<Config> load_file(const std::string& path);

  // Dotted paths ("dns.timeout_ms"). A present key of the wrong type is an
  // error in require_*; get_* returns the default for it.
  bool has(std::string_view path) const;
  int64_t get_int(std::string_view path, int64_t dflt) const;
  double get_double(std::string_view path, double dflt) const;
  bool get_bool(std::string_view path, bool dflt) const;
  std::string get_string(std::string_view path, std::string_view dflt) const;
  std::vector<std::string> get_strings(std::string_view path) const;
  Result<std::string> require_string(std::string_view path) const;
  Result<int64_t> require_int(std::string_view path) const;

  const toml::table& table() const { return *table_; }

 private:
  std::shared_ptr<toml::table> table_;
};

}  // namespace rampart

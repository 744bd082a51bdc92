// File: src/core/config.h
// TOML configuration (toml++), read strictly. Parsing happens at start-up or
// on reload only; every problem is an Errc::kConfig error naming the file,
// line, column and key, never an abort and never a silent default.
//
//   auto cfg = Config::load_file("/etc/rampart/rampart.toml");   // Result<Config>
//   const size_t mark = cfg->error_count();
//   Section sec = cfg->section("throttle.ip");         // absent table: defaults
//   double burst = sec.number("burst", 240, 1, 1e9);    // wrong type/range: recorded
//   bool on = sec.boolean("enabled", true);
//   if (!valid(x)) sec.invalid("exempt", "not a CIDR: " + x);
//   if (auto st = cfg->errors_since(mark); !st) return tl::unexpected(st.error());
//   ... every other section reader ...
//   if (auto st = cfg->finish(); !st) ...     // + every key no reader consumed
//   std::cout << cfg->effective_toml();      // the settings in effect
//
// Each reader declares the keys it knows by reading them (present or not);
// finish() reports every key and table of the file that no reader read
// ("[polcy]", "brust"), so a new section (e.g. [[http.tokens]]) plugs in by
// reading its keys through a Section before finish() runs. A wrong type
// (`burst = "2"`) or a value out of range (`burst = -1`) is recorded where it
// is read; readers collect the errors of their keys and return them all at
// once. The legacy dotted getters (get_int ...) also mark their key read and
// record a wrong type (returning the default), for readers not yet moved to
// Section. See README.md.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
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

class Section;

class Config {
 public:
  static Result<Config> parse(std::string_view text, std::string_view source = "<string>");
  static Result<Config> load_file(const std::string& path);

  // Dotted paths ("dns.timeout_ms"). Each marks the key read; a present key of
  // the wrong type is an error in require_*, and in get_* returns the default
  // and records an error (reported by errors_since() and finish()).
  bool has(std::string_view path) const;
  int64_t get_int(std::string_view path, int64_t dflt) const;
  double get_double(std::string_view path, double dflt) const;
  bool get_bool(std::string_view path, bool dflt) const;
  std::string get_string(std::string_view path, std::string_view dflt) const;
  std::vector<std::string> get_strings(std::string_view path) const;
  Result<std::string> require_string(std::string_view path) const;
  Result<int64_t> require_int(std::string_view path) const;

  // A table by dotted path ("" for the root); an absent one reads as empty.
  Section section(std::string_view path) const;

  // Replaces a value before the readers run (command-line options); errors
  // about it name `origin` ("--milter") instead of a file position.
  void set_string(std::string_view path, std::string_view value, std::string_view origin);
  void set_strings(std::string_view path, const std::vector<std::string>& values, std::string_view origin);

  // Errors recorded so far (wrong types, invalid values).
  size_t error_count() const;
  // The errors recorded after `mark`, one per line; ok when none.
  Status errors_since(size_t mark) const;
  // After every reader: every recorded error plus one per key or table no
  // reader read. Ok when the file is clean.
  Status finish() const;
  // The settings in effect (TOML): every key the readers read, with the value
  // given or the default they used.
  std::string effective_toml() const;

  const std::string& source() const;
  const toml::table& table() const;

  struct State;  // the file, what was read, errors (config.cc)

 private:
  friend class Section;
  std::shared_ptr<State> st_;
};

// One table of the configuration, as a reader sees it. Every getter marks
// its key read, records the value in effect, and on a wrong type or a value
// out of [min, max] records an error naming file:line:column and the key and
// returns the default.
class Section {
 public:
  const std::string& path() const { return path_; }
  bool present() const { return tbl_ != nullptr; }
  bool has(std::string_view key) const;
  // Keys present in the file, in file order (for tables of free keys: [scores]).
  std::vector<std::string> keys() const;

  bool boolean(std::string_view key, bool dflt);
  int64_t integer(std::string_view key, int64_t dflt, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  double number(std::string_view key, double dflt, double min = -std::numeric_limits<double>::max(),
                double max = std::numeric_limits<double>::max());
  std::string string(std::string_view key, std::string_view dflt);
  // One of `allowed` (exact).
  std::string choice(std::string_view key, std::string_view dflt,
                     std::initializer_list<std::string_view> allowed);
  std::vector<std::string> strings(std::string_view key);
  // A sub-table (absent: an empty section) and an array of tables.
  Section table(std::string_view key);
  std::vector<Section> tables(std::string_view key);

  // Records a validation error at `key`'s position ("file:3:1: throttle.exempt: ...").
  void invalid(std::string_view key, std::string_view message);
  // Records the value in effect for a key computed by the reader.
  void effective(std::string_view key, std::string_view value);
  void effective(std::string_view key, double value);
  void effective(std::string_view key, int64_t value);
  void effective(std::string_view key, bool value);

 private:
  friend class Config;
  Section(const Config& cfg, std::string path, const toml::table* tbl, toml::table* eff)
      : cfg_(&cfg), path_(std::move(path)), tbl_(tbl), eff_(eff) {}
  std::string key_path(std::string_view key) const;
  std::string where(std::string_view key) const;
  void consume(std::string_view key) const;

  const Config* cfg_;
  std::string path_;
  const toml::table* tbl_;
  toml::table* eff_;
};

}  // namespace rampart

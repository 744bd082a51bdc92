// File: apps/rampart/cli.h
// The rampart CLI: subcommands register themselves; main() dispatches.
//
//   static int run_spf(cli::Args& a) { ... }
//   static cli::Registrar reg("spf", "check SPF for a client IP", run_spf);
//
// Args parses "--key value", "--key=value" and "--flag". Every subcommand
// declares what it accepts; anything else is a usage error: one line on
// stderr, exit status 2 (cli::kUsage).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"

namespace rampart::cli {

constexpr int kUsage = 2;

class Args {
 public:
  Args(std::string command, std::vector<std::string> argv)
      : command_(std::move(command)), argv_(std::move(argv)) {}

  // Declares options: `with_value` take an argument, `flags` do not.
  // Returns false (after printing the one-line error) on an unknown option or
  // a missing value.
  bool parse(const std::set<std::string>& with_value, const std::set<std::string>& flags);

  std::optional<std::string> get(const std::string& key) const;
  std::string get_or(const std::string& key, const std::string& dflt) const;
  bool flag(const std::string& key) const { return flags_.count(key) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }
  const std::string& command() const { return command_; }
  const std::vector<std::string>& raw() const { return argv_; }

  // Prints "rampart <command>: <msg>" on stderr and returns kUsage.
  int usage_error(const std::string& msg) const;

 private:
  std::string command_;
  std::vector<std::string> argv_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

using Handler = int (*)(Args&);

struct Command {
  std::string name;
  std::string summary;
  Handler run;
};

std::map<std::string, Command>& registry();

struct Registrar {
  Registrar(const char* name, const char* summary, Handler h) {
    registry()[name] = Command{name, summary, h};
  }
};

// JSON string escaping for the --json outputs (core/json.h).
using rampart::json_escape;

// Whole contents of a file or of standard input ("-"): false if unreadable.
bool read_input(const std::string& path, std::string& out);

}  // namespace rampart::cli

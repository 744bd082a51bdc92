// rampart — command-line front end to rampart's libraries.
//
// SYNOPSIS
//   rampart <command> [options]
//   rampart help
//
// DESCRIPTION
//   Each command is a thin shell over a library under src/: it parses its
//   arguments, wires a resolver and prints the library's result.
//
// DIAGNOSTICS
//   Usage errors and unreadable files: one line on stderr, exit status 2.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

namespace rampart::cli {

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

bool Args::parse(const std::set<std::string>& with_value, const std::set<std::string>& flags) {
  for (size_t i = 0; i < argv_.size(); ++i) {
    const std::string& a = argv_[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string key = a.substr(2), value;
      bool has_inline = false;
      if (auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
        has_inline = true;
      }
      if (with_value.count(key)) {
        if (!has_inline) {
          if (i + 1 >= argv_.size()) {
            usage_error("option --" + key + " needs a value");
            return false;
          }
          value = argv_[++i];
        }
        values_[key] = value;
      } else if (flags.count(key) && !has_inline) {
        flags_.insert(key);
      } else {
        usage_error("unknown option --" + key);
        return false;
      }
    } else {
      positional_.push_back(a);
    }
  }
  return true;
}

std::optional<std::string> Args::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& key, const std::string& dflt) const {
  auto v = get(key);
  return v ? *v : dflt;
}

int Args::usage_error(const std::string& msg) const {
  std::fprintf(stderr, "rampart %s: %s\n", command_.c_str(), msg.c_str());
  return kUsage;
}

bool read_input(const std::string& path, std::string& out) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = !std::ferror(f);
  if (f != stdin) std::fclose(f);
  return ok;
}

}  // namespace rampart::cli

static void print_help() {
  std::printf("usage: rampart <command> [options]\n\ncommands:\n");
  for (const auto& [name, cmd] : rampart::cli::registry())
    std::printf("  %-12s %s\n", name.c_str(), cmd.summary.c_str());
}

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    print_help();
    return argc < 2 ? rampart::cli::kUsage : 0;
  }
  auto& reg = rampart::cli::registry();
  auto it = reg.find(argv[1]);
  if (it == reg.end()) {
    std::fprintf(stderr, "rampart: unknown command '%s' (try 'rampart help')\n", argv[1]);
    return rampart::cli::kUsage;
  }
  rampart::cli::Args args(argv[1], std::vector<std::string>(argv + 2, argv + argc));
  return it->second.run(args);
}

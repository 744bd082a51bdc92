// rampartd's configuration from the command line: --check-config (exit 0,
// or 2 with every error naming file:line:column and key), --print-config
// (the settings in effect, which check again), and the arguments that are
// validated before anything starts (--log-level, --milter, --nameserver).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "e2e_support.h"

namespace rampart {
namespace {

class RampartdConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("RAMPARTD_BIN");
    ASSERT_NE(bin, nullptr) << "RAMPARTD_BIN not set";
    rampartd = bin;
    tmp = std::filesystem::temp_directory_path() / ("rampartd_config_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
  }
  void TearDown() override { std::filesystem::remove_all(tmp); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = tmp + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  e2e::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), rampartd);
    return e2e::run(args, tmp, std::chrono::seconds(30));
  }
  std::string rampartd, tmp;
};

TEST_F(RampartdConfig, CheckConfigNamesEveryError) {
  struct Case {
    const char* toml;
    std::vector<const char*> errors;  // empty: the file is good
  };
  const Case cases[] = {
      {"[throttle.ip]\nburst = 2\n", {}},
      {"[throttle.ip]\nburst = \"2\"\n", {"c.toml:2:1: throttle.ip.burst: expected a number, got a string"}},
      {"[throttle.ip]\nburst = -1\n", {"c.toml:2:1: throttle.ip.burst: -1 is out of range"}},
      {"[polcy]\nreject_score = 20.0\n", {"c.toml:1:2: polcy: unknown table"}},
      {"[throttle.ip]\nbrust = 2\n", {"c.toml:2:1: throttle.ip.brust: unknown key"}},
      {"[throttle]\nexempt = [\"10.0.0.0/x\"]\n",
       {"c.toml:2:1: throttle.exempt: bad prefix length in \"10.0.0.0/x\""}},
      {"[server]\nmilter = \"127.0.0.1:99999\"\n", {"server.milter: \"127.0.0.1:99999\": bad port"}},
      {"[server]\nscan_timeout_s = 0\n", {"server.scan_timeout_s: 0 is out of range"}},
      {"[dns]\nnameservers = [\"127.0.0.1:53x\"]\n", {"dns.nameservers: \"127.0.0.1:53x\": bad port"}},
      {"[reputation]\nflush_ms = \"100\"\n", {"reputation.flush_ms: expected an integer, got a string"}},
      {"[reputation]\nmin_volume = \"20\"\n", {"reputation.min_volume: expected a number, got a string"}},
      // Several at once, each on its own line.
      {"[throttle.ip]\nburst = -1\nbrust = 2\n[polcy]\n",
       {"throttle.ip.burst: -1 is out of range", "throttle.ip.brust: unknown key", "polcy: unknown table"}},
  };
  for (const auto& c : cases) {
    const std::string path = write("c.toml", c.toml);
    auto r = run({"--check-config", path});
    if (c.errors.empty()) {
      EXPECT_EQ(r.status, 0) << c.toml << r.output;
      EXPECT_NE(r.output.find(": ok"), std::string::npos) << r.output;
      continue;
    }
    EXPECT_EQ(r.status, 2) << c.toml << r.output;
    for (const char* e : c.errors)
      EXPECT_NE(r.output.find(std::string(e).rfind("c.toml", 0) == 0 ? tmp + "/" + e : std::string(e)),
                std::string::npos)
          << c.toml << " -> " << r.output;
  }
}

TEST_F(RampartdConfig, ArgumentsAreValidated) {
  struct Case {
    std::vector<std::string> args;
    const char* error;
  };
  const Case cases[] = {
      {{"--log-level", "bogus"}, "unknown log level \"bogus\""},
      {{"--milter", "127.0.0.1"}, "--milter (server.milter): \"127.0.0.1\": needs a port"},
      {{"--http", "localhost:80"}, "--http (server.http): \"localhost:80\": not an IP address"},
      {{"--nameserver", "127.0.0.1:0"}, "--nameserver (dns.nameservers): \"127.0.0.1:0\": bad port"},
      {{"--config"}, "--config needs a value"},
      {{"--check-config", "/nonexistent/r.toml"}, "cannot read config file /nonexistent/r.toml"},
      {{"--bogus"}, "unknown argument --bogus"},
  };
  for (const auto& c : cases) {
    auto r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args[0] << r.output;
    EXPECT_NE(r.output.find(c.error), std::string::npos) << c.args[0] << " -> " << r.output;
  }
}

// --help explains the options a postmaster stumbled on (issue 15): --zone
// replaces DNS altogether, --data-dir, --log-level.
TEST_F(RampartdConfig, HelpExplainsTheOptions) {
  auto r = run({"--help"});
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* s : {"--zone FILE         answer every DNS question from this master file",
                        "it replaces DNS altogether", "--data-dir DIR      where state lives: DIR/reputation",
                        "--log-level LEVEL   trace, debug, info (default)", "PUT /v1/log-level"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}

TEST_F(RampartdConfig, PrintConfigShowsTheSettingsInEffect) {
  const std::string path = write("p.toml", "[throttle.ip]\nburst = 7\n[policy]\nauthserv_id = \"mx.test\"\n");
  auto r = run({"--config", path, "--milter", "127.0.0.1:2525", "--print-config"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("burst = 7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("milter = '127.0.0.1:2525'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("authserv_id = 'mx.test'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("reject_score = 15.0"), std::string::npos) << r.output;  // a default
  // What it prints is a configuration that checks clean.
  const std::string printed = write("printed.toml", r.output);
  auto again = run({"--check-config", printed});
  EXPECT_EQ(again.status, 0) << again.output << "\n" << r.output;
  // The shipped sample and the documented defaults check clean.
  auto defaults = run({"--print-default-config"});
  ASSERT_EQ(defaults.status, 0);
  auto d = run({"--check-config", write("d.toml", defaults.output)});
  EXPECT_EQ(d.status, 0) << d.output;
}

}  // namespace
}  // namespace rampart

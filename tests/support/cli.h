// File: tests/support/cli.h
// Shared fixture for end-to-end tests of the `rampart` binary: a scratch
// directory per test and run() with stdout, stderr and the exit status.
//
//   class CliSpf : public rampart::testing::CliTest {};
//   TEST_F(CliSpf, Works) {
//     auto r = run("spf --ip 192.0.2.1 --helo x --zone " + path("z.zone"));
//     EXPECT_EQ(r.status, 0) << r.err;
//   }
//
// The binary comes from $RAMPART_BIN (set by CMake) or build/apps/rampart.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rampart::testing {

struct CliResult {
  int status = -1;
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> seq{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("rampart-cli-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
    std::filesystem::create_directories(dir_);
    const char* env = std::getenv("RAMPART_BIN");
    bin_ = env ? env : "build/apps/rampart/rampart";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A path inside the scratch directory.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes `text` to a scratch file and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return path(name);
  }

  // Runs `rampart ARGS` (ARGS as shell words) with stdin from `stdin_file`.
  CliResult run(const std::string& args, const std::string& stdin_file = "/dev/null") const {
    const std::string out = path(".out"), err = path(".err");
    const std::string cmd = bin_ + " " + args + " >" + out + " 2>" + err + " <" + stdin_file;
    CliResult r;
    const int s = std::system(cmd.c_str());
    r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
  }

  std::filesystem::path dir_;
  std::string bin_;
};

}  // namespace rampart::testing

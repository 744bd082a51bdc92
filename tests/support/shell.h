// File: tests/support/shell.h
// Running a peer's command line from a test and writing its input files
// (the DKIM interop and differential tests drive dkimpy and OpenDKIM so).
//
//   rampart::testing::Proc p = rampart::testing::run_cmd("opendkim -V 2>&1");
//   EXPECT_EQ(p.rc, 0) << p.out;
//   rampart::testing::write_file(dir / "keys.tsv", text);
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace rampart::testing {

struct Proc {
  int rc = -1;  // exit status; -1 when it did not exit normally
  std::string out;
};

// Runs `cmd` through /bin/sh and collects its standard output.
inline Proc run_cmd(const std::string& cmd) {
  Proc r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline void write_file(const std::filesystem::path& p, const std::string& data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << data;
}

}  // namespace rampart::testing

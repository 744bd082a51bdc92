// File: tests/flows_process.h
// Child processes for the flows integration tests (softflowd, nfcapd, nfdump,
// exabgp, gobgpd): start with output to a log, wait with a deadline, always
// reaped (SIGKILL in the destructor if still running).
//
//   Proc p;
//   spawn(p, {"/usr/sbin/nfcapd", "-p", "9995", ...}, tmp + "/nfcapd.log");
//   ::kill(p.pid, SIGTERM);
//   EXPECT_EQ(p.wait(std::chrono::seconds(20)), 0);
//   std::string out;
//   int rc = run({"/usr/bin/nfdump", "-r", file, "-o", "csv"}, out, tmp);
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"

namespace rampart {

using Clock = std::chrono::steady_clock;

struct Proc {
  pid_t pid = -1;
  int status = -1;
  bool running() {
    if (pid < 0) return false;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return false;
    }
    return true;
  }
  // Waits for the exit; SIGKILL at the deadline. Returns the exit status (or -1).
  int wait(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (running()) {
      if (Clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        pid = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval, not a fixed wait
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~Proc() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
};

// Starts argv with stdout and stderr appended to log.
// env: "NAME=value" entries added to the child's environment.
inline void spawn(Proc& p, const std::vector<std::string>& argv, const std::string& log,
                  const std::vector<std::string>& env = {}) {
  p.pid = ::fork();
  if (p.pid == 0) {
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

// Runs argv to completion (bounded); returns its exit status and stdout.
inline int run(const std::vector<std::string>& argv, std::string& out, const std::string& tmp) {
  const std::string log = tmp + "/run.out";
  std::filesystem::remove(log);
  Proc p;
  spawn(p, argv, log);
  const int rc = p.wait(std::chrono::seconds(30));
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return rc;
}

inline std::string read_file(const std::string& path) { return e2e::slurp(path); }

// A port that was free a moment ago (for tools that cannot bind port 0).
using e2e::free_port;

}  // namespace rampart

// File: tests/e2e_support.h
// Helpers for the end-to-end tests with real daemons (Postfix, swaks,
// rampartd): child processes that are always reaped, commands run to
// completion with a deadline, polling with deadlines instead of sleeps.
//
//   e2e::Child d;
//   d.start({"/path/rampartd", "--milter", "127.0.0.1:0"}, tmp + "/rampartd.log", /*pipe_stdout=*/true);
//   std::string line = d.read_line(std::chrono::seconds(10));   // "rampartd: milter 127.0.0.1:PORT"
//   auto r = e2e::run({"/usr/bin/swaks", ...}, tmp);               // {exit status, output}
//   ASSERT_TRUE(e2e::poll_until([&] { return count() == 3; }, std::chrono::seconds(20)));
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/milter/codec.h"

namespace rampart::e2e {

using SteadyClock = std::chrono::steady_clock;

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!pred()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a fixed wait
  }
  return true;
}

class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill_now(); }

  // Starts argv; stderr (and stdout unless pipe_stdout) appended to `log`.
  bool start(const std::vector<std::string>& argv, const std::string& log, bool pipe_stdout = false) {
    int fds[2] = {-1, -1};
    if (pipe_stdout && ::pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(pipe_stdout ? fds[1] : fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (pipe_stdout) {
      ::close(fds[1]);
      out_fd_ = fds[0];
    }
    return pid_ > 0;
  }

  // One line of the child's stdout ("" at the deadline or EOF).
  std::string read_line(std::chrono::milliseconds limit) {
    const auto deadline = SteadyClock::now() + limit;
    while (true) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0 || out_fd_ < 0) return "";
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char b[512];
      const ssize_t n = ::read(out_fd_, b, sizeof b);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Waits for the exit (SIGKILL at the deadline); the exit status or -1.
  int wait(std::chrono::milliseconds limit) {
    if (!poll_until([&] { return !running(); }, limit)) kill_now();
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    if (out_fd_ >= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  int out_fd_ = -1;
  std::string buf_;
};

struct RunResult {
  int status = -1;
  std::string output;
};

// Runs argv to completion within `limit`; stdout and stderr captured.
inline RunResult run(const std::vector<std::string>& argv, const std::string& tmp,
                     std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  static int counter = 0;
  const std::string log =
      tmp + "/run." + std::to_string(::getpid()) + "." + std::to_string(counter++) + ".out";
  RunResult r;
  {
    Child c;
    c.start(argv, log);
    r.status = c.wait(limit);
  }
  r.output = slurp(log);
  std::filesystem::remove(log);
  return r;
}

// A port on 127.0.0.1 that was free a moment ago (SOCK_STREAM or
// SOCK_DGRAM; for daemons that cannot be told to bind port 0, like
// Postfix's master, nfcapd or exabgp).
inline uint16_t free_port(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t l = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &l);
  ::close(fd);
  return ntohs(sa.sin_port);
}
inline uint16_t free_tcp_port() { return free_port(SOCK_STREAM); }

// The length of the complete HTTP/1.1 response that starts at `pos` of a
// stream of pipelined answers (status line through its Content-Length body),
// or 0 while it is not all there yet.
inline size_t complete_response(const std::string& in, size_t pos) {
  const size_t end = in.find("\r\n\r\n", pos);
  if (end == std::string::npos) return 0;
  const size_t cl = in.find("Content-Length: ", pos);
  if (cl == std::string::npos || cl > end) return 0;
  const size_t len = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
  if (in.size() < end + 4 + len) return 0;
  return end + 4 + len - pos;
}

inline bool tcp_accepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// A minimal HTTP/1.1 exchange with 127.0.0.1:port ("" on failure or when
// no byte came for timeout_s).
// Why the calling thread's last http() came back short: "" when the server
// closed after answering (or the whole answer was in), else the step that
// failed and its errno ("connect: Connection refused", "recv: Resource
// temporarily unavailable" for the timeout, "closed after N bytes").
inline thread_local std::string http_error;

inline std::string http(uint16_t port, const std::string& request, int timeout_s = 10) {
  http_error.clear();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    http_error = std::string("socket: ") + std::strerror(errno);
    return "";
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  bool whole = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    http_error = std::string("connect: ") + std::strerror(errno);
  } else if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
             static_cast<ssize_t>(request.size())) {
    http_error = std::string("send: ") + std::strerror(errno);
  } else {
    char b[4096];
    ssize_t n;
    // Until the server closes, or the whole response (Content-Length) is in:
    // a kept-alive connection stays open after it.
    while ((n = ::recv(fd, b, sizeof b, 0)) > 0) {
      out.append(b, static_cast<size_t>(n));
      const size_t end = out.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::string head = out.substr(0, end);
      for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const size_t cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos &&
          out.size() >= end + 4 + std::strtoul(head.c_str() + cl + 17, nullptr, 10)) {
        whole = true;
        break;
      }
    }
    if (n < 0)
      http_error = std::string("recv: ") + std::strerror(errno);
    else if (!whole && out.find("\r\n\r\n") == std::string::npos)
      http_error = "closed after " + std::to_string(out.size()) + " bytes";
  }
  ::close(fd);
  return out;
}

// The hour window of counter `name` in a GET /v1/reputation/...?counters=1
// answer (whole response or body), -1 when absent. Counters are decayed to
// the moment of the read, so one event reads a little under 1: compare with
// a tolerance, never as text.
inline double counter_hour(const std::string& answer, const char* name) {
  const size_t head = answer.find("\r\n\r\n");
  auto j =
      nlohmann::json::parse(head == std::string::npos ? answer : answer.substr(head + 4), nullptr, false);
  if (j.is_discarded() || !j.contains("counters") || !j["counters"].contains(name)) return -1;
  const auto& c = j["counters"][name];
  return c.contains("hour") && c["hour"].is_number() ? c["hour"].get<double>() : -1;
}

// The next milter reply on `fd`, read through `framer` (which keeps what
// follows it); nullopt on a bad frame, a closed socket or after `limit`.
inline std::optional<milter::Reply> read_milter_reply(int fd, milter::Framer& framer,
                                                      std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = framer.next();
    if (!p) return std::nullopt;
    if (*p) {
      auto r = milter::decode_reply(**p);
      if (!r) return std::nullopt;
      return *r;
    }
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 100) <= 0) continue;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    framer.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  return std::nullopt;
}

}  // namespace rampart::e2e

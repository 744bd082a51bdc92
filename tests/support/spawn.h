// File: tests/support/spawn.h
// Runs a program with an argument vector (no shell: arguments may hold
// quotes, spaces or anything else) and returns its exit status and its
// standard output and error, merged. Thread-safe: tests run many at once.
// Also a reader for one string or number field of a flat JSON object, for
// the one-line JSON the `rampart` subcommands print.
//
//   auto r = testing::spawn({bin, "spf", "--ip=192.0.2.1", "--json"});
//   std::string result = testing::json_field(r.out, "result");
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace rampart::testing {

struct SpawnResult {
  int status = -1;  // exit status, -1 when it did not exit normally
  std::string out;  // stdout and stderr
};

inline SpawnResult spawn(const std::vector<std::string>& args) {
  SpawnResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    r.out = "posix_spawn failed";
    return r;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The decoded value of `"key": "..."` (or the literal text of a non-string
// value) in the first JSON object of `text`; "" when absent.
inline std::string json_field(std::string_view text, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\": ";
  size_t at = text.find(needle);
  if (at == std::string_view::npos) return "";
  size_t i = at + needle.size();
  std::string out;
  if (i >= text.size() || text[i] != '"') {
    while (i < text.size() && text[i] != ',' && text[i] != '}') out.push_back(text[i++]);
    return out;
  }
  for (++i; i < text.size() && text[i] != '"'; ++i) {
    char c = text[i];
    if (c != '\\' || i + 1 >= text.size()) {
      out.push_back(c);
      continue;
    }
    char e = text[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (i + 4 >= text.size()) return out;
        unsigned v = std::stoul(std::string(text.substr(i + 1, 4)), nullptr, 16);
        i += 4;
        if (v < 0x80) {
          out.push_back(static_cast<char>(v));
        } else if (v < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (v >> 6)));
          out.push_back(static_cast<char>(0x80 | (v & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | (v >> 12)));
          out.push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (v & 0x3F)));
        }
        break;
      }
      default: out.push_back(e);  // " \ /
    }
  }
  return out;
}

}  // namespace rampart::testing

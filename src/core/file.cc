#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rampart {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Errc::kIo, "write: " + errno_text());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kIo, dir + ": " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(Errc::kIo, dir + ": fsync: " + errno_text());
  return {};
}

Status write_file_atomically(const std::string& path, std::string_view data, mode_t mode) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(Errc::kIo, tmp + ": " + errno_text());
  Status st = write_all(fd, data);
  if (st && (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0)) st = fail(Errc::kIo, "fsync: " + errno_text());
  ::close(fd);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = fail(Errc::kIo, "rename: " + errno_text());
  if (!st) {
    ::unlink(tmp.c_str());
    return fail(Errc::kIo, path + ": " + st.error().message);
  }
  return fsync_dir(dir);
}

std::string read_file_or_empty(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

}  // namespace rampart

// The append-only audit log.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "exchange/exchange.h"

namespace rampart::exchange {

Result<AuditLog> AuditLog::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fail(Errc::kIo, path + ": " + std::strerror(errno));
  return AuditLog(fd, path);
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::record(int64_t now, std::string_view op, std::string_view member, std::string_view cls,
                        size_t items, uint64_t seq, std::string_view detail) {
  std::string line = fmt::format("{} {} member={} class={} items={}", now, op, member.empty() ? "-" : member,
                                 cls.empty() ? "-" : cls, items);
  if (seq != 0) line += fmt::format(" seq={}", seq);
  if (!detail.empty()) {
    line += " detail=\"";
    for (char c : detail.substr(0, 200)) line += (c >= 0x20 && c != '"' && c != 0x7f) ? c : '?';
    line += '"';
  }
  line += '\n';
  // One write(2) per line with O_APPEND: lines from several writers never
  // interleave (regular files, below PIPE_BUF is not required there).
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) return fail(Errc::kIo, path_ + ": audit write failed");
  return {};
}

}  // namespace rampart::exchange

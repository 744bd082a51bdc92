// The append-only audit log.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "exchange/exchange.h"

namespace rampart::exchange {

struct AuditLog::Tally {
  mutable std::mutex mu;
  std::map<std::string, MemberActivity, std::less<>> members;
};

AuditLog::AuditLog(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), tally_(std::make_shared<Tally>()) {}

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
  if (tally_ && !member.empty()) {
    const std::lock_guard lock(tally_->mu);
    auto it = tally_->members.find(member);
    if (it == tally_->members.end() && tally_->members.size() < 1024)
      it = tally_->members.emplace(std::string(member), MemberActivity{}).first;
    if (it != tally_->members.end()) {
      MemberActivity& m = it->second;
      if (op == "refuse" || op == "deny") {
        ++m.refused;
        m.last_refused = now;
      } else if (!cls.empty() && (op == "publish" || op == "write" || op == "read")) {
        auto c = m.by_class.find(cls);
        if (c == m.by_class.end()) c = m.by_class.emplace(std::string(cls), AuditActivity{}).first;
        if (op == "read") {
          c->second.read_items += items;
          ++c->second.reads;
          c->second.last_read = now;
        } else {
          c->second.published_items += items;
          ++c->second.published_batches;
          c->second.last_published = now;
        }
      }
    }
  }
  if (n != static_cast<ssize_t>(line.size())) return fail(Errc::kIo, path_ + ": audit write failed");
  return {};
}

std::map<std::string, MemberActivity, std::less<>> AuditLog::activity() const {
  if (!tally_) return {};
  const std::lock_guard lock(tally_->mu);
  return tally_->members;
}

}  // namespace rampart::exchange

// The append-only audit log.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "exchange/exchange.h"

namespace rampart::exchange {

struct AuditLog::Tally {
  mutable std::mutex mu;
  std::map<std::string, MemberActivity, std::less<>> members;
  int64_t first = 0;  // the time of the first line counted
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
  count(now, op, member, cls, items);
  if (n != static_cast<ssize_t>(line.size())) return fail(Errc::kIo, path_ + ": audit write failed");
  return {};
}

void AuditLog::count(int64_t now, std::string_view op, std::string_view member, std::string_view cls,
                     size_t items) {
  if (!tally_ || member.empty()) return;
  const std::lock_guard lock(tally_->mu);
  if (tally_->first == 0 || now < tally_->first) tally_->first = now;
  auto it = tally_->members.find(member);
  if (it == tally_->members.end() && tally_->members.size() < 1024)
    it = tally_->members.emplace(std::string(member), MemberActivity{}).first;
  if (it == tally_->members.end()) return;
  MemberActivity& m = it->second;
  if (op == "refuse" || op == "deny") {
    ++m.refused;
    m.last_refused = std::max(m.last_refused, now);
  } else if (!cls.empty() && (op == "publish" || op == "write" || op == "read")) {
    auto c = m.by_class.find(cls);
    if (c == m.by_class.end()) {
      if (m.by_class.size() >= 16) return;  // the classes are few; a damaged file cannot grow this
      c = m.by_class.emplace(std::string(cls), AuditActivity{}).first;
    }
    if (op == "read") {
      c->second.read_items += items;
      ++c->second.reads;
      c->second.last_read = std::max(c->second.last_read, now);
    } else {
      c->second.published_items += items;
      ++c->second.published_batches;
      c->second.last_published = std::max(c->second.last_published, now);
    }
  }
}

bool AuditLog::parse_line(std::string_view line, Line& out) {
  auto next = [&line]() {
    const size_t sp = line.find(' ');
    std::string_view t = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    return t;
  };
  auto number = [](std::string_view t, auto& v) {
    if (t.empty() || t.size() > 19) return false;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size() && v >= 0;
  };
  auto field = [](std::string_view t, std::string_view key, std::string_view& v) {
    if (t.size() <= key.size() || t.substr(0, key.size()) != key || t[key.size()] != '=') return false;
    v = t.substr(key.size() + 1);
    return !v.empty() && v.size() <= 64;
  };
  Line l;
  if (!number(next(), l.time)) return false;
  const std::string_view op = next();
  if (op.empty() || op.size() > 16) return false;
  std::string_view member, cls, items;
  if (!field(next(), "member", member) || !field(next(), "class", cls) || !field(next(), "items", items))
    return false;
  if (!number(items, l.items)) return false;
  for (char c : op)
    if (c < 'a' || c > 'z') return false;
  l.op = op;
  l.member = member == "-" ? "" : std::string(member);
  l.cls = cls == "-" ? "" : std::string(cls);
  out = std::move(l);
  return true;
}

Status AuditLog::tally_existing(size_t max_bytes) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kIo, path_ + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(Errc::kIo, path_ + ": " + std::strerror(errno));
  }
  const off_t size = st.st_size;
  const off_t from = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
  std::string text(static_cast<size_t>(size - from), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t r = ::pread(fd, text.data() + got, text.size() - got, from + static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  text.resize(got);
  std::string_view rest = text;
  if (from > 0) {  // the first line read is a piece of one
    const size_t nl = rest.find('\n');
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // a line being written: not yet
    Line l;
    if (parse_line(rest.substr(0, nl), l)) count(l.time, l.op, l.member, l.cls, l.items);
    rest.remove_prefix(nl + 1);
  }
  return {};
}

int64_t AuditLog::first_time() const {
  if (!tally_) return 0;
  const std::lock_guard lock(tally_->mu);
  return tally_->first;
}

std::map<std::string, MemberActivity, std::less<>> AuditLog::activity() const {
  if (!tally_) return {};
  const std::lock_guard lock(tally_->mu);
  return tally_->members;
}

}  // namespace rampart::exchange

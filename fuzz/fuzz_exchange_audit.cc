// File: fuzz/fuzz_exchange_audit.cc
// Fuzz target: the exchange's audit log as rampartd reads it back at start
// (src/exchange/exchange.h AuditLog::parse_line, one line at a time, and
// AuditLog::tally_existing over the whole input as a file). A line that
// parses has a non-negative time and op, member and class of at most 64
// bytes; the tally stays within its bounds (1024 members, 16 classes each).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exchange/exchange.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::exchange;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view rest = text;
  for (int i = 0; i < 256 && !rest.empty(); ++i) {
    const size_t nl = rest.find('\n');
    AuditLog::Line l;
    if (AuditLog::parse_line(rest.substr(0, nl), l)) {
      if (l.time < 0 || l.op.empty() || l.op.size() > 16 || l.member.size() > 64 || l.cls.size() > 64)
        std::abort();
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  // The same bytes as a file read back (the tail of 4 KiB, so the partial-line path runs too).
  char path[] = "/tmp/fuzz_exchange_audit_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return 0;
  const bool written = ::write(fd, data, size) == static_cast<ssize_t>(size);
  ::close(fd);
  if (written) {
    if (auto log = AuditLog::open(path)) {
      (void)log->tally_existing(4096);
      const auto a = log->activity();
      if (a.size() > 1024) std::abort();
      for (const auto& [member, m] : a)
        if (member.empty() || m.by_class.size() > 16) std::abort();
    }
  }
  ::unlink(path);
  return 0;
}

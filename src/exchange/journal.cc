// The journal of batches a member holds, with compaction (see exchange.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/file.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

namespace {
// frame(text).size() without building it: "batch <n>\n" and the text.
size_t framed_size(size_t n) { return 7 + std::to_string(n).size() + n; }
}  // namespace

Journal Journal::open(const std::string& dir, std::string* warning) {
  Journal j;
  j.dir_ = dir;
  if (dir.empty()) return j;
  const std::string text = read_file_or_empty(dir + "/journal");
  std::string_view rest = text;
  while (!rest.empty()) {
    auto f = next_frame(rest);
    if (!f) {
      if (warning) *warning = "journal: " + f.error().message + " (the rest is ignored)";
      break;
    }
    auto p = parse_batch(*f);
    if (!p) continue;
    j.bytes_ += framed_size(f->size());
    j.entries_.push_back(
        Entry{std::string(*f), p->batch.cls, p->batch.origin, p->batch.items.size(), p->batch.time});
  }
  const std::string b = read_file_or_empty(dir + "/journal.base");
  uint64_t v = 0;
  size_t digits = 0;
  for (char c : b) {
    if (c < '0' || c > '9' || ++digits > 19) break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  j.base_ = v;
  return j;
}

Status Journal::append(std::string text, const Batch& b) {
  Status st;
  if (!dir_.empty()) {
    const int fd = ::open((dir_ + "/journal").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      st = fail(Errc::kIo, dir_ + "/journal: cannot open");
    } else {
      const std::string f = frame(text);
      if (!write_all(fd, f)) st = fail(Errc::kIo, dir_ + "/journal: write failed");
      ::close(fd);
    }
  }
  bytes_ += framed_size(text.size());
  entries_.push_back(Entry{std::move(text), b.cls, b.origin, b.items.size(), b.time});
  return st;
}

size_t Journal::compact(int64_t older_than, size_t max_bytes, size_t* by_size) {
  size_t n = 0, sized = 0;
  auto drop = [&] {
    bytes_ -= std::min(bytes_, framed_size(entries_.front().text.size()));
    entries_.pop_front();
    ++base_;
    ++n;
  };
  while (!entries_.empty() && entries_.front().time < older_than) drop();
  for (; !entries_.empty() && bytes_ > max_bytes; ++sized) drop();
  if (by_size) *by_size = sized;
  if (n == 0 || dir_.empty()) return n;
  std::string all;
  for (const Entry& e : entries_) all += frame(e.text);
  // The base first: a crash between the two leaves positions too high, so a
  // member re-reads nothing it has not applied (replays are refused anyway).
  (void)write_file_atomically(dir_ + "/journal.base", std::to_string(base_) + "\n", 0640);
  (void)write_file_atomically(dir_ + "/journal", all, 0640);
  return n;
}

}  // namespace rampart::exchange

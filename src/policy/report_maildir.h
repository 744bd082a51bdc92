// File: src/policy/report_maildir.h
// Feedback reports from a mailbox: the Maildir a provider's FBL address is
// delivered into (Postfix `home_mailbox = Maildir/`, or any MDA), polled
// from rampartd's loop 0; the file system work (listing new/, reading a
// report, moving it) runs off the loop (Feedback::run_off_loop), the loop
// only posts each report.
//
//   auto md = policy::ReportMaildir::open("/var/lib/rampart/fbl");   // Result
//   policy::ReportIngest ingest(*feedback, std::move(*md), clock, 2000);
//   server->set_tick([&] { ingest.tick(); });
//
// Each poll takes up to `batch` files from new/ (oldest name first: Maildir
// names begin with the delivery time) and hands them, one at a time, to
// Feedback::post_report (DKIM re-verification included). Outcome:
//   accepted (200)   new/NAME -> cur/NAME:2,S
//   refused (400)    new/NAME -> rejected/NAME, the reason in rejected/NAME.reason
//   store error      left in new/; the poll stops and the next one retries
// A file larger than max_bytes is refused without being read whole.
// A report that was posted (accepted or refused) but cannot be moved out of
// new/ (cur/ or rejected/ not writable, EXDEV, ENOSPC...) is not posted
// again: its name is remembered ("stuck"), logged once, counted once
// (Stats::stuck, rampart_maildir_reports_total{outcome="stuck"}), and
// skipped by later polls for as long as it stays in new/ (an operator moves
// it; a new file of the same name after it left is read again). The memory
// is the process's: after a restart such a file is posted once more.
//
// DIAGNOSTICS: open() fails (kIo) when the directory or its new/, cur/,
// rejected/ cannot be created; a file that cannot be read is logged and
// counted (io_errors) and skipped until the next poll; one that cannot be
// moved after its post is logged and counted (io_errors and stuck) once.
// Nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"

namespace rampart::policy {

class Feedback;

class ReportMaildir {
 public:
  static Result<ReportMaildir> open(std::string dir, size_t max_bytes = 16u << 20);
  const std::string& dir() const { return dir_; }
  // File names waiting in new/, sorted, at most `max`, leaving out those in
  // `skip` (each of them still present in new/ is added to *skipped_seen).
  Result<std::vector<std::string>> waiting(size_t max, const std::set<std::string>& skip = {},
                                           std::set<std::string>* skipped_seen = nullptr) const;
  // The file's bytes; kLimit past max_bytes.
  Result<std::string> read(const std::string& name) const;
  Status accept(const std::string& name) const;
  Status reject(const std::string& name, const std::string& reason) const;

 private:
  explicit ReportMaildir(std::string dir, size_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string dir_;
  size_t max_bytes_;
};

class ReportIngest {
 public:
  ReportIngest(std::shared_ptr<Feedback> fb, ReportMaildir md, const Clock& clock, int64_t poll_ms,
               size_t batch = 64);
  // Starts a poll when the last one has finished and poll_ms have passed.
  void tick();
  // Polls now (tests): returns when every report of the batch is handled,
  // provided the resolver answers synchronously; else from the event loop.
  void poll();
  bool busy() const { return *busy_; }

  // Written on the ingest's loop, read by a scrape on any loop.
  struct Stats {
    OwnedCounter accepted, rejected, retried, io_errors;
    OwnedCounter stuck;  // posted, then could not be moved out of new/ (each file once)
  };
  // Names posted but left in new/ (skipped by later polls).
  const std::set<std::string>& stuck() const { return *stuck_; }
  const Stats& stats() const { return *stats_; }

 private:
  struct Round;
  static void next(const std::shared_ptr<Round>& r);

  std::shared_ptr<Feedback> fb_;
  std::shared_ptr<ReportMaildir> md_;
  const Clock& clock_;
  std::chrono::milliseconds poll_;
  size_t batch_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::shared_ptr<bool> busy_ = std::make_shared<bool>(false);
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
  std::shared_ptr<std::set<std::string>> stuck_ = std::make_shared<std::set<std::string>>();
};

}  // namespace rampart::policy

// File: src/policy/report_maildir.cc
// Feedback reports from a Maildir (see report_maildir.h).
#include "policy/report_maildir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/log.h"
#include "policy/feedback.h"

namespace rampart::policy {

namespace fs = std::filesystem;

Result<ReportMaildir> ReportMaildir::open(std::string dir, size_t max_bytes) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  for (const char* sub : {"", "/new", "/cur", "/tmp", "/rejected"}) {
    std::error_code ec;
    fs::create_directories(dir + sub, ec);
    if (ec || !fs::is_directory(dir + sub))
      return fail(Errc::kIo, "reports maildir " + dir + sub + ": " + (ec ? ec.message() : "not a directory"));
  }
  return ReportMaildir(std::move(dir), max_bytes);
}

Result<std::vector<std::string>> ReportMaildir::waiting(size_t max, const std::set<std::string>& skip,
                                                        std::set<std::string>* skipped_seen) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir_ + "/new", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    std::string n = it->path().filename().string();
    if (n.empty() || n.front() == '.') continue;
    if (skip.count(n)) {
      if (skipped_seen) skipped_seen->insert(std::move(n));
      continue;
    }
    names.push_back(std::move(n));
  }
  if (ec) return fail(Errc::kIo, "reports maildir " + dir_ + "/new: " + ec.message());
  std::sort(names.begin(), names.end());
  if (names.size() > max) names.resize(max);
  return names;
}

Result<std::string> ReportMaildir::read(const std::string& name) const {
  const std::string path = dir_ + "/new/" + name;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return fail(Errc::kIo, path + ": " + ec.message());
  if (size > max_bytes_)
    return fail(Errc::kLimit, "report of " + std::to_string(size) + " bytes is larger than the limit of " +
                                  std::to_string(max_bytes_));
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, path + ": cannot open");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return fail(Errc::kIo, path + ": read error");
  return bytes;
}

Status ReportMaildir::accept(const std::string& name) const {
  std::error_code ec;
  // Maildir info: ":2,S" (seen), unless the deliverer already added info.
  const std::string to = name.find(":2,") == std::string::npos ? name + ":2,S" : name;
  fs::rename(dir_ + "/new/" + name, dir_ + "/cur/" + to, ec);
  if (ec) return fail(Errc::kIo, dir_ + "/new/" + name + " -> cur/: " + ec.message());
  return {};
}

Status ReportMaildir::reject(const std::string& name, const std::string& reason) const {
  {
    std::ofstream out(dir_ + "/rejected/" + name + ".reason", std::ios::binary | std::ios::trunc);
    out << reason << "\n";
    if (!out) return fail(Errc::kIo, dir_ + "/rejected/" + name + ".reason: cannot write");
  }
  std::error_code ec;
  fs::rename(dir_ + "/new/" + name, dir_ + "/rejected/" + name, ec);
  if (ec) return fail(Errc::kIo, dir_ + "/new/" + name + " -> rejected/: " + ec.message());
  return {};
}

// ---------------------------------------------------------------- ingest
struct ReportIngest::Round {
  std::shared_ptr<Feedback> fb;
  std::shared_ptr<ReportMaildir> md;
  std::shared_ptr<bool> busy;
  std::shared_ptr<Stats> stats;
  std::shared_ptr<std::set<std::string>> stuck;
  std::vector<std::string> names;
  size_t i = 0;
};

ReportIngest::ReportIngest(std::shared_ptr<Feedback> fb, ReportMaildir md, const Clock& clock,
                           int64_t poll_ms, size_t batch)
    : fb_(std::move(fb)),
      md_(std::make_shared<ReportMaildir>(std::move(md))),
      clock_(clock),
      poll_(poll_ms),
      batch_(std::max<size_t>(1, batch)) {}

void ReportIngest::tick() {
  if (*busy_) return;
  const auto now = clock_.monotonic();
  if (last_ && now - *last_ < poll_) return;
  poll();
}

// The file system work of a round (listing new/, reading a report, moving
// it) runs off the event loop (Feedback::run_off_loop: the store service's
// worker); the loop only starts steps and posts the reports.
void ReportIngest::poll() {
  if (*busy_) return;
  last_ = clock_.monotonic();
  *busy_ = true;
  auto r = std::make_shared<Round>(Round{fb_, md_, busy_, stats_, stuck_, {}, 0});
  const size_t batch = batch_;
  fb_->run_off_loop(
      [r, batch] {
        // Stuck names still in new/ stay remembered; the others are forgotten.
        std::set<std::string> still;
        auto names = r->md->waiting(batch, *r->stuck, &still);
        if (!names) {
          r->stats->io_errors++;
          log::get()->error("{}", names.error().message);
          return;
        }
        *r->stuck = std::move(still);
        r->names = std::move(*names);
      },
      [r] { next(r); });
}

namespace {
// A posted report that stays in new/ is remembered so that no later poll
// posts it again (its counts are in the store already).
void moved(ReportIngest::Stats& stats, std::set<std::string>& stuck, const std::string& name,
           const Status& st) {
  if (!st) {
    stats.io_errors++;
    stats.stuck++;
    stuck.insert(name);
    log::get()->error("{}; the report was counted and stays in new/, not posted again", st.error().message);
  }
}
}  // namespace

void ReportIngest::next(const std::shared_ptr<Round>& r) {
  if (r->i >= r->names.size()) {
    *r->busy = false;
    return;
  }
  // Off the loop: read the next report (refusing oversized ones, skipping
  // unreadable ones) ...
  auto body = std::make_shared<std::optional<std::string>>();
  r->fb->run_off_loop(
      [r, body] {
        while (r->i < r->names.size()) {
          const std::string& name = r->names[r->i];
          auto b = r->md->read(name);
          if (!b && b.error().code == Errc::kLimit) {
            r->stats->rejected++;
            moved(*r->stats, *r->stuck, name, r->md->reject(name, b.error().message));
            r->i++;
            continue;
          }
          if (!b) {
            r->stats->io_errors++;
            log::get()->error("{}", b.error().message);
            r->i++;
            continue;
          }
          *body = std::move(*b);
          return;
        }
      },
      // ... on the loop: post it; one report at a time, the next starts from
      // this one's answer (its move off the loop again).
      [r, body] {
        if (!*body) {
          *r->busy = false;
          return;
        }
        const std::string name = r->names[r->i];
        r->fb->post_mailbox_report(std::move(**body), [r, name](Feedback::Answer a) {
          if (a.status != 200 && a.status != 400) {
            r->stats->retried++;
            log::get()->warn("feedback report {} not counted ({}): left for the next poll", name, a.json);
            *r->busy = false;
            return;
          }
          if (a.status == 400) log::get()->warn("feedback report {} refused: {}", name, a.reason);
          r->fb->run_off_loop(
              [r, name, a] {
                if (a.status == 200) {
                  r->stats->accepted++;
                  moved(*r->stats, *r->stuck, name, r->md->accept(name));
                } else {
                  r->stats->rejected++;
                  moved(*r->stats, *r->stuck, name, r->md->reject(name, a.reason));
                }
              },
              [r] {
                r->i++;
                next(r);
              });
        });
      });
}

}  // namespace rampart::policy

// File: src/server/state_file.h
// A worker's state kept across restarts (the calls' patterns, the SMS/IM
// senders' windows): read back at start, written atomically
// (core/file.h write_file_atomically, mode 0600) every `interval_s` on the
// worker's own io_context, and once more at stop.
//
//   StateFile state{ctx, "calls", cfg.state_file, cfg.state_interval_s,
//                   [&](std::string_view text, int64_t now, size_t* skipped) { return
//                   patterns.load_state(text, now, skipped); },
//                   [&](int64_t now) { return patterns.save_state(now); }};
//   state.load(); state.schedule();   // at start, before the worker runs
//   ...; state.save();                // at stop, once the worker has stopped
//
// An empty path turns it all off. DIAGNOSTICS: what was read back is logged
// (with the count of unreadable lines skipped); a failed write is logged at
// warn and the old file stays whole; nothing here fails the service.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/file.h"
#include "core/log.h"

namespace rampart {

class StateFile {
 public:
  using Load = std::function<size_t(std::string_view text, int64_t now, size_t* skipped)>;
  using Save = std::function<std::string(int64_t now)>;

  StateFile(boost::asio::io_context& ctx, std::string what, std::string path, int64_t interval_s, Load load,
            Save save)
      : timer_(ctx),
        what_(std::move(what)),
        path_(std::move(path)),
        interval_s_(interval_s),
        load_(std::move(load)),
        save_(std::move(save)) {}

  void load() {
    if (path_.empty()) return;
    const std::string text = read_file_or_empty(path_);
    if (text.empty()) return;  // the first start
    size_t skipped = 0;
    const size_t n = load_(text, now(), &skipped);
    log::get()->info("{}: {} entries read back from {}{}", what_, n, path_,
                     skipped ? " (" + std::to_string(skipped) + " unreadable lines skipped)" : "");
  }
  void save() {
    if (path_.empty()) return;
    if (auto st = write_file_atomically(path_, save_(now()), 0600); !st)
      log::get()->warn("{}: state not written: {}", what_, st.error().message);
  }
  // Saves every interval_s on the io_context (its thread owns the state).
  void schedule() {
    if (path_.empty()) return;
    timer_.expires_after(std::chrono::seconds(interval_s_));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      save();
      schedule();
    });
  }

 private:
  static int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }
  boost::asio::steady_timer timer_;
  std::string what_, path_;
  int64_t interval_s_;
  Load load_;
  Save save_;
};

}  // namespace rampart

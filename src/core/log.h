// File: src/core/log.h
// Logging: spdlog behind two calls, so libraries log the same way everywhere.
//
//   rampart::log::init("info");              // once, in main()
//   rampart::log::get()->warn("spf: {}", why);
//
// Libraries log only what an operator needs; per-message detail goes into
// results (symbols, reasons), not into logs.
//
// Formats ([log] format): "text" (time, level, message) or "json": one JSON
// object a line, {"time": "2026-12-07T04:30:00.123Z", "level": "info",
// "id": "4Xy3z1", "msg": "..."}, the message escaped (RFC 8259), "id" present
// while a MessageScope is open on the logging thread: the lines of one
// message (milter, scan, reputation events, action) share it.
//
//   { rampart::log::MessageScope scope(state.log_id());  log::get()->info(...); }
//
// The level may change at run time (set_level, step_level: rampartd's
// SIGUSR1 and SIGUSR2); spdlog's level is atomic.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/config.h"
#include "core/result.h"

namespace rampart::log {

// Level names: trace, debug, info, warn, error, critical, off. Unknown -> info
// (check a name from the user with valid_level() first).
void init(std::string_view level, bool to_stderr = true);
// Ok for one of the level names; else an Errc::kInvalidArgument naming them.
Status valid_level(std::string_view level);
// The logger, by reference: no copy of the shared_ptr (its reference count
// is one cache line every event loop would write at each call). init()
// replaces it: call init() before any other thread logs.
const std::shared_ptr<spdlog::logger>& get();

enum class Format { kText, kJson };
void set_format(Format f);
Format format();

// [log] format = "text" | "json" (errors name file:line and the key).
struct LogOptions {
  Format format = Format::kText;
  static Result<LogOptions> from(const Config& cfg);
};

// Now and later: the level by name (valid_level() first), its name, and one
// step more (+1: toward trace) or less (-1: toward off) verbose; returns the new name.
void set_level(std::string_view level);
std::string level_name();
std::string step_level(int more_verbose);

// While alive, this thread's log lines carry `id` (JSON's "id" field).
class MessageScope {
 public:
  explicit MessageScope(const std::string& id);
  ~MessageScope();
  MessageScope(const MessageScope&) = delete;
  MessageScope& operator=(const MessageScope&) = delete;

 private:
  const std::string* prev_;
};

// A new message id where the MTA gave none: 12 hex digits, unique in this
// process (a counter) and unlikely to repeat across restarts (random start).
std::string new_message_id();

// One log record as a JSON line (without the newline), as the json format writes it.
std::string json_line(std::string_view time, std::string_view level, const std::string* id,
                      std::string_view msg);

}  // namespace rampart::log

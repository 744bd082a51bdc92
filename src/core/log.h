// File: src/core/log.h
// Logging: spdlog behind two calls, so libraries log the same way everywhere.
//
//   rampart::log::init("info");              // once, in main()
//   rampart::log::get()->warn("spf: {}", why);
//
// Libraries log only what an operator needs; per-message detail goes into
// results (symbols, reasons), not into logs.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/result.h"

namespace rampart::log {

// Level names: trace, debug, info, warn, error, critical, off. Unknown -> info
// (check a name from the user with valid_level() first).
void init(std::string_view level, bool to_stderr = true);
// Ok for one of the level names; else an Errc::kInvalidArgument naming them.
Status valid_level(std::string_view level);
std::shared_ptr<spdlog::logger> get();

}  // namespace rampart::log

#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace rampart::log {

namespace {
std::shared_ptr<spdlog::logger>& instance() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("rampart", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return logger;
}
}  // namespace

void init(std::string_view level, bool to_stderr) {
  auto& l = instance();
  if (!to_stderr)
    l = std::make_shared<spdlog::logger>("rampart", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  auto lv = spdlog::level::from_str(std::string(level));
  if (lv == spdlog::level::off && level != "off") lv = spdlog::level::info;
  l->set_level(lv);
  l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

Status valid_level(std::string_view level) {
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    if (l == level) return {};
  return fail(Errc::kInvalidArgument, "unknown log level \"" + std::string(level) +
                                          "\" (trace, debug, info, warn, error, critical, off)");
}

std::shared_ptr<spdlog::logger> get() { return instance(); }

}  // namespace rampart::log

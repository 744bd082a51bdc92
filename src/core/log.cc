#include "core/log.h"

#include "core/json.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
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

thread_local const std::string* t_id = nullptr;
std::atomic<Format> g_format{Format::kText};
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto t = msg.time;
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    const auto lv = spdlog::level::to_string_view(msg.level);
    const std::string line = json_line(ts, std::string_view(lv.data(), lv.size()), t_id,
                                       std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

void apply_format(spdlog::logger& l, Format f) {
  if (f == Format::kJson)
    l.set_formatter(std::make_unique<JsonFormatter>());
  else
    l.set_pattern(kTextPattern);
}

// A JSON string: core/json.h's escaping (control characters escaped, bytes
// that are not UTF-8 as U+FFFD, so the line stays valid JSON).
void put_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}
}  // namespace

std::string json_line(std::string_view time, std::string_view level, const std::string* id,
                      std::string_view msg) {
  std::string out;
  out.reserve(msg.size() + 80);
  out += "{\"time\": ";
  put_json_string(out, time);
  out += ", \"level\": ";
  put_json_string(out, level);
  if (id) {
    out += ", \"id\": ";
    put_json_string(out, *id);
  }
  out += ", \"msg\": ";
  put_json_string(out, msg);
  out += '}';
  return out;
}

void set_format(Format f) {
  g_format.store(f);
  apply_format(*instance(), f);
}

Format format() { return g_format.load(); }

Result<LogOptions> LogOptions::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  LogOptions o;
  Section s = cfg.section("log");
  o.format = s.choice("format", "text", {"text", "json"}) == "json" ? Format::kJson : Format::kText;
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return o;
}

void set_level(std::string_view level) {
  auto lv = spdlog::level::from_str(std::string(level));
  if (lv == spdlog::level::off && level != "off") lv = spdlog::level::info;
  instance()->set_level(lv);
}

std::string level_name() {
  const auto v = spdlog::level::to_string_view(instance()->level());
  return std::string(v.data(), v.size());
}

std::string step_level(int more_verbose) {
  auto& l = *instance();
  int v = static_cast<int>(l.level()) - more_verbose;  // trace = 0 ... off = 6
  v = std::max(static_cast<int>(spdlog::level::trace), std::min(v, static_cast<int>(spdlog::level::off)));
  l.set_level(static_cast<spdlog::level::level_enum>(v));
  return level_name();
}

MessageScope::MessageScope(const std::string& id) : prev_(t_id) { t_id = &id; }
MessageScope::~MessageScope() { t_id = prev_; }

std::string new_message_id() {
  static std::atomic<uint64_t> next{[] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 16) ^ rd();
  }()};
  // Each thread takes a block of numbers at a time: one shared atomic add
  // per kBlock ids, not one per message from every event loop.
  constexpr uint64_t kBlock = 256;
  thread_local uint64_t mine = 0, left = 0;
  if (left == 0) {
    mine = next.fetch_add(kBlock, std::memory_order_relaxed);
    left = kBlock;
  }
  const uint64_t n = mine++ & 0xffffffffffffULL;
  --left;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b(12, '0');
  for (size_t i = 0; i < 12; ++i) b[11 - i] = kHex[(n >> (4 * i)) & 0xf];
  return b;
}

void init(std::string_view level, bool to_stderr) {
  auto& l = instance();
  if (!to_stderr)
    l = std::make_shared<spdlog::logger>("rampart", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  auto lv = spdlog::level::from_str(std::string(level));
  if (lv == spdlog::level::off && level != "off") lv = spdlog::level::info;
  l->set_level(lv);
  apply_format(*l, g_format.load());
}

Status valid_level(std::string_view level) {
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    if (l == level) return {};
  return fail(Errc::kInvalidArgument, "unknown log level \"" + std::string(level) +
                                          "\" (trace, debug, info, warn, error, critical, off)");
}

const std::shared_ptr<spdlog::logger>& get() { return instance(); }

}  // namespace rampart::log

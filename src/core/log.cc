#include "core/log.h"

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

// The length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs,
// no surrogates, at most U+10FFFF), or 0.
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  return n;
}

void put_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Valid UTF-8 as it is; any other byte as U+FFFD (the line stays valid JSON).
      if (const size_t n = utf8_len(s, i); n > 0) {
        out.append(s.substr(i, n));
        i += n - 1;
      } else {
        out += "\\ufffd";
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
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
  const uint64_t n = next.fetch_add(1, std::memory_order_relaxed) & 0xffffffffffffULL;
  char b[16];
  std::snprintf(b, sizeof b, "%012llx", static_cast<unsigned long long>(n));
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

std::shared_ptr<spdlog::logger> get() { return instance(); }

}  // namespace rampart::log

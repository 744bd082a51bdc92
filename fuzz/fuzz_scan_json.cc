// Fuzz target: every answer of POST /v1/scan is valid JSON in valid UTF-8,
// whatever the message holds (issue 12: flipped bytes gave answers that were
// not JSON). The input is the message; its first line also becomes the
// envelope's HELO and MAIL FROM, so odd bytes reach the symbols' reasons. The
// verdict goes through the same verdict_json() the HTTP API answers with, and
// a strict RFC 8259 checker (below) aborts on anything that is not JSON.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "dns/zone_resolver.h"
#include "policy/policy.h"
#include "policy/throttle.h"
#include "server/http/scan.h"

namespace {

// RFC 3629 well-formed UTF-8.
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80                   ? 1
               : (c >= 0xC2 && c <= 0xDF) ? 2
               : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF4) ? 4
                                          : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    const auto c1 = static_cast<unsigned char>(n > 1 ? s[i + 1] : 0);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F))
      return false;
    i += n;
  }
  return true;
}

// A strict JSON checker (RFC 8259): one value, nothing after it. Our answers
// nest a few levels; depth is capped, so no unbounded recursion.
struct Json {
  std::string_view s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool lit(std::string_view w) {
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
  bool str() {
    if (i >= s.size() || s[i] != '"') return false;
    for (++i; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') return ++i, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i >= s.size()) return false;
        const char e = s[i];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k)
            if (++i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool num() {
    const size_t start = i;
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    if (s[i] == '0')
      ++i;
    else
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i < s.size() && s[i] == '.') {
      if (++i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    return i > start;
  }
  bool value(int depth) {
    if (depth > 16) return false;
    ws();
    if (i >= s.size()) return false;
    bool ok = false;
    if (s[i] == '{') {
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') {
        ++i;
        ok = true;
      } else {
        for (;;) {
          ws();
          if (!str()) return false;
          ws();
          if (i >= s.size() || s[i++] != ':') return false;
          if (!value(depth + 1)) return false;
          ws();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          if (i < s.size() && s[i] == '}') {
            ++i;
            ok = true;
          }
          break;
        }
      }
    } else if (s[i] == '[') {
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') {
        ++i;
        ok = true;
      } else {
        for (;;) {
          if (!value(depth + 1)) return false;
          ws();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          if (i < s.size() && s[i] == ']') {
            ++i;
            ok = true;
          }
          break;
        }
      }
    } else if (s[i] == '"') {
      ok = str();
    } else if (s[i] == 't') {
      ok = lit("true");
    } else if (s[i] == 'f') {
      ok = lit("false");
    } else if (s[i] == 'n') {
      ok = lit("null");
    } else {
      ok = num();
    }
    ws();
    return ok;
  }
  bool whole() { return value(0) && i == s.size(); }
};

struct World {
  rampart::dns::ZoneResolver dns;
  rampart::FakeClock clock;
  rampart::policy::PolicyConfig cfg;
  std::shared_ptr<rampart::policy::Pipeline> pipe;
  World() {
    cfg.authserv_id = "mx.example.net";
    pipe = rampart::policy::Pipeline::create(cfg, dns, clock,
                                             std::make_shared<rampart::policy::Throttle>(clock));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  static World* w = new World();
  std::string_view msg(reinterpret_cast<const char*>(data), size);
  const std::string_view first = msg.substr(0, std::min<size_t>(msg.find('\n'), 200));
  auto s = std::make_shared<policy::ScanState>();
  s->env.ip = *IpAddress::parse("192.0.2.9");
  s->env.has_ip = true;
  s->env.helo = std::string(first);
  s->env.mail_from = std::string(first);
  s->env.rcpts = {"bob@example.net"};
  s->set_message(std::string(msg));
  const policy::Verdict v = w->pipe->scan_sync(s);
  const std::string body = server::verdict_json(v);
  if (!valid_utf8(body)) std::abort();
  Json j{body};
  if (!j.whole()) std::abort();
  const std::string late = server::timeout_verdict_json();
  Json k{late};
  if (!valid_utf8(late) || !k.whole()) std::abort();
  return 0;
}

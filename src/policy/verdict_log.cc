// File: src/policy/verdict_log.cc
// One log line per message; see verdict_log.h.
#include "policy/verdict_log.h"

#include <cstdio>

#include "core/fixed.h"

namespace rampart::policy {

namespace {

constexpr size_t kMaxLine = 4096;

void put_escaped(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
}

void put_angle(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += "=<";
  put_escaped(out, value);
  out += '>';
}

std::string score2(double v) { return fixed(v, 2); }

}  // namespace

std::string verdict_log_line(const ScanState& s, const Verdict& v) {
  std::string out;
  out.reserve(512);
  if (s.env.queue_id.empty()) {
    // Postfix's word for a message without a queue id, then rampart's own id
    // (the "id" of the message's other lines).
    out += "NOQUEUE: id=";
    put_escaped(out, s.log_id());
  } else {
    put_escaped(out, s.env.queue_id);
  }
  out += s.env.queue_id.empty() ? ", client=" : ": client=";
  put_escaped(out,
              s.env.client_name.empty() ? std::string_view("unknown") : std::string_view(s.env.client_name));
  out += '[';
  out += s.env.has_ip ? s.env.ip.to_string() : std::string("local");
  out += "], ";
  put_angle(out, "helo", s.env.helo);
  out += ", ";
  put_angle(out, "from", s.env.mail_from);
  if (!s.env.rcpts.empty()) {
    out += ", ";
    put_angle(out, "to", s.env.rcpts.front());
  }
  out += ", nrcpt=" + std::to_string(s.env.rcpts.size());
  if (!s.env.auth_user.empty()) {
    out += ", sasl_username=";
    put_escaped(out, s.env.auth_user);
  }
  out += ", action=";
  out += action_name(v.action);
  out += ", score=" + score2(v.score);
  if (!v.smtp_reply.empty()) {
    out += ", reply=\"";
    put_escaped(out, v.smtp_reply);
    out += '"';
  }
  out += ", symbols=";
  bool first = true;
  for (const auto& sym : v.symbols) {
    if (out.size() > kMaxLine) {
      out += ", ...";
      break;
    }
    if (!first) out += ", ";
    first = false;
    put_escaped(out, sym.name);
    out += '(' + score2(sym.score);
    if (!sym.reason.empty()) {
      out += " \"";
      put_escaped(out, sym.reason);
      out += '"';
    }
    out += ')';
  }
  if (out.size() > kMaxLine + 64) {
    out.resize(kMaxLine);
    out += "...";
  }
  return out;
}

void AuthTally::count(const ScanState& s) {
  for (size_t m = 0; m < kMethods.size(); ++m) {
    size_t found = kResults.size();  // none yet
    for (const auto& r : s.auth) {
      if (r.method != kMethods[m]) continue;
      size_t i = 0;
      while (i + 1 < kResults.size() && kResults[i] != r.result) ++i;
      if (found == kResults.size() || i == 0) found = i;
      if (i == 0) break;
    }
    if (found < kResults.size()) ++n[m][found];
  }
}

}  // namespace rampart::policy

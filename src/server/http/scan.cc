// File: src/server/http/scan.cc
// The envelope of POST /v1/scan and the verdict as JSON (see scan.h).
#include "server/http/scan.h"

#include "core/fixed.h"
#include "core/json.h"
#include "core/strings.h"

namespace rampart::server {

namespace {
std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
std::string address(std::string_view a) {
  a = trim_ws(a);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return std::string(a);
}
}  // namespace

std::string verdict_json(const policy::Verdict& v) {
  // Appended in place (one buffer, reserved once): written for every scan.
  std::string o;
  size_t need = 160 + v.authentication_results.size() + v.smtp_reply.size();
  for (const auto& s : v.symbols) need += 48 + s.name.size() + s.reason.size();
  o.reserve(need);
  o += "{\"action\": ";
  append_json_string(o, policy::action_name(v.action));
  o += ", \"score\": ";
  append_fixed(o, v.score, 2);
  o += ", \"symbols\": [";
  bool first = true;
  for (const auto& s : v.symbols) {
    if (!first) o += ", ";
    first = false;
    o += "{\"name\": ";
    append_json_string(o, s.name);
    o += ", \"score\": ";
    append_fixed(o, s.score, 2);
    o += ", \"reason\": ";
    append_json_string(o, s.reason);
    o += '}';
  }
  o += "], \"authentication_results\": ";
  append_json_string(o, v.authentication_results);
  o += ", \"smtp_reply\": ";
  append_json_string(o, v.smtp_reply);
  o += '}';
  return o;
}

std::string timeout_verdict_json() {
  policy::Verdict v;
  v.action = policy::Action::kTempfail;
  v.smtp_reply = "451 4.4.3 Policy checks timed out, try again later";
  v.reason = "scan deadline";
  return verdict_json(v);
}

Result<std::shared_ptr<policy::ScanState>> scan_state_from(const HttpRequest& req) {
  auto st = std::make_shared<policy::ScanState>();
  const auto* ip = req.header("x-client-ip");
  if (!ip) return fail(Errc::kInvalidArgument, "X-Client-IP is required");
  auto parsed = IpAddress::parse(trim_ws(*ip));
  if (!parsed) return fail(Errc::kInvalidArgument, "X-Client-IP is not an IP address");
  st->env.ip = *parsed;
  st->env.has_ip = true;
  if (const auto* h = req.header("x-helo")) st->env.helo = std::string(trim_ws(*h));
  if (const auto* m = req.header("x-mail-from")) st->env.mail_from = address(*m);
  for (const auto& r : req.all("x-rcpt-to")) {
    std::string_view rest = r;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string a = address(rest.substr(0, comma));
      if (!a.empty()) st->env.rcpts.push_back(std::move(a));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (const auto* u = req.header("x-auth-user")) st->env.auth_user = std::string(trim_ws(*u));
  // Look only (no reputation events): "?look_only=1" or "X-Look-Only: 1".
  const std::string_view query = req.target.find('?') == std::string::npos
                                     ? std::string_view()
                                     : std::string_view(req.target).substr(req.target.find('?'));
  const auto* lo = req.header("x-look-only");
  st->look_only = (lo && trim_ws(*lo) == "1") || query.find("?look_only=1") != std::string_view::npos ||
                  query.find("&look_only=1") != std::string_view::npos;
  return st;
}

}  // namespace rampart::server

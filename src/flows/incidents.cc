// File: src/flows/incidents.cc
// The bot incidents rampartd keeps (see incidents.h).
#include "flows/incidents.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/json.h"
#include "core/log.h"

namespace rampart::flows {

namespace {

using nlohmann::json;

std::string num(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

Status check_reason(std::string_view r) {
  if (r.find_first_not_of(" \t") == std::string_view::npos)
    return fail(Errc::kInvalidArgument, "reason: required (why, for the audit log)");
  if (r.size() > kMaxIncidentReason)
    return fail(Errc::kInvalidArgument, "reason: at most " + std::to_string(kMaxIncidentReason) + " bytes");
  for (char c : r)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(Errc::kInvalidArgument, "reason: no control characters");
  return {};
}

// nlohmann without exceptions: the value or kParse.
Result<json> parse_object(std::string_view text) {
  if (text.size() > kMaxIncidentJson)
    return fail(Errc::kParse, "JSON: more than " + std::to_string(kMaxIncidentJson) + " bytes");
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(Errc::kParse, "not JSON");
  if (!j.is_object()) return fail(Errc::kParse, "not a JSON object");
  return j;
}

bool get_str(const json& j, const char* key, std::string& out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get_ref<const std::string&>();
  return true;
}

bool get_int(const json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return true;
}

}  // namespace

std::string_view incident_state_name(IncidentState s) {
  switch (s) {
    case IncidentState::kOpen: return "open";
    case IncidentState::kExtended: return "extended";
    case IncidentState::kReleased: return "released";
    case IncidentState::kExpired: return "expired";
  }
  return "open";
}

std::optional<IncidentState> parse_incident_state(std::string_view s) {
  for (auto st :
       {IncidentState::kOpen, IncidentState::kExtended, IncidentState::kReleased, IncidentState::kExpired})
    if (incident_state_name(st) == s) return st;
  return std::nullopt;
}

std::string incident_to_json(const IncidentRecord& r) {
  std::string ev = "{";
  for (const auto& [k, v] : r.evidence) {
    if (ev.size() > 1) ev += ", ";
    append_json_string(ev, k);
    ev += ": " + num(v);
  }
  ev += "}";
  return JsonObject()
      .num("id", static_cast<int64_t>(r.id))
      .str("host", r.host)
      .str("kind", r.kind)
      .str("state", incident_state_name(r.state))
      .str("action", r.action)
      .raw("score", num(r.score))
      .boolean("probing", r.probing)
      .num("opened", r.opened)
      .num("updated", r.updated)
      .num("expires", r.expires)
      .num("first_seen", r.first_seen)
      .num("last_seen", r.last_seen)
      .str("summary", r.summary)
      .raw("evidence", ev)
      .str("who", r.who)
      .str("reason", r.reason)
      .done();
}

Result<IncidentRecord> parse_incident_json(std::string_view line) {
  auto j = parse_object(line);
  if (!j) return tl::unexpected(j.error());
  IncidentRecord r;
  int64_t id = 0;
  std::string state;
  if (!get_int(*j, "id", id) || id <= 0) return fail(Errc::kParse, "id: a positive integer");
  r.id = static_cast<uint64_t>(id);
  if (!get_str(*j, "host", r.host)) return fail(Errc::kParse, "host: a string");
  auto ip = IpAddress::parse(r.host);
  if (!ip) return fail(Errc::kParse, "host: not an address");
  r.host = ip->to_string();
  if (!get_str(*j, "kind", r.kind) || !get_str(*j, "action", r.action) || !get_str(*j, "state", state) ||
      !get_str(*j, "summary", r.summary) || !get_str(*j, "who", r.who, false) ||
      !get_str(*j, "reason", r.reason, false))
    return fail(Errc::kParse, "kind, action, state, summary, who, reason: strings");
  auto st = parse_incident_state(state);
  if (!st) return fail(Errc::kParse, "state: open, extended, released or expired");
  r.state = *st;
  if (r.action != "notify" && r.action != "throttle" && r.action != "block")
    return fail(Errc::kParse, "action: notify, throttle or block");
  for (auto [key, dest] :
       {std::pair{"opened", &r.opened}, std::pair{"updated", &r.updated}, std::pair{"expires", &r.expires},
        std::pair{"first_seen", &r.first_seen}, std::pair{"last_seen", &r.last_seen}})
    if (!get_int(*j, key, *dest)) return fail(Errc::kParse, std::string(key) + ": an integer");
  auto sc = j->find("score");
  if (sc == j->end() || !sc->is_number()) return fail(Errc::kParse, "score: a number");
  r.score = sc->get<double>();
  if (auto p = j->find("probing"); p != j->end()) {
    if (!p->is_boolean()) return fail(Errc::kParse, "probing: true or false");
    r.probing = p->get<bool>();
  }
  auto ev = j->find("evidence");
  if (ev == j->end() || !ev->is_object()) return fail(Errc::kParse, "evidence: an object");
  if (ev->size() > 64) return fail(Errc::kParse, "evidence: at most 64 figures");
  for (auto it = ev->begin(); it != ev->end(); ++it) {
    if (!it.value().is_number()) return fail(Errc::kParse, "evidence: numbers");
    r.evidence.emplace_back(it.key(), it.value().get<double>());
  }
  return r;
}

std::vector<std::pair<std::string, double>> incident_figures(const Incident& inc) {
  const Evidence& e = inc.evidence;
  std::vector<std::pair<std::string, double>> out;
  auto add = [&](const char* k, double v) {
    if (v != 0) out.emplace_back(k, std::round(v * 1000) / 1000);
  };
  add("score", inc.score);
  add("smtp_flows", e.smtp_flows);
  add("distinct_dst25", e.distinct_dst25);
  add("failed_ratio", e.failed_ratio);
  add("smtp_share", e.smtp_share);
  add("new_dst25_long", e.new_dst25_long);
  add("new_dst25_6h", e.new_dst25_6h);
  add("novelty_6h", e.novelty_6h);
  add("submissions", e.submissions);
  add("submissions_1h", e.submissions_1h);
  add("submissions_trimmed_1h", e.submissions_trimmed_1h);
  add("submission_burst_hours", e.submission_burst_hours);
  add("submission_servers", e.submission_servers);
  add("submission_networks", e.submission_networks);
  add("login_peak", e.login_peak);
  add("login_networks", e.login_networks);
  add("regularity", e.regularity);
  add("inbound_smtp_long", e.inbound_smtp_long);
  add("flows_1h", e.flows_1h);
  add("mail_polls_1h", e.mail_polls_1h);
  add("clients", e.clients);
  add("sustained_slots", e.sustained_slots);
  add("scan_dsts", e.scan_dsts);
  add("scan_port", e.scan_port);
  add("flood_flows", e.flood_flows);
  add("udp_unanswered", e.udp_unanswered);
  add("probe_score", e.probe_score);
  add("cc_bots", e.cc_bots);
  add("cc_contacts", e.cc_contacts);
  add("beacon_hours", e.beacon_hours);
  add("beacon_servers", e.beacon_servers);
  add("beacon_sessions", e.beacon_sessions);
  add("beacon_cv", e.beacon_cv);
  for (const auto& [k, v] : e.terms)
    if (v != 0 && out.size() < 60) out.emplace_back("term_" + k, std::round(v * 1000) / 1000);
  return out;
}

std::string incident_summary(const Incident& inc) {
  const Evidence& e = inc.evidence;
  std::string s;
  auto part = [&](const std::string& p) { s += (s.empty() ? "" : ", ") + p; };
  if (e.smtp_flows > 0) {
    part("port 25: " + std::to_string(e.smtp_flows) + " flows to " + std::to_string(e.distinct_dst25) +
         " destinations");
    if (e.failed_ratio > 0) part(num(std::round(e.failed_ratio * 100)) + "% failed");
    if (e.new_dst25_long > 0) part(std::to_string(e.new_dst25_long) + " new in 1 h");
  }
  if (e.submissions_1h > 0) part(std::to_string(e.submissions_1h) + " submissions in 1 h");
  if (e.submission_burst_hours > 0) part(std::to_string(e.submission_burst_hours) + " burst hours");
  if (e.scan_dsts > 0)
    part("scan: " + std::to_string(e.scan_dsts) + " failed destinations on port " +
         std::to_string(e.scan_port));
  if (e.flood_flows > 0)
    part("flood: " + std::to_string(e.flood_flows) + " unanswered flows to one destination");
  if (e.udp_unanswered > 0) part(std::to_string(e.udp_unanswered) + " silent UDP destinations");
  if (e.cc_hours > 0)
    part("C&C: " + std::to_string(e.cc_servers) + " server(s) shared with " + std::to_string(e.cc_bots) +
         " confirmed bots of " + std::to_string(e.cc_contacts) + " hosts reaching them, called in " +
         std::to_string(e.cc_hours) + " of the last 6 hours");
  if (e.beacon_sessions > 0 && e.terms.count("beacon_hours"))
    part("beacon: " + std::to_string(e.beacon_servers) +
         " server(s) no other subscriber reaches, called in " + std::to_string(e.beacon_hours) + " hours, " +
         std::to_string(e.beacon_sessions) + " sessions, gaps varying " + num(std::round(e.beacon_cv * 100)) +
         "%");
  // The strongest model terms.
  std::vector<std::pair<std::string, double>> terms(e.terms.begin(), e.terms.end());
  std::sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string top;
  for (size_t i = 0; i < terms.size() && i < 3; ++i)
    if (terms[i].second > 0) top += (top.empty() ? "" : " ") + terms[i].first + "=" + num(terms[i].second);
  if (s.empty()) s = "flows";
  s += "; score " + num(std::round(inc.score * 100) / 100);
  if (!top.empty()) s += " (" + top + ")";
  return s;
}

Result<IncidentChange> parse_incident_change(std::string_view text, bool extend, int64_t max_ttl_s) {
  auto j = parse_object(text);
  if (!j) return tl::unexpected(j.error());
  IncidentChange c;
  for (auto it = j->begin(); it != j->end(); ++it)
    if (it.key() != "reason" && !(extend && it.key() == "seconds"))
      return fail(Errc::kInvalidArgument, "unknown member \"" + it.key() + "\"");
  if (!get_str(*j, "reason", c.reason)) return fail(Errc::kInvalidArgument, "reason: a string is required");
  if (auto st = check_reason(c.reason); !st) return tl::unexpected(st.error());
  if (extend && j->contains("seconds")) {
    if (!get_int(*j, "seconds", c.seconds) || c.seconds < 60 || c.seconds > max_ttl_s)
      return fail(Errc::kInvalidArgument, "seconds: a whole number within 60.." + std::to_string(max_ttl_s));
  }
  return c;
}

Result<std::unique_ptr<IncidentStore>> IncidentStore::open(const std::string& path, IncidentStoreOptions o) {
  std::unique_ptr<IncidentStore> s(new IncidentStore());
  s->path_ = path;
  s->o_ = o;
  if (path.empty()) return s;
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, dir.string() + ": " + ec.message());
  std::ifstream f(path);
  if (!f && std::filesystem::exists(path, ec)) return fail(Errc::kIo, path + ": cannot read");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(f, line)) lines.push_back(line);
  for (size_t n = 0; n < lines.size(); ++n) {
    if (lines[n].find_first_not_of(" \t\r") == std::string::npos) continue;
    auto r = parse_incident_json(lines[n]);
    if (!r) {
      if (n + 1 == lines.size()) {  // torn by a crash while appending? We rewrite whole; be lenient.
        log::get()->warn("incidents: {}:{}: {}; skipped", path, n + 1, r.error().message);
        continue;
      }
      return fail(Errc::kParse, path + ":" + std::to_string(n + 1) + ": " + r.error().message);
    }
    if (s->by_id_.count(r->id))
      return fail(Errc::kParse,
                  path + ":" + std::to_string(n + 1) + ": duplicate id " + std::to_string(r->id));
    if (s->by_id_.size() >= o.max_incidents) break;
    s->next_id_ = std::max(s->next_id_, r->id + 1);
    if (r->active()) {
      auto prev = s->active_by_host_.find(r->host);
      if (prev != s->active_by_host_.end())  // two active for one host: keep the newer
        s->by_id_[prev->second].state = IncidentState::kExpired;
      s->active_by_host_[r->host] = r->id;
    }
    s->by_id_[r->id] = std::move(*r);
  }
  return s;
}

bool IncidentStore::make_room_locked() {
  if (by_id_.size() < o_.max_incidents) return true;
  for (auto it = by_id_.begin(); it != by_id_.end(); ++it)  // oldest id first
    if (!it->second.active()) {
      by_id_.erase(it);
      return true;
    }
  return false;
}

Result<std::pair<IncidentRecord, bool>> IncidentStore::observe(const Incident& inc, const ActiveAction& act,
                                                               int64_t now) {
  std::lock_guard lock(mu_);
  const std::string host = inc.host.to_string();
  auto fill = [&](IncidentRecord& r) {
    r.score = std::max(r.score, inc.score);
    r.probing = r.probing || inc.probing;
    r.kind = std::string(subscriber_kind_name(inc.kind));
    r.action = std::string(action_name(act.action));
    r.expires = std::max(r.expires, act.expires_ms / 1000);
    r.first_seen = r.first_seen ? std::min(r.first_seen, inc.first_seen_ms / 1000) : inc.first_seen_ms / 1000;
    r.last_seen = std::max(r.last_seen, inc.last_seen_ms / 1000);
    if (inc.score >= r.score || r.summary.empty()) {
      r.summary = incident_summary(inc);
      r.evidence = incident_figures(inc);
    }
    r.detector_id = inc.id;
    r.updated = now;
  };
  if (auto a = active_by_host_.find(host); a != active_by_host_.end()) {
    IncidentRecord& r = by_id_[a->second];
    fill(r);
    dirty_ = true;
    return std::pair{r, false};
  }
  if (!make_room_locked()) {
    ++dropped_;
    return fail(Errc::kLimit, "at most " + std::to_string(o_.max_incidents) + " incidents, all active");
  }
  IncidentRecord r;
  r.id = next_id_++;
  r.host = host;
  r.opened = now;
  r.state = IncidentState::kOpen;
  fill(r);
  by_id_[r.id] = r;
  active_by_host_[host] = r.id;
  dirty_ = true;
  return std::pair{r, true};
}

Result<IncidentRecord> IncidentStore::release(uint64_t id, std::string_view who, std::string_view reason,
                                              int64_t now) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return fail(Errc::kNotFound, "no incident " + std::to_string(id));
  IncidentRecord& r = it->second;
  if (!r.active())
    return fail(Errc::kInvalidArgument, "incident " + std::to_string(id) + " is " +
                                            std::string(incident_state_name(r.state)) + " already");
  r.state = IncidentState::kReleased;
  r.who = std::string(who);
  r.reason = std::string(reason);
  r.updated = now;
  r.expires = now;
  active_by_host_.erase(r.host);
  dirty_ = true;
  return r;
}

Result<IncidentRecord> IncidentStore::extend(uint64_t id, int64_t seconds, std::string_view who,
                                             std::string_view reason, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return fail(Errc::kNotFound, "no incident " + std::to_string(id));
  IncidentRecord& r = it->second;
  if (!r.active())
    return fail(Errc::kInvalidArgument, "incident " + std::to_string(id) + " is " +
                                            std::string(incident_state_name(r.state)) + " (not active)");
  r.state = IncidentState::kExtended;
  r.expires = std::max(r.expires, now + seconds);
  r.who = std::string(who);
  r.reason = std::string(reason);
  r.updated = now;
  dirty_ = true;
  return r;
}

std::vector<IncidentRecord> IncidentStore::expire(int64_t now) {
  std::lock_guard lock(mu_);
  std::vector<IncidentRecord> out;
  for (auto& [id, r] : by_id_)
    if (r.active() && r.expires <= now) {
      r.state = IncidentState::kExpired;
      r.updated = now;
      active_by_host_.erase(r.host);
      out.push_back(r);
      dirty_ = true;
    }
  return out;
}

std::optional<IncidentRecord> IncidentStore::find(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<IncidentRecord> IncidentStore::list() const {
  std::lock_guard lock(mu_);
  std::vector<IncidentRecord> out;
  out.reserve(by_id_.size());
  for (auto it = by_id_.rbegin(); it != by_id_.rend(); ++it) out.push_back(it->second);
  return out;
}

size_t IncidentStore::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

std::map<std::string, size_t> IncidentStore::count_by_state() const {
  std::lock_guard lock(mu_);
  std::map<std::string, size_t> out{{"open", 0}, {"extended", 0}, {"released", 0}, {"expired", 0}};
  for (const auto& [id, r] : by_id_) ++out[std::string(incident_state_name(r.state))];
  return out;
}

std::map<std::string, size_t> IncidentStore::active_by_action() const {
  std::lock_guard lock(mu_);
  std::map<std::string, size_t> out{{"notify", 0}, {"throttle", 0}, {"block", 0}};
  for (const auto& [id, r] : by_id_)
    if (r.active()) ++out[r.action];
  return out;
}

uint64_t IncidentStore::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool IncidentStore::dirty() const {
  std::lock_guard lock(mu_);
  return dirty_;
}

Status IncidentStore::save() {
  std::string text;
  {
    std::lock_guard lock(mu_);
    if (!dirty_ || path_.empty()) {
      dirty_ = false;
      return {};
    }
    for (const auto& [id, r] : by_id_) text += incident_to_json(r) + "\n";
    dirty_ = false;
  }
  Status st = write_file_atomically(path_, text, 0640);
  if (!st) {
    std::lock_guard lock(mu_);
    dirty_ = true;  // try again at the next save
  }
  return st;
}

}  // namespace rampart::flows

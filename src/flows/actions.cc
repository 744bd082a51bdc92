#include "flows/actions.h"

#include <algorithm>

namespace rampart::flows {

namespace {

std::string key_of(const IpAddress& ip) { return ip.to_string(); }

bool excepted(const ActionPolicy& p, const IpAddress& ip) {
  for (const auto& e : p.exceptions)
    if (e.contains(ip)) return true;
  return false;
}

int64_t ttl_for(const ActionPolicy& p, Action a) {
  switch (a) {
    case Action::kBlock: return p.block_ttl_s;
    case Action::kThrottle: return p.throttle_ttl_s;
    case Action::kNotify: return p.notify_ttl_s;
  }
  return p.notify_ttl_s;
}

std::string host_prefix(const IpAddress& ip) { return ip.to_string() + (ip.is_v4() ? "/32" : "/128"); }

void elements(std::string& o, const std::vector<ActiveAction>& v, int64_t now_ms) {
  bool first = true;
  for (const auto& a : v) {
    const int64_t left = std::max<int64_t>(1, (a.expires_ms - now_ms + 999) / 1000);
    o += first ? " " : ", ";
    first = false;
    o += a.host.to_string() + " timeout " + std::to_string(left) + "s";
  }
}

}  // namespace

const ActiveAction& ActionTable::apply(const Incident& inc, int64_t now_ms) {
  const std::string k = key_of(inc.host);
  Action a = inc.action;
  if (inc.exception || excepted(policy_, inc.host)) a = Action::kNotify;
  unsigned& strikes = strikes_[k];
  auto it = by_host_.find(k);
  if (it == by_host_.end()) {
    ++strikes;
    ActiveAction act;
    act.host = inc.host;
    act.action = a;
    act.since_ms = now_ms;
    act.incident_id = inc.id;
    act.strikes = strikes;
    // Repeat offenders: TTL doubles per strike, capped.
    int64_t ttl = ttl_for(policy_, a);
    for (unsigned s = 1; s < strikes && ttl < policy_.max_ttl_s; ++s) ttl *= 2;
    act.expires_ms = now_ms + std::min(ttl, policy_.max_ttl_s) * 1000;
    it = by_host_.emplace(k, act).first;
    return it->second;
  }
  ActiveAction& act = it->second;
  if (static_cast<int>(a) > static_cast<int>(act.action)) act.action = a;
  act.incident_id = inc.id;
  act.expires_ms = std::max(act.expires_ms, now_ms + ttl_for(policy_, act.action) * 1000);
  return act;
}

bool ActionTable::remove(const IpAddress& host) { return by_host_.erase(key_of(host)) > 0; }

std::vector<ActiveAction> ActionTable::expire(int64_t now_ms) {
  std::vector<ActiveAction> out;
  for (auto it = by_host_.begin(); it != by_host_.end();) {
    if (it->second.expires_ms <= now_ms) {
      out.push_back(it->second);
      it = by_host_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

const ActiveAction* ActionTable::find(const IpAddress& host) const {
  auto it = by_host_.find(key_of(host));
  return it == by_host_.end() ? nullptr : &it->second;
}

std::vector<ActiveAction> ActionTable::active() const {
  std::vector<ActiveAction> v;
  for (const auto& [k, a] : by_host_) v.push_back(a);
  return v;
}

std::string nftables_ruleset(const ActionTable& t, const ActionPolicy& p, int64_t now_ms) {
  std::vector<ActiveAction> b4, b6, t4, t6;
  for (const auto& a : t.active()) {
    if (a.expires_ms <= now_ms || a.action == Action::kNotify) continue;
    auto& v = a.action == Action::kBlock ? (a.host.is_v4() ? b4 : b6) : (a.host.is_v4() ? t4 : t6);
    v.push_back(a);
  }
  std::vector<Prefix> e4, e6, d4, d6;
  for (const auto& e : p.exceptions) (e.net.is_v4() ? e4 : e6).push_back(e);
  for (const auto& d : p.block_all_dynamic) (d.net.is_v4() ? d4 : d6).push_back(d);
  const std::string& n = p.table_name;
  std::string o;
  o += "# rampart port-25 policy (RFC 5068): generated, do not edit\n";
  o += "table inet " + n + "\ndelete table inet " + n + "\n";
  o += "table inet " + n + " {\n";
  auto timed = [&](const char* name, const char* type, const std::vector<ActiveAction>& v) {
    o += std::string("  set ") + name + " {\n    type " + type + "\n    flags timeout\n";
    if (!v.empty()) {
      o += "    elements = {";
      elements(o, v, now_ms);
      o += " }\n";
    }
    o += "  }\n";
  };
  auto interval = [&](const char* name, const char* type, const std::vector<Prefix>& v) {
    o += std::string("  set ") + name + " {\n    type " + type + "\n    flags interval\n";
    if (!v.empty()) {
      o += "    elements = {";
      bool first = true;
      for (const auto& x : v) {
        o += first ? " " : ", ";
        first = false;
        o += x.to_string();
      }
      o += " }\n";
    }
    o += "  }\n";
  };
  interval("exceptions4", "ipv4_addr", e4);
  interval("exceptions6", "ipv6_addr", e6);
  interval("dynamic4", "ipv4_addr", d4);
  interval("dynamic6", "ipv6_addr", d6);
  timed("block4", "ipv4_addr", b4);
  timed("block6", "ipv6_addr", b6);
  timed("throttle4", "ipv4_addr", t4);
  timed("throttle6", "ipv6_addr", t6);
  o += "  set rate4 {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout 1m\n  }\n";
  o += "  set rate6 {\n    type ipv6_addr\n    flags dynamic,timeout\n    timeout 1m\n  }\n";
  const std::string rate = std::to_string(p.throttle_per_minute) + "/minute";
  o += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  o += "    tcp dport 25 ip saddr @exceptions4 accept\n";
  o += "    tcp dport 25 ip6 saddr @exceptions6 accept\n";
  o += "    tcp dport 25 ip saddr @block4 counter drop\n";
  o += "    tcp dport 25 ip6 saddr @block6 counter drop\n";
  o += "    tcp dport 25 ip saddr @dynamic4 counter drop\n";
  o += "    tcp dport 25 ip6 saddr @dynamic6 counter drop\n";
  o += "    tcp dport 25 ct state new ip saddr @throttle4 update @rate4 { ip saddr limit rate over " + rate +
       " } counter drop\n";
  o += "    tcp dport 25 ct state new ip6 saddr @throttle6 update @rate6 { ip6 saddr limit rate over " +
       rate + " } counter drop\n";
  o += "  }\n}\n";
  return o;
}

std::vector<std::string> exabgp_lines(const std::vector<ActiveAction>& actions, const ActionPolicy& p,
                                      bool announce) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (a.action == Action::kNotify) continue;
    std::string l = announce ? "announce" : "withdraw";
    l += " flow route { match { source " + host_prefix(a.host) +
         "; protocol tcp; destination-port =25; } then { ";
    if (a.action == Action::kBlock)
      l += "discard; ";
    else
      l += "rate-limit " + std::to_string(p.flowspec_rate_bytes) + "; ";
    l += "} }";
    out.push_back(std::move(l));
  }
  return out;
}

std::string notification_json(const Incident& inc, const ActiveAction& a, const ActionPolicy& p) {
  std::string step;
  switch (a.action) {
    case Action::kBlock:
      step = "outbound port 25 blocked: scan and clean the host; use submission (587) with authentication";
      break;
    case Action::kThrottle:
      step = "outbound mail rate-limited: check the host or mail server for malware or a compromised account";
      break;
    case Action::kNotify: step = "your host appears infected: scan and clean it"; break;
  }
  std::string o = "{\"type\":\"bot-notification\",\"rfc\":6561";
  o += ",\"incident\":" + std::to_string(inc.id);
  o += ",\"subscriber_ip\":\"" + inc.host.to_string() + "\"";
  o += ",\"subscriber_kind\":\"" + std::string(subscriber_kind_name(inc.kind)) + "\"";
  o += ",\"first_seen\":" + std::to_string(inc.first_seen_ms / 1000);
  o += ",\"last_seen\":" + std::to_string(inc.last_seen_ms / 1000);
  o += ",\"action\":\"" + std::string(action_name(a.action)) + "\"";
  o += ",\"since\":" + std::to_string(a.since_ms / 1000);
  o += ",\"expires\":" + std::to_string(a.expires_ms / 1000);
  o += ",\"strikes\":" + std::to_string(a.strikes);
  o += ",\"walled_garden\":" + std::string(a.action == Action::kThrottle ? "false" : "true");
  o += ",\"remediation_url\":\"" + p.walled_garden_url + "\"";
  o += ",\"recommended_step\":\"" + step + "\"";
  // The detector's own JSON carries score and evidence.
  const std::string ij = incident_json(inc);
  const size_t s = ij.find("\"score\":");
  const size_t e = ij.find(",\"action\":");
  if (s != std::string::npos && e != std::string::npos && e > s) o += "," + ij.substr(s, e - s);
  o += "}";
  return o;
}

std::string walled_garden_list(const ActionTable& t) {
  std::string o;
  for (const auto& a : t.active()) {
    if (a.action == Action::kThrottle) continue;
    o += a.host.to_string() + " " + std::to_string(a.expires_ms / 1000) + "\n";
  }
  return o;
}

}  // namespace rampart::flows

// File: src/console/sender_history.cc
// Daily counters per sender identity; see sender_history.h.
#include "console/sender_history.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/strings.h"

namespace rampart::console {

namespace {
constexpr size_t kMaxIdentity = 300;

bool valid_identity(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdentity) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void bump(uint32_t& v) {
  if (v < std::numeric_limits<uint32_t>::max()) ++v;
}

template <typename T>
bool parse_num(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

SenderHistory::SenderHistory(size_t max_identities, size_t max_days)
    : max_ids_(std::max<size_t>(1, max_identities)), max_days_(std::max<size_t>(1, max_days)) {}

void SenderHistory::touch(std::map<std::string, Entry>::iterator it) {
  lru_.splice(lru_.begin(), lru_, it->second.lru);
}

// The domain of an address ("a@Example.COM." -> "example.com"), or the bare
// domain; angle brackets and white space around it dropped.
std::string domain_part(std::string_view a) {
  a = trim(a);
  while (!a.empty() && (a.front() == '<' || a.back() == '>')) {
    if (a.front() == '<') a.remove_prefix(1);
    if (!a.empty() && a.back() == '>') a.remove_suffix(1);
  }
  const size_t at = a.rfind('@');
  if (at != std::string_view::npos) a = a.substr(at + 1);
  while (!a.empty() && a.back() == '.') a.remove_suffix(1);
  return to_lower(a);
}

std::vector<std::string> sender_history_keys(const SenderFacts& f) {
  std::vector<std::string> out;
  out.reserve(8);
  auto add = [&](std::string_view kind, std::string_view value) {
    std::string key = std::string(kind) + ":" + std::string(value);
    if (value.empty() || !valid_identity(key)) return;
    if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(std::move(key));
  };
  if (f.ip) {
    const IpAddress ip = f.ip->unmapped();
    add("ip", ip.to_string());
    add("net", ip.masked(ip.is_v4() ? 24 : 64).to_string() + (ip.is_v4() ? "/24" : "/64"));
  }
  add("domain", domain_part(f.mail_from));
  add("domain", domain_part(f.from));
  size_t dkim = 0;
  for (const std::string& d : f.dkim_domains) {
    if (dkim == 4) break;
    const std::string n = domain_part(d);
    if (n.empty()) continue;
    add("dkim", n);
    ++dkim;
  }
  if (dkim > 0) add("fbid", trim(f.feedback_id));
  return out;
}

void SenderHistory::record(const std::string& identity, int64_t unix_seconds, SenderOutcome outcome) {
  if (!valid_identity(identity) || unix_seconds < 0) return;
  const std::lock_guard lk(mu_);
  record_locked(identity, unix_seconds / 86400, outcome);
}

void SenderHistory::record(const std::vector<std::string>& identities, int64_t unix_seconds,
                           SenderOutcome outcome) {
  if (unix_seconds < 0) return;
  const std::lock_guard lk(mu_);
  for (size_t i = 0; i < identities.size(); ++i) {
    const std::string& id = identities[i];
    if (!valid_identity(id) || std::find(identities.begin(), identities.begin() + static_cast<long>(i), id) !=
                                   identities.begin() + static_cast<long>(i))
      continue;
    record_locked(id, unix_seconds / 86400, outcome);
  }
}

void SenderHistory::record_locked(const std::string& identity, int64_t day, SenderOutcome outcome) {
  auto it = map_.find(identity);
  if (it == map_.end()) {
    if (map_.size() >= max_ids_) {  // the least recently active goes
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(identity);
    it = map_.emplace(identity, Entry{{}, lru_.begin()}).first;
  } else {
    touch(it);
  }
  auto& days = it->second.days;
  if (days.empty() || days.back().day < day) {
    days.push_back(SenderDay{day, 0, 0, 0});
  } else if (days.back().day > day) {
    // A clock that went back: count it on the latest day kept.
  }
  SenderDay& d = days.back();
  bump(d.messages);
  if (outcome == SenderOutcome::kFlagged) bump(d.flagged);
  if (outcome == SenderOutcome::kRefused) bump(d.refused);
  // At most max_days, and none older than max_days before the newest.
  while (days.size() > max_days_ ||
         (!days.empty() && days.front().day <= days.back().day - static_cast<int64_t>(max_days_)))
    days.erase(days.begin());
}

std::vector<SenderDay> SenderHistory::days(const std::string& identity) const {
  const std::lock_guard lk(mu_);
  auto it = map_.find(identity);
  return it == map_.end() ? std::vector<SenderDay>{} : it->second.days;
}

size_t SenderHistory::size() const {
  const std::lock_guard lk(mu_);
  return map_.size();
}

std::string SenderHistory::serialize() const {
  const std::lock_guard lk(mu_);
  std::string out = "rampart-senders 1\n";
  // Least recently active first, so that restore() rebuilds the same order.
  for (auto l = lru_.rbegin(); l != lru_.rend(); ++l) {
    const Entry& e = map_.at(*l);
    out += *l;
    for (const SenderDay& d : e.days)
      out += " " + std::to_string(d.day) + ":" + std::to_string(d.messages) + "," +
             std::to_string(d.flagged) + "," + std::to_string(d.refused);
    out += '\n';
  }
  return out;
}

Status SenderHistory::restore(std::string_view text) {
  std::map<std::string, Entry> map;
  std::list<std::string> lru;
  size_t line_no = 0;
  bool header = false;
  auto bad = [&](const std::string& why) {
    return fail(Errc::kParse, "senders history line " + std::to_string(line_no) + ": " + why);
  };
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return bad("no newline at the end");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    if (!header) {
      if (line != "rampart-senders 1") return bad("expected \"rampart-senders 1\"");
      header = true;
      continue;
    }
    std::vector<std::string_view> f = split(line, ' ');
    if (f.empty() || !valid_identity(f[0])) return bad("not an identity");
    if (f.size() - 1 > max_days_) return bad("more days than " + std::to_string(max_days_));
    if (map.size() >= max_ids_) return bad("more identities than " + std::to_string(max_ids_));
    Entry e;
    for (size_t i = 1; i < f.size(); ++i) {
      const size_t colon = f[i].find(':');
      if (colon == std::string_view::npos) return bad("expected DAY:MESSAGES,FLAGGED,REFUSED");
      SenderDay d;
      std::vector<std::string_view> n = split(f[i].substr(colon + 1), ',');
      if (!parse_num(f[i].substr(0, colon), d.day) || d.day < 0 || n.size() != 3 ||
          !parse_num(n[0], d.messages) || !parse_num(n[1], d.flagged) || !parse_num(n[2], d.refused))
        return bad("expected DAY:MESSAGES,FLAGGED,REFUSED");
      if (!e.days.empty() && d.day <= e.days.back().day) return bad("days not ascending");
      e.days.push_back(d);
    }
    lru.push_front(std::string(f[0]));
    e.lru = lru.begin();
    if (!map.emplace(std::string(f[0]), std::move(e)).second) return bad("identity given twice");
  }
  if (!header) return fail(Errc::kParse, "senders history: empty");
  const std::lock_guard lk(mu_);
  map_ = std::move(map);
  lru_ = std::move(lru);
  return {};
}

}  // namespace rampart::console

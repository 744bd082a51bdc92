#include "dns/zone_resolver.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "dns/name.h"

namespace rampart::dns {
namespace {
constexpr size_t kKeyBuf = kMaxNameText + 16;
}

std::string_view ZoneResolver::key(std::string_view lower, RRType type, char* buf) {
  std::memcpy(buf, lower.data(), lower.size());
  size_t n = lower.size();
  buf[n++] = '/';
  auto t = static_cast<unsigned>(type);
  char digits[6];
  size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + t % 10);
    t /= 10;
  } while (t);
  while (d) buf[n++] = digits[--d];
  return {buf, n};
}

void ZoneResolver::add(std::string_view name, Record record) {
  zone_.add(name, std::move(record));
  memo_.clear();
}

void ZoneResolver::load(const Zone& zone) {
  for (const auto& n : zone.names())
    for (const Record& r : *zone.find(n)) zone_.add(n, r);
  if (zone.soa && !zone_.soa) zone_.set_soa(*zone.soa);
  memo_.clear();
}

void ZoneResolver::set_failure(std::string_view name, RRType type, Status status) {
  char buf[kKeyBuf];
  std::string n = normalize_name(name);
  if (n.size() > kMaxNameText) return;
  failures_[std::string(key(n, type, buf))] = status;
  memo_.clear();
}

void ZoneResolver::clear_failure(std::string_view name, RRType type) {
  char buf[kKeyBuf];
  std::string n = normalize_name(name);
  if (n.size() > kMaxNameText) return;
  auto it = failures_.find(key(n, type, buf));
  if (it != failures_.end()) failures_.erase(it);
  memo_.clear();
}

void ZoneResolver::clear_failures() {
  failures_.clear();
  memo_.clear();
}

size_t ZoneResolver::query_count(std::string_view name, RRType type) const {
  char buf[kKeyBuf];
  std::string n = normalize_name(name);
  if (n.size() > kMaxNameText) return 0;
  auto it = counts_.find(key(n, type, buf));
  return it == counts_.end() ? 0 : it->second;
}

void ZoneResolver::reset_counts() {
  counts_.clear();
  total_ = 0;
  log_.clear();
}

AnswerPtr ZoneResolver::compute(std::string_view lower, RRType type) const {
  auto a = std::make_shared<Answer>();
  if (!valid_name(lower)) {
    a->status = Status::kNxDomain;
    a->error = "invalid domain name";
    return a;
  }
  if (!failures_.empty()) {
    char buf[kKeyBuf];
    auto it = failures_.find(key(lower, type, buf));
    if (it == failures_.end()) it = failures_.find(key(lower, RRType::ANY, buf));
    if (it != failures_.end()) {
      a->status = it->second;
      a->error = std::string("injected ") + std::string(status_name(it->second));
      return a;
    }
  }
  ZoneLookup z = zone_.lookup(lower, type);
  a->status = z.status;
  a->error = std::move(z.error);
  if (z.status == Status::kOk) {
    uint32_t min_ttl = std::numeric_limits<uint32_t>::max();
    for (const auto& c : z.cnames) min_ttl = std::min(min_ttl, c.record.ttl);
    for (const auto& r : z.records) min_ttl = std::min(min_ttl, r.ttl);
    a->min_ttl = min_ttl;
    a->records = std::move(z.records);
  } else if (zone_.soa) {
    a->min_ttl = std::min(zone_.soa->ttl, zone_.soa->minimum);
  }
  return a;
}

AnswerPtr ZoneResolver::lookup(std::string_view name, RRType type) {
  char lower_buf[kMaxNameText + 1];
  char key_buf[kKeyBuf];
  bool ok = false;
  std::string_view lower = normalize_into(name, lower_buf, kMaxNameText, &ok);
  ++total_;
  if (recording_) log_.emplace_back(normalize_name(name), type);
  if (!ok) {
    auto a = std::make_shared<Answer>();
    a->status = Status::kNxDomain;
    a->error = "invalid domain name";
    return a;
  }
  std::string_view k = key(lower, type, key_buf);
  auto c = counts_.find(k);
  if (c == counts_.end()) c = counts_.emplace(std::string(k), 0).first;
  ++c->second;
  auto m = memo_.find(k);
  if (m != memo_.end()) return m->second;
  AnswerPtr a = compute(lower, type);
  memo_.emplace(std::string(k), a);
  return a;
}

void ZoneResolver::resolve(std::string_view name, RRType type, Callback cb) { cb(lookup(name, type)); }

}  // namespace rampart::dns

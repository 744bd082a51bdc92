#include "dns/caching_resolver.h"

#include <algorithm>
#include <chrono>

#include "core/strings.h"
#include "dns/name.h"

namespace rampart::dns {
namespace {

// Key: lower-case name without trailing dot, '\0', type in two octets.
constexpr size_t kKeyCap = kMaxNameText + 4;

inline bool make_key(std::string_view name, RRType type, char* buf, std::string_view* key) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > kMaxNameText) return false;
  ascii_lower_copy(name.data(), name.size(), buf);
  size_t n = name.size();
  auto t = static_cast<uint16_t>(type);
  buf[n] = '\0';
  buf[n + 1] = static_cast<char>(t >> 8);
  buf[n + 2] = static_cast<char>(t & 0xFF);
  *key = std::string_view(buf, n + 3);
  return true;
}

}  // namespace

CachingResolver::CachingResolver(Resolver& upstream, const Clock& clock, CacheOptions options)
    : upstream_(upstream), clock_(clock), opt_(options) {
  if (opt_.max_entries == 0) opt_.max_entries = 1;
  if (opt_.max_bytes == 0) opt_.max_bytes = 1;
  map_.reserve(std::min<size_t>(opt_.max_entries, 1 << 16));
}

CachingResolver::~CachingResolver() { *alive_ = false; }

uint32_t CachingResolver::ttl_for(const Answer& a) const {
  switch (a.status) {
    case Status::kOk: return std::clamp(a.min_ttl, opt_.min_ttl, std::max(opt_.min_ttl, opt_.max_ttl));
    case Status::kNxDomain:
    case Status::kNoData: {
      uint32_t t = a.min_ttl ? a.min_ttl : opt_.negative_ttl;
      return std::clamp(t, opt_.min_ttl, std::max(opt_.min_ttl, opt_.max_negative_ttl));
    }
    default: return opt_.failure_ttl;
  }
}

size_t CachingResolver::entry_bytes(std::string_view key, const Answer& a) {
  // Heap strings longer than the small-string buffer count their length.
  auto str = [](const std::string& s) { return s.size() > 15 ? s.size() + 1 : 0; };
  constexpr size_t kNode = 64;  // hash node, bucket and allocator overhead, roughly
  size_t n = kNode + sizeof(std::string) + key.size() + sizeof(Entry) + sizeof(Answer) + str(a.error) +
             a.records.size() * sizeof(Record);
  for (const Record& r : a.records) {
    if (const auto* s = r.name()) n += str(*s);
    if (const auto* m = r.mx()) n += str(m->exchange);
    if (const auto* t = r.txt()) {
      n += t->strings.size() * sizeof(std::string);
      for (const auto& s : t->strings) n += str(s);
    }
  }
  return n;
}

AnswerPtr CachingResolver::lookup_now(std::string_view name, RRType type) {
  char buf[kKeyCap];
  std::string_view key;
  if (!make_key(name, type, buf, &key)) return nullptr;
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  Entry& e = it->second;
  if (!(e.expires > clock_.monotonic())) return nullptr;  // resolve() refreshes it
  ++stats_.hits;
  if (head_ != &e) {
    unlink(&e);
    link_front(&e);
  }
  return e.answer;
}

void CachingResolver::resolve(std::string_view name, RRType type, Callback cb) {
  char buf[kKeyCap];
  std::string_view key;
  if (!make_key(name, type, buf, &key)) {
    upstream_.resolve(name, type, std::move(cb));  // not a valid name: not cached
    return;
  }
  auto it = map_.find(key);
  if (it != map_.end()) {
    Entry& e = it->second;
    if (e.expires > clock_.monotonic()) {
      ++stats_.hits;
      if (head_ != &e) {
        unlink(&e);
        link_front(&e);
      }
      cb(e.answer);
      return;
    }
    ++stats_.expired;
    erase(&e);
  }
  ++stats_.misses;
  auto [fit, inserted] = inflight_.try_emplace(std::string(key));
  fit->second.push_back(std::move(cb));
  if (!inserted) {
    ++stats_.coalesced;
    return;
  }
  Histogram* h = opt_.upstream_seconds;
  const auto t0 = h ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  upstream_.resolve(name, type, [this, alive = alive_, k = fit->first, h, t0](AnswerPtr a) {
    if (h) h->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (*alive) on_answer(k, a);
  });
}

void CachingResolver::on_answer(const std::string& key, const AnswerPtr& answer) {
  if (answer) store(key, answer);
  auto node = inflight_.extract(key);
  if (node.empty()) return;
  for (auto& cb : node.mapped()) cb(answer);
}

void CachingResolver::store(const std::string& key, const AnswerPtr& answer) {
  uint32_t ttl = ttl_for(*answer);
  if (ttl == 0) return;
  auto expires = clock_.monotonic() + std::chrono::seconds(ttl);
  const size_t cost = entry_bytes(key, *answer);
  if (cost > opt_.max_bytes) {
    ++stats_.too_large;
    if (auto old = map_.find(key); old != map_.end()) erase(&old->second);
    return;
  }
  auto [it, inserted] = map_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted) {
    unlink(&e);
    bytes_ -= e.bytes;
  }
  e.answer = answer;
  e.expires = expires;
  e.key = &it->first;
  e.bytes = cost;
  bytes_ += cost;
  link_front(&e);
  ++stats_.inserts;
  while ((map_.size() > opt_.max_entries || bytes_ > opt_.max_bytes) && tail_ && tail_ != &e) {
    ++stats_.evictions;
    erase(tail_);
  }
}

void CachingResolver::link_front(Entry* e) {
  e->prev = nullptr;
  e->next = head_;
  if (head_) head_->prev = e;
  head_ = e;
  if (!tail_) tail_ = e;
}

void CachingResolver::unlink(Entry* e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    head_ = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    tail_ = e->prev;
  e->prev = e->next = nullptr;
}

void CachingResolver::erase(Entry* e) {
  unlink(e);
  bytes_ -= e->bytes;
  std::string key = *e->key;  // the node owns the key: copy before erasing
  map_.erase(key);
}

void CachingResolver::clear() {
  map_.clear();
  head_ = tail_ = nullptr;
  bytes_ = 0;
}

}  // namespace rampart::dns

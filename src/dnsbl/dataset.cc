#include "dnsbl/dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "dns/name.h"

namespace rampart::dnsbl {

// ---------------------------------------------------------------- Collector

void Collector::add_a(uint32_t a, uint32_t ttl) {
  for (const auto& r : records)
    if (r.type == kTypeA && r.a == a) return;  // RFC 2181 5: no duplicate records
  records.push_back({kTypeA, ttl, a, 0, 0, 0});
}

void Collector::commit_text(size_t start, uint32_t ttl) {
  std::string_view t(arena.data() + start, arena.size() - start);
  for (const auto& r : records)
    if (r.type == kTypeTxt && text(r) == t) {
      arena.resize(start);
      return;
    }
  records.push_back({kTypeTxt, ttl, 0, 0, static_cast<uint32_t>(start), static_cast<uint32_t>(t.size())});
}

void Collector::add_text(uint16_t type, std::string_view text, uint32_t ttl, uint16_t mx_pref) {
  for (const auto& r : records)
    if (r.type == type && r.mx_pref == mx_pref && this->text(r) == text) return;
  OutRecord r{type, ttl, 0, mx_pref, static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(text.size())};
  arena.append(text);
  records.push_back(r);
}

// ---------------------------------------------------------------- helpers

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view ltrim(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view next_word(std::string_view& s) {
  s = ltrim(s);
  size_t i = 0;
  while (i < s.size() && !is_space(s[i])) ++i;
  std::string_view w = s.substr(0, i);
  s = ltrim(s.substr(i));
  return w;
}

// A name as data files write it: labels of 1..63 octets without escapes
// (rbldnsd reads no escapes), at most 253 octets; one trailing dot allowed.
bool plain_name(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '\\' || static_cast<unsigned char>(c) <= ' ') return false;
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string domain(std::string_view s) {
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return lower(s);
}

// 1..4 decimal octets (leading zeros allowed, as rbldnsd reads them) at the
// start of `s`. Returns characters used, 0 on error.
size_t parse_ip4_prefix(std::string_view s, uint32_t* addr, int* octets) {
  uint32_t a = 0;
  int n = 0;
  size_t i = 0;
  for (;;) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return 0;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<uint32_t>(s[i] - '0');
      if (++digits > 3 || v > 255) return 0;
      ++i;
    }
    a = (a << 8) | v;
    ++n;
    if (n < 4 && i + 1 < s.size() && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
      ++i;
      continue;
    }
    break;
  }
  *addr = n == 4 ? a : a << (8 * (4 - n));
  *octets = n;
  return i;
}

uint32_t mask4(int len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

// An A value as rbldnsd reads it: a bare number N is 127.0.0.N, dotted
// forms are read as inet_aton(3) does ("1.2" is 1.0.0.2, "1.2.3" is 1.2.0.3).
bool parse_a_value(std::string_view s, uint32_t* out) {
  uint64_t part[4] = {};
  int n = 0;
  size_t i = 0;
  while (n < 4) {
    size_t digits = 0;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (++digits > 10) return false;
      ++i;
    }
    if (digits == 0) return false;
    part[n++] = v;
    if (i == s.size()) break;
    if (s[i] != '.') return false;
    ++i;
  }
  if (i != s.size()) return false;
  switch (n) {
    case 1:
      if (part[0] > 255) return false;
      *out = 0x7f000000u | static_cast<uint32_t>(part[0]);
      return true;
    case 2:
      if (part[0] > 255 || part[1] > 0xFFFFFF) return false;
      *out = static_cast<uint32_t>(part[0] << 24 | part[1]);
      return true;
    case 3:
      if (part[0] > 255 || part[1] > 255 || part[2] > 0xFFFF) return false;
      *out = static_cast<uint32_t>(part[0] << 24 | part[1] << 16 | part[2]);
      return true;
    default:
      for (int k = 0; k < 4; ++k)
        if (part[k] > 255) return false;
      *out = static_cast<uint32_t>(part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3]);
      return true;
  }
}

// IPv6 address with optional "::" and fewer than 8 groups (the rest zero);
// `groups` receives the groups written when there is no "::" (the implied
// prefix length is 16 per group). Returns false on a syntax error.
bool parse_ip6(std::string_view s, uint64_t* hi, uint64_t* lo, int* groups, bool* compressed) {
  uint16_t g[8] = {};
  int head = 0, tail_start = -1;
  uint16_t tail[8];
  int ntail = 0;
  size_t i = 0;
  *compressed = false;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    *compressed = true;
    i = 2;
    tail_start = 0;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    uint32_t v = 0;
    size_t digits = 0;
    while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i]))) {
      char c = s[i];
      v = v * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      if (++digits > 4) return false;
      ++i;
    }
    if (digits == 0) return false;
    if (*compressed) {
      if (ntail >= 8) return false;
      tail[ntail++] = static_cast<uint16_t>(v);
    } else {
      if (head >= 8) return false;
      g[head++] = static_cast<uint16_t>(v);
    }
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (*compressed) return false;
      *compressed = true;
      tail_start = head;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;
    }
  }
  if (*compressed) {
    if (head + ntail > 7) return false;
    for (int k = 0; k < ntail; ++k) g[8 - ntail + k] = tail[k];
  }
  (void)tail_start;
  *groups = *compressed ? 8 : head;
  *hi = *lo = 0;
  for (int k = 0; k < 4; ++k) *hi = (*hi << 16) | g[k];
  for (int k = 4; k < 8; ++k) *lo = (*lo << 16) | g[k];
  return true;
}

void mask6(int len, uint64_t* hi, uint64_t* lo) {
  if (len <= 0) {
    *hi = *lo = 0;
  } else if (len < 64) {
    *hi &= ~uint64_t{0} << (64 - len);
    *lo = 0;
  } else if (len == 64) {
    *lo = 0;
  } else if (len < 128) {
    *lo &= ~uint64_t{0} << (128 - len);
  }
}

int parse_len(std::string_view s, int max) {
  if (s.empty() || s.size() > 3) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v <= max ? v : -1;
}

// Query labels as an IPv4 address (reversed): -1 when they are not 1..4
// decimal octets without leading zeros, else the number of octets.
int query_ip4(const QueryName& q, uint32_t* addr) {
  if (q.count == 0 || q.count > 4) return -1;
  uint32_t a = 0;
  for (size_t k = 0; k < q.count; ++k) {
    std::string_view l = q.labels[q.count - 1 - k];
    if (l.empty() || l.size() > 3 || (l.size() > 1 && l[0] == '0')) return -1;
    uint32_t v = 0;
    for (char c : l) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v > 255) return -1;
    a = (a << 8) | v;
  }
  *addr = a << (8 * (4 - q.count));
  return static_cast<int>(q.count);
}

// Query labels as IPv6 nibbles (reversed): -1 unless 1..32 single hex
// digits, else the number of nibbles.
int query_ip6(const QueryName& q, uint64_t* hi, uint64_t* lo) {
  if (q.count == 0 || q.count > 32) return -1;
  uint64_t h = 0, l = 0;
  for (size_t k = 0; k < q.count; ++k) {
    std::string_view s = q.labels[q.count - 1 - k];
    if (s.size() != 1) return -1;
    char c = s[0];
    uint64_t v;
    if (c >= '0' && c <= '9')
      v = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = static_cast<uint64_t>(c - 'a' + 10);
    else
      return -1;
    if (k < 16)
      h |= v << (60 - 4 * k);
    else
      l |= v << (60 - 4 * (k - 16));
  }
  *hi = h;
  *lo = l;
  return static_cast<int>(q.count);
}

// Dotted text of an address, at most 15 characters (on every listed
// answer with TXT: no snprintf).
void ip4_text(uint32_t a, char* buf, size_t* len) {
  size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned v = (a >> shift) & 255;
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
    if (shift) buf[n++] = '.';
  }
  *len = n;
}

// RFC 5952 text of an IPv6 address (longest run of two or more zero groups
// as "::").
std::string ip6_text(uint64_t hi, uint64_t lo) {
  uint16_t g[8];
  for (int k = 0; k < 4; ++k) g[k] = static_cast<uint16_t>(hi >> (48 - 16 * k));
  for (int k = 0; k < 4; ++k) g[4 + k] = static_cast<uint16_t>(lo >> (48 - 16 * k));
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && g[j] == 0) ++j;
    if (j - k > best_len && j - k >= 2) best = k, best_len = j - k;
    k = j;
  }
  std::string out;
  char buf[8];
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[k]);
    out += buf;
  }
  return out;
}

std::string join_reversed(const QueryName& q, size_t from = 0) {
  std::string key;
  for (size_t k = q.count; k-- > from;) {
    if (!key.empty()) key += '.';
    key.append(q.labels[k]);
  }
  return key;
}

// The reversed nibble name (RFC 3596 2.5) of the first `nibbles` nibbles of
// an IPv6 address, a wildcard ("*.8.b.d.0...") below 32.
std::string nibble_name(uint64_t hi, uint64_t lo, int nibbles) {
  static const char* kHex = "0123456789abcdef";
  std::string n = nibbles < 32 ? "*" : "";
  for (int i = nibbles - 1; i >= 0; --i) {
    uint64_t v = i < 16 ? hi >> (60 - 4 * i) : lo >> (60 - 4 * (i - 16));
    if (!n.empty()) n += '.';
    n += kHex[v & 15];
  }
  return n;
}

std::string reverse_domain(std::string_view name) {
  std::string key;
  while (!name.empty()) {
    size_t dot = name.rfind('.');
    std::string_view label = dot == std::string_view::npos ? name : name.substr(dot + 1);
    if (!key.empty()) key += '.';
    key.append(label);
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
  }
  return key;
}

}  // namespace

std::optional<uint32_t> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint64_t v = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (++digits > 10) return std::nullopt;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    uint64_t unit = 1;
    if (i < s.size()) {
      switch (s[i] | 0x20) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 604800; break;
        default: return std::nullopt;
      }
      ++i;
    }
    total += v * unit;
    if (total > 0xFFFFFFFFu) return std::nullopt;
  }
  return static_cast<uint32_t>(total);
}

void expand_template(std::string_view tmpl, std::string_view subst,
                     const std::array<std::optional<std::string>, 10>& vars,
                     const std::optional<std::string>& base, std::string& out) {
  // With a base template the entry's own text goes in place of `$=` as it
  // is (no substitution in it), or the address when the entry has none; a
  // text starting with '=' stands alone (rbldnsd's rules, checked against
  // it by tests/dnsbl_differential_test.py).
  std::string_view t = tmpl, entry;
  bool in_base = false;
  if (base && !(tmpl.size() > 0 && tmpl[0] == '=')) {
    t = *base;
    entry = tmpl.empty() ? subst : tmpl;
    in_base = true;
  } else if (!tmpl.empty() && tmpl[0] == '=' && base) {
    t.remove_prefix(1);
  }
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c != '$') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < t.size()) {
      char n = t[i + 1];
      if (n == '$') {
        out.push_back('$');
        ++i;
        continue;
      }
      if (n >= '0' && n <= '9') {
        if (const auto& v = vars[static_cast<size_t>(n - '0')]) out.append(*v);
        ++i;
        continue;
      }
      if (n == '=' && in_base) {
        out.append(entry);
        ++i;
        continue;
      }
    }
    out.append(subst);
  }
}

void Dataset::emit(uint32_t value, std::string_view subst, uint16_t qtype, Collector& out) const {
  static const Templates kNone;
  const Templates& tm = templates_ ? *templates_ : kNone;
  const StoredValue& v = values_[value];
  uint32_t t = v.ttl ? v.ttl : ttl;
  if (v.type == kTypeA) {
    if (qtype == kTypeA || qtype == kTypeAny) out.add_a(v.a, t);
    // With a base template ($=) every entry has a TXT record.
    if ((v.has_txt || tm.base) && (qtype == kTypeTxt || qtype == kTypeAny)) {
      size_t start = out.arena.size();
      expand_template(v.has_txt ? text(v) : std::string_view(), subst, tm.vars, tm.base, out.arena);
      out.commit_text(start, t);
    }
  } else if (v.type == kTypeTxt) {
    if (qtype == kTypeTxt || qtype == kTypeAny) out.add_text(kTypeTxt, text(v), t);
  } else if (v.type == kTypeMx) {
    if (qtype == kTypeMx || qtype == kTypeAny) out.add_text(kTypeMx, text(v), t, v.mx_pref);
  }
}

// ---------------------------------------------------------------- data sets

namespace {

// A fixed array of trivially copyable T. From 2 MiB up it has its own
// mapping aligned to 2 MiB, with transparent huge pages asked for
// (madvise; Debian's default THP mode is "madvise"): random lookups in a
// table of millions of entries then miss the TLB far less, and a miss costs
// a two-dimensional page walk in a virtual machine.
template <typename T>
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(size_t n) : n_(n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      p_ = static_cast<T*>(::operator new(bytes ? bytes : 1));
      return;
    }
    map_len_ = bytes + kHuge;
    map_ = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) throw std::bad_alloc();
    uintptr_t a = (reinterpret_cast<uintptr_t>(map_) + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
    ::madvise(reinterpret_cast<void*>(a), bytes, MADV_HUGEPAGE);  // advice only: 4 KiB pages otherwise
    p_ = reinterpret_cast<T*>(a);
  }
  HugeArray(HugeArray&& o) noexcept { swap(o); }
  HugeArray& operator=(HugeArray&& o) noexcept {
    HugeArray(std::move(o)).swap(*this);
    return *this;
  }
  ~HugeArray() {
    if (map_)
      ::munmap(map_, map_len_);
    else
      ::operator delete(p_);
  }
  void swap(HugeArray& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    std::swap(map_, o.map_);
    std::swap(map_len_, o.map_len_);
  }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  const T* begin() const { return p_; }
  const T* end() const { return p_ + n_; }
  size_t size() const { return n_; }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  T* p_ = nullptr;
  size_t n_ = 0;
  void* map_ = nullptr;
  size_t map_len_ = 0;
};

// What every loadable data set implements beside Dataset.
class Buildable : public Dataset {
 public:
  // One entry line (not a special, comment or default line). `def` is the
  // value index of the current default. Returns false with `why` to skip it.
  virtual bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) = 0;
  virtual void finish() {}
  // A file of `bytes` (0: unknown) is about to be read (room for its entries ahead).
  virtual void expect(size_t /*bytes*/) {}
  // Index of a value, shared between entries that have the same.
  uint32_t intern(const Value& v) { return intern(v.type, v.a, v.ttl, v.mx_pref, v.has_txt, v.txt); }
  uint32_t intern(uint16_t vtype, uint32_t a, uint32_t vttl, uint16_t mx_pref, bool has_txt,
                  std::string_view txt) {
    // The candidate goes at the end; if an equal value is there already it
    // is taken back. The index is an open-addressing table of value numbers
    // (no allocation per value: a 10 M line file may hold a million texts).
    uint32_t idx = static_cast<uint32_t>(values_.size());
    size_t text_end = texts_.size();
    values_.push_back({vtype, mx_pref, a, vttl, static_cast<uint32_t>(text_end),
                       static_cast<uint32_t>(txt.size()), has_txt});
    texts_.append(txt);
    uint32_t h = hash(values_.back());
    if (size_t{idx} * 2 + 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      uint64_t slot = slots_[i];
      if (slot == kFree) {
        slots_[i] = uint64_t{h} << 32 | idx;
        return idx;
      }
      uint32_t other = static_cast<uint32_t>(slot);
      if ((slot >> 32) == h && same(values_[other], values_[idx])) {
        values_.pop_back();
        texts_.resize(text_end);
        return other;
      }
    }
  }
  // Interns value `k` of another data set (a worker's, parallel loading).
  uint32_t intern_other(const Buildable& o, uint32_t k) {
    const StoredValue& v = o.values_[k];
    return intern(v.type, v.a, v.ttl, v.mx_pref, v.has_txt, o.text(v));
  }
  size_t value_count() const { return values_.size(); }
  void drop_index() {
    slots_ = HugeArray<uint64_t>();
    values_.shrink_to_fit();
    texts_.shrink_to_fit();
  }
  std::array<std::optional<std::string>, 10>& vars() { return templates().vars; }
  std::optional<std::string>& base_template() { return templates().base; }
  Templates& templates() {
    if (!templates_) templates_ = std::make_unique<Templates>();
    return *templates_;
  }
  const Templates* templates_if() const { return templates_.get(); }
  uint64_t max_range4 = uint64_t{1} << 32;
  bool allow_host_bits = false;
  bool generic = false;  // type == "generic", asked on every line

 private:
  static constexpr uint64_t kFree = ~uint64_t{0};  // no value has number 2^32-1
  uint32_t hash(const StoredValue& v) const {
    uint64_t h = std::hash<std::string_view>()(text(v));
    h ^= (uint64_t{v.a} << 17) ^ (uint64_t{v.type} << 3) ^ (uint64_t{v.mx_pref} << 40) ^ v.ttl ^ v.has_txt;
    h *= 0x9E3779B97F4A7C15ull;
    return static_cast<uint32_t>(h >> 32);
  }
  bool same(const StoredValue& a, const StoredValue& b) const {
    return a.type == b.type && a.a == b.a && a.mx_pref == b.mx_pref && a.ttl == b.ttl &&
           a.has_txt == b.has_txt && text(a) == text(b);
  }
  // Doubles the table (each slot holds its value's hash: no value is read
  // to move it, and a probe reads a value only when the hashes match).
  void grow() {
    HugeArray<uint64_t> old = std::move(slots_);
    slots_ = HugeArray<uint64_t>(std::max<size_t>(64, old.size() * 2));
    for (size_t i = 0; i < slots_.size(); ++i) slots_[i] = kFree;
    size_t mask = slots_.size() - 1;
    for (uint64_t slot : old) {
      if (slot == kFree) continue;
      size_t i = (slot >> 32) & mask;
      while (slots_[i] != kFree) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }
  // hash << 32 | value number, kFree; a power of two, at most half full; on
  // huge pages from 2 MiB (a file of a million texts probes 16 MB at random:
  // each probe a TLB miss on 4 KiB pages)
  HugeArray<uint64_t> slots_;
};

// The value part of an entry line, after the entry: `:A:TXT`, `:A`, `TXT`,
// nothing, or a comment.
bool entry_value(Buildable& ds, std::string_view rest, uint32_t def, const Value& def_value, uint32_t* out,
                 std::string* why) {
  rest = ltrim(rest);
  if (rest.empty() || rest[0] == '#' || rest[0] == ';') {
    *out = def;
    return true;
  }
  uint32_t a_value = def_value.a;
  bool has_txt = def_value.has_txt;
  std::string_view txt = def_value.txt;
  if (rest[0] == ':') {
    rest.remove_prefix(1);
    size_t colon = rest.find(':');
    std::string_view a = rest.substr(0, colon);
    if (!a.empty() && !parse_a_value(a, &a_value)) {
      *why = "bad A value '" + std::string(a) + "'";
      return false;
    }
    if (colon != std::string_view::npos) {
      txt = ltrim(rest.substr(colon + 1));
      has_txt = !txt.empty();
    }
  } else {
    has_txt = true;
    txt = rest;
  }
  *out = ds.intern(def_value.type, a_value, def_value.ttl, def_value.mx_pref, has_txt, txt);
  return true;
}

// A default line's text after its ':' (`A:TXT`), read against the built-in
// default (127.0.0.2, no TXT). Returns why it is bad, empty when it is not.
std::string parse_default_line(std::string_view rest, Value* out) {
  Value v;
  size_t colon = rest.find(':');
  std::string_view a = rest.substr(0, colon);
  if (!a.empty() && !parse_a_value(a, &v.a)) return "bad A value '" + std::string(a) + "'";
  if (colon != std::string_view::npos) {
    v.txt = std::string(ltrim(rest.substr(colon + 1)));
    v.has_txt = !v.txt.empty();
  }
  *out = std::move(v);
  return {};
}

// The text of a special line (`$X`, `#$X`, `;$X`, `:$X`; trimmed), empty when
// the line is not one.
std::string_view special_text(std::string_view line) {
  if (!line.empty() && line[0] == '$') return line.substr(1);
  if (line.size() > 1 && (line[0] == '#' || line[0] == ';' || line[0] == ':') && line[1] == '$')
    return line.substr(2);
  return {};
}

// The single units of one ip4set bucket (units of 32, 24, 16 or 8 bits)
// with their values, sorted by unit. A large table is indexed by the top
// bits of the unit: start_[t] is the position of the first unit whose top
// bits are t, and each entry keeps only the unit's low bits (at most 16)
// beside its value, 6 bytes in all. A lookup then reads the index and one
// cache line of entries (two memory accesses, on huge pages) where a binary
// search over 10 M units makes some twenty. The index takes at most a byte
// per entry. A small table (where the index would cost more than the short
// keys save) keeps whole units and is searched.
class UnitTable {
 public:
  // `sorted`: unit << 32 | value, sorted by unit; emptied.
  void build(std::vector<uint64_t>& sorted, int width) {
    size_t n = sorted.size();
    int log2n = 0;
    while (log2n < 40 && (size_t{1} << (log2n + 1)) <= n) ++log2n;
    int top = std::min(width, std::max({0, width - 16, log2n - 2}));
    bool indexed = width - top <= 16 && (size_t{4} << top) + 4 <= 2 * n;
    if (indexed) {
      low_bits_ = width - top;
      start_ = HugeArray<uint32_t>((size_t{1} << top) + 1);
      entries_ = HugeArray<Entry>(n);
      for (size_t t = 0; t < start_.size(); ++t) start_[t] = 0;
      uint32_t mask = low_mask();
      for (size_t i = 0; i < n; ++i) {
        uint32_t unit = static_cast<uint32_t>(sorted[i] >> 32);
        uint32_t value = static_cast<uint32_t>(sorted[i]);
        entries_[i] = {static_cast<uint16_t>(unit & mask), static_cast<uint16_t>(value),
                       static_cast<uint16_t>(value >> 16)};
        ++start_[(unit >> low_bits_) + 1];
      }
      for (size_t t = 1; t < start_.size(); ++t) start_[t] += start_[t - 1];
    } else {
      low_bits_ = -1;
      keys_.resize(n);
      values_.resize(n);
      for (size_t i = 0; i < n; ++i) {
        keys_[i] = static_cast<uint32_t>(sorted[i] >> 32);
        values_[i] = static_cast<uint32_t>(sorted[i]);
      }
    }
    std::vector<uint64_t>().swap(sorted);
  }

  size_t size() const { return low_bits_ < 0 ? keys_.size() : entries_.size(); }

  // Calls f(value) for every entry of `unit`.
  template <typename F>
  void find(uint32_t unit, F&& f) const {
    if (low_bits_ < 0) {
      auto it = std::lower_bound(keys_.begin(), keys_.end(), unit);
      for (size_t i = static_cast<size_t>(it - keys_.begin()); i < keys_.size() && keys_[i] == unit; ++i)
        f(values_[i]);
      return;
    }
    uint32_t top = unit >> low_bits_;
    size_t b = start_[top], e = start_[top + 1];
    uint16_t key = static_cast<uint16_t>(unit & low_mask());
    if (e - b > 8) b = lower(b, e, key);
    for (; b < e && entries_[b].key <= key; ++b)
      if (entries_[b].key == key) f(entries_[b].value());
  }

  // Calls f(unit, value) for the entries with lo <= unit <= hi in order
  // until f returns false.
  template <typename F>
  void range(uint32_t lo, uint32_t hi, F&& f) const {
    if (low_bits_ < 0) {
      auto it = std::lower_bound(keys_.begin(), keys_.end(), lo);
      for (size_t i = static_cast<size_t>(it - keys_.begin()); i < keys_.size() && keys_[i] <= hi; ++i)
        if (!f(keys_[i], values_[i])) return;
      return;
    }
    size_t top = lo >> low_bits_;
    size_t i = lower(start_[top], start_[top + 1], static_cast<uint16_t>(lo & low_mask()));
    for (; i < entries_.size(); ++i) {
      if (i >= start_[top + 1])  // the slot of position i (empty slots skipped at once)
        top =
            static_cast<size_t>(std::upper_bound(start_.begin() + top, start_.end(), i) - start_.begin()) - 1;
      uint32_t unit = static_cast<uint32_t>((uint64_t{top} << low_bits_) | entries_[i].key);
      if (unit > hi || !f(unit, entries_[i].value())) return;
    }
  }

 private:
  struct Entry {  // 6 bytes, 2-aligned
    uint16_t key, value_lo, value_hi;
    uint32_t value() const { return uint32_t{value_lo} | uint32_t{value_hi} << 16; }
  };
  uint32_t low_mask() const { return (uint32_t{1} << low_bits_) - 1; }
  // First position in [b, e) whose key is not below `key`.
  size_t lower(size_t b, size_t e, uint16_t key) const {
    while (b < e) {
      size_t mid = b + (e - b) / 2;
      if (entries_[mid].key < key)
        b = mid + 1;
      else
        e = mid;
    }
    return b;
  }

  int low_bits_ = -1;           // bits of a unit kept in an entry; -1: not indexed (keys_)
  HugeArray<uint32_t> start_;   // indexed: 2^top + 1 positions
  HugeArray<Entry> entries_;    // indexed: low bits of the unit and the value
  std::vector<uint32_t> keys_;  // not indexed: whole units
  std::vector<uint32_t> values_;
};

// ip4set / ip4tset: entries split into the /32, /24, /16 and /8 buckets
// rbldnsd keeps; each bucket holds single units (a UnitTable: 6-8 bytes
// each) and runs of units (12 bytes + 8 for the running maxima).
class Ip4Set final : public Buildable {
 public:
  static constexpr int kShift[4] = {0, 8, 16, 24};  // /32, /24, /16, /8
  bool trivial = false;                             // ip4tset: single addresses, no exclusions (as rbldnsd)

  bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) override {
    bool excl = false;
    if (line[0] == '!') {
      if (trivial) {
        *why = "ip4tset has no exclusions";
        return false;
      }
      excl = true;
      line.remove_prefix(1);
    }
    size_t end = 0;
    uint32_t lo = 0, hi = 0;
    if (!plain_address(line, &lo, &end)) {
      while (end < line.size() && ((line[end] >= '0' && line[end] <= '9') || line[end] == '.' ||
                                   line[end] == '/' || line[end] == '-'))
        ++end;
      if (!parse_range(line.substr(0, end), &lo, &hi, why)) return false;
    } else {
      hi = lo;
    }
    if (trivial && lo != hi) {
      *why = "ip4tset holds single addresses only";
      return false;
    }
    if (uint64_t{hi} - lo + 1 > max_range4) {
      *why = "range larger than $MAXRANGE4";
      return false;
    }
    uint32_t value = kExcluded;
    if (!excl && !entry_value(*this, line.substr(end), def, def_value, &value, why)) return false;
    add_range(lo, hi, value);
    return true;
  }

  // The common line: four octets (1-3 digits each, at most 255) that are the
  // whole entry (the next character cannot continue it). Anything else
  // (false) goes the general way, which reads these the same.
  static bool plain_address(std::string_view line, uint32_t* addr, size_t* end) {
    const char* p = line.data();
    size_t n = line.size(), i = 0;
    uint32_t a = 0;
    for (int o = 0; o < 4; ++o) {
      if (o > 0) {
        if (i >= n || p[i] != '.') return false;
        ++i;
      }
      uint32_t v = 0;
      size_t start = i;
      while (i < n && i - start < 3 && p[i] >= '0' && p[i] <= '9')
        v = v * 10 + static_cast<uint32_t>(p[i++] - '0');
      if (i == start || v > 255) return false;
      a = a << 8 | v;
    }
    if (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '/' || p[i] == '-')) return false;
    *addr = a;
    *end = i;
    return true;
  }

  // The commonest line of a large file read straight from the loader's
  // buffer: four octets as plain_address() takes them, then the end of the
  // line ('\n', or the end of the text, which ends on a line). Returns the
  // start of the next line, or null for any other line (read the general
  // way: line_(), add_line(), which give such a line the default value in
  // force, as add_single() does).
  static const char* plain_line(const char* p, const char* end, uint32_t* addr) {
    uint32_t a = 0;
    for (int o = 0; o < 4; ++o) {
      if (o > 0) {
        if (p == end || *p != '.') return nullptr;
        ++p;
      }
      uint32_t v = 0;
      const char* start = p;
      while (p < end && p - start < 3 && *p >= '0' && *p <= '9')
        v = v * 10 + static_cast<uint32_t>(*p++ - '0');
      if (p == start || v > 255) return nullptr;
      a = a << 8 | v;
    }
    if (p < end) {
      if (*p != '\n') return nullptr;
      ++p;
    }
    *addr = a;
    return p;
  }
  // What add_line() does for a plain_line(): one /32 unit with `value`.
  // Only while a single address is within $MAXRANGE4 (it may be set to 0).
  bool takes_plain() const { return max_range4 >= 1; }
  void add_single(uint32_t addr, uint32_t value) { pending_[0].push_back(uint64_t{addr} << 32 | value); }

  bool parse_range(std::string_view tok, uint32_t* lo, uint32_t* hi, std::string* why) const {
    uint32_t a = 0;
    int n = 0;
    size_t used = parse_ip4_prefix(tok, &a, &n);
    if (used == 0) {
      *why = "bad IPv4 address '" + std::string(tok) + "'";
      return false;
    }
    std::string_view rest = tok.substr(used);
    if (rest.empty()) {
      *lo = a;
      *hi = a | ~mask4(8 * n);
      return true;
    }
    if (rest[0] == '/') {
      int len = parse_len(rest.substr(1), 32);
      if (len < 0) {
        *why = "bad prefix length in '" + std::string(tok) + "'";
        return false;
      }
      if ((a & ~mask4(len)) != 0) {
        if (!allow_host_bits) {
          *why = "address '" + std::string(tok) + "' has bits outside its prefix";
          return false;
        }
        a &= mask4(len);
      }
      *lo = a;
      *hi = a | ~mask4(len);
      return true;
    }
    if (rest[0] == '-') {
      std::string_view b = rest.substr(1);
      uint32_t e = 0;
      int m = 0;
      if (parse_ip4_prefix(b, &e, &m) != b.size()) {
        *why = "bad range end in '" + std::string(tok) + "'";
        return false;
      }
      uint32_t end;
      if (m == 1 && n > 1) {
        // One octet: replaces the last octet given in the first boundary.
        int shift = 8 * (4 - n);
        uint32_t v = e >> 24;
        end = (a & ~(uint32_t{0xFF} << shift)) | (v << shift);
        end |= shift == 0 ? 0 : ~mask4(32 - shift);
      } else {
        end = e | ~mask4(8 * m);
      }
      if (end < a) {
        *why = "range end before its start in '" + std::string(tok) + "'";
        return false;
      }
      *lo = a;
      *hi = end;
      return true;
    }
    *why = "bad IPv4 entry '" + std::string(tok) + "'";
    return false;
  }

  void add_range(uint32_t lo32, uint32_t hi32, uint32_t value) {
    uint64_t lo = lo32, hi = hi32;
    while (lo <= hi) {
      for (int b = 3; b >= 0; --b) {
        int shift = kShift[b];
        uint64_t block = uint64_t{1} << shift;
        if (lo % block == 0 && lo + block - 1 <= hi) {
          uint64_t units = ((hi - lo + 1) >> shift);
          if (units == 1)
            pending_[b].push_back((lo >> shift) << 32 | value);
          else
            pieces_[b].push_back({static_cast<uint32_t>(lo >> shift),
                                  static_cast<uint32_t>((lo >> shift) + units - 1), value, seq_++});
          lo += units << shift;
          break;
        }
      }
    }
  }

  // Room in the /32 bucket for one entry per 12 bytes of file (a line of
  // an address alone takes 8 to 16): no copies while a 10 M entry set
  // grows; the part not written is never touched.
  // A file's entries come after those a worker parsed from the previous
  // file (absorb), which join the others here.
  void expect(size_t bytes) override {
    for (int b = 0; b < 4; ++b) {
      if (pending_tail_[b].empty()) continue;
      pending_[b].insert(pending_[b].end(), pending_tail_[b].begin(), pending_tail_[b].end());
      std::vector<uint64_t>().swap(pending_tail_[b]);
    }
    pending_[0].reserve(pending_[0].size() + bytes / 12);
  }

  // Takes the entries a worker parsed from the rest of the same file (after
  // this set's), its value numbers mapped through `remap`: the same units,
  // values and order as if this set had read those lines itself.
  void absorb(Ip4Set& w, const std::vector<uint32_t>& remap) {
    for (int b = 0; b < 4; ++b) {
      // Kept as they are, after this set's (finish() sorts both, stably).
      for (uint64_t& x : w.pending_[b]) {
        uint32_t v = static_cast<uint32_t>(x);
        x = (x & ~uint64_t{0xFFFFFFFFu}) | (v == kExcluded ? v : remap[v]);
      }
      pending_tail_[b] = std::move(w.pending_[b]);
      for (const Piece& p : w.pieces_[b])
        pieces_[b].push_back({p.lo, p.hi, p.value == kExcluded ? p.value : remap[p.value], seq_++});
      std::vector<Piece>().swap(w.pieces_[b]);
    }
  }

  void finish() override {
    for (int b = 0; b < 4; ++b) {
      Bucket& bk = buckets_[b];
      auto& p = pieces_[b];
      std::stable_sort(p.begin(), p.end(), [](const Piece& x, const Piece& y) { return x.lo < y.lo; });
      bk.ranges.reserve(p.size());
      for (const auto& x : p) bk.ranges.push_back({x.lo, x.hi, x.value});
      std::vector<Piece>().swap(p);
      sort_units(pending_[b], pending_tail_[b]);
      bk.singles.build(pending_[b], 32 - kShift[b]);
      bk.max_hi.resize(bk.ranges.size());
      bk.max_hi_listed.resize(bk.ranges.size());
      uint32_t m = 0, ml = 0;
      bool any_l = false;
      for (size_t i = 0; i < bk.ranges.size(); ++i) {
        m = std::max(m, bk.ranges[i].hi);
        if (bk.ranges[i].value != kExcluded) ml = std::max(ml, bk.ranges[i].hi), any_l = true;
        bk.max_hi[i] = m;
        bk.max_hi_listed[i] = any_l ? ml : 0;
        if (!any_l) bk.max_hi_listed[i] = 0;
      }
      bk.first_listed = SIZE_MAX;
      for (size_t i = 0; i < bk.ranges.size(); ++i)
        if (bk.ranges[i].value != kExcluded) {
          bk.first_listed = i;
          break;
        }
      count_ += bk.singles.size() + bk.ranges.size();
    }
    drop_index();
  }

  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    uint32_t addr = 0;
    int n = query_ip4(q, &addr);
    if (n < 0) return Found::kNo;
    if (n < 4) return prefix_exists(addr, 8 * n) ? Found::kExists : Found::kNo;
    for (int b = 0; b < 4; ++b) {
      const Bucket& bk = buckets_[b];
      uint32_t key = addr >> kShift[b];
      size_t found = 0;
      bool excluded = false;
      auto visit = [&](uint32_t value) {
        ++found;
        if (value == kExcluded) excluded = true;
      };
      scan(bk, key, visit);
      if (found == 0) continue;
      if (excluded) return Found::kNo;
      char text[16];
      size_t len = 0;
      ip4_text(addr, text, &len);
      scan(bk, key, [&](uint32_t value) { emit(value, {text, len}, qtype, out); });
      return Found::kListed;
    }
    return Found::kNo;
  }

  bool well_formed(const QueryName& q) const override {
    uint32_t a = 0;
    return query_ip4(q, &a) == 4;
  }
  size_t entries() const override { return count_; }

  // rbldnsd -d: a /32 unit is its reversed address, a /24, /16 or /8 unit a
  // wildcard (`*.2.0.192`), every unit of a range on its own; a unit with an
  // exclusion in its bucket is `excluded`. `$` in TXT is the address, or the
  // first address of a wildcard's network (`192.0.2.0`), as rbldnsd writes.
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    std::vector<uint64_t> units;
    for (int b = 0; b < 4; ++b) {
      const Bucket& bk = buckets_[b];
      units.clear();
      bk.singles.range(0, ~uint32_t{0}, [&](uint32_t unit, uint32_t value) {
        units.push_back(uint64_t{unit} << 32 | value);
        return true;
      });
      for (const Range& r : bk.ranges)
        for (uint64_t u = r.lo; u <= r.hi; ++u) units.push_back(u << 32 | r.value);
      std::sort(units.begin(), units.end());
      for (size_t i = 0; i < units.size();) {
        uint32_t unit = static_cast<uint32_t>(units[i] >> 32);
        size_t j = i;
        bool excl = false;
        while (j < units.size() && (units[j] >> 32) == unit)
          excl |= static_cast<uint32_t>(units[j++]) == kExcluded;
        uint32_t addr = unit << kShift[b];
        std::string name = b == 0 ? "" : "*";
        for (int o = b; o < 4; ++o) {
          if (!name.empty()) name += '.';
          name += std::to_string((addr >> (8 * o)) & 255);
        }
        if (excl) {
          if (!sink.excluded(name)) return DumpStatus::kStopped;
        } else {
          char text[16];
          size_t len = 0;
          ip4_text(addr, text, &len);
          std::string subst(text, len);  // a wildcard's network address, as rbldnsd -d
          rec.clear();
          for (size_t k = i; k < j; ++k) {
            if (k > i && units[k] == units[k - 1]) continue;
            emit(static_cast<uint32_t>(units[k]), subst, kTypeAny, rec);
          }
          if (!sink.node(name, rec)) return DumpStatus::kStopped;
        }
        i = j;
      }
    }
    return DumpStatus::kOk;
  }

 private:
  struct Piece {
    uint32_t lo, hi, value;
    uint64_t seq;
  };
  struct Range {
    uint32_t lo, hi, value;
  };
  struct Bucket {
    UnitTable singles;
    std::vector<Range> ranges;     // sorted by lo
    std::vector<uint32_t> max_hi;  // running maximum of hi
    std::vector<uint32_t> max_hi_listed;
    size_t first_listed = SIZE_MAX;
  };

  // Sorts unit << 32 | value of `v` then `tail` by unit into `v` (the order
  // of values for one unit does not matter to answers; it is kept, so that a
  // set read by two threads is that of one): LSD radix over the unit's two
  // halves for large arrays. `tail` is emptied.
  static void sort_units(std::vector<uint64_t>& v, std::vector<uint64_t>& tail) {
    size_t n = v.size() + tail.size();
    if (n < 65536) {
      v.insert(v.end(), tail.begin(), tail.end());
      std::vector<uint64_t>().swap(tail);
      std::sort(v.begin(), v.end());
      return;
    }
    // v (and tail) -> tmp by the unit's low half, tmp -> v by its high half;
    // tmp is not zeroed first (each slot is written before it is read).
    std::unique_ptr<uint64_t[]> tmp(new uint64_t[n]);
    std::vector<size_t> count(65537);
    auto bucket = [](uint64_t x, int shift) { return static_cast<size_t>((x >> shift) & 0xFFFF); };
    for (uint64_t x : v) ++count[bucket(x, 32) + 1];
    for (uint64_t x : tail) ++count[bucket(x, 32) + 1];
    for (size_t i = 0; i < 65536; ++i) count[i + 1] += count[i];
    for (uint64_t x : v) tmp[count[bucket(x, 32)]++] = x;
    for (uint64_t x : tail) tmp[count[bucket(x, 32)]++] = x;
    if (!tail.empty()) {
      std::vector<uint64_t>().swap(tail);
      if (v.capacity() < n) std::vector<uint64_t>().swap(v);
      v.resize(n);
    }
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) ++count[bucket(tmp[i], 48) + 1];
    for (size_t i = 0; i < 65536; ++i) count[i + 1] += count[i];
    for (size_t i = 0; i < n; ++i) v[count[bucket(tmp[i], 48)]++] = tmp[i];
  }

  template <typename F>
  static void scan(const Bucket& bk, uint32_t key, F&& f) {
    bk.singles.find(key, f);
    if (bk.ranges.empty()) return;
    auto r = std::upper_bound(bk.ranges.begin(), bk.ranges.end(), key,
                              [](uint32_t k, const Range& x) { return k < x.lo; });
    for (size_t i = static_cast<size_t>(r - bk.ranges.begin()); i-- > 0;) {
      if (bk.max_hi[i] < key) break;
      if (bk.ranges[i].hi >= key) f(bk.ranges[i].value);
    }
  }

  bool prefix_exists(uint32_t prefix, int bits) const {
    uint32_t lo = prefix, hi = prefix | ~mask4(bits);
    for (int b = 0; b < 4; ++b) {
      const Bucket& bk = buckets_[b];
      uint32_t ulo = lo >> kShift[b], uhi = hi >> kShift[b];
      bool listed = false;
      bk.singles.range(ulo, uhi, [&](uint32_t, uint32_t value) {
        listed = value != kExcluded;
        return !listed;
      });
      if (listed) return true;
      if (bk.ranges.empty() || bk.first_listed == SIZE_MAX) continue;
      auto r = std::upper_bound(bk.ranges.begin(), bk.ranges.end(), uhi,
                                [](uint32_t k, const Range& x) { return k < x.lo; });
      size_t i = static_cast<size_t>(r - bk.ranges.begin());
      if (i > bk.first_listed && bk.max_hi_listed[i - 1] >= ulo) return true;
    }
    return false;
  }

  std::vector<Piece> pieces_[4];
  std::vector<uint64_t> pending_[4];       // single units while loading: unit << 32 | value
  std::vector<uint64_t> pending_tail_[4];  // those of a second thread (absorb), after pending_
  Bucket buckets_[4];
  uint64_t seq_ = 0;
  size_t count_ = 0;
};

// ip4trie: CIDR prefixes with their own values, longest prefix wins, the
// first of duplicate prefixes is kept. One sorted array per length.
// The entries of a trie (ip4trie, ip6trie) grouped by prefix length, the
// longest first, in one array: a data set costs two vectors however many
// lengths it uses (live zones hold tens of thousands of small ones).
// Loading appends (length, entry); finish() sorts each length's entries
// with `less` and keeps the first of equal ones (file order: the sort is
// stable), as rbldnsd keeps the first of duplicate prefixes.
template <class E>
class ByLen {
 public:
  struct Group {
    int len;
    std::span<const E> entries;
  };
  void add(int len, const E& e) { pending_.push_back({static_cast<uint8_t>(len), e}); }
  template <class Less>
  void finish(Less less) {
    std::stable_sort(pending_.begin(), pending_.end(), [&](const Pending& x, const Pending& y) {
      return x.len != y.len ? x.len > y.len : less(x.e, y.e);
    });
    std::vector<E> all;
    std::vector<Range> ranges;
    for (size_t i = 0; i < pending_.size(); ++i) {
      const Pending& p = pending_[i];
      if (i > 0 && pending_[i - 1].len == p.len && !less(pending_[i - 1].e, p.e)) continue;  // duplicate
      if (ranges.empty() || ranges.back().len != p.len)
        ranges.push_back({p.len, static_cast<uint32_t>(all.size()), static_cast<uint32_t>(all.size())});
      all.push_back(p.e);
      ++ranges.back().end;
    }
    std::vector<Pending>().swap(pending_);
    all.shrink_to_fit();
    ranges.shrink_to_fit();
    all_ = std::move(all);
    ranges_ = std::move(ranges);
  }
  size_t size() const { return all_.size(); }
  size_t groups() const { return ranges_.size(); }
  // Group `i`, the longest prefixes first (0 .. groups()-1).
  Group group(size_t i) const {
    const Range& r = ranges_[i];
    return {r.len, std::span<const E>(all_.data() + r.begin, r.end - r.begin)};
  }

 private:
  struct Pending {
    uint8_t len;
    E e;
  };
  struct Range {
    uint8_t len;
    uint32_t begin, end;
  };
  std::vector<Pending> pending_;
  std::vector<E> all_;
  std::vector<Range> ranges_;
};

class Ip4Trie final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) override {
    bool excl = false;
    if (line[0] == '!') {
      excl = true;
      line.remove_prefix(1);
    }
    size_t end = 0;
    while (end < line.size() &&
           ((line[end] >= '0' && line[end] <= '9') || line[end] == '.' || line[end] == '/'))
      ++end;
    std::string_view tok = line.substr(0, end);
    uint32_t a = 0;
    int n = 0;
    size_t used = parse_ip4_prefix(tok, &a, &n);
    if (used == 0) {
      *why = "bad IPv4 prefix '" + std::string(tok) + "'";
      return false;
    }
    int len = 8 * n;
    if (used < tok.size()) {
      if (tok[used] != '/' || (len = parse_len(tok.substr(used + 1), 32)) < 0) {
        *why = "bad IPv4 prefix '" + std::string(tok) + "'";
        return false;
      }
    }
    if (end < line.size() && line[end] == '-') {
      *why = "ip4trie takes CIDR prefixes, not ranges";
      return false;
    }
    if ((a & ~mask4(len)) != 0) {
      if (!allow_host_bits) {
        *why = "address '" + std::string(tok) + "' has bits outside its prefix";
        return false;
      }
      a &= mask4(len);
    }
    uint32_t value = kExcluded;
    if (!excl && !entry_value(*this, line.substr(end), def, def_value, &value, why)) return false;
    by_len_.add(len, {a, value});
    return true;
  }

  void finish() override {
    by_len_.finish([](const Entry& x, const Entry& y) { return x.net < y.net; });
    drop_index();
  }

  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    uint32_t addr = 0;
    int n = query_ip4(q, &addr);
    if (n < 0) return Found::kNo;
    if (n < 4) return prefix_exists(addr, 8 * n) ? Found::kExists : Found::kNo;
    for (size_t g = 0; g < by_len_.groups(); ++g) {
      const auto [len, v] = by_len_.group(g);
      uint32_t net = addr & mask4(len);
      auto it =
          std::lower_bound(v.begin(), v.end(), net, [](const Entry& e, uint32_t k) { return e.net < k; });
      if (it == v.end() || it->net != net) continue;
      if (it->value == kExcluded) return Found::kNo;
      char text[16];
      size_t tl = 0;
      ip4_text(addr, text, &tl);
      emit(it->value, {text, tl}, qtype, out);
      return Found::kListed;
    }
    return Found::kNo;
  }

  bool well_formed(const QueryName& q) const override {
    uint32_t a = 0;
    return query_ip4(q, &a) == 4;
  }
  size_t entries() const override { return by_len_.size(); }

  // rbldnsd -d has no dump for ip4trie; the same mapping as ip4set: each
  // prefix widened to the next octet boundary (a /17 is 128 /24
  // wildcards, a /25 128 names), longer prefixes first so that they win
  // where two end at the same name; an exclusion is `excluded`. `$` in TXT
  // is the name's (first) address.
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    std::unordered_set<uint64_t> seen;
    for (size_t g = 0; g < by_len_.groups(); ++g) {
      const auto [len, v] = by_len_.group(g);
      int t = (len + 7) / 8 * 8;
      for (const Entry& e : v) {
        uint32_t count = uint32_t{1} << (t - len);
        for (uint32_t k = 0; k < count; ++k) {
          uint32_t a = e.net + (t == 0 ? 0 : k << (32 - t));
          if (!seen.insert(uint64_t(t) << 32 | a).second) continue;
          std::string name = t == 32 ? "" : "*";
          for (int o = 4 - t / 8; o < 4; ++o) {
            if (!name.empty()) name += '.';
            name += std::to_string((a >> (8 * o)) & 255);
          }
          if (e.value == kExcluded) {
            if (!sink.excluded(name)) return DumpStatus::kStopped;
            continue;
          }
          char text[16];
          size_t tl = 0;
          ip4_text(a, text, &tl);
          rec.clear();
          emit(e.value, {text, tl}, kTypeAny, rec);
          if (!sink.node(name, rec)) return DumpStatus::kStopped;
        }
      }
    }
    return DumpStatus::kOk;
  }

 private:
  struct Entry {
    uint32_t net, value;
  };
  bool prefix_exists(uint32_t prefix, int bits) const {
    uint32_t hi = prefix | ~mask4(bits);
    for (size_t g = by_len_.groups(); g-- > 0;) {
      const auto [len, v] = by_len_.group(g);
      if (len <= bits) {
        uint32_t net = prefix & mask4(len);
        auto it =
            std::lower_bound(v.begin(), v.end(), net, [](const Entry& e, uint32_t k) { return e.net < k; });
        if (it != v.end() && it->net == net) {
          if (it->value == kExcluded) continue;
          return true;
        }
      } else {
        auto it = std::lower_bound(v.begin(), v.end(), prefix,
                                   [](const Entry& e, uint32_t k) { return e.net < k; });
        for (; it != v.end() && it->net <= hi; ++it)
          if (it->value != kExcluded) return true;
      }
    }
    return false;
  }
  ByLen<Entry> by_len_;
};

// Parses an IPv6 entry token "addr[/len]"; without a length, the groups
// written give it (16 each), "::" means /128.
bool parse_ip6_entry(std::string_view tok, uint64_t* hi, uint64_t* lo, int* len, bool allow_host_bits,
                     std::string* why) {
  size_t slash = tok.find('/');
  std::string_view a = tok.substr(0, slash);
  int groups = 0;
  bool compressed = false;
  if (!parse_ip6(a, hi, lo, &groups, &compressed)) {
    *why = "bad IPv6 address '" + std::string(tok) + "'";
    return false;
  }
  if (slash != std::string_view::npos) {
    *len = parse_len(tok.substr(slash + 1), 128);
    if (*len < 0) {
      *why = "bad prefix length in '" + std::string(tok) + "'";
      return false;
    }
  } else {
    *len = compressed ? 128 : 16 * groups;
  }
  uint64_t mh = *hi, ml = *lo;
  mask6(*len, &mh, &ml);
  if (mh != *hi || ml != *lo) {
    if (!allow_host_bits) {
      *why = "address '" + std::string(tok) + "' has bits outside its prefix";
      return false;
    }
    *hi = mh;
    *lo = ml;
  }
  return true;
}

// ip6trie: as ip4trie for IPv6.
class Ip6Trie final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) override {
    bool excl = false;
    if (line[0] == '!') {
      excl = true;
      line.remove_prefix(1);
    }
    size_t end = 0;
    // "addr:A:TXT" cannot be told from an address: values need a space.
    while (end < line.size() && !is_space(line[end])) ++end;
    std::string_view tok = line.substr(0, end);
    uint64_t hi = 0, lo = 0;
    int len = 0;
    if (!parse_ip6_entry(tok, &hi, &lo, &len, allow_host_bits, why)) return false;
    uint32_t value = kExcluded;
    if (!excl && !entry_value(*this, line.substr(end), def, def_value, &value, why)) return false;
    by_len_.add(len, {hi, lo, value});
    return true;
  }

  void finish() override {
    by_len_.finish(less);
    drop_index();
  }

  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    uint64_t hi = 0, lo = 0;
    int n = query_ip6(q, &hi, &lo);
    if (n < 0) return Found::kNo;
    if (n < 32) return prefix_exists(hi, lo, 4 * n) ? Found::kExists : Found::kNo;
    for (size_t g = 0; g < by_len_.groups(); ++g) {
      const auto [len, v] = by_len_.group(g);
      Entry k{hi, lo, 0};
      mask6(len, &k.hi, &k.lo);
      auto it = std::lower_bound(v.begin(), v.end(), k, less);
      if (it == v.end() || it->hi != k.hi || it->lo != k.lo) continue;
      if (it->value == kExcluded) return Found::kNo;
      emit(it->value, ip6_text(hi, lo), qtype, out);
      return Found::kListed;
    }
    return Found::kNo;
  }

  bool well_formed(const QueryName& q) const override {
    uint64_t hi = 0, lo = 0;
    return query_ip6(q, &hi, &lo) == 32;
  }
  size_t entries() const override { return by_len_.size(); }

  // As ip4trie, on nibble boundaries: a /48 is one wildcard, a /126 four
  // names; longer prefixes first.
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    std::set<std::tuple<int, uint64_t, uint64_t>> seen;
    for (size_t g = 0; g < by_len_.groups(); ++g) {
      const auto [len, v] = by_len_.group(g);
      int t = (len + 3) / 4 * 4;
      for (const Entry& e : v) {
        for (uint64_t k = 0; k < (uint64_t{1} << (t - len)); ++k) {
          uint64_t hi = e.hi, lo = e.lo;
          int p = 128 - t;  // lowest bit of the widened prefix
          if (t > len) (p >= 64 ? hi : lo) |= k << (p % 64);
          if (!seen.insert({t, hi, lo}).second) continue;
          std::string name = nibble_name(hi, lo, t / 4);
          if (e.value == kExcluded) {
            if (!sink.excluded(name)) return DumpStatus::kStopped;
            continue;
          }
          rec.clear();
          emit(e.value, ip6_text(hi, lo), kTypeAny, rec);
          if (!sink.node(name, rec)) return DumpStatus::kStopped;
        }
      }
    }
    return DumpStatus::kOk;
  }

 private:
  struct Entry {
    uint64_t hi, lo;
    uint32_t value;
  };
  static bool less(const Entry& x, const Entry& y) { return x.hi != y.hi ? x.hi < y.hi : x.lo < y.lo; }
  bool prefix_exists(uint64_t hi, uint64_t lo, int bits) const {
    uint64_t end_hi = hi, end_lo = lo;
    if (bits < 64)
      end_hi |= bits == 0 ? ~uint64_t{0} : ~(~uint64_t{0} << (64 - bits)), end_lo = ~uint64_t{0};
    else
      end_lo |= bits == 64 ? ~uint64_t{0} : ~(~uint64_t{0} << (128 - bits));
    Entry end{end_hi, end_lo, 0};
    for (size_t g = by_len_.groups(); g-- > 0;) {
      const auto [len, v] = by_len_.group(g);
      if (len <= bits) {
        Entry k{hi, lo, 0};
        mask6(len, &k.hi, &k.lo);
        auto it = std::lower_bound(v.begin(), v.end(), k, less);
        if (it != v.end() && it->hi == k.hi && it->lo == k.lo && it->value != kExcluded) return true;
      } else {
        auto it = std::lower_bound(v.begin(), v.end(), Entry{hi, lo, 0}, less);
        for (; it != v.end() && !less(end, *it); ++it)
          if (it->value != kExcluded) return true;
      }
    }
    return false;
  }
  ByLen<Entry> by_len_;
};

// ip6tset: /64 networks sharing one value, /128 exclusions.
class Ip6TSet final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) override {
    bool excl = false;
    if (line[0] == '!') {
      excl = true;
      line.remove_prefix(1);
    }
    size_t end = 0;
    while (end < line.size() && !is_space(line[end])) ++end;
    std::string_view tok = line.substr(0, end);
    uint64_t hi = 0, lo = 0;
    int len = 0;
    if (!parse_ip6_entry(tok, &hi, &lo, &len, allow_host_bits, why)) return false;
    if (excl) {
      if (len != 128) {
        *why = "ip6tset excludes single addresses (/128) only";
        return false;
      }
      excluded_.push_back({hi, lo});
      return true;
    }
    if (len != 64) {
      *why = "ip6tset lists /64 networks only";
      return false;
    }
    (void)def_value;
    value_ = def;
    nets_.push_back(hi);
    return true;
  }
  void finish() override {
    std::sort(nets_.begin(), nets_.end());
    nets_.erase(std::unique(nets_.begin(), nets_.end()), nets_.end());
    nets_.shrink_to_fit();
    std::sort(excluded_.begin(), excluded_.end());
    drop_index();
  }
  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    uint64_t hi = 0, lo = 0;
    int n = query_ip6(q, &hi, &lo);
    if (n < 0) return Found::kNo;
    if (n < 32) {
      int bits = 4 * n;
      uint64_t m = bits >= 64 ? ~uint64_t{0} : (bits == 0 ? 0 : ~uint64_t{0} << (64 - bits));
      auto it = std::lower_bound(nets_.begin(), nets_.end(), hi & m);
      return it != nets_.end() && (*it & m) == (hi & m) ? Found::kExists : Found::kNo;
    }
    if (!std::binary_search(nets_.begin(), nets_.end(), hi)) return Found::kNo;
    if (std::binary_search(excluded_.begin(), excluded_.end(), std::pair{hi, lo})) return Found::kNo;
    emit(value_, ip6_text(hi, lo), qtype, out);
    return Found::kListed;
  }
  bool well_formed(const QueryName& q) const override {
    uint64_t hi = 0, lo = 0;
    return query_ip6(q, &hi, &lo) == 32;
  }
  size_t entries() const override { return nets_.size() + excluded_.size(); }
  // A /64 is a wildcard of 16 nibbles; an exclusion inside one is `excluded`.
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    for (uint64_t net : nets_) {
      rec.clear();
      emit(value_, ip6_text(net, 0), kTypeAny, rec);
      if (!sink.node(nibble_name(net, 0, 16), rec)) return DumpStatus::kStopped;
    }
    for (const auto& [hi, lo] : excluded_)
      if (std::binary_search(nets_.begin(), nets_.end(), hi) && !sink.excluded(nibble_name(hi, lo, 32)))
        return DumpStatus::kStopped;
    return DumpStatus::kOk;
  }

 private:
  std::vector<uint64_t> nets_;
  std::vector<std::pair<uint64_t, uint64_t>> excluded_;
  uint32_t value_ = 0;
};

// dnset: domain names, exact (name), subdomains (*.name) or both (.name),
// keyed by the name with its labels reversed ("com.example") in one sorted
// array, so that "is anything below this name" is a range query.
class DnSet final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t def, const Value& def_value, std::string* why) override {
    bool excl = false;
    if (line[0] == '!') {
      excl = true;
      line.remove_prefix(1);
    }
    size_t end = 0;
    while (end < line.size() && !is_space(line[end]) && line[end] != ':') ++end;
    std::string_view tok = line.substr(0, end);
    bool exact = true, wild = false;
    if (tok.starts_with("*.")) {
      tok.remove_prefix(2);
      exact = false;
      wild = true;
    } else if (tok.starts_with(".")) {
      tok.remove_prefix(1);
      wild = true;
    }
    std::string name = domain(tok);
    if (name.empty() || !plain_name(name) || name.find('\\') != std::string::npos) {
      *why = "bad domain name '" + std::string(tok) + "'";
      return false;
    }
    uint32_t value = kExcluded;
    if (!excl && !entry_value(*this, line.substr(end), def, def_value, &value, why)) return false;
    std::string key = reverse_domain(name);
    uint32_t off = static_cast<uint32_t>(keys_.size());
    keys_ += key;
    if (exact) entries_.push_back({off, static_cast<uint32_t>(key.size()), value, 0, seq_++});
    if (wild) entries_.push_back({off, static_cast<uint32_t>(key.size()), value, 1, seq_++});
    return true;
  }
  void finish() override {
    std::stable_sort(entries_.begin(), entries_.end(), [this](const Entry& x, const Entry& y) {
      int c = key(x).compare(key(y));
      return c != 0 ? c < 0 : x.wild < y.wild;
    });
    entries_.shrink_to_fit();
    keys_.shrink_to_fit();
    drop_index();
  }
  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    if (q.count == 0) return Found::kNo;
    for (size_t k = 0; k < q.count; ++k)
      if (q.labels[k].find('.') != std::string_view::npos || q.labels[k].empty()) return Found::kNo;
    std::string full = join_reversed(q);
    std::string subst;
    // Exact entries first, then wildcards of the closest ancestor.
    if (auto r = match(full, 0); r != 0) {
      if (r < 0) return exists_below(full) ? Found::kExists : Found::kNo;
      emit_all(full, 0, q, qtype, out);
      return Found::kListed;
    }
    std::string anc = full;
    for (;;) {
      size_t dot = anc.rfind('.');
      if (dot == std::string::npos) break;
      anc.resize(dot);
      if (auto r = match(anc, 1); r != 0) {
        if (r < 0) return exists_below(full) ? Found::kExists : Found::kNo;
        emit_all(anc, 1, q, qtype, out);
        return Found::kListed;
      }
    }
    return exists_below(full) ? Found::kExists : Found::kNo;
  }
  bool well_formed(const QueryName& q) const override { return q.count > 0; }
  size_t entries() const override { return entries_.size(); }
  // `name` and `*.name` as they are; an exclusion is `excluded`.
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    for (size_t i = 0; i < entries_.size();) {
      size_t j = i;
      bool excl = false;
      while (j < entries_.size() && entries_[j].wild == entries_[i].wild &&
             key(entries_[j]) == key(entries_[i]))
        excl |= entries_[j++].value == kExcluded;
      std::string subst = reverse_domain(key(entries_[i]));
      std::string name = entries_[i].wild ? "*." + subst : subst;
      if (excl) {
        if (!sink.excluded(name)) return DumpStatus::kStopped;
      } else {
        rec.clear();
        for (size_t k = i; k < j; ++k) emit(entries_[k].value, subst, kTypeAny, rec);
        if (!sink.node(name, rec)) return DumpStatus::kStopped;
      }
      i = j;
    }
    return DumpStatus::kOk;
  }

 private:
  struct Entry {
    uint32_t off, len, value;
    uint8_t wild;
    uint64_t seq;
  };
  std::string_view key(const Entry& e) const { return {keys_.data() + e.off, e.len}; }
  std::pair<std::vector<Entry>::const_iterator, std::vector<Entry>::const_iterator> range(
      std::string_view k, uint8_t wild) const {
    auto cmp_lt = [this](const Entry& e, std::pair<std::string_view, uint8_t> p) {
      int c = key(e).compare(p.first);
      return c != 0 ? c < 0 : e.wild < p.second;
    };
    auto lo = std::lower_bound(entries_.begin(), entries_.end(), std::pair{k, wild}, cmp_lt);
    auto hi = lo;
    while (hi != entries_.end() && hi->wild == wild && key(*hi) == k) ++hi;
    return {lo, hi};
  }
  // 1 listed, -1 excluded, 0 no entry.
  int match(std::string_view k, uint8_t wild) const {
    auto [lo, hi] = range(k, wild);
    if (lo == hi) return 0;
    for (auto it = lo; it != hi; ++it)
      if (it->value == kExcluded) return -1;
    return 1;
  }
  // `$` is the entry that matched (for "*.example.com", "example.com"), as
  // rbldnsd writes it.
  void emit_all(std::string_view k, uint8_t wild, const QueryName&, uint16_t qtype, Collector& out) const {
    std::string name = reverse_domain(k);
    auto [lo, hi] = range(k, wild);
    for (auto it = lo; it != hi; ++it) emit(it->value, name, qtype, out);
  }
  bool exists_below(const std::string& full) const {
    std::string prefix = full + '.';
    auto it = std::lower_bound(entries_.begin(), entries_.end(), prefix,
                               [this](const Entry& e, const std::string& p) { return key(e) < p; });
    if (it != entries_.end() && key(*it).starts_with(prefix)) return true;
    // A wildcard at the name itself has the child "*".
    auto [lo, hi] = range(full, 1);
    return lo != hi;
  }
  std::string keys_;
  std::vector<Entry> entries_;
  uint64_t seq_ = 0;
};

// generic: "name [ttl] TYPE data" with A, TXT and MX; '@' is the apex.
class Generic final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t, const Value&, std::string* why) override {
    std::string_view rest = line;
    std::string_view name = next_word(rest);
    std::string_view w = next_word(rest);
    Value v;
    if (auto t = parse_time(w); t && !w.empty() && w[0] >= '0' && w[0] <= '9') {
      v.ttl = *t;
      w = next_word(rest);
    }
    std::string rtype = lower(w);
    if (rtype == "a") {
      uint32_t a = 0;
      int n = 0;
      std::string_view ip = next_word(rest);
      if (parse_ip4_prefix(ip, &a, &n) != ip.size() || n != 4) {
        *why = "bad A record";
        return false;
      }
      v.type = kTypeA;
      v.a = a;
    } else if (rtype == "txt") {
      std::string_view t = rtrim(rest);
      if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
      v.type = kTypeTxt;
      v.txt = std::string(t);
    } else if (rtype == "mx") {
      std::string_view pref = next_word(rest);
      std::string_view host = next_word(rest);
      int p = 0;
      for (char c : pref) {
        if (c < '0' || c > '9' || p > 65535) {
          *why = "bad MX preference";
          return false;
        }
        p = p * 10 + (c - '0');
      }
      if (pref.empty() || p > 65535 || host.empty() || !plain_name(host)) {
        *why = "bad MX record";
        return false;
      }
      v.type = kTypeMx;
      v.mx_pref = static_cast<uint16_t>(p);
      v.txt = domain(host);
    } else {
      *why = "generic data sets hold A, TXT and MX records only";
      return false;
    }
    std::string n = name == "@" ? std::string() : domain(name);
    if (!n.empty() && !plain_name(n)) {
      *why = "bad name";
      return false;
    }
    std::string key = reverse_domain(n);
    entries_.push_back({key, intern(v), seq_++});
    return true;
  }
  void finish() override {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Entry& a, const Entry& b) { return a.key < b.key; });
    drop_index();
  }
  Found query(const QueryName& q, uint16_t qtype, Collector& out) const override {
    std::string key = join_reversed(q);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const Entry& e, const std::string& k) { return e.key < k; });
    bool found = false;
    for (; it != entries_.end() && it->key == key; ++it) {
      emit(it->value, {}, qtype, out);
      found = true;
    }
    if (found) return Found::kListed;
    std::string prefix = key.empty() ? key : key + '.';
    if (key.empty()) return entries_.empty() ? Found::kNo : Found::kExists;
    it = std::lower_bound(entries_.begin(), entries_.end(), prefix,
                          [](const Entry& e, const std::string& k) { return e.key < k; });
    return it != entries_.end() && it->key.starts_with(prefix) ? Found::kExists : Found::kNo;
  }
  size_t entries() const override { return entries_.size(); }
  DumpStatus dump(DumpSink& sink) const override {
    Collector rec;
    for (size_t i = 0; i < entries_.size();) {
      size_t j = i;
      rec.clear();
      while (j < entries_.size() && entries_[j].key == entries_[i].key)
        emit(entries_[j++].value, {}, kTypeAny, rec);
      std::string name = reverse_domain(entries_[i].key);
      if (!sink.node(name, rec)) return DumpStatus::kStopped;
      i = j;
    }
    return DumpStatus::kOk;
  }

 private:
  struct Entry {
    std::string key;
    uint32_t value;
    uint64_t seq;
  };
  std::vector<Entry> entries_;
  uint64_t seq_ = 0;
};

// acl: IPv4 and IPv6 CIDR prefixes of clients with an action (:ignore, the
// default; :refuse; :empty; :pass) or an A:TXT template; longest prefix wins.
class Acl final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t, const Value& def_value, std::string* why) override {
    size_t end = 0;
    while (end < line.size() && !is_space(line[end])) ++end;
    std::string_view tok = line.substr(0, end);
    std::string_view rest = ltrim(line.substr(end));
    uint32_t action = kAclIgnore;
    if (!rest.empty() && rest[0] != '#' && rest[0] != ';') {
      std::string word = lower(rtrim(rest));
      if (word == ":ignore")
        action = kAclIgnore;
      else if (word == ":refuse")
        action = kAclRefuse;
      else if (word == ":empty")
        action = kAclEmpty;
      else if (word == ":pass")
        action = kAclPass;
      else if (!entry_value(*this, rest, 0, def_value, &action, why))
        return false;
    }
    if (tok.find(':') != std::string_view::npos) {
      uint64_t hi = 0, lo = 0;
      int len = 0;
      if (!parse_ip6_entry(tok, &hi, &lo, &len, allow_host_bits, why)) return false;
      v6_[len].push_back({hi, lo, action});
    } else {
      uint32_t a = 0;
      int n = 0;
      size_t used = parse_ip4_prefix(tok, &a, &n);
      int len = 8 * n;
      if (used == 0 ||
          (used < tok.size() && (tok[used] != '/' || (len = parse_len(tok.substr(used + 1), 32)) < 0))) {
        *why = "bad client network '" + std::string(tok) + "'";
        return false;
      }
      if ((a & ~mask4(len)) != 0) {
        if (!allow_host_bits) {
          *why = "address '" + std::string(tok) + "' has bits outside its prefix";
          return false;
        }
        a &= mask4(len);
      }
      v4_[len].push_back({a, action});
    }
    return true;
  }
  void finish() override {
    for (auto& v : v4_) {
      std::stable_sort(v.begin(), v.end(), [](const E4& x, const E4& y) { return x.net < y.net; });
      v.erase(std::unique(v.begin(), v.end(), [](const E4& x, const E4& y) { return x.net == y.net; }),
              v.end());
    }
    for (auto& v : v6_) {
      std::stable_sort(v.begin(), v.end(), less6);
      v.erase(std::unique(v.begin(), v.end(),
                          [](const E6& x, const E6& y) { return x.hi == y.hi && x.lo == y.lo; }),
              v.end());
    }
    drop_index();
  }
  Found query(const QueryName&, uint16_t, Collector&) const override { return Found::kNo; }
  size_t entries() const override {
    size_t n = 0;
    for (const auto& v : v4_) n += v.size();
    for (const auto& v : v6_) n += v.size();
    return n;
  }
  uint32_t acl(const uint8_t* c, bool v6) const override {
    if (!v6) {
      uint32_t addr = (uint32_t{c[0]} << 24) | (uint32_t{c[1]} << 16) | (uint32_t{c[2]} << 8) | c[3];
      for (int len = 32; len >= 0; --len) {
        const auto& v = v4_[len];
        if (v.empty()) continue;
        uint32_t net = addr & mask4(len);
        auto it =
            std::lower_bound(v.begin(), v.end(), net, [](const E4& e, uint32_t k) { return e.net < k; });
        if (it != v.end() && it->net == net) return it->action;
      }
      return kAclNone;
    }
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i) hi = hi << 8 | c[i];
    for (int i = 8; i < 16; ++i) lo = lo << 8 | c[i];
    for (int len = 128; len >= 0; --len) {
      const auto& v = v6_[len];
      if (v.empty()) continue;
      E6 k{hi, lo, 0};
      mask6(len, &k.hi, &k.lo);
      auto it = std::lower_bound(v.begin(), v.end(), k, less6);
      if (it != v.end() && it->hi == k.hi && it->lo == k.lo) return it->action;
    }
    return kAclNone;
  }

 private:
  struct E4 {
    uint32_t net, action;
  };
  struct E6 {
    uint64_t hi, lo;
    uint32_t action;
  };
  static bool less6(const E6& x, const E6& y) { return x.hi != y.hi ? x.hi < y.hi : x.lo < y.lo; }
  std::vector<E4> v4_[33];
  std::vector<E6> v6_[129];
};

// keys: "KEY [member]" per line, "!KEY" revoked. Keys are compared as the
// lower-case label they arrive as.
class Keys final : public Buildable {
 public:
  bool add_line(std::string_view line, uint32_t, const Value&, std::string* why) override {
    bool revoked = false;
    if (line[0] == '!') {
      revoked = true;
      line.remove_prefix(1);
    }
    std::string_view rest = line;
    std::string key = lower(next_word(rest));
    std::string name = std::string(rtrim(rest));
    if (key.empty() || key.size() > 63 || key.find('.') != std::string::npos) {
      *why = "bad key (one label of at most 63 octets)";
      return false;
    }
    entries_.push_back({key, revoked ? -2 : static_cast<int>(names_.size())});
    if (!revoked) names_.push_back(name.empty() ? key.substr(0, 4) + "..." : name);
    return true;
  }
  void finish() override {
    // A revoked key stays revoked even when it is also listed as valid.
    std::stable_sort(entries_.begin(), entries_.end(), [](const E& a, const E& b) {
      return a.key != b.key ? a.key < b.key : a.member < b.member;
    });
    entries_.erase(
        std::unique(entries_.begin(), entries_.end(), [](const E& a, const E& b) { return a.key == b.key; }),
        entries_.end());
    counts_ = std::make_unique<std::atomic<uint64_t>[]>(names_.size());
    drop_index();
  }
  Found query(const QueryName&, uint16_t, Collector&) const override { return Found::kNo; }
  size_t entries() const override { return entries_.size(); }
  int member(std::string_view key) const override {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const E& e, std::string_view k) { return std::string_view(e.key) < k; });
    if (it == entries_.end() || it->key != key) return -1;
    if (it->member >= 0) counts_[static_cast<size_t>(it->member)].fetch_add(1, std::memory_order_relaxed);
    return it->member;
  }
  std::vector<std::pair<std::string, uint64_t>> member_counts() const override {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (size_t i = 0; i < names_.size(); ++i)
      out.emplace_back(names_[i], counts_[i].load(std::memory_order_relaxed));
    return out;
  }

 private:
  struct E {
    std::string key;
    int member;
  };
  std::vector<E> entries_;
  std::vector<std::string> names_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
};

class Combined final : public Buildable {
 public:
  bool add_line(std::string_view, uint32_t, const Value&, std::string*) override { return false; }
  Found query(const QueryName&, uint16_t, Collector&) const override { return Found::kNo; }
  size_t entries() const override {
    size_t n = 0;
    for (const auto& p : parts_) n += p.dataset->entries();
    return n;
  }
  const std::vector<Part>* parts() const override { return &parts_; }
  std::vector<Part> parts_;
};

std::unique_ptr<Buildable> make(std::string_view type) {
  std::unique_ptr<Buildable> ds;
  if (type == "ip4set" || type == "ip4tset") {
    auto set = std::make_unique<Ip4Set>();
    set->trivial = type == "ip4tset";
    ds = std::move(set);
  } else if (type == "ip4trie")
    ds = std::make_unique<Ip4Trie>();
  else if (type == "ip6trie")
    ds = std::make_unique<Ip6Trie>();
  else if (type == "ip6tset")
    ds = std::make_unique<Ip6TSet>();
  else if (type == "dnset")
    ds = std::make_unique<DnSet>();
  else if (type == "generic")
    ds = std::make_unique<Generic>();
  else if (type == "keys")
    ds = std::make_unique<Keys>();
  else if (type == "acl")
    ds = std::make_unique<Acl>();
  else if (type == "combined")
    ds = std::make_unique<Combined>();
  if (ds) {
    ds->type = std::string(type);
    ds->generic = type == "generic";
  }
  return ds;
}

}  // namespace

// ---------------------------------------------------------------- loader

class Loader {
 public:
  Loader(const LoadOptions& o, LoadReport* r) : opt_(o), report_(r) {}

  Result<void> begin(std::string_view type) {
    root_ = make(type);
    if (!root_) return fail(Errc::kConfig, "unknown data set type '" + std::string(type) + "'");
    root_->allow_host_bits = opt_.allow_host_bits;
    combined_ = dynamic_cast<Combined*>(root_.get());
    return {};
  }

  // One file of the data set; its text may be freed once this returns.
  void file(const std::string& name, std::string_view text, int64_t mtime) {
    begin_file(name, mtime);
    feed(text);
    end_file();
  }
  // The same in pieces: begin_file, feed (whole lines, each piece may be
  // freed once it returns), end_file.
  void begin_file(const std::string& name, int64_t mtime, size_t bytes = 0) {
    file_ = name;
    if (!combined_) root_->expect(bytes);
    root_->newest_mtime = std::max(root_->newest_mtime, mtime);
    start_file();
    line_no_ = 0;
  }
  void feed(std::string_view text) {
    // An ip4set's lines of an address alone (most lines of a large file)
    // go straight to the set, the others through line_().
    Ip4Set* fast = combined_ ? nullptr : dynamic_cast<Ip4Set*>(root_.get());
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
      ++line_no_;
      ++report_->lines;
      if (fast && *p >= '0' && *p <= '9' && fast->takes_plain()) {
        uint32_t addr;
        if (const char* next = Ip4Set::plain_line(p, end, &addr)) {
          fast->add_single(addr, default_index());
          p = next;
          continue;
        }
      }
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      std::string_view line(p, static_cast<size_t>((nl ? nl : end) - p));
      p = nl ? nl + 1 : end;
      if (auto why = line_(rtrim(line)); !why.empty()) warn(line_no_, why);
    }
  }
  void end_file() { end_section(); }

  // Reads up to `len` bytes at `off` of the file being loaded (pread).
  using ReadAt = std::function<ssize_t(uint64_t off, char* buf, size_t len)>;
  static constexpr size_t kPiece = size_t{1} << 20;

  // True when a file of `bytes` is worth reading whole and parsing with
  // two threads (file_parallel).
  bool parallel(size_t bytes) const {
    return opt_.threads > 1 && bytes >= opt_.parallel_min_bytes && !combined_ &&
           dynamic_cast<Ip4Set*>(root_.get()) != nullptr;
  }

  DatasetPtr end() {
    for (auto& p : parts_done_) p.first->finish();
    if (combined_) {
      for (auto& [ds, subs] : parts_done_) {
        ds->newest_mtime = root_->newest_mtime;
        combined_->parts_.push_back({DatasetPtr(ds.release()), std::move(subs)});
      }
    }
    root_->finish();
    finalize_meta(*root_);
    return DatasetPtr(root_.release());
  }

 private:
  size_t line_no_ = 0;

  void warn(size_t line_no, const std::string& why) {
    if (report_->warnings.size() < opt_.max_warnings)
      report_->warnings.push_back(file_ + ":" + std::to_string(line_no) + ": " + why);
  }

  Buildable& current() { return sub_ ? *sub_ : *root_; }

 public:
  // An ip4set file in two halves cut at a line boundary, each read in pieces
  // by its own thread: this one feeds the head as usual while a worker parses
  // the tail into a set of its own, whose entries and values are then added
  // after the head's, so that the data set, the value numbers and the
  // warnings are those of one thread. A tail line depends on the default line
  // in force (the last good `:A:TXT` line before it) and on $MAXRANGE4; the
  // other specials take effect at query time or are first-only, but their
  // order matters. So the worker starts from a guess of the default at the
  // cut (the last default line in the MiB before it, else in the file's
  // first MiB) and gives up at any special in the tail; after the join the
  // guess is checked against the default this thread reached, and
  // $MAXRANGE4 against its value before the head. A wrong guess, a special
  // in the tail or a changed $MAXRANGE4: the tail is read again here.
  // Returns an error message, empty on success.
  std::string file_parallel(const std::string& name, int64_t mtime, uint64_t size, const ReadAt& read) {
    auto feed_all = [&](std::string_view t) {
      feed(t);
      return true;
    };
    auto* set = dynamic_cast<Ip4Set*>(root_.get());
    uint64_t cut = 0;
    std::string err;
    if (set) cut = find_cut(read, size, &err);
    if (!err.empty()) return err;
    begin_file(name, mtime, static_cast<size_t>(cut ? cut : size));  // room for the head's entries
    if (cut == 0) {
      err = read_lines(read, 0, UINT64_MAX, feed_all);
      end_file();
      return err;
    }
    Value guess = def_value_;
    if (err = guess_default(read, cut, &guess); !err.empty()) return err;
    auto made = make(root_->type);
    auto& ws = static_cast<Ip4Set&>(*made);
    ws.trivial = set->trivial;
    ws.allow_host_bits = set->allow_host_bits;
    uint64_t max_range4 = set->max_range4;
    ws.max_range4 = max_range4;
    ws.expect(static_cast<size_t>(size - cut));
    struct Work {
      bool ok = true;
      size_t lines = 0;
      std::vector<std::pair<size_t, std::string>> warnings;
      std::string read_error;
      std::exception_ptr error;
    } work;
    size_t max_warnings = opt_.max_warnings;
    std::thread worker([&] {
      try {
        Value def = guess;
        uint32_t def_index = UINT32_MAX;
        std::string why;
        auto line = [&](std::string_view l) {
          ++work.lines;
          l = ltrim(rtrim(l));
          if (l.empty()) return true;
          if (l[0] == '$' || !special_text(l).empty()) return work.ok = false;
          if (l[0] == '#' || l[0] == ';') return true;
          if (l[0] == ':') {
            Value v;
            if (auto bad = parse_default_line(l.substr(1), &v); !bad.empty()) {
              if (work.warnings.size() < max_warnings) work.warnings.emplace_back(work.lines, std::move(bad));
            } else {
              def = std::move(v);
              def_index = UINT32_MAX;
            }
            return true;
          }
          // As line_(): the default is interned before the line is read.
          if (def_index == UINT32_MAX) def_index = ws.intern(def);
          why.clear();
          if (!ws.add_line(l, def_index, def, &why) && work.warnings.size() < max_warnings)
            work.warnings.emplace_back(work.lines, why.empty() ? "bad line" : why);
          return true;
        };
        const bool fast = ws.takes_plain();  // a special stops the worker: fixed here
        work.read_error = read_lines(read, cut, UINT64_MAX, [&](std::string_view t) {
          while (!t.empty()) {
            uint32_t addr;
            const char* next;
            if (fast && t[0] >= '0' && t[0] <= '9' &&
                (next = Ip4Set::plain_line(t.data(), t.data() + t.size(), &addr)) != nullptr) {
              ++work.lines;
              if (def_index == UINT32_MAX) def_index = ws.intern(def);
              ws.add_single(addr, def_index);
              t.remove_prefix(static_cast<size_t>(next - t.data()));
              continue;
            }
            size_t nl = t.find('\n');
            if (!line(t.substr(0, nl))) return false;
            t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
          }
          return true;
        });
      } catch (...) {
        work.error = std::current_exception();
      }
    });
    struct Join {  // also when feeding the head throws (bad_alloc)
      std::thread& t;
      ~Join() {
        if (t.joinable()) t.join();
      }
    } join{worker};
    err = read_lines(read, 0, cut, feed_all);
    worker.join();
    if (work.error) std::rethrow_exception(work.error);
    if (!err.empty()) return err;
    if (!work.read_error.empty()) return work.read_error;
    if (!work.ok || !same_value(def_value_, guess) || set->max_range4 != max_range4) {
      err = read_lines(read, cut, UINT64_MAX, feed_all);
      end_file();
      return err;
    }
    std::vector<uint32_t> remap(ws.value_count());
    for (uint32_t k = 0; k < remap.size(); ++k) remap[k] = set->intern_other(ws, k);
    set->absorb(ws, remap);
    for (auto& [n, why] : work.warnings) warn(line_no_ + n, why);
    line_no_ += work.lines;
    report_->lines += work.lines;
    ++report_->parallel_files;
    end_file();
    return {};
  }

 private:
  static bool same_value(const Value& x, const Value& y) {
    return x.type == y.type && x.a == y.a && x.has_txt == y.has_txt && x.mx_pref == y.mx_pref &&
           x.ttl == y.ttl && x.txt == y.txt;
  }

  // Reads [from, to) (UINT64_MAX: to the end) in pieces of whole lines (1
  // MiB, more for a longer line); `f(text)` false stops. An error message or
  // empty.
  template <typename F>
  static std::string read_lines(const ReadAt& read, uint64_t from, uint64_t to, F&& f) {
    std::string buf(kPiece, '\0');
    size_t held = 0;
    uint64_t off = from;
    for (;;) {
      if (held == buf.size()) buf.resize(buf.size() * 2);
      size_t want = buf.size() - held;
      if (to != UINT64_MAX) want = static_cast<size_t>(std::min<uint64_t>(want, to - off));
      ssize_t n = want == 0 ? 0 : read(off, buf.data() + held, want);
      if (n < 0) return std::string("read error: ") + std::strerror(errno);
      if (n == 0) {
        if (held) f(std::string_view(buf.data(), held));  // a last line without its newline
        return {};
      }
      off += static_cast<uint64_t>(n);
      size_t end = held + static_cast<size_t>(n);
      size_t last_nl = std::string_view(buf.data(), end).rfind('\n');
      if (last_nl == std::string_view::npos) {
        held = end;
        continue;
      }
      if (!f(std::string_view(buf.data(), last_nl + 1))) return {};
      held = end - last_nl - 1;
      std::memmove(buf.data(), buf.data() + last_nl + 1, held);
    }
  }

  // Where to cut a file of `size` bytes: just after the first newline from
  // its middle on (within 1 MiB), 0 when there is none.
  static uint64_t find_cut(const ReadAt& read, uint64_t size, std::string* err) {
    std::string buf(kPiece, '\0');
    uint64_t mid = size / 2;
    ssize_t n = read(mid, buf.data(), buf.size());
    if (n < 0) {
      *err = std::string("read error: ") + std::strerror(errno);
      return 0;
    }
    size_t nl = std::string_view(buf.data(), static_cast<size_t>(n)).find('\n');
    if (nl == std::string_view::npos || mid + nl + 1 >= size) return 0;
    return mid + nl + 1;
  }

  // The default line in force at `cut`, guessed: the last good one in the
  // MiB before it, else in the file's first MiB, else `*def` as it is.
  static std::string guess_default(const ReadAt& read, uint64_t cut, Value* def) {
    auto last_default = [](std::string_view t, Value* out) {
      bool found = false;
      while (!t.empty()) {
        size_t nl = t.find('\n');
        if (nl == std::string_view::npos) break;  // a part of a line
        std::string_view l = ltrim(rtrim(t.substr(0, nl)));
        t = t.substr(nl + 1);
        Value v;
        if (!l.empty() && l[0] == ':' && special_text(l).empty() &&
            parse_default_line(l.substr(1), &v).empty()) {
          *out = std::move(v);
          found = true;
        }
      }
      return found;
    };
    std::string buf(kPiece, '\0');
    uint64_t from = cut > kPiece ? cut - kPiece : 0;
    ssize_t n = read(from, buf.data(), static_cast<size_t>(cut - from));
    if (n < 0) return std::string("read error: ") + std::strerror(errno);
    std::string_view t(buf.data(), static_cast<size_t>(n));
    if (from > 0) {  // the first line may be cut
      size_t nl = t.find('\n');
      t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
    }
    if (last_default(t, def) || from == 0) return {};
    n = read(0, buf.data(), buf.size());
    if (n < 0) return std::string("read error: ") + std::strerror(errno);
    last_default(std::string_view(buf.data(), static_cast<size_t>(n)), def);
    return {};
  }

  void start_file() {
    def_value_ = Value{};
    def_ = UINT32_MAX;
  }

  void end_section() {
    if (sub_) {
      parts_done_.emplace_back(std::move(sub_), std::move(sub_zones_));
      sub_.reset();
      sub_zones_.clear();
      def_value_ = Value{};
      def_ = UINT32_MAX;
    }
  }

  uint32_t default_index() {
    if (def_ == UINT32_MAX) def_ = current().intern(def_value_);
    return def_;
  }

  std::string line_(std::string_view line) {
    line = ltrim(line);
    if (line.empty()) return {};
    std::string_view special = special_text(line);
    if (!special.empty()) return special_(special);
    if (line[0] == '#' || line[0] == ';') return {};
    if (combined_ && !sub_) return "entry outside a $DATASET section of a combined data set";
    Buildable& ds = current();
    // "::1" in an IPv6 data set is an address, not a default line.
    bool ip6_entry =
        line.starts_with("::") && (ds.type == "ip6trie" || ds.type == "ip6tset" || ds.type == "acl");
    if (line[0] == ':' && !ds.generic && !ip6_entry) {
      Value v;
      if (auto why = parse_default_line(line.substr(1), &v); !why.empty()) return why;
      def_value_ = std::move(v);
      def_ = UINT32_MAX;
      return {};
    }
    std::string why;
    if (!ds.add_line(line, ds.generic ? 0 : default_index(), def_value_, &why))
      return why.empty() ? "bad line" : why;
    return {};
  }

  std::string special_(std::string_view s) {
    std::string_view rest = s;
    std::string_view kw = next_word(rest);
    std::string k = lower(kw);
    Buildable& ds = (k == "soa" || k == "ns") && combined_ ? *root_ : current();
    if (k == "dataset") {
      if (!combined_) return "$DATASET outside a combined data set";
      end_section();
      std::string_view spec = next_word(rest);
      std::string t = std::string(spec.substr(0, spec.find(':')));
      if (t == "combined") return "combined data sets cannot be nested";
      auto sub = make(t);
      if (!sub) return "unknown data set type '" + t + "'";
      sub->allow_host_bits = opt_.allow_host_bits;
      sub->ttl = root_->ttl;
      if (const auto* tm = root_->templates_if()) sub->templates() = *tm;
      sub->max_range4 = root_->max_range4;
      sub_ = std::move(sub);
      while (!rest.empty()) {
        std::string_view z = next_word(rest);
        sub_zones_.push_back(z == "@" ? std::string() : domain(z));
      }
      def_value_ = Value{};
      def_ = UINT32_MAX;
      return {};
    }
    if (k == "soa") {
      if (ds.meta.soa) return {};  // only the first
      std::string_view f[8];
      for (auto& x : f) x = next_word(rest);
      auto ttl = parse_time(f[0]);
      auto serial = parse_time(f[3]);
      auto refresh = parse_time(f[4]), retry = parse_time(f[5]), expire = parse_time(f[6]),
           minttl = parse_time(f[7]);
      if (!ttl || f[1].empty() || f[2].empty() || !serial || !refresh || !retry || !expire || !minttl ||
          !plain_name(f[1]) || !plain_name(f[2]))
        return "bad $SOA line";
      dns::Soa soa;
      soa.ttl = *ttl;
      soa.mname = domain(f[1]);
      soa.rname = domain(f[2]);
      soa.serial = *serial;
      soa.refresh = *refresh;
      soa.retry = *retry;
      soa.expire = *expire;
      soa.minimum = *minttl;
      ds.meta.soa = soa;
      ds.meta.soa_ttl_raw = *ttl;
      ds.meta.soa_serial_from_mtime = *serial == 0;
      return {};
    }
    if (k == "ns") {
      if (ds.meta.has_ns) return {};
      std::vector<std::string> ns;
      uint32_t ttl = 0;
      bool first = true;
      while (!rest.empty()) {
        std::string_view w = next_word(rest);
        if (first && !w.empty() && w[0] >= '0' && w[0] <= '9') {
          if (auto t = parse_time(w)) {
            ttl = *t;
            first = false;
            continue;
          }
        }
        first = false;
        if (w[0] == '-') continue;
        if (!plain_name(w)) return "bad name server '" + std::string(w) + "'";
        if (ns.size() < 32) ns.push_back(domain(w));
      }
      ds.meta.has_ns = true;
      ds.meta.ns = std::move(ns);
      ds.meta.ns_ttl = ttl;
      return {};
    }
    if (k == "ttl") {
      auto t = parse_time(next_word(rest));
      if (!t) return "bad $TTL";
      ds.ttl = *t;
      return {};
    }
    if (k == "maxrange4") {
      std::string_view v = next_word(rest);
      uint64_t n = 0;
      if (!v.empty() && v[0] == '/') {
        int len = parse_len(v.substr(1), 32);
        if (len < 0) return "bad $MAXRANGE4";
        n = uint64_t{1} << (32 - len);
      } else {
        auto t = parse_len(v, 999);
        if (v.empty()) return "bad $MAXRANGE4";
        uint64_t x = 0;
        for (char c : v) {
          if (c < '0' || c > '9' || x > (uint64_t{1} << 32)) return "bad $MAXRANGE4";
          x = x * 10 + static_cast<uint64_t>(c - '0');
        }
        (void)t;
        n = x;
      }
      if (n == 0) return "bad $MAXRANGE4";
      ds.max_range4 = std::min(ds.max_range4, n);  // may shrink, never grow
      return {};
    }
    if (k == "timestamp") return {};  // accepted; expiry is not enforced (README)
    if (k == "=") {
      ds.base_template() = std::string(rest);
      return {};
    }
    if (kw.size() >= 1 && kw[0] >= '0' && kw[0] <= '9') {
      // "$1 text": kw is "1"; also "$1text" is not a variable.
      if (kw.size() != 1) return "bad substitution variable";
      if (ds.type == "generic") return {};
      ds.vars()[static_cast<size_t>(kw[0] - '0')] = std::string(rest);
      return {};
    }
    if (kw.size() >= 1 && kw[0] == '=') {
      // "$=text" without a space.
      ds.base_template() = std::string(s.substr(1));
      return {};
    }
    return "unknown special '$" + std::string(kw) + "'";
  }

  void finalize_meta(Buildable& ds) {
    if (ds.meta.soa) {
      if (ds.meta.soa_ttl_raw == 0) ds.meta.soa->ttl = ds.ttl;
      if (ds.meta.soa_serial_from_mtime) ds.meta.soa->serial = static_cast<uint32_t>(ds.newest_mtime);
    }
    if (ds.meta.has_ns && ds.meta.ns_ttl == 0) ds.meta.ns_ttl = ds.ttl;
  }

  const LoadOptions& opt_;
  LoadReport* report_;
  std::unique_ptr<Buildable> root_;
  Combined* combined_ = nullptr;
  std::unique_ptr<Buildable> sub_;
  std::vector<std::string> sub_zones_;
  std::vector<std::pair<std::unique_ptr<Buildable>, std::vector<std::string>>> parts_done_;
  std::string file_;
  Value def_value_;
  uint32_t def_ = UINT32_MAX;
};

Result<DatasetPtr> load_dataset_text(std::string_view type, const std::vector<std::string>& texts,
                                     LoadReport* report, const LoadOptions& options) {
  LoadReport local;
  Loader l(options, report ? report : &local);
  if (auto r = l.begin(type); !r) return tl::unexpected(r.error());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string name = "<text " + std::to_string(i + 1) + ">";
    const std::string& t = texts[i];
    if (!l.parallel(t.size())) {
      l.file(name, t, 0);
      continue;
    }
    auto read = [&t](uint64_t off, char* buf, size_t len) -> ssize_t {
      if (off >= t.size()) return 0;
      size_t n = std::min<size_t>(len, t.size() - static_cast<size_t>(off));
      std::memcpy(buf, t.data() + off, n);
      return static_cast<ssize_t>(n);
    };
    if (auto err = l.file_parallel(name, 0, t.size(), read); !err.empty())
      return fail(Errc::kIo, name + ": " + err);
  }
  return l.end();
}

Result<DatasetPtr> load_dataset(std::string_view type, const std::vector<std::string>& files,
                                LoadReport* report, const LoadOptions& options) {
  LoadReport local;
  Loader l(options, report ? report : &local);
  if (auto r = l.begin(type); !r) return tl::unexpected(r.error());
  // Read in pieces of whole lines (1 MiB, more for a longer line): a 10 M
  // line file is 160 MB of text that need not be in memory at once, beside
  // the data already served during a reload.
  constexpr size_t kPiece = size_t{1} << 20;
  std::string buf;
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      return fail(Errc::kIo, "cannot read " + f);
    }
    if (l.parallel(static_cast<size_t>(st.st_size))) {
      // Two threads, each reading its half (pread on the one descriptor).
      auto read = [fd](uint64_t off, char* out, size_t len) -> ssize_t {
        for (;;) {
          ssize_t n = ::pread(fd, out, len, static_cast<off_t>(off));
          if (n >= 0 || errno != EINTR) return n;
        }
      };
      auto err =
          l.file_parallel(f, static_cast<int64_t>(st.st_mtime), static_cast<uint64_t>(st.st_size), read);
      ::close(fd);
      if (!err.empty()) return fail(Errc::kIo, "cannot read " + f + ": " + err);
      continue;
    }
    l.begin_file(f, static_cast<int64_t>(st.st_mtime), static_cast<size_t>(st.st_size));
    buf.resize(kPiece);
    size_t held = 0;  // bytes of an unfinished line at the start of buf
    for (;;) {
      if (held == buf.size()) buf.resize(buf.size() * 2);
      ssize_t n = ::read(fd, buf.data() + held, buf.size() - held);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        return fail(Errc::kIo, "cannot read " + f + ": " + std::strerror(errno));
      }
      if (n == 0) {
        l.feed(std::string_view(buf.data(), held));  // a last line without its newline
        break;
      }
      size_t end = held + static_cast<size_t>(n);
      size_t last_nl = std::string_view(buf.data(), end).rfind('\n');
      if (last_nl == std::string_view::npos) {
        held = end;
        continue;
      }
      l.feed(std::string_view(buf.data(), last_nl + 1));
      held = end - last_nl - 1;
      std::memmove(buf.data(), buf.data() + last_nl + 1, held);
    }
    ::close(fd);
    l.end_file();
  }
  std::string().swap(buf);
  return l.end();
}

}  // namespace rampart::dnsbl

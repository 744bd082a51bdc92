// File: src/reputation/memory_store.cc
// MemoryStore: compact in-memory counters (layout in store.h).
//
// Slot table: power-of-two array of uint64: (upper 32 bits of the key's
// hash) << 32 | block offset; 0 is empty (offset 0 is never a block). The
// home slot is the hash's top bits, so a rehash needs only the slot, not the
// key; linear probing; at most 3/4 full. Erase (expire_some) shifts the
// following entries of the cluster back, so there are no tombstones.
//
// Arena: offsets count 4-byte units; offset space is cut in 2 MiB chunk
// indices (chunks_[off >> 19]); a chunk is one allocation (64 KiB for the
// first, doubling to 2 MiB; 2 MiB chunks are mmap'ed aligned with
// MADV_HUGEPAGE); a block never spans chunks, except one bigger than 2 MiB
// which gets consecutive indices of one allocation. Freed blocks go to a free
// list per size (in units); the next free offset is kept in the block.
//
// Block: int64 t | uint16 mask (metrics present) | uint16 name word (bits
// 12-15: key prefix code, 0-11: name length; 0xfff: uint32 length follows) |
// 3 floats (hour, day, month) per present metric, in metric order | name
// without its prefix.
//
// merge() hashes the batch's keys before taking the lock, makes room for the
// whole batch first (slots and arena: nothing can fail half way, so a batch is
// all or nothing), then works in groups of 16: load the home slots, load
// the blocks whose hash tag matches (the loads of a group overlap), then
// apply in order. get_many() and lookup_many() read the same way.
#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "reputation/store.h"

namespace rampart::reputation {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr unsigned kUnitShift = 2;                     // 4-byte units
constexpr unsigned kChunkUnitShift = 21 - kUnitShift;  // units per chunk index
constexpr size_t kMaxChunkIndex = size_t{1} << (32 - kChunkUnitShift);
constexpr uint16_t kMetricBits = static_cast<uint16_t>((1u << kMetricCount) - 1);
static_assert(kMetricCount <= 15, "the metric mask is 15 bits (the top bit: changed, merge_marking)");
constexpr uint16_t kChangedBit = 0x8000;  // in the mask word: changed since take_marked() last read it
constexpr unsigned kCodeShift = 12;       // in the name word
constexpr uint16_t kLongName = 0xfff;
constexpr size_t kSmallClasses = 4096;  // free lists by array below this many units
constexpr size_t kGroup = 16;

// A zeroed allocation; from 2 MiB up an anonymous mapping aligned to 2 MiB,
// advised to use transparent huge pages. data() is null when it failed.
class Region {
 public:
  Region() = default;
  explicit Region(size_t bytes) {
    if (bytes < kHugePage) {
      p_ = static_cast<char*>(std::calloc(bytes ? bytes : 1, 1));
      len_ = bytes;
      return;
    }
    const size_t len = (bytes + kHugePage - 1) & ~(kHugePage - 1);
    void* b = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) return;
    const auto base = reinterpret_cast<uintptr_t>(b);
    const uintptr_t aligned = (base + kHugePage - 1) & ~uintptr_t{kHugePage - 1};
    if (aligned > base) munmap(b, aligned - base);
    const size_t tail = base + len + kHugePage - (aligned + len);
    if (tail) munmap(reinterpret_cast<void*>(aligned + len), tail);
    p_ = reinterpret_cast<char*>(aligned);
    len_ = len;
    mapped_ = true;
    madvise(p_, len_, MADV_HUGEPAGE);
  }
  Region(Region&& o) noexcept : p_(o.p_), len_(o.len_), mapped_(o.mapped_) { o.p_ = nullptr; }
  Region& operator=(Region&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_;
      len_ = o.len_;
      mapped_ = o.mapped_;
      o.p_ = nullptr;
    }
    return *this;
  }
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region() { release(); }
  char* data() const { return p_; }
  size_t size() const { return p_ ? len_ : 0; }

 private:
  void release() {
    if (!p_) return;
    if (mapped_)
      munmap(p_, len_);
    else
      std::free(p_);
    p_ = nullptr;
  }
  char* p_ = nullptr;
  size_t len_ = 0;
  bool mapped_ = false;
};

// XXH3 (Debian libxxhash): fast on short keys, good high bits (the home
// slot and the 32-bit tag are taken from them).
inline uint64_t hash_key(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

// Identity prefixes (event.cc identity_kind_prefix + ':') stored as a code.
constexpr std::string_view kPrefixes[] = {
    "", "ip:", "net:", "domain:", "dkim:", "spf:", "pra:", "fbid:", "list:"};

struct Name {
  unsigned code;
  std::string_view rest;
};

Name split(std::string_view key) {
  auto is = [&](unsigned c) { return key.starts_with(kPrefixes[c]); };
  unsigned c = 0;
  if (!key.empty()) switch (key[0]) {
      case 'i': c = is(1) ? 1 : 0; break;
      case 'n': c = is(2) ? 2 : 0; break;
      case 'd': c = is(3) ? 3 : is(4) ? 4 : 0; break;
      case 's': c = is(5) ? 5 : 0; break;
      case 'p': c = is(6) ? 6 : 0; break;
      case 'f': c = is(7) ? 7 : 0; break;
      case 'l': c = is(8) ? 8 : 0; break;
      default: break;
    }
  return {c, key.substr(kPrefixes[c].size())};
}

uint16_t mask_of(const Counters& c) {
  uint16_t m = 0;
  for (size_t i = 0; i < kMetricCount; ++i)
    if (c.v[i * kWindowCount] != 0.0f || c.v[i * kWindowCount + 1] != 0.0f ||
        c.v[i * kWindowCount + 2] != 0.0f)
      m = static_cast<uint16_t>(m | (1u << i));
  return m;
}

size_t header_bytes(size_t name_len) { return name_len >= kLongName ? 16 : 12; }
uint32_t block_units(unsigned metrics, size_t name_len) {
  const size_t bytes = header_bytes(name_len) + 12 * metrics + name_len;
  return static_cast<uint32_t>((bytes + 3) >> kUnitShift);
}

// Accessors over a block's bytes (memcpy: the arena is raw bytes).
struct Block {
  char* p;
  int64_t t() const {
    int64_t t;
    std::memcpy(&t, p, 8);
    return t;
  }
  void set_t(int64_t t) const { std::memcpy(p, &t, 8); }
  uint16_t metrics() const {
    uint16_t m;
    std::memcpy(&m, p + 8, 2);
    return m & kMetricBits;
  }
  bool changed() const {
    uint16_t m;
    std::memcpy(&m, p + 8, 2);
    return (m & kChangedBit) != 0;
  }
  void set_changed(bool on) const {
    uint16_t m;
    std::memcpy(&m, p + 8, 2);
    m = static_cast<uint16_t>(on ? (m | kChangedBit) : (m & ~kChangedBit));
    std::memcpy(p + 8, &m, 2);
  }
  uint16_t name_word() const {
    uint16_t w;
    std::memcpy(&w, p + 10, 2);
    return w;
  }
  unsigned code() const { return name_word() >> kCodeShift; }
  size_t name_len() const {
    const uint16_t l = name_word() & kLongName;
    if (l != kLongName) return l;
    uint32_t l32;
    std::memcpy(&l32, p + 12, 4);
    return l32;
  }
  char* values() const { return p + header_bytes(name_len()); }
  std::string_view name() const {
    const size_t n = name_len();
    return {p + header_bytes(n) + 12 * static_cast<size_t>(std::popcount(metrics())), n};
  }
  uint32_t units() const { return block_units(static_cast<unsigned>(std::popcount(metrics())), name_len()); }
  float value(size_t i) const {
    float f;
    std::memcpy(&f, values() + 4 * i, 4);
    return f;
  }
  // Writes the header and name; values left for the caller.
  void init(int64_t t, uint16_t metrics, const Name& n) const {
    set_t(t);
    std::memcpy(p + 8, &metrics, 2);
    const auto code = static_cast<uint16_t>(n.code << kCodeShift);
    if (n.rest.size() >= kLongName) {
      const auto l = static_cast<uint16_t>(code | kLongName);
      const auto l32 = static_cast<uint32_t>(n.rest.size());
      std::memcpy(p + 10, &l, 2);
      std::memcpy(p + 12, &l32, 4);
    } else {
      const auto l = static_cast<uint16_t>(code | n.rest.size());
      std::memcpy(p + 10, &l, 2);
    }
    if (!n.rest.empty())
      std::memcpy(p + header_bytes(n.rest.size()) + 12 * static_cast<size_t>(std::popcount(metrics)),
                  n.rest.data(), n.rest.size());
  }
};

// Keeps loads whose values are otherwise unused (a group's slot and block
// loads, made for their cache lines) from being optimised away.
inline void keep_loads(uint64_t v) { asm volatile("" : : "r"(v)); }

// A key appended to a list as [u16 length, little endian][prefix][rest]
// (merge_marking, expire_some). Keys longer than 65,535 bytes are not
// listed: events make none (their parts are capped far below).
void append_key(std::string& out, std::string_view prefix, std::string_view rest) {
  const size_t n = prefix.size() + rest.size();
  if (n > 0xffff) return;
  const char len[2] = {static_cast<char>(n & 0xff), static_cast<char>(n >> 8)};
  out.append(len, 2);
  out.append(prefix);
  out.append(rest);
}

}  // namespace

class MemoryStore::Table {
 public:
  Table() : slots_(sizeof(uint64_t) << kMinBits), bits_(kMinBits) {}

  size_t size() const { return count_; }

  size_t memory_bytes() const {
    size_t n = slots_.size() + free_.capacity() * sizeof(uint32_t);
    for (const Region& r : regions_) n += r.size();
    return n;
  }

  // Room for `n` more keys in the slots and for blocks of `units` units in
  // all (none bigger than `max_units`) in the arena: chunks are mapped ahead
  // (spare_), so apply() cannot fail half way through a batch.
  Status reserve(size_t n, uint64_t units, uint64_t max_units) {
    if (!slots_.data()) return fail(Errc::kIo, "memory store: out of memory");
    const size_t need = count_ + n;
    if (need * 4 > (size_t{3} << bits_)) {
      unsigned b = bits_;
      while (need * 4 > (size_t{3} << b)) ++b;
      if (b > 32) return fail(Errc::kIo, "memory store: more than 3 G identities");
      if (!rehash(b)) return fail(Errc::kIo, "memory store: out of memory");
    }
    // A chunk of room r takes at least r - max_units of blocks up to max_units.
    auto usable = [&](uint64_t r) { return r > max_units ? r - max_units : 0; };
    uint64_t room = usable(bump_end_ - bump_);
    for (const auto& [b, e] : spare_) room += usable(e - b);
    while (room < units) {
      if (!new_chunk(2 * max_units)) return fail(Errc::kIo, "memory store: full (16 GiB of blocks)");
      room += usable(spare_.back().second - spare_.back().first);
    }
    return {};
  }

  uint64_t* slots() const { return reinterpret_cast<uint64_t*>(slots_.data()); }
  size_t home(uint64_t h) const { return static_cast<size_t>(h >> (64 - bits_)); }
  size_t mask() const { return (size_t{1} << bits_) - 1; }
  char* at(uint32_t off) const {
    return chunks_[off >> kChunkUnitShift] +
           (static_cast<size_t>(off & ((1u << kChunkUnitShift) - 1)) << kUnitShift);
  }

  // The slot of `key`, or the empty slot where it goes (found = false).
  size_t find(uint64_t h, const Name& key, bool& found) const {
    const auto tag = static_cast<uint32_t>(h >> 32);
    const uint64_t* s = slots();
    for (size_t i = home(h);; i = (i + 1) & mask()) {
      const uint64_t x = s[i];
      if (x == 0) {
        found = false;
        return i;
      }
      if (static_cast<uint32_t>(x >> 32) == tag) {
        const Block b{at(static_cast<uint32_t>(x))};
        // The name lies 12 + 12 per metric bytes in: most blocks (~73 bytes
        // at 4-byte alignment) span two cache lines. Ask for the second now,
        // not once the header has arrived and the name's place is known.
        __builtin_prefetch(b.p + 64);
        if (b.code() == key.code && b.name() == key.rest) {
          found = true;
          return i;
        }
      }
    }
  }

  // Stage 1 loads the home slot, stage 2 the first line of the block whose
  // tag matches (and prefetches its second line). Real loads, not
  // __builtin_prefetch: measured on this 2-core EPYC VM (bench/
  // reputation_bench, 10 M identities, lookup_many of 5 random keys) a
  // prefetched group cost 0.33 us CPU per key, loads 0.19 us: the loads of a
  // group are independent, so they overlap in the out-of-order window, and
  // unlike prefetches they are never dropped (a prefetch that misses the TLB
  // may be). The caller folds the returned bytes into keep_loads().
  uint64_t load_slot(uint64_t h) const { return slots()[home(h)]; }
  uint64_t load_block(uint64_t h) const {
    const auto tag = static_cast<uint32_t>(h >> 32);
    const uint64_t* s = slots();
    for (size_t i = home(h);; i = (i + 1) & mask()) {
      const uint64_t x = s[i];
      if (x == 0) return 0;
      if (static_cast<uint32_t>(x >> 32) == tag) {
        const char* p = at(static_cast<uint32_t>(x));
        __builtin_prefetch(p + 64);
        return static_cast<unsigned char>(*p);
      }
    }
  }

  // reserve() must have made room for it. With `mark`, the block is marked
  // changed; returns true when it was not marked before.
  bool apply(uint64_t h, std::string_view k, const Counters& d, bool mark = false) {
    const Name key = split(k);
    const uint16_t dm = mask_of(d);
    bool found = false;
    const size_t si = find(h, key, found);
    uint64_t* s = slots();
    if (!found) {
      const uint32_t off = alloc(block_units(static_cast<unsigned>(std::popcount(dm)), key.rest.size()));
      const Block b{at(off)};
      b.init(d.t, dm, key);
      if (mark) b.set_changed(true);
      char* v = b.values();
      for (unsigned m = 0; m < kMetricCount; ++m)
        if (dm & (1u << m)) {
          std::memcpy(v, &d.v[m * kWindowCount], 12);
          v += 12;
        }
      s[si] = (h & 0xffffffff00000000ull) | off;
      ++count_;
      return mark;
    }
    auto off = static_cast<uint32_t>(s[si]);
    Block b{at(off)};
    uint16_t om = b.metrics();
    const bool was = b.changed();
    if (dm & ~om) {  // a new metric: move to the next size class up
      const auto nm = static_cast<uint16_t>(om | dm);
      const uint32_t noff = alloc(block_units(static_cast<unsigned>(std::popcount(nm)), key.rest.size()));
      const Block nb{at(noff)};
      nb.init(b.t(), nm, key);
      if (was) nb.set_changed(true);
      const char* ov = b.values();
      char* nv = nb.values();
      for (unsigned m = 0; m < kMetricCount; ++m) {
        if (!(nm & (1u << m))) continue;
        if (om & (1u << m)) {
          std::memcpy(nv, ov, 12);
          ov += 12;
        } else {
          std::memset(nv, 0, 12);
        }
        nv += 12;
      }
      release(off, b.units());
      s[si] = (s[si] & 0xffffffff00000000ull) | noff;
      off = noff;
      b = nb;
      om = nm;
    }
    // reputation::merge(stored, delta), on the present metrics only (the
    // others are 0 + 0).
    const int64_t at_t = b.t();
    const int64_t out_t = at_t > d.t ? at_t : d.t;
    double fa[kWindowCount], fb[kWindowCount];
    for (size_t w = 0; w < kWindowCount; ++w) {
      fa[w] = decay_factor(static_cast<Window>(w), out_t - at_t);
      fb[w] = decay_factor(static_cast<Window>(w), out_t - d.t);
    }
    char* v = b.values();
    for (unsigned m = 0; m < kMetricCount; ++m) {
      if (!(om & (1u << m))) continue;
      float x[kWindowCount];
      std::memcpy(x, v, 12);
      for (size_t w = 0; w < kWindowCount; ++w)
        x[w] = static_cast<float>(x[w] * fa[w] + d.v[m * kWindowCount + w] * fb[w]);
      std::memcpy(v, x, 12);
      v += 12;
    }
    b.set_t(out_t);
    if (mark && !was) b.set_changed(true);
    return mark && !was;
  }

  // get() that also clears the block's changed mark.
  bool take(uint64_t h, std::string_view k, Counters& out) {
    bool found = false;
    const size_t si = find(h, split(k), found);
    if (!found) return false;
    Block{at(static_cast<uint32_t>(slots()[si]))}.set_changed(false);
    return get(h, k, out);
  }

  bool get(uint64_t h, std::string_view k, Counters& out) const {
    bool found = false;
    const size_t si = find(h, split(k), found);
    if (!found) return false;
    const Block b{at(static_cast<uint32_t>(slots()[si]))};
    out = Counters{};
    out.t = b.t();
    const uint16_t om = b.metrics();
    const char* v = b.values();
    for (unsigned m = 0; m < kMetricCount; ++m)
      if (om & (1u << m)) {
        std::memcpy(&out.v[m * kWindowCount], v, 12);
        v += 12;
      }
    return true;
  }

  // Looks at up to `max_slots` slots from the cursor; removes the decayed.
  size_t expire_some(int64_t now, size_t max_slots, float below, std::string* removed_keys) {
    uint64_t* s = slots();
    size_t removed = 0;
    for (size_t n = 0; n < max_slots && n <= mask(); ++n) {
      const size_t i = cursor_ & mask();
      const uint64_t x = s[i];
      if (x) {
        const Block b{at(static_cast<uint32_t>(x))};
        Counters c;
        c.t = b.t();
        const uint16_t om = b.metrics();
        const char* v = b.values();
        for (unsigned m = 0; m < kMetricCount; ++m)
          if (om & (1u << m)) {
            std::memcpy(&c.v[m * kWindowCount], v, 12);
            v += 12;
          }
        if (decayed_below(c, now, below)) {
          if (removed_keys) append_key(*removed_keys, kPrefixes[b.code()], b.name());
          release(static_cast<uint32_t>(x), b.units());
          erase_slot(i);
          --count_;
          ++removed;
          continue;  // slot i may now hold a shifted entry: look at it again
        }
      }
      cursor_ = (i + 1) & mask();
    }
    return removed;
  }

  // Every name, appended to `buf`; `ends` gets each one's end offset.
  void names(std::string& buf, std::vector<size_t>& ends) const {
    const uint64_t* s = slots();
    for (size_t i = 0; i <= mask(); ++i) {
      if (!s[i]) continue;
      const Block b{at(static_cast<uint32_t>(s[i]))};
      buf += kPrefixes[b.code()];
      buf += b.name();
      ends.push_back(buf.size());
    }
  }

 private:
  static constexpr unsigned kMinBits = 4;

  // Empties slot i and shifts back the entries after it in its cluster that
  // may live there (their home slot is not cyclically within (i, j]).
  void erase_slot(size_t i) {
    uint64_t* s = slots();
    s[i] = 0;
    for (size_t j = (i + 1) & mask(); s[j]; j = (j + 1) & mask()) {
      const size_t h = static_cast<size_t>((s[j] >> 32) >> (32 - bits_));
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      s[i] = s[j];
      s[j] = 0;
      i = j;
    }
  }

  bool rehash(unsigned b) {
    Region r(sizeof(uint64_t) << b);
    if (!r.data()) return false;
    auto* ns = reinterpret_cast<uint64_t*>(r.data());
    const size_t nmask = (size_t{1} << b) - 1;
    const uint64_t* s = slots();
    for (size_t i = 0; i <= mask(); ++i) {
      const uint64_t x = s[i];
      if (!x) continue;
      size_t j = static_cast<size_t>((x >> 32) >> (32 - b));
      while (ns[j]) j = (j + 1) & nmask;
      ns[j] = x;
    }
    slots_ = std::move(r);
    bits_ = b;
    return true;
  }

  // Maps a chunk of at least `units` units and queues it in spare_.
  bool new_chunk(uint64_t units) {
    const size_t ci = next_chunk_;
    size_t bytes = std::min<size_t>(kHugePage, size_t{64 << 10} << std::min<size_t>(ci, 5));
    if (bytes < (units << kUnitShift)) bytes = ((units << kUnitShift) + kHugePage - 1) & ~(kHugePage - 1);
    const size_t indices = (bytes + kHugePage - 1) / kHugePage;
    if (ci + indices > kMaxChunkIndex) return false;
    Region r(bytes);
    if (!r.data()) return false;
    if (chunks_.size() < ci + indices) chunks_.resize(ci + indices, nullptr);
    for (size_t j = 0; j < indices; ++j) chunks_[ci + j] = r.data() + j * kHugePage;
    const uint64_t begin = uint64_t{ci} << kChunkUnitShift;
    spare_.emplace_back(begin == 0 ? 1 : begin, begin + (bytes >> kUnitShift));  // offset 0: empty slot
    next_chunk_ = ci + indices;
    regions_.push_back(std::move(r));
    return true;
  }

  uint32_t alloc(uint32_t units) {
    if (units < kSmallClasses) {
      if (units < free_.size() && free_[units]) {
        const uint32_t off = free_[units];
        std::memcpy(&free_[units], at(off), 4);
        return off;
      }
    } else if (auto it = big_free_.find(units); it != big_free_.end()) {
      const uint32_t off = it->second;
      big_free_.erase(it);
      return off;
    }
    // reserve() mapped the room.
    if (bump_ + units > bump_end_) {
      if (bump_end_ > bump_) release(static_cast<uint32_t>(bump_), static_cast<uint32_t>(bump_end_ - bump_));
      std::tie(bump_, bump_end_) = spare_.front();
      spare_.pop_front();
    }
    const auto off = static_cast<uint32_t>(bump_);
    bump_ += units;
    return off;
  }

  void release(uint32_t off, uint32_t units) {
    if (units < kSmallClasses) {
      if (free_.size() <= units) free_.resize(units + 1, 0);
      std::memcpy(at(off), &free_[units], 4);
      free_[units] = off;
    } else {
      big_free_.emplace(units, off);
    }
  }

  Region slots_;
  unsigned bits_;
  size_t count_ = 0;
  size_t cursor_ = 0;  // expire_some()'s next slot
  std::vector<char*> chunks_;
  std::vector<Region> regions_;
  size_t next_chunk_ = 0;
  uint64_t bump_ = 0, bump_end_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> spare_;  // mapped chunks not yet bumped into: [begin, end)
  std::vector<uint32_t> free_;
  std::unordered_multimap<uint32_t, uint32_t> big_free_;
};

MemoryStore::MemoryStore() : table_(std::make_unique<Table>()) {}
MemoryStore::~MemoryStore() = default;

template <typename KeyAt, typename DeltaAt, typename Marked>
Status MemoryStore::merge_impl(size_t n, const KeyAt& key_at, const DeltaAt& delta_at, Marked* marked) {
  if (n == 0) return {};
  thread_local std::vector<uint64_t> hashes;
  hashes.resize(n);
  uint64_t units = 0, max_units = 0;  // the most the batch can take: every update a new full block
  for (size_t i = 0; i < n; ++i) {
    const std::string_view k = key_at(i);
    hashes[i] = hash_key(k);
    const uint64_t u = block_units(kMetricCount, k.size());
    units += u;
    max_units = std::max(max_units, u);
  }
  // Room for the whole batch first (all or nothing: a batch that does not
  // fit changes nothing), then the updates in slices of kSlice, each under
  // the lock on its own: a scan's lookup_many on an event loop waits for one
  // slice at most (~50 us), not for a whole group of the writer (100 ms of
  // a busy server's events: milliseconds). Between slices only readers,
  // expire_some (which frees room) and class states take the lock; merges
  // take turns on merge_mu_, so the room reserved stays this batch's.
  constexpr size_t kSlice = 256;
  const std::lock_guard writer(merge_mu_);
  {
    const std::lock_guard lock(mu_);
    if (auto st = table_->reserve(n, units, max_units); !st) return st;
  }
  for (size_t s = 0; s < n; s += kSlice) {
    const size_t slice_end = std::min(n, s + kSlice);
    const std::lock_guard lock(mu_);
    for (size_t g = s; g < slice_end; g += kGroup) {
      const size_t e = std::min(slice_end, g + kGroup);
      uint64_t touched = 0;
      for (size_t i = g; i < e; ++i) touched += table_->load_slot(hashes[i]);
      for (size_t i = g; i < e; ++i) touched += table_->load_block(hashes[i]);
      keep_loads(touched);
      for (size_t i = g; i < e; ++i) {
        const std::string_view k = key_at(i);
        if constexpr (std::is_same_v<Marked, std::string>) {
          if (table_->apply(hashes[i], k, delta_at(i), true)) append_key(*marked, {}, k);
        } else {
          table_->apply(hashes[i], k, delta_at(i));
        }
      }
    }
  }
  return {};
}

Status MemoryStore::merge(std::span<const Update> updates) {
  return merge_impl(
      updates.size(), [&](size_t i) -> std::string_view { return updates[i].key; },
      [&](size_t i) -> const Counters& { return updates[i].delta; }, static_cast<void*>(nullptr));
}

Status MemoryStore::merge_marking(std::span<const UpdateRef> updates, std::string* marked) {
  return merge_impl(
      updates.size(), [&](size_t i) { return updates[i].key; },
      [&](size_t i) -> const Counters& { return *updates[i].delta; }, marked);
}

std::vector<std::optional<Counters>> MemoryStore::take_marked(std::span<const std::string_view> keys) {
  std::vector<std::optional<Counters>> out(keys.size());
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < keys.size(); ++i) {
    out[i].emplace();
    if (!table_->take(hash_key(keys[i]), keys[i], *out[i])) out[i].reset();
  }
  return out;
}

Result<size_t> MemoryStore::merge_ops(std::span<const OpBatch> ops) {
  const std::lock_guard ol(ops_mu_);
  // The batches' updates by address (copying each key and its 184-byte delta
  // was a fifth of the store writer's work per scanned message).
  std::vector<const Update*> fresh;
  std::vector<std::string_view> seen;  // op ids of this call (one batch sent twice in it)
  size_t n = 0;
  for (const OpBatch& b : ops) {
    if (!b.op_id.empty() &&
        (ops_.contains(b.op_id) || std::find(seen.begin(), seen.end(), b.op_id) != seen.end()))
      continue;
    if (!b.op_id.empty()) seen.push_back(b.op_id);
    for (const Update& u : b.updates) fresh.push_back(&u);
    ++n;
  }
  if (auto st = merge_impl(
          fresh.size(), [&](size_t i) -> std::string_view { return fresh[i]->key; },
          [&](size_t i) -> const Counters& { return fresh[i]->delta; }, static_cast<void*>(nullptr));
      !st)
    return tl::unexpected(st.error());
  for (const OpBatch& b : ops)
    if (!b.op_id.empty()) ops_.add(b.op_id);
  return n;
}

Result<std::optional<Counters>> MemoryStore::get(std::string_view key) {
  const uint64_t h = hash_key(key);
  std::optional<Counters> out(std::in_place);
  std::lock_guard lock(mu_);
  if (!table_->get(h, key, *out)) out.reset();
  return out;
}

Result<std::vector<std::optional<Counters>>> MemoryStore::get_many(std::span<const std::string> keys) {
  std::vector<uint64_t> hashes(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) hashes[i] = hash_key(keys[i]);
  std::vector<std::optional<Counters>> out(keys.size());
  std::lock_guard lock(mu_);
  for (size_t g = 0; g < keys.size(); g += kGroup) {
    const size_t e = std::min(keys.size(), g + kGroup);
    uint64_t touched = 0;
    for (size_t i = g; i < e; ++i) touched += table_->load_slot(hashes[i]);
    for (size_t i = g; i < e; ++i) touched += table_->load_block(hashes[i]);
    keep_loads(touched);
    for (size_t i = g; i < e; ++i) {
      out[i].emplace();
      if (!table_->get(hashes[i], keys[i], *out[i])) out[i].reset();
    }
  }
  return out;
}

Result<std::vector<Store::Lookup>> MemoryStore::lookup_many(std::span<const std::string> keys) {
  uint64_t small[kGroup];
  std::vector<uint64_t> big;
  uint64_t* hashes = small;
  if (keys.size() > kGroup) {
    big.resize(keys.size());
    hashes = big.data();
  }
  for (size_t i = 0; i < keys.size(); ++i) hashes[i] = hash_key(keys[i]);
  std::vector<Lookup> out(keys.size());
  std::lock_guard lock(mu_);
  for (size_t g = 0; g < keys.size(); g += kGroup) {
    const size_t e = std::min(keys.size(), g + kGroup);
    uint64_t touched = 0;
    for (size_t i = g; i < e; ++i) touched += table_->load_slot(hashes[i]);
    for (size_t i = g; i < e; ++i) touched += table_->load_block(hashes[i]);
    keep_loads(touched);
    for (size_t i = g; i < e; ++i) {
      out[i].counters.emplace();
      if (!table_->get(hashes[i], keys[i], *out[i].counters)) out[i].counters.reset();
    }
  }
  if (!states_.empty())
    for (size_t i = 0; i < keys.size(); ++i)
      if (auto it = states_.find(std::string_view(keys[i])); it != states_.end()) out[i].state = it->second;
  return out;
}

Status MemoryStore::put_state(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  states_.insert_or_assign(std::string(key), std::string(value));
  return {};
}

Result<std::optional<std::string>> MemoryStore::get_state(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = states_.find(key);
  if (it == states_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::for_each_key(const std::function<bool(std::string_view)>& fn) {
  // A copy taken under the lock: fn may call the store.
  std::string buf;
  std::vector<size_t> ends;
  {
    std::lock_guard lock(mu_);
    ends.reserve(table_->size());
    table_->names(buf, ends);
  }
  size_t begin = 0;
  for (size_t end : ends) {
    if (!fn(std::string_view(buf).substr(begin, end - begin))) break;
    begin = end;
  }
  return {};
}

size_t MemoryStore::size() const {
  std::lock_guard lock(mu_);
  return table_->size();
}

size_t MemoryStore::expire_some(int64_t now, size_t max_slots, float below, std::string* removed) {
  std::lock_guard lock(mu_);
  return table_->expire_some(now, max_slots, below, removed);
}

size_t MemoryStore::memory_bytes() const {
  std::lock_guard lock(mu_);
  return table_->memory_bytes();
}

}  // namespace rampart::reputation

// File: src/channels/calls.cc
// Call patterns per caller, trunk and network; CDR readers. See calls.h.
#include "channels/calls.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/civil_time.h"
#include "core/ip.h"
#include "core/strings.h"

namespace rampart::channels::calls {

namespace {

constexpr size_t kMaxAttemptsPerKey = 4096;
// Country codes a key's toll-fraud bar holds at most (a burst's destinations).
constexpr size_t kMaxBars = 64;

struct Attempt {
  int64_t time;
  uint64_t callee;  // the callee's digits as a number (0 when not a number)
  bool ended = false, answered = false;
  int64_t duration = -1;
  bool intl = false;         // an own caller's call to an international destination
  uint16_t cc = 0;           // its country code
  bool foreign_cli = false;  // from our side, presenting a caller ID outside our ranges
  bool invalid_cli = false;  // from outside, a caller ID that is not a valid E.164 number
  uint8_t defect = 0;        // ... what is wrong with it (Defect)
  bool neighbour = false;    // from outside, a caller ID sharing the callee's leading digits
  uint32_t src = 0;          // hash of the source (/24, /64, else trunk): TDoS per source
  uint32_t from = 0;         // hash of the caller ID (0: withheld or none): distinct callers
  bool fresh = false;        // a caller's: a callee it had not called in the window (set per key)
  // The path the call came by (hash, 0 unknown): from our side the source
  // /24 or /64 (the subscriber's registration), from outside the trunk (the
  // interconnect). A caller's sustained-robocalling block holds on the paths
  // that carried its calls (Options::slow_path_share).
  uint32_t path = 0;
};

// A path (Attempt::path) a caller's calls came by over the horizon, and how
// many of them.
struct PathSlot {
  uint32_t path = 0;
  uint32_t calls = 0;
};
constexpr size_t kPathSlots = 3;

// An international number an own caller (or its PBX's address or number
// block) held answered calls of `toll_long_call_s` or more to: `calls` of
// them within `slow_horizon_s` of each other, the last at `last`.
struct Pump {
  uint64_t callee = 0;
  uint32_t calls = 0;
  uint16_t cc = 0;
  int64_t last = 0;
};
constexpr size_t kPumpSlots = 8;
// Long calls to one number that make it pumped.
constexpr uint32_t kPumpRepeats = 3;

// kRange: an own customer's number block (one of `own_ranges` of at most
// 10,000 numbers: a PBX's extensions); kCountry: calls from outside with a
// foreign caller ID, per country code (Wangiri waves); kCallee: the calls
// with invalid caller IDs to one number (a flood: TDoS).
// kTo: every call from outside to one number (a flood from many caller IDs: TDoS).
enum class KeyKind : uint8_t { kCaller, kTrunk, kNet, kRange, kCountry, kCallee, kTo };
constexpr int64_t kMaxKeyKind = 6;

// A multiset of 64-bit values with its number of distinct values: a short
// vector while small (most keys are one caller's few calls), a hash map
// beyond. The per-key tallies below keep one per distinct count a rule needs.
class CountSet {
 public:
  void add(uint64_t v) {
    if (big_) {
      ++(*big_)[v];
      return;
    }
    for (auto& e : small_)
      if (e.first == v) {
        ++e.second;
        return;
      }
    if (small_.size() < kSmall) {
      small_.emplace_back(v, 1);
      return;
    }
    big_ = std::make_unique<std::unordered_map<uint64_t, uint32_t>>(small_.begin(), small_.end());
    small_.clear();
    small_.shrink_to_fit();
    ++(*big_)[v];
  }
  void remove(uint64_t v) {
    if (big_) {
      auto it = big_->find(v);
      if (it != big_->end() && --it->second == 0) big_->erase(it);
      return;
    }
    for (size_t i = 0; i < small_.size(); ++i)
      if (small_[i].first == v) {
        if (--small_[i].second == 0) {
          small_[i] = small_.back();
          small_.pop_back();
        }
        return;
      }
  }
  size_t size() const { return big_ ? big_->size() : small_.size(); }
  uint32_t count(uint64_t v) const {
    if (big_) {
      auto it = big_->find(v);
      return it == big_->end() ? 0 : it->second;
    }
    for (const auto& e : small_)
      if (e.first == v) return e.second;
    return 0;
  }
  void clear() {
    small_.clear();
    big_.reset();
  }

 private:
  static constexpr size_t kSmall = 16;
  std::vector<std::pair<uint64_t, uint32_t>> small_;
  std::unique_ptr<std::unordered_map<uint64_t, uint32_t>> big_;
};

// The flags of an attempt beyond the first ones, as saved in the state.
uint32_t attempt_flags(const Attempt& a) {
  return (a.invalid_cli ? 1u : 0u) | (a.neighbour ? 2u : 0u) | (static_cast<uint32_t>(a.defect & 7) << 2);
}

// What is wrong with an invalid caller ID. A flood of invalid caller IDs is
// judged per kind of defect: a campaign's number generator repeats its own
// (a wrong length, an area code starting with 0 or 1), while transit
// mangling of honest callers' numbers is a steady trickle of every kind.
enum Defect : uint8_t {
  kDefectOther = 0,
  kDefectLength = 1,      // outside E.164's 8-15 digits, or a NANP number of other than 11
  kDefectAreaCode = 2,    // NANP NPA starting with 0 or 1
  kDefectExchange = 3,    // NANP NXX starting with 0 or 1
  kDefectN11 = 4,         // NANP N11 as area code or exchange: reserved, not impossible
  kDefectNotANumber = 5,  // no digits, one repeated, a run, under 7 digits
  kDefects = 6
};

uint64_t as_number(std::string_view digits) {
  uint64_t v = 0;
  if (digits.empty() || digits.size() > 18) return 0;
  for (char c : digits) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

std::string net_of(std::string_view ip) {
  auto a = IpAddress::parse(ip);
  if (!a) return {};
  const unsigned len = a->is_v4() ? 24 : 64;
  return IpPrefix{a->masked(len), len}.to_string();
}

}  // namespace

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kAllow: return "allow";
    case Action::kTag: return "tag";
    case Action::kBlock: return "block";
  }
  return "allow";
}

std::string number_digits(std::string_view tn) {
  // A SIP URI's user part ("sip:+1202...@host;user=phone") or a bare number.
  if (size_t colon = tn.find(':'); colon != std::string_view::npos && colon < 5) tn = tn.substr(colon + 1);
  if (size_t at = tn.find('@'); at != std::string_view::npos) tn = tn.substr(0, at);
  if (size_t semi = tn.find(';'); semi != std::string_view::npos) tn = tn.substr(0, semi);
  std::string d;
  for (char c : tn) {
    if (c >= '0' && c <= '9')
      d.push_back(c);
    else if (c != '+' && c != '-' && c != ' ' && c != '(' && c != ')' && c != '.')
      return {};
  }
  return d;
}

std::string e164_digits(std::string_view d, bool plus, const Options& o) {
  if (d.empty() || plus) return std::string(d);
  if (!o.international_prefix.empty() && d.substr(0, o.international_prefix.size()) == o.international_prefix)
    return std::string(d.substr(o.international_prefix.size()));
  if (o.nanp_international_prefix && d.size() > 3 && d.substr(0, 3) == "011") return std::string(d.substr(3));
  if (o.nanp_national && d.size() == 10 && d[0] >= '2' && d[3] >= '2') return "1" + std::string(d);
  if (!o.national_prefix.empty() && d.substr(0, o.national_prefix.size()) == o.national_prefix)
    return o.country_code.empty() ? std::string()
                                  : o.country_code + std::string(d.substr(o.national_prefix.size()));
  return std::string(d);
}

namespace {

// True when the number (or a SIP URI's user part) is written with a leading "+".
bool written_with_plus(std::string_view tn) {
  if (size_t colon = tn.find(':'); colon != std::string_view::npos && colon < 5) tn = tn.substr(colon + 1);
  const size_t i = tn.find_first_not_of(" \t\"");
  return i != std::string_view::npos && tn[i] == '+';
}

// A number as the keys and rules see it: international digits when known
// ("caller:+4477..."), else its national form as written ("caller:07...").
struct Number {
  std::string raw;   // number_digits()
  std::string intl;  // e164_digits(); empty: national form, country unknown
  std::string key() const { return intl.empty() ? raw : "+" + intl; }
  const std::string& digits() const { return intl.empty() ? raw : intl; }
};

Number number_of(std::string_view tn, const Options& o) {
  Number n;
  n.raw = number_digits(tn);
  n.intl = e164_digits(n.raw, written_with_plus(tn), o);
  return n;
}

}  // namespace

std::string_view country_code_of(std::string_view d) {
  if (d.empty() || d[0] == '0') return {};
  if (d[0] == '1' || d[0] == '7') return d.substr(0, 1);
  // The two-digit codes of ITU-T E.164's list; every other code has three.
  static constexpr std::string_view kTwo[] = {
      "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
      "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
      "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};
  if (d.size() < 2) return {};
  for (std::string_view t : kTwo)
    if (d.substr(0, 2) == t) return d.substr(0, 2);
  return d.size() < 3 ? std::string_view{} : d.substr(0, 3);
}

bool withheld_caller_id(std::string_view tn) {
  // "sip:anonymous@anonymous.invalid" (RFC 3323), or the display words SBCs
  // and CDRs write for a restricted presentation.
  if (size_t colon = tn.find(':'); colon != std::string_view::npos && colon < 5) tn = tn.substr(colon + 1);
  if (size_t at = tn.find('@'); at != std::string_view::npos) tn = tn.substr(0, at);
  tn = trim(tn);
  for (std::string_view w : {"anonymous", "restricted", "private", "withheld", "unavailable", "unknown",
                             "unknown caller", "no caller id"})
    if (iequals(tn, w)) return true;
  return false;
}

bool valid_e164(std::string_view d) {
  if (d.size() < 8 || d.size() > 15 || d[0] == '0') return false;
  if (d[0] == '1') {  // NANP: 1 NPA NXX XXXX
    if (d.size() != 11) return false;
    const char npa0 = d[1], nxx0 = d[4];
    if (npa0 < '2' || nxx0 < '2') return false;
    if (d[2] == '1' && d[3] == '1') return false;  // N11 is not an area code
    if (d[5] == '1' && d[6] == '1') return false;  // N11 is not an exchange
  }
  return true;
}

namespace {

// A caller ID no numbering plan assigns: empty (letters), fewer than 7
// digits, one digit repeated, or a run of successive digits (1234567890).
bool placeholder_number(std::string_view d) {
  if (d.size() < 7) return true;
  if (d.find_first_not_of(d[0]) == std::string_view::npos) return true;
  bool up = true, down = true;
  for (size_t i = 1; i < d.size(); ++i) {
    up = up && d[i] == static_cast<char>('0' + (d[i - 1] - '0' + 1) % 10);
    down = down && d[i] == static_cast<char>('0' + (d[i - 1] - '0' + 9) % 10);
  }
  return up || down;
}

// The Defect of a caller ID that is not a valid number (`d`: its digits in
// international form when known).
uint8_t defect_of(std::string_view d) {
  const size_t cc = country_code_of(d).size();
  if (d.empty() || placeholder_number(d) || (cc > 0 && placeholder_number(d.substr(cc))))
    return kDefectNotANumber;
  if (d.size() < 8 || d.size() > 15 || d[0] == '0') return kDefectLength;
  if (d[0] != '1') return kDefectOther;
  if (d.size() != 11) return kDefectLength;
  if (d[1] < '2') return kDefectAreaCode;
  if (d[4] < '2') return kDefectExchange;
  if ((d[2] == '1' && d[3] == '1') || (d[5] == '1' && d[6] == '1')) return kDefectN11;
  return kDefectOther;
}

}  // namespace

struct CallPatterns::Impl {
  Options opt;
  struct Key {
    KeyKind kind;
    std::deque<Attempt> attempts;
    Incident incident;
    bool flagged = false;
    std::list<std::string>::iterator lru;
    // Toll fraud: the caller's international calls that left the window, and
    // the time of its first call (its own history).
    uint64_t intl_before = 0;
    int64_t since = -1;
    // A toll-fraud block bars the key's calls to the country codes the
    // burst dialled (`bars`: code, until when), not its other international
    // calls; the burst from `toll_from` on is not its history.
    // `barred_until` is a bar on every international call, as state files
    // of earlier versions hold it (without the codes).
    std::vector<std::pair<uint16_t, int64_t>> bars;
    int64_t barred_until = 0, toll_from = -1;
    // IRSF pumping (Options::toll_pump_long): the international numbers this
    // own key held long answered calls to, how many, and when last; made on
    // the first such call.
    std::unique_ptr<std::array<Pump, kPumpSlots>> pumps;
    int64_t minute_at = 0;  // the time of the last judgement (the last-minute suffix)
    // What the rules read of `attempts`, kept as attempts come, end and
    // leave (each call costs the same whatever the key's size; a trunk
    // holds up to 4,096 attempts).
    struct Tally {
      uint32_t ended = 0, answered = 0, short_calls = 0, conversations = 0, invalid = 0, foreign = 0,
               intl = 0, intl_long = 0, seq = 0, pairs = 0, fresh_ended = 0;
      uint32_t defects[kDefects] = {};  // invalid caller IDs per Defect
      size_t minute_n = 0;              // the last attempts that are inside the last 60 s
      CountSet minute;                  // their callees (callers, networks: distinct callees a minute)
      CountSet callees;                 // the callees in the window (countries: Wangiri; callers)
      CountSet neighbours;              // callees of neighbour-spoofed calls (trunks, networks)
      CountSet intl_dest;  // international callees (toll fraud: callers, networks, number blocks)
      CountSet countries;  // their country codes
      CountSet sources;    // calls per source (kTo)
      CountSet callers;    // calls per caller ID (kTo; withheld ones not in it)
      uint32_t withheld = 0;
      // The neighbour-spoofed calls' ends (trunks, networks): ended,
      // answered, answered of `conversation_s` or longer.
      uint32_t nb_ended = 0, nb_answered = 0, nb_conv = 0;
    } t;
    // A caller's answered conversations since its key was made (not only in
    // the window): a known caller, let through a flood at its callee.
    uint32_t talks = 0;
    // A caller's ended calls that left the window, for robocalling sustained
    // over hours (`slow_*`): how many, answered, conversations, to callees
    // new to it; halved every `slow_horizon_s` since `h_since`.
    uint32_t h_ended = 0, h_answered = 0, h_conv = 0, h_fresh = 0;
    int64_t h_since = -1;
    // The callees of a caller with 10 ended calls or more over the horizon,
    // hashed into 1,024 bits (a slow redialler's few numbers are not new each
    // time they leave the window); cleared at each halving.
    std::unique_ptr<std::array<uint64_t, 16>> seen;
    // A caller's calls per path over the horizon (the `kPathSlots` busiest;
    // a full table drops its weakest), and all of them: halved with the
    // history. A caller ID is what the caller says; the path is where it
    // came from (a dialer presenting a subscriber's number calls from its
    // own address, not from the subscriber's).
    std::array<PathSlot, kPathSlots> paths{};
    uint32_t paths_total = 0;
  };
  // Which distinct counts a kind of key needs.
  static constexpr bool wants_minute(KeyKind k) { return k == KeyKind::kCaller || k == KeyKind::kNet; }
  static constexpr bool wants_callees(KeyKind k) { return k == KeyKind::kCountry || k == KeyKind::kCaller; }
  static constexpr bool wants_neighbours(KeyKind k) { return k == KeyKind::kTrunk || k == KeyKind::kNet; }
  static constexpr bool wants_toll(KeyKind k) {
    return k == KeyKind::kCaller || k == KeyKind::kNet || k == KeyKind::kRange;
  }
  static bool close_callees(const Attempt& a, const Attempt& b) {
    const uint64_t d = a.callee > b.callee ? a.callee - b.callee : b.callee - a.callee;
    return d >= 1 && d <= 10;
  }
  // The end of an attempt (answered, how long) into the tally (+1) or out (-1).
  void tally_end(Key& k, const Attempt& a, int sign) const {
    if (!a.ended) return;
    auto& t = k.t;
    auto add = [sign](uint32_t& v, bool on) {
      if (on) v = static_cast<uint32_t>(static_cast<int64_t>(v) + sign);
    };
    add(t.ended, true);
    add(t.fresh_ended, a.fresh);
    const bool nb = a.neighbour && wants_neighbours(k.kind);
    add(t.nb_ended, nb);
    add(t.nb_answered, nb && a.answered);
    add(t.nb_conv, nb && a.answered && a.duration >= opt.conversation_s);
    if (!a.answered) return;
    add(t.answered, true);
    add(t.short_calls, a.duration >= 0 && a.duration < opt.short_call_s);
    add(t.conversations, a.duration >= opt.conversation_s);
    add(t.intl_long, a.intl && a.duration >= opt.toll_long_call_s);
  }
  // `n` calls of a caller by `path`; a full table gives the weakest slot up.
  static void count_path(Key& k, uint32_t path, uint32_t n) {
    k.paths_total += n;
    PathSlot* weakest = &k.paths[0];
    for (PathSlot& p : k.paths) {
      if (p.path == path) {
        p.calls += n;
        return;
      }
      if (p.calls < weakest->calls) weakest = &p;
    }
    *weakest = PathSlot{path, n};
  }
  // The calls of a caller by `path` over the horizon.
  static uint32_t path_calls(const Key& k, uint32_t path) {
    for (const PathSlot& p : k.paths)
      if (p.path == path && path != 0) return p.calls;
    return 0;
  }
  void push(Key& k, const Attempt& a) const {
    if (k.attempts.size() >= kMaxAttemptsPerKey) pop(k);
    auto& t = k.t;
    if (!k.attempts.empty() && k.attempts.back().callee && a.callee) {
      ++t.pairs;
      t.seq += close_callees(k.attempts.back(), a);
    }
    k.attempts.push_back(a);
    Attempt& mine = k.attempts.back();
    mine.fresh = false;
    if (wants_callees(k.kind)) {
      mine.fresh = k.kind == KeyKind::kCaller && a.callee && t.callees.count(a.callee) == 0;
      t.callees.add(a.callee);
    }
    if (k.kind == KeyKind::kCaller && a.path) count_path(k, a.path, 1);
    if (k.kind == KeyKind::kCaller && a.callee && (k.seen || k.h_ended + t.ended >= 10)) {
      if (!k.seen) k.seen = std::make_unique<std::array<uint64_t, 16>>();
      const uint64_t h = (a.callee * 0x9E3779B97F4A7C15ull) >> 54;  // 10 bits
      uint64_t& word = (*k.seen)[h >> 6];
      const uint64_t bit = uint64_t{1} << (h & 63);
      mine.fresh = mine.fresh && !(word & bit);
      word |= bit;
    }
    t.invalid += a.invalid_cli;
    t.defects[a.defect % kDefects] += a.invalid_cli;
    t.foreign += a.foreign_cli;
    if (wants_minute(k.kind)) {
      ++t.minute_n;
      t.minute.add(a.callee);
    }
    if (k.kind == KeyKind::kTo) {
      t.sources.add(a.src);
      if (a.from)
        t.callers.add(a.from);
      else
        ++t.withheld;
    }
    if (a.neighbour && wants_neighbours(k.kind)) t.neighbours.add(a.callee);
    if (a.intl) {
      ++t.intl;
      if (wants_toll(k.kind)) {
        t.intl_dest.add(a.callee);
        t.countries.add(a.cc);
      }
    }
    tally_end(k, mine, +1);
  }
  void pop(Key& k) const {
    const Attempt& a = k.attempts.front();
    auto& t = k.t;
    if (k.attempts.size() >= 2 && a.callee && k.attempts[1].callee) {
      --t.pairs;
      t.seq -= close_callees(a, k.attempts[1]);
    }
    if (t.minute_n == k.attempts.size()) {
      --t.minute_n;
      t.minute.remove(a.callee);
    }
    t.invalid -= a.invalid_cli;
    t.defects[a.defect % kDefects] -= a.invalid_cli;
    t.foreign -= a.foreign_cli;
    if (wants_callees(k.kind)) t.callees.remove(a.callee);
    if (k.kind == KeyKind::kTo) {
      t.sources.remove(a.src);
      if (a.from)
        t.callers.remove(a.from);
      else
        --t.withheld;
    }
    if (a.neighbour && wants_neighbours(k.kind)) t.neighbours.remove(a.callee);
    if (a.intl) {
      --t.intl;
      if (wants_toll(k.kind)) {
        t.intl_dest.remove(a.callee);
        t.countries.remove(a.cc);
      }
    }
    tally_end(k, a, -1);
    k.attempts.pop_front();
  }
  // The last-minute suffix at `now`.
  void advance_minute(Key& k, int64_t now) const {
    auto& t = k.t;
    k.minute_at = now;
    while (t.minute_n > 0 && k.attempts[k.attempts.size() - t.minute_n].time < now - 60) {
      t.minute.remove(k.attempts[k.attempts.size() - t.minute_n].callee);
      --t.minute_n;
    }
  }
  // True when the running tally equals a recount of `attempts` (tests).
  bool tally_matches(const Key& k) const {
    Key fresh;
    fresh.kind = k.kind;
    for (const Attempt& a : k.attempts) push(fresh, a);
    const auto& t = k.t;
    const auto& f = fresh.t;
    // The minute suffix is recounted at the key's last judgement, as judge() does.
    if (!k.attempts.empty()) advance_minute(fresh, k.minute_at);
    return t.ended == f.ended && t.answered == f.answered && t.short_calls == f.short_calls &&
           t.conversations == f.conversations && t.invalid == f.invalid && t.foreign == f.foreign &&
           t.intl == f.intl && t.intl_long == f.intl_long && t.seq == f.seq && t.pairs == f.pairs &&
           std::equal(std::begin(t.defects), std::end(t.defects), std::begin(f.defects)) &&
           t.minute_n == f.minute_n && t.minute.size() == f.minute.size() &&
           t.callees.size() == f.callees.size() && t.neighbours.size() == f.neighbours.size() &&
           t.intl_dest.size() == f.intl_dest.size() && t.countries.size() == f.countries.size() &&
           t.sources.size() == f.sources.size() && t.callers.size() == f.callers.size() &&
           t.withheld == f.withheld && t.nb_ended == f.nb_ended && t.nb_answered == f.nb_answered &&
           t.nb_conv == f.nb_conv;
  }
  // The tally of `attempts` as loaded (load_state).
  void retally(Key& k, int64_t now) const {
    std::deque<Attempt> atts = std::move(k.attempts);
    k.attempts.clear();
    k.t = Key::Tally{};
    for (const Attempt& a : atts) push(k, a);
    advance_minute(k, now);
  }
  std::string home_cc;  // our country code: Options::country_code, else the own ranges'
  std::unordered_map<std::string, Key> keys;
  std::list<std::string> lru;  // least recently used first

  Key& touch(const std::string& name, KeyKind kind) {
    auto it = keys.find(name);
    if (it != keys.end()) {
      lru.splice(lru.end(), lru, it->second.lru);
      return it->second;
    }
    while (keys.size() >= opt.max_keys && !lru.empty()) {
      keys.erase(lru.front());
      lru.pop_front();
    }
    lru.push_back(name);
    Key& k = keys[name];
    k.kind = kind;
    k.lru = std::prev(lru.end());
    k.incident.key = name;
    return k;
  }

  // The key's decision after adding an attempt at `now`.
  Assessment judge(Key& k, int64_t now) {
    while (!k.attempts.empty() && k.attempts.front().time < now - opt.window_s) {
      const Attempt& a = k.attempts.front();
      k.intl_before += a.intl && (k.toll_from < 0 || a.time < k.toll_from - opt.window_s);
      if (k.kind == KeyKind::kCaller && a.ended) {
        if (k.h_since < 0) k.h_since = a.time;
        ++k.h_ended;
        k.h_answered += a.answered;
        k.h_conv += a.answered && a.duration >= opt.conversation_s;
        k.h_fresh += a.fresh;
      }
      pop(k);
    }
    if (k.h_since >= 0 && now - k.h_since > opt.slow_horizon_s) {  // an approximate sliding horizon
      k.h_ended /= 2;
      k.h_answered /= 2;
      k.h_conv /= 2;
      k.h_fresh /= 2;
      k.h_since = now - opt.slow_horizon_s / 2;
      k.seen.reset();
      for (PathSlot& p : k.paths) p.calls /= 2;
      k.paths_total /= 2;
    }
    if (k.since < 0 && !k.attempts.empty()) k.since = k.attempts.front().time;
    advance_minute(k, now);
    const Key::Tally& t = k.t;
    const uint32_t ended = t.ended, answered = t.answered, short_calls = t.short_calls,
                   conversations = t.conversations, seq = t.seq, pairs = t.pairs, invalid = t.invalid;
    Assessment out;
    const bool seq_sign = pairs >= 8 && seq >= opt.sequential_share * pairs;
    const bool short_sign = answered >= 5 && short_calls >= opt.short_call_share * answered;
    const bool asr_sign = ended >= 10 && answered < opt.low_asr * ended;
    // A low answer rate whose answered calls are conversations (at least 2,
    // half of them `conversation_s` or longer, none of the other signs) is an
    // outbound call centre's (predictive diallers reach few people, then
    // talk): a sign to tag on, not to block on.
    const bool weak_asr =
        asr_sign && !seq_sign && !short_sign && answered >= 2 && 2 * conversations >= answered;
    auto pct = [](uint32_t a, uint32_t b) { return std::to_string(b ? (100 * a + b / 2) / b : 0) + "%"; };
    std::vector<std::string> signs;
    if (seq_sign)
      signs.push_back("sequential dialling: " + pct(seq, pairs) + " of successive callees 1-10 apart");
    if (short_sign)
      signs.push_back("short calls: " + pct(short_calls, answered) + " of " + std::to_string(answered) +
                      " answered calls under " + std::to_string(opt.short_call_s) + " s");
    if (asr_sign)
      signs.push_back("answer-seizure ratio " + pct(answered, ended) + " of " + std::to_string(ended) +
                      (weak_asr ? " (answered calls are conversations)" : ""));
    const size_t strong_signs = signs.size() - (weak_asr ? 1 : 0);
    const size_t nd = t.minute.size();
    const Attempt& last = k.attempts.back();
    auto raise = [&out](Assessment a) {
      if (a.action == Action::kAllow) return;
      if (a.action > out.action) out.action = a.action;
      out.reasons.insert(out.reasons.end(), a.reasons.begin(), a.reasons.end());
    };
    if (k.kind == KeyKind::kCaller) {
      // Volume alone blocks only until the calls can be judged: a caller
      // whose ended calls are answered and last (no ratio sign over
      // `judge_min_ended` calls) is a mass caller (a call centre, a
      // notification service): tagged, not blocked.
      const bool healthy = ended >= opt.judge_min_ended && strong_signs == 0;
      if (nd >= opt.block_distinct_per_min && !healthy) {
        out.action = Action::kBlock;
        out.reasons.push_back(std::to_string(nd) + " distinct callees in 60 s");
      } else if (nd >= opt.tag_distinct_per_min && strong_signs > 0) {
        out.action = Action::kBlock;
        out.reasons.push_back(std::to_string(nd) + " distinct callees in 60 s");
      } else if (nd >= opt.tag_distinct_per_min || !signs.empty()) {
        out.action = Action::kTag;
        if (nd >= opt.tag_distinct_per_min)
          out.reasons.push_back(std::to_string(nd) + " distinct callees in 60 s");
      }
      raise(sustained(k));
      raise(toll(k, now));
    } else if (k.kind == KeyKind::kRange) {
      // An own customer's number block: toll fraud spread over its
      // extensions. The block holds other customers too: no bar here, and
      // on_invite blocks only calls from a source taking part.
      return toll(k, now, /*bar=*/false);
    } else if (k.kind == KeyKind::kCallee) {
      // Calls with invalid caller IDs at one number: a telephony
      // denial-of-service flood (the FBI/DHS TDoS advisories: floods of
      // calls, often with spoofed caller IDs, at a public-safety or
      // business line). Blocked from `invalid_cli_source_min` in the window.
      if (invalid >= opt.invalid_cli_source_min) {
        out.action = Action::kBlock;
        out.reasons.push_back(std::to_string(invalid) + " calls with invalid caller IDs to this number in " +
                              std::to_string(opt.window_s) + " s");
      }
      return out;
    } else if (k.kind == KeyKind::kTo) {
      return flood(k);
    } else if (k.kind == KeyKind::kCountry) {
      return wangiri(k, ended, answered, conversations, t.callees.size());
    } else {
      raise(dialer(k, signs, nd));
      if (k.kind == KeyKind::kNet) raise(toll(k, now));  // a PBX's address: toll fraud over its extensions
      // A source delivering many caller IDs that are not numbers: its calls
      // carrying one are blocked (FCC 17-151 lets carriers block invalid
      // numbers; one alone, from a source sending few, is only tagged: CLIs
      // from abroad arrive mangled). Counted per kind of defect: the
      // campaign's own kind is blocked, an honest caller's different defect
      // in the same window is not; an N11 code (reserved, found on honest
      // callers' caller IDs in two independent worlds, blind6 and blind7)
      // never by the source alone.
      if (last.invalid_cli && last.defect != kDefectN11 &&
          t.defects[last.defect % kDefects] >= opt.invalid_cli_source_min &&
          static_cast<double>(invalid) >=
              opt.invalid_cli_source_share * static_cast<double>(k.attempts.size())) {
        Assessment a;
        a.action = Action::kBlock;
        a.reasons.push_back(std::to_string(invalid) + " caller IDs that are not valid numbers (" +
                            std::to_string(t.defects[last.defect % kDefects]) +
                            " with this one's defect) from this source in " + std::to_string(opt.window_s) +
                            " s");
        raise(std::move(a));
      }
      // Neighbour spoofing (caller IDs made of the callee's own leading
      // digits, FCC consumer guide) as a wave from one source: those calls
      // are tagged. Each spoofed number is new: there is no caller to block.
      // A wave whose calls are not reached or not talked on (its ended
      // calls: under `low_asr` answered, or under half answered and most of
      // the answered ones shorter than a conversation: the completion and
      // duration the FCC's reasonable call analytics read) is a robocall
      // campaign's: its neighbour-spoofed calls are blocked (on_invite lets
      // a known caller's through, tagged). A neighbour who calls is
      // answered and talks.
      if (last.neighbour && t.neighbours.size() >= opt.neighbour_wave_min) {
        Assessment a;
        a.action = Action::kTag;
        a.reasons.push_back("neighbour spoofing: " + std::to_string(t.neighbours.size()) +
                            " callees called from this source in " + std::to_string(opt.window_s) +
                            " s with caller IDs sharing the callee's leading digits");
        const bool unreached =
            static_cast<double>(t.nb_answered) < opt.low_asr * static_cast<double>(t.nb_ended);
        const bool untalked = 2 * t.nb_answered < t.nb_ended && 2 * t.nb_conv < t.nb_answered;
        if (opt.neighbour_block && t.nb_ended >= opt.judge_min_ended && (unreached || untalked)) {
          a.action = Action::kBlock;
          a.reasons.push_back("its neighbour-spoofed calls: " + std::to_string(t.nb_answered) + " of " +
                              std::to_string(t.nb_ended) + " answered, " + std::to_string(t.nb_conv) +
                              " of them " + std::to_string(opt.conversation_s) + " s or longer");
        }
        raise(std::move(a));
        out.spoofed = true;
      }
      if (out.action == Action::kAllow && strong_signs >= 2 && ended >= 30) {
        // Trunks and networks carry many honest callers: they are tagged on
        // ratios over many calls, never blocked as a whole.
        out.action = Action::kTag;
      }
    }
    if (out.action != Action::kAllow) out.reasons.insert(out.reasons.end(), signs.begin(), signs.end());
    return out;
  }

  // Robocalling sustained over hours by one caller ID, below the window's
  // rates (a campaign rotating a pool of caller IDs keeps each one's calls a
  // minute low): over the caller's ended calls of the last `slow_horizon_s`
  // (its window and the history before it), at least `slow_min_calls`,
  // `slow_fresh_share` of them to callees new to it, under `low_asr`
  // answered and at most half of the answered ones conversations. The
  // answer-seizure ratio and the call length over a caller's traffic are the
  // signs call analytics read (ITU-T E.411's ASR; the FCC's reasonable
  // analytics: call volume, completion and duration); a person, a call
  // centre (talks when answered) and a reminder service (answered) are far
  // from it.
  Assessment sustained(const Key& k) const {
    Assessment out;
    const auto& t = k.t;
    const uint32_t ended = k.h_ended + t.ended, answered = k.h_answered + t.answered,
                   conv = k.h_conv + t.conversations, fresh = k.h_fresh + t.fresh_ended;
    if (opt.slow_min_calls == 0 || ended < opt.slow_min_calls ||
        static_cast<double>(fresh) < opt.slow_fresh_share * static_cast<double>(ended) ||
        static_cast<double>(answered) >= opt.low_asr * static_cast<double>(ended) || 2 * conv > answered)
      return out;
    out.action = Action::kBlock;
    out.reasons.push_back("robocalling over hours: " + std::to_string(ended) + " ended calls, " +
                          std::to_string(fresh) + " to new callees, " + std::to_string(answered) +
                          " answered (" + std::to_string((100 * answered + ended / 2) / ended) + "%), " +
                          std::to_string(conv) + " of them " + std::to_string(opt.conversation_s) +
                          " s or longer");
    // The block holds on the paths the calls came by: the same caller ID
    // from a path that carried few of them (the subscriber whose number a
    // dialer presents, calling from its own address) is tagged.
    const uint32_t path = k.attempts.empty() ? 0 : k.attempts.back().path;
    const uint32_t mine = path_calls(k, path);
    if (path != 0 && k.paths_total > 0 &&
        static_cast<double>(mine) < opt.slow_path_share * static_cast<double>(k.paths_total)) {
      out.action = Action::kTag;
      out.reasons.push_back("the call's path carried " + std::to_string(mine) + " of its " +
                            std::to_string(k.paths_total) + " calls");
    }
    return out;
  }

  // Wangiri ("one ring and cut"; GSMA FF.21, CFCA, Ofcom and the FCC's
  // consumer alerts): calls from abroad to many subscribers, ringing once,
  // unanswered, so that they call back a premium or high-cost number. Per
  // country of the caller IDs, over the window: `wangiri_callees` distinct
  // callees, at least as many ended calls, under `wangiri_asr` of them
  // answered and no conversation: the country's calls are tagged while it
  // lasts (on_invite blocks a caller of the wave that rang unanswered before).
  Assessment wangiri(const Key& k, uint32_t ended, uint32_t answered, uint32_t conversations,
                     size_t callees) const {
    Assessment out;
    if (callees < opt.wangiri_callees || ended < opt.wangiri_callees ||
        static_cast<double>(answered) >= opt.wangiri_asr * static_cast<double>(ended) ||
        2 * conversations > answered)
      return out;
    out.action = Action::kTag;
    out.reasons.push_back("Wangiri wave: " + std::to_string(callees) + " callees in " +
                          std::to_string(opt.window_s) + " s from caller IDs of " + k.incident.key.substr(8) +
                          ", " + std::to_string(answered) + " of " + std::to_string(ended) + " answered");
    return out;
  }

  // A flood of calls at one number from many caller IDs (telephony
  // denial of service: the DHS/FBI TDoS advisories describe floods at a
  // public-safety or business line from spoofed, rotating caller IDs, which
  // keep its lines busy): `tdos_calls` calls in the window, from at least
  // `tdos_distinct_share` distinct caller IDs (a crowd redialling a popular
  // line repeats its numbers), the lines saturated: most of the ended calls
  // unanswered, or a quarter of them unanswered and the answered ones mostly
  // shorter than a conversation (the advisories' floods are answered with
  // white noise, silence or a recording until every line is taken; a busy
  // hotline staffed or answered by an IVR answers nearly all its calls, and
  // people talk).
  // on_invite blocks the calls of the sources taking part (`tdos_source_min`
  // of the flood's calls) but for known callers, and tags the others.
  Assessment flood(const Key& k) const {
    Assessment out;
    const auto& t = k.t;
    const size_t n = k.attempts.size();
    const bool refused = 2 * t.answered < t.ended;
    const bool seized = 4 * t.answered <= 3 * t.ended && 2 * t.conversations < t.answered;
    if (n < opt.tdos_calls || t.ended < n / 2 || (!refused && !seized) ||
        static_cast<double>(t.callers.size() + t.withheld) < opt.tdos_distinct_share * static_cast<double>(n))
      return out;
    out.action = Action::kBlock;
    out.reasons.push_back("flood at this number: " + std::to_string(n) + " calls in " +
                          std::to_string(opt.window_s) + " s from " +
                          std::to_string(t.callers.size() + t.withheld) + " caller IDs, " +
                          std::to_string(t.answered) + " of " + std::to_string(t.ended) + " answered" +
                          (refused ? "" : ", " + std::to_string(t.conversations) + " of them conversations"));
    return out;
  }

  // A source on our side (an own customer's PBX or hosted dialer, stolen SIP
  // credentials) presenting caller IDs outside our ranges, many and most of
  // its calls, with a robocall sign: its calls presenting them are blocked
  // (Ofcom's CLI guidance: a caller ID the caller has no right to use).
  // Our subscribers with numbers ported in are a few calls of a switch's many.
  Assessment dialer(const Key& k, const std::vector<std::string>& signs, size_t nd) const {
    Assessment out;
    if (k.kind != KeyKind::kNet || k.attempts.empty() || !k.attempts.back().foreign_cli) return out;
    const uint32_t foreign = k.t.foreign;
    const size_t total = k.attempts.size();
    if (foreign < opt.cli_foreign_min || 2 * foreign < total ||
        (signs.empty() && nd < opt.tag_distinct_per_min))
      return out;
    out.action = Action::kBlock;
    out.reasons.push_back("caller IDs outside our ranges from our side: " + std::to_string(foreign) + " of " +
                          std::to_string(total) + " calls from this source in " +
                          std::to_string(opt.window_s) + " s");
    if (nd >= opt.tag_distinct_per_min)
      out.reasons.push_back(std::to_string(nd) + " distinct callees in 60 s");
    return out;
  }

  // An ended attempt of an own key into its pump table: a long answered
  // international call counts for its number; a number not called within
  // `slow_horizon_s` starts again; a full table drops its weakest number.
  void pumped(Key& k, const Attempt& a) const {
    if (!wants_toll(k.kind) || !a.intl || !a.answered || a.duration < opt.toll_long_call_s || !a.callee ||
        opt.toll_pump_long == 0)
      return;
    if (!k.pumps) k.pumps = std::make_unique<std::array<Pump, kPumpSlots>>();
    Pump* slot = nullptr;
    for (Pump& p : *k.pumps)
      if (p.callee == a.callee) slot = &p;
    if (!slot) {
      slot = &(*k.pumps)[0];
      for (Pump& p : *k.pumps)
        if (p.calls < slot->calls || (p.calls == slot->calls && p.last < slot->last)) slot = &p;
      *slot = Pump{a.callee, 0, a.cc, a.time};
    }
    if (a.time - slot->last > opt.slow_horizon_s) slot->calls = 0;
    ++slot->calls;
    slot->last = std::max(slot->last, a.time);
  }

  // International Revenue Share Fraud by an own caller (Options, toll_*).
  Assessment toll(Key& k, int64_t now, bool bar = true) const {
    Assessment out;
    // Only the international calls are judged (and barred): the caller's
    // domestic calls are not the fraud.
    if (k.attempts.empty() || !k.attempts.back().intl) return out;
    const uint16_t cc = k.attempts.back().cc;
    if (now < k.barred_until) {  // a bar of every international call (state of an earlier version)
      out.action = Action::kBlock;
      out.reasons.push_back("toll fraud: international calls barred for " +
                            std::to_string((k.barred_until - now + 59) / 60) + " min more after a block");
      return out;
    }
    std::erase_if(k.bars, [now](const auto& b) { return b.second <= now; });
    for (const auto& [code, until] : k.bars)
      if (code == cc) {
        out.action = Action::kBlock;
        out.reasons.push_back("toll fraud: calls to +" + std::to_string(cc) + " barred for " +
                              std::to_string((until - now + 59) / 60) +
                              " min more after a block (a destination of the burst)");
        return out;
      }
    const CountSet& dest = k.t.intl_dest;
    const CountSet& countries = k.t.countries;
    const uint32_t intl = k.t.intl, long_calls = k.t.intl_long;
    const size_t total = k.attempts.size();
    // Pumping: the numbers held long again and again, lately (in the window).
    uint32_t pumped_numbers = 0;
    bool cc_pumped = false;
    if (k.pumps)
      for (const Pump& p : *k.pumps)
        if (p.calls >= kPumpRepeats && p.last >= now - opt.window_s) {
          ++pumped_numbers;
          cc_pumped = cc_pumped || p.cc == cc;
        }
    const bool pumping = opt.toll_pump_long > 0 && long_calls >= opt.toll_pump_long && pumped_numbers >= 2;
    if ((dest.size() < opt.toll_tag_destinations && !pumping) ||
        intl < opt.toll_share * static_cast<double>(total))
      return out;
    // Against the caller's own history: its earlier international calls at
    // the same rate would have made `expected` in a window like this one.
    const int64_t window_start = now - opt.window_s;
    const int64_t age = k.since >= 0 && k.since < window_start ? window_start - k.since : 0;
    const double expected = age > 0 ? static_cast<double>(k.intl_before) * static_cast<double>(opt.window_s) /
                                          static_cast<double>(std::max(age, opt.window_s))
                                    : 0.0;
    if (static_cast<double>(intl) <= opt.toll_history_factor * expected) return out;
    const int64_t local = now + opt.utc_offset_min * 60;
    const int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    const int64_t hour = (local - day * 86400) / 3600;
    const int64_t weekday = ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 is Monday
    const bool night = hour >= 22 || hour < 6, weekend = weekday >= 5;
    std::vector<std::string> signs;
    if (countries.size() >= opt.toll_countries)
      signs.push_back(std::to_string(countries.size()) + " country codes");
    if (long_calls >= 2)
      signs.push_back(std::to_string(long_calls) + " answered calls over " +
                      std::to_string(opt.toll_long_call_s) + " s");
    if (night || weekend) signs.push_back(night ? "at night" : "at the weekend");
    if (pumping)
      signs.push_back(std::to_string(pumped_numbers) + " numbers held " + std::to_string(kPumpRepeats) +
                      "+ times over " + std::to_string(opt.toll_long_call_s) + " s (pumping)");
    const bool strong = dest.size() >= opt.toll_block_destinations || signs.size() >= 2 || pumping;
    // What is blocked and barred is what the burst looks like: its
    // destinations, not every international call of the caller or the PBX
    // (IRSF pumps a few ranges of a few countries again and again: GSMA
    // FF.21, the CFCA's survey, i3forum's fraudulent number ranges). A
    // country code is one of them when the window holds `toll_burst_calls`
    // calls to it and at least half its fair share of the window's
    // international calls; the PBX's users' calls to other countries
    // meanwhile (a few among the burst's many) are tagged.
    const uint32_t to_cc = countries.count(cc);
    // A burst seen only as pumping is its pumped numbers' country codes.
    const bool burst_dest =
        dest.size() < opt.toll_tag_destinations
            ? cc_pumped
            : to_cc >= opt.toll_burst_calls && 2 * static_cast<uint64_t>(to_cc) * countries.size() >= intl;
    out.action = strong && burst_dest ? Action::kBlock : Action::kTag;
    if (strong && burst_dest) {
      if (k.toll_from < 0) k.toll_from = now;
      if (bar && opt.toll_bar_s > 0) {
        auto b = std::find_if(k.bars.begin(), k.bars.end(), [cc](const auto& x) { return x.first == cc; });
        if (b != k.bars.end())
          b->second = now + opt.toll_bar_s;
        else if (k.bars.size() < kMaxBars)
          k.bars.emplace_back(cc, now + opt.toll_bar_s);
      }
    }
    std::string why = "toll fraud: " + std::to_string(dest.size()) + " international callees in " +
                      std::to_string(opt.window_s) + " s, " +
                      std::to_string(total ? (100 * intl + total / 2) / total : 0) + "% of its calls";
    for (const auto& sg : signs) why += ", " + sg;
    why += age > 0 ? ", " + std::to_string(k.intl_before) + " international calls before in " +
                         std::to_string(age / 3600) + " h"
                   : ", no history";
    if (strong && !burst_dest)
      why += "; +" + std::to_string(cc) + " is not one of the burst's destinations (" +
             std::to_string(to_cc) + " of its calls)";
    out.reasons.push_back(std::move(why));
    return out;
  }

  // True when the call's source (/24, /64) placed `toll_source_min`
  // international calls in the window: it takes part in a number block's
  // toll fraud.
  bool toll_source(const Call& c, const Attempt& at) {
    const std::string net = net_of(c.source_ip);
    if (net.empty() || !at.intl) return false;
    auto it = keys.find("net:" + net);
    if (it == keys.end()) return false;
    // judged before the number block (on_invite's order): only the window is left
    return it->second.t.intl >= opt.toll_source_min;
  }

  // The keys a call shares with others beyond its caller, trunk and network:
  // an own customer's number block (a PBX's extensions: the own range the
  // caller is in, when it holds at most 10,000 numbers), and for calls from
  // abroad the country of the caller ID (Wangiri waves).
  void group_keys(const Call& c, const Number& caller_n, bool withheld,
                  std::vector<std::pair<std::string, KeyKind>>& names) const {
    if (withheld || caller_n.intl.empty()) return;
    if (!c.external) {
      for (const auto& r : opt.own_ranges)
        if (!r.empty() && r.size() + 4 >= caller_n.intl.size() &&
            caller_n.intl.compare(0, r.size(), r) == 0) {
          names.emplace_back("range:+" + r, KeyKind::kRange);
          return;
        }
    } else if (!home_cc.empty()) {
      const std::string_view cc = country_code_of(caller_n.intl);
      if (!cc.empty() && cc != home_cc) names.emplace_back("country:+" + std::string(cc), KeyKind::kCountry);
    }
  }

  void record(Key& k, const Assessment& a, int64_t now) {
    Incident& i = k.incident;
    ++i.attempts;
    if (a.action == Action::kAllow) return;
    if (!k.flagged) {
      k.flagged = true;
      i.first_seen = now;
    }
    i.last_seen = now;
    if (a.action >= i.action) {
      i.action = a.action;
      i.reasons = a.reasons;
    }
  }
};

CallPatterns::CallPatterns(Options opt) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(opt);
  // Our country: configured, else the one all our own ranges share.
  impl_->home_cc = impl_->opt.country_code;
  if (impl_->home_cc.empty())
    for (const auto& r : impl_->opt.own_ranges) {
      const std::string cc(country_code_of(r));
      if (cc.empty() || (!impl_->home_cc.empty() && cc != impl_->home_cc)) {
        impl_->home_cc.clear();
        break;
      }
      impl_->home_cc = cc;
    }
  // National numbers ("0" + national number) are ours when every own range
  // is in one country; NANP numbers have no "0" trunk prefix (theirs is "1").
  if (impl_->opt.country_code.empty() && !impl_->home_cc.empty() && impl_->home_cc != "1")
    impl_->opt.country_code = impl_->home_cc;
  // The NANP's international call prefix is 011 (ITU-T's list of national
  // and international prefixes; NANPA): "00" (the default, most of the
  // world's) is dialled by nobody there: at home in +1, 011 is one too.
  if (impl_->home_cc == "1" && impl_->opt.international_prefix != "011")
    impl_->opt.nanp_international_prefix = true;
  if (impl_->home_cc == "1" || impl_->opt.country_code == "1") impl_->opt.nanp_national = true;
}
CallPatterns::~CallPatterns() = default;
size_t CallPatterns::keys() const { return impl_->keys.size(); }

bool CallPatterns::tallies_consistent() const {
  for (const auto& [name, k] : impl_->keys)
    if (!impl_->tally_matches(k)) return false;
  return true;
}

Assessment CallPatterns::on_invite(const Call& c) {
  Assessment out;
  auto raise = [&out](Action a, std::string why) {
    if (a > out.action) out.action = a;
    out.reasons.push_back(std::move(why));
  };
  const Number caller_n = number_of(c.caller, impl_->opt), callee_n = number_of(c.callee, impl_->opt);
  const std::string& caller = caller_n.digits();
  const std::string& callee = callee_n.digits();
  // The call on its own (FCC 17-151: invalid, unallocated and spoofed numbers).
  // A national-form number with no country code configured is not judged.
  // A withheld caller ID (presentation restricted) is the caller's right,
  // not an invalid number: it is not judged, and has no caller key (all
  // anonymous callers would otherwise be one caller dialling everyone).
  const bool withheld = withheld_caller_id(c.caller);
  const bool invalid =
      !withheld && (caller_n.raw.empty() || !caller_n.intl.empty()) && !valid_e164(caller_n.intl);
  // Not a number at all (no digits, one digit repeated, a run such as
  // 1234567890, shorter than any numbering plan's): blocked. Otherwise a
  // number that breaks its plan's rules (an NPA or NXX starting with 0 or 1,
  // an N11 exchange, a digit too few) is tagged: caller IDs from abroad and
  // through transit carriers arrive mangled, and some are real callers. A
  // source sending many of them has its invalid ones blocked (judge()).
  if (invalid) {
    const std::string& d = caller_n.digits();
    const size_t cc = country_code_of(d).size();
    raise(placeholder_number(d) || (cc > 0 && placeholder_number(std::string_view(d).substr(cc)))
              ? Action::kBlock
              : Action::kTag,
          "caller ID " + c.caller + " is not a valid E.164 number");
  }
  // The callee's own number as caller ID from outside is spoofed; from one
  // of our own subscribers it is the subscriber calling its own number (its
  // voicemail), not judged.
  if (c.external && !caller.empty() && caller_n.key() == callee_n.key())
    raise(Action::kBlock, "caller ID is the callee's own number");
  // Our own ranges from outside: spoofed, or a number ported out to another
  // network whose subscriber calls in. Without the list of ported numbers it
  // is a sign (tag), not proof.
  if (c.external && !caller_n.intl.empty())
    for (const auto& r : impl_->opt.own_ranges)
      if (!r.empty() && caller_n.intl.compare(0, r.size(), r) == 0) {
        raise(impl_->opt.own_range_action,
              "caller ID in the provider's own range " + r + " arriving from outside");
        out.spoofed = true;
        break;
      }
  // The history of the caller, the trunk and the network.
  Attempt at{.time = c.time, .callee = as_number(callee), .ended = false, .answered = false, .duration = -1};
  at.invalid_cli = invalid;
  if (invalid) at.defect = defect_of(caller_n.digits());
  // Neighbour spoofing: a caller ID from outside made of the callee's own
  // leading digits (same length, all but the last `neighbour_free_digits`).
  if (c.external && !caller_n.intl.empty() && !callee_n.intl.empty() &&
      caller_n.intl.size() == callee_n.intl.size() && caller_n.intl != callee_n.intl) {
    const size_t n = callee_n.intl.size();
    const size_t shared = n > impl_->opt.neighbour_free_digits ? n - impl_->opt.neighbour_free_digits : n;
    at.neighbour = shared >= 5 && caller_n.intl.compare(0, shared, callee_n.intl, 0, shared) == 0;
  }
  // One of our own callers calling abroad (toll fraud's raw material): the
  // callee's country code differs from ours; ours unknown, it was dialled
  // with the international prefix.
  if (!c.external && !callee_n.intl.empty()) {
    const std::string_view cc = country_code_of(callee_n.intl);
    const std::string& intl_prefix = impl_->opt.international_prefix;
    at.intl = impl_->home_cc.empty()
                  ? !intl_prefix.empty() && callee_n.raw.compare(0, intl_prefix.size(), intl_prefix) == 0 &&
                        !written_with_plus(c.callee)
                  : !cc.empty() && cc != impl_->home_cc;
    if (at.intl) std::from_chars(cc.data(), cc.data() + cc.size(), at.cc);
  }
  if (!c.external && !withheld && !caller_n.intl.empty() && !impl_->opt.own_ranges.empty()) {
    at.foreign_cli = true;
    for (const auto& r : impl_->opt.own_ranges)
      if (!r.empty() && caller_n.intl.compare(0, r.size(), r) == 0) at.foreign_cli = false;
  }
  {
    // The path: from our side the source network (the subscriber's
    // registration), from outside the trunk (else the source network).
    const std::string net = net_of(c.source_ip);
    const std::string& path = c.external ? (c.trunk.empty() ? net : c.trunk) : (net.empty() ? c.trunk : net);
    if (!path.empty()) at.path = static_cast<uint32_t>(std::hash<std::string>{}(path)) | 1u;
  }
  std::vector<std::pair<std::string, KeyKind>> names;
  if (!caller.empty()) names.emplace_back("caller:" + caller_n.key(), KeyKind::kCaller);
  if (!c.trunk.empty()) names.emplace_back("trunk:" + c.trunk, KeyKind::kTrunk);
  if (std::string net = net_of(c.source_ip); !net.empty()) names.emplace_back("net:" + net, KeyKind::kNet);
  impl_->group_keys(c, caller_n, withheld, names);
  if (invalid && !callee.empty()) names.emplace_back("callee:" + callee_n.key(), KeyKind::kCallee);
  if (c.external && !callee.empty()) {
    names.emplace_back("to:" + callee_n.key(), KeyKind::kTo);
    const std::string net = net_of(c.source_ip);
    at.src = static_cast<uint32_t>(std::hash<std::string>{}(net.empty() ? c.trunk : net)) | 1u;
    if (!withheld && !caller_n.raw.empty())
      at.from = static_cast<uint32_t>(std::hash<std::string>{}(caller_n.raw)) | 1u;
  }
  bool wave = false;
  for (auto& [name, kind] : names) {
    auto& k = impl_->touch(name, kind);
    impl_->push(k, at);
    Assessment a = impl_->judge(k, c.time);
    if (kind == KeyKind::kRange && a.action == Action::kBlock && !impl_->toll_source(c, at)) {
      a.action = Action::kTag;  // a customer of the block, calling from elsewhere
      a.reasons.push_back("the call's source is not part of it");
    }
    if (kind == KeyKind::kTo && a.action == Action::kBlock) {
      // A flood at this number: its calls from the sources taking part are
      // refused, but for known callers (answered conversations before).
      const uint32_t from_src = k.t.sources.count(at.src);
      auto ck = impl_->keys.find("caller:" + caller_n.key());
      const uint32_t talks = !caller.empty() && ck != impl_->keys.end() ? ck->second.talks : 0;
      if (from_src < impl_->opt.tdos_source_min || talks > 0) {
        a.action = Action::kTag;
        a.reasons.push_back(talks > 0 ? "a known caller (" + std::to_string(talks) + " conversations)"
                                      : "the call's source sent " + std::to_string(from_src) + " of them");
      } else {
        a.reasons.push_back("the call's source sent " + std::to_string(from_src) + " of them");
      }
    }
    if ((kind == KeyKind::kTrunk || kind == KeyKind::kNet) && a.action == Action::kBlock && at.neighbour &&
        !caller.empty()) {
      // A neighbour-spoofing campaign's call is blocked, but for a known
      // caller (answered conversations before): a real neighbour.
      auto ck = impl_->keys.find("caller:" + caller_n.key());
      if (ck != impl_->keys.end() && ck->second.talks > 0) {
        a.action = Action::kTag;
        a.reasons.push_back("a known caller (" + std::to_string(ck->second.talks) + " conversations)");
      }
    }
    if (kind == KeyKind::kCaller && out.action == Action::kBlock && a.action != Action::kBlock) {
      a.action = Action::kBlock;  // the caller is flagged for what this call showed on its own
      a.reasons = out.reasons;
    }
    impl_->record(k, a, c.time);
    wave = wave || (kind == KeyKind::kCountry && a.action != Action::kAllow);
    out.spoofed = out.spoofed || a.spoofed;
    for (auto& r : a.reasons)
      if (std::find(out.reasons.begin(), out.reasons.end(), r) == out.reasons.end())
        out.reasons.push_back(name + ": " + r);
    if (a.action > out.action) out.action = a.action;
  }
  // In a Wangiri wave, a caller of that country that already rang other
  // callees in the window, none answered, is one of the wave's numbers.
  if (wave && out.action != Action::kBlock && !caller.empty()) {
    auto it = impl_->keys.find("caller:" + caller_n.key());
    if (it != impl_->keys.end()) {
      std::unordered_set<uint64_t> others;
      bool answered = false;
      for (const Attempt& a : it->second.attempts)
        if (a.time >= c.time - impl_->opt.window_s && a.callee != at.callee) {
          others.insert(a.callee);
          answered = answered || !a.ended || a.answered;
        }
      if (!answered && others.size() >= 2) {
        out.action = Action::kBlock;
        out.reasons.push_back("caller:" + caller_n.key() + ": one of the wave's numbers: rang " +
                              std::to_string(others.size()) + " other callees in " +
                              std::to_string(impl_->opt.window_s) + " s, none answered");
        impl_->record(it->second, out, c.time);
      }
    }
  }
  return out;
}

void CallPatterns::on_end(const Call& c) {
  const Number caller_n = number_of(c.caller, impl_->opt);
  const std::string& caller = caller_n.digits();
  const uint64_t callee = as_number(number_of(c.callee, impl_->opt).digits());
  auto update = [&](const std::string& name) {
    auto it = impl_->keys.find(name);
    if (it == impl_->keys.end()) return;
    auto& atts = it->second.attempts;
    auto end_it = [&](Attempt& a) {
      if (a.time != c.time || a.callee != callee || a.ended) return false;
      a.ended = true;
      a.answered = c.answered;
      a.duration = c.duration_s;
      impl_->tally_end(it->second, a, +1);
      impl_->pumped(it->second, a);
      return true;
    };
    // The newest attempts first (a call that ends at once, a CDR), then by
    // bisection: attempts come in time order (a client's odd Date aside),
    // so a long call's end does not walk a trunk's 4,096 attempts.
    const size_t recent = std::min<size_t>(atts.size(), 64);
    for (size_t i = 0; i < recent; ++i)
      if (end_it(atts[atts.size() - 1 - i])) return;
    auto a = std::lower_bound(atts.begin(), atts.end() - static_cast<std::ptrdiff_t>(recent), c.time,
                              [](const Attempt& x, int64_t t) { return x.time < t; });
    for (; a != atts.end() - static_cast<std::ptrdiff_t>(recent) && a->time == c.time; ++a)
      if (end_it(*a)) return;
  };
  if (!caller.empty()) {
    update("caller:" + caller_n.key());
    if (c.answered && c.duration_s >= impl_->opt.conversation_s)
      if (auto it = impl_->keys.find("caller:" + caller_n.key()); it != impl_->keys.end()) ++it->second.talks;
  }
  if (c.external && !number_of(c.callee, impl_->opt).digits().empty())
    update("to:" + number_of(c.callee, impl_->opt).key());
  if (!c.trunk.empty()) update("trunk:" + c.trunk);
  if (std::string net = net_of(c.source_ip); !net.empty()) update("net:" + net);
  std::vector<std::pair<std::string, KeyKind>> groups;
  impl_->group_keys(c, caller_n, withheld_caller_id(c.caller), groups);
  for (const auto& g : groups) update(g.first);
}

std::vector<Incident> CallPatterns::incidents() const {
  std::vector<Incident> out;
  for (const auto& [name, k] : impl_->keys)
    if (k.flagged) out.push_back(k.incident);
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    if (a.action != b.action) return a.action > b.action;
    if (a.first_seen != b.first_seen) return a.first_seen < b.first_seen;
    return a.key < b.key;
  });
  return out;
}

// --- State across restarts ---
// {"key": "caller:+1...", "kind": 0|1|2, "attempts": [[time, callee, ended,
// answered, duration, intl, country code, foreign caller ID], ...] (the last
// three may be absent: state of an older version), "toll": [international
// calls before the window, first call, barred until, toll fraud since],
// "hist": [ended, answered, conversations, to new callees, since] (a
// caller's ended calls that left the window: sustained robocalling; absent
// when none), "paths": [calls, [[path hash, calls], ...]] (a caller's calls
// over the horizon and the busiest paths they came by; absent when none),
// "talks": N (a caller's answered conversations since its key was made: a
// known caller in a flood at its callee; absent when 0), "bars": [[country
// code, barred until], ...] (a toll-fraud bar of the burst's destinations;
// absent when none; "toll"'s third field is a bar of every international
// call, as earlier versions wrote it), "pump": [[number, long calls, country
// code, last], ...] (IRSF pumping; absent when none),
// "incident": {"action": 0|1|2, "first_seen": T, "last_seen": T, "attempts":
// N, "reasons": [...]} (only when flagged)}
std::string CallPatterns::save_state(int64_t now) const {
  using Json = nlohmann::json;
  std::string out;
  const int64_t horizon = now - impl_->opt.window_s;
  for (const std::string& name : impl_->lru) {
    auto it = impl_->keys.find(name);
    if (it == impl_->keys.end()) continue;
    const Impl::Key& k = it->second;
    Json atts = Json::array();
    // A caller's ended calls that leave the window here go to its history,
    // as judge() would have put them.
    uint32_t h_ended = k.h_ended, h_answered = k.h_answered, h_conv = k.h_conv, h_fresh = k.h_fresh;
    int64_t h_since = k.h_since;
    for (const Attempt& a : k.attempts)
      if (a.time >= horizon) {
        atts.push_back(Json::array({a.time, a.callee, a.ended, a.answered, a.duration, a.intl, a.cc,
                                    a.foreign_cli, attempt_flags(a)}));
      } else if (k.kind == KeyKind::kCaller && a.ended) {
        if (h_since < 0) h_since = a.time;
        ++h_ended;
        h_answered += a.answered;
        h_conv += a.answered && a.duration >= impl_->opt.conversation_s;
        h_fresh += a.fresh;
      }
    if (atts.empty() && !k.flagged && k.talks == 0 && h_ended == 0) continue;
    Json j = {{"key", name},
              {"kind", static_cast<int>(k.kind)},
              {"count", k.incident.attempts},
              {"attempts", std::move(atts)},
              {"toll", Json::array({k.intl_before, k.since, k.barred_until, k.toll_from})}};
    if (k.talks > 0) j["talks"] = k.talks;
    if (h_ended > 0) j["hist"] = Json::array({h_ended, h_answered, h_conv, h_fresh, h_since});
    if (k.paths_total > 0) {
      Json paths = Json::array();
      for (const PathSlot& p : k.paths)
        if (p.path != 0 && p.calls > 0) paths.push_back(Json::array({p.path, p.calls}));
      j["paths"] = Json::array({k.paths_total, std::move(paths)});
    }
    if (!k.bars.empty()) {
      Json bars = Json::array();
      for (const auto& [cc, until] : k.bars)
        if (until > now) bars.push_back(Json::array({cc, until}));
      j["bars"] = std::move(bars);
    }
    if (k.pumps) {
      Json pump = Json::array();
      for (const Pump& p : *k.pumps)
        if (p.calls > 0 && now - p.last <= impl_->opt.slow_horizon_s)
          pump.push_back(Json::array({p.callee, p.calls, p.cc, p.last}));
      if (!pump.empty()) j["pump"] = std::move(pump);
    }
    if (k.flagged)
      j["incident"] = {{"action", static_cast<int>(k.incident.action)},
                       {"first_seen", k.incident.first_seen},
                       {"last_seen", k.incident.last_seen},
                       {"reasons", k.incident.reasons}};
    out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
    out.push_back('\n');
  }
  return out;
}

size_t CallPatterns::load_state(std::string_view text, int64_t now, size_t* skipped) {
  using Json = nlohmann::json;
  size_t loaded = 0, bad = 0;
  const int64_t horizon = now - impl_->opt.window_s;
  auto int_of = [](const Json& v, int64_t lo, int64_t hi, int64_t* out) {
    if (!v.is_number_integer()) return false;
    const int64_t x = v.is_number_unsigned() ? (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                                                    ? INT64_MAX
                                                    : static_cast<int64_t>(v.get<uint64_t>()))
                                             : v.get<int64_t>();
    if (x < lo || x > hi) return false;
    *out = x;
    return true;
  };
  for (std::string_view line : split(text, '\n')) {
    if (trim(line).empty()) continue;
    Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    int64_t kind = 0;
    if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string() ||
        j["key"].get_ref<const std::string&>().empty() ||
        j["key"].get_ref<const std::string&>().size() > 512 || !j.contains("kind") ||
        !int_of(j["kind"], 0, kMaxKeyKind, &kind) || !j.contains("attempts") || !j["attempts"].is_array()) {
      ++bad;
      continue;
    }
    std::deque<Attempt> atts;
    bool ok = true;
    for (const Json& a : j["attempts"]) {
      Attempt at{};
      int64_t cc = 0;
      int64_t flags = 0;
      if (!a.is_array() || (a.size() != 5 && a.size() != 8 && a.size() != 9) ||
          !int_of(a[0], 0, INT64_MAX, &at.time) || !a[1].is_number_unsigned() || !a[2].is_boolean() ||
          !a[3].is_boolean() || !int_of(a[4], -1, INT64_MAX, &at.duration) ||
          (a.size() >= 8 && (!a[5].is_boolean() || !int_of(a[6], 0, 999, &cc) || !a[7].is_boolean())) ||
          (a.size() == 9 && !int_of(a[8], 0, 31, &flags))) {
        ok = false;
        break;
      }
      at.invalid_cli = flags & 1;
      at.neighbour = flags & 2;
      at.defect = static_cast<uint8_t>((flags >> 2) % kDefects);
      if (a.size() >= 8) {
        at.intl = a[5].get<bool>();
        at.foreign_cli = a[7].get<bool>();
        at.cc = static_cast<uint16_t>(cc);
      }
      at.callee = a[1].get<uint64_t>();
      at.ended = a[2].get<bool>();
      at.answered = a[3].get<bool>();
      if (at.time < horizon) continue;
      if (atts.size() >= kMaxAttemptsPerKey) atts.pop_front();
      atts.push_back(at);
    }
    Incident inc;
    bool flagged = false;
    if (ok && j.contains("incident")) {
      const Json& i = j["incident"];
      int64_t action = 0;
      ok = i.is_object() && i.contains("action") && int_of(i["action"], 1, 2, &action) &&
           i.contains("first_seen") && int_of(i["first_seen"], 0, INT64_MAX, &inc.first_seen) &&
           i.contains("last_seen") && int_of(i["last_seen"], 0, INT64_MAX, &inc.last_seen) &&
           i.contains("reasons") && i["reasons"].is_array() && i["reasons"].size() <= 32;
      if (ok)
        for (const Json& r : i["reasons"]) {
          if (!r.is_string() || r.get_ref<const std::string&>().size() > 512) {
            ok = false;
            break;
          }
          inc.reasons.push_back(r.get<std::string>());
        }
      inc.action = static_cast<Action>(action);
      flagged = ok;
    }
    int64_t count = 0, intl_before = 0, since = -1, barred_until = 0, toll_from = -1, talks = 0;
    if (ok && j.contains("count")) ok = int_of(j["count"], 0, INT64_MAX, &count);
    if (ok && j.contains("talks")) ok = int_of(j["talks"], 0, UINT32_MAX, &talks);
    if (ok && j.contains("toll"))
      ok = j["toll"].is_array() && j["toll"].size() == 4 &&
           int_of(j["toll"][0], 0, INT64_MAX, &intl_before) && int_of(j["toll"][1], -1, INT64_MAX, &since) &&
           int_of(j["toll"][2], 0, INT64_MAX, &barred_until) &&
           int_of(j["toll"][3], -1, INT64_MAX, &toll_from);
    int64_t hist[5] = {0, 0, 0, 0, -1};
    if (ok && j.contains("hist")) {
      ok = j["hist"].is_array() && j["hist"].size() == 5;
      for (size_t i = 0; ok && i < 4; ++i) ok = int_of(j["hist"][i], 0, UINT32_MAX, &hist[i]);
      ok = ok && int_of(j["hist"][4], -1, INT64_MAX, &hist[4]) && hist[1] <= hist[0] && hist[2] <= hist[1] &&
           hist[3] <= hist[0];
    }
    std::array<PathSlot, kPathSlots> paths{};
    int64_t paths_total = 0;
    if (ok && j.contains("paths")) {
      const Json& ps = j["paths"];
      ok = ps.is_array() && ps.size() == 2 && int_of(ps[0], 0, UINT32_MAX, &paths_total) &&
           ps[1].is_array() && ps[1].size() <= kPathSlots;
      int64_t sum = 0;
      for (size_t i = 0; ok && i < ps[1].size(); ++i) {
        const Json& e = ps[1][i];
        int64_t path = 0, calls = 0;
        ok = e.is_array() && e.size() == 2 && int_of(e[0], 1, UINT32_MAX, &path) &&
             int_of(e[1], 1, UINT32_MAX, &calls);
        sum += calls;
        if (ok) paths[i] = PathSlot{static_cast<uint32_t>(path), static_cast<uint32_t>(calls)};
      }
      ok = ok && sum <= paths_total;
    }
    std::vector<std::pair<uint16_t, int64_t>> bars;
    if (ok && j.contains("bars")) {
      ok = j["bars"].is_array() && j["bars"].size() <= kMaxBars;
      for (size_t i = 0; ok && i < j["bars"].size(); ++i) {
        const Json& b = j["bars"][i];
        int64_t cc = 0, until = 0;
        ok = b.is_array() && b.size() == 2 && int_of(b[0], 1, 999, &cc) && int_of(b[1], 0, INT64_MAX, &until);
        if (ok && until > now) bars.emplace_back(static_cast<uint16_t>(cc), until);
      }
    }
    std::unique_ptr<std::array<Pump, kPumpSlots>> pumps;
    if (ok && j.contains("pump")) {
      ok = j["pump"].is_array() && j["pump"].size() <= kPumpSlots;
      if (ok) pumps = std::make_unique<std::array<Pump, kPumpSlots>>();
      for (size_t i = 0; ok && i < j["pump"].size(); ++i) {
        const Json& e = j["pump"][i];
        int64_t calls = 0, cc = 0, last = 0;
        ok = e.is_array() && e.size() == 4 && e[0].is_number_unsigned() &&
             int_of(e[1], 1, UINT32_MAX, &calls) && int_of(e[2], 0, 999, &cc) &&
             int_of(e[3], 0, INT64_MAX, &last);
        if (ok)
          (*pumps)[i] =
              Pump{e[0].get<uint64_t>(), static_cast<uint32_t>(calls), static_cast<uint16_t>(cc), last};
      }
    }
    inc.attempts = static_cast<uint64_t>(count);
    if (!ok) {
      ++bad;
      continue;
    }
    if (atts.empty() && !flagged && talks == 0 && hist[0] == 0) continue;
    const std::string name = j["key"].get<std::string>();
    Impl::Key& k = impl_->touch(name, static_cast<KeyKind>(kind));
    k.kind = static_cast<KeyKind>(kind);
    k.attempts = std::move(atts);
    impl_->retally(k, now);
    k.flagged = flagged;
    k.intl_before = static_cast<uint64_t>(intl_before);
    k.since = since;
    k.barred_until = barred_until;
    k.bars = std::move(bars);
    k.pumps = std::move(pumps);
    k.toll_from = toll_from;
    k.talks = static_cast<uint32_t>(talks);
    k.h_ended = static_cast<uint32_t>(hist[0]);
    k.h_answered = static_cast<uint32_t>(hist[1]);
    k.h_conv = static_cast<uint32_t>(hist[2]);
    k.h_fresh = static_cast<uint32_t>(hist[3]);
    k.h_since = hist[4];
    k.paths = paths;
    k.paths_total = static_cast<uint32_t>(paths_total);
    inc.key = name;
    k.incident = std::move(inc);
    ++loaded;
  }
  if (skipped) *skipped = bad;
  return loaded;
}

// --- CDR files ---
namespace {

enum Col { kTime, kCaller, kCallee, kDuration, kDisposition, kTrunk, kIp, kExternal, kCols };

// RFC 4180 fields of one line.
bool split_csv(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(ch);
      }
    } else if (ch == '"' && cur.empty()) {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(std::move(cur));
      cur.clear();
      if (out.size() > 64) return false;
    } else if (ch != '\r' && ch != '\n') {
      cur.push_back(ch);
    }
  }
  if (quoted) return false;
  out.push_back(std::move(cur));
  return true;
}

std::optional<int64_t> parse_time(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return v;
  // YYYY-MM-DD HH:MM:SS (or with 'T')
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  int y, mo, d, h, mi, se;
  auto num = [&](size_t at, size_t n, int* out) {
    auto [q, e] = std::from_chars(s.data() + at, s.data() + at + n, *out);
    return e == std::errc() && q == s.data() + at + n;
  };
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + se;
}

int column_of(std::string_view name) {
  const std::string n = to_lower(trim(name));
  for (auto [alias, col] : std::initializer_list<std::pair<std::string_view, int>>{
           {"time", kTime},          {"start", kTime},
           {"start_time", kTime},    {"calldate", kTime},
           {"caller", kCaller},      {"src", kCaller},
           {"from", kCaller},        {"clid", kCaller},
           {"callee", kCallee},      {"dst", kCallee},
           {"to", kCallee},          {"duration", kDuration},
           {"billsec", kDuration},   {"disposition", kDisposition},
           {"status", kDisposition}, {"trunk", kTrunk},
           {"channel", kTrunk},      {"ip", kIp},
           {"source_ip", kIp},       {"src_ip", kIp},
           {"external", kExternal}})
    if (n == alias) return col;
  return -1;
}

bool answered_of(std::string_view disp) {
  const std::string d = to_lower(trim(disp));
  return d == "answered" || d == "answer" || d == "200" || d == "ok";
}

std::string trunk_of_channel(std::string_view ch) {
  // Asterisk: "SIP/carrier-a-0000001f" or "PJSIP/carrier-a-00000002" -> "SIP/carrier-a"
  std::string t(trim(ch));
  if (size_t dash = t.rfind('-'); dash != std::string::npos && dash + 1 < t.size() &&
                                  t.find_first_not_of("0123456789abcdef", dash + 1) == std::string::npos)
    t.resize(dash);
  return t;
}

}  // namespace

std::optional<Call> CdrReader::line(std::string_view text) {
  if (trim(text).empty()) return std::nullopt;
  auto skip = [this](std::string why) -> std::optional<Call> {
    ++skipped;
    if (first_error.empty()) first_error = std::move(why);
    return std::nullopt;
  };
  if (text.size() > 8192) return skip("line longer than 8 KiB");
  std::vector<std::string> f;
  if (!split_csv(text, f)) return skip("malformed CSV line");
  Call c;
  if (format == CdrFormat::kAsterisk) {
    // Master.csv: accountcode, src, dst, dcontext, clid, channel, dstchannel,
    // lastapp, lastdata, start, answer, end, duration, billsec, disposition, ...
    if (f.size() < 15) return skip("Asterisk CDR with fewer than 15 fields");
    auto t = parse_time(f[9]);
    if (!t) return skip("Asterisk CDR: bad start time");
    c.time = *t;
    c.caller = f[1];
    c.callee = f[2];
    c.trunk = trunk_of_channel(f[5]);
    c.answered = answered_of(f[14]);
    int64_t billsec = -1;
    std::from_chars(f[13].data(), f[13].data() + f[13].size(), billsec);
    c.duration_s = c.answered ? billsec : 0;
  } else {
    if (!have_header_) {
      columns_.assign(kCols, -1);
      for (size_t i = 0; i < f.size(); ++i)
        if (int col = column_of(f[i]); col >= 0 && columns_[static_cast<size_t>(col)] < 0)
          columns_[static_cast<size_t>(col)] = static_cast<int>(i);
      have_header_ = true;
      if (columns_[kTime] < 0 || columns_[kCaller] < 0 || columns_[kCallee] < 0) {
        columns_.clear();
        return skip("CDR header without time, caller and callee columns");
      }
      return std::nullopt;
    }
    if (columns_.empty()) return skip("no usable CDR header");
    auto get = [&](int col) -> std::string_view {
      int i = columns_[static_cast<size_t>(col)];
      return i >= 0 && static_cast<size_t>(i) < f.size() ? std::string_view(f[static_cast<size_t>(i)]) : "";
    };
    auto t = parse_time(get(kTime));
    if (!t) return skip("bad time '" + std::string(get(kTime).substr(0, 32)) + "'");
    c.time = *t;
    c.caller = std::string(get(kCaller));
    c.callee = std::string(get(kCallee));
    c.trunk = std::string(trim(get(kTrunk)));
    c.source_ip = std::string(trim(get(kIp)));
    std::string_view ext = trim(get(kExternal));
    c.external = !(ext == "0" || ext == "false" || ext == "no");
    std::string_view disp = get(kDisposition);
    int64_t dur = -1;
    std::string_view ds = trim(get(kDuration));
    std::from_chars(ds.data(), ds.data() + ds.size(), dur);
    c.answered = disp.empty() ? dur > 0 : answered_of(disp);
    c.duration_s = c.answered ? dur : 0;
  }
  if (c.caller.empty() || c.callee.empty()) return skip("CDR line without caller or callee");
  return c;
}

}  // namespace rampart::channels::calls

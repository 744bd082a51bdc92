// File: src/server/live_zones.cc
// rampartd's live DNSBL/DNSWL zones and the override endpoints (see live_zones.h).
#include "server/live_zones.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/executor.h"
#include "core/file.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strings.h"
#include "dnsbl/xfr.h"
#include "server/dns/dnsbl_server.h"
#include "server/dns/notifier.h"
#include "server/http/router.h"

namespace rampart::server {

namespace {

using reputation::SenderClass;

constexpr const char* kBlockCategories[] = {"spammer", "compromised", "bot", "manual"};
constexpr const char* kAllowCategories[] = {"bulk", "transactional", "manual"};

std::optional<uint32_t> parse_code(std::string_view s) {
  auto ip = IpAddress::parse(s);
  if (!ip || !ip->is_v4()) return std::nullopt;
  return ip->v4_host_order();
}

bool kind_fits(std::string_view identity, dnsbl::LiveData data) {
  if (data == dnsbl::LiveData::kDomain) return identity.starts_with("domain:");
  return identity.starts_with("ip:") || identity.starts_with("net:");
}

std::string_view key_of(std::string_view identity) { return identity.substr(identity.find(':') + 1); }

bool good(SenderClass c) { return c == SenderClass::kBulk || c == SenderClass::kTransactional; }

uint32_t manual_code(const LiveZoneConfig& z) {
  auto it = z.codes.find("manual");
  if (it != z.codes.end()) return it->second;
  uint32_t lowest = 0xFFFFFFFFu;
  for (const auto& [cat, a] : z.codes) lowest = std::min(lowest, a);
  return lowest;
}

}  // namespace

Result<LiveZonesConfig> LiveZonesConfig::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  LiveZonesConfig c;
  Section s = cfg.section("dnsbl");
  for (const auto& l : s.strings("listen")) {
    auto hp = parse_host_port(l, -1, true);
    if (!hp)
      s.invalid("listen", hp.error().message);
    else
      c.listen.push_back(*hp);
  }
  c.threads = static_cast<unsigned>(s.integer("threads", 1, 1, 64));
  c.ttl = static_cast<uint32_t>(s.integer("ttl", 300, 1, 86400));
  c.ns = s.strings("ns");
  for (const auto& a : s.strings("xfr_allow")) {
    auto p = parse_cidr(a);
    if (!p)
      s.invalid("xfr_allow", p.error().message);
    else
      c.xfr_allow.push_back(*p);
  }
  for (const auto& k : s.strings("tsig")) {
    auto key = dnsbl::parse_tsig_key(k);
    if (!key)
      s.invalid("tsig", key.error().message);
    else
      c.tsig.push_back(*key);
  }
  for (const auto& n : s.strings("notify")) {
    auto hp = parse_host_port(n, 53);
    if (!hp)
      s.invalid("notify", hp.error().message);
    else
      c.notify.push_back(*hp);
  }
  c.journal = static_cast<size_t>(s.integer("journal", 16, 1, 1000));
  c.rebuild_ms = static_cast<unsigned>(s.integer("rebuild_ms", 1000, 0, 3600000));
  c.max_entries = static_cast<size_t>(s.integer("max_entries", 1000000, 1, 100000000));
  c.rate_limit = s.number("rate_limit", 0, 0, 1e9);
  std::set<std::string> names;
  for (Section z : s.tables("zones")) {
    LiveZoneConfig zc;
    zc.name = to_lower(z.string("name", ""));
    if (!zc.name.empty() && zc.name.back() == '.') zc.name.pop_back();
    if (zc.name.empty()) z.invalid("name", "each zone needs a name");
    if (!zc.name.empty() && !names.insert(zc.name).second)
      z.invalid("name", "zone " + zc.name + " given twice");
    zc.data = z.choice("data", "ip", {"ip", "domain"}) == "domain" ? dnsbl::LiveData::kDomain
                                                                   : dnsbl::LiveData::kIp;
    zc.allow = z.choice("list", "block", {"block", "allow"}) == "allow";
    Section codes = z.table("codes");
    for (const auto& cat : codes.keys()) {
      const std::string v = codes.string(cat, "");
      bool known = false;
      if (zc.allow) {
        for (const char* k : kAllowCategories) known = known || cat == k;
      } else {
        for (const char* k : kBlockCategories) known = known || cat == k;
      }
      if (!known) {
        codes.invalid(
            cat, std::string("no category \"") + cat + "\" in a " + (zc.allow ? "allow" : "block") +
                     " list (" +
                     (zc.allow ? "bulk, transactional, manual" : "spammer, compromised, bot, manual") + ")");
        continue;
      }
      auto a = parse_code(v);
      if (!a) {
        codes.invalid(cat, "\"" + v + "\" is not an IPv4 return code (127.0.0.2)");
        continue;
      }
      zc.codes[cat] = *a;
    }
    if (zc.codes.empty())
      z.invalid("codes", "zone " + zc.name + ": codes (category = \"127.0.0.N\") is required");
    c.zones.push_back(std::move(zc));
  }
  if (!c.listen.empty() && c.zones.empty()) s.invalid("listen", "no [[dnsbl.zones]] to serve");
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

struct LiveZones::Impl {
  LiveZonesConfig cfg;
  std::shared_ptr<reputation::OverrideStore> overrides;
  std::shared_ptr<dnsbl::Xfr> xfr;
  std::unique_ptr<dns::DnsblServer> server;
  std::unique_ptr<dns::Notifier> notifier;

  // The reasons' text of a class, shared by the identities that have the
  // same (most addresses are listed for one of a few reasons): held once.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
    size_t operator()(const std::shared_ptr<const std::string>& s) const { return (*this)(*s); }
  };
  struct TextEq {
    using is_transparent = void;
    static std::string_view view(std::string_view s) { return s; }
    static std::string_view view(const std::shared_ptr<const std::string>& s) { return *s; }
    bool operator()(const auto& a, const auto& b) const { return view(a) == view(b); }
  };
  std::unordered_set<std::shared_ptr<const std::string>, TextHash, TextEq> texts;
  size_t texts_swept = 0;  // texts held after the last sweep
  std::shared_ptr<const std::string> shared_text(std::string t) {
    if (auto it = texts.find(std::string_view(t)); it != texts.end()) return *it;
    if (texts.size() >= 2 * texts_swept + 1024) {  // forget the texts nobody holds any more
      std::erase_if(texts, [](const auto& p) { return p.use_count() == 1; });
      texts_swept = texts.size();
    }
    return *texts.insert(std::make_shared<const std::string>(std::move(t))).first;
  }
  struct Auto {
    SenderClass cls;
    bool bot;
    std::shared_ptr<const std::string> txt;  // shared_text(); never null once set
  };
  std::mutex mu;
  std::condition_variable cv;
  // identity -> bad or good class, kept in shard order (order_key) so that
  // a shard's identities are one range; those covering several shards
  // (networks wider than a shard) in `wide` with their shards.
  std::map<std::string, Auto> classes;
  std::map<std::string, std::pair<Auto, std::vector<std::string>>> wide;
  // IPv4 addresses (ip: identities in canonical form, the bulk of a zone)
  // apart from `classes`: per /16 (one shard), sorted by the low 16 bits,
  // 8 bytes each with the reasons' text by number in v4_texts (a std::map
  // node with its key and text took ~200 bytes an address).
  struct V4 {
    uint16_t low;
    SenderClass cls;
    bool bot;
    uint32_t text;
  };
  std::vector<std::vector<V4>> v4;  // 65536 buckets once one is used
  size_t v4_count = 0;
  struct TextSlot {
    std::shared_ptr<const std::string> text;
    uint32_t refs = 0;
  };
  std::vector<TextSlot> v4_texts;
  std::vector<uint32_t> v4_free;
  std::unordered_map<std::string_view, uint32_t> v4_text_index;  // views into v4_texts
  uint32_t v4_text_ref(std::string t) {
    if (auto it = v4_text_index.find(t); it != v4_text_index.end()) {
      ++v4_texts[it->second].refs;
      return it->second;
    }
    uint32_t id;
    if (!v4_free.empty()) {
      id = v4_free.back();
      v4_free.pop_back();
    } else {
      id = static_cast<uint32_t>(v4_texts.size());
      v4_texts.emplace_back();
    }
    v4_texts[id] = {std::make_shared<const std::string>(std::move(t)), 1};
    v4_text_index.emplace(*v4_texts[id].text, id);
    return id;
  }
  void v4_text_release(uint32_t id) {
    if (--v4_texts[id].refs) return;
    v4_text_index.erase(*v4_texts[id].text);
    v4_texts[id].text.reset();
    v4_free.push_back(id);
  }
  // The address of an ip: identity of an IPv4 address in canonical form.
  static std::optional<uint32_t> v4_of(std::string_view identity) {
    if (!identity.starts_with("ip:")) return std::nullopt;
    auto ip = IpAddress::parse(identity.substr(3));
    if (!ip || !ip->is_v4() || ip->to_string() != identity.substr(3)) return std::nullopt;
    return ip->v4_host_order();
  }
  std::unordered_set<std::string> dirty;  // identities changed since the last build
  // The /16s of the IPv4 addresses in `v4` changed since the last build (a
  // flag and a list): a string per changed address (1 M during a first
  // fill, freed by the build) scattered the `v4` buckets growing between
  // them over the heap, which the allocator could not give back.
  std::vector<uint8_t> v4_dirty;  // 65536 flags once one is used
  std::vector<uint16_t> v4_dirty_list;
  void mark_v4(uint32_t addr) {
    if (v4_dirty.empty()) v4_dirty.resize(65536);
    const auto hi = static_cast<uint16_t>(addr >> 16);
    if (!v4_dirty[hi]) {
      v4_dirty[hi] = 1;
      v4_dirty_list.push_back(hi);
    }
  }
  // The flow detector's evidence of a bot ("ip:ADDR" -> words), set by the
  // flow service (set_bot_evidence).
  std::unordered_map<std::string, std::string> bot_evidence;
  uint64_t version = 0, built = 0;
  // The builder thread's own: the zones shard by shard, the overrides seen.
  std::optional<dnsbl::LiveBuilder> zones_builder;
  std::map<std::string, reputation::Override> last_overrides;
  size_t rejected_logged = 0;
  bool stop = false;
  std::chrono::steady_clock::time_point last_build{};
  std::thread builder;
  // Seeding from the store (seed_from): identities a transition touched
  // meanwhile are not overwritten by the walk.
  std::thread seeder;
  std::atomic<bool> stop_seeding{false};
  bool seeding = false;
  std::unordered_set<std::string> touched;

  // Serials: the floor at start (the last published + 1), and the file.
  std::map<std::string, uint32_t> serial_floor;

  std::string serials_path() const { return cfg.state_dir + "/dnsbl-serials"; }

  void load_serials() {
    if (cfg.state_dir.empty()) return;
    std::ifstream f(serials_path());
    std::string apex;
    uint64_t serial = 0;
    while (f >> apex >> serial)
      if (serial < 0xFFFFFFFFu) serial_floor[apex] = static_cast<uint32_t>(serial + 1);
  }

  void save_serials(const dnsbl::ZoneSet& zs) {
    if (cfg.state_dir.empty()) return;
    std::string text;
    for (const auto& z : zs.zones()) text += z.apex + " " + std::to_string(z.soa.serial) + "\n";
    if (auto st = write_file_atomically(serials_path(), text, 0644); !st)
      log::get()->warn("dnsbl: cannot save the serials: {}", st.error().message);
  }

  // Metrics.
  std::atomic<uint64_t> rebuilds{0}, changes{0}, dropped{0}, build_us{0};
  std::mutex stats_mu;
  std::map<std::string, size_t> listed;  // zone -> entries

  void on_changes(std::span<const reputation::ClassChange> cs) {
    std::lock_guard lock(mu);
    apply_locked(cs, false);
  }

  // `from_walk`: the start-up walk's findings (seed_from), which never
  // overwrite a transition heard meanwhile.
  void apply_locked(std::span<const reputation::ClassChange> cs, bool from_walk) {
    for (const auto& c : cs) {
      if (!c.identity.starts_with("ip:") && !c.identity.starts_with("net:") &&
          !c.identity.starts_with("domain:"))
        continue;
      if (from_walk && touched.count(c.identity)) continue;
      if (!from_walk) {
        changes.fetch_add(1, std::memory_order_relaxed);
        if (seeding) touched.insert(c.identity);
      }
      std::string why;
      auto shards = shards_of(c.identity, &why);
      if (shards.empty()) {
        if (rejected_logged < 5 && (is_bad(c.to) || good(c.to))) {
          ++rejected_logged;
          log::get()->warn("dnsbl: {} not listed: {}", c.identity, why);
        }
        continue;
      }
      const bool listed_class = is_bad(c.to) || good(c.to);
      const size_t held_now = classes.size() + wide.size() + v4_count;
      if (auto addr = v4_of(c.identity)) {
        if (v4.empty()) v4.resize(65536);
        auto& bucket = v4[*addr >> 16];
        const auto low = static_cast<uint16_t>(*addr & 0xFFFF);
        auto pos = std::lower_bound(bucket.begin(), bucket.end(), low,
                                    [](const V4& x, uint16_t l) { return x.low < l; });
        const bool known = pos != bucket.end() && pos->low == low;
        if (!listed_class) {
          if (known) {
            v4_text_release(pos->text);
            bucket.erase(pos);
            if (bucket.empty()) std::vector<V4>().swap(bucket);
            --v4_count;
            mark_v4(*addr);
          }
          continue;
        }
        if (!known && held_now >= cfg.max_entries) {
          dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        bool bot = false;
        const uint32_t text = v4_text_ref(reasons_text(c, &bot));
        if (known) {
          v4_text_release(pos->text);
          *pos = {low, c.to, bot, text};
        } else {
          bucket.insert(pos, V4{low, c.to, bot, text});
          ++v4_count;
        }
        mark_v4(*addr);
        continue;
      }
      const std::string key = order_key(shards, c.identity);
      if (!listed_class) {
        if (classes.erase(key) + wide.erase(c.identity)) dirty.insert(c.identity);
        continue;
      }
      const bool known = shards.size() == 1 ? classes.count(key) != 0 : wide.count(c.identity) != 0;
      if (!known && held_now >= cfg.max_entries) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      Auto a{c.to, false, {}};
      a.txt = shared_text(reasons_text(c, &a.bot));
      if (shards.size() == 1)
        classes[key] = std::move(a);
      else
        wide[c.identity] = {std::move(a), std::move(shards)};
      dirty.insert(c.identity);
    }
    ++version;
    cv.notify_all();
  }

  void walk(reputation::Engine& engine) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto walked = reputation::walk_stored_classes(
        engine, stop_seeding,
        [](std::string_view k) {
          return k.starts_with("ip:") || k.starts_with("net:") || k.starts_with("domain:");
        },
        [](SenderClass c) { return is_bad(c) || good(c); },
        [this](std::vector<reputation::ClassChange>& found) {
          std::lock_guard lock(mu);
          apply_locked(found, true);
        },
        [](const std::string& why) { log::get()->warn("dnsbl: seeding from the store: {}", why); });
    {
      std::lock_guard lock(mu);
      seeding = false;
      touched.clear();
    }
    log::get()->info(
        "dnsbl: {} of {} ip/net/domain identities held a class at start ({} ms){}", walked.kept, walked.keys,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
        stop_seeding.load() ? ", stopped early" : "");
  }

  void touch() {
    std::lock_guard lock(mu);
    ++version;
    cv.notify_all();
  }

  static dnsbl::LiveData data_of(std::string_view identity) {
    return identity.starts_with("domain:") ? dnsbl::LiveData::kDomain : dnsbl::LiveData::kIp;
  }
  static std::vector<std::string> shards_of(std::string_view identity, std::string* why) {
    return dnsbl::live_shards(data_of(identity), key_of(identity), why);
  }
  // Shard first, so that the identities of a shard are one range of `classes`.
  static std::string order_key(const std::vector<std::string>& shards, std::string_view identity) {
    return shards.front() + '\0' + std::string(identity);
  }
  // The TXT of a class change: its reasons (code: text; ...), about 400
  // bytes at most; `bot` set when the flow detector found a bot.
  static std::string reasons_text(const reputation::ClassChange& c, bool* bot) {
    std::string txt;
    for (const auto& r : c.reasons) {
      if (r.code == "BOT_DETECTED") *bot = true;
      if (txt.size() < 400) txt += (txt.empty() ? "" : "; ") + r.code + (r.text.empty() ? "" : ": " + r.text);
    }
    return txt;
  }
  static bool family_fits(const std::string& shard, dnsbl::LiveData data) {
    return (shard[0] == 'd') == (data == dnsbl::LiveData::kDomain);
  }

  // What zone `zc` lists for `id`: its class `a` (may be null) and its
  // override `o` (may be null), which wins: block lists in block zones and
  // keeps out of allow zones; allow the reverse; delist keeps out of block
  // zones (an exclusion in IP zones, even inside a listed network).
  static std::optional<dnsbl::LiveEntry> entry_for(const LiveZoneConfig& zc, const std::string& id,
                                                   const Auto* a, const reputation::Override* o,
                                                   const std::string* evidence = nullptr) {
    using reputation::OverrideAction;
    std::string key(key_of(id));
    if (o) {
      if (!zc.allow) {
        if (o->action == OverrideAction::kBlock)
          return dnsbl::LiveEntry{key, manual_code(zc), "listed by hand: " + o->reason};
        if (zc.data == dnsbl::LiveData::kIp) return dnsbl::LiveEntry{key, 0, "", true};
        return std::nullopt;
      }
      if (o->action == OverrideAction::kAllow)
        return dnsbl::LiveEntry{key, manual_code(zc), "allowed by hand: " + o->reason};
      if (o->action == OverrideAction::kBlock) return std::nullopt;
    }
    if (!a || zc.allow != good(a->cls)) return std::nullopt;
    std::string cat(reputation::class_name(a->cls));
    if (!zc.allow && a->bot && zc.codes.count("bot")) cat = "bot";
    auto code = zc.codes.find(cat);
    if (code == zc.codes.end()) return std::nullopt;
    if (a->bot && evidence)
      return dnsbl::LiveEntry{key, code->second, cat + ": flows: " + *evidence + "; " + *a->txt};
    return dnsbl::LiveEntry{key, code->second, cat + ": " + *a->txt};
  }

  // Rebuilds the shards that changed, numbers and publishes the zones.
  // O(changes x shard size): the identities changed since the last build
  // (and the overrides changed) name the shards to write again.
  Result<dnsbl::ZoneSetPtr> build(bool first) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!zones_builder) {
      std::vector<dnsbl::LiveZone> heads;
      for (const auto& zc : cfg.zones) {
        dnsbl::LiveZone z;
        z.apex = zc.name;
        z.data = zc.data;
        z.ttl = cfg.ttl;
        z.ns = cfg.ns;
        z.test_a = zc.codes.begin()->second;
        for (const auto& [cat, a] : zc.codes) z.test_a = std::min(z.test_a, a);
        heads.push_back(std::move(z));
      }
      auto b = dnsbl::LiveBuilder::create(std::move(heads));
      if (!b) return tl::unexpected(b.error());
      zones_builder.emplace(std::move(*b));
    }
    // Overrides: those changed since the last build are changed identities.
    std::map<std::string, reputation::Override> ovs;
    if (overrides)
      for (auto& o : overrides->list()) ovs.emplace(o.identity, std::move(o));
    std::set<std::string> shards;
    std::string why;
    auto mark = [&](const std::string& id) {
      for (auto& sh : shards_of(id, &why)) {
        // A network of the wide shard ("4", "6"): the shards under it hold
        // copies of it, set again after it (held is in shard order).
        if (sh.size() == 1)
          for (size_t i = 0; i < cfg.zones.size(); ++i)
            for (auto& under : zones_builder->shards_under(i, key_of(id))) shards.insert(std::move(under));
        shards.insert(std::move(sh));
      }
    };
    for (const auto& [id, o] : ovs) {
      auto was = last_overrides.find(id);
      if (was == last_overrides.end() || was->second.action != o.action || was->second.reason != o.reason)
        mark(id);
    }
    for (const auto& [id, o] : last_overrides)
      if (!ovs.count(id)) mark(id);
    last_overrides = ovs;
    std::map<std::string, std::vector<const reputation::Override*>> ov_by_shard;
    for (const auto& [id, o] : ovs)
      for (auto& sh : shards_of(id, &why)) ov_by_shard[sh].push_back(&o);
    // The classes of the changed shards, copied under the lock.
    std::map<std::string, std::vector<std::pair<std::string, Auto>>> held;
    std::unordered_map<std::string, std::string> evidence;  // of the held bots
    {
      std::lock_guard lock(mu);
      for (const auto& id : dirty) mark(id);
      dirty.clear();
      for (const uint16_t hi : v4_dirty_list) {
        mark("ip:" + IpAddress::v4(uint32_t{hi} << 16).to_string());
        v4_dirty[hi] = 0;
      }
      std::vector<uint16_t>().swap(v4_dirty_list);
      for (const auto& sh : shards) {
        auto& v = held[sh];
        // IPv4 addresses first (in address order), as when they were in
        // `classes` (the first of equal prefixes wins).
        if (sh.size() == 5 && sh[0] == '4' && !v4.empty()) {
          const uint32_t hi = static_cast<uint32_t>(std::stoul(sh.substr(1), nullptr, 16));
          for (const V4& x : v4[hi])
            v.emplace_back("ip:" + IpAddress::v4(hi << 16 | x.low).to_string(),
                           Auto{x.cls, x.bot, v4_texts[x.text].text});
        }
        const std::string from = sh + '\0', to = sh + '\1';
        for (auto it = classes.lower_bound(from); it != classes.end() && it->first < to; ++it)
          v.emplace_back(it->first.substr(from.size()), it->second);
        for (const auto& [id, w] : wide)
          if (std::find(w.second.begin(), w.second.end(), sh) != w.second.end()) v.emplace_back(id, w.first);
        for (const auto& [id, a] : v)
          if (a.bot)
            if (auto ev = bot_evidence.find(id); ev != bot_evidence.end()) evidence.emplace(id, ev->second);
      }
    }
    dnsbl::LoadReport report;
    for (size_t i = 0; i < cfg.zones.size(); ++i) {
      const LiveZoneConfig& zc = cfg.zones[i];
      for (auto& [sh, ids] : held) {
        if (!family_fits(sh, zc.data)) continue;
        std::vector<dnsbl::LiveEntry> entries;
        std::set<std::string> seen;
        auto ov_it = ov_by_shard.find(sh);
        auto find_ov = [&](const std::string& id) -> const reputation::Override* {
          if (ov_it == ov_by_shard.end()) return nullptr;
          for (const auto* o : ov_it->second)
            if (o->identity == id) return o;
          return nullptr;
        };
        for (const auto& [id, a] : ids) {
          seen.insert(id);
          if (!kind_fits(id, zc.data)) continue;
          auto ev = evidence.find(id);
          if (auto e = entry_for(zc, id, &a, find_ov(id), ev == evidence.end() ? nullptr : &ev->second))
            entries.push_back(std::move(*e));
        }
        if (ov_it != ov_by_shard.end())
          for (const auto* o : ov_it->second)
            if (!seen.count(o->identity) && kind_fits(o->identity, zc.data))
              if (auto e = entry_for(zc, o->identity, nullptr, o)) entries.push_back(std::move(*e));
        zones_builder->set_shard(i, sh, std::move(entries), &report);
      }
    }
    for (size_t i = 0; i < report.warnings.size() && i < 5; ++i)
      log::get()->warn("dnsbl: {}", report.warnings[i]);
    const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
    std::vector<uint32_t> serials;
    for (const auto& zc : cfg.zones) {
      auto f = serial_floor.find(zc.name);
      serials.push_back(f == serial_floor.end() ? now : std::max(now, f->second));
    }
    auto zs = zones_builder->zones(serials);
    auto shard_changes = zones_builder->take_changes();
    std::vector<std::string> changed, problems;
    auto served = xfr->update_live(zs, shard_changes, first ? nullptr : &changed, &problems);
    for (const auto& p : problems) log::get()->warn("dnsbl: {}", p);
    {
      std::lock_guard lock(stats_mu);
      for (size_t i = 0; i < cfg.zones.size(); ++i) listed[cfg.zones[i].name] = zones_builder->listed(i);
    }
    if (first || !changed.empty()) save_serials(*served);
    if (!first) {
      server->set_zones(served);
      for (const auto& apex : changed)
        for (const auto& z : served->zones())
          if (z.apex == apex) {
            log::get()->info("dnsbl: zone {} changed, serial {}", apex, z.soa.serial);
            if (notifier) notifier->changed(z);
          }
    }
    rebuilds.fetch_add(1, std::memory_order_relaxed);
    build_us.store(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - t0)
                                             .count()),
                   std::memory_order_relaxed);
    return served;
  }

  void loop() {
    std::unique_lock lock(mu);
    while (!stop) {
      cv.wait(lock, [this] { return stop || version != built; });
      if (stop) break;
      // Coalesce: at most one rebuild per rebuild_ms.
      const auto next = last_build + std::chrono::milliseconds(cfg.rebuild_ms);
      if (std::chrono::steady_clock::now() < next) {
        cv.wait_until(lock, next, [this] { return stop; });
        if (stop) break;
      }
      const uint64_t v = version;
      lock.unlock();
      auto r = build(false);
      if (!r) log::get()->error("dnsbl: live zones not rebuilt: {}", r.error().message);
      // A rebuild frees the replaced shards and the oldest journal
      // differences, small blocks among live ones that the allocator would
      // otherwise keep (RSS about three times the heap in use after a burst
      // of changes, dnsbl_live_bench): give the free pages back.
      ::malloc_trim(0);
      lock.lock();
      built = v;
      last_build = std::chrono::steady_clock::now();
      cv.notify_all();
    }
  }

  void collect(MetricsWriter& w) {
    auto st = server->stats();
    w.family("rampart_dnsbl_queries_total", "DNSBL queries received, by transport.", MetricType::kCounter);
    w.sample({{"transport", "udp"}}, st.udp_queries);
    w.sample({{"transport", "tcp"}}, st.tcp_queries);
    static const char* kRcode[16] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                     "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "11",
                                     "12",       "13",      "14",       "15"};
    w.family("rampart_dnsbl_responses_total", "DNSBL responses, by rcode.", MetricType::kCounter);
    for (int r = 0; r < 16; ++r)
      if (st.rcodes[r]) w.sample({{"rcode", kRcode[r]}}, st.rcodes[r]);
    w.family("rampart_dnsbl_zone_responses_total", "DNSBL responses, by zone and rcode.",
             MetricType::kCounter);
    for (const auto& [zone, counts] : st.zone_rcodes)
      for (int r = 0; r < 16; ++r)
        if (counts[r]) w.sample({{"zone", zone}, {"rcode", kRcode[r]}}, counts[r]);
    w.family("rampart_dnsbl_rate_limited_total",
             "DNSBL queries over a client's rate (excessive-queries answer).", MetricType::kCounter);
    w.sample({}, st.rate_limited);
    w.family("rampart_dnsbl_dropped_total", "DNSBL queries not answered.", MetricType::kCounter);
    w.sample({}, st.dropped);
    auto zs = server->zones();
    w.family("rampart_dnsbl_zone_serial", "SOA serial of each live zone.", MetricType::kGauge);
    for (const auto& z : zs->zones()) w.sample({{"zone", z.apex}}, static_cast<uint64_t>(z.soa.serial));
    w.family("rampart_dnsbl_member_queries_total", "DNSBL queries per member key.", MetricType::kCounter);
    for (const auto& z : zs->zones())
      if (z.keys)
        for (const auto& [member, n] : z.keys->member_counts())
          w.sample({{"zone", z.apex}, {"member", member}}, n);
    {
      std::lock_guard lock(stats_mu);
      w.family("rampart_dnsbl_zone_entries",
               "Entries listed in each live zone (RFC 5782 test entries aside).", MetricType::kGauge);
      for (const auto& [zone, n] : listed) w.sample({{"zone", zone}}, static_cast<uint64_t>(n));
    }
    w.family("rampart_dnsbl_rebuilds_total", "Live zone rebuilds.", MetricType::kCounter);
    w.sample({}, rebuilds.load());
    w.family("rampart_dnsbl_class_changes_total", "Class changes of ip/net/domain identities seen.",
             MetricType::kCounter);
    w.sample({}, changes.load());
    w.family("rampart_dnsbl_entries_dropped_total", "Class changes dropped: max_entries reached.",
             MetricType::kCounter);
    w.sample({}, dropped.load());
    w.family("rampart_dnsbl_rebuild_microseconds", "Duration of the last rebuild.", MetricType::kGauge);
    w.sample({}, build_us.load());
    const auto& c = xfr->counters();
    w.family("rampart_dnsbl_transfers_total", "Zone transfers answered, by type.", MetricType::kCounter);
    w.sample({{"type", "axfr"}}, c.axfr.load());
    w.sample({{"type", "ixfr"}}, c.ixfr.load());
    w.sample({{"type", "ixfr_full"}}, c.ixfr_full.load());
    w.family("rampart_dnsbl_transfers_refused_total", "Zone transfers refused.", MetricType::kCounter);
    w.sample({}, c.refused.load());
    w.family("rampart_dnsbl_tsig_errors_total", "TSIG errors.", MetricType::kCounter);
    w.sample({}, c.tsig_errors.load());
    if (notifier) {
      w.family("rampart_dnsbl_notify_sent_total", "NOTIFY messages sent.", MetricType::kCounter);
      w.sample({}, notifier->sent());
    }
  }
};

Result<std::unique_ptr<LiveZones>> LiveZones::start(const LiveZonesConfig& cfg,
                                                    std::shared_ptr<reputation::OverrideStore> overrides,
                                                    Metrics* metrics) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->overrides = std::move(overrides);
  dnsbl::XfrOptions xo;
  xo.allow = cfg.xfr_allow;
  xo.keys = cfg.tsig;
  xo.journal = cfg.journal;
  impl->xfr = std::make_shared<dnsbl::Xfr>(xo);
  impl->load_serials();
  auto first = impl->build(true);
  if (!first) return fail(Errc::kConfig, "dnsbl: " + first.error().message);
  dns::DnsblServerOptions so;
  so.listen = cfg.listen;
  so.threads = cfg.threads;
  so.rate_limit = cfg.rate_limit;
  so.xfr = impl->xfr;
  if (metrics) dns::register_answer_histograms(*metrics, so);  // rampart_dns_answer_seconds
  auto srv = dns::DnsblServer::create(so, *first);
  if (!srv) return fail(Errc::kIo, "dnsbl: " + srv.error().message);
  impl->server = std::move(*srv);
  if (!cfg.notify.empty())
    impl->notifier =
        std::make_unique<dns::Notifier>(cfg.notify, cfg.tsig.empty() ? nullptr : &cfg.tsig[0],
                                        [](const std::string& line) { log::get()->info("dnsbl: {}", line); });
  impl->server->start();
  // Secondaries learn of a restart's serials at once (RFC 1996 4.3: a
  // primary may notify at start), not at their next refresh.
  if (impl->notifier)
    for (const auto& z : (*first)->zones()) impl->notifier->changed(z);
  impl->last_build = std::chrono::steady_clock::now();
  Impl* raw = impl.get();
  impl->builder = std::thread([raw] { raw->loop(); });
  std::unique_ptr<LiveZones> lz(new LiveZones(std::move(impl)));
  if (lz->impl_->overrides) {
    std::weak_ptr<Impl> weak = lz->impl_;
    lz->impl_->overrides->set_listener([weak](const reputation::Override&) {
      if (auto s = weak.lock()) s->touch();
    });
  }
  if (metrics) {
    std::weak_ptr<Impl> weak = lz->impl_;
    metrics->collect("dnsbl", [weak](MetricsWriter& w) {
      if (auto s = weak.lock()) s->collect(w);
    });
  }
  const auto ports = lz->ports();
  for (size_t i = 0; i < cfg.listen.size(); ++i) {
    HostPort hp = cfg.listen[i];
    hp.port = ports[i];
    log::get()->info("dnsbl: live zones on {} (udp and tcp)", hp.to_string());
  }
  return lz;
}

LiveZones::LiveZones(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LiveZones::~LiveZones() {
  stop_seed();
  if (impl_->overrides) impl_->overrides->set_listener(nullptr);
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->builder.joinable()) impl_->builder.join();
  impl_->notifier.reset();
  impl_->server->stop();
}

reputation::ClassListener LiveZones::class_listener() {
  std::weak_ptr<Impl> weak = impl_;
  return [weak](std::span<const reputation::ClassChange> cs) {
    if (auto s = weak.lock()) s->on_changes(cs);
  };
}

void LiveZones::seed_from(reputation::Engine& engine) {
  if (!engine.store().thread_safe()) {
    log::get()->warn(
        "dnsbl: the {} store is not thread-safe: the classes held before this start are listed at "
        "their next change",
        engine.store().name());
    return;
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->seeding = true;
  }
  Impl* raw = impl_.get();
  impl_->seeder = std::thread([raw, &engine] { raw->walk(engine); });
}

void LiveZones::stop_seed() {
  impl_->stop_seeding = true;
  if (impl_->seeder.joinable()) impl_->seeder.join();
}

std::vector<uint16_t> LiveZones::ports() const { return impl_->server->ports(); }

void LiveZones::flush() {
  std::unique_lock lock(impl_->mu);
  const uint64_t target = impl_->version;
  impl_->cv.wait(lock, [&] { return impl_->stop || impl_->built >= target; });
}

// ------------------------------------------------------------ HTTP routes

namespace {

// One thread for the override writes (each fsyncs twice): never on a loop.
// Bounded queue; the answer is posted back to the loop that asked.
class OffLoop {
 public:
  OffLoop() : thread_([this] { run(); }) {}
  ~OffLoop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool submit(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    if (stop_ || q_.size() >= 64) return false;
    q_.push_back(std::move(fn));
    cv_.notify_all();
    return true;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !q_.empty(); });
      if (q_.empty()) return;  // stopping, nothing left
      auto fn = std::move(q_.front());
      q_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread thread_;
};

std::string list_json(const char* key, const std::vector<reputation::Override>& v) {
  std::string out = "{\"";
  out += key;
  out += "\": [";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i].to_json();
  return out + "]}";
}

size_t limit_of(const std::string& target) {
  const size_t q = target.find("limit=");
  if (q == std::string::npos) return 100;
  size_t n = 0, i = q + 6;
  while (i < target.size() && target[i] >= '0' && target[i] <= '9' && n < 1000000)
    n = n * 10 + (target[i++] - '0');
  return std::clamp<size_t>(n, 1, 1000);
}

}  // namespace

void LiveZones::set_bot_evidence(const std::string& ip, std::string text) {
  auto& im = *impl_;
  std::lock_guard lock(im.mu);
  const std::string id = "ip:" + ip;
  if (text.empty()) {
    if (im.bot_evidence.erase(id) == 0) return;
  } else {
    if (!im.bot_evidence.count(id) && im.bot_evidence.size() >= im.cfg.max_entries) return;
    if (text.size() > 400) text.resize(400);
    im.bot_evidence[id] = std::move(text);
  }
  im.dirty.insert(id);  // its shard is written again
  ++im.version;
  im.cv.notify_all();
}

void add_override_routes(Router& router, std::shared_ptr<reputation::OverrideStore> store) {
  auto worker = std::make_shared<OffLoop>();
  Router* r = &router;
  router.add("POST", "/v1/overrides", Right::kOverride,
             [store, worker, r](HttpRequest& req, std::string_view, HttpRespond respond) {
               auto parsed = reputation::parse_override_request(req.body);
               if (!parsed) {
                 respond(HttpReply{400, error_json(parsed.error().message)});
                 return;
               }
               std::string who = r->access()->token_name(req);
               if (who.empty()) who = "anonymous";
               Executor* loop = current_executor();
               auto reply = [loop, respond](HttpReply rep) {
                 if (loop)
                   loop->post([respond, rep = std::move(rep)]() mutable { respond(std::move(rep)); });
                 else
                   respond(std::move(rep));
               };
               auto job = [store, req = std::move(*parsed), who, reply]() {
                 auto rec = store->apply(req, who, static_cast<int64_t>(std::time(nullptr)));
                 if (!rec) {
                   const int status = rec.error().code == Errc::kLimit ? 409 : 503;
                   log::get()->error("override {} {}: {}", req.identity,
                                     reputation::override_action_name(req.action), rec.error().message);
                   reply(HttpReply{status, error_json(rec.error().message)});
                   return;
                 }
                 log::get()->info("override: {} {} by {}: {}", rec->identity,
                                  reputation::override_action_name(rec->action), rec->who, rec->reason);
                 reply(HttpReply{200, "{\"override\": " + rec->to_json() + "}"});
               };
               if (!loop) {
                 job();
                 return;
               }
               if (!worker->submit(std::move(job)))
                 respond(HttpReply{503, error_json("too many override writes queued")});
             });
  router.add("GET", "/v1/overrides", Right::kRead,
             [store](HttpRequest&, std::string_view, HttpRespond respond) {
               respond(HttpReply{200, list_json("overrides", store->list())});
             });
  router.add("GET", "/v1/audit", Right::kRead,
             [store](HttpRequest& req, std::string_view, HttpRespond respond) {
               respond(HttpReply{200, list_json("audit", store->audit(limit_of(req.target)))});
             });
}

}  // namespace rampart::server

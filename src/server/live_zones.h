// File: src/server/live_zones.h
// LiveZones: rampartd's own DNSBL/DNSWL zones (issue 14), built from what it
// learns and served by the DNSBL server (src/server/dns) inside rampartd:
//
//   [dnsbl]
//   listen = ["127.0.0.1:5353"]          # absent or empty: no live zones
//   xfr_allow = ["127.0.0.0/8"]          # secondaries that may AXFR/IXFR
//   tsig = ["xfr-key:hmac-sha256:BASE64"]
//   notify = ["127.0.0.1:5300"]          # NOTIFY after each change
//   [[dnsbl.zones]]
//   name = "bl.example"
//   data = "ip"                          # ip: and net: identities; "domain": domain:
//   list = "block"                       # or "allow" (a DNSWL)
//   codes = { spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4", manual = "127.0.0.5" }
//
//   auto cfg = LiveZonesConfig::from(config);                   // Result<>, every error at once
//   auto lz = LiveZones::start(*cfg, overrides, metrics);        // binds, serves
//   store_service.engine().set_class_listener(lz->class_listener());
//   add_override_routes(router, overrides);                      // POST/GET /v1/overrides, GET /v1/audit
//
// Contents: an identity classed spammer or compromised (a bot when its
// reasons hold BOT_DETECTED, the flow detector's finding) is listed in
// each block zone of its data with that category's code and the reasons in
// TXT; bulk and transactional identities in allow zones. Categories
// without a code are not listed. Manual overrides (reputation/overrides.h)
// win: block lists in block zones (code "manual", else the zone's lowest)
// and keeps out of allow zones; allow the reverse; delist keeps out of
// block zones until cleared. The reason is the TXT.
//
// Changes come from class transitions as re-classification decides them
// (Engine::set_class_listener: the hysteresis of the classes is the
// hysteresis of the lists) and from overrides. A builder thread coalesces
// them (at most one rebuild per `rebuild_ms`), writes the zones out
// (dnsbl/live.h), numbers them (dnsbl::Xfr: serial = max(now, previous +
// 1), differences journalled for IXFR, `journal` versions), swaps them into
// the server and sends NOTIFY. Bounded: at most `max_entries` identities
// are kept (more are counted and dropped). A rebuild writes again only the
// shards (dnsbl::LiveBuilder: an IPv4 /16, an IPv6 /32, a domain) that the
// changes touched, and the journal takes their differences: O(changes), not
// O(zone).
//
// DIAGNOSTICS: from() fails with kConfig naming file:line and key (unknown
// keys come from Config::finish): a bad address, CIDR, TSIG key, code, an
// unknown category for the list, a zone without codes, two zones of one
// name. start() fails with kIo when a listen address cannot be bound.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/ip.h"
#include "core/metrics.h"
#include "core/result.h"
#include "dnsbl/live.h"
#include "dnsbl/tsig.h"
#include "reputation/engine.h"
#include "reputation/overrides.h"

namespace rampart::server {

class Router;

struct LiveZoneConfig {
  std::string name;
  dnsbl::LiveData data = dnsbl::LiveData::kIp;
  bool allow = false;                     // list = "allow" (DNSWL)
  std::map<std::string, uint32_t> codes;  // category -> A
};

struct LiveZonesConfig {
  std::vector<HostPort> listen;  // empty: off
  unsigned threads = 1;
  uint32_t ttl = 300;
  std::vector<std::string> ns;
  std::vector<IpPrefix> xfr_allow;
  std::vector<dnsbl::TsigKey> tsig;
  std::vector<HostPort> notify;
  size_t journal = 16;
  unsigned rebuild_ms = 1000;
  size_t max_entries = 1000000;
  double rate_limit = 0;
  std::vector<LiveZoneConfig> zones;
  // Not in the file: rampartd's --data-dir. The serial of each zone is
  // kept in <state_dir>/dnsbl-serials so that a restart never goes back
  // (RFC 1982; secondaries ignore a lower serial). Empty: not kept.
  std::string state_dir;
  bool enabled() const { return !listen.empty(); }
  static Result<LiveZonesConfig> from(const Config& cfg);
};

class LiveZones {
 public:
  static Result<std::unique_ptr<LiveZones>> start(const LiveZonesConfig& cfg,
                                                  std::shared_ptr<reputation::OverrideStore> overrides,
                                                  Metrics* metrics);
  ~LiveZones();  // stops the builder, the notifier and the DNS server
  LiveZones(const LiveZones&) = delete;
  LiveZones& operator=(const LiveZones&) = delete;

  // For Engine::set_class_listener (thread-safe; only records and wakes the builder).
  reputation::ClassListener class_listener();
  // The classes held before this start: a thread of its own walks the
  // store's ip:/net:/domain: keys (Store::for_each_key) and asks their
  // reports in chunks of 512 (Engine::report_many: class with its
  // hysteresis, reasons), listing the bad and good ones; a transition heard
  // meanwhile wins over what the walk finds. Only for a thread-safe store
  // (RocksDB, memory); with another (Redis) it logs that it is skipped.
  // stop_seed() (before the store goes) stops and joins it.
  void seed_from(reputation::Engine& engine);
  void stop_seed();
  // The flow detector's evidence for a bot at `ip` (canonical address), in
  // words: the TXT of its entry in the block zones reads "bot: flows: TEXT;
  // REASONS" while the address is listed as a bot. Empty text forgets it.
  // Thread-safe; wakes the builder. At most max_entries are kept.
  void set_bot_evidence(const std::string& ip, std::string text);
  // The DNS ports bound, one per listen address.
  std::vector<uint16_t> ports() const;
  // Blocks until the zones served reflect every change seen so far (tests, tools).
  void flush();

  struct Impl;

 private:
  explicit LiveZones(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// POST /v1/overrides (override right), GET /v1/overrides and GET /v1/audit
// (read right), over `store` (see src/server/README.md for the JSON).
void add_override_routes(Router& router, std::shared_ptr<reputation::OverrideStore> store);

}  // namespace rampart::server

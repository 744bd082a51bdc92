// File: src/server/exchange_service.h
// ExchangeService: rampartd's side of the private exchange among member
// providers (src/exchange holds the rules; this is the shell around them).
//
//   [exchange]
//   enabled = true
//   group = "/etc/rampart/exchange/group.toml"   # members, keys, rights, revocations
//   self = "A"                                   # this member's name in the group
//   key = "/etc/rampart/exchange/a.key"          # rampart exchange keygen
//   group_key = "/etc/rampart/exchange/group.key"   # optional: blinded items (ip_hmac, url_hmac)
//   listen = "127.0.0.1:11340"                   # mutual TLS 1.3 listener
//   tls_cert = "/etc/rampart/exchange/a.crt"     # this member's certificate (server and client)
//   tls_key = "/etc/rampart/exchange/a.pem"
//   threshold = 1.0                              # sum of trust needed to list
//   fresh_s = 3600                               # reports count fully this long, then
//   half_life_s = 259200                         # decay with this half-life
//   trust = { A = 1.0, B = 0.5, "*" = 0.0 }      # per member; "*" for the rest
//   subscriber_networks = ["10.0.0.0/8"]         # leave only blinded
//   publishable_networks = ["10.9.0.0/16"]       # ... except these (dynamic pools)
//   publish_transitions = true                   # spammer/compromised classes are published
//   pull_interval_ms = 1000
//   timeout_ms = 3000                            # per request to a peer
//   [[exchange.peers]]
//   member = "B"
//   address = "127.0.0.1:11341"
//
//   auto cfg = ExchangeConfig::from(config, data_dir);    // Result<>
//   auto ex = ExchangeService::start(*cfg, metrics);      // loads the group, keys, journal
//   server.listen_exchange(cfg.listen, ex->handler(), ex->tls());
//   ex->set_listing_sink(live_zones->class_listener());   // listings into the live zones
//   engine.set_class_listener(...ex->class_listener()...);
//   add_exchange_routes(router, ex);       // POST /v1/exchange/publish, GET /v1/exchange/listing
//   ex->publish(item, urgent);             // the C++ API for other subsystems (any thread)
//
// Listener (mutual TLS, the member found by its certificate's SHA-256):
//   GET  /v1/exchange/pull?since=N   batches of the journal after position N
//                                    that the member may read now (framed);
//                                    X-Exchange-Next: the position to ask next
//   POST /v1/exchange/push           framed batches, each checked and applied
// A worker thread seals what was published into signed batches and hands
// them to one thread per peer, which pushes them at once and pulls from its
// peer every pull_interval_ms (with a deadline, and exponential backoff up to
// 30 s for a peer that fails): a slow or dead peer delays only itself. What
// is received is applied: Receiver checks, the audit log, the journal (so
// that others can pull it: relaying keeps the origin's signature), the trust
// tally, the listings into the live zones, and reputation events with their
// provenance (set_event_sink, shared_evidence). Every 10 s the tally decays
// (items that decayed to nothing are dropped) and the journal is compacted:
// batches older than max_age_s go (receivers refuse them as stale anyway),
// then the oldest while it is over max_journal_bytes (also checked at each
// append: over the cap, compacted down to 3/4 of it).
// A peer whose position is before what was compacted gets everything kept
// and the header X-Exchange-Compacted: <first position kept> (audited as
// "snapshot"), never a silent gap.
//
// State under <data-dir>/exchange: journal (framed batches, appended,
// rewritten when compacted), journal.base (positions compacted away),
// seqbook, cursors (per peer), audit.log (append-only).
//
// DIAGNOSTICS: from() fails (kConfig) naming the key; start() fails for a
// group file, key or certificate that cannot be read, or a `self` that is not
// a member. A refused batch is logged (warn) with its reason and written to
// the audit log; a peer that cannot be reached is logged once per backoff.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/metrics.h"
#include "core/result.h"
#include "exchange/exchange.h"
#include "reputation/engine.h"
#include "server/http/connection.h"
#include "server/http/tls.h"

namespace rampart::server {

class Router;

struct ExchangeConfig {
  bool enabled = false;
  std::string group, self, key, group_key, listen = "127.0.0.1:11340", tls_cert, tls_key, audit;
  struct Peer {
    std::string member, address;
  };
  std::vector<Peer> peers;
  std::map<std::string, double, std::less<>> trust;
  double threshold = 1.0;
  double half_life_s = 3 * 86400;
  double fresh_s = 3600;
  exchange::OutboundPolicy policy;
  bool publish_transitions = true;
  int64_t pull_interval_ms = 1000, timeout_ms = 3000;
  int64_t max_age_s = 7 * 86400, max_skew_s = 300;
  size_t max_push_bytes = 4u << 20;
  // The journal's size cap: over it, the oldest batches go (a peer behind
  // them catches up from the snapshot, X-Exchange-Compacted).
  size_t max_journal_bytes = size_t{256} << 20;
  // Test-only: every body sent or received by the outbound client is also
  // written here as a file (the plaintext of what crossed the wire).
  std::string debug_dump_dir;
  std::string state_dir;  // <data-dir>/exchange; empty: memory only
  static Result<ExchangeConfig> from(const Config& cfg, const std::string& data_dir);
};

class ExchangeService {
 public:
  static Result<std::unique_ptr<ExchangeService>> start(const ExchangeConfig& cfg, Metrics* metrics);
  ~ExchangeService();  // stops and joins the worker
  ExchangeService(const ExchangeService&) = delete;
  ExchangeService& operator=(const ExchangeService&) = delete;

  HttpHandler* handler();
  std::shared_ptr<TlsContext> tls();
  // Listings and delistings from the exchange, as class changes
  // ("ip:192.0.2.7" compromised with BOT_DETECTED and EXCHANGE reasons).
  void set_listing_sink(reputation::ClassListener sink);
  // Class transitions to spammer/compromised, published (publish_transitions);
  // never a class learned from the members (ClassChange::learned_from): no
  // echo of another member's report as this member's own.
  reputation::ClassListener class_listener();
  // Received items in clear (ip, net, domain) as reputation events with their
  // provenance (type "shared", origin member/seq/time, the origin's trust),
  // handed to `sink` off the lock (any thread; the sink must not block).
  // Set once, before start of traffic.
  void set_event_sink(std::function<void(std::vector<reputation::Event>)> sink);
  // For Engine::set_shared_evidence: what the members reported about an
  // identity, trust-weighted and decayed as the tally weighs it (divided by
  // the threshold: >= 1 lists), naming them. Quick, its own lock.
  reputation::SharedEvidenceFn shared_evidence();
  // Checks the item against the rights and the outbound policy and queues
  // it; `urgent` seals and pushes at once. Any thread.
  Status publish(exchange::Item item, bool urgent = true);
  // All or nothing: every item checked before any is queued; one batch per class.
  Status publish(std::vector<exchange::Item> items, bool urgent = true);
  // Withdraws this member's reports of `items` (all checked first, as
  // publish()): sent as count 0, signed and sequenced like any batch;
  // receivers drop this member's contribution (and delist when nothing else
  // holds it).
  Status retract(std::vector<exchange::Item> items, bool urgent = true);
  // The checks of publish() without queueing.
  Status check(const exchange::Item& item);
  // JSON: {"item":..., "listed":..., "score":..., "reports":[{"member","time","seq","trust"}]}.
  std::string listing_json(const exchange::Item& key);
  Result<exchange::Item> blinded(std::string_view what, exchange::DataClass cls, std::string_view value);
  // JSON for GET /v1/exchange/members and the console's sharing page: every
  // member of the group (rights, revocation) with what it published and read
  // per class from the audit log's tally (exchange::AuditLog::activity(): the
  // log's last 16 MiB read at start, then every line; "since" is the first
  // line counted): {"group", "self", "since", "members": [
  //   {"name", "self", "active", "may_read", "may_write", "refused", "last_refused",
  //    "classes": [{"class", "published_items", "published_batches", "last_published",
  //                 "read_items", "reads", "last_read"}]}]}
  std::string members_json();
  void stop();
  // The rampart_exchange_* families with zeros, when [exchange] is off.
  static void register_idle_metrics(Metrics& metrics);

  struct Impl;

 private:
  explicit ExchangeService(std::shared_ptr<Impl> impl);
  static void register_metrics(Metrics& metrics, std::weak_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// POST /v1/exchange/publish (publish right):
//   {"items": [{"class": "bot_ip", "kind": "ip", "value": "192.0.2.7", "count": 1}], "urgent": true}
//   kinds ip, net, domain, or blind-ip / blind-url / blind-mail (hashed here with the group key);
// POST /v1/exchange/retract (publish right): the same body; withdraws them.
// GET /v1/exchange/listing?item=KIND:VALUE[&class=CLASS] (read right).
// GET /v1/exchange/members (read right): members_json().
void add_exchange_routes(Router& router, ExchangeService* ex);

}  // namespace rampart::server

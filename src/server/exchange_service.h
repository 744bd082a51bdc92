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
// A worker thread seals what was published into signed batches, pushes them
// to every peer at once, pulls from each peer every pull_interval_ms (with a
// deadline, and exponential backoff up to 30 s for a peer that fails), and
// applies what it receives: Receiver checks, the audit log, the journal (so
// that others can pull it: relaying keeps the origin's signature), the
// trust tally, and the listings into the live zones.
//
// State under <data-dir>/exchange: journal (framed batches, append-only),
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
  // Class transitions to spammer/compromised, published (publish_transitions).
  reputation::ClassListener class_listener();
  // Checks the item against the rights and the outbound policy and queues
  // it; `urgent` seals and pushes at once. Any thread.
  Status publish(exchange::Item item, bool urgent = true);
  // All or nothing: every item checked before any is queued; one batch per class.
  Status publish(std::vector<exchange::Item> items, bool urgent = true);
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

  struct Impl;

 private:
  explicit ExchangeService(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// POST /v1/exchange/publish (publish right):
//   {"items": [{"class": "bot_ip", "kind": "ip", "value": "192.0.2.7", "count": 1}], "urgent": true}
//   kinds ip, net, domain, or blind-ip / blind-url / blind-mail (hashed here with the group key);
// GET /v1/exchange/listing?item=KIND:VALUE[&class=CLASS] (read right).
// GET /v1/exchange/members (read right): members_json().
void add_exchange_routes(Router& router, ExchangeService* ex);

}  // namespace rampart::server

// File: src/flows/actions.h
// What a network does about a detected host, as rules it can apply: the
// port-25 policy of RFC 5068 (block or rate-limit outbound 25, exceptions,
// expiry) as an nftables ruleset with timed set elements and as BGP FlowSpec
// (RFC 8955) lines for ExaBGP's API, and the RFC 6561 notification (incident
// JSON, walled-garden list). Pure: strings out, no I/O.
//
//   ActionPolicy pol;                       // ttl, throttle rate, exceptions
//   ActionTable table(pol);
//   table.apply(incident, now_ms);          // add or extend (never shortens)
//   auto released = table.expire(now_ms);   // hosts whose time is up
//   std::string rules = nftables_ruleset(table, pol, now_ms);   // `nft -f -`
//   for (auto& l : exabgp_lines(table.active(), pol, true)) write(exabgp_pipe, l);
//   std::string note = notification_json(incident, *table.find(incident.host), now_ms);
//
// A host on the exception list never gets a block or throttle entry: apply()
// records it as "notify" only. Expiry releases a host that behaved for its
// whole TTL; a fresh incident re-applies it (escalating the TTL x2, capped).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flows/detector.h"

namespace rampart::flows {

struct ActionPolicy {
  int64_t block_ttl_s = 86400;
  int64_t throttle_ttl_s = 21600;
  int64_t notify_ttl_s = 86400;
  int64_t max_ttl_s = 7 * 86400;
  unsigned throttle_per_minute = 10;      // new outbound port-25 connections per host
  uint64_t flowspec_rate_bytes = 12500;   // FlowSpec traffic-rate for throttle (bytes/s)
  std::vector<Prefix> exceptions;         // never blocked or throttled
  std::vector<Prefix> block_all_dynamic;  // optional: block 25 from these prefixes entirely
  std::string table_name = "rampart_port25";
  std::string walled_garden_url = "https://abuse.example.net/remediate";
};

struct ActiveAction {
  IpAddress host;
  Action action = Action::kNotify;
  int64_t since_ms = 0;
  int64_t expires_ms = 0;
  uint64_t incident_id = 0;
  unsigned strikes = 1;  // how many incidents applied it
};

class ActionTable {
 public:
  explicit ActionTable(ActionPolicy p) : policy_(std::move(p)) {}

  // Adds or extends the action for the incident's host; returns it.
  const ActiveAction& apply(const Incident& inc, int64_t now_ms);
  // Removes and returns the actions whose expiry is at or before now_ms.
  std::vector<ActiveAction> expire(int64_t now_ms);
  const ActiveAction* find(const IpAddress& host) const;
  // Ends the host's action now (an operator released it); its strikes stay.
  bool remove(const IpAddress& host);
  std::vector<ActiveAction> active() const;

 private:
  ActionPolicy policy_;
  std::map<std::string, ActiveAction> by_host_;
  std::map<std::string, unsigned> strikes_;  // survives expiry: repeat offenders get longer TTLs
};

// A complete `nft -f` ruleset (table inet <name>, flushed and rebuilt) whose
// set elements carry the remaining time as their timeout.
std::string nftables_ruleset(const ActionTable& t, const ActionPolicy& p, int64_t now_ms);

// ExaBGP API lines ("announce flow route { match { ... } then { ... } }"), one
// per blocked/throttled host; withdraw=true gives the matching withdrawals.
std::vector<std::string> exabgp_lines(const std::vector<ActiveAction>& actions, const ActionPolicy& p,
                                      bool announce);

// RFC 6561 notification: what was seen, what was done, the recommended step.
std::string notification_json(const Incident& inc, const ActiveAction& a, const ActionPolicy& p);

// Walled-garden list: one "ip expires_unix" line per host under notify or block.
std::string walled_garden_list(const ActionTable& t);

}  // namespace rampart::flows

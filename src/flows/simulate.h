// File: src/flows/simulate.h
// A traffic generator for a provider's subscriber population, and the
// CTU-13-style evaluation of the detector on it (per host, per time window:
// TPR, FPR, precision, F1, time to detection).
//
//   SimConfig sc;  sc.seed = 7;  sc.duration_s = 6 * 3600;
//   Simulation sim = simulate(sc);             // hosts with roles + flows in time order
//   EvalReport r = evaluate(sim.flows, sim.truth(), sim.detector_config, 300);
//   std::puts(r.table().c_str());
//
// Population: ordinary users (web, DNS, submission to the provider's relay,
// a few misconfigured clients on 25), small businesses running their own MTA
// (inbound and outbound 25, newsletter bursts; some listed as known mail
// servers, most not; some send-only), NAT gateways aggregating many users,
// and infected hosts: "burst" (Neris-like high fan-out bursts with many
// failed attempts), "slow" (one timer-driven attempt every few minutes to new
// destinations) and "relay" (spam through the provider's own relay on 587).
// Bots turn infected at a random time in the first third of the run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flows/detector.h"
#include "flows/flow.h"

namespace rampart::flows {

enum class HostRole {
  kUser,
  kBusinessMta,
  kNat,
  kBotBurst,
  kBotSlow,
  kBotRelay,
  kBotLowSlow,     // 2-8 port-25 sends an hour, each to a new MX, mostly delivered
  kBotRelayAbuse,  // stolen credentials: bursts of 80-300 submissions an hour
  kNatInfected,    // a NAT gateway with one infected client behind it
};
bool host_role_infected(HostRole r);
std::string_view host_role_name(HostRole r);

struct SimConfig {
  uint64_t seed = 1;
  int64_t start_ms = 1700000000000;
  int64_t duration_s = 6 * 3600;
  size_t users = 300;
  size_t businesses = 16;
  size_t known_businesses = 4;  // of those, listed as known mail servers
  size_t nats = 8;
  size_t bots_burst = 6;
  size_t bots_slow = 6;
  size_t bots_relay = 6;
  // The styles of the blind evaluation (issue 13); 0 in the default population.
  size_t bots_lowslow = 0;
  size_t bots_relay_abuse = 0;
  size_t nats_infected = 0;
  bool relays_known = true;      // the provider's relay is in DetectorConfig::relays
  bool infect_anytime = false;   // infections start anywhere (not only in the first third)
  double infect_at_start = 0.3;  // with infect_anytime: share that starts with the capture
  double cleaned_share = 0;      // share of infections that end before the capture does
  double burst_users = 0;        // share of users who send a legitimate batch now and then
  double nat_flow_gap_s = 20;    // mean gap between one NAT user's background flows
  // People instead of Poisson streams (issue 13, second round): every user,
  // every NAT client and the owner of every infected PC is a person with
  // sessions (diurnal), page loads (DNS + 1-8 connections), always-on chatter,
  // a mail client (IMAP polls, 0.2-8 submissions a day on 587/465, some on 25
  // to the smarthost), P2P clients (many peers, many failures) and a few who
  // relay a message or two a day over 25 to their employer's server. A NAT
  // gateway is nat_clients_min..max such people at half activity.
  bool people = false;
  bool office_hours = false;  // campus/office profile (else evenings and weekends)
  double nat_clients_min = 40, nat_clients_max = 200;
  double relay_gap_min_h = 0.1, relay_gap_max_h = 0.7;  // between relay-abuse bursts
  double mta_new_mx_share = 0.0;  // business MTAs: share of deliveries to brand-new MX hosts
};

// The "tuned" population of issue 13: every style (low-and-slow, relay abuse
// with stolen credentials, NATs with infected clients, infections mid-capture,
// known and unknown MTAs, large NATs), 12 h, no relay configured (as the
// blind evaluation's command line has none).
SimConfig tuned_population(uint64_t seed);
// An ISP access network over 36 h: people at home, CGNAT/business NATs of
// 8-60 clients, infections mostly mid-capture, relay abuse in bursts hours
// apart, more low-and-slow bots (used in the fit, seeds 101-103).
SimConfig isp_population(uint64_t seed);
// Held out (never in the fit): a campus over 24 h, office hours, lab NATs of
// 15-80 clients, half the infections at the start, different mix.
SimConfig campus_population(uint64_t seed);
// Held out (never in the fit): large carrier-grade NATs (100-400 clients
// each, 4 of them with an infected client) among 100 users, 24 h.
SimConfig cgnat_population(uint64_t seed);
// "tuned", "isp", "campus", "cgnat", "default" -> config (nullopt for another name).
std::optional<SimConfig> population(std::string_view name, uint64_t seed);

struct SimHost {
  IpAddress ip;
  HostRole role = HostRole::kUser;
  bool known_mail_server = false;
  int64_t infected_from_ms = -1;   // bots: when the infection started
  int64_t infected_until_ms = -1;  // when it ended (-1: lasts to the end)
};

// Ground truth: when (if ever) a host is infected.
struct Truth {
  std::map<std::string, int64_t> infected_from_ms;   // ip text -> first malicious ms
  std::map<std::string, int64_t> infected_until_ms;  // ip text -> end of the infection (absent: none)
  std::map<std::string, HostRole> roles;             // ip text -> role (simulations only)
  bool infected_at(const IpAddress& ip, int64_t t_ms) const;
};

struct Simulation {
  std::vector<SimHost> hosts;
  std::vector<Flow> flows;  // sorted by start time
  DetectorConfig detector_config;
  Truth truth() const;
};

Simulation simulate(const SimConfig& c);

struct EvalReport {
  uint64_t tp = 0, fp = 0, tn = 0, fn = 0;  // host-windows
  double tpr() const;
  double fpr() const;
  double precision() const;
  double f1() const;
  size_t bots = 0, bots_detected = 0;
  double mean_ttd_s = 0, max_ttd_s = 0, median_ttd_s = 0, p90_ttd_s = 0;
  std::map<std::string, std::array<size_t, 3>> hosts_by_role;  // role -> hosts, detected, within 4 h
  size_t legit_flagged = 0;                  // users, MTAs and NATs (not infected) with any incident
  std::vector<std::string> legit_incidents;  // "role incident-json" of each, to see why
  size_t incidents = 0;
  size_t mail_servers_flagged = 0;                         // legitimate MTAs with any incident
  size_t mail_servers_blocked = 0;                         // ... with action block
  std::map<std::string, std::array<uint64_t, 4>> by_role;  // role -> tp, fp, tn, fn
  std::string table() const;
};

// Runs the detector over the flows and scores every (subscriber host, window)
// with at least one flow from it: positive when the host is infected in that
// window, predicted positive when the window overlaps [first_seen, last_seen]
// of one of its incidents (as bench/blind/score_flows.py scores). Time to
// detection is from the infection to the incident's opening (stream time).
EvalReport evaluate(const std::vector<Flow>& flows, const Truth& truth, const DetectorConfig& cfg,
                    int64_t window_s);

}  // namespace rampart::flows

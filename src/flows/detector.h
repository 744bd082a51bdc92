// File: src/flows/detector.h
// Detector: finds spam-sending (zombie) hosts in a provider's own subscriber
// space from flow records, per host, in sliding windows; opens, updates and
// closes incidents that carry a score and the evidence behind it.
//
//   DetectorConfig cfg;
//   cfg.subscribers.push_back({*Prefix::parse("100.64.0.0/16"), SubscriberKind::kDynamic});
//   cfg.mail_servers.push_back(*Prefix::parse("100.64.9.25/32"));   // never scored
//   Detector det(cfg);
//   for (const Flow& f : flows_in_time_order) det.observe(f);
//   det.finish();                                   // closes what is still open
//   for (const Incident& i : det.take_closed()) print(incident_json(i));
//
// Features per host, over three time scales: the short window (cfg.window_s,
// default 300 s, in buckets of a tenth), the long window (cfg.long_window_s,
// 3600 s) and 24 hourly buckets (6 h and 24 h sums):
// - port 25: flows, distinct destinations and how often they repeat (fan-out),
//   failed attempts (SYN-only or reset), destinations never used before by
//   this host (novelty, over 1 h and 6 h, and the share of novel ones), the
//   volume per hour, regularity of the send times;
// - submission (587/465, or 25 to a configured relay): count in the window
//   and the hour, distinct submission servers in the hour, and the excess over
//   the host's own submission share of its traffic in earlier hours (a NAT
//   gateway's many users submit a lot, in proportion to its traffic);
// - SMTP share of the host's flows, the host's traffic per hour (NAT scale),
//   inbound SMTP over 24 h (a host that receives mail on 25 is an MTA).
// These are combined by a logistic model (kFeatureNames, weights fitted
// offline by `flows_eval --fit` on the labelled simulations of simulate.h):
// score = 2 * P(infected), so the default threshold 1.0 is P = 0.5. The
// evidence keeps each feature's contribution to the log-odds by name. An
// incident opens when the score reaches cfg.threshold and closes after
// cfg.release_after_s without another window at or above it; a confirmed one
// (score >= confirm_threshold, persistent evidence, or a repeat within a day)
// holds the host flagged for hold_s (hold_slow_s when its evidence never came
// in bursts), following its every flow. Submissions also count port 25 to a
// smarthost learnt from the traffic (shared_relay_sources), and are measured
// against the host's own usual and its estimated clients (NAT gateways).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/ip.h"
#include "core/result.h"
#include "flows/flow.h"

namespace rampart::flows {

struct Prefix {
  IpAddress net;
  unsigned len = 32;
  static Result<Prefix> parse(std::string_view text);  // "192.0.2.0/24", "2001:db8::/32", "192.0.2.7"
  bool contains(const IpAddress& ip) const { return ip.matches(net, len); }
  std::string to_string() const;
};

// "a/n,b/m" -> prefixes; error names the bad element.
Result<std::vector<Prefix>> parse_prefix_list(std::string_view csv);

enum class SubscriberKind { kDynamic, kStatic, kBusiness };
std::string_view subscriber_kind_name(SubscriberKind k);

enum class Action { kNotify, kThrottle, kBlock };
std::string_view action_name(Action a);

// The logistic model's inputs, in order (kFeatureNames).
inline constexpr size_t kFeatures = 20;
extern const std::array<const char*, kFeatures> kFeatureNames;
// The built-in weights (fitted by `flows_eval --fit`).
const std::array<double, kFeatures>& default_weights();

// The second model, for bots that need not send mail: unanswered fan-out in
// the short window (kProbeFeatureNames: bias, log(1 + the most distinct
// destinations of failed TCP attempts on one port), log(1 + the most
// unanswered flows to one destination), log(1 + distinct destinations of
// unanswered UDP flows)). Scans, floods and P2P bursts; weights fitted by
// bench/flows_probe_fit.py on labelled populations.
inline constexpr size_t kProbeFeatures = 4;
extern const std::array<const char*, kProbeFeatures> kProbeFeatureNames;
const std::array<double, kProbeFeatures>& default_probe_weights();

struct DetectorConfig {
  struct Subscribers {
    Prefix prefix;
    SubscriberKind kind = SubscriberKind::kDynamic;
  };
  std::vector<Subscribers> subscribers;
  std::vector<Prefix> mail_servers;  // legitimate MTAs inside the network: never scored
  std::vector<Prefix> relays;        // the provider's own submission relays / smarthosts
  // A port-25 destination that this many distinct subscriber hosts reach
  // (delivered sessions) is a smarthost too, learnt from the traffic (0: off).
  // Only hosts with at most two port-25 destinations so far count (an MTA or
  // a bot reaching the big providers' MX hosts soon has more), and only
  // delivered sessions.
  uint32_t shared_relay_sources = 12;
  std::vector<Prefix> exceptions;  // scored, but only ever notified (RFC 5068 exceptions)
  int64_t window_s = 300;
  int64_t long_window_s = 3600;
  int64_t release_after_s = 7200;  // low-and-slow bots send every 10-30 min
  double threshold = 1.0;
  double block_threshold = 1.6;
  // An incident whose score reached confirm_threshold is confirmed: the host
  // stays flagged (last_seen follows its every flow, mail or not) until
  // hold_s pass without a score at or above threshold. Bots that send in
  // bursts hours apart (relay abuse, campaigns) stay infected in between.
  double confirm_threshold = 1.6;
  int64_t hold_s = 8 * 3600;
  // A confirmed incident whose evidence never came in bursts (at most
  // burst_mail_per_hour mail flows in an hour: a low-and-slow bot, which
  // sends every few minutes) is held only hold_slow_s: quiet for that long,
  // it was most likely cleaned.
  int64_t hold_slow_s = 3 * 3600;
  // Persistent evidence confirms too: an incident whose score reached the
  // threshold in confirm_windows separate windows over at least
  // confirm_span_s (a low-and-slow bot behind a NAT, never far above it).
  uint32_t confirm_windows = 3;
  int64_t confirm_span_s = 1800;
  // A host whose new incident opens within repeat_within_s of the close of
  // its previous one is confirmed at once (0: never).
  int64_t repeat_within_s = 24 * 3600;
  uint32_t burst_mail_per_hour = 40;
  // Destinations of confirmed bots (the C&C pivot): a destination (not mail)
  // whose subscriber contacts hold at least cc_min_bots hosts with a confirmed
  // mail or probe incident, far more than the share of such hosts in the whole
  // population predicts (Poisson tail <= cc_max_p) and at least cc_min_share
  // of them (people's popular sites hold a few bots too), is a suspected command
  // server; a host that contacts suspected servers in cc_min_hours distinct
  // hours of the last six is flagged (notified only). 0 cc_min_bots: off.
  uint32_t cc_min_bots = 2;
  double cc_max_p = 1e-5;
  double cc_min_share = 0.2;  // ... and bots are at least this share of its contacts
  uint32_t cc_min_hours = 3;
  // A lone beacon (HTTPS C&C with no other bot of the network to pivot from):
  // a destination (answered TCP to 80, 443, 8080 or 8443) that no other
  // subscriber host has reached, which this host reached in
  // beacon_dst_hours distinct clock hours of the last beacon_span_h. A host
  // whose contacts with such destinations fall in beacon_min_hours distinct
  // hours of the last beacon_span_h, in at least kBeaconSessions sessions
  // whose gaps vary by at most beacon_max_cv (standard deviation / mean), is
  // flagged (notified only). 0 beacon_min_hours: off.
  uint32_t beacon_min_hours = 4;
  uint32_t beacon_dst_hours = 4;
  uint32_t beacon_span_h = 6;
  double beacon_max_cv = 0.25;
  // Submission servers count by provider network (many_providers): a
  // provider's pool of addresses lies in one /16 (IPv6 /32), so twenty of its
  // addresses are one provider. 32 / 128: by address.
  unsigned provider_prefix_v4 = 16;
  unsigned provider_prefix_v6 = 32;
  // Credential stuffing against IMAP/POP: a 10-minute slot of the last hour
  // with at least this many IMAP/POP sessions, plus 2 per client (from the
  // host's flows) and 6 times the host's usual per slot, to 2 or more provider
  // networks, flags the host (notified). 0: off.
  uint32_t login_burst_min = 70;
  size_t max_hosts = 1 << 20;  // tracked hosts; beyond it new hosts are not tracked
  std::array<double, kFeatures> weights = default_weights();  // the model (flows_eval --fit tries others)
  std::array<double, kProbeFeatures> probe_weights = default_probe_weights();  // the unanswered fan-out model

  // Reads [flows.detector] from a TOML config: subscribers_dynamic = [..],
  // subscribers_static, subscribers_business, mail_servers, relays, exceptions,
  // window_s, long_window_s, release_after_s, threshold, block_threshold,
  // confirm_threshold, hold_s, hold_slow_s, burst_mail_per_hour,
  // confirm_windows, confirm_span_s, repeat_within_s, shared_relay_sources,
  // cc_min_bots, cc_max_p, cc_min_share, cc_min_hours, beacon_min_hours,
  // beacon_dst_hours, beacon_span_h, beacon_max_cv, provider_prefix_v4,
  // provider_prefix_v6, login_burst_min, and the probe model's weights
  // (probe_bias, probe_scan, probe_flood, probe_udp).
  static Result<DetectorConfig> from_config(const Config& c);
};

struct Evidence {
  uint32_t smtp_flows = 0;                  // outbound TCP/25 in the window
  uint32_t distinct_dst25 = 0;              // distinct destinations on 25 in the window
  double failed_ratio = 0;                  // failed / smtp flows (window, or long window when few)
  double smtp_share = 0;                    // SMTP flows / all flows of the host in the window
  uint32_t new_dst25_long = 0;              // never-seen port-25 destinations in the long window
  uint32_t submissions = 0;                 // 587/465 or to a relay, in the window
  double regularity = 0;                    // 1 - coefficient of variation of send gaps (0..1)
  uint32_t inbound_smtp_long = 0;           // connections received on 25 in the long window
  uint32_t new_dst25_6h = 0;                // never-seen port-25 destinations in the last 6 hours
  double novelty_6h = 0;                    // new_dst25_6h / port-25 flows in 6 h
  uint32_t submissions_1h = 0;              // submissions in the long window
  uint32_t submissions_trimmed_1h = 0;      // without its two busiest 10-min slots, times 1.5 (batches gone)
  uint32_t submission_burst_hours = 0;      // hours of the last 24 with 20 + 3x the usual submissions
  double submission_excess = 0;             // z-score of submissions_1h over the host's usual share
  uint32_t submission_servers = 0;          // distinct submission destinations in the long window
  uint32_t submission_networks = 0;         // ... the provider networks (/16, IPv6 /32) they lie in
  uint32_t submission_networks_unread = 0;  // ... of them, where the host reads no mail (IMAP/POP)
  uint32_t login_peak = 0;                  // most IMAP/POP sessions in a 10-min slot of the long window
  double login_usual_hour = 0;              // the host's usual IMAP/POP sessions an hour (median, 2-24 h ago)
  uint32_t login_networks = 0;              // provider networks of its IMAP/POP servers in the long window
  uint32_t flows_1h = 0;                    // all flows of the host in the long window
  uint32_t mail_polls_1h = 0;               // IMAP/POP connections in the long window (mail clients)
  double clients = 1;                       // people behind the address: max(1, polls/8, flows/600) an hour
  uint32_t sustained_slots = 0;          // 10-min slots of the hour with submissions above the host's usual
  uint32_t submissions_24h = 0;          // submissions in the last 24 hourly buckets
  uint32_t submissions_refused_24h = 0;  // ... of them refused or reset (SYN only, RST)
  double credential_factor = 1;          // credential_factor(submissions_24h, submissions_refused_24h)
  uint32_t inbound_smtp_24h = 0;         // SMTP connections received in the last 24 hourly buckets
  uint32_t smtp_24h = 0;                 // port-25 flows sent in the last 24 hourly buckets
  double mail_exchange = 0;   // inbound SMTP an hour / max(outbound an hour over 24 h, this hour's)
  double mail_exchanger = 0;  // 0..1: how far the port-25 terms are discounted (an MTA's exchange)
  // Unanswered fan-out in the short window (this one or the one before), not port 25 or submission:
  uint32_t scan_dsts = 0;    // most distinct destinations of failed TCP attempts on one port
  uint16_t scan_port = 0;    // that port
  uint32_t flood_flows = 0;  // most unanswered flows (failed TCP, UDP/ICMP without reply) to one destination
  uint32_t udp_unanswered = 0;  // distinct destinations of UDP flows without reply (bidirectional sources)
  double probe_score = 0;       // 2 * P(infected) of the unanswered fan-out model
  // The C&C pivot: contacts with suspected command servers (destinations of confirmed bots).
  uint32_t cc_hours = 0;     // hours of the last six with such a contact
  uint32_t cc_servers = 0;   // distinct suspected servers contacted in six hours
  uint32_t cc_bots = 0;      // most confirmed bots among one such server's contacts
  uint32_t cc_contacts = 0;  // ... of how many subscriber hosts (a sample of at most 64)
  double cc_p = 1;           // the Poisson tail of that many bots by chance (smallest)
  // Lone beacons: destinations no other subscriber host reached, come back to in distinct hours.
  uint32_t beacon_hours = 0;      // hours of the last beacon_span_h with a contact to such a destination
  uint32_t beacon_servers = 0;    // such destinations (each reached in beacon_dst_hours of those hours)
  uint32_t beacon_dst_hours = 0;  // most distinct hours of one of them
  uint32_t beacon_sessions = 0;   // sessions with them (contacts 10 s apart or more) in the span
  double beacon_cv = 0;           // the gaps' standard deviation / mean
  double score = 0;               // 2 * P(infected) of the logistic model
  std::map<std::string, double> terms;  // each feature's contribution to the log-odds, by name
};

struct Incident {
  uint64_t id = 0;
  IpAddress host;
  SubscriberKind kind = SubscriberKind::kDynamic;
  int64_t first_seen_ms = 0;      // first flow of the window that opened it
  int64_t last_seen_ms = 0;       // last flow at which the score was at or above threshold, or (confirmed)
                                  // the host's last flow while the incident was open
  int64_t last_evidence_ms = 0;   // last flow at which the score was at or above threshold
  bool confirmed = false;         // the score reached confirm_threshold (held for hold_s)
  uint32_t peak_mail_1h = 0;      // most mail flows (port 25 + submission) in an hour at its evidence
  uint32_t evidence_windows = 0;  // windows (window_s apart) in which the score reached the threshold
  int64_t first_evidence_ms = 0;
  bool repeat = false;       // opened within repeat_within_s of the host's previous incident
  bool probing = false;      // the unanswered fan-out model (scans, floods, P2P) reached the threshold:
                             // burst evidence, held hold_s like a mail burst
  bool login_burst = false;  // credential stuffing against IMAP/POP (login_burst_min): burst evidence,
                             // held hold_s like a mail burst
  bool cc_only = true;       // no mail or probe evidence reached the threshold (only the C&C pivot did):
                             // such a host never makes a destination suspect itself
  int64_t opened_ms = 0;     // stream time the incident opened (time to detection)
  double score = 0;          // highest score
  Evidence evidence;         // evidence at the highest score
  Action action = Action::kNotify;
  bool exception = false;
  bool open = true;
};

// P(X >= k) for X ~ Poisson(lambda) (the C&C pivot's test; 1 when k <= lambda).
double poisson_tail(double lambda, uint32_t k);

// Relay abuse with stolen credentials: a share of the logins of a bought or
// phished account list is refused (stale passwords, locked accounts). At
// least kStaleCredentials of them, by assumption (set by hand, not fitted).
inline constexpr double kStaleCredentials = 0.02;
// A login session (submission, IMAP, POP) that was refused: never accepted
// (SYN only, reset before any reply), reset by either side, or one in which
// the client sent fewer than kRefusedLoginBytes (greeting, TLS handshake and
// AUTH, no message: a submission that carried mail sent more).
inline constexpr uint64_t kRefusedLoginBytes = 1500;
bool refused_login(const Flow& f);
// How far `submissions` of which `refused` were refused may be relay abuse:
// min(1, 2 P(X <= refused)), X ~ Poisson(kStaleCredentials * submissions).
// 1 when the refusals reach the expected count; towards 0 for a sender whose
// hundreds of submissions were all accepted (its own stored password). The
// submission features of the mail model are multiplied by it.
double credential_factor(uint64_t submissions, uint64_t refused);

// {"host":..,"first_seen":..,"last_seen":..,"score":..,"evidence":{..},"action":".."}
std::string incident_json(const Incident& i);

class Detector {
 public:
  explicit Detector(DetectorConfig cfg);
  ~Detector();

  // Flows must come in (roughly) non-decreasing start time.
  void observe(const Flow& f);
  // Closes incidents that have been quiet for release_after_s at stream time now_ms.
  void advance(int64_t now_ms);
  void finish();  // closes every open incident at the last stream time

  std::vector<Incident> take_closed();
  const std::unordered_map<std::string, Incident>& open_incidents() const;
  // Is an incident open for the host right now?
  bool flagged(const IpAddress& host) const;
  int64_t now_ms() const { return now_ms_; }
  size_t tracked_hosts() const;
  uint64_t flows_seen() const { return flows_; }

  // Subscriber kind of an address, or nullopt when it is not a subscriber.
  std::optional<SubscriberKind> subscriber_kind(const IpAddress& ip) const;

  // For fitting the model (bench/flows_eval --fit): called with the feature
  // vector at every scored flow (host, stream time, x).
  using FeatureSink = std::function<void(const IpAddress&, int64_t, const std::array<double, kFeatures>&)>;
  void set_feature_sink(FeatureSink sink) { sink_ = std::move(sink); }

 private:
  struct Host;
  // Hosts are keyed by the address's 16 bytes and family (no string per flow).
  struct HostKey {
    uint64_t hi = 0, lo = 0;
    bool v4 = true;
    bool operator==(const HostKey& o) const { return hi == o.hi && lo == o.lo && v4 == o.v4; }
  };
  struct HostKeyHash {
    size_t operator()(const HostKey& k) const;
  };
  static HostKey host_key(const IpAddress& ip);
  Host* host_for(const IpAddress& ip, SubscriberKind kind);
  // mail: called for a port-25 or submission flow (the mail model's feature
  // sink sees only those); otherwise for an unanswered flow (probe model).
  void score(Host& h, const IpAddress& ip, int64_t t_ms, int64_t flow_start_ms, bool mail);
  // Counts an unanswered flow (failed TCP attempt, UDP or ICMP without reply)
  // in the host's short-window fan-out; true when the probe model's log-odds
  // come near the threshold (worth scoring).
  bool note_unanswered(Host& h, const Flow& f, int64_t t_ms);
  // The probe model's inputs (kProbeFeatureNames) and log-odds at t_ms.
  // gated: below the model's minimum evidence (no incident from it).
  double probe_z(const Host& h, int64_t t_ms, std::array<double, kProbeFeatures>& x, Evidence* e,
                 bool& gated) const;

  DetectorConfig cfg_;
  FeatureSink sink_;
  // Is this port-25 destination the provider's smarthost? One that at
  // least shared_relay_sources distinct subscriber hosts send to (successful
  // sessions), counting only hosts that use at most two port-25
  // destinations in all (a person's mail client, not an MTA or a bot), is
  // treated as a configured relay: port 25 to it is submission.
  bool shared_relay(const Flow& f, uint64_t src_hash, bool eligible);
  // The provider network a mail server lies in (provider_prefix_v4/_v6), hashed.
  uint64_t provider_network(const IpAddress& ip) const;
  std::unordered_map<HostKey, std::unique_ptr<Host>, HostKeyHash> hosts_;
  struct RelaySources {
    std::array<uint64_t, 16> src{};
    uint8_t n = 0;
  };
  std::unordered_map<uint64_t, RelaySources> relay_sources_;  // port-25 destination -> distinct subscribers
  // The C&C pivot. Per destination (not mail), the first kCcSample distinct
  // subscriber hosts that reached it (answered flows), and the confirmed bots
  // among them (recounted when the set of bots changed, at most once a minute).
  struct Contacts {
    std::vector<uint64_t> hosts;
    // Every distinct contact sets one bit (linear counting): the
    // destination's popularity beyond the sample. A popular destination's
    // first contacts are the busiest hosts, bots among them.
    std::array<uint64_t, 8> seen{};
    uint64_t epoch = 0;
    int64_t counted_ms = -(int64_t{1} << 60);
    int64_t last_ms = 0;
    uint32_t bots = 0, contacts = 0;
    double p = 1;
    bool suspect = false;
    // Clock hours with a contact: bit i is hour `hour0 - i` (lone beacons).
    int64_t hour0 = -1;
    uint64_t hour_bits = 0;
    // One subscriber host in all so far (the sample and the linear count).
    bool lone() const;
    void note_hour(int64_t t_ms);
    // Distinct hours with a contact among the `span` ending at hour `now_h`.
    uint32_t hours_within(int64_t now_h, uint32_t span) const;
  };
  // A destination reached by a subscriber host: is it a suspected C&C server?
  const Contacts* note_contact(uint64_t dst, uint64_t src_hash, int64_t t);
  void note_bot(uint64_t src_hash, int64_t t);
  // A contact of `h` with `dst` (entry `c`): a lone beacon candidate? Scores
  // the host when the destination has come back in beacon_dst_hours hours.
  void note_beacon(Host& h, const IpAddress& ip, uint64_t dst, const Contacts& c, int64_t t,
                   int64_t flow_start_ms);
  std::unordered_map<uint64_t, Contacts> contacts_;
  std::unordered_map<uint64_t, int64_t> bots_;  // host -> last time it held a confirmed mail/probe incident
  uint64_t bot_epoch_ = 1;
  int64_t last_cc_sweep_ms_ = 0;
  size_t active_hosts_ = 0, active_bots_ = 0;  // hosts with a flow in the last hour, bots among them
  // Distinct destinations (not mail) each hour, summed over the last 24 h and
  // over the tracked hosts, and over the bots among them: the bots' share of
  // all contacts, the pivot's base rate (counted at each sweep).
  double reach_all_ = 0, reach_bots_ = 0;
  std::unordered_map<std::string, Incident> open_;
  std::vector<Incident> closed_;
  int64_t now_ms_ = 0;
  int64_t last_sweep_ms_ = 0;
  uint64_t flows_ = 0;
  uint64_t next_id_ = 1;
  uint64_t udp_flows_ = 0, udp_answered_ = 0;  // bidirectional UDP records, and those with a reply
};

}  // namespace rampart::flows

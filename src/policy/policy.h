// File: src/policy/policy.h
// The scan pipeline: named checks, each bound to an SMTP stage, add symbols
// (name, score, reason) to a message's ScanState; thresholds and forced
// outcomes turn the state into a Verdict (accept, add header, quarantine,
// tempfail, reject) with its SMTP reply and the headers to add.
//
//   auto cfg = policy::PolicyConfig::from(config);            // Result<PolicyConfig>
//   auto pipe = policy::Pipeline::create(*cfg, resolver, clock, throttle);
//   auto st = std::make_shared<policy::ScanState>();
//   st->env.ip = *IpAddress::parse("192.0.2.1"); st->env.has_ip = true;
//   pipe->run(policy::Stage::kConnect, st, [&] { ... });   // async, once
//   ... kHelo, kMail, kRcpt ...
//   st->set_message(raw_rfc5322_message);
//   pipe->run(policy::Stage::kData, st, [&] {
//     policy::Verdict v = pipe->verdict(*st);
//     v.action; v.smtp_reply; v.authentication_results; v.x_rampart;
//   });
//   policy::Verdict v = pipe->scan_sync(st);                 // all stages, CLI/tests
//
// Checks are plug-ins (class Check): a check runs once per stage for a
// message, may look things up over dns::Resolver, and calls done() exactly
// once. Within a stage checks run concurrently by wave: wave 0 first, then
// wave 1 (DMARC needs the SPF and DKIM results of earlier waves/stages).
//
// DIAGNOSTICS: a check that cannot decide for a temporary reason (DNS
// timeout, SERVFAIL, an internal error) calls ScanState::tempfail(); the
// verdict is then tempfail (451 4.7.x) unless a check forced a reject from a
// definitive result. Internal errors never accept and never reject.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authres/authres.h"
#include "auth/dkim/dkim.h"
#include "auth/spf/spf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/ip.h"
#include "core/result.h"
#include "dns/resolver.h"
#include "mime/header.h"

namespace rampart::policy {

enum class Stage : uint8_t { kConnect, kHelo, kMail, kRcpt, kData };
std::string_view stage_name(Stage s);
Result<Stage> parse_stage(std::string_view s);

enum class Action : uint8_t { kAccept, kAddHeader, kQuarantine, kTempfail, kReject };
std::string_view action_name(Action a);  // "accept", "add_header", "quarantine", "tempfail", "reject"

struct Symbol {
  std::string name;
  double score = 0;
  std::string reason;
  std::string check;      // the check that added it ("spf"); ScanState::add fills it
  bool tempfail = false;  // added by ScanState::tempfail()
};

// The SMTP envelope as the MTA reports it.
struct Envelope {
  IpAddress ip;
  bool has_ip = false;      // false for a local (unix socket) or unknown client
  std::string client_name;  // the MTA's idea of the client's name (may be "unknown")
  std::string helo;
  std::string mail_from;  // without <>; empty for the null sender
  std::vector<std::string> rcpts;
  std::string auth_user;  // SASL login ({auth_authen}, X-Auth-User); empty when not authenticated
  std::string queue_id;
};

// Everything known about one message (or, before MAIL, one connection).
struct ScanState {
  Envelope env;
  std::vector<Symbol> symbols;
  std::vector<authres::ResInfo> auth;  // Authentication-Results entries, in order
  // Forced outcomes (a definitive result of a check, or a throttle).
  std::optional<Action> forced;
  std::string forced_reply;  // "550 5.7.1 ..." / "451 4.7.1 ..."
  std::string forced_by;
  // An authenticated submission (env.auth_user set): judged as outbound
  // mail. Checks that judge inbound mail (Check::inbound_only) do not run,
  // and what they found before the login was known (connect, HELO) is
  // dropped when the pipeline sees it (Pipeline::run).
  bool outbound = false;
  // A scan that only looks (POST /v1/scan?look_only=1, the console's Scan
  // page): the verdict as for real mail, but no reputation event is recorded
  // (test scans do not change real data).
  bool look_only = false;
  bool temp_failed = false;
  std::string tempfail_reason;
  // Filled by checks for later ones.
  std::optional<spf::Outcome> spf;
  std::string rdns_name;  // verified client name (FCrDNS), empty if none
  struct DkimSummary {
    dkim::Verdict result = dkim::Verdict::kPermError;
    std::string domain, selector;
  };
  std::vector<DkimSummary> dkim;
  // The message (data stage).
  std::string message;
  mime::HeaderSection headers;
  bool too_large = false;  // message over max_scan_bytes: content checks skipped
  // Body hashes (body_hash_requests()) computed by the receiver over the
  // whole body while it streamed in (the milter, once the body passes
  // max_scan_bytes): DKIM and ARC verify with them instead of hashing
  // `message`, which is then cut.
  // Unset: `message` holds the whole body (or DKIM cannot be checked).
  std::optional<std::vector<dkim::PrecomputedBodyHash>> body_hashes;

  void set_message(std::string msg);
  void add(std::string_view check, std::string name, double score, std::string reason);
  // A temporary failure: the verdict becomes tempfail. Symbol LABEL_TEMPFAIL;
  // `check` names the check (default: LABEL lower-cased).
  void tempfail(std::string_view label, std::string reason, std::string_view check = {});
  // Forces an outcome; a reject outranks a tempfail, which outranks
  // quarantine, which outranks add_header (a floor: at least marked).
  void force(Action a, std::string reply, std::string_view check);
  double score() const;
  // The score without the symbols of these checks (the evidence independent of them).
  double score_without(std::initializer_list<std::string_view> checks) const;
  std::string mail_from_domain() const;  // domain of MAIL FROM, else the HELO name
  // The id that ties this message's log lines together (log::MessageScope:
  // JSON logs' "id"): the MTA's queue id once known, else one generated on
  // first use (log::new_message_id). A state copied for a new message must
  // clear generated_id.
  const std::string& log_id() const;
  mutable std::string generated_id;
};

// The body hashes the checks need for a message they will not hold whole
// (DKIM signatures, and ARC-Message-Signatures when ARC is built): one per
// distinct (canonicalization, hash, l=), at most 20. A receiver that stops
// buffering at max_scan_bytes feeds the body to one dkim::BodyHasher each
// and hands the results over in ScanState::body_hashes.
std::vector<dkim::BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers);

struct CheckCounters {
  std::atomic<uint64_t> runs{0}, hits{0}, tempfails{0};
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string_view name() const = 0;
  virtual Stage stage() const = 0;
  virtual int wave() const { return 0; }
  // Judges inbound mail only (SPF, DKIM, DMARC, FCrDNS ...): skipped for an
  // authenticated submission (ScanState::outbound).
  virtual bool inbound_only() const { return false; }
  // Must call done() exactly once (possibly before returning). `s` stays
  // alive until then.
  virtual void run(const std::shared_ptr<ScanState>& s, std::function<void()> done) = 0;
  CheckCounters& counters() { return counters_; }

 private:
  CheckCounters counters_;
};

struct DnsblZone {
  std::string zone;    // "zen.spamhaus.org"
  std::string symbol;  // "RBL_ZEN"; default from the zone
  double weight = 3.0;
};

// Token bucket parameters: `rate` tokens per minute, `burst` bucket size.
struct RateLimit {
  bool enabled = true;
  double per_minute = 60;
  double burst = 120;
};

// The score of every symbol, in one table: [scores] SYMBOL = value, as rspamd
// operators write it. Every symbol a built-in check adds has an entry (with
// its default, builtin_scores()); a configured DNSBL zone adds its symbol
// (its weight); an unknown name in [scores] is a configuration error.
struct SymbolScore {
  std::string_view name;
  double score;
  std::string_view what;  // one line, for the documentation and --print-config
};
std::span<const SymbolScore> builtin_scores();

class Scores {
 public:
  Scores();  // the built-in defaults
  // The score of `symbol`; 0 for one without an entry (tempfail and
  // informational symbols such as RDNS_TEMPFAIL).
  double operator()(std::string_view symbol) const;
  bool known(std::string_view symbol) const { return m_.count(symbol) != 0; }
  void set(std::string_view symbol, double score) { m_[std::string(symbol)] = score; }
  const std::map<std::string, double, std::less<>>& all() const { return m_; }

 private:
  std::map<std::string, double, std::less<>> m_;
};

struct PolicyConfig {
  std::string authserv_id;  // default: the host name
  // Thresholds on the total score.
  double add_header_score = 5.0;
  double quarantine_score = 10.0;
  double reject_score = 15.0;
  bool dns_tempfail = true;           // temporary DNS failures of auth checks tempfail the message
  bool dnsbl_tempfail = false;        // temporary failures of DNSBL lookups tempfail too
  size_t max_scan_bytes = 10u << 20;  // larger messages: content checks skipped
  // Checks (enabled flags and weights).
  bool spf = true, senderid = true, dkim = true, dmarc = true, fcrdns = true, header_sanity = true;
  bool arc = true;               // when src/auth/arc is built (HAVE_RAMPART_ARC)
  bool dmarc_reject = true;      // honour p=reject with 550 5.7.1
  bool dmarc_quarantine = true;  // honour p=quarantine
  bool spf_reject = false;       // reject SPF fail outright (else a score)
  Scores scores;                 // [scores]
  // Authenticated submissions ([policy.submission]): more recipients than
  // this in one message is a sign of a compromised account.
  int64_t submission_max_rcpts = 50;
  std::vector<DnsblZone> dnsbl_ip;
  std::vector<DnsblZone> dnsbl_domain;
  // Throttling (per message, at MAIL FROM).
  RateLimit per_ip{true, 120, 240};
  RateLimit per_net{true, 600, 1200};           // per /24 (IPv4) or /64 (IPv6)
  RateLimit per_sender_domain{true, 120, 240};  // authenticated senders only
  RateLimit per_sasl_user{true, 60, 120};
  std::vector<IpPrefix> throttle_exempt;  // networks never throttled
  // [throttle] shared: the buckets live in the reputation store's Redis
  // Cluster (rampartd; several nodes, one limit). Unset: shared exactly
  // when the store is redis. A backend call that fails or takes longer
  // than shared_timeout_ms is answered by the node's local bucket (fail
  // open), and the local buckets answer for shared_fallback_ms after it.
  std::optional<bool> throttle_shared;
  int64_t throttle_shared_timeout_ms = 100;
  int64_t throttle_shared_fallback_ms = 1000;

  // Reads [policy] (and its check tables, [[policy.dnsbl.*]]) and [throttle];
  // missing keys: defaults; every error of these sections at once.
  static Result<PolicyConfig> from(const Config& cfg);
};

// rampartd's resolver: [dns] (the listeners, limits and loops, [server],
// are server::ServerOptions). Command-line options reach it as
// Config::set_string() overrides.
struct DaemonConfig {
  std::vector<HostPort> nameservers;  // empty: /etc/resolv.conf; port 53 by default
  int64_t dns_timeout_ms = 3000;
  int64_t dns_cache_entries = 100000;

  static Result<DaemonConfig> from(const Config& cfg);
};

// The documented default configuration (TOML), as --print-default-config prints it.
std::string_view default_config_text();

struct Verdict {
  Action action = Action::kTempfail;
  double score = 0;
  std::vector<Symbol> symbols;
  std::string smtp_reply;              // "550 5.7.1 ..." for reject/tempfail, else empty
  std::string authentication_results;  // field value (no name)
  std::string x_rampart;               // field value
  std::string reason;
};

class Throttle;

class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  static std::shared_ptr<Pipeline> create(const PolicyConfig& cfg, dns::Resolver& resolver,
                                          const Clock& clock, std::shared_ptr<Throttle> throttle);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Adds a check (plug-in); call before the first run().
  void add(std::unique_ptr<Check> check);
  void run(Stage stage, const std::shared_ptr<ScanState>& s, std::function<void()> done);
  Verdict verdict(const ScanState& s) const;
  // All stages, driving the resolver until done (CLI, tests).
  Verdict scan_sync(const std::shared_ptr<ScanState>& s);

  const PolicyConfig& config() const { return cfg_; }
  const std::vector<std::unique_ptr<Check>>& checks() const { return checks_; }
  dns::Resolver& resolver() { return resolver_; }

 private:
  Pipeline(const PolicyConfig& cfg, dns::Resolver& resolver, const Clock& clock);
  void run_wave(Stage stage, int wave, const std::shared_ptr<ScanState>& s, std::function<void()> done);
  // env.auth_user seen: outbound from now on (see ScanState::outbound).
  void become_outbound(ScanState& s) const;

  PolicyConfig cfg_;
  dns::Resolver& resolver_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Check>> checks_;
};

}  // namespace rampart::policy

// File: src/policy/config.cc
// PolicyConfig from TOML, and the documented default configuration that
// `rampartd --print-default-config` prints. The defaults in policy.h and
// the text below must agree (policy_test checks it).
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/strings.h"
#include "policy/policy.h"

namespace rampart::policy {

namespace {

constexpr std::string_view kDefaultConfig =
    R"(# rampartd configuration (TOML). Every key is optional; shown are the defaults.

[server]
# Milter listener for Postfix/Sendmail: smtpd_milters = inet:127.0.0.1:11332
milter = "127.0.0.1:11332"
# HTTP API (POST /v1/scan, GET /healthz, GET /metrics); empty to disable.
http = "127.0.0.1:11334"
# Seconds a message may wait for its checks before it is tempfailed.
scan_timeout_s = 20
# Seconds SIGTERM waits for open milter connections before exiting.
drain_timeout_s = 30
# Connection caps (docs/design.md "Connections and limits"): per listener
# (max_connections is the default of both) and per client address.
max_connections = 1000
# milter_max_connections = 1000
# milter_max_per_address = 1000     # Postfix: every smtpd process from one address
# http_max_connections = 1000
http_max_per_address = 100
# Absolute deadlines: request headers from their first byte, the body from
# the end of the headers; between kept-alive requests; a milter connection
# with nothing to do (keep it above Postfix's smtpd_timeout, 300 s).
http_header_timeout_s = 10
http_body_timeout_s = 60
http_idle_timeout_s = 60
milter_idle_timeout_s = 600
# Event loops (threads), each with its own connections, resolver and share
# of the DNS cache; connections are handed to them in turn. 0: one per core.
loops = 0

# HTTP API tokens: POST /v1/learn, /v1/events and /v1/reports need one (they
# answer 403 while none is configured); once one is, every /v1/ endpoint
# does. `rampart token new NAME --rights scan,read` prints a token and these lines.
# [[http.tokens]]
# name = "desk"
# sha256 = "<hex SHA-256 of the token>"
# rights = ["scan", "read", "learn", "events", "reports", "override", "calls", "publish", "admin"]
# rate = 500        # requests per second (optional): past it 429 + Retry-After
# burst = 1000      # requests at once (default: one second's worth)

# Live DNSBL/DNSWL zones from rampartd's own classes (src/server/live_zones.h):
# off until `listen` is set. Manual listings: POST /v1/overrides (right
# "override"); GET /v1/overrides and /v1/audit (read). Applied at start only.
[dnsbl]
listen = []                                     # ["127.0.0.1:5353"]: UDP and TCP
threads = 1                                     # threads of the DNS server
ttl = 300                                       # of every answer
ns = []                                         # NS names of the zones ("ns1.example.org")
xfr_allow = []                                  # secondaries (AXFR/IXFR over TCP): ["192.0.2.53/32"]
tsig = []                                       # ["xfr-key:hmac-sha256:<base64>"]: transfers signed with one
notify = []                                     # ["192.0.2.53:53"]: NOTIFY after each change
rebuild_ms = 1000                               # changes coalesced this long at most
journal = 16                                    # versions of differences kept for IXFR
max_entries = 1000000                           # identities listed at most (more are counted, dropped)
rate_limit = 0                                  # queries a second per client address; 0: no limit
# [[dnsbl.zones]]
# name = "bl.example.org"
# data = "ip"                                   # ip: and net: identities; "domain" for domain:
# list = "block"                                # or "allow" (a DNSWL: bulk, transactional, manual)
# codes = { spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4", manual = "127.0.0.5" }

# Calls (src/server/calls_api.h): POST /v1/calls (right "calls") answers a SIP
# proxy per INVITE (deploy/kamailio): STIR/SHAKEN and the caller's pattern.
[calls]
enabled = false
# The STI-CA list (PEM): needed when enabled.
trust_anchors = ""
# An extra CA the x5u servers may chain to (besides the system's).
https_ca = ""
# The whole certificate fetch, then 436 (tagged or rejected as stir_failed says).
x5u_timeout_ms = 800
# A failed Identity: "tag" (verstat and prefix) or "reject" (its RFC 8224 code).
stir_failed = "tag"
# Digit prefixes of our own numbers: arriving from outside, they are spoofed.
own_ranges = []
# One of them arriving from outside: "tag" (it may be a number ported out to
# another network, its subscriber calling in) or "block" (603) when none is.
own_ranges_action = "tag"
# Interconnects on which every call from outside carries an Identity ("*": all
# of them): there a spoofed-looking caller ID (ours, a neighbour wave) without
# one is refused (603), as one whose Identity failed is on any interconnect.
stir_expected_trunks = []
# Numbers in national form ("07700 900123"): the country code that makes them
# E.164 ("44"); empty: such caller IDs are not judged valid or invalid.
country_code = ""
national_prefix = "0"
international_prefix = "00"
# The caller-name prefix of a tagged call.
tag_prefix = "Spam? "
# Toll fraud (International Revenue Share Fraud) by our own callers (a hacked
# PBX, stolen SIP credentials), per caller over the last 600 s. International:
# a callee outside country_code, else outside the country all own_ranges share.
# Distinct international callees that tag (when at least toll_share of the
# caller's calls and above toll_history_factor times its own earlier rate).
toll_tag_destinations = 10
# ... that block (603); from toll_tag_destinations on, two signs block too.
toll_block_destinations = 20
# The share of the caller's calls in the window that go abroad.
toll_share = 0.5
# A sign: this many country codes among the callees.
toll_countries = 3
# A sign: two answered international calls of this many seconds or more.
toll_long_call_s = 180
# Not flagged within this many times the caller's own earlier international rate.
toll_history_factor = 4
# A block bars the caller's international calls (not domestic) this long.
toll_bar_s = 86400
# Local time (minutes east of UTC): night (22-06 h) or the weekend is a sign.
utc_offset_min = 0
# From our side, one source (/24, /64: a customer's PBX or hosted dialer)
# presenting this many caller IDs outside own_ranges in 600 s, half its calls
# or more, with a robocall sign: those calls are blocked.
cli_foreign_min = 10
# Call patterns (src/channels/calls.h; every count over the last 600 s):
# a caller with this many ended calls and no ratio sign is judged healthy
# (volume alone then tags, never blocks).
judge_min_ended = 10
# Answered calls this long are conversations (a call centre's low answer
# rate with conversations tags; a known caller is let through a flood).
conversation_s = 30
# A source (trunk, /24, /64) sending this many invalid caller IDs with the
# same defect, and invalid ones at least invalid_cli_source_share of its
# calls: those calls are blocked (alone they are tagged; N11 codes always).
invalid_cli_source_min = 10
invalid_cli_source_share = 0.1
# Neighbour spoofing: a caller ID equal to the callee's number but for its
# last neighbour_free_digits; to neighbour_wave_min callees from one source:
# tagged.
neighbour_free_digits = 5
neighbour_wave_min = 10
# Wangiri: calls from one foreign country code to wangiri_callees callees,
# under wangiri_asr answered: tagged; a caller of it that rang two others
# unanswered: blocked.
wangiri_callees = 10
wangiri_asr = 0.1
# Toll fraud over an own number block: blocked from a source with this many
# international calls (the others tagged).
toll_source_min = 3
# TDoS: tdos_calls calls from outside at one number, most unanswered, from
# tdos_distinct_share distinct caller IDs: calls from a source that sent
# tdos_source_min of them are blocked (but for known callers), others tagged.
tdos_calls = 100
tdos_distinct_share = 0.8
tdos_source_min = 20
# Calls waiting for the worker, then 503.
max_queue = 1024
# The call patterns (attempts in the window, incidents) survive a restart in
# this file, written every state_interval_s and at stop; "" (the default
# without --data-dir): kept in memory only. Default: <data dir>/calls.state.
# state_file = "/var/lib/rampart/calls.state"
# Seconds between two writes of the state file (also written at stop).
state_interval_s = 60

# SMS and instant messages (src/server/messages_api.h): POST /v1/messages and
# /v1/messages/batch (right "scan"), POST /v1/messages/complaints (right
# "events": report spam, GSMA 7726 forwards; the text trains the content
# model as spam) and POST /v1/messages/notspam (right "events"; trains ham).
[messages]
enabled = true
# The window of each sender's and each text's recent history (seconds).
window_s = 3600
# Requests waiting for the worker, then 503.
max_queue = 4096
# The senders' windows, complaints, texts and reported URLs and numbers
# survive a restart in this file (default: <data dir>/messages.state).
# state_file = "/var/lib/rampart/messages.state"
# Seconds between two writes of the state file (also written at stop).
state_interval_s = 60
# The SMS content model (src/channels/README.md: seed it with `rampart
# classify train --channel sms --format tsv`). A missing file starts a fresh
# model (no content symbol until min_learned); a refused one is logged and
# the verdicts go without the content symbol. "" turns the content check off.
# model = "/var/lib/rampart/sms.model"   # default: <data-dir>/sms.model; none without
# im_model = ""                          # the IM model; "": the SMS model serves IM too
# SMS_CONTENT_SPAM / IM_CONTENT_SPAM score up to content_spam (scaled from
# P(spam) above the threshold), *_CONTENT_HAM take off up to content_ham;
# they add to the other symbols before the action (tag at 4, block at 8).
content_spam = 5.0    # the most SMS_CONTENT_SPAM / IM_CONTENT_SPAM score (P(spam) = 1)
content_ham = 1.0     # the most SMS_CONTENT_HAM / IM_CONTENT_HAM take off (P(spam) = 0)
min_learned = 50      # no content symbol until the model has learned this many texts
save_interval_s = 300 # a model that learned is saved at most this often, and at SIGTERM

# The private exchange among member providers (src/exchange/README.md):
# signed batches over mutual TLS 1.3, rights per data class, listings
# weighted by trust into the live zones. POST /v1/exchange/publish needs the
# right "publish"; GET /v1/exchange/listing "read".
[exchange]
enabled = false
# group = "/etc/rampart/exchange/group.toml"    # rampart exchange group init / member add
# self = "A"                                    # this member's name in the group
# key = "/etc/rampart/exchange/a.key"           # rampart exchange keygen
# group_key = "/etc/rampart/exchange/group.key" # HMAC key of blinded items (blind-ip ...)
listen = "127.0.0.1:11340"
# tls_cert = "/etc/rampart/exchange/a.crt"      # pinned by SHA-256 in the group file
# tls_key = "/etc/rampart/exchange/a.pem"
# audit = "/var/lib/rampart/exchange/audit.log" # default: <data-dir>/exchange/audit.log
threshold = 1.0
fresh_s = 3600
half_life_s = 259200
publish_transitions = true
pull_interval_ms = 1000
timeout_ms = 3000
max_age_s = 604800
max_journal_bytes = 268435456
max_skew_s = 300
max_push_bytes = 4194304
subscriber_networks = []
publishable_networks = []
# trust = { B = 1.0, C = 0.5, "*" = 0.0 }
# [[exchange.peers]]
# member = "B"
# address = "198.51.100.20:11340"

# The web console (src/console): per-user accounts (`rampart user add NAME
# --role viewer|operator|admin`), on loopback unless TLS is configured.
[console]
enabled = false
listen = "127.0.0.1:11335"                      # off loopback only with tls_cert and tls_key
# tls_cert = "/etc/rampart/console.crt"         # PEM; with tls_key the console speaks TLS
# tls_key = "/etc/rampart/console.key"
assets = "/usr/share/rampart/web"               # the page bundle (build/web in a build tree)
# users = "/var/lib/rampart/console/users"      # default: <--data-dir>/console/users
# history = "/var/lib/rampart/console/history"  # default: <--data-dir>/console/history; none without
# senders = "/var/lib/rampart/console/senders"  # daily counters per sender (Senders plot), as history
hosts = []                                      # further Host values answered (behind a proxy)
sample_s = 10                                   # seconds between history samples (1-60)
session_idle_s = 1800                           # a session ends this long after its last use
session_max_s = 43200                           # and this long after login
max_sessions = 1000                             # the oldest-used session goes beyond
login_max_failures = 5                          # failed logins per address or user name
login_window_s = 900                            # within this window lock it until the window ends

# rampartd's log (stderr: the journal under systemd). --log-level sets the
# level; SIGUSR1 makes it one step more verbose, SIGUSR2 one step less.
[log]
format = "text"                                 # or "json": one object a line, with the message's "id"

[dns]
# Empty: the servers of /etc/resolv.conf. "ADDR" or "ADDR:PORT".
nameservers = []
timeout_ms = 3000
cache_entries = 100000

[policy]
# authserv-id of Authentication-Results (RFC 8601); default: the host name.
# authserv_id = "mx.example.org"
add_header_score = 5.0
quarantine_score = 10.0
reject_score = 15.0
# A temporary DNS failure of SPF, DKIM, DMARC or Sender ID tempfails the
# message (451 4.7.1); never a silent pass. FCrDNS only notes it
# (RDNS_TEMPFAIL, iprev=temperror): a reverse zone that does not answer
# never holds mail.
dns_tempfail = true
# DNSBL outages do not stop mail unless this is set.
dnsbl_tempfail = false
max_scan_bytes = 10485760

# Authenticated submissions (SASL: the milter's {auth_authen}, the HTTP API's
# X-Auth-User) are judged as outbound mail: no SPF, Sender ID, DKIM, ARC,
# DMARC, FCrDNS or DNSBL; the user's and the sender domain's rate limits
# ([throttle.sasl_user], [throttle.sender_domain]), content, reputation, and
# the signs of a compromised account (SUBMISSION_* in [scores]).
[policy.submission]
max_rcpts = 50        # more recipients in one message: SUBMISSION_MANY_RCPTS

[policy.spf]
enabled = true
reject = false        # true: SPF fail is rejected (550 5.7.23) without looking further

[policy.senderid]
enabled = true

[policy.dkim]
enabled = true

# With a DMARC record the DMARC symbol stands for the SPF, DKIM and Sender ID
# results it is made of (theirs count 0). The domain's policy is honoured:
# p=none never rejects on DMARC alone; p=quarantine quarantines unless the
# evidence other than SPF/DKIM/DMARC reaches reject_score.
[policy.dmarc]
enabled = true
reject = true         # honour p=reject: 550 5.7.1
quarantine = true     # honour p=quarantine

[policy.arc]          # RFC 8617 chain validation (informational: no DMARC override yet)
enabled = true

[policy.fcrdns]
enabled = true

[policy.header_sanity]
enabled = true

# DNSBL zones for the client IP and for domains (MAIL FROM, From), e.g.:
# [[policy.dnsbl.ip]]
# zone = "zen.spamhaus.org"
# symbol = "RBL_SPAMHAUS_ZEN"
# weight = 4.0
# [[policy.dnsbl.domain]]
# zone = "dbl.spamhaus.org"
# weight = 3.0

# Token buckets, checked at MAIL FROM: per_minute refills, burst is the
# bucket size. Over the limit: 451 4.7.1 with the reason.
[throttle]
exempt = []           # CIDRs never throttled, e.g. ["10.0.0.0/8"]
# Buckets shared by every rampartd node in the Redis Cluster of the
# reputation store (one limit for the cluster, not one per node). Default:
# shared when [reputation] store = "redis", else each node counts alone.
# shared = true
# A Redis call slower than this, or failing, is answered by the node's own
# bucket (fail open, counted in rampart_throttle_shared_errors_total), and
# the node's buckets answer alone for shared_fallback_ms after that.
shared_timeout_ms = 100
shared_fallback_ms = 1000
[throttle.ip]
enabled = true
per_minute = 120.0
burst = 240.0
[throttle.net]        # per /24 (IPv4) or /64 (IPv6)
enabled = true
per_minute = 600.0
burst = 1200.0
[throttle.sender_domain]   # authenticated senders only
enabled = true
per_minute = 120.0
burst = 240.0
[throttle.sasl_user]       # {auth_authen}: outbound, compromised accounts
enabled = true
per_minute = 60.0
burst = 120.0

# Reputation of the verified sender identities (src/reputation): every
# scanned message is recorded as an event; the classes of its identities
# become the symbols REP_SPAMMER, REP_COMPROMISED, REP_BULK_OK,
# REP_TRANSACTIONAL. POST /v1/reports takes ARF complaints.
[reputation]
enabled = true
# "memory", "rocksdb" (DATA_DIR/reputation) or "redis" (Redis Cluster).
# Default: rocksdb when rampartd is given --data-dir, else memory.
# store = "rocksdb"
sync = true           # rocksdb: fsync the write-ahead log for every write (batch)
resident = true       # rocksdb: counters in memory (~100 B per identity), RocksDB their journal
# redis_seeds = ["127.0.0.1:7000"]
# redis_wait_replicas = 1          # redis: replicas holding a write before it is acknowledged
# redis_retry_deadline_ms = 5000   # redis: how long a call retries through a failover; set it
#                                  # above the cluster's cluster-node-timeout to ride out failovers
# Redis down (at start or later): rampartd runs on; calls fail at once for a
# backoff (1 s doubling to 30 s) with REP_UNAVAILABLE, scan events stay queued.
# A store error never rejects: it adds REP_UNAVAILABLE (score 0), or with
# tempfail = true answers 451 4.7.1.
tempfail = false
# Scanned messages' events are written in batches, every flush_ms or once
# flush_events wait (one store write and, with rocksdb, one fsync each), so
# no message waits for the disk; 0 writes each as it is scanned. An event
# still queued when rampartd is killed (-9) is lost: mail never is.
flush_ms = 100
flush_events = 512
max_pending = 100000  # the store failing: the oldest queued events are dropped past this
# The store runs on threads of its own (reputation::StoreService): a scan
# waits for its reputation lookup at most lookup_timeout_ms, then goes on
# with REP_UNAVAILABLE. On SIGTERM queued events get drain_ms to be written;
# the rest is spooled to <data-dir>/spool and applied once at the next start.
lookup_timeout_ms = 200
drain_ms = 5000
# ARF reports (POST /v1/reports, reports_maildir): a complete original's
# DKIM is verified again; Authentication-Results of these authserv-ids
# (besides our own) are trusted in the originals for the rest.
trusted_authserv_ids = []
# A Maildir where feedback reports arrive (e.g. Postfix delivering the
# fbl@ mailbox): rampartd reads new/ every reports_poll_ms, moves accepted
# reports to cur/ and refused ones to rejected/ (with NAME.reason); a store
# error leaves the report in new/ for the next poll.
# reports_maildir = "/var/lib/rampart/fbl"
reports_poll_ms = 2000
# Spam traps: a scanned message to one of these records a trap event on its
# sender identities and gets REP_TRAP_HIT ([scores]).
trap_addresses = []   # e.g. ["trap1@example.net"]
trap_domains = []     # e.g. ["traps.example.net"]: every address there
# Class thresholds (see src/reputation/classify.h and README).
bulk_daily_volume = 5000.0
min_volume = 20.0
complaint_good = 0.001
complaint_bad = 0.01
min_complaints = 5.0
trap_hits = 3.0
trap_rate = 0.0005
bounce_bad = 0.1
min_bounces = 10.0
spam_verdict_bad = 0.5
min_spam_verdicts = 10.0
no_fcrdns_volume = 0.0
auth_share = 0.95
one_click_share = 0.9
good_history_hours = 72.0
bot_hits_bad = 1.0
spike_factor = 4.0
bad_hold_hours = 720.0
complaint_lag_hours = 6.0
# The sender model (classify.h "model_*"): P(bad) and P(good) cut-offs and
# the volume it needs before it judges.
model_bad = 0.9
model_good = 0.5
model_min_volume = 5.0
model_min_behaviour = 1.0
# Positive evidence for bulk and transactional (src/reputation/README.md
# "Good: earned by positive evidence").
good_min_hours = 120.0
good_volume = 150.0
transactional_volume = 500.0
dmarc_good = 0.8
aligned_good = 0.8
fcrdns_good = 0.9
one_click_bulk = 0.5
min_unsubscribes = 3.0
unsubscribe_bulk = 0.0002
# Senders with fewer than few_max_volume recipients a month are judged by
# the few-message model (README "Few messages") only when a configuration
# sign is against them; few_bad = 1 turns it off.
few_max_volume = 30.0
few_bad = 0.9

# Content classifier (src/classify). Without a model the check is off; a
# missing file starts a fresh model, a corrupt one is refused (logged, the
# check stays off; on SIGHUP the old model stays). POST /v1/learn (X-Label:
# spam|ham) teaches it; it is saved to the same path atomically every
# save_interval_s while learning, and on SIGTERM.
[classify]
# model = "/var/lib/rampart/email.model"
# CONTENT_SPAM / CONTENT_HAM ([scores]): scaled from P(spam) around the threshold.
min_learned = 50      # no symbol until the model has learned this many messages
save_interval_s = 300

# Complaint reports to other networks (src/reports/README.md): when a
# subscriber reports a message as spam (POST /v1/learn, X-Label: spam), an
# ARF report (RFC 5965) with the recipient redacted (RFC 6590) goes to the
# message's RFC 9477 CFBL-Address (when DKIM earns it) and to the contacts
# below, through the MTA at `relay`. Never for filtering decisions.
[reports]
enabled = false
# from = "abuse-reports@isp.example"   # the reports' From and envelope sender (required)
relay = "127.0.0.1:25"                 # the provider's MTA (ADDR:PORT), which delivers
# helo = ""                            # default: the host name
# reporting_mta = ""                   # Reporting-MTA; default: the host name
timeout_ms = 30000                     # one SMTP transaction
# redact_secret_file = ""              # HMAC key of the redaction; default <data-dir>/reports.secret
# dkim_key = "/etc/rampart/reports.key" # sign reports (RFC 9477 reports need it)
# dkim_domain = "isp.example"
# dkim_selector = "reports"
cfbl = true                            # honour CFBL-Address (RFC 9477)
own_domains = []                       # subscribers' domains: their addresses are redacted (empty: all)
include_body = false                   # the original's header section only
per_destination_per_hour = 20
total_per_hour = 1000
dedup_hours = 24                       # one report per message and destination
queue = 1000                           # complaints waiting; past it they are dropped and counted
attempts = 3                           # tries when the relay fails temporarily
# [[reports.contacts]]                 # a network (CIDR) or a domain (verified DKIM d=)
# match = "198.51.100.0/24"
# address = "abuse@net.example"

# The bot detector inside rampartd (src/server/flow_service.h): NetFlow v5/v9
# and IPFIX received on `listen` (UDP) feed the flow detector on a thread of
# its own; each incident gets an action (throttle, block or notify: an RFC
# 6561 notification), becomes a reputation "bot" event and, with [dnsbl],
# carries its evidence in the bot TXT. GET /v1/incidents (right "read"),
# POST /v1/incidents/ID/release and /extend (right "override", audited);
# the console's Zombies page. Off while listen is empty.
[flows]
listen = ""                  # "ADDR:PORT", e.g. "[::]:2055"
exporters = []               # CIDRs that may send; empty: loopback only
max_exporters = 64
max_hosts = 100000           # hosts the detector tracks (about 10 KB each)
max_incidents = 10000        # incidents kept; released and expired ones go first
notify_file = ""             # RFC 6561 notifications, one JSON line each
notify_webhook = ""          # "http(s)://HOST[:PORT]/PATH": each notification POSTed
notify_ca = ""               # PEM CA file for an https webhook (default: the system's)
block_ttl_s = 86400          # how long an action lasts (repeat offenders: doubled, up to max_ttl_s)
throttle_ttl_s = 21600
notify_ttl_s = 86400
max_ttl_s = 604800
throttle_per_minute = 10
walled_garden_url = "https://abuse.example.net/remediate"

[flows.detector]             # src/flows/detector.h; only hosts inside these prefixes are scored
subscribers_dynamic = []
subscribers_static = []
subscribers_business = []
mail_servers = []            # the network's own MTAs: never scored
relays = []                  # its smarthosts and submission relays
exceptions = []              # scored, but only ever notified
threshold = 1.0
block_threshold = 1.6
)";

// [[policy.dnsbl.ip]] / [[policy.dnsbl.domain]]: zone, symbol, weight (the
// symbol's default score; [scores] may set it too).
std::vector<DnsblZone> zones(Section& sec, std::string_view key) {
  std::vector<DnsblZone> out;
  for (Section t : sec.tables(key)) {
    DnsblZone z;
    z.zone = to_lower(t.string("zone", ""));
    while (!z.zone.empty() && z.zone.back() == '.') z.zone.pop_back();
    if (z.zone.empty() || z.zone.find_first_of(" \t/@") != std::string::npos)
      t.invalid("zone", "expected a DNS zone (\"zen.spamhaus.org\")");
    z.weight = t.number("weight", 3.0, -100, 100);
    z.symbol = t.string("symbol", "");
    // A symbol is a name in X-Rampart, in Authentication-Results reasons, in
    // metrics labels and a key of [scores]: letters, digits and '_' only.
    if (!z.symbol.empty() &&
        (z.symbol.size() > 64 ||
         z.symbol.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
             std::string::npos)) {
      t.invalid("symbol", "a symbol is 1-64 letters, digits or '_' (\"DNSBL_ZEN\")");
      z.symbol.clear();
    }
    if (z.symbol.empty()) {
      z.symbol = "DNSBL_";
      for (char c : z.zone) z.symbol.push_back(is_alnum(c) ? static_cast<char>(c & ~0x20) : '_');
    }
    out.push_back(std::move(z));
  }
  return out;
}

// [throttle.X]: enabled, per_minute (tokens refilled per minute), burst (bucket size).
RateLimit rate(Section& throttle, std::string_view key, RateLimit d) {
  Section t = throttle.table(key);
  d.enabled = t.boolean("enabled", d.enabled);
  d.per_minute = t.number("per_minute", d.per_minute, 0, 1e9);
  if (!(d.per_minute > 0)) t.invalid("per_minute", "must be > 0 (tokens refilled per minute)");
  d.burst = t.number("burst", d.burst, 1, 1e9);
  return d;
}

// Scores used to be keys of the check tables; say where they went.
void moved_scores(const Config& cfg) {
  struct Old {
    const char* table;
    const char* key;
    const char* symbol;
  };
  static constexpr Old kOld[] = {
      {"policy.spf", "fail", "SPF_FAIL"},
      {"policy.spf", "softfail", "SPF_SOFTFAIL"},
      {"policy.spf", "neutral", "SPF_NEUTRAL"},
      {"policy.spf", "none", "SPF_NONE"},
      {"policy.spf", "pass", "SPF_PASS"},
      {"policy.spf", "permerror", "SPF_PERMERROR"},
      {"policy.senderid", "fail", "SENDERID_FAIL"},
      {"policy.senderid", "pass", "SENDERID_PASS"},
      {"policy.dkim", "pass", "DKIM_PASS"},
      {"policy.dkim", "fail", "DKIM_FAIL"},
      {"policy.dmarc", "pass", "DMARC_PASS"},
      {"policy.dmarc", "fail", "DMARC_FAIL_QUARANTINE"},
      {"policy.arc", "pass", "ARC_PASS"},
      {"policy.arc", "fail", "ARC_FAIL"},
      {"policy.fcrdns", "fail", "FCRDNS_FAIL"},
      {"policy.fcrdns", "none", "RDNS_NONE"},
      {"reputation", "score_spammer", "REP_SPAMMER"},
      {"reputation", "score_compromised", "REP_COMPROMISED"},
      {"reputation", "score_bulk", "REP_BULK_OK"},
      {"reputation", "score_transactional", "REP_TRANSACTIONAL"},
      {"reputation", "score_trap", "REP_TRAP_HIT"},
      {"classify", "spam", "CONTENT_SPAM"},
      {"classify", "ham", "CONTENT_HAM"},
  };
  for (const Old& o : kOld) {
    Section t = cfg.section(o.table);
    if (t.present() && t.has(o.key))
      t.invalid(o.key, std::string("scores live in one table now: [scores] ") + o.symbol + " = ...");
  }
}

// [scores] SYMBOL = value: any symbol with a score (built-in or a DNSBL zone's).
void read_scores(const Config& cfg, PolicyConfig& c) {
  for (const auto& z : c.dnsbl_ip) c.scores.set(z.symbol, z.weight);
  for (const auto& z : c.dnsbl_domain) c.scores.set(z.symbol, z.weight);
  Section sc = cfg.section("scores");
  for (const std::string& key : sc.keys())
    if (!c.scores.known(key)) {
      (void)sc.has(key);  // reported here, not again as an unknown key
      sc.invalid(key, "unknown symbol (rampartd --print-config lists them)");
    }
  for (const auto& [sym, dflt] : c.scores.all()) c.scores.set(sym, sc.number(sym, dflt, -1000, 1000));
  moved_scores(cfg);
}

// A check's table ([policy.spf]) and its `enabled`.
bool enabled(Section& policy, std::string_view key, bool dflt) {
  return policy.table(key).boolean("enabled", dflt);
}

}  // namespace

std::string_view default_config_text() {
  // The [scores] table from the built-in list, so the two cannot disagree.
  static const std::string text = [] {
    std::string t(kDefaultConfig);
    t += "\n# The score of every symbol (rspamd style): [scores] SYMBOL = value. A\n"
         "# DNSBL zone's symbol may be set here too; an unknown name is an error.\n[scores]\n";
    for (const SymbolScore& sc : builtin_scores()) {
      char num[32];
      std::snprintf(num, sizeof num, "%.1f", sc.score);
      std::string line = std::string(sc.name) + " = " + num;
      line.resize(std::max<size_t>(line.size() + 1, 32), ' ');
      t += line + "# " + std::string(sc.what) + "\n";
    }
    return t;
  }();
  return text;
}

Result<PolicyConfig> PolicyConfig::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  PolicyConfig c;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) c.authserv_id = host;
  if (c.authserv_id.empty()) c.authserv_id = "localhost";
  Section pol = cfg.section("policy");
  c.authserv_id = pol.string("authserv_id", c.authserv_id);
  if (c.authserv_id.empty() || c.authserv_id.find_first_of(" \t\r\n;()\"") != std::string::npos)
    pol.invalid("authserv_id", "expected a host name (RFC 8601 authserv-id)");
  c.add_header_score = pol.number("add_header_score", c.add_header_score);
  c.quarantine_score = pol.number("quarantine_score", c.quarantine_score);
  c.reject_score = pol.number("reject_score", c.reject_score);
  if (!(c.add_header_score <= c.quarantine_score && c.quarantine_score <= c.reject_score))
    pol.invalid("reject_score", "add_header_score <= quarantine_score <= reject_score is required");
  c.dns_tempfail = pol.boolean("dns_tempfail", c.dns_tempfail);
  c.dnsbl_tempfail = pol.boolean("dnsbl_tempfail", c.dnsbl_tempfail);
  c.max_scan_bytes = static_cast<size_t>(
      pol.integer("max_scan_bytes", static_cast<int64_t>(c.max_scan_bytes), 1024, int64_t{1} << 31));
  {
    Section t = pol.table("spf");
    c.spf = t.boolean("enabled", c.spf);
    c.spf_reject = t.boolean("reject", c.spf_reject);
  }
  c.senderid = enabled(pol, "senderid", c.senderid);
  c.dkim = enabled(pol, "dkim", c.dkim);
  {
    Section t = pol.table("dmarc");
    c.dmarc = t.boolean("enabled", c.dmarc);
    c.dmarc_reject = t.boolean("reject", c.dmarc_reject);
    c.dmarc_quarantine = t.boolean("quarantine", c.dmarc_quarantine);
  }
  c.arc = enabled(pol, "arc", c.arc);
  c.fcrdns = enabled(pol, "fcrdns", c.fcrdns);
  c.submission_max_rcpts = pol.table("submission").integer("max_rcpts", c.submission_max_rcpts, 1, 1000000);
  c.header_sanity = enabled(pol, "header_sanity", c.header_sanity);
  {
    Section bl = pol.table("dnsbl");
    c.dnsbl_ip = zones(bl, "ip");
    c.dnsbl_domain = zones(bl, "domain");
  }
  read_scores(cfg, c);
  Section th = cfg.section("throttle");
  c.per_ip = rate(th, "ip", c.per_ip);
  c.per_net = rate(th, "net", c.per_net);
  c.per_sender_domain = rate(th, "sender_domain", c.per_sender_domain);
  c.per_sasl_user = rate(th, "sasl_user", c.per_sasl_user);
  for (const std::string& text : th.strings("exempt")) {
    auto p = parse_cidr(text);
    if (p) {
      c.throttle_exempt.push_back(*p);
    } else {
      th.invalid("exempt", p.error().message);
    }
  }
  if (th.has("shared")) c.throttle_shared = th.boolean("shared", true);
  c.throttle_shared_timeout_ms = th.integer("shared_timeout_ms", c.throttle_shared_timeout_ms, 1, 60000);
  c.throttle_shared_fallback_ms = th.integer("shared_fallback_ms", c.throttle_shared_fallback_ms, 0, 3600000);
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

Result<DaemonConfig> DaemonConfig::from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  DaemonConfig d;
  Section dns = cfg.section("dns");
  for (const std::string& ns : dns.strings("nameservers")) {
    auto hp = parse_host_port(ns, 53);
    if (hp) {
      d.nameservers.push_back(*hp);
    } else {
      dns.invalid("nameservers", hp.error().message);
    }
  }
  d.dns_timeout_ms = dns.integer("timeout_ms", d.dns_timeout_ms, 1, 60000);
  d.dns_cache_entries = dns.integer("cache_entries", d.dns_cache_entries, 0, 100000000);
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return d;
}

}  // namespace rampart::policy

// File: apps/rampart/flows_cmd.cc
// rampart flows — run the bot detector over a file of flow records, or over
// NetFlow/IPFIX received on a UDP socket.
//
// SYNOPSIS
//   rampart flows detect --input FILE --format binetflow|nfdump-csv
//                        --subscribers CIDR[,CIDR...] [--mail-servers CIDR[,...]]
//                        [--relays CIDR[,...]] [--config FILE] [--json]
//                        [--notify-file PATH] [--notify-webhook http[s]://HOST:PORT/PATH [--notify-ca PEM]]
//                        [--events FILE]
//   rampart flows collect --listen ADDR:PORT --subscribers CIDR[,...]
//                        [--mail-servers ...] [--relays ...] [--exporters CIDR[,...]]
//                        [--config FILE] [--json] [--max-seconds N] [--max-packets N]
//                        [--notify-file PATH] [--notify-webhook http[s]://HOST:PORT/PATH [--notify-ca PEM]]
//                        [--events FILE]
//
//   rampart flows collect --listen 127.0.0.1:0 --subscribers 100.64.0.0/10 --json --max-seconds 60
//   rampart flows collect --listen [::]:2055 --config /etc/rampart.toml --json
//
// DESCRIPTION (collect)
//   Receives NetFlow v5/v9 and IPFIX on the socket (src/server/flow_collector.h;
//   "[::]" also takes IPv4), feeds the detector and prints each incident as it
//   closes, the same line as 'flows detect'; at the end (SIGINT/SIGTERM,
//   --max-seconds, or --max-packets datagrams) the open ones are closed and
//   printed. stderr gets "rampart flows collect: listening on ADDR:PORT" first
//   (the bound port, useful with port 0) and the collector's counters last.
//   --exporters (or [flows] exporters in --config) limits who may send;
//   without either only loopback exporters are decoded; others are counted
//   and dropped (the first from each address is logged).
//
// DESCRIPTION (detect)
//   Reads the whole file, sorts it by start time, feeds the detector
//   (src/flows/detector.h) and prints one line per incident, in order of
//   first_seen. With --json each line is
//     {"host":IP,"first_seen":S,"last_seen":S,"score":X,"evidence":{...},"action":"throttle|block|notify"}
//   Times are those of the flow records, read as UTC. --subscribers are taken
//   as dynamic space; a config file ([flows.detector], see detector.h) may add
//   static and business prefixes, known mail servers, relays and exceptions.
//
// NOTIFICATIONS (both)
//   --notify-file appends each incident's RFC 6561 notification
//   (notification_json() in src/flows/actions.h, default ActionPolicy, applied at
//   the incident's last_seen) to PATH, one JSON object per line; --notify-webhook
//   POSTs the same object (http:// or https://, src/flows/notify.h; the server's
//   certificate is checked against the system CAs, or --notify-ca PEM-FILE).
//   stdout is unchanged. Failed POSTs are retried with backoff; at the end the
//   queue is drained for at most 10 s. stderr gets "rampart flows: notify: ..."
//   counters; exit 1 if any notification was not delivered.
//
// REPUTATION EVENTS (both)
//   --events FILE appends, for each incident, one reputation event line
//     {"time": LAST_SEEN, "type": "bot", "ip": HOST}
//   written by src/reputation/event_json.h, the format 'rampart reputation
//   replay --events FILE' and POST /v1/events read: the host becomes class
//   spammer (BOT_DETECTED) on its ip: and net: identities. Each line is
//   flushed as written. Only in builds with src/reputation; an unopenable
//   FILE is a usage error (exit 2), a failed write exit 1.
//
// DIAGNOSTICS
//   Bad arguments or an unreadable/unparsable file: one line on stderr, exit 2.
//   collect: a socket that cannot be bound, exit 1.
//   Malformed lines are dropped and counted; the count goes to stderr.
#include <signal.h>

#if defined(HAVE_RAMPART_FLOWS)  // built only when src/flows is part of the build

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "core/config.h"
#include "flows/actions.h"
#include "flows/detector.h"
#include "flows/flow_csv.h"
#include "flows/notify.h"
#if defined(HAVE_RAMPART_REPUTATION)
#include "reputation/event_json.h"
#endif
#ifdef HAVE_RAMPART_SERVER_FLOWS
#include "server/flow_collector.h"
#endif

namespace {

using namespace rampart;
using namespace rampart::flows;

// Detector configuration from --config, --subscribers, --mail-servers, --relays.
// Returns kUsage (after printing why) or 0.
int detector_config(cli::Args& a, DetectorConfig& cfg) {
  if (auto path = a.get("config")) {
    auto c = Config::load_file(*path);
    if (!c) return a.usage_error(c.error().message);
    auto d = DetectorConfig::from_config(*c);
    if (!d) return a.usage_error(d.error().message);
    cfg = std::move(*d);
  }
  if (auto s = a.get("subscribers")) {
    auto ps = parse_prefix_list(*s);
    if (!ps) return a.usage_error("--subscribers: " + ps.error().message);
    for (const auto& p : *ps) cfg.subscribers.push_back({p, SubscriberKind::kDynamic});
  }
  if (cfg.subscribers.empty()) return a.usage_error("--subscribers CIDR[,CIDR...] is required");
  for (auto [opt, dest] : {std::pair{"mail-servers", &cfg.mail_servers}, std::pair{"relays", &cfg.relays}}) {
    if (auto s = a.get(opt)) {
      auto ps = parse_prefix_list(*s);
      if (!ps) return a.usage_error(std::string("--") + opt + ": " + ps.error().message);
      dest->insert(dest->end(), ps->begin(), ps->end());
    }
  }
  return 0;
}

// --notify-file / --notify-webhook: incidents become RFC 6561 notifications.
struct Notify {
  std::unique_ptr<Notifier> notifier;  // null: neither option given
  ActionPolicy policy;
  ActionTable table{ActionPolicy{}};

  // kUsage (after printing why) or 0.
  int open(cli::Args& a) {
    NotifyOptions o;
    o.file = a.get_or("notify-file", "");
    o.webhook = a.get_or("notify-webhook", "");
    o.tls_ca_file = a.get_or("notify-ca", "");
    if (a.get("notify-file") && o.file.empty()) return a.usage_error("--notify-file: empty path");
    if (a.get("notify-webhook") && o.webhook.empty()) return a.usage_error("--notify-webhook: empty URL");
    if (o.file.empty() && o.webhook.empty()) return 0;
    if (!o.webhook.empty()) {
      auto u = parse_webhook_url(o.webhook);
      if (!u) return a.usage_error("--notify-webhook: " + u.error().message);
    }
    auto n = Notifier::open(std::move(o));
    if (!n)
      return a.usage_error((n.error().code == Errc::kIo ? "--notify-file: " : "--notify-webhook: ") +
                           n.error().message);
    notifier = std::move(*n);
    return 0;
  }
  void incident(const Incident& inc) {
    if (!notifier) return;
    const ActiveAction& act = table.apply(inc, inc.last_seen_ms);
    notifier->notify(notification_json(inc, act, policy));
  }
  void pump() {
    if (notifier) notifier->pump();
  }
  // Drains the webhook queue (bounded) and reports; 1 if anything was lost.
  int finish() {
    if (!notifier) return 0;
    const bool drained = notifier->drain(std::chrono::seconds(10));
    const auto& st = notifier->stats();
    std::fprintf(stderr, "rampart flows: notify: %s pending=%zu\n", st.to_string().c_str(),
                 notifier->pending());
    if (drained && st.file_errors == 0 && st.webhook_dropped == 0) return 0;
    std::fprintf(stderr, "rampart flows: notify: not all notifications delivered: %s\n",
                 notifier->last_error().c_str());
    return 1;
  }
};

// --events FILE: each incident as a reputation "bot" event (JSON line).
struct BotEvents {
  std::FILE* f = nullptr;  // null: no --events
  std::string path;
  bool failed = false;

  BotEvents() = default;
  BotEvents(const BotEvents&) = delete;
  BotEvents& operator=(const BotEvents&) = delete;
  ~BotEvents() {
    if (f) std::fclose(f);
  }
  // kUsage (after printing why) or 0.
  int open(cli::Args& a) {
    auto p = a.get("events");
    if (!p) return 0;
    if (p->empty()) return a.usage_error("--events: empty path");
#if defined(HAVE_RAMPART_REPUTATION)
    path = *p;
    f = std::fopen(p->c_str(), "ae");
    if (!f) return a.usage_error("--events: cannot open " + *p + ": " + std::strerror(errno));
    return 0;
#else
    return a.usage_error("--events: this build has no reputation library");
#endif
  }
  void incident(const Incident& inc) {
#if defined(HAVE_RAMPART_REPUTATION)
    if (!f || failed) return;
    reputation::Event e;
    e.type = reputation::EventType::kBot;
    e.time = inc.last_seen_ms / 1000;
    e.ip = inc.host;
    const std::string line = reputation::event_to_json(e) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0) {
      std::fprintf(stderr, "rampart flows: --events %s: %s\n", path.c_str(), std::strerror(errno));
      failed = true;
    }
#else
    (void)inc;
#endif
  }
  // 1 if a write failed.
  int finish() {
    if (!f) return failed ? 1 : 0;
    if (std::fclose(f) != 0 && !failed) {
      std::fprintf(stderr, "rampart flows: --events %s: %s\n", path.c_str(), std::strerror(errno));
      failed = true;
    }
    f = nullptr;
    return failed ? 1 : 0;
  }
};

void print_incident(const Incident& inc, bool json) {
  if (json)
    std::printf("%s\n", incident_json(inc).c_str());
  else
    std::printf("%s %s score=%.3f first_seen=%lld last_seen=%lld\n", inc.host.to_string().c_str(),
                std::string(action_name(inc.action)).c_str(), inc.score,
                static_cast<long long>(inc.first_seen_ms / 1000),
                static_cast<long long>(inc.last_seen_ms / 1000));
}

int run_detect(cli::Args& a) {
  auto input = a.get("input");
  if (!input) return a.usage_error("--input FILE is required");
  auto fmt = parse_csv_format(a.get_or("format", ""));
  if (!fmt) return a.usage_error("--format must be binetflow or nfdump-csv");
  DetectorConfig cfg;
  if (int rc = detector_config(a, cfg)) return rc;
  Notify notify;
  if (int rc = notify.open(a)) return rc;
  BotEvents events;
  if (int rc = events.open(a)) return rc;

  std::ifstream in(*input, std::ios::binary);
  if (!in) return a.usage_error("cannot read " + *input);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return a.usage_error("cannot read " + *input);
  auto recs = read_flow_text(ss.str(), *fmt);
  if (!recs) return a.usage_error(*input + ": " + recs.error().message);
  std::vector<Flow> flows;
  flows.reserve(recs->records.size());
  for (auto& r : recs->records) flows.push_back(r.flow);
  std::stable_sort(flows.begin(), flows.end(),
                   [](const Flow& x, const Flow& y) { return x.start_ms < y.start_ms; });

  Detector det(cfg);
  for (const auto& f : flows) det.observe(f);
  det.finish();
  const bool json = a.flag("json");
  for (const auto& inc : det.take_closed()) {
    print_incident(inc, json);
    std::fflush(stdout);
    notify.incident(inc);
    events.incident(inc);
  }
  if (recs->stats.total() > 0)
    std::fprintf(stderr, "rampart flows: %llu records, dropped: %s\n",
                 static_cast<unsigned long long>(recs->stats.records), recs->stats.to_string().c_str());
  const int erc = events.finish();
  const int nrc = notify.finish();
  return nrc ? nrc : erc;
}

#ifdef HAVE_RAMPART_SERVER_FLOWS
server::FlowCollector* g_collector = nullptr;

extern "C" void on_stop_signal(int) {
  if (g_collector) g_collector->stop();  // async-signal-safe: an eventfd write
}

int run_collect(cli::Args& a) {
  auto listen = a.get("listen");
  if (!listen) return a.usage_error("--listen ADDR:PORT is required");
  DetectorConfig cfg;
  if (int rc = detector_config(a, cfg)) return rc;
  auto number = [&](const char* opt, long long& out) -> bool {
    auto s = a.get(opt);
    if (!s) return true;
    auto r = std::from_chars(s->data(), s->data() + s->size(), out);
    return r.ec == std::errc() && r.ptr == s->data() + s->size() && out >= 0;
  };
  long long max_seconds = 0, max_packets = 0;
  if (!number("max-seconds", max_seconds)) return a.usage_error("--max-seconds N: a whole number >= 0");
  if (!number("max-packets", max_packets)) return a.usage_error("--max-packets N: a whole number >= 0");
  server::FlowCollector::Options o;
  o.listen = *listen;
  if (auto path = a.get("config")) {  // [flows] exporters (none: loopback only)
    auto c = Config::load_file(*path);
    if (!c) return a.usage_error(c.error().message);
    auto ex = server::FlowCollector::exporters_from(*c);
    if (!ex) return a.usage_error(ex.error().message);
    o.allowed_exporters = std::move(*ex);
  }
  if (auto s = a.get("exporters")) {
    auto ps = parse_prefix_list(*s);
    if (!ps) return a.usage_error("--exporters: " + ps.error().message);
    o.allowed_exporters = std::move(*ps);
  }
  Notify notify;
  if (int rc = notify.open(a)) return rc;
  BotEvents events;
  if (int rc = events.open(a)) return rc;

  Detector det(cfg);
  auto c = server::FlowCollector::open(o, [&](const Flow& f, const IpAddress&) { det.observe(f); });
  if (!c) {
    if (c.error().code == Errc::kInvalidArgument) return a.usage_error("--listen: " + c.error().message);
    std::fprintf(stderr, "rampart flows collect: %s\n", c.error().message.c_str());
    return 1;
  }
  g_collector = c->get();
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // Tests bind port 0 and read the port from this line.
  std::fprintf(stderr, "rampart flows collect: listening on %s\n", (*c)->local().to_string().c_str());
  std::fflush(stderr);

  const bool json = a.flag("json");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(max_seconds);
  int rc = 0;
  while (!(*c)->stopped()) {
    int wait_ms = 1000;
    if (max_seconds > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count();
      if (left <= 0) break;
      wait_ms = static_cast<int>(std::min<long long>(left, 1000));
    }
    auto r = (*c)->poll(wait_ms);
    if (!r) {
      std::fprintf(stderr, "rampart flows collect: %s\n", r.error().message.c_str());
      rc = 1;
      break;
    }
    for (const auto& inc : det.take_closed()) {
      print_incident(inc, json);
      std::fflush(stdout);
      notify.incident(inc);
      events.incident(inc);
    }
    notify.pump();  // retries due webhook deliveries; at most the notify timeout
    if (max_packets > 0 && (*c)->stats().datagrams >= static_cast<uint64_t>(max_packets)) break;
  }
  det.finish();
  for (const auto& inc : det.take_closed()) {
    print_incident(inc, json);
    std::fflush(stdout);
    notify.incident(inc);
    events.incident(inc);
  }
  std::fprintf(stderr, "rampart flows collect: %s\n", (*c)->stats().to_string().c_str());
  g_collector = nullptr;
  const int erc = events.finish();
  const int nrc = notify.finish();
  return rc ? rc : (nrc ? nrc : erc);
}
#endif

int run_flows(cli::Args& a) {
  if (!a.parse({"input", "format", "subscribers", "mail-servers", "relays", "config", "listen", "exporters",
                "max-seconds", "max-packets", "notify-file", "notify-webhook", "notify-ca", "events"},
               {"json"}))
    return cli::kUsage;
  if (a.positional().empty()) return a.usage_error("missing subcommand (flows detect|collect ...)");
  const std::string& sub = a.positional()[0];
  if (sub == "detect") return run_detect(a);
#ifdef HAVE_RAMPART_SERVER_FLOWS
  if (sub == "collect") return run_collect(a);
#endif
  return a.usage_error("unknown subcommand '" + sub + "' (try: flows detect, flows collect)");
}

cli::Registrar reg("flows",
                   "flow records: 'flows detect' (file) and 'flows collect' (UDP) find spam-sending hosts",
                   run_flows);

}  // namespace

#endif  // HAVE_RAMPART_FLOWS

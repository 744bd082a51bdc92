// File: apps/rampartd/main.cc
// rampartd: the inline mail filter. Wires configuration, the resolver
// (UnboundResolver behind CachingResolver), the scan pipeline and the event
// loop; everything else lives in src/policy and src/server (milter, http,
// the event loop in server.h).
//
//   rampartd                                   # embedded defaults
//   rampartd --config /etc/rampart/rampart.toml
//   rampartd --milter 127.0.0.1:11332 --http 127.0.0.1:11334 --nameserver 127.0.0.1:5353
//   rampartd --print-default-config > rampart.toml
//   rampartd --check-config /etc/rampart/rampart.toml   # 0, or 2 and every error
//   rampartd --config FILE --print-config               # the settings in effect
//   rampartd --zone deploy/demo/example.zone   # DNS from a master file (make run)
//
// Stays in the foreground. Prints "rampartd: milter ADDR:PORT",
// "rampartd: http ADDR:PORT" and "rampartd: ready" on stdout once every
// listener is bound (port 0 picks a free port). SIGHUP reloads the policy
// from the config file (and the content model when its file changed);
// SIGTERM drains, saves the content model when it learned, and exits 0.
// --data-dir DIR holds the RocksDB reputation store (DIR/reputation).
// Exit status: 0 after a drain, 2 for bad arguments or configuration,
// 1 when a listener or the resolver cannot start.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/ip.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strings.h"
#include "dns/caching_resolver.h"
#include "dns/unbound_resolver.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/feedback.h"
#include "policy/policy.h"
#include "policy/report_maildir.h"
#include "policy/throttle.h"
#include "reputation/store_factory.h"
#ifdef HAVE_RAMPART_REDIS
#include "reputation/redis_limiter.h"
#endif
#include "server/http/access.h"
#include "server/http/feedback_routes.h"
#include "server/http/router.h"
#include "server/server.h"

using namespace rampart;

namespace {

void usage(FILE* f) {
  std::fputs(
      "usage: rampartd [--config FILE] [--milter ADDR:PORT] [--http ADDR:PORT|off]\n"
      "                [--nameserver ADDR[:PORT]]... [--zone FILE] [--data-dir DIR] [--log-level LEVEL]\n"
      "       rampartd --check-config FILE     # exit 0, or 2 with every error\n"
      "       rampartd [--config FILE] [options] --print-config   # the settings in effect (TOML)\n"
      "       rampartd --print-default-config\n",
      f);
}

// Command-line options that stand for configuration keys.
struct Overrides {
  std::optional<std::string> milter, http;
  std::vector<std::string> nameservers;
};

struct Settings {
  Config cfg;
  policy::PolicyConfig policy;
  policy::FeedbackConfig feedback;
  policy::DaemonConfig daemon;
  reputation::StoreSpec store;
  server::ServerOptions server;
  server::AccessControl access;
};

// Every section reader, then the keys none of them read: all errors at once
// (one per line, each naming file:line:column and key).
Result<Settings> read_settings(const std::string& path, const Overrides& o, const std::string& data_dir) {
  auto cfg = path.empty() ? Config::parse("", "<defaults>") : Config::load_file(path);
  if (!cfg) return tl::unexpected(cfg.error());
  if (o.milter) cfg->set_string("server.milter", *o.milter, "--milter");
  if (o.http) cfg->set_string("server.http", *o.http, "--http");
  if (!o.nameservers.empty()) cfg->set_strings("dns.nameservers", o.nameservers, "--nameserver");
  std::vector<std::string> errors;
  auto note = [&errors](const auto& r) {
    if (r) return;
    for (auto line : split(r.error().message, '\n'))
      if (std::find(errors.begin(), errors.end(), line) == errors.end()) errors.emplace_back(line);
  };
  auto pol = policy::PolicyConfig::from(*cfg);
  note(pol);
  auto fb = policy::FeedbackConfig::from(*cfg);
  note(fb);
  auto dm = policy::DaemonConfig::from(*cfg);
  note(dm);
  auto st = reputation::store_spec(*cfg, data_dir);
  note(st);
  auto so = server::ServerOptions::from(*cfg);
  note(so);
  auto ac = server::AccessControl::from(*cfg);
  note(ac);
  note(cfg->finish());
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return fail(Errc::kConfig, msg);
  }
  return Settings{std::move(*cfg), std::move(*pol), std::move(*fb), std::move(*dm),
                  std::move(*st),  std::move(*so),  std::move(*ac)};
}

#ifdef HAVE_RAMPART_REDIS
// The throttle's shared buckets: one per key in the reputation store's Redis
// Cluster (src/reputation/redis_limiter.h), with a short deadline: past it the
// Throttle answers from its local bucket.
class RedisBuckets final : public policy::SharedBuckets {
 public:
  explicit RedisBuckets(reputation::RedisLimiterOptions o) : lim_(std::move(o)) {}
  Result<bool> take(std::string_view key, const policy::RateLimit& limit) override {
    return lim_.take(key, limit.per_minute, limit.burst);
  }
  Result<int> take_pair(std::string_view first, const policy::RateLimit& first_limit, std::string_view second,
                        const policy::RateLimit& second_limit) override {
    return lim_.take_pair(first, first_limit.per_minute, first_limit.burst, second, second_limit.per_minute,
                          second_limit.burst);
  }

 private:
  reputation::RedisRateLimiter lim_;
};
#endif

// Every connection is a descriptor: the soft limit goes up to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are read from a signalfd by the event loop: block them before
  // any thread (libunbound's) starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string config_path, data_dir, zone_path, level = "info";
  Overrides over;
  bool check_only = false, print_config = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') {
        std::fprintf(stderr, "rampartd: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      out = argv[++i];
    };
    if (a == "--config") {
      value(config_path);
    } else if (a == "--check-config") {
      value(config_path);
      check_only = true;
    } else if (a == "--print-config") {
      print_config = true;
    } else if (a == "--milter") {
      value(over.milter.emplace());
    } else if (a == "--http") {
      value(over.http.emplace());
    } else if (a == "--nameserver") {
      value(over.nameservers.emplace_back());
    } else if (a == "--zone") {
      value(zone_path);  // answers from a master file instead of DNS (demos, tests)
    } else if (a == "--data-dir") {
      value(data_dir);
    } else if (a == "--log-level") {
      value(level);
      if (auto st = log::valid_level(level); !st) {
        std::fprintf(stderr, "rampartd: --log-level: %s\n", st.error().message.c_str());
        return 2;
      }
    } else if (a == "--print-default-config") {
      std::fwrite(policy::default_config_text().data(), 1, policy::default_config_text().size(), stdout);
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "rampartd: unknown argument %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  log::init(level);

  auto settings = read_settings(config_path, over, data_dir);
  if (!settings) {
    for (auto line : split(settings.error().message, '\n'))
      std::fprintf(stderr, "rampartd: %.*s\n", static_cast<int>(line.size()), line.data());
    return 2;
  }
  if (check_only) {
    std::printf("rampartd: %s: ok\n", config_path.c_str());
    return 0;
  }
  if (print_config) {
    const std::string text = settings->cfg.effective_toml();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  const policy::PolicyConfig* pcfg = &settings->policy;
  const policy::FeedbackConfig* fcfg = &settings->feedback;
  const policy::DaemonConfig& dcfg = settings->daemon;

  // [server] (listeners, limits, deadlines) and [[http.tokens]] were read
  // and checked with the rest of the file (read_settings).
  std::optional<server::ServerOptions> so = settings->server;
  if (so->http_listen == "off") so->http_listen.clear();
  server::Router router(std::move(settings->access));  // the HTTP API (add_feedback_routes below)
  raise_fd_limit();

  dns::UnboundOptions uo;
  for (const HostPort& ns : dcfg.nameservers)
    uo.forwarders.push_back(ns.ip.to_string() + "@" + std::to_string(ns.port));  // unbound's ADDR@PORT
  uo.timeout_ms = static_cast<int>(dcfg.dns_timeout_ms);
  std::unique_ptr<dns::Resolver> upstream;
  if (!zone_path.empty()) {
    dns::ZoneOptions zo;
    zo.file_name = zone_path;
    auto zone = dns::load_zone_file(zone_path, zo);
    if (!zone) {
      std::fprintf(stderr, "rampartd: --zone: %s\n", zone.error().message.c_str());
      return 2;
    }
    upstream = std::make_unique<dns::ZoneResolver>(std::move(*zone));
  } else {
    auto unbound = dns::UnboundResolver::create(uo);
    if (!unbound) {
      std::fprintf(stderr, "rampartd: resolver: %s\n", unbound.error().message.c_str());
      return 1;
    }
    upstream = std::move(*unbound);
  }
  SystemClock clock;
  dns::CacheOptions co;
  co.max_entries = static_cast<size_t>(dcfg.dns_cache_entries);
  dns::CachingResolver resolver(*upstream, clock, co);
  auto throttle = std::make_shared<policy::Throttle>(clock);
  // One store path (src/reputation/store_factory.h): [reputation] store =
  // "memory" | "rocksdb" | "redis" (or the [reputation.store] table).
  const reputation::StoreSpec* store_spec = &settings->store;
  // [throttle] shared: buckets in the Redis Cluster (default: when the store is redis).
  if (pcfg->throttle_shared.value_or(store_spec->kind == reputation::StoreKind::kRedis)) {
    if (store_spec->kind != reputation::StoreKind::kRedis) {
      std::fprintf(stderr, "rampartd: throttle.shared = true needs [reputation] store = \"redis\"\n");
      return 2;
    }
#ifdef HAVE_RAMPART_REDIS
    reputation::RedisLimiterOptions lo;
    lo.cluster.seeds = store_spec->seeds;
    lo.cluster.connect_timeout = lo.cluster.io_timeout = lo.cluster.retry_deadline =
        std::chrono::milliseconds(pcfg->throttle_shared_timeout_ms);
    throttle->set_shared(std::make_unique<RedisBuckets>(std::move(lo)),
                         std::chrono::milliseconds(pcfg->throttle_shared_fallback_ms));
    log::get()->info("throttle: shared buckets in the Redis Cluster (timeout {} ms, then local)",
                     pcfg->throttle_shared_timeout_ms);
#endif
  }
  // Reputation and the content model live as long as the process (reloads
  // build new pipelines around them).
  auto feedback = std::make_shared<policy::Feedback>(*fcfg, clock, pcfg->authserv_id);
  if (fcfg->reputation) {
    auto store = reputation::open_store(*store_spec);
    if (!store) {
      std::fprintf(stderr, "rampartd: %s\n", store.error().message.c_str());
      return store.error().code == Errc::kConfig ? 2 : 1;
    }
    log::get()->info("reputation store: {}", (*store)->name());
    feedback->set_store(std::move(*store));
    // Events a previous run could not write before it stopped (storesvc).
    if (!data_dir.empty()) feedback->set_spool_dir(data_dir + "/spool");
    if (auto n = feedback->replay_spool(); !n)
      log::get()->error("reputation: spool not replayed: {}", n.error().message);
  }
  if (auto st = feedback->load_model(); !st) {
    log::get()->error("{}; the content check is disabled", st.error().message);
  } else if (feedback->classifier()) {
    log::get()->info("classify: model {} loaded", fcfg->model);
  }
  auto pipeline = policy::Pipeline::create(*pcfg, resolver, clock, throttle);
  feedback->add_checks(*pipeline);

  auto reload = [&]() -> Result<std::shared_ptr<policy::Pipeline>> {
    auto c = read_settings(config_path, over, data_dir);  // a bad file keeps the running policy
    if (!c) return tl::unexpected(c.error());
    router.set_access(std::move(c->access));
    feedback->reconfigure(c->feedback);
    if (auto st = feedback->reload_model(); !st) log::get()->error("{}", st.error().message);
    auto pipe = policy::Pipeline::create(c->policy, resolver, clock, throttle);
    feedback->add_checks(*pipe);
    return pipe;
  };
  feedback->set_resolver(resolver);
  server::add_feedback_routes(router, feedback);
  // Feedback reports delivered into a Maildir.
  std::unique_ptr<policy::ReportIngest> ingest;
  if (!fcfg->reports_maildir.empty()) {
    if (!fcfg->reputation) {
      std::fprintf(stderr, "rampartd: reputation.reports_maildir needs reputation.enabled = true\n");
      return 2;
    }
    auto md = policy::ReportMaildir::open(fcfg->reports_maildir);
    if (!md) {
      std::fprintf(stderr, "rampartd: %s\n", md.error().message.c_str());
      return 1;
    }
    ingest = std::make_unique<policy::ReportIngest>(feedback, std::move(*md), clock, fcfg->reports_poll_ms);
    log::get()->info("feedback reports from maildir {}", fcfg->reports_maildir);
  }
  // The daemon's metrics registry (core/metrics.h): the values other objects
  // own are read at each scrape by collectors; the server's own families
  // come first in GET /metrics.
  Metrics metrics;
  metrics.collect("dns", [&](MetricsWriter& w) {
    const auto& st = resolver.stats();
    w.family("rampart_dns_cache_hits_total", "DNS cache hits.", MetricType::kCounter);
    w.sample({}, static_cast<uint64_t>(st.hits));
    w.family("rampart_dns_cache_misses_total", "DNS cache misses.", MetricType::kCounter);
    w.sample({}, static_cast<uint64_t>(st.misses));
  });
  metrics.collect("throttle", [&](MetricsWriter& w) {
    w.family("rampart_throttle_keys", "Token buckets in memory.", MetricType::kGauge);
    w.sample({}, static_cast<uint64_t>(throttle->size()));
    if (!throttle->shared()) return;
    w.family("rampart_throttle_shared_calls_total", "Throttle takes answered by the shared buckets.",
             MetricType::kCounter);
    w.sample({}, static_cast<uint64_t>(throttle->shared_calls()));
    w.family("rampart_throttle_shared_errors_total", "Shared bucket failures (answered locally: fail open).",
             MetricType::kCounter);
    w.sample({}, static_cast<uint64_t>(throttle->shared_errors()));
    w.family("rampart_throttle_local_fallbacks_total", "Takes answered by local buckets while shared.",
             MetricType::kCounter);
    w.sample({}, static_cast<uint64_t>(throttle->fallbacks()));
  });
  metrics.collect("feedback", [&](MetricsWriter& w) { feedback->collect_metrics(w); });
  metrics.collect("maildir", [&](MetricsWriter& w) {
    if (!ingest) return;
    const auto& is = ingest->stats();
    w.family("rampart_maildir_reports_total", "Feedback reports read from the reports Maildir, by outcome.",
             MetricType::kCounter);
    w.sample({{"outcome", "accepted"}}, static_cast<uint64_t>(is.accepted));
    w.sample({{"outcome", "rejected"}}, static_cast<uint64_t>(is.rejected));
    w.sample({{"outcome", "retried"}}, static_cast<uint64_t>(is.retried));
    w.sample({{"outcome", "io_error"}}, static_cast<uint64_t>(is.io_errors));
    w.sample({{"outcome", "stuck"}}, static_cast<uint64_t>(is.stuck));
  });
  auto extra = [&]() { return metrics.render(); };
  auto srv = server::Server::create(*so, resolver, pipeline, reload, extra, &router);
  if (!srv) {
    std::fprintf(stderr, "rampartd: %s\n", srv.error().message.c_str());
    return 1;
  }
  (*srv)->set_tick([&ingest, &feedback] {
    feedback->tick();
    if (ingest) ingest->tick();
  });
  auto host = [](const std::string& spec) { return spec.substr(0, spec.rfind(':')); };
  std::printf("rampartd: milter %s:%u\n", host(so->milter_listen).c_str(), (*srv)->milter_port());
  if (!so->http_listen.empty())
    std::printf("rampartd: http %s:%u\n", host(so->http_listen).c_str(), (*srv)->http_port());
  std::printf("rampartd: ready\n");
  std::fflush(stdout);
  log::get()->info("rampartd ready: milter port {}, http port {}, authserv-id {}", (*srv)->milter_port(),
                   (*srv)->http_port(), pcfg->authserv_id);
  const int rc = (*srv)->run();
  // Queued events written within a bounded time, the rest spooled; the model saved.
  (void)feedback->drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(fcfg->drain_ms));
  std::fflush(stdout);
  return rc;
}

// File: apps/rampartd/main.cc
// rampartd: the inline mail filter. Parses the command line and runs
// server::Daemon (src/server/daemon.h), which wires the configuration, one
// resolver per event loop, the scan pipelines and the event loops
// (src/server/server.h).
//
//   rampartd                                   # embedded defaults
//   rampartd --config /etc/rampart/rampart.toml
//   rampartd --milter 127.0.0.1:11332 --http 127.0.0.1:11334 --nameserver 127.0.0.1:5353
//   rampartd --loops 2                         # event loops (default: [server] loops, one per core)
//   rampartd --print-default-config > rampart.toml
//   rampartd --check-config /etc/rampart/rampart.toml   # 0, or 2 and every error
//   rampartd --config FILE --print-config               # the settings in effect
//   rampartd --zone deploy/demo/example.zone   # DNS from a master file (make run)
//
// Stays in the foreground. Prints "rampartd: milter ADDR:PORT",
// "rampartd: http ADDR:PORT" ("rampartd: flows udp port N" with [flows])
// and "rampartd: ready" on stdout once every
// listener is bound (port 0 picks a free port). SIGHUP reloads the policy
// from the config file (and the content model when its file changed);
// SIGTERM drains, saves the content model when it learned, and exits 0.
// SIGUSR1 makes the log one level more verbose (info -> debug -> trace),
// SIGUSR2 one level less (-> warn -> error -> critical -> off).
// --data-dir DIR holds the RocksDB reputation store (DIR/reputation).
// Exit status: 0 after a drain, 2 for bad arguments or configuration,
// 1 when a listener, the resolver or the store cannot start.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/log.h"
#include "core/strings.h"
#include "policy/policy.h"
#include "server/daemon.h"

using namespace rampart;

namespace {

void usage(FILE* f) {
  std::fputs(
      "usage: rampartd [--config FILE] [--milter ADDR:PORT] [--http ADDR:PORT|off]\n"
      "                [--nameserver ADDR[:PORT]]... [--zone FILE] [--data-dir DIR] [--log-level LEVEL]\n"
      "                [--loops N]\n"
      "       rampartd --check-config FILE     # exit 0, or 2 with every error\n"
      "       rampartd [--config FILE] [options] --print-config   # the settings in effect (TOML)\n"
      "       rampartd --print-default-config\n",
      f);
}

// --help: what each option does (the guide, docs/guide.md section 11, says more).
void help(FILE* f) {
  usage(f);
  std::fputs(
      "\n"
      "  --config FILE       the configuration (TOML; rampartd --print-default-config shows every key)\n"
      "  --milter ADDR:PORT  the milter listener for Postfix ([server] milter; default 127.0.0.1:11332)\n"
      "  --http ADDR:PORT    the HTTP API (/v1/scan, /metrics, ...; [server] http; default 127.0.0.1:11334)\n"
      "  --nameserver A[:P]  send DNS queries to this resolver instead of /etc/resolv.conf's (repeatable)\n"
      "  --zone FILE         answer every DNS question from this master file and send no DNS query at\n"
      "                      all: it replaces DNS altogether (demos and tests, never for mail)\n"
      "  --data-dir DIR      where state lives: DIR/reputation (RocksDB), DIR/spool, the console's\n"
      "                      accounts and history; without it reputation is in memory, lost at stop\n"
      "  --log-level LEVEL   trace, debug, info (default), warn, error, critical or off; changed at run\n"
      "                      time by SIGUSR1 (more) / SIGUSR2 (less) or PUT /v1/log-level (right admin)\n"
      "  --loops N           event loops (threads); 0: one per core\n",
      f);
}

int fail_with(const std::string& message, int status) {
  for (auto line : split(message, '\n'))
    std::fprintf(stderr, "rampartd: %.*s\n", static_cast<int>(line.size()), line.data());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // The event loop reads signals through an asio::signal_set on its own
  // thread: block them before any thread (libunbound's, the loops) starts.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::DaemonArgs args;
  std::string level = "info";
  bool check_only = false, print_config = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') std::exit(fail_with(a + " needs a value", 2));
      out = argv[++i];
    };
    std::string v;
    if (a == "--config" || a == "--check-config") {
      value(args.config_path);
      check_only = check_only || a == "--check-config";
    } else if (a == "--print-config") {
      print_config = true;
    } else if (a == "--milter") {
      value(args.milter.emplace());
    } else if (a == "--http") {
      value(args.http.emplace());
    } else if (a == "--nameserver") {
      value(args.nameservers.emplace_back());
    } else if (a == "--zone") {
      value(args.zone_path);  // answers from a master file instead of DNS (demos, tests)
    } else if (a == "--data-dir") {
      value(args.data_dir);
    } else if (a == "--loops") {
      value(v);
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (*end != '\0' || v[0] == '-' || n < 1 || n > 256)
        return fail_with("--loops: \"" + v + "\" is not a number of loops (1-256)", 2);
      args.loops = n;
    } else if (a == "--log-level") {
      value(level);
      if (auto st = log::valid_level(level); !st) return fail_with("--log-level: " + st.error().message, 2);
    } else if (a == "--print-default-config") {
      std::fwrite(policy::default_config_text().data(), 1, policy::default_config_text().size(), stdout);
      return 0;
    } else if (a == "--help" || a == "-h") {
      help(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "rampartd: unknown argument %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  log::init(level);

  auto settings = server::read_daemon_settings(args);
  if (!settings) return fail_with(settings.error().message, 2);
  log::set_format(settings->log.format);  // [log] format
  if (check_only) {
    std::printf("rampartd: %s: ok\n", args.config_path.c_str());
    return 0;
  }
  if (print_config) {
    const std::string text = settings->cfg.effective_toml();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  const std::string settings_console_listen = settings->console.listen;
  auto daemon = server::Daemon::create(args, std::move(*settings));
  if (!daemon) return fail_with(daemon.error().message, daemon.error().code == Errc::kConfig ? 2 : 1);
  const server::ServerOptions& so = (*daemon)->server_options();
  auto host = [](const std::string& spec) { return spec.substr(0, spec.rfind(':')); };
  std::printf("rampartd: milter %s:%u\n", host(so.milter_listen).c_str(), (*daemon)->milter_port());
  if (!so.http_listen.empty())
    std::printf("rampartd: http %s:%u\n", host(so.http_listen).c_str(), (*daemon)->http_port());
  if ((*daemon)->console_port() != 0)
    std::printf("rampartd: console %s:%u\n", host(settings_console_listen).c_str(),
                (*daemon)->console_port());
  if ((*daemon)->flows_port() != 0) std::printf("rampartd: flows udp port %u\n", (*daemon)->flows_port());
  if ((*daemon)->exchange_port() != 0)
    std::printf("rampartd: exchange port %u\n", (*daemon)->exchange_port());
  std::printf("rampartd: ready\n");
  std::fflush(stdout);
  const int rc = (*daemon)->run();
  std::fflush(stdout);
  return rc;
}

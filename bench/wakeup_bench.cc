// File: bench/wakeup_bench.cc
// What waking a sleeping event loop costs on this machine, and what busy-polling
// before epoll_wait would buy back (issue 16, the latency Kamailio sees per
// INVITE; bench/README.md "kamlat2").
//
// A client thread sends one byte over loopback TCP (TCP_NODELAY) to a server
// thread that answers one byte, `--gap-us` apart (the calls of
// bench/calls_latency.py come ~2 ms apart, so rampartd's loop is asleep when
// each arrives). The server waits for its next request:
//   block   epoll_wait(-1), as rampartd's loops do;
//   spin=N  epoll_wait(0) for up to N µs after its last answer, then
//           epoll_wait(-1) (a brief busy-poll);
//   spin    epoll_wait(0) forever (a core kept busy).
// Printed per mode: the round trip's p50/p90/p99 (µs) as the client sees it,
// and the server thread's CPU per second of wall time (RUSAGE_THREAD).
//
//   wakeup_bench [--n 5000] [--gap-us 2000] [--spin-us 50]
//
// DIAGNOSTICS: a failed socket call prints its errno and exits 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "wakeup_bench: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double thread_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Result {
  std::vector<double> rtt_us;
  double server_cpu_share = 0;
};

// spin_us: 0 block, < 0 spin forever, else spin that long after each answer.
Result run(int n, int gap_us, long spin_us) {
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  if (lst < 0) die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
  socklen_t len = sizeof a;
  if (getsockname(lst, reinterpret_cast<sockaddr*>(&a), &len) < 0) die("getsockname");
  if (listen(lst, 1) < 0) die("listen");
  int cli = socket(AF_INET, SOCK_STREAM, 0);
  if (cli < 0 || connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("connect");
  int srv = accept(lst, nullptr, nullptr);
  if (srv < 0) die("accept");
  const int one = 1;
  setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  std::atomic<bool> stop{false};
  double cpu = 0, wall = 0;
  std::thread server([&] {
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = srv;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev) < 0) die("epoll_ctl");
    const double cpu0 = thread_cpu_s();
    const auto t0 = Clock::now();
    auto last = Clock::now();
    char c;
    while (!stop.load(std::memory_order_relaxed)) {
      epoll_event out{};
      int k;
      const bool spinning =
          spin_us < 0 || (spin_us > 0 && Clock::now() - last < std::chrono::microseconds(spin_us));
      k = epoll_wait(ep, &out, 1, spinning ? 0 : 100);
      if (k <= 0) continue;
      ssize_t r = read(srv, &c, 1);
      if (r <= 0) break;
      if (write(srv, &c, 1) != 1) die("write");
      last = Clock::now();
    }
    cpu = thread_cpu_s() - cpu0;
    wall = std::chrono::duration<double>(Clock::now() - t0).count();
    close(ep);
  });

  Result res;
  res.rtt_us.reserve(static_cast<size_t>(n));
  char c = 'x';
  for (int i = 0; i < n + 50; ++i) {  // the first 50 warm up
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
    const auto t = Clock::now();
    if (write(cli, &c, 1) != 1) die("write");
    if (read(cli, &c, 1) != 1) die("read");
    if (i >= 50) res.rtt_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  stop = true;
  shutdown(cli, SHUT_RDWR);
  server.join();
  close(cli);
  close(srv);
  close(lst);
  res.server_cpu_share = wall > 0 ? cpu / wall : 0;
  return res;
}

double pct(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int n = 5000, gap_us = 2000;
  long spin_us = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--n")
      n = std::max(100, std::atoi(argv[i + 1]));
    else if (k == "--gap-us")
      gap_us = std::max(0, std::atoi(argv[i + 1]));
    else if (k == "--spin-us")
      spin_us = std::max(1L, std::atol(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: wakeup_bench [--n N] [--gap-us US] [--spin-us US]\n");
      return 2;
    }
  }
  std::printf("loopback TCP ping-pong, %d round trips %d us apart; the server thread waits by:\n", n, gap_us);
  const struct {
    const char* name;
    long spin;
  } modes[] = {{"block", 0}, {"spin-after", spin_us}, {"spin", -1}};
  for (const auto& m : modes) {
    Result r = run(n, gap_us, m.spin);
    std::printf("  %-10s p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  server CPU %5.1f%% of a core%s\n", m.name,
                pct(r.rtt_us, 0.5), pct(r.rtt_us, 0.9), pct(r.rtt_us, 0.99), 100 * r.server_cpu_share,
                m.spin > 0 ? (" (" + std::to_string(m.spin) + " us after each answer)").c_str() : "");
  }
  return 0;
}

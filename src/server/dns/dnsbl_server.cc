#include "server/dns/dnsbl_server.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace rampart::server::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {
constexpr int kBatch = 64;
// kShared: a helper thread goes back to sleep after this many reads in a
// row that were not full (one short read is often a pause of the thread
// that woke it, not the end of the backlog).
constexpr unsigned kHelperRetires = 8;
constexpr size_t kUdpBuf = 4096;
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // linux/udp.h, Linux 4.18
#endif

UdpAnswerRef answer_ref(const sockaddr_storage& ss, size_t len) {
  UdpAnswerRef r;
  r.len = static_cast<uint16_t>(len);
  if (ss.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::memcpy(&r.addr_hi, s6->sin6_addr.s6_addr, 8);
    std::memcpy(&r.addr_lo, s6->sin6_addr.s6_addr + 8, 8);
    r.port_family = uint32_t{s6->sin6_port} << 16 | AF_INET6;
  } else {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    uint32_t a;
    std::memcpy(&a, &s4->sin_addr, 4);
    r.addr_lo = a;
    r.port_family = uint32_t{s4->sin_port} << 16 | (ss.ss_family & 0xFFFF);
  }
  return r;
}

asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.is_v4()) return asio::ip::address_v4(ip.v4_host_order());
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), ip.bytes().data(), 16);
  return asio::ip::address_v6(b);
}
// "" when nothing holds the UDP and TCP ports of `hp`, else why not.
std::string port_in_use(const HostPort& hp) {
  asio::io_context io;
  boost::system::error_code ec;
  asio::ip::address addr = to_asio(hp.ip);
  udp::socket u(io);
  u.open(addr.is_v4() ? udp::v4() : udp::v6(), ec);
  if (!ec && addr.is_v6()) u.set_option(asio::ip::v6_only(true), ec);
  if (!ec) u.bind(udp::endpoint(addr, hp.port), ec);
  if (ec) return "cannot bind UDP " + hp.to_string() + ": " + ec.message();
  tcp::acceptor a(io);
  a.open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec && addr.is_v6()) a.set_option(asio::ip::v6_only(true), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(tcp::endpoint(addr, hp.port), ec);
  if (ec) return "cannot bind TCP " + hp.to_string() + ": " + ec.message();
  return "";
}

bool open_acceptor(tcp::acceptor& a, const asio::ip::address& addr, uint16_t port,
                   boost::system::error_code& ec) {
  a.open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec && addr.is_v6()) a.set_option(asio::ip::v6_only(true), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.set_option(ReusePort(true), ec);
  if (!ec) a.bind(tcp::endpoint(addr, port), ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  return !ec;
}

// UdpSpread::kQueryId: a classic BPF program for the SO_REUSEPORT group of
// `fd` (Linux 4.5) returning the index of the socket for a datagram. The
// kernel runs it with the data at the UDP payload, so the first 16-bit load
// is the DNS ID (RFC 1035 4.1.1); its value modulo the group's size is the
// socket, in the order the sockets were bound (the workers' order). A
// datagram shorter than 2 octets fails the load, which returns 0: socket 0.
// "" or why the kernel refused it.
std::string steer_by_query_id(int fd, unsigned sockets) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, sockets),
      BPF_STMT(BPF_RET | BPF_A, 0),
  };
  sock_fprog prog{static_cast<unsigned short>(std::size(code)), code};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
    return std::string("cannot attach the reuseport program: ") + std::strerror(errno);
  return "";
}

}  // namespace

size_t plan_udp_sends(const UdpAnswerRef* a, size_t n, uint8_t* order, UdpSendGroup* groups,
                      size_t max_segments, size_t max_bytes) {
  auto same_client = [&](uint8_t x, uint8_t y) {
    return a[x].addr_hi == a[y].addr_hi && a[x].addr_lo == a[y].addr_lo &&
           a[x].port_family == a[y].port_family;
  };
  auto before = [&](uint8_t x, uint8_t y) {  // client, then longer first, then arrival
    if (a[x].addr_hi != a[y].addr_hi) return a[x].addr_hi < a[y].addr_hi;
    if (a[x].addr_lo != a[y].addr_lo) return a[x].addr_lo < a[y].addr_lo;
    if (a[x].port_family != a[y].port_family) return a[x].port_family < a[y].port_family;
    if (a[x].len != a[y].len) return a[x].len > a[y].len;
    return x < y;
  };
  // Insertion sort: at most 64 answers, mostly in few clients.
  for (size_t i = 0; i < n; ++i) {
    uint8_t v = static_cast<uint8_t>(i);
    size_t j = i;
    while (j > 0 && before(v, order[j - 1])) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = v;
  }
  size_t g = 0;
  for (size_t i = 0; i < n;) {
    const uint8_t first = order[i];
    const size_t size = a[first].len;
    size_t end = i + 1, bytes = size;
    // Equal lengths of one client ...
    while (end < n && end - i < max_segments && same_client(order[end], first) && a[order[end]].len == size &&
           bytes + size <= max_bytes) {
      bytes += size;
      ++end;
    }
    // ... and one shorter answer to close the run (the kernel's last segment).
    if (end < n && end - i < max_segments && same_client(order[end], first) && a[order[end]].len < size &&
        bytes + a[order[end]].len <= max_bytes)
      ++end;
    groups[g++] = {static_cast<uint16_t>(i), static_cast<uint16_t>(end),
                   static_cast<uint16_t>(end - i > 1 && size > 0 ? size : 0)};
    i = end;
  }
  return g;
}

bool udp_clients_repeat(const UdpAnswerRef* a, size_t n) {
  constexpr size_t kSlots = 128;    // at least twice the largest batch
  if (n > kSlots / 2) return true;  // not asked of this function: let the plan decide
  uint8_t slot[kSlots];             // index + 1; 0: empty
  std::memset(slot, 0, sizeof slot);
  for (size_t i = 0; i < n; ++i) {
    uint64_t h = (a[i].addr_lo ^ a[i].addr_hi * 0x9E3779B97F4A7C15ull) + a[i].port_family;
    h *= 0xD6E8FEB86659FD93ull;
    for (size_t k = h >> 57;; k = (k + 1) % kSlots) {
      if (slot[k] == 0) {
        slot[k] = static_cast<uint8_t>(i + 1);
        break;
      }
      const UdpAnswerRef& b = a[slot[k] - 1];
      if (b.addr_lo == a[i].addr_lo && b.addr_hi == a[i].addr_hi && b.port_family == a[i].port_family)
        return true;
    }
  }
  return false;
}

// The answer latency's clock: the TSC where the kernel keeps time with it
// (clocksource "tsc": invariant and synchronised across cores), read in a
// few ns, calibrated once against steady_clock; elsewhere steady_clock
// (a clock_gettime of 20 to 80 ns here under load, two a batch: measurable
// at one query a batch).
class LatencyClock {
 public:
  static const LatencyClock& get() {
    static const LatencyClock c;
    return c;
  }
  uint64_t now() const {
#if defined(__x86_64__) || defined(__i386__)
    if (tsc_) return __rdtsc();
#endif
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  double seconds(uint64_t from, uint64_t to) const {
    return to > from ? static_cast<double>(to - from) * seconds_per_tick_ : 0.0;
  }

 private:
  LatencyClock() {
    using Steady = std::chrono::steady_clock;
    seconds_per_tick_ = std::chrono::duration<double>(Steady::duration(1)).count();
#if defined(__x86_64__) || defined(__i386__)
    std::string source;
    std::ifstream("/sys/devices/system/clocksource/clocksource0/current_clocksource") >> source;
    if (source != "tsc") return;
    const auto s0 = Steady::now();
    const uint64_t t0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto s1 = Steady::now();
    const uint64_t t1 = __rdtsc();
    if (t1 <= t0) return;
    seconds_per_tick_ = std::chrono::duration<double>(s1 - s0).count() / static_cast<double>(t1 - t0);
    tsc_ = true;
#endif
  }
  bool tsc_ = false;
  double seconds_per_tick_;
};

struct alignas(64) Counters {
  std::atomic<uint64_t> udp{0}, tcp{0}, dropped{0}, conns{0}, reads{0}, wakeups{0}, limited{0}, sends{0};
  std::atomic<uint64_t> rcodes[16] = {};
  // Responses per zone (the index in the zone set, dnsbl::Collector::zone) and rcode.
  std::atomic<uint64_t> zone_rcodes[kZoneCounters][16] = {};
  void count(int zone, uint8_t rcode) {
    rcodes[rcode & 0xF].fetch_add(1, std::memory_order_relaxed);
    if (zone >= 0 && static_cast<size_t>(zone) < kZoneCounters)
      zone_rcodes[zone][rcode & 0xF].fetch_add(1, std::memory_order_relaxed);
  }
};

IpAddress ip_of(const dnsbl::Client& c) {
  if (!c.v6) return IpAddress::v4(std::array<uint8_t, 4>{c.addr[0], c.addr[1], c.addr[2], c.addr[3]});
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), c.addr, 16);
  return IpAddress::v6(b);
}

uint64_t unix_now() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

dnsbl::Client client_of(const sockaddr_storage& ss) {
  dnsbl::Client c;
  if (ss.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(s6->sin6_addr.s6_addr, kMapped, 12) == 0) {
      std::memcpy(c.addr, s6->sin6_addr.s6_addr + 12, 4);
    } else {
      std::memcpy(c.addr, s6->sin6_addr.s6_addr, 16);
      c.v6 = true;
    }
  } else if (ss.ss_family == AF_INET) {
    std::memcpy(c.addr, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
  }
  return c;
}

// Token buckets per client address, one table per thread (SO_REUSEPORT
// sends a client's datagrams from one source port to one thread). Bounded:
// when `max` addresses are tracked the table starts afresh.
// `shared`: used by several threads at once (then each call takes a lock).
class RateLimiter {
 public:
  RateLimiter(double rate, double burst, size_t max, bool shared = false)
      : rate_(rate), burst_(burst > 0 ? burst : rate), max_(max), shared_(shared) {}
  bool allow(const dnsbl::Client& c) {
    if (rate_ <= 0) return true;
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (shared_) lock.lock();
    uint64_t k1, k2;
    std::memcpy(&k1, c.addr, 8);
    std::memcpy(&k2, c.addr + 8, 8);
    uint64_t key = k1 * 0x9E3779B97F4A7C15ull ^ (k2 + (c.v6 ? 1 : 0));
    double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (table_.size() >= max_) table_.clear();
    auto [it, fresh] = table_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + (now - b.last) * rate_);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens, last;
  };
  double rate_, burst_;
  size_t max_;
  bool shared_;
  std::mutex mu_;
  std::unordered_map<uint64_t, Bucket> table_;
};

// What one thread answers with: its own reference to the zone set (taken
// again when the server's generation moves) and its scratch space.
struct Lane {
  dnsbl::ZoneSetPtr zones;
  uint64_t generation = ~uint64_t{0};
  dnsbl::Collector scratch;

  void refresh(std::atomic<uint64_t>& gen, std::mutex& mu, const dnsbl::ZoneSetPtr& current) {
    uint64_t g = gen.load(std::memory_order_acquire);
    if (g == generation) return;
    std::lock_guard<std::mutex> lock(mu);
    zones = current;
    generation = gen.load(std::memory_order_relaxed);
  }
};

// Buffers for one recvmmsg/sendmmsg round of up to kBatch datagrams.
struct UdpBatch {
  std::array<std::array<uint8_t, kUdpBuf>, kBatch> in{};
  std::array<std::array<uint8_t, kUdpBuf>, kBatch> out{};
  std::array<sockaddr_storage, kBatch> peers{};
  std::array<iovec, kBatch> in_iov{}, out_iov{};
  std::array<mmsghdr, kBatch> in_msgs{}, out_msgs{};
  std::vector<std::string> xfr_out;
  // The sends' plan (plan_udp_sends) and each GSO message's control data.
  std::array<UdpAnswerRef, kBatch> refs{};
  std::array<uint8_t, kBatch> order{};
  std::array<UdpSendGroup, kBatch> groups{};
  std::array<iovec, kBatch> group_iov{};
  struct alignas(cmsghdr) Ctl {
    unsigned char bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<Ctl, kBatch> ctl{};
  bool gso = true;  // cleared for good when the kernel refuses UDP_SEGMENT

  void prepare() {
    for (int k = 0; k < kBatch; ++k) {
      in_iov[k] = {in[k].data(), kUdpBuf};
      std::memset(&in_msgs[k].msg_hdr, 0, sizeof(msghdr));
      in_msgs[k].msg_hdr.msg_name = &peers[k];
      in_msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_msgs[k].msg_hdr.msg_iov = &in_iov[k];
      in_msgs[k].msg_hdr.msg_iovlen = 1;
    }
  }

  // sendmmsg of `m` messages; a message the kernel refuses (a full socket
  // buffer, an unreachable peer) is skipped, as UDP may lose it anyway,
  // rather than waited for.
  static void send_each(int fd, mmsghdr* msgs, unsigned m) {
    unsigned sent = 0;
    while (sent < m) {
      int r = ::sendmmsg(fd, msgs + sent, m - sent, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        ++sent;
        continue;
      }
      sent += static_cast<unsigned>(r);
    }
  }

  // The `m` answers in out_msgs as plan_udp_sends groups them: a group of
  // several answers to one client is one message of their buffers in order
  // with UDP_SEGMENT = the first one's length. A group the kernel refuses
  // is sent again one answer a message (and GSO left off for good when the
  // refusal says the socket or device cannot do it).
  void send_grouped(int fd, unsigned m, Counters& counters) {
    const size_t ng =
        udp_clients_repeat(refs.data(), m) ? plan_udp_sends(refs.data(), m, order.data(), groups.data()) : m;
    if (ng == m) {  // one answer per client: nothing to group
      counters.sends.fetch_add(m, std::memory_order_relaxed);
      send_each(fd, out_msgs.data(), m);
      return;
    }
    std::array<mmsghdr, kBatch> msgs;
    for (size_t g = 0; g < ng; ++g) {
      const UdpSendGroup& grp = groups[g];
      msghdr& h = msgs[g].msg_hdr;
      h = out_msgs[order[grp.begin]].msg_hdr;  // the client's address
      for (unsigned i = grp.begin; i < grp.end; ++i) group_iov[i] = out_iov[order[i]];
      h.msg_iov = &group_iov[grp.begin];
      h.msg_iovlen = grp.end - grp.begin;
      if (grp.gso_size) {
        h.msg_control = ctl[g].bytes;
        h.msg_controllen = sizeof ctl[g].bytes;
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const uint16_t size = grp.gso_size;
        std::memcpy(CMSG_DATA(c), &size, sizeof size);
      }
    }
    counters.sends.fetch_add(ng, std::memory_order_relaxed);
    size_t sent = 0;
    while (sent < ng) {
      int r = ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(ng - sent), MSG_DONTWAIT);
      if (r >= 0) {
        sent += static_cast<size_t>(r);
        continue;
      }
      if (errno == EINTR) continue;
      const UdpSendGroup& grp = groups[sent];
      if (grp.gso_size && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
        // EIO: no checksum offload on the route's device; EINVAL: a segment
        // over the path's MTU; ENOPROTOOPT/EOPNOTSUPP: no UDP GSO at all.
        if (errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) gso = false;
        std::array<mmsghdr, kBatch> one;
        unsigned k = 0;
        for (unsigned i = grp.begin; i < grp.end; ++i) one[k++] = out_msgs[order[i]];
        counters.sends.fetch_add(k, std::memory_order_relaxed);
        send_each(fd, one.data(), k);
      }
      ++sent;  // sent alone above, or lost as UDP may lose it
    }
  }

  // Answers the `n` datagrams received and sends the replies.
  void answer_and_send(int fd, int n, Lane& lane, Counters& counters, const dnsbl::AnswerOptions& opts,
                       RateLimiter& limiter, dnsbl::Xfr* xfr, const std::array<Histogram*, 4>& latency,
                       bool use_gso) {
    // Latency (rampart_dns_answer_seconds): answers per rcode class in this
    // batch, observed once with the batch's time after sendmmsg.
    const bool timed = latency[0] != nullptr;
    const LatencyClock& clock = LatencyClock::get();
    const uint64_t t0 = timed ? clock.now() : 0;
    uint32_t by_class[4] = {};
    unsigned m = 0;
    for (int k = 0; k < n; ++k) {
      counters.udp.fetch_add(1, std::memory_order_relaxed);
      if (in_msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
        counters.dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      dnsbl::Client client = client_of(peers[k]);
      if (!limiter.allow(client)) {
        client.limited = true;
        counters.limited.fetch_add(1, std::memory_order_relaxed);
      }
      std::span<const uint8_t> query{in[k].data(), in_msgs[k].msg_len};
      size_t len = 0;
      lane.scratch.zone = -1;
      if (xfr && dnsbl::Xfr::wants(query)) {
        // TSIG-signed queries and transfer requests (refused over UDP).
        xfr_out.clear();
        xfr->serve(*lane.zones, query, dnsbl::Transport::kUdp, ip_of(client), lane.scratch, &xfr_out,
                   unix_now(), opts);
        if (!xfr_out.empty() && xfr_out[0].size() <= kUdpBuf) {
          std::memcpy(out[m].data(), xfr_out[0].data(), xfr_out[0].size());
          len = xfr_out[0].size();
        }
      } else {
        len = dnsbl::answer(*lane.zones, query, dnsbl::Transport::kUdp, out[m].data(), kUdpBuf, lane.scratch,
                            opts, &client);
      }
      if (len == 0) {
        counters.dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      counters.count(lane.scratch.zone, out[m][3]);
      if (timed && !(xfr && dnsbl::Xfr::wants(query))) ++by_class[answer_class(out[m][3] & 0xF)];
      out_iov[m] = {out[m].data(), len};
      std::memset(&out_msgs[m].msg_hdr, 0, sizeof(msghdr));
      out_msgs[m].msg_hdr.msg_name = &peers[k];
      out_msgs[m].msg_hdr.msg_namelen = in_msgs[k].msg_hdr.msg_namelen;
      out_msgs[m].msg_hdr.msg_iov = &out_iov[m];
      out_msgs[m].msg_hdr.msg_iovlen = 1;
      if (gso) refs[m] = answer_ref(peers[k], len);
      ++m;
    }
    if (gso && use_gso && m > 1) {
      send_grouped(fd, m, counters);
    } else {
      counters.sends.fetch_add(m, std::memory_order_relaxed);
      send_each(fd, out_msgs.data(), m);
    }
    if (timed && m > 0) {
      const double secs = clock.seconds(t0, clock.now());
      for (int c = 0; c < 4; ++c)
        if (by_class[c]) latency[c]->observe(secs, by_class[c]);
    }
  }
};

struct DnsblServer::Worker {
  Worker(DnsblServer* s, unsigned i)
      : srv(s),
        index(i),
        io(1),
        limiter(s->options_.rate_limit, s->options_.rate_burst, s->options_.rate_clients) {}

  DnsblServer* srv;
  const unsigned index;  // the worker's place: 0 .. threads - 1
  const std::array<Histogram*, 4> tcp_latency = srv->options_.answer_seconds[1];  // null: not timed
  asio::io_context io;
  std::vector<std::unique_ptr<udp::socket>> udp_sockets;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  Lane lane;                     // the io_context thread's (TCP, and UDP in kAsio mode)
  RateLimiter limiter;           // the io_context thread's
  unsigned tcp_connections = 0;  // touched only on the io_context thread
  Counters counters;
  std::unique_ptr<UdpBatch> batch = std::make_unique<UdpBatch>();
  std::vector<std::thread> udp_threads;  // kBlocking mode: one per UDP socket
  // kBlocking mode: the UDP sockets taken out of the io_context (released
  // from Asio), so that no epoll instance watches them: an epoll entry on a
  // socket's wait queue costs a wake-up call for every datagram received
  // and every reply sent (sock_def_readable, sock_wfree), and woke the
  // io_context thread for nothing.
  std::vector<int> raw_udp;  // released from Asio: closed by ~Worker
  std::vector<int> udp_fds;  // kBlocking: the socket of each UDP thread
  // kShared, worker 0 only: per listen address, how many of the threads
  // read its socket now (1 .. threads; see udp_thread()).
  std::vector<std::unique_ptr<std::atomic<unsigned>>> udp_active;
  std::atomic<bool> stopping{false};

  ~Worker() {
    for (int fd : raw_udp) ::close(fd);
  }

  void refresh_zones() { lane.refresh(srv->generation_, srv->mu_, srv->zones_); }

  // kAsio mode. Asio's reactor is edge-triggered and async_wait is not
  // speculative: a datagram that arrives while no wait is queued raises no
  // new event. So a wait is queued only once recvmmsg said EAGAIN; after 16
  // full batches the socket yields to the others through post().
  void arm_udp(size_t i) {
    udp_sockets[i]->async_wait(udp::socket::wait_read, [this, i](const boost::system::error_code& ec) {
      if (ec) return;
      serve_udp(i);
    });
  }

  void serve_udp(size_t i) {
    counters.wakeups.fetch_add(1, std::memory_order_relaxed);
    if (drain_udp(i)) {
      arm_udp(i);
    } else {
      asio::post(io, [this, i] { serve_udp(i); });
    }
  }

  // True when the socket is empty (EAGAIN), false after 16 full batches.
  bool drain_udp(size_t i) {
    int fd = udp_sockets[i]->native_handle();
    for (int round = 0; round < 16; ++round) {
      batch->prepare();
      int n = ::recvmmsg(fd, batch->in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      counters.reads.fetch_add(1, std::memory_order_relaxed);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return true;  // EAGAIN (or an error the next wait reports)
      refresh_zones();
      RateLimiter& udp_limiter = srv->shared_udp_limiter_ ? *srv->shared_udp_limiter_ : limiter;
      batch->answer_and_send(fd, n, lane, counters, srv->options_.answer, udp_limiter,
                             srv->options_.xfr.get(), srv->options_.answer_seconds[0], srv->options_.udp_gso);
    }
    return false;
  }

  // kBlocking mode: a thread per UDP socket sleeps in recvmmsg until at
  // least one datagram is there and takes all that are (MSG_WAITFORONE):
  // two system calls per batch, none for readiness. A receive timeout lets
  // it see stop() and let go of an old zone set while idle.
  //
  // kShared: the threads of one socket join in on demand. Thread 0 always
  // reads; thread k reads while `active` > k and otherwise sleeps on it
  // (holding no zone set). The highest reading thread that takes a full
  // batch (the queue holds more than a batch: the readers fall behind) wakes
  // the next one; a helper that took less than a full batch kHelperRetires
  // times in a row (it caught up) while thread 0 also read goes back to
  // sleep if it is the highest.
  // A light load stays on one
  // thread, in batches as large as one thread gets, and a heavy one spreads
  // over all, whichever of them the scheduler runs.
  void udp_thread(size_t i) {
    pthread_setname_np(pthread_self(), "dnsbl-udp");  // top -H, bench/dnsbl_bench.sh
    int fd = udp_fds[i];
    Lane own;
    RateLimiter own_limiter(srv->options_.rate_limit, srv->options_.rate_burst, srv->options_.rate_clients);
    RateLimiter& udp_limiter = srv->shared_udp_limiter_ ? *srv->shared_udp_limiter_ : own_limiter;
    auto b = std::make_unique<UdpBatch>();
    const auto& first = *srv->workers_[0];
    std::atomic<unsigned>* active = i < first.udp_active.size() ? first.udp_active[i].get() : nullptr;
    const unsigned threads = static_cast<unsigned>(srv->workers_.size());
    unsigned light = 0;        // reads in a row that were not full
    uint64_t first_reads = 0;  // thread 0's reads when that streak began
    while (!stopping.load(std::memory_order_relaxed)) {
      if (active && index > 0) {
        unsigned a = active->load(std::memory_order_acquire);
        if (a <= index) {
          own.zones.reset();  // let a reload free the old set while asleep
          own.generation = ~uint64_t{0};
          active->wait(a, std::memory_order_acquire);
          continue;
        }
      }
      b->prepare();
      int n = ::recvmmsg(fd, b->in_msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
      counters.reads.fetch_add(1, std::memory_order_relaxed);
      if (active) {
        unsigned mine = index + 1;  // `active` when this thread is the highest reading
        if (n == kBatch) {
          light = 0;
          if (mine < threads && active->compare_exchange_strong(mine, mine + 1, std::memory_order_acq_rel))
            active->notify_all();
        } else if (index > 0) {
          // A short read: the backlog is gone. Sleep after kHelperRetires of
          // them in a row, and only if thread 0 read in the meantime: a
          // thread 0 that is preempted (or throttled) reads nothing, and a
          // helper that left then would leave the queue to no one.
          const uint64_t r = first.counters.reads.load(std::memory_order_relaxed);
          if (light++ == 0) first_reads = r;
          if (light >= kHelperRetires && r != first_reads) {
            active->compare_exchange_strong(mine, index, std::memory_order_acq_rel);
            light = 0;
          }
        }
      }
      own.refresh(srv->generation_, srv->mu_, srv->zones_);
      if (n <= 0) continue;  // timeout, EINTR, or shut down (stopping is set)
      b->answer_and_send(fd, n, own, counters, srv->options_.answer, udp_limiter, srv->options_.xfr.get(),
                         srv->options_.answer_seconds[0], srv->options_.udp_gso);
    }
  }

  void arm_accept(size_t i);
};

namespace {

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(DnsblServer::Worker* w, tcp::socket s, unsigned idle_ms, const dnsbl::AnswerOptions& opts,
                dnsbl::Xfr* xfr)
      : w_(w), sock_(std::move(s)), timer_(w->io), idle_ms_(idle_ms), opts_(opts), xfr_(xfr) {
    boost::system::error_code ec;
    auto ep = sock_.remote_endpoint(ec);
    if (!ec) {
      sockaddr_storage ss{};
      std::memcpy(&ss, ep.data(), std::min<size_t>(ep.size(), sizeof ss));
      client_ = client_of(ss);
    }
  }
  ~TcpConnection() { --w_->tcp_connections; }

  void start() { read_length(); }

 private:
  void arm_timer() {
    timer_.expires_after(std::chrono::milliseconds(idle_ms_));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close();
    });
  }
  void close() {
    boost::system::error_code ignored;
    sock_.close(ignored);
    timer_.cancel();
  }
  void read_length() {
    arm_timer();
    asio::async_read(sock_, asio::buffer(len_, 2),
                     [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                       if (ec) return self->close();
                       size_t n = (size_t{self->len_[0]} << 8) | self->len_[1];
                       if (n == 0) return self->close();
                       self->in_.resize(n);
                       asio::async_read(self->sock_, asio::buffer(self->in_),
                                        [self](const boost::system::error_code& ec2, size_t) {
                                          if (ec2) return self->close();
                                          self->respond();
                                        });
                     });
  }
  void respond() {
    w_->refresh_zones();
    w_->counters.tcp.fetch_add(1, std::memory_order_relaxed);
    client_.limited = !w_->limiter.allow(client_);
    if (client_.limited) w_->counters.limited.fetch_add(1, std::memory_order_relaxed);
    if (xfr_ && dnsbl::Xfr::wants(in_)) return respond_xfr();
    const auto& latency = w_->tcp_latency;
    const LatencyClock& clock = LatencyClock::get();
    const uint64_t t0 = latency[0] ? clock.now() : 0;
    out_.resize(2 + 65535);
    size_t n = dnsbl::answer(*w_->lane.zones, in_, dnsbl::Transport::kTcp, out_.data() + 2, 65535,
                             w_->lane.scratch, opts_, &client_);
    if (n == 0) {
      w_->counters.dropped.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    w_->counters.count(w_->lane.scratch.zone, out_[5]);
    out_[0] = static_cast<uint8_t>(n >> 8);
    out_[1] = static_cast<uint8_t>(n);
    if (latency[0]) latency[answer_class(out_[5] & 0xF)]->observe(clock.seconds(t0, clock.now()));
    asio::async_write(sock_, asio::buffer(out_.data(), n + 2),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        if (ec) return self->close();
                        self->read_length();
                      });
  }

  // Transfers and TSIG-signed queries: every message of the answer in one
  // write, each with its 2-octet length.
  void respond_xfr() {
    std::vector<std::string> msgs;
    xfr_->serve(*w_->lane.zones, in_, dnsbl::Transport::kTcp, ip_of(client_), w_->lane.scratch, &msgs,
                unix_now(), opts_);
    if (msgs.empty()) {
      w_->counters.dropped.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    w_->counters.rcodes[static_cast<uint8_t>(msgs[0][3]) & 0xF].fetch_add(1, std::memory_order_relaxed);
    out_.clear();
    for (const auto& m : msgs) {
      out_.push_back(static_cast<uint8_t>(m.size() >> 8));
      out_.push_back(static_cast<uint8_t>(m.size()));
      out_.insert(out_.end(), m.begin(), m.end());
    }
    // A client that does not read its transfer is closed after 6 idle
    // deadlines (60 s by default) rather than held for ever.
    timer_.expires_after(std::chrono::milliseconds(idle_ms_) * 6);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close();
    });
    asio::async_write(sock_, asio::buffer(out_.data(), out_.size()),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        if (ec) return self->close();
                        self->read_length();
                      });
  }

  DnsblServer::Worker* w_;
  tcp::socket sock_;
  asio::steady_timer timer_;
  unsigned idle_ms_;
  dnsbl::AnswerOptions opts_;
  dnsbl::Xfr* xfr_;
  uint8_t len_[2] = {};
  dnsbl::Client client_;
  std::vector<uint8_t> in_, out_;
};

}  // namespace

void DnsblServer::Worker::arm_accept(size_t i) {
  acceptors[i]->async_accept(io, [this, i](const boost::system::error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (tcp_connections >= srv->options_.tcp_connections_per_thread) {
        boost::system::error_code ignored;
        s.close(ignored);
      } else {
        ++tcp_connections;
        counters.conns.fetch_add(1, std::memory_order_relaxed);
        std::make_shared<TcpConnection>(this, std::move(s), srv->options_.tcp_idle_ms, srv->options_.answer,
                                        srv->options_.xfr.get())
            ->start();
      }
    }
    arm_accept(i);
  });
}

Result<std::unique_ptr<DnsblServer>> DnsblServer::create(const DnsblServerOptions& options,
                                                         dnsbl::ZoneSetPtr zones) {
  if (options.listen.empty()) return fail(Errc::kConfig, "no listen address");
  if (!zones) return fail(Errc::kConfig, "no zones");
  unsigned threads = std::max(1u, options.threads);
  const bool shared = options.udp_spread == UdpSpread::kShared;
  if (shared && options.udp_mode != UdpMode::kBlocking)
    return fail(Errc::kConfig, "a UDP socket shared by the threads needs the blocking UDP mode");
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::unique_ptr<DnsblServer> s(new DnsblServer());
    s->options_ = options;
    if (options.udp_spread != UdpSpread::kHash && threads > 1)
      s->shared_udp_limiter_ =
          std::make_unique<RateLimiter>(options.rate_limit, options.rate_burst, options.rate_clients, true);
    s->zones_ = zones;
    s->generation_ = 1;
    for (unsigned t = 0; t < threads; ++t) s->workers_.push_back(std::make_unique<Worker>(s.get(), t));
    bool retry = false;
    std::string error;
    for (const auto& hp : options.listen) {
      uint16_t port = hp.port;
      if (port != 0) {
        // SO_REUSEPORT would let a second server of the same user share
        // the port and take part of the queries without a word: bind once
        // without it first, so that a port in use is an error.
        if (auto in_use = port_in_use(hp); !in_use.empty()) return fail(Errc::kIo, in_use);
      }
      for (auto& w : s->workers_) {
        boost::system::error_code ec;
        asio::ip::address addr = to_asio(hp.ip);
        if (shared && w != s->workers_[0]) {
          // kShared: worker 0's socket is every UDP thread's; this worker
          // holds only its TCP acceptor.
          auto a = std::make_unique<tcp::acceptor>(w->io);
          if (!open_acceptor(*a, addr, port, ec)) {
            if (hp.port == 0 && ec == asio::error::address_in_use) retry = true;
            error = "cannot bind TCP " + hp.to_string() + ": " + ec.message();
            break;
          }
          w->udp_sockets.push_back(nullptr);
          w->acceptors.push_back(std::move(a));
          continue;
        }
        auto u = std::make_unique<udp::socket>(w->io);
        u->open(addr.is_v4() ? udp::v4() : udp::v6(), ec);
        if (!ec && addr.is_v6()) u->set_option(asio::ip::v6_only(true), ec);
        if (!ec) u->set_option(ReusePort(true), ec);
        if (!ec) u->bind(udp::endpoint(addr, port), ec);
        if (!ec) u->non_blocking(true, ec);
        if (!ec) {
          // Room for bursts (a thread preempted for a few ms under load
          // meets thousands of queued queries): 4 MiB or the system's
          // net.core.rmem_max, whichever is less; the kernel takes no
          // more memory than the queue holds.
          int bytes = 4 << 20;
          ::setsockopt(u->native_handle(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
        }
        if (ec) {
          error = "cannot bind UDP " + hp.to_string() + ": " + ec.message();
          break;
        }
        if (port == 0) port = u->local_endpoint().port();
        auto a = std::make_unique<tcp::acceptor>(w->io);
        if (!open_acceptor(*a, addr, port, ec)) {
          // With port 0 the UDP port chosen may be taken for TCP: pick again.
          if (hp.port == 0 && ec == asio::error::address_in_use) retry = true;
          error = "cannot bind TCP " + hp.to_string() + ": " + ec.message();
          break;
        }
        w->udp_sockets.push_back(std::move(u));
        w->acceptors.push_back(std::move(a));
      }
      if (!error.empty()) break;
      if (options.udp_spread == UdpSpread::kQueryId && threads > 1) {
        if (auto e = steer_by_query_id(s->workers_[0]->udp_sockets.back()->native_handle(), threads);
            !e.empty()) {
          error = "UDP " + hp.to_string() + ": " + e;
          break;
        }
      }
      s->ports_.push_back(port);
    }
    if (error.empty()) return s;
    if (!retry) return fail(Errc::kIo, error);
  }
  return fail(Errc::kIo, "cannot find a free port for both UDP and TCP");
}

DnsblServer::~DnsblServer() { stop(); }

void DnsblServer::start() {
  if (started_) return;
  started_ = true;
  if (options_.udp_spread == UdpSpread::kShared && options_.udp_mode == UdpMode::kBlocking)
    for (size_t i = 0; i < workers_[0]->udp_sockets.size(); ++i)
      workers_[0]->udp_active.push_back(std::make_unique<std::atomic<unsigned>>(1));
  for (auto& w : workers_) {
    for (size_t i = 0; i < w->udp_sockets.size(); ++i) {
      if (options_.udp_mode == UdpMode::kBlocking && !w->udp_sockets[i]) {
        // kShared: a thread on worker 0's socket (started before this one).
        w->udp_fds.push_back(workers_[0]->udp_fds[i]);
        Worker* wp = w.get();
        w->udp_threads.emplace_back([wp, i] { wp->udp_thread(i); });
      } else if (options_.udp_mode == UdpMode::kBlocking) {
        boost::system::error_code ec;
        w->udp_sockets[i]->non_blocking(false, ec);
        int fd = w->udp_sockets[i]->release(ec);
        if (ec || fd < 0) {
          // Not expected on Linux; then the socket stays Asio's (and in
          // its epoll), which costs only speed.
          fd = w->udp_sockets[i]->native_handle();
        } else {
          w->raw_udp.push_back(fd);
        }
        w->udp_fds.push_back(fd);
        timeval tv{0, 250000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        Worker* wp = w.get();
        w->udp_threads.emplace_back([wp, i] { wp->udp_thread(i); });
      } else {
        w->arm_udp(i);
      }
      w->arm_accept(i);
    }
    Worker* wp = w.get();
    threads_.emplace_back([wp] {
      pthread_setname_np(pthread_self(), "dnsbl-io");
      wp->refresh_zones();
      wp->io.run();
    });
  }
}

void DnsblServer::stop() {
  for (auto& w : workers_) w->stopping = true;
  if (!workers_.empty())
    for (auto& a : workers_[0]->udp_active) {  // sleeping kShared helpers see `stopping`
      a->fetch_add(1 << 20, std::memory_order_acq_rel);
      a->notify_all();
    }
  for (auto& w : workers_) {
    // Wakes a thread blocked in recvmmsg at once (else the receive timeout).
    for (int fd : w->udp_fds) ::shutdown(fd, SHUT_RD);
    w->io.stop();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  for (auto& w : workers_) {
    for (auto& t : w->udp_threads)
      if (t.joinable()) t.join();
    w->udp_threads.clear();
  }
}

void DnsblServer::set_zones(dnsbl::ZoneSetPtr zones) {
  if (!zones) return;
  dnsbl::ZoneSetPtr old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(zones_);
    zones_ = std::move(zones);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // Each worker lets go of the old set at once, idle or not, so that two
  // sets live side by side only while a reload is being swapped in.
  for (auto& w : workers_) {
    Worker* wp = w.get();
    asio::post(w->io, [wp] { wp->refresh_zones(); });
  }
  // `old` is freed here or by the last worker to move on.
}

dnsbl::ZoneSetPtr DnsblServer::zones() const {
  std::lock_guard<std::mutex> lock(mu_);
  return zones_;
}

void register_answer_histograms(Metrics& metrics, DnsblServerOptions& options) {
  (void)LatencyClock::get();  // calibrated here, at start, not on the first query
  auto& family = metrics.histogram_family(
      "rampart_dns_answer_seconds",
      "DNS server answer latency (query arrival to answer sent), by transport and rcode class.",
      {"transport", "rcode"},
      {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1});
  static const char* kTransport[2] = {"udp", "tcp"};
  static const char* kClass[4] = {"NOERROR", "NXDOMAIN", "REFUSED", "OTHER"};
  for (int t = 0; t < 2; ++t)
    for (int c = 0; c < 4; ++c) options.answer_seconds[t][c] = &family.with({kTransport[t], kClass[c]});
}

DnsblStats DnsblServer::stats() const {
  DnsblStats s;
  for (const auto& w : workers_) {
    s.udp_queries += w->counters.udp.load(std::memory_order_relaxed);
    s.udp_queries_by_thread.push_back(w->counters.udp.load(std::memory_order_relaxed));
    s.tcp_queries += w->counters.tcp.load(std::memory_order_relaxed);
    s.dropped += w->counters.dropped.load(std::memory_order_relaxed);
    s.tcp_connections += w->counters.conns.load(std::memory_order_relaxed);
    s.udp_reads += w->counters.reads.load(std::memory_order_relaxed);
    s.udp_wakeups += w->counters.wakeups.load(std::memory_order_relaxed);
    s.udp_sends += w->counters.sends.load(std::memory_order_relaxed);
    s.rate_limited += w->counters.limited.load(std::memory_order_relaxed);
    for (int i = 0; i < 16; ++i) s.rcodes[i] += w->counters.rcodes[i].load(std::memory_order_relaxed);
  }
  const auto zs = zones();
  for (size_t z = 0; z < zs->zones().size() && z < kZoneCounters; ++z) {
    std::array<uint64_t, 16> r{};
    for (const auto& w : workers_)
      for (int i = 0; i < 16; ++i) r[i] += w->counters.zone_rcodes[z][i].load(std::memory_order_relaxed);
    s.zone_rcodes.emplace_back(zs->zones()[z].apex, r);
  }
  return s;
}

}  // namespace rampart::server::dns

// File: src/server/dns/dnsbl_server.h
// DnsblServer: the authoritative DNS server of the DNSBL zones (issue 14),
// over Boost.Asio: one io_context per thread, each thread with its own TCP
// acceptor on every listen address (SO_REUSEPORT), and UDP spread over the
// threads as UdpSpread says. Answers come from dnsbl::answer(); the
// zones are swapped atomically (set_zones) while queries run: a query is
// answered from the old set or the new one, never failed.
//
//   dnsbl::DnsblServerOptions o;
//   o.listen.push_back(*parse_host_port("127.0.0.1:0", -1, true));
//   o.threads = 4;
//   auto srv = DnsblServer::create(o, zones);    // Result<unique_ptr>: binds
//   (*srv)->start();                             // threads run
//   uint16_t port = (*srv)->ports()[0];          // the port bound for "…:0"
//   (*srv)->set_zones(new_zones);                // reload
//   (*srv)->stop();                              // joins the threads
//
// UDP reads and writes go through recvmmsg/sendmmsg in batches of up to 64
// once Asio reports the socket readable. TCP (RFC 7766): 2-octet length
// framing, several queries per connection answered in order, an idle
// deadline and a connection cap per thread.
//
// DIAGNOSTICS: create() fails (kIo) when an address cannot be bound, naming
// it. Per-packet problems are never errors: see dnsbl/zones.h for what is
// answered how; a TCP connection that sends a length of zero, stalls past
// the idle deadline or exceeds the cap is closed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "core/metrics.h"
#include "core/result.h"
#include "dnsbl/xfr.h"
#include "dnsbl/zones.h"

namespace rampart::server::dns {

class RateLimiter;

enum class UdpMode {
  kAsio,      // UDP readiness through each thread's io_context (hostable in a shared loop)
  kBlocking,  // a thread per UDP socket blocked in recvmmsg, the socket in no epoll (cheapest)
};

// How the queries to one listen address are spread over the threads.
enum class UdpSpread {
  // A SO_REUSEPORT socket per thread; the kernel picks one by a hash of the
  // client's address and port: even over many client sockets, uneven over
  // few (32 over two threads: 19/13 is typical), and a client socket always
  // lands on the same thread.
  kHash,
  // A SO_REUSEPORT socket per thread and a classic BPF program on the group
  // (SO_ATTACH_REUSEPORT_CBPF) that picks the socket by the query's ID
  // modulo the threads: even per query whatever the clients' sockets.
  kQueryId,
  // kBlocking only: one socket per listen address, read by every UDP thread
  // (recvmmsg waits are exclusive: one thread is woken per arrival, the
  // others stay asleep): a thread takes what is queued when it is free, so
  // a busy or preempted thread leaves the work to the others, and an idle
  // server wakes one thread, not all.
  kShared,
};

struct DnsblServerOptions {
  std::vector<HostPort> listen;
  unsigned threads = 1;
  UdpMode udp_mode = UdpMode::kAsio;
  unsigned tcp_connections_per_thread = 256;
  unsigned tcp_idle_ms = 10000;
  dnsbl::AnswerOptions answer;
  // Per client address and thread: queries per second allowed, and the
  // burst (0: the rate). 0 = no limit. Over it, DNSBL names get the
  // "excessive queries" answer (dnsbl::Client::limited).
  double rate_limit = 0, rate_burst = 0;
  size_t rate_clients = 65536;  // addresses tracked per thread (then forgotten)
  // Zone transfers (AXFR/IXFR over TCP) and TSIG-signed queries; null: the
  // server refuses transfers. The caller numbers each zone set with
  // xfr->update() before set_zones().
  std::shared_ptr<dnsbl::Xfr> xfr;
  // Answer latency histograms by transport (kUdp, kTcp) and rcode class
  // (answer_class()); all null (the default): not measured, no clock read.
  // register_answer_histograms() fills them from a registry.
  std::array<std::array<Histogram*, 4>, 2> answer_seconds{};
  // UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18): the answers
  // of one batch to the same client address and port, of equal length (the
  // last of a run may be shorter), leave in one send as one large datagram
  // that the kernel cuts into the individual answers (each still its own
  // datagram on the wire, byte for byte what it would be alone).
  // Off, or where the kernel refuses it (then each is sent alone): one
  // message per answer.
  bool udp_gso = true;
  UdpSpread udp_spread = UdpSpread::kHash;
};

// One answer of a UDP batch as the GSO planner sees it: the client's
// address and port (a key in which equal means the same client socket) and
// the answer's length.
struct UdpAnswerRef {
  uint64_t addr_hi = 0, addr_lo = 0;  // IPv4 in addr_lo, IPv6 in both
  uint32_t port_family = 0;           // port << 16 | family
  uint16_t len = 0;
};
// A run of `order` that goes as one send: answers [begin, end) of the
// planner's order; gso_size = the first one's length, or 0 when it holds
// one answer (sent without UDP_SEGMENT).
struct UdpSendGroup {
  uint16_t begin = 0, end = 0, gso_size = 0;
};
// Plans the sends of one batch (at most 64 answers): fills `order` with the
// answers' indices sorted by client then by length, longest first, and
// returns in `groups` runs of it that meet the kernel's rule for
// UDP_SEGMENT: one client, every answer gso_size long but the last, which
// may be shorter, at most `max_segments` answers and `max_bytes` in all.
// Returns the number of groups (every answer in exactly one).
size_t plan_udp_sends(const UdpAnswerRef* answers, size_t n, uint8_t* order, UdpSendGroup* groups,
                      size_t max_segments = 64, size_t max_bytes = 60000);

// True when two of the `n` answers (at most 64) go to the same client
// address and port, the only case in which plan_udp_sends() can group
// anything. One pass over a 128-slot open-addressing table: a batch of
// answers to as many client sockets (a recursive resolver's traffic, a new
// source port per query) skips the plan's sort.
bool udp_clients_repeat(const UdpAnswerRef* answers, size_t n);

// rampart_dns_answer_seconds{transport="udp"|"tcp", rcode="NOERROR"|"NXDOMAIN"|"REFUSED"|"OTHER"}:
// the time from a query's arrival to its answer leaving. UDP: from the
// return of the recvmmsg that read the query to the end of the sendmmsg
// that sent its batch's answers (every answer of a batch leaves together,
// so each is observed with the batch's time: two clock reads a batch, one
// bucket add per rcode class present). TCP: from the whole query read to
// the answer handed to the socket. Buckets from 10 us to 1 s.
// Transfers and TSIG-signed queries are not observed (their time is the
// zone's size, not the server's speed).
void register_answer_histograms(Metrics& metrics, DnsblServerOptions& options);
// 0 NOERROR, 1 NXDOMAIN, 2 REFUSED, 3 any other rcode.
inline int answer_class(uint8_t rcode) { return rcode == 0 ? 0 : rcode == 3 ? 1 : rcode == 5 ? 2 : 3; }

struct DnsblStats {
  uint64_t udp_queries = 0, tcp_queries = 0, dropped = 0, tcp_connections = 0;
  uint64_t udp_reads = 0, udp_wakeups = 0;      // recvmmsg calls, readiness events
  uint64_t udp_sends = 0;                       // messages handed to sendmmsg (one per GSO group)
  uint64_t rate_limited = 0;                    // queries over a client's rate
  std::vector<uint64_t> udp_queries_by_thread;  // udp_queries by the thread that read them
  uint64_t rcodes[16] = {};
  // Responses per zone and rcode, for the zones of the set served now
  // (counted by the zone's place in the set: a reload that changes the
  // list of zones attributes earlier counts to the zone now at that place;
  // the first kZoneCounters zones only).
  std::vector<std::pair<std::string, std::array<uint64_t, 16>>> zone_rcodes;
};
constexpr size_t kZoneCounters = 64;

class DnsblServer {
 public:
  static Result<std::unique_ptr<DnsblServer>> create(const DnsblServerOptions& options,
                                                     dnsbl::ZoneSetPtr zones);
  ~DnsblServer();
  DnsblServer(const DnsblServer&) = delete;
  DnsblServer& operator=(const DnsblServer&) = delete;

  void start();
  void stop();  // idempotent; joins the threads
  // Ports bound, one per listen address (the chosen one for port 0).
  std::vector<uint16_t> ports() const { return ports_; }
  void set_zones(dnsbl::ZoneSetPtr zones);
  dnsbl::ZoneSetPtr zones() const;
  DnsblStats stats() const;

  struct Worker;  // one thread's io_context and sockets

 private:
  DnsblServer() = default;
  friend struct Worker;
  DnsblServerOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<uint16_t> ports_;
  mutable std::mutex mu_;
  dnsbl::ZoneSetPtr zones_;
  std::atomic<uint64_t> generation_{0};
  bool started_ = false;
  // kQueryId and kShared: a client's UDP queries reach every thread, so
  // its token bucket is one for all UDP threads (under a lock, taken only
  // when a rate limit is set); kHash: one table per thread.
  std::unique_ptr<RateLimiter> shared_udp_limiter_;
};

}  // namespace rampart::server::dns

// File: src/server/flow_collector.h
// FlowCollector: the UDP socket that receives NetFlow v5, NetFlow v9 and IPFIX
// export datagrams, decodes them with one flows::FlowDecoder per exporter and
// hands every record to a sink (typically flows::Detector::observe).
//
//   FlowCollector::Options o;
//   o.listen = "127.0.0.1:0";                  // "ADDR:PORT", "[v6]:PORT"; port 0 = any
//   flows::Detector det(cfg);
//   auto c = FlowCollector::open(o, [&](const flows::Flow& f, const IpAddress&) { det.observe(f); });
//   if (!c) die(c.error().message);
//   (*c)->port();                              // the bound port (after port 0)
//   while (running) (*c)->poll(200);           // waits <= 200 ms, drains the socket
//   (*c)->stats().to_string();                 // "datagrams=.. records=.. dropped: truncated=1"
//
// DESCRIPTION
//   Non-blocking: one epoll set holds the socket and an eventfd; poll() waits
//   for either, then reads the socket until it would block (recvmmsg, a batch
//   at a time) or until Options::max_batches_per_poll batches were read, so a
//   flood cannot starve the caller. stop() is async-signal-safe (it writes the
//   eventfd) and wakes a poll() in progress. One thread calls poll(); the
//   collector is not otherwise thread-safe.
//
//   Memory is bounded: the receive buffers are allocated once (batch x
//   max_datagram), the decoded-record vector is reused, exporters are capped
//   by max_exporters (each decoder bounded by its FlowDecoder::Limits), and an
//   IPv6 socket bound to "::" also takes IPv4 (v4-mapped exporters unmapped).
//
// DIAGNOSTICS
//   open() returns kInvalidArgument for a bad listen address and kIo when the
//   socket cannot be created or bound. On the packet path nothing throws:
//   every datagram that is not decoded is counted in CollectorStats (too
//   large for the buffer, an exporter outside allowed_exporters (by default
//   only loopback exporters are allowed: a flow collector reachable from
//   elsewhere must not let anyone feed the bot detector), an exporter
//   beyond max_exporters, decoder drops by reason), and kernel receive-queue
//   overflows are read from SO_RXQ_OVFL when the kernel reports them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/ip.h"
#include "core/result.h"
#include "flows/detector.h"
#include "flows/flow.h"
#include "flows/netflow.h"

namespace rampart::server {

struct ListenAddress {
  IpAddress ip;
  uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:9995", "[::1]:9995"
};

// "127.0.0.1:9995", "[::1]:0", "[::]:2055"; a bare IPv6 address needs brackets.
Result<ListenAddress> parse_listen_address(std::string_view text);

struct CollectorStats {
  uint64_t datagrams = 0;       // datagrams received
  uint64_t bytes = 0;           // their bytes
  uint64_t records = 0;         // flows decoded and handed to the sink
  uint64_t oversized = 0;       // larger than max_datagram (truncated by the kernel): dropped
  uint64_t not_allowed = 0;     // exporter outside allowed_exporters (default: loopback): dropped
  uint64_t exporter_limit = 0;  // a new exporter beyond max_exporters: dropped
  uint64_t decode_errors = 0;   // datagrams the decoder refused whole
  uint64_t kernel_drops = 0;    // receive-queue overflows (SO_RXQ_OVFL), when reported
  uint64_t receive_errors = 0;  // recvmmsg errors other than EAGAIN/EINTR
  flows::DecodeStats decoder;   // the decoders' own counts, summed over exporters
  size_t exporters = 0;         // exporters with a decoder
  uint64_t dropped() const { return oversized + not_allowed + exporter_limit + decode_errors + kernel_drops; }
  std::string to_string() const;
};

class FlowCollector {
 public:
  using Sink = std::function<void(const flows::Flow&, const IpAddress& exporter)>;

  struct Options {
    std::string listen = "127.0.0.1:0";
    size_t max_datagram = 65535;       // bytes per receive buffer (IPFIX messages are <= 65535)
    size_t batch = 16;                 // datagrams per recvmmsg
    size_t max_batches_per_poll = 64;  // then poll() returns, even when more is queued
    int receive_buffer = 4 << 20;      // SO_RCVBUF wish; the kernel may clamp it
    size_t max_exporters = 1024;       // decoders kept (one per exporter address)
    // Exporters whose datagrams are decoded; empty: loopback only
    // (127.0.0.0/8 and ::1). Every other datagram is counted (not_allowed)
    // and dropped; the first from each address is logged.
    std::vector<flows::Prefix> allowed_exporters;
    flows::FlowDecoder::Limits decoder_limits;
  };

  // [flows] exporters = ["CIDR", ...] (absent: empty, loopback only);
  // Errc::kConfig naming file:line and the key for a bad entry.
  static Result<std::vector<flows::Prefix>> exporters_from(const Config& cfg);
  // Whether `allowed` (empty: loopback only) admits `exporter`.
  static bool exporter_allowed(const std::vector<flows::Prefix>& allowed, const IpAddress& exporter);
  // Binds the socket; the sink gets every decoded record in arrival order.
  static Result<std::unique_ptr<FlowCollector>> open(Options o, Sink sink);
  ~FlowCollector();
  FlowCollector(const FlowCollector&) = delete;
  FlowCollector& operator=(const FlowCollector&) = delete;

  const ListenAddress& local() const { return local_; }
  uint16_t port() const { return local_.port; }

  // Waits up to timeout_ms (-1: no limit) for datagrams or stop(), then reads
  // what is queued (bounded, see Options). Returns the datagrams handled, or
  // kIo when epoll itself fails. After stop() it returns 0 at once.
  Result<size_t> poll(int timeout_ms);
  // Async-signal-safe; poll() returns and stopped() becomes true.
  void stop();
  bool stopped() const;

  // Counters; `decoder` and `exporters` are refreshed on each call.
  const CollectorStats& stats();

 private:
  FlowCollector(Options o, Sink sink);
  Status init();
  void handle(const uint8_t* data, size_t len, const IpAddress& exporter);
  flows::FlowDecoder* decoder_for(const IpAddress& exporter);

  struct ExporterKey {
    std::array<uint8_t, 16> b{};
    bool v4 = true;
    bool operator==(const ExporterKey& o) const { return v4 == o.v4 && b == o.b; }
  };
  struct ExporterKeyHash {
    size_t operator()(const ExporterKey& k) const;
  };

  Options o_;
  Sink sink_;
  ListenAddress local_;
  int fd_ = -1;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  std::atomic<bool> stop_requested_{false};  // lock-free: safe from a signal handler
  bool stopped_ = false;
  struct Io;  // recvmmsg headers and buffers, allocated once in init()
  std::unique_ptr<Io> io_;
  std::vector<flows::Flow> flows_;
  std::unordered_map<ExporterKey, std::unique_ptr<flows::FlowDecoder>, ExporterKeyHash> decoders_;
  CollectorStats stats_;
  std::unordered_set<std::string> refused_logged_;  // exporters whose refusal was logged
  uint32_t last_ovfl_ = 0;
};

}  // namespace rampart::server

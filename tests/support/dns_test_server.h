// File: tests/support/dns_test_server.h
// A small authoritative DNS server for tests: UDP and TCP on 127.0.0.1 with
// a kernel-chosen port, its own thread, answers from a dns::Zone (NXDOMAIN /
// NODATA with the zone's SOA, CNAME chains, wildcards), and switches to drop
// every query, answer SERVFAIL, or set TC on UDP answers (forces TCP retry).
//
//   auto zone = dns::parse_zone("example.com. 300 IN A 192.0.2.1\n");
//   auto server = dns::DnsTestServer::start(std::move(*zone));   // Result<unique_ptr>
//   dns::UnboundOptions opt;
//   opt.forwarders = {(*server)->forwarder()};                 // "127.0.0.1@PORT"
//   (*server)->set_drop(true);                                  // timeouts from now on
//   (*server)->set_unanswered({{"slow.example.com", RRType::TXT}});  // only that one
//   EXPECT_GT((*server)->tcp_queries(), 0u);
//
// Link target: rampart_dns_test_server. Never talks outside 127.0.0.1.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "dns/wire.h"
#include "dns/zone.h"

namespace rampart::dns {

class DnsTestServer {
 public:
  static Result<std::unique_ptr<DnsTestServer>> start(Zone zone);
  ~DnsTestServer();
  DnsTestServer(const DnsTestServer&) = delete;
  DnsTestServer& operator=(const DnsTestServer&) = delete;

  uint16_t port() const { return port_; }
  std::string forwarder() const { return "127.0.0.1@" + std::to_string(port_); }

  void set_zone(Zone zone);
  void set_drop(bool on) { drop_ = on; }
  void set_servfail(bool on) { servfail_ = on; }
  void set_truncate_udp(bool on) { truncate_udp_ = on; }
  // Queries for these (name, type) pairs get no answer at all (a name the
  // server never answers: the client times out). Names in any spelling.
  void set_unanswered(const std::set<std::pair<std::string, RRType>>& which);

  size_t udp_queries() const { return udp_queries_; }
  size_t tcp_queries() const { return tcp_queries_; }

  // The response the server would send (for unit tests of the server logic).
  std::vector<uint8_t> answer(const std::vector<uint8_t>& query, bool udp);

 private:
  DnsTestServer() = default;
  void run();
  void handle_udp();
  void accept_tcp();
  bool handle_tcp(size_t i);  // false: close the connection

  struct Conn {
    int fd = -1;
    std::vector<uint8_t> buf;
  };

  std::mutex mu_;
  Zone zone_;
  std::set<std::pair<std::string, RRType>> unanswered_;  // canonical names
  int udp_ = -1, tcp_ = -1, wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::vector<Conn> conns_;
  std::atomic<bool> stop_{false}, drop_{false}, servfail_{false}, truncate_udp_{false};
  std::atomic<size_t> udp_queries_{0}, tcp_queries_{0};
  std::thread thread_;
};

}  // namespace rampart::dns

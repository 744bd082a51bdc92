// File: src/server/dns/notifier.h
// Notifier: NOTIFY (RFC 1996) to the secondaries of the DNSBL zones after a
// change, from one thread of its own: a job per (secondary, zone), sent
// again after 1, 2, 4 and 8 s (5 sends) until the secondary answers, given
// up 8 s after the last; a newer serial replaces a pending job. Signed with
// `key` when given (the answer's TSIG is checked and logged). Used by
// `rampart dnsbl serve` (reloads) and rampartd's live zones.
//
//   server::dns::Notifier n(targets, key, [](const std::string& line) { log(line); });
//   n.changed(zone);               // after set_zones() published the new serial
//
// DIAGNOSTICS: nothing fails; each send, answer and give-up is one log line
// ("NOTIFY bl.example serial 7 to 127.0.0.1:5300 (try 1)", "... acknowledged
// by ... (rcode 0)", "...: no answer after 5 tries, giving up").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/ip.h"
#include "dnsbl/tsig.h"
#include "dnsbl/zones.h"

namespace rampart::server::dns {

class Notifier {
 public:
  using Log = std::function<void(const std::string&)>;
  Notifier(std::vector<HostPort> targets, const dnsbl::TsigKey* key, Log log);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  void changed(const dnsbl::ZoneSet::Zone& z);
  uint64_t sent() const;  // NOTIFY messages sent
  uint64_t acknowledged() const;

 private:
  struct Job {
    HostPort to;
    std::string apex;
    rampart::dns::Soa soa;
    int sent;
    std::chrono::steady_clock::time_point at;
    uint16_t id;
    std::string mac;
  };
  static constexpr int kTries = 5;
  void send(Job& j);
  void receive(int fd);
  void loop();

  std::vector<HostPort> targets_;
  std::optional<dnsbl::TsigKey> key_;
  Log log_;
  int fd4_ = -1, fd6_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Job> jobs_;
  bool stop_ = false;
  uint64_t sent_ = 0, acked_ = 0;
  std::mt19937 rng_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace rampart::server::dns

// File: src/server/dns/notifier.cc
// NOTIFY to the secondaries (see notifier.h).
#include "server/dns/notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "dnsbl/xfr.h"

namespace rampart::server::dns {

namespace {
uint64_t unix_now() { return static_cast<uint64_t>(std::time(nullptr)); }
}  // namespace

Notifier::Notifier(std::vector<HostPort> targets, const dnsbl::TsigKey* key, Log log)
    : targets_(std::move(targets)), log_(std::move(log)) {
  if (key) key_ = *key;
  fd4_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  fd6_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  thread_ = std::thread([this] { loop(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (fd4_ >= 0) ::close(fd4_);
  if (fd6_ >= 0) ::close(fd6_);
}

void Notifier::changed(const dnsbl::ZoneSet::Zone& z) {
  std::lock_guard lock(mu_);
  for (const auto& t : targets_) {
    std::erase_if(jobs_, [&](const Job& j) { return j.apex == z.apex && j.to.to_string() == t.to_string(); });
    jobs_.push_back({t, z.apex, z.soa, 0, std::chrono::steady_clock::now(), 0, {}});
  }
  cv_.notify_all();
}

uint64_t Notifier::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

uint64_t Notifier::acknowledged() const {
  std::lock_guard lock(mu_);
  return acked_;
}

void Notifier::send(Job& j) {
  j.id = static_cast<uint16_t>(rng_());
  std::string m = dnsbl::notify_message(j.apex, j.soa, j.id, key_ ? &*key_ : nullptr, unix_now(), &j.mac);
  sockaddr_storage ss{};
  socklen_t len = 0;
  int fd = -1;
  if (j.to.ip.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(j.to.port);
    std::memcpy(&a->sin_addr, j.to.ip.bytes().data(), 4);
    len = sizeof(sockaddr_in);
    fd = fd4_;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(j.to.port);
    std::memcpy(&a->sin6_addr, j.to.ip.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
    fd = fd6_;
  }
  ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  ++j.sent;
  ++sent_;
  // Next try (or, after the last, the end of the wait for an answer) in
  // 1, 2, 4, 8, 8 s.
  j.at = std::chrono::steady_clock::now() + std::chrono::seconds(1 << std::min(j.sent - 1, 3));
  log_("NOTIFY " + j.apex + " serial " + std::to_string(j.soa.serial) + " to " + j.to.to_string() + " (try " +
       std::to_string(j.sent) + ")");
}

void Notifier::receive(int fd) {
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 12) return;
    uint16_t id = static_cast<uint16_t>(buf[0] << 8 | buf[1]);
    if (!(buf[2] & 0x80) || ((buf[2] >> 3) & 0xF) != 4) continue;
    std::lock_guard lock(mu_);
    std::erase_if(jobs_, [&](const Job& j) {
      if (j.sent == 0 || j.id != id) return false;
      bool ok =
          !key_ || dnsbl::tsig_verify_response({buf, static_cast<size_t>(n)}, *key_, j.mac, true, unix_now());
      ++acked_;
      log_("NOTIFY " + j.apex + " serial " + std::to_string(j.soa.serial) + " acknowledged by " +
           j.to.to_string() + " (rcode " + std::to_string(buf[3] & 0xF) + (ok ? "" : ", TSIG not verified") +
           ")");
      return true;
    });
  }
}

void Notifier::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    for (auto& j : jobs_)
      if (j.at <= now && j.sent < kTries) send(j);
    std::erase_if(jobs_, [&](const Job& j) {
      bool gave_up = j.sent >= kTries && j.at <= now;
      if (gave_up)
        log_("NOTIFY " + j.apex + " serial " + std::to_string(j.soa.serial) + " to " + j.to.to_string() +
             ": no answer after " + std::to_string(kTries) + " tries, giving up");
      return gave_up;
    });
    if (jobs_.empty()) {
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      continue;
    }
    lock.unlock();
    pollfd p[2] = {{fd4_, POLLIN, 0}, {fd6_, POLLIN, 0}};
    ::poll(p, 2, 100);
    if (fd4_ >= 0) receive(fd4_);
    if (fd6_ >= 0) receive(fd6_);
    lock.lock();
  }
}

}  // namespace rampart::server::dns

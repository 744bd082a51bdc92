#include "support/dns_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dns/name.h"

namespace rampart::dns {
namespace {

int bind_socket(int type, uint16_t port, uint16_t* bound) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 16) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *bound = ntohs(sa.sin_port);
  return fd;
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<DnsTestServer>> DnsTestServer::start(Zone zone) {
  std::unique_ptr<DnsTestServer> s(new DnsTestServer());
  s->zone_ = std::move(zone);
  for (int attempt = 0; attempt < 50 && s->tcp_ < 0; ++attempt) {
    uint16_t port = 0;
    s->udp_ = bind_socket(SOCK_DGRAM, 0, &port);
    if (s->udp_ < 0) return fail(Errc::kIo, std::string("udp bind: ") + std::strerror(errno));
    uint16_t tcp_port = 0;
    s->tcp_ = bind_socket(SOCK_STREAM, port, &tcp_port);
    if (s->tcp_ < 0) {
      ::close(s->udp_);
      s->udp_ = -1;
      continue;
    }
    s->port_ = port;
  }
  if (s->tcp_ < 0) return fail(Errc::kIo, "no port free for both UDP and TCP");
  if (::pipe2(s->wake_, O_CLOEXEC) != 0) return fail(Errc::kIo, "pipe");
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

DnsTestServer::~DnsTestServer() {
  stop_ = true;
  if (wake_[1] >= 0) {
    char c = 1;
    (void)!::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (auto& c : conns_) ::close(c.fd);
  for (int fd : {udp_, tcp_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

void DnsTestServer::set_zone(Zone zone) {
  std::lock_guard<std::mutex> lock(mu_);
  zone_ = std::move(zone);
}

void DnsTestServer::set_unanswered(const std::set<std::pair<std::string, RRType>>& which) {
  std::lock_guard<std::mutex> lock(mu_);
  unanswered_.clear();
  for (const auto& [name, type] : which) unanswered_.emplace(normalize_name(name), type);
}

std::vector<uint8_t> DnsTestServer::answer(const std::vector<uint8_t>& query, bool udp) {
  auto q = parse_query(query);
  if (!q) {
    auto h = parse_header(query);
    if (!h || h->qr) return {};
    Response r;
    r.id = h->id;
    r.has_question = false;
    r.rcode = Rcode::kFormErr;
    return encode_response(r).value_or(std::vector<uint8_t>{});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!unanswered_.empty() && unanswered_.count({normalize_name(q->name), static_cast<RRType>(q->type)}))
      return {};
  }
  Response r = Response::to(*q);
  r.aa = true;
  size_t max = udp ? (q->edns ? q->udp_size : kMaxUdpPlain) : 65535;
  if (q->opcode != 0) {
    r.rcode = Rcode::kNotImp;
  } else if (servfail_) {
    r.rcode = Rcode::kServFail;
  } else if (q->qclass != kClassIn) {
    r.rcode = Rcode::kRefused;
  } else if (udp && truncate_udp_) {
    r.tc = true;
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    ZoneLookup z = zone_.lookup(q->name, static_cast<RRType>(q->type));
    r.answers = std::move(z.cnames);
    switch (z.status) {
      case Status::kOk:
        for (auto& rec : z.records) r.answers.push_back({z.final_name, std::move(rec)});
        break;
      case Status::kNxDomain:
        r.rcode = Rcode::kNxDomain;
        r.authority_soa = zone_.soa;
        break;
      case Status::kNoData: r.authority_soa = zone_.soa; break;
      default: r.rcode = Rcode::kServFail; r.answers.clear();
    }
  }
  auto bytes = encode_response(r, max);
  return bytes ? std::move(*bytes) : std::vector<uint8_t>{};
}

void DnsTestServer::run() {
  while (!stop_) {
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
    for (const auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), 1000);
    if (n <= 0 || stop_) continue;
    if (fds[1].revents) handle_udp();
    if (fds[2].revents) accept_tcp();
    // Walk backwards so closing a connection does not shift unvisited ones.
    for (size_t i = fds.size(); i-- > 3;) {
      if (!fds[i].revents) continue;
      size_t ci = i - 3;
      if (!handle_tcp(ci)) {
        ::close(conns_[ci].fd);
        conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(ci));
      }
    }
  }
}

void DnsTestServer::handle_udp() {
  uint8_t buf[65536];
  sockaddr_storage from{};
  socklen_t flen = sizeof from;
  ssize_t n = ::recvfrom(udp_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &flen);
  if (n <= 0) return;
  ++udp_queries_;
  if (drop_) return;
  auto out = answer(std::vector<uint8_t>(buf, buf + n), true);
  if (!out.empty())
    ::sendto(udp_, out.data(), out.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&from), flen);
}

void DnsTestServer::accept_tcp() {
  int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) conns_.push_back({fd, {}});
}

bool DnsTestServer::handle_tcp(size_t i) {
  Conn& c = conns_[i];
  uint8_t buf[16384];
  ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  c.buf.insert(c.buf.end(), buf, buf + n);
  while (c.buf.size() >= 2) {
    size_t len = (size_t{c.buf[0]} << 8) | c.buf[1];
    if (c.buf.size() < 2 + len) break;
    std::vector<uint8_t> query(c.buf.begin() + 2, c.buf.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    c.buf.erase(c.buf.begin(), c.buf.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    ++tcp_queries_;
    if (drop_) continue;
    auto out = answer(query, false);
    if (out.empty()) continue;
    uint8_t prefix[2] = {static_cast<uint8_t>(out.size() >> 8), static_cast<uint8_t>(out.size())};
    // The socket is non-blocking; answers are small, a failed write closes.
    int flags = ::fcntl(c.fd, F_GETFL);
    ::fcntl(c.fd, F_SETFL, flags & ~O_NONBLOCK);
    bool ok = write_all(c.fd, prefix, 2) && write_all(c.fd, out.data(), out.size());
    ::fcntl(c.fd, F_SETFL, flags);
    if (!ok) return false;
  }
  return true;
}

}  // namespace rampart::dns

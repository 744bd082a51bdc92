#include "server/flow_collector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_set>

#include "core/log.h"

namespace rampart::server {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

IpAddress from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&ss);
    return IpAddress::v4(ntohl(sa->sin_addr.s_addr));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), sa->sin6_addr.s6_addr, 16);
    return IpAddress::v6(b).unmapped();
  }
  return IpAddress{};
}

uint16_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

// Control-message space per datagram: the SO_RXQ_OVFL counter.
constexpr size_t kControl = CMSG_SPACE(sizeof(uint32_t));

}  // namespace

struct FlowCollector::Io {
  std::vector<uint8_t> data;     // batch x max_datagram
  std::vector<uint8_t> control;  // batch x kControl
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_storage> from;
};

std::string ListenAddress::to_string() const {
  if (ip.is_v6()) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(Errc::kInvalidArgument, "listen address '" + std::string(text) + "': expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return fail(Errc::kInvalidArgument,
                  "listen address '" + std::string(text) + "': expected ADDR:PORT or [IPv6]:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return fail(Errc::kInvalidArgument, "listen address '" + std::string(text) + "': bad address");
  unsigned p = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || p > 65535)
    return fail(Errc::kInvalidArgument, "listen address '" + std::string(text) + "': bad port");
  return ListenAddress{*ip, static_cast<uint16_t>(p)};
}

std::string CollectorStats::to_string() const {
  std::string s = "datagrams=" + std::to_string(datagrams) + " bytes=" + std::to_string(bytes) +
                  " records=" + std::to_string(records) + " exporters=" + std::to_string(exporters);
  const std::pair<const char*, uint64_t> drops[] = {
      {"oversized", oversized},         {"not_allowed", not_allowed},   {"exporter_limit", exporter_limit},
      {"decode_errors", decode_errors}, {"kernel_drops", kernel_drops}, {"receive_errors", receive_errors}};
  for (const auto& [name, n] : drops)
    if (n) s += std::string(" ") + name + "=" + std::to_string(n);
  const std::string d = decoder.to_string();
  if (!d.empty()) s += " decoder: " + d;
  return s;
}

size_t FlowCollector::ExporterKeyHash::operator()(const ExporterKey& k) const {
  uint64_t h = k.v4 ? 0x9e3779b97f4a7c15ULL : 0xc2b2ae3d27d4eb4fULL;
  for (uint8_t x : k.b) h = (h ^ x) * 1099511628211ULL;
  return static_cast<size_t>(h);
}

FlowCollector::FlowCollector(Options o, Sink sink) : o_(std::move(o)), sink_(std::move(sink)) {}

FlowCollector::~FlowCollector() {
  for (int fd : {fd_, epoll_fd_, event_fd_})
    if (fd >= 0) ::close(fd);
}

Result<std::unique_ptr<FlowCollector>> FlowCollector::open(Options o, Sink sink) {
  if (o.batch == 0 || o.batch > 1024 || o.max_datagram < 64 || o.max_datagram > 65535 ||
      o.max_batches_per_poll == 0 || o.max_exporters == 0)
    return fail(Errc::kInvalidArgument, "flow collector: batch 1..1024, max_datagram 64..65535");
  std::unique_ptr<FlowCollector> c(new FlowCollector(std::move(o), std::move(sink)));
  if (auto st = c->init(); !st) return tl::unexpected(st.error());
  return c;
}

Status FlowCollector::init() {
  auto addr = parse_listen_address(o_.listen);
  if (!addr) return tl::unexpected(addr.error());
  const int family = addr->ip.is_v4() ? AF_INET : AF_INET6;
  fd_ = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(Errc::kIo, errno_text("socket"));
  sockaddr_storage ss{};
  socklen_t sl = 0;
  if (family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(addr->port);
    sa->sin_addr.s_addr = htonl(addr->ip.v4_host_order());
    sl = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(addr->port);
    std::memcpy(sa->sin6_addr.s6_addr, addr->ip.bytes().data(), 16);
    sl = sizeof(sockaddr_in6);
    // "::" takes IPv4 exporters too (as v4-mapped); a specific address only its own family.
    const int v6only = 0;
    ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  // Both are wishes: an unprivileged process gets at most rmem_max, and a
  // kernel without SO_RXQ_OVFL just reports no drops.
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &o_.receive_buffer, sizeof o_.receive_buffer);
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), sl) != 0)
    return fail(Errc::kIo, errno_text(("bind " + addr->to_string()).c_str()));
  sockaddr_storage bound{};
  socklen_t bl = sizeof bound;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bl) != 0)
    return fail(Errc::kIo, errno_text("getsockname"));
  local_ = ListenAddress{addr->ip, port_of(bound)};

  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return fail(Errc::kIo, errno_text("eventfd"));
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return fail(Errc::kIo, errno_text("epoll_create1"));
  for (int fd : {fd_, event_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return fail(Errc::kIo, errno_text("epoll_ctl"));
  }
  io_ = std::make_unique<Io>();
  io_->data.resize(o_.batch * o_.max_datagram);
  io_->control.resize(o_.batch * kControl);
  io_->msgs.resize(o_.batch);
  io_->iovs.resize(o_.batch);
  io_->from.resize(o_.batch);
  flows_.reserve(256);
  return {};
}

void FlowCollector::stop() {
  stop_requested_.store(true, std::memory_order_relaxed);
  const uint64_t one = 1;
  // Async-signal-safe: write(2) only. A full counter still wakes epoll.
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

bool FlowCollector::stopped() const { return stopped_ || stop_requested_; }

flows::FlowDecoder* FlowCollector::decoder_for(const IpAddress& exporter) {
  ExporterKey k{exporter.bytes(), exporter.is_v4()};
  auto it = decoders_.find(k);
  if (it != decoders_.end()) return it->second.get();
  if (decoders_.size() >= o_.max_exporters) return nullptr;
  auto d = std::make_unique<flows::FlowDecoder>(o_.decoder_limits);
  auto* raw = d.get();
  decoders_.emplace(k, std::move(d));
  return raw;
}

Result<std::vector<flows::Prefix>> FlowCollector::exporters_from(const Config& cfg) {
  const size_t mark = cfg.error_count();
  Section sec = cfg.section("flows");
  std::vector<flows::Prefix> out;
  for (const std::string& s : sec.strings("exporters")) {
    auto p = flows::Prefix::parse(s);
    if (p) {
      out.push_back(*p);
    } else {
      sec.invalid("exporters", p.error().message);
    }
  }
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return out;
}

bool FlowCollector::exporter_allowed(const std::vector<flows::Prefix>& allowed, const IpAddress& exporter) {
  if (allowed.empty())
    return exporter.is_v4() ? exporter.bytes()[0] == 127 : exporter == *IpAddress::parse("::1");
  for (const auto& p : allowed)
    if (p.contains(exporter)) return true;
  return false;
}

void FlowCollector::handle(const uint8_t* data, size_t len, const IpAddress& exporter) {
  if (!exporter_allowed(o_.allowed_exporters, exporter)) {
    ++stats_.not_allowed;
    // Logged once per address (a bounded set: a spoofed flood cannot grow it).
    if (refused_logged_.size() < 1024 && refused_logged_.insert(exporter.to_string()).second)
      log::get()->warn("flows: datagrams from {} dropped: not an allowed exporter ([flows] exporters{})",
                       exporter.to_string(), o_.allowed_exporters.empty() ? "; default: loopback only" : "");
    return;
  }
  flows::FlowDecoder* dec = decoder_for(exporter);
  if (!dec) {
    ++stats_.exporter_limit;
    return;
  }
  flows_.clear();
  auto r = dec->decode(std::span<const uint8_t>(data, len), exporter, flows_);
  if (!r) {
    ++stats_.decode_errors;
    return;
  }
  stats_.records += flows_.size();
  if (sink_)
    for (const auto& f : flows_) sink_(f, exporter);
}

Result<size_t> FlowCollector::poll(int timeout_ms) {
  if (stopped()) {
    stopped_ = true;
    return size_t{0};
  }
  epoll_event evs[2];
  int n = ::epoll_wait(epoll_fd_, evs, 2, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return size_t{0};
    return fail(Errc::kIo, errno_text("epoll_wait"));
  }
  bool readable = false;
  for (int i = 0; i < n; ++i) {
    if (evs[i].data.fd == event_fd_) stopped_ = true;
    if (evs[i].data.fd == fd_) readable = true;
  }
  if (stopped_ || !readable) return size_t{0};

  const size_t batch = o_.batch;
  auto& msgs = io_->msgs;
  auto& iovs = io_->iovs;
  auto& from = io_->from;
  uint8_t* base = io_->data.data();
  uint8_t* control = io_->control.data();
  size_t handled = 0;
  for (size_t round = 0; round < o_.max_batches_per_poll; ++round) {
    for (size_t i = 0; i < batch; ++i) {
      iovs[i] = {base + i * o_.max_datagram, o_.max_datagram};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_control = control + i * kControl;
      msgs[i].msg_hdr.msg_controllen = kControl;
    }
    const int got = ::recvmmsg(fd_, msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++stats_.receive_errors;
      break;
    }
    for (int i = 0; i < got; ++i) {
      const msghdr& h = msgs[static_cast<size_t>(i)].msg_hdr;
      const size_t len = msgs[static_cast<size_t>(i)].msg_len;
      ++stats_.datagrams;
      stats_.bytes += len;
      ++handled;
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t ovfl = 0;
          std::memcpy(&ovfl, CMSG_DATA(c), sizeof ovfl);
          stats_.kernel_drops += ovfl - last_ovfl_;  // a running counter; wraps modulo 2^32
          last_ovfl_ = ovfl;
        }
      }
      if (h.msg_flags & MSG_TRUNC) {
        ++stats_.oversized;
        continue;
      }
      handle(static_cast<const uint8_t*>(iovs[static_cast<size_t>(i)].iov_base), len,
             from_sockaddr(from[static_cast<size_t>(i)]));
    }
    if (static_cast<size_t>(got) < batch) break;
  }
  return handled;
}

const CollectorStats& FlowCollector::stats() {
  stats_.decoder = flows::DecodeStats{};
  for (const auto& [k, d] : decoders_) stats_.decoder.add(d->stats());
  stats_.exporters = decoders_.size();
  return stats_;
}

}  // namespace rampart::server

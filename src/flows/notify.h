// File: src/flows/notify.h
// Delivery of RFC 6561 incident notifications (notification_json() in
// actions.h): appended to a file, one JSON object per line, and POSTed to a
// webhook over HTTP/1.1, plain (http://HOST[:PORT][/PATH]) or over TLS
// (https://..., OpenSSL: the server's certificate is verified against the
// system CA store, or tls_ca_file, and must name HOST).
//
//   NotifyOptions o;
//   o.file = "/var/log/rampart/incidents.jsonl";
//   o.webhook = "http://127.0.0.1:8080/hook";
//   auto n = Notifier::open(o);              // bad URL / unopenable file: error
//   (*n)->notify(notification_json(inc, act, policy));   // file now, webhook queued + one pass
//   (*n)->pump();                            // retries due deliveries (collector loop)
//   (*n)->drain(std::chrono::seconds(5));    // at exit: bounded wait for the queue
//
// Bounded: one pump() (and so one notify()) spends at most timeout_ms on the
// network (connect + send + receive share one deadline); a failed POST (non-2xx,
// refused, timeout) stops the pass and backs off (doubling, capped). Pending
// deliveries live in a queue of at most max_queue entries (the oldest is dropped
// and counted when full); an entry is dropped after max_attempts tries.
// The host name is resolved once, in open(); an https certificate that does
// not verify is a failed attempt like any other (last_error() says why).
// Not thread-safe: one caller.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart::flows {

struct WebhookUrl {
  std::string host;  // as written (no brackets for IPv6)
  uint16_t port = 80;
  std::string path = "/";
  std::string host_header;  // "host:port" ("[v6]:port")
  bool tls = false;         // https: port 443 unless given
};

// http:// or https://HOST[:PORT][/PATH] with HOST a name, an IPv4 address or
// [IPv6]; anything else is an Errc::kInvalidArgument error.
Result<WebhookUrl> parse_webhook_url(std::string_view url);

struct NotifyOptions {
  std::string file;         // empty: no file
  bool fsync = false;       // fsync the file after each line
  std::string webhook;      // empty: no webhook
  std::string tls_ca_file;  // https: PEM CA certificates to trust instead of the system store
  int timeout_ms = 2000;
  size_t max_queue = 1024;
  unsigned max_attempts = 8;
  int64_t backoff_initial_ms = 1000;
  int64_t backoff_max_ms = 60000;
};

struct NotifyStats {
  uint64_t notifications = 0;
  uint64_t file_lines = 0;
  uint64_t file_errors = 0;
  uint64_t webhook_delivered = 0;
  uint64_t webhook_failures = 0;  // failed attempts (non-2xx, connection error, timeout)
  uint64_t webhook_timeouts = 0;  // of which timeouts
  uint64_t webhook_dropped = 0;   // given up: queue full or max_attempts reached
  std::string to_string() const;
};

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<std::unique_ptr<Notifier>> open(NotifyOptions o);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Appends the line to the file, queues it for the webhook and runs pump().
  void notify(std::string json);
  // Tries the due webhook deliveries, oldest first, until one fails or the
  // queue is empty; spends at most timeout_ms.
  void pump();
  // pump()s until the queue is empty or `limit` has passed (waiting out the
  // backoff in between). True when nothing is left pending.
  bool drain(std::chrono::milliseconds limit);

  size_t pending() const { return queue_.size(); }
  const NotifyStats& stats() const { return stats_; }
  const std::string& last_error() const { return last_error_; }

 private:
  struct Pending {
    std::string body;
    unsigned attempts = 0;
  };
  explicit Notifier(NotifyOptions o);
  // One POST; Ok on 2xx.
  Status post(const std::string& body, Clock::time_point deadline);

  NotifyOptions opt_;
  struct Tls;
  std::unique_ptr<Tls> tls_;  // https: the OpenSSL client context
  int fd_ = -1;
  bool has_webhook_ = false;
  WebhookUrl url_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::deque<Pending> queue_;
  Clock::time_point next_try_{};
  int64_t backoff_ms_ = 0;
  NotifyStats stats_;
  std::string last_error_;
};

}  // namespace rampart::flows

// File: src/server/http/connection.h
// HttpConnection: the server side of one HTTP/1.1 connection, without the
// socket. Bytes in (on_input), bytes out (output/consumed), a deadline tick;
// each complete request goes to an HttpHandler, which answers it once, at
// once or later from the event loop.
//
//   auto c = std::make_shared<HttpConnection>(router, limits, now, [&] { flush(fd); });
//   c->on_input(bytes, now);                 // answers what it can, in order
//   send(fd, c->output()) ... c->consumed(n, now);
//   epoll interest: EPOLLIN only while c->want_read()
//   if (c->tick(now)) close(fd);             // every ~100 ms: deadlines
//   if (c->finished()) close(fd);            // answered a request that ends the connection
//
// Pipelined requests are answered by a loop, in order, never by recursion:
// an answer given at once lets the loop take the next request; one given
// later (a scan waiting for DNS) restarts the loop from the event loop's own
// frame. Bounded cost per connection:
//   * input: nothing is read while a request is in progress or while the
//     output is over max_output (want_read() false: the kernel's buffers and
//     TCP flow control hold the client back); a request's header section is
//     at most 64 KiB and its body max_body (parser.h);
//   * output: over max_output, no further request is taken until the client
//     has read enough;
//   * time, as absolute deadlines (a byte now and then does not extend
//     them): a new connection must send its first request's header section
//     within header_timeout; a kept-alive connection may stay idle for
//     idle_timeout, then its next request's headers get header_timeout from
//     their first byte; a body gets body_timeout from the end of its
//     headers; past these the connection gets 408 and is closed. A request
//     whose handler has not answered within request_timeout gets the
//     handler's timeout_reply (a tempfail verdict for /v1/scan) and the late
//     answer is dropped. Output the client does not read for idle_timeout
//     closes the connection.
// DIAGNOSTICS: a malformed request is answered 400 and the connection closes
// after it (the stream cannot be trusted past it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "server/http/parser.h"

namespace rampart::server {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Further header lines, each ending "\r\n" (the console's Set-Cookie, Location).
  std::string headers = {};
};
using HttpRespond = std::function<void(HttpReply)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Calls `respond` exactly once, from inside handle() or later from the
  // event loop. A call for a connection that is gone or past its deadline is
  // dropped.
  virtual void handle(HttpRequest req, HttpRespond respond) = 0;
  // The answer to a request still unanswered at request_timeout.
  virtual HttpReply timeout_reply(std::string_view path) = 0;
};

struct HttpLimits {
  size_t max_body = 20u << 20;
  size_t max_output = 1u << 20;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds request_timeout{20000};
};

// Written by the connection's event loop only, read by any (GET /metrics).
struct HttpConnStats {
  OwnedCounter requests, errors, timeouts, slow_clients;
  // Set: each request's time from its dispatch to the handler to the answer.
  Histogram* seconds = nullptr;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  using Clock = std::chrono::steady_clock;
  // `wake` runs when an answer given later has put bytes into output() (the
  // server then sends them and re-reads want_read()).
  HttpConnection(HttpHandler& handler, const HttpLimits& limits, HttpConnStats& stats, Clock::time_point now,
                 std::function<void()> wake);

  void on_input(std::string_view bytes, Clock::time_point now);
  // The client's address, copied into every request (HttpRequest::peer).
  void set_peer(std::string peer) { peer_ = std::move(peer); }
  // The client certificate's SHA-256 (mutual TLS), copied into every request.
  void set_tls_peer(std::string sha256) { tls_peer_ = std::move(sha256); }
  bool has_tls_peer() const { return !tls_peer_.empty(); }
  const std::string& output() const { return out_; }
  // `n` bytes of output() were sent.
  void consumed(size_t n, Clock::time_point now);
  bool want_read() const;
  // Close once output() is sent (Connection: close, HTTP/1.0, an error).
  bool closing() const { return closing_; }
  bool finished() const { return closing_ && out_.empty(); }
  // True: close now (a deadline passed). A request past request_timeout is
  // answered with the handler's timeout reply instead.
  bool tick(Clock::time_point now);
  // SIGTERM: an idle connection finishes now, a busy one after its answer.
  void drain();
  bool busy() const { return busy_; }
  bool idle() const { return !busy_ && in_.size() == in_pos_ && out_.empty(); }
  size_t buffered_input() const { return in_.size() - in_pos_; }

 private:
  enum class Wait { kHeaders, kBody, kHandler, kIdle };
  void pump(Clock::time_point now);
  void answer(uint64_t gen, HttpReply reply);
  void fail_request(int status, std::string_view why, Clock::time_point now);
  void set_wait(Wait w, Clock::time_point now);

  HttpHandler& handler_;
  HttpLimits limits_;
  HttpConnStats& stats_;
  std::function<void()> wake_;
  std::string in_;
  size_t in_pos_ = 0;  // in_[0, in_pos_) is consumed
  std::string out_;
  bool busy_ = false, dispatching_ = false, closing_ = false, draining_ = false, keep_alive_ = false;
  bool pumping_ = false;
  uint64_t gen_ = 0;
  std::string busy_path_;
  std::string peer_;
  std::string tls_peer_;
  Wait wait_ = Wait::kHeaders;
  Clock::time_point deadline_{};
  Clock::time_point last_write_{};
  Clock::time_point now_{};         // of the pump() in progress
  Clock::time_point dispatched_{};  // the request being handled went to the handler (stats_.seconds)
};

}  // namespace rampart::server

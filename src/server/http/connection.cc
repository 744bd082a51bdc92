// File: src/server/http/connection.cc
// One HTTP/1.1 connection's requests, answers and deadlines (see connection.h).
#include "server/http/connection.h"

namespace rampart::server {

HttpConnection::HttpConnection(HttpHandler& handler, const HttpLimits& limits, HttpConnStats& stats,
                               Clock::time_point now, std::function<void()> wake)
    : handler_(handler), limits_(limits), stats_(stats), wake_(std::move(wake)) {
  set_wait(Wait::kHeaders, now);
  last_write_ = now;
}

void HttpConnection::set_wait(Wait w, Clock::time_point now) {
  wait_ = w;
  switch (w) {
    case Wait::kHeaders: deadline_ = now + limits_.header_timeout; break;
    case Wait::kBody: deadline_ = now + limits_.body_timeout; break;
    case Wait::kHandler: deadline_ = now + limits_.request_timeout; break;
    case Wait::kIdle: deadline_ = now + limits_.idle_timeout; break;
  }
}

bool HttpConnection::want_read() const { return !busy_ && !closing_ && out_.size() < limits_.max_output; }

void HttpConnection::on_input(std::string_view bytes, Clock::time_point now) {
  if (closing_ || bytes.empty()) return;
  if (wait_ == Wait::kIdle) set_wait(Wait::kHeaders, now);  // the next request's first byte
  in_.append(bytes);
  pump(now);
}

void HttpConnection::consumed(size_t n, Clock::time_point now) {
  if (n == 0) return;
  out_.erase(0, n);
  last_write_ = now;
  if (!busy_ && !closing_ && out_.size() < limits_.max_output) pump(now);
}

void HttpConnection::fail_request(int status, std::string_view why, Clock::time_point now) {
  stats_.errors++;
  if (out_.empty()) last_write_ = now;
  out_ += http_response(status, "application/json", error_json(why), false);
  closing_ = true;
  in_.clear();
  in_pos_ = 0;
}

void HttpConnection::pump(Clock::time_point now) {
  if (pumping_) return;
  pumping_ = true;
  now_ = now;
  std::weak_ptr<HttpConnection> weak = weak_from_this();
  while (!busy_ && !closing_ && out_.size() < limits_.max_output) {
    std::string_view buf(in_);
    buf.remove_prefix(in_pos_);
    if (buf.empty()) break;
    HttpRequest req;
    size_t used = 0;
    std::string err;
    const HttpParse r = parse_http_request(buf, limits_.max_body, req, used, err);
    if (r == HttpParse::kIncomplete) {
      if (wait_ == Wait::kHeaders && http_header_end(buf) != std::string_view::npos)
        set_wait(Wait::kBody, now);  // the body's clock starts at the end of the headers
      break;
    }
    stats_.requests++;
    if (r == HttpParse::kError) {
      fail_request(400, err, now);
      break;
    }
    in_pos_ += used;
    keep_alive_ = req.keep_alive && !draining_;
    busy_ = true;
    busy_path_ = req.target.substr(0, req.target.find('?'));
    req.peer = peer_;
    req.tls_peer_sha256 = tls_peer_;
    const uint64_t gen = ++gen_;
    set_wait(Wait::kHandler, now);
    if (stats_.seconds) dispatched_ = Clock::now();
    dispatching_ = true;
    handler_.handle(std::move(req), [weak, gen](HttpReply reply) {
      if (auto self = weak.lock()) self->answer(gen, std::move(reply));
    });
    dispatching_ = false;
    // Still busy: answered later, from the event loop (answer() pumps again).
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ >= 65536 && in_pos_ * 2 >= in_.size()) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  pumping_ = false;
}

void HttpConnection::answer(uint64_t gen, HttpReply reply) {
  if (gen != gen_ || !busy_) return;  // past its deadline (answered already) or a stray call
  busy_ = false;
  if (reply.status >= 400) stats_.errors++;
  if (stats_.seconds)
    stats_.seconds->observe(std::chrono::duration<double>(Clock::now() - dispatched_).count());
  const bool keep = keep_alive_ && !draining_ && !closing_;
  // At once: the time of the input being handled; later: the clock's.
  const Clock::time_point now = dispatching_ ? now_ : Clock::now();
  if (out_.empty()) last_write_ = now;
  out_ += http_response(reply.status, reply.content_type, reply.body, keep, reply.headers);
  if (!keep) closing_ = true;
  set_wait(in_.size() > in_pos_ ? Wait::kHeaders : Wait::kIdle, now);
  if (dispatching_) return;  // answered at once: pump()'s loop takes the next request
  pump(now);
  if (wake_) wake_();
}

bool HttpConnection::tick(Clock::time_point now) {
  if (closing_ && out_.empty()) return true;
  // Output the client does not read.
  if (!out_.empty() && now - last_write_ >= limits_.idle_timeout) {
    stats_.slow_clients++;
    return true;
  }
  if (now < deadline_) return false;
  switch (wait_) {
    case Wait::kHandler:
      stats_.timeouts++;
      answer(gen_, handler_.timeout_reply(busy_path_));
      return false;
    case Wait::kIdle: return out_.empty();
    case Wait::kHeaders:
    case Wait::kBody:
      if (closing_) return true;
      stats_.slow_clients++;
      fail_request(408,
                   wait_ == Wait::kHeaders ? "request headers not received in time"
                                           : "request body not received in time",
                   now);
      return false;
  }
  return false;
}

void HttpConnection::drain() {
  draining_ = true;
  if (!busy_) {
    closing_ = true;
    in_.clear();
    in_pos_ = 0;
  }
}

}  // namespace rampart::server

// File: src/server/milter/session.h
// MilterSession: one milter connection's protocol state machine. It takes
// decoded commands (codec.h), runs the scan pipeline's stages (policy.h) as
// the SMTP transaction goes, and writes replies and header changes through
// a sink. No sockets: the server feeds it, tests drive it directly.
//
//   auto s = std::make_shared<server::MilterSession>(pipeline_source, sink, opts);
//   s->on_command(milter::Command{milter::OptNeg{6, 0x1ff, 0x1fffff}});
//   ...                                     // sink.send() receives encoded replies
//   s->tick(now);                           // tempfails a stage past its deadline
//
// Negotiation asks for add/change headers and quarantine, and for no replies
// to connect, HELO, RCPT, DATA, headers, end of headers, body chunks and
// unknown commands when the MTA offers it (SMFIP_NR_*: a message is then two
// round trips, MAIL FROM and end of message), with SMFIP_SKIP (used only
// without NR_BODY) and leading spaces in header values. Commands that arrive while a stage is still running
// (the MTA does not wait for no-reply commands) are queued and handled in order. Many messages per
// connection: the message state is reset after end of message and on ABORT; QUIT_NC starts a new connection
// on the same socket.
//
// At end of message the verdict becomes: reject/tempfail -> SMFIR_REPLYCODE
// ("550 5.7.1 ...", "451 4.7.1 ..."); otherwise every incoming
// Authentication-Results field carrying our authserv-id and every incoming
// X-Rampart field are deleted (however many), Authentication-Results and
// X-Rampart are inserted at the top (each at most kMaxAddedField bytes, cut
// after the last whole "; " element that fits), X-Spam: Yes is added for
// add_header/quarantine, SMFIR_QUARANTINE for quarantine, then
// SMFIR_CONTINUE.
//
// DIAGNOSTICS: a stage that has not finished by its deadline answers
// "451 4.4.3 Policy checks timed out" (tempfail); a command out of order or
// not decodable closes the connection (the MTA applies
// milter_default_action); nothing on this path throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim/canon.h"
#include "core/metrics.h"
#include "policy/policy.h"
#include "policy/verdict_log.h"
#include "server/milter/codec.h"

namespace rampart::server {

// Written by the session's event loop only, read by any (GET /metrics).
struct MilterStats {
  OwnedCounter connections, messages, accepted, add_header, quarantined, tempfailed, rejected, throttled,
      timeouts, protocol_errors;
  policy::AuthTally auth;  // decided messages' SPF/DKIM/DMARC/ARC results
  // Set: the time from the end of a message to its verdict (the data-stage
  // checks: what the MTA waits for at end of message).
  Histogram* message_seconds = nullptr;
  // Set: told of each decided message (ServerOptions::on_verdict).
  const policy::VerdictObserver* on_verdict = nullptr;
};

class MilterSink {
 public:
  virtual ~MilterSink() = default;
  virtual void send(std::string_view bytes) = 0;
  virtual void close() = 0;
};

// The most bytes of a header field value we add.
constexpr size_t kMaxAddedField = 8192;
// `value` cut to at most `max` bytes after its last "; " separator that fits.
std::string cap_field(std::string value, size_t max = kMaxAddedField);

struct SessionOptions {
  std::chrono::milliseconds stage_timeout{20000};
};

class MilterSession : public std::enable_shared_from_this<MilterSession> {
 public:
  // `pipeline` returns the pipeline to use for a new connection or message
  // (the current one after a reload).
  MilterSession(std::function<std::shared_ptr<policy::Pipeline>()> pipeline, MilterSink& sink,
                MilterStats& stats, SessionOptions opt);
  void on_command(milter::Command cmd);
  void tick(std::chrono::steady_clock::time_point now);
  bool idle() const { return !busy_ && queue_.empty(); }
  // Commands waiting behind a running stage (the server stops reading past a cap).
  size_t queued() const { return queue_.size(); }
  bool in_message() const { return msg_ != nullptr; }

 private:
  void pump();
  void handle(milter::Command& cmd);
  void run_stage(policy::Stage stage, std::shared_ptr<policy::ScanState> st, std::function<void()> then);
  void reply(const milter::Reply& r);
  // Replies made while a Batch lives go to the sink in one send() when the
  // outermost Batch ends (one syscall and one wake-up of the MTA for the
  // headers and the verdict at end of message, not one per reply).
  struct Batch {
    explicit Batch(MilterSession& s) : s_(s) { ++s_.batch_depth_; }
    ~Batch() {
      if (--s_.batch_depth_ == 0) s_.flush();
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    MilterSession& s_;
  };
  void flush();
  void close_sink();
  void reply_unless(uint32_t nr_flag, const milter::Reply& r);
  void finish_message();
  void reset_connection();
  void protocol_error(const std::string& why);
  std::shared_ptr<policy::ScanState> message();

  std::function<std::shared_ptr<policy::Pipeline>()> pipeline_source_;
  MilterSink& sink_;
  MilterStats& stats_;
  SessionOptions opt_;
  milter::OptNeg negotiated_{};
  bool negotiated_ok_ = false;
  std::shared_ptr<policy::Pipeline> pipe_;
  std::shared_ptr<policy::ScanState> conn_;
  std::shared_ptr<policy::ScanState> msg_;
  // The macros read ({auth_authen}, i), as last sent on this connection.
  std::optional<std::string> auth_authen_, queue_id_;
  std::string raw_;  // the message being received, at most max_scan_bytes
  bool skipping_body_ = false;
  // DKIM over a body longer than max_scan_bytes: when the body first passes
  // the cap, one dkim::BodyHasher per body_hash_requests() of the header
  // section (at most 10) hashes the prefix held in raw_, then every chunk
  // that follows; at end of message their results go to
  // ScanState::body_hashes. A message under the cap is not streamed (the
  // DKIM check hashes raw_ as before).
  size_t body_at_ = std::string::npos;  // offset of the body in raw_ (after EOH)
  bool headers_cut_ = false;            // header fields dropped: DKIM not checkable
  bool streaming_ = false;
  bool hash_prev_cr_ = false;  // the last byte hashed was a CR
  std::vector<dkim::BodyHasher> hashers_;
  void take_body(policy::ScanState& st, std::string_view chunk);
  void start_body_hashes();
  void hash_body(std::string_view piece);
  // Incoming fields we delete at end of message, by their 1-based index
  // among the fields of that name (SMFIR_CHGHEADER): Authentication-Results
  // claiming our authserv-id, and every X-Rampart. One entry per field the
  // MTA sent (bounded by the MTA's header size limit).
  std::vector<uint32_t> forged_ar_, forged_xr_;
  uint32_t ar_seen_ = 0, xr_seen_ = 0;
  std::string out_;  // encoded replies not yet given to the sink
  int batch_depth_ = 0;
  std::deque<milter::Command> queue_;
  bool busy_ = false;
  bool closed_ = false;
  uint64_t gen_ = 0;
  char busy_cmd_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace rampart::server

// File: src/server/milter/session.cc
// The milter session state machine (see session.h).
#include "server/milter/session.h"

#include <strings.h>

#include "auth/authres/authres.h"
#include "core/log.h"
#include "policy/verdict_log.h"

namespace rampart::server {

namespace {

constexpr uint32_t kWantedActions = milter::kAddHeaders | milter::kChangeHeaders | milter::kQuarantine;
constexpr uint32_t kWantedProtocol = milter::kNrConnect | milter::kNrHelo | milter::kNrRcpt |
                                     milter::kNrData | milter::kNrHeader | milter::kNrEoh | milter::kNrBody |
                                     milter::kNrUnknown | milter::kSkip | milter::kHeaderLeadingSpace;

std::string strip_angles(std::string_view a) {
  while (!a.empty() && (a.front() == ' ')) a.remove_prefix(1);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return std::string(a);
}

// Folded header values from the MTA may use bare LF; the message we scan uses CRLF.
void append_crlf(std::string& out, std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) out.push_back('\r');
    out.push_back(v[i]);
  }
}

}  // namespace

std::string cap_field(std::string value, size_t max) {
  if (value.size() <= max) return value;
  const size_t cut = std::string_view(value).substr(0, max + 1).rfind("; ");
  value.resize(cut == std::string::npos || cut == 0 ? max : cut);
  return value;
}

MilterSession::MilterSession(std::function<std::shared_ptr<policy::Pipeline>()> pipeline, MilterSink& sink,
                             MilterStats& stats, SessionOptions opt)
    : pipeline_source_(std::move(pipeline)), sink_(sink), stats_(stats), opt_(opt) {
  stats_.connections++;
  reset_connection();
}

void MilterSession::reset_connection() {
  pipe_ = pipeline_source_();
  conn_ = std::make_shared<policy::ScanState>();
  msg_.reset();
  auth_authen_.reset();
  queue_id_.reset();
  raw_.clear();
}

void MilterSession::on_command(milter::Command cmd) {
  if (closed_) return;
  Batch batch(*this);
  queue_.push_back(std::move(cmd));
  pump();
}

void MilterSession::pump() {
  while (!busy_ && !closed_ && !queue_.empty()) {
    milter::Command cmd = std::move(queue_.front());
    queue_.pop_front();
    handle(cmd);
  }
}

void MilterSession::reply(const milter::Reply& r) {
  if (closed_) return;
  milter::encode(r, out_);
  if (batch_depth_ == 0) flush();
}

void MilterSession::flush() {
  if (out_.empty()) return;
  if (!closed_) sink_.send(out_);
  out_.clear();
}

// Replies already made go out before the connection closes.
void MilterSession::close_sink() {
  flush();
  sink_.close();
}

void MilterSession::reply_unless(uint32_t nr_flag, const milter::Reply& r) {
  if (negotiated_.protocol & nr_flag) return;
  reply(r);
}

void MilterSession::protocol_error(const std::string& /*why*/) {
  stats_.protocol_errors++;
  queue_.clear();
  close_sink();
  closed_ = true;
}

std::shared_ptr<policy::ScanState> MilterSession::message() {
  if (!msg_) {
    msg_ = std::make_shared<policy::ScanState>(*conn_);
    msg_->generated_id.clear();  // a message of its own
    raw_.clear();
    skipping_body_ = false;
    body_at_ = std::string::npos;
    headers_cut_ = false;
    streaming_ = false;
    hashers_.clear();
    forged_ar_.clear();
    forged_xr_.clear();
    ar_seen_ = 0;
    xr_seen_ = 0;
  }
  return msg_;
}

void MilterSession::run_stage(policy::Stage stage, std::shared_ptr<policy::ScanState> st,
                              std::function<void()> then) {
  busy_ = true;
  const uint64_t gen = ++gen_;
  deadline_ = std::chrono::steady_clock::now() + opt_.stage_timeout;
  std::weak_ptr<MilterSession> weak = weak_from_this();
  auto pipe = pipe_;
  // 0: run() has not returned yet; 1: finished before it returned; 2: async.
  auto phase = std::make_shared<int>(0);
  pipe->run(stage, st, [weak, gen, then = std::move(then), phase]() {
    if (*phase == 0) {
      *phase = 1;  // continue in the caller's frame
      then();
      return;
    }
    auto self = weak.lock();
    if (!self || self->gen_ != gen || self->closed_) return;  // timed out or gone
    Batch batch(*self);
    self->busy_ = false;
    then();
    self->pump();
  });
  if (*phase == 1) {
    busy_ = false;
  } else {
    *phase = 2;
  }
}

void MilterSession::tick(std::chrono::steady_clock::time_point now) {
  if (!busy_ || closed_ || now < deadline_) return;
  Batch batch(*this);
  stats_.timeouts++;
  ++gen_;  // the late completion is ignored
  busy_ = false;
  auto y = milter::reply_code(451, "4.4.3", "Policy checks timed out, try again later");
  uint32_t nr = 0;
  switch (busy_cmd_) {
    case 'C': nr = milter::kNrConnect; break;
    case 'H': nr = milter::kNrHelo; break;
    case 'R': nr = milter::kNrRcpt; break;
    default: break;
  }
  if (y) reply_unless(nr, milter::Reply{*y});
  if (busy_cmd_ == 'E') {
    stats_.tempfailed++;
    msg_.reset();
  }
  pump();
}

void MilterSession::handle(milter::Command& cmd) {
  busy_cmd_ = milter::command_code(cmd);
  if (auto* o = std::get_if<milter::OptNeg>(&cmd)) {
    auto r = milter::negotiate(*o, milter::OptNeg{milter::kProtocolVersion, kWantedActions, kWantedProtocol});
    if (!r) return protocol_error(r.error().message);
    negotiated_ = *r;
    negotiated_ok_ = true;
    reply(milter::Reply{negotiated_});
    return;
  }
  if (!negotiated_ok_) return protocol_error("command before option negotiation");
  if (auto* m = std::get_if<milter::Macros>(&cmd)) {
    // Only the macros the checks read are kept (an MTA sends a dozen per
    // stage: client, TLS, mailer and daemon names that nothing here uses).
    for (auto& [k, v] : m->pairs) {
      std::string_view key = k;
      if (key.size() >= 2 && key.front() == '{' && key.back() == '}') key = key.substr(1, key.size() - 2);
      if (key == "auth_authen") {
        auth_authen_ = std::move(v);
      } else if (key == "i") {
        queue_id_ = std::move(v);
      }
    }
    return;
  }
  if (auto* c = std::get_if<milter::Connect>(&cmd)) {
    reset_connection();
    conn_->env.client_name = c->hostname;
    std::string_view addr = c->address;
    if (addr.substr(0, 5) == "IPv6:" || addr.substr(0, 5) == "ipv6:") addr.remove_prefix(5);
    if (c->family == '4' || c->family == '6') {
      auto ip = IpAddress::parse(addr);
      if (ip) {
        conn_->env.ip = *ip;
        conn_->env.has_ip = true;
      }
    }
    run_stage(policy::Stage::kConnect, conn_,
              [this] { reply_unless(milter::kNrConnect, milter::Continue{}); });
    return;
  }
  if (auto* h = std::get_if<milter::Helo>(&cmd)) {
    conn_->env.helo = h->name;
    run_stage(policy::Stage::kHelo, conn_, [this] { reply_unless(milter::kNrHelo, milter::Continue{}); });
    return;
  }
  if (auto* m = std::get_if<milter::Mail>(&cmd)) {
    msg_.reset();
    pipe_ = pipeline_source_();
    auto st = message();
    st->env.mail_from = strip_angles(m->args.empty() ? "" : m->args[0]);
    if (auth_authen_) st->env.auth_user = *auth_authen_;
    if (queue_id_) st->env.queue_id = *queue_id_;
    stats_.messages++;
    run_stage(policy::Stage::kMail, st, [this, st] {
      if (st->forced &&
          (*st->forced == policy::Action::kTempfail || *st->forced == policy::Action::kReject)) {
        // Refused at MAIL FROM: a verdict like any other (counted and logged).
        if (*st->forced == policy::Action::kTempfail) {
          stats_.tempfailed++;
          if (st->forced_by == "throttle") stats_.throttled++;
        } else {
          stats_.rejected++;
        }
        const log::MessageScope scope(st->log_id());
        const policy::Verdict early = pipe_->verdict(*st);
        if (log::get()->should_log(spdlog::level::info))  // the line costs ~3% of a scan: only when kept
          log::get()->info("{}", policy::verdict_log_line(*st, early));
        stats_.auth.count(*st);
        if (stats_.on_verdict) (*stats_.on_verdict)(*st, early);
        reply(milter::ReplyCode{st->forced_reply});
        if (msg_ == st) msg_.reset();
        return;
      }
      reply(milter::Continue{});
    });
    return;
  }
  if (auto* r = std::get_if<milter::Rcpt>(&cmd)) {
    auto st = message();
    st->env.rcpts.push_back(strip_angles(r->args.empty() ? "" : r->args[0]));
    run_stage(policy::Stage::kRcpt, st, [this] { reply_unless(milter::kNrRcpt, milter::Continue{}); });
    return;
  }
  if (std::holds_alternative<milter::Data>(cmd)) {
    message();
    reply_unless(milter::kNrData, milter::Continue{});
    return;
  }
  if (auto* h = std::get_if<milter::Header>(&cmd)) {
    message();
    if (raw_.size() >= pipe_->config().max_scan_bytes) {
      msg_->too_large = true;  // header fields dropped: content checks are skipped
    } else {
      raw_ += h->name;
      raw_ += ':';
      if (!(negotiated_.protocol & milter::kHeaderLeadingSpace)) raw_ += ' ';
      append_crlf(raw_, h->value);
      raw_ += "\r\n";
    }
    if (strcasecmp(h->name.c_str(), "Authentication-Results") == 0) {
      ++ar_seen_;
      auto ar = authres::parse(h->value);
      if (ar && strcasecmp(ar->authserv_id.c_str(), pipe_->config().authserv_id.c_str()) == 0)
        forged_ar_.push_back(ar_seen_);
    } else if (strcasecmp(h->name.c_str(), "X-Rampart") == 0) {
      forged_xr_.push_back(++xr_seen_);
    }
    reply_unless(milter::kNrHeader, milter::Continue{});
    return;
  }
  if (std::holds_alternative<milter::EndOfHeaders>(cmd)) {
    message();
    raw_ += "\r\n";
    body_at_ = raw_.size();
    headers_cut_ = msg_->too_large;
    reply_unless(milter::kNrEoh, milter::Continue{});
    return;
  }
  if (auto* b = std::get_if<milter::Body>(&cmd)) {
    auto st = message();
    take_body(*st, b->chunk);
    // SKIP answers a body chunk: not possible once NR_BODY is agreed (the
    // rest of a message too large to scan is then received and dropped),
    // and not wanted while DKIM body hashes need the rest.
    if (st->too_large && hashers_.empty() && (negotiated_.protocol & milter::kSkip) &&
        !(negotiated_.protocol & milter::kNrBody)) {
      reply(milter::Skip{});
    } else {
      reply_unless(milter::kNrBody, milter::Continue{});
    }
    return;
  }
  if (auto* e = std::get_if<milter::EndOfBody>(&cmd)) {
    auto st = message();
    take_body(*st, e->chunk);
    if (streaming_) {
      std::vector<dkim::PrecomputedBodyHash> hashes;
      hashes.reserve(hashers_.size());
      for (dkim::BodyHasher& h : hashers_)
        hashes.push_back({dkim::BodyHashRequest{h.canon(), h.alg(), h.limit()}, h.finish()});
      st->body_hashes = std::move(hashes);
      hashers_.clear();
      streaming_ = false;
    }
    st->set_message(std::move(raw_));
    raw_.clear();
    const auto eom = std::chrono::steady_clock::now();
    run_stage(policy::Stage::kData, st, [this, st, eom] {
      if (stats_.message_seconds)
        stats_.message_seconds->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - eom).count());
      msg_ = st;
      finish_message();
    });
    return;
  }
  if (std::holds_alternative<milter::Abort>(cmd)) {
    msg_.reset();
    raw_.clear();
    hashers_.clear();
    streaming_ = false;
    return;
  }
  if (std::holds_alternative<milter::Quit>(cmd)) {
    queue_.clear();
    close_sink();
    closed_ = true;
    return;
  }
  if (std::holds_alternative<milter::QuitNewConnection>(cmd)) {
    reset_connection();
    return;
  }
  if (std::holds_alternative<milter::Unknown>(cmd)) {
    reply_unless(milter::kNrUnknown, milter::Continue{});
    return;
  }
}

// A body chunk: kept in raw_ while the message fits max_scan_bytes (the
// buffer stays one contiguous prefix); past it the message is too_large and
// the DKIM body hashes, if the header section is whole, take every byte.
void MilterSession::take_body(policy::ScanState& st, std::string_view chunk) {
  if (!st.too_large && raw_.size() + chunk.size() <= pipe_->config().max_scan_bytes) {
    raw_ += chunk;
    return;
  }
  if (!st.too_large) {
    st.too_large = true;
    if (!headers_cut_ && body_at_ != std::string::npos && body_at_ <= raw_.size()) start_body_hashes();
  }
  if (streaming_) hash_body(chunk);
}

void MilterSession::start_body_hashes() {
  streaming_ = true;
  hash_prev_cr_ = false;
  const std::string_view held(raw_);
  const mime::HeaderSection hs = mime::HeaderSection::parse(held.substr(0, body_at_));
  for (const dkim::BodyHashRequest& r : policy::body_hash_requests(hs))
    hashers_.emplace_back(r.canon, r.hash, r.limit);
  hash_body(held.substr(body_at_));
}

// As the verifier reads a whole message (dkim::to_crlf): a LF not preceded by
// CR counts as CRLF, also when its CR ended the previous chunk.
void MilterSession::hash_body(std::string_view piece) {
  if (hashers_.empty() || piece.empty()) return;
  bool bare = false;
  for (size_t i = piece.find('\n'); i != std::string_view::npos; i = piece.find('\n', i + 1)) {
    if (i == 0 ? !hash_prev_cr_ : piece[i - 1] != '\r') {
      bare = true;
      break;
    }
  }
  std::string fixed;
  if (bare) {
    fixed.reserve(piece.size() + piece.size() / 16);
    bool prev_cr = hash_prev_cr_;
    for (char c : piece) {
      if (c == '\n' && !prev_cr) fixed += '\r';
      fixed += c;
      prev_cr = c == '\r';
    }
  }
  hash_prev_cr_ = piece.back() == '\r';
  const std::string_view feed = bare ? std::string_view(fixed) : piece;
  for (dkim::BodyHasher& h : hashers_) h.update(feed);
}

void MilterSession::finish_message() {
  auto st = msg_;
  msg_.reset();
  if (!st) return;
  policy::Verdict v = pipe_->verdict(*st);
  const log::MessageScope scope(st->log_id());
  if (log::get()->should_log(spdlog::level::info))  // the line costs ~3% of a scan: only when kept
    log::get()->info("{}", policy::verdict_log_line(*st, v));
  stats_.auth.count(*st);
  if (stats_.on_verdict) (*stats_.on_verdict)(*st, v);
  switch (v.action) {
    case policy::Action::kReject:
      stats_.rejected++;
      reply(milter::ReplyCode{v.smtp_reply});
      return;
    case policy::Action::kTempfail:
      stats_.tempfailed++;
      reply(milter::ReplyCode{v.smtp_reply});
      return;
    case policy::Action::kAccept: stats_.accepted++; break;
    case policy::Action::kAddHeader: stats_.add_header++; break;
    case policy::Action::kQuarantine: stats_.quarantined++; break;
  }
  const bool can_change = negotiated_.actions & milter::kChangeHeaders;
  const bool can_add = negotiated_.actions & milter::kAddHeaders;
  if (can_change) {
    // Delete from the last so earlier indexes stay valid.
    for (size_t i = forged_ar_.size(); i-- > 0;)
      reply(milter::ChangeHeader{forged_ar_[i], "Authentication-Results", ""});
    for (size_t i = forged_xr_.size(); i-- > 0;) reply(milter::ChangeHeader{forged_xr_[i], "X-Rampart", ""});
  }
  forged_ar_.clear();
  forged_xr_.clear();
  if (can_add) {
    // With SMFIP_HDR_LEADSPC the MTA writes values exactly as given: the
    // space after the colon is ours to send.
    const std::string sp = (negotiated_.protocol & milter::kHeaderLeadingSpace) ? " " : "";
    reply(milter::InsertHeader{0, "X-Rampart", sp + cap_field(v.x_rampart)});
    reply(milter::InsertHeader{0, "Authentication-Results", sp + cap_field(v.authentication_results)});
    if (v.action == policy::Action::kAddHeader || v.action == policy::Action::kQuarantine)
      reply(milter::AddHeader{"X-Spam", sp + "Yes"});
  }
  if (v.action == policy::Action::kQuarantine && (negotiated_.actions & milter::kQuarantine))
    reply(milter::Quarantine{"rampart: " + v.reason});
  reply(milter::Continue{});
}

}  // namespace rampart::server

// File: src/reports/smtp.h
// A small SMTP client (RFC 5321) that hands one message to a relay: the
// provider's own MTA on loopback, which does the routing, queueing and
// retries of real delivery. Blocking, for a worker thread; one absolute
// deadline for the whole transaction.
//
//   reports::SmtpOptions o; o.relay = *HostPort::parse("127.0.0.1:25"); o.helo = "filter.isp.example";
//   Status st = reports::smtp_send(o, "abuse-reports@isp.example", {"fbl@esp.example"}, message);
//
// EHLO (HELO when EHLO is refused), MAIL FROM with BODY=8BITMIME when the
// message has 8-bit bytes and the relay offers it (refused otherwise), one
// RCPT TO per recipient (the transaction goes on if at least one is accepted),
// DATA with dot-stuffing and CRLF line ends, QUIT.
//
// DIAGNOSTICS: kTemporary for a connection failure, the deadline, a 4xx
// reply or a reply the client cannot read (try again later); kPermanent for
// a 5xx reply (the message will not go: drop it). Replies are read with caps:
// a line of at most 1,000 bytes (RFC 5321 4.5.3.1.5 allows 512), at most 100
// lines per reply; past either the relay is treated as broken (kTemporary).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"

namespace rampart::reports {

struct SmtpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 25;
  std::string helo = "localhost";
  std::chrono::milliseconds timeout{30000};  // the whole transaction
};

struct SmtpReplyLine {
  int code = 0;      // 200..599
  bool last = true;  // "250 " rather than "250-"
  std::string text;  // after the separator
};

// One reply line without its CRLF: "250-PIPELINING", "250 OK", "354". nullopt
// when it is not a reply line (no three-digit code 2xx-5xx, a separator other
// than ' ' or '-').
std::optional<SmtpReplyLine> parse_reply_line(std::string_view line);

// "." at the start of a line doubled, every line end CRLF, a final CRLF.
std::string dot_stuff(std::string_view message);

Status smtp_send(const SmtpOptions& o, std::string_view mail_from, const std::vector<std::string>& rcpts,
                 std::string_view message);

}  // namespace rampart::reports

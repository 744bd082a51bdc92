// File: src/server/milter/codec.h
// The Sendmail/Postfix milter protocol, version 6, as a pure codec: bytes in,
// Result<Command> out; replies and modifications out as bytes. No I/O.
//
//   milter::Framer framer;                       // splits a TCP stream into packets
//   framer.feed(bytes_from_socket);
//   while (true) {
//     auto p = framer.next();                    // Result<std::optional<Packet>>
//     if (!p) { close(); break; }                // length over the cap, zero length
//     if (!*p) break;                            // need more bytes
//     auto cmd = milter::decode(**p);            // Result<Command>
//     if (!cmd) { close(); break; }              // malformed packet
//     if (auto* m = std::get_if<milter::Mail>(&*cmd)) use(m->args[0]);
//   }
//   out += milter::encode(milter::Reply{milter::ReplyCode{"451 4.7.1 slow down"}});
//   auto r = milter::reply_code(550, "5.7.1", "rejected by DMARC policy");  // Result<ReplyCode>
//
// WIRE FORMAT: every packet is a 32-bit big-endian length (the command byte
// plus its data), a command byte, and the data. Strings are NUL-terminated.
//   'O' OPTNEG   version(4) actions(4) protocol(4)      both directions
//   'D' MACRO    command(1) {name NUL value NUL}*
//   'C' CONNECT  host NUL family(1) [port(2) address NUL]  (family 'U': none)
//   'H' HELO     name NUL
//   'M' MAIL / 'R' RCPT   arg NUL {esmtp-arg NUL}*    (arg[0] is <address>)
//   'T' DATA, 'N' EOH, 'A' ABORT, 'Q' QUIT, 'K' QUIT_NC   no data
//   'L' HEADER   name NUL value NUL
//   'B' BODY     raw bytes (a chunk, at most the negotiated size)
//   'E' EOB      optional final body bytes
//   'U' UNKNOWN  command NUL
// Replies: 'a' accept, 'c' continue, 'r' reject, 't' tempfail, 'd' discard,
// 's' skip, 'q' quarantine(reason NUL), 'y' replycode("550 5.7.1 text" NUL),
// 'h' addheader(name NUL value NUL), 'i' insheader(index(4) name NUL value NUL),
// 'm' chgheader(index(4) name NUL value NUL; empty value deletes), 'p' progress.
//
// DIAGNOSTICS: Framer::next() fails (Errc::kLimit) on a packet longer than
// the cap (default kDefaultMaxPacket) and (Errc::kParse) on a zero length;
// after an error the stream cannot be resynchronised: close the connection.
// decode() fails with Errc::kParse naming the command and what was missing
// (an unterminated string, a short OPTNEG, a port without address, trailing
// bytes) and never reads past the packet. Nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace rampart::milter {

constexpr uint32_t kProtocolVersion = 6;
constexpr size_t kChunkSize = 65535;  // MILTER_CHUNK_SIZE: default body chunk
// Largest packet accepted by default: 1 MiB of data (SMFIP_MDS_1M) plus slack.
constexpr size_t kDefaultMaxPacket = (1u << 20) + 64;

// SMFIF_*: actions the milter may take (negotiated).
enum ActionFlag : uint32_t {
  kAddHeaders = 0x01,
  kChangeBody = 0x02,
  kAddRcpt = 0x04,
  kDeleteRcpt = 0x08,
  kChangeHeaders = 0x10,
  kQuarantine = 0x20,
  kChangeFrom = 0x40,
  kAddRcptPar = 0x80,
  kSetSymList = 0x100,
};

// SMFIP_*: what the MTA leaves out or needs no reply for (negotiated).
enum ProtocolFlag : uint32_t {
  kNoConnect = 0x01,
  kNoHelo = 0x02,
  kNoMail = 0x04,
  kNoRcpt = 0x08,
  kNoBody = 0x10,
  kNoHeaders = 0x20,
  kNoEoh = 0x40,
  kNrHeader = 0x80,
  kNoUnknown = 0x100,
  kNoData = 0x200,
  kSkip = 0x400,
  kRcptRej = 0x800,
  kNrConnect = 0x1000,
  kNrHelo = 0x2000,
  kNrMail = 0x4000,
  kNrRcpt = 0x8000,
  kNrData = 0x10000,
  kNrUnknown = 0x20000,
  kNrEoh = 0x40000,
  kNrBody = 0x80000,
  kHeaderLeadingSpace = 0x100000,
  kMaxDataSize256K = 0x10000000,
  kMaxDataSize1M = 0x20000000,
};

// --- commands (MTA -> milter) ---
struct OptNeg {
  uint32_t version = kProtocolVersion;
  uint32_t actions = 0;
  uint32_t protocol = 0;
};
struct Macros {
  char for_command = 0;  // the command these macros belong to ('C', 'M', ...)
  std::vector<std::pair<std::string, std::string>> pairs;
  // The value of `name` ("{auth_authen}", "i", "j"); braces optional.
  const std::string* find(std::string_view name) const;
};
struct Connect {
  std::string hostname;
  char family = 'U';  // '4', '6', 'L' (unix), 'U' (unknown)
  uint16_t port = 0;
  std::string address;  // "192.0.2.1", "2001:db8::1" (Postfix may write "IPv6:..."), socket path
};
struct Helo {
  std::string name;
};
struct Mail {
  std::vector<std::string> args;  // args[0]: "<alice@example.com>", then ESMTP args
};
struct Rcpt {
  std::vector<std::string> args;
};
struct Data {};
struct Header {
  std::string name;
  std::string value;
};
struct EndOfHeaders {};
struct Body {
  std::string chunk;
};
struct EndOfBody {
  std::string chunk;  // usually empty
};
struct Abort {};
struct Quit {};
struct QuitNewConnection {};  // QUIT_NC: close the session, keep the connection
struct Unknown {
  std::string command;
};

using Command = std::variant<OptNeg, Macros, Connect, Helo, Mail, Rcpt, Data, Header, EndOfHeaders, Body,
                             EndOfBody, Abort, Quit, QuitNewConnection, Unknown>;

// The command byte of each alternative ('O', 'D', 'C', ...).
char command_code(const Command& c);
std::string_view command_name(char code);  // "optneg", "macro", ..., "?" if unknown

// A framed packet; `data` points into the Framer's buffer and stays valid
// until the next feed() or next().
struct Packet {
  char command = 0;
  std::string_view data;
};

class Framer {
 public:
  explicit Framer(size_t max_packet = kDefaultMaxPacket) : max_packet_(max_packet) {}
  void feed(std::string_view bytes);
  // The next complete packet, nullopt when more bytes are needed, an error
  // when the stream is unusable.
  Result<std::optional<Packet>> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  size_t max_packet_;
};

Result<Command> decode(const Packet& p);
// Frames and decodes exactly one packet from `bytes` (tests, fuzzing).
Result<Command> decode_one(std::string_view bytes, size_t max_packet = kDefaultMaxPacket);

// Encodes a command as the MTA would send it (tests, benchmarks, clients).
std::string encode_command(const Command& c);

// --- replies and modifications (milter -> MTA) ---
struct Accept {};
struct Continue {};
struct Reject {};
struct Tempfail {};
struct Discard {};
struct Skip {};
struct Progress {};
struct Quarantine {
  std::string reason;
};
struct ReplyCode {
  std::string text;  // "550 5.7.1 reason", validated by reply_code()
};
struct AddHeader {
  std::string name, value;
};
struct InsertHeader {
  uint32_t index = 0;  // 0: before the first header
  std::string name, value;
};
struct ChangeHeader {
  uint32_t index = 1;  // 1-based among the fields of this name; empty value deletes
  std::string name, value;
};
using Reply = std::variant<OptNeg, Accept, Continue, Reject, Tempfail, Discard, Skip, Progress, Quarantine,
                           ReplyCode, AddHeader, InsertHeader, ChangeHeader>;

void encode(const Reply& r, std::string& out);
std::string encode(const Reply& r);
// Decodes a reply packet (tests, the benchmark client).
Result<Reply> decode_reply(const Packet& p);

// A custom SMTP reply: code 4xx or 5xx, an RFC 3463 enhanced status code
// whose class matches (4.x.x with 4xx), text made safe (no CR/LF/NUL or other
// controls, '%' doubled as Sendmail's smfi_setreply does). Errc::kInvalidArgument otherwise.
Result<ReplyCode> reply_code(int code, std::string_view enhanced, std::string_view text);
// True for "X.Y.Z" with X in {2,4,5}, Y 0..999, Z 0..999 (RFC 3463 2).
bool valid_enhanced_status(std::string_view s);

// Option negotiation (milter side): what to answer to the MTA's OPTNEG. The
// version is the lower of both (at least 2); actions and protocol flags are
// those wanted that the MTA offers. Errc::kPermanent when the MTA's version
// is below 2.
Result<OptNeg> negotiate(const OptNeg& mta, const OptNeg& wanted);

}  // namespace rampart::milter

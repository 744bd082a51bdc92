#include "reports/smtp.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/strings.h"

namespace rampart::reports {

using Clock = std::chrono::steady_clock;

std::optional<SmtpReplyLine> parse_reply_line(std::string_view line) {
  if (line.size() < 3) return std::nullopt;
  for (int i = 0; i < 3; ++i)
    if (line[static_cast<size_t>(i)] < '0' || line[static_cast<size_t>(i)] > '9') return std::nullopt;
  SmtpReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (r.code < 200 || r.code > 599) return std::nullopt;
  if (line.size() == 3) return r;
  if (line[3] != ' ' && line[3] != '-') return std::nullopt;
  r.last = line[3] == ' ';
  r.text = std::string(line.substr(4));
  return r;
}

std::string dot_stuff(std::string_view m) {
  std::string out;
  out.reserve(m.size() + m.size() / 64 + 8);
  bool bol = true;
  for (size_t i = 0; i < m.size(); ++i) {
    char c = m[i];
    if (bol && c == '.') out += '.';
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      if (c == '\r' && i + 1 < m.size() && m[i + 1] == '\n') ++i;
      bol = true;
      continue;
    }
    out += c;
    bol = false;
  }
  if (!bol) out += "\r\n";
  return out;
}

namespace {

class Conn {
 public:
  Conn(Clock::time_point deadline) : deadline_(deadline) {}
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status connect(const std::string& host, uint16_t port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string p = std::to_string(port);
    if (int e = ::getaddrinfo(host.c_str(), p.c_str(), &hints, &res); e != 0)
      return fail(Errc::kTemporary, "relay " + host + ": " + ::gai_strerror(e));
    std::string why = "no address";
    for (addrinfo* a = res; a; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      int r = ::connect(fd, a->ai_addr, a->ai_addrlen);
      if (r < 0 && errno == EINPROGRESS) {
        pollfd pf{fd, POLLOUT, 0};
        if (wait(pf) > 0) {
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          r = err == 0 ? 0 : -1;
          errno = err ? err : ETIMEDOUT;
        } else {
          r = -1;
          errno = ETIMEDOUT;
        }
      }
      if (r == 0) {
        fd_ = fd;
        break;
      }
      why = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return fail(Errc::kTemporary, "relay " + host + ":" + p + ": " + why);
    return {};
  }

  Status write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd pf{fd_, POLLOUT, 0};
        if (wait(pf) <= 0) return fail(Errc::kTemporary, "relay: deadline while writing");
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return fail(Errc::kTemporary, std::string("relay: write: ") + std::strerror(errno));
    }
    return {};
  }

  // One whole reply (multi-line joined with '\n').
  Result<SmtpReplyLine> reply() {
    SmtpReplyLine all;
    for (int lines = 0; lines < 100; ++lines) {
      auto line = read_line();
      if (!line) return tl::unexpected(line.error());
      auto r = parse_reply_line(*line);
      if (!r) return fail(Errc::kTemporary, "relay: not an SMTP reply: '" + line->substr(0, 60) + "'");
      if (lines > 0 && r->code != all.code) return fail(Errc::kTemporary, "relay: reply codes differ");
      all.code = r->code;
      if (!all.text.empty()) all.text += '\n';
      all.text += r->text;
      if (r->last) return all;
    }
    return fail(Errc::kTemporary, "relay: reply of more than 100 lines");
  }

 private:
  int wait(pollfd& pf) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) return 0;
      int r = ::poll(&pf, 1, static_cast<int>(std::min<int64_t>(left, 1000000)));
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }

  Result<std::string> read_line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buf_.size() > 1000) return fail(Errc::kTemporary, "relay: reply line longer than 1000 bytes");
      char tmp[2048];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return fail(Errc::kTemporary, "relay closed the connection");
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return fail(Errc::kTemporary, std::string("relay: read: ") + std::strerror(errno));
      pollfd pf{fd_, POLLIN, 0};
      if (wait(pf) <= 0) return fail(Errc::kTemporary, "relay: deadline while reading a reply");
    }
  }

  Clock::time_point deadline_;
  int fd_ = -1;
  std::string buf_;
};

Status expect(Result<SmtpReplyLine> r, int want_class, std::string_view step) {
  if (!r) return tl::unexpected(r.error());
  if (r->code / 100 == want_class) return {};
  std::string text = r->text.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  const Errc e = r->code >= 500 ? Errc::kPermanent : Errc::kTemporary;
  return fail(e, "relay refused " + std::string(step) + ": " + std::to_string(r->code) + " " + text);
}

bool eight_bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool clean_arg(std::string_view s) {
  return s.size() < 512 && std::none_of(s.begin(), s.end(), [](char c) {
           return c == '\r' || c == '\n' || c == '\0' || c == '<' || c == '>' || c == ' ';
         });
}

}  // namespace

Status smtp_send(const SmtpOptions& o, std::string_view mail_from, const std::vector<std::string>& rcpts,
                 std::string_view message) {
  if (rcpts.empty()) return fail(Errc::kInvalidArgument, "no recipient");
  if (!clean_arg(mail_from) || !clean_arg(o.helo))
    return fail(Errc::kInvalidArgument, "bad sender or HELO name");
  for (const auto& r : rcpts)
    if (!clean_arg(r) || r.empty()) return fail(Errc::kInvalidArgument, "bad recipient address");
  Conn c(Clock::now() + o.timeout);
  if (auto st = c.connect(o.host, o.port); !st) return st;
  if (auto st = expect(c.reply(), 2, "the connection"); !st) return st;
  if (auto st = c.write("EHLO " + o.helo + "\r\n"); !st) return st;
  auto ehlo = c.reply();
  if (!ehlo) return tl::unexpected(ehlo.error());
  bool eightbitmime = false;
  if (ehlo->code / 100 != 2) {
    if (auto st = c.write("HELO " + o.helo + "\r\n"); !st) return st;
    if (auto st = expect(c.reply(), 2, "HELO"); !st) return st;
  } else {
    for (std::string_view l : split(ehlo->text, '\n'))
      if (iequals(trim(l).substr(0, 10), "8BITMIME")) eightbitmime = true;
  }
  const bool needs8 = eight_bit(message);
  if (needs8 && !eightbitmime) return fail(Errc::kPermanent, "8-bit report and the relay offers no 8BITMIME");
  if (auto st =
          c.write("MAIL FROM:<" + std::string(mail_from) + ">" + (needs8 ? " BODY=8BITMIME" : "") + "\r\n");
      !st)
    return st;
  if (auto st = expect(c.reply(), 2, "MAIL FROM"); !st) return st;
  size_t accepted = 0;
  Status last_refusal;
  for (const auto& r : rcpts) {
    if (auto st = c.write("RCPT TO:<" + r + ">\r\n"); !st) return st;
    auto st = expect(c.reply(), 2, "RCPT TO:<" + r + ">");
    if (st)
      ++accepted;
    else if (st.error().code == Errc::kTemporary && st.error().message.find("refused") == std::string::npos)
      return st;  // the connection failed
    else
      last_refusal = st;
  }
  if (accepted == 0) return last_refusal;
  if (auto st = c.write("DATA\r\n"); !st) return st;
  if (auto st = expect(c.reply(), 3, "DATA"); !st) return st;
  if (auto st = c.write(dot_stuff(message) + ".\r\n"); !st) return st;
  if (auto st = expect(c.reply(), 2, "the message"); !st) return st;
  (void)c.write("QUIT\r\n");
  return {};
}

}  // namespace rampart::reports

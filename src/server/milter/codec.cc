// File: src/server/milter/codec.cc
// The milter codec (see codec.h). Every read is checked against what remains
// of the packet; nothing is read past `data`.
#include "server/milter/codec.h"

#include <algorithm>
#include <cstring>

namespace rampart::milter {

namespace {

// A cursor over one packet's data.
class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool empty() const { return pos_ >= d_.size(); }
  size_t remaining() const { return d_.size() - pos_; }
  bool u32(uint32_t& v) {
    if (remaining() < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(d_.data() + pos_);
    v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    pos_ += 4;
    return true;
  }
  bool u16(uint16_t& v) {
    if (remaining() < 2) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(d_.data() + pos_);
    v = static_cast<uint16_t>((p[0] << 8) | p[1]);
    pos_ += 2;
    return true;
  }
  bool byte(char& c) {
    if (empty()) return false;
    c = d_[pos_++];
    return true;
  }
  // A NUL-terminated string; false when no NUL remains.
  bool cstr(std::string& s) {
    const size_t nul = d_.find('\0', pos_);
    if (nul == std::string_view::npos) return false;
    s.assign(d_.substr(pos_, nul - pos_));
    pos_ = nul + 1;
    return true;
  }
  std::string_view rest() {
    std::string_view r = d_.substr(std::min(pos_, d_.size()));
    pos_ = d_.size();
    return r;
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_cstr(std::string& out, std::string_view s) {
  // An embedded NUL would end the string early on the other side: cut there.
  const size_t nul = s.find('\0');
  out.append(s.substr(0, nul));
  out.push_back('\0');
}

// Writes the packet header for `cmd` with `data_len` bytes of data to follow.
void begin(std::string& out, char cmd, size_t data_len) {
  put_u32(out, static_cast<uint32_t>(data_len + 1));
  out.push_back(cmd);
}

size_t cstr_len(std::string_view s) {
  const size_t nul = s.find('\0');
  return (nul == std::string_view::npos ? s.size() : nul) + 1;
}

tl::unexpected<Error> bad(char cmd, std::string_view what) {
  std::string m = "milter ";
  m += command_name(cmd);
  m += ": ";
  m += what;
  return fail(Errc::kParse, std::move(m));
}

Result<std::vector<std::string>> args_list(char cmd, Reader& r) {
  std::vector<std::string> args;
  while (!r.empty()) {
    std::string a;
    if (!r.cstr(a)) return bad(cmd, "unterminated argument");
    args.push_back(std::move(a));
  }
  if (args.empty()) return bad(cmd, "no address");
  return args;
}

}  // namespace

const std::string* Macros::find(std::string_view name) const {
  std::string_view bare = name;
  if (bare.size() >= 2 && bare.front() == '{' && bare.back() == '}') bare = bare.substr(1, bare.size() - 2);
  for (const auto& [k, v] : pairs) {
    std::string_view kb = k;
    if (kb.size() >= 2 && kb.front() == '{' && kb.back() == '}') kb = kb.substr(1, kb.size() - 2);
    if (kb == bare) return &v;
  }
  return nullptr;
}

std::string_view command_name(char code) {
  switch (code) {
    case 'O': return "optneg";
    case 'D': return "macro";
    case 'C': return "connect";
    case 'H': return "helo";
    case 'M': return "mail";
    case 'R': return "rcpt";
    case 'T': return "data";
    case 'L': return "header";
    case 'N': return "eoh";
    case 'B': return "body";
    case 'E': return "eob";
    case 'A': return "abort";
    case 'Q': return "quit";
    case 'K': return "quit_nc";
    case 'U': return "unknown";
    default: return "?";
  }
}

char command_code(const Command& c) {
  static constexpr char kCodes[] = {'O', 'D', 'C', 'H', 'M', 'R', 'T', 'L',
                                    'N', 'B', 'E', 'A', 'Q', 'K', 'U'};
  static_assert(sizeof(kCodes) == std::variant_size_v<Command>);
  return kCodes[c.index()];
}

void Framer::feed(std::string_view bytes) {
  // Drop consumed bytes before growing, so the buffer stays bounded by one
  // packet plus one read.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<std::optional<Packet>> Framer::next() {
  const size_t avail = buf_.size() - pos_;
  if (avail < 4) return std::optional<Packet>{};
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  const uint32_t len =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  if (len == 0) return fail(Errc::kParse, "milter: packet of length 0");
  if (len > max_packet_)
    return fail(Errc::kLimit, "milter: packet of " + std::to_string(len) + " bytes over the cap");
  if (avail - 4 < len) return std::optional<Packet>{};
  Packet pk;
  pk.command = buf_[pos_ + 4];
  pk.data = std::string_view(buf_).substr(pos_ + 5, len - 1);
  pos_ += 4 + size_t{len};
  return std::optional<Packet>{pk};
}

Result<Command> decode(const Packet& p) {
  Reader r(p.data);
  switch (p.command) {
    case 'O': {
      OptNeg o;
      if (!r.u32(o.version) || !r.u32(o.actions) || !r.u32(o.protocol))
        return bad('O', "shorter than 12 bytes");
      // Later versions may append data; ignore it as libmilter does.
      return Command{o};
    }
    case 'D': {
      Macros m;
      if (!r.byte(m.for_command)) return bad('D', "no command byte");
      while (!r.empty()) {
        std::string k, v;
        if (!r.cstr(k)) return bad('D', "unterminated macro name");
        if (!r.cstr(v)) return bad('D', "macro without value");
        m.pairs.emplace_back(std::move(k), std::move(v));
      }
      return Command{std::move(m)};
    }
    case 'C': {
      Connect c;
      if (!r.cstr(c.hostname)) return bad('C', "unterminated hostname");
      if (!r.byte(c.family)) return bad('C', "no address family");
      if (c.family == 'U') {
        if (!r.empty()) return bad('C', "trailing bytes after unknown family");
        return Command{std::move(c)};
      }
      if (c.family != '4' && c.family != '6' && c.family != 'L') return bad('C', "unknown address family");
      if (!r.u16(c.port)) return bad('C', "no port");
      if (!r.cstr(c.address)) return bad('C', "unterminated address");
      if (!r.empty()) return bad('C', "trailing bytes");
      return Command{std::move(c)};
    }
    case 'H': {
      Helo h;
      if (!r.cstr(h.name)) return bad('H', "unterminated name");
      if (!r.empty()) return bad('H', "trailing bytes");
      return Command{std::move(h)};
    }
    case 'M': {
      auto a = args_list('M', r);
      if (!a) return tl::unexpected(a.error());
      return Command{Mail{std::move(*a)}};
    }
    case 'R': {
      auto a = args_list('R', r);
      if (!a) return tl::unexpected(a.error());
      return Command{Rcpt{std::move(*a)}};
    }
    case 'L': {
      Header h;
      if (!r.cstr(h.name)) return bad('L', "unterminated name");
      if (!r.cstr(h.value)) return bad('L', "unterminated value");
      if (!r.empty()) return bad('L', "trailing bytes");
      if (h.name.empty()) return bad('L', "empty name");
      return Command{std::move(h)};
    }
    case 'B': return Command{Body{std::string(r.rest())}};
    case 'E': return Command{EndOfBody{std::string(r.rest())}};
    case 'U': {
      Unknown u;
      if (!r.cstr(u.command)) return bad('U', "unterminated command");
      return Command{std::move(u)};
    }
    // Commands without data: extra bytes are tolerated (as libmilter does).
    case 'T': return Command{Data{}};
    case 'N': return Command{EndOfHeaders{}};
    case 'A': return Command{Abort{}};
    case 'Q': return Command{Quit{}};
    case 'K': return Command{QuitNewConnection{}};
    default: {
      std::string m = "milter: unknown command byte 0x";
      static constexpr char kHex[] = "0123456789abcdef";
      const auto b = static_cast<unsigned char>(p.command);
      m.push_back(kHex[b >> 4]);
      m.push_back(kHex[b & 15]);
      return fail(Errc::kParse, std::move(m));
    }
  }
}

Result<Command> decode_one(std::string_view bytes, size_t max_packet) {
  Framer f(max_packet);
  f.feed(bytes);
  auto p = f.next();
  if (!p) return tl::unexpected(p.error());
  if (!*p) return fail(Errc::kParse, "milter: incomplete packet");
  if (f.buffered() != 0) return fail(Errc::kParse, "milter: bytes after the packet");
  return decode(**p);
}

namespace {
struct CommandEncoder {
  std::string& out;
  void operator()(const OptNeg& o) {
    begin(out, 'O', 12);
    put_u32(out, o.version);
    put_u32(out, o.actions);
    put_u32(out, o.protocol);
  }
  void operator()(const Macros& m) {
    size_t n = 1;
    for (const auto& [k, v] : m.pairs) n += cstr_len(k) + cstr_len(v);
    begin(out, 'D', n);
    out.push_back(m.for_command);
    for (const auto& [k, v] : m.pairs) {
      put_cstr(out, k);
      put_cstr(out, v);
    }
  }
  void operator()(const Connect& c) {
    const bool addr = c.family != 'U';
    begin(out, 'C', cstr_len(c.hostname) + 1 + (addr ? 2 + cstr_len(c.address) : 0));
    put_cstr(out, c.hostname);
    out.push_back(c.family);
    if (addr) {
      out.push_back(static_cast<char>(c.port >> 8));
      out.push_back(static_cast<char>(c.port & 0xff));
      put_cstr(out, c.address);
    }
  }
  void operator()(const Helo& h) {
    begin(out, 'H', cstr_len(h.name));
    put_cstr(out, h.name);
  }
  void args(char cmd, const std::vector<std::string>& a) {
    size_t n = 0;
    for (const auto& s : a) n += cstr_len(s);
    begin(out, cmd, n);
    for (const auto& s : a) put_cstr(out, s);
  }
  void operator()(const Mail& m) { args('M', m.args); }
  void operator()(const Rcpt& r) { args('R', r.args); }
  void operator()(const Data&) { begin(out, 'T', 0); }
  void operator()(const Header& h) {
    begin(out, 'L', cstr_len(h.name) + cstr_len(h.value));
    put_cstr(out, h.name);
    put_cstr(out, h.value);
  }
  void operator()(const EndOfHeaders&) { begin(out, 'N', 0); }
  void operator()(const Body& b) {
    begin(out, 'B', b.chunk.size());
    out += b.chunk;
  }
  void operator()(const EndOfBody& b) {
    begin(out, 'E', b.chunk.size());
    out += b.chunk;
  }
  void operator()(const Abort&) { begin(out, 'A', 0); }
  void operator()(const Quit&) { begin(out, 'Q', 0); }
  void operator()(const QuitNewConnection&) { begin(out, 'K', 0); }
  void operator()(const Unknown& u) {
    begin(out, 'U', cstr_len(u.command));
    put_cstr(out, u.command);
  }
};

struct ReplyEncoder {
  std::string& out;
  void operator()(const OptNeg& o) { CommandEncoder{out}(o); }
  void operator()(const Accept&) { begin(out, 'a', 0); }
  void operator()(const Continue&) { begin(out, 'c', 0); }
  void operator()(const Reject&) { begin(out, 'r', 0); }
  void operator()(const Tempfail&) { begin(out, 't', 0); }
  void operator()(const Discard&) { begin(out, 'd', 0); }
  void operator()(const Skip&) { begin(out, 's', 0); }
  void operator()(const Progress&) { begin(out, 'p', 0); }
  void operator()(const Quarantine& q) {
    begin(out, 'q', cstr_len(q.reason));
    put_cstr(out, q.reason);
  }
  void operator()(const ReplyCode& y) {
    begin(out, 'y', cstr_len(y.text));
    put_cstr(out, y.text);
  }
  void operator()(const AddHeader& h) {
    begin(out, 'h', cstr_len(h.name) + cstr_len(h.value));
    put_cstr(out, h.name);
    put_cstr(out, h.value);
  }
  void indexed(char cmd, uint32_t index, const std::string& name, const std::string& value) {
    begin(out, cmd, 4 + cstr_len(name) + cstr_len(value));
    put_u32(out, index);
    put_cstr(out, name);
    put_cstr(out, value);
  }
  void operator()(const InsertHeader& h) { indexed('i', h.index, h.name, h.value); }
  void operator()(const ChangeHeader& h) { indexed('m', h.index, h.name, h.value); }
};
}  // namespace

std::string encode_command(const Command& c) {
  std::string out;
  std::visit(CommandEncoder{out}, c);
  return out;
}

void encode(const Reply& r, std::string& out) { std::visit(ReplyEncoder{out}, r); }

std::string encode(const Reply& r) {
  std::string out;
  encode(r, out);
  return out;
}

Result<Reply> decode_reply(const Packet& p) {
  Reader r(p.data);
  auto bad_reply = [&](std::string_view what) {
    return fail(Errc::kParse, std::string("milter reply '") + p.command + "': " + std::string(what));
  };
  switch (p.command) {
    case 'O': {
      OptNeg o;
      if (!r.u32(o.version) || !r.u32(o.actions) || !r.u32(o.protocol)) return bad_reply("short optneg");
      return Reply{o};
    }
    case 'a': return Reply{Accept{}};
    case 'c': return Reply{Continue{}};
    case 'r': return Reply{Reject{}};
    case 't': return Reply{Tempfail{}};
    case 'd': return Reply{Discard{}};
    case 's': return Reply{Skip{}};
    case 'p': return Reply{Progress{}};
    case 'q': {
      Quarantine q;
      if (!r.cstr(q.reason)) return bad_reply("unterminated reason");
      return Reply{std::move(q)};
    }
    case 'y': {
      ReplyCode y;
      if (!r.cstr(y.text)) return bad_reply("unterminated text");
      return Reply{std::move(y)};
    }
    case 'h': {
      AddHeader h;
      if (!r.cstr(h.name) || !r.cstr(h.value)) return bad_reply("unterminated header");
      return Reply{std::move(h)};
    }
    case 'i':
    case 'm': {
      uint32_t index = 0;
      std::string name, value;
      if (!r.u32(index)) return bad_reply("no index");
      if (!r.cstr(name) || !r.cstr(value)) return bad_reply("unterminated header");
      if (p.command == 'i') return Reply{InsertHeader{index, std::move(name), std::move(value)}};
      return Reply{ChangeHeader{index, std::move(name), std::move(value)}};
    }
    default: return bad_reply("unknown reply");
  }
}

bool valid_enhanced_status(std::string_view s) {
  // class "." subject "." detail; subject and detail 1-3 digits (RFC 3463 2).
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3) return false;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

Result<ReplyCode> reply_code(int code, std::string_view enhanced, std::string_view text) {
  if (code < 400 || code > 599) return fail(Errc::kInvalidArgument, "milter reply code must be 4xx or 5xx");
  if (!valid_enhanced_status(enhanced))
    return fail(Errc::kInvalidArgument, "not an RFC 3463 enhanced status code: " + std::string(enhanced));
  if (enhanced[0] - '0' != code / 100)
    return fail(Errc::kInvalidArgument, "enhanced status class does not match the reply code");
  ReplyCode y;
  y.text = std::to_string(code);
  y.text.push_back(' ');
  y.text.append(enhanced);
  if (!text.empty()) y.text.push_back(' ');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '%') {
      y.text += "%%";
    } else if (u < 0x20 || u == 0x7f) {
      y.text.push_back(' ');
    } else {
      y.text.push_back(c);
    }
    if (y.text.size() > 400) break;  // well under the 512-octet SMTP reply line
  }
  return y;
}

Result<OptNeg> negotiate(const OptNeg& mta, const OptNeg& wanted) {
  if (mta.version < 2) return fail(Errc::kPermanent, "milter: MTA protocol version below 2");
  OptNeg o;
  o.version = std::min(mta.version, std::max<uint32_t>(wanted.version, 2));
  o.actions = mta.actions & wanted.actions;
  o.protocol = mta.protocol & wanted.protocol;
  return o;
}

}  // namespace rampart::milter

#include "dns/zone_file.h"

#include <fstream>
#include <optional>
#include <vector>

#include "core/strings.h"
#include "dns/name.h"

namespace rampart::dns {

std::optional<uint32_t> parse_ttl(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t total = 0, cur = 0;
  bool digits = false, unit_seen = false;
  for (char c : s) {
    if (is_digit(c)) {
      cur = cur * 10 + static_cast<uint64_t>(c - '0');
      if (cur > 0x7FFFFFFF) return std::nullopt;
      digits = true;
      continue;
    }
    if (!digits) return std::nullopt;
    uint64_t mult = 0;
    switch (ascii_lower(c)) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 604800; break;
      default: return std::nullopt;
    }
    total += cur * mult;
    if (total > 0x7FFFFFFF) return std::nullopt;
    cur = 0;
    digits = false;
    unit_seen = true;
  }
  if (digits) {
    if (unit_seen) return std::nullopt;  // "1h30" is ambiguous: refuse
    total += cur;
  }
  if (total > 0x7FFFFFFF) return std::nullopt;
  return static_cast<uint32_t>(total);
}

namespace {

struct Token {
  std::string text;  // escapes decoded
  std::string raw;   // as written (unquoted tokens): names keep their escapes
  bool quoted = false;
};

// True when a name as written ends in an unescaped dot (fully qualified).
bool absolute(std::string_view raw) {
  if (raw.empty() || raw.back() != '.') return false;
  size_t slashes = 0;
  for (size_t i = raw.size() - 1; i-- > 0 && raw[i] == '\\';) ++slashes;
  return slashes % 2 == 0;
}

class Parser {
 public:
  Parser(std::string_view text, const ZoneOptions& o)
      : text_(text), opt_(o), origin_(normalize_name(o.origin)) {
    last_ttl_ = o.default_ttl;
  }

  Result<Zone> run() {
    std::vector<Token> toks;
    for (;;) {
      toks.clear();
      bool leading_ws = false;
      size_t entry_line = 0;
      auto more = next_entry(&toks, &leading_ws, &entry_line);
      if (!more) return tl::unexpected(more.error());
      if (!*more) break;
      line_of_entry_ = entry_line;
      auto ok = entry(toks, leading_ws);
      if (!ok) return tl::unexpected(ok.error());
    }
    zone_.origin = origin_;
    return std::move(zone_);
  }

 private:
  tl::unexpected<Error> error(std::string_view why, size_t line, Errc code = Errc::kParse) const {
    return fail(code, opt_.file_name + ":" + std::to_string(line) + ": " + std::string(why));
  }
  tl::unexpected<Error> err(std::string_view why) const { return error(why, line_of_entry_); }

  // Reads one \X or \DDD escape at text_[pos_] == '\\' into *out.
  Result<void> escape(std::string* out) {
    ++pos_;
    if (pos_ >= text_.size()) return error("backslash at end of file", line_);
    if (is_digit(text_[pos_])) {
      if (pos_ + 2 >= text_.size() || !is_digit(text_[pos_ + 1]) || !is_digit(text_[pos_ + 2]))
        return error("bad \\DDD escape", line_);
      int v = (text_[pos_] - '0') * 100 + (text_[pos_ + 1] - '0') * 10 + (text_[pos_ + 2] - '0');
      if (v > 255) return error("\\DDD escape above 255", line_);
      out->push_back(static_cast<char>(v));
      pos_ += 3;
      return {};
    }
    if (text_[pos_] == '\n') return error("escaped newline", line_);
    out->push_back(text_[pos_++]);
    return {};
  }

  // Collects the tokens of one entry (a logical line). Returns false at end.
  Result<bool> next_entry(std::vector<Token>* toks, bool* leading_ws, size_t* entry_line) {
    int paren = 0;
    bool line_start = true;
    size_t line_begin = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (pos_ == line_begin) {
        size_t nl = text_.find('\n', pos_);
        if ((nl == std::string_view::npos ? text_.size() : nl) - pos_ > opt_.max_line)
          return error("line too long", line_, Errc::kLimit);
      }
      if (line_start && toks->empty() && paren == 0) *leading_ws = is_wsp(c);
      line_start = false;
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_begin = pos_;
        line_start = true;
        if (paren == 0 && !toks->empty()) return true;
        continue;
      }
      if (is_wsp(c) || c == '\r') {
        ++pos_;
        continue;
      }
      if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (toks->empty()) *entry_line = line_;
      if (c == '(') {
        ++paren;
        ++pos_;
        continue;
      }
      if (c == ')') {
        if (--paren < 0) return error("unbalanced ')'", line_);
        ++pos_;
        continue;
      }
      Token t;
      if (c == '"') {
        t.quoted = true;
        ++pos_;
        for (;;) {
          if (pos_ >= text_.size() || text_[pos_] == '\n') return error("unterminated quoted string", line_);
          char d = text_[pos_];
          if (d == '"') {
            ++pos_;
            break;
          }
          if (d == '\\') {
            auto e = escape(&t.text);
            if (!e) return tl::unexpected(e.error());
            continue;
          }
          t.text.push_back(d);
          ++pos_;
        }
      } else {
        const size_t start = pos_;
        while (pos_ < text_.size()) {
          char d = text_[pos_];
          if (is_wsp(d) || d == '\r' || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
          if (d == '\\') {
            auto e = escape(&t.text);
            if (!e) return tl::unexpected(e.error());
            continue;
          }
          t.text.push_back(d);
          ++pos_;
        }
        t.raw = text_.substr(start, pos_ - start);
      }
      toks->push_back(std::move(t));
    }
    if (paren != 0) return error("unbalanced '(' at end of file", line_);
    return !toks->empty();
  }

  Result<std::string> name(const Token& t) const {
    if (t.quoted) return err("quoted string where a name was expected");
    // From the token as written, so `\.` and `\\` inside a label stay octets
    // of the label (normalize_name reads the escapes).
    std::string n;
    if (t.raw == "@") {
      n = origin_;
    } else if (absolute(t.raw)) {
      n = normalize_name(t.raw);
    } else if (origin_.empty()) {
      n = normalize_name(t.raw);
    } else {
      n = normalize_name(t.raw) + "." + origin_;
    }
    if (t.text.empty() || !valid_name(n)) return err("invalid domain name '" + t.text + "'");
    return n;
  }

  Result<uint32_t> number(const Token& t, uint32_t max, std::string_view what) const {
    uint64_t v = 0;
    if (t.quoted || t.text.empty() || t.text.size() > 10) return err("bad " + std::string(what));
    for (char c : t.text) {
      if (!is_digit(c)) return err("bad " + std::string(what) + " '" + t.text + "'");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > max) return err(std::string(what) + " out of range");
    return static_cast<uint32_t>(v);
  }

  Result<void> entry(const std::vector<Token>& toks, bool leading_ws) {
    size_t i = 0;
    if (!leading_ws && !toks[0].quoted && toks[0].text.starts_with('$')) return directive(toks);
    std::string owner;
    if (leading_ws) {
      if (!last_owner_) return err("no previous owner to inherit");
      owner = *last_owner_;
    } else {
      auto n = name(toks[0]);
      if (!n) return tl::unexpected(n.error());
      owner = std::move(*n);
      i = 1;
    }
    std::optional<uint32_t> ttl;
    bool class_seen = false;
    for (int k = 0; k < 2 && i < toks.size() && !toks[i].quoted; ++k) {
      const std::string& s = toks[i].text;
      if (!ttl && is_digit(s[0])) {
        ttl = parse_ttl(s);
        if (!ttl) return err("bad TTL '" + s + "'");
        ++i;
      } else if (!class_seen && iequals(s, "IN")) {
        class_seen = true;
        ++i;
      } else if (!class_seen && (iequals(s, "CH") || iequals(s, "HS") || iequals(s, "CS"))) {
        return err("unsupported class " + s);
      } else {
        break;
      }
    }
    if (i >= toks.size()) return err("missing record type");
    const Token& type_tok = toks[i++];
    std::vector<Token> rdata(toks.begin() + static_cast<std::ptrdiff_t>(i), toks.end());
    last_owner_ = owner;
    if (ttl) last_ttl_ = *ttl;
    uint32_t rr_ttl = ttl ? *ttl : (ttl_directive_ ? *ttl_directive_ : last_ttl_);
    return record(owner, rr_ttl, type_tok, rdata);
  }

  Result<void> directive(const std::vector<Token>& toks) {
    const std::string& d = toks[0].text;
    if (iequals(d, "$ORIGIN")) {
      if (toks.size() != 2) return err("$ORIGIN takes one name");
      auto n = name(toks[1]);
      if (!n) return tl::unexpected(n.error());
      origin_ = std::move(*n);
      return {};
    }
    if (iequals(d, "$TTL")) {
      if (toks.size() != 2) return err("$TTL takes one value");
      auto t = parse_ttl(toks[1].text);
      if (!t || toks[1].quoted) return err("bad $TTL '" + toks[1].text + "'");
      ttl_directive_ = *t;
      return {};
    }
    return err("unsupported directive " + d);
  }

  Result<void> record(const std::string& owner, uint32_t ttl, const Token& type_tok,
                      const std::vector<Token>& rd) {
    const std::string& ty = type_tok.text;
    auto want = [&](size_t n) -> Result<void> {
      if (rd.size() != n)
        return err(ty + " needs " + std::to_string(n) + " field" + (n == 1 ? "" : "s") + ", got " +
                   std::to_string(rd.size()));
      return {};
    };
    Record r;
    r.ttl = ttl;
    if (iequals(ty, "A") || iequals(ty, "AAAA")) {
      bool v4 = iequals(ty, "A");
      if (auto w = want(1); !w) return w;
      auto ip = IpAddress::parse(rd[0].text);
      if (!ip || ip->is_v4() != v4 || rd[0].quoted) return err("bad " + ty + " address '" + rd[0].text + "'");
      r.type = v4 ? RRType::A : RRType::AAAA;
      r.data = *ip;
    } else if (iequals(ty, "MX")) {
      if (auto w = want(2); !w) return w;
      auto pref = number(rd[0], 0xFFFF, "MX preference");
      if (!pref) return tl::unexpected(pref.error());
      auto ex = name(rd[1]);
      if (!ex) return tl::unexpected(ex.error());
      r.type = RRType::MX;
      r.data = Mx{static_cast<uint16_t>(*pref), std::move(*ex)};
    } else if (iequals(ty, "TXT") || iequals(ty, "SPF")) {
      if (rd.empty()) return err(ty + " needs at least one string");
      Txt txt;
      for (const auto& t : rd) {
        if (t.text.size() > 255) return err("character-string longer than 255 octets");
        txt.strings.push_back(t.text);
      }
      r.type = iequals(ty, "TXT") ? RRType::TXT : RRType::SPF;
      r.data = std::move(txt);
    } else if (iequals(ty, "PTR") || iequals(ty, "CNAME") || iequals(ty, "NS")) {
      if (auto w = want(1); !w) return w;
      auto n = name(rd[0]);
      if (!n) return tl::unexpected(n.error());
      r.type = iequals(ty, "PTR") ? RRType::PTR : iequals(ty, "NS") ? RRType::NS : RRType::CNAME;
      r.data = std::move(*n);
    } else if (iequals(ty, "SOA")) {
      if (auto w = want(7); !w) return w;
      Soa soa;
      soa.name = owner;
      soa.ttl = ttl;
      auto m = name(rd[0]);
      if (!m) return tl::unexpected(m.error());
      auto rn = name(rd[1]);
      if (!rn) return tl::unexpected(rn.error());
      soa.mname = std::move(*m);
      soa.rname = std::move(*rn);
      auto serial = number(rd[2], 0xFFFFFFFF, "SOA serial");
      if (!serial) return tl::unexpected(serial.error());
      soa.serial = *serial;
      uint32_t* fields[] = {&soa.refresh, &soa.retry, &soa.expire, &soa.minimum};
      for (size_t k = 0; k < 4; ++k) {
        auto v = parse_ttl(rd[3 + k].text);
        if (!v || rd[3 + k].quoted) return err("bad SOA timer '" + rd[3 + k].text + "'");
        *fields[k] = *v;
      }
      if (!zone_.soa) zone_.set_soa(std::move(soa));
      return {};
    } else {
      return err("unsupported record type '" + ty + "'");
    }
    if (type_tok.quoted) return err("quoted record type");
    if (zone_.record_count() >= opt_.max_records)
      return error("too many records", line_of_entry_, Errc::kLimit);
    zone_.add(owner, std::move(r));
    return {};
  }

  std::string_view text_;
  const ZoneOptions& opt_;
  std::string origin_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_of_entry_ = 1;
  std::optional<std::string> last_owner_;
  std::optional<uint32_t> ttl_directive_;
  uint32_t last_ttl_;
  Zone zone_;
};

}  // namespace

Result<Zone> parse_zone(std::string_view text, const ZoneOptions& options) {
  return Parser(text, options).run();
}

Result<Zone> load_zone_file(const std::string& path, ZoneOptions options) {
  if (options.file_name == ZoneOptions{}.file_name) options.file_name = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, "cannot open zone file " + path);
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > (64u << 20)) return fail(Errc::kLimit, path + ": zone file larger than 64 MiB");
  }
  return parse_zone(text, options);
}

}  // namespace rampart::dns

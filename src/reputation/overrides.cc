// File: src/reputation/overrides.cc
// Manual overrides with an audit trail (see overrides.h).
#include "reputation/overrides.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "core/ip.h"
#include "core/json.h"
#include "core/strings.h"
#include "reputation/event.h"

namespace rampart::reputation {

namespace {

// One flat JSON object whose members are strings or non-negative integers:
// the only JSON this file reads. No recursion, linear in the input.
struct Member {
  std::string key, str;
  bool is_int = false;
  int64_t num = 0;
};

void skip_ws(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

int hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (size_t k = 0; k < 4; ++k) {
    const char c = s[i + k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Status bad(size_t at, std::string_view what) {
  return fail(Errc::kParse, "JSON: " + std::string(what) + " at byte " + std::to_string(at));
}

// A JSON string starting at s[i] == '"'; i ends past the closing quote.
Status read_string(std::string_view s, size_t& i, std::string& out) {
  const size_t start = i;
  if (i >= s.size() || s[i] != '"') return bad(i, "expected a string");
  ++i;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      ++i;
      return {};
    }
    if (c < 0x20) return bad(i, "control character in a string");
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (++i >= s.size()) break;
    switch (s[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        int hi = hex4(s, i + 1);
        if (hi < 0) return bad(i, "bad \\u escape");
        i += 4;
        uint32_t cp = static_cast<uint32_t>(hi);
        if (hi >= 0xD800 && hi <= 0xDBFF) {
          int lo = i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' ? hex4(s, i + 3) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) return bad(i, "lone surrogate");
          cp = 0x10000 + ((static_cast<uint32_t>(hi) - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
          i += 6;
        } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
          return bad(i, "lone surrogate");
        }
        put_utf8(out, cp);
        break;
      }
      default: return bad(i, "bad escape");
    }
    ++i;
  }
  return bad(start, "unterminated string");
}

Result<std::vector<Member>> parse_flat_object(std::string_view s) {
  if (s.size() > kMaxOverrideJson)
    return fail(Errc::kParse, "JSON: more than " + std::to_string(kMaxOverrideJson) + " bytes");
  std::vector<Member> out;
  size_t i = 0;
  skip_ws(s, i);
  if (i >= s.size() || s[i] != '{') return tl::unexpected(bad(i, "expected an object").error());
  ++i;
  skip_ws(s, i);
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skip_ws(s, i);
      Member m;
      if (auto st = read_string(s, i, m.key); !st) return tl::unexpected(st.error());
      for (const Member& o : out)
        if (o.key == m.key) return tl::unexpected(bad(i, "duplicate member \"" + m.key + "\"").error());
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ':') return tl::unexpected(bad(i, "expected ':'").error());
      ++i;
      skip_ws(s, i);
      if (i < s.size() && s[i] == '"') {
        if (auto st = read_string(s, i, m.str); !st) return tl::unexpected(st.error());
      } else if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        m.is_int = true;
        size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (++digits > 15) return tl::unexpected(bad(i, "number too large").error());
          m.num = m.num * 10 + (s[i] - '0');
          ++i;
        }
      } else {
        return tl::unexpected(bad(i, "member \"" + m.key + "\" must be a string").error());
      }
      out.push_back(std::move(m));
      skip_ws(s, i);
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return tl::unexpected(bad(i, "expected ',' or '}'").error());
    }
  }
  skip_ws(s, i);
  if (i != s.size()) return tl::unexpected(bad(i, "bytes after the object").error());
  return out;
}

bool ldh_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  for (auto label : split(d, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

Status check_reason(std::string_view r) {
  if (trim(r).empty()) return fail(Errc::kInvalidArgument, "reason: required (why, for the audit log)");
  if (r.size() > kMaxReason)
    return fail(Errc::kInvalidArgument, "reason: at most " + std::to_string(kMaxReason) + " bytes");
  for (char c : r)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(Errc::kInvalidArgument, "reason: no control characters");
  return {};
}

}  // namespace

std::string_view override_action_name(OverrideAction a) {
  switch (a) {
    case OverrideAction::kAllow: return "allow";
    case OverrideAction::kBlock: return "block";
    case OverrideAction::kDelist: return "delist";
    case OverrideAction::kClear: return "clear";
    case OverrideAction::kRelease: return "release";
    case OverrideAction::kExtend: return "extend";
  }
  return "?";
}

std::optional<OverrideAction> parse_override_action(std::string_view s) {
  for (auto a : {OverrideAction::kAllow, OverrideAction::kBlock, OverrideAction::kDelist,
                 OverrideAction::kClear, OverrideAction::kRelease, OverrideAction::kExtend})
    if (override_action_name(a) == s) return a;
  return std::nullopt;
}

Result<std::string> canonical_identity(std::string_view id) {
  const size_t colon = id.find(':');
  if (colon == std::string_view::npos)
    return fail(Errc::kInvalidArgument,
                "identity: use ip:ADDR, net:CIDR, domain:NAME, or a channel's voice:, sms:, shortcode:, im:, "
                "sip: or trunk: identity");
  const std::string_view kind = id.substr(0, colon), rest = id.substr(colon + 1);
  if (kind == "ip") {
    auto ip = IpAddress::parse(rest);
    if (!ip) return fail(Errc::kInvalidArgument, "identity: not an address: \"" + std::string(rest) + "\"");
    return "ip:" + ip->unmapped().to_string();
  }
  if (kind == "net") {
    if (rest.find('/') == std::string_view::npos)
      return fail(Errc::kInvalidArgument, "identity: net: needs a CIDR prefix (net:192.0.2.0/24)");
    auto p = parse_cidr(rest);
    if (!p) return fail(Errc::kInvalidArgument, "identity: " + p.error().message);
    return "net:" + p->to_string();
  }
  if (kind == "domain") {
    std::string d = to_lower(rest);
    if (!d.empty() && d.back() == '.') d.pop_back();
    if (!ldh_domain(d))
      return fail(Errc::kInvalidArgument, "identity: not a domain name: \"" + std::string(rest) + "\"");
    return "domain:" + d;
  }
  // Other channels (issue 16): numbers, short codes, IM accounts, SIP
  // sources and trunks, canonical as the engine keys them (event.h).
  if (kind == "sms" || kind == "voice" || kind == "shortcode" || kind == "im" || kind == "sip" ||
      kind == "trunk") {
    if (auto k = canonical_channel_key(id)) return std::move(*k);
    return fail(Errc::kInvalidArgument, "identity: not a valid " + std::string(kind) + ": \"" +
                                            std::string(rest) +
                                            "\" (voice:+12025550100, sms:+447700900123, "
                                            "shortcode:12345, im:ACCOUNT, sip:ADDR, trunk:NAME)");
  }
  return fail(Errc::kInvalidArgument, "identity: unknown kind \"" + std::string(kind) +
                                          "\" (ip, net, domain, sms, voice, shortcode, im, sip, trunk)");
}

Result<OverrideRequest> parse_override_request(std::string_view json) {
  auto members = parse_flat_object(json);
  if (!members) return tl::unexpected(members.error());
  OverrideRequest r;
  bool have_id = false, have_action = false, have_reason = false;
  for (const Member& m : *members) {
    if (m.key != "identity" && m.key != "action" && m.key != "reason")
      return fail(Errc::kParse, "JSON: unknown member \"" + m.key + "\" (identity, action, reason)");
    if (m.is_int) return fail(Errc::kParse, "JSON: member \"" + m.key + "\" must be a string");
    if (m.key == "identity") {
      auto id = canonical_identity(m.str);
      if (!id) return tl::unexpected(id.error());
      r.identity = std::move(*id);
      have_id = true;
    } else if (m.key == "action") {
      auto a = parse_override_action(m.str);
      if (!a || *a == OverrideAction::kRelease || *a == OverrideAction::kExtend)
        return fail(Errc::kInvalidArgument, "action: \"" + m.str + "\" is not allow, block, delist or clear");
      r.action = *a;
      have_action = true;
    } else {
      r.reason = m.str;
      have_reason = true;
    }
  }
  if (!have_id || !have_action || !have_reason)
    return fail(Errc::kInvalidArgument, "identity, action and reason are required");
  if (auto st = check_reason(r.reason); !st) return tl::unexpected(st.error());
  return r;
}

std::string Override::to_json() const {
  return JsonObject()
      .str("identity", identity)
      .str("action", override_action_name(action))
      .str("reason", reason)
      .str("who", who)
      .num("at", at)
      .done();
}

Result<Override> parse_override_json(std::string_view json) {
  auto members = parse_flat_object(json);
  if (!members) return tl::unexpected(members.error());
  Override o;
  unsigned seen = 0;
  for (const Member& m : *members) {
    if (m.key == "at") {
      if (!m.is_int) return fail(Errc::kParse, "\"at\" must be a number");
      o.at = m.num;
      seen |= 16;
      continue;
    }
    if (m.is_int) return fail(Errc::kParse, "JSON: member \"" + m.key + "\" must be a string");
    if (m.key == "identity") {
      auto id = canonical_identity(m.str);
      if (!id) return tl::unexpected(id.error());
      o.identity = *id;
      seen |= 1;
    } else if (m.key == "action") {
      auto a = parse_override_action(m.str);
      if (!a) return fail(Errc::kParse, "unknown action \"" + m.str + "\"");
      o.action = *a;
      seen |= 2;
    } else if (m.key == "reason") {
      o.reason = m.str;
      seen |= 4;
    } else if (m.key == "who") {
      o.who = m.str;
      seen |= 8;
    } else {
      return fail(Errc::kParse, "unknown member \"" + m.key + "\"");
    }
  }
  if (seen != 31) return fail(Errc::kParse, "identity, action, reason, who and at are required");
  return o;
}

Result<std::unique_ptr<OverrideStore>> OverrideStore::open(const std::string& dir, OverrideOptions o) {
  std::unique_ptr<OverrideStore> s(new OverrideStore());
  s->dir_ = dir;
  s->o_ = o;
  if (dir.empty()) return s;
  // The data directory itself may not exist yet (the Redis store never
  // creates it): make the whole path, as the RocksDB store does.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0750);
  {
    std::ifstream f(dir + "/overrides.jsonl");
    std::string line;
    for (size_t n = 1; std::getline(f, line); ++n) {
      if (trim(line).empty()) continue;
      auto ov = parse_override_json(line);
      if (!ov)
        return fail(Errc::kParse, dir + "/overrides.jsonl:" + std::to_string(n) + ": " + ov.error().message);
      s->set_[ov->identity] = std::move(*ov);
    }
  }
  {
    std::ifstream f(dir + "/audit.jsonl");
    std::string line;
    while (std::getline(f, line)) {
      auto ov = parse_override_json(line);
      if (!ov) continue;  // a torn last line after a crash: the set file is the truth
      s->audit_.push_back(std::move(*ov));
      if (s->audit_.size() > o.audit_memory) s->audit_.pop_front();
    }
  }
  return s;
}

Status OverrideStore::write_set_locked() const {
  if (dir_.empty()) return {};
  std::string text;
  for (const auto& [id, o] : set_) text += o.to_json() + "\n";
  return write_file_atomically(dir_ + "/overrides.jsonl", text, 0640);
}

Result<Override> OverrideStore::apply(const OverrideRequest& req, std::string_view who, int64_t now) {
  Override rec{req.identity, req.action, req.reason, std::string(who), now};
  std::shared_ptr<const Listener> listener;
  {
    std::lock_guard lock(mu_);
    const bool present = set_.count(req.identity) > 0;
    if (req.action != OverrideAction::kClear && !present && set_.size() >= o_.max_overrides)
      return fail(Errc::kLimit, "at most " + std::to_string(o_.max_overrides) + " overrides");
    if (!dir_.empty()) {
      // The audit line first: a change is never made without its record.
      const std::string path = dir_ + "/audit.jsonl";
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (fd < 0) return fail(Errc::kIo, path + ": " + std::strerror(errno));
      Status st = write_all(fd, rec.to_json() + "\n");
      if (st && ::fdatasync(fd) != 0) st = fail(Errc::kIo, path + ": fsync: " + std::strerror(errno));
      ::close(fd);
      if (!st) return tl::unexpected(st.error());
    }
    std::optional<Override> before;
    if (present) before = set_[req.identity];
    if (req.action == OverrideAction::kClear)
      set_.erase(req.identity);
    else
      set_[req.identity] = rec;
    if (auto st = write_set_locked(); !st) {
      // Keep memory and file in agreement: undo.
      if (before)
        set_[req.identity] = *before;
      else
        set_.erase(req.identity);
      return tl::unexpected(st.error());
    }
    audit_.push_back(rec);
    if (audit_.size() > o_.audit_memory) audit_.pop_front();
    listener = listener_;
  }
  if (listener && *listener) (*listener)(rec);
  return rec;
}

Result<Override> OverrideStore::note(const OverrideRequest& req, std::string_view who, int64_t now) {
  Override rec{req.identity, req.action, req.reason, std::string(who), now};
  std::lock_guard lock(mu_);
  if (!dir_.empty()) {
    const std::string path = dir_ + "/audit.jsonl";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return fail(Errc::kIo, path + ": " + std::strerror(errno));
    Status st = write_all(fd, rec.to_json() + "\n");
    if (st && ::fdatasync(fd) != 0) st = fail(Errc::kIo, path + ": fsync: " + std::strerror(errno));
    ::close(fd);
    if (!st) return tl::unexpected(st.error());
  }
  audit_.push_back(rec);
  if (audit_.size() > o_.audit_memory) audit_.pop_front();
  return rec;
}

std::optional<Override> OverrideStore::find(std::string_view identity) const {
  std::lock_guard lock(mu_);
  auto it = set_.find(identity);
  if (it == set_.end()) return std::nullopt;
  return it->second;
}

std::vector<Override> OverrideStore::list() const {
  std::lock_guard lock(mu_);
  std::vector<Override> out;
  out.reserve(set_.size());
  for (const auto& [id, o] : set_) out.push_back(o);
  return out;
}

std::vector<Override> OverrideStore::audit(size_t limit) const {
  std::lock_guard lock(mu_);
  const size_t n = std::min(limit, audit_.size());
  return {audit_.end() - static_cast<std::ptrdiff_t>(n), audit_.end()};
}

size_t OverrideStore::size() const {
  std::lock_guard lock(mu_);
  return set_.size();
}

void OverrideStore::set_listener(Listener l) {
  std::lock_guard lock(mu_);
  listener_ = std::make_shared<const Listener>(std::move(l));
}

}  // namespace rampart::reputation

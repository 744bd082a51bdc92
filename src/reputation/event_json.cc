// File: src/reputation/event_json.cc
// A small JSON reader for flat event objects (no library in the dependency
// list reads JSON; this accepts RFC 8259 values and ignores what it does not need).
#include "reputation/event_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "reputation/engine.h"

namespace rampart::reputation {

namespace {

struct Reader {
  std::string_view s;
  size_t i = 0;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  tl::unexpected<Error> err(std::string_view what) const {
    return fail(Errc::kParse, std::string(what) + " at byte " + std::to_string(i));
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
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

  Result<uint32_t> hex4() {
    if (s.size() - i < 4) return err("short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return err("bad \\u escape");
    }
    return v;
  }

  // At '"'.
  Result<std::string> string() {
    ws();
    if (i >= s.size() || s[i] != '"') return err("expected string");
    ++i;
    std::string out;
    while (i < s.size()) {
      const char c = s[i++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return err("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i >= s.size()) break;
      const char e = s[i++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return tl::unexpected(cp.error());
          uint32_t v = *cp;
          if (v >= 0xD800 && v < 0xDC00 && s.size() - i >= 6 && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            auto lo = hex4();
            if (!lo) return tl::unexpected(lo.error());
            if (*lo >= 0xDC00 && *lo < 0xE000)
              v = 0x10000 + ((v - 0xD800) << 10) + (*lo - 0xDC00);
            else
              v = 0xFFFD;
          } else if (v >= 0xD800 && v < 0xE000) {
            v = 0xFFFD;
          }
          put_utf8(out, v);
          break;
        }
        default: return err("bad escape");
      }
    }
    return err("unterminated string");
  }

  Result<double> number() {
    ws();
    const size_t start = i;
    if (i < s.size() && s[i] == '-') ++i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                            s[i] == '+' || s[i] == '-'))
      ++i;
    if (i == start || i - start > 64) return err("expected number");
    const std::string tmp(s.substr(start, i - start));
    char* end = nullptr;
    const double v = std::strtod(tmp.c_str(), &end);
    if (end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return err("bad number");
    return v;
  }

  Result<bool> boolean() {
    ws();
    if (s.substr(i, 4) == "true") {
      i += 4;
      return true;
    }
    if (s.substr(i, 5) == "false") {
      i += 5;
      return false;
    }
    return err("expected true or false");
  }

  // Skips any value, iteratively.
  Status skip() {
    std::vector<char> stack;
    for (;;) {
      ws();
      if (i >= s.size()) return err("unexpected end");
      const char c = s[i];
      bool value_done = false;
      if (c == '{' || c == '[') {
        if (stack.size() >= kMaxJsonDepth) return fail(Errc::kLimit, "JSON nested too deep");
        stack.push_back(c == '{' ? '}' : ']');
        ++i;
        ws();
        if (i < s.size() && s[i] == stack.back()) {
          ++i;
          stack.pop_back();
          value_done = true;
        } else if (stack.back() == '}') {
          auto k = string();
          if (!k) return tl::unexpected(k.error());
          if (!eat(':')) return err("expected ':'");
          continue;
        } else {
          continue;
        }
      } else if (c == '"') {
        auto r = string();
        if (!r) return tl::unexpected(r.error());
        value_done = true;
      } else if (c == 't' || c == 'f') {
        auto r = boolean();
        if (!r) return tl::unexpected(r.error());
        value_done = true;
      } else if (c == 'n') {
        if (s.substr(i, 4) != "null") return err("bad literal");
        i += 4;
        value_done = true;
      } else {
        auto r = number();
        if (!r) return tl::unexpected(r.error());
        value_done = true;
      }
      // After a value: close containers or move to the next element.
      while (value_done) {
        if (stack.empty()) return {};
        ws();
        if (eat(',')) {
          if (stack.back() == '}') {
            auto k = string();
            if (!k) return tl::unexpected(k.error());
            if (!eat(':')) return err("expected ':'");
          }
          break;
        }
        if (eat(stack.back())) {
          stack.pop_back();
          continue;
        }
        return err("expected ',' or close");
      }
    }
  }
};

Result<uint32_t> to_count(double v, const char* name, Reader& r) {
  if (v < 0 || v != std::floor(v) || v > 4294967295.0)
    return r.err(std::string(name) + " must be a non-negative integer");
  return static_cast<uint32_t>(v);
}

}  // namespace

Result<Event> parse_event_json(std::string_view line) {
  Reader r{line};
  Event e;
  if (!r.eat('{')) return r.err("expected '{'");
  if (!r.eat('}')) {
    for (;;) {
      auto key = r.string();
      if (!key) return tl::unexpected(key.error());
      if (!r.eat(':')) return r.err("expected ':'");
      r.ws();
      const std::string& k = *key;
      auto want_string = [&](std::string& out) -> Status {
        r.ws();
        if (r.i < line.size() && line[r.i] == 'n' && line.substr(r.i, 4) == "null") {
          r.i += 4;
          return {};
        }
        auto v = r.string();
        if (!v) return fail(Errc::kParse, "\"" + k + "\": " + v.error().message);
        out = std::move(*v);
        return {};
      };
      Status st;
      if (k == "time") {
        auto v = r.number();
        if (!v) return tl::unexpected(v.error());
        if (*v < 0 || *v != std::floor(*v) || *v > 1e12)
          return r.err("\"time\" must be non-negative unix seconds");
        e.time = static_cast<int64_t>(*v);
      } else if (k == "recipients") {
        auto v = r.number();
        if (!v) return tl::unexpected(v.error());
        auto n = to_count(*v, "\"recipients\"", r);
        if (!n) return tl::unexpected(n.error());
        e.recipients = *n;
      } else if (k == "type") {
        std::string t;
        st = want_string(t);
        if (st) {
          auto ty = parse_event_type(t);
          if (!ty) return r.err("unknown event type \"" + t + "\"");
          e.type = *ty;
        }
      } else if (k == "ip") {
        std::string t;
        st = want_string(t);
        if (st && !t.empty()) {
          auto ip = IpAddress::parse(t);
          if (!ip) return r.err("bad \"ip\": " + ip.error().message);
          e.ip = *ip;
        }
      } else if (k == "helo") {
        st = want_string(e.helo);
      } else if (k == "mail_from") {
        st = want_string(e.mail_from);
      } else if (k == "from") {
        st = want_string(e.from);
      } else if (k == "pra") {
        st = want_string(e.pra);
      } else if (k == "subject") {
        st = want_string(e.subject);
      } else if (k == "origin") {
        std::string m;
        st = want_string(m);
        if (st && !m.empty()) {
          if (!e.origin) e.origin.emplace();
          e.origin->member = std::move(m);
        }
      } else if (k == "origin_seq" || k == "origin_time") {
        auto v = r.number();
        if (!v) return tl::unexpected(v.error());
        if (*v < 0 || *v != std::floor(*v) || *v > 9e15)
          return r.err("\"" + k + "\" must be a non-negative integer");
        if (!e.origin) e.origin.emplace();
        if (k == "origin_seq")
          e.origin->seq = static_cast<uint64_t>(*v);
        else
          e.origin->time = static_cast<int64_t>(*v);
      } else if (k == "weight") {
        auto v = r.number();
        if (!v) return tl::unexpected(v.error());
        if (!(*v >= 0 && *v <= 1000)) return r.err("\"weight\" must be 0-1000");
        e.weight = *v;
      } else if (k == "feedback_id") {
        st = want_string(e.feedback_id);
      } else if (k == "list_id") {
        st = want_string(e.list_id);
      } else if (k == "spf" || k == "dkim" || k == "dmarc" || k == "senderid" || k == "sender_id") {
        std::string t;
        st = want_string(t);
        const AuthResult a = parse_auth_result(t);
        if (k == "spf")
          e.spf = a;
        else if (k == "dkim")
          e.dkim = a;
        else if (k == "dmarc")
          e.dmarc = a;
        else
          e.senderid = a;
      } else if (k == "verdict") {
        std::string t;
        st = want_string(t);
        e.verdict = t == "spam" ? Verdict::kSpam : (t == "ham" ? Verdict::kHam : Verdict::kNone);
      } else if (k == "list_unsubscribe_one_click" || k == "fcrdns") {
        auto b = r.boolean();
        if (!b) return fail(Errc::kParse, "\"" + k + "\": " + b.error().message);
        (k == "fcrdns" ? e.fcrdns : e.list_unsubscribe_one_click) = *b;
      } else if (k == "channel") {
        st = want_string(e.channel);
        if (st && e.channel != "sms" && e.channel != "im" && e.channel != "voice" && !e.channel.empty())
          return r.err("\"channel\" must be sms, im or voice");
      } else if (k == "sender") {
        st = want_string(e.sender);
      } else if (k == "trunk") {
        st = want_string(e.trunk);
      } else if (k == "answered") {
        auto b = r.boolean();
        if (!b) return fail(Errc::kParse, "\"answered\": " + b.error().message);
        e.answered = *b;
      } else if (k == "duration") {
        auto v = r.number();
        if (!v) return tl::unexpected(v.error());
        if (*v < 0 || *v != std::floor(*v) || *v > 1e9)
          return r.err("\"duration\" must be non-negative seconds");
        e.duration = static_cast<int64_t>(*v);
      } else if (k == "reasons") {
        if (!r.eat('[')) return r.err("\"reasons\" must be an array of strings");
        if (!r.eat(']')) {
          for (;;) {
            auto v = r.string();
            if (!v) return tl::unexpected(v.error());
            if (e.reasons.size() < kMaxEventReasons) e.reasons.push_back(v->substr(0, 200));
            if (r.eat(',')) continue;
            if (r.eat(']')) break;
            return r.err("expected ',' or ']'");
          }
        }
      } else if (k == "dkim_domains") {
        if (!r.eat('[')) return r.err("\"dkim_domains\" must be an array of strings");
        if (!r.eat(']')) {
          for (;;) {
            auto v = r.string();
            if (!v) return tl::unexpected(v.error());
            if (e.dkim_domains.size() < 64) e.dkim_domains.push_back(std::move(*v));
            if (r.eat(',')) continue;
            if (r.eat(']')) break;
            return r.err("expected ',' or ']'");
          }
        }
      } else {
        st = r.skip();
      }
      if (!st) return tl::unexpected(st.error());
      if (r.eat(',')) continue;
      if (r.eat('}')) break;
      return r.err("expected ',' or '}'");
    }
  }
  r.ws();
  if (r.i != line.size()) return r.err("trailing bytes after the object");
  return e;
}

std::string event_to_json(const Event& e) {
  std::string o = "{\"time\": " + std::to_string(e.time) + ", \"type\": ";
  append_json_string(o, event_type_name(e.type));
  if (e.ip) {
    o += ", \"ip\": ";
    append_json_string(o, e.ip->to_string());
  }
  if (e.type == EventType::kBot) return o + "}";  // only the time and the address count
  if (e.type == EventType::kShared) {
    o += ", \"subject\": ";
    append_json_string(o, e.subject);
    if (e.origin) {
      o += ", \"origin\": ";
      append_json_string(o, e.origin->member);
      o += ", \"origin_seq\": " + std::to_string(e.origin->seq) +
           ", \"origin_time\": " + std::to_string(e.origin->time);
    }
    char w[32];
    std::snprintf(w, sizeof w, "%.6g", e.weight);
    return o + ", \"weight\": " + w + "}";
  }
  auto str = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    o += ", \"";
    o += k;
    o += "\": ";
    append_json_string(o, v);
  };
  if (!e.channel.empty() || e.type == EventType::kCall || e.type == EventType::kCallEnd) {
    // Other channels: the sender, the call's trunk and end, the verdict's reasons.
    str("channel", e.channel);
    str("sender", e.sender);
    str("trunk", e.trunk);
    if (e.verdict != Verdict::kNone)
      o += std::string(", \"verdict\": \"") + (e.verdict == Verdict::kSpam ? "spam" : "ham") + "\"";
    if (e.type == EventType::kCallEnd) o += std::string(", \"answered\": ") + (e.answered ? "true" : "false");
    if (e.duration >= 0) o += ", \"duration\": " + std::to_string(e.duration);
    if (!e.reasons.empty()) {
      o += ", \"reasons\": [";
      for (size_t i = 0; i < e.reasons.size(); ++i) {
        if (i) o += ", ";
        append_json_string(o, e.reasons[i]);
      }
      o += "]";
    }
    return o + ", \"recipients\": " + std::to_string(e.recipients) + "}";
  }
  str("helo", e.helo);
  str("mail_from", e.mail_from);
  str("from", e.from);
  str("pra", e.pra);
  o += ", \"dkim_domains\": [";
  for (size_t i = 0; i < e.dkim_domains.size(); ++i) {
    if (i) o += ", ";
    append_json_string(o, e.dkim_domains[i]);
  }
  o += "]";
  o += ", \"spf\": \"" + std::string(auth_result_name(e.spf)) + "\"";
  o += ", \"dkim\": \"" + std::string(auth_result_name(e.dkim)) + "\"";
  o += ", \"dmarc\": \"" + std::string(auth_result_name(e.dmarc)) + "\"";
  if (e.senderid != AuthResult::kNone)
    o += ", \"senderid\": \"" + std::string(auth_result_name(e.senderid)) + "\"";
  if (e.verdict != Verdict::kNone)
    o += std::string(", \"verdict\": \"") + (e.verdict == Verdict::kSpam ? "spam" : "ham") + "\"";
  str("feedback_id", e.feedback_id);
  str("list_id", e.list_id);
  o += std::string(", \"list_unsubscribe_one_click\": ") + (e.list_unsubscribe_one_click ? "true" : "false");
  o += std::string(", \"fcrdns\": ") + (e.fcrdns ? "true" : "false");
  o += ", \"recipients\": " + std::to_string(e.recipients) + "}";
  return o;
}

}  // namespace rampart::reputation

// File: src/channels/messages.cc
// SMS / IM verdicts (see messages.h).
#include "channels/messages.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <ctime>
#include <deque>
#include <list>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/strings.h"

namespace rampart::channels::messages {

using Json = nlohmann::json;

namespace {

constexpr size_t kMaxRemembered = 256;  // recipients per sender and per text
constexpr size_t kMaxTextSenders = 16;
constexpr size_t kMaxExtracted = 64;
constexpr size_t kMaxReported = 100000;

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hash_str(std::string_view s) {  // FNV-1a, then mixed
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return mix(h);
}

Status string_field(const Json& j, const char* key, std::string& out, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return fail(Errc::kParse, std::string(key) + " is required");
    return {};
  }
  if (!it->is_string()) return fail(Errc::kParse, std::string(key) + " must be a string");
  out = it->get<std::string>();
  return {};
}

Result<Channel> channel_field(const Json& j) {
  std::string c;
  if (auto st = string_field(j, "channel", c, true); !st) return tl::unexpected(st.error());
  if (c == "sms") return Channel::kSms;
  if (c == "im") return Channel::kIm;
  return fail(Errc::kParse, "channel must be \"sms\" or \"im\"");
}

Status time_field(const Json& j, int64_t& out) {
  auto it = j.find("time");
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    return fail(Errc::kParse, "time must be unix seconds");
  out = it->get<int64_t>();
  return {};
}

Status only_fields(const Json& j, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (std::find(known.begin(), known.end(), key) == known.end())
      return fail(Errc::kParse, "unknown field " + key.substr(0, 64));
  }
  return {};
}

}  // namespace

std::string_view channel_name(Channel c) { return c == Channel::kSms ? "sms" : "im"; }

Result<Message> parse_message(std::string_view text) {
  if (text.size() > kMaxMessageJson) return fail(Errc::kLimit, "message over 64 KiB");
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::kParse, "not a JSON object");
  if (auto st = only_fields(j, {"channel", "sender", "recipients", "text", "time"}); !st)
    return tl::unexpected(st.error());
  Message m;
  auto ch = channel_field(j);
  if (!ch) return tl::unexpected(ch.error());
  m.channel = *ch;
  if (auto st = string_field(j, "sender", m.sender, true); !st) return tl::unexpected(st.error());
  if (m.sender.empty() || m.sender.size() > 256) return fail(Errc::kParse, "sender must be 1-256 bytes");
  if (auto st = string_field(j, "text", m.text, true); !st) return tl::unexpected(st.error());
  if (m.text.size() > kMaxTextBytes) return fail(Errc::kLimit, "text over 4 KiB");
  if (auto st = time_field(j, m.time); !st) return tl::unexpected(st.error());
  auto r = j.find("recipients");
  if (r == j.end() || !r->is_array() || r->empty())
    return fail(Errc::kParse, "recipients must be a non-empty array");
  if (r->size() > kMaxRecipients) return fail(Errc::kLimit, "more than 100 recipients");
  for (const auto& x : *r) {
    if (!x.is_string() || x.get_ref<const std::string&>().empty() ||
        x.get_ref<const std::string&>().size() > 256)
      return fail(Errc::kParse, "each recipient must be a string of 1-256 bytes");
    m.recipients.push_back(x.get<std::string>());
  }
  return m;
}

Result<Complaint> parse_complaint(std::string_view text) {
  if (text.size() > kMaxMessageJson) return fail(Errc::kLimit, "complaint over 64 KiB");
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::kParse, "not a JSON object");
  if (auto st = only_fields(j, {"channel", "sender", "text", "time"}); !st) return tl::unexpected(st.error());
  Complaint c;
  auto ch = channel_field(j);
  if (!ch) return tl::unexpected(ch.error());
  c.channel = *ch;
  if (auto st = string_field(j, "sender", c.sender, true); !st) return tl::unexpected(st.error());
  if (c.sender.empty() || c.sender.size() > 256) return fail(Errc::kParse, "sender must be 1-256 bytes");
  if (auto st = string_field(j, "text", c.text, false); !st) return tl::unexpected(st.error());
  if (c.text.size() > kMaxTextBytes) return fail(Errc::kLimit, "text over 4 KiB");
  if (auto st = time_field(j, c.time); !st) return tl::unexpected(st.error());
  return c;
}

std::string Verdict::to_json() const {
  Json syms = Json::array();
  for (const auto& s : symbols) syms.push_back({{"name", s.name}, {"score", s.score}, {"reason", s.reason}});
  Json j = {{"action", action}, {"score", score}, {"symbols", std::move(syms)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = true;  // no leading space
  for (unsigned char c : text) {
    char o = 0;
    if (c >= 'A' && c <= 'Z')
      o = static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || c >= 0x80)
      o = static_cast<char>(c);
    else if (c >= '0' && c <= '9')
      o = '0';
    if (o) {
      out.push_back(o);
      space = false;
    } else if (!space) {
      out.push_back(' ');
      space = true;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {

// Byte v spread over 8 bytes: byte j of kSpread[v] is bit j of v.
constexpr std::array<uint64_t, 256> kSpread = [] {
  std::array<uint64_t, 256> t{};
  for (int v = 0; v < 256; ++v)
    for (int j = 0; j < 8; ++j)
      if (v >> j & 1) t[v] |= uint64_t{1} << (8 * j);
  return t;
}();

}  // namespace

uint64_t simhash(std::string_view n) {
  if (n.empty()) return 0;
  // Ones per bit position; a bit of the result is set where more than half
  // of the grams' hashes have it. The counting is SIMD within a register:
  // acc[p] holds 8 byte-wide counters, those of bits 8p..8p+7, each gram
  // adds a table word per byte of its hash (8 additions instead of 64),
  // and the byte counters are emptied into `ones` before they can overflow
  // (every 255 grams).
  uint32_t ones[64] = {};
  uint64_t acc[8] = {};
  uint32_t grams = 0, pending = 0;
  auto flush = [&] {
    for (int p = 0; p < 8; ++p) {
      for (int j = 0; j < 8; ++j) ones[8 * p + j] += static_cast<uint32_t>((acc[p] >> (8 * j)) & 0xff);
      acc[p] = 0;
    }
    pending = 0;
  };
  auto add = [&](uint64_t h) {
    for (int p = 0; p < 8; ++p) acc[p] += kSpread[(h >> (8 * p)) & 0xff];
    ++grams;
    if (++pending == 255) flush();
  };
  if (n.size() < 4) {
    add(hash_str(n));
  } else {
    uint32_t g = 0;
    for (size_t i = 0; i < n.size(); ++i) {
      g = (g << 8) | static_cast<unsigned char>(n[i]);
      if (i >= 3) add(mix(g));
    }
  }
  flush();
  uint64_t out = 0;
  for (int b = 0; b < 64; ++b)
    if (2 * ones[b] > grams) out |= uint64_t{1} << b;
  return out;
}

std::vector<std::string> url_hosts(std::string_view t) {
  std::vector<std::string> out;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto host_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  };
  for (size_t i = 0; i < t.size() && out.size() < kMaxExtracted; ++i) {
    size_t start = std::string_view::npos;
    auto starts = [&](std::string_view p) {
      if (t.size() - i < p.size()) return false;
      for (size_t k = 0; k < p.size(); ++k)
        if (lower(t[i + k]) != p[k]) return false;
      return true;
    };
    if (starts("https://"))
      start = i + 8;
    else if (starts("http://"))
      start = i + 7;
    else if (starts("www.") && (i == 0 || !host_char(t[i - 1])))
      start = i;
    if (start == std::string_view::npos) continue;
    size_t e = start;
    while (e < t.size() && host_char(t[e]) && e - start < 253) ++e;
    std::string host;
    for (size_t k = start; k < e; ++k) host.push_back(lower(t[k]));
    while (!host.empty() && host.back() == '.') host.pop_back();
    if (host.find('.') != std::string::npos && std::find(out.begin(), out.end(), host) == out.end())
      out.push_back(std::move(host));
    i = e > i ? e - 1 : i;
  }
  return out;
}

std::vector<std::string> phone_numbers(std::string_view t) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < t.size() && out.size() < kMaxExtracted) {
    if (!(t[i] >= '0' && t[i] <= '9')) {
      ++i;
      continue;
    }
    std::string digits;
    size_t j = i;
    while (j < t.size() && digits.size() <= 15) {
      const char c = t[j];
      if (c >= '0' && c <= '9')
        digits.push_back(c);
      else if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') || j + 1 >= t.size() ||
               !((t[j + 1] >= '0' && t[j + 1] <= '9') || t[j + 1] == ' ' || t[j + 1] == '('))
        break;
      ++j;
    }
    if (digits.size() >= 7 && digits.size() <= 15 && std::find(out.begin(), out.end(), digits) == out.end())
      out.push_back(digits);
    i = j + 1;
  }
  return out;
}

struct Checker::Impl {
  Options opt;
  struct Recipient {
    int64_t last = 0;
    bool answered = false;
  };
  struct Sender {
    std::deque<int64_t> times;  // of its messages in the window (bounded)
    std::unordered_map<uint64_t, Recipient> recipients;
    // A lower bound of the recipients' `last` and the number not answered:
    // while the bound is inside the window, every recipient is, and the
    // counts need no walk over them.
    int64_t min_last = INT64_MAX;
    uint32_t unanswered = 0;
    void recount() {
      min_last = INT64_MAX;
      unanswered = 0;
      for (const auto& [h, r] : recipients) {
        min_last = std::min(min_last, r.last);
        unanswered += !r.answered;
      }
    }
    std::deque<int64_t> complaints;
    std::list<std::string>::iterator order;
  };
  std::unordered_map<std::string, Sender> senders;
  std::list<std::string> sender_order;  // most recent first
  struct Text {
    uint64_t hash = 0;
    int64_t last = 0;
    std::unordered_map<uint64_t, int64_t> recipients;  // -> last time
    int64_t min_last = INT64_MAX;                      // a lower bound of the recipients' times
    void recount() {
      min_last = INT64_MAX;
      for (const auto& [h, when] : recipients) min_last = std::min(min_last, when);
    }
    std::vector<uint64_t> senders;
    std::list<uint64_t>::iterator order;
  };
  std::unordered_map<uint64_t, Text> texts;  // by id
  // Texts by band with their hash (compared without a look-up), indexed directly (one load, where a hash map
  // cost a bucket and a node): 4 x 2^band_bits lists, each holding the texts whose 16-bit band begins with
  // its index, the exact band compared in the list. band_bits follows max_texts up to 16 (4 x 2^16 lists, 6
  // MiB, at the default 200,000; 24 KiB at 64).
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> bands;
  int band_bits = 16;
  void size_bands() {
    band_bits = std::clamp(static_cast<int>(std::bit_width(opt.max_texts)), 8, 16);
    bands.assign(size_t{4} << band_bits, {});
  }
  std::list<uint64_t> text_order;
  uint64_t next_text = 1;
  std::unordered_map<std::string, int64_t> reported_hosts, reported_phones;

  static std::string key(Channel c, std::string_view who) {
    std::string k(channel_name(c));
    k.push_back('|');
    k.append(who);
    return k;
  }

  Sender& sender(const std::string& k) {
    auto it = senders.find(k);
    if (it != senders.end()) {
      sender_order.splice(sender_order.begin(), sender_order, it->second.order);
      return it->second;
    }
    if (senders.size() >= opt.max_senders) {
      senders.erase(sender_order.back());
      sender_order.pop_back();
    }
    sender_order.push_front(k);
    Sender& s = senders[k];
    s.order = sender_order.begin();
    return s;
  }

  uint32_t band_key(int b, uint64_t h) const {
    return (static_cast<uint32_t>(b) << band_bits) |
           static_cast<uint32_t>(((h >> (16 * b)) & 0xffff) >> (16 - band_bits));
  }
  static bool same_band(int b, uint64_t x, uint64_t y) { return (((x ^ y) >> (16 * b)) & 0xffff) == 0; }

  Text& text(uint64_t h, int64_t now) {
    // A near duplicate shares at least one 16-bit band (pigeonhole for <= 3 differing bits).
    for (int b = 0; b < 4; ++b) {
      for (const auto& [id, hash] : bands[band_key(b, h)]) {
        if (!same_band(b, hash, h) || std::popcount(hash ^ h) > opt.near_bits) continue;
        auto t = texts.find(id);
        if (t != texts.end()) {
          text_order.splice(text_order.begin(), text_order, t->second.order);
          t->second.last = now;
          return t->second;
        }
      }
    }
    if (texts.size() >= opt.max_texts) drop_text(text_order.back());
    const uint64_t id = next_text++;
    text_order.push_front(id);
    Text& t = texts[id];
    t.hash = h;
    t.last = now;
    t.order = text_order.begin();
    for (int b = 0; b < 4; ++b) bands[band_key(b, h)].emplace_back(id, h);
    return t;
  }

  void drop_text(uint64_t id) {
    auto t = texts.find(id);
    if (t == texts.end()) return;
    for (int b = 0; b < 4; ++b) {
      auto& list = bands[band_key(b, t->second.hash)];
      std::erase_if(list, [id](const auto& e) { return e.first == id; });
      if (list.empty()) std::vector<std::pair<uint64_t, uint64_t>>().swap(list);  // its memory back
    }
    text_order.erase(t->second.order);
    texts.erase(t);
  }

  template <typename Map>
  static void remember(Map& m, std::string v, int64_t now) {
    if (m.size() >= kMaxReported && !m.count(v)) {
      // Drop the oldest half's worth at once (rare: a cap for hostile input).
      int64_t oldest = now;
      for (const auto& [k, t] : m) oldest = std::min(oldest, t);
      std::erase_if(m, [oldest](const auto& kv) { return kv.second <= oldest; });
    }
    m[std::move(v)] = now;
  }
};

Checker::Checker(Options opt) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(opt);
  impl_->size_bands();
}
Checker::~Checker() = default;
size_t Checker::senders() const { return impl_->senders.size(); }
size_t Checker::texts() const { return impl_->texts.size(); }

Verdict Checker::check(const Message& m, int64_t now) {
  Impl& d = *impl_;
  const Options& o = d.opt;
  const int64_t t = m.time ? m.time : now;
  const int64_t horizon = t - o.window_s;
  Verdict v;
  auto add = [&v](const char* name, double score, std::string reason) {
    v.symbols.push_back({name, score, std::move(reason)});
    v.score += score;
  };
  const uint64_t me = hash_str(m.sender);
  // Replies: each recipient that had written to this sender now has an answer.
  for (const auto& r : m.recipients) {
    auto it = d.senders.find(Impl::key(m.channel, r));
    if (it == d.senders.end()) continue;
    auto rr = it->second.recipients.find(me);
    if (rr != it->second.recipients.end() && !rr->second.answered) {
      rr->second.answered = true;
      --it->second.unanswered;
    }
  }
  Impl::Sender& s = d.sender(Impl::key(m.channel, m.sender));
  while (!s.times.empty() && s.times.front() < horizon) s.times.pop_front();
  if (s.times.size() >= 4096) s.times.pop_front();
  s.times.push_back(t);
  for (const auto& r : m.recipients) {
    const uint64_t h = hash_str(r);
    auto it = s.recipients.find(h);
    if (it != s.recipients.end()) {
      it->second.last = t;
      s.min_last = std::min(s.min_last, t);
      continue;
    }
    if (s.recipients.size() >= kMaxRemembered && s.min_last < horizon) {  // else none is outside
      std::erase_if(s.recipients, [horizon](const auto& kv) { return kv.second.last < horizon; });
      s.recount();
    }
    if (s.recipients.size() < kMaxRemembered) {
      s.recipients[h] = {t, false};
      s.min_last = std::min(s.min_last, t);
      ++s.unanswered;
    }
  }
  size_t distinct = 0, unanswered = 0;
  if (s.recipients.size() >= std::min(o.fanout_recipients, o.unanswered_min)) {
    if (s.min_last >= horizon) {  // all inside the window
      distinct = s.recipients.size();
      unanswered = s.unanswered;
    } else {
      for (const auto& [h, r] : s.recipients) {
        if (r.last < horizon) continue;
        ++distinct;
        if (!r.answered) ++unanswered;
      }
    }
  }
  while (!s.complaints.empty() && s.complaints.front() < horizon) s.complaints.pop_front();
  const std::string win = " in " + std::to_string(o.window_s) + " s";
  if (distinct >= o.fanout_recipients)
    add("SENDER_FANOUT", 3, std::to_string(distinct) + " distinct recipients" + win);
  if (s.times.size() >= o.volume_messages)
    add("SENDER_VOLUME", 2, std::to_string(s.times.size()) + " messages" + win);
  if (distinct >= o.unanswered_min && unanswered >= o.unanswered_share * static_cast<double>(distinct))
    add("SENDER_UNANSWERED", 2,
        std::to_string(unanswered) + " of " + std::to_string(distinct) + " recipients never wrote back");
  if (!s.complaints.empty())
    add("SENDER_COMPLAINED", 4, std::to_string(s.complaints.size()) + " spam reports" + win);
  // The sender itself: a number that is not one (SMS).
  if (m.channel == Channel::kSms) {
    size_t digits = 0, other = 0;
    for (size_t i = m.sender[0] == '+' ? 1 : 0; i < m.sender.size(); ++i)
      (m.sender[i] >= '0' && m.sender[i] <= '9' ? digits : other)++;
    const bool short_code = other == 0 && m.sender[0] != '+' && digits >= 3 && digits <= 8;
    const bool e164 = other == 0 && digits >= 8 && digits <= 15;
    if (!short_code && !e164 && other == 0)
      add("SENDER_NOT_A_NUMBER", 1,
          "SMS sender " + m.sender.substr(0, 32) + " is neither E.164 nor a short code");
  }
  // The text: near duplicates to many recipients.
  // Short texts ("ok", "see you at 0") are the same everywhere: only texts of
  // 40 normalised bytes or more are fingerprinted.
  const std::string norm = normalise(std::string_view(m.text).substr(0, kMaxTextBytes));
  if (norm.size() >= 40) {
    Impl::Text& tx = d.text(simhash(norm), t);
    for (const auto& r : m.recipients) {
      if (tx.recipients.size() >= kMaxRemembered && tx.min_last < horizon) {  // else none is outside
        std::erase_if(tx.recipients, [horizon](const auto& kv) { return kv.second < horizon; });
        tx.recount();
      }
      if (tx.recipients.size() < kMaxRemembered) {
        tx.recipients[hash_str(r)] = t;
        tx.min_last = std::min(tx.min_last, t);
      }
    }
    if (std::find(tx.senders.begin(), tx.senders.end(), me) == tx.senders.end() &&
        tx.senders.size() < kMaxTextSenders)
      tx.senders.push_back(me);
    size_t reach = 0;
    if (tx.recipients.size() >= o.bulk_recipients) {
      if (tx.min_last >= horizon)
        reach = tx.recipients.size();
      else
        for (const auto& [h, last] : tx.recipients) reach += last >= horizon;
    }
    if (reach >= o.bulk_recipients) {
      // Many senders of one text each writing to a few people is also how a
      // greeting spreads: a campaign needs this sender to fan out too.
      if (tx.senders.size() > 1 && s.recipients.size() >= 5)
        add("TEXT_CAMPAIGN", 4,
            "the same text to " + std::to_string(reach) + " recipients from " +
                std::to_string(tx.senders.size()) + " senders" + win);
      else if (tx.senders.size() == 1)
        add("TEXT_BULK", 3, "the same text to " + std::to_string(reach) + " recipients" + win);
    }
  }
  // URLs and numbers that complaints named.
  for (const auto& h : url_hosts(m.text))
    if (auto it = d.reported_hosts.find(h); it != d.reported_hosts.end()) {
      add("URL_REPORTED", 5, "link to " + h + ", named in a spam report");
      break;
    }
  for (const auto& p : phone_numbers(m.text))
    if (auto it = d.reported_phones.find(p); it != d.reported_phones.end()) {
      add("PHONE_REPORTED", 4, "number " + p + ", named in a spam report");
      break;
    }
  v.action = std::string(action_for(v.score));
  return v;
}

std::string_view action_for(double score) { return score >= 8 ? "block" : score >= 4 ? "tag" : "allow"; }

void Checker::complaint(const Complaint& c, int64_t now) {
  Impl& d = *impl_;
  const int64_t t = c.time ? c.time : now;
  Impl::Sender& s = d.sender(Impl::key(c.channel, c.sender));
  if (s.complaints.size() >= 256) s.complaints.pop_front();
  s.complaints.push_back(t);
  for (auto& h : url_hosts(c.text)) Impl::remember(d.reported_hosts, std::move(h), t);
  for (auto& p : phone_numbers(c.text)) Impl::remember(d.reported_phones, std::move(p), t);
}

}  // namespace rampart::channels::messages

namespace rampart::channels::messages {

// Lines: {"sender": "sms|+1...", "times": [...], "recipients": [[hash, last,
// answered], ...], "complaints": [...]}; {"text": simhash, "last": T,
// "recipients": [[hash, last], ...], "senders": [hash, ...]}; {"host": "...",
// "time": T}; {"phone": "...", "time": T}.
std::string Checker::save_state(int64_t now) const {
  const Impl& d = *impl_;
  const int64_t horizon = now - d.opt.window_s;
  std::string out;
  auto line = [&out](const Json& j) {
    out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
    out.push_back('\n');
  };
  for (auto it = d.sender_order.rbegin(); it != d.sender_order.rend(); ++it) {
    auto s = d.senders.find(*it);
    if (s == d.senders.end()) continue;
    Json times = Json::array(), recips = Json::array(), complaints = Json::array();
    for (int64_t t : s->second.times)
      if (t >= horizon) times.push_back(t);
    for (const auto& [h, r] : s->second.recipients)
      if (r.last >= horizon) recips.push_back(Json::array({h, r.last, r.answered}));
    for (int64_t t : s->second.complaints)
      if (t >= horizon) complaints.push_back(t);
    if (times.empty() && recips.empty() && complaints.empty()) continue;
    line({{"sender", *it}, {"times", times}, {"recipients", recips}, {"complaints", complaints}});
  }
  for (auto it = d.text_order.rbegin(); it != d.text_order.rend(); ++it) {
    auto t = d.texts.find(*it);
    if (t == d.texts.end() || t->second.last < horizon) continue;
    Json recips = Json::array();
    for (const auto& [h, last] : t->second.recipients)
      if (last >= horizon) recips.push_back(Json::array({h, last}));
    line({{"text", t->second.hash},
          {"last", t->second.last},
          {"recipients", recips},
          {"senders", t->second.senders}});
  }
  for (const auto& [h, t] : d.reported_hosts) line({{"host", h}, {"time", t}});
  for (const auto& [p, t] : d.reported_phones) line({{"phone", p}, {"time", t}});
  return out;
}

std::vector<Checker::SenderClass> Checker::sender_classes(int64_t now, size_t limit) const {
  const Impl& d = *impl_;
  const Options& o = d.opt;
  const int64_t horizon = now - o.window_s;
  std::vector<SenderClass> out;
  for (const std::string& k : d.sender_order) {  // most recent first
    if (out.size() >= limit) break;
    auto it = d.senders.find(k);
    if (it == d.senders.end()) continue;
    const Impl::Sender& s = it->second;
    SenderClass c;
    for (int64_t t : s.times) c.messages += t >= horizon;
    for (int64_t t : s.complaints) c.complaints += t >= horizon;
    for (const auto& [h, r] : s.recipients)
      if (r.last >= horizon) {
        ++c.recipients;
        c.unanswered += !r.answered;
      }
    if (c.complaints)
      c.cls = "complained";
    else if (c.recipients >= o.fanout_recipients || c.messages >= o.volume_messages)
      c.cls = "bulk";
    else if (c.recipients >= o.unanswered_min &&
             c.unanswered >= o.unanswered_share * static_cast<double>(c.recipients))
      c.cls = "unanswered";
    else
      continue;
    const size_t bar = k.find('|');
    c.channel = k.compare(0, bar, "im") == 0 ? Channel::kIm : Channel::kSms;
    c.sender = k.substr(bar + 1);
    out.push_back(std::move(c));
  }
  return out;
}

size_t Checker::load_state(std::string_view text, int64_t now, size_t* skipped) {
  Impl& d = *impl_;
  const int64_t horizon = now - d.opt.window_s;
  size_t loaded = 0, bad = 0;
  auto time_of = [](const Json& v, int64_t* out) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) return false;
    *out = v.get<int64_t>();
    return true;
  };
  auto str_of = [](const Json& j, const char* key, size_t max, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > max)
      return false;
    *out = it->get<std::string>();
    return true;
  };
  auto array_of = [](const Json& j, const char* key, size_t max) -> const Json* {
    auto it = j.find(key);
    return it != j.end() && it->is_array() && it->size() <= max ? &*it : nullptr;
  };
  for (std::string_view raw : split(text, '\n')) {
    if (trim(raw).empty()) continue;
    Json j = Json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
    bool ok = j.is_object();
    std::string name;
    int64_t t = 0;
    if (ok && str_of(j, "sender", 512, &name)) {
      const Json* times = array_of(j, "times", 4096);
      const Json* recips = array_of(j, "recipients", kMaxRemembered);
      const Json* complaints = array_of(j, "complaints", 256);
      ok = times && recips && complaints;
      Impl::Sender loaded_sender;
      for (size_t i = 0; ok && i < times->size(); ++i)
        if ((ok = time_of((*times)[i], &t)) && t >= horizon) loaded_sender.times.push_back(t);
      for (size_t i = 0; ok && i < complaints->size(); ++i)
        if ((ok = time_of((*complaints)[i], &t)) && t >= horizon) loaded_sender.complaints.push_back(t);
      for (size_t i = 0; ok && i < recips->size(); ++i) {
        const Json& r = (*recips)[i];
        ok = r.is_array() && r.size() == 3 && r[0].is_number_unsigned() && time_of(r[1], &t) &&
             r[2].is_boolean();
        if (ok && t >= horizon) loaded_sender.recipients[r[0].get<uint64_t>()] = {t, r[2].get<bool>()};
      }
      if (ok) {
        Impl::Sender& s = d.sender(name);
        s.times = std::move(loaded_sender.times);
        s.recipients = std::move(loaded_sender.recipients);
        s.complaints = std::move(loaded_sender.complaints);
        s.recount();
      }
    } else if (ok && j.contains("text")) {
      const Json* recips = array_of(j, "recipients", kMaxRemembered);
      const Json* senders = array_of(j, "senders", kMaxTextSenders);
      ok =
          j["text"].is_number_unsigned() && j.contains("last") && time_of(j["last"], &t) && recips && senders;
      const int64_t last = t;
      std::unordered_map<uint64_t, int64_t> rs;
      std::vector<uint64_t> ss;
      for (size_t i = 0; ok && i < recips->size(); ++i) {
        const Json& r = (*recips)[i];
        ok = r.is_array() && r.size() == 2 && r[0].is_number_unsigned() && time_of(r[1], &t);
        if (ok && t >= horizon) rs[r[0].get<uint64_t>()] = t;
      }
      for (size_t i = 0; ok && i < senders->size(); ++i)
        if ((ok = (*senders)[i].is_number_unsigned())) ss.push_back((*senders)[i].get<uint64_t>());
      if (ok && last >= horizon) {
        Impl::Text& tx = d.text(j["text"].get<uint64_t>(), last);
        for (auto& [h, when] : rs)
          if (tx.recipients.size() < kMaxRemembered) tx.recipients[h] = std::max(tx.recipients[h], when);
        for (uint64_t h : ss)
          if (std::find(tx.senders.begin(), tx.senders.end(), h) == tx.senders.end() &&
              tx.senders.size() < kMaxTextSenders)
            tx.senders.push_back(h);
        tx.recount();
      }
    } else if (ok && str_of(j, "host", 253, &name)) {
      ok = j.contains("time") && time_of(j["time"], &t);
      if (ok) Impl::remember(d.reported_hosts, std::move(name), t);
    } else if (ok && str_of(j, "phone", 15, &name)) {
      ok = j.contains("time") && time_of(j["time"], &t);
      if (ok) Impl::remember(d.reported_phones, std::move(name), t);
    } else {
      ok = false;
    }
    ok ? ++loaded : ++bad;
  }
  if (skipped) *skipped = bad;
  return loaded;
}

}  // namespace rampart::channels::messages

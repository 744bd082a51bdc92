// File: src/classify/features.cc
// Feature extraction (features.h): hashing n-grams, words, header fields,
// URLs and structure into a deduplicated set of indices, with every loop
// bounded by FeatureOptions.
#include "classify/features.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

#include "classify/hash.h"
#include "core/strings.h"
#include "mime/message.h"

namespace rampart::classify {

std::string_view channel_name(Channel c) {
  switch (c) {
    case Channel::kEmail: return "email";
    case Channel::kSms: return "sms";
    case Channel::kIm: return "im";
  }
  return "?";
}

Result<Channel> parse_channel(std::string_view s) {
  if (s == "email") return Channel::kEmail;
  if (s == "sms") return Channel::kSms;
  if (s == "im") return Channel::kIm;
  return fail(Errc::kInvalidArgument, "unknown channel '" + std::string(s) + "' (email, sms or im)");
}

namespace {

bool parse_u32(std::string_view v, uint32_t& out) {
  if (v.empty()) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

bool parse_u64(std::string_view v, uint64_t& out) {
  if (v.empty()) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

bool parse_bool(std::string_view v, bool& out) {
  if (v == "1" || v == "true" || v == "yes") return out = true, true;
  if (v == "0" || v == "false" || v == "no") return out = false, true;
  return false;
}

// Bit width of x: 0 for 0, 1 for 1, 2 for 2-3, ... (a log2 bucket).
uint64_t bucket(uint64_t x) { return static_cast<uint64_t>(std::bit_width(x)); }

constexpr std::array<bool, 256> kTokenByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
           c == '$' || c == '_' || c == '\'';
  return t;
}();
inline bool is_token_byte(unsigned char c) { return kTokenByte[c]; }

// Per byte, packed: 1 for an ASCII capital (bits 0-20), 1 for an ASCII
// letter (bits 21-41), 1 for a digit (bits 42-62).
constexpr std::array<uint64_t, 256> kTypingCounts = [] {
  std::array<uint64_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
    t[c] = (upper ? 1u : 0u) | uint64_t{upper || lower} << 21 | uint64_t{digit} << 42;
  }
  return t;
}();
bool is_joiner(unsigned char c) { return c == '.' || c == '-' || c == '@' || c == ',' || c == '/'; }

}  // namespace

Status parse_feature_options(std::string_view spec, FeatureOptions& opt, std::string* rest) {
  for (std::string_view item : split(spec, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail(Errc::kInvalidArgument, "parameter without '=': " + std::string(item));
    const std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    bool ok = true;
    if (k == "bits")
      ok = parse_u32(v, opt.bits);
    else if (k == "seed")
      ok = parse_u64(v, opt.seed);
    else if (k == "ngram") {
      const size_t dash = v.find('-');
      if (dash == std::string_view::npos) {
        ok = parse_u32(v, opt.ngram_min);
        opt.ngram_max = opt.ngram_min;
      } else {
        ok = parse_u32(v.substr(0, dash), opt.ngram_min) && parse_u32(v.substr(dash + 1), opt.ngram_max);
      }
    } else if (k == "raw")
      ok = parse_u32(v, opt.raw_prefix);
    else if (k == "text")
      ok = parse_u32(v, opt.text_prefix);
    else if (k == "max_text")
      ok = parse_u32(v, opt.max_text);
    else if (k == "max_tokens")
      ok = parse_u32(v, opt.max_tokens);
    else if (k == "max_token_len")
      ok = parse_u32(v, opt.max_token_len);
    else if (k == "max_features")
      ok = parse_u32(v, opt.max_features);
    else if (k == "max_message")
      ok = parse_u32(v, opt.max_message);
    else if (k == "words")
      ok = parse_bool(v, opt.words);
    else if (k == "bigrams")
      ok = parse_bool(v, opt.bigrams);
    else if (k == "headers")
      ok = parse_bool(v, opt.headers);
    else if (k == "urls")
      ok = parse_bool(v, opt.urls);
    else if (k == "structure")
      ok = parse_bool(v, opt.structure);
    else if (k == "shapes")
      ok = parse_bool(v, opt.shapes);
    else if (k == "stats")
      ok = parse_bool(v, opt.stats);
    else if (rest) {
      if (!rest->empty()) rest->push_back(',');
      rest->append(item);
    } else {
      return fail(Errc::kInvalidArgument, "unknown parameter '" + std::string(k) + "'");
    }
    if (!ok) return fail(Errc::kInvalidArgument, "bad value for '" + std::string(k) + "': " + std::string(v));
  }
  return validate(opt);
}

Status validate(const FeatureOptions& o) {
  if (o.bits < 16 || o.bits > 26) return fail(Errc::kInvalidArgument, "bits must be in 16..26");
  if (o.ngram_min < 1 || o.ngram_max > 8 || o.ngram_min > o.ngram_max)
    return fail(Errc::kInvalidArgument, "ngram must be within 1..8, min <= max");
  if (o.max_features < 16 || o.max_features > (1u << 20))
    return fail(Errc::kInvalidArgument, "max_features must be in 16..1048576");
  if (o.max_token_len < 1 || o.max_token_len > 1024)
    return fail(Errc::kInvalidArgument, "max_token_len must be in 1..1024");
  const uint32_t cap = 64u << 20;
  if (o.raw_prefix > cap || o.text_prefix > cap || o.max_text > cap || o.max_message > cap ||
      o.max_tokens > cap)
    return fail(Errc::kInvalidArgument, "sizes must be at most 64 MiB");
  return {};
}

std::string to_string(const FeatureOptions& o) {
  std::string s = "bits=" + std::to_string(o.bits) + ",seed=" + std::to_string(o.seed) +
                  ",ngram=" + std::to_string(o.ngram_min) + "-" + std::to_string(o.ngram_max) +
                  ",raw=" + std::to_string(o.raw_prefix) + ",text=" + std::to_string(o.text_prefix) +
                  ",max_text=" + std::to_string(o.max_text) + ",max_tokens=" + std::to_string(o.max_tokens) +
                  ",max_token_len=" + std::to_string(o.max_token_len) +
                  ",max_features=" + std::to_string(o.max_features) +
                  ",max_message=" + std::to_string(o.max_message);
  s += std::string(",words=") + (o.words ? "1" : "0") + ",bigrams=" + (o.bigrams ? "1" : "0") +
       ",headers=" + (o.headers ? "1" : "0") + ",urls=" + (o.urls ? "1" : "0") +
       ",structure=" + (o.structure ? "1" : "0") + ",shapes=" + (o.shapes ? "1" : "0") +
       ",stats=" + (o.stats ? "1" : "0");
  return s;
}

namespace {

// Collects distinct indices in first-seen order: a bitmap with one bit per
// weight (2^bits bits: 512 KB at bits=22, in L2), tested and set without a
// branch (the index is written at the end of the list every time and the
// list grows only when the bit was clear), so duplicate-or-new, which no
// predictor can guess, costs no misprediction. After the message the words
// of the listed indices are zeroed. (Measured on the SpamAssassin corpus:
// email classify-and-learn ~9,150 -> ~10,900 msgs/s against the
// open-addressing hash set it replaced; a hash set that starts at L1 size
// and doubles was slower still, ~7,700.)
class Sink {
 public:
  Sink(std::vector<uint64_t>& seen, std::vector<uint32_t>& list, const FeatureOptions& opt)
      : seen_(seen.data()), list_(list.data()), bits_(opt.bits), seed_(opt.seed), max_(opt.max_features) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  bool full() const { return n_ >= max_; }
  uint64_t seed() const { return seed_; }

  void add_hash(uint64_t h) {
    if (n_ >= max_) return;
    add_unchecked(h);
  }
  // How many more indices fit; Batch::add() only within it.
  uint32_t room() const { return max_ > n_ ? max_ - n_ : 0; }
  // The sink's state in locals for a loop of adds that fit (room()): the
  // stores into the list can then not be the sink's own count, which stays
  // in a register; done() writes it back.
  struct Batch {
    uint64_t* seen;
    uint32_t* list;
    uint32_t n;
    uint32_t bits;
    void add(uint64_t h) {
      const uint32_t idx = fold(h, bits);
      uint64_t& word = seen[idx >> 6];
      const uint64_t bit = uint64_t{1} << (idx & 63);
      const uint64_t fresh = (word & bit) == 0 ? 1 : 0;
      word |= bit;
      list[n] = idx;  // the list has room for max_ + 1
      n += static_cast<uint32_t>(fresh);
    }
  };
  Batch batch() const { return {seen_, list_, n_, bits_}; }
  void done(const Batch& b) { n_ = b.n; }
  void add_unchecked(uint64_t h) {
    Batch b = batch();
    b.add(h);
    done(b);
  }
  void add(std::string_view s, uint64_t tag) { add_hash(hash_bytes(s, tag, seed_)); }
  void add_num(uint64_t v, uint64_t tag) { add_hash(hash_u64(v ^ tag, seed_)); }

  // Moves the indices to `out` and clears the bitmap.
  void finish(std::vector<uint32_t>& out) {
    out.assign(list_, list_ + n_);
    for (uint32_t i = 0; i < n_; ++i) seen_[list_[i] >> 6] = 0;
    n_ = 0;
  }

 private:
  uint64_t* seen_;
  uint32_t* list_;
  uint32_t n_ = 0;
  uint32_t bits_;
  uint64_t seed_;
  uint32_t max_;
};

// The n-grams n in [Lo, Hi] of the positions i < end of p (8 bytes
// readable at each), all fitting in the sink: one load a position, the
// n-gram lengths unrolled. The same indices in the same order as the
// general loop below.
template <uint32_t Lo, uint32_t Hi>
void add_ngrams_fast(const char* p, size_t end, uint64_t tag, Sink& sink) {
  const uint64_t seed = sink.seed();
  Sink::Batch b = sink.batch();
  for (size_t i = 0; i < end; ++i) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
#pragma GCC unroll 8
    for (uint32_t k = Lo; k <= Hi; ++k) {
      const uint64_t v = k == 8 ? w : (w & ((uint64_t{1} << (8 * k)) - 1));
      b.add(hash_u64(v ^ (tag + k), seed));
    }
  }
  sink.done(b);
}

// Character n-grams of `s` (bytes), n in [lo, hi] (<= 8), namespace `tag`.
void add_ngrams(std::string_view s, uint32_t lo, uint32_t hi, uint64_t tag, Sink& sink) {
  const size_t n = s.size();
  if (n < lo) return;
  const char* p = s.data();
  size_t i = 0;
  // The defaults (SMS/IM 3-5, email 4) first, while 8 bytes can be read and
  // the sink has room for every n-gram.
  if ((lo == 3 && hi == 5) || (lo == 4 && hi == 4)) {
    const size_t end = std::min<size_t>(n >= 8 ? n - 7 : 0, sink.room() / (hi - lo + 1));
    if (lo == 3)
      add_ngrams_fast<3, 5>(p, end, tag, sink);
    else
      add_ngrams_fast<4, 4>(p, end, tag, sink);
    i = end;
  }
  for (; i + lo <= n && !sink.full(); ++i) {
    uint64_t w = 0;
    const size_t avail = std::min<size_t>(8, n - i);
    std::memcpy(&w, p + i, avail);
    for (uint32_t k = lo; k <= hi && k <= avail; ++k) {
      const uint64_t v = k == 8 ? w : (w & ((uint64_t{1} << (8 * k)) - 1));
      sink.add_hash(hash_u64(v ^ (tag + k), sink.seed()));
    }
  }
}

// The shape of a token with digits: each digit as '9' ("07090201529" and
// "08712300220" share 99999999999, "150p" is 999p); for a number of 5 digits
// or more also its first two digits and length (a premium-rate or national
// prefix: "07" + 11). `tok` is lower-cased, at most max_token_len bytes.
void add_shape(char* tok, size_t len, bool all_digits, uint64_t tag, Sink& sink) {
  if (all_digits && len >= 5)
    sink.add_num((static_cast<uint64_t>(tok[0]) << 16) | (static_cast<uint64_t>(tok[1]) << 8) | len,
                 tag ^ 0x9f1c);
  for (size_t k = 0; k < len; ++k)
    if (is_digit(tok[k])) tok[k] = '9';
  sink.add(std::string_view(tok, len), tag ^ 0x5a9e);
}

// Words of `s` (ASCII lower-cased; letters, digits, 8-bit bytes, $ _ ' and
// . - @ , / between token bytes), and bigrams of consecutive words.
// `budget` counts tokens down across calls.
void add_words(std::string_view s, uint64_t tag, bool bigrams, const FeatureOptions& opt, uint32_t& budget,
               Sink& sink, std::string& buf) {
  const size_t n = s.size();
  size_t i = 0;
  uint64_t prev = 0;
  const uint64_t btag = tag ^ 0x5bd1e9955bd1e995ull;
  // A token is lower-cased into buf (at least max_token_len bytes; callers
  // resize it before their own uses).
  if (buf.size() < opt.max_token_len) buf.resize(opt.max_token_len);
  char* low = buf.data();
  while (i < n && budget > 0 && !sink.full()) {
    while (i < n && !is_token_byte(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= n) break;
    const size_t start = i;
    while (i < n) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (is_token_byte(c)) {
        ++i;
      } else if (is_joiner(c) && i + 1 < n && is_token_byte(static_cast<unsigned char>(s[i + 1]))) {
        ++i;
      } else {
        break;
      }
    }
    --budget;
    const size_t len = i - start;
    uint64_t h;
    if (len > opt.max_token_len) {
      h = hash_u64(bucket(len) ^ tag ^ 0x10ad, sink.seed());  // an enormous token: its size only
    } else {
      size_t ndigits = 0;
      for (size_t k = 0; k < len; ++k) {
        const char c = s[start + k];
        low[k] = ascii_lower(c);
        ndigits += is_digit(c) ? 1 : 0;
      }
      h = hash_bytes(std::string_view(low, len), tag, sink.seed());
      // digit runs: their shape (phone numbers, short codes, prices)
      if (len >= 3 && ndigits == len) sink.add_num(len, tag ^ 0xd161);
      if (opt.shapes && ndigits > 0) add_shape(low, len, ndigits == len, tag, sink);
    }
    sink.add_hash(h);
    if (bigrams && prev != 0) sink.add_hash(mix64(prev * kMul1 ^ h ^ btag));
    prev = h;
  }
}

// Registered-domain guess: the last two labels, three when the second-level
// label is short under a two-letter TLD (co.uk, com.au, ne.jp).
std::string_view domain_of(std::string_view host) {
  const size_t last = host.rfind('.');
  if (last == std::string_view::npos || last == 0) return host;
  size_t second = host.rfind('.', last - 1);
  if (second == std::string_view::npos) return host;
  const std::string_view sld = host.substr(second + 1, last - second - 1);
  if (host.size() - last - 1 == 2 && sld.size() <= 3 && second > 0) {
    const size_t third = host.rfind('.', second - 1);
    return third == std::string_view::npos ? host : host.substr(third + 1);
  }
  return host.substr(second + 1);
}

constexpr std::string_view kWordHeaders[] = {
    "from",
    "reply-to",
    "to",
    "cc",
    "sender",
    "return-path",
    "x-mailer",
    "user-agent",
    "content-type",
    "list-id",
    "list-unsubscribe",
    "precedence",
    "organization",
    "message-id",
    "x-priority",
    "x-msmail-priority",
    "errors-to",
    "x-originating-ip",
    "mime-version",
    "importance",
    "content-transfer-encoding",
};

// URL features: host, registered domain, IP-literal host; at most 64 URLs.
void add_url(std::string_view host, Sink& sink) {
  sink.add(host, ns_tag('u', 'h'));
  sink.add(domain_of(host), ns_tag('u', 'd'));
  if (!host.empty() && (is_digit(host.back()) || host.front() == '[')) sink.add_num(1, ns_tag('u', 'i'));
}

void email_features(std::string_view raw, const FeatureOptions& opt, Sink& sink, std::string& buf) {
  if (raw.size() > opt.max_message) raw = raw.substr(0, opt.max_message);
  // An mbox "From " envelope line is not part of the message.
  if (raw.starts_with("From ")) {
    const size_t nl = raw.find('\n');
    raw = nl == std::string_view::npos ? std::string_view{} : raw.substr(nl + 1);
  }
  if (opt.raw_prefix > 0)
    add_ngrams(raw.substr(0, opt.raw_prefix), opt.ngram_min, opt.ngram_max, ns_tag('r'), sink);

  mime::MessageLimits lim;
  lim.headers.max_fields = 300;
  lim.headers.max_header_bytes = 128 * 1024;
  lim.headers.max_defects = 32;
  lim.max_depth = 8;
  lim.max_parts = 64;
  lim.max_decoded_bytes = std::max<size_t>(opt.max_text, opt.text_prefix) + 64 * 1024;
  lim.max_urls = 64;
  lim.max_defects = 64;
  lim.extract_text = opt.max_text > 0 || opt.text_prefix > 0 || opt.urls;
  const mime::Message m = mime::Message::parse(raw, lim);
  const mime::HeaderSection& hs = m.headers();
  uint32_t budget = opt.max_tokens;

  if (opt.headers) {
    size_t k = 0;
    size_t received = 0;
    for (const mime::HeaderField& f : hs.fields()) {
      if (++k > 100) break;
      const std::string_view name = f.name.substr(0, 64);
      buf.resize(name.size());
      ascii_lower_copy(name.data(), name.size(), buf.data());
      if (buf == "received") ++received;
      sink.add(buf, ns_tag('h', 'n'));
      for (std::string_view w : kWordHeaders) {
        if (buf != w) continue;
        const uint64_t tag = hash_bytes(w, ns_tag('h', 'w'), 0);
        std::string_view v = f.value_raw.substr(0, 512);
        add_words(v, tag, false, opt, budget, sink, buf);
        break;
      }
    }
    sink.add_num(bucket(received), ns_tag('h', 'r'));
  }
  const std::string subject = m.subject();
  if (opt.words)
    add_words(std::string_view(subject).substr(0, 1024), ns_tag('s'), opt.bigrams, opt, budget, sink, buf);

  // The decoded text as a mail client shows it (mime::Message::display_text:
  // one alternative, visible HTML text, attachment names), up to max_text bytes.
  const size_t want = std::max(opt.max_text, opt.text_prefix);
  const std::string text = m.display_text(want);
  bool any_plain = false, any_html = false;
  size_t hidden = 0, total_text = 0;
  for (const mime::TextPart& t : m.text_parts()) {
    (t.html ? any_html : any_plain) = true;
    hidden += t.hidden_bytes;
    total_text += t.text.size();
  }
  if (opt.words)
    add_words(std::string_view(text).substr(0, opt.max_text), ns_tag('w'), opt.bigrams, opt, budget, sink,
              buf);
  if (opt.text_prefix > 0)
    add_ngrams(std::string_view(text).substr(0, opt.text_prefix), opt.ngram_min, opt.ngram_max, ns_tag('t'),
               sink);

  if (opt.urls) {
    size_t k = 0;
    for (const mime::Url& u : m.urls()) {
      if (++k > 64) break;
      add_url(u.host, sink);
    }
    sink.add_num(bucket(m.urls().size()), ns_tag('u', 'n'));
  }

  if (opt.structure) {
    size_t k = 0;
    for (const mime::Part& p : m.parts()) {
      if (++k > 64) break;
      sink.add(p.content_type.mime_type(), ns_tag('p', 't'));
    }
    sink.add_num(bucket(m.parts().size()), ns_tag('p', 'n'));
    k = 0;
    for (const mime::Attachment& a : m.attachments()) {
      if (++k > 16) break;
      sink.add(a.content_type, ns_tag('a', 't'));
      const size_t dot = a.filename.rfind('.');
      if (dot != std::string::npos && a.filename.size() - dot <= 8) {
        buf = to_lower(std::string_view(a.filename).substr(dot));
        sink.add(buf, ns_tag('a', 'x'));
      }
      sink.add_num(bucket(a.size), ns_tag('a', 's'));
    }
    sink.add_num(bucket(m.attachments().size()), ns_tag('a', 'n'));
    sink.add_num((any_html ? 2 : 0) | (any_plain ? 1 : 0), ns_tag('t', 'k'));
    if (hidden > 0) sink.add_num(bucket(hidden), ns_tag('t', 'h'));
    sink.add_num(bucket(total_text), ns_tag('t', 'l'));
    sink.add_num(bucket(raw.size()), ns_tag('r', 'l'));
    k = 0;
    for (const mime::Defect& d : m.defects()) {
      if (++k > 32) break;
      sink.add_num(static_cast<uint64_t>(d.kind), ns_tag('d', 'f'));
    }
    for (const mime::TextPart& t : m.text_parts()) sink.add(t.charset, ns_tag('c', 's'));
  }
}

// Whether mime::find_urls can find a URL in `s`: it needs a scheme (its
// ':'), "www." (a '.' after a 'w') or a host whose last label is a known
// top-level domain (letters after a '.'). 80% of the SMS Spam Collection
// has none of them ("ok... see u at 5"), and is not scanned.
bool may_hold_url(std::string_view s) {
  if (s.find(':') != std::string_view::npos) return true;
  for (size_t i = s.find('.'); i != std::string_view::npos; i = s.find('.', i + 1)) {
    if (i + 1 < s.size() && is_alpha(s[i + 1])) return true;
    if (i > 0 && (s[i - 1] == 'w' || s[i - 1] == 'W')) return true;
  }
  return false;
}

void text_features(std::string_view text, const FeatureOptions& opt, Sink& sink, std::string& buf) {
  const size_t cut = std::max(opt.max_text, opt.text_prefix);
  if (text.size() > cut) text = text.substr(0, cut);
  const uint32_t prefix = opt.text_prefix > 0 ? opt.text_prefix : opt.raw_prefix;
  if (prefix > 0) add_ngrams(text.substr(0, prefix), opt.ngram_min, opt.ngram_max, ns_tag('t'), sink);
  uint32_t budget = opt.max_tokens;
  if (opt.words) add_words(text.substr(0, opt.max_text), ns_tag('w'), opt.bigrams, opt, budget, sink, buf);
  if (opt.urls) {
    const std::string_view head = text.substr(0, opt.max_text);
    if (may_hold_url(head)) {
      std::vector<mime::Url> urls;
      mime::find_urls(head, urls, 16);
      for (const mime::Url& u : urls) add_url(u.host, sink);
    }
  }
  if (opt.structure) sink.add_num(bucket(text.size()), ns_tag('t', 'l'));
  if (opt.stats) {
    // How a text is typed: the share of capitals among ASCII letters in
    // tenths (11 when there are no letters) and the number of digits in
    // pairs up to 20 ("CALL 09061701461 NOW" vs "ok c u l8r").
    // The three counts in one word, 21 bits each, summed over at most 2^20
    // bytes at a time so that no count carries into the next.
    size_t upper = 0, alpha = 0, digits = 0;
    for (size_t at = 0; at < text.size(); at += size_t{1} << 20) {
      uint64_t packed = 0;
      for (const char ch : text.substr(at, size_t{1} << 20))
        packed += kTypingCounts[static_cast<unsigned char>(ch)];
      upper += packed & 0x1fffff;
      alpha += (packed >> 21) & 0x1fffff;
      digits += packed >> 42;
    }
    sink.add_num(alpha == 0 ? 11 : 10 * upper / alpha, ns_tag('s', 'u'));
    sink.add_num(std::min<size_t>(digits, 20) / 2, ns_tag('s', 'd'));
  }
}

}  // namespace

Extractor::Extractor(const FeatureOptions& opt) : opt_(opt) {
  if (!validate(opt_)) opt_ = FeatureOptions{};
  seen_.assign((size_t{1} << opt_.bits) / 64, 0);
  list_.assign(size_t{opt_.max_features} + 1, 0);
  scratch_.reserve(256);
}

void Extractor::extract(std::string_view input, Channel channel, std::vector<uint32_t>& out) {
  Sink sink(seen_, list_, opt_);
  sink.add_num(0, ns_tag('B'));  // bias
  sink.add_num(static_cast<uint64_t>(channel), ns_tag('C'));
  if (channel == Channel::kEmail) {
    email_features(input, opt_, sink, scratch_);
  } else {
    text_features(input, opt_, sink, scratch_);
  }
  sink.finish(out);
}

}  // namespace rampart::classify

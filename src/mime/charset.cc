// File: src/mime/charset.cc
// Charset conversion to UTF-8; see charset.h.
#include "mime/charset.h"

#include <iconv.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/strings.h"

namespace rampart::mime {
namespace {

constexpr uint16_t kCp1252High[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                      0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

constexpr size_t kMaxConversionErrors = 4096;

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid
// (overlong, surrogate, above U+10FFFF, truncated).
size_t utf8_seq_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

bool ascii8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return (w & 0x8080808080808080ull) == 0;
}

// Appends `s` without going past max_out, cutting on a UTF-8 boundary.
bool append_bounded(std::string& out, std::string_view s, size_t max_out) {
  if (out.size() >= max_out) return s.empty();
  const size_t room = max_out - out.size();
  if (s.size() <= room) {
    out.append(s);
    return true;
  }
  size_t n = room;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  out.append(s.substr(0, n));
  return false;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

struct Alias {
  std::string_view label;
  std::string_view canonical;
};

// Labels whose canonical name differs from the label (lower-case).
constexpr Alias kAliases[] = {
    {"utf8", "utf-8"},
    {"unicode-1-1-utf-8", "utf-8"},
    {"x-unicode20utf8", "utf-8"},
    {"ascii", "us-ascii"},
    {"ansi_x3.4-1968", "us-ascii"},
    {"iso646-us", "us-ascii"},
    {"us", "us-ascii"},
    {"646", "us-ascii"},
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},
    {"iso_8859-1", "windows-1252"},
    {"iso-ir-100", "windows-1252"},
    {"latin1", "windows-1252"},
    {"latin-1", "windows-1252"},
    {"l1", "windows-1252"},
    {"cp819", "windows-1252"},
    {"ibm819", "windows-1252"},
    {"cp1252", "windows-1252"},
    {"x-cp1252", "windows-1252"},
    {"ms-ansi", "windows-1252"},
    {"gb2312", "gb18030"},
    {"gbk", "gb18030"},
    {"x-gbk", "gb18030"},
    {"cp936", "gb18030"},
    {"euc-cn", "gb18030"},
    {"csgb2312", "gb18030"},
    {"chinese", "gb18030"},
    {"gb_2312-80", "gb18030"},
    {"big5", "big5-hkscs"},
    {"x-x-big5", "big5-hkscs"},
    {"cn-big5", "big5-hkscs"},
    {"csbig5", "big5-hkscs"},
    {"shift_jis", "cp932"},
    {"shift-jis", "cp932"},
    {"sjis", "cp932"},
    {"x-sjis", "cp932"},
    {"ms_kanji", "cp932"},
    {"windows-31j", "cp932"},
    {"csshiftjis", "cp932"},
    {"ks_c_5601-1987", "cp949"},
    {"euc-kr", "cp949"},
    {"korean", "cp949"},
    {"windows-949", "cp949"},
    {"iso-8859-8-i", "iso-8859-8"},
    {"x-mac-roman", "macintosh"},
    {"mac", "macintosh"},
    {"tis-620", "cp874"},
    {"windows-874", "cp874"},
    {"koi8r", "koi8-r"},
    {"koi", "koi8-r"},
    {"cskoi8r", "koi8-r"},
    {"koi8-ru", "koi8-u"},
    {"x-euc-jp", "euc-jp"},
    {"utf-16", "utf-16"},
    {"x-imap4-modified-utf7", "imap-mailbox-name"},
    {"x-mac-japanese", "cp932"},
    {"x-mac-korean", "cp949"},
    {"x-mac-chinesesimp", "gb18030"},
    {"x-mac-chinesetrad", "big5-hkscs"},
    {"x-euc", "euc-jp"},
    {"x-ms-cp932", "cp932"},
    {"x-ms-cp949", "cp949"},
    {"windows-936", "gb18030"},
};

// Labels that mean "no idea": read as UTF-8 when valid, else windows-1252.
constexpr std::string_view kUnknownLabels[] = {"unknown-8bit",   "x-unknown", "unknown", "default",
                                               "x-user-defined", "charset",   "8bit",    "binary"};

// Per-thread cache of iconv descriptors (to UTF-8), negative entries included.
class IconvCache {
 public:
  ~IconvCache() {
    for (auto& e : entries_)
      if (e.used && e.cd != kBad) iconv_close(e.cd);
  }
  // Returns kBad when iconv cannot convert from `name`.
  iconv_t get(const std::string& name) {
    for (auto& e : entries_)
      if (e.used && e.name == name) return e.cd;
    Entry& e = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    if (e.used && e.cd != kBad) iconv_close(e.cd);
    e.used = true;
    e.name = name;
    e.cd = iconv_open("UTF-8", name.c_str());
    return e.cd;
  }
  static inline const iconv_t kBad = reinterpret_cast<iconv_t>(-1);

 private:
  struct Entry {
    bool used = false;
    std::string name;
    iconv_t cd = reinterpret_cast<iconv_t>(-1);
  };
  std::array<Entry, 8> entries_;
  size_t next_ = 0;
};

IconvCache& iconv_cache() {
  thread_local IconvCache cache;
  return cache;
}

// ASCII and, when they are valid UTF-8, bytes >= 0x80 as they are; else the
// whole text as windows-1252. Returns true when the text was valid UTF-8.
bool utf8_or_1252(std::string_view in, std::string& out, size_t max_out, bool* ok) {
  if (is_valid_utf8(in)) {
    *ok = true;
    return append_bounded(out, in, max_out);
  }
  *ok = false;
  return windows1252_to_utf8(in, out, max_out);
}

bool iconv_to_utf8(iconv_t cd, std::string_view in, std::string& out, DefectSet& defects, size_t max_out) {
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // initial shift state
  char* inp = const_cast<char*>(in.data());
  size_t inleft = in.size();
  char buf[4096];
  size_t errors = 0;
  while (inleft > 0) {
    char* op = buf;
    size_t oleft = sizeof buf;
    const size_t r = iconv(cd, &inp, &inleft, &op, &oleft);
    const int err = errno;
    if (!append_bounded(out, std::string_view(buf, static_cast<size_t>(op - buf)), max_out)) return false;
    if (r != static_cast<size_t>(-1)) break;
    if (err == E2BIG) continue;
    note(defects, DefectKind::kCharsetError);
    if (!append_bounded(out, kReplacement, max_out)) return false;
    if (err == EILSEQ && inleft > 0) {
      ++inp;
      --inleft;
      if (++errors >= kMaxConversionErrors) {
        return windows1252_to_utf8(std::string_view(inp, inleft), out, max_out);
      }
      continue;
    }
    break;  // EINVAL: incomplete sequence at the end of input (or anything else)
  }
  // Return to the initial state (stateful charsets may owe output).
  char* op = buf;
  size_t oleft = sizeof buf;
  iconv(cd, nullptr, nullptr, &op, &oleft);
  return append_bounded(out, std::string_view(buf, static_cast<size_t>(op - buf)), max_out);
}

// Closes an ICU converter.
struct UcnvClose {
  void operator()(UConverter* c) const { ucnv_close(c); }
};

// Appends UTF-16 code units as UTF-8; a high surrogate at the end of `u` is
// kept in `pending` for the next call (a pair may straddle two buffers).
bool utf16_to_utf8(const UChar* u, size_t n, uint32_t& pending, std::string& out, size_t max_out) {
  std::string chunk;
  chunk.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t c = u[i];
    if (pending != 0) {
      if (c >= 0xDC00 && c <= 0xDFFF) {
        append_utf8(chunk, 0x10000 + ((pending - 0xD800) << 10) + (c - 0xDC00));
        pending = 0;
        continue;
      }
      append_utf8(chunk, 0xFFFD);  // lone high surrogate
      pending = 0;
    }
    if (c >= 0xD800 && c <= 0xDBFF) {
      pending = c;
      continue;
    }
    append_utf8(chunk, c);  // a lone low surrogate becomes U+FFFD there
  }
  return append_bounded(out, chunk, max_out);
}

// ICU for the labels glibc iconv does not know (x-mac-cyrillic, hz-gb-2312,
// iso-ir-149, x-iscii-de, SCSU, BOCU-1, ...). Illegal, unmapped and truncated
// sequences become U+FFFD (the STOP callback hands each back to this loop);
// after kMaxConversionErrors the rest is read as windows-1252. Returns false
// when ICU has no converter for `name` (nothing is appended then).
bool icu_to_utf8(const std::string& name, std::string_view in, std::string& out, DefectSet& defects,
                 size_t max_out, bool& complete) {
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<UConverter, UcnvClose> cv(ucnv_open(name.c_str(), &err));
  if (U_FAILURE(err) || !cv) return false;
  err = U_ZERO_ERROR;
  ucnv_setToUCallBack(cv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  if (U_FAILURE(err)) return false;
  const char* src = in.data();
  const char* const end = in.data() + in.size();
  UChar buf[2048];
  uint32_t pending = 0;
  size_t errors = 0;
  complete = true;
  for (;;) {
    UChar* t = buf;
    err = U_ZERO_ERROR;
    ucnv_toUnicode(cv.get(), &t, buf + 2048, &src, end, nullptr, /*flush=*/1, &err);
    if (!utf16_to_utf8(buf, static_cast<size_t>(t - buf), pending, out, max_out)) {
      complete = false;
      return true;
    }
    if (err == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_SUCCESS(err)) break;
    // U_ILLEGAL_CHAR_FOUND, U_INVALID_CHAR_FOUND, U_TRUNCATED_CHAR_FOUND, ...:
    // the offending bytes are consumed.
    note(defects, DefectKind::kCharsetError);
    if (pending != 0) {
      pending = 0;
      if (!append_bounded(out, kReplacement, max_out)) break;
    }
    if (!append_bounded(out, kReplacement, max_out)) {
      complete = false;
      return true;
    }
    if (src >= end) break;
    if (++errors >= kMaxConversionErrors) {
      complete = windows1252_to_utf8(std::string_view(src, static_cast<size_t>(end - src)), out, max_out);
      return true;
    }
  }
  if (pending != 0 && !append_bounded(out, kReplacement, max_out)) complete = false;
  return true;
}

}  // namespace

void append_utf8(std::string& out, uint32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size() && ascii8(s.data() + i)) {
      i += 8;
      continue;
    }
    const size_t n = utf8_seq_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool utf8_repair(std::string_view in, std::string& out, size_t max_out, bool* valid_out) {
  bool dummy = true;
  bool& valid = valid_out ? *valid_out : dummy;
  valid = true;
  size_t i = 0, run = 0;  // [run, i) is valid and not yet appended
  while (i < in.size()) {
    if (i + 8 <= in.size() && ascii8(in.data() + i)) {
      i += 8;
      continue;
    }
    const size_t n = utf8_seq_len(in, i);
    if (n > 0) {
      i += n;
      continue;
    }
    valid = false;
    if (!append_bounded(out, in.substr(run, i - run), max_out)) return false;
    if (!append_bounded(out, kReplacement, max_out)) return false;
    ++i;
    run = i;
  }
  return append_bounded(out, in.substr(run), max_out);
}

bool windows1252_to_utf8(std::string_view in, std::string& out, size_t max_out) {
  size_t i = 0, run = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (!append_bounded(out, in.substr(run, i - run), max_out)) return false;
    std::string ch;
    append_utf8(ch, c < 0xA0 ? kCp1252High[c - 0x80] : c);
    if (!append_bounded(out, ch, max_out)) return false;
    ++i;
    run = i;
  }
  return append_bounded(out, in.substr(run), max_out);
}

std::string canonical_charset(std::string_view label) {
  std::string_view t = trim(label);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = trim(t.substr(1, t.size() - 2));
  if (t.empty()) return "us-ascii";
  if (t.size() > 40) return "";
  std::string s = to_lower(t);
  for (char c : s)
    if (!is_alnum(c) && c != '.' && c != '_' && c != ':' && c != '-' && c != '+') return "";
  for (const Alias& a : kAliases)
    if (s == a.label) return std::string(a.canonical);
  for (std::string_view u : kUnknownLabels)
    if (s == u) return "";
  return s;
}

bool to_utf8(std::string_view in, std::string_view charset, std::string& out, DefectSet& defects,
             size_t max_out) {
  const std::string cs = canonical_charset(charset);
  bool ok = true;
  if (cs == "utf-8") {
    bool valid = true;
    const bool r = utf8_repair(in, out, max_out, &valid);
    if (!valid) note(defects, DefectKind::kCharsetError);
    return r;
  }
  if (cs == "us-ascii") {
    const bool r = utf8_or_1252(in, out, max_out, &ok);
    // 8-bit bytes under US-ASCII are a defect unless they are UTF-8.
    for (char c : in)
      if (static_cast<unsigned char>(c) >= 0x80 && !ok) {
        note(defects, DefectKind::kCharsetError);
        break;
      }
    return r;
  }
  if (cs == "windows-1252") return windows1252_to_utf8(in, out, max_out);
  if (!cs.empty()) {
    iconv_t cd = iconv_cache().get(cs);
    if (cd != IconvCache::kBad) return iconv_to_utf8(cd, in, out, defects, max_out);
    bool complete = true;
    if (icu_to_utf8(cs, in, out, defects, max_out, complete)) return complete;
    // "x-foo" that neither knows: try "foo" (x-cp1250, x-koi8-r, ...).
    if (cs.size() > 2 && cs[0] == 'x' && cs[1] == '-') {
      const std::string bare = cs.substr(2);
      cd = iconv_cache().get(bare);
      if (cd != IconvCache::kBad) return iconv_to_utf8(cd, in, out, defects, max_out);
      if (icu_to_utf8(bare, in, out, defects, max_out, complete)) return complete;
    }
  }
  note(defects, DefectKind::kUnknownCharset);
  return utf8_or_1252(in, out, max_out, &ok);
}

}  // namespace rampart::mime

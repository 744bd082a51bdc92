// File: src/mime/uuencode.cc
// uuencode / uuencode -m blocks in text; see uuencode.h.
#include "mime/uuencode.h"

#include <cstring>

#include "core/strings.h"

namespace rampart::mime {
namespace {

constexpr size_t kMaxName = 1024;

// One line of `text` at `pos`: [pos, eol) without the line break; `next` is
// the start of the following line.
struct Line {
  std::string_view s;
  size_t next = 0;
};

Line line_at(std::string_view text, size_t pos) {
  const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
  const size_t eol = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
  Line l;
  l.s = text.substr(pos, eol - pos);
  // Trailing spaces are data in uuencode (value 0): only CR is dropped here.
  if (!l.s.empty() && l.s.back() == '\r') l.s.remove_suffix(1);
  l.next = eol < text.size() ? eol + 1 : text.size();
  return l;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "begin[-base64] <octal mode> <name>": fills f.mode, f.name, f.base64.
bool begin_line(std::string_view s, UuFile& f) {
  s = rtrim(s);
  if (s.size() < 7 || s.compare(0, 5, "begin") != 0) return false;
  size_t i = 5;
  f.base64 = false;
  if (s.compare(5, 7, "-base64") == 0) {
    f.base64 = true;
    i = 12;
  }
  if (i >= s.size() || s[i] != ' ') return false;
  while (i < s.size() && s[i] == ' ') ++i;
  const size_t m0 = i;
  uint32_t mode = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '7' && i - m0 < 6)
    mode = mode * 8 + static_cast<uint32_t>(s[i++] - '0');
  if (i == m0 || i - m0 > 4 || i >= s.size() || s[i] != ' ') return false;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size()) return false;
  f.mode = mode;
  f.name = std::string(s.substr(i, kMaxName));
  return true;
}

unsigned uu_value(char c) { return static_cast<unsigned>(c - ' ') & 0x3F; }

// A uuencode data line: the number of bytes it carries (0 for the closing
// "`" or " " line), or -1 when it is not one.
int uu_line_bytes(std::string_view s) {
  if (s.empty()) return -1;
  for (char c : s)
    if (c < ' ' || c > '`') return -1;
  const int n = static_cast<int>(uu_value(s[0]));
  if (n > 45) return -1;
  const size_t chars = s.size() - 1;
  const size_t full = static_cast<size_t>((n + 2) / 3) * 4;
  const size_t least = static_cast<size_t>((n * 4 + 2) / 3);  // trailing zero characters may be cut
  if (chars < least || chars > full + 1) return -1;
  return n;
}

void uu_decode_line(std::string_view s, int n, UuFile& f, const UuLimits& lim) {
  f.size += static_cast<size_t>(n);
  if (!lim.keep_data) return;
  unsigned acc = 0;
  int bits = 0;
  int left = n;
  for (size_t i = 1; i < s.size() + 4 && left > 0; ++i) {
    const unsigned v = i < s.size() ? uu_value(s[i]) : 0;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (f.data.size() < lim.max_data) f.data += static_cast<char>((acc >> bits) & 0xFF);
      --left;
    }
  }
}

bool is_base64_char(char c) { return is_alnum(c) || c == '+' || c == '/' || c == '='; }

}  // namespace

std::vector<UuFile> find_uuencoded(std::string_view text, const UuLimits& lim) {
  std::vector<UuFile> out;
  size_t pos = 0;
  while (pos < text.size() && out.size() < lim.max_files) {
    Line l = line_at(text, pos);
    UuFile f;
    if (!begin_line(l.s, f)) {
      pos = l.next;
      continue;
    }
    f.begin = pos;
    size_t p = l.next;
    size_t data_end = l.next;
    bool any = false;
    if (f.base64) {
      std::string chunk;
      DefectSet d = 0;
      while (p < text.size()) {
        Line dl = line_at(text, p);
        const std::string_view t = rtrim(dl.s);
        if (t == "====") {
          f.terminated = true;
          data_end = dl.next;
          break;
        }
        bool ok = !t.empty();
        for (char c : t) ok = ok && is_base64_char(c);
        if (!ok) break;
        chunk.clear();
        base64_decode(t, chunk, d);
        f.size += chunk.size();
        if (lim.keep_data && f.data.size() < lim.max_data)
          f.data.append(chunk, 0, std::min(chunk.size(), lim.max_data - f.data.size()));
        any = true;
        p = dl.next;
        data_end = p;
      }
    } else {
      while (p < text.size()) {
        Line dl = line_at(text, p);
        if (rtrim(dl.s) == "end") {
          f.terminated = true;
          data_end = dl.next;
          break;
        }
        const int n = uu_line_bytes(dl.s);
        if (n < 0) {
          // Some encoders drop the "`" line's character entirely: an empty
          // line right before "end" is the zero-length line.
          if (dl.s.empty() && any) {
            Line nx = line_at(text, dl.next);
            if (dl.next < text.size() && rtrim(nx.s) == "end") {
              p = dl.next;
              continue;
            }
          }
          break;
        }
        if (n > 0) {
          uu_decode_line(dl.s, n, f, lim);
          any = true;
        }
        p = dl.next;
        data_end = p;
      }
    }
    if (!any && !f.terminated) {  // prose that starts with "begin 644 ..."
      pos = l.next;
      continue;
    }
    f.end = data_end;
    pos = data_end;
    out.push_back(std::move(f));
  }
  return out;
}

std::string without_uuencoded(std::string_view text, const std::vector<UuFile>& files) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const UuFile& f : files) {
    if (f.begin < at || f.end > text.size()) continue;
    out.append(text.substr(at, f.begin - at));
    at = f.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace rampart::mime

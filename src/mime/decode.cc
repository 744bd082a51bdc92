// File: src/mime/decode.cc
// base64, quoted-printable and RFC 2047 "Q" decoders; see decode.h.
#include "mime/decode.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace rampart::mime {
namespace {

// 0-63: alphabet value; 64: '='; 65: skipped silently (CR LF SP HTAB); 66: garbage.
constexpr std::array<uint8_t, 256> make_b64_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 66;
  const char* alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alpha[i])] = static_cast<uint8_t>(i);
  t[static_cast<uint8_t>('=')] = 64;
  t[static_cast<uint8_t>('\r')] = 65;
  t[static_cast<uint8_t>('\n')] = 65;
  t[static_cast<uint8_t>(' ')] = 65;
  t[static_cast<uint8_t>('\t')] = 65;
  return t;
}
constexpr std::array<uint8_t, 256> kB64 = make_b64_table();

}  // namespace

bool base64_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out) {
  if (out.size() >= max_out) return in.empty();
  const size_t room = max_out - out.size();
  size_t want = in.size() / 4 * 3 + 3;
  out.reserve(out.size() + (want < room ? want : room));
  uint32_t acc = 0;
  int n = 0;  // sextets in acc
  bool garbage = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const uint8_t v = kB64[static_cast<uint8_t>(in[i])];
    if (v < 64) {
      acc = (acc << 6) | v;
      if (++n == 4) {
        if (max_out - out.size() < 3) {
          while (out.size() < max_out && n > 1) {  // what fits
            out += static_cast<char>((acc >> 16) & 0xff);
            acc <<= 8;
            --n;
          }
          return false;
        }
        out += static_cast<char>((acc >> 16) & 0xff);
        out += static_cast<char>((acc >> 8) & 0xff);
        out += static_cast<char>(acc & 0xff);
        acc = 0;
        n = 0;
      }
    } else if (v == 64) {
      // Padding ends the quantum: 2 sextets give 1 byte, 3 give 2.
      if (n >= 2) {
        const size_t bytes = static_cast<size_t>(n - 1);
        acc <<= 6 * (4 - n);
        const char b[3] = {static_cast<char>((acc >> 16) & 0xff), static_cast<char>((acc >> 8) & 0xff),
                           static_cast<char>(acc & 0xff)};
        for (size_t k = 0; k < bytes; ++k) {
          if (out.size() >= max_out) return false;
          out += b[k];
        }
      } else if (n == 1) {
        note(defects, DefectKind::kBase64Truncated);
      }
      acc = 0;
      n = 0;
    } else if (v == 66) {
      if (!garbage) note(defects, DefectKind::kBase64Garbage);
      garbage = true;
    }
  }
  if (n == 1) {
    note(defects, DefectKind::kBase64Truncated);
  } else if (n > 1) {
    // Missing padding: decode what is there.
    note(defects, DefectKind::kBase64Truncated);
    const size_t bytes = static_cast<size_t>(n - 1);
    acc <<= 6 * (4 - n);
    const char b[3] = {static_cast<char>((acc >> 16) & 0xff), static_cast<char>((acc >> 8) & 0xff),
                       static_cast<char>(acc & 0xff)};
    for (size_t k = 0; k < bytes; ++k) {
      if (out.size() >= max_out) return false;
      out += b[k];
    }
  }
  return true;
}

size_t base64_decoded_size(std::string_view in) {
  size_t n = 0, total = 0;
  for (char c : in) {
    const uint8_t v = kB64[static_cast<uint8_t>(c)];
    if (v < 64) {
      if (++n == 4) {
        total += 3;
        n = 0;
      }
    } else if (v == 64) {
      if (n >= 2) total += n - 1;
      n = 0;
    }
  }
  if (n >= 2) total += n - 1;
  return total;
}

bool qp_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out) {
  if (out.size() >= max_out) return in.empty();
  const size_t room = max_out - out.size();
  out.reserve(out.size() + (in.size() < room ? in.size() : room));
  const size_t size = in.size();
  size_t i = 0;
  while (i < size) {
    // One line: [i, eol) content, eol at '\n' or size.
    size_t eol = i;
    while (eol < size && in[eol] != '\n') ++eol;
    size_t end = eol;
    const bool has_lf = eol < size;
    bool has_cr = false;
    if (end > i && in[end - 1] == '\r') {
      --end;
      has_cr = true;
    }
    // Trailing whitespace is transport padding (rule 3).
    size_t content_end = end;
    while (content_end > i && (in[content_end - 1] == ' ' || in[content_end - 1] == '\t')) --content_end;
    bool soft = false;
    if (content_end > i && in[content_end - 1] == '=') {
      // "=" then the line end: soft line break.
      soft = true;
      --content_end;
    }
    for (size_t k = i; k < content_end; ++k) {
      if (out.size() >= max_out) return false;
      // Copy the run up to the next '=' at once.
      const void* eq = std::memchr(in.data() + k, '=', content_end - k);
      const size_t stop = eq ? static_cast<size_t>(static_cast<const char*>(eq) - in.data()) : content_end;
      if (stop > k) {
        const size_t take = std::min(stop - k, max_out - out.size());
        out.append(in.data() + k, take);
        if (take < stop - k) return false;
        k = stop - 1;
        continue;
      }
      const char c = in[k];
      if (c == '=') {
        const int hi = k + 1 < content_end ? hex_value(in[k + 1]) : -1;
        const int lo = k + 2 < content_end ? hex_value(in[k + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          out += static_cast<char>(hi * 16 + lo);
          k += 2;
          continue;
        }
        note(defects, DefectKind::kQpInvalidEscape);
      }
      out += c;
    }
    if (!soft && has_lf) {
      if (max_out - out.size() < 2) return false;
      if (has_cr) out += '\r';
      out += '\n';
    } else if (!soft && !has_lf && end < eol) {
      // A lone trailing CR at the end of input: keep it.
      if (out.size() >= max_out) return false;
      out += '\r';
    }
    i = has_lf ? eol + 1 : size;
  }
  return true;
}

bool q_decode(std::string_view in, std::string& out, DefectSet& defects, size_t max_out) {
  for (size_t k = 0; k < in.size(); ++k) {
    if (out.size() >= max_out) return false;
    const char c = in[k];
    if (c == '_') {
      out += ' ';
    } else if (c == '=') {
      const int hi = k + 1 < in.size() ? hex_value(in[k + 1]) : -1;
      const int lo = k + 2 < in.size() ? hex_value(in[k + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        k += 2;
      } else {
        note(defects, DefectKind::kQpInvalidEscape);
        out += c;
      }
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace rampart::mime

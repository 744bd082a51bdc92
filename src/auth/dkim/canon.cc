// File: src/auth/dkim/canon.cc
// RFC 6376 3.4 canonicalization and 3.7 body hash; see canon.h.
//
// Bodies are cut into segments that are copied unchanged (views into the
// input), so a body hash is a handful of digest updates, not one per byte:
// simple canonicalization is one view plus CRLF; relaxed only breaks a
// segment where whitespace changes (a tab, a run of two or more WSP, WSP at
// the end of a line).
#include "auth/dkim/canon.h"

#include <cstring>

#include "core/strings.h"

namespace rampart::dkim {
namespace {

// RFC 6376 3.4.3 / 3.4.4 (with errata 1384: relaxed applies step a, then
// step b). A "line" ends in CRLF (RFC 5322 2.1): whitespace "at the end of a
// line" is WSP just before a CRLF. A body that does not end in CRLF has an
// unterminated last line: step a only reduces its WSP runs to one SP (there is
// no line end yet to strip them before); step b then adds the CRLF. So
// relaxed("x \t") is "x \r\n" and relaxed("\t") is " \r\n", as dkimpy computes.
struct Extent {
  size_t end;       // end of the content that is emitted before the final CRLF
  bool terminated;  // the content at `end` was followed by a CRLF (a line end)
};

Extent content_extent(Canon c, std::string_view b) {
  size_t e = b.size();
  auto crlf_at_end = [&](size_t n) { return n >= 2 && b[n - 2] == '\r' && b[n - 1] == '\n'; };
  if (e > 0 && !crlf_at_end(e)) return {e, false};
  // Step b: drop trailing empty lines; relaxed: a line of WSP only is empty
  // once step a has removed the WSP before its CRLF.
  while (crlf_at_end(e)) {
    e -= 2;
    if (c == Canon::kRelaxed)
      while (e > 0 && is_wsp(b[e - 1])) --e;
  }
  return {e, true};
}

// SWAR (8 bytes per step): 0x80 in each byte of `v` that is zero, exactly
// (no false positives, unlike the cheaper haszero test), and the same for a
// byte equal to `c`.
inline uint64_t zero_bytes(uint64_t v) {
  constexpr uint64_t k7f = 0x7F7F7F7F7F7F7F7FULL;
  return ~(((v & k7f) + k7f) | v | k7f);
}
inline uint64_t bytes_equal(uint64_t v, unsigned char c) {
  return zero_bytes(v ^ (0x0101010101010101ULL * c));
}
inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The first index in [i, e) from which relaxed canonicalization may change
// something: a TAB, or an SP followed by SP, TAB or CR. A lone SP between
// words is kept as it is, so text and base64 are skipped 8 bytes at a time.
// Only bytes before `e` are read.
inline size_t skip_plain(const char* p, size_t i, size_t e) {
  while (i + 9 <= e) {
    const uint64_t w = load8(p + i), next = load8(p + i + 1);
    const uint64_t act =
        bytes_equal(w, '\t') |
        (bytes_equal(w, ' ') & (bytes_equal(next, ' ') | bytes_equal(next, '\t') | bytes_equal(next, '\r')));
    if (act) break;
    i += 8;
  }
  return i;
}

// Feeds the canonical body to `put(std::string_view)`.
template <typename Put>
void emit_body(Canon c, std::string_view body, Put&& put) {
  const Extent x = content_extent(c, body);
  const size_t e = x.end;
  if (c == Canon::kSimple) {
    if (e > 0) put(body.substr(0, e));
    put("\r\n");  // the empty body canonicalizes to one CRLF; a missing final CRLF is added
    return;
  }
  if (e == 0) return;  // relaxed: the empty body stays empty (RFC 6376 3.4.4, errata 1376)
  const char* p = body.data();
  size_t seg = 0, i = 0;
  while (i < e) {
    i = skip_plain(p, i, e);
    if (i >= e) break;
    const char ch = p[i];
    if (ch != ' ' && ch != '\t') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < e && is_wsp(p[j])) ++j;
    const bool at_eol = j == e ? x.terminated : (p[j] == '\r' && j + 1 < body.size() && p[j + 1] == '\n');
    if (at_eol) {
      if (i > seg) put(std::string_view(p + seg, i - seg));
      seg = j;
    } else if (!(j == i + 1 && ch == ' ')) {
      if (i > seg) put(std::string_view(p + seg, i - seg));
      put(" ");
      seg = j;
    }
    i = j;
  }
  if (e > seg) put(std::string_view(p + seg, e - seg));
  put("\r\n");
}

}  // namespace

std::string_view canon_name(Canon c) { return c == Canon::kSimple ? "simple" : "relaxed"; }

Result<Canon> parse_canon(std::string_view s) {
  if (iequals(s, "simple")) return Canon::kSimple;
  if (iequals(s, "relaxed")) return Canon::kRelaxed;
  return fail(Errc::kParse, "unknown canonicalization '" + std::string(s) + "'");
}

void canonicalize_header(Canon c, std::string_view raw, std::string& out, bool crlf) {
  if (c == Canon::kSimple) {
    out.append(raw);
    if (crlf) out.append("\r\n");
    return;
  }
  size_t colon = raw.find(':');
  std::string_view name = raw.substr(0, colon == std::string_view::npos ? raw.size() : colon);
  while (!name.empty() && (is_wsp(name.back()) || name.back() == '\r' || name.back() == '\n'))
    name.remove_suffix(1);
  for (char ch : name) out.push_back(ascii_lower(ch));
  out.push_back(':');
  if (colon != std::string_view::npos) {
    std::string_view v = raw.substr(colon + 1);
    bool pending_space = false, started = false;
    for (size_t i = 0; i < v.size(); ++i) {
      const char ch = v[i];
      if (ch == '\r' && i + 1 < v.size() && v[i + 1] == '\n') {
        ++i;  // unfold: CRLF removed, the WSP after it counts as WSP
        continue;
      }
      if (ch == '\n') continue;  // tolerate a bare LF in a fold
      if (is_wsp(ch)) {
        pending_space = started;
        continue;
      }
      if (pending_space) out.push_back(' ');
      pending_space = false;
      started = true;
      out.push_back(ch);
    }
  }
  if (crlf) out.append("\r\n");
}

std::string canonical_body(Canon c, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  emit_body(c, body, [&](std::string_view s) { out.append(s); });
  return out;
}

uint64_t canonical_body_length(Canon c, std::string_view body) {
  uint64_t n = 0;
  emit_body(c, body, [&](std::string_view s) { n += s.size(); });
  return n;
}

Result<BodyHash> body_hash(Canon c, HashAlg alg, std::string_view body, std::optional<uint64_t> limit) {
  Digest d(alg);
  BodyHash out;
  uint64_t room = limit ? *limit : UINT64_MAX;
  emit_body(c, body, [&](std::string_view s) {
    out.canonical += s.size();
    if (room == 0) return;
    const size_t take = s.size() < room ? s.size() : static_cast<size_t>(room);
    d.update(s.substr(0, take));
    room -= take;
    out.hashed += take;
  });
  if (limit && *limit > out.canonical)
    return fail(Errc::kParse, "l=" + std::to_string(*limit) + " is larger than the canonical body (" +
                                  std::to_string(out.canonical) + " bytes)");
  auto dg = d.finish();
  if (!dg) return tl::unexpected(dg.error());
  out.digest = std::move(*dg);
  return out;
}

// ---------------------------------------------------------------- streaming
// The same canonical form as emit_body(), byte by byte. Line ends seen after
// the last content are counted, not written (trailing empty lines vanish;
// relaxed: a line of WSP only is empty); they are written when content
// follows. Relaxed holds a WSP run until the next byte says whether it ends
// the line (dropped) or not (one SP).
BodyHasher::BodyHasher(Canon c, HashAlg alg, std::optional<uint64_t> limit)
    : canon_(c), alg_(alg), limit_(limit), digest_(std::make_unique<Digest>(alg)) {
  out_.reserve(16 * 1024);
}

void BodyHasher::flush_out() {
  if (out_.empty()) return;
  canonical_ += out_.size();
  if (limit_ && hashed_ >= *limit_) {
    out_.clear();
    return;
  }
  size_t take = out_.size();
  if (limit_ && *limit_ - hashed_ < take) take = static_cast<size_t>(*limit_ - hashed_);
  digest_->update(std::string_view(out_).substr(0, take));
  hashed_ += take;
  out_.clear();
}

void BodyHasher::emit(std::string_view s) {
  out_.append(s);
  if (out_.size() >= 8 * 1024) flush_out();
}

// A byte that is content (not part of a CRLF, not WSP for relaxed).
void BodyHasher::content_byte(char ch) {
  for (; pending_crlf_ > 0; --pending_crlf_) emit("\r\n");
  if (pending_wsp_) emit(" ");
  pending_wsp_ = false;
  out_.push_back(ch);
  if (out_.size() >= 8 * 1024) flush_out();
  any_content_ = true;
}

void BodyHasher::update(std::string_view piece) {
  for (const char ch : piece) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (ch == '\n') {                                       // a line end
        if (canon_ == Canon::kRelaxed) pending_wsp_ = false;  // WSP at the end of a line is dropped
        ++pending_crlf_;
        continue;
      }
      content_byte('\r');  // a CR alone is an ordinary character
    }
    if (ch == '\r') {
      pending_cr_ = true;
    } else if (canon_ == Canon::kRelaxed && (ch == ' ' || ch == '\t')) {
      pending_wsp_ = true;
    } else {
      content_byte(ch);
    }
  }
}

Result<BodyHash> BodyHasher::finish() {
  if (pending_cr_) content_byte('\r');
  pending_cr_ = false;
  // An unterminated last line: relaxed keeps its WSP run as one SP (step a
  // has no line end to strip it before), then the CRLF is added (step b).
  if (canon_ == Canon::kRelaxed && pending_wsp_) {
    for (; pending_crlf_ > 0; --pending_crlf_) emit("\r\n");
    emit(" ");
    any_content_ = true;
  }
  // Simple: always one CRLF (the empty body is CRLF). Relaxed: the empty
  // body stays empty, any other gets one CRLF.
  if (canon_ == Canon::kSimple || any_content_) emit("\r\n");
  flush_out();
  if (limit_ && *limit_ > canonical_)
    return fail(Errc::kParse, "l=" + std::to_string(*limit_) + " is larger than the canonical body (" +
                                  std::to_string(canonical_) + " bytes)");
  auto dg = digest_->finish();
  if (!dg) return tl::unexpected(dg.error());
  BodyHash out;
  out.digest = std::move(*dg);
  out.hashed = hashed_;
  out.canonical = canonical_;
  return out;
}

namespace {
// Whether `p` has an LF not preceded by CR; 8 bytes per step (a message
// with CRLF line ends, the common case, is read once without a call per line).
bool has_bare_lf(const char* p, size_t n) {
  if (n == 0) return false;
  if (p[0] == '\n') return true;
  size_t i = 1;
  for (; i + 8 <= n; i += 8)
    if (bytes_equal(load8(p + i), '\n') & ~bytes_equal(load8(p + i - 1), '\r')) return true;
  for (; i < n; ++i)
    if (p[i] == '\n' && p[i - 1] != '\r') return true;
  return false;
}

}  // namespace

bool to_crlf(std::string_view m, std::string& out) {
  const char* p = m.data();
  const size_t n = m.size();
  if (!has_bare_lf(p, n)) return false;
  out.clear();
  out.reserve(n + n / 32 + 16);
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) out.push_back('\r');
    out.push_back(p[i]);
  }
  return true;
}

}  // namespace rampart::dkim

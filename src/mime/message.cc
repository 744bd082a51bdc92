// File: src/mime/message.cc
// The MIME tree and text extraction; see message.h.
#include "mime/message.h"

#include <cstring>
#include <unordered_set>

#include "core/strings.h"
#include "mime/charset.h"
#include "mime/encoded_word.h"
#include "mime/tnef.h"
#include "mime/uuencode.h"

namespace rampart::mime {
namespace {

constexpr size_t kMaxBoundary = 70;       // RFC 2046 5.1.1
constexpr size_t kMaxBoundaryUsed = 256;  // longer ones are not used at all

bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ') return false;
  for (char c : b) {
    // bcharsnospace / SP
    if (is_alnum(c)) continue;
    if (std::strchr("'()+_,-./:=? ", c) == nullptr) return false;
  }
  return true;
}

// Strips "\r\n" or "\n" ending `s` at `end` (exclusive): returns the new end.
size_t before_line_break(std::string_view s, size_t end) {
  if (end > 0 && s[end - 1] == '\n') {
    --end;
    if (end > 0 && s[end - 1] == '\r') --end;
  }
  return end;
}

// "\r\n" -> "\n", lone "\r" -> "\n", NUL removed; in place.
void normalize_text(std::string& s) {
  size_t w = 0;
  for (size_t r = 0; r < s.size(); ++r) {
    const char c = s[r];
    if (c == '\0') continue;
    if (c == '\r') {
      if (r + 1 < s.size() && s[r + 1] == '\n') continue;
      s[w++] = '\n';
      continue;
    }
    s[w++] = c;
  }
  s.resize(w);
}

// The first uuencoded file of an x-uuencode body (the body as it is when
// there is none).
bool uu_decode_body(std::string_view body, std::string& out, DefectSet& d, size_t max) {
  UuLimits lim;
  lim.max_files = 1;
  lim.keep_data = true;
  lim.max_data = max - std::min(max, out.size());
  std::vector<UuFile> f = find_uuencoded(body, lim);
  if (f.empty()) {
    if (out.size() >= max) return body.empty();
    const size_t room = max - out.size();
    out.append(body.substr(0, room));
    return body.size() <= room;
  }
  if (!f[0].terminated) note(d, DefectKind::kUuencodeUnterminated);
  out.append(f[0].data);
  return f[0].data.size() == f[0].size;
}

bool decode_transfer(std::string_view body, TransferEncoding e, std::string& out, DefectSet& d, size_t max) {
  switch (e) {
    case TransferEncoding::kBase64: return base64_decode(body, out, d, max);
    case TransferEncoding::kQuotedPrintable: return qp_decode(body, out, d, max);
    case TransferEncoding::kUuencode: return uu_decode_body(body, out, d, max);
    default: {
      if (out.size() >= max) return body.empty();
      const size_t room = max - out.size();
      out.append(body.substr(0, room));
      return body.size() <= room;
    }
  }
}

struct Task {
  std::string_view raw;
  uint32_t parent = kNoParent;
  uint32_t depth = 0;
  size_t offset = 0;
  bool in_decoded = false;
  bool digest_child = false;
};

}  // namespace

MultipartSplit split_multipart(std::string_view body, std::string_view boundary, size_t max_parts) {
  MultipartSplit r;
  const size_t n = body.size();
  const size_t blen = boundary.size();
  size_t pos = 0;
  size_t part_start = 0;
  while (pos < n) {
    const void* nl = std::memchr(body.data() + pos, '\n', n - pos);
    const size_t eol = nl ? static_cast<size_t>(static_cast<const char*>(nl) - body.data()) : n;
    // Is [pos, eol) a delimiter line?
    if (eol - pos >= 2 + blen && body[pos] == '-' && body[pos + 1] == '-' &&
        body.compare(pos + 2, blen, boundary) == 0) {
      size_t k = pos + 2 + blen;
      bool close = false;
      if (k + 1 < eol + 1 && k + 2 <= eol && body[k] == '-' && body[k + 1] == '-') {
        close = true;
        k += 2;
      }
      while (k < eol && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r')) ++k;
      if (k == eol) {
        const size_t content_end = before_line_break(body, pos);
        if (!r.found) {
          r.preamble = body.substr(0, pos == 0 ? 0 : content_end);
          r.found = true;
        } else {
          if (r.parts.size() >= max_parts) {
            r.cut = true;
            return r;
          }
          r.parts.push_back(body.substr(part_start, content_end - part_start));
        }
        const size_t next = eol < n ? eol + 1 : n;
        if (close) {
          r.closed = true;
          r.epilogue = body.substr(next);
          return r;
        }
        part_start = next;
      }
    }
    pos = eol < n ? eol + 1 : n;
  }
  if (r.found) {
    if (r.parts.size() >= max_parts) {
      r.cut = true;
    } else {
      r.parts.push_back(body.substr(part_start));
    }
  }
  return r;
}

// A file name from a message as UTF-8: as it is when valid, else in the
// part's charset.
std::string name_utf8(std::string_view name, std::string_view charset) {
  if (is_valid_utf8(name)) return std::string(name);
  std::string out;
  DefectSet d = 0;
  to_utf8(name, charset.empty() ? std::string_view("windows-1252") : charset, out, d, 4096);
  return out;
}

bool is_tnef_part(const Part& p) {
  const ContentType& ct = p.content_type;
  if (ct.type == "application" && (ct.subtype == "ms-tnef" || ct.subtype == "vnd.ms-tnef")) return true;
  return iequals(p.filename, "winmail.dat");
}

bool Part::is_attachment() const {
  if (kind != PartKind::kLeaf) return false;
  if (disposition.type == DispositionType::kAttachment) return true;
  if (!filename.empty()) return true;
  if (read_as_text) return false;
  if (content_type.type == "text")
    return !(content_type.subtype == "plain" || content_type.subtype == "html");
  return true;
}

bool Message::has_defect(DefectKind k) const {
  for (const Defect& d : defects_)
    if (d.kind == k) return true;
  return false;
}

void Message::add_defect(DefectKind k, size_t offset) {
  if (k == DefectKind::kTooDeep || k == DefectKind::kTooManyParts || k == DefectKind::kDecodedTooLarge ||
      k == DefectKind::kTooManyUrls || k == DefectKind::kTooManyFields || k == DefectKind::kHeaderTooLarge)
    truncated_ = true;
  if (defects_.size() >= max_defects_) {
    ++dropped_defects_;
    return;
  }
  defects_.push_back(Defect{k, offset});
}

void Message::add_defects(DefectSet set, size_t offset) {
  for (unsigned k = 0; k < static_cast<unsigned>(DefectKind::kDefectKindCount); ++k)
    if ((set >> k) & 1u) add_defect(static_cast<DefectKind>(k), offset);
}

std::string Message::subject() const {
  const HeaderField* f = headers().first("Subject");
  if (f == nullptr) return "";
  DefectSet d = 0;
  std::string s = decode_header(f->value_raw, d);
  return std::string(trim(s));
}

std::string Message::display_text(size_t max_out) const {
  std::string out;
  auto add = [&](std::string_view s) {
    if (out.size() >= max_out) return false;
    size_t n = std::min(s.size(), max_out - out.size());
    if (n < s.size())
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    out.append(s.substr(0, n));
    return n == s.size();
  };
  for (const TextPart& t : text_parts_) {
    if (!t.shown) continue;
    if (!add(t.text)) return out;
    if (!t.text.empty() && t.text.back() != '\n' && !add("\n")) return out;
  }
  for (const Attachment& a : attachments_)
    if (a.shown && !a.filename.empty() && !add("[attachment: " + a.filename + "]\n")) return out;
  return out;
}

std::string Message::decode_body(const Part& part, size_t max_out) const {
  std::string out;
  DefectSet d = 0;
  decode_transfer(part.body, part.encoding, out, d, max_out);
  return out;
}

Message Message::parse(std::string_view raw, const MessageLimits& limits) {
  Message m;
  m.raw_ = raw;
  m.max_defects_ = limits.max_defects;
  m.build_tree(limits);
  if (limits.extract_text) m.extract(limits);
  return m;
}

void Message::build_tree(const MessageLimits& limits) {
  std::vector<Task> stack;
  {
    Task root;
    root.raw = raw_;
    stack.push_back(root);
  }
  bool bare_lf_noted = false;
  const size_t max_parts = limits.max_parts == 0 ? 1 : limits.max_parts;
  while (!stack.empty()) {
    const Task t = stack.back();
    stack.pop_back();
    const auto idx = static_cast<uint32_t>(parts_.size());
    parts_.emplace_back();
    Part& p = parts_.back();
    p.parent = t.parent;
    p.depth = t.depth;
    p.raw = t.raw;
    p.offset = t.offset;
    p.in_decoded = t.in_decoded;
    if (t.parent != kNoParent) parts_[t.parent].children.push_back(idx);
    Part& part = parts_[idx];  // parts_ does not grow again in this iteration

    part.headers = HeaderSection::parse(t.raw, limits.headers);
    for (const Defect& d : part.headers.defects()) {
      if (d.kind == DefectKind::kBareLf) {
        if (bare_lf_noted) continue;
        bare_lf_noted = true;
      }
      // A part with only headers (or nothing) is normal inside multiparts.
      if (d.kind == DefectKind::kNoBody && t.parent != kNoParent) continue;
      add_defect(d.kind, t.in_decoded ? t.offset : t.offset + d.offset);
    }
    if (part.headers.dropped_defects() > 0) dropped_defects_ += part.headers.dropped_defects();
    part.body = part.headers.body();
    const size_t body_offset = t.in_decoded ? t.offset : t.offset + part.headers.body_offset();
    const size_t here = t.offset;

    DefectSet ds = 0;
    if (const HeaderField* f = part.headers.first("Content-Type")) {
      part.content_type = parse_content_type(f->value_raw, ds);
    } else if (t.digest_child) {
      part.content_type.type = "message";
      part.content_type.subtype = "rfc822";
    }
    if (const HeaderField* f = part.headers.first("Content-Transfer-Encoding"))
      part.encoding = parse_transfer_encoding(f->value_raw, ds);
    if (const HeaderField* f = part.headers.first("Content-Disposition"))
      part.disposition = parse_content_disposition(f->value_raw, ds);
    part.filename = std::string(part.disposition.filename());
    if (part.filename.empty()) part.filename = std::string(part.content_type.param("name"));
    if (part.filename.empty() && part.encoding == TransferEncoding::kUuencode) {
      UuLimits one;
      one.max_files = 1;
      std::vector<UuFile> f = find_uuencoded(part.body, one);
      if (!f.empty()) part.filename = name_utf8(f[0].name, part.content_type.param("charset"));
    }
    add_defects(ds, here);

    const ContentType& ct = part.content_type;
    const bool is_message = ct.type == "message" && (ct.subtype == "rfc822" || ct.subtype == "global");
    if (!ct.is_multipart() && !is_message) continue;
    if (t.depth >= limits.max_depth) {
      add_defect(DefectKind::kTooDeep, here);
      part.read_as_text = ct.is_multipart();
      continue;
    }
    const bool encoded =
        part.encoding == TransferEncoding::kBase64 || part.encoding == TransferEncoding::kQuotedPrintable;

    if (ct.is_multipart()) {
      if (encoded) add_defect(DefectKind::kMultipartEncoded, here);
      const std::string_view boundary = ct.param("boundary");
      if (boundary.empty()) {
        add_defect(DefectKind::kMissingBoundary, here);
        part.read_as_text = true;
        continue;
      }
      if (!valid_boundary(boundary)) add_defect(DefectKind::kInvalidBoundary, here);
      if (boundary.size() > kMaxBoundaryUsed) {
        part.read_as_text = true;
        continue;
      }
      const size_t budget = max_parts - std::min(max_parts, parts_.size() + stack.size());
      MultipartSplit sp = split_multipart(part.body, boundary, budget);
      if (!sp.found) {
        add_defect(DefectKind::kNoBoundaryFound, body_offset);
        part.read_as_text = true;
        continue;
      }
      part.kind = PartKind::kMultipart;
      part.preamble = sp.preamble;
      part.epilogue = sp.epilogue;
      if (sp.cut) add_defect(DefectKind::kTooManyParts, here);
      if (!sp.closed && !sp.cut) add_defect(DefectKind::kMissingCloseDelimiter, here);
      const bool digest = ct.subtype == "digest";
      for (size_t k = sp.parts.size(); k-- > 0;) {
        Task c;
        c.raw = sp.parts[k];
        c.parent = idx;
        c.depth = t.depth + 1;
        c.in_decoded = t.in_decoded;
        c.offset =
            t.in_decoded ? t.offset : t.offset + static_cast<size_t>(sp.parts[k].data() - t.raw.data());
        c.digest_child = digest;
        stack.push_back(c);
      }
      continue;
    }

    // message/rfc822: one child, the encapsulated message.
    if (parts_.size() + stack.size() >= max_parts) {
      add_defect(DefectKind::kTooManyParts, here);
      continue;
    }
    Task c;
    c.parent = idx;
    c.depth = t.depth + 1;
    if (encoded) {
      // RFC 2046 5.2.1 allows only 7bit/8bit/binary here; decode anyway.
      add_defect(DefectKind::kMultipartEncoded, here);
      const size_t room = limits.max_decoded_bytes - std::min(limits.max_decoded_bytes, decoded_bytes_);
      auto buf = std::make_unique<std::string>();
      DefectSet dd = 0;
      if (!decode_transfer(part.body, part.encoding, *buf, dd, room))
        add_defect(DefectKind::kDecodedTooLarge, here);
      add_defects(dd, here);
      decoded_bytes_ += buf->size();
      c.raw = *buf;
      c.in_decoded = true;
      c.offset = here;
      buffers_.push_back(std::move(buf));
    } else {
      c.raw = part.body;
      c.in_decoded = t.in_decoded;
      c.offset = body_offset;
    }
    part.kind = PartKind::kMessage;
    stack.push_back(c);
  }
}

void Message::extract(const MessageLimits& limits) {
  std::unordered_set<std::string> seen;
  bool url_limit = false;
  auto push_url = [&](Url&& u) {
    if (url_limit) return;
    if (seen.count(u.url) > 0) return;
    if (urls_.size() >= limits.max_urls) {
      url_limit = true;
      add_defect(DefectKind::kTooManyUrls, 0);
      return;
    }
    seen.insert(u.url);
    if (u.invalid_idn) add_defect(DefectKind::kInvalidIdn, parts_[u.part].offset);
    urls_.push_back(std::move(u));
  };
  bool budget_hit = false;
  std::string decoded;
  for (size_t idx = 0; idx < parts_.size(); ++idx) {
    const Part& p = parts_[idx];
    if (p.kind != PartKind::kLeaf) continue;
    const size_t here = p.offset;
    if (p.is_attachment()) {
      Attachment a;
      a.part = static_cast<uint32_t>(idx);
      a.filename = p.filename;
      a.content_type = p.content_type.mime_type();
      a.inline_disposition = p.disposition.type == DispositionType::kInline;
      if (p.encoding == TransferEncoding::kBase64) {
        a.size = base64_decoded_size(p.body);
      } else if (p.encoding == TransferEncoding::kQuotedPrintable) {
        decoded.clear();
        DefectSet d = 0;
        qp_decode(p.body, decoded, d);
        a.size = decoded.size();
      } else if (p.encoding == TransferEncoding::kUuencode) {
        UuLimits one;
        one.max_files = 1;
        std::vector<UuFile> f = find_uuencoded(p.body, one);
        a.size = f.empty() ? p.body.size() : f[0].size;
        if (!f.empty() && !f[0].terminated) add_defect(DefectKind::kUuencodeUnterminated, here);
      } else {
        a.size = p.body.size();
      }
      attachments_.push_back(std::move(a));
      if (is_tnef_part(p)) list_tnef(p, static_cast<uint32_t>(idx), limits);
      continue;
    }
    const bool html = p.content_type.type == "text" && p.content_type.subtype == "html";
    const size_t room = limits.max_decoded_bytes - std::min(limits.max_decoded_bytes, decoded_bytes_);
    if (room == 0) {
      if (!budget_hit) add_defect(DefectKind::kDecodedTooLarge, here);
      budget_hit = true;
      continue;
    }
    DefectSet ds = 0;
    decoded.clear();
    bool complete = decode_transfer(p.body, p.encoding, decoded, ds, room);
    TextPart tp;
    tp.part = static_cast<uint32_t>(idx);
    tp.html = html;
    tp.alternative = p.parent != kNoParent && parts_[p.parent].content_type.subtype == "alternative" &&
                     parts_[p.parent].content_type.type == "multipart";
    std::string_view charset = p.read_as_text ? std::string_view() : p.content_type.param("charset");
    std::string sniffed;
    if (charset.empty() && html) {
      sniffed = sniff_html_charset(decoded);
      charset = sniffed;
    }
    tp.charset = canonical_charset(charset);
    if (tp.charset.empty()) tp.charset = std::string(charset.substr(0, 64));
    // uuencoded files in plain text: listed as attachments, cut out of the text.
    std::vector<UuFile> uu;
    if (!html && decoded.find("begin") != std::string::npos) {
      UuLimits ul;
      ul.max_files = 64;
      uu = find_uuencoded(decoded, ul);
      if (!uu.empty()) decoded = without_uuencoded(decoded, uu);
    }
    std::string utf8;
    if (!to_utf8(decoded, charset, utf8, ds, room)) complete = false;
    normalize_text(utf8);
    if (html) {
      HtmlLimits hl;
      hl.max_text = room;
      hl.max_links = limits.max_urls;
      HtmlText h = html_to_text(utf8, hl);
      tp.text = std::move(h.text);
      tp.hidden_bytes = h.hidden_bytes;
      if (h.truncated && tp.text.size() >= room) complete = false;
      for (const HtmlLink& l : h.links) {
        Url u;
        if (!normalize_url(l.url, u)) continue;
        u.part = tp.part;
        switch (l.kind) {
          case HtmlLinkKind::kHref: u.source = UrlSource::kHtmlHref; break;
          case HtmlLinkKind::kSrc: u.source = UrlSource::kHtmlSrc; break;
          case HtmlLinkKind::kAction: u.source = UrlSource::kHtmlAction; break;
          case HtmlLinkKind::kBackground: u.source = UrlSource::kHtmlBackground; break;
        }
        push_url(std::move(u));
      }
    } else {
      tp.text = std::move(utf8);
    }
    if (!url_limit) {
      find_urls(tp.text, [&](Url&& u) {
        u.part = tp.part;
        push_url(std::move(u));
        return !url_limit;
      });
    }
    add_defects(ds, here);
    if (!complete) {
      add_defect(DefectKind::kDecodedTooLarge, here);
      budget_hit = true;
    }
    decoded_bytes_ += tp.text.size();
    text_parts_.push_back(std::move(tp));
    for (UuFile& f : uu) {
      Attachment a;
      a.part = static_cast<uint32_t>(idx);
      a.source = AttachmentSource::kUuencode;
      a.filename = name_utf8(f.name, charset);
      a.content_type = std::string(guess_mime_type(a.filename));
      a.size = f.size;
      if (!f.terminated) add_defect(DefectKind::kUuencodeUnterminated, here);
      attachments_.push_back(std::move(a));
    }
  }
  mark_shown();
}

void Message::list_tnef(const Part& p, uint32_t idx, const MessageLimits& limits) {
  std::string bytes;
  DefectSet d = 0;
  decode_transfer(p.body, p.encoding, bytes, d, limits.max_decoded_bytes);
  auto t = parse_tnef(bytes);
  if (!t || !t->complete) add_defect(DefectKind::kTnefMalformed, p.offset);
  if (!t) return;
  for (TnefAttachment& ta : t->attachments) {
    Attachment a;
    a.part = idx;
    a.source = AttachmentSource::kTnef;
    a.filename = std::move(ta.name);
    a.content_type = std::move(ta.mime_type);
    a.size = ta.size;
    attachments_.push_back(std::move(a));
  }
}

// RFC 2046 5.1.4: of a multipart/alternative, a client shows the last part
// it can display; here, the last child whose subtree holds a text part.
// Everything under the other children is passed over.
void Message::mark_shown() {
  std::vector<uint8_t> has_text(parts_.size(), 0);
  for (const TextPart& t : text_parts_) has_text[t.part] = 1;
  // Children come after their parent (pre-order): one backward pass up...
  for (size_t i = parts_.size(); i-- > 1;)
    if (has_text[i] && parts_[i].parent != kNoParent) has_text[parts_[i].parent] = 1;
  std::vector<uint32_t> chosen(parts_.size(), kNoParent);
  bool any = false;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    if (p.kind != PartKind::kMultipart || p.content_type.subtype != "alternative") continue;
    for (uint32_t c : p.children)
      if (has_text[c]) chosen[i] = c;
    any = any || chosen[i] != kNoParent;
  }
  if (!any) return;
  // ... and one forward pass down.
  std::vector<uint8_t> passed(parts_.size(), 0);
  for (size_t i = 1; i < parts_.size(); ++i) {
    const uint32_t up = parts_[i].parent;
    if (up == kNoParent) continue;
    passed[i] = passed[up] || (chosen[up] != kNoParent && chosen[up] != i);
  }
  for (TextPart& t : text_parts_) t.shown = !passed[t.part];
  for (Attachment& a : attachments_) a.shown = !passed[a.part];
}

}  // namespace rampart::mime

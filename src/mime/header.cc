#include "mime/header.h"

#include "core/strings.h"

namespace rampart::mime {

std::string_view defect_name(DefectKind k) {
  switch (k) {
    case DefectKind::kMissingColon: return "missing-colon";
    case DefectKind::kInvalidFieldName: return "invalid-field-name";
    case DefectKind::kMboxFromLine: return "mbox-from-line";
    case DefectKind::kLeadingContinuation: return "leading-continuation";
    case DefectKind::kObsWspBeforeColon: return "obs-wsp-before-colon";
    case DefectKind::kNul: return "nul";
    case DefectKind::kBareCr: return "bare-cr";
    case DefectKind::kEightBit: return "8bit";
    case DefectKind::kBareLf: return "bare-lf";
    case DefectKind::kNoBody: return "no-body";
    case DefectKind::kTooManyFields: return "too-many-fields";
    case DefectKind::kHeaderTooLarge: return "header-too-large";
    case DefectKind::kInvalidContentType: return "invalid-content-type";
    case DefectKind::kInvalidParameter: return "invalid-parameter";
    case DefectKind::kDuplicateParameter: return "duplicate-parameter";
    case DefectKind::kMissingBoundary: return "missing-boundary";
    case DefectKind::kInvalidBoundary: return "invalid-boundary";
    case DefectKind::kNoBoundaryFound: return "no-boundary-found";
    case DefectKind::kMissingCloseDelimiter: return "missing-close-delimiter";
    case DefectKind::kMultipartEncoded: return "multipart-encoded";
    case DefectKind::kUnknownTransferEncoding: return "unknown-transfer-encoding";
    case DefectKind::kTooDeep: return "too-deep";
    case DefectKind::kTooManyParts: return "too-many-parts";
    case DefectKind::kDecodedTooLarge: return "decoded-too-large";
    case DefectKind::kBase64Garbage: return "base64-garbage";
    case DefectKind::kBase64Truncated: return "base64-truncated";
    case DefectKind::kQpInvalidEscape: return "qp-invalid-escape";
    case DefectKind::kUnknownCharset: return "unknown-charset";
    case DefectKind::kCharsetError: return "charset-error";
    case DefectKind::kEncodedWordError: return "encoded-word-error";
    case DefectKind::kTooManyUrls: return "too-many-urls";
    case DefectKind::kInvalidIdn: return "invalid-idn";
    case DefectKind::kUuencodeUnterminated: return "uuencode-unterminated";
    case DefectKind::kTnefMalformed: return "tnef-malformed";
    case DefectKind::kDefectKindCount: break;
  }
  return "unknown";
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\n') continue;
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    out += c;
  }
  return out;
}

std::string HeaderField::value() const {
  std::string_view v = value_raw;
  if (v.find('\n') == std::string_view::npos) return std::string(trim(v));
  std::string u = unfold(v);
  return std::string(trim(u));
}

bool HeaderField::empty_value() const {
  for (char c : value_raw)
    if (!is_wsp(c) && c != '\r' && c != '\n') return false;
  return true;
}

bool HeaderField::is(std::string_view field_name) const { return iequals(name, field_name); }

std::vector<const HeaderField*> HeaderSection::all(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& f : fields_)
    if (iequals(f.name, name)) out.push_back(&f);
  return out;
}

const HeaderField* HeaderSection::first(std::string_view name) const {
  for (const auto& f : fields_)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

size_t HeaderSection::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields_)
    if (iequals(f.name, name)) ++n;
  return n;
}

bool HeaderSection::has_defect(DefectKind k) const {
  for (const auto& d : defects_)
    if (d.kind == k) return true;
  return false;
}

void HeaderSection::add_defect(DefectKind k, size_t offset, size_t max_defects) {
  if (defects_.size() >= max_defects) {
    ++dropped_defects_;
    return;
  }
  defects_.push_back(Defect{k, offset});
}

namespace {

// RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 (the colon is excluded by the caller).
bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

}  // namespace

HeaderSection HeaderSection::parse(std::string_view message, const HeaderLimits& limits) {
  HeaderSection h;
  h.message_ = message;
  const size_t size = message.size();
  const size_t bound = size < limits.max_header_bytes ? size : limits.max_header_bytes;
  const size_t max_defects = limits.max_defects;
  size_t pos = 0;

  // An mbox envelope line ("From sender date") is not part of the message.
  // "From :" (obs-optional WSP before the colon) is a field, not an mbox line.
  if (size >= 5 && message.substr(0, 5) == "From ") {
    size_t eol = message.find('\n');
    size_t k = 5;
    while (k < size && is_wsp(message[k])) ++k;
    if (eol != std::string_view::npos && eol < bound && message[k] != ':') {
      h.add_defect(DefectKind::kMboxFromLine, 0, max_defects);
      pos = eol + 1;
    }
  }

  // `have_field`: continuation lines extend fields_.back(). `dropping` is set once max_fields is reached:
  // continuation lines of a dropped field are dropped too.
  bool have_field = false;
  bool dropping = false;
  bool bare_lf_noted = false;
  bool nul = false, bare_cr = false, eight = false;
  size_t field_offset = 0;

  for (;;) {
    if (pos >= size) {
      if (size > 0) h.add_defect(DefectKind::kNoBody, size, max_defects);
      h.body_offset_ = size;
      break;
    }
    const size_t line_start = pos;
    // Scan one line, noting odd bytes on the way.
    size_t i = pos;
    bool line_nul = false, line_cr = false, line_eight = false;
    while (i < bound && message[i] != '\n') {
      auto c = static_cast<unsigned char>(message[i]);
      if (c == 0) {
        line_nul = true;
      } else if (c >= 0x80) {
        line_eight = true;
      } else if (c == '\r' && (i + 1 >= size || message[i + 1] != '\n')) {
        line_cr = true;
      }
      ++i;
    }
    if (i >= bound && bound < size) {
      // The line crosses max_header_bytes: stop here.
      h.add_defect(DefectKind::kHeaderTooLarge, line_start, max_defects);
      h.truncated_ = true;
      h.body_offset_ = line_start;
      break;
    }
    const size_t eol = i;  // index of '\n' or size
    size_t content_end = eol;
    if (eol < size) {
      if (content_end > line_start && message[content_end - 1] == '\r') {
        --content_end;
      } else if (!bare_lf_noted) {
        h.add_defect(DefectKind::kBareLf, eol, max_defects);
        bare_lf_noted = true;
      }
    } else if (content_end > line_start && message[content_end - 1] == '\r') {
      // Input ends in "\r": a line end without its LF.
      --content_end;
    }
    const size_t next = eol < size ? eol + 1 : size;

    if (content_end == line_start) {  // empty line: end of the header section
      h.body_offset_ = next;
      break;
    }

    const char first = message[line_start];
    if (first == ' ' || first == '\t') {
      if (have_field) {
        HeaderField& f = h.fields_.back();
        f.raw = message.substr(f.offset, content_end - f.offset);
        const size_t vstart = static_cast<size_t>(f.value_raw.data() - message.data());
        f.value_raw = message.substr(vstart, content_end - vstart);
      } else if (!dropping) {
        h.add_defect(DefectKind::kLeadingContinuation, line_start, max_defects);
      }
    } else {
      const std::string_view line = message.substr(line_start, content_end - line_start);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        h.add_defect(DefectKind::kMissingColon, line_start, max_defects);
        h.body_offset_ = line_start;
        break;
      }
      std::string_view name = line.substr(0, colon);
      size_t name_len = name.size();
      while (name_len > 0 && is_wsp(name[name_len - 1])) --name_len;
      const bool wsp_before_colon = name_len != name.size();
      name = name.substr(0, name_len);
      if (!valid_field_name(name)) {
        h.add_defect(DefectKind::kInvalidFieldName, line_start, max_defects);
        h.body_offset_ = line_start;
        break;
      }
      if (wsp_before_colon) h.add_defect(DefectKind::kObsWspBeforeColon, line_start, max_defects);
      // A new field starts: report the odd bytes of the previous one.
      nul = bare_cr = eight = false;
      field_offset = line_start;
      if (h.fields_.size() >= limits.max_fields) {
        if (!dropping) {
          h.add_defect(DefectKind::kTooManyFields, line_start, max_defects);
          h.truncated_ = true;
        }
        dropping = true;
        have_field = false;
      } else {
        HeaderField f;
        f.name = name;
        f.raw = line;
        f.value_raw = line.substr(colon + 1);
        f.offset = line_start;
        h.fields_.push_back(f);
        have_field = true;
      }
    }
    // Odd bytes: one defect of each kind per field.
    if (line_nul && !nul) {
      nul = true;
      h.add_defect(DefectKind::kNul, field_offset, max_defects);
    }
    if (line_cr && !bare_cr) {
      bare_cr = true;
      h.add_defect(DefectKind::kBareCr, field_offset, max_defects);
    }
    if (line_eight && !eight) {
      eight = true;
      h.add_defect(DefectKind::kEightBit, field_offset, max_defects);
    }
    pos = next;
  }
  return h;
}

}  // namespace rampart::mime

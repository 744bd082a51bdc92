// File: src/mime/tnef.cc
// A bounded TNEF reader; see tnef.h for the format and its source.
#include "mime/tnef.h"

#include <cstdio>

#include "core/strings.h"
#include "mime/charset.h"

namespace rampart::mime {
namespace {

constexpr uint8_t kLevelMessage = 1;
constexpr uint8_t kLevelAttachment = 2;

// Attribute IDs (low 16 bits of the attribute ID; [MS-OXTNEF] 2.1.3.3).
constexpr uint16_t kAttMessageClass = 0x8008;
constexpr uint16_t kAttAttachData = 0x800F;
constexpr uint16_t kAttAttachTitle = 0x8010;
constexpr uint16_t kAttAttachRendData = 0x9002;
constexpr uint16_t kAttAttachment = 0x9005;
constexpr uint16_t kAttOemCodepage = 0x9007;

// Property types ([MS-OXCDATA] 2.11.1).
constexpr uint16_t kPtUnspecified = 0x0000;
constexpr uint16_t kPtNull = 0x0001;
constexpr uint16_t kPtShort = 0x0002;
constexpr uint16_t kPtLong = 0x0003;
constexpr uint16_t kPtFloat = 0x0004;
constexpr uint16_t kPtDouble = 0x0005;
constexpr uint16_t kPtCurrency = 0x0006;
constexpr uint16_t kPtAppTime = 0x0007;
constexpr uint16_t kPtError = 0x000A;
constexpr uint16_t kPtBoolean = 0x000B;
constexpr uint16_t kPtObject = 0x000D;
constexpr uint16_t kPtI8 = 0x0014;
constexpr uint16_t kPtString8 = 0x001E;
constexpr uint16_t kPtUnicode = 0x001F;
constexpr uint16_t kPtSysTime = 0x0040;
constexpr uint16_t kPtClsid = 0x0048;
constexpr uint16_t kPtBinary = 0x0102;
constexpr uint16_t kMvFlag = 0x1000;

// Property IDs.
constexpr uint16_t kPidDisplayName = 0x3001;
constexpr uint16_t kPidAttachDataBin = 0x3701;
constexpr uint16_t kPidAttachFilename = 0x3704;
constexpr uint16_t kPidAttachMethod = 0x3705;
constexpr uint16_t kPidAttachLongFilename = 0x3707;
constexpr uint16_t kPidAttachMimeTag = 0x370E;

constexpr size_t kMaxName = 1024;

// Little-endian reader over a byte range; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view d, size_t base = 0) : d_(d), base_(base) {}
  size_t left() const { return d_.size() - p_; }
  size_t offset() const { return base_ + p_; }
  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = static_cast<uint8_t>(d_[p_++]);
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<uint16_t>(byte(0) | (byte(1) << 8));
    p_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (left() < 4) return false;
    v = byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24);
    p_ += 4;
    return true;
  }
  bool take(size_t n, std::string_view& out) {
    if (left() < n) return false;
    out = d_.substr(p_, n);
    p_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (left() < n) return false;
    p_ += n;
    return true;
  }
  // Padding to a multiple of 4 after `n` bytes; a stream that ends inside
  // the padding is tolerated.
  void pad4(size_t n) {
    const size_t pad = (4 - n % 4) % 4;
    p_ += std::min(pad, left());
  }

 private:
  uint32_t byte(size_t k) const { return static_cast<uint8_t>(d_[p_ + k]); }
  std::string_view d_;
  size_t base_;
  size_t p_ = 0;
};

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", v);
  return b;
}

std::string_view until_nul(std::string_view s) {
  const size_t z = s.find('\0');
  return z == std::string_view::npos ? s : s.substr(0, z);
}

std::string codepage_charset(uint32_t cp) {
  switch (cp) {
    case 65001: return "utf-8";
    case 20127: return "us-ascii";
    case 1200: return "utf-16le";
    case 50220:
    case 50221:
    case 50222: return "iso-2022-jp";
    case 51932: return "euc-jp";
    case 51949: return "euc-kr";
    case 20866: return "koi8-r";
    case 21866: return "koi8-u";
    default: break;
  }
  if (cp >= 28591 && cp <= 28606) return "iso-8859-" + std::to_string(cp - 28590);
  if (cp == 0) return "windows-1252";
  return "cp" + std::to_string(cp);
}

// An 8-bit string in the stream's code page, as UTF-8.
std::string string8(std::string_view s, uint32_t codepage) {
  s = until_nul(s).substr(0, kMaxName);
  std::string out;
  DefectSet d = 0;
  to_utf8(s, codepage_charset(codepage), out, d, kMaxName * 3);
  return out;
}

// UTF-16LE (PT_UNICODE) as UTF-8, up to the first NUL.
std::string unicode(std::string_view s) {
  std::string out;
  uint32_t high = 0;
  for (size_t i = 0; i + 1 < s.size() && out.size() < kMaxName * 3; i += 2) {
    const uint32_t u =
        static_cast<uint8_t>(s[i]) | (static_cast<uint32_t>(static_cast<uint8_t>(s[i + 1])) << 8);
    if (u == 0) break;
    if (high != 0) {
      if (u >= 0xDC00 && u <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
        high = 0;
        continue;
      }
      append_utf8(out, 0xFFFD);
      high = 0;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
      high = u;
      continue;
    }
    append_utf8(out, u);
  }
  if (high != 0) append_utf8(out, 0xFFFD);
  return out;
}

// Bytes of one value of a fixed-size type, 0 for variable-size types, -1
// for an unknown type.
int fixed_size(uint16_t type) {
  switch (type) {
    case kPtUnspecified:
    case kPtNull:
    case kPtShort:
    case kPtLong:
    case kPtFloat:
    case kPtError:
    case kPtBoolean: return 4;
    case kPtDouble:
    case kPtCurrency:
    case kPtAppTime:
    case kPtI8:
    case kPtSysTime: return 8;
    case kPtClsid: return 16;
    case kPtObject:
    case kPtString8:
    case kPtUnicode:
    case kPtBinary: return 0;
    default: return -1;
  }
}

struct Props {
  std::string long_name, short_name, display_name, mime_tag;
  size_t data_size = 0;
  bool has_data = false;
  uint32_t method = 0;
};

// A MAPI property list (attAttachment). Returns "" or the problem.
std::string read_props(std::string_view data, size_t base, uint32_t codepage, const TnefLimits& lim,
                       Props& out) {
  Reader r(data, base);
  uint32_t count = 0;
  if (!r.u32(count)) return "property count cut short at offset " + std::to_string(r.offset());
  // Every property takes at least 8 bytes (tag and a 4-byte value).
  if (count > r.left() / 8 + 1)
    return "property count " + std::to_string(count) + " larger than the " + std::to_string(r.left()) +
           " bytes left allow, at offset " + std::to_string(r.offset());
  if (count > lim.max_properties) return "more than " + std::to_string(lim.max_properties) + " properties";
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = r.offset();
    uint16_t type = 0, id = 0;
    if (!r.u16(type) || !r.u16(id)) return "property tag cut short at offset " + std::to_string(at);
    if (id >= 0x8000) {  // named property: GUID, kind, then a number or a name
      uint32_t kind = 0;
      if (!r.skip(16) || !r.u32(kind)) return "named property cut short at offset " + std::to_string(at);
      if (kind == 0) {
        uint32_t lid = 0;
        if (!r.u32(lid)) return "named property cut short at offset " + std::to_string(at);
      } else if (kind == 1) {
        uint32_t n = 0;
        if (!r.u32(n) || !r.skip(n))
          return "property name length past the end at offset " + std::to_string(at);
        r.pad4(n);
      } else {
        return "named property of unknown kind " + std::to_string(kind) + " at offset " + std::to_string(at);
      }
    }
    const bool mv = (type & kMvFlag) != 0;
    const auto base_type = static_cast<uint16_t>(type & ~kMvFlag);
    const int fixed = fixed_size(base_type);
    if (fixed < 0) return "unknown property type " + hex32(type) + " at offset " + std::to_string(at);
    uint32_t nvals = 1;
    if (mv || fixed == 0) {
      if (!r.u32(nvals)) return "value count cut short at offset " + std::to_string(at);
      if (nvals > r.left() / 4 + 1)
        return "value count " + std::to_string(nvals) + " past the end at offset " + std::to_string(at);
    }
    for (uint32_t v = 0; v < nvals; ++v) {
      if (fixed > 0) {
        std::string_view val;
        if (!r.take(static_cast<size_t>(fixed), val))
          return "property value cut short at offset " + std::to_string(at);
        if (!mv && id == kPidAttachMethod && base_type == kPtLong)
          out.method =
              static_cast<uint8_t>(val[0]) | (static_cast<uint32_t>(static_cast<uint8_t>(val[1])) << 8);
        continue;
      }
      uint32_t len = 0;
      std::string_view val;
      if (!r.u32(len) || !r.take(len, val))
        return "property value length past the end at offset " + std::to_string(at);
      r.pad4(len);
      if (mv || v > 0) continue;
      const bool text = base_type == kPtString8 || base_type == kPtUnicode;
      auto str = [&]() { return base_type == kPtUnicode ? unicode(val) : string8(val, codepage); };
      switch (id) {
        case kPidAttachLongFilename:
          if (text) out.long_name = str();
          break;
        case kPidAttachFilename:
          if (text) out.short_name = str();
          break;
        case kPidDisplayName:
          if (text) out.display_name = str();
          break;
        case kPidAttachMimeTag:
          if (text) out.mime_tag = to_lower(trim(str()));
          break;
        case kPidAttachDataBin:
          out.has_data = true;
          // PT_OBJECT values start with the 16-byte interface ID.
          out.data_size = base_type == kPtObject && len >= 16 ? len - 16 : len;
          break;
        default: break;
      }
    }
  }
  return "";
}

struct Building {
  TnefAttachment a;
  std::string title;
  Props props;
  bool has_att_data = false;
};

void finish(Building& b, Tnef& t) {
  TnefAttachment a = std::move(b.a);
  const Props& p = b.props;
  if (!p.long_name.empty()) {
    a.name = p.long_name;
  } else if (!p.short_name.empty()) {
    a.name = p.short_name;
  } else if (!b.title.empty()) {
    a.name = b.title;
  } else {
    a.name = p.display_name;
  }
  if (!b.has_att_data && p.has_data) a.size = p.data_size;
  if (p.method != 0) a.method = p.method;
  // A MIME type is "type/subtype" of token characters; anything else is ignored.
  const std::string& tag = p.mime_tag;
  const size_t slash = tag.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < tag.size() && tag.size() <= 127;
  for (char c : tag) ok = ok && (is_alnum(c) || c == '/' || c == '-' || c == '.' || c == '+' || c == '_');
  a.mime_type = ok ? tag : std::string(guess_mime_type(a.name));
  t.attachments.push_back(std::move(a));
}

}  // namespace

bool is_tnef(std::string_view data) {
  Reader r(data);
  uint32_t sig = 0;
  return r.u32(sig) && sig == kTnefSignature;
}

Result<Tnef> parse_tnef(std::string_view data, const TnefLimits& lim) {
  Reader r(data);
  uint32_t sig = 0;
  uint16_t key = 0;
  if (!r.u32(sig)) return fail(Errc::kParse, "not a TNEF stream: " + std::to_string(data.size()) + " bytes");
  if (sig != kTnefSignature)
    return fail(Errc::kParse,
                "not a TNEF stream: signature " + hex32(sig) + ", want " + hex32(kTnefSignature));
  Tnef t;
  auto stop = [&](std::string why) {
    t.complete = false;
    t.problem = std::move(why);
  };
  if (!r.u16(key)) {
    stop("legacy key cut short at offset 4");
    return t;
  }
  Building cur;
  bool in_attachment = false;
  while (r.left() > 0) {
    const size_t at = r.offset();
    uint8_t level = 0;
    uint32_t id = 0, len = 0;
    if (!r.u8(level) || !r.u32(id) || !r.u32(len)) {
      stop("attribute header cut short at offset " + std::to_string(at));
      break;
    }
    std::string_view val;
    if (!r.take(len, val)) {
      stop("attribute " + hex32(id) + " at offset " + std::to_string(at) + ": length " + std::to_string(len) +
           " past the end (" + std::to_string(r.left()) + " bytes left)");
      break;
    }
    uint16_t checksum = 0;
    const bool have_checksum = r.u16(checksum);
    uint32_t sum = 0;
    for (char c : val) sum += static_cast<uint8_t>(c);
    if (!have_checksum || (sum & 0xFFFF) != checksum) ++t.bad_checksums;
    const auto aid = static_cast<uint16_t>(id & 0xFFFF);
    if (level == kLevelMessage) {
      if (aid == kAttMessageClass) t.message_class = std::string(until_nul(val).substr(0, kMaxName));
      if (aid == kAttOemCodepage && len >= 4)
        t.codepage = static_cast<uint8_t>(val[0]) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(val[1])) << 8) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(val[2])) << 16) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(val[3])) << 24);
    } else if (level == kLevelAttachment) {
      if (aid == kAttAttachRendData || !in_attachment) {
        if (in_attachment) finish(cur, t);
        if (t.attachments.size() >= lim.max_attachments) {
          in_attachment = false;
          stop("more than " + std::to_string(lim.max_attachments) + " attachments");
          break;
        }
        cur = Building{};
        in_attachment = true;
      }
      switch (aid) {
        case kAttAttachTitle: cur.title = string8(val, t.codepage); break;
        case kAttAttachData:
          cur.a.size = len;
          cur.has_att_data = true;
          break;
        case kAttAttachment: {
          std::string why = read_props(val, at + 9, t.codepage, lim, cur.props);
          if (!why.empty()) {
            finish(cur, t);
            in_attachment = false;
            stop(std::move(why));
          }
          break;
        }
        default: break;
      }
      if (!t.complete) break;
    } else {
      stop("attribute " + hex32(id) + " at offset " + std::to_string(at) + " has unknown level " +
           std::to_string(level));
      break;
    }
    if (!have_checksum) {
      stop("checksum of attribute " + hex32(id) + " cut short at offset " + std::to_string(r.offset()));
      break;
    }
  }
  if (in_attachment) finish(cur, t);
  return t;
}

std::string_view guess_mime_type(std::string_view filename) {
  struct Ext {
    std::string_view ext, type;
  };
  static constexpr Ext kTypes[] = {
      {"pdf", "application/pdf"},
      {"doc", "application/msword"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"docm", "application/vnd.ms-word.document.macroenabled.12"},
      {"xls", "application/vnd.ms-excel"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"xlsm", "application/vnd.ms-excel.sheet.macroenabled.12"},
      {"ppt", "application/vnd.ms-powerpoint"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"rtf", "application/rtf"},
      {"txt", "text/plain"},
      {"htm", "text/html"},
      {"html", "text/html"},
      {"csv", "text/csv"},
      {"ics", "text/calendar"},
      {"xml", "application/xml"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"png", "image/png"},
      {"gif", "image/gif"},
      {"bmp", "image/bmp"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"svg", "image/svg+xml"},
      {"zip", "application/zip"},
      {"rar", "application/vnd.rar"},
      {"7z", "application/x-7z-compressed"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"iso", "application/x-iso9660-image"},
      {"exe", "application/x-msdownload"},
      {"dll", "application/x-msdownload"},
      {"scr", "application/x-msdownload"},
      {"com", "application/x-msdownload"},
      {"msi", "application/x-msi"},
      {"bat", "application/x-bat"},
      {"cmd", "application/x-bat"},
      {"js", "text/javascript"},
      {"vbs", "text/vbscript"},
      {"ps1", "text/plain"},
      {"lnk", "application/x-ms-shortcut"},
      {"eml", "message/rfc822"},
      {"msg", "application/vnd.ms-outlook"},
      {"mp3", "audio/mpeg"},
      {"wav", "audio/wav"},
      {"mp4", "video/mp4"},
  };
  const size_t dot = filename.rfind('.');
  if (dot != std::string_view::npos && filename.size() - dot - 1 <= 8) {
    const std::string ext = to_lower(filename.substr(dot + 1));
    for (const Ext& e : kTypes)
      if (e.ext == ext) return e.type;
  }
  return "application/octet-stream";
}

}  // namespace rampart::mime

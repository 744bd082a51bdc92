// File: src/mime/tnef_test_util.h
// Builds TNEF streams for tests and fuzz seeds ([MS-OXTNEF] 2.1.3 layout;
// see tnef.h).
//
//   mime::TnefWriter w;                          // signature and key
//   w.attr(1, 0x00089006, w.le32(0x00010000));    // attTnefVersion
//   w.attachment("report.pdf", "%PDF-1.4 ...");   // RendData, Title, Data
//   std::string bytes = w.bytes();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/tnef.h"

namespace rampart::mime {

class TnefWriter {
 public:
  TnefWriter() {
    out_ = le32(kTnefSignature);
    out_ += le16(1);
  }
  static std::string le16(uint16_t v) {
    return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)};
  }
  static std::string le32(uint32_t v) {
    return le16(static_cast<uint16_t>(v & 0xFFFF)) + le16(static_cast<uint16_t>(v >> 16));
  }
  static uint16_t checksum(std::string_view d) {
    uint32_t s = 0;
    for (char c : d) s += static_cast<uint8_t>(c);
    return static_cast<uint16_t>(s & 0xFFFF);
  }
  // One attribute: level, ID, length, data, checksum.
  void attr(uint8_t level, uint32_t id, std::string_view data) {
    out_ += static_cast<char>(level);
    out_ += le32(id);
    out_ += le32(static_cast<uint32_t>(data.size()));
    out_.append(data);
    out_ += le16(checksum(data));
  }
  // An attachment the way Outlook writes one without properties.
  void attachment(std::string_view title, std::string_view data) {
    attr(2, 0x00069002, std::string(14, '\0'));                      // attAttachRendData
    attr(2, 0x00018010, std::string(title) + std::string(1, '\0'));  // attAttachTitle
    attr(2, 0x0006800F, data);                                       // attAttachData
  }
  const std::string& bytes() const { return out_; }
  std::string& raw() { return out_; }

 private:
  std::string out_;
};

// A MAPI property list (the value of attAttachment).
class TnefProps {
 public:
  void string8(uint16_t id, std::string_view s) { var(0x001E, id, std::string(s) + std::string(1, '\0')); }
  void unicode(uint16_t id, std::u16string_view s) {
    std::string b;
    for (char16_t c : s) b += TnefWriter::le16(static_cast<uint16_t>(c));
    b += TnefWriter::le16(0);
    var(0x001F, id, b);
  }
  void binary(uint16_t id, std::string_view b) { var(0x0102, id, b); }
  void long_value(uint16_t id, uint32_t v) {
    tag(0x0003, id);
    body_ += TnefWriter::le32(v);
  }
  // A named property (ID >= 0x8000) with a string name, holding a PT_LONG.
  void named_long(std::u16string_view name, uint32_t v) {
    tag(0x0003, 0x8001);
    body_ += std::string(16, '\x11');  // GUID
    body_ += TnefWriter::le32(1);      // kind: name
    std::string n;
    for (char16_t c : name) n += TnefWriter::le16(static_cast<uint16_t>(c));
    body_ += TnefWriter::le32(static_cast<uint32_t>(n.size()));
    body_ += n;
    pad(n.size());
    body_ += TnefWriter::le32(v);
  }
  std::string bytes() const { return TnefWriter::le32(count_) + body_; }

 private:
  void tag(uint16_t type, uint16_t id) {
    body_ += TnefWriter::le16(type) + TnefWriter::le16(id);
    ++count_;
  }
  void pad(size_t n) { body_.append((4 - n % 4) % 4, '\0'); }
  void var(uint16_t type, uint16_t id, std::string_view v) {
    tag(type, id);
    body_ += TnefWriter::le32(1);
    body_ += TnefWriter::le32(static_cast<uint32_t>(v.size()));
    body_.append(v);
    pad(v.size());
  }
  std::string body_;
  uint32_t count_ = 0;
};

}  // namespace rampart::mime

// Tests of the TNEF reader (tnef.h) and of TNEF parts in messages.
#include "mime/tnef.h"

#include <gtest/gtest.h>

#include <string>

#include "mime/message.h"
#include "mime/tnef_test_util.h"

namespace rampart::mime {
namespace {

// The message attributes of the [MS-OXTNEF] 3.1 sample: version, code page
// 1252, class "IPM.Microsoft Mail.Note" (checksums 0x0001, 0x00E8, 0x0831
// there).
TnefWriter sample_start() {
  TnefWriter w;
  w.attr(1, 0x00089006, TnefWriter::le32(0x00010000));
  w.attr(1, 0x00069007, TnefWriter::le32(1252) + TnefWriter::le32(0));
  w.attr(1, 0x00078008, std::string("IPM.Microsoft Mail.Note") + std::string(1, '\0'));
  return w;
}

TEST(Tnef, ChecksumsOfTheSpecSample) {
  EXPECT_EQ(TnefWriter::checksum(TnefWriter::le32(0x00010000)), 0x0001);
  EXPECT_EQ(TnefWriter::checksum(TnefWriter::le32(1252) + TnefWriter::le32(0)), 0x00E8);
  EXPECT_EQ(TnefWriter::checksum(std::string("IPM.Microsoft Mail.Note") + std::string(1, '\0')), 0x0831);
}

TEST(Tnef, AttachmentsWithTitlesAndProperties) {
  TnefWriter w = sample_start();
  w.attachment("REPORT~1.PDF", "%PDF-1.4 ten bytes");
  TnefProps p;
  p.long_value(0x3705, 1);  // by value
  p.string8(0x3704, "REPORT~1.PDF");
  p.unicode(0x3707, u"Quarterly report \u00e9t\u00e9.pdf");
  p.named_long(u"Sensitivity", 2);
  p.binary(0x3701, "%PDF-1.4 ten bytes");
  w.attr(2, 0x00069005, p.bytes());
  // Second attachment: title only, type from the MIME tag property.
  w.attachment("photo.dat", std::string(1000, 'x'));
  TnefProps q;
  q.string8(0x370E, "Image/JPEG");
  w.attr(2, 0x00069005, q.bytes());
  // Third: a title in the stream's code page (windows-1252), no properties.
  w.attachment("caf\xe9.exe", "MZ");

  auto t = parse_tnef(w.bytes());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->complete) << t->problem;
  EXPECT_EQ(t->bad_checksums, 0u);
  EXPECT_EQ(t->message_class, "IPM.Microsoft Mail.Note");
  EXPECT_EQ(t->codepage, 1252u);
  ASSERT_EQ(t->attachments.size(), 3u);
  EXPECT_EQ(t->attachments[0].name, "Quarterly report \xc3\xa9t\xc3\xa9.pdf");
  EXPECT_EQ(t->attachments[0].mime_type, "application/pdf");
  EXPECT_EQ(t->attachments[0].size, 18u);
  EXPECT_EQ(t->attachments[0].method, 1u);
  EXPECT_EQ(t->attachments[1].name, "photo.dat");
  EXPECT_EQ(t->attachments[1].mime_type, "image/jpeg");
  EXPECT_EQ(t->attachments[1].size, 1000u);
  EXPECT_EQ(t->attachments[2].name, "caf\xc3\xa9.exe");
  EXPECT_EQ(t->attachments[2].mime_type, "application/x-msdownload");
}

struct Bad {
  const char* what;
  std::string bytes;
  size_t attachments;   // kept before the problem
  const char* problem;  // substring
};

TEST(Tnef, MalformedStreamsStopWithAProblem) {
  const std::string good = [] {
    TnefWriter w = sample_start();
    w.attachment("a.txt", "hello");
    return w.bytes();
  }();
  TnefWriter big_len = sample_start();
  big_len.attachment("a.txt", "hello");
  big_len.raw() += '\x02';
  big_len.raw() += TnefWriter::le32(0x0006800F) + TnefWriter::le32(0xFFFFFFF0u) + "abc";
  TnefWriter bad_props = sample_start();
  bad_props.attachment("b.txt", "x");
  bad_props.attr(2, 0x00069005, TnefWriter::le32(1000000) + "short");
  TnefWriter bad_type = sample_start();
  bad_type.attachment("c.txt", "x");
  bad_type.attr(
      2, 0x00069005,
      TnefWriter::le32(1) + TnefWriter::le16(0x0999) + TnefWriter::le16(0x3001) + std::string(8, '\0'));
  TnefWriter bad_value = sample_start();
  bad_value.attachment("d.txt", "x");
  bad_value.attr(2, 0x00069005,
                 TnefWriter::le32(1) + TnefWriter::le16(0x001E) + TnefWriter::le16(0x3707) +
                     TnefWriter::le32(1) + TnefWriter::le32(5000) + "abc");
  TnefWriter bad_level = sample_start();
  bad_level.attr(7, 0x00018010, "x");
  const Bad cases[] = {
      {"cut inside an attribute header", good + std::string("\x02\x10\x80", 3), 1, "header cut short"},
      {"cut inside an attribute", good.substr(0, good.size() - 20), 1, "past the end"},
      {"length past the end", big_len.bytes(), 1, "past the end"},
      {"property count too large", bad_props.bytes(), 1, "property count"},
      {"unknown property type", bad_type.bytes(), 1, "unknown property type"},
      {"value length past the end", bad_value.bytes(), 1, "past the end"},
      {"unknown level", bad_level.bytes(), 0, "unknown level"},
      {"checksum missing", good.substr(0, good.size() - 1), 1, "checksum"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.what);
    auto t = parse_tnef(c.bytes);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE(t->complete);
    EXPECT_NE(t->problem.find(c.problem), std::string::npos) << t->problem;
    EXPECT_EQ(t->attachments.size(), c.attachments);
  }
  // Not TNEF at all.
  auto n = parse_tnef("PK\x03\x04 not tnef");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::kParse);
  EXPECT_NE(n.error().message.find("signature"), std::string::npos);
  EXPECT_FALSE(parse_tnef(""));
  // A wrong checksum is counted, not fatal.
  std::string flipped = good;
  flipped[flipped.size() - 1] ^= 1;
  auto f = parse_tnef(flipped);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->complete);
  EXPECT_EQ(f->bad_checksums, 1u);
}

TEST(Tnef, AttachmentCountIsBounded) {
  TnefWriter w;
  for (int i = 0; i < 1000; ++i) w.attachment("f" + std::to_string(i), "");
  TnefLimits lim;
  lim.max_attachments = 50;
  auto t = parse_tnef(w.bytes(), lim);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->attachments.size(), 50u);
  EXPECT_FALSE(t->complete);
}

TEST(Tnef, GuessMimeType) {
  EXPECT_EQ(guess_mime_type("a.PDF"), "application/pdf");
  EXPECT_EQ(guess_mime_type("invoice.docm"), "application/vnd.ms-word.document.macroenabled.12");
  EXPECT_EQ(guess_mime_type("noext"), "application/octet-stream");
  EXPECT_EQ(guess_mime_type("x.unknownlongext"), "application/octet-stream");
}

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
    if (out.size() % 78 == 76) out += "\r\n";
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

TEST(Tnef, InMessages) {
  TnefWriter w = sample_start();
  w.attachment("invoice.docm", std::string(300, 'D'));
  w.attachment("notes.txt", "hi");
  const std::string raw =
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nPlease see attached.\r\n--b\r\n"
      "Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64(w.bytes()) + "\r\n--b--\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.attachments().size(), 3u);
  EXPECT_EQ(m.attachments()[0].filename, "winmail.dat");
  EXPECT_EQ(m.attachments()[0].source, AttachmentSource::kPart);
  EXPECT_EQ(m.attachments()[1].filename, "invoice.docm");
  EXPECT_EQ(m.attachments()[1].content_type, "application/vnd.ms-word.document.macroenabled.12");
  EXPECT_EQ(m.attachments()[1].size, 300u);
  EXPECT_EQ(m.attachments()[1].source, AttachmentSource::kTnef);
  EXPECT_EQ(m.attachments()[1].part, m.attachments()[0].part);
  EXPECT_EQ(m.attachments()[2].filename, "notes.txt");
  EXPECT_FALSE(m.has_defect(DefectKind::kTnefMalformed));

  // winmail.dat by name only, cut short: what was read is listed, with a defect.
  const std::string cut = w.bytes().substr(0, w.bytes().size() - 10);
  const std::string raw2 =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=WINMAIL.DAT\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64(cut) + "\r\n--b--\r\n";
  Message c = Message::parse(raw2);
  ASSERT_GE(c.attachments().size(), 2u);
  EXPECT_EQ(c.attachments()[1].filename, "invoice.docm");
  EXPECT_TRUE(c.has_defect(DefectKind::kTnefMalformed));
}

}  // namespace
}  // namespace rampart::mime

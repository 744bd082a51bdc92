// Tests of uuencode finding and decoding (uuencode.h) and of uuencoded files
// in messages (message.h).
#include "mime/uuencode.h"

#include <gtest/gtest.h>

#include <string>

#include "mime/message.h"

namespace rampart::mime {
namespace {

// Encoded with Python's binascii.b2a_uu.
constexpr const char* kHelloLine = "72&5L;&\\L('5U96YC;V1E9\"!W;W)L9\"$ \n";  // "Hello, uuencoded world!"
constexpr const char* kHello = "Hello, uuencoded world!";

std::string block(const std::string& name, const std::string& lines, bool end = true) {
  return "begin 644 " + name + "\n" + lines + "`\n" + (end ? "end\n" : "");
}

struct UuCase {
  const char* what;
  std::string text;
  size_t files;
  const char* name;  // of the first file
  size_t size;       // of the first file
  bool terminated;
  const char* rest;  // text without the blocks
};

TEST(Uuencode, Table) {
  const std::string hello = block("hello.txt", kHelloLine);
  const UuCase cases[] = {
      {"one file in text", "Hi,\n" + hello + "Bye\n", 1, "hello.txt", 23, true, "Hi,\nBye\n"},
      {"CRLF lines", "a\r\nbegin 600 x.bin\r\n#86)C\r\n`\r\nend\r\nb\r\n", 1, "x.bin", 3, true, "a\r\nb\r\n"},
      {"name with spaces", block("my file.doc", "\"86( \n"), 1, "my file.doc", 2, true, ""},
      {"trailing space cut", "begin 644 a\n\"86(\n`\nend\n", 1, "a", 2, true, ""},
      {"no end line", "begin 644 cut.zip\n" + std::string(kHelloLine) + "more text\n", 1, "cut.zip", 23,
       false, "more text\n"},
      {"empty line for the zero line", "begin 644 e\n#86)C\n\nend\n", 1, "e", 3, true, ""},
      {"two files", hello + "between\n" + block("two.bin", "#86)C\n"), 2, "hello.txt", 23, true, "between\n"},
      {"prose is not a file", "begin 644 things to do\nbuy milk\n", 0, "", 0, false,
       "begin 644 things to do\nbuy milk\n"},
      {"bad mode", "begin 9x9 a\n#86)C\n`\nend\n", 0, "", 0, false, "begin 9x9 a\n#86)C\n`\nend\n"},
      {"no name", "begin 644\n#86)C\n`\nend\n", 0, "", 0, false, "begin 644\n#86)C\n`\nend\n"},
      {"length char disagrees", "begin 644 a\nM86)C\nend\n", 0, "", 0, false, "begin 644 a\nM86)C\nend\n"},
      {"empty file", "begin 644 a\n`\nend\nx\n", 1, "a", 0, true, "x\n"},
      {"base64 variant", "x\nbegin-base64 644 b.txt\nSGVsbG8sIGJhc2U2NCE=\n====\ny\n", 1, "b.txt", 14, true,
       "x\ny\n"},
  };
  for (const UuCase& c : cases) {
    SCOPED_TRACE(c.what);
    UuLimits keep;
    keep.keep_data = true;
    std::vector<UuFile> f = find_uuencoded(c.text, keep);
    ASSERT_EQ(f.size(), c.files);
    EXPECT_EQ(without_uuencoded(c.text, f), c.rest);
    if (c.files == 0) continue;
    EXPECT_EQ(f[0].name, c.name);
    EXPECT_EQ(f[0].size, c.size);
    EXPECT_EQ(f[0].data.size(), c.size);
    EXPECT_EQ(f[0].terminated, c.terminated);
  }
}

TEST(Uuencode, DecodesBytes) {
  UuLimits keep;
  keep.keep_data = true;
  auto f = find_uuencoded(block("h", kHelloLine), keep);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].data, kHello);
  EXPECT_EQ(f[0].mode, 0644u);
  f = find_uuencoded("begin-base64 600 b\nSGVsbG8sIGJhc2U2NCE=\n====\n", keep);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].data, "Hello, base64!");
  // max_data bounds what is kept, not the size.
  keep.max_data = 5;
  f = find_uuencoded(block("h", kHelloLine), keep);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].data, "Hello");
  EXPECT_EQ(f[0].size, 23u);
}

TEST(Uuencode, BoundedAndLinear) {
  std::string many;
  for (int i = 0; i < 200; ++i) many += block("f" + std::to_string(i), "#86)C\n");
  UuLimits lim;
  lim.max_files = 10;
  EXPECT_EQ(find_uuencoded(many, lim).size(), 10u);
  // 5 MB of begin lines with nothing after them, and of one huge data run.
  std::string begins;
  while (begins.size() < 5'000'000) begins += "begin 644 x\n";
  EXPECT_TRUE(find_uuencoded(begins).empty());
  std::string data = "begin 644 big\n";
  while (data.size() < 5'000'000) data += "M>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX>'AX\n";
  auto f = find_uuencoded(data);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].terminated);
  EXPECT_GT(f[0].size, 3'000'000u);
}

TEST(Uuencode, InMessages) {
  // In a text/plain body: the file is an attachment, the text keeps the rest.
  const std::string raw =
      "From: a@example.com\r\nSubject: files\r\nContent-Type: text/plain\r\n\r\n"
      "See the attached file.\r\n\r\nbegin 644 report.pdf\r\n" +
      std::string("#86)C\r\n`\r\nend\r\n") + "Regards\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.text_parts().size(), 1u);
  EXPECT_EQ(m.text_parts()[0].text, "See the attached file.\n\nRegards\n");
  ASSERT_EQ(m.attachments().size(), 1u);
  EXPECT_EQ(m.attachments()[0].filename, "report.pdf");
  EXPECT_EQ(m.attachments()[0].content_type, "application/pdf");
  EXPECT_EQ(m.attachments()[0].size, 3u);
  EXPECT_EQ(m.attachments()[0].source, AttachmentSource::kUuencode);

  // A whole part with Content-Transfer-Encoding: x-uuencode.
  const std::string part =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n"
      "begin 600 hello.txt\r\n" +
      std::string(kHelloLine) + "`\r\nend\r\n--b--\r\n";
  Message p = Message::parse(part);
  ASSERT_EQ(p.attachments().size(), 1u);
  EXPECT_EQ(p.attachments()[0].filename, "hello.txt");
  EXPECT_EQ(p.attachments()[0].size, 23u);
  EXPECT_EQ(p.decode_body(p.parts()[2]), kHello);
  EXPECT_FALSE(p.has_defect(DefectKind::kUnknownTransferEncoding));

  // No end line: listed, with a defect; the text after it is not lost.
  Message u = Message::parse("Content-Type: text/plain\r\n\r\nbegin 644 a.exe\r\n#86)C\r\nPS: hi\r\n");
  ASSERT_EQ(u.attachments().size(), 1u);
  EXPECT_EQ(u.attachments()[0].filename, "a.exe");
  EXPECT_TRUE(u.has_defect(DefectKind::kUuencodeUnterminated));
  ASSERT_EQ(u.text_parts().size(), 1u);
  EXPECT_EQ(u.text_parts()[0].text, "PS: hi\n");

  // A Latin-1 name in a Latin-1 part is UTF-8 in the listing.
  Message l = Message::parse(
      "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nbegin 644 "
      "r\xe9sum\xe9.doc\r\n#86)C\r\n`\r\nend\r\n");
  ASSERT_EQ(l.attachments().size(), 1u);
  EXPECT_EQ(l.attachments()[0].filename, "r\xc3\xa9sum\xc3\xa9.doc");
}

}  // namespace
}  // namespace rampart::mime

// Tests for params.h: RFC 2045 5.1, RFC 2183, RFC 2231 examples, malformed fields.
#include "mime/params.h"

#include <string>

#include <gtest/gtest.h>

namespace rampart::mime {
namespace {

TEST(ContentType, Rfc2045Examples) {
  DefectSet d = 0;
  ContentType ct = parse_content_type("text/plain; charset=us-ascii (Plain text)", d);
  EXPECT_EQ(ct.mime_type(), "text/plain");
  EXPECT_EQ(ct.param("charset"), "us-ascii");
  EXPECT_EQ(d, 0u);
  ct = parse_content_type("text/plain; charset=\"us-ascii\"", d);
  EXPECT_EQ(ct.param("CHARSET"), "us-ascii");
  ct = parse_content_type(" Multipart/Mixed ;\r\n\tboundary=\"simple boundary\"", d);
  EXPECT_TRUE(ct.is_multipart());
  EXPECT_TRUE(ct.is("multipart", "MIXED"));
  EXPECT_EQ(ct.param("boundary"), "simple boundary");
  ct = parse_content_type("(comment) text (c) / (c) html (c) ; (c) charset (c) = (c) utf-8 (c)", d);
  EXPECT_EQ(ct.mime_type(), "text/html");
  EXPECT_EQ(ct.param("charset"), "utf-8");
  EXPECT_EQ(d, 0u);
}

TEST(ContentType, LenientTokensAndQuotedPairs) {
  DefectSet d = 0;
  ContentType ct = parse_content_type("multipart/alternative; boundary=----=_NextPart_000_0012_01D2", d);
  EXPECT_EQ(ct.param("boundary"), "----=_NextPart_000_0012_01D2");
  ct = parse_content_type("application/x-stuff; title=\"a \\\"quoted\\\" \\\\ word\"", d);
  EXPECT_EQ(ct.param("title"), "a \"quoted\" \\ word");
  ct = parse_content_type("text/plain;;; charset=utf-8;", d);
  EXPECT_EQ(ct.param("charset"), "utf-8");
}

TEST(ContentType, InvalidIsTextPlain) {
  // RFC 2045 5.2.
  for (const char* v : {"", "text", "/plain", "text/", "text/plain garbage", "\x01\x02"}) {
    DefectSet d = 0;
    ContentType ct = parse_content_type(v, d);
    EXPECT_EQ(ct.mime_type(), "text/plain") << v;
    EXPECT_FALSE(ct.present) << v;
    EXPECT_TRUE(has(d, DefectKind::kInvalidContentType)) << v;
  }
}

TEST(ContentType, MalformedParameters) {
  DefectSet d = 0;
  ContentType ct = parse_content_type("text/plain; =x; charset; format=flowed; name=\"unterminated", d);
  EXPECT_TRUE(has(d, DefectKind::kInvalidParameter));
  EXPECT_EQ(ct.param("format"), "flowed");
  EXPECT_EQ(ct.param("name"), "unterminated");
  d = 0;
  ct = parse_content_type("text/plain; charset=utf-8; charset=latin1", d);
  EXPECT_EQ(ct.param("charset"), "utf-8");
  EXPECT_TRUE(has(d, DefectKind::kDuplicateParameter));
}

TEST(Rfc2231, Section3Continuations) {
  DefectSet d = 0;
  ContentType ct = parse_content_type(
      "message/external-body; access-type=URL;\r\n"
      " URL*0=\"ftp://\";\r\n"
      " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
      d);
  EXPECT_EQ(ct.param("url"), "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
  EXPECT_EQ(d, 0u);
}

TEST(Rfc2231, Section4CharsetAndLanguage) {
  DefectSet d = 0;
  ContentType ct =
      parse_content_type("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", d);
  EXPECT_EQ(ct.param("title"), "This is ***fun***");
  ASSERT_EQ(ct.params.size(), 1u);
  EXPECT_EQ(ct.params[0].language, "en-us");
}

TEST(Rfc2231, Section41Mixed) {
  DefectSet d = 0;
  ContentType ct = parse_content_type(
      "application/x-stuff;\r\n"
      " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
      " title*2=\"isn't it!\"",
      d);
  EXPECT_EQ(ct.param("title"), "This is even more ***fun*** isn't it!");
  EXPECT_EQ(d, 0u);
}

TEST(Rfc2231, OutOfOrderMissingAndCharsets) {
  DefectSet d = 0;
  ContentDisposition cd = parse_content_disposition(
      "attachment; filename*1*=%20rates.pdf; filename*0*=utf-8''%E2%82%AC; filename=\"fallback.pdf\"", d);
  EXPECT_EQ(cd.type, DispositionType::kAttachment);
  EXPECT_EQ(cd.filename(), "\xE2\x82\xAC rates.pdf");  // extended wins, sections sorted
  d = 0;
  cd = parse_content_disposition("attachment; filename*0=a; filename*2=c", d);
  EXPECT_EQ(cd.filename(), "ac");
  EXPECT_TRUE(has(d, DefectKind::kInvalidParameter));
  d = 0;
  cd = parse_content_disposition("inline; filename*=iso-8859-1''caf%E9.txt", d);
  EXPECT_EQ(cd.type, DispositionType::kInline);
  EXPECT_EQ(cd.filename(), "caf\xC3\xA9.txt");
  d = 0;
  cd = parse_content_disposition("attachment; filename*01=x; filename*x=y; *=z", d);
  EXPECT_TRUE(has(d, DefectKind::kInvalidParameter));
}

TEST(Params, EncodedWordFilenames) {
  DefectSet d = 0;
  ContentType ct = parse_content_type("application/pdf; name=\"=?UTF-8?B?UmVjaG51bmcucGRm?=\"", d);
  EXPECT_EQ(ct.param("name"), "Rechnung.pdf");
  // Not decoded outside name/filename: a boundary keeps its bytes.
  ct = parse_content_type("multipart/mixed; boundary=\"=?utf-8?q?x?=\"", d);
  EXPECT_EQ(ct.param("boundary"), "=?utf-8?q?x?=");
}

TEST(TransferEncoding, Values) {
  DefectSet d = 0;
  EXPECT_EQ(parse_transfer_encoding(" Base64 ", d), TransferEncoding::kBase64);
  EXPECT_EQ(parse_transfer_encoding("QUOTED-PRINTABLE (comment)", d), TransferEncoding::kQuotedPrintable);
  EXPECT_EQ(parse_transfer_encoding("8bit", d), TransferEncoding::k8Bit);
  EXPECT_EQ(parse_transfer_encoding("binary", d), TransferEncoding::kBinary);
  EXPECT_EQ(parse_transfer_encoding("", d), TransferEncoding::k7Bit);
  EXPECT_EQ(d, 0u);
  EXPECT_EQ(parse_transfer_encoding("x-uuencode", d), TransferEncoding::kUuencode);
  EXPECT_EQ(d, 0u);
  EXPECT_EQ(parse_transfer_encoding("x-foo", d), TransferEncoding::kUnknown);
  EXPECT_TRUE(has(d, DefectKind::kUnknownTransferEncoding));
}

TEST(Params, BoundedAndLinear) {
  std::string v = "text/plain";
  for (int i = 0; i < 100000; ++i) v += "; p" + std::to_string(i) + "=v";
  DefectSet d = 0;
  ContentType ct = parse_content_type(v, d);
  EXPECT_EQ(ct.params.size(), kMaxParams);
  std::string c = "text/plain (" + std::string(200000, '(');
  ct = parse_content_type(c, d);  // unclosed nested comments
  EXPECT_EQ(ct.mime_type(), "text/plain");
}

}  // namespace
}  // namespace rampart::mime

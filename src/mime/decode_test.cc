// Tests for decode.h, charset.h and encoded_word.h: RFC 2045 6.7/6.8 and
// RFC 2047 section 8 examples, charsets, malformed input.
#include <string>

#include <gtest/gtest.h>

#include "mime/charset.h"
#include "mime/decode.h"
#include "mime/encoded_word.h"

namespace rampart::mime {
namespace {

std::string b64(std::string_view in, DefectSet* d_out = nullptr) {
  std::string out;
  DefectSet d = 0;
  base64_decode(in, out, d);
  if (d_out) *d_out = d;
  return out;
}

std::string qp(std::string_view in, DefectSet* d_out = nullptr) {
  std::string out;
  DefectSet d = 0;
  qp_decode(in, out, d);
  if (d_out) *d_out = d;
  return out;
}

TEST(Base64, Table) {
  struct Case {
    const char* in;
    const char* out;
    bool garbage;
    bool truncated;
  };
  const Case cases[] = {
      {"", "", false, false},
      {"TWFu", "Man", false, false},
      {"TWE=", "Ma", false, false},
      {"TQ==", "M", false, false},
      {"SGVs\r\nbG8=\r\n", "Hello", false, false},
      {" S G V s b G 8 = ", "Hello", false, false},
      {"SGV*sbG8=", "Hello", true, false},   // garbage skipped
      {"SGVsbG8", "Hello", false, true},     // missing padding
      {"SGVsbG8gd", "Hello ", false, true},  // a lone leftover sextet
      {"TQ==TWE=", "MMa", false, false},     // concatenated encodings
      {"\x80\xffTWFu", "Man", true, false},  // 8-bit garbage
  };
  for (const Case& c : cases) {
    DefectSet d = 0;
    EXPECT_EQ(b64(c.in, &d), c.out) << c.in;
    EXPECT_EQ(has(d, DefectKind::kBase64Garbage), c.garbage) << c.in;
    EXPECT_EQ(has(d, DefectKind::kBase64Truncated), c.truncated) << c.in;
    EXPECT_EQ(base64_decoded_size(c.in), std::string(c.out).size()) << c.in;
  }
}

TEST(Base64, BoundedOutput) {
  std::string out;
  DefectSet d = 0;
  EXPECT_FALSE(base64_decode("SGVsbG8gd29ybGQ=", out, d, 4));
  EXPECT_EQ(out, "Hell");
}

TEST(QuotedPrintable, Rfc2045Section67) {
  DefectSet d = 0;
  // Soft line breaks, with and without trailing whitespace after '='.
  EXPECT_EQ(qp("Now's the time =\r\nfor all folk to come=  \r\n to the aid", &d),
            "Now's the time for all folk to come to the aid");
  EXPECT_EQ(d, 0u);
  EXPECT_EQ(qp("caf=C3=A9\r\nline2\r\n"), "caf\xC3\xA9\r\nline2\r\n");
  EXPECT_EQ(qp("lower=c3=a9"), "lower\xC3\xA9");
  // Trailing whitespace is transport padding (rule 3).
  EXPECT_EQ(qp("a  \t\r\nb"), "a\r\nb");
  EXPECT_EQ(qp("bare lf=\nsoft\nhard\n"), "bare lfsoft\nhard\n");
  // Invalid escapes are kept as written.
  EXPECT_EQ(qp("50=%2 off =ZZ =4", &d), "50=%2 off =ZZ =4");
  EXPECT_TRUE(has(d, DefectKind::kQpInvalidEscape));
  EXPECT_EQ(qp("ends with ="), "ends with ");
  EXPECT_EQ(qp("=3D=3d"), "==");
}

TEST(QEncoding, UnderscoreIsSpace) {
  std::string out;
  DefectSet d = 0;
  q_decode("this_is=20a_test=3F", out, d);
  EXPECT_EQ(out, "this is a test?");
}

std::string conv(std::string_view in, std::string_view cs, DefectSet* d_out = nullptr) {
  std::string out;
  DefectSet d = 0;
  to_utf8(in, cs, out, d);
  if (d_out) *d_out = d;
  return out;
}

TEST(Charset, CommonCharsets) {
  EXPECT_EQ(conv("caf\xE9", "ISO-8859-1"), "caf\xC3\xA9");
  EXPECT_EQ(conv("\x80 5", "windows-1252"), "\xE2\x82\xAC 5");
  EXPECT_EQ(conv("\x80", "latin1"), "\xE2\x82\xAC");  // WHATWG: latin1 is windows-1252
  EXPECT_EQ(conv("\xCF\xF2\xE8\xF6\xE0", "windows-1251"), "\xD0\x9F\xD1\x82\xD0\xB8\xD1\x86\xD0\xB0");
  EXPECT_EQ(conv("\xF0\xD2\xC9\xD7\xC5\xD4", "KOI8-R"), "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  EXPECT_EQ(conv("\xC4\xE3\xBA\xC3", "gb2312"), "\xE4\xBD\xA0\xE5\xA5\xBD");  // 你好
  EXPECT_EQ(conv("\xC4\xE3\xBA\xC3", "GBK"), "\xE4\xBD\xA0\xE5\xA5\xBD");
  EXPECT_EQ(conv("\xA7\x41\xA6\x6E", "big5"), "\xE4\xBD\xA0\xE5\xA5\xBD");
  EXPECT_EQ(conv("\x82\xB1\x82\xF1", "shift_jis"), "\xE3\x81\x93\xE3\x82\x93");  // こん
  EXPECT_EQ(conv("\x1B$B$3$s\x1B(B", "ISO-2022-JP"), "\xE3\x81\x93\xE3\x82\x93");
  EXPECT_EQ(conv("\xB0\xA1", "ks_c_5601-1987"), "\xEA\xB0\x80");  // 가
  EXPECT_EQ(conv("plain", ""), "plain");
}

// Labels glibc iconv does not know go to ICU; "x-" labels neither knows are
// tried without the prefix. Vectors encoded with Python's codecs.
TEST(Charset, IcuAndAliases) {
  struct Case {
    const char* charset;
    const char* in;
    const char* utf8;
  };
  const Case cases[] = {
      {"hz-gb-2312", "~{VPNDSJ<~}", "\xe4\xb8\xad\xe6\x96\x87\xe9\x82\xae\xe4\xbb\xb6"},  // 中文邮件
      {"x-mac-cyrillic", "\x8f\xf0\xe8\xe2\xe5\xf2", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
      {"x-mac-greek", "\xa1\xe5\xe9\xc0", "\xce\x93\xce\xb5\xce\xb9\xce\xac"},
      {"x-cp1250", "\x8elu\x9dou\xe8k\xfd k\xf9\xf2",
       "\xc5\xbdlu\xc5\xa5ou\xc4\x8dk\xc3\xbd k\xc5\xaf\xc5\x88"},
      {"unicode-1-1-utf-7", "Hi Mom -+Jjo--!", "Hi Mom -\xe2\x98\xba-!"},
      {"utf-7", "Hi Mom -+Jjo--!", "Hi Mom -\xe2\x98\xba-!"},
      {"iso-2022-kr", "\x1b$)C\x0eGQ19>n\x0f", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"},
      {"x-windows-949", "\xc7\xd1\xb1\xb9\xbe\xee", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"},
      {"x-sjis", "\x82\xB1\x82\xF1", "\xE3\x81\x93\xE3\x82\x93"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.charset);
    DefectSet d = 0;
    EXPECT_EQ(conv(c.in, c.charset, &d), c.utf8);
    EXPECT_FALSE(has(d, DefectKind::kUnknownCharset));
    EXPECT_FALSE(has(d, DefectKind::kCharsetError));
  }
}

// Invalid and truncated sequences under ICU become U+FFFD; the text around
// them is kept.
TEST(Charset, IcuInvalidSequencesAreReplacedNotDropped) {
  DefectSet d = 0;
  std::string s = conv("ok ~{\xff\xff~} end", "hz-gb-2312", &d);
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_EQ(s.rfind("ok ", 0), 0u);
  EXPECT_NE(s.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(s.find(" end"), std::string::npos);
  EXPECT_TRUE(has(d, DefectKind::kCharsetError));
  d = 0;
  s = conv("\xc7\xd1\xc7", "x-windows-949", &d);  // cut inside a character
  EXPECT_EQ(s, "\xed\x95\x9c\xEF\xBF\xBD");
  EXPECT_TRUE(has(d, DefectKind::kCharsetError));
  // Bounded output through ICU stays on a character boundary.
  std::string out;
  d = 0;
  EXPECT_FALSE(to_utf8("~{VPNDSJ<~}", "hz-gb-2312", out, d, 7));
  EXPECT_EQ(out, "\xe4\xb8\xad\xe6\x96\x87");
}

TEST(Charset, Utf8ValidationAndRepair) {
  DefectSet d = 0;
  EXPECT_EQ(conv("ok \xE2\x82\xAC", "utf-8", &d), "ok \xE2\x82\xAC");
  EXPECT_EQ(d, 0u);
  EXPECT_EQ(conv("bad \xC0\xAF x", "UTF8", &d), "bad \xEF\xBF\xBD\xEF\xBF\xBD x");  // overlong
  EXPECT_TRUE(has(d, DefectKind::kCharsetError));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
  EXPECT_TRUE(is_valid_utf8("abcdefghijklmnop\xF0\x9F\x98\x80"));
}

TEST(Charset, InvalidBytesBecomeReplacement) {
  DefectSet d = 0;
  std::string s = conv("a\x81\x20z", "shift_jis", &d);  // 0x81 0x20 is not a character
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_NE(s.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_TRUE(has(d, DefectKind::kCharsetError));
}

TEST(Charset, UnknownCharset) {
  DefectSet d = 0;
  EXPECT_EQ(conv("caf\xE9", "x-no-such-charset", &d), "caf\xC3\xA9");
  EXPECT_TRUE(has(d, DefectKind::kUnknownCharset));
  d = 0;
  EXPECT_EQ(conv("caf\xC3\xA9", "unknown-8bit", &d), "caf\xC3\xA9");  // valid UTF-8 kept
  EXPECT_TRUE(has(d, DefectKind::kUnknownCharset));
  d = 0;
  EXPECT_EQ(conv("x", "../../etc/passwd", &d), "x");  // never handed to iconv
  EXPECT_TRUE(has(d, DefectKind::kUnknownCharset));
  EXPECT_EQ(canonical_charset("\"UTF-8\""), "utf-8");
  EXPECT_EQ(canonical_charset("Shift_JIS"), "cp932");
}

TEST(Charset, BoundedOutputStaysValid) {
  std::string out;
  DefectSet d = 0;
  EXPECT_FALSE(to_utf8("\xE9\xE9\xE9", "iso-8859-1", out, d, 5));
  EXPECT_EQ(out, "\xC3\xA9\xC3\xA9");
  out.clear();
  EXPECT_FALSE(to_utf8("\xC4\xE3\xBA\xC3", "gbk", out, d, 4));
  EXPECT_EQ(out, "\xE4\xBD\xA0");
}

TEST(EncodedWord, Rfc2047Section8Examples) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"=?ISO-8859-1?Q?a?=", "a"},
      {"=?ISO-8859-1?Q?a?= b", "a b"},
      {"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"},
      {"=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab"},
      {"=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=", "ab"},
      {"=?ISO-8859-1?Q?a_b?=", "a b"},
      {"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"},
      {"(=?ISO-8859-1?Q?a?=)", "(a)"},
      {"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"},
      {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>"},
      {"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
       "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>"},
      {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
       " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
       "If you can read this you understand the example."},
      {"=?utf-8*en?q?hello?=", "hello"},  // RFC 2231 section 5 language
      {"=?UTF-8?B?4oKs?= =?UTF-8?B?MTA=?=",
       "\xE2\x82\xAC"
       "10"},
      // A character split across two words of the same charset.
      {"=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=", "\xE2\x82\xAC"},
      {"pre=?utf-8?q?mid?=post", "premidpost"},  // lenient: inside a word
      {"8-bit r\xC3\xA9sum\xC3\xA9", "8-bit r\xC3\xA9sum\xC3\xA9"},
      {"latin r\xE9sum\xE9", "latin r\xC3\xA9sum\xC3\xA9"},
  };
  for (const Case& c : cases) {
    DefectSet d = 0;
    EXPECT_EQ(decode_header(c.in, d), c.out) << c.in;
  }
}

TEST(EncodedWord, MalformedKeptAsWritten) {
  DefectSet d = 0;
  EXPECT_EQ(decode_header("=?utf-8?q?unterminated", d), "=?utf-8?q?unterminated");
  EXPECT_TRUE(has(d, DefectKind::kEncodedWordError));
  d = 0;
  EXPECT_EQ(decode_header("=?utf-8?x?abc?=", d), "=?utf-8?x?abc?=");
  EXPECT_EQ(decode_header("a =? b ?= c", d), "a =? b ?= c");
  EXPECT_EQ(decode_header("=?=?=?=?", d), "=?=?=?=?");
}

TEST(EncodedWord, LinearOnPathologicalInput) {
  std::string s;
  for (int i = 0; i < 200000; ++i) s += "=?a?q?";
  DefectSet d = 0;
  std::string out = decode_header(s, d, s.size() + 10);
  EXPECT_EQ(out, s);
}

}  // namespace
}  // namespace rampart::mime

// Tests for message.h: RFC 2046 examples, nesting, message/rfc822, the
// malformed-message table, limits and linear-work checks (no clocks).
#include "mime/message.h"

#include "mime/charset.h"

#include <string>

#include <gtest/gtest.h>

namespace rampart::mime {
namespace {

// RFC 2046 5.1.1 example.
const char kRfc2046[] =
    "From: Nathaniel Borenstein <nsb@bellcore.com>\r\n"
    "To: Ned Freed <ned@innosoft.com>\r\n"
    "Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\r\n"
    "Subject: Sample message\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-type: multipart/mixed; boundary=\"simple boundary\"\r\n"
    "\r\n"
    "This is the preamble.  It is to be ignored, though it\r\n"
    "is a handy place for composition agents to include an\r\n"
    "explanatory note to non-MIME conformant readers.\r\n"
    "\r\n"
    "--simple boundary\r\n"
    "\r\n"
    "This is implicitly typed plain US-ASCII text.\r\n"
    "It does NOT end with a linebreak.\r\n"
    "--simple boundary\r\n"
    "Content-type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This is explicitly typed plain US-ASCII text.\r\n"
    "It DOES end with a linebreak.\r\n"
    "\r\n"
    "--simple boundary--\r\n"
    "\r\n"
    "This is the epilogue.  It is also to be ignored.\r\n";

TEST(Message, Rfc2046SimpleMultipart) {
  std::string raw = kRfc2046;
  Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 3u);
  const Part& root = m.root();
  EXPECT_EQ(root.kind, PartKind::kMultipart);
  EXPECT_EQ(root.children, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(root.preamble,
            "This is the preamble.  It is to be ignored, though it\r\n"
            "is a handy place for composition agents to include an\r\n"
            "explanatory note to non-MIME conformant readers.\r\n");
  EXPECT_EQ(root.epilogue, "\r\nThis is the epilogue.  It is also to be ignored.\r\n");
  EXPECT_EQ(m.parts()[1].body,
            "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.");
  EXPECT_EQ(m.parts()[2].body,
            "This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n");
  // Zero-copy.
  EXPECT_GE(m.parts()[2].body.data(), raw.data());
  EXPECT_LE(m.parts()[2].body.data() + m.parts()[2].body.size(), raw.data() + raw.size());
  EXPECT_EQ(m.parts()[2].offset, static_cast<size_t>(m.parts()[2].raw.data() - raw.data()));
  ASSERT_EQ(m.text_parts().size(), 2u);
  EXPECT_EQ(m.text_parts()[0].text,
            "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.");
  EXPECT_EQ(m.subject(), "Sample message");
  EXPECT_TRUE(m.defects().empty());
  EXPECT_TRUE(m.attachments().empty());
  EXPECT_EQ(m.headers().first("To")->value(), "Ned Freed <ned@innosoft.com>");
}

std::string realistic() {
  return "From: \"=?UTF-8?B?U2hvcCDinJM=?=\" <news@shop.example>\r\n"
         "To: user@example.org\r\n"
         "Subject: =?iso-8859-1?q?Soldes_d'=E9t=E9?=\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
         "\r\n"
         "--outer\r\n"
         "Content-Type: multipart/alternative; boundary=\"outerinner\"\r\n"
         "\r\n"
         "--outerinner\r\n"
         "Content-Type: text/plain; charset=iso-8859-1\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n"
         "\r\n"
         "Caf=E9 =E0 moiti=E9 prix: www.shop.example/cafe\r\n"
         "--outerinner\r\n"
         "Content-Type: text/html; charset=utf-8\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "PGh0bWw+PGJvZHk+PHA+Q2Fmw6kgPGEgaHJlZj0iaHR0cDovL1Nob3AuRXhhbXBsZS9jYWZlIj5p\r\n"
         "Y2k8L2E+PC9wPjwvYm9keT48L2h0bWw+\r\n"
         "--outerinner--\r\n"
         "--outer\r\n"
         "Content-Type: application/pdf; name=\"=?UTF-8?Q?facture_=E2=82=AC.pdf?=\"\r\n"
         "Content-Disposition: attachment; filename*=UTF-8''facture%20%E2%82%AC.pdf\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "JVBERi0xLjQK\r\n"
         "--outer\r\n"
         "Content-Type: message/rfc822\r\n"
         "\r\n"
         "From: inner@example.net\r\n"
         "Subject: inner\r\n"
         "Content-Type: text/plain\r\n"
         "\r\n"
         "Forwarded body http://inner.example.net/x\r\n"
         "--outer--\r\n";
}

TEST(Message, NestedTreeTextAttachmentsUrls) {
  std::string raw = realistic();
  Message m = Message::parse(raw);
  // 0 mixed, 1 alternative, 2 plain, 3 html, 4 pdf, 5 message/rfc822, 6 inner message
  ASSERT_EQ(m.parts().size(), 7u);
  EXPECT_EQ(m.parts()[1].content_type.mime_type(), "multipart/alternative");
  EXPECT_EQ(m.parts()[1].children, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(m.parts()[5].kind, PartKind::kMessage);
  EXPECT_EQ(m.parts()[6].parent, 5u);
  EXPECT_EQ(m.parts()[6].headers.first("Subject")->value(), "inner");
  EXPECT_EQ(m.parts()[6].depth, 2u);
  EXPECT_EQ(m.subject(), "Soldes d'\xC3\xA9t\xC3\xA9");

  ASSERT_EQ(m.text_parts().size(), 3u);
  EXPECT_EQ(
      m.text_parts()[0].text,
      "Caf\xC3\xA9 \xC3\xA0 moiti\xC3\xA9 prix: www.shop.example/cafe");  // the CRLF belongs to the delimiter
  EXPECT_TRUE(m.text_parts()[0].alternative);
  EXPECT_EQ(m.text_parts()[0].charset, "windows-1252");
  EXPECT_TRUE(m.text_parts()[1].html);
  EXPECT_EQ(m.text_parts()[1].text, "Caf\xC3\xA9 ici");
  EXPECT_EQ(m.text_parts()[2].text, "Forwarded body http://inner.example.net/x");
  EXPECT_EQ(m.text_parts()[2].part, 6u);

  ASSERT_EQ(m.attachments().size(), 1u);
  EXPECT_EQ(m.attachments()[0].filename, "facture \xE2\x82\xAC.pdf");
  EXPECT_EQ(m.attachments()[0].content_type, "application/pdf");
  EXPECT_EQ(m.attachments()[0].size, 9u);
  EXPECT_EQ(m.decode_body(m.parts()[4]), "%PDF-1.4\n");

  std::vector<std::string> urls;
  for (const Url& u : m.urls()) urls.push_back(u.url + " " + u.host);
  std::vector<std::string> want = {"http://www.shop.example/cafe www.shop.example",
                                   "http://shop.example/cafe shop.example",
                                   "http://inner.example.net/x inner.example.net"};
  EXPECT_EQ(urls, want);
  EXPECT_EQ(m.urls()[1].source, UrlSource::kHtmlHref);
  EXPECT_TRUE(m.defects().empty()) << defect_name(m.defects()[0].kind);
}

TEST(Message, BoundaryPrefixOfInnerBoundary) {
  // "outer" is a prefix of "outerinner": inner delimiter lines are not outer ones.
  Message m = Message::parse(realistic());
  EXPECT_EQ(m.root().children.size(), 3u);
}

TEST(Message, OuterDelimiterClosesUnclosedInner) {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=A\r\n\r\n"
      "--A\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n"
      "--B\r\n\r\ninner one\r\n"
      "--A\r\n\r\nouter two\r\n--A--\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 4u);
  EXPECT_EQ(m.parts()[2].body, "inner one");
  EXPECT_EQ(m.parts()[3].body, "outer two");
  EXPECT_TRUE(m.has_defect(DefectKind::kMissingCloseDelimiter));
}

TEST(Message, Base64EncodedMessageRfc822) {
  std::string raw =
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "U3ViamVjdDogaW5uZXINCg0KaGVsbG8NCg==\r\n";  // "Subject: inner\r\n\r\nhello\r\n"
  Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 2u);
  EXPECT_TRUE(m.parts()[1].in_decoded);
  EXPECT_EQ(m.parts()[1].headers.first("subject")->value(), "inner");
  ASSERT_EQ(m.text_parts().size(), 1u);
  EXPECT_EQ(m.text_parts()[0].text, "hello\n");
  EXPECT_TRUE(m.has_defect(DefectKind::kMultipartEncoded));
}

TEST(Message, DigestDefaultsToMessageRfc822) {
  std::string raw =
      "Content-Type: multipart/digest; boundary=d\r\n\r\n"
      "--d\r\n\r\nSubject: one\r\n\r\nbody one\r\n"
      "--d--\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 3u);
  EXPECT_EQ(m.parts()[1].kind, PartKind::kMessage);
  EXPECT_EQ(m.parts()[2].headers.first("Subject")->value(), "one");
}

struct Malformed {
  const char* name;
  std::string raw;
  DefectKind defect;
  size_t text_parts;
};

TEST(Message, MalformedTable) {
  const Malformed cases[] = {
      {"missing boundary parameter", "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n",
       DefectKind::kMissingBoundary, 1},
      {"no delimiter in body", "Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n",
       DefectKind::kNoBoundaryFound, 1},
      {"missing close delimiter",
       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo",
       DefectKind::kMissingCloseDelimiter, 2},
      {"invalid content type", "Content-Type: garbage\r\n\r\ntext", DefectKind::kInvalidContentType, 1},
      {"bad base64", "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8*!!d29y", DefectKind::kBase64Garbage,
       1},
      {"truncated base64", "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29",
       DefectKind::kBase64Truncated, 1},
      {"bad qp", "Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4", DefectKind::kQpInvalidEscape, 1},
      {"unknown cte", "Content-Transfer-Encoding: x-foo\r\n\r\nt", DefectKind::kUnknownTransferEncoding, 1},
      {"unknown charset", "Content-Type: text/plain; charset=x-bogus\r\n\r\ncaf\xE9",
       DefectKind::kUnknownCharset, 1},
      {"bad utf-8", "Content-Type: text/plain; charset=utf-8\r\n\r\n\xFF\xFE", DefectKind::kCharsetError, 1},
      {"base64 multipart",
       "Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       "--b\r\n\r\nx\r\n--b--\r\n",
       DefectKind::kMultipartEncoded, 1},
      {"invalid boundary",
       std::string("Content-Type: multipart/mixed; boundary=\"") + std::string(80, 'b') + "\"\r\n\r\n--" +
           std::string(80, 'b') + "\r\n\r\nx\r\n",
       DefectKind::kInvalidBoundary, 1},
      {"nul bytes", std::string("Subject: a\0b\r\n\r\nbody\0x", 22), DefectKind::kNul, 1},
      {"bare cr", "Subject: a\rb\r\n\r\nbody\rmore", DefectKind::kBareCr, 1},
      {"bare lf", "Subject: a\n\nbody\n", DefectKind::kBareLf, 1},
      {"no body", "Subject: only headers", DefectKind::kNoBody, 1},
  };
  for (const Malformed& c : cases) {
    Message m = Message::parse(c.raw);
    EXPECT_TRUE(m.has_defect(c.defect)) << c.name;
    EXPECT_EQ(m.text_parts().size(), c.text_parts) << c.name;
    for (const Defect& d : m.defects()) EXPECT_LE(d.offset, c.raw.size()) << c.name;
  }
  Message nul = Message::parse(std::string("Subject: a\r\n\r\nbo\0dy", 19));
  ASSERT_EQ(nul.text_parts().size(), 1u);
  EXPECT_EQ(nul.text_parts()[0].text, "body");
  Message cr = Message::parse("Subject: a\r\n\r\nx\ry\r\nz");
  EXPECT_EQ(cr.text_parts()[0].text, "x\ny\nz");
}

// Malformed MIME read the way mail clients show it: the text a reader sees
// (display_text) for each case, and the defect that records the oddity.
struct Shown {
  const char* name;
  std::string raw;
  const char* display;  // display_text() (exact)
  DefectKind defect;
};

TEST(Message, MalformedShownAsClientsShowIt) {
  const std::string deep = [] {
    std::string r;
    for (int i = 0; i < 40; ++i)
      r += "Content-Type: multipart/mixed; boundary=d" + std::to_string(i) + "\r\n\r\n--d" +
           std::to_string(i) + "\r\n";
    return r + "\r\nbottom\r\n";
  }();
  const Shown cases[] = {
      // Missing close delimiter: the last part runs to the end.
      {"missing close delimiter",
       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\nthree",
       "one\ntwo\nthree\n", DefectKind::kMissingCloseDelimiter},
      // An outer delimiter ends an unclosed inner multipart.
      {"unclosed inner multipart",
       "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; "
       "boundary=i\r\n\r\n"
       "--i\r\n\r\ninner\r\n--o\r\n\r\nouter\r\n--o--\r\n",
       "inner\nouter\n", DefectKind::kMissingCloseDelimiter},
      // No boundary parameter: the body is text, as written.
      {"missing boundary parameter", "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n", "--x\n\nhi\n",
       DefectKind::kMissingBoundary},
      {"boundary never used", "Content-Type: multipart/alternative; boundary=zz\r\n\r\njust text\r\n",
       "just text\n", DefectKind::kNoBoundaryFound},
      // Bad base64: garbage skipped, the rest decoded.
      {"base64 garbage", "Content-Transfer-Encoding: base64\r\n\r\naGVs bG8g!!!d29y\r\n*bGQ=\r\n",
       "hello world\n", DefectKind::kBase64Garbage},
      {"base64 cut short", "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29yb", "hello wor\n",
       DefectKind::kBase64Truncated},
      // Bad quoted-printable: escapes that are not escapes stay as written.
      {"qp bad escapes",
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
       "caf=C3=A9 =ZZ ok=\r\nay 100=",
       "caf\xc3\xa9 =ZZ okay 100\n", DefectKind::kQpInvalidEscape},  // a final "=" is a soft break
      // Wrong Content-Transfer-Encoding values, read as what they spell.
      {"cte Base 64", "Content-Transfer-Encoding: Base 64\r\n\r\naGVsbG8=\r\n", "hello\n",
       DefectKind::kUnknownTransferEncoding},
      {"cte base-64", "Content-Transfer-Encoding: base-64\r\n\r\naGVsbG8=\r\n", "hello\n",
       DefectKind::kUnknownTransferEncoding},
      {"cte quoted printable", "Content-Transfer-Encoding: quoted printable\r\n\r\na=3Db\r\n", "a=b\n",
       DefectKind::kUnknownTransferEncoding},
      {"cte 8-bit",
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8-bit\r\n\r\n\xc3\xa9\r\n",
       "\xc3\xa9\n", DefectKind::kUnknownTransferEncoding},
      {"cte unknown", "Content-Transfer-Encoding: x-gzip64\r\n\r\nas is\r\n", "as is\n",
       DefectKind::kUnknownTransferEncoding},
      // Charsets: unknown label, invalid bytes.
      {"unknown charset", "Content-Type: text/plain; charset=x-bogus\r\n\r\ncaf\xE9\r\n", "caf\xc3\xa9\n",
       DefectKind::kUnknownCharset},
      {"invalid utf-8", "Content-Type: text/plain; charset=utf-8\r\n\r\na\xFF\x62\r\n", "a\xef\xbf\xbd\x62\n",
       DefectKind::kCharsetError},
      // Nesting deeper than the cap: the part at the cap is read as text.
      {"too deep", deep, nullptr, DefectKind::kTooDeep},
  };
  for (const Shown& c : cases) {
    SCOPED_TRACE(c.name);
    Message m = Message::parse(c.raw);
    EXPECT_TRUE(m.has_defect(c.defect));
    const std::string shown = m.display_text();
    EXPECT_TRUE(is_valid_utf8(shown));
    if (c.display != nullptr) {
      EXPECT_EQ(shown, c.display);
    } else {
      EXPECT_NE(shown.find("bottom"), std::string::npos);
      for (const Part& p : m.parts()) EXPECT_LE(p.depth, 32u);
    }
  }
}

// The text the classifier gets (display_text) is what a mail client shows:
// the HTML alternative's visible text (not the plain one it passes over),
// decoded charsets and encoded words, inline text parts, and attachments by
// name, never their bytes.
TEST(Message, DisplayTextIsWhatAClientShows) {
  const std::string raw =
      "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n"
      "Subject: =?iso-8859-1?q?R=E9union?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
      "--mix\r\n"
      "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "PLAIN ONLY r=E9union\r\n"
      "--alt\r\n"
      "Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
      "--rel\r\n"
      "Content-Type: text/html; charset=windows-1252\r\n\r\n"
      "<html><head><style>p{color:red}</style><title>t</title></head><body>"
      "<p>R\xe9union &amp; caf\xe9</p><div style=\"display:none\">hidden</div>"
      "<p>Price: 5\x80</p></body></html>\r\n"
      "--rel\r\n"
      "Content-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo>\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
      "--rel--\r\n"
      "--alt--\r\n"
      "--mix\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n\r\n"
      "Signature \xe2\x80\x94 Zo\xc3\xab\r\n"
      "--mix\r\n"
      "Content-Type: application/pdf; name=\"=?utf-8?b?UsOpc3Vtw6kucGRm?=\"\r\n"
      "Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfs\r\n"
      "--mix--\r\n";
  Message m = Message::parse(raw);
  EXPECT_EQ(m.subject(), "R\xc3\xa9union");
  ASSERT_EQ(m.text_parts().size(), 3u);
  EXPECT_FALSE(m.text_parts()[0].shown);  // the plain alternative
  EXPECT_TRUE(m.text_parts()[1].shown);
  EXPECT_TRUE(m.text_parts()[2].shown);
  EXPECT_EQ(m.display_text(),
            "R\xc3\xa9union & caf\xc3\xa9\n\nPrice: 5\xe2\x82\xac\n"
            "Signature \xe2\x80\x94 Zo\xc3\xab\n"
            "[attachment: logo.png]\n"
            "[attachment: R\xc3\xa9sum\xc3\xa9.pdf]\n");
  // Bounded, on a character boundary.
  const std::string cut = m.display_text(2);
  EXPECT_EQ(cut, "R");
}

TEST(Message, AlternativeChoosesTheLastWithText) {
  // Plain after HTML: the plain one is shown (RFC 2046 5.1.4, last is best).
  const std::string raw =
      "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: "
      "text/html\r\n\r\n<b>html</b>\r\n"
      "--a\r\nContent-Type: text/plain\r\n\r\nplain\r\n--a\r\nContent-Type: "
      "application/x-unknown\r\n\r\nzz\r\n--a--\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.text_parts().size(), 2u);
  EXPECT_FALSE(m.text_parts()[0].shown);
  EXPECT_TRUE(m.text_parts()[1].shown);
  EXPECT_EQ(m.display_text(), "plain\n");  // an unnamed attachment has nothing to show
}

TEST(Message, AttachmentsOfAPassedOverAlternativeAreNotShown) {
  const std::string raw =
      "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; "
      "boundary=m\r\n\r\n"
      "--m\r\nContent-Type: text/plain\r\n\r\nold\r\n--m\r\nContent-Type: application/pdf; "
      "name=old.pdf\r\n\r\n%PDF\r\n"
      "--m--\r\n--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: "
      "text/html\r\n\r\n"
      "<p>new</p>\r\n--r\r\nContent-Type: image/gif; name=pic.gif\r\n\r\nGIF\r\n--r--\r\n--a--\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.attachments().size(), 2u);
  EXPECT_FALSE(m.attachments()[0].shown);
  EXPECT_TRUE(m.attachments()[1].shown);
  EXPECT_EQ(m.display_text(), "new\n[attachment: pic.gif]\n");
}

TEST(Message, TenThousandHeaders) {
  std::string raw;
  for (int i = 0; i < 10000; ++i) raw += "X-H" + std::to_string(i) + ": v\r\n";
  raw += "Subject: s\r\n\r\nbody";
  Message m = Message::parse(raw);
  EXPECT_EQ(m.headers().size(), 10000u);
  EXPECT_TRUE(m.has_defect(DefectKind::kTooManyFields));
  EXPECT_TRUE(m.truncated());
  EXPECT_EQ(m.text_parts()[0].text, "body");
}

std::string deep_multipart(size_t depth) {
  std::string raw;
  for (size_t i = 0; i < depth; ++i)
    raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
           std::to_string(i) + "\r\n";
  raw += "Content-Type: text/plain\r\n\r\nleaf\r\n";
  return raw;
}

TEST(Message, DeepNestingIsBounded) {
  std::string raw = deep_multipart(10000);
  Message m = Message::parse(raw);
  EXPECT_EQ(m.parts().size(), 33u);  // depths 0..32
  EXPECT_TRUE(m.has_defect(DefectKind::kTooDeep));
  EXPECT_TRUE(m.truncated());
  for (const Part& p : m.parts()) EXPECT_LE(p.depth, 32u);
  // Within the limit, the leaf is reached.
  Message ok = Message::parse(deep_multipart(20));
  EXPECT_FALSE(ok.has_defect(DefectKind::kTooDeep));
  ASSERT_EQ(ok.text_parts().size(), 1u);
  EXPECT_EQ(ok.text_parts()[0].text, "leaf\n");
  // Deep message/rfc822 nesting, too.
  std::string nested;
  for (int i = 0; i < 5000; ++i) nested += "Content-Type: message/rfc822\r\n\r\n";
  Message mm = Message::parse(nested);
  EXPECT_EQ(mm.parts().size(), 33u);
}

TEST(Message, PartCountIsBounded) {
  std::string raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100000; ++i) raw += "--b\r\n\r\nx\r\n";
  MessageLimits lim;
  Message m = Message::parse(raw, lim);
  EXPECT_EQ(m.parts().size(), lim.max_parts);
  EXPECT_TRUE(m.has_defect(DefectKind::kTooManyParts));
  EXPECT_LE(m.text_parts().size(), lim.max_parts);
}

TEST(Message, DecodedBytesAreBounded) {
  std::string raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 10; ++i) raw += "--b\r\n\r\n" + std::string(1000, 'x') + "\r\n";
  MessageLimits lim;
  lim.max_decoded_bytes = 3500;
  Message m = Message::parse(raw, lim);
  EXPECT_LE(m.decoded_bytes(), 3500u);
  EXPECT_TRUE(m.has_defect(DefectKind::kDecodedTooLarge));
  EXPECT_LT(m.text_parts().size(), 10u);
}

TEST(Message, UrlsAreBoundedAndDeduplicated) {
  std::string raw = "Subject: u\r\n\r\n";
  for (int i = 0; i < 3000; ++i) raw += "http://h" + std::to_string(i) + ".test/ http://same.test/\n";
  Message m = Message::parse(raw);
  EXPECT_EQ(m.urls().size(), 1000u);
  EXPECT_TRUE(m.has_defect(DefectKind::kTooManyUrls));
}

// 10 MB pathological inputs must finish (work is linear; no timing asserted).
TEST(Message, LargePathologicalInputsFinish) {
  const size_t n = 10 * 1024 * 1024;
  {
    // Lines that all start like a delimiter but are not one.
    std::string raw = "Content-Type: multipart/mixed; boundary=" + std::string(70, 'b') + "\r\n\r\n";
    while (raw.size() < n) raw += "--" + std::string(69, 'b') + "c\r\n";
    Message m = Message::parse(raw);
    EXPECT_TRUE(m.has_defect(DefectKind::kNoBoundaryFound));
  }
  {
    // Many empty parts at the part limit, nested 30 deep at the start.
    std::string raw = deep_multipart(30);
    while (raw.size() < n) raw += "--b29\r\n";
    Message m = Message::parse(raw);
    EXPECT_LE(m.parts().size(), MessageLimits{}.max_parts);
  }
  {
    // One huge HTML part of nested unclosed tags, base64 garbage and NULs.
    std::string raw = "Content-Type: text/html\r\n\r\n";
    while (raw.size() < n) raw += "<div><a href='http://x.test/<!--";
    Message m = Message::parse(raw);
    EXPECT_EQ(m.text_parts().size(), 1u);
    std::string b = "Content-Transfer-Encoding: base64\r\n\r\n";
    b.resize(n, '\0');
    Message mb = Message::parse(b);
    EXPECT_TRUE(mb.has_defect(DefectKind::kBase64Garbage));
  }
}

TEST(Message, StructureOnly) {
  MessageLimits lim;
  lim.extract_text = false;
  Message m = Message::parse(realistic(), lim);
  EXPECT_EQ(m.parts().size(), 7u);
  EXPECT_TRUE(m.text_parts().empty());
  EXPECT_TRUE(m.urls().empty());
}

TEST(Message, SplitMultipart) {
  MultipartSplit s = split_multipart("pre\r\n--b \t\r\none\r\n--bx\r\n--b--junk\r\n--b--\r\nepi", "b", 100);
  ASSERT_EQ(s.parts.size(), 1u);
  EXPECT_EQ(s.preamble, "pre");
  EXPECT_EQ(s.parts[0], "one\r\n--bx\r\n--b--junk");
  EXPECT_EQ(s.epilogue, "epi");
  EXPECT_TRUE(s.closed);
  s = split_multipart("--b\n\nbare lf\n--b--\n", "b", 100);
  ASSERT_EQ(s.parts.size(), 1u);
  EXPECT_EQ(s.parts[0], "\nbare lf");
}

}  // namespace
}  // namespace rampart::mime

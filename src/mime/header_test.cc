#include "mime/header.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace rampart::mime {
namespace {

TEST(Header, SplitsFieldsAndBodyCrlf) {
  std::string msg = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
  auto h = HeaderSection::parse(msg);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[0].name, "From");
  EXPECT_EQ(h.fields()[0].value(), "a@example.com");
  EXPECT_EQ(h.fields()[0].raw, "From: a@example.com");
  EXPECT_EQ(h.fields()[2].value_raw, " hi");
  EXPECT_EQ(h.body(), "body\r\n");
  EXPECT_TRUE(h.defects().empty());
  // Zero-copy: the views point into the message.
  EXPECT_EQ(h.fields()[1].name.data(), msg.data() + 21);
  EXPECT_EQ(h.fields()[1].offset, 21u);
}

TEST(Header, BareLfAccepted) {
  auto h = HeaderSection::parse("From: a@example.com\nSubject: x\n\nbody\n");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[1].value(), "x");
  EXPECT_EQ(h.body(), "body\n");
  EXPECT_TRUE(h.has_defect(DefectKind::kBareLf));
}

TEST(Header, UnfoldsRfc5322Section322) {
  // RFC 5322 3.2.2: unfolding removes the CRLF before WSP, keeps the WSP.
  auto h = HeaderSection::parse("Subject: This\r\n is a test\r\nX: y\r\n\r\n");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[0].value(), "This is a test");
  EXPECT_EQ(h.fields()[0].raw, "Subject: This\r\n is a test");
  EXPECT_EQ(unfold("a\r\n\tb\n c"), "a\tb c");
}

TEST(Header, ObsFoldWhitespaceOnlyLines) {
  // RFC 5322 4.2 obs-FWS: a folded line may hold only whitespace.
  auto h = HeaderSection::parse("Subject: a\r\n   \r\n b\r\nTo: x\r\n\r\nB");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[0].value(), "a    b");
  EXPECT_EQ(h.body(), "B");
}

TEST(Header, ObsWspBeforeColon) {
  // RFC 5322 4.5.
  auto h = HeaderSection::parse("Subject  : hi\r\n\r\n");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.fields()[0].name, "Subject");
  EXPECT_EQ(h.fields()[0].value(), "hi");
  EXPECT_TRUE(h.has_defect(DefectKind::kObsWspBeforeColon));
}

TEST(Header, CaseInsensitiveLookupInOrder) {
  auto h = HeaderSection::parse("Received: one\r\nFrom: f\r\nRECEIVED: two\r\nreceived: three\r\n\r\n");
  auto r = h.all("received");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]->value(), "one");
  EXPECT_EQ(r[1]->value(), "two");
  EXPECT_EQ(r[2]->value(), "three");
  EXPECT_EQ(h.count("Received"), 3u);
  ASSERT_NE(h.first("FROM"), nullptr);
  EXPECT_EQ(h.first("FROM")->value(), "f");
  EXPECT_EQ(h.first("Sender"), nullptr);
  EXPECT_TRUE(h.fields()[1].is("from"));
}

TEST(Header, MissingColonEndsHeaderSection) {
  auto h = HeaderSection::parse("From: a\r\nthis is not a header\r\nTo: b\r\n\r\nx");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(h.has_defect(DefectKind::kMissingColon));
  EXPECT_EQ(h.body(), "this is not a header\r\nTo: b\r\n\r\nx");
}

TEST(Header, InvalidFieldNameEndsHeaderSection) {
  auto h = HeaderSection::parse("From: a\r\nBad Name: b\r\n\r\n");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(h.has_defect(DefectKind::kInvalidFieldName));
  EXPECT_EQ(h.body_offset(), 9u);
  auto h2 = HeaderSection::parse(": empty name\r\n\r\n");
  EXPECT_EQ(h2.size(), 0u);
  EXPECT_TRUE(h2.has_defect(DefectKind::kInvalidFieldName));
}

TEST(Header, MboxFromLineSkipped) {
  auto h = HeaderSection::parse("From alice@example.com Thu Nov 24 18:22:48 1986\nFrom: a@b\n\nx");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.fields()[0].name, "From");
  EXPECT_TRUE(h.has_defect(DefectKind::kMboxFromLine));
  // "From :" is a field with obs WSP, not an mbox line.
  auto h2 = HeaderSection::parse("From : a@b\r\n\r\n");
  ASSERT_EQ(h2.size(), 1u);
  EXPECT_FALSE(h2.has_defect(DefectKind::kMboxFromLine));
}

TEST(Header, LeadingContinuationSkipped) {
  auto h = HeaderSection::parse(" folded first\r\nFrom: a\r\n\r\n");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(h.has_defect(DefectKind::kLeadingContinuation));
}

TEST(Header, NulBareCrEightBitTolerated) {
  using namespace std::string_literals;
  std::string msg = "Subject: a\0b\r\nX: caf\xc3\xa9\r\nY: a\rb\r\n\r\nbody"s;
  auto h = HeaderSection::parse(msg);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[0].value(), std::string("a\0b", 3));
  EXPECT_EQ(h.fields()[1].value(), "caf\xc3\xa9");
  EXPECT_EQ(h.fields()[2].value(), "a\rb");
  EXPECT_TRUE(h.has_defect(DefectKind::kNul));
  EXPECT_TRUE(h.has_defect(DefectKind::kEightBit));
  EXPECT_TRUE(h.has_defect(DefectKind::kBareCr));
  EXPECT_EQ(h.body(), "body");
}

TEST(Header, NoBody) {
  auto h = HeaderSection::parse("From: a\r\nTo: b");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[1].value(), "b");
  EXPECT_TRUE(h.has_defect(DefectKind::kNoBody));
  EXPECT_EQ(h.body(), "");
  auto e = HeaderSection::parse("");
  EXPECT_EQ(e.size(), 0u);
  EXPECT_TRUE(e.defects().empty());
  // A message that starts with the empty line has no fields.
  auto b = HeaderSection::parse("\r\nbody");
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.body(), "body");
}

TEST(Header, EmptyValue) {
  auto h = HeaderSection::parse("Sender:\r\nFrom:  \r\n \t\r\nTo: x\r\n\r\n");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_TRUE(h.fields()[0].empty_value());
  EXPECT_TRUE(h.fields()[1].empty_value());
  EXPECT_FALSE(h.fields()[2].empty_value());
}

TEST(Header, TenThousandFieldsKeptThenDropped) {
  std::string msg;
  for (int i = 0; i < 10005; ++i) msg += "X-H: " + std::to_string(i) + "\r\n  folded\r\n";
  msg += "\r\nbody";
  auto h = HeaderSection::parse(msg);
  EXPECT_EQ(h.size(), 10000u);
  EXPECT_TRUE(h.truncated());
  EXPECT_TRUE(h.has_defect(DefectKind::kTooManyFields));
  EXPECT_FALSE(h.has_defect(DefectKind::kLeadingContinuation));
  EXPECT_EQ(h.body(), "body");
  EXPECT_EQ(h.fields().back().value(), "9999  folded");
}

TEST(Header, MaxHeaderBytes) {
  HeaderLimits lim;
  lim.max_header_bytes = 32;
  auto h = HeaderSection::parse("A: 1\r\nB: 2\r\nC: a long value that crosses the limit\r\n\r\nbody", lim);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_TRUE(h.truncated());
  EXPECT_TRUE(h.has_defect(DefectKind::kHeaderTooLarge));
  EXPECT_EQ(h.body_offset(), 12u);
}

TEST(Header, DefectCap) {
  HeaderLimits lim;
  lim.max_defects = 2;
  std::string msg;
  for (int i = 0; i < 10; ++i) msg += "X: \x80\n";
  auto h = HeaderSection::parse(msg, lim);
  EXPECT_EQ(h.defects().size(), 2u);
  EXPECT_GT(h.dropped_defects(), 0u);
}

TEST(Header, LinearOnHugeFoldedField) {
  // One field folded 200,000 times and a long unterminated line: must stay
  // linear (a quadratic parser takes minutes here).
  std::string msg = "Subject: x";
  for (int i = 0; i < 200000; ++i) msg += "\r\n y";
  msg += "\r\n";
  msg += std::string(2000000, 'a');
  auto t0 = std::chrono::steady_clock::now();
  HeaderLimits lim;
  lim.max_header_bytes = 64 * 1024 * 1024;
  auto h = HeaderSection::parse(msg, lim);
  auto v = h.fields()[0].value();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_EQ(v.size(), 1u + 200000u * 2u);
  EXPECT_TRUE(h.has_defect(DefectKind::kMissingColon));
  EXPECT_LT(ms.count(), 2000);
}

}  // namespace
}  // namespace rampart::mime

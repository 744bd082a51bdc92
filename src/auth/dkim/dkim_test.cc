// File: src/auth/dkim/dkim_test.cc
// Table tests from the rules of RFC 6376: tag lists (3.2), canonicalization
// (3.4, the examples of 3.4.6), DKIM-Signature tags (3.5), key records
// (3.6.1), header selection and oversigning (5.4.2), and verification
// outcomes over dns::ZoneResolver with a FakeClock.
#include <gtest/gtest.h>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/strings.h"
#include "dns/zone_resolver.h"

namespace rampart::dkim {
namespace {

// ------------------------------------------------------------ tag lists
TEST(TagList, Valid) {
  struct Case {
    const char* text;
    std::vector<std::pair<std::string, std::string>> tags;
  } cases[] = {
      {"v=1; a=rsa-sha256", {{"v", "1"}, {"a", "rsa-sha256"}}},
      {"v=1;a=rsa-sha256;", {{"v", "1"}, {"a", "rsa-sha256"}}},
      {"  v = 1 ;\r\n\ta =\r\n rsa-sha256 ;  ", {{"v", "1"}, {"a", "rsa-sha256"}}},
      {"b=ab cd\r\n ef; x_y1=", {{"b", "ab cd\r\n ef"}, {"x_y1", ""}}},
      {"n=notes with spaces", {{"n", "notes with spaces"}}},
      {"", {}},
      {"  ", {}},
  };
  for (const auto& c : cases) {
    auto tl = parse_tag_list(c.text);
    ASSERT_TRUE(tl) << c.text << ": " << tl.error().message;
    ASSERT_EQ(tl->tags().size(), c.tags.size()) << c.text;
    for (size_t i = 0; i < c.tags.size(); ++i) {
      EXPECT_EQ(tl->tags()[i].name, c.tags[i].first) << c.text;
      EXPECT_EQ(tl->tags()[i].value, c.tags[i].second) << c.text;
    }
  }
}

TEST(TagList, Invalid) {
  for (const char* text : {"v=1; v=1", "v", "=1", "1v=1", "v=1;;a=2", ";", "a=b;c", "a=\x01", "a=b\x7f",
                           "a-b=1", "a=\xc3\xa9"}) {
    EXPECT_FALSE(parse_tag_list(text)) << text;
  }
}

TEST(TagList, CaseSensitiveNamesAndRawRange) {
  auto tl = parse_tag_list("A=1; a=2; b= xy ;c=3");
  ASSERT_TRUE(tl);
  const Tag* upper = tl->find("A");
  const Tag* lower = tl->find("a");
  const Tag* b = tl->find("b");
  ASSERT_TRUE(upper && lower && b);
  EXPECT_EQ(upper->value, "1");
  EXPECT_EQ(lower->value, "2");
  EXPECT_EQ(std::string_view("A=1; a=2; b= xy ;c=3").substr(b->raw_begin, b->raw_end - b->raw_begin), " xy ");
  EXPECT_EQ(split_colon_list(" from : To:subject ").size(), 3u);
  EXPECT_EQ(split_colon_list(" from : To:subject ")[1], "To");
}

// ---------------------------------------------------- canonicalization
TEST(Canon, Rfc6376Section346Examples) {
  const std::string msg = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
  auto hs = mime::HeaderSection::parse(msg);
  ASSERT_EQ(hs.size(), 2u);
  std::string relaxed, simple;
  for (const auto& f : hs.fields()) {
    canonicalize_header(Canon::kRelaxed, f.raw, relaxed);
    canonicalize_header(Canon::kSimple, f.raw, simple);
  }
  EXPECT_EQ(relaxed, "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(simple, "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(canonical_body(Canon::kRelaxed, hs.body()), " C\r\nD E\r\n");
  EXPECT_EQ(canonical_body(Canon::kSimple, hs.body()), " C \r\nD \t E\r\n");
}

TEST(Canon, BodyTable) {
  struct Case {
    const char* in;
    const char* simple;
    const char* relaxed;
  } cases[] = {
      {"", "\r\n", ""},
      {"\r\n", "\r\n", ""},
      {"\r\n\r\n\r\n", "\r\n", ""},
      {"abc", "abc\r\n", "abc\r\n"},
      {"abc\r\n", "abc\r\n", "abc\r\n"},
      {"abc  \r\n \t\r\n\r\n", "abc  \r\n \t\r\n", "abc\r\n"},
      {"a\t\tb  c d\r\n", "a\t\tb  c d\r\n", "a b c d\r\n"},
      {"\r\nx\r\n", "\r\nx\r\n", "\r\nx\r\n"},
      {"  lead\r\n", "  lead\r\n", " lead\r\n"},
      // No final CRLF (RFC 6376 3.4.4, steps a then b, errata 1384): the
      // unterminated last line has no line end to strip WSP before, its WSP
      // run becomes one SP, then step b adds the CRLF (dkimpy agrees).
      {"a \r\n\r\nb \t", "a \r\n\r\nb \t\r\n", "a\r\n\r\nb \r\n"},
      {"\t", "\t\r\n", " \r\n"},
      {"abc\r\n  ", "abc\r\n  \r\n", "abc\r\n \r\n"},
      {"abc\r\n\r\n \t \r\n", "abc\r\n\r\n \t \r\n", "abc\r\n"},
      {"x \r", "x \r\r\n", "x \r\r\n"},  // a CR without LF is an ordinary character
      {"8bit \xc3\xa9\r\n", "8bit \xc3\xa9\r\n", "8bit \xc3\xa9\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(canonical_body(Canon::kSimple, c.in), c.simple) << c.in;
    EXPECT_EQ(canonical_body(Canon::kRelaxed, c.in), c.relaxed) << c.in;
    EXPECT_EQ(canonical_body_length(Canon::kRelaxed, c.in), std::string(c.relaxed).size());
  }
}

TEST(Canon, HeaderTable) {
  struct Case {
    const char* raw;
    const char* relaxed;
  } cases[] = {
      {"Subject: Hi", "subject:Hi\r\n"},
      {"SUBJECT   :   Hi  there  ", "subject:Hi there\r\n"},
      {"Subject:\r\n  folded\r\n\tvalue", "subject:folded value\r\n"},
      {"X-Empty:", "x-empty:\r\n"},
      {"X-Empty:   \r\n ", "x-empty:\r\n"},
      {"To: a@b,\r\n c@d", "to:a@b, c@d\r\n"},
  };
  for (const auto& c : cases) {
    std::string out;
    canonicalize_header(Canon::kRelaxed, c.raw, out);
    EXPECT_EQ(out, c.relaxed) << c.raw;
  }
}

TEST(Canon, EmptyBodyHashes) {
  // Well-known values: SHA-256 of "\r\n" and of "".
  auto s = body_hash(Canon::kSimple, HashAlg::kSha256, "");
  auto r = body_hash(Canon::kRelaxed, HashAlg::kSha256, "\r\n\r\n");
  ASSERT_TRUE(s && r);
  EXPECT_EQ(base64_encode(s->digest), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
  EXPECT_EQ(base64_encode(r->digest), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  auto sha1 = body_hash(Canon::kSimple, HashAlg::kSha1, "");
  ASSERT_TRUE(sha1);
  EXPECT_EQ(base64_encode(sha1->digest), "uoq1oCgLlTqpdDX/iUbLy7J1Wic=");
}

TEST(Canon, BodyLengthLimit) {
  auto full = body_hash(Canon::kSimple, HashAlg::kSha256, "hello\r\n");
  auto part = body_hash(Canon::kSimple, HashAlg::kSha256, "hello\r\nappended junk\r\n", 7);
  ASSERT_TRUE(full && part);
  EXPECT_EQ(full->digest, part->digest);
  EXPECT_EQ(part->hashed, 7u);
  EXPECT_FALSE(body_hash(Canon::kSimple, HashAlg::kSha256, "hello\r\n", 8));  // l= past the end
  auto zero = body_hash(Canon::kRelaxed, HashAlg::kSha256, "x\r\n", 0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(base64_encode(zero->digest), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(Canon, BareLf) {
  std::string out;
  EXPECT_FALSE(to_crlf("a\r\nb\r\n", out));
  EXPECT_TRUE(to_crlf("a\nb\r\nc\n", out));
  EXPECT_EQ(out, "a\r\nb\r\nc\r\n");
  EXPECT_TRUE(to_crlf("\n", out));
  EXPECT_EQ(out, "\r\n");
}

// BodyHasher (streaming) gives body_hash()'s result for any split of the body.
TEST(Canon, StreamingEqualsWhole) {
  uint64_t x = 6376;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  const char alphabet[] = {'a', 'b', ' ', '\t', '\r', '\n', '\r', '\n', 'z'};
  for (int round = 0; round < 3000; ++round) {
    std::string body;
    const size_t len = next(40);
    for (size_t i = 0; i < len; ++i) body.push_back(alphabet[next(sizeof alphabet)]);
    if (round % 3 == 0) body = "line one  \r\n\t\r\nlast" + body;  // longer lines too
    for (Canon c : {Canon::kSimple, Canon::kRelaxed}) {
      const uint64_t total = canonical_body_length(c, body);
      std::optional<uint64_t> limit;
      if (round % 4 == 1) limit = next(total + 3);  // sometimes past the body: an error for both
      auto whole = body_hash(c, HashAlg::kSha256, body, limit);
      BodyHasher h(c, HashAlg::kSha256, limit);
      for (size_t at = 0; at < body.size();) {
        const size_t n = 1 + next(5);
        h.update(std::string_view(body).substr(at, n));
        at += n;
      }
      auto streamed = h.finish();
      ASSERT_EQ(whole.has_value(), streamed.has_value()) << body;
      if (!whole) continue;
      EXPECT_EQ(whole->digest, streamed->digest) << canon_name(c) << " [" << body << "]";
      EXPECT_EQ(whole->canonical, streamed->canonical);
      EXPECT_EQ(whole->hashed, streamed->hashed);
    }
  }
}

// Longer bodies of mostly plain text (the whole-body path skips 8 bytes at a
// time where nothing changes): still equal to the streaming hasher, which
// goes byte by byte, for whitespace at every alignment.
TEST(Canon, LongBodiesEqualStreaming) {
  uint64_t x = 8463;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  const char rare[] = {' ', ' ', '\t', '\r', '\n', ' '};
  for (int round = 0; round < 2000; ++round) {
    std::string body;
    const size_t len = 9 + next(300);
    const uint64_t density = 2 + next(40);  // one special byte in `density`
    for (size_t i = 0; i < len; ++i)
      body.push_back(next(density) == 0 ? rare[next(sizeof rare)] : static_cast<char>('a' + next(26)));
    if (round % 2 == 0) body += "\r\n";
    for (Canon c : {Canon::kSimple, Canon::kRelaxed}) {
      auto whole = body_hash(c, HashAlg::kSha256, body);
      BodyHasher h(c, HashAlg::kSha256);
      for (size_t at = 0; at < body.size();) {
        const size_t n = 1 + next(64);
        h.update(std::string_view(body).substr(at, n));
        at += n;
      }
      auto streamed = h.finish();
      ASSERT_TRUE(whole && streamed);
      ASSERT_EQ(whole->digest, streamed->digest) << canon_name(c) << " [" << body << "]";
      ASSERT_EQ(whole->canonical, streamed->canonical);
    }
  }
}

// A bare LF is found wherever it is (the check reads 8 bytes at a time).
TEST(Canon, BareLfAnyPosition) {
  std::string out;
  for (size_t len = 1; len < 40; ++len)
    for (size_t at = 0; at < len; ++at) {
      std::string m;
      for (size_t i = 0; i + 1 < len; i += 2) m += "\r\n";
      m.resize(len, 'x');
      if (m[len - 1] == '\r') m[len - 1] = 'x';
      const std::string clean = m;
      EXPECT_FALSE(to_crlf(clean, out)) << len;
      m[at] = '\n';
      if (at > 0 && m[at - 1] == '\r') m[at - 1] = 'y';
      ASSERT_TRUE(to_crlf(m, out)) << len << " " << at;
      EXPECT_EQ(out.find("\r\r"), std::string::npos);
      EXPECT_FALSE(to_crlf(out, m));  // the result has none left
    }
}

TEST(Base64, RoundTripAndErrors) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(*base64_decode("Zm9v\r\n YmFy"), "foobar");
  for (const char* bad : {"Zm9", "Zm9v!", "Zg=a", "Zg===", "Z==="}) EXPECT_FALSE(base64_decode(bad)) << bad;
}

// ------------------------------------------------------- signature tags
constexpr const char* kGood = "v=1; a=rsa-sha256; d=Example.COM; s=sel; h=From:To; bh=AAAA; b=AAAA";

TEST(Signature, Defaults) {
  auto s = parse_signature(kGood);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->domain, "example.com");
  EXPECT_EQ(s->identity, "@example.com");
  EXPECT_EQ(s->header_canon, Canon::kSimple);
  EXPECT_EQ(s->body_canon, Canon::kSimple);
  EXPECT_EQ(s->signed_headers, (std::vector<std::string>{"from", "to"}));
  EXPECT_FALSE(s->body_length);
  EXPECT_EQ(s->key_name(), "sel._domainkey.example.com");
}

TEST(Signature, TagRules) {
  struct Case {
    std::string extra;  // appended to kGood
    bool ok;
  } cases[] = {
      {"; c=relaxed", true},
      {"; c=relaxed/relaxed", true},
      {"; c=simple/relaxed", true},
      {"; c=fancy", false},
      {"; c=relaxed/fancy", false},
      {"; i=user@example.com", true},
      {"; i=@mail.EXAMPLE.com", true},
      {"; i=user@badexample.com", false},
      {"; i=user@com", false},
      {"; i=nouser", false},
      {"; i=us=3Der@example.com", true},
      {"; l=0", true},
      {"; l=123456", true},
      {"; l=-1", false},
      {"; l=99999999999999999999999", false},
      {"; q=dns/txt", true},
      {"; q=dns/txt:other/x", true},
      {"; q=http", false},
      {"; t=100; x=200", true},
      {"; t=200; x=100", false},
      {"; t=abc", false},
      {"; z=From:foo|To:bar", true},
      {"; unknown=tag", true},
      {"; a=rsa-sha1", false},  // duplicate a=
      {"; v=1", false},         // duplicate v=
  };
  for (const auto& c : cases) {
    auto s = parse_signature(std::string(kGood) + c.extra);
    EXPECT_EQ(static_cast<bool>(s), c.ok) << c.extra << (s ? "" : ": " + s.error().message);
  }
}

TEST(Signature, RequiredAndInvalid) {
  for (const char* text : {
           "a=rsa-sha256; d=example.com; s=sel; h=From; bh=AAAA; b=AAAA",             // no v
           "v=2; a=rsa-sha256; d=example.com; s=sel; h=From; bh=AAAA; b=AAAA",        // bad v
           "v=1; d=example.com; s=sel; h=From; bh=AAAA; b=AAAA",                      // no a
           "v=1; a=rsa-md5; d=example.com; s=sel; h=From; bh=AAAA; b=AAAA",           // unknown a
           "v=1; a=rsa-sha256; s=sel; h=From; bh=AAAA; b=AAAA",                       // no d
           "v=1; a=rsa-sha256; d=example.com; h=From; bh=AAAA; b=AAAA",               // no s
           "v=1; a=rsa-sha256; d=example.com; s=sel; bh=AAAA; b=AAAA",                // no h
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=To:Subject; bh=AAAA; b=AAAA",  // no From
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=From; b=AAAA",                 // no bh
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=From; bh=AAAA",                // no b
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=From; bh=AAAA; b=",            // empty b
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=From; bh=A*AA; b=AAAA",        // bad base64
           "v=1; a=rsa-sha256; d=exa..mple.com; s=sel; h=From; bh=AAAA; b=AAAA",      // bad d
           "v=1; a=rsa-sha256; d=example.com; s=se l; h=From; bh=AAAA; b=AAAA",       // bad s
           "v=1; a=rsa-sha256; d=example.com; s=sel; h=From::To; bh=AAAA; b=AAAA",    // empty h item
       }) {
    EXPECT_FALSE(parse_signature(text)) << text;
  }
}

TEST(Signature, StripB) {
  auto s = strip_b_value("DKIM-Signature: v=1; b=abc\r\n def; bh=xyz; d=x");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "DKIM-Signature: v=1; b=; bh=xyz; d=x");
  auto e = strip_b_value("DKIM-Signature: v=1; bh=xyz;\r\n b=abc\r\n def");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "DKIM-Signature: v=1; bh=xyz;\r\n b=");
}

// ---------------------------------------------------------- key records
TEST(KeyRecord, Rules) {
  struct Case {
    const char* text;
    bool ok;
    bool revoked;
    KeyType type;
    bool testing;
    bool strict;
  } cases[] = {
      {"v=DKIM1; p=AAAA", true, false, KeyType::kRsa, false, false},
      {"p=AAAA", true, false, KeyType::kRsa, false, false},
      {"v=DKIM1; k=ed25519; p=AAAA", true, false, KeyType::kEd25519, false, false},
      {"v=DKIM1; p=", true, true, KeyType::kRsa, false, false},
      {"v=DKIM1; t=y:s; p=AAAA", true, false, KeyType::kRsa, true, true},
      {"v=DKIM1; t=y; p=AAAA", true, false, KeyType::kRsa, true, false},
      {"v=DKIM1; t=x:s; p=AAAA", true, false, KeyType::kRsa, false, true},
      {"v=DKIM1; s=email; p=AAAA", true, false, KeyType::kRsa, false, false},
      {"v=DKIM1; s=*; p=AAAA", true, false, KeyType::kRsa, false, false},
      {"v=DKIM1; s=other:email; p=AAAA", true, false, KeyType::kRsa, false, false},
      {"v=DKIM1; n=some notes; g=*; p=AAAA", true, false, KeyType::kRsa, false, false},
      {"v=DKIM1; s=other; p=AAAA", false, false, KeyType::kRsa, false, false},
      {"p=AAAA; v=DKIM1", false, false, KeyType::kRsa, false, false},
      {"v=DKIM2; p=AAAA", false, false, KeyType::kRsa, false, false},
      {"v=DKIM1; k=rsa", false, false, KeyType::kRsa, false, false},
      {"v=DKIM1; p=A!AA", false, false, KeyType::kRsa, false, false},
      {"v=DKIM1; h=md5; p=AAAA", false, false, KeyType::kRsa, false, false},
      {"v=DKIM1; p=AAAA; p=BBBB", false, false, KeyType::kRsa, false, false},
  };
  for (const auto& c : cases) {
    auto k = parse_key_record(c.text);
    ASSERT_EQ(static_cast<bool>(k), c.ok) << c.text << (k ? "" : ": " + k.error().message);
    if (!k) continue;
    EXPECT_EQ(k->revoked(), c.revoked) << c.text;
    EXPECT_EQ(k->type, c.type) << c.text;
    EXPECT_EQ(k->testing, c.testing) << c.text;
    EXPECT_EQ(k->strict, c.strict) << c.text;
  }
  auto h = parse_key_record("v=DKIM1; h=sha256; p=AAAA");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->allows(HashAlg::kSha256));
  EXPECT_FALSE(h->allows(HashAlg::kSha1));
  auto unk = parse_key_record("v=DKIM1; k=dsa; p=AAAA");
  ASSERT_TRUE(unk);
  EXPECT_TRUE(unk->unknown_type);
}

// ------------------------------------------------------ sign and verify
struct Keys {
  PrivateKey rsa, ed, rsa512;
  Keys() {
    rsa = *load_private_key(testing::generate_pem(KeyType::kRsa, 2048));
    ed = *load_private_key(testing::generate_pem(KeyType::kEd25519));
    rsa512 = *load_private_key(testing::generate_pem(KeyType::kRsa, 512));
  }
};
const Keys& keys() {
  static Keys k;
  return k;
}

const std::string kMsg =
    "From: Alice <alice@example.com>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Lunch\r\n"
    "Date: Mon, 13 Nov 2023 10:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Shall we meet at noon?  \r\n"
    "\r\n"
    "-- Alice\r\n";

class VerifyTest : public ::testing::Test {
 protected:
  VerifyTest() : clock_(1700000000) {
    dns_.add("rsa._domainkey.example.com", testing::txt_record(testing::key_record(keys().rsa)));
    dns_.add("ed._domainkey.example.com", testing::txt_record(testing::key_record(keys().ed)));
  }
  std::string signed_msg(const std::string& msg, SignOptions o, const PrivateKey& key) {
    if (o.domain.empty()) o.domain = "example.com";
    if (o.selector.empty()) o.selector = key.type == KeyType::kRsa ? "rsa" : "ed";
    if (!o.timestamp) o.timestamp = 1700000000;
    auto f = sign(msg, key, o);
    EXPECT_TRUE(f) << (f ? "" : f.error().message);
    return f ? *f + msg : msg;
  }
  std::vector<SignatureResult> verify(const std::string& msg) {
    Verifier v(dns_, clock_);
    return v.verify_sync(msg);
  }
  dns::ZoneResolver dns_;
  FakeClock clock_;
};

TEST_F(VerifyTest, EveryAlgorithmAndCanonicalization) {
  for (const PrivateKey* key : {&keys().rsa, &keys().ed}) {
    for (Canon hc : {Canon::kSimple, Canon::kRelaxed}) {
      for (Canon bc : {Canon::kSimple, Canon::kRelaxed}) {
        SignOptions o;
        o.header_canon = hc;
        o.body_canon = bc;
        auto rs = verify(signed_msg(kMsg, o, *key));
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
        EXPECT_EQ(rs[0].domain, "example.com");
        EXPECT_FALSE(rs[0].weak);
      }
    }
  }
}

TEST_F(VerifyTest, NoSignature) { EXPECT_TRUE(verify(kMsg).empty()); }

TEST_F(VerifyTest, BodyTampered) {
  std::string m = signed_msg(kMsg, {}, keys().rsa);
  m.replace(m.find("noon"), 4, "nine");
  auto rs = verify(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kFail);
  EXPECT_EQ(rs[0].fail, FailKind::kBodyHash);
}

TEST_F(VerifyTest, HeaderTampered) {
  std::string m = signed_msg(kMsg, {}, keys().ed);
  m.replace(m.find("Lunch"), 5, "Money");
  auto rs = verify(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kFail);
  EXPECT_EQ(rs[0].fail, FailKind::kSignature);
}

TEST_F(VerifyTest, RelaxedSurvivesWhitespaceAndCaseChanges) {
  SignOptions o;  // relaxed/relaxed
  std::string m = signed_msg(kMsg, o, keys().rsa);
  m.replace(m.find("Subject: Lunch"), 14, "SUBJECT:   Lunch  ");
  m.replace(m.find("noon?  "), 7, "noon?\t ");
  auto rs = verify(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
}

TEST_F(VerifyTest, OversigningRejectsAddedHeaders) {
  SignOptions o;
  o.headers = {"from", "to", "subject", "subject", "reply-to"};  // subject and reply-to oversigned
  std::string m = signed_msg(kMsg, o, keys().rsa);
  EXPECT_EQ(verify(m)[0].result, Verdict::kPass);
  // A second Subject added below: bottom-up selection picks it first.
  std::string added = m;
  added.insert(added.find("\r\n\r\n") + 2, "Subject: Free money\r\n");
  EXPECT_EQ(verify(added)[0].result, Verdict::kFail);
  std::string reply = m;
  reply.insert(reply.find("\r\n\r\n") + 2, "Reply-To: evil@example.org\r\n");
  EXPECT_EQ(verify(reply)[0].result, Verdict::kFail);
  // Without oversigning, a Subject added above the signed one is not covered:
  // bottom-up selection still finds the original, lowest one.
  SignOptions plain;
  plain.headers = {"from", "to", "subject"};
  std::string m2 = signed_msg(kMsg, plain, keys().rsa);
  m2.insert(m2.find("Subject: Lunch"), "Subject: Other\r\n");
  EXPECT_EQ(verify(m2)[0].result, Verdict::kPass);
}

// Issue 11: 20,000 header fields and an h= of 200,000 names. Selection goes
// through a HeaderIndex (one lookup per h= name, not a scan of every field per
// name), h= is capped at kMaxSignedHeaders, the header section at
// header_limits.max_fields; a limit gives neutral with a reason naming it,
// never fail.
std::string many_fields(size_t n) {
  std::string h;
  h.reserve(n * 24);
  for (size_t i = 0; i < n; ++i) h += "X-Trace: hop " + std::to_string(i) + "\r\n";
  return h;
}

TEST_F(VerifyTest, HeaderIndexIsOneLookupPerName) {
  const std::string m = many_fields(20000) + kMsg;
  const mime::HeaderSection hs = mime::HeaderSection::parse(m, mime::HeaderLimits{30000, 4 << 20, 1000});
  ASSERT_EQ(hs.size(), 20005u);
  const HeaderIndex index(hs);
  std::vector<std::string> names(kMaxSignedHeaders - 1, "x-trace");
  names.push_back("from");
  std::string indexed;
  header_hash_input(Canon::kRelaxed, hs, index, names, "DKIM-Signature: b=", indexed);
  EXPECT_TRUE(index.built());
  EXPECT_EQ(index.lookups(), names.size());  // a scan would compare up to 20,005 fields per name
  // Same bytes as the definition: the lowest unused instance, bottom up.
  std::string want;
  for (size_t k = 0; k < kMaxSignedHeaders - 1; ++k)
    want += "x-trace:hop " + std::to_string(20000 - 1 - k) + "\r\n";
  want += "from:Alice <alice@example.com>\r\ndkim-signature:b=";
  EXPECT_EQ(indexed, want);
  // Mixed-case names in h= find the same fields; a name listed more often
  // than present signs nothing more.
  std::string mixed;
  header_hash_input(Canon::kSimple, hs, index, {"FROM", "From", "Subject"}, "DKIM-Signature: b=", mixed);
  EXPECT_EQ(mixed, "From: Alice <alice@example.com>\r\nSubject: Lunch\r\nDKIM-Signature: b=");
  // An ordinary message (fields x names <= kHeaderScanLimit) is scanned, no
  // index built, with the same bytes.
  const mime::HeaderSection small = mime::HeaderSection::parse(kMsg);
  const HeaderIndex small_index(small);
  std::string scanned;
  header_hash_input(Canon::kSimple, small, small_index, {"FROM", "From", "Subject"},
                    "DKIM-Signature: b=", scanned);
  EXPECT_EQ(scanned, mixed);
  EXPECT_FALSE(small_index.built());
}

TEST_F(VerifyTest, ManyFieldsWithinLimitsVerify) {
  // 20,000 fields read (max_fields raised), 1,000 h= names: pass.
  SignOptions o;
  o.headers.assign(kMaxSignedHeaders - 1, "x-trace");
  o.headers.push_back("from");
  const std::string m = signed_msg(many_fields(20000) + kMsg, o, keys().ed);
  VerifyOptions vo;
  vo.header_limits.max_fields = 30000;
  vo.header_limits.max_header_bytes = 4 << 20;
  Verifier v(dns_, clock_, vo);
  auto rs = v.verify_sync(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
  // One more name is refused by the signer.
  o.headers.push_back("x-trace");
  EXPECT_FALSE(sign(m, keys().ed, o));
}

TEST_F(VerifyTest, LimitsGiveNeutralWithTheReason) {
  SignOptions o;
  o.headers = {"from", "subject"};
  const std::string whole = signed_msg(kMsg, o, keys().rsa);
  const std::string sig = whole.substr(0, whole.find("From: Alice"));
  // The signature field with h= listing 200,000 names (From first).
  std::string h = "h=from";
  for (size_t i = 1; i < 200000; ++i) h += ":x-trace";
  std::string big_sig = sig;
  big_sig.replace(big_sig.find("h=from:subject"), std::string("h=from:subject").size(), h);
  const std::string m = big_sig + many_fields(20000) + kMsg;

  // Default limits: the 1.6 MB header section is cut at 1 MiB.
  auto rs = verify(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kNeutral);
  EXPECT_NE(rs[0].reason.find("larger than the limit of 1048576 bytes"), std::string::npos) << rs[0].reason;
  EXPECT_EQ(rs[0].domain, "example.com");

  // All fields read: h= is over kMaxSignedHeaders.
  VerifyOptions vo;
  vo.header_limits.max_fields = 30000;
  vo.header_limits.max_header_bytes = 8 << 20;
  Verifier v(dns_, clock_, vo);
  rs = v.verify_sync(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kNeutral);
  EXPECT_NE(rs[0].reason.find("h= lists 200000 header names, more than the limit of 1000"), std::string::npos)
      << rs[0].reason;

  // 20,000 fields, a valid signature on top: cut at 10,000 fields.
  rs = verify(whole.substr(0, whole.find("From: Alice")) + many_fields(20000) + kMsg);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kNeutral);
  EXPECT_NE(rs[0].reason.find("more header fields than the limit of 10000"), std::string::npos)
      << rs[0].reason;

  // Signatures that may lie past the cut: one neutral result says so.
  const std::string unsigned_big = many_fields(20000) + kMsg;
  rs = verify(unsigned_big);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kNeutral);
  EXPECT_EQ(rs[0].field_index, SIZE_MAX);
  EXPECT_NE(rs[0].reason.find("limit of 10000"), std::string::npos) << rs[0].reason;

  // A signature parse keeps kMaxSignedHeaders names and counts the rest.
  auto parsed = parse_signature(big_sig.substr(big_sig.find(':') + 1));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->signed_header_count, 200000u);
  EXPECT_EQ(parsed->signed_headers.size(), kMaxSignedHeaders);
}

// A milter that does not keep a large body: body_hash_requests() from the
// header section, the body streamed through BodyHashers, verify_task() with
// the results over the header section alone.
TEST_F(VerifyTest, StreamedBodyHashesVerifyACutMessage) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + "  of\ta big body \r\n";
  const std::string msg = kMsg.substr(0, kMsg.find("\r\n\r\n") + 4) + body;
  SignOptions relaxed, simple_l;
  simple_l.body_canon = Canon::kSimple;
  simple_l.body_length = true;
  std::string m = signed_msg(msg, relaxed, keys().ed);
  m = signed_msg(m, simple_l, keys().rsa);
  const mime::HeaderSection hs = mime::HeaderSection::parse(m);
  const auto requests = body_hash_requests(hs);
  ASSERT_EQ(requests.size(), 2u);
  std::vector<PrecomputedBodyHash> pre;
  for (const BodyHashRequest& r : requests) {
    BodyHasher h(r.canon, r.hash, r.limit);
    for (size_t at = 0; at < body.size(); at += 4096) h.update(std::string_view(body).substr(at, 4096));
    pre.push_back({r, h.finish()});
  }
  const std::string cut = m.substr(0, hs.body_offset() + 100);  // what the milter kept
  Verifier v(dns_, clock_);
  auto run = [&](std::vector<PrecomputedBodyHash> p) {
    std::vector<SignatureResult> out;
    bool done = false;
    start(v.verify_task(cut, std::move(p)), [&](std::vector<SignatureResult> r) {
      out = std::move(r);
      done = true;
    });
    while (!done) dns_.wait(50);
    return out;
  };
  auto rs = run(std::move(pre));
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) EXPECT_EQ(r.result, Verdict::kPass) << r.reason;
  rs = run({});  // without them the cut body is hashed: body hash failures
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) EXPECT_NE(r.result, Verdict::kPass);
}

TEST_F(VerifyTest, BodyLength) {
  SignOptions o;
  o.body_length = true;
  std::string m = signed_msg(kMsg, o, keys().rsa);
  auto rs = verify(m + "appended by a list\r\n");
  EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
  VerifyOptions strict;
  strict.allow_body_length = false;
  Verifier v(dns_, clock_, strict);
  EXPECT_EQ(v.verify_sync(m)[0].result, Verdict::kPolicy);
  // l= past the (truncated) body.
  std::string cut = m.substr(0, m.size() - 10);
  EXPECT_EQ(verify(cut)[0].result, Verdict::kPermError);
}

TEST_F(VerifyTest, BareLfIsReadAsCrlf) {
  std::string lf;
  for (char c : kMsg)
    if (c != '\r') lf.push_back(c);
  SignOptions o;
  o.eol = "\n";
  o.header_canon = Canon::kSimple;
  o.body_canon = Canon::kSimple;
  std::string m = signed_msg(lf, o, keys().ed);
  EXPECT_EQ(m.find('\r'), std::string::npos);
  EXPECT_EQ(verify(m)[0].result, Verdict::kPass) << verify(m)[0].reason;
  std::string crlf;
  ASSERT_TRUE(to_crlf(m, crlf));
  EXPECT_EQ(verify(crlf)[0].result, Verdict::kPass);
}

TEST_F(VerifyTest, KeyProblems) {
  dns_.add("revoked._domainkey.example.com", testing::txt_record("v=DKIM1; p="));
  dns_.add("wrongk._domainkey.example.com", testing::txt_record(testing::key_record(keys().ed)));
  dns_.add("strict._domainkey.example.com", testing::txt_record(testing::key_record(keys().rsa, "t=s; ")));
  dns_.add("test._domainkey.example.com", testing::txt_record(testing::key_record(keys().rsa, "t=y; ")));
  dns_.add("sha1only._domainkey.example.com",
           testing::txt_record(testing::key_record(keys().rsa, "h=sha1; ")));
  dns_.add("short._domainkey.example.com", testing::txt_record(testing::key_record(keys().rsa512)));
  dns_.add("garbage._domainkey.example.com", testing::txt_record("v=DKIM1; p=QUJD"));
  dns_.add("syntax._domainkey.example.com", testing::txt_record("v=DKIM1; p"));
  dns_.set_failure("tempfail._domainkey.example.com", dns::RRType::ANY, dns::Status::kServFail);
  dns_.set_failure("timeout._domainkey.example.com", dns::RRType::ANY, dns::Status::kTimeout);
  struct Case {
    const char* selector;
    const PrivateKey* key;
    std::string identity;
    Verdict want;
    FailKind fail;
  } cases[] = {
      {"revoked", &keys().rsa, "", Verdict::kFail, FailKind::kKey},
      {"wrongk", &keys().rsa, "", Verdict::kPermError, FailKind::kNone},
      {"strict", &keys().rsa, "u@mail.example.com", Verdict::kPermError, FailKind::kNone},
      {"strict", &keys().rsa, "u@example.com", Verdict::kPass, FailKind::kNone},
      {"test", &keys().rsa, "", Verdict::kPass, FailKind::kNone},
      {"sha1only", &keys().rsa, "", Verdict::kPermError, FailKind::kNone},
      {"short", &keys().rsa512, "", Verdict::kFail, FailKind::kKey},
      {"garbage", &keys().rsa, "", Verdict::kPermError, FailKind::kNone},
      {"syntax", &keys().rsa, "", Verdict::kPermError, FailKind::kNone},
      {"missing", &keys().rsa, "", Verdict::kPermError, FailKind::kNone},
      {"tempfail", &keys().rsa, "", Verdict::kTempError, FailKind::kNone},
      {"timeout", &keys().ed, "", Verdict::kTempError, FailKind::kNone},
  };
  for (const auto& c : cases) {
    SignOptions o;
    o.selector = c.selector;
    o.identity = c.identity;
    auto rs = verify(signed_msg(kMsg, o, *c.key));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].result, c.want) << c.selector << ": " << rs[0].reason;
    EXPECT_EQ(rs[0].fail, c.fail) << c.selector;
    EXPECT_FALSE(rs[0].reason.empty() && c.want != Verdict::kPass) << c.selector;
    if (std::string(c.selector) == "test") {
      EXPECT_TRUE(rs[0].testing);
    }
  }
}

TEST_F(VerifyTest, Expiry) {
  SignOptions o;
  o.timestamp = 1699990000;
  o.expiration = 1699999999;  // one second before the clock
  EXPECT_EQ(verify(signed_msg(kMsg, o, keys().rsa))[0].result, Verdict::kPermError);
  o.expiration = 1700000000;
  EXPECT_EQ(verify(signed_msg(kMsg, o, keys().rsa))[0].result, Verdict::kPass);
  SignOptions future;
  future.timestamp = 1700000000 + 3600;
  EXPECT_EQ(verify(signed_msg(kMsg, future, keys().rsa))[0].result, Verdict::kPermError);
  clock_.advance(std::chrono::hours(2));
  EXPECT_EQ(verify(signed_msg(kMsg, future, keys().rsa))[0].result, Verdict::kPass);
}

TEST_F(VerifyTest, SeveralSignatures) {
  std::string m = signed_msg(kMsg, {}, keys().rsa);
  m = signed_msg(m, {}, keys().ed);
  std::string bad = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=x; h=to; bh=AAAA; b=AAAA\r\n";
  auto rs = verify(bad + m);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].result, Verdict::kPermError);
  EXPECT_EQ(rs[0].domain, "example.org");
  EXPECT_EQ(rs[1].result, Verdict::kPass);
  EXPECT_EQ(rs[1].algorithm, "ed25519-sha256");
  EXPECT_EQ(rs[2].result, Verdict::kPass);
  EXPECT_EQ(rs[2].algorithm, "rsa-sha256");
  VerifyOptions one;
  one.max_signatures = 1;
  Verifier v(dns_, clock_, one);
  auto limited = v.verify_sync(bad + m);
  ASSERT_EQ(limited.size(), 3u);
  EXPECT_EQ(limited[2].result, Verdict::kNeutral);
}

TEST_F(VerifyTest, RsaSha1IsVerifiedAndWeak) {
  // Build an rsa-sha1 signature by hand (the signer refuses to make one).
  auto hs = mime::HeaderSection::parse(kMsg);
  auto bh = body_hash(Canon::kRelaxed, HashAlg::kSha1, hs.body());
  ASSERT_TRUE(bh);
  std::string field =
      "DKIM-Signature: v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.com; s=rsa;\r\n h=from:to:subject; bh=" +
      base64_encode(bh->digest) + "; b=";
  std::string input;
  header_hash_input(Canon::kRelaxed, hs, {"from", "to", "subject"}, field, input);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha1(), nullptr, keys().rsa.pkey.get()), 1);
  size_t n = 512;
  std::string sig(n, '\0');
  ASSERT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  sig.resize(n);
  std::string m = field + base64_encode(sig) + "\r\n" + kMsg;
  auto rs = verify(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
  EXPECT_TRUE(rs[0].weak);
  VerifyOptions no_sha1;
  no_sha1.allow_sha1 = false;
  Verifier v(dns_, clock_, no_sha1);
  EXPECT_EQ(v.verify_sync(m)[0].result, Verdict::kPolicy);
}

TEST_F(VerifyTest, KeyCacheAvoidsReparsing) {
  Verifier v(dns_, clock_);
  std::string m = signed_msg(kMsg, {}, keys().rsa);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(v.verify_sync(m)[0].result, Verdict::kPass);
  EXPECT_EQ(v.key_cache().misses(), 1u);
  EXPECT_EQ(v.key_cache().hits(), 4u);
}

TEST(Sign, Arguments) {
  const PrivateKey& rsa = keys().rsa;
  SignOptions o;
  o.domain = "example.com";
  o.selector = "s";
  EXPECT_TRUE(sign(kMsg, rsa, o));
  SignOptions bad = o;
  bad.domain = "";
  EXPECT_FALSE(sign(kMsg, rsa, bad));
  bad = o;
  bad.headers = {"to", "subject"};
  EXPECT_FALSE(sign(kMsg, rsa, bad));
  bad = o;
  bad.algorithm = Algorithm::kEd25519Sha256;
  EXPECT_FALSE(sign(kMsg, rsa, bad));
  bad = o;
  bad.algorithm = Algorithm::kRsaSha1;
  EXPECT_FALSE(sign(kMsg, rsa, bad));
  bad = o;
  bad.identity = "user@other.com";
  EXPECT_FALSE(sign(kMsg, rsa, bad));
  EXPECT_FALSE(load_private_key("not a key"));
  EXPECT_FALSE(load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

TEST(Sign, FoldedUnder78Columns) {
  SignOptions o;
  o.domain = "example.com";
  o.selector = "s";
  o.timestamp = 1700000000;
  o.headers = {"from", "to",      "subject", "date",     "message-id", "from",
               "to",   "subject", "date",    "reply-to", "cc"};
  auto f = sign(kMsg, keys().rsa, o);
  ASSERT_TRUE(f);
  for (std::string_view line : rampart::split(*f, '\n')) EXPECT_LE(line.size(), 79u) << line;
  EXPECT_EQ(f->substr(0, 16), "DKIM-Signature: ");
  EXPECT_EQ(f->substr(f->size() - 2), "\r\n");
}

}  // namespace
}  // namespace rampart::dkim

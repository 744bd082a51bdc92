// Table tests for Authentication-Results (RFC 8601): the appendix B
// examples, the section 2.2 CFWS example, malformed inputs, writing and the
// method registry.
#include "auth/authres/authres.h"

#include <gtest/gtest.h>

namespace rampart::authres {
namespace {

struct Expect {
  std::string method, result, ptype, prop, value;
};

struct Case {
  const char* name;
  const char* field;  // whole field
  const char* authserv_id;
  std::vector<Expect> results;  // first property of each result checked (when ptype set)
};

class Rfc8601Examples : public ::testing::TestWithParam<Case> {};

TEST_P(Rfc8601Examples, Parse) {
  const Case& c = GetParam();
  auto ar = parse_field(c.field);
  ASSERT_TRUE(ar) << c.name << ": " << ar.error().message;
  EXPECT_EQ(ar->authserv_id, c.authserv_id) << c.name;
  ASSERT_EQ(ar->results.size(), c.results.size()) << c.name;
  for (size_t i = 0; i < c.results.size(); ++i) {
    EXPECT_EQ(ar->results[i].method, c.results[i].method) << c.name;
    EXPECT_EQ(ar->results[i].result, c.results[i].result) << c.name;
    if (!c.results[i].ptype.empty()) {
      EXPECT_EQ(ar->results[i].property(c.results[i].ptype, c.results[i].prop), c.results[i].value) << c.name;
    }
  }
  // Writing and reading again gives the same structure.
  auto again = parse_field(format(*ar));
  ASSERT_TRUE(again) << c.name << ": " << format(*ar);
  EXPECT_EQ(format(*again), format(*ar));
}

INSTANTIATE_TEST_SUITE_P(
    AppendixB, Rfc8601Examples,
    ::testing::Values(
        // B.2: nothing done
        Case{"B2", "Authentication-Results: example.org 1; none", "example.org", {}},
        // B.3: SPF
        Case{"B3",
             "Authentication-Results: example.com;\r\n"
             "          spf=pass smtp.mailfrom=example.net",
             "example.com",
             {{"spf", "pass", "smtp", "mailfrom", "example.net"}}},
        // B.4: SMTP AUTH and SPF
        Case{"B4",
             "Authentication-Results: example.com;\r\n"
             "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
             "          spf=pass smtp.mailfrom=example.net",
             "example.com",
             {{"auth", "pass", "smtp", "auth", "sender@example.net"},
              {"spf", "pass", "smtp", "mailfrom", "example.net"}}},
        Case{"B4-senderid",
             "Authentication-Results: example.com;\r\n"
             "          sender-id=pass header.from=example.net",
             "example.com",
             {{"sender-id", "pass", "header", "from", "example.net"}}},
        // B.5: iprev with a policy property
        Case{"B5",
             "Authentication-Results: example.com; iprev=pass\r\n"
             "        policy.iprev=192.0.2.200",
             "example.com",
             {{"iprev", "pass", "policy", "iprev", "192.0.2.200"}}},
        // B.6: several DKIM signatures with reasons and header.i
        Case{"B6",
             "Authentication-Results: example.com;\r\n"
             "    dkim=pass reason=\"good signature\"\r\n"
             "      header.i=@mail-router.example.net;\r\n"
             "    dkim=fail reason=\"bad signature\"\r\n"
             "      header.i=@newyork.example.com",
             "example.com",
             {{"dkim", "pass", "header", "i", "@mail-router.example.net"},
              {"dkim", "fail", "header", "i", "@newyork.example.com"}}},
        Case{"B6-router",
             "Authentication-Results: mail-router.example.net;\r\n"
             "          dkim=pass (good signature) header.d=newyork.example.com\r\n"
             "                header.b=oINEO8hg;\r\n"
             "          dkim=fail (bad signature) header.d=newyork.example.com\r\n"
             "                header.b=EToRSuvU",
             "mail-router.example.net",
             {{"dkim", "pass", "header", "b", "oINEO8hg"}, {"dkim", "fail", "header", "b", "EToRSuvU"}}},
        // B.7: a supplemental method (unregistered names parse too)
        Case{"B7",
             "Authentication-Results: example.com;\r\n"
             "  foo=pass bar.baz=blob",
             "example.com",
             {{"foo", "pass", "bar", "baz", "blob"}}},
        // Section 2.2: CFWS wherever the ABNF allows it
        Case{"2.2-cfws",
             "Authentication-Results: foo.example.net (foobar) 1 (baz);\r\n"
             "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
             "      policy (A dot can go here) . (like that) expired\r\n"
             "      (this surprised me) = (as I wasn't expecting it) 1362471462",
             "foo.example.net",
             {{"dkim", "fail", "policy", "expired", "1362471462"}}},
        // Real-world shapes: unquoted base64 in header.b, DMARC with a comment
        Case{"realworld",
             "Authentication-Results: mx.google.com;\r\n"
             "       dkim=pass header.i=@example.com header.s=s1 header.b=Ab/c+d=;\r\n"
             "       spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender)"
             " smtp.mailfrom=a@example.com;\r\n"
             "       dmarc=pass (p=REJECT sp=NONE dis=NONE) header.from=example.com",
             "mx.google.com",
             {{"dkim", "pass", "header", "b", "Ab/c+d="},
              {"spf", "pass", "smtp", "mailfrom", "a@example.com"},
              {"dmarc", "pass", "header", "from", "example.com"}}},
        Case{"quoted-id-and-case",
             "authentication-results: \"mx example\"; SPF=Pass smtp.MailFrom=\"odd value\";",
             "mx example",
             {{"spf", "pass", "smtp", "mailfrom", "odd value"}}},
        Case{"method-version",
             "Authentication-Results: example.com; dkim/1=pass header.d=example.com",
             "example.com",
             {{"dkim", "pass", "header", "d", "example.com"}}}));

TEST(AuthResParse, DetailsOfCfwsExample) {
  auto ar = parse(
      " foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = (wait for it) fail "
      "policy (A dot can go here) . (like that) expired (this surprised me) = (as I wasn't expecting it) "
      "1362471462");
  ASSERT_TRUE(ar) << ar.error().message;
  EXPECT_EQ(ar->version, 1u);
  ASSERT_EQ(ar->results.size(), 1u);
  EXPECT_EQ(ar->results[0].method_version, 1u);
  EXPECT_EQ(ar->results[0].comment, "A dot can go here");  // comments after the result
}

TEST(AuthResParse, NoneAndReason) {
  auto ar = parse("example.com; none");
  ASSERT_TRUE(ar);
  EXPECT_TRUE(ar->results.empty());
  auto r = parse("example.com; dkim=fail reason=\"bad \\\"sig\\\"\" (c (nested)) header.d=example.com");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->results[0].reason, "bad \"sig\"");
  EXPECT_EQ(r->results[0].comment, "c (nested)");
  EXPECT_EQ(r->results[0].property("HEADER", "D"), "example.com");
}

TEST(AuthResParse, Malformed) {
  const char* bad[] = {
      "",                                      // no authserv-id
      "   ",                                   // no authserv-id
      "example.com spf=pass",                  // missing ';'
      "example.com; spf",                      // no "=" result
      "example.com; spf=",                     // no result
      "example.com; =pass",                    // no method
      "example.com; spf=pass smtp",            // ptype without property
      "example.com; spf=pass smtp.mailfrom",   // property without value
      "example.com; spf=pass smtp.mailfrom=",  // empty value
      "example.com; spf=pass (unterminated",   // comment
      "example.com; spf=pass reason=\"open",   // quoted-string
      "example.com; none; spf=pass",           // results after none
      "example.com; spf=pass; none",           // none after results
      "example.com; dkim/x=pass",              // bad method version
  };
  for (const char* b : bad) EXPECT_FALSE(parse(b)) << b;
  EXPECT_FALSE(parse_field("Received: from x"));
  EXPECT_FALSE(parse_field("no colon"));
}

TEST(AuthResParse, Limits) {
  std::string deep = "example.com; spf=pass " + std::string(100, '(') + std::string(100, ')');
  auto d = parse(deep);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kLimit);
  std::string many = "example.com";
  for (int i = 0; i < 300; ++i) many += "; spf=pass";
  auto m = parse(many);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kLimit);
  EXPECT_FALSE(parse(std::string(kMaxInput + 1, 'a')));
}

TEST(AuthResWrite, FoldedAndQuoted) {
  AuthResults ar;
  ar.authserv_id = "mx.example.org";
  ResInfo spf;
  spf.method = "spf";
  spf.result = "pass";
  spf.comment = "mx.example.org: domain of alice@example.com designates 192.0.2.1 as permitted sender";
  spf.props = {{"smtp", "mailfrom", "alice@example.com"}, {"smtp", "helo", "mail.example.com"}};
  ResInfo dkim;
  dkim.method = "dkim";
  dkim.result = "fail";
  dkim.reason = "body hash did not verify";
  dkim.props = {{"header", "d", "example.com"}, {"header", "i", "@example.com"}, {"header", "b", "Ab/c+d=x"}};
  ResInfo dmarc;
  dmarc.method = "dmarc";
  dmarc.result = "pass";
  dmarc.comment = "p=reject dis=none";
  dmarc.props = {{"header", "from", "example.com"}, {"policy", "dmarc", "reject"}};
  ar.results = {spf, dkim, dmarc};
  EXPECT_EQ(
      format(ar),
      "Authentication-Results: mx.example.org;\r\n"
      "\tspf=pass (mx.example.org: domain of alice@example.com designates 192.0.2.1 as permitted sender)"
      " smtp.mailfrom=alice@example.com smtp.helo=mail.example.com;\r\n"
      "\tdkim=fail reason=\"body hash did not verify\" header.d=example.com header.i=@example.com"
      " header.b=\"Ab/c+d=x\";\r\n"
      "\tdmarc=pass (p=reject dis=none) header.from=example.com policy.dmarc=reject");
  FormatOptions flat;
  flat.fold = false;
  flat.include_name = false;
  AuthResults none;
  none.authserv_id = "example.org";
  EXPECT_EQ(format(none, flat), "example.org; none");
  // Hostile text cannot break out of its place.
  ResInfo evil;
  evil.method = "spf";
  evil.result = "pass";
  evil.comment = "a) b\r\nX-Injected: 1 (";
  evil.props = {{"smtp", "mailfrom", "x\"; dkim=pass"}};
  ar.results = {evil};
  std::string s = format(ar, flat);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  auto back = parse(s);
  ASSERT_TRUE(back) << s;
  ASSERT_EQ(back->results.size(), 1u);
  EXPECT_EQ(back->results[0].property("smtp", "mailfrom"), "x\"; dkim=pass");
  EXPECT_EQ(back->results[0].comment, "a) bX-Injected: 1 (");
}

TEST(AuthResRegistry, Methods) {
  for (const char* m : {"spf", "sender-id", "dkim", "dmarc", "arc", "iprev", "auth"})
    EXPECT_NE(find_method(m), nullptr) << m;
  EXPECT_EQ(find_method("bogus"), nullptr);
  EXPECT_TRUE(valid_result("SPF", "softfail"));
  EXPECT_TRUE(valid_result("dkim", "policy"));
  EXPECT_FALSE(valid_result("dkim", "softfail"));
  EXPECT_TRUE(valid_result("arc", "pass"));
  EXPECT_FALSE(valid_result("arc", "temperror"));
  EXPECT_TRUE(valid_result("dmarc", "permerror"));
  EXPECT_TRUE(valid_result("iprev", "temperror"));
  EXPECT_FALSE(valid_result("iprev", "none"));
  EXPECT_TRUE(is_token("example.com"));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a/b"));
}

}  // namespace
}  // namespace rampart::authres

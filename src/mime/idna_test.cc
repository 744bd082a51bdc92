// Tests of IDNA (idna.h) and of its use in addresses and URLs.
#include "mime/idna.h"

#include <gtest/gtest.h>

#include <string>

#include "mime/address.h"
#include "mime/message.h"
#include "mime/url.h"

namespace rampart::mime {
namespace {

struct IdnCase {
  const char* in;
  const char* ascii;    // nullptr: an error
  const char* unicode;  // display form
};

// UTS #46 section 4 processing; vectors from RFC 3492 7.1 (Arabic), the
// UTS #46 conformance classes (mapping, deviation characters under
// non-transitional processing, disallowed code points).
TEST(Idna, ToAsciiAndBack) {
  const IdnCase cases[] = {
      {"B\xc3\xbc\x63her.Example", "xn--bcher-kva.example", "b\xc3\xbc\x63her.example"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example", "b\xc3\xbc\x63her.example"},
      {"XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example", "b\xc3\xbc\x63her.example"},
      // Arabic (RFC 3492 7.1 (A)), right-to-left label.
      {"\xd9\x84\xd9\x8a\xd9\x87\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83\xd9\x84\xd9\x85\xd9\x88\xd8\xb4\xd8"
       "\xb9"
       "\xd8\xb1\xd8\xa8\xd9\x8a\xd8\x9f.example",
       nullptr, nullptr},  // U+061F ARABIC QUESTION MARK is disallowed
      {"\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9.com", "xn--mgbcd4a2b0d2b.com",
       "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9.com"},
      // Mapping: ideographic full stop is a dot, soft hyphen is ignored.
      {"a\xe3\x80\x82\x62\xc3\xbc.de", "a.xn--b-eha.de", "a.b\xc3\xbc.de"},
      {"ex\xc2\xad\x61mple.com", "example.com", "example.com"},
      // Deviation character: non-transitional keeps the sharp s.
      {"Fa\xc3\x9f.de", "xn--fa-hia.de", "fa\xc3\x9f.de"},
      // Cyrillic lookalike stays distinct from the Latin name.
      {"\xd0\xb0pple.com", "xn--pple-43d.com", "\xd0\xb0pple.com"},
      // ASCII is only lower-cased (names DNS holds as written).
      {"Ex_Ample.COM", "ex_ample.com", "ex_ample.com"},
      {"-lead.example", "-lead.example", "-lead.example"},
      // Invalid: not UTF-8, disallowed symbol, hyphen rules on a U-label.
      {"\xff\xfe.com", nullptr, nullptr},
      {"\xe2\x98\x83.net", nullptr, nullptr},
      {"-b\xc3\xbc.de", nullptr, nullptr},
  };
  for (const IdnCase& c : cases) {
    SCOPED_TRACE(c.in);
    auto a = domain_to_ascii(c.in);
    if (c.ascii == nullptr) {
      ASSERT_FALSE(a);
      EXPECT_EQ(a.error().code, Errc::kParse);
      EXPECT_NE(a.error().message.find("invalid internationalised domain name"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*a, c.ascii);
    EXPECT_EQ(domain_to_unicode(*a), c.unicode);
    EXPECT_EQ(domain_to_unicode(c.in), c.unicode);
  }
}

TEST(Idna, BadAlabelDisplaysAsWritten) {
  EXPECT_EQ(domain_to_unicode("xn--zz.Example"), "xn--zz.example");
  EXPECT_EQ(domain_to_unicode("plain.example"), "plain.example");
  auto big = domain_to_ascii(std::string(2000, '\xc3'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::kLimit);
}

TEST(Idna, AddressDomainsAreAlabels) {
  auto mb = parse_mailbox("Kim <kim@\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0.\xd1\x80\xd1\x84>");
  ASSERT_TRUE(mb) << mb.error().message;
  EXPECT_EQ(mb->domain, "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(mb->display_domain(), "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84");
  EXPECT_EQ(mb->addr_spec(), "kim@xn--e1afmkfd.xn--p1ai");
  // The same domain written as U-labels and as A-labels compares equal.
  auto a = parse_mailbox_list("a@B\xc3\xbc\x63her.example, b@xn--bcher-kva.EXAMPLE");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].domain, (*a)[1].domain);
  // Route domains too.
  auto r = parse_mailbox("<@r\xc3\xa9lais.example:x@y.example>");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->route.size(), 1u);
  EXPECT_EQ(r->route[0], "xn--rlais-bsa.example");
}

TEST(Idna, InvalidAddressDomainIsAClearError) {
  const char* bad[] = {"x@\xe2\x98\x83.net", "x@\xff.example", "Name <x@-b\xc3\xbc.de>",
                       "x@b\xc3\xbc\x63her\xef\xbc\x8e"};  // full-width dot at the end: "xn--bcher-kva."
  for (const char* in : bad) {
    SCOPED_TRACE(in);
    auto mb = parse_mailbox(in);
    ASSERT_FALSE(mb);
    EXPECT_EQ(mb.error().code, Errc::kParse);
    EXPECT_NE(mb.error().message.find("invalid internationalised domain name"), std::string::npos)
        << mb.error().message;
    EXPECT_NE(mb.error().message.find("at offset"), std::string::npos);
  }
}

TEST(Idna, UrlHosts) {
  Url u;
  ASSERT_TRUE(normalize_url("https://B\xc3\xbc\x63her.Example/x", u));
  EXPECT_EQ(u.host, "xn--bcher-kva.example");
  EXPECT_FALSE(u.invalid_idn);
  // Full-width letters and the ideographic full stop map (UTS #46).
  ASSERT_TRUE(normalize_url("http://\xef\xbd\x85\xef\xbd\x98\xe3\x80\x82\x63om/", u));
  EXPECT_EQ(u.host, "ex.com");
  // An emoji host browsers still open: kept as punycode, flagged.
  ASSERT_TRUE(normalize_url("http://\xe2\x98\x83.net/", u));
  EXPECT_EQ(u.host, "xn--n3h.net");
  EXPECT_TRUE(u.invalid_idn);
  // Not UTF-8: not a URL.
  EXPECT_FALSE(normalize_url("http://\xff\xfe.com/", u));
  // Mapped to ASCII that is no host name (full-width dollar sign), or with a
  // trailing dot (full-width full stop): checked after mapping.
  EXPECT_FALSE(normalize_url("http://\xef\xbc\x84.com/", u));
  ASSERT_TRUE(normalize_url("http://b\xc3\xbc\x63her.example\xef\xbc\x8e/", u));
  EXPECT_EQ(u.host, "xn--bcher-kva.example");
  Url again;
  ASSERT_TRUE(normalize_url(u.url, again));
  EXPECT_EQ(again.url, u.url);
  // Percent-encoded UTF-8 host.
  ASSERT_TRUE(normalize_url("http://b%C3%BCcher.example/", u));
  EXPECT_EQ(u.host, "xn--bcher-kva.example");
  EXPECT_EQ(domain_to_unicode(u.host), "b\xc3\xbc\x63her.example");
}

TEST(Idna, MessageUrlsAndDefect) {
  const std::string raw =
      "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "Visit http://b\xc3\xbc\x63her.example/a and http://\xe2\x98\x83.net/b\r\n";
  Message m = Message::parse(raw);
  ASSERT_EQ(m.urls().size(), 2u);
  EXPECT_EQ(m.urls()[0].host, "xn--bcher-kva.example");
  EXPECT_EQ(m.urls()[1].host, "xn--n3h.net");
  EXPECT_TRUE(m.has_defect(DefectKind::kInvalidIdn));
}

}  // namespace
}  // namespace rampart::mime

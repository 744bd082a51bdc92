#include "mime/address.h"

#include <string>

#include <gtest/gtest.h>

namespace rampart::mime {
namespace {

struct Ok {
  const char* input;
  const char* display;
  const char* local;
  const char* domain;
};

// RFC 5322 3.4 and the examples of appendix A.1 / A.5 / A.6.3.
TEST(Address, MailboxTable) {
  const Ok cases[] = {
      {"jdoe@machine.example", "", "jdoe", "machine.example"},
      {"John Doe <jdoe@machine.example>", "John Doe", "jdoe", "machine.example"},
      {"Mary Smith <mary@x.test>", "Mary Smith", "mary", "x.test"},
      {"\"Joe Q. Public\" <john.q.public@example.com>", "Joe Q. Public", "john.q.public", "example.com"},
      {"Who? <one@y.test>", "Who?", "one", "y.test"},
      {"<boss@nil.test>", "", "boss", "nil.test"},
      {"\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", "Giant; \"Big\" Box", "sysservices",
       "example.net"},
      // A.5: comments and folding white space.
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "Pete", "pete", "silly.test"},
      {"(nested (comment (three))) a@B.EXAMPLE", "", "a", "b.example"},
      // A.6.3 / 4.4 obsolete: CFWS around dots, obs-phrase with dots.
      {"John Q. Public <john. q . public@ example . com>", "John Q. Public", "john.q.public", "example.com"},
      {"Joe Q. Public <john.q.public@example.com>", "Joe Q. Public", "john.q.public", "example.com"},
      // Quoted local-part.
      {"\"john doe\"@example.com", "", "john doe", "example.com"},
      {"\"a\".\"b\"@example.com", "", "a.b", "example.com"},
      // Domain literal.
      {"user@[192.0.2.1]", "", "user", "[192.0.2.1]"},
      {"user@[ IPv6:2001:DB8::1 ]", "", "user", "[ipv6:2001:db8::1]"},
      {"user@[a\\]b]", "", "user", "[a\\]b]"},  // quoted-pair kept as written
      // 8-bit (RFC 6532) and case.
      {"J\xc3\xb6rg <j\xc3\xb6rg@B\xc3\xbc\x63her.Example>", "J\xc3\xb6rg", "j\xc3\xb6rg",
       "xn--bcher-kva.example"},
      // Folded field body.
      {"John\r\n Doe\r\n <jdoe@example.com>", "John Doe", "jdoe", "example.com"},
      {"=?utf-8?q?J=C3=B6rg?= <j@example.com>", "=?utf-8?q?J=C3=B6rg?=", "j", "example.com"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto mb = parse_mailbox(c.input);
    ASSERT_TRUE(mb) << mb.error().message;
    EXPECT_EQ(mb->display_name, c.display);
    EXPECT_EQ(mb->local_part, c.local);
    EXPECT_EQ(mb->domain, c.domain);
  }
}

TEST(Address, ObsRoute) {
  // RFC 5322 4.4 obs-angle-addr with obs-route.
  auto mb = parse_mailbox("Mary <@machine.tld,@Relay.Test:mary@example.net>");
  ASSERT_TRUE(mb) << mb.error().message;
  EXPECT_EQ(mb->addr_spec(), "mary@example.net");
  ASSERT_EQ(mb->route.size(), 2u);
  EXPECT_EQ(mb->route[1], "relay.test");
  auto mb2 = parse_mailbox("<,@a.test, ,@b.test:x@c.test>");
  ASSERT_TRUE(mb2) << mb2.error().message;
  EXPECT_EQ(mb2->route.size(), 2u);
}

TEST(Address, AddrSpecQuoting) {
  auto mb = parse_mailbox("\"john doe\"@example.com");
  ASSERT_TRUE(mb);
  EXPECT_EQ(mb->addr_spec(), "\"john doe\"@example.com");
  auto mb2 = parse_mailbox("\"a\\\"b\"@example.com");
  ASSERT_TRUE(mb2);
  EXPECT_EQ(mb2->local_part, "a\"b");
  EXPECT_EQ(mb2->addr_spec(), "\"a\\\"b\"@example.com");
  EXPECT_TRUE(is_dot_atom("a.b-c+d"));
  EXPECT_FALSE(is_dot_atom("a..b"));
  EXPECT_FALSE(is_dot_atom(".a"));
  EXPECT_FALSE(is_dot_atom("a b"));
}

TEST(Address, AddrSpecAlone) {
  auto mb = parse_addr_spec(" alice@Example.COM ");
  ASSERT_TRUE(mb);
  EXPECT_EQ(mb->addr_spec(), "alice@example.com");
  EXPECT_FALSE(parse_addr_spec("Alice <alice@example.com>"));
  EXPECT_FALSE(parse_addr_spec("alice"));
}

TEST(Address, MailboxList) {
  // RFC 5322 A.1.2.
  auto l = parse_mailbox_list("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>");
  ASSERT_TRUE(l) << l.error().message;
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[1].addr_spec(), "jdoe@example.org");
  EXPECT_EQ((*l)[2].display_name, "Who?");
  // "Doe, John" in quotes is one mailbox.
  auto q = parse_mailbox_list("\"Doe, John\" <jd@example.com>");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].display_name, "Doe, John");
  // obs-mbox-list: empty elements.
  auto o = parse_mailbox_list(", a@b.test,, (c) ,c@d.test,");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->size(), 2u);
  // Groups are not mailboxes.
  auto g = parse_mailbox_list("Friends: a@b.test;");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::kParse);
}

TEST(Address, AddressListWithGroups) {
  // RFC 5322 A.1.3.
  auto l = parse_address_list(
      "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, "
      "Undisclosed recipients:;, \"Mary\" <mary@x.test>");
  ASSERT_TRUE(l) << l.error().message;
  ASSERT_EQ(l->size(), 3u);
  EXPECT_TRUE((*l)[0].is_group);
  EXPECT_EQ((*l)[0].group_name, "A Group");
  ASSERT_EQ((*l)[0].mailboxes.size(), 3u);
  EXPECT_EQ((*l)[0].mailboxes[2].addr_spec(), "jdoe@one.test");
  EXPECT_TRUE((*l)[1].is_group);
  EXPECT_TRUE((*l)[1].mailboxes.empty());
  EXPECT_FALSE((*l)[2].is_group);
  EXPECT_EQ((*l)[2].mailboxes[0].display_name, "Mary");
}

struct Bad {
  const char* input;
  Errc code;
};

TEST(Address, Malformed) {
  const Bad cases[] = {
      {"", Errc::kParse},
      {"   (only a comment) ", Errc::kParse},
      {"alice", Errc::kParse},
      {"alice@", Errc::kParse},
      {"@example.com", Errc::kParse},
      {"a..b@example.com", Errc::kParse},
      {".a@example.com", Errc::kParse},
      {"a.@example.com", Errc::kParse},
      {"a@example.com.", Errc::kParse},
      {"a@.example.com", Errc::kParse},
      {"john doe@example.com", Errc::kParse},
      {"<>", Errc::kParse},
      {"John <jdoe@example.com", Errc::kParse},
      {"\"unterminated@example.com", Errc::kParse},
      {"a@example.com (unterminated", Errc::kParse},
      {"a@[1.2.3.4", Errc::kParse},
      {"a@b.test, c@d.test", Errc::kParse},  // two mailboxes where one is allowed
      {"Friends: a@b.test;", Errc::kParse},  // group where a mailbox is required
      {"a@b.test>", Errc::kParse},
      {"a)b@c.test", Errc::kParse},
      {"a\\b@c.test", Errc::kParse},
      {"a\x01@c.test", Errc::kParse},
      {". <a@b.test>", Errc::kParse},
      {"\"a\\\r\"@b.test", Errc::kParse},  // quoted-pair of CR (obs-qp) cannot be kept
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto mb = parse_mailbox(c.input);
    ASSERT_FALSE(mb);
    EXPECT_EQ(mb.error().code, c.code);
    EXPECT_FALSE(mb.error().message.empty());
  }
}

TEST(Address, ErrorSaysWhere) {
  auto mb = parse_mailbox("John <jdoe@example.com");
  ASSERT_FALSE(mb);
  EXPECT_NE(mb.error().message.find("expected '>'"), std::string::npos) << mb.error().message;
  EXPECT_NE(mb.error().message.find("offset 22"), std::string::npos) << mb.error().message;
}

TEST(Address, CommentDepthBounded) {
  std::string deep = "a@b.test ";
  for (int i = 0; i < 100000; ++i) deep += '(';
  auto mb = parse_mailbox(deep);
  ASSERT_FALSE(mb);
  EXPECT_EQ(mb.error().code, Errc::kLimit);
  std::string ok = "a@b.test ";
  for (size_t i = 0; i < kMaxCommentDepth; ++i) ok += '(';
  for (size_t i = 0; i < kMaxCommentDepth; ++i) ok += ')';
  EXPECT_TRUE(parse_mailbox(ok));
}

TEST(Address, ManyAddressesLinear) {
  std::string list;
  for (int i = 0; i < 5000; ++i) list += "u" + std::to_string(i) + "@example.com, ";
  auto l = parse_address_list(list);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), 5000u);
  std::string many;
  for (size_t i = 0; i <= kMaxAddresses; ++i) many += "a@b,";
  auto m = parse_mailbox_list(many);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kLimit);
}

}  // namespace
}  // namespace rampart::mime

#include "dns/zone_file.h"

#include "dns/format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::dns {
namespace {

ZoneOptions opts(std::string file, std::string origin = {}) {
  ZoneOptions o;
  o.file_name = std::move(file);
  o.origin = std::move(origin);
  return o;
}

// Presentation form of the records at `name`, "; "-separated.
std::string rr(const Zone& z, std::string_view name) {
  std::string out;
  if (const auto* v = z.find(name))
    for (const auto& r : *v) out += (out.empty() ? "" : "; ") + record_to_string(r);
  return out;
}

const std::vector<Record>& at(const Zone& z, std::string_view name) {
  static const std::vector<Record> kEmpty;
  const auto* r = z.find(name);
  return r ? *r : kEmpty;
}

TEST(ZoneFile, FullExample) {
  auto z = parse_zone(R"(; example zone
$ORIGIN Example.COM.
$TTL 1h
@   IN  SOA ns1 hostmaster (
            2024010101 ; serial
            7200 3600 1209600
            300 )
    IN  NS  ns1
    IN  NS  ns2.example.net.
    MX  10 mail
    MX  20 mail.backup.example.
    TXT "v=spf1 ip4:192.0.2.0/24 " "include:_spf.example.net -all"
ns1     A     192.0.2.53
mail 60 IN A  192.0.2.25
        IN 120 AAAA 2001:db8::25
www     CNAME @
_spf    SPF   "v=spf1 -all"
1.2.0.192.in-addr.arpa. PTR mail
esc     TXT   "say \"hi\"" "\065\066C" semi;colon
*.wild  A     192.0.2.99
)",
                      opts("example.zone"));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->origin, "example.com");
  ASSERT_TRUE(z->soa);
  EXPECT_EQ(z->soa->name, "example.com");
  EXPECT_EQ(z->soa->mname, "ns1.example.com");
  EXPECT_EQ(z->soa->rname, "hostmaster.example.com");
  EXPECT_EQ(z->soa->serial, 2024010101u);
  EXPECT_EQ(z->soa->refresh, 7200u);
  EXPECT_EQ(z->soa->expire, 1209600u);
  EXPECT_EQ(z->soa->minimum, 300u);
  EXPECT_EQ(z->soa->ttl, 3600u);

  EXPECT_EQ(rr(*z, "example.com"),
            "NS ns1.example.com; NS ns2.example.net; MX 10 mail.example.com; MX 20 mail.backup.example; "
            "TXT \"v=spf1 ip4:192.0.2.0/24 \" \"include:_spf.example.net -all\"");
  EXPECT_EQ(at(*z, "example.com")[4].ttl, 3600u);
  EXPECT_EQ(rr(*z, "mail.example.com"), "A 192.0.2.25; AAAA 2001:db8::25");
  EXPECT_EQ(at(*z, "mail.example.com")[0].ttl, 60u);
  EXPECT_EQ(at(*z, "mail.example.com")[1].ttl, 120u);
  EXPECT_EQ(rr(*z, "www.example.com"), "CNAME example.com");
  EXPECT_EQ(rr(*z, "_spf.example.com"), "SPF \"v=spf1 -all\"");
  EXPECT_EQ(rr(*z, "1.2.0.192.in-addr.arpa"), "PTR mail.example.com");
  EXPECT_EQ(rr(*z, "esc.example.com"), "TXT \"say \\\"hi\\\"\" \"ABC\" \"semi\"");
  EXPECT_EQ(at(*z, "*.wild.example.com").size(), 1u);
  EXPECT_EQ(z->record_count(), 13u);
}

TEST(ZoneFile, TtlRules) {
  auto z = parse_zone("a 100 TXT x\nb TXT y\n$TTL 50\nc TXT z\nd IN 7 TXT w\ne TXT v\n", opts("zone", "t"));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(at(*z, "a.t")[0].ttl, 100u);
  EXPECT_EQ(at(*z, "b.t")[0].ttl, 100u);  // last explicit TTL (RFC 1035)
  EXPECT_EQ(at(*z, "c.t")[0].ttl, 50u);   // $TTL wins afterwards (RFC 2308)
  EXPECT_EQ(at(*z, "d.t")[0].ttl, 7u);
  EXPECT_EQ(at(*z, "e.t")[0].ttl, 50u);
  auto d = parse_zone("a TXT x\n", [] {
    ZoneOptions o;
    o.default_ttl = 42;
    return o;
  }());
  EXPECT_EQ(at(*d, "a")[0].ttl, 42u);
}

TEST(ZoneFile, ParseTtlUnits) {
  EXPECT_EQ(parse_ttl("0"), 0u);
  EXPECT_EQ(parse_ttl("1h30m"), 5400u);
  EXPECT_EQ(parse_ttl("1W"), 604800u);
  EXPECT_EQ(parse_ttl("2d3s"), 172803u);
  EXPECT_EQ(parse_ttl("2147483647"), 2147483647u);
  EXPECT_FALSE(parse_ttl("2147483648"));
  EXPECT_FALSE(parse_ttl("1h30"));
  EXPECT_FALSE(parse_ttl("h"));
  EXPECT_FALSE(parse_ttl("1x"));
  EXPECT_FALSE(parse_ttl(""));
}

TEST(ZoneFile, RelativeNamesWithoutOriginAndCrlf) {
  auto z = parse_zone("Host.Example A 192.0.2.1\r\n\tAAAA ::1\r\n");
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(at(*z, "host.example").size(), 2u);
}

TEST(ZoneFile, ParenthesesAndCommentsInsideTxt) {
  auto z =
      parse_zone("x TXT ( \"one\" ; first\n  \"two;not a comment\"\n )\ny A 192.0.2.1\n", opts("zone", "o."));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(rr(*z, "x.o"), "TXT \"one\" \"two;not a comment\"");
  EXPECT_EQ(at(*z, "y.o").size(), 1u);
}

// Names keep their escapes: a dot or backslash inside a label is an octet
// of that label, an escaped final dot does not make the name absolute, and
// visible characters such as ':' and '/' need no escape at all.
TEST(ZoneFile, EscapesInNames) {
  auto z = parse_zone(
      "a\\.b A 192.0.2.1\n"
      "back\\\\slash A 192.0.2.2\n"
      "sp\\032ace.example. A 192.0.2.3\n"
      "foo:bar/baz A 192.0.2.4\n"
      "dot\\. A 192.0.2.5\n",
      opts("zone", "o."));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(at(*z, "a\\046b.o").size(), 1u);
  EXPECT_FALSE(z->exists("b.o"));  // not two labels
  EXPECT_EQ(at(*z, "back\\092slash.o").size(), 1u);
  EXPECT_EQ(at(*z, "sp\\032ace.example").size(), 1u);
  EXPECT_EQ(at(*z, "foo:bar/baz.o").size(), 1u);
  EXPECT_EQ(at(*z, "dot\\046.o").size(), 1u);
}

TEST(ZoneFile, OriginRelativeToOrigin) {
  auto z = parse_zone("$ORIGIN com.\n$ORIGIN example\nwww A 192.0.2.1\n");
  ASSERT_TRUE(z);
  EXPECT_EQ(at(*z, "www.example.com").size(), 1u);
}

struct ErrorCase {
  const char* text;
  const char* message;
};

TEST(ZoneFile, Errors) {
  const ErrorCase cases[] = {
      {"a A 192.0.2.1\nb A 300.1.1.1\n", "t.zone:2: bad A address '300.1.1.1'"},
      {"a AAAA 192.0.2.1\n", "t.zone:1: bad AAAA address '192.0.2.1'"},
      {"a A\n", "t.zone:1: A needs 1 field, got 0"},
      {"a MX 70000 b\n", "t.zone:1: MX preference out of range"},
      {"a MX x b\n", "t.zone:1: bad MX preference 'x'"},
      {"a TXT\n", "t.zone:1: TXT needs at least one string"},
      {"a TXT \"open\n", "t.zone:1: unterminated quoted string"},
      {"a TXT \"\\300\"\n", "t.zone:1: \\DDD escape above 255"},
      {"a TXT \"\\12\"\n", "t.zone:1: bad \\DDD escape"},
      {"a HINFO x y\n", "t.zone:1: unsupported record type 'HINFO'"},
      {"a CH TXT x\n", "t.zone:1: unsupported class CH"},
      {"a 1x TXT x\n", "t.zone:1: bad TTL '1x'"},
      {"a IN\n", "t.zone:1: missing record type"},
      {"  A 192.0.2.1\n", "t.zone:1: no previous owner to inherit"},
      {"a TXT ( x\n", "t.zone:2: unbalanced '(' at end of file"},
      {"a TXT x )\n", "t.zone:1: unbalanced ')'"},
      {"$INCLUDE other\n", "t.zone:1: unsupported directive $INCLUDE"},
      {"$ORIGIN\n", "t.zone:1: $ORIGIN takes one name"},
      {"$TTL soon\n", "t.zone:1: bad $TTL 'soon'"},
      {"a..b A 192.0.2.1\n", "t.zone:1: invalid domain name 'a..b'"},
      {"a CNAME \"x\"\n", "t.zone:1: quoted string where a name was expected"},
      {"a SOA ns host 1 2 3 4\n", "t.zone:1: SOA needs 7 fields, got 6"},
      {"a SOA ns host 1 2 3 4 x\n", "t.zone:1: bad SOA timer 'x'"},
      {"\n\n; c\nok A 192.0.2.1\nbad\n", "t.zone:5: missing record type"},
  };
  for (const auto& c : cases) {
    auto z = parse_zone(c.text, opts("t.zone"));
    ASSERT_FALSE(z) << c.text;
    EXPECT_EQ(z.error().code, Errc::kParse) << c.text;
    EXPECT_EQ(z.error().message, c.message) << c.text;
  }
  std::string long_txt = "a TXT \"" + std::string(256, 'x') + "\"\n";
  auto z = parse_zone(long_txt, opts("t.zone"));
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().message, "t.zone:1: character-string longer than 255 octets");
}

TEST(ZoneFile, Limits) {
  auto z = parse_zone("a TXT " + std::string(100, 'x') + "\n", [] {
    auto o = opts("t");
    o.max_line = 50;
    return o;
  }());
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, Errc::kLimit);
  EXPECT_EQ(z.error().message, "t:1: line too long");
  z = parse_zone("a A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3\n", [] {
    auto o = opts("t");
    o.max_records = 2;
    return o;
  }());
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, Errc::kLimit);
  EXPECT_EQ(z.error().message, "t:3: too many records");
}

TEST(ZoneFile, LoadFileErrors) {
  auto z = load_zone_file("/nonexistent/zone");
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, Errc::kIo);
}

}  // namespace
}  // namespace rampart::dns

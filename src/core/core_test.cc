#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/ip.h"
#include "core/json.h"
#include "core/result.h"
#include "core/strings.h"

namespace rampart {
namespace {

TEST(Result, CategoriesSeparateTemporaryFromPermanent) {
  Error t{Errc::kTemporary, "timeout"};
  Error p{Errc::kParse, "bad"};
  Error i{Errc::kInternal, "bug"};
  EXPECT_TRUE(t.temporary());
  EXPECT_FALSE(p.temporary());
  EXPECT_TRUE(i.temporary());  // internal errors tempfail, never reject
  EXPECT_EQ(p.to_string(), "parse: bad");
  Result<int> r = fail(Errc::kLimit, "too many");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kLimit);
}

TEST(Ip, ParsesAndPrints) {
  auto v4 = IpAddress::parse("192.0.2.10");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->to_string(), "192.0.2.10");
  EXPECT_EQ(v4->reverse_name(), "10.2.0.192");
  auto v6 = IpAddress::parse("2001:db8::cb01");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "2001:db8::cb01");
  EXPECT_EQ(v6->dotted_nibbles(), "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
  EXPECT_EQ(v6->reverse_name(), "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2");
  EXPECT_FALSE(IpAddress::parse("192.0.2"));
  EXPECT_FALSE(IpAddress::parse("1.2.3.4.5"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse(std::string(200, '1')));
}

TEST(Ip, PrefixMatchAndMapped) {
  auto a = *IpAddress::parse("192.0.2.130");
  auto net = *IpAddress::parse("192.0.2.128");
  EXPECT_TRUE(a.matches(net, 25));
  EXPECT_FALSE(a.matches(net, 32));
  EXPECT_TRUE(a.matches(*IpAddress::parse("10.0.0.0"), 0));
  EXPECT_FALSE(a.matches(*IpAddress::parse("::"), 0));  // family differs
  EXPECT_EQ(a.masked(24).to_string(), "192.0.2.0");
  auto m = *IpAddress::parse("::ffff:192.0.2.1");
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_EQ(m.unmapped().to_string(), "192.0.2.1");
  auto v6 = *IpAddress::parse("2001:db8:1:2::1");
  EXPECT_TRUE(v6.matches(*IpAddress::parse("2001:db8::"), 32));
  EXPECT_FALSE(v6.matches(*IpAddress::parse("2001:db9::"), 32));
  EXPECT_EQ(v6.masked(52).to_string(), "2001:db8:1::");
}

TEST(Strings, Basics) {
  EXPECT_TRUE(iequals("Include", "INCLUDE"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_EQ(to_lower("MiXeD"), "mixed");
  EXPECT_EQ(trim(" \t x y \r\n"), "x y");
  auto parts = split("a b  c", ' ');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_TRUE(iends_with("mail.EXAMPLE.com", "example.com"));
}

TEST(Strings, AsciiLowerCopyMatchesScalar) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (size_t off = 0; off < 9; ++off) {
    std::string in = all.substr(off) + "MiXeD.Example.COM@[]`{";
    std::string out(in.size(), '\0');
    ascii_lower_copy(in.data(), in.size(), out.data());
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(out[i], ascii_lower(in[i])) << "byte " << int(in[i] & 0xff);
  }
}

TEST(Json, EscapesPerRfc8259) {
  EXPECT_EQ(json_escape("a\"b\\c\n\r\t\x01\x1f\u00e9"), "a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\u00e9");
  EXPECT_EQ(json_quote("x"), "\"x\"");
  std::string out = "[";
  append_json_string(out, "q\"");
  EXPECT_EQ(out, "[\"q\\\"\"");
}

TEST(Json, OutputIsAlwaysValidUtf8) {
  // Well-formed sequences of every length pass through.
  EXPECT_EQ(json_escape("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  // Invalid bytes, overlong forms, surrogates, code points past U+10FFFF and
  // truncated sequences become U+FFFD, one per byte that starts nothing.
  EXPECT_EQ(json_escape("a\xff"), "a\\ufffd");
  EXPECT_EQ(json_escape("\xc0\xaf"), "\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("\xe2\x82"), "\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("\x7f"), "\\u007f");
}

TEST(Config, ParsesAndReportsErrors) {
  auto c = Config::parse("[dns]\ntimeout_ms = 1500\nservers = [\"127.0.0.1\"]\nname = \"x\"\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->get_int("dns.timeout_ms", 0), 1500);
  EXPECT_EQ(c->get_int("dns.missing", 7), 7);
  EXPECT_EQ(c->get_strings("dns.servers").size(), 1u);
  EXPECT_FALSE(c->require_string("dns.timeout_ms"));
  EXPECT_EQ(*c->require_string("dns.name"), "x");
  auto bad = Config::parse("[dns\nx=1", "t.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kConfig);
  EXPECT_NE(bad.error().message.find("t.toml:1"), std::string::npos);
  EXPECT_FALSE(Config::load_file("/nonexistent/rampart.toml"));
}

TEST(Clock, SystemMonotonicTracksSteadyClock) {
  SystemClock c;
  auto a = c.monotonic();
  auto s = std::chrono::steady_clock::now();
  auto b = c.monotonic();
  EXPECT_LE(a, b);
  // Same epoch as steady_clock; the coarse clock lags by at most its tick.
  EXPECT_LT(std::chrono::abs(s - a), std::chrono::milliseconds(100));
}

TEST(Clock, FakeAdvances) {
  FakeClock c(1000);
  EXPECT_EQ(c.unix_seconds(), 1000);
  c.advance(std::chrono::seconds(5));
  EXPECT_EQ(c.unix_seconds(), 1005);
}

}  // namespace
}  // namespace rampart

namespace rampart {
namespace {

TEST(Json, ObjectWriter) {
  EXPECT_EQ(JsonObject().done(), "{}");
  const std::vector<std::string> ids = {"ip:192.0.2.1", "domain:\"x\""};
  EXPECT_EQ(JsonObject()
                .num("accepted", 1)
                .num("big", -9007199254740993LL)
                .boolean("ok", false)
                .str("reason", "line 2: bad\n")
                .strings("ids", ids)
                .strings("none", std::vector<std::string>{})
                .raw("nested", JsonObject().str("a", "b").done())
                .done(),
            "{\"accepted\": 1, \"big\": -9007199254740993, \"ok\": false, \"reason\": \"line 2: bad\\n\", "
            "\"ids\": [\"ip:192.0.2.1\", \"domain:\\\"x\\\"\"], \"none\": [], \"nested\": {\"a\": \"b\"}}");
}

}  // namespace
}  // namespace rampart

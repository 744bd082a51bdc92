// File: src/server/milter/codec_test.cc
// Table tests for the milter codec: every command decoded from bytes written
// by hand, malformed packets refused with a reason, replies encoded byte for
// byte, round trips, framing across split reads, enhanced status codes.
#include "server/milter/codec.h"

#include <gtest/gtest.h>

#include <string>

namespace rampart::milter {
namespace {

using namespace std::string_literals;

std::string packet(char cmd, const std::string& data) {
  std::string out;
  const uint32_t len = static_cast<uint32_t>(data.size() + 1);
  out.push_back(static_cast<char>(len >> 24));
  out.push_back(static_cast<char>(len >> 16));
  out.push_back(static_cast<char>(len >> 8));
  out.push_back(static_cast<char>(len));
  out.push_back(cmd);
  out += data;
  return out;
}

TEST(MilterCodec, OptNeg) {
  auto c = decode_one(packet('O', "\0\0\0\x06\0\0\x01\xff\0\x1f\xff\xff"s));
  ASSERT_TRUE(c) << c.error().message;
  auto& o = std::get<OptNeg>(*c);
  EXPECT_EQ(o.version, 6u);
  EXPECT_EQ(o.actions, 0x1ffu);
  EXPECT_EQ(o.protocol, 0x1fffffu);
  EXPECT_FALSE(decode_one(packet('O', "\0\0\0\x06\0\0"s)));
}

TEST(MilterCodec, Negotiate) {
  OptNeg mta{6, 0x1ff, 0x1fffff};
  OptNeg want{6, kAddHeaders | kChangeHeaders | kQuarantine,
              kNrConnect | kNrHelo | kSkip | kHeaderLeadingSpace};
  auto r = negotiate(mta, want);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, 6u);
  EXPECT_EQ(r->actions, want.actions);
  EXPECT_EQ(r->protocol, want.protocol);
  // An older MTA without the NR flags or LEADSPC: only what it offers.
  auto old = negotiate(OptNeg{2, 0x3f, 0x7f}, want);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->version, 2u);
  EXPECT_EQ(old->protocol, 0u);
  EXPECT_FALSE(negotiate(OptNeg{1, 0xf, 0}, want));
}

TEST(MilterCodec, Macros) {
  auto c = decode_one(packet('D', "Mi\0ABC123\0{auth_authen}\0alice\0"s));
  ASSERT_TRUE(c);
  auto& m = std::get<Macros>(*c);
  EXPECT_EQ(m.for_command, 'M');
  ASSERT_EQ(m.pairs.size(), 2u);
  ASSERT_NE(m.find("auth_authen"), nullptr);
  EXPECT_EQ(*m.find("{auth_authen}"), "alice");
  EXPECT_EQ(*m.find("i"), "ABC123");
  EXPECT_EQ(m.find("j"), nullptr);
  EXPECT_FALSE(decode_one(packet('D', "Mi\0ABC"s)));  // value without NUL
  EXPECT_FALSE(decode_one(packet('D', "")));          // no command byte
}

TEST(MilterCodec, ConnectFamilies) {
  struct Case {
    std::string data;
    bool ok;
    char family;
    uint16_t port;
    std::string address;
  };
  const Case cases[] = {
      {"mx.example.org\0"s
       "4\x01\xbb"
       "192.0.2.1\0"s,
       true, '4', 443, "192.0.2.1"},
      {"[2001:db8::1]\0"s
       "6\0\x19"
       "2001:db8::1\0"s,
       true, '6', 25, "2001:db8::1"},
      {"localhost\0"s
       "L\0\0/run/x.sock\0"s,
       true, 'L', 0, "/run/x.sock"},
      {"unknown\0U"s, true, 'U', 0, ""},
      {"host\0"s, false, 0, 0, ""},  // no family
      {"host\0"s
       "4\x01"s,
       false, 0, 0, ""},  // short port
      {"host\0"s
       "4\x01\xbb"
       "192.0.2.1"s,
       false, 0, 0, ""},  // unterminated address
      {"host\0"s
       "X\0\0a\0"s,
       false, 0, 0, ""},  // unknown family
      {"host\0"s
       "4\0\x19"
       "1.2.3.4\0junk"s,
       false, 0, 0, ""},
      {"host"s, false, 0, 0, ""},
  };
  for (const auto& tc : cases) {
    auto c = decode_one(packet('C', tc.data));
    ASSERT_EQ(bool(c), tc.ok) << tc.data;
    if (!c) continue;
    auto& cn = std::get<Connect>(*c);
    EXPECT_EQ(cn.family, tc.family);
    EXPECT_EQ(cn.port, tc.port);
    EXPECT_EQ(cn.address, tc.address);
  }
}

TEST(MilterCodec, EnvelopeAndHeaders) {
  auto h = decode_one(packet('H', "mail.example.com\0"s));
  ASSERT_TRUE(h);
  EXPECT_EQ(std::get<Helo>(*h).name, "mail.example.com");
  auto m = decode_one(packet('M', "<a@example.com>\0SIZE=100\0BODY=8BITMIME\0"s));
  ASSERT_TRUE(m);
  ASSERT_EQ(std::get<Mail>(*m).args.size(), 3u);
  EXPECT_EQ(std::get<Mail>(*m).args[0], "<a@example.com>");
  auto r = decode_one(packet('R', "<b@example.net>\0"s));
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<Rcpt>(*r).args[0], "<b@example.net>");
  EXPECT_FALSE(decode_one(packet('M', "")));  // no address
  EXPECT_FALSE(decode_one(packet('R', "<b@x>"s)));
  auto hd = decode_one(packet('L', "Subject\0 hello\0"s));
  ASSERT_TRUE(hd);
  EXPECT_EQ(std::get<Header>(*hd).name, "Subject");
  EXPECT_EQ(std::get<Header>(*hd).value, " hello");
  EXPECT_FALSE(decode_one(packet('L', "Subject\0hello"s)));
  EXPECT_FALSE(decode_one(packet('L', "\0x\0"s)));
  auto b = decode_one(packet('B', "line\r\n\0binary"s));
  ASSERT_TRUE(b);
  EXPECT_EQ(std::get<Body>(*b).chunk, "line\r\n\0binary"s);
  for (char c : {'T', 'N', 'A', 'Q', 'K', 'E'}) EXPECT_TRUE(decode_one(packet(c, ""))) << c;
  auto u = decode_one(packet('U', "XFOO bar\0"s));
  ASSERT_TRUE(u);
  EXPECT_EQ(std::get<Unknown>(*u).command, "XFOO bar");
  EXPECT_FALSE(decode_one(packet('Z', "")));
}

TEST(MilterCodec, FramingLimitsAndSplitReads) {
  Framer f(100);
  std::string stream = packet('H', "a\0"s) + packet('T', "") + packet('B', std::string(50, 'x'));
  // One byte at a time: every packet comes out once, in order.
  std::vector<char> seen;
  for (char byte : stream) {
    f.feed(std::string_view(&byte, 1));
    while (true) {
      auto p = f.next();
      ASSERT_TRUE(p);
      if (!*p) break;
      seen.push_back((*p)->command);
    }
  }
  EXPECT_EQ(seen, (std::vector<char>{'H', 'T', 'B'}));
  Framer big(100);
  big.feed(packet('B', std::string(200, 'x')).substr(0, 10));
  auto p = big.next();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::kLimit);
  Framer zero;
  zero.feed("\0\0\0\0"s);
  EXPECT_FALSE(zero.next());
  // A huge declared length is refused before any allocation.
  Framer huge;
  huge.feed("\xff\xff\xff\xffO"s);
  EXPECT_FALSE(huge.next());
}

TEST(MilterCodec, RepliesByteForByte) {
  EXPECT_EQ(encode(Reply{Accept{}}),
            "\0\0\0\x01"s
            "a");
  EXPECT_EQ(encode(Reply{Continue{}}),
            "\0\0\0\x01"s
            "c");
  EXPECT_EQ(encode(Reply{Reject{}}),
            "\0\0\0\x01"s
            "r");
  EXPECT_EQ(encode(Reply{Tempfail{}}),
            "\0\0\0\x01"s
            "t");
  EXPECT_EQ(encode(Reply{Discard{}}),
            "\0\0\0\x01"s
            "d");
  EXPECT_EQ(encode(Reply{Skip{}}),
            "\0\0\0\x01"s
            "s");
  EXPECT_EQ(encode(Reply{Quarantine{"spam"}}),
            "\0\0\0\x06"s
            "qspam\0"s);
  EXPECT_EQ(encode(Reply{AddHeader{"X-A", "b"}}),
            "\0\0\0\x07"s
            "hX-A\0b\0"s);
  EXPECT_EQ(encode(Reply{InsertHeader{0, "X-A", "b"}}),
            "\0\0\0\x0b"s
            "i\0\0\0\0X-A\0b\0"s);
  EXPECT_EQ(encode(Reply{ChangeHeader{2, "X-A", ""}}),
            "\0\0\0\x0a"s
            "m\0\0\0\x02X-A\0\0"s);
  EXPECT_EQ(encode(Reply{OptNeg{6, 0x31, 0x1000}}),
            "\0\0\0\x0d"s
            "O\0\0\0\x06\0\0\0\x31\0\0\x10\0"s);
  auto y = reply_code(451, "4.7.1", "rate limit");
  ASSERT_TRUE(y);
  EXPECT_EQ(encode(Reply{*y}),
            "\0\0\0\x16"s
            "y451 4.7.1 rate limit\0"s);
}

TEST(MilterCodec, ReplyRoundTrip) {
  const Reply replies[] = {Accept{},
                           Continue{},
                           Reject{},
                           Tempfail{},
                           Discard{},
                           Skip{},
                           Progress{},
                           Quarantine{"q"},
                           ReplyCode{"550 5.7.1 no"},
                           AddHeader{"A", "1"},
                           InsertHeader{3, "B", "2"},
                           ChangeHeader{1, "C", ""},
                           OptNeg{6, 1, 2}};
  for (const Reply& r : replies) {
    Framer f;
    f.feed(encode(r));
    auto p = f.next();
    ASSERT_TRUE(p && *p);
    auto back = decode_reply(**p);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->index(), r.index());
    EXPECT_EQ(encode(*back), encode(r));
  }
}

TEST(MilterCodec, CommandRoundTrip) {
  const Command cmds[] = {OptNeg{6, 0x1ff, 0x1fffff},
                          Macros{'C', {{"j", "mx"}, {"{daemon_name}", "smtpd"}}},
                          Connect{"h", '4', 25, "192.0.2.1"},
                          Connect{"h", 'U', 0, ""},
                          Helo{"x"},
                          Mail{{"<>"}},
                          Rcpt{{"<a@b>", "NOTIFY=NEVER"}},
                          Data{},
                          Header{"From", " a@b"},
                          EndOfHeaders{},
                          Body{"x\r\n"},
                          EndOfBody{},
                          Abort{},
                          Quit{},
                          QuitNewConnection{},
                          Unknown{"HELP"}};
  for (const Command& c : cmds) {
    auto back = decode_one(encode_command(c));
    ASSERT_TRUE(back) << command_name(command_code(c)) << ": " << back.error().message;
    EXPECT_EQ(back->index(), c.index());
    EXPECT_EQ(encode_command(*back), encode_command(c));
  }
}

TEST(MilterCodec, EnhancedStatusCodes) {
  struct Case {
    const char* s;
    bool ok;
  };
  const Case cases[] = {{"5.7.1", true},     {"4.7.1", true},   {"2.0.0", true},  {"5.7.26", true},
                        {"4.999.999", true}, {"3.0.0", false},  {"5.7", false},   {"5..1", false},
                        {"5.7.1000", false}, {"5.7.1 ", false}, {"a.b.c", false}, {"", false}};
  for (const auto& tc : cases) EXPECT_EQ(valid_enhanced_status(tc.s), tc.ok) << tc.s;
  EXPECT_FALSE(reply_code(250, "2.0.0", "ok"));  // not a failure code
  EXPECT_FALSE(reply_code(550, "4.7.1", "x"));   // class mismatch
  EXPECT_FALSE(reply_code(451, "4.7", "x"));
  auto y = reply_code(550, "5.7.1", "bad\r\nInjected: 100%");
  ASSERT_TRUE(y);
  EXPECT_EQ(y->text, "550 5.7.1 bad  Injected: 100%%");
}

}  // namespace
}  // namespace rampart::milter

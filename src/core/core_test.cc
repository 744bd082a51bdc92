#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/executor.h"
#include "core/file.h"
#include "core/fixed.h"
#include "core/ip.h"
#include "core/json.h"
#include "core/log.h"
#include "core/result.h"
#include "core/strings.h"
#include "core/task.h"

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

// fixed() writes what printf's "%.Nf" writes, without printf.
TEST(Fixed, MatchesPrintf) {
  const double vals[] = {0.0,    -0.0,    0.005, 0.015,  0.125,
                         -0.005, 2.5,     3.5,   -2.5,   1234.5678,
                         1e-9,   7.0 / 3, 1e300, -1e300, std::numeric_limits<double>::infinity()};
  for (const double v : vals)
    for (const int d : {0, 1, 2}) {
      char want[400];
      std::snprintf(want, sizeof want, "%.*f", d, v);
      EXPECT_EQ(fixed(v, d), want) << v << " " << d;
    }
  std::string s = "x=";
  append_fixed(s, 0.5, 2);
  EXPECT_EQ(s, "x=0.50");
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
  EXPECT_EQ(json_escape("a\xff"), "a\xef\xbf\xbd");
  EXPECT_EQ(json_escape("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(json_escape("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(json_escape("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(json_escape("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
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

// One reader of a small section, as the daemon's readers are written.
struct Demo {
  double burst = 240;
  int64_t port = 25;
  bool on = true;
  std::string mode = "a";
  std::vector<std::string> nets;
};
Result<Demo> read_demo(const Config& cfg) {
  const size_t mark = cfg.error_count();
  Demo d;
  Section s = cfg.section("demo");
  d.burst = s.number("burst", d.burst, 1, 1e9);
  d.port = s.integer("port", d.port, 1, 65535);
  d.on = s.boolean("on", d.on);
  d.mode = s.choice("mode", d.mode, {"a", "b"});
  d.nets = s.strings("nets");
  for (const auto& n : d.nets)
    if (auto p = parse_cidr(n); !p) s.invalid("nets", p.error().message);
  for (Section t : s.tables("item")) (void)t.string("name", "");
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return d;
}

TEST(Config, StrictReadersNameFileLineAndKey) {
  struct Case {
    const char* toml;
    const char* error;  // substring of the error; nullptr: accepted
  };
  const Case cases[] = {
      {"[demo]\nburst = 2\n", nullptr},
      {"[demo]\nburst = 2.5\nport = 8\non = false\nmode = \"b\"\nnets = [\"10.0.0.0/8\"]\n", nullptr},
      {"[demo]\nburst = \"2\"\n", "f.toml:2:1: demo.burst: expected a number, got a string"},
      {"[demo]\nburst = -1\n", "f.toml:2:1: demo.burst: -1 is out of range"},
      {"[demo]\nport = 70000\n", "demo.port: 70000 is out of range [1, 65535]"},
      {"[demo]\nport = 2.0\n", "demo.port: expected an integer, got a number"},
      {"[demo]\non = \"yes\"\n", "demo.on: expected a boolean"},
      {"[demo]\nmode = \"c\"\n", "demo.mode: \"c\" is not one of a, b"},
      {"[demo]\nnets = \"10.0.0.0/8\"\n", "demo.nets: expected an array of strings, got a string"},
      {"[demo]\nnets = [\"10.0.0.0/x\"]\n", "f.toml:2:1: demo.nets: bad prefix length in \"10.0.0.0/x\""},
      {"demo = 3\n", "f.toml:1:1: demo: expected a table"},
      {"[demo]\nitem = 3\n", "demo.item: expected an array of tables"},
  };
  for (const auto& c : cases) {
    auto cfg = Config::parse(c.toml, "f.toml");
    ASSERT_TRUE(cfg) << c.toml;
    auto d = read_demo(*cfg);
    if (!c.error) {
      EXPECT_TRUE(d) << c.toml << ": " << (d ? "" : d.error().message);
      EXPECT_TRUE(cfg->finish()) << c.toml;
      continue;
    }
    ASSERT_FALSE(d) << c.toml;
    EXPECT_EQ(d.error().code, Errc::kConfig);
    EXPECT_NE(d.error().message.find(c.error), std::string::npos) << c.toml << " -> " << d.error().message;
  }
}

TEST(Config, FinishReportsEveryKeyNoReaderRead) {
  struct Case {
    const char* toml;
    std::vector<const char*> errors;
  };
  const Case cases[] = {
      {"[demo]\nburst = 3\n[[demo.item]]\nname = \"x\"\n", {}},
      {"[demo]\n", {}},
      {"[demo]\nbrust = 2\n", {"f.toml:2:1: demo.brust: unknown key"}},
      {"[demo]\n[polcy]\nx = 1\n", {"f.toml:2:2: polcy: unknown table"}},
      {"[polcy]\n", {"polcy: unknown table"}},
      {"top = 1\n[demo]\nburst = 2\n", {"f.toml:1:1: top: unknown key"}},
      {"[[demo.item]]\nname = \"x\"\nnmae = \"y\"\n", {"f.toml:3:1: demo.item[0].nmae: unknown key"}},
      {"[demo.sub]\nx = 1\n", {"demo.sub: unknown table"}},
      {"[demo]\nbrust = 1\nprot = 2\n", {"demo.brust: unknown key", "demo.prot: unknown key"}},
  };
  for (const auto& c : cases) {
    auto cfg = Config::parse(c.toml, "f.toml");
    ASSERT_TRUE(cfg) << c.toml;
    ASSERT_TRUE(read_demo(*cfg)) << c.toml;
    auto st = cfg->finish();
    EXPECT_EQ(static_cast<bool>(st), c.errors.empty()) << c.toml;
    for (const char* e : c.errors)
      EXPECT_NE(st.error().message.find(e), std::string::npos) << c.toml << " -> " << st.error().message;
  }
}

TEST(Config, LegacyGettersRecordWrongTypesAndReads) {
  auto cfg = Config::parse("[x]\nn = \"5\"\nd = 2\nb = 1\nlist = [\"a\", 3]\nextra = 1\n", "g.toml");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->get_int("x.n", 7), 7);
  EXPECT_EQ(cfg->get_double("x.d", 0), 2.0);  // an integer is a number
  EXPECT_TRUE(cfg->get_bool("x.b", true));
  EXPECT_EQ(cfg->get_strings("x.list").size(), 1u);
  auto st = cfg->finish();
  ASSERT_FALSE(st);
  const std::string& m = st.error().message;
  EXPECT_NE(m.find("g.toml:2:5: x.n: expected an integer, got a string"), std::string::npos) << m;
  EXPECT_NE(m.find("x.b: expected a boolean, got an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("x.list: expected strings, got an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("g.toml:6:1: x.extra: unknown key"), std::string::npos) << m;
  EXPECT_EQ(m.find("x.d"), std::string::npos) << m;
}

TEST(Config, EffectiveSettingsAndOverrides) {
  auto cfg = Config::parse("[demo]\nport = 8\n[[demo.item]]\nname = \"x\"\n", "e.toml");
  ASSERT_TRUE(cfg);
  cfg->set_strings("demo.nets", {"10.0.0.0/x"}, "--net");
  auto d = read_demo(*cfg);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("--net (demo.nets): bad prefix length"), std::string::npos)
      << d.error().message;
  cfg->set_strings("demo.nets", {"10.0.0.0/8"}, "--net");
  d = read_demo(*cfg);
  ASSERT_TRUE(d) << d.error().message;
  // Re-parsed from the printed text, the settings in effect read the same.
  auto again = Config::parse(cfg->effective_toml(), "printed");
  ASSERT_TRUE(again) << cfg->effective_toml();
  auto d2 = read_demo(*again);
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->port, 8);
  EXPECT_EQ(d2->burst, 240);
  EXPECT_EQ(d2->nets, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_TRUE(again->finish()) << again->finish().error().message;
  EXPECT_NE(cfg->effective_toml().find("name = 'x'"), std::string::npos) << cfg->effective_toml();
}

TEST(Ip, ParseCidrIsStrict) {
  struct Case {
    const char* text;
    const char* net;  // nullptr: refused
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"192.0.2.1", "192.0.2.1/32"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"::1", "::1/128"},
      {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
      {"10.0.0.0/x", nullptr},
      {"10.0.0.0/", nullptr},
      {"10.0.0.0/33", nullptr},
      {"10.0.0.0/-1", nullptr},
      {"10.0.0.0/+8", nullptr},
      {"10.0.0.0/8x", nullptr},
      {"10.0.0.0/0008", nullptr},
      {"10.0.0.1/8", nullptr},  // host bits set
      {"2001:db8::/129", nullptr},
      {"10.0.0/8", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    auto p = parse_cidr(c.text);
    if (!c.net) {
      EXPECT_FALSE(p) << c.text << " -> " << p->to_string();
      continue;
    }
    ASSERT_TRUE(p) << c.text << ": " << p.error().message;
    EXPECT_EQ(p->to_string(), c.net);
  }
  EXPECT_NE(parse_cidr("10.0.0.1/8").error().message.find("did you mean 10.0.0.0/8"), std::string::npos);
  auto ten = parse_cidr("10.0.0.0/8");
  EXPECT_TRUE(ten->contains(*IpAddress::parse("10.1.2.3")));
  EXPECT_TRUE(ten->contains(*IpAddress::parse("::ffff:10.1.2.3")));
  EXPECT_FALSE(ten->contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_FALSE(ten->contains(*IpAddress::parse("::a01:203")));
}

TEST(Ip, ParseHostPort) {
  struct Case {
    const char* text;
    int dflt;
    bool zero;
    const char* out;  // nullptr: refused
  };
  const Case cases[] = {
      {"127.0.0.1:53", -1, false, "127.0.0.1:53"},
      {"[::1]:5353", -1, false, "[::1]:5353"},
      {"127.0.0.1", 53, false, "127.0.0.1:53"},
      {"::1", 53, false, "[::1]:53"},
      {"[::1]", 53, false, "[::1]:53"},
      {"127.0.0.1:0", -1, true, "127.0.0.1:0"},
      {"127.0.0.1:0", -1, false, nullptr},
      {"127.0.0.1", -1, false, nullptr},
      {"127.0.0.1:65536", -1, false, nullptr},
      {"127.0.0.1:", -1, false, nullptr},
      {"127.0.0.1:x", -1, false, nullptr},
      {"127.0.0.1:-1", -1, false, nullptr},
      {"localhost:25", -1, false, nullptr},
      {"[::1]x", -1, false, nullptr},
      {"[::1:53", -1, false, nullptr},
      {"::1:53", -1, false, nullptr},  // ambiguous: needs brackets
  };
  for (const auto& c : cases) {
    auto hp = parse_host_port(c.text, c.dflt, c.zero);
    if (!c.out) {
      EXPECT_FALSE(hp) << c.text << " -> " << hp->to_string();
      continue;
    }
    ASSERT_TRUE(hp) << c.text << ": " << hp.error().message;
    EXPECT_EQ(hp->to_string(), c.out);
  }
}

TEST(Log, LevelNamesAreChecked) {
  for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    EXPECT_TRUE(log::valid_level(l)) << l;
  for (const char* l : {"bogus", "", "INFO", "warning"}) EXPECT_FALSE(log::valid_level(l)) << l;
}

// JSON-lines logs: one object a line, escaped, with the message id while a
// scope is open; the level steps at run time.
// Message ids come from per-thread blocks of one counter: unique across threads.
TEST(Log, MessageIdsAreUniqueAcrossThreads) {
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < got.size(); ++t)
    ts.emplace_back([&got, t] {
      for (int i = 0; i < 1000; ++i) got[t].push_back(log::new_message_id());
    });
  for (auto& t : ts) t.join();
  std::set<std::string> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4000u);
}

TEST(Log, JsonLinesIdsAndLevels) {
  EXPECT_EQ(log::json_line("T", "info", nullptr, "a \"b\"\n\x01z\\"),
            "{\"time\": \"T\", \"level\": \"info\", \"msg\": \"a \\\"b\\\"\\n\\u0001z\\\\\"}");
  const std::string id = "4Xy3z1";
  EXPECT_EQ(log::json_line("T", "warning", &id, "caf\xc3\xa9 \xff\xc3"),
            "{\"time\": \"T\", \"level\": \"warning\", \"id\": \"4Xy3z1\", \"msg\": \"caf\xc3\xa9 "
            "\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  // Overlong and surrogate encodings are not UTF-8.
  EXPECT_EQ(log::json_line("T", "info", nullptr, "\xc0\xaf\xed\xa0\x80"),
            "{\"time\": \"T\", \"level\": \"info\", \"msg\": "
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  const std::string a = log::new_message_id(), b = log::new_message_id();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  log::set_level("info");
  EXPECT_EQ(log::level_name(), "info");
  EXPECT_EQ(log::step_level(+1), "debug");
  EXPECT_EQ(log::step_level(+1), "trace");
  EXPECT_EQ(log::step_level(+1), "trace");  // no further
  EXPECT_EQ(log::step_level(-1), "debug");
  log::set_level("off");
  EXPECT_EQ(log::step_level(-1), "off");
  log::set_level("warn");
  auto cfg = Config::parse("[log]\nformat = \"json\"\n", "l.toml");
  ASSERT_TRUE(cfg);
  auto lo = log::LogOptions::from(*cfg);
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->format, log::Format::kJson);
  cfg = Config::parse("[log]\nformat = \"xml\"\n", "l.toml");
  ASSERT_TRUE(cfg);
  auto bad = log::LogOptions::from(*cfg);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("l.toml:2"), std::string::npos) << bad.error().message;
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

TEST(Executor, ScopedSetsAndRestoresTheThreadsLoop) {
  EXPECT_EQ(current_executor(), nullptr);
  ManualExecutor a, b;
  {
    ScopedExecutor sa(&a);
    EXPECT_EQ(current_executor(), &a);
    {
      ScopedExecutor sb(&b);
      EXPECT_EQ(current_executor(), &b);
    }
    EXPECT_EQ(current_executor(), &a);
  }
  EXPECT_EQ(current_executor(), nullptr);
}

TEST(Executor, ResumeOnContinuesOnlyWhenTheLoopRuns) {
  ManualExecutor loop;
  int stage = 0;
  auto co = [](ManualExecutor& l, int& st) -> Task<int> {
    st = 1;
    co_await resume_on(l);
    st = 2;
    co_return 7;
  };
  int got = 0;
  start(co(loop, stage), [&](int v) { got = v; });
  EXPECT_EQ(stage, 1);
  EXPECT_EQ(got, 0);
  EXPECT_EQ(loop.run_pending(), 1u);
  EXPECT_EQ(stage, 2);
  EXPECT_EQ(got, 7);
  EXPECT_EQ(loop.run_pending(), 0u);
}

}  // namespace
}  // namespace rampart

namespace rampart {
namespace {

TEST(Base64, Rfc4648VectorsBothAlphabets) {
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base64_encode(plain), enc);
    EXPECT_EQ(*base64_decode(enc), plain);
    std::string url = enc;
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(base64_encode(plain, Base64::kUrl), url);
    EXPECT_EQ(*base64_decode(url, Base64Rules{Base64::kUrl, Base64Padding::kForbidden, false}), plain);
  }
  EXPECT_EQ(base64_encode("\xfb\xff", Base64::kUrl), "-_8");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
}

TEST(Base64, EachRuleRefusesWhatItShould) {
  // Required padding (DKIM): FWS skipped, a multiple of 4.
  EXPECT_EQ(*base64_decode("Zm9v\r\n YmFy"), "foobar");
  for (const char* bad : {"Zm9", "Zm9v!", "Zg=a", "Zg===", "Z==="}) EXPECT_FALSE(base64_decode(bad)) << bad;
  // Optional padding (TSIG secrets).
  const Base64Rules optional{Base64::kStandard, Base64Padding::kOptional, true};
  EXPECT_EQ(*base64_decode("Zm9vYg", optional), "foob");
  EXPECT_FALSE(base64_decode("Zm9vY", optional));
  // Forbidden padding, no whitespace (JWS).
  const Base64Rules jws{Base64::kUrl, Base64Padding::kForbidden, false};
  for (const char* bad : {"Zg==", "Zm 9v", "a", "ab", "+/8"}) EXPECT_FALSE(base64_decode(bad, jws)) << bad;
}

}  // namespace
}  // namespace rampart

namespace rampart {
namespace {

TEST(File, WrittenAtomicallyReadBackWhole) {
  char tmpl[] = "/tmp/rampart-core-file-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/state";
  EXPECT_EQ(read_file_or_empty(path), "");  // absent: a first start
  std::string big(200000, 'x');             // more than one read buffer
  big[0] = '\0';
  big.back() = 'z';
  ASSERT_TRUE(write_file_atomically(path, big, 0600));
  EXPECT_EQ(read_file_or_empty(path), big);
  ASSERT_TRUE(write_file_atomically(path, "second", 0600));
  EXPECT_EQ(read_file_or_empty(path), "second");
  EXPECT_FALSE(write_file_atomically(dir + "/missing/state", "x"));  // the reason, not a crash
  EXPECT_EQ(read_file_or_empty(path), "second");
  std::remove(path.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace rampart

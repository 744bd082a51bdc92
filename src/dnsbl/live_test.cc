#include "dnsbl/live.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "dns/wire.h"
#include "dnsbl/xfr.h"

namespace rampart::dnsbl {
namespace {

struct Reply {
  int rcode = -1;
  std::vector<std::string> a, txt;
};

Reply ask(const ZoneSet& zs, std::string_view name, uint16_t type) {
  auto q = dns::build_query(7, name, type, {});
  EXPECT_TRUE(q.has_value());
  uint8_t buf[65535];
  Collector c;
  const size_t n = answer(zs, *q, Transport::kTcp, buf, sizeof buf, c);
  Reply r;
  if (n == 0) return r;
  std::span<const uint8_t> m(buf, n);
  r.rcode = dns::parse_header(m)->rcode;
  auto ans = dns::parse_response(m, static_cast<dns::RRType>(type), name);
  for (const auto& rec : ans.records) {
    if (auto ip = rec.ip()) r.a.push_back(ip->to_string());
    if (auto t = rec.txt()) r.txt.push_back(t->text());
  }
  return r;
}

LiveZone ip_zone() {
  LiveZone z;
  z.apex = "bl.example";
  z.serial = 1000;
  z.entries = {{"192.0.2.1", 0x7f000002, "spammer: TRAP_HITS: 3 trap hits, $5 each\nnext line"},
               {"198.51.100.0/24", 0x7f000004, "bot"},
               {"198.51.100.7", 0x7f000003, "compromised"},
               {"2001:db8::/64", 0x7f000002, "v6 net"},
               {"127.0.0.0/8", 0x7f000002, "would list 127.0.0.1"},
               {"not-an-address", 0x7f000002, "x"}};
  return z;
}

TEST(LiveZones, IpZoneAnswersWithCodesAndReasons) {
  LoadReport report;
  auto zs = build_live_zones({ip_zone()}, &report);
  ASSERT_TRUE(zs) << zs.error().message;
  auto r = ask(**zs, "1.2.0.192.bl.example", kTypeA);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_EQ(r.a, std::vector<std::string>{"127.0.0.2"});
  r = ask(**zs, "1.2.0.192.bl.example", kTypeTxt);
  // `$` stays literal, control bytes become spaces.
  EXPECT_EQ(r.txt, std::vector<std::string>{"spammer: TRAP_HITS: 3 trap hits, $5 each next line"});
  // The longest prefix wins: the /32 inside the listed /24.
  EXPECT_EQ(ask(**zs, "7.100.51.198.bl.example", kTypeA).a, std::vector<std::string>{"127.0.0.3"});
  EXPECT_EQ(ask(**zs, "8.100.51.198.bl.example", kTypeA).a, std::vector<std::string>{"127.0.0.4"});
  EXPECT_EQ(ask(**zs, "2.2.0.192.bl.example", kTypeA).rcode, 3);
  // IPv6 (RFC 5782 2.4 nibbles).
  const std::string v6 = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example";
  EXPECT_EQ(ask(**zs, v6, kTypeA).a, std::vector<std::string>{"127.0.0.2"});
  // Two bad entries skipped, named.
  ASSERT_EQ(report.warnings.size(), 2u);
  EXPECT_NE(report.warnings[0].find("127.0.0.0/8"), std::string::npos);
  EXPECT_NE(report.warnings[1].find("not-an-address"), std::string::npos);
}

TEST(LiveZones, Rfc5782TestEntriesInEveryZone) {
  LiveZone empty;
  empty.apex = "wl.example";
  empty.test_a = 0x7f000a02;
  LiveZone dom;
  dom.apex = "dbl.example";
  dom.data = LiveData::kDomain;
  dom.entries = {{"Spam.Example.", 0x7f000002, "spammer"}, {"x.invalid", 0x7f000002, "never"}};
  LoadReport report;
  auto zs = build_live_zones({ip_zone(), empty, dom}, &report);
  ASSERT_TRUE(zs) << zs.error().message;
  for (const char* apex : {"bl.example", "wl.example"}) {
    const std::string a = apex;
    auto listed = ask(**zs, "2.0.0.127." + a, kTypeA);
    EXPECT_EQ(listed.rcode, 0) << a;
    EXPECT_EQ(listed.a.size(), 1u) << a;
    EXPECT_EQ(ask(**zs, "1.0.0.127." + a, kTypeA).rcode, 3) << a;  // even with 127.0.0.0/8 asked for
    // ::ffff:127.0.0.2 listed, ::ffff:127.0.0.1 not (RFC 5782 5).
    const std::string mapped = "f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.";
    EXPECT_EQ(ask(**zs, "2.0.0.0.0.0.f.7." + mapped + a, kTypeA).a.size(), 1u) << a;
    EXPECT_EQ(ask(**zs, "1.0.0.0.0.0.f.7." + mapped + a, kTypeA).rcode, 3) << a;
  }
  EXPECT_EQ(ask(**zs, "2.0.0.127.wl.example", kTypeA).a, std::vector<std::string>{"127.0.10.2"});
  EXPECT_EQ(ask(**zs, "test.dbl.example", kTypeA).rcode, 0);
  EXPECT_EQ(ask(**zs, "test.dbl.example", kTypeA).a.size(), 1u);
  EXPECT_EQ(ask(**zs, "invalid.dbl.example", kTypeA).rcode, 3);
  EXPECT_EQ(ask(**zs, "x.invalid.dbl.example", kTypeA).rcode, 3);
  // A domain entry lists the name and every name below it.
  EXPECT_EQ(ask(**zs, "spam.example.dbl.example", kTypeTxt).txt, std::vector<std::string>{"spammer"});
  EXPECT_EQ(ask(**zs, "a.b.spam.example.dbl.example", kTypeA).a, std::vector<std::string>{"127.0.0.2"});
  EXPECT_EQ(ask(**zs, "example.dbl.example", kTypeA).a.size(), 0u);
}

TEST(LiveZones, ExclusionsInsideListedNetworks) {
  LiveZone z = ip_zone();
  z.entries.push_back({"198.51.100.9", 0, "", true});
  LiveZone d;
  d.apex = "dbl.example";
  d.data = LiveData::kDomain;
  d.entries = {{"example.com", 0x7f000002, "org"}, {"shop.example.com", 0, "", true}};
  auto zs = build_live_zones({z, d}, nullptr);
  ASSERT_TRUE(zs) << zs.error().message;
  EXPECT_EQ(ask(**zs, "9.100.51.198.bl.example", kTypeA).rcode, 3);  // delisted inside the listed /24
  EXPECT_EQ(ask(**zs, "8.100.51.198.bl.example", kTypeA).a, std::vector<std::string>{"127.0.0.4"});
  EXPECT_EQ(ask(**zs, "www.example.com.dbl.example", kTypeA).a.size(), 1u);
  EXPECT_EQ(ask(**zs, "shop.example.com.dbl.example", kTypeA).a.size(), 0u);
  EXPECT_EQ(ask(**zs, "a.shop.example.com.dbl.example", kTypeA).a.size(), 0u);
}

TEST(LiveZones, DuplicateApexRefused) {
  LiveZone a;
  a.apex = "bl.example";
  EXPECT_FALSE(build_live_zones({a, a}, nullptr));
  a.apex = "";
  EXPECT_FALSE(build_live_zones({a}, nullptr));
}

TEST(LiveZones, TxtIsSafeAndBounded) {
  EXPECT_EQ(live_txt("a$b"), "a$$b");
  EXPECT_EQ(live_txt("a\tb\x7f"), "a b ");
  EXPECT_EQ(live_txt("abc$", 4), "abc");       // no half "$$"
  EXPECT_EQ(live_txt("ab\xc3\xa9", 3), "ab");  // no half UTF-8 sequence
  EXPECT_EQ(live_txt(std::string(5000, 'x')).size(), 1000u);
}

// The serials of live zones: the build time is the loaded serial, so a
// restart continues upwards; each change is max(now, previous + 1); an
// unchanged rebuild keeps the serial; the journal keeps the last N diffs.
TEST(LiveZones, SerialsAndJournal) {
  XfrOptions o;
  o.journal = 2;
  Xfr x(o);
  auto at = [&](uint32_t serial, std::vector<LiveEntry> entries, std::vector<std::string>* changed) {
    LiveZone z;
    z.apex = "bl.example";
    z.serial = serial;
    z.entries = std::move(entries);
    auto zs = build_live_zones({z}, nullptr);
    EXPECT_TRUE(zs);
    changed->clear();
    return x.update(*zs, changed, nullptr)->zones()[0].soa.serial;
  };
  std::vector<std::string> changed;
  EXPECT_EQ(at(1000, {}, &changed), 1000u);
  EXPECT_EQ(at(1000, {{"192.0.2.1", 0x7f000002, "a"}}, &changed), 1001u);  // same second: +1
  EXPECT_EQ(changed, std::vector<std::string>{"bl.example"});
  EXPECT_EQ(at(1002, {{"192.0.2.1", 0x7f000002, "a"}}, &changed), 1001u);  // unchanged: kept
  EXPECT_TRUE(changed.empty());
  EXPECT_EQ(at(5000, {{"192.0.2.1", 0x7f000002, "b"}}, &changed), 5000u);  // the TXT changed
  EXPECT_EQ(at(5000, {}, &changed), 5001u);
  auto j = x.journal("bl.example");
  ASSERT_EQ(j.size(), 2u);  // bounded: 1000->1001 is gone
  EXPECT_EQ(j[0], (std::pair<uint32_t, uint32_t>{1001, 5000}));
  EXPECT_EQ(j[1], (std::pair<uint32_t, uint32_t>{5000, 5001}));
}

}  // namespace
}  // namespace rampart::dnsbl

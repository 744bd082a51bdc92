#include "dnsbl/live.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/ip.h"
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

// Incremental updates: after every step of random changes the sharded
// zones answer as one data set holding the whole zone (the reference,
// written here as plain ip4trie/ip6trie/dnset text), and the differences
// Xfr::update_live journals, applied to the previous records, give the
// current records.
// Networks wider than an IPv4 /8 or an IPv6 /24 are listed (the wide
// shards): every address inside answers, the longest prefix still wins,
// and a shard of its own under one holds a copy (issue 14).
TEST(LiveZones, WideNetworksAreListed) {
  LiveZone z;
  z.apex = "bl.example";
  z.entries = {{"64.0.0.0/3", 0x7f000002, "wide"},
               {"80.0.0.0/5", 0x7f000003, "inside"},
               {"80.5.6.7", 0x7f000004, "own"},
               {"80.5.6.8", 0, "", true},
               {"2a00::/12", 0x7f000002, "wide6"},
               {"2a01:4f8::2", 0x7f000004, "own6"},
               {"0.0.0.0/1", 0x7f000002, "covers 127.0.0.1"},
               {"::/0", 0x7f000002, "covers ::ffff:127.0.0.1"}};
  LoadReport report;
  auto zs = build_live_zones({z}, &report);
  ASSERT_TRUE(zs);
  ASSERT_EQ(report.warnings.size(), 2u);  // the two that would list 127.0.0.1
  auto a = [&](std::string_view n) {
    auto r = ask(**zs, n, kTypeA);
    return r.rcode == 0 && r.a.size() == 1 ? r.a[0] : "rcode " + std::to_string(r.rcode);
  };
  EXPECT_EQ(a("3.2.1.70.bl.example"), "127.0.0.2");  // only the /3 (no shard there)
  EXPECT_EQ(a("255.255.255.95.bl.example"), "127.0.0.2");
  EXPECT_EQ(a("4.3.2.81.bl.example"), "127.0.0.3");        // the /5 inside it
  EXPECT_EQ(a("7.6.5.80.bl.example"), "127.0.0.4");        // the /32
  EXPECT_EQ(a("9.9.5.80.bl.example"), "127.0.0.3");        // the /5's copy in shard 80.5
  EXPECT_EQ(a("8.6.5.80.bl.example"), "rcode 3");          // excluded
  EXPECT_EQ(a("0.0.0.96.bl.example"), "rcode 3");          // outside
  EXPECT_EQ(a("1.0.0.127.bl.example"), "rcode 3");         // RFC 5782: never
  EXPECT_EQ(ask(**zs, "70.bl.example", kTypeA).rcode, 0);  // names above: exist, no records
  EXPECT_TRUE(ask(**zs, "70.bl.example", kTypeA).a.empty());
  EXPECT_EQ(ask(**zs, "1.70.bl.example", kTypeA).rcode, 0);
  EXPECT_EQ(ask(**zs, "96.bl.example", kTypeA).rcode, 3);
  auto six = [&](const char* addr) { return IpAddress::parse(addr)->reverse_name() + ".bl.example"; };
  EXPECT_EQ(a(six("2a0f:1::1")), "127.0.0.2");
  EXPECT_EQ(a(six("2a01:4f8::1")), "127.0.0.2");  // the /12's copy in shard 2a01:4f8
  EXPECT_EQ(a(six("2a01:4f8::2")), "127.0.0.4");
  EXPECT_EQ(a(six("2a10::1")), "rcode 3");
  // As a zone: the /3 is 32 wildcards at /8; the /12 one at 3 nibbles, and
  // the names between it and shard 2a01:4f8 (2a01, 2a01:0, 2a01:04, 2a01:04f)
  // get copies, as a secondary needs (RFC 4592).
  auto rrs = zone_records((*zs)->zones()[0], 100000);
  ASSERT_TRUE(rrs);
  std::set<std::string> names;
  for (const auto& r : *rrs)
    if (r.type == kTypeA) {
      std::string text;  // the wire name dotted
      for (size_t i = 0; i < r.name.size() && r.name[i] != 0; i += 1 + static_cast<uint8_t>(r.name[i]))
        text += r.name.substr(i + 1, static_cast<uint8_t>(r.name[i])) + ".";
      names.insert(text);
    }
  for (const char* n : {"*.64.bl.example.", "*.95.bl.example.", "*.80.bl.example.", "*.5.80.bl.example.",
                        "*.0.a.2.bl.example.", "*.1.0.a.2.bl.example.", "*.f.4.0.1.0.a.2.bl.example.",
                        "*.8.f.4.0.1.0.a.2.bl.example."})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_FALSE(names.count("*.96.bl.example."));
}

TEST(LiveZones, IncrementalShardsMatchTheWholeZone) {
  LiveZone ip, dom;
  ip.apex = "bl.example";
  dom.apex = "dbl.example";
  dom.data = LiveData::kDomain;
  auto b = LiveBuilder::create({ip, dom});
  ASSERT_TRUE(b);
  XfrOptions o;
  o.journal = 1000;
  Xfr x(o);
  std::vector<std::string> ip_keys = {
      "10.0.0.0/12", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.9.9", "10.15.255.255", "10.16.0.1",
      "192.0.2.0/25", "192.0.2.7", "127.0.0.2", "2001:db0::/28", "2001:db8::/64", "2001:db8::1",
      "2001:db8:1::/48", "2001:db9::5",
      // wider than a shard's /8 or /24 split (the wide shards)
      "64.0.0.0/3", "80.0.0.0/5", "80.5.6.7", "80.5.0.0/16", "2a00::/12", "2a01:4f8::1", "2a01:4f8::/32"};
  std::vector<std::string> dom_keys = {"example.com", "a.example.com", "b.c.example.com",
                                       "example.org", "x.test",        "deep.a.example.com"};
  std::map<std::string, LiveEntry> model[2];
  std::mt19937 rng(14);
  auto records_of = [&](const ZoneSetPtr& zs, size_t i) {
    auto r = zone_records(zs->zones()[i], 1000000);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<Rr>{};
  };
  ZoneSetPtr served = x.update_live(b->zones({1000, 1000}), b->take_changes(), nullptr, nullptr);
  std::vector<Rr> before[2] = {records_of(served, 0), records_of(served, 1)};
  for (int step = 0; step < 60; ++step) {
    std::set<std::string> touched[2];
    for (int k = 0; k < 3; ++k) {
      const size_t z = rng() % 2;
      const auto& keys = z == 0 ? ip_keys : dom_keys;
      const std::string key = keys[rng() % keys.size()];
      const int what = static_cast<int>(rng() % 4);
      if (what == 0)
        model[z].erase(key);
      else if (what == 1 && (z == 0 || key != "example.com"))
        model[z][key] = {key, 0, "", true};
      else
        model[z][key] = {key, 0x7f000002u + static_cast<uint32_t>(rng() % 3), "step " + std::to_string(step)};
      std::string why;
      for (auto& sh : live_shards(z ? LiveData::kDomain : LiveData::kIp, key, &why)) {
        touched[z].insert(sh);
        // A wide network: the shards under it hold copies (set after it:
        // "4" and "6" sort first).
        for (auto& under : b->shards_under(z, key)) touched[z].insert(under);
      }
    }
    for (size_t z = 0; z < 2; ++z)
      for (const auto& sh : touched[z]) {
        std::vector<LiveEntry> in;
        for (const auto& [key, e] : model[z]) {
          std::string why;
          auto shs = live_shards(z ? LiveData::kDomain : LiveData::kIp, key, &why);
          if (std::find(shs.begin(), shs.end(), sh) != shs.end()) in.push_back(e);
        }
        b->set_shard(z, sh, std::move(in), nullptr);
      }
    std::vector<std::string> changed;
    served = x.update_live(b->zones({1000, 1000}), b->take_changes(), &changed, nullptr);
    // The reference: the whole zone as one data set per family.
    std::string t4 = "127.0.0.2 :127.0.0.2:RFC 5782 test entry\n";
    std::string t6 = "::ffff:7f00:2/128 :127.0.0.2:RFC 5782 test entry\n";
    std::string td = "test :127.0.0.2:RFC 5782 test entry\n";
    for (const auto& [key, e] : model[0]) {
      if (key == "127.0.0.2") continue;  // the test entry's, first of duplicates
      const std::string line =
          e.excluded ? "!" + key + "\n" : key + " :" + std::to_string(e.a & 255) + ":" + e.txt + "\n";
      (key.find(':') == std::string::npos ? t4 : t6) += line;
    }
    for (const auto& [key, e] : model[1])
      td +=
          e.excluded ? "!." + key + "\n" : "." + key + " :" + std::to_string(e.a & 255) + ":" + e.txt + "\n";
    auto ref = ZoneSet::build({{"bl.example", *load_dataset_text("ip4trie", {t4})},
                               {"bl.example", *load_dataset_text("ip6trie", {t6})},
                               {"dbl.example", *load_dataset_text("dnset", {td})}});
    std::vector<std::string> names = {
        "2.0.0.127.bl.example",    "1.0.0.127.bl.example", "10.bl.example",      "1.10.bl.example",
        "2.1.10.bl.example",       "9.1.10.bl.example",    "test.dbl.example",   "com.dbl.example",
        "example.com.dbl.example", "3.2.1.70.bl.example",  "70.bl.example",      "9.70.bl.example",
        "9.9.5.80.bl.example",     "5.80.bl.example",      "8.6.5.80.bl.example"};
    for (const auto& k : ip_keys) {
      auto p = parse_cidr(k);
      ASSERT_TRUE(p);
      for (uint32_t off : {0u, 1u, 7u, 200u, 70000u}) {
        auto bytes = p->net.bytes();
        if (p->net.is_v4()) {
          uint32_t a = p->net.v4_host_order() + off;
          names.push_back(IpAddress::v4(a).reverse_name() + ".bl.example");
        } else {
          bytes[15] = static_cast<uint8_t>(bytes[15] + off);
          bytes[13] = static_cast<uint8_t>(bytes[13] + (off >> 16));
          names.push_back(IpAddress::v6(bytes).reverse_name() + ".bl.example");
        }
      }
    }
    for (const auto& k : dom_keys)
      for (const char* pre : {"", "w.", "w.v."}) names.push_back(pre + k + ".dbl.example");
    for (const auto& n : names)
      for (uint16_t t : {kTypeA, kTypeTxt}) {
        auto want = ask(*ref, n, t), got = ask(*served, n, t);
        std::sort(want.a.begin(), want.a.end());
        std::sort(got.a.begin(), got.a.end());
        // The one difference (README "LIVE ZONES"): a whole shard (/16)
        // excluded inside a wider listed network: names above its addresses
        // are NXDOMAIN, not empty non-terminals (nothing below is listed).
        auto x16 = model[0].find("10.1.0.0/16");
        const bool above = n.ends_with(".1.10.bl.example") && std::count(n.begin(), n.end(), '.') < 5;
        if (!(above && x16 != model[0].end() && x16->second.excluded)) {
          ASSERT_EQ(got.rcode, want.rcode) << "step " << step << " " << n << " type " << t;
        }
        ASSERT_EQ(got.a, want.a) << "step " << step << " " << n;
        ASSERT_EQ(got.txt, want.txt) << "step " << step << " " << n;
      }
    // The journal's last difference turns the previous records into these.
    for (size_t z = 0; z < 2; ++z) {
      const auto now = records_of(served, z);
      const std::string apex = z ? "dbl.example" : "bl.example";
      const bool did = std::find(changed.begin(), changed.end(), apex) != changed.end();
      EXPECT_EQ(did, now != before[z]) << "step " << step << " " << apex;
      if (did) {
        auto st = x.state(apex);
        ASSERT_TRUE(st && !st->diffs.empty());
        const auto& d = *st->diffs.back();
        std::set<Rr> rebuilt(before[z].begin(), before[z].end());
        for (const auto& r : d.removed.unpack()) EXPECT_EQ(rebuilt.erase(r), 1u) << "step " << step;
        for (const auto& r : d.added.unpack()) EXPECT_TRUE(rebuilt.insert(r).second) << "step " << step;
        EXPECT_EQ(std::vector<Rr>(rebuilt.begin(), rebuilt.end()), now) << "step " << step << " " << apex;
        EXPECT_EQ(st->records, now.size());
      }
      before[z] = now;
    }
  }
}

}  // namespace
}  // namespace rampart::dnsbl

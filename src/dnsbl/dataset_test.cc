#include "dnsbl/dataset.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>

namespace rampart::dnsbl {
namespace {

DatasetPtr load(std::string_view type, std::vector<std::string> texts, LoadReport* report = nullptr) {
  auto ds = load_dataset_text(type, texts, report);
  EXPECT_TRUE(ds.has_value()) << (ds ? "" : ds.error().message);
  return ds ? *ds : nullptr;
}

struct Result {
  Found found;
  std::set<std::string> records;  // "A 127.0.0.2", "TXT text"
};

// `name` relative to the data set, e.g. "2.0.0.127".
Result q(const DatasetPtr& ds, std::string_view name, uint16_t qtype = kTypeAny) {
  std::vector<std::string> owned;
  while (!name.empty()) {
    size_t dot = name.find('.');
    owned.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  std::vector<std::string_view> labels(owned.begin(), owned.end());
  Collector c;
  Result r;
  r.found = ds->query({labels.data(), labels.size()}, qtype, c);
  for (const auto& rec : c.records) {
    if (rec.type == kTypeA) {
      char b[32];
      std::snprintf(b, sizeof b, "A %u.%u.%u.%u", rec.a >> 24, (rec.a >> 16) & 255, (rec.a >> 8) & 255,
                    rec.a & 255);
      r.records.insert(b);
    } else if (rec.type == kTypeTxt) {
      r.records.insert("TXT " + std::string(c.text(rec)));
    } else {
      r.records.insert("MX " + std::to_string(rec.mx_pref) + " " + std::string(c.text(rec)));
    }
  }
  return r;
}

using S = std::set<std::string>;

TEST(Ip4Set, SyntaxOfEntries) {
  auto ds = load("ip4set", {"127.0.0.2\n"
                            "10.1.2\n"  // /24
                            "10.2/16\n"
                            "10.3.0.1-255\n"  // last octet range
                            "10.4.16-31\n"    // suffix range on the third octet
                            "10.5.0.0-10.5.1.255\n"
                            "10.6.0.0/23 :3:net $\n"
                            "10.7.0.5/24\n"  // host bits: skipped
                            "junk\n"});
  EXPECT_EQ(q(ds, "2.0.0.127").found, Found::kListed);
  EXPECT_EQ(q(ds, "2.0.0.127").records, S{"A 127.0.0.2"});  // default A, no TXT
  EXPECT_EQ(q(ds, "9.2.1.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "9.9.2.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "0.0.3.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "255.0.3.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "1.31.4.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "1.32.4.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "1.1.5.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "1.2.5.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "7.1.6.10").records, (S{"A 127.0.0.3", "TXT net 10.6.1.7"}));
  EXPECT_EQ(q(ds, "5.0.7.10").found, Found::kNo);
  // Partial names inside listed ranges exist (RFC 8020), others do not.
  EXPECT_EQ(q(ds, "0.0.127").found, Found::kExists);
  EXPECT_EQ(q(ds, "10").found, Found::kExists);
  EXPECT_EQ(q(ds, "11").found, Found::kNo);
  // Leading zeros, too many labels, non-numbers: not addresses.
  EXPECT_EQ(q(ds, "02.0.0.127").found, Found::kNo);
  EXPECT_EQ(q(ds, "x.2.0.0.127").found, Found::kNo);
}

TEST(Ip4Set, BadLinesAreWarnings) {
  LoadReport report;
  auto ds = load("ip4set", {"1.2.3.4\n1.2.3.4/24\n300.1.1.1\n1.2.3.4 :x:y\n5.6.7.8\n"}, &report);
  EXPECT_EQ(report.warnings.size(), 3u);
  EXPECT_EQ(q(ds, "8.7.6.5").found, Found::kListed);
  EXPECT_NE(report.warnings[0].find(":2:"), std::string::npos) << report.warnings[0];
}

TEST(Ip4Set, MostSpecificBucketAnswersAllItsValues) {
  auto ds = load("ip4set", {"10.0.0.0/8 :2:eight\n"
                            "10.1.2.3 :3:one\n"
                            "10.1.2.3 :4:two\n"
                            "10.1.2.0/24 :5:net\n"});
  EXPECT_EQ(q(ds, "3.2.1.10").records, (S{"A 127.0.0.3", "TXT one", "A 127.0.0.4", "TXT two"}));
  EXPECT_EQ(q(ds, "4.2.1.10").records, (S{"A 127.0.0.5", "TXT net"}));
  EXPECT_EQ(q(ds, "4.3.1.10").records, (S{"A 127.0.0.2", "TXT eight"}));
}

TEST(Ip4Set, ExclusionBeatsOnlyItsOwnBucket) {
  auto ds = load("ip4set", {"10.0.0.0/8\n!10.1.2.3\n!10.9.0.0/16\n10.9.8.7\n"});
  EXPECT_EQ(q(ds, "3.2.1.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "4.2.1.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "1.1.9.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "7.8.9.10").found, Found::kListed);  // /32 beats the /16 exclusion
}

// Large buckets are indexed by their top bits with 2-byte keys (UnitTable
// in dataset.cc); small ones are searched whole. A set big enough for the
// index in its /32 and /24 buckets, with duplicate units of different
// values and exclusions, answers as a plain model of rbldnsd's rules.
TEST(Ip4Set, LargeBucketsAnswerAsTheModel) {
  std::mt19937 rnd(14);
  std::string text;
  std::map<uint32_t, std::set<uint32_t>> m32, m24;  // unit -> A values; 0 = excluded
  auto add = [&](std::map<uint32_t, std::set<uint32_t>>& m, uint32_t unit, uint32_t a) { m[unit].insert(a); };
  auto dotted = [](uint32_t a, int octets) {
    std::string s;
    for (int o = 0; o < octets; ++o) s += (o ? "." : "") + std::to_string((a >> (24 - 8 * o)) & 255);
    return s;
  };
  for (int i = 0; i < 300000; ++i) {
    uint32_t addr = rnd() & 0x0FFFFFFF;  // 0.x.x.x - 15.x.x.x: dense enough for shared slots
    uint32_t a = 1 + rnd() % 200;
    if (i % 97 == 0) {
      text += "!" + dotted(addr, 4) + "\n";
      add(m32, addr, 0);
    } else {
      text += dotted(addr, 4) + " :" + std::to_string(a) + "\n";
      add(m32, addr, a);
    }
    if (i % 3 == 0) {  // the same unit again with another value
      text += dotted(addr, 4) + " :" + std::to_string(a % 200 + 1) + "\n";
      add(m32, addr, a % 200 + 1);
    }
  }
  for (int i = 0; i < 3000; ++i) {
    uint32_t net = (rnd() & 0x0FFFFF00);
    uint32_t a = 1 + rnd() % 200;
    text += dotted(net, 3) + " :" + std::to_string(a) + "\n";
    add(m24, net >> 8, a);
  }
  auto ds = load("ip4set", {text});
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->entries(), 300000u + 100000u + 3000u);

  auto model = [&](uint32_t addr) {
    for (auto* m : {&m32, &m24}) {
      auto it = m->find(m == &m32 ? addr : addr >> 8);
      if (it == m->end()) continue;
      S out;
      if (it->second.count(0)) return out;
      for (uint32_t a : it->second) out.insert("A 127.0.0." + std::to_string(a));
      return out;
    }
    return S{};
  };
  std::vector<uint32_t> probes;
  for (const auto& [unit, v] : m32) probes.push_back(unit);
  for (const auto& [unit, v] : m24) probes.push_back(unit << 8 | (rnd() & 255));
  for (int i = 0; i < 20000; ++i) probes.push_back(rnd() & 0x0FFFFFFF);
  probes.push_back(0);
  probes.push_back(0x0FFFFFFF);
  size_t listed = 0;
  for (uint32_t addr : probes) {
    std::string name = std::to_string(addr & 255) + "." + std::to_string((addr >> 8) & 255) + "." +
                       std::to_string((addr >> 16) & 255) + "." + std::to_string(addr >> 24);
    auto got = q(ds, name, kTypeA);
    S want = model(addr);
    ASSERT_EQ(got.records, want) << name;
    ASSERT_EQ(got.found, want.empty() ? Found::kNo : Found::kListed) << name;
    listed += !want.empty();
  }
  EXPECT_GT(listed, 250000u);

  // Names of fewer than four labels exist when a listed unit lies below.
  for (uint32_t p = 0; p < 16; ++p) {
    bool any = false;
    for (auto* m : {&m32, &m24})
      for (auto it = m->lower_bound(m == &m32 ? p << 24 : p << 16);
           it != m->end() && (it->first >> (m == &m32 ? 24 : 16)) == p && !any; ++it)
        any = !it->second.count(0);
    EXPECT_EQ(q(ds, std::to_string(p)).found, any ? Found::kExists : Found::kNo) << p;
  }
  EXPECT_EQ(q(ds, "200").found, Found::kNo);
  EXPECT_EQ(q(ds, "255.255.255").found, Found::kNo);

  // The dump (AXFR) walks every unit of the tables in order.
  struct Names : DumpSink {
    std::set<std::string> listed, excluded_names;
    bool node(std::string_view name, const Collector&) override { return listed.emplace(name).second; }
    bool excluded(std::string_view name) override { return excluded_names.emplace(name).second; }
  } sink;
  ASSERT_EQ(ds->dump(sink), DumpStatus::kOk);
  std::set<std::string> want_listed, want_excluded;
  auto reversed = [](uint32_t a, int octets) {
    std::string s;
    for (int o = octets - 1; o >= 0; --o) s += std::to_string((a >> (24 - 8 * o)) & 255) + (o ? "." : "");
    return s;
  };
  for (const auto& [unit, v] : m32) (v.count(0) ? want_excluded : want_listed).insert(reversed(unit, 4));
  for (const auto& [unit, v] : m24) want_listed.insert("*." + reversed(unit << 8, 3));
  EXPECT_EQ(sink.listed, want_listed);
  EXPECT_EQ(sink.excluded_names, want_excluded);
}

// Files are read in pieces of whole lines: a line longer than a piece, a
// line cut by a piece boundary and a last line without its newline load
// as from one string.
TEST(Ip4Set, FileReadInPiecesOfLines) {
  std::string long_txt(1500000, 'x');
  std::string text = ":2:" + long_txt + "\n";
  for (int i = 0; i < 200000; ++i)
    text += "10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
            std::to_string(i & 255) + "\n";
  text += "10.9.9.9 :3:last";  // no newline
  std::string path = ::testing::TempDir() + "/dnsbl_pieces_" + std::to_string(::getpid()) + ".txt";
  {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }
  LoadReport report;
  auto ds = load_dataset("ip4set", {path}, &report);
  std::remove(path.c_str());
  ASSERT_TRUE(ds.has_value());
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_EQ(report.lines, 200002u);
  EXPECT_EQ((*ds)->entries(), 200001u);
  auto first = q(*ds, "0.0.0.10", kTypeTxt);
  ASSERT_EQ(first.records.size(), 1u);
  EXPECT_EQ(first.records.begin()->size(), 4 + long_txt.size());
  EXPECT_EQ(q(*ds, "63.13.3.10", kTypeA).records, (S{"A 127.0.0.2"}));  // entry 199999
  EXPECT_EQ(q(*ds, "9.9.9.10").records, (S{"A 127.0.0.3", "TXT last"}));
  EXPECT_EQ(q(*ds, "0.0.4.10").found, Found::kNo);
  EXPECT_FALSE(load_dataset("ip4set", {path}).has_value());  // gone: an error, not an empty set
}

TEST(Ip4Set, DefaultLineStartsAfreshInEachFile) {
  auto ds = load("ip4set", {":3:first $\n1.1.1.1\n", "2.2.2.2\n:4\n3.3.3.3\n"});
  EXPECT_EQ(q(ds, "1.1.1.1").records, (S{"A 127.0.0.3", "TXT first 1.1.1.1"}));
  EXPECT_EQ(q(ds, "2.2.2.2").records, S{"A 127.0.0.2"});
  EXPECT_EQ(q(ds, "3.3.3.3").records, S{"A 127.0.0.4"});
}

TEST(Ip4Set, ValueForms) {
  auto ds = load("ip4set", {":127.0.0.2:IP address $ is listed\n"
                            "127.0.0.4\n"
                            "127.0.0.5 :5\n"
                            "127.0.0.6 :6:\n"
                            "127.0.0.7 IP address $ running an open relay\n"
                            "127.0.0.8 ; comment\n"
                            "127.0.0.9 :1.2.3.4:full\n"});
  EXPECT_EQ(q(ds, "4.0.0.127").records, (S{"A 127.0.0.2", "TXT IP address 127.0.0.4 is listed"}));
  EXPECT_EQ(q(ds, "5.0.0.127").records, (S{"A 127.0.0.5", "TXT IP address 127.0.0.5 is listed"}));
  EXPECT_EQ(q(ds, "6.0.0.127").records, (S{"A 127.0.0.6"}));
  EXPECT_EQ(q(ds, "7.0.0.127").records, (S{"A 127.0.0.2", "TXT IP address 127.0.0.7 running an open relay"}));
  EXPECT_EQ(q(ds, "8.0.0.127").records, (S{"A 127.0.0.2", "TXT IP address 127.0.0.8 is listed"}));
  EXPECT_EQ(q(ds, "9.0.0.127").records, (S{"A 1.2.3.4", "TXT full"}));
  EXPECT_EQ(q(ds, "9.0.0.127", kTypeA).records, (S{"A 1.2.3.4"}));
  EXPECT_EQ(q(ds, "9.0.0.127", kTypeTxt).records, (S{"TXT full"}));
}

TEST(Ip4Set, Substitutions) {
  auto ds = load("ip4set", {"$1 See http://www.example.com/bl\n$2 for details\n"
                            "127.0.0.2  $1/spammer/$ $2\n"
                            "127.0.0.4  This spammer wants some $$$$.  $1/$\n"});
  EXPECT_EQ(q(ds, "2.0.0.127", kTypeTxt).records,
            S{"TXT See http://www.example.com/bl/spammer/127.0.0.2 for details"});
  EXPECT_EQ(q(ds, "4.0.0.127", kTypeTxt).records,
            S{"TXT This spammer wants some $$.  See http://www.example.com/bl/127.0.0.4"});
  auto base = load(
      "ip4set", {"$= See http://www.example.com/bl?$= ($) for details\n"
                 "127.0.0.2    r123\n127.0.0.3\n127.0.0.4    =See other blocklists for details about $\n"});
  EXPECT_EQ(q(base, "2.0.0.127", kTypeTxt).records,
            S{"TXT See http://www.example.com/bl?r123 (127.0.0.2) for details"});
  EXPECT_EQ(q(base, "4.0.0.127", kTypeTxt).records,
            S{"TXT See other blocklists for details about 127.0.0.4"});
}

TEST(Ip4Set, Specials) {
  auto ds = load("ip4set", {"$SOA 1h ns1.ex.com. admin.ex.com 7 2h 2h 1w 1h\n$SOA 0 x y 1 1 1 1 1\n"
                            "$NS 1d ns1.ex.com -ns0.ex.com ns2.ex.com\n$TTL 10m\n$MAXRANGE4 /24\n"
                            "10.0.0.0/16\n10.1.0.0/24\n#$TTL 5m\n"});
  ASSERT_TRUE(ds->meta.soa);
  EXPECT_EQ(ds->meta.soa->mname, "ns1.ex.com");
  EXPECT_EQ(ds->meta.soa->serial, 7u);
  EXPECT_EQ(ds->meta.soa->ttl, 3600u);
  EXPECT_EQ(ds->meta.soa->expire, 604800u);
  EXPECT_EQ(ds->meta.ns, (std::vector<std::string>{"ns1.ex.com", "ns2.ex.com"}));
  EXPECT_EQ(ds->meta.ns_ttl, 86400u);
  EXPECT_EQ(ds->ttl, 300u);
  EXPECT_EQ(q(ds, "1.0.0.10").found, Found::kNo);  // larger than $MAXRANGE4
  EXPECT_EQ(q(ds, "1.0.1.10").found, Found::kListed);
}

TEST(Ip4Trie, LongestPrefixFirstDuplicateKept) {
  auto ds = load("ip4trie", {"10.0.0.0/8 :2:eight\n10.1.0.0/17 :3:seventeen $\n10.1.0.0/17 :4:dup\n"
                             "!10.1.0.5\n10.1.0.6/32 :6\n10.2.0.0-10.3.0.0\n"});
  EXPECT_EQ(q(ds, "1.0.1.10").records, (S{"A 127.0.0.3", "TXT seventeen 10.1.0.1"}));
  EXPECT_EQ(q(ds, "1.200.1.10").records, (S{"A 127.0.0.2", "TXT eight"}));
  EXPECT_EQ(q(ds, "5.0.1.10").found, Found::kNo);
  EXPECT_EQ(q(ds, "6.0.1.10").records, (S{"A 127.0.0.6"}));
  EXPECT_EQ(q(ds, "1.1.1.11").found, Found::kNo);
  EXPECT_EQ(q(ds, "1.10").found, Found::kExists);
}

TEST(Ip6Trie, PrefixesAndExclusions) {
  auto ds = load("ip6trie", {":127.0.1.2: Listed, see http://example.com/lookup?$\n"
                             "2001:21ab:c000/36\n"
                             "2001:21ab:def7:4242 :127.0.1.3: This one smells funny\n"
                             "2605:6001:42::/52\n::1\n!2605:6001:42::bead\n"});
  auto name = [](std::string_view hex) {  // 32 nibbles, forward -> reversed labels
    std::string out;
    for (size_t i = hex.size(); i-- > 0;) {
      if (!out.empty()) out += '.';
      out += hex[i];
    }
    return out;
  };
  EXPECT_EQ(q(ds, name("200121abc00000000000000000000001")).records,
            (S{"A 127.0.1.2", "TXT Listed, see http://example.com/lookup?2001:21ab:c000::1"}));
  EXPECT_EQ(q(ds, name("200121abdef742420000000000000001")).records,
            (S{"A 127.0.1.3", "TXT This one smells funny"}));
  EXPECT_EQ(q(ds, name("2605600100420000000000000000bead")).found, Found::kNo);
  EXPECT_EQ(q(ds, name("2605600100420000000000000000beef")).found, Found::kListed);
  EXPECT_EQ(q(ds, name("00000000000000000000000000000001")).found, Found::kListed);
  EXPECT_EQ(q(ds, name("00000000000000000000000000000002")).found, Found::kNo);
  EXPECT_EQ(q(ds, "1.0.0.2").found, Found::kExists);
  EXPECT_EQ(q(ds, "3.0.0.2").found, Found::kNo);
}

TEST(Ip6TSet, SixtyFoursAndExcludedAddresses) {
  auto ds = load("ip6tset", {":2:v6 $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n2001:db8::/48\n"});
  auto name = [](std::string_view hex) {
    std::string out;
    for (size_t i = hex.size(); i-- > 0;) {
      if (!out.empty()) out += '.';
      out += hex[i];
    }
    return out;
  };
  EXPECT_EQ(q(ds, name("200120fe002341ed0000000000000001")).records,
            (S{"A 127.0.0.2", "TXT v6 2001:20fe:23:41ed::1"}));
  EXPECT_EQ(q(ds, name("200120fe002341ed0000000000000002")).found, Found::kNo);
  EXPECT_EQ(q(ds, name("200120fe002341ee0000000000000001")).found, Found::kNo);
  EXPECT_EQ(ds->entries(), 2u);
}

TEST(DnSet, ExactWildcardBoth) {
  auto ds = load("dnset", {":3:domain $\nexample.com\n*.wild.com :4:wild\n.both.com\n!ok.both.com\n"
                           "Upper.COM.\n!*.good.wild.com\n"});
  EXPECT_EQ(q(ds, "example.com").records, (S{"A 127.0.0.3", "TXT domain example.com"}));
  EXPECT_EQ(q(ds, "www.example.com").found, Found::kNo);
  EXPECT_EQ(q(ds, "wild.com").found, Found::kExists);  // has "*" below it
  EXPECT_EQ(q(ds, "a.wild.com").records, (S{"A 127.0.0.4", "TXT wild"}));
  EXPECT_EQ(q(ds, "a.b.wild.com").found, Found::kListed);
  EXPECT_EQ(q(ds, "x.good.wild.com").found, Found::kNo);
  EXPECT_EQ(q(ds, "both.com").found, Found::kListed);
  EXPECT_EQ(q(ds, "x.both.com").found, Found::kListed);
  EXPECT_EQ(q(ds, "ok.both.com").found, Found::kNo);
  EXPECT_EQ(q(ds, "upper.com").found, Found::kListed);
  EXPECT_EQ(q(ds, "com").found, Found::kExists);
  EXPECT_EQ(q(ds, "org").found, Found::kNo);
}

TEST(Generic, Records) {
  auto ds =
      load("generic", {"@ A 127.0.0.8\nwww 3000 A 127.0.0.9\nabout TXT \"combined list\"\n@ MX 10 mx.ex.com\n"
                       "bad ZZ 1\n"});
  EXPECT_EQ(q(ds, "").records, (S{"A 127.0.0.8", "MX 10 mx.ex.com"}));
  EXPECT_EQ(q(ds, "www", kTypeA).records, S{"A 127.0.0.9"});
  EXPECT_EQ(q(ds, "about", kTypeTxt).records, S{"TXT combined list"});
  EXPECT_EQ(q(ds, "nothing").found, Found::kNo);
}

TEST(Combined, SectionsAndSubzones) {
  auto ds = load("combined", {"$NS 1w ns1.ex.com ns2.ex.com\n$SOA 1w ns1.ex.com admin.ex.com 0 2h 2h 1w 1h\n"
                              "$DATASET ip4set:proxy proxies @\n:2:Open proxy $\n127.0.0.2\n"
                              "$DATASET dnset:dom domains\nbad.example\n"
                              "$DATASET combined x\n"});
  ASSERT_TRUE(ds->parts());
  ASSERT_EQ(ds->parts()->size(), 2u);
  EXPECT_EQ((*ds->parts())[0].subzones, (std::vector<std::string>{"proxies", ""}));
  EXPECT_EQ(q((*ds->parts())[0].dataset, "2.0.0.127").records,
            (S{"A 127.0.0.2", "TXT Open proxy 127.0.0.2"}));
  EXPECT_TRUE(ds->meta.soa);
  EXPECT_EQ(ds->meta.ns.size(), 2u);
}

TEST(Load, Errors) {
  EXPECT_FALSE(load_dataset_text("nosuch", {""}, nullptr));
  EXPECT_FALSE(load_dataset("ip4set", {"/nonexistent/file"}, nullptr));
  EXPECT_EQ(parse_time("1h30m"), 5400u);
  EXPECT_EQ(parse_time("2w"), 1209600u);
  EXPECT_FALSE(parse_time("1x"));
  EXPECT_FALSE(parse_time(""));
}

// ---- two threads (LoadOptions::threads) give the data set of one thread

// Every name of the dump with its records in the order answered, plus the
// answers to `probes` (A and TXT values in order): equal strings mean the
// same units, values, value numbers and answers.
std::string fingerprint(const Dataset& ds, const std::vector<uint32_t>& probes) {
  struct All : DumpSink {
    std::string out;
    bool node(std::string_view name, const Collector& c) override {
      out.append(name).append(":");
      for (const auto& r : c.records)
        out += " " + std::to_string(r.type) + "/" + std::to_string(r.ttl) + "/" + std::to_string(r.a) + "/" +
               std::string(c.text(r));
      out += "\n";
      return true;
    }
    bool excluded(std::string_view name) override {
      out.append("!").append(name).append("\n");
      return true;
    }
  } sink;
  EXPECT_EQ(ds.dump(sink), DumpStatus::kOk);
  Collector c;
  for (uint32_t a : probes) {
    std::string o[4] = {std::to_string(a & 255), std::to_string((a >> 8) & 255),
                        std::to_string((a >> 16) & 255), std::to_string(a >> 24)};
    std::string_view labels[4] = {o[0], o[1], o[2], o[3]};
    c.clear();
    Found f = ds.query({labels, 4}, kTypeAny, c);
    sink.out += "q" + std::to_string(a) + "=" + std::to_string(static_cast<int>(f));
    for (const auto& r : c.records) sink.out += " " + std::to_string(r.a) + "/" + std::string(c.text(r));
    sink.out += "\n";
  }
  return sink.out;
}

struct TwoThreadFile {
  std::string text;
  std::vector<uint32_t> probes;
};

// A random ip4set: specials at the top, /32s (some with their own values),
// CIDRs, ranges, exclusions, comments, blank and CRLF lines, bad lines and
// bad default lines, and new default lines every `default_every` lines.
TwoThreadFile random_ip4set(uint32_t seed, size_t lines, size_t default_every) {
  std::mt19937 rnd(seed);
  TwoThreadFile f;
  f.text = "$SOA 1h ns.bl hm.bl 0 1h 10m 1w 5m\n$TTL 300\n$1 one\n:2:Listed $ ($1)\n";
  auto ip = [&](uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
           std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
  };
  for (size_t i = 0; i < lines; ++i) {
    uint32_t a = (rnd() & 0x00FFFFFFu) | 0x0A000000u;  // 10/8: units collide
    if (rnd() % 2 == 0) a &= 0xFF0FFFFFu;              // more collisions
    f.probes.push_back(a);
    if (default_every && i % default_every == default_every - 1) {
      f.text += ":" + std::to_string(rnd() % 8 + 2) + ":default " + std::to_string(i) + " $\n";
      continue;
    }
    switch (rnd() % 40) {
      case 0: f.text += ip(a & 0xFFFFFF00u) + "/24\n"; break;
      case 1: f.text += "!" + ip(a) + "\n"; break;
      case 2: f.text += ip(a & 0xFFFFFF00u) + "-" + std::to_string(rnd() % 256) + "\n"; break;
      case 3: f.text += "# comment " + ip(a) + "\n"; break;
      case 4: f.text += "\n"; break;
      case 5: f.text += ip(a) + " :3\r\n"; break;
      case 6: f.text += "300.1.2.3 bad\n"; break;
      case 7: f.text += ":999:bad default\n"; break;
      case 8: f.text += ip(a & 0xFFFF0000u) + "/16 :4:wide\n"; break;
      case 9: f.text += ip(a) + " own text " + std::to_string(rnd() % 50) + "\n"; break;
      case 10:
        f.text += ip(a) + " :" + std::to_string(rnd() % 20 + 2) + ":v" + std::to_string(rnd() % 30) + "\n";
        break;
      default: f.text += ip(a) + "\n";
    }
  }
  for (int i = 0; i < 2000; ++i) f.probes.push_back(rnd());
  return f;
}

// `parallel`: files the worker's half of was kept (no fall back).
void expect_same_with_two_threads(const std::vector<std::string>& texts, const std::vector<uint32_t>& probes,
                                  size_t parallel) {
  LoadOptions one, two;
  one.threads = 1;
  two.threads = 2;
  two.parallel_min_bytes = 0;
  LoadReport r1, r2;
  auto d1 = load_dataset_text("ip4set", texts, &r1, one);
  auto d2 = load_dataset_text("ip4set", texts, &r2, two);
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ((*d1)->entries(), (*d2)->entries());
  EXPECT_EQ(r1.lines, r2.lines);
  EXPECT_EQ(r1.parallel_files, 0u);
  EXPECT_EQ(r2.parallel_files, parallel);
  EXPECT_EQ(r1.warnings, r2.warnings);
  EXPECT_FALSE(r1.warnings.empty());
  EXPECT_EQ((*d1)->ttl, (*d2)->ttl);
  EXPECT_EQ(fingerprint(**d1, probes), fingerprint(**d2, probes));
}

TEST(Ip4SetTwoThreads, SameDataSetAsOneThread) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    // default lines only at the top, then every 997 lines, then every 13
    auto f = random_ip4set(seed, 20000, seed <= 2 ? 0 : seed <= 4 ? 997 : 13);
    expect_same_with_two_threads({f.text}, f.probes, 1);
    // two files: the default starts afresh in the second
    auto g = random_ip4set(seed + 100, 5000, 0);
    g.text.erase(g.text.find(":2:"), g.text.find('\n', g.text.find(":2:")) - g.text.find(":2:") + 1);
    f.probes.insert(f.probes.end(), g.probes.begin(), g.probes.end());
    expect_same_with_two_threads({f.text, g.text}, f.probes, 2);
  }
}

// The worker gives up and the tail is read again by one thread: a special
// in the tail, a $MAXRANGE4 in the head, a default line in the head that the
// guess misses (more than a MiB before the cut and after the file's first
// MiB).
TEST(Ip4SetTwoThreads, FallsBackWhereTheTailDependsOnTheHead) {
  auto f = random_ip4set(7, 20000, 0);
  std::string tail_special = f.text;
  tail_special.insert(tail_special.find('\n', tail_special.size() * 3 / 4) + 1, "$TTL 99\n$2 two\n");
  expect_same_with_two_threads({tail_special}, f.probes, 0);
  std::string head_maxrange = f.text;
  head_maxrange.insert(head_maxrange.find('\n', head_maxrange.size() / 4) + 1, "$MAXRANGE4 /28\n");
  expect_same_with_two_threads({head_maxrange}, f.probes, 0);

  auto big = random_ip4set(8, 400000, 0);  // about 6 MiB
  ASSERT_GT(big.text.size(), size_t{5} << 20);
  big.text.insert(big.text.find('\n', size_t{3} << 19) + 1, ":7:missed by the guess\n");
  expect_same_with_two_threads({big.text}, big.probes, 0);
  // and the same from a file (two threads reading it with pread)
  std::string path = ::testing::TempDir() + "/dnsbl_two_" + std::to_string(::getpid()) + ".txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << big.text;
  }
  LoadOptions one, two;
  one.threads = 1;
  two.parallel_min_bytes = 1;
  LoadReport r2;
  auto d1 = load_dataset("ip4set", {path}, nullptr, one);
  auto d2 = load_dataset("ip4set", {path}, &r2, two);
  std::remove(path.c_str());
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(fingerprint(**d1, big.probes), fingerprint(**d2, big.probes));
  EXPECT_EQ(r2.parallel_files, 0u);  // the missed default line
  // without it, from a file, the worker's half is kept
  auto plain = random_ip4set(9, 400000, 0);
  {
    std::ofstream out(path, std::ios::binary);
    out << plain.text;
  }
  LoadReport p2;
  d1 = load_dataset("ip4set", {path}, nullptr, one);
  d2 = load_dataset("ip4set", {path}, &p2, two);
  std::remove(path.c_str());
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(p2.parallel_files, 1u);
  EXPECT_EQ(fingerprint(**d1, plain.probes), fingerprint(**d2, plain.probes));
}

// Lines of an address alone are read straight from the buffer (the
// loader's fast path, one and two threads); the same file with a blank after
// each such address goes the general way: the same data set, lines and
// warnings, including the lines the fast path must leave alone (leading
// zeros, octets over 255 or of four digits, a CR, a tab, a prefix), after
// a $MAXRANGE4 of 1 (0 is refused), and a last line without its newline.
TEST(Ip4Set, PlainLinesReadStraightAsTheGeneralWay) {
  auto f = random_ip4set(11, 20000, 997);
  f.text += "01.2.3.4\n1.2.3.256\n1.2.3.4567\n10.9.8.7\r\n10.9.8.6\t\n10.9.8\n10.9.9.9\n:5:five\n10.9.9.8\n";
  f.text += "$MAXRANGE4 0\n$MAXRANGE4 1\n10.9.9.7\n10.9.9.6";
  for (uint32_t a : {0x01020304u, 0x0A090807u, 0x0A090806u, 0x0A090800u, 0x0A090909u, 0x0A090908u,
                     0x0A090907u, 0x0A090906u})
    f.probes.push_back(a);
  std::string general;
  size_t plain = 0;
  for (size_t at = 0; at < f.text.size();) {
    size_t nl = f.text.find('\n', at);
    std::string line = f.text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? f.text.size() : nl + 1;
    // A blank after a leading run of digits and dots that ends the line
    // (but for a CR or a tab): no fast path, and the same meaning.
    size_t run = line.find_first_not_of("0123456789.");
    if (!line.empty() && line[0] >= '0' && line[0] <= '9' &&
        (run == std::string::npos || line[run] == '\r' || line[run] == '\t')) {
      if (run == std::string::npos) run = line.size();
      ++plain;
      line.insert(run, " ");
    }
    general += line + (nl == std::string::npos ? "" : "\n");
  }
  ASSERT_GT(plain, 10000u);
  LoadOptions one, two;
  one.threads = 1;
  two.threads = 2;
  two.parallel_min_bytes = 0;
  for (const LoadOptions& o : {one, two}) {
    LoadReport rf, rg;
    auto fast = load_dataset_text("ip4set", {f.text}, &rf, o);
    auto slow = load_dataset_text("ip4set", {general}, &rg, one);
    ASSERT_TRUE(fast && slow);
    EXPECT_EQ((*fast)->entries(), (*slow)->entries());
    EXPECT_EQ(rf.lines, rg.lines);
    EXPECT_EQ(rf.warnings, rg.warnings);
    EXPECT_EQ(fingerprint(**fast, f.probes), fingerprint(**slow, f.probes));
  }
  // The ones the fast path leaves alone answer as rbldnsd reads them.
  auto ds = load("ip4set", {f.text});
  EXPECT_EQ(q(ds, "4.3.2.1").found, Found::kListed);  // 01.2.3.4
  EXPECT_EQ(q(ds, "9.9.9.10").found, Found::kListed);
  EXPECT_EQ(q(ds, "8.9.9.10").records, (S{"A 127.0.0.5", "TXT five"}));
  EXPECT_EQ(q(ds, "7.9.9.10").found, Found::kListed);  // after $MAXRANGE4 1
  EXPECT_EQ(q(ds, "6.9.9.10").found, Found::kListed);  // the last line, without a newline
}

}  // namespace
}  // namespace rampart::dnsbl

#include "dnsbl/xfr.h"

#include <gtest/gtest.h>

#include <set>

#include "dns/wire.h"
#include "dnsbl/tsig.h"

namespace rampart::dnsbl {
namespace {

constexpr uint64_t kNow = 1800000000;

TsigKey key(std::string name = "xfr-key", std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==") {
  auto k = parse_tsig_key(name + ":hmac-sha256:" + secret);
  EXPECT_TRUE(k.has_value());
  return *k;
}

std::string query(std::string_view name, uint16_t type) {
  auto q = dns::build_query(0x4242, name, type, {.recursion_desired = false});
  EXPECT_TRUE(q.has_value());
  return {q->begin(), q->end()};
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Tsig, KeySyntax) {
  auto a = parse_tsig_key("Xfr-Key.:HMAC-SHA256:c2VjcmV0");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->name, "xfr-key");
  EXPECT_EQ(a->algorithm, "hmac-sha256");
  EXPECT_EQ(a->secret, "secret");
  auto dig = parse_tsig_key("hmac-sha512:k:c2VjcmV0");  // dig -y order
  ASSERT_TRUE(dig.has_value());
  EXPECT_EQ(dig->name, "k");
  EXPECT_EQ(dig->algorithm, "hmac-sha512");
  EXPECT_FALSE(parse_tsig_key("k:hmac-md5:c2VjcmV0"));
  EXPECT_FALSE(parse_tsig_key("k:hmac-sha256:not*base64"));
  EXPECT_FALSE(parse_tsig_key("k:hmac-sha256"));
  auto bind = parse_tsig_keyfile(
      "key \"one\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";\n};\n"
      "key two { algorithm hmac-sha1; secret \"b3RoZXI=\"; };\n");
  ASSERT_TRUE(bind.has_value()) << bind.error().message;
  ASSERT_EQ(bind->size(), 2u);
  EXPECT_EQ((*bind)[1].name, "two");
  EXPECT_EQ((*bind)[1].secret, "other");
  auto knot = parse_tsig_keyfile(
      "# hmac-sha256:k\nkey:\n  - id: k\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n");
  ASSERT_TRUE(knot.has_value()) << knot.error().message;
  EXPECT_EQ((*knot)[0].name, "k");
  EXPECT_EQ((*knot)[0].secret, "secret");
  EXPECT_EQ(base64_encode("secret!"), "c2VjcmV0IQ==");
}

TEST(Tsig, SignVerifyAndErrors) {
  std::vector<TsigKey> keys{key()};
  std::string q = query("bl.example", 252);
  std::string signed_q = q;
  std::string mac = tsig_sign(signed_q, keys[0], {}, true, 0, kNow);
  EXPECT_EQ(mac.size(), 32u);
  TsigCheck ok = tsig_verify(bytes(signed_q), keys, kNow + 10);
  EXPECT_TRUE(ok.present);
  EXPECT_EQ(ok.rcode, 0);
  EXPECT_EQ(ok.key, &keys[0]);
  EXPECT_EQ(ok.unsigned_length, q.size());

  // Time outside the fudge (300 s): BADTIME, after the MAC was checked.
  TsigCheck late = tsig_verify(bytes(signed_q), keys, kNow + 301);
  EXPECT_EQ(late.rcode, 9);
  EXPECT_EQ(late.error, kTsigBadTime);

  // A key of the same name with another secret: BADSIG.
  std::vector<TsigKey> other{key("xfr-key", "b3RoZXItc2VjcmV0")};
  EXPECT_EQ(tsig_verify(bytes(signed_q), other, kNow).error, kTsigBadSig);
  // An unknown key name: BADKEY.
  std::vector<TsigKey> unknown{key("another")};
  TsigCheck bk = tsig_verify(bytes(signed_q), unknown, kNow);
  EXPECT_EQ(bk.rcode, 9);
  EXPECT_EQ(bk.error, kTsigBadKey);

  // The MAC covers the message: one changed byte of the question is BADSIG;
  // the ID is covered through the original ID, so a changed ID still verifies.
  std::string tampered = signed_q;
  tampered[13] ^= 0x20;  // "bl" -> "Bl" is a different byte string
  EXPECT_EQ(tsig_verify(bytes(tampered), keys, kNow).error, kTsigBadSig);
  std::string new_id = signed_q;
  new_id[0] ^= 1;
  EXPECT_EQ(tsig_verify(bytes(new_id), keys, kNow).rcode, 0);

  // A truncated MAC (16 of 32 bytes, valid prefix): BADTRUNC; below half the
  // hash: FORMERR (RFC 8945 5.2.2.1).
  auto truncate = [&](size_t keep) {
    std::string m = q;
    std::string full = tsig_sign(m, keys[0], {}, true, 0, kNow);
    TsigRecord t;
    bool formerr = false;
    EXPECT_TRUE(find_tsig(bytes(m), &t, &formerr));
    size_t mac_at = m.find(full);
    m.erase(mac_at + keep, full.size() - keep);
    size_t len_at = mac_at - 2;
    m[len_at] = 0;
    m[len_at + 1] = static_cast<char>(keep);
    size_t rdlen_at = t.offset + wire_name("xfr-key").size() + 8;
    uint16_t rdlen = static_cast<uint16_t>(((uint8_t(m[rdlen_at]) << 8) | uint8_t(m[rdlen_at + 1])) -
                                           (full.size() - keep));
    m[rdlen_at] = static_cast<char>(rdlen >> 8);
    m[rdlen_at + 1] = static_cast<char>(rdlen);
    return tsig_verify(bytes(m), keys, kNow);
  };
  TsigCheck tr = truncate(16);
  EXPECT_EQ(tr.rcode, 9);
  EXPECT_EQ(tr.error, kTsigBadTrunc);
  EXPECT_EQ(truncate(8).rcode, 1);

  // A TSIG that is not the last record: FORMERR.
  std::string twice = signed_q;
  tsig_sign(twice, keys[0], {}, true, 0, kNow);
  EXPECT_EQ(tsig_verify(bytes(twice), keys, kNow).rcode, 1);

  // A response signed over the request MAC verifies only with that MAC.
  std::string resp = q;
  resp[2] = static_cast<char>(resp[2] | 0x80);
  std::string rmac = tsig_sign(resp, keys[0], mac, true, 0, kNow);
  EXPECT_TRUE(tsig_verify_response(bytes(resp), keys[0], mac, true, kNow));
  EXPECT_FALSE(tsig_verify_response(bytes(resp), keys[0], rmac, true, kNow));
  // The next message of a TCP answer: prior MAC and timers only.
  std::string next = q;
  tsig_sign(next, keys[0], rmac, false, 0, kNow);
  EXPECT_TRUE(tsig_verify_response(bytes(next), keys[0], rmac, false, kNow));
  EXPECT_FALSE(tsig_verify_response(bytes(next), keys[0], rmac, true, kNow));
}

ZoneSetPtr load(const std::string& text) {
  auto ds = load_dataset_text("ip4set", {text});
  EXPECT_TRUE(ds.has_value());
  return ZoneSet::build({{"bl.example", *ds}});
}

const std::string kSoa =
    "$SOA 1h ns.bl.example hostmaster.bl.example 10 1h 10m 1w 5m\n$NS 1h ns.bl.example\n";

TEST(Xfr, DumpAsRbldnsd) {
  auto zs = load(kSoa + ":2:Listed $\n127.0.0.2\n10.1.0.0/16 :3:net $\n10.2.0.0/23\n!10.1.2.3\n");
  auto rrs = zone_records(zs->zones()[0], 1000);
  ASSERT_TRUE(rrs.has_value());
  std::map<std::string, int> names;
  for (const auto& r : *rrs) {
    std::string n;
    for (size_t i = 0; i < r.name.size() && r.name[i];) {
      if (!n.empty()) n += '.';
      n.append(r.name, i + 1, static_cast<size_t>(r.name[i]));
      i += 1 + static_cast<size_t>(r.name[i]);
    }
    names[n + "/" + std::to_string(r.type)]++;
  }
  EXPECT_EQ(names["bl.example/2"], 1);
  EXPECT_EQ(names["2.0.0.127.bl.example/1"], 1);
  EXPECT_EQ(names["2.0.0.127.bl.example/16"], 1);
  EXPECT_EQ(names["*.1.10.bl.example/1"], 1);    // /16: one wildcard
  EXPECT_EQ(names["*.0.2.10.bl.example/1"], 1);  // /23: two /24 wildcards
  EXPECT_EQ(names["*.1.2.10.bl.example/1"], 1);
  EXPECT_EQ(names["3.2.1.10.bl.example/5"], 1);  // excluded: CNAME
  // 2.1.10 exists (above 3.2.1.10): the /16's wildcard is copied below it,
  // else 1.2.1.10 would be NXDOMAIN at a secondary (RFC 4592 closest encloser).
  EXPECT_EQ(names["*.2.1.10.bl.example/1"], 1);
  EXPECT_EQ(names["*.2.1.10.bl.example/16"], 1);
  EXPECT_EQ(names["*.0.2.10.bl.example/16"], 1);  // the default ":2:Listed $"
  EXPECT_EQ(rrs->size(), 1u + 2 + 2 + 2 + 2 + 1 + 2);
  // Over the cap: refused with the reason.
  auto capped = zone_records(zs->zones()[0], 3);
  ASSERT_FALSE(capped.has_value());
  EXPECT_NE(capped.error().message.find("more than 3 records"), std::string::npos);
}

TEST(Xfr, DumpIp4TrieLongestPrefixWins) {
  auto ds =
      load_dataset_text("ip4trie", {"10.1.0.0/17 :2:\n10.1.0.128/25 :3:\n!10.1.0.5\n10.1.0.0/24 :4:\n"});
  ASSERT_TRUE(ds.has_value());
  auto zs = ZoneSet::build({{"tr.example", *ds}});
  auto rrs = zone_records(zs->zones()[0], 100000);
  ASSERT_TRUE(rrs.has_value());
  std::map<std::string, std::string> a;  // name -> A (or "CNAME")
  for (const auto& r : *rrs) {
    std::string n;
    for (size_t i = 0; i < r.name.size() && r.name[i];) {
      if (!n.empty()) n += '.';
      n.append(r.name, i + 1, static_cast<size_t>(r.name[i]));
      i += 1 + static_cast<size_t>(r.name[i]);
    }
    if (r.type == kTypeA) a[n] = std::to_string(static_cast<uint8_t>(r.rdata[3]));
    if (r.type == 5) a[n] = "CNAME";
  }
  EXPECT_EQ(a["*.5.1.10.tr.example"], "2");  // the /17 as /24 wildcards
  EXPECT_EQ(a["*.127.1.10.tr.example"], "2");
  EXPECT_EQ(a.count("*.128.1.10.tr.example"), 0u);
  EXPECT_EQ(a["*.0.1.10.tr.example"], "4");      // the /24 beats the /17
  EXPECT_EQ(a["129.0.1.10.tr.example"], "3");    // the /25 as names
  EXPECT_EQ(a["5.0.1.10.tr.example"], "CNAME");  // the exclusion
  EXPECT_EQ(a.size(), 128u + 128 + 1);
}

TEST(Xfr, DumpIp6) {
  auto trie = load_dataset_text("ip6trie", {"2001:db8::/32 :2:\n2001:db8:4::/46 :3:\n!2001:db8::1\n"});
  auto tset = load_dataset_text("ip6tset", {"2001:db8:5:6::/64\n!2001:db8:5:6::7\n"});
  ASSERT_TRUE(trie && tset);
  auto zs = ZoneSet::build({{"v6.example", *trie}, {"t6.example", *tset}});
  std::set<std::pair<std::string, uint16_t>> names;
  for (const auto& z : zs->zones()) {
    auto rrs = zone_records(z, 100000);
    ASSERT_TRUE(rrs.has_value()) << rrs.error().message;
    for (const auto& r : *rrs) {
      std::string n;
      for (size_t i = 0; i < r.name.size() && r.name[i];) {
        if (!n.empty()) n += '.';
        n.append(r.name, i + 1, static_cast<size_t>(r.name[i]));
        i += 1 + static_cast<size_t>(r.name[i]);
      }
      names.insert({n, r.type});
    }
  }
  EXPECT_TRUE(names.count({"*.8.b.d.0.1.0.0.2.v6.example", kTypeA}));
  // A /46 widened to /48: four wildcards of 12 nibbles.
  for (const char* n : {"*.4.0.0.0.8.b.d.0.1.0.0.2.v6.example", "*.7.0.0.0.8.b.d.0.1.0.0.2.v6.example"})
    EXPECT_TRUE(names.count({n, kTypeA})) << n;
  EXPECT_FALSE(names.count({"*.8.0.0.0.8.b.d.0.1.0.0.2.v6.example", kTypeA}));
  EXPECT_TRUE(
      names.count({std::string("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.v6.example"),
                   uint16_t{5}}));
  EXPECT_TRUE(names.count({"*.6.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2.t6.example", kTypeA}));
  EXPECT_TRUE(
      names.count({std::string("7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2.t6.example"),
                   uint16_t{5}}));
}

std::vector<std::string> transfer(Xfr& x, const ZoneSet& zs, const std::string& q,
                                  Transport t = Transport::kTcp, const char* from = "127.0.0.1") {
  Collector c;
  std::vector<std::string> out;
  x.serve(zs, bytes(q), t, *IpAddress::parse(from), c, &out, kNow);
  return out;
}

std::string ixfr_query(uint32_t serial) {
  std::string q = query("bl.example", 251);
  q[9] = 1;  // NSCOUNT
  q += std::string("\xc0\x0c\x00\x06\x00\x01\x00\x00\x00\x00", 10);
  dns::Soa soa{"bl.example", 0, "a", "b", serial, 0, 0, 0, 0};
  std::string rd = soa_rdata(soa);
  q += static_cast<char>(rd.size() >> 8);
  q += static_cast<char>(rd.size());
  q += rd;
  return q;
}

int answers(const std::string& m) { return (uint8_t(m[6]) << 8) | uint8_t(m[7]); }

TEST(Xfr, SerialsJournalAndIxfr) {
  XfrOptions o;
  o.allow.push_back(*parse_cidr("127.0.0.0/8"));
  o.journal = 2;
  Xfr x(o);
  std::vector<std::string> changed, log;
  auto v1 = x.update(load(kSoa + "127.0.0.2\n10.0.0.1\n"), &changed, &log);
  EXPECT_EQ(v1->zones()[0].soa.serial, 10u);
  EXPECT_TRUE(changed.empty());
  // The same data again: the same serial, nothing journalled.
  auto same = x.update(load(kSoa + "10.0.0.1\n127.0.0.2\n"), &changed, &log);
  EXPECT_EQ(same->zones()[0].soa.serial, 10u);
  EXPECT_TRUE(changed.empty());
  // Changed data with an unchanged $SOA serial: previous + 1.
  auto v2 = x.update(load(kSoa + "127.0.0.2\n10.0.0.2\n"), &changed, &log);
  EXPECT_EQ(v2->zones()[0].soa.serial, 11u);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], "bl.example");
  auto v3 = x.update(load(kSoa + "127.0.0.2\n10.0.0.2\n10.0.0.3\n"), &changed, &log);
  auto v4 = x.update(load(kSoa + "127.0.0.2\n10.0.0.3\n"), &changed, &log);
  EXPECT_EQ(v4->zones()[0].soa.serial, 13u);
  // The journal keeps the last 2 differences.
  auto j = x.journal("bl.example");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], (std::pair<uint32_t, uint32_t>{11, 12}));
  EXPECT_EQ(j[1], (std::pair<uint32_t, uint32_t>{12, 13}));

  // IXFR from 11: SOA 13, SOA 11, (none removed), SOA 12, +10.0.0.3, SOA 12,
  // -10.0.0.2, SOA 13, (none added), SOA 13.
  auto inc = transfer(x, *v4, ixfr_query(11));
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_EQ(inc[0][3] & 0xF, 0);
  EXPECT_EQ(answers(inc[0]), 1 + (1 + 0 + 1 + 1) + (1 + 1 + 1 + 0) + 1);
  // Up to date: one SOA.
  EXPECT_EQ(answers(transfer(x, *v4, ixfr_query(13))[0]), 1);
  // A serial the journal no longer has (10): the whole zone, as AXFR.
  auto full = transfer(x, *v4, ixfr_query(10));
  auto axfr = transfer(x, *v4, query("bl.example", 252));
  EXPECT_EQ(answers(full[0]), 1 + 1 + 2 + 1);  // SOA, NS, two A (no TXT), SOA
  EXPECT_EQ(answers(axfr[0]), answers(full[0]));
  // UDP, another client, or an unknown zone: refused / not authoritative.
  EXPECT_EQ(transfer(x, *v4, query("bl.example", 252), Transport::kUdp)[0][3] & 0xF, 5);
  EXPECT_EQ(transfer(x, *v4, query("bl.example", 252), Transport::kTcp, "10.0.0.1")[0][3] & 0xF, 5);
  EXPECT_EQ(transfer(x, *v4, query("other.example", 252))[0][3] & 0xF, 9);
  // An IXFR without the client's SOA: FORMERR.
  EXPECT_EQ(transfer(x, *v4, query("bl.example", 251))[0][3] & 0xF, 1);
  EXPECT_EQ(x.counters().axfr.load(), 1u);
  EXPECT_EQ(x.counters().ixfr.load(), 2u);  // differences, up to date
  EXPECT_EQ(x.counters().ixfr_full.load(), 1u);
  EXPECT_EQ(x.counters().refused.load(), 3u);
}

// The journal holds at most 1/journal_share of the zone's records (at
// least 4096), the oldest differences dropped first: a difference as big
// as a good part of the zone is not kept (an IXFR from before it gets the
// whole zone), small ones are, up to the bound.
TEST(Xfr, JournalBoundedByTheZoneSize) {
  // 20000 addresses 10.0.0.0-10.0.78.31; version k lists [from, from + 20000).
  auto zone = [](int from) {
    std::string data = kSoa;
    for (int i = from; i < from + 20000; ++i)
      data += "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "\n";
    return load(data);
  };
  XfrOptions o;
  o.allow.push_back(*parse_cidr("127.0.0.0/8"));
  o.journal = 16;
  o.journal_share = 8;  // 20001 records: the bound is the floor, 4096
  Xfr x(o);
  auto v1 = x.update(zone(0), nullptr, nullptr);
  ASSERT_EQ(v1->zones()[0].soa.serial, 10u);
  // 3000 out, 3000 in: 6000 records, more than the bound: not journalled.
  auto v2 = x.update(zone(3000), nullptr, nullptr);
  ASSERT_EQ(v2->zones()[0].soa.serial, 11u);
  EXPECT_TRUE(x.journal("bl.example").empty());
  size_t n = 0;
  for (const auto& m : transfer(x, *v2, ixfr_query(10))) n += answers(m);
  EXPECT_EQ(n, 1 + 1 + 20000 + 1);  // SOA, NS, the A records, SOA
  EXPECT_EQ(x.counters().ixfr_full.load(), 1u);
  // Three changes of 1000 out, 1000 in (2000 records each): two fit.
  x.update(zone(4000), nullptr, nullptr);
  x.update(zone(5000), nullptr, nullptr);
  auto v5 = x.update(zone(6000), nullptr, nullptr);
  ASSERT_EQ(v5->zones()[0].soa.serial, 14u);
  auto j = x.journal("bl.example");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], (std::pair<uint32_t, uint32_t>{12, 13}));
  EXPECT_EQ(j[1], (std::pair<uint32_t, uint32_t>{13, 14}));
  // IXFR from 12: SOA 14, SOA 12, 1000 removed, SOA 13, 1000 added, the same
  // again to 14, SOA 14 (in as many messages as it takes).
  n = 0;
  for (const auto& m : transfer(x, *v5, ixfr_query(12))) n += answers(m);
  EXPECT_EQ(n, 1 + 2 * (1 + 1000 + 1 + 1000) + 1);
  EXPECT_EQ(x.counters().ixfr.load(), 1u);
  // From 11, dropped: the whole zone.
  transfer(x, *v5, ixfr_query(11));
  EXPECT_EQ(x.counters().ixfr_full.load(), 2u);
}

TEST(Xfr, BigZoneSplitAndTsigRequired) {
  std::string data = kSoa;
  for (int i = 0; i < 3000; ++i)
    data += "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "\n";
  XfrOptions o;
  o.allow.push_back(*parse_cidr("127.0.0.1/32"));
  o.keys.push_back(key());
  Xfr x(o);
  auto zs = x.update(load(data), nullptr, nullptr);
  // Unsigned while a key is configured: REFUSED.
  EXPECT_EQ(transfer(x, *zs, query("bl.example", 252))[0][3] & 0xF, 5);
  // Signed: several messages, each signed, the chain verifies.
  std::string q = query("bl.example", 252);
  std::string mac = tsig_sign(q, o.keys[0], {}, true, 0, kNow);
  auto msgs = transfer(x, *zs, q);
  ASSERT_GT(msgs.size(), 3u);
  size_t total = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_LE(msgs[i].size(), o.message_size + 200);
    EXPECT_TRUE(tsig_verify_response(bytes(msgs[i]), o.keys[0], mac, i == 0, kNow)) << i;
    TsigRecord t;
    bool fe = false;
    ASSERT_TRUE(find_tsig(bytes(msgs[i]), &t, &fe));
    mac = t.mac;
    total += static_cast<size_t>(answers(msgs[i]));
  }
  EXPECT_EQ(total, 3000u + 1 + 2);  // A records, NS, SOA twice
  // Signed with an unknown key: NOTAUTH, TSIG error BADKEY, unsigned.
  std::string bad = query("bl.example", 252);
  tsig_sign(bad, key("nobody"), {}, true, 0, kNow);
  auto r = transfer(x, *zs, bad);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][3] & 0xF, 9);
  TsigRecord t;
  bool fe = false;
  ASSERT_TRUE(find_tsig(bytes(r[0]), &t, &fe));
  EXPECT_EQ(t.error, kTsigBadKey);
  EXPECT_TRUE(t.mac.empty());
  // A signed SOA query is answered and signed.
  std::string soa_q = query("bl.example", kTypeSoa);
  std::string smac = tsig_sign(soa_q, o.keys[0], {}, true, 0, kNow);
  auto sr = transfer(x, *zs, soa_q, Transport::kUdp, "192.0.2.1");
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(answers(sr[0]), 1);
  EXPECT_TRUE(tsig_verify_response(bytes(sr[0]), o.keys[0], smac, true, kNow));
}

TEST(Xfr, NotifyMessage) {
  dns::Soa soa{"bl.example", 3600, "ns.bl.example", "h.bl.example", 77, 1, 2, 3, 4};
  TsigKey k = key();
  std::string mac;
  std::string m = notify_message("bl.example", soa, 9, &k, kNow, &mac);
  EXPECT_EQ((uint8_t(m[2]) >> 3) & 0xF, 4);
  std::vector<TsigKey> keys{k};
  TsigCheck c = tsig_verify(bytes(m), keys, kNow);
  EXPECT_TRUE(c.present);
  EXPECT_EQ(c.rcode, 0);
  EXPECT_EQ(c.record.mac, mac);
}

// The journal keeps its differences packed: every field comes back as it
// went in, in order (a TTL above 65535, empty and long rdata, a 255-byte name).
TEST(Xfr, PackedRecordsRoundTrip) {
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(1, '\x3f') + std::string(63, 'a' + i);
  long_name += std::string(1, '\0');
  std::vector<Rr> rrs = {{std::string("\x01"
                                      "a\x00",
                                      3),
                          kTypeA, 0x12345678, std::string("\x7f\0\0\x02", 4)},
                         {long_name, kTypeTxt, 300, std::string(700, 'x')},
                         {std::string("\x01"
                                      "b\x00",
                                      3),
                          99, 0, ""}};
  PackedRrs p(rrs);
  EXPECT_EQ(p.size(), 3u);
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.unpack(), rrs);
  EXPECT_TRUE(PackedRrs(std::vector<Rr>{}).unpack().empty());
}

}  // namespace
}  // namespace rampart::dnsbl

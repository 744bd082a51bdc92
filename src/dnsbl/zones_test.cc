#include "dnsbl/zones.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/ip.h"
#include "dns/wire.h"

namespace rampart::dnsbl {
namespace {

ZoneSetPtr zones() {
  auto bl = load_dataset_text(
      "ip4set", {"$SOA 1h ns1.ex.com admin.ex.com 42 2h 2h 1w 10m\n$NS 1d ns1.ex.com ns2.ex.com\n"
                 ":2:Listed $\n127.0.0.2\n10.0.0.0/8\n"
                 "10.9.9.9 :3:" +
                 std::string(600, 'x') + "\n"});
  auto dom = load_dataset_text("dnset", {"spam.example\n"});
  auto comb = load_dataset_text("combined", {"$SOA 1h ns.c.ex c.ex 1 1 1 1 1\n$DATASET ip4set sub\n1.2.3.4\n"
                                             "$DATASET generic @ sub\n@ TXT hello\n"});
  EXPECT_TRUE(bl && dom && comb);
  return ZoneSet::build({{"bl.ex.com", *bl}, {"dbl.ex.com", *dom}, {"c.ex", *comb}});
}

struct Reply {
  dns::Header h;
  dns::Answer a;
  size_t size;
};

Reply ask(const ZoneSet& zs, std::string_view name, uint16_t type, Transport t = Transport::kUdp,
          dns::QueryOptions qo = {}) {
  auto q = dns::build_query(7, name, type, qo);
  EXPECT_TRUE(q.has_value());
  uint8_t buf[65535];
  Collector c;
  size_t n = answer(zs, *q, t, buf, sizeof buf, c);
  Reply r{};
  r.size = n;
  if (n == 0) return r;
  std::span<const uint8_t> m(buf, n);
  r.h = *dns::parse_header(m);
  r.a = dns::parse_response(m, static_cast<dns::RRType>(type), name);
  return r;
}

TEST(Answer, ListedUnlistedAndEmptyNonTerminals) {
  auto zs = zones();
  auto r = ask(*zs, "2.0.0.127.bl.ex.com", kTypeA);
  EXPECT_EQ(r.h.rcode, 0);
  EXPECT_TRUE(r.h.aa);
  ASSERT_EQ(r.a.records.size(), 1u);
  EXPECT_EQ(r.a.records[0].ip()->to_string(), "127.0.0.2");
  r = ask(*zs, "2.0.0.127.bl.ex.com", kTypeTxt);
  ASSERT_EQ(r.a.records.size(), 1u);
  EXPECT_EQ(r.a.records[0].txt()->text(), "Listed 127.0.0.2");
  r = ask(*zs, "1.0.0.127.bl.ex.com", kTypeA);
  EXPECT_EQ(r.h.rcode, 3);
  EXPECT_EQ(r.h.nscount, 1);  // SOA
  EXPECT_EQ(r.a.min_ttl, 600u);
  r = ask(*zs, "0.0.127.bl.ex.com", kTypeA);
  EXPECT_EQ(r.h.rcode, 0);
  EXPECT_EQ(r.a.status, dns::Status::kNoData);
  r = ask(*zs, "2.0.0.127.bl.ex.com", 28);  // AAAA of a listed name: NODATA
  EXPECT_EQ(r.a.status, dns::Status::kNoData);
  r = ask(*zs, "spam.example.dbl.ex.com", kTypeA);
  EXPECT_EQ(r.a.status, dns::Status::kOk);
  r = ask(*zs, "example.dbl.ex.com", kTypeA);
  EXPECT_EQ(r.a.status, dns::Status::kNoData);
}

TEST(Answer, ApexAndRefused) {
  auto zs = zones();
  auto r = ask(*zs, "bl.ex.com", kTypeSoa);
  EXPECT_EQ(r.h.ancount, 1);
  r = ask(*zs, "BL.EX.COM", kTypeNs);
  EXPECT_EQ(r.a.records.size(), 2u);
  r = ask(*zs, "dbl.ex.com", kTypeSoa);  // no $SOA: one is made up
  EXPECT_EQ(r.h.ancount, 1);
  r = ask(*zs, "ex.com", kTypeA);
  EXPECT_EQ(r.h.rcode, 5);
  EXPECT_FALSE(r.h.aa);
  r = ask(*zs, "bl.ex.com", 252);
  EXPECT_EQ(r.h.rcode, 5);
  r = ask(*zs, "sub.c.ex", kTypeTxt);
  ASSERT_EQ(r.a.records.size(), 1u);
  EXPECT_EQ(r.a.records[0].txt()->text(), "hello");
  r = ask(*zs, "4.3.2.1.sub.c.ex", kTypeA);
  EXPECT_EQ(r.a.status, dns::Status::kOk);
  r = ask(*zs, "4.3.2.1.c.ex", kTypeA);
  EXPECT_EQ(r.h.rcode, 3);
}

TEST(Answer, LongTxtSplitAndTruncation) {
  auto zs = zones();
  auto r = ask(*zs, "9.9.9.10.bl.ex.com", kTypeTxt);  // 600 bytes > 512
  EXPECT_TRUE(r.h.tc);
  EXPECT_EQ(r.h.ancount, 0);
  r = ask(*zs, "9.9.9.10.bl.ex.com", kTypeTxt, Transport::kTcp);
  EXPECT_FALSE(r.h.tc);
  ASSERT_EQ(r.a.records.size(), 1u);
  EXPECT_EQ(r.a.records[0].txt()->strings.size(), 3u);
  EXPECT_EQ(r.a.records[0].txt()->text(), std::string(600, 'x'));
  dns::QueryOptions edns;
  edns.edns = true;
  edns.udp_size = 4096;
  r = ask(*zs, "9.9.9.10.bl.ex.com", kTypeTxt, Transport::kUdp, edns);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.h.arcount, 1);  // OPT
  EXPECT_EQ(r.a.records.size(), 1u);
}

TEST(Answer, Garbage) {
  auto zs = zones();
  uint8_t out[512];
  Collector c;
  std::vector<uint8_t> shortq = {1, 2, 3};
  EXPECT_EQ(answer(*zs, shortq, Transport::kUdp, out, sizeof out, c), 0u);
  auto q = *dns::build_query(9, "2.0.0.127.bl.ex.com", dns::RRType::A);
  auto resp = q;
  resp[2] |= 0x80;  // QR: a response, never answered
  EXPECT_EQ(answer(*zs, resp, Transport::kUdp, out, sizeof out, c), 0u);
  auto cut = q;
  cut.resize(cut.size() - 3);
  size_t n = answer(*zs, cut, Transport::kUdp, out, sizeof out, c);
  ASSERT_GE(n, 12u);
  EXPECT_EQ(out[3] & 0xF, 1);  // FORMERR
  auto two = q;
  two[5] = 2;
  n = answer(*zs, two, Transport::kUdp, out, sizeof out, c);
  EXPECT_EQ(out[3] & 0xF, 1);
  auto notify = q;
  notify[2] = static_cast<uint8_t>(notify[2] | (4 << 3));
  n = answer(*zs, notify, Transport::kUdp, out, sizeof out, c);
  EXPECT_EQ(out[3] & 0xF, 4);  // NOTIMP
  auto ptr = q;                // a compression pointer in the question
  ptr[12] = 0xC0;
  ptr[13] = 0x0C;
  n = answer(*zs, ptr, Transport::kUdp, out, sizeof out, c);
  EXPECT_EQ(out[3] & 0xF, 1);
}

}  // namespace
}  // namespace rampart::dnsbl

namespace rampart::dnsbl {
namespace {

TEST(Answer, AclActionsByClient) {
  auto data = load_dataset_text("ip4set", {"$SOA 1h ns.a.ex h.a.ex 1 1 1 1 1\n127.0.0.2\n"});
  auto acl =
      load_dataset_text("acl", {"10.0.0.0/8 :refuse\n127.0.0.1 :pass\n127.0.0.0/8\n2001:db8::/32 :refuse\n"
                                "192.0.2.0/24 :empty\n198.51.100.0/24 :5:Listed for $\n"});
  ASSERT_TRUE(data && acl);
  auto zs = ZoneSet::build({{"a.ex", *data}, {"a.ex", *acl}});
  auto q = *dns::build_query(1, "1.0.0.127.a.ex", dns::RRType::TXT);
  auto run = [&](std::string_view ip, dns::Answer* a) {
    Client c;
    auto addr = *IpAddress::parse(ip);
    c.v6 = addr.is_v6();
    std::memcpy(c.addr, addr.bytes().data(), c.v6 ? 16 : 4);
    uint8_t out[512];
    Collector scratch;
    size_t n = answer(*zs, q, Transport::kUdp, out, sizeof out, scratch, {}, &c);
    if (n && a) *a = dns::parse_response({out, n}, dns::RRType::TXT);
    return n ? out[3] & 0xF : -1;
  };
  dns::Answer a;
  EXPECT_EQ(run("10.1.2.3", nullptr), 5);     // refused
  EXPECT_EQ(run("2001:db8::1", nullptr), 5);  // refused (IPv6 client)
  EXPECT_EQ(run("127.0.0.5", nullptr), -1);   // ignored: no answer at all
  EXPECT_EQ(run("127.0.0.1", nullptr), 3);    // pass: 127.0.0.1 is not listed
  EXPECT_EQ(run("203.0.113.1", nullptr), 3);  // no acl entry: as usual
  EXPECT_EQ(run("192.0.2.1", nullptr), 3);    // empty
  EXPECT_EQ(run("198.51.100.7", &a), 0);      // template: every address listed
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].txt()->text(), "Listed for 198.51.100.7");
}

}  // namespace
}  // namespace rampart::dnsbl

namespace rampart::dnsbl {
namespace {

TEST(Answer, MemberKeysInTheQueryName) {
  auto data = load_dataset_text("ip4set", {"$SOA 1h ns.k.ex h.k.ex 1 1 1 1 1\n127.0.0.2\n"});
  auto keys = load_dataset_text("keys", {"s3cr3tkey1 Example Mail\nOtherKey2 Other ISP\n!revokedkey3 Gone\n"
                                         "!otherkey2 revoked later in the file\nbad.key\n"});
  ASSERT_TRUE(data && keys);
  auto zs = ZoneSet::build({{"k.ex", *data}, {"k.ex", *keys}});
  auto rcode = [&](std::string_view name, dns::RRType t, size_t* an = nullptr) {
    auto q = *dns::build_query(1, name, t);
    uint8_t out[512];
    Collector scratch;
    size_t n = answer(*zs, q, Transport::kUdp, out, sizeof out, scratch);
    if (an) *an = (size_t{out[6]} << 8) | out[7];
    return n ? out[3] & 0xF : -1;
  };
  size_t an = 0;
  EXPECT_EQ(rcode("2.0.0.127.s3cr3tkey1.k.ex", dns::RRType::A, &an), 0);
  EXPECT_EQ(an, 1u);
  EXPECT_EQ(rcode("2.0.0.127.S3CR3TKEY1.k.ex", dns::RRType::A), 0);  // keys are case-insensitive labels
  EXPECT_EQ(rcode("1.0.0.127.s3cr3tkey1.k.ex", dns::RRType::A), 3);
  EXPECT_EQ(rcode("2.0.0.127.nokey.k.ex", dns::RRType::A), 5);        // unknown
  EXPECT_EQ(rcode("2.0.0.127.revokedkey3.k.ex", dns::RRType::A), 5);  // revoked
  EXPECT_EQ(rcode("2.0.0.127.otherkey2.k.ex", dns::RRType::A), 5);    // revoked beats listed
  EXPECT_EQ(rcode("2.0.0.127.k.ex", dns::RRType::A), 5);              // "127" is no key
  EXPECT_EQ(rcode("k.ex", dns::RRType::SOA, &an), 0);                 // the apex needs none
  EXPECT_EQ(an, 1u);
  EXPECT_EQ(rcode("s3cr3tkey1.k.ex", dns::RRType::SOA, &an), 0);  // exists, no SOA of its own
  EXPECT_EQ(an, 0u);
  auto counts = (*keys)->member_counts();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0], (std::pair<std::string, uint64_t>{"Example Mail", 4}));
  EXPECT_EQ(counts[1].second, 0u);
}

}  // namespace
}  // namespace rampart::dnsbl

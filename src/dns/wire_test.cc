#include "dns/wire.h"

#include "core/strings.h"
#include "dns/format.h"
#include "dns/name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::dns {
namespace {

// Hand-built packets for the malformed cases.
struct Pkt {
  std::vector<uint8_t> b;
  Pkt& u8(unsigned v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Pkt& u16(unsigned v) { return u8(v >> 8).u8(v & 0xFF); }
  Pkt& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
  Pkt& name(std::string_view n) {
    while (!n.empty()) {
      size_t dot = n.find('.');
      std::string_view l = n.substr(0, dot);
      u8(static_cast<unsigned>(l.size()));
      for (char c : l) u8(static_cast<uint8_t>(c));
      n = dot == std::string_view::npos ? std::string_view{} : n.substr(dot + 1);
    }
    return u8(0);
  }
  Pkt& str(std::string_view s) {
    for (char c : s) u8(static_cast<uint8_t>(c));
    return *this;
  }
};

// Header of a response (QR, RD, RA) with one question for example.com/`qtype`.
Pkt response(unsigned an, unsigned ns = 0, unsigned rcode = 0, unsigned qtype = 1) {
  Pkt p;
  p.u16(0x1234).u16(0x8180 | rcode).u16(1).u16(an).u16(ns).u16(0);
  p.name("example.com").u16(qtype).u16(1);
  return p;
}

// Presentation form of record i of an answer, "" when there is none.
std::string rec(const Answer& a, size_t i = 0) {
  return i < a.records.size() ? record_to_string(a.records[i]) : std::string();
}

constexpr unsigned kQName = 12;  // offset of the question name

Record a_record(const char* ip, uint32_t ttl = 300) { return Record{RRType::A, ttl, *IpAddress::parse(ip)}; }

TEST(WireQuery, BuildsPlainQuery) {
  auto q = build_query(0xBEEF, "Example.COM.", RRType::TXT);
  ASSERT_TRUE(q);
  Pkt want;
  want.u16(0xBEEF).u16(0x0100).u16(1).u16(0).u16(0).u16(0).name("Example.COM").u16(16).u16(1);
  EXPECT_EQ(*q, want.b);
}

TEST(WireQuery, BuildsEdnsWithDoBit) {
  QueryOptions o;
  o.recursion_desired = false;
  o.dnssec_ok = true;
  o.udp_size = 4096;
  auto q = build_query(1, "a.b", RRType::A, o);
  ASSERT_TRUE(q);
  Pkt want;
  want.u16(1).u16(0).u16(1).u16(0).u16(0).u16(1).name("a.b").u16(1).u16(1);
  want.u8(0).u16(41).u16(4096).u32(0x8000).u16(0);
  EXPECT_EQ(*q, want.b);
}

TEST(WireQuery, RejectsInvalidNames) {
  EXPECT_FALSE(build_query(1, std::string(64, 'a') + ".com", RRType::A));
  EXPECT_FALSE(build_query(1, "a..com", RRType::A));
  EXPECT_FALSE(build_query(1, ".com", RRType::A));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'x') + ".";
  long_name += "ab";  // 254 octets of text
  EXPECT_FALSE(build_query(1, long_name, RRType::A));
  EXPECT_TRUE(build_query(1, std::string(63, 'a') + ".com", RRType::A));
  EXPECT_TRUE(build_query(1, "", RRType::NS));  // root
}

TEST(WireQuery, ParseQueryRoundTrip) {
  QueryOptions o;
  o.dnssec_ok = true;
  o.udp_size = 1400;
  auto q = build_query(77, "Mail.Example.com", RRType::MX, o);
  ASSERT_TRUE(q);
  auto p = parse_query(*q);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->id, 77);
  EXPECT_EQ(p->name, "mail.example.com");
  EXPECT_EQ(p->type, 15);
  EXPECT_EQ(p->qclass, 1);
  EXPECT_TRUE(p->recursion_desired);
  EXPECT_TRUE(p->edns);
  EXPECT_TRUE(p->dnssec_ok);
  EXPECT_EQ(p->udp_size, 1400);
}

TEST(WireQuery, ParseQueryErrors) {
  auto q = *build_query(1, "example.com", RRType::A);
  EXPECT_FALSE(parse_query(std::span<const uint8_t>(q.data(), 11)));  // short header
  EXPECT_FALSE(parse_query(std::span<const uint8_t>(q.data(), q.size() - 1)));
  auto r = q;
  r[2] |= 0x80;  // QR
  EXPECT_FALSE(parse_query(r));
  r = q;
  r[5] = 2;  // qdcount 2
  EXPECT_FALSE(parse_query(r));
  r = q;
  r[11] = 1;  // arcount 1, nothing there
  EXPECT_FALSE(parse_query(r));
}

TEST(WireResponse, RoundTripsEveryType) {
  Response resp;
  resp.id = 9;
  resp.qname = "example.com";
  resp.qtype = 255;
  resp.answers = {
      {"example.com", a_record("192.0.2.1", 100)},
      {"example.com", Record{RRType::AAAA, 200, *IpAddress::parse("2001:db8::1")}},
      {"example.com", Record{RRType::MX, 300, Mx{10, "Mail.Example.com"}}},
      {"example.com", Record{RRType::TXT, 400, Txt{{"v=spf1 ", "-all"}}}},
      {"example.com", Record{RRType::SPF, 400, Txt{{""}}}},
      {"example.com", Record{RRType::PTR, 500, std::string("host.example.net")}},
      {"example.com", Record{RRType::NS, 600, std::string("ns1.example.com")}},
  };
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto h = parse_header(*bytes);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->qr && h->aa && !h->tc);
  EXPECT_EQ(h->id, 9);
  EXPECT_EQ(h->ancount, 7);

  Answer any = parse_response(*bytes, RRType::ANY);
  ASSERT_EQ(any.status, Status::kOk) << any.error;
  ASSERT_EQ(any.records.size(), 7u);
  EXPECT_EQ(any.min_ttl, 100u);

  Answer mx = parse_response(*bytes, RRType::MX, "EXAMPLE.COM.");
  ASSERT_EQ(mx.status, Status::kOk);
  ASSERT_EQ(mx.records.size(), 1u);
  EXPECT_EQ(rec(mx), "MX 10 mail.example.com");
  EXPECT_EQ(mx.min_ttl, 300u);

  Answer txt = parse_response(*bytes, RRType::TXT);
  ASSERT_EQ(txt.records.size(), 1u);
  EXPECT_EQ(rec(txt), "TXT \"v=spf1 \" \"-all\"");

  Answer spf = parse_response(*bytes, RRType::SPF);
  ASSERT_EQ(spf.records.size(), 1u);
  EXPECT_EQ(rec(spf), "SPF \"\"");

  EXPECT_EQ(rec(parse_response(*bytes, RRType::AAAA)), "AAAA 2001:db8::1");
  EXPECT_EQ(rec(parse_response(*bytes, RRType::PTR)), "PTR host.example.net");
  EXPECT_EQ(rec(parse_response(*bytes, RRType::NS)), "NS ns1.example.com");
  EXPECT_EQ(parse_response(*bytes, RRType::CNAME).status, Status::kNoData);
  // Compression made the repeated owner names two octets each.
  EXPECT_LT(bytes->size(), 200u);
}

TEST(WireResponse, FollowsCnameChain) {
  Response resp;
  resp.qname = "www.example.com";
  resp.answers = {
      {"www.example.com", Record{RRType::CNAME, 50, std::string("a.example.net")}},
      {"a.example.net", Record{RRType::CNAME, 500, std::string("b.example.org")}},
      {"b.example.org", a_record("192.0.2.7", 900)},
      {"unrelated.example", a_record("192.0.2.8")},
  };
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes);
  Answer a = parse_response(*bytes, RRType::A, "WWW.example.com");
  ASSERT_EQ(a.status, Status::kOk);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(rec(a), "A 192.0.2.7");
  EXPECT_EQ(a.min_ttl, 50u);
  // Asking for the CNAME itself returns it.
  Answer c = parse_response(*bytes, RRType::CNAME, "www.example.com");
  ASSERT_EQ(c.status, Status::kOk);
  EXPECT_EQ(rec(c), "CNAME a.example.net");
  // A chain that ends without the type is NODATA.
  EXPECT_EQ(parse_response(*bytes, RRType::MX, "www.example.com").status, Status::kNoData);
}

TEST(WireResponse, CnameLoopIsServFail) {
  Response resp;
  resp.qname = "a.example";
  resp.answers = {{"a.example", Record{RRType::CNAME, 5, std::string("b.example")}},
                  {"b.example", Record{RRType::CNAME, 5, std::string("a.example")}}};
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(parse_response(*bytes, RRType::A).status, Status::kServFail);
}

TEST(WireResponse, NegativeAnswersUseSoaMinimum) {
  Response resp;
  resp.qname = "nope.example.com";
  resp.rcode = Rcode::kNxDomain;
  resp.authority_soa = Soa{"example.com", 900, "ns.example.com", "host.example.com", 1, 2, 3, 4, 60};
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes);
  Answer a = parse_response(*bytes, RRType::A);
  EXPECT_EQ(a.status, Status::kNxDomain);
  EXPECT_EQ(a.min_ttl, 60u);
  resp.rcode = Rcode::kNoError;
  resp.authority_soa->ttl = 30;
  a = parse_response(*encode_response(resp), RRType::A);
  EXPECT_EQ(a.status, Status::kNoData);
  EXPECT_EQ(a.min_ttl, 30u);
  resp.authority_soa.reset();
  a = parse_response(*encode_response(resp), RRType::A);
  EXPECT_EQ(a.status, Status::kNoData);
  EXPECT_EQ(a.min_ttl, 0u);
}

TEST(WireResponse, RcodesMapToStatus) {
  struct Case {
    Rcode rcode;
    Status status;
  } cases[] = {{Rcode::kServFail, Status::kServFail}, {Rcode::kRefused, Status::kServFail},
               {Rcode::kNotImp, Status::kServFail},   {Rcode::kFormErr, Status::kServFail},
               {Rcode::kNxDomain, Status::kNxDomain}, {Rcode::kNoError, Status::kNoData}};
  for (const auto& c : cases) {
    Response resp;
    resp.qname = "example.com";
    resp.rcode = c.rcode;
    auto bytes = encode_response(resp);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(parse_response(*bytes, RRType::A).status, c.status) << static_cast<int>(c.rcode);
  }
}

TEST(WireResponse, TruncatesToMaxSize) {
  Response resp;
  resp.qname = "example.com";
  resp.qtype = 16;
  for (int i = 0; i < 10; ++i)
    resp.answers.push_back({"example.com", Record{RRType::TXT, 60, Txt{{std::string(100, 'x')}}}});
  auto small = encode_response(resp, kMaxUdpPlain);
  ASSERT_TRUE(small);
  EXPECT_LE(small->size(), kMaxUdpPlain);
  auto h = parse_header(*small);
  EXPECT_TRUE(h->tc);
  EXPECT_EQ(h->ancount, 0);
  auto big = encode_response(resp);
  EXPECT_FALSE(parse_header(*big)->tc);
  EXPECT_EQ(parse_response(*big, RRType::TXT).records.size(), 10u);
}

TEST(WireResponse, EncodeRejectsBadRecords) {
  Response resp;
  resp.qname = "example.com";
  resp.answers = {{"example.com", Record{RRType::TXT, 1, Txt{{std::string(256, 'x')}}}}};
  EXPECT_FALSE(encode_response(resp));
  resp.answers = {{"example.com", Record{RRType::A, 1, *IpAddress::parse("::1")}}};
  EXPECT_FALSE(encode_response(resp));
  resp.answers = {{"bad..name", a_record("192.0.2.1")}};
  EXPECT_FALSE(encode_response(resp));
}

TEST(WireResponse, OddOctetsAndTtlTopBit) {
  Pkt p = response(1);
  p.u8(3).str("A.b").name("example.com").u16(1).u16(1).u32(0x80000001).u16(4).u32(0xC0000201);
  Answer a = parse_response(p.b, RRType::A, "a\\046b.example.com");
  ASSERT_EQ(a.status, Status::kOk) << a.error;
  EXPECT_EQ(a.min_ttl, 0u);
  EXPECT_EQ(rec(a), "A 192.0.2.1");
}

// Visible octets other than letters and digits (':' '/' '%' in SPF
// domain-specs, RFC 7208 7.1) are part of the name: an answer whose owner
// holds them matches the question asked in presentation form, spaces and
// backslashes as \DDD, whatever escapes the caller used.
TEST(WireResponse, OwnerNamesWithAnyVisibleOctetMatch) {
  Pkt p = response(1);
  p.u8(11).str("foo:bar/BAZ").name("example.com").u16(1).u16(1).u32(60).u16(4).u32(0x01020304);
  for (const char* q : {"foo:bar/baz.example.com", "FOO:bar/baz.example.com.", "foo\\:bar\\/baz.example.com",
                        "foo\\058bar\\047baz.example.com"}) {
    Answer a = parse_response(p.b, RRType::A, q);
    ASSERT_EQ(a.status, Status::kOk) << q << ": " << a.error;
    EXPECT_EQ(rec(a), "A 1.2.3.4") << q;
  }
  Pkt s = response(1);
  s.u8(11).str("a%  b\\c%20d").name("example.com").u16(1).u16(1).u32(60).u16(4).u32(0x01020304);
  EXPECT_EQ(parse_response(s.b, RRType::A, "a%\\032\\032b\\092c%20d.example.com").status, Status::kOk);
  EXPECT_EQ(parse_response(s.b, RRType::A, "a% \\ b\\\\c%20d.example.com").status, Status::kOk);
  EXPECT_EQ(parse_response(s.b, RRType::A, "a%  bc%20d.example.com").status, Status::kNoData);
}

// The encoder writes such names octet for octet, and the reader gives back
// the canonical spelling.
TEST(WireResponse, OddNamesRoundTrip) {
  Response resp;
  resp.qname = "Foo:Bar/baz.example.com";
  resp.qtype = 1;
  resp.answers = {{"Foo:Bar/baz.example.com", a_record("192.0.2.1")},
                  {"a\\032b\\092c.example.com", a_record("192.0.2.2")}};
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes);
  // The owner keeps the zone's case on the wire.
  std::string wire(bytes->begin(), bytes->end());
  EXPECT_NE(wire.find("\x0b"
                      "Foo:Bar/baz"),
            std::string::npos);
  EXPECT_EQ(parse_response(*bytes, RRType::A, "foo:bar/baz.example.com").records.size(), 1u);
  auto q = build_query(7, "a\\032b\\\\c.example.com", RRType::A);
  ASSERT_TRUE(q);
  auto parsed = parse_query(*q);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "a\\032b\\092c.example.com");
}

// RFC 1035 wants at least one string, but empty TXT rdata is published: it
// is a record without strings, and the other records of the answer (here a
// multi-string SPF record) survive it.
TEST(WireResponse, EmptyTxtRdataIsARecordWithoutStrings) {
  Pkt p = response(2, 0, 0, 16);
  p.u16(0xC000 | kQName).u16(16).u16(1).u32(60).u16(0);
  p.u16(0xC000 | kQName).u16(16).u16(1).u32(60).u16(20).u8(11).str("v=spf1 ip4:").u8(7).str("1.2.3.4");
  Answer a = parse_response(p.b, RRType::TXT);
  ASSERT_EQ(a.status, Status::kOk) << a.error;
  ASSERT_EQ(a.records.size(), 2u);
  const Txt* empty = a.records[0].txt();
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->strings.empty());
  EXPECT_EQ(rec(a, 1), "TXT \"v=spf1 ip4:\" \"1.2.3.4\"");
  // And the encoder writes a record without strings as empty rdata.
  Response resp;
  resp.qname = "example.com";
  resp.qtype = 16;
  resp.answers = {{"example.com", Record{RRType::TXT, 60, Txt{}}}};
  auto bytes = encode_response(resp);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->back(), 0);
  EXPECT_EQ((*bytes)[bytes->size() - 2], 0);  // RDLENGTH 0
  Answer b = parse_response(*bytes, RRType::TXT);
  ASSERT_EQ(b.records.size(), 1u);
  const Txt* back = b.records[0].txt();
  ASSERT_NE(back, nullptr);
  EXPECT_TRUE(back->strings.empty());
}

// Names in presentation form: canonical spelling, lengths in octets.
TEST(Name, CanonicalSpellingAndLengths) {
  EXPECT_EQ(normalize_name("Mail.Example.COM."), "mail.example.com");
  EXPECT_EQ(normalize_name("foo\\058Bar\\047baz.example"), "foo:bar/baz.example");
  EXPECT_EQ(normalize_name("a b.example"), "a\\032b.example");
  EXPECT_EQ(normalize_name("a\\.b.example"), "a\\046b.example");
  EXPECT_EQ(normalize_name("a\\\\b.example"), "a\\092b.example");
  EXPECT_EQ(normalize_name("a\\.example\\."), "a\\046example\\046");  // escaped dot is not trailing
  EXPECT_EQ(text_to_name("a\\b.example"), "a\\092b.example");
  EXPECT_TRUE(valid_name(std::string(63, 'a') + ".example"));
  // 63 octets written as \DDD (252 characters) is still a 63-octet label.
  std::string label;
  for (int i = 0; i < 63; ++i) label += "\\032";
  EXPECT_TRUE(valid_name(label + ".example"));
  EXPECT_FALSE(valid_name(label + "\\032.example"));
  EXPECT_FALSE(valid_name("a..b"));
  EXPECT_EQ(parent_name("a\\.b.example"), "example");
  auto labels = name_labels("Foo\\032bar.example.");
  ASSERT_TRUE(labels);
  ASSERT_EQ(labels->size(), 2u);
  EXPECT_EQ((*labels)[0], "Foo bar");
}

// Over many random spellings: canonical spelling is a fixed point, keeps
// validity and the octets (case folded), and the wire encoder accepts
// exactly the valid ones and reads back the canonical spelling.
TEST(Name, CanonicalSpellingProperties) {
  const std::string alphabet = std::string("aZ09-.\\\\ :/%\x80\x01") + "\\0123";
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7FFF;
  };
  auto lower = [](std::vector<std::string> v) {
    for (auto& l : v)
      for (auto& c : l) c = ascii_lower(c);
    return v;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string n;
    const size_t len = next() % 24;
    for (size_t k = 0; k < len; ++k) n.push_back(alphabet[next() % alphabet.size()]);
    const std::string c = normalize_name(n);
    EXPECT_EQ(normalize_name(c), c) << n;
    EXPECT_EQ(valid_name(c), valid_name(n)) << n;
    auto a = name_labels(n), b = name_labels(c);
    ASSERT_EQ(a.has_value(), b.has_value()) << n;
    if (a) {
      EXPECT_EQ(lower(*a), *b) << n;
    }
    if (!a || a->empty()) continue;
    auto q = build_query(1, n, RRType::A);
    ASSERT_TRUE(q) << n;
    auto parsed = parse_query(*q);
    ASSERT_TRUE(parsed) << n;
    EXPECT_EQ(parsed->name, c) << n;
  }
}

TEST(WireResponse, CompressionPointerBackwardsWorks) {
  Pkt p = response(1, 0, 0, 16);
  p.u16(0xC000 | kQName).u16(16).u16(1).u32(60).u16(6).u8(5).str("hello");
  Answer a = parse_response(p.b, RRType::TXT);
  ASSERT_EQ(a.status, Status::kOk) << a.error;
  EXPECT_EQ(rec(a), "TXT \"hello\"");
}

struct Malformed {
  const char* what;
  std::vector<uint8_t> bytes;
};

std::vector<Malformed> malformed_cases() {
  std::vector<Malformed> v;
  auto add = [&](const char* what, const Pkt& p) { v.push_back({what, p.b}); };
  add("empty", Pkt{});
  add("short header", Pkt{}.u16(1).u16(0x8180).u16(0));
  add("truncated question", Pkt{}.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u8(7).str("exam"));
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u16(0xC000 | kQName).u16(1).u16(1);
    add("pointer to itself", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u8(1).str("a").u16(0xC000 | kQName).u16(1).u16(1);
    add("pointer loop through a label", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u16(0xC000 | 20).u16(1).u16(1).u8(0);
    add("forward pointer", p);
  }
  {
    Pkt p = response(1);
    p.u16(0xC000 | 0x3FFF).u16(1).u16(1).u32(1).u16(4).u32(1);
    add("pointer out of range", p);
  }
  {
    Pkt p = response(1);
    p.u16(0xC000 | kQName).u16(1).u16(1).u32(1).u16(4).u16(1);
    add("truncated rdata", p);
  }
  {
    Pkt p = response(1);
    p.u16(0xC000 | kQName).u16(1).u16(1).u32(1).u16(3).u8(1).u8(2).u8(3);
    add("A rdlength 3", p);
  }
  {
    Pkt p = response(1);
    p.u16(0xC000 | kQName).u16(99).u16(1).u32(1).u16(400).u32(0);
    add("rdlength past end (unknown type)", p);
  }
  {
    Pkt p = response(1);
    p.u16(0xC000 | kQName).u16(1).u16(1).u32(1);
    add("truncated record header", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u8(64).str(std::string(64, 'a')).u8(0).u16(1).u16(1);
    add("label of 64 octets", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0);
    for (int i = 0; i < 5; ++i) p.u8(63).str(std::string(63, 'a'));
    p.u8(0).u16(1).u16(1);
    add("name over 255 octets", p);
  }
  {
    Pkt p = response(1, 0, 0, 16);
    p.u16(0xC000 | kQName).u16(16).u16(1).u32(1).u16(3).u8(5).str("ab");
    add("TXT string past rdata end", p);
  }
  {
    Pkt p = response(1, 0, 0, 15);
    p.u16(0xC000 | kQName).u16(15).u16(1).u32(1).u16(4).u16(10).u8(1).u8('m');
    add("MX exchange past rdata end", p);
  }
  {
    Pkt p = response(1, 0, 0, 5);
    p.u16(0xC000 | kQName).u16(5).u16(1).u32(1).u16(5).u16(0xC000 | kQName).u8(0).u8(0).u8(0);
    add("CNAME rdata longer than its name", p);
  }
  {
    Pkt p = response(0, 1, 3);
    p.u16(0xC000 | kQName).u16(6).u16(1).u32(1).u16(4).u8(0).u8(0).u32(1);
    add("short SOA", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x0100).u16(1).u16(0).u16(0).u16(0).name("example.com").u16(1).u16(1);
    add("query, not response", p);
  }
  {
    Pkt p;
    p.u16(1).u16(0x8180).u16(1).u16(0).u16(0).u16(0).u8(0x40).u8(0);
    add("extended label type", p);
  }
  return v;
}

TEST(WireResponse, MalformedPackets) {
  for (const auto& c : malformed_cases()) {
    Answer a = parse_response(c.bytes, RRType::A, "example.com");
    EXPECT_EQ(a.status, Status::kMalformed) << c.what;
    EXPECT_FALSE(a.error.empty()) << c.what;
    // The query parser must reject or survive them too.
    (void)parse_query(c.bytes);
  }
}

}  // namespace
}  // namespace rampart::dns

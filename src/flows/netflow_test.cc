#include "flows/netflow.h"

#include <gtest/gtest.h>

#include <random>

#include "flows/encoder.h"

namespace rampart::flows {
namespace {

const IpAddress kExporter = *IpAddress::parse("127.0.0.1");

std::vector<Flow> sample_flows(size_t n, bool with_v6) {
  std::vector<Flow> v;
  for (size_t i = 0; i < n; ++i) {
    Flow f;
    f.start_ms = 1700000000000 + static_cast<int64_t>(i) * 1000;
    f.end_ms = f.start_ms + 1500;
    if (with_v6 && i % 3 == 2) {
      f.src = *IpAddress::parse("2001:db8::" + std::to_string(i + 1));
      f.dst = *IpAddress::parse("2001:db8:1::25");
    } else {
      f.src = IpAddress::v4(0x64400000u + static_cast<uint32_t>(i));
      f.dst = IpAddress::v4(0x0B000000u + static_cast<uint32_t>(i * 7));
    }
    f.src_port = static_cast<uint16_t>(40000 + i);
    f.dst_port = i % 2 ? 25 : 443;
    f.protocol = kProtoTcp;
    f.tcp_flags = i % 4 == 0 ? kTcpSyn : (kTcpSyn | kTcpAck | kTcpFin);
    f.tos = 0;
    f.packets = 3 + i;
    f.bytes = 180 + i * 100;
    v.push_back(f);
  }
  return v;
}

void expect_same(const Flow& a, const Flow& b) {
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_EQ(a.src_port, b.src_port);
  EXPECT_EQ(a.dst_port, b.dst_port);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.tcp_flags, b.tcp_flags);
  EXPECT_EQ(a.packets, b.packets);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.start_ms, b.start_ms);
  EXPECT_EQ(a.end_ms, b.end_ms);
}

struct RoundTripCase {
  const char* name;
  ExportFormat format;
  bool v6;
  bool extras;
};

class RoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, GeneratedStreamDecodesToTheSameRecords) {
  const auto& c = GetParam();
  auto flows = sample_flows(500, c.v6);
  FlowEncoder enc(
      {.format = c.format, .domain = 42, .template_every = 7, .max_datagram = 1400, .extras = c.extras});
  FlowDecoder dec;
  std::vector<Flow> out;
  size_t datagrams = 0;
  for (size_t at = 0; at < flows.size(); at += 100) {
    std::span<const Flow> chunk(flows.data() + at, std::min<size_t>(100, flows.size() - at));
    for (const auto& d : enc.encode(chunk, 1700000600000)) {
      auto r = dec.decode(d, kExporter, out);
      ASSERT_TRUE(r) << r.error().message;
      ++datagrams;
    }
  }
  ASSERT_GT(datagrams, 5u);
  ASSERT_EQ(out.size(), flows.size());
  for (size_t i = 0; i < flows.size(); ++i) expect_same(out[i], flows[i]);
  EXPECT_EQ(dec.stats().count(DropReason::kSequenceGap), 0u) << dec.stats().to_string();
  EXPECT_EQ(dec.stats().total(), 0u) << dec.stats().to_string();
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values(RoundTripCase{"v9_v4", ExportFormat::kV9, false, false},
                                           RoundTripCase{"v9_v6", ExportFormat::kV9, true, false},
                                           RoundTripCase{"ipfix_v4", ExportFormat::kIpfix, false, false},
                                           RoundTripCase{"ipfix_v6", ExportFormat::kIpfix, true, false},
                                           RoundTripCase{"ipfix_extras", ExportFormat::kIpfix, true, true}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(NetflowV5, DecodesRecords) {
  auto flows = sample_flows(45, false);
  FlowEncoder enc({.format = ExportFormat::kV5});
  auto ds = enc.encode(flows, 1700000600000);
  ASSERT_EQ(ds.size(), 2u);  // 30 + 15
  FlowDecoder dec;
  std::vector<Flow> out;
  for (auto& d : ds) ASSERT_TRUE(dec.decode(d, kExporter, out));
  ASSERT_EQ(out.size(), 45u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].src, flows[i].src);
    EXPECT_EQ(out[i].dst_port, flows[i].dst_port);
    EXPECT_EQ(out[i].start_ms, flows[i].start_ms);
    EXPECT_EQ(out[i].tcp_flags, flows[i].tcp_flags);
  }
}

TEST(NetflowV5, BadCountAndTruncation) {
  auto flows = sample_flows(3, false);
  auto d = FlowEncoder({.format = ExportFormat::kV5}).encode(flows, 1700000600000)[0];
  FlowDecoder dec;
  std::vector<Flow> out;
  auto bad = d;
  bad[3] = 31;  // count 31 > 30
  EXPECT_FALSE(dec.decode(bad, kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kBadCount), 1u);
  bad = d;
  bad[3] = 4;  // promises 4 records, carries 3
  EXPECT_FALSE(dec.decode(bad, kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kTruncated), 1u);
  EXPECT_TRUE(out.empty());
}

// Every prefix of a valid datagram, and every single-byte corruption of it,
// must decode or be dropped with a reason: never crash, never leave partial output.
TEST(Malformed, EveryTruncationAndByteFlipIsHandled) {
  for (auto fmt : {ExportFormat::kV5, ExportFormat::kV9, ExportFormat::kIpfix}) {
    auto flows = sample_flows(12, fmt != ExportFormat::kV5);
    auto d = FlowEncoder({.format = fmt, .extras = true}).encode(flows, 1700000600000)[0];
    for (size_t len = 0; len < d.size(); ++len) {
      FlowDecoder dec;
      std::vector<Flow> out;
      auto r = dec.decode(std::span<const uint8_t>(d.data(), len), kExporter, out);
      if (!r) {
        EXPECT_TRUE(out.empty());
        EXPECT_GT(dec.stats().total(), 0u);
      }
    }
    std::mt19937 rng(1);
    for (size_t pos = 0; pos < d.size(); ++pos) {
      for (int k = 0; k < 4; ++k) {
        auto bad = d;
        bad[pos] = static_cast<uint8_t>(rng());
        FlowDecoder dec;
        std::vector<Flow> out;
        (void)dec.decode(bad, kExporter, out);
        EXPECT_LE(out.size(), 64u);
      }
    }
  }
}

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> b;
  for (int x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}

// A hand-built IPFIX message: header + one set.
std::vector<uint8_t> ipfix_msg(uint32_t seq, const std::vector<uint8_t>& sets) {
  std::vector<uint8_t> m = bytes({0, 10, 0, 0, 0x65, 0x53, 0xf1, 0x00});
  for (int s = 24; s >= 0; s -= 8) m.push_back(static_cast<uint8_t>(seq >> s));
  m.insert(m.end(), {0, 0, 0, 1});
  m.insert(m.end(), sets.begin(), sets.end());
  m[2] = static_cast<uint8_t>(m.size() >> 8);
  m[3] = static_cast<uint8_t>(m.size());
  return m;
}

TEST(Ipfix, UnknownTemplateWithdrawalAndOptions) {
  FlowDecoder dec;
  std::vector<Flow> out;
  // Template 300: sourceIPv4Address(8), destinationTransportPort(11).
  auto tmpl = bytes({0, 2, 0, 16, 1, 44, 0, 2, 0, 8, 0, 4, 0, 11, 0, 2});
  auto data = bytes({1, 44, 0, 16, 10, 0, 0, 1, 0, 25, 10, 0, 0, 2, 0, 25});
  ASSERT_TRUE(dec.decode(ipfix_msg(0, data), kExporter, out));  // before the template
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ(dec.stats().count(DropReason::kUnknownTemplate), 1u);
  ASSERT_TRUE(dec.decode(ipfix_msg(0, tmpl), kExporter, out));
  ASSERT_TRUE(dec.decode(ipfix_msg(0, data), kExporter, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].src.to_string(), "10.0.0.2");
  EXPECT_EQ(out[1].dst_port, 25);
  // Another observation domain does not share the template.
  auto other = ipfix_msg(2, data);
  other[15] = 2;
  ASSERT_TRUE(dec.decode(other, kExporter, out));
  EXPECT_EQ(out.size(), 2u);
  // Withdrawal: template 300 with field count 0.
  ASSERT_TRUE(dec.decode(ipfix_msg(2, bytes({0, 2, 0, 8, 1, 44, 0, 0})), kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kTemplateWithdrawn), 1u);
  ASSERT_TRUE(dec.decode(ipfix_msg(2, data), kExporter, out));
  EXPECT_EQ(out.size(), 2u);
  // Options template 400 (scope: observationDomainId) and its data: skipped.
  auto opt = bytes({0, 3, 0, 18, 1, 144, 0, 2, 0, 1, 0, 149, 0, 4, 0, 41, 0, 8});
  auto odata = bytes({1, 144, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9});
  ASSERT_TRUE(dec.decode(ipfix_msg(2, opt), kExporter, out));
  ASSERT_TRUE(dec.decode(ipfix_msg(2, odata), kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kOptionsSkipped), 1u);
  EXPECT_EQ(out.size(), 2u);
}

TEST(Ipfix, VariableLengthAndEnterpriseFieldsAreSkipped) {
  FlowDecoder dec;
  std::vector<Flow> out;
  // Template 256: enterprise elem (pen 9, len 2), interfaceName varlen, sourceIPv4Address.
  auto tmpl = bytes({0, 2, 0, 24, 1, 0, 0, 3, 0x80, 5, 0, 2, 0, 0, 0, 9, 0, 82, 0xff, 0xff, 0, 8, 0, 4});
  ASSERT_TRUE(dec.decode(ipfix_msg(0, tmpl), kExporter, out));
  // Record 1: 2 bytes, short varlen "ab", address. Record 2: long-form varlen (255, 0, 3) "xyz".
  auto data =
      bytes({1, 0, 0, 25, 7, 7, 2, 'a', 'b', 192, 0, 2, 1, 7, 7, 255, 0, 3, 'x', 'y', 'z', 192, 0, 2, 2});
  ASSERT_TRUE(dec.decode(ipfix_msg(0, data), kExporter, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].src.to_string(), "192.0.2.1");
  EXPECT_EQ(out[1].src.to_string(), "192.0.2.2");
  // A varlen length running past the set end: the message is dropped whole.
  auto bad = bytes({1, 0, 0, 12, 7, 7, 200, 'a', 'b', 192, 0, 2});
  EXPECT_FALSE(dec.decode(ipfix_msg(2, bad), kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kBadRecord), 1u);
  EXPECT_EQ(out.size(), 2u);
}

TEST(Ipfix, HeaderLengthsAndSequenceGaps) {
  FlowDecoder dec;
  std::vector<Flow> out;
  auto m = ipfix_msg(0, bytes({0, 2, 0, 16, 1, 44, 0, 2, 0, 8, 0, 4, 0, 11, 0, 2}));
  auto bad = m;
  bad[3] = 8;  // length < 16
  EXPECT_FALSE(dec.decode(bad, kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kBadLength), 1u);
  bad = m;
  bad[3] = static_cast<uint8_t>(m.size() + 1);  // past the datagram
  EXPECT_FALSE(dec.decode(bad, kExporter, out));
  bad = m;
  bad[19] = 2;  // set length 2 < 4
  EXPECT_FALSE(dec.decode(bad, kExporter, out));
  ASSERT_TRUE(dec.decode(m, kExporter, out));
  auto data = bytes({1, 44, 0, 10, 10, 0, 0, 1, 0, 25});
  ASSERT_TRUE(dec.decode(ipfix_msg(0, data), kExporter, out));
  ASSERT_TRUE(dec.decode(ipfix_msg(1, data), kExporter, out));  // expected 1: fine
  ASSERT_TRUE(dec.decode(ipfix_msg(9, data), kExporter, out));  // expected 2: gap
  EXPECT_EQ(dec.stats().count(DropReason::kSequenceGap), 1u);
  EXPECT_EQ(out.size(), 3u);
}

TEST(Ipfix, TemplateFloodIsBounded) {
  FlowDecoder dec(FlowDecoder::Limits{.max_sources = 4, .max_templates_per_source = 16, .max_fields = 8});
  std::vector<Flow> out;
  for (int id = 256; id < 356; ++id) {
    auto t = bytes({0, 2, 0, 12, id >> 8, id & 0xff, 0, 1, 0, 8, 0, 4});
    ASSERT_TRUE(dec.decode(ipfix_msg(0, t), kExporter, out));
  }
  EXPECT_EQ(dec.template_count(), 16u);
  EXPECT_EQ(dec.stats().count(DropReason::kTemplateLimit), 84u);
  // Too many fields in one template: the set is malformed.
  auto wide = bytes({0, 2, 0, 44, 1, 0, 0, 10});
  for (int i = 0; i < 10; ++i) wide.insert(wide.end(), {0, 8, 0, 4});
  EXPECT_FALSE(dec.decode(ipfix_msg(0, wide), kExporter, out));
  // Too many domains.
  for (uint8_t dom = 2; dom < 10; ++dom) {
    auto m = ipfix_msg(0, bytes({0, 2, 0, 12, 1, 0, 0, 1, 0, 8, 0, 4}));
    m[15] = dom;
    (void)dec.decode(m, kExporter, out);
  }
  EXPECT_EQ(dec.source_count(), 4u);
}

TEST(NetflowV9, TemplateRefreshChangesLayoutAndOptionsAreSkipped) {
  auto v9 = [](const std::vector<uint8_t>& sets, uint32_t seq) {
    std::vector<uint8_t> m = bytes({0, 9, 0, 1, 0, 0, 0x10, 0, 0x65, 0x53, 0xf1, 0});
    for (int s = 24; s >= 0; s -= 8) m.push_back(static_cast<uint8_t>(seq >> s));
    m.insert(m.end(), {0, 0, 0, 5});
    m.insert(m.end(), sets.begin(), sets.end());
    return m;
  };
  FlowDecoder dec;
  std::vector<Flow> out;
  // Template 256: IPV4_SRC_ADDR, L4_DST_PORT.
  ASSERT_TRUE(dec.decode(v9(bytes({0, 0, 0, 16, 1, 0, 0, 2, 0, 8, 0, 4, 0, 11, 0, 2}), 0), kExporter, out));
  ASSERT_TRUE(
      dec.decode(v9(bytes({1, 0, 0, 12, 10, 0, 0, 1, 0, 25, 0, 0}), 1), kExporter, out));  // + padding
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst_port, 25);
  // Refresh: now L4_DST_PORT first.
  ASSERT_TRUE(dec.decode(v9(bytes({0, 0, 0, 16, 1, 0, 0, 2, 0, 11, 0, 2, 0, 8, 0, 4}), 2), kExporter, out));
  ASSERT_TRUE(dec.decode(v9(bytes({1, 0, 0, 12, 0, 80, 10, 0, 0, 9, 0, 0}), 3), kExporter, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].dst_port, 80);
  EXPECT_EQ(out[1].src.to_string(), "10.0.0.9");
  // Options template 257 (scope System, 4 bytes; option SAMPLING_INTERVAL) + data.
  ASSERT_TRUE(
      dec.decode(v9(bytes({0, 1, 0, 18, 1, 1, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 4}), 4), kExporter, out));
  ASSERT_TRUE(dec.decode(v9(bytes({1, 1, 0, 12, 0, 0, 0, 1, 0, 0, 0, 100}), 5), kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kOptionsSkipped), 1u);
  EXPECT_EQ(out.size(), 2u);
  // Unknown version.
  EXPECT_FALSE(dec.decode(bytes({0, 7, 0, 0}), kExporter, out));
  EXPECT_EQ(dec.stats().count(DropReason::kBadVersion), 1u);
  // Same source ID from another exporter address: templates are not shared.
  ASSERT_TRUE(
      dec.decode(v9(bytes({1, 0, 0, 12, 0, 80, 10, 0, 0, 9, 0, 0}), 0), *IpAddress::parse("127.0.0.2"), out));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(dec.stats().count(DropReason::kSequenceGap), 0u);
}

std::vector<uint8_t> from_hex(std::string_view h) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    v.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return v;
}

// Regression (UBSan: signed overflow): 8-byte flowStartSeconds/EndSeconds
// multiplied by 1000, and 8-byte milliseconds cast to a negative int64. Such
// values are not used: the record keeps the export time and bad_time counts
// them. The same datagrams are in fuzz/corpus/fuzz_flow_{v9,ipfix}/time-overflow.bin.
TEST(FlowDecoder, TimeFieldsOutOfRangeAreRefusedNotOverflowed) {
  FlowDecoder dec;
  std::vector<Flow> out;
  // v9, export time 1700000100 s; template 256: src4 dst4 sport dport proto
  // 150 (start s, 8 bytes) 151 (end s, 8 bytes); three records:
  // start 2^64-1 / end 2^63-1; start 2^53 / end 1700000001; start 1700000000 / end 2^63.
  const auto v9 = from_hex(
      "00090004000003e86553f1640000000100000007000000240100000700080004000c000400070002000b00020004000100"
      "960008009700080100005b644000050b0000019c40001906ffffffffffffffff7fffffffffffffff644000050b000001"
      "9c400019060020000000000000000000006553f101644000050b0000019c40001906000000006553f1008000000000000000");
  auto r = dec.decode(v9, kExporter, out);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].start_ms, 1700000100000);  // export time
  EXPECT_EQ(out[0].end_ms, 1700000100000);
  EXPECT_EQ(out[1].start_ms, 1700000100000);
  EXPECT_EQ(out[1].end_ms, 1700000001000);
  EXPECT_EQ(out[2].start_ms, 1700000000000);
  EXPECT_EQ(out[2].end_ms, 1700000000000);
  EXPECT_EQ(dec.stats().count(DropReason::kBadTime), 4u);
  EXPECT_EQ(out[0].dst_port, 25);

  // IPFIX, export time 1700000200 s; template 300: src4 dst4 sport dport
  // proto 152 (start ms) 153 (end ms) 150 (start s), 8 bytes each.
  FlowDecoder dec2;
  out.clear();
  const auto ipfix = from_hex(
      "000a00866553f1c8000000010000000900020028012c000800080004000c000400070002000b0002000400010098000800"
      "99000800960008012c004e644000060b0000029c41001906ffffffffffffffff0000018bcfe56be8ffffffffffffffff"
      "644000060b0000029c410019060000018bcfe5680080000000000000010020000000000000");
  r = dec2.decode(ipfix, kExporter, out);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].start_ms, 1700000200000);  // both start fields refused: export time
  EXPECT_EQ(out[0].end_ms, 1700000001000);
  EXPECT_EQ(out[1].start_ms, 1700000000000);  // the ms field stands; the bad seconds do not override it
  EXPECT_EQ(out[1].end_ms, 1700000000000);
  EXPECT_EQ(dec2.stats().count(DropReason::kBadTime), 4u);
}

}  // namespace
}  // namespace rampart::flows

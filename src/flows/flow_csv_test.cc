#include "flows/flow_csv.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace rampart::flows {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Timestamp, ParsesUtc) {
  int64_t ms = 0;
  ASSERT_TRUE(parse_timestamp_utc("2011/08/10 11:34:53.221630", ms));
  EXPECT_EQ(ms, 1312976093221);
  ASSERT_TRUE(parse_timestamp_utc("1970-01-01 00:00:00", ms));
  EXPECT_EQ(ms, 0);
  ASSERT_TRUE(parse_timestamp_utc("2024-02-29T23:59:59.5", ms));
  EXPECT_EQ(ms, 1709251199500);
  for (const char* bad : {"", "2011/08/10", "2011/13/10 00:00:00", "2011/08/10 25:00:00",
                          "2011/08/10 11:34:53.", "2011/08/10 11:34:53x", "abcd/08/10 11:34:53"})
    EXPECT_FALSE(parse_timestamp_utc(bad, ms)) << bad;
}

TEST(Binetflow, ReadsCtu13Sample) {
  auto text = slurp("tests/data/flows/ctu13-1-capture20110810.binetflow");
  ASSERT_FALSE(text.empty());
  auto r = read_flow_text(text, CsvFormat::kBinetflow);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->records.size(), 100u);
  EXPECT_EQ(r->stats.total(), 0u) << r->stats.to_string();
  size_t spam = 0;
  for (const auto& rec : r->records) {
    if (rec.label.find("SPAM") != std::string::npos && rec.flow.dst_port == 25) {
      ++spam;
      EXPECT_EQ(rec.flow.src.to_string(), "147.32.84.165");
      EXPECT_TRUE(rec.flow.syn_only());  // state "S_"
    }
  }
  EXPECT_EQ(spam, 25u);
  const auto& first = r->records[0];
  EXPECT_EQ(first.flow.protocol, kProtoUdp);
  EXPECT_EQ(first.flow.src.to_string(), "89.210.33.193");
  EXPECT_EQ(first.flow.dst_port, 13363);
  EXPECT_EQ(first.flow.bytes, 152u);
  EXPECT_EQ(first.flow.rev_bytes, 120u);
  EXPECT_EQ(first.label, "flow=Background-UDP-Established");
}

TEST(Binetflow, StatesAndBadLines) {
  const std::string text =
      "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"
      "2011/08/15 19:24:56.550645,0.1,tcp,147.32.84.165,1079,   ->,66.94.238.147,25,S_RA,0.0,,3,186,120,x\n"
      "2011/08/15 19:24:57,0.1,tcp,147.32.84.165,1080,   "
      "->,66.94.238.147,25,FSPA_FSPA,0.0,0.0,30,5000,3000,y\n"
      "2011/08/15 19:24:58,0.0,icmp,147.32.84.165,0x0008,  <->,1.2.3.4,0x0000,ECO,0,0,2,120,60,z\n"
      "2011/08/15 19:24:58,0.1,tcp,147.32.84.999,1,->,1.2.3.4,25,S_,0,0,1,60,60,bad address\n"
      "2011/08/15 19:24:58,0.1,tcp,147.32.84.1,1,->,1.2.3.4,70000,S_,0,0,1,60,60,bad port\n"
      "garbage\n"
      "2011/08/15 19:24:58,-1,tcp,147.32.84.1,1,->,1.2.3.4,25,S_,0,0,1,60,60,negative dur\n";
  auto r = read_flow_text(text, CsvFormat::kBinetflow);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->stats.count(DropReason::kCsvBadLine), 4u);
  const Flow& refused = r->records[0].flow;
  EXPECT_EQ(refused.tcp_flags, kTcpSyn);
  EXPECT_EQ(refused.rev_tcp_flags, kTcpRst | kTcpAck);
  EXPECT_TRUE(refused.failed_attempt());
  EXPECT_FALSE(r->records[1].flow.failed_attempt());
  EXPECT_EQ(r->records[2].flow.protocol, kProtoIcmp);
  EXPECT_EQ(r->records[2].flow.src_port, 8);
}

TEST(Binetflow, HeaderRequired) {
  EXPECT_FALSE(read_flow_text("", CsvFormat::kBinetflow));
  EXPECT_FALSE(read_flow_text("a,b,c\n1,2,3\n", CsvFormat::kBinetflow));
}

TEST(NfdumpCsv, ReadsSample) {
  auto text = slurp("tests/data/flows/nfdump-sample.csv");
  auto r = read_flow_text(text, CsvFormat::kNfdumpCsv);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->stats.total(), 0u) << r->stats.to_string();
  const Flow& a = r->records[0].flow;
  EXPECT_EQ(a.src.to_string(), "100.64.1.7");
  EXPECT_EQ(a.dst_port, 25);
  EXPECT_TRUE(a.syn_only());
  EXPECT_EQ(a.start_ms, 1709287200120);
  EXPECT_EQ(a.end_ms, 1709287203480);
  const Flow& b = r->records[1].flow;
  EXPECT_EQ(b.tcp_flags, kTcpAck | kTcpPsh | kTcpSyn | kTcpFin);
  EXPECT_EQ(b.rev_bytes, 900u);
  EXPECT_TRUE(b.bidirectional);
  EXPECT_TRUE(r->records[2].flow.src.is_v6());
  EXPECT_EQ(r->records[3].flow.protocol, kProtoIcmp);
  EXPECT_EQ(r->records[3].flow.bytes, 1200u);
}

TEST(NfdumpCsv, BadLinesCounted) {
  const std::string text =
      "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt\n"
      "2024-03-01 10:00:00,2024-03-01 10:00:01,1.0,10.0.0.1,10.0.0.2,1,25,TCP,....S.,1,60\n"
      "2024-03-01 10:00:00,2024-03-01 10:00:01,1.0,10.0.0.1,10.0.0.2,1,25,TCP\n"
      "2024-03-01 10:00:00,bad,1.0,10.0.0.1,10.0.0.2,1,25,TCP,....S.,1,60\n"
      "2024-03-01 10:00:00,2024-03-01 10:00:01,1.0,10.0.0.1,10.0.0.2,1,25,TCP,....S.,x,60\n";
  auto r = read_flow_text(text, CsvFormat::kNfdumpCsv);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->stats.count(DropReason::kCsvBadLine), 3u);
  EXPECT_FALSE(parse_csv_format("json"));
  EXPECT_EQ(*parse_csv_format("nfdump-csv"), CsvFormat::kNfdumpCsv);
}

}  // namespace
}  // namespace rampart::flows

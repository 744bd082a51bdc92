// File: src/server/flow_service_test.cc
// FlowService over a real UDP socket on 127.0.0.1: NetFlow v9 and IPFIX
// datagrams (the project's FlowEncoder) make an incident, announced on the
// loop's executor with its evidence; release and extend are audited and
// persisted across a restart; bad bodies and unknown ids are refused.
#include "server/flow_service.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "flows/encoder.h"

namespace rampart::server {
namespace {

using namespace std::chrono_literals;

void send_burst(uint16_t port, const char* src, flows::ExportFormat fmt) {
  std::vector<flows::Flow> fs;
  const int64_t t0 = static_cast<int64_t>(std::time(nullptr)) * 1000 - 300000;
  for (uint32_t i = 0; i < 200; ++i) {
    flows::Flow f;
    f.start_ms = f.end_ms = t0 + i * 1500;
    f.src = *IpAddress::parse(src);
    f.dst = IpAddress::v4(0x0B000000u + i * 977);
    f.src_port = static_cast<uint16_t>(40000 + i);
    f.dst_port = 25;
    f.protocol = flows::kProtoTcp;
    f.tcp_flags = flows::kTcpSyn;
    f.packets = 1;
    f.bytes = 60;
    fs.push_back(f);
  }
  flows::FlowEncoder::Options o;
  o.format = fmt;
  flows::FlowEncoder enc(o);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (const auto& d : enc.encode(fs, t0 + 300000))
    ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  ::close(fd);
}

FlowsConfig config() {
  auto c = Config::parse(R"(
[flows]
listen = "127.0.0.1:0"
block_ttl_s = 3600
[flows.detector]
subscribers_dynamic = ["100.64.0.0/16"]
)");
  EXPECT_TRUE(c);
  auto f = FlowsConfig::from(*c);
  EXPECT_TRUE(f) << f.error().message;
  return *f;
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

std::pair<int, std::string> change(FlowService& s, uint64_t id, bool extend, const std::string& body) {
  auto c = flows::parse_incident_change(body, extend, s.max_ttl_s());
  if (!c) return {400, c.error().message};
  std::promise<std::pair<int, std::string>> p;
  s.change(id, extend, "desk", *c, [&](int st, std::string b) { p.set_value({st, std::move(b)}); });
  auto fut = p.get_future();
  if (fut.wait_for(10s) != std::future_status::ready) return {0, "no answer"};
  return fut.get();
}

class FlowServiceTest : public ::testing::TestWithParam<flows::ExportFormat> {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("flow-service-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir_);
    auto a = reputation::OverrideStore::open(dir_ + "/overrides");
    ASSERT_TRUE(a);
    audit_ = std::move(*a);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<FlowService> start(ManualExecutor& loop, std::vector<flows::IncidentRecord>& heard,
                                     std::map<std::string, std::string>& zone) {
    FlowServiceDeps d;
    d.data_dir = dir_;
    d.audit = audit_;
    d.loop = &loop;
    d.on_new = [&heard](const flows::IncidentRecord& r) { heard.push_back(r); };
    d.zone_evidence = [&zone, this](const std::string& ip, std::string text) {
      std::lock_guard lock(mu_);
      zone[ip] = std::move(text);
    };
    auto s = FlowService::start(config(), std::move(d));
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  std::string dir_;
  std::shared_ptr<reputation::OverrideStore> audit_;
  std::mutex mu_;
};

TEST_P(FlowServiceTest, IncidentFromDatagramsReleasedAndPersisted) {
  ManualExecutor loop;
  std::vector<flows::IncidentRecord> heard, listened;
  std::map<std::string, std::string> zone;
  auto s = start(loop, heard, zone);
  ASSERT_TRUE(s);
  ASSERT_NE(s->port(), 0);
  s->add_listener([&listened](const flows::IncidentRecord& r) { listened.push_back(r); });
  send_burst(s->port(), "100.64.3.9", GetParam());
  send_burst(s->port(), "198.51.100.9", GetParam());  // not a subscriber: never an incident
  ASSERT_TRUE(eventually([&] {
    loop.run_pending();
    return !heard.empty();
  })) << s->incidents_json();
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].host, "100.64.3.9");
  ASSERT_EQ(listened.size(), 1u);  // the exchange's hook hears the same
  EXPECT_EQ(listened[0].id, heard[0].id);
  EXPECT_EQ(heard[0].action, "block");
  EXPECT_NE(heard[0].summary.find("port 25:"), std::string::npos) << heard[0].summary;
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(zone["100.64.3.9"], heard[0].summary);
  }
  const std::string js = s->incidents_json("open");
  EXPECT_NE(js.find("\"host\": \"100.64.3.9\""), std::string::npos) << js;
  EXPECT_EQ(js.find("198.51.100.9"), std::string::npos) << js;
  EXPECT_NE(js.find("\"distinct_dst25\""), std::string::npos) << js;
  const uint64_t id = heard[0].id;

  // Extend, then release: both audited with who and why.
  auto e = change(*s, id, true, R"({"reason": "still sending", "seconds": 7200})");
  EXPECT_EQ(e.first, 200) << e.second;
  EXPECT_NE(e.second.find("\"state\": \"extended\""), std::string::npos) << e.second;
  EXPECT_EQ(change(*s, 999, false, R"({"reason": "x"})").first, 404);
  auto r = change(*s, id, false, R"({"reason": "customer cleaned the PC"})");
  EXPECT_EQ(r.first, 200) << r.second;
  EXPECT_EQ(change(*s, id, false, R"({"reason": "again"})").first, 409);
  auto audit = audit_->audit(10);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, reputation::OverrideAction::kExtend);
  EXPECT_EQ(audit[1].action, reputation::OverrideAction::kRelease);
  EXPECT_EQ(audit[1].identity, "ip:100.64.3.9");
  EXPECT_EQ(audit[1].who, "desk");
  EXPECT_NE(audit[1].reason.find("customer cleaned the PC"), std::string::npos);
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(zone["100.64.3.9"], "");  // the zone's evidence is gone with the release
  }
  // More of the same detector incident does not reopen what was released.
  send_burst(s->port(), "100.64.3.9", GetParam());
  auto metrics = [&] {
    MetricsWriter w;
    s->collect_metrics(w);
    return w.text();
  };
  // Every record scored (an absence: wait for the work, not for time).
  ASSERT_TRUE(eventually([&] {
    return metrics().find("rampart_flow_records_total 600") != std::string::npos;
  })) << metrics();
  loop.run_pending();
  EXPECT_EQ(heard.size(), 1u);

  const std::string text = metrics();
  EXPECT_NE(text.find("rampart_flow_incidents{state=\"released\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("rampart_flow_incidents_total{event=\"opened\"} 1"), std::string::npos) << text;
  s->stop();
  s.reset();

  // A restart keeps the incident, released, with its evidence.
  std::vector<flows::IncidentRecord> heard2;
  std::map<std::string, std::string> zone2;
  ManualExecutor loop2;
  auto s2 = start(loop2, heard2, zone2);
  ASSERT_TRUE(s2);
  const std::string js2 = s2->incidents_json();
  EXPECT_NE(js2.find("\"state\": \"released\""), std::string::npos) << js2;
  EXPECT_NE(js2.find("customer cleaned the PC"), std::string::npos) << js2;
  EXPECT_NE(js2.find("port 25:"), std::string::npos) << js2;
}

INSTANTIATE_TEST_SUITE_P(Formats, FlowServiceTest,
                         ::testing::Values(flows::ExportFormat::kV9, flows::ExportFormat::kIpfix),
                         [](const auto& p) { return p.param == flows::ExportFormat::kV9 ? "v9" : "ipfix"; });

TEST(FlowsConfigTest, RefusesWhatCannotRun) {
  auto c = Config::parse("[flows]\nlisten = \"127.0.0.1:0\"\n");
  ASSERT_TRUE(c);
  auto f = FlowsConfig::from(*c);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("subscriber"), std::string::npos) << f.error().message;
  c = Config::parse("[flows]\nlisten = \"nowhere\"\nmax_exporters = 0\n");
  f = FlowsConfig::from(*c);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("flows.listen"), std::string::npos) << f.error().message;
  EXPECT_NE(f.error().message.find("max_exporters"), std::string::npos) << f.error().message;
  c = Config::parse("");
  f = FlowsConfig::from(*c);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->enabled());
}

}  // namespace
}  // namespace rampart::server

// File: tests/rampartd_http_test.cc
// rampartd's feedback endpoints over a real daemon on 127.0.0.1 (port 0,
// DNS from a master file): POST /v1/reports (ARF), POST /v1/learn (content
// model and reputation), bad input -> 400 JSON, the model saved on SIGTERM,
// a corrupt model refused at start-up with a log line, the RocksDB store
// under --data-dir; ARF originals DKIM-verified again over the daemon's DNS,
// feedback reports from a Maildir, spam-trap recipients.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ctime>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "classify/test_util.h"
#include "e2e_support.h"
#include "reputation/test_util.h"
#include "server/http/access.h"

namespace rampart {
namespace {

const char* kZone = R"($ORIGIN good.test.
$TTL 300
@            TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc       TXT "v=DMARC1; p=none"
)";

std::string message(const std::string& body) {
  return "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
         "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n\r\n" +
         body;
}

// Every test's daemon has one token with every right (access control is
// tested in RampartdHttp.AccessControl); requests carry it unless told.
const std::string kToken = "test-token-with-every-right";
const std::string kAuth = "Authorization: Bearer " + kToken + "\r\n";

std::string token_config() {
  return "[[http.tokens]]\nname = \"tests\"\nsha256 = \"" + server::token_sha256_hex(kToken) +
         "\"\nrights = [\"scan\", \"read\", \"learn\", \"events\", \"reports\"]\n";
}

std::string post(uint16_t port, const std::string& path, const std::string& body,
                 const std::string& headers = "", const std::string& auth = kAuth) {
  return e2e::http(port, "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + auth + headers +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

int status_of(const std::string& resp) {
  if (resp.size() < 12) return -1;
  return std::atoi(resp.c_str() + 9);
}

std::string body_of(const std::string& resp) {
  const size_t p = resp.find("\r\n\r\n");
  return p == std::string::npos ? "" : resp.substr(p + 4);
}

struct Daemon {
  e2e::Child child;
  uint16_t http_port = 0;
  bool start(const std::string& tmp, const std::string& config) {
    const char* bin = std::getenv("RAMPARTD_BIN");
    if (!bin) return false;
    if (!child.start({bin, "--config", config, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:0", "--zone",
                      tmp + "/zone", "--data-dir", tmp + "/data"},
                     tmp + "/rampartd.log", true))
      return false;
    for (int i = 0; i < 3; ++i) {
      const std::string line = child.read_line(std::chrono::seconds(30));
      const std::string pre = "rampartd: http 127.0.0.1:";
      if (line.rfind(pre, 0) == 0) http_port = static_cast<uint16_t>(std::atoi(line.c_str() + pre.size()));
      if (line == "rampartd: ready") return http_port != 0;
      if (line.empty()) return false;
    }
    return false;
  }
};

struct RampartdHttp : ::testing::Test {
  std::string tmp, config, model;
  void SetUp() override {
    ASSERT_NE(std::getenv("RAMPARTD_BIN"), nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    tmp = ::testing::TempDir() + "/rampartd_http." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp + "/data");
    std::ofstream(tmp + "/zone") << kZone;
    model = tmp + "/email.model";
    config = tmp + "/rampart.toml";
    std::ofstream(config) << token_config() << "[classify]\nmodel = \"" << model
                          << "\"\nmin_learned = 2\n[reputation]\nsync = false\n";
  }
  void TearDown() override {
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  }
};

TEST_F(RampartdHttp, ReportsAndLearn) {
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");

  // ARF: a good report is accepted, bad ones are 400 with a JSON error.
  std::string r = post(d.http_port, "/v1/reports", e2e::slurp("tests/data/arf/rfc5965-b2.eml"));
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"accepted\": 1"), std::string::npos) << r;
  r = post(d.http_port, "/v1/reports", e2e::slurp("tests/data/arf/bad-no-original.eml"));
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(body_of(r).find("\"error\": "), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"rejected\": 1"), std::string::npos) << r;
  r = post(d.http_port, "/v1/reports", "not a report at all");
  EXPECT_EQ(status_of(r), 400) << r;
  r = e2e::http(d.http_port, "GET /v1/reports HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(status_of(r), 405) << r;
  // Rejected reports are kept for inspection.
  r = e2e::http(d.http_port, "GET /v1/reports/rejected HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"total\": 2"), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("{\"id\": 2, \"time\": "), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"bytes\": 19}"), std::string::npos) << r;
  r = e2e::http(d.http_port, "GET /v1/reports/rejected/2 HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"raw\": \"not a report at all\""), std::string::npos) << r;
  EXPECT_EQ(status_of(e2e::http(d.http_port,
                                "GET /v1/reports/rejected/99 HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n")),
            404);
  EXPECT_EQ(status_of(e2e::http(d.http_port,
                                "GET /v1/reports/rejected/x HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n")),
            400);

  // Events as JSON lines (issue 5's format); a bad line is reported by number.
  std::string events;
  const std::string now = std::to_string(std::time(nullptr));  // the daemon reports at its own clock
  for (int i = 0; i < 3; ++i)
    events += "{\"time\": " + now + ", \"type\": \"bot\", \"ip\": \"198.51.100.77\"}\n";
  events += "{not json\n";
  r = post(d.http_port, "/v1/events", events);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"accepted\": 3"), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"rejected\": 1"), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("line 4: "), std::string::npos) << r;
  r = post(d.http_port, "/v1/events", "garbage\n");
  EXPECT_EQ(status_of(r), 400) << r;
  // A line more than 300 s ahead refuses the whole request (issue 11).
  const std::string ahead = std::to_string(std::time(nullptr) + 3600);
  r = post(d.http_port, "/v1/events",
           "{\"time\": " + now + ", \"type\": \"bot\", \"ip\": \"198.51.100.78\"}\n{\"time\": " + ahead +
               ", \"type\": \"bot\", \"ip\": \"198.51.100.78\"}\n");
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(body_of(r).find("line 2: time " + ahead), std::string::npos) << r;
  r = e2e::http(d.http_port, "GET /v1/reputation/ip:198.51.100.78 HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(body_of(r).find("BOT_DETECTED"), std::string::npos) << r;
  // ... and the identity's report, the object `rampart reputation replay` prints.
  r = e2e::http(d.http_port, "GET /v1/reputation/ip:198.51.100.77 HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"identity\": \"ip:198.51.100.77\""), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"class\": \"spammer\""), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("BOT_DETECTED"), std::string::npos) << r;
  r = e2e::http(d.http_port, "GET /v1/reputation/nonsense HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n");
  EXPECT_EQ(status_of(r), 400) << r;

  // Learning: bad label or body -> 400 JSON.
  const std::string spam = message("Buy cheap pills now!!! casino winner free money\r\n");
  const std::string ham = message("Minutes of the meeting about the quarterly budget review.\r\n");
  r = post(d.http_port, "/v1/learn", spam);
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(body_of(r).find("\"error\": "), std::string::npos) << r;
  r = post(d.http_port, "/v1/learn", spam, "X-Label: eggs\r\n");
  EXPECT_EQ(status_of(r), 400) << r;
  r = post(d.http_port, "/v1/learn", "", "X-Label: spam\r\n");
  EXPECT_EQ(status_of(r), 400) << r;
  for (int i = 0; i < 10; ++i) {
    r = post(d.http_port, "/v1/learn", spam, "X-Label: spam\r\nX-Client-IP: 192.0.2.9\r\n");
    ASSERT_EQ(status_of(r), 200) << r;
    EXPECT_NE(body_of(r).find("\"learned\": true"), std::string::npos) << r;
    EXPECT_NE(body_of(r).find("\"reputation\": \"complaint\""), std::string::npos) << r;
    r = post(d.http_port, "/v1/learn", ham, "X-Label: ham\r\n");
    ASSERT_EQ(status_of(r), 200) << r;
  }
  // The scan sees the content model.
  r = post(d.http_port, "/v1/scan", spam,
           "X-Client-IP: 192.0.2.1\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n"
           "X-Rcpt-To: bob@example.net\r\n");
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("CONTENT_SPAM"), std::string::npos) << r;
  r = e2e::http(d.http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(r.find("rampart_reports_accepted_total 1"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_classify_learned_total 20"), std::string::npos) << r;
  {
    // Latency histograms (one registry): each counted what it timed.
    auto count = [&](const std::string& name) -> long long {
      const size_t p = r.find("\n" + name + "_count ");
      return p == std::string::npos ? -1 : std::atoll(r.c_str() + p + name.size() + 8);
    };
    EXPECT_GE(count("rampart_scan_seconds"), 1) << r;
    EXPECT_GE(count("rampart_http_request_seconds"), 20) << r;  // the learns and the scan
    EXPECT_GE(count("rampart_store_write_seconds"), 1) << r;    // the learns' reputation events
    EXPECT_GE(count("rampart_store_read_seconds"), 1) << r;     // the scan's lookup
    EXPECT_GE(count("rampart_dns_lookup_seconds"), 1) << r;     // the scan's SPF, DMARC, ... misses
    EXPECT_EQ(count("rampart_console_request_seconds"), 0) << r;
    EXPECT_NE(r.find("\nrampart_console_requests_total 0\n"), std::string::npos) << r;
  }
  {
    // The whole exposition through Prometheus's own linter (one writer,
    // core/metrics.h: each family once, HELP and TYPE, escaped labels).
    const std::string path = tmp + "/metrics.txt";
    std::ofstream(path) << body_of(r);
    const std::string cmd = "promtool check metrics < " + path + " > " + path + ".lint 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << e2e::slurp(path + ".lint") << body_of(r);
    EXPECT_EQ(e2e::slurp(path + ".lint"), "") << body_of(r);
  }

  // SIGTERM saves the model; the RocksDB store is under --data-dir.
  EXPECT_FALSE(std::filesystem::exists(model));
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
  EXPECT_TRUE(std::filesystem::exists(model)) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_TRUE(std::filesystem::exists(tmp + "/data/reputation"));

  // A corrupt model: refused with a log line, the check off, learning
  // still feeds reputation.
  {
    std::ofstream out(model, std::ios::binary | std::ios::trunc);
    out << "RMPCLSMD not a model";
  }
  Daemon d2;
  ASSERT_TRUE(d2.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  const std::string log = e2e::slurp(tmp + "/rampartd.log");
  EXPECT_NE(log.find("refused"), std::string::npos) << log;
  EXPECT_NE(log.find("content check is disabled"), std::string::npos) << log;
  r = post(d2.http_port, "/v1/learn", spam, "X-Label: spam\r\nX-Client-IP: 192.0.2.9\r\n");
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"learned\": false"), std::string::npos) << r;
  r = post(d2.http_port, "/v1/scan", spam, "X-Client-IP: 192.0.2.1\r\nX-Mail-From: alice@good.test\r\n");
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r).find("CONTENT_"), std::string::npos) << r;
  d2.child.signal(SIGTERM);
  EXPECT_EQ(d2.child.wait(std::chrono::seconds(30)), 0);
  // The corrupt file was not overwritten (nothing learned).
  EXPECT_EQ(e2e::slurp(model), "RMPCLSMD not a model");
}

// Reads from fd until `n` whole responses (by Content-Length) are in, the
// peer closes, or 30 s pass; eof tells whether it closed.
std::string read_responses(int fd, size_t n, bool& eof) {
  std::string in;
  eof = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto complete = [&] {
    size_t pos = 0, got = 0;
    while (got < n) {
      const size_t end = in.find("\r\n\r\n", pos);
      if (end == std::string::npos) return false;
      const size_t cl = in.find("Content-Length: ", pos);
      if (cl == std::string::npos || cl > end) return false;
      const size_t len = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
      if (in.size() < end + 4 + len) return false;
      pos = end + 4 + len;
      ++got;
    }
    return true;
  };
  while (!complete() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char b[4096];
    const ssize_t r = ::recv(fd, b, sizeof b, 0);
    if (r <= 0) {
      eof = true;
      break;
    }
    in.append(b, static_cast<size_t>(r));
  }
  if (!eof) {  // closed right after the last response?
    pollfd p{fd, POLLIN, 0};
    char b[1];
    if (::poll(&p, 1, 0) > 0 && ::recv(fd, b, 1, MSG_PEEK) == 0) eof = true;
  }
  return in;
}

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// HTTP/1.1 connections persist: pipelined requests (a scan, which waits for
// the pipeline, between two plain ones) are answered in order on one
// connection; "Connection: close", HTTP/1.0 and a bad request end it.
// [log] format = "json": every line one JSON object; a scan's verdict line
// and its reputation event line share one "id"; SIGUSR1/SIGUSR2 step the
// level at run time (the event line is debug: absent before SIGUSR1).
// POST /v1/messages with the SMS content model (issue 16): a seed model
// built by `rampart classify train` from a TSV corpus (as an operator does
// with the SMS Spam Collection, src/channels/README.md) at the default path
// <data-dir>/sms.model; verdicts carry SMS_CONTENT_SPAM/HAM; 7726 complaints
// move a text's score; SIGTERM writes the model back.
TEST_F(RampartdHttp, MessagesScoredByTheSmsContentModel) {
  const char* rampart = std::getenv("RAMPART_BIN");
  ASSERT_NE(rampart, nullptr) << "RAMPART_BIN not set (tests/rampartd.cmake sets it)";
  {
    std::ofstream tsv(tmp + "/seed.tsv");
    using classify::testing::kSmsSeedHam;
    using classify::testing::kSmsSeedSpam;
    for (int r = 0; r < 10; ++r)
      for (size_t i = 0; i < std::size(kSmsSeedSpam); ++i)
        tsv << "spam\t" << kSmsSeedSpam[i] << "\nham\t" << kSmsSeedHam[i] << "\n";
  }
  const std::string sms_model = tmp + "/data/sms.model";
  auto tr = e2e::run({rampart, "classify", "train", "--model", sms_model, "--corpus", tmp + "/seed.tsv",
                      "--format", "tsv", "--channel", "sms"},
                     tmp);
  ASSERT_EQ(tr.status, 0) << tr.output;
  std::ofstream(config) << token_config() << "[messages]\nmin_learned = 10\n";
  const std::string seeded = e2e::slurp(sms_model);
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_NE(e2e::slurp(tmp + "/rampartd.log")
                .find("sms content model " + sms_model + " loaded (80 messages learned)"),
            std::string::npos)
      << e2e::slurp(tmp + "/rampartd.log");
  auto content = [&](const std::string& text) -> std::pair<std::string, double> {
    const std::string r = post(
        d.http_port, "/v1/messages",
        nlohmann::json{
            {"channel", "sms"}, {"sender", "+12025550100"}, {"recipients", {"+12025550199"}}, {"text", text}}
            .dump());
    EXPECT_EQ(status_of(r), 200) << r;
    const auto j = nlohmann::json::parse(body_of(r));
    for (const auto& s : j["symbols"])
      if (s["name"].get<std::string>().find("SMS_CONTENT_") == 0) {
        EXPECT_NE(s["reason"].get<std::string>().find("P(spam)"), std::string::npos) << r;
        return {s["name"], s["score"].get<double>()};
      }
    return {"", 0};
  };
  auto spam = content("You WON a cash prize! Call 09061234567 now to claim your 500 GBP");
  auto ham = content("see you at lunch tomorrow, I will bring the kids");
  EXPECT_EQ(spam.first, "SMS_CONTENT_SPAM");
  EXPECT_EQ(ham.first, "SMS_CONTENT_HAM");
  EXPECT_GT(spam.second, ham.second);
  const std::string text = "meet me at the station with the tickets, we leave at nine";
  const double before = content(text).second;
  const std::string report =
      nlohmann::json{{"channel", "sms"}, {"sender", "+13135550100"}, {"text", text}}.dump();
  for (int i = 0; i < 5; ++i) {
    const std::string r = post(d.http_port, "/v1/messages/complaints", report);
    ASSERT_EQ(status_of(r), 200) << r;
  }
  EXPECT_GT(content(text).second, before);
  const std::string m =
      e2e::http(d.http_port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n" + kAuth + "\r\n");
  EXPECT_NE(m.find("rampart_messages_learned_total{channel=\"sms\",label=\"spam\"} 5"), std::string::npos)
      << m;
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
  EXPECT_NE(e2e::slurp(sms_model), seeded) << "the model was not written back at SIGTERM";
}

TEST_F(RampartdHttp, JsonLogsOneIdPerMessageAndLevelAtRunTime) {
  std::ofstream(config) << token_config() << "[log]\nformat = \"json\"\n[reputation]\nsync = false\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  const std::string scan_headers =
      "X-Client-IP: 192.0.2.1\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n"
      "X-Rcpt-To: bob@example.net\r\n";
  auto lines = [&] {
    std::vector<nlohmann::json> out;
    std::istringstream in(e2e::slurp(tmp + "/rampartd.log"));
    for (std::string l; std::getline(in, l);) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << l;
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  };
  auto find = [&](const std::string& needle) -> std::optional<nlohmann::json> {
    for (auto& j : lines())
      if (j.value("msg", "").find(needle) != std::string::npos) return j;
    return std::nullopt;
  };
  ASSERT_EQ(status_of(post(d.http_port, "/v1/scan", message("one"), scan_headers)), 200);
  ASSERT_TRUE(
      e2e::poll_until([&] { return find("http NOQUEUE: id=").has_value(); }, std::chrono::seconds(10)))
      << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_FALSE(find("reputation event")) << "a debug line at level info";
  d.child.signal(SIGUSR1);
  ASSERT_TRUE(
      e2e::poll_until([&] { return find("log level now debug").has_value(); }, std::chrono::seconds(10)))
      << e2e::slurp(tmp + "/rampartd.log");
  ASSERT_EQ(status_of(post(d.http_port, "/v1/scan", message("two"), scan_headers)), 200);
  ASSERT_TRUE(e2e::poll_until([&] { return find("reputation event").has_value(); }, std::chrono::seconds(10)))
      << e2e::slurp(tmp + "/rampartd.log");
  const auto ev = *find("reputation event");
  ASSERT_TRUE(ev.contains("id")) << ev.dump();
  const std::string id = ev["id"];
  EXPECT_EQ(id.size(), 12u) << id;
  EXPECT_EQ(ev.value("level", ""), "debug");
  // The verdict line of the same message carries the same id (and names it in its text).
  const auto verdict = find("http NOQUEUE: id=" + id);
  ASSERT_TRUE(verdict) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_EQ((*verdict)["id"], id);
  EXPECT_EQ(verdict->value("level", ""), "info");
  // The first message had another id.
  const auto first = find("http NOQUEUE: id=");
  ASSERT_TRUE(first);
  EXPECT_NE((*first)["id"], id);
  d.child.signal(SIGUSR2);
  ASSERT_TRUE(
      e2e::poll_until([&] { return find("log level now info").has_value(); }, std::chrono::seconds(10)))
      << e2e::slurp(tmp + "/rampartd.log");
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

TEST_F(RampartdHttp, KeepAliveAndPipelining) {
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  const int fd = connect_to(d.http_port);
  ASSERT_GE(fd, 0);
  const std::string msg = message("Hello Bob.\r\n");
  const std::string scan = "POST /v1/scan HTTP/1.1\r\nHost: x\r\n" + kAuth +
                           "X-Client-IP: 192.0.2.1\r\nX-Mail-From: "
                           "alice@good.test\r\nX-Rcpt-To: bob@example.net\r\nContent-Length: " +
                           std::to_string(msg.size()) + "\r\n\r\n" + msg;
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string all = health + scan + health;
  ASSERT_EQ(::send(fd, all.data(), all.size(), MSG_NOSIGNAL), static_cast<ssize_t>(all.size()));
  bool eof = false;
  std::string r = read_responses(fd, 3, eof);
  EXPECT_FALSE(eof) << r;
  EXPECT_EQ(count_of(r, "HTTP/1.1 200 OK"), 3u) << r;
  EXPECT_EQ(count_of(r, "Connection: keep-alive"), 3u) << r;
  const size_t verdict = r.find("\"action\"");
  ASSERT_NE(verdict, std::string::npos) << r;
  EXPECT_LT(r.find("{\"status\": \"ok\"}"), verdict) << r;                     // in order
  EXPECT_NE(r.find("{\"status\": \"ok\"}", verdict), std::string::npos) << r;  // the third after the scan
  // The same connection again, asked to close.
  const std::string last = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, last.data(), last.size(), MSG_NOSIGNAL), static_cast<ssize_t>(last.size()));
  r = read_responses(fd, 1, eof);
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  r += read_responses(fd, 2, eof);  // nothing more: the server closes
  EXPECT_TRUE(eof) << r;
  ::close(fd);
  // HTTP/1.0 without keep-alive, and a bad request: answered, then closed.
  for (const std::string& req :
       {std::string("GET /healthz HTTP/1.0\r\n\r\n"), std::string("NONSENSE\r\n\r\n")}) {
    const int f = connect_to(d.http_port);
    ASSERT_GE(f, 0);
    const std::string twice = req + health;
    ASSERT_EQ(::send(f, twice.data(), twice.size(), MSG_NOSIGNAL), static_cast<ssize_t>(twice.size()));
    r = read_responses(f, 2, eof);
    EXPECT_TRUE(eof) << r;
    EXPECT_EQ(count_of(r, "HTTP/1.1 "), 1u) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
    ::close(f);
  }
  // SIGTERM with a kept-alive connection idle: it is closed, the drain ends.
  const int idle = connect_to(d.http_port);
  ASSERT_GE(idle, 0);
  ASSERT_EQ(::send(idle, health.data(), health.size(), MSG_NOSIGNAL), static_cast<ssize_t>(health.size()));
  r = read_responses(idle, 1, eof);
  EXPECT_FALSE(eof) << r;
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(20)), 0);
  r = read_responses(idle, 2, eof);
  EXPECT_TRUE(eof);
  ::close(idle);
}

// 5,000 small scans pipelined on one connection (once a SIGSEGV: each
// answer given at once called the next request's handler recursively):
// every one answered, in order, and the daemon lives on.
TEST_F(RampartdHttp, FiveThousandPipelinedScans) {
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  const int fd = connect_to(d.http_port);
  ASSERT_GE(fd, 0);
  constexpr int kScans = 5000;
  const std::string msg = message("Hello Bob.\r\n");
  std::thread sender([&] {
    std::string all;
    for (int i = 0; i < kScans; ++i)
      all += "POST /v1/scan HTTP/1.1\r\nHost: x\r\n" + kAuth + "X-Client-IP: 192.0.2." +
             std::to_string(i % 200 + 1) + "\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob" +
             std::to_string(i) + "@example.net\r\nContent-Length: " + std::to_string(msg.size()) +
             "\r\n\r\n" + msg;
    size_t off = 0;
    while (off < all.size()) {
      const ssize_t n = ::send(fd, all.data() + off, all.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  });
  // Responses counted as they come (Content-Length framing).
  std::string in;
  size_t pos = 0;
  int answered = 0, verdicts = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (answered < kScans && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char b[65536];
    const ssize_t r = ::recv(fd, b, sizeof b, 0);
    if (r <= 0) break;
    in.append(b, static_cast<size_t>(r));
    while (const size_t n = e2e::complete_response(in, pos)) {
      // The verdict is in the body: after the blank line, inside this response.
      const size_t body = in.find("\r\n\r\n", pos);
      if (in.compare(pos, 15, "HTTP/1.1 200 OK") == 0 && in.find("\"action\"", body) < pos + n) ++verdicts;
      ++answered;
      pos += n;
    }
    if (pos > (1u << 20)) {
      in.erase(0, pos);
      pos = 0;
    }
  }
  sender.join();
  ::close(fd);
  EXPECT_EQ(answered, kScans);
  EXPECT_EQ(verdicts, kScans);
  EXPECT_TRUE(d.child.running());
  EXPECT_EQ(status_of(e2e::http(d.http_port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

// Redis down when rampartd starts: it starts, scans go on with
// REP_UNAVAILABLE, event posts answer 503; mail is never held for it.
TEST_F(RampartdHttp, StartsAndScansWithRedisDown) {
  std::ofstream(config, std::ios::trunc)
      << token_config()
      << "[reputation]\nstore = \"redis\"\nredis_seeds = [\"127.0.0.1:1\"]\n"
         "redis_retry_deadline_ms = 200\n[throttle]\nshared = false\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  for (int i = 0; i < 3; ++i) {
    const std::string r =
        post(d.http_port, "/v1/scan", message("Hello Bob.\r\n"),
             "X-Client-IP: 192.0.2.1\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob@example.net\r\n");
    ASSERT_EQ(status_of(r), 200) << r;
    EXPECT_NE(body_of(r).find("REP_UNAVAILABLE"), std::string::npos) << r;
    EXPECT_EQ(body_of(r).find("\"action\": \"tempfail\""), std::string::npos) << r;
  }
  const std::string ev = post(d.http_port, "/v1/events",
                              "{\"time\": " + std::to_string(std::time(nullptr)) +
                                  ", \"type\": \"bot\", \"ip\": \"198.51.100.7\"}\n");
  EXPECT_EQ(status_of(ev), 503) << ev;
  EXPECT_NE(body_of(ev).find("unavailable"), std::string::npos) << ev;
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

TEST_F(RampartdHttp, ReportsReauthenticatedFromMaildirAndTraps) {
  auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(key);
  std::ofstream(tmp + "/zone", std::ios::app)
      << "s1._domainkey TXT \"" << dkim::testing::key_record(*key) << "\"\n";
  const std::string fbl = tmp + "/fbl";
  std::ofstream(config, std::ios::trunc)
      << token_config() << "[reputation]\nsync = false\nreports_maildir = \"" << fbl
      << "\"\nreports_poll_ms = 20\ntrap_addresses = [\"trap@example.net\"]\ntrap_domains = "
         "[\"traps.example.org\"]\n"
         "[[reputation.reporters]]\nname = \"isp\"\ndomain = \"isp.example\"\nverify = \"mailbox\"\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");

  const std::string original = message("Hello Bob.\r\n");
  dkim::SignOptions o;
  o.domain = "good.test";
  o.selector = "s1";
  auto sig = dkim::sign(original, *key, o);
  ASSERT_TRUE(sig) << sig.error().message;

  // Over HTTP: the signature is checked against the key in the daemon's DNS.
  std::string r = post(d.http_port, "/v1/reports", reputation::testing::arf_report(*sig + original));
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"auth\": \"dkim re-verified\""), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"dkim\": \"pass\""), std::string::npos) << r;
  EXPECT_NE(body_of(r).find("\"domain:good.test\""), std::string::npos) << r;
  std::string altered = *sig + original;
  altered.replace(altered.find("Hello Bob."), 10, "Buy now!!!");
  r = post(d.http_port, "/v1/reports", reputation::testing::arf_report(altered));
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("\"dkim\": \"fail\""), std::string::npos) << r;
  EXPECT_EQ(body_of(r).find("domain:good.test"), std::string::npos) << r;

  // From the Maildir: delivered through tmp/ as an MDA does.
  auto deliver = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(fbl + "/tmp/" + name, std::ios::binary) << bytes;
    std::filesystem::rename(fbl + "/tmp/" + name, fbl + "/new/" + name);
  };
  deliver("1700000001.good.host", reputation::testing::arf_report(*sig + original));
  deliver("1700000002.bad.host", e2e::slurp("tests/data/arf/bad-no-feedback-type.eml"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         !(std::filesystem::exists(fbl + "/cur/1700000001.good.host:2,S") &&
           std::filesystem::exists(fbl + "/rejected/1700000002.bad.host")))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(std::filesystem::exists(fbl + "/cur/1700000001.good.host:2,S"))
      << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_TRUE(std::filesystem::exists(fbl + "/rejected/1700000002.bad.host"));
  EXPECT_NE(e2e::slurp(fbl + "/rejected/1700000002.bad.host.reason").find("Feedback-Type"),
            std::string::npos);
  r = e2e::http(d.http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(r.find("rampart_maildir_reports_total{outcome=\"accepted\"} 1"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_maildir_reports_total{outcome=\"rejected\"} 1"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_reports_reverified_total 3"), std::string::npos) << r;

  // A message to a trap: REP_TRAP_HIT, and a trap hit on the sender's IP.
  r = post(d.http_port, "/v1/scan", message("Hello Bob.\r\n"),
           "X-Client-IP: 192.0.2.1\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n"
           "X-Rcpt-To: bob@example.net, trap@example.net\r\n");
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_NE(body_of(r).find("REP_TRAP_HIT"), std::string::npos) << r;
  r = post(d.http_port, "/v1/scan", message("Hello Bob.\r\n"),
           "X-Client-IP: 192.0.2.1\r\nX-Mail-From: alice@good.test\r\nX-Rcpt-To: bob@example.net\r\n");
  EXPECT_EQ(body_of(r).find("REP_TRAP_HIT"), std::string::npos) << r;
  r = e2e::http(d.http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(r.find("rampart_trap_hits_total 1"), std::string::npos) << r;
  // Scan events are written in batches (reputation.flush_ms): the trap hit
  // reaches the store within a tick or two.
  // Counters are read decayed to the moment of the request, so an hour
  // window holds a little under what was added (1 trap hit, 2 + 1 recipients).
  const auto flushed = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string counters;
  while (std::chrono::steady_clock::now() < flushed) {
    counters = body_of(e2e::http(
        d.http_port, "GET /v1/reputation/ip:192.0.2.1?counters=1 HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n"));
    if (e2e::counter_hour(counters, "traps") > 0.99) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NEAR(e2e::counter_hour(counters, "traps"), 1.0, 0.01) << counters;
  EXPECT_NEAR(e2e::counter_hour(counters, "volume"), 3.0, 0.03) << counters;
  r = e2e::http(d.http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(r.find("rampart_reputation_pending_events 0"), std::string::npos) << r;
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);
}

// Access control (issue 11's contract): with tokens configured every /v1/
// endpoint needs a token holding its right (401 without or with an unknown
// one, 403 without the right, and nothing changes); /healthz and /metrics
// stay open. With none configured, writes answer 403 and scan and read work.
TEST_F(RampartdHttp, AccessControl) {
  const std::string desk = "desk-token", writer = "writer-token", flood = "flood-token";
  std::ofstream(config, std::ios::trunc)
      << "[[http.tokens]]\nname = \"desk\"\nsha256 = \"" << server::token_sha256_hex(desk)
      << "\"\nrights = [\"scan\", \"read\"]\n[[http.tokens]]\nname = \"writer\"\nsha256 = \""
      << server::token_sha256_hex(writer) << "\"\nrights = [\"learn\", \"events\", \"reports\"]\n"
      << "[[http.tokens]]\nname = \"flood\"\nsha256 = \"" << server::token_sha256_hex(flood)
      << "\"\nrights = [\"scan\"]\nrate = 0.01\nburst = 3\n"
      << "[reputation]\nsync = false\n[classify]\nmodel = \"" << model << "\"\n";
  Daemon d;
  ASSERT_TRUE(d.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  auto bearer = [](const std::string& t) { return "Authorization: Bearer " + t + "\r\n"; };
  auto get = [&](const std::string& target, const std::string& auth) {
    return e2e::http(d.http_port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
  };
  const std::string scan_headers = "X-Client-IP: 192.0.2.1\r\nX-Mail-From: alice@good.test\r\n";
  const std::string msg = message("Hello Bob.\r\n");
  const std::string now = std::to_string(std::time(nullptr));
  const std::string event = "{\"time\": " + now + ", \"type\": \"bot\", \"ip\": \"198.51.100.9\"}\n";
  const std::string rep = "/v1/reputation/ip:198.51.100.9?counters=1";

  EXPECT_EQ(status_of(get("/healthz", "")), 200);
  EXPECT_EQ(status_of(get("/metrics", "")), 200);
  // scan
  std::string r = post(d.http_port, "/v1/scan", msg, scan_headers, "");
  EXPECT_EQ(status_of(r), 401) << r;
  EXPECT_NE(r.find("WWW-Authenticate: Bearer"), std::string::npos) << r;
  EXPECT_EQ(status_of(post(d.http_port, "/v1/scan", msg, scan_headers, bearer("nope"))), 401);
  EXPECT_EQ(status_of(post(d.http_port, "/v1/scan", msg, scan_headers, bearer(writer))), 403);
  EXPECT_EQ(status_of(post(d.http_port, "/v1/scan", msg, scan_headers, bearer(desk))), 200);
  // read
  EXPECT_EQ(status_of(get(rep, "")), 401);
  EXPECT_EQ(status_of(get(rep, bearer(writer))), 403);
  EXPECT_EQ(status_of(get("/v1/reports/rejected", "")), 401);
  EXPECT_EQ(status_of(get("/v1/reports/rejected", bearer(desk))), 200);
  // writes without the right change nothing
  for (const std::string& auth : {std::string(), bearer("nope"), bearer(desk)}) {
    const int want = auth == bearer(desk) ? 403 : 401;
    EXPECT_EQ(status_of(post(d.http_port, "/v1/events", event, "", auth)), want) << auth;
    EXPECT_EQ(status_of(post(d.http_port, "/v1/learn", msg, "X-Label: spam\r\nX-Client-IP: 198.51.100.9\r\n",
                             auth)),
              want);
    EXPECT_EQ(status_of(post(d.http_port, "/v1/reports", reputation::testing::arf_report(msg), "", auth)),
              want);
  }
  r = get(rep, bearer(desk));
  ASSERT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r).find("BOT_DETECTED"), std::string::npos) << r;
  r = get("/metrics", "");
  EXPECT_NE(r.find("rampart_classify_learned_total 0"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_reports_accepted_total 0"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_http_unauthorized_total 10\n"), std::string::npos) << r;
  EXPECT_NE(r.find("rampart_http_forbidden_total 5\n"), std::string::npos) << r;
  // ... and with it they do.
  EXPECT_EQ(status_of(post(d.http_port, "/v1/events", event, "", bearer(writer))), 200);
  r = get(rep, bearer(desk));
  EXPECT_NE(body_of(r).find("BOT_DETECTED"), std::string::npos) << r;
  EXPECT_EQ(status_of(post(d.http_port, "/v1/learn", msg, "X-Label: ham\r\n", bearer(writer))), 200);
  // A token over its rate (one per 100 s, 3 at once): 429 with Retry-After,
  // its scans not run; the other tokens go on.
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(status_of(post(d.http_port, "/v1/scan", msg, scan_headers, bearer(flood))), 200) << k;
  for (int k = 0; k < 2; ++k) {
    r = post(d.http_port, "/v1/scan", msg, scan_headers, bearer(flood));
    EXPECT_EQ(status_of(r), 429) << r;
    EXPECT_NE(r.find("Retry-After: "), std::string::npos) << r;
  }
  EXPECT_EQ(status_of(post(d.http_port, "/v1/scan", msg, scan_headers, bearer(desk))), 200);
  r = get("/metrics", "");
  EXPECT_NE(r.find("rampart_http_rate_limited_total 2\n"), std::string::npos) << r;
  d.child.signal(SIGTERM);
  EXPECT_EQ(d.child.wait(std::chrono::seconds(30)), 0);

  // No token configured: writes are off, scan and read as before.
  std::ofstream(config, std::ios::trunc) << "[reputation]\nsync = false\n";
  const std::string event2 = "{\"time\": " + now + ", \"type\": \"bot\", \"ip\": \"198.51.100.10\"}\n";
  Daemon open;
  ASSERT_TRUE(open.start(tmp, config)) << e2e::slurp(tmp + "/rampartd.log");
  for (const std::string& auth : {std::string(), bearer(writer)}) {
    EXPECT_EQ(status_of(post(open.http_port, "/v1/events", event2, "", auth)), 403);
    EXPECT_EQ(status_of(post(open.http_port, "/v1/learn", msg, "X-Label: spam\r\n", auth)), 403);
    EXPECT_EQ(status_of(post(open.http_port, "/v1/reports", reputation::testing::arf_report(msg), "", auth)),
              403);
  }
  EXPECT_EQ(status_of(post(open.http_port, "/v1/scan", msg, scan_headers, "")), 200);
  r = e2e::http(open.http_port, "GET /v1/reputation/ip:198.51.100.10 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r).find("BOT_DETECTED"), std::string::npos) << r;
  open.child.signal(SIGTERM);
  EXPECT_EQ(open.child.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace rampart

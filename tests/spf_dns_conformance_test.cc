// The openspf conformance suites and the Sender ID cases through the
// production path: the `rampart spf` / `rampart senderid` binary with
// --nameserver, i.e. UnboundResolver (libunbound as a forwarder) asking a real
// authoritative DNS server on 127.0.0.1 (tests/support/dns_test_server, a
// kernel-chosen port) that serves each scenario's zone data exactly: empty
// and multi-string TXT, SPF (type 99) records, names with any visible
// character (':', '/', '%', spaces), owner names in the zone's spelling, and
// TIMEOUT entries as (name, type) pairs the server never answers.
//
// Why not NSD: one scenario's names recur with other data in the next
// scenario (one server per scenario), and NSD cannot leave a name
// unanswered, which the TIMEOUT entries need. The test server is the
// project's own, already used by the DNS integration tests.
//
// Counts are asserted (203/203, 191/191, every Sender ID case); scenarios
// run in parallel, a short --dns-timeout only where the scenario has TIMEOUT
// entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dns/zone_file.h"
#include "support/dns_test_server.h"
#include "support/spawn.h"
#include "support/spf_suite.h"

namespace rampart {
namespace {

using testing::json_field;
using testing::spawn;

std::string suite_dir() {
  const char* d = std::getenv("SPF_SUITE_DIR");
  return d ? d : "build/testdata/spf";
}

std::string rampart_bin() {
  const char* b = std::getenv("RAMPART_BIN");
  return b ? b : "build/apps/rampart/rampart";
}

// Normal queries are answered in well under a millisecond on loopback; the
// short timeout only bounds the TIMEOUT entries.
constexpr int kTimeoutMs = 5000;
constexpr int kShortTimeoutMs = 1000;
constexpr unsigned kWorkers = 6;

// Runs fn(i) for i in [0, n) on kWorkers threads.
template <typename Fn>
void parallel_for(size_t n, Fn fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < std::min<size_t>(kWorkers, n); ++w)
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < n;) fn(i);
    });
  for (auto& t : workers) t.join();
}

struct SuiteCount {
  int total = 0;
  int passed = 0;
};

SuiteCount run_suite_over_dns(const std::string& file) {
  SuiteCount count;
  auto suite = testing::load_spf_suite(file);
  if (!suite) {
    ADD_FAILURE() << suite.error().message;
    return count;
  }
  std::vector<std::unique_ptr<dns::DnsTestServer>> servers;
  struct Job {
    const testing::SpfCase* tc;
    size_t scenario;
  };
  std::vector<Job> jobs;
  for (size_t s = 0; s < suite->size(); ++s) {
    auto server = dns::DnsTestServer::start((*suite)[s].zone);
    if (!server) {
      ADD_FAILURE() << server.error().message;
      return count;
    }
    (*server)->set_unanswered((*suite)[s].timeouts);
    servers.push_back(std::move(*server));
    for (const auto& tc : (*suite)[s].cases) jobs.push_back({&tc, s});
  }
  std::mutex mu;
  std::atomic<int> passed{0};
  parallel_for(jobs.size(), [&](size_t i) {
    const Job& job = jobs[i];
    const testing::SpfCase& tc = *job.tc;
    const bool slow = !(*suite)[job.scenario].timeouts.empty();
    std::vector<std::string> args = {
        rampart_bin(),
        "spf",
        "--ip=" + tc.host,
        "--helo=" + tc.helo,
        "--mail-from=" + tc.mailfrom,
        "--default-explanation=DEFAULT",
        "--nameserver=127.0.0.1:" + std::to_string(servers[job.scenario]->port()),
        "--dns-timeout=" + std::to_string(slow ? kShortTimeoutMs : kTimeoutMs),
        "--json"};
    if (!tc.receiver.empty()) args.push_back("--receiver=" + tc.receiver);
    auto r = spawn(args);
    std::string why;
    if (r.status != 0) {
      why = "exit status " + std::to_string(r.status) + ": " + r.out;
    } else if (testing::spf_case_passes(tc, json_field(r.out, "result"), json_field(r.out, "explanation"),
                                        &why)) {
      ++passed;
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    ADD_FAILURE() << file << " " << tc.id << " (spec " << tc.spec << "): " << why
                  << "; reason: " << json_field(r.out, "reason");
  });
  count.total = static_cast<int>(jobs.size());
  count.passed = passed;
  size_t queries = 0;
  for (const auto& s : servers) queries += s->udp_queries() + s->tcp_queries();
  std::printf("%s over DNS: %d/%d passed (%zu queries to the test server)\n", file.c_str(), count.passed,
              count.total, queries);
  EXPECT_GT(queries, jobs.size());  // every case went to the server
  return count;
}

TEST(SpfConformanceOverDns, Rfc7208SuiteAll203Pass) {
  auto c = run_suite_over_dns(suite_dir() + "/rfc7208-tests.yml");
  EXPECT_EQ(c.total, 203);
  EXPECT_EQ(c.passed, c.total);
}

TEST(SpfConformanceOverDns, Rfc4408SuiteAll191Pass) {
  auto c = run_suite_over_dns(suite_dir() + "/rfc4408-tests.yml");
  EXPECT_EQ(c.total, 191);
  EXPECT_EQ(c.passed, c.total);
}

// Sender ID (RFC 4406 / 4407): the PRA from the headers, spf2.0 scopes and
// their precedence over v=spf1, the mfrom scope, and DNS failures, each
// through `rampart senderid --nameserver`.
constexpr const char* kSenderIdZone = R"($ORIGIN example.com.
@          TXT "spf2.0/pra ip4:192.0.2.0/24 -all"
           TXT "v=spf1 -all"
list       TXT "spf2.0/mfrom ip4:198.51.100.0/24 -all"
spf1only   TXT "v=spf1 ip4:203.0.113.7 -all"
both       TXT "spf2.0/mfrom,pra " "ip4:198.51.100.0/24 -all"
           TXT ""
two        TXT "spf2.0/pra -all"
           TXT "spf2.0/pra,mfrom +all"
slow       TXT "spf2.0/pra +all"
)";

struct SenderIdCase {
  const char* name;
  const char* headers;
  const char* ip;
  const char* scope;
  const char* mail_from;
  const char* result;
  const char* pra;  // JSON text: "null" or the quoted address
};

const SenderIdCase kSenderIdCases[] = {
    {"pra-from-pass", "From: Alice <alice@Example.COM>\r\nTo: b@x\r\n", "192.0.2.10", "pra", "", "pass",
     "alice@example.com"},
    {"pra-sender-wins", "Sender: s@example.com\r\nFrom: a@elsewhere.example.com\r\n", "192.0.2.200", "pra",
     "", "pass", "s@example.com"},
    {"pra-sender-fail", "Sender: s@example.com\r\nFrom: a@elsewhere.example.com\r\n", "10.1.2.3", "pra", "",
     "fail", "s@example.com"},
    {"pra-resent-sender", "From: a@spf1only.example.com\r\nResent-Sender: r@example.com\r\n", "192.0.2.1",
     "pra", "", "pass", "r@example.com"},
    {"pra-spf1-fallback", "From: x@spf1only.example.com\r\n", "203.0.113.7", "pra", "", "pass",
     "x@spf1only.example.com"},
    {"pra-spf1-fallback-fail", "From: x@spf1only.example.com\r\n", "203.0.113.8", "pra", "", "fail",
     "x@spf1only.example.com"},
    {"pra-two-from", "From: a@example.com, b@example.com\r\n", "192.0.2.10", "pra", "", "permerror", ""},
    {"pra-multi-string-beside-empty", "From: x@both.example.com\r\n", "198.51.100.4", "pra", "", "pass",
     "x@both.example.com"},
    {"pra-two-records", "From: x@two.example.com\r\n", "192.0.2.10", "pra", "", "permerror",
     "x@two.example.com"},
    {"pra-no-domain", "From: x@nowhere.example.com\r\n", "192.0.2.10", "pra", "", "none",
     "x@nowhere.example.com"},
    {"pra-timeout", "From: x@slow.example.com\r\n", "192.0.2.10", "pra", "", "temperror",
     "x@slow.example.com"},
    {"mfrom-pass", "From: alice@example.com\r\n", "198.51.100.9", "mfrom", "bounce@list.example.com", "pass",
     ""},
    {"mfrom-fail", "From: alice@example.com\r\n", "192.0.2.10", "mfrom", "bounce@list.example.com", "fail",
     ""},
    {"mfrom-ignores-pra-only", "From: alice@example.com\r\n", "192.0.2.10", "mfrom", "x@example.com", "fail",
     ""},
};

TEST(SenderIdOverDns, EveryCasePasses) {
  dns::ZoneOptions zopt;
  auto zone = dns::parse_zone(kSenderIdZone, zopt);
  ASSERT_TRUE(zone) << zone.error().message;
  auto server = dns::DnsTestServer::start(std::move(*zone));
  ASSERT_TRUE(server) << server.error().message;
  (*server)->set_unanswered({{"slow.example.com", dns::RRType::TXT}, {"slow.example.com", dns::RRType::SPF}});
  const auto dir = std::filesystem::temp_directory_path() / ("rampart-sid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const size_t n = std::size(kSenderIdCases);
  std::atomic<int> passed{0};
  std::mutex mu;
  parallel_for(n, [&](size_t i) {
    const SenderIdCase& c = kSenderIdCases[i];
    const std::string msg = (dir / c.name).string();
    std::ofstream(msg, std::ios::binary) << c.headers << "Subject: t\r\n\r\nbody\r\n";
    std::vector<std::string> args = {rampart_bin(),
                                     "senderid",
                                     "--ip=" + std::string(c.ip),
                                     "--scope=" + std::string(c.scope),
                                     "--message=" + msg,
                                     "--helo=mx.list.example.com",
                                     "--nameserver=127.0.0.1:" + std::to_string((*server)->port()),
                                     "--dns-timeout=" + std::to_string(kShortTimeoutMs),
                                     "--json"};
    if (*c.mail_from) args.push_back("--mail-from=" + std::string(c.mail_from));
    auto r = spawn(args);
    const std::string result = json_field(r.out, "result");
    const std::string pra = json_field(r.out, "pra");
    const std::string want_pra = *c.pra ? c.pra : (std::string(c.scope) == "pra" ? "null" : "");
    if (r.status == 0 && result == c.result && (std::string(c.scope) != "pra" || pra == want_pra)) {
      ++passed;
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    ADD_FAILURE() << c.name << ": result " << result << " want " << c.result << ", pra " << pra << " want "
                  << want_pra << "; output: " << r.out;
  });
  std::filesystem::remove_all(dir);
  std::printf("Sender ID over DNS: %d/%zu passed\n", passed.load(), n);
  EXPECT_EQ(passed.load(), static_cast<int>(n));
  EXPECT_GE((*server)->udp_queries() + (*server)->tcp_queries(), n - 1);  // one case needs no DNS
}

}  // namespace
}  // namespace rampart

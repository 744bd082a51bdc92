// The openspf conformance suites (RFC 7208 and RFC 4408 editions), run the
// way their reference driver (pyspf's testspf.py) runs them: every scenario's
// zonedata is served through dns::ZoneResolver, the default explanation is
// "DEFAULT", and a test passes when the result is one of the listed results
// and, where the test names one, the explanation matches exactly. No test is
// excluded: the counts are asserted. spf_dns_conformance_test runs the same
// suites through `rampart spf --nameserver` against a real DNS server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "auth/spf/spf.h"
#include "dns/zone_resolver.h"
#include "support/spf_suite.h"

namespace rampart {
namespace {

std::string suite_dir() {
  const char* d = std::getenv("SPF_SUITE_DIR");
  return d ? d : "build/testdata/spf";
}

struct SuiteCount {
  int total = 0;
  int passed = 0;
};

SuiteCount run_suite(const std::string& file) {
  SuiteCount count;
  auto suite = testing::load_spf_suite(file);
  if (!suite) {
    ADD_FAILURE() << suite.error().message;
    return count;
  }
  for (const auto& sc : *suite) {
    for (const auto& tc : sc.cases) {
      ++count.total;
      dns::ZoneResolver zone(sc.zone);
      for (const auto& [name, type] : sc.timeouts) zone.set_failure(name, type, dns::Status::kTimeout);
      spf::Options opt;
      opt.default_explanation = "DEFAULT";
      spf::Evaluator ev(zone, opt);
      spf::Request req;
      auto ip = IpAddress::parse(tc.host);
      if (!ip) {
        ADD_FAILURE() << tc.id << ": bad host in suite";
        continue;
      }
      req.ip = *ip;
      req.helo = tc.helo;
      req.mail_from = tc.mailfrom;
      if (!tc.receiver.empty()) req.receiver = tc.receiver;
      spf::Outcome out = ev.check_sync(req);
      std::string why;
      if (testing::spf_case_passes(tc, std::string(spf::verdict_name(out.result)), out.explanation, &why)) {
        ++count.passed;
      } else {
        ADD_FAILURE() << file << " " << tc.id << " (spec " << tc.spec << "): " << why
                      << "; reason: " << out.reason;
      }
    }
  }
  std::printf("%s: %d/%d passed\n", file.c_str(), count.passed, count.total);
  return count;
}

TEST(SpfConformance, Rfc7208SuiteAll203Pass) {
  auto c = run_suite(suite_dir() + "/rfc7208-tests.yml");
  EXPECT_EQ(c.total, 203);
  EXPECT_EQ(c.passed, c.total);
}

TEST(SpfConformance, Rfc4408SuiteAll191Pass) {
  auto c = run_suite(suite_dir() + "/rfc4408-tests.yml");
  EXPECT_EQ(c.total, 191);
  EXPECT_EQ(c.passed, c.total);
}

}  // namespace
}  // namespace rampart

// The metrics registry and its Prometheus text: exact output for each metric
// type, escaping, shape checks, concurrency, and the exposition checked by
// Prometheus's own linter (promtool, Debian package prometheus).
#include "core/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rampart {
namespace {

TEST(Metrics, CounterGaugeAndFamilyText) {
  Metrics m;
  m.counter("rampart_b_total", "B things.").inc(3);
  auto& v = m.counter_family("rampart_a_total", "Verdicts.", {"action"});
  v.with({"reject"}).inc();
  v.with({"accept"}).inc(2);
  m.gauge("rampart_open", "Open.").add(-4);
  EXPECT_EQ(m.render(),
            "# HELP rampart_a_total Verdicts.\n# TYPE rampart_a_total counter\n"
            "rampart_a_total{action=\"accept\"} 2\nrampart_a_total{action=\"reject\"} 1\n"
            "# HELP rampart_b_total B things.\n# TYPE rampart_b_total counter\nrampart_b_total 3\n"
            "# HELP rampart_open Open.\n# TYPE rampart_open gauge\nrampart_open -4\n");
}

TEST(Metrics, HistogramIsCumulativeWithInf) {
  Metrics m;
  auto& h = m.histogram("rampart_scan_seconds", "Scan time.", {0.1, 0.01, 1});
  h.observe(0.005);
  h.observe(0.01);  // le is inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(m.render(),
            "# HELP rampart_scan_seconds Scan time.\n# TYPE rampart_scan_seconds histogram\n"
            "rampart_scan_seconds_bucket{le=\"0.01\"} 2\n"
            "rampart_scan_seconds_bucket{le=\"0.10000000000000001\"} 2\n"
            "rampart_scan_seconds_bucket{le=\"1\"} 3\n"
            "rampart_scan_seconds_bucket{le=\"+Inf\"} 4\n"
            "rampart_scan_seconds_sum 7.5149999999999997\n"
            "rampart_scan_seconds_count 4\n");
}

TEST(Metrics, EscapingOfLabelValuesAndHelp) {
  Metrics m;
  m.counter_family("x_total", "a \\ b\nc", {"v"}).with({"q\"u\\o\nte"}).inc();
  EXPECT_EQ(m.render(),
            "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{v=\"q\\\"u\\\\o\\nte\"} 1\n");
}

TEST(Metrics, ShapesAreChecked) {
  Metrics m;
  EXPECT_THROW(m.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(m.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(m.counter_family("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(m.counter_family("ok2_total", "x", {"le"}), std::invalid_argument);
  Counter& a = m.counter("same_total", "x");
  EXPECT_EQ(&a, &m.counter("same_total", "x"));  // same shape: the same metric
  EXPECT_THROW(m.gauge("same_total", "x"), std::invalid_argument);
  EXPECT_THROW(m.counter("same_total", "other help"), std::invalid_argument);
  auto& f = m.counter_family("fam_total", "x", {"a", "b"});
  EXPECT_THROW(f.with({"only-one"}), std::invalid_argument);
}

TEST(Metrics, CollectorsWriteValuesOwnedElsewhere) {
  Metrics m;
  uint64_t runs = 7;
  m.collect("checks", [&](MetricsWriter& w) {
    w.family("rampart_check_runs_total", "Check runs.", MetricType::kCounter);
    w.sample({{"check", "spf"}}, runs);
    w.sample({{"check", "dkim"}}, uint64_t{1});
  });
  EXPECT_NE(m.render().find("rampart_check_runs_total{check=\"spf\"} 7\n"), std::string::npos);
  runs = 9;
  EXPECT_NE(m.render().find("rampart_check_runs_total{check=\"spf\"} 9\n"), std::string::npos);
  m.collect("checks", [](MetricsWriter& w) { w.family("rampart_other", "x", MetricType::kGauge); });
  EXPECT_EQ(m.render().find("rampart_check_runs_total"), std::string::npos);  // replaced
  m.remove_collector("checks");
  EXPECT_EQ(m.render(), "");
}

TEST(Metrics, CountsFromManyThreadsAddUp) {
  Metrics m;
  Counter& c = m.counter("c_total", "x");
  auto& fam = m.counter_family("f_total", "x", {"t"});
  Histogram& h = m.histogram("h_seconds", "x", {1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 100000; ++i) {
        c.inc();
        fam.with({std::to_string(t % 2)}).inc();
        h.observe(0.5);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 400000u);
  EXPECT_EQ(fam.with({"0"}).value() + fam.with({"1"}).value(), 400000u);
  EXPECT_EQ(h.count(), 400000u);
  EXPECT_EQ(h.bucket(0), 400000u);
  EXPECT_DOUBLE_EQ(h.sum(), 200000.0);
}

// A histogram's counts live in per-thread shards: more threads than shards
// (several share one), each value in its own bucket, still add up exactly.
TEST(Metrics, HistogramShardsAddUpOverMoreThreadsThanShards) {
  Histogram h({0.001, 0.01, 0.1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 12; ++t)
    ts.emplace_back([&, t] {
      const double v = t % 4 == 0 ? 0.0005 : t % 4 == 1 ? 0.005 : t % 4 == 2 ? 0.05 : 5.0;
      for (int i = 0; i < 20000; ++i) h.observe(v);
      h.observe(v, 3);
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(h.count(), 12u * 20003u);
  for (size_t b = 0; b < 4; ++b) EXPECT_EQ(h.bucket(b), 3u * 20003u) << b;
  EXPECT_NEAR(h.sum(), 3 * 20003 * (0.0005 + 0.005 + 0.05 + 5.0), 1e-6);
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  ASSERT_EQ(std::system("promtool --version >/dev/null 2>&1"), 0)
      << "promtool missing: scripts/install-deps.sh installs Debian's prometheus";
  Metrics m;
  m.counter("rampart_messages_total", "Messages seen.").inc(5);
  m.counter_family("rampart_verdicts_total", "Verdicts by action.", {"action"}).with({"reject"}).inc();
  m.gauge("rampart_connections", "Open connections.").set(3);
  m.histogram_family("rampart_stage_seconds", "Time per stage.", {"stage"}, {0.001, 0.01, 0.1})
      .with({"eom"})
      .observe(0.02);
  m.collect("x", [](MetricsWriter& w) {
    w.family("rampart_check_runs_total", "Check runs.", MetricType::kCounter);
    w.sample({{"check", "dkim \"quoted\""}}, uint64_t{4});
  });
  const auto path =
      std::filesystem::temp_directory_path() / ("rampart_metrics_" + std::to_string(::getpid()));
  std::ofstream(path) << m.render();
  const std::string cmd = "promtool check metrics < " + path.string() + " > " + path.string() + ".out 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream out(path.string() + ".out");
  std::stringstream ss;
  ss << out.rdbuf();
  const std::string report = ss.str();
  EXPECT_EQ(rc, 0) << report;
  EXPECT_EQ(report, "") << "promtool's lint findings";
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".out");
}

}  // namespace
}  // namespace rampart

#include "flows/simulate.h"

#include <gtest/gtest.h>

#include <string>

namespace rampart::flows {
namespace {

TEST(Simulation, IsDeterministicAndOrdered) {
  SimConfig c;
  c.duration_s = 1800;
  c.users = 20;
  auto a = simulate(c), b = simulate(c);
  ASSERT_EQ(a.flows.size(), b.flows.size());
  ASSERT_GT(a.flows.size(), 1000u);
  for (size_t i = 1; i < a.flows.size(); ++i) ASSERT_LE(a.flows[i - 1].start_ms, a.flows[i].start_ms);
  EXPECT_EQ(a.flows.back().start_ms, b.flows.back().start_ms);
}

// The evaluation goal of the issue: F1 >= 0.95 per host per window, and no
// legitimate mail server blocked. Two seeds, so a lucky draw cannot pass it.
TEST(Simulation, DetectorMeetsTheGoal) {
  for (uint64_t seed : {11u, 12u}) {
    SimConfig c;
    c.seed = seed;
    c.duration_s = 4 * 3600;
    c.users = 150;
    auto sim = simulate(c);
    auto rep = evaluate(sim.flows, sim.truth(), sim.detector_config, 300);
    SCOPED_TRACE(rep.table());
    EXPECT_GE(rep.f1(), 0.95);
    EXPECT_EQ(rep.mail_servers_blocked, 0u);
    EXPECT_EQ(rep.bots_detected, rep.bots);
  }
}

// The styles of issue 13, 120 s windows as the blind scorer counts them, on
// seeds outside the fit's (101-104): "tuned" (12 h, Poisson users, NATs of
// 20-400), "isp" (36 h, people, CGNAT/business NATs, relay bursts hours
// apart; in the fit on other seeds) and "campus" (24 h, office hours; never in
// the fit). Confirmed incidents hold the host (8 h after bursts, 3 h after
// slow evidence): the windows after a cleaned infection (a quarter are
// cleaned, 2-8 h after on "tuned") stay flagged, which is what costs "tuned"
// its precision. The legitimate hosts flagged are unlisted send-only MTAs in
// business space (known limit).
TEST(Simulation, PopulationsOfIssue13) {
  struct Goal {
    const char* name;
    double min_f1;
  };
  for (const Goal& g : {Goal{"tuned", 0.8}, Goal{"isp", 0.9}, Goal{"campus", 0.95}}) {
    for (uint64_t seed : {11u, 12u}) {
      auto sim = simulate(*population(g.name, seed));
      auto rep = evaluate(sim.flows, sim.truth(), sim.detector_config, 120);
      SCOPED_TRACE(std::string(g.name) + " seed " + std::to_string(seed) + "\n" + rep.table());
      EXPECT_GE(rep.f1(), g.min_f1);
      const auto& ls = rep.hosts_by_role["bot_lowslow"];
      ASSERT_GT(ls[0], 0u);
      EXPECT_GE(static_cast<double>(ls[2]) / static_cast<double>(ls[0]), 0.85);  // found within 4 h
      // Relay abuse: all but at most one host found (on "tuned" a bot whose
      // bursts are short and sparse can look like a person's batches).
      EXPECT_GE(rep.hosts_by_role["bot_relay_abuse"][1] + 1, rep.hosts_by_role["bot_relay_abuse"][0]);
      EXPECT_EQ(rep.by_role["nat"][1], 0u);  // no NAT gateway window flagged
      EXPECT_EQ(rep.mail_servers_blocked, 0u);
      EXPECT_LE(rep.legit_flagged, 2u);  // known weak point: see README "Known limits"
    }
  }
}

}  // namespace
}  // namespace rampart::flows

// File: bench/reputation_sim.cc
// Reputation simulator: a sender population over simulated weeks, replayed
// through reputation::Engine on a MemoryStore, then scored against the truth.
//
//   reputation_sim [--weeks 4] [--seed 1] [--config rampart.toml] [--events-out FILE]
//
// Population (all figures per simulated day unless said):
//   newsletters   ESPs on shared IPs; lists of 8k..250k, sent daily to weekly
//                 at 08:00-10:00; complaints 0.01%-0.15% (one borderline),
//                 unknown-user bounces 0.5-2%, SPF+DKIM+DMARC, one-click, FCrDNS
//   transactional own IPs, 100..3,000 a day through the day, complaints ~0.005%
//   personal      small servers, 10..60 a day
//   snowshoe      3 operations x 40 IPs over 5 /24s, authenticated throw-away
//                 domains rotated every 2-3 days, 20k..40k a day, complaints
//                 0.5-1.5%, trap hits 1 per 3,000 recipients, bounces 10%
//   hijacked      3 good domains (a transactional, a newsletter, a personal)
//                 whose accounts are taken over mid-run: DKIM-signed spam
//                 from their own IPs, 20k a day, complaints 1%
//   bots          200 residential IPs (dynamic /24 pools), infected for 1-5
//                 days, 300..2,000 a day, forged From (DMARC fail), no FCrDNS
// Complaints arrive after an exponential delay (mean 6 h); the content
// filter flags 60% of spam and 0.5% of legitimate mail.
// --no-verdicts leaves the content filter's verdicts out of the events, to
// see what reputation evidence alone (complaints, traps, bounces, FCrDNS)
// achieves.
// Output: per class precision and recall over the printed sender identities
// (domain:* and ip:*), hours from first bad mail to the bad class per bad
// sender, and legitimate identities ever classed bad (false alarms).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "core/clock.h"
#include "reputation/engine.h"
#include "reputation/event_json.h"

using namespace rampart;
using namespace rampart::reputation;

namespace {

constexpr int64_t kStart = 1700006400;  // a Wednesday, 00:00 UTC
constexpr int64_t kHour = 3600, kDay = 86400;

struct Truth {
  SenderClass cls = SenderClass::kUnknown;
  int64_t bad_from = 0;  // when the bad behaviour started (first spam / hijack)
  std::string kind;      // population group, for the hours table
};

struct Sim {
  std::mt19937_64 rng;
  std::map<std::string, Truth> truth;
  struct Pending {
    int64_t t;
    Event e;
    bool operator>(const Pending& o) const { return t > o.t; }
  };
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> later;
  std::vector<Event> now_events;

  bool verdicts = true;
  explicit Sim(uint64_t seed) : rng(seed) {}

  double uni() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  int64_t uniform(int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(rng); }
  uint32_t binom(uint32_t n, double p) {
    if (n == 0 || p <= 0) return 0;
    return std::binomial_distribution<uint32_t>(n, p)(rng);
  }
  void label(const std::string& id, SenderClass c, const std::string& kind, int64_t bad_from = 0) {
    auto it = truth.find(id);
    if (it == truth.end()) {
      truth[id] = Truth{c, bad_from, kind};
      return;
    }
    // A later, worse label wins (a hijacked identity becomes compromised).
    if (is_bad(c) && !is_bad(it->second.cls)) it->second = Truth{c, bad_from, kind};
  }

  struct Mail {
    std::string ip, mail_from, from, dkim;
    bool auth = true, one_click = false, fcrdns = true, spam = false;
    double complaint = 0, trap = 0, bounce = 0;
  };
  // One SMTP transaction of `rcpts` recipients at t, with its consequences.
  void send(const Mail& m, int64_t t, uint32_t rcpts) {
    Event e;
    e.time = t;
    e.type = EventType::kMessage;
    e.ip = *IpAddress::parse(m.ip);
    e.mail_from = m.mail_from;
    e.from = m.from;
    e.recipients = rcpts;
    e.fcrdns = m.fcrdns;
    e.list_unsubscribe_one_click = m.one_click;
    if (m.auth) {
      e.spf = e.dkim = e.dmarc = AuthResult::kPass;
      e.dkim_domains = {m.dkim};
    } else {
      e.spf = AuthResult::kSoftFail;
      e.dkim = AuthResult::kNone;
      e.dmarc = AuthResult::kFail;
    }
    const bool flagged = uni() < (m.spam ? 0.6 : 0.005);
    e.verdict = !verdicts ? Verdict::kNone : (flagged ? Verdict::kSpam : Verdict::kHam);
    now_events.push_back(e);
    Event f = e;
    f.recipients = 1;
    f.verdict = Verdict::kNone;
    const uint32_t c = binom(rcpts, m.complaint);
    for (uint32_t i = 0; i < c; ++i) {
      f.type = EventType::kComplaint;
      const auto delay = static_cast<int64_t>(std::exponential_distribution<double>(1.0 / (6 * kHour))(rng));
      later.push(Pending{t + 60 + delay, f});
    }
    for (uint32_t i = 0, n = binom(rcpts, m.trap); i < n; ++i) {
      f.type = EventType::kTrap;
      later.push(Pending{t + 1, f});
    }
    for (uint32_t i = 0, n = binom(rcpts, m.bounce); i < n; ++i) {
      f.type = EventType::kBounce;
      later.push(Pending{t + 30, f});
    }
  }
  // `total` recipients spread over [from, from+span) in transactions of `per`.
  void spread(const Mail& m, int64_t from, int64_t span, uint32_t total, uint32_t per) {
    while (total > 0) {
      const uint32_t n = std::min(total, per);
      send(m, from + uniform(0, span - 1), n);
      total -= n;
    }
  }
};

std::string ip4(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
}

struct Newsletter {
  std::string domain;
  std::vector<std::string> ips;
  uint32_t list;
  int every_days;
  double complaint, bounce;
  int64_t hijack_at = 0;
  bool spammy = false;  // an ESP's bad customer: spam content, bad from the start
};
struct Steady {
  std::string domain;
  std::string ip;
  uint32_t per_day;
  std::string kind;
  int64_t hijack_at = 0;
};
struct Snowshoe {
  std::vector<std::string> ips;
  int op;
  uint32_t per_day;
  double complaint;
  int64_t start;
};
struct Bot {
  std::string ip;
  int64_t from, until;
  uint32_t per_day;
};

}  // namespace

int main(int argc, char** argv) {
  int weeks = 4;
  uint64_t seed = 1;
  std::string config_path, events_out;
  bool no_verdicts = false;  // leave the content filter out: reputation evidence alone
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--weeks")
      weeks = std::atoi(next().c_str());
    else if (a == "--seed")
      seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--config")
      config_path = next();
    else if (a == "--events-out")
      events_out = next();
    else if (a == "--no-verdicts")
      no_verdicts = true;
    else {
      std::fprintf(stderr,
                   "usage: reputation_sim [--weeks N] [--seed N] [--config FILE] [--events-out FILE] "
                   "[--no-verdicts]\n");
      return 2;
    }
  }
  if (weeks < 1 || weeks > 26) {
    std::fprintf(stderr, "reputation_sim: --weeks must be 1..26\n");
    return 2;
  }
  Thresholds th;
  if (!config_path.empty()) {
    auto cfg = Config::load_file(config_path);
    if (!cfg) {
      std::fprintf(stderr, "reputation_sim: %s\n", cfg.error().message.c_str());
      return 2;
    }
    auto t = Thresholds::from_config(*cfg);
    if (!t) {
      std::fprintf(stderr, "reputation_sim: %s\n", t.error().message.c_str());
      return 2;
    }
    th = *t;
  }
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  if (!psl) return 1;
  const int64_t end = kStart + weeks * 7 * kDay;
  Sim sim(seed);
  sim.verdicts = !no_verdicts;

  // ---- population ----
  std::vector<Newsletter> news;
  const uint32_t lists[] = {250000, 120000, 60000, 30000, 30000, 15000, 12000, 8000, 8000, 6000};
  const int every[] = {1, 1, 2, 3, 7, 2, 7, 1, 7, 3};
  for (int i = 0; i < 10; ++i) {
    Newsletter n;
    n.domain = "news" + std::to_string(i) + ".example";
    const int esp = i % 3;  // three ESPs, four IPs each, shared
    for (int k = 0; k < 4; ++k) n.ips.push_back(ip4(198, 51, 100 + esp, 10 + k));
    n.list = lists[i];
    n.every_days = every[i];
    n.complaint = i == 6 ? 0.0015 : 0.0001 + 0.0007 * sim.uni();
    n.bounce = 0.005 + 0.015 * sim.uni();
    news.push_back(n);
  }
  news[4].hijack_at = kStart + (weeks * 7 * kDay) / 2 + 9 * kHour;  // a weekly newsletter taken over
  // The hard cases: a spamming customer of ESP 0 (its shared IPs carry
  // 270k good recipients a day beside its 20k), and a newsletter living
  // between the good and the bad complaint rate (0.25%).
  {
    Newsletter bad;
    bad.domain = "deals-customer.example";
    for (int k = 0; k < 4; ++k) bad.ips.push_back(ip4(198, 51, 100, 10 + k));
    bad.list = 20000;
    bad.every_days = 1;
    bad.complaint = 0.008;
    bad.bounce = 0.06;
    bad.spammy = true;
    news.push_back(bad);
    Newsletter warn;
    warn.domain = "borderline.example";
    for (int k = 0; k < 4; ++k) warn.ips.push_back(ip4(198, 51, 101, 10 + k));
    warn.list = 40000;
    warn.every_days = 1;
    warn.complaint = 0.0025;
    warn.bounce = 0.01;
    news.push_back(warn);
  }

  std::vector<Steady> steady;
  for (int i = 0; i < 12; ++i)
    steady.push_back(Steady{"shop" + std::to_string(i) + ".example", ip4(192, 0, 2, 10 + i),
                            static_cast<uint32_t>(100 + sim.uniform(0, 2900)), "transactional", 0});
  for (int i = 0; i < 20; ++i)
    steady.push_back(Steady{"home" + std::to_string(i) + ".example", ip4(192, 0, 3 + i / 10, 20 + i),
                            static_cast<uint32_t>(10 + sim.uniform(0, 50)), "personal", 0});
  steady[3].hijack_at = kStart + 10 * kDay + 14 * kHour;
  steady[15].hijack_at = kStart + 17 * kDay + 3 * kHour;
  for (auto& s : steady)
    if (s.hijack_at >= end) s.hijack_at = end - 2 * kDay;
  if (news[4].hijack_at >= end) news[4].hijack_at = end - 2 * kDay;

  std::vector<Snowshoe> shoes;
  for (int op = 0; op < 3; ++op) {
    Snowshoe s;
    s.op = op;
    for (int net = 0; net < 5; ++net)
      for (int k = 0; k < 8; ++k) s.ips.push_back(ip4(203, op * 10 + net, 113, 20 + k * 7));
    s.per_day = static_cast<uint32_t>(20000 + sim.uniform(0, 20000));
    s.complaint = 0.005 + 0.01 * sim.uni();
    s.start = kStart + (2 + op * 5) * kDay + sim.uniform(0, kDay);
    shoes.push_back(s);
  }
  std::vector<Bot> bots;
  for (int i = 0; i < 200; ++i) {
    Bot b;
    b.ip = ip4(100, 64 + i % 8, static_cast<int>(sim.uniform(0, 255)), static_cast<int>(sim.uniform(1, 254)));
    b.from = kStart + sim.uniform(0, end - kStart - 2 * kDay);
    b.until = b.from + sim.uniform(1, 5) * kDay;
    b.per_day = static_cast<uint32_t>(300 + sim.uniform(0, 1700));
    bots.push_back(b);
  }

  // ---- truth labels ----
  for (const Newsletter& n : news) {
    if (n.spammy) continue;
    sim.label("domain:" + n.domain, SenderClass::kBulk, "newsletter");
    for (const auto& ip : n.ips) sim.label("ip:" + ip, SenderClass::kBulk, "newsletter");
  }
  // The bad customer is the spammer, not the ESP's shared IPs it sends from.
  for (const Newsletter& n : news)
    if (n.spammy) sim.label("domain:" + n.domain, SenderClass::kSpammer, "esp customer", kStart);
  for (const Steady& s : steady) {
    sim.label("domain:" + s.domain, SenderClass::kTransactional, s.kind);
    sim.label("ip:" + s.ip, SenderClass::kTransactional, s.kind);
  }
  for (const Newsletter& n : news)
    if (n.hijack_at) {
      // The hijacked account sends through its ESP's first IP (shared).
      sim.label("domain:" + n.domain, SenderClass::kCompromised, "hijacked", n.hijack_at);
      sim.label("ip:" + n.ips[0], SenderClass::kCompromised, "hijacked", n.hijack_at);
    }
  for (const Steady& s : steady)
    if (s.hijack_at) {
      sim.label("domain:" + s.domain, SenderClass::kCompromised, "hijacked", s.hijack_at);
      sim.label("ip:" + s.ip, SenderClass::kCompromised, "hijacked", s.hijack_at);
    }
  for (const Bot& b : bots) sim.label("ip:" + b.ip, SenderClass::kSpammer, "bot", b.from);

  // ---- run ----
  FakeClock clock(kStart);
  MemoryStore store;
  Engine engine(store, clock, th, *psl);
  std::ofstream out;
  if (!events_out.empty()) out.open(events_out);
  std::map<std::string, int64_t> first_bad_class;  // identity -> first time classed bad
  std::map<std::string, std::string> false_alarm;  // good identity -> class it got
  uint64_t n_events = 0;
  const char* trace = std::getenv("REPSIM_TRACE");  // an identity whose class changes are printed
  const auto wall0 = std::chrono::steady_clock::now();

  for (int64_t h = kStart; h < end; h += kHour) {
    const int64_t day = (h - kStart) / kDay, hour_of_day = (h - kStart) % kDay / kHour;
    for (const Newsletter& n : news) {
      if (day % n.every_days == 0 && hour_of_day == 8 + static_cast<int64_t>(n.list % 3)) {
        Sim::Mail m{n.ips[0], "bounce@mail." + n.domain, "letters@" + n.domain, n.domain};
        m.one_click = true;
        m.spam = n.spammy;
        m.complaint = n.complaint;
        m.bounce = n.bounce;
        m.trap = 1.0 / 500000;
        for (const auto& ip : n.ips) {
          m.ip = ip;
          sim.spread(m, h, kHour, n.list / static_cast<uint32_t>(n.ips.size()), 50);
        }
      }
      if (n.hijack_at && h >= n.hijack_at) {
        Sim::Mail m{n.ips[0], "bounce@mail." + n.domain, "letters@" + n.domain, n.domain};
        m.spam = true;
        m.complaint = 0.01;
        m.trap = 1.0 / 3000;
        m.bounce = 0.1;
        sim.spread(m, h, kHour, 20000 / 24, 20);
      }
    }
    for (const Steady& s : steady) {
      // Daytime-weighted: twice the rate from 08:00 to 20:00.
      const double w = (hour_of_day >= 8 && hour_of_day < 20) ? 2.0 / 36 : 1.0 / 36;
      const double expect = s.per_day * w;
      const auto n = static_cast<uint32_t>(std::poisson_distribution<int>(expect)(sim.rng));
      Sim::Mail m{s.ip, "no-reply@" + s.domain, "service@" + s.domain, s.domain};
      m.complaint = s.kind == "personal" ? 0.0 : 0.00005;
      m.bounce = 0.003;
      sim.spread(m, h, kHour, n, s.kind == "personal" ? 2 : 1);
      if (s.hijack_at && h >= s.hijack_at) {
        Sim::Mail x = m;
        x.spam = true;
        x.complaint = 0.01;
        x.trap = 1.0 / 3000;
        x.bounce = 0.1;
        sim.spread(x, h, kHour, 20000 / 24, 10);
      }
    }
    for (Snowshoe& s : shoes) {
      if (h < s.start) continue;
      // Domains rotate every 2-3 days: domain index from the age of the run.
      const int64_t age = h - s.start;
      const int gen = static_cast<int>(age / (60 * kHour));
      for (int k = 0; k < 3; ++k) {
        const std::string dom =
            "s" + std::to_string(s.op) + "g" + std::to_string(gen) + "d" + std::to_string(k) + ".example";
        if (age % (60 * kHour) < kHour)
          sim.label("domain:" + dom, SenderClass::kSpammer, "snowshoe domain", h);
      }
      const uint32_t per_hour = s.per_day / 24;
      uint32_t left = per_hour;
      while (left > 0) {
        const uint32_t n = std::min<uint32_t>(left, static_cast<uint32_t>(10 + sim.uniform(0, 20)));
        const std::string& ip =
            s.ips[static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(s.ips.size()) - 1))];
        const std::string dom = "s" + std::to_string(s.op) + "g" + std::to_string(gen) + "d" +
                                std::to_string(sim.uniform(0, 2)) + ".example";
        sim.label("ip:" + ip, SenderClass::kSpammer, "snowshoe ip", h);
        Sim::Mail m{ip, "bounce@" + dom, "deals@" + dom, dom};
        m.spam = true;
        m.complaint = s.complaint;
        m.trap = 1.0 / 3000;
        m.bounce = 0.1;
        sim.send(m, h + sim.uniform(0, kHour - 1), n);
        left -= n;
      }
    }
    for (const Bot& b : bots) {
      if (h < b.from || h >= b.until) continue;
      Sim::Mail m{b.ip, "", "", ""};
      const int brand = static_cast<int>(sim.uniform(0, 4));
      m.from = "security@bank" + std::to_string(brand) + ".example";
      m.mail_from = m.from;
      m.auth = false;
      m.fcrdns = false;
      m.spam = true;
      m.complaint = 0.01;
      m.trap = 1.0 / 2000;
      m.bounce = 0.2;
      sim.spread(m, h, kHour, b.per_day / 24, static_cast<uint32_t>(1 + sim.uniform(0, 4)));
    }
    // Feedback due this hour joins the hour's mail; replay in time order.
    while (!sim.later.empty() && sim.later.top().t < h + kHour) {
      sim.now_events.push_back(sim.later.top().e);
      sim.now_events.back().time = sim.later.top().t;
      sim.later.pop();
    }
    std::stable_sort(sim.now_events.begin(), sim.now_events.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });
    for (const Event& e : sim.now_events) {
      clock.advance(std::chrono::seconds(std::max<int64_t>(0, e.time - clock.unix_seconds())));
      if (auto st = engine.record(e); !st) {
        std::fprintf(stderr, "reputation_sim: %s\n", st.error().message.c_str());
        return 1;
      }
      if (out) out << event_to_json(e) << "\n";
      ++n_events;
    }
    sim.now_events.clear();
    // Hourly look at every labelled identity.
    const int64_t t_end = h + kHour;
    for (const auto& [id, tr] : sim.truth) {
      auto r = engine.report(id, t_end);
      if (!r) return 1;
      if (is_bad(r->cls) && !first_bad_class.count(id)) first_bad_class[id] = r->classified_at;
      if (trace && id == trace) {
        static std::string last;
        std::string now_cls = std::string(class_name(r->cls)) + " since " + std::to_string(r->classified_at);
        if (now_cls != last) {
          std::printf("trace %s hour %lld: %s", id.c_str(), static_cast<long long>((t_end - kStart) / kHour),
                      now_cls.c_str());
          for (const Reason& re : r->reasons) std::printf(" [%s %s]", re.code.c_str(), re.text.c_str());
          std::printf("\n");
          last = now_cls;
        }
      }
      const bool bad_yet = is_bad(tr.cls) && t_end > tr.bad_from;
      if (is_bad(r->cls) && !bad_yet && !false_alarm.count(id))
        false_alarm[id] =
            std::string(class_name(r->cls)) + " at day " + std::to_string((t_end - kStart) / kDay);
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  // ---- scoring ----
  const SenderClass classes[] = {SenderClass::kBulk, SenderClass::kTransactional, SenderClass::kSpammer,
                                 SenderClass::kCompromised};
  std::map<SenderClass, int> tp, fp, fn, n_true;
  std::map<std::string, std::vector<double>> hours;
  std::map<std::string, int> never;
  for (const auto& [id, tr] : sim.truth) {
    auto r = engine.report(id, end);
    if (!r) return 1;
    n_true[tr.cls]++;
    if (r->cls == tr.cls)
      tp[tr.cls]++;
    else {
      fn[tr.cls]++;
      if (r->cls != SenderClass::kUnknown) fp[r->cls]++;
    }
    if (is_bad(tr.cls)) {
      auto it = first_bad_class.find(id);
      if (it != first_bad_class.end() && it->second >= tr.bad_from - kDay)
        hours[tr.kind].push_back(static_cast<double>(std::max<int64_t>(0, it->second - tr.bad_from)) / kHour);
      else
        never[tr.kind]++;
    }
  }
  std::printf(
      "reputation_sim: %d weeks, seed %llu%s, %llu events (%.1f s, %.0f events/s through Engine::record)\n",
      weeks, static_cast<unsigned long long>(seed), no_verdicts ? " (no content-filter verdicts)" : "",
      static_cast<unsigned long long>(n_events), wall, static_cast<double>(n_events) / wall);
  std::printf("\n| class | identities | precision | recall |\n|---|---|---|---|\n");
  for (SenderClass c : classes) {
    const double p = tp[c] + fp[c] ? 100.0 * tp[c] / (tp[c] + fp[c]) : 0;
    const double rc = n_true[c] ? 100.0 * tp[c] / n_true[c] : 0;
    std::printf("| %s | %d | %.1f%% | %.1f%% |\n", class_name(c).data(), n_true[c], p, rc);
  }
  std::printf("\n| bad sender | n | median h | p90 h | max h | never classed |\n|---|---|---|---|---|---|\n");
  for (auto& [kind, v] : hours) {
    std::sort(v.begin(), v.end());
    auto q = [&](double f) {
      return v.empty() ? 0.0
                       : v[std::min(v.size() - 1, static_cast<size_t>(f * static_cast<double>(v.size())))];
    };
    std::printf("| %s | %zu | %.1f | %.1f | %.1f | %d |\n", kind.c_str(),
                v.size() + static_cast<size_t>(never[kind]), q(0.5), q(0.9), v.empty() ? 0.0 : v.back(),
                never[kind]);
  }
  for (auto& [kind, n] : never)
    if (!hours.count(kind)) std::printf("| %s | %d | - | - | - | %d |\n", kind.c_str(), n, n);
  std::printf("\nlegitimate identities ever classed bad before any bad mail: %zu\n", false_alarm.size());
  for (const auto& [id, what] : false_alarm) std::printf("  %s: %s\n", id.c_str(), what.c_str());
  std::printf("misclassified at the end:\n");
  for (const auto& [id, tr] : sim.truth) {
    auto r = engine.report(id, end);
    if (r && r->cls != tr.cls) {
      std::printf("  %s: truth %s, got %s", id.c_str(), class_name(tr.cls).data(), class_name(r->cls).data());
      for (const Reason& re : r->reasons) std::printf(" [%s %s]", re.code.c_str(), re.text.c_str());
      std::printf("\n");
    }
  }
  return 0;
}

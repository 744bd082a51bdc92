// File: bench/reputation_sim.cc
// Reputation simulator: a sender population over simulated weeks, replayed
// through reputation::Engine on a MemoryStore, then scored against the truth.
//
//   reputation_sim [--weeks 4] [--seed 1] [--population classic|isp_inbound|mailbox_provider|enterprise]
//                  [--config rampart.toml] [--events-out FILE] [--truth-out FILE] [--no-verdicts]
//   reputation_sim --fit [--weeks 4] [--seed 1,2,3] [--lambda 1e-4] [--samples-out FILE | --samples-in FILE]
//                  # fit the sender model (sender_model.h)
//
// --population: "classic" (below, the default) or one of the worlds of
// kWorlds (isp_inbound, mailbox_provider, enterprise: differently
// parameterised populations for issue 13, see build_world() and the
// README's "The worlds"; the model is fit on the first two).
//
// Classic population (all figures per simulated day unless said):
//   newsletters   ESPs on shared IPs; lists of 8k..250k, sent daily to weekly
//                 at 08:00-10:00; complaints 0.01%-0.15% (one borderline),
//                 unknown-user bounces 0.5-2%, SPF+DKIM+DMARC, one-click, FCrDNS
//   transactional own IPs, 100..3,000 a day through the day, complaints ~0.005%
//                 (3 of 12 without DKIM: DMARC passes on SPF alone)
//   small         own servers, 20..100 a day (3 say HELO "exchange.corp.local":
//                 legitimate, authenticated, with a bad HELO); transactional
//   tiny          own servers, 1..5 a day: unknown (too little to judge)
//   plain         15 own servers, 5..200 a day, SPF only (no DKIM, no DMARC
//                 record; 3 soft-fail a third of their mail): unknown (no
//                 positive evidence, nothing bad either)
//   tenants       60 domains on a mailbox provider's 4 shared outbound IPs
//                 (48 with 30..400 a day, 12 tiny); 15 accounts are taken over
//                 for 3-12 h: DKIM-signed spam, 100..600 an hour, 20-40% unknown
//                 recipients; compromised (the provider's IPs are not scored)
//   snowshoe      3 operations x 40 IPs over 5 /24s, authenticated throw-away
//                 domains rotated every 2-3 days, 20k..40k a day, complaints
//                 0.5-1.5%, trap hits 1 per 3,000 recipients, bounces 10%
//   hijacked      3 good domains (a transactional, a newsletter, a personal)
//                 whose accounts are taken over mid-run: DKIM-signed spam
//                 from their own IPs, 20k a day, complaints 1%
//   bots          200 residential IPs (dynamic /24 pools), infected for 1-5
//                 days, 300..2,000 a day, forged From (DMARC fail), no FCrDNS
//   botnet        1,200 residential IPs, each 2-30 messages an hour (1-3
//                 recipients) for 3 h to 2 days; HELO a Windows machine name,
//                 localhost, an address literal or the ISP's generic name (10%
//                 a plausible FQDN); forged MAIL FROM/From of freemail (SPF
//                 fail, DMARC fail), brands (SPF softfail, DMARC fail) or
//                 throw-away domains (no SPF, no DMARC); a quarter with FCrDNS;
//                 10-40% unknown recipients; complaints 0.05%, traps rare
// Complaints arrive after an exponential delay (mean 6 h); the content
// filter flags 60% of spam and 0.5% of legitimate mail.
// --no-verdicts leaves the content filter's verdicts out of the events, to
// see what reputation evidence alone (complaints, traps, bounces, FCrDNS,
// authentication, HELO) achieves.
// Output: per class precision and recall over the labelled sender identities
// (domain:* and ip:*), macro-F1, hours from first bad mail to the bad class
// per bad sender, and legitimate identities ever classed bad (false alarms).
// --truth-out writes truth.csv as bench/blind scorers read it (with
// --events-out: the same run for `rampart reputation replay`).
// --fit: runs each seed, takes a snapshot of the sender features of every
// labelled identity every 2 simulated hours (when the model would judge it:
// volume (day) >= model_min_volume), labels it bad from the identity's
// bad_from on, and fits the logistic model (L2-regularised, Newton's method;
// every identity weighs the same, both labels weigh half; every other seed
// runs without the content filter's verdicts); prints the weights in
// sender_model.h form and the fit's confusion on its snapshots.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "core/clock.h"
#include "core/strings.h"
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

struct Sample {
  FeatureVector x;
  bool bad;
  double weight;
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
  int64_t hour_end = INT64_MAX;  // events from then on wait in `later`

  bool verdicts = true;
  explicit Sim(uint64_t seed) : rng(seed) {}

  double uni() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  int64_t uniform(int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(rng); }
  uint32_t binom(uint32_t n, double p) {
    if (n == 0 || p <= 0) return 0;
    return std::binomial_distribution<uint32_t>(n, std::min(1.0, p))(rng);
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
    std::string helo = "mta.example";
    AuthResult spf = AuthResult::kPass, dkim_res = AuthResult::kPass, dmarc = AuthResult::kPass;
    bool one_click = false, fcrdns = true, spam = false;
    double complaint = 0, trap = 0, bounce = 0;
    double unsub = 0;         // unsubscribe requests per recipient
    double flag = -1;         // P(content filter says spam); < 0: 0.6 for spam, 0.005 else
    double verdict_seen = 1;  // P(the content filter gave a verdict at all)
    std::string list_id = {};
    void forged(AuthResult s, AuthResult d) {
      spf = s;
      dkim_res = AuthResult::kNone;
      dmarc = d;
    }
  };
  // One SMTP transaction of `rcpts` recipients at t, with its consequences.
  void send(const Mail& m, int64_t t, uint32_t rcpts) {
    Event e;
    e.time = t;
    e.type = EventType::kMessage;
    e.ip = *IpAddress::parse(m.ip);
    e.helo = m.helo;
    e.mail_from = m.mail_from;
    e.from = m.from;
    e.recipients = rcpts;
    e.fcrdns = m.fcrdns;
    e.list_unsubscribe_one_click = m.one_click;
    e.spf = m.spf;
    e.dkim = m.dkim_res;
    e.dmarc = m.dmarc;
    if (m.dkim_res == AuthResult::kPass) e.dkim_domains = {m.dkim};
    e.list_id = m.list_id;
    const bool flagged = uni() < (m.flag >= 0 ? m.flag : (m.spam ? 0.6 : 0.005));
    e.verdict =
        !verdicts || uni() >= m.verdict_seen ? Verdict::kNone : (flagged ? Verdict::kSpam : Verdict::kHam);
    if (t >= hour_end)
      later.push(Pending{t, e});
    else
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
    for (uint32_t i = 0, n = binom(rcpts, m.unsub); i < n; ++i) {
      f.type = EventType::kUnsubscribe;
      const auto delay = static_cast<int64_t>(std::exponential_distribution<double>(1.0 / (12 * kHour))(rng));
      later.push(Pending{t + 120 + delay, f});
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
  std::string kind = {};
  int64_t hijack_at = 0;
  std::string helo = {};
  bool dkim = true;
  bool dmarc_record = true;
  double softfail = 0;
  SenderClass cls = SenderClass::kTransactional;
};
struct Tenant {
  std::string domain;
  int ip;  // index into the provider's IPs
  double per_day;
  int64_t hijack_at = 0, hijack_until = 0;
  uint32_t burst = 0;  // recipients an hour while hijacked
  double bounce = 0;
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
  std::string helo;
};
// A botnet member of the issue's description.
struct Zombie {
  std::string ip, helo;
  int64_t from, until;
  double per_hour;  // messages
  int sender;       // 0 freemail, 1 brand, 2 throw-away
  bool fcrdns;
  double bounce;
};

// A HELO a bot would send: a Windows machine name, localhost, an address
// literal, the ISP's generic name, or (rarely) a plausible FQDN.
std::string bot_helo(Sim& sim, const std::string& ip) {
  static const char kHex[] = "0123456789ABCDEF";
  const double u = sim.uni();
  std::string r;
  if (u < 0.35) {
    r = sim.uni() < 0.6 ? "DESKTOP-" : "WIN-";
    for (int i = 0, n = r[0] == 'D' ? 7 : 11; i < n; ++i) r += kHex[sim.uniform(0, 15)];
    return r;
  }
  if (u < 0.55) return sim.uni() < 0.8 ? "localhost" : "localhost.localdomain";
  if (u < 0.75) return "[" + ip + "]";
  if (u < 0.9) {
    std::string d = ip;
    std::replace(d.begin(), d.end(), '.', '-');
    return "host-" + d + ".dyn.isp" + std::to_string(sim.uniform(0, 9)) + ".example";
  }
  return "mail.shop" + std::to_string(sim.uniform(100, 999)) + ".example";
}

double U01(Sim& s, double a, double b) { return a + (b - a) * s.uni(); }

// ---- worlds: differently parameterised populations (--population) ----
//
// Written from published descriptions of sender populations (M3AAWG Sender
// BCP; Google/Yahoo 2024 bulk-sender rules: SPF+DKIM+DMARC, RFC 8058
// one-click, complaints < 0.3%; Spamhaus on snowshoe spam and botnets; the
// issue's botnet description; ESP norms for bounces and complaints), not from
// bench/blind. Each world differs in mix, list sizes, feedback (complaint and
// unsubscribe reporting, trap feeds, content-filter coverage) and time zone,
// so a model fit on two of them can be checked on the third.
struct WorldParams {
  const char* name;
  int bots;
  double heavy;             // share of heavy bots
  int newsletters;          // ESP customers
  double list_lo, list_hi;  // list sizes (log-uniform)
  int lists;                // mailing-list servers
  int transactional;
  int small;
  int snowshoe_ops;
  int comp_server, comp_shop, comp_esp, comp_tenant;
  int tenants;              // customer domains on a hosting provider's shared outbound IPs
  double complaint_factor;  // how often users report spam ("this is spam" button use)
  double unsub_factor;      // how often they unsubscribe through the receiver's UI
  double trap_factor;       // trap feed (0: none)
  double verdict_coverage;  // share of mail with a content-filter verdict
  int tz;                   // senders' local time = UTC + tz
  int forwarders;
};
// isp_inbound and mailbox_provider are fit on; enterprise is held out.
const WorldParams kWorlds[] = {
    {"isp_inbound", 1500, 0.04, 45, 150, 15000, 3, 40, 650, 1, 6, 2, 0, 0, 0, 0.3, 0.3, 1.0, 1.0, 1, 10},
    {"mailbox_provider", 400, 0.08, 90, 60, 6000, 6, 70, 500, 3, 5, 3, 8, 0, 0, 1.0, 1.0, 1.0, 1.0, -5, 12},
    {"enterprise", 200, 0.03, 30, 40, 4000, 10, 50, 400, 2, 4, 2, 2, 4, 40, 0.1, 0.5, 0.0, 0.7, 9, 5},
};
const WorldParams* find_world(const std::string& name) {
  for (const WorldParams& w : kWorlds)
    if (name == w.name) return &w;
  return nullptr;
}

using Actor = std::function<void(int64_t)>;

// Builds the world's senders (labels in sim.truth) as hourly actors.
std::vector<Actor> build_world(Sim& sim, const WorldParams& wp, int64_t end) {
  std::vector<Actor> actors;
  auto U = [&sim](double a, double b) { return a + (b - a) * sim.uni(); };
  auto logU = [&sim](double a, double b) { return a * std::exp(sim.uni() * std::log(b / a)); };
  auto poisson = [&sim](double mean) {
    return mean <= 0 ? 0u : static_cast<uint32_t>(std::poisson_distribution<int>(mean)(sim.rng));
  };
  const int64_t days = (end - kStart) / kDay;
  // Local hour and weekday (kStart is a Wednesday) of a UTC hour.
  auto local = [tz = wp.tz](int64_t h, int& hour, int& dow) {
    const int64_t l = h + tz * kHour - kStart;
    hour = static_cast<int>(((l % kDay) + kDay) % kDay / kHour);
    dow = static_cast<int>(((l / kDay + 2) % 7 + 7) % 7);  // 0 Monday
  };
  // Office-hours weighted rate multiplier with mean ~1 over a week.
  auto diurnal = [local](int64_t h, double weekend) {
    int hour, dow;
    local(h, hour, dow);
    const double d = hour >= 8 && hour < 18 ? 2.0 : hour >= 18 && hour < 23 ? 1.0 : 0.3;
    return d * 24 / 27.7 * (dow >= 5 ? weekend : 1.0) * 7 / (5 + 2 * weekend);
  };
  int ipn = 0;
  auto next_ip = [&ipn](int a) {
    ++ipn;
    return ip4(a, (ipn >> 16) & 255, (ipn >> 8) & 255, ipn & 255);
  };
  auto cf = wp.complaint_factor, uf = wp.unsub_factor, tf = wp.trap_factor, vc = wp.verdict_coverage;
  std::vector<std::string> brands;  // legitimate domains bots forge
  // Forwarding hosts (no SRS): SPF fails for the original MAIL FROM, DKIM
  // mostly survives. Not judged.
  std::vector<std::string> fwd;
  for (int i = 0; i < wp.forwarders; ++i) fwd.push_back(next_ip(193));
  auto forward = [&sim, fwd](Sim::Mail m, int64_t t) {
    if (fwd.empty() || sim.uni() >= 0.025) return;
    m.ip = fwd[static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(fwd.size()) - 1))];
    m.helo = "fwd.alumni" + std::to_string(m.ip.back() - '0') + ".example";
    m.spf = sim.uni() < 0.5 ? AuthResult::kSoftFail : AuthResult::kFail;
    if (sim.uni() < 0.12) {
      m.dkim_res = AuthResult::kFail;
      m.dmarc = AuthResult::kFail;
    }
    m.bounce = 0;
    m.complaint /= 2;
    sim.send(m, t + 300, 1);
  };

  // Newsletters (bulk), some on ESP shared pools, some on dedicated IPs;
  // some accounts phished (compromised).
  std::vector<std::vector<std::string>> esp_pools;
  for (int e = 0; e < 6; ++e) {
    std::vector<std::string> p;
    for (int k = 0; k < 4; ++k) p.push_back(next_ip(198));
    esp_pools.push_back(p);
  }
  for (int i = 0; i < wp.newsletters; ++i) {
    struct N {
      std::string domain, esp;
      std::vector<std::string> ips;
      double list, complaint, bounce, unsub, trap, fp, dur;
      bool one_click, aligned_rp, days[7]{};
      int hour;
      int64_t hijack_at = 0, hijack_until = 0, resume = 0;
      double hijack_rate = 0, hijack_bounce = 0, hijack_complaint = 0;
      std::string list_id;
    };
    auto n = std::make_shared<N>();
    n->domain = "news" + std::to_string(i) + "-" + wp.name + ".example";
    const int esp = static_cast<int>(sim.uniform(0, 5));
    n->esp = "esp" + std::to_string(esp) + ".example";
    n->list = logU(wp.list_lo, wp.list_hi);
    const bool dedicated = n->list > 3000 || sim.uni() < 0.2 || i < wp.comp_esp;
    if (dedicated)
      for (int k = 0, m = n->list > 20000 ? 2 : 1; k < m; ++k) n->ips.push_back(next_ip(198));
    else
      n->ips = esp_pools[static_cast<size_t>(esp)];
    const bool grey = sim.uni() < 0.12;
    const double g = grey ? 3 : 1;
    n->complaint = g * cf * logU(0.0002, 0.0015);
    n->bounce = g * logU(0.002, 0.015);
    n->unsub = uf * logU(0.0005, 0.004);
    n->trap = g * tf * logU(1e-6, 2e-5);
    n->fp = logU(0.005, 0.05);
    n->dur = U(0.5, 4);
    n->one_click = sim.uni() < 0.9;
    n->aligned_rp = sim.uni() < 0.75;
    for (int k = 0, m = static_cast<int>(sim.uniform(1, 3)); k < m; ++k)
      n->days[sim.uniform(0, 4) + (sim.uni() < 0.1 ? 2 : 0)] = true;
    n->hour = static_cast<int>(sim.uniform(6, 17));
    if (sim.uni() < 0.2) n->list_id = "weekly." + n->domain;
    sim.label("domain:" + n->domain, SenderClass::kBulk, grey ? "newsletter (grey)" : "newsletter");
    for (const auto& ip : n->ips) sim.label("ip:" + ip, SenderClass::kBulk, "newsletter ip");
    brands.push_back(n->domain);
    if (i < wp.comp_esp) {
      n->hijack_at = kStart + sim.uniform(5 * kDay, std::max<int64_t>(6, days - 3) * kDay);
      n->hijack_until = n->hijack_at + sim.uniform(2, 12) * kHour;
      n->resume = n->hijack_until + sim.uniform(1, 3) * kDay;
      n->hijack_rate = U(2000, 20000) / static_cast<double>((n->hijack_until - n->hijack_at) / kHour);
      n->hijack_bounce = U(0.05, 0.2);
      n->hijack_complaint = cf * U(0.01, 0.04);
      sim.label("domain:" + n->domain, SenderClass::kCompromised, "esp account", n->hijack_at);
      for (const auto& ip : n->ips)
        sim.label("ip:" + ip, SenderClass::kCompromised, "esp account", n->hijack_at);
    }
    actors.push_back([n, &sim, local, forward, vc](int64_t h) {
      int hour, dow;
      local(h, hour, dow);
      Sim::Mail m{n->ips[0], "bounce@" + (n->aligned_rp ? "em." + n->domain : n->esp), "news@" + n->domain,
                  n->domain};
      m.one_click = n->one_click;
      m.list_id = n->list_id;
      m.verdict_seen = vc;
      if (n->hijack_at && h >= n->hijack_at && h < n->hijack_until) {
        Sim::Mail x = m;
        x.spam = true;
        x.flag = 0.7;
        x.bounce = n->hijack_bounce;
        x.complaint = n->hijack_complaint;
        x.trap = 5e-4;
        x.unsub = 0;
        const auto total = static_cast<uint32_t>(n->hijack_rate);
        for (uint32_t left = total; left > 0;) {
          const uint32_t k = std::min<uint32_t>(left, static_cast<uint32_t>(sim.uniform(1, 5)));
          x.ip = n->ips[static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(n->ips.size()) - 1))];
          x.helo = "o" + x.ip.substr(x.ip.rfind('.') + 1) + ".mta." + n->esp;
          sim.send(x, h + sim.uniform(0, kHour - 1), k);
          left -= k;
        }
        return;
      }
      if (n->hijack_at && h >= n->hijack_until && h < n->resume) return;  // suspended
      if (!n->days[dow] || hour != n->hour) return;
      m.complaint = n->complaint;
      m.bounce = n->bounce;
      m.unsub = n->unsub;
      m.trap = n->trap;
      m.flag = n->fp;
      // A front-loaded burst over n->dur hours.
      auto total = static_cast<uint32_t>(n->list * (0.97 + 0.06 * sim.uni()));
      while (total > 0) {
        const uint32_t k = std::min<uint32_t>(total, static_cast<uint32_t>(sim.uniform(1, 4)));
        m.ip = n->ips[static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(n->ips.size()) - 1))];
        m.helo = "o" + m.ip.substr(m.ip.rfind('.') + 1) + ".mta." + n->esp;
        const double off = std::min(n->dur, std::exponential_distribution<double>(3.0 / n->dur)(sim.rng));
        const int64_t t = h + static_cast<int64_t>(off * kHour);
        sim.send(m, t, k);
        forward(m, t);
        total -= k;
      }
    });
  }

  // Mailing-list servers (bulk): posts re-sent to the subscribers, List-Id,
  // the list's own SPF and DKIM; From rewritten to the list (DMARC pass) or
  // kept (DMARC fails for the poster's domain, RFC 7960).
  for (int i = 0; i < wp.lists; ++i) {
    struct L {
      std::string domain, ip;
      double posts, subs;
      bool rewrite;
    };
    auto l = std::make_shared<L>(L{"lists" + std::to_string(i) + "-" + wp.name + ".example", next_ip(192),
                                   logU(1, 25), logU(20, 400), sim.uni() < 0.5});
    sim.label("domain:" + l->domain, SenderClass::kBulk, "mailing list");
    sim.label("ip:" + l->ip, SenderClass::kBulk, "mailing list");
    actors.push_back([l, &sim, diurnal, poisson, vc](int64_t h) {
      for (uint32_t p = poisson(l->posts / 24 * diurnal(h, 0.4)); p > 0; --p) {
        Sim::Mail m{l->ip, "list-bounces@" + l->domain,
                    l->rewrite ? "list@" + l->domain
                               : "u" + std::to_string(sim.uniform(1, 999)) + "@freemail1.example",
                    l->domain};
        m.helo = "lists." + l->domain;
        if (!l->rewrite) m.dmarc = AuthResult::kFail;
        m.list_id = "talk." + l->domain;
        m.bounce = 0.004;
        m.unsub = 0.0005;
        m.complaint = 0.00005;
        m.flag = 0.01;
        m.verdict_seen = vc;
        const int64_t t = h + sim.uniform(0, kHour - 1);
        auto subs = static_cast<uint32_t>(l->subs);
        while (subs > 0) {
          const uint32_t k = std::min<uint32_t>(subs, 20);
          sim.send(m, t + sim.uniform(0, 120), k);
          subs -= k;
        }
      }
    });
  }

  // Transactional senders: receipts, alerts, resets; some web shops have
  // their contact form or mailer abused (compromised).
  for (int i = 0; i < wp.transactional; ++i) {
    struct T {
      std::string domain;
      std::vector<std::string> ips;
      double per_day, bounce;
      bool fcrdns;
      int64_t hijack_at = 0, hijack_until = 0;
      double rate = 0, hb = 0;
    };
    auto s = std::make_shared<T>();
    s->domain = "shop" + std::to_string(i) + "-" + wp.name + ".example";
    s->per_day = logU(30, 3000);
    for (int k = 0, m = s->per_day > 1000 && sim.uni() < 0.5 ? 2 : 1; k < m; ++k)
      s->ips.push_back(next_ip(192));
    s->bounce = logU(0.002, 0.02);
    s->fcrdns = sim.uni() < 0.95;
    sim.label("domain:" + s->domain, SenderClass::kTransactional, "transactional");
    for (const auto& ip : s->ips) sim.label("ip:" + ip, SenderClass::kTransactional, "transactional");
    brands.push_back(s->domain);
    if (i < wp.comp_shop) {
      s->hijack_at = kStart + sim.uniform(4 * kDay, std::max<int64_t>(5, days - 3) * kDay);
      s->hijack_until = s->hijack_at + sim.uniform(2, 36) * kHour;
      s->rate = U(100, 1000);
      s->hb = U(0.08, 0.4);
      sim.label("domain:" + s->domain, SenderClass::kCompromised, "web shop", s->hijack_at);
      sim.label("ip:" + s->ips[0], SenderClass::kCompromised, "web shop", s->hijack_at);
    }
    actors.push_back([s, &sim, diurnal, poisson, forward, cf, tf, vc](int64_t h) {
      Sim::Mail m{s->ips[0], "bounce@" + s->domain, "no-reply@" + s->domain, s->domain};
      m.fcrdns = s->fcrdns;
      m.bounce = s->bounce;
      m.complaint = cf * 0.00003;
      m.flag = 0.005;
      m.verdict_seen = vc;
      for (uint32_t n = poisson(s->per_day / 24 * diurnal(h, 0.6)); n > 0; --n) {
        m.ip = s->ips[static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(s->ips.size()) - 1))];
        m.helo = "mail" + std::to_string(m.ip.back() - '0') + "." + s->domain;
        const int64_t t = h + sim.uniform(0, kHour - 1);
        sim.send(m, t, 1);
        forward(m, t);
      }
      if (s->hijack_at && h >= s->hijack_at && h < s->hijack_until) {
        Sim::Mail x = m;
        x.ip = s->ips[0];
        x.spam = true;
        x.flag = U01(sim, 0.4, 0.8);
        x.bounce = s->hb;
        x.complaint = cf * 0.005;
        x.trap = tf * 3e-4;
        for (uint32_t n = poisson(s->rate); n > 0; --n) sim.send(x, h + sim.uniform(0, kHour - 1), 1);
      }
    });
  }

  // Small servers (unknown): businesses, clubs, families; authentication as
  // set up by hand. Some are compromised and send a spam run.
  for (int i = 0; i < wp.small; ++i) {
    struct S {
      std::string domain, ip, helo;
      double per_day;
      AuthResult spf, dmarc;
      bool dkim, fcrdns;
      int64_t hijack_at = 0, hijack_until = 0;
      double rate = 0, hb = 0;
    };
    auto s = std::make_shared<S>();
    s->domain = "small" + std::to_string(i) + "-" + wp.name + ".example";
    s->ip = next_ip(sim.uni() < 0.2 ? 100 : 203);
    s->per_day = logU(0.1, 15);
    const double a = sim.uni();
    s->spf = a < 0.8    ? AuthResult::kPass
             : a < 0.88 ? AuthResult::kSoftFail
             : a < 0.94 ? AuthResult::kNeutral
                        : AuthResult::kNone;
    s->dkim = sim.uni() < 0.5;
    const bool record = sim.uni() < 0.5;
    s->dmarc = !record ? AuthResult::kNone
                       : (s->spf == AuthResult::kPass || s->dkim ? AuthResult::kPass : AuthResult::kFail);
    s->fcrdns = sim.uni() < 0.78;
    const double hk = sim.uni();
    std::string d = s->ip;
    std::replace(d.begin(), d.end(), '.', '-');
    s->helo = hk < 0.8    ? "mail." + s->domain
              : hk < 0.85 ? "SERVER" + std::to_string(i % 10)
              : hk < 0.9  ? "exchange.corp.local"
                          : "static-" + d + ".biz.isp" + std::to_string(i % 4) + ".example";
    if (s->spf == AuthResult::kPass || s->dkim)
      sim.label("domain:" + s->domain, SenderClass::kUnknown, "small");
    sim.label("ip:" + s->ip, SenderClass::kUnknown, "small");
    if (i < wp.comp_server) {
      s->hijack_at = kStart + sim.uniform(4 * kDay, std::max<int64_t>(5, days - 4) * kDay);
      s->hijack_until = s->hijack_at + sim.uniform(6, 60) * kHour;
      s->rate = U(50, 600);
      s->hb = U(0.1, 0.4);
      s->per_day = std::max(s->per_day, 1.0);
      if (s->spf == AuthResult::kPass || s->dkim)
        sim.label("domain:" + s->domain, SenderClass::kCompromised, "server", s->hijack_at);
      sim.label("ip:" + s->ip, SenderClass::kCompromised, "server", s->hijack_at);
    }
    actors.push_back([s, &sim, diurnal, poisson, cf, tf, vc](int64_t h) {
      Sim::Mail m{s->ip, "office@" + s->domain, "office@" + s->domain, s->domain};
      m.helo = s->helo;
      m.spf = s->spf;
      m.dkim_res = s->dkim ? AuthResult::kPass : AuthResult::kNone;
      m.dmarc = s->dmarc;
      m.fcrdns = s->fcrdns;
      m.bounce = 0.01;
      m.flag = 0.02;
      m.verdict_seen = vc;
      for (uint32_t n = poisson(s->per_day / 24 * diurnal(h, 0.2)); n > 0; --n)
        sim.send(m, h + sim.uniform(0, kHour - 1), static_cast<uint32_t>(sim.uniform(1, 3)));
      if (s->hijack_at && h >= s->hijack_at && h < s->hijack_until) {
        Sim::Mail x = m;
        x.spam = true;
        x.flag = U01(sim, 0.4, 0.8);
        x.bounce = s->hb;
        x.complaint = cf * 0.003;
        x.trap = tf * 5e-4;
        x.from = "alert@" + s->domain;
        for (uint32_t n = poisson(s->rate); n > 0; --n)
          sim.send(x, h + sim.uniform(0, kHour - 1), static_cast<uint32_t>(sim.uniform(1, 8)));
      }
    });
  }

  // A hosting provider's customers on its shared outbound IPs (the IPs are
  // not judged); some accounts are taken over.
  std::vector<std::string> shared;
  for (int k = 0; k < 4; ++k) shared.push_back(next_ip(198));
  for (int i = 0; i < wp.tenants; ++i) {
    struct Tn {
      std::string domain, ip;
      double per_day;
      int64_t hijack_at = 0, hijack_until = 0;
      double rate = 0, hb = 0;
    };
    auto t = std::make_shared<Tn>();
    t->domain = "corp" + std::to_string(i) + "-" + wp.name + ".example";
    t->ip = shared[static_cast<size_t>(i % 4)];
    t->per_day = sim.uni() < 0.8 ? logU(40, 400) : logU(0.5, 5);
    const bool big = t->per_day >= 40;
    sim.label("domain:" + t->domain, big ? SenderClass::kTransactional : SenderClass::kUnknown,
              big ? "tenant" : "tenant (small)");
    if (i < wp.comp_tenant) {
      t->per_day = logU(40, 400);
      t->hijack_at = kStart + sim.uniform(5 * kDay, std::max<int64_t>(6, days - 2) * kDay);
      t->hijack_until = t->hijack_at + sim.uniform(3, 12) * kHour;
      t->rate = U(100, 600);
      t->hb = U(0.15, 0.4);
      sim.label("domain:" + t->domain, SenderClass::kCompromised, "tenant account", t->hijack_at);
    }
    actors.push_back([t, &sim, diurnal, poisson, cf, tf, vc](int64_t h) {
      Sim::Mail m{t->ip, "user@" + t->domain, "user@" + t->domain, t->domain};
      m.helo = "out" + std::to_string(t->ip.back() - '0') + ".hosting.example";
      m.complaint = cf * 0.0001;
      m.bounce = 0.005;
      m.flag = 0.01;
      m.verdict_seen = vc;
      for (uint32_t n = poisson(t->per_day / 24 * diurnal(h, 0.3)); n > 0; --n)
        sim.send(m, h + sim.uniform(0, kHour - 1), static_cast<uint32_t>(sim.uniform(1, 3)));
      if (t->hijack_at && h >= t->hijack_at && h < t->hijack_until) {
        Sim::Mail x = m;
        x.spam = true;
        x.flag = 0.6;
        x.complaint = cf * 0.005;
        x.trap = tf * 3e-4;
        x.bounce = t->hb;
        for (uint32_t n = poisson(t->rate / 8); n > 0; --n)
          sim.send(x, h + sim.uniform(0, kHour - 1), static_cast<uint32_t>(sim.uniform(5, 12)));
      }
    });
  }

  // Snowshoe operations: tens of hosting addresses with forward-confirmed
  // names, fully authenticated throw-away domains that rotate every few days.
  for (int op = 0; op < wp.snowshoe_ops; ++op) {
    struct Sh {
      std::vector<std::string> ips;
      std::vector<double> per_day;
      int op;
      int64_t start, rotate;
      double bounce, trap, complaint, flag;
      bool one_click;
    };
    auto s = std::make_shared<Sh>();
    s->op = op;
    const int nets = static_cast<int>(sim.uniform(2, 5)), n = static_cast<int>(sim.uniform(25, 80));
    for (int k = 0; k < n; ++k) {
      s->ips.push_back(ip4(45, 10 * op + k % nets, 60 + op, 10 + k));
      s->per_day.push_back(logU(15, 300));
    }
    s->start = kStart + sim.uniform(kDay, std::max<int64_t>(2, days - 5) * kDay);
    s->rotate = sim.uniform(2, 5) * kDay;
    s->bounce = U(0.02, 0.12);
    s->trap = tf * U(5e-4, 5e-3);
    s->complaint = cf * U(0.003, 0.015);
    s->flag = U(0.2, 0.6);
    s->one_click = sim.uni() < 0.5;
    for (const auto& ip : s->ips) sim.label("ip:" + ip, SenderClass::kSpammer, "snowshoe ip", s->start);
    actors.push_back([s, &sim, diurnal, poisson, vc](int64_t h) {
      if (h < s->start) return;
      const int64_t gen = (h - s->start) / s->rotate;
      for (size_t k = 0; k < s->ips.size(); ++k) {
        const uint32_t cnt = poisson(s->per_day[k] / 24 * diurnal(h, 0.1));
        if (!cnt) continue;
        const std::string dom = "sh" + std::to_string(s->op) + "g" + std::to_string(gen) + "d" +
                                std::to_string(k % 5) + ".example";
        sim.label("domain:" + dom, SenderClass::kSpammer, "snowshoe domain", h);
        Sim::Mail m{s->ips[k], "bounce@" + dom, "offers@" + dom, dom};
        m.helo = "mx" + std::to_string(k) + "." + dom;
        m.one_click = s->one_click;
        m.spam = true;
        m.flag = s->flag;
        m.bounce = s->bounce;
        m.trap = s->trap;
        m.complaint = s->complaint;
        m.verdict_seen = vc;
        for (uint32_t i = 0; i < cnt; ++i) sim.send(m, h + sim.uniform(0, kHour - 1), 1);
      }
    });
  }

  // Botnets: families hand out campaigns; bots come online within hours of
  // a campaign's start and send a few to tens of messages an hour.
  const int campaigns = 4 * 4;
  std::vector<int64_t> camp;
  for (int c = 0; c < campaigns; ++c) camp.push_back(kStart + sim.uniform(0, (days - 1) * kDay));
  for (int i = 0; i < wp.bots; ++i) {
    struct B {
      std::string ip, helo;
      std::vector<std::pair<int64_t, int64_t>> sessions;
      double rate, bounce, trap, flag;
      int sender;
      bool fcrdns;
      AuthResult free_spf;
      std::string throwaway;
      bool permissive;
    };
    auto b = std::make_shared<B>();
    b->ip = ip4(static_cast<int>(sim.uniform(70, 110)), static_cast<int>(sim.uniform(0, 255)),
                static_cast<int>(sim.uniform(0, 255)), static_cast<int>(sim.uniform(1, 254)));
    const double hk = sim.uni();
    static const char kHex[] = "0123456789ABCDEF";
    std::string d = b->ip;
    std::replace(d.begin(), d.end(), '.', '-');
    if (hk < 0.3) {
      b->helo = sim.uni() < 0.6 ? "DESKTOP-" : "WIN-";
      for (int k = 0; k < 7; ++k) b->helo += kHex[sim.uniform(0, 15)];
    } else if (hk < 0.42) {
      b->helo = "localhost";
    } else if (hk < 0.5) {
      b->helo = sim.uni() < 0.5 ? "User-PC" : "HOME-PC";
    } else if (hk < 0.65) {
      b->helo = "[" + b->ip + "]";
    } else if (hk < 0.8) {
      b->helo = "dsl-" + d + ".dyn.isp" + std::to_string(sim.uniform(0, 9)) + ".example";
    } else {
      static const char* kWords[] = {"sunrise", "blue", "mail", "smart", "alpha", "green", "tech", "prime"};
      b->helo = std::string(kWords[sim.uniform(0, 7)]) + std::to_string(sim.uniform(1, 999)) + "." +
                kWords[sim.uniform(0, 7)] + ".example";
    }
    const int64_t c0 = camp[static_cast<size_t>(sim.uniform(0, campaigns - 1))];
    const bool heavy = sim.uni() < wp.heavy;
    int64_t from =
        c0 + static_cast<int64_t>(std::exponential_distribution<double>(1.0 / (3 * kHour))(sim.rng));
    const double dur_h =
        heavy ? U(0.5, 6)
              : std::clamp(std::exp(std::log(7.0) + 1.0 * std::normal_distribution<double>()(sim.rng)), 1.0,
                           48.0);
    if (from >= end - kHour) from = end - 2 * kHour;
    b->sessions.push_back({from, from + static_cast<int64_t>(dur_h * kHour)});
    if (sim.uni() < 0.25) {
      const int64_t f2 = from + kDay + sim.uniform(-3, 3) * kHour;
      b->sessions.push_back({f2, f2 + static_cast<int64_t>(U(1, 12) * kHour)});
    }
    b->rate = heavy ? U(200, 1500) : logU(1.5, 40);
    b->bounce = U(0.05, 0.45);
    b->trap = tf * logU(3e-4, 5e-3);
    b->flag = U(0.35, 0.85);
    const double sk = sim.uni();
    b->sender = sk < 0.4 ? 0 : sk < 0.7 ? 1 : 2;
    b->fcrdns = sim.uni() < 0.25;
    b->free_spf = sim.uni() < 0.5   ? AuthResult::kSoftFail
                  : sim.uni() < 0.5 ? AuthResult::kFail
                                    : AuthResult::kNeutral;
    b->throwaway = "t" + std::to_string(sim.uniform(100000, 999999)) + ".example";
    b->permissive = b->sender == 2 && sim.uni() < 0.12;
    sim.label("ip:" + b->ip, SenderClass::kSpammer, heavy ? "botnet (heavy)" : "botnet", from);
    if (b->permissive) sim.label("domain:" + b->throwaway, SenderClass::kSpammer, "throw-away domain", from);
    auto brand_list = std::make_shared<std::vector<std::string>>(brands);
    actors.push_back([b, brand_list, &sim, poisson, cf, vc](int64_t h) {
      for (const auto& [f, u] : b->sessions) {
        if (h + kHour <= f || h >= u) continue;
        const int64_t lo = std::max(h, f), hi = std::min(h + kHour, u);
        for (uint32_t n = poisson(b->rate * static_cast<double>(hi - lo) / kHour); n > 0; --n) {
          Sim::Mail m{b->ip, "", "", ""};
          m.helo = b->helo;
          m.fcrdns = b->fcrdns;
          if (b->sender == 0) {
            m.from = "u" + std::to_string(sim.uniform(1, 99999)) + "@freemail" +
                     std::to_string(sim.uniform(0, 3)) + ".example";
            m.forged(b->free_spf, AuthResult::kFail);
          } else if (b->sender == 1 && !brand_list->empty()) {
            m.from = "service@" + (*brand_list)[static_cast<size_t>(
                                      sim.uniform(0, static_cast<int64_t>(brand_list->size()) - 1))];
            m.forged(AuthResult::kFail, AuthResult::kFail);
          } else {
            m.from = "info@" + b->throwaway;
            m.forged(b->permissive ? AuthResult::kPass : AuthResult::kNone, AuthResult::kNone);
          }
          m.mail_from = m.from;
          m.spam = true;
          m.flag = b->flag;
          m.bounce = b->bounce;
          m.trap = b->trap;
          m.complaint = cf * 0.0005;
          m.verdict_seen = vc;
          sim.send(m, lo + sim.uniform(0, std::max<int64_t>(1, hi - lo) - 1),
                   static_cast<uint32_t>(sim.uniform(1, 5)));
        }
      }
    });
  }
  return actors;
}

struct Options {
  int weeks = 4;
  std::vector<uint64_t> seeds{1};
  bool no_verdicts = false;
  bool fit = false;
  std::string events_out, truth_out, samples_out, samples_in;
  std::string population = "classic";  // or a world of kWorlds
  double lambda = 1e-4;                // L2 weight of the fit
  Thresholds th;
};

struct Outcome {
  std::map<SenderClass, int> tp, fp, fn, n_true;
  std::map<std::string, std::vector<double>> hours;
  std::map<std::string, int> never;
  std::map<std::string, SenderClass> kind_class;  // population group -> its truth class
  std::map<std::string, std::string> false_alarm;
  std::vector<std::string> misclassified;
  int legit_bulk_called_bad = 0;
  uint64_t events = 0;
  double wall = 0;
};

// One simulated run; with `samples`, feature snapshots for the fit.
int run(uint64_t seed, const Options& o, Outcome& out, std::vector<Sample>* samples) {
  const Thresholds& th = o.th;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  if (!psl) return 1;
  const int weeks = o.weeks;
  const int64_t end = kStart + weeks * 7 * kDay;
  Sim sim(seed);
  sim.verdicts = !o.no_verdicts;
  std::vector<Actor> world;
  if (o.population != "classic") world = build_world(sim, *find_world(o.population), end);
  const bool classic = world.empty();

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
  for (int i = 0; i < 12; ++i) {
    Steady s{"shop" + std::to_string(i) + ".example", ip4(192, 0, 2, 10 + i),
             static_cast<uint32_t>(100 + sim.uniform(0, 2900)), "transactional"};
    s.helo = "mta" + std::to_string(i) + ".shop" + std::to_string(i) + ".example";
    s.dkim = i % 4 != 1;  // 3 of 12 without DKIM: DMARC passes on SPF alone
    steady.push_back(s);
  }
  for (int i = 0; i < 20; ++i) {
    Steady s{"home" + std::to_string(i) + ".example", ip4(192, 0, 3 + i / 10, 20 + i), 0, "personal"};
    if (i < 10) {
      s.per_day = static_cast<uint32_t>(20 + sim.uniform(0, 80));
      s.helo = i < 3 ? "exchange.corp.local" : "mail.home" + std::to_string(i) + ".example";
    } else {
      s.per_day = static_cast<uint32_t>(1 + sim.uniform(0, 4));
      s.kind = "tiny";
      s.cls = SenderClass::kUnknown;
      s.helo = "mail.home" + std::to_string(i) + ".example";
    }
    steady.push_back(s);
  }
  steady[3].hijack_at = kStart + 10 * kDay + 14 * kHour;
  steady[15].hijack_at = kStart + 17 * kDay + 3 * kHour;
  for (auto& s : steady)
    if (s.hijack_at >= end) s.hijack_at = end - 2 * kDay;
  if (news[4].hijack_at >= end) news[4].hijack_at = end - 2 * kDay;

  // Legitimate servers without DKIM or a DMARC record (SPF passes; for 3 of
  // them SPF soft-fails on a third of the mail: forwarding, a stale record):
  // nothing is wrong with them, but nothing earns them a class either.
  for (int i = 0; i < 15; ++i) {
    Steady s{"plain" + std::to_string(i) + ".example", ip4(192, 0, 5, 10 + i),
             static_cast<uint32_t>(5 + sim.uniform(0, 195)), "plain"};
    s.helo = "smtp.plain" + std::to_string(i) + ".example";
    s.dkim = false;
    s.dmarc_record = false;
    s.softfail = i < 3 ? 0.33 : 0.0;
    s.cls = SenderClass::kUnknown;
    steady.push_back(s);
  }

  // A mailbox provider's customers on its 4 shared outbound IPs.
  std::vector<std::string> provider_ips;
  for (int k = 0; k < 4; ++k) provider_ips.push_back(ip4(198, 18, 0, 10 + k));
  std::vector<Tenant> tenants;
  for (int i = 0; i < 60; ++i) {
    Tenant t;
    t.domain = "corp" + std::to_string(i) + ".example";
    t.ip = i % 4;
    t.per_day = i < 48 ? 30 * std::exp(sim.uni() * std::log(400.0 / 30)) : 1 + 4 * sim.uni();
    if (i % 4 == 0 || i >= 57) {  // 12 + 3 accounts taken over
      t.hijack_at = kStart + 5 * kDay + sim.uniform(0, end - kStart - 7 * kDay);
      t.hijack_until = t.hijack_at + sim.uniform(3, 12) * kHour;
      t.burst = static_cast<uint32_t>(100 + sim.uniform(0, 500));
      t.bounce = 0.2 + 0.2 * sim.uni();
    }
    tenants.push_back(t);
  }

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
    b.helo = bot_helo(sim, b.ip);
    bots.push_back(b);
  }
  std::vector<Zombie> zombies;
  for (int i = 0; i < 1200; ++i) {
    Zombie z;
    z.ip =
        ip4(100, 80 + i % 32, static_cast<int>(sim.uniform(0, 255)), static_cast<int>(sim.uniform(1, 254)));
    z.helo = bot_helo(sim, z.ip);
    z.from = kStart + sim.uniform(0, end - kStart - 3 * kHour);
    z.until = std::min(end, z.from + static_cast<int64_t>(3 * kHour * std::exp(sim.uni() * std::log(16.0))));
    z.per_hour = 2 + 28 * sim.uni();
    z.sender = static_cast<int>(sim.uniform(0, 2));
    z.fcrdns = sim.uni() < 0.25;
    z.bounce = 0.1 + 0.3 * sim.uni();
    zombies.push_back(z);
  }

  // ---- truth labels ----
  if (classic) {
    for (const Newsletter& n : news) {
      if (n.spammy) continue;
      sim.label("domain:" + n.domain, SenderClass::kBulk, "newsletter");
      for (const auto& ip : n.ips) sim.label("ip:" + ip, SenderClass::kBulk, "newsletter");
    }
    // The bad customer is the spammer, not the ESP's shared IPs it sends from.
    for (const Newsletter& n : news)
      if (n.spammy) sim.label("domain:" + n.domain, SenderClass::kSpammer, "esp customer", kStart);
    for (const Steady& s : steady) {
      sim.label("domain:" + s.domain, s.cls, s.kind);
      sim.label("ip:" + s.ip, s.cls, s.kind);
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
    for (const Tenant& t : tenants) {
      if (t.hijack_at)
        sim.label("domain:" + t.domain, SenderClass::kCompromised, "tenant account", t.hijack_at);
      else
        sim.label("domain:" + t.domain, t.per_day >= 20 ? SenderClass::kTransactional : SenderClass::kUnknown,
                  t.per_day >= 20 ? "tenant" : "tiny");
    }
    for (const Bot& b : bots) sim.label("ip:" + b.ip, SenderClass::kSpammer, "bot", b.from);
    for (const Zombie& z : zombies) sim.label("ip:" + z.ip, SenderClass::kSpammer, "botnet", z.from);
  }

  // ---- run ----
  FakeClock clock(kStart);
  MemoryStore store;
  Engine engine(store, clock, th, *psl);
  std::ofstream ev_out;
  if (!o.events_out.empty()) ev_out.open(o.events_out);
  std::map<std::string, int64_t> first_bad_class;    // identity -> first time classed bad
  std::map<std::string, std::vector<size_t>> snaps;  // identity -> its samples
  const char* trace = std::getenv("REPSIM_TRACE");   // an identity whose class changes are printed
  const auto wall0 = std::chrono::steady_clock::now();

  for (int64_t h = kStart; h < end; h += kHour) {
    if (!classic) {
      sim.hour_end = h + kHour;
      for (auto& a : world) a(h);
    } else {
      const int64_t day = (h - kStart) / kDay, hour_of_day = (h - kStart) % kDay / kHour;
      for (const Newsletter& n : news) {
        const int esp = n.ips[0][10] - '0';
        if (day % n.every_days == 0 && hour_of_day == 8 + static_cast<int64_t>(n.list % 3)) {
          Sim::Mail m{n.ips[0], "bounce@mail." + n.domain, "letters@" + n.domain, n.domain};
          m.one_click = true;
          m.spam = n.spammy;
          m.complaint = n.complaint;
          m.bounce = n.bounce;
          m.trap = 1.0 / 500000;
          for (size_t k = 0; k < n.ips.size(); ++k) {
            m.ip = n.ips[k];
            m.helo = "mta" + std::to_string(k) + ".esp" + std::to_string(esp) + ".example";
            sim.spread(m, h, kHour, n.list / static_cast<uint32_t>(n.ips.size()), 50);
          }
        }
        if (n.hijack_at && h >= n.hijack_at) {
          Sim::Mail m{n.ips[0], "bounce@mail." + n.domain, "letters@" + n.domain, n.domain};
          m.helo = "mta0.esp" + std::to_string(esp) + ".example";
          m.spam = true;
          m.complaint = 0.01;
          m.trap = 1.0 / 3000;
          m.bounce = 0.1;
          sim.spread(m, h, kHour, 20000 / 24, 20);
        }
      }
      // Daytime-weighted: twice the rate from 08:00 to 20:00.
      const double w = (hour_of_day >= 8 && hour_of_day < 20) ? 2.0 / 36 : 1.0 / 36;
      for (const Steady& s : steady) {
        const double expect = s.per_day * w;
        const auto n = static_cast<uint32_t>(std::poisson_distribution<int>(expect)(sim.rng));
        Sim::Mail m{s.ip, "no-reply@" + s.domain, "service@" + s.domain, s.domain};
        m.helo = s.helo;
        if (!s.dkim) m.dkim_res = AuthResult::kNone;
        if (!s.dmarc_record) m.dmarc = AuthResult::kNone;
        m.complaint = s.kind == "transactional" ? 0.00005 : 0.0;
        m.bounce = 0.003;
        if (s.softfail > 0) {
          Sim::Mail f = m;
          f.spf = AuthResult::kSoftFail;
          const uint32_t k = sim.binom(n, s.softfail);
          sim.spread(f, h, kHour, k, 1);
          sim.spread(m, h, kHour, n - k, 1);
        } else {
          sim.spread(m, h, kHour, n, s.kind == "transactional" ? 1 : 2);
        }
        if (s.hijack_at && h >= s.hijack_at) {
          Sim::Mail x = m;
          x.dkim_res = AuthResult::kPass;
          x.spam = true;
          x.complaint = 0.01;
          x.trap = 1.0 / 3000;
          x.bounce = 0.1;
          sim.spread(x, h, kHour, 20000 / 24, 10);
        }
      }
      for (const Tenant& t : tenants) {
        const auto n = static_cast<uint32_t>(std::poisson_distribution<int>(t.per_day * w)(sim.rng));
        Sim::Mail m{provider_ips[static_cast<size_t>(t.ip)], "user@" + t.domain, "user@" + t.domain,
                    t.domain};
        m.helo = "out" + std::to_string(t.ip) + ".mailprovider.example";
        m.complaint = 0.0001;
        m.bounce = 0.005;
        sim.spread(m, h, kHour, n, static_cast<uint32_t>(1 + sim.uniform(0, 2)));
        if (t.hijack_at && h >= t.hijack_at && h < t.hijack_until) {
          Sim::Mail x = m;
          x.spam = true;
          x.complaint = 0.005;
          x.trap = 1.0 / 3000;
          x.bounce = t.bounce;
          sim.spread(x, h, kHour, t.burst, static_cast<uint32_t>(5 + sim.uniform(0, 15)));
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
          const size_t ipi = static_cast<size_t>(sim.uniform(0, static_cast<int64_t>(s.ips.size()) - 1));
          const std::string& ip = s.ips[ipi];
          const std::string dom = "s" + std::to_string(s.op) + "g" + std::to_string(gen) + "d" +
                                  std::to_string(sim.uniform(0, 2)) + ".example";
          sim.label("ip:" + ip, SenderClass::kSpammer, "snowshoe ip", h);
          Sim::Mail m{ip, "bounce@" + dom, "deals@" + dom, dom};
          m.helo = "mail" + std::to_string(ipi) + "." + dom;
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
        m.helo = b.helo;
        m.forged(AuthResult::kSoftFail, AuthResult::kFail);
        m.fcrdns = false;
        m.spam = true;
        m.complaint = 0.01;
        m.trap = 1.0 / 2000;
        m.bounce = 0.2;
        sim.spread(m, h, kHour, b.per_day / 24, static_cast<uint32_t>(1 + sim.uniform(0, 4)));
      }
      for (const Zombie& z : zombies) {
        if (h + kHour <= z.from || h >= z.until) continue;
        const auto n = static_cast<uint32_t>(std::poisson_distribution<int>(z.per_hour)(sim.rng));
        for (uint32_t i = 0; i < n; ++i) {
          const int64_t t = h + sim.uniform(0, kHour - 1);
          if (t < z.from || t >= z.until) continue;
          Sim::Mail m{z.ip, "", "", ""};
          const auto k = std::to_string(sim.uniform(0, 9));
          if (z.sender == 0) {
            m.from = "user" + std::to_string(sim.uniform(1, 99999)) + "@freemail" + k + ".example";
            m.forged(AuthResult::kFail, AuthResult::kFail);
          } else if (z.sender == 1) {
            m.from = "service@brand" + k + ".example";
            m.forged(AuthResult::kSoftFail, AuthResult::kFail);
          } else {
            m.from = "info@x" + std::to_string(sim.uniform(10000, 99999)) + ".example";
            m.forged(sim.uni() < 0.5 ? AuthResult::kNone : AuthResult::kNeutral, AuthResult::kNone);
          }
          m.mail_from =
              sim.uni() < 0.7 ? m.from : "bounce@x" + std::to_string(sim.uniform(10000, 99999)) + ".example";
          m.helo = z.helo;
          m.fcrdns = z.fcrdns;
          m.spam = true;
          m.complaint = 0.0005;
          m.trap = 1.0 / 5000;
          m.bounce = z.bounce;
          sim.send(m, t, static_cast<uint32_t>(1 + sim.uniform(0, 2)));
        }
      }
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
      if (ev_out) ev_out << event_to_json(e) << "\n";
      ++out.events;
      if (trace) {  // the traced identity's class after each event
        static std::string last_ev;
        auto r = engine.report(trace, e.time);
        if (r && std::string(class_name(r->cls)) != last_ev) {
          last_ev = std::string(class_name(r->cls));
          std::printf("trace-event %s t+%lld s %s:", trace, static_cast<long long>(e.time - kStart),
                      last_ev.c_str());
          for (const Reason& re : r->reasons) std::printf(" [%s %s]", re.code.c_str(), re.text.c_str());
          std::printf("\n");
        }
      }
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
      if (is_bad(r->cls) && !bad_yet && !out.false_alarm.count(id)) {
        out.false_alarm[id] =
            std::string(class_name(r->cls)) + " at day " + std::to_string((t_end - kStart) / kDay);
        if (tr.cls == SenderClass::kBulk) ++out.legit_bulk_called_bad;
      }
      if (samples && (t_end - kStart) % (2 * kHour) == 0) {
        const Counters& c = r->counters;
        if (c.value(Metric::kVolume, Window::kDay, t_end) < th.model_min_volume) continue;
        const IdentityKind kind = id.starts_with("ip:") ? IdentityKind::kIp : IdentityKind::kDomain;
        snaps[id].push_back(samples->size());
        samples->push_back(Sample{sender_features(c, kind, t_end), bad_yet, 1.0});
      }
    }
  }
  out.wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (samples)  // every identity weighs the same
    for (const auto& [id, idx] : snaps)
      for (size_t i : idx) (*samples)[i].weight = 1.0 / static_cast<double>(idx.size());

  // ---- scoring ----
  std::ofstream truth_out;
  if (!o.truth_out.empty()) {
    truth_out.open(o.truth_out);
    truth_out << "identity,class,bad_from\n";
  }
  for (const auto& [id, tr] : sim.truth) {
    if (truth_out) {
      truth_out << id << "," << class_name(tr.cls) << ",";
      if (is_bad(tr.cls)) truth_out << tr.bad_from;
      truth_out << "\n";
    }
    auto r = engine.report(id, end);
    if (!r) return 1;
    out.n_true[tr.cls]++;
    if (r->cls == tr.cls) {
      out.tp[tr.cls]++;
    } else {
      out.fn[tr.cls]++;
      out.fp[r->cls]++;
      std::string line =
          id + ": truth " + std::string(class_name(tr.cls)) + ", got " + std::string(class_name(r->cls));
      for (const Reason& re : r->reasons) line += " [" + re.code + " " + re.text + "]";
      out.misclassified.push_back(line);
    }
    if (is_bad(tr.cls)) {
      out.kind_class[tr.kind] = tr.cls;
      auto it = first_bad_class.find(id);
      if (it != first_bad_class.end() && it->second >= tr.bad_from - kDay)
        out.hours[tr.kind].push_back(static_cast<double>(std::max<int64_t>(0, it->second - tr.bad_from)) /
                                     kHour);
      else
        out.never[tr.kind]++;
    }
  }
  return 0;
}

// Solves a x = b (n x n, Gaussian elimination with partial pivoting).
bool solve(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& x) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (std::fabs(a[p][c]) < 1e-12) return false;
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  x.assign(n, 0);
  for (size_t c = n; c-- > 0;) {
    double v = b[c];
    for (size_t k = c + 1; k < n; ++k) v -= a[c][k] * x[k];
    x[c] = v / a[c][c];
  }
  return true;
}

// The sign each weight may take: signs of legitimacy (authentication,
// one-click) never count against a sender, signs of abuse never for it,
// whatever a population's base rates suggest (in a world where most
// unauthenticated senders are small and harmless, a free fit learns that
// authentication is suspicious). 0: free.
int weight_sign(Feature f) {
  switch (f) {
    case Feature::kAligned:
    case Feature::kDmarcPass:
    case Feature::kOneClick: return -1;
    case Feature::kNetwork: return 0;
    default: return +1;
  }
}

// L2-regularised logistic regression by Newton's method; bias is w[0].
// Weights of the wrong sign (weight_sign) are pinned at 0 and the rest
// refit, until none is left (an active-set method).
std::vector<double> fit_logistic_free(const std::vector<Sample>& samples, double lambda,
                                      const std::vector<bool>& pinned);
std::vector<double> fit_logistic(const std::vector<Sample>& samples, double lambda) {
  std::vector<bool> pinned(kFeatureCount, false);
  for (;;) {
    std::vector<double> w = fit_logistic_free(samples, lambda, pinned);
    bool changed = false;
    for (size_t i = 0; i < kFeatureCount; ++i) {
      const int sg = weight_sign(static_cast<Feature>(i));
      if (!pinned[i] && sg != 0 && w[i + 1] * sg < 0) {
        pinned[i] = true;
        changed = true;
        std::fprintf(stderr, "fit: %s pinned at 0 (free fit %+.3f)\n",
                     feature_name(static_cast<Feature>(i)).data(), w[i + 1]);
      }
    }
    if (!changed) return w;
  }
}

std::vector<double> fit_logistic_free(const std::vector<Sample>& samples, double lambda,
                                      const std::vector<bool>& pinned) {
  const size_t d = kFeatureCount + 1;
  double wb = 0, wg = 0;  // total weight per label: both labels weigh half
  for (const Sample& s : samples) (s.bad ? wb : wg) += s.weight;
  std::vector<double> w(d, 0.0);
  for (int it = 0; it < 50; ++it) {
    std::vector<std::vector<double>> hess(d, std::vector<double>(d, 0.0));
    std::vector<double> grad(d, 0.0);
    for (const Sample& s : samples) {
      const double sw = s.weight / (s.bad ? 2 * wb : 2 * wg);
      double z = w[0];
      for (size_t i = 0; i < kFeatureCount; ++i) z += w[i + 1] * s.x[i];
      const double p = 1 / (1 + std::exp(-z));
      const double g = (p - (s.bad ? 1.0 : 0.0)) * sw, h = std::max(p * (1 - p), 1e-9) * sw;
      for (size_t i = 0; i < d; ++i) {
        const double xi = i ? s.x[i - 1] : 1.0;
        grad[i] += g * xi;
        for (size_t j = 0; j < d; ++j) hess[i][j] += h * xi * (j ? s.x[j - 1] : 1.0);
      }
    }
    for (size_t i = 1; i < d; ++i) {
      grad[i] += lambda * w[i];
      hess[i][i] += lambda;
      if (pinned[i - 1]) {  // held at 0: no gradient, decoupled
        grad[i] = 0;
        for (size_t j = 0; j < d; ++j) hess[i][j] = hess[j][i] = 0;
        hess[i][i] = 1;
      }
    }
    std::vector<double> step;
    if (!solve(hess, grad, step)) break;
    double norm = 0;
    for (size_t i = 0; i < d; ++i) {
      w[i] -= step[i];
      norm += step[i] * step[i];
    }
    if (norm < 1e-14) break;
  }
  return w;
}

double quantile(std::vector<double> v, double f) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(f * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--weeks") {
      o.weeks = std::atoi(next().c_str());
    } else if (a == "--seed") {
      o.seeds.clear();
      for (std::string_view p : split(next(), ','))
        o.seeds.push_back(std::strtoull(std::string(p).c_str(), nullptr, 10));
    } else if (a == "--config") {
      config_path = next();
    } else if (a == "--events-out") {
      o.events_out = next();
    } else if (a == "--truth-out") {
      o.truth_out = next();
    } else if (a == "--population") {
      o.population = next();
      if (o.population != "classic" && !find_world(o.population)) {
        std::fprintf(stderr,
                     "reputation_sim: --population classic|isp_inbound|mailbox_provider|enterprise\n");
        return 2;
      }
    } else if (a == "--no-verdicts") {
      o.no_verdicts = true;
    } else if (a == "--fit") {
      o.fit = true;
    } else if (a == "--lambda") {
      o.lambda = std::strtod(next().c_str(), nullptr);
    } else if (a == "--samples-out") {
      o.samples_out = next();
    } else if (a == "--samples-in") {
      o.samples_in = next();
    } else {
      std::fprintf(stderr,
                   "usage: reputation_sim [--weeks N] [--seed N[,N...]] [--population NAME] [--config FILE] "
                   "[--events-out FILE] "
                   "[--truth-out FILE] [--no-verdicts] [--fit [--lambda L] [--samples-out FILE]]\n");
      return 2;
    }
  }
  if (o.weeks < 1 || o.weeks > 26 || o.seeds.empty()) {
    std::fprintf(stderr, "reputation_sim: --weeks must be 1..26, --seed one or more numbers\n");
    return 2;
  }
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
    o.th = *t;
  }
  if ((o.seeds.size() > 1 || o.fit) && (!o.events_out.empty() || !o.truth_out.empty())) {
    std::fprintf(stderr, "reputation_sim: --events-out/--truth-out take one seed and no --fit\n");
    return 2;
  }

  if (o.fit) {
    // Every other seed without the content filter's verdicts, so the model
    // does not lean on a signal a deployment may not have.
    std::vector<Sample> samples;
    if (!o.samples_in.empty()) {  // snapshots written by --samples-out: refit without the runs
      std::ifstream f(o.samples_in);
      for (std::string line; std::getline(f, line);) {
        const auto v = split(line, ',');
        if (v.size() != 2 + kFeatureCount) continue;
        Sample smp{};
        smp.bad = v[0] == "1";
        smp.weight = std::strtod(std::string(v[1]).c_str(), nullptr);
        for (size_t k = 0; k < kFeatureCount; ++k)
          smp.x[k] = std::strtod(std::string(v[2 + k]).c_str(), nullptr);
        samples.push_back(smp);
      }
    }
    for (size_t i = 0; i < o.seeds.size() && o.samples_in.empty(); ++i) {
      Options oi = o;
      oi.no_verdicts = o.no_verdicts || i % 2 == 1;
      Outcome out;
      if (int rc = run(o.seeds[i], oi, out, &samples); rc) return rc;
    }
    if (!o.samples_out.empty()) {
      std::ofstream f(o.samples_out);
      for (const Sample& smp : samples) {
        f << (smp.bad ? 1 : 0) << "," << smp.weight;
        for (double v : smp.x) f << "," << v;
        f << "\n";
      }
    }
    const std::vector<double> w = fit_logistic(samples, o.lambda);
    if (!o.samples_in.empty()) {
      std::printf("// reputation_sim --fit --lambda %g --samples-in %s", o.lambda, o.samples_in.c_str());
    } else {
      std::printf("// reputation_sim --fit --lambda %g --weeks %d --population %s --seed", o.lambda, o.weeks,
                  o.population.c_str());
      for (size_t i = 0; i < o.seeds.size(); ++i)
        std::printf("%s%llu", i ? "," : " ", static_cast<unsigned long long>(o.seeds[i]));
    }
    std::printf(": %zu snapshots\ninline constexpr double kSenderModelBias = %.4f;\n", samples.size(), w[0]);
    std::printf("inline constexpr double kSenderModelWeights[] = {\n");
    for (size_t i = 0; i < kFeatureCount; ++i)
      std::printf("    %.4f,  // %s\n", w[i + 1], feature_name(static_cast<Feature>(i)).data());
    std::printf("};\n");
    ModelWeights m;
    m.bias = w[0];
    for (size_t i = 0; i < kFeatureCount; ++i) m.w[i] = w[i + 1];
    size_t conf[2][2] = {{0, 0}, {0, 0}};
    for (const Sample& s : samples) conf[s.bad][bad_probability(m, s.x) >= o.th.model_bad]++;
    std::printf("// snapshots: good %zu (called bad %zu), bad %zu (called bad %zu) at P(bad) >= %.2f\n",
                conf[0][0] + conf[0][1], conf[0][1], conf[1][0] + conf[1][1], conf[1][1], o.th.model_bad);
    return 0;
  }

  Outcome out;
  for (uint64_t seed : o.seeds)
    if (int rc = run(seed, o, out, nullptr); rc) return rc;

  const SenderClass classes[] = {SenderClass::kBulk, SenderClass::kTransactional, SenderClass::kSpammer,
                                 SenderClass::kCompromised, SenderClass::kUnknown};
  std::printf("reputation_sim: %d weeks, seed", o.weeks);
  for (size_t i = 0; i < o.seeds.size(); ++i)
    std::printf("%s%llu", i ? "," : " ", static_cast<unsigned long long>(o.seeds[i]));
  std::printf("%s, %llu events (%.1f s, %.0f events/s through Engine::record)\n",
              o.no_verdicts ? " (no content-filter verdicts)" : "",
              static_cast<unsigned long long>(out.events), out.wall,
              static_cast<double>(out.events) / out.wall);
  std::printf("\n| class | identities | precision | recall | F1 |\n|---|---|---|---|---|\n");
  double f1_sum = 0;
  int f1_n = 0;
  for (SenderClass c : classes) {
    if (!out.n_true[c]) continue;
    const double p = out.tp[c] + out.fp[c] ? static_cast<double>(out.tp[c]) / (out.tp[c] + out.fp[c]) : 0;
    const double rc = static_cast<double>(out.tp[c]) / out.n_true[c];
    const double f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
    f1_sum += f1;
    ++f1_n;
    std::printf("| %s | %d | %.1f%% | %.1f%% | %.3f |\n", class_name(c).data(), out.n_true[c], 100 * p,
                100 * rc, f1);
  }
  std::printf("\nmacro-F1 %.3f over %d classes\n", f1_n ? f1_sum / f1_n : 0.0, f1_n);
  std::printf("\n| bad sender | n | median h | p90 h | max h | never classed |\n|---|---|---|---|---|---|\n");
  for (auto& [kind, v] : out.hours)
    std::printf("| %s | %zu | %.1f | %.1f | %.1f | %d |\n", kind.c_str(),
                v.size() + static_cast<size_t>(out.never[kind]), quantile(v, 0.5), quantile(v, 0.9),
                quantile(v, 1.0), out.never[kind]);
  for (auto& [kind, n] : out.never)
    if (!out.hours.count(kind)) std::printf("| %s | %d | - | - | - | %d |\n", kind.c_str(), n, n);
  // The goals' figures: median hours over every spammer and every compromised identity.
  std::map<SenderClass, std::vector<double>> by_class;
  for (auto& [kind, v] : out.hours)
    for (double x : v) by_class[out.kind_class[kind]].push_back(x);
  std::printf("\nmedian hours to the bad class: spammer %.1f (n %zu), compromised %.1f (n %zu)\n",
              quantile(by_class[SenderClass::kSpammer], 0.5), by_class[SenderClass::kSpammer].size(),
              quantile(by_class[SenderClass::kCompromised], 0.5), by_class[SenderClass::kCompromised].size());
  std::printf("legitimate bulk senders ever classed bad: %d\n", out.legit_bulk_called_bad);
  std::printf("legitimate identities ever classed bad before any bad mail: %zu\n", out.false_alarm.size());
  for (const auto& [id, what] : out.false_alarm) std::printf("  %s: %s\n", id.c_str(), what.c_str());
  std::printf("misclassified at the end: %zu\n", out.misclassified.size());
  const bool all = std::getenv("REPSIM_ALL") != nullptr;
  for (size_t i = 0; i < out.misclassified.size() && (all || i < 40); ++i)
    std::printf("  %s\n", out.misclassified[i].c_str());
  if (!all && out.misclassified.size() > 40) std::printf("  ... (REPSIM_ALL=1 prints all)\n");
  return 0;
}

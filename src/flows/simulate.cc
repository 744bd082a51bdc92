#include "flows/simulate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

namespace rampart::flows {

std::string_view host_role_name(HostRole r) {
  switch (r) {
    case HostRole::kUser: return "user";
    case HostRole::kBusinessMta: return "business_mta";
    case HostRole::kNat: return "nat";
    case HostRole::kBotBurst: return "bot_burst";
    case HostRole::kBotSlow: return "bot_slow";
    case HostRole::kBotRelay: return "bot_relay";
  }
  return "user";
}

bool Truth::infected_at(const IpAddress& ip, int64_t t_ms) const {
  auto it = infected_from_ms.find(ip.to_string());
  return it != infected_from_ms.end() && it->second >= 0 && t_ms >= it->second;
}

Truth Simulation::truth() const {
  Truth t;
  for (const auto& h : hosts) {
    t.roles[h.ip.to_string()] = h.role;
    if (h.infected_from_ms >= 0) t.infected_from_ms[h.ip.to_string()] = h.infected_from_ms;
  }
  return t;
}

namespace {

class Gen {
 public:
  Gen(const SimConfig& c) : c_(c), rng_(c.seed) {
    // External destinations: popular mailbox providers' MX (few, reused),
    // web servers, and the rest of the Internet (random, for bots).
    for (uint32_t i = 0; i < 60; ++i) mx_.push_back(IpAddress::v4(0x0B000000u + i * 7919u));
    for (uint32_t i = 0; i < 2000; ++i) web_.push_back(IpAddress::v4(0x0C000000u + i * 104729u));
  }

  double u() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  double expo(double mean_s) { return std::exponential_distribution<double>(1.0 / mean_s)(rng_); }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  // Zipf-like pick: a few destinations get most of the traffic.
  size_t zipf(size_t n) {
    return std::min(n - 1, static_cast<size_t>(std::pow(u(), 3.0) * static_cast<double>(n)));
  }
  IpAddress random_internet() {
    for (;;) {
      const uint32_t a = static_cast<uint32_t>(rng_());
      const uint32_t top = a >> 24;
      if (top == 0 || top == 10 || top == 100 || top == 127 || top >= 224) continue;
      return IpAddress::v4(a);
    }
  }

  void add(const IpAddress& src, const IpAddress& dst, uint16_t dport, uint8_t proto, int64_t t_ms, bool ok,
           bool rst = false) {
    Flow f;
    f.start_ms = t_ms;
    f.src = src;
    f.dst = dst;
    f.src_port = static_cast<uint16_t>(1024 + pick(60000));
    f.dst_port = dport;
    f.protocol = proto;
    if (proto == kProtoTcp) {
      if (ok) {
        f.tcp_flags = kTcpSyn | kTcpAck | kTcpPsh | kTcpFin;
        f.packets = 8 + pick(40);
        f.bytes = f.packets * (60 + pick(900));
        f.end_ms = t_ms + static_cast<int64_t>(200 + pick(5000));
      } else if (rst) {
        f.tcp_flags = kTcpSyn | kTcpAck | kTcpRst;
        f.packets = 2;
        f.bytes = 100;
        f.end_ms = t_ms + 50;
      } else {
        f.tcp_flags = kTcpSyn;
        f.packets = 1 + pick(3);
        f.bytes = 60 * f.packets;
        f.end_ms = t_ms + static_cast<int64_t>(pick(9000));
      }
    } else {
      f.packets = 1 + pick(2);
      f.bytes = 80 * f.packets;
      f.end_ms = t_ms + 1;
    }
    flows_.push_back(f);
  }

  // Background traffic of one person: web, DNS, occasional other ports.
  void background(const IpAddress& h, int64_t from, int64_t to, double mean_gap_s) {
    for (double t = from + expo(mean_gap_s) * 1000; t < to; t += expo(mean_gap_s) * 1000) {
      const double r = u();
      const int64_t ti = static_cast<int64_t>(t);
      if (r < 0.6)
        add(h, web_[zipf(web_.size())], 443, kProtoTcp, ti, u() > 0.02);
      else if (r < 0.78)
        add(h, web_[zipf(web_.size())], 80, kProtoTcp, ti, u() > 0.03);
      else if (r < 0.95)
        add(h, resolver_, 53, kProtoUdp, ti, true);
      else
        add(h, web_[pick(web_.size())], static_cast<uint16_t>(1024 + pick(50000)), kProtoTcp, ti, u() > 0.3);
    }
  }

  // A person's own mail: submission to the relay now and then.
  void person_mail(const IpAddress& h, int64_t from, int64_t to, double mean_gap_s, bool misconfigured) {
    for (double t = from + expo(mean_gap_s) * 1000; t < to; t += expo(mean_gap_s) * 1000) {
      const int64_t ti = static_cast<int64_t>(t);
      if (misconfigured)
        add(h, smarthost_, 25, kProtoTcp, ti, true);  // old client on 25 to its provider
      else if (u() < 0.8)
        add(h, relay_, 587, kProtoTcp, ti, true);
      else
        add(h, mx_[pick(8)], 465, kProtoTcp, ti, true);  // webmail provider's submission
    }
  }

  Simulation run() {
    Simulation sim;
    const int64_t t0 = c_.start_ms, t1 = c_.start_ms + c_.duration_s * 1000;
    uint32_t next_dyn = 0x64400000u + 10;  // 100.64.0.10 ...
    auto dyn = [&]() { return IpAddress::v4(next_dyn += 3); };
    DetectorConfig& dc = sim.detector_config;
    dc.subscribers.push_back({*Prefix::parse("100.64.0.0/16"), SubscriberKind::kDynamic});
    dc.subscribers.push_back({*Prefix::parse("100.65.0.0/24"), SubscriberKind::kStatic});
    dc.subscribers.push_back({*Prefix::parse("100.66.0.0/24"), SubscriberKind::kBusiness});
    dc.relays.push_back(Prefix{relay_, 32});

    for (size_t i = 0; i < c_.users; ++i) {
      SimHost h{dyn(), HostRole::kUser};
      background(h.ip, t0, t1, 8 + 30 * u());
      person_mail(h.ip, t0, t1, 600 + 3000 * u(), u() < 0.04);
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.businesses; ++i) {
      SimHost h{IpAddress::v4(0x64420000u + 10 + static_cast<uint32_t>(i)), HostRole::kBusinessMta};
      h.known_mail_server = i < c_.known_businesses;
      if (h.known_mail_server) dc.mail_servers.push_back(Prefix{h.ip, 32});
      const bool send_only = i % 4 == 3;
      background(h.ip, t0, t1, 20);
      const double per_hour = 20 + 100 * u();
      // Ordinary outbound mail: mostly to the big providers' MX, some to others.
      std::vector<IpAddress> partners;
      for (int k = 0; k < 150; ++k) partners.push_back(random_internet());
      for (double t = t0 + expo(3600 / per_hour) * 1000; t < t1; t += expo(3600 / per_hour) * 1000) {
        const IpAddress& d = u() < 0.6 ? mx_[zipf(mx_.size())] : partners[zipf(partners.size())];
        add(h.ip, d, 25, kProtoTcp, static_cast<int64_t>(t), u() > 0.03, u() < 0.01);
      }
      // A newsletter now and then: hundreds of messages in a few minutes to many domains.
      for (double t = t0 + expo(3 * 3600) * 1000; t < t1; t += expo(3 * 3600) * 1000) {
        const size_t n = 100 + pick(300);
        std::vector<IpAddress> list;
        for (size_t k = 0; k < 40 + pick(60); ++k)
          list.push_back(u() < 0.5 ? mx_[pick(mx_.size())] : partners[pick(partners.size())]);
        for (size_t k = 0; k < n; ++k)
          add(h.ip, list[zipf(list.size())], 25, kProtoTcp, static_cast<int64_t>(t + 1000.0 * expo(2)),
              u() > 0.05);
      }
      if (!send_only) {
        for (double t = t0 + expo(90) * 1000; t < t1; t += expo(90) * 1000)
          add(random_internet(), h.ip, 25, kProtoTcp, static_cast<int64_t>(t), u() > 0.1);
      }
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.nats; ++i) {
      SimHost h{IpAddress::v4(0x64410000u + 10 + static_cast<uint32_t>(i)), HostRole::kNat};
      const double users = 40 + 160 * u();
      background(h.ip, t0, t1, 20 / users);
      person_mail(h.ip, t0, t1, 1800 / users, false);
      person_mail(h.ip, t0, t1, 3 * 3600 / users, true);  // a few old clients on 25
      sim.hosts.push_back(h);
    }
    auto infect_at = [&]() { return t0 + static_cast<int64_t>(u() * static_cast<double>(t1 - t0) / 3); };
    for (size_t i = 0; i < c_.bots_burst; ++i) {
      SimHost h{dyn(), HostRole::kBotBurst};
      h.infected_from_ms = infect_at();
      background(h.ip, t0, t1, 15 + 20 * u());
      person_mail(h.ip, t0, t1, 1800, false);
      const double fail = 0.3 + 0.4 * u();
      double t = static_cast<double>(h.infected_from_ms);
      while (t < t1) {
        const double len_s = 300 + 600 * u(), rate = 0.5 + 3 * u();
        for (double s = t; s < t + len_s * 1000 && s < t1; s += expo(1 / rate) * 1000) {
          add(h.ip, resolver_, 53, kProtoUdp, static_cast<int64_t>(s), true);  // MX lookup
          const bool ok = u() > fail;
          add(h.ip, u() < 0.2 ? mx_[pick(mx_.size())] : random_internet(), 25, kProtoTcp,
              static_cast<int64_t>(s) + 40, ok, !ok && u() < 0.3);
        }
        t += (len_s + 600 + 2400 * u()) * 1000;
      }
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_slow; ++i) {
      SimHost h{dyn(), HostRole::kBotSlow};
      h.infected_from_ms = infect_at();
      background(h.ip, t0, t1, 10 + 20 * u());
      person_mail(h.ip, t0, t1, 1800, false);
      const double gap = 60 + 120 * u(), fail = 0.2 + 0.3 * u();
      for (double t = static_cast<double>(h.infected_from_ms); t < t1; t += gap * 1000 * (0.8 + 0.4 * u())) {
        const bool ok = u() > fail;
        add(h.ip, u() < 0.3 ? mx_[pick(mx_.size())] : random_internet(), 25, kProtoTcp,
            static_cast<int64_t>(t), ok, !ok && u() < 0.3);
      }
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_relay; ++i) {
      SimHost h{dyn(), HostRole::kBotRelay};
      h.infected_from_ms = infect_at();
      background(h.ip, t0, t1, 10 + 20 * u());
      const double gap = 5 + 15 * u();
      for (double t = static_cast<double>(h.infected_from_ms); t < t1; t += gap * 1000 * (0.7 + 0.6 * u()))
        add(h.ip, relay_, u() < 0.7 ? 587 : 25, kProtoTcp, static_cast<int64_t>(t), u() > 0.05);
      sim.hosts.push_back(h);
    }
    std::stable_sort(flows_.begin(), flows_.end(),
                     [](const Flow& a, const Flow& b) { return a.start_ms < b.start_ms; });
    sim.flows = std::move(flows_);
    return sim;
  }

 private:
  const SimConfig& c_;
  std::mt19937_64 rng_;
  std::vector<IpAddress> mx_, web_;
  std::vector<Flow> flows_;
  IpAddress relay_ = IpAddress::v4(0x647F0019u);      // 100.127.0.25: the provider's relay
  IpAddress smarthost_ = IpAddress::v4(0x647F001Au);  // 100.127.0.26: its port-25 smarthost
  IpAddress resolver_ = IpAddress::v4(0x647F0035u);
};

}  // namespace

Simulation simulate(const SimConfig& c) {
  Gen g(c);
  return g.run();
}

double EvalReport::tpr() const {
  return tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0;
}
double EvalReport::fpr() const {
  return fp + tn ? static_cast<double>(fp) / static_cast<double>(fp + tn) : 0;
}
double EvalReport::precision() const {
  return tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0;
}
double EvalReport::f1() const {
  const double p = precision(), r = tpr();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

std::string EvalReport::table() const {
  char buf[512];
  std::string o;
  std::snprintf(buf, sizeof buf,
                "host-windows  TP=%llu FP=%llu TN=%llu FN=%llu\n"
                "TPR=%.4f FPR=%.5f precision=%.4f F1=%.4f\n"
                "bots detected %zu/%zu  time to detection mean=%.0fs max=%.0fs  incidents=%zu\n"
                "legitimate mail servers flagged=%zu blocked=%zu\n",
                static_cast<unsigned long long>(tp), static_cast<unsigned long long>(fp),
                static_cast<unsigned long long>(tn), static_cast<unsigned long long>(fn), tpr(), fpr(),
                precision(), f1(), bots_detected, bots, mean_ttd_s, max_ttd_s, incidents,
                mail_servers_flagged, mail_servers_blocked);
  o += buf;
  if (!by_role.empty()) {
    o += "role            TP      FP      TN      FN\n";
    for (const auto& [role, c] : by_role) {
      std::snprintf(buf, sizeof buf, "%-12s %7llu %7llu %7llu %7llu\n", role.c_str(),
                    static_cast<unsigned long long>(c[0]), static_cast<unsigned long long>(c[1]),
                    static_cast<unsigned long long>(c[2]), static_cast<unsigned long long>(c[3]));
      o += buf;
    }
  }
  return o;
}

EvalReport evaluate(const std::vector<Flow>& flows, const Truth& truth, const DetectorConfig& cfg,
                    int64_t window_s) {
  EvalReport rep;
  Detector det(cfg);
  struct Cell {
    bool predicted = false;
    bool positive = false;
  };
  std::map<std::pair<std::string, int64_t>, Cell> cells;
  std::map<std::string, int64_t> first_flag_ms;
  for (const Flow& f : flows) {
    det.observe(f);
    if (!det.subscriber_kind(f.src)) continue;
    const std::string ip = f.src.to_string();
    Cell& c = cells[{ip, f.start_ms / (window_s * 1000)}];
    if (truth.infected_at(f.src, f.start_ms)) c.positive = true;
    if (det.flagged(f.src)) {
      c.predicted = true;
      first_flag_ms.emplace(ip, f.start_ms);
    }
  }
  det.finish();
  auto incidents = det.take_closed();
  rep.incidents = incidents.size();
  std::set<std::string> flagged_hosts, blocked_hosts;
  for (const auto& inc : incidents) {
    flagged_hosts.insert(inc.host.to_string());
    if (inc.action == Action::kBlock) blocked_hosts.insert(inc.host.to_string());
    first_flag_ms.emplace(inc.host.to_string(), inc.opened_ms);
  }
  for (const auto& [key, c] : cells) {
    std::string role = "host";
    if (auto it = truth.roles.find(key.first); it != truth.roles.end())
      role = std::string(host_role_name(it->second));
    auto& r = rep.by_role[role];
    if (c.positive && c.predicted)
      ++rep.tp, ++r[0];
    else if (!c.positive && c.predicted)
      ++rep.fp, ++r[1];
    else if (!c.positive)
      ++rep.tn, ++r[2];
    else
      ++rep.fn, ++r[3];
  }
  double sum = 0;
  for (const auto& [ip, from] : truth.infected_from_ms) {
    ++rep.bots;
    auto it = first_flag_ms.find(ip);
    if (it == first_flag_ms.end() || it->second < from) continue;
    ++rep.bots_detected;
    const double ttd = static_cast<double>(it->second - from) / 1000.0;
    sum += ttd;
    rep.max_ttd_s = std::max(rep.max_ttd_s, ttd);
  }
  if (rep.bots_detected) rep.mean_ttd_s = sum / static_cast<double>(rep.bots_detected);
  for (const auto& [ip, role] : truth.roles) {
    if (role != HostRole::kBusinessMta) continue;
    if (flagged_hosts.count(ip)) ++rep.mail_servers_flagged;
    if (blocked_hosts.count(ip)) ++rep.mail_servers_blocked;
  }
  return rep;
}

}  // namespace rampart::flows

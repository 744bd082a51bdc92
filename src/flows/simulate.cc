#include "flows/simulate.h"

#include <algorithm>
#include <climits>
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
    case HostRole::kBotLowSlow: return "bot_lowslow";
    case HostRole::kBotRelayAbuse: return "bot_relay_abuse";
    case HostRole::kNatInfected: return "nat_infected";
  }
  return "user";
}

bool host_role_infected(HostRole r) {
  return r != HostRole::kUser && r != HostRole::kBusinessMta && r != HostRole::kNat;
}

SimConfig tuned_population(uint64_t seed) {
  SimConfig c;
  c.seed = seed;
  c.duration_s = 12 * 3600;
  c.users = 200;
  c.businesses = 16;
  c.known_businesses = 4;
  c.nats = 6;
  c.bots_burst = 4;
  c.bots_slow = 2;
  c.bots_relay = 2;
  c.bots_lowslow = 8;
  c.bots_relay_abuse = 6;
  c.nats_infected = 4;
  c.relays_known = false;
  c.infect_anytime = true;
  c.cleaned_share = 0.25;
  c.burst_users = 0.05;
  c.nat_flow_gap_s = 60;
  return c;
}

SimConfig isp_population(uint64_t seed) {
  SimConfig c = tuned_population(seed);
  c.duration_s = 36 * 3600;
  c.people = true;
  c.users = 250;
  c.businesses = 8;
  c.known_businesses = 4;
  c.nats = 10;
  c.nat_clients_min = 8;
  c.nat_clients_max = 60;
  c.bots_burst = 3;
  c.bots_slow = 1;
  c.bots_relay = 0;
  c.bots_lowslow = 10;
  c.bots_relay_abuse = 8;
  c.nats_infected = 5;
  c.relay_gap_min_h = 1;
  c.relay_gap_max_h = 10;
  c.mta_new_mx_share = 0.2;
  return c;
}

SimConfig campus_population(uint64_t seed) {
  SimConfig c = tuned_population(seed);
  c.duration_s = 24 * 3600;
  c.people = true;
  c.office_hours = true;
  c.users = 300;
  c.businesses = 4;
  c.known_businesses = 3;
  c.nats = 5;
  c.nat_clients_min = 15;
  c.nat_clients_max = 80;
  c.bots_burst = 6;
  c.bots_slow = 2;
  c.bots_relay = 1;
  c.bots_lowslow = 4;
  c.bots_relay_abuse = 3;
  c.nats_infected = 2;
  c.relay_gap_min_h = 0.5;
  c.relay_gap_max_h = 6;
  c.mta_new_mx_share = 0.25;
  c.infect_at_start = 0.5;
  return c;
}

SimConfig cgnat_population(uint64_t seed) {
  SimConfig c = isp_population(seed);
  c.duration_s = 24 * 3600;
  c.users = 100;
  c.businesses = 2;
  c.known_businesses = 1;
  c.nats = 6;
  c.nat_clients_min = 100;
  c.nat_clients_max = 400;
  c.bots_burst = 1;
  c.bots_slow = 0;
  c.bots_lowslow = 3;
  c.bots_relay_abuse = 2;
  c.nats_infected = 4;
  c.burst_users = 0.05;
  return c;
}

std::optional<SimConfig> population(std::string_view name, uint64_t seed) {
  if (name == "tuned") return tuned_population(seed);
  if (name == "cgnat") return cgnat_population(seed);
  if (name == "isp") return isp_population(seed);
  if (name == "campus") return campus_population(seed);
  if (name == "default") {
    SimConfig c;
    c.seed = seed;
    return c;
  }
  return std::nullopt;
}

bool Truth::infected_at(const IpAddress& ip, int64_t t_ms) const {
  const std::string k = ip.to_string();
  auto it = infected_from_ms.find(k);
  if (it == infected_from_ms.end() || it->second < 0 || t_ms < it->second) return false;
  auto u = infected_until_ms.find(k);
  return u == infected_until_ms.end() || t_ms < u->second;
}

Truth Simulation::truth() const {
  Truth t;
  for (const auto& h : hosts) {
    t.roles[h.ip.to_string()] = h.role;
    if (h.infected_from_ms >= 0) t.infected_from_ms[h.ip.to_string()] = h.infected_from_ms;
    if (h.infected_until_ms >= 0) t.infected_until_ms[h.ip.to_string()] = h.infected_until_ms;
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
    for (uint32_t i = 0; i < 8; ++i) submit_.push_back(IpAddress::v4(0x0D000000u + i * 6151u));
    for (uint32_t i = 0; i < 4; ++i) imap_.push_back(IpAddress::v4(0x0D100000u + i * 3571u));
    for (uint32_t i = 0; i < 6; ++i) telemetry_.push_back(IpAddress::v4(0x0E000000u + i * 7001u));
  }

  // Share of a day's activity in the hour of t (UTC taken as local time):
  // homes in the evening and at weekends, campus in office hours.
  double diurnal(int64_t t_ms) const {
    static constexpr double kHome[24] = {0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 0.7, 0.5, 0.5, 0.6,
                                         0.7, 0.6,  0.6, 0.7,  0.8,  1.0, 1.3, 1.6, 1.8, 1.7, 1.2, 0.7};
    static constexpr double kOffice[24] = {0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.2, 0.6, 1.5, 2.0, 2.0,  1.8,
                                           1.2,  1.8,  2.0,  1.9,  1.6,  1.0,  0.6, 0.4, 0.3, 0.2, 0.15, 0.1};
    const int64_t day = t_ms / 86400000, hour = t_ms / 3600000 % 24;
    const bool weekend = (day + 4) % 7 >= 5;  // 1970-01-01 was a Thursday
    const double v = c_.office_hours ? kOffice[hour] : kHome[hour];
    return weekend ? (c_.office_hours ? 0.2 * v : 1.3 * v) : v;
  }

  // One person's machine (SimConfig::people). activity scales the sessions
  // (0.5 for a NAT client). Traits drawn per person.
  void person(const IpAddress& h, int64_t from, int64_t to, double activity) {
    const double sessions_per_day = activity * (1 + 4 * u());
    const bool mail_client = u() < 0.75;
    const bool webmail_user = u() < 0.4;  // mailbox at a webmail provider, else at the ISP
    const bool on_25 = !webmail_user && u() < 0.1;
    const double subs_per_day = 0.2 + 7.8 * u() * u();
    const double poll_s = 240 + 960 * u();
    const bool p2p = u() < 0.06;
    const bool employer = u() < 0.02;
    const IpAddress employer_mx = random_internet();
    const IpAddress imap = webmail_user ? imap_[pick(imap_.size())] : imap_provider_;
    const IpAddress sub_dst = webmail_user ? submit_[pick(submit_.size())] : relay_;
    const uint16_t sub_port = on_25 ? 25 : (u() < 0.6 ? 587 : 465);
    const IpAddress sub_host = on_25 ? smarthost_ : sub_dst;
    // Sessions: Poisson starts weighted by the hour, 10-90 min each, page
    // loads every ~40 s (a lookup and 1-8 connections), P2P peers.
    const double mean_rate_per_ms = sessions_per_day / 86400000.0;
    for (double t = static_cast<double>(from); t < to;) {
      t += expo(1.0) / (mean_rate_per_ms * std::max(0.02, diurnal(static_cast<int64_t>(t))));
      if (t >= to) break;
      const double end = std::min<double>(static_cast<double>(to), t + (600 + 4800 * u()) * 1000);
      for (double s = t; s < end; s += expo(40) * 1000) {
        const int64_t si = static_cast<int64_t>(s);
        add(h, resolver_, 53, kProtoUdp, si, true);
        const size_t n = 1 + pick(8);
        const IpAddress& site = web_[zipf(web_.size())];
        for (size_t k = 0; k < n; ++k)
          add(h, k == 0 ? site : web_[zipf(web_.size())], u() < 0.8 ? 443 : 80, kProtoTcp,
              si + 20 + static_cast<int64_t>(k * 15), u() > 0.02);
      }
      if (p2p)
        for (double s = t; s < end; s += expo(4) * 1000) {
          if (u() < 0.5)
            add(h, random_internet(), static_cast<uint16_t>(1024 + pick(60000)), kProtoUdp,
                static_cast<int64_t>(s), true);
          else
            add(h, random_internet(), static_cast<uint16_t>(6881 + pick(120)), kProtoTcp,
                static_cast<int64_t>(s), u() > 0.5, u() < 0.2);
        }
      t = end;
    }
    // Always-on chatter: telemetry/updates over HTTPS, NTP.
    for (double t = from + expo(900) * 1000; t < to; t += expo(900) * 1000)
      add(h, telemetry_[pick(telemetry_.size())], 443, kProtoTcp, static_cast<int64_t>(t), u() > 0.01);
    for (double t = from + expo(3600) * 1000; t < to; t += expo(3600) * 1000)
      add(h, ntp_, 123, kProtoUdp, static_cast<int64_t>(t), true);
    if (mail_client) {
      for (double t = from + poll_s * 1000 * u(); t < to; t += poll_s * 1000 * (0.9 + 0.2 * u()))
        add(h, imap, 993, kProtoTcp, static_cast<int64_t>(t), u() > 0.01);
      const double per_ms = subs_per_day / 86400000.0;
      for (double t = static_cast<double>(from);;) {
        t += expo(1.0) / (per_ms * std::max(0.02, diurnal(static_cast<int64_t>(t))));
        if (t >= to) break;
        add(h, sub_host, sub_port, kProtoTcp, static_cast<int64_t>(t), u() > 0.01);
      }
    }
    if (employer)
      for (double t = from + expo(86400.0 / (1 + 4 * u())) * 1000; t < to; t += expo(86400.0 / 3) * 1000)
        add(h, employer_mx, 25, kProtoTcp, static_cast<int64_t>(t), u() > 0.02);
    if (c_.burst_users > 0 && u() < c_.burst_users) batch_mail(h, from, to);
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
        add(h, submit_[pick(submit_.size())], 465, kProtoTcp, ti, true);  // webmail provider's submission
    }
  }

  // Low-and-slow spam: 2-8 port-25 sends an hour at random times, each to an
  // MX host this bot never used before (a quarter to the big providers' MX,
  // which repeat), after an MX lookup; mostly delivered.
  void lowslow(const IpAddress& h, int64_t from, int64_t to) {
    const double per_hour = 2 + 6 * u(), fail = 0.2 * u();
    const bool timer = u() < 0.3;  // some run on a jittered timer
    for (double t = from + expo(3600 / per_hour) * 1000; t < to;
         t += (timer ? 3600 / per_hour * (0.7 + 0.6 * u()) : expo(3600 / per_hour)) * 1000) {
      const int64_t ti = static_cast<int64_t>(t);
      add(h, resolver_, 53, kProtoUdp, ti, true);
      const bool ok = u() > fail;
      add(h, u() < 0.25 ? mx_[pick(mx_.size())] : random_internet(), 25, kProtoTcp, ti + 30, ok,
          !ok && u() < 0.5);
    }
  }

  // Spam through relays with stolen credentials: bursts of 80-300 submission
  // connections an hour, to the provider's smarthost (587, or 25 from old
  // kits) or to the big webmail providers' submission servers (587/465).
  void relay_abuse(const IpAddress& h, int64_t from, int64_t to) {
    const double smart_share = u();
    const bool smart_on_25 = u() < 0.3;
    double t = static_cast<double>(from);
    while (t < to) {
      const double per_hour = 80 + 220 * u(), len_s = c_.people ? 1080 + 7920 * u() : 600 + 2400 * u();
      for (double s = t; s < t + len_s * 1000 && s < to; s += expo(3600 / per_hour) * 1000) {
        const int64_t si = static_cast<int64_t>(s);
        if (u() < smart_share)
          add(h, smarthost_, smart_on_25 ? 25 : 587, kProtoTcp, si, u() > 0.05);
        else
          add(h, submit_[pick(submit_.size())], u() < 0.6 ? 587 : 465, kProtoTcp, si, u() > 0.08);
      }
      const double gap_h = c_.relay_gap_min_h + (c_.relay_gap_max_h - c_.relay_gap_min_h) * u();
      t += (len_s + gap_h * 3600) * 1000;
    }
  }

  // Heavy spam (Neris-like): bursts of direct-to-MX attempts to many hosts,
  // a third or more failing.
  void heavy(const IpAddress& h, int64_t from, int64_t to) {
    const double fail = 0.3 + 0.4 * u();
    double t = static_cast<double>(from);
    while (t < to) {
      const double len_s = 300 + 600 * u(), rate = 0.5 + 3 * u();
      for (double s = t; s < t + len_s * 1000 && s < to; s += expo(1 / rate) * 1000) {
        add(h, resolver_, 53, kProtoUdp, static_cast<int64_t>(s), true);  // MX lookup
        const bool ok = u() > fail;
        add(h, u() < 0.2 ? mx_[pick(mx_.size())] : random_internet(), 25, kProtoTcp,
            static_cast<int64_t>(s) + 40, ok, !ok && u() < 0.3);
      }
      t += (len_s + 600 + 2400 * u()) * 1000;
    }
  }

  // A legitimate batch now and then (a club's mail-out through the provider):
  // 20-50 submissions in a quarter of an hour.
  void batch_mail(const IpAddress& h, int64_t from, int64_t to) {
    // People (SimConfig::people): a mail-merge every 1-4 days on average
    // (per person); the older populations: twice a day.
    const double gap_s = c_.people ? (24 + 72 * u()) * 3600 : 12 * 3600;
    for (double t = from + expo(gap_s) * 1000; t < to; t += expo(gap_s) * 1000) {
      const size_t n = 20 + pick(31);
      for (size_t k = 0; k < n; ++k)
        add(h, u() < 0.8 ? relay_ : submit_[pick(3)], 587, kProtoTcp, static_cast<int64_t>(t + 900000 * u()),
            true);
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
    if (c_.relays_known) dc.relays.push_back(Prefix{relay_, 32});

    for (size_t i = 0; i < c_.users; ++i) {
      SimHost h{dyn(), HostRole::kUser};
      if (c_.people) {
        person(h.ip, t0, t1, 1);
        sim.hosts.push_back(h);
        continue;
      }
      background(h.ip, t0, t1, 8 + 30 * u());
      person_mail(h.ip, t0, t1, 600 + 3000 * u(), u() < 0.04);
      if (c_.burst_users > 0 && u() < c_.burst_users) batch_mail(h.ip, t0, t1);
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.businesses; ++i) {
      SimHost h{IpAddress::v4(0x64420000u + 10 + static_cast<uint32_t>(i)), HostRole::kBusinessMta};
      h.known_mail_server = i < c_.known_businesses;
      if (h.known_mail_server) dc.mail_servers.push_back(Prefix{h.ip, 32});
      const bool send_only = i % 4 == 3;
      // With people: a quarter of the MTAs are dedicated servers that
      // receive mail too (mail and its lookups only, half of them cached);
      // the others share an office's address with its browsing. (A
      // dedicated send-only MTA outside the listed mail servers is not
      // modelled: by flows alone it is a spam bot; see README.)
      const bool dedicated = c_.people && i % 4 == 1;
      if (!dedicated) background(h.ip, t0, t1, 20);
      const double per_hour = 20 + 100 * u();
      // Ordinary outbound mail: mostly to the big providers' MX, some to others.
      std::vector<IpAddress> partners;
      for (int k = 0; k < 150; ++k) partners.push_back(random_internet());
      for (double t = t0 + expo(3600 / per_hour) * 1000; t < t1; t += expo(3600 / per_hour) * 1000) {
        const double r = u();
        const IpAddress d = r < c_.mta_new_mx_share ? random_internet()
                            : r < 0.6               ? mx_[zipf(mx_.size())]
                                                    : partners[zipf(partners.size())];
        if (c_.people && (!dedicated || u() < 0.5))
          add(h.ip, resolver_, 53, kProtoUdp, static_cast<int64_t>(t) - 30, true);  // MX lookup
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
    // A NAT gateway: many users behind one address (background, submission,
    // a few old clients on 25 to the smarthost).
    auto nat = [&](const IpAddress& ip, double users) {
      if (c_.people) {
        const size_t n =
            static_cast<size_t>(c_.nat_clients_min + (c_.nat_clients_max - c_.nat_clients_min) * u());
        for (size_t k = 0; k < n; ++k) person(ip, t0, t1, 0.5);
        return;
      }
      background(ip, t0, t1, c_.nat_flow_gap_s / users);
      person_mail(ip, t0, t1, 1800 / users, false);
      person_mail(ip, t0, t1, 3 * 3600 / users, true);
    };
    for (size_t i = 0; i < c_.nats; ++i) {
      SimHost h{IpAddress::v4(0x64410000u + 10 + static_cast<uint32_t>(i)), HostRole::kNat};
      const double users = 40 + 160 * u();
      nat(h.ip, c_.infect_anytime ? users * (0.5 + 2 * u()) : users);
      sim.hosts.push_back(h);
    }
    // Infections start in the first third of the run, or (infect_anytime)
    // anywhere up to an hour before its end; cleaned_share of them stop again.
    auto infect = [&](SimHost& h) {
      const double span = static_cast<double>(t1 - t0) / 3;
      if (!c_.infect_anytime) {
        h.infected_from_ms = t0 + static_cast<int64_t>(u() * span);
        return;
      }
      const double anytime = static_cast<double>(t1 - t0 - 3600000);
      h.infected_from_ms = t0 + static_cast<int64_t>(u() < c_.infect_at_start ? 0 : u() * anytime);
      if (u() < c_.cleaned_share) {
        const double hours = c_.people ? 3 + 24 * u() : 2 + 6 * u();
        const int64_t until = h.infected_from_ms + static_cast<int64_t>(hours * 3600000);
        if (until < t1) h.infected_until_ms = until;
      }
    };
    // The owner of an infected PC keeps using it.
    auto owner = [&](const IpAddress& ip, double gap_s, double mail_gap_s) {
      if (c_.people) return person(ip, t0, t1, 1);
      background(ip, t0, t1, gap_s);
      if (mail_gap_s > 0) person_mail(ip, t0, t1, mail_gap_s, false);
    };
    auto until = [&](const SimHost& h) { return h.infected_until_ms >= 0 ? h.infected_until_ms : t1; };
    for (size_t i = 0; i < c_.bots_burst; ++i) {
      SimHost h{dyn(), HostRole::kBotBurst};
      infect(h);
      owner(h.ip, 15 + 20 * u(), 1800);
      heavy(h.ip, h.infected_from_ms, until(h));
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_slow; ++i) {
      SimHost h{dyn(), HostRole::kBotSlow};
      infect(h);
      owner(h.ip, 10 + 20 * u(), 1800);
      const double gap = 60 + 120 * u(), fail = 0.2 + 0.3 * u();
      for (double t = static_cast<double>(h.infected_from_ms); t < until(h);
           t += gap * 1000 * (0.8 + 0.4 * u())) {
        const bool ok = u() > fail;
        add(h.ip, u() < 0.3 ? mx_[pick(mx_.size())] : random_internet(), 25, kProtoTcp,
            static_cast<int64_t>(t), ok, !ok && u() < 0.3);
      }
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_relay; ++i) {
      SimHost h{dyn(), HostRole::kBotRelay};
      infect(h);
      owner(h.ip, 10 + 20 * u(), 0);
      const double gap = 5 + 15 * u();
      for (double t = static_cast<double>(h.infected_from_ms); t < until(h);
           t += gap * 1000 * (0.7 + 0.6 * u()))
        add(h.ip, relay_, u() < 0.7 ? 587 : 25, kProtoTcp, static_cast<int64_t>(t), u() > 0.05);
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_lowslow; ++i) {
      SimHost h{dyn(), HostRole::kBotLowSlow};
      infect(h);
      owner(h.ip, 10 + 30 * u(), 600 + 3000 * u());
      lowslow(h.ip, h.infected_from_ms, until(h));
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.bots_relay_abuse; ++i) {
      SimHost h{dyn(), HostRole::kBotRelayAbuse};
      infect(h);
      owner(h.ip, 10 + 30 * u(), 600 + 3000 * u());
      relay_abuse(h.ip, h.infected_from_ms, until(h));
      sim.hosts.push_back(h);
    }
    for (size_t i = 0; i < c_.nats_infected; ++i) {
      SimHost h{IpAddress::v4(0x64410000u + 100 + static_cast<uint32_t>(i)), HostRole::kNatInfected};
      nat(h.ip, 20 + 300 * u());
      infect(h);
      const double style = u();
      if (style < 0.2)
        heavy(h.ip, h.infected_from_ms, until(h));
      else if (style < 0.6)
        lowslow(h.ip, h.infected_from_ms, until(h));
      else
        relay_abuse(h.ip, h.infected_from_ms, until(h));
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
  std::vector<IpAddress> mx_, web_, submit_;  // submit_: webmail providers' submission servers
  std::vector<Flow> flows_;
  IpAddress relay_ = IpAddress::v4(0x647F0019u);      // 100.127.0.25: the provider's relay
  IpAddress smarthost_ = IpAddress::v4(0x647F001Au);  // 100.127.0.26: its port-25 smarthost
  IpAddress resolver_ = IpAddress::v4(0x647F0035u);
  IpAddress imap_provider_ = IpAddress::v4(0x647F008Fu);  // the provider's IMAP server
  IpAddress ntp_ = IpAddress::v4(0x647F007Bu);
  std::vector<IpAddress> imap_, telemetry_;  // webmail providers' IMAP; update/telemetry hosts
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
                "bots detected %zu/%zu  time to detection median=%.0fs p90=%.0fs mean=%.0fs max=%.0fs  "
                "incidents=%zu\n"
                "legitimate hosts flagged=%zu (mail servers flagged=%zu blocked=%zu)\n",
                static_cast<unsigned long long>(tp), static_cast<unsigned long long>(fp),
                static_cast<unsigned long long>(tn), static_cast<unsigned long long>(fn), tpr(), fpr(),
                precision(), f1(), bots_detected, bots, median_ttd_s, p90_ttd_s, mean_ttd_s, max_ttd_s,
                incidents, legit_flagged, mail_servers_flagged, mail_servers_blocked);
  o += buf;
  if (!by_role.empty()) {
    o += "role                 TP      FP      TN      FN   hosts detected within4h\n";
    for (const auto& [role, c] : by_role) {
      std::array<size_t, 3> h{};
      if (auto it = hosts_by_role.find(role); it != hosts_by_role.end()) h = it->second;
      std::snprintf(buf, sizeof buf, "%-16s %7llu %7llu %7llu %7llu %7zu %8zu %8zu\n", role.c_str(),
                    static_cast<unsigned long long>(c[0]), static_cast<unsigned long long>(c[1]),
                    static_cast<unsigned long long>(c[2]), static_cast<unsigned long long>(c[3]), h[0], h[1],
                    h[2]);
      o += buf;
    }
  }
  return o;
}

EvalReport evaluate(const std::vector<Flow>& flows, const Truth& truth, const DetectorConfig& cfg,
                    int64_t window_s) {
  EvalReport rep;
  Detector det(cfg);
  const int64_t wms = window_s * 1000;
  // Windows in which each subscriber host sends a flow.
  std::map<std::string, std::set<int64_t>> windows;
  std::string last_ip;
  std::set<int64_t>* last_set = nullptr;
  IpAddress last_src;
  for (const Flow& f : flows) {
    det.observe(f);
    if (!last_set || !(f.src == last_src)) {
      if (!det.subscriber_kind(f.src)) continue;
      last_src = f.src;
      last_set = &windows[f.src.to_string()];
    }
    last_set->insert(f.start_ms / wms);
  }
  det.finish();
  auto incidents = det.take_closed();
  rep.incidents = incidents.size();
  std::map<std::string, std::vector<const Incident*>> by_host;
  std::set<std::string> blocked_hosts;
  for (const auto& inc : incidents) {
    by_host[inc.host.to_string()].push_back(&inc);
    if (inc.action == Action::kBlock) blocked_hosts.insert(inc.host.to_string());
  }
  auto role_of = [&](const std::string& ip) {
    auto it = truth.roles.find(ip);
    return it == truth.roles.end() ? std::string("host") : std::string(host_role_name(it->second));
  };
  for (const auto& [ip, ws] : windows) {
    auto& r = rep.by_role[role_of(ip)];
    const auto& incs = by_host[ip];
    for (int64_t w : ws) {
      const int64_t w0 = w * wms, w1 = w0 + wms;
      bool positive = false;
      if (auto it = truth.infected_from_ms.find(ip); it != truth.infected_from_ms.end()) {
        auto u = truth.infected_until_ms.find(ip);
        const int64_t until = u == truth.infected_until_ms.end() ? INT64_MAX : u->second;
        positive = w0 < until && w1 > it->second;
      }
      bool predicted = false;
      for (const Incident* inc : incs)
        if (w0 <= inc->last_seen_ms && w1 > inc->first_seen_ms) predicted = true;
      if (positive && predicted)
        ++rep.tp, ++r[0];
      else if (!positive && predicted)
        ++rep.fp, ++r[1];
      else if (!positive)
        ++rep.tn, ++r[2];
      else
        ++rep.fn, ++r[3];
    }
  }
  std::vector<double> ttds;
  for (const auto& [ip, from] : truth.infected_from_ms) {
    ++rep.bots;
    auto& hr = rep.hosts_by_role[role_of(ip)];
    ++hr[0];
    auto u = truth.infected_until_ms.find(ip);
    const int64_t until = u == truth.infected_until_ms.end() ? INT64_MAX : u->second;
    int64_t opened = INT64_MAX;
    for (const Incident* inc : by_host[ip])
      if (inc->first_seen_ms < until && inc->last_seen_ms >= from) opened = std::min(opened, inc->opened_ms);
    if (opened == INT64_MAX) continue;
    ++rep.bots_detected;
    ++hr[1];
    const double ttd = static_cast<double>(std::max<int64_t>(0, opened - from)) / 1000.0;
    if (ttd <= 4 * 3600) ++hr[2];
    ttds.push_back(ttd);
  }
  if (!ttds.empty()) {
    std::sort(ttds.begin(), ttds.end());
    double sum = 0;
    for (double t : ttds) sum += t;
    rep.mean_ttd_s = sum / static_cast<double>(ttds.size());
    rep.max_ttd_s = ttds.back();
    const size_t n = ttds.size();
    rep.median_ttd_s = n % 2 ? ttds[n / 2] : (ttds[n / 2 - 1] + ttds[n / 2]) / 2;
    rep.p90_ttd_s = ttds[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1];
  }
  for (const auto& [ip, role] : truth.roles) {
    if (host_role_infected(role) || by_host[ip].empty()) continue;
    ++rep.legit_flagged;
    for (const Incident* inc : by_host[ip])
      rep.legit_incidents.push_back(std::string(host_role_name(role)) + " " + incident_json(*inc));
    if (role == HostRole::kBusinessMta) {
      ++rep.mail_servers_flagged;
      if (blocked_hosts.count(ip)) ++rep.mail_servers_blocked;
    }
  }
  return rep;
}

}  // namespace rampart::flows

#!/usr/bin/env python3
"""flows_gen.py - blind flow populations for bot detection (issue 13).

SYNOPSIS
  python3 bench/blind/flows_gen.py --seed N --out DIR [--population NAME] [--scale F]
  python3 bench/blind/flows_gen.py --list

DESCRIPTION
  Writes DIR/flows.binetflow (CTU-13 / Argus bidirectional flows, sorted by
  StartTime, UTC), DIR/hosts.csv (host,role,infected_from,infected_until) and
  DIR/meta.json (subscribers and mail_servers CIDRs for `rampart flows detect`),
  per bench/blind/README.md and the shared interface (BLIND-FORMAT). Written from
  published descriptions (CTU-13, Garcia et al. 2014, and the others in README.md)
  without reading the detector.

  Populations:
    campus      one day of a university network in the style of CTU-13 scenarios
                1, 2 and 9: Neris-like heavy spam bots (SMTP to many MX hosts,
                most attempts unanswered, DNS, HTTP C&C, click fraud), Virut-like
                bots (SMTP and submission spam, scans, IRC, a proxy port), a few
                stealthy bots, lab NATs, campus mail servers, 500 workstations.
    isp_access  three days of a residential/business access network: low-and-slow
                spam bots, relay abusers with stolen credentials, a few heavy
                bots, NAT gateways (clean and with one infected client), mail
                servers of business customers; infections start mid-capture and
                some are cleaned up before the end.

  Deterministic for a seed; streamed (one pending flow per activity). Scale
  multiplies the number of hosts of each role.

DIAGNOSTICS
  Exit 2 on a bad argument (unknown population, scale <= 0).
"""

import csv
import heapq
import ipaddress
import os
import sys
import time
heappop, heappush = heapq.heappop, heapq.heappush

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import DAY, HOUR  # noqa: E402

HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"

POPULATIONS = {
    "campus": dict(start=1770714000, hours=24, subscribers=["151.81.0.0/16"], mail_servers=["151.81.80.0/28"],
                   prefix="151.81", resolver="151.81.1.53", infra="151.81.1", tz=1, residential=False,
                   normal=500, mail=3, nat=4, nat_clients=(15, 60), heavy_neris=10, heavy_virut=3, lowslow=3,
                   relay=2, nat_infected=1, mid_capture=0.5),
    "isp_access": dict(start=1771200000, hours=72, subscribers=["81.40.0.0/18", "83.150.128.0/18"],
                       mail_servers=["83.150.190.0/27"], prefix=None, resolver="81.40.255.53", infra="81.40.255",
                       tz=1, residential=True, normal=700, mail=6, nat=10, nat_clients=(8, 60), heavy_neris=0,
                       heavy_cutwail=4, heavy_virut=0, lowslow=20, relay=10, nat_infected=6, mid_capture=0.9),
}

# First octets never used for Internet hosts: private/special ranges and the populations' own
# subscriber space (so no outside server falls inside --subscribers).
OUTSIDE_EXCLUDED = frozenset((10, 100, 127, 169, 172, 192, 198, 203, 81, 83, 151))
BIG_PROVIDERS = 6  # mailbox providers whose MX and submission hosts everyone uses


class Clock:
    """StartTime text with the day part cached."""

    def __init__(self):
        self.days = {}

    def fmt(self, t):
        day = int(t // DAY)
        d = self.days.get(day)
        if d is None:
            d = time.strftime("%Y/%m/%d ", time.gmtime(day * DAY))
            self.days[day] = d
        s = t - day * DAY
        si = int(s)
        us = int(round((s - si) * 1e6))
        if us >= 1000000:  # rounding reached the next second: keep it in this day's text
            us = 999999
        return "%s%02d:%02d:%02d.%06d" % (d, si // 3600, si // 60 % 60, si % 60, us)


CLOCK = Clock()


def flow(t, dur, proto, src, sport, dst, dport, state, pkts, tot, sb, label, answered=True):
    direc = "  <->" if proto == "udp" and state == "CON" else "   ->"
    return (t, "%s,%.6f,%s,%s,%d,%s,%s,%d,%s,0.0,%s,%d,%d,%d,%s\n" % (
        CLOCK.fmt(t), dur, proto, src, sport, direc, dst, dport, state, "0.0" if answered else "", pkts, tot, sb,
        label))


def tcp_ok(rng, t, src, dst, dport, label, up, down, dur):
    pkts = 6 + (up + down) // 1200 + rng.randint(0, 4)
    st = "FSPA_FSPA" if rng.random() < 0.9 else rng.choice(["FSRPA_FSPA", "SRPA_FSPA", "FSPA_FSRPA"])
    return flow(t, dur, "tcp", src, sport(rng), dst, dport, st, pkts, up + down + 40 * pkts, up + 20 * pkts, label)


def tcp_fail(rng, t, src, dst, dport, label):
    if rng.random() < 0.65:  # no answer: SYN and two retransmissions over ~9 s
        n = rng.choice([1, 2, 3, 3, 3])
        return flow(t, 0.0 if n == 1 else rng.uniform(2.9, 3.1) * (n - 1) * 1.5, "tcp", src, sport(rng), dst, dport,
                    "S_", n, 62 * n, 62 * n, label, answered=False)
    return flow(t, rng.uniform(0.02, 0.4), "tcp", src, sport(rng), dst, dport, "S_RA", 2, 122, 62, label)


def udp(rng, t, src, dst, dport, label, q, r):
    return flow(t, rng.uniform(0.0002, 0.08), "udp", src, sport(rng), dst, dport, "CON", 2, q + r, q, label)


def sport(rng):
    return rng.randint(1025, 65535)


class Net:
    """The outside world: resolvers, web servers, MX hosts, submission servers."""

    def __init__(self, w):
        rng = w.rng("internet")
        self.ips = w.ips
        self.web_popular = [self.public(rng) for _ in range(300)]
        self.big_mx = [[self.public(rng) for _ in range(4)] for _ in range(BIG_PROVIDERS)]
        self.big_sub = [self.public(rng) for _ in range(BIG_PROVIDERS)]  # submission/IMAP hosts
        self.smarthost = w.p["infra"] + ".25"
        self.imap = w.p["infra"] + ".143"
        self.resolver = w.p["resolver"]
        self.ntp = [self.public(rng) for _ in range(4)]
        self.public_dns = [self.public(rng) for _ in range(3)]

    def public(self, rng):
        while True:
            a = rng.randint(2, 223)
            if a in OUTSIDE_EXCLUDED:
                continue
            ip = "%d.%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
            if self.ips.take(ip):
                return ip

    def random_ip(self, rng):
        """A host of the long tail (not checked for uniqueness: fresh with overwhelming odds)."""
        while True:
            a = rng.randint(2, 223)
            if a not in OUTSIDE_EXCLUDED:
                return "%d.%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))

    def web(self, rng):
        if rng.random() < 0.7:
            i = min(int(rng.paretovariate(1.1)) - 1, len(self.web_popular) - 1)
            return self.web_popular[i]
        return self.random_ip(rng)


class World:
    def __init__(self, seed, pop, scale):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.p = POPULATIONS[pop]
        self.t0 = self.p["start"]
        self.t1 = self.t0 + self.p["hours"] * HOUR
        self.ips = common.IpAlloc()
        self.streams = []
        self.hosts = []  # (host, role, from, until)
        self.net = Net(self)

    def rng(self, *parts):
        return common.rng_for(self.seed, self.pop, *parts)

    def add(self, gen):
        idx = len(self.streams)
        self.streams.append(((t, idx, k, text) for k, (t, text) in enumerate(gen)))

    def n(self, key, minimum=1):
        return common.scaled(self.p.get(key, 0), self.scale, minimum) if self.p.get(key, 0) else 0

    def subscriber_ip(self, rng, block=None):
        while True:
            if block:  # an ipaddress network: a host inside it
                ip = str(block[rng.randint(1, block.num_addresses - 2)])
            elif self.p["prefix"]:
                ip = "%s.%d.%d" % (self.p["prefix"], rng.randint(2, 250), rng.randint(2, 254))
                if ip.startswith(self.p["infra"] + ".") or ip.startswith(self.p["prefix"] + ".80."):
                    continue
            else:
                if rng.random() < 0.5:
                    ip = "81.40.%d.%d" % (rng.randint(0, 62), rng.randint(2, 254))
                else:
                    ip = "83.150.%d.%d" % (rng.randint(128, 189), rng.randint(2, 254))
            if self.ips.take(ip):
                return ip


def ordered(batches):
    """Flows from batches [(t_batch, [flows...]), ...] with increasing t_batch, each flow starting at or
    after its batch time, in StartTime order."""
    h = []
    n = 0
    last = float("-inf")
    for tb, fl in batches:
        if tb < last:
            raise AssertionError("activity batches out of order: %f after %f" % (tb, last))
        last = tb
        while h and h[0][0] <= tb:
            x = heappop(h)
            yield (x[0], x[2])
        for f in fl:
            n += 1
            heappush(h, (f[0], n, f[1]))
    while h:
        x = heappop(h)
        yield (x[0], x[2])


def clip(w, gen):
    for f in gen:
        if f[0] >= w.t1:
            return
        if f[0] >= w.t0:
            yield f


# ------------------------------------------------------------------ normal activity
def user_sessions(w, rng, residential):
    """(start, end) periods when a person uses the machine; evenings for homes, office hours on
    campus, with some night owls."""
    out = []
    tz = w.p["tz"]
    for d in range(-1, int(w.p["hours"] / 24) + 2):
        day0 = (int(w.t0 // DAY) + d) * DAY - tz * HOUR
        k = rng.choice([0, 1, 1, 2, 2, 3]) if residential else rng.choice([1, 2, 2, 3])
        for _ in range(k):
            if residential:
                h = rng.choice([7, 8, 12, 17, 18, 19, 19, 20, 20, 21, 21, 22, 23]) + rng.random()
            else:
                h = rng.choice([8, 9, 9, 10, 11, 13, 14, 14, 15, 16, 19, 22]) + rng.random()
            s = day0 + h * HOUR
            out.append((s, s + rng.uniform(0.3, 3.0) * HOUR))
    out.sort()
    merged = []
    for s, e in out:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def web_activity(w, rng, src, sessions, label, rate_per_min):
    """Page loads: a DNS lookup or two, then 2-15 HTTP(S) connections, mostly to popular sites."""
    net = w.net
    lab_dns, lab_web = label + "-UDP-DNS", label + "-TCP-Established-HTTP"
    for s, e in sessions:
        for t in common.poisson_times(rng, max(s, w.t0 - 60), min(e, w.t1), rate_per_min * 60):
            fl = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                fl.append(udp(rng, t + rng.uniform(0, 0.05), src, net.resolver, 53, lab_dns, rng.randint(60, 90),
                              rng.randint(90, 400)))
            for _ in range(rng.randint(1, 8)):
                dst = net.web(rng)
                tt = t + rng.uniform(0.05, 3)
                r = rng.random()
                if r < 0.02:
                    fl.append(tcp_fail(rng, tt, src, dst, rng.choice([80, 443]), label + "-TCP-Attempt"))
                    continue
                down = int(rng.lognormvariate(9.5, 1.6))
                fl.append(tcp_ok(rng, tt, src, dst, 443 if rng.random() < 0.85 else 80, lab_web,
                                 int(rng.uniform(400, 2500)), down, rng.uniform(0.1, 60)))
            yield t, fl


def mail_client(w, rng, src, sessions, label, sends_per_day, port25_smarthost, provider):
    """A mail user agent: IMAP (993) polls every few minutes while the machine is on; messages
    submitted on 587/465 (or, old configurations, port 25 to the provider's smarthost)."""
    net = w.net
    if provider is None:
        imap, sub = net.imap, net.smarthost
    else:
        imap = sub = net.big_sub[provider]
    poll = rng.uniform(4, 20) * 60
    sub_port = 25 if port25_smarthost else rng.choice([587, 587, 465])
    per_hour = sends_per_day / 24.0 * 3
    for s, e in sessions:
        t = max(s, w.t0 - 60) + rng.uniform(0, poll)
        sends = list(common.poisson_times(rng, max(s, w.t0 - 60), min(e, w.t1), per_hour))
        k = 0
        while t < min(e, w.t1):
            while k < len(sends) and sends[k] <= t:
                ts = sends[k]
                k += 1
                yield ts, [tcp_ok(rng, ts, src, sub, sub_port, label + "-TCP-Established-SMTP-Submission",
                                  int(rng.lognormvariate(9.3, 1.3)) + 1500, rng.randint(900, 1800), rng.uniform(0.4, 6))]
            yield t, [tcp_ok(rng, t, src, imap, 993, label + "-TCP-Established-IMAPS", rng.randint(800, 3000),
                             int(rng.lognormvariate(7.5, 1.5)), rng.uniform(0.2, 30))]
            t += poll * rng.uniform(0.8, 1.2)
        for ts in sends[k:]:
            yield ts, [tcp_ok(rng, ts, src, sub, sub_port, label + "-TCP-Established-SMTP-Submission",
                              int(rng.lognormvariate(9.3, 1.3)) + 1500, rng.randint(900, 1800), rng.uniform(0.4, 6))]


def background(w, rng, src, label):
    """Always-on device chatter: NTP, telemetry and update checks over HTTPS."""
    net = w.net
    for t in common.poisson_times(rng, w.t0, w.t1, rng.uniform(2, 8)):
        if rng.random() < 0.15:
            yield t, [udp(rng, t, src, rng.choice(net.ntp), 123, label + "-UDP-NTP", 76, 76)]
        else:
            yield t, [tcp_ok(rng, t, src, net.web_popular[rng.randrange(20)], 443, label + "-TCP-Established-HTTPS",
                             rng.randint(600, 3000), rng.randint(1000, 20000), rng.uniform(0.1, 5))]


def p2p(w, rng, src, sessions, label):
    """A BitTorrent client: UDP and TCP to many peers (many distinct destinations, not mail)."""
    for s, e in sessions:
        for t in common.poisson_times(rng, max(s, w.t0), min(e, w.t1), rng.uniform(100, 600)):
            peer = w.net.random_ip(rng)
            if rng.random() < 0.6:
                f = udp(rng, t, src, peer, rng.randint(1025, 65535), label + "-UDP-P2P", rng.randint(60, 200),
                        rng.randint(0, 1500))
            elif rng.random() < 0.5:
                f = tcp_fail(rng, t, src, peer, rng.randint(1025, 65535), label + "-TCP-Attempt-P2P")
            else:
                f = tcp_ok(rng, t, src, peer, rng.randint(1025, 65535), label + "-TCP-Established-P2P",
                           rng.randint(500, 200000), rng.randint(500, 900000), rng.uniform(1, 300))
            yield t, [f]


def work_smtp(w, rng, src, label):
    """A laptop whose mail client relays through the employer's server on port 25 (a few a day)."""
    server = w.net.public(rng)
    for t in common.poisson_times(rng, w.t0, w.t1, rng.uniform(0.05, 0.3),
                                  common.diurnal_profile(14, 0.9), w.p["tz"]):
        yield t, [tcp_ok(rng, t, src, server, 25, label + "-TCP-Established-SMTP", int(rng.lognormvariate(9.3, 1.2)),
                         rng.randint(700, 1500), rng.uniform(0.5, 5))]


def normal_host(w, i, src=None, residential=None, label="flow=From-Normal", scale_rate=1.0):
    rng = w.rng("normal", i)
    residential = w.p["residential"] if residential is None else residential
    src = src or w.subscriber_ip(rng)
    sessions = user_sessions(w, rng, residential)
    rate = rng.uniform(0.1, 1.0) * scale_rate
    gens = [web_activity(w, rng, src, sessions, label, rate), background(w, rng, src, label)]
    r = rng.random()
    if r < 0.75:
        provider = None if rng.random() < 0.4 else rng.randrange(BIG_PROVIDERS)
        on = sessions if rng.random() < 0.6 else [(w.t0, w.t1)]
        gens.append(mail_client(w, rng, src, on, label, rng.uniform(0.2, 8), rng.random() < 0.1 and provider is None,
                                provider))
    if rng.random() < 0.06:
        gens.append(p2p(w, rng, src, sessions, label))
    if rng.random() < 0.02:
        gens.append(work_smtp(w, rng, src, label))
    return src, [clip(w, ordered(g)) for g in gens]


# ------------------------------------------------------------------ mail servers
def mail_server(w, i, block):
    """A legitimate MTA of a business customer or the campus: SMTP to many MX hosts (new ones
    every day: that is what mail servers do), almost all delivered; DNS lookups; inbound SMTP
    from the Internet (background, not sent by the host)."""
    rng = w.rng("mail", i)
    src = w.subscriber_ip(rng, block)
    net = w.net
    per_hour = 10 ** rng.uniform(1.0, 2.6)
    prof = common.diurnal_profile(14, 0.8)
    label = "flow=From-Normal-MailServer"
    known = [net.random_ip(rng) for _ in range(rng.randint(50, 400))]

    def out():
        for t in common.poisson_times(rng, w.t0, w.t1, per_hour, prof, w.p["tz"], weekend=0.4):
            r = rng.random()
            if r < 0.45:
                dst = rng.choice(net.big_mx[rng.randrange(BIG_PROVIDERS)])
            elif r < 0.8:
                dst = rng.choice(known)
            else:
                dst = net.random_ip(rng)
            fl = [udp(rng, t, src, net.resolver, 53, label + "-UDP-DNS", 70, 200)]
            tt = t + rng.uniform(0.01, 0.3)
            if rng.random() < 0.03:
                fl.append(tcp_fail(rng, tt, src, dst, 25, label + "-TCP-Attempt-SMTP"))
            else:
                fl.append(tcp_ok(rng, tt, src, dst, 25, label + "-TCP-Established-SMTP",
                                 int(rng.lognormvariate(9.6, 1.3)) + 800, rng.randint(600, 1400), rng.uniform(0.3, 8)))
            yield t, fl

    def inbound():
        for t in common.poisson_times(rng, w.t0, w.t1, per_hour * 1.5, prof, w.p["tz"]):
            peer = net.random_ip(rng)
            yield t, [tcp_ok(rng, t, peer, src, 25, "flow=Background-TCP-Established", int(rng.lognormvariate(9.5, 1.4)),
                             rng.randint(600, 1400), rng.uniform(0.3, 8))]

    w.hosts.append((src, "mail_server", "", ""))
    return [clip(w, ordered(out())), clip(w, ordered(inbound())), clip(w, ordered(background(w, rng, src, label)))]


# ------------------------------------------------------------------ bots
class BotPlan:
    """When a bot is infected and active: from (mid-capture or from the start) until the end or
    until it is cleaned up."""

    def __init__(self, w, rng, mid_share):
        if rng.random() < mid_share:
            self.start = w.t0 + rng.uniform(0.05, 0.65) * (w.t1 - w.t0)
        else:
            self.start = w.t0 + rng.uniform(0, 0.02) * (w.t1 - w.t0)
        self.end = w.t1
        if rng.random() < 0.25:
            self.end = min(w.t1, self.start + rng.uniform(6, 30) * HOUR)
        self.end = max(self.end, self.start + HOUR)
        self.end = min(self.end, w.t1)


def cc_http(w, rng, src, plan, label, period, port=80):
    """Command-and-control check-ins to one server at a roughly fixed period."""
    cc = w.net.public(rng)
    t = plan.start + rng.uniform(0, 30)
    while t < plan.end:
        yield t, [tcp_ok(rng, t, src, cc, port, label + "-TCP-CC-HTTP", rng.randint(300, 900), rng.randint(200, 4000),
                         rng.uniform(0.1, 2))]
        t += period * rng.uniform(0.8, 1.2)


def spam_smtp(w, rng, src, plan, label, per_hour, fail_share, novel_share, big_share, dns, bursty=False,
              reject_share=0.3):
    """Direct-to-MX spam: per connection a DNS MX lookup (to the resolver or a public one), then
    port 25 to the MX; unanswered or reset attempts (blocklisted ranges, dead MX, port-25 filters),
    small rejected sessions, and delivered ones with a spam-sized message."""
    net = w.net
    seen = [net.random_ip(rng) for _ in range(30)]
    resolver = net.resolver if dns == "isp" else rng.choice(net.public_dns)
    t_on = plan.start
    while t_on < plan.end:
        if bursty:  # heavy bots receive a campaign, spam for a while, then idle
            t_off = min(plan.end, t_on + rng.uniform(0.5, 4) * HOUR)
        else:
            t_off = plan.end
        for t in common.poisson_times(rng, t_on, t_off, per_hour):
            r = rng.random()
            if r < big_share:
                dst = rng.choice(net.big_mx[rng.randrange(BIG_PROVIDERS)])
            elif r < big_share + novel_share:
                dst = net.random_ip(rng)
                if len(seen) < 5000:
                    seen.append(dst)
            else:
                dst = rng.choice(seen)
            fl = []
            if rng.random() < 0.6:
                fl.append(udp(rng, t, src, resolver, 53, label + "-UDP-DNS", rng.randint(60, 80), rng.randint(80, 300)))
            tt = t + rng.uniform(0.01, 0.5)
            x = rng.random()
            if x < fail_share:
                fl.append(tcp_fail(rng, tt, src, dst, 25, label + "-TCP-Attempt-SPAM"))
            elif x < fail_share + (1 - fail_share) * reject_share:
                fl.append(tcp_ok(rng, tt, src, dst, 25, label + "-TCP-Established-SPAM-Rejected", rng.randint(150, 600),
                                 rng.randint(200, 700), rng.uniform(0.2, 3)))
            else:
                fl.append(tcp_ok(rng, tt, src, dst, 25, label + "-TCP-Established-SPAM", rng.randint(1500, 9000),
                                 rng.randint(400, 1000), rng.uniform(0.5, 6)))
            yield t, fl
        if not bursty:
            break
        t_on = t_off + rng.uniform(0.5, 5) * HOUR


def relay_abuse(w, rng, src, plan, label):
    """Spam through stolen mailbox credentials: bursts of 80-300 authenticated submissions an hour
    (587/465) to the provider's smarthost or a webmail provider's submission host; quiet between
    bursts."""
    net = w.net
    targets = [(net.smarthost, 587)] + [(net.big_sub[k], rng.choice([587, 465])) for k in
                                        rng.sample(range(BIG_PROVIDERS), 2)]
    t = plan.start + rng.uniform(0, 2) * HOUR
    while t < plan.end:
        dst, port = rng.choice(targets)
        rate = rng.uniform(80, 300)
        b_end = min(plan.end, t + rng.uniform(0.3, 2.5) * HOUR)
        for tt in common.poisson_times(rng, t, b_end, rate):
            if rng.random() < 0.04:
                f = tcp_ok(rng, tt, src, dst, port, label + "-TCP-Established-Relay-AuthFail", rng.randint(300, 700),
                           rng.randint(300, 800), rng.uniform(0.2, 2))
            else:
                f = tcp_ok(rng, tt, src, dst, port, label + "-TCP-Established-Relay-SPAM", rng.randint(3000, 30000),
                           rng.randint(800, 1500), rng.uniform(0.5, 8))
            yield tt, [f]
        t = b_end + rng.uniform(1, 10) * HOUR


def scans(w, rng, src, plan, label, per_hour):
    """Virut-style propagation: short bursts of connection attempts to random addresses."""
    net = w.net
    t = plan.start + rng.uniform(0, 3) * HOUR
    while t < plan.end:
        port = rng.choice([445, 139, 80, 23, 3389])
        b_end = min(plan.end, t + rng.uniform(0.05, 0.5) * HOUR)
        for tt in common.poisson_times(rng, t, b_end, per_hour):
            yield tt, [tcp_fail(rng, tt, src, net.random_ip(rng), port, label + "-TCP-Attempt-Scan")]
        t = b_end + rng.uniform(0.5, 5.5) * HOUR


def click_fraud(w, rng, src, plan, label):
    """Neris-style click fraud: bursts of HTTP requests to advertising servers."""
    net = w.net
    ads = [net.public(rng) for _ in range(40)]
    t = plan.start + rng.uniform(0, 1) * HOUR
    while t < plan.end:
        b_end = min(plan.end, t + rng.uniform(0.1, 0.6) * HOUR)
        for tt in common.poisson_times(rng, t, b_end, rng.uniform(200, 900)):
            yield tt, [tcp_ok(rng, tt, src, rng.choice(ads), 80, label + "-TCP-Established-HTTP-Ad", rng.randint(300, 900),
                              rng.randint(300, 30000), rng.uniform(0.1, 3))]
        t = b_end + rng.uniform(0.3, 2.5) * HOUR


def irc(w, rng, src, plan, label):
    server = w.net.public(rng)
    t = plan.start + rng.uniform(0, 60)
    while t < plan.end:
        d = min(plan.end - t, rng.uniform(0.2, 3) * HOUR)
        yield t, [tcp_ok(rng, t, src, server, rng.choice([6667, 6667, 65520]), label + "-TCP-Established-IRC",
                         int(d / 60) * 80 + 300, int(d / 60) * 200 + 500, d)]
        t += d + rng.uniform(5, 120)


def bot_gens(w, rng, src, plan, kind, label):
    """The malware's flows for one bot of a kind."""
    if kind == "neris":
        per_hour = rng.uniform(600, 3000)
        return [spam_smtp(w, rng, src, plan, label, per_hour, rng.uniform(0.5, 0.85), 0.55, 0.2, "isp", bursty=False),
                cc_http(w, rng, src, plan, label, rng.uniform(120, 600)), click_fraud(w, rng, src, plan, label)]
    if kind == "virut":
        per_hour = rng.uniform(150, 900)
        return [spam_smtp(w, rng, src, plan, label, per_hour, rng.uniform(0.4, 0.8), 0.5, 0.25, "public", bursty=True),
                relay_abuse(w, rng, src, plan, label) if rng.random() < 0.3 else iter(()),
                scans(w, rng, src, plan, label, rng.uniform(500, 3000)), irc(w, rng, src, plan, label)]
    if kind == "cutwail":
        per_hour = rng.uniform(300, 2500)
        return [spam_smtp(w, rng, src, plan, label, per_hour, rng.uniform(0.3, 0.7), 0.6, 0.25, "isp", bursty=True),
                cc_http(w, rng, src, plan, label, rng.uniform(300, 1200), port=443)]
    if kind == "lowslow":
        per_hour = rng.uniform(2, 8)
        return [spam_smtp(w, rng, src, plan, label, per_hour, rng.uniform(0.05, 0.2), rng.uniform(0.6, 0.8),
                          rng.uniform(0.15, 0.3), "isp", bursty=False, reject_share=0.1),
                cc_http(w, rng, src, plan, label, rng.uniform(1800, 3600), port=443)]
    if kind == "relay":
        return [relay_abuse(w, rng, src, plan, label), cc_http(w, rng, src, plan, label, rng.uniform(600, 3600),
                                                                port=443)]
    raise ValueError(kind)


ROLE_OF = {"neris": "bot_heavy", "virut": "bot_heavy", "cutwail": "bot_heavy", "lowslow": "bot_lowslow",
           "relay": "bot_relay"}


def infected_host(w, i, kind, version):
    """A subscriber's machine (its owner keeps using it) infected with a bot of `kind`."""
    rng = w.rng("bot", kind, i)
    src, gens = normal_host(w, 100000 + version * 1000 + i)
    plan = BotPlan(w, rng, w.p["mid_capture"])
    label = "flow=From-Botnet-V%d" % version
    gens += [clip(w, ordered(g)) for g in bot_gens(w, rng, src, plan, kind, label)]
    w.hosts.append((src, ROLE_OF[kind], str(int(plan.start)), str(int(plan.end))))
    return gens


def nat_gateway(w, i, infected_kind=None, version=0):
    """A NAT gateway (office, dormitory, lab, small CGNAT): many clients' traffic on one address,
    including several mail clients; optionally one client infected mid-capture."""
    rng = w.rng("nat", i, infected_kind)
    src = w.subscriber_ip(rng)
    lo, hi = w.p["nat_clients"]
    k = common.scaled(rng.randint(lo, hi), max(w.scale, 0.25), 3)
    gens = []
    for c in range(k):
        _, g = normal_host(w, 200000 + i * 1000 + c + (500 if infected_kind else 0), src=src, scale_rate=0.5)
        gens += g
    role = "nat_gateway"
    f = u = ""
    if infected_kind:
        plan = BotPlan(w, rng, 1.0)
        label = "flow=From-Botnet-V%d" % version
        gens += [clip(w, ordered(g)) for g in bot_gens(w, rng, src, plan, infected_kind, label)]
        role, f, u = "nat_infected", str(int(plan.start)), str(int(plan.end))
    w.hosts.append((src, role, f, u))
    return gens


def inbound_background(w):
    """Traffic from the Internet to campus/ISP servers and P2P clients (CTU's Background)."""
    rng = w.rng("background")
    servers = [w.subscriber_ip(rng) for _ in range(8)]
    for s in servers:
        w.hosts.append((s, "normal", "", ""))  # they answer; they also send a little (background below)
    net = w.net

    def gen():
        for t in common.poisson_times(rng, w.t0, w.t1, 3000 * min(1.0, w.scale * 2)):
            dst = rng.choice(servers)
            peer = net.random_ip(rng)
            if rng.random() < 0.5:
                yield t, [flow(t, rng.uniform(0, 10), "udp", peer, sport(rng), dst, 13363, "CON", 4, 600, 300,
                               "flow=Background-UDP-Established")]
            else:
                yield t, [tcp_ok(rng, t, peer, dst, rng.choice([80, 443, 22]), "flow=Background-TCP-Established",
                                 rng.randint(300, 2000), rng.randint(500, 60000), rng.uniform(0.05, 20))]

    return [clip(w, ordered(gen()))] + [clip(w, ordered(background(w, rng, s, "flow=Background"))) for s in servers]


def build(seed, pop, scale):
    w = World(seed, pop, scale)
    p = w.p
    for i in range(w.n("normal", 5)):
        src, gens = normal_host(w, i)
        w.hosts.append((src, "normal", "", ""))
        for g in gens:
            w.add(g)
    block = ipaddress.ip_network(p["mail_servers"][0])
    for i in range(w.n("mail", 1)):
        for g in mail_server(w, i, block):
            w.add(g)
    for i in range(w.n("nat", 1)):
        for g in nat_gateway(w, i):
            w.add(g)
    version = 60
    for kind, key in (("neris", "heavy_neris"), ("virut", "heavy_virut"), ("cutwail", "heavy_cutwail"),
                      ("lowslow", "lowslow"), ("relay", "relay")):
        for i in range(w.n(key, 1)):
            for g in infected_host(w, i, kind, version):
                w.add(g)
        version += 1
    rng = w.rng("nat_infected")
    for i in range(w.n("nat_infected", 1)):
        kind = rng.choice(["lowslow", "lowslow", "relay", "cutwail"])
        for g in nat_gateway(w, 1000 + i, kind, version):
            w.add(g)
    for g in inbound_background(w):
        w.add(g)
    return w


def main(argv=None):
    a = common.parse_args(__doc__.split("\n")[1], POPULATIONS, "campus", argv)
    if a is None:
        return 0
    w = build(a.seed, a.population, a.scale)
    n = 0
    with open(os.path.join(a.out, "flows.binetflow"), "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write(HEADER)
        for item in heapq.merge(*w.streams):
            f.write(item[3])
            n += 1
    rows = sorted(set(w.hosts))
    with open(os.path.join(a.out, "hosts.csv"), "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["host", "role", "infected_from", "infected_until"])
        cw.writerows(rows)
    common.write_json(os.path.join(a.out, "meta.json"),
                      {"population": a.population, "seed": a.seed, "start": w.t0, "end": w.t1,
                       "subscribers": list(w.p["subscribers"]), "mail_servers": list(w.p["mail_servers"]),
                       "flows": n})
    return 0


if __name__ == "__main__":
    sys.exit(main())

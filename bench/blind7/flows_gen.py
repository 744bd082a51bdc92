#!/usr/bin/env python3
"""Blind round 7: flow-population generator (bot detection), CTU-13 .binetflow format.

Writes flows.binetflow, hosts.csv, meta.json into --out (see FORMAT.md).
Standard library only; deterministic for a given --seed/--population/--scale.

Populations:
  campus_neris  a ten-hour capture of a university network in the style of the
                CTU-13 scenarios: Neris/Virut-like heavy spam bots (SMTP to
                many MXs, MX lookups, HTTP C&C, click fraud), an Rbot-like IRC
                bot that scans 445, a NAT'ed dormitory with an infected client,
                campus mail servers, P2P users and ordinary hosts.
  isp_access    a two-day capture of an access ISP: low-and-slow spam bots with
                periodic HTTP(S) beacons, bots using stolen credentials through
                submission / smarthost / webmail, credential stuffing against
                submission and IMAP, CGN/business NAT gateways with infected
                clients, infections that start (and some that are cleaned)
                mid-capture, a few heavy bots, customer mail servers, small
                businesses that legitimately send newsletters via submission.
See README.md for the published descriptions used.
"""
import argparse
import bisect
import calendar
import json
import math
import os
import random
import time as _time

POPULATIONS = ("campus_neris", "isp_access")
HOUR = 3600


def ts(t):
    g = _time.gmtime(int(t))
    return "%04d/%02d/%02d %02d:%02d:%02d.%06d" % (g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec, int((t - int(t)) * 1e6))


class Net:
    def __init__(self, rng):
        self.r = rng
        self.avoid = {(158, 196), (158, 198), (81, 200), (81, 201)}

    def ext(self, pool=None):
        r = self.r
        while True:
            a = r.randint(1, 223)
            if a in (10, 127, 100, 169, 172, 192, 198, 203) or a >= 224:
                continue
            b = r.randint(0, 255)
            if (a, b) in self.avoid:        # never inside the monitored network
                continue
            return "%d.%d.%d.%d" % (a, b, r.randint(0, 255), r.randint(1, 254))

    def pool(self, n):
        return [self.ext() for _ in range(n)]


class Gen:
    def __init__(self, seed, pop, scale):
        self.r = random.Random("flows:%s:%d" % (pop, seed))
        self.net = Net(self.r)
        self.pop, self.seed, self.scale = pop, seed, scale
        r = self.r
        if pop == "campus_neris":
            self.t0 = calendar.timegm((2026, 8, 10, 9, 0, 0)) + r.randrange(1800)
            self.dur = 10 * HOUR
            self.base = (158, 196)
            self.subscribers = ["158.196.0.0/16"]
            self.mail_net = "158.196.2.0/27"
            self.tz = 2
        else:
            self.t0 = calendar.timegm((2026, 9, 14, 0, 0, 0)) + r.randrange(3600)
            self.dur = 48 * HOUR
            self.base = (81, 200)
            self.subscribers = ["81.200.0.0/17", "81.200.128.0/18"]
            self.mail_net = "81.200.191.0/24"
            self.tz = 1
        self.t1 = self.t0 + self.dur
        self.mail_servers = [self.mail_net]
        self.used = set()
        self.resolvers = ["%d.%d.250.%d" % (self.base[0], self.base[1] + 1 if pop == "isp_access" else self.base[1] + 2, i) for i in (53, 54)]
        # well-known external destinations
        self.cdn = self.net.pool(400)
        self.web = self.net.pool(3000)
        self.mx_world = self.net.pool(6000)              # other organisations' MX hosts
        self.providers = {  # mail providers: (submission/imap ip list)
            name: self.net.pool(r.randint(3, 8)) for name in ("bigmail", "outlookish", "regional", "esp_smarthost", "hoster")
        }
        self.ntp = self.net.pool(6)
        self.p2p = self.net.pool(5000)
        prof = [0.2, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 0.85, 1.0, 1.1, 1.1, 1.05, 1.05, 1.1, 1.1, 1.1, 1.1, 1.15, 1.3, 1.45, 1.4, 1.0, 0.5]
        self.prof = prof
        self.hosts = []   # (ip, role, inf_from, inf_until)
        self.actors = []

    def local_hour(self, t):
        return int(((t / 3600.0) + self.tz) % 24)

    def activity(self, t, kind="home"):
        h = self.local_hour(t)
        if kind == "office":
            wd = _time.gmtime(int(t)).tm_wday
            return (1.3 if 8 <= h < 18 else 0.08) * (0.15 if wd >= 5 else 1.0)
        if kind == "campus":
            return 1.4 if 8 <= h < 20 else (0.6 if 20 <= h or h < 1 else 0.15)
        return self.prof[h]

    def sub_ip(self, block=None):
        r = self.r
        while True:
            if self.pop == "campus_neris":
                ip = "158.196.%d.%d" % (r.choice(range(3, 255)), r.randint(2, 254))
            else:
                if block == "mail":
                    ip = "81.200.191.%d" % r.randint(2, 254)
                else:
                    ip = "81.200.%d.%d" % (r.choice(list(range(0, 128)) + list(range(128, 190))), r.randint(1, 254))
            if ip not in self.used:
                self.used.add(ip)
                return ip


LAB_BG = "flow=Background"
LAB_N = "flow=From-Normal-V7"
LAB_B = "flow=From-Botnet-V7"


def flow(out, t, proto, src, sport, d, dst, dport, state, pkts, tbytes, sbytes, label, dur):
    out.append((t, "%s,%.6f,%s,%s,%s,%s,%s,%s,%s,0,%s,%d,%d,%d,%s" % (
        ts(t), dur, proto, src, sport, d, dst, dport, state, "0" if proto != "icmp" else "", pkts, tbytes, sbytes, label)))


def eport(r):
    return r.randint(1025, 65535)


# --------------------------------------------------------------- traffic pieces
def dns(g, out, t, src, lab, name="A"):
    r = g.r
    q = r.randint(60, 95)
    ans = r.randint(90, 480) if r.random() < 0.97 else 0
    flow(out, t, "udp", src, eport(r), "  <->", r.choice(g.resolvers), 53, "CON" if ans else "INT", 2 if ans else 1, q + ans, q, lab + "-UDP-DNS", r.uniform(0.0003, 0.08) if ans else 0.0)


def tcp_sess(g, out, t, src, dst, dport, lab, kind="web", big=1.0):
    r = g.r
    if kind == "web":
        pk = int(r.lognormvariate(3.0, 1.3)) + 4
        sb = int(pk * r.uniform(60, 160) * 0.5 * big)
        tb = sb + int(pk * r.uniform(300, 1300) * (1 if big >= 1 else 0.5))
        dur = r.lognormvariate(1.0, 1.6)
    elif kind == "upload":
        pk = int(r.lognormvariate(4.5, 0.8)) + 10
        sb = int(pk * r.uniform(700, 1300))
        tb = sb + pk * 60
        dur = r.lognormvariate(1.5, 0.9)
    elif kind == "long":
        pk = int(r.lognormvariate(4.0, 1.2)) + 10
        sb = int(pk * r.uniform(80, 200))
        tb = sb + int(pk * r.uniform(200, 800))
        dur = r.uniform(60, 3600)
    else:  # small
        pk = r.randint(6, 16)
        sb = r.randint(400, 1500)
        tb = sb + r.randint(300, 2500)
        dur = r.uniform(0.05, 2.0)
    st = "FSPA_FSPA" if r.random() < 0.85 else r.choice(("SPA_SPA", "FSRPA_FSPA", "FSPA_FSRPA", "SRPA_SPA", "FPA_FPA"))
    flow(out, t, "tcp", src, eport(r), "   ->", dst, dport, st, pk, tb, sb, lab, dur)


def smtp(g, out, t, src, dst, lab, ok_p, msgs=1):
    r = g.r
    x = r.random()
    if x < ok_p:
        pk = 14 + 8 * msgs + r.randint(0, 10)
        sb = int(msgs * r.uniform(1500, 9000)) + 600
        flow(out, t, "tcp", src, eport(r), "   ->", dst, 25, r.choice(("FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA", "SRPA_FSPA")), pk, sb + pk * 70, sb,
             lab + "-TCP-Established-SPAM" if "Botnet" in lab else lab, r.uniform(0.8, 12) * (1 + 0.3 * msgs))
        return
    st = r.choice(("S_", "S_", "S_RA", "S_RA", "SR_", "FSPA_FSRPA", "SPA_FSRPA"))  # no answer / refused / blocked after banner
    pk = 1 if st == "S_" else (2 if st in ("S_RA", "SR_") else r.randint(5, 9))
    tb = pk * 62 if pk <= 2 else pk * 90
    flow(out, t, "tcp", src, eport(r), "   ->", dst, 25, st, pk, tb, tb // 2 if pk > 2 else tb, lab + "-TCP-Attempt-SPAM" if "Botnet" in lab else lab,
         0.0 if pk == 1 else r.uniform(0.01, 3.0 if pk <= 2 else 20))


# --------------------------------------------------------------- actors
class Host:
    role = "normal"

    def __init__(self, g, ip, kind):
        r = g.r
        self.ip, self.kind = ip, kind
        self.rate = r.lognormvariate(math.log(2.5 if g.pop == "isp_access" else 9), 0.8) * g.scale_host   # sessions per hour
        self.mail = r.random() < 0.55
        self.prov = r.choice(list(g.providers))
        self.p2p = r.random() < (0.06 if g.pop == "campus_neris" else 0.03)
        self.fav = r.sample(g.cdn, 6) + r.sample(g.web, 12)
        self.newsletter = None       # (start hours) small business sending newsletters by submission
        self.lab = LAB_N if r.random() < 0.05 else LAB_BG

    def gen(self, g, out, a, b):
        r = g.r
        lam = self.rate * g.activity(a, self.kind) * (b - a) / HOUR
        lab = self.lab
        for _ in range(poisson(r, lam)):
            t = a + (b - a) * r.random()
            n = 1 + int(r.expovariate(1 / 5.0))
            for i in range(n):
                tt = t + i * r.uniform(0.01, 3)
                if r.random() < 0.35:
                    dns(g, out, tt, self.ip, lab)
                dst = r.choice(self.fav) if r.random() < 0.5 else r.choice(g.web if r.random() < 0.6 else g.cdn)
                tcp_sess(g, out, tt + 0.02, self.ip, dst, 443 if r.random() < 0.8 else 80, lab + "-TCP-Established-HTTP", "web")
            if r.random() < 0.03:
                flow(out, t, "udp", self.ip, 123, "  <->", r.choice(g.ntp), 123, "CON", 2, 180, 90, lab + "-UDP-NTP", r.uniform(0.01, 0.2))
        if self.mail:
            for _ in range(poisson(r, 0.6 * g.activity(a, self.kind) * (b - a) / HOUR)):
                t = a + (b - a) * r.random()
                tcp_sess(g, out, t, self.ip, r.choice(g.providers[self.prov]), r.choice((993, 993, 993, 143, 995)), lab + "-TCP-Established-IMAP", "long")
                if r.random() < 0.25:
                    tcp_sess(g, out, t + 1, self.ip, r.choice(g.providers[self.prov]), r.choice((587, 587, 465)), lab + "-TCP-Established-SMTP", "upload")
        if self.p2p:
            for _ in range(poisson(r, 120 * (b - a) / HOUR)):
                t = a + (b - a) * r.random()
                peer = r.choice(g.p2p)
                if r.random() < 0.6:
                    ok = r.random() < 0.5
                    flow(out, t, "udp", self.ip, 51413, "  <->", peer, r.randint(1025, 65535), "CON" if ok else "INT", 2 if ok else 1, 300 if ok else 140, 140,
                         lab + "-UDP-P2P", r.uniform(0.05, 1.0) if ok else 0.0)
                else:
                    tcp_sess(g, out, t, self.ip, peer, r.randint(1025, 65535), lab + "-TCP-P2P", r.choice(("small", "web", "long")))
        if self.newsletter is not None:
            # a small business pushing its newsletter through its ESP's smarthost (authenticated submission)
            for hstart, count in self.newsletter:
                if a <= hstart < b:
                    conns = max(1, count // r.randint(20, 100))
                    for i in range(conns):
                        t = hstart + i * r.uniform(2, 30)
                        tcp_sess(g, out, t, self.ip, r.choice(g.providers["esp_smarthost"]), 587, lab + "-TCP-Established-SMTP", "upload", big=3)


class MailServer(Host):
    role = "mail_server"

    def __init__(self, g, ip, per_hour):
        super().__init__(g, ip, "office")
        self.per_hour = per_hour
        self.mail = False
        self.p2p = False
        self.lab = LAB_N

    def gen(self, g, out, a, b):
        r = g.r
        lam = self.per_hour * g.activity(a, "campus" if g.pop == "campus_neris" else "office") * (b - a) / HOUR
        for _ in range(poisson(r, lam)):
            t = a + (b - a) * r.random()
            dst = r.choice(g.mx_world) if r.random() < 0.7 else r.choice(g.mx_world[:300])
            dns(g, out, t - 0.05, self.ip, self.lab, "MX")
            smtp(g, out, t, self.ip, dst, self.lab + "-TCP-Established-SMTP", 0.93, msgs=1 + int(r.expovariate(0.7)))
        for _ in range(poisson(r, lam * 1.2)):    # inbound deliveries to this MX
            t = a + (b - a) * r.random()
            src = r.choice(g.mx_world) if r.random() < 0.8 else g.net.ext()
            if r.random() < 0.85:
                pk = r.randint(12, 60)
                sb = int(r.lognormvariate(8.5, 1.2)) + 800
                flow(out, t, "tcp", src, eport(r), "   ->", self.ip, 25, "FSPA_FSPA", pk, sb + pk * 70, sb, LAB_BG + "-TCP-Established", r.uniform(0.5, 15))
            else:
                flow(out, t, "tcp", src, eport(r), "   ->", self.ip, 25, "S_RA", 2, 122, 62, LAB_BG + "-TCP-Attempt", r.uniform(0.0, 0.3))
        super_lam = 4 * (b - a) / HOUR
        for _ in range(poisson(r, super_lam)):
            tcp_sess(g, out, a + (b - a) * r.random(), self.ip, r.choice(g.cdn), 443, self.lab + "-TCP-Established-HTTP", "small")


class NatGateway(Host):
    role = "nat_gateway"

    def __init__(self, g, ip, nclients, kind):
        r = g.r
        super().__init__(g, ip, kind)
        self.clients = [Host(g, ip, kind) for _ in range(nclients)]
        for c in self.clients:
            c.lab = LAB_BG
        self.bot = None

    def gen(self, g, out, a, b):
        for c in self.clients:
            c.gen(g, out, a, b)
        if self.bot:
            self.bot.gen(g, out, a, b)


def poisson(r, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= r.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))


class Bot:
    """Infected behaviour attached to an address (a host or a NAT gateway)."""

    def __init__(self, g, ip, kind, inf_from, inf_until, **kw):
        r = g.r
        self.ip, self.kind, self.a, self.b = ip, kind, inf_from, inf_until
        self.cc = g.net.pool(r.randint(1, 3))
        self.cc_port = r.choice((80, 80, 443, 8080)) if kind != "rbot" else 6667
        self.period = r.choice((60, 120, 180, 300, 600, 900, 1800)) if kind in ("lowslow", "relay", "stuffer") else r.choice((30, 60, 120, 300))
        self.jitter = r.uniform(0.02, 0.3)
        self.next_cc = inf_from + r.uniform(1, 60)
        self.mx = r.sample(g.mx_world, min(len(g.mx_world), r.randint(300, 3000))) + g.net.pool(r.randint(200, 2000))
        self.spam_rate = kw.get("spam_rate", 0)          # SMTP connections per hour while spamming
        self.ok_p = kw.get("ok_p", 0.5)
        self.on_off = kw.get("on_off", None)             # (on seconds, off seconds) campaign bursts
        self.scan_rate = kw.get("scan_rate", 0)
        self.click_rate = kw.get("click_rate", 0)
        self.relay_rate = kw.get("relay_rate", 0)
        self.stuff_rate = kw.get("stuff_rate", 0)
        self.targets = kw.get("targets") or []
        self.lab = LAB_B

    def active(self, t):
        if not (self.a <= t < self.b):
            return False
        if self.on_off:
            on, off = self.on_off
            return ((t - self.a) % (on + off)) < on
        return True

    def gen(self, g, out, a, b):
        r = g.r
        lo, hi = max(a, self.a), min(b, self.b)
        if hi <= lo:
            return
        lab = self.lab
        # C&C: periodic beacon (HTTP) or long IRC session
        while self.next_cc < hi:
            t = self.next_cc
            if t >= lo:
                if self.cc_port == 6667:
                    sb = r.randint(1000, 9000)
                    flow(out, t, "tcp", self.ip, eport(r), "   ->", self.cc[0], 6667, "SPA_SPA" if r.random() < 0.8 else "FSPA_FSPA", r.randint(20, 300),
                         sb + r.randint(2000, 30000), sb, lab + "-TCP-CC-IRC", r.uniform(200, 900))
                else:
                    if r.random() < 0.2:
                        dns(g, out, t - 0.1, self.ip, lab)
                    pk = r.randint(6, 12)
                    sb = r.randint(300, 900)
                    flow(out, t, "tcp", self.ip, eport(r), "   ->", r.choice(self.cc), self.cc_port, "FSPA_FSPA" if r.random() < 0.93 else "S_RA", pk,
                         sb + r.randint(200, 4000), sb, lab + "-TCP-CC-HTTP", r.uniform(0.1, 1.5))
            self.next_cc = t + self.period * (1 + r.uniform(-self.jitter, self.jitter))
        step = 60.0
        t = lo
        while t < hi:
            e = min(hi, t + step)
            if self.active(t):
                frac = (e - t) / HOUR
                if self.spam_rate:
                    for _ in range(poisson(r, self.spam_rate * frac)):
                        tt = t + (e - t) * r.random()
                        dst = r.choice(self.mx)
                        if r.random() < 0.5:
                            dns(g, out, tt - 0.05, self.ip, lab)
                        smtp(g, out, tt, self.ip, dst, lab, self.ok_p, msgs=1 + int(r.expovariate(1.0)))
                if self.scan_rate:
                    for _ in range(poisson(r, self.scan_rate * frac)):
                        tt = t + (e - t) * r.random()
                        st = r.choice(("S_", "S_", "S_", "S_RA"))
                        flow(out, tt, "tcp", self.ip, eport(r), "   ->", g.net.ext(), r.choice((445, 445, 445, 139, 135)), st, 1 if st == "S_" else 2,
                             62 if st == "S_" else 122, 62, lab + "-TCP-Attempt", 0.0 if st == "S_" else r.uniform(0.0, 0.3))
                if self.click_rate:
                    for _ in range(poisson(r, self.click_rate * frac)):
                        tt = t + (e - t) * r.random()
                        dns(g, out, tt - 0.05, self.ip, lab)
                        tcp_sess(g, out, tt, self.ip, r.choice(g.web), 80, lab + "-TCP-Established-HTTP-Ad", "small")
                if self.relay_rate:   # stolen credentials: authenticated submission / webmail
                    for _ in range(poisson(r, self.relay_rate * frac)):
                        tt = t + (e - t) * r.random()
                        dst, port = r.choice(self.targets)
                        tcp_sess(g, out, tt, self.ip, dst, port, lab + ("-TCP-Established-SMTP-Auth" if port != 443 else "-TCP-Established-HTTPS-Webmail"),
                                 "upload", big=r.uniform(1, 4))
                if self.stuff_rate:   # credential stuffing: many short logins against submission / IMAP / POP
                    for _ in range(poisson(r, self.stuff_rate * frac)):
                        tt = t + (e - t) * r.random()
                        dst, port = r.choice(self.targets)
                        pk = r.randint(8, 14)
                        sb = r.randint(250, 700)
                        flow(out, tt, "tcp", self.ip, eport(r), "   ->", dst, port, "FSPA_FSPA" if r.random() < 0.9 else "FSRPA_FSPA", pk, sb + r.randint(900, 4500),
                             sb, lab + "-TCP-Established-Login", r.uniform(0.2, 3.0))
            t = e


# --------------------------------------------------------------- populations
def build(g):
    r, S = g.r, g.scale
    g.scale_host = 1.0
    hosts = []     # (actor, role, inf_from, inf_until)
    t0, t1, D = g.t0, g.t1, g.dur

    def add(actor, role, a=None, b=None):
        hosts.append((actor, role, a, b))

    if g.pop == "campus_neris":
        n_norm = max(30, int(1300 * S))
        for _ in range(n_norm):
            add(Host(g, g.sub_ip(), "campus"), "normal")
        for i in range(3):
            ip = "158.196.2.%d" % (3 + i)
            g.used.add(ip)
            add(MailServer(g, ip, r.uniform(150, 600) * max(S, 0.2)), "mail_server")
        for i in range(3):
            add(NatGateway(g, g.sub_ip(), max(3, int(r.randint(20, 60) * S ** 0.5)), "campus"), "nat_gateway")
        # Neris-like heavy spam bots (CTU-13 scenario 9 had ten)
        for i in range(10):
            ip = g.sub_ip()
            a = t0 + (r.uniform(0, 0.1) if i < 7 else r.uniform(0.2, 0.6)) * D
            h = Host(g, ip, "campus")
            bot = Bot(g, ip, "neris", a, t1, spam_rate=r.uniform(800, 3000) * S ** 0.5, ok_p=r.uniform(0.3, 0.6), click_rate=r.uniform(30, 200),
                      on_off=(r.uniform(900, 3600), r.uniform(300, 2400)) if r.random() < 0.5 else None)
            add(Composite(h, bot), "bot_heavy", a, t1)
        # Rbot-like: IRC C&C + 445 scanning
        for i in range(2):
            ip = g.sub_ip()
            a = t0 + r.uniform(0.05, 0.5) * D
            add(Composite(Host(g, ip, "campus"), Bot(g, ip, "rbot", a, t1, scan_rate=r.uniform(1500, 6000) * S ** 0.5)), "bot_heavy", a, t1)
        # Virut-like client behind the dorm NAT
        nat = NatGateway(g, g.sub_ip(), max(4, int(40 * S ** 0.5)), "campus")
        a = t0 + r.uniform(0.15, 0.4) * D
        nat.bot = Bot(g, nat.ip, "virut", a, t1, spam_rate=r.uniform(300, 900) * S ** 0.5, ok_p=0.4)
        add(nat, "nat_infected", a, t1)
        # a low-and-slow bot on a lab machine, cleaned before the end
        ip = g.sub_ip()
        a = t0 + r.uniform(0.1, 0.3) * D
        bnd = t0 + r.uniform(0.7, 0.9) * D
        add(Composite(Host(g, ip, "campus"), Bot(g, ip, "lowslow", a, bnd, spam_rate=r.uniform(4, 20), ok_p=0.6)), "bot_lowslow", a, bnd)
    else:
        g.scale_host = 1.0
        n_norm = max(60, int(1500 * S))
        news_hosts = []
        for _ in range(n_norm):
            h = Host(g, g.sub_ip(), "home" if r.random() < 0.85 else "office")
            if h.kind == "office" and r.random() < 0.08:
                h.newsletter = [(t0 + r.uniform(0, 0.95) * D, int(r.lognormvariate(7.5, 1.0))) for _ in range(r.randint(1, 3))]
            add(h, "normal")
        for i in range(max(4, int(20 * S ** 0.5))):
            add(MailServer(g, g.sub_ip("mail"), r.lognormvariate(3.5, 1.0)), "mail_server")
        nat_kinds = []
        for i in range(max(6, int(30 * S ** 0.5))):
            add(NatGateway(g, g.sub_ip(), max(3, int(r.randint(5, 40) * S ** 0.5)), r.choice(("home", "office"))), "nat_gateway")
        # infected NAT gateways
        for i in range(8):
            nat = NatGateway(g, g.sub_ip(), max(3, int(r.randint(4, 40) * S ** 0.5)), r.choice(("home", "office")))
            a = t0 + r.uniform(0.0, 0.7) * D
            b = t1 if r.random() < 0.7 else a + r.uniform(0.1, 0.4) * D
            if r.random() < 0.6:
                nat.bot = Bot(g, nat.ip, "lowslow", a, b, spam_rate=r.uniform(3, 30), ok_p=r.uniform(0.4, 0.8))
            else:
                tg = [(ip, p) for ip in g.providers[r.choice(("bigmail", "outlookish", "hoster"))][:2] for p in (587, 465, 443)]
                nat.bot = Bot(g, nat.ip, "relay", a, b, relay_rate=r.uniform(10, 80), targets=tg)
            add(nat, "nat_infected", a, b)
        # low-and-slow spam bots (some infected mid-capture, some cleaned)
        for i in range(25):
            ip = g.sub_ip()
            a = t0 + (0 if r.random() < 0.4 else r.uniform(0.05, 0.8)) * D
            b = t1 if r.random() < 0.8 else min(t1, a + r.uniform(0.1, 0.5) * D)
            add(Composite(Host(g, ip, "home"), Bot(g, ip, "lowslow", a, b, spam_rate=r.uniform(2, 40), ok_p=r.uniform(0.3, 0.8),
                                                   on_off=(r.uniform(600, 7200), r.uniform(1800, 14400)) if r.random() < 0.5 else None)), "bot_lowslow", a, b)
        # relay abusers: stolen credentials via submission / smarthost / webmail, or credential stuffing
        for i in range(15):
            ip = g.sub_ip()
            a = t0 + (0 if r.random() < 0.3 else r.uniform(0.05, 0.8)) * D
            b = t1 if r.random() < 0.85 else min(t1, a + r.uniform(0.1, 0.4) * D)
            if i % 3 == 2:
                tg = [(ip2, p) for name in ("bigmail", "outlookish", "regional", "hoster") for ip2 in g.providers[name] for p in (587, 993, 995, 143, 465)]
                bot = Bot(g, ip, "stuffer", a, b, stuff_rate=r.uniform(200, 1500), targets=tg)
            else:
                prov = r.sample(("bigmail", "outlookish", "regional", "esp_smarthost", "hoster"), r.randint(1, 3))
                tg = [(ip2, p) for name in prov for ip2 in g.providers[name][:3] for p in r.sample((587, 465, 443, 25), 2)]
                bot = Bot(g, ip, "relay", a, b, relay_rate=r.uniform(15, 150), targets=tg,
                          on_off=(r.uniform(1800, 7200), r.uniform(3600, 21600)) if r.random() < 0.4 else None)
            add(Composite(Host(g, ip, "home"), bot), "bot_relay", a, b)
        # a few heavy (Neris/Cutwail-like) bots appearing mid-capture
        for i in range(4):
            ip = g.sub_ip()
            a = t0 + r.uniform(0.05, 0.85) * D
            b = t1 if r.random() < 0.5 else min(t1, a + r.uniform(0.05, 0.3) * D)
            add(Composite(Host(g, ip, "home"), Bot(g, ip, "neris", a, b, spam_rate=r.uniform(500, 2500) * S ** 0.5, ok_p=r.uniform(0.2, 0.5))), "bot_heavy", a, b)
    # inbound background noise: scans from the Internet to random subscribers
    g.hosts = hosts
    g.scan_rate = 3000 * S if g.pop == "isp_access" else 1500 * S


class Composite:
    def __init__(self, host, bot):
        self.ip = host.ip
        self.parts = (host, bot)

    def gen(self, g, out, a, b):
        for p in self.parts:
            p.gen(g, out, a, b)


def run(seed, pop, scale, outdir):
    g = Gen(seed, pop, scale)
    build(g)
    os.makedirs(outdir, exist_ok=True)
    r = g.r
    n = 0
    targets = [h[0].ip for h in g.hosts]
    with open(os.path.join(outdir, "flows.binetflow"), "w") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n")
        carry = []
        a = g.t0
        step = 600
        while a < g.t1:
            b = min(g.t1, a + step)
            out = carry
            carry = []
            for actor, role, x, y in g.hosts:
                actor.gen(g, out, a, b)
            for _ in range(poisson(r, g.scan_rate * (b - a) / HOUR)):
                t = a + (b - a) * r.random()
                st = r.choice(("S_", "S_", "S_RA", "S_RA", "SR_"))
                flow(out, t, "tcp", g.net.ext(), eport(r), "   ->", r.choice(targets), r.choice((22, 23, 23, 445, 3389, 80, 8080, 5060, 2323, 7547)), st,
                     1 if st == "S_" else 2, 60 if st == "S_" else 120, 60, LAB_BG + "-TCP-Attempt", 0.0 if st == "S_" else r.uniform(0, 0.5))
            out.sort(key=lambda x: x[0])
            lines = []
            last = b >= g.t1
            for t, line in out:
                if t >= a and not last:      # keep: later windows may still add slightly earlier flows (DNS before a session)
                    carry.append((t, line))
                elif g.t0 <= t < g.t1:
                    lines.append(line)
            f.write("\n".join(lines))
            if lines:
                f.write("\n")
            n += len(lines)
            a = b
    with open(os.path.join(outdir, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        for actor, role, x, y in sorted(g.hosts, key=lambda h: tuple(int(p) for p in h[0].ip.split("."))):
            f.write("%s,%s,%s,%s\n" % (actor.ip, role, "" if x is None else int(x), "" if y is None else int(min(y, g.t1))))
    meta = {"population": pop, "seed": seed, "start": g.t0, "end": g.t1, "subscribers": g.subscribers, "mail_servers": g.mail_servers, "flows": n}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="campus_neris", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    print(json.dumps(run(a.seed, a.population, a.scale, a.out)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Bidirectional flow (Argus .binetflow, CTU-13 layout) generator, blind round 8.

Writes flows.binetflow, hosts.csv and meta.json (see FORMAT.md) for one of two
populations:

  campus_neris  a university network captured for ~10 hours (CTU-13 style):
                workstations, labs, heavy legitimate users, the university's
                own mail servers and a student-dorm NAT; Neris-like heavy spam
                bots (SMTP to hundreds of MX, MX lookups, HTTP C&C, click fraud),
                an Rbot-like scanner, a Virut-like IRC-controlled spammer;
                some infections start mid-capture and one host is cleaned.
  isp_access    a residential/business ISP access network over 24 hours: home
                lines, small-business NAT gateways (some with an on-site mail
                server), an ISP mail cluster, heavy legitimate users (P2P,
                streaming, their own submission traffic); low-and-slow spam
                bots, bots with stolen credentials sending via submission /
                smarthost / webmail (bot_relay), HTTPS-beacon C&C, credential
                stuffing against IMAP/POP/submission, and NAT gateways with an
                infected client, infections starting mid-capture.

Python 3 standard library only; deterministic for a given --seed.
"""
import argparse
import calendar
import json
import math
import os
import random
import time as _time

HOUR = 3600


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        L = math.exp(-lam)
        k, p = 0, 1.0
        while True:
            p *= rng.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


DIURNAL_WORK = [0.05, 0.03, 0.03, 0.03, 0.03, 0.05, 0.15, 0.45, 0.85, 1.0, 1.0, 0.95,
                0.8, 0.95, 1.0, 0.95, 0.85, 0.6, 0.35, 0.25, 0.2, 0.15, 0.1, 0.07]
DIURNAL_HOME = [0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.45, 0.45, 0.4, 0.4, 0.45,
                0.5, 0.5, 0.5, 0.55, 0.65, 0.8, 0.95, 1.0, 1.0, 0.95, 0.8, 0.55]


class Pool:
    """External address pools (MX hosts, web/CDN servers, C&C, peers)."""

    def __init__(self, rng, n, first_octets):
        self.ips = []
        seen = set()
        while len(self.ips) < n:
            ip = "%d.%d.%d.%d" % (rng.choice(first_octets), rng.randrange(256), rng.randrange(256),
                                  rng.randint(1, 254))
            if ip not in seen:
                seen.add(ip)
                self.ips.append(ip)
        # Zipf-like popularity for web destinations
        self.cum = []
        s = 0.0
        for i in range(n):
            s += 1.0 / (i + 1) ** 0.9
            self.cum.append(s)

    def pick(self, rng):
        return self.ips[int(rng.random() * len(self.ips))]

    def popular(self, rng):
        x = rng.random() * self.cum[-1]
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.ips[lo]


class World:
    def __init__(self, seed, scale, population, start, hours, tz):
        self.rng = random.Random("flows/%s/%d" % (population, seed))
        self.scale = scale
        self.start = start
        self.end = start + hours * HOUR
        self.tz = tz
        self.out = []
        self.hosts = {}      # ip -> [role, inf_from, inf_until]
        self.actors = []
        rng = self.rng
        pub = [13, 20, 23, 31, 34, 35, 40, 52, 54, 64, 66, 69, 72, 74, 77, 81, 85, 87, 89, 91,
               93, 94, 104, 108, 142, 151, 157, 172, 173, 176, 178, 185, 188, 192, 193, 194,
               195, 198, 199, 204, 205, 207, 208, 209, 212, 213, 216, 217]
        self.web = Pool(rng, 6000, pub)
        self.cdn = Pool(rng, 300, [23, 104, 151, 172, 13, 52, 142])
        self.mx = Pool(rng, 40000, list(range(12, 224)))
        self.peers = Pool(rng, 20000, list(range(24, 224)))
        self.mailprov = Pool(rng, 24, [40, 52, 64, 74, 98, 104, 142, 172, 209])   # webmail / IMAP / submission
        self.ntp = Pool(rng, 8, [129, 131, 193, 194, 195, 212])
        self.adsrv = Pool(rng, 800, pub)

    def n(self, x, minimum=1):
        return max(minimum, int(round(x * self.scale)))

    def diurnal(self, t, table):
        h = int(((t % 86400) / HOUR + self.tz) % 24)
        return table[h]

    def add_host(self, ip, role, inf_from=None, inf_until=None):
        self.hosts[ip] = [role, inf_from, inf_until]

    def flow(self, t, dur, proto, src, sport, dirs, dst, dport, state, pkts, sbytes, dbytes, label,
             reply=True):
        if t < self.start or t >= self.end:
            return
        self.out.append((t, dur, proto, src, sport, dirs, dst, dport, state, reply, pkts,
                         sbytes + dbytes, sbytes, label))


def ri(rng, lo, hi):
    """Uniform integer in [lo, hi] (faster than Random.randint)."""
    return lo + int(rng.random() * (hi - lo + 1))


def eport(rng):
    return ri(rng, 49152, 65535) if rng.random() < 0.7 else ri(rng, 1024, 49151)


# ------------------------------------------------------------- flow primitives
# Each returns nothing and appends one flow.  `lab` is the label prefix, e.g.
# "flow=From-Botnet-V51" or "flow=Background".

def f_dns(w, t, src, resolver, lab, qtype_mx=False, fail=False):
    rng = w.rng
    q = ri(rng, 70, 95)
    a = 0 if fail else (ri(rng, 120, 480) if not qtype_mx else ri(rng, 150, 700))
    if fail:
        w.flow(t, 0.0, "udp", src, eport(rng), "   ->", resolver, 53, "INT", 1, q, 0,
               lab + "-UDP-Attempt-DNS", reply=False)
    else:
        w.flow(t, rng.uniform(0.0003, 0.08), "udp", src, eport(rng), "  <->", resolver, 53, "CON",
               2, q, a, lab + "-UDP-DNS")


def f_tcp(w, t, src, dst, dport, lab, kind, bytes_med=20000, sigma=1.6, dur_med=2.0):
    """A TCP connection.  kind: ok | syn (no answer) | rst (refused) | short."""
    rng = w.rng
    sp = eport(rng)
    if kind == "syn":
        n = rng.choice([1, 2, 3])
        w.flow(t, 0.0 if n == 1 else rng.uniform(2.9, 9.2), "tcp", src, sp, "   ->", dst, dport, "S_",
               n, 62 * n, 0, lab, reply=False)
        return
    if kind == "rst":
        w.flow(t, rng.uniform(0.0, 0.3), "tcp", src, sp, "   ->", dst, dport, "S_RA", 2, 62, 60, lab)
        return
    if kind == "short":
        b = ri(rng, 300, 1500)
        w.flow(t, rng.uniform(0.1, 3), "tcp", src, sp, "  <->", dst, dport,
               rng.choice(["FSPA_FSPA", "FSRPA_FSPA", "SRPA_FSPA"]), ri(rng, 6, 12), b // 3, b, lab)
        return
    tot = max(400, int(rng.lognormvariate(math.log(bytes_med), sigma)))
    up = max(200, int(tot * rng.uniform(0.05, 0.35)))
    pk = max(5, tot // ri(rng, 600, 1300))
    dur = min(3600.0, rng.lognormvariate(math.log(dur_med), 1.2))
    w.flow(t, dur, "tcp", src, sp, "  <->", dst, dport,
           rng.choice(["FSPA_FSPA", "FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA", "SPA_SPA", "FSPA_FSRPA"]),
           pk, up, tot - up, lab)


def f_smtp(w, t, src, dst, lab, outcome, port=25, msgs=1, msg_size=6000):
    """An SMTP / submission session.  outcome: ok | reject | syn | rst."""
    rng = w.rng
    if outcome in ("syn", "rst"):
        f_tcp(w, t, src, dst, port, lab + ("-TCP-Attempt-SPAM" if "Botnet" in lab else "-TCP-Attempt-SMTP"),
              outcome)
        return
    if outcome == "reject":   # banner, EHLO, MAIL, RCPT rejected (5xx), QUIT
        sb = ri(rng, 250, 700)
        w.flow(t, rng.uniform(0.3, 8), "tcp", src, eport(rng), "  <->", dst, port,
               rng.choice(["FSPA_FSPA", "FSRPA_FSPA", "FSPA_FSRPA"]), ri(rng, 9, 16), sb,
               ri(rng, 400, 1100), lab + ("-TCP-Established-SPAM" if "Botnet" in lab else "-TCP-SMTP"))
        return
    size = sum(max(800, int(rng.lognormvariate(math.log(msg_size), 0.8))) for _ in range(msgs))
    tls = port in (465, 587) or rng.random() < 0.6
    sb = size + ri(rng, 400, 900) + (3000 if tls else 0)
    db = ri(rng, 500, 1200) + (4500 if tls else 0)
    pk = 12 + size // 1000 + 2 * msgs
    w.flow(t, rng.uniform(0.4, 6) + 0.2 * msgs, "tcp", src, eport(rng), "  <->", dst, port,
           rng.choice(["FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA"]), pk, sb, db,
           lab + ("-TCP-Established-SPAM" if "Botnet" in lab else "-TCP-SMTP"))


# ---------------------------------------------------------------- behaviours

class User:
    """A person's device: DNS, web (HTTPS/HTTP/QUIC), mail client (IMAPS
    polling, occasional submission), NTP, OS/app telemetry beacons."""

    def __init__(self, w, ip, resolver, rate, table, lab, heavy=None, mail=True):
        rng = w.rng
        self.w, self.ip, self.res, self.rate, self.table, self.lab = w, ip, resolver, rate, table, lab
        self.heavy = heavy
        self.mail = mail and rng.random() < 0.7
        self.imap = w.mailprov.pick(rng)
        self.submit = w.mailprov.pick(rng)
        self.imap_period = rng.choice([300, 600, 900, 1800])
        self.next_imap = w.start + rng.uniform(0, self.imap_period)
        self.tele = [(w.cdn.pick(rng), rng.choice([900, 1800, 3600, 14400]),) for _ in range(ri(rng, 1, 3))]
        self.next_tele = [w.start + rng.uniform(0, p) for _, p in self.tele]
        self.sends_per_h = rng.choice([0, 0, 0.1, 0.2, 0.5])
        self.on = rng.random() < 0.95

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        lab = self.lab
        if self.on:
            lam = self.rate * self.table[int(((a % 86400) / HOUR + w.tz) % 24)] * (b - a) / HOUR
            n_sess = poisson(rng, lam / 25.0)   # page views / app sessions of ~25 flows
            for _ in range(n_sess):
                t = rng.uniform(a, b)
                for _ in range(ri(rng, 8, 40)):
                    tt = t + rng.expovariate(1 / 4.0)
                    r = rng.random()
                    if r < 0.3:
                        f_dns(w, tt, self.ip, self.res, lab, fail=rng.random() < 0.01)
                    elif r < 0.82:
                        f_tcp(w, tt, self.ip, w.web.popular(rng) if rng.random() < 0.7 else w.cdn.pick(rng), 443,
                              lab + "-TCP-Established-HTTPS", "ok" if rng.random() < 0.985 else
                              rng.choice(["syn", "rst"]), bytes_med=25000, dur_med=3)
                    elif r < 0.9:
                        f_tcp(w, tt, self.ip, w.web.popular(rng), 80, lab + "-TCP-Established-HTTP", "ok",
                              bytes_med=12000)
                    else:
                        w.flow(tt, rng.uniform(0.05, 30), "udp", self.ip, eport(rng), "  <->", w.cdn.pick(rng), 443,
                               "CON", ri(rng, 10, 400), ri(rng, 2000, 20000), ri(rng, 5000, 400000),
                               lab + "-UDP-Established-QUIC")
            if self.mail:
                for _ in range(poisson(rng, self.sends_per_h * (b - a) / HOUR *
                                       self.table[int(((a % 86400) / HOUR + w.tz) % 24)] * 2)):
                    f_smtp(w, rng.uniform(a, b), self.ip, self.submit, lab, "ok", port=rng.choice([587, 465]),
                           msg_size=rng.choice([4000, 20000, 300000]))
        if self.mail:
            while self.next_imap < b:
                if self.next_imap >= a:
                    f_tcp(w, self.next_imap, self.ip, self.imap, 993, lab + "-TCP-Established-IMAPS", "ok",
                          bytes_med=3000, dur_med=1.0)
                self.next_imap += self.imap_period * rng.uniform(0.95, 1.05)
        for i, (dst, p) in enumerate(self.tele):
            while self.next_tele[i] < b:
                if self.next_tele[i] >= a:
                    f_tcp(w, self.next_tele[i], self.ip, dst, 443, lab + "-TCP-Established-HTTPS", "ok",
                          bytes_med=5000, dur_med=0.5)
                self.next_tele[i] += p * rng.uniform(0.9, 1.1)
        if rng.random() < (b - a) / 14400:
            w.flow(rng.uniform(a, b), rng.uniform(0.01, 0.2), "udp", self.ip, 123, "  <->", w.ntp.pick(rng), 123,
                   "CON", 2, 90, 90, lab + "-UDP-NTP")
        if self.heavy == "p2p":
            act = self.table[int(((a % 86400) / HOUR + w.tz) % 24)]
            for _ in range(poisson(rng, 400 * act * (b - a) / HOUR)):
                t = rng.uniform(a, b)
                peer = w.peers.pick(rng)
                r = rng.random()
                if r < 0.45:
                    w.flow(t, rng.uniform(0, 2), "udp", self.ip, 51413, "  <->", peer, ri(rng, 1024, 65535),
                           "CON", ri(rng, 2, 6), ri(rng, 100, 400), ri(rng, 100, 600), lab + "-UDP-Established-P2P")
                elif r < 0.75:
                    w.flow(t, 0.0, "udp", self.ip, 51413, "   ->", peer, ri(rng, 1024, 65535), "INT", 1,
                           ri(rng, 60, 140), 0, lab + "-UDP-Attempt-P2P", reply=False)
                else:
                    f_tcp(w, t, self.ip, peer, ri(rng, 1024, 65535), lab + "-TCP-P2P",
                          rng.choice(["ok", "syn", "rst", "ok"]), bytes_med=200000, dur_med=60)
        elif self.heavy == "stream":
            act = self.table[int(((a % 86400) / HOUR + w.tz) % 24)]
            for _ in range(poisson(rng, 120 * act * (b - a) / HOUR)):
                f_tcp(w, rng.uniform(a, b), self.ip, w.cdn.pick(rng), 443, lab + "-TCP-Established-HTTPS", "ok",
                      bytes_med=2500000, sigma=1.0, dur_med=10)


class MailServer:
    """A legitimate outbound MTA (university / ISP / small business)."""

    def __init__(self, w, ip, resolver, per_hour, lab, table):
        self.w, self.ip, self.res, self.per_hour, self.lab, self.table = w, ip, resolver, per_hour, lab, table
        self.smarthost_in = w.mailprov.pick(w.rng)

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        act = 0.3 + self.table[int(((a % 86400) / HOUR + w.tz) % 24)]
        for _ in range(poisson(rng, self.per_hour * act * (b - a) / HOUR)):
            t = rng.uniform(a, b)
            dst = w.mx.popular(rng) if rng.random() < 0.6 else w.mx.pick(rng)
            if rng.random() < 0.3:
                f_dns(w, t - 0.05, self.ip, self.res, self.lab, qtype_mx=True)
            r = rng.random()
            out = "ok" if r < 0.94 else ("reject" if r < 0.975 else ("syn" if r < 0.99 else "rst"))
            f_smtp(w, t, self.ip, dst, self.lab, out, msgs=rng.choice([1, 1, 1, 2, 5]),
                   msg_size=rng.choice([5000, 15000, 60000]))
            # inbound delivery to this server from outside
        for _ in range(poisson(rng, self.per_hour * 1.2 * act * (b - a) / HOUR)):
            src = w.mx.pick(rng)
            t = rng.uniform(a, b)
            sz = max(800, int(rng.lognormvariate(math.log(8000), 1.0)))
            w.flow(t, rng.uniform(0.5, 8), "tcp", src, eport(rng), "  <->", self.ip, 25, "FSPA_FSPA",
                   10 + sz // 1000, sz + 600, 900, "flow=Background-TCP-Established")
        # IMAP/webmail from the outside world to the server
        for _ in range(poisson(rng, self.per_hour * 0.3 * act * (b - a) / HOUR)):
            w.flow(rng.uniform(a, b), rng.uniform(1, 600), "tcp", w.peers.pick(rng), eport(rng), "  <->",
                   self.ip, rng.choice([993, 443, 587]), "FSPA_FSPA", ri(rng, 10, 200),
                   ri(rng, 1000, 20000), ri(rng, 2000, 400000), "flow=Background-TCP-Established")


class Bot:
    """Malicious behaviour of one infected device, active in [t0, t1).

    kind:
      neris      heavy spam: SMTP to many MX (many refused/unanswered), MX DNS
                 lookups, HTTP C&C polling, click-fraud HTTP bursts
      rbot       scanning 445/139/135 at high rate + IRC-ish C&C
      virut      IRC C&C (long-lived 6667/tcp) + bursty spam
      lowslow    direct-to-MX spam at a few messages per hour, HTTPS beacon C&C
      beacon     HTTPS C&C beacon only (periodic with jitter), rare tasks
      relay      stolen credentials: SMTP AUTH via submission to a few
                 smarthosts / webmail HTTPS posting, many messages per session
      stuffing   credential stuffing: short logins against many IMAP/POP/
                 submission servers
    """

    def __init__(self, w, ip, resolver, kind, t0, t1, lab, intensity=1.0):
        rng = w.rng
        self.w, self.ip, self.res, self.kind = w, ip, resolver, kind
        self.t0, self.t1, self.lab, self.k = t0, t1, lab, intensity
        self.cc = [w.web.pick(rng) for _ in range(ri(rng, 1, 3))]
        self.cc_period = {"neris": rng.choice([120, 300, 600]), "rbot": 60, "virut": 0,
                          "lowslow": rng.choice([600, 1200, 1800, 3600]),
                          "beacon": rng.choice([60, 120, 300, 600, 900]),
                          "relay": rng.choice([900, 1800]), "stuffing": rng.choice([300, 600])}[kind]
        self.jitter = rng.uniform(0.02, 0.3)
        self.next_cc = t0 + rng.uniform(0, max(1, self.cc_period))
        self.smarthosts = [w.mailprov.pick(rng) for _ in range(ri(rng, 1, 4))]
        self.stuff_targets = [w.mx.pick(rng) for _ in range(ri(rng, 50, 400))]
        self.irc_next = t0
        self.burst_on = True
        self.spam_rate = {"neris": 900, "rbot": 0, "virut": 500, "lowslow": rng.uniform(2, 20),
                          "beacon": 0, "relay": rng.uniform(20, 150), "stuffing": 0}[kind] * intensity
        self.webmail = rng.random() < 0.3

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        a, b = max(a, self.t0), min(b, self.t1)
        if a >= b:
            return
        lab = self.lab
        span = (b - a) / HOUR
        k = self.kind
        # C&C
        if self.cc_period:
            proto_port = 80 if k in ("neris", "rbot") else 443
            while self.next_cc < b:
                if self.next_cc >= a:
                    if k == "rbot":
                        f_tcp(w, self.next_cc, self.ip, self.cc[0], 6667, lab + "-TCP-CC-IRC", "ok", bytes_med=800,
                              dur_med=1)
                    else:
                        f_tcp(w, self.next_cc, self.ip, self.cc[int(rng.random() * len(self.cc))], proto_port,
                              lab + ("-TCP-CC-HTTP" if proto_port == 80 else "-TCP-CC-HTTPS"),
                              "ok" if rng.random() < 0.95 else "syn", bytes_med=1500, sigma=0.5, dur_med=0.5)
                self.next_cc += self.cc_period * (1 + rng.uniform(-self.jitter, self.jitter))
        if k == "virut":
            while self.irc_next < b:
                if self.irc_next >= a:
                    d = rng.uniform(600, 3600)
                    w.flow(self.irc_next, d, "tcp", self.ip, eport(rng), "  <->", self.cc[0], 6667, "SPA_SPA",
                           int(d / 30), int(d * 3), int(d * 8), lab + "-TCP-CC-IRC")
                    self.irc_next += d + rng.uniform(5, 120)
                else:
                    self.irc_next += 60
        # spam
        if k in ("neris", "virut", "lowslow"):
            rate = self.spam_rate
            if k == "virut":      # on/off bursts
                rate = rate * (2.5 if rng.random() < 0.35 else 0.0)
            n = poisson(rng, rate * span)
            for _ in range(n):
                t = rng.uniform(a, b)
                if rng.random() < (0.5 if k != "lowslow" else 0.9):
                    f_dns(w, t - rng.uniform(0.01, 0.3), self.ip, self.res, lab, qtype_mx=True,
                          fail=rng.random() < 0.05)
                dst = w.mx.pick(rng)
                r = rng.random()
                if k == "lowslow":
                    out = "ok" if r < 0.75 else ("reject" if r < 0.92 else ("syn" if r < 0.97 else "rst"))
                else:
                    out = "ok" if r < 0.35 else ("reject" if r < 0.55 else ("syn" if r < 0.85 else "rst"))
                f_smtp(w, t, self.ip, dst, lab, out, msgs=1, msg_size=rng.choice([2500, 4000, 9000]))
        if k == "neris":   # click fraud bursts
            for _ in range(poisson(rng, 2 * span * self.k)):
                t = rng.uniform(a, b)
                for _ in range(ri(rng, 10, 80)):
                    f_tcp(w, t + rng.uniform(0, 90), self.ip, w.adsrv.pick(rng), 80, lab + "-TCP-Established-HTTP-Ad",
                          "ok" if rng.random() < 0.9 else "syn", bytes_med=4000, dur_med=0.6)
        if k == "rbot":
            n = poisson(rng, 2500 * span * self.k)
            for _ in range(n):
                t = rng.uniform(a, b)
                dst = "%d.%d.%d.%d" % (ri(rng, 1, 223), rng.randrange(256), rng.randrange(256), ri(rng, 1, 254))
                port = rng.choice([445, 445, 139, 135, 1433, 3389])
                r = rng.random()
                if r < 0.05:
                    w.flow(t, 0.0, "icmp", self.ip, "0x0008", "   ->", dst, "0x0000", "ECO", 1, 92, 0,
                           lab + "-ICMP", reply=False)
                else:
                    f_tcp(w, t, self.ip, dst, port, lab + "-TCP-Attempt", "syn" if r < 0.85 else "rst")
        if k == "relay":
            n = poisson(rng, self.spam_rate * span)
            for _ in range(n):
                t = rng.uniform(a, b)
                if self.webmail:
                    f_tcp(w, t, self.ip, self.smarthosts[0], 443, lab + "-TCP-Established-HTTPS-Webmail", "ok",
                          bytes_med=15000, sigma=0.7, dur_med=1.5)
                else:
                    r = rng.random()
                    out = "ok" if r < 0.9 else ("reject" if r < 0.97 else "rst")
                    f_smtp(w, t, self.ip, self.smarthosts[int(rng.random() * len(self.smarthosts))], lab, out,
                           port=rng.choice([587, 587, 465, 25]), msgs=rng.choice([1, 1, 2, 5, 10]),
                           msg_size=rng.choice([3000, 6000]))
        if k == "stuffing":
            n = poisson(rng, 300 * span * self.k)
            for _ in range(n):
                t = rng.uniform(a, b)
                dst = self.stuff_targets[int(rng.random() * len(self.stuff_targets))]
                port = rng.choice([993, 995, 143, 110, 587, 465])
                r = rng.random()
                f_tcp(w, t, self.ip, dst, port, lab + "-TCP-Established-Login",
                      "short" if r < 0.8 else ("rst" if r < 0.9 else "syn"))
        if k == "beacon" and rng.random() < 0.05 * span:   # occasional task: download
            f_tcp(w, rng.uniform(a, b), self.ip, w.web.pick(rng), 443, lab + "-TCP-Established-HTTPS", "ok",
                  bytes_med=400000, dur_med=5)


class Nat:
    """A NAT gateway: the merged traffic of several client devices."""

    def __init__(self, w, ip, resolver, n_clients, table, lab, mailserver_rate=0.0):
        rng = w.rng
        self.actors = [User(w, ip, resolver, rng.lognormvariate(math.log(30), 0.8), table, lab,
                            heavy=rng.choice([None] * 12 + ["stream", "p2p"]))
                       for _ in range(n_clients)]
        if mailserver_rate:
            self.actors.append(MailServer(w, ip, resolver, mailserver_rate, lab, table))

    def run(self, a, b):
        for x in self.actors:
            x.run(a, b)


# ---------------------------------------------------------------- worlds

def hosts_in(rng, prefix3_list, n, taken):
    out = []
    while len(out) < n:
        p = rng.choice(prefix3_list)
        ip = "%s.%d" % (p, ri(rng, 2, 254))
        if ip not in taken:
            taken.add(ip)
            out.append(ip)
    return out


def world_campus(w):
    """~10 h capture of a /16 university network (CTU-13-like)."""
    rng = w.rng
    res = "147.32.80.9"   # campus resolver (infrastructure, not a subscriber host)
    nets = ["147.32.%d" % i for i in range(81, 100)]
    taken = {res}
    mail = ["147.32.80.%d" % i for i in (20, 21, 22, 23)]
    for ip in mail:
        taken.add(ip)
        w.add_host(ip, "mail_server")
        w.actors.append(MailServer(w, ip, res, max(5.0, rng.uniform(150, 500) * w.scale), "flow=From-Normal-V1-MTA",
                                   DIURNAL_WORK))
    n_users = w.n(1300, 20)
    users = hosts_in(rng, nets, n_users, taken)
    known_normal = set(rng.sample(users, max(1, len(users) // 20)))
    for ip in users:
        lab = "flow=From-Normal-V1" if ip in known_normal else "flow=Background"
        heavy = rng.choices([None, "p2p", "stream"], [90, 4, 6])[0]
        w.actors.append(User(w, ip, res, rng.lognormvariate(math.log(80), 0.9), DIURNAL_WORK, lab, heavy=heavy))
        w.add_host(ip, "normal")
    # Dorm NAT gateways (legitimate).
    for ip in hosts_in(rng, ["147.32.100"], w.n(3, 1), taken):
        w.actors.append(Nat(w, ip, res, ri(rng, 10, 40), DIURNAL_HOME, "flow=Background"))
        w.add_host(ip, "nat_gateway")
    # Bots: Neris-like heavy spam bots, an Rbot scanner, a Virut spammer.
    bots = hosts_in(rng, nets, w.n(30, 4), taken)
    order = ["neris", "virut", "rbot", "lowslow", "neris", "neris", "virut", "neris", "neris", "neris"]
    for i, ip in enumerate(bots):
        kind = order[i % len(order)]
        t0 = w.start + (rng.uniform(0, 0.2) if rng.random() < 0.6 else rng.uniform(0.2, 0.8)) * (w.end - w.start)
        t1 = w.end if rng.random() < 0.85 else t0 + rng.uniform(0.15, 0.4) * (w.end - w.start)
        t1 = min(t1, w.end)
        role = "bot_lowslow" if kind == "lowslow" else "bot_heavy"
        ver = {"neris": 42, "virut": 54, "rbot": 44, "lowslow": 43}[kind]
        w.actors.append(Split(w, ip, res, t0, t1, User(w, ip, res, rng.lognormvariate(math.log(80), 0.9),
                                                       DIURNAL_WORK, "flow=Background"),
                              Bot(w, ip, res, kind, t0, t1, "flow=From-Botnet-V%d" % ver,
                                  intensity=rng.uniform(0.4, 1.5))))
        w.add_host(ip, role, t0, t1)
    meta_subs = ["147.32.0.0/16"]
    meta_mail = ["147.32.80.20/30"]
    return meta_subs, meta_mail


class Split:
    """A host whose normal traffic is relabelled as botnet while infected
    (CTU-13 labels every flow of an infected IP during the infection)."""

    def __init__(self, w, ip, res, t0, t1, user, bot):
        self.w, self.t0, self.t1, self.user, self.bot = w, t0, t1, user, bot
        self.blab = bot.lab
        self.nlab = user.lab

    def run(self, a, b):
        w = self.w
        for lo, hi, lab in ((a, min(b, self.t0), self.nlab), (max(a, self.t0), min(b, self.t1), self.blab),
                            (max(a, self.t1), b, self.nlab)):
            if lo < hi:
                self.user.lab = lab
                self.user.run(lo, hi)
        self.bot.run(a, b)


class NatInfected:
    def __init__(self, w, nat, bot):
        self.nat, self.bot = nat, bot

    def run(self, a, b):
        self.nat.run(a, b)
        self.bot.run(a, b)


def world_isp(w):
    """24 h of an access network: home lines, business NATs, a mail cluster."""
    rng = w.rng
    res = "203.0.113.53"   # ISP resolver (infrastructure, not a subscriber host)
    taken = {res}
    nets = ["81.%d.%d" % (200 + i // 256, i % 256) for i in range(0, 160)] + \
           ["185.%d.%d" % (44 + i // 256, i % 256) for i in range(0, 40)]
    mailnet = "81.199.250"
    mail = ["%s.%d" % (mailnet, i) for i in range(10, 16)]
    for ip in mail:
        taken.add(ip)
        w.add_host(ip, "mail_server")
        w.actors.append(MailServer(w, ip, res, max(5.0, rng.uniform(300, 900) * w.scale), "flow=Background",
                                   DIURNAL_HOME))
    n_home = w.n(2500, 30)
    homes = hosts_in(rng, nets, n_home, taken)
    for ip in homes:
        heavy = rng.choices([None, "p2p", "stream"], [85, 6, 9])[0]
        w.actors.append(User(w, ip, res, rng.lognormvariate(math.log(15), 1.0), DIURNAL_HOME,
                             "flow=Background", heavy=heavy))
        w.add_host(ip, "normal")
    # Small businesses on static addresses running their own MTA (not part of
    # the ISP's mail-server ranges): legitimate direct-to-MX SMTP.
    for ip in hosts_in(rng, ["185.44.%d" % i for i in range(220, 224)], w.n(12, 1), taken):
        w.actors.append(MailServer(w, ip, res, rng.uniform(3, 40), "flow=Background", DIURNAL_WORK))
        w.actors.append(User(w, ip, res, rng.lognormvariate(math.log(40), 0.8), DIURNAL_WORK, "flow=Background"))
        w.add_host(ip, "normal")
    # Business NAT gateways; some run an on-site mail server behind the NAT.
    biz = ["185.44.%d" % i for i in range(200, 216)]
    for ip in hosts_in(rng, biz, w.n(40, 3), taken):
        ms = rng.uniform(5, 60) if rng.random() < 0.25 else 0.0
        w.actors.append(Nat(w, ip, res, ri(rng, 4, 30), DIURNAL_WORK, "flow=Background", mailserver_rate=ms))
        w.add_host(ip, "nat_gateway")
    # Bots on home lines.
    # one of each kind first, then in proportion 8:5:6:2:1
    kinds = ["lowslow", "relay", "beacon", "stuffing", "neris"] + \
        ["lowslow"] * 7 + ["beacon"] * 4 + ["relay"] * 5 + ["stuffing"] * 1
    n_bots = w.n(60, 5)
    bots = hosts_in(rng, nets, n_bots, taken)
    for i, ip in enumerate(bots):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        span = w.end - w.start
        if rng.random() < 0.5:
            t0 = w.start + rng.uniform(0, 0.05) * span
        else:
            t0 = w.start + rng.uniform(0.1, 0.85) * span       # infected mid-capture
        t1 = w.end if rng.random() < 0.9 else min(w.end, t0 + rng.uniform(0.1, 0.3) * span)
        role = {"lowslow": "bot_lowslow", "beacon": "bot_lowslow", "relay": "bot_relay",
                "stuffing": "bot_heavy", "neris": "bot_heavy"}[kind]
        ver = {"lowslow": 61, "beacon": 62, "relay": 63, "stuffing": 64, "neris": 42}[kind]
        user = User(w, ip, res, rng.lognormvariate(math.log(35), 1.0), DIURNAL_HOME, "flow=Background")
        w.actors.append(Split(w, ip, res, t0, t1, user, Bot(w, ip, res, kind, t0, t1, "flow=From-Botnet-V%d" % ver,
                                                            intensity=rng.uniform(0.3, 1.2))))
        w.add_host(ip, role, t0, t1)
    # NAT gateways with one infected client.
    for ip in hosts_in(rng, biz + nets[:20], w.n(10, 2), taken):
        nat = Nat(w, ip, res, ri(rng, 3, 25), rng.choice([DIURNAL_WORK, DIURNAL_HOME]), "flow=Background",
                  mailserver_rate=rng.uniform(5, 30) if rng.random() < 0.2 else 0.0)
        kind = rng.choice(["lowslow", "relay", "beacon", "lowslow", "relay", "neris", "stuffing"])
        span = w.end - w.start
        t0 = w.start + rng.uniform(0, 0.8) * span
        t1 = w.end
        bot = Bot(w, ip, res, kind, t0, t1, "flow=From-Botnet-V%d" % {"lowslow": 61, "beacon": 62, "relay": 63,
                                                                      "stuffing": 64, "neris": 42}[kind],
                  intensity=rng.uniform(0.3, 1.0))
        w.actors.append(NatInfected(w, nat, bot))
        w.add_host(ip, "nat_infected", t0, t1)
    return ["81.200.0.0/15", "185.44.0.0/16", "81.199.250.0/24"], ["81.199.250.0/28"]


POPS = {"campus_neris": (world_campus, calendar.timegm((2026, 11, 17, 7, 30, 0)), 10, 1),
        "isp_access": (world_isp, calendar.timegm((2026, 11, 18, 0, 0, 0)), 24, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="campus_neris", choices=sorted(POPS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    fn, start, hours, tz = POPS[a.population]
    w = World(a.seed, a.scale, a.population, start, hours, tz)
    subs, mails = fn(w)
    seen_src = set()
    count = 0
    tcache = {}
    step = 600
    carry = []
    with open(os.path.join(a.out, "flows.binetflow"), "w") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n")
        t = w.start
        while t < w.end:
            hi = min(w.end, t + step)
            w.out = carry
            for x in w.actors:
                x.run(t, hi)
            chunk = w.out
            # flows scheduled just before a boundary by look-ahead jitter may
            # fall into the next chunk: keep them for later
            chunk.sort(key=lambda r: r[0])
            # Keep a 120 s look-back margin: flows stamped slightly before the
            # chunk start (a DNS lookup preceding a connection) stay in order.
            lim = hi - 120 if hi < w.end else float("inf")
            cut = len(chunk)
            while cut > 0 and chunk[cut - 1][0] >= lim:
                cut -= 1
            carry = chunk[cut:]
            lines = []
            for r in chunk[:cut]:
                ts = r[0]
                sec = int(ts)
                s = tcache.get(sec)
                if s is None:
                    s = _time.strftime("%Y/%m/%d %H:%M:%S", _time.gmtime(sec))
                    if len(tcache) > 5000:
                        tcache.clear()
                    tcache[sec] = s
                us = int((ts - sec) * 1e6)
                if us > 999999:
                    us = 999999
                seen_src.add(r[3])
                lines.append("%s.%06d,%.6f,%s,%s,%s,%s,%s,%s,%s,0,%s,%d,%d,%d,%s" % (
                    s, us, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], "0" if r[9] else "",
                    r[10], r[11], r[12], r[13]))
            if lines:
                f.write("\n".join(lines))
                f.write("\n")
            count += len(lines)
            t = hi
    with open(os.path.join(a.out, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        for ip in sorted(w.hosts, key=lambda s: tuple(int(x) for x in s.split("."))):
            role, t0, t1 = w.hosts[ip]
            if ip not in seen_src:
                continue
            f.write("%s,%s,%s,%s\n" % (ip, role, "" if t0 is None else int(t0), "" if t1 is None else int(math.ceil(t1))))
    meta = {"population": a.population, "seed": a.seed, "start": w.start, "end": w.end,
            "subscribers": subs, "mail_servers": mails, "flows": count}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

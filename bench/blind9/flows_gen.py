#!/usr/bin/env python3
"""Synthetic bidirectional NetFlow (CTU-13 / Argus .binetflow) worlds for bot
detection (round 9, blind author).  Standard library only; output depends
only on --seed, --population and --scale.

Populations
  campus      a university network for one day: a campus MX, research
              servers, lab NATs, student hosts, and several bot families at
              once (Neris-like spam + click fraud, Rbot-like scanning with IRC
              C&C, Virut-like IRC + spam, HTTP-beacon trojans, a low-and-slow
              spam bot), infections starting at different hours.
  isp_access  two days of an access ISP: residential subscribers that talk to
              CDNs, cloud, chat and streaming; many home and office NAT
              gateways (some with an infected client); small legitimate mail
              servers on business lines (not listed as mail servers); the
              ISP's own smarthosts/IMAP (listed); heavy legitimate mail users;
              low-and-slow spam bots, heavy spam bots, relay abusers with
              stolen credentials (submission to the smarthost and to webmail
              providers), credential stuffing against IMAP/submission,
              HTTP-beacon C&C; some infections are cleaned mid-capture.
See README.md for the sources.
"""
import argparse
import json
import math
import os
import random
import time as _time

HOUR = 3600
DAY = 86400

# ---------------------------------------------------------------- address plan


def ip4(a, b, c, d):
    return "%d.%d.%d.%d" % (a, b, c, d)


class Ext:
    """External address pools: popular shared servers and the long tail."""

    def __init__(self, rng):
        self.rng = rng
        cdn_nets = [(23, 32), (23, 55), (104, 16), (104, 18), (151, 101), (13, 32), (13, 224),
                    (52, 84), (52, 222), (54, 230), (142, 250), (172, 217), (216, 58), (31, 13),
                    (157, 240), (17, 253), (40, 126), (20, 190), (199, 232), (185, 199)]
        self.cdn = [ip4(a, b, ri(rng, 0, 255), ri(rng, 1, 254)) for a, b in
                    (rng.choice(cdn_nets) for _ in range(500))]
        self.chat = [ip4(rng.choice([31, 157, 149]), rng.choice([13, 154, 240]), ri(rng, 0, 255), ri(rng, 1, 254)) for _ in range(25)]
        self.dns_public = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "9.9.9.9"]
        self.ntp = [ip4(ri(rng, 60, 220), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 1, 254)) for _ in range(12)]
        # MX of big mailbox providers (where most legitimate mail goes)
        self.mx_big = [ip4(a, b, ri(rng, 0, 255), ri(rng, 1, 254)) for a, b in
                       (rng.choice([(142, 250), (64, 233), (40, 92), (52, 101), (67, 195), (98, 136),
                                    (77, 88), (94, 100), (212, 27), (213, 165)]) for _ in range(80))]
        # submission / IMAP endpoints of webmail providers
        self.webmail_sub = [ip4(a, b, ri(rng, 0, 255), ri(rng, 1, 254)) for a, b in
                            (rng.choice([(142, 250), (40, 99), (52, 97), (87, 248), (212, 227), (217, 69)]) for _ in range(30))]
        self.adsrv = [ip4(ri(rng, 60, 210), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 1, 254)) for _ in range(150)]

    def zipf(self, pool, s=1.1):
        n = len(pool)
        # inverse-CDF sampling of a truncated power law over the pool index
        u = self.rng.random()
        k = int(n ** u) - 1 if s <= 1.0 else int((n + 1) ** (u ** s)) - 1
        return pool[min(n - 1, max(0, k))]

    def random_ip(self):
        r = self.rng
        while True:
            a = ri(r, 1, 223)
            if a in (10, 127, 100, 169, 172, 192, 198, 203, 0):
                continue
            return ip4(a, ri(r, 0, 255), ri(r, 0, 255), ri(r, 1, 254))


# ---------------------------------------------------------------- flow records
# a flow is a tuple (t, dur, proto, src, sport, dir, dst, dport, state, stos, dtos, pkts, bytes, sbytes, label)


def ri(rng, a, b):
    return a + int(rng.random() * (b - a + 1))


def eph(rng):
    return 1025 + int(rng.random() * 64511)


def tcp_est(rng, t, src, dst, dport, sbytes, rbytes, label, dur=None, sport=None):
    pk_s = max(3, sbytes // 1100 + 3)
    pk_r = max(2, rbytes // 1300 + 2)
    if dur is None:
        dur = rng.expovariate(1 / 2.0) + 0.01 * (pk_s + pk_r)
    st = rng.choice(("FSPA_FSPA", "FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA", "SPA_SPA", "FSPA_FSA"))
    return (t, dur, "tcp", src, sport or eph(rng), "  <->", dst, dport, st, 0, 0,
            pk_s + pk_r, sbytes + rbytes + 60 * (pk_s + pk_r), sbytes + 60 * pk_s, label)


def tcp_fail(rng, t, src, dst, dport, label, kind=None):
    k = kind or rng.choice(("S_RA", "S_", "S_"))
    if k == "S_RA":
        return (t, rng.uniform(0.0, 0.4), "tcp", src, eph(rng), "   ->", dst, dport, "S_RA", 0, 0, 2, 122, 62, label)
    n = rng.choice((1, 2, 3))
    return (t, 0.0 if n == 1 else rng.uniform(3, 9.5), "tcp", src, eph(rng), "   ->", dst, dport, "S_", 0, "", n, 62 * n, 62 * n, label)


def udp(rng, t, src, dst, dport, sb, rb, label, answered=True):
    if answered:
        return (t, rng.uniform(0.0005, 0.2), "udp", src, eph(rng), "  <->", dst, dport, "CON", 0, 0, 2, sb + rb, sb, label)
    return (t, 0.0, "udp", src, eph(rng), "   ->", dst, dport, "INT", 0, "", 1, sb, sb, label)


# ---------------------------------------------------------------- hosts


def diurnal(t, kind):
    h = (t % DAY) / HOUR
    if kind == "campus":      # office hours, labs
        return 0.15 + 0.85 * max(0.0, math.sin(math.pi * (h - 7) / 14)) if 7 <= h <= 21 else 0.12
    # residential: evening peak
    return 0.2 + 0.8 * (0.5 - 0.5 * math.cos((h - 4) / 24 * 2 * math.pi)) ** 1.6


class World:
    def __init__(self, seed, pop, scale, start, hours):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.start, self.hours = start, hours
        self.end = start + hours * HOUR
        self.rng = random.Random("%s/%s/world" % (seed, pop))
        self.ext = Ext(self.rng)
        self.hosts = []       # Host objects
        self.rows = {}        # ip -> [role, from, until]

    def n(self, x, lo=1):
        return max(lo, int(round(x * self.scale)))


class Host:
    """A subscriber address.  clients > 1 means a NAT gateway (traffic of
    several machines aggregated behind one address)."""

    def __init__(self, w, ip, kind="normal", clients=1, activity=1.0, known_normal=False):
        self.w = w
        self.ip = ip
        self.kind = kind
        self.clients = clients
        self.act = activity
        self.rng = random.Random("%s/%s/host/%s" % (w.seed, w.pop, ip))
        self.infections = []   # (family, t_from, t_until, params)
        self.known = known_normal
        self.mail_user = self.rng.random() < 0.08 * (1 if clients == 1 else 4)
        self.p2p = self.rng.random() < (0.06 if clients == 1 else 0.3)
        self.chat = [self.rng.choice(w.ext.chat) for _ in range(min(clients, 3))] if self.rng.random() < 0.6 else []
        self.fav = [w.ext.random_ip() for _ in range(8)]
        w.hosts.append(self)

    def label_normal(self, what):
        return ("flow=From-Normal-V9-" if self.known else "flow=Background-") + what

    def hour(self, hs, out):
        w, rng = self.w, self.rng
        self.normal_hour(hs, out)
        for fam, a, b, p in self.infections:
            s, e = max(a, hs), min(b, hs + HOUR)
            if e > s:
                FAMILIES[fam](self, s, e, p, out)

    # ------------------------------------------------------------ normal use
    def normal_hour(self, hs, out):
        w, rng, ext = self.w, self.rng, self.w.ext
        if self.kind == "mail_server":
            return mail_server_hour(self, hs, out)
        if self.kind == "relay":
            return relay_server_hour(self, hs, out)
        lvl = diurnal(hs + 1800, "campus" if w.pop == "campus" else "res") * self.act
        # number of machines active this hour behind the address
        active = sum(1 for _ in range(self.clients) if rng.random() < lvl) if self.clients > 1 else (1 if rng.random() < lvl else 0)
        if self.kind == "server":
            active = 1
        resolver = w.resolver
        for _ in range(active):
            nf = int(rng.lognormvariate(w.fpc, 0.9))
            for _ in range(nf):
                t = hs + rng.random() * HOUR
                r = rng.random()
                if r < 0.30:
                    out.append(udp(rng, t, self.ip, resolver if rng.random() < 0.9 else rng.choice(ext.dns_public), 53,
                                   ri(rng, 60, 90), ri(rng, 90, 400), self.label_normal("UDP-DNS")))
                elif r < 0.78:
                    dst = ext.zipf(ext.cdn)
                    big = rng.random() < 0.08
                    out.append(tcp_est(rng, t, self.ip, dst, 443 if rng.random() < 0.85 else 80,
                                       ri(rng, 500, 3000), int(rng.lognormvariate(math.log(30000 if not big else 3e6), 1.3)),
                                       self.label_normal("TCP-CDN-HTTPS")))
                elif r < 0.90:
                    dst = rng.choice(self.fav) if rng.random() < 0.5 else ext.random_ip()
                    if rng.random() < 0.03:
                        out.append(tcp_fail(rng, t, self.ip, dst, 443, self.label_normal("TCP-Attempt")))
                    else:
                        out.append(tcp_est(rng, t, self.ip, dst, rng.choice((443, 443, 80, 8080)),
                                           ri(rng, 400, 4000), int(rng.lognormvariate(math.log(20000), 1.2)),
                                           self.label_normal("TCP-Established-HTTP")))
                elif r < 0.93:
                    out.append(udp(rng, t, self.ip, rng.choice(ext.cdn), 443, ri(rng, 1200, 60000),
                                   ri(rng, 5000, 900000), self.label_normal("UDP-QUIC")))
                elif r < 0.94:
                    out.append(udp(rng, t, self.ip, rng.choice(ext.ntp), 123, 76, 76, self.label_normal("UDP-NTP")))
                else:
                    # mail client: IMAP/POP/submission to the ISP or to webmail providers
                    if w.own_imap and rng.random() < 0.6:
                        dst, port = rng.choice(w.own_imap), rng.choice((993, 993, 995, 143))
                    else:
                        dst, port = rng.choice(ext.webmail_sub), rng.choice((993, 993, 443))
                    out.append(tcp_est(rng, t, self.ip, dst, port, ri(rng, 800, 4000), ri(rng, 2000, 200000),
                                       self.label_normal("TCP-IMAP")))
            # persistent chat / push connections
            for c in self.chat:
                if rng.random() < 0.7:
                    out.append(tcp_est(rng, hs + rng.random() * 600, self.ip, c, rng.choice((443, 5222, 5228)),
                                       ri(rng, 2000, 40000), ri(rng, 2000, 90000), self.label_normal("TCP-Chat"),
                                       dur=rng.uniform(600, 3600)))
            # heavy legitimate mail user / small office sending through submission
            if self.mail_user and rng.random() < 0.5:
                for _ in range(int(rng.lognormvariate(math.log(3), 0.9))):
                    t = hs + rng.random() * HOUR
                    if w.relays and rng.random() < 0.5:
                        dst, port = rng.choice(w.relays), rng.choice((587, 587, 465, 25))
                    else:
                        dst, port = rng.choice(ext.webmail_sub), rng.choice((587, 465))
                    out.append(tcp_est(rng, t, self.ip, dst, port, int(rng.lognormvariate(math.log(25000), 1.4)),
                                       ri(rng, 600, 2000), self.label_normal("TCP-SMTP-Submission")))
            # peer-to-peer: many peers on high ports, many unanswered (looks like scanning)
            if self.p2p and rng.random() < 0.3:
                for _ in range(int(rng.lognormvariate(math.log(60), 1.0))):
                    t = hs + rng.random() * HOUR
                    dst = ext.random_ip()
                    port = ri(rng, 1025, 65000)
                    if rng.random() < 0.5:
                        out.append(udp(rng, t, self.ip, dst, port, ri(rng, 60, 300), ri(rng, 60, 400),
                                       self.label_normal("UDP-P2P"), answered=rng.random() < 0.5))
                    elif rng.random() < 0.5:
                        out.append(tcp_fail(rng, t, self.ip, dst, port, self.label_normal("TCP-P2P-Attempt")))
                    else:
                        out.append(tcp_est(rng, t, self.ip, dst, port, ri(rng, 300, 200000), ri(rng, 300, 2000000),
                                           self.label_normal("TCP-P2P")))


def mail_server_hour(h, hs, out):
    """A legitimate (business) mail server: outbound SMTP to many MX, DNS,
    inbound SMTP from the world (those flows have external sources)."""
    w, rng, ext = h.w, h.rng, h.w.ext
    lvl = diurnal(hs + 1800, "campus") * h.act
    n = int(rng.lognormvariate(math.log(max(1, h.rate * lvl)), 0.4))
    for _ in range(n):
        t = hs + rng.random() * HOUR
        dst = ext.zipf(ext.mx_big) if rng.random() < 0.55 else ext.random_ip()
        out.append(udp(rng, t - 0.05, h.ip, w.resolver, 53, 70, 200, h.label_normal("UDP-DNS-MX")))
        if rng.random() < 0.03:
            out.append(tcp_fail(rng, t, h.ip, dst, 25, h.label_normal("TCP-SMTP-Attempt")))
        else:
            out.append(tcp_est(rng, t, h.ip, dst, 25, int(rng.lognormvariate(math.log(30000), 1.3)), ri(rng, 400, 1200),
                               h.label_normal("TCP-SMTP")))
    for _ in range(int(n * rng.uniform(0.8, 1.6))):
        t = hs + rng.random() * HOUR
        src = ext.zipf(ext.mx_big) if rng.random() < 0.5 else ext.random_ip()
        out.append(tcp_est(rng, t, src, h.ip, 25, int(rng.lognormvariate(math.log(20000), 1.3)), ri(rng, 400, 1200),
                           "flow=Background-TCP-SMTP-Inbound"))


def relay_server_hour(h, hs, out):
    """The provider's own smarthost: much outbound SMTP."""
    w, rng, ext = h.w, h.rng, h.w.ext
    lvl = diurnal(hs + 1800, "res")
    n = int(h.rate * lvl * rng.uniform(0.8, 1.2))
    for _ in range(n):
        t = hs + rng.random() * HOUR
        dst = ext.zipf(ext.mx_big) if rng.random() < 0.6 else ext.random_ip()
        if rng.random() < 0.05:
            out.append(tcp_fail(rng, t, h.ip, dst, 25, h.label_normal("TCP-SMTP-Attempt")))
        else:
            out.append(tcp_est(rng, t, h.ip, dst, 25, int(rng.lognormvariate(math.log(25000), 1.3)), ri(rng, 400, 1500),
                               h.label_normal("TCP-SMTP")))


# ---------------------------------------------------------------- bot families

def lab(fam, what):
    return "flow=From-Botnet-V9-%s-%s" % (fam, what)


def spam_burst(h, s, e, rate_per_hour, fam, out, share_big=0.25, fail=0.45):
    rng, ext, w = h.rng, h.w.ext, h.w
    n = int(rate_per_hour * (e - s) / HOUR)
    for _ in range(n):
        t = s + rng.random() * (e - s)
        dst = ext.zipf(ext.mx_big) if rng.random() < share_big else ext.random_ip()
        if rng.random() < 0.5:
            out.append(udp(rng, t - 0.1, h.ip, w.resolver if rng.random() < 0.6 else rng.choice(ext.dns_public), 53, 70,
                           ri(rng, 120, 300), lab(fam, "UDP-DNS")))
        if rng.random() < fail:
            out.append(tcp_fail(rng, t, h.ip, dst, 25, lab(fam, "TCP-Attempt-SPAM")))
        else:
            out.append(tcp_est(rng, t, h.ip, dst, 25, ri(rng, 1500, 12000), ri(rng, 300, 900), lab(fam, "TCP-Established-SPAM"),
                               dur=rng.uniform(0.5, 8)))


def beacon(h, s, e, p, fam, out):
    """Periodic C&C check-in with jitter."""
    rng = h.rng
    per, jit, cc, port = p["per"], p["jit"], p["cc"], p["port"]
    # phase-locked: beacon times are k*per + phase, jittered
    k0 = int((s - p["phase"]) // per) + 1
    t = p["phase"] + k0 * per
    while t < e:
        tt = t + rng.uniform(-jit, jit) * per
        if s <= tt < e:
            if rng.random() < 0.04:
                out.append(tcp_fail(rng, tt, h.ip, cc, port, lab(fam, "TCP-CC-Attempt")))
            else:
                out.append(tcp_est(rng, tt, h.ip, cc, port, ri(rng, 250, 900), ri(rng, 180, 2500), lab(fam, "TCP-CC-HTTP"),
                                   dur=rng.uniform(0.1, 1.5)))
        t += per


def fam_neris(h, s, e, p, out):
    # IRC-less HTTP C&C, bursts of spam, click fraud
    beacon(h, s, e, p, "Neris", out)
    rng = h.rng
    if p.get("on") is None:
        p["on"] = True
    # campaigns on/off with ~ 40 minute granularity
    if rng.random() < p["duty"]:
        spam_burst(h, s, e, p["rate"], "Neris", out)
    for _ in range(int(p["clicks"] * (e - s) / HOUR)):
        t = s + rng.random() * (e - s)
        out.append(tcp_est(rng, t, h.ip, rng.choice(h.w.ext.adsrv), 80, ri(rng, 400, 1200), ri(rng, 1000, 30000),
                           lab("Neris", "TCP-HTTP-Ad"), dur=rng.uniform(0.1, 2)))


def fam_rbot(h, s, e, p, out):
    rng, ext = h.rng, h.w.ext
    # IRC C&C: one long connection per hour plus reconnects
    out.append(tcp_est(rng, s + rng.random() * 60, h.ip, p["cc"], p["port"], ri(rng, 2000, 9000), ri(rng, 3000, 20000),
                       lab("Rbot", "TCP-CC-IRC"), dur=min(e - s, rng.uniform(600, 3600))))
    if rng.random() < p["duty"]:
        a = s + rng.random() * (e - s) * 0.5
        b = min(e, a + rng.uniform(300, 1800))
        port = rng.choice((445, 139, 135, 1433, 3389, 22))
        for _ in range(int(p["scan"] * (b - a) / HOUR)):
            t = a + rng.random() * (b - a)
            out.append(tcp_fail(rng, t, h.ip, ext.random_ip(), port, lab("Rbot", "TCP-Scan"), kind="S_" if rng.random() < 0.8 else "S_RA"))
    if rng.random() < p.get("icmp", 0):
        tgt = ext.random_ip()
        a = s + rng.random() * (e - s) * 0.7
        for _ in range(ri(rng, 200, 1500)):
            t = a + rng.random() * 300
            out.append((t, 0.0, "icmp", h.ip, "0x0008", "   ->", tgt, "0x1aa2", "ECO", 0, "", 1, 1066, 1066, lab("Rbot", "ICMP-DDoS")))


def fam_virut(h, s, e, p, out):
    rng = h.rng
    out.append(tcp_est(rng, s + rng.random() * 120, h.ip, p["cc"], p["port"], ri(rng, 500, 3000), ri(rng, 800, 6000),
                       lab("Virut", "TCP-CC-IRC"), dur=min(e - s, rng.uniform(100, 3000))))
    if rng.random() < p["duty"]:
        a = s + rng.random() * (e - s)
        spam_burst(h, a, min(e, a + rng.uniform(120, 1500)), p["rate"], "Virut", out, fail=0.6)


def fam_lowslow(h, s, e, p, out):
    rng = h.rng
    beacon(h, s, e, p, p["name"], out)
    spam_burst(h, s, e, p["rate"] * rng.uniform(0.3, 1.7), p["name"], out, share_big=0.5, fail=0.3)


def fam_beacon(h, s, e, p, out):
    beacon(h, s, e, p, p["name"], out)
    rng = h.rng
    if rng.random() < 0.02:  # occasional payload download
        out.append(tcp_est(rng, s + rng.random() * (e - s), h.ip, p["cc"], p["port"], ri(rng, 500, 2000), ri(rng, 100000, 900000),
                           lab(p["name"], "TCP-CC-Download")))


def fam_relay(h, s, e, p, out):
    """Stolen credentials: submission sessions to the smarthost or webmail."""
    rng, w, ext = h.rng, h.w, h.w.ext
    rate = p["rate"] * (diurnal(s, "res") * 0.6 + 0.4)
    n = int(rate * (e - s) / HOUR * rng.uniform(0.6, 1.4))
    for _ in range(n):
        t = s + rng.random() * (e - s)
        dst = rng.choice(p["targets"])
        port = rng.choice(p["ports"])
        if rng.random() < 0.06:
            out.append(tcp_est(rng, t, h.ip, dst, port, ri(rng, 300, 700), ri(rng, 300, 900), lab("Relay", "TCP-Submission-AuthFail"),
                               dur=rng.uniform(0.2, 2)))
        else:
            out.append(tcp_est(rng, t, h.ip, dst, port, int(rng.lognormvariate(math.log(p["size"]), 0.8)), ri(rng, 800, 3000),
                               lab("Relay", "TCP-Submission-SPAM"), dur=rng.uniform(1, 30)))
    if p.get("cc"):
        beacon(h, s, e, p, "Relay", out)


def fam_stuffing(h, s, e, p, out):
    """Credential stuffing against IMAP/submission of several providers."""
    rng, ext = h.rng, h.w.ext
    if rng.random() >= p["duty"]:
        return
    a = s + rng.random() * (e - s) * 0.5
    b = min(e, a + rng.uniform(300, 2400))
    for _ in range(int(p["rate"] * (b - a) / HOUR)):
        t = a + rng.random() * (b - a)
        dst = rng.choice(p["targets"])
        out.append(tcp_est(rng, t, h.ip, dst, rng.choice((993, 143, 587, 465, 110, 995)), ri(rng, 200, 900), ri(rng, 300, 1500),
                           lab("Stuffer", "TCP-IMAP-Login"), dur=rng.uniform(0.1, 3)))


FAMILIES = {"neris": fam_neris, "rbot": fam_rbot, "virut": fam_virut, "lowslow": fam_lowslow,
            "beacon": fam_beacon, "relay": fam_relay, "stuffing": fam_stuffing}
ROLE_OF = {"neris": "bot_heavy", "rbot": "bot_heavy", "virut": "bot_heavy", "lowslow": "bot_lowslow",
           "beacon": "bot_lowslow", "relay": "bot_relay", "stuffing": "bot_relay"}


def cc_params(w, rng, name, per=None, port=None):
    per = per or rng.choice((60, 120, 300, 300, 600, 900, 1800))
    return {"per": per, "jit": rng.choice((0.0, 0.05, 0.1, 0.25)), "cc": w.ext.random_ip(),
            "port": port or rng.choice((80, 443, 8080)), "phase": w.start + rng.random() * per, "name": name}


def infect(w, host, fam, t_from, t_until, params):
    host.infections.append((fam, t_from, t_until, params))


# ---------------------------------------------------------------- populations

def build(w):
    rng = w.rng
    if w.pop == "campus":
        net = (147, 228)
        w.subscribers = ["147.228.0.0/16"]
        w.mail_cidrs = ["147.228.1.0/28"]
        w.resolver = "147.228.1.2"
        w.own_imap = ["147.228.1.6"]
        w.relays = []
        # campus MX (listed) and two department mail servers (not listed)
        mx = Host(w, "147.228.1.5", kind="mail_server")
        mx.rate = 900
        w.rows[mx.ip] = ["mail_server", "", ""]
        used = {mx.ip, w.resolver, "147.228.1.6"}

        def addr():
            while True:
                ip = ip4(147, 228, ri(rng, 2, 250), ri(rng, 2, 254))
                if ip not in used:
                    used.add(ip)
                    return ip
        for _ in range(2):
            m = Host(w, addr(), kind="mail_server")
            m.rate = rng.uniform(10, 80)
            w.rows[m.ip] = ["mail_server", "", ""]
        normals = []
        for _ in range(w.n(2200, 20)):
            h = Host(w, addr(), activity=rng.uniform(0.3, 1.4), known_normal=rng.random() < 0.05)
            normals.append(h)
            w.rows[h.ip] = ["normal", "", ""]
        nats = []
        for _ in range(w.n(25, 3)):
            h = Host(w, addr(), clients=ri(rng, 4, 40), activity=rng.uniform(0.6, 1.2))
            nats.append(h)
            w.rows[h.ip] = ["nat_gateway", "", ""]
        span = w.end - w.start
        bots = rng.sample(normals, min(len(normals) // 3, w.n(ri(rng, 8, 14), 5)))
        fams = ["neris", "neris", "rbot", "virut", "lowslow", "beacon"]
        for i, h in enumerate(bots):
            fam = fams[i % len(fams)] if i < len(fams) else rng.choice(["neris", "rbot", "virut", "lowslow", "beacon"])
            t0 = w.start + rng.uniform(0.02, 0.75) * span
            t1 = w.end if rng.random() < 0.85 else t0 + rng.uniform(2, 6) * HOUR
            p = cc_params(w, rng, fam.capitalize())
            if fam == "neris":
                p.update(rate=rng.uniform(300, 2500), duty=rng.uniform(0.4, 0.9), clicks=rng.uniform(20, 300))
            elif fam == "rbot":
                p.update(port=6667, scan=rng.uniform(2000, 15000), duty=rng.uniform(0.2, 0.7), icmp=0.05)
            elif fam == "virut":
                p.update(port=rng.choice((6667, 65520, 443)), rate=rng.uniform(400, 3000), duty=rng.uniform(0.3, 0.8))
            elif fam == "lowslow":
                p.update(rate=rng.uniform(4, 25), name="Lowslow")
            infect(w, h, fam, t0, t1, p)
            w.rows[h.ip] = [ROLE_OF[fam], str(int(t0)), str(int(min(t1, w.end)))]
        # one lab NAT with an infected VM
        h = rng.choice(nats)
        t0 = w.start + rng.uniform(0.2, 0.7) * span
        p = cc_params(w, rng, "Lowslow")
        p.update(rate=rng.uniform(10, 60), name="Lowslow")
        infect(w, h, "lowslow", t0, w.end, p)
        w.rows[h.ip] = ["nat_infected", str(int(t0)), str(int(w.end))]
    elif w.pop == "isp_access":
        w.subscribers = ["81.90.0.0/17", "93.120.0.0/18", "178.56.0.0/18"]
        w.mail_cidrs = ["194.8.240.0/28"]
        w.resolver = "194.8.240.53"
        w.own_imap = ["194.8.240.10", "194.8.240.11"]
        w.relays = ["194.8.240.5", "194.8.240.6", "194.8.240.7"]
        for ip in w.relays:
            r = Host(w, ip, kind="relay")
            r.rate = 1500 * max(0.2, w.scale)
            w.rows[ip] = ["mail_server", "", ""]
        used = set()
        pools = [(81, 90, 0, 127), (93, 120, 0, 63), (178, 56, 0, 63)]

        def addr():
            while True:
                a, b, lo, hi = rng.choice(pools)
                ip = ip4(a, b, ri(rng, lo, hi), ri(rng, 1, 254))
                if ip not in used:
                    used.add(ip)
                    return ip
        normals, nats, smallmx = [], [], []
        for _ in range(w.n(2600, 20)):
            # each residential address is itself a home router with 1-6 devices
            c = rng.choice((1, 1, 2, 2, 3, 4, 6))
            h = Host(w, addr(), clients=c, activity=rng.uniform(0.2, 1.2), known_normal=rng.random() < 0.03)
            normals.append(h)
            w.rows[h.ip] = ["normal", "", ""]
        for _ in range(w.n(60, 3)):
            h = Host(w, addr(), clients=ri(rng, 5, 80), activity=rng.uniform(0.6, 1.1))
            nats.append(h)
            w.rows[h.ip] = ["nat_gateway", "", ""]
        for _ in range(w.n(25, 2)):
            m = Host(w, addr(), kind="mail_server", activity=rng.uniform(0.5, 1.5))
            m.rate = rng.lognormvariate(math.log(25), 0.9)
            smallmx.append(m)
            w.rows[m.ip] = ["mail_server", "", ""]
        span = w.end - w.start
        nb = w.n(ri(rng, 40, 70), 7)
        bots = rng.sample(normals, min(len(normals) // 3, nb))
        plan = ["lowslow", "lowslow", "relay", "stuffing", "neris", "beacon", "virut"]
        for i, h in enumerate(bots):
            fam = plan[i] if i < len(plan) else rng.choice(["lowslow", "lowslow", "lowslow", "beacon", "relay", "relay",
                                                            "stuffing", "neris", "virut"])
            t0 = w.start + (rng.uniform(-0.3, 0.85) if rng.random() < 0.8 else rng.uniform(-0.3, 0.0)) * span
            t0 = max(w.start, t0)
            t1 = w.end if rng.random() < 0.8 else min(w.end, t0 + rng.uniform(3, 20) * HOUR)
            p = cc_params(w, rng, fam.capitalize())
            if fam == "lowslow":
                p.update(rate=rng.lognormvariate(math.log(8), 0.7), name=rng.choice(["Lowslow", "Kelihos", "Tofsee"]))
            elif fam == "neris":
                p.update(rate=rng.uniform(200, 1500), duty=rng.uniform(0.2, 0.7), clicks=rng.uniform(10, 100))
            elif fam == "virut":
                p.update(port=rng.choice((6667, 65520)), rate=rng.uniform(300, 1500), duty=rng.uniform(0.2, 0.6))
            elif fam == "relay":
                tg = rng.random()
                if tg < 0.5:
                    p.update(targets=list(w.relays), ports=[587, 587, 465, 25])
                else:
                    p.update(targets=rng.sample(w.ext.webmail_sub, 3), ports=[587, 465, 443])
                p.update(rate=rng.lognormvariate(math.log(30), 0.8), size=rng.choice((8000, 30000, 120000)))
                if rng.random() < 0.5:
                    p["cc"] = None
            elif fam == "stuffing":
                p.update(targets=rng.sample(w.ext.webmail_sub, 8) + list(w.own_imap), rate=rng.uniform(200, 3000),
                         duty=rng.uniform(0.2, 0.6))
            infect(w, h, fam, t0, t1, p)
            w.rows[h.ip] = [ROLE_OF[fam], str(int(t0)), str(int(min(t1, w.end)))]
        # NAT gateways with an infected client
        for h in rng.sample(nats, max(1, len(nats) // 8)):
            fam = rng.choice(["lowslow", "lowslow", "beacon", "relay", "neris"])
            t0 = w.start + rng.uniform(0.0, 0.8) * span
            t1 = w.end if rng.random() < 0.85 else min(w.end, t0 + rng.uniform(3, 20) * HOUR)
            p = cc_params(w, rng, fam.capitalize())
            p.update(rate=rng.lognormvariate(math.log(10), 0.7), name="Lowslow")
            if fam == "relay":
                p.update(targets=list(w.relays), ports=[587, 465], size=30000, cc=None)
            if fam == "neris":
                p.update(rate=rng.uniform(100, 800), duty=0.4, clicks=30)
            infect(w, h, fam, t0, t1, p)
            w.rows[h.ip] = ["nat_infected", str(int(t0)), str(int(t1))]
    else:
        raise SystemExit("unknown population %r (campus, isp_access)" % w.pop)


# ---------------------------------------------------------------- output

class TimeFmt:
    def __init__(self):
        self.cache_min = None
        self.prefix = ""

    def __call__(self, t):
        m = int(t // 60)
        if m != self.cache_min:
            self.cache_min = m
            self.prefix = _time.strftime("%Y/%m/%d %H:%M:", _time.gmtime(m * 60))
        s = t - m * 60
        return "%s%09.6f" % (self.prefix, s)


POPS = ["campus", "isp_access"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default=None, help="campus or isp_access (default depends on the seed)")
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or POPS[(a.seed + 1) % 2]
    # start at 00:00 UTC on a weekday in autumn 2026, shifted by the seed
    start = 1791417600 + (a.seed % 10) * DAY
    hours = 24 if pop == "campus" else 48
    w = World(a.seed, pop, a.scale, start, hours)
    w.fpc = math.log(30 if pop == "campus" else 6)
    build(w)
    os.makedirs(a.out, exist_ok=True)
    fmt = TimeFmt()
    count = 0
    spill = []
    with open(os.path.join(a.out, "flows.binetflow"), "w") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n")
        for hnum in range(hours):
            hs = w.start + hnum * HOUR
            he = hs + HOUR
            out = spill
            for h in w.hosts:
                h.hour(hs, out)
            cur = [x for x in out if x[0] < he]
            spill = [x for x in out if x[0] >= he and x[0] < w.end]
            cur = [x for x in cur if x[0] >= w.start]
            cur.sort(key=lambda x: x[0])
            lines = []
            for x in cur:
                if x[0] < hs:
                    x = (hs,) + x[1:]
                lines.append("%s,%.6f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d,%d,%s\n" % (
                    fmt(x[0]), x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], x[12], x[13], x[14]))
            f.write("".join(lines))
            count += len(cur)
    with open(os.path.join(a.out, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        for ip in sorted(w.rows, key=lambda s: tuple(int(x) for x in s.split("."))):
            r = w.rows[ip]
            f.write("%s,%s,%s,%s\n" % (ip, r[0], r[1], r[2]))
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump({"population": pop, "seed": a.seed, "start": w.start, "end": w.end, "subscribers": w.subscribers,
                   "mail_servers": w.mail_cidrs, "flows": count}, f)
        f.write("\n")


if __name__ == "__main__":
    main()

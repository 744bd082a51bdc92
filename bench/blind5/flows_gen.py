#!/usr/bin/env python3
"""Synthetic CTU-13 / Argus bidirectional flow captures (see README.md, FORMAT.md "Flow populations").

Populations:
  campus - a university network in the spirit of CTU-13's Neris/Rbot scenarios: workstations,
           labs behind NAT, a DNS resolver, mail servers, a handful of heavy spam/click-fraud bots,
           an ICMP/UDP flooding bot, low-and-slow beacons, infections starting mid-capture.
  isp    - a residential/business access network over 24 h: households (IoT, gaming, P2P),
           CGNAT and office NAT gateways, business mail servers and the ISP smarthost,
           low-and-slow bots, Mirai-like scanners, relay abusers with stolen SMTP credentials,
           infections starting and being cleaned mid-capture.
Standard library only; deterministic for a given --seed. Generated in 5-minute slices so memory
stays flat.
"""
import argparse
import bisect
import json
import math
import os
import random
import time

SLICE = 300.0
HOUR = 3600.0

EST = "  <->"
ONE = "   ->"
EXT_FIRST = [2, 3, 4, 8, 13, 17, 18, 20, 23, 31, 34, 35, 37, 40, 45, 46, 50, 52, 54, 62, 63, 64, 66,
             69, 72, 74, 77, 78, 80, 81, 82, 83, 85, 87, 88, 89, 91, 92, 93, 94, 95, 104, 108, 109,
             128, 130, 134, 136, 141, 142, 143, 151, 157, 162, 163, 172, 173, 176, 178, 185, 188,
             192, 193, 194, 195, 199, 203, 204, 205, 206, 207, 208, 209, 212, 213, 216, 217]


def rand_ext(r):
    return "%d.%d.%d.%d" % (r.choice(EXT_FIRST), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def lognorm(r, median, sigma):
    return median * math.exp(r.gauss(0.0, sigma))


class Pools:
    """External destinations: popular web/CDN servers (Zipf), MX hosts, DNS, game servers."""

    def __init__(self, r):
        self.web = [rand_ext(r) for _ in range(20000)]
        # Zipf-like cumulative weights
        cw, acc = [], 0.0
        for i in range(len(self.web)):
            acc += 1.0 / (i + 1) ** 1.05
            cw.append(acc)
        self.web_cw = cw
        self.mx = [rand_ext(r) for _ in range(60000)]
        mcw, acc = [], 0.0
        for i in range(len(self.mx)):
            acc += 1.0 / (i + 1) ** 0.9
            mcw.append(acc)
        self.mx_cw = mcw
        self.public_dns = [rand_ext(r) for _ in range(4)]
        self.ntp = [rand_ext(r) for _ in range(8)]
        self.game = [rand_ext(r) for _ in range(300)]
        self.cloud = [rand_ext(r) for _ in range(200)]  # IoT / push / telemetry back-ends
        self.webmail_submit = [rand_ext(r) for _ in range(6)]

    def web_ip(self, r):
        return self.web[bisect.bisect_left(self.web_cw, r.random() * self.web_cw[-1])]

    def mx_ip(self, r):
        return self.mx[bisect.bisect_left(self.mx_cw, r.random() * self.mx_cw[-1])]


def diurnal(t, tz, kind):
    h = ((t + tz) % 86400.0) / 3600.0
    if kind == "office":
        return 0.05 + math.exp(-((h - 11.0) ** 2) / 10.0) + 0.9 * math.exp(-((h - 15.5) ** 2) / 8.0)
    if kind == "home":
        return 0.08 + 0.35 * math.exp(-((h - 12.5) ** 2) / 12.0) + 1.0 * math.exp(-((h - 20.5) ** 2) / 6.0)
    return 1.0


class Stream:
    """A recurring activity: next time, interval function, flow action."""
    __slots__ = ("next", "until", "fn", "label_kind")

    def __init__(self, start, fn, until=None, label_kind="host"):
        self.next = start
        self.until = until
        self.fn = fn  # fn(t, out) -> next interval (seconds)
        self.label_kind = label_kind


class Host:
    def __init__(self, g, ip, role, tz, kind, label_prefix):
        self.g = g
        self.ip = ip
        self.role = role
        self.tz = tz
        self.kind = kind  # office / home / flat
        self.streams = []
        self.infected_from = None
        self.infected_until = None
        self.lp = label_prefix  # e.g. flow=Background or flow=From-Normal-V42
        self.sent = False

    def run(self, t0, t1, out):
        for s in self.streams:
            while s.next < t1:
                if s.until is not None and s.next >= s.until:
                    s.next = float("inf")
                    break
                dt = s.fn(s.next, out)
                s.next += max(0.001, dt)


class Gen:
    def __init__(self, r, start, end, scenario):
        self.r = r
        self.start = start
        self.end = end
        self.pools = Pools(r)
        self.hosts = []
        self.sv = scenario  # label version number, like CTU's V42..V54
        self.sport_ctr = 0

    # --- flow primitive ---------------------------------------------------------------
    def flow(self, out, t, dur, proto, src, dst, dport, state, pkts, byts, sbytes, label, d=None, sport=None):
        r = self.r
        if sport is None:
            sport = r.randint(49152, 65535) if r.random() < 0.7 else r.randint(1025, 49151)
        if d is None:
            d = EST if state not in ("S_", "INT", "REQ", "ECO", "S_RA") else ONE
        if byts < sbytes:
            byts = sbytes
        if proto == "icmp":
            sport = "0x%04x" % r.randint(0, 65535)
            dport = "0x%04x" % r.randint(0, 65535)
        out.append((t, dur, proto, src, sport, d, dst, dport, state, pkts, byts, sbytes, label))

    # common legitimate flows -------------------------------------------------------------
    def web_page(self, h, t, out, lab, resolver):
        r = self.r
        p = self.pools
        self.dns(h, t, out, lab, resolver)
        for _ in range(1 + int(lognorm(r, 4, 0.8))):
            tt = t + r.random() * 3.0
            dst = p.web_ip(r)
            port = 443 if r.random() < 0.85 else 80
            if r.random() < 0.03:  # stale connection / blocked
                self.flow(out, tt, r.choice([0.0, 3.0, 9.0]), "tcp", h.ip, dst, port, "S_", r.randint(1, 3), 62 * 2, 62 * 2, lab + "-TCP-Attempt")
                continue
            pk = max(4, int(lognorm(r, 18, 1.0)))
            by = int(pk * lognorm(r, 700, 0.4))
            self.flow(out, tt, lognorm(r, 2.0, 1.4), "tcp", h.ip, dst, port,
                      r.choice(["FSPA_FSPA", "FSPA_FSPA", "SRPA_FSPA", "FSRPA_FSPA", "SPA_SPA"]),
                      pk, by, int(by * r.uniform(0.05, 0.3)), lab + ("-TCP-Established-HTTPS" if port == 443 else "-TCP-Established-HTTP"))

    def dns(self, h, t, out, lab, resolver):
        r = self.r
        dst = resolver if resolver and r.random() < 0.9 else r.choice(self.pools.public_dns)
        q = r.randint(60, 90)
        self.flow(out, t, r.uniform(0.0005, 0.08), "udp", h.ip, dst, 53, "CON", 2, q + r.randint(60, 300), q, lab + "-UDP-DNS")


# --- behaviours ---------------------------------------------------------------------------------
def add_user(g, h, intensity, lab, resolver, extras=True, until=None, start=None):
    """A person's device(s): browsing sessions, DNS, plus periodic background apps."""
    r = g.r
    p = g.pools
    base = intensity  # pages/hour at diurnal weight 1

    def browse(t, out):
        if r.random() * 2.0 < diurnal(t, h.tz, h.kind):
            n = 1 if r.random() < 0.6 else r.randint(2, 6)
            for i in range(n):
                g.web_page(h, t + i * lognorm(r, 8, 0.8), out, lab, resolver)
        return r.expovariate(base / 3600.0 * 2.0 / 2.0) if base > 0 else 1e9
    h.streams.append(Stream((start or g.start) + r.random() * 600, browse, until))
    if not extras:
        return
    # background apps: push/telemetry keepalives (regular!), mail polling, NTP
    for _ in range(r.choice([0, 1, 1, 1, 2])):
        dst = r.choice(p.cloud)
        period = r.choice([60, 240, 300, 600, 900, 900, 1800, 3600])
        jit = r.choice([0.0, 0.01, 0.05, 0.2])
        port = r.choice([443, 443, 443, 5223, 5228, 8883, 1883])

        def keep(t, out, dst=dst, period=period, jit=jit, port=port):
            pk = r.randint(4, 12)
            g.flow(out, t, lognorm(r, 0.5, 1.0), "tcp", h.ip, dst, port, "FSPA_FSPA", pk, pk * r.randint(90, 200), pk * 70, lab + "-TCP-Established-Keepalive")
            return period * (1.0 + r.uniform(-jit, jit))
        h.streams.append(Stream((start or g.start) + r.random() * period, keep, until))
    if r.random() < 0.5:
        imap = g.mail_ip

        def poll(t, out):
            pk = r.randint(6, 30)
            g.flow(out, t, lognorm(r, 0.8, 0.6), "tcp", h.ip, imap, r.choice([993, 143]), "FSPA_FSPA", pk, pk * 180, pk * 60, lab + "-TCP-Established-IMAP")
            return r.choice([300, 600, 900]) * r.uniform(0.98, 1.02)
        h.streams.append(Stream((start or g.start) + r.random() * 300, poll, until))
    if r.random() < 0.3:
        def ntp(t, out):
            g.flow(out, t, r.uniform(0.01, 0.1), "udp", h.ip, r.choice(p.ntp), 123, "CON", 2, 180, 90, lab + "-UDP-NTP", sport=123 if r.random() < 0.3 else None)
            return r.choice([1024, 2048, 3600]) * r.uniform(0.9, 1.1)
        h.streams.append(Stream((start or g.start) + r.random() * 1000, ntp, until))


def add_p2p(g, h, lab, until=None):
    """BitTorrent / P2P: many peers, UDP DHT, lots of failed TCP attempts (legit, bot-like)."""
    r = g.r

    def p2p(t, out):
        for _ in range(r.randint(2, 15)):
            peer = rand_ext(r)
            port = r.randint(1025, 65535)
            x = r.random()
            if x < 0.45:
                g.flow(out, t + r.random() * 30, r.uniform(0, 0.5), "udp", h.ip, peer, port, "CON", 2, r.randint(150, 400), r.randint(70, 120), lab + "-UDP-Attempt-P2P")
            elif x < 0.7:
                g.flow(out, t + r.random() * 30, r.choice([0.0, 3.0, 9.0]), "tcp", h.ip, peer, port, r.choice(["S_", "S_RA"]), r.randint(1, 3), 186, 186, lab + "-TCP-Attempt-P2P")
            elif x < 0.85:
                g.flow(out, t + r.random() * 30, r.uniform(0, 3), "udp", h.ip, peer, port, "INT", 1, r.randint(80, 130), r.randint(80, 130), lab + "-UDP-Attempt-P2P")
            else:
                pk = int(lognorm(r, 60, 1.5)) + 4
                g.flow(out, t + r.random() * 30, lognorm(r, 30, 1.2), "tcp", h.ip, peer, port, "FSPA_FSPA", pk, pk * 900, pk * r.randint(60, 900), lab + "-TCP-Established-P2P")
        return lognorm(r, 150, 0.6)
    h.streams.append(Stream(g.start + r.random() * 3 * HOUR, p2p, until))


def add_gaming(g, h, lab):
    r = g.r
    srv = r.choice(g.pools.game)

    def game(t, out):
        if r.random() * 2.0 < diurnal(t, h.tz, "home"):
            dur = lognorm(r, 900, 0.8)
            pk = int(dur * r.uniform(20, 60))
            g.flow(out, t, dur, "udp", h.ip, srv, r.choice([3074, 27015, 9000, 5222]), "CON", pk, pk * 90, pk * 45, lab + "-UDP-Established-Game")
            for _ in range(r.randint(0, 15)):  # peer-to-peer voice / matchmaking
                g.flow(out, t + r.random() * 60, r.uniform(0, 5), "udp", h.ip, rand_ext(r), r.randint(1025, 65535), r.choice(["CON", "INT"]), r.randint(1, 20), r.randint(100, 2000), r.randint(100, 900), lab + "-UDP-Attempt-Game")
        return lognorm(r, 1800, 0.5)
    h.streams.append(Stream(g.start + r.random() * 3600, game))


def add_mailserver(g, h, per_hour, lab):
    """Legit MTA: outbound SMTP to many MX hosts, retries, MX lookups."""
    r = g.r

    def smtp(t, out):
        if r.random() * 2.0 < diurnal(t, h.tz, "office") + 0.2:
            mx = g.pools.mx_ip(r)
            g.flow(out, t, r.uniform(0.0005, 0.05), "udp", h.ip, g.resolver or r.choice(g.pools.public_dns), 53, "CON", 2, 250, 75, lab + "-UDP-DNS")
            if r.random() < 0.04:  # greylisted / MX down
                g.flow(out, t + 0.05, r.uniform(0, 1), "tcp", h.ip, mx, 25, r.choice(["S_RA", "S_", "SRPA_SPA"]), r.randint(1, 8), 500, 300, lab + "-TCP-Attempt-SMTP")
            else:
                pk = r.randint(12, 60)
                by = int(lognorm(r, 25000, 1.2)) + 1500
                g.flow(out, t + 0.05, lognorm(r, 1.5, 0.9), "tcp", h.ip, mx, 25, "FSPA_FSPA", pk, by + pk * 60, by, lab + "-TCP-Established-SMTP")
        return r.expovariate(per_hour / HOUR * 2.0)
    h.streams.append(Stream(g.start + r.random() * 60, smtp))


def add_resolver(g, h, per_hour, lab):
    r = g.r

    def rec(t, out):
        dst = g.pools.web_ip(r) if r.random() < 0.6 else rand_ext(r)
        if r.random() < 0.02:
            g.flow(out, t, r.uniform(1, 5), "udp", h.ip, dst, 53, "INT", 1, 80, 80, lab + "-UDP-Attempt-DNS", sport=r.randint(1025, 65535))
        else:
            g.flow(out, t, r.uniform(0.005, 0.3), "udp", h.ip, dst, 53, "CON", 2, r.randint(140, 900), r.randint(60, 90), lab + "-UDP-DNS", sport=r.randint(1025, 65535))
        return r.expovariate(per_hour / HOUR * 2.0) / max(0.2, diurnal(t, h.tz, "office"))
    h.streams.append(Stream(g.start, rec))


# bots ------------------------------------------------------------------------------------------------
def bot_label(g, what):
    return "flow=From-Botnet-V%d-%s" % (g.sv, what)


def add_c2(g, h, t_from, t_until, period, jitter, port, proto_lab, c2s):
    r = g.r

    def c2(t, out):
        dst = r.choice(c2s)
        pk = r.randint(5, 14)
        if r.random() < 0.08:
            g.flow(out, t, r.choice([0.0, 3.0, 9.0]), "tcp", h.ip, dst, port, r.choice(["S_", "S_RA"]), r.randint(1, 3), 186, 186, bot_label(g, "TCP-Attempt-" + proto_lab))
        else:
            g.flow(out, t, lognorm(r, 0.8, 0.8), "tcp", h.ip, dst, port, "FSPA_FSPA", pk, pk * r.randint(100, 400), pk * r.randint(60, 250), bot_label(g, "TCP-CC-" + proto_lab))
        return period * (1.0 + r.uniform(-jitter, jitter))
    h.streams.append(Stream(t_from + r.random() * min(period, 60), c2, t_until))


def add_spam_engine(g, h, t_from, t_until, conns_per_min, on_mean, off_mean, fail=0.45, dns_external=True, lab="TCP-Established-SPAM"):
    """Neris-like: bursts of SMTP to many MX hosts, many failing, with MX lookups."""
    r = g.r
    state = {"on_until": 0.0}

    def spam(t, out):
        if t >= state["on_until"]:
            # decide next on-phase after an off gap
            gap = lognorm(r, off_mean, 0.6)
            state["on_until"] = t + gap + lognorm(r, on_mean, 0.5)
            return gap
        for _ in range(max(1, int(conns_per_min / 6))):
            tt = t + r.random() * 10.0
            mx = g.pools.mx_ip(r) if r.random() < 0.6 else rand_ext(r)
            if r.random() < 0.5:
                g.flow(out, tt, r.uniform(0.0005, 0.1), "udp", h.ip, r.choice(g.pools.public_dns) if dns_external else (g.resolver or r.choice(g.pools.public_dns)), 53, "CON", 2, r.randint(180, 400), r.randint(60, 80), bot_label(g, "UDP-DNS"))
            x = r.random()
            if x < fail:
                g.flow(out, tt + 0.1, r.choice([0.0, 2.9, 8.9, 20.9]), "tcp", h.ip, mx, 25, r.choice(["S_", "S_RA", "S_RA", "SR_SA"]), r.randint(1, 4), 62 * r.randint(1, 4), 62, bot_label(g, "TCP-Attempt-SPAM"))
            else:
                pk = r.randint(8, 40)
                by = int(lognorm(r, 4000, 0.6))
                g.flow(out, tt + 0.1, lognorm(r, 2.0, 1.0), "tcp", h.ip, mx, 25, r.choice(["FSPA_FSPA", "FSRPA_FSPA", "SRPA_FSPA"]), pk, by + pk * 60, by, bot_label(g, lab))
        return 10.0
    h.streams.append(Stream(t_from + r.random() * 120, spam, t_until))


def add_clickfraud(g, h, t_from, t_until, per_min):
    r = g.r

    def cf(t, out):
        for _ in range(r.randint(1, max(1, int(per_min)))):
            dst = g.pools.web_ip(r) if r.random() < 0.3 else rand_ext(r)
            pk = r.randint(5, 20)
            g.flow(out, t + r.random() * 60, lognorm(r, 1.5, 0.8), "tcp", h.ip, dst, 80, "FSPA_FSPA", pk, pk * 500, pk * 90, bot_label(g, "TCP-Established-HTTP-Ad"))
        return lognorm(r, 60, 0.3)
    h.streams.append(Stream(t_from + r.random() * 300, cf, t_until))


def add_flood(g, h, t_from, t_until, proto):
    """Rbot-like DDoS bursts: ICMP echo or UDP flood to one victim for minutes."""
    r = g.r
    state = {"victim": rand_ext(r), "left": 0}

    def fl(t, out):
        if state["left"] <= 0:
            state["victim"] = rand_ext(r)
            state["left"] = int(lognorm(r, 30, 0.5))  # 10 s ticks
            return lognorm(r, 2 * HOUR, 0.6)
        state["left"] -= 1
        for _ in range(r.randint(5, 20)):
            if proto == "icmp":
                g.flow(out, t + r.random() * 10, r.uniform(0, 9), "icmp", h.ip, state["victim"], 0, "ECO", r.randint(50, 800), 1066 * 400, 1066 * 400, bot_label(g, "ICMP-Attempt-DDoS"))
            else:
                g.flow(out, t + r.random() * 10, r.uniform(0, 9), "udp", h.ip, state["victim"], r.randint(1, 65535), "INT", r.randint(50, 800), 1400 * 300, 1400 * 300, bot_label(g, "UDP-Attempt-DDoS"))
        return 10.0
    h.streams.append(Stream(t_from + r.random() * 1800, fl, t_until))


def add_scanner(g, h, t_from, t_until, per_min, ports=(23, 23, 23, 2323, 22, 80, 8080)):
    """Mirai-like: SYNs to random addresses on telnet/ssh/http ports."""
    r = g.r
    rate = per_min * lognorm(r, 1.0, 0.3)

    def sc(t, out):
        for _ in range(max(1, int(rate / 6 * r.uniform(0.5, 1.5)))):
            dst = rand_ext(r)
            if r.random() < 0.02:  # an open telnet: brute-force login
                pk = r.randint(10, 40)
                g.flow(out, t + r.random() * 10, lognorm(r, 8, 0.6), "tcp", h.ip, dst, 23, "FSPA_FSPA", pk, pk * 80, pk * 50, bot_label(g, "TCP-Established-Telnet-Bruteforce"))
            else:
                g.flow(out, t + r.random() * 10, 0.0, "tcp", h.ip, dst, r.choice(ports), r.choice(["S_", "S_", "S_RA"]), 1, 60, 60, bot_label(g, "TCP-Attempt-Scan"))
        return 10.0
    h.streams.append(Stream(t_from + r.random() * 60, sc, t_until))


def add_lowslow(g, h, t_from, t_until, c2s):
    """Low-and-slow: jittered HTTPS beacons every 10-60 min, occasional tiny tasks
    (a few spam connections, a credential-stuffing trickle, a proxy session)."""
    r = g.r
    period = r.choice([600, 900, 1200, 1800, 3600])
    add_c2(g, h, t_from, t_until, period, r.choice([0.1, 0.3, 0.5]), 443, "HTTPS", c2s)
    task = r.choice(["spam", "stuff", "proxy", "none"])

    def work(t, out):
        if task == "spam":
            for _ in range(r.randint(1, 6)):
                mx = g.pools.mx_ip(r)
                if r.random() < 0.4:
                    g.flow(out, t + r.random() * 300, r.choice([0.0, 2.9]), "tcp", h.ip, mx, 25, r.choice(["S_", "S_RA"]), r.randint(1, 3), 124, 62, bot_label(g, "TCP-Attempt-SPAM"))
                else:
                    pk = r.randint(10, 30)
                    g.flow(out, t + r.random() * 300, lognorm(r, 2, 0.7), "tcp", h.ip, mx, 25, "FSPA_FSPA", pk, pk * 300, pk * 220, bot_label(g, "TCP-Established-SPAM"))
        elif task == "stuff":
            tgt = g.pools.web[r.randint(0, 50)]
            for _ in range(r.randint(2, 12)):
                pk = r.randint(8, 16)
                g.flow(out, t + r.random() * 600, lognorm(r, 0.7, 0.5), "tcp", h.ip, tgt, 443, "FSPA_FSPA", pk, pk * 400, pk * 150, bot_label(g, "TCP-Established-HTTPS-Login"))
        elif task == "proxy":
            for _ in range(r.randint(1, 8)):
                pk = int(lognorm(r, 40, 1.0)) + 5
                g.flow(out, t + r.random() * 600, lognorm(r, 5, 1.0), "tcp", h.ip, g.pools.web_ip(r), 443, "FSPA_FSPA", pk, pk * 700, pk * 120, bot_label(g, "TCP-Established-Proxy"))
        return lognorm(r, 2 * HOUR, 0.7)
    if task != "none":
        h.streams.append(Stream(t_from + r.random() * 3600, work, t_until))


def add_relay(g, h, t_from, t_until, servers):
    """Stolen SMTP AUTH credentials: submission (587/465) sessions to a few servers,
    each carrying many messages, campaign-shaped."""
    r = g.r
    state = {"on_until": 0.0}
    rate = lognorm(r, 3.0, 0.6)  # sessions per minute while on

    def rel(t, out):
        if t >= state["on_until"]:
            gap = lognorm(r, 3 * HOUR, 0.8)
            state["on_until"] = t + gap + lognorm(r, 1.5 * HOUR, 0.6)
            return gap
        srv = r.choice(servers)
        port = r.choice([587, 587, 465])
        if r.random() < 0.07:
            g.flow(out, t, lognorm(r, 1, 0.5), "tcp", h.ip, srv, port, "FSPA_FSPA", r.randint(8, 14), 2500, 900, bot_label(g, "TCP-Established-SMTP-AuthFail"))
        else:
            nmsg = r.randint(1, 60)
            by = int(nmsg * lognorm(r, 5000, 0.5))
            pk = 10 + nmsg * r.randint(6, 12)
            g.flow(out, t, lognorm(r, 2 + nmsg * 0.4, 0.5), "tcp", h.ip, srv, port, "FSPA_FSPA", pk, by + pk * 60, by, bot_label(g, "TCP-Established-SMTP-Relay"))
        return r.expovariate(rate / 60.0)
    h.streams.append(Stream(t_from + r.random() * 300, rel, t_until))


# --- populations ----------------------------------------------------------------------------------------
def n_of(base, scale, lo=1):
    return max(lo, int(round(base * scale)))


def infection_window(g, mid_frac, clean_frac):
    r = g.r
    span = g.end - g.start
    f = float(g.start)
    if r.random() < mid_frac:
        f = g.start + r.uniform(0.1, 0.7) * span
    u = float(g.end)
    if r.random() < clean_frac:
        u = min(g.end, f + r.uniform(0.15, 0.5) * span)
    return int(f), int(u)


def pop_campus(g, scale):
    r = g.r
    a, b = r.choice([(147, 32), (147, 229), (158, 196), (130, 83), (141, 76), (193, 84)])
    subs = "%d.%d.0.0/16" % (a, b)
    used = set()

    def addr(lo=0, hi=255):
        while True:
            ip = "%d.%d.%d.%d" % (a, b, r.randint(lo, hi), r.randint(2, 254))
            if ip not in used:
                used.add(ip)
                return ip
    tz = 1 * 3600
    c2s = [rand_ext(r) for _ in range(3)]
    # infrastructure
    res = Host(g, addr(80, 80), "normal", tz, "office", "flow=Background")
    g.resolver = res.ip
    mails = [Host(g, addr(80, 90), "mail_server", tz, "office", "flow=Background") for _ in range(2)]
    g.mail_ip = mails[0].ip
    for m in mails:
        add_mailserver(g, m, lognorm(r, 900, 0.3) * min(1.0, 0.3 + scale), "flow=Background")
    add_resolver(g, res, 15000 * scale + 1000, "flow=Background")
    g.hosts += [res] + mails
    # workstations
    nws = n_of(1400, scale, 30)
    for i in range(nws):
        verified = r.random() < 0.03
        h = Host(g, addr(), "normal", tz, "office", "flow=From-Normal-V%d-Jist" % g.sv if verified else "flow=Background")
        add_user(g, h, lognorm(r, 14, 0.8), h.lp, g.resolver)
        x = r.random()
        if x < 0.05:
            add_p2p(g, h, h.lp)
        g.hosts.append(h)
    # lab / dorm NAT gateways
    n_nat = n_of(4, scale, 1)
    n_natinf = n_of(1, scale, 1)
    for k in range(n_nat + n_natinf):
        h = Host(g, addr(), "nat_gateway", tz, "office", "flow=Background")
        for _ in range(int(r.uniform(20, 80) * min(1.0, 0.3 + scale))):
            add_user(g, h, lognorm(r, 12, 0.7), h.lp, g.resolver, extras=r.random() < 0.5)
        if r.random() < 0.4:
            add_p2p(g, h, h.lp)
        if k >= n_nat:
            h.role = "nat_infected"
            f, u = infection_window(g, 0.5, 0.2)
            h.infected_from, h.infected_until = f, u
            add_c2(g, h, f, u, lognorm(r, 200, 0.4), 0.2, 80, "HTTP", c2s)
            if r.random() < 0.6:
                add_spam_engine(g, h, f, u, lognorm(r, 60, 0.5), 1200, 1800)
            else:
                add_clickfraud(g, h, f, u, 8)
        g.hosts.append(h)
    # heavy bots (Neris: spam + click fraud + C&C; Rbot: floods)
    for i in range(n_of(10, scale, 2)):
        h = Host(g, addr(), "bot_heavy", tz, "office", "flow=Background")
        add_user(g, h, lognorm(r, 10, 0.8), h.lp, g.resolver)  # the machine's owner keeps working
        f, u = infection_window(g, 0.35, 0.1)
        h.infected_from, h.infected_until = f, u
        add_c2(g, h, f, u, lognorm(r, 150, 0.5), 0.3, r.choice([80, 80, 443, 8080]), "HTTP", c2s)
        kind = r.choices(["neris", "rbot", "mixed"], [60, 20, 20])[0]
        if kind in ("neris", "mixed"):
            add_spam_engine(g, h, f, u, lognorm(r, 150, 0.6), lognorm(r, 900, 0.5), lognorm(r, 600, 0.8))
            add_clickfraud(g, h, f, u, lognorm(r, 10, 0.5))
        if kind in ("rbot", "mixed"):
            add_flood(g, h, f, u, r.choice(["icmp", "udp"]))
            add_scanner(g, h, f, u, 30, ports=(445, 139, 135, 445))
        g.hosts.append(h)
    for i in range(n_of(4, scale, 2)):
        h = Host(g, addr(), "bot_lowslow", tz, "office", "flow=Background")
        add_user(g, h, lognorm(r, 12, 0.8), h.lp, g.resolver)
        f, u = infection_window(g, 0.4, 0.1)
        h.infected_from, h.infected_until = f, u
        add_lowslow(g, h, f, u, c2s)
        g.hosts.append(h)
    for i in range(n_of(1, scale, 1)):
        h = Host(g, addr(), "bot_relay", tz, "office", "flow=Background")
        add_user(g, h, lognorm(r, 12, 0.8), h.lp, g.resolver)
        f, u = infection_window(g, 0.5, 0.1)
        h.infected_from, h.infected_until = f, u
        add_relay(g, h, f, u, [g.mail_ip] + g.pools.webmail_submit[:2])
        g.hosts.append(h)
    add_inbound_background(g, [h.ip for h in g.hosts], 25000 * scale + 500)
    return [subs], ["%s/32" % m.ip for m in mails]


def pop_isp(g, scale):
    r = g.r
    tz = r.choice([-5, 0, 1, 2]) * 3600
    blocks = []
    used = set()
    for _ in range(4):
        while True:
            bl = (r.choice([24, 67, 71, 73, 76, 84, 86, 90, 98, 176, 178, 188]), r.randint(0, 255), r.randrange(0, 256, 16))
            if bl not in used:
                used.add(bl)
                blocks.append(bl)
                break
    subs = ["%d.%d.%d.0/20" % bl for bl in blocks]
    biz = (blocks[0][0], blocks[0][1], (blocks[0][2] + 16) % 256)
    subs.append("%d.%d.%d.0/22" % biz)
    taken = set()

    def home_addr():
        while True:
            bl = r.choice(blocks)
            ip = "%d.%d.%d.%d" % (bl[0], bl[1], bl[2] + r.randint(0, 15), r.randint(1, 254))
            if ip not in taken:
                taken.add(ip)
                return ip

    def biz_addr():
        while True:
            ip = "%d.%d.%d.%d" % (biz[0], biz[1], biz[2] + r.randint(0, 3), r.randint(1, 254))
            if ip not in taken:
                taken.add(ip)
                return ip
    g.resolver = "%d.%d.%d.53" % (biz[0], biz[1], biz[2])  # ISP resolver: infrastructure, sends no flows here
    taken.add(g.resolver)
    c2s = [rand_ext(r) for _ in range(6)]
    smart = Host(g, biz_addr(), "mail_server", tz, "flat", "flow=Background")
    g.mail_ip = smart.ip
    add_mailserver(g, smart, 3000 * scale + 200, "flow=Background")
    mails = [smart]
    for _ in range(n_of(3, scale, 1)):
        m = Host(g, biz_addr(), "mail_server", tz, "office", "flow=Background")
        add_mailserver(g, m, lognorm(r, 120, 0.6), "flow=Background")
        mails.append(m)
    g.hosts += mails
    # households
    n_home = n_of(1500, scale, 40)
    for i in range(n_home):
        verified = r.random() < 0.02
        h = Host(g, home_addr(), "normal", tz, "home", "flow=From-Normal-V%d-Home" % g.sv if verified else "flow=Background")
        for _ in range(r.randint(1, 3)):
            add_user(g, h, lognorm(r, 5, 0.9), h.lp, g.resolver)
        x = r.random()
        if x < 0.06:
            add_p2p(g, h, h.lp)
        elif x < 0.18:
            add_gaming(g, h, h.lp)
        g.hosts.append(h)
    # CGNAT addresses and office NATs
    n_nat = n_of(8, scale, 1)
    n_natinf = n_of(2, scale, 1)
    for k in range(n_nat + n_natinf):
        cg = r.random() < 0.6
        h = Host(g, biz_addr(), "nat_gateway", tz, "home" if cg else "office", "flow=Background")
        for _ in range(int(r.uniform(15, 60) * min(1.0, 0.3 + scale))):
            add_user(g, h, lognorm(r, 6, 0.9), h.lp, g.resolver, extras=r.random() < 0.6)
        if r.random() < 0.5:
            add_p2p(g, h, h.lp)
        if k >= n_nat:
            h.role = "nat_infected"
            f, u = infection_window(g, 0.5, 0.2)
            h.infected_from, h.infected_until = f, u
            if r.random() < 0.5:
                add_lowslow(g, h, f, u, c2s)
            else:
                add_c2(g, h, f, u, lognorm(r, 300, 0.4), 0.3, 443, "HTTPS", c2s)
                add_spam_engine(g, h, f, u, lognorm(r, 30, 0.5), 1800, 3600, dns_external=False)
        g.hosts.append(h)
    # bots in households
    for i in range(n_of(30, scale, 3)):
        h = Host(g, home_addr(), "bot_lowslow", tz, "home", "flow=Background")
        for _ in range(r.randint(1, 3)):
            add_user(g, h, lognorm(r, 6, 0.9), h.lp, g.resolver)
        f, u = infection_window(g, 0.45, 0.15)
        h.infected_from, h.infected_until = f, u
        add_lowslow(g, h, f, u, c2s)
        g.hosts.append(h)
    for i in range(n_of(6, scale, 2)):
        h = Host(g, home_addr(), "bot_heavy", tz, "home", "flow=Background")
        for _ in range(r.randint(1, 3)):
            add_user(g, h, lognorm(r, 6, 0.9), h.lp, g.resolver)
        f, u = infection_window(g, 0.5, 0.2)
        h.infected_from, h.infected_until = f, u
        if r.random() < 0.5:  # IoT (camera/router) Mirai-like
            add_scanner(g, h, f, u, lognorm(r, 40, 0.5))
            add_c2(g, h, f, u, lognorm(r, 60, 0.3), 0.1, r.choice([23, 48101, 6667]), "TCP", c2s)
            if r.random() < 0.5:
                add_flood(g, h, f, u, "udp")
        else:  # direct-to-MX spam bot (Cutwail-like)
            add_c2(g, h, f, u, lognorm(r, 300, 0.3), 0.2, 80, "HTTP", c2s)
            add_spam_engine(g, h, f, u, lognorm(r, 90, 0.5), lognorm(r, 1800, 0.5), lognorm(r, 900, 0.6), fail=0.55, dns_external=r.random() < 0.5)
        g.hosts.append(h)
    for i in range(n_of(8, scale, 2)):
        h = Host(g, home_addr() if r.random() < 0.7 else biz_addr(), "bot_relay", tz, "home", "flow=Background")
        for _ in range(r.randint(1, 2)):
            add_user(g, h, lognorm(r, 6, 0.9), h.lp, g.resolver)
        f, u = infection_window(g, 0.5, 0.2)
        h.infected_from, h.infected_until = f, u
        servers = [smart.ip] if r.random() < 0.6 else []
        servers += r.sample(g.pools.webmail_submit, r.randint(1, 3))
        add_relay(g, h, f, u, servers)
        g.hosts.append(h)
    add_inbound_background(g, [h.ip for h in g.hosts], 20000 * scale + 500)
    return subs, ["%s/32" % m.ip for m in mails]


def add_inbound_background(g, targets, per_hour):
    """Internet background radiation and inbound connections to the network (src external)."""
    r = g.r
    h = Host(g, "0.0.0.0", None, 0, "flat", "flow=Background")
    scanners = [rand_ext(r) for _ in range(400)]

    def bg(t, out):
        src = r.choice(scanners) if r.random() < 0.7 else rand_ext(r)
        dst = r.choice(targets)
        port = r.choice([22, 23, 445, 3389, 80, 443, 8080, 5060, 1433, 25, 6881])
        if port == 5060:
            g.flow(out, t, 0.0, "udp", src, dst, port, "INT", 1, 450, 450, "flow=Background-UDP-Attempt", sport=5060)
        else:
            g.flow(out, t, r.choice([0.0, 0.0, 3.0]), "tcp", src, dst, port, r.choice(["S_", "S_RA", "S_RA"]), r.randint(1, 2), 60 * r.randint(1, 2), 60, "flow=Background-TCP-Attempt-Inbound")
        return r.expovariate(per_hour / HOUR)
    h.streams.append(Stream(g.start, bg))
    g.hosts.append(h)


POPULATIONS = {"campus": (pop_campus, 8 * 3600, 42), "isp": (pop_isp, 24 * 3600, 60)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="campus", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    fn, span, sv = POPULATIONS[a.population]
    r = random.Random("flows:%s:%d" % (a.population, a.seed))
    day = 1609459200 + r.randint(0, 1500) * 86400  # a day in 2021-2025
    start = day + (r.choice([8, 9, 10, 13]) * 3600 if span < 86400 else 0) + r.randint(0, 3599)
    g = Gen(r, start, start + span, sv + r.randint(0, 9))
    g.resolver = None
    g.mail_ip = None
    subs, mail = fn(g, a.scale)
    os.makedirs(a.out, exist_ok=True)
    cache = {}
    nflows = 0
    senders = set()
    hosts = g.hosts
    with open(os.path.join(a.out, "flows.binetflow"), "w", encoding="ascii", newline="\n") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n")
        t0 = float(start)
        carry = []
        while t0 < g.end:
            t1 = min(t0 + SLICE, float(g.end))
            out = carry
            for h in hosts:
                n0 = len(out)
                h.run(t0, t1, out)
                if len(out) > n0 and h.role is not None:
                    senders.add(h.ip)
            # flows started by a stream at the slice edge may spill a few seconds over: keep them
            # in order by sorting per slice and clamping into [t0, end)
            out.sort()
            cut = bisect.bisect_left(out, (t1,))
            carry = out[cut:] if t1 < g.end else []
            lines = []
            for (t, dur, proto, src, sport, d, dst, dport, state, pkts, byts, sb, lab) in out[:cut]:
                if t < t0:
                    t = t0
                sec = int(t)
                ts = cache.get(sec)
                if ts is None:
                    ts = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(sec))
                    cache[sec] = ts
                us = int((t - sec) * 1e6)
                lines.append("%s.%06d,%.6f,%s,%s,%s,%s,%s,%s,%s,0,0,%d,%d,%d,%s\n" % (
                    ts, us, dur, proto, src, sport, d, dst, dport, state, pkts, byts, sb, lab))
            f.writelines(lines)
            nflows += len(lines)
            if len(cache) > 5000:
                cache.clear()
            t0 = t1
    with open(os.path.join(a.out, "hosts.csv"), "w", encoding="ascii", newline="\n") as f:
        f.write("host,role,infected_from,infected_until\n")
        for h in sorted((h for h in hosts if h.role is not None and h.ip in senders), key=lambda h: tuple(int(x) for x in h.ip.split("."))):
            inf = h.infected_from is not None
            f.write("%s,%s,%s,%s\n" % (h.ip, h.role, h.infected_from if inf else "", h.infected_until if inf else ""))
    meta = {"population": a.population, "seed": a.seed, "start": start, "end": g.end, "subscribers": subs,
            "mail_servers": mail, "flows": nflows}
    with open(os.path.join(a.out, "meta.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Blind generator of labelled network-flow populations (CTU-13 style
.binetflow + hosts.csv + meta.json, see FORMAT.md).

Standard library only; deterministic for a given --seed.
See README.md for the populations and the published descriptions behind them.
"""
import argparse
import json
import math
import os
import random
import sys
import time

POPULATIONS = ["campus", "residential_cgnat", "hosting"]

HOUR = 3600
DAY = 86400
T0 = 1764583200  # 2025-12-01 10:00:00 UTC
CHUNK = 300

HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"

DIURNAL = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.25, 0.5, 0.8, 1.0, 1.1, 1.1,
           1.05, 1.1, 1.15, 1.1, 1.05, 1.0, 1.0, 1.05, 1.1, 1.0, 0.8, 0.5]


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def ip_s(x):
    return "%d.%d.%d.%d" % ((x >> 24) & 255, (x >> 16) & 255, (x >> 8) & 255, x & 255)


def ip_i(s):
    a, b, c, d = (int(v) for v in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


PUBLIC_OCT = [2, 3, 4, 5, 8, 12, 13, 17, 18, 20, 23, 31, 34, 35, 37, 40, 45, 46, 50, 51, 52, 54, 62, 63, 64, 65, 66, 67, 68, 69,
              72, 74, 77, 78, 80, 81, 82, 83, 84, 85, 87, 88, 89, 91, 93, 94, 95, 104, 107, 108, 109, 128, 129, 130, 131, 134,
              136, 137, 138, 140, 141, 142, 143, 144, 146, 149, 151, 152, 157, 158, 159, 162, 163, 164, 165, 167, 168, 170,
              173, 176, 178, 185, 188, 192, 193, 194, 195, 198, 199, 204, 205, 206, 207, 208, 209, 212, 213, 216, 217]


class World:
    """External address pools shared by all hosts of a population."""

    def __init__(self, rng, avoid):
        self.rng = rng
        self.avoid = avoid  # list of (net, mask) to keep external pools outside subscriber space

        def pool(n):
            out = []
            seen = set()
            while len(out) < n:
                x = self.rand_ip()
                if x not in seen:
                    seen.add(x)
                    out.append(x)
            return out
        self.web = pool(3000)
        self.cdn = pool(150)           # popular CDN / streaming front-ends
        self.mx = pool(6000)           # remote MX hosts
        self.bigmx = pool(40)          # large mailbox providers' MX (most legit mail)
        self.submission = pool(260)    # submission / IMAP servers of many mail providers
        self.bigsub = self.submission[:8]  # the few big providers most users use
        self.ads = pool(400)
        self.auth_dns = pool(2500)
        self.ntp = pool(12)
        self.peers = pool(20000)
        self.cc = pool(30)
        self.pkg = pool(40)
        self.pub_dns = pool(4)

    def rand_ip(self):
        r = self.rng
        while True:
            x = (r.choice(PUBLIC_OCT) << 24) | r.randint(0, (1 << 24) - 1)
            if (x & 255) in (0, 255):
                continue
            if any((x & m) == n for n, m in self.avoid):
                continue
            return x

    def rand_ip_r(self, r):
        while True:
            x = (r.choice(PUBLIC_OCT) << 24) | r.randint(0, (1 << 24) - 1)
            if (x & 255) in (0, 255):
                continue
            if any((x & m) == n for n, m in self.avoid):
                continue
            return x


# ------------------------------------------------------------------ flows
def eph(r, linux=False):
    return r.randint(32768, 60999) if linux else r.randint(49152, 65535)


def lognorm(r, med, sig):
    return med * math.exp(r.gauss(0, sig))


class Out:
    __slots__ = ("rows",)

    def __init__(self):
        self.rows = []

    def add(self, t, dur, proto, src, sport, dst, dport, state, pkts, nbytes, sbytes, label):
        d = "<->" if (proto != "icmp" and state not in ("S_", "INT", "REQ")) else "->"
        if pkts < 1:
            pkts = 1
        if nbytes < 60 * pkts // 2:
            nbytes = 60 * pkts
        if sbytes > nbytes:
            sbytes = nbytes
        self.rows.append((t, "%.6f,%s,%s,%s,%s,%s,%s,%s,0,0,%d,%d,%d,%s" % (
            dur, proto, src, sport, d, dst, dport, state, pkts, nbytes, sbytes, label)))


# each flow kind: fn(h, r, t, out, lab, **kw)
def f_dns(h, r, t, out, lab, dst=None):
    dst = dst or h.resolver
    q = r.randint(60, 110)
    if r.random() < 0.03:
        out.add(t, r.uniform(1, 5), "udp", h.src(r), eph(r, h.linux), dst, 53, "INT", 1, q, q, lab("UDP-DNS-Attempt"))
    else:
        a = r.randint(80, 480)
        out.add(t, r.uniform(0.0005, 0.08), "udp", h.src(r), eph(r, h.linux), dst, 53, "CON", 2, q + a, q, lab("UDP-DNS"))


def f_web(h, r, t, out, lab, dst=None, port=None):
    w = h.world
    dst = dst or ip_s(r.choice(w.cdn) if r.random() < 0.5 else r.choice(w.web))
    port = port or (443 if r.random() < 0.85 else 80)
    if port == 443 and r.random() < 0.3:
        # QUIC
        p = int(lognorm(r, 30, 1.2)) + 4
        b = int(p * r.uniform(300, 1200))
        out.add(t, lognorm(r, 3, 1.3), "udp", h.src(r), eph(r, h.linux), dst, 443, "CON", p, b, int(b * r.uniform(0.05, 0.3)), lab("UDP-HTTPS"))
        return
    p = int(lognorm(r, 18, 1.2)) + 5
    b = int(p * r.uniform(250, 1300))
    st = r.choice(("FSPA_FSPA", "FSPA_FSPA", "SPA_SPA", "FSRPA_FSPA", "FSPA_FSRPA"))
    out.add(t, lognorm(r, 2.5, 1.5), "tcp", h.src(r), eph(r, h.linux), dst, port, st, p, b, int(b * r.uniform(0.05, 0.35)), lab("TCP-Established-HTTP" + ("S" if port == 443 else "")))


def f_stream(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.cdn))
    dur = lognorm(r, 600, 0.8)
    p = int(dur * r.uniform(40, 300))
    b = int(p * r.uniform(900, 1400))
    out.add(t, dur, "tcp", h.src(r), eph(r, h.linux), dst, 443, "FSPA_FSPA", p, b, int(b * 0.03), lab("TCP-Established-Streaming"))


def f_p2p(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.peers))
    port = r.choice((6881, 6889, 51413, 50321, r.randint(10000, 65000)))
    if r.random() < 0.55:
        ok = r.random() < 0.6
        out.add(t, r.uniform(0.01, 3) if ok else r.uniform(1, 10), "udp", h.src(r), h.p2p_port, dst, port,
                "CON" if ok else "INT", r.randint(2, 12) if ok else 1, r.randint(150, 3000), r.randint(70, 1400), lab("UDP-P2P"))
    else:
        ok = r.random() < 0.5
        if ok:
            p = int(lognorm(r, 40, 1.5)) + 6
            b = p * r.randint(200, 1300)
            out.add(t, lognorm(r, 20, 1.4), "tcp", h.src(r), eph(r, h.linux), dst, port, "FSPA_FSPA", p, b, int(b * r.uniform(0.1, 0.9)), lab("TCP-P2P"))
        else:
            out.add(t, r.uniform(0.5, 9), "tcp", h.src(r), eph(r, h.linux), dst, port, r.choice(("S_", "S_RA")), r.randint(1, 3), 180, 120, lab("TCP-Attempt-P2P"))


def f_mailclient(h, r, t, out, lab, dst=None):
    """legitimate mail user agent: IMAP(S) sync or submission to own provider."""
    dst = dst or h.mailprov
    if r.random() < 0.75:
        port = 993
        p = int(lognorm(r, 20, 1.0)) + 6
    else:
        port = r.choice((587, 587, 465))
        p = int(lognorm(r, 25, 0.8)) + 10
    b = p * r.randint(150, 900)
    out.add(t, lognorm(r, 3, 1.2), "tcp", h.src(r), eph(r, h.linux), dst, port, "FSPA_FSPA", p, b, int(b * (0.6 if port != 993 else 0.15)), lab("TCP-Established-Mail"))


def f_ntp(h, r, t, out, lab):
    out.add(t, r.uniform(0.01, 0.2), "udp", h.src(r), 123, ip_s(r.choice(h.world.ntp)), 123, "CON", 2, 180, 90, lab("UDP-NTP"))


def f_ssh_out(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.web))
    p = int(lognorm(r, 200, 1.5)) + 20
    out.add(t, lognorm(r, 300, 1.2), "tcp", h.src(r), eph(r, h.linux), dst, 22, "FSPA_FSPA", p, p * 180, p * 80, lab("TCP-Established-SSH"))


def f_game(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.cdn))
    dur = lognorm(r, 900, 0.8)
    p = int(dur * r.uniform(10, 40))
    out.add(t, dur, "udp", h.src(r), eph(r, h.linux), dst, r.choice((3074, 27015, 9000, 5062)), "CON", p, p * 110, p * 50, lab("UDP-Game"))


def f_pkg(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.pkg))
    p = int(lognorm(r, 300, 1.5)) + 10
    out.add(t, lognorm(r, 8, 1.2), "tcp", h.src(r), eph(r, True), dst, r.choice((80, 443)), "FSPA_FSPA", p, p * 1100, p * 60, lab("TCP-Established-HTTP-Update"))


def f_backup(h, r, t, out, lab):
    dst = h.backup_dst
    dur = lognorm(r, 900, 0.7)
    p = int(dur * r.uniform(200, 800))
    out.add(t, dur, "tcp", h.src(r), eph(r, True), dst, r.choice((22, 873)), "FSPA_FSPA", p, p * 1200, p * 1150, lab("TCP-Established-Backup"))


def f_smtp_out(h, r, t, out, lab):
    """MTA delivering to a remote MX: mostly big providers, a long tail of small MXes."""
    w = h.world
    dst = ip_s(r.choice(w.bigmx) if r.random() < 0.55 else r.choice(w.mx))
    x = r.random()
    if x < 0.93:
        p = int(lognorm(r, 22, 0.7)) + 10
        b = p * r.randint(200, 1400)
        out.add(t, lognorm(r, 1.5, 1.0), "tcp", h.src(r), eph(r, True), dst, 25, "FSPA_FSPA", p, b, int(b * 0.85), lab("TCP-Established-SMTP"))
    elif x < 0.97:
        out.add(t, lognorm(r, 0.8, 0.6), "tcp", h.src(r), eph(r, True), dst, 25, "FSPA_FSPA", r.randint(10, 16), r.randint(1500, 2600), 900, lab("TCP-Established-SMTP-Reject"))
    else:
        out.add(t, r.uniform(3, 30), "tcp", h.src(r), eph(r, True), dst, 25, r.choice(("S_", "S_RA")), r.randint(1, 4), 240, 240, lab("TCP-Attempt-SMTP"))


def f_smtp_in(h, r, t, out, lab_bg):
    """remote MTA delivering to our mail server (src is external)."""
    src = ip_s(r.choice(h.world.mx) if r.random() < 0.6 else h.world.rand_ip_r(r))
    p = int(lognorm(r, 20, 0.8)) + 8
    b = p * r.randint(200, 1500)
    st = "FSPA_FSPA" if r.random() < 0.8 else "FSRPA_FSPA"
    out.add(t, lognorm(r, 1.5, 1.0), "tcp", src, eph(r, True), h.ip, 25, st, p, b, int(b * 0.9), "flow=Background-TCP-Established")


def f_submission_in(h, r, t, out, lab_bg):
    """subscriber MUA submitting to the ISP smarthost / campus MSA (src internal client)."""
    src = h.pick_client_ip(r)
    if not src:
        return
    p = int(lognorm(r, 25, 0.8)) + 10
    b = p * r.randint(150, 900)
    out.add(t, lognorm(r, 2, 1.0), "tcp", src, eph(r), h.ip, 587, "FSPA_FSPA", p, b, int(b * 0.7), "flow=Background-TCP-Established")


def f_inbound_web(h, r, t, out, lab_bg):
    src = ip_s(h.world.rand_ip_r(r))
    p = int(lognorm(r, 15, 1.0)) + 5
    b = p * r.randint(300, 1300)
    out.add(t, lognorm(r, 1.5, 1.3), "tcp", src, eph(r), h.ip, r.choice((443, 443, 80)), "FSPA_FSPA", p, b, int(b * 0.1), "flow=Background-TCP-Established")


def f_inbound_scan(h, r, t, out, lab_bg):
    """Internet background radiation hitting our addresses (src external)."""
    src = ip_s(h.world.rand_ip_r(r))
    port = r.choice((23, 22, 445, 3389, 80, 8080, 2323, 5060, 1433))
    out.add(t, 0.0, "tcp", src, eph(r), h.ip, port, r.choice(("S_", "S_RA", "S_RA")), 1, 60, 60, "flow=Background-TCP-Attempt")


def f_resolver(h, r, t, out, lab):
    """recursive resolver: queries to authoritative servers (high fan-out)."""
    dst = ip_s(r.choice(h.world.auth_dns))
    ok = r.random() < 0.97
    out.add(t, r.uniform(0.002, 0.2) if ok else r.uniform(1, 4), "udp", h.src(r), eph(r, True), dst, 53,
            "CON" if ok else "INT", 2 if ok else 1, r.randint(150, 700) if ok else 80, r.randint(60, 110), lab("UDP-DNS-Recursive"))


def f_monitor(h, r, t, out, lab):
    """monitoring poller: probes customer hosts (ICMP + HTTPS) -- legitimate fan-out."""
    dst = h.pick_target(r)
    if r.random() < 0.5:
        out.add(t, r.uniform(0.0005, 0.02), "icmp", h.src(r), "0x0008", dst, "0x%04x" % r.randint(1, 65000), "ECO", 2, 196, 98, lab("ICMP-Monitor"))
    else:
        out.add(t, r.uniform(0.05, 0.6), "tcp", h.src(r), eph(r, True), dst, r.choice((443, 80, 22)), "FSPA_FSPA", r.randint(8, 14), r.randint(1500, 6000), 900, lab("TCP-Established-Monitor"))


def f_research_scan(h, r, t, out, lab):
    """rate-limited Internet measurement scan (ZMap-style) by a research group."""
    dst = ip_s(h.world.rand_ip_r(r))
    x = r.random()
    if x < 0.7:
        out.add(t, 0.0, "tcp", h.src(r), eph(r, True), dst, 443, "S_", 1, 60, 60, lab("TCP-Attempt-Research"))
    elif x < 0.85:
        out.add(t, r.uniform(0.01, 0.3), "tcp", h.src(r), eph(r, True), dst, 443, "S_RA", 2, 120, 60, lab("TCP-Attempt-Research"))
    else:
        out.add(t, r.uniform(0.02, 0.4), "tcp", h.src(r), eph(r, True), dst, 443, "SA_R", 3, 180, 120, lab("TCP-Established-Research"))


def f_crawler(h, r, t, out, lab):
    dst = ip_s(h.world.rand_ip_r(r) if r.random() < 0.6 else r.choice(h.world.web))
    p = int(lognorm(r, 14, 0.9)) + 5
    out.add(t, lognorm(r, 1.2, 1.0), "tcp", h.src(r), eph(r, True), dst, r.choice((443, 80)), "FSPA_FSPA", p, p * 700, p * 60, lab("TCP-Established-Crawler"))


# ---------------------------------------------------------------- bot flows
def b_spam(h, r, t, out, lab, blocked=False, heavy=True):
    """direct-to-MX spam (Neris / Virut / Cutwail-style spambots)."""
    w = h.world
    if r.random() < 0.25:
        f_dns(h, r, t, out, lab, dst=h.bot_dns)  # MX lookup
        t += r.uniform(0.01, 0.3)
    dst = ip_s(r.choice(w.mx) if r.random() < 0.8 else r.choice(w.bigmx))
    if blocked:
        out.add(t, r.uniform(3, 21), "tcp", h.src(r), eph(r), dst, 25, "S_", r.randint(1, 3), 62 * 3, 62 * 3, lab("TCP-Attempt-SPAM"))
        return
    x = r.random()
    if x < 0.55:
        p = int(lognorm(r, 16, 0.6)) + 8
        b = p * r.randint(150, 700)
        out.add(t, lognorm(r, 2.5, 1.0), "tcp", h.src(r), eph(r), dst, 25, r.choice(("FSPA_FSPA", "FSRPA_FSPA", "SRPA_SPA")), p, b, int(b * 0.8), lab("TCP-Established-SPAM"))
    elif x < 0.75:
        out.add(t, lognorm(r, 1.0, 0.8), "tcp", h.src(r), eph(r), dst, 25, "FSPA_FSPA", r.randint(8, 14), r.randint(900, 1800), r.randint(300, 600), lab("TCP-Established-SPAM-Reject"))
    else:
        out.add(t, r.uniform(0, 9), "tcp", h.src(r), eph(r), dst, 25, r.choice(("S_", "S_RA", "S_RA")), r.randint(1, 3), 180, 180, lab("TCP-Attempt-SPAM"))


def b_cc_irc(h, r, t, out, lab):
    p = int(lognorm(r, 40, 0.8)) + 6
    out.add(t, lognorm(r, 120, 1.0), "tcp", h.src(r), eph(r), h.cc, h.cc_port, "FSPA_FSPA", p, p * r.randint(70, 160), p * 50, lab("TCP-CC-IRC-Established"))


def b_cc_http(h, r, t, out, lab):
    p = r.randint(6, 14)
    b = r.randint(700, 3500)
    out.add(t, r.uniform(0.1, 2.0), "tcp", h.src(r), eph(r), h.cc, h.cc_port, "FSPA_FSPA", p, b, r.randint(300, 700), lab("TCP-CC-HTTP-Established"))


def b_clickfraud(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.ads))
    p = r.randint(7, 30)
    out.add(t, r.uniform(0.2, 4), "tcp", h.src(r), eph(r), dst, 80, "FSPA_FSPA", p, p * r.randint(200, 900), p * 90, lab("TCP-Established-HTTP-Ad"))


def b_scan(h, r, t, out, lab):
    """port scanning / propagation (Rbot, Murlo, Virut PS; Mirai telnet)."""
    if h.scan_local and r.random() < 0.6:
        dst = ip_s((h.scan_net & 0xFFFF0000) | r.randint(1, 65534))
    else:
        dst = ip_s(h.world.rand_ip_r(r))
    port = r.choice(h.scan_ports)
    x = r.random()
    if x < 0.8:
        out.add(t, 0.0 if r.random() < 0.7 else r.uniform(2.5, 9.5), "tcp", h.src(r), eph(r), dst, port, "S_", r.randint(1, 2), 62, 62, lab("TCP-Attempt-PS"))
    elif x < 0.97:
        out.add(t, r.uniform(0.0002, 0.3), "tcp", h.src(r), eph(r), dst, port, "S_RA", 2, 122, 62, lab("TCP-Attempt-PS"))
    else:
        p = r.randint(6, 40)
        out.add(t, r.uniform(0.5, 20), "tcp", h.src(r), eph(r), dst, port, "FSPA_FSPA", p, p * 90, p * 50, lab("TCP-Established-PS"))


def b_ssh_brute(h, r, t, out, lab):
    dst = h.brute_target if (h.brute_target and r.random() < 0.7) else ip_s(h.world.rand_ip_r(r))
    if r.random() < 0.35:
        out.add(t, r.uniform(0, 3), "tcp", h.src(r), eph(r, True), dst, 22, r.choice(("S_", "S_RA")), 1, 60, 60, lab("TCP-Attempt-SSH"))
    else:
        p = r.randint(12, 30)
        out.add(t, r.uniform(1, 8), "tcp", h.src(r), eph(r, True), dst, 22, "FSPA_FSPA", p, p * 110, p * 55, lab("TCP-Established-SSH-Brute"))


def b_ddos(h, r, t, out, lab):
    tgt = h.ddos_target
    kind = h.ddos_kind
    if kind == "icmp":
        p = r.randint(200, 3000)
        out.add(t, r.uniform(1, 60), "icmp", h.src(r), "0x0008", tgt, "0x%04x" % r.randint(1, 65000), "ECO", p, p * 1066, p * 1066, lab("ICMP-DDoS"))
    elif kind == "udp":
        p = r.randint(500, 9000)
        out.add(t, r.uniform(5, 60), "udp", h.src(r), eph(r), tgt, r.choice((80, 53, r.randint(1, 65535))), "INT", p, p * 540, p * 540, lab("UDP-Attempt-DDoS"))
    else:
        out.add(t, 0.0, "tcp", h.src(r), r.randint(1024, 65535), tgt, 80, "S_", r.randint(1, 5), 300, 300, lab("TCP-Attempt-DDoS-SYN"))


def b_relay(h, r, t, out, lab):
    """credential stuffing / stolen-credential relay through other providers'
    submission ports (SMTP AUTH on 587/465, IMAP login checks on 993)."""
    w = h.world
    dst = ip_s(r.choice(w.submission) if r.random() < 0.8 else r.choice(w.bigsub))
    x = r.random()
    port = r.choice((587, 587, 465, 993)) if x < 0.95 else 25
    y = r.random()
    if y < 0.55:   # AUTH failure: short session
        p = r.randint(9, 16)
        out.add(t, r.uniform(0.3, 4), "tcp", h.src(r), eph(r), dst, port, "FSPA_FSPA", p, r.randint(2200, 5200), r.randint(700, 1300), lab("TCP-Established-AUTH-Fail"))
    elif y < 0.8:  # accepted login, spam relayed
        p = int(lognorm(r, 40, 0.6)) + 14
        b = p * r.randint(300, 1100)
        out.add(t, lognorm(r, 4, 0.8), "tcp", h.src(r), eph(r), dst, port, "FSPA_FSPA", p, b, int(b * 0.85), lab("TCP-Established-SMTP-Relay"))
    else:
        out.add(t, r.uniform(0, 9), "tcp", h.src(r), eph(r), dst, port, r.choice(("S_", "S_RA", "SR_SA")), r.randint(1, 3), 180, 120, lab("TCP-Attempt-AUTH"))


def b_p2p_cc(h, r, t, out, lab):
    dst = ip_s(r.choice(h.world.peers))
    ok = r.random() < 0.35
    out.add(t, r.uniform(0.05, 1.5) if ok else 0.0, "udp", h.src(r), h.p2p_port, dst, r.randint(1025, 65535), "CON" if ok else "INT",
            r.randint(2, 4) if ok else 1, r.randint(200, 900) if ok else r.randint(60, 300), r.randint(60, 300), lab("UDP-P2P-CC"))


def b_miner(h, r, t, out, lab):
    dur = lognorm(r, 1800, 0.5)
    p = int(dur * r.uniform(0.2, 1))
    out.add(t, dur, "tcp", h.src(r), eph(r, True), h.cc, r.choice((3333, 4444, 14444, 5555)), "FSPA_FSPA", p, p * 160, p * 90, lab("TCP-Established-Stratum"))


FLOW = {"dns": f_dns, "web": f_web, "stream": f_stream, "p2p": f_p2p, "mail": f_mailclient, "ntp": f_ntp,
        "ssh": f_ssh_out, "game": f_game, "pkg": f_pkg, "backup": f_backup, "smtp_out": f_smtp_out,
        "smtp_in": f_smtp_in, "sub_in": f_submission_in, "in_web": f_inbound_web, "in_scan": f_inbound_scan,
        "resolver": f_resolver, "monitor": f_monitor, "rscan": f_research_scan, "crawler": f_crawler,
        "spam": b_spam, "cc_irc": b_cc_irc, "cc_http": b_cc_http, "click": b_clickfraud, "scan": b_scan,
        "sshbrute": b_ssh_brute, "ddos": b_ddos, "relay": b_relay, "p2pcc": b_p2p_cc, "miner": b_miner}

WEB_SESSION = ("web_session",)


class Act:
    """An activity: Poisson arrivals (rate per second, optionally diurnal),
    or periodic with jitter; optionally limited to [a, b) and on/off bursts."""
    __slots__ = ("kind", "rate", "diurnal", "a", "b", "bot", "period", "jitter", "nxt", "kw", "onoff", "on_until", "off_until", "desc")

    def __init__(self, kind, rate=0.0, diurnal=True, a=None, b=None, bot=False, period=None, jitter=0.1,
                 onoff=None, desc=None, **kw):
        self.kind = kind
        self.rate = rate
        self.diurnal = diurnal
        self.a = a
        self.b = b
        self.bot = bot
        self.period = period
        self.jitter = jitter
        self.nxt = None
        self.kw = kw
        self.onoff = onoff      # (mean_on_s, mean_off_s)
        self.on_until = None
        self.off_until = None
        self.desc = desc


class Host:
    def __init__(self, pop, idx, ip, role, world, rng, tz=1, vlabel=40, verified=False):
        self.ip = ip
        self.role = role
        self.world = world
        self.r = rng
        self.tz = tz
        self.acts = []
        self.linux = rng.random() < 0.3
        self.p2p_port = rng.randint(10000, 65000)
        self.resolver = None
        self.bot_dns = None
        self.mailprov = None
        self.cc = None
        self.cc_port = 80
        self.scan_ports = (445,)
        self.scan_local = False
        self.scan_net = ip_i(ip)
        self.ddos_target = None
        self.ddos_kind = "udp"
        self.brute_target = None
        self.backup_dst = None
        self.targets = None
        self.clients = None
        self.nat = False
        self.vlabel = vlabel
        self.verified = verified
        self.infected_from = None
        self.infected_until = None
        self.name = "Normal"

    def src(self, r):
        return self.ip

    def pick_client_ip(self, r):
        return r.choice(self.clients) if self.clients else None

    def pick_target(self, r):
        return r.choice(self.targets)

    def lab_normal(self, desc):
        if self.verified:
            return "flow=From-Normal-V%d-%s" % (self.vlabel, desc)
        if desc.startswith("UDP"):
            return "flow=Background-UDP-Established" if "Attempt" not in desc else "flow=Background-UDP-Attempt"
        if "Attempt" in desc:
            return "flow=Background-TCP-Attempt"
        if desc.startswith("ICMP"):
            return "flow=Background-ICMP"
        return "flow=Background-TCP-Established"

    def lab_bot(self, desc):
        return "flow=From-Botnet-V%d-%s" % (self.vlabel, desc)


def run_act(h, act, c0, c1, out):
    r = h.r
    a = c0 if act.a is None else max(c0, act.a)
    b = c1 if act.b is None else min(c1, act.b)
    if b <= a:
        return
    lab = h.lab_bot if act.bot else h.lab_normal
    fn = FLOW.get(act.kind)
    if act.period:
        if act.nxt is None:
            act.nxt = (act.a if act.a is not None else c0) + r.uniform(0, act.period)
        while act.nxt < b:
            if act.nxt >= a:
                emit_kind(h, act, fn, r, act.nxt, out, lab)
            act.nxt += act.period * (1 + r.uniform(-act.jitter, act.jitter))
        return
    # on/off bursts (e.g. spam campaigns, DDoS orders)
    if act.onoff:
        on, off = act.onoff
        if act.on_until is None:
            # on_until holds the next switch time, off_until the current state (1.0 on / 0.0 off)
            act.off_until = 1.0 if r.random() < on / (on + off) else 0.0
            act.on_until = a + r.expovariate(1.0 / (on if act.off_until else off))
        segs = []
        t = a
        while t < b:
            e = min(b, act.on_until)
            if act.off_until and e > t:
                segs.append((t, e))
            t = e
            if act.on_until <= b:
                act.off_until = 0.0 if act.off_until else 1.0
                act.on_until = act.on_until + r.expovariate(1.0 / (on if act.off_until else off))
    else:
        segs = [(a, b)]
    for s0, s1 in segs:
        rate = act.rate
        if act.diurnal:
            lh = int(((s0 + s1) / 2 + h.tz * HOUR) // HOUR) % 24
            rate *= DIURNAL[lh]
        n = poisson(r, rate * (s1 - s0))
        for _ in range(n):
            emit_kind(h, act, fn, r, r.uniform(s0, s1), out, lab)


def emit_kind(h, act, fn, r, t, out, lab):
    if act.kind == "web_session":
        f_dns(h, r, t, out, lab)
        k = 1 + int(r.expovariate(1 / 3.0))
        for _ in range(min(k, 15)):
            f_web(h, r, t + r.uniform(0.05, 4), out, lab)
        return
    fn(h, r, t, out, lab, **act.kw)


class NatHost(Host):
    """A NAT gateway address: the union of many clients behind it. Flows carry
    the NAT address and a translated source port."""

    def src(self, r):
        return self.ip


# ------------------------------------------------------------ host recipes
def user_acts(h, r, intensity=1.0, p2p=0.05, stream=0.3, game=0.1, mail=0.5, linux=None):
    """a person's device(s): browsing sessions, DNS, NTP, streaming, P2P, mail."""
    k = intensity
    h.acts.append(Act("web_session", rate=k * r.uniform(0.002, 0.014)))
    h.acts.append(Act("dns", rate=k * r.uniform(0.001, 0.005)))
    h.acts.append(Act("ntp", period=r.choice((1024.0, 2048.0, 3600.0)), jitter=0.05))
    if r.random() < stream:
        h.acts.append(Act("stream", rate=k * r.uniform(0.0001, 0.0008)))
    if r.random() < mail:
        h.acts.append(Act("mail", period=r.choice((300.0, 600.0, 900.0)) / max(k, 0.2), jitter=0.3, diurnal=False))
    if r.random() < p2p:
        h.acts.append(Act("p2p", rate=k * r.uniform(0.02, 0.15), onoff=(3 * HOUR, 5 * HOUR)))
    if r.random() < game:
        h.acts.append(Act("game", rate=k * r.uniform(0.00005, 0.0003)))


def nat_acts(h, r, n_clients):
    """aggregate of n client devices behind one address."""
    k = n_clients
    h.acts.append(Act("web_session", rate=k * 0.0025))
    h.acts.append(Act("dns", rate=k * 0.0012))
    h.acts.append(Act("ntp", rate=k / 2048.0, diurnal=False))
    h.acts.append(Act("stream", rate=k * 0.00025))
    h.acts.append(Act("mail", rate=k * 0.3 / 900.0))
    h.acts.append(Act("game", rate=k * 0.00003))
    if k >= 20:
        h.acts.append(Act("p2p", rate=k * 0.0008, onoff=(4 * HOUR, 2 * HOUR)))


BOT_FAMILIES = {
    # CTU-13 scenario families (Garcia et al. 2014) and later families
    "neris": dict(cc="irc", spam=(0.6, 2.0), click=0.4, scan=None),
    "virut": dict(cc="http", spam=(0.3, 1.2), click=0.0, scan=(0.5, 3.0, (445, 139))),
    "rbot": dict(cc="irc", spam=None, click=0.0, scan=(1.0, 6.0, (445, 135, 139)), ddos="icmp"),
    "murlo": dict(cc="http", spam=None, click=0.0, scan=(1.5, 5.0, (445, 139, 22))),
    "menti": dict(cc="http", spam=None, click=0.0, scan=(0.3, 1.0, (3389, 445))),
    "mirai": dict(cc="telnet", spam=None, click=0.0, scan=(1.0, 5.0, (23, 23, 23, 23, 23, 23, 23, 23, 23, 2323))),
    "sshworm": dict(cc="http", spam=None, click=0.0, brute=(0.5, 3.0)),
}


def infect_heavy(h, r, fam, start, until):
    f = BOT_FAMILIES[fam]
    h.infected_from = start
    h.infected_until = until
    h.cc = ip_s(r.choice(h.world.cc))
    if f["cc"] == "irc":
        h.cc_port = r.choice((6667, 6667, 6697, 8080, 4444))
        h.acts.append(Act("cc_irc", period=r.uniform(90, 300), jitter=0.2, a=start, b=until, bot=True, diurnal=False))
    elif f["cc"] == "telnet":
        h.cc_port = r.choice((23, 101, 48101))
        h.acts.append(Act("cc_http", period=r.uniform(60, 120), jitter=0.1, a=start, b=until, bot=True, diurnal=False))
    else:
        h.cc_port = r.choice((80, 80, 443, 8080))
        h.acts.append(Act("cc_http", period=r.uniform(30, 300), jitter=0.15, a=start, b=until, bot=True, diurnal=False))
    h.bot_dns = h.resolver if r.random() < 0.6 else ip_s(r.choice(h.world.pub_dns))
    if f.get("spam"):
        lo, hi = f["spam"]
        h.acts.append(Act("spam", rate=r.uniform(lo, hi), a=start, b=until, bot=True, diurnal=False,
                          onoff=(r.uniform(0.5, 3) * HOUR, r.uniform(0.2, 1.5) * HOUR)))
    if f.get("click"):
        h.acts.append(Act("click", rate=f["click"] * r.uniform(0.5, 1.5), a=start, b=until, bot=True, diurnal=False,
                          onoff=(HOUR, HOUR)))
    if f.get("scan"):
        lo, hi, ports = f["scan"]
        h.scan_ports = ports
        h.scan_local = fam in ("rbot", "virut", "murlo", "menti")
        h.acts.append(Act("scan", rate=r.uniform(lo, hi), a=start, b=until, bot=True, diurnal=False,
                          onoff=(r.uniform(0.3, 2) * HOUR, r.uniform(0.3, 2) * HOUR)))
    if f.get("brute"):
        lo, hi = f["brute"]
        h.brute_target = ip_s(h.world.rand_ip_r(r))
        h.acts.append(Act("sshbrute", rate=r.uniform(lo, hi), a=start, b=until, bot=True, diurnal=False,
                          onoff=(r.uniform(1, 4) * HOUR, r.uniform(0.5, 2) * HOUR)))
    if f.get("ddos") or fam in ("mirai", "sshworm"):
        h.ddos_kind = f.get("ddos") or r.choice(("udp", "syn"))
        h.ddos_target = ip_s(h.world.rand_ip_r(r))
        h.acts.append(Act("ddos", rate=r.uniform(0.3, 2.0), a=start, b=until, bot=True, diurnal=False,
                          onoff=(r.uniform(5, 20) * 60, r.uniform(2, 6) * HOUR)))
    h.name = fam


def infect_lowslow(h, r, start, until, blocked25=False, kind="spam"):
    """low-and-slow: sparse spam (a few SMTP sessions an hour) + HTTP(S)
    beacons every 10-60 minutes, or P2P C&C chatter."""
    h.infected_from = start
    h.infected_until = until
    h.cc = ip_s(r.choice(h.world.cc))
    h.cc_port = r.choice((443, 80, 8443))
    h.bot_dns = h.resolver
    h.acts.append(Act("cc_http", period=r.uniform(600, 3600), jitter=0.35, a=start, b=until, bot=True, diurnal=False))
    if kind == "spam":
        h.acts.append(Act("spam", rate=r.uniform(2, 12) / HOUR, a=start, b=until, bot=True, diurnal=False,
                          blocked=blocked25))
    elif kind == "p2p":
        h.acts.append(Act("p2pcc", rate=r.uniform(10, 40) / HOUR, a=start, b=until, bot=True, diurnal=False))
        h.acts.append(Act("spam", rate=r.uniform(1, 5) / HOUR, a=start, b=until, bot=True, diurnal=False, blocked=blocked25))
    elif kind == "click":
        h.acts.append(Act("click", rate=r.uniform(5, 20) / HOUR, a=start, b=until, bot=True, diurnal=False))
    h.name = "lowslow"


def infect_relay(h, r, start, until, rate=None):
    h.infected_from = start
    h.infected_until = until
    h.cc = ip_s(r.choice(h.world.cc))
    h.cc_port = 443
    h.acts.append(Act("cc_http", period=r.uniform(120, 900), jitter=0.3, a=start, b=until, bot=True, diurnal=False))
    h.acts.append(Act("relay", rate=rate or r.uniform(0.02, 0.25), a=start, b=until, bot=True, diurnal=False,
                      onoff=(r.uniform(1, 4) * HOUR, r.uniform(0.5, 3) * HOUR)))
    h.name = "relay"


class Pop:
    def __init__(self, name, seed, scale):
        self.name = name
        self.seed = seed
        self.rng = random.Random("flows:%s:%d" % (name, seed))
        self.scale = scale
        self.hosts = []
        self.subscribers = []
        self.mail_cidrs = []
        self.t0 = T0 + (seed % 5) * DAY
        self.t1 = None
        self.f = max(scale, 0.05)  # rate factor for aggregate infrastructure (resolvers, MTAs, NATs)

    def hrng(self):
        return random.Random("h:%s:%d:%d" % (self.name, self.seed, len(self.hosts)))

    def cnt(self, x, lo):
        return max(lo, int(round(x * self.scale)))

    def bcnt(self, x, lo):
        return max(lo, int(round(x * math.sqrt(self.scale))))


def alloc(base, n, used, r, lo=1, hi=None):
    """n distinct host addresses inside base network (base=(net_int, prefix))."""
    net, pl = base
    size = 1 << (32 - pl)
    hi = hi or size - 2
    out = []
    while len(out) < n:
        x = net + r.randint(lo, hi)
        if (x & 255) in (0, 255) or x in used:
            continue
        used.add(x)
        out.append(x)
    return out


def build_campus(P):
    r = P.rng
    P.t1 = P.t0 + 12 * HOUR
    b2 = r.choice((32, 48, 77, 130, 200, 211))
    net = (147 << 24) | (b2 << 16)
    P.subscribers = ["147.%d.0.0/16" % b2]
    P.mail_cidrs = ["147.%d.80.0/29" % b2]
    w = World(r, [(net, 0xFFFF0000)])
    used = set()
    res = alloc((net | (80 << 8), 24), 2, used, r, lo=10, hi=20)
    resolvers = [ip_s(x) for x in res]
    # campus mail servers
    mtas = [ip_s((net | (80 << 8)) + i) for i in (1, 2, 3)]
    for x in mtas:
        used.add(ip_i(x))
    t0, t1 = P.t0, P.t1
    V = 40 + P.seed % 50
    allhosts = []

    def add(ip, role, verified=False, cls=Host):
        h = cls(P.name, len(P.hosts), ip, role, w, P.hrng(), tz=1, vlabel=V, verified=verified)
        h.resolver = r.choice(resolvers)
        h.mailprov = mtas[0] if r.random() < 0.6 else ip_s(r.choice(w.bigsub))
        P.hosts.append(h)
        return h
    for ip in resolvers:
        h = add(ip, "normal")
        h.linux = True
        h.acts.append(Act("resolver", rate=P.f * r.uniform(2.5, 4.5)))
    for i, ip in enumerate(mtas):
        h = add(ip, "mail_server")
        h.linux = True
        h.acts.append(Act("smtp_out", rate=P.f * r.uniform(0.3, 1.0)))
        h.acts.append(Act("smtp_in", rate=P.f * r.uniform(0.4, 1.2)))
        h.acts.append(Act("dns", rate=P.f * 0.4, diurnal=True))
    n_ws = P.cnt(1400, 40)
    ws_ips = [ip_s(x) for x in alloc((net, 16), n_ws, used, r, lo=256 * 81)]
    ws = []
    for ip in ws_ips:
        h = add(ip, "normal", verified=r.random() < 0.08)
        user_acts(h, h.r, intensity=r.uniform(0.3, 1.5), p2p=0.04, stream=0.35, game=0.05, mail=0.6)
        if r.random() < 0.1:
            h.acts.append(Act("ssh", rate=r.uniform(0.0002, 0.001)))
        if r.random() < 0.1:
            h.acts.append(Act("in_web", rate=r.uniform(0.005, 0.05)))
        if r.random() < 0.3:
            h.acts.append(Act("in_scan", rate=r.uniform(0.001, 0.01), diurnal=False))
        ws.append(h)
    # a research group's rate-limited measurement scanner (legitimate)
    rs_ip = ip_s(alloc((net, 16), 1, used, r, lo=256 * 81)[0])
    h = add(rs_ip, "normal")
    h.linux = True
    h.acts.append(Act("rscan", rate=P.f * r.uniform(2, 5), diurnal=False, a=t0 + r.uniform(1, 6) * HOUR, b=t0 + r.uniform(7, 11) * HOUR))
    # campus backup server
    bk = ip_s(alloc((net, 16), 1, used, r, lo=256 * 81)[0])
    h = add(bk, "normal")
    h.backup_dst = ip_s(w.rand_ip())
    h.acts.append(Act("backup", rate=0.003, diurnal=False))
    h.acts.append(Act("pkg", rate=0.002))
    # NAT gateways (wifi / dorms)
    nats = [ip_s(x) for x in alloc((net | (90 << 8), 24), 4, used, r, lo=1, hi=200)]
    for i, ip in enumerate(nats):
        infected = i == 0
        h = add(ip, "nat_infected" if infected else "nat_gateway", cls=NatHost)
        ncl = P.cnt(r.randint(80, 200), 8)
        nat_acts(h, h.r, ncl)
        if infected:
            s = t0 + r.uniform(2, 6) * HOUR
            fam = r.choice(("neris", "virut"))
            # the client's bot traffic, emitted with the NAT's address
            infect_heavy(h, h.r, fam, s, t1)
            # tone down: a single client among many
            for a in h.acts:
                if a.bot and a.rate:
                    a.rate *= 0.5
    # bots
    fams = ["neris", "neris", "neris", "rbot", "rbot", "virut", "murlo", "menti", "virut", "neris"]
    n_heavy = P.bcnt(10, 4)
    n_low = P.bcnt(4, 2)
    n_relay = P.bcnt(2, 1)
    cand = [h for h in ws if not h.verified]
    r.shuffle(cand)
    k = 0
    for i in range(n_heavy):
        h = cand[k]; k += 1
        h.role = "bot_heavy"
        s = t0 + r.uniform(0.3, 7) * HOUR
        until = t1 if r.random() < 0.75 else s + r.uniform(2, 4) * HOUR
        infect_heavy(h, h.r, fams[i % len(fams)], s, min(until, t1))
    for i in range(n_low):
        h = cand[k]; k += 1
        h.role = "bot_lowslow"
        s = t0 + r.uniform(0.5, 6) * HOUR
        infect_lowslow(h, h.r, s, t1, kind=r.choice(("spam", "click", "p2p")))
    for i in range(n_relay):
        h = cand[k]; k += 1
        h.role = "bot_relay"
        s = t0 + r.uniform(1, 7) * HOUR
        infect_relay(h, h.r, s, t1)


def build_residential(P):
    r = P.rng
    P.t1 = P.t0 + 24 * HOUR
    a = r.choice((78, 84, 89, 93, 176, 188))
    b = r.randint(0, 255)
    c = r.choice((0, 64, 128, 192))
    net = (a << 24) | (b << 16) | (c << 8)
    cg = net | (60 << 8)
    P.subscribers = ["%d.%d.%d.0/18" % (a, b, c)]
    mnet = (a << 24) | (b << 16) | ((c + 63) << 8) | 240
    P.mail_cidrs = ["%s/29" % ip_s(mnet)]
    w = World(r, [(net, 0xFFFFC000)])
    used = set(range(mnet, mnet + 8))
    used.update(range(cg, cg + 256))
    resolver = ip_s(w.rand_ip())  # ISP resolver lives outside the access block
    t0, t1 = P.t0, P.t1
    V = 100 + P.seed % 50
    homes = []

    def add(ip, role, cls=Host, verified=False):
        h = cls(P.name, len(P.hosts), ip, role, w, P.hrng(), tz=1, vlabel=V, verified=verified)
        h.resolver = resolver
        h.mailprov = ip_s(r.choice(w.bigsub)) if r.random() < 0.8 else ip_s(mnet + 2)
        P.hosts.append(h)
        return h
    # ISP smarthosts
    smart = []
    for i in range(1, 5):
        h = add(ip_s(mnet + i), "mail_server")
        h.linux = True
        h.acts.append(Act("smtp_out", rate=P.f * r.uniform(0.2, 0.6)))
        h.acts.append(Act("smtp_in", rate=P.f * r.uniform(0.2, 0.5)))
        h.acts.append(Act("dns", rate=P.f * 0.3))
        smart.append(h)
    n_home = P.cnt(900, 40)
    home_ips = [ip_s(x) for x in alloc((net, 18), n_home, used, r)]
    for ip in home_ips:
        h = add(ip, "normal", verified=r.random() < 0.05)
        user_acts(h, h.r, intensity=r.uniform(0.3, 1.3), p2p=0.10, stream=0.6, game=0.2, mail=0.5)
        if r.random() < 0.5:
            h.acts.append(Act("in_scan", rate=r.uniform(0.002, 0.01), diurnal=False))
        homes.append(h)
    for hs in smart:
        hs.clients = home_ips[: max(5, len(home_ips) // 3)]
        hs.acts.append(Act("sub_in", rate=P.f * r.uniform(0.02, 0.08)))
    # CGNAT pool addresses
    n_cg = P.bcnt(7, 4)
    cg_ips = [ip_s(cg + 1 + i) for i in range(n_cg)]
    cg_inf = set(r.sample(range(n_cg), 2))
    for i, ip in enumerate(cg_ips):
        inf = i in cg_inf
        h = add(ip, "nat_infected" if inf else "nat_gateway", cls=NatHost)
        ncl = P.cnt(r.randint(150, 350), 15)
        nat_acts(h, h.r, ncl)
        if inf:
            s = t0 + r.uniform(3, 16) * HOUR
            if i == min(cg_inf):
                infect_relay(h, h.r, s, t1, rate=r.uniform(0.01, 0.06))
            else:
                infect_lowslow(h, h.r, s, t1, blocked25=False, kind="spam")
    cand = [h for h in homes if not h.verified]
    r.shuffle(cand)
    k = 0
    for i in range(P.bcnt(12, 4)):
        h = cand[k]; k += 1
        h.role = "bot_lowslow"
        s = t0 + r.uniform(1, 18) * HOUR
        until = t1 if r.random() < 0.8 else min(t1, s + r.uniform(3, 6) * HOUR)
        infect_lowslow(h, h.r, s, until, blocked25=r.random() < 0.5, kind=r.choice(("spam", "spam", "p2p", "click")))
    for i in range(P.bcnt(8, 3)):
        h = cand[k]; k += 1
        h.role = "bot_relay"
        s = t0 + r.uniform(1, 18) * HOUR
        infect_relay(h, h.r, s, t1)
    for i in range(P.bcnt(4, 2)):
        h = cand[k]; k += 1
        h.role = "bot_heavy"
        s = t0 + r.uniform(1, 16) * HOUR
        infect_heavy(h, h.r, "mirai", s, t1)


def build_hosting(P):
    r = P.rng
    P.t1 = P.t0 + 24 * HOUR
    a = r.choice((5, 45, 91, 104, 167, 185, 195))
    b = r.randint(0, 255)
    c = r.choice((0, 16, 32, 64))
    net = (a << 24) | (b << 16) | (c << 8)
    P.subscribers = ["%d.%d.%d.0/20" % (a, b, c)]
    mnet = net | (4 << 8)
    P.mail_cidrs = ["%s/28" % ip_s(mnet)]
    w = World(r, [(net, 0xFFFFF000)])
    used = set(range(mnet, mnet + 16))
    resolver = ip_s(net | (1 << 8) | 53)
    used.add(ip_i(resolver))
    t0, t1 = P.t0, P.t1
    V = 200 + P.seed % 50

    def add(ip, role, cls=Host, verified=False):
        h = cls(P.name, len(P.hosts), ip, role, w, P.hrng(), tz=0, vlabel=V, verified=verified)
        h.resolver = resolver
        h.linux = True
        h.mailprov = ip_s(mnet + 1)
        P.hosts.append(h)
        return h
    h = add(resolver, "normal")
    h.acts.append(Act("resolver", rate=P.f * r.uniform(1.5, 3)))
    for i in range(1, 7):
        h = add(ip_s(mnet + i), "mail_server")
        h.acts.append(Act("smtp_out", rate=P.f * r.uniform(0.3, 1.2)))
        h.acts.append(Act("smtp_in", rate=P.f * r.uniform(0.2, 0.8)))
        h.acts.append(Act("dns", rate=P.f * 0.4))
    n_srv = P.cnt(900, 40)
    ips = [ip_s(x) for x in alloc((net, 20), n_srv, used, r, lo=256 * 5)]
    servers = []
    for ip in ips:
        h = add(ip, "normal", verified=r.random() < 0.06)
        kind = r.random()
        h.acts.append(Act("in_web", rate=lognorm(r, 0.008, 1.0)))
        h.acts.append(Act("dns", rate=r.uniform(0.002, 0.02)))
        h.acts.append(Act("pkg", rate=r.uniform(0.0001, 0.0008)))
        h.acts.append(Act("ntp", period=1024.0, jitter=0.02))
        h.acts.append(Act("in_scan", rate=r.uniform(0.0005, 0.003), diurnal=False))
        if kind < 0.2:
            h.acts.append(Act("web", rate=r.uniform(0.005, 0.05)))  # API calls from apps
        if kind > 0.97:
            h.backup_dst = ip_s(w.rand_ip())
            h.acts.append(Act("backup", rate=0.0005, diurnal=False))
        servers.append(h)
    # legit fan-out customers: monitoring poller, SEO crawler
    mon = add(ip_s(alloc((net, 20), 1, used, r, lo=256 * 5)[0]), "normal")
    mon.targets = ips
    mon.acts.append(Act("monitor", rate=P.f * r.uniform(0.6, 1.5), diurnal=False))
    cr = add(ip_s(alloc((net, 20), 1, used, r, lo=256 * 5)[0]), "normal")
    cr.acts.append(Act("crawler", rate=P.f * r.uniform(0.8, 2)))
    cr.acts.append(Act("dns", rate=P.f * 0.3))
    # cloud NAT gateways for customer VPCs
    natips = [ip_s(x) for x in alloc((net | (2 << 8), 24), P.bcnt(5, 3), used, r, lo=1, hi=250)]
    for i, ip in enumerate(natips):
        inf = i == 0
        h = add(ip, "nat_infected" if inf else "nat_gateway", cls=NatHost)
        k = P.cnt(r.randint(20, 60), 4)
        h.acts.append(Act("web", rate=k * 0.03))
        h.acts.append(Act("dns", rate=k * 0.02))
        h.acts.append(Act("pkg", rate=k * 0.002))
        h.acts.append(Act("mail", rate=k * 0.001))
        if inf:
            # a compromised container: cryptominer + SSH scanning
            s = t0 + r.uniform(3, 15) * HOUR
            h.infected_from = s
            h.infected_until = t1
            h.cc = ip_s(r.choice(w.cc))
            h.acts.append(Act("miner", period=1800.0, jitter=0.3, a=s, bot=True, diurnal=False))
            h.brute_target = None
            h.acts.append(Act("sshbrute", rate=r.uniform(0.2, 0.8), a=s, bot=True, diurnal=False, onoff=(2 * HOUR, HOUR)))
    cand = [h for h in servers if not h.verified]
    r.shuffle(cand)
    k = 0
    for i in range(P.bcnt(4, 2)):
        h = cand[k]; k += 1
        h.role = "bot_heavy"
        s = t0 + r.uniform(1, 16) * HOUR
        fam = ("sshworm", "neris", "sshworm", "virut")[i % 4]
        until = t1 if r.random() < 0.7 else min(t1, s + r.uniform(3, 8) * HOUR)
        infect_heavy(h, h.r, fam, s, until)
    for i in range(P.bcnt(5, 2)):
        h = cand[k]; k += 1
        h.role = "bot_lowslow"
        s = t0 + r.uniform(1, 18) * HOUR
        infect_lowslow(h, h.r, s, t1, kind="spam")
    for i in range(P.bcnt(3, 2)):
        h = cand[k]; k += 1
        h.role = "bot_relay"
        s = t0 + r.uniform(1, 18) * HOUR
        infect_relay(h, h.r, s, t1, rate=r.uniform(0.1, 0.5))


BUILDERS = {"campus": build_campus, "residential_cgnat": build_residential, "hosting": build_hosting}


def generate(pop, seed, scale, out):
    P = Pop(pop, seed, scale)
    BUILDERS[pop](P)
    os.makedirs(out, exist_ok=True)
    n = 0
    tcache = {}
    sender_ips = set()
    with open(os.path.join(out, "flows.binetflow"), "w") as fh:
        fh.write(HEADER)
        c0 = P.t0
        pending = []
        while c0 < P.t1:
            c1 = min(P.t1, c0 + CHUNK)
            o = Out()
            for h in P.hosts:
                for a in h.acts:
                    run_act(h, a, c0, c1, o)
            rows = [x for x in o.rows if x[0] < c1] + [x for x in pending if x[0] < c1]
            pending = [x for x in o.rows if x[0] >= c1] + [x for x in pending if x[0] >= c1]
            rows = [x for x in rows if P.t0 <= x[0] < P.t1]
            rows.sort()
            buf = []
            tcache.clear()
            for t, rest in rows:
                sec = int(t)
                us = int(round((t - sec) * 1e6))
                if us >= 1000000:
                    sec += 1
                    us -= 1000000
                ts = tcache.get(sec)
                if ts is None:
                    ts = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(sec))
                    tcache[sec] = ts
                buf.append("%s.%06d,%s\n" % (ts, us, rest))
                sender_ips.add(rest.split(",", 4)[2])
            fh.write("".join(buf))
            n += len(rows)
            c0 = c1
    # hosts.csv: every subscriber address that sent a flow
    with open(os.path.join(out, "hosts.csv"), "w") as fh:
        fh.write("host,role,infected_from,infected_until\n")
        seen = set()
        for h in sorted(P.hosts, key=lambda h: ip_i(h.ip)):
            if h.ip in seen or h.ip not in sender_ips:
                continue
            seen.add(h.ip)
            if h.role in ("normal", "mail_server", "nat_gateway"):
                fh.write("%s,%s,,\n" % (h.ip, h.role))
            else:
                fh.write("%s,%s,%d,%d\n" % (h.ip, h.role, int(h.infected_from), int(min(h.infected_until or P.t1, P.t1))))
    meta = {"population": pop, "seed": seed, "start": P.t0, "end": P.t1, "subscribers": P.subscribers,
            "mail_servers": P.mail_cidrs, "flows": n}
    with open(os.path.join(out, "meta.json"), "w") as fh:
        json.dump(meta, fh)
        fh.write("\n")
    return meta, P


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--population", default=POPULATIONS[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(POPULATIONS))
        return 0
    if not a.out:
        ap.error("--out is required")
    if a.population not in POPULATIONS:
        ap.error("unknown population %r; one of %s" % (a.population, ", ".join(POPULATIONS)))
    if not (a.scale > 0):
        ap.error("--scale must be > 0")
    meta, P = generate(a.population, a.seed, a.scale, a.out)
    roles = {}
    for l in list(open(os.path.join(a.out, "hosts.csv")))[1:]:
        ro = l.split(",")[1]
        roles[ro] = roles.get(ro, 0) + 1
    sys.stderr.write("%s seed=%d flows=%d %s\n" % (a.population, a.seed, meta["flows"],
                                                    " ".join("%s=%d" % kv for kv in sorted(roles.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

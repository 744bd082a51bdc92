#!/usr/bin/env python3
"""Blind round-11 flow-population generator (bot detection, CTU-13 style .binetflow).

Writes flows.binetflow, hosts.csv and meta.json into --out (see FORMAT.md).
Python 3 standard library only; deterministic for (--seed, --population, --scale).

Populations:
  campus_neris  a university network, 2 days: Neris-like heavy spam bots launched mid-capture
                (some cleaned), an IMAP credential stuffer, a few low-and-slow bots, campus mail
                servers (one department server not listed), Wi-Fi/dorm NAT gateways.
  isp_access    an ISP access network, 3 days: residential and business lines, low-and-slow spam
                bots, relay abusers with stolen credentials (submission bursts to the smarthost and
                webmail providers), HTTPS-beacon-only infections, IMAP/POP stuffing, office NAT
                gateways (some with an infected client), mail servers on business lines (some
                listed), infections that start mid-capture or are cleaned.
Without --population: odd seed -> campus_neris, even seed -> isp_access.
"""
import argparse
import calendar
import json
import math
import os
import random
import time as _time

POPULATIONS = ["campus_neris", "isp_access"]
HOUR = 3600
DAY = 86400
HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"

PROFILES = {
    "office": [1, 1, 1, 1, 1, 1, 2, 5, 12, 16, 16, 15, 12, 15, 16, 15, 13, 9, 5, 3, 2, 2, 1, 1],
    "campus": [3, 2, 1, 1, 1, 1, 2, 4, 9, 13, 15, 15, 13, 14, 15, 15, 13, 11, 9, 8, 8, 7, 6, 4],
    "home": [4, 2, 1, 1, 1, 1, 2, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 9, 12, 15, 16, 15, 11, 7],
    "server": [6, 5, 5, 5, 5, 5, 6, 8, 12, 14, 14, 14, 13, 14, 14, 13, 12, 10, 9, 8, 8, 7, 7, 6],
}


def ri(rng, a, b):
    return a + int(rng.random() * (b - a + 1))


def ch(rng, seq):
    return seq[int(rng.random() * len(seq))]


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0, sigma))


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


class Buckets:
    """Spills lines into per-hour temp files, then writes them sorted (lines start with the time)."""

    def __init__(self, outdir, t0, width, n, name):
        self.t0, self.width, self.n = t0, width, n
        self.buf = [[] for _ in range(n)]
        self.paths = [os.path.join(outdir, ".%s.b%03d.tmp" % (name, i)) for i in range(n)]
        for p in self.paths:
            open(p, "w").close()
        self.pending = 0

    def add(self, t, line):
        i = int((t - self.t0) // self.width)
        i = 0 if i < 0 else (self.n - 1 if i >= self.n else i)
        self.buf[i].append(line)
        self.pending += 1
        if self.pending >= 400000:
            self.spill()

    def spill(self):
        for i, b in enumerate(self.buf):
            if b:
                with open(self.paths[i], "a") as f:
                    f.write("\n".join(b))
                    f.write("\n")
                self.buf[i] = []
        self.pending = 0

    def finish(self, path, header=None):
        self.spill()
        total = 0
        with open(path, "w") as out:
            if header:
                out.write(header + "\n")
            for p in self.paths:
                with open(p) as f:
                    lines = f.read().splitlines()
                lines.sort()
                total += len(lines)
                if lines:
                    out.write("\n".join(lines))
                    out.write("\n")
                os.remove(p)
        return total


def ip_int(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def int_ip(n):
    return "%d.%d.%d.%d" % ((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def rand_public(rng):
    while True:
        a = ri(rng, 1, 223)
        if a in (10, 127, 0, 100, 169, 172, 192, 198, 203, 83, 91, 147):
            continue
        return "%d.%d.%d.%d" % (a, ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 1, 254))


class Ctx:
    def __init__(self, seed, pop, scale, t0, t1, outdir):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.t0, self.t1 = t0, t1
        self.out = Buckets(outdir, t0, HOUR, (t1 - t0) // HOUR, "fl")
        self.hosts = {}
        self.daycache = {}
        g = self.rng("internet")
        # Internet: popular web/CDN servers (Zipf), MX hosts (popular providers + long tail),
        # webmail submission/IMAP endpoints, NTP, ad servers.
        self.web = [rand_public(g) for _ in range(4000)]
        self.mx = [rand_public(g) for _ in range(6000)]
        self.webmail = [rand_public(g) for _ in range(24)]
        self.imap_providers = [rand_public(g) for _ in range(400)]
        self.ntp = [rand_public(g) for _ in range(8)]
        self.ads = [rand_public(g) for _ in range(300)]
        self.cdf_web = self.zipf_cdf(len(self.web), 1.1)
        self.cdf_mx = self.zipf_cdf(len(self.mx), 1.2)
        self.cdf_imap = self.zipf_cdf(len(self.imap_providers), 1.3)
        self.samplers = {}

    def rng(self, actor):
        return random.Random("%s/%s/%s" % (self.seed, self.pop, actor))

    @staticmethod
    def zipf_cdf(n, s):
        c, acc = [], 0.0
        for i in range(1, n + 1):
            acc += 1.0 / i ** s
            c.append(acc)
        return [x / acc for x in c]

    @staticmethod
    def pick(rng, items, cdf):
        import bisect
        return items[min(len(items) - 1, bisect.bisect_left(cdf, rng.random()))]

    def host(self, ip, role, inf_from=None, inf_until=None):
        self.hosts[ip] = (role, inf_from, inf_until)

    def ts(self, t):
        s = int(t)
        day = s // DAY
        p = self.daycache.get(day)
        if p is None:
            p = self.daycache[day] = _time.strftime("%Y/%m/%d", _time.gmtime(day * DAY))
        r = s - day * DAY
        return "%s %02d:%02d:%02d.%06d" % (p, r // 3600, (r // 60) % 60, r % 60, int((t - s) * 1e6))

    def flow(self, t, dur, proto, src, sport, dst, dport, state, pkts, nbytes, sbytes, label, dirs=None):
        if t < self.t0 or t >= self.t1:
            return
        if dirs is None:
            dirs = "  <->" if proto == "tcp" or state == "CON" else "   ->"
        if sbytes > nbytes:
            nbytes = sbytes + 40 * pkts
        self.out.add(t, "%s,%.6f,%s,%s,%d,%s,%s,%d,%s,0,0,%d,%d,%d,%s" % (
            self.ts(t), dur, proto, src, sport, dirs, dst, dport, state, pkts, nbytes, sbytes, label))


# ---------------------------------------------------------------- flow shapes
def sport(rng):
    return 1025 + int(rng.random() * 64511)


def f_tcp_ok(ctx, rng, t, src, dst, dport, label, med_bytes, up_frac, med_dur):
    b = max(300, int(lognorm(rng, med_bytes, 1.2)))
    pk = max(6, int(b / rng.uniform(400, 1100)))
    up = max(200, int(b * up_frac * rng.uniform(0.5, 1.5)))
    st = ch(rng, ["FSPA_FSPA", "FSPA_FSPA", "FSPA_FSPA", "SPA_SPA", "FSRPA_FSPA", "FSPA_FSRPA"])
    ctx.flow(t, lognorm(rng, med_dur, 1.0), "tcp", src, sport(rng), dst, dport, st, pk, b + up, up, label)


def f_dns(ctx, rng, t, src, dst, label):
    q = ri(rng, 60, 90)
    r = ri(rng, 90, 450)
    ctx.flow(t, rng.uniform(0.0003, 0.08), "udp", src, sport(rng), dst, 53, "CON", 2, q + r, q, label)


def f_smtp_out(ctx, rng, t, src, dst, label, p_fail, big=False):
    r = rng.random()
    if r < p_fail * 0.5:  # refused
        ctx.flow(t, rng.uniform(0.0, 0.4), "tcp", src, sport(rng), dst, 25, "S_RA", 2, 120, 62, label)
    elif r < p_fail * 0.8:  # no answer / filtered
        n = ch(rng, [1, 2, 3])
        ctx.flow(t, [0.0, 3.0, 9.0][n - 1] + rng.random() * 0.1, "tcp", src, sport(rng), dst, 25, "S_", n,
                 n * 62, n * 62, label, "   ->")
    elif r < p_fail:  # connected, rejected in SMTP dialogue (blocklist / 5xx)
        ctx.flow(t, rng.uniform(0.2, 3.0), "tcp", src, sport(rng), dst, 25, "FSPA_FSPA", ri(rng, 8, 14),
                 ri(rng, 900, 1600), ri(rng, 300, 600), label)
    else:
        b = int(lognorm(rng, 40000 if big else 6000, 1.0)) + 1200
        pk = max(10, b // 700 + ri(rng, 8, 14))
        ctx.flow(t, lognorm(rng, 1.5, 0.9), "tcp", src, sport(rng), dst, 25, "FSPA_FSPA", pk,
                 b + pk * 60, int(b * 0.9), label)


def normal_mix(ctx, rng, t, src, lab, kinds, resolver, extra_mx=None):
    k = rng.random()
    acc = 0.0
    for name, w in kinds:
        acc += w
        if k < acc:
            break
    if name == "https":
        f_tcp_ok(ctx, rng, t, src, ctx.pick(rng, ctx.web, ctx.cdf_web), 443, lab + "-HTTPS", 30000, 0.08, 4.0)
    elif name == "http":
        f_tcp_ok(ctx, rng, t, src, ctx.pick(rng, ctx.web, ctx.cdf_web), 80, lab + "-HTTP", 15000, 0.1, 2.0)
    elif name == "quic":
        b = int(lognorm(rng, 60000, 1.3)) + 2000
        ctx.flow(t, lognorm(rng, 6, 1.0), "udp", src, sport(rng), ctx.pick(rng, ctx.web, ctx.cdf_web), 443,
                 "CON", max(4, b // 1100), b, int(b * 0.1), lab + "-UDP-QUIC")
    elif name == "dns":
        f_dns(ctx, rng, t, src, resolver, lab + "-UDP-DNS")
    elif name == "ntp":
        ctx.flow(t, rng.uniform(0.01, 0.2), "udp", src, 123, ch(rng, ctx.ntp), 123, "CON", 2, 180, 90,
                 lab + "-UDP-NTP")
    elif name == "imap":
        dst = ctx.pick(rng, ctx.imap_providers, ctx.cdf_imap) if rng.random() < 0.7 else ch(rng, ctx.webmail)
        f_tcp_ok(ctx, rng, t, src, dst, ch(rng, [993, 993, 993, 143, 995]), lab + "-TCP-IMAP", 8000, 0.15, 20)
    elif name == "submit":
        dst = ctx.smarthost if rng.random() < 0.6 else ch(rng, ctx.webmail)
        f_tcp_ok(ctx, rng, t, src, dst, ch(rng, [587, 587, 465]), lab + "-TCP-SUBMISSION", 12000, 0.9, 1.5)
    elif name == "p2p":
        dst = rand_public(rng)
        if rng.random() < 0.5:
            tot = ri(rng, 150, 20000)
            ctx.flow(t, rng.uniform(0, 5), "udp", src, 51413, dst, ri(rng, 1025, 65535), "CON",
                     max(2, tot // 700), tot, int(tot * rng.uniform(0.1, 0.9)) + 1, lab + "-UDP-P2P")
        else:
            st = ch(rng, ["S_RA", "S_", "FSPA_FSPA", "FSPA_FSPA"])
            if st == "S_RA":
                ctx.flow(t, rng.uniform(0, 0.3), "tcp", src, sport(rng), dst, ri(rng, 1025, 65535), st, 2, 122,
                         62, lab + "-TCP-P2P")
            elif st == "S_":
                k = ri(rng, 1, 3)
                ctx.flow(t, [0.0, 3.0, 9.0][k - 1], "tcp", src, sport(rng), dst, ri(rng, 1025, 65535), st, k,
                         62 * k, 62 * k, lab + "-TCP-P2P", "   ->")
            else:
                tot = ri(rng, 600, 200000)
                ctx.flow(t, rng.uniform(0.5, 60), "tcp", src, sport(rng), dst, ri(rng, 1025, 65535), st,
                         max(6, tot // 900), tot, int(tot * rng.uniform(0.05, 0.9)), lab + "-TCP-P2P")
    elif name == "smtp_direct":  # a legit device/user that talks SMTP to the provider smarthost on 25
        f_smtp_out(ctx, rng, t, src, ctx.smarthost, lab + "-TCP-SMTP", 0.02)


HOME_KINDS = [("https", 0.46), ("http", 0.06), ("quic", 0.08), ("dns", 0.30), ("ntp", 0.01),
              ("imap", 0.06), ("submit", 0.01), ("p2p", 0.02)]
OFFICE_KINDS = [("https", 0.50), ("http", 0.06), ("quic", 0.05), ("dns", 0.26), ("ntp", 0.005),
                ("imap", 0.08), ("submit", 0.035), ("smtp_direct", 0.005), ("p2p", 0.005)]


def activity(ctx, rng, src, profile, per_hour, kinds, lab, tz=0, weekend=1.0, lo=None, hi=None, extra=None):
    """Per-hour Poisson user activity following a diurnal profile, in bursts (sessions)."""
    prof = PROFILES[profile]
    lo = ctx.t0 if lo is None else lo
    hi = ctx.t1 if hi is None else hi
    peak = max(prof)
    h = ctx.t0
    while h < ctx.t1:
        if h + HOUR > lo and h < hi:
            lt = h + tz * HOUR
            hod = (lt // HOUR) % 24
            dow = ((lt // DAY) + 3) % 7
            lam = per_hour * prof[hod] / peak * (weekend if dow >= 5 else 1.0)
            n = poisson(rng, lam)
            # sessions: flows cluster around a few session starts
            starts = [h + rng.random() * HOUR for _ in range(max(1, n // 12 + 1))]
            for _ in range(n):
                t = ch(rng, starts) + rng.expovariate(1 / 90.0)
                if lo <= t < hi:
                    normal_mix(ctx, rng, t, src, lab, kinds, ctx.resolver)
        h += HOUR


def label_normal(rng, verified_frac=0.3):
    return "flow=From-Normal-V%d" % ri(rng, 40, 54) if rng.random() < verified_frac else "flow=Background"


# ---------------------------------------------------------------- bot behaviours
def cc_beacon(ctx, rng, src, lo, hi, lab, sport_fixed=None):
    """HTTP(S) C&C beacon: fixed period with jitter, small request/response."""
    cc = [rand_public(rng) for _ in range(ch(rng, [1, 1, 2, 3]))]
    period = lognorm(rng, 300, 0.8)
    jitter = rng.uniform(0.05, 0.4)
    port = ch(rng, [443, 443, 80, 8080])
    t = lo + rng.random() * period
    while t < hi:
        big = rng.random() < 0.01
        b = ri(rng, 600, 2500) if not big else ri(rng, 50000, 900000)
        ctx.flow(t, rng.uniform(0.1, 1.5) if not big else rng.uniform(2, 30), "tcp", src,
                 sport_fixed or sport(rng), ch(rng, cc), port, "FSPA_FSPA", max(6, b // 900 + 5), b,
                 ri(rng, 300, 900), lab + ("-TCP-CC-HTTPS" if port == 443 else "-TCP-CC-HTTP"))
        t += period * (1 + rng.uniform(-jitter, jitter))
        if rng.random() < 0.003:  # host switched off for a while
            t += rng.uniform(1, 8) * HOUR


def spam_heavy(ctx, rng, src, lo, hi, lab):
    """Neris-like spam: high-rate SMTP to many MX hosts, many failed/refused, MX lookups, ad clicks."""
    rate = lognorm(rng, 900, 0.7) * max(0.25, ctx.scale ** 0.3)  # SMTP attempts per hour while active
    on = lognorm(rng, 40 * 60, 0.6)
    off = lognorm(rng, 30 * 60, 0.9)
    p_fail = rng.uniform(0.3, 0.75)
    t = lo
    while t < hi:
        end = min(hi, t + on)
        while t < end:
            dst = ctx.pick(rng, ctx.mx, ctx.cdf_mx) if rng.random() < 0.45 else rand_public(rng)
            if rng.random() < 0.7:
                f_dns(ctx, rng, t - 0.05, src, ctx.resolver, lab + "-UDP-DNS")
            f_smtp_out(ctx, rng, t, src, dst, lab + ("-TCP-Attempt-SPAM"), p_fail)
            if rng.random() < 0.02:
                f_tcp_ok(ctx, rng, t, src, ch(rng, ctx.ads), 80, lab + "-TCP-Established-HTTP-Ad", 3000, 0.3, 1)
            t += rng.expovariate(rate / HOUR)
        t = end + off * rng.uniform(0.5, 1.5)


def spam_lowslow(ctx, rng, src, lo, hi, lab):
    """Low-and-slow: a few SMTP connections an hour to MX hosts never seen before."""
    rate = lognorm(rng, 3.0, 0.6)  # per hour
    t = lo + rng.expovariate(rate / HOUR)
    while t < hi:
        dst = rand_public(rng)
        if rng.random() < 0.8:
            f_dns(ctx, rng, t - rng.uniform(0.01, 0.5), src, ctx.resolver, lab + "-UDP-DNS")
        f_smtp_out(ctx, rng, t, src, dst, lab + "-TCP-Established-SPAM", rng.uniform(0.05, 0.3))
        t += rng.expovariate(rate / HOUR)
        if rng.random() < 0.01:
            t += rng.uniform(1, 6) * HOUR  # pauses (machine off)


def relay_abuse(ctx, rng, src, lo, hi, lab):
    """Stolen SMTP credentials: bursts of authenticated submission to the smarthost / webmail."""
    bursts_per_day = rng.uniform(1, 6)
    t = lo + rng.expovariate(bursts_per_day / DAY)
    targets = [ctx.smarthost] if rng.random() < 0.6 else []
    targets += rng.sample(ctx.webmail, ri(rng, 1, 4))
    while t < hi:
        n = int(lognorm(rng, 80, 0.8) * max(0.3, ctx.scale ** 0.3)) + 5
        span = lognorm(rng, 15 * 60, 0.7)
        for _ in range(n):
            tt = t + rng.random() * span
            if tt >= hi:
                continue
            dst = ch(rng, targets)
            b = int(lognorm(rng, 25000, 0.9)) + 2000
            if rng.random() < 0.08:  # auth failure (password changed, rate limit)
                ctx.flow(tt, rng.uniform(0.3, 2), "tcp", src, sport(rng), dst, ch(rng, [587, 465]),
                         "FSPA_FSPA", 12, 2400, 900, lab + "-TCP-Attempt-SUBMISSION")
            else:
                ctx.flow(tt, lognorm(rng, 3, 0.8), "tcp", src, sport(rng), dst, ch(rng, [587, 587, 465]),
                         "FSPA_FSPA", b // 900 + 12, b + 3000, b, lab + "-TCP-Established-SUBMISSION")
        t += span + rng.expovariate(bursts_per_day / DAY)


def imap_stuffing(ctx, rng, src, lo, hi, lab, fast):
    """Credential stuffing against IMAP/POP servers of many providers: short failed logins."""
    rate = lognorm(rng, 1200 if fast else 25, 0.6)
    targets = rng.sample(ctx.imap_providers, ri(rng, 20, 200)) + rng.sample(ctx.webmail, 4)
    t = lo
    while t < hi:
        dst = ch(rng, targets)
        port = ch(rng, [993, 993, 143, 110, 995])
        ok = rng.random() < 0.02
        ctx.flow(t, rng.uniform(0.1, 2.5) if not ok else rng.uniform(3, 40), "tcp", src, sport(rng), dst, port,
                 "FSPA_FSPA", ri(rng, 8, 14) if not ok else ri(rng, 20, 200),
                 ri(rng, 1100, 4500) if not ok else ri(rng, 8000, 300000), ri(rng, 500, 1200),
                 lab + "-TCP-Attempt-IMAP-Stuffing")
        t += rng.expovariate(rate / HOUR)
        if not fast and rng.random() < 0.02:
            t += rng.uniform(0.5, 4) * HOUR


# ---------------------------------------------------------------- host kinds
def infection_window(ctx, rng, mid_frac=(0.05, 0.6), p_clean=0.35):
    lo = ctx.t0 + int(rng.uniform(*mid_frac) * (ctx.t1 - ctx.t0))
    if rng.random() < 0.15:
        lo = ctx.t0  # already infected when the capture starts
    hi = ctx.t1
    if rng.random() < p_clean:
        hi = min(ctx.t1, lo + int(lognorm(rng, 14 * HOUR, 0.7)) + HOUR)
    return lo, hi


def host_normal(ctx, ip, name, profile, per_hour, kinds=HOME_KINDS):
    rng = ctx.rng(name)
    ctx.host(ip, "normal")
    lab = label_normal(rng)
    activity(ctx, rng, ip, profile, per_hour * rng.uniform(0.3, 1.7), kinds, lab, weekend=rng.uniform(0.6, 1.4))
    if rng.random() < 0.08:  # heavy IMAP poller (phone + laptop polling every minute)
        t = ctx.t0 + rng.random() * 600
        dst = ctx.pick(rng, ctx.imap_providers, ctx.cdf_imap)
        while t < ctx.t1:
            f_tcp_ok(ctx, rng, t, ip, dst, 993, lab + "-TCP-IMAP", 2500, 0.3, 1.0)
            t += rng.uniform(45, 300)
    if rng.random() < 0.05:  # small-business user mailing invoices via submission in batches
        for _ in range(int((ctx.t1 - ctx.t0) / DAY * rng.uniform(0.3, 1.2))):
            t = ctx.t0 + rng.random() * (ctx.t1 - ctx.t0)
            for _ in range(ri(rng, 5, 60)):
                f_tcp_ok(ctx, rng, t + rng.random() * 1200, ip, ctx.smarthost, 587, lab + "-TCP-SUBMISSION",
                         60000, 0.95, 2)


def host_mail_server(ctx, ip, name, per_hour, busy=False):
    rng = ctx.rng(name)
    ctx.host(ip, "mail_server")
    lab = "flow=From-Normal-V%d-MailServer" % ri(rng, 40, 54)
    prof = PROFILES["office"]
    peak = max(prof)
    h = ctx.t0
    known = []
    while h < ctx.t1:
        hod = (h // HOUR) % 24
        dow = ((h // DAY) + 3) % 7
        lam = per_hour * (0.15 + prof[hod] / peak) * (0.35 if dow >= 5 else 1.0)
        for _ in range(poisson(rng, lam)):
            t = h + rng.random() * HOUR
            if known and rng.random() < 0.25:
                dst = ch(rng, known)
            elif rng.random() < 0.75:
                dst = ctx.pick(rng, ctx.mx, ctx.cdf_mx)
            else:
                dst = rand_public(rng)  # long tail: first mail to a new correspondent's MX
                if len(known) < 400:
                    known.append(dst)
            if rng.random() < 0.5:
                f_dns(ctx, rng, t - 0.02, ip, ctx.resolver, lab + "-UDP-DNS")
            f_smtp_out(ctx, rng, t, ip, dst, lab + "-TCP-SMTP", rng.uniform(0.02, 0.12), big=True)
            if rng.random() < 0.8:  # inbound mail to this server (sender outside)
                src = ctx.pick(rng, ctx.mx, ctx.cdf_mx) if rng.random() < 0.7 else rand_public(rng)
                b = int(lognorm(rng, 20000, 1.0)) + 1500
                ctx.flow(t + rng.random() * 60, lognorm(rng, 1.2, 0.8), "tcp", src, sport(rng), ip, 25,
                         "FSPA_FSPA", b // 700 + 10, b + 900, b, "flow=Background-TCP-Established-SMTP-In")
        if busy and dow == 1 and hod == 9:  # newsletter run on Tuesday morning
            for _ in range(int(rng.uniform(800, 3000) * max(0.2, ctx.scale ** 0.5))):
                t = h + rng.random() * 2 * HOUR
                f_smtp_out(ctx, rng, t, ip, ctx.pick(rng, ctx.mx, ctx.cdf_mx), lab + "-TCP-SMTP", 0.05, big=True)
        h += HOUR
    activity(ctx, rng, ip, "server", 6, [("https", 0.3), ("dns", 0.6), ("ntp", 0.1)], lab)


def host_nat(ctx, ip, name, clients, infected=None):
    """Office/dorm NAT gateway: the sum of many clients; optionally one infected client."""
    rng = ctx.rng(name)
    lab = "flow=Background-NAT"
    per_client = rng.uniform(8, 25)
    activity(ctx, rng, ip, "office", per_client * clients, OFFICE_KINDS, lab, weekend=0.15)
    # clients polling IMAP all day and a scanner/printer sending scan-to-mail via the smarthost
    for _ in range(max(1, clients // 10)):
        t = ctx.t0 + rng.random() * 300
        dst = ctx.pick(rng, ctx.imap_providers, ctx.cdf_imap)
        while t < ctx.t1:
            f_tcp_ok(ctx, rng, t, ip, dst, 993, lab + "-TCP-IMAP", 2500, 0.3, 1.0)
            t += rng.uniform(120, 900)
    if infected is None:
        ctx.host(ip, "nat_gateway")
        return
    lo, hi = infection_window(ctx, rng)
    ctx.host(ip, "nat_infected", lo, hi)
    blab = "flow=From-Botnet-V%d-NAT" % ri(rng, 40, 54)
    cc_beacon(ctx, rng, ip, lo, hi, blab)
    if infected == "lowslow":
        spam_lowslow(ctx, rng, ip, lo, hi, blab)
    elif infected == "heavy":
        spam_heavy(ctx, rng, ip, lo, hi, blab)
    elif infected == "relay":
        relay_abuse(ctx, rng, ip, lo, hi, blab)


def host_bot(ctx, ip, name, role, kind, profile, per_hour, kinds=HOME_KINDS, mid=(0.05, 0.6), p_clean=0.35):
    rng = ctx.rng(name)
    lo, hi = infection_window(ctx, rng, mid, p_clean)
    ctx.host(ip, role, lo, hi)
    nlab = label_normal(rng)
    blab = "flow=From-Botnet-V%d-%d" % (ri(rng, 40, 54), ri(rng, 1, 9))
    # the user's ordinary traffic goes on before, during and after the infection
    activity(ctx, rng, ip, profile, per_hour * rng.uniform(0.4, 1.5), kinds, nlab, hi=lo)
    activity(ctx, rng, ip, profile, per_hour * rng.uniform(0.4, 1.5), kinds, blab + "-Normal", lo=lo, hi=hi)
    if hi < ctx.t1:
        activity(ctx, rng, ip, profile, per_hour * rng.uniform(0.4, 1.5), kinds, nlab, lo=hi)
    if kind != "relay" or rng.random() < 0.5:
        cc_beacon(ctx, rng, ip, lo, hi, blab)
    if kind == "heavy":
        spam_heavy(ctx, rng, ip, lo, hi, blab)
    elif kind == "lowslow":
        spam_lowslow(ctx, rng, ip, lo, hi, blab)
    elif kind == "relay":
        relay_abuse(ctx, rng, ip, lo, hi, blab)
    elif kind == "imap_fast":
        imap_stuffing(ctx, rng, ip, lo, hi, blab, True)
    elif kind == "imap_slow":
        imap_stuffing(ctx, rng, ip, lo, hi, blab, False)
    elif kind == "beacon":
        pass


# ---------------------------------------------------------------- populations
def build(ctx, pop):
    sc = ctx.scale
    prng = ctx.rng("plan")

    def cnt(base, lo=1):
        return max(lo, int(round(base * sc)))

    def cnt_s(base, lo=1):
        return max(lo, int(round(base * sc ** 0.5)))

    if pop == "campus_neris":
        subnets = ["147.251.0.0/16"]
        base = ip_int("147.251.0.0")
        ctx.resolver = "147.251.4.2"  # campus resolver (infrastructure, not a subscriber host sending flows)
        ctx.smarthost = "147.251.4.25"
        pool = prng.sample(range(256 * 8, 256 * 250), 20000)
        ips = [int_ip(base + x) for x in pool if (base + x) & 255 not in (0, 255)]
        k = 0

        def nxt():
            nonlocal k
            k += 1
            return ips[k - 1]
        mail_listed = []
        for i in range(3):
            ip = "147.251.4.%d" % (30 + i)
            mail_listed.append(ip + "/32")
            host_mail_server(ctx, ip, "mx%d" % i, 120 * max(0.2, sc ** 0.5), busy=(i == 0))
        host_mail_server(ctx, nxt(), "mx-dept", 25 * max(0.2, sc ** 0.5))  # department server, not listed
        for i in range(cnt(900, 20)):
            host_normal(ctx, nxt(), "ws%d" % i, "campus", 55, OFFICE_KINDS if i % 3 else HOME_KINDS)
        for i in range(cnt_s(4, 1)):
            host_nat(ctx, nxt(), "wifi%d" % i, int(prng.uniform(40, 200) * max(0.2, sc ** 0.5)))
        host_nat(ctx, nxt(), "dormnat", int(60 * max(0.2, sc ** 0.5)), infected="heavy")
        for i in range(cnt_s(10, 2)):
            host_bot(ctx, nxt(), "neris%d" % i, "bot_heavy", "heavy", "campus", 40, mid=(0.1, 0.5), p_clean=0.3)
        for i in range(cnt_s(1, 1)):
            host_bot(ctx, nxt(), "stuff%d" % i, "bot_heavy", "imap_fast", "campus", 30)
        for i in range(cnt_s(3, 1)):
            host_bot(ctx, nxt(), "slow%d" % i, "bot_lowslow", "lowslow", "campus", 40)
        for i in range(cnt_s(2, 1)):
            host_bot(ctx, nxt(), "relay%d" % i, "bot_relay", "relay", "campus", 40)
        return subnets, mail_listed
    # isp_access
    subnets = ["83.164.0.0/17", "91.203.64.0/20"]
    ctx.resolver = "83.165.1.53"
    ctx.smarthost = "83.165.1.25"
    res = [int_ip(ip_int("83.164.0.0") + x) for x in prng.sample(range(256, 128 * 256 - 1), 30000)
           if x & 255 not in (0, 255)]
    biz = [int_ip(ip_int("91.203.64.0") + x) for x in prng.sample(range(16, 16 * 256 - 1), 3000)
           if x & 255 not in (0, 255)]
    rk = bi = 0

    def r():
        nonlocal rk
        rk += 1
        return res[rk - 1]

    def b():
        nonlocal bi
        bi += 1
        return biz[bi - 1]
    mail_listed = []
    for i in range(cnt_s(24, 3)):
        ip = b()
        if i % 5 < 3:
            mail_listed.append(ip + "/32")
        host_mail_server(ctx, ip, "bizmx%d" % i, lognorm(prng, 20, 0.9) * max(0.2, sc ** 0.5), busy=(i % 7 == 2))
    for i in range(cnt_s(50, 3)):
        host_nat(ctx, b(), "office%d" % i, int(lognorm(prng, 25, 0.8) * max(0.3, sc ** 0.3)) + 3)
    for i, kind in enumerate(["lowslow", "relay", "beacon", "lowslow", "heavy", "lowslow", "relay", "lowslow"]):
        if i < cnt_s(8, 3):
            host_nat(ctx, b(), "officeinf%d" % i, int(lognorm(prng, 20, 0.7) * max(0.3, sc ** 0.3)) + 3,
                     infected=None if kind == "beacon" else kind)
            if kind == "beacon":  # beacon-only infection behind NAT
                ip = list(ctx.hosts)[-1]
                rr = ctx.rng("officeinf-beacon%d" % i)
                lo, hi = infection_window(ctx, rr)
                ctx.host(ip, "nat_infected", lo, hi)
                cc_beacon(ctx, rr, ip, lo, hi, "flow=From-Botnet-V%d-NAT" % ri(rr, 40, 54))
    for i in range(cnt(2200, 30)):
        host_normal(ctx, r(), "home%d" % i, "home", 16)
    for i in range(cnt(60, 5)):  # business-line single hosts (shops, home offices)
        host_normal(ctx, b(), "bizhost%d" % i, "office", 30, OFFICE_KINDS)
    for i in range(cnt_s(22, 3)):
        host_bot(ctx, r(), "lowslow%d" % i, "bot_lowslow", "lowslow", "home", 16)
    for i in range(cnt_s(5, 1)):
        host_bot(ctx, r(), "beacon%d" % i, "bot_lowslow", "beacon", "home", 16)
    for i in range(cnt_s(2, 1)):
        host_bot(ctx, r(), "slowstuff%d" % i, "bot_lowslow", "imap_slow", "home", 16)
    for i in range(cnt_s(14, 2)):
        host_bot(ctx, r() if i % 3 else b(), "relay%d" % i, "bot_relay", "relay", "home", 16)
    for i in range(cnt_s(4, 1)):
        host_bot(ctx, r(), "heavy%d" % i, "bot_heavy", "heavy", "home", 16, mid=(0.1, 0.8), p_clean=0.5)
    for i in range(cnt_s(2, 1)):
        host_bot(ctx, r(), "stuff%d" % i, "bot_heavy", "imap_fast", "home", 16)
    return subnets, mail_listed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    days = 2 if pop == "campus_neris" else 3
    t0 = calendar.timegm((2026, 3, 10, 0, 0, 0)) + (a.seed % 7) * DAY
    t1 = t0 + days * DAY
    ctx = Ctx(a.seed, pop, a.scale, t0, t1, a.out)
    subnets, mail_listed = build(ctx, pop)
    n = ctx.out.finish(os.path.join(a.out, "flows.binetflow"), HEADER)
    with open(os.path.join(a.out, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        for ip in sorted(ctx.hosts, key=ip_int):
            role, lo, hi = ctx.hosts[ip]
            f.write("%s,%s,%s,%s\n" % (ip, role, "" if lo is None else int(lo), "" if hi is None else int(hi)))
    meta = {"population": pop, "seed": a.seed, "start": t0, "end": t1, "subscribers": subnets,
            "mail_servers": mail_listed, "flows": n}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

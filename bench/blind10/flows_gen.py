#!/usr/bin/env python3
"""Blind round 10: synthetic flow worlds (CTU-13 / Argus .binetflow, hosts.csv, meta.json).

Populations:
  campus_neris  Campus network (CTU-13-like, 2 days): Neris-like heavy spam bots (some infected
                mid-capture, some cleaned), an IMAP/POP credential-stuffing bot, HTTPS-beacon C&C
                bots that stay quiet, lab NAT gateways (one with an infected client), campus mail
                servers (listed) and a department mail server (not listed), busy P2P users.
  isp_access    ISP access network (3 days): residential and business lines; low-and-slow spam bots
                (a few SMTP connections an hour to never-before-seen MX hosts), relay abusers with
                stolen credentials (bursts of submission connections to the provider's smarthost or
                to webmail providers), a few heavy bots, beacon-only bots, office NAT gateways with
                and without infected clients, mail servers on business lines (some listed, some not),
                home mail servers, infections that start mid-capture or are cleaned.
Without --population, odd seeds -> campus_neris, even seeds -> isp_access.
Python 3 standard library only; deterministic for (seed, population, scale).
"""
import argparse
import calendar
import json
import math
import os
import random
import shutil
import tempfile
import time

POPULATIONS = ["campus_neris", "isp_access"]
HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
HOUR = 3600
DAY = 86400


class Sink:
    def __init__(self, outdir, t0, bucket):
        self.dir = tempfile.mkdtemp(prefix=".tmp_flows_", dir=outdir)
        self.t0, self.bucket = t0, bucket
        self.buf = {}
        self.n = 0

    def add(self, us, line):
        b = (us // 1000000 - self.t0) // self.bucket
        lst = self.buf.setdefault(b, [])
        lst.append("%017d\t%s" % (us, line))
        self.n += 1
        if len(lst) >= 5000:
            self._flush(b)

    def _flush(self, b):
        lst = self.buf.get(b)
        if lst:
            with open(os.path.join(self.dir, "%06d" % b), "a") as f:
                f.write("\n".join(lst))
                f.write("\n")
            self.buf[b] = []

    def finish(self, path, header):
        for b in list(self.buf):
            self._flush(b)
        with open(path, "w", newline="") as out:
            out.write(header + "\n")
            for name in sorted(os.listdir(self.dir)):
                with open(os.path.join(self.dir, name)) as f:
                    lines = f.read().splitlines()
                lines.sort()
                out.write("".join(l.split("\t", 1)[1] + "\n" for l in lines))
        shutil.rmtree(self.dir)


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


def public_ip(rng):
    while True:
        a = rng.randint(1, 223)
        if a in (10, 100, 127, 169, 172, 192, 198, 0, 224):
            continue
        return "%d.%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


def weight(kind, h, wd):
    we = wd >= 5
    if kind == "office":
        b = 1.0 if 8 <= h < 18 else (0.3 if 7 <= h < 21 else 0.03)
        return b * (0.1 if we else 1.0)
    if kind == "campus":
        b = [0.1, 0.07, 0.05, 0.04, 0.04, 0.05, 0.1, 0.3, 0.7, 0.9, 1.0, 1.0, 0.9, 1.0, 1.0, 0.95, 0.9,
             0.8, 0.6, 0.5, 0.5, 0.45, 0.35, 0.2][h]
        return b * (0.4 if we else 1.0)
    if kind == "home":
        b = [0.35, 0.2, 0.1, 0.06, 0.05, 0.06, 0.15, 0.35, 0.4, 0.35, 0.35, 0.4, 0.5, 0.5, 0.45, 0.5,
             0.6, 0.75, 0.9, 1.0, 1.0, 0.95, 0.8, 0.55][h]
        return b * (1.2 if we else 1.0)
    return 1.0


class World:
    def __init__(self, seed, pop, scale, t0, hours, tz):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.t0, self.t1 = t0, t0 + hours * HOUR
        self.hours = hours
        self.tz = tz
        self.sink = None
        self.hosts = {}
        self.tcache = {}
        self.clip = None
        w = self.rng("world")
        # shared outside destinations
        self.web = [public_ip(w) for _ in range(4000)]
        self.web_cum = []
        s = 0.0
        for i in range(len(self.web)):
            s += 1.0 / (i + 1) ** 0.9
            self.web_cum.append(s)
        self.mx_pop = [public_ip(w) for _ in range(300)]
        self.mx_cum = []
        s = 0.0
        for i in range(len(self.mx_pop)):
            s += 1.0 / (i + 1) ** 1.1
            self.mx_cum.append(s)
        self.push = [public_ip(w) for _ in range(12)]
        self.ntp = [public_ip(w) for _ in range(6)]
        self.webmail_smtp = [public_ip(w) for _ in range(16)]
        self.imap_providers = [public_ip(w) for _ in range(40)]
        self.p2p = [public_ip(w) for _ in range(3000)]
        self.ads = [public_ip(w) for _ in range(200)]
        self.public_dns = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "208.67.222.222"]

    def rng(self, name):
        return random.Random("flows/%s/%s/%s/%s" % (self.seed, self.pop, self.scale, name))

    def hour_w(self, kind, hidx):
        t = self.t0 + hidx * HOUR + self.tz * HOUR
        return weight(kind, (t // HOUR) % 24, ((t // DAY) + 3) % 7)

    def ts(self, us):
        s = us // 1000000
        p = self.tcache.get(s)
        if p is None:
            p = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(s))
            self.tcache[s] = p
        return "%s.%06d" % (p, us % 1000000)

    def flow(self, t, dur, proto, src, sport, dst, dport, state, pkts, byts, sbytes, label):
        us = int(t * 1000000)
        if not (self.t0 * 1000000 <= us < self.t1 * 1000000):
            return
        if self.clip is not None and not (self.clip[0] <= t < self.clip[1]):
            return  # a bot's flows stay inside its infection window
        d = "   ->" if proto == "tcp" else "  <->"
        self.sink.add(us, "%s,%.6f,%s,%s,%d,%s,%s,%d,%s,0,0,%d,%d,%d,%s" % (
            self.ts(us), dur, proto, src, sport, d, dst, dport, state, pkts, byts, sbytes, label))

    # ------------------------------------------------------------ flow shapes
    def tcp_ok(self, rng, t, src, dst, dport, label, med_bytes, up_frac=0.15, med_dur=2.0):
        byts = int(lognorm(rng, med_bytes, 1.1)) + 200
        pkts = max(4, int(byts / rng.uniform(600, 1300)) + rng.randint(3, 8))
        sb = min(byts - 40, int(byts * min(0.95, max(0.02, up_frac * rng.uniform(0.5, 1.5)))) + 60)
        dur = lognorm(rng, med_dur, 1.2)
        st = rng.choice(["FSPA_FSPA", "FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA", "SRPA_SPA", "FSPA_FSRPA"])
        self.flow(t, dur, "tcp", src, rng.randint(32768, 65535), dst, dport, st, pkts, byts, sb, label)

    def tcp_fail(self, rng, t, src, dst, dport, label, rst_prob=0.5):
        if rng.random() < rst_prob:
            self.flow(t, rng.uniform(0.0, 0.4), "tcp", src, rng.randint(32768, 65535), dst, dport, "S_RA", 2,
                      rng.choice([120, 122, 128]), rng.choice([62, 66, 74]), label)
        else:
            n = rng.choice([1, 2, 3])
            self.flow(t, [0.0, 3.0, 9.0][n - 1] + rng.random() * 0.05, "tcp", src, rng.randint(32768, 65535),
                      dst, dport, "S_", n, 62 * n, 62 * n, label)

    def dns(self, rng, t, src, resolver, label, fail=0.02):
        if rng.random() < fail:
            self.flow(t, 0.0, "udp", src, rng.randint(1024, 65535), resolver, 53, "INT", 1, 75, 75, label)
        else:
            b = rng.randint(70, 90)
            r = rng.randint(90, 500)
            self.flow(t, rng.uniform(0.0005, 0.08), "udp", src, rng.randint(1024, 65535), resolver, 53, "CON",
                      2, b + r, b, label)

    def smtp(self, rng, t, src, dst, label, accept, msg_bytes):
        """Outbound SMTP session: established and delivered, rejected after EHLO, or connection refused."""
        r = rng.random()
        if r < accept:
            byts = int(msg_bytes * rng.uniform(0.6, 1.6)) + 1500
            self.flow(t, lognorm(rng, 1.5, 0.8), "tcp", src, rng.randint(1025, 65535), dst, 25, "FSPA_FSPA",
                      max(10, byts // 900 + 8), byts, int(byts * 0.85), label)
        elif r < accept + (1 - accept) * 0.5:
            self.flow(t, lognorm(rng, 0.6, 0.6), "tcp", src, rng.randint(1025, 65535), dst, 25,
                      rng.choice(["FSPA_FSPA", "FSRPA_FSPA", "SRPA_FSPA"]), rng.randint(8, 14),
                      rng.randint(900, 1600), rng.randint(300, 600), label)
        else:
            self.tcp_fail(rng, t, src, dst, 25, label, 0.6)

    def times(self, rng, kind, rate_per_hour, a=None, b=None):
        """Poisson event times with an hourly profile."""
        a = self.t0 if a is None else max(a, self.t0)
        b = self.t1 if b is None else min(b, self.t1)
        out = []
        h0 = int((a - self.t0) // HOUR)
        h1 = int(math.ceil((b - self.t0) / HOUR))
        for h in range(h0, min(h1, self.hours)):
            lam = rate_per_hour * self.hour_w(kind, h)
            if lam <= 0:
                continue
            n = poisson(rng, lam)
            base = self.t0 + h * HOUR
            for _ in range(n):
                t = base + rng.random() * HOUR
                if a <= t < b:
                    out.append(t)
        out.sort()
        return out

    def role(self, host, role, a=None, b=None):
        self.hosts[host] = (role, a, b)


def poisson(rng, lam):
    if lam < 30:
        L = math.exp(-lam)
        k, p = 0, 1.0
        while True:
            p *= rng.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))


# ---------------------------------------------------------------- behaviours
def user_traffic(w, rng, src, kind, intensity, label_mode, resolver, smarthost, imap, mail_client=True,
                 p2p=False, a=None, b=None):
    """Ordinary user activity on one address (a single PC, or one client of a NAT)."""
    lab_n = "flow=From-Normal-V10-" if label_mode == "normal" else "flow=Background-"
    sess_rate = intensity
    for t in w.times(rng, kind, sess_rate, a, b):
        n = max(1, int(lognorm(rng, 5, 0.9)))
        for k in range(n):
            tt = t + k * rng.uniform(0.05, 20)
            if rng.random() < 0.6:
                w.dns(rng, tt, src, resolver, lab_n + ("DNS" if label_mode == "normal" else "UDP-Established"))
            i = rng.choices(range(len(w.web)), cum_weights=w.web_cum)[0]
            port = 443 if rng.random() < 0.85 else 80
            w.tcp_ok(rng, tt + 0.02, src, w.web[i], port,
                     lab_n + ("HTTPS" if label_mode == "normal" else "TCP-Established"),
                     rng.choice([3000, 15000, 60000, 400000]), 0.12, 3.0)
    # phone/desktop push channel: a legitimate periodic heartbeat
    if rng.random() < 0.5:
        per = rng.choice([240, 300, 600, 900, 1680])
        dst = rng.choice(w.push)
        t = (a or w.t0) + rng.random() * per
        end = b or w.t1
        while t < end:
            if w.hour_w(kind, int((t - w.t0) // HOUR)) > 0.1 or rng.random() < 0.3:
                w.tcp_ok(rng, t, src, dst, rng.choice([443, 5228, 5223]), lab_n + "TCP-Established", 900, 0.4, 0.5)
            t += per * rng.uniform(0.9, 1.1)
    if rng.random() < 0.3:
        for t in w.times(rng, kind, 0.3, a, b):
            w.flow(t, rng.uniform(0.01, 0.2), "udp", src, 123, rng.choice(w.ntp), 123, "CON", 2, 180, 90,
                   lab_n + "UDP-Established")
    if mail_client:
        # IMAP polling (fixed interval while the mail client runs) + submissions via the smarthost
        if rng.random() < 0.6:
            per = rng.choice([300, 600, 900])
            port = rng.choice([993, 993, 143, 995])
            srv = imap if rng.random() < 0.6 else rng.choice(w.imap_providers)
            for t0 in w.times(rng, kind, 0.15, a, b):
                t = t0
                for _ in range(rng.randint(6, 30)):
                    w.tcp_ok(rng, t, src, srv, port, lab_n + "TCP-Established", 2500, 0.3, 1.0)
                    t += per * rng.uniform(0.98, 1.02)
        n_sub = rng.choice([0.05, 0.1, 0.2, 0.4])
        sub_dst = smarthost if rng.random() < 0.6 else rng.choice(w.webmail_smtp)
        for t in w.times(rng, kind, n_sub, a, b):
            w.tcp_ok(rng, t, src, sub_dst, rng.choice([587, 587, 465]), lab_n + "TCP-Established", 30000, 0.9, 1.5)
    if p2p:
        for t in w.times(rng, kind, rng.uniform(40, 300), a, b):
            peer = rng.choice(w.p2p) if rng.random() < 0.7 else public_ip(rng)
            port = rng.randint(1025, 65000)
            if rng.random() < 0.5:
                if rng.random() < 0.35:  # peer gone: request only
                    sb = rng.randint(60, 400)
                    w.flow(t, 0.0, "udp", src, 51413, peer, port, "INT", 1, sb, sb, lab_n + "UDP-Attempt")
                else:
                    sb = rng.randint(60, 1500)
                    w.flow(t, rng.uniform(0, 2), "udp", src, 51413, peer, port, "CON", rng.randint(2, 6),
                           sb + rng.randint(60, 3000), sb, lab_n + "UDP-Established")
            elif rng.random() < 0.5:
                w.tcp_fail(rng, t, src, peer, port, lab_n + "TCP-Attempt", 0.5)
            else:
                w.tcp_ok(rng, t, src, peer, port, lab_n + "TCP-Established", 200000, 0.5, 20)


def beacon(w, rng, src, a, b, label, period=None, jitter=None, dsts=None, port=None):
    period = period or rng.choice([60, 120, 300, 600, 900, 1800, 3600])
    jitter = rng.choice([0.0, 0.1, 0.2, 0.3, 0.5]) if jitter is None else jitter
    dsts = dsts or [public_ip(rng) for _ in range(rng.randint(1, 3))]
    port = port or rng.choice([443, 443, 443, 80, 8080, 8443])
    t = a + rng.random() * period
    while t < b:
        if rng.random() < 0.97:  # the odd missed check-in (laptop asleep, network glitch)
            big = rng.random() < 0.02
            w.tcp_ok(rng, t, src, rng.choice(dsts), port, label, 60000 if big else 1400, 0.35, 0.4)
        t += period * (1 + jitter * (2 * rng.random() - 1))


def infection_window(w, rng, p_mid=0.5, p_clean=0.35, min_hours=3):
    if rng.random() < p_mid:
        a = w.t0 + rng.uniform(0.05, 0.75) * (w.t1 - w.t0)
    else:
        a = w.t0
    if rng.random() < p_clean:
        b = a + max(min_hours * HOUR, rng.uniform(0.15, 0.6) * (w.t1 - a))
        b = min(b, w.t1)
    else:
        b = w.t1
    return int(a), int(b)


def heavy_spam(w, rng, src, a, b, botlab, resolver):
    """Neris-like spam bot (CTU-13 scenarios 1/2/9): C&C over HTTP, bursts of SMTP to many MX hosts,
    many failed/refused connections, MX lookups, some click-fraud HTTP."""
    beacon(w, rng, src, a, b, botlab + "TCP-CC-HTTP", period=rng.choice([60, 120, 300]), jitter=0.2,
           port=rng.choice([80, 8080, 443]))
    rate = lognorm(rng, 700, 0.7) * max(0.2, min(1.0, w.scale * 5))
    accept = rng.uniform(0.25, 0.7)
    t = a + rng.uniform(60, 1800)
    use_public_dns = rng.random() < 0.5
    dns_srv = rng.choice(w.public_dns) if use_public_dns else resolver
    while t < b:
        dur = lognorm(rng, 1.5, 0.8) * HOUR
        end = min(b, t + dur)
        r = rate * rng.uniform(0.5, 1.5)
        tt = t
        while tt < end:
            tt += rng.expovariate(r / HOUR)
            if rng.random() < 0.3:
                w.dns(rng, tt, src, dns_srv, botlab + "UDP-DNS", 0.05)
            mx = rng.choice(w.mx_pop) if rng.random() < 0.35 else public_ip(rng)
            w.smtp(rng, tt + 0.05, src, mx, botlab + "TCP-Attempt-SPAM", accept, 4000)
        if rng.random() < 0.4:
            for tt in w.times(rng, "flat", rng.uniform(30, 200), t, end):
                w.tcp_ok(rng, tt, src, rng.choice(w.ads), 80, botlab + "TCP-Established-HTTP-Ad", 5000, 0.2, 0.8)
        t = end + lognorm(rng, 1.0, 1.0) * HOUR


def imap_stuffing(w, rng, src, a, b, botlab):
    """IMAP/POP credential stuffing / password spraying against mail providers (legacy protocols)."""
    beacon(w, rng, src, a, b, botlab + "TCP-CC-HTTPS", period=rng.choice([300, 600]), jitter=0.3)
    targets = rng.sample(w.imap_providers, rng.randint(3, 12))
    rate = lognorm(rng, 500, 0.6) * max(0.2, min(1.0, w.scale * 5))
    t = a + rng.uniform(60, 3600)
    while t < b:
        end = min(b, t + lognorm(rng, 3, 0.6) * HOUR)
        tt = t
        while tt < end:
            tt += rng.expovariate(rate / HOUR)
            port = rng.choice([993, 993, 143, 995, 110])
            dst = rng.choice(targets)
            if rng.random() < 0.1:
                w.tcp_fail(rng, tt, src, dst, port, botlab + "TCP-Attempt", 0.3)
            else:
                w.tcp_ok(rng, tt, src, dst, port, botlab + "TCP-Established-AUTH", 4200, 0.35, 0.8)
        t = end + lognorm(rng, 2, 0.8) * HOUR


def low_slow(w, rng, src, a, b, botlab, resolver):
    """Low-and-slow spam bot: a few SMTP connections an hour, each to a never-before-seen MX host,
    sustained for many hours, plus an (optional) jittered C&C beacon."""
    if rng.random() < 0.8:
        beacon(w, rng, src, a, b, botlab + "TCP-CC-HTTPS", jitter=rng.choice([0.1, 0.3, 0.5]))
    per_hour = rng.uniform(1, 8)
    accept = rng.uniform(0.4, 0.8)
    for t in w.times(rng, "flat", per_hour, a, b):
        mx = public_ip(rng)
        if rng.random() < 0.5:
            w.dns(rng, t - 0.1, src, resolver, botlab + "UDP-DNS")
        w.smtp(rng, t, src, mx, botlab + "TCP-Established-SPAM", accept, 6000)


def relay_abuse(w, rng, src, a, b, botlab, smarthost):
    """Relay abuse with stolen credentials: bursts of authenticated submission connections (587/465)
    to the provider's smarthost or to webmail providers' submission servers."""
    targets = [smarthost] if rng.random() < 0.5 else rng.sample(w.webmail_smtp, rng.randint(1, 4))
    bursts_per_day = rng.uniform(2, 10)
    starts = w.times(rng, "flat", bursts_per_day / 24.0, a, b) or [a + rng.random() * (b - a) * 0.5]
    for t in starts:
        n = int(lognorm(rng, 25, 0.7)) + 3
        span = rng.uniform(120, 1800)
        for k in range(n):
            tt = t + span * rng.random()
            port = rng.choice([587, 587, 465])
            if rng.random() < 0.08:
                w.tcp_fail(rng, tt, src, rng.choice(targets), port, botlab + "TCP-Attempt", 0.8)
            else:
                w.tcp_ok(rng, tt, src, rng.choice(targets), port, botlab + "TCP-Established-SMTP-AUTH",
                         lognorm(rng, 120000, 0.8), 0.95, 6.0)


def mail_server(w, rng, src, kind, volume, resolver, label_mode):
    """Legitimate mail server on a business line: outbound SMTP mostly to popular MX hosts (Zipf),
    long tail of rarer domains, inbound SMTP from the Internet, DNS."""
    lab = "flow=From-Normal-V10-" if label_mode == "normal" else "flow=Background-"
    for t in w.times(rng, kind, volume, None, None):
        if rng.random() < 0.8:
            i = rng.choices(range(len(w.mx_pop)), cum_weights=w.mx_cum)[0]
            mx = w.mx_pop[i]
        else:
            mx = public_ip(rng)
        if rng.random() < 0.2:
            w.dns(rng, t - 0.05, src, resolver, lab + "UDP-Established")
        w.smtp(rng, t, src, mx, lab + "TCP-Established-SMTP", 0.97, 30000)
    # inbound mail and inbound spam attempts (outside -> server:25); background for the capture
    for t in w.times(rng, "flat", volume * rng.uniform(0.8, 3.0), None, None):
        peer = rng.choice(w.mx_pop) if rng.random() < 0.5 else public_ip(rng)
        byts = int(lognorm(rng, 20000, 1.2)) + 1500
        w.flow(t, lognorm(rng, 1.0, 0.8), "tcp", peer, rng.randint(1025, 65535), src, 25, "FSPA_FSPA",
               max(8, byts // 900 + 6), byts, int(byts * 0.9), "flow=Background-TCP-Established")
    # users fetching mail (IMAPS in) is not visible here; nightly backup upload
    for t in w.times(rng, "flat", 0.05, None, None):
        w.tcp_ok(rng, t, src, rng.choice(w.web), 443, lab + "TCP-Established", 5e6, 0.95, 120)


# ---------------------------------------------------------------- populations
CONFIG = {
    "campus_neris": dict(start=(2026, 4, 14, 6), hours=48, tz=2, kind="campus",
                         nets=["10.16.0.0/16"], mail_net="10.16.1.0/28", resolver="10.16.0.53",
                         smarthost="10.16.1.3", imap="10.16.1.4",
                         normal=1600, p2p=40, labeled_normal=0.15, nat=6, nat_infected=1,
                         mail_listed=3, mail_unlisted=1, home_mail=0, heavy=8, imap_stuff=1, lowslow=2,
                         beacon_only=4, relay=1, intensity=(3.3, 0.8)),
    "isp_access": dict(start=(2026, 5, 8, 0), hours=72, tz=1, kind="home",
                       nets=["10.64.0.0/14", "172.22.0.0/16"], mail_net="172.22.0.0/24", resolver="192.168.200.53",
                       smarthost="192.168.200.25", imap="192.168.200.143",
                       normal=2400, p2p=60, labeled_normal=0.05, nat=30, nat_infected=6,
                       mail_listed=6, mail_unlisted=5, home_mail=6, heavy=3, imap_stuff=2, lowslow=14,
                       beacon_only=8, relay=9, intensity=(1.5, 0.9)),
}


def generate(seed, pop, scale, out):
    cfg = CONFIG[pop]
    t0 = calendar.timegm(cfg["start"][:3] + (cfg["start"][3], 0, 0))
    w = World(seed, pop, scale, t0, cfg["hours"], cfg["tz"])
    os.makedirs(out, exist_ok=True)
    w.sink = Sink(out, t0, HOUR)
    arng = w.rng("addresses")
    mb = cfg["mail_net"].split("/")[0].rsplit(".", 1)[0]
    used = set("%s.%d" % (mb, i) for i in range(256))  # the mail/infra subnet is not handed to users

    def addr(net_idx=0, business=False):
        net = cfg["nets"][1 if business and len(cfg["nets"]) > 1 else net_idx]
        base, bits = net.split("/")
        o = [int(x) for x in base.split(".")]
        size = 2 ** (32 - int(bits))
        while True:
            k = arng.randrange(256, size - 1)
            v = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) + k
            ip = "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
            if ip not in used and v & 255 not in (0, 255):
                used.add(ip)
                return ip

    def n(x, lo=0):
        return max(lo, int(round(x * scale)))

    kind = cfg["kind"]
    resolver, smarthost, imap = cfg["resolver"], cfg["smarthost"], cfg["imap"]
    inten_med, inten_sig = cfg["intensity"]
    bot_id = [0]

    def botlab():
        bot_id[0] += 1
        return "flow=From-Botnet-V10-%d-" % bot_id[0]

    # ordinary hosts
    for i in range(n(cfg["normal"], 20)):
        rng = w.rng("normal%d" % i)
        src = addr()
        mode = "normal" if rng.random() < cfg["labeled_normal"] else "bg"
        user_traffic(w, rng, src, kind, lognorm(rng, inten_med, inten_sig), mode, resolver, smarthost, imap)
        w.role(src, "normal")
    for i in range(n(cfg["p2p"], 2)):
        rng = w.rng("p2p%d" % i)
        src = addr()
        user_traffic(w, rng, src, kind, lognorm(rng, inten_med, inten_sig), "bg", resolver, smarthost, imap, p2p=True)
        w.role(src, "normal")
    # NAT gateways (offices / labs / hotspots); some with an infected client
    n_nat = n(cfg["nat"], 2)
    n_nat_inf = max(1, n(cfg["nat_infected"]))
    for i in range(n_nat):
        rng = w.rng("nat%d" % i)
        src = addr(business=True)
        clients = int(lognorm(rng, 15, 0.7)) + 3
        nkind = "office" if rng.random() < 0.7 else kind
        for c in range(clients):
            crng = w.rng("nat%d/c%d" % (i, c))
            user_traffic(w, crng, src, nkind, lognorm(crng, inten_med, inten_sig), "bg", resolver, smarthost, imap)
        if i < n_nat_inf:
            a, b = infection_window(w, rng, 0.5, 0.3)
            lab = botlab()
            what = rng.choice(["lowslow", "beacon", "relay", "lowslow"])
            w.clip = (a, b)
            if what == "lowslow":
                low_slow(w, rng, src, a, b, lab, resolver)
            elif what == "relay":
                relay_abuse(w, rng, src, a, b, lab, smarthost)
            else:
                beacon(w, rng, src, a, b, lab + "TCP-CC-HTTPS")
            w.clip = None
            w.role(src, "nat_infected", a, b)
        else:
            w.role(src, "nat_gateway")
    # mail servers: listed ones sit in the mail subnet; unlisted ones elsewhere on business lines
    mnet = cfg["mail_net"]
    mbase = mnet.split("/")[0].rsplit(".", 1)[0]
    mail_listed = []
    for i in range(max(1, n(cfg["mail_listed"], 1))):
        rng = w.rng("mail%d" % i)
        src = "%s.%d" % (mbase, 5 + i)
        used.add(src)
        mail_server(w, rng, src, "office", lognorm(rng, 120, 0.8) * max(scale, 0.2), resolver,
                    "normal" if rng.random() < 0.5 else "bg")
        w.role(src, "mail_server")
        mail_listed.append(src)
    for i in range(n(cfg["mail_unlisted"], 1)):
        rng = w.rng("mailu%d" % i)
        src = addr(business=True)
        mail_server(w, rng, src, "office", lognorm(rng, 40, 1.0) * max(scale, 0.2), resolver, "bg")
        w.role(src, "mail_server")
    for i in range(n(cfg["home_mail"])):
        # hobbyist mail server: a handful of messages a day to varied domains
        rng = w.rng("homemail%d" % i)
        src = addr()
        mail_server(w, rng, src, "home", rng.uniform(0.3, 3), resolver, "bg")
        user_traffic(w, rng, src, kind, lognorm(rng, inten_med, inten_sig), "bg", resolver, smarthost, imap)
        w.role(src, "mail_server")

    # infected hosts: the user's own traffic continues around the bot's
    def infected(name, count, role, fn, p_mid, p_clean):
        for i in range(count):
            rng = w.rng("%s%d" % (name, i))
            src = addr()
            user_traffic(w, rng, src, kind, lognorm(rng, inten_med, inten_sig), "bg", resolver, smarthost, imap)
            a, b = infection_window(w, rng, p_mid, p_clean)
            w.clip = (a, b)
            fn(rng, src, a, b, botlab())
            w.clip = None
            w.role(src, role, a, b)

    infected("heavy", max(1, n(cfg["heavy"])), "bot_heavy",
             lambda r, s, a, b, l: heavy_spam(w, r, s, a, b, l, resolver), 0.5, 0.35)
    infected("imapstuff", max(1, n(cfg["imap_stuff"])), "bot_heavy",
             lambda r, s, a, b, l: imap_stuffing(w, r, s, a, b, l), 0.5, 0.3)
    infected("lowslow", max(1, n(cfg["lowslow"])), "bot_lowslow",
             lambda r, s, a, b, l: low_slow(w, r, s, a, b, l, resolver), 0.5, 0.25)
    infected("beacononly", max(1, n(cfg["beacon_only"])), "bot_lowslow",
             lambda r, s, a, b, l: beacon(w, r, s, a, b, l + "TCP-CC-HTTPS"), 0.4, 0.2)
    infected("relay", max(1, n(cfg["relay"])), "bot_relay",
             lambda r, s, a, b, l: relay_abuse(w, r, s, a, b, l, smarthost), 0.5, 0.3)

    # Internet background: scanners probing subscriber addresses (outside -> inside)
    srng = w.rng("scanners")
    hosts_list = sorted(w.hosts)
    for t in w.times(srng, "flat", 400 * max(scale, 0.05)):
        dst = srng.choice(hosts_list)
        port = srng.choice([22, 23, 445, 3389, 80, 8080, 5060, 1433, 3306, 2323])
        w.flow(t, 0.0, "tcp", public_ip(srng), srng.randint(1025, 65535), dst, port,
               srng.choice(["S_RA", "S_", "S_"]), 1, 60, 60, "flow=Background-TCP-Attempt")

    w.sink.finish(os.path.join(out, "flows.binetflow"), HEADER)
    with open(os.path.join(out, "hosts.csv"), "w", newline="") as f:
        f.write("host,role,infected_from,infected_until\n")
        for h in sorted(w.hosts, key=lambda x: tuple(int(p) for p in x.split("."))):
            role, a, b = w.hosts[h]
            f.write("%s,%s,%s,%s\n" % (h, role, "" if a is None else a, "" if b is None else b))
    meta = {"population": pop, "seed": seed, "start": w.t0, "end": w.t1, "subscribers": cfg["nets"],
            "mail_servers": ["%s/32" % ip for ip in mail_listed], "flows": w.sink.n}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or (POPULATIONS[0] if a.seed % 2 else POPULATIONS[1])
    print(json.dumps(generate(a.seed, pop, a.scale, a.out)))


if __name__ == "__main__":
    main()

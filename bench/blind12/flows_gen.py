#!/usr/bin/env python3
"""Blind round 12: synthetic bot-detection flow worlds (CTU-13 style .binetflow).

python3 flows_gen.py --seed N --out DIR [--population NAME] [--scale F]

Populations:
  campus_neris  24 h of a university network (CTU-13-like): Neris-like heavy spam bots
                with IRC/HTTP C&C and click fraud, a few quieter bots, campus mail relays
                (listed) and a department mail server (not listed), lab/dorm NAT gateways.
  isp_access    48 h of an ISP access network: residential subscribers, business lines
                with mail servers (some listed, some not) and office NAT gateways,
                low-and-slow spam bots, relay abusers with stolen credentials (smarthost /
                webmail submission bursts, IMAP/POP credential checking), heavy bots,
                infected clients behind NAT gateways, infections starting mid-capture and
                infections cleaned before the end.
Without --population: odd seeds -> campus_neris, even seeds -> isp_access.
Writes flows.binetflow, hosts.csv, meta.json. Standard library only; deterministic.
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
HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"

HOSTING_OCT = [5, 23, 31, 37, 45, 46, 50, 51, 52, 54, 62, 64, 66, 67, 69, 74, 77, 78, 79, 80,
               81, 82, 85, 87, 91, 92, 94, 95, 104, 107, 108, 109, 128, 136, 138, 139, 144,
               146, 148, 149, 151, 158, 159, 162, 167, 168, 173, 176, 178, 185, 188, 193,
               194, 195, 199, 204, 205, 206, 207, 208, 209, 212, 213, 216, 217]


def lognorm(rng, median, sigma, lo=None, hi=None):
    v = median * math.exp(rng.gauss(0.0, sigma))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    k, p = 0, rng.random()
    while p > L:
        k += 1
        p *= rng.random()
    return k


def diurnal(kind, h, wd=1):
    if kind == "home":
        return (0.25, 0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.55, 0.5, 0.5, 0.55, 0.6,
                0.6, 0.6, 0.65, 0.75, 0.9, 1.0, 1.0, 1.0, 0.95, 0.75, 0.45)[h]
    if kind == "office":
        v = (0.03, 0.03, 0.03, 0.03, 0.03, 0.05, 0.15, 0.5, 0.9, 1.0, 1.0, 0.95, 0.8, 0.9,
             1.0, 0.95, 0.85, 0.55, 0.3, 0.15, 0.1, 0.07, 0.05, 0.04)[h]
        return v * (0.1 if wd >= 5 else 1.0)
    if kind == "campus":
        return (0.3, 0.2, 0.12, 0.08, 0.07, 0.08, 0.15, 0.35, 0.7, 0.9, 1.0, 1.0, 0.95,
                1.0, 1.0, 0.95, 0.9, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.4)[h]
    return 1.0


class World:
    def __init__(self, seed, pop, scale, tmpdir):
        self.seed, self.pop, self.scale = seed, pop, scale
        if pop == "campus_neris":
            self.T0 = calendar.timegm((2026, 11, 10, 6, 0, 0))  # Tuesday
            self.hours = 24
            self.cap = 60 + seed % 30
        else:
            self.T0 = calendar.timegm((2026, 11, 12, 0, 0, 0))  # Thursday (Thu+Fri)
            self.hours = 48
            self.cap = 90 + seed % 30
        self.T1 = self.T0 + self.hours * 3600
        self.t0us, self.t1us = self.T0 * 1000000, self.T1 * 1000000
        self.tmpdir = tmpdir
        self.bufs = [[] for _ in range(self.hours)]
        self.nbuf = 0
        self.files = [os.path.join(tmpdir, "h%03d" % i) for i in range(self.hours)]
        for f in self.files:
            open(f, "w").close()
        self.tcache = {}
        self.clip = None
        self.senders = set()
        self.hosts = {}  # ip -> (role, inf_from, inf_until)
        self.count = 0
        g = random.Random("%s/%s/globals" % (seed, pop))
        self.g = g
        # external destination pools
        self.used = set()
        self.cdn = [self.ext_ip(g) for _ in range(400)]
        self.cdn_w = []
        acc = 0.0
        for i in range(len(self.cdn)):
            acc += 1.0 / (i + 1) ** 0.9
            self.cdn_w.append(acc)
        self.mx_big = [self.ext_ip(g) for _ in range(40)]   # big mailbox providers' MX
        self.webmail = [self.ext_ip(g) for _ in range(12)]  # webmail/submission endpoints
        self.imap_prov = [self.ext_ip(g) for _ in range(60)]
        self.ad_servers = [self.ext_ip(g) for _ in range(80)]
        self.pubdns = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "9.9.9.9", "208.67.222.222"]
        self.telemetry = [self.ext_ip(g) for _ in range(30)]

    def ext_ip(self, r):
        while True:
            ip = "%d.%d.%d.%d" % (r.choice(HOSTING_OCT), r.randrange(256), r.randrange(256),
                                   r.randrange(1, 255))
            if ip not in self.used:
                self.used.add(ip)
                return ip

    def rand_ext(self, r):
        # long-tail destination, not necessarily unique
        return "%d.%d.%d.%d" % (r.choice(HOSTING_OCT), r.randrange(256), r.randrange(256),
                                 r.randrange(1, 255))

    def cdn_pick(self, r):
        x = r.random() * self.cdn_w[-1]
        lo, hi = 0, len(self.cdn_w) - 1
        while lo < hi:
            m = (lo + hi) // 2
            if self.cdn_w[m] < x:
                lo = m + 1
            else:
                hi = m
        return self.cdn[lo]

    def rng(self, name):
        return random.Random("%s/%s/%s" % (self.seed, self.pop, name))

    def n(self, x):
        return max(1, int(round(x * self.scale)))

    def fmt(self, sec):
        s = self.tcache.get(sec)
        if s is None:
            s = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(sec))
            self.tcache[sec] = s
        return s

    def flow(self, ts, dur, proto, src, sport, dst, dport, state, pkts, byts, sbytes, label):
        """ts in microseconds."""
        if ts < self.t0us or ts >= self.t1us:
            return
        if self.clip is not None and not (self.clip[0] <= ts < self.clip[1]):
            return  # a bot's malicious flows stay inside its infection window
        sec, us = divmod(ts, 1000000)
        if proto == "tcp":
            d = "   ->"
        elif proto == "udp":
            d = "  <->" if state == "CON" else "   ->"
        else:
            d = "  <->" if state == "ECO" else "   ->"
        dtos = "" if state in ("S_", "INT", "URP") else "0"
        if sbytes > byts:
            sbytes = byts
        line = "%s.%06d,%.6f,%s,%s,%s,%s,%s,%s,%s,0,%s,%d,%d,%d,%s\n" % (
            self.fmt(sec), us, dur, proto, src, sport, d, dst, dport, state, dtos, pkts, byts,
            sbytes, label)
        self.bufs[(sec - self.T0) // 3600].append(line)
        self.senders.add(src)
        self.nbuf += 1
        if self.nbuf >= 400000:
            self.flush()

    def flush(self):
        for i, b in enumerate(self.bufs):
            if b:
                with open(self.files[i], "a") as f:
                    f.writelines(b)
                b.clear()
        self.nbuf = 0

    def finish(self, path):
        self.flush()
        n = 0
        with open(path, "w") as out:
            out.write(HEADER)
            for fn in self.files:
                with open(fn) as f:
                    lines = f.readlines()
                lines.sort()
                out.writelines(lines)
                n += len(lines)
                os.remove(fn)
        self.count = n
        return n


# ----------------------------------------------------------------------------- flow kinds


def eph(r, os_kind):
    if os_kind == "win":
        return r.randrange(49152, 65536)
    if os_kind == "nat":
        return r.randrange(1024, 65536)
    return r.randrange(32768, 61000)


def tcp_ok(w, r, ts, src, sp, dst, dp, label, med_pkts=18, bpp=650, up=0.2, med_dur=1.5):
    pk = max(4, int(lognorm(r, med_pkts, 0.9, 4, 20000)))
    by = int(pk * lognorm(r, bpp, 0.35, 66, 1500))
    sb = int(by * min(0.95, lognorm(r, up, 0.5, 0.02)))
    st = r.choice(("FSPA_FSPA", "FSPA_FSPA", "FSPA_FSPA", "FSRPA_FSPA", "SPA_SPA", "FSPA_FSRPA"))
    w.flow(ts, lognorm(r, med_dur, 1.2, 0.001, 3600), "tcp", src, sp, dst, dp, st, pk, by, sb, label)


def tcp_fail(w, r, ts, src, sp, dst, dp, label):
    if r.random() < 0.5:
        k = r.choice((1, 2, 3))
        w.flow(ts, (0.0, 3.0, 9.0)[k - 1] + r.random() * 0.05, "tcp", src, sp, dst,
               dp, "S_", k, 66 * k, 66 * k, label)
    else:
        w.flow(ts, r.random() * 0.3, "tcp", src, sp, dst, dp, "S_RA", 2, 120, 62, label)


def dns(w, r, ts, src, sp, resolver, label, ok=True):
    if ok:
        w.flow(ts, r.random() * 0.08, "udp", src, sp, resolver, 53, "CON", 2,
               int(lognorm(r, 230, 0.4, 90, 1400)), int(lognorm(r, 75, 0.2, 60, 120)), label)
    else:
        w.flow(ts, 0.0, "udp", src, sp, resolver, 53, "INT", 1, 75, 75, label)


def lab(w, host_is_normal_labeled, kind):
    if host_is_normal_labeled:
        return "flow=From-Normal-V%d-%s" % (w.cap, kind)
    return "flow=Background-%s" % kind


def normal_activity(w, r, ip, os_kind, prof, rate, t_from, t_to, resolver, labeled=False,
                    mailclient=None, smarthost=None, heartbeats=0, p2p=False, users=1):
    """Ordinary client traffic between t_from and t_to (unix s). rate: flows/hour at peak."""
    L_tcp = lab(w, labeled, "TCP-Established")
    L_udp = lab(w, labeled, "UDP-Established")
    L_att = lab(w, labeled, "TCP-Attempt")
    h0 = (t_from - w.T0) // 3600
    h1 = (t_to - w.T0 + 3599) // 3600
    for hh in range(max(0, h0), min(w.hours, h1)):
        hs = w.T0 + hh * 3600
        loc = time.gmtime(hs)
        f = diurnal(prof, loc.tm_hour, loc.tm_wday)
        n = poisson(r, rate * f)
        for _ in range(n):
            t = hs + r.random() * 3600
            if t < t_from or t >= t_to:
                continue
            ts = int(t * 1000000)
            x = r.random()
            sp = eph(r, os_kind)
            if x < 0.33:
                dns(w, r, ts, ip, sp, resolver, L_udp, r.random() > 0.01)
            elif x < 0.75:
                tcp_ok(w, r, ts, ip, sp, w.cdn_pick(r) if r.random() < 0.75 else w.rand_ext(r), 443,
                       L_tcp, 22, 900, 0.12, 4.0)
            elif x < 0.83:
                tcp_ok(w, r, ts, ip, sp, w.cdn_pick(r) if r.random() < 0.5 else w.rand_ext(r), 80,
                       L_tcp, 12, 800, 0.15, 1.0)
            elif x < 0.89:
                w.flow(ts, lognorm(r, 8, 1.3, 0.01, 1800), "udp", ip, sp, w.cdn_pick(r), 443, "CON",
                       int(lognorm(r, 40, 1.2, 2, 50000)), int(lognorm(r, 30000, 1.5, 200)),
                       int(lognorm(r, 3000, 1.2, 100)), L_udp)
            elif x < 0.975:
                tcp_ok(w, r, ts, ip, sp, w.rand_ext(r), r.choice((443, 443, 8443, 5228, 5223, 993, 22, 3478)),
                       L_tcp, 14, 500, 0.3, 30.0)
            elif x < 0.99:
                tcp_fail(w, r, ts, ip, sp, w.rand_ext(r), r.choice((443, 80, 8080, 5222)), L_att)
            elif x < 0.997:
                w.flow(ts, 0.02 + r.random() * 0.05, "udp", ip, 123, r.choice(w.cdn[:20]), 123,
                       "CON", 2, 180, 90, L_udp)
            else:
                w.flow(ts, r.random() * 0.05, "icmp", ip, "0x0008", r.choice(w.cdn[:50]),
                       "0x%04x" % r.randrange(65536), "ECO", 2, 196, 98, lab(w, labeled, "ICMP"))
    # periodic mail-client polling (legitimate periodicity)
    if mailclient:
        srv, port, period = mailclient
        t = t_from + r.random() * period
        while t < t_to:
            loc = time.gmtime(int(t))
            if diurnal(prof, loc.tm_hour, loc.tm_wday) > 0.3 or r.random() < 0.2:
                tcp_ok(w, r, int(t * 1000000), ip, eph(r, os_kind), srv, port, L_tcp, 14, 250, 0.35, 0.8)
            t += period * (0.97 + r.random() * 0.06)
    # application heartbeats / telemetry: periodic HTTPS to a fixed endpoint (benign beacon)
    for k in range(heartbeats):
        dst = r.choice(w.telemetry)
        period = r.choice((60, 60, 120, 300, 300, 600, 900, 1800, 3600))
        t = t_from + r.random() * period
        while t < t_to:
            tcp_ok(w, r, int(t * 1000000), ip, eph(r, os_kind), dst, 443, L_tcp, 9, 180, 0.45, 0.3)
            t += period * (0.9 + r.random() * 0.2)
    # legitimate outgoing mail through the provider's smarthost (a few a day)
    if smarthost:
        # users = number of people behind the address (an office NAT submits for all of them)
        m = poisson(r, (t_to - t_from) / 86400.0 * lognorm(r, 4, 0.8, 0.3, 40) * users)
        for _ in range(m):
            t = t_from + r.random() * (t_to - t_from)
            if users > 1:  # office mail follows office hours
                loc = time.gmtime(int(t))
                if r.random() > diurnal(prof, loc.tm_hour, loc.tm_wday):
                    continue
            tcp_ok(w, r, int(t * 1000000), ip, eph(r, os_kind), smarthost, r.choice((587, 587, 465)),
                   L_tcp, 20, 800, 0.85, 1.5)
    if p2p:
        # a BitTorrent-like client: many distinct peers on random high ports, many failures
        hours = (t_to - t_from) / 3600.0
        m = poisson(r, hours * lognorm(r, 120, 0.8, 10, 2000) * 0.5)
        port = r.randrange(10000, 60000)
        for _ in range(m):
            t = t_from + r.random() * (t_to - t_from)
            ts = int(t * 1000000)
            if r.random() < 0.5:
                w.flow(ts, lognorm(r, 3, 1.5, 0.0, 600), "udp", ip, port, w.rand_ext(r),
                       r.randrange(1025, 65535), "CON" if r.random() < 0.6 else "INT",
                       r.randrange(1, 30), r.randrange(80, 30000), r.randrange(60, 3000), L_udp)
            elif r.random() < 0.5:
                tcp_fail(w, r, ts, ip, eph(r, os_kind), w.rand_ext(r), r.randrange(1025, 65535), L_att)
            else:
                tcp_ok(w, r, ts, ip, eph(r, os_kind), w.rand_ext(r), r.randrange(1025, 65535), L_tcp,
                       40, 900, 0.3, 20.0)


def mail_server_activity(w, r, ip, rate, t_from, t_to, resolver, prof="office"):
    """A legitimate MTA: delivery to many distinct MX hosts, retries, DNS lookups; also
    inbound SMTP from the Internet."""
    L = "flow=Background-TCP-Established"
    La = "flow=Background-TCP-Attempt"
    Lu = "flow=Background-UDP-Established"
    # each server has its own set of correspondents (repeat destinations) plus big providers
    partners = [w.rand_ext(r) for _ in range(int(lognorm(r, 300, 0.8, 30, 5000)))]
    h0 = (t_from - w.T0) // 3600
    for hh in range(max(0, h0), w.hours):
        hs = w.T0 + hh * 3600
        if hs >= t_to:
            break
        loc = time.gmtime(hs)
        f = 0.15 + 0.85 * diurnal(prof, loc.tm_hour, loc.tm_wday)
        for _ in range(poisson(r, rate * f)):
            t = hs + r.random() * 3600
            ts = int(t * 1000000)
            x = r.random()
            if x < 0.35:
                dst = r.choice(w.mx_big)
            elif x < 0.8:
                dst = r.choice(partners)
            else:
                dst = w.rand_ext(r)
            dns(w, r, ts - 20000, ip, r.randrange(1024, 65535), resolver, Lu)
            if r.random() < 0.05:
                tcp_fail(w, r, ts, ip, r.randrange(1024, 65535), dst, 25, La)
            else:
                tcp_ok(w, r, ts, ip, r.randrange(1024, 65535), dst, 25, L, 22, 900, 0.9, 1.2)
        # inbound mail from the Internet
        for _ in range(poisson(r, rate * f * 0.8)):
            t = hs + r.random() * 3600
            src = r.choice(w.mx_big) if r.random() < 0.4 else w.rand_ext(r)
            tcp_ok(w, r, int(t * 1000000), src, r.randrange(1024, 65535), ip, 25, L, 20, 900, 0.9, 1.5)


def spam_smtp(w, r, ts, ip, os_kind, label_ok, label_att, fail_rate, fresh=False):
    dst = w.rand_ext(r) if (fresh or r.random() < 0.8) else r.choice(w.mx_big)
    sp = eph(r, os_kind)
    if r.random() < fail_rate:
        tcp_fail(w, r, ts, ip, sp, dst, 25, label_att)
    else:
        tcp_ok(w, r, ts, ip, sp, dst, 25, label_ok, 14, 600, 0.8, 2.0)
    return dst


def cc_beacon(w, r, ip, os_kind, c2, port, period, jitter, a, b, label, sleep_night=False):
    t = a + r.random() * period
    while t < b:
        ok = True
        if sleep_night:
            hh = time.gmtime(int(t)).tm_hour
            ok = not (1 <= hh < 6)
        if ok:
            if r.random() < 0.03:
                tcp_fail(w, r, int(t * 1000000), ip, eph(r, os_kind), c2, port, label)
            else:
                tcp_ok(w, r, int(t * 1000000), ip, eph(r, os_kind), c2, port, label, 8, 220, 0.5, 0.4)
        t += period * (1 - jitter + 2 * jitter * r.random())


def bot_activity(w, r, ip, os_kind, kind, a, b, resolver, vtag):
    """Malicious flows of an infected host from a to b (unix s)."""
    Lspam = "flow=From-Botnet-V%d-%s-TCP-Established-SPAM" % (w.cap, vtag)
    Latt = "flow=From-Botnet-V%d-%s-TCP-Attempt-SPAM" % (w.cap, vtag)
    Lcc = "flow=From-Botnet-V%d-%s-TCP-CC-HTTP" % (w.cap, vtag)
    Ldns = "flow=From-Botnet-V%d-%s-UDP-DNS" % (w.cap, vtag)
    if b <= a:
        return
    w.clip = (a * 1000000, b * 1000000)
    _bot_activity(w, r, ip, os_kind, kind, a, b, resolver, vtag, Lspam, Latt, Lcc, Ldns)
    w.clip = None


def _bot_activity(w, r, ip, os_kind, kind, a, b, resolver, vtag, Lspam, Latt, Lcc, Ldns):
    c2 = w.rand_ext(r)
    # beacon-only phase before the spam module is pushed (sometimes)
    delay = 0
    if r.random() < 0.35:
        delay = int(lognorm(r, 1800, 1.0, 120, 4 * 3600))
    sa = min(b, a + delay)
    if kind == "heavy":
        cc_beacon(w, r, ip, os_kind, c2, r.choice((80, 80, 443, 6667, 8080)),
                  lognorm(r, 300, 0.7, 30, 1800), r.uniform(0.0, 0.3), a, b, Lcc)
        rate = lognorm(r, 500, 1.0, 40, 6000)  # SMTP attempts/hour while spamming
        fail = r.uniform(0.15, 0.6)
        own_dns = r.random() < 0.5
        dns_srv = r.choice(w.pubdns) if own_dns else resolver
        clickfraud = r.random() < 0.5
        t = sa
        while t < b:
            on = lognorm(r, 900, 0.8, 60, 7200)
            off = lognorm(r, 600, 1.2, 10, 4 * 3600)
            n = poisson(r, rate * on / 3600.0)
            for _ in range(n):
                ts = int((t + r.random() * on) * 1000000)
                if r.random() < 0.3:
                    dns(w, r, ts - 5000, ip, eph(r, os_kind), dns_srv, Ldns, r.random() > 0.1)
                spam_smtp(w, r, ts, ip, os_kind, Lspam, Latt, fail)
            if clickfraud:
                for _ in range(poisson(r, rate * 0.2 * on / 3600.0)):
                    ts = int((t + r.random() * on) * 1000000)
                    tcp_ok(w, r, ts, ip, eph(r, os_kind), r.choice(w.ad_servers), 80,
                           "flow=From-Botnet-V%d-%s-TCP-Established-HTTP-Ad" % (w.cap, vtag), 10, 500, 0.3, 0.8)
            t += on + off
    elif kind == "lowslow":
        cc_beacon(w, r, ip, os_kind, c2, 443, lognorm(r, 900, 0.8, 120, 3600),
                  r.uniform(0.1, 0.5), a, b, Lcc, sleep_night=r.random() < 0.3)
        rate = lognorm(r, 4, 0.7, 0.7, 15)  # SMTP connections/hour, each to a new MX
        fail = r.uniform(0.05, 0.35)
        t = sa
        while t < b:
            t += r.expovariate(rate / 3600.0)
            if t >= b:
                break
            ts = int(t * 1000000)
            dns(w, r, ts - 30000, ip, eph(r, os_kind), resolver, "flow=From-Botnet-V%d-%s-UDP-DNS" % (w.cap, vtag))
            spam_smtp(w, r, ts, ip, os_kind, Lspam, Latt, fail, fresh=True)
    elif kind in ("relay", "stuffer"):
        cc_beacon(w, r, ip, os_kind, c2, 443, lognorm(r, 600, 0.8, 60, 3600),
                  r.uniform(0.1, 0.4), a, b, Lcc)
        Lr = "flow=From-Botnet-V%d-%s-TCP-Established-SMTP-AUTH" % (w.cap, vtag)
        Li = "flow=From-Botnet-V%d-%s-TCP-Attempt-IMAP-LOGIN" % (w.cap, vtag)
        t = sa + r.random() * 1800
        while t < b:
            blen = lognorm(r, 900, 0.8, 120, 3 * 3600)
            if kind == "relay":
                n = int(lognorm(r, 80, 0.9, 8, 1500))
                target = r.random()
                for _ in range(n):
                    ts = int((t + r.random() * blen) * 1000000)
                    if target < 0.55:
                        dst, port = w.smarthost, r.choice((587, 587, 465, 25))
                    elif target < 0.85:
                        dst, port = r.choice(w.webmail), r.choice((587, 465))
                    else:
                        dst, port = r.choice(w.webmail), 443
                    if r.random() < 0.08:
                        tcp_fail(w, r, ts, ip, eph(r, os_kind), dst, port, Lr)
                    else:
                        tcp_ok(w, r, ts, ip, eph(r, os_kind), dst, port, Lr, 30, 900, 0.85, 4.0)
            else:
                n = int(lognorm(r, 200, 0.9, 20, 3000))
                for _ in range(n):
                    ts = int((t + r.random() * blen) * 1000000)
                    dst = r.choice(w.imap_prov) if r.random() < 0.7 else w.rand_ext(r)
                    port = r.choice((993, 993, 143, 995, 110))
                    if r.random() < 0.25:
                        tcp_fail(w, r, ts, ip, eph(r, os_kind), dst, port, Li)
                    else:
                        tcp_ok(w, r, ts, ip, eph(r, os_kind), dst, port, Li, 12, 150, 0.45, 0.6)
                # validated credentials get used for a short submission burst
                for _ in range(int(lognorm(r, 10, 1.0, 0, 200))):
                    ts = int((t + blen + r.random() * 600) * 1000000)
                    tcp_ok(w, r, ts, ip, eph(r, os_kind), r.choice(w.webmail), 587, Lr, 30, 900, 0.85, 3.0)
            t += blen + lognorm(r, 3 * 3600, 0.8, 600, 12 * 3600)


def infection_window(w, r, mode):
    """mode: 'start' (infected before capture), 'mid' (starts mid-capture), 'cleaned'."""
    T0, T1 = w.T0, w.T1
    if mode == "start":
        a = T0
    else:
        a = T0 + int(r.uniform(0.05, 0.75) * (T1 - T0))
    if mode == "cleaned":
        b = min(T1, a + int(lognorm(r, 6 * 3600, 0.7, 3600, 30 * 3600)))
    elif mode == "start" and r.random() < 0.2:
        b = T0 + int(r.uniform(0.3, 0.9) * (T1 - T0))  # cleaned during capture
    else:
        b = T1
    return a, b


# ----------------------------------------------------------------------------- population


class Net:
    def __init__(self, w, prefixes):
        self.w = w
        self.prefixes = prefixes  # list of (o1,o2,o3_lo,o3_hi)
        self.used = set()
        self.r = w.rng("addr")

    def ip(self):
        r = self.r
        while True:
            o1, o2, lo, hi = r.choice(self.prefixes)
            ip = "%d.%d.%d.%d" % (o1, o2, r.randrange(lo, hi + 1), r.randrange(2, 255))
            if ip not in self.used:
                self.used.add(ip)
                return ip


def build(w):
    T0, T1 = w.T0, w.T1
    if w.pop == "campus_neris":
        subscribers = ["198.18.0.0/16"]
        infra = "198.19.250."
        net = Net(w, [(198, 18, 0, 255)])
        w.resolver = infra + "53"
        w.smarthost = infra + "25"
        n_norm, prof, nrate = w.n(1400), "campus", 45
        cfg = dict(heavy=w.n(12), lowslow=w.n(4), relay=w.n(2), stuffer=w.n(1),
                   ms_listed=w.n(3), ms_unlisted=w.n(2), nat=w.n(6), nat_inf=w.n(2),
                   modes=(0.75, 0.2, 0.05))
    else:
        subscribers = ["198.18.0.0/16", "198.19.0.0/17"]
        infra = "198.19.200."
        net = Net(w, [(198, 18, 0, 255)])
        w.resolver = infra + "53"
        w.smarthost = infra + "25"
        n_norm, prof, nrate = w.n(1450), "home", 12
        cfg = dict(heavy=w.n(6), lowslow=w.n(30), relay=w.n(12), stuffer=w.n(5),
                   ms_listed=w.n(30), ms_unlisted=w.n(12), nat=w.n(45), nat_inf=w.n(8),
                   modes=(0.35, 0.45, 0.2))
    biz = Net(w, [(198, 19, 0, 127)]) if w.pop == "isp_access" else net
    mail_cidrs = []

    def mode_of(r):
        x = r.random()
        m = cfg["modes"]
        return "start" if x < m[0] else ("mid" if x < m[0] + m[1] else "cleaned")

    # ordinary hosts
    for i in range(n_norm):
        r = w.rng("n%d" % i)
        ip = net.ip()
        oskind = r.choice(("win", "win", "win", "lin", "mac"))
        a = T0 if r.random() < 0.9 else T0 + int(r.random() * (T1 - T0) * 0.8)  # DHCP / laptops
        b = T1 if r.random() < 0.85 else a + int(r.random() * (T1 - a))
        mc = None
        if r.random() < 0.3:
            mc = (r.choice(w.imap_prov + [w.smarthost]), 993, r.choice((120, 300, 300, 600, 900)))
        normal_activity(w, r, ip, oskind, prof, lognorm(r, nrate, 1.0, 1, 1500), a, b, w.resolver,
                        labeled=(i < 6), mailclient=mc,
                        smarthost=w.smarthost if r.random() < 0.25 else None,
                        heartbeats=r.choice((0, 0, 0, 1, 1, 2)), p2p=r.random() < 0.04)
        w.hosts[ip] = ("normal", None, None)
    # bots
    vt = 0
    for kind, role in (("heavy", "bot_heavy"), ("lowslow", "bot_lowslow"),
                       ("relay", "bot_relay"), ("stuffer", "bot_relay")):
        for i in range(cfg[kind]):
            vt += 1
            r = w.rng("%s%d" % (kind, i))
            ip = net.ip()
            oskind = r.choice(("win", "win", "win", "lin"))
            a, b = infection_window(w, r, mode_of(r))
            if r.random() < 0.8:  # the owner keeps using the machine
                normal_activity(w, r, ip, oskind, prof, lognorm(r, nrate * 0.8, 1.0, 1, 800), T0, T1,
                                w.resolver, heartbeats=r.choice((0, 1)),
                                smarthost=w.smarthost if r.random() < 0.2 else None)
            bot_activity(w, r, ip, oskind, kind, a, b, w.resolver, str(vt))
            w.hosts[ip] = (role, a, b)
    # mail servers on business lines / campus
    for i in range(cfg["ms_listed"] + cfg["ms_unlisted"]):
        r = w.rng("ms%d" % i)
        ip = biz.ip()
        mail_server_activity(w, r, ip, lognorm(r, 120, 1.0, 5, 2500), T0, T1, w.resolver)
        if r.random() < 0.5:  # the box also does some web/admin traffic
            normal_activity(w, r, ip, "lin", "office", lognorm(r, 10, 0.8, 1, 100), T0, T1, w.resolver)
        w.hosts[ip] = ("mail_server", None, None)
        if i < cfg["ms_listed"]:
            mail_cidrs.append(ip + "/32")
    # NAT gateways (offices, labs, dorms); some with infected clients
    for i in range(cfg["nat"] + cfg["nat_inf"]):
        r = w.rng("nat%d" % i)
        ip = biz.ip()
        nclients = int(lognorm(r, 20, 0.8, 4, 300))
        office = w.pop == "isp_access" or r.random() < 0.5
        p = "office" if office else prof
        normal_activity(w, r, ip, "nat", p, lognorm(r, 12, 0.5, 3, 100) * nclients, T0, T1,
                        w.resolver, smarthost=w.smarthost,
                        heartbeats=min(12, nclients // 4), p2p=(not office and r.random() < 0.5),
                        users=max(1, int(nclients * 0.8)))
        for k in range(min(8, nclients // 5)):  # mail clients polling
            normal_activity(w, r, ip, "nat", p, 0, T0, T1, w.resolver,
                            mailclient=(r.choice(w.imap_prov), 993, r.choice((120, 300, 600))))
        if office and r.random() < 0.2:
            # an on-premises mail server behind the office NAT delivering directly
            mail_server_activity(w, r, ip, lognorm(r, 20, 0.8, 2, 200), T0, T1, w.resolver)
        if i >= cfg["nat"]:
            vt += 1
            kind = r.choice(("heavy", "lowslow", "lowslow", "relay"))
            a, b = infection_window(w, r, mode_of(r))
            bot_activity(w, r, ip, "nat", kind, a, b, w.resolver, str(vt))
            w.hosts[ip] = ("nat_infected", a, b)
        else:
            w.hosts[ip] = ("nat_gateway", None, None)
    return subscribers, mail_cidrs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="flows_", dir=a.out)
    try:
        w = World(a.seed, pop, a.scale, tmp)
        subs, mails = build(w)
        n = w.finish(os.path.join(a.out, "flows.binetflow"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(a.out, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        def key(ip):
            return tuple(int(x) for x in ip.split("."))
        for ip in sorted(w.hosts, key=key):
            if ip not in w.senders:
                continue  # e.g. a laptop that never came online during the capture
            role, fa, fb = w.hosts[ip]
            f.write("%s,%s,%s,%s\n" % (ip, role, "" if fa is None else fa, "" if fb is None else fb))
    meta = {"population": pop, "seed": a.seed, "start": w.T0, "end": w.T1,
            "subscribers": subs, "mail_servers": sorted(mails), "flows": n}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

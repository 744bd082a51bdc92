#!/usr/bin/env python3
"""flows_gen.py - blind bot-detection flow populations (bench/blind3).

    flows_gen.py --seed N --out DIR [--population NAME] [--scale F]

Writes DIR/flows.binetflow, DIR/hosts.csv, DIR/meta.json per FORMAT.md.
Populations: campus, isp_access, hosting (see README.md).
Python 3 standard library only; deterministic for a given seed, population and scale.
"""
import argparse
import bisect
import json
import math
import os
import random
import sys
import time as _time

HOUR = 3600
DAY = 86400
T0 = 1767268800  # 2026-01-01 12:00:00 UTC
POPULATIONS = ("campus", "isp_access", "hosting")
HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"
OUT, BIDIR = "   ->", "  <->"


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def diurnal(t, tz=1, kind="home"):
    h = ((t + tz * HOUR) % DAY) / HOUR
    if kind == "office":
        return 0.05 + 0.95 * math.exp(-((h - 13) / 3.5) ** 2)
    if kind == "campus":
        return 0.12 + 0.88 * math.exp(-((h - 15) / 5) ** 2)
    return 0.08 + 0.92 * math.exp(-((h - 20.5) / 3.2) ** 2) + 0.3 * math.exp(-((h - 8) / 1.5) ** 2)


class World:
    def __init__(self, name, seed, scale, hours):
        self.name, self.seed, self.scale = name, seed, scale
        self.rng = random.Random("flows/%s/%d/%r" % (name, seed, scale))
        self.start = T0
        self.end = T0 + int(hours * HOUR)
        self.flows = []  # (t, line-without-time)
        self.hosts = {}  # ip -> (role, from, until)
        self.used = set()
        r = self.rng
        # internet destinations
        self.web = [self.ext() for _ in range(400)]                      # popular CDN/web front ends
        self.web_w = [1.0 / (i + 1) ** 1.1 for i in range(len(self.web))]
        self.web_cum = []
        s = 0
        for w in self.web_w:
            s += w
            self.web_cum.append(s)
        self.stream = [self.ext() for _ in range(20)]
        self.webmail_sub = [self.ext() for _ in range(6)]              # webmail providers' 587/465/993
        self.mx_pool = [self.ext() for _ in range(30000)]               # other domains' MX hosts
        self.irc = [self.ext() for _ in range(3)]
        self.cc_http = [self.ext() for _ in range(4)]
        self.ntp = [self.ext() for _ in range(4)]

    def ext(self):
        r = self.rng
        while True:
            a = r.choice([8, 13, 17, 20, 23, 31, 34, 35, 40, 45, 52, 54, 64, 66, 69, 72, 74, 77, 85, 87, 91, 93,
                          95, 104, 108, 128, 130, 142, 151, 157, 162, 168, 173, 176, 178, 184, 188, 192,
                          193, 195, 198, 199, 203, 204, 205, 208, 209, 212, 213, 216, 217])
            ip = "%d.%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
            if ip not in self.used:
                self.used.add(ip)
                return ip

    def n(self, k, minimum=1):
        return max(minimum, int(round(k * self.scale)))

    def add_host(self, ip, role, frm=None, until=None):
        self.hosts[ip] = (role, frm, until)

    # ------------------------------------------------------------ flow primitive
    def f(self, t, dur, proto, src, sport, dst, dport, state, pkts, nbytes, sbytes, label, d=OUT):
        if t < self.start or t >= self.end:
            return
        self.flows.append((t, "%.6f,%s,%s,%s,%s,%s,%s,%s,0,0,%d,%d,%d,%s" % (
            dur, proto, src, sport, d, dst, dport, state, pkts, nbytes, sbytes, label)))

    def popular(self):
        r = self.rng
        if r.random() < 0.8:
            return self.web[bisect.bisect_left(self.web_cum, r.random() * self.web_cum[-1])]
        return self.mx_pool[r.randrange(len(self.mx_pool))]  # long tail (any public address)

    def tcp_ok(self, t, src, dst, dport, label, kb=20.0, dur=None):
        r = self.rng
        by = int(r.lognormvariate(math.log(kb * 1024), 1.0)) + 300
        pk = max(4, by // 900 + r.randint(3, 9))
        sb = max(200, int(by * r.uniform(0.03, 0.2)))
        dur = dur if dur is not None else r.lognormvariate(0, 1.3)
        st = r.choice(["FSPA_FSPA", "FSPA_FSPA", "SRPA_FSPA", "SPA_SRPA", "FSRPA_FSPA"])
        self.f(t, dur, "tcp", src, r.randint(1025, 65535), dst, dport, st, pk, by, sb, label, BIDIR)

    def dns(self, t, src, label, resolver):
        r = self.rng
        q = r.randint(60, 110)
        a = q + r.randint(16, 300)
        self.f(t, r.uniform(0.0003, 0.05), "udp", src, r.randint(1025, 65535), resolver, 53, "CON", 2, q + a, q,
               label, BIDIR)

    # ------------------------------------------------------------ legitimate behaviour
    def user(self, src, label, a, b, resolver, smarthost, imap, kind="home", intensity=1.0, p2p=False,
             tz=1, submit_per_day=None):
        """An ordinary user (or household) from a to b: browsing sessions, background apps, mail."""
        r = self.rng
        t = a
        # browsing sessions
        n_sess = poisson(r, 7 * intensity * (b - a) / DAY)
        for _ in range(n_sess):
            for _ in range(30):
                s0 = a + r.random() * (b - a)
                if r.random() < diurnal(s0, tz, kind):
                    break
            sl = r.lognormvariate(math.log(25 * 60), 0.8)
            t = s0
            while t < s0 + sl:
                t += r.expovariate(1 / 40.0)
                self.dns(t, src, label, resolver)
                for _ in range(r.choice([1, 1, 2, 3, 4, 6])):
                    tt = t + r.uniform(0.01, 1.5)
                    if r.random() < 0.25:
                        d = self.popular()
                        by = int(r.lognormvariate(math.log(30000), 1.2))
                        self.f(tt, r.lognormvariate(1, 1.2), "udp", src, r.randint(1025, 65535), d, 443, "CON",
                               max(4, by // 1100), by, int(by * 0.1), label, BIDIR)
                    else:
                        self.tcp_ok(tt, src, self.popular(), r.choice([443, 443, 443, 80]), label)
            if r.random() < 0.25:  # a video stream during the session
                d = r.choice(self.stream)
                by = int(r.uniform(50, 900) * 1e6)
                self.f(s0 + 5, sl, "tcp", src, r.randint(1025, 65535), d, 443, "FSPA_FSPA", by // 1200, by,
                       by // 40, label, BIDIR)
        # background apps: telemetry, push, sync (quasi-periodic), NTP
        for period, dst, port in ((r.uniform(240, 900), r.choice(self.web[:20]), 443),
                                  (r.uniform(1500, 3600), r.choice(self.web[:50]), 443),
                                  (r.uniform(3000, 4000), r.choice(self.ntp), 123)):
            t = a + r.uniform(0, period)
            while t < b:
                if port == 123:
                    self.f(t, 0.02, "udp", src, 123, dst, 123, "CON", 2, 180, 90, label, BIDIR)
                else:
                    self.tcp_ok(t, src, dst, port, label, kb=3)
                t += period * r.uniform(0.7, 1.3)
        # mail client: IMAP polling and submission
        if imap:
            per = r.choice([300, 600, 900, 1800])
            t = a + r.uniform(0, per)
            while t < b:
                if r.random() < 0.5 + 0.5 * diurnal(t, tz, kind):
                    self.tcp_ok(t, src, imap, 993, label, kb=6)
                t += per * r.uniform(0.9, 1.1)
        if submit_per_day is None:
            submit_per_day = 2.0 if imap else 0.0
        for t in sorted(a + r.random() * (b - a) for _ in range(poisson(r, submit_per_day * (b - a) / DAY))):
            self.tcp_ok(t, src, smarthost if r.random() < 0.7 else r.choice(self.webmail_sub),
                        r.choice([587, 587, 465]), label, kb=40)
        if p2p:  # BitTorrent-like: many peers, many failures, DHT over UDP
            n = poisson(r, 1200 * (b - a) / DAY)
            for _ in range(n):
                t = a + r.random() * (b - a)
                peer = self.mx_pool[r.randrange(len(self.mx_pool))]
                if r.random() < 0.6:
                    self.f(t, r.uniform(0, 0.4), "udp", src, 51413, peer, r.randint(1025, 65535),
                           r.choice(["CON", "INT", "INT"]), r.randint(1, 3), r.randint(100, 400), 150, label, BIDIR)
                else:
                    ok = r.random() < 0.35
                    if ok:
                        self.tcp_ok(t, src, peer, r.randint(1025, 65535), label, kb=400)
                    else:
                        self.f(t, r.uniform(0, 3), "tcp", src, r.randint(1025, 65535), peer, r.randint(1025, 65535),
                               r.choice(["S_", "S_RA", "S_R"]), r.randint(1, 3), r.randint(60, 180), 60, label, OUT)

    def mail_server(self, src, label, a, b, resolver, per_hour, kind="office", backup=False):
        """A legitimate MTA: outbound SMTP to many MXes following business hours, DNS MX lookups."""
        r = self.rng
        if backup:  # mostly idle; one queue flush after the primary's outage; periodic health probes
            t = a
            while t < b:
                self.tcp_ok(t, src, r.choice(self.web[:5]), 443, label, kb=2)
                t += 300
            flush = a + r.uniform(0.3, 0.7) * (b - a)
            for _ in range(int(per_hour * 3)):
                t = flush + r.expovariate(1 / 2.0) * 60
                self.dns(t - 0.2, src, label, resolver)
                self.tcp_ok(t, src, r.choice(self.mx_pool[:800]), 25, label, kb=25)
            return
        t = a
        rec = self.mx_pool[:3000]
        while t < b:
            rate = per_hour * (0.15 + diurnal(t, 1, kind)) / 3600.0
            t += r.expovariate(rate)
            d = rec[int(len(rec) * r.random() ** 2.5)]  # skewed toward big providers
            self.dns(t - 0.1, src, label, resolver)
            if r.random() < 0.03:  # greylisting / temporary failure: short refused session
                self.f(t, r.uniform(0.1, 2), "tcp", src, r.randint(1025, 65535), d, 25, "SRPA_SPA", 9, 1200, 600,
                       label, BIDIR)
            else:
                self.tcp_ok(t, src, d, 25, label, kb=30, dur=r.uniform(0.3, 4))
            if r.random() < 0.02:
                self.tcp_ok(t, src, r.choice(self.web[:30]), 443, label, kb=5)

    def monitor(self, src, label, a, b, targets, period=60):
        """Monitoring host: ICMP/HTTP/SNMP checks of many targets, strictly periodic."""
        r = self.rng
        off = [r.uniform(0, period) for _ in targets]
        t = a
        k = 0
        while t < b:
            for tg, o in zip(targets, off):
                tt = t + o
                kind = k % 3
                if kind == 0:
                    self.f(tt, 0.001, "icmp", src, "0x0008", tg, "0x%04x" % r.randint(1, 65535), "ECR", 2, 196, 98,
                           label, BIDIR)
                elif kind == 1:
                    self.f(tt, 0.01, "udp", src, r.randint(1025, 65535), tg, 161, "CON", 2, 300, 90, label, BIDIR)
                else:
                    self.f(tt, 0.05, "tcp", src, r.randint(1025, 65535), tg, 443, "FSPA_FSPA", 10, 2600, 700, label,
                           BIDIR)
            t += period
            k += 1

    def mail_merge(self, src, label, when, smarthost, n):
        """Legit user sending a mail merge: one submission session per message, within minutes."""
        r = self.rng
        t = when
        for _ in range(n):
            t += r.expovariate(1 / 3.0)
            self.tcp_ok(t, src, smarthost, 587, label, kb=25, dur=r.uniform(0.3, 1.5))

    # ------------------------------------------------------------ bot behaviour
    def bot(self, src, family, a, b, resolver, label, intensity=1.0):
        """Bot traffic from a to b, after published CTU-13 scenario descriptions and spam-bot studies."""
        r = self.rng
        L = label
        if family in ("neris", "virut", "rbot", "murlo"):  # C&C: IRC (neris/rbot/virut) or custom port
            port = {"neris": 6667, "rbot": 6667, "virut": 65520, "murlo": 8080}[family]
            cc = r.choice(self.irc)
            t = a
            while t < b:
                self.tcp_ok(t, src, cc, port, L + "-TCP-CC", kb=2, dur=r.uniform(100, 900))
                t += r.uniform(120, 900)
        if family in ("neris", "virut", "cutwail"):  # direct-to-MX spam
            rate = {"neris": 900, "virut": 300, "cutwail": 2500}[family] * intensity / 3600.0
            t = a
            while t < b:
                burst_end = t + r.uniform(600, 3600)
                while t < min(b, burst_end):
                    t += r.expovariate(rate)
                    mx = self.mx_pool[r.randrange(len(self.mx_pool))]
                    if r.random() < 0.3:
                        self.dns(t - 0.05, src, L + "-UDP-DNS", resolver)
                    x = r.random()
                    if x < 0.45:
                        self.tcp_ok(t, src, mx, 25, L + "-TCP-Established-SPAM", kb=4, dur=r.uniform(0.5, 6))
                    elif x < 0.75:
                        self.f(t, r.uniform(0.1, 3), "tcp", src, r.randint(1025, 65535), mx, 25, "SRPA_SPA",
                               r.randint(6, 12), r.randint(700, 1500), 500, L + "-TCP-Attempt-SPAM", BIDIR)
                    else:
                        self.f(t, r.uniform(0, 9), "tcp", src, r.randint(1025, 65535), mx, 25,
                               r.choice(["S_", "S_RA", "S_RA"]), r.randint(1, 3), r.randint(60, 180), 60,
                               L + "-TCP-Attempt-SPAM", OUT)
                t += r.uniform(60, 1800)  # pause between campaigns
        if family == "neris":  # click fraud: HTTP to many ad servers
            t = a
            while t < b:
                t += r.expovariate(1 / 8.0)
                self.tcp_ok(t, src, self.mx_pool[r.randrange(len(self.mx_pool))], 80, L + "-TCP-Established-HTTP-Ad",
                            kb=4)
        if family in ("rbot", "virut", "murlo", "menti"):  # scanning 445/139/135 episodes
            t = a + r.uniform(0, 1800)
            while t < b:
                port = r.choice([445, 445, 139, 135, 3389, 1433])
                n = int(r.uniform(300, 3000) * intensity)
                base = r.randint(1, 223)
                for i in range(n):
                    tt = t + i * r.uniform(0.01, 0.3)
                    dst = "%d.%d.%d.%d" % (base, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
                    self.f(tt, r.uniform(0, 3), "tcp", src, r.randint(1025, 65535), dst, port,
                           r.choice(["S_", "S_", "S_RA"]), r.randint(1, 2), r.randint(62, 124), 62,
                           L + "-TCP-Attempt", OUT)
                t += r.uniform(1800, 4 * HOUR)
        if family == "rbot" and r.random() < 0.5:  # ICMP / UDP flood episode (CTU-13 scenarios 10, 11)
            t = a + r.uniform(0.1, 0.6) * (b - a)
            tgt = self.ext()
            for i in range(int(4000 * intensity)):
                tt = t + i * 0.12
                if r.random() < 0.5:
                    self.f(tt, r.uniform(1, 5), "icmp", src, "0x0008", tgt, "0x%04x" % r.randint(1, 65535), "ECO",
                           r.randint(50, 300), 40000, 40000, L + "-ICMP-DDoS")
                else:
                    self.f(tt, r.uniform(1, 5), "udp", src, r.randint(1025, 65535), tgt, r.randint(1, 65535), "INT",
                           r.randint(50, 300), 60000, 60000, L + "-UDP-DDoS")
        if family == "menti":  # proprietary C&C every ~1 min (CTU-13 scenario 6)
            cc = r.choice(self.cc_http)
            t = a
            while t < b:
                self.f(t, r.uniform(0.1, 1), "tcp", src, r.randint(1025, 65535), cc, 443, "SRPA_SPA", 8, 900, 400,
                       L + "-TCP-CC", BIDIR)
                t += r.uniform(55, 65)
        if family == "sogou":  # HTTP C&C and downloads
            t = a
            while t < b:
                self.tcp_ok(t, src, r.choice(self.cc_http), 80, L + "-TCP-HTTP", kb=12)
                t += r.uniform(20, 200)
        if family == "nsis":  # P2P-like, UDP to many peers, synchronised bursts (CTU-13 scenario 12)
            t = a
            peers = [self.ext() for _ in range(200)]
            while t < b:
                for p in r.sample(peers, 40):
                    self.f(t + r.uniform(0, 5), r.uniform(0, 1), "udp", src, r.randint(1025, 65535), p,
                           r.randint(1025, 65535), "INT", 1, 120, 120, L + "-UDP-P2P")
                t += r.uniform(240, 360)

    def lowslow(self, src, a, b, resolver, label, per_hour):
        """Low-and-slow spam bot: few direct-to-MX SMTP sessions per hour, jittered HTTPS beacon."""
        r = self.rng
        cc = r.choice(self.cc_http)
        per = r.uniform(300, 1800)
        t = a
        while t < b:
            self.tcp_ok(t, src, cc, 443, label + "-TCP-CC-HTTPS", kb=3)
            t += per * r.uniform(0.6, 1.4)
        t = a + r.uniform(0, 600)
        while t < b:
            t += r.expovariate(per_hour / 3600.0)
            mx = self.mx_pool[r.randrange(len(self.mx_pool))]
            self.dns(t - 0.1, src, label + "-UDP-DNS", resolver)
            if r.random() < 0.7:
                self.tcp_ok(t, src, mx, 25, label + "-TCP-Established-SPAM", kb=5, dur=r.uniform(0.5, 5))
            else:
                self.f(t, r.uniform(0, 5), "tcp", src, r.randint(1025, 65535), mx, 25, r.choice(["S_RA", "SRPA_SPA"]),
                       3, 300, 150, label + "-TCP-Attempt-SPAM", BIDIR)

    def relay(self, src, a, b, smarthost, label, mode, per_hour):
        """Relay abuse with stolen credentials (submission to the ISP smarthost or webmail providers),
        or credential stuffing (many short authentication attempts on 587/465/993)."""
        r = self.rng
        t = a
        while t < b:
            t += r.expovariate(per_hour / 3600.0)
            if mode == "smarthost":
                self.tcp_ok(t, src, smarthost, r.choice([587, 465]), label + "-TCP-Established-SPAM-Relay", kb=30,
                            dur=r.uniform(1, 20))
            elif mode == "webmail":
                self.tcp_ok(t, src, r.choice(self.webmail_sub), r.choice([587, 465]),
                            label + "-TCP-Established-SPAM-Relay", kb=25, dur=r.uniform(1, 15))
            else:  # credential stuffing
                d = r.choice(self.webmail_sub + [smarthost])
                self.f(t, r.uniform(0.3, 3), "tcp", src, r.randint(1025, 65535), d, r.choice([587, 465, 993]),
                       "FSPA_FSPA", r.randint(10, 16), r.randint(2500, 5000), 1200, label + "-TCP-Auth-Attempt", BIDIR)

    # ------------------------------------------------------------ helpers
    def infection_window(self, mid_share=0.6, clean_share=0.3, min_left=4 * HOUR):
        r = self.rng
        span = self.end - self.start
        if r.random() < mid_share:
            a = self.start + r.uniform(0.05, 0.75) * span
        else:
            a = self.start + r.uniform(0, 300)
        a = min(a, self.end - min_left)
        b = None
        if r.random() < clean_share and self.end - a > 8 * HOUR:
            b = a + r.uniform(4 * HOUR, self.end - a - HOUR)
        return a, b

    def write(self, out, subscribers, mail_servers):
        os.makedirs(out, exist_ok=True)
        self.flows.sort()
        day_cache = {}
        with open(os.path.join(out, "flows.binetflow"), "w") as f:
            f.write(HEADER)
            buf = []
            for t, rest in self.flows:
                d = int(t // DAY)
                ds = day_cache.get(d)
                if ds is None:
                    ds = _time.strftime("%Y/%m/%d", _time.gmtime(d * DAY))
                    day_cache[d] = ds
                s = t - d * DAY
                hh = int(s // 3600)
                mm = int((s - hh * 3600) // 60)
                ss = s - hh * 3600 - mm * 60
                buf.append("%s %02d:%02d:%09.6f,%s\n" % (ds, hh, mm, ss, rest))
                if len(buf) >= 100000:
                    f.writelines(buf)
                    buf = []
            f.writelines(buf)
        with open(os.path.join(out, "hosts.csv"), "w") as f:
            f.write("host,role,infected_from,infected_until\n")
            for h in sorted(self.hosts, key=lambda x: tuple(int(p) for p in x.split("."))):
                role, a, b = self.hosts[h]
                f.write("%s,%s,%s,%s\n" % (h, role, "" if a is None else int(a), "" if b is None else int(b)))
        meta = {"population": self.name, "seed": self.seed, "start": self.start, "end": self.end,
                "subscribers": subscribers, "mail_servers": mail_servers, "flows": len(self.flows)}
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        return meta


class Alloc:
    def __init__(self, rng, prefix16, first3=0):
        self.rng, self.p, self.used = rng, prefix16, set()

    def get(self, third=None):
        while True:
            c = third if third is not None else self.rng.randint(2, 255)
            ip = "%s.%d.%d" % (self.p, c, self.rng.randint(2, 254))
            if ip not in self.used:
                self.used.add(ip)
                return ip


def build_campus(w):
    """University campus (CTU-13-like capture): 24 h, Neris/Rbot/Virut/Menti/Murlo/NSIS/Sogou bots."""
    r = w.rng
    al = Alloc(r, "172.20")
    resolver, smarthost, imap = "172.20.1.2", "172.20.1.10", "172.20.1.11"
    a, b = w.start, w.end
    # mail servers (in 172.20.1.0/26): MX/smarthost, list server, backup MX
    ms = [("172.20.1.10", 120, False), ("172.20.1.12", 40, False), ("172.20.1.20", 200, True)]
    for ip, ph, backup in ms:
        w.add_host(ip, "mail_server")
        w.mail_server(ip, "flow=From-Normal-Mail-Server", a, b, resolver, ph, "campus", backup)
    # ordinary users: staff/student machines
    for i in range(w.n(650, 20)):
        ip = al.get(r.randint(10, 250))
        w.add_host(ip, "normal")
        w.user(ip, "flow=From-Normal-V%d-User" % (i % 50), a, b, resolver, smarthost, imap if r.random() < 0.7 else None,
               "campus", intensity=r.lognormvariate(0, 0.6), p2p=r.random() < 0.05, tz=1)
    # hard negatives
    mon = al.get(3)
    w.add_host(mon, "normal")
    w.monitor(mon, "flow=From-Normal-Monitoring", a, b, [al.get(4) for _ in range(w.n(60, 10))] + ["172.20.1.10"], 60)
    for _ in range(w.n(3, 1)):  # mail-merge burst (staff newsletter sent from Outlook)
        ip = al.get(r.randint(10, 250))
        w.add_host(ip, "normal")
        w.user(ip, "flow=From-Normal-User-MailMerge", a, b, resolver, smarthost, imap, "campus")
        w.mail_merge(ip, "flow=From-Normal-User-MailMerge", a + r.uniform(2, 20) * HOUR, smarthost, r.randint(150, 500))
    for _ in range(w.n(3, 1)):  # department NATs (labs), many users
        ip = al.get(r.randint(10, 250))
        w.add_host(ip, "nat_gateway")
        for u in range(r.randint(20, 60)):
            w.user(ip, "flow=Background-NAT", a, b, resolver, smarthost, imap if r.random() < 0.5 else None, "campus",
                   intensity=r.uniform(0.3, 1.0), p2p=r.random() < 0.03)
    # bots
    fams = ["neris", "neris", "rbot", "virut", "menti", "murlo", "nsis", "sogou", "neris", "rbot"]
    for i in range(w.n(10, 4)):
        fam = fams[i % len(fams)]
        ip = al.get(r.randint(10, 250))
        fa, fu = w.infection_window(0.5, 0.3)
        w.add_host(ip, "bot_heavy", fa, fu)
        w.user(ip, "flow=From-Normal-V%d-Host" % i, a, b, resolver, smarthost, imap, "campus")
        w.bot(ip, fam, fa, fu or b, resolver, "flow=From-Botnet-V%d-%s" % (42 + i, fam), intensity=r.uniform(0.5, 1.5))
    for i in range(w.n(6, 2)):
        ip = al.get(r.randint(10, 250))
        fa, fu = w.infection_window(0.6, 0.2)
        w.add_host(ip, "bot_lowslow", fa, fu)
        w.user(ip, "flow=From-Normal-Host", a, b, resolver, smarthost, imap, "campus")
        w.lowslow(ip, fa, fu or b, resolver, "flow=From-Botnet-V60-LowSlow", r.uniform(3, 15))
    for i in range(w.n(2, 1)):  # compromised credentials abused from a hijacked lab server
        ip = al.get(r.randint(10, 250))
        fa, fu = w.infection_window(0.7, 0.4)
        w.add_host(ip, "bot_relay", fa, fu)
        w.user(ip, "flow=From-Normal-Host", a, b, resolver, smarthost, None, "campus", intensity=0.3)
        w.relay(ip, fa, fu or b, smarthost, "flow=From-Botnet-V70-Relay", r.choice(["webmail", "stuffing"]),
                r.uniform(60, 300))
    # dorm NAT with one infected client
    ip = al.get(r.randint(10, 250))
    fa, fu = w.infection_window(0.8, 0.3)
    w.add_host(ip, "nat_infected", fa, fu)
    for u in range(r.randint(8, 25)):
        w.user(ip, "flow=Background-NAT", a, b, resolver, smarthost, imap if r.random() < 0.4 else None, "campus",
               intensity=r.uniform(0.3, 1.0), p2p=r.random() < 0.1)
    w.bot(ip, r.choice(["neris", "virut", "rbot"]), fa, fu or b, resolver, "flow=From-Botnet-V80-NAT", intensity=0.5)
    background(w, "172.20", 4000)
    return ["172.20.0.0/16"], ["172.20.1.0/26"]


def background(w, prefix, n):
    """Internet scanners and inbound connections to subscriber addresses (SrcAddr external)."""
    r = w.rng
    hosts = list(w.hosts)
    for _ in range(int(n * w.scale * (w.end - w.start) / DAY)):
        t = w.start + r.random() * (w.end - w.start)
        s = w.mx_pool[r.randrange(len(w.mx_pool))]
        d = r.choice(hosts)
        w.f(t, r.uniform(0, 3), "tcp", s, r.randint(1025, 65535), d, r.choice([22, 23, 80, 443, 445, 3389, 8080]),
            r.choice(["S_", "S_RA"]), 1, 60, 60, "flow=Background-TCP-Attempt")


def build_isp(w):
    """Residential ISP access network with CGNAT: 36 h, low-and-slow bots, relay abusers, NATs."""
    r = w.rng
    pub = Alloc(r, "81.169")        # directly addressed households (home NAT routers) 81.169.0.0/16
    resolver, smarthost, imap = "81.170.0.53", "81.170.2.25", "81.170.2.143"
    a, b = w.start, w.end
    # ISP smarthost / business mail servers (mail_servers 81.170.2.0/24, 81.169.250.0/24)
    w.add_host(smarthost, "mail_server")
    w.mail_server(smarthost, "flow=From-Normal-Smarthost", a, b, resolver, 900, "home")
    for i in range(w.n(8, 2)):
        ip = "81.169.250.%d" % (10 + i)
        w.add_host(ip, "mail_server")
        w.mail_server(ip, "flow=From-Normal-Business-MTA", a, b, resolver, r.uniform(5, 80), "office",
                      backup=(i == 1))
    # households (home NAT, 1-5 devices): role normal
    for i in range(w.n(500, 20)):
        ip = pub.get(r.randint(0, 200))
        w.add_host(ip, "normal")
        dev = r.choice([1, 1, 2, 2, 3, 4])
        for d in range(dev):
            w.user(ip, "flow=From-Normal-Household", a, b, resolver, smarthost, imap if r.random() < 0.3 else None,
                   "home", intensity=r.lognormvariate(-0.3, 0.6) / dev * 1.5, p2p=r.random() < 0.04)
    # hard negatives: legacy client submitting on 25 to the smarthost, mail-merge burst, home monitoring
    for _ in range(w.n(4, 1)):
        ip = pub.get(r.randint(0, 200))
        w.add_host(ip, "normal")
        w.user(ip, "flow=From-Normal-Household", a, b, resolver, smarthost, imap, "home")
        for _ in range(poisson(r, 12 * (b - a) / DAY)):
            w.tcp_ok(a + r.random() * (b - a), ip, smarthost, 25, "flow=From-Normal-Legacy-Submission", kb=30)
    for _ in range(w.n(3, 1)):
        ip = pub.get(r.randint(0, 200))
        w.add_host(ip, "normal")
        w.user(ip, "flow=From-Normal-SOHO", a, b, resolver, smarthost, imap, "office")
        w.mail_merge(ip, "flow=From-Normal-MailMerge", a + r.uniform(1, 30) * HOUR, smarthost, r.randint(100, 600))
    ip = pub.get(r.randint(0, 200))
    w.add_host(ip, "normal")
    w.monitor(ip, "flow=From-Normal-HomeLab-Monitor", a, b, [w.ext() for _ in range(8)], 30)
    # CGNAT pool addresses (each aggregates many subscribers' devices)
    cg = Alloc(r, "81.171")
    for i in range(w.n(8, 2)):
        ip = cg.get(0)
        infected = i == 0 or (i == 1 and r.random() < 0.5)
        fa = fu = None
        if infected:
            fa, fu = w.infection_window(0.8, 0.3)
        w.add_host(ip, "nat_infected" if infected else "nat_gateway", fa, fu)
        for u in range(r.randint(40, 100)):
            w.user(ip, "flow=Background-CGNAT", a, b, resolver, smarthost, imap if r.random() < 0.2 else None,
                   "home", intensity=r.uniform(0.1, 0.5), p2p=r.random() < 0.02, submit_per_day=0.5)
        if infected:
            if r.random() < 0.5:
                w.lowslow(ip, fa, fu or b, resolver, "flow=From-Botnet-V90-CGNAT-LowSlow", r.uniform(6, 20))
            else:
                w.bot(ip, "cutwail", fa, fu or b, resolver, "flow=From-Botnet-V91-CGNAT-Cutwail", intensity=0.2)
    # small office NATs (many users), one infected
    for i in range(w.n(5, 2)):
        ip = pub.get(r.randint(201, 220))
        infected = i == 0
        fa = fu = None
        if infected:
            fa, fu = w.infection_window(0.7, 0.3)
        w.add_host(ip, "nat_infected" if infected else "nat_gateway", fa, fu)
        for u in range(r.randint(10, 40)):
            w.user(ip, "flow=Background-Office-NAT", a, b, resolver, smarthost, imap, "office",
                   intensity=r.uniform(0.3, 0.8), submit_per_day=6)
        if infected:
            w.bot(ip, r.choice(["virut", "neris"]), fa, fu or b, resolver, "flow=From-Botnet-V92-Office", intensity=0.4)
    # spam bots
    for i in range(w.n(8, 2)):
        ip = pub.get(r.randint(0, 200))
        fa, fu = w.infection_window(0.6, 0.3)
        w.add_host(ip, "bot_heavy", fa, fu)
        w.user(ip, "flow=From-Normal-Household", a, b, resolver, smarthost, None, "home")
        w.bot(ip, r.choice(["cutwail", "cutwail", "neris", "virut", "rbot"]), fa, fu or b, resolver,
              "flow=From-Botnet-V%d" % (100 + i), intensity=r.uniform(0.3, 1.2))
    for i in range(w.n(20, 4)):
        ip = pub.get(r.randint(0, 200))
        fa, fu = w.infection_window(0.6, 0.2)
        w.add_host(ip, "bot_lowslow", fa, fu)
        w.user(ip, "flow=From-Normal-Household", a, b, resolver, smarthost, imap if r.random() < 0.3 else None, "home")
        w.lowslow(ip, fa, fu or b, resolver, "flow=From-Botnet-V120-LowSlow", r.uniform(2, 12))
    for i in range(w.n(6, 2)):
        ip = pub.get(r.randint(0, 200))
        fa, fu = w.infection_window(0.7, 0.3)
        w.add_host(ip, "bot_relay", fa, fu)
        w.user(ip, "flow=From-Normal-Household", a, b, resolver, smarthost, imap, "home")
        w.relay(ip, fa, fu or b, smarthost, "flow=From-Botnet-V130-Relay",
                r.choice(["smarthost", "smarthost", "webmail", "stuffing"]), r.uniform(20, 200))
    background(w, "81.169", 6000)
    return ["81.169.0.0/16", "81.171.0.0/24"], [smarthost + "/32", "81.169.250.0/24"]


def build_hosting(w):
    """Small hosting provider / business park: VPS and shared web servers, customer MTAs,
    a compromised web server sending PHP mailer spam, stolen-credential relays."""
    r = w.rng
    al = Alloc(r, "185.31")
    resolver, smarthost = "185.31.0.53", "185.31.1.25"
    a, b = w.start, w.end
    w.add_host(smarthost, "mail_server")
    w.mail_server(smarthost, "flow=From-Normal-Smarthost", a, b, resolver, 600, "office")
    for i in range(w.n(25, 4)):
        ip = "185.31.1.%d" % (30 + i)
        w.add_host(ip, "mail_server")
        w.mail_server(ip, "flow=From-Normal-Customer-MTA", a, b, resolver, r.lognormvariate(math.log(40), 1.0),
                      "office", backup=(i % 9 == 4))
    servers = []
    for i in range(w.n(220, 15)):
        ip = al.get(r.randint(2, 120))
        servers.append(ip)
        w.add_host(ip, "normal")
        # a server: outbound updates, API calls, DNS, backups; transactional mail via smarthost
        w.user(ip, "flow=From-Normal-Server", a, b, resolver, smarthost, None, "office",
               intensity=r.uniform(0.1, 0.6), submit_per_day=r.choice([0, 5, 40, 200]))
        t = a + r.uniform(0, DAY)
        while t < b:  # nightly backup
            w.tcp_ok(t, ip, "185.31.0.99", 22, "flow=From-Normal-Backup", kb=200000, dur=r.uniform(300, 2400))
            t += DAY
    mon = al.get(2)
    w.add_host(mon, "normal")
    w.monitor(mon, "flow=From-Normal-Monitoring", a, b, servers[:w.n(120, 10)], 60)
    for i in range(w.n(6, 2)):  # compromised web servers: PHP mailer direct-to-MX spam
        ip = al.get(r.randint(2, 120))
        fa, fu = w.infection_window(0.7, 0.4)
        w.add_host(ip, "bot_heavy", fa, fu)
        w.user(ip, "flow=From-Normal-Server", a, b, resolver, smarthost, None, "office", intensity=0.3)
        w.bot(ip, "cutwail", fa, fu or b, resolver, "flow=From-Botnet-V200-PHPMailer", intensity=r.uniform(0.3, 1.5))
    for i in range(w.n(5, 2)):
        ip = al.get(r.randint(2, 120))
        fa, fu = w.infection_window(0.6, 0.3)
        w.add_host(ip, "bot_lowslow", fa, fu)
        w.user(ip, "flow=From-Normal-Server", a, b, resolver, smarthost, None, "office", intensity=0.3)
        w.lowslow(ip, fa, fu or b, resolver, "flow=From-Botnet-V210-LowSlow", r.uniform(3, 10))
    for i in range(w.n(5, 2)):
        ip = al.get(r.randint(2, 120))
        fa, fu = w.infection_window(0.7, 0.3)
        w.add_host(ip, "bot_relay", fa, fu)
        w.user(ip, "flow=From-Normal-Server", a, b, resolver, smarthost, None, "office", intensity=0.3)
        w.relay(ip, fa, fu or b, smarthost, "flow=From-Botnet-V220-Relay",
                r.choice(["smarthost", "webmail", "stuffing"]), r.uniform(40, 400))
    for i in range(w.n(3, 2)):  # office NATs in the business park; the first has an infected PC
        ip = al.get(r.randint(200, 210))
        infected = i == 0
        fa = fu = None
        if infected:
            fa, fu = w.infection_window(0.7, 0.3)
        w.add_host(ip, "nat_infected" if infected else "nat_gateway", fa, fu)
        for u in range(r.randint(15, 50)):
            w.user(ip, "flow=Background-Office-NAT", a, b, resolver, smarthost, "185.31.1.143", "office",
                   intensity=r.uniform(0.3, 0.8), submit_per_day=8)
        if infected:
            if r.random() < 0.5:
                w.lowslow(ip, fa, fu or b, resolver, "flow=From-Botnet-V230-Office-LowSlow", r.uniform(4, 12))
            else:
                w.bot(ip, r.choice(["neris", "virut"]), fa, fu or b, resolver, "flow=From-Botnet-V231-Office",
                      intensity=0.4)
    background(w, "185.31", 8000)
    return ["185.31.0.0/16"], [smarthost + "/32", "185.31.1.0/25"]


BUILD = {"campus": (build_campus, 24), "isp_access": (build_isp, 36), "hosting": (build_hosting, 30)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default=POPULATIONS[0], choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    if a.scale <= 0:
        ap.error("--scale must be > 0")
    fn, hours = BUILD[a.population]
    w = World(a.population, a.seed, a.scale, hours)
    subs, mails = fn(w)
    # every subscriber host that sends a flow must have a row: all our senders are registered hosts
    meta = w.write(a.out, subs, mails)
    print(json.dumps({k: meta[k] for k in ("population", "seed", "flows")}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

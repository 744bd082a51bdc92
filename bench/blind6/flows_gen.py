#!/usr/bin/env python3
"""Flow-population generator (blind round 6).

Writes flows.binetflow (CTU-13 / Argus bidirectional NetFlow CSV), hosts.csv and
meta.json (see FORMAT.md). Standard library only; output is a pure function of
--seed, --population and --scale (scale changes the number of hosts, not the
capture length).

Populations:
  campus      a CTU-13-like university capture (8 h, daytime): Neris-, Rbot- and
              Virut-like bots among students' and staff machines, campus resolvers,
              the campus MX/relay, a guest-wifi NAT, BitTorrent users.
  isp_access  a residential/SMB access network (36 h): low-and-slow spam bots with
              HTTP beaconing, relay abusers with stolen credentials (ISP smarthost,
              external submission, webmail), credential stuffing against
              submission/IMAP, NAT gateways with and without infected clients,
              infections that start (and some that are cleaned) mid-capture,
              the ISP's smarthost/MX and business customers' MTAs, heavy but
              legitimate mail users.
See README.md for the published descriptions each behaviour is based on.
"""
import argparse
import calendar
import csv
import ipaddress
import json
import math
import os
import random

HOUR = 3600
DAY = 86400


def pub_ip(r):
    """A random public unicast address outside private/shared/reserved space."""
    while True:
        a = r.randint(1, 223)
        if a in (10, 100, 127, 169, 172, 192, 198, 203, 0):
            continue
        return f"{a}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


class Net:
    def __init__(self, seed, population, scale, t0, hours):
        self.r = random.Random(f"flows:{population}:{seed}")
        self.scale = scale
        self.t0 = t0
        self.t1 = t0 + hours * HOUR
        self.flows = []
        self.hosts = {}  # ip -> [role, inf_from, inf_until]
        self.used = {}
        r = self.r
        # external destination pools
        self.web = [pub_ip(r) for _ in range(6000)]
        self.web_w = [1.0 / (i + 1) ** 0.9 for i in range(len(self.web))]
        self.web_cum = _cum(self.web_w)
        self.mx = [pub_ip(r) for _ in range(30000)]
        self.mx_cum = _cum([1.0 / (i + 1) ** 0.6 for i in range(len(self.mx))])
        self.big_mx = self.mx[:40]  # big mailbox providers' MX
        self.submission = [pub_ip(r) for _ in range(24)]  # big providers' smtp/imap endpoints
        self.imap_ext = self.submission[:16]
        self.webmail = [pub_ip(r) for _ in range(12)]
        self.ntp = [pub_ip(r) for _ in range(8)]
        self.cloud_keepalive = [pub_ip(r) for _ in range(30)]
        self.dns_roots = [pub_ip(r) for _ in range(400)]
        self.mail_targets = [pub_ip(r) for _ in range(5000)]  # hosts with exposed submission/IMAP
        self.day_cache = {}

    # ------------------------------------------------------------------ output
    def ts(self, t):
        s = int(t)
        us = int((t - s) * 1e6)
        d = s - s % DAY
        p = self.day_cache.get(d)
        if p is None:
            g = __import__("time").gmtime(d)
            p = f"{g.tm_year:04d}/{g.tm_mon:02d}/{g.tm_mday:02d} "
            self.day_cache[d] = p
        x = s - d
        return f"{p}{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}.{us:06d}"

    def add(self, t, dur, proto, src, sport, dst, dport, state, pkts, tbytes, sbytes, label,
            direction=None, dtos="0"):
        if t < self.t0 or t >= self.t1:
            return
        if direction is None:
            direction = "  <->" if proto != "icmp" and state not in ("S_", "INT") else "   ->"
        self.flows.append((t, f",{dur:.6f},{proto},{src},{sport},{direction},{dst},{dport},{state},0,{dtos},"
                              f"{pkts},{tbytes},{sbytes},{label}"))

    # ------------------------------------------------------------------ flow kinds
    def eport(self):
        return self.r.randint(49152, 65535) if self.r.random() < 0.7 else self.r.randint(1025, 49151)

    def tcp(self, t, src, dst, dport, kind, label, sport=None):
        r = self.r
        sp = sport or self.eport()
        if kind == "web":
            dur = r.lognormvariate(0.3, 1.5)
            pk = max(6, int(r.lognormvariate(3.0, 1.2)))
            by = int(pk * r.uniform(300, 1300))
            sb = int(min(by * 0.4, 200 + pk * r.uniform(60, 200)))
            self.add(t, dur, "tcp", src, sp, dst, dport, r.choice(["FSPA_FSPA", "FSPA_FSPA", "SPA_SPA", "FSRPA_FSPA"]), pk, by, sb, label)
        elif kind == "bulkdl":
            dur = r.lognormvariate(3.5, 1.2)
            pk = int(r.lognormvariate(7, 1.2)) + 50
            by = pk * r.randint(900, 1450)
            self.add(t, dur, "tcp", src, sp, dst, dport, "FSPA_FSPA", pk, by, int(pk * 0.4 * 66), label)
        elif kind == "smtp_ok":
            dur = r.uniform(0.8, 12)
            pk = r.randint(14, 60)
            by = int(pk * r.uniform(150, 700))
            self.add(t, dur, "tcp", src, sp, dst, dport, "FSPA_FSPA", pk, by, int(by * r.uniform(0.6, 0.85)), label)
        elif kind == "smtp_rej":
            dur = r.uniform(0.3, 6)
            pk = r.randint(7, 14)
            by = int(pk * r.uniform(90, 160))
            self.add(t, dur, "tcp", src, sp, dst, dport, r.choice(["FSPA_FSPA", "FSRPA_FSPA", "FRPA_FPA"]), pk, by, int(by * 0.45), label)
        elif kind == "submit_ok":  # TLS submission / IMAPS session
            dur = r.uniform(1, 25)
            pk = r.randint(18, 90)
            by = int(pk * r.uniform(300, 900))
            self.add(t, dur, "tcp", src, sp, dst, dport, "FSPA_FSPA", pk, by, int(by * r.uniform(0.5, 0.9)), label)
        elif kind == "auth_fail":
            dur = r.uniform(0.3, 4)
            pk = r.randint(10, 22)
            by = int(pk * r.uniform(180, 420))
            self.add(t, dur, "tcp", src, sp, dst, dport, r.choice(["FSPA_FSPA", "FSRPA_FSPA", "SRPA_FSPA"]), pk, by, int(by * 0.45), label)
        elif kind == "syn":
            self.add(t, r.choice([0.0, 0.0, 2.9, 8.9]) + r.random() * 0.01, "tcp", src, sp, dst, dport, "S_", r.choice([1, 1, 2, 3]), 62 * r.choice([1, 1, 2, 3]), 62, label)
        elif kind == "rst":
            self.add(t, r.random() * 0.3, "tcp", src, sp, dst, dport, "S_RA", 2, 122, 62, label)
        elif kind == "long":
            dur = r.uniform(300, 3600)
            pk = int(dur * r.uniform(0.05, 0.6)) + 6
            by = int(pk * r.uniform(70, 300))
            self.add(t, dur, "tcp", src, sp, dst, dport, r.choice(["SPA_SPA", "PA_PA", "FSPA_FSPA"]), pk, by, int(by * 0.5), label)
        elif kind == "beacon":
            dur = r.uniform(0.05, 1.5)
            pk = r.randint(7, 12)
            by = int(pk * r.uniform(90, 260))
            self.add(t, dur, "tcp", src, sp, dst, dport, "FSPA_FSPA", pk, by, int(by * r.uniform(0.35, 0.6)), label)
        else:
            raise ValueError(kind)

    def udp(self, t, src, dst, dport, label, ok=True, size=None, sport=None):
        r = self.r
        sp = sport or self.eport()
        if ok:
            q = size or r.randint(60, 90)
            self.add(t, r.uniform(0.0003, 0.08), "udp", src, sp, dst, dport, "CON", 2, q + r.randint(70, 400), q, label)
        else:
            q = size or r.randint(60, 90)
            self.add(t, 0.0, "udp", src, sp, dst, dport, "INT", 1, q, q, label, dtos="")

    def icmp(self, t, src, dst, label, n=1):
        r = self.r
        self.add(t, r.uniform(0, 2) if n > 1 else 0.0, "icmp", src, "0x0008", dst, "0x0000", "ECO", n, 98 * n, 98 * n, label, direction="   ->", dtos="")

    def web_dst(self):
        r = self.r
        x = r.random() * self.web_cum[-1]
        lo, hi = 0, len(self.web_cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.web_cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.web[lo]

    def mx_dst(self):
        r = self.r
        x = r.random() * self.mx_cum[-1]
        lo, hi = 0, len(self.mx_cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.mx_cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.mx[lo]

    def host(self, ip, role, inf_from=None, inf_until=None):
        self.hosts[ip] = [role, inf_from, inf_until]


def _cum(ws):
    out, s = [], 0.0
    for x in ws:
        s += x
        out.append(s)
    return out


def alloc_host(n, nets, used, r):
    """n fresh addresses in the given IPv4Network list."""
    out = []
    while len(out) < n:
        net = r.choice(nets)
        ip = str(net.network_address + r.randint(2, net.num_addresses - 2))
        if ip in used or ip.endswith(".0") or ip.endswith(".255"):
            continue
        used[ip] = 1
        out.append(ip)
    return out


# =============================================================================
# Behaviours
# =============================================================================

def activity_periods(n, t0, t1, kind):
    """On-periods of a machine: office/campus day, home evening, always-on."""
    r = n.r
    per = []
    day = t0 - t0 % DAY
    while day < t1:
        if kind == "always":
            per.append((day, day + DAY))
        elif kind == "office":
            s = day + (r.uniform(7, 10)) * HOUR
            per.append((s, s + r.uniform(4, 10) * HOUR))
        elif kind == "student":
            s = day + r.uniform(8, 14) * HOUR
            per.append((s, s + r.uniform(2, 10) * HOUR))
            if r.random() < 0.7:
                s2 = day + r.uniform(18, 21) * HOUR
                per.append((s2, s2 + r.uniform(1, 4) * HOUR))
        else:  # home
            if r.random() < 0.5:
                s = day + r.uniform(6.5, 8.5) * HOUR
                per.append((s, s + r.uniform(0.3, 1.5) * HOUR))
            s = day + r.uniform(16, 20) * HOUR
            per.append((s, s + r.uniform(1.5, 6) * HOUR))
        day += DAY
    return [(max(a, t0), min(b, t1)) for a, b in per if b > t0 and a < t1]


def normal_user(n, ip, resolver, label, kind="home", intensity=1.0, mail=None, p2p=False,
                periods=None, t_from=None, t_to=None):
    """Web browsing with DNS, NTP, cloud keep-alives, mail client polling,
    optional BitTorrent. mail = (imap_server, smtp_server, submit_per_hour)."""
    r = n.r
    t_from = t_from or n.t0
    t_to = t_to or n.t1
    periods = periods or activity_periods(n, t_from, t_to, "office" if kind == "always" else kind)
    rate = intensity * r.lognormvariate(math.log(25), 0.7)  # page loads per active hour
    for a, b in periods:
        t = a + r.expovariate(rate / HOUR)
        while t < b:
            dsts = [n.web_dst() for _ in range(r.randint(1, 5))]
            for d in dsts:
                if r.random() < 0.6:
                    n.udp(t, ip, resolver, 53, label)
            for _ in range(r.randint(1, 10)):
                tt = t + r.random() * 4
                n.tcp(tt, ip, r.choice(dsts), 443 if r.random() < 0.85 else 80,
                      "web" if r.random() < 0.97 else "bulkdl", label)
            t += r.expovariate(rate / HOUR)
        if p2p:
            # BitTorrent: many peers, many unanswered attempts, UDP DHT
            peers = [pub_ip(r) for _ in range(r.randint(40, 200))]
            t = a
            while t < b:
                pe = r.choice(peers)
                x = r.random()
                if x < 0.45:
                    n.udp(t, ip, pe, r.randint(1025, 65000), label, ok=r.random() < 0.6, size=r.randint(90, 350))
                elif x < 0.75:
                    n.tcp(t, ip, pe, r.randint(1025, 65000), r.choice(["syn", "rst"]), label)
                else:
                    n.tcp(t, ip, pe, r.randint(1025, 65000), "bulkdl", label)
                t += r.expovariate(intensity * 400 / HOUR)
    # machine background, always while powered (approximated by the periods plus idle gaps)
    if kind == "always" or not periods:
        span_a, span_b = t_from, t_to
    else:
        span_a, span_b = periods[0][0], periods[-1][1]
    t = span_a + r.random() * 1024
    ntp = r.choice(n.ntp)
    while t < span_b:
        n.udp(t, ip, ntp, 123, label, size=76, sport=123 if r.random() < 0.5 else None)
        t += r.choice([1024, 2048]) * r.uniform(0.98, 1.02)
    ka = r.choice(n.cloud_keepalive)
    per = r.choice([240, 300, 600, 900])
    t = span_a + r.random() * per
    while t < span_b:  # push-notification / sync keep-alives: legitimately periodic
        n.tcp(t, ip, ka, 443, "beacon", label)
        t += per * r.uniform(0.97, 1.03)
    if mail:
        imap, smtp, sub_rate = mail
        poll = r.choice([300, 600, 900])
        t = span_a + r.random() * poll
        while t < span_b:
            n.tcp(t, ip, imap, r.choice([993, 993, 143]), "submit_ok", label)
            t += poll * r.uniform(0.95, 1.05)
        for a, b in periods:
            t = a + r.expovariate(max(sub_rate, 0.01) / HOUR)
            while t < b:
                n.tcp(t, ip, smtp, r.choice([587, 587, 465]), "submit_ok", label)
                t += r.expovariate(max(sub_rate, 0.01) / HOUR)


def spam_bot(n, ip, label_base, t_from, t_to, rate_per_hour, resolver=None, cc=None, cc_port=80,
             cc_period=None, irc=None, burst=True, rej=0.35, att=0.2, dns_mx=True):
    """SMTP spam straight to recipients' MX (port 25), with MX lookups, HTTP C&C
    template fetches and/or a long-lived IRC control channel. Heavy bots work in
    campaign bursts with idle gaps; low-and-slow bots trickle."""
    r = n.r
    L = lambda k: f"flow=From-Botnet-{label_base}-{k}"
    t = t_from
    while t < t_to:
        if burst:
            on = r.uniform(10, 60) * 60
            off = r.uniform(2, 30) * 60
        else:
            on, off = t_to - t, 0
        end = min(t_to, t + on)
        x = t + r.expovariate(rate_per_hour / HOUR)
        while x < end:
            d = n.mx_dst() if r.random() < 0.8 else r.choice(n.big_mx)
            if dns_mx and resolver and r.random() < 0.5:
                n.udp(x - 0.05, ip, resolver, 53, L("UDP-DNS"))
            z = r.random()
            if z < att:
                n.tcp(x, ip, d, 25, r.choice(["syn", "syn", "rst"]), L("TCP-Attempt-SPAM"))
            elif z < att + rej:
                n.tcp(x, ip, d, 25, "smtp_rej", L("TCP-Established-SPAM"))
            else:
                n.tcp(x, ip, d, 25, "smtp_ok", L("TCP-Established-SPAM"))
            x += r.expovariate(rate_per_hour / HOUR)
        t = end + off
    if cc:
        period = cc_period or r.uniform(60, 600)
        t = t_from + r.random() * period
        while t < t_to:
            n.tcp(t, ip, r.choice(cc), cc_port, "beacon", L(f"TCP-CC{r.randint(1, 9)}-HTTP-Not-Encrypted"))
            t += period * r.uniform(0.8, 1.2)
    if irc:
        t = t_from
        while t < t_to:
            n.tcp(t, ip, irc[0], irc[1], "long", L("TCP-CC-IRC-Established"))
            t += r.uniform(300, 3600)


def beacon_only(n, ip, label_base, t_from, t_to, ccs, period, jitter, port=443):
    """A loader/banking trojan checking in with its C&C on a fixed period."""
    r = n.r
    t = t_from + r.random() * period
    while t < t_to:
        n.tcp(t, ip, r.choice(ccs), port, "beacon", f"flow=From-Botnet-{label_base}-TCP-CC-HTTPS-Beacon")
        t += period * r.uniform(1 - jitter, 1 + jitter)


def relay_abuse(n, ip, label_base, t_from, t_to, targets, mode, rate_per_hour):
    """Spam through authenticated submission with stolen credentials:
    mode 'smarthost' (the ISP's relay), 'submission' (big providers' 587/465)
    or 'webmail' (HTTPS to webmail front ends, many short sessions)."""
    r = n.r
    lab = f"flow=From-Botnet-{label_base}-TCP-Established-SPAM-" + {"smarthost": "Relay", "submission": "Submission", "webmail": "Webmail"}[mode]
    t = t_from
    while t < t_to:
        on = r.uniform(20, 180) * 60
        end = min(t_to, t + on)
        x = t
        while x < end:
            d = r.choice(targets)
            if mode == "webmail":
                n.tcp(x, ip, d, 443, "submit_ok", lab)
            else:
                n.tcp(x, ip, d, r.choice([587, 587, 465, 25]) if mode == "smarthost" else r.choice([587, 465]),
                      "submit_ok" if r.random() < 0.93 else "auth_fail", lab)
            x += r.expovariate(rate_per_hour / HOUR)
        t = end + r.uniform(10, 240) * 60


def cred_stuffing(n, ip, label_base, t_from, t_to, rate_per_hour):
    """Password guessing against many hosts' submission/IMAP/POP services."""
    r = n.r
    lab_f = f"flow=From-Botnet-{label_base}-TCP-Established-Bruteforce"
    lab_a = f"flow=From-Botnet-{label_base}-TCP-Attempt-Bruteforce"
    t = t_from
    tgt = None
    while t < t_to:
        if tgt is None or r.random() < 0.05:
            tgt = r.choice(n.mail_targets) if r.random() < 0.8 else r.choice(n.imap_ext)
            port = r.choice([587, 465, 993, 143, 110, 995, 25])
        if r.random() < 0.85:
            n.tcp(t, ip, tgt, port, "auth_fail", lab_f)
        else:
            n.tcp(t, ip, tgt, port, r.choice(["syn", "rst"]), lab_a)
        t += r.expovariate(rate_per_hour / HOUR)


def scanner(n, ip, label_base, t_from, t_to, rate_per_hour, ports):
    r = n.r
    t = t_from
    while t < t_to:
        n.tcp(t, ip, pub_ip(r), r.choice(ports), r.choice(["syn", "syn", "syn", "rst"]), f"flow=From-Botnet-{label_base}-TCP-Attempt")
        t += r.expovariate(rate_per_hour / HOUR)


def icmp_ddos(n, ip, label_base, t_from, t_to, target):
    r = n.r
    t = t_from
    while t < t_to:
        n.icmp(t, ip, target, f"flow=From-Botnet-{label_base}-ICMP-DDoS", n=r.randint(50, 400))
        t += r.uniform(0.2, 1.5)


def mail_server(n, ip, label, rate_per_hour, resolver, kind="relay"):
    """A legitimate MTA: outbound relay to many MX (diurnal), DNS, occasional
    deferrals/rejections; an MX also sends DSNs."""
    r = n.r
    t = n.t0 + r.random() * 5
    while t < n.t1:
        hod = ((t % DAY) / HOUR)
        f = 0.35 + math.exp(-((hod - 13) ** 2) / 20)
        d = n.mx_dst() if r.random() < 0.5 else r.choice(n.big_mx)
        if r.random() < 0.3:
            n.udp(t - 0.02, ip, resolver, 53, label)
        z = r.random()
        n.tcp(t, ip, d, 25, "smtp_ok" if z < 0.93 else ("smtp_rej" if z < 0.98 else "syn"), label)
        t += r.expovariate(rate_per_hour * f / HOUR)


def resolver_host(n, ip, label, qps):
    r = n.r
    t = n.t0
    while t < n.t1:
        d = r.choice(n.dns_roots) if r.random() < 0.7 else pub_ip(r)
        n.udp(t, ip, d, 53, label, ok=r.random() < 0.97, sport=r.randint(1025, 65535))
        t += r.expovariate(qps)


def inbound_background(n, targets, rate_per_hour):
    """Internet background towards the network: scanners, inbound web/mail."""
    r = n.r
    t = n.t0
    scanners = [pub_ip(r) for _ in range(300)]
    while t < n.t1:
        s = r.choice(scanners)
        d = r.choice(targets)
        if r.random() < 0.7:
            n.tcp(t, s, d, r.choice([22, 23, 445, 3389, 80, 8080, 5060, 1433]), r.choice(["syn", "rst"]), "flow=Background-TCP-Attempt")
        else:
            n.udp(t, s, d, r.choice([53, 123, 161, 1900, 5060]), "flow=Background-UDP-NotEstablished", ok=False)
        t += r.expovariate(rate_per_hour / HOUR)


# =============================================================================
# Populations
# =============================================================================

def pop_campus(seed, scale):
    t0 = calendar.timegm((2026, 3, 11, 8, 0, 0))
    n = Net(seed, "campus", scale, t0, 8)
    r = n.r
    sub = [ipaddress.ip_network("10.12.0.0/16")]
    mail_net = ipaddress.ip_network("10.12.1.0/28")
    used = {str(mail_net.network_address + i): 1 for i in range(16)}
    resolvers = ["10.12.0.10", "10.12.0.11"]
    for x in resolvers:
        used[x] = 1
    for x in resolvers:
        n.host(x, "normal")
        resolver_host(n, x, "flow=Background-UDP-Established", qps=r.uniform(2, 6) * max(scale, 0.05))
    mx, relay = "10.12.1.2", "10.12.1.3"
    n.host(mx, "mail_server")
    n.host(relay, "mail_server")
    mail_server(n, relay, "flow=Background-TCP-Established", 900 * max(scale, 0.05) ** 0.7, resolvers[0])
    mail_server(n, mx, "flow=Background-TCP-Established", 120 * max(scale, 0.05) ** 0.7, resolvers[1])
    # ordinary machines
    n_hosts = max(40, int(1100 * scale))
    ips = alloc_host(n_hosts, sub, used, r)
    for i, ip in enumerate(ips):
        kind = r.choice(["office", "student", "student", "always"])
        lab = "flow=From-Normal-V6-Grill" if i < 8 else "flow=Background-Established-cmpgw"
        normal_user(n, ip, r.choice(resolvers), lab, kind=kind, intensity=r.uniform(0.3, 1.6),
                    mail=(mx, relay, r.uniform(0.2, 4)) if r.random() < 0.7 else None,
                    p2p=r.random() < 0.04)
        n.host(ip, "normal")
    # guest wifi NAT: many clients behind one address
    nat = alloc_host(1, sub, used, r)[0]
    n.host(nat, "nat_gateway")
    for _ in range(max(5, int(60 * scale ** 0.5))):
        normal_user(n, nat, resolvers[0], "flow=Background-Established-cmpgw", kind="student",
                    intensity=r.uniform(0.3, 1.0),
                    mail=(r.choice(n.imap_ext), r.choice(n.submission), r.uniform(0.1, 2)) if r.random() < 0.5 else None)
    # bots: infected at or shortly after the start (CTU-13 style), a couple later
    n_neris = max(1, int(round(4 * scale ** 0.5)))
    n_rbot = max(1, int(round(3 * scale ** 0.5)))
    n_virut = max(1, int(round(2 * scale ** 0.5)))
    n_slow = max(1, int(round(2 * scale ** 0.5)))
    irc_srv = (pub_ip(r), r.choice([6667, 6668, 7000, 2323]))
    cc_http = [pub_ip(r) for _ in range(3)]
    bots = alloc_host(n_neris + n_rbot + n_virut + n_slow, sub, used, r)
    i = 0
    for k in range(n_neris):
        ip = bots[i]; i += 1
        s = t0 + r.uniform(0, 3) * HOUR
        e = n.t1 if r.random() < 0.8 else s + r.uniform(2, 4) * HOUR
        n.host(ip, "bot_heavy", s, min(e, n.t1))
        spam_bot(n, ip, "V42", s, min(e, n.t1), rate_per_hour=r.uniform(400, 2500), resolver=resolvers[0],
                 cc=cc_http, cc_port=80, irc=irc_srv)
        # click-fraud HTTP
        t = s
        while t < min(e, n.t1):
            n.tcp(t, ip, n.web_dst(), 80, "web", "flow=From-Botnet-V42-TCP-Established-HTTP-Ad")
            t += r.expovariate(120 / HOUR)
        normal_user(n, ip, resolvers[0], "flow=Background-Established-cmpgw", kind="office", intensity=0.5)
    for k in range(n_rbot):
        ip = bots[i]; i += 1
        s = t0 + r.uniform(0, 2) * HOUR
        n.host(ip, "bot_heavy", s, n.t1)
        irc = (pub_ip(r), 6667)
        t = s
        while t < n.t1:
            n.tcp(t, ip, irc[0], irc[1], "long", "flow=From-Botnet-V45-TCP-CC-IRC-Established")
            t += r.uniform(200, 2400)
        scanner(n, ip, "V45", s, n.t1, rate_per_hour=r.uniform(300, 1500), ports=[445, 139, 135, 1433, 3389])
        ds = s + r.uniform(1, 4) * HOUR
        icmp_ddos(n, ip, "V45", ds, min(n.t1, ds + r.uniform(5, 25) * 60), target=pub_ip(r))
    for k in range(n_virut):
        ip = bots[i]; i += 1
        s = t0 + r.uniform(0.5, 5) * HOUR
        n.host(ip, "bot_heavy", s, n.t1)
        spam_bot(n, ip, "V54", s, n.t1, rate_per_hour=r.uniform(150, 900), resolver=resolvers[1],
                 irc=(pub_ip(r), 65520), rej=0.5, att=0.3)
        scanner(n, ip, "V54", s, n.t1, rate_per_hour=r.uniform(50, 200), ports=[80, 8080])
        normal_user(n, ip, resolvers[1], "flow=Background-Established-cmpgw", kind="student", intensity=0.6)
    for k in range(n_slow):
        ip = bots[i]; i += 1
        s = t0 + r.uniform(0, 6) * HOUR
        n.host(ip, "bot_lowslow", s, n.t1)
        spam_bot(n, ip, "V61", s, n.t1, rate_per_hour=r.uniform(6, 40), resolver=resolvers[0],
                 cc=[pub_ip(r)], cc_port=r.choice([80, 443, 8080]), cc_period=r.choice([300, 600, 1200]), burst=False)
        normal_user(n, ip, resolvers[0], "flow=Background-Established-cmpgw", kind="office", intensity=1.0,
                    mail=(mx, relay, r.uniform(0.5, 3)))
    inbound_background(n, ips[:200] + [mx, relay], rate_per_hour=4000 * max(scale, 0.05))
    meta_sub = ["10.12.0.0/16"]
    meta_mail = ["10.12.1.0/28"]
    return n, meta_sub, meta_mail


def pop_isp(seed, scale):
    t0 = calendar.timegm((2026, 3, 13, 0, 0, 0))
    n = Net(seed, "isp_access", scale, t0, 36)
    r = n.r
    subs = [ipaddress.ip_network("100.72.0.0/16"), ipaddress.ip_network("100.73.0.0/17"),
            ipaddress.ip_network("198.51.96.0/20")]
    # note: addresses are synthetic; 100.72/16 and 100.73/17 stand for the ISP's public pools
    mail_nets = [ipaddress.ip_network("100.73.200.0/29")]
    used = {}
    for mn in mail_nets:
        for i in range(mn.num_addresses):
            used[str(mn.network_address + i)] = 1
    resolver = "100.73.250.53"  # in the ISP core, not a subscriber; receives queries only
    used[resolver] = 1
    smarthost, mx_in = "100.73.200.2", "100.73.200.3"
    imap_isp = "100.73.200.4"
    n.host(smarthost, "mail_server")
    n.host(mx_in, "mail_server")
    mail_server(n, smarthost, "flow=Background-TCP-Established", 1500 * max(scale, 0.05) ** 0.7, resolver)
    mail_server(n, mx_in, "flow=Background-TCP-Established", 150 * max(scale, 0.05) ** 0.7, resolver)
    # business customers' own MTAs (static addresses inside the subscriber pools)
    biz_mtas = alloc_host(max(2, int(6 * scale ** 0.5)), subs, used, r)
    for ip in biz_mtas:
        n.host(ip, "mail_server")
        mail_server(n, ip, "flow=Background-TCP-Established", r.uniform(10, 120), resolver)
    mail_meta = [str(m) for m in mail_nets] + [f"{ip}/32" for ip in biz_mtas]
    ext_mail = lambda: (r.choice(n.imap_ext), r.choice(n.submission), r.uniform(0.1, 3))
    isp_mail = lambda: (imap_isp, smarthost, r.uniform(0.1, 3))
    # ordinary subscribers
    n_hosts = max(50, int(1200 * scale))
    ips = alloc_host(n_hosts, subs, used, r)
    for i, ip in enumerate(ips):
        lab = "flow=From-Normal-V7-Home" if i < 10 else "flow=Background-Established"
        z = r.random()
        mail = isp_mail() if z < 0.3 else (ext_mail() if z < 0.6 else None)
        normal_user(n, ip, resolver, lab, kind=r.choice(["home", "home", "home", "always", "office"]),
                    intensity=r.uniform(0.2, 1.5), mail=mail, p2p=r.random() < 0.05)
        n.host(ip, "normal")
    # heavy legitimate mail users: small businesses/newsletters via the smarthost
    heavy = alloc_host(max(2, int(12 * scale ** 0.5)), subs, used, r)
    for ip in heavy:
        n.host(ip, "normal")
        normal_user(n, ip, resolver, "flow=Background-Established", kind="office", intensity=1.0,
                    mail=(imap_isp if r.random() < 0.5 else r.choice(n.imap_ext),
                          smarthost if r.random() < 0.6 else r.choice(n.submission), r.uniform(20, 150)))
    # a hobbyist running a small MTA at home (legitimately sends to port 25, few destinations)
    hob = alloc_host(1, subs, used, r)[0]
    n.host(hob, "normal")
    normal_user(n, hob, resolver, "flow=Background-Established", kind="always", intensity=0.5)
    t = t0
    while t < n.t1:
        n.tcp(t, hob, r.choice(n.big_mx[:10]), 25, "smtp_ok", "flow=Background-TCP-Established")
        t += r.expovariate(1.5 / HOUR)
    # NAT gateways (SMB / multi-dwelling): many clients behind one address
    nats = alloc_host(max(3, int(30 * scale ** 0.5)), subs, used, r)
    n_nat_inf = max(1, int(round(len(nats) * 0.25)))
    for j, ip in enumerate(nats):
        k = r.randint(5, 40)
        for _ in range(k):
            normal_user(n, ip, resolver, "flow=Background-Established", kind=r.choice(["office", "home"]),
                        intensity=r.uniform(0.2, 1.0), mail=ext_mail() if r.random() < 0.5 else (isp_mail() if r.random() < 0.3 else None))
        if j < n_nat_inf:
            s = t0 + r.uniform(0.5, 30) * HOUR
            e = n.t1 if r.random() < 0.75 else min(n.t1, s + r.uniform(3, 12) * HOUR)
            n.host(ip, "nat_infected", s, e)
            if r.random() < 0.6:
                spam_bot(n, ip, "V71", s, e, rate_per_hour=r.uniform(8, 120), resolver=resolver,
                         cc=[pub_ip(r)], cc_port=443, cc_period=r.choice([180, 600, 900]), burst=False)
            else:
                relay_abuse(n, ip, "V73", s, e, n.submission, "submission", rate_per_hour=r.uniform(30, 250))
        else:
            n.host(ip, "nat_gateway")
    # infected subscribers
    cc_pool = [pub_ip(r) for _ in range(6)]
    def new_bot(role, lo=0.0, hi=30.0, clean_p=0.2):
        ip = alloc_host(1, subs, used, r)[0]
        s = t0 + r.uniform(lo, hi) * HOUR
        e = n.t1 if r.random() > clean_p else min(n.t1, s + r.uniform(2, 14) * HOUR)
        n.host(ip, role, s, e)
        normal_user(n, ip, resolver, "flow=Background-Established", kind="home", intensity=r.uniform(0.3, 1.2),
                    mail=isp_mail() if r.random() < 0.4 else None)
        return ip, s, e
    for _ in range(max(2, int(round(18 * scale ** 0.5)))):  # low-and-slow spam bots
        ip, s, e = new_bot("bot_lowslow")
        spam_bot(n, ip, "V71", s, e, rate_per_hour=r.uniform(3, 60), resolver=resolver,
                 cc=[r.choice(cc_pool)], cc_port=r.choice([80, 443, 8080]),
                 cc_period=r.choice([120, 300, 600, 900, 1800]), burst=r.random() < 0.3,
                 rej=r.uniform(0.2, 0.5), att=r.uniform(0.05, 0.3))
    for _ in range(max(1, int(round(6 * scale ** 0.5)))):  # beacon-only infections
        ip, s, e = new_bot("bot_lowslow", clean_p=0.1)
        beacon_only(n, ip, "V77", s, e, [r.choice(cc_pool)], period=r.choice([60, 300, 600, 3600]),
                    jitter=r.choice([0.0, 0.05, 0.2, 0.5]))
    for _ in range(max(1, int(round(4 * scale ** 0.5)))):  # heavy spam bots
        ip, s, e = new_bot("bot_heavy")
        spam_bot(n, ip, "V72", s, e, rate_per_hour=r.uniform(300, 2000), resolver=resolver,
                 cc=[r.choice(cc_pool)], cc_port=80)
    for _ in range(max(1, int(round(3 * scale ** 0.5)))):  # credential stuffing
        ip, s, e = new_bot("bot_heavy" if r.random() < 0.5 else "bot_lowslow")
        role = n.hosts[ip][0]
        cred_stuffing(n, ip, "V75", s, e, rate_per_hour=r.uniform(400, 3000) if role == "bot_heavy" else r.uniform(10, 60))
    for mode, k in (("smarthost", 4), ("submission", 4), ("webmail", 2)):  # stolen credentials
        for _ in range(max(1, int(round(k * scale ** 0.5)))):
            ip, s, e = new_bot("bot_relay")
            tg = [smarthost] if mode == "smarthost" else (n.submission if mode == "submission" else n.webmail)
            relay_abuse(n, ip, "V73", s, e, tg, mode, rate_per_hour=r.uniform(40, 600))
    inbound_background(n, ips[:300] + biz_mtas + nats, rate_per_hour=6000 * max(scale, 0.05))
    return n, [str(s) for s in subs], mail_meta


POPULATIONS = {"campus": pop_campus, "isp_access": pop_isp}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="campus", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    if a.scale <= 0:
        ap.error("--scale must be positive")
    n, subs, mails = POPULATIONS[a.population](a.seed, a.scale)
    n.flows.sort()
    os.makedirs(a.out, exist_ok=True)
    ts = n.ts
    with open(os.path.join(a.out, "flows.binetflow"), "w") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n")
        buf = []
        for t, rest in n.flows:
            buf.append(ts(t) + rest + "\n")
            if len(buf) >= 100000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    # every subscriber host that sends a flow has a row
    nets = [ipaddress.ip_network(s) for s in subs]
    senders = {}
    for _, rest in n.flows:
        src = rest.split(",", 4)[3]
        senders[src] = 1
    rows = []
    for ip, (role, a_from, a_until) in n.hosts.items():
        if ip in senders:
            rows.append((ip, role, "" if a_from is None else str(int(a_from)), "" if a_until is None else str(int(a_until))))
    known = {x[0]: 1 for x in rows}
    for ip in sorted(senders):
        if ip not in known and any(ipaddress.ip_address(ip) in nt for nt in nets):
            rows.append((ip, "normal", "", ""))
    rows.sort(key=lambda x: tuple(int(o) for o in x[0].split(".")))
    with open(os.path.join(a.out, "hosts.csv"), "w", newline="") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["host", "role", "infected_from", "infected_until"])
        cw.writerows(rows)
    meta = {"population": a.population, "seed": a.seed, "start": n.t0, "end": n.t1,
            "subscribers": subs, "mail_servers": mails, "flows": len(n.flows)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

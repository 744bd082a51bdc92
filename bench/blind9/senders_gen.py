#!/usr/bin/env python3
"""Synthetic sender-reputation worlds (round 9, blind author).

Writes events.jsonl, truth.csv and meta.json (see FORMAT.md).  Standard library
only; the output depends only on --seed, --population and --scale.

Populations
  isp_inbound       inbound MX of an access ISP: several botnet spam waves from
                    residential address space (forged senders, generic HELOs,
                    address literals, no FCrDNS, many unknown-user bounces),
                    a couple of snowshoe operators, few ESPs, compromised small
                    organisations and web hosts, many low-volume senders.
  mailbox_provider  inbound side of a large mailbox provider: many ESP shared
                    pools (with one list-buying customer and one taken-over
                    customer account), self-hosted newsletters, transactional
                    senders, several snowshoe operators with valid SPF/DKIM,
                    compromised organisations and webmail accounts of other
                    providers, a residual botnet, and many small legitimate
                    senders; users press "report spam" / "not spam" much more.
See README.md for the literature each behaviour is taken from.
"""
import argparse
import json
import math
import os
import random

DAY = 86400
HOUR = 3600

# ---------------------------------------------------------------- helpers

SYL = ["ka", "lo", "mi", "ra", "ten", "vo", "sun", "bel", "cor", "dan", "fi",
       "gra", "hol", "jun", "lex", "mar", "nor", "pel", "quin", "ros", "sal",
       "tor", "ul", "ver", "win", "zen", "bri", "cap", "del", "est", "fox",
       "gal", "har", "iso", "kin", "lum", "mod", "nex", "opt", "pri"]
WORDS = ["deal", "save", "offer", "promo", "best", "smart", "daily", "news",
         "club", "shop", "health", "trend", "prime", "value", "mega", "lux",
         "quick", "fresh", "top", "info", "life", "market", "pro", "go"]
TLD_LEGIT = ["com", "com", "com", "net", "org", "de", "fr", "co.uk", "nl", "it",
             "es", "io", "com.br", "pl", "se"]
TLD_CHEAP = ["top", "xyz", "online", "site", "club", "info", "icu", "shop",
             "biz", "live", "work", "com", "net", "us"]


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    l, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= l:
            return k
        k += 1


def diurnal_weight(t, tz=0):
    h = ((t + tz * HOUR) % DAY) / HOUR
    # low at 03:00 local, high late morning / early evening
    return 0.35 + 0.65 * (0.5 - 0.5 * math.cos((h - 3.0) / 24.0 * 2 * math.pi)) ** 1.5


def weekday_factor(t):
    wd = int(t // DAY + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    return 0.55 if wd >= 5 else 1.0


def diurnal_times(rng, day_start, n, tz=0):
    out = []
    while len(out) < n:
        t = day_start + rng.random() * DAY
        if rng.random() < diurnal_weight(t, tz):
            out.append(t)
    return out


class Namer:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def legit_domain(self):
        while True:
            n = "".join(self.rng.choice(SYL) for _ in range(self.rng.randint(2, 3)))
            d = n + "." + self.rng.choice(TLD_LEGIT)
            if d not in self.used:
                self.used.add(d)
                return d

    def spam_domain(self):
        while True:
            n = self.rng.choice(WORDS) + self.rng.choice(WORDS)
            if self.rng.random() < 0.5:
                n += str(self.rng.randint(1, 999))
            elif self.rng.random() < 0.4:
                n = n + "-" + self.rng.choice(WORDS)
            d = n + "." + self.rng.choice(TLD_CHEAP)
            if d not in self.used:
                self.used.add(d)
                return d


class IPs:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def in_prefix(self, a, b, c=None):
        while True:
            cc = c if c is not None else self.rng.randint(0, 255)
            ip = "%d.%d.%d.%d" % (a, b, cc, self.rng.randint(2, 253))
            if ip not in self.used:
                self.used.add(ip)
                return ip

    def block(self, a, b, c, n):
        """n consecutive-ish addresses in one /24 (snowshoe / ESP pools)."""
        start = self.rng.randint(2, max(2, 250 - n))
        out = []
        for i in range(n):
            ip = "%d.%d.%d.%d" % (a, b, c, start + i)
            self.used.add(ip)
            out.append(ip)
        return out


RESIDENTIAL = [(41, 96), (41, 222), (77, 49), (78, 186), (79, 112), (82, 64),
               (88, 230), (89, 41), (94, 25), (95, 67), (103, 84), (109, 175),
               (113, 161), (117, 201), (122, 176), (125, 24), (151, 44),
               (176, 104), (177, 37), (178, 150), (181, 49), (186, 211),
               (187, 33), (189, 6), (190, 138), (197, 51), (200, 91),
               (201, 17), (212, 156), (223, 205), (36, 71), (49, 207),
               (14, 161), (27, 72), (31, 147), (37, 120), (46, 161), (59, 93)]
HOSTING = [(104, 168), (107, 175), (138, 197), (142, 93), (144, 76), (149, 56),
           (159, 203), (162, 243), (167, 99), (172, 93), (185, 117), (185, 204),
           (192, 3), (193, 142), (194, 58), (195, 201), (198, 12), (199, 59),
           (204, 44), (209, 141), (45, 33), (45, 76), (5, 39), (23, 94)]
ESP_NETS = [(167, 89), (198, 2), (168, 245), (159, 183), (54, 240), (23, 253),
            (13, 111), (69, 72), (208, 75), (149, 72), (50, 31), (192, 28)]
ORG_NETS = [(62, 154), (80, 12), (81, 169), (84, 200), (91, 198), (130, 59),
            (131, 188), (134, 76), (141, 20), (193, 17), (194, 94), (213, 33),
            (217, 6), (212, 95), (93, 184), (64, 233)]

BRANDS = ["paypal.com", "amazon.com", "apple.com", "microsoft.com", "dhl.com",
          "fedex.com", "netflix.com", "chase.com", "wellsfargo.com", "ups.com",
          "docusign.net", "linkedin.com", "facebookmail.com", "ebay.com",
          "bankofamerica.com", "adobe.com"]
FREEMAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com",
            "mail.ru", "gmx.de", "web.de", "yandex.ru", "orange.fr"]
GENERIC_HELO = ["localhost", "user-PC", "WIN-{r}", "DESKTOP-{r}", "admin",
                "{ip}", "[{ip}]", "[{ip}]", "mail", "smtp", "{w}{n}.com",
                "ADSL-{ipd}", "host", "{rdns}", "{rdns}", "ylmf-pc", "pc"]


def rdns_of(ip, isp):
    return "%s.dyn.%s" % (ip.replace(".", "-"), isp)


# ---------------------------------------------------------------- world

class World:
    def __init__(self, seed, population, scale, start, days):
        self.seed = seed
        self.population = population
        self.scale = scale
        self.start = start
        self.end = start + days * DAY
        self.days = days
        self.rng = random.Random("%s/%s/world" % (seed, population))
        self.names = Namer(self.rng)
        self.ips = IPs(self.rng)
        self.actors = []
        self.truth = {}  # identity -> (class, bad_from)

    def n(self, base, lo=1):
        return max(lo, int(round(base * self.scale)))

    def actor_rng(self):
        return random.Random("%s/%s/actor%d" % (self.seed, self.population, len(self.actors)))

    def add_truth(self, ident, cls, bad_from=None):
        old = self.truth.get(ident)
        if old is not None:
            # keep the worst class; keep the earliest bad_from
            rank = {"unknown": 0, "transactional": 1, "bulk": 1, "compromised": 2, "spammer": 3}
            if rank[cls] < rank[old[0]]:
                return
            if rank[cls] == rank[old[0]] and old[1] is not None and (bad_from is None or bad_from >= old[1]):
                return
        self.truth[ident] = (cls, bad_from)


def ev_msg(t, ip, helo, mail_from, frm, dkim_domains, spf, dkim, dmarc, fcrdns,
           rcpts, one_click=None, feedback_id=None, list_id=None, verdict=None):
    e = {"time": int(t), "type": "message", "ip": ip, "helo": helo,
         "mail_from": mail_from, "from": frm, "dkim_domains": dkim_domains,
         "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcrdns,
         "recipients": rcpts}
    if one_click is not None:
        e["list_unsubscribe_one_click"] = one_click
    if feedback_id:
        e["feedback_id"] = feedback_id
    if list_id:
        e["list_id"] = list_id
    if verdict:
        e["verdict"] = verdict
    return e


def ev_fb(t, typ, base, extra=None):
    e = {"time": int(t), "type": typ, "ip": base["ip"], "from": base["from"],
         "mail_from": base["mail_from"], "dkim_domains": base["dkim_domains"]}
    if typ == "trap":
        for k in ("helo", "spf", "dkim", "dmarc", "fcrdns"):
            e[k] = base[k]
    if "feedback_id" in base:
        e["feedback_id"] = base["feedback_id"]
    if "list_id" in base:
        e["list_id"] = base["list_id"]
    if extra:
        e.update(extra)
    return e


class Feedback:
    """How the receiving population reacts: complaint / not-spam / unsubscribe
    propensities, content filter accuracy."""

    def __init__(self, complaint_mult, notspam_mult, verdict_share, filter_tpr, filter_fpr):
        self.cm = complaint_mult
        self.nm = notspam_mult
        self.vs = verdict_share
        self.tpr = filter_tpr
        self.fpr = filter_fpr


def emit_reactions(rng, out, e, fb, p_complaint, p_bounce, p_trap, p_unsub=0.0,
                   p_notspam=0.0, is_spam=False):
    """Per-message reactions; appends events (possibly later in time)."""
    r = e["recipients"]
    t = e["time"]
    nb = poisson(rng, r * p_bounce) if p_bounce > 0 else 0
    for _ in range(min(nb, r)):
        out.append(ev_fb(t + rng.randint(0, 5), "bounce", e))
    if p_trap > 0 and rng.random() < min(1.0, r * p_trap):
        out.append(ev_fb(t + rng.randint(0, 3), "trap", e))
    pc = p_complaint * fb.cm
    if pc > 0:
        nc = poisson(rng, r * pc)
        for _ in range(nc):
            out.append(ev_fb(t + int(rng.expovariate(1 / 7200.0)) + 30, "complaint", e))
    if p_unsub > 0:
        for _ in range(poisson(rng, r * p_unsub)):
            out.append(ev_fb(t + int(rng.expovariate(1 / 14400.0)) + 60, "unsubscribe", e))
    if p_notspam > 0:
        for _ in range(poisson(rng, r * p_notspam * fb.nm)):
            out.append(ev_fb(t + int(rng.expovariate(1 / 20000.0)) + 60, "notspam", e))


def verdict_for(rng, fb, is_spam, spamminess=1.0):
    if rng.random() >= fb.vs:
        return None
    if is_spam:
        return "spam" if rng.random() < fb.tpr * spamminess else "ham"
    return "spam" if rng.random() < fb.fpr else "ham"


# ---------------------------------------------------------------- actors
# Each actor has .day(rng?, day_start, out) appending event dicts for that day.

class BotWave:
    """A botnet spam wave (Botlab / Ramachandran-Feamster style): many
    residential IPs, each active briefly, forged senders."""

    def __init__(self, w, fb, t0, dur, nbots, rate_per_bot, family):
        self.rng = w.actor_rng()
        w.actors.append(self)
        self.fb = fb
        self.t0, self.t1 = t0, t0 + dur
        self.family = family
        rng = self.rng
        self.isp = [rng.choice(["telecom.example.net", "dsl.vnpt.vn", "cable.rcn.net",
                                "adsl.tpnet.pl", "res.telesp.net.br", "dynamic.163data.com.cn",
                                "pool.ttnet.com.tr", "cust.vodafone.it", "dip.t-dialin.net",
                                "broadband.ru", "static.airtel.in", "dyn.claro.com.co"])
                    for _ in range(6)]
        self.campaign_domains = [w.names.spam_domain() for _ in range(rng.randint(3, 12))]
        self.bots = []
        for i in range(nbots):
            a, b = rng.choice(RESIDENTIAL)
            ip = w.ips.in_prefix(a, b)
            # bots join the wave progressively (infection / activation order)
            s = t0 + rng.betavariate(1.3, 3.0) * dur
            life = min(self.t1 - s, rng.expovariate(1 / (rng.choice([3, 8, 20]) * HOUR)) + 600)
            helo_style = rng.choice(GENERIC_HELO)
            isp = rng.choice(self.isp)
            helo = helo_style.format(ip=ip, r="".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7)),
                                     w=rng.choice(WORDS), n=rng.randint(1, 99),
                                     ipd=ip.replace(".", "-"), rdns=rdns_of(ip, isp))
            fcrdns = rng.random() < 0.06
            rate = rate_per_bot * rng.lognormvariate(0, 0.8)
            self.bots.append([ip, s, s + life, helo, fcrdns, rate])
        # campaign domains used in From: those are spammer domains
        self.dom_first = {}
        self.w = w

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        de = ds + DAY
        if de < self.t0 or ds > self.t1:
            return
        for ip, s, e, helo, fcrdns, rate in self.bots:
            a, b = max(s, ds), min(e, de)
            if b <= a:
                continue
            n = poisson(rng, rate * (b - a) / HOUR)
            for _ in range(n):
                t = a + rng.random() * (b - a)
                style = rng.random()
                if style < 0.45:      # forged brand (phishing)
                    d = rng.choice(BRANDS)
                    frm = rng.choice(["service", "security", "no-reply", "account", "billing"]) + "@" + d
                    mf = frm if rng.random() < 0.5 else "%s@%s" % (rng.choice(WORDS), rng.choice(FREEMAIL))
                    spf = rng.choice(["fail", "softfail", "softfail", "neutral", "none"])
                    dk, dm, dkd = "none", "fail", []
                elif style < 0.75:    # campaign domain (pharma/replica/dating)
                    d = rng.choice(self.campaign_domains)
                    frm = "%s%d@%s" % (rng.choice(WORDS), rng.randint(1, 9999), d)
                    mf = frm
                    spf, dk, dm, dkd = "none", "none", "none", []
                    if d not in self.dom_first:
                        self.dom_first[d] = t
                        self.w.add_truth("domain:" + d, "spammer", int(t))
                else:                 # random freemail / random legit-looking forged
                    d = rng.choice(FREEMAIL)
                    frm = "%s.%s%d@%s" % (rng.choice(SYL), rng.choice(SYL), rng.randint(1, 99), d)
                    mf = frm if rng.random() < 0.7 else ""
                    spf = "softfail" if d in ("gmail.com", "outlook.com", "hotmail.com") else rng.choice(["fail", "softfail", "neutral"])
                    dk, dm, dkd = "none", "fail" if d in ("gmail.com", "yahoo.com", "aol.com", "outlook.com", "hotmail.com") else "none", []
                r = 1 if rng.random() < 0.55 else rng.randint(2, 12)
                v = verdict_for(rng, fb, True)
                e_ = ev_msg(t, ip, helo, mf, frm, dkd, spf, dk, dm, fcrdns, r, verdict=v)
                out.append(e_)
                self.w.add_truth("ip:" + ip, "spammer", int(t))
                # dictionary attacks: many unknown users; traps; some complaints
                emit_reactions(rng, out, e_, fb, p_complaint=0.004, p_bounce=0.12,
                               p_trap=0.01, is_spam=True)


class Snowshoe:
    """A snowshoe operator (Spamhaus CSS definition): many IPs in a few
    hosting /24s, many throwaway domains with valid SPF/DKIM/DMARC and
    FCrDNS, low volume per IP, domains and IPs rotated."""

    def __init__(self, w, fb, t0, t1, nips, ndom, daily, quality):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb, self.t0, self.t1, self.w = fb, t0, t1, w
        nets = rng.randint(1, max(1, nips // 20))
        self.ips = []
        per = max(1, nips // nets)
        for _ in range(nets):
            a, b = rng.choice(HOSTING)
            self.ips += w.ips.block(a, b, rng.randint(0, 255), min(per, 240))
        self.ipno = {ip: i for i, ip in enumerate(self.ips)}
        self.doms = [w.names.spam_domain() for _ in range(ndom)]
        # domain lifetime: each domain used for a window, several live at once
        span = t1 - t0
        self.dwin = []
        for d in self.doms:
            s = t0 + rng.random() * span * 0.85
            self.dwin.append((d, s, min(t1, s + rng.uniform(1.5, 6) * DAY)))
        self.ipwin = []
        for ip in self.ips:
            s = t0 + rng.random() * span * 0.7
            self.ipwin.append((ip, s, min(t1, s + rng.uniform(2, 10) * DAY)))
        self.daily = daily
        self.quality = quality  # 0 = crude, 1 = looks like a real ESP
        self.first = {}

    def day(self, ds, out):
        rng, fb, w = self.rng, self.fb, self.w
        de = ds + DAY
        ips = [ip for ip, s, e in self.ipwin if s < de and e > ds]
        doms = [d for d, s, e in self.dwin if s < de and e > ds]
        if not ips or not doms:
            return
        n = poisson(rng, self.daily * weekday_factor(ds) * (0.5 + rng.random()))
        # sends in bursts: a few campaign drops per day
        drops = [ds + rng.uniform(6, 22) * HOUR for _ in range(rng.randint(1, 4))]
        q = self.quality
        for _ in range(n):
            t = rng.choice(drops) + rng.expovariate(1 / 2400.0)
            if t >= self.t1 or t < self.t0:
                continue
            ip = rng.choice(ips)
            d = rng.choice(doms)
            host = "mail%d.%s" % (self.ipno[ip] % 9 + 1, d) if rng.random() < 0.8 else "%s.%s" % (rng.choice(["mx", "smtp", "out", "m"]), d)
            frm = "%s@%s" % (rng.choice(["offers", "news", "deals", "info", "hello", "team", "alerts"]), d)
            mf = "bounce-%d@%s" % (rng.randint(1, 10 ** 6), d)
            spf = "pass" if rng.random() < 0.97 else "softfail"
            dk = "pass" if rng.random() < 0.6 + 0.38 * q else "none"
            dm = "pass" if (dk == "pass" or spf == "pass") else "fail"
            r = 1 if rng.random() < 0.8 else rng.randint(2, 4)
            oc = True if rng.random() < 0.3 + 0.6 * q else None
            e_ = ev_msg(t, ip, host, mf, frm, [d] if dk == "pass" else [], spf, dk, dm,
                        rng.random() < 0.9, r, one_click=oc, verdict=verdict_for(rng, fb, True, 0.75))
            out.append(e_)
            for ident in ("ip:" + ip, "domain:" + d):
                if ident not in self.first:
                    self.first[ident] = t
                    w.add_truth(ident, "spammer", int(t))
            emit_reactions(rng, out, e_, fb, p_complaint=0.006 - 0.003 * q, p_bounce=0.08 - 0.05 * q,
                           p_trap=0.003, p_unsub=0.004, p_notspam=0.0004, is_spam=True)


class ESP:
    """An email service provider's shared pool (M3AAWG sender BCP): many
    customers, DKIM signed by customer and ESP, ESP bounce domain in
    MAIL FROM, feedback IDs, one-click unsubscribe (RFC 8058).  Optionally one
    list-buying customer (spammer) and one taken-over customer account that
    sends phishing for a few hours (compromised)."""

    def __init__(self, w, fb, nips, ncust, daily_per_cust, bad_customer, takeover, transactional_share):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb, self.w = fb, w
        a, b = rng.choice(ESP_NETS)
        c = rng.randint(0, 255)
        self.ips = w.ips.block(a, b, c, nips)
        self.name = rng.choice(["sendwave", "mailorbit", "postlane", "bulkrelay", "inboxly",
                                "sparkpost", "mailjet", "sendpulse", "campaignr", "elasticmta"]) + str(rng.randint(1, 9))
        self.espdom = self.name + ".net"
        self.helo_of = {ip: "o%d.%s" % (i + 1, "ptr." + self.espdom) for i, ip in enumerate(self.ips)}
        self.cust = []
        for i in range(ncust):
            d = w.names.legit_domain()
            kind = "transactional" if rng.random() < transactional_share else "bulk"
            vol = daily_per_cust * rng.lognormvariate(0, 1.2)
            cadence = rng.choice([1, 1, 2, 3, 7])  # days between campaigns (bulk)
            cpl = rng.lognormvariate(math.log(0.0006), 0.7)  # complaint rate per recipient
            self.cust.append({"d": d, "kind": kind, "vol": vol, "cad": cadence,
                              "phase": rng.randint(0, 6), "hour": rng.uniform(7, 19), "cpl": cpl,
                              "bad": None, "fid": "%s:%d:%s" % (rng.randint(1000, 9999), i, self.name)})
            w.add_truth("domain:" + d, kind)
        pool_kind = "transactional" if transactional_share > 0.6 else "bulk"
        for ip in self.ips:
            w.add_truth("ip:" + ip, pool_kind)
        span = w.end - w.start
        if bad_customer:
            d = w.names.spam_domain() if rng.random() < 0.5 else w.names.legit_domain()
            t = w.start + rng.uniform(0.1, 0.6) * span
            self.cust.append({"d": d, "kind": "listbuyer", "vol": daily_per_cust * 3, "cad": 1,
                              "phase": 0, "hour": rng.uniform(8, 16), "cpl": 0.004, "bad": t,
                              "fid": "%s:%d:%s" % (rng.randint(1000, 9999), len(self.cust), self.name)})
            w.add_truth("domain:" + d, "spammer", int(t))
        if takeover and self.cust:
            c_ = rng.choice([c for c in self.cust if c["kind"] == "bulk"] or self.cust)
            t = w.start + rng.uniform(0.3, 0.85) * span
            c_["takeover"] = (t, t + rng.uniform(2, 10) * HOUR)
            w.add_truth("domain:" + c_["d"], "compromised", int(t))

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        dayno = int((ds - self.w.start) // DAY)
        for c in self.cust:
            if c["bad"] is not None and ds + DAY < c["bad"]:
                continue
            if c["kind"] == "transactional":
                n = poisson(rng, c["vol"] * weekday_factor(ds))
                times = diurnal_times(rng, ds, n)
            else:
                if (dayno + c["phase"]) % c["cad"]:
                    times = []
                else:
                    n = poisson(rng, c["vol"] * c["cad"] * (0.6 if c["kind"] == "bulk" else 1.0))
                    t0 = ds + c["hour"] * HOUR
                    times = [t0 + rng.expovariate(1 / 3000.0) for _ in range(n)]
            to = c.get("takeover")
            if to and to[0] < ds + DAY and to[1] > ds:
                # phishing through the stolen account: high volume in hours
                k = poisson(rng, c["vol"] * 6 + 300)
                for _ in range(k):
                    t = to[0] + rng.random() * (to[1] - to[0])
                    self._send(t, c, out, phish=True)
            for t in times:
                if c["bad"] is not None and t < c["bad"]:
                    continue
                self._send(t, c, out)

    def _send(self, t, c, out, phish=False):
        rng, fb = self.rng, self.fb
        ip = rng.choice(self.ips)
        d = c["d"]
        tx = c["kind"] == "transactional"
        lb = c["kind"] == "listbuyer"
        frm = ("%s@%s" % (rng.choice(["no-reply", "orders", "receipts", "notify"]), d) if tx
               else "%s@%s" % (rng.choice(["news", "hello", "team", "marketing"]), d))
        if phish:
            frm = "%s@%s" % (rng.choice(["billing", "support", "security"]), d)
        mf = "bnc-%x@bounces.%s" % (rng.getrandbits(32), self.espdom)
        dk = "pass" if rng.random() < 0.995 else "fail"
        dkd = [d, self.espdom] if dk == "pass" else [self.espdom]
        if dk != "pass":
            dk = "pass"  # ESP signature still verifies; customer's one fails
        r = 1
        is_spam = lb or phish
        e_ = ev_msg(t, ip, self.helo_of[ip], mf, frm, dkd, "pass", dk, "pass" if d in dkd else "fail",
                    True, r, one_click=(None if tx or phish else True),
                    feedback_id=c["fid"], list_id=(None if tx or phish else "<%s.list.%s>" % (c["fid"].split(":")[1], d)),
                    verdict=verdict_for(rng, fb, is_spam, 0.5 if lb else 0.7))
        out.append(e_)
        if phish:
            emit_reactions(rng, out, e_, fb, 0.01, 0.02, 0.002, is_spam=True)
        elif lb:
            emit_reactions(rng, out, e_, fb, c["cpl"], 0.09, 0.004, p_unsub=0.006, is_spam=True)
        elif tx:
            emit_reactions(rng, out, e_, fb, c["cpl"] * 0.15, 0.004, 0.0, p_notspam=0.0005)
        else:
            emit_reactions(rng, out, e_, fb, c["cpl"], 0.01, 0.00003, p_unsub=0.002, p_notspam=0.0008)


class OwnSender:
    """Self-hosted bulk (newsletter) or transactional sender: own IPs, own
    domain, aligned SPF/DKIM/DMARC, FCrDNS."""

    def __init__(self, w, fb, kind, nips, daily, cpl=None):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb, self.w, self.kind = fb, w, kind
        self.d = w.names.legit_domain()
        a, b = rng.choice(ORG_NETS + HOSTING)
        self.ips = w.ips.block(a, b, rng.randint(0, 255), nips)
        self.daily = daily
        self.cad = rng.choice([1, 1, 7, 7, 3])
        self.hour = rng.uniform(5, 18)
        self.cpl = cpl if cpl is not None else rng.lognormvariate(math.log(0.0005), 0.8)
        self.fid = "%s:%s" % (rng.choice(["weekly", "daily", "promo", "digest"]), self.d.split(".")[0])
        self.tz = rng.choice([0, 1, -5, -8, 2])
        self.dkim_ok = rng.random() < 0.92  # some legit senders have broken DKIM
        for ip in self.ips:
            w.add_truth("ip:" + ip, kind)
        w.add_truth("domain:" + self.d, kind)
        # some newsletters send a "re-engagement" blast to an old list once
        self.old_list_day = rng.randint(3, w.days - 2) if kind == "bulk" and rng.random() < 0.15 else None

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        dayno = int((ds - self.w.start) // DAY)
        if self.kind == "transactional":
            times = diurnal_times(rng, ds, poisson(rng, self.daily * weekday_factor(ds)), self.tz)
        elif dayno % self.cad == 0 or dayno == self.old_list_day:
            n = poisson(rng, self.daily * self.cad * (2.5 if dayno == self.old_list_day else 1))
            times = [ds + self.hour * HOUR + rng.expovariate(1 / 1800.0) for _ in range(n)]
        else:
            times = []
        old = dayno == self.old_list_day
        for t in times:
            ip = rng.choice(self.ips)
            tx = self.kind == "transactional"
            frm = "%s@%s" % ("no-reply" if tx else "newsletter", self.d)
            mf = "bounces@%s" % ("mail." + self.d)
            dk = "pass" if self.dkim_ok else rng.choice(["fail", "none"])
            e_ = ev_msg(t, ip, "mta%d.mail.%s" % (self.ips.index(ip) + 1, self.d), mf, frm,
                        [self.d] if dk == "pass" else [], "pass", dk, "pass", True,
                        1, one_click=None if tx else (True if rng.random() < 0.9 else False),
                        feedback_id=None if tx else self.fid,
                        list_id=None if tx else "<%s.%s>" % (self.fid.split(":")[0], self.d),
                        verdict=verdict_for(rng, fb, False))
            out.append(e_)
            if tx:
                emit_reactions(rng, out, e_, fb, self.cpl * 0.2, 0.003, 0.0, p_notspam=0.0004)
            else:
                emit_reactions(rng, out, e_, fb, self.cpl * (4 if old else 1), 0.05 if old else 0.006,
                               0.0008 if old else 0.00002, p_unsub=0.003, p_notspam=0.0008)


class SmallSender:
    """Low-volume legitimate sender (person's domain, small business, club):
    class unknown.  Some with imperfect authentication."""

    def __init__(self, w, fb, total):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb = fb
        self.d = w.names.legit_domain()
        a, b = rng.choice(ORG_NETS + HOSTING + RESIDENTIAL[:6])
        self.ip = w.ips.in_prefix(a, b)
        self.helo = rng.choice(["mail.", "smtp.", "mx.", "", "server."]) + self.d
        self.spf = rng.choice(["pass"] * 6 + ["softfail", "none", "neutral"])
        self.dkim = rng.choice(["pass"] * 4 + ["none", "none", "fail"])
        self.fcrdns = rng.random() < 0.8
        span = w.end - w.start
        self.times = sorted(w.start + rng.random() * span for _ in range(max(1, total)))
        self.idx = 0
        w.add_truth("ip:" + self.ip, "unknown")
        w.add_truth("domain:" + self.d, "unknown")

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        while self.idx < len(self.times) and self.times[self.idx] < ds + DAY:
            t = self.times[self.idx]
            self.idx += 1
            frm = "%s@%s" % (rng.choice(["info", "office", "anna", "j.smith", "contact", "admin", "m.rossi"]), self.d)
            dm = "pass" if (self.spf == "pass" or self.dkim == "pass") else ("none" if rng.random() < 0.5 else "fail")
            e_ = ev_msg(t, self.ip, self.helo, frm, frm, [self.d] if self.dkim == "pass" else [],
                        self.spf, self.dkim, dm, self.fcrdns, 1 if rng.random() < 0.8 else rng.randint(2, 6),
                        verdict=verdict_for(rng, fb, False))
            out.append(e_)
            emit_reactions(rng, out, e_, fb, 0.002, 0.02, 0.0, p_notspam=0.002)


class Org:
    """Small organisation's own mail server (person-to-person mail).  If
    compromised: a stolen account sends a phishing / spam burst through the
    server from bad_from for some hours (sometimes a second burst), then
    the organisation cleans up (Onaolapo et al.; Bursztein et al.)."""

    def __init__(self, w, fb, daily, compromised, hosting=False):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb, self.w = fb, w
        self.d = w.names.legit_domain()
        a, b = rng.choice(HOSTING if hosting else ORG_NETS)
        self.ip = w.ips.in_prefix(a, b)
        self.hosting = hosting
        self.helo = ("srv%d.%s" % (rng.randint(1, 999), rng.choice(["hostingco.net", "webhost.example.org", "cpanel-host.com"]))
                     if hosting else "mail." + self.d)
        self.daily = daily
        self.tz = rng.choice([0, 1, 2, -5, -6, -8, 8, 9])
        self.bursts = []
        cls = "unknown"  # ordinary person-to-person mail
        if compromised:
            span = w.end - w.start
            t = w.start + rng.uniform(0.25, 0.9) * span
            self.bursts.append((t, t + rng.uniform(1, 20) * HOUR, rng.lognormvariate(math.log(60), 0.9)))
            if rng.random() < 0.3:
                t2 = t + rng.uniform(1, 4) * DAY
                self.bursts.append((t2, t2 + rng.uniform(1, 8) * HOUR, rng.lognormvariate(math.log(40), 0.9)))
            w.add_truth("ip:" + self.ip, "compromised", int(t))
            if not hosting:
                w.add_truth("domain:" + self.d, "compromised", int(t))
            else:
                w.add_truth("domain:" + self.d, cls)
        else:
            w.add_truth("ip:" + self.ip, cls)
            w.add_truth("domain:" + self.d, cls)

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        n = poisson(rng, self.daily * weekday_factor(ds))
        for t in diurnal_times(rng, ds, n, self.tz):
            frm = "%s@%s" % (rng.choice(["info", "sales", "office", "webform", "k.mueller", "p.dupont", "hr"]), self.d)
            e_ = ev_msg(t, self.ip, self.helo, frm, frm, [self.d], "pass", "pass", "pass", True,
                        1 if rng.random() < 0.7 else rng.randint(2, 5), verdict=verdict_for(rng, fb, False))
            out.append(e_)
            emit_reactions(rng, out, e_, fb, 0.0008, 0.01, 0.0, p_notspam=0.001)
        for (a, b, rate) in self.bursts:
            s, e = max(a, ds), min(b, ds + DAY)
            if e <= s:
                continue
            k = poisson(rng, rate * (e - s) / HOUR)
            for _ in range(k):
                t = s + rng.random() * (e - s)
                if self.hosting:  # PHP mailer: forged senders
                    d = rng.choice(BRANDS)
                    frm = "%s@%s" % (rng.choice(["service", "verify", "support"]), d)
                    e_ = ev_msg(t, self.ip, self.helo, "www-data@" + self.helo, frm, [], "none",
                                "none", "fail", True, rng.randint(1, 30), verdict=verdict_for(rng, fb, True))
                else:
                    frm = "%s@%s" % (rng.choice(["k.mueller", "accounts", "p.dupont", "info"]), self.d)
                    e_ = ev_msg(t, self.ip, self.helo, frm, frm, [self.d], "pass", "pass", "pass", True,
                                rng.randint(1, 50), verdict=verdict_for(rng, fb, True, 0.6))
                out.append(e_)
                emit_reactions(rng, out, e_, fb, 0.003, 0.12, 0.002, is_spam=True)


class Freemail:
    """A large webmail provider's outbound pool (background, not judged):
    ordinary people, plus hijacked accounts whose short bursts pass every
    authentication check (Thomas et al., CCS 2017)."""

    def __init__(self, w, fb, nips, daily, hijacks):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb, self.w = fb, w
        self.d = rng.choice(["gmail.com", "outlook.com", "yahoo.com", "gmx.de", "mail.ru"])
        a, b = rng.choice(ESP_NETS)
        self.ips = [w.ips.in_prefix(a, b) for _ in range(nips)]
        self.daily = daily
        span = w.end - w.start
        self.h = []
        for _ in range(hijacks):
            t = w.start + rng.random() * span
            self.h.append((t, t + rng.uniform(0.3, 6) * HOUR, rng.uniform(10, 120)))

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        for t in diurnal_times(rng, ds, poisson(rng, self.daily * weekday_factor(ds))):
            ip = rng.choice(self.ips)
            frm = "%s.%s%d@%s" % (rng.choice(SYL), rng.choice(SYL), rng.randint(1, 999), self.d)
            e_ = ev_msg(t, ip, "mail-%s.out.%s" % (ip.split(".")[-1], self.d), frm, frm, [self.d],
                        "pass", "pass", "pass", True, 1 if rng.random() < 0.85 else rng.randint(2, 8),
                        verdict=verdict_for(rng, fb, False))
            out.append(e_)
            emit_reactions(rng, out, e_, fb, 0.0015, 0.01, 0.0, p_notspam=0.002)
        for a, b, rate in self.h:
            s, e = max(a, ds), min(b, ds + DAY)
            if e <= s:
                continue
            frm = "%s.%s%d@%s" % (rng.choice(SYL), rng.choice(SYL), rng.randint(1, 999), self.d)
            for _ in range(poisson(rng, rate * (e - s) / HOUR)):
                t = s + rng.random() * (e - s)
                ip = rng.choice(self.ips)
                e_ = ev_msg(t, ip, "mail-%s.out.%s" % (ip.split(".")[-1], self.d), frm, frm, [self.d],
                            "pass", "pass", "pass", True, rng.randint(5, 50), verdict=verdict_for(rng, fb, True, 0.6))
                out.append(e_)
                emit_reactions(rng, out, e_, fb, 0.004, 0.06, 0.002, is_spam=True)


class MailingList:
    """Discussion list server (bulk): List-Id, SPF pass for the list domain,
    authors' DKIM often broken by footer -> DMARC fail of the author domain."""

    def __init__(self, w, fb, daily):
        self.rng = rng = w.actor_rng()
        w.actors.append(self)
        self.fb = fb
        self.d = "lists." + w.names.legit_domain()
        a, b = rng.choice(ORG_NETS)
        self.ip = w.ips.in_prefix(a, b)
        self.daily = daily
        self.lists = ["<%s.%s>" % (rng.choice(["users", "dev", "announce", "discuss", "members"]) + str(i), self.d)
                      for i in range(rng.randint(1, 5))]
        w.add_truth("ip:" + self.ip, "bulk")

    def day(self, ds, out):
        rng, fb = self.rng, self.fb
        for t in diurnal_times(rng, ds, poisson(rng, self.daily)):
            ad = rng.choice(FREEMAIL + ["example-univ.edu", "corp-mail.com"])
            frm = "%s%d@%s" % (rng.choice(SYL), rng.randint(1, 99), ad)
            broken = rng.random() < 0.6
            e_ = ev_msg(t, self.ip, "mail." + self.d, "%s-bounces@%s" % ("list", self.d), frm,
                        [self.d] if broken else [self.d, ad], "pass", "pass", "fail" if broken else "pass",
                        True, 1, list_id=rng.choice(self.lists), verdict=verdict_for(rng, fb, False))
            out.append(e_)
            emit_reactions(rng, out, e_, fb, 0.0015, 0.004, 0.0, p_notspam=0.003)


# ---------------------------------------------------------------- populations

def build(w):
    rng = w.rng
    span = w.end - w.start
    if w.population == "isp_inbound":
        fb = Feedback(complaint_mult=0.5, notspam_mult=0.4, verdict_share=0.7, filter_tpr=0.9, filter_fpr=0.01)
        # botnet waves (different families, different sizes and timings)
        for _ in range(rng.randint(3, 5)):
            t0 = w.start + rng.uniform(0.0, 0.85) * span
            dur = rng.uniform(0.5, 5) * DAY
            BotWave(w, fb, t0, dur, w.n(rng.randint(800, 4000)), rng.uniform(0.5, 6), rng.choice(["cutwail", "lethic", "necurs", "emotet", "kelihos"]))
        for _ in range(w.n(3)):
            s = w.start + rng.uniform(0, 0.5) * span
            Snowshoe(w, fb, s, min(w.end, s + rng.uniform(5, 18) * DAY), rng.randint(15, 80), rng.randint(6, 25),
                     rng.uniform(800, 4000) * w.scale ** 0.3, rng.random())
        for i in range(w.n(5)):
            ESP(w, fb, rng.randint(4, 24), w.n(rng.randint(20, 60), 3), rng.uniform(15, 80),
                bad_customer=(i == 0 or rng.random() < 0.3), takeover=rng.random() < 0.4,
                transactional_share=rng.choice([0.1, 0.3, 0.8]))
        for _ in range(w.n(40)):
            OwnSender(w, fb, "bulk", rng.randint(1, 4), rng.lognormvariate(math.log(200), 1.0))
        for _ in range(w.n(30)):
            OwnSender(w, fb, "transactional", rng.randint(1, 3), rng.lognormvariate(math.log(150), 1.0))
        for _ in range(w.n(3)):
            Freemail(w, fb, rng.randint(30, 120), rng.uniform(2000, 6000), w.n(rng.randint(15, 40)))
        for _ in range(w.n(6)):
            MailingList(w, fb, rng.uniform(30, 300))
        for _ in range(w.n(500)):
            Org(w, fb, rng.lognormvariate(math.log(4), 1.0), compromised=rng.random() < 0.04)
        for _ in range(w.n(60)):
            Org(w, fb, rng.lognormvariate(math.log(1.5), 0.8), compromised=rng.random() < 0.25, hosting=True)
        for _ in range(w.n(4000)):
            SmallSender(w, fb, int(rng.paretovariate(1.3)))
    elif w.population == "mailbox_provider":
        fb = Feedback(complaint_mult=1.6, notspam_mult=1.5, verdict_share=0.9, filter_tpr=0.85, filter_fpr=0.004)
        for _ in range(rng.randint(1, 2)):
            t0 = w.start + rng.uniform(0.1, 0.8) * span
            BotWave(w, fb, t0, rng.uniform(0.3, 2) * DAY, w.n(rng.randint(300, 1500)), rng.uniform(0.5, 4), rng.choice(["necurs", "emotet"]))
        for _ in range(w.n(8)):
            s = w.start + rng.uniform(0, 0.6) * span
            Snowshoe(w, fb, s, min(w.end, s + rng.uniform(4, 20) * DAY), rng.randint(20, 200), rng.randint(10, 60),
                     rng.uniform(1500, 7000) * w.scale ** 0.3, rng.uniform(0.4, 1.0))
        for i in range(w.n(12)):
            ESP(w, fb, rng.randint(6, 40), w.n(rng.randint(30, 90), 3), rng.uniform(6, 35),
                bad_customer=(i < 2 or rng.random() < 0.25), takeover=(i == 2 or rng.random() < 0.3),
                transactional_share=rng.choice([0.05, 0.2, 0.4, 0.9]))
        for _ in range(w.n(60)):
            OwnSender(w, fb, "bulk", rng.randint(1, 6), rng.lognormvariate(math.log(200), 1.0))
        for _ in range(w.n(40)):
            OwnSender(w, fb, "transactional", rng.randint(1, 4), rng.lognormvariate(math.log(150), 1.0))
        for _ in range(w.n(4)):
            Freemail(w, fb, rng.randint(40, 150), rng.uniform(1500, 4000), w.n(rng.randint(30, 80)))
        for _ in range(w.n(8)):
            MailingList(w, fb, rng.uniform(30, 400))
        for _ in range(w.n(400)):
            Org(w, fb, rng.lognormvariate(math.log(3), 1.0), compromised=rng.random() < 0.06)
        for _ in range(w.n(50)):
            Org(w, fb, rng.lognormvariate(math.log(1.5), 0.8), compromised=rng.random() < 0.3, hosting=True)
        for _ in range(w.n(3000)):
            SmallSender(w, fb, int(rng.paretovariate(1.2)))
    else:
        raise SystemExit("unknown population %r (isp_inbound, mailbox_provider)" % w.population)


POPS = ["isp_inbound", "mailbox_provider"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default=None, help="isp_inbound (default for odd seeds) or mailbox_provider")
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or POPS[(a.seed + 1) % 2]
    days = 21
    # start: a Monday 00:00 UTC in autumn 2026, shifted by seed
    start = 1790294400 + (a.seed % 7) * 7 * DAY
    w = World(a.seed, pop, a.scale, start, days)
    build(w)
    os.makedirs(a.out, exist_ok=True)
    buckets = {}
    count = 0
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    with open(os.path.join(a.out, "events.jsonl"), "w") as f:
        for d in range(days):
            ds = start + d * DAY
            out = []
            for act in w.actors:
                act.day(ds, out)
            for e in out:
                t = e["time"]
                if t < start or t >= w.end:
                    continue
                buckets.setdefault(int((t - start) // DAY), []).append(e)
            cur = buckets.pop(d, [])
            cur.sort(key=lambda e: e["time"])
            f.write("".join(dumps(e) + "\n" for e in cur))
            count += len(cur)
    with open(os.path.join(a.out, "truth.csv"), "w") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(w.truth):
            cls, bf = w.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bf is None or cls not in ("spammer", "compromised") else int(bf)))
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump({"population": pop, "seed": a.seed, "start": start, "end": w.end,
                   "events": count, "identities": len(w.truth)}, f)
        f.write("\n")


if __name__ == "__main__":
    main()

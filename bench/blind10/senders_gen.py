#!/usr/bin/env python3
"""Blind round 10: synthetic sender-reputation worlds (events.jsonl, truth.csv, meta.json).

Populations:
  isp_inbound       ISP inbound MX view: a transient botnet spam wave starting mid-capture, snowshoe
                    spam, ESP shared pools (one with a bad customer), self-hosted newsletters and
                    transactional senders, mailing lists, compromised accounts at small organisations,
                    many low-volume legitimate senders.
  mailbox_provider  Mailbox-provider view: more ESPs with bad customers, more compromised accounts,
                    three snowshoe operations, a small (mostly blocked) botnet, more mailing lists.
Without --population, odd seeds -> isp_inbound, even seeds -> mailbox_provider.
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

POPULATIONS = ["isp_inbound", "mailbox_provider"]
DAY = 86400


# ---------------------------------------------------------------- time-bucketed external sort
class Sink:
    def __init__(self, outdir, t0, bucket):
        self.dir = tempfile.mkdtemp(prefix=".tmp_senders_", dir=outdir)
        self.t0, self.bucket = t0, bucket
        self.buf = {}
        self.n = 0

    def add(self, t, line):
        b = (t - self.t0) // self.bucket
        lst = self.buf.setdefault(b, [])
        lst.append("%012d\t%s" % (t, line))
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

    def finish(self, path, header=None):
        for b in list(self.buf):
            self._flush(b)
        names = sorted(os.listdir(self.dir))
        with open(path, "w", newline="") as out:
            if header:
                out.write(header + "\n")
            for name in names:
                with open(os.path.join(self.dir, name)) as f:
                    lines = f.read().splitlines()
                lines.sort()
                out.write("".join(l.split("\t", 1)[1] + "\n" for l in lines))
        shutil.rmtree(self.dir)


# ---------------------------------------------------------------- helpers
SYL = ["ka", "lo", "mi", "ne", "ra", "to", "vi", "sa", "de", "po", "lu", "ri", "ba", "co", "fe", "gu",
       "ha", "je", "ma", "no", "pe", "qui", "sol", "tan", "ver", "wex", "zor", "bri", "cla", "dro",
       "fin", "gra", "hol", "ist", "kel", "lan", "mor", "nor", "pla", "ros", "ste", "tri", "ul", "van"]
TLD_LEGIT = ["com"] * 6 + ["org", "net", "de", "co.uk", "fr", "nl", "io", "ca", "com.au"]
TLD_CHEAP = ["xyz", "top", "club", "online", "site", "icu", "buzz", "info", "biz", "shop", "live", "com"]
FREEMAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "gmx.de", "mail.ru",
            "icloud.com", "web.de", "orange.fr"]
FIRST = ["anna", "ben", "carla", "dave", "elena", "frank", "gina", "hugo", "ines", "jon", "kim", "leo",
         "maria", "nick", "olga", "paul", "rita", "sam", "tina", "uwe", "vera", "will", "yusuf", "zoe"]
GENERIC_HELO = ["localhost", "user-PC", "DESKTOP-{r}", "WIN-{r}", "{w}", "{w}.local", "[{ip}]",
                "{ip}", "home", "mail", "smtp.{target}", "{target}", "{w}{n}.com"]


def word(rng, a=2, b=3):
    return "".join(rng.choice(SYL) for _ in range(rng.randint(a, b)))


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


class IPAlloc:
    """Hands out distinct public-looking /24s."""

    BAD_FIRST = {0, 10, 100, 127, 169, 172, 192, 198, 203, 224}

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def net24(self, first_octets=None):
        while True:
            a = self.rng.choice(first_octets) if first_octets else self.rng.randint(2, 223)
            if a in self.BAD_FIRST:
                continue
            n = (a, self.rng.randint(0, 255), self.rng.randint(0, 255))
            if n not in self.used:
                self.used.add(n)
                return "%d.%d.%d" % n


RESIDENTIAL_FIRST = [24, 37, 41, 46, 49, 58, 59, 61, 71, 76, 77, 78, 79, 82, 83, 86, 88, 89, 91, 93, 95,
                     101, 103, 110, 112, 113, 115, 117, 118, 119, 121, 122, 125, 151, 177, 179, 181, 186,
                     187, 189, 190, 191, 197, 200, 201]
HOSTING_FIRST = [5, 23, 31, 45, 50, 52, 64, 66, 69, 74, 104, 107, 136, 138, 139, 142, 144, 148, 149,
                 155, 157, 159, 162, 165, 167, 173, 176, 178, 185, 188, 193, 194, 195, 198, 206, 207,
                 208, 209, 212, 213, 216, 217]


# ---------------------------------------------------------------- rate profiles (hourly weights)
def profile_weight(kind, local_hour, weekday):
    h = local_hour
    we = weekday >= 5
    if kind == "business":
        base = 1.0 if 8 <= h < 18 else (0.35 if 7 <= h < 20 else 0.06)
        return base * (0.18 if we else 1.0)
    if kind == "consumer":
        base = [0.2, 0.12, 0.08, 0.06, 0.06, 0.1, 0.3, 0.6, 0.8, 0.9, 0.95, 1.0, 1.0, 0.95, 0.9, 0.9,
                0.95, 1.0, 1.1, 1.2, 1.15, 1.0, 0.7, 0.4][h]
        return base * (0.85 if we else 1.0)
    if kind == "transactional":
        base = [0.25, 0.15, 0.1, 0.1, 0.12, 0.2, 0.4, 0.7, 0.9, 1.0, 1.0, 1.0, 1.05, 1.0, 1.0, 1.0,
                1.0, 1.05, 1.1, 1.1, 1.0, 0.85, 0.6, 0.4][h]
        return base * (0.8 if we else 1.0)
    if kind == "bot":
        # infected consumer PCs: online more in the evening, never quite off
        base = [0.5, 0.4, 0.35, 0.3, 0.3, 0.35, 0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95,
                1.0, 1.05, 1.15, 1.2, 1.2, 1.1, 0.9, 0.7][h]
        return base
    return 1.0  # flat


class Clock:
    def __init__(self, t0, t1):
        self.t0, self.t1 = t0, t1
        self.nh = (t1 - t0) // 3600
        self.cache = {}

    def cum(self, kind, tz):
        key = (kind, tz)
        c = self.cache.get(key)
        if c is None:
            c, s = [], 0.0
            for i in range(self.nh):
                t = self.t0 + i * 3600 + tz * 3600
                lh = (t // 3600) % 24
                wd = ((t // DAY) + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
                s += profile_weight(kind, lh, wd)
                c.append(s)
            self.cache[key] = c
        return c

    def sample(self, rng, n, a, b, kind="flat", tz=0):
        """n times in [a, b) following the hourly profile."""
        a = max(a, self.t0)
        b = min(b, self.t1)
        if n <= 0 or b <= a:
            return []
        ha = (a - self.t0) // 3600
        hb = min(self.nh, (b - self.t0 + 3599) // 3600)
        cum = self.cum(kind, tz)
        base = cum[ha - 1] if ha > 0 else 0.0
        sub = [x - base for x in cum[ha:hb]]
        if not sub or sub[-1] <= 0:
            return sorted(rng.randrange(a, b) for _ in range(n))
        hours = rng.choices(range(ha, hb), cum_weights=sub, k=n)
        out = []
        for h in hours:
            t = self.t0 + h * 3600 + rng.randrange(3600)
            if a <= t < b:
                out.append(t)
        out.sort()
        return out


# ---------------------------------------------------------------- world
class World:
    def __init__(self, seed, population, scale, t0, days):
        self.seed, self.pop, self.scale = seed, population, scale
        self.t0, self.t1 = t0, t0 + days * DAY
        self.clock = Clock(self.t0, self.t1)
        self.wrng = self.rng("world")
        self.ips = IPAlloc(self.wrng)
        self.truth = {}
        self.sink = None
        self.domains_used = set()
        self.seen = set()  # identities that occur in at least one event

    def rng(self, name):
        return random.Random("senders/%s/%s/%s/%s" % (self.seed, self.pop, self.scale, name))

    def domain(self, rng, cheap=False):
        while True:
            d = word(rng) + "." + rng.choice(TLD_CHEAP if cheap else TLD_LEGIT)
            if rng.random() < 0.25 and not cheap:
                d = word(rng, 1, 2) + "-" + d
            if d not in self.domains_used and d not in FREEMAIL:
                self.domains_used.add(d)
                return d

    def label(self, ident, cls, bad_from=None):
        old = self.truth.get(ident)
        if old is not None:
            # keep the earliest bad_from; a bad label wins over a good one
            if old[0] in ("spammer", "compromised") and cls not in ("spammer", "compromised"):
                return
            if old[0] == cls and old[1] is not None and bad_from is not None:
                bad_from = min(old[1], bad_from)
        self.truth[ident] = (cls, bad_from)

    def emit(self, t, ev):
        if self.t0 <= t < self.t1:
            self.sink.add(t, json.dumps(ev, separators=(",", ":")))
            seen = self.seen
            seen.add("ip:" + ev["ip"])
            seen.add("domain:" + ev["from"].rsplit("@", 1)[-1])
            for d in ev.get("dkim_domains", ()):
                seen.add("domain:" + d)

    def deliver(self, rng, t, m, p, rcpts=1):
        """One SMTP transaction: m = dict of header/auth fields, p = probabilities."""
        unknown = 0
        trap = 0
        pu, pt = p.get("unknown", 0.0), p.get("trap", 0.0)
        if rcpts == 1:
            r = rng.random()
            if r < pu:
                unknown = 1
            elif r < pu + pt:
                trap = 1
        else:
            for _ in range(rcpts):
                r = rng.random()
                if r < pu:
                    unknown += 1
                elif r < pu + pt:
                    trap += 1
        if unknown:
            self.emit(t, {"time": t, "type": "bounce", "ip": m["ip"], "helo": m["helo"],
                          "mail_from": m["mail_from"], "from": m["from"], "recipients": unknown})
        if trap:
            ev = {"time": t, "type": "trap"}
            ev.update(m)
            ev["recipients"] = trap
            self.emit(t, ev)
        ok = rcpts - unknown - trap
        if ok <= 0:
            return
        spam = rng.random() < p.get("spam", 0.01)
        ev = {"time": t, "type": "message"}
        ev.update(m)
        ev["recipients"] = ok
        ev["verdict"] = "spam" if spam else "ham"
        self.emit(t, ev)
        ref = {"ip": m["ip"], "from": m["from"], "mail_from": m["mail_from"],
               "dkim_domains": m["dkim_domains"]}
        if "feedback_id" in m:
            ref["feedback_id"] = m["feedback_id"]
        if "list_id" in m:
            ref["list_id"] = m["list_id"]
        pc = p.get("complaint", 0.0) * (0.15 if spam else 1.0)
        pn = p.get("notspam", 0.0) if spam else 0.0
        pun = p.get("unsub", 0.0) if (m.get("list_unsubscribe_one_click") and not spam) else 0.0
        for _ in range(ok if ok <= 50 else 50):
            r = rng.random()
            if r < pc:
                typ = "complaint"
            elif r < pc + pn:
                typ = "notspam"
            elif r < pc + pn + pun:
                typ = "unsubscribe"
            else:
                continue
            dt = int(lognorm(rng, 3 * 3600 if typ != "unsubscribe" else 9 * 3600, 1.3)) + 30
            e = {"time": t + dt, "type": typ}
            e.update(ref)
            self.emit(t + dt, e)


def auth_ok(fcrdns=True):
    return {"spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": fcrdns}


def misconfig_windows(rng, w, prob=0.2):
    """A legitimate sender sometimes breaks SPF or DKIM for a day or few (key rotation, new IP)."""
    out = []
    if rng.random() < prob:
        a = rng.randrange(w.t0, w.t1 - DAY)
        b = a + int(rng.uniform(0.3, 4.0) * DAY)
        what = rng.choice(["dkim", "dkim", "spf", "spf_soft"])
        out.append((a, b, what))
    return out


def apply_misconfig(m, t, wins, dmarc_policy=True):
    for a, b, what in wins:
        if a <= t < b:
            m = dict(m)
            if what == "dkim":
                m["dkim"] = "fail"
            elif what == "spf":
                m["spf"] = "fail"
            else:
                m["spf"] = "softfail"
            if m["spf"] != "pass" and m["dkim"] != "pass":
                m["dmarc"] = "fail" if dmarc_policy else "none"
            return m
    return m


# ---------------------------------------------------------------- actor kinds
def esp(w, idx, n_customers, bad_customers, transactional_esp=False):
    """ESP shared IP pool: customer domains sign with DKIM, Feedback-ID header; one or more customers
    start mailing purchased lists mid-capture (bad customer)."""
    rng = w.rng("esp%d" % idx)
    vol = math.sqrt(w.scale)  # customer count and per-customer volume both scale with sqrt(scale)
    name = word(rng, 2, 2) + rng.choice(["mail", "send", "post", "mta", "grid"])
    espdom = w.domain(rng)
    n_ips = rng.randint(6, 24) if not transactional_esp else rng.randint(4, 12)
    nets = [w.ips.net24(HOSTING_FIRST) for _ in range(1 + n_ips // 10)]
    ips = []
    for i in range(n_ips):
        ips.append("%s.%d" % (nets[i % len(nets)], rng.randint(10, 250)))
    ips = sorted(set(ips))
    cls_pool = "transactional" if transactional_esp else "bulk"
    for ip in ips:
        w.label("ip:" + ip, cls_pool)
    w.label("domain:" + espdom, cls_pool)
    helos = {ip: "o%d.%s.%s" % (k + 1, rng.choice(["mta", "out", "smtp"]), espdom) for k, ip in enumerate(ips)}
    esp_id = str(rng.randint(100, 999))
    customers = []
    for c in range(n_customers):
        tr = rng.random() < (0.8 if transactional_esp else 0.25)
        customers.append(("transactional" if tr else "bulk", w.domain(rng)))
    bad = [(k, w.domain(rng, cheap=rng.random() < 0.5)) for k in range(bad_customers)]
    for ci, (cls, dom) in enumerate(customers):
        crng = w.rng("esp%d/c%d" % (idx, ci))
        w.label("domain:" + dom, cls)
        tz = crng.choice([-8, -5, -5, 0, 1, 1, 2])
        wins = misconfig_windows(crng, w, 0.12)
        fb_cust = str(crng.randint(10000, 99999))
        if cls == "transactional":
            n = int(lognorm(crng, 300, 1.3) * vol * 21)
            times = w.clock.sample(crng, n, w.t0, w.t1, "transactional", tz)
            p = {"unknown": crng.uniform(0.003, 0.02), "trap": 0.0, "spam": crng.uniform(0.002, 0.02),
                 "complaint": crng.uniform(0.00005, 0.0005), "notspam": 0.3}
            local = crng.choice(["noreply", "no-reply", "orders", "account", "notifications"])
            for t in times:
                ip = crng.choice(ips)
                m = {"ip": ip, "helo": helos[ip], "mail_from": "bounce-%d@%s" % (crng.randint(1, 10**6), espdom),
                     "from": "%s@%s" % (local, dom), "dkim_domains": [dom, espdom],
                     "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                     "list_unsubscribe_one_click": False,
                     "feedback_id": "tx:%s:%s:%s" % (fb_cust, "receipt", esp_id)}
                w.deliver(crng, t, apply_misconfig(m, t, wins), p)
        else:
            # campaigns: weekly or twice a week, each spread over 1-6 hours (ESP throttling)
            per_week = crng.choice([1, 1, 1, 2, 2, 3])
            size = int(lognorm(crng, 450, 1.1) * vol)
            complaint = crng.choice([0.0003, 0.0006, 0.001, 0.002, 0.003]) * crng.uniform(0.6, 1.5)
            p = {"unknown": crng.uniform(0.002, 0.025), "trap": crng.choice([0, 0, 0.00003, 0.0001]),
                 "spam": crng.uniform(0.005, 0.08), "complaint": complaint, "notspam": 0.1,
                 "unsub": crng.uniform(0.0008, 0.004)}
            one_click = crng.random() < 0.85
            local = crng.choice(["news", "newsletter", "offers", "hello", "info", "team"])
            day_off = crng.randrange(7)
            for wk in range(3):
                for k in range(per_week):
                    start = w.t0 + (wk * 7 + (day_off + k * 3) % 7) * DAY + int((crng.uniform(8, 17) - tz) * 3600)
                    span = int(crng.uniform(1, 6) * 3600)
                    camp = crng.randint(1000, 99999)
                    n = max(1, int(size * crng.uniform(0.85, 1.1)))
                    for _ in range(n):
                        t = start + int(span * (crng.random() ** 1.5))
                        ip = crng.choice(ips)
                        m = {"ip": ip, "helo": helos[ip],
                             "mail_from": "bounce-%d@%s" % (camp, espdom), "from": "%s@%s" % (local, dom),
                             "dkim_domains": [dom, espdom], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                             "fcrdns": True, "list_unsubscribe_one_click": one_click,
                             "feedback_id": "%d:%s:newsletter:%s" % (camp, fb_cust, esp_id)}
                        w.deliver(crng, t, apply_misconfig(m, t, wins), p)
    # bad customers: legit-looking account that starts blasting a purchased / scraped list
    for k, dom in bad:
        crng = w.rng("esp%d/bad%d" % (idx, k))
        start = w.t0 + int(crng.uniform(3, 15) * DAY)
        w.label("domain:" + dom, "spammer", start)
        fb_cust = str(crng.randint(10000, 99999))
        # a few days of small, clean-looking warm-up sends before going bad
        warm = w.clock.sample(crng, int(crng.uniform(20, 200) * w.scale) + 1, w.t0, start, "business", 0)
        for t in warm:
            ip = crng.choice(ips)
            m = {"ip": ip, "helo": helos[ip], "mail_from": "bounce-1@%s" % espdom, "from": "info@" + dom,
                 "dkim_domains": [dom, espdom], "fcrdns": True, "spf": "pass", "dkim": "pass",
                 "dmarc": "pass", "list_unsubscribe_one_click": True,
                 "feedback_id": "1:%s:newsletter:%s" % (fb_cust, esp_id)}
            w.deliver(crng, t, m, {"unknown": 0.01, "spam": 0.03, "complaint": 0.001})
        blasts = crng.randint(2, 6)
        t = start
        p = {"unknown": crng.uniform(0.05, 0.25), "trap": crng.uniform(0.0005, 0.004),
             "spam": crng.uniform(0.2, 0.55), "complaint": crng.uniform(0.003, 0.02), "notspam": 0.02,
             "unsub": 0.004}
        for b in range(blasts):
            n = int(lognorm(crng, 2000, 0.8) * w.scale) + 5
            span = int(crng.uniform(1, 8) * 3600)
            camp = crng.randint(1000, 99999)
            for _ in range(n):
                tt = t + crng.randrange(span)
                ip = crng.choice(ips)
                m = {"ip": ip, "helo": helos[ip], "mail_from": "bounce-%d@%s" % (camp, espdom),
                     "from": "%s@%s" % (crng.choice(["deals", "info", "promo", "news"]), dom),
                     "dkim_domains": [dom, espdom], "fcrdns": True, "spf": "pass", "dkim": "pass",
                     "dmarc": "pass", "list_unsubscribe_one_click": crng.random() < 0.7,
                     "feedback_id": "%d:%s:newsletter:%s" % (camp, fb_cust, esp_id)}
                w.deliver(crng, tt, m, p)
            t += int(crng.uniform(0.5, 3) * DAY)
            if t >= w.t1:
                break


def self_newsletter(w, idx):
    rng = w.rng("news%d" % idx)
    dom = w.domain(rng)
    net = w.ips.net24(HOSTING_FIRST)
    ips = ["%s.%d" % (net, rng.randint(2, 250)) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    ips = sorted(set(ips))
    for ip in ips:
        w.label("ip:" + ip, "bulk")
    w.label("domain:" + dom, "bulk")
    helo = "mail." + dom
    tz = rng.choice([-8, -6, -5, 0, 1, 1, 2, 10])
    wins = misconfig_windows(rng, w, 0.3)
    size = int(lognorm(rng, 1000, 1.0) * w.scale) + 3
    freq = rng.choice([7, 7, 7, 3.5, 14, 2.3])
    complaint = rng.choice([0.0005, 0.001, 0.002, 0.004, 0.008])  # some have poor list hygiene
    p = {"unknown": rng.uniform(0.005, 0.06), "trap": rng.choice([0, 0, 0.00005, 0.0003]),
         "spam": rng.uniform(0.01, 0.15), "complaint": complaint, "notspam": 0.12,
         "unsub": rng.uniform(0.001, 0.006)}
    one_click = rng.random() < 0.6
    has_list_id = rng.random() < 0.4
    fcrdns = rng.random() < 0.9
    rate = rng.choice([30, 100, 300, 1000]) / 60.0  # messages per second the server pushes
    t = w.t0 + int(rng.uniform(0, freq) * DAY)
    t = t - t % DAY + int((rng.uniform(6, 11) - tz) * 3600)
    while t < w.t1:
        n = max(1, int(size * rng.uniform(0.9, 1.05)))
        for i in range(n):
            tt = t + int(i / rate)
            ip = ips[i % len(ips)]
            m = {"ip": ip, "helo": helo, "mail_from": "list-bounces@" + dom, "from": "newsletter@" + dom,
                 "dkim_domains": [dom], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": fcrdns,
                 "list_unsubscribe_one_click": one_click}
            if has_list_id:
                m["list_id"] = "news.%s" % dom
            w.deliver(rng, tt, apply_misconfig(m, tt, wins), p, rcpts=1 if rng.random() < 0.8 else rng.randint(2, 6))
        t += int(freq * DAY * rng.uniform(0.95, 1.05))


def self_transactional(w, idx):
    rng = w.rng("tx%d" % idx)
    dom = w.domain(rng)
    net = w.ips.net24(HOSTING_FIRST)
    ips = sorted(set("%s.%d" % (net, rng.randint(2, 250)) for _ in range(rng.choice([1, 1, 2]))))
    for ip in ips:
        w.label("ip:" + ip, "transactional")
    w.label("domain:" + dom, "transactional")
    tz = rng.choice([-8, -5, 0, 1, 2, 8])
    wins = misconfig_windows(rng, w, 0.25)
    n = int(lognorm(rng, 100, 1.2) * 21 * w.scale) + 2
    p = {"unknown": rng.uniform(0.005, 0.03), "trap": 0.0, "spam": rng.uniform(0.002, 0.03),
         "complaint": rng.uniform(0.00005, 0.0008), "notspam": 0.35}
    locals_ = ["noreply", "orders", "receipts", "alerts", "security", "support"]
    fcrdns = rng.random() < 0.92
    no_dkim = rng.random() < 0.1  # some old transactional setups never signed
    helo = rng.choice(["mail.", "smtp.", "mx1.", "app1."]) + dom
    # order confirmations track shopping hours; password resets/alerts are flatter
    for t in w.clock.sample(rng, n, w.t0, w.t1, "transactional", tz):
        ip = rng.choice(ips)
        m = {"ip": ip, "helo": helo, "mail_from": "bounces@" + dom, "from": rng.choice(locals_) + "@" + dom,
             "dkim_domains": [] if no_dkim else [dom], "spf": "pass", "dkim": "none" if no_dkim else "pass",
             "dmarc": "pass", "fcrdns": fcrdns, "list_unsubscribe_one_click": False}
        w.deliver(rng, t, apply_misconfig(m, t, wins), p)


def mailing_list(w, idx):
    """Discussion list (Mailman-like): posts from members' own domains re-sent with a footer, so the
    members' DKIM signatures break; some lists rewrite From to the list domain (DMARC mitigation)."""
    rng = w.rng("list%d" % idx)
    dom = "lists." + w.domain(rng)
    net = w.ips.net24(HOSTING_FIRST)
    ip = "%s.%d" % (net, rng.randint(2, 250))
    w.label("ip:" + ip, "bulk")
    w.label("domain:" + dom, "bulk")
    n_lists = rng.randint(1, 6)
    members = [("%s@%s" % (rng.choice(FIRST) + str(rng.randint(1, 99)),
                           rng.choice(FREEMAIL) if rng.random() < 0.5 else w.domain(rng)))
               for _ in range(rng.randint(20, 200))]
    rewrite = rng.random() < 0.5
    tz = rng.choice([-8, -5, 0, 1, 2])
    for L in range(n_lists):
        lname = word(rng, 1, 2) + "-" + rng.choice(["users", "devel", "announce", "discuss", "talk"])
        list_id = "%s.%s" % (lname, dom)
        posts = int(lognorm(rng, 6, 1.0) * 21 * max(w.scale, 0.2))
        subs = max(1, int(lognorm(rng, 60, 1.0) * w.scale))
        batch = rng.choice([10, 20, 50, 100])
        for t in w.clock.sample(rng, posts, w.t0, w.t1, "business", tz):
            author = rng.choice(members)
            adom = author.split("@")[1]
            if rewrite:
                frm = "%s@%s" % (lname, dom)
                dk, dd, dm = "pass", [dom], "pass"
            else:
                frm = author
                dk, dd = "fail", [adom]
                dm = "fail" if rng.random() < 0.7 else "none"
            m = {"ip": ip, "helo": "mail." + dom, "mail_from": "%s-bounces@%s" % (lname, dom), "from": frm,
                 "dkim_domains": dd, "spf": "pass", "dkim": dk, "dmarc": dm, "fcrdns": True,
                 "list_unsubscribe_one_click": False, "list_id": list_id}
            left, tt = subs, t
            while left > 0:
                r = min(batch, left)
                w.deliver(rng, tt, m, {"unknown": 0.01, "spam": 0.03, "complaint": 0.0003, "notspam": 0.2}, rcpts=r)
                left -= r
                tt += rng.randint(0, 3)


def small_org(w, idx, compromise):
    """Small organisation's own mail server. If compromise: one account's password is phished and the
    server sends an authenticated (SPF/DKIM/DMARC pass) burst; sometimes cleaned after hours."""
    rng = w.rng("org%d" % idx)
    dom = w.domain(rng)
    net = w.ips.net24(HOSTING_FIRST if rng.random() < 0.6 else RESIDENTIAL_FIRST)
    ip = "%s.%d" % (net, rng.randint(2, 250))
    tz = rng.choice([-8, -6, -5, 0, 1, 1, 2, 3, 8, 9])
    helo = rng.choice(["mail.", "mx.", "exchange.", "smtp.", "srv01."]) + dom
    fcrdns = rng.random() < 0.85
    wins = misconfig_windows(rng, w, 0.25)
    per_day = lognorm(rng, 8, 0.9)
    n = int(per_day * 21 * w.scale) + 3
    users = [rng.choice(FIRST) + "." + word(rng, 1, 2) for _ in range(rng.randint(3, 40))]
    p = {"unknown": 0.01, "spam": rng.uniform(0.005, 0.04), "complaint": 0.0002, "notspam": 0.4}
    for t in w.clock.sample(rng, n, w.t0, w.t1, "business", tz):
        u = rng.choice(users)
        m = {"ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom), "from": "%s@%s" % (u, dom),
             "dkim_domains": [dom], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": fcrdns,
             "list_unsubscribe_one_click": False}
        w.deliver(rng, t, apply_misconfig(m, t, wins), p, rcpts=1 if rng.random() < 0.8 else rng.randint(2, 4))
    if not compromise:
        w.label("ip:" + ip, "unknown")
        w.label("domain:" + dom, "unknown")
        return
    start = w.t0 + int(rng.uniform(2, 19) * DAY)
    w.label("ip:" + ip, "compromised", start)
    w.label("domain:" + dom, "compromised", start)
    victim = rng.choice(users)
    waves = rng.choice([1, 1, 2, 3])
    t = start
    p = {"unknown": rng.uniform(0.03, 0.15), "trap": rng.uniform(0.0002, 0.002), "spam": rng.uniform(0.25, 0.75),
         "complaint": rng.uniform(0.003, 0.02), "notspam": 0.01}
    for k in range(waves):
        n = int(lognorm(rng, 900, 0.9) * w.scale) + 3
        span = int(rng.uniform(0.5, 10) * 3600)
        big = rng.random() < 0.5  # phishing kits often put many Bcc recipients on one message
        frm_dom = dom if rng.random() < 0.85 else rng.choice(FREEMAIL)  # sometimes a different From
        for _ in range(n):
            tt = t + rng.randrange(span)
            m = {"ip": ip, "helo": helo, "mail_from": "%s@%s" % (victim, dom),
                 "from": "%s@%s" % (victim, frm_dom), "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
                 "dmarc": "pass" if frm_dom == dom else "fail", "fcrdns": fcrdns,
                 "list_unsubscribe_one_click": False}
            w.deliver(rng, tt, m, p, rcpts=rng.randint(5, 50) if big else rng.randint(1, 3))
        t += span + int(rng.uniform(2, 30) * 3600)
        if t >= w.t1:
            break


def low_volume(w, idx, shared_ips):
    """Ordinary low-volume senders (class unknown): small businesses, clubs, personal domains, on shared
    hosting or home servers; messy auth."""
    rng = w.rng("low%d" % idx)
    dom = w.domain(rng)
    if rng.random() < 0.6 and shared_ips:
        ip, helo, fcrdns = rng.choice(shared_ips)
    else:
        net = w.ips.net24(HOSTING_FIRST if rng.random() < 0.7 else RESIDENTIAL_FIRST)
        ip = "%s.%d" % (net, rng.randint(2, 250))
        helo = rng.choice(["mail.%s" % dom, "localhost.localdomain", "vps%d.%s" % (rng.randint(1, 999), word(rng) + ".net"),
                           "ubuntu", "mx.%s" % dom])
        fcrdns = rng.random() < 0.6
        w.label("ip:" + ip, "unknown")
    w.label("domain:" + dom, "unknown")
    n = max(1, int(lognorm(rng, 6, 1.0) * max(w.scale, 0.3)))
    spf = rng.choice(["pass"] * 6 + ["softfail", "neutral", "none", "fail"])
    has_dkim = rng.random() < 0.55
    dmarc = "pass" if (spf == "pass" or has_dkim) else rng.choice(["none", "none", "fail"])
    tz = rng.choice([-8, -5, 0, 1, 2, 5, 8])
    users = [rng.choice(FIRST) for _ in range(rng.randint(1, 4))]
    p = {"unknown": 0.02, "spam": rng.uniform(0.01, 0.15), "complaint": 0.0005, "notspam": 0.4}
    for t in w.clock.sample(rng, n, w.t0, w.t1, rng.choice(["business", "consumer"]), tz):
        u = rng.choice(users)
        m = {"ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom), "from": "%s@%s" % (u, dom),
             "dkim_domains": [dom] if has_dkim else [], "spf": spf, "dkim": "pass" if has_dkim else "none",
             "dmarc": dmarc, "fcrdns": fcrdns, "list_unsubscribe_one_click": False}
        w.deliver(rng, t, m, p, rcpts=1 if rng.random() < 0.75 else rng.randint(2, 8))


def botnet(w, idx, n_bots, wave_start, wave_days, spoof_targets):
    """Transient botnet spam (Ramachandran & Feamster 2006: bots in consumer ranges send a few messages
    over short periods): generic/forged HELOs, forged senders, failing auth, dictionary attacks."""
    rng = w.rng("botnet%d" % idx)
    throwaway = [w.domain(rng, cheap=True) for _ in range(rng.randint(20, 80))]
    dom_first = {}
    nets = [w.ips.net24(RESIDENTIAL_FIRST) for _ in range(max(1, n_bots // 6))]
    rate_med = rng.uniform(10, 60)  # messages per active hour
    target = rng.choice(["example-isp.net", "mail.example-isp.net"])
    for b in range(n_bots):
        brng = w.rng("botnet%d/b%d" % (idx, b))
        ip = "%s.%d" % (brng.choice(nets), brng.randint(1, 254))
        first = wave_start + int((brng.random() ** 1.3) * wave_days * DAY)
        active = int(lognorm(brng, 2.0, 1.4) * 3600) + 60
        n = max(1, int(lognorm(brng, rate_med, 0.8) * active / 3600.0))
        n = min(n, 3000)
        times = w.clock.sample(brng, n, first, first + active, "bot", 0)
        if not times:
            continue
        w.label("ip:" + ip, "spammer", times[0])
        helo_t = brng.choice(GENERIC_HELO)
        helo = helo_t.format(r=word(brng).upper()[:6], w=word(brng), ip=ip, target=target, n=brng.randint(1, 99))
        fcrdns = brng.random() < 0.25  # generic ISP PTRs are often forward-confirmed
        p = {"unknown": brng.uniform(0.08, 0.45), "trap": brng.uniform(0.002, 0.012),
             "spam": brng.uniform(0.6, 0.97), "complaint": brng.uniform(0.001, 0.01), "notspam": 0.002}
        for t in times:
            r = brng.random()
            if r < 0.45:
                d = brng.choice(throwaway)
                frm = "%s@%s" % (word(brng, 1, 2), d)
                mf = frm if brng.random() < 0.6 else "%s@%s" % (word(brng), brng.choice(throwaway))
                spf = brng.choice(["none", "none", "softfail", "neutral", "pass"])
                dmarc = "none"
                dk = brng.choice(["none", "none", "none", "fail"])
                dd = [d] if dk == "fail" else []
                if d not in dom_first or t < dom_first[d]:
                    dom_first[d] = t
            elif r < 0.75:
                fd = brng.choice(FREEMAIL)
                frm = "%s%d@%s" % (brng.choice(FIRST), brng.randint(1, 9999), fd)
                mf = frm
                spf = brng.choice(["fail", "softfail", "softfail", "neutral"])
                dk, dd, dmarc = "none", [], brng.choice(["fail", "fail", "none"])
            else:
                fd = brng.choice(spoof_targets)  # forged From of real brands / legit senders
                frm = "%s@%s" % (brng.choice(["service", "support", "billing", "security", "info"]), fd)
                mf = brng.choice([frm, "%s@%s" % (word(brng), brng.choice(throwaway))])
                spf = brng.choice(["fail", "softfail", "none"])
                dk, dd, dmarc = "none", [], "fail"
            m = {"ip": ip, "helo": helo, "mail_from": mf, "from": frm, "dkim_domains": dd, "spf": spf,
                 "dkim": dk, "dmarc": dmarc, "fcrdns": fcrdns, "list_unsubscribe_one_click": False}
            w.deliver(brng, t, m, p, rcpts=brng.choice([1, 1, 1, 2, 3, 5, 10]))
    for d, t in dom_first.items():
        w.label("domain:" + d, "spammer", t)


def snowshoe(w, idx):
    """Snowshoe (Spamhaus CSS description): many IPs across a few /24s at hosting providers, each with
    matching PTR/HELO, its own throwaway domain with SPF/DKIM set up, low volume per IP, rotated every
    few days."""
    rng = w.rng("snow%d" % idx)
    n_nets = rng.randint(2, 6)
    nets = [w.ips.net24(HOSTING_FIRST) for _ in range(n_nets)]
    start = w.t0 + int(rng.uniform(0, 10) * DAY)
    end = min(w.t1, start + int(rng.uniform(7, 21) * DAY))
    per_ip_day = rng.uniform(20, 160) * w.scale
    life = rng.uniform(2, 6)
    concurrent = rng.randint(15, 50)
    one_click = rng.random() < 0.7
    dkim_ok = rng.random() < 0.8
    p = {"unknown": rng.uniform(0.01, 0.06), "trap": rng.uniform(0.0003, 0.003), "spam": rng.uniform(0.15, 0.6),
         "complaint": rng.uniform(0.002, 0.012), "notspam": 0.03, "unsub": 0.004}
    t = start
    k = 0
    used = set()
    step = life * DAY / concurrent
    while t < end:
        krng = w.rng("snow%d/ip%d" % (idx, k))
        k += 1
        while True:
            ip = "%s.%d" % (krng.choice(nets), krng.randint(2, 253))
            if ip not in used:
                used.add(ip)
                break
        dom = w.domain(krng, cheap=krng.random() < 0.6)
        a, b = int(t), int(t + life * DAY * krng.uniform(0.6, 1.4))
        n = max(1, int(per_ip_day * (b - a) / DAY * krng.uniform(0.5, 1.5)))
        times = w.clock.sample(krng, n, a, b, "business", -5)
        if times:
            w.label("ip:" + ip, "spammer", times[0])
            w.label("domain:" + dom, "spammer", times[0])
        helo = "mail.%s" % dom
        for tt in times:
            m = {"ip": ip, "helo": helo, "mail_from": "bounce@" + dom,
                 "from": "%s@%s" % (krng.choice(["offers", "news", "deals", "alerts", "info"]), dom),
                 "dkim_domains": [dom] if dkim_ok else [], "spf": "pass", "dkim": "pass" if dkim_ok else "none",
                 "dmarc": "pass" if dkim_ok else krng.choice(["pass", "none"]), "fcrdns": True,
                 "list_unsubscribe_one_click": one_click}
            w.deliver(krng, tt, m, p)
        t += step * rng.uniform(0.5, 1.5)


# ---------------------------------------------------------------- populations
CONFIG = {
    "isp_inbound": dict(start=(2026, 2, 2), esps=[(55, 1, False), (45, 0, False), (40, 0, True)],
                        newsletters=28, transactional=30, lists=10, orgs=60, compromised=9, low=2600,
                        shared_hosts=120, botnets=[(2300, 5, 4), (800, 12, 6)], snowshoe=2),
    "mailbox_provider": dict(start=(2026, 3, 2), esps=[(50, 1, False), (45, 1, False), (35, 0, False), (40, 0, True),
                                                       (20, 1, False)],
                             newsletters=20, transactional=24, lists=16, orgs=80, compromised=16, low=2200,
                             shared_hosts=100, botnets=[(500, 8, 3)], snowshoe=3),
}


def generate(seed, population, scale, out):
    cfg = CONFIG[population]
    t0 = calendar.timegm(cfg["start"] + (0, 0, 0))
    w = World(seed, population, scale, t0, 21)
    os.makedirs(out, exist_ok=True)
    w.sink = Sink(out, t0, DAY // 4)

    def n(x, lo=1):
        return max(lo, int(round(x * scale)))

    esp_doms = []
    for i, (nc, nbad, tr) in enumerate(cfg["esps"]):
        esp(w, i, max(3, int(round(nc * math.sqrt(scale)))), nbad, tr)
    for i in range(n(cfg["newsletters"], 2)):
        self_newsletter(w, i)
    for i in range(n(cfg["transactional"], 2)):
        self_transactional(w, i)
    for i in range(n(cfg["lists"], 1)):
        mailing_list(w, i)
    n_org = n(cfg["orgs"], 4)
    n_comp = max(2, int(round(cfg["compromised"] * max(scale, 0.2))))
    crng = w.rng("orgs")
    comp = set(crng.sample(range(n_org), min(n_comp, n_org)))
    for i in range(n_org):
        small_org(w, i, i in comp)
    shared = []
    srng = w.rng("shared")
    for i in range(n(cfg["shared_hosts"], 3)):
        net = w.ips.net24(HOSTING_FIRST)
        ip = "%s.%d" % (net, srng.randint(2, 250))
        shared.append((ip, "%s%d.%s" % (srng.choice(["web", "host", "srv", "cp"]), srng.randint(1, 999),
                                        word(srng) + "hosting.com"), True))
        w.label("ip:" + ip, "unknown")
    for i in range(n(cfg["low"], 20)):
        low_volume(w, i, shared)
    legit_doms = sorted(d[len("domain:"):] for d, (c, _) in w.truth.items()
                        if d.startswith("domain:") and c in ("bulk", "transactional"))
    brands = ["paypal.com", "chase.com", "amazon.com", "dhl.com", "microsoft.com", "apple.com", "netflix.com"]
    spoof_targets = brands + legit_doms[:: max(1, len(legit_doms) // 15)]
    for i, (nb, start_day, days) in enumerate(cfg["botnets"]):
        brng = w.rng("botstart%d" % i)
        sd = start_day + brng.uniform(-1.5, 1.5)
        botnet(w, i, n(nb, 10), t0 + int(sd * DAY), days * brng.uniform(0.7, 1.3), spoof_targets)
    for i in range(cfg["snowshoe"]):
        snowshoe(w, i)

    w.sink.finish(os.path.join(out, "events.jsonl"))
    # only identities that actually appear in the events are judged
    w.truth = {k: v for k, v in w.truth.items() if k in w.seen}
    with open(os.path.join(out, "truth.csv"), "w", newline="") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(w.truth):
            cls, bf = w.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bf is None else bf))
    meta = {"population": population, "seed": seed, "start": w.t0, "end": w.t1, "events": w.sink.n,
            "identities": len(w.truth)}
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
    meta = generate(a.seed, pop, a.scale, a.out)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()

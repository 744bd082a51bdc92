#!/usr/bin/env python3
"""Sender-reputation event generator (blind round 8).

Writes events.jsonl, truth.csv and meta.json (see FORMAT.md) for one of two
populations:

  isp_inbound       the inbound MX of a consumer ISP: botnet spam waves
                    (forged senders, generic HELOs, address literals, no
                    FCrDNS, many unknown recipients), compromised small-business
                    servers and hacked web servers, a small snowshoe operation,
                    newsletters, transactional mail, an ESP, webmail, and many
                    small legitimate senders.
  mailbox_provider  a large mailbox provider: several ESPs with shared pools
                    (one carries a bad customer), heavy snowshoe with valid
                    SPF/DKIM/DMARC and rotating domains, compromised hosted
                    tenant accounts (authenticated, sudden bursts),
                    newsletters with Feedback-ID and one-click unsubscribe,
                    engagement signals (unsubscribe, notspam), and a thinner
                    botnet tail that got past connection-level blocking.

Python 3 standard library only; deterministic for a given --seed.
"""
import argparse
import calendar
import json
import math
import os
import random
import string

DAY = 86400
HOUR = 3600
T0 = calendar.timegm((2026, 10, 12, 0, 0, 0))
NDAYS = 21

# Relative activity per local hour for people (mail read/written in daytime).
DIURNAL_HUMAN = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6, 6.5, 6.3,
                 5.5, 6, 6.2, 5.8, 5.2, 4.5, 3.8, 3.5, 3.2, 2.8, 2.0, 1.4]
# Home PCs (bots) are on in the evening more than at night.
DIURNAL_HOMEPC = [2, 1.5, 1, 0.8, 0.7, 0.8, 1.2, 2, 2.6, 3, 3, 3.1,
                  3.3, 3.3, 3.2, 3.3, 3.6, 4, 4.6, 5, 5.2, 4.8, 4, 3]
WEEKDAY_HUMAN = [1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.4]   # Mon..Sun

FIRST = ["anna", "john", "maria", "peter", "linda", "james", "sara", "mike", "olga", "li",
         "chen", "fatima", "ahmed", "lucas", "emma", "noah", "mia", "raj", "sofia", "tom",
         "kate", "ivan", "yuki", "carlos", "nina", "paul", "eva", "omar", "lena", "dan"]
WORDS = ["blue", "river", "north", "smart", "green", "prime", "star", "city", "global", "best",
         "home", "shop", "deal", "tech", "health", "travel", "food", "daily", "news", "club",
         "world", "cloud", "fresh", "gold", "value", "first", "urban", "pure", "bright", "peak",
         "local", "royal", "swift", "metro", "vital", "alpha", "zen", "nova", "coast", "hill"]
TLDS_LEGIT = ["com", "com", "com", "net", "org", "de", "co.uk", "fr", "nl", "io", "it", "es"]
TLDS_CHEAP = ["top", "xyz", "icu", "club", "online", "site", "info", "biz", "live", "shop",
              "work", "buzz", "fun", "space", "website"]
BIG_WEBMAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "gmx.de",
               "mail.ru", "yandex.ru", "web.de", "icloud.com"]
DMARC_REJECT = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com",
                "icloud.com", "paypal.com", "amazon.com", "apple.com"}
FORGED_BRANDS = ["paypal.com", "amazon.com", "apple.com", "dhl.com", "fedex.com",
                 "microsoft.com", "netflix.com", "wellsfargo.com", "chase.com", "irs.gov"]


_dumps = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=True).encode


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        L = math.exp(-lam)
        k, p = 0, 1.0
        while True:
            p *= rng.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def binom(rng, n, p):
    if n <= 0 or p <= 0:
        return 0
    if n == 1:
        return 1 if rng.random() < p else 0
    if p < 0.05:
        return min(n, poisson(rng, n * p))
    if n < 40:
        r = rng.random
        return sum(1 for _ in range(n) if r() < p)
    mu = n * p
    if mu < 20:
        return min(n, poisson(rng, mu))
    return min(n, max(0, int(round(rng.gauss(mu, math.sqrt(mu * (1 - p)))))))


def cum(ws):
    out, s = [], 0.0
    for w in ws:
        s += w
        out.append(s)
    return out


CUM_HUMAN = cum(DIURNAL_HUMAN)
CUM_HOMEPC = cum(DIURNAL_HOMEPC)


def time_in_day(rng, day_start, cumw, tz=0):
    h = rng.choices(range(24), cum_weights=cumw)[0]
    return day_start + ((h - tz) % 24) * HOUR + rng.randrange(HOUR)


class Net:
    """Hands out unique public-looking IPv4 addresses grouped in /24s."""

    def __init__(self, rng):
        self.rng = rng
        self.used24 = set()
        self.usedip = set()

    def block(self, kind="any"):
        rng = self.rng
        while True:
            if kind == "residential":
                a = rng.choice([24, 46, 59, 71, 77, 78, 79, 82, 83, 86, 90, 91, 93, 95, 101,
                                109, 112, 113, 117, 118, 121, 122, 123, 171, 177, 179, 180,
                                181, 186, 187, 189, 190, 191, 197, 200, 201])
            elif kind == "hosting":
                a = rng.choice([5, 23, 37, 45, 51, 64, 66, 69, 104, 107, 138, 139, 142, 144,
                                149, 158, 162, 167, 172, 185, 192, 193, 194, 195, 198, 199,
                                208, 209, 212, 213, 216, 217])
            else:
                a = rng.randint(11, 223)
            b, c = rng.randrange(256), rng.randrange(256)
            if a in (100, 127, 169, 172, 192, 198) and rng.random() < 0.6:
                continue  # keep clear of the most common special ranges
            if (a, b, c) in self.used24:
                continue
            if (a == 172 and 16 <= b < 32) or (a == 192 and b == 168) or (a == 198 and b in (18, 19, 51)) \
                    or (a == 192 and b == 0) or (a == 100 and 64 <= b < 128) or a == 169:
                continue
            self.used24.add((a, b, c))
            return (a, b, c)

    def ip_in(self, blk, d=None):
        for _ in range(1000):
            dd = d if d is not None else self.rng.randint(2, 254)
            ip = "%d.%d.%d.%d" % (blk[0], blk[1], blk[2], dd)
            if ip not in self.usedip:
                self.usedip.add(ip)
                return ip
            d = None
        raise RuntimeError("block full")

    def ips(self, n, kind="any", per_block=1):
        out, blk, k = [], None, 0
        for _ in range(n):
            if blk is None or k >= per_block:
                blk, k = self.block(kind), 0
            out.append(self.ip_in(blk))
            k += 1
        return out


class Gen:
    def __init__(self, seed, scale, population):
        self.rng = random.Random("senders/%s/%d" % (population, seed))
        self.scale = scale
        self.net = Net(self.rng)
        self.buckets = {}
        self.seq = 0
        self.count = 0
        self.truth = {}
        self.end = T0 + NDAYS * DAY
        self.used_domains = set()

    def n(self, x, minimum=1):
        return max(minimum, int(round(x * self.scale)))

    def domain(self, cheap=False, words=2):
        rng = self.rng
        for _ in range(1000):
            w = [rng.choice(WORDS) for _ in range(words)]
            if rng.random() < 0.3:
                w.append(str(rng.randint(1, 99)))
            tld = rng.choice(TLDS_CHEAP if cheap else TLDS_LEGIT)
            sep = "-" if rng.random() < 0.25 else ""
            d = sep.join(w) + "." + tld
            if d not in self.used_domains:
                self.used_domains.add(d)
                return d
        raise RuntimeError("domains exhausted")

    def set_truth(self, ident, cls, bad_from=None):
        old = self.truth.get(ident)
        if old and old[1] is not None and bad_from is not None:
            bad_from = min(bad_from, old[1])
        self.truth[ident] = (cls, bad_from)

    def emit(self, t, ev):
        t = int(t)
        if t < T0 or t >= self.end:
            return
        ev["time"] = t
        d = (t - T0) // DAY
        self.seq += 1
        # serialise now: a wave day can hold a few hundred thousand events
        self.buckets.setdefault(d, []).append((t, self.seq, _dumps(ev)))


def msg(typ, ip, helo, mail_from, frm, dkim_domains, spf, dkim, dmarc, fcrdns, rcpt,
        one_click=None, feedback_id=None, list_id=None, verdict=None):
    ev = {"time": 0, "type": typ, "ip": ip, "helo": helo, "mail_from": mail_from, "from": frm,
          "dkim_domains": dkim_domains, "spf": spf, "dkim": dkim, "dmarc": dmarc,
          "fcrdns": fcrdns, "recipients": rcpt}
    if one_click is not None:
        ev["list_unsubscribe_one_click"] = one_click
    if feedback_id:
        ev["feedback_id"] = feedback_id
    if list_id:
        ev["list_id"] = list_id
    if verdict:
        ev["verdict"] = verdict
    return ev


def follow(g, t, base, typ, delay_lo, delay_hi, rcpt=1):
    """A feedback event (complaint, unsubscribe, notspam) about message `base`."""
    ev = dict(base)
    ev["type"] = typ
    ev["recipients"] = rcpt
    ev.pop("verdict", None)
    g.emit(t + g.rng.uniform(delay_lo, delay_hi), ev)


def deliver(g, t, ev, p_bounce, p_trap, p_spamverdict, p_complain, p_unsub=0.0,
            p_notspam=0.0, complain_uses_verdict=True):
    """Emit a message event plus its bounce/trap/feedback consequences.

    ev["recipients"] is the number of RCPT TO; unknown recipients produce a
    bounce event (5.1.1), trap addresses a trap event, the rest a message.
    """
    rng = g.rng
    n = ev["recipients"]
    nb = binom(rng, n, p_bounce)
    nt = binom(rng, n - nb, p_trap)
    ok = n - nb - nt
    if nb:
        b = dict(ev)
        b["type"] = "bounce"
        b["recipients"] = nb
        b.pop("verdict", None)
        g.emit(t + rng.randint(0, 3), b)
    if nt:
        tr = dict(ev)
        tr["type"] = "trap"
        tr["recipients"] = nt
        tr.pop("verdict", None)
        g.emit(t, tr)
    if ok <= 0:
        return
    m = dict(ev)
    m["recipients"] = ok
    spam = rng.random() < p_spamverdict
    m["verdict"] = "spam" if spam else "ham"
    g.emit(t, m)
    # Feedback from the recipients who saw it.
    inbox = ok if not spam else 0
    pc = p_complain if complain_uses_verdict else p_complain
    nc = binom(rng, inbox if complain_uses_verdict else ok, pc)
    for _ in range(min(nc, 20)):
        follow(g, t, ev, "complaint", 120, 2 * DAY)
    if p_unsub and inbox:
        for _ in range(min(binom(rng, inbox, p_unsub), 20)):
            follow(g, t, ev, "unsubscribe", 60, 3 * DAY)
    if spam and p_notspam:
        for _ in range(min(binom(rng, ok, p_notspam), 10)):
            follow(g, t, ev, "notspam", 600, 2 * DAY)


def rand_local(rng):
    return rng.choice(FIRST) + rng.choice(["", ".", "_"]) + \
        rng.choice([rng.choice(FIRST), str(rng.randint(1, 999)), rng.choice(WORDS)])


_JUNK = {}


def rand_junk(rng, lo=5, hi=10):
    """A random lowercase token; drawn from a per-length pool built once."""
    n = lo if lo == hi else lo + int(rng.random() * (hi - lo + 1))
    pool = _JUNK.get(n)
    if pool is None:
        prng = random.Random("junk%d" % n)
        pool = _JUNK[n] = ["".join(prng.choice(string.ascii_lowercase) for _ in range(n))
                           for _ in range(20000)]
    return pool[int(rng.random() * 20000)]


# ---------------------------------------------------------------- senders

class Botnet:
    """Spam botnet waves (Cutwail/Kelihos/Necurs-style template spam).

    Bots are residential IPs; each wave enrols a subset, bots are online on a
    home-PC diurnal cycle in their own time zone, and send short SMTP
    transactions with forged envelope/header senders, HELO strings from a
    per-family template (random word, address literal, fake dynamic name,
    the recipient's own domain), mostly without FCrDNS, to harvested lists
    with many unknown users.
    """

    def __init__(self, g, n_bots, waves, rate_scale, our_domains):
        rng = g.rng
        self.g = g
        self.our = our_domains
        self.bots = []
        for _ in range(n_bots):
            blk = g.net.block("residential")
            ip = g.net.ip_in(blk)
            tz = rng.choice([-5, -3, 0, 1, 2, 3, 5, 7, 8])
            style = rng.choices(["junk", "literal", "dyn", "ours", "pc", "bigdom"],
                                [30, 18, 22, 10, 10, 10])[0]
            isp = rng.choice(["dsl", "dyn", "cable", "pool", "adsl", "ppp", "broadband"]) + "." + \
                rng.choice(["telecom", "netvigator", "vtr", "ttnet", "rima-tde", "virtua",
                            "airtel", "speedy", "bezeqint", "vnpt", "tpnet"]) + "." + \
                rng.choice(["net", "com.br", "net.tr", "com.ar", "pl", "vn", "in", "es"])
            self.bots.append({"ip": ip, "tz": tz, "style": style, "isp": isp,
                              "rate": rng.lognormvariate(0, 1.1) * rate_scale,
                              "fcrdns": rng.random() < 0.12, "first": None})
        self.waves = []
        for w in waves:
            start, dur, frac, kind = w
            members = [b for b in self.bots if rng.random() < frac]
            self.waves.append((start, start + dur, members, kind))

    def helo(self, b):
        rng = self.g.rng
        s = b["style"]
        if s == "junk":
            return rand_junk(rng)
        if s == "literal":
            return "[%s]" % b["ip"]
        if s == "dyn":
            o = b["ip"].split(".")
            return "%s-%s-%s-%s.%s" % (rng.choice(["host", "ip", o[0]]), o[1], o[2], o[3], b["isp"])
        if s == "ours":
            return rng.choice(self.our)
        if s == "pc":
            return rng.choice(["User-PC", "HOME-PC", "localhost", "DESKTOP-" + rand_junk(rng, 7, 7).upper(),
                               "WIN-" + rand_junk(rng, 11, 11).upper()])
        return rng.choice(BIG_WEBMAIL)

    def sender(self, kind):
        rng = self.g.rng
        r = rng.random()
        if kind == "phish":
            dom = rng.choice(FORGED_BRANDS) if r < 0.6 else rng.choice(FORGED_BRANDS).split(".")[0] + \
                "-" + rng.choice(["secure", "support", "billing", "verify"]) + "." + rng.choice(TLDS_CHEAP)
        elif r < 0.35:
            dom = rng.choice(BIG_WEBMAIL)
        elif r < 0.55:
            dom = rng.choice(self.our)
        elif r < 0.8:
            dom = rand_junk(rng, 5, 12) + "." + rng.choice(["com", "net", "ru", "info", "cn", "br"])
        else:
            dom = rng.choice(WORDS) + rng.choice(WORDS) + "." + rng.choice(TLDS_CHEAP)
        return rand_local(rng) + "@" + dom, dom

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        for (ws, we, members, kind) in self.waves:
            if we <= ds or ws >= ds + DAY:
                continue
            lo, hi = max(ws, ds), min(we, ds + DAY)
            span_h = (hi - lo) / HOUR
            for b in members:
                n = poisson(rng, b["rate"] * span_h)
                for _ in range(n):
                    # home PC diurnal thinning in the bot's time zone
                    for _try in range(4):
                        t = rng.uniform(lo, hi)
                        lh = int(((t % DAY) / HOUR + b["tz"]) % 24)
                        if rng.random() < DIURNAL_HOMEPC[lh] / 5.2:
                            break
                    self.send(b, t, kind)

    def send(self, b, t, kind):
        g, rng = self.g, self.g.rng
        mf, mdom = self.sender(kind)
        if rng.random() < 0.7:
            frm, fdom = mf, mdom
        else:
            frm, fdom = self.sender(kind)
        if mdom in DMARC_REJECT or mdom in FORGED_BRANDS:
            spf = rng.choice(["fail", "fail", "softfail"])
        elif mdom in self.our:
            spf = "fail"
        else:
            spf = rng.choice(["none", "none", "none", "neutral", "permerror"])
        dmarc = "fail" if fdom in DMARC_REJECT or fdom in FORGED_BRANDS or fdom in self.our else "none"
        dkim_domains = []
        dkim = "none"
        if rng.random() < 0.04:   # broken forged signature
            dkim_domains, dkim = [fdom], "fail"
        rc = rng.choices([1, 2, 3, 5, 10, 20], [45, 15, 12, 12, 10, 6])[0]
        ev = msg("message", b["ip"], self.helo(b), mf, frm, dkim_domains, spf, dkim, dmarc,
                 b["fcrdns"], rc)
        if b["first"] is None or t < b["first"]:
            b["first"] = t
        deliver(g, t, ev, p_bounce=rng.choice([0.15, 0.3, 0.45]), p_trap=0.006,
                p_spamverdict=0.9 if kind != "phish" else 0.8, p_complain=0.02)

    def finish(self):
        for b in self.bots:
            if b["first"] is not None:
                self.g.set_truth("ip:" + b["ip"], "spammer", int(b["first"]))


class BulkSender:
    """A newsletter / marketing list (own IPs or an ESP pool)."""

    def __init__(self, g, dom, ips, helo_fmt, mf_dom, list_size, sends_per_week, esp=None,
                 one_click=True, feedback=False, p_bounce=0.008, p_complain=0.001, p_trap=0.00002,
                 p_spam=0.04, start=None, stop=None, cls="bulk", p_unsub=0.0015, tz=0):
        self.g = g
        self.dom, self.ips, self.helo_fmt, self.mf_dom = dom, ips, helo_fmt, mf_dom
        self.list_size, self.spw, self.esp = list_size, sends_per_week, esp
        self.one_click, self.feedback = one_click, feedback
        self.p = (p_bounce, p_trap, p_spam, p_complain, p_unsub)
        self.start = start or T0
        self.stop = stop or (T0 + NDAYS * DAY)
        self.cls = cls
        self.tz = tz
        rng = g.rng
        self.send_hour = rng.choice([6, 7, 8, 9, 10, 11, 14, 16, 17, 18])
        self.send_days = sorted(rng.sample(range(7), min(7, max(1, int(round(sends_per_week))))))
        self.first = None
        self.local = rng.choice(["news", "newsletter", "info", "hello", "offers", "team", "updates", "deals"])
        self.list_id = "%s.%s" % (rng.choice(["weekly", "promo", "members", "digest", "list"]), dom)
        self.campaign = 0

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        if ds + DAY <= self.start or ds >= self.stop:
            return
        wd = d % 7   # 2026-10-12 (day 0) is a Monday
        if self.spw < 1:
            if rng.random() >= self.spw / 7.0:
                return
        elif wd not in self.send_days:
            return
        t0 = ds + ((self.send_hour - self.tz) % 24) * HOUR + rng.randrange(1800)
        if t0 < self.start or t0 >= self.stop:
            return
        self.campaign += 1
        size = max(1, int(self.list_size * rng.uniform(0.85, 1.1)))
        spread = rng.uniform(0.3, 3.0) * HOUR * (1 + math.log10(max(10, size)) / 3)
        pb, pt, ps, pc, pu = self.p
        if self.cls == "bulk" and rng.random() < 0.03:
            # an occasional mailing to a stale segment: bounce and trap spike
            pb, pt, pc = min(0.4, pb * rng.uniform(4, 10)), pt * 20 + 0.0002, pc * 2
        fb = None
        if self.feedback:
            fb = "c%d:%s:%s:%s" % (rng.randint(1000, 9999), self.list_id.split(".")[0],
                                   self.dom, self.esp or "self")
        # batches of recipients, usually one per transaction (VERP), some grouped
        left = size
        while left > 0:
            rc = 1 if rng.random() < 0.8 else min(left, rng.randint(2, 20))
            left -= rc
            t = t0 + rng.random() * spread
            ip = rng.choice(self.ips)
            helo = self.helo_fmt % {"n": self.ips.index(ip) + 1}
            mf = "bounce-%s@%s" % (rand_junk(rng, 8, 8), self.mf_dom)
            dk = [self.dom] if self.esp is None else [self.dom, self.esp]
            ev = msg("message", ip, helo, mf, "%s@%s" % (self.local, self.dom), dk, "pass", "pass",
                     "pass", True, rc, one_click=self.one_click, feedback_id=fb,
                     list_id="<%s>" % self.list_id)
            if self.first is None or t < self.first:
                self.first = t
            deliver(g, t, ev, pb, pt, ps, pc, p_unsub=pu, p_notspam=0.08)

    def finish(self):
        if self.first is None:
            return
        bad = int(self.first) if self.cls in ("spammer", "compromised") else None
        self.g.set_truth("domain:" + self.dom, self.cls, bad)
        if self.esp is None:
            for ip in self.ips:
                self.g.set_truth("ip:" + ip, self.cls, bad)


class Transactional:
    """Receipts, password resets, notifications: steady, diurnal, 1 recipient."""

    def __init__(self, g, dom, ips, per_day, esp=None, helo_fmt=None, tz=0, record_ips=True):
        self.g, self.dom, self.ips, self.per_day, self.esp = g, dom, ips, per_day, esp
        self.helo_fmt = helo_fmt or ("mail%%(n)d.%s" % dom)
        self.tz = tz
        self.record_ips = record_ips
        self.cum = cum([w + 1.5 for w in DIURNAL_HUMAN])
        self.local = g.rng.choice(["noreply", "no-reply", "orders", "receipts", "alerts", "account",
                                   "notifications", "support"])
        self.sent = 0

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        n = poisson(rng, self.per_day * (0.8 + 0.4 * WEEKDAY_HUMAN[d % 7]) * rng.uniform(0.85, 1.15))
        for _ in range(n):
            t = time_in_day(rng, ds, self.cum, self.tz)
            ip = rng.choice(self.ips)
            dk = [self.dom] if self.esp is None else [self.dom, self.esp]
            mfd = self.dom if self.esp is None else "bounces." + self.esp
            ev = msg("message", ip, self.helo_fmt % {"n": self.ips.index(ip) + 1},
                     "%s@%s" % (self.local if self.esp is None else "b+" + rand_junk(rng, 6, 6), mfd),
                     "%s@%s" % (self.local, self.dom), dk, "pass",
                     "pass" if rng.random() > 0.002 else "fail", "pass", True, 1)
            deliver(g, t, ev, 0.006, 0.000005, 0.01, 0.0003, p_notspam=0.3)
            self.sent += 1

    def finish(self):
        if self.sent:
            self.g.set_truth("domain:" + self.dom, "transactional")
            if self.esp is None and self.record_ips:
                for ip in self.ips:
                    self.g.set_truth("ip:" + ip, "transactional")


class ESP:
    """An email service provider: a shared IP pool carrying many customers."""

    def __init__(self, g, name, n_ips, n_bulk, n_trans, bulk_size, trans_rate, bad=None):
        rng = g.rng
        self.g, self.name = g, name
        blk = g.net.block("hosting")
        self.ips = [g.net.ip_in(blk) for _ in range(min(n_ips, 60))]
        while len(self.ips) < n_ips:
            blk = g.net.block("hosting")
            self.ips += [g.net.ip_in(blk) for _ in range(min(n_ips - len(self.ips), 60))]
        helo = "o%(n)d." + name
        self.members = []
        for _ in range(n_bulk):
            dom = g.domain()
            self.members.append(BulkSender(
                g, dom, self.ips, helo, "bounces." + name,
                list_size=int(rng.lognormvariate(math.log(bulk_size), 1.0)) + 5,
                sends_per_week=rng.choice([0.5, 1, 1, 2, 3]), esp=name,
                one_click=rng.random() < 0.85, feedback=rng.random() < 0.6,
                p_bounce=rng.uniform(0.003, 0.02), p_complain=rng.uniform(0.0003, 0.002),
                p_spam=rng.uniform(0.02, 0.12), tz=rng.choice([-5, 0, 1])))
        for _ in range(n_trans):
            self.members.append(Transactional(g, g.domain(), self.ips,
                                              rng.lognormvariate(math.log(trans_rate), 0.8),
                                              esp=name, helo_fmt=helo))
        if bad:
            # A new customer with a bought list: high bounce, traps, complaints,
            # until the ESP's abuse desk terminates the account.
            start, days = bad
            dom = g.domain(cheap=rng.random() < 0.5)
            self.members.append(BulkSender(
                g, dom, self.ips, helo, "bounces." + name,
                list_size=int(bulk_size * rng.uniform(3, 8)), sends_per_week=7, esp=name,
                one_click=True, feedback=rng.random() < 0.5, p_bounce=rng.uniform(0.06, 0.18),
                p_complain=rng.uniform(0.004, 0.015), p_trap=rng.uniform(0.0005, 0.003),
                p_spam=rng.uniform(0.35, 0.6), start=start, stop=start + days * DAY,
                cls="spammer", p_unsub=0.004))

    def day(self, d):
        for m in self.members:
            m.day(d)

    def finish(self):
        for m in self.members:
            m.finish()
        for ip in self.ips:
            self.g.set_truth("ip:" + ip, "bulk")


class Snowshoe:
    """Snowshoe spam: many hosting IPs in several /24s, one throwaway domain per
    IP (rotated every few days), every message properly authenticated (SPF,
    DKIM, DMARC pass, matching FCrDNS/HELO), list-unsubscribe present, modest
    volume per IP."""

    def __init__(self, g, n_blocks, ips_per_block, per_ip_day, rotate_days, start):
        rng = g.rng
        self.g = g
        self.slots = []
        for _ in range(n_blocks):
            blk = g.net.block("hosting")
            for _ in range(ips_per_block):
                self.slots.append({"ip": g.net.ip_in(blk), "doms": []})
        self.per_ip_day = per_ip_day
        self.rotate = rotate_days
        self.start = start
        self.first = {}
        self.cheap = rng.random() < 0.6

    def dom_for(self, slot, d):
        rng = self.g.rng
        k = int(max(0, d - (self.start - T0) // DAY) // self.rotate)
        while len(slot["doms"]) <= k:
            slot["doms"].append(self.g.domain(cheap=self.cheap and rng.random() < 0.8))
        return slot["doms"][k]

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        if ds + DAY <= self.start:
            return
        active = [s for s in self.slots if rng.random() < 0.85]
        for s in active:
            dom = self.dom_for(s, d)
            n = poisson(rng, self.per_ip_day * rng.uniform(0.5, 1.5))
            # snowshoers send in short bursts during business hours
            base = ds + rng.choice([13, 14, 15, 16, 17, 18]) * HOUR
            for _ in range(n):
                t = max(self.start, base + rng.expovariate(1 / 2400.0))
                ev = msg("message", s["ip"], "mail.%s" % dom,
                         "%s@%s" % (rand_junk(rng, 6, 10), dom),
                         "%s@%s" % (rng.choice(["offers", "deals", "info", "savings", "support",
                                                "rewards", "members"]), dom),
                         [dom], "pass", "pass", "pass", True, rng.choices([1, 2, 3], [80, 12, 8])[0],
                         one_click=rng.random() < 0.5, list_id=None)
                for ident in ("ip:" + s["ip"], "domain:" + dom):
                    if ident not in self.first or t < self.first[ident]:
                        self.first[ident] = t
                deliver(g, t, ev, p_bounce=rng.uniform(0.03, 0.1), p_trap=0.004,
                        p_spamverdict=0.55, p_complain=0.006, p_unsub=0.003, p_notspam=0.002)

    def finish(self):
        for ident, t in self.first.items():
            self.g.set_truth(ident, "spammer", int(t))


class SmallOrg:
    """A small organisation's own mail server: little, human-paced mail; may get
    compromised (stolen credentials -> authenticated spam/phishing burst)."""

    def __init__(self, g, per_day, compromise_at=None, own_ip=True, provider_ips=None,
                 provider=None, imperfect=True, active_days=None):
        rng = g.rng
        self.g = g
        self.dom = g.domain()
        self.own_ip = own_ip
        if own_ip:
            self.ips = [g.net.ips(1, "hosting" if rng.random() < 0.5 else "any")[0]]
            self.helo = rng.choice(["mail", "mx", "smtp", "exchange", "srv01"]) + "." + self.dom
            self.fcrdns = (rng.random() < 0.85) if imperfect else True
        else:
            self.ips = provider_ips
            self.helo = None
            self.fcrdns = True
        self.provider = provider
        self.per_day = per_day
        self.comp = compromise_at
        self.comp_end = None
        if compromise_at:
            self.comp_end = compromise_at + rng.uniform(2, 24) * HOUR
            self.burst_rate = rng.uniform(30, 400)   # messages/hour while hijacked
        q = rng.random()
        if not imperfect or q < 0.65:
            self.auth = ("pass", "pass", "pass")
        elif q < 0.8:
            self.auth = ("pass", "none", "pass")
        elif q < 0.9:
            self.auth = ("softfail", "pass", "pass")
        else:
            self.auth = ("none", "none", "none")
        self.users = [rand_local(rng) for _ in range(rng.randint(1, 8))]
        self.tz = rng.choice([-8, -5, 0, 1, 2])
        self.active_days = active_days
        self.sent = 0
        self.first_bad = None

    def _ev(self, rng, user, rc):
        ip = rng.choice(self.ips)
        helo = self.helo or ("out-%d.%s" % (rng.randint(1, 40), self.provider))
        spf, dkim, dmarc = self.auth
        dk = [self.dom] if dkim != "none" else []
        if self.provider:
            dk = [self.dom, self.provider]
        return msg("message", ip, helo, "%s@%s" % (user, self.dom), "%s@%s" % (user, self.dom), dk,
                   spf, dkim, dmarc, self.fcrdns, rc)

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        if self.active_days is not None and d not in self.active_days:
            pass
        else:
            n = poisson(rng, self.per_day * WEEKDAY_HUMAN[d % 7])
            for _ in range(n):
                t = time_in_day(rng, ds, CUM_HUMAN, self.tz)
                ev = self._ev(rng, rng.choice(self.users), rng.choices([1, 2, 3, 6], [70, 15, 10, 5])[0])
                deliver(g, t, ev, 0.01, 0.0, 0.03, 0.0005, p_notspam=0.4)
                self.sent += 1
        if self.comp and self.comp < ds + DAY and self.comp_end > ds:
            lo, hi = max(self.comp, ds), min(self.comp_end, ds + DAY)
            n = poisson(rng, self.burst_rate * (hi - lo) / HOUR)
            victim = rng.choice(self.users)
            for _ in range(n):
                t = rng.uniform(lo, hi)
                ev = self._ev(rng, victim, rng.choices([1, 5, 20, 50], [30, 30, 25, 15])[0])
                if self.first_bad is None or t < self.first_bad:
                    self.first_bad = t
                deliver(g, t, ev, p_bounce=rng.uniform(0.08, 0.25), p_trap=0.003,
                        p_spamverdict=0.6, p_complain=0.02, p_notspam=0.01)
                self.sent += 1

    def finish(self):
        if not self.sent:
            return
        if self.first_bad is not None:
            self.g.set_truth("domain:" + self.dom, "compromised", int(self.first_bad))
            if self.own_ip:
                self.g.set_truth("ip:" + self.ips[0], "compromised", int(self.first_bad))
        else:
            # low-volume legitimate sender -> unknown
            self.g.set_truth("domain:" + self.dom, "unknown")
            if self.own_ip:
                self.g.set_truth("ip:" + self.ips[0], "unknown")


class HackedWeb:
    """A compromised web server (CMS plugin / PHP mailer) on a hosting IP that
    was sending only a site's contact-form mail before the hack."""

    def __init__(self, g, compromise_at):
        rng = g.rng
        self.g = g
        self.ip = g.net.ips(1, "hosting")[0]
        self.host = "vps%d.%s" % (rng.randint(100, 99999), rng.choice(["hostingco.net", "webspace.de",
                                                                     "cheapvps.com", "srvhost.eu"]))
        self.site = g.domain()
        self.comp = compromise_at
        self.end = compromise_at + rng.uniform(1, 6) * DAY
        self.rate = rng.uniform(10, 80)
        self.first_bad = None
        self.sent = 0

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        for _ in range(poisson(rng, 3)):
            t = time_in_day(rng, ds, CUM_HUMAN)
            ev = msg("message", self.ip, self.host, "www-data@" + self.host, "wordpress@" + self.site,
                     [], "none", "none", "none", True, 1)
            deliver(g, t, ev, 0.01, 0, 0.05, 0.0)
            self.sent += 1
        if self.comp < ds + DAY and self.end > ds:
            lo, hi = max(self.comp, ds), min(self.end, ds + DAY)
            for _ in range(poisson(rng, self.rate * (hi - lo) / HOUR)):
                t = rng.uniform(lo, hi)
                dom = rng.choice([self.site, rng.choice(FORGED_BRANDS), rng.choice(BIG_WEBMAIL)])
                ev = msg("message", self.ip, self.host, "www-data@" + self.host, rand_local(rng) + "@" + dom,
                         [], "none", "none", "fail" if dom in DMARC_REJECT or dom in FORGED_BRANDS else "none",
                         True, rng.choice([1, 1, 3, 10]))
                if self.first_bad is None or t < self.first_bad:
                    self.first_bad = t
                deliver(g, t, ev, 0.2, 0.004, 0.75, 0.02)
                self.sent += 1

    def finish(self):
        if self.first_bad is not None:
            self.g.set_truth("ip:" + self.ip, "compromised", int(self.first_bad))


class Webmail:
    """Person-to-person mail from big webmail providers (identities not judged)."""

    def __init__(self, g, dom, n_ips, per_day):
        self.g, self.dom, self.per_day = g, dom, per_day
        self.ips = g.net.ips(n_ips, "any", per_block=16)
        self.short = dom.split(".")[0]

    def day(self, d):
        g, rng = self.g, self.g.rng
        ds = T0 + d * DAY
        for _ in range(poisson(rng, self.per_day * (0.7 + 0.3 * WEEKDAY_HUMAN[d % 7]))):
            t = time_in_day(rng, ds, CUM_HUMAN, rng.choice([-5, 0, 1]))
            u = rand_local(rng)
            ev = msg("message", rng.choice(self.ips), "mail-%s.out.%s" % (rand_junk(rng, 4, 4), self.dom),
                     "%s@%s" % (u, self.dom), "%s@%s" % (u, self.dom), [self.dom], "pass", "pass", "pass",
                     True, rng.choices([1, 2, 4], [80, 15, 5])[0])
            deliver(g, t, ev, 0.015, 0.0, 0.02, 0.0003, p_notspam=0.3)

    def finish(self):
        pass


# ---------------------------------------------------------------- worlds

def world_isp(g):
    rng = g.rng
    ents = []
    our = ["mail.%s" % d for d in ("isp-example.net",)] + ["isp-example.net", "customers.isp-example.net"]
    # Botnet: 2-4 waves over three weeks on a shared bot population.
    n_bots = g.n(9000, 20)
    waves = []
    t = T0 + rng.uniform(0.5, 3) * DAY
    for _ in range(rng.randint(3, 5)):
        dur = rng.uniform(0.7, 4) * DAY
        waves.append((t, dur, rng.uniform(0.25, 0.7), rng.choice(["pharma", "phish", "dating", "stock", "419"])))
        t += dur + rng.uniform(0.3, 4) * DAY
        if t > T0 + (NDAYS - 1) * DAY:
            break
    ents.append(Botnet(g, n_bots, waves, rate_scale=0.45, our_domains=our[1:]))
    # Snowshoe: modest.
    ents.append(Snowshoe(g, n_blocks=g.n(6, 1), ips_per_block=rng.randint(8, 20), per_ip_day=35,
                         rotate_days=rng.randint(3, 7), start=T0 + rng.uniform(1, 8) * DAY))
    # Newsletters with own IPs.
    for _ in range(g.n(60, 3)):
        dom = g.domain()
        ips = g.net.ips(rng.choice([1, 1, 2, 4]), "hosting", per_block=4)
        ents.append(BulkSender(g, dom, ips, "mta%(n)d.mail." + dom, "bounce." + dom,
                               list_size=int(rng.lognormvariate(math.log(1500), 1.2)) + 20,
                               sends_per_week=rng.choice([0.3, 0.5, 1, 1, 2, 3, 5]),
                               one_click=rng.random() < 0.6, feedback=rng.random() < 0.2,
                               p_bounce=rng.uniform(0.002, 0.03), p_complain=rng.uniform(0.0002, 0.003),
                               p_spam=rng.uniform(0.01, 0.15), tz=rng.choice([-5, 0, 1, 2])))
    # Transactional with own IPs.
    for _ in range(g.n(40, 2)):
        dom = g.domain()
        ips = g.net.ips(rng.choice([1, 2, 3]), "hosting", per_block=3)
        ents.append(Transactional(g, dom, ips, rng.lognormvariate(math.log(120), 1.0),
                                  helo_fmt="smtp%(n)d." + dom, tz=rng.choice([-5, 0, 1])))
    # One ESP, no bad customer here (the bad customer lives in the other population).
    ents.append(ESP(g, "sendwave-esp.net", g.n(24, 2), g.n(80, 2), g.n(20, 1), 800, 60))
    # Webmail (not judged).
    for dom in ("gmail.com", "outlook.com", "yahoo.com", "gmx.de"):
        ents.append(Webmail(g, dom, 40, g.n(1500) * (2 if dom == "gmail.com" else 1)))
    # Small organisations: mostly legit low volume; some compromised.
    n_small = g.n(2500, 10)
    n_comp = g.n(25, 2)
    for i in range(n_small):
        comp = T0 + rng.uniform(2, NDAYS - 0.5) * DAY if i < n_comp else None
        days = None
        if rng.random() < 0.5:
            days = set(rng.sample(range(NDAYS), rng.randint(1, 5)))
        ents.append(SmallOrg(g, rng.lognormvariate(math.log(1.5), 1.0), compromise_at=comp,
                             active_days=days))
    for _ in range(g.n(12, 1)):
        ents.append(HackedWeb(g, T0 + rng.uniform(1, NDAYS - 1) * DAY))
    return ents


def world_mbp(g):
    rng = g.rng
    ents = []
    # Thin botnet tail.
    n_bots = g.n(3000, 10)
    waves = [(T0 + rng.uniform(0, 15) * DAY, rng.uniform(1, 5) * DAY, 0.6, rng.choice(["phish", "pharma"]))
             for _ in range(2)]
    ents.append(Botnet(g, n_bots, waves, rate_scale=0.5, our_domains=["mbox-provider.com"]))
    # Heavy snowshoe: two operations with different habits.
    ents.append(Snowshoe(g, n_blocks=g.n(14, 1), ips_per_block=rng.randint(10, 40), per_ip_day=35,
                         rotate_days=rng.randint(2, 4), start=T0 + rng.uniform(0, 3) * DAY))
    ents.append(Snowshoe(g, n_blocks=g.n(5, 1), ips_per_block=rng.randint(30, 60), per_ip_day=20,
                         rotate_days=rng.randint(7, 14), start=T0 + rng.uniform(5, 12) * DAY))
    # ESPs: three; one carries a bad customer mid-window, another a second one late.
    ents.append(ESP(g, "mailpump-esp.com", g.n(48, 2), g.n(180, 3), g.n(40, 1), 550, 50,
                    bad=(T0 + rng.uniform(4, 12) * DAY, rng.uniform(2, 6))))
    ents.append(ESP(g, "postcrest.io", g.n(16, 2), g.n(60, 2), g.n(25, 1), 400, 40))
    ents.append(ESP(g, "bulkly-mailer.net", g.n(8, 1), g.n(40, 2), g.n(5, 1), 250, 40,
                    bad=(T0 + rng.uniform(10, 18) * DAY, rng.uniform(1, 3))))
    # Big-brand newsletters with Feedback-ID and one-click unsubscribe.
    for _ in range(g.n(40, 2)):
        dom = g.domain()
        ips = g.net.ips(rng.choice([2, 4, 8]), "hosting", per_block=8)
        ents.append(BulkSender(g, dom, ips, "mta%(n)d.em." + dom, "em." + dom,
                               list_size=int(rng.lognormvariate(math.log(1500), 1.0)) + 100,
                               sends_per_week=rng.choice([1, 2, 3, 5, 7]), one_click=True, feedback=True,
                               p_bounce=rng.uniform(0.002, 0.01), p_complain=rng.uniform(0.0003, 0.002),
                               p_spam=rng.uniform(0.01, 0.08), tz=rng.choice([-8, -5, 0])))
    for _ in range(g.n(30, 2)):
        dom = g.domain()
        ips = g.net.ips(rng.choice([1, 2, 4]), "hosting", per_block=4)
        ents.append(Transactional(g, dom, ips, rng.lognormvariate(math.log(60), 1.0),
                                  helo_fmt="out%(n)d." + dom, tz=rng.choice([-8, -5, 0])))
    # Hosted tenants on a big cloud-mail provider (shared outbound IPs, not judged):
    # small businesses, some compromised (authenticated, from their own accounts).
    prov_ips = g.net.ips(64, "any", per_block=32)
    n_ten = g.n(1500, 8)
    n_comp = g.n(40, 2)
    for i in range(n_ten):
        comp = T0 + rng.uniform(1, NDAYS - 0.5) * DAY if i < n_comp else None
        ents.append(SmallOrg(g, rng.lognormvariate(math.log(1.5), 1.0), compromise_at=comp, own_ip=False,
                             provider_ips=prov_ips, provider="cloudmail-host.com", imperfect=False))
    # Self-hosted small senders.
    for i in range(g.n(1200, 5)):
        comp = T0 + rng.uniform(2, NDAYS - 0.5) * DAY if i < g.n(10, 1) else None
        days = set(rng.sample(range(NDAYS), rng.randint(1, 6))) if rng.random() < 0.6 else None
        ents.append(SmallOrg(g, rng.lognormvariate(math.log(1), 1.0), compromise_at=comp, active_days=days))
    for dom in ("gmail.com", "outlook.com", "yahoo.com"):
        ents.append(Webmail(g, dom, 40, g.n(1000)))
    return ents


POPULATIONS = {"isp_inbound": world_isp, "mailbox_provider": world_mbp}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="isp_inbound", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    g = Gen(a.seed, a.scale, a.population)
    ents = POPULATIONS[a.population](g)
    path = os.path.join(a.out, "events.jsonl")
    with open(path, "w") as f:
        for d in range(NDAYS):
            for e in ents:
                e.day(d)
            chunk = g.buckets.pop(d, [])
            chunk.sort(key=lambda x: (x[0], x[1]))
            lines = [x[2] for x in chunk]
            if lines:
                f.write("\n".join(lines))
                f.write("\n")
            g.count += len(lines)
    for e in ents:
        e.finish()
    with open(os.path.join(a.out, "truth.csv"), "w") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(g.truth):
            cls, bad = g.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bad is None or cls not in ("spammer", "compromised")
                                    else int(bad)))
    meta = {"population": a.population, "seed": a.seed, "start": T0, "end": T0 + NDAYS * DAY,
            "events": g.count, "identities": len(g.truth)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

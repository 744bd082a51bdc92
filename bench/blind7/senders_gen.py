#!/usr/bin/env python3
"""Blind round 7: sender-population generator (reputation classes).

Writes events.jsonl, truth.csv, meta.json into --out (see FORMAT.md).
Standard library only; deterministic for a given --seed/--population/--scale.

Populations:
  isp_inbound      an access ISP's inbound MX: freemail and corporate mail, bulk
                   and transactional senders, thousands of tiny legitimate
                   senders, three botnet spam waves (forged senders, generic
                   HELOs, address literals, no FCrDNS, dictionary bounces),
                   a small snowshoe operation and hacked small-business /
                   web-hosting servers that start spamming mid-period.
  mailbox_provider a large mailbox provider's inbound view: ESP shared pools
                   that each carry one bad customer, dedicated-IP newsletters
                   (list-id, feedback-id, one-click unsubscribe), transactional
                   mail, two snowshoe operations with valid SPF/DKIM/DMARC,
                   phished accounts at other providers' relays (sudden
                   authenticated bursts), account takeover of an ESP customer,
                   low-data senders and background bot spam.
See README.md for the published descriptions each behaviour is based on.
"""
import argparse
import bisect
import calendar
import json
import math
import os
import random

DAY = 86400
POPULATIONS = ("isp_inbound", "mailbox_provider")

TLDS = ["com"] * 10 + ["net"] * 3 + ["org"] * 2 + ["de", "co.uk", "fr", "nl", "it", "es", "pl", "biz", "info", "us", "ca", "com.br", "ru", "io", "co"]
SYL = ["ka", "lo", "mi", "ter", "sun", "var", "no", "bel", "tra", "den", "pro", "max", "nova", "lin", "cor", "rex", "ta", "vi", "mon", "zen",
       "al", "ber", "cas", "dor", "el", "fin", "gal", "har", "is", "jo", "kel", "lum", "mar", "nor", "or", "pel", "quin", "ros", "sal", "tor"]
WORDS = ["shop", "mail", "news", "deals", "bank", "pay", "travel", "media", "club", "store", "group", "hub", "labs", "market", "health", "home",
         "auto", "fashion", "tech", "cloud", "energy", "press", "games", "books", "sport", "garden", "food", "wine", "kids", "pets"]
SPAM_WORDS = ["rx", "meds", "pharma", "pills", "loan", "casino", "replica", "deal", "offer", "promo", "bonus", "prize", "win", "cash", "secure",
              "verify", "support", "alert", "update", "gift", "rewards", "crypto", "invest", "trade", "slim", "dating"]
SPAM_TLDS = ["ru", "info", "top", "xyz", "club", "online", "site", "biz", "click", "link", "cn", "su", "pw", "work", "icu"]
BOT_HELOS = ["localhost", "user-pc", "ylmf-pc", "dell-pc", "home-pc", "admin", "pc", "windows", "default", "mail", "smtp", "unknown", "desktop"]


def word(rng, n=None):
    n = n or rng.choice((2, 2, 3))
    return "".join(rng.choice(SYL) for _ in range(n))


class World:
    def __init__(self, seed, pop, scale):
        self.rng = random.Random("senders:%s:%d" % (pop, seed))
        self.seed, self.pop, self.scale = seed, pop, scale
        self.days = 21
        self.t0 = calendar.timegm((2026, 10, 12, 0, 0, 0)) if pop == "isp_inbound" else calendar.timegm((2026, 9, 28, 0, 0, 0))
        self.t1 = self.t0 + self.days * DAY
        self.used_ips = set()
        self.used_domains = set()
        self.entities = []
        self.truth = {}          # identity -> (class, bad_from)
        self.tz = -5 if pop == "isp_inbound" else 1
        # diurnal profile for recipients' local time (person-to-person / transactional)
        prof = [0.25, 0.18, 0.14, 0.12, 0.14, 0.25, 0.55, 0.9, 1.2, 1.35, 1.4, 1.4, 1.35, 1.35, 1.4, 1.4, 1.35, 1.25, 1.1, 1.0, 0.95, 0.85, 0.6, 0.4]
        self.prof_cum = []
        s = 0.0
        for h in range(24):
            s += prof[(h + self.tz) % 24]
            self.prof_cum.append(s)
        self.verdict_p = 1.0 if pop == "isp_inbound" else 0.6

    # ---------- helpers
    def domain(self, kind="legit"):
        r = self.rng
        while True:
            if kind == "legit":
                d = r.choice((word(r) + r.choice(WORDS), word(r), r.choice(WORDS) + word(r, 1), word(r) + "-" + r.choice(WORDS))) + "." + r.choice(TLDS)
            elif kind == "spam":
                d = r.choice(SPAM_WORDS) + r.choice(("-", "")) + r.choice((word(r, 1), r.choice(SPAM_WORDS), str(r.randint(1, 999)))) + "." + r.choice(SPAM_TLDS)
            elif kind == "snow":
                d = word(r, r.choice((2, 3))) + r.choice(("media", "mktg", "reach", "direct", "daily", "offers", "leads", "digital", "connect", "news", "")) + "." + r.choice(("com", "net", "us", "biz", "info", "co"))
            if d not in self.used_domains:
                self.used_domains.add(d)
                return d

    def prefix24(self, kind):
        """Random /24 prefix string 'a.b.c' from a plausible block."""
        r = self.rng
        while True:
            if kind == "residential":
                a = r.choice((24, 67, 71, 76, 77, 78, 79, 82, 84, 86, 87, 88, 89, 90, 93, 94, 95, 109, 112, 113, 115, 116, 117, 118, 119, 122, 123, 125,
                              171, 175, 177, 179, 180, 181, 182, 186, 187, 189, 190, 191, 197, 200, 201, 212, 213, 217, 36, 39, 41, 42, 46, 49, 5, 14, 27, 31, 37, 58, 59, 60, 61))
            elif kind == "hosting":
                a = r.choice((5, 23, 45, 46, 50, 62, 64, 66, 69, 74, 80, 81, 85, 91, 92, 104, 107, 138, 139, 142, 144, 146, 148, 149, 151, 155, 158, 162, 167, 172, 173, 176, 178, 185, 192, 193, 194, 195, 198, 199, 204, 205, 206, 207, 208, 209, 216))
            else:  # corporate / esp
                a = r.choice((12, 13, 17, 20, 34, 35, 38, 40, 52, 54, 63, 64, 65, 66, 68, 69, 70, 72, 74, 75, 96, 98, 99, 129, 130, 131, 134, 136, 140, 141, 147, 156, 159, 161, 164, 165, 168, 170, 192, 198, 199, 204, 205, 206, 207, 208, 209, 216))
            p = "%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255))
            if p not in self.used_ips:
                self.used_ips.add(p)
                return p

    def ips(self, kind, n, per24=None):
        r = self.rng
        out = []
        per24 = per24 or n
        while len(out) < n:
            p = self.prefix24(kind)
            hosts = r.sample(range(2, 254), min(per24, n - len(out), 250))
            if per24 >= 8 and kind != "residential":
                start = r.randint(2, 253 - min(per24, 250))
                hosts = list(range(start, start + min(per24, n - len(out), 250)))
            out.extend("%s.%d" % (p, h) for h in hosts)
        return out

    def when(self, day_start):
        r = self.rng
        h = bisect.bisect_left(self.prof_cum, r.random() * self.prof_cum[-1])
        return day_start + h * 3600 + r.randrange(3600)

    def poisson(self, lam):
        r = self.rng
        if lam <= 0:
            return 0
        if lam < 30:
            L, k, p = math.exp(-lam), 0, 1.0
            while True:
                p *= r.random()
                if p <= L:
                    return k
                k += 1
        return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))

    def judge(self, ident, cls, bad_from=None):
        prev = self.truth.get(ident)
        if prev and prev[1] is not None and bad_from is not None:
            bad_from = min(bad_from, prev[1])
        self.truth[ident] = (cls, bad_from)


def ev(t, typ, ip, **kw):
    d = {"time": int(t), "type": typ, "ip": ip}
    d.update(kw)
    return d


class Sender:
    """A sending identity (or pool). gen(world, day, day_start, out) appends (time, dict)."""

    def gen(self, w, day, ds, out):
        raise NotImplementedError


def followups(w, out, t, ip, msg, n_rcpt, rates, helo=None):
    """Bounce/complaint/trap/unsubscribe/notspam events attributed to a delivered message."""
    r = w.rng
    base = {k: msg[k] for k in ("mail_from", "from", "dkim_domains", "feedback_id", "list_id") if k in msg}
    for _ in range(n_rcpt):
        x = r.random()
        acc = rates.get("bounce", 0)
        if x < acc:
            out.append((t + r.randint(1, 900), ev(t + 0, "bounce", ip, **base)))
            continue
        acc += rates.get("trap", 0)
        if x < acc:
            d = ev(t, "trap", ip, helo=helo or msg.get("helo", ""), **base)
            out.append((t + r.randint(0, 120), d))
            continue
        spam = msg.get("verdict") == "spam"
        if spam:
            if r.random() < rates.get("notspam", 0):
                out.append((t + int(r.expovariate(1 / 20000.0)) + 60, ev(t, "notspam", ip, **base)))
            continue
        acc += rates.get("complaint", 0)
        if x < acc:
            out.append((t + int(r.expovariate(1 / 30000.0)) + 30, ev(t, "complaint", ip, **base)))
            continue
        acc += rates.get("unsub", 0)
        if x < acc:
            out.append((t + int(r.expovariate(1 / 40000.0)) + 30, ev(t, "unsubscribe", ip, **base)))


def fix_times(out):
    for i, (t, d) in enumerate(out):
        d["time"] = int(t)


def verdict(w, p_spam):
    if w.rng.random() >= w.verdict_p:
        return None
    return "spam" if w.rng.random() < p_spam else "ham"


def message(w, t, ip, helo, mail_from, frm, dkim, spf, dkim_r, dmarc, fcrdns, rcpt, p_spam, extra=None):
    d = {"time": int(t), "type": "message", "ip": ip, "helo": helo, "mail_from": mail_from, "from": frm,
         "dkim_domains": dkim, "spf": spf, "dkim": dkim_r, "dmarc": dmarc, "fcrdns": fcrdns, "recipients": rcpt}
    if extra:
        d.update(extra)
    v = verdict(w, p_spam)
    if v:
        d["verdict"] = v
    return d


# ---------------------------------------------------------------- legitimate
class Freemail(Sender):
    """Person-to-person mail through a large provider's outbound relays (not judged)."""

    def __init__(self, w, n_ips, per_day):
        self.dom = w.domain()
        self.ips = w.ips("corporate", n_ips, per24=n_ips)
        self.per_day = per_day

    def gen(self, w, day, ds, out):
        r = w.rng
        wk = 0.7 if (day % 7) >= 5 else 1.0
        for _ in range(w.poisson(self.per_day * wk)):
            t = w.when(ds)
            ip = r.choice(self.ips)
            user = word(r) + str(r.randint(1, 99))
            fr = user + "@" + self.dom
            m = message(w, t, ip, "mail-%s.%s" % (ip.split(".")[-1], self.dom), fr, fr, [self.dom], "pass", "pass", "pass", True,
                        1 if r.random() < 0.85 else r.randint(2, 6), 0.015)
            out.append((t, m))
            if r.random() < 0.004:
                out.append((t + r.randint(1, 600), ev(t, "bounce", ip, mail_from=fr, **{"from": fr})))
            if m.get("verdict") == "spam" and r.random() < 0.15:
                out.append((t + r.randint(300, 90000), ev(t, "notspam", ip, mail_from=fr, **{"from": fr}, dkim_domains=[self.dom])))


class Bulk(Sender):
    """Newsletter / marketing sender with a list: blasts on a schedule."""

    def __init__(self, w, dom, ips, list_size, cadence, p_spam, rates, one_click, esp=None, helo_dom=None, start_day=0, mailfrom_dom=None):
        r = w.rng
        self.dom, self.ips, self.list_size = dom, ips, list_size
        self.cadence = cadence  # sends per week
        self.send_days = set(r.sample(range(7), min(7, cadence))) if cadence <= 7 else set(range(7))
        self.hour = r.choice((6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19))
        self.p_spam, self.rates, self.one_click = p_spam, rates, one_click
        self.esp = esp
        self.helo_dom = helo_dom or dom
        self.mf_dom = mailfrom_dom or ("bounce." + dom if r.random() < 0.5 else "em." + dom)
        self.start_day = start_day
        self.lists = ["%s.%s" % (x, dom) for x in r.sample(("news", "offers", "weekly", "updates", "digest", "promo", "members"), r.randint(1, 3))]
        self.fbl_cust = str(r.randint(1000, 99999))
        self.dkim = [dom] + ([esp] if esp and r.random() < 0.6 else [])
        self.fcrdns = True
        self.auth = ("pass", "pass", "pass")

    def blast(self, w, ds, day, out, size, list_id):
        r = w.rng
        start = ds + ((self.hour - w.tz) % 24) * 3600 + r.randrange(1800)
        dur = max(600, size * r.uniform(0.05, 0.5))
        camp = "c%d" % r.randint(10000, 99999)
        sent = 0
        while sent < size:
            t = start + dur * r.random() ** 1.3
            ip = r.choice(self.ips)
            rc = 1 if r.random() < 0.9 else r.randint(2, 8)
            sent += rc
            local = r.choice(("news", "info", "hello", "team", "offers", "noreply"))
            extra = {"list_id": list_id, "feedback_id": "%s:%s:%s:%s" % (camp, self.fbl_cust, "newsletter", self.esp or self.dom)}
            if self.one_click:
                extra["list_unsubscribe_one_click"] = True
            spf, dk, dm = self.auth
            m = message(w, t, ip, self.helo_for(ip), "b-%x@%s" % (r.getrandbits(32), self.mf_dom), "%s@%s" % (local, self.dom),
                        self.dkim, spf, dk, dm, self.fcrdns, rc, self.p_spam, extra)
            out.append((t, m))
            followups(w, out, t, ip, m, rc, self.rates)

    def helo_for(self, ip):
        return "o%s.%s" % (ip.split(".")[-1], self.helo_dom) if self.esp else "mta%s.%s" % (ip.split(".")[-1], self.helo_dom)

    def gen(self, w, day, ds, out):
        if day < self.start_day:
            return
        if (day % 7) in self.send_days:
            self.blast(w, ds, day, out, int(self.list_size * w.rng.uniform(0.85, 1.1)), w.rng.choice(self.lists))


class Transactional(Sender):
    def __init__(self, w, dom, ips, per_day, esp=None, p_spam=0.004):
        r = w.rng
        self.dom, self.ips, self.per_day, self.esp, self.p_spam = dom, ips, per_day, esp, p_spam
        self.locals = r.sample(("receipts", "orders", "noreply", "no-reply", "alerts", "security", "account", "billing", "notifications", "support", "shipping"), 3)
        self.rates = {"bounce": r.uniform(0.002, 0.012), "complaint": r.uniform(0.00005, 0.0006), "trap": 0.00002, "notspam": 0.4}
        self.helo_dom = esp or dom
        self.mf = "bounces." + dom if r.random() < 0.6 else dom

    def gen(self, w, day, ds, out):
        r = w.rng
        wk = 0.8 if (day % 7) >= 5 else 1.0
        for _ in range(w.poisson(self.per_day * wk)):
            t = w.when(ds)
            ip = r.choice(self.ips)
            m = message(w, t, ip, "smtp%s.%s" % (ip.split(".")[-1], self.helo_dom), "%s@%s" % (r.choice(self.locals), self.mf),
                        "%s@%s" % (r.choice(self.locals), self.dom), [self.dom] + ([self.esp] if self.esp else []), "pass", "pass", "pass", True, 1, self.p_spam)
            out.append((t, m))
            followups(w, out, t, ip, m, 1, self.rates)


class SmallSender(Sender):
    """Low-volume legitimate sender (own small server or hosted): a few messages over the period."""

    def __init__(self, w, ip, dom, total, shared=False):
        r = w.rng
        self.ip, self.dom = ip, dom
        self.total = total
        self.days = sorted(r.choice(range(w.days)) for _ in range(total))
        q = r.random()
        if q < 0.55:
            self.auth = ("pass", "pass", "pass")
        elif q < 0.75:
            self.auth = ("pass", "none", "none")
        elif q < 0.85:
            self.auth = ("softfail", "pass", "pass")
        elif q < 0.93:
            self.auth = ("neutral", "none", "none")
        else:
            self.auth = ("none", "none", "none")
        self.fcrdns = r.random() < 0.8
        self.helo = r.choice(("mail." + dom, "smtp." + dom, dom, "mx1." + dom, "server." + dom, "exchange.%s.local" % dom.split(".")[0]))
        self.locals = [word(r, 1) + word(r, 1) for _ in range(r.randint(1, 4))] + ["info", "office"]

    def gen(self, w, day, ds, out):
        r = w.rng
        for d in self.days:
            if d == day:
                t = w.when(ds)
                fr = "%s@%s" % (r.choice(self.locals), self.dom)
                spf, dk, dm = self.auth
                m = message(w, t, self.ip, self.helo, fr, fr, [self.dom] if dk != "none" else [], spf, dk, dm, self.fcrdns,
                            1 if r.random() < 0.8 else r.randint(2, 5), 0.03)
                out.append((t, m))
                if r.random() < 0.01:
                    out.append((t + r.randint(5, 600), ev(t, "bounce", self.ip, mail_from=fr, **{"from": fr})))
                if m.get("verdict") == "spam" and r.random() < 0.25:
                    out.append((t + r.randint(300, 90000), ev(t, "notspam", self.ip, mail_from=fr, **{"from": fr})))


class Corporate(Sender):
    """A company's own mail server: steady business-hours person mail; may be compromised later."""

    def __init__(self, w, ip, dom, per_day, comp_day=None, comp_kind=None):
        r = w.rng
        self.ip, self.dom, self.per_day = ip, dom, per_day
        self.helo = r.choice(("mail.", "smtp.", "mx.", "exch.", "mail1.")) + dom
        self.users = [word(r, 1) + "." + word(r, 1) for _ in range(r.randint(5, 60))]
        self.comp_at = None
        self.comp_kind = comp_kind
        if comp_day is not None:
            self.comp_at = w.t0 + comp_day * DAY + r.randrange(DAY)
            self.comp_len = r.uniform(0.3, 4.0) * DAY   # until noticed and fixed
            self.comp_rate = r.uniform(20, 300)        # messages/hour reaching us while active
            self.spam_dom = w.domain("spam") if r.random() < 0.3 else None
            self.comp_rates = {"bounce": r.uniform(0.02, 0.1), "trap": r.uniform(0.0005, 0.003), "complaint": r.uniform(0.005, 0.03), "notspam": 0.02}
            w.judge("ip:" + ip, "compromised", self.comp_at)
            w.judge("domain:" + dom, "compromised", self.comp_at)
        self.shared_host = comp_kind == "webhost"

    def gen(self, w, day, ds, out):
        r = w.rng
        wk = 0.15 if (day % 7) >= 5 else 1.0
        for _ in range(w.poisson(self.per_day * wk)):
            t = w.when(ds)
            fr = "%s@%s" % (r.choice(self.users), self.dom)
            if self.shared_host:
                fr = r.choice(("wordpress@", "noreply@", "contact@")) + self.dom
            m = message(w, t, self.ip, self.helo, fr, fr, [self.dom], "pass", "pass", "pass", True, 1 if r.random() < 0.75 else r.randint(2, 8), 0.01)
            out.append((t, m))
        if self.comp_at is None:
            return
        a, b = max(ds, self.comp_at), min(ds + DAY, self.comp_at + self.comp_len)
        if b <= a:
            return
        n = w.poisson(self.comp_rate * (b - a) / 3600.0)
        for _ in range(n):
            t = a + (b - a) * r.random()
            if self.comp_kind == "account":   # phished mailbox: authenticated, real user's address, many recipients
                fr = "%s@%s" % (self.users[0], self.dom)
                rc = r.choice((1, 1, 2, 3, 5, 10, 20, 40))
                m = message(w, t, self.ip, self.helo, fr, fr, [self.dom], "pass", "pass", "pass", True, rc, 0.55, {"auth": True})
            elif self.comp_kind == "webhost":  # PHP mailer on a hacked site: local From, sometimes a spam domain
                fdom = self.spam_dom or self.dom
                fr = "%s@%s" % (word(r, 1), fdom)
                m = message(w, t, self.ip, self.helo, "www-data@" + self.dom, fr, [], "pass", "none", "fail" if self.spam_dom else "none", True,
                            r.randint(1, 10), 0.7)
                rc = m["recipients"]
            else:  # open relay / cracked SMTP auth on a company MTA: forged From
                fdom = self.spam_dom or w.rng.choice(FORGED)
                fr = "%s@%s" % (word(r, 1), fdom)
                m = message(w, t, self.ip, self.helo, fr, fr, [], r.choice(("fail", "softfail", "none", "neutral")), "none", r.choice(("fail", "none")), True,
                            r.randint(1, 25), 0.75)
                rc = m["recipients"]
            out.append((t, m))
            followups(w, out, t, self.ip, m, m["recipients"], self.comp_rates, self.helo)


FORGED = []


# ---------------------------------------------------------------- spam
class BotWave(Sender):
    """A botnet spam campaign: many transient residential IPs, forged senders."""

    def __init__(self, w, name, n_bots, start, length, msgs_per_bot, rcpt_max, own_domains, p_spam, rates):
        r = w.rng
        self.name, self.start, self.end = name, start, start + length
        self.bots = []
        ips = w.ips("residential", n_bots, per24=r.choice((1, 2, 3)))
        for ip in ips:
            # each bot is online for a short, heavy-tailed window inside the wave
            b0 = start + (length * r.random() ** 0.8)
            life = min(self.end - b0 + 3600, r.expovariate(1 / (length * 0.12)) + 600)
            n = max(1, int(r.paretovariate(1.3) * msgs_per_bot / 4))
            q = r.random()
            if q < 0.3:
                helo = "[%s]" % ip
            elif q < 0.55:
                helo = r.choice(BOT_HELOS)
            elif q < 0.7:
                helo = "%s-%s" % (r.choice(("WIN", "DESKTOP", "PC", "USER")), "%X" % r.getrandbits(28))
            elif q < 0.85:
                helo = r.choice(FORGED)
            else:
                helo = "%s-%s.%s" % (r.choice(("dsl", "cpe", "host", "dyn", "pool", "adsl", "ip")), ip.replace(".", "-"), r.choice(("dynamic.", "res.", "")) + word(r) + "." + r.choice(TLDS))
            fcr = q >= 0.85 and r.random() < 0.7
            self.bots.append((ip, b0, life, n, helo, fcr))
            w.judge("ip:" + ip, "spammer", int(b0))
        self.own = own_domains
        for d in own_domains:
            w.judge("domain:" + d, "spammer", start)
        self.rcpt_max, self.p_spam, self.rates = rcpt_max, p_spam, rates
        self.bidx = sorted(range(len(self.bots)), key=lambda i: self.bots[i][1])

    def gen(self, w, day, ds, out):
        r = w.rng
        de = ds + DAY
        for ip, b0, life, n, helo, fcr in self.bots:
            if b0 >= de or b0 + life < ds:
                continue
            a, b = max(ds, b0), min(de, b0 + life)
            k = int(round(n * (b - a) / life)) if life > 0 else n
            for _ in range(k):
                t = a + (b - a) * r.random()
                if self.own and r.random() < 0.6:
                    fd = r.choice(self.own)
                    spf, dk, dm = r.choice((("none", "none", "none"), ("softfail", "none", "none"), ("pass", "none", "none"), ("neutral", "none", "none")))
                    dkd = []
                else:
                    fd = r.choice(FORGED)
                    spf = r.choice(("fail", "fail", "softfail", "softfail", "none", "neutral"))
                    dk, dm, dkd = "none", r.choice(("fail", "fail", "none")), []
                    if r.random() < 0.05:
                        dk, dkd = "fail", [fd]
                mf = "%s@%s" % (word(r, 1) + str(r.randint(0, 999)), fd) if r.random() < 0.85 else ""
                fr = mf or "%s@%s" % (word(r, 1), fd)
                rc = min(self.rcpt_max, 1 + int(r.expovariate(1 / (self.rcpt_max / 4.0))))
                m = message(w, t, ip, helo, mf, fr, dkd, spf, dk, dm, fcr, rc, self.p_spam)
                out.append((t, m))
                followups(w, out, t, ip, m, rc, self.rates, helo)


class Snowshoe(Sender):
    """Snowshoe spam: many hosting IPs across several /24s and many throwaway domains with valid auth."""

    def __init__(self, w, n_ips, n_domains, per_ip_day, start_day, p_spam, rates, blocks=None):
        r = w.rng
        blocks = blocks or max(2, n_ips // 40)
        self.ips = []
        for _ in range(blocks):
            self.ips += w.ips("hosting", n_ips // blocks, per24=n_ips // blocks)
        self.domains = [w.domain("snow") for _ in range(n_domains)]
        self.start = w.t0 + start_day * DAY
        # each domain is used for a short window, each IP rotates through a few domains
        self.dom_win = {}
        span = (w.days - start_day) * DAY
        for d in self.domains:
            a = self.start + r.random() * span * 0.9
            self.dom_win[d] = (a, a + r.uniform(1.5, 5) * DAY)
        self.ip_first = {}
        self.per_ip_day, self.p_spam, self.rates = per_ip_day, p_spam, rates
        self.ip_dom = {ip: "mail.%s" % r.choice(self.domains) for ip in self.ips}
        self.ip_on = {ip: self.start + r.random() * span * 0.5 for ip in self.ips}

    def gen(self, w, day, ds, out):
        r = w.rng
        de = ds + DAY
        live = [d for d, (a, b) in self.dom_win.items() if a < de and b > ds]
        if not live:
            return
        for ip in self.ips:
            if self.ip_on[ip] >= de:
                continue
            for _ in range(w.poisson(self.per_ip_day * r.uniform(0.5, 1.5))):
                t = max(self.ip_on[ip], ds) + r.random() * (de - max(self.ip_on[ip], ds))
                d = r.choice(live)
                if not (self.dom_win[d][0] <= t < self.dom_win[d][1]):
                    continue
                extra = {"list_unsubscribe_one_click": r.random() < 0.5}
                if r.random() < 0.3:
                    extra["list_id"] = "list.%s" % d
                m = message(w, t, ip, "mail.%s" % d, "bounce@%s" % d, "%s@%s" % (r.choice(("offers", "deals", "news", "info", "alert")), d), [d],
                            "pass", "pass", "pass", True, 1, self.p_spam, extra)
                out.append((t, m))
                followups(w, out, t, ip, m, 1, self.rates)
                if ip not in self.ip_first or t < self.ip_first[ip]:
                    self.ip_first[ip] = t
                if self.dom_first.get(d, 1e18) > t:
                    self.dom_first[d] = t

    dom_first = None

    def finish(self, w):
        for ip, t in self.ip_first.items():
            w.judge("ip:" + ip, "spammer", int(t))
        for d, t in self.dom_first.items():
            w.judge("domain:" + d, "spammer", int(t))


# ---------------------------------------------------------------- ESPs
class ESP:
    def __init__(self, w, name, n_ips, n_customers, transactional_share, bad_customers, volume_scale):
        r = w.rng
        self.name = name
        self.ips = w.ips("corporate", n_ips, per24=n_ips)
        self.senders = []
        for i in range(n_customers):
            dom = w.domain()
            pool = r.sample(self.ips, max(1, min(len(self.ips), r.randint(2, 8))))
            if r.random() < transactional_share:
                s = Transactional(w, dom, pool, volume_scale * r.lognormvariate(4.6, 1.0), esp=name)
                w.judge("domain:" + dom, "transactional")
            else:
                size = int(volume_scale * r.lognormvariate(6.1, 1.1))
                rates = {"bounce": r.uniform(0.003, 0.02), "complaint": r.uniform(0.0002, 0.002), "unsub": r.uniform(0.001, 0.008),
                         "trap": r.uniform(0.0, 0.00008), "notspam": 0.2}
                s = Bulk(w, dom, pool, size, r.choice((1, 1, 2, 3, 5, 7)), r.uniform(0.01, 0.12), rates, r.random() < 0.9, esp=name,
                         helo_dom=name, mailfrom_dom="bnc.%s" % name)
                w.judge("domain:" + dom, "bulk")
            self.senders.append(s)
        self.bad = []
        for j in range(bad_customers):
            dom = w.domain("snow") if r.random() < 0.5 else w.domain()
            pool = r.sample(self.ips, max(2, len(self.ips) // 3))
            day = r.randint(2, w.days - 6)
            size = int(volume_scale * r.lognormvariate(7.9, 0.5))
            rates = {"bounce": r.uniform(0.06, 0.2), "complaint": r.uniform(0.004, 0.02), "unsub": r.uniform(0.01, 0.03), "trap": r.uniform(0.001, 0.006), "notspam": 0.05}
            s = Bulk(w, dom, pool, size, r.choice((3, 5, 7)), r.uniform(0.3, 0.6), rates, r.random() < 0.7, esp=name, helo_dom=name,
                     mailfrom_dom="bnc.%s" % name, start_day=day)
            s.bad_dom = dom
            self.senders.append(s)
            self.bad.append(s)
        for ip in self.ips:
            w.judge("ip:" + ip, "transactional" if transactional_share > 0.6 else "bulk")

    def finish(self, w, events_first):
        for s in self.bad:
            t = events_first.get(s.bad_dom)
            if t is not None:
                w.judge("domain:" + s.bad_dom, "spammer", int(t))


# ---------------------------------------------------------------- build
def build(w):
    r = w.rng
    S = w.scale
    pop = w.pop
    global FORGED
    FORGED = [w.domain() for _ in range(400)]
    ents = w.entities
    snow = []
    esps = []
    # freemail / big providers (not judged)
    nfree = 4 if pop == "isp_inbound" else 6
    for i in range(nfree):
        ents.append(Freemail(w, r.randint(10, 40), S * (4500 if pop == "isp_inbound" else 1800) * r.uniform(0.5, 1.5)))
    # dedicated-IP bulk senders
    nbulk = 45 if pop == "isp_inbound" else 70
    for i in range(nbulk):
        dom = w.domain()
        ips = w.ips("corporate", r.choice((1, 2, 2, 4, 6, 8)), per24=8)
        size = int(S * r.lognormvariate(6.8 if pop == "isp_inbound" else 6.05, 1.0))
        q = r.random()
        if q < 0.15:   # greyish marketer: legitimate opt-in but poor hygiene
            rates = {"bounce": r.uniform(0.02, 0.05), "complaint": r.uniform(0.002, 0.005), "unsub": r.uniform(0.005, 0.015), "trap": r.uniform(0.0001, 0.0006), "notspam": 0.15}
            ps = r.uniform(0.15, 0.35)
        else:
            rates = {"bounce": r.uniform(0.002, 0.015), "complaint": r.uniform(0.0001, 0.0015), "unsub": r.uniform(0.001, 0.006), "trap": r.uniform(0, 0.00005), "notspam": 0.25}
            ps = r.uniform(0.005, 0.08)
        b = Bulk(w, dom, ips, size, r.choice((1, 1, 2, 3, 5, 7, 14)), ps, rates, r.random() < (0.75 if pop == "isp_inbound" else 0.92))
        if r.random() < 0.1:
            b.auth = ("pass", "pass", "none")
        ents.append(b)
        w.judge("domain:" + dom, "bulk")
        for ip in ips:
            w.judge("ip:" + ip, "bulk")
    # dedicated transactional
    ntx = 30 if pop == "isp_inbound" else 45
    for i in range(ntx):
        dom = w.domain()
        ips = w.ips("corporate", r.choice((1, 1, 2, 3, 4)), per24=4)
        ents.append(Transactional(w, dom, ips, S * r.lognormvariate(5.2, 1.0)))
        w.judge("domain:" + dom, "transactional")
        for ip in ips:
            w.judge("ip:" + ip, "transactional")
    # ESPs
    if pop == "mailbox_provider":
        for name, nip, ncust, tx, bad in (("sendwave-mail.net", 24, 70, 0.3, 1), ("mailrelay-pro.com", 12, 45, 0.2, 1), ("txnpost.io", 8, 30, 0.85, 1)):
            e = ESP(w, name, nip, ncust, tx, bad, S)
            esps.append(e)
            ents.extend(e.senders)
    else:
        e = ESP(w, "bulkmailer-cloud.com", 16, 50, 0.25, 1, S)
        esps.append(e)
        ents.extend(e.senders)
    # small legitimate senders (unknown): own IP + domain, few messages
    nsmall = int((3000 if pop == "isp_inbound" else 2200) * min(1.0, S ** 0.5))
    shared_hosts = w.ips("hosting", 40, per24=20)
    for i in range(nsmall):
        dom = w.domain()
        if r.random() < 0.35:
            ip = r.choice(shared_hosts)   # hosted on a shared server with other small domains
        else:
            ip = w.ips(r.choice(("corporate", "hosting", "residential")), 1)[0]
        total = max(1, int(r.paretovariate(1.2)))
        ents.append(SmallSender(w, ip, dom, min(total, 40)))
        w.judge("domain:" + dom, "unknown")
        if ip not in shared_hosts:
            w.judge("ip:" + ip, "unknown")
    for ip in shared_hosts:
        w.judge("ip:" + ip, "unknown")
    # corporate mail servers, some compromised mid-period
    ncorp = 250 if pop == "isp_inbound" else 150
    ncomp = 12 if pop == "isp_inbound" else 8
    comp_idx = set(r.sample(range(ncorp), ncomp))
    for i in range(ncorp):
        dom = w.domain()
        ip = w.ips(r.choice(("corporate", "hosting")), 1)[0]
        per_day = S * r.lognormvariate(3.0, 1.0)
        if i in comp_idx:
            kind = r.choice(("relay", "webhost", "webhost")) if pop == "isp_inbound" else r.choice(("relay", "webhost"))
            c = Corporate(w, ip, dom, per_day, r.randint(3, w.days - 3), kind)
            c.comp_rate *= S
        else:
            c = Corporate(w, ip, dom, per_day)
            cls = "unknown" if per_day * 21 < 60 else "transactional"
            w.judge("ip:" + ip, cls)
            w.judge("domain:" + dom, cls)
        ents.append(c)
    # other providers' relays (university / regional ISP webmail) with phished accounts
    nrel = 2 if pop == "isp_inbound" else 6
    for i in range(nrel):
        dom = w.domain()
        ip = w.ips("corporate", 1)[0]
        c = Corporate(w, ip, dom, S * r.uniform(200, 900), r.randint(2, w.days - 2), "account")
        c.comp_rate = S * r.uniform(30, 200)
        c.comp_len = r.uniform(0.1, 1.2) * DAY
        ents.append(c)
    if pop == "mailbox_provider":
        # account takeover of a legitimate ESP customer: good history, then a spam burst
        e = esps[0]
        victims = [s for s in e.senders if isinstance(s, Bulk) and not hasattr(s, "bad_dom")]
        for v in r.sample(victims, 2):
            day = r.randint(6, w.days - 3)
            ato = Bulk(w, v.dom, v.ips, int(v.list_size * r.uniform(2, 6) + 3000 * S), 7, r.uniform(0.5, 0.8),
                       {"bounce": 0.15, "complaint": 0.02, "trap": 0.004, "notspam": 0.05}, False, esp=e.name, helo_dom=e.name,
                       mailfrom_dom="bnc.%s" % e.name, start_day=day)
            ato.stop_day = day + r.randint(0, 1)
            ato.lists = ["alerts." + v.dom]
            ato.ato_of = v.dom
            ents.append(ato)
    # snowshoe operations
    if pop == "isp_inbound":
        sn = [Snowshoe(w, 120, 40, 60 * S, 4, 0.45, {"bounce": 0.05, "complaint": 0.008, "unsub": 0.02, "trap": 0.002, "notspam": 0.04})]
    else:
        sn = [Snowshoe(w, 300, 150, 45 * S, 0, 0.35, {"bounce": 0.06, "complaint": 0.006, "unsub": 0.02, "trap": 0.0015, "notspam": 0.04}, blocks=8),
              Snowshoe(w, 160, 60, 70 * S, 9, 0.5, {"bounce": 0.04, "complaint": 0.01, "unsub": 0.015, "trap": 0.003, "notspam": 0.03}, blocks=4)]
    for s in sn:
        s.dom_first = {}
        snow.append(s)
        ents.append(s)
    # botnet waves
    if pop == "isp_inbound":
        waves = [("pharma", 9000, 2.5, 3.0, 16), ("ecard-malware", 6000, 8.2, 1.5, 10), ("stock-pump", 4000, 14.5, 2.5, 12)]
        bg = 0
    else:
        waves = [("phish-wave", 3000, 6.3, 1.2, 12)]
        bg = 1
    for name, nb, sday, ldays, mpb in waves:
        nbs = max(20, int(nb * min(1.0, S ** 0.7)))
        own = [w.domain("spam") for _ in range(r.randint(3, 12))] if name in ("pharma", "stock-pump", "phish-wave") else []
        ents.append(BotWave(w, name, nbs, w.t0 + int(sday * DAY), int(ldays * DAY), mpb * S / min(1.0, S ** 0.7), 12, own, r.uniform(0.8, 0.95),
                            {"bounce": r.uniform(0.04, 0.15), "trap": r.uniform(0.002, 0.01), "complaint": 0.03, "notspam": 0.01}))
    if bg:  # long-running low-level bot background (many small waves)
        for k in range(6):
            nbs = max(10, int(1200 * min(1.0, S ** 0.7)))
            ents.append(BotWave(w, "bg%d" % k, nbs, w.t0 + int(r.uniform(0, w.days - 3) * DAY), int(r.uniform(0.5, 3) * DAY), 8 * S / min(1.0, S ** 0.7), 8, [],
                                r.uniform(0.85, 0.97), {"bounce": 0.1, "trap": 0.006, "complaint": 0.03, "notspam": 0.01}))
    return snow, esps


def run(seed, pop, scale, outdir):
    w = World(seed, pop, scale)
    snow, esps = build(w)
    os.makedirs(outdir, exist_ok=True)
    n = 0
    first_from, first_ip, seen_ip, seen_dom = {}, {}, set(), set()
    ato = [e for e in w.entities if hasattr(e, "ato_of")]
    tmp = os.path.join(outdir, "events.jsonl")
    with open(tmp, "w") as f:
        carry = []
        for day in range(w.days + 1):
            ds = w.t0 + day * DAY
            out = [x for x in carry]
            carry = []
            if day < w.days:
                for e in w.entities:
                    if hasattr(e, "stop_day") and day > e.stop_day:
                        continue
                    e.gen(w, day, ds, out)
            out.sort(key=lambda x: x[0])
            for t, d in out:
                t = int(t)
                if t >= ds + DAY and day < w.days:
                    carry.append((t, d))
                    continue
                if t >= w.t1:
                    continue
                d["time"] = t
                seen_ip.add(d["ip"])
                fd = d["from"].rsplit("@", 1)[-1] if d.get("from") else None
                if fd:
                    seen_dom.add(fd)
                for k in d.get("dkim_domains", ()):
                    seen_dom.add(k)
                if d["type"] == "message":
                    if fd and fd not in first_from:
                        first_from[fd] = t
                    if d["ip"] not in first_ip:
                        first_ip[d["ip"]] = t
                f.write(json.dumps(d, separators=(",", ":")) + "\n")
                n += 1
    for s in snow:
        s.finish(w)
    for e in esps:
        e.finish(w, first_from)
    for a in ato:
        # the account takeover starts at the ATO blast; the domain's earlier history is legitimate
        t_ato = w.t0 + a.start_day * DAY
        w.judge("domain:" + a.ato_of, "compromised", t_ato + ((a.hour - w.tz) % 24) * 3600)
    for ident in list(w.truth):
        kind, name = ident.split(":", 1)
        if name not in (seen_ip if kind == "ip" else seen_dom):
            del w.truth[ident]       # never sent anything in this run: nothing to judge
            continue
        cls, bf = w.truth[ident]
        if cls == "spammer":
            ft = (first_ip if kind == "ip" else first_from).get(name)
            if ft is not None:
                w.truth[ident] = (cls, ft)
    with open(os.path.join(outdir, "truth.csv"), "w") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(w.truth):
            cls, bf = w.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bf is None or cls not in ("spammer", "compromised") else int(bf)))
    meta = {"population": pop, "seed": seed, "start": w.t0, "end": w.t1, "events": n, "identities": len(w.truth)}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="isp_inbound", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    print(json.dumps(run(a.seed, a.population, a.scale, a.out)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Blind generator of mail sender populations (reputation events + truth).

Writes events.jsonl / truth.csv / meta.json as described in FORMAT.md.
Standard library only; deterministic for a given --seed.
See README.md for the populations and the published descriptions behind them.
"""
import argparse
import json
import math
import os
import random
import sys

POPULATIONS = ["isp_mx", "mailbox_provider", "corporate_gw"]

DAY = 86400
HOUR = 3600
T0 = 1764547200  # 2025-12-01 00:00:00 UTC
SPAN_DAYS = 21

# ---------------------------------------------------------------- helpers
SYL = ["ka", "lo", "mi", "ne", "ra", "to", "vi", "sa", "de", "po", "lu", "ba",
       "ge", "fi", "mo", "ri", "ta", "no", "ze", "chi", "dor", "lin", "mar",
       "ven", "tor", "sel", "quin", "bre", "gal", "hum", "pet", "cor", "nal",
       "ste", "ou", "ar", "el", "is", "um", "ax"]
WORDS = ["shop", "mail", "news", "store", "cloud", "app", "tech", "market",
         "deals", "travel", "bank", "health", "media", "home", "sport", "books",
         "games", "pay", "data", "soft", "works", "group", "labs", "hub",
         "point", "line", "wear", "food", "auto", "print", "legal", "energy"]
LEGIT_TLDS = ["com"] * 10 + ["net"] * 2 + ["org"] * 2 + ["de", "fr", "io", "co.uk", "nl", "it", "es", "eu", "shop"]
SPAM_TLDS = ["com"] * 5 + ["net", "info", "biz", "xyz", "top", "online", "site", "click", "us", "shop", "club", "live"]
FIRST = ["anna", "ben", "carla", "dan", "eva", "felix", "gina", "hugo", "ines", "jan",
         "kim", "leo", "mia", "nils", "olga", "paul", "rita", "sam", "tina", "uwe",
         "vera", "will", "xena", "yusuf", "zoe", "marc", "lena", "tom", "sara", "ivan"]
ROLEBOX = ["info", "sales", "office", "contact", "support", "admin", "billing", "hr", "team"]

# first octets used for the synthetic address plan (all ordinary unicast)
RESID_OCT = [2, 5, 24, 31, 37, 46, 59, 62, 71, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86,
             87, 88, 89, 90, 91, 92, 93, 94, 95, 101, 109, 110, 112, 113, 114, 115, 116,
             117, 118, 119, 121, 122, 123, 124, 125, 175, 176, 177, 178, 179, 180, 181,
             182, 183, 186, 187, 188, 189, 190, 191, 200, 201, 212, 213, 217, 218, 219, 220, 221, 222]
HOST_OCT = [5, 23, 31, 37, 45, 46, 51, 62, 66, 69, 74, 78, 85, 91, 94, 103, 104, 107,
            135, 139, 141, 143, 144, 146, 149, 151, 158, 159, 162, 164, 167, 172, 173,
            176, 178, 185, 188, 192, 193, 194, 195, 198, 199, 204, 206, 207, 208, 209, 212, 213, 216, 217]
ESP_OCT = [50, 54, 64, 65, 66, 67, 68, 69, 74, 107, 108, 129, 136, 140, 142, 149, 159, 161, 166, 167, 168, 192, 198, 199, 204, 205, 208, 209, 216]

DIURNAL = [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.35, 0.7, 1.1, 1.35, 1.4, 1.3,
           1.15, 1.25, 1.35, 1.3, 1.2, 1.0, 0.8, 0.65, 0.55, 0.45, 0.35, 0.22]
DMAX = max(DIURNAL)


class Gen:
    def __init__(self, rng, t0, t1, traps=True):
        self.rng = rng
        self.t0 = t0
        self.t1 = t1
        self.traps = traps
        self.tmpl_index = {}
        self.tmpls = []
        self.fb_cache = {}
        self.ev = []
        self.truth = {}          # identity -> [class, bad_from or None]
        self.first_seen = {}     # identity -> first event time (messages)
        self.used24 = set()
        self.used_domains = set()
        self.domain_age = {}

    # ---------------- naming / addressing
    def _name(self, words=True):
        r = self.rng
        if words and r.random() < 0.5:
            return r.choice(SYL) + r.choice(SYL) + r.choice(WORDS)
        return "".join(r.choice(SYL) for _ in range(r.randint(2, 4)))

    def domain(self, spam=False):
        r = self.rng
        while True:
            if spam:
                n = self._name(words=r.random() < 0.6)
                if r.random() < 0.35:
                    n += str(r.randint(1, 99))
                if r.random() < 0.25:
                    n = n[:6] + "-" + r.choice(WORDS)
                d = n + "." + r.choice(SPAM_TLDS)
            else:
                d = self._name() + "." + r.choice(LEGIT_TLDS)
            if d not in self.used_domains:
                self.used_domains.add(d)
                return d

    def block24(self, octets):
        r = self.rng
        while True:
            b = (r.choice(octets), r.randint(0, 255), r.randint(0, 255))
            if b not in self.used24:
                self.used24.add(b)
                return b

    @staticmethod
    def ip(b, host):
        return "%d.%d.%d.%d" % (b[0], b[1], b[2], host)

    # ---------------- truth
    def label(self, ident, cls, bad_from=None):
        cur = self.truth.get(ident)
        if cur is None:
            self.truth[ident] = [cls, bad_from]
        else:
            # never downgrade a bad label; keep earliest bad_from
            if cls in ("spammer", "compromised") and cur[0] not in ("spammer", "compromised"):
                self.truth[ident] = [cls, bad_from]

    # ---------------- events
    def tmpl(self, fields):
        s = json.dumps(fields, separators=(",", ":"))[1:-1]
        i = self.tmpl_index.get(s)
        if i is None:
            i = len(self.tmpls)
            self.tmpls.append(s)
            self.tmpl_index[s] = i
        return i

    def fb(self, ti, typ):
        k = (ti, typ)
        i = self.fb_cache.get(k)
        if i is None:
            f = json.loads("{" + self.tmpls[ti] + "}")
            f["type"] = typ
            f.pop("verdict", None)
            f.pop("recipients", None)
            if typ in ("bounce",):
                # a rejected recipient: auth results are those of the attempt
                pass
            i = self.tmpl(f)
            self.fb_cache[k] = i
        return i

    def emit(self, t, ti, r=1):
        t = int(t)
        if t < self.t0 or t >= self.t1:
            return False
        if r < 1:
            r = 1
        self.ev.append((t << 45) | (ti << 20) | min(r, 0xFFFFF))
        return True

    def msg(self, t, fields, r, rates, track=()):
        """Emit one message event plus its consequences.
        rates = (complaint, bounce, trap, unsub, notspam, verdict_p_spam, verdict_cov)
        probabilities are per recipient (complaint/bounce/unsub/notspam) or per message (trap)."""
        t = int(t)
        if t < self.t0 or t >= self.t1:
            return
        rng = self.rng
        pc, pb, pt, pu, pn, vs, vc = rates
        if rng.random() < vc:
            fields = dict(fields)
            fields["verdict"] = "spam" if rng.random() < vs else "ham"
        ti = self.tmpl(fields)
        self.emit(t, ti, r)
        fs = self.first_seen
        ids = ["ip:" + fields["ip"], "domain:" + fields["from"].rsplit("@", 1)[-1].lower()]
        for d in fields.get("dkim_domains", ()):
            ids.append("domain:" + d)
        for ident in ids:
            v = fs.get(ident)
            if v is None or t < v:
                fs[ident] = t
        x = pb * r
        if x > 0 and rng.random() < x:
            nb = 1 + (int(rng.random() * x) if x > 1 else 0)
            for _ in range(min(nb, r)):
                self.emit(t + rng.randint(0, 3), self.fb(ti, "bounce"))
        if pt > 0 and self.traps and rng.random() < pt:
            self.emit(t, self.fb(ti, "trap"))
        x = pc * r
        if x > 0 and rng.random() < x:
            self.emit(t + int(rng.expovariate(1.0 / (5 * HOUR))) + 30, self.fb(ti, "complaint"))
        x = pu * r
        if x > 0 and rng.random() < x:
            self.emit(t + int(rng.expovariate(1.0 / (20 * HOUR))) + 60, self.fb(ti, "unsubscribe"))
        x = pn * r
        if x > 0 and rng.random() < x:
            self.emit(t + int(rng.expovariate(1.0 / (10 * HOUR))) + 60, self.fb(ti, "notspam"))

    # ---------------- time helpers
    def diurnal(self, a, b, tz=0, weekend=0.4):
        rng = self.rng
        a = max(a, self.t0)
        b = min(b, self.t1)
        if b <= a:
            return a
        for _ in range(50):
            t = rng.uniform(a, b)
            lt = t + tz * HOUR
            h = int(lt // HOUR) % 24
            w = DIURNAL[h] / DMAX
            wd = int(lt // DAY + 3) % 7  # 1970-01-01 was a Thursday -> 0=Monday
            if wd >= 5:
                w *= weekend
            if rng.random() < w:
                return t
        return rng.uniform(a, b)

    def burst(self, start, dur):
        """time inside a throttled campaign send: front-loaded."""
        u = self.rng.random()
        return start + dur * (u ** 1.6)


def rcpt(rng, mean):
    """recipients per SMTP transaction (>=1), geometric-ish."""
    if mean <= 1.0:
        return 1
    p = 1.0 / mean
    n = 1
    while rng.random() > p and n < 500:
        n += 1
    return n


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


# ============================================================ actors
# Each actor function takes (g, budget, ...) where budget is an approximate
# number of message events it should emit at this receiver.

def esp_platform(g, name, budget, n_customers, specials, shared_ips=24, dedicated=6,
                 sloppy_frac=0.2, tz_choices=(-5, 0, 1, 2)):
    """An ESP: shared and dedicated IP pools, many customer domains sending
    newsletters (bulk). specials: list of (kind, count) with kinds
    'compromised', 'spammer_customer', 'listbombed', 'reactivation', 'newsender', 'warmup'."""
    rng = g.rng
    esp_dom = g.domain()
    bounce_dom = "bnc." + esp_dom
    g.label("domain:" + esp_dom, "bulk")
    b = g.block24(ESP_OCT)
    hosts = rng.sample(range(2, 250), shared_ips + dedicated + 4)
    shared = []
    for h in hosts[:shared_ips]:
        ip = g.ip(b, h)
        shared.append((ip, "o%d.ptr%d.%s" % (h, rng.randint(100, 999), esp_dom)))
        g.label("ip:" + ip, "bulk")
    ded_pool = []
    b2 = g.block24(ESP_OCT)
    for h in rng.sample(range(2, 250), dedicated + 8):
        ip = g.ip(b2, h)
        ded_pool.append((ip, "mta%d.%s" % (h, esp_dom)))
    n_spec = sum(c for _, c in specials)
    kinds = []
    for k, c in specials:
        kinds += [k] * c
    kinds += ["normal"] * max(0, n_customers - n_spec)
    rng.shuffle(kinds)
    # relative sizes
    sizes = [math.exp(rng.gauss(0, 1.1)) for _ in kinds]
    tot = sum(sizes)
    per = [budget * s / tot for s in sizes]
    for kind, vol in zip(kinds, per):
        esp_customer(g, esp_dom, bounce_dom, shared, ded_pool, kind, vol,
                     sloppy=rng.random() < sloppy_frac, tz=rng.choice(tz_choices))


def esp_customer(g, esp_dom, bounce_dom, shared, ded_pool, kind, vol, sloppy, tz):
    rng = g.rng
    spam = kind == "spammer_customer"
    dom = g.domain(spam=spam and rng.random() < 0.6)
    ident = "domain:" + dom
    # IPs: dedicated for larger customers, otherwise shared pool subset
    ips = []
    dedicated_ip = False
    if kind not in ("spammer_customer", "compromised") and (vol > 9000 or kind == "warmup") and ded_pool:
        ips = [ded_pool.pop()]
        dedicated_ip = True
        if rng.random() < 0.5 and ded_pool:
            ips.append(ded_pool.pop())
        for ip, _ in ips:
            g.label("ip:" + ip, "bulk")
    else:
        ips = rng.sample(shared, min(len(shared), rng.randint(3, 8)))
    # authentication
    custom_rp = rng.random() < 0.55 and not sloppy
    mail_from_dom = ("rp." + dom) if custom_rp else bounce_dom
    aligned_dkim = (rng.random() < 0.85) if not sloppy else (rng.random() < 0.45)
    dkim_domains = [dom, esp_dom] if aligned_dkim else [esp_dom]
    has_dmarc = rng.random() < (0.9 if not sloppy else 0.6)
    if aligned_dkim or custom_rp:
        dmarc = "pass" if has_dmarc else "none"
    else:
        dmarc = "fail" if has_dmarc else "none"
    one_click = rng.random() < (0.97 if not sloppy else 0.55)
    list_id = "<%s.list%d.%s>" % (rng.choice(["news", "offers", "weekly", "digest", "updates"]), rng.randint(1, 99), dom)
    fbl = "%s:%d:%s" % (rng.choice(["nl", "promo", "camp"]), rng.randint(1000, 99999), esp_dom.split(".")[0])
    local = rng.choice(["news", "newsletter", "hello", "info", "offers", "team", "noreply"])
    if spam:
        # ESP customer vetting failure: a spammer with a purchased list, who
        # looks like any other customer at first (M3AAWG Sender BCP, ESP vetting).
        cls, bad = "spammer", None
        rates = (rng.uniform(0.003, 0.012), rng.uniform(0.05, 0.14), rng.uniform(0.002, 0.01),
                 rng.uniform(0.003, 0.01), 0.00002, 0.3, 0.4)
        start = g.t0 + rng.uniform(2, 15) * DAY
        end = min(g.t1, start + rng.uniform(2, 5) * DAY)  # ESP shuts it down
        n_camp = rng.randint(3, 6)
    else:
        cls = "bulk"
        bad = None
        if sloppy:
            rates = (rng.uniform(0.0012, 0.0035), rng.uniform(0.015, 0.05), rng.uniform(0.0, 0.0006),
                     rng.uniform(0.001, 0.004), 0.0003, 0.07, 0.4)
        else:
            rates = (rng.uniform(0.0001, 0.0009), rng.uniform(0.002, 0.015), rng.uniform(0.0, 0.00004),
                     rng.uniform(0.0005, 0.002), 0.0005, 0.025, 0.4)
        start = g.t0
        end = g.t1
        if kind in ("newsender", "warmup"):
            start = g.t0 + rng.uniform(5, 13) * DAY
        n_camp = None
    mean_r = rng.choice([1.0, 1.3, 2.0, 3.0])
    span_days = (end - start) / DAY
    if n_camp is None:
        per_week = rng.choice([1, 1, 2, 2, 3, 5, 7])
        n_camp = max(1, int(round(per_week * span_days / 7.0)))
    events_per_camp = max(3, vol / n_camp)
    helo_ips = ips
    comp_at = None
    if kind == "compromised":
        comp_at = g.t0 + rng.uniform(8, 15) * DAY
        bad = comp_at
        cls = "compromised"
    g.label(ident, cls, bad)
    base = {"type": "message"}
    camp_times = sorted(start + rng.uniform(0, max(1, end - start - 6 * HOUR)) for _ in range(n_camp))
    if comp_at is not None:
        # a taken-over account has a legitimate sending history first
        camp_times[0] = g.t0 + rng.uniform(0.5, 5) * DAY
        camp_times.sort()
    # align campaigns to local business hours
    aligned = []
    for ct in camp_times:
        day = int((ct + tz * HOUR) // DAY) * DAY - tz * HOUR
        aligned.append(day + rng.choice([7, 8, 9, 10, 11, 14, 15, 16, 18]) * HOUR + rng.randint(0, 3599))
    cid = rng.randint(100, 9000)
    for ci, ct in enumerate(aligned):
        n = int(events_per_camp * math.exp(rng.gauss(0, 0.35)))
        if kind == "warmup":
            # IP warm-up on new dedicated IPs: volume ramps (M3AAWG warm-up guidance)
            n = int(n * min(1.0, 0.1 + 0.15 * ci))
        crates = rates
        dur = rng.uniform(0.3, 4) * HOUR
        if kind == "reactivation" and ci == len(aligned) // 2:
            # re-engagement send to a stale segment: bounces and recycled traps
            n = int(n * 2.5)
            crates = (rates[0] * 3, 0.08, 0.004, rates[3] * 3, rates[4], rates[5] * 2, rates[6])
        cid += 1
        mf = "bounce-%d-%s@%s" % (cid, dom.split(".")[0][:6], mail_from_dom)
        for _ in range(max(1, n)):
            t = g.burst(ct, dur)
            ip, helo = rng.choice(helo_ips)
            f = dict(base)
            f.update({"ip": ip, "helo": helo, "mail_from": mf, "from": "%s@%s" % (local, dom),
                      "dkim_domains": dkim_domains, "spf": "pass", "dkim": "pass", "dmarc": dmarc,
                      "fcrdns": True, "list_unsubscribe_one_click": one_click,
                      "list_id": list_id, "feedback_id": fbl})
            g.msg(t, f, rcpt(rng, mean_r), crates, track=(ident,))
        if kind == "listbombed" and ci == len(aligned) // 3:
            # bots submit victims' addresses to the signup form: a burst of
            # confirmation mails to a handful of addresses (Spamhaus 2016 list bombing)
            lb_start = ct + rng.uniform(1, 30) * HOUR
            nb = int(events_per_camp * rng.uniform(0.6, 1.5)) + 50
            for _ in range(nb):
                t = lb_start + rng.uniform(0, rng.uniform(2, 10) * HOUR)
                ip, helo = rng.choice(helo_ips)
                f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "confirm@" + mail_from_dom,
                     "from": "confirm@" + dom, "dkim_domains": dkim_domains, "spf": "pass", "dkim": "pass",
                     "dmarc": dmarc, "fcrdns": True, "feedback_id": fbl}
                g.msg(t, f, 1, (0.02, 0.05, 0.0005, 0.0, 0.0, 0.15, 0.4), track=(ident,))
    if comp_at is not None:
        # account takeover at the ESP: phishing to a harvested list through the
        # customer's own, fully authenticated sending identity
        dur = rng.uniform(3, 14) * HOUR
        n = int(events_per_camp * rng.uniform(2, 6)) + 300
        mf = "bounce-%d-x@%s" % (cid + 77, mail_from_dom)
        lid = "<%d.%s>" % (rng.randint(1, 9999), dom)
        oc = rng.random() < 0.5
        for _ in range(n):
            t = comp_at + rng.uniform(0, dur)
            ip, helo = rng.choice(helo_ips)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": mf,
                 "from": "%s@%s" % (rng.choice(["security", "account", "billing", local]), dom),
                 "dkim_domains": dkim_domains, "spf": "pass", "dkim": "pass", "dmarc": dmarc,
                 "fcrdns": True, "list_unsubscribe_one_click": oc, "list_id": lid, "feedback_id": fbl}
            g.msg(t, f, rcpt(rng, 1.5), (rng.uniform(0.008, 0.03), rng.uniform(0.08, 0.25), 0.006,
                                         0.002, 0.0, 0.5, 0.4), track=(ident,))


def transactional_esp(g, budget, n_customers, tz_choices=(-8, -5, 0, 1)):
    """Transactional ESP (API sending): shared pool, customers' receipts,
    password resets, notifications; authenticated and aligned."""
    rng = g.rng
    esp_dom = g.domain()
    g.label("domain:" + esp_dom, "transactional")
    b = g.block24(ESP_OCT)
    pool = []
    for h in rng.sample(range(2, 250), rng.randint(10, 20)):
        ip = g.ip(b, h)
        pool.append((ip, "s%d.%s" % (h, esp_dom)))
        g.label("ip:" + ip, "transactional")
    sizes = [math.exp(rng.gauss(0, 1.2)) for _ in range(n_customers)]
    tot = sum(sizes)
    for s in sizes:
        dom = g.domain()
        ips = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
        trans_sender(g, dom, ips, esp_dom, budget * s / tot, rng.choice(tz_choices))


def own_infra_transactional(g, budget, n):
    rng = g.rng
    sizes = [math.exp(rng.gauss(0, 1.0)) for _ in range(n)]
    tot = sum(sizes)
    for s in sizes:
        dom = g.domain()
        b = g.block24(HOST_OCT + ESP_OCT)
        ips = []
        for h in rng.sample(range(2, 250), rng.randint(1, 4)):
            ip = g.ip(b, h)
            ips.append((ip, "mail%d.%s" % (h, dom)))
            g.label("ip:" + ip, "transactional")
        trans_sender(g, dom, ips, None, budget * s / tot, rng.choice((-5, 0, 1, 8)))


def trans_sender(g, dom, ips, esp_dom, vol, tz):
    rng = g.rng
    ident = "domain:" + dom
    g.label(ident, "transactional")
    kind = rng.choice(["receipt", "reset", "notify", "notify", "receipt", "alerts"])
    local = {"receipt": "orders", "reset": "no-reply", "notify": "notifications", "alerts": "alerts"}[kind]
    mf_dom = ("bounces." + dom) if (esp_dom is None or rng.random() < 0.6) else ("em." + esp_dom)
    dkim_domains = [dom] if esp_dom is None else [dom, esp_dom]
    dmarc_rec = rng.random() < 0.88
    one_click = kind == "notify" and rng.random() < 0.6  # notification preferences header
    fbl = ("tx:%d:%s" % (rng.randint(100, 99999), (esp_dom or dom).split(".")[0])) if rng.random() < 0.3 else None
    # some hard-but-legit quirks
    spf_glitch = None
    if rng.random() < 0.15:
        s = g.t0 + rng.uniform(0, 18) * DAY
        spf_glitch = (s, s + rng.uniform(0.5, 3) * DAY)
    n = max(3, int(vol))
    pc = rng.uniform(0.00002, 0.0003) if kind != "notify" else rng.uniform(0.0002, 0.0009)
    pb = rng.uniform(0.002, 0.02)
    rates = (pc, pb, 0.00001, 0.0003 if one_click else 0.0, 0.0003, 0.01, 0.4)
    for _ in range(n):
        t = g.diurnal(g.t0, g.t1, tz, weekend=0.7)
        ip, helo = rng.choice(ips)
        spf = "pass"
        if spf_glitch and spf_glitch[0] <= t < spf_glitch[1]:
            spf = "softfail"
        f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % ("b", mf_dom),
             "from": "%s@%s" % (local, dom), "dkim_domains": dkim_domains, "spf": spf, "dkim": "pass",
             "dmarc": "pass" if dmarc_rec else "none", "fcrdns": True}
        if one_click:
            f["list_unsubscribe_one_click"] = True
        if fbl:
            f["feedback_id"] = fbl
        g.msg(t, f, 1, rates, track=(ident,))


def ordinary(g, budget, n, hosting_blocks=None):
    """Ordinary low-volume senders: small businesses, clubs, personal domains,
    some home-hosted. Class unknown."""
    rng = g.rng
    blocks = [g.block24(HOST_OCT) for _ in range(max(3, n // 25))]
    base = max(1.0, budget / max(1, n) / 7.0)
    for _ in range(n):
        dom = g.domain()
        # heavy tail: most send a handful of messages, a few send a hundred or more
        vol = max(1, min(int(rng.paretovariate(1.1) * base * rng.uniform(0.1, 1.0)), 200))
        kind = rng.random()
        if kind < 0.15:
            # home / office line, dynamic-looking address
            b = g.block24(RESID_OCT)
            ip = g.ip(b, rng.randint(2, 254))
            helo = rng.choice(["mail." + dom, dom, "server", "localhost.localdomain", "NAS"])
            fcrdns = rng.random() < 0.35
        else:
            b = rng.choice(blocks)
            ip = g.ip(b, rng.randint(2, 254))
            helo = rng.choice(["mail." + dom, "mx." + dom, "smtp." + dom, "srv%d.hostingco.net" % rng.randint(1, 900)])
            fcrdns = rng.random() < 0.9
        r = rng.random()
        spf = "pass" if r < 0.72 else ("softfail" if r < 0.82 else ("neutral" if r < 0.87 else "none"))
        r = rng.random()
        dkim = "pass" if r < 0.5 else ("none" if r < 0.95 else "fail")
        dmarc_rec = rng.random() < 0.45
        if dmarc_rec:
            dmarc = "pass" if (spf == "pass" or dkim == "pass") else "fail"
        else:
            dmarc = "none"
        ident_d = "domain:" + dom
        ident_i = "ip:" + ip
        g.label(ident_d, "unknown")
        if ident_i not in g.truth:
            g.label(ident_i, "unknown")
        users = [rng.choice(FIRST + ROLEBOX) for _ in range(rng.randint(1, 5))]
        tz = rng.choice((-5, 0, 1, 1, 2, 3))
        for _ in range(vol):
            t = g.diurnal(g.t0, g.t1, tz, weekend=0.3)
            u = rng.choice(users)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom),
                 "from": "%s@%s" % (u, dom), "dkim_domains": [dom] if dkim != "none" else [],
                 "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcrdns}
            g.msg(t, f, rcpt(rng, 1.4), (0.003, 0.02, 0.0, 0.0, 0.002, 0.05, 0.4), track=(ident_d, ident_i))


def freemail(g, budget, n_providers, n_compromised):
    """Large freemail / hosted-mail providers (not judged: shared by millions),
    including compromised user accounts sending spam through them."""
    rng = g.rng
    provs = []
    for _ in range(n_providers):
        dom = g.domain()
        b = g.block24(ESP_OCT)
        ips = [(g.ip(b, h), "mail-%s%d.%s" % (rng.choice(["ot", "qk", "yw"]), h, dom)) for h in rng.sample(range(2, 250), 30)]
        provs.append((dom, ips))
    per = budget / n_providers
    for dom, ips in provs:
        users = ["%s.%s%d" % (rng.choice(FIRST), rng.choice(FIRST), rng.randint(1, 99)) for _ in range(400)]
        for _ in range(int(per)):
            t = g.diurnal(g.t0, g.t1, rng.choice((-5, 0, 1)), weekend=0.8)
            ip, helo = rng.choice(ips)
            u = rng.choice(users)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom),
                 "from": "%s@%s" % (u, dom), "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
                 "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, rcpt(rng, 1.3), (0.0008, 0.01, 0.00002, 0.0, 0.001, 0.03, 0.4))
    for _ in range(n_compromised):
        dom, ips = rng.choice(provs)
        u = "%s.%s%d" % (rng.choice(FIRST), rng.choice(FIRST), rng.randint(1, 99))
        st = g.t0 + rng.uniform(1, 20) * DAY
        for _ in range(rng.randint(40, 400)):
            t = st + rng.uniform(0, rng.uniform(1, 10) * HOUR)
            ip, helo = rng.choice(ips)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom),
                 "from": "%s@%s" % (u, dom), "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
                 "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, rcpt(rng, 8), (0.004, 0.05, 0.003, 0.0, 0.0, 0.5, 0.4))


def mailing_lists(g, budget, n):
    """Discussion lists: list server re-sends posts; either keeps the author's
    From (DMARC fails for the author's domain) or rewrites From to the list."""
    rng = g.rng
    for _ in range(n):
        dom = g.domain()
        b = g.block24(HOST_OCT)
        ip = g.ip(b, rng.randint(2, 254))
        helo = "lists." + dom
        g.label("ip:" + ip, "bulk")
        g.label("domain:" + dom, "bulk")
        munge = rng.random() < 0.5
        authors = [g.domain() for _ in range(30)]
        lid = "<%s.lists.%s>" % (rng.choice(["dev", "users", "announce", "discuss"]), dom)
        vol = int(budget / n)
        n_posts = max(2, vol // 40)
        for _ in range(n_posts):
            pt = g.diurnal(g.t0, g.t1, 0, weekend=0.7)
            a = rng.choice(authors)
            for _ in range(max(1, int(vol / n_posts))):
                t = pt + rng.uniform(0, 900)
                if munge:
                    frm, dmarc = "%s@%s" % ("list", dom), "pass"
                else:
                    frm, dmarc = "%s@%s" % (rng.choice(FIRST), a), rng.choice(["fail", "fail", "none"])
                f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "list-bounces@" + dom,
                     "from": frm, "dkim_domains": [dom], "spf": "pass", "dkim": "pass", "dmarc": dmarc,
                     "fcrdns": True, "list_id": lid, "list_unsubscribe_one_click": False}
                g.msg(t, f, rcpt(rng, 2), (0.0008, 0.01, 0.00003, 0.0005, 0.0005, 0.04, 0.4),
                      track=("domain:" + dom, "ip:" + ip))


BRAND_LOCAL = ["service", "security", "no-reply", "support", "account", "billing", "info"]


def botnet(g, budget, n_bots, n_campaigns, forge_domains, style="cutwail"):
    """Spam botnet (Cutwail/Kelihos/Necurs-like): infected residential hosts
    sending directly to MX in campaign waves; forged identities."""
    rng = g.rng
    bots = []
    for i in range(n_bots):
        if bots and rng.random() < 0.15:
            b = rng.choice(bots)[0]   # several infected hosts in one access /24
        else:
            b = g.block24(RESID_OCT)
        host = rng.randint(2, 254)
        ip = g.ip(b, host)
        fc = rng.random() < 0.35
        isp = rng.choice(["dsl", "dyn", "cable", "pool", "ppp", "adsl", "home"])
        rdns = "%s-%d-%d-%d-%d.%s.%s" % (isp, b[0], b[1], b[2], host, rng.choice(["telco", "net", "broadband"]), rng.choice(["de", "br", "in", "vn", "com", "pl", "it", "ru", "tr"]))
        bots.append((b, ip, fc, rdns))
    # spamvertised throwaway From domains (registered by the spammer)
    spam_doms = [g.domain(spam=True) for _ in range(max(4, n_campaigns * 3))]
    camps = []
    for c in range(n_campaigns):
        st = g.t0 + rng.uniform(0.5, SPAN_DAYS - 1.5) * DAY
        dur = rng.uniform(6, 60) * HOUR
        part = rng.sample(bots, max(2, int(len(bots) * rng.uniform(0.2, 0.7))))
        mode = rng.choice(["own", "own", "forge_brand", "forge_free"])
        doms = rng.sample(spam_doms, rng.randint(1, 3))
        camps.append((st, dur, part, mode, doms))
    tot_part = sum(len(c[2]) for c in camps)
    per_bot = max(1.0, budget / max(1, tot_part))
    bad_ids = set()
    for st, dur, part, mode, doms in camps:
        helo_mode = rng.choice(["random", "iplit", "rdns", "forged", "localhost"])
        for b, ip, fc, rdns in part:
            ident = "ip:" + ip
            bad_ids.add(ident)
            nmsg = max(1, int(per_bot * math.exp(rng.gauss(-0.3, 1.2))))
            bst = st + rng.uniform(0, dur * 0.5)
            bdur = rng.uniform(0.2, 1.0) * dur
            if helo_mode == "random":
                helo = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 10)))
            elif helo_mode == "iplit":
                helo = "[%s]" % ip
            elif helo_mode == "rdns":
                helo = rdns
            elif helo_mode == "forged":
                helo = rng.choice(["mail.", "smtp.", "mx."]) + rng.choice(forge_domains or doms)
            else:
                helo = rng.choice(["localhost", "User", "WIN-" + "".join(rng.choice("ABCDEFGH0123456789") for _ in range(8))])
            for _ in range(nmsg):
                t = bst + rng.uniform(0, bdur)
                if mode == "own":
                    d = rng.choice(doms)
                    frm = "%s@%s" % (rng.choice(FIRST + ROLEBOX), d)
                    mf = frm if rng.random() < 0.7 else "%s%d@%s" % (rng.choice(FIRST), rng.randint(1, 999), d)
                    spf = rng.choice(["none", "none", "neutral", "softfail"])
                    dkim, dmarc, dk = "none", "none", []
                    track = (ident, "domain:" + d)
                elif mode == "forge_brand" and forge_domains:
                    d = rng.choice(forge_domains)
                    frm = "%s@%s" % (rng.choice(BRAND_LOCAL), d)
                    mf = frm if rng.random() < 0.5 else "%s@%s" % (rng.choice(FIRST), rng.choice(doms))
                    spf = "fail" if mf.endswith(d) else "none"
                    dkim, dmarc, dk = "none", "fail", []
                    track = (ident,)
                else:
                    d = rng.choice(doms)
                    frm = "%s%d@%s" % (rng.choice(FIRST), rng.randint(1, 9999), d)
                    mf = frm
                    spf, dkim, dmarc, dk = "none", "none", "none", []
                    track = (ident, "domain:" + d)
                if rng.random() < 0.05:
                    dkim, dk = "fail", [d]
                f = {"type": "message", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
                     "dkim_domains": dk, "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fc}
                g.msg(t, f, rcpt(rng, 2.5), (0.006, 0.12, 0.006, 0.0, 0.00005, 0.72, 0.4), track=track)
    for ident in bad_ids:
        g.label(ident, "spammer")
    for d in spam_doms:
        if ("domain:" + d) in g.first_seen:
            g.label("domain:" + d, "spammer")


def snowshoe(g, budget, n_blocks, ips_per_block, n_domains):
    """Snowshoe: many IPs in a few hosting /24s, each with its own domain and
    matching rDNS, SPF/DKIM/DMARC pass, list headers; domains rotated."""
    rng = g.rng
    ips = []
    for _ in range(n_blocks):
        b = g.block24(HOST_OCT)
        for h in rng.sample(range(2, 254), ips_per_block):
            ips.append(g.ip(b, h))
    doms = [g.domain(spam=rng.random() < 0.5) for _ in range(n_domains)]
    # each domain has a life of a few days (hit-and-run rotation)
    dlife = {}
    for d in doms:
        s = g.t0 + rng.uniform(-1, SPAN_DAYS - 2) * DAY
        dlife[d] = (s, s + rng.uniform(1.5, 6) * DAY)
    assign = {ip: rng.sample(doms, min(len(doms), rng.randint(2, 5))) for ip in ips}
    per_ip = budget / max(1, len(ips))
    one_click_p = rng.uniform(0.5, 0.9)
    tz = rng.choice((-5, -6, 0))
    for ip in ips:
        ident = "ip:" + ip
        g.label(ident, "spammer")
        mydoms = assign[ip]
        n = max(2, int(per_ip * math.exp(rng.gauss(0, 0.6))))
        for _ in range(n):
            d = rng.choice(mydoms)
            a, b_ = dlife[d]
            # send in batches during business hours of the operator
            t = g.diurnal(a, b_, tz, weekend=0.6)
            if t < g.t0 or t >= g.t1 or t < a or t >= b_:
                continue
            f = {"type": "message", "ip": ip, "helo": "mx%d.%s" % (int(ip.split(".")[3]) % 20, d),
                 "mail_from": "bounce@%s" % d, "from": "%s@%s" % (rng.choice(["offers", "deals", "news", "info", "rewards"]), d),
                 "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                 "list_unsubscribe_one_click": rng.random() < one_click_p}
            if rng.random() < 0.4:
                f["list_id"] = "<promo.%s>" % d
            g.msg(t, f, rcpt(rng, 1.6), (rng.uniform(0.003, 0.012), rng.uniform(0.04, 0.12), 0.0025,
                                         0.006, 0.0002, 0.35, 0.4), track=(ident, "domain:" + d))
    for d in doms:
        if ("domain:" + d) in g.first_seen:
            g.label("domain:" + d, "spammer")


def hit_and_run(g, budget, n):
    """Cloud VPS + freshly registered domain, one intense burst, then gone."""
    rng = g.rng
    for _ in range(n):
        b = g.block24(HOST_OCT)
        ip = g.ip(b, rng.randint(2, 254))
        d = g.domain(spam=True)
        st = g.t0 + rng.uniform(0.5, SPAN_DAYS - 0.5) * DAY
        dur = rng.uniform(1, 10) * HOUR
        nm = max(20, int(budget / n * math.exp(rng.gauss(0, 0.5))))
        good_auth = rng.random() < 0.7
        for _ in range(nm):
            t = st + rng.uniform(0, dur)
            f = {"type": "message", "ip": ip, "helo": "mail." + d, "mail_from": "info@" + d,
                 "from": "%s@%s" % (rng.choice(["promo", "win", "alert", "info"]), d),
                 "dkim_domains": [d] if good_auth else [], "spf": "pass",
                 "dkim": "pass" if good_auth else "none", "dmarc": "pass" if good_auth else "none",
                 "fcrdns": rng.random() < 0.999 if good_auth else False}
            if rng.random() < 0.5:
                f["list_unsubscribe_one_click"] = True
            g.msg(t, f, rcpt(rng, 3), (0.008, 0.15, 0.005, 0.002, 0.0, 0.5, 0.4),
                  track=("ip:" + ip, "domain:" + d))
        g.label("ip:" + ip, "spammer")
        g.label("domain:" + d, "spammer")


def compromised_webserver(g, budget, n, forge_domains):
    """A small site (contact forms, order mails) whose CMS is compromised;
    a PHP mailer then sends spam from the server."""
    rng = g.rng
    blocks = [g.block24(HOST_OCT) for _ in range(max(1, n // 4))]
    for _ in range(n):
        b = rng.choice(blocks)
        ip = g.ip(b, rng.randint(2, 254))
        dom = g.domain()
        helo = rng.choice(["vps%d.hostingco.net" % rng.randint(100, 9999), "www." + dom, dom])
        dk = rng.random() < 0.6
        bad = g.t0 + rng.uniform(7, 16) * DAY
        clean = bad + rng.uniform(1, 5) * DAY
        g.label("ip:" + ip, "compromised", bad)
        g.label("domain:" + dom, "compromised", bad)
        daily = rng.uniform(3, 25)
        for _ in range(poisson(rng, daily * SPAN_DAYS)):
            t = g.diurnal(g.t0, g.t1, 1, weekend=0.6)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "wordpress@" + dom,
                 "from": rng.choice(["orders", "wordpress", "contact", "info"]) + "@" + dom,
                 "dkim_domains": [dom] if dk else [], "spf": "pass", "dkim": "pass" if dk else "none",
                 "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, 1, (0.0005, 0.01, 0.0, 0.0, 0.001, 0.03, 0.4), track=("ip:" + ip, "domain:" + dom))
        nm = max(100, int(budget / n))
        for _ in range(nm):
            t = bad + (clean - bad) * rng.random() ** 1.3
            if rng.random() < 0.6 or not forge_domains:
                frm = "%s%d@%s" % (rng.choice(FIRST + ROLEBOX), rng.randint(1, 99), dom)
                spf, dkim, dmarc, dkd = "pass", ("pass" if dk else "none"), "pass", ([dom] if dk else [])
            else:
                fd = rng.choice(forge_domains)
                frm = "%s@%s" % (rng.choice(BRAND_LOCAL), fd)
                spf, dkim, dmarc, dkd = "pass", "none", "fail", []
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (rng.choice(["www-data", "apache", "nobody", "wordpress"]), dom),
                 "from": frm, "dkim_domains": dkd, "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": True}
            g.msg(t, f, rcpt(rng, 3), (0.007, 0.15, 0.004, 0.0, 0.0, 0.55, 0.4), track=("ip:" + ip,))


def compromised_corp(g, budget, n, tz=1):
    """A company's own mail server; a user's SMTP AUTH password is stolen and
    used to blast spam through it (Spamhaus 2012)."""
    rng = g.rng
    for _ in range(n):
        b = g.block24(HOST_OCT)
        ip = g.ip(b, rng.randint(2, 254))
        dom = g.domain()
        helo = "mail." + dom
        bad = g.t0 + rng.uniform(7, 17) * DAY
        g.label("ip:" + ip, "compromised", bad)
        g.label("domain:" + dom, "compromised", bad)
        users = [rng.choice(FIRST) + "." + rng.choice(FIRST) for _ in range(30)]
        dk = rng.random() < 0.8
        base = {"type": "message", "ip": ip, "helo": helo, "spf": "pass", "dkim": "pass" if dk else "none",
                "dmarc": "pass", "fcrdns": True, "dkim_domains": [dom] if dk else []}
        for _ in range(poisson(rng, rng.uniform(5, 40) * SPAN_DAYS)):
            t = g.diurnal(g.t0, g.t1, tz, weekend=0.15)
            u = rng.choice(users)
            f = dict(base, mail_from="%s@%s" % (u, dom))
            f["from"] = f["mail_from"]
            g.msg(t, f, rcpt(rng, 1.5), (0.0008, 0.01, 0.0, 0.0, 0.002, 0.03, 0.4), track=("ip:" + ip, "domain:" + dom))
        victim = rng.choice(users)
        nb = rng.randint(1, 3)
        left = max(80, int(budget / n))
        st = bad
        for k in range(nb):
            dur = rng.uniform(2, 20) * HOUR
            cnt = left // (nb - k)
            left -= cnt
            for _ in range(cnt):
                t = st + rng.uniform(0, dur)
                f = dict(base, mail_from="%s@%s" % (victim, dom))
                f["from"] = f["mail_from"] if rng.random() < 0.8 else "%s@%s" % (rng.choice(BRAND_LOCAL), dom)
                g.msg(t, f, rcpt(rng, 12), (0.002, 0.012, 0.01, 0.0, 0.0, 0.5, 0.4), track=("ip:" + ip, "domain:" + dom))
            st = st + dur + rng.uniform(6, 40) * HOUR


def vendor_compromise(g, budget, n, cloud_ips, cloud_dom):
    """Partner (vendor) mailbox on a hosted cloud mail service is taken over;
    thread-hijacking malspam (Emotet-style) to this organisation's users.
    IPs are the cloud provider's shared outbound (not judged); the partner
    domain is compromised."""
    rng = g.rng
    for _ in range(n):
        dom = g.domain()
        bad = g.t0 + rng.uniform(7, 16) * DAY
        g.label("domain:" + dom, "compromised", bad)
        people = [rng.choice(FIRST) + "." + rng.choice(FIRST) for _ in range(6)]
        dk = [dom, cloud_dom]
        for _ in range(rng.randint(30, 120)):
            t = g.diurnal(g.t0, g.t1, 1, weekend=0.1)
            ip, helo = rng.choice(cloud_ips)
            u = rng.choice(people)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom), "from": "%s@%s" % (u, dom),
                 "dkim_domains": dk, "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, rcpt(rng, 1.5), (0.001, 0.005, 0.0, 0.0, 0.003, 0.03, 0.4), track=("domain:" + dom,))
        victim = rng.choice(people)
        for _ in range(max(20, int(budget / n))):
            t = bad + rng.uniform(0, rng.uniform(4, 36) * HOUR)
            ip, helo = rng.choice(cloud_ips)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (victim, dom),
                 "from": "%s@%s" % (victim, dom), "dkim_domains": dk, "spf": "pass", "dkim": "pass",
                 "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, rcpt(rng, 2), (0.03, 0.02, 0.0, 0.0, 0.0, 0.45, 0.4), track=("domain:" + dom,))


def cloud_mail(g, budget, n_tenants):
    """Hosted business mail (shared outbound IPs, tenant domains). Tenants are
    B2B correspondents: low volume, class unknown; the provider is not judged."""
    rng = g.rng
    cdom = g.domain()
    b = g.block24(ESP_OCT)
    ips = [(g.ip(b, h), "mail-%s%d.outbound.%s" % (rng.choice(["am", "db", "eu"]), h, cdom)) for h in rng.sample(range(2, 250), 40)]
    sizes = [rng.paretovariate(1.5) for _ in range(n_tenants)]
    tot = sum(sizes)
    for s in sizes:
        dom = g.domain()
        g.label("domain:" + dom, "unknown")
        people = [rng.choice(FIRST) + "." + rng.choice(FIRST) for _ in range(rng.randint(1, 8))]
        vol = max(1, min(150, int(budget * s / tot)))
        for _ in range(vol):
            t = g.diurnal(g.t0, g.t1, rng.choice((0, 1, -5)), weekend=0.1)
            ip, helo = rng.choice(ips)
            u = rng.choice(people)
            f = {"type": "message", "ip": ip, "helo": helo, "mail_from": "%s@%s" % (u, dom), "from": "%s@%s" % (u, dom),
                 "dkim_domains": [dom, cdom], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True}
            g.msg(t, f, rcpt(rng, 1.5), (0.001, 0.005, 0.0, 0.0, 0.002, 0.03, 0.4), track=("domain:" + dom,))
    return ips, cdom


# ============================================================ populations
def build(pop, seed, scale):
    rng = random.Random("senders:%s:%d" % (pop, seed))
    t0 = T0 + (seed % 7) * DAY  # start day varies with the seed
    t1 = t0 + SPAN_DAYS * DAY
    g = Gen(rng, t0, t1, traps=(pop != "corporate_gw"))
    N = 1.85e6 * scale
    s = math.sqrt(max(scale, 1e-4))

    def cnt(x, lo):
        return max(lo, int(round(x * s)))

    # brands forged by bots are real transactional senders of this population
    if pop == "isp_mx":
        own_infra_transactional(g, 0.10 * N, cnt(25, 3))
        brands = [k[7:] for k, v in g.truth.items() if k.startswith("domain:") and v[0] == "transactional"]
        transactional_esp(g, 0.10 * N, cnt(60, 4))
        esp_platform(g, "esp1", 0.22 * N, cnt(140, 12), [("compromised", 2), ("listbombed", 1), ("reactivation", 2), ("newsender", 2)])
        esp_platform(g, "esp2", 0.14 * N, cnt(90, 8), [("spammer_customer", 1), ("compromised", 1), ("warmup", 1)], sloppy_frac=0.3)
        mailing_lists(g, 0.015 * N, cnt(6, 2))
        freemail(g, 0.10 * N, 2, cnt(25, 3))
        ordinary(g, 0.05 * N, cnt(2500, 40))
        botnet(g, 0.17 * N, cnt(5000, 60), cnt(12, 3), brands)
        snowshoe(g, 0.05 * N, cnt(3, 1), cnt(45, 8), cnt(90, 10))
        hit_and_run(g, 0.012 * N, cnt(20, 3))
        compromised_webserver(g, 0.012 * N, cnt(14, 3), brands)
        compromised_corp(g, 0.012 * N, cnt(8, 2))
    elif pop == "mailbox_provider":
        own_infra_transactional(g, 0.12 * N, cnt(40, 4))
        brands = [k[7:] for k, v in g.truth.items() if k.startswith("domain:") and v[0] == "transactional"]
        transactional_esp(g, 0.06 * N, cnt(70, 4))
        transactional_esp(g, 0.04 * N, cnt(40, 3))
        esp_platform(g, "esp1", 0.20 * N, cnt(150, 12), [("compromised", 2), ("listbombed", 1), ("reactivation", 1), ("newsender", 2)])
        esp_platform(g, "esp2", 0.15 * N, cnt(120, 10), [("spammer_customer", 2), ("compromised", 2), ("warmup", 1), ("listbombed", 1)], sloppy_frac=0.3)
        esp_platform(g, "esp3", 0.10 * N, cnt(80, 8), [("spammer_customer", 1), ("compromised", 1), ("newsender", 1), ("reactivation", 1)], sloppy_frac=0.15)
        mailing_lists(g, 0.02 * N, cnt(10, 2))
        freemail(g, 0.07 * N, 2, cnt(40, 4))
        ordinary(g, 0.03 * N, cnt(1800, 40))
        botnet(g, 0.05 * N, cnt(2000, 40), cnt(8, 2), brands)
        snowshoe(g, 0.08 * N, cnt(5, 2), cnt(50, 8), cnt(160, 12))
        hit_and_run(g, 0.03 * N, cnt(40, 4))
        compromised_webserver(g, 0.01 * N, cnt(12, 3), brands)
        compromised_corp(g, 0.01 * N, cnt(6, 2))
    elif pop == "corporate_gw":
        own_infra_transactional(g, 0.12 * N, cnt(30, 4))
        brands = [k[7:] for k, v in g.truth.items() if k.startswith("domain:") and v[0] == "transactional"]
        transactional_esp(g, 0.13 * N, cnt(60, 4))
        esp_platform(g, "esp1", 0.15 * N, cnt(120, 10), [("compromised", 1), ("newsender", 2), ("reactivation", 1)], sloppy_frac=0.25)
        esp_platform(g, "esp2", 0.10 * N, cnt(70, 6), [("spammer_customer", 1), ("listbombed", 1)], sloppy_frac=0.3)
        cips, cdom = cloud_mail(g, 0.12 * N, cnt(1200, 30))
        vendor_compromise(g, 0.01 * N, cnt(10, 2), cips, cdom)
        freemail(g, 0.08 * N, 2, cnt(15, 2))
        ordinary(g, 0.10 * N, cnt(2500, 40))
        mailing_lists(g, 0.01 * N, cnt(4, 2))
        botnet(g, 0.06 * N, cnt(1500, 30), cnt(10, 3), brands, style="emotet")
        snowshoe(g, 0.03 * N, cnt(2, 1), cnt(40, 8), cnt(60, 8))
        hit_and_run(g, 0.01 * N, cnt(12, 2))
        compromised_webserver(g, 0.008 * N, cnt(8, 2), brands)
        compromised_corp(g, 0.02 * N, cnt(10, 2))
    else:
        raise SystemExit("unknown population %r (use --list)" % pop)
    return g


def write(g, pop, seed, out):
    os.makedirs(out, exist_ok=True)
    g.ev.sort()
    tm = g.tmpls
    mask_t = (1 << 25) - 1
    n = 0
    with open(os.path.join(out, "events.jsonl"), "w") as fh:
        buf = []
        for k in g.ev:
            buf.append('{"time":%d,%s,"recipients":%d}\n' % (k >> 45, tm[(k >> 20) & mask_t], k & 0xFFFFF))
            if len(buf) >= 20000:
                fh.write("".join(buf))
                buf = []
        fh.write("".join(buf))
        n = len(g.ev)
    # truth: only identities that actually appear in the events
    rows = []
    for ident in sorted(g.truth):
        cls, bad = g.truth[ident]
        if ident not in g.first_seen:
            continue
        if cls == "spammer":
            bad = g.first_seen[ident]
        elif cls == "compromised":
            bad = int(bad)
        else:
            bad = None
        rows.append((ident, cls, "" if bad is None else str(int(bad))))
    with open(os.path.join(out, "truth.csv"), "w") as fh:
        fh.write("identity,class,bad_from\n")
        for r in rows:
            fh.write("%s,%s,%s\n" % r)
    meta = {"population": pop, "seed": seed, "start": g.t0, "end": g.t1, "events": n, "identities": len(rows)}
    with open(os.path.join(out, "meta.json"), "w") as fh:
        json.dump(meta, fh)
        fh.write("\n")
    return meta, rows


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
    g = build(a.population, a.seed, a.scale)
    meta, rows = write(g, a.population, a.seed, a.out)
    counts = {}
    for _, c, _ in rows:
        counts[c] = counts.get(c, 0) + 1
    sys.stderr.write("%s seed=%d events=%d identities=%d %s\n" % (a.population, a.seed, meta["events"], meta["identities"],
                                                                   " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

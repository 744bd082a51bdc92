#!/usr/bin/env python3
"""Sender-population generator (blind round 6).

Writes events.jsonl, truth.csv and meta.json (see FORMAT.md) describing
what a receiving mail system sees over three weeks from a mixed world of
senders.  Standard library only; output is a pure function of --seed,
--population and --scale.

Populations:
  isp_inbound       inbound MX of a consumer ISP: botnet spam waves on top of
                    ESP/newsletter/transactional/freemail traffic, a little
                    snowshoe, small legitimate senders, one hijacked small
                    business mail server and one stolen cloud-mail API key.
  mailbox_provider  a large mailbox provider: shared ESP pools with a bad
                    customer or two, heavy snowshoe with valid SPF/DKIM,
                    its own users' authenticated submissions (some accounts
                    taken over), a thin botnet background.
See README.md for the published descriptions each actor is based on.
"""
import argparse
import calendar
import csv
import json
import math
import os
import random

DAY = 86400
HOUR = 3600
T0 = calendar.timegm((2026, 3, 2, 0, 0, 0))  # a Monday
DAYS = 21
T1 = T0 + DAYS * DAY
BASE_EVENTS = 2_000_000

SYL = ["ka", "lo", "mi", "ne", "ta", "ri", "so", "va", "den", "mar", "tel", "bri", "cor", "fin",
       "gal", "hen", "ion", "jet", "kin", "lux", "mon", "nor", "pol", "quin", "ros", "sun", "tor",
       "ul", "ven", "wex", "yar", "zen", "al", "bel", "cas", "dor", "el", "fal", "gor", "har"]
WORDS = ["deal", "shop", "mail", "news", "promo", "offer", "daily", "best", "smart", "prime",
         "club", "home", "health", "travel", "rx", "loan", "casino", "dating", "crypto", "vip",
         "save", "gift", "bonus", "secure", "update", "notice", "reward", "club", "zone", "hub"]
LEGIT_TLDS = ["com", "com", "com", "net", "org", "de", "co.uk", "fr", "io", "nl", "it", "es"]
SPAM_TLDS = ["com", "info", "top", "xyz", "ru", "biz", "online", "site", "club", "click", "icu",
             "shop", "live", "work"]
FIRST = ["anna", "ben", "carla", "dave", "emma", "frank", "gina", "hugo", "ines", "jon", "kate",
         "leo", "mia", "nick", "olga", "paul", "rita", "sam", "tina", "uwe", "vera", "will"]


def sigmoid_day_profile(hour):
    """Relative sending activity of human-driven mail by local hour."""
    return 0.15 + math.exp(-((hour - 11.0) ** 2) / 18.0) + 0.6 * math.exp(-((hour - 19.5) ** 2) / 8.0)


HOUR_W = [sigmoid_day_profile(h) for h in range(24)]
HOUR_WMAX = max(HOUR_W)


class World:
    def __init__(self, seed, population, scale):
        self.rng = random.Random(f"senders:{population}:{seed}")
        self.scale = scale
        self.events = []
        self.truth = {}  # identity -> [class, bad_from or None]; insertion ordered
        self.used24 = {}
        self.used_domains = {}
        self.legit_mtas = []  # (ip, domain, helo, fcrdns) of small legitimate MTAs (backscatter sources)
        self.own_domain = None  # the receiver's own domain (forged by bots -> backscatter)

    # ---- names and addresses -------------------------------------------------
    def block24(self, first_octets=None):
        r = self.rng
        while True:
            if first_octets:
                a = r.choice(first_octets)
            else:
                a = r.randint(1, 223)
            if a in (0, 10, 100, 127, 169, 172, 192, 198, 203) or a >= 224:
                continue
            b, c = r.randint(0, 255), r.randint(0, 255)
            key = (a, b, c)
            if key in self.used24:
                continue
            self.used24[key] = 1
            return f"{a}.{b}.{c}."

    def ips_in_block(self, prefix, n, lo=2, hi=254):
        hosts = self.rng.sample(range(lo, hi + 1), n)
        hosts.sort()
        return [prefix + str(h) for h in hosts]

    def residential_ip(self, pools):
        """An address in one of a few residential /16 pools (bots, users)."""
        r = self.rng
        while True:
            p = r.choice(pools)
            ip = f"{p}{r.randint(0, 255)}.{r.randint(1, 254)}"
            k = (ip,)
            if k in self.used24:
                continue
            self.used24[k] = 1
            return ip

    def res_pools(self, n):
        out = []
        seen = {}
        while len(out) < n:
            a = self.rng.choice([24, 31, 37, 41, 46, 49, 58, 59, 61, 78, 79, 82, 83, 86, 88, 89, 91,
                                 93, 95, 101, 103, 105, 109, 110, 112, 113, 115, 117, 118, 122, 125,
                                 151, 171, 175, 177, 179, 181, 186, 187, 189, 190, 197, 200, 201])
            b = self.rng.randint(0, 255)
            if (a, b) in seen:
                continue
            seen[(a, b)] = 1
            out.append(f"{a}.{b}.")
        return out

    def domain(self, kind="legit", words=None):
        r = self.rng
        while True:
            if kind == "spam":
                name = r.choice(WORDS) + r.choice(["", "-", ""]) + r.choice(WORDS) + \
                    (str(r.randint(1, 99)) if r.random() < 0.4 else "")
                d = f"{name}.{r.choice(SPAM_TLDS)}"
            elif kind == "word":
                d = f"{r.choice(SYL)}{r.choice(SYL)}{r.choice(WORDS)}.{r.choice(LEGIT_TLDS)}"
            else:
                n = r.choice([2, 2, 3])
                d = "".join(r.choice(SYL) for _ in range(n)) + "." + r.choice(LEGIT_TLDS)
            if d not in self.used_domains:
                self.used_domains[d] = 1
                return d

    # ---- truth and time ------------------------------------------------------------
    def label(self, identity, cls, bad_from=None):
        cur = self.truth.get(identity)
        if cur is None:
            self.truth[identity] = [cls, bad_from]
        elif bad_from is not None and (cur[1] is None or bad_from < cur[1]):
            cur[1] = bad_from

    def human_time(self, day_start, tz):
        """A time on the given day (UTC midnight) following a human diurnal profile in tz."""
        r = self.rng
        while True:
            h = r.randrange(24)
            if r.random() * HOUR_WMAX <= HOUR_W[h]:
                t = day_start + (h - tz) * HOUR + r.randrange(HOUR)
                return t

    # ---- event emission ----------------------------------------------------------
    def emit(self, t, etype, m, recipients=1, verdict=None):
        t = int(t)
        if t < T0 or t >= T1:
            return
        d = {"time": t, "type": etype, "ip": m["ip"]}
        if m.get("helo") is not None:
            d["helo"] = m["helo"]
        if m.get("mail_from") is not None:
            d["mail_from"] = m["mail_from"]
        if m.get("from") is not None:
            d["from"] = m["from"]
        d["dkim_domains"] = m.get("dkim_domains", [])
        d["spf"] = m.get("spf", "none")
        d["dkim"] = m.get("dkim", "none")
        d["dmarc"] = m.get("dmarc", "none")
        if d["spf"] == "pass" and self.rng.random() < 0.006:
            # forwarded or mis-published: SPF breaks, DMARC survives on DKIM when signed
            d["spf"] = self.rng.choice(["softfail", "fail", "neutral"])
            if d["dkim"] != "pass" and d["dmarc"] == "pass":
                d["dmarc"] = "fail"
        elif d["dkim"] == "pass" and self.rng.random() < 0.003:
            d["dkim"] = "fail"  # body modified in transit (footer added by a list, etc.)
        d["fcrdns"] = m.get("fcrdns", False)
        d["recipients"] = recipients
        if m.get("luoc"):
            d["list_unsubscribe_one_click"] = True
        if m.get("feedback_id"):
            d["feedback_id"] = m["feedback_id"]
        if m.get("list_id"):
            d["list_id"] = m["list_id"]
        if verdict is not None:
            d["verdict"] = verdict
        self.events.append((t, json.dumps(d, separators=(",", ":"))))

    def deliver(self, t, m, p, recipients=1):
        """One delivery attempt, with the receiver-side consequences drawn from p:
        p = dict(bounce, trap, spam (filter verdict), complain (of inbox mail),
                 complain_spam (of spam-folder mail), unsub, notspam)."""
        r = self.rng
        x = r.random()
        if x < p["bounce"]:
            self.emit(t, "bounce", m, recipients)
            return
        if x < p["bounce"] + p["trap"]:
            self.emit(t, "trap", m, recipients)
            return
        spam = r.random() < p["spam"]
        v = "spam" if spam else "ham"
        self.emit(t, "message", m, recipients, v)
        # Feedback: one event per message at most (per-recipient rates times recipients)
        k = min(recipients, 20)
        if spam:
            if r.random() < p.get("notspam", 0.0) * k:
                self.emit(t + feedback_delay(r), "notspam", m, 1)
            elif r.random() < p.get("complain_spam", 0.0) * k:
                self.emit(t + feedback_delay(r), "complaint", m, 1)
        else:
            if r.random() < p["complain"] * k:
                self.emit(t + feedback_delay(r), "complaint", m, 1)
            elif m.get("luoc") or m.get("list_id"):
                if r.random() < p.get("unsub", 0.0) * k:
                    self.emit(t + feedback_delay(r), "unsubscribe", m, 1)


def feedback_delay(r):
    # Most complaints/unsubscribes come within hours of delivery, a tail over days.
    return int(min(6 * DAY, r.lognormvariate(math.log(3 * HOUR), 1.4)))


def rate(r, lo, hi):
    """Log-uniform draw between lo and hi."""
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


# =============================================================================
# Actors
# =============================================================================

def esp(w, budget, name, n_ips, n_customers, bad_customers=0, bad_kind="list"):
    """An email service provider: a shared IP pool sending for many customers.
    Customers are newsletters (bulk) or transactional; bad customers turn to
    spam at some point (bought list / snowshoe-like pivot) through the same IPs."""
    r = w.rng
    espdom = f"{name}.net"
    w.used_domains[espdom] = 1
    pool = []
    while len(pool) < n_ips:
        blk = w.block24()
        pool += w.ips_in_block(blk, min(n_ips - len(pool), r.randint(8, 48)))
    for ip in pool:
        w.label(f"ip:{ip}", "bulk")
    w.label(f"domain:{espdom}", "bulk")
    helo_of = {ip: f"o{i + 1}.mta.{espdom}" for i, ip in enumerate(pool)}
    # customers' shares of the ESP volume: heavy-tailed
    weights = [r.paretovariate(1.1) for _ in range(n_customers)]
    tot = sum(weights)
    bad_idx = r.sample(range(n_customers), bad_customers) if bad_customers else []
    for ci in range(n_customers):
        cbudget = budget * weights[ci] / tot
        is_bad = ci in bad_idx
        trans = (not is_bad) and r.random() < 0.25
        dom = w.domain("word" if r.random() < 0.5 else "legit")
        cid = r.randint(10000, 99999)
        # a customer uses a subset of the shared pool
        ips = r.sample(pool, max(1, min(len(pool), int(r.uniform(0.1, 0.6) * len(pool)) or 1)))
        if trans:
            w.label(f"domain:{dom}", "transactional")
            transactional_stream(w, cbudget, dom, ips, helo_of, bounce_dom=f"bnc.{espdom}",
                                 dkim=[dom, espdom], fid_prefix=f"{cid}:{name}")
            continue
        if is_bad:
            # starts as a mediocre newsletter, then mails a purchased/scraped list
            bad_from = T0 + int(r.uniform(3, 14) * DAY)
            w.label(f"domain:{dom}", "spammer", bad_from)
            newsletter_stream(w, cbudget * 0.25, dom, ips, helo_of, f"bnc.{espdom}", [dom, espdom],
                              f"{cid}:{name}", quality="mediocre", until=bad_from)
            newsletter_stream(w, cbudget * 0.75, dom, ips, helo_of, f"bnc.{espdom}", [dom, espdom],
                              f"{cid}:{name}", quality="bought_list", since=bad_from)
        else:
            w.label(f"domain:{dom}", "bulk")
            q = r.choice(["good", "good", "good", "mediocre"])
            newsletter_stream(w, cbudget, dom, ips, helo_of, f"bnc.{espdom}", [dom, espdom],
                              f"{cid}:{name}", quality=q)


QUALITY = {
    # bounce, trap, spam verdict, complaint(inbox), unsub
    "good": (0.004, 0.00002, 0.02, 0.0006, 0.002),
    "mediocre": (0.015, 0.0002, 0.08, 0.002, 0.004),
    "bought_list": (0.12, 0.004, 0.45, 0.012, 0.01),
}


def newsletter_stream(w, budget, dom, ips, helo_of, bounce_dom, dkim, fid, quality="good",
                      since=T0, until=T1, one_click=None):
    """Campaign-based bulk mail: deployments on a cadence at a fixed local hour."""
    r = w.rng
    if budget < 1:
        return
    tz = r.choice([-8, -5, -5, 0, 1, 1, 2])
    cadence = r.choice([1, 1, 2, 3.5, 7])  # days between campaigns
    span_days = max(0.5, (until - since) / DAY)
    n_campaigns = max(1, int(span_days / cadence))
    per = max(1, int(budget / n_campaigns))
    b, tr, sp, co, un = QUALITY[quality]
    b *= r.uniform(0.6, 1.5)
    co *= r.uniform(0.5, 2.0)
    p = dict(bounce=b, trap=tr, spam=sp * r.uniform(0.5, 1.5), complain=co,
             complain_spam=co * 0.1, unsub=un * r.uniform(0.5, 2), notspam=0.01)
    if one_click is None:
        one_click = r.random() < 0.85
    local = dom.split(".")[0]
    senders = [f"news@{dom}", f"offers@{dom}", f"hello@{dom}"][: r.randint(1, 3)]
    hour = r.choice([6, 7, 8, 9, 10, 11, 14, 16, 18])
    for c in range(n_campaigns):
        day0 = since + int(c * cadence * DAY)
        start = (day0 - day0 % DAY) + (hour - tz) * HOUR + r.randrange(1800)
        if start < since:
            start += DAY
        if start >= until:
            break
        size = max(1, int(per * r.uniform(0.7, 1.3)))
        deploy = r.uniform(0.3, 3.0) * HOUR
        camp = r.randint(100000, 999999)
        list_id = f"<{local}-{r.choice(['weekly', 'offers', 'digest', 'news'])}.{dom}>"
        frm = r.choice(senders)
        for _ in range(size):
            t = start + r.random() * deploy
            ip = r.choice(ips)
            m = {"ip": ip, "helo": helo_of[ip],
                 "mail_from": f"b{r.randint(1000, 9999)}.{camp}@{bounce_dom}", "from": frm,
                 "dkim_domains": dkim, "spf": "pass", "dkim": "pass", "dmarc": "pass",
                 "fcrdns": True, "luoc": one_click, "feedback_id": f"{camp}:{fid}:promo",
                 "list_id": list_id}
            w.deliver(t, m, p)


def transactional_stream(w, budget, dom, ips, helo_of, bounce_dom, dkim, fid_prefix=None,
                         since=T0, until=T1, p=None):
    """Receipts, password resets, notifications: steady, diurnal, one recipient."""
    r = w.rng
    if budget < 1:
        return
    tz = r.choice([-8, -5, 0, 1, 2, 8])
    p = p or dict(bounce=r.uniform(0.005, 0.03), trap=0.0, spam=r.uniform(0.002, 0.03),
                  complain=r.uniform(0.00005, 0.0004), complain_spam=0.0, notspam=0.1)
    frm = r.choice([f"no-reply@{dom}", f"receipts@{dom}", f"alerts@{dom}", f"account@{dom}"])
    n = int(budget)
    span = until - since
    days = max(1, int(span / DAY))
    for _ in range(n):
        d = since + r.randrange(days) * DAY
        d -= d % DAY
        t = w.human_time(d, tz) if r.random() < 0.8 else d + r.randrange(DAY)
        if t < since or t >= until:
            continue
        ip = r.choice(ips)
        m = {"ip": ip, "helo": helo_of[ip], "mail_from": f"bounces+{r.randint(1, 1 << 30):x}@{bounce_dom}",
             "from": frm, "dkim_domains": dkim, "spf": "pass", "dkim": "pass", "dmarc": "pass",
             "fcrdns": True}
        if fid_prefix and r.random() < 0.7:
            m["feedback_id"] = f"{fid_prefix}:txn"
        w.deliver(t, m, p)


def direct_sender(w, budget, kind):
    """A brand sending from its own dedicated IPs (newsletter or transactional)."""
    r = w.rng
    dom = w.domain("legit")
    n_ips = r.choice([1, 2, 2, 4, 6])
    blk = w.block24()
    ips = w.ips_in_block(blk, n_ips)
    helo_of = {ip: f"mail{i + 1}.{dom}" for i, ip in enumerate(ips)}
    cls = "bulk" if kind == "newsletter" else "transactional"
    w.label(f"domain:{dom}", cls)
    for ip in ips:
        w.label(f"ip:{ip}", cls)
    if kind == "newsletter":
        newsletter_stream(w, budget, dom, ips, helo_of, f"bounce.{dom}", [dom], f"{r.randint(1, 999)}:{dom.split('.')[0]}",
                          quality=r.choice(["good", "good", "mediocre"]))
    else:
        transactional_stream(w, budget, dom, ips, helo_of, dom, [dom])
    return dom


def cloud_api(w, budget, name, n_ips, n_tenants, stolen_keys=1):
    """A cloud e-mail API (shared IPs, transactional tenants). Some tenants' API keys
    get stolen and used to send phishing under the tenant's own, authenticated domain."""
    r = w.rng
    cdom = f"{name}.com"
    w.used_domains[cdom] = 1
    w.label(f"domain:{cdom}", "transactional")
    blk = w.block24()
    pool = w.ips_in_block(blk, n_ips)
    helo_of = {ip: f"a{i}-{ip.split('.')[-1]}.smtp-out.{cdom}" for i, ip in enumerate(pool)}
    for ip in pool:
        w.label(f"ip:{ip}", "transactional")
    weights = [r.paretovariate(1.2) for _ in range(n_tenants)]
    tot = sum(weights)
    stolen = r.sample(range(n_tenants), stolen_keys)
    for i in range(n_tenants):
        dom = w.domain("word")
        share = budget * weights[i] / tot
        if i in stolen:
            share = max(share, 300 * w.scale)
            t_c = T0 + int(r.uniform(5, 17) * DAY)
            w.label(f"domain:{dom}", "compromised", t_c)
            transactional_stream(w, share * 0.4, dom, pool, helo_of, f"mail.{cdom}", [dom, cdom])
            # abuse burst: phishing with the tenant's valid DKIM, over 4-30 hours
            dur = r.uniform(4, 30) * HOUR
            n = int(max(200 * w.scale, share * r.uniform(1.5, 4)))
            p = dict(bounce=0.18, trap=0.004, spam=0.55, complain=0.02, complain_spam=0.002,
                     notspam=0.0)
            frm = r.choice([f"security@{dom}", f"billing@{dom}", f"support@{dom}"])
            for _ in range(n):
                t = t_c + r.random() * dur
                ip = r.choice(pool)
                m = {"ip": ip, "helo": helo_of[ip], "mail_from": f"{r.randint(1, 1 << 30):x}@mail.{cdom}",
                     "from": frm, "dkim_domains": [dom, cdom], "spf": "pass", "dkim": "pass",
                     "dmarc": "pass", "fcrdns": True}
                w.deliver(t, m, p, recipients=r.choice([1, 1, 1, 2, 5]))
        else:
            w.label(f"domain:{dom}", "transactional")
            transactional_stream(w, share, dom, pool, helo_of, f"mail.{cdom}", [dom, cdom])


def freemail(w, budget, name, n_ips, users_compromised_frac=0.0):
    """Person-to-person mail from another big mailbox provider's outbound pool.
    Not judged (mixed traffic); a few of its users are compromised."""
    r = w.rng
    dom = f"{name}.com"
    w.used_domains[dom] = 1
    pool = []
    while len(pool) < n_ips:
        pool += w.ips_in_block(w.block24(), min(32, n_ips - len(pool)))
    helo_of = {ip: f"mail-{ip.replace('.', '-')}.out.{dom}" for ip in pool}
    n = int(budget)
    p_ok = dict(bounce=0.01, trap=0.00001, spam=0.03, complain=0.0003, complain_spam=0.0, notspam=0.15)
    p_bad = dict(bounce=0.2, trap=0.003, spam=0.6, complain=0.02, complain_spam=0.002, notspam=0.01)
    for _ in range(n):
        d = T0 + r.randrange(DAYS) * DAY
        t = w.human_time(d, r.choice([-5, 0, 1, 1, 2, 8]))
        ip = r.choice(pool)
        bad = r.random() < users_compromised_frac
        user = f"{r.choice(FIRST)}.{r.randint(1, 9999)}@{dom}"
        m = {"ip": ip, "helo": helo_of[ip], "mail_from": user, "from": user,
             "dkim_domains": [dom], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True}
        w.deliver(t, m, p_bad if bad else p_ok, recipients=r.choice([1, 1, 1, 1, 2, 3]) if not bad else r.randint(5, 50))


def small_legit(w, n_senders):
    """Low-volume legitimate senders (class unknown): small companies, clubs,
    self-hosted personal domains. Some have incomplete authentication."""
    r = w.rng
    for _ in range(n_senders):
        dom = w.domain("legit")
        ip = w.ips_in_block(w.block24(), 1)[0]
        w.label(f"ip:{ip}", "unknown")
        w.label(f"domain:{dom}", "unknown")
        spf = r.choice(["pass"] * 8 + ["softfail", "none"])
        has_dkim = r.random() < 0.6
        dmarc = "pass" if (spf == "pass" or has_dkim) and r.random() < 0.7 else "none"
        fcr = r.random() < 0.85
        helo = f"mail.{dom}" if fcr else r.choice([f"mail.{dom}", "localhost", f"srv01.{dom.split('.')[0]}.local"])
        w.legit_mtas.append((ip, dom, helo, fcr))
        n = int(r.lognormvariate(math.log(6), 1.0)) + 1
        n = min(n, 60)
        tz = r.choice([-5, 0, 1, 1, 2])
        p = dict(bounce=0.02, trap=0.0, spam=r.uniform(0.02, 0.25), complain=0.0005,
                 complain_spam=0.0, notspam=0.2)
        for _ in range(n):
            t = w.human_time(T0 + r.randrange(DAYS) * DAY, tz)
            u = r.choice(FIRST)
            m = {"ip": ip, "helo": helo, "mail_from": f"{u}@{dom}", "from": f"{u}@{dom}",
                 "dkim_domains": [dom] if has_dkim else [], "spf": spf,
                 "dkim": "pass" if has_dkim else "none", "dmarc": dmarc, "fcrdns": fcr}
            w.deliver(t, m, p, recipients=r.choice([1, 1, 1, 2, 4]))


FORGED_BIG = []  # filled per world: (domain, spf_result_for_forgery, dmarc_result)


def botnet_waves(w, budget, n_waves, pools_n=40, families=None):
    """Spam botnet waves (Storm/Cutwail/Rustock-like): thousands of residential
    bots, each active briefly, forged envelope senders, generic/forged HELOs,
    address literals, mostly no FCrDNS, dictionary-attack bounces, traps."""
    r = w.rng
    pools = w.res_pools(pools_n)
    families = families or ["cutwail", "storm", "rustock", "lethic"]
    wave_budgets = [r.uniform(0.5, 1.5) for _ in range(n_waves)]
    tot = sum(wave_budgets)
    for wi in range(n_waves):
        fam = r.choice(families)
        wb = budget * wave_budgets[wi] / tot
        start = T0 + int(r.uniform(0.2, DAYS - 1.5) * DAY)
        dur = r.uniform(8, 60) * HOUR
        per_bot = r.uniform(3, 25)  # mean messages per bot per wave at this receiver
        n_bots = max(3, int(wb / per_bot))
        spam_doms = [w.domain("spam") for _ in range(max(2, int(r.uniform(3, 25))))]
        forged_ok = FORGED_BIG
        recips = {"cutwail": (1, 3), "storm": (1, 1), "rustock": (1, 5), "lethic": (1, 2)}[fam]
        filt = r.uniform(0.8, 0.97)
        p = dict(bounce=r.uniform(0.12, 0.4), trap=r.uniform(0.003, 0.02), spam=filt,
                 complain=r.uniform(0.02, 0.08), complain_spam=0.002, notspam=0.0005)
        dom_first = {}
        for _ in range(n_bots):
            ip = w.residential_ip(pools)
            # each bot is active for a short time inside the wave
            b_start = start + r.random() * dur
            b_len = min(dur, r.expovariate(1 / (3 * HOUR)) + 120)
            k = max(1, int(r.expovariate(1 / per_bot)))
            o = [int(x) for x in ip.split(".")]
            ptr_generic = r.random() < 0.35
            style = r.random()
            first = None
            for j in range(k):
                t = int(b_start + r.random() * b_len)
                if style < 0.3:
                    helo = f"[{ip}]"
                elif style < 0.55:
                    helo = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(5, 10)))
                elif style < 0.75:
                    helo = r.choice(["gmail.com", "yahoo.com", "hotmail.com", "localhost", "user-pc", "WIN-" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))])
                else:
                    helo = f"{o[0]}-{o[1]}-{o[2]}-{o[3]}.dyn.pool{o[1]}.net"
                # forged envelope: random user at a random real-looking or throwaway domain
                z = r.random()
                if w.own_domain and z < 0.06:
                    # forges one of the receiver's own users: some targets bounce it back
                    mf = f"{r.choice(FIRST)}.{r.randint(1, 9999)}@{w.own_domain}"
                    frm = mf
                    spf_res, dkim_d, dmarc = "fail", [], "fail"
                    if w.legit_mtas and r.random() < 0.25:
                        bip, bdom, bhelo, bfcr = r.choice(w.legit_mtas)
                        bm = {"ip": bip, "helo": bhelo, "mail_from": "", "from": f"MAILER-DAEMON@{bdom}",
                              "dkim_domains": [], "spf": "none", "dkim": "none", "dmarc": "none", "fcrdns": bfcr}
                        w.emit(t + r.randint(5, 3600), "message", bm, 1, "spam" if r.random() < 0.6 else "ham")
                elif z < 0.35 and forged_ok:
                    fd, spf_res, dmarc_res = r.choice(forged_ok)
                    mf = f"{r.choice(FIRST)}{r.randint(1, 999)}@{fd}"
                    frm = mf if r.random() < 0.6 else f"{r.choice(['service', 'info', 'support'])}@{fd}"
                    dkim_d, dmarc = [], dmarc_res
                    if r.random() < 0.3:
                        frm_dom = r.choice(spam_doms)
                        frm = f"{r.choice(['sales', 'info', 'promo'])}@{frm_dom}"
                        dom_first.setdefault(frm_dom, t)
                        dom_first[frm_dom] = min(dom_first[frm_dom], t)
                        dmarc = "none"
                elif z < 0.75:
                    sd = r.choice(spam_doms)
                    mf = f"{r.choice(FIRST)}{r.randint(1, 999)}@{sd}"
                    frm = mf
                    spf_res, dkim_d, dmarc = r.choice(["none", "none", "neutral", "softfail"]), [], "none"
                    dom_first.setdefault(sd, t)
                    dom_first[sd] = min(dom_first[sd], t)
                else:
                    gd = "".join(r.choice("bcdfghjklmnpqrstvwxz") for _ in range(r.randint(6, 11))) + "." + r.choice(["com", "net", "ru", "info"])
                    mf = f"{r.choice(FIRST)}@{gd}"
                    frm = mf
                    spf_res, dkim_d, dmarc = "none", [], "none"
                m = {"ip": ip, "helo": helo, "mail_from": mf, "from": frm, "dkim_domains": dkim_d,
                     "spf": spf_res, "dkim": "none", "dmarc": dmarc,
                     "fcrdns": ptr_generic}
                w.deliver(t, m, p, recipients=r.randint(*recips))
                if first is None or t < first:
                    first = t
            if first is not None and T0 <= first < T1:
                w.label(f"ip:{ip}", "spammer", first)
        for d, t in dom_first.items():
            if T0 <= t < T1:
                w.label(f"domain:{d}", "spammer", t)


def snowshoe(w, budget, n_blocks, ips_per_block, n_domains):
    """Snowshoe operator: many IPs in several hosting /24s, many throwaway domains,
    complete SPF/DKIM/DMARC, FCrDNS, one-click unsubscribe; low volume per IP;
    domains and IPs rotate as they burn."""
    r = w.rng
    ips = []
    for _ in range(n_blocks):
        ips += w.ips_in_block(w.block24(), ips_per_block)
    doms = [w.domain("word" if r.random() < 0.6 else "spam") for _ in range(n_domains)]
    # each domain lives a few days, bound to a handful of IPs
    per_dom = budget / n_domains
    for d in doms:
        life = r.uniform(2, 8) * DAY
        start = T0 + r.random() * (DAYS * DAY - life * 0.5)
        end = min(T1, start + life)
        dips = r.sample(ips, r.randint(2, 8))
        helo_of = {ip: f"mail{ip.split('.')[-1]}.{d}" for ip in dips}
        p = dict(bounce=r.uniform(0.04, 0.15), trap=r.uniform(0.001, 0.008), spam=r.uniform(0.35, 0.8),
                 complain=r.uniform(0.004, 0.02), complain_spam=0.001, unsub=r.uniform(0.005, 0.02),
                 notspam=0.002)
        luoc = r.random() < 0.7
        lid = f"<offers.{d}>" if r.random() < 0.5 else None
        n = int(per_dom * r.uniform(0.5, 1.5))
        tz = r.choice([-5, -6, 0])
        # sends in daily drops of a few hours
        ndays = max(1, int((end - start) / DAY))
        first_d = None
        first_ip = {}
        for i in range(n):
            dd = int(start + r.randrange(ndays) * DAY)
            t = dd - dd % DAY + (r.choice([9, 10, 13, 15, 20]) - tz) * HOUR + r.randrange(3 * HOUR)
            if t < start or t >= end:
                t = start + r.random() * (end - start)
            t = int(t)
            ip = r.choice(dips)
            m = {"ip": ip, "helo": helo_of[ip],
                 "mail_from": f"{r.choice(['bounce', 'rtn', 'mailer'])}-{r.randint(1, 1 << 24):x}@{d}",
                 "from": f"{r.choice(['deals', 'offers', 'news', 'info', 'team'])}@{d}",
                 "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                 "luoc": luoc, "list_id": lid}
            w.deliver(t, m, p)
            if T0 <= t < T1:
                first_d = t if first_d is None else min(first_d, t)
                first_ip[ip] = min(first_ip.get(ip, t), t)
        if first_d is not None:
            w.label(f"domain:{d}", "spammer", first_d)
        for ip, t in first_ip.items():
            w.label(f"ip:{ip}", "spammer", t)


def hijacked_smallbiz(w, n):
    """A small business's own mail server: a trickle of legitimate mail, then a
    phished password lets spammers relay bursts of 419/phishing through it,
    with the business's valid SPF (and often DKIM signing) until the admin notices."""
    r = w.rng
    for _ in range(n):
        dom = w.domain("legit")
        ip = w.ips_in_block(w.block24(), 1)[0]
        helo = f"mail.{dom}"
        tc = T0 + int(r.uniform(4, 18) * DAY)
        w.label(f"ip:{ip}", "compromised", tc)
        w.label(f"domain:{dom}", "compromised", tc)
        tz = r.choice([0, 1, 2, -5])
        signs = r.random() < 0.6
        base = dict(ip=ip, helo=helo, dkim_domains=[dom] if signs else [], spf="pass",
                    dkim="pass" if signs else "none", dmarc="pass", fcrdns=True)
        p_ok = dict(bounce=0.02, trap=0.0, spam=0.05, complain=0.0005, complain_spam=0.0, notspam=0.2)
        for _ in range(int(r.uniform(20, 120) * max(0.3, w.scale))):
            t = w.human_time(T0 + r.randrange(DAYS) * DAY, tz)
            u = r.choice(FIRST)
            m = dict(base, mail_from=f"{u}@{dom}")
            m["from"] = m["mail_from"]
            w.deliver(t, m, p_ok, recipients=r.choice([1, 1, 2]))
        # abuse: 1-3 bursts over up to two days, hundreds-thousands of messages
        p_bad = dict(bounce=0.25, trap=0.006, spam=0.7, complain=0.015, complain_spam=0.002, notspam=0.001)
        acct = f"{r.choice(FIRST)}@{dom}"
        for b in range(r.randint(1, 3)):
            bs = tc + b * r.uniform(3, 20) * HOUR
            if b == 0:
                bs = tc
            dur = r.uniform(1, 8) * HOUR
            for _ in range(int(r.uniform(300, 3000) * max(0.2, w.scale))):
                t = bs + r.random() * dur
                m = dict(base, mail_from=acct)
                m["from"] = acct if r.random() < 0.7 else f"{r.choice(['dhl', 'bank', 'refund'])}-notice@{dom}"
                w.deliver(t, m, p_bad, recipients=r.randint(1, 30))


def provider_users(w, budget, prov_dom, n_users, n_compromised, pools):
    """The mailbox provider's own users submitting authenticated mail (ip = the
    client's address). Normal users are low-volume (class unknown). Taken-over
    accounts burst: either the attacker logs in from elsewhere (new IPs) or
    malware on the user's own machine sends (same IP turns bad)."""
    r = w.rng
    users = []
    for i in range(n_users):
        ip = w.residential_ip(pools)
        user = f"{r.choice(FIRST)}.{r.choice(SYL)}{r.randint(1, 999)}@{prov_dom}"
        users.append((user, ip))
    per_user = budget / max(1, n_users)
    p_ok = dict(bounce=0.01, trap=0.0, spam=0.02, complain=0.0002, complain_spam=0.0, notspam=0.2)
    comp_idx = r.sample(range(n_users), min(n_compromised, n_users))
    for i, (user, ip) in enumerate(users):
        tz = r.choice([-5, 0, 1, 1, 2])
        fcr = r.random() < 0.3
        helo = r.choice([f"[{ip}]", "DESKTOP-" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7)),
                         "localhost", "iPhone", "android-host"])
        n = max(1, int(r.lognormvariate(math.log(per_user), 0.8)))
        base = dict(ip=ip, helo=helo, mail_from=user, dkim_domains=[prov_dom], spf="pass", dkim="pass",
                    dmarc="pass", fcrdns=fcr)
        base["from"] = user
        if i in comp_idx:
            tc = T0 + int(r.uniform(2, 19) * DAY)
            malware = r.random() < 0.35
            # history before the takeover
            for _ in range(n):
                t = w.human_time(T0 + r.randrange(DAYS) * DAY, tz)
                if t < tc:
                    w.deliver(t, base, p_ok, recipients=r.choice([1, 1, 2, 3]))
            w.label(f"ip:{ip}", "compromised" if malware else "unknown", tc if malware else None)
            if malware:
                att_ips = [ip]
            else:
                att_ips = [w.residential_ip(w.res_pools(1)) if r.random() < 0.5 else
                           w.ips_in_block(w.block24(), 1)[0] for _ in range(r.randint(1, 4))]
                for a in att_ips:
                    w.label(f"ip:{a}", "compromised", tc)
            p_bad = dict(bounce=r.uniform(0.08, 0.3), trap=r.uniform(0.001, 0.01), spam=r.uniform(0.4, 0.85),
                         complain=r.uniform(0.005, 0.03), complain_spam=0.002, notspam=0.003)
            dur = r.uniform(0.5, 20) * HOUR  # until the provider locks the account
            n_bad = int(r.uniform(100, 1500) * max(0.2, w.scale) ** 0.5)
            first = {}
            for _ in range(n_bad):
                t = int(tc + r.random() * dur)
                a = r.choice(att_ips)
                m = dict(base, ip=a, helo=f"[{a}]" if a != ip else helo, fcrdns=False if a != ip else fcr)
                w.deliver(t, m, p_bad, recipients=r.randint(5, 50))
                first[a] = min(first.get(a, t), t)
            for a, t in first.items():
                w.label(f"ip:{a}", "compromised", t)
        else:
            w.label(f"ip:{ip}", "unknown")
            for _ in range(n):
                t = w.human_time(T0 + r.randrange(DAYS) * DAY, tz)
                w.deliver(t, base, p_ok, recipients=r.choice([1, 1, 1, 2, 3, 6]))


# =============================================================================
# Populations
# =============================================================================

def common_brands(w, n_trans, n_news, budget_trans, budget_news):
    """Direct transactional and newsletter brands. Some are well-known brands that
    botnets forge (strict DMARC published -> forged mail fails DMARC)."""
    r = w.rng
    tw = [r.paretovariate(1.3) for _ in range(n_trans)]
    nw = [r.paretovariate(1.3) for _ in range(n_news)]
    for x in tw:
        d = direct_sender(w, budget_trans * x / sum(tw), "transactional")
        if r.random() < 0.6:
            FORGED_BIG.append((d, r.choice(["fail", "softfail"]), "fail"))
    for x in nw:
        d = direct_sender(w, budget_news * x / sum(nw), "newsletter")
        if r.random() < 0.3:
            FORGED_BIG.append((d, "softfail", r.choice(["fail", "none"])))


def pop_isp_inbound(w):
    r = w.rng
    N = BASE_EVENTS * w.scale
    common_brands(w, max(3, int(60 * w.scale ** 0.5)), max(3, int(50 * w.scale ** 0.5)), 0.10 * N, 0.08 * N)
    esp(w, 0.12 * N, "sendwave", n_ips=64, n_customers=max(4, int(160 * w.scale ** 0.5)), bad_customers=1)
    esp(w, 0.08 * N, "mailcannon", n_ips=24, n_customers=max(4, int(90 * w.scale ** 0.5)), bad_customers=0)
    cloud_api(w, 0.05 * N, "cloudpost", n_ips=40, n_tenants=max(4, int(60 * w.scale ** 0.5)), stolen_keys=2)
    freemail(w, 0.08 * N, "mailbase", 96, users_compromised_frac=0.002)
    freemail(w, 0.04 * N, "postel", 48, users_compromised_frac=0.004)
    small_legit(w, max(20, int(1800 * w.scale)))
    w.own_domain = "kabelnet-mail.de"
    hijacked_smallbiz(w, max(1, int(8 * w.scale ** 0.5)))
    snowshoe(w, 0.06 * N, n_blocks=3, ips_per_block=max(6, int(40 * w.scale ** 0.3)),
             n_domains=max(6, int(70 * w.scale ** 0.5)))
    botnet_waves(w, 0.40 * N, n_waves=r.randint(4, 7))


def pop_mailbox_provider(w):
    r = w.rng
    N = BASE_EVENTS * w.scale
    common_brands(w, max(3, int(80 * w.scale ** 0.5)), max(3, int(70 * w.scale ** 0.5)), 0.12 * N, 0.10 * N)
    esp(w, 0.12 * N, "sendwave", n_ips=96, n_customers=max(5, int(220 * w.scale ** 0.5)), bad_customers=2)
    esp(w, 0.08 * N, "listfox", n_ips=32, n_customers=max(4, int(120 * w.scale ** 0.5)), bad_customers=1)
    esp(w, 0.06 * N, "blastly", n_ips=16, n_customers=max(4, int(60 * w.scale ** 0.5)), bad_customers=0)
    cloud_api(w, 0.06 * N, "cloudpost", n_ips=48, n_tenants=max(4, int(80 * w.scale ** 0.5)), stolen_keys=2)
    freemail(w, 0.07 * N, "mailbase", 96, users_compromised_frac=0.003)
    small_legit(w, max(20, int(2500 * w.scale)))
    snowshoe(w, 0.18 * N, n_blocks=r.randint(5, 9), ips_per_block=max(6, int(45 * w.scale ** 0.3)),
             n_domains=max(8, int(220 * w.scale ** 0.5)))
    pools = w.res_pools(30)
    provider_users(w, 0.06 * N, "inboxly.com", n_users=max(30, int(4000 * w.scale)),
                   n_compromised=max(2, int(40 * w.scale ** 0.5)), pools=pools)
    botnet_waves(w, 0.06 * N, n_waves=r.randint(2, 3))


POPULATIONS = {"isp_inbound": pop_isp_inbound, "mailbox_provider": pop_mailbox_provider}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="isp_inbound", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    if a.scale <= 0:
        ap.error("--scale must be positive")
    del FORGED_BIG[:]
    w = World(a.seed, a.population, a.scale)
    POPULATIONS[a.population](w)
    w.events.sort()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "events.jsonl"), "w") as f:
        for i in range(0, len(w.events), 50000):
            f.write("".join(line + "\n" for _, line in w.events[i:i + 50000]))
    # only identities that actually appear in the events are judged
    seen_ip = {}
    seen_dom = {}
    for _, line in w.events:
        i = line.find('"ip":"') + 6
        seen_ip[line[i:line.index('"', i)]] = 1
    for _, line in w.events:
        j = line.find('"from":"')
        if j >= 0:
            j += 8
            v = line[j:line.index('"', j)]
            seen_dom[v.rsplit("@", 1)[-1].lower()] = 1
        k = line.find('"dkim_domains":[')
        if k >= 0:
            k += 16
            arr = line[k:line.index("]", k)]
            for x in arr.split(","):
                if x:
                    seen_dom[x.strip('"').lower()] = 1
    rows = []
    for ident, (cls, bad) in w.truth.items():
        kind, val = ident.split(":", 1)
        if kind == "ip" and val not in seen_ip:
            continue
        if kind == "domain" and val not in seen_dom:
            continue
        if cls in ("spammer", "compromised") and bad is None:
            bad = T0
        rows.append((ident, cls, "" if cls not in ("spammer", "compromised") else str(int(bad))))
    with open(os.path.join(a.out, "truth.csv"), "w", newline="") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["identity", "class", "bad_from"])
        cw.writerows(rows)
    meta = {"population": a.population, "seed": a.seed, "start": T0, "end": T1,
            "events": len(w.events), "identities": len(rows)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

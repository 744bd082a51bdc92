#!/usr/bin/env python3
"""senders_gen.py - blind sender-reputation populations (bench/blind3).

    senders_gen.py --seed N --out DIR [--population NAME] [--scale F]

Writes DIR/events.jsonl, DIR/truth.csv, DIR/meta.json per FORMAT.md.
Populations: university_gateway, isp_mx, webmail_inbound (see README.md).
Python 3 standard library only; deterministic for a given seed, population and scale.
"""
import argparse
import json
import math
import os
import random
import sys

DAY = 86400
HOUR = 3600
T0 = 1767225600  # 2026-01-01 00:00:00 UTC (a Thursday)
DAYS = 21
ENC = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
POPULATIONS = ("university_gateway", "isp_mx", "webmail_inbound")

SYL = ["ka", "lo", "mi", "ra", "ve", "to", "sun", "nor", "bel", "tri", "qua", "zen", "mar", "pol", "den",
       "fi", "gra", "hel", "ix", "jun", "lum", "nex", "or", "pra", "sil", "tor", "ul", "vin", "wex", "yo"]
WORDS = ["blue", "river", "north", "cloud", "green", "stone", "bright", "harbor", "maple", "summit", "prime",
         "metro", "valley", "cedar", "swift", "urban", "pixel", "nova", "delta", "atlas", "orbit", "lumen",
         "forge", "pulse", "beacon", "crest", "ember", "haven", "ridge", "vista"]
SPAM_WORDS = ["deal", "promo", "save", "offer", "win", "bonus", "cash", "health", "slim", "loan", "crypto",
              "luxury", "gift", "reward", "secure", "update", "notice", "alert", "verify", "shop"]
CHEAP_TLDS = ["top", "xyz", "online", "site", "club", "icu", "shop", "live", "info", "biz", "click", "work"]
TLDS = ["com", "com", "com", "net", "org", "de", "co.uk", "io", "fr", "nl"]
EDU_TLDS = ["edu", "ac.uk", "edu.au", "uni-x.de", "ac.jp"]


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


def weight(t, tz, amp, weekend):
    """Diurnal/weekly activity weight in (0, 1]."""
    lt = t + tz * HOUR
    h = (lt % DAY) / HOUR
    w = (1 - amp) + amp * math.exp(-((h - 13.5) / 4.5) ** 2)
    dow = int((lt // DAY + 3) % 7)  # 0 = Monday (1970-01-01 was a Thursday)
    if dow >= 5:
        w *= weekend
    return w


def times(rng, per_day, a, b, tz=0, amp=0.7, weekend=0.6):
    """Sorted event times in [a, b) with mean per_day per day (before diurnal thinning)."""
    if b <= a:
        return []
    n = poisson(rng, per_day * (b - a) / DAY)
    out = []
    tries = 0
    while len(out) < n and tries < 20 * n + 50:
        tries += 1
        t = a + rng.random() * (b - a)
        if rng.random() < weight(t, tz, amp, weekend):
            out.append(t)
    out.sort()
    return out


class Namer:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()
        self.ips = set()

    def word(self, n=2):
        return "".join(self.rng.choice(SYL) for _ in range(n))

    def domain(self, kind="brand", tld=None):
        r = self.rng
        for _ in range(1000):
            if kind == "brand":
                d = r.choice([self.word(2), self.word(3), r.choice(WORDS) + self.word(2),
                              r.choice(WORDS) + r.choice(WORDS)]) + "." + (tld or r.choice(TLDS))
            elif kind == "spam":
                d = (r.choice(SPAM_WORDS) + r.choice(["", "-", ""]) + r.choice(WORDS + SPAM_WORDS) +
                     (str(r.randint(1, 99)) if r.random() < 0.3 else "") + "." + (tld or r.choice(CHEAP_TLDS)))
            elif kind == "edu":
                d = self.word(2) + "." + r.choice(EDU_TLDS)
            else:
                d = self.word(3) + "." + (tld or r.choice(TLDS))
            if d not in self.used:
                self.used.add(d)
                return d
        raise RuntimeError("namespace exhausted")

    def net24(self, first=None):
        r = self.rng
        while True:
            a = first if first is not None else r.choice([23, 31, 37, 45, 46, 51, 62, 77, 80, 81, 85, 89, 91, 94,
                                                          104, 109, 128, 141, 151, 167, 176, 178, 185, 188, 193,
                                                          194, 195, 198, 199, 203, 209, 212, 213, 216, 217])
            p = "%d.%d.%d." % (a, r.randint(0, 255), r.randint(0, 255))
            if p not in self.ips:
                self.ips.add(p)
                return p

    def ip_in(self, prefix):
        r = self.rng
        while True:
            ip = prefix + str(r.randint(2, 253))
            if ip not in self.ips:
                self.ips.add(ip)
                return ip

    def ip(self, first=None):
        return self.ip_in(self.net24(first))

    def resi_ip(self):
        r = self.rng
        a = r.choice([2, 5, 24, 27, 36, 37, 39, 41, 49, 58, 59, 78, 79, 82, 86, 88, 92, 93, 95, 101, 110, 112,
                      113, 114, 115, 116, 117, 118, 119, 121, 122, 123, 125, 171, 175, 177, 179, 180, 181, 182,
                      186, 187, 189, 190, 191, 200, 201])
        while True:
            ip = "%d.%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
            if ip not in self.ips:
                self.ips.add(ip)
                return ip


class Pop:
    def __init__(self, name, seed, scale):
        self.name = name
        self.seed = seed
        self.scale = scale
        self.rng = random.Random("%s/%d/%r" % (name, seed, scale))
        self.nm = Namer(self.rng)
        self.start = T0
        self.end = T0 + DAYS * DAY
        self.events = []
        self.truth = {}
        self.vs = math.sqrt(scale)  # volume factor
        self.cs = math.sqrt(scale)  # actor-count factor

    def n(self, k, minimum=1):
        return max(minimum, int(round(k * self.cs)))

    def label(self, ident, cls, bad_from=None):
        old = self.truth.get(ident)
        if old and old[0] in ("spammer", "compromised") and cls not in ("spammer", "compromised"):
            return
        if old and old[0] == cls and old[1] is not None and bad_from is not None:
            bad_from = min(old[1], bad_from)
        self.truth[ident] = (cls, None if bad_from is None else int(bad_from))

    def emit(self, t, d):
        t = int(t)
        if t < self.start or t >= self.end:
            return
        e = {"time": t}
        e.update(d)
        self.events.append((t, len(self.events), ENC(e)))

    def send(self, t, m, rates):
        """Emit message m (dict, without time) at t and its feedback according to rates.

        rates: bounce, complaint, trap, unsub, notspam (per recipient / per message probabilities),
        spamv (probability the receiver's filter says spam)."""
        r = self.rng
        m = dict(m)
        rc = m.get("recipients", 1)
        spam = r.random() < rates.get("spamv", 0.0)
        if rates.get("verdicts", True):
            m["verdict"] = "spam" if spam else "ham"
        self.emit(t, m)
        ref = {k: m[k] for k in ("ip", "helo", "mail_from", "from", "dkim_domains", "spf", "dkim", "dmarc",
                                  "fcrdns", "feedback_id", "list_id") if k in m}
        b = rates.get("bounce", 0.0)
        if b:
            nb = sum(1 for _ in range(rc) if r.random() < b) if rc > 1 else (1 if r.random() < b else 0)
            if nb:
                e = dict(ref, type="bounce", recipients=nb)
                self.emit(t + r.randint(1, 600), e)
        delivered = rc
        tr = rates.get("trap", 0.0)
        if tr and r.random() < tr * rc:
            self.emit(t, dict(ref, type="trap"))
        c = rates.get("complaint", 0.0)
        if c and not spam and r.random() < c * delivered:
            self.emit(t + int(r.lognormvariate(math.log(3 * HOUR), 1.2)), dict(ref, type="complaint"))
        u = rates.get("unsub", 0.0)
        if u and r.random() < u * delivered:
            self.emit(t + int(r.lognormvariate(math.log(6 * HOUR), 1.3)), dict(ref, type="unsubscribe"))
        ns = rates.get("notspam", 0.0)
        if ns and spam and r.random() < ns:
            self.emit(t + int(r.lognormvariate(math.log(10 * HOUR), 1.0)), dict(ref, type="notspam"))

    # ---------------------------------------------------------------- actors
    def esp(self, n_ips, n_customers, per_campaign, campaigns_per_week, rates, bad_week=False,
            takeover=0, tz=0):
        """An email service provider: shared IP pool, many customer domains with newsletters."""
        r, nm = self.rng, self.nm
        espd = nm.domain("brand", "com")
        net = nm.net24()
        ips = [nm.ip_in(net) for _ in range(n_ips)]
        helos = {ip: "o%d.%s" % (i + 1, "ptr." + espd) for i, ip in enumerate(ips)}
        for ip in ips:
            self.label("ip:" + ip, "bulk")
        self.label("domain:" + espd, "bulk")  # the ESP's own signing domain (second DKIM signature)
        custs = []
        for i in range(n_customers):
            d = nm.domain("brand")
            self.label("domain:" + d, "bulk")
            custs.append(d)
        bad_a = self.start + r.randint(5, 12) * DAY
        bad_b = bad_a + 7 * DAY
        taken = set(r.sample(custs, min(takeover, len(custs))))
        for ci, d in enumerate(custs):
            list_id = "<%s.list-id.%s>" % (nm.word(2), d)
            fid = "%d:%s:%s:%s" % (r.randint(1000, 99999), nm.word(2), "newsletter", espd.split(".")[0])
            size = max(20, int(r.lognormvariate(math.log(per_campaign * self.vs), 0.9)))
            cpw = campaigns_per_week * r.uniform(0.4, 1.6)
            camp_times = times(r, cpw / 7.0, self.start, self.end, tz, 0.8, 0.4)
            lu = r.random() < 0.92
            mf = "bounces+%s@em.%s" % (nm.word(2), espd)
            take_t = None
            if d in taken:
                take_t = self.start + r.uniform(7, 17) * DAY
                self.label("domain:" + d, "compromised", take_t)
            for ct in camp_times:
                if take_t and ct >= take_t:
                    continue
                k = max(5, int(size * r.uniform(0.85, 1.1)))
                span = r.uniform(0.3, 3.0) * HOUR
                rt = dict(rates)
                if bad_week and bad_a <= ct < bad_b and ci % 3 == 0:
                    rt["bounce"] = rates["bounce"] * 6
                    rt["complaint"] = rates["complaint"] * 2.5
                    rt["trap"] = rates.get("trap", 0) + 0.0008
                m = {"type": "message", "mail_from": mf, "from": "news@" + d, "dkim_domains": [d, espd],
                     "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True, "recipients": 1,
                     "feedback_id": fid, "list_id": list_id}
                if lu:
                    m["list_unsubscribe_one_click"] = True
                for j in range(k):
                    ip = r.choice(ips)
                    mm = dict(m, ip=ip, helo=helos[ip])
                    self.send(ct + span * j / k, mm, rt)
            if take_t:
                # account takeover: phishing blasts through the ESP with the customer's DKIM key
                tts = take_t
                waves = r.randint(2, 4)
                for w in range(waves):
                    k = int(r.uniform(1.5, 4.0) * size)
                    span = r.uniform(1, 5) * HOUR
                    m = {"type": "message", "mail_from": mf, "from": r.choice(["billing", "security", "support"]) +
                         "@" + d, "dkim_domains": [d, espd], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                         "fcrdns": True, "recipients": 1, "feedback_id": fid}
                    rt = {"bounce": 0.09, "complaint": 0.012, "trap": 0.004, "spamv": 0.45, "notspam": 0.01}
                    for j in range(k):
                        ip = r.choice(ips)
                        self.send(tts + span * j / k, dict(m, ip=ip, helo=helos[ip]), rt)
                    tts += r.uniform(3, 20) * HOUR
                # the ESP suspends the account after a day or two; customer resumes later, cleanly
        return ips

    def transactional(self, per_day, n_ips=1, fcrdns=True, spf="pass", dkim=True, rates=None, tz=0,
                      rcpt=1, via_esp=None):
        r, nm = self.rng, self.nm
        d = nm.domain("brand")
        net = nm.net24()
        ips = [nm.ip_in(net) for _ in range(n_ips)]
        self.label("domain:" + d, "transactional")
        for ip in ips:
            self.label("ip:" + ip, "transactional")
        rates = rates or {"bounce": 0.006, "complaint": 0.0001, "spamv": 0.004, "notspam": 0.3}
        sub = r.choice(["mail", "notify", "mta", "out", "smtp"])
        mf = "%s@%s.%s" % (r.choice(["noreply", "bounce", "notifications"]), sub, d)
        frm = "%s@%s" % (r.choice(["receipts", "no-reply", "alerts", "orders", "notifications"]), d)
        dk = [d] if dkim else []
        dm = "pass" if (dkim or spf == "pass") else "fail"
        pd = per_day * self.vs * r.uniform(0.7, 1.3)
        for t in times(r, pd, self.start, self.end, tz, 0.6, 0.75):
            ip = r.choice(ips)
            m = {"type": "message", "ip": ip, "helo": "%s%d.%s" % (sub, ips.index(ip) + 1, d), "mail_from": mf,
                 "from": frm, "dkim_domains": dk, "spf": spf, "dkim": "pass" if dkim else "none", "dmarc": dm,
                 "fcrdns": fcrdns, "recipients": rcpt}
            self.send(t, m, rates)
        return d, ips

    def mailing_list(self, posts_per_day, subs, rewrite_from):
        r, nm = self.rng, self.nm
        d = nm.domain("edu" if r.random() < 0.5 else "brand")
        ip = nm.ip()
        self.label("ip:" + ip, "bulk")
        self.label("domain:" + d, "bulk")
        lid = "<%s.lists.%s>" % (nm.word(2), d)
        authors = [nm.domain("edu" if r.random() < 0.4 else "brand") for _ in range(40)]
        subs = max(1, int(subs * self.vs))
        for t in times(r, posts_per_day, self.start, self.end, -5, 0.7, 0.3):
            a = r.choice(authors)
            if rewrite_from:
                frm, dk, dkim, dmarc = "list@" + d, [d], "pass", "pass"
            else:
                frm = "%s@%s" % (nm.word(2), a)
                dk, dkim, dmarc = ([d], "pass", "fail") if r.random() < 0.6 else ([], "fail", "fail")
            left = subs
            while left > 0:  # batched delivery: several RCPT TO per transaction
                k = min(left, r.randint(5, 50))
                left -= k
                m = {"type": "message", "ip": ip, "helo": "lists." + d, "mail_from": "list-bounces@" + d,
                     "from": frm, "dkim_domains": dk, "spf": "pass", "dkim": dkim, "dmarc": dmarc,
                     "fcrdns": True, "recipients": k, "list_id": lid}
                self.send(t + r.uniform(0, 120), m, {"bounce": 0.004, "complaint": 0.0002, "spamv": 0.02,
                                                    "notspam": 0.2, "unsub": 0.0003})

    def small_server(self, per_day, misconfigured=False, compromised=None):
        """A small legitimate organisation's own MTA. compromised: dict(kind, rate) or None."""
        r, nm = self.rng, self.nm
        d = nm.domain("brand" if r.random() < 0.7 else "edu")
        ip = nm.ip()
        helo = r.choice(["mail.", "mx.", "smtp.", "exchange.", "srv01."]) + d
        fcr = r.random() < (0.7 if misconfigured else 0.93)
        spf = r.choice(["softfail", "neutral", "none"]) if misconfigured else "pass"
        dkim = (not misconfigured) and r.random() < 0.75
        dmarc = "pass" if (spf == "pass" or dkim) else r.choice(["fail", "none"])
        base = {"type": "message", "ip": ip, "helo": helo, "from": None, "dkim_domains": [d] if dkim else [],
                "spf": spf, "dkim": "pass" if dkim else "none", "dmarc": dmarc, "fcrdns": fcr}
        users = [nm.word(2) for _ in range(r.randint(2, 30))]
        rates = {"bounce": 0.02, "complaint": 0.0002, "spamv": 0.03 if not misconfigured else 0.12,
                 "notspam": 0.4}
        pd = per_day * r.lognormvariate(0, 0.8)
        cls = "unknown"
        bad = None
        if compromised:
            bad = self.start + r.uniform(4, 16) * DAY
            self.label("ip:" + ip, "compromised", bad)
            if compromised.get("own_domain", True):
                self.label("domain:" + d, "compromised", bad)
            else:
                self.label("domain:" + d, cls)
        else:
            self.label("ip:" + ip, cls)
            self.label("domain:" + d, cls)
        for t in times(r, pd, self.start, self.end, 1, 0.85, 0.2):
            u = r.choice(users) + "@" + d
            self.send(t, dict(base, mail_from=u, **{"from": u, "recipients": r.choice([1, 1, 1, 1, 2, 3, 5])}),
                      rates)
        if compromised:
            self.compromise_burst(ip, helo, d, base, bad, compromised)
        return ip, d

    def compromise_burst(self, ip, helo, d, base, bad, c):
        r, nm = self.rng, self.nm
        kind = c.get("kind", "phish")
        total = int(c.get("volume", 2000) * self.vs * r.uniform(0.5, 1.5))
        dur = r.uniform(6, 60) * HOUR
        own = c.get("own_domain", True)
        forged = [nm.domain("brand") for _ in range(5)]
        for j in range(total):
            t = bad + dur * (j / total) ** 1.3 + r.uniform(0, 60)
            if own:
                u = r.choice(["info", "accounts", "admin", nm.word(2)]) + "@" + d
                m = dict(base, mail_from=u, **{"from": u})
            else:
                f = nm.word(2) + "@" + r.choice(forged)
                m = dict(base, mail_from=f, dkim_domains=[], dkim="none", spf="softfail", dmarc="fail",
                         **{"from": f})
            m["recipients"] = r.choice([1, 1, 2, 5, 10, 25]) if kind != "emotet" else r.choice([1, 1, 1, 2, 3])
            self.send(t, m, {"bounce": 0.12, "complaint": 0.004, "trap": 0.003,
                             "spamv": 0.55 if kind != "emotet" else 0.35, "notspam": 0.02})
        # after cleanup the server goes back to low-volume normal mail (already generated)

    def botnet(self, n_bots, waves, per_bot, forged_pool, rates, fcr_share=0.15, rcpt=(1, 1, 2, 3, 5, 10)):
        """Cutwail/Necurs-like: residential IPs, generic HELO, forged senders, auth failures."""
        r, nm = self.rng, self.nm
        n_bots = self.n(n_bots, 3)
        bots = [nm.resi_ip() for _ in range(n_bots)]
        first = {}
        wave_t = [self.start + r.uniform(0.5, DAYS - 1) * DAY for _ in range(waves)]
        subj_domains = [nm.domain("spam") for _ in range(8)]  # link domains, not senders
        for b in bots:
            ws = r.sample(wave_t, r.randint(1, min(3, len(wave_t))))
            style = r.random()
            octs = b.split(".")
            if style < 0.35:
                helo = "[%s]" % b
            elif style < 0.6:
                helo = r.choice(["User-PC", "DESKTOP-" + nm.word(3).upper(), "localhost", "WIN-" + nm.word(3).upper()])
            elif style < 0.85:
                helo = "%s-%s-%s-%s.dyn.%s" % (octs[0], octs[1], octs[2], octs[3], r.choice(["isp", "tele", "net"]) + nm.word(1) + ".net")
            else:
                helo = r.choice(forged_pool)
            fcr = r.random() < fcr_share
            for w in ws:
                k = max(1, int(per_bot * r.lognormvariate(0, 0.7) * self.vs))
                dur = r.uniform(2, 30) * HOUR
                st = w + r.uniform(0, 4 * HOUR)
                for j in range(k):
                    t = st + r.random() * dur
                    fd = r.choice(forged_pool)
                    f = nm.word(2) + "@" + fd
                    spf = r.choice(["fail", "softfail", "softfail", "none", "neutral"])
                    m = {"type": "message", "ip": b, "helo": helo, "mail_from": f if r.random() < 0.8 else "",
                         "from": f if r.random() < 0.7 else nm.word(2) + "@" + fd, "dkim_domains": [],
                         "spf": spf, "dkim": "none", "dmarc": r.choice(["fail", "fail", "none"]), "fcrdns": fcr,
                         "recipients": r.choice(rcpt)}
                    self.send(t, m, rates)
                    first[b] = min(first.get(b, t), t)
        for b in bots:
            if b in first:
                self.label("ip:" + b, "spammer", first[b])
        del subj_domains

    def snowshoe(self, n_nets, ips_per_net, domains_active, rotate_days, per_ip_day, rates, lu_share=0.5,
                 start_day=0.0):
        """Snowshoe: many IPs over several /24s, throwaway domains that authenticate (aligned pass)."""
        r, nm = self.rng, self.nm
        ips = []
        for _ in range(self.n(n_nets, 1)):
            net = nm.net24()
            ips += [nm.ip_in(net) for _ in range(ips_per_net)]
        t = self.start + start_day * DAY
        slot = 0
        first_ip, first_dom = {}, {}
        while t < self.end:
            t2 = t + rotate_days * DAY * r.uniform(0.6, 1.4)
            doms = [nm.domain("spam") for _ in range(domains_active)]
            for i, ip in enumerate(ips):
                d = doms[i % len(doms)]
                lu = r.random() < lu_share
                tl = times(r, per_ip_day * r.uniform(0.5, 1.5) * self.vs, t, min(t2, self.end), -5, 0.5, 0.8)
                for x in tl:
                    u = r.choice(["news", "offers", "info", "deals", "hello"]) + "@" + d
                    m = {"type": "message", "ip": ip, "helo": "mail%d.%s" % (i % 7, d), "mail_from": "bounce@" + d,
                         "from": u, "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                         "fcrdns": True, "recipients": 1}
                    if lu:
                        m["list_unsubscribe_one_click"] = True
                    if r.random() < 0.3:
                        m["list_id"] = "<offers.%s>" % d
                    self.send(x, m, rates)
                    first_ip[ip] = min(first_ip.get(ip, x), x)
                    first_dom[d] = min(first_dom.get(d, x), x)
            t = t2
            slot += 1
        for ip, x in first_ip.items():
            self.label("ip:" + ip, "spammer", x)
        for d, x in first_dom.items():
            self.label("domain:" + d, "spammer", x)

    def lowvol_spammer(self, per_day, auth=True, kind="spam"):
        r, nm = self.rng, self.nm
        d = nm.domain("spam" if kind == "spam" else "brand")
        ip = nm.ip()
        first = None
        for t in times(r, per_day * r.uniform(0.6, 1.5), self.start + r.uniform(0, 10) * DAY, self.end, -5, 0.6, 0.8):
            m = {"type": "message", "ip": ip, "helo": "mail." + d, "mail_from": "info@" + d,
                 "from": r.choice(["editor", "conference", "info", "office"]) + "@" + d,
                 "dkim_domains": [d] if auth else [], "spf": "pass" if auth else "none",
                 "dkim": "pass" if auth else "none", "dmarc": "pass" if auth else "none",
                 "fcrdns": auth or r.random() < 0.5, "recipients": r.choice([1, 1, 1, 2, 4])}
            self.send(t, m, {"bounce": 0.08, "complaint": 0.01, "trap": 0.006, "spamv": 0.5, "notspam": 0.01})
            first = t if first is None else first
        if first is not None:
            self.label("ip:" + ip, "spammer", first)
            self.label("domain:" + d, "spammer", first)

    def freemail(self, n_ips, per_day, compromised_accounts=0):
        """Large webmail provider's outbound (personal mail). IPs not judged (not in truth)."""
        r, nm = self.rng, self.nm
        d = nm.domain("brand", "com")
        net = nm.net24()
        ips = [nm.ip_in(net) for _ in range(n_ips)]
        for t in times(r, per_day * self.vs, self.start, self.end, 0, 0.7, 0.7):
            ip = r.choice(ips)
            u = nm.word(2) + str(r.randint(1, 999)) + "@" + d
            m = {"type": "message", "ip": ip, "helo": "mail-%s.%s" % (ip.split(".")[-1], d), "mail_from": u,
                 "from": u, "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                 "recipients": r.choice([1, 1, 1, 2, 3])}
            self.send(t, m, {"bounce": 0.01, "complaint": 0.0005, "spamv": 0.01, "notspam": 0.3,
                             "trap": 0.00005})

    def forged_pool(self, extra):
        pool = [d[7:] for d, v in self.truth.items() if d.startswith("domain:") and v[0] != "spammer"]
        pool = self.rng.sample(pool, min(len(pool), 30))
        return pool + [self.nm.domain("brand") for _ in range(extra)]

    # ---------------------------------------------------------------- populations
    def build(self):
        r = self.rng
        getattr(self, "pop_" + self.name)()

    def pop_university_gateway(self):
        """Inbound gateway of a university (~25k mailboxes): transactional SaaS, academic lists,
        publisher newsletters, collaborators' servers, Emotet-style malspam from compromised
        servers, predatory-journal spam, a modest botnet and a small snowshoe operation."""
        r = self.rng
        good = {"bounce": 0.012, "complaint": 0.0006, "unsub": 0.002, "trap": 0.00002, "spamv": 0.02,
                "notspam": 0.25}
        for _ in range(self.n(5)):
            self.esp(r.randint(4, 12), self.n(14, 3), 4000, 1.2, good, bad_week=r.random() < 0.4,
                     takeover=1 if r.random() < 0.4 else 0)
        for _ in range(self.n(30)):
            self.transactional(r.choice([40, 80, 200, 500, 1200]), n_ips=r.randint(1, 4), tz=-5)
        self.transactional(300, n_ips=2, fcrdns=False)            # hard: no FCrDNS
        self.transactional(150, spf="softfail", dkim=False)       # hard: misconfigured transactional
        for _ in range(self.n(14)):
            self.mailing_list(r.uniform(2, 25), r.randint(3, 120), rewrite_from=r.random() < 0.35)
        for _ in range(self.n(260, 5)):
            self.small_server(r.choice([0.3, 1, 2, 5]), misconfigured=r.random() < 0.15)
        for _ in range(self.n(10, 2)):
            self.small_server(r.choice([2, 5, 10]), compromised={"kind": "emotet", "volume": 1500,
                                                                 "own_domain": True})
        for _ in range(self.n(4, 1)):
            self.small_server(r.choice([1, 3]), compromised={"kind": "phish", "volume": 3000,
                                                             "own_domain": False})
        for _ in range(self.n(25, 3)):
            self.lowvol_spammer(r.uniform(2, 25), auth=r.random() < 0.8, kind="journal")
        pool = self.forged_pool(60)
        self.botnet(3000, 6, 15, pool, {"bounce": 0.25, "complaint": 0.003, "trap": 0.004, "spamv": 0.85,
                                        "notspam": 0.01})
        self.snowshoe(3, 12, 6, 4, 40, {"bounce": 0.07, "complaint": 0.006, "trap": 0.0015, "spamv": 0.45,
                                        "notspam": 0.02, "unsub": 0.004}, start_day=r.uniform(3, 9))

    def pop_isp_mx(self):
        """Inbound MX of a regional ISP (~400k residential mailboxes): big Cutwail/Necurs waves with
        dictionary attacks and recycled spamtraps, snowshoe, retail newsletters, utilities/banks."""
        r = self.rng
        good = {"bounce": 0.02, "complaint": 0.0012, "unsub": 0.003, "trap": 0.00005, "spamv": 0.04,
                "notspam": 0.15}
        for _ in range(self.n(4)):
            self.esp(r.randint(6, 20), self.n(12, 3), 2500, 1.5, good, bad_week=r.random() < 0.5)
        for _ in range(self.n(18)):
            self.transactional(r.choice([100, 300, 800, 2000]), n_ips=r.randint(1, 6), tz=1)
        self.transactional(500, n_ips=3, fcrdns=False)
        self.transactional(120, spf="softfail", dkim=False)
        for _ in range(self.n(4)):
            self.mailing_list(r.uniform(1, 10), r.randint(20, 300), rewrite_from=r.random() < 0.5)
        for _ in range(self.n(150, 5)):
            self.small_server(r.choice([0.2, 0.5, 1, 3]), misconfigured=r.random() < 0.25)
        for _ in range(self.n(6, 2)):
            self.small_server(r.choice([1, 3]), compromised={"kind": "phish", "volume": 6000,
                                                             "own_domain": r.random() < 0.5})
        self.freemail(20, 4000)
        pool = self.forged_pool(150)
        self.botnet(12000, 10, 15, pool, {"bounce": 0.35, "complaint": 0.002, "trap": 0.006, "spamv": 0.9,
                                         "notspam": 0.005}, fcr_share=0.25, rcpt=(1, 2, 3, 5, 10, 20, 40))
        self.snowshoe(6, 20, 10, 3, 60, {"bounce": 0.09, "complaint": 0.004, "trap": 0.002, "spamv": 0.5,
                                         "notspam": 0.01, "unsub": 0.003}, lu_share=0.3, start_day=r.uniform(1, 6))
        for _ in range(self.n(20, 3)):
            self.lowvol_spammer(r.uniform(3, 30), auth=r.random() < 0.6)

    def pop_webmail_inbound(self):
        """Inbound of a large webmail provider with a feedback loop: ESP-heavy, Feedback-ID,
        complaints and not-spam reports, ESP account takeovers, authenticated snowshoe."""
        r = self.rng
        good = {"bounce": 0.008, "complaint": 0.0009, "unsub": 0.0025, "trap": 0.00002, "spamv": 0.03,
                "notspam": 0.2}
        for _ in range(self.n(8)):
            self.esp(r.randint(8, 24), self.n(10, 3), 2000, 2.0, good, bad_week=r.random() < 0.5,
                     takeover=r.choice([0, 1, 1, 2]))
        for _ in range(self.n(14)):
            self.transactional(r.choice([200, 600, 1500, 4000]), n_ips=r.randint(2, 8), tz=-6)
        self.transactional(700, n_ips=2, fcrdns=False)
        self.transactional(200, spf="softfail", dkim=False)
        for _ in range(self.n(6)):
            self.mailing_list(r.uniform(2, 15), r.randint(10, 150), rewrite_from=r.random() < 0.6)
        for _ in range(self.n(120, 5)):
            self.small_server(r.choice([0.3, 1, 2]), misconfigured=r.random() < 0.2)
        for _ in range(self.n(5, 2)):
            self.small_server(r.choice([2, 5]), compromised={"kind": "phish", "volume": 4000,
                                                             "own_domain": r.random() < 0.6})
        self.freemail(16, 3000)
        pool = self.forged_pool(80)
        self.botnet(4000, 5, 12, pool, {"bounce": 0.2, "complaint": 0.004, "trap": 0.003, "spamv": 0.92,
                                        "notspam": 0.005})
        self.snowshoe(8, 16, 12, 2.5, 40, {"bounce": 0.05, "complaint": 0.008, "trap": 0.001, "spamv": 0.35,
                                           "notspam": 0.03, "unsub": 0.006}, lu_share=0.85,
                      start_day=r.uniform(0, 5))
        for _ in range(self.n(30, 3)):
            self.lowvol_spammer(r.uniform(1, 12), auth=True)

    def write(self, out):
        os.makedirs(out, exist_ok=True)
        self.events.sort()
        with open(os.path.join(out, "events.jsonl"), "w") as f:
            f.writelines(e[2] + "\n" for e in self.events)
        with open(os.path.join(out, "truth.csv"), "w") as f:
            f.write("identity,class,bad_from\n")
            for ident in sorted(self.truth):
                cls, bad = self.truth[ident]
                f.write("%s,%s,%s\n" % (ident, cls, "" if bad is None else bad))
        meta = {"population": self.name, "seed": self.seed, "start": self.start, "end": self.end,
                "events": len(self.events), "identities": len(self.truth)}
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        return meta


def prune_truth(p):
    """Only identities that actually appear in events are judged."""
    seen = set()
    for _, _, line in p.events:
        e = json.loads(line)
        seen.add("ip:" + e["ip"])
        for k in ("from",):
            v = e.get(k) or ""
            if "@" in v:
                seen.add("domain:" + v.split("@", 1)[1].lower())
        for d in e.get("dkim_domains", []):
            seen.add("domain:" + d.lower())
    p.truth = {k: v for k, v in p.truth.items() if k in seen}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default=POPULATIONS[0], choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    if a.scale <= 0:
        ap.error("--scale must be > 0")
    p = Pop(a.population, a.seed, a.scale)
    p.build()
    prune_truth(p)
    meta = p.write(a.out)
    print(json.dumps(meta), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

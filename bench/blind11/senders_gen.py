#!/usr/bin/env python3
"""Blind round-11 sender-population generator (reputation classes).

Writes events.jsonl, truth.csv and meta.json into --out (see FORMAT.md).
Python 3 standard library only; deterministic for (--seed, --population, --scale).

Populations:
  isp_inbound       an ISP's inbound MX: a transient botnet spam wave mid-capture, snowshoe,
                    hacked web/mail servers, ESPs, self-hosted newsletters and transactional
                    senders, mailing lists, many low-volume legitimate senders.
  mailbox_provider  a mailbox provider with feedback loops: ESP shared pools with bad
                    customers, compromised accounts at organisations, more snowshoe, a smaller
                    botnet, lists, transactional/bulk senders with misconfigurations.
Without --population: odd seed -> isp_inbound, even seed -> mailbox_provider.
"""
import argparse
import bisect
import calendar
import json
import math
import os
import random

POPULATIONS = ["isp_inbound", "mailbox_provider"]
ENC = json.JSONEncoder(separators=(", ", ": "))
DAY = 86400
HOUR = 3600

# hour-of-day weights (local time)
PROFILES = {
    "business": [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 15, 13, 15, 16, 15, 13, 10, 7, 5, 4, 3, 2, 1],
    "consumer": [3, 2, 1, 1, 1, 2, 4, 7, 9, 9, 9, 9, 10, 9, 9, 9, 10, 11, 13, 15, 16, 14, 9, 5],
    "marketing": [1, 1, 1, 1, 1, 2, 6, 12, 16, 18, 16, 12, 10, 10, 12, 12, 10, 8, 8, 9, 8, 5, 2, 1],
    "flat": [10, 9, 9, 9, 9, 9, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 10],
    "night": [12, 14, 14, 12, 10, 8, 5, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 10, 11],
}


class TimeSampler:
    """Samples unix times in [t0, t1) following a diurnal/weekly profile."""

    def __init__(self, t0, t1, profile, tz=0, weekend=1.0):
        self.t0 = t0
        self.nh = (t1 - t0) // HOUR
        prof = PROFILES[profile]
        cum, s = [], 0.0
        for h in range(self.nh):
            lt = t0 + h * HOUR + tz * HOUR
            hod = (lt // HOUR) % 24
            dow = ((lt // DAY) + 3) % 7  # 0 = Monday
            w = prof[hod] * (weekend if dow >= 5 else 1.0)
            s += w
            cum.append(s)
        self.cum = cum

    def sample(self, rng, lo=None, hi=None):
        t0 = self.t0
        ilo = 0 if lo is None else max(0, min(self.nh - 1, (lo - t0) // HOUR))
        ihi = self.nh - 1 if hi is None else max(0, min(self.nh - 1, (hi - 1 - t0) // HOUR))
        base = self.cum[ilo - 1] if ilo > 0 else 0.0
        top = self.cum[ihi]
        u = base + rng.random() * (top - base)
        h = bisect.bisect_left(self.cum, u, ilo, ihi + 1)
        t = t0 + h * HOUR + int(rng.random() * HOUR)
        if lo is not None and t < lo:
            t = lo + int(rng.random() * max(1, min(HOUR, (hi or lo + HOUR) - lo)))
        if hi is not None and t >= hi:
            t = hi - 1 - int(rng.random() * max(1, min(HOUR, hi - (lo or t0))))
        return t


class Buckets:
    """Spills lines into per-day temp files, then writes them sorted (lines start with the time)."""

    def __init__(self, outdir, t0, width, n, name):
        self.dir = outdir
        self.t0, self.width, self.n = t0, width, n
        self.buf = [[] for _ in range(n)]
        self.paths = [os.path.join(outdir, ".%s.b%03d.tmp" % (name, i)) for i in range(n)]
        for p in self.paths:
            open(p, "w").close()
        self.pending = 0
        self.count = 0

    def add(self, t, line):
        i = (t - self.t0) // self.width
        if i < 0:
            i = 0
        elif i >= self.n:
            i = self.n - 1
        self.buf[i].append(line)
        self.pending += 1
        self.count += 1
        if self.pending >= 300000:
            self.spill()

    def spill(self):
        for i, b in enumerate(self.buf):
            if b:
                with open(self.paths[i], "a") as f:
                    f.write("\n".join(b))
                    f.write("\n")
                self.buf[i] = []
        self.pending = 0

    def finish(self, path, header=None):
        self.spill()
        with open(path, "w") as out:
            if header:
                out.write(header + "\n")
            for p in self.paths:
                with open(p) as f:
                    lines = f.read().splitlines()
                lines.sort()
                if lines:
                    out.write("\n".join(lines))
                    out.write("\n")
                os.remove(p)


# ---------------------------------------------------------------- names and addresses
SYL = ["ka", "lo", "mi", "ne", "ra", "to", "vi", "sa", "de", "ber", "lin", "mar", "tech", "net", "co",
       "pro", "dat", "ex", "gro", "ven", "tal", "ori", "zen", "ply", "qua", "stor", "hub", "nova", "ara",
       "bel", "cor", "dex", "fin", "gal", "hel", "ivo", "jun", "kel", "lum", "mor", "nix", "opa", "pel"]
TLDS = ["com", "com", "com", "net", "org", "de", "co.uk", "fr", "nl", "io", "info", "biz", "eu", "it"]
SPAM_TLDS = ["top", "xyz", "click", "info", "biz", "online", "site", "icu", "buzz", "com", "net"]
WORDS = ["info", "news", "mail", "noreply", "support", "team", "hello", "office", "sales", "billing",
         "alerts", "service", "contact", "no-reply", "notifications", "updates", "admin", "accounts"]
FIRST = ["anna", "ben", "chris", "dana", "eva", "frank", "gina", "hans", "ivan", "julia", "karl",
         "lena", "mike", "nina", "olga", "paul", "rita", "sam", "tom", "ute", "vera", "will"]


class World:
    def __init__(self, seed, population, scale):
        self.seed, self.population, self.scale = seed, population, scale
        self.used_domains = set()
        self.used_nets = set()
        self.net_rng = random.Random("%s/%s/netalloc" % (seed, population))

    def rng(self, actor):
        return random.Random("%s/%s/%s" % (self.seed, self.population, actor))

    def domain(self, rng, tlds=TLDS, prefix=""):
        while True:
            n = ch(rng, [2, 2, 3])
            d = prefix + "".join(ch(rng, SYL) for _ in range(n))
            if rng.random() < 0.15:
                d += str(ri(rng, 1, 99))
            d += "." + ch(rng, tlds)
            if d not in self.used_domains:
                self.used_domains.add(d)
                return d

    def net24(self):
        r = self.net_rng
        while True:
            a = ch(r, [ri(r, 5, 99), ri(r, 101, 126), ri(r, 128, 171),
                          ri(r, 173, 191), ri(r, 193, 223)])
            n = (a, ri(r, 0, 255), ri(r, 0, 255))
            if n not in self.used_nets:
                self.used_nets.add(n)
                return n

    def ips(self, count, per_net=None):
        out = []
        while len(out) < count:
            net = self.net24()
            k = min(count - len(out), per_net or count)
            hosts = self.net_rng.sample(range(2, 254), k)
            out.extend("%d.%d.%d.%d" % (net + (h,)) for h in sorted(hosts))
        return out


def ri(rng, a, b):
    return a + int(rng.random() * (b - a + 1))


def ch(rng, seq):
    return seq[int(rng.random() * len(seq))]


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0, sigma))


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def chance_count(rng, n, p):
    """Binomial draw (approximate for large n)."""
    if n <= 0 or p <= 0:
        return 0
    if n < 40:
        return sum(1 for _ in range(n) if rng.random() < p)
    return min(n, poisson(rng, n * p))


# ---------------------------------------------------------------- event context
class Ctx:
    def __init__(self, world, t0, t1, outdir):
        self.w = world
        self.t0, self.t1 = t0, t1
        self.out = Buckets(outdir, t0, DAY, (t1 - t0) // DAY, "ev")
        self.truth = {}
        self.samplers = {}
        self.seen = set()

    def sampler(self, profile, tz=0, weekend=1.0):
        k = (profile, tz, round(weekend, 2))
        s = self.samplers.get(k)
        if s is None:
            s = self.samplers[k] = TimeSampler(self.t0, self.t1, profile, tz, round(weekend, 2))
        return s

    def label(self, ident, cls, bad_from=None):
        old = self.truth.get(ident)
        if old is not None and old[0] in ("spammer", "compromised") and cls not in ("spammer", "compromised"):
            return
        if old is not None and old[0] in ("spammer", "compromised") and cls in ("spammer", "compromised"):
            if old[1] is not None and (bad_from is None or old[1] < bad_from):
                bad_from = old[1]
        self.truth[ident] = (cls, bad_from)

    def emit(self, t, d):
        if t < self.t0 or t >= self.t1:
            return
        d["time"] = t
        seen = self.seen
        seen.add("ip:" + d["ip"])
        for k in ("from", "mail_from"):
            v = d.get(k)
            if v:
                seen.add("domain:" + v.rsplit("@", 1)[-1])
        for v in d.get("dkim_domains") or ():
            seen.add("domain:" + v)
        self.out.add(t, ENC.encode(d))

    def msg(self, t, ip, helo, mf, frm, dk, spf, dkim, dmarc, fcrdns, rc=1, luoc=None,
            list_id=None, verdict=None):
        d = {"time": t, "type": "message", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
             "dkim_domains": dk, "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcrdns,
             "recipients": rc}
        if luoc is not None:
            d["list_unsubscribe_one_click"] = luoc
        if list_id:
            d["list_id"] = list_id
        if verdict:
            d["verdict"] = verdict
        self.emit(t, d)

    def simple(self, t, typ, ip, frm=None, mf=None, dk=None, rc=None, fbid=None, list_id=None, helo=None):
        d = {"time": t, "type": typ, "ip": ip}
        if helo:
            d["helo"] = helo
        if mf:
            d["mail_from"] = mf
        if frm:
            d["from"] = frm
        if dk:
            d["dkim_domains"] = dk
        if rc is not None:
            d["recipients"] = rc
        if fbid:
            d["feedback_id"] = fbid
        if list_id:
            d["list_id"] = list_id
        self.emit(t, d)

    def feedback(self, rng, t, ip, frm, mf, dk, n_delivered, p_complaint, p_unsub=0.0, p_notspam=0.0,
                 fbid=None, list_id=None):
        """User reactions to a delivered batch: complaints (FBL), unsubscribes, not-spam."""
        for _ in range(chance_count(rng, n_delivered, p_complaint)):
            dt = int(min(4 * DAY, lognorm(rng, 5 * HOUR, 1.4)))
            self.simple(t + dt, "complaint", ip, frm=frm, mf=mf, dk=dk, fbid=fbid)
        for _ in range(chance_count(rng, n_delivered, p_unsub)):
            dt = int(min(5 * DAY, lognorm(rng, 8 * HOUR, 1.3)))
            self.simple(t + dt, "unsubscribe", ip, frm=frm, dk=dk, list_id=list_id)
        for _ in range(chance_count(rng, n_delivered, p_notspam)):
            dt = int(min(3 * DAY, lognorm(rng, 10 * HOUR, 1.2)))
            self.simple(t + dt, "notspam", ip, frm=frm, mf=mf, dk=dk)


def verdict(rng, p_spam):
    return "spam" if rng.random() < p_spam else "ham"


# ---------------------------------------------------------------- legitimate actors
def actor_esp(ctx, name, n_ips, n_customers, n_bad, list_median, rcpt_domain):
    """ESP with a shared IP pool; customers send campaigns (bulk) or notifications (transactional).
    Bad customers (purchased/harvested lists) sign up mid-capture and are suspended days later."""
    w = ctx.w
    rng = w.rng(name)
    espdom = w.domain(rng, ["net", "com"], prefix=ch(rng, ["mail", "send", "em", "mta"]))
    ips = w.ips(n_ips, per_net=ch(rng, [8, 16, 32]))
    helos = {ip: "o%d.%s" % (i + 1, espdom) for i, ip in enumerate(ips)}
    for ip in ips:
        ctx.label("ip:" + ip, "bulk")
    ctx.label("domain:" + espdom, "bulk")
    tz = ch(rng, [-8, -5, 0, 1, 1, 2])
    base_complaint = lognorm(rng, 0.0008, 0.5)
    for c in range(n_customers):
        cr = w.rng("%s/cust%d" % (name, c))
        dom = w.domain(cr)
        transactional = cr.random() < 0.3
        sign_own = cr.random() < 0.85  # custom DKIM domain; others only ESP's d=
        luoc = cr.random() < 0.8
        dk = [dom, espdom] if sign_own else [espdom]
        dmarc = "pass" if sign_own else ch(cr, ["fail", "none", "none"])
        mf_user = "bounce-%s" % "".join(ch(cr, "0123456789abcdef") for _ in range(6))
        mf = "%s@%s" % (mf_user, "bnc." + espdom)
        frm = "%s@%s" % (ch(cr, WORDS), dom)
        ctz = tz + ch(cr, [0, 0, 1, -1])
        if transactional:
            ctx.label("domain:" + dom, "transactional")
            per_day = lognorm(cr, 40 * ctx.w.scale, 1.0)
            s = ctx.sampler("consumer", ctz, 0.8)
            n = poisson(cr, per_day * (ctx.t1 - ctx.t0) / DAY)
            for _ in range(n):
                t = s.sample(cr)
                ip = ch(cr, ips)
                ctx.msg(t, ip, helos[ip], mf, frm, dk, "pass", "pass", dmarc, True, 1,
                        verdict=verdict(cr, 0.01))
                if cr.random() < 0.02:
                    ctx.simple(t, "bounce", ip, mf=mf, rc=1, helo=helos[ip])
                if cr.random() < base_complaint * 0.3:
                    ctx.simple(t + int(lognorm(cr, 3 * HOUR, 1.2)), "complaint", ip, frm=frm, mf=mf, dk=dk,
                               fbid="%s:%s" % (espdom, dom))
            continue
        ctx.label("domain:" + dom, "bulk")
        lst = max(5, int(lognorm(cr, list_median * ctx.w.scale, 0.9)))
        per_week = ch(cr, [1, 1, 1, 2, 2, 3, 5])
        s = ctx.sampler("marketing", ctz, 0.4)
        comp = base_complaint * lognorm(cr, 1.0, 0.7)
        unknown = lognorm(cr, 0.006, 0.7)
        hygiene_bad = cr.random() < 0.1  # a sloppy but legitimate customer: old list, more bounces/complaints
        if hygiene_bad:
            comp *= 4
            unknown *= 5
        ncamp = poisson(cr, per_week * (ctx.t1 - ctx.t0) / (7 * DAY))
        list_id = "<%s.%s>" % (ch(cr, ["news", "offers", "weekly"]), dom)
        for _ in range(ncamp):
            ts = s.sample(cr)
            spread = int(lognorm(cr, 40 * 60, 0.8))
            n = max(1, int(lst * cr.uniform(0.85, 1.05)))
            ctx_campaign(ctx, cr, ts, spread, n, ips, helos, mf, frm, dk, "pass", "pass", dmarc, True,
                         luoc, list_id, unknown, comp, 0.002, 0.0005, 0.0003, 0.05,
                         "%s:%s" % (espdom, dom))
    # bad customers
    for b in range(n_bad):
        br = w.rng("%s/bad%d" % (name, b))
        dom = w.domain(br, ["com", "net", "info", "co"])
        start = ctx.t0 + int(br.uniform(0.15, 0.75) * (ctx.t1 - ctx.t0))
        stop = start + int(br.uniform(1.0, 4.5) * DAY)
        ctx.label("domain:" + dom, "spammer", start)
        dk = [dom, espdom]
        mf = "bounce-%06x@bnc.%s" % (ri(br, 0, 0xffffff), espdom)
        frm = "%s@%s" % (ch(br, WORDS), dom)
        s = ctx.sampler("marketing", tz, 0.8)
        lst = int(lognorm(br, list_median * 6 * ctx.w.scale, 0.5))
        comp = lognorm(br, 0.012, 0.5)
        unknown = lognorm(br, 0.12, 0.5)
        ncamp = ri(br, 2, 6)
        list_id = "<promo.%s>" % dom
        for _ in range(ncamp):
            ts = s.sample(br, start, stop)
            n = max(1, int(lst * br.uniform(0.5, 1.2)))
            ctx_campaign(ctx, br, ts, int(lognorm(br, 90 * 60, 0.5)), n, ips, helos, mf, frm, dk, "pass",
                         "pass", "pass", True, br.random() < 0.5, list_id, unknown, comp, 0.004,
                         0.0, lognorm(br, 0.003, 0.5), 0.55, "%s:%s" % (espdom, dom))
    return ips, espdom


def ctx_campaign(ctx, rng, ts, spread, n, ips, helos, mf, frm, dk, spf, dkim, dmarc, fcrdns, luoc,
                 list_id, p_unknown, p_complaint, p_unsub, p_notspam, p_trap, p_verdict_spam, fbid,
                 rc_max=1):
    """One bulk send of n recipients at this receiver, spread over `spread` seconds."""
    i = 0
    while i < n:
        t = ts + int(rng.expovariate(3.0 / max(60, spread)))
        ip = ch(rng, ips)
        rc = 1 if rc_max == 1 else ri(rng, 1, rc_max)
        i += rc
        helo = helos[ip] if isinstance(helos, dict) else helos
        if rng.random() < p_unknown:
            ctx.simple(t, "bounce", ip, mf=mf, rc=rc, helo=helo)
            continue
        if p_trap and rng.random() < p_trap:
            d = {"time": t, "type": "trap", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
                 "dkim_domains": dk, "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcrdns,
                 "recipients": 1}
            ctx.emit(t, d)
            continue
        ctx.msg(t, ip, helo, mf, frm, dk, spf, dkim, dmarc, fcrdns, rc, luoc, list_id,
                verdict(rng, p_verdict_spam))
        if rng.random() < p_complaint * rc:
            ctx.simple(t + int(min(4 * DAY, lognorm(rng, 5 * HOUR, 1.4))), "complaint", ip, frm=frm,
                       mf=mf, dk=dk, fbid=fbid)
        if p_unsub and rng.random() < p_unsub * rc:
            ctx.simple(t + int(min(5 * DAY, lognorm(rng, 8 * HOUR, 1.3))), "unsubscribe", ip, frm=frm,
                       dk=dk, list_id=list_id)
        if p_notspam and rng.random() < p_notspam * 0.2:
            ctx.simple(t + int(lognorm(rng, 10 * HOUR, 1.0)), "notspam", ip, frm=frm, mf=mf, dk=dk)


def actor_newsletter(ctx, name):
    """Self-hosted newsletter (own MTA, 1-3 IPs), weekly sends, some sloppy configuration."""
    w = ctx.w
    rng = w.rng(name)
    dom = w.domain(rng)
    ips = w.ips(ch(rng, [1, 1, 2, 3]), per_net=4)
    fcr = rng.random() < 0.8
    helo = ("mail." + dom) if fcr else ch(rng, ["localhost", "mail", "newsletter-server"])
    has_dkim = rng.random() < 0.7
    spf = "pass" if rng.random() < 0.9 else "softfail"
    dmarc = "pass" if (has_dkim or spf == "pass") else "none"
    dk = [dom] if has_dkim else []
    luoc = rng.random() < 0.55
    for ip in ips:
        ctx.label("ip:" + ip, "bulk")
    ctx.label("domain:" + dom, "bulk")
    lst = max(10, int(lognorm(rng, 900 * ctx.w.scale, 1.0)))
    tz = ch(rng, [-5, 0, 1, 1, 2])
    s = ctx.sampler("marketing", tz, 0.3)
    per_week = ch(rng, [1, 1, 2, 3])
    comp = lognorm(rng, 0.0015, 0.8)
    unknown = lognorm(rng, 0.01, 0.8)
    mf = "newsletter-bounces@" + dom
    frm = ch(rng, ["newsletter", "news", "redaktion", "editor"]) + "@" + dom
    list_id = "<newsletter.%s>" % dom
    ncamp = poisson(rng, per_week * (ctx.t1 - ctx.t0) / (7 * DAY))
    for _ in range(ncamp):
        ts = s.sample(rng)
        ctx_campaign(ctx, rng, ts, int(lognorm(rng, 3 * HOUR, 0.6)), lst, ips, helo, mf, frm, dk, spf,
                     "pass" if has_dkim else "none", dmarc, fcr, luoc, list_id, unknown, comp, 0.003,
                     0.0008, 0.0002, 0.06, None, rc_max=ch(rng, [1, 2, 4]))


def actor_transactional(ctx, name, forged_by_bots):
    """Self-hosted transactional sender (shop, bank, SaaS): steady diurnal flow, misconfig episodes."""
    w = ctx.w
    rng = w.rng(name)
    dom = w.domain(rng)
    ips = w.ips(ch(rng, [1, 2, 2, 4, 6]), per_net=8)
    helos = {ip: "mta%d.%s" % (i + 1, dom) for i, ip in enumerate(ips)}
    for ip in ips:
        ctx.label("ip:" + ip, "transactional")
    ctx.label("domain:" + dom, "transactional")
    per_day = lognorm(rng, 420 * ctx.w.scale, 1.1)
    tz = ch(rng, [-8, -5, 0, 1, 1, 2, 3])
    s = ctx.sampler(ch(rng, ["consumer", "business", "flat"]), tz, rng.uniform(0.5, 1.0))
    frm = ch(rng, ["noreply", "no-reply", "orders", "alerts", "account", "notifications"]) + "@" + dom
    mf = "bounces@" + dom
    # misconfiguration episode
    epi = None
    if rng.random() < 0.35:
        es = ctx.t0 + int(rng.uniform(0.05, 0.9) * (ctx.t1 - ctx.t0))
        epi = (es, es + int(lognorm(rng, 14 * HOUR, 0.8)), ch(rng, ["dkim", "spf", "both", "dmarc_fcrdns"]))
    new_ip = None
    if rng.random() < 0.2:  # a new outbound IP brought up mid-capture, SPF not yet updated
        new_ip = w.ips(1)[0]
        ctx.label("ip:" + new_ip, "transactional")
        new_from = ctx.t0 + int(rng.uniform(0.2, 0.8) * (ctx.t1 - ctx.t0))
        new_fix = new_from + int(lognorm(rng, 1.5 * DAY, 0.6))
    n = poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)
    comp = lognorm(rng, 0.0002, 0.8)
    for _ in range(n):
        t = s.sample(rng)
        ip = ch(rng, ips)
        spf, dkim, dmarc, fcr, dk = "pass", "pass", "pass", True, [dom]
        helo = helos[ip]
        if new_ip is not None and t >= new_from and rng.random() < 0.4:
            ip, helo = new_ip, "mta-new." + dom
            if t < new_fix:
                spf = ch(rng, ["softfail", "fail"])
                fcr = rng.random() < 0.5
        if epi and epi[0] <= t < epi[1]:
            if epi[2] in ("dkim", "both"):
                dkim, dk = "fail", []
            if epi[2] in ("spf", "both"):
                spf = ch(rng, ["softfail", "permerror", "temperror"])
            if epi[2] == "dmarc_fcrdns":
                fcr = False
        if dkim != "pass" and spf != "pass":
            dmarc = "fail"
        rc = 1
        if rng.random() < 0.015:
            ctx.simple(t, "bounce", ip, mf=mf, rc=1, helo=helo)
            continue
        ctx.msg(t, ip, helo, mf, frm, dk, spf, dkim, dmarc, fcr, rc, None, None,
                verdict(rng, 0.01 if dmarc == "pass" else 0.2))
        if rng.random() < comp:
            ctx.simple(t + int(lognorm(rng, 6 * HOUR, 1.3)), "complaint", ip, frm=frm, mf=mf, dk=dk)
    if forged_by_bots:
        return dom
    return None


def actor_mailing_list(ctx, name, poster_domains):
    """Discussion list (Mailman-like): footer breaks authors' DKIM; some lists re-sign or rewrite From."""
    w = ctx.w
    rng = w.rng(name)
    ldom = "lists." + w.domain(rng, ["org", "org", "net", "de"])
    ip = w.ips(1)[0]
    ctx.label("ip:" + ip, "bulk")
    ctx.label("domain:" + ldom, "bulk")
    helo = "mail." + ldom
    resign = rng.random() < 0.5
    rewrite = rng.random() < 0.4
    subs = max(3, int(lognorm(rng, 60 * ctx.w.scale ** 0.5, 0.9)))
    posts_day = lognorm(rng, 8 * ctx.w.scale ** 0.5, 0.8)
    list_id = "<%s.%s>" % (ch(rng, ["users", "devel", "announce", "discuss", "help"]), ldom)
    mf = ch(rng, ["users", "devel", "discuss"]) + "-bounces@" + ldom
    s = ctx.sampler("business", ch(rng, [-5, 0, 1]), 0.5)
    n = poisson(rng, posts_day * (ctx.t1 - ctx.t0) / DAY)
    for _ in range(n):
        ts = s.sample(rng)
        pdom = ch(rng, poster_domains)
        strict = (hash_str(pdom) % 3 == 0)  # poster domain publishes p=reject
        frm = "%s@%s" % (ch(rng, FIRST), pdom)
        if rewrite and strict:
            frm = list_id[1:].split(".")[0] + "@" + ldom
        dk = [ldom] if resign else []
        dkim = "pass" if resign else "fail"
        if frm.endswith("@" + ldom):
            dmarc = "pass"
        else:
            dmarc = "fail" if strict or rng.random() < 0.5 else "none"
        k = max(1, int(subs * rng.uniform(0.9, 1.0)))
        for _ in range(k):
            t = ts + int(rng.expovariate(1 / 120.0))
            if rng.random() < 0.01:
                ctx.simple(t, "bounce", ip, mf=mf, rc=1, helo=helo)
                continue
            ctx.msg(t, ip, helo, mf, frm, dk, "pass", dkim, dmarc, True, 1, False, list_id,
                    verdict(rng, 0.03))
            if rng.random() < 0.0006:
                ctx.simple(t + int(lognorm(rng, 5 * HOUR, 1.2)), "complaint", ip, frm=frm, mf=mf, dk=dk)
            if rng.random() < 0.002:
                ctx.simple(t + int(lognorm(rng, 5 * HOUR, 1.2)), "unsubscribe", ip, frm=frm, list_id=list_id)


def hash_str(s):
    h = 2166136261
    for ch in s.encode():
        h = ((h ^ ch) * 16777619) & 0xffffffff
    return h


def actor_low_volume(ctx, name):
    """Small legitimate sender (small business, club, personal domain): too little data to judge."""
    w = ctx.w
    rng = w.rng(name)
    dom = w.domain(rng)
    ip = w.ips(1)[0]
    ctx.label("ip:" + ip, "unknown")
    ctx.label("domain:" + dom, "unknown")
    kind = rng.random()
    fcr = rng.random() < 0.7
    helo = ("mail." + dom) if fcr or rng.random() < 0.5 else ch(rng, 
        ["localhost", "server", "SBS2011", "mail.local", "exchange.%s.local" % dom.split(".")[0]])
    if kind < 0.55:
        spf, dkim, dk, dmarc = "pass", "pass", [dom], "pass"
    elif kind < 0.75:
        spf, dkim, dk, dmarc = "pass", "none", [], ch(rng, ["pass", "none"])
    elif kind < 0.88:
        spf, dkim, dk, dmarc = "none", "none", [], "none"
    else:
        spf, dkim, dk, dmarc = ch(rng, ["softfail", "fail", "neutral"]), "none", [], ch(rng, ["fail", "none"])
    n = max(1, int(lognorm(rng, 7, 1.0) * max(0.3, ctx.w.scale ** 0.3)))
    s = ctx.sampler("business", ch(rng, [-5, 0, 1, 1, 2]), 0.2)
    user = ch(rng, FIRST + WORDS)
    mf = frm = "%s@%s" % (user, dom)
    for _ in range(n):
        t = s.sample(rng)
        rc = ch(rng, [1, 1, 1, 1, 2, 3])
        if rng.random() < 0.03:
            ctx.simple(t, "bounce", ip, mf=mf, rc=1, helo=helo)
            continue
        ctx.msg(t, ip, helo, mf, frm, dk, spf, dkim, dmarc, fcr, rc, None, None,
                verdict(rng, 0.03 if dmarc != "fail" else 0.25))
        if rng.random() < 0.01:  # someone marks an invoice as spam
            ctx.simple(t + int(lognorm(rng, 4 * HOUR, 1.0)), "complaint", ip, frm=frm, mf=mf, dk=dk)
        if dmarc == "fail" and rng.random() < 0.1:
            ctx.simple(t + int(lognorm(rng, 4 * HOUR, 1.0)), "notspam", ip, frm=frm, mf=mf, dk=dk)


def actor_cloud_provider(ctx, name, n_ips, n_orgs, n_compromised):
    """Hosted office mail (shared outbound IPs, not judged) for many organisations; some accounts are
    phished and used for an authenticated burst (Spamhaus 2012: spam via compromised SMTP AUTH)."""
    w = ctx.w
    rng = w.rng(name)
    pdom = w.domain(rng, ["com", "net"], prefix="outbound")
    ips = w.ips(n_ips, per_net=16)
    helos = {ip: "mail-%s.%s" % (ip.replace(".", "-"), pdom) for ip in ips}
    s = ctx.sampler("business", 1, 0.15)
    compromised = set(rng.sample(range(n_orgs), min(n_orgs, n_compromised)))
    for o in range(n_orgs):
        orng = w.rng("%s/org%d" % (name, o))
        dom = w.domain(orng)
        per_day = lognorm(orng, 6 * ctx.w.scale ** 0.5, 0.9)
        cls = "unknown" if per_day * 21 < 60 else "transactional"
        n = poisson(orng, per_day * (ctx.t1 - ctx.t0) / DAY)
        dk = [dom, pdom] if orng.random() < 0.8 else [pdom]
        dmarc = "pass" if dom in dk else ch(orng, ["none", "fail"])
        for _ in range(n):
            t = s.sample(orng)
            ip = ch(orng, ips)
            frm = "%s@%s" % (ch(orng, FIRST), dom)
            ctx.msg(t, ip, helos[ip], frm, frm, dk, "pass", "pass", dmarc, True,
                    ch(orng, [1, 1, 1, 2, 3, 5]), None, None, verdict(orng, 0.02))
            if orng.random() < 0.003:
                ctx.simple(t + int(lognorm(orng, 5 * HOUR, 1.0)), "complaint", ip, frm=frm, mf=frm, dk=dk)
        if o in compromised:
            start = ctx.t0 + int(orng.uniform(0.2, 0.9) * (ctx.t1 - ctx.t0))
            ctx.label("domain:" + dom, "compromised", start)
            victim = "%s@%s" % (ch(orng, FIRST), dom)
            total = int(lognorm(orng, 1500 * ctx.w.scale ** 0.7, 0.9)) + 5
            dur = int(lognorm(orng, 4 * HOUR, 0.7))
            burst_ips = orng.sample(ips, min(len(ips), ri(orng, 2, 8)))
            # second wave a day later in some cases (account not yet locked)
            waves = [(start, dur, total)]
            if orng.random() < 0.35:
                waves.append((start + int(orng.uniform(0.7, 2.0) * DAY), dur // 2 + 600, total // 3 + 1))
            for ws, wd, wn in waves:
                sent = 0
                while sent < wn:
                    t = ws + int(orng.random() * wd)
                    ip = ch(orng, burst_ips)
                    rc = ch(orng, [1, 3, 10, 25, 50])
                    sent += rc
                    if orng.random() < 0.3:
                        ctx.simple(t, "bounce", ip, mf=victim, rc=max(1, rc // 3), helo=helos[ip])
                    if orng.random() < 0.02:
                        ctx.emit(t, {"time": t, "type": "trap", "ip": ip, "helo": helos[ip], "mail_from": victim,
                                     "from": victim, "dkim_domains": dk, "spf": "pass", "dkim": "pass",
                                     "dmarc": dmarc, "fcrdns": True, "recipients": 1})
                        continue
                    ctx.msg(t, ip, helos[ip], victim, victim, dk, "pass", "pass", dmarc, True, rc, None, None,
                            verdict(orng, 0.45))
                    for _ in range(chance_count(orng, rc, 0.006)):
                        ctx.simple(t + int(min(2 * DAY, lognorm(orng, 2 * HOUR, 1.0))), "complaint", ip,
                                   frm=victim, mf=victim, dk=dk)
        else:
            ctx.label("domain:" + dom, cls)


def actor_hacked_server(ctx, name):
    """Org/hosting mail server with a legit trickle; a webshell/compromised account starts a burst
    (and the host is cleaned some hours or days later)."""
    w = ctx.w
    rng = w.rng(name)
    dom = w.domain(rng)
    ip = w.ips(1)[0]
    helo = "mail." + dom
    start = ctx.t0 + int(rng.uniform(0.25, 0.85) * (ctx.t1 - ctx.t0))
    cleaned = start + int(lognorm(rng, 20 * HOUR, 0.8))
    ctx.label("ip:" + ip, "compromised", start)
    s = ctx.sampler("business", ch(rng, [0, 1, 2]), 0.2)
    per_day = lognorm(rng, 25 * ctx.w.scale ** 0.5, 0.7)
    n = poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)
    signed = rng.random() < 0.6
    dk = [dom] if signed else []
    for _ in range(n):
        t = s.sample(rng)
        frm = "%s@%s" % (ch(rng, FIRST + WORDS), dom)
        ctx.msg(t, ip, helo, frm, frm, dk, "pass", "pass" if signed else "none",
                "pass", True, ch(rng, [1, 1, 2]), None, None, verdict(rng, 0.02))
    php = rng.random() < 0.5  # PHP mailer forging random From vs stolen mailbox of the org
    if not php:
        ctx.label("domain:" + dom, "compromised", start)
    else:
        ctx.label("domain:" + dom, "unknown" if per_day * 21 < 100 else "transactional")
    rate = lognorm(rng, 800 * ctx.w.scale ** 0.7, 0.8)  # msgs/hour
    t = start
    while t < cleaned:
        t += int(rng.expovariate(rate / HOUR)) + 1
        if php:
            fd = "%s.%s" % ("".join(ch(rng, SYL) for _ in range(2)), ch(rng, SPAM_TLDS))
            frm = "%s@%s" % (ch(rng, WORDS), fd)
            mf = "www-data@" + helo
            spf, dkim, dmarc, dkl = "pass", "none", ch(rng, ["none", "fail"]), []
        else:
            frm = mf = "%s@%s" % (ch(rng, FIRST), dom)
            spf, dkim, dmarc, dkl = "pass", "pass" if signed else "none", "pass", dk
        if rng.random() < 0.35:
            ctx.simple(t, "bounce", ip, mf=mf, rc=ri(rng, 1, 4), helo=helo)
            continue
        if rng.random() < 0.015:
            ctx.emit(t, {"time": t, "type": "trap", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
                         "dkim_domains": dkl, "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": True,
                         "recipients": 1})
            continue
        ctx.msg(t, ip, helo, mf, frm, dkl, spf, dkim, dmarc, True, ri(rng, 1, 5), None, None,
                verdict(rng, 0.6))
        if rng.random() < 0.01:
            ctx.simple(t + int(lognorm(rng, 3 * HOUR, 1.0)), "complaint", ip, frm=frm, mf=mf, dk=dkl)


# ---------------------------------------------------------------- abusive actors
def actor_snowshoe(ctx, name, n_ips, start_frac):
    """Snowshoe operation (Spamhaus CSS): many IPs in a few /24s, rotating throw-away domains with
    valid SPF/DKIM and consistent rDNS, low volume per IP, business-hours sends."""
    w = ctx.w
    rng = w.rng(name)
    nets = max(1, n_ips // ri(rng, 20, 50))
    ips = w.ips(n_ips, per_net=max(1, n_ips // nets + 1))
    start = ctx.t0 + int(start_frac * (ctx.t1 - ctx.t0))
    ndom = max(3, int((ctx.t1 - start) / DAY / rng.uniform(1.5, 4)))
    doms = [w.domain(rng, SPAM_TLDS) for _ in range(ndom)]
    period = (ctx.t1 - start) / ndom
    s = ctx.sampler("marketing", ch(rng, [-5, 0]), 0.6)
    per_ip_day = lognorm(rng, 40 * ctx.w.scale, 0.5)
    comp = lognorm(rng, 0.004, 0.6)
    trap = lognorm(rng, 0.003, 0.6)
    unknown = lognorm(rng, 0.05, 0.6)
    luoc = rng.random() < 0.6
    has_dmarc = rng.random() < 0.5
    first_ip, first_dom = {}, {}
    for ip in ips:
        irng = w.rng("%s/%s" % (name, ip))
        ip_start = start + int(irng.random() * 2 * DAY)
        days_active = (ctx.t1 - ip_start) / DAY
        n = poisson(irng, per_ip_day * days_active * irng.uniform(0.5, 1.5))
        # IPs are paired with a domain of the current period; rDNS/HELO follow the domain
        for _ in range(n):
            t = s.sample(irng, ip_start, ctx.t1)
            di = min(ndom - 1, max(0, int((t - start) / period)))
            if irng.random() < 0.2:
                di = max(0, di - 1)
            dom = doms[di]
            helo = "%s.%s" % (ch(irng, ["mx", "mail", "smtp", "m1", "srv"]), dom)
            frm = "%s@%s" % (ch(irng, WORDS), dom)
            mf = "bounce@" + dom
            first_ip[ip] = min(first_ip.get(ip, t), t)
            first_dom[dom] = min(first_dom.get(dom, t), t)
            r = irng.random()
            if r < unknown:
                ctx.simple(t, "bounce", ip, mf=mf, rc=1, helo=helo)
                continue
            if r < unknown + trap:
                ctx.emit(t, {"time": t, "type": "trap", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
                             "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
                             "dmarc": "pass" if has_dmarc else "none", "fcrdns": True, "recipients": 1})
                continue
            ctx.msg(t, ip, helo, mf, frm, [dom], "pass", "pass", "pass" if has_dmarc else "none", True,
                    ch(irng, [1, 1, 1, 2]), luoc, None, verdict(irng, 0.45))
            if irng.random() < comp:
                ctx.simple(t + int(min(3 * DAY, lognorm(irng, 4 * HOUR, 1.2))), "complaint", ip, frm=frm,
                           mf=mf, dk=[dom])
            if irng.random() < 0.002:
                ctx.simple(t + int(lognorm(irng, 8 * HOUR, 1.0)), "notspam", ip, frm=frm, mf=mf, dk=[dom])
    for ip, t in first_ip.items():
        ctx.label("ip:" + ip, "spammer", t)
    for d, t in first_dom.items():
        ctx.label("domain:" + d, "spammer", t)


def actor_botnet(ctx, name, n_bots, wave_center, wave_width, forged_legit, rcpt_domain, dyn_isps):
    """Transient spam bots (Ramachandran & Feamster 2006): each infected host sends a few to a few
    hundred messages over minutes to hours; generic HELOs, forged senders, failing or absent
    authentication, many unknown-user rejections; a campaign wave plus a background trickle."""
    w = ctx.w
    rng = w.rng(name)
    # forged domains: random existing-looking domains, each with its own SPF/DMARC policy
    forged = []
    for _ in range(300):
        d = w.domain(rng)
        forged.append((d, ch(rng, ["-all", "~all", "none", "none", "?all"]), rng.random() < 0.4))
    for d in forged_legit:
        forged.append((d, "-all", True))
    legit_w = 0.03
    for b in range(n_bots):
        br = w.rng("%s/bot%d" % (name, b))
        net = ch(br, dyn_isps)
        ip = "%d.%d.%d.%d" % (net[0], net[1], ri(br, 0, 255), ri(br, 1, 254))
        if br.random() < 0.75:
            t_on = int(wave_center + br.gauss(0, wave_width))
        else:
            t_on = ctx.t0 + int(br.random() * (ctx.t1 - ctx.t0))
        t_on = max(ctx.t0, min(ctx.t1 - 60, t_on))
        life = int(min(3 * DAY, lognorm(br, 45 * 60, 1.3)))
        nmsg = max(1, int(min(3000, br.paretovariate(1.1) * 2 * max(0.2, ctx.w.scale ** 0.5))))
        hk = br.random()
        a, b2, c, d4 = ip.split(".")
        if hk < 0.25:
            helo = "[%s]" % ip
        elif hk < 0.45:
            helo = ch(br, ["localhost", "user", "pc", "home", "WIN-%06X" % ri(br, 0, 0xffffff),
                              "DESKTOP-%05X" % ri(br, 0, 0xfffff)])
        elif hk < 0.65:
            helo = "%s-%s-%s-%s.%s" % (a, b2, c, d4, net[2])
        elif hk < 0.8:
            helo = rcpt_domain
        else:
            helo = "".join(ch(br, "abcdefghijklmnopqrstuvwxyz") for _ in range(ri(br, 5, 10)))
        fcr = br.random() < 0.25
        p_unknown = br.uniform(0.15, 0.6)
        first = None
        sent = 0
        while sent < nmsg:
            t = t_on + int(br.random() * life)
            if t >= ctx.t1:
                break
            sent += 1
            if br.random() < legit_w and forged_legit:
                fd, pol, dm = forged[-1 - br.randrange(len(forged_legit))]
            elif br.random() < 0.15:
                fd, pol, dm = rcpt_domain, "~all", True
            else:
                fd, pol, dm = forged[br.randrange(300)]
            user = "".join(ch(br, "abcdefghijklmnopqrstuvwxyz") for _ in range(ri(br, 4, 9)))
            mf = "%s@%s" % (user, fd)
            frm = mf if br.random() < 0.6 else "%s@%s" % (ch(br, WORDS + FIRST), fd)
            spf = {"-all": "fail", "~all": "softfail", "?all": "neutral", "none": "none"}[pol]
            dkim = "fail" if br.random() < 0.08 else "none"
            dmarc = "fail" if dm else "none"
            first = t if first is None else min(first, t)
            rc = ch(br, [1, 1, 2, 3, 5])
            unk = chance_count(br, rc, p_unknown)
            if unk:
                ctx.simple(t, "bounce", ip, mf=mf, rc=unk, helo=helo)
            if unk == rc:
                continue
            if br.random() < 0.01:
                ctx.emit(t, {"time": t, "type": "trap", "ip": ip, "helo": helo, "mail_from": mf, "from": frm,
                             "dkim_domains": [], "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcr,
                             "recipients": 1})
                continue
            ctx.msg(t, ip, helo, mf, frm, [], spf, dkim, dmarc, fcr, rc - unk, None, None, verdict(br, 0.8))
            if br.random() < 0.01:
                ctx.simple(t + int(lognorm(br, 5 * HOUR, 1.2)), "complaint", ip, frm=frm, mf=mf)
        if first is not None:
            ctx.label("ip:" + ip, "spammer", first)


# ---------------------------------------------------------------- populations
def build(ctx, population):
    w = ctx.w
    sc = w.scale
    rng = w.rng("population")
    rcpt_domain = w.domain(rng, ["de", "net", "com"], prefix="mail")
    dyn_isps = []
    for i in range(25):
        n = w.net24()
        dyn_isps.append((n[0], n[1], "dyn.%s" % w.domain(rng, ["net", "com", "br", "in", "vn", "ru", "tr"])))

    def cnt(base, lo=1):
        return max(lo, int(round(base * sc)))

    def cnt_s(base, lo=1):  # sub-linear in scale for kinds whose count is a "variety" knob
        return max(lo, int(round(base * sc ** 0.5)))

    poster_domains = [w.domain(rng) for _ in range(200)]
    forged_legit = []
    if population == "isp_inbound":
        for i in range(cnt_s(3)):
            actor_esp(ctx, "esp%d" % i, ch(rng, [8, 16, 24]), cnt_s(70, 5), 1 if i < 2 else 0, 430, rcpt_domain)
        for i in range(cnt_s(16, 2)):
            actor_newsletter(ctx, "newsletter%d" % i)
        for i in range(cnt_s(24, 3)):
            d = actor_transactional(ctx, "trans%d" % i, i < 2)
            if d:
                forged_legit.append(d)
        for i in range(cnt_s(8, 2)):
            actor_mailing_list(ctx, "list%d" % i, poster_domains)
        for i in range(cnt(700, 20)):
            actor_low_volume(ctx, "small%d" % i)
        actor_cloud_provider(ctx, "cloud0", 24, cnt_s(120, 5), max(1, cnt_s(2)))
        for i in range(cnt_s(5, 1)):
            actor_hacked_server(ctx, "hacked%d" % i)
        for i in range(cnt_s(3, 1)):
            actor_snowshoe(ctx, "snowshoe%d" % i, int(rng.uniform(30, 90) * sc ** 0.5) + 4,
                           ch(rng, [0.0, 0.0, 0.3, 0.55]))
        center = ctx.t0 + int(rng.uniform(0.4, 0.6) * (ctx.t1 - ctx.t0))
        actor_botnet(ctx, "botnet0", cnt(14000, 30), center, int(1.3 * DAY), forged_legit, rcpt_domain, dyn_isps)
        actor_botnet(ctx, "botnet1", cnt(3000, 10), ctx.t0 + int(0.85 * (ctx.t1 - ctx.t0)), int(0.5 * DAY),
                     forged_legit, rcpt_domain, dyn_isps)
    else:
        for i in range(cnt_s(5, 2)):
            actor_esp(ctx, "esp%d" % i, ch(rng, [6, 12, 24, 32]), cnt_s(60, 5), ch(rng, [0, 1, 1, 2]),
                      400, rcpt_domain)
        for i in range(cnt_s(14, 2)):
            actor_newsletter(ctx, "newsletter%d" % i)
        for i in range(cnt_s(20, 3)):
            d = actor_transactional(ctx, "trans%d" % i, i < 1)
            if d:
                forged_legit.append(d)
        for i in range(cnt_s(6, 2)):
            actor_mailing_list(ctx, "list%d" % i, poster_domains)
        for i in range(cnt(500, 20)):
            actor_low_volume(ctx, "small%d" % i)
        actor_cloud_provider(ctx, "cloud0", 32, cnt_s(160, 8), cnt_s(9, 2))
        actor_cloud_provider(ctx, "cloud1", 16, cnt_s(80, 5), cnt_s(4, 1))
        for i in range(cnt_s(3, 1)):
            actor_hacked_server(ctx, "hacked%d" % i)
        for i in range(cnt_s(5, 2)):
            actor_snowshoe(ctx, "snowshoe%d" % i, int(rng.uniform(30, 120) * sc ** 0.5) + 4,
                           ch(rng, [0.0, 0.1, 0.3, 0.5, 0.7]))
        center = ctx.t0 + int(rng.uniform(0.3, 0.7) * (ctx.t1 - ctx.t0))
        actor_botnet(ctx, "botnet0", cnt(5000, 20), center, int(2 * DAY), forged_legit, rcpt_domain, dyn_isps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    t0 = calendar.timegm((2026, 2, 2, 0, 0, 0)) + (a.seed % 5) * 7 * DAY
    t1 = t0 + 21 * DAY
    w = World(a.seed, pop, a.scale)
    ctx = Ctx(w, t0, t1, a.out)
    build(ctx, pop)
    ctx.out.finish(os.path.join(a.out, "events.jsonl"))
    nev = 0
    with open(os.path.join(a.out, "events.jsonl")) as f:
        for _ in f:
            nev += 1
    with open(os.path.join(a.out, "truth.csv"), "w") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(ctx.truth):
            if ident not in ctx.seen:
                continue
            cls, bf = ctx.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bf is None or cls not in ("spammer", "compromised") else bf))
    meta = {"population": pop, "seed": a.seed, "start": t0, "end": t1, "events": nev,
            "identities": sum(1 for i in ctx.truth if i in ctx.seen)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

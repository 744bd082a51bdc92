#!/usr/bin/env python3
"""Blind round 12: synthetic sender-reputation worlds (events.jsonl, truth.csv, meta.json).

python3 senders_gen.py --seed N --out DIR [--population NAME] [--scale F]

Populations:
  isp_inbound       inbound MX of a regional ISP: a large transient botnet spam wave,
                    one snowshoe operation, self-hosted newsletters/transactional senders,
                    mailing lists, a few compromised organisations, many small senders.
  mailbox_provider  a large mailbox provider: ESP shared pools (with a bad customer and an
                    ESP account takeover), several snowshoe operations, many compromised
                    organisations, a smaller botnet, lists, newsletters, small senders.
Without --population: odd seeds -> isp_inbound, even seeds -> mailbox_provider.
Standard library only; deterministic for (seed, population, scale).
"""
import argparse
import bisect
import calendar
import json
import math
import os
import random
import shutil
import tempfile

POPULATIONS = ["isp_inbound", "mailbox_provider"]
ENC = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
DAY = 86400
T0 = calendar.timegm((2026, 11, 2, 0, 0, 0))  # a Monday, 00:00 UTC
DAYS = 21
T1 = T0 + DAYS * DAY

# ----------------------------------------------------------------------------- helpers


def lognorm(rng, median, sigma, lo=None, hi=None):
    v = median * math.exp(rng.gauss(0.0, sigma))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v


def binom(rng, n, p):
    if n <= 0 or p <= 0.0:
        return 0
    if n <= 24:
        k = 0
        for _ in range(n):
            if rng.random() < p:
                k += 1
        return k
    # Poisson approximation for larger n (p is small here)
    lam = n * p
    if lam > 30:
        return max(0, min(n, int(round(rng.gauss(lam, math.sqrt(lam * (1 - p)))))))
    L = math.exp(-lam)
    k, prod = 0, rng.random()
    while prod > L:
        k += 1
        prod *= rng.random()
    return min(k, n)


def diurnal_weight(kind, h, wd):
    """Relative activity at local hour h (0-23), weekday wd (0=Mon)."""
    weekend = wd >= 5
    if kind == "business":
        base = (0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.2, 0.5, 0.9, 1.0, 1.0, 0.95,
                0.8, 0.9, 1.0, 0.95, 0.85, 0.6, 0.35, 0.25, 0.2, 0.15, 0.1, 0.07)[h]
        return base * (0.12 if weekend else 1.0)
    if kind == "consumer":
        base = (0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.6, 0.8, 0.9, 0.95, 1.0,
                1.0, 0.95, 0.9, 0.9, 0.95, 1.0, 1.05, 1.1, 1.1, 1.0, 0.8, 0.55)[h]
        return base * (1.05 if weekend else 1.0)
    if kind == "bot":  # home PCs: switched on in the evening, some always on
        base = (0.5, 0.45, 0.4, 0.38, 0.38, 0.4, 0.5, 0.65, 0.75, 0.8, 0.8, 0.82,
                0.85, 0.85, 0.85, 0.88, 0.92, 0.98, 1.0, 1.0, 1.0, 0.95, 0.8, 0.65)[h]
        return base * (1.1 if weekend else 1.0)
    # machine: nearly flat with a mild daytime bump
    return 0.85 + 0.15 * math.sin((h - 6) / 24.0 * 2 * math.pi)


class HourSampler:
    """Samples integer times in [a, b) from a diurnal/weekly profile with day-to-day noise."""

    def __init__(self, rng, kind, tz, a=T0, b=T1, dayvar=0.25):
        self.a, self.b = a, b
        h0 = (a - T0) // 3600
        h1 = (b - T0 + 3599) // 3600
        self.h0 = h0
        cum, tot = [], 0.0
        dayf = {}
        for hh in range(h0, h1):
            ts = T0 + hh * 3600
            loc = ts + int(tz * 3600)
            d = (loc - T0) // DAY
            if d not in dayf:
                dayf[d] = math.exp(rng.gauss(0, dayvar))
            wd = (d % 7)  # T0 is Monday
            h = (loc // 3600) % 24
            tot += diurnal_weight(kind, h, wd) * dayf[d]
            cum.append(tot)
        self.cum, self.tot = cum, tot

    def sample(self, rng):
        while True:
            i = bisect.bisect_right(self.cum, rng.random() * self.tot)
            if i >= len(self.cum):
                i = len(self.cum) - 1
            t = T0 + (self.h0 + i) * 3600 + int(rng.random() * 3600)
            if self.a <= t < self.b:
                return t


SYL = ["an", "bel", "cor", "da", "el", "fin", "gar", "hol", "in", "jo", "ka", "lum", "mar",
       "nor", "ol", "pra", "qui", "ro", "sen", "tal", "un", "ver", "wil", "xan", "yor", "zen",
       "bri", "cas", "del", "fer", "gra", "lin", "mon", "pel", "ri", "sta", "tor", "vi"]
WORDS = ["shop", "news", "media", "group", "tech", "home", "care", "travel", "bank", "health",
         "market", "store", "club", "labs", "works", "post", "daily", "deals", "life", "net",
         "mail", "cloud", "farm", "print", "auto", "foods", "legal", "dental", "sport", "books"]
TLD_LEGIT = ["com"] * 8 + ["net", "org", "de", "co.uk", "fr", "io", "nl", "it", "ca", "com.au"]
TLD_SPAM = ["com", "net", "info", "biz", "xyz", "top", "online", "site", "club", "icu", "shop",
            "live", "us", "work"]

# first octets for "hosting / business" space and for residential broadband space
HOSTING_OCT = [5, 23, 31, 37, 45, 46, 50, 51, 52, 54, 62, 64, 66, 67, 69, 74, 77, 78, 79, 80,
               81, 82, 85, 87, 91, 92, 94, 95, 104, 107, 108, 109, 128, 136, 138, 139, 144,
               146, 148, 149, 151, 158, 159, 162, 167, 168, 173, 176, 178, 185, 188, 193,
               194, 195, 199, 204, 205, 206, 207, 208, 209, 212, 213, 216, 217]
RESID_OCT = [24, 47, 49, 58, 59, 60, 61, 68, 71, 73, 75, 76, 83, 84, 86, 88, 89, 90, 93, 96,
             97, 98, 99, 101, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124,
             125, 171, 175, 177, 179, 180, 181, 182, 186, 187, 189, 190, 191, 197, 200, 201]


class Alloc:
    """Global allocator of unique IPs, /24 blocks and domain names (deterministic)."""

    def __init__(self, seed, pop):
        self.rng = random.Random("%s/%s/alloc" % (seed, pop))
        self.blocks = set()
        self.ips = set()
        self.domains = set()

    def block24(self, resid=False):
        r = self.rng
        while True:
            o1 = r.choice(RESID_OCT if resid else HOSTING_OCT)
            b = (o1, r.randrange(0, 256), r.randrange(0, 256))
            if b not in self.blocks:
                self.blocks.add(b)
                return b

    def ips_in_block(self, b, n, start=None):
        r = self.rng
        out = []
        if start is None:
            start = r.randrange(2, max(3, 254 - n))
        for i in range(n):
            x = start + i
            if x > 254:
                break
            ip = "%d.%d.%d.%d" % (b[0], b[1], b[2], x)
            if ip not in self.ips:
                self.ips.add(ip)
                out.append(ip)
        return out

    def resid_ip(self, pools):
        """A residential address inside one of the given (o1,o2) /16 pools."""
        r = self.rng
        while True:
            o1, o2 = r.choice(pools)
            ip = "%d.%d.%d.%d" % (o1, o2, r.randrange(0, 256), r.randrange(1, 255))
            if ip not in self.ips:
                self.ips.add(ip)
                return ip

    def domain(self, spam=False, word=True):
        r = self.rng
        while True:
            n = r.choice(SYL) + r.choice(SYL)
            if r.random() < 0.5:
                n += r.choice(SYL)
            if word and r.random() < 0.6:
                n += r.choice(["", "-"]) + r.choice(WORDS)
            if spam and r.random() < 0.4:
                n += str(r.randrange(1, 99))
            d = n + "." + r.choice(TLD_SPAM if spam else TLD_LEGIT)
            if d not in self.domains:
                self.domains.add(d)
                return d


FREEMAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "gmx.de",
            "web.de", "icloud.com", "mail.ru", "yandex.ru", "orange.fr", "libero.it"]
BRANDS = ["paypal.com", "amazon.com", "apple.com", "microsoft.com", "dhl.com", "fedex.com",
          "netflix.com", "chase.com", "wellsfargo.com", "bankofamerica.com", "ups.com",
          "docusign.net", "linkedin.com", "irs.gov", "walmart.com", "costco.com"]
DMARC_REJECT = set(BRANDS) | {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com"}


def rdns_resid(ip, isp):
    a, b, c, d = ip.split(".")
    pat = hash_pick(ip, 4)
    if pat == 0:
        return "dsl-%s-%s-%s-%s.dyn.%s" % (a, b, c, d, isp)
    if pat == 1:
        return "%s-%s-%s-%s.static.%s" % (d, c, b, a, isp)
    if pat == 2:
        return "cpe-%s-%s-%s-%s.%s" % (a, b, c, d, isp)
    return "host%s.%s.%s.pool.%s" % (d, c, b, isp)


def hash_pick(s, n):
    h = 0
    for ch in s:
        h = (h * 131 + ord(ch)) & 0xFFFFFFFF
    return h % n


# ----------------------------------------------------------------------------- world


class World:
    def __init__(self, seed, pop, scale, tmpdir):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.alloc = Alloc(seed, pop)
        self.truth = {}
        self.tmpdir = tmpdir
        self.nb = DAYS + 1
        self.bufs = [[] for _ in range(self.nb)]
        self.nbuf = 0
        self.files = [os.path.join(tmpdir, "d%02d" % i) for i in range(self.nb)]
        for f in self.files:
            open(f, "w").close()
        self.count = 0
        self.mix = {}
        self.seen = set()  # IPs and domains that occur in at least one event

    def rng(self, name):
        return random.Random("%s/%s/%s" % (self.seed, self.pop, name))

    def n(self, x):
        return max(1, int(round(x * self.scale)))

    def judge(self, ident, cls, bad_from=None):
        if ident in self.truth:
            raise RuntimeError("identity assigned twice: " + ident)
        self.truth[ident] = (cls, bad_from)

    def emit(self, t, ev):
        if t < T0 or t >= T1:
            return
        ev["time"] = t
        self.seen.add(ev["ip"])
        for k in ("from", "mail_from"):
            v = ev.get(k)
            if v:
                self.seen.add(v[v.rfind("@") + 1:])
        for d in ev.get("dkim_domains", ()):
            self.seen.add(d)
        line = "%010d\t%s\n" % (t, ENC(ev))
        b = (t - T0) // DAY
        self.bufs[b].append(line)
        self.nbuf += 1
        if self.nbuf >= 300000:
            self.flush()

    def emit_js(self, t, js, s):
        """Fast path for message events: js is the finished JSON text (same bytes as ENC)."""
        seen = self.seen
        seen.add(s["ip"])
        for k in ("from", "mail_from"):
            v = s[k]
            seen.add(v[v.rfind("@") + 1:])
        for d in s["dkim_domains"]:
            seen.add(d)
        self.bufs[(t - T0) // DAY].append("%010d\t%s\n" % (t, js))
        self.nbuf += 1
        if self.nbuf >= 300000:
            self.flush()

    def flush(self):
        for i, buf in enumerate(self.bufs):
            if buf:
                with open(self.files[i], "a") as f:
                    f.writelines(buf)
                buf.clear()
        self.nbuf = 0

    def finish(self, out_path):
        self.flush()
        n = 0
        with open(out_path, "w") as out:
            for fn in self.files:
                with open(fn) as f:
                    lines = f.readlines()
                lines.sort()
                for ln in lines:
                    out.write(ln[11:])
                n += len(lines)
                os.remove(fn)
        self.count = n
        return n


def message(w, rng, t, s, rcpts, verdict, **extra):
    """Emit a delivered message plus its consequences. s: dict of sender attributes.
    s keys: ip, helo, mail_from, from, dkim_domains, spf, dkim, dmarc, fcrdns, luo,
            p_bounce, p_trap, p_complaint, p_unsub, p_notspam, feedback_id, list_id."""
    base = {"type": "message", "ip": s["ip"], "helo": s["helo"], "mail_from": s["mail_from"],
            "from": s["from"], "dkim_domains": s["dkim_domains"], "spf": s["spf"],
            "dkim": s["dkim"], "dmarc": s["dmarc"], "fcrdns": s["fcrdns"]}
    bad = binom(rng, rcpts, s.get("p_bounce", 0.0))
    if bad:
        w.emit(t, {"type": "bounce", "ip": s["ip"], "helo": s["helo"],
                   "mail_from": s["mail_from"], "recipients": bad})
    acc = rcpts - bad
    if acc <= 0:
        return
    if T0 <= t < T1:
        # hand-built JSON (all generated strings are plain ASCII without quotes or
        # backslashes); key order and bytes are those of ENC(dict)
        parts = ['{"type":"message","ip":"', s["ip"], '","helo":"', s["helo"],
                 '","mail_from":"', s["mail_from"], '","from":"', s["from"],
                 '","dkim_domains":[', ",".join(['"%s"' % d for d in s["dkim_domains"]]),
                 '],"spf":"', s["spf"], '","dkim":"', s["dkim"], '","dmarc":"', s["dmarc"],
                 '","fcrdns":', "true" if s["fcrdns"] else "false", ',"recipients":', str(acc)]
        if s.get("luo"):
            parts.append(',"list_unsubscribe_one_click":true')
        if s.get("feedback_id"):
            parts += [',"feedback_id":"', s["feedback_id"], '"']
        if s.get("list_id"):
            parts += [',"list_id":"', s["list_id"], '"']
        if verdict:
            parts += [',"verdict":"', verdict, '"']
        parts += [',"time":', str(t), '}']
        w.emit_js(t, "".join(parts), s)
    traps = binom(rng, acc, s.get("p_trap", 0.0))
    if traps:
        tv = dict(base)
        tv["type"] = "trap"
        tv["recipients"] = traps
        w.emit(t, tv)
    ref = {"ip": s["ip"], "mail_from": s["mail_from"], "from": s["from"],
           "dkim_domains": s["dkim_domains"]}
    if s.get("feedback_id"):
        ref["feedback_id"] = s["feedback_id"]
    if s.get("list_id"):
        ref["list_id"] = s["list_id"]
    if verdict == "spam":
        # only a few users dig mail out of the junk folder
        if rng.random() < s.get("p_notspam", 0.0) * acc:
            e = dict(ref)
            e["type"] = "notspam"
            w.emit(t + int(lognorm(rng, 5 * 3600, 1.2)), e)
        pc = s.get("p_complaint", 0.0) * 0.15  # junk-folder mail is rarely reported
    else:
        pc = s.get("p_complaint", 0.0)
    c = binom(rng, acc, pc)
    for _ in range(c):
        e = dict(ref)
        e["type"] = "complaint"
        w.emit(t + int(lognorm(rng, 2.5 * 3600, 1.4, 60)), e)
    pu = s.get("p_unsub", 0.0)
    if pu and verdict != "spam":
        u = binom(rng, acc, pu)
        for _ in range(u):
            e = dict(ref)
            e["type"] = "unsubscribe"
            w.emit(t + int(lognorm(rng, 6 * 3600, 1.3, 60)), e)


def filt(rng, catch):
    return "spam" if rng.random() < catch else "ham"


def dmarc_of(from_dom, spf_ok_aligned, dkim_ok_aligned, has_policy=True):
    if spf_ok_aligned or dkim_ok_aligned:
        return "pass"
    return "fail" if has_policy else "none"


# ----------------------------------------------------------------------------- actors


def tz_draw(rng):
    return rng.choice([-8, -7, -6, -5, -5, -5, 0, 1, 1, 1, 2, 3, 5.5, 8, 9])


def act_transactional(w, idx, klass="transactional"):
    name = "tx%d" % idx
    rng = w.rng(name)
    A = w.alloc
    dom = A.domain()
    blk = A.block24()
    ips = A.ips_in_block(blk, rng.choice([1, 1, 2, 2, 3, 4]))
    per_day = lognorm(rng, 380, 1.0, 20, 6000)
    tz = tz_draw(rng)
    samp = HourSampler(rng, "consumer", tz)
    fcr = rng.random() < 0.9
    helo_pat = rng.choice(["mta%d.mail.", "smtp%d.", "out%d.", "o%d.em."])
    catch_fp = lognorm(rng, 0.006, 0.9, 0.0005, 0.08)
    p_c = lognorm(rng, 0.0004, 0.8, 0.00003, 0.004)
    p_b = lognorm(rng, 0.008, 0.7, 0.001, 0.06)
    # misconfiguration episodes
    spf_bad = None
    if rng.random() < 0.2:  # a new server not yet in the SPF record
        a = T0 + rng.randrange(0, DAYS * DAY)
        spf_bad = (a, a + int(lognorm(rng, 2 * DAY, 0.7, 3600, 8 * DAY)))
    dkim_bad = None
    if rng.random() < 0.12:  # key rotation gone wrong
        a = T0 + rng.randrange(0, DAYS * DAY)
        dkim_bad = (a, a + int(lognorm(rng, 10 * 3600, 0.8, 1800, 3 * DAY)))
    nodkim = rng.random() < 0.08
    total = int(per_day * DAYS)
    lp = rng.choice(["no-reply", "noreply", "receipts", "notifications", "orders", "alerts"])
    for _ in range(total):
        t = samp.sample(rng)
        k = rng.randrange(len(ips))
        ip = ips[k]
        spf = "pass"
        if spf_bad and spf_bad[0] <= t < spf_bad[1] and k == len(ips) - 1:
            spf = rng.choice(["softfail", "fail"])
        dk = "none" if nodkim else "pass"
        if dkim_bad and dkim_bad[0] <= t < dkim_bad[1]:
            dk = "fail"
        s = {"ip": ip, "helo": (helo_pat % (k + 1)) + dom, "mail_from": "bounce@mail." + dom,
             "from": lp + "@" + dom, "dkim_domains": [] if nodkim else [dom], "spf": spf,
             "dkim": dk, "dmarc": "pass" if (dk == "pass") else "fail", "fcrdns": fcr,
             "p_bounce": p_b, "p_trap": 0.00002, "p_complaint": p_c, "p_notspam": 0.3}
        message(w, rng, t, s, 1, filt(rng, catch_fp))
    for ip in ips:
        w.judge("ip:" + ip, klass)
    w.judge("domain:" + dom, klass)
    w.mix[klass] = w.mix.get(klass, 0) + len(ips) + 1


def campaign_times(rng, tz, per_week, kind="business"):
    """Send times (UTC) for a newsletter: weekday mornings, local time, jittered."""
    out = []
    days = list(range(DAYS))
    for d in days:
        wd = d % 7
        p = per_week / 5.0 if wd < 5 else per_week / 40.0
        if rng.random() < p:
            hloc = rng.choice([6, 7, 8, 9, 10, 10, 11, 14, 16, 18]) + rng.random()
            t = T0 + d * DAY + int((hloc - tz) * 3600)
            out.append(t)
    return out


def act_newsletter(w, idx):
    name = "nl%d" % idx
    rng = w.rng(name)
    A = w.alloc
    dom = A.domain()
    blk = A.block24()
    ips = A.ips_in_block(blk, rng.choice([1, 1, 1, 2]))
    tz = tz_draw(rng)
    audience = int(lognorm(rng, 1500, 1.0, 80, 40000))
    per_week = lognorm(rng, 1.5, 0.6, 0.3, 6)
    throttle_h = lognorm(rng, 1.5, 0.8, 0.1, 10)
    spf_mode = "pass" if rng.random() < 0.82 else rng.choice(["softfail", "fail", "none", "neutral"])
    dk = "pass" if rng.random() < 0.75 else rng.choice(["none", "none", "fail"])
    luo = rng.random() < 0.7
    lid = ("<news.%s>" % dom) if rng.random() < 0.5 else None
    catch_fp = lognorm(rng, 0.03, 0.9, 0.002, 0.3)
    p_c = lognorm(rng, 0.0012, 0.8, 0.0001, 0.008)
    p_b = lognorm(rng, 0.015, 0.9, 0.001, 0.12)
    p_t = lognorm(rng, 0.00003, 1.0, 0.0, 0.0005)
    p_u = lognorm(rng, 0.002, 0.6, 0.0002, 0.01)
    fcr = rng.random() < 0.85
    aligned = dk == "pass" or spf_mode == "pass"
    s0 = {"helo": ("mail." + dom) if fcr else ("vps%d.hoster.net" % rng.randrange(1000, 99999)),
          "mail_from": "newsletter-bounces@" + dom, "from": "news@" + dom,
          "dkim_domains": [dom] if dk != "none" else [], "spf": spf_mode, "dkim": dk,
          "dmarc": "pass" if aligned else rng.choice(["fail", "none"]), "fcrdns": fcr,
          "luo": luo, "list_id": lid, "p_bounce": p_b, "p_trap": p_t, "p_complaint": p_c,
          "p_unsub": p_u, "p_notspam": 0.2}
    for tc in campaign_times(rng, tz, per_week):
        aud = int(audience * lognorm(rng, 1.0, 0.15))
        audience = int(audience * 1.004 + 1)  # slow list growth
        sent = 0
        while sent < aud:
            r = min(aud - sent, rng.choice([1, 1, 1, 2, 3, 5, 10]))
            sent += r
            t = tc + int(throttle_h * 3600 * (rng.random() ** 1.6))
            s = dict(s0)
            s["ip"] = rng.choice(ips)
            message(w, rng, t, s, r, filt(rng, catch_fp))
    # welcome / confirmation trickle
    samp = HourSampler(rng, "consumer", tz)
    for _ in range(int(audience / 400 * DAYS) + 1):
        t = samp.sample(rng)
        s = dict(s0)
        s["ip"] = ips[0]
        s["luo"] = False
        message(w, rng, t, s, 1, filt(rng, catch_fp / 2))
    for ip in ips:
        w.judge("ip:" + ip, "bulk")
    w.judge("domain:" + dom, "bulk")
    w.mix["bulk"] = w.mix.get("bulk", 0) + len(ips) + 1


def act_esp(w, idx, ncust, nbad, ntakeover):
    """ESP with a shared IP pool and many customers. Some customers are bad."""
    name = "esp%d" % idx
    rng = w.rng(name)
    A = w.alloc
    espdom = A.domain(word=False)
    pool = []
    for _ in range(rng.choice([1, 2, 3])):
        pool += A.ips_in_block(A.block24(), rng.randrange(6, 20))
    for ip in pool:
        w.judge("ip:" + ip, "bulk")
    w.judge("domain:" + espdom, "bulk")
    w.mix["bulk"] = w.mix.get("bulk", 0) + len(pool) + 1
    kinds = []
    for c in range(ncust):
        kinds.append("tx" if rng.random() < 0.3 else "bulk")
    bad_idx = set(rng.sample(range(ncust), min(ncust, nbad + ntakeover)))
    bad_list = sorted(bad_idx)
    takeover = set(bad_list[:ntakeover])
    for c in range(ncust):
        crng = w.rng("%s/c%d" % (name, c))
        cdom = A.domain()
        tz = tz_draw(crng)
        own_dkim = crng.random() < 0.8
        custom_rp = crng.random() < 0.5
        mf = ("bounces+%d@em.%s" % (c, cdom)) if custom_rp else ("bounces+c%d@%s" % (c, espdom))
        dkd = [cdom, espdom] if own_dkim else [espdom]
        dmarc = "pass" if (own_dkim or custom_rp) else crng.choice(["none", "fail"])
        catch_fp = lognorm(crng, 0.02, 1.0, 0.001, 0.25)
        # Gmail-style Feedback-ID a:b:c:SenderId (SenderId 5-15 chars, stable per ESP)
        fbid = "%d:c%d:%s:%s" % (crng.randrange(1000, 99999), c, kinds[c],
                                 (espdom.split(".")[0] + "mailer")[:15])
        base = {"helo": "o%d.%s" % (crng.randrange(1, 40), espdom), "mail_from": mf,
                "from": ("news@" if kinds[c] == "bulk" else "no-reply@") + cdom,
                "dkim_domains": dkd, "spf": "pass", "dkim": "pass", "dmarc": dmarc,
                "fcrdns": True, "luo": kinds[c] == "bulk", "feedback_id": fbid,
                "p_bounce": lognorm(crng, 0.012, 0.8, 0.001, 0.08),
                "p_trap": lognorm(crng, 0.00002, 1.0, 0.0, 0.0003),
                "p_complaint": lognorm(crng, 0.0009 if kinds[c] == "bulk" else 0.0003, 0.8, 0.00005, 0.006),
                "p_unsub": 0.0015 if kinds[c] == "bulk" else 0.0, "p_notspam": 0.2}
        if c in bad_idx and c not in takeover:
            # a new customer with a purchased/scraped list; compliance shuts it after 1-4 days
            start = T0 + int(crng.uniform(2, DAYS - 4) * DAY)
            stop = start + int(lognorm(crng, 2 * DAY, 0.5, 0.5 * DAY, 5 * DAY))
            base.update({"p_bounce": crng.uniform(0.08, 0.35), "p_trap": crng.uniform(0.0008, 0.006),
                         "p_complaint": crng.uniform(0.004, 0.03), "luo": crng.random() < 0.6,
                         "p_notspam": 0.02, "from": crng.choice(["offers@", "deals@", "info@"]) + cdom})
            catch = crng.uniform(0.3, 0.8)
            nmsg = int(lognorm(crng, 9000, 0.6, 1500, 40000))
            for _ in range(nmsg):
                # blasts in a few big sends, throttled by the ESP
                t = start + int((stop - start) * crng.random())
                s = dict(base)
                s["ip"] = crng.choice(pool)
                message(w, crng, t, s, 1, filt(crng, catch))
            w.judge("domain:" + cdom, "spammer", start)
            w.mix["spammer"] = w.mix.get("spammer", 0) + 1
            continue
        # legitimate customer stream
        bad_at = None
        if c in takeover:
            bad_at = T0 + int(crng.uniform(5, DAYS - 3) * DAY)
            bad_until = bad_at + int(lognorm(crng, 8 * 3600, 0.6, 2 * 3600, 2 * DAY))
        if kinds[c] == "bulk":
            aud = int(lognorm(crng, 600, 1.0, 40, 20000))
            thr = lognorm(crng, 2.0, 0.7, 0.2, 12)
            for tc in campaign_times(crng, tz, lognorm(crng, 1.2, 0.6, 0.2, 5)):
                n = int(aud * lognorm(crng, 1.0, 0.2))
                for _ in range(n):
                    t = tc + int(thr * 3600 * crng.random() ** 1.5)
                    s = dict(base)
                    s["ip"] = crng.choice(pool)
                    message(w, crng, t, s, 1, filt(crng, catch_fp))
        else:
            samp = HourSampler(crng, "consumer", tz)
            for _ in range(int(lognorm(crng, 250, 1.0, 10, 5000) * DAYS)):
                t = samp.sample(crng)
                s = dict(base)
                s["ip"] = crng.choice(pool)
                message(w, crng, t, s, 1, filt(crng, catch_fp))
        if bad_at is not None:
            # account takeover: phishing through the customer's ESP account (authenticated)
            rate = lognorm(crng, 1500, 0.6, 200, 8000)  # messages/hour at this receiver
            n = int(rate * (bad_until - bad_at) / 3600)
            s0 = dict(base)
            s0.update({"p_bounce": crng.uniform(0.05, 0.25), "p_trap": crng.uniform(0.0005, 0.004),
                       "p_complaint": crng.uniform(0.005, 0.03), "luo": False, "p_notspam": 0.01,
                       "from": crng.choice(["support@", "billing@", "security@"]) + cdom})
            catch = crng.uniform(0.25, 0.7)
            for _ in range(n):
                t = bad_at + int((bad_until - bad_at) * crng.random())
                s = dict(s0)
                s["ip"] = crng.choice(pool)
                message(w, crng, t, s, 1, filt(crng, catch))
            w.judge("domain:" + cdom, "compromised", bad_at)
            w.mix["compromised"] = w.mix.get("compromised", 0) + 1
        else:
            k = "bulk" if kinds[c] == "bulk" else "transactional"
            w.judge("domain:" + cdom, k)
            w.mix[k] = w.mix.get(k, 0) + 1


def act_list(w, idx):
    name = "ml%d" % idx
    rng = w.rng(name)
    A = w.alloc
    dom = "lists." + A.domain(word=False)
    ip = A.ips_in_block(A.block24(), 1)[0]
    nlists = rng.randrange(1, 12)
    resign = rng.random() < 0.55
    munge = rng.random() < 0.35
    tz = tz_draw(rng)
    samp = HourSampler(rng, "business", tz)
    posters = []
    for _ in range(rng.randrange(20, 200)):
        if rng.random() < 0.45:
            posters.append(rng.choice(FREEMAIL))
        else:
            posters.append(A.domain())
    subs = [int(lognorm(rng, 60, 1.1, 5, 3000)) for _ in range(nlists)]
    posts_day = lognorm(rng, 12, 0.9, 0.5, 120)
    p_c = lognorm(rng, 0.0008, 0.8, 0.0001, 0.006)
    catch_fp = lognorm(rng, 0.02, 0.8, 0.002, 0.15)
    for _ in range(int(posts_day * DAYS)):
        t0 = samp.sample(rng)
        li = rng.randrange(nlists)
        pd = rng.choice(posters)
        lname = "list%d" % li
        signed = pd in FREEMAIL or rng.random() < 0.6
        dkd = ([pd] if signed else []) + ([dom] if resign else [])
        if munge:
            frm = "%s@%s" % (lname, dom)
            dmarc = "pass"
        else:
            frm = "user%d@%s" % (rng.randrange(1, 500), pd)
            dmarc = ("fail" if (pd in DMARC_REJECT or rng.random() < 0.4) else "none")
        dkr = "pass" if resign else ("fail" if signed else "none")
        s = {"ip": ip, "helo": "mail." + dom, "mail_from": "%s-bounces@%s" % (lname, dom),
             "from": frm, "dkim_domains": dkd, "spf": "pass", "dkim": dkr, "dmarc": dmarc,
             "fcrdns": True, "list_id": "<%s.%s>" % (lname, dom), "luo": False,
             "p_bounce": 0.004, "p_trap": 0.00001, "p_complaint": p_c, "p_notspam": 0.2}
        left = subs[li]
        dt = 0
        while left > 0:
            r = min(left, rng.randrange(1, 40))
            left -= r
            dt += rng.randrange(0, 4)
            message(w, rng, t0 + dt, s, r, filt(rng, catch_fp))
    w.judge("ip:" + ip, "bulk")
    w.judge("domain:" + dom, "bulk")
    w.mix["bulk"] = w.mix.get("bulk", 0) + 2


def act_org(w, idx, compromised, hosted_pool=None):
    """An organisation's ordinary person-to-person mail; optionally a compromise burst."""
    name = "org%d" % idx
    rng = w.rng(name)
    A = w.alloc
    dom = A.domain()
    tz = tz_draw(rng)
    if hosted_pool:
        ips = None
        helo = None
    else:
        ips = A.ips_in_block(A.block24(), rng.choice([1, 1, 1, 2]))
        helo = rng.choice(["mail.", "mx.", "exchange.", "smtp.", "owa."]) + dom
    per_day = lognorm(rng, 25, 1.1, 0.5, 900) if compromised else lognorm(rng, 3, 1.3, 0.1, 200)
    fcr = rng.random() < 0.9
    spf_mode = "pass" if rng.random() < 0.85 else rng.choice(["none", "softfail", "neutral"])
    has_dkim = rng.random() < (0.8 if hosted_pool else 0.55)
    samp = HourSampler(rng, "business", tz)
    users = ["%s%s" % (rng.choice(["j", "m", "a", "s", "k", "info", "sales", "office"]),
                       rng.choice(["", ".smith", ".lee", ".mueller", ".rossi", "2"])) for _ in range(20)]
    catch_fp = lognorm(rng, 0.01, 0.9, 0.001, 0.1)

    def attrs(t):
        if hosted_pool:
            ip = rng.choice(hosted_pool[0])
            h = hosted_pool[1] % (hash_pick(ip, 90) + 1)
            f = True
        else:
            ip = rng.choice(ips)
            h = helo
            f = fcr
        return ip, h, f

    bursts = []
    if compromised:
        nb = 1 if rng.random() < 0.75 else 2
        t = T0 + int(rng.uniform(3, DAYS - 2.5) * DAY)
        for _ in range(nb):
            dur = int(lognorm(rng, 6 * 3600, 0.9, 1800, 3 * DAY))
            bursts.append((t, t + dur))
            t = t + dur + int(rng.uniform(1, 5) * DAY)
    # ordinary mail (continues during and after a compromise)
    for _ in range(int(per_day * DAYS * lognorm(rng, 1.0, 0.1))):
        t = samp.sample(rng)
        ip, h, f = attrs(t)
        u = rng.choice(users)
        s = {"ip": ip, "helo": h, "mail_from": u + "@" + dom, "from": u + "@" + dom,
             "dkim_domains": [dom] if has_dkim else [], "spf": spf_mode,
             "dkim": "pass" if has_dkim else "none",
             "dmarc": "pass" if (has_dkim or spf_mode == "pass") else "none", "fcrdns": f,
             "p_bounce": 0.01, "p_trap": 0.0, "p_complaint": 0.0002, "p_notspam": 0.4}
        message(w, rng, t, s, rng.choice([1, 1, 1, 1, 2, 2, 3, 5]), filt(rng, catch_fp))
    # occasional legitimate blast (event invitation, holiday greeting) - a benign burst
    if rng.random() < 0.25:
        tb = samp.sample(rng)
        u = rng.choice(users)
        for _ in range(int(lognorm(rng, 60, 0.7, 10, 600))):
            ip, h, f = attrs(tb)
            s = {"ip": ip, "helo": h, "mail_from": u + "@" + dom, "from": u + "@" + dom,
                 "dkim_domains": [dom] if has_dkim else [], "spf": spf_mode,
                 "dkim": "pass" if has_dkim else "none",
                 "dmarc": "pass" if (has_dkim or spf_mode == "pass") else "none", "fcrdns": f,
                 "p_bounce": 0.03, "p_trap": 0.0, "p_complaint": 0.002, "p_notspam": 0.4}
            message(w, rng, tb + rng.randrange(0, 1800), s, rng.randrange(1, 30),
                    filt(rng, catch_fp * 3))
    for (a, b) in bursts:
        rate = lognorm(rng, 250, 1.0, 20, 3000)  # messages/hour reaching this receiver
        n = int(rate * (b - a) / 3600)
        u = rng.choice(users)
        catch = rng.uniform(0.2, 0.85)
        pb = rng.uniform(0.03, 0.3)
        for _ in range(n):
            t = a + int((b - a) * rng.random())
            ip, h, f = attrs(t)
            # phishing/419 through the stolen mailbox: authenticated, aligned, many recipients
            s = {"ip": ip, "helo": h, "mail_from": u + "@" + dom, "from": u + "@" + dom,
                 "dkim_domains": [dom] if has_dkim else [], "spf": spf_mode,
                 "dkim": "pass" if has_dkim else "none",
                 "dmarc": "pass" if (has_dkim or spf_mode == "pass") else "none", "fcrdns": f,
                 "p_bounce": pb, "p_trap": rng.uniform(0.0002, 0.003),
                 "p_complaint": rng.uniform(0.004, 0.03), "p_notspam": 0.01}
            message(w, rng, t, s, rng.choice([1, 1, 2, 5, 10, 20, 50]), filt(rng, catch))
    if compromised:
        bf = bursts[0][0]
        w.judge("domain:" + dom, "compromised", bf)
        w.mix["compromised"] = w.mix.get("compromised", 0) + 1
        if ips:
            for ip in ips:
                w.judge("ip:" + ip, "compromised", bf)
            w.mix["compromised"] += len(ips)
    else:
        w.judge("domain:" + dom, "unknown")
        w.mix["unknown"] = w.mix.get("unknown", 0) + 1
        if ips:
            for ip in ips:
                w.judge("ip:" + ip, "unknown")
            w.mix["unknown"] += len(ips)


def act_botnet(w, idx, nbots, waves):
    """Transient botnet spam: Cutwail/Lethic-style template spam from infected home PCs."""
    name = "bn%d" % idx
    rng = w.rng(name)
    A = w.alloc
    isps = ["%s.%s" % (rng.choice(["telecom", "broadband", "cable", "dsl", "fibre", "mobile"]),
                       rng.choice(["vn", "br", "in", "ru", "tr", "ua", "ar", "co", "mx", "id",
                                   "net", "com", "it", "es", "pl"])) for _ in range(12)]
    pools = [(rng.choice(RESID_OCT), rng.randrange(256)) for _ in range(rng.randrange(15, 60))]
    spamdoms = [A.domain(spam=True) for _ in range(rng.randrange(5, 40))]
    waves_t = []
    for _ in range(waves):
        a = T0 + int(rng.uniform(0.5, DAYS - 3) * DAY)
        waves_t.append((a, a + int(lognorm(rng, 3 * DAY, 0.4, DAY, 7 * DAY))))
    first_use = {}
    for b in range(nbots):
        brng = w.rng("%s/b%d" % (name, b))
        ip = A.resid_ip(pools)
        isp = isps[hash_pick(ip, len(isps))]
        wa, wb = brng.choice(waves_t)
        start = wa + int((wb - wa) * brng.random())
        dur = int(lognorm(brng, 3 * 3600, 1.3, 120, 5 * DAY))
        nmsg = int(lognorm(brng, 14, 1.2, 1, 1500))
        hmode = brng.random()
        if hmode < 0.25:
            helo = "[%s]" % ip
        elif hmode < 0.45:
            helo = rdns_resid(ip, isp)
        elif hmode < 0.6:
            helo = brng.choice(["localhost", "user-PC", "HOME-PC", "WIN-%05d" % brng.randrange(99999),
                                "DESKTOP-%X" % brng.randrange(16 ** 6)])
        elif hmode < 0.8:
            helo = "".join(brng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(brng.randrange(5, 11)))
        else:
            helo = brng.choice(BRANDS + FREEMAIL)  # claims to be a big sender
        fcr = brng.random() < 0.3
        catch = brng.uniform(0.55, 0.97)
        p_b = brng.uniform(0.05, 0.45)
        p_t = brng.uniform(0.0005, 0.01)
        p_c = brng.uniform(0.004, 0.03)
        reappear = brng.random() < 0.15
        segs = [(start, start + dur)]
        if reappear:
            s2 = start + int(brng.uniform(1, 6) * DAY)
            segs.append((s2, s2 + int(lognorm(brng, 2 * 3600, 1.0, 120, DAY))))
        first = None
        for i in range(nmsg):
            a, bb = segs[0] if (len(segs) == 1 or brng.random() < 0.7) else segs[1]
            t = a + int((bb - a) * brng.random())
            if t >= T1:
                continue
            mode = brng.random()
            if mode < 0.35:
                fd = brng.choice(BRANDS)
            elif mode < 0.6:
                fd = brng.choice(spamdoms)
                first_use[fd] = min(first_use.get(fd, T1), t)
            elif mode < 0.8:
                fd = brng.choice(FREEMAIL)
            else:
                fd = brng.choice(SYL) + brng.choice(SYL) + "." + brng.choice(TLD_LEGIT)
            md = fd if brng.random() < 0.7 else brng.choice(FREEMAIL)
            spf = brng.choice(["fail", "softfail", "softfail", "none", "neutral"])
            if fd in spamdoms and brng.random() < 0.5:
                spf = "none"
            dk = "none" if brng.random() < 0.85 else "fail"
            s = {"ip": ip, "helo": helo, "mail_from": "%s%d@%s" % (brng.choice(["info", "sales", "mail", "noreply", "admin"]), brng.randrange(100), md),
                 "from": "%s@%s" % (brng.choice(["service", "support", "news", "promo", "team"]), fd),
                 "dkim_domains": [fd] if dk == "fail" else [], "spf": spf, "dkim": dk,
                 "dmarc": "fail" if fd in DMARC_REJECT else brng.choice(["none", "fail"]),
                 "fcrdns": fcr, "p_bounce": p_b, "p_trap": p_t, "p_complaint": p_c,
                 "p_notspam": 0.003}
            message(w, brng, t, s, brng.choice([1, 1, 1, 2, 3, 5, 8, 12, 20]), filt(brng, catch))
            if first is None or t < first:
                first = t
        if first is not None:
            w.judge("ip:" + ip, "spammer", first)
            w.mix["spammer"] = w.mix.get("spammer", 0) + 1
    for d in spamdoms:
        if d in first_use:
            w.judge("domain:" + d, "spammer", first_use[d])
            w.mix["spammer"] = w.mix.get("spammer", 0) + 1


def act_snowshoe(w, idx, nblocks):
    """Snowshoe: many small blocks across hosters, hundreds of throwaway but fully
    authenticated domains, low volume per IP, IPs burned and rotated."""
    name = "ss%d" % idx
    rng = w.rng(name)
    A = w.alloc
    ips = []
    for _ in range(nblocks):
        ips += A.ips_in_block(A.block24(), rng.choice([4, 6, 8, 14, 16]))
    ndom = rng.randrange(len(ips), 3 * len(ips) + 2)
    doms = [A.domain(spam=rng.random() < 0.5) for _ in range(ndom)]
    op_start = T0 + int(rng.uniform(0, 8) * DAY)
    first_ip, first_dom = {}, {}
    catch = rng.uniform(0.25, 0.7)
    luo = rng.random() < 0.7
    for j, ip in enumerate(ips):
        irng = w.rng("%s/i%d" % (name, j))
        a = op_start + int(irng.uniform(0, (T1 - op_start) * 0.7))
        b = min(T1, a + int(lognorm(irng, 4 * DAY, 0.6, DAY, 14 * DAY)))
        per_day = lognorm(irng, 90, 0.7, 10, 800)
        mydoms = [doms[(j * 2 + k) % ndom] for k in range(irng.randrange(1, 4))]
        n = int(per_day * (b - a) / DAY)
        for _ in range(n):
            t = a + int((b - a) * irng.random())
            d = mydoms[int((t - a) / (b - a + 1) * len(mydoms))]
            s = {"ip": ip, "helo": "mail." + d, "mail_from": "bounce@" + d,
                 "from": irng.choice(["offers", "news", "deals", "info", "hello"]) + "@" + d,
                 "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                 "fcrdns": True, "luo": luo, "p_bounce": irng.uniform(0.01, 0.1),
                 "p_trap": irng.uniform(0.0002, 0.003), "p_complaint": irng.uniform(0.002, 0.015),
                 "p_unsub": 0.004, "p_notspam": 0.01}
            message(w, irng, t, s, 1, filt(irng, catch))
            first_ip[ip] = min(first_ip.get(ip, T1), t)
            first_dom[d] = min(first_dom.get(d, T1), t)
    for ip in ips:
        if ip in first_ip:
            w.judge("ip:" + ip, "spammer", first_ip[ip])
            w.mix["spammer"] = w.mix.get("spammer", 0) + 1
    for d in doms:
        if d in first_dom:
            w.judge("domain:" + d, "spammer", first_dom[d])
            w.mix["spammer"] = w.mix.get("spammer", 0) + 1


def act_small(w, idx):
    """Low-volume legitimate sender on its own IP (a shop, a club, a personal server)."""
    name = "sm%d" % idx
    rng = w.rng(name)
    A = w.alloc
    dom = A.domain()
    if rng.random() < 0.3:
        ip = A.resid_ip([(rng.choice(RESID_OCT), rng.randrange(256))])  # business DSL line
        fcr = rng.random() < 0.5
    else:
        ip = A.ips_in_block(A.block24(), 1)[0]
        fcr = rng.random() < 0.85
    tz = tz_draw(rng)
    samp = HourSampler(rng, rng.choice(["business", "consumer", "machine"]), tz, dayvar=0.6)
    per_day = lognorm(rng, 1.2, 1.1, 0.05, 40)
    spf = "pass" if rng.random() < 0.7 else rng.choice(["none", "softfail", "neutral", "fail"])
    dk = "pass" if rng.random() < 0.5 else rng.choice(["none", "none", "fail"])
    helo = ("mail." + dom) if fcr else rng.choice(["localhost.localdomain", "server", dom, "[%s]" % ip])
    catch_fp = lognorm(rng, 0.04, 1.0, 0.002, 0.4)
    n = max(1, int(per_day * DAYS * lognorm(rng, 1.0, 0.3)))
    for _ in range(n):
        t = samp.sample(rng)
        s = {"ip": ip, "helo": helo, "mail_from": "info@" + dom, "from": "info@" + dom,
             "dkim_domains": [dom] if dk != "none" else [], "spf": spf, "dkim": dk,
             "dmarc": "pass" if (spf == "pass" or dk == "pass") else rng.choice(["none", "fail"]),
             "fcrdns": fcr, "p_bounce": 0.02, "p_trap": 0.0, "p_complaint": 0.0008,
             "p_notspam": 0.4}
        message(w, rng, t, s, rng.choice([1, 1, 1, 2, 4]), filt(rng, catch_fp))
    w.judge("ip:" + ip, "unknown")
    w.judge("domain:" + dom, "unknown")
    w.mix["unknown"] = w.mix.get("unknown", 0) + 2


# ----------------------------------------------------------------------------- populations


def build(w):
    A = w.alloc
    hosted_ips = []
    for _ in range(3):
        hosted_ips += A.ips_in_block(A.block24(), 30)
    hosted = (hosted_ips, "mail-out%d.hostedmail.example.net")
    if w.pop == "isp_inbound":
        cfg = dict(botnets=[(w.n(6500), 2), (w.n(2200), 1)], snowshoe=[w.n(6)],
                   esp=[(w.n(40), 1, 0)], newsletters=w.n(60), tx=w.n(48), lists=w.n(12),
                   orgs_comp=w.n(6), orgs_comp_hosted=w.n(4), orgs=w.n(300), orgs_hosted=w.n(340),
                   small=w.n(520))
    else:
        cfg = dict(botnets=[(w.n(1600), 1)], snowshoe=[w.n(8), w.n(4), w.n(12)],
                   esp=[(w.n(55), 1, 1), (w.n(35), 1, 0), (w.n(25), 0, 1)],
                   newsletters=w.n(55), tx=w.n(45), lists=w.n(16), orgs_comp=w.n(14),
                   orgs_comp_hosted=w.n(12), orgs=w.n(320), orgs_hosted=w.n(450), small=w.n(500))
    for i, (nb, waves) in enumerate(cfg["botnets"]):
        act_botnet(w, i, nb, waves)
    for i, nblk in enumerate(cfg["snowshoe"]):
        act_snowshoe(w, i, nblk)
    for i, (nc, nbad, nto) in enumerate(cfg["esp"]):
        act_esp(w, i, nc, nbad, nto)
    for i in range(cfg["newsletters"]):
        act_newsletter(w, i)
    for i in range(cfg["tx"]):
        act_transactional(w, i)
    for i in range(cfg["lists"]):
        act_list(w, i)
    k = 0
    for i in range(cfg["orgs_comp"]):
        act_org(w, k, True)
        k += 1
    for i in range(cfg["orgs_comp_hosted"]):
        act_org(w, k, True, hosted)
        k += 1
    for i in range(cfg["orgs"]):
        act_org(w, k, False)
        k += 1
    for i in range(cfg["orgs_hosted"]):
        act_org(w, k, False, hosted)
        k += 1
    for i in range(cfg["small"]):
        act_small(w, i)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="senders_", dir=a.out)
    try:
        w = World(a.seed, pop, a.scale, tmp)
        build(w)
        n = w.finish(os.path.join(a.out, "events.jsonl"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # an identity that never shows up (e.g. a customer with no campaign in the window) cannot
    # be judged: leave it out
    w.truth = {k: v for k, v in w.truth.items() if k.split(":", 1)[1] in w.seen}
    with open(os.path.join(a.out, "truth.csv"), "w", newline="") as f:
        f.write("identity,class,bad_from\n")
        for ident in sorted(w.truth):
            cls, bf = w.truth[ident]
            f.write("%s,%s,%s\n" % (ident, cls, "" if bf is None else int(bf)))
    meta = {"population": pop, "seed": a.seed, "start": T0, "end": T1, "events": n,
            "identities": len(w.truth)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

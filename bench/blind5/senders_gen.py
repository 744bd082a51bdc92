#!/usr/bin/env python3
"""Synthetic sender-reputation event streams (see README.md, FORMAT.md "Sender populations").

Populations:
  mbp  - a large mailbox provider's inbound view: ESPs with shared and dedicated IPs,
         in-house bulk senders, transactional senders, small/odd legitimate senders,
         compromised accounts (small business servers, ESP account takeovers, hacked
         web hosts), snowshoe spam, list-buying "grey" senders, hit-and-run spammers.
  isp  - a regional ISP's inbound MX: a botnet spam wave (direct-to-MX from residential
         addresses, forged brand From domains), mailing lists, a compromised
         university relay, ESP and transactional mail, many small senders.
Standard library only; deterministic for a given --seed.
"""
import argparse
import json
import math
import os
import random

DAY = 86400
HOUR = 3600

TLDS = ["com", "com", "com", "com", "net", "org", "de", "co.uk", "fr", "io", "us", "info",
        "biz", "nl", "it", "es", "ca", "com.au", "online", "shop", "xyz", "top", "site"]
SPAM_TLDS = ["com", "net", "info", "biz", "xyz", "top", "site", "online", "club", "us", "icu",
             "click", "live", "store"]
SYL = ["al", "an", "ar", "ba", "be", "bo", "ca", "ce", "co", "da", "de", "di", "do", "el", "en",
       "fa", "fi", "ga", "go", "ha", "in", "ka", "ki", "la", "le", "li", "lo", "ma", "me", "mi",
       "mo", "na", "ne", "no", "or", "pa", "pe", "po", "ra", "re", "ri", "ro", "sa", "se", "si",
       "so", "ta", "te", "ti", "to", "tra", "ve", "vi", "wa", "xo", "za", "zo"]
WORDS = ["blue", "river", "north", "media", "shop", "group", "health", "home", "tech", "data",
         "green", "star", "city", "press", "news", "travel", "bank", "care", "market", "cloud",
         "solutions", "partners", "direct", "online", "mail", "labs", "works", "studio", "club",
         "finance", "energy", "foods", "sport", "auto", "legal", "school", "academy", "clinic"]
PUBLIC_FIRST_OCTETS = [5, 23, 31, 37, 45, 46, 50, 54, 62, 64, 66, 67, 69, 70, 72, 74, 77, 78, 80,
                       81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 104, 107, 108, 109,
                       128, 129, 130, 134, 137, 139, 141, 142, 143, 144, 146, 148, 149, 151, 152,
                       154, 155, 158, 159, 161, 162, 163, 164, 165, 167, 168, 170, 173, 174, 176,
                       178, 180, 182, 185, 186, 187, 188, 190, 193, 194, 195, 196, 197, 199, 200,
                       201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 212, 213, 216, 217]
RESIDENTIAL_FIRST = [24, 31, 36, 39, 41, 42, 49, 58, 59, 60, 61, 71, 73, 75, 76, 79, 90, 98, 99,
                     101, 103, 105, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121,
                     122, 123, 124, 125, 175, 177, 179, 181, 183, 189, 191, 197, 200, 201, 222]


KEYS = ["time", "type", "ip", "helo", "mail_from", "from", "dkim_domains", "spf", "dkim", "dmarc",
        "fcrdns", "recipients", "list_unsubscribe_one_click", "feedback_id", "list_id", "verdict"]
_ENC = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


class World:
    """Shared helpers: unique names and addresses, event buffer, truth table."""

    def __init__(self, rng, start, end):
        self.rng = rng
        self.start = start
        self.end = end
        self.events = []  # (time, seq, dict)
        self.seq = 0
        self.truth = {}  # identity -> (class, bad_from)
        self.used_ips = set()
        self.used_domains = set()
        self.used_blocks = set()
        self.present = set()
        self.pending_set = set()
        self.first_seen = {}

    # --- names -------------------------------------------------------------------
    def domain(self, style="brand", tlds=None):
        r = self.rng
        for _ in range(1000):
            if style == "brand":
                name = r.choice(WORDS) + r.choice(["", "-", ""]) + r.choice(WORDS)
                if r.random() < 0.4:
                    name = "".join(r.choice(SYL) for _ in range(r.randint(2, 3))) + r.choice(WORDS)
            elif style == "random":
                name = "".join(r.choice(SYL) for _ in range(r.randint(3, 5)))
                if r.random() < 0.3:
                    name += str(r.randint(1, 99))
            elif style == "plausible":  # snowshoe: sound-alike businesses
                name = r.choice(WORDS) + r.choice(WORDS) + r.choice(["", "hq", "pro", "now", "deals", "24"])
            else:
                name = "".join(r.choice(SYL) for _ in range(r.randint(2, 4)))
            d = name + "." + r.choice(tlds or TLDS)
            if d not in self.used_domains:
                self.used_domains.add(d)
                return d
        raise RuntimeError("domain space exhausted")

    def block24(self, firsts=None):
        r = self.rng
        while True:
            b = (r.choice(firsts or PUBLIC_FIRST_OCTETS), r.randint(0, 255), r.randint(0, 255))
            if b not in self.used_blocks:
                self.used_blocks.add(b)
                return b

    def ips_in_block(self, b, n, lo=2, hi=254, contiguous=True):
        r = self.rng
        out = []
        if contiguous:
            base = r.randint(lo, max(lo, hi - n))
            cand = range(base, min(hi, base + n))
        else:
            cand = r.sample(range(lo, hi), min(n, hi - lo))
        for last in cand:
            ip = "%d.%d.%d.%d" % (b[0], b[1], b[2], last)
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                out.append(ip)
        return out

    def ip(self, firsts=None):
        while True:
            b = (self.rng.choice(firsts or PUBLIC_FIRST_OCTETS), self.rng.randint(0, 255), self.rng.randint(0, 255))
            ip = "%d.%d.%d.%d" % (b[0], b[1], b[2], self.rng.randint(1, 254))
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    # --- output ------------------------------------------------------------------
    def emit(self, t, ev):
        t = int(t)
        if t < self.start or t >= self.end:
            return False
        ev["time"] = t
        self.seq += 1
        self.events.append((t, self.seq, _ENC({k: ev[k] for k in KEYS if k in ev})))
        self.present.add("ip:" + ev["ip"])
        fd = ev.get("from", "").split("@")[-1]
        if fd:
            self.present.add("domain:" + fd)
            if fd in self.pending_set:
                prev = self.first_seen.get(fd)
                if prev is None or t < prev:
                    self.first_seen[fd] = t
        for d in ev.get("dkim_domains", ()):
            self.present.add("domain:" + d)
        return True

    def label(self, identity, cls, bad_from=None):
        prev = self.truth.get(identity)
        if prev is not None and prev[0] in ("spammer", "compromised") and cls not in ("spammer", "compromised"):
            return
        if prev is not None and prev[0] in ("spammer", "compromised") and prev[1] is not None and bad_from is not None:
            bad_from = min(prev[1], bad_from)
        self.truth[identity] = (cls, bad_from)


# --- time helpers ------------------------------------------------------------------
def diurnal_weight(t, tz_off, kind):
    """Relative rate for local hour; kind 'human' (business hours), 'flat', 'consumer'."""
    h = ((t + tz_off) % DAY) / 3600.0
    wd = int(((t + tz_off) // DAY + 4) % 7)  # 0=Mon (epoch was a Thursday)
    weekend = wd >= 5
    if kind == "flat":
        return 1.0
    if kind == "human":
        base = 0.08 + math.exp(-((h - 11.0) ** 2) / 8.0) + 0.8 * math.exp(-((h - 15.0) ** 2) / 6.0)
        return base * (0.25 if weekend else 1.0)
    # consumer: daytime into evening, weekends a bit lower
    base = 0.15 + math.exp(-((h - 12.0) ** 2) / 18.0) + 0.6 * math.exp(-((h - 20.0) ** 2) / 6.0)
    return base * (0.75 if weekend else 1.0)


def times_poisson(rng, start, end, per_day, tz_off, kind):
    """Non-homogeneous Poisson arrivals by thinning (max weight ~2)."""
    out = []
    if per_day <= 0 or end <= start:
        return out
    lam_max = per_day / DAY * 2.0
    t = float(start)
    while True:
        t += rng.expovariate(lam_max)
        if t >= end:
            break
        if rng.random() * 2.0 < diurnal_weight(t, tz_off, kind):
            out.append(int(t))
    return out


def burst_times(rng, t0, n, duration):
    """n sends spread over a campaign of `duration` seconds, front-loaded (MTA queues)."""
    return sorted(int(t0 + duration * (rng.random() ** 1.4)) for _ in range(n))


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


# --- message construction ---------------------------------------------------------
class Profile:
    """Per-send outcome probabilities (fractions of recipients)."""

    def __init__(self, bounce=0.01, trap=0.0, complaint=0.0005, unsub=0.0, notspam=0.0,
                 spam_verdict=0.02):
        self.bounce = bounce
        self.trap = trap
        self.complaint = complaint
        self.unsub = unsub
        self.notspam = notspam
        self.spam_verdict = spam_verdict


def send(w, t, base, prof, recipients=1, feedback=True):
    """One SMTP transaction from `base` (dict of header/auth fields) at time t.
    Emits bounce / trap / message and, later, complaint / unsubscribe / notspam events."""
    r = w.rng
    ident = {k: base[k] for k in ("ip", "from", "mail_from", "dkim_domains") if k in base}
    if "feedback_id" in base:
        ident["feedback_id"] = base["feedback_id"]
    if "list_id" in base:
        ident["list_id"] = base["list_id"]
    # recipient-level outcomes
    bounced = 0
    for _ in range(recipients):
        if r.random() < prof.bounce:
            bounced += 1
    if bounced:
        ev = dict(ident)
        ev["type"] = "bounce"
        ev["recipients"] = bounced
        w.emit(t, ev)
    left = recipients - bounced
    if left <= 0:
        return
    if prof.trap and r.random() < prof.trap * left:
        ev = dict(base)
        ev["type"] = "trap"
        ev["recipients"] = 1
        w.emit(t, ev)
        left -= 1
        if left <= 0:
            return
    ev = dict(base)
    ev["type"] = "message"
    ev["recipients"] = left
    spam = r.random() < prof.spam_verdict
    ev["verdict"] = "spam" if spam else "ham"
    if not w.emit(t, ev) or not feedback:
        return
    # user feedback, with a delay (most within hours, a tail over days)
    if spam:
        if prof.notspam and r.random() < prof.notspam * left:
            fb = dict(ident)
            fb["type"] = "notspam"
            w.emit(t + lognorm(r, 5 * HOUR, 1.2), fb)
        return
    if prof.complaint and r.random() < prof.complaint * left:
        fb = dict(ident)
        fb["type"] = "complaint"
        w.emit(t + lognorm(r, 2.5 * HOUR, 1.5), fb)
    if prof.unsub and base.get("list_unsubscribe_one_click") and r.random() < prof.unsub * left:
        fb = dict(ident)
        fb["type"] = "unsubscribe"
        w.emit(t + lognorm(r, 6 * HOUR, 1.3), fb)


def recips(rng, mean_extra):
    """1 + geometric extra recipients."""
    if mean_extra <= 0:
        return 1
    n = 1
    p = 1.0 / (1.0 + mean_extra)
    while rng.random() > p and n < 500:
        n += 1
    return n


# --- sender archetypes ------------------------------------------------------------
def make_esps(w, n_esp, n_customers, budget_msgs, days):
    """ESPs: shared pools for small customers, dedicated IPs for big ones. All bulk.
    Returns the list of customer records (for account-takeover reuse)."""
    r = w.rng
    esps = []
    for i in range(n_esp):
        ed = w.domain("brand", ["com", "net", "io"])
        pool = []
        for _ in range(r.randint(1, 3)):
            pool += w.ips_in_block(w.block24(), r.randint(6, 24))
        esps.append({"domain": ed, "pool": pool, "txpool": w.ips_in_block(w.block24(), r.randint(3, 8)),
                     "fbl_id": str(r.randint(100, 999))})
    # customers: heavy-tailed list sizes, calibrated to the budget
    custs = []
    weights = []
    for i in range(n_customers):
        esp = esps[min(int(r.paretovariate(1.2)) - 1, n_esp - 1)] if r.random() < 0.6 else r.choice(esps)
        wgt = lognorm(r, 1.0, 1.3)
        kind = r.choices(["retail", "news", "nonprofit", "saas", "political", "events"],
                         [40, 20, 10, 15, 5, 10])[0]
        c = {"esp": esp, "domain": w.domain("brand"), "w": wgt, "kind": kind,
             "per_week": r.choice([1, 1, 2, 2, 3, 5, 7]) if kind != "news" else 7,
             "tz": r.choice([-8, -5, -5, 0, 1, 1, 2, 10]) * HOUR,
             "one_click": r.random() < (0.93 if kind != "political" else 0.6),
             "dmarc": r.random() < 0.88, "list_id": r.random() < 0.2}
        custs.append(c)
        weights.append(wgt * c["per_week"])
    tot = sum(weights)
    for c, wv in zip(custs, weights):
        sends = budget_msgs * wv / tot
        c["list"] = max(30, int(sends / max(1.0, c["per_week"] * days / 7.0)))
        # biggest customers get dedicated IPs
        if c["list"] > 15000 and r.random() < 0.7:
            c["ips"] = w.ips_in_block(w.block24(), max(1, min(8, c["list"] // 20000)))
            for ip in c["ips"]:
                w.label("ip:" + ip, "bulk")
        else:
            c["ips"] = c["esp"]["pool"]
        w.label("domain:" + c["domain"], "bulk")
    for e in esps:
        for ip in e["pool"]:
            w.label("ip:" + ip, "bulk")
        for ip in e["txpool"]:
            w.label("ip:" + ip, "transactional")
    return esps, custs


def run_esp_customer(w, c, warm_from=None, takeover=None):
    r = w.rng
    esp = c["esp"]
    ed = esp["domain"]
    comp = {"nonprofit": 0.0025, "political": 0.004, "retail": 0.0008, "news": 0.0005,
            "saas": 0.0004, "events": 0.001}[c["kind"]]
    comp *= lognorm(r, 1.0, 0.5)
    prof = Profile(bounce=lognorm(r, 0.007, 0.6), trap=0.00002 * lognorm(r, 1, 1), complaint=comp,
                   unsub=comp * 2.5, notspam=0.05, spam_verdict=min(0.5, comp * 25))
    days = (w.end - w.start) / DAY
    n_campaigns = max(1, int(round(c["per_week"] * days / 7.0 * lognorm(r, 1.0, 0.15))))
    day_list = sorted(r.sample(range(int(days)), min(int(days), n_campaigns))) if c["per_week"] < 7 else list(range(int(days)))
    rp = "bounce." + c["domain"] if r.random() < 0.5 else "bnc%d.%s" % (r.randint(1, 9), ed)
    for di, d in enumerate(day_list):
        local_hour = r.choice([6, 7, 9, 10, 10, 11, 14, 16, 18])
        t0 = w.start + d * DAY + local_hour * HOUR - c["tz"] + r.randint(0, 1800)
        size = int(c["list"] * lognorm(r, 1.0, 0.2))
        p = prof
        if warm_from is not None:  # IP warm-up: ramp from a few hundred
            size = min(size, int(300 * (1.6 ** di)))
        if r.random() < 0.04:  # re-engagement send to an old segment: odd but legitimate
            p = Profile(bounce=0.06, trap=0.0004, complaint=comp * 4, unsub=comp * 6, notspam=0.05,
                        spam_verdict=0.2)
        dur = lognorm(r, 1.5 * HOUR, 0.7)
        cid = r.randint(10000, 99999)
        for t in burst_times(r, t0, size, dur):
            ip = r.choice(c["ips"])
            base = {"ip": ip, "helo": "o%d.%s" % (r.randint(1, 40), ed), "mail_from": "b-%d@%s" % (cid, rp),
                    "from": "%s@%s" % (r.choice(["news", "hello", "info", "offers", "team"]), c["domain"]),
                    "dkim_domains": [c["domain"], ed] if c["dmarc"] else [ed],
                    "spf": "pass", "dkim": "pass", "dmarc": "pass" if c["dmarc"] else "none",
                    "fcrdns": True, "list_unsubscribe_one_click": c["one_click"],
                    "feedback_id": "%d:%s:%s:%s" % (cid, c["domain"].split(".")[0], c["kind"], esp["fbl_id"])}
            if c["list_id"]:
                base["list_id"] = "<%s.list.%s>" % (c["kind"], c["domain"])
            send(w, t, base, p)
    if takeover is not None:
        # account takeover: attacker logs into the customer's ESP account and blasts phishing
        tb = takeover
        n = int(c["list"] * lognorm(r, 1.5, 0.3)) + 2000
        for t in burst_times(r, tb, n, lognorm(r, 2 * HOUR, 0.4)):
            base = {"ip": r.choice(esp["pool"]), "helo": "o%d.%s" % (r.randint(1, 40), ed),
                    "mail_from": "b-x@%s" % rp, "from": "%s@%s" % (r.choice(["security", "billing", "support"]), c["domain"]),
                    "dkim_domains": [c["domain"], ed] if c["dmarc"] else [ed], "spf": "pass", "dkim": "pass",
                    "dmarc": "pass" if c["dmarc"] else "none", "fcrdns": True,
                    "list_unsubscribe_one_click": c["one_click"], "feedback_id": "0:%s:x:%s" % (c["domain"].split(".")[0], esp["fbl_id"])}
            send(w, t, base, Profile(bounce=0.12, trap=0.002, complaint=0.02, unsub=0.002, notspam=0.02,
                                     spam_verdict=0.55))
        w.label("domain:" + c["domain"], "compromised", tb)


def run_inhouse_bulk(w, vol_per_day, days):
    """Large retailer / publisher running its own MTAs."""
    r = w.rng
    d = w.domain("brand")
    ips = w.ips_in_block(w.block24(), r.randint(2, 10))
    tz = r.choice([-5, 0, 1, 8]) * HOUR
    comp = lognorm(r, 0.0007, 0.5)
    prof = Profile(bounce=lognorm(r, 0.006, 0.5), trap=0.00001, complaint=comp, unsub=comp * 3,
                   notspam=0.05, spam_verdict=0.05)
    one_click = r.random() < 0.95
    for day in range(int(days)):
        if r.random() < 0.15:
            continue
        n = int(vol_per_day * lognorm(r, 1.0, 0.3))
        t0 = w.start + day * DAY + r.choice([7, 8, 9, 12]) * HOUR - tz
        for t in burst_times(r, t0, n, lognorm(r, 3 * HOUR, 0.5)):
            base = {"ip": r.choice(ips), "helo": "mta%d.mail.%s" % (r.randint(1, 9), d),
                    "mail_from": "bounces@mail.%s" % d, "from": "deals@%s" % d, "dkim_domains": [d],
                    "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                    "list_unsubscribe_one_click": one_click}
            send(w, t, base, prof)
    w.label("domain:" + d, "bulk")
    for ip in ips:
        w.label("ip:" + ip, "bulk")
    return d, ips


def run_transactional(w, per_day, odd=None, via_esp=None):
    """Receipts, password resets, alerts. odd: 'forwarded' (SPF fails, DKIM survives),
    'softfail' (stale SPF record), 'notif' (social notifications with list headers)."""
    r = w.rng
    d = w.domain("brand")
    tz = r.choice([-8, -5, 0, 1, 2, 5, 9]) * HOUR
    if via_esp:
        ips = via_esp["txpool"]
        helo = "tx%d.%s" % (r.randint(1, 9), via_esp["domain"])
        mf = "bounce@em.%s" % d
        dk = [d, via_esp["domain"]]
    else:
        ips = w.ips_in_block(w.block24(), r.randint(1, 6))
        helo = "smtp.%s" % d
        mf = "noreply@%s" % d
        dk = [d]
        for ip in ips:
            w.label("ip:" + ip, "transactional")
    prof = Profile(bounce=lognorm(r, 0.004, 0.5), trap=0.0, complaint=lognorm(r, 0.00008, 0.7),
                   unsub=0.0, notspam=0.3, spam_verdict=0.01)
    lfrom = r.choice(["noreply", "receipts", "alerts", "no-reply", "orders", "security"])
    for t in times_poisson(r, w.start, w.end, per_day, tz, "consumer"):
        base = {"ip": r.choice(ips), "helo": helo, "mail_from": mf, "from": "%s@%s" % (lfrom, d),
                "dkim_domains": dk, "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
                "list_unsubscribe_one_click": False}
        if odd == "forwarded" and r.random() < 0.25:
            base["spf"] = "fail"
            base["ip"] = w.forwarders[r.randrange(len(w.forwarders))]
            base["helo"] = "fwd.%s" % w.forward_dom
        elif odd == "softfail":
            base["spf"] = "softfail"
        elif odd == "notif":
            base["list_unsubscribe_one_click"] = True
        send(w, t, base, prof if odd != "notif" else Profile(bounce=0.004, complaint=0.0006, unsub=0.001,
                                                             notspam=0.1, spam_verdict=0.04))
    w.label("domain:" + d, "transactional")
    return d, ips


def run_small(w, per_day, broken=False, shared_ip=None, label_ip=True):
    """Ordinary low-volume legitimate sender (small business, club, person with own domain)."""
    r = w.rng
    d = w.domain("brand")
    ip = shared_ip or w.ip()
    tz = r.choice([-8, -6, -5, 0, 1, 2, 3, 8]) * HOUR
    for t in times_poisson(r, w.start, w.end, per_day, tz, "human"):
        base = {"ip": ip, "helo": ("mail.%s" % d) if not broken else r.choice(["localhost", "exchange01", "mail.%s" % d]),
                "mail_from": "%s@%s" % (r.choice(["info", "office", "john", "sales", "admin"]), d),
                "from": "%s@%s" % (r.choice(["info", "office", "john", "sales", "admin"]), d),
                "dkim_domains": [] if broken else [d],
                "spf": r.choice(["none", "softfail", "neutral", "pass"]) if broken else "pass",
                "dkim": "none" if broken else "pass",
                "dmarc": "none" if broken else r.choice(["pass", "pass", "none"]),
                "fcrdns": (r.random() < 0.5) if broken else True, "list_unsubscribe_one_click": False}
        send(w, t, base, Profile(bounce=0.01, complaint=0.0002, notspam=0.4,
                                 spam_verdict=0.15 if broken else 0.03), recipients=recips(r, 0.6))
    w.label("domain:" + d, "unknown")
    if label_ip and shared_ip is None:
        w.label("ip:" + ip, "unknown")
    return d, ip


def run_compromised_server(w, per_day, t_bad, days_bad=0.4):
    """Small organisation's own mail server; an account's password is phished and the
    server relays spam (419/phishing) with valid authentication until the admin locks it."""
    r = w.rng
    d = w.domain("brand")
    ip = w.ip()
    tz = r.choice([-5, 0, 1, 2, 3]) * HOUR
    base0 = {"ip": ip, "helo": "mail.%s" % d, "dkim_domains": [d] if r.random() < 0.7 else [],
             "spf": "pass", "fcrdns": True, "list_unsubscribe_one_click": False}
    base0["dkim"] = "pass" if base0["dkim_domains"] else "none"
    base0["dmarc"] = "pass" if r.random() < 0.7 else "none"
    for t in times_poisson(r, w.start, w.end, per_day, tz, "human"):
        b = dict(base0)
        u = r.choice(["info", "office", "anna", "mark", "accounts"])
        b["mail_from"] = b["from"] = "%s@%s" % (u, d)
        send(w, t, b, Profile(bounce=0.01, complaint=0.0002, notspam=0.4, spam_verdict=0.03),
             recipients=recips(r, 0.7))
    # the abuse: hours of blasting, sometimes a second wave a day later
    waves = [(t_bad, days_bad)]
    if r.random() < 0.35:
        waves.append((t_bad + int(lognorm(r, 1.2 * DAY, 0.3)), days_bad * 0.5))
    victim = r.choice(["accounts", "anna", "info", "admin"])
    rate = lognorm(r, 400, 0.6)  # messages/hour
    for tb, dur_d in waves:
        dur = dur_d * DAY * lognorm(r, 1.0, 0.4)
        n = int(rate * dur / HOUR)
        for t in burst_times(r, tb, n, dur):
            b = dict(base0)
            b["mail_from"] = b["from"] = "%s@%s" % (victim, d)
            send(w, t, b, Profile(bounce=0.18, trap=0.004, complaint=0.015, notspam=0.01, spam_verdict=0.7),
                 recipients=recips(r, 8))
    w.label("domain:" + d, "compromised", t_bad)
    w.label("ip:" + ip, "compromised", t_bad)


def run_hacked_webhost(w, t_bad):
    """Shared web-hosting IP: a few tenants' low-volume legit mail, then a PHP mailer
    script dropped on a hacked CMS sends spam with random/forged From domains."""
    r = w.rng
    ip = w.ip()
    host = "web%d.%s" % (r.randint(1, 300), w.domain("random", ["com", "net", "de"]))
    for _ in range(r.randint(2, 5)):
        run_small(w, lognorm(r, 4, 0.6), broken=r.random() < 0.4, shared_ip=ip)
    rate = lognorm(r, 150, 0.5)
    dur = lognorm(r, 3 * DAY, 0.5)
    doms = [w.domain("random", SPAM_TLDS) for _ in range(r.randint(3, 12))]
    for t in burst_times(r, t_bad, int(rate * dur / HOUR), dur):
        dd = r.choice(doms)
        b = {"ip": ip, "helo": host, "mail_from": "www-data@%s" % host, "from": "%s@%s" % (r.choice(["support", "service", "alert"]), dd),
             "dkim_domains": [], "spf": r.choice(["none", "softfail", "fail"]), "dkim": "none",
             "dmarc": r.choice(["none", "none", "fail"]), "fcrdns": True, "list_unsubscribe_one_click": False}
        send(w, t, b, Profile(bounce=0.2, trap=0.005, complaint=0.01, notspam=0.01, spam_verdict=0.85),
             recipients=recips(r, 2))
    w.label("ip:" + ip, "compromised", t_bad)


def run_snowshoe(w, n_ips, n_domains, per_ip_day, t_begin, t_end):
    """Snowshoe operation: many small blocks at several hosters, rotating throwaway
    domains with proper SPF/DKIM, each IP below volume thresholds (Spamhaus CSS)."""
    r = w.rng
    blocks = []
    while sum(len(b) for b in blocks) < n_ips:
        blocks.append(w.ips_in_block(w.block24(), r.choice([8, 8, 16, 16, 32])))
    ips = [ip for b in blocks for ip in b][:n_ips]
    doms = [w.domain("plausible", SPAM_TLDS) for _ in range(n_domains)]
    # each domain lives a few days; each IP bound to a handful of domains
    life = {d: (t_begin + r.random() * max(1, (t_end - t_begin - 2 * DAY)), lognorm(r, 3 * DAY, 0.5)) for d in doms}
    one_click = r.random() < 0.7
    comp = lognorm(r, 0.006, 0.4)
    prof = Profile(bounce=lognorm(r, 0.06, 0.4), trap=lognorm(r, 0.002, 0.5), complaint=comp,
                   unsub=comp * 1.5, notspam=0.01, spam_verdict=lognorm(r, 0.45, 0.3))
    for ip in ips:
        first = None
        t_ip0 = t_begin + r.random() * DAY * 2
        myd = r.sample(doms, min(len(doms), r.randint(3, 10)))
        for t in times_poisson(r, int(t_ip0), t_end, per_ip_day * lognorm(r, 1.0, 0.5), 0, "flat"):
            live = [d for d in myd if life[d][0] <= t < life[d][0] + life[d][1]]
            if not live:
                continue
            d = live[int(t) % len(live)]
            b = {"ip": ip, "helo": "mail.%s" % d, "mail_from": "return@%s" % d,
                 "from": "%s@%s" % (r.choice(["offers", "deals", "news", "info", "alerts"]), d),
                 "dkim_domains": [d] if r.random() < 0.8 else [], "spf": "pass", "fcrdns": True,
                 "list_unsubscribe_one_click": one_click}
            b["dkim"] = "pass" if b["dkim_domains"] else "none"
            b["dmarc"] = "pass" if b["dkim_domains"] else "none"
            send(w, t, b, prof)
            if first is None:
                first = t
                w.label("ip:" + ip, "spammer", t)
            prev = w.truth.get("domain:" + d)
            if prev is None or t < prev[1]:
                w.label("domain:" + d, "spammer", t)


def run_grey_listbuyer(w, per_day):
    """Looks like an ordinary ESP customer (aged domain, full auth, one-click), but mails
    purchased lists: high bounces, pristine-trap hits, complaints. Spammer from the start."""
    r = w.rng
    d = w.domain("brand")
    ips = w.ips_in_block(w.block24(), r.randint(2, 6))
    first = None
    for day in range(int((w.end - w.start) / DAY)):
        if r.random() < 0.3:
            continue
        t0 = w.start + day * DAY + r.randint(8, 16) * HOUR
        n = int(per_day * lognorm(r, 1.0, 0.4))
        for t in burst_times(r, t0, n, lognorm(r, 2 * HOUR, 0.5)):
            b = {"ip": r.choice(ips), "helo": "mx%d.%s" % (r.randint(1, 4), d), "mail_from": "bounce@%s" % d,
                 "from": "marketing@%s" % d, "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                 "fcrdns": True, "list_unsubscribe_one_click": True, "feedback_id": "%d:lead:%s" % (day, d.split(".")[0])}
            send(w, t, b, Profile(bounce=0.09, trap=0.0015, complaint=0.008, unsub=0.01, notspam=0.01,
                                  spam_verdict=0.4))
            if first is None:
                first = t
    if first is not None:
        w.label("domain:" + d, "spammer", first)
        for ip in ips:
            w.label("ip:" + ip, "spammer", first)


def run_hit_and_run(w, t_blast, per_day_warm, blast_n):
    """New domain+IPs warm up with a trickle of clean-looking mail, then blast."""
    r = w.rng
    d = w.domain("plausible", SPAM_TLDS)
    ips = w.ips_in_block(w.block24(), r.randint(1, 4))
    t_warm = t_blast - int(lognorm(r, 5 * DAY, 0.3))
    for t in times_poisson(r, max(w.start, t_warm), t_blast, per_day_warm, 0, "consumer"):
        b = {"ip": r.choice(ips), "helo": "mail.%s" % d, "mail_from": "news@%s" % d, "from": "news@%s" % d,
             "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
             "list_unsubscribe_one_click": True}
        send(w, t, b, Profile(bounce=0.01, complaint=0.0005, unsub=0.002, notspam=0.1, spam_verdict=0.05))
    for t in burst_times(r, t_blast, blast_n, lognorm(r, 5 * HOUR, 0.4)):
        b = {"ip": r.choice(ips), "helo": "mail.%s" % d, "mail_from": "news@%s" % d, "from": "news@%s" % d,
             "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
             "list_unsubscribe_one_click": True}
        send(w, t, b, Profile(bounce=0.1, trap=0.003, complaint=0.012, unsub=0.01, notspam=0.01, spam_verdict=0.6))
    w.label("domain:" + d, "spammer", t_blast)
    for ip in ips:
        w.label("ip:" + ip, "spammer", t_blast)


def run_botnet(w, n_bots, msgs_per_bot, t_begin, t_peak, t_end, brands, label_domains=True):
    """Direct-to-MX botnet spam from residential addresses: bogus HELO, failing SPF,
    no DKIM, forged brand From (DMARC fail) or throwaway domains; dictionary bounces."""
    r = w.rng
    throwaway = [w.domain("random", SPAM_TLDS) for _ in range(max(5, n_bots // 40))]
    if label_domains:
        w.pending_set.update(throwaway)
    for i in range(n_bots):
        ip = w.ip(RESIDENTIAL_FIRST)
        # triangular recruitment around the peak
        t0 = int(r.triangular(t_begin, t_end - HOUR, t_peak))
        active = lognorm(r, 14 * HOUR, 0.9)
        n = max(1, int(msgs_per_bot * lognorm(r, 1.0, 1.0)))
        dyn = r.random() < 0.35
        oct_ = ip.split(".")
        first = None
        for t in sorted(r.uniform(t0, t0 + active) for _ in range(n)):
            style = r.random()
            if style < 0.35 and brands:
                fd = r.choice(brands)
                spf, dmarc = r.choice(["fail", "softfail"]), "fail"
            elif style < 0.75:
                fd = r.choice(throwaway)
                spf, dmarc = r.choice(["none", "pass", "neutral"]), "none"
            else:  # freemail-looking forged sender
                fd = r.choice(["mail.ru", "yahoo.com", "hotmail.com", "gmail.com", "qq.com"])
                spf, dmarc = "softfail", r.choice(["fail", "none"])
            helo = r.choice(["%s" % "".join(r.choice(SYL) for _ in range(3)), "[%s]" % ip, "localhost",
                             "User", fd, "dyn-%s-%s.pool.example" % (oct_[2], oct_[3])])
            b = {"ip": ip, "helo": helo, "mail_from": "%s@%s" % ("".join(r.choice(SYL) for _ in range(3)), fd),
                 "from": "%s@%s" % (r.choice(["service", "info", "admin", "noreply"]), fd), "dkim_domains": [],
                 "spf": spf, "dkim": "none", "dmarc": dmarc, "fcrdns": dyn, "list_unsubscribe_one_click": False}
            send(w, t, b, Profile(bounce=0.35, trap=0.01, complaint=0.02, notspam=0.005, spam_verdict=0.9),
                 recipients=recips(r, 1.5))
            if first is None and w.start <= t < w.end:
                first = int(t)
        if first is not None:
            w.label("ip:" + ip, "spammer", first)


def finalize_throwaway(w):
    for d in sorted(w.first_seen):
        w.label("domain:" + d, "spammer", w.first_seen[d])


def run_mailing_list(w, posts_per_day, subscribers_here):
    """Discussion list server (Mailman-like): posts from many domains re-sent to members,
    From not rewritten -> DMARC fails for posters from p=reject domains; List-Id set."""
    r = w.rng
    ld = w.domain("brand", ["org", "net"])
    ip = w.ip()
    tz = r.choice([-5, 0, 1]) * HOUR
    posters = [w.domain("brand") for _ in range(40)] + ["gmail.com", "yahoo.com", "outlook.com"]
    lst = "<%s.lists.%s>" % (r.choice(["dev", "users", "announce", "discuss"]), ld)
    for t in times_poisson(r, w.start, w.end, posts_per_day, tz, "human"):
        pd = r.choice(posters)
        for tt in burst_times(r, t, subscribers_here, 600):
            b = {"ip": ip, "helo": "lists.%s" % ld, "mail_from": "list-bounces@lists.%s" % ld,
                 "from": "%s@%s" % ("".join(r.choice(SYL) for _ in range(2)), pd), "dkim_domains": [ld] + ([pd] if r.random() < 0.3 else []),
                 "spf": "pass", "dkim": "pass", "dmarc": "fail" if pd in ("yahoo.com", "outlook.com") else r.choice(["pass", "fail", "none"]),
                 "fcrdns": True, "list_unsubscribe_one_click": False, "list_id": lst}
            send(w, tt, b, Profile(bounce=0.01, complaint=0.0004, notspam=0.3, spam_verdict=0.06))
    w.label("ip:" + ip, "bulk")
    w.label("domain:" + ld, "bulk")


def run_compromised_relay(w, per_day, t_bad):
    """University/enterprise outbound relay: steady person-to-person mail from many users;
    a phished account then sends spam through it (IP and domain compromised)."""
    r = w.rng
    d = w.domain("brand", ["edu", "ac.uk", "de", "org"])
    ips = w.ips_in_block(w.block24(), r.randint(2, 4))
    tz = r.choice([-5, 0, 1]) * HOUR
    for t in times_poisson(r, w.start, w.end, per_day, tz, "human"):
        u = "".join(r.choice(SYL) for _ in range(3))
        b = {"ip": r.choice(ips), "helo": "smtp-out.%s" % d, "mail_from": "%s@%s" % (u, d), "from": "%s@%s" % (u, d),
             "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
             "list_unsubscribe_one_click": False}
        send(w, t, b, Profile(bounce=0.01, complaint=0.0001, notspam=0.4, spam_verdict=0.02), recipients=recips(r, 0.5))
    victim = "".join(r.choice(SYL) for _ in range(3))
    dur = lognorm(r, 8 * HOUR, 0.4)
    for t in burst_times(r, t_bad, int(lognorm(r, 250, 0.5) * dur / HOUR), dur):
        b = {"ip": r.choice(ips), "helo": "smtp-out.%s" % d, "mail_from": "%s@%s" % (victim, d), "from": "%s@%s" % (victim, d),
             "dkim_domains": [d], "spf": "pass", "dkim": "pass", "dmarc": "pass", "fcrdns": True,
             "list_unsubscribe_one_click": False}
        send(w, t, b, Profile(bounce=0.2, trap=0.003, complaint=0.012, notspam=0.01, spam_verdict=0.6),
             recipients=recips(r, 20))
    w.label("domain:" + d, "compromised", t_bad)
    for ip in ips:
        w.label("ip:" + ip, "compromised", t_bad)


def freemail_background(w, per_day, n_ips, spam_share_from=None):
    """Person-to-person mail from a large webmail provider's outbound IPs (not judged):
    includes a small share of spam from compromised webmail accounts."""
    r = w.rng
    fd = w.domain("brand", ["com"])
    ips = w.ips_in_block(w.block24(), n_ips)
    for t in times_poisson(r, w.start, w.end, per_day, 0, "consumer"):
        u = "".join(r.choice(SYL) for _ in range(r.randint(2, 4))) + str(r.randint(1, 999))
        bad = r.random() < 0.01
        b = {"ip": r.choice(ips), "helo": "mail-out%d.%s" % (r.randint(1, 99), fd), "mail_from": "%s@%s" % (u, fd),
             "from": "%s@%s" % (u, fd), "dkim_domains": [fd], "spf": "pass", "dkim": "pass", "dmarc": "pass",
             "fcrdns": True, "list_unsubscribe_one_click": False}
        if bad:
            send(w, t, b, Profile(bounce=0.2, trap=0.003, complaint=0.02, spam_verdict=0.6), recipients=recips(r, 30))
        else:
            send(w, t, b, Profile(bounce=0.01, complaint=0.0001, notspam=0.4, spam_verdict=0.02), recipients=recips(r, 0.4))


# --- populations ---------------------------------------------------------------------
def n_of(base, scale, lo=1):
    return max(lo, int(round(base * scale)))


def pop_mbp(w, scale):
    r = w.rng
    days = (w.end - w.start) / DAY
    w.forward_dom = w.domain("random", ["edu", "org"])
    w.forwarders = w.ips_in_block(w.block24(), 3)
    esps, custs = make_esps(w, 6, n_of(260, scale, 8), 700000 * scale, days)
    takeovers = set(r.sample(range(len(custs)), max(1, n_of(4, scale))))
    for i, c in enumerate(custs):
        tk = None
        if i in takeovers:
            tk = w.start + int(r.uniform(3, days - 2) * DAY)
        warm = 0 if r.random() < 0.05 else None
        run_esp_customer(w, c, warm_from=warm, takeover=tk)
    for _ in range(n_of(6, scale, 2)):
        run_inhouse_bulk(w, lognorm(r, 2800, 0.5) * min(1.0, scale * 3), days)
    for i in range(n_of(40, scale, 4)):
        odd = r.choices([None, "forwarded", "softfail", "notif"], [70, 12, 8, 10])[0]
        via = r.choice(esps) if r.random() < 0.4 else None
        run_transactional(w, lognorm(r, 250, 1.2), odd=odd, via_esp=via)
    for i in range(n_of(400, scale, 10)):
        run_small(w, lognorm(r, 3, 1.0), broken=r.random() < 0.3)
    freemail_background(w, 8000 * scale + 300, n_of(12, scale, 3))
    for _ in range(n_of(8, scale, 2)):
        run_compromised_server(w, lognorm(r, 15, 0.7), w.start + int(r.uniform(2, days - 1) * DAY))
    for _ in range(n_of(3, scale, 1)):
        run_hacked_webhost(w, w.start + int(r.uniform(2, days - 2) * DAY))
    for k in range(n_of(3, scale, 1)):
        t_b = w.start + int(r.uniform(0, days * 0.5) * DAY)
        run_snowshoe(w, n_of(120, scale, 12), n_of(150, scale, 10), 60, t_b, w.end)
    for _ in range(n_of(4, scale, 1)):
        run_grey_listbuyer(w, lognorm(r, 2500, 0.5) * min(1.0, scale * 4))
    for _ in range(n_of(5, scale, 1)):
        run_hit_and_run(w, w.start + int(r.uniform(6, days - 1) * DAY), 40, int(lognorm(r, 15000, 0.5) * min(1.0, scale * 4)))
    brands = [d for d, cl in ((k[7:], v[0]) for k, v in sorted(w.truth.items()) if k.startswith("domain:")) if cl == "transactional"]
    run_botnet(w, n_of(1500, scale, 30), 12, w.start, w.start + int(days * 0.6 * DAY), w.end, brands[:10])


def pop_isp(w, scale):
    r = w.rng
    days = (w.end - w.start) / DAY
    w.forward_dom = w.domain("random", ["edu", "org"])
    w.forwarders = w.ips_in_block(w.block24(), 3)
    esps, custs = make_esps(w, 4, n_of(120, scale, 6), 420000 * scale, days)
    for c in custs:
        run_esp_customer(w, c)
    for _ in range(n_of(3, scale, 1)):
        run_inhouse_bulk(w, lognorm(r, 5000, 0.5) * min(1.0, scale * 3), days)
    brands = []
    for i in range(n_of(25, scale, 4)):
        odd = r.choices([None, "forwarded", "softfail", "notif"], [70, 15, 8, 7])[0]
        d, _ = run_transactional(w, lognorm(r, 250, 1.1), odd=odd, via_esp=r.choice(esps) if r.random() < 0.3 else None)
        brands.append(d)
    for i in range(n_of(600, scale, 12)):
        run_small(w, lognorm(r, 2.5, 1.0), broken=r.random() < 0.35)
    for _ in range(n_of(4, scale, 1)):
        run_mailing_list(w, lognorm(r, 12, 0.6), int(lognorm(r, 60, 0.7)) + 5)
    for _ in range(n_of(2, scale, 1)):
        run_compromised_relay(w, lognorm(r, 1500, 0.4) * min(1.0, scale * 3) + 30, w.start + int(r.uniform(5, days - 1) * DAY))
    for _ in range(n_of(4, scale, 1)):
        run_compromised_server(w, lognorm(r, 10, 0.7), w.start + int(r.uniform(2, days - 1) * DAY))
    freemail_background(w, 6000 * scale + 200, n_of(8, scale, 2))
    # the wave: recruitment from day ~6, peak around day 12, fading by the end
    run_botnet(w, n_of(16000, scale, 60), 20, w.start + int(6 * DAY), w.start + int(12 * DAY), w.end, brands[:8])
    run_snowshoe(w, n_of(60, scale, 8), n_of(80, scale, 8), 90, w.start + int(r.uniform(0, 8) * DAY), w.end)
    for _ in range(n_of(2, scale, 1)):
        run_hit_and_run(w, w.start + int(r.uniform(7, days - 1) * DAY), 30, int(lognorm(r, 10000, 0.5) * min(1.0, scale * 4)))


POPULATIONS = {"mbp": pop_mbp, "isp": pop_isp}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="mbp", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    rng = random.Random("senders:%s:%d" % (a.population, a.seed))
    # a Monday 00:00 UTC between 2024-01 and 2026-06, chosen by the seed; 3 weeks
    start = 1704067200 + rng.randint(0, 125) * 7 * DAY
    w = World(rng, start, start + 21 * DAY)
    POPULATIONS[a.population](w, a.scale)
    finalize_throwaway(w)
    w.events.sort()
    present = w.present
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "events.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for _, _, line in w.events:
            f.write(line)
            f.write("\n")
    rows = sorted((k, v) for k, v in w.truth.items() if k in present)
    with open(os.path.join(a.out, "truth.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("identity,class,bad_from\n")
        for k, (cls, bad) in rows:
            f.write("%s,%s,%s\n" % (k, cls, "" if bad is None or cls not in ("spammer", "compromised") else int(bad)))
    meta = {"population": a.population, "seed": a.seed, "start": w.start, "end": w.end,
            "events": len(w.events), "identities": len(rows)}
    with open(os.path.join(a.out, "meta.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

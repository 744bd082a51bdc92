#!/usr/bin/env python3
"""senders_gen.py - blind sender populations for the reputation classes (issue 13).

SYNOPSIS
  python3 bench/blind/senders_gen.py --seed N --out DIR [--population NAME] [--scale F]
  python3 bench/blind/senders_gen.py --list

DESCRIPTION
  Writes DIR/events.jsonl (reputation events sorted by time, the JSON lines that
  `rampart reputation replay --events FILE` reads), DIR/truth.csv
  (identity,class,bad_from) and DIR/meta.json, per bench/blind/README.md and the
  shared interface (BLIND-FORMAT). Written from published descriptions of sender
  behaviour only (sources in README.md), without reading the detector.

  Populations:
    isp_inbound       an ISP's inbound MX: a botnet spam wave (several families),
                      ESP newsletters, transactional senders, many small legitimate
                      servers, one snowshoe operation, a few compromised servers.
    mailbox_provider  a large mailbox provider with full user feedback (spam and
                      not-spam buttons, one-click unsubscribes): many ESP senders,
                      mailing lists, snowshoe operations, compromised ESP accounts,
                      web shops and servers, and fewer bots.

  Deterministic for a seed; output is streamed (memory is a few hundred bytes per
  sender). Scale multiplies the number of senders of each kind.

DIAGNOSTICS
  Exit 2 on a bad argument (unknown population, scale <= 0).
"""

import csv
import json
import os
import sys
from heapq import heappop, heappush

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import DAY, HOUR  # noqa: E402

T0 = 1767571200  # 2026-01-05 00:00:00 UTC, a Monday
DAYS = 21

FREEMAIL = {  # forged freemail MAIL FROM / From: the SPF result their policies give a stranger's IP
    "gmail.com": "softfail", "yahoo.com": "neutral", "outlook.com": "fail", "hotmail.com": "fail",
    "aol.com": "softfail", "mail.ru": "softfail", "gmx.de": "fail", "yandex.ru": "softfail",
}
RESIDENTIAL16 = ["24.%d" % i for i in (18, 91, 130)] + ["46.%d" % i for i in (10, 98, 117)] + \
    ["59.%d" % i for i in (88, 93)] + ["71.%d" % i for i in (56, 200)] + ["76.%d" % i for i in (14, 119)] + \
    ["81.%d" % i for i in (64, 132)] + ["89.%d" % i for i in (34, 211)] + ["93.%d" % i for i in (41, 79)] + \
    ["109.%d" % i for i in (160, 252)] + ["113.%d" % i for i in (161, 190)] + ["117.%d" % i for i in (196, 212)] + \
    ["177.%d" % i for i in (33, 92)] + ["186.%d" % i for i in (4, 120)] + ["187.%d" % i for i in (61, 190)] + \
    ["190.%d" % i for i in (48, 229)] + ["197.%d" % i for i in (210, 232)] + ["201.%d" % i for i in (17, 140)]
CONSUMER_ISPS = ["dyn.telnor-net.com", "pool.kabelnet.de", "dsl.vivanet.com.br", "cust.orangine.fr",
                 "adsl.viettelx.vn", "res.comcastic.net", "broadband.indinet.in", "client.turkonet.com.tr"]
HOSTING16 = ["5.%d" % i for i in (39, 188)] + ["37.%d" % i for i in (59, 221)] + ["45.%d" % i for i in (61, 133)] + \
    ["51.%d" % i for i in (68, 195)] + ["104.%d" % i for i in (131, 236)] + ["138.%d" % i for i in (68, 197)] + \
    ["167.%d" % i for i in (71, 99)] + ["185.%d" % i for i in (12, 117, 201)] + ["192.%d" % i for i in (99, 241)]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

POPULATIONS = {
    # counts at scale 1; *_complaint: share of users who press "spam" relative to the mailbox provider
    "isp_inbound": dict(bots=1900, heavy_share=0.04, bulk=40, lists=3, tx=40, small=700, snowshoe_ops=1,
                        comp_server=6, comp_esp=0, comp_tx=2, complaint=0.3, unsub=0.3, list_size=0.6),
    "mailbox_provider": dict(bots=400, heavy_share=0.08, bulk=90, lists=6, tx=70, small=500, snowshoe_ops=3,
                             comp_server=5, comp_esp=8, comp_tx=3, complaint=1.0, unsub=1.0, list_size=0.35),
}


def frag(d):
    """The fixed fields of a message as the middle of a JSON object."""
    return json.dumps(d, separators=(", ", ": "))[1:-1]


def line(t, typ, fr, n):
    return '{"time": %d, "type": "%s", %s, "recipients": %d}\n' % (t, typ, fr, n)


class Stream:
    """Events of one sender in time order: messages now, feedback (complaints, unsubscribes)
    later through a small heap."""

    def __init__(self, idx, t_end):
        self.idx = idx
        self.end = t_end
        self.seq = 0
        self.n = 0
        self.pending = []

    def later(self, t, typ, fr, n):
        if t < self.end:
            self.n += 1
            heappush(self.pending, (t, self.n, line(t, typ, fr, n)))

    def flush(self, upto):
        p = self.pending
        while p and p[0][0] <= upto:
            t, _, text = heappop(p)
            self.seq += 1
            yield (int(t), self.idx, self.seq, text)

    def now(self, t, text):
        self.seq += 1
        return (int(t), self.idx, self.seq, text)


class World:
    def __init__(self, seed, pop, scale):
        self.seed = seed
        self.pop = pop
        self.p = POPULATIONS[pop]
        self.scale = scale
        self.t0 = T0
        self.t1 = T0 + DAYS * DAY
        self.names = common.Names()
        self.ips = common.IpAlloc()
        self.truth = []  # (identity, class, bad_from)
        self.streams = []
        self.forwarders = []
        self.used24 = set()
        for d in list(FREEMAIL):
            self.names.claim(d)

    def rng(self, *parts):
        return common.rng_for(self.seed, self.pop, *parts)

    def add(self, gen_fn, *args):
        idx = len(self.streams)
        self.streams.append(gen_fn(Stream(idx, self.t1), *args))

    def n(self, key, minimum=1):
        return common.scaled(self.p[key], self.scale, minimum)

    def net24(self, rng, pools=HOSTING16):
        while True:
            net = "%s.%d" % (rng.choice(pools), rng.randint(0, 255))
            if net not in self.used24:
                self.used24.add(net)
                return net


# ------------------------------------------------------------------ message feedback
def feedback(st, w, t, fr, rcpt, fb, rng):
    """Bounces (unknown recipients), trap hits, complaints, unsubscribes, not-spam for one
    message of `rcpt` recipients; fb holds the per-recipient probabilities."""
    unknown = 0
    if fb["unknown"] > 0:
        for _ in range(rcpt):
            if rng.random() < fb["unknown"]:
                unknown += 1
    if unknown:
        st.later(t + rng.uniform(0.5, 30), "bounce", fr, unknown)
    good = rcpt - unknown
    if good <= 0:
        return
    if fb["trap"] > 0 and rng.random() < fb["trap"] * good:
        st.later(t + rng.uniform(0.5, 5), "trap", fr, 1)
    if fb["complaint"] > 0 and rng.random() < fb["complaint"] * good:
        tc = t + rng.expovariate(1.0 / (5 * HOUR))
        st.later(tc, "complaint", fr, 1)
    if fb.get("unsub", 0) > 0 and rng.random() < fb["unsub"] * good:
        tu = t + rng.expovariate(1.0 / (10 * HOUR))
        st.later(tu, "unsubscribe", fr, 1)
    if fb.get("notspam", 0) > 0 and rng.random() < fb["notspam"]:
        tn = t + rng.expovariate(1.0 / (8 * HOUR))
        st.later(tn, "notspam", fr, 1)


def verdict_frag(base, rng, p_spam, p_ham):
    r = rng.random()
    if r < p_spam:
        return base + ', "verdict": "spam"', True
    if r < p_spam + p_ham:
        return base + ', "verdict": "ham"', False
    return base, False


def forwarded_frag(w, rng, fields):
    """The same message arriving through a forwarding host (alumni/vanity forwarding, no SRS):
    SPF of the original MAIL FROM fails or soft-fails at the forwarder; DKIM mostly survives,
    sometimes a footer breaks it (then DMARC fails too)."""
    fw = rng.choice(w.forwarders)
    d = dict(fields)
    d["ip"], d["helo"], d["fcrdns"] = fw
    d["spf"] = "softfail" if rng.random() < 0.6 else "fail"
    if d.get("dkim") == "pass" and rng.random() < 0.12:
        d["dkim"], d["dkim_domains"], d["dmarc"] = "fail", [], "fail"
    return frag(d)


# ------------------------------------------------------------------ legitimate senders
def legit_stream(st, w, times_iter, variants, fb, rng, p_fwd, p_spam=0.02, p_ham=0.35):
    """Messages at times_iter from one of variants (a list of field dicts, picked at random),
    each with its feedback (a few arrive through a forwarder instead)."""
    frags = [frag(v) for v in variants]
    for t in times_iter:
        yield from st.flush(t)
        i = rng.randrange(len(variants))
        if p_fwd and w.forwarders and rng.random() < p_fwd:
            fr = forwarded_frag(w, rng, variants[i])
        else:
            fr = frags[i]
        fr, spam = verdict_frag(fr, rng, p_spam, p_ham)
        yield st.now(t, line(t, "message", fr, 1))
        f = fb
        if spam and fb.get("notspam_if_spam"):
            f = dict(fb, notspam=fb["notspam_if_spam"])
        feedback(st, w, t, fr, 1, f, rng)
    yield from st.flush(w.t1)


def make_forwarders(w):
    rng = w.rng("forwarders")
    for i in range(max(3, int(12 * min(1.0, w.scale * 4)))):
        d = w.names.domain(rng, ("edu", "org", "net"))
        ip = w.ips.in_net24(rng, w.net24(rng))
        w.forwarders.append((ip, "mx%d.%s" % (rng.randint(1, 4), d), rng.random() < 0.9))


def esp_infra(w):
    rng = w.rng("esps")
    esps = []
    for i in range(6):
        name = w.names.domain(rng, ("com", "net", "io"))
        nets = [w.net24(rng) for _ in range(2)]
        shared = [w.ips.in_net24(rng, nets[0], 10, 250) for _ in range(6)]
        esps.append(dict(name=name, nets=nets, shared=shared))
    return esps


def newsletter(w, i, esps, compromised=False):
    """An ESP customer's newsletter: campaigns on fixed weekdays at a fixed local hour, each a
    burst to the list; DKIM d= the customer's domain, custom return path (aligned SPF),
    RFC 8058 one-click unsubscribe, Feedback-ID."""
    rng = w.rng("bulk", i, compromised)
    dom = w.names.domain(rng)
    esp = rng.choice(esps)
    size = int(w.p["list_size"] * 10 ** rng.uniform(2.5, 4.2))
    grey = rng.random() < 0.12  # legitimate but with poorer list hygiene
    if size > 4000 or compromised:
        ips = [w.ips.in_net24(rng, esp["nets"][1], 10, 250) for _ in range(1 + size // 12000)]
    else:  # the ESP's shared pool (the IP is bulk whoever's campaign it carries)
        ips = rng.sample(esp["shared"], rng.randint(1, 2))
    tz = rng.choice([-5, 0, 1, 1, 2])
    hour = rng.choice([6, 7, 8, 9, 10, 11, 15, 17])
    days = sorted(rng.sample(range(7), rng.choice([1, 1, 2, 2, 3, 5, 7])))
    burst = rng.uniform(0.5, 4)
    one_click = rng.random() < 0.95
    local = rng.choice(["news", "newsletter", "info", "hello", "offers", "team"])
    variants = []
    for ip in ips:
        o = ip.split(".")[-1]
        v = {"ip": ip, "helo": "o%s.mta.%s" % (o, esp["name"]), "mail_from": "bounce-%d@bnc.%s" % (i, dom),
             "from": "%s@%s" % (local, dom), "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
             "dmarc": "pass", "fcrdns": True, "list_unsubscribe_one_click": one_click,
             "feedback_id": "c%d:%s:%s" % (i, dom.split(".")[0], esp["name"].split(".")[0])}
        if rng.random() < 0.4:
            v["list_id"] = "<%s.list.%s>" % (local, dom)
        variants.append(v)
    fb = dict(unknown=rng.uniform(0.002, 0.015) * (3 if grey else 1),
              trap=rng.uniform(0, 2e-5) * (5 if grey else 1),
              complaint=rng.uniform(0.0003, 0.0015) * (3 if grey else 1) * w.p["complaint"],
              unsub=rng.uniform(0.0005, 0.003) * w.p["unsub"], notspam=0.0, notspam_if_spam=0.05)

    def times():
        for d in range(DAYS):
            day0 = w.t0 + d * DAY
            if (d % 7) not in days:
                continue
            start = day0 + (hour - tz) * HOUR + rng.uniform(-0.5, 0.5) * HOUR
            n = int(size * rng.uniform(0.9, 1.05))
            for t in common.burst_times(rng, start, burst, n):
                if w.t0 <= t < w.t1:
                    yield t

    ident_class = "compromised" if compromised else "bulk"
    switch = None
    if compromised:
        # Account takeover (phished ESP login): a phishing blast from the same account, same
        # authentication, to a bought list; the ESP suspends the account hours later.
        t_bad = w.t0 + rng.uniform(5, 16) * DAY
        t_bad = float(int(t_bad))
        dur = rng.uniform(2, 12) * HOUR
        n_bad = int(rng.uniform(3000, 30000) * w.p["list_size"])
        bad_variants = [dict(v, **{"from": "%s@%s" % (rng.choice(["security", "billing", "support"]), dom)})
                        for v in variants]
        bad_fb = dict(unknown=rng.uniform(0.05, 0.2), trap=rng.uniform(5e-4, 3e-3),
                      complaint=rng.uniform(0.01, 0.04) * w.p["complaint"], unsub=0.001)
        bad = bad_messages(w, rng, bad_variants, bad_fb,
                               common.burst_times(rng, t_bad, dur / HOUR, n_bad))
        switch = (t_bad, t_bad + dur + rng.uniform(1, 3) * DAY, bad)
    for ip in ips:
        w.truth.append(("ip:" + ip, ident_class, switch[0] if switch else None))
    w.truth.append(("domain:" + dom, ident_class, switch[0] if switch else None))
    return (times(), variants, fb, rng, 0.03, switch)


def bad_messages(w, rng, variants, fb, times):
    """(time, fields, recipients, feedback) of a compromised sender's bad run; the content filter
    catches about half of it."""
    frags = [frag(v) for v in variants]
    for t in times:
        fr = frags[rng.randrange(len(frags))]
        fr, _ = verdict_frag(fr, rng, 0.55, 0.15)
        yield (t, fr, 1, fb)


def run_switch(st, w, rng, pre, switch):
    """pre: (times, variants, feedback, forwarded share) of the legitimate stream; switch:
    (t_bad, t_resume, bad messages). Legitimate mail stops at t_bad while the bad messages run,
    and resumes at t_resume (the account or server is cleaned up)."""
    times_iter, variants, fb, p_fwd = pre
    frags = [frag(v) for v in variants]
    t_bad, t_resume, bad = switch
    bad_iter = iter(bad)
    nxt_bad = next(bad_iter, None)
    for t in times_iter:
        while nxt_bad is not None and nxt_bad[0] <= t:
            tb, fr, n, f = nxt_bad
            yield from st.flush(tb)
            yield st.now(tb, line(tb, "message", fr, n))
            feedback(st, w, tb, fr, n, f, rng)
            nxt_bad = next(bad_iter, None)
        if t >= t_bad and (t_resume is None or t < t_resume):
            continue
        yield from st.flush(t)
        i = rng.randrange(len(variants))
        fr = forwarded_frag(w, rng, variants[i]) if (p_fwd and rng.random() < p_fwd) else frags[i]
        fr, spam = verdict_frag(fr, rng, 0.02, 0.35)
        yield st.now(t, line(t, "message", fr, 1))
        f = dict(fb, notspam=fb.get("notspam_if_spam", 0)) if spam else fb
        feedback(st, w, t, fr, 1, f, rng)
    while nxt_bad is not None:
        tb, fr, n, f = nxt_bad
        yield from st.flush(tb)
        yield st.now(tb, line(tb, "message", fr, n))
        feedback(st, w, tb, fr, n, f, rng)
        nxt_bad = next(bad_iter, None)
    yield from st.flush(w.t1)


def legit_gen(st, w, spec, rows):
    """A legitimate (or later compromised) sender's events; its truth rows are added once it has
    sent something (a very quiet sender may send nothing in three weeks)."""
    times_iter, variants, fb, rng, p_fwd, switch = spec
    if switch:
        inner = run_switch(st, w, rng, (times_iter, variants, fb, p_fwd), switch)
    else:
        inner = legit_stream(st, w, times_iter, variants, fb, rng, p_fwd)
    sent = False
    for item in inner:
        sent = True
        yield item
    if sent:
        w.truth.extend(rows)


def add_legit(w, maker, *args, **kw):
    """Builds a legitimate sender with maker(w, ...); its truth rows wait for its first event."""
    n0 = len(w.truth)
    spec = maker(w, *args, **kw)
    rows = w.truth[n0:]
    del w.truth[n0:]
    w.add(legit_gen, w, spec, rows)
    return spec


def transactional(w, i, compromised=False):
    """Receipts, password resets, notifications: triggered by users, so a steady diurnal Poisson
    stream; own MTAs or a relay with FCrDNS; SPF, DKIM, DMARC aligned; no List-Unsubscribe."""
    rng = w.rng("tx", i, compromised)
    dom = w.names.domain(rng)
    per_day = 10 ** rng.uniform(1.6, 3.4)
    net = w.net24(rng)
    ips = [w.ips.in_net24(rng, net) for _ in range(1 + int(per_day > 1500) + int(per_day > 3000))]
    has_rdns = rng.random() < 0.95  # a few legitimate MTAs lack forward-confirmed rDNS
    sub = rng.choice(["mail", "em", "notify", "mta"])
    variants = []
    for k, ip in enumerate(ips):
        for local in ("no-reply", "orders", "receipts", "alerts")[:rng.randint(1, 4)]:
            v = {"ip": ip, "helo": "%s%d.%s" % (sub, k + 1, dom), "mail_from": "bounces@%s.%s" % (sub, dom),
                 "from": "%s@%s" % (local, dom), "dkim_domains": [dom], "spf": "pass", "dkim": "pass",
                 "dmarc": "pass", "fcrdns": has_rdns}
            if rng.random() < 0.3:
                v["feedback_id"] = "%s:tx:%s" % (local, dom.split(".")[0])
            variants.append(v)
    fb = dict(unknown=rng.uniform(0.003, 0.02), trap=0.0,
              complaint=rng.uniform(0.00003, 0.0003) * w.p["complaint"], unsub=0.0, notspam=0.0,
              notspam_if_spam=0.1)
    tz = rng.choice([-5, 0, 1, 2])
    prof = common.diurnal_profile(rng.uniform(12, 20), rng.uniform(0.5, 0.85))
    times = common.poisson_times(rng, w.t0, w.t1, per_day / 24.0 / (sum(prof) / 24.0), prof, tz,
                                 weekend=rng.uniform(0.7, 1.1))
    switch = None
    cls = "transactional"
    if compromised:
        # A hacked web shop or contact form: the same MTA and domain relay a spam run.
        cls = "compromised"
        t_bad = float(int(w.t0 + rng.uniform(4, 17) * DAY))
        hours = rng.uniform(3, 30)
        rate = rng.uniform(150, 900)
        bad_v = [dict(v, **{"from": "%s@%s" % (rng.choice(["info", "contact", "web"]), dom)}) for v in variants[:1]]
        bad_fb = dict(unknown=rng.uniform(0.1, 0.3), trap=rng.uniform(1e-3, 5e-3),
                      complaint=rng.uniform(0.005, 0.02) * w.p["complaint"])
        bad = bad_messages(w, rng, bad_v, bad_fb, common.poisson_times(rng, t_bad, t_bad + hours * HOUR, rate))
        switch = (t_bad, t_bad + hours * HOUR, bad)
    for ip in ips:
        w.truth.append(("ip:" + ip, cls, switch[0] if switch else None))
    w.truth.append(("domain:" + dom, cls, switch[0] if switch else None))
    return (times, variants, fb, rng, 0.02, switch)


def mailing_list(w, i):
    """A discussion list server (Mailman style): posts from members' own domains re-sent to the
    subscribers; the list's MAIL FROM passes SPF, the list signs with its own DKIM, the poster's
    signature breaks on the subject tag and footer; From is rewritten to the list for DMARC
    p=reject posters, otherwise DMARC fails for the poster's domain."""
    rng = w.rng("list", i)
    proj = w.names.domain(rng, ("org",))
    ip = w.ips.in_net24(rng, w.net24(rng))
    subs = int(10 ** rng.uniform(1.3, 2.5))
    posts_day = rng.uniform(3, 40)
    name = rng.choice(["dev", "users", "announce", "discuss"])
    lid = "<%s.lists.%s>" % (name, proj)
    one_click = rng.random() < 0.4
    base = {"ip": ip, "helo": "lists.%s" % proj, "mail_from": "%s-bounces@lists.%s" % (name, proj),
            "dkim_domains": [proj], "spf": "pass", "dkim": "pass", "fcrdns": True,
            "list_unsubscribe_one_click": one_click, "list_id": lid}
    posters = []
    for k in range(25):
        r = rng.random()
        if r < 0.4:
            pd = rng.choice(list(FREEMAIL))
        else:
            pd = common.word(rng) + "." + rng.choice(["com", "net", "de", "org"])
        posters.append(pd)
    variants = []
    for pd in posters:
        munged = rng.random() < 0.5
        v = dict(base)
        if munged:
            v["from"] = "%s@lists.%s" % (name, proj)
            v["dmarc"] = "pass"
        else:
            v["from"] = "user%d@%s" % (rng.randint(1, 999), pd)
            v["dmarc"] = rng.choice(["fail", "none"])
        variants.append(v)
    fb = dict(unknown=0.004, trap=0.0, complaint=0.0005 * w.p["complaint"], unsub=0.002 * w.p["unsub"],
              notspam=0.0, notspam_if_spam=0.1)
    prof = common.diurnal_profile(15, 0.6)

    def times():
        for tp in common.poisson_times(rng, w.t0, w.t1, posts_day / 24 / (sum(prof) / 24), prof, 0, 0.6):
            for t in common.burst_times(rng, tp, 0.05, subs):
                yield t

    w.truth.append(("ip:" + ip, "bulk", None))
    w.truth.append(("domain:" + proj, "bulk", None))
    # The server's queue is not strictly in time order across posts: re-sort through the heap.
    return (sorted_iter(times()), variants, fb, rng, 0.0, None)


def sorted_iter(it, window=5000):
    h = []
    for t in it:
        heappush(h, t)
        if len(h) > window:
            yield heappop(h)
    while h:
        yield heappop(h)


def small_sender(w, i, compromised=False):
    """An ordinary low-volume server (small business, club, family domain): a few messages a
    day in office hours; authentication as the admin set it up (often SPF only)."""
    rng = w.rng("small", i, compromised)
    dom = w.names.domain(rng)
    own = rng.random() < 0.6
    if own:
        ip = w.ips.in_pools16(rng, HOSTING16)
        helo = "mail.%s" % dom
        rdns = rng.random() < 0.85
    else:  # a business line at a consumer ISP with a static address
        ip = w.ips.in_pools16(rng, RESIDENTIAL16)
        isp = rng.choice(CONSUMER_ISPS)
        helo = rng.choice(["mail.%s" % dom, "static-%s.%s" % (ip.replace(".", "-"), isp), "server.%s" % dom])
        rdns = rng.random() < 0.7
    spf = rng.choices(["pass", "softfail", "none", "neutral"], [0.82, 0.05, 0.1, 0.03])[0]
    signs = rng.random() < (0.7 if compromised else 0.5)
    dmarc = "pass" if (spf == "pass" or signs) else rng.choice(["none", "fail"])
    v = {"ip": ip, "helo": helo, "mail_from": "%s@%s" % (rng.choice(["office", "anna", "info", "admin"]), dom),
         "from": "%s@%s" % (rng.choice(["office", "anna", "info", "admin"]), dom),
         "dkim_domains": [dom] if signs else [], "spf": spf, "dkim": "pass" if signs else "none", "dmarc": dmarc,
         "fcrdns": rdns}
    per_day = 10 ** rng.uniform(-1.0, 1.1)
    if compromised:
        per_day = max(per_day, 3.0)
    fb = dict(unknown=0.02, trap=0.0, complaint=0.0005 * w.p["complaint"], unsub=0.0, notspam=0.0,
              notspam_if_spam=0.2)
    tz = rng.choice([-5, 0, 1, 2])
    prof = common.diurnal_profile(13, 0.95)
    times = common.poisson_times(rng, w.t0, w.t1, per_day / 24 / (sum(prof) / 24), prof, tz, weekend=0.25)
    verified = spf == "pass" or signs
    switch = None
    cls = "unknown"
    if compromised:
        # A hacked server (webmail password guessed, vulnerable CMS): spam from the same address and
        # domain (authenticated as before), many recipients per message, bought lists; cleaned up
        # after one to three days.
        cls = "compromised"
        t_bad = float(int(w.t0 + rng.uniform(4, 16) * DAY))
        hours = rng.uniform(10, 60)
        rate = rng.uniform(60, 500)
        bad_v = [dict(v, **{"from": "%s@%s" % (common.word(rng), dom), "mail_from": "%s@%s" % (common.word(rng), dom)})
                 for _ in range(8)]
        bad_fb = dict(unknown=rng.uniform(0.12, 0.35), trap=rng.uniform(1e-3, 4e-3),
                      complaint=rng.uniform(0.004, 0.02) * w.p["complaint"])
        bad = bad_messages(w, rng, bad_v, bad_fb,
                               common.poisson_times(rng, t_bad, t_bad + hours * HOUR, rate,
                                                    common.diurnal_profile(rng.uniform(0, 24), 0.5)))
        switch = (t_bad, t_bad + hours * HOUR, ((t, fr, rng.randint(1, 8), f) for (t, fr, _, f) in bad))
    w.truth.append(("ip:" + ip, cls, switch[0] if switch else None))
    if verified:
        w.truth.append(("domain:" + dom, cls, switch[0] if switch else None))
    return (times, [v], fb, rng, 0.0, switch)


# ------------------------------------------------------------------ spam senders
BOT_FAMILIES = [
    # name, share, helo styles (weights), forged-domain styles (freemail, brand, throwaway), recipients
    ("cutwail", 0.35, {"desktop": 1, "word": 3, "literal": 1, "generic": 2, "localhost": 1}, (0.4, 0.3, 0.3), (1, 5)),
    ("necurs", 0.30, {"desktop": 3, "word": 1, "literal": 1, "localhost": 2, "generic": 1}, (0.2, 0.3, 0.5), (1, 3)),
    ("kelihos", 0.20, {"generic": 3, "desktop": 1, "literal": 2, "word": 1}, (0.5, 0.2, 0.3), (1, 4)),
    ("lethic", 0.15, {"localhost": 2, "literal": 3, "desktop": 2}, (0.6, 0.1, 0.3), (1, 2)),
]


def bot_helo(rng, style, ip, isp):
    if style == "desktop":
        return rng.choice(["DESKTOP-", "WIN-", "PC-"]) + "".join(rng.choice(ALNUM) for _ in range(rng.choice([7, 8, 11])))
    if style == "literal":
        return "[%s]" % ip
    if style == "localhost":
        return rng.choice(["localhost", "localhost.localdomain", "User-PC", "HOME"])
    if style == "generic":
        a = ip.split(".")
        return rng.choice(["%s-%s-%s-%s.%s" % (a[0], a[1], a[2], a[3], isp), "host%s.%s" % (a[3], isp),
                           "dsl-%s.%s" % (ip.replace(".", "-"), isp)])
    return common.word(rng) + "." + rng.choice(["com", "net", "org", "info"])


def bot_senders(w, rng, fam_doms, brands, style):
    """(mail_from, from, spf, dkim, dmarc, dkim_domains, verified_domain) for one forged identity."""
    user = common.word(rng, 1, 2) + str(rng.randint(1, 9999))
    if style == 0:
        d = rng.choice(list(FREEMAIL))
        return ("%s@%s" % (user, d), "%s@%s" % (common.word(rng, 1, 2), d), FREEMAIL[d],
                rng.choice(["none", "none", "fail"]), "fail", [], None)
    if style == 1:
        d = rng.choice(brands)
        return ("%s@%s" % (rng.choice(["service", "billing", "secure", "noreply"]), d),
                "%s@%s" % (rng.choice(["service", "support", "account"]), d), rng.choice(["fail", "softfail", "fail"]),
                rng.choice(["none", "fail"]), "fail", [], None)
    d, permissive = rng.choice(fam_doms)
    # Throwaway domains: most have no SPF or DMARC at all; some publish a permissive SPF record
    # so SPF passes from anywhere (then the domain is a verified identity, and a spammer).
    spf = "pass" if permissive else rng.choice(["none", "none", "neutral", "permerror"])
    return ("%s@%s" % (user, d), "%s@%s" % (common.word(rng, 1, 2), d), spf, "none",
            "none", [], d if permissive else None)


def bot(st, w, i, fam, start, fam_doms, brands, spammer_domains):
    rng = w.rng("bot", i)
    name, _, helo_w, dom_w, rcpt_rng = fam
    ip = w.ips.in_pools16(rng, RESIDENTIAL16)
    isp = rng.choice(CONSUMER_ISPS)
    style = rng.choices(list(helo_w), list(helo_w.values()))[0]
    helo = bot_helo(rng, style, ip, isp)
    fcrdns = rng.random() < 0.25
    heavy = rng.random() < w.p["heavy_share"]
    if heavy:
        rate = rng.uniform(200, 1500)
        dur = rng.uniform(0.5, 6) * HOUR
    else:
        rate = rng.uniform(2, 30)
        dur = min(48 * HOUR, max(HOUR, rng.lognormvariate(1.9, 0.9) * HOUR))
    sessions = [(start, start + dur)]
    if rng.random() < 0.25:  # the PC is switched on again the next day
        s2 = start + dur + rng.uniform(10, 30) * HOUR
        sessions.append((s2, s2 + dur * rng.uniform(0.3, 1.0)))
    p_unk = rng.uniform(0.10, 0.40)
    fb = dict(unknown=p_unk, trap=rng.uniform(0.0005, 0.004), complaint=rng.uniform(0.0005, 0.003) * w.p["complaint"],
              unsub=0.0, notspam=0.0)
    p_spam = rng.uniform(0.45, 0.8)
    p_ham = rng.uniform(0.03, 0.15)  # some gets through the content filter
    nid = rng.randint(3, 12)
    idents = []
    for _ in range(nid):
        mf, fr_, spf, dkim, dmarc, dd, verified = bot_senders(w, rng, fam_doms, brands,
                                                              rng.choices([0, 1, 2], dom_w)[0])
        d = {"ip": ip, "helo": helo, "mail_from": mf, "from": fr_, "dkim_domains": dd, "spf": spf, "dkim": dkim,
             "dmarc": dmarc, "fcrdns": fcrdns}
        idents.append((frag(d), verified))
    first = None
    lo, hi = rcpt_rng
    for (a, b) in sessions:
        b = min(b, w.t1)
        for t in common.poisson_times(rng, a, b, rate):
            if first is None:
                first = int(t)
            yield from st.flush(t)
            fr, verified = idents[rng.randrange(nid)]
            if verified and verified not in spammer_domains:
                spammer_domains[verified] = int(t)
            elif verified:
                spammer_domains[verified] = min(spammer_domains[verified], int(t))
            fr, _ = verdict_frag(fr, rng, p_spam, p_ham)
            n = rng.randint(lo, hi)
            yield st.now(t, line(t, "message", fr, n))
            feedback(st, w, t, fr, n, fb, rng)
    yield from st.flush(w.t1)
    if first is not None:
        w.truth.append(("ip:" + ip, "spammer", first))


def snowshoe_op(w, k, spammer_domains):
    """A snowshoe operation: tens of addresses in a few hosting /24s, each with its own
    forward-confirmed name, mailing for throwaway domains that are fully authenticated
    (SPF, DKIM, DMARC p=none) and rotated every few days; low volume per address."""
    rng = w.rng("snowshoe", k)
    nets = [w.net24(rng) for _ in range(rng.randint(2, 4))]
    n_ips = int(common.scaled(rng.randint(30, 70), w.scale, 4))
    n_dom = max(3, n_ips // 4)
    start = w.t0 + rng.uniform(0, 9) * DAY
    doms = [w.names.domain(rng, ("com", "biz", "info", "top", "xyz", "online", "site")) for _ in range(n_dom)]
    per_dom_days = rng.uniform(2, 5)
    complaint = rng.uniform(0.004, 0.015) * w.p["complaint"]
    for j in range(n_ips):
        ip = w.ips.in_net24(rng, nets[j % len(nets)])
        w.add(snowshoe_ip, w, k, j, ip, start + rng.uniform(0, 2) * DAY, doms, per_dom_days, complaint,
              spammer_domains)


def snowshoe_ip(st, w, k, j, ip, start, doms, per_dom_days, complaint, spammer_domains):
    rng = w.rng("snowshoe", k, j)
    per_day = rng.uniform(20, 200)
    one_click = rng.random() < 0.5
    fb = dict(unknown=rng.uniform(0.03, 0.12), trap=rng.uniform(0.001, 0.005), complaint=complaint,
              unsub=rng.uniform(0.001, 0.004) * w.p["unsub"], notspam=0.0)
    prof = common.diurnal_profile(rng.uniform(9, 16), 0.9)
    first = None
    off = rng.randrange(len(doms))
    cache = {}
    for t in common.poisson_times(rng, start, w.t1, per_day / 24 / (sum(prof) / 24), prof, -5):
        slot = int((t - start) / (per_dom_days * DAY))
        dom = doms[(slot + off) % len(doms)]
        if dom not in cache:
            host = "mx%d.%s" % (j % 9 + 1, dom)
            cache[dom] = frag({"ip": ip, "helo": host, "mail_from": "bounce@%s" % dom,
                               "from": "%s@%s" % (rng.choice(["deals", "offers", "info", "news"]), dom),
                               "dkim_domains": [dom], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                               "fcrdns": True, "list_unsubscribe_one_click": one_click})
        if first is None:
            first = int(t)
        if dom not in spammer_domains or spammer_domains[dom] > int(t):
            spammer_domains[dom] = int(t)
        yield from st.flush(t)
        fr, _ = verdict_frag(cache[dom], rng, 0.35, 0.25)
        yield st.now(t, line(t, "message", fr, 1))
        feedback(st, w, t, fr, 1, fb, rng)
    yield from st.flush(w.t1)
    if first is not None:
        w.truth.append(("ip:" + ip, "spammer", first))


# ------------------------------------------------------------------ world
def build(seed, pop, scale):
    w = World(seed, pop, scale)
    make_forwarders(w)
    esps = esp_infra(w)
    spammer_domains = {}
    brands = []
    for i in range(w.n("bulk", 2)):
        spec = add_legit(w, newsletter, i, esps)
        brands.append(spec[1][0]["from"].split("@")[1])
    for i in range(w.n("comp_esp", 0)):
        add_legit(w, newsletter, 1000 + i, esps, compromised=True)
    for i in range(w.n("lists", 1)):
        add_legit(w, mailing_list, i)
    for i in range(w.n("tx", 2)):
        spec = add_legit(w, transactional, i)
        brands.append(spec[1][0]["from"].split("@")[1])
    for i in range(w.n("comp_tx", 1)):
        add_legit(w, transactional, 1000 + i, compromised=True)
    for i in range(w.n("small", 4)):
        add_legit(w, small_sender, i)
    for i in range(w.n("comp_server", 1)):
        add_legit(w, small_sender, 10000 + i, compromised=True)
    for k in range(w.n("snowshoe_ops", 1)):
        snowshoe_op(w, k, spammer_domains)
    # Bots: campaign waves per family (a command-and-control server hands out a campaign, the
    # bots that are online start within hours); brands spoofed are partly the population's own.
    rng = w.rng("botnet")
    brands = brands[: max(3, len(brands) // 3)] + [w.names.domain(rng, ("com",)) for _ in range(8)]
    n_bots = w.n("bots", 8)
    fam_list = []
    for fam in BOT_FAMILIES:
        frng = w.rng("family", fam[0])
        doms = [(w.names.domain(frng, ("com", "net", "info", "ru", "top", "biz")), frng.random() < 0.12)
                for _ in range(20)]
        waves = sorted(w.t0 + frng.uniform(0.2, DAYS - 2.5) * DAY for _ in range(frng.randint(3, 6)))
        fam_list.append((fam, doms, waves))
    for i in range(n_bots):
        fam, doms, waves = rng.choices(fam_list, [f[0][1] for f in fam_list])[0]
        start = rng.choice(waves) + rng.expovariate(1 / (8 * HOUR))
        if start >= w.t1 - HOUR:
            start = w.t1 - 2 * DAY
        w.add(bot, w, i, fam, start, doms, brands, spammer_domains)
    return w, spammer_domains


def main(argv=None):
    a = common.parse_args(__doc__.split("\n")[1], POPULATIONS, "isp_inbound", argv)
    if a is None:
        return 0
    w, spammer_domains = build(a.seed, a.population, a.scale)
    n = common.write_sorted(os.path.join(a.out, "events.jsonl"), w.streams)
    for d, t in sorted(spammer_domains.items()):
        w.truth.append(("domain:" + d, "spammer", t))
    seen = set()
    rows = []
    for ident, cls, bad in w.truth:
        if ident in seen:
            continue
        seen.add(ident)
        rows.append((ident, cls, "" if bad is None else str(int(bad))))
    rows.sort()
    with open(os.path.join(a.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["identity", "class", "bad_from"])
        cw.writerows(rows)
    common.write_json(os.path.join(a.out, "meta.json"),
                      {"population": a.population, "seed": a.seed, "start": w.t0, "end": w.t1, "events": n,
                       "identities": len(rows)})
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Blind round-11 call-traffic generator (robocall / telephony-fraud detection).

Writes calls.csv and meta.json into --out (see FORMAT.md).
Python 3 standard library only; deterministic for (--seed, --population, --scale).

Populations:
  terminating_carrier  2 days at a carrier terminating calls to its own subscribers: ordinary
                       calls, legitimate high-volume callers (pharmacy refill reminders, school
                       alerts, appointment reminders, consented call centres, utility outage
                       notices), neighbour-spoofing and random-spoofing robocall campaigns arriving
                       over wholesale interconnects, invalid caller IDs, Wangiri one-ring waves
                       (plus the victims' call-backs), a TDoS flood on a hospital line.
  voip_provider        3 days at a mobile/VoIP provider: own subscribers and enterprise PBXs
                       (placing ordinary calls, including international ones), own legitimate
                       call-centre customers, a compromised PBX and a compromised subscriber
                       account pumping IRSF/premium destinations while the PBX's users keep
                       calling normally, an own customer running an illegal dialer, inbound
                       neighbour-spoofing robocalls, Wangiri and a TDoS on an enterprise line.
Without --population: odd seed -> terminating_carrier, even seed -> voip_provider.
"""
import argparse
import bisect
import calendar
import json
import math
import os
import random

POPULATIONS = ["terminating_carrier", "voip_provider"]
HOUR = 3600
DAY = 86400
HEADER = "time,caller,callee,duration,disposition,trunk,ip,external,label"

PROFILES = {
    "people": [2, 1, 1, 1, 1, 2, 4, 8, 12, 14, 15, 15, 14, 14, 15, 15, 15, 15, 14, 13, 11, 8, 5, 3],
    "business": [1, 0.5, 0.5, 0.5, 0.5, 1, 2, 6, 13, 16, 16, 15, 12, 15, 16, 15, 13, 8, 4, 2, 1.5, 1, 1, 1],
    "dialer": [0, 0, 0, 0, 0, 0, 0, 0, 8, 14, 15, 15, 14, 15, 15, 15, 14, 12, 10, 8, 4, 0, 0, 0],
    "reminder": [0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 14, 14, 12, 12, 14, 14, 12, 10, 8, 4, 0, 0, 0, 0],
    "night": [14, 15, 15, 14, 12, 8, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 6, 8, 10, 12],
}

# Wangiri / IRSF destinations named in published warnings (FCC, operators): Tonga, Tunisia, Mali,
# Burundi, Cote d'Ivoire, Albania, Guinea, Sierra Leone, Latvia, Cuba, satellite/intl networks.
WANGIRI_CC = ["676", "216", "223", "257", "225", "355", "224", "232", "269", "231"]
IRSF_PREFIXES = ["+88213", "+88216", "+8819", "+37125", "+5352", "+2392", "+67574", "+22177", "+2327", "+42191"]
ORDINARY_INTL = ["+44", "+49", "+33", "+91", "+52", "+63", "+86", "+34", "+39", "+48", "+234", "+55"]


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


class TimeSampler:
    def __init__(self, t0, t1, profile, tz=0, weekend=1.0):
        self.t0 = t0
        self.nh = (t1 - t0) // HOUR
        prof = PROFILES[profile]
        cum, s = [], 0.0
        for h in range(self.nh):
            lt = t0 + h * HOUR + tz * HOUR
            hod = (lt // HOUR) % 24
            dow = ((lt // DAY) + 3) % 7
            s += prof[hod] * (weekend if dow >= 5 else 1.0) + 1e-9
            cum.append(s)
        self.cum = cum

    def sample(self, rng):
        u = rng.random() * self.cum[-1]
        h = bisect.bisect_left(self.cum, u)
        return self.t0 + h * HOUR + int(rng.random() * HOUR)


class Ctx:
    def __init__(self, seed, pop, scale, t0, t1):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.t0, self.t1 = t0, t1
        self.rows = []
        self.samplers = {}

    def rng(self, actor):
        return random.Random("%s/%s/%s" % (self.seed, self.pop, actor))

    def sampler(self, profile, tz=0, weekend=1.0):
        k = (profile, tz, weekend)
        if k not in self.samplers:
            self.samplers[k] = TimeSampler(self.t0, self.t1, profile, tz, weekend)
        return self.samplers[k]

    def call(self, t, caller, callee, dur, disp, trunk, ip, external, label):
        t = int(t)
        if t < self.t0 or t >= self.t1:
            return
        if disp != "ANSWERED":
            dur = 0
        self.rows.append("%d,%s,%s,%d,%s,%s,%s,%d,%s" % (t, caller, callee, int(dur), disp, trunk, ip, external,
                                                         label))


# ---------------------------------------------------------------- numbering
class Numbering:
    """Own number blocks (NPA-NXX thousands) and the outside world (NANP + international)."""

    def __init__(self, rng, n_blocks):
        self.npas = []
        while len(self.npas) < 4:
            npa = ri(rng, 201, 989)
            if npa % 100 != 11 and npa // 10 % 10 != 9 and npa not in self.npas:
                self.npas.append(npa)
        blocks = set()
        while len(blocks) < n_blocks:
            npa = ch(rng, self.npas)
            nxx = ri(rng, 200, 999)
            blocks.add("1%03d%03d" % (npa, nxx))
        self.blocks = sorted(blocks)

    def own(self, rng):
        return "+%s%04d" % (ch(rng, self.blocks), ri(rng, 0, 9999))

    def own_in_block(self, block, rng):
        return "+%s%04d" % (block, ri(rng, 0, 9999))

    def external(self, rng):
        npa = ri(rng, 201, 989)
        while npa % 100 == 11 or str(npa)[1:] == "11":
            npa = ri(rng, 201, 989)
        return "+1%03d%03d%04d" % (npa, ri(rng, 200, 999), ri(rng, 0, 9999))


def fmt(num, style):
    """Render an E.164 NANP/international number the way a trunk signals it."""
    if style == "e164" or not num.startswith("+1"):
        return num
    if style == "nat10":
        return num[2:]
    if style == "nat11":
        return num[1:]
    return num


def disp_for(rng, p_answer, p_busy=0.03, p_failed=0.02):
    r = rng.random()
    if r < p_answer:
        return "ANSWERED"
    if r < p_answer + p_busy:
        return "BUSY"
    if r < p_answer + p_busy + p_failed:
        return "FAILED"
    return "NO ANSWER"


def conv_duration(rng):
    return max(1, int(lognorm(rng, 75, 1.1)))


# ---------------------------------------------------------------- actors
class Trunk:
    def __init__(self, rng, name, n_ips, style):
        self.name = name
        self.ips = ["%d.%d.%d.%d" % (ri(rng, 12, 208), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
                    for _ in range(n_ips)]
        self.style = style

    def ip(self, rng):
        return ch(rng, self.ips)


def ordinary_inbound(ctx, num, trunks, n_calls, name="people_in"):
    """People and businesses on other networks calling our subscribers. Repeat contacts."""
    rng = ctx.rng(name)
    s = ctx.sampler("people")
    callers = [num.external(rng) for _ in range(max(50, n_calls // 6))]
    callees = [num.own(rng) for _ in range(max(50, n_calls // 4))]
    # relatives and business partners abroad (arrive over the international gateway)
    abroad = [ch(rng, ORDINARY_INTL) + "%d" % ri(rng, 100000000, 999999999) for _ in range(max(20, n_calls // 60))]
    for _ in range(n_calls):
        tr = ch(rng, trunks)
        t = s.sample(rng)
        if tr.name.startswith("intl"):
            a = abroad[int(len(abroad) * rng.random() ** 2)]
        else:
            a = callers[int(len(callers) * rng.random() ** 2)]  # skewed: some callers call often
        b = callees[int(len(callees) * rng.random() ** 1.5)]
        if rng.random() < 0.03:
            a = ch(rng, ["anonymous", "Anonymous", "restricted"])  # withheld CLI, ordinary people too
        d = disp_for(rng, 0.62, 0.04, 0.02)
        ctx.call(t, fmt(a, tr.style), fmt(b, tr.style), conv_duration(rng), d, tr.name, tr.ip(rng), 1, "normal")


def ordinary_outbound(ctx, num, access, n_calls, name="people_out", intl_frac=0.03):
    """Our own subscribers calling out (and on-net)."""
    rng = ctx.rng(name)
    s = ctx.sampler("people")
    subs = [(num.own(rng), "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250)))
            for _ in range(max(50, n_calls // 5))]
    for _ in range(n_calls):
        t = s.sample(rng)
        a, ip = subs[int(len(subs) * rng.random() ** 2)]
        r = rng.random()
        if r < intl_frac:
            b = ch(rng, ORDINARY_INTL) + "%d" % ri(rng, 100000000, 999999999)
            dur = int(lognorm(rng, 300, 1.0)) + 5
        elif r < 0.35:
            b = num.own(rng)
            dur = conv_duration(rng)
        else:
            b = num.external(rng)
            dur = conv_duration(rng)
        ctx.call(t, a, b, dur, disp_for(rng, 0.6, 0.04, 0.02), ch(rng, access), ip, 0, "normal")


def legit_high_volume(ctx, num, trunk, kind, name, per_day, external=1):
    """Legitimate high-volume callers: pharmacy refill reminders, appointment reminders, consented
    call centres, utility outage notices (constant small caller-ID set, business hours, short
    answered messages, many unanswered)."""
    rng = ctx.rng(name)
    ncli = {"pharmacy": 1, "appointments": ri(rng, 1, 3), "callcentre": ri(rng, 8, 40),
            "utility": ri(rng, 1, 2), "bankalerts": ri(rng, 2, 6)}[kind]
    clis = [num.external(rng) for _ in range(ncli)]
    prof = {"pharmacy": "reminder", "appointments": "reminder", "callcentre": "dialer", "utility": "people",
            "bankalerts": "people"}[kind]
    s = ctx.sampler(prof)
    n = poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)
    p_ans = {"pharmacy": 0.5, "appointments": 0.55, "callcentre": 0.33, "utility": 0.45, "bankalerts": 0.6}[kind]
    med = {"pharmacy": 28, "appointments": 35, "callcentre": 140, "utility": 25, "bankalerts": 45}[kind]
    recipients = [num.own(rng) for _ in range(max(30, int(per_day * 2)))]
    if kind == "utility":  # outage notices come in one burst to one area
        burst = ctx.t0 + int(rng.uniform(0.1, 0.8) * (ctx.t1 - ctx.t0))
    for _ in range(n):
        t = s.sample(rng) if kind != "utility" else burst + int(rng.expovariate(1 / 900.0))
        b = ch(rng, recipients)
        d = disp_for(rng, p_ans, 0.03, 0.01)
        dur = max(3, int(lognorm(rng, med, 0.5)))
        ctx.call(t, fmt(ch(rng, clis), trunk.style), fmt(b, trunk.style), dur, d, trunk.name, trunk.ip(rng),
                 external, "normal")


def school_alert(ctx, num, trunk, name, size):
    """School closure / emergency alert: one caller ID, thousands of parents within minutes."""
    rng = ctx.rng(name)
    cli = num.external(rng)
    block = ch(rng, num.blocks)
    parents = sorted(set(num.own_in_block(block if rng.random() < 0.6 else ch(rng, num.blocks), rng)
                         for _ in range(size)))
    day = rng.randrange(max(1, (ctx.t1 - ctx.t0) // DAY))
    for ts in [ctx.t0 + day * DAY + int(rng.uniform(6.2, 6.8) * HOUR),
               ctx.t0 + day * DAY + int(rng.uniform(14, 16) * HOUR)][: ri(rng, 1, 2)]:
        for b in parents:
            t = ts + int(rng.expovariate(1 / 300.0))
            ctx.call(t, fmt(cli, trunk.style), fmt(b, trunk.style), max(5, int(lognorm(rng, 32, 0.3))),
                     disp_for(rng, 0.55, 0.05, 0.02), trunk.name, trunk.ip(rng), 1, "normal")


def robocall_neighbour(ctx, num, trunks, name, per_day, label):
    """Neighbour-spoofing campaign (FCC consumer alerts): caller ID shares the callee's NPA-NXX;
    autodialer walks number blocks; low answer rate; short answered calls, a few 'press 1' transfers."""
    rng = ctx.rng(name)
    s = ctx.sampler("dialer", 0, 0.4)
    n = poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)
    seq_frac = rng.uniform(0.2, 0.8)
    p_ans = rng.uniform(0.08, 0.25)
    full_match = rng.uniform(0.0, 0.3)  # caller ID equals NPA-NXX-X (first 7 digits), sometimes the callee itself
    my_trunks = rng.sample(trunks, min(len(trunks), ri(rng, 1, 3)))
    nxt = {}
    for _ in range(n):
        t = s.sample(rng)
        blk = ch(rng, num.blocks)
        if rng.random() < seq_frac:
            k = nxt.get(blk, ri(rng, 0, 9999))
            nxt[blk] = (k + ri(rng, 1, 3)) % 10000
            b = "+%s%04d" % (blk, k)
        else:
            b = num.own_in_block(blk, rng)
        if rng.random() < full_match:
            a = b[:-3] + "%03d" % ri(rng, 0, 999)
        else:
            a = b[:-4] + "%04d" % ri(rng, 0, 9999)
        tr = ch(rng, my_trunks)
        d = disp_for(rng, p_ans, 0.02, 0.06)
        dur = int(lognorm(rng, 12, 0.7)) + 1 if rng.random() < 0.9 else int(lognorm(rng, 180, 0.8))
        ctx.call(t, fmt(a, tr.style), fmt(b, tr.style), dur, d, tr.name, tr.ip(rng), 1, label)


def robocall_random(ctx, num, trunks, name, per_day, label, invalid_frac=0.0, pool=0):
    """Spoofed campaign with random (or a small rotating pool of) caller IDs; some invalid CLIs."""
    rng = ctx.rng(name)
    s = ctx.sampler("dialer", ri(rng, -1, 1), 0.5)
    n = poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)
    p_ans = rng.uniform(0.06, 0.2)
    my_trunks = rng.sample(trunks, min(len(trunks), ri(rng, 1, 2)))
    clis = [num.external(rng) for _ in range(pool)] if pool else None
    for _ in range(n):
        t = s.sample(rng)
        b = num.own(rng)
        r = rng.random()
        if r < invalid_frac:
            a = ch(rng, ["0000000000", "+10000000000", "1234567890", "5555555555", "+1999%07d" % ri(rng, 0, 9999999),
                         "%d" % ri(rng, 100, 99999), "+1%03d1%06d" % (ri(rng, 100, 199), ri(rng, 0, 999999))])
        elif clis:
            a = clis[(t - ctx.t0) // (6 * HOUR) * 7 % len(clis)] if rng.random() < 0.5 else ch(rng, clis)
        else:
            a = num.external(rng)
        tr = ch(rng, my_trunks)
        d = disp_for(rng, p_ans, 0.02, 0.08)
        dur = int(lognorm(rng, 15, 0.8)) + 1 if rng.random() < 0.85 else int(lognorm(rng, 240, 0.8))
        ctx.call(t, a if not a.startswith("+1") else fmt(a, tr.style), fmt(b, tr.style), dur, d, tr.name,
                 tr.ip(rng), 1, label)


def wangiri(ctx, num, trunk, access, name, size, label, cb_rate=0.01):
    """One-ring wave from premium-rate international numbers at night; a few victims call back."""
    rng = ctx.rng(name)
    cc = ch(rng, WANGIRI_CC)
    clis = ["+%s%d" % (cc, ri(rng, 10000000, 99999999)) for _ in range(ri(rng, 3, 40))]
    start = ctx.t0 + int(rng.uniform(0.05, 0.7) * (ctx.t1 - ctx.t0))
    start = start - start % DAY + int(rng.uniform(0, 5) * HOUR)  # small hours
    span = int(rng.uniform(1, 5) * HOUR)
    blk = ch(rng, num.blocks)
    k0 = ri(rng, 0, 5000)
    for i in range(size):
        t = start + int(rng.random() * span)
        if rng.random() < 0.7:
            b = "+%s%04d" % (blk, (k0 + i) % 10000)
        else:
            b = num.own(rng)
        a = ch(rng, clis)
        r = rng.random()
        if r < 0.04:
            d, dur = "ANSWERED", ri(rng, 1, 3)
        elif r < 0.9:
            d, dur = "NO ANSWER", 0
        else:
            d, dur = ch(rng, ["BUSY", "FAILED"]), 0
        ctx.call(t, a, fmt(b, trunk.style), dur, d, trunk.name, trunk.ip(rng), 1, label)
        if rng.random() < cb_rate:  # victim calls back the premium number
            ctx.call(t + int(lognorm(rng, 2 * HOUR, 1.0)), b, a, int(lognorm(rng, 90, 0.8)) + 5, "ANSWERED",
                     ch(rng, access), "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250)),
                     0, label)


def tdos(ctx, num, trunks, name, target, label, rate_per_min, minutes):
    """Telephony DoS (DHS/FBI): automated SIP flood on one number, spoofed random CLIs, white noise;
    once the line group is saturated calls come back BUSY."""
    rng = ctx.rng(name)
    start = ctx.t0 + int(rng.uniform(0.1, 0.85) * (ctx.t1 - ctx.t0))
    my_trunks = rng.sample(trunks, min(len(trunks), ri(rng, 1, 2)))
    capacity = ri(rng, 8, 46)
    active = []
    n = int(rate_per_min * minutes)
    times = sorted(start + rng.random() * minutes * 60 for _ in range(n))
    for t in times:
        active = [e for e in active if e > t]
        tr = ch(rng, my_trunks)
        a = num.external(rng) if rng.random() < 0.9 else ch(rng, ["anonymous", "0000000000"])
        if len(active) < capacity:
            dur = int(lognorm(rng, 25, 0.8)) + 1
            active.append(t + dur)
            d = "ANSWERED"
        else:
            dur, d = 0, ch(rng, ["BUSY", "BUSY", "BUSY", "FAILED"])
        ctx.call(t, fmt(a, tr.style), fmt(target, tr.style), dur, d, tr.name, tr.ip(rng), 1, label)


def enterprise_pbx(ctx, num, access, name, users, compromised=None):
    """Enterprise PBX on the provider's SIP trunk; its users place ordinary calls (including
    international ones). When compromised, IRSF pumping runs in parallel, mostly at night/weekend,
    from the PBX (same ip) or from the attacker's registration (foreign ip)."""
    rng = ctx.rng(name)
    ip = "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    blk = ch(rng, num.blocks)
    base = ri(rng, 0, 9000)
    exts = ["+%s%04d" % (blk, (base + i) % 10000) for i in range(users)]
    trunk = ch(rng, access)
    s = ctx.sampler("business", 0, 0.1)
    per_user_day = rng.uniform(4, 14)
    intl = rng.uniform(0.0, 0.12)  # exporters and call centres call abroad a lot
    n = poisson(rng, per_user_day * users * (ctx.t1 - ctx.t0) / DAY)
    for _ in range(n):
        t = s.sample(rng)
        a = ch(rng, exts) if rng.random() < 0.7 else exts[0]  # main number often presented
        if rng.random() < intl:
            b = ch(rng, ORDINARY_INTL) + "%d" % ri(rng, 100000000, 999999999)
            dur = int(lognorm(rng, 240, 1.0)) + 5
        else:
            b = num.external(rng) if rng.random() < 0.8 else num.own(rng)
            dur = conv_duration(rng)
        ctx.call(t, a, b, dur, disp_for(rng, 0.62, 0.04, 0.02), trunk, ip, 0, "normal")
    # inbound to the PBX from outside is part of ordinary_inbound
    if not compromised:
        return exts
    ndays = (ctx.t1 - ctx.t0) // DAY
    start = ctx.t0 + ri(rng, 0, ndays - 1) * DAY + int(rng.uniform(19, 26) * HOUR)  # evening / small hours
    start = min(start, ctx.t1 - 8 * HOUR)
    stop = min(ctx.t1, start + int(rng.uniform(6, 40) * HOUR))
    fraud_ip = ip if rng.random() < 0.5 else "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    dests = ["%s%d" % (ch(rng, IRSF_PREFIXES), ri(rng, 1000000, 9999999)) for _ in range(ri(rng, 5, 60))]
    channels = ri(rng, 4, 30)
    t = start
    cps = channels / 200.0
    while t < stop:
        t += rng.expovariate(cps)
        a = ch(rng, exts) if rng.random() < 0.8 else ch(rng, ["anonymous", exts[0], num.external(rng)])
        b = ch(rng, dests)
        d = disp_for(rng, 0.75, 0.05, 0.1)
        ctx.call(t, a, b, int(lognorm(rng, 240, 1.0)) + 10, d, trunk, fraud_ip, 0, compromised)
    return exts


def compromised_account(ctx, num, access, name, label):
    """Residential VoIP account with stolen SIP credentials: normal use from home IP, fraud calls
    from a foreign registration."""
    rng = ctx.rng(name)
    me = num.own(rng)
    home = "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    foreign = "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    trunk = ch(rng, access)
    s = ctx.sampler("people")
    for _ in range(poisson(rng, 6 * (ctx.t1 - ctx.t0) / DAY)):
        ctx.call(s.sample(rng), me, num.external(rng), conv_duration(rng), disp_for(rng, 0.6), trunk, home, 0,
                 "normal")
    start = ctx.t0 + int(rng.uniform(0.2, 0.8) * (ctx.t1 - ctx.t0))
    stop = min(ctx.t1, start + int(rng.uniform(2, 20) * HOUR))
    dests = ["%s%d" % (ch(rng, IRSF_PREFIXES), ri(rng, 1000000, 9999999)) for _ in range(ri(rng, 2, 15))]
    t = start
    while t < stop:
        t += rng.expovariate(1 / rng.uniform(30, 400))
        ctx.call(t, me, ch(rng, dests), int(lognorm(rng, 600, 0.8)) + 10, disp_for(rng, 0.8, 0.03, 0.07), trunk,
                 foreign, 0, label)


def own_dialer(ctx, num, access, name, per_day, label):
    """A customer of ours running an unlawful robodialer (prerecorded sales pitch, no consent),
    rotating many of its own numbers: outbound, external=0."""
    rng = ctx.rng(name)
    ip = "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    clis = [num.own(rng) for _ in range(ri(rng, 20, 200))]
    s = ctx.sampler("dialer", 0, 0.3)
    trunk = ch(rng, access)
    start = ctx.t0 + int(rng.uniform(0.0, 0.5) * (ctx.t1 - ctx.t0))
    n = poisson(rng, per_day * (ctx.t1 - start) / DAY)
    for _ in range(n):
        t = s.sample(rng)
        if t < start:
            continue
        b = num.external(rng)
        dur = int(lognorm(rng, 14, 0.7)) + 1 if rng.random() < 0.9 else int(lognorm(rng, 200, 0.8))
        ctx.call(t, ch(rng, clis), b, dur, disp_for(rng, rng.uniform(0.1, 0.2), 0.03, 0.1), trunk, ip, 0, label)


def own_callcentre(ctx, num, access, name, per_day, agents):
    """A legitimate call-centre customer (consented customer-service callbacks, surveys of
    existing clients): many outbound calls from a few numbers, longer answered calls."""
    rng = ctx.rng(name)
    ip = "%d.%d.%d.%d" % (ri(rng, 24, 200), ri(rng, 0, 255), ri(rng, 0, 255), ri(rng, 2, 250))
    clis = [num.own(rng) for _ in range(ri(rng, 1, 6))]
    s = ctx.sampler("dialer", 0, 0.2)
    trunk = ch(rng, access)
    for _ in range(poisson(rng, per_day * (ctx.t1 - ctx.t0) / DAY)):
        b = num.external(rng) if rng.random() < 0.9 else num.own(rng)
        ctx.call(s.sample(rng), ch(rng, clis), b, int(lognorm(rng, 150, 0.9)) + 5, disp_for(rng, 0.38, 0.05, 0.03),
                 trunk, ip, 0, "normal")


# ---------------------------------------------------------------- populations
def build(ctx, pop):
    sc = ctx.scale
    prng = ctx.rng("plan")

    def n(base):
        return max(1, int(round(base * sc)))

    num = Numbering(prng, 24 if pop == "terminating_carrier" else 16)
    if pop == "terminating_carrier":
        trunks = [Trunk(prng, "ic-tandem-east", 3, "e164"), Trunk(prng, "ic-mobile-a", 4, "e164"),
                  Trunk(prng, "ic-mobile-b", 2, "nat11"), Trunk(prng, "ic-cable-c", 2, "nat10")]
        wholesale = [Trunk(prng, "ws-voip-1", 2, "e164"), Trunk(prng, "ws-voip-2", 1, "nat11"),
                     Trunk(prng, "ws-lowcost-3", 3, "e164")]
        intl = Trunk(prng, "intl-gw-1", 2, "e164")
        hosted = Trunk(prng, "ws-cpaas-1", 4, "e164")  # a CPaaS carrying legit notification traffic
        access = ["access-node-1", "access-node-2"]
        days = (ctx.t1 - ctx.t0) / DAY
        ordinary_inbound(ctx, num, trunks + wholesale[:1] + [intl], n(230000 * days))
        ordinary_outbound(ctx, num, access, n(90000 * days))
        legit_high_volume(ctx, num, hosted, "pharmacy", "pharmacy0", 6000 * sc)
        legit_high_volume(ctx, num, ch(prng, trunks), "pharmacy", "pharmacy1", 2500 * sc)
        legit_high_volume(ctx, num, hosted, "appointments", "clinic0", 1500 * sc)
        legit_high_volume(ctx, num, wholesale[0], "callcentre", "callctr0", 12000 * sc)
        legit_high_volume(ctx, num, ch(prng, trunks), "bankalerts", "bank0", 3000 * sc)
        legit_high_volume(ctx, num, hosted, "utility", "utility0", 8000 * sc)
        school_alert(ctx, num, hosted, "school0", n(9000))
        school_alert(ctx, num, ch(prng, trunks), "school1", n(3000))
        robocall_neighbour(ctx, num, wholesale, "rc_neigh_warranty", 45000 * sc, "spoof:auto-warranty")
        robocall_neighbour(ctx, num, wholesale + [intl], "rc_neigh_medicare", 20000 * sc, "spoof:medicare-brace")
        robocall_random(ctx, num, wholesale, "rc_ssa", 25000 * sc, "robocall:ssa-suspension", invalid_frac=0.05, pool=60)
        robocall_random(ctx, num, wholesale + trunks[:1], "rc_loans", 12000 * sc, "robocall:student-loan",
                        invalid_frac=0.15)
        robocall_random(ctx, num, [intl], "rc_intl_vac", 5000 * sc, "robocall:vacation-pitch", invalid_frac=0.3)
        wangiri(ctx, num, intl, access, "wangiri0", n(30000), "wangiri:one-ring-676")
        wangiri(ctx, num, wholesale[2], access, "wangiri1", n(8000), "wangiri:one-ring-b")
        tdos(ctx, num, wholesale, "tdos0", num.own(prng), "tdos:hospital-admin", 120 * sc ** 0.5 + 5, 60)
    else:
        trunks = [Trunk(prng, "ic-incumbent", 3, "e164"), Trunk(prng, "ic-mobile-x", 2, "nat11"),
                  Trunk(prng, "ic-transit-y", 2, "e164")]
        wholesale = [Trunk(prng, "ws-sip-1", 2, "e164"), Trunk(prng, "ws-sip-2", 1, "nat10")]
        intl = Trunk(prng, "intl-carrier-1", 2, "e164")
        access = ["sbc-access-1", "sbc-access-2", "sbc-access-3"]
        days = (ctx.t1 - ctx.t0) / DAY
        ordinary_inbound(ctx, num, trunks + wholesale + [intl], n(110000 * days))
        ordinary_outbound(ctx, num, access, n(90000 * days), intl_frac=0.05)
        for i in range(max(3, int(40 * sc ** 0.5))):
            enterprise_pbx(ctx, num, access, "pbx%d" % i, ri(prng, 5, 80))
        enterprise_pbx(ctx, num, access, "pbx-hacked0", ri(prng, 10, 60), compromised="tollfraud:pbx-irsf-a")
        enterprise_pbx(ctx, num, access, "pbx-hacked1", ri(prng, 5, 25), compromised="tollfraud:pbx-irsf-b")
        compromised_account(ctx, num, access, "acct-hacked0", "tollfraud:sip-account-c")
        for i in range(3):
            own_callcentre(ctx, num, access, "owncc%d" % i, ri(prng, 3000, 12000) * sc, 20)
        own_dialer(ctx, num, access, "owndialer0", 15000 * sc, "robocall:own-customer-dialer")
        legit_high_volume(ctx, num, trunks[0], "pharmacy", "pharmacy0", 3000 * sc)
        legit_high_volume(ctx, num, wholesale[0], "appointments", "clinic0", 1200 * sc)
        legit_high_volume(ctx, num, trunks[2], "bankalerts", "bank0", 2500 * sc)
        school_alert(ctx, num, trunks[1], "school0", n(5000))
        robocall_neighbour(ctx, num, wholesale + trunks[2:], "rc_neigh_irs", 30000 * sc, "spoof:irs-debt")
        robocall_neighbour(ctx, num, wholesale, "rc_neigh_energy", 15000 * sc, "spoof:energy-rebate")
        robocall_random(ctx, num, wholesale + [intl], "rc_amazon", 10000 * sc, "robocall:amazon-order",
                        invalid_frac=0.1, pool=25)
        wangiri(ctx, num, intl, access, "wangiri0", n(25000), "wangiri:one-ring-216")
        tdos(ctx, num, wholesale + trunks[:1], "tdos0", num.own(prng), "tdos:enterprise-extortion",
             60 * sc ** 0.5 + 3, 90)
    return ["".join(b) for b in num.blocks]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    days = 2 if pop == "terminating_carrier" else 3
    t0 = calendar.timegm((2026, 4, 14, 0, 0, 0)) + (a.seed % 7) * DAY
    t1 = t0 + days * DAY
    ctx = Ctx(a.seed, pop, a.scale, t0, t1)
    own = build(ctx, pop)
    ctx.rows.sort()
    with open(os.path.join(a.out, "calls.csv"), "w", newline="") as f:
        f.write(HEADER + "\n")
        for r in ctx.rows:
            f.write(r)
            f.write("\n")
    meta = {"population": pop, "seed": a.seed, "start": t0, "end": t1, "own_ranges": own, "calls": len(ctx.rows)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

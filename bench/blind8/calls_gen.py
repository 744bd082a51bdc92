#!/usr/bin/env python3
"""Call-detail-record generator for robocall / telephony-fraud detection,
blind round 8.

Writes calls.csv and meta.json (see FORMAT.md) for one of two populations:

  terminating_carrier  a US regional carrier over two days: its subscribers'
                       own calls, businesses, and inbound traffic over carrier
                       interconnects carrying legitimate high-volume callers
                       (pharmacy refill reminders, a school district's alerts,
                       a consented call centre, bank fraud alerts) and abusive
                       campaigns: neighbour-spoofing robocalls walking the
                       number blocks, a rotating-caller-ID impostor scam, a
                       fixed-ID telemarketing robocaller, invalid caller IDs,
                       Wangiri one-ring bursts (with some subscribers calling
                       back) and a TDoS flood on a hospital line.
  voip_provider        a mobile/VoIP provider over three days spanning a weekend:
                       subscribers and hosted-PBX business customers; a
                       compromised PBX pumping international revenue-share
                       destinations on Saturday night, stolen SIP credentials
                       used from a foreign address, a wholesale customer whose
                       dialer originates neighbour-spoofed robocalls to other
                       networks, a consented outbound call-centre customer, and
                       inbound neighbour spoofing and Wangiri.

Python 3 standard library only; deterministic for a given --seed.
"""
import argparse
import calendar
import json
import math
import os
import random

HOUR = 3600
DAY = 86400

# local-hour activity of people (US), and of businesses
DIURNAL_PEOPLE = [0.08, 0.04, 0.02, 0.02, 0.02, 0.04, 0.12, 0.35, 0.6, 0.75, 0.85, 0.9,
                  0.95, 0.95, 0.9, 0.9, 0.95, 1.0, 0.95, 0.85, 0.7, 0.5, 0.3, 0.15]
DIURNAL_BUSINESS = [0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.05, 0.3, 0.8, 1.0, 1.0, 0.95,
                    0.8, 0.95, 1.0, 0.95, 0.8, 0.45, 0.15, 0.05, 0.02, 0.01, 0.0, 0.0]
# robocallers concentrate in "calling hours" (telemarketing rules: 8am-9pm local)
DIURNAL_ROBO = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.6, 1.0, 1.0, 1.0,
                0.9, 1.0, 1.0, 1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.05, 0.0, 0.0]


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


def ri(rng, lo, hi):
    return lo + int(rng.random() * (hi - lo + 1))


def fmt(num, style):
    """num: digits with country code (NANP numbers start with 1)."""
    if style == "e164":
        return "+" + num
    if style == "national":
        if num.startswith("1") and len(num) == 11:
            return num[1:]
        return "011" + num
    return num   # "raw": digits without '+'


class World:
    def __init__(self, seed, scale, population, start, hours, tz):
        self.rng = random.Random("calls/%s/%d" % (population, seed))
        self.scale = scale
        self.start, self.end, self.tz = start, start + hours * HOUR, tz
        self.out = []
        self.actors = []
        rng = self.rng
        # external NANP exchanges (NPA-NXX), valid-looking
        self.ext_nxx = []
        while len(self.ext_nxx) < 3000:
            npa = "%d%d%d" % (ri(rng, 2, 9), ri(rng, 0, 8), ri(rng, 0, 9))
            nxx = "%d%d%d" % (ri(rng, 2, 9), ri(rng, 0, 9), ri(rng, 0, 9))
            if npa[1:] == "11" or nxx[1:] == "11" or npa in ("555", "800", "888", "877", "866", "900"):
                continue
            self.ext_nxx.append("1" + npa + nxx)
        self.ext_nxx = sorted(set(self.ext_nxx))

    def n(self, x, minimum=1):
        return max(minimum, int(round(x * self.scale)))

    def local_hour(self, t):
        return int(((t % DAY) / HOUR + self.tz) % 24)

    def weekday(self, t):
        return int(((t + self.tz * HOUR) // DAY + 3) % 7)   # 0 = Monday (1970-01-01 was a Thursday)

    def ext_number(self, k):
        nx = self.ext_nxx[k % len(self.ext_nxx)]
        return "%s%04d" % (nx, (k // len(self.ext_nxx) * 7919 + k) % 10000)

    def rand_ext(self, rng):
        return "%s%04d" % (self.ext_nxx[int(rng.random() * len(self.ext_nxx))], ri(rng, 0, 9999))

    def call(self, t, caller, callee, dur, disp, trunk, ip, external, label):
        if self.start <= t < self.end:
            self.out.append((int(t), caller, callee, int(dur), disp, trunk, ip, external, label))


class Numbering:
    """The provider's own number blocks; assigned numbers are a subset."""

    def __init__(self, w, blocks, fill, n_subs):
        rng = w.rng
        self.blocks = blocks
        self.assigned = []
        self.aset = set()
        per = max(1, n_subs // len(blocks) + 1)
        for b in blocks:
            lines = rng.sample(range(10000), min(9999, max(per, int(per / fill) if fill < 1 else per)))
            for l in lines[:per]:
                num = "%s%04d" % (b, l)
                self.assigned.append(num)
                self.aset.add(num)
        self.assigned = self.assigned[:n_subs]
        self.aset = set(self.assigned)

    def pick(self, rng, skew=1.0):
        return self.assigned[int((rng.random() ** skew) * len(self.assigned))]


def outcome_person(rng, vm=0.1):
    """Disposition and billsec of an ordinary call attempt."""
    r = rng.random()
    if r < 0.6:
        return "ANSWERED", max(1, min(7200, int(rng.lognormvariate(math.log(70), 1.15))))
    if r < 0.6 + vm:
        return "ANSWERED", ri(rng, 8, 45)          # voicemail
    if r < 0.9:
        return "NO ANSWER", 0
    if r < 0.96:
        return "BUSY", 0
    return "FAILED", 0


class Trunks:
    def __init__(self, w, specs):
        rng = w.rng
        self.t = []
        for name, weight, style, nips in specs:
            ips = ["%d.%d.%d.%d" % (rng.choice([4, 8, 12, 63, 64, 66, 69, 74, 198, 199, 206, 208, 216]),
                                    rng.randrange(256), rng.randrange(256), ri(rng, 2, 250)) for _ in range(nips)]
            self.t.append((name, weight, style, ips))
        self.cum = []
        s = 0
        for x in self.t:
            s += x[1]
            self.cum.append(s)

    def by_hash(self, key):
        x = (hash_int(key) % 10000) / 10000.0 * self.cum[-1]
        for i, c in enumerate(self.cum):
            if x < c:
                return self.t[i]
        return self.t[-1]

    def named(self, name):
        for x in self.t:
            if x[0] == name:
                return x
        raise KeyError(name)


def hash_int(s):
    h = 1469598103934665603
    for ch in s:
        h = ((h ^ ord(ch)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


# ---------------------------------------------------------------- legitimate

class People:
    """Ordinary subscribers: inbound from their contacts (over interconnects),
    outbound to contacts (from the access nodes), and on-net calls."""

    def __init__(self, w, num, trunks, nodes, per_sub_day, label="normal"):
        self.w, self.num, self.trunks, self.nodes = w, num, trunks, nodes
        self.rate = per_sub_day * len(num.assigned) / 24.0
        self.salt = ri(w.rng, 1, 10 ** 6)

    def contact(self, sub_idx, j):
        return self.w.ext_number((sub_idx * 1000003 + j * 7919 + self.salt) % 2000003)

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        act = DIURNAL_PEOPLE[w.local_hour(a)] * (0.85 if w.weekday(a) >= 5 else 1.0)
        N = len(self.num.assigned)
        for _ in range(poisson(rng, self.rate * act * (b - a) / HOUR * 1.9)):
            t = rng.uniform(a, b)
            i = int((rng.random() ** 1.6) * N)
            sub = self.num.assigned[i]
            j = int((rng.random() ** 2.5) * 25)
            other = self.contact(i, j)
            disp, dur = outcome_person(rng)
            r = rng.random()
            if r < 0.46:
                tr = self.trunks.by_hash(other[:7])
                w.call(t, fmt(other, tr[2]), fmt(sub, tr[2]), dur, disp, tr[0], tr[3][int(rng.random() * len(tr[3]))],
                       1, "normal")
            else:
                nd = self.nodes[hash_int(sub) % len(self.nodes)]
                callee = other if r < 0.92 else self.num.assigned[int(rng.random() * N)]
                w.call(t, fmt(sub, nd[2]), fmt(callee, nd[2]), dur, disp, nd[0], nd[3][0], 0, "normal")


class Business:
    """A business with a main number in the provider's range, receiving calls
    from many distinct customers and calling out in business hours."""

    def __init__(self, w, num, trunks, node, per_day, outbound_share):
        rng = w.rng
        self.w, self.trunks, self.node = w, trunks, node
        self.main = num.pick(rng)
        self.dids = [num.pick(rng) for _ in range(ri(rng, 1, 20))]
        self.rate = per_day / 10.0
        self.out_share = outbound_share

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        act = DIURNAL_BUSINESS[w.local_hour(a)] * (0.15 if w.weekday(a) >= 5 else 1.0)
        for _ in range(poisson(rng, self.rate * act * (b - a) / HOUR)):
            t = rng.uniform(a, b)
            other = w.rand_ext(rng) if rng.random() < 0.7 else w.ext_number(ri(rng, 0, 3000))
            disp, dur = outcome_person(rng, vm=0.15)
            if rng.random() < self.out_share:
                nd = self.node
                w.call(t, fmt(rng.choice(self.dids + [self.main]), nd[2]), fmt(other, nd[2]), dur, disp, nd[0],
                       nd[3][0], 0, "normal")
            else:
                tr = self.trunks.by_hash(other[:7])
                w.call(t, fmt(other, tr[2]), fmt(self.main if rng.random() < 0.7 else rng.choice(self.dids), tr[2]),
                       dur, disp, tr[0], tr[3][0], 1, "normal")


class Reminder:
    """Consented automated notifications from one caller ID per sender
    (pharmacy refills, appointment reminders, bank fraud alerts): each patient
    / customer called once, retried once if unanswered, short messages."""

    def __init__(self, w, targets, trunk, per_day, hours, cid, msg_len, external=1, repeat_pool=0):
        self.w, self.targets, self.trunk = w, targets, trunk
        self.rate = per_day / float(len(hours))
        self.hours = set(hours)
        self.cid = cid
        self.msg_len = msg_len
        self.retries = []
        self.external = external
        self.repeat_pool = repeat_pool

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        tr = self.trunk
        for (t, callee) in [x for x in self.retries if a <= x[0] < b]:
            self._one(t, callee, retry=True)
        self.retries = [x for x in self.retries if x[0] >= b]
        if w.local_hour(a) not in self.hours or w.weekday(a) == 6:
            return
        for _ in range(poisson(rng, self.rate * (b - a) / HOUR)):
            callee = self.targets(rng)
            self._one(rng.uniform(a, b), callee)

    def _one(self, t, callee, retry=False):
        w, rng, tr = self.w, self.w.rng, self.trunk
        r = rng.random()
        if r < 0.5:
            disp, dur = "ANSWERED", max(5, int(rng.gauss(self.msg_len, self.msg_len * 0.25)))
            if rng.random() < 0.1:
                dur = ri(rng, 1, 6)          # hung up on the greeting
        elif r < 0.72:
            disp, dur = "ANSWERED", max(5, int(rng.gauss(self.msg_len * 0.8, 5)))   # voicemail
        elif r < 0.92:
            disp, dur = "NO ANSWER", 0
        elif r < 0.97:
            disp, dur = "BUSY", 0
        else:
            disp, dur = "FAILED", 0
        w.call(t, fmt(self.cid, tr[2]), fmt(callee, tr[2]), dur, disp, tr[0], tr[3][0], self.external, "normal")
        if disp in ("NO ANSWER", "BUSY") and not retry and rng.random() < 0.6:
            self.retries.append((t + rng.uniform(1, 4) * HOUR, callee))


class SchoolAlert:
    """A district's mass notification: a burst to every parent line within
    minutes, same caller ID; at most once or twice in the window."""

    def __init__(self, w, targets, trunk, cid, times, concurrency):
        self.w, self.targets, self.trunk, self.cid, self.times = w, targets, trunk, cid, times
        self.conc = concurrency

    def run(self, a, b):
        w, rng, tr = self.w, self.w.rng, self.trunk
        for t0 in self.times:
            if not (a <= t0 < b):
                continue
            for k, callee in enumerate(self.targets):
                t = t0 + (k / float(self.conc)) * 40 + rng.uniform(0, 5)
                r = rng.random()
                if r < 0.55:
                    disp, dur = "ANSWERED", ri(rng, 25, 55)
                elif r < 0.8:
                    disp, dur = "ANSWERED", ri(rng, 20, 45)
                elif r < 0.95:
                    disp, dur = "NO ANSWER", 0
                else:
                    disp, dur = rng.choice(["BUSY", "FAILED"]), 0
                w.call(t, fmt(self.cid, tr[2]), fmt(callee, tr[2]), dur, disp, tr[0], tr[3][0], 1, "normal")


class CallCentre:
    """A consented outbound call centre with a predictive dialer: a pool of
    registered caller IDs, many distinct callees, low answer rate, long talks
    when answered, small share of abandoned (short) answered calls."""

    def __init__(self, w, targets, trunk, agents, cids, external=1, label="normal"):
        self.w, self.targets, self.trunk, self.agents, self.cids = w, targets, trunk, agents, cids
        self.external, self.label = external, label

    def run(self, a, b):
        w, rng, tr = self.w, self.w.rng, self.trunk
        h = w.local_hour(a)
        if not (9 <= h < 20) or w.weekday(a) == 6:
            return
        for _ in range(poisson(rng, self.agents * 22 * (b - a) / HOUR)):
            t = rng.uniform(a, b)
            r = rng.random()
            if r < 0.28:
                disp, dur = "ANSWERED", max(10, int(rng.lognormvariate(math.log(180), 0.9)))
            elif r < 0.3:
                disp, dur = "ANSWERED", ri(rng, 1, 4)     # abandoned (no agent free)
            elif r < 0.42:
                disp, dur = "ANSWERED", ri(rng, 3, 25)    # voicemail detected, hang up
            elif r < 0.85:
                disp, dur = "NO ANSWER", 0
            elif r < 0.93:
                disp, dur = "BUSY", 0
            else:
                disp, dur = "FAILED", 0
            w.call(t, fmt(self.cids[int(rng.random() * len(self.cids))], tr[2]), fmt(self.targets(rng), tr[2]),
                   dur, disp, tr[0], tr[3][int(rng.random() * len(tr[3]))], self.external, self.label)


# ---------------------------------------------------------------- abusive

class Robocall:
    """An illegal robocall campaign.

    cid_mode:
      neighbor  caller ID = the callee's own NPA-NXX + random line (spoof:)
      rotate    a large pool of caller IDs, each used a handful of times
      fixed     a few caller IDs used thousands of times
      invalid   malformed / unassignable caller IDs
    target_mode: sequential (walks number blocks, hits unassigned numbers) or
    random over assigned numbers.
    """

    def __init__(self, w, name, label, trunks, targets_seq, target_rand, cps, days_active, cid_mode,
                 answer=0.15, vm=0.1, pool=500, external=1, callee_external=False, own_num=None):
        rng = w.rng
        self.w, self.name, self.label = w, name, label
        self.trunks = trunks
        self.seq = targets_seq
        self.seq_pos = ri(rng, 0, max(0, len(targets_seq) - 1)) if targets_seq else 0
        self.seq_stride = rng.choice([1, 1, 1, 7, 13])
        self.rand = target_rand
        self.cps = cps
        self.days = days_active
        self.cid_mode = cid_mode
        self.answer, self.vm = answer, vm
        self.pool = [w.rand_ext(rng) for _ in range(pool)]
        self.fixed = [w.rand_ext(rng) for _ in range(ri(rng, 1, 4))]
        self.external = external
        self.callee_external = callee_external
        self.own = own_num
        self.msg = ri(rng, 20, 45)

    def cid(self, rng, callee):
        m = self.cid_mode
        if m == "neighbor":
            base = callee[:7] if callee.startswith("1") else self.w.rand_ext(rng)[:7]
            return "%s%04d" % (base, ri(rng, 0, 9999))
        if m == "rotate":
            return self.pool[int(rng.random() * len(self.pool))]
        if m == "fixed":
            return self.fixed[int(rng.random() * len(self.fixed))]
        r = rng.random()
        if r < 0.25:
            return "0000000000"
        if r < 0.4:
            return "anonymous"
        if r < 0.6:
            return "1%d%d%d%07d" % (ri(rng, 0, 1), ri(rng, 0, 9), ri(rng, 0, 9), ri(rng, 0, 9999999))  # NPA 0xx/1xx
        if r < 0.8:
            return "%d" % ri(rng, 1000, 9999999)     # too short
        return "1%s" % (self.w.rand_ext(rng)[1:4] + "555" + "01%02d" % ri(rng, 0, 99))

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        day = int((a - w.start) // DAY)
        if day not in self.days:
            return
        act = DIURNAL_ROBO[w.local_hour(a)] * (0.3 if w.weekday(a) >= 5 else 1.0)
        n = poisson(rng, self.cps * 3600 * act * (b - a) / HOUR)
        for _ in range(n):
            t = rng.uniform(a, b)
            if self.seq and rng.random() < 0.7:
                self.seq_pos = (self.seq_pos + self.seq_stride) % len(self.seq)
                callee = self.seq[self.seq_pos]
            else:
                callee = self.rand(rng)
            assigned = self.own is None or callee in self.own.aset or self.callee_external
            caller = self.cid(rng, callee)
            r = rng.random()
            if not assigned:
                disp, dur = "FAILED", 0
            elif r < self.answer:
                rr = rng.random()
                if rr < 0.55:
                    disp, dur = "ANSWERED", ri(rng, 1, 8)           # hang-up on the recording
                elif rr < 0.9:
                    disp, dur = "ANSWERED", max(5, int(rng.gauss(self.msg, 6)))
                else:
                    disp, dur = "ANSWERED", ri(rng, 60, 900)        # pressed 1, talked to an agent
            elif r < self.answer + self.vm:
                disp, dur = "ANSWERED", max(5, int(rng.gauss(self.msg, 4)))   # left a voicemail
            elif r < 0.9:
                disp, dur = "NO ANSWER", 0
            elif r < 0.95:
                disp, dur = "BUSY", 0
            else:
                disp, dur = "FAILED", 0
            tr = self.trunks[int(rng.random() * len(self.trunks))]
            ip = tr[3][int(rng.random() * len(tr[3]))]
            w.call(t, caller if not caller[0].isdigit() or len(caller) < 11 else fmt(caller, tr[2]),
                   fmt(callee, tr[2]), dur, disp, tr[0], ip, self.external, "%s:%s" % (self.label, self.name))


class Wangiri:
    """One-ring calls from an international revenue-share range, in bursts,
    often in the evening/night; a small share of the targets call back and
    are held on the line (premium-rate)."""

    def __init__(self, w, name, trunk, targets, bursts, node_of, prefix, n_numbers, callback=0.01):
        rng = w.rng
        self.w, self.name, self.trunk, self.targets, self.bursts = w, name, trunk, targets, bursts
        self.node_of = node_of
        self.nums = ["%s%0*d" % (prefix, 11 - len(prefix), ri(rng, 0, 10 ** (11 - len(prefix)) - 1))
                     for _ in range(n_numbers)]
        self.callback = callback
        self.pending = []

    def run(self, a, b):
        w, rng, tr = self.w, self.w.rng, self.trunk
        lab = "wangiri:" + self.name
        for (t0, dur, cps) in self.bursts:
            lo, hi = max(a, t0), min(b, t0 + dur)
            if lo >= hi:
                continue
            for _ in range(poisson(rng, cps * (hi - lo))):
                t = rng.uniform(lo, hi)
                callee = self.targets(rng)
                caller = self.nums[int(rng.random() * len(self.nums))]
                r = rng.random()
                if r < 0.9:
                    disp, dur_ = "NO ANSWER", 0         # cancelled after one ring
                elif r < 0.95:
                    disp, dur_ = "ANSWERED", ri(rng, 0, 2)
                else:
                    disp, dur_ = rng.choice(["BUSY", "FAILED"]), 0
                w.call(t, fmt(caller, tr[2]), fmt(callee, tr[2]), dur_, disp, tr[0], tr[3][0], 1, lab)
                if rng.random() < self.callback:
                    self.pending.append((t + rng.expovariate(1 / 2400.0) + 30, callee, caller))
        keep = []
        for (t, sub, num) in self.pending:
            if a <= t < b:
                nd = self.node_of(sub)
                w.call(t, fmt(sub, nd[2]), fmt(num, nd[2]), ri(rng, 40, 900), "ANSWERED", nd[0], nd[3][0], 0, lab)
            elif t >= b:
                keep.append((t, sub, num))
        self.pending = keep


class TDoS:
    """Telephony denial of service on one number: automated SIP flood with
    random spoofed caller IDs from a few source addresses; the target's
    channels saturate (BUSY) and answered calls are silent/hung quickly."""

    def __init__(self, w, name, trunk, target, t0, dur, cps, channels, src_ips):
        self.w, self.name, self.trunk, self.target = w, name, trunk, target
        self.t0, self.t1, self.cps, self.channels, self.ips = t0, t0 + dur, cps, channels, src_ips

    def run(self, a, b):
        w, rng, tr = self.w, self.w.rng, self.trunk
        lo, hi = max(a, self.t0), min(b, self.t1)
        if lo >= hi:
            return
        busy_p = min(0.9, 1 - self.channels / (self.cps * 20.0))
        for _ in range(poisson(rng, self.cps * (hi - lo))):
            t = rng.uniform(lo, hi)
            r = rng.random()
            if r < busy_p:
                disp, dur = "BUSY", 0
            elif r < busy_p + 0.05:
                disp, dur = "FAILED", 0
            else:
                disp, dur = "ANSWERED", ri(rng, 2, 40)
            caller = w.rand_ext(rng) if rng.random() < 0.8 else "%d" % ri(rng, 100000, 99999999)
            w.call(t, fmt(caller, tr[2]) if len(caller) == 11 else caller, fmt(self.target, tr[2]), dur, disp,
                   tr[0], self.ips[int(rng.random() * len(self.ips))], 1, "tdos:" + self.name)


class TollFraud:
    """A hijacked PBX / stolen SIP credentials used to pump international
    revenue-share (IRSF) destinations: test calls first, then many parallel
    long calls at night/weekend until the provider's fraud desk blocks it."""

    IRSF = ["88216", "88213", "8817", "3712", "3706", "5352", "2526", "2257", "2367", "6757", "4219",
            "23276", "22170", "96279"]

    def __init__(self, w, name, trunk_name, ip, cids, t0, dur, cps, n_dest, label="tollfraud"):
        rng = w.rng
        self.w, self.name, self.trunk_name, self.ip, self.cids = w, name, trunk_name, ip, cids
        self.t0, self.t1, self.cps = t0, t0 + dur, cps
        pref = rng.sample(self.IRSF, ri(rng, 2, 5))
        self.dest = ["%s%0*d" % (p, 12 - len(p), ri(rng, 0, 10 ** (12 - len(p)) - 1))
                     for p in pref for _ in range(max(1, n_dest // len(pref)))]
        self.label = label
        # short test calls (to the IRSF numbers and to ordinary foreign numbers)
        # some minutes to hours before the pumping starts
        self.tests = [(t0 - rng.uniform(600, 6 * HOUR),
                       rng.choice(self.dest) if rng.random() < 0.5 else
                       "%s%08d" % (rng.choice(["44", "49", "33", "34", "39", "91", "234"]), ri(rng, 0, 99999999)))
                      for _ in range(ri(rng, 3, 12))]

    def run(self, a, b):
        w, rng = self.w, self.w.rng
        lab = "%s:%s" % (self.label, self.name)
        for (t, d) in self.tests:
            if a <= t < b:
                disp = rng.choice(["ANSWERED", "FAILED", "NO ANSWER"])
                w.call(t, "+" + rng.choice(self.cids), "011" + d, ri(rng, 1, 12) if disp == "ANSWERED" else 0,
                       disp, self.trunk_name, self.ip, 0, lab)
        lo, hi = max(a, self.t0), min(b, self.t1)
        if lo >= hi:
            return
        for _ in range(poisson(rng, self.cps * (hi - lo))):
            t = rng.uniform(lo, hi)
            r = rng.random()
            if r < 0.7:
                disp, dur = "ANSWERED", max(20, int(rng.lognormvariate(math.log(600), 0.8)))
            elif r < 0.85:
                disp, dur = "FAILED", 0
            else:
                disp, dur = rng.choice(["NO ANSWER", "BUSY"]), 0
            w.call(t, "+" + rng.choice(self.cids), "011" + self.dest[int(rng.random() * len(self.dest))], dur, disp,
                   self.trunk_name, self.ip, 0, lab)


# ---------------------------------------------------------------- worlds

def own_blocks(rng, npas, n):
    out = set()
    while len(out) < n:
        out.add("1%s%d%d%d" % (rng.choice(npas), ri(rng, 2, 9), ri(rng, 0, 9), ri(rng, 0, 9)))
    return sorted(out)


def world_terminating(w):
    rng = w.rng
    blocks = own_blocks(rng, ["919", "984", "252"], 28)
    n_subs = w.n(150000, 2000)
    num = Numbering(w, blocks, 0.75, n_subs)
    trunks = Trunks(w, [("ic-tier1-a", 40, "e164", 4), ("ic-tier1-b", 25, "e164", 3),
                        ("ic-mobile-c", 20, "national", 2), ("ic-cable-d", 10, "e164", 2),
                        ("ic-wholesale-e", 5, "e164", 2)])
    wholesale = trunks.named("ic-wholesale-e")
    cheap = ("ic-lcr-voip-f", 0, "e164", ["%d.%d.%d.%d" % (rng.choice([45, 91, 103, 185, 193]), rng.randrange(256),
                                                           rng.randrange(256), ri(rng, 2, 250)) for _ in range(3)])
    intl = ("ic-intl-gw-g", 0, "e164", ["%d.%d.%d.%d" % (rng.choice([80, 81, 195, 212, 217]), rng.randrange(256),
                                                         rng.randrange(256), ri(rng, 2, 250))])
    hosted = ("ic-cpaas-h", 0, "e164", ["%d.%d.%d.%d" % (rng.choice([54, 67, 208]), rng.randrange(256),
                                                         rng.randrange(256), ri(rng, 2, 250)) for _ in range(4)])
    nodes = [("access-node-%d" % i, 1, "e164", ["10.%d.%d.%d" % (ri(rng, 1, 200), ri(rng, 0, 255), ri(rng, 2, 250))])
             for i in range(1, 7)]
    w.actors.append(People(w, num, trunks, nodes, per_sub_day=2.0))
    for _ in range(w.n(1500, 20)):
        w.actors.append(Business(w, num, trunks, nodes[ri(rng, 0, len(nodes) - 1)], rng.lognormvariate(math.log(25), 1.0),
                                 rng.uniform(0.2, 0.6)))
    pick = lambda r: num.pick(r)
    # Legitimate high-volume callers over the CPaaS trunk.
    for _ in range(w.n(25, 2)):
        w.actors.append(Reminder(w, pick, hosted, rng.uniform(80, 400) * max(0.2, w.scale), range(10, 19),
                                 w.rand_ext(rng), ri(rng, 25, 45)))
    for _ in range(w.n(6, 1)):   # appointment reminders / bank alerts
        w.actors.append(Reminder(w, pick, hosted, rng.uniform(300, 1500) * max(0.2, w.scale), range(8, 21),
                                 w.rand_ext(rng), ri(rng, 15, 30)))
    parents = [num.pick(rng) for _ in range(w.n(12000, 200))]
    morning = w.start + ri(rng, 0, 1) * DAY + (6 - w.tz) * HOUR + ri(rng, 0, 30) * 60
    w.actors.append(SchoolAlert(w, parents, hosted, w.rand_ext(rng), [morning], 400))
    w.actors.append(CallCentre(w, pick, trunks.named("ic-tier1-b"), w.n(60, 3),
                               [w.rand_ext(rng) for _ in range(20)]))
    # Abusive campaigns.
    seq = sorted(num.assigned + ["%s%04d" % (b, ri(rng, 0, 9999)) for b in blocks for _ in range(200)])
    d2 = {0, 1}
    w.actors.append(Robocall(w, "neighbor-warranty", "spoof", [wholesale, cheap], seq, pick, cps=1.5 * w.scale,
                             days_active=d2, cid_mode="neighbor", answer=0.14, own_num=num))
    w.actors.append(Robocall(w, "ssa-impostor", "robocall", [cheap], None, pick, cps=1.2 * w.scale,
                             days_active={rng.choice([0, 1])}, cid_mode="rotate", answer=0.1, pool=w.n(1500, 50),
                             own_num=num))
    w.actors.append(Robocall(w, "health-plan", "robocall", [wholesale, trunks.named("ic-tier1-a")], None, pick,
                             cps=0.8 * w.scale, days_active=d2, cid_mode="fixed", answer=0.2, own_num=num))
    w.actors.append(Robocall(w, "bad-cid-loans", "robocall", [cheap], seq, pick, cps=0.5 * w.scale,
                             days_active={1}, cid_mode="invalid", answer=0.12, own_num=num))
    w.actors.append(Wangiri(w, "tn-216", intl, pick, [(w.start + rng.uniform(18, 22) * HOUR, rng.uniform(1, 3) * HOUR,
                                                     6 * w.scale), (w.start + rng.uniform(40, 44) * HOUR,
                                                                    rng.uniform(0.5, 2) * HOUR, 4 * w.scale)],
                            lambda s: nodes[hash_int(s) % len(nodes)], rng.choice(["216", "222", "232", "225", "373"]),
                            rng.randint(8, 60), callback=0.012))
    hospital = num.pick(rng)
    w.actors.append(TDoS(w, "hospital-main", wholesale, hospital, w.start + rng.uniform(28, 34) * HOUR,
                         rng.uniform(0.5, 1.5) * HOUR, max(0.5, 12 * w.scale), 46,
                         [cheap[3][0], "%d.%d.%d.%d" % (rng.choice([5, 37, 91, 185]), rng.randrange(256),
                                                        rng.randrange(256), ri(rng, 2, 250))]))
    return sorted(blocks)


def world_voip(w):
    rng = w.rng
    blocks = own_blocks(rng, ["512", "737"], 16)
    n_subs = w.n(110000, 1500)
    num = Numbering(w, blocks, 0.7, n_subs)
    trunks = Trunks(w, [("ix-carrier-1", 45, "e164", 3), ("ix-carrier-2", 30, "e164", 3),
                        ("ix-mobile-3", 20, "e164", 2), ("ix-wholesale-4", 5, "e164", 2)])
    wholesale = trunks.named("ix-wholesale-4")
    intl = ("ix-intl-5", 0, "e164", ["%d.%d.%d.%d" % (rng.choice([62, 77, 88, 213]), rng.randrange(256),
                                                      rng.randrange(256), ri(rng, 2, 250))])
    nodes = [("sbc-access-%d" % i, 1, "e164", ["172.%d.%d.%d" % (ri(rng, 16, 31), ri(rng, 0, 255), ri(rng, 2, 250))])
             for i in range(1, 5)]
    w.actors.append(People(w, num, trunks, nodes, per_sub_day=2.0))
    # Hosted-PBX business customers (own trunks, external=0 when they call out).
    pbx = []
    for i in range(w.n(800, 12)):
        ip = "%d.%d.%d.%d" % (rng.choice([24, 50, 66, 70, 71, 72, 97, 98, 99, 173, 174]), rng.randrange(256),
                              rng.randrange(256), ri(rng, 2, 250))
        node = ("pbx-trunk-%04d" % i, 1, rng.choice(["e164", "national"]), [ip])
        pbx.append(node)
        w.actors.append(Business(w, num, trunks, node, rng.lognormvariate(math.log(40), 1.0), rng.uniform(0.3, 0.7)))
    pick = lambda r: num.pick(r)
    ext_pick = lambda r: w.rand_ext(r)
    # Consented outbound call centre customer of the provider (external=0).
    cc_node = ("cust-contact-ctr", 1, "e164", ["%d.%d.%d.%d" % (rng.choice([52, 54]), rng.randrange(256),
                                                                rng.randrange(256), ri(rng, 2, 250))])
    w.actors.append(CallCentre(w, ext_pick, cc_node, w.n(80, 4), [num.pick(rng) for _ in range(12)], external=0))
    # Inbound legitimate notifications.
    for _ in range(w.n(15, 2)):
        w.actors.append(Reminder(w, pick, trunks.named("ix-carrier-2"), rng.uniform(80, 500) * max(0.2, w.scale),
                                 range(9, 19), w.rand_ext(rng), ri(rng, 20, 45)))
    # Compromised PBX (IRSF) on Saturday night, local time.
    sat = w.start + 1 * DAY + 22 * HOUR        # the window starts Friday 00:00 local
    victim = pbx[ri(rng, 0, len(pbx) - 1)]
    cids = [x for x in [num.pick(rng) for _ in range(3)]]
    w.actors.append(TollFraud(w, "pbx-" + victim[0][-4:], victim[0], victim[3][0], cids,
                              sat + rng.uniform(0, 3) * HOUR, rng.uniform(4, 9) * HOUR, max(0.05, 0.5 * w.scale),
                              200))
    # Stolen SIP credentials of a subscriber used from a foreign address.
    sub = num.pick(rng)
    foreign = "%d.%d.%d.%d" % (rng.choice([41, 102, 105, 154, 197]), rng.randrange(256), rng.randrange(256),
                               ri(rng, 2, 250))
    w.actors.append(TollFraud(w, "sipcreds-" + sub[-4:], nodes[0][0], foreign, [sub],
                              w.start + rng.uniform(30, 60) * HOUR, rng.uniform(2, 6) * HOUR,
                              max(0.03, 0.4 * w.scale), 60))
    # Wholesale customer whose dialer originates neighbour-spoofed robocalls.
    dialer = ("cust-wholesale-77", 1, "e164", ["%d.%d.%d.%d" % (rng.choice([23, 104, 138, 167]), rng.randrange(256),
                                                                rng.randrange(256), ri(rng, 2, 250)) for _ in range(2)])
    w.actors.append(Robocall(w, "outbound-dialer", "robocall", [dialer], None, ext_pick, cps=2.0 * w.scale,
                             days_active={0, 1, 2}, cid_mode="neighbor", answer=0.12, external=0,
                             callee_external=True))
    # Inbound abuse.
    seq = sorted(num.assigned + ["%s%04d" % (b, ri(rng, 0, 9999)) for b in blocks for _ in range(300)])
    w.actors.append(Robocall(w, "neighbor-medicare", "spoof", [wholesale], seq, pick, cps=2.0 * w.scale,
                             days_active={0, 2}, cid_mode="neighbor", answer=0.15, own_num=num))
    w.actors.append(Robocall(w, "irs-impostor", "robocall", [trunks.named("ix-carrier-1"), wholesale], None, pick,
                             cps=0.6 * w.scale, days_active={0, 1, 2}, cid_mode="rotate", answer=0.1,
                             pool=w.n(3000, 80), own_num=num))
    w.actors.append(Wangiri(w, "one-ring", intl, pick,
                            [(w.start + rng.uniform(1, 2.5) * DAY, rng.uniform(1, 4) * HOUR, 5 * w.scale)],
                            lambda s: nodes[hash_int(s) % len(nodes)], rng.choice(["216", "222", "232", "225", "373",
                                                                                  "881"]),
                            rng.randint(5, 40), callback=0.01))
    return sorted(blocks)


POPS = {"terminating_carrier": (world_terminating, calendar.timegm((2026, 11, 17, 5, 0, 0)), 48, -5),
        "voip_provider": (world_voip, calendar.timegm((2026, 11, 20, 6, 0, 0)), 72, -6)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="terminating_carrier", choices=sorted(POPS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    fn, start, hours, tz = POPS[a.population]
    w = World(a.seed, a.scale, a.population, start, hours, tz)
    blocks = fn(w)
    count = 0
    with open(os.path.join(a.out, "calls.csv"), "w", newline="") as f:
        f.write("time,caller,callee,duration,disposition,trunk,ip,external,label\r\n")
        t = w.start
        while t < w.end:
            hi = min(w.end, t + 900)
            w.out = []
            for x in w.actors:
                x.run(t, hi)
            w.out.sort(key=lambda r: r[0])
            lines = ["%d,%s,%s,%d,%s,%s,%s,%d,%s\r\n" % r for r in w.out]
            f.write("".join(lines))
            count += len(lines)
            t = hi
    own = sorted(set(b[:7] for b in blocks))
    meta = {"population": a.population, "seed": a.seed, "start": w.start, "end": w.end,
            "own_ranges": own, "calls": count}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

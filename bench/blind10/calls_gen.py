#!/usr/bin/env python3
"""Blind round 10: synthetic call-detail worlds (calls.csv, meta.json).

Populations:
  terminating_carrier  US terminating carrier (2 days, NANP numbers): legitimate person-to-person
                       calls over interconnects and from own subscribers; legitimate high-volume
                       callers (pharmacy and appointment reminders, a school's snow-day alert burst,
                       consented call centres); robocall campaigns with number rotation, neighbour
                       spoofing (caller ID = callee's NPA-NXX) and invalid caller IDs; Wangiri bursts
                       at night; a TDoS flood against one subscriber line.
  voip_provider        UK mobile/VoIP provider (Fri-Sun, 3 days): residential subscribers and hosted /
                       on-premise PBX customers whose users call out (including ordinary international
                       calls); one or two PBXs compromised over the weekend dialling international
                       revenue-share numbers while their users keep calling normally; a subscriber
                       SIP account used from a foreign address; neighbour-spoofed robocalls and Wangiri
                       inbound; legitimate reminders and delivery notifications.
Without --population, odd seeds -> terminating_carrier, even seeds -> voip_provider.
Python 3 standard library only; deterministic for (seed, population, scale).
"""
import argparse
import calendar
import json
import math
import os
import random
import shutil
import tempfile

POPULATIONS = ["terminating_carrier", "voip_provider"]
HEADER = "time,caller,callee,duration,disposition,trunk,ip,external,label"
HOUR = 3600
DAY = 86400


class Sink:
    def __init__(self, outdir, t0, bucket):
        self.dir = tempfile.mkdtemp(prefix=".tmp_calls_", dir=outdir)
        self.t0, self.bucket = t0, bucket
        self.buf = {}
        self.n = 0

    def add(self, t, line):
        b = (t - self.t0) // self.bucket
        lst = self.buf.setdefault(b, [])
        lst.append("%012d\t%s" % (t, line))
        self.n += 1
        if len(lst) >= 5000:
            self._flush(b)

    def _flush(self, b):
        lst = self.buf.get(b)
        if lst:
            with open(os.path.join(self.dir, "%06d" % b), "a") as f:
                f.write("\n".join(lst))
                f.write("\n")
            self.buf[b] = []

    def finish(self, path, header):
        for b in list(self.buf):
            self._flush(b)
        with open(path, "w", newline="") as out:
            out.write(header + "\r\n")
            for name in sorted(os.listdir(self.dir)):
                with open(os.path.join(self.dir, name)) as f:
                    lines = f.read().splitlines()
                lines.sort()
                out.write("".join(l.split("\t", 1)[1] + "\r\n" for l in lines))
        shutil.rmtree(self.dir)


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


def poisson(rng, lam):
    if lam < 30:
        L = math.exp(-lam)
        k, p = 0, 1.0
        while True:
            p *= rng.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))


def weight(kind, h, wd):
    we = wd >= 5
    if kind == "person":
        b = [0.08, 0.04, 0.02, 0.02, 0.02, 0.04, 0.15, 0.4, 0.7, 0.85, 0.95, 1.0, 1.0, 0.95, 0.95, 0.95,
             1.0, 1.05, 1.0, 0.9, 0.8, 0.6, 0.35, 0.15][h]
        return b * (0.75 if we else 1.0)
    if kind == "business":
        b = 1.0 if 9 <= h < 17 else (0.35 if 8 <= h < 19 else 0.02)
        return b * (0.08 if we else 1.0)
    if kind == "telemarketing":  # TCPA-ish calling window 8am-9pm recipient time
        b = 1.0 if 9 <= h < 20 else (0.4 if h in (8, 20) else 0.0)
        return b * (0.5 if we else 1.0)
    if kind == "night":
        return 1.0 if (h >= 23 or h < 5) else 0.05
    return 1.0


class World:
    def __init__(self, seed, pop, scale, t0, days, tz):
        self.seed, self.pop, self.scale = seed, pop, scale
        self.t0, self.t1 = t0, t0 + days * DAY
        self.hours = days * 24
        self.tz = tz
        self.sink = None

    def rng(self, name):
        return random.Random("calls/%s/%s/%s/%s" % (self.seed, self.pop, self.scale, name))

    def hour_w(self, kind, hidx):
        t = self.t0 + hidx * HOUR + self.tz * HOUR
        return weight(kind, (t // HOUR) % 24, ((t // DAY) + 3) % 7)

    def times(self, rng, kind, per_hour, a=None, b=None):
        a = self.t0 if a is None else max(a, self.t0)
        b = self.t1 if b is None else min(b, self.t1)
        out = []
        for h in range(int((a - self.t0) // HOUR), min(self.hours, int(math.ceil((b - self.t0) / HOUR)))):
            lam = per_hour * self.hour_w(kind, h)
            if lam <= 0:
                continue
            base = self.t0 + h * HOUR
            for _ in range(poisson(rng, lam)):
                t = int(base + rng.random() * HOUR)
                if a <= t < b:
                    out.append(t)
        out.sort()
        return out

    def call(self, t, caller, callee, dur, disp, trunk, ip, ext, label):
        if self.t0 <= t < self.t1:
            self.sink.add(t, "%d,%s,%s,%d,%s,%s,%s,%d,%s" % (t, caller, callee, dur if disp == "ANSWERED" else 0,
                                                             disp, trunk, ip, ext, label))


def outcome(rng, p_ans, med, sigma, p_busy=0.04, p_fail=0.02, maxdur=7200):
    r = rng.random()
    if r < p_ans:
        return "ANSWERED", max(1, min(maxdur, int(lognorm(rng, med, sigma))))
    r -= p_ans
    if r < p_busy:
        return "BUSY", 0
    if r < p_busy + p_fail:
        return "FAILED", 0
    return "NO ANSWER", 0


# ---------------------------------------------------------------- numbering plans
class NANP:
    cc = "1"

    def __init__(self, rng, own_blocks):
        self.rng = rng
        self.own_blocks = own_blocks  # 7-digit strings '1' + NPA + NXX

    def random_number(self, rng):
        npa = rng.choice([201, 212, 213, 305, 312, 404, 415, 469, 512, 602, 617, 646, 702, 713, 718, 786,
                          804, 813, 832, 904, 917, 929, 940, 954, 972, 980])
        return "+1%d%d%04d" % (npa, rng.randint(200, 999), rng.randint(0, 9999))

    def fmt(self, e164, style):
        # style: 'e164', 'national' (10 digits), 'nat1' (1 + 10 digits)
        if style == "national":
            return e164[2:]
        if style == "nat1":
            return e164[1:]
        return e164

    def neighbour(self, rng, callee):
        return callee[:8] + "%04d" % rng.randint(0, 9999)


class UK:
    cc = "44"

    def __init__(self, rng, own_blocks):
        self.rng = rng
        self.own_blocks = own_blocks

    def random_number(self, rng):
        r = rng.random()
        if r < 0.45:
            return "+447%d%07d" % (rng.choice([4, 5, 7, 8, 9]) * 10 + rng.randint(0, 9), rng.randint(0, 9999999))
        if r < 0.75:
            return "+4420%d%07d" % (rng.choice([3, 7, 8]), rng.randint(0, 9999999))
        return "+44%d%07d" % (rng.choice([113, 114, 115, 117, 118, 121, 131, 141, 151, 161, 191]), rng.randint(0, 9999999))

    def fmt(self, e164, style):
        if style == "national":
            return "0" + e164[3:]
        if style == "nat1":
            return e164[1:]
        return e164

    def neighbour(self, rng, callee):
        return callee[:-4] + "%04d" % rng.randint(0, 9999)


INTL_NORMAL = ["+33", "+49", "+34", "+39", "+1", "+48", "+91", "+92", "+234", "+353", "+31", "+86", "+63",
               "+40", "+27", "+880", "+233"]
IRSF = ["+88213", "+88216", "+8818", "+5352", "+5354", "+25290", "+37167", "+37190", "+22507", "+2207",
        "+67572", "+96077", "+2396", "+23276", "+24104", "+4470"]
WANGIRI_CC = ["+222", "+232", "+225", "+243", "+882", "+371", "+373", "+216", "+675", "+269", "+252"]


def intl_number(rng, prefix):
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(max(6, 12 - len(prefix))))


# ---------------------------------------------------------------- population builders
def build(w, cfg):
    scale = w.scale
    prng = w.rng("plan")
    plan = NANP(prng, cfg["own"]) if cfg["plan"] == "nanp" else UK(prng, cfg["own"])
    own_len = 12 if cfg["plan"] == "nanp" else 13  # E.164 length with '+'

    def own_number(rng, block=None):
        b = block or rng.choice(cfg["own"])
        return "+" + b + "".join(str(rng.randint(0, 9)) for _ in range(own_len - 1 - len(b)))

    n_subs = max(200, int(cfg["subs"] * scale))
    subs = sorted(set(own_number(prng) for _ in range(n_subs)))
    subs_cum, s = [], 0.0
    for i in range(len(subs)):
        s += 1.0 / (i + 1) ** 0.35
        subs_cum.append(s)
    trunks = cfg["trunks"]  # (name, [ips], style)
    access = cfg["access"]  # (name, ip)

    subs_set = set(subs)

    def pick_sub(rng):
        return subs[rng.choices(range(len(subs)), cum_weights=subs_cum)[0]]

    # -------- legitimate person-to-person calls, inbound over interconnects
    rng = w.rng("inbound_people")
    contacts = [plan.random_number(rng) for _ in range(max(2000, int(cfg["contacts"] * scale)))]
    for t in w.times(rng, "person", cfg["inbound_per_hour"] * scale):
        tr = rng.choice(trunks)
        caller = rng.choice(contacts) if rng.random() < 0.8 else plan.random_number(rng)
        if rng.random() < 0.04:
            caller = intl_number(rng, rng.choice(INTL_NORMAL))
        if rng.random() < 0.01:
            caller = "anonymous"  # withheld numbers are legitimate too
        disp, dur = outcome(rng, 0.62, 75, 1.3)
        w.call(t, plan.fmt(caller, tr[2]) if caller.startswith("+" + plan.cc) else caller,
               plan.fmt(pick_sub(rng), tr[2]), dur, disp, tr[0], rng.choice(tr[1]), 1, "normal")

    # -------- own residential subscribers calling out / on-net
    rng = w.rng("outbound_people")
    for t in w.times(rng, "person", cfg["outbound_per_hour"] * scale):
        an = rng.choice(access)
        caller = pick_sub(rng)
        r = rng.random()
        if r < 0.25:
            callee = pick_sub(rng)
        elif r < 0.93:
            callee = rng.choice(contacts)
        else:
            callee = intl_number(rng, rng.choice(INTL_NORMAL))
        callee_s = plan.fmt(callee, "national") if (callee.startswith("+" + plan.cc) and rng.random() < 0.6) else callee
        if callee_s.startswith("+") and not callee.startswith("+" + plan.cc) and cfg["plan"] == "uk" and rng.random() < 0.3:
            callee_s = "00" + callee[1:]
        disp, dur = outcome(rng, 0.6, 80, 1.3)
        w.call(t, caller, callee_s, dur, disp, an[0], an[1], 0, "normal")

    # -------- legitimate high-volume callers
    for k, hv in enumerate(cfg["hv"]):
        kind, per_hour, ans, med = hv
        hrng = w.rng("hv%d" % k)
        tr = hrng.choice(trunks)
        ip = hrng.choice(tr[1])
        if kind in ("pharmacy", "reminder", "delivery", "bank"):
            nums = [plan.random_number(hrng) for _ in range(hrng.choice([1, 1, 2, 4]))]
            for t in w.times(hrng, "business", per_hour * scale):
                disp, dur = outcome(hrng, ans, med, 0.5, 0.03, 0.03, 300)
                w.call(t, plan.fmt(hrng.choice(nums), tr[2]), plan.fmt(pick_sub(hrng), tr[2]), dur, disp,
                       tr[0], ip, 1, "normal")
        elif kind == "callcentre":
            block = plan.random_number(hrng)[:-2]
            for t in w.times(hrng, "business", per_hour * scale):
                disp, dur = outcome(hrng, ans, med, 0.9, 0.05, 0.02, 2400)
                w.call(t, plan.fmt(block + "%02d" % hrng.randint(0, 49), tr[2]), plan.fmt(pick_sub(hrng), tr[2]),
                       dur, disp, tr[0], ip, 1, "normal")
        elif kind == "school":
            # emergency closure alert: everybody on the list within ~15 minutes, early morning
            num = plan.random_number(hrng)
            day = hrng.randrange(max(1, (w.t1 - w.t0) // DAY)) if cfg["plan"] == "nanp" else 0  # a school day
            start = w.t0 + day * DAY + int((6.0 + hrng.random() * 0.5) * HOUR)  # t0 is local midnight
            n = int(per_hour * scale) + 5
            span = hrng.uniform(600, 1500)
            for i in range(n):
                t = int(start + span * hrng.random())
                disp, dur = outcome(hrng, ans, med, 0.4, 0.05, 0.02, 120)
                w.call(t, plan.fmt(num, tr[2]), plan.fmt(pick_sub(hrng), tr[2]), dur, disp, tr[0], ip, 1, "normal")

    # -------- robocall campaigns
    for k, rc in enumerate(cfg["robocalls"]):
        name, per_day, mode, ans = rc
        rrng = w.rng("robo%d" % k)
        ctr = rrng.sample(trunks, rrng.choice([1, 1, 2]))
        label = ("spoof:" if mode == "neighbour" else "robocall:") + name
        start = w.t0 + int(rrng.uniform(0, 0.5) * (w.t1 - w.t0))
        end = min(w.t1, start + int(rrng.uniform(0.5, 3.0) * DAY))
        pool = [plan.random_number(rrng) for _ in range(rrng.choice([3, 20, 200, 2000]))]
        seq_block = rrng.choice(cfg["own"])
        seq = rrng.randint(0, 5000)
        # dialers run in bursts (list loads, agent capacity for "press 1" transfers): hourly intensity varies
        mult = {}
        for t in w.times(rrng, "telemarketing", 2.0 * per_day * scale / 12.0, start, end):
            hk = t // HOUR
            if hk not in mult:
                mult[hk] = min(1.0, lognorm(rrng, 0.4, 0.9))
            if rrng.random() >= mult[hk]:
                continue
            tr = rrng.choice(ctr)
            # robodialers walk number blocks: many callees are unassigned or never answer
            if rrng.random() < 0.5:
                L = own_len - 1 - len(seq_block)
                callee = "+" + seq_block + str(seq % 10 ** L).zfill(L)
                seq += 1
            else:
                callee = pick_sub(rrng)
            if mode == "neighbour":
                caller = plan.neighbour(rrng, callee)
            elif mode == "rotate":
                caller = plan.random_number(rrng)
            elif mode == "invalid":
                caller = rrng.choice(["0000000000", "1234567", "+1%03d5550100" % rrng.randint(0, 199),
                                      "%09d" % rrng.randint(0, 10 ** 9 - 1), "+44000000000"])
            else:
                caller = rrng.choice(pool)
            if callee not in subs_set:
                disp, dur = ("FAILED", 0) if rrng.random() < 0.85 else ("NO ANSWER", 0)
            else:
                disp, dur = outcome(rrng, ans, 12, 1.0, 0.04, 0.05, 900)
            w.call(t, plan.fmt(caller, tr[2]) if caller.startswith("+" + plan.cc) else caller,
                   plan.fmt(callee, tr[2]), dur, disp, tr[0], rrng.choice(tr[1]), 1, label)

    # -------- Wangiri: one ring from international numbers, at night, walking number blocks
    for k in range(cfg["wangiri"]):
        wrng = w.rng("wangiri%d" % k)
        cc = wrng.choice(WANGIRI_CC)
        nums = [intl_number(wrng, cc + str(wrng.randint(10, 99))) for _ in range(wrng.randint(2, 40))]
        tr = wrng.choice(trunks)
        day = wrng.randrange(max(1, (w.t1 - w.t0) // DAY - 1))
        start = w.t0 + day * DAY + int((22.5 + wrng.random() * 2) * HOUR)
        n = int(wrng.uniform(2000, 12000) * scale) + 10
        span = wrng.uniform(1, 5) * HOUR
        block = wrng.choice(cfg["mobile_own"])
        base = wrng.randint(0, 900000)
        for i in range(n):
            t = int(start + span * i / n + wrng.random() * 5)
            L = own_len - 1 - len(block)
            callee = "+" + block + str((base + i) % 10 ** L).zfill(L)
            r = wrng.random()
            disp = "NO ANSWER" if r < 0.8 else ("FAILED" if r < 0.9 else ("BUSY" if r < 0.93 else "ANSWERED"))
            dur = wrng.randint(1, 4)
            w.call(t, wrng.choice(nums), plan.fmt(callee, tr[2]), dur, disp, tr[0], wrng.choice(tr[1]), 1,
                   "wangiri:%s-%d" % (cc[1:], k))

    # -------- TDoS: a flood against one line (extortion of a clinic / PSAP admin line)
    for k in range(cfg["tdos"]):
        trng = w.rng("tdos%d" % k)
        target = pick_sub(trng)
        ctr = trng.sample(trunks, trng.choice([1, 2, 3]))
        start = w.t0 + int(trng.uniform(0.2, 0.9) * (w.t1 - w.t0))
        waves = trng.randint(1, 3)
        channels = trng.choice([10, 23, 30, 46])
        for wv in range(waves):
            dur_s = trng.uniform(20, 90) * 60
            rate = trng.uniform(20, 150) * max(scale, 0.5)  # per minute; one target, hardly scales
            n = int(rate * dur_s / 60)
            busy_until = []
            for t in sorted(int(start + dur_s * trng.random()) for _ in range(n)):
                tr = trng.choice(ctr)
                caller = plan.random_number(trng) if trng.random() < 0.8 else "%010d" % trng.randint(0, 10 ** 10 - 1)
                busy_until = [x for x in busy_until if x > t]
                if len(busy_until) >= channels:
                    disp, dur = ("BUSY", 0) if trng.random() < 0.8 else ("FAILED", 0)
                else:
                    disp, dur = "ANSWERED", trng.randint(15, 240)
                    busy_until.append(t + dur)
                w.call(t, plan.fmt(caller, tr[2]) if caller.startswith("+") else caller, plan.fmt(target, tr[2]),
                       dur, disp, tr[0], trng.choice(tr[1]), 1, "tdos:flood-%d" % k)
            start += int(dur_s + trng.uniform(1, 8) * HOUR)

    # -------- PBX customers (own subscribers via SIP trunks); some compromised -> toll fraud
    for k in range(int(cfg["pbx"] * max(scale, 0.1)) + (1 if cfg["pbx"] else 0)):
        brng = w.rng("pbx%d" % k)
        pip = "%d.%d.%d.%d" % (brng.choice([81, 86, 90, 109, 151, 185, 212, 217]), brng.randint(0, 255),
                               brng.randint(0, 255), brng.randint(2, 250))
        block = own_number(brng)[:-2]
        ddis = [block + "%02d" % i for i in range(brng.choice([10, 20, 50, 100]))]
        trunk = "sip-trunk-%02d" % (k % 7)
        users = brng.uniform(0.5, 12)
        intl_share = brng.choice([0.01, 0.03, 0.08, 0.2])
        dests = [intl_number(brng, brng.choice(INTL_NORMAL)) for _ in range(20)]
        for t in w.times(brng, "business", users):
            r = brng.random()
            if r < intl_share:
                callee = brng.choice(dests) if brng.random() < 0.7 else intl_number(brng, brng.choice(INTL_NORMAL))
                if brng.random() < 0.3:
                    callee = "00" + callee[1:]
            elif r < 0.5:
                callee = brng.choice(contacts)
            else:
                callee = plan.random_number(brng)
            disp, dur = outcome(brng, 0.6, 110, 1.2)
            w.call(t, brng.choice(ddis), callee, dur, disp, trunk, pip, 0, "normal")
        for t in w.times(brng, "person", users * 0.05):  # out-of-hours calls: staff, forwarding
            disp, dur = outcome(brng, 0.6, 60, 1.2)
            w.call(t, brng.choice(ddis), brng.choice(contacts), dur, disp, trunk, pip, 0, "normal")
        if k < cfg["pbx_compromised"]:
            # weekend night: test calls, then many parallel long calls to revenue-share ranges
            a = w.t0 + int((brng.uniform(0.9, 1.6) * DAY))
            b = min(w.t1, a + int(brng.uniform(8, 40) * HOUR))
            src_ip = pip if brng.random() < 0.6 else "%d.%d.%d.%d" % (brng.choice([41, 102, 154, 185, 196, 197]),
                                                                          brng.randint(0, 255), brng.randint(0, 255),
                                                                          brng.randint(2, 250))
            targets = [intl_number(brng, p) for p in brng.sample(IRSF, brng.randint(2, 6)) for _ in range(brng.randint(1, 8))]
            lab = "tollfraud:pbx-%d" % k
            for i in range(brng.randint(3, 8)):
                t = a - brng.randint(600, 4 * HOUR)
                w.call(t, brng.choice(ddis), brng.choice(targets), brng.randint(5, 40), "ANSWERED", trunk, src_ip, 0, lab)
            chans = brng.choice([4, 8, 15, 30])
            t = a
            while t < b:
                for c in range(chans):
                    tt = t + brng.randint(0, 120)
                    callee = brng.choice(targets)
                    if brng.random() < 0.3:
                        callee = "00" + callee[1:]
                    disp, dur = outcome(brng, 0.75, 900, 0.8, 0.05, 0.1, 3600)
                    w.call(tt, brng.choice(ddis + ["anonymous"] if brng.random() < 0.1 else ddis), callee, dur, disp,
                           trunk, src_ip, 0, lab)
                t += int(lognorm(brng, 900, 0.5))

    # -------- a residential subscriber's SIP credentials used from abroad
    for k in range(cfg["account_fraud"]):
        arng = w.rng("acct%d" % k)
        victim = pick_sub(arng)
        fip = "%d.%d.%d.%d" % (arng.choice([41, 45, 102, 154, 196]), arng.randint(0, 255), arng.randint(0, 255),
                               arng.randint(2, 250))
        a = w.t0 + int(arng.uniform(0.3, 2.0) * DAY)
        b = min(w.t1, a + int(arng.uniform(2, 20) * HOUR))
        targets = [intl_number(arng, p) for p in arng.sample(IRSF, 3) for _ in range(3)]
        for t in w.times(arng, "flat", arng.uniform(6, 40), a, b):
            disp, dur = outcome(arng, 0.7, 600, 0.9, 0.05, 0.1, 3600)
            w.call(t, victim, arng.choice(targets), dur, disp, access[0][0], fip, 0, "tollfraud:account-%d" % k)
        an = access[0]
        for t in w.times(arng, "person", 0.3):  # the real user keeps calling from home
            disp, dur = outcome(arng, 0.6, 90, 1.2)
            w.call(t, victim, arng.choice(contacts), dur, disp, an[0], an[1], 0, "normal")


CONFIG = {
    "terminating_carrier": dict(
        start=(2026, 6, 9), days=2, tz=-5, plan="nanp",
        own=["1919463", "1919467", "1919828", "1984220", "1984231", "1984365", "1252410", "1252417"],
        mobile_own=["1984220", "1984231"], subs=70000, contacts=40000,
        trunks=[("ic-carrier-a", ["198.51.100.10", "198.51.100.11"], "e164"),
                ("ic-carrier-b", ["203.0.113.20"], "national"),
                ("ic-carrier-c", ["192.0.2.30", "192.0.2.31"], "e164"),
                ("ic-tandem-d", ["198.51.100.40"], "nat1"),
                ("ic-wholesale-e", ["203.0.113.50", "203.0.113.51", "203.0.113.52"], "e164"),
                ("ic-intl-gw-f", ["192.0.2.60"], "e164")],
        access=[("access-node-1", "10.10.0.1"), ("access-node-2", "10.10.0.2"), ("access-node-3", "10.10.0.3")],
        inbound_per_hour=19000, outbound_per_hour=8000,
        hv=[("pharmacy", 350, 0.55, 35), ("reminder", 500, 0.5, 45), ("reminder", 120, 0.6, 30),
            ("callcentre", 600, 0.3, 240), ("callcentre", 250, 0.35, 180), ("school", 9000, 0.6, 40),
            ("bank", 150, 0.6, 60)],
        robocalls=[("auto-warranty", 60000, "rotate", 0.15), ("ssa-scam", 25000, "pool", 0.12),
                   ("medicare-brace", 35000, "neighbour", 0.2), ("debt-relief", 12000, "neighbour", 0.18),
                   ("utility-disconnect", 6000, "invalid", 0.1), ("energy-rebate", 9000, "pool", 0.2)],
        wangiri=3, tdos=1, pbx=0, pbx_compromised=0, account_fraud=0),
    "voip_provider": dict(
        start=(2026, 7, 3), days=3, tz=1, plan="uk",
        own=["4420379", "4420380", "4412155", "4411330", "447700", "447701"],
        mobile_own=["447700", "447701"], subs=60000, contacts=30000,
        trunks=[("ic-bt-1", ["198.51.100.110"], "national"), ("ic-vodafone", ["198.51.100.120", "198.51.100.121"], "e164"),
                ("ic-wholesale-x", ["203.0.113.130"], "e164"), ("ic-intl-gw", ["192.0.2.140"], "e164")],
        access=[("sbc-access-1", "10.20.0.1"), ("sbc-access-2", "10.20.0.2")],
        inbound_per_hour=12000, outbound_per_hour=8000,
        hv=[("reminder", 300, 0.55, 40), ("delivery", 400, 0.45, 25), ("bank", 120, 0.6, 50),
            ("callcentre", 300, 0.3, 200), ("school", 3000, 0.55, 35)],
        robocalls=[("hmrc-tax", 20000, "neighbour", 0.15), ("amazon-prime", 30000, "rotate", 0.12),
                   ("broadband-support", 8000, "pool", 0.2), ("loft-insulation", 10000, "neighbour", 0.2)],
        wangiri=4, tdos=1, pbx=90, pbx_compromised=2, account_fraud=1),
}


def generate(seed, pop, scale, out):
    cfg = CONFIG[pop]
    t0 = calendar.timegm(cfg["start"] + (0, 0, 0)) - cfg["tz"] * HOUR  # local midnight
    w = World(seed, pop, scale, t0, cfg["days"], cfg["tz"])
    os.makedirs(out, exist_ok=True)
    w.sink = Sink(out, t0, HOUR)
    build(w, cfg)
    w.sink.finish(os.path.join(out, "calls.csv"), HEADER)
    meta = {"population": pop, "seed": seed, "start": w.t0, "end": w.t1, "own_ranges": cfg["own"],
            "calls": w.sink.n}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    pop = a.population or (POPULATIONS[0] if a.seed % 2 else POPULATIONS[1])
    print(json.dumps(generate(a.seed, pop, a.scale, a.out)))


if __name__ == "__main__":
    main()

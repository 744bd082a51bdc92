#!/usr/bin/env python3
"""Blind round 12: synthetic CDR worlds for robocall / voice-fraud detection.

python3 calls_gen.py --seed N --out DIR [--population NAME] [--scale F]

Populations:
  terminating_carrier  48 h at a US terminating carrier: robocall campaigns over
                       interconnects (rotating DIDs, spoofed random / neighbour / invalid
                       caller IDs, number-block walking), legitimate high-volume callers
                       (pharmacy and clinic reminders, school alerts, consented call
                       centres), a radio call-in contest, a TDoS flood, a small Wangiri wave.
  mobile_voip          72 h at a UK mobile/VoIP provider: toll fraud (IRSF) from a
                       compromised customer PBX while its users keep calling (including
                       ordinary international calls) and from a hijacked SIP account,
                       Wangiri one-ring waves with victims' call-backs, inbound neighbour
                       spoofing and nuisance-call campaigns, ported-out own numbers,
                       legitimate reminder/notification callers.
Without --population: odd seeds -> terminating_carrier, even seeds -> mobile_voip.
Writes calls.csv and meta.json. Standard library only; deterministic.
"""
import argparse
import calendar
import json
import math
import os
import random
import shutil
import tempfile

POPULATIONS = ["terminating_carrier", "mobile_voip"]
HEADER = "time,caller,callee,duration,disposition,trunk,ip,external,label\n"
HOSTING_OCT = [5, 23, 31, 37, 45, 46, 50, 51, 52, 54, 62, 64, 66, 67, 69, 74, 77, 78, 79, 80,
               81, 82, 85, 87, 91, 92, 94, 95, 104, 107, 108, 109, 128, 136, 138, 139, 144,
               146, 148, 149, 151, 158, 159, 162, 167, 168, 173, 176, 178, 185, 188, 193,
               194, 195, 199, 204, 205, 206, 207, 208, 209, 212, 213, 216, 217]


def lognorm(rng, median, sigma, lo=None, hi=None):
    v = median * math.exp(rng.gauss(0.0, sigma))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    k, p = 0, rng.random()
    while p > L:
        k += 1
        p *= rng.random()
    return k


HOME = (0.15, 0.07, 0.04, 0.03, 0.03, 0.05, 0.15, 0.4, 0.7, 0.85, 0.95, 1.0, 1.0, 0.95, 0.95,
        0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 0.6, 0.4, 0.25)
OFFICE = (0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 0.8, 1.0, 1.0, 0.95, 0.7, 0.85, 1.0,
          0.95, 0.85, 0.5, 0.2, 0.08, 0.05, 0.03, 0.02, 0.01)


class World:
    def __init__(self, seed, pop, scale, tmpdir):
        self.seed, self.pop, self.scale = seed, pop, scale
        if pop == "terminating_carrier":
            self.T0 = calendar.timegm((2026, 11, 17, 5, 0, 0))  # Tue 00:00 US Eastern
            self.hours = 48
            self.tz = -5
        else:
            self.T0 = calendar.timegm((2026, 11, 19, 0, 0, 0))  # Thu 00:00 UK
            self.hours = 72
            self.tz = 0
        self.T1 = self.T0 + self.hours * 3600
        self.tmpdir = tmpdir
        self.bufs = [[] for _ in range(self.hours)]
        self.nbuf = 0
        self.files = [os.path.join(tmpdir, "h%03d" % i) for i in range(self.hours)]
        for f in self.files:
            open(f, "w").close()
        self.count = 0
        self.labels = {}
        self.used_ips = set()

    def rng(self, name):
        return random.Random("%s/%s/%s" % (self.seed, self.pop, name))

    def n(self, x, lo=1):
        return max(lo, int(round(x * self.scale)))

    def ext_ip(self, r):
        while True:
            ip = "%d.%d.%d.%d" % (r.choice(HOSTING_OCT), r.randrange(256), r.randrange(256),
                                   r.randrange(1, 255))
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    def local(self, t):
        """(local hour, weekday 0=Mon) of unix time t."""
        lt = t + int(self.tz * 3600)
        return (lt // 3600) % 24, ((lt // 86400) + 3) % 7

    def call(self, t, caller, callee, dur, disp, trunk, ip, ext, label):
        t = int(t)
        if t < self.T0 or t >= self.T1:
            return
        if disp != "ANSWERED":
            dur = 0
        line = "%d,%s,%s,%d,%s,%s,%s,%d,%s\n" % (t, caller, callee, int(dur), disp, trunk, ip,
                                                   ext, label)
        self.bufs[(t - self.T0) // 3600].append(line)
        self.labels[label.split(":")[0]] = self.labels.get(label.split(":")[0], 0) + 1
        self.nbuf += 1
        if self.nbuf >= 300000:
            self.flush()

    def flush(self):
        for i, b in enumerate(self.bufs):
            if b:
                with open(self.files[i], "a") as f:
                    f.writelines(b)
                b.clear()
        self.nbuf = 0

    def finish(self, path):
        self.flush()
        n = 0
        with open(path, "w", newline="") as out:
            out.write(HEADER)
            for fn in self.files:
                with open(fn) as f:
                    lines = f.readlines()
                lines.sort()
                out.writelines(lines)
                n += len(lines)
                os.remove(fn)
        self.count = n
        return n

    def times(self, r, n, shape, a=None, b=None):
        """n call times in [a,b) following a diurnal shape (local time)."""
        a = self.T0 if a is None else a
        b = self.T1 if b is None else b
        out = []
        if n <= 0 or b <= a:
            return out
        # rejection sampling against the shape
        while len(out) < n:
            t = a + r.random() * (b - a)
            h, wd = self.local(int(t))
            f = shape[h] * (0.35 if (wd >= 5 and shape is OFFICE) else 1.0)
            if r.random() < f:
                out.append(int(t))
        return out


# ----------------------------------------------------------------------------- numbering


class Plan:
    """Numbering plan helpers for the population's country."""

    def __init__(self, w, r):
        self.w = w
        if w.pop == "terminating_carrier":
            self.cc = "1"
            npas = ["202", "301", "240", "703", "571", "410", "443"]
            self.own = sorted(set("1" + r.choice(npas) + str(r.randrange(200, 999)) for _ in range(14)))
            self.sub_digits = 4  # after the 7-digit NPA-NXX prefix (with "1")
        else:
            self.cc = "44"
            self.own = sorted(set(["447451", "447452", "447453", "447988", "443300", "442038"]))
            self.sub_digits = 6
        self.r = r
        self.used = set()

    def own_number(self, r, prefix=None):
        while True:
            p = prefix or r.choice(self.own)
            num = p + "".join(str(r.randrange(10)) for _ in range(self.sub_digits))
            if num not in self.used:
                self.used.add(num)
                return num

    def ext_domestic(self, r):
        """A number of another domestic network (digits, E.164 without +)."""
        while True:
            if self.cc == "1":
                num = "1%d%02d%d%02d%04d" % (r.randrange(2, 10), r.randrange(100), r.randrange(2, 10),
                                             r.randrange(100), r.randrange(10000))
            else:
                pre = r.choice(["447", "447", "447", "4420", "44121", "44161", "44131", "44117", "441"])
                num = pre + "".join(str(r.randrange(10)) for _ in range(12 - len(pre)))
            if not any(num.startswith(p) for p in self.own):
                return num

    def fmt(self, digits, style):
        """Present E.164 digits the way a given trunk/access node signals them."""
        if digits in ("anonymous", "") or not digits.isdigit():
            return digits
        if style == "e164":
            return "+" + digits
        if self.cc == "1":
            if style == "nat11":
                return digits if digits.startswith("1") else "011" + digits
            if style == "nat10":
                return digits[1:] if digits.startswith("1") else "011" + digits
        else:
            if style == "nat":
                return ("0" + digits[2:]) if digits.startswith("44") else "00" + digits
            if style == "intl00":
                return "00" + digits
        return "+" + digits


INTL_NORMAL = {"1": ["44", "52", "91", "86", "63", "49", "33", "234", "1876", "39", "81", "82"],
               "44": ["1", "33", "49", "34", "353", "91", "48", "40", "234", "92", "61", "39"]}
IRSF = ["53", "3719", "8823", "8816", "252", "232", "224", "216", "960", "677", "686", "373",
        "2392", "882", "881", "23762", "4470"]
WANGIRI_CC = ["216", "223", "257", "225", "355", "676", "224", "232", "2126", "8821", "37069"]


def intl_number(r, cc):
    return cc + "".join(str(r.randrange(10)) for _ in range(max(6, 11 - len(cc))))


def person_call_outcome(r, p_ans=0.62):
    x = r.random()
    if x < p_ans:
        return "ANSWERED", int(lognorm(r, 80, 1.15, 1, 7200))
    if x < p_ans + 0.05:
        return "BUSY", 0
    if x < p_ans + 0.09:
        return "FAILED", 0
    return "NO ANSWER", 0


# ----------------------------------------------------------------------------- actors


def build(w):
    g = w.rng("globals")
    plan = Plan(w, g)
    W = w
    us = plan.cc == "1"
    # interconnect trunks: name -> (SBC IPs, number style, kind)
    trunks = {}
    names = (["ic-tier1-a", "ic-tier1-b", "ic-mobile-c", "ic-cable-d", "wh-lowcost-e",
              "wh-lowcost-f", "wh-transit-g", "intl-gw-h"] if us else
             ["ic-mno-a", "ic-mno-b", "ic-fixed-c", "ic-transit-d", "wh-lowcost-e",
              "wh-lowcost-f", "intl-gw-g", "intl-gw-h"])
    for nm in names:
        style = g.choice(["e164", "e164", "e164", "nat11" if us else "nat", "nat10" if us else "intl00"])
        if nm.startswith("intl"):
            style = "e164"
        trunks[nm] = ([w.ext_ip(g) for _ in range(g.randrange(1, 5))], style)
    tnames = sorted(trunks)
    legit_trunks = [t for t in tnames if t.startswith("ic-")]
    cheap_trunks = [t for t in tnames if t.startswith("wh-")]
    intl_trunks = [t for t in tnames if t.startswith("intl")]
    access = {("acc-node-%d" % i): g.choice(["e164", "e164", "nat11" if us else "nat"]) for i in range(1, 5)}
    anames = sorted(access)

    def trunk_pick(r, pool):
        t = r.choice(pool)
        ips, st = trunks[t]
        return t, r.choice(ips), st

    # --- own subscribers (people and small businesses) ---
    nsubs = w.n(60000 if us else 42000, 50)
    subs = []
    for i in range(nsubs):
        subs.append(plan.own_number(g))
    # ported-out own numbers: still look like own range but live on other networks
    ported = set(g.sample(subs, max(1, nsubs // 60)))
    ext_people = [plan.ext_domestic(g) for _ in range(max(50, nsubs))]
    # numbers that exist; robocallers also dial unassigned numbers in own blocks
    r = w.rng("people")
    for i, num in enumerate(subs):
        pr = random.Random("%s/%s/sub%d" % (w.seed, w.pop, i))
        if num in ported:
            # this person's calls come in over an interconnect with an own-range caller ID
            n_in = poisson(pr, 2.0 * w.hours / 24)
            for t in w.times(pr, n_in, HOME):
                tr, ip, st = trunk_pick(pr, legit_trunks)
                d, dur = person_call_outcome(pr)
                callee = pr.choice(subs)
                w.call(t, plan.fmt(num, st), plan.fmt(callee, st), dur, d, tr, ip, 1, "normal")
            continue
        node = anames[i % len(anames)]
        st = access[node]
        dev_ip = "198.51.%d.%d" % (pr.randrange(0, 100), pr.randrange(1, 255)) if not us else \
            "203.0.%d.%d" % (pr.randrange(0, 113), pr.randrange(1, 255))
        rate = lognorm(pr, 1.8, 0.9, 0.05, 40)  # outgoing calls per day
        contacts = [pr.choice(subs) if pr.random() < 0.3 else pr.choice(ext_people)
                    for _ in range(pr.randrange(3, 25))]
        intl_p = 0.03 if pr.random() < 0.7 else 0.25  # diaspora households call abroad a lot
        intl_dest = [intl_number(pr, pr.choice(INTL_NORMAL[plan.cc])) for _ in range(3)]
        for t in w.times(pr, poisson(pr, rate * w.hours / 24), HOME):
            x = pr.random()
            if x < intl_p:
                callee = pr.choice(intl_dest)
            elif x < 0.85:
                callee = contacts[min(len(contacts) - 1, int(pr.expovariate(0.35)))]
            else:
                callee = plan.ext_domestic(pr)
            d, dur = person_call_outcome(pr)
            w.call(t, plan.fmt(num, st), plan.fmt(callee, st), dur, d, node, dev_ip, 0, "normal")
        # incoming calls from people on other networks
        n_in = poisson(pr, rate * 0.9 * w.hours / 24)
        for t in w.times(pr, n_in, HOME):
            tr, ip, tst = trunk_pick(pr, legit_trunks + cheap_trunks[:1])
            caller = pr.choice(contacts) if pr.random() < 0.6 else plan.ext_domestic(pr)
            if any(caller.startswith(p) for p in plan.own):
                continue  # own-to-own calls are generated by the caller's side
            if pr.random() < 0.03:
                caller = "anonymous"
            d, dur = person_call_outcome(pr)
            w.call(t, plan.fmt(caller, tst), plan.fmt(num, tst), dur, d, tr, ip, 1, "normal")
        # calls from abroad
        if pr.random() < 0.05:
            for t in w.times(pr, poisson(pr, 0.7 * w.hours / 24), HOME):
                tr, ip, tst = trunk_pick(pr, intl_trunks)
                d, dur = person_call_outcome(pr, 0.7)
                w.call(t, "+" + pr.choice(intl_dest), plan.fmt(num, tst), dur, d, tr, ip, 1, "normal")

    # --- business PBXs on SIP trunks (own customers) ---
    pbxs = []
    npbx = w.n(220 if us else 300, 3)
    nfraud = min(npbx, 1 if us else 3)
    fraud_idx = [(k * 7 + 3) % npbx for k in range(nfraud)]
    for i in range(npbx):
        pr = w.rng("pbx%d" % i)
        ip = w.ext_ip(pr)
        main = plan.own_number(pr)
        exts = [plan.own_number(pr) for _ in range(int(lognorm(pr, 8, 0.9, 6 if i in fraud_idx else 1, 120)))]
        pbxs.append((pr, ip, main, exts))
        node = anames[(i + 1) % len(anames)]
        st = access[node]
        calls_day = len(exts) * lognorm(pr, 6, 0.6, 1, 30)
        intl_share = lognorm(pr, 0.04, 1.0, 0.0, 0.5)
        if i in fraud_idx:
            intl_share = max(intl_share, 0.08)  # its users call abroad legitimately too
        partners = [plan.ext_domestic(pr) for _ in range(40)]
        intl_partners = [intl_number(pr, pr.choice(INTL_NORMAL[plan.cc])) for _ in range(6)]
        for t in w.times(pr, poisson(pr, calls_day * w.hours / 24), OFFICE):
            x = pr.random()
            if x < intl_share:
                callee = pr.choice(intl_partners)
            elif x < 0.8:
                callee = pr.choice(partners)
            else:
                callee = pr.choice(subs)
            caller = main if pr.random() < 0.6 else pr.choice(exts)
            d, dur = person_call_outcome(pr, 0.6)
            w.call(t, plan.fmt(caller, st), plan.fmt(callee, st), dur, d, node, ip, 0, "normal")
        for t in w.times(pr, poisson(pr, calls_day * 0.8 * w.hours / 24), OFFICE):
            tr, sip, tst = trunk_pick(pr, legit_trunks)
            d, dur = person_call_outcome(pr, 0.75)
            w.call(t, plan.fmt(pr.choice(partners), tst), plan.fmt(pr.choice([main] + exts), tst),
                   dur, d, tr, sip, 1, "normal")

    S = w.scale

    def vol(x):
        return max(20, int(x * S))

    # --- legitimate high-volume callers (inbound over interconnects) ---
    hv = [("pharmacy", 6), ("clinic", 5), ("school", 3), ("callcentre", 4), ("bankalert", 2),
          ("delivery", 2)]
    hv_i = 0
    for kind, count in hv:
        for j in range(count):
            hv_i += 1
            pr = w.rng("hv-%s-%d" % (kind, j))
            tr, ip, st = trunk_pick(pr, legit_trunks + cheap_trunks)
            ids = [plan.ext_domestic(pr) for _ in range({"pharmacy": 2, "clinic": 1, "school": 1,
                                                          "callcentre": pr.randrange(5, 40),
                                                          "bankalert": 3, "delivery": 8}[kind])]
            if kind == "school":
                # mass notification: a burst to all parents once or twice a day
                parents = pr.sample(subs, min(len(subs), vol(lognorm(pr, 1500, 0.6, 200, 8000))))
                days = w.hours // 24
                for d in range(days):
                    if pr.random() < 0.6:
                        hh = pr.choice([6.2, 6.5, 15.5, 17.0, 19.0])
                        t0 = w.T0 + d * 86400 + int(hh * 3600)  # T0 is local midnight
                        spread = lognorm(pr, 600, 0.5, 120, 2400)
                        for p_ in parents:
                            t = t0 + pr.random() * spread
                            x = pr.random()
                            if x < 0.55:
                                disp, dur = "ANSWERED", int(lognorm(pr, 40, 0.3, 5, 120))
                            elif x < 0.92:
                                disp, dur = "NO ANSWER", 0
                            elif x < 0.96:
                                disp, dur = "BUSY", 0
                            else:
                                disp, dur = "FAILED", 0
                            w.call(t, plan.fmt(ids[0], st), plan.fmt(p_, st), dur, disp, tr, ip, 1, "normal")
                continue
            per_h = lognorm(pr, {"pharmacy": 120, "clinic": 60, "callcentre": 250, "bankalert": 80,
                                 "delivery": 150}[kind], 0.6) * S
            n = poisson(pr, per_h * w.hours * 0.45)
            pending = []
            for t in w.times(pr, n, OFFICE):
                callee = pr.choice(subs)
                pending.append((t, callee, 0))
            while pending:
                t, callee, tries = pending.pop()
                x = pr.random()
                p_ans = {"callcentre": 0.33}.get(kind, 0.55)
                if x < p_ans:
                    dur = int(lognorm(pr, 240 if kind == "callcentre" else 35, 0.8 if kind == "callcentre" else 0.4, 3, 3600))
                    disp = "ANSWERED"
                elif x < 0.9:
                    disp, dur = "NO ANSWER", 0
                    if tries < 2 and kind in ("pharmacy", "clinic", "delivery"):
                        pending.append((t + int(pr.uniform(1, 3) * 3600), callee, tries + 1))
                elif x < 0.95:
                    disp, dur = "BUSY", 0
                else:
                    disp, dur = "FAILED", 0
                w.call(t, plan.fmt(pr.choice(ids), st), plan.fmt(callee, st), dur, disp, tr, ip, 1, "normal")

    # radio call-in contest / ticket hotline: a legitimate flood to one own number
    pr = w.rng("contest")
    hotline = plan.own_number(pr)
    t0 = w.T0 + int(pr.uniform(0.2, 0.8) * (w.T1 - w.T0))
    for _ in range(vol(lognorm(pr, 3000, 0.5))):
        t = t0 + int(pr.expovariate(1 / 300.0))
        tr, ip, st = trunk_pick(pr, legit_trunks)
        caller = plan.ext_domestic(pr) if pr.random() < 0.8 else pr.choice(subs)
        x = pr.random()
        disp, dur = ("BUSY", 0) if x < 0.8 else (("ANSWERED", int(lognorm(pr, 20, 0.8, 2, 300))) if x < 0.88 else ("NO ANSWER", 0))
        w.call(t, plan.fmt(caller, st), plan.fmt(hotline, st), dur, disp, tr, ip, 1, "normal")

    # --- robocall campaigns over interconnects ---
    def robo_campaign(name, label_kind, mode, volume, rng_):
        pr = rng_
        tlist = [pr.choice(cheap_trunks)] + ([pr.choice(legit_trunks)] if pr.random() < 0.4 else [])
        start = w.T0 + int(pr.uniform(0.0, 0.6) * (w.T1 - w.T0))
        length = lognorm(pr, 14 * 3600, 0.6, 3 * 3600, w.T1 - start)
        end = min(w.T1, start + length)
        respects_hours = pr.random() < 0.7
        shape = OFFICE if respects_hours else HOME
        pool = []
        if mode == "did_pool":
            pool = [plan.ext_domestic(pr) for _ in range(pr.randrange(20, 600))]
        elif mode == "few_ids":
            pool = [plan.ext_domestic(pr) for _ in range(pr.randrange(2, 15))]
        ans = pr.uniform(0.08, 0.3)
        fail = pr.uniform(0.05, 0.3)  # unassigned numbers in walked blocks
        block_walk = pr.random() < 0.5
        cursor = None
        for t in w.times(pr, volume, shape, start, end):
            if block_walk:
                if cursor is None or pr.random() < 0.002:
                    cursor = pr.randrange(10 ** plan.sub_digits)
                    pref = pr.choice(plan.own)
                cursor = (cursor + pr.randrange(1, 4)) % (10 ** plan.sub_digits)
                callee = pref + str(cursor).zfill(plan.sub_digits)
            else:
                callee = pr.choice(subs) if pr.random() > fail else plan.own_number(pr)
            if mode == "neighbour":
                # same prefix as the callee (NPA-NXX / mobile block), random line number
                cl = len(callee) - plan.sub_digits + (0 if us else 1)
                caller = callee[:cl] + "".join(str(pr.randrange(10)) for _ in range(len(callee) - cl))
            elif mode == "random_spoof":
                caller = plan.ext_domestic(pr)
            elif mode == "invalid":
                caller = pr.choice(["0000000000", "1234567890", "+10000000000", "5555555555",
                                    "+1%d%09d" % (pr.randrange(0, 2), pr.randrange(10 ** 9)),
                                    "%d" % pr.randrange(100000, 9999999), "+440000000000",
                                    "unknown"])
            else:
                caller = pr.choice(pool)
            tr = pr.choice(tlist)
            ips, st = trunks[tr]
            x = pr.random()
            if x < ans:
                # voicemail pick-up or a human who hangs up; a few press 1 for an agent
                dur = int(lognorm(pr, 18, 0.7, 1, 120)) if pr.random() < 0.85 else int(lognorm(pr, 150, 0.8, 20, 1800))
                disp = "ANSWERED"
            elif x < ans + fail:
                disp, dur = "FAILED", 0
            elif x < ans + fail + 0.03:
                disp, dur = "BUSY", 0
            else:
                disp, dur = "NO ANSWER", 0
            cf = caller if (not caller.isdigit()) else plan.fmt(caller, st)
            w.call(t, cf, plan.fmt(callee, st), dur, disp, tr, pr.choice(ips), 1,
                   "%s:%s" % (label_kind, name))

    if us:
        camps = [("ssa-suspension", "spoof", "random_spoof", 60000), ("auto-warranty", "robocall", "did_pool", 90000),
                 ("neighbour-health", "spoof", "neighbour", 50000), ("student-loan", "robocall", "few_ids", 30000),
                 ("utility-disconnect", "spoof", "invalid", 12000), ("amazon-order", "robocall", "did_pool", 25000),
                 ("medicare-brace", "robocall", "few_ids", 15000)]
    else:
        camps = [("accident-claim", "robocall", "did_pool", 40000), ("neighbour-hmrc", "spoof", "neighbour", 30000),
                 ("courier-fee", "spoof", "random_spoof", 20000), ("broadband-tech", "robocall", "few_ids", 12000),
                 ("invalid-cli", "spoof", "invalid", 6000)]
    for i, (nm, lk, mode, v) in enumerate(camps):
        pr = w.rng("camp%d" % i)
        robo_campaign(nm, lk, mode, vol(lognorm(pr, v, 0.4)), pr)

    # --- TDoS against one own number (a hospital / PSAP admin line) ---
    if us or True:
        pr = w.rng("tdos")
        target = pr.choice(pbxs)[2] if pbxs else plan.own_number(pr)
        start = w.T0 + int(pr.uniform(0.15, 0.85) * (w.T1 - w.T0))
        length = lognorm(pr, 2400, 0.6, 600, 3 * 3600)
        per_min = lognorm(pr, 60, 0.6, 10, 400) * max(S, 0.05)
        n = int(per_min * length / 60)
        tr = pr.choice(cheap_trunks)
        ips, st = trunks[tr]
        for _ in range(n):
            t = start + pr.random() * length
            caller = plan.ext_domestic(pr) if pr.random() < 0.7 else pr.choice(["anonymous", "0000000000", plan.ext_domestic(pr)])
            x = pr.random()
            if x < 0.25:
                disp, dur = "ANSWERED", int(lognorm(pr, 8, 0.9, 1, 120))
            elif x < 0.8:
                disp, dur = "BUSY", 0
            elif x < 0.92:
                disp, dur = "FAILED", 0
            else:
                disp, dur = "NO ANSWER", 0
            cf = caller if not caller.isdigit() else plan.fmt(caller, st)
            w.call(t, cf, plan.fmt(target, st), dur, disp, tr, pr.choice(ips), 1, "tdos:admin-line-flood")

    # --- Wangiri one-ring waves + victims' call-backs ---
    nw = 1 if us else 3
    for k in range(nw):
        pr = w.rng("wangiri%d" % k)
        name = "wangiri:onering-%d" % (k + 1)
        nums = [intl_number(pr, pr.choice(WANGIRI_CC)) for _ in range(pr.randrange(3, 40))]
        start = w.T0 + int(pr.uniform(0.05, 0.8) * (w.T1 - w.T0))
        length = lognorm(pr, 2.5 * 3600, 0.5, 1800, 8 * 3600)
        volume = vol(lognorm(pr, 15000 if not us else 6000, 0.5))
        tr = pr.choice(intl_trunks)
        ips, st = trunks[tr]
        pref = pr.choice(plan.own)
        cursor = pr.randrange(10 ** plan.sub_digits)
        for _ in range(volume):
            t = start + pr.random() * length
            cursor = (cursor + pr.randrange(1, 6)) % (10 ** plan.sub_digits)
            callee = pref + str(cursor).zfill(plan.sub_digits)
            caller = pr.choice(nums)
            x = pr.random()
            disp = "NO ANSWER" if x < 0.9 else ("FAILED" if x < 0.97 else "BUSY")
            w.call(t, "+" + caller, plan.fmt(callee, st), 0, disp, tr, pr.choice(ips), 1, name)
            if callee in plan.used and pr.random() < 0.025:
                # the victim calls back from their phone (own subscriber, outgoing)
                tb = t + int(lognorm(pr, 1800, 1.2, 30, 20 * 3600))
                node = pr.choice(anames)
                dev = "198.51.%d.%d" % (pr.randrange(100), pr.randrange(1, 255))
                w.call(tb, plan.fmt(callee, access[node]), plan.fmt(caller, access[node]),
                       int(lognorm(pr, 150, 1.0, 5, 3600)), "ANSWERED", node, dev, 0, name)

    # --- toll fraud (IRSF) from compromised PBXs and a hijacked SIP account ---
    for k in range(nfraud):
        pr_, ip, main, exts = pbxs[fraud_idx[k]]
        pr = w.rng("fraud%d" % k)
        name = "tollfraud:pbx-%d" % (k + 1)
        node = anames[(fraud_idx[k] + 1) % len(anames)]
        st = access[node]
        # the attack starts on a Friday/Saturday evening or in the night
        # unattended hours: the attack starts in the evening or at night (T0 is local midnight)
        day = pr.randrange(max(1, w.hours // 24))
        hr = pr.choice([18, 19, 20, 21, 22, 23, 24, 25, 26])
        start = w.T0 + day * 86400 + hr * 3600 + pr.randrange(3600)
        start = max(w.T0 + 4 * 3600, min(start, w.T1 - 2 * 3600))
        length = lognorm(pr, 7 * 3600, 0.7, 1800, w.T1 - start)
        dests = [intl_number(pr, pr.choice(IRSF)) for _ in range(pr.randrange(5, 80))]
        # test calls first
        for j in range(pr.randrange(2, 8)):
            t = start - pr.randrange(600, 4 * 3600)
            w.call(t, plan.fmt(pr.choice(exts), st), plan.fmt(pr.choice(dests), st),
                   pr.randrange(5, 40), "ANSWERED", node, ip, 0, name)
        channels = max(2, int(round(pr.randrange(4, 40) * min(1.0, S * 4))))
        t_ch = [start + pr.random() * 120 for _ in range(channels)]
        caller_mode = pr.choice(["main", "ext", "random"])
        scale_stop = start + length
        guard = 0
        while t_ch and guard < w.n(200000, 200):
            guard += 1
            i = min(range(len(t_ch)), key=t_ch.__getitem__)
            t = t_ch[i]
            if t >= scale_stop:
                t_ch.pop(i)
                continue
            x = pr.random()
            if x < 0.55:
                dur, disp = int(lognorm(pr, 600, 0.9, 20, 3 * 3600)), "ANSWERED"
            elif x < 0.85:
                dur, disp = 0, "FAILED"
            else:
                dur, disp = 0, "NO ANSWER"
            caller = {"main": main, "ext": pr.choice(exts)}.get(caller_mode) or plan.ext_domestic(pr)
            w.call(t, plan.fmt(caller, st), plan.fmt(pr.choice(dests), st) if pr.random() < 0.7 else "00" + pr.choice(dests),
                   dur, disp, node, ip, 0, name)
            t_ch[i] = t + dur + pr.uniform(1, 25)
    # hijacked subscriber SIP account: calls from the attacker's server, while the user
    # keeps calling from home
    pr = w.rng("hijack")
    victim_idx = pr.randrange(len(subs))
    victim = subs[victim_idx]
    node = anames[victim_idx % len(anames)]
    st = access[node]
    atk_ip = w.ext_ip(pr)
    start = w.T0 + int(pr.uniform(0.2, 0.8) * (w.T1 - w.T0))
    length = lognorm(pr, 3 * 3600, 0.7, 1200, 12 * 3600)
    dests = [intl_number(pr, pr.choice(IRSF)) for _ in range(pr.randrange(3, 30))]
    t = start
    k = 0
    while t < start + length and k < w.n(3000, 60):
        k += 1
        x = pr.random()
        disp, dur = ("ANSWERED", int(lognorm(pr, 300, 1.0, 10, 3600))) if x < 0.5 else ("FAILED", 0)
        w.call(t, plan.fmt(victim, st), "+" + pr.choice(dests), dur, disp, node, atk_ip, 0,
               "tollfraud:sip-account-1")
        t += pr.uniform(2, 40) + (dur / pr.randrange(2, 6) if dur else 0)
    return plan.own


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    pop = a.population or (POPULATIONS[0] if a.seed % 2 == 1 else POPULATIONS[1])
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="calls_", dir=a.out)
    try:
        w = World(a.seed, pop, a.scale, tmp)
        own = build(w)
        n = w.finish(os.path.join(a.out, "calls.csv"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"population": pop, "seed": a.seed, "start": w.T0, "end": w.T1,
            "own_ranges": own, "calls": n}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

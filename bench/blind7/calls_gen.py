#!/usr/bin/env python3
"""Blind round 7: call-traffic generator (robocall detection), CDR CSV.

Writes calls.csv and meta.json into --out (see FORMAT.md).
Standard library only; deterministic for a given --seed/--population/--scale.

Populations:
  terminating_carrier  a US (NANP) local carrier over two weekdays: ordinary
                       people and businesses, legitimate high-volume callers
                       (pharmacy refill reminders, a school district's alert,
                       an appointment-reminder platform, consented call
                       centres), and abusive inbound campaigns over the
                       interconnects: neighbour-spoofing auto-dialer, a
                       rotating-DID government-impersonation scam, a campaign
                       with invalid / spoofed caller IDs, overnight Wangiri
                       bursts and a TDoS flood against a hospital number.
  voip_provider        a UK VoIP / SMB provider over a Friday-Sunday weekend:
                       its own subscribers place calls (people, an outbound
                       call centre and a reminder platform with consent), one
                       customer PBX is hacked for international revenue-share
                       toll fraud overnight, one subscriber's SIP credentials
                       are used from abroad, one hosted-dialer customer runs an
                       illegal robocall campaign with rotating spoofed caller
                       IDs; inbound Wangiri and neighbour-spoofed calls.
See README.md for the published descriptions used.
"""
import argparse
import bisect
import calendar
import csv
import json
import math
import os
import random

HOUR = 3600
DAY = 86400
POPULATIONS = ("terminating_carrier", "voip_provider")


def poisson(r, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= r.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))


class World:
    def __init__(self, seed, pop, scale):
        self.r = random.Random("calls:%s:%d" % (pop, seed))
        self.pop, self.seed, self.S = pop, seed, scale
        r = self.r
        self.calls = []
        if pop == "terminating_carrier":
            self.tz = -5
            self.t0 = calendar.timegm((2026, 11, 3, 5, 0, 0))      # Tue 00:00 local
            self.days = 2
            self.cc = "1"
            self.own_blocks = ["919460", "919461", "919463", "984220", "984221", "252377", "252378"]
            self.own_ranges = ["1" + b for b in self.own_blocks]
            self.trunks = {  # name -> list of SBC addresses
                "ic-longhaul-a": ["198.51.100.%d" % i for i in (10, 11, 12)],
                "ic-longhaul-b": ["203.0.113.%d" % i for i in (20, 21)],
                "ic-tandem-rdu": ["192.0.2.%d" % i for i in (30, 31)],
                "ic-mobile-x": ["100.64.%d.%d" % (r.randint(0, 63), r.randint(1, 254)) for _ in range(3)],
                "ic-wholesale-voip-1": ["%d.%d.%d.%d" % (r.choice((23, 45, 64, 66, 69, 104, 107, 162, 173, 192, 204, 208, 216)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(4)],
                "ic-wholesale-voip-2": ["%d.%d.%d.%d" % (r.choice((38, 50, 63, 67, 72, 74, 96, 108, 142, 147, 199, 206, 209)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(3)],
                "ic-intl-gw": ["%d.%d.%d.%d" % (r.choice((62, 77, 80, 81, 85, 185, 193, 194, 195, 212, 213, 217)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(2)],
            }
            self.access = {"acc-rdu-1": "10.40.0.%d", "acc-rdu-2": "10.40.1.%d", "acc-gso-1": "10.41.0.%d"}
            self.national = "ic-tandem-rdu"       # legacy interconnect sends national (10-digit) numbers
        else:
            self.tz = 0
            self.t0 = calendar.timegm((2026, 11, 13, 0, 0, 0))     # Fri 00:00
            self.days = 3
            self.cc = "44"
            self.own_blocks = ["20380", "20381", "161550", "113496", "7893"]
            self.own_ranges = ["44" + b for b in self.own_blocks]
            self.trunks = {
                "ic-bt-transit": ["194.72.%d.%d" % (r.randint(0, 255), r.randint(1, 254)) for _ in range(3)],
                "ic-mobile-a": ["212.183.%d.%d" % (r.randint(0, 255), r.randint(1, 254)) for _ in range(2)],
                "ic-mobile-b": ["82.132.%d.%d" % (r.randint(0, 255), r.randint(1, 254)) for _ in range(2)],
                "ic-wholesale-eu": ["%d.%d.%d.%d" % (r.choice((5, 31, 37, 46, 77, 78, 80, 85, 91, 185, 188, 193)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(4)],
                "ic-intl-hub": ["%d.%d.%d.%d" % (r.choice((62, 80, 81, 195, 213, 217)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(2)],
            }
            self.access = {"acc-lon-1": None, "acc-man-1": None}
            self.national = "ic-bt-transit"
        self.t1 = self.t0 + self.days * DAY
        # own subscribers
        n_subs = max(500, int((40000 if pop == "terminating_carrier" else 25000) * min(1.0, scale * 3)))
        self.subs = list({self.own_number() for _ in range(n_subs)})
        self.subs.sort()
        r.shuffle(self.subs)
        self.sub_ip = {}
        self.sub_node = {}
        nodes = list(self.access)
        for i, s in enumerate(self.subs):
            self.sub_node[s] = nodes[i % len(nodes)]
            self.sub_ip[s] = self.public_ip() if pop == "voip_provider" else (self.access[self.sub_node[s]] % (1 + i % 250))
        # activity weights: a few subscribers receive/place many calls
        self.sub_w = [r.paretovariate(1.5) for _ in self.subs]
        self.cum = []
        acc = 0.0
        for x in self.sub_w:
            acc += x
            self.cum.append(acc)

    # ---- numbering
    def nanp(self, npa=None, nxx=None):
        r = self.r
        while npa is None:
            x = "%d%d%d" % (r.randint(2, 9), r.randint(0, 9), r.randint(0, 9))
            if x[1:] != "11" and x not in ("555", "900", "800", "888", "877", "866", "855", "844", "833"):
                npa = x
        if nxx is None:
            nxx = "%d%02d" % (r.randint(2, 9), r.randint(0, 99))
        return "+1" + npa + nxx + "%04d" % r.randint(0, 9999)

    def uk(self):
        r = self.r
        k = r.random()
        if k < 0.45:
            return "+447" + "%d" % r.choice((4, 5, 7, 8, 9)) + "%08d" % r.randint(0, 99999999)
        if k < 0.7:
            return "+4420" + "%d%07d" % (r.choice((3, 7, 8)), r.randint(0, 9999999))
        return "+44" + r.choice(("121", "131", "141", "151", "161", "113", "114", "117", "118", "1223", "1865", "1908", "1752")) + "%06d" % r.randint(0, 999999)

    def other_number(self):
        return self.nanp() if self.cc == "1" else self.uk()

    def own_number(self):
        b = self.r.choice(self.own_blocks)
        return "+" + self.cc + b + "%0*d" % (12 - len(self.cc) - len(b) if self.cc == "44" else 10 - len(b), self.r.randint(0, 10 ** ((12 - len(self.cc) - len(b)) if self.cc == "44" else (10 - len(b))) - 1))

    def public_ip(self):
        r = self.r
        return "%d.%d.%d.%d" % (r.choice((2, 5, 31, 46, 51, 62, 77, 78, 79, 81, 82, 86, 87, 88, 89, 90, 92, 94, 109, 176, 178, 185, 188, 212, 213, 217)),
                                r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))

    def pick_sub(self):

        return self.subs[bisect.bisect_left(self.cum, self.r.random() * self.cum[-1])]

    def local_hour(self, t):
        return ((t + self.tz * HOUR) // HOUR) % 24

    def weekday(self, t):
        return ((t + self.tz * HOUR) // DAY + 3) % 7   # 0 = Monday

    def fmt(self, num, trunk):
        """How the number appears in signalling on this trunk."""
        if trunk == self.national and num.startswith("+" + self.cc):
            return num[1 + len(self.cc):] if self.cc == "1" else "0" + num[3:]
        return num

    def add(self, t, caller, callee, dur, disp, trunk, ip, ext, label):
        if self.t0 <= t < self.t1:
            self.calls.append((int(t), caller, callee, int(dur), disp, trunk, ip, ext, label))


PEOPLE_PROF = [0.1, 0.05, 0.03, 0.03, 0.04, 0.1, 0.35, 0.7, 1.0, 1.15, 1.2, 1.2, 1.15, 1.15, 1.2, 1.25, 1.3, 1.35, 1.3, 1.2, 1.0, 0.75, 0.45, 0.2]


def at_profile(w, day_start, prof):
    r = w.r
    tot = sum(prof)
    x = r.random() * tot
    h = 0
    while x > prof[h]:
        x -= prof[h]
        h += 1
    return day_start + ((h) % 24) * HOUR + r.randrange(HOUR)


def human_outcome(w, pa=0.68):
    r = w.r
    x = r.random()
    if x < pa:
        return min(7200, int(r.lognormvariate(math.log(75), 1.1)) + 3), "ANSWERED"
    x = r.random()
    if x < 0.8:
        return 0, "NO ANSWER"
    if x < 0.93:
        return 0, "BUSY"
    return 0, "FAILED"


# --------------------------------------------------------------- legitimate traffic
def people(w, per_day, inbound_share, label="normal"):
    r = w.r
    trunks = [t for t in w.trunks if "intl" not in t]
    tw = [4 if "longhaul" in t or "transit" in t else (3 if "mobile" in t else (2 if "tandem" in t else 1)) for t in trunks]
    for d in range(w.days):
        ds = w.t0 + d * DAY
        wk = 0.75 if w.weekday(ds + 12 * HOUR) >= 5 else 1.0
        for _ in range(poisson(r, per_day * wk)):
            t = at_profile(w, ds, PEOPLE_PROF)
            dur, disp = human_outcome(w)
            x = r.random()
            if x < inbound_share:           # from another network to one of ours
                trunk = r.choices(trunks, tw)[0]
                if r.random() < 0.03:
                    caller = "+" + r.choice(("44", "49", "33", "52", "91", "63", "1", "234", "48")) + "%010d" % r.randint(0, 9999999999)
                    trunk = [k for k in w.trunks if "intl" in k][0]
                else:
                    caller = w.other_number()
                w.add(t, w.fmt(caller, trunk), w.fmt(w.pick_sub(), trunk), dur, disp, trunk, r.choice(w.trunks[trunk]), 1, label)
            else:                            # one of ours calling (on-net or off-net)
                s = w.pick_sub()
                callee = w.pick_sub() if r.random() < 0.2 else (w.other_number() if r.random() < 0.97 else "+" + r.choice(("44", "49", "33", "52", "91", "63", "234", "353")) + "%010d" % r.randint(0, 9999999999))
                w.add(t, s, callee, dur, disp, w.sub_node[s], w.sub_ip[s], 0, label)


def business_hours(w, ds, start_h, end_h, weekdays_only=True):
    r = w.r
    if weekdays_only and w.weekday(ds + 12 * HOUR) >= 5:
        return None
    return ds + ((start_h) % 24) * HOUR + r.random() * (end_h - start_h) * HOUR


def mass_caller(w, name, callers, per_day, hours, pa, dur_mu, trunk, ip, ext, weekdays_only=True, vm=True, own_callee=True):
    """A legitimate high-volume caller (reminders, consented call centre)."""
    r = w.r
    for d in range(w.days):
        ds = w.t0 + d * DAY
        for _ in range(poisson(r, per_day)):
            t = business_hours(w, ds, hours[0], hours[1], weekdays_only)
            if t is None:
                break
            callee = w.pick_sub() if own_callee else w.other_number()
            x = r.random()
            if x < pa:
                dur, disp = int(r.lognormvariate(math.log(dur_mu), 0.6)) + 5, "ANSWERED"
            elif vm and x < pa + 0.2:
                dur, disp = r.randint(18, 45), "ANSWERED"     # voicemail picked up, message left
            else:
                dur, disp = 0, r.choice(("NO ANSWER", "NO ANSWER", "NO ANSWER", "BUSY", "FAILED"))
            tr = trunk if isinstance(trunk, str) else r.choice(trunk)
            w.add(t, w.fmt(r.choice(callers), tr), w.fmt(callee, tr) if ext else callee, dur, disp, tr, ip if isinstance(ip, str) else r.choice(ip), ext, "normal")


def school_alert(w, caller, n, trunk, ip, when):
    r = w.r
    recips = [w.pick_sub() for _ in range(n)]
    for i, c in enumerate(recips):
        t = when + i * r.uniform(0.05, 0.25)
        x = r.random()
        if x < 0.55:
            dur, disp = r.randint(25, 70), "ANSWERED"
        elif x < 0.8:
            dur, disp = r.randint(30, 60), "ANSWERED"
        else:
            dur, disp = 0, r.choice(("NO ANSWER", "BUSY", "FAILED"))
        w.add(t, w.fmt(caller, trunk), w.fmt(c, trunk), dur, disp, trunk, ip, 1, "normal")


# --------------------------------------------------------------- abusive traffic
def robo_outcome(w, pa=0.18, transfer=0.03):
    r = w.r
    x = r.random()
    if x < pa:
        if r.random() < transfer:
            return r.randint(90, 900), "ANSWERED"         # pressed 1: live agent
        return int(r.lognormvariate(math.log(9), 0.8)) + 1, "ANSWERED"
    y = r.random()
    return 0, ("NO ANSWER" if y < 0.8 else ("BUSY" if y < 0.88 else "FAILED"))


def neighbour_spoof(w, name, per_day, trunks, hours, pa=0.2):
    r = w.r
    for d in range(w.days):
        ds = w.t0 + d * DAY
        if w.weekday(ds + 12 * HOUR) == 6:
            continue
        for _ in range(poisson(r, per_day)):
            t = ds + ((hours[0]) % 24) * HOUR + r.random() * (hours[1] - hours[0]) * HOUR
            callee = w.pick_sub() if r.random() < 0.7 else w.own_number()   # dialer lists include unassigned numbers
            digits = callee[1:]
            keep = len(w.cc) + (6 if w.cc == "1" else 5)
            caller = "+" + digits[:keep] + "".join(str(r.randint(0, 9)) for _ in range(len(digits) - keep))
            dur, disp = robo_outcome(w, pa)
            if callee not in w.sub_ip and disp != "FAILED" and r.random() < 0.9:
                dur, disp = 0, "FAILED"                                  # unallocated number
            tr = r.choice(trunks)
            w.add(t, w.fmt(caller, tr), w.fmt(callee, tr), dur, disp, tr, r.choice(w.trunks[tr]), 1, "spoof:" + name)


def rotating_did(w, name, per_day, trunk, ip_pool, hours, pool_size, uses):
    r = w.r
    live = []
    for d in range(w.days):
        ds = w.t0 + d * DAY
        for _ in range(poisson(r, per_day)):
            t = ds + ((hours[0]) % 24) * HOUR + r.random() * (hours[1] - hours[0]) * HOUR
            if len(live) < pool_size or r.random() < 1.0 / uses:
                num = w.other_number()
                if len(live) >= pool_size:
                    live[r.randrange(pool_size)] = num
                else:
                    live.append(num)
            caller = r.choice(live)
            dur, disp = robo_outcome(w, 0.12, 0.02)
            w.add(t, w.fmt(caller, trunk), w.fmt(w.pick_sub(), trunk), dur, disp, trunk, r.choice(ip_pool), 1, "robocall:" + name)


def invalid_cid(w, name, per_day, trunk, ip_pool, hours):
    r = w.r
    if w.cc == "1":
        fixed = ["+12025550100", "+18005550199", "+12024561111", "+18778294636"]   # look-alike "government" numbers
    else:
        fixed = ["+443000000000", "+442079460000", "+448000000001"]

    def bad():
        k = r.random()
        if k < 0.3:
            return r.choice(fixed)
        if k < 0.45:
            return "+1" + "%d%09d" % (r.choice((0, 1)), r.randint(0, 999999999)) if w.cc == "1" else "+440" + "%09d" % r.randint(0, 999999999)
        if k < 0.6:
            return "%0*d" % (r.choice((4, 5, 7, 8, 9)), 0) if r.random() < 0.3 else str(r.randint(1000, 99999999))
        if k < 0.7:
            return "anonymous"
        if k < 0.85:
            return "+" + w.cc + "0" * (10 if w.cc == "1" else 10)
        return "+" + w.cc + "%011d" % r.randint(0, 99999999999)   # too long
    for d in range(w.days):
        ds = w.t0 + d * DAY
        for _ in range(poisson(r, per_day)):
            t = ds + ((hours[0]) % 24) * HOUR + r.random() * (hours[1] - hours[0]) * HOUR
            dur, disp = robo_outcome(w, 0.14, 0.04)
            w.add(t, bad(), w.fmt(w.pick_sub(), trunk), dur, disp, trunk, r.choice(ip_pool), 1, "robocall:" + name)


def wangiri(w, name, waves, trunk, prefixes):
    r = w.r
    callers = ["+" + p + "%0*d" % (8, r.randint(0, 99999999)) for p in prefixes for _ in range(r.randint(3, 12))]
    for start, n, span in waves:
        # sequential / range-walking callee lists, as reported for one-ring campaigns
        base = r.choice(w.own_blocks)
        cur = r.randint(0, 5000)
        for i in range(n):
            t = start + span * (i / float(n)) + r.uniform(0, 2)
            if r.random() < 0.6:
                cur += 1
                width = (10 - len(base)) if w.cc == "1" else (12 - len(w.cc) - len(base))
                callee = "+" + w.cc + base + "%0*d" % (width, cur % (10 ** width))
            else:
                callee = w.pick_sub()
            x = r.random()
            if x < 0.9:
                dur, disp = 0, "NO ANSWER"      # caller cancels after one or two rings
            elif x < 0.96:
                dur, disp = 0, "BUSY"
            elif x < 0.985:
                dur, disp = 0, "FAILED"
            else:
                dur, disp = r.randint(1, 3), "ANSWERED"
            w.add(t, r.choice(callers), w.fmt(callee, trunk), dur, disp, trunk, r.choice(w.trunks[trunk]), 1, "wangiri:" + name)


def tdos(w, name, target, start, length, rate_per_s, trunks):
    r = w.r
    n = int(length * rate_per_s)
    for i in range(n):
        t = start + r.random() * length
        tr = r.choice(trunks)
        x = r.random()
        if x < 0.25:
            dur, disp = r.randint(1, 20), "ANSWERED"   # silence / noise then drop
        elif x < 0.75:
            dur, disp = 0, "BUSY"                     # lines saturated
        else:
            dur, disp = 0, r.choice(("FAILED", "NO ANSWER"))
        w.add(t, w.fmt(w.other_number(), tr), w.fmt(target, tr), dur, disp, tr, r.choice(w.trunks[tr]), 1, "tdos:" + name)


def toll_fraud(w, name, pbx_callers, ip_list, trunk_node, start, length, conc, dests):
    """Hacked PBX / SIP account pumping calls to international premium-rate ranges."""
    r = w.r
    t = start
    lines = [start + r.uniform(0, 120) for _ in range(conc)]
    end = start + length
    for k in range(conc):
        t = lines[k]
        while t < end:
            p = r.choice(dests)
            callee = "+" + p + "%0*d" % (r.randint(6, 9), r.randint(0, 10 ** 6 - 1))
            x = r.random()
            if x < 0.75:
                dur, disp = int(r.uniform(60, 3600) if r.random() < 0.6 else r.uniform(5, 60)), "ANSWERED"
            else:
                dur, disp = 0, r.choice(("FAILED", "FAILED", "BUSY", "NO ANSWER"))
            w.add(t, r.choice(pbx_callers), callee, dur, disp, trunk_node, r.choice(ip_list), 0, "tollfraud:" + name)
            t += dur + r.uniform(1, 30)


def dialer_customer(w, name, per_day, hours, node, ip, pool):
    """An own hosted-dialer customer running an unlawful campaign with rotating, spoofed caller IDs."""
    r = w.r
    for d in range(w.days):
        ds = w.t0 + d * DAY
        if w.weekday(ds + 12 * HOUR) == 6:
            continue
        for _ in range(poisson(r, per_day)):
            t = ds + ((hours[0]) % 24) * HOUR + r.random() * (hours[1] - hours[0]) * HOUR
            callee = w.other_number()
            caller = w.other_number() if r.random() < 0.7 else "+" + callee[1:-4] + "%04d" % r.randint(0, 9999)
            dur, disp = robo_outcome(w, 0.16, 0.03)
            w.add(t, caller, callee, dur, disp, node, ip, 0, "robocall:" + name)


# --------------------------------------------------------------- populations
def build(w):
    r, S = w.r, w.S
    if w.pop == "terminating_carrier":
        people(w, 250000 * S, 0.62)
        # pharmacy refill reminders (consented, fixed caller IDs, daytime)
        for i in range(3):
            cids = [w.nanp() for _ in range(r.randint(1, 3))]
            tr = r.choice(("ic-wholesale-voip-1", "ic-longhaul-a", "ic-longhaul-b"))
            mass_caller(w, "pharmacy%d" % i, cids, 5000 * S * r.uniform(0.6, 1.4), (9, 19), 0.5, 40, tr, r.choice(w.trunks[tr]), 1, weekdays_only=False)
        # appointment-reminder platform: many clinics, each its own caller ID, one platform
        clinics = [w.nanp(npa=r.choice(("919", "984", "252", "336"))) for _ in range(400)]
        mass_caller(w, "reminders", clinics, 8000 * S, (8, 20), 0.55, 30, "ic-wholesale-voip-2", w.trunks["ic-wholesale-voip-2"], 1)
        # consented call centres (bank service callbacks, utility notifications)
        for i in range(2):
            block = w.nanp()[:-2]
            cids = [block + "%02d" % k for k in r.sample(range(100), 20)]
            tr = r.choice(("ic-longhaul-a", "ic-longhaul-b"))
            mass_caller(w, "callcentre%d" % i, cids, 10000 * S * r.uniform(0.6, 1.4), (8, 20), 0.35, 180, tr, w.trunks[tr], 1, vm=False)
        # school district alert: early-morning weather closure on day 2, afternoon reminder on day 1
        school_cid = w.nanp(npa="919")
        school_alert(w, school_cid, int(12000 * S), "ic-wholesale-voip-1", w.trunks["ic-wholesale-voip-1"][0], w.t0 + DAY + 5.5 * HOUR + r.uniform(0, 1800))
        school_alert(w, school_cid, int(9000 * S), "ic-wholesale-voip-1", w.trunks["ic-wholesale-voip-1"][0], w.t0 + 16 * HOUR + r.uniform(0, 3600))
        # abusive campaigns
        neighbour_spoof(w, "auto-warranty", 60000 * S, ["ic-wholesale-voip-1", "ic-wholesale-voip-2"], (9, 20), 0.2)
        rotating_did(w, "ssa-impersonation", 30000 * S, "ic-wholesale-voip-2", w.trunks["ic-wholesale-voip-2"], (8, 19), 300, 150)
        invalid_cid(w, "irs-badcid", 15000 * S, "ic-longhaul-b", w.trunks["ic-longhaul-b"], (10, 18))
        wangiri(w, "onering-222", [(w.t0 + HOUR + r.uniform(0, 3600), int(40000 * S), r.uniform(2, 4) * HOUR),
                                   (w.t0 + DAY + r.uniform(0.5, 1.5) * HOUR, int(40000 * S), r.uniform(2, 5) * HOUR)], "ic-intl-gw", ["222", "216", "371"])
        hospital = r.choice(w.subs)
        tdos(w, "hospital", hospital, w.t0 + DAY + 14 * HOUR + r.uniform(0, 3600), r.uniform(1.5, 2.5) * HOUR, 3.5 * S,
             ["ic-wholesale-voip-1", "ic-wholesale-voip-2", "ic-longhaul-a"])
    else:
        people(w, 180000 * S, 0.55)
        # own outbound call centre (utility, consented) and a GP-surgery reminder platform, both subscribers of ours
        cc_ip = w.public_ip()
        cc_cids = ["+44" + w.own_blocks[0] + "%05d" % k for k in r.sample(range(100000), 30)]
        mass_caller(w, "utility-cc", cc_cids, 25000 * S, (9, 20), 0.33, 200, "acc-lon-1", cc_ip, 0, own_callee=False)
        rem_ip = w.public_ip()
        rem_cids = ["+44" + w.own_blocks[2] + "%06d" % k for k in r.sample(range(1000000), 120)]
        mass_caller(w, "gp-reminders", rem_cids, 6000 * S, (9, 18), 0.5, 35, "acc-man-1", rem_ip, 0, own_callee=False)
        # hacked customer PBX: normal office traffic Friday, toll fraud from Friday night into Saturday
        pbx_ip = w.public_ip()
        pbx_dids = ["+44" + w.own_blocks[1] + "%05d" % k for k in range(r.randint(0, 90000), 0, -1)][:r.randint(10, 40)] or ["+44" + w.own_blocks[1] + "00001"]
        mass_caller(w, "pbx-office", pbx_dids, 800 * S ** 0.5, (8, 18), 0.6, 120, "acc-lon-1", pbx_ip, 0, own_callee=False)
        premium = ["882", "881", "53", "252", "371", "960", "223", "230", "675", "269", "41900"]
        toll_fraud(w, "pbx-weekend", pbx_dids, [pbx_ip], "acc-lon-1", w.t0 + (22 + r.uniform(0, 3)) * HOUR, r.uniform(14, 30) * HOUR,
                   max(2, int(30 * S ** 0.5)), r.sample(premium, 4))
        # SIP credentials of a small subscriber registered from abroad
        victim = r.choice(w.subs)
        foreign = ["%d.%d.%d.%d" % (r.choice((41, 102, 105, 154, 196, 197, 45, 91, 185)), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)) for _ in range(2)]
        toll_fraud(w, "sip-account", [victim], foreign, w.sub_node[victim], w.t0 + DAY + (r.uniform(1, 20)) * HOUR, r.uniform(3, 10) * HOUR,
                   max(2, int(8 * S ** 0.5)), r.sample(premium, 3))
        # our hosted-dialer customer running an illegal campaign (Fri + Sat)
        dialer_customer(w, "dialer-cust-energy", 50000 * S, (9, 20), "acc-man-1", w.public_ip(), 0)
        # inbound abuse
        neighbour_spoof(w, "hmrc-local", 30000 * S, ["ic-wholesale-eu", "ic-intl-hub"], (9, 19), 0.18)
        wangiri(w, "onering-225", [(w.t0 + (r.uniform(0, 3)) * HOUR, int(20000 * S), r.uniform(1, 3) * HOUR),
                                   (w.t0 + 2 * DAY + r.uniform(1, 4) * HOUR, int(30000 * S), r.uniform(2, 4) * HOUR)], "ic-intl-hub", ["225", "243", "222", "232"])
        rotating_did(w, "courier-scam", 15000 * S, "ic-wholesale-eu", w.trunks["ic-wholesale-eu"], (8, 20), 150, 80)


def run(seed, pop, scale, outdir):
    w = World(seed, pop, scale)
    build(w)
    w.calls.sort(key=lambda c: (c[0], c[1], c[2]))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "calls.csv"), "w", newline="") as f:
        cw = csv.writer(f, lineterminator="\r\n")
        cw.writerow(("time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"))
        cw.writerows(w.calls)
    meta = {"population": pop, "seed": seed, "start": w.t0, "end": w.t1, "own_ranges": w.own_ranges, "calls": len(w.calls)}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="terminating_carrier", choices=POPULATIONS)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    print(json.dumps(run(a.seed, a.population, a.scale, a.out)))


if __name__ == "__main__":
    main()

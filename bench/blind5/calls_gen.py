#!/usr/bin/env python3
"""Synthetic CDRs for robocall / telephony-fraud detection (see README.md, FORMAT.md "Call traffic").

Populations:
  terminating - a US local/terminating carrier over 2 days: person-to-person calls over several
                interconnects, legitimate high-volume callers (pharmacy and appointment reminders,
                a school-closure alert burst, a bank's fraud alerts, a collections call centre with
                local-presence caller IDs), robocall campaigns with rotating / block / invalid /
                single caller IDs, neighbour spoofing, impersonation of a real bank number,
                a Wangiri wave with callbacks, and a TDoS flood against a hospital's numbers.
  mobile      - a UK mobile + VoIP provider over 3 days: own subscribers' calls, business PBXs,
                a taxi dispatcher, flash-call OTP verification (looks like Wangiri, legitimate),
                a hacked PBX pumping International Revenue Share Fraud, a stolen SIP account used
                as robocall origination, inbound neighbour-spoofed robocalls and Wangiri.
Standard library only; deterministic for a given --seed.
"""
import argparse
import csv
import heapq
import json
import math
import os
import random

DAY = 86400
HOUR = 3600

US_NPA = [201, 202, 203, 205, 206, 210, 212, 213, 214, 215, 216, 217, 240, 248, 267, 281, 301, 302,
          303, 305, 310, 312, 313, 314, 317, 321, 336, 347, 404, 405, 407, 408, 410, 412, 414, 415,
          423, 434, 440, 469, 470, 478, 480, 501, 502, 503, 504, 512, 513, 520, 540, 561, 571, 602,
          612, 614, 615, 617, 619, 630, 646, 650, 678, 702, 703, 704, 706, 713, 714, 717, 718, 720,
          727, 732, 754, 757, 770, 773, 786, 801, 803, 804, 813, 817, 832, 843, 856, 864, 904, 909,
          910, 912, 914, 916, 917, 919, 929, 937, 941, 954, 970, 972, 973, 980, 984]
PREMIUM_INTL = ["216", "225", "223", "676", "882", "881", "257", "232", "224", "355", "371", "53",
                "242", "679", "220", "267", "370", "675"]


def lognorm(r, median, sigma):
    return median * math.exp(r.gauss(0.0, sigma))


def diurnal(t, tz, kind):
    lt = t + tz
    h = (lt % DAY) / 3600.0
    wd = int((lt // DAY + 4) % 7)
    wk = wd >= 5
    if kind == "people":
        v = 0.03 + math.exp(-((h - 11.5) ** 2) / 9.0) + 0.9 * math.exp(-((h - 17.5) ** 2) / 9.0)
        return v * (0.7 if wk else 1.0)
    if kind == "business":
        v = 0.01 + (1.0 if 8.5 <= h < 18 else 0.0) * (0.8 + 0.2 * math.sin((h - 8.5) / 9.5 * math.pi))
        return v * (0.15 if wk else 1.0)
    if kind == "telemarket":  # 9-20 local (US TCPA hours 8-21)
        return (1.0 if 9 <= h < 20 else 0.0) * (0.6 if wk else 1.0)
    if kind == "night":
        return 1.0 if (h < 5 or h >= 23) else 0.05
    return 1.0


def arrivals(r, start, end, per_day, tz, kind):
    out = []
    if per_day <= 0:
        return out
    lam = per_day / DAY * 2.2
    t = float(start)
    while True:
        t += r.expovariate(lam)
        if t >= end:
            return out
        if r.random() * 2.2 < diurnal(t, tz, kind):
            out.append(t)


class World:
    def __init__(self, r, start, end, tz):
        self.r = r
        self.start = start
        self.end = end
        self.tz = tz
        self.calls = []
        self.seq = 0

    def add(self, t, caller, callee, dur, disp, trunk, ip, ext, label):
        t = int(t)
        if t < self.start or t >= self.end:
            return
        self.seq += 1
        self.calls.append((t, self.seq, caller, callee, int(dur) if disp == "ANSWERED" else 0, disp, trunk, ip, ext, label))


def ipv4(r, firsts=(12, 23, 38, 45, 50, 63, 64, 66, 67, 69, 70, 72, 74, 96, 104, 107, 108, 162, 173, 184, 198, 199, 204, 205, 206, 208, 209, 216)):
    return "%d.%d.%d.%d" % (r.choice(firsts), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


# --- number plans ---------------------------------------------------------------------------
def nanp(r, npa=None, nxx=None):
    npa = npa or r.choice(US_NPA)
    if nxx is None:
        nxx = r.randint(200, 999)
        while nxx % 100 == 11:
            nxx = r.randint(200, 999)
    return "1%03d%03d%04d" % (npa, nxx, r.randint(0, 9999))


def fmt_us(num, style):
    """num: 11 digits starting with 1."""
    if style == "e164":
        return "+" + num
    if style == "nat10":
        return num[1:]
    return num  # 11 digits


def uk_mobile(r):
    return "447%d%08d" % (r.randint(4, 9), r.randint(0, 99999999))


def uk_geo(r):
    return "44%s%06d" % (r.choice(["20", "121", "161", "113", "117", "131", "141", "1632"]), r.randint(0, 999999))


def fmt_uk(num, style):
    if style == "e164":
        return "+" + num
    if style == "nat":
        return "0" + num[2:] if num.startswith("44") else "00" + num
    return num


def outcome_person(r, ans=0.58, busy=0.03, fail=0.01, med=75, sig=1.1):
    x = r.random()
    if x < ans:
        return "ANSWERED", max(1, lognorm(r, med, sig))
    if x < ans + busy:
        return "BUSY", 0
    if x < ans + busy + fail:
        return "FAILED", 0
    return "NO ANSWER", 0


class Subscribers:
    def __init__(self, r, prefixes, n, digits_after):
        self.r = r
        self.prefixes = prefixes
        self.digits = digits_after
        nums = set()
        cap = len(prefixes) * (10 ** digits_after)
        n = min(n, int(cap * 0.9))
        while len(nums) < n:
            nums.add("%s%0*d" % (r.choice(prefixes), digits_after, r.randrange(10 ** digits_after)))
        self.list = sorted(nums)
        self.set = set(self.list)
        # heavy-tailed popularity
        self.w = [lognorm(r, 1.0, 1.0) for _ in self.list]
        acc, cw = 0.0, []
        for x in self.w:
            acc += x
            cw.append(acc)
        self.cw = cw

    def pick(self):
        import bisect
        return self.list[bisect.bisect_left(self.cw, self.r.random() * self.cw[-1])]

    def uniform(self):
        return self.r.choice(self.list)

    def sweep(self, start_idx, k):
        """k consecutive numbers in the own ranges starting at a random point (assigned or not)."""
        p = self.r.choice(self.prefixes)
        base = self.r.randrange(10 ** self.digits)
        return ["%s%0*d" % (p, self.digits, (base + i) % (10 ** self.digits)) for i in range(k)]


class Trunk:
    def __init__(self, name, ips, style):
        self.name = name
        self.ips = ips
        self.style = style


# --- terminating carrier (US) -----------------------------------------------------------------
def pop_terminating(w, scale):
    r = w.r
    tz = -5 * HOUR
    npas = r.sample([919, 984, 336, 704, 910, 828, 252], 3)
    prefixes = []
    for npa in npas:
        for _ in range(2):
            prefixes.append("1%03d%03d" % (npa, r.randint(200, 999)))
    prefixes = sorted(set(prefixes))
    subs = Subscribers(r, prefixes, max(300, int(42000 * scale)), 4)
    trunks = {
        "t1a": Trunk("IC-TIER1-A", [ipv4(r) for _ in range(4)], "e164"),
        "t1b": Trunk("IC-TIER1-B", [ipv4(r) for _ in range(3)], "e164"),
        "ilec": Trunk("IC-ILEC-TANDEM", [ipv4(r) for _ in range(2)], "nat10"),
        "wir": Trunk("IC-WIRELESS-1", [ipv4(r) for _ in range(4)], "e164"),
        "wh1": Trunk("IC-WHOLESALE-VOIP-1", [ipv4(r) for _ in range(2)], "e164"),
        "wh2": Trunk("IC-WHOLESALE-VOIP-2", [ipv4(r) for _ in range(2)], "nat11"),
        "intl": Trunk("IC-INTL-GW", [ipv4(r) for _ in range(2)], "e164"),
    }
    legit_mix = [("t1a", 30), ("t1b", 20), ("ilec", 15), ("wir", 30), ("wh1", 3), ("wh2", 2)]
    # external callers: a large pool with repeat behaviour
    ext_pool = [nanp(r, npa=(r.choice(npas) if r.random() < 0.5 else None)) for _ in range(max(2000, int(250000 * scale)))]
    days = (w.end - w.start) / DAY

    # 1) inbound person-to-person / business calls
    busy_until = {}
    for t in arrivals(r, w.start, w.end, 520000 * scale + 2000, tz, "people"):
        tk = trunks[r.choices([k for k, _ in legit_mix], [v for _, v in legit_mix])[0]]
        callee = subs.pick() if r.random() < 0.985 else subs.sweep(0, 1)[0]
        caller = r.choice(ext_pool)
        if callee not in subs.set:
            disp, dur = "FAILED", 0
        else:
            disp, dur = outcome_person(r)
        if r.random() < 0.015:  # withheld / odd formatting from legitimate PBXs
            caller = r.choice(["anonymous", "Restricted", caller[1:], "+" + caller])
        else:
            caller = fmt_us(caller, tk.style)
        w.add(t, caller, fmt_us(callee, tk.style), dur, disp, tk.name, r.choice(tk.ips), 1, "normal")
    # 2) own subscribers' outgoing calls (on-net and off-net)
    access = [("ACCESS-SBC-1", ipv4(r)), ("ACCESS-SBC-2", ipv4(r))]
    pbx_ip = {}
    for t in arrivals(r, w.start, w.end, 300000 * scale + 1000, tz, "people"):
        caller = subs.pick()
        callee = subs.pick() if r.random() < 0.2 else r.choice(ext_pool)
        if r.random() < 0.02:
            callee = "011%s%d" % (r.choice(["44", "52", "91", "63", "49"]), r.randint(10 ** 8, 10 ** 10))
        node = access[hash_i(caller) % 2]
        # residential VoIP / enterprise PBX address behind the access node
        ip = pbx_ip.setdefault(caller, ipv4(r, (24, 47, 65, 66, 67, 68, 69, 70, 71, 73, 75, 76, 96, 97, 98, 99, 174)))
        disp, dur = outcome_person(r)
        w.add(t, "+" + caller, fmt_us(callee, "e164") if not callee.startswith("011") else callee, dur, disp, node[0], ip, 0, "normal")

    # 3) legitimate high-volume callers
    def reminder(name_num, per_day, tk, ans=0.45, med=35, kind="telemarket", vm=0.25):
        for t in arrivals(r, w.start, w.end, per_day, tz, kind):
            callee = subs.uniform()
            x = r.random()
            if x < ans:
                disp, dur = "ANSWERED", lognorm(r, med, 0.4)
            elif x < ans + vm:  # voicemail picks up: answered, longer message
                disp, dur = "ANSWERED", lognorm(r, 30, 0.3)
            else:
                disp, dur = r.choice(["NO ANSWER", "NO ANSWER", "BUSY"]), 0
            w.add(t, fmt_us(name_num, tk.style), fmt_us(callee, tk.style), dur, disp, tk.name, tk.ips[0], 1, "normal")
    pharm = nanp(r, npa=npas[0])
    reminder(pharm, 2500 * scale + 30, trunks["t1a"])
    reminder(nanp(r), 1800 * scale + 20, trunks["t1b"], ans=0.5, med=45)  # clinic appointment reminders
    bank = nanp(r, npa=r.choice([704, 302, 212]))
    reminder(bank, 1200 * scale + 15, trunks["t1a"], ans=0.4, med=50, kind="people", vm=0.2)  # fraud alerts
    # school district closure alert: one burst early morning, same caller ID, thousands of parents
    school = nanp(r, npa=npas[1])
    tb = w.start + int(r.uniform(0, days - 1)) * DAY + int(6.2 * HOUR)
    tk = trunks["t1b"]
    nb = int(9000 * scale) + 50
    for i in range(nb):
        t = tb + r.expovariate(1.0) * 300
        disp, dur = ("ANSWERED", lognorm(r, 40, 0.3)) if r.random() < 0.7 else ("NO ANSWER", 0)
        w.add(t, fmt_us(school, tk.style), fmt_us(subs.uniform(), tk.style), dur, disp, tk.name, tk.ips[1], 1, "normal")
    # collections call centre: predictive dialer, local-presence caller IDs (same NPA as callee)
    cc_ids = {npa: [nanp(r, npa=npa) for _ in range(3)] for npa in npas}
    cc_ip = ipv4(r)
    for t in arrivals(r, w.start, w.end, 9000 * scale + 60, tz, "telemarket"):
        callee = subs.uniform()
        npa = int(callee[1:4])
        caller = r.choice(cc_ids.get(npa, cc_ids[npas[0]]))
        x = r.random()
        if x < 0.18:
            disp, dur = "ANSWERED", lognorm(r, 150, 0.8)
        elif x < 0.25:
            disp, dur = "ANSWERED", lognorm(r, 25, 0.3)  # voicemail / abandoned after 2s silence rule
        else:
            disp, dur = r.choice(["NO ANSWER", "NO ANSWER", "NO ANSWER", "BUSY"]), 0
        w.add(t, "+" + caller, "+" + callee, dur, disp, "IC-TIER1-B", cc_ip, 1, "normal")

    # 4) robocall campaigns
    camps = [("auto-warranty", "rotate"), ("ssa-suspension", "neighbor"), ("health-enroll", "block"),
             ("utility-cutoff", "invalid"), ("amazon-order", "rotate"), ("loan-relief", "single"),
             ("bank-impersonation", "impersonate"), ("chinese-consulate", "neighbor7")]
    r.shuffle(camps)
    ncamp = r.randint(5, len(camps))
    for name, strat in camps[:ncamp]:
        robocall_campaign(w, r, name, strat, subs, trunks, tz, days, scale, bank=bank, npas=npas)
    # 5) Wangiri wave + callbacks
    wangiri(w, r, "wg-" + r.choice(PREMIUM_INTL), subs, trunks["intl"], lambda n: "+" + n, access, pbx_ip,
            int(25000 * scale) + 100, tz, intl_prefix="011")
    # 6) TDoS against a hospital's main numbers
    hosp = subs.list[r.randrange(len(subs.list))]
    hosp_dids = [hosp] + [hosp[:-2] + "%02d" % r.randint(0, 99) for _ in range(3)]
    tdos(w, r, "tdos-hospital-ransom", hosp_dids, trunks["wh1"], scale, tz, trunks["t1a"])
    return prefixes


def hash_i(s):
    h = 0
    for ch in s:
        h = (h * 131 + ord(ch)) & 0x7FFFFFFF
    return h


def robocall_campaign(w, r, name, strat, subs, trunks, tz, days, scale, bank=None, npas=None):
    tk = trunks[r.choice(["wh1", "wh1", "wh2", "t1b"])]
    dialers = [ipv4(r, (5, 23, 45, 51, 64, 104, 107, 162, 185, 192, 198, 206, 209)) for _ in range(r.randint(1, 3))]
    per_day = lognorm(r, 16000, 0.6) * scale + 40
    label = ("spoof:" if strat in ("neighbor", "neighbor7", "impersonate") else "robocall:") + name
    # campaign active on 1-2 days, in "storms" of a few hours
    ans = r.uniform(0.06, 0.2)
    block = [nanp(r) for _ in range(r.randint(20, 80))]
    single = nanp(r)
    used = {}
    day_list = [d for d in range(int(days)) if r.random() < 0.75] or [0]
    for d in day_list:
        storms = r.randint(1, 3)
        for _ in range(storms):
            h0 = r.uniform(9, 17)
            t0 = w.start + d * DAY + int(h0 * HOUR)
            dur = lognorm(r, 2.5 * HOUR, 0.4)
            n = int(per_day / storms * r.uniform(0.6, 1.4))
            seq_mode = r.random() < 0.5
            targets = subs.sweep(0, n) if seq_mode else None
            for i in range(n):
                t = t0 + dur * r.random() if not seq_mode else t0 + dur * i / max(1, n) + r.random() * 2
                callee = targets[i] if seq_mode else (subs.uniform() if r.random() < 0.8 else subs.sweep(0, 1)[0])
                if strat == "rotate":
                    caller = nanp(r)
                elif strat == "neighbor":
                    caller = callee[:7] + "%04d" % r.randint(0, 9999)
                    if r.random() < 0.02:
                        caller = callee  # spoofing the victim's own number
                elif strat == "neighbor7":
                    caller = callee[:4] + "%03d%04d" % (r.randint(200, 999), r.randint(0, 9999))
                elif strat == "block":
                    caller = r.choice(block)
                elif strat == "single":
                    caller = single if r.random() < 0.7 else r.choice(block[:5])
                elif strat == "impersonate":
                    caller = bank if r.random() < 0.6 else nanp(r, npa=int(bank[1:4]))
                else:  # invalid
                    caller = r.choice(["0000000000", "1%03d%07d" % (r.randint(0, 199), r.randint(0, 9999999)),
                                       "%d" % r.randint(10 ** 5, 10 ** 7), "1%03d555%04d" % (r.choice(US_NPA), r.randint(100, 199)),
                                       "+1%03d%07d" % (r.randint(0, 199), r.randint(0, 9999999))])
                if callee not in subs.set:
                    disp, du = "FAILED", 0
                else:
                    x = r.random()
                    if x < ans:
                        if r.random() < 0.04:  # press-1 transfer to a live scammer
                            disp, du = "ANSWERED", lognorm(r, 240, 0.7)
                        else:
                            disp, du = "ANSWERED", lognorm(r, 12, 0.7)
                    elif x < ans + 0.05:
                        disp, du = "BUSY", 0
                    else:
                        disp, du = "NO ANSWER", 0
                if strat != "invalid":
                    caller = fmt_us(caller, tk.style) if len(caller) == 11 else caller
                w.add(t, caller, fmt_us(callee, tk.style), du, disp, tk.name, r.choice(dialers), 1, label)


def wangiri(w, r, name, subs, tk, fmt_callee, access, pbx_ip, n, tz, intl_prefix="011", own_fmt=None):
    cc = name.split("-")[-1]
    nums = [cc + "%d" % r.randint(10 ** 7, 10 ** 8 - 1) for _ in range(r.randint(5, 40))]
    ip = r.choice(tk.ips)
    days = int((w.end - w.start) / DAY)
    d = r.randrange(max(1, days - 1))
    t0 = w.start + d * DAY + int(r.uniform(22.5, 24.5) * HOUR)  # around local midnight
    dur = lognorm(r, 4 * HOUR, 0.3)
    targets = subs.sweep(0, n) if r.random() < 0.5 else [subs.uniform() for _ in range(n)]
    victims = []
    for i, callee in enumerate(targets):
        t = t0 + dur * i / n + r.random()
        caller = r.choice(nums)
        if callee not in subs.set:
            disp, du = "FAILED", 0
        elif r.random() < 0.015:
            disp, du = "ANSWERED", r.randint(1, 3)
        else:
            disp, du = "NO ANSWER", 0
            if r.random() < 0.02:
                victims.append((t, callee, caller))
        w.add(t, "+" + caller, fmt_callee(callee), du, disp, tk.name, ip, 1, "wangiri:" + name)
    # callbacks in the following hours (mostly next morning)
    for t, callee, caller in victims:
        tc = t + lognorm(r, 7 * HOUR, 0.5)
        node = access[hash_i(callee) % len(access)]
        src = pbx_ip.get(callee, node[1]) if pbx_ip is not None else node[1]
        w.add(tc, (own_fmt or (lambda x: "+" + x))(callee), intl_prefix + caller, lognorm(r, 90, 0.8), "ANSWERED", node[0], src, 0,
              "wangiri:" + name)


def tdos(w, r, name, dids, tk, scale, tz, legit_tk, capacity=None):
    """Automated TDoS: SIP software floods the target's DIDs, holding lines open; once the
    target's channels are full, further attempts (and legitimate calls) get BUSY."""
    capacity = capacity or r.choice([23, 46, 60])
    days = int((w.end - w.start) / DAY)
    t0 = w.start + r.randrange(max(1, days)) * DAY + int(r.uniform(9, 15) * HOUR)
    dur = lognorm(r, 2 * HOUR, 0.4)
    rate = lognorm(r, 40, 0.3) * min(1.0, 0.2 + scale)  # calls/minute
    srcs = [ipv4(r, (5, 37, 45, 91, 185, 193, 194)) for _ in range(r.randint(1, 3))]
    active = []  # heap of end times
    t = float(t0)
    end = t0 + dur
    while t < end:
        t += r.expovariate(rate / 60.0)
        while active and active[0] <= t:
            heapq.heappop(active)
        callee = r.choice(dids)
        caller = r.choice([nanp(r), nanp(r)[1:], "+" + nanp(r), "%d" % r.randint(1000, 99999), "anonymous"])
        if len(active) >= capacity:
            disp, du = "BUSY", 0
        else:
            disp, du = "ANSWERED", lognorm(r, 180, 0.8)
            heapq.heappush(active, t + du)
        w.add(t, caller, "+" + callee, du, disp, tk.name, r.choice(srcs), 1, "tdos:" + name)
    # legitimate callers to the hospital, some blocked by the flood
    for tl in arrivals(r, w.start, w.end, 2500 * min(1.0, 0.2 + scale), tz, "people"):
        busy = t0 <= tl < end and r.random() < 0.8
        disp, du = ("BUSY", 0) if busy else outcome_person(r, ans=0.9, busy=0.02, fail=0.0, med=120)
        w.add(tl, "+" + nanp(r), "+" + r.choice(dids), du, disp, legit_tk.name, r.choice(legit_tk.ips), 1, "normal")


# --- mobile / VoIP provider (UK) ------------------------------------------------------------
def pop_mobile(w, scale):
    r = w.r
    tz = 0
    prefixes = sorted(set(["44745%d" % r.randint(0, 9), "44746%d" % r.randint(0, 9), "44757%d" % r.randint(0, 9),
                           "44203%d" % r.randint(0, 9), "44161%d" % r.randint(0, 9)]))
    subs = Subscribers(r, prefixes, max(400, int(90000 * scale)), 6)
    mob = [n for n in subs.list if n.startswith("447")]
    geo = [n for n in subs.list if not n.startswith("447")]
    trunks = {
        "bt": Trunk("IC-BT-1", [ipv4(r, (62, 80, 81, 86, 109, 213, 217)) for _ in range(3)], "nat"),
        "vf": Trunk("IC-MNO-2", [ipv4(r, (62, 80, 81, 86, 109, 213, 217)) for _ in range(3)], "e164"),
        "ee": Trunk("IC-MNO-3", [ipv4(r, (62, 80, 81, 86, 109, 213, 217)) for _ in range(3)], "e164"),
        "intl1": Trunk("IC-INTL-1", [ipv4(r) for _ in range(2)], "e164"),
        "intl2": Trunk("IC-INTL-2", [ipv4(r) for _ in range(2)], "e164"),
        "wh": Trunk("IC-WHOLESALE-3", [ipv4(r, (5, 31, 37, 45, 46, 77, 78, 91, 185)) for _ in range(2)], "e164"),
    }
    nodes = [("MSC-LON-1", ipv4(r, (62, 80, 81))), ("MSC-MAN-1", ipv4(r, (62, 80, 81))), ("MSC-BHM-1", ipv4(r, (62, 80, 81)))]
    voip_sbc = "VOIP-SBC-1"
    voip_ip = {n: ipv4(r, (2, 5, 31, 51, 62, 77, 78, 80, 81, 82, 86, 90, 92, 94, 109, 151, 212)) for n in geo}
    ext_pool = [uk_mobile(r) if r.random() < 0.6 else uk_geo(r) for _ in range(max(3000, int(300000 * scale)))]
    mix = [("bt", 30), ("vf", 30), ("ee", 30), ("intl1", 4), ("intl2", 3), ("wh", 3)]

    def own_src(num):
        if num in voip_ip:
            return voip_sbc, voip_ip[num]
        n = nodes[hash_i(num) % len(nodes)]
        return n[0], n[1]

    # inbound people
    for t in arrivals(r, w.start, w.end, 300000 * scale + 1500, tz, "people"):
        k = r.choices([a for a, _ in mix], [b for _, b in mix])[0]
        tk = trunks[k]
        caller = r.choice(ext_pool) if not k.startswith("intl") else r.choice(["1", "33", "49", "91", "48", "234", "353"]) + "%d" % r.randint(10 ** 8, 10 ** 10)
        callee = subs.pick()
        disp, du = outcome_person(r, ans=0.62, med=80)
        cs = fmt_uk(caller, tk.style) if caller.startswith("44") else "+" + caller
        if r.random() < 0.02:
            cs = r.choice(["anonymous", "Withheld"])
        w.add(t, cs, fmt_uk(callee, tk.style), du, disp, tk.name, r.choice(tk.ips), 1, "normal")
    # outbound own subscribers (incl. short "beeping" calls and international family calls)
    for t in arrivals(r, w.start, w.end, 260000 * scale + 1500, tz, "people"):
        caller = subs.pick()
        x = r.random()
        if x < 0.25:
            callee = "+" + subs.pick()
        elif x < 0.93:
            callee = fmt_uk(r.choice(ext_pool), "nat")
        else:
            callee = "00" + r.choice(["48", "91", "92", "234", "353", "1", "33", "40", "880"]) + "%d" % r.randint(10 ** 8, 10 ** 10)
        if r.random() < 0.03:  # deliberate ring-and-hang "call me back"
            disp, du = "NO ANSWER", 0
        else:
            disp, du = outcome_person(r, ans=0.6, med=85)
        node, ip = own_src(caller)
        w.add(t, "+" + caller, callee, du, disp, node, ip, 0, "normal")
    # business PBXs with many international calls (legit), taxi dispatcher, call centre customer
    for _ in range(max(2, int(12 * scale) + 1)):
        pbx_num = r.choice(geo) if geo else subs.list[0]
        ip = voip_ip.get(pbx_num, ipv4(r))
        dests = ["00" + r.choice(["1", "49", "33", "91", "86", "971", "65"]) + "%d" % r.randint(10 ** 8, 10 ** 10) for _ in range(30)]
        for t in arrivals(r, w.start, w.end, lognorm(r, 300, 0.6) * min(1.0, 0.3 + scale), tz, "business"):
            callee = r.choice(dests) if r.random() < 0.4 else fmt_uk(r.choice(ext_pool), "nat")
            disp, du = outcome_person(r, ans=0.7, med=180)
            w.add(t, "+" + pbx_num[:-2] + "%02d" % r.randint(0, 99), callee, du, disp, voip_sbc, ip, 0, "normal")
    taxi = r.choice(mob)
    for t in arrivals(r, w.start, w.end, 600 * min(1.0, 0.3 + scale), tz, "flat"):
        disp, du = outcome_person(r, ans=0.8, med=20, sig=0.6)
        node, ip = own_src(taxi)
        w.add(t, "+" + taxi, fmt_uk(r.choice(ext_pool), "nat"), du, disp, node, ip, 0, "normal")
    cc = r.choice(geo) if geo else subs.list[1]
    cc_ip = voip_ip.get(cc, ipv4(r))
    for t in arrivals(r, w.start, w.end, 6000 * scale + 50, tz, "telemarket"):
        x = r.random()
        disp, du = ("ANSWERED", lognorm(r, 160, 0.8)) if x < 0.22 else ("NO ANSWER", 0) if x < 0.9 else ("BUSY", 0)
        w.add(t, "+" + cc, fmt_uk(r.choice(ext_pool), "nat"), du, disp, voip_sbc, cc_ip, 0, "normal")
    # flash-call OTP verification: a ring from an international number whose last digits carry
    # the code; never answered by design (legitimate, Wangiri-like)
    for vendor in range(2):
        tk = trunks["intl1" if vendor == 0 else "intl2"]
        base = r.choice(["372", "44", "7", "48", "62"]) + "%d" % r.randint(10 ** 5, 10 ** 6 - 1)
        for t in arrivals(r, w.start, w.end, 9000 * scale + 60, tz, "people"):
            caller = "+" + base + "%04d" % r.randint(0, 9999)
            disp = "NO ANSWER" if r.random() < 0.97 else "ANSWERED"
            w.add(t, caller, fmt_uk(subs.uniform(), tk.style), 1 if disp == "ANSWERED" else 0, disp, tk.name, tk.ips[0], 1, "normal")

    # abuse 1: hacked PBX pumping IRSF (night/weekend, parallel long calls to premium ranges)
    for k in range(max(1, int(round(2 * scale)) if scale >= 0.5 else 1)):
        hacked_pbx(w, r, "pbx-irsf-%d" % (k + 1), geo or subs.list, voip_ip, voip_sbc, tz, scale)
    # abuse 2: stolen retail SIP account used to originate robocalls
    victim = r.choice(geo) if geo else subs.list[2]
    dialer = ipv4(r, (5, 45, 104, 107, 162, 185, 192, 198))
    days = (w.end - w.start) / DAY
    t0 = w.start + int(r.uniform(0.3, days - 1) * DAY)
    n = int(lognorm(r, 20000, 0.3) * scale) + 200
    span = lognorm(r, 10 * HOUR, 0.3)
    for i in range(n):
        t = t0 + span * r.random()
        if diurnal(t, tz, "telemarket") == 0 and r.random() < 0.7:
            continue
        callee = fmt_uk(r.choice(ext_pool), "nat") if r.random() < 0.8 else "+" + subs.uniform()
        x = r.random()
        disp, du = ("ANSWERED", lognorm(r, 14, 0.6)) if x < 0.15 else ("NO ANSWER", 0) if x < 0.85 else ("FAILED", 0) if x < 0.93 else ("BUSY", 0)
        caller = "+" + victim if r.random() < 0.5 else "+" + uk_mobile(r)
        w.add(t, caller, callee, du, disp, voip_sbc, dialer, 0, "robocall:stolen-sip-" + victim[-4:])
    # abuse 3: inbound neighbour-spoofed robocalls (HMRC / parcel / bank-safe-account scams)
    for name in r.sample(["hmrc-arrest", "parcel-fee", "bank-safe-account", "amazon-prime", "broadband-tech"], 3):
        tk = trunks[r.choice(["wh", "intl1", "intl2", "bt"])]
        dialers = [ipv4(r, (5, 31, 45, 77, 91, 103, 185)) for _ in range(r.randint(1, 2))]
        per = lognorm(r, 12000, 0.6) * scale + 40
        strat = r.choice(["neighbor", "rotate", "mobile-rotate"])
        lab = ("spoof:" if strat == "neighbor" else "robocall:") + name
        for t in arrivals(r, w.start, w.end, per, tz, "telemarket"):
            if r.random() < 0.4:  # storms: skip off-storm hours
                continue
            callee = subs.uniform()
            if strat == "neighbor":
                caller = callee[:7] + "%0*d" % (len(callee) - 7, r.randrange(10 ** (len(callee) - 7)))
            elif strat == "rotate":
                caller = uk_geo(r)
            else:
                caller = uk_mobile(r)
            x = r.random()
            disp, du = ("ANSWERED", lognorm(r, 18, 0.8)) if x < 0.12 else ("NO ANSWER", 0) if x < 0.93 else ("BUSY", 0)
            w.add(t, fmt_uk(caller, tk.style), fmt_uk(callee, tk.style), du, disp, tk.name, r.choice(dialers), 1, lab)
    # abuse 4: Wangiri wave towards mobile subscribers, with callbacks
    msubs = Subscribers(r, [p for p in prefixes if p.startswith("447")], 10, 6)
    msubs.list = mob
    msubs.set = set(mob)
    access = [(a, b) for a, b in nodes]
    wangiri(w, r, "wg-" + r.choice(PREMIUM_INTL), msubs, trunks["intl2"], lambda x: "+" + x, access, None,
            int(30000 * scale) + 100, tz, intl_prefix="00")
    return prefixes


def hacked_pbx(w, r, name, geo, voip_ip, voip_sbc, tz, scale):
    """SIP-credential brute force then IRSF: bursts of parallel long calls to premium
    international numbers, at night / weekend, partly from the attacker's own address."""
    pbx = r.choice(geo)
    own_ip = voip_ip.get(pbx, ipv4(r))
    atk_ip = ipv4(r, (5, 31, 37, 45, 91, 185, 193, 195))
    dests = []
    for _ in range(r.randint(2, 5)):
        cc = r.choice(PREMIUM_INTL)
        base = "%d" % r.randint(10 ** 6, 10 ** 7 - 1)
        dests += ["00" + cc + base + "%03d" % r.randint(0, 999) for _ in range(r.randint(3, 30))]
    days = int((w.end - w.start) / DAY)
    d = r.randrange(max(1, days - 1))
    t0 = w.start + d * DAY + int(r.uniform(22, 26) * HOUR)  # around local midnight
    span = lognorm(r, 6 * HOUR, 0.4)
    chans = r.randint(8, 40)
    n = int(chans * span / lognorm(r, 600, 0.3) * min(1.0, 0.3 + scale)) + 20
    # normal office calls of this PBX
    for t in arrivals(r, w.start, w.end, 150, tz, "business"):
        disp, du = outcome_person(r, ans=0.7, med=150)
        w.add(t, "+" + pbx, "0" + uk_geo(r)[2:], du, disp, voip_sbc, own_ip, 0, "normal")
    for i in range(n):
        t = t0 + span * r.random()
        x = r.random()
        if x < 0.55:
            disp, du = "ANSWERED", min(7200, lognorm(r, 900, 0.8))
        elif x < 0.8:
            disp, du = "FAILED", 0
        else:
            disp, du = r.choice(["NO ANSWER", "BUSY"]), 0
        w.add(t, "+" + pbx, r.choice(dests), du, disp, voip_sbc, own_ip if r.random() < 0.6 else atk_ip, 0, "irsf:" + name)


POPULATIONS = {"terminating": (pop_terminating, 2, -5 * HOUR), "mobile": (pop_mobile, 3, 0)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="terminating", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    fn, ndays, tz = POPULATIONS[a.population]
    r = random.Random("calls:%s:%d" % (a.population, a.seed))
    start = 1640995200 + r.randint(0, 1400) * DAY - tz  # local midnight, 2022-2025
    w = World(r, start, start + ndays * DAY, tz)
    own = fn(w, a.scale)
    w.calls.sort()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "calls.csv"), "w", encoding="ascii", newline="") as f:
        cw = csv.writer(f, lineterminator="\r\n")
        cw.writerow(["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"])
        for c in w.calls:
            cw.writerow(c[0:1] + c[2:])
    meta = {"population": a.population, "seed": a.seed, "start": w.start, "end": w.end, "own_ranges": own,
            "calls": len(w.calls)}
    with open(os.path.join(a.out, "meta.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(meta, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

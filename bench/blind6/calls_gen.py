#!/usr/bin/env python3
"""Call-traffic (CDR) generator (blind round 6).

Writes calls.csv and meta.json (see FORMAT.md). Standard library only; output
is a pure function of --seed, --population and --scale.

Populations:
  terminating    a US terminating carrier (2 days, Eastern time): its
                 subscribers receive ordinary calls, consented high-volume
                 calls (pharmacy refill reminders, a school district's
                 snow-day alert, bank fraud-alert centre, appointment
                 reminders via a wholesale dialer) and abusive campaigns over
                 wholesale/transit interconnects: neighbour-spoofed auto-warranty,
                 rotating-ID government-impostor, a "press 1" health-plan campaign
                 on a few heavily reused DIDs, bank impersonation (spoofing the
                 bank's real number), invalid-ID robocalls, a Wangiri night burst
                 (with victims' callbacks) and a TDoS on a hospital's main line.
  voip_provider  a UK VoIP/SIP-trunk provider (3 days from a Friday): its own
                 customers place calls (residential SIP, SMB PBXs, call centres,
                 a GP-reminder dialer); one hacked PBX and one stolen SIP trunk
                 credential pump IRSF destinations over the weekend night; a
                 hosted-dialer customer runs an illegal robocall campaign with
                 spoofed/rotating caller IDs; inbound neighbour-spoofed calls and
                 Wangiri to its mobile-like numbers.
See README.md for the published descriptions each campaign is based on.
"""
import argparse
import calendar
import csv
import json
import math
import os
import random

HOUR = 3600
DAY = 86400


class CDR:
    def __init__(self, seed, population, scale, t0, days, tz):
        self.r = random.Random(f"calls:{population}:{seed}")
        self.scale = scale
        self.t0 = t0
        self.t1 = t0 + days * DAY
        self.days = days
        self.tz = tz  # local offset hours
        self.rows = []

    def add(self, t, caller, callee, dur, disp, trunk, ip, external, label):
        t = int(t)
        if t < self.t0 or t >= self.t1:
            return
        if disp != "ANSWERED":
            dur = 0
        self.rows.append((t, len(self.rows), caller, callee, int(dur), disp, trunk, ip, external, label))

    def local_hour(self, t):
        return ((t + self.tz * HOUR) % DAY) / HOUR

    def human_time(self, day_index, lo=8, hi=22, peak=(11, 18)):
        """A time on local day day_index, biased to office/evening hours."""
        r = self.r
        while True:
            h = r.uniform(lo, hi)
            w = 0.35 + math.exp(-((h - peak[0]) ** 2) / 8) + 0.8 * math.exp(-((h - peak[1]) ** 2) / 6)
            if r.random() * 1.5 < w:
                # t0 is local midnight of day 0
                return self.t0 + day_index * DAY + h * HOUR


def lognorm(r, median, sigma):
    return r.lognormvariate(math.log(median), sigma)


def person_outcome(r, p_answer=0.6):
    x = r.random()
    if x < p_answer:
        return "ANSWERED", max(1, int(min(3 * HOUR, lognorm(r, 70, 1.15))))
    if x < p_answer + 0.1:  # voicemail picked up; caller leaves a message or hangs up
        return "ANSWERED", r.choice([2, 3, 4, r.randint(8, 40)])
    if x < p_answer + 0.35:
        return "NO ANSWER", 0
    if x < p_answer + 0.38:
        return "BUSY", 0
    return "FAILED", 0


def robo_outcome(r, p_answer=0.2, vm=0.15):
    x = r.random()
    if x < p_answer:
        y = r.random()
        if y < 0.6:
            return "ANSWERED", max(1, int(r.expovariate(1 / 6.0)) + 1)
        if y < 0.92:
            return "ANSWERED", r.randint(12, 45)
        return "ANSWERED", max(30, int(lognorm(r, 150, 0.8)))  # pressed 1, transferred
    if x < p_answer + vm:
        return "ANSWERED", r.randint(18, 40)  # voicemail spam: the recording plays to voicemail
    if x < p_answer + vm + 0.03:
        return "BUSY", 0
    if x < p_answer + vm + 0.06:
        return "FAILED", 0
    return "NO ANSWER", 0


def consented_outcome(r, msg=(20, 45)):
    x = r.random()
    if x < 0.5:
        return "ANSWERED", r.randint(*msg) if r.random() < 0.8 else r.randint(3, 12)
    if x < 0.7:
        return "ANSWERED", r.randint(*msg)  # left on voicemail
    if x < 0.95:
        return "NO ANSWER", 0
    return "BUSY", 0


# ---------------------------------------------------------------------------
# US numbering helpers
# ---------------------------------------------------------------------------
US_NPAS = ["201", "202", "205", "212", "213", "214", "216", "224", "239", "248", "252", "267", "281",
           "305", "310", "312", "336", "347", "404", "407", "412", "415", "469", "470", "480", "503",
           "512", "516", "602", "615", "617", "646", "678", "704", "713", "718", "732", "757", "770",
           "786", "803", "813", "832", "843", "864", "904", "910", "917", "919", "980", "984"]


def us_num(r, npa=None):
    npa = npa or r.choice(US_NPAS)
    return f"+1{npa}{r.randint(200, 999)}{r.randint(0, 9999):04d}"


def fmt_us(r, e164, p_national):
    """Some interconnects deliver national 10-digit form (no +1)."""
    if r.random() < p_national:
        return e164[2:]
    return e164


def pop_terminating(seed, scale):
    t0 = calendar.timegm((2026, 3, 17, 5, 0, 0))  # Tuesday 00:00 US Eastern (EDT-ish: UTC-5 used)
    c = CDR(seed, "terminating", scale, t0, 2, -5)
    r = c.r
    # own number blocks: NPA-NXX thousands in 919/984/336
    blocks = []
    while len(blocks) < 14:
        b = f"1{r.choice(['919', '984', '336'])}{r.randint(200, 999)}"
        if b not in blocks:
            blocks.append(b)
    n_subs = max(500, int(55000 * scale))
    subs, sub_set = [], {}
    while len(subs) < n_subs:
        num = f"+{r.choice(blocks)}{r.randint(0, 9999):04d}"
        if num not in sub_set:
            sub_set[num] = 1
            subs.append(num)
    # interconnect trunks and their SBC addresses
    def ips(prefix, k):
        return [f"{prefix}.{r.randint(2, 250)}" for _ in range(k)]
    trunks = {
        "ic-tier1-a": ips(f"{r.randint(12, 70)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 4),
        "ic-tier1-b": ips(f"{r.randint(71, 99)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 4),
        "ic-wireless-c": ips(f"{r.randint(101, 126)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 6),
        "ic-cable-d": ips(f"{r.randint(128, 160)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 2),
        "wh-voip-1": ips(f"{r.randint(161, 190)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 3),
        "wh-voip-2": ips(f"{r.randint(193, 197)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 2),
        "wh-voip-3": ips(f"{r.randint(204, 216)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 2),
        "intl-gw-1": ips(f"{r.randint(217, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}", 2),
    }
    legit_trunks = ["ic-tier1-a", "ic-tier1-b", "ic-wireless-c", "ic-wireless-c", "ic-cable-d", "wh-voip-1"]
    natl = {"ic-tier1-a": 0.0, "ic-tier1-b": 0.3, "ic-wireless-c": 0.0, "ic-cable-d": 0.5,
            "wh-voip-1": 0.1, "wh-voip-2": 0.4, "wh-voip-3": 0.2, "intl-gw-1": 0.0}
    core = ["access-core-1", "access-core-2"]
    core_ip = {"access-core-1": "10.40.0.11", "access-core-2": "10.40.0.12"}

    def tr(name):
        return name, r.choice(trunks[name])

    # ---- ordinary people calling subscribers (with stable contact lists)
    per_sub_day = 3.2
    contacts = {}
    for day in range(c.days):
        for s in subs:
            k = int(r.expovariate(1 / per_sub_day) + 0.5)
            if k == 0:
                continue
            cl = contacts.get(s)
            if cl is None:
                cl = [us_num(r, s[2:5] if r.random() < 0.5 else None) for _ in range(r.randint(3, 25))]
                contacts[s] = cl
            for _ in range(k):
                t = c.human_time(day, 7, 23)
                caller = r.choice(cl) if r.random() < 0.85 else us_num(r)
                if caller[2:] in sub_set or caller in sub_set:
                    continue
                name = r.choice(legit_trunks)
                trunk, ip = tr(name)
                disp, dur = person_outcome(r)
                c.add(t, fmt_us(r, caller, natl[name]), s, dur, disp, trunk, ip, 1, "normal")
    # ---- subscribers calling out / each other (external=0)
    for day in range(c.days):
        for _ in range(int(len(subs) * 1.6)):
            s = r.choice(subs)
            t = c.human_time(day, 7, 23)
            if r.random() < 0.25:
                callee = r.choice(subs)
            else:
                cl = contacts.get(s)
                callee = r.choice(cl) if cl and r.random() < 0.8 else us_num(r)
            node = r.choice(core)
            disp, dur = person_outcome(r)
            c.add(t, s, callee, dur, disp, node, core_ip[node], 0, "normal")
    # ---- consented high-volume callers
    # pharmacy refill reminders: a few chains, fixed caller IDs, daytime, every day
    for chain in range(3):
        cid = us_num(r, r.choice(["919", "336", "800", "888"]))
        name = r.choice(["wh-voip-1", "ic-tier1-a"])
        per_day = int(r.uniform(2000, 6000) * scale)
        for day in range(c.days):
            for _ in range(per_day):
                t = c.human_time(day, 9, 20, peak=(11, 17))
                trunk, ip = tr(name)
                disp, dur = consented_outcome(r)
                c.add(t, cid, r.choice(subs), dur, disp, trunk, ip, 1, "normal")
    # appointment reminders (medical/dental) through a hosted dialer on a wholesale trunk
    for prov in range(int(max(3, 25 * scale ** 0.5))):
        cid = us_num(r, r.choice(["919", "984", "336", "704"]))
        per_day = int(r.uniform(30, 400) * scale ** 0.5)
        for day in range(c.days):
            for _ in range(per_day):
                t = c.human_time(day, 9, 19)
                trunk, ip = tr("wh-voip-2" if prov % 3 == 0 else "wh-voip-1")
                disp, dur = consented_outcome(r, (15, 35))
                c.add(t, cid, r.choice(subs), dur, disp, trunk, ip, 1, "normal")
    # school district alert: one burst on day 1 early morning (weather closing)
    district = us_num(r, "919")
    n_fam = int(r.uniform(6000, 14000) * scale)
    start = t0 + 1 * DAY + 5.75 * HOUR
    fams = r.sample(subs, min(n_fam, len(subs)))
    for s in fams:
        t = start + r.uniform(0, 20 * 60)
        trunk, ip = tr("wh-voip-1")
        disp, dur = consented_outcome(r, (25, 50))
        c.add(t, district, s, dur, disp, trunk, ip, 1, "normal")
    # bank fraud-alert / collections call centre with consent: 40 outbound numbers, human agents
    bank_main = us_num(r, "800")
    bank_ids = [bank_main] + [us_num(r, "704") for _ in range(39)]
    per_day = int(9000 * scale)
    for day in range(c.days):
        for _ in range(per_day):
            t = c.human_time(day, 8, 21)
            trunk, ip = tr("ic-tier1-b")
            x = r.random()
            if x < 0.35:
                disp, dur = "ANSWERED", max(5, int(lognorm(r, 150, 0.8)))
            elif x < 0.45:
                disp, dur = "ANSWERED", r.randint(3, 30)
            else:
                disp, dur = r.choice(["NO ANSWER"] * 8 + ["BUSY"]), 0
            c.add(t, r.choice(bank_ids), r.choice(subs), dur, disp, trunk, ip, 1, "normal")
    # ---- abusive campaigns
    unassigned = lambda: f"+{r.choice(blocks)}{r.randint(0, 9999):04d}"

    def target(seq_state, p_seq=0.5):
        """Targets: list-based (assigned numbers) or sequential/random dialing of blocks
        (hits unassigned numbers -> FAILED)."""
        if r.random() < p_seq:
            seq_state[0] += r.randint(1, 3)
            num = f"+{seq_state[1]}{seq_state[0] % 10000:04d}"
            if seq_state[0] > 9999 or r.random() < 0.0005:
                seq_state[1] = r.choice(blocks)
                seq_state[0] = r.randint(0, 2000)
            return num
        return r.choice(subs)

    def run(name, label, per_day, caller_fn, trunks_w, hours=(9, 20), p_ans=0.2, p_seq=0.4, days=None,
            natl_p=None):
        seq = [r.randint(0, 3000), r.choice(blocks)]
        for day in (days if days is not None else range(c.days)):
            for _ in range(int(per_day * scale)):
                t = c.human_time(day, hours[0], hours[1], peak=(11, 16))
                callee = target(seq, p_seq)
                tn = r.choice(trunks_w)
                trunk, ip = tr(tn)
                caller = caller_fn(callee)
                if natl_p is not None and caller.startswith("+1") and r.random() < natl_p:
                    caller = caller[2:]
                if callee not in sub_set:
                    disp, dur = "FAILED", 0
                else:
                    disp, dur = robo_outcome(r, p_ans)
                c.add(t, caller, callee, dur, disp, trunk, ip, 1, label)

    # neighbour-spoofed auto-warranty: caller = callee's NPA-NXX + random line
    run("autowarranty", "spoof:nbr-autowarranty", 70000,
        lambda callee: f"{callee[:8]}{r.randint(0, 9999):04d}",
        ["wh-voip-2", "wh-voip-2", "wh-voip-3", "ic-tier1-a"], p_ans=0.18, p_seq=0.6, natl_p=0.1)
    # government impostor (SSA) with rotating caller IDs, each used a handful of times
    pool = []
    def ssa_caller(_):
        if not pool or r.random() < 0.06:
            pool.append(us_num(r))
            if len(pool) > 30:
                pool.pop(0)
        return r.choice(pool)
    run("ssa", "robocall:ssa-impostor", 30000, ssa_caller, ["wh-voip-3", "wh-voip-2", "ic-tier1-b"],
        hours=(8, 19), p_ans=0.15, p_seq=0.2)
    # "press 1" health plan: a few dozen purchased DIDs reused heavily
    dids = [us_num(r) for _ in range(r.randint(15, 40))]
    run("healthplan", "robocall:press1-healthplan", 22000, lambda _: r.choice(dids),
        ["wh-voip-1", "wh-voip-3"], hours=(10, 20), p_ans=0.22, p_seq=0.1)
    # bank impersonation: spoofs the bank's real number (also used legitimately)
    run("bankspoof", "spoof:bank-impersonation", 4000, lambda _: bank_main if r.random() < 0.7 else r.choice(bank_ids),
        ["wh-voip-2", "intl-gw-1"], hours=(9, 19), p_ans=0.25, p_seq=0.0)
    # invalid / unallocated caller IDs
    run("invalid", "robocall:invalid-cid", 6000,
        lambda _: r.choice(["+10000000000", "0000000000", "1234567890", "+1" + "".join(str(r.randint(0, 9)) for _ in range(7)),
                            f"+1{r.choice(['0', '1'])}{r.randint(10, 99)}{r.randint(1000000, 9999999)}", "anonymous"]),
        ["wh-voip-3"], hours=(10, 18), p_ans=0.1, p_seq=0.5)
    # Wangiri: one-ring night burst from rotating premium-rate foreign numbers
    w_prefixes = ["+2250707", "+2161", "+1876", "+1649", "+1809", "+3712"]
    w_start = t0 + r.uniform(0.2, 1.6) * DAY
    w_len = r.uniform(1.5, 5) * HOUR
    n_w = int(r.uniform(15000, 35000) * scale)
    w_nums = [f"{r.choice(w_prefixes)}{r.randint(100000, 999999)}" for _ in range(max(20, int(300 * scale ** 0.5)))]
    victims = []
    for _ in range(n_w):
        t = w_start + r.random() * w_len
        callee = r.choice(subs)
        caller = r.choice(w_nums)
        trunk, ip = tr("intl-gw-1" if r.random() < 0.7 else "wh-voip-2")
        if r.random() < 0.02:
            disp, dur = "ANSWERED", r.randint(1, 3)
        else:
            disp, dur = ("NO ANSWER", 0) if r.random() < 0.95 else ("FAILED", 0)
        c.add(t, caller, callee, dur, disp, trunk, ip, 1, "wangiri:one-ring-night")
        if r.random() < 0.012:
            victims.append((t, callee, caller))
    for t, callee, caller in victims:  # curious victims call back a premium number
        tb = t + lognorm(r, 2 * HOUR, 1.3)
        node = r.choice(core)
        c.add(tb, callee, caller, max(10, int(lognorm(r, 90, 0.9))), "ANSWERED", node, core_ip[node], 0,
              "wangiri-callback:one-ring-night")
    # TDoS on a hospital main line (a hunt group of 46 channels)
    hosp = r.choice(subs)
    cap = 46
    ts = t0 + r.uniform(0.3, 1.7) * DAY
    te = ts + r.uniform(1, 3) * HOUR
    active = []
    events = []
    t = ts
    rate = r.uniform(40, 120) * max(0.05, scale) ** 0.6  # attempts per minute
    while t < te:
        events.append((t, "tdos"))
        t += r.expovariate(rate / 60)
    # legitimate callers to the hospital throughout the two days
    for day in range(c.days):
        for _ in range(int(900 * max(0.2, scale) ** 0.5)):
            events.append((c.human_time(day, 6, 23), "normal"))
    events.sort()
    tdos_trunk = r.choice(["wh-voip-3", "wh-voip-2"])
    for t, kind in events:
        active = [e for e in active if e > t]
        if kind == "tdos":
            caller = us_num(r) if r.random() < 0.8 else r.choice(["anonymous", "+10000000000", "2025550100"])
            trunk, ip = tr(tdos_trunk)
            if len(active) >= cap:
                c.add(t, caller, hosp, 0, "BUSY", trunk, ip, 1, "tdos:hospital-line")
                continue
            dur = r.randint(20, 240)
            active.append(t + dur)
            c.add(t, caller, hosp, dur, "ANSWERED", trunk, ip, 1, "tdos:hospital-line")
        else:
            name = r.choice(legit_trunks)
            trunk, ip = tr(name)
            caller = us_num(r, r.choice(["919", "984", "336"]))
            if len(active) >= cap:
                c.add(t, caller, hosp, 0, "BUSY", trunk, ip, 1, "normal")
                continue
            dur = max(10, int(lognorm(r, 120, 0.9)))
            active.append(t + dur)
            c.add(t, caller, hosp, dur, "ANSWERED", trunk, ip, 1, "normal")
    return c, blocks


# ---------------------------------------------------------------------------
# UK VoIP provider
# ---------------------------------------------------------------------------
UK_AREAS = ["20", "121", "161", "113", "114", "117", "131", "141", "151", "1223", "1865", "1632"]


def uk_geo(r, area=None):
    area = area or r.choice(UK_AREAS)
    n = 10 - len(area)
    return f"+44{area}{r.randint(10 ** (n - 1) * 3, 10 ** n - 1)}"


def uk_mob(r):
    return f"+447{r.choice(['4', '5', '7', '8', '9'])}{r.randint(10000000, 99999999)}"


def national(e164):
    return "0" + e164[3:] if e164.startswith("+44") else e164


def pop_voip(seed, scale):
    t0 = calendar.timegm((2026, 3, 20, 0, 0, 0))  # Friday 00:00 UTC (= UK local)
    c = CDR(seed, "voip_provider", scale, t0, 3, 0)
    r = c.r
    blocks = []
    while len(blocks) < 10:
        b = r.choice([f"4420{r.randint(3, 8)}{r.randint(100, 999)}", f"44161{r.randint(300, 999)}{r.randint(0, 9)}",
                      f"447{r.choice(['3', '4'])}{r.randint(10, 99)}{r.randint(10, 99)}"])
        if b not in blocks:
            blocks.append(b)
    def own_num(block=None):
        b = block or r.choice(blocks)
        return f"+{b}{r.randint(0, 10 ** (12 - len(b)) - 1):0{12 - len(b)}d}"
    nodes = {"acc-lon-1": "185.{}.{}.10", "acc-lon-2": "185.{}.{}.11", "acc-man-1": "185.{}.{}.20"}
    o2, o3 = r.randint(0, 255), r.randint(0, 255)
    # customers
    res_n = max(300, int(30000 * scale))
    residential = []
    for _ in range(res_n):
        residential.append((own_num(), f"{r.choice([81, 86, 90, 92, 109, 151, 176, 212])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                            r.choice(list(nodes))))
    pbxs = []
    for _ in range(max(20, int(1500 * scale))):
        blk = r.choice(blocks)
        dids = [own_num(blk) for _ in range(r.choice([1, 5, 10, 20, 50]))]
        pbxs.append((dids, f"{r.choice([31, 46, 77, 80, 82, 88, 94, 185, 195, 213])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                     r.choice(list(nodes)), r.randint(2, 30)))
    ic = {"ic-bt-1": "194.{}.{}.{}", "ic-vf-1": "212.{}.{}.{}", "ic-tt-2": "62.{}.{}.{}",
          "ic-wholesale-5": "45.{}.{}.{}", "ic-intl-3": "80.{}.{}.{}"}
    ic_ips = {k: [v.format(r.randint(0, 255), r.randint(0, 255), r.randint(2, 250)) for _ in range(3)] for k, v in ic.items()}
    node_ip = {k: v.format(o2, o3) for k, v in nodes.items()}

    def inbound(t, caller, callee, dur, disp, name, label, p_nat=0.3):
        if caller.startswith("+44") and r.random() < p_nat:
            caller = national(caller)
        c.add(t, caller, callee, dur, disp, name, r.choice(ic_ips[name]), 1, label)

    def day_weight(day):  # Fri, Sat, Sun: business traffic lower at weekend
        return 1.0 if day == 0 else 0.35

    contacts = {}
    def contacts_of(num):
        cl = contacts.get(num)
        if cl is None:
            cl = [uk_geo(r) if r.random() < 0.5 else uk_mob(r) for _ in range(r.randint(3, 20))]
            contacts[num] = cl
        return cl
    # residential outbound and inbound
    for day in range(c.days):
        for num, ip, node in residential:
            for _ in range(int(r.expovariate(1 / 1.6) + 0.4)):
                t = c.human_time(day, 8, 23)
                callee = r.choice(contacts_of(num)) if r.random() < 0.85 else (uk_geo(r) if r.random() < 0.9 else f"+{r.choice(['33', '49', '48', '91', '234', '1'])}{r.randint(10 ** 8, 10 ** 10)}")
                disp, dur = person_outcome(r, 0.6)
                c.add(t, num if r.random() < 0.8 else national(num), callee, dur, disp, node, ip, 0, "normal")
            for _ in range(int(r.expovariate(1 / 1.8) + 0.4)):
                t = c.human_time(day, 8, 23)
                disp, dur = person_outcome(r, 0.6)
                inbound(t, r.choice(contacts_of(num)), num, dur, disp, r.choice(["ic-bt-1", "ic-vf-1", "ic-tt-2", "ic-bt-1"]), "normal")
    # SMB PBXs: office hours, weekday-heavy
    for day in range(c.days):
        for dids, ip, node, ch in pbxs:
            k = int(len(dids) * r.uniform(3, 9) * day_weight(day))
            for _ in range(k):
                t = c.human_time(day, 8, 18, peak=(10, 15))
                if r.random() < 0.5:
                    disp, dur = person_outcome(r, 0.65)
                    callee = uk_geo(r) if r.random() < 0.7 else uk_mob(r)
                    if r.random() < 0.03:
                        callee = f"+{r.choice(['33', '49', '353', '1', '34'])}{r.randint(10 ** 8, 10 ** 10)}"
                    c.add(t, dids[0] if r.random() < 0.7 else r.choice(dids), callee, dur, disp, node, ip, 0, "normal")
                else:
                    disp, dur = person_outcome(r, 0.7)
                    inbound(t, uk_geo(r) if r.random() < 0.6 else uk_mob(r), r.choice(dids), dur, disp,
                            r.choice(["ic-bt-1", "ic-vf-1", "ic-tt-2"]), "normal")
    # a consented outbound call centre customer (renewals/customer service callbacks)
    cc_dids = [own_num() for _ in range(12)]
    cc_ip = f"5.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    for day in range(c.days):
        for _ in range(int(12000 * scale * day_weight(day))):
            t = c.human_time(day, 9, 20)
            x = r.random()
            disp, dur = ("ANSWERED", max(5, int(lognorm(r, 180, 0.8)))) if x < 0.4 else ((r.choice(["NO ANSWER"] * 6 + ["BUSY", "FAILED"])), 0)
            c.add(t, r.choice(cc_dids), uk_geo(r) if r.random() < 0.4 else uk_mob(r), dur, disp, "acc-man-1", cc_ip, 0, "normal")
    # GP surgery / pharmacy reminder dialer (consented, short messages, one caller ID per practice)
    gp_ip = f"51.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    gps = [own_num() for _ in range(max(3, int(40 * scale ** 0.5)))]
    for day in range(c.days):
        for _ in range(int(15000 * scale * (1.0 if day == 0 else 0.1))):  # surgeries: weekdays
            t = c.human_time(day, 9, 19)
            disp, dur = consented_outcome(r, (15, 40))
            c.add(t, r.choice(gps), uk_mob(r) if r.random() < 0.7 else uk_geo(r), dur, disp, "acc-lon-1", gp_ip, 0, "normal")
    # inbound legit high volume: parcel delivery notifications to mobiles
    courier = uk_geo(r, "1632")
    mobile_like = [num for num, _, _ in residential if num.startswith("+447")] or [n for n, _, _ in residential]
    for day in range(c.days):
        for _ in range(int(3000 * scale)):
            t = c.human_time(day, 8, 20)
            disp, dur = consented_outcome(r, (10, 30))
            inbound(t, courier, r.choice(mobile_like) if r.random() < 0.5 else r.choice(residential)[0], dur, disp, "ic-vf-1", "normal")
    all_own = [x[0] for x in residential] + [d for p in pbxs for d in p[0]]
    # ---- abuse
    # 1. hacked PBX: test calls, then IRSF pumping over Friday/Saturday night
    irsf = ["+3706", "+3712", "+2526", "+88216", "+535", "+9607", "+23278", "+67", "+2392"]
    def irsf_num():
        p = r.choice(irsf)
        return f"{p}{r.randint(10 ** (11 - len(p) + 1), 10 ** (12 - len(p) + 1) - 1)}"
    victims = r.sample(pbxs, 2)
    for vi, (dids, ip, node, ch) in enumerate(victims):
        start = t0 + (22 + r.uniform(0, 6) + 24 * vi) * HOUR
        dur_attack = r.uniform(4, 30) * HOUR
        via_pbx = vi == 0  # case 1: calls come from the PBX itself; case 2: stolen trunk creds from elsewhere
        src_ips = [ip] if via_pbx else [f"{r.choice([37, 91, 102, 154, 197])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(r.randint(1, 3))]
        label = f"tollfraud:pbx-irsf-{vi + 1}"
        # probing: short/failed calls testing dial plans
        for k in range(r.randint(5, 25)):
            t = start - r.uniform(0.2, 3) * HOUR
            callee = r.choice(["00" + irsf_num()[1:], "9" + "00" + irsf_num()[1:], irsf_num(), "+441632960" + str(r.randint(100, 999))])
            c.add(t, r.choice(dids) if r.random() < 0.6 else r.choice(["100", "1000", "anonymous"]), callee,
                  r.randint(1, 5), r.choice(["FAILED", "FAILED", "ANSWERED", "NO ANSWER"]), node, r.choice(src_ips), 0, label)
        chans = min(60, max(4, ch * 2))
        t = start
        live = []
        while t < start + dur_attack:
            live = [e for e in live if e > t]
            if len(live) < chans:
                callee = irsf_num()
                x = r.random()
                if x < 0.7:
                    d = int(lognorm(r, 240, 0.9))
                    disp = "ANSWERED"
                    live.append(t + d)
                else:
                    d, disp = 0, r.choice(["FAILED", "FAILED", "BUSY", "NO ANSWER"])
                caller = r.choice(dids) if r.random() < 0.8 else r.choice(["anonymous", dids[0][1:], "0" + dids[0][3:]])
                c.add(t, caller, callee, d, disp, node, r.choice(src_ips), 0, label)
            t += r.expovariate(1 / r.uniform(2, 12)) / min(1.0, max(0.05, scale)) ** 0.5
    # 2. hosted-dialer customer running an illegal robocall campaign (spoofed, rotating IDs)
    dialer_ip = f"{r.choice([45, 103, 193])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    for day in range(c.days):
        n_calls = int(60000 * scale * (1.0 if day < 2 else 0.5))
        for _ in range(n_calls):
            t = c.human_time(day, 9, 20, peak=(11, 17))
            callee = uk_mob(r) if r.random() < 0.5 else uk_geo(r)
            z = r.random()
            if z < 0.5:  # neighbour-style: same area code as the callee
                area = callee[3:5] if callee.startswith("+447") else callee[3:5]
                caller = f"+44{area}{r.randint(10 ** 7, 10 ** 8 - 1)}"
            elif z < 0.9:
                caller = uk_geo(r)
            else:
                caller = r.choice(all_own)  # spoofing numbers that belong to other customers
            disp, dur = robo_outcome(r, 0.14, 0.1)
            c.add(t, caller if r.random() < 0.6 else national(caller), callee, dur, disp, "acc-lon-2", dialer_ip, 0,
                  "robocall:hosted-dialer-energy")
    # 3. inbound neighbour-spoofed robocalls to own numbers over wholesale/international interconnects
    for day in range(c.days):
        for _ in range(int(45000 * scale)):
            t = c.human_time(day, 9, 20)
            callee = r.choice(all_own)
            pre = callee[:8]
            caller = f"{pre}{r.randint(0, 10 ** (13 - len(pre)) - 1):0{13 - len(pre)}d}"
            disp, dur = robo_outcome(r, 0.2, 0.15)
            inbound(t, caller, callee, dur, disp, r.choice(["ic-wholesale-5", "ic-wholesale-5", "ic-intl-3", "ic-tt-2"]),
                    "spoof:nbr-investment-scam", p_nat=0.5)
    # 4. HMRC impostor from rotating geographic IDs
    pool = []
    for day in range(c.days):
        for _ in range(int(15000 * scale * (1.0 if day == 0 else 0.4))):
            if not pool or r.random() < 0.05:
                pool.append(uk_geo(r, r.choice(["20", "161", "121"])))
                pool[:] = pool[-20:]
            t = c.human_time(day, 9, 18)
            disp, dur = robo_outcome(r, 0.17, 0.2)
            inbound(t, r.choice(pool), r.choice(all_own), dur, disp, r.choice(["ic-intl-3", "ic-wholesale-5"]),
                    "robocall:hmrc-impostor")
    # 5. Wangiri to mobile-like numbers, Saturday night
    w_start = t0 + DAY + r.uniform(20, 26) * HOUR
    w_nums = [f"{r.choice(['+2250707', '+2162', '+3712', '+88213', '+2346'])}{r.randint(100000, 999999)}" for _ in range(max(10, int(120 * scale ** 0.5)))]
    vict = []
    for _ in range(int(r.uniform(10000, 25000) * scale)):
        t = w_start + r.random() * r.uniform(2, 4) * HOUR
        callee = r.choice(mobile_like)
        disp = "NO ANSWER" if r.random() < 0.96 else r.choice(["FAILED", "BUSY"])
        inbound(t, r.choice(w_nums), callee, 0, disp, "ic-intl-3", "wangiri:weekend-one-ring")
        if r.random() < 0.01:
            vict.append((t, callee))
    res_map = {num: (ip, node) for num, ip, node in residential}
    for t, callee in vict:
        ip, node = res_map.get(callee, (r.choice(residential)[1], "acc-lon-1"))
        c.add(t + lognorm(r, 3 * HOUR, 1.2), callee, r.choice(w_nums), max(10, int(lognorm(r, 120, 0.9))), "ANSWERED",
              node, ip, 0, "wangiri-callback:weekend-one-ring")
    return c, blocks


POPULATIONS = {"terminating": pop_terminating, "voip_provider": pop_voip}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--population", default="terminating", choices=sorted(POPULATIONS))
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    if a.scale <= 0:
        ap.error("--scale must be positive")
    c, blocks = POPULATIONS[a.population](a.seed, a.scale)
    c.rows.sort()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "calls.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"])
        for row in c.rows:
            w.writerow((row[0],) + row[2:])
    meta = {"population": a.population, "seed": a.seed, "start": c.t0, "end": c.t1,
            "own_ranges": list(blocks), "calls": len(c.rows)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()

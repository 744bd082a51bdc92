#!/usr/bin/env python3
"""Self-test of the round-12 blind generators against FORMAT.md.

Runs every generator and population at --scale 0.05, seed 1, checks the files, and checks
that a second run gives identical bytes. Exit status 0 only if every check passes.
"""
import csv
import filecmp
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
SEED = 1
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
    return cond


def run(gen, out, pop=None, seed=SEED):
    cmd = [sys.executable, os.path.join(HERE, gen), "--seed", str(seed), "--out", out,
           "--scale", SCALE]
    if pop:
        cmd += ["--population", pop]
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, "%s %s exited %d: %s" % (gen, pop, p.returncode, p.stderr[-2000:]))
    return time.time() - t


def load_meta(d, keys):
    with open(os.path.join(d, "meta.json")) as f:
        m = json.load(f)
    for k in keys:
        check(k in m, "%s: meta.json lacks %s" % (d, k))
    return m


def is_ip(s):
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- senders

EV_TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
AUTH = {"spf": {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"},
        "dkim": {"pass", "fail", "none", "temperror", "permerror", "neutral", "policy"},
        "dmarc": {"pass", "fail", "none", "temperror", "permerror"}}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}


def check_senders(d, pop):
    tag = "senders/%s" % pop
    m = load_meta(d, ["population", "seed", "start", "end", "events", "identities"])
    check(m.get("population") == pop, tag + ": population in meta")
    check(m.get("seed") == SEED, tag + ": seed in meta")
    T0, T1 = m["start"], m["end"]
    check(T1 - T0 >= 14 * 86400, tag + ": time range shorter than two weeks")
    ips, doms = set(), set()
    last = -1
    n = 0
    types = set()
    with open(os.path.join(d, "events.jsonl")) as f:
        for ln in f:
            n += 1
            try:
                e = json.loads(ln)
            except ValueError:
                check(False, "%s: line %d not JSON" % (tag, n))
                continue
            t = e.get("time")
            if not check(isinstance(t, int) and not isinstance(t, bool), "%s: line %d time not int" % (tag, n)):
                continue
            check(T0 <= t < T1, "%s: line %d time out of range" % (tag, n))
            check(t >= last, "%s: line %d not sorted" % (tag, n))
            last = t
            ty = e.get("type", "message")
            check(ty in EV_TYPES, "%s: line %d bad type %r" % (tag, n, ty))
            types.add(ty)
            check(isinstance(e.get("ip"), str) and is_ip(e["ip"]), "%s: line %d bad ip" % (tag, n))
            ips.add(e.get("ip"))
            for k in ("helo", "mail_from", "from", "feedback_id", "list_id"):
                if k in e:
                    check(isinstance(e[k], str), "%s: line %d %s not string" % (tag, n, k))
            for k in ("mail_from", "from"):
                if isinstance(e.get(k), str) and "@" in e[k]:
                    doms.add(e[k].rsplit("@", 1)[1])
            if "dkim_domains" in e:
                dd = e["dkim_domains"]
                check(isinstance(dd, list) and all(isinstance(x, str) for x in dd),
                      "%s: line %d dkim_domains" % (tag, n))
                doms.update(dd)
            for k, allowed in AUTH.items():
                if k in e:
                    check(e[k] in allowed, "%s: line %d %s=%r" % (tag, n, k, e[k]))
            for k in ("fcrdns", "list_unsubscribe_one_click"):
                if k in e:
                    check(isinstance(e[k], bool), "%s: line %d %s not bool" % (tag, n, k))
            if "recipients" in e:
                r = e["recipients"]
                check(isinstance(r, int) and not isinstance(r, bool) and r >= 1,
                      "%s: line %d recipients" % (tag, n))
            if "verdict" in e:
                check(e["verdict"] in ("spam", "ham"), "%s: line %d verdict" % (tag, n))
    check(n == m["events"], "%s: meta events %s != %d lines" % (tag, m["events"], n))
    check(n > 1000, tag + ": too few events")
    check({"message", "complaint", "trap", "bounce"} <= types, tag + ": missing event types %s" % types)
    with open(os.path.join(d, "truth.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows and rows[0] == ["identity", "class", "bad_from"], tag + ": truth header")
    rows = rows[1:]
    check(len(rows) == m["identities"], tag + ": meta identities != truth rows")
    seen = set()
    classes = {}
    for r in rows:
        if not check(len(r) == 3, tag + ": truth row width %r" % r):
            continue
        ident, cls, bf = r
        check(ident not in seen, tag + ": duplicate identity " + ident)
        seen.add(ident)
        check(cls in CLASSES, tag + ": class " + cls)
        classes[cls] = classes.get(cls, 0) + 1
        if ident.startswith("ip:"):
            check(is_ip(ident[3:]), tag + ": bad ip identity " + ident)
            check(ident[3:] in ips, tag + ": ip identity without events " + ident)
        elif ident.startswith("domain:"):
            check(ident[7:] in doms, tag + ": domain identity without events " + ident)
        else:
            check(False, tag + ": identity kind " + ident)
        if cls in ("spammer", "compromised"):
            check(bf.isdigit() and T0 <= int(bf) < T1, tag + ": bad_from of %s: %r" % (ident, bf))
        else:
            check(bf == "", tag + ": bad_from set for %s %s" % (cls, ident))
    check(set(classes) == CLASSES, tag + ": classes present %s" % sorted(classes))
    return n


# ----------------------------------------------------------------------------- flows

FLOW_HEADER = ["StartTime", "Dur", "Proto", "SrcAddr", "Sport", "Dir", "DstAddr", "Dport",
               "State", "sTos", "dTos", "TotPkts", "TotBytes", "SrcBytes", "Label"]
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server",
         "nat_gateway"}
INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}
TS_RE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")


def ts_parse(s):
    import calendar
    d, t = s.split(" ")
    y, mo, da = (int(x) for x in d.split("/"))
    hh, mm, ss = t.split(":")
    sec, us = ss.split(".")
    return calendar.timegm((y, mo, da, int(hh), int(mm), int(sec))) + int(us) / 1e6


def check_flows(d, pop):
    tag = "flows/%s" % pop
    m = load_meta(d, ["population", "seed", "start", "end", "subscribers", "mail_servers", "flows"])
    check(m.get("population") == pop, tag + ": population in meta")
    T0, T1 = m["start"], m["end"]
    subs = [ipaddress.ip_network(c) for c in m["subscribers"]]
    mails = [ipaddress.ip_network(c) for c in m["mail_servers"]]

    def in_subs(ip):
        a = ipaddress.ip_address(ip)
        return any(a in s for s in subs)

    hosts = {}
    with open(os.path.join(d, "hosts.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["host", "role", "infected_from", "infected_until"], tag + ": hosts header")
    roles = {}
    for r in rows[1:]:
        if not check(len(r) == 4, tag + ": hosts row %r" % r):
            continue
        h, role, a, b = r
        check(is_ip(h) and in_subs(h), tag + ": host not a subscriber " + h)
        check(h not in hosts, tag + ": duplicate host " + h)
        check(role in ROLES, tag + ": role " + role)
        roles[role] = roles.get(role, 0) + 1
        if role in INFECTED:
            ok = a.isdigit() and b.isdigit() and T0 <= int(a) < int(b) <= T1
            check(ok, tag + ": infection window of %s: %r %r" % (h, a, b))
            hosts[h] = (role, int(a) if a.isdigit() else 0, int(b) if b.isdigit() else 0)
        else:
            check(a == "" and b == "", tag + ": non-infected host with times " + h)
            hosts[h] = (role, None, None)
    check(set(roles) == ROLES, tag + ": roles present %s" % sorted(roles))
    for net in mails:
        for h, (role, _, _) in hosts.items():
            if ipaddress.ip_address(h) in net:
                check(role == "mail_server", tag + ": listed mail server %s has role %s" % (h, role))
    n = 0
    last = ""
    senders = set()
    bot_flows = 0
    with open(os.path.join(d, "flows.binetflow"), newline="") as f:
        rd = csv.reader(f)
        check(next(rd) == FLOW_HEADER, tag + ": flow header")
        for r in rd:
            n += 1
            if not check(len(r) == 15, tag + ": row %d width" % n):
                continue
            ts = r[0]
            if not check(TS_RE.match(ts) is not None, tag + ": row %d time format %r" % (n, ts)):
                continue
            check(ts >= last, tag + ": row %d not sorted" % n)
            last = ts
            t = ts_parse(ts)
            check(T0 <= t < T1, tag + ": row %d time out of range" % n)
            check(float(r[1]) >= 0, tag + ": row %d Dur" % n)
            check(r[2] in ("tcp", "udp", "icmp"), tag + ": row %d proto" % n)
            check(is_ip(r[3]) and is_ip(r[6]), tag + ": row %d addresses" % n)
            if r[2] != "icmp":
                check(r[4].isdigit() and r[7].isdigit(), tag + ": row %d ports" % n)
            pk, by, sb = int(r[11]), int(r[12]), int(r[13])
            check(pk >= 1 and 0 <= sb <= by, tag + ": row %d counters" % n)
            check(r[14].startswith("flow="), tag + ": row %d label" % n)
            src = r[3]
            if src not in senders and in_subs(src):
                senders.add(src)
                check(src in hosts, tag + ": subscriber %s sends flows but has no hosts row" % src)
            if "Botnet" in r[14]:
                bot_flows += 1
                h = hosts.get(src)
                if check(h is not None and h[0] in INFECTED, tag + ": botnet flow from %s" % src):
                    check(h[1] <= t < h[2] + 1, tag + ": botnet flow of %s outside infection" % src)
    check(n == m["flows"], tag + ": meta flows %s != %d rows" % (m["flows"], n))
    check(bot_flows > 0, tag + ": no botnet flows")
    for h in hosts:
        check(h in senders, tag + ": host %s in hosts.csv sends no flow" % h)
    return n


# ----------------------------------------------------------------------------- calls

CALL_HEADER = ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external",
               "label"]
DISP = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}


def check_calls(d, pop):
    tag = "calls/%s" % pop
    m = load_meta(d, ["population", "seed", "start", "end", "own_ranges", "calls"])
    check(m.get("population") == pop, tag + ": population in meta")
    T0, T1 = m["start"], m["end"]
    check(0 < T1 - T0 <= 3 * 86400, tag + ": range not within 1-3 days")
    own = m["own_ranges"]
    check(own and all(p.isdigit() for p in own), tag + ": own_ranges")
    n = 0
    last = -1
    kinds = set()
    fraud_ips = set()
    normal_intl_ips = set()
    cc = own[0][:1] if own[0].startswith("1") else own[0][:2]
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        rd = csv.reader(f)
        check(next(rd) == CALL_HEADER, tag + ": header")
        for r in rd:
            n += 1
            if not check(len(r) == 9, tag + ": row %d width" % n):
                continue
            t, caller, callee, dur, disp, trunk, ip, ext, label = r
            if not check(t.isdigit(), tag + ": row %d time" % n):
                continue
            t = int(t)
            check(T0 <= t < T1, tag + ": row %d out of range" % n)
            check(t >= last, tag + ": row %d not sorted" % n)
            last = t
            check(caller != "" and callee != "", tag + ": row %d numbers" % n)
            check(dur.isdigit(), tag + ": row %d duration" % n)
            check(disp in DISP, tag + ": row %d disposition" % n)
            if disp != "ANSWERED":
                check(dur == "0", tag + ": row %d unanswered with duration" % n)
            check(trunk != "", tag + ": row %d trunk" % n)
            check(is_ip(ip), tag + ": row %d ip" % n)
            check(ext in ("0", "1"), tag + ": row %d external" % n)
            if label == "normal":
                digits = callee.lstrip("+")
                if ext == "0" and (callee.startswith("00") or callee.startswith("011") or
                                   (callee.startswith("+") and not digits.startswith(cc))):
                    normal_intl_ips.add(ip)
            else:
                k, _, camp = label.partition(":")
                check(k != "" and camp != "", tag + ": row %d label %r" % (n, label))
                kinds.add(k)
                if label.startswith("tollfraud:pbx"):
                    fraud_ips.add(ip)
    check(n == m["calls"], tag + ": meta calls %s != %d rows" % (m["calls"], n))
    for k in ("robocall", "spoof", "wangiri", "tdos", "tollfraud"):
        check(k in kinds, tag + ": no %s calls" % k)
    check(fraud_ips and fraud_ips <= normal_intl_ips,
          tag + ": compromised PBX without ordinary international calls")
    return n


# ----------------------------------------------------------------------------- main

GENS = [("senders_gen.py", ["isp_inbound", "mailbox_provider"], check_senders),
        ("flows_gen.py", ["campus_neris", "isp_access"], check_flows),
        ("calls_gen.py", ["terminating_carrier", "mobile_voip"], check_calls)]


def same_tree(a, b):
    fa = sorted(os.listdir(a))
    fb = sorted(os.listdir(b))
    if fa != fb:
        return False
    return all(filecmp.cmp(os.path.join(a, x), os.path.join(b, x), shallow=False) for x in fa)


def main():
    tmp = tempfile.mkdtemp(prefix="blind12_test_")
    try:
        for gen, pops, chk in GENS:
            for i, pop in enumerate(pops):
                d1 = os.path.join(tmp, "%s_%s_a" % (gen, pop))
                d2 = os.path.join(tmp, "%s_%s_b" % (gen, pop))
                dt = run(gen, d1, pop)
                if FAILS:
                    break
                n = chk(d1, pop)
                # second run: the first population through the default (odd seed) choice
                run(gen, d2, None if i == 0 else pop)
                check(same_tree(d1, d2), "%s %s: second run differs" % (gen, pop))
                print("ok %-15s %-20s %8d records %6.1fs" % (gen, pop, n or 0, dt))
                shutil.rmtree(d1, ignore_errors=True)
                shutil.rmtree(d2, ignore_errors=True)
        # even seeds pick the second population
        for gen, pops, _ in GENS[2:]:
            d = os.path.join(tmp, "even")
            run(gen, d, None, seed=2)
            with open(os.path.join(d, "meta.json")) as f:
                check(json.load(f)["population"] == pops[1], gen + ": even seed population")
            shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        for m in FAILS[:50]:
            print("FAIL", m)
        print("%d failures" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

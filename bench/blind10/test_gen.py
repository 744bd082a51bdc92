#!/usr/bin/env python3
"""Self-check of the round-10 blind generators against FORMAT.md.

Runs every generator and population at --scale 0.05, seed 1, checks the output (headers, types, sort
order, time range, truth/hosts consistency, meta.json counts), runs each a second time and checks the
bytes are identical, and checks the default population choice by seed parity. Exits non-zero on any
failure.
"""
import csv
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg)
    return cond


def run(script, out, seed=1, population=None):
    cmd = [sys.executable, os.path.join(HERE, script), "--seed", str(seed), "--out", out, "--scale", SCALE]
    if population:
        cmd += ["--population", population]
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, "%s %s exited %d: %s" % (script, population, r.returncode, r.stderr[-500:]))
    return r.returncode == 0


def digest(d):
    h = {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        check(os.path.isfile(p), "%s: unexpected non-file %s left in output" % (d, name))
        if os.path.isfile(p):
            with open(p, "rb") as f:
                h[name] = hashlib.sha256(f.read()).hexdigest()
    return h


def load_meta(d, keys):
    with open(os.path.join(d, "meta.json")) as f:
        m = json.load(f)
    for k in keys:
        check(k in m, "meta.json lacks %s" % k)
    check(isinstance(m.get("start"), int) and isinstance(m.get("end"), int) and m["start"] < m["end"],
          "meta start/end must be ints with start < end")
    return m


# ---------------------------------------------------------------- senders
TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
AUTH = {"spf": {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"},
        "dkim": {"pass", "fail", "none", "neutral", "temperror", "permerror", "policy"},
        "dmarc": {"pass", "fail", "none", "temperror", "permerror"}}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}


def check_senders(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "events", "identities"])
    check(m["population"] == pop and m["seed"] == 1, "senders meta population/seed")
    seen = set()
    prev = -1
    n = 0
    bad = 0
    with open(os.path.join(d, "events.jsonl")) as f:
        for line in f:
            n += 1
            try:
                e = json.loads(line)
            except ValueError:
                bad += 1
                continue
            t = e.get("time")
            ok = isinstance(t, int) and not isinstance(t, bool) and m["start"] <= t < m["end"] and t >= prev
            ok = ok and e.get("type", "message") in TYPES
            try:
                ipaddress.IPv4Address(e.get("ip", ""))
            except ValueError:
                ok = False
            r = e.get("recipients", 1)
            ok = ok and isinstance(r, int) and not isinstance(r, bool) and r >= 1
            for k in ("helo", "mail_from", "from", "feedback_id", "list_id"):
                if k in e:
                    ok = ok and isinstance(e[k], str)
            for k, vals in AUTH.items():
                if k in e:
                    ok = ok and e[k] in vals
            for k in ("fcrdns", "list_unsubscribe_one_click"):
                if k in e:
                    ok = ok and isinstance(e[k], bool)
            if "dkim_domains" in e:
                ok = ok and isinstance(e["dkim_domains"], list) and all(isinstance(x, str) for x in e["dkim_domains"])
            if "verdict" in e:
                ok = ok and e["verdict"] in ("spam", "ham")
            if not ok:
                bad += 1
                if bad < 4:
                    print("  bad event:", line.strip()[:300])
            prev = t if isinstance(t, int) else prev
            seen.add("ip:" + str(e.get("ip")))
            if isinstance(e.get("from"), str):
                seen.add("domain:" + e["from"].rsplit("@", 1)[-1])
            for x in e.get("dkim_domains", []) or []:
                seen.add("domain:" + str(x))
    check(bad == 0, "senders %s: %d malformed/out-of-order events" % (pop, bad))
    check(n == m["events"], "senders %s: meta events %s != %d lines" % (pop, m["events"], n))
    check(n > 1000, "senders %s: too few events (%d)" % (pop, n))
    with open(os.path.join(d, "truth.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows and rows[0] == ["identity", "class", "bad_from"], "senders truth header")
    idents = set()
    classes = set()
    for r in rows[1:]:
        ok = len(r) == 3 and r[1] in CLASSES and (r[0].startswith("ip:") or r[0].startswith("domain:"))
        if ok and r[1] in ("spammer", "compromised"):
            ok = r[2].isdigit() and m["start"] <= int(r[2]) < m["end"]
        elif ok:
            ok = r[2] == ""
        check(ok, "senders %s: bad truth row %r" % (pop, r))
        check(r[0] not in idents, "senders %s: duplicate identity %s" % (pop, r[0]))
        check(r[0] in seen, "senders %s: judged identity %s never occurs in events" % (pop, r[0]))
        idents.add(r[0])
        classes.add(r[1])
    check(len(idents) == m["identities"], "senders %s: meta identities mismatch" % pop)
    check(classes == CLASSES, "senders %s: classes present %s" % (pop, sorted(classes)))


# ---------------------------------------------------------------- flows
FLOW_HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
TS = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}


def ts_unix(s):
    import calendar
    y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
    h, mi, se = int(s[11:13]), int(s[14:16]), int(s[17:19])
    return calendar.timegm((y, mo, d, h, mi, se)) + int(s[20:]) / 1e6


def check_flows(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "subscribers", "mail_servers", "flows"])
    check(m["population"] == pop and m["seed"] == 1, "flows meta population/seed")
    subs = [ipaddress.ip_network(c) for c in m["subscribers"]]
    mails = [ipaddress.ip_network(c) for c in m["mail_servers"]]

    def is_sub(ip):
        a = ipaddress.ip_address(ip)
        return any(a in n for n in subs)

    hosts = {}
    with open(os.path.join(d, "hosts.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["host", "role", "infected_from", "infected_until"], "flows hosts header")
    for r in rows[1:]:
        ok = len(r) == 4 and r[1] in ROLES and is_sub(r[0])
        if ok and r[1] in INFECTED:
            ok = r[2].isdigit() and r[3].isdigit() and m["start"] <= int(r[2]) < int(r[3]) <= m["end"]
        elif ok:
            ok = r[2] == "" and r[3] == ""
        check(ok, "flows %s: bad hosts row %r" % (pop, r))
        check(r[0] not in hosts, "flows %s: duplicate host %s" % (pop, r[0]))
        hosts[r[0]] = r
    for n in mails:
        for h, r in hosts.items():
            if ipaddress.ip_address(h) in n:
                check(r[1] == "mail_server", "flows %s: %s in mail_servers but role %s" % (pop, h, r[1]))
    check(any(r[1] == "mail_server" and not any(ipaddress.ip_address(h) in n for n in mails)
              for h, r in hosts.items()), "flows %s: expected an unlisted mail server" % pop)
    check(set(r[1] for r in hosts.values()) == ROLES, "flows %s: roles present %s" % (pop, sorted(set(r[1] for r in hosts.values()))))
    senders = set()
    bad = 0
    n = 0
    prev = ""
    first_bot = {}
    with open(os.path.join(d, "flows.binetflow"), newline="") as f:
        header = f.readline().rstrip("\r\n")
        check(header == FLOW_HEADER, "flows %s: header %r" % (pop, header))
        for line in f:
            n += 1
            r = line.rstrip("\n").split(",")
            ok = len(r) == 15 and TS.match(r[0]) is not None and r[0] >= prev
            if ok:
                prev = r[0]
                t = ts_unix(r[0])
                ok = m["start"] <= t < m["end"] and r[2] in ("tcp", "udp", "icmp") and r[5].strip() in ("->", "<->")
                try:
                    float(r[1])
                    ipaddress.IPv4Address(r[3])
                    ipaddress.IPv4Address(r[6])
                    ok = ok and all(int(r[k]) >= 0 for k in (4, 7, 9, 10, 11, 12, 13)) and int(r[13]) <= int(r[12])
                except ValueError:
                    ok = False
                ok = ok and (r[14].startswith("flow=From-Botnet-") or r[14].startswith("flow=From-Normal-")
                             or r[14].startswith("flow=Background-"))
                if ok and is_sub(r[3]):
                    senders.add(r[3])
                    if r[14].startswith("flow=From-Botnet-"):
                        h = hosts.get(r[3])
                        ok = h is not None and h[1] in INFECTED and int(h[2]) <= t < int(h[3]) + 1
                        first_bot.setdefault(r[3], t)
                elif ok:
                    ok = not r[14].startswith("flow=From-Botnet-")
            if not ok:
                bad += 1
                if bad < 4:
                    print("  bad flow:", line.strip())
    check(bad == 0, "flows %s: %d malformed/out-of-order flows" % (pop, bad))
    check(n == m["flows"], "flows %s: meta flows %s != %d" % (pop, m["flows"], n))
    missing = senders - set(hosts)
    check(not missing, "flows %s: %d subscriber senders without hosts.csv row, e.g. %s" % (pop, len(missing), sorted(missing)[:3]))
    silent = set(hosts) - senders
    check(not silent, "flows %s: hosts without any flow: %s" % (pop, sorted(silent)[:3]))
    noact = [h for h, r in hosts.items() if r[1] in INFECTED and h not in first_bot]
    check(not noact, "flows %s: infected hosts without bot flows: %s" % (pop, noact[:3]))


# ---------------------------------------------------------------- calls
CALL_HEADER = ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"]
DISP = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}
LABEL = re.compile(r"^(normal|[a-z]+:[A-Za-z0-9_.\-]+)$")


def check_calls(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "own_ranges", "calls"])
    check(m["population"] == pop and m["seed"] == 1, "calls meta population/seed")
    check(all(isinstance(p, str) and p.isdigit() for p in m["own_ranges"]), "calls own_ranges must be digit prefixes")
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        raw = f.read()
    check(raw.endswith("\r\n"), "calls: RFC 4180 CRLF line ends")
    rows = list(csv.reader(raw.splitlines()))
    check(rows[0] == CALL_HEADER, "calls %s: header %r" % (pop, rows[0]))
    bad = 0
    prev = -1
    labels = set()
    for r in rows[1:]:
        ok = len(r) == 9 and r[0].isdigit() and r[3].isdigit() and r[4] in DISP and r[7] in ("0", "1")
        if ok:
            t = int(r[0])
            ok = m["start"] <= t < m["end"] and t >= prev and LABEL.match(r[8]) is not None
            ok = ok and (r[4] == "ANSWERED" or r[3] == "0") and r[1] != "" and r[2] != "" and r[5] != ""
            try:
                ipaddress.IPv4Address(r[6])
            except ValueError:
                ok = False
            prev = t
            labels.add(r[8].split(":")[0])
        if not ok:
            bad += 1
            if bad < 4:
                print("  bad call:", r)
    check(bad == 0, "calls %s: %d malformed/out-of-order rows" % (pop, bad))
    check(len(rows) - 1 == m["calls"], "calls %s: meta calls mismatch" % pop)
    check("normal" in labels and len(labels) >= 4, "calls %s: label kinds %s" % (pop, sorted(labels)))


def main():
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    import senders_gen
    import flows_gen
    import calls_gen
    gens = [("senders_gen.py", senders_gen.POPULATIONS, check_senders),
            ("flows_gen.py", flows_gen.POPULATIONS, check_flows),
            ("calls_gen.py", calls_gen.POPULATIONS, check_calls)]
    tmp = tempfile.mkdtemp(prefix="blind10_test_")
    try:
        for script, pops, checker in gens:
            check(len(pops) >= 2, "%s: needs at least two populations" % script)
            for pop in pops:
                a, b = os.path.join(tmp, pop + "_a"), os.path.join(tmp, pop + "_b")
                print("running %s --population %s --scale %s" % (script, pop, SCALE), flush=True)
                if not run(script, a, 1, pop):
                    continue
                checker(a, pop)
                run(script, b, 1, pop)
                check(digest(a) == digest(b), "%s %s: second run differs" % (script, pop))
                shutil.rmtree(a, ignore_errors=True)
                shutil.rmtree(b, ignore_errors=True)
            # default population by seed parity
            for seed, want in ((1, pops[0]), (2, pops[1])):
                o = os.path.join(tmp, "parity")
                if run(script, o, seed):
                    with open(os.path.join(o, "meta.json")) as f:
                        check(json.load(f)["population"] == want, "%s seed %d default population" % (script, seed))
                shutil.rmtree(o, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()

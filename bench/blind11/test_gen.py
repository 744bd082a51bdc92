#!/usr/bin/env python3
"""Self-test of the blind round-11 generators against FORMAT.md.

Runs every generator and population at --scale 0.05, seed 1, checks the output (headers, types,
sort order, time range, truth/hosts consistency, counts in meta.json), that a second run gives
identical bytes, and that the default population follows the seed's parity.
Exit status 0 only if every check passes.  Standard library only.
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

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
SEED = 1
GENS = {
    "senders_gen.py": (["isp_inbound", "mailbox_provider"], ["events.jsonl", "truth.csv", "meta.json"]),
    "flows_gen.py": (["campus_neris", "isp_access"], ["flows.binetflow", "hosts.csv", "meta.json"]),
    "calls_gen.py": (["terminating_carrier", "voip_provider"], ["calls.csv", "meta.json"]),
}

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


def run(gen, seed, out, pop=None, scale=SCALE):
    cmd = [sys.executable, os.path.join(HERE, gen), "--seed", str(seed), "--out", out, "--scale", scale]
    if pop:
        cmd += ["--population", pop]
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, "%s %s exit %d: %s" % (gen, pop, r.returncode, r.stderr[-500:]))


def load_meta(d, keys):
    with open(os.path.join(d, "meta.json")) as f:
        m = json.load(f)
    check(isinstance(m, dict) and set(keys) <= set(m), "meta.json keys %s" % sorted(m))
    return m


# ---------------------------------------------------------------- senders
SPF = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}
DKIM = {"pass", "fail", "none", "temperror", "permerror"}
DMARC = {"pass", "fail", "none"}
TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}


def domain_of(addr):
    return addr.rsplit("@", 1)[-1].lower() if addr else None


def check_senders(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "events", "identities"])
    check(m["population"] == pop and m["seed"] == SEED, "senders meta population/seed")
    t0, t1 = m["start"], m["end"]
    check(isinstance(t0, int) and isinstance(t1, int) and t1 - t0 >= 14 * 86400, "senders time range")
    n, prev, bad = 0, -1, 0
    seen = set()
    types = set()
    with open(os.path.join(d, "events.jsonl")) as f:
        for line in f:
            n += 1
            try:
                e = json.loads(line)
            except ValueError:
                bad += 1
                continue
            ok = isinstance(e, dict) and list(e)[0] == "time" and type(e["time"]) is int
            ok = ok and t0 <= e["time"] < t1 and e["time"] >= prev
            ok = ok and e.get("type", "message") in TYPES
            try:
                ipaddress.IPv4Address(e["ip"])
            except Exception:
                ok = False
            if "recipients" in e:
                ok = ok and type(e["recipients"]) is int and e["recipients"] >= 0
            if "spf" in e:
                ok = ok and e["spf"] in SPF and e["dkim"] in DKIM and e["dmarc"] in DMARC
            if "fcrdns" in e:
                ok = ok and type(e["fcrdns"]) is bool
            if "dkim_domains" in e:
                ok = ok and isinstance(e["dkim_domains"], list) and all(isinstance(x, str) for x in e["dkim_domains"])
            if "list_unsubscribe_one_click" in e:
                ok = ok and type(e["list_unsubscribe_one_click"]) is bool
            if "verdict" in e:
                ok = ok and e["verdict"] in ("spam", "ham")
            for k in ("helo", "mail_from", "from", "feedback_id", "list_id"):
                if k in e:
                    ok = ok and isinstance(e[k], str) and e[k] != ""
            if e.get("type", "message") == "message":
                ok = ok and all(k in e for k in ("helo", "mail_from", "from", "spf", "dkim", "dmarc", "fcrdns"))
            if not ok:
                bad += 1
                if bad < 4:
                    print("  bad event:", line.strip()[:200])
            prev = e.get("time", prev)
            types.add(e.get("type", "message"))
            seen.add("ip:" + e["ip"])
            for k in ("from", "mail_from"):
                if e.get(k):
                    seen.add("domain:" + domain_of(e[k]))
            for x in e.get("dkim_domains") or ():
                seen.add("domain:" + x.lower())
    check(bad == 0, "senders %s: %d bad/unsorted events" % (pop, bad))
    check(n == m["events"] and n > 1000, "senders %s: events %d vs meta %s" % (pop, n, m["events"]))
    check(types == TYPES, "senders %s: event types present %s" % (pop, sorted(types)))
    with open(os.path.join(d, "truth.csv")) as f:
        header = f.readline().rstrip("\n")
        rows = list(csv.reader(f))
    check(header == "identity,class,bad_from", "truth header %r" % header)
    ids = set()
    classes = {}
    badrows = 0
    for r in rows:
        ok = len(r) == 3 and re.match(r"^(ip|domain):\S+$", r[0]) is not None and r[1] in CLASSES
        if ok and r[1] in ("spammer", "compromised"):
            ok = r[2].isdigit() and t0 <= int(r[2]) < t1
        elif ok:
            ok = r[2] == ""
        ok = ok and r[0] not in ids and r[0] in seen
        if not ok:
            badrows += 1
            if badrows < 4:
                print("  bad truth row:", r)
        ids.add(r[0])
        classes[r[1]] = classes.get(r[1], 0) + 1
    check(badrows == 0, "senders %s: %d bad truth rows" % (pop, badrows))
    check(len(rows) == m["identities"], "senders %s: identities %d vs meta %s" % (pop, len(rows), m["identities"]))
    check(set(classes) == CLASSES, "senders %s: classes present %s" % (pop, classes))


# ---------------------------------------------------------------- flows
FLOW_HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}
TS = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")


def ts_unix(s):
    import calendar
    import time
    return calendar.timegm(time.strptime(s[:19], "%Y/%m/%d %H:%M:%S")) + int(s[20:]) / 1e6


def check_flows(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "subscribers", "mail_servers", "flows"])
    check(m["population"] == pop and m["seed"] == SEED, "flows meta population/seed")
    t0, t1 = m["start"], m["end"]
    subs = [ipaddress.ip_network(c) for c in m["subscribers"]]
    mails = [ipaddress.ip_network(c) for c in m["mail_servers"]]
    check(len(subs) > 0 and len(mails) > 0, "flows meta subscribers/mail_servers non-empty")
    hosts = {}
    with open(os.path.join(d, "hosts.csv")) as f:
        header = f.readline().rstrip("\n")
        check(header == "host,role,infected_from,infected_until", "hosts header %r" % header)
        badh = 0
        for r in csv.reader(f):
            ok = len(r) == 4 and r[1] in ROLES and r[0] not in hosts
            if ok:
                a = ipaddress.IPv4Address(r[0])
                ok = any(a in s for s in subs)
                if r[1] in INFECTED:
                    ok = ok and r[2].isdigit() and r[3].isdigit() and t0 <= int(r[2]) < int(r[3]) <= t1
                else:
                    ok = ok and r[2] == "" and r[3] == ""
                if any(a in mnet for mnet in mails):
                    ok = ok and r[1] == "mail_server"
            if not ok:
                badh += 1
                print("  bad host row:", r)
            hosts[r[0]] = (r[1], int(r[2]) if r[2] else None, int(r[3]) if r[3] else None)
    check(badh == 0, "flows %s: %d bad host rows" % (pop, badh))
    check(set(h[0] for h in hosts.values()) == ROLES, "flows %s: roles present %s" % (
        pop, sorted(set(h[0] for h in hosts.values()))))
    n, prev, bad = 0, "", 0
    botflows = {}
    senders = set()
    subcache = {}
    with open(os.path.join(d, "flows.binetflow")) as f:
        check(f.readline().rstrip("\n") == FLOW_HEADER, "flows header")
        for line in f:
            n += 1
            p = line.rstrip("\n").split(",")
            ok = len(p) == 15 and TS.match(p[0]) is not None and p[0] >= prev
            if ok:
                t = ts_unix(p[0])
                ok = t0 <= t < t1 and p[2] in ("tcp", "udp") and p[9] == "0" and p[10] == "0"
                try:
                    ok = ok and float(p[1]) >= 0 and 0 <= int(p[4]) <= 65535 and 0 <= int(p[7]) <= 65535
                    ok = ok and 0 < int(p[13]) <= int(p[12]) and int(p[11]) > 0
                    ipaddress.IPv4Address(p[3])
                    ipaddress.IPv4Address(p[6])
                except ValueError:
                    ok = False
                ok = ok and (p[14].startswith("flow=From-Botnet") or p[14].startswith("flow=From-Normal")
                             or p[14].startswith("flow=Background"))
            if not ok:
                bad += 1
                if bad < 4:
                    print("  bad flow:", line.strip())
                continue
            prev = p[0]
            src = p[3]
            insub = subcache.get(src)
            if insub is None:
                insub = subcache[src] = any(ipaddress.IPv4Address(src) in s for s in subs)
            if insub:
                senders.add(src)
            if p[14].startswith("flow=From-Botnet"):
                h = hosts.get(src)
                if not (h and h[0] in INFECTED and h[1] - 1 <= t <= h[2] + 1):
                    botflows[src] = botflows.get(src, 0) + 1
    check(bad == 0, "flows %s: %d bad/unsorted flows" % (pop, bad))
    check(n == m["flows"] and n > 1000, "flows %s: flows %d vs meta %s" % (pop, n, m["flows"]))
    missing = senders - set(hosts)
    check(not missing, "flows %s: subscriber senders without hosts row: %s" % (pop, sorted(missing)[:5]))
    check(not botflows, "flows %s: botnet-labelled flows outside an infection window: %s" % (pop, list(botflows.items())[:5]))


# ---------------------------------------------------------------- calls
CALL_HEADER = "time,caller,callee,duration,disposition,trunk,ip,external,label"
DISP = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}


def check_calls(d, pop):
    m = load_meta(d, ["population", "seed", "start", "end", "own_ranges", "calls"])
    check(m["population"] == pop and m["seed"] == SEED, "calls meta population/seed")
    t0, t1 = m["start"], m["end"]
    own = m["own_ranges"]
    check(own and all(isinstance(x, str) and x.isdigit() for x in own), "own_ranges are digit prefixes")
    check(1 * 86400 <= t1 - t0 <= 3 * 86400, "calls span 1-3 days")
    n, prev, bad = 0, -1, 0
    ext_calls = ext_own = 0
    labels = set()
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        rd = csv.reader(f)
        check(",".join(next(rd)) == CALL_HEADER, "calls header")
        for r in rd:
            n += 1
            ok = len(r) == 9 and r[0].isdigit()
            if ok:
                t = int(r[0])
                ok = t0 <= t < t1 and t >= prev and r[3].isdigit() and r[4] in DISP and r[7] in ("0", "1")
                ok = ok and (r[4] == "ANSWERED" or r[3] == "0") and r[1] != "" and r[2] != "" and r[5] != ""
                try:
                    ipaddress.IPv4Address(r[6])
                except ValueError:
                    ok = False
                ok = ok and (r[8] == "normal" or re.match(r"^[a-z]+:[A-Za-z0-9._-]+$", r[8]) is not None)
                prev = t
            if not ok:
                bad += 1
                if bad < 4:
                    print("  bad call:", r)
                continue
            labels.add(r[8].split(":")[0])
            if r[7] == "1":
                ext_calls += 1
                digits = r[2].lstrip("+")
                if len(digits) == 10:
                    digits = "1" + digits
                if any(digits.startswith(p) for p in own):
                    ext_own += 1
    check(bad == 0, "calls %s: %d bad/unsorted rows" % (pop, bad))
    check(n == m["calls"] and n > 1000, "calls %s: calls %d vs meta %s" % (pop, n, m["calls"]))
    check(ext_calls > 0 and ext_own / ext_calls > 0.95, "calls %s: inbound calls go to own ranges (%d/%d)" % (
        pop, ext_own, ext_calls))
    check({"normal", "robocall", "spoof", "wangiri", "tdos"} <= labels, "calls %s: labels %s" % (pop, sorted(labels)))


CHECKERS = {"senders_gen.py": check_senders, "flows_gen.py": check_flows, "calls_gen.py": check_calls}


def same_dirs(a, b, files):
    for fn in files:
        if not filecmp.cmp(os.path.join(a, fn), os.path.join(b, fn), shallow=False):
            return False
    return sorted(os.listdir(a)) == sorted(os.listdir(b)) == sorted(files)


def main():
    tmp = tempfile.mkdtemp(prefix="blind11-test-")
    try:
        for gen, (pops, files) in GENS.items():
            for i, pop in enumerate(pops):
                a = os.path.join(tmp, gen + "-" + pop + "-a")
                b = os.path.join(tmp, gen + "-" + pop + "-b")
                run(gen, SEED, a, pop)
                CHECKERS[gen](a, pop)
                # second run: the first population via the seed-parity default (seed 1 is odd)
                run(gen, SEED, b, None if i == 0 else pop)
                check(same_dirs(a, b, files), "%s %s: second run not byte-identical" % (gen, pop))
                shutil.rmtree(b)
                shutil.rmtree(a)
            # an even seed defaults to the second population
            c = os.path.join(tmp, gen + "-even")
            run(gen, 2, c, None, "0.01")
            with open(os.path.join(c, "meta.json")) as f:
                check(json.load(f)["population"] == pops[1], "%s: even seed -> %s" % (gen, pops[1]))
            shutil.rmtree(c)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

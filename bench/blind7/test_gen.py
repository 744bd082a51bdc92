#!/usr/bin/env python3
"""Self-check for the blind7 generators.

Runs each generator and population at --scale 0.05 with --seed 1 and checks that
the files are well-formed per FORMAT.md; also checks determinism (a second run
of one population per generator gives byte-identical files).
Usage: python3 test_gen.py [--keep DIR]
"""
import argparse
import csv
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
SEED = "1"
FAIL = []


def check(cond, msg):
    if not cond:
        FAIL.append(msg)
        if len(FAIL) < 40:
            print("FAIL:", msg)
    return cond


def gen(script, pop, out):
    cmd = [sys.executable, os.path.join(HERE, script), "--seed", SEED, "--out", out, "--population", pop, "--scale", SCALE]
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, "%s %s exited %d: %s" % (script, pop, p.returncode, p.stderr[-500:]))
    return p.returncode == 0


def digest(d):
    h = hashlib.sha256()
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def is_ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def load_meta(d, keys, pop):
    m = json.load(open(os.path.join(d, "meta.json")))
    check(set(keys) <= set(m), "%s: meta keys %s missing" % (d, set(keys) - set(m)))
    check(m.get("population") == pop and m.get("seed") == int(SEED), "%s: meta population/seed" % d)
    check(isinstance(m.get("start"), int) and isinstance(m.get("end"), int) and m["start"] < m["end"], "%s: meta start/end" % d)
    return m


# ------------------------------------------------------------------ senders
EV_TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
STR_FIELDS = ("helo", "mail_from", "from", "spf", "dkim", "dmarc", "feedback_id", "list_id")
AUTH = {"spf": {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}, "dkim": {"pass", "fail", "none"}, "dmarc": {"pass", "fail", "none"}}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}


def check_senders(d, pop):
    m = load_meta(d, ("population", "seed", "start", "end", "events", "identities"), pop)
    n, last = 0, -1
    ips, doms = set(), set()
    types = set()
    with open(os.path.join(d, "events.jsonl")) as f:
        for line in f:
            n += 1
            try:
                e = json.loads(line)
            except ValueError:
                check(False, "%s: line %d not JSON" % (d, n))
                continue
            t = e.get("time")
            if not check(isinstance(t, int) and t >= 0, "%s:%d bad time" % (d, n)):
                continue
            check(t >= last, "%s:%d not sorted by time" % (d, n))
            check(m["start"] <= t < m["end"], "%s:%d time outside [start,end)" % (d, n))
            last = t
            check(e.get("type") in EV_TYPES, "%s:%d bad type %r" % (d, n, e.get("type")))
            types.add(e.get("type"))
            check(is_ip(e.get("ip", "")), "%s:%d bad ip" % (d, n))
            ips.add(e.get("ip"))
            for k in STR_FIELDS:
                if k in e:
                    check(isinstance(e[k], str), "%s:%d %s not a string" % (d, n, k))
            for k, allowed in AUTH.items():
                if k in e:
                    check(e[k] in allowed, "%s:%d %s=%r" % (d, n, k, e[k]))
            if "dkim_domains" in e:
                check(isinstance(e["dkim_domains"], list) and all(isinstance(x, str) for x in e["dkim_domains"]), "%s:%d dkim_domains" % (d, n))
                doms.update(e["dkim_domains"])
            for k in ("fcrdns", "list_unsubscribe_one_click"):
                if k in e:
                    check(isinstance(e[k], bool), "%s:%d %s not bool" % (d, n, k))
            if "recipients" in e:
                check(isinstance(e["recipients"], int) and not isinstance(e["recipients"], bool) and e["recipients"] >= 1, "%s:%d recipients" % (d, n))
            if "verdict" in e:
                check(e["verdict"] in ("spam", "ham"), "%s:%d verdict" % (d, n))
            if e.get("from"):
                doms.add(e["from"].rsplit("@", 1)[-1])
    check(n > 0 and n == m["events"], "%s: meta events %s != %d lines" % (d, m["events"], n))
    check(EV_TYPES <= types, "%s: event types missing %s" % (d, EV_TYPES - types))
    rows = list(csv.reader(open(os.path.join(d, "truth.csv"), newline="")))
    check(rows and rows[0] == ["identity", "class", "bad_from"], "%s: truth header" % d)
    seen = set()
    classes = set()
    for r in rows[1:]:
        if not check(len(r) == 3, "%s: truth row %r" % (d, r)):
            continue
        ident, cls, bf = r
        check(ident not in seen, "%s: duplicate identity %s" % (d, ident))
        seen.add(ident)
        classes.add(cls)
        check(cls in CLASSES, "%s: class %r" % (d, cls))
        kind, _, name = ident.partition(":")
        if kind == "ip":
            check(is_ip(name) and name in ips, "%s: identity %s not an ip with events" % (d, ident))
        else:
            check(kind == "domain" and name in doms, "%s: identity %s not a domain with events" % (d, ident))
        if cls in ("spammer", "compromised"):
            check(bf.isdigit() and m["start"] <= int(bf) <= m["end"], "%s: bad_from for %s" % (d, ident))
        else:
            check(bf == "", "%s: bad_from must be empty for %s" % (d, ident))
    check(len(rows) - 1 == m["identities"], "%s: meta identities" % d)
    check(len(classes) >= 4, "%s: only classes %s" % (d, classes))


# ------------------------------------------------------------------ flows
FLOW_HDR = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
TS_RE = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}


def check_flows(d, pop):
    import calendar
    m = load_meta(d, ("population", "seed", "start", "end", "subscribers", "mail_servers", "flows"), pop)
    subs = [ipaddress.ip_network(c) for c in m["subscribers"]]
    mails = [ipaddress.ip_network(c) for c in m["mail_servers"]]
    hosts = {}
    rows = list(csv.reader(open(os.path.join(d, "hosts.csv"), newline="")))
    check(rows[0] == ["host", "role", "infected_from", "infected_until"], "%s: hosts header" % d)
    for r in rows[1:]:
        h, role, a, b = r
        check(is_ip(h) and h not in hosts, "%s: host %s" % (d, h))
        check(role in ROLES, "%s: role %s" % (d, role))
        if role in INFECTED:
            check(a.isdigit() and b.isdigit() and int(a) < int(b) and m["start"] <= int(a) and int(b) <= m["end"], "%s: infection times %s" % (d, r))
            hosts[h] = (role, int(a), int(b))
        else:
            check(a == "" and b == "", "%s: non-infected with times %s" % (d, r))
            hosts[h] = (role, None, None)
        if role == "mail_server":
            check(any(ipaddress.ip_address(h) in n for n in mails), "%s: mail server %s outside mail_servers" % (d, h))
    check({r for r, _, _ in hosts.values()} >= ROLES - ({"bot_relay"} if pop == "campus_neris" else set()), "%s: roles present %s" % (d, {r for r, _, _ in hosts.values()}))
    n, last = 0, ""
    bot_flows = {}
    with open(os.path.join(d, "flows.binetflow"), newline="") as f:
        check(f.readline().rstrip("\r\n") == FLOW_HDR, "%s: flow header" % d)
        for line in f:
            n += 1
            p = line.rstrip("\n").split(",")
            if not check(len(p) == 15, "%s:%d field count %d" % (d, n, len(p))):
                continue
            check(TS_RE.match(p[0]) is not None, "%s:%d StartTime %r" % (d, n, p[0]))
            check(p[0] >= last, "%s:%d not sorted" % (d, n))
            last = p[0]
            check(p[2] in ("tcp", "udp", "icmp"), "%s:%d proto" % (d, n))
            check(is_ip(p[3]) and is_ip(p[6]), "%s:%d addresses" % (d, n))
            check(p[4].isdigit() and p[7].isdigit(), "%s:%d ports" % (d, n))
            try:
                float(p[1])
                tp, tb, sb = int(p[11]), int(p[12]), int(p[13])
                check(tp >= 1 and tb >= sb >= 0, "%s:%d packet/byte counts" % (d, n))
            except ValueError:
                check(False, "%s:%d numbers" % (d, n))
            lab = p[14]
            check(lab.startswith("flow=From-Botnet") or lab.startswith("flow=From-Normal") or lab.startswith("flow=Background"), "%s:%d label %r" % (d, n, lab))
            src = ipaddress.ip_address(p[3])
            if any(src in s for s in subs):
                check(p[3] in hosts, "%s:%d subscriber %s has no hosts.csv row" % (d, n, p[3]))
            if lab.startswith("flow=From-Botnet"):
                role, a, b = hosts.get(p[3], (None, None, None))
                t = calendar.timegm((int(p[0][:4]), int(p[0][5:7]), int(p[0][8:10]), int(p[0][11:13]), int(p[0][14:16]), int(p[0][17:19])))
                ok = role in INFECTED and a - 1 <= t <= b + 1
                check(ok, "%s:%d botnet flow from %s (%s) outside its infection" % (d, n, p[3], role))
                bot_flows[p[3]] = bot_flows.get(p[3], 0) + 1
    check(n == m["flows"] and n > 0, "%s: meta flows %s != %d" % (d, m["flows"], n))
    inf = [h for h, (r, _, _) in hosts.items() if r in INFECTED]
    check(sum(1 for h in inf if bot_flows.get(h)) >= 0.8 * len(inf), "%s: most infected hosts have botnet flows" % d)


# ------------------------------------------------------------------ calls
CALL_HDR = ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"]
DISP = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}


def check_calls(d, pop):
    m = load_meta(d, ("population", "seed", "start", "end", "own_ranges", "calls"), pop)
    check(all(isinstance(x, str) and x.isdigit() for x in m["own_ranges"]) and m["own_ranges"], "%s: own_ranges" % d)
    raw = open(os.path.join(d, "calls.csv"), "rb").read()
    check(raw.endswith(b"\r\n") and b"\r\n" in raw[:200], "%s: RFC 4180 CRLF line ends" % d)
    rows = list(csv.reader(open(os.path.join(d, "calls.csv"), newline="")))
    check(rows[0] == CALL_HDR, "%s: calls header" % d)
    last = -1
    labels = set()
    for i, r in enumerate(rows[1:], 1):
        if not check(len(r) == 9, "%s:%d fields" % (d, i)):
            continue
        t, caller, callee, dur, disp, trunk, ip, ext, lab = r
        check(t.isdigit() and int(t) >= last and m["start"] <= int(t) < m["end"], "%s:%d time" % (d, i))
        last = int(t) if t.isdigit() else last
        check(dur.isdigit() and (disp == "ANSWERED" or dur == "0"), "%s:%d duration %s/%s" % (d, i, dur, disp))
        check(disp in DISP, "%s:%d disposition" % (d, i))
        check(trunk != "" and is_ip(ip), "%s:%d trunk/ip" % (d, i))
        check(ext in ("0", "1"), "%s:%d external" % (d, i))
        check(callee != "" and caller != "", "%s:%d numbers" % (d, i))
        check(lab == "normal" or re.match(r"^[a-z]+:[A-Za-z0-9._-]+$", lab) is not None, "%s:%d label %r" % (d, i, lab))
        labels.add(lab.split(":")[0])
    check(len(rows) - 1 == m["calls"] and m["calls"] > 0, "%s: meta calls" % d)
    check("normal" in labels and len(labels) >= 3, "%s: labels %s" % (d, labels))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="write outputs here instead of a temporary directory")
    a = ap.parse_args()
    base = a.keep or tempfile.mkdtemp(prefix="blind7-test-")
    plan = [("senders_gen.py", ("isp_inbound", "mailbox_provider"), check_senders),
            ("flows_gen.py", ("campus_neris", "isp_access"), check_flows),
            ("calls_gen.py", ("terminating_carrier", "voip_provider"), check_calls)]
    for script, pops, fn in plan:
        for i, pop in enumerate(pops):
            out = os.path.join(base, "%s_%s" % (script.split("_")[0], pop))
            if gen(script, pop, out):
                fn(out, pop)
                if i == 0:
                    out2 = out + "_again"
                    if gen(script, pop, out2):
                        check(digest(out) == digest(out2), "%s %s not deterministic" % (script, pop))
            print("checked %s %s" % (script, pop))
    print("%d failures" % len(FAIL))
    if not a.keep:
        import shutil
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if FAIL else 0)


if __name__ == "__main__":
    main()

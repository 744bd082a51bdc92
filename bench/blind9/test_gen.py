#!/usr/bin/env python3
"""Self-check of the round-9 generators: runs each generator and population
at --scale 0.05 with seed 1 and checks the files against FORMAT.md; also
checks determinism (same seed -> identical bytes) for one population each.
Standard library only.  Usage: python3 test_gen.py [--keep DIR]"""
import argparse
import csv
import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
SEED = "1"
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg)


def run(gen, pop, out):
    os.makedirs(out, exist_ok=True)
    cmd = [sys.executable, os.path.join(HERE, gen), "--seed", SEED, "--out", out, "--population", pop, "--scale", SCALE]
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, "%s %s exited %d: %s" % (gen, pop, r.returncode, r.stderr[-500:]))


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- senders
EV_TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
STR_FIELDS = {"helo", "mail_from", "from", "spf", "dkim", "dmarc", "feedback_id", "list_id", "verdict", "ip", "type"}
BOOL_FIELDS = {"fcrdns", "list_unsubscribe_one_click"}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}


def check_senders(d, pop):
    meta = json.load(open(os.path.join(d, "meta.json")))
    for k in ("population", "seed", "start", "end", "events", "identities"):
        check(k in meta, "senders meta lacks %s" % k)
    check(meta["population"] == pop and meta["seed"] == int(SEED), "senders meta population/seed")
    n, last = 0, -1
    ips, froms = set(), set()
    types = set()
    with open(os.path.join(d, "events.jsonl")) as f:
        for line in f:
            n += 1
            e = json.loads(line)
            t = e.get("time")
            check(isinstance(t, int) and t >= 0, "senders event time not a non-negative int: %r" % line[:80])
            check(t >= last, "senders events not sorted at line %d" % n)
            check(meta["start"] <= t < meta["end"], "senders event outside [start,end)")
            last = t
            typ = e.get("type", "message")
            check(typ in EV_TYPES, "senders unknown type %r" % typ)
            types.add(typ)
            for k, v in e.items():
                if k in STR_FIELDS:
                    check(isinstance(v, str), "senders field %s not a string" % k)
                elif k in BOOL_FIELDS:
                    check(isinstance(v, bool), "senders field %s not a bool" % k)
                elif k == "recipients":
                    check(isinstance(v, int) and v >= 0, "senders recipients not a non-negative int")
                elif k == "dkim_domains":
                    check(isinstance(v, list) and all(isinstance(x, str) for x in v), "senders dkim_domains not a list of strings")
            try:
                ipaddress.ip_address(e["ip"])
            except (KeyError, ValueError):
                check(False, "senders bad ip in %r" % line[:80])
            ips.add(e["ip"])
            if e.get("from"):
                froms.add(e["from"].rsplit("@", 1)[-1].lower())
            for x in e.get("dkim_domains", []):
                froms.add(x.lower())
            if len(FAILS) > 20:
                return
    check(n == meta["events"], "senders meta events %s != %d" % (meta["events"], n))
    check({"message", "complaint", "bounce"} <= types, "senders lacks some event types: %s" % types)
    with open(os.path.join(d, "truth.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["identity", "class", "bad_from"], "senders truth header")
    seen, classes = set(), set()
    for r in rows[1:]:
        check(len(r) == 3, "senders truth row %r" % r)
        ident, cls, bf = r
        check(ident not in seen, "duplicate truth identity %s" % ident)
        seen.add(ident)
        check(cls in CLASSES, "senders bad class %s" % cls)
        classes.add(cls)
        kind, _, val = ident.partition(":")
        check(kind in ("ip", "domain"), "senders identity kind %s" % ident)
        if kind == "ip":
            check(val in ips, "truth ip %s never sends" % val)
        else:
            check(val in froms, "truth domain %s never seen" % val)
        if cls in ("spammer", "compromised"):
            check(bf.isdigit() and meta["start"] <= int(bf) < meta["end"], "bad_from for %s: %r" % (ident, bf))
        else:
            check(bf == "", "bad_from must be empty for %s" % ident)
    check(len(rows) - 1 == meta["identities"], "senders meta identities")
    check(len(classes) >= 4, "senders: few classes present: %s" % classes)
    print("senders %-17s events=%d identities=%d classes=%s" % (pop, n, len(rows) - 1, sorted(classes)))


# ---------------------------------------------------------------- flows
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
HDR = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"


def check_flows(d, pop):
    meta = json.load(open(os.path.join(d, "meta.json")))
    for k in ("population", "seed", "start", "end", "subscribers", "mail_servers", "flows"):
        check(k in meta, "flows meta lacks %s" % k)
    subs = [ipaddress.ip_network(c) for c in meta["subscribers"]]
    mails = [ipaddress.ip_network(c) for c in meta["mail_servers"]]
    hosts = {}
    with open(os.path.join(d, "hosts.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["host", "role", "infected_from", "infected_until"], "hosts header")
    for r in rows[1:]:
        ip, role, a, b = r
        check(role in ROLES, "bad role %s" % role)
        check(ip not in hosts, "duplicate host %s" % ip)
        infected = role in ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected")
        if infected:
            check(a.isdigit() and b.isdigit() and int(a) <= int(b), "infected host %s times %r %r" % (ip, a, b))
        else:
            check(a == "" and b == "", "non-infected host %s has times" % ip)
        hosts[ip] = role
    check(any(r in hosts.values() for r in ("bot_heavy", "bot_lowslow", "bot_relay")), "no bots")
    n, last = 0, None
    bot_srcs = set()
    epoch = datetime.datetime(1970, 1, 1)
    with open(os.path.join(d, "flows.binetflow")) as f:
        check(f.readline().rstrip("\r\n") == HDR, "flows header")
        for line in f:
            n += 1
            p = line.rstrip("\n").split(",")
            check(len(p) == 15, "flows: %d fields at line %d" % (len(p), n))
            ts = p[0]
            if last is not None:
                check(ts >= last, "flows not sorted at line %d" % n)
            last = ts
            if n % 97 == 1:
                t = (datetime.datetime.strptime(ts, "%Y/%m/%d %H:%M:%S.%f") - epoch).total_seconds()
                check(meta["start"] <= t < meta["end"], "flow time outside capture")
                float(p[1]); int(p[11]); int(p[12]); int(p[13])
                ipaddress.ip_address(p[3]); ipaddress.ip_address(p[6])
            check(p[2] in ("tcp", "udp", "icmp"), "proto %s" % p[2])
            check(p[14].startswith("flow=From-Botnet-") or p[14].startswith("flow=From-Normal-") or p[14].startswith("flow=Background-"),
                  "label %s" % p[14])
            src = p[3]
            a = ipaddress.ip_address(src)
            if any(a in s for s in subs) or any(a in m for m in mails):
                check(src in hosts, "subscriber %s sends flows but has no hosts.csv row" % src)
            if p[14].startswith("flow=From-Botnet-"):
                bot_srcs.add(src)
            if len(FAILS) > 20:
                return
    check(n == meta["flows"], "flows meta count %s != %d" % (meta["flows"], n))
    for ip in bot_srcs:
        check(hosts.get(ip) in ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"), "botnet flows from %s (%s)" % (ip, hosts.get(ip)))
    print("flows   %-17s flows=%d hosts=%d roles=%s" % (pop, n, len(hosts), sorted(set(hosts.values()))))


# ---------------------------------------------------------------- calls
DISP = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}


def check_calls(d, pop):
    meta = json.load(open(os.path.join(d, "meta.json")))
    for k in ("population", "seed", "start", "end", "own_ranges", "calls"):
        check(k in meta, "calls meta lacks %s" % k)
    check(all(isinstance(x, str) and x.isdigit() for x in meta["own_ranges"]), "own_ranges must be digit prefixes")
    n, last = 0, -1
    labels = set()
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        rd = csv.reader(f)
        check(next(rd) == ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"], "calls header")
        for r in rd:
            n += 1
            check(len(r) == 9, "calls row len at %d" % n)
            t = int(r[0])
            check(t >= last and meta["start"] <= t < meta["end"], "calls time order/range at %d" % n)
            last = t
            dur = int(r[3])
            check(dur >= 0, "negative duration")
            check(r[4] in DISP, "disposition %s" % r[4])
            check((dur > 0) == (r[4] == "ANSWERED") or (r[4] == "ANSWERED" and dur >= 0), "duration/disposition mismatch at %d" % n)
            ipaddress.ip_address(r[6])
            check(r[7] in ("0", "1"), "external %s" % r[7])
            check(r[8] == "normal" or ":" in r[8], "label %s" % r[8])
            labels.add(r[8].split(":")[0])
            if len(FAILS) > 20:
                return
    check(n == meta["calls"], "calls meta count")
    check("normal" in labels and len(labels) >= 3, "calls labels %s" % labels)
    print("calls   %-17s calls=%d label kinds=%s" % (pop, n, sorted(labels)))


GENS = [("senders_gen.py", ["isp_inbound", "mailbox_provider"], check_senders, "events.jsonl"),
        ("flows_gen.py", ["campus", "isp_access"], check_flows, "flows.binetflow"),
        ("calls_gen.py", ["terminating_carrier", "voip_provider"], check_calls, "calls.csv")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", default=None, help="write outputs here instead of a temporary directory")
    a = ap.parse_args()
    base = a.keep or tempfile.mkdtemp(prefix="blind9test")
    try:
        for gen, pops, chk, main_file in GENS:
            for pop in pops:
                out = os.path.join(base, gen[:-7], pop)
                run(gen, pop, out)
                if not FAILS:
                    chk(out, pop)
            # determinism: same seed twice -> identical output
            out2 = os.path.join(base, gen[:-7], pops[0] + "_again")
            run(gen, pops[0], out2)
            for fn in (main_file, "meta.json"):
                check(digest(os.path.join(base, gen[:-7], pops[0], fn)) == digest(os.path.join(out2, fn)),
                      "%s not deterministic (%s)" % (gen, fn))
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()

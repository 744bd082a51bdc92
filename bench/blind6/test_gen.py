#!/usr/bin/env python3
"""Self-check of the blind-6 generators: runs every population of each generator
at --scale 0.05 with --seed 1 (twice, to check determinism) and checks that the
files are well-formed per FORMAT.md. Exit status 0 when everything passes.

    python3 test_gen.py            # all generators
    python3 test_gen.py senders    # one generator (senders, flows, calls)
"""
import csv
import hashlib
import importlib.util
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
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg)
    return cond


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def run(gen, pop, out):
    cmd = [sys.executable, os.path.join(HERE, gen + ".py"), "--seed", SEED, "--out", out,
           "--population", pop, "--scale", SCALE]
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, f"{gen} {pop}: exit {p.returncode}: {p.stderr[-2000:]}")
    return p.returncode == 0


def digest(d):
    h = hashlib.sha256()
    for name in sorted(os.listdir(d)):
        h.update(name.encode())
        with open(os.path.join(d, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def is_ipv4(s):
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------
def check_senders(d, pop):
    tag = f"senders {pop}"
    meta = json.load(open(os.path.join(d, "meta.json")))
    check(set(meta) == {"population", "seed", "start", "end", "events", "identities"}, f"{tag}: meta keys {sorted(meta)}")
    check(meta["population"] == pop and meta["seed"] == int(SEED), f"{tag}: meta population/seed")
    types = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
    str_fields = ["helo", "mail_from", "from", "spf", "dkim", "dmarc", "feedback_id", "list_id", "pra", "senderid"]
    auth = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}
    last = -1
    n = 0
    seen_types = {}
    ips, doms = {}, {}
    with open(os.path.join(d, "events.jsonl")) as f:
        for ln, line in enumerate(f, 1):
            n += 1
            try:
                e = json.loads(line)
            except ValueError as ex:
                check(False, f"{tag}: line {ln} not JSON: {ex}")
                continue
            if not check(isinstance(e, dict), f"{tag}: line {ln} not an object"):
                continue
            t = e.get("time")
            ok = check(isinstance(t, int) and not isinstance(t, bool) and t >= 0, f"{tag}: line {ln} time {t!r}")
            if ok:
                check(t >= last, f"{tag}: line {ln} not sorted by time")
                check(meta["start"] <= t < meta["end"], f"{tag}: line {ln} time outside [start,end)")
                last = t
            ty = e.get("type", "message")
            check(ty in types, f"{tag}: line {ln} type {ty!r}")
            seen_types[ty] = seen_types.get(ty, 0) + 1
            check(isinstance(e.get("ip"), str) and is_ipv4(e["ip"]), f"{tag}: line {ln} ip {e.get('ip')!r}")
            ips[e.get("ip")] = 1
            for k in str_fields:
                if k in e:
                    check(isinstance(e[k], str), f"{tag}: line {ln} {k} not a string")
            for k in ("spf", "dkim", "dmarc"):
                if k in e:
                    check(e[k] in auth, f"{tag}: line {ln} {k}={e[k]!r}")
            if "dkim_domains" in e:
                check(isinstance(e["dkim_domains"], list) and all(isinstance(x, str) for x in e["dkim_domains"]),
                      f"{tag}: line {ln} dkim_domains")
                for x in e["dkim_domains"]:
                    doms[x.lower()] = 1
            if "from" in e:
                doms[e["from"].rsplit("@", 1)[-1].lower()] = 1
            for k in ("fcrdns", "list_unsubscribe_one_click"):
                if k in e:
                    check(isinstance(e[k], bool), f"{tag}: line {ln} {k} not bool")
            if "recipients" in e:
                rc = e["recipients"]
                check(isinstance(rc, int) and not isinstance(rc, bool) and rc >= 1, f"{tag}: line {ln} recipients {rc!r}")
            if "verdict" in e:
                check(e["verdict"] in ("spam", "ham"), f"{tag}: line {ln} verdict {e['verdict']!r}")
            if FAILS and len(FAILS) > 50:
                return
    check(n == meta["events"], f"{tag}: meta events {meta['events']} != {n}")
    for ty in ("message", "complaint", "trap", "bounce"):
        check(seen_types.get(ty, 0) > 0, f"{tag}: no {ty} events")
    rows = list(csv.reader(open(os.path.join(d, "truth.csv"), newline="")))
    check(rows[0] == ["identity", "class", "bad_from"], f"{tag}: truth header {rows[0]}")
    classes = {"bulk", "transactional", "spammer", "compromised", "unknown"}
    seen_ids = {}
    cls_count = {}
    for i, row in enumerate(rows[1:], 2):
        if not check(len(row) == 3, f"{tag}: truth row {i} has {len(row)} fields"):
            continue
        ident, cls, bad = row
        check(ident not in seen_ids, f"{tag}: duplicate identity {ident}")
        seen_ids[ident] = 1
        check(cls in classes, f"{tag}: class {cls!r}")
        cls_count[cls] = cls_count.get(cls, 0) + 1
        if ident.startswith("ip:"):
            check(is_ipv4(ident[3:]), f"{tag}: identity {ident}")
            check(ident[3:] in ips, f"{tag}: {ident} never appears in events")
        elif ident.startswith("domain:"):
            check(re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", ident[7:]) is not None, f"{tag}: identity {ident}")
            check(ident[7:] in doms, f"{tag}: {ident} never appears in events")
        else:
            check(False, f"{tag}: identity {ident}")
        if cls in ("spammer", "compromised"):
            check(bad.isdigit() and meta["start"] <= int(bad) < meta["end"], f"{tag}: {ident} bad_from {bad!r}")
        else:
            check(bad == "", f"{tag}: {ident} class {cls} with bad_from")
    check(len(rows) - 1 == meta["identities"], f"{tag}: meta identities")
    check(len([c for c in cls_count if cls_count[c] > 0]) >= 4, f"{tag}: only classes {cls_count}")
    check(cls_count.get("spammer", 0) > 0, f"{tag}: no spammers")
    print(f"ok  {tag}: {n} events {seen_types}; truth {cls_count}")


# ---------------------------------------------------------------------------
TS = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")


def check_flows(d, pop):
    import calendar
    tag = f"flows {pop}"
    meta = json.load(open(os.path.join(d, "meta.json")))
    check(set(meta) == {"population", "seed", "start", "end", "subscribers", "mail_servers", "flows"}, f"{tag}: meta keys")
    nets = [ipaddress.ip_network(x) for x in meta["subscribers"]]
    mnets = [ipaddress.ip_network(x) for x in meta["mail_servers"]]
    check(len(nets) > 0 and len(mnets) > 0, f"{tag}: empty subscribers/mail_servers")
    hosts = {}
    rows = list(csv.reader(open(os.path.join(d, "hosts.csv"), newline="")))
    check(rows[0] == ["host", "role", "infected_from", "infected_until"], f"{tag}: hosts header {rows[0]}")
    roles = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
    infected = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}
    for row in rows[1:]:
        if not check(len(row) == 4, f"{tag}: hosts row {row}"):
            continue
        h, role, a, b = row
        check(is_ipv4(h), f"{tag}: host {h}")
        check(h not in hosts, f"{tag}: duplicate host {h}")
        check(role in roles, f"{tag}: role {role}")
        if role in infected:
            ok = check(a.isdigit() and b.isdigit(), f"{tag}: {h} {role} without times")
            if ok:
                check(meta["start"] <= int(a) < int(b) <= meta["end"], f"{tag}: {h} infection window {a}..{b}")
        else:
            check(a == "" and b == "", f"{tag}: {h} {role} with infection times")
        if role == "mail_server":
            check(any(ipaddress.ip_address(h) in m for m in mnets), f"{tag}: mail server {h} not in mail_servers")
        hosts[h] = (role, int(a) if a else None, int(b) if b else None)
    header = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
    n = 0
    last = ""
    srcs = {}
    bot_flows = 0
    day_cache = {}
    with open(os.path.join(d, "flows.binetflow")) as f:
        check(f.readline().rstrip("\n") == header, f"{tag}: binetflow header")
        for ln, line in enumerate(f, 2):
            n += 1
            p = line.rstrip("\n").split(",")
            if not check(len(p) == 15, f"{tag}: line {ln} has {len(p)} fields"):
                continue
            check(TS.match(p[0]) is not None, f"{tag}: line {ln} StartTime {p[0]!r}")
            check(p[0] >= last, f"{tag}: line {ln} not sorted")
            last = p[0]
            dk = p[0][:10]
            if dk not in day_cache:
                y, mo, dd = (int(x) for x in dk.split("/"))
                day_cache[dk] = calendar.timegm((y, mo, dd, 0, 0, 0))
            hh, mm, ss = p[0][11:].split(":")
            t = day_cache[dk] + int(hh) * 3600 + int(mm) * 60 + float(ss)
            check(meta["start"] <= t < meta["end"], f"{tag}: line {ln} time outside capture")
            check(float(p[1]) >= 0, f"{tag}: line {ln} Dur")
            check(p[2] in ("tcp", "udp", "icmp"), f"{tag}: line {ln} Proto {p[2]}")
            check(is_ipv4(p[3]) and is_ipv4(p[6]), f"{tag}: line {ln} addresses")
            check(p[5].strip() in ("->", "<->", "<-", "<?>", "?>", "<?"), f"{tag}: line {ln} Dir {p[5]!r}")
            check(p[11].isdigit() and p[12].isdigit() and p[13].isdigit() and int(p[13]) <= int(p[12]),
                  f"{tag}: line {ln} packet/byte counts")
            lab = p[14]
            check(lab.startswith("flow=From-Botnet-") or lab.startswith("flow=From-Normal-") or lab.startswith("flow=Background"),
                  f"{tag}: line {ln} Label {lab!r}")
            src = p[3]
            srcs[src] = 1
            if lab.startswith("flow=From-Botnet-"):
                bot_flows += 1
                hr = hosts.get(src)
                if check(hr is not None and hr[0] in infected, f"{tag}: line {ln} bot flow from {src} role {hr}"):
                    check(hr[1] - 1 <= t <= hr[2] + 1, f"{tag}: line {ln} bot flow outside infection window")
            if len(FAILS) > 50:
                return
    check(n == meta["flows"], f"{tag}: meta flows {meta['flows']} != {n}")
    check(bot_flows > 0, f"{tag}: no bot flows")
    for s in srcs:
        if any(ipaddress.ip_address(s) in nt for nt in nets):
            check(s in hosts, f"{tag}: subscriber {s} sends flows but has no hosts.csv row")
    rc = {}
    for h, (role, _, _) in hosts.items():
        rc[role] = rc.get(role, 0) + 1
    check(sum(rc.get(x, 0) for x in infected) > 0 and rc.get("normal", 0) > 0, f"{tag}: roles {rc}")
    print(f"ok  {tag}: {n} flows ({bot_flows} bot); hosts {rc}")


# ---------------------------------------------------------------------------
def check_calls(d, pop):
    tag = f"calls {pop}"
    meta = json.load(open(os.path.join(d, "meta.json")))
    check(set(meta) == {"population", "seed", "start", "end", "own_ranges", "calls"}, f"{tag}: meta keys")
    check(all(isinstance(x, str) and x.isdigit() for x in meta["own_ranges"]) and meta["own_ranges"], f"{tag}: own_ranges")
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"],
          f"{tag}: header {rows[0]}")
    last = -1
    labels = {}
    disp = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}
    for i, row in enumerate(rows[1:], 2):
        if not check(len(row) == 9, f"{tag}: row {i} has {len(row)} fields"):
            continue
        t, caller, callee, dur, dp, trunk, ip, ext, lab = row
        ok = check(t.isdigit(), f"{tag}: row {i} time {t!r}")
        if ok:
            check(int(t) >= last, f"{tag}: row {i} not sorted")
            check(meta["start"] <= int(t) < meta["end"], f"{tag}: row {i} time outside")
            last = int(t)
        check(caller != "" and callee != "", f"{tag}: row {i} empty number")
        check(dur.isdigit(), f"{tag}: row {i} duration {dur!r}")
        check(dp in disp, f"{tag}: row {i} disposition {dp!r}")
        if dp != "ANSWERED":
            check(dur == "0", f"{tag}: row {i} unanswered with duration {dur}")
        check(trunk != "", f"{tag}: row {i} empty trunk")
        check(is_ipv4(ip), f"{tag}: row {i} ip {ip!r}")
        check(ext in ("0", "1"), f"{tag}: row {i} external {ext!r}")
        check(lab == "normal" or re.fullmatch(r"[a-z-]+:[A-Za-z0-9_.-]+", lab) is not None, f"{tag}: row {i} label {lab!r}")
        k = lab.split(":")[0]
        labels[k] = labels.get(k, 0) + 1
        if len(FAILS) > 50:
            return
    check(len(rows) - 1 == meta["calls"], f"{tag}: meta calls")
    check(labels.get("normal", 0) > 0 and len(labels) >= 3, f"{tag}: labels {labels}")
    print(f"ok  {tag}: {len(rows) - 1} calls {labels}")


GENS = {"senders": ("senders_gen", check_senders), "flows": ("flows_gen", check_flows),
        "calls": ("calls_gen", check_calls)}


def main():
    which = sys.argv[1:] or list(GENS)
    with tempfile.TemporaryDirectory(prefix="blind6-test-") as tmp:
        for g in which:
            mod, fn = GENS[g]
            pops = list(load(mod).POPULATIONS)
            check(len(pops) >= 2, f"{mod}: fewer than two populations")
            for pop in pops:
                a = os.path.join(tmp, f"{g}-{pop}-a")
                b = os.path.join(tmp, f"{g}-{pop}-b")
                if not (run(mod, pop, a) and run(mod, pop, b)):
                    continue
                check(digest(a) == digest(b), f"{mod} {pop}: not deterministic for a fixed seed")
                fn(a, pop)
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""score_flows.py - score `rampart flows detect` on a blind flow population.

    score_flows.py RAMPART_BIN DIR [DIR ...] [--json] [--window 120]
    score_flows.py --incidents FILE DIR [--json]      # score incidents already produced

DIR is what a flow generator writes (bench/blind format, see BLIND-FORMAT in the
project notes): flows.binetflow, hosts.csv, meta.json. For each DIR the script runs

    RAMPART_BIN flows detect --input DIR/flows.binetflow --format binetflow
                --subscribers S1,S2 [--mail-servers M1,M2] --json

with subscribers and mail servers from meta.json, joins the incidents (one JSON
object per line: host, first_seen, last_seen, ...) with hosts.csv and prints:

- F1 per host and 2-minute window. The windows scored are those in which a host
  of hosts.csv sends at least one flow (SrcAddr), as CTU-13 scores per host and
  window. A window is positive when it overlaps [infected_from, infected_until)
  (no infected_until: to the end); predicted positive when it overlaps
  [first_seen, last_seen] of one of the host's incidents.
- per role: hosts, hosts detected (an incident overlapping the infection) and the
  share of positive windows found; for the legitimate roles (normal, mail_server,
  nat_gateway) the hosts flagged at all, which must be 0.
- time to detection per infected host: first_seen of its first incident that
  overlaps the infection, minus infected_from (0 when earlier); median and p90
  over the detected hosts, and for bot_lowslow the share of all its hosts found
  within 4 hours.
- incidents for addresses not in hosts.csv (flagged_unlisted).

--json prints one JSON object (per DIR under "populations", and "total" over all
of them). Exit 0 when scored, 2 on bad arguments, unreadable input or a failed run.
Python 3 standard library only.
"""

import argparse
import calendar
import csv
import json
import math
import os
import subprocess
import sys

INFECTED_ROLES = ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected")
LEGIT_ROLES = ("normal", "mail_server", "nat_gateway")
LOWSLOW_DEADLINE_S = 4 * 3600


class ScoreError(Exception):
    pass


def parse_time(text, cache):
    """'YYYY/MM/DD HH:MM:SS[.ffffff]' (UTC) -> unix seconds (float)."""
    text = text.strip()
    day, _, clock = text.partition(" ")
    base = cache.get(day)
    if base is None:
        try:
            y, m, d = (int(x) for x in day.replace("-", "/").split("/"))
        except ValueError:
            raise ScoreError("bad StartTime %r" % text)
        base = calendar.timegm((y, m, d, 0, 0, 0, 0, 0, 0))
        cache[day] = base
    try:
        hh, mm, ss = clock.split(":")
        return base + int(hh) * 3600 + int(mm) * 60 + float(ss)
    except ValueError:
        raise ScoreError("bad StartTime %r" % text)


def read_hosts(path):
    hosts = {}
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        need = {"host", "role", "infected_from", "infected_until"}
        if not r.fieldnames or not need.issubset(r.fieldnames):
            raise ScoreError("%s: header must have %s" % (path, ",".join(sorted(need))))
        for row in r:
            frm = row["infected_from"].strip()
            until = row["infected_until"].strip()
            hosts[row["host"].strip()] = {
                "role": row["role"].strip(),
                "from": float(frm) if frm else None,
                "until": float(until) if until else None,
            }
    return hosts


def active_windows(path, hosts, window):
    """host -> set of window indices in which the host sends a flow."""
    out = {h: set() for h in hosts}
    cache = {}
    with open(path, newline="") as f:
        header = f.readline().strip().split(",")
        try:
            ti, si = header.index("StartTime"), header.index("SrcAddr")
        except ValueError:
            raise ScoreError("%s: header needs StartTime and SrcAddr" % path)
        for line in f:
            cols = line.split(",", si + 1)
            if len(cols) <= si:
                continue
            s = out.get(cols[si].strip())
            if s is None:
                continue
            s.add(int(parse_time(cols[ti], cache) // window))
    return out


def run_detector(binary, d, meta):
    subs = meta.get("subscribers") or []
    if not subs:
        raise ScoreError("%s/meta.json: no subscribers" % d)
    cmd = [binary, "flows", "detect", "--input", os.path.join(d, "flows.binetflow"), "--format", "binetflow",
           "--subscribers", ",".join(subs)]
    mail = meta.get("mail_servers") or []
    if mail:
        cmd += ["--mail-servers", ",".join(mail)]
    cmd.append("--json")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise ScoreError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-500:]))
    return p.stdout


def parse_incidents(text):
    incs = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
            incs.append((o["host"], float(o["first_seen"]), float(o["last_seen"])))
        except (ValueError, KeyError, TypeError) as e:
            raise ScoreError("incident line %d is not {host, first_seen, last_seen}: %s" % (n, e))
    return incs


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(1, int(math.ceil(q / 100.0 * len(v))))
    return v[k - 1]


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def score(hosts, windows, incidents, window):
    by_host = {}
    unlisted = set()
    for h, a, b in incidents:
        if h not in hosts:
            unlisted.add(h)
            continue
        by_host.setdefault(h, []).append((a, b))
    tp = fp = fn = tn = 0
    roles = {}
    ttd = {}
    for h, info in hosts.items():
        role = info["role"]
        r = roles.setdefault(role, {"hosts": 0, "detected": 0, "flagged": 0, "pos_windows": 0, "tp_windows": 0,
                                    "fp_windows": 0})
        r["hosts"] += 1
        incs = sorted(by_host.get(h, []))
        if incs:
            r["flagged"] += 1
        frm, until = info["from"], info["until"]
        infected = frm is not None
        if infected and until is None:
            until = math.inf
        for w in windows.get(h, ()):
            w0, w1 = w * window, (w + 1) * window
            pos = infected and w0 < until and w1 > frm
            pred = any(w0 <= b and w1 > a for a, b in incs)
            if pos and pred:
                tp += 1
                r["tp_windows"] += 1
            elif pos:
                fn += 1
            elif pred:
                fp += 1
                r["fp_windows"] += 1
            else:
                tn += 1
            if pos:
                r["pos_windows"] += 1
        if infected:
            hit = [a for a, b in incs if a < until and b >= frm]
            if hit:
                r["detected"] += 1
                ttd[h] = max(0.0, min(hit) - frm)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    out = {
        "windows": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": f1,
        "roles": {},
        "ttd_median_s": median(list(ttd.values())) if ttd else None,
        "ttd_p90_s": percentile(list(ttd.values()), 90) if ttd else None,
        "infected_hosts": sum(1 for i in hosts.values() if i["from"] is not None),
        "infected_detected": len(ttd),
        "legit_flagged": sum(roles.get(x, {}).get("flagged", 0) for x in LEGIT_ROLES),
        "flagged_unlisted": sorted(unlisted),
        "incidents": len(incidents),
    }
    for role, r in sorted(roles.items()):
        e = {"hosts": r["hosts"]}
        if role in LEGIT_ROLES or role not in INFECTED_ROLES:
            e["flagged"] = r["flagged"]
            e["fp_windows"] = r["fp_windows"]
        if role in INFECTED_ROLES:
            e["detected"] = r["detected"]
            e["host_rate"] = r["detected"] / r["hosts"] if r["hosts"] else 0.0
            e["window_recall"] = r["tp_windows"] / r["pos_windows"] if r["pos_windows"] else 0.0
        out["roles"][role] = e
    ls = [h for h, i in hosts.items() if i["role"] == "bot_lowslow"]
    if ls:
        within = sum(1 for h in ls if h in ttd and ttd[h] <= LOWSLOW_DEADLINE_S)
        out["lowslow_within_4h"] = within / len(ls)
    return out, ttd


def merge(results):
    """Totals over populations: window counts summed, TTD over all hosts."""
    tot = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    ttd = []
    roles = {}
    legit = 0
    ls_n = ls_in = 0
    for res, t, hosts in results:
        for k in tot:
            tot[k] += res["windows"][k]
        ttd += list(t.values())
        legit += res["legit_flagged"]
        for role, e in res["roles"].items():
            r = roles.setdefault(role, {})
            for k, v in e.items():
                if isinstance(v, int):
                    r[k] = r.get(k, 0) + v
        for h, i in hosts.items():
            if i["role"] == "bot_lowslow":
                ls_n += 1
                ls_in += 1 if h in t and t[h] <= LOWSLOW_DEADLINE_S else 0
    for role, r in roles.items():
        if "detected" in r and r.get("hosts"):
            r["host_rate"] = r["detected"] / r["hosts"]
    tp, fp, fn = tot["tp"], tot["fp"], tot["fn"]
    out = {"windows": tot, "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0, "roles": roles,
           "ttd_median_s": median(ttd) if ttd else None, "ttd_p90_s": percentile(ttd, 90) if ttd else None,
           "legit_flagged": legit}
    if ls_n:
        out["lowslow_within_4h"] = ls_in / ls_n
    return out


def fmt_s(v):
    return "-" if v is None else "%.0fs (%.1f min)" % (v, v / 60.0)


def text_report(name, res):
    w = res["windows"]
    lines = ["== %s" % name,
             "host-windows TP=%d FP=%d FN=%d TN=%d  F1=%.4f" % (w["tp"], w["fp"], w["fn"], w["tn"], res["f1"])]
    if "precision" in res:
        lines[-1] += "  precision=%.4f recall=%.4f" % (res["precision"], res["recall"])
    lines.append("time to detection: median %s, p90 %s" % (fmt_s(res["ttd_median_s"]), fmt_s(res["ttd_p90_s"])))
    if "lowslow_within_4h" in res:
        lines.append("bot_lowslow found within 4 h: %.1f%%" % (100 * res["lowslow_within_4h"]))
    lines.append("legitimate hosts flagged (normal, mail_server, nat_gateway): %d" % res["legit_flagged"])
    for role, e in sorted(res["roles"].items()):
        if "detected" in e:
            s = "  %-12s hosts=%d detected=%d (%.1f%%)" % (role, e["hosts"], e["detected"], 100 * e["host_rate"])
            if "window_recall" in e:
                s += " window recall=%.1f%%" % (100 * e["window_recall"])
        else:
            s = "  %-12s hosts=%d flagged=%d fp_windows=%d" % (role, e["hosts"], e.get("flagged", 0),
                                                               e.get("fp_windows", 0))
        lines.append(s)
    if res.get("flagged_unlisted"):
        lines.append("incidents for hosts not in hosts.csv: %s" % " ".join(res["flagged_unlisted"]))
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(description="score rampart flows detect on blind flow populations")
    ap.add_argument("paths", nargs="+", help="RAMPART_BIN DIR [DIR...] (or DIR with --incidents)")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--window", type=int, default=120, help="window length in seconds (default 120)")
    ap.add_argument("--incidents", help="score this file of incident lines instead of running the binary")
    a = ap.parse_args(argv)
    if a.window <= 0:
        ap.error("--window must be > 0")
    if a.incidents:
        binary, dirs = None, a.paths
        if len(dirs) != 1:
            ap.error("--incidents scores exactly one DIR")
    else:
        if len(a.paths) < 2:
            ap.error("need RAMPART_BIN and at least one DIR")
        binary, dirs = a.paths[0], a.paths[1:]
    results = []
    report = {"window_s": a.window, "populations": {}}
    try:
        for d in dirs:
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            hosts = read_hosts(os.path.join(d, "hosts.csv"))
            if binary:
                text = run_detector(binary, d, meta)
            else:
                with open(a.incidents) as f:
                    text = f.read()
            incs = parse_incidents(text)
            wins = active_windows(os.path.join(d, "flows.binetflow"), hosts, a.window)
            res, ttd = score(hosts, wins, incs, a.window)
            name = "%s (population %s, seed %s)" % (d, meta.get("population", "?"), meta.get("seed", "?"))
            report["populations"][d] = dict(res, population=meta.get("population"), seed=meta.get("seed"))
            results.append((res, ttd, hosts))
            if not a.json:
                print(text_report(name, res))
    except (OSError, ScoreError, ValueError) as e:
        print("score_flows: %s" % e, file=sys.stderr)
        return 2
    if len(results) > 1 or a.json:
        report["total"] = merge(results)
        if not a.json:
            print(text_report("total over %d populations" % len(results), report["total"]))
    if a.json:
        print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Scores `rampart calls detect` on blind call-traffic populations (issue 16).

usage: score_calls.py RAMPART DIR [DIR...]

Each DIR holds calls.csv (a CDR with a `label` column the detector ignores:
`normal`, or `KIND:CAMPAIGN` for abusive calls) and meta.json (`own_ranges`).
The detector judges every call at its INVITE (`--decisions`); a call counts
as stopped when blocked, as flagged when blocked or tagged. Per population:
abusive calls stopped and flagged (all, and per kind), legitimate calls
blocked and tagged, legitimate callers with at least one blocked call, and
per campaign the minutes from its first call to its first blocked one.
Written by the detectors' side from the format alone (bench/blind5/FORMAT.md).
"""
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile


def score(rampart, d):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    path = os.path.join(d, "calls.csv")
    with tempfile.TemporaryDirectory() as tmp:
        dec = os.path.join(tmp, "decisions.csv")
        cmd = [rampart, "calls", "detect", "--cdr", path, "--decisions", dec, "--json"]
        if meta.get("own_ranges"):
            cmd += ["--own-ranges", ",".join(meta["own_ranges"])]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("calls detect failed: %s" % r.stderr)
        action = {}
        with open(dec) as f:
            for row in csv.DictReader(f):
                action[int(row["line"])] = row["action"]
    kinds = {}
    normal = {"calls": 0, "blocked": 0, "tagged": 0}
    normal_callers_blocked = set()
    first_call, first_block = {}, {}
    with open(path, newline="") as f:
        header = None
        for line_no, line in enumerate(f, start=1):
            row = next(csv.reader(io.StringIO(line)))
            if header is None:
                header = {name: i for i, name in enumerate(row)}
                continue
            label = row[header["label"]]
            t = int(row[header["time"]])
            a = action.get(line_no, "skipped")
            if label == "normal":
                normal["calls"] += 1
                normal["blocked"] += a == "block"
                normal["tagged"] += a == "tag"
                if a == "block":
                    normal_callers_blocked.add(row[header["caller"]])
                continue
            kind = label.split(":", 1)[0]
            k = kinds.setdefault(kind, {"calls": 0, "blocked": 0, "flagged": 0})
            k["calls"] += 1
            k["blocked"] += a == "block"
            k["flagged"] += a in ("block", "tag")
            first_call.setdefault(label, t)
            if a == "block":
                first_block.setdefault(label, t)
    bad = {"calls": sum(k["calls"] for k in kinds.values()),
           "blocked": sum(k["blocked"] for k in kinds.values()),
           "flagged": sum(k["flagged"] for k in kinds.values())}
    delays = [(first_block[c] - first_call[c]) / 60 for c in first_call if c in first_block]
    return {
        "population": meta.get("population"), "seed": meta.get("seed"),
        "abusive_calls": bad["calls"],
        "abusive_blocked": bad["blocked"] / max(1, bad["calls"]),
        "abusive_flagged": bad["flagged"] / max(1, bad["calls"]),
        "per_kind": {k: {"calls": v["calls"], "blocked": round(v["blocked"] / max(1, v["calls"]), 4),
                         "flagged": round(v["flagged"] / max(1, v["calls"]), 4)} for k, v in sorted(kinds.items())},
        "legit_calls": normal["calls"],
        "legit_blocked": normal["blocked"], "legit_tagged": normal["tagged"],
        "legit_blocked_rate": normal["blocked"] / max(1, normal["calls"]),
        "legit_callers_blocked": len(normal_callers_blocked),
        "campaigns": len(first_call), "campaigns_blocked": len(delays),
        "minutes_to_first_block_median": statistics.median(delays) if delays else None,
    }


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    for d in sys.argv[2:]:
        s = score(sys.argv[1], d)
        print("calls %s seed %s: abusive %d calls, blocked %.1f%%, flagged %.1f%%; legitimate %d calls, "
              "blocked %d (%.3f%%), tagged %d, callers blocked %d; campaigns blocked %d/%d, median %s min to "
              "first block" % (s["population"], s["seed"], s["abusive_calls"], 100 * s["abusive_blocked"],
                               100 * s["abusive_flagged"], s["legit_calls"], s["legit_blocked"],
                               100 * s["legit_blocked_rate"], s["legit_tagged"], s["legit_callers_blocked"],
                               s["campaigns_blocked"], s["campaigns"],
                               "%.1f" % s["minutes_to_first_block_median"]
                               if s["minutes_to_first_block_median"] is not None else "-"))
        for k, v in s["per_kind"].items():
            print("  %-10s %8d calls  blocked %5.1f%%  flagged %5.1f%%" % (k, v["calls"], 100 * v["blocked"],
                                                                           100 * v["flagged"]))
        print("json " + json.dumps(s))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Score rampart's sender classes against a blind population's truth.

SYNOPSIS
    score_senders.py RAMPART DIR [--json]

DESCRIPTION
    Runs `RAMPART reputation replay --events DIR/events.jsonl --json` (the
    interface of bench/blind, see the blind format), joins its classes with
    DIR/truth.csv (identity,class,bad_from) and prints:
      - per class (those present in truth.csv): identities, precision, recall, F1;
      - macro-F1 over those classes (unknown counts as a class);
      - legitimate bulk senders called spammer (or compromised);
      - hours from bad_from to classified_at for the spammer and compromised
        identities classed spammer or compromised: median (and p90) per class
        and overall; bad identities never classed bad are counted as missed.
    An identity of truth.csv that the replay does not print (it never had a
    verified identity, so it has no reputation) counts as predicted unknown.
    Precision of a class counts only identities that are in truth.csv.
    Identities are compared canonically (ip: compressed, IPv4-mapped
    addresses unmapped; domain: lower-case without a trailing dot). Hours can
    be negative: an identity classed bad before its bad_from.
    --json prints one JSON object instead of the table.

DIAGNOSTICS
    Exit 2 on a missing or malformed file, a replay that fails, or an unknown
    class in truth.csv; the message names the file and line.
"""
import csv
import ipaddress
import json
import os
import statistics
import subprocess
import sys

CLASSES = ["bulk", "transactional", "spammer", "compromised", "unknown"]
BAD = ("spammer", "compromised")


def die(msg):
    print("score_senders: " + msg, file=sys.stderr)
    sys.exit(2)


def canonical(ident):
    """ip:ADDR in its compressed form (IPv4-mapped IPv6 unmapped), domain:name lower-case."""
    kind, _, value = ident.strip().partition(":")
    if kind == "ip":
        try:
            a = ipaddress.ip_address(value)
            if a.version == 6 and a.ipv4_mapped:
                a = a.ipv4_mapped
            return "ip:" + str(a)
        except ValueError:
            return ident.strip()
    if kind == "domain":
        return "domain:" + value.lower().rstrip(".")
    return ident.strip()


def read_truth(path):
    truth = {}
    try:
        with open(path, newline="") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            if header is None or [h.strip() for h in header[:3]] != ["identity", "class", "bad_from"]:
                die("%s: header must be identity,class,bad_from" % path)
            for n, row in enumerate(rows, start=2):
                if not row or not "".join(row).strip():
                    continue
                if len(row) < 3:
                    die("%s: line %d: want 3 fields" % (path, n))
                ident, cls, bad_from = row[0].strip(), row[1].strip(), row[2].strip()
                if cls not in CLASSES:
                    die("%s: line %d: unknown class %r" % (path, n, cls))
                if bad_from:
                    try:
                        bad_from = int(float(bad_from))
                    except ValueError:
                        die("%s: line %d: bad_from %r is not unix seconds" % (path, n, bad_from))
                else:
                    bad_from = None
                truth[canonical(ident)] = (cls, bad_from)
    except OSError as e:
        die("%s: %s" % (path, e.strerror))
    return truth


def replay(rampart, events):
    if not os.path.exists(events):
        die("%s: no such file" % events)
    try:
        p = subprocess.run([rampart, "reputation", "replay", "--events", events, "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        die("%s: %s" % (rampart, e.strerror))
    if p.returncode != 0:
        die("replay exited %d: %s" % (p.returncode, p.stderr.strip()[-500:]))
    got = {}
    for n, line in enumerate(p.stdout.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            got[canonical(r["identity"])] = (r["class"], int(r.get("classified_at") or 0), r.get("reasons", []))
        except (ValueError, KeyError, TypeError):
            die("replay output line %d is not a report: %r" % (n, line[:200]))
    return got


def score(truth, got):
    present = [c for c in CLASSES if any(t[0] == c for t in truth.values())]
    tp = dict.fromkeys(CLASSES, 0)
    predicted = dict.fromkeys(CLASSES, 0)
    actual = dict.fromkeys(CLASSES, 0)
    hours = {"spammer": [], "compromised": []}
    missed = {"spammer": 0, "compromised": 0}
    bulk_called_bad = []
    confusion = {}
    for ident, (cls, bad_from) in sorted(truth.items()):
        pred, at, _ = got.get(ident, ("unknown", 0, []))
        if pred not in CLASSES:
            pred = "unknown"
        actual[cls] += 1
        predicted[pred] += 1
        confusion[(cls, pred)] = confusion.get((cls, pred), 0) + 1
        if pred == cls:
            tp[cls] += 1
        if cls == "bulk" and pred in BAD:
            bulk_called_bad.append(ident)
        if cls in BAD:
            if pred in BAD and bad_from is not None and at:
                hours[cls].append((at - bad_from) / 3600.0)
            else:
                missed[cls] += 1
    per = {}
    for c in present:
        p = tp[c] / predicted[c] if predicted[c] else 0.0
        r = tp[c] / actual[c] if actual[c] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per[c] = {"n": actual[c], "predicted": predicted[c], "precision": p, "recall": r, "f1": f1}
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0

    def summary(v):
        if not v:
            return {"n": 0, "median": None, "p90": None}
        s = sorted(v)
        return {"n": len(s), "median": statistics.median(s), "p90": s[min(len(s) - 1, int(0.9 * len(s)))]}

    det = {c: dict(summary(hours[c]), missed=missed[c]) for c in hours}
    det["all"] = dict(summary(hours["spammer"] + hours["compromised"]),
                      missed=missed["spammer"] + missed["compromised"])
    return {
        "identities": len(truth),
        "not_in_replay": sum(1 for i in truth if i not in got),
        "macro_f1": macro,
        "classes": per,
        "legit_bulk_called_spammer": len(bulk_called_bad),
        "legit_bulk_called_spammer_ids": bulk_called_bad[:50],
        "hours_to_detection": det,
        "confusion": [{"truth": t, "predicted": p, "n": n} for (t, p), n in sorted(confusion.items())],
    }


def fmt_h(x):
    return "-" if x is None else "%.1f" % x


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = [a for a in argv if a.startswith("--")]
    if len(args) != 2 or any(f != "--json" for f in flags):
        print("usage: score_senders.py RAMPART DIR [--json]", file=sys.stderr)
        return 2
    rampart, d = args
    truth = read_truth(os.path.join(d, "truth.csv"))
    got = replay(rampart, os.path.join(d, "events.jsonl"))
    s = score(truth, got)
    if "--json" in flags:
        print(json.dumps(s, indent=1, sort_keys=True))
        return 0
    print("identities %d (%d not in the replay: predicted unknown)" % (s["identities"], s["not_in_replay"]))
    print("| class | n | predicted | precision | recall | F1 |")
    print("|---|---|---|---|---|---|")
    for c, v in s["classes"].items():
        print("| %s | %d | %d | %.1f%% | %.1f%% | %.3f |" % (c, v["n"], v["predicted"], 100 * v["precision"],
                                                            100 * v["recall"], v["f1"]))
    print("macro-F1 %.3f" % s["macro_f1"])
    print("legit bulk called spammer: %d" % s["legit_bulk_called_spammer"])
    for c in ("spammer", "compromised", "all"):
        h = s["hours_to_detection"][c]
        print("hours to detection, %s: n %d, median %s, p90 %s, missed %d" % (c, h["n"], fmt_h(h["median"]),
                                                                             fmt_h(h["p90"]), h["missed"]))
    print("confusion (truth -> predicted): " +
          ", ".join("%s->%s %d" % (x["truth"], x["predicted"], x["n"]) for x in s["confusion"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

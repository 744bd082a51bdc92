#!/usr/bin/env python3
"""Leave-one-generator-out helpers for the sender model (src/reputation/README.md, "Blind round 3").

SYNOPSIS
    reputation_loo.py pool OUT FILE...      # pool snapshot files for `reputation_sim --fit --samples-in OUT`
    reputation_loo.py eval WEIGHTS FILE [P] # held-out identities flagged at P(bad) >= P (default 0.9)

DESCRIPTION
    FILE: snapshots as `reputation_sim --fit --samples-out` or `reputation_samples --samples-out`
    write them (label,weight,feature...), optionally with FILE.ids (identity,class,time per line).
    pool: every file weighs the same per label; inside a file with .ids, every true class weighs
    the same (a few legitimate bulk senders count as much as hundreds of small servers).
    eval: WEIGHTS is "bias,w1,...,w11" (classify.h Feature order); prints per true class how many
    identities had a snapshot at P(bad) >= P (bad ones: from bad_from on, "caught"; others "flagged").
    FILE needs its .ids. The model alone: no reception bar, no corroboration, no rules.
"""
import collections
import math
import os
import sys

BAD = ("spammer", "compromised")


def pool(out_path, files):
    with open(out_path, "w") as out:
        for path in files:
            ids = open(path + ".ids") if os.path.exists(path + ".ids") else None
            rows = []
            with open(path) as f:
                for line in f:
                    label, weight, rest = line.split(",", 2)
                    cls = ids.readline().split(",")[1] if ids else "-"
                    rows.append((int(label), float(weight), cls, rest))
            total = collections.defaultdict(float)
            for label, weight, cls, _ in rows:
                total[(label, cls)] += weight
            classes = collections.Counter(label for (label, _) in total)
            for label, weight, cls, rest in rows:
                out.write("%d,%.6g,%s" % (label, weight / total[(label, cls)] / classes[label], rest))


def evaluate(weights, path, threshold):
    w = [float(x) for x in weights.split(",")]
    state = {}
    with open(path) as f, open(path + ".ids") as ids:
        for line in f:
            v = line.rstrip().split(",")
            ident, cls, _ = ids.readline().rstrip().split(",")
            z = w[0] + sum(wi * float(xi) for wi, xi in zip(w[1:], v[2:]))
            p = 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))
            s = state.setdefault(ident, [cls, False])
            if p >= threshold and (v[0] == "1" or cls not in BAD):
                s[1] = True
    per = collections.defaultdict(lambda: [0, 0])
    for cls, hit in state.values():
        per[cls][0] += 1
        per[cls][1] += hit
    for cls, (n, hit) in sorted(per.items()):
        print("  %-13s n %6d  %s %6d (%.1f%%)" % (cls, n, "caught" if cls in BAD else "flagged", hit, 100.0 * hit / n))


def main(argv):
    if len(argv) >= 3 and argv[0] == "pool":
        pool(argv[1], argv[2:])
    elif len(argv) in (3, 4) and argv[0] == "eval":
        evaluate(argv[1], argv[2], float(argv[3]) if len(argv) == 4 else 0.9)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

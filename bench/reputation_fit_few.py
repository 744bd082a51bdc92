#!/usr/bin/env python3
"""Fit the few-message model (src/reputation/few_model.h) on labelled snapshots.

SYNOPSIS
    reputation_fit_few.py --fit FILE... [--check FILE...] [--lambda L] [--threshold P]

DESCRIPTION
    Each FILE is what `reputation_samples --few-samples-out FILE` wrote for
    one population (lines label,weight,feature... in classify.h FewFeature
    order, FILE.ids naming each line's identity, true class and time).
    Populations differ in their base rates (one world's small senders are
    nearly all bots, another's nearly all legitimate), so each FILE weighs
    the same, and within it the bad snapshots weigh as much as the good
    ones: the fit estimates how much the evidence says, not how common bots
    were in the worlds it saw; P(bad) >= 0.9 then means the evidence is 9
    times likelier from a bad sender than from a legitimate one.
    L2-regularised logistic regression (Newton's method) with the signs a
    careful analyst would accept: the evidence against a sender (spam
    verdicts, auth failures, bad HELOs, no FCrDNS, bounces, complaints and
    traps) never counts for it, aligned mail, DMARC, FCrDNS and "not spam"
    never against it; a weight fit with the wrong sign is pinned at 0 and
    the rest refit (an active set). Prints few_model.h's constants, then per
    FILE (fit and --check) the identities a threshold would call bad: good
    identities called bad at any of their snapshots (a bad class is held),
    and bad identities caught.
"""
import argparse
import math
import sys

NAMES = ["spam_verdicts", "auth_fail", "bad_helo", "no_fcrdns", "bounces", "objections",
         "aligned", "dmarc_pass", "fcrdns", "not_spam", "volume", "network"]
# +1: evidence against (weight >= 0); -1: evidence for (<= 0); 0: free.
SIGN = [1, 1, 1, 1, 1, 1, -1, -1, -1, -1, 0, 0]


def read(path):
    rows = []
    with open(path) as f, open(path + ".ids") as g:
        for line, ident in zip(f, g):
            v = line.split(",")
            if len(v) != 2 + len(NAMES):
                sys.exit("reputation_fit_few: %s: want %d fields" % (path, 2 + len(NAMES)))
            i = ident.rstrip("\n").split(",")
            rows.append((int(v[0]), float(v[1]), [float(x) for x in v[2:]], i[0], i[1]))
    return rows


def balanced(rows):
    """Weights: each class half of the file; identical snapshots folded (rounded to 0.01)."""
    tot = [0.0, 0.0]
    for lab, w, _, _, _ in rows:
        tot[lab] += w
    folded = {}
    for lab, w, x, _, _ in rows:
        if tot[lab] <= 0:
            continue
        k = (lab, tuple(round(v, 2) for v in x))
        folded[k] = folded.get(k, 0.0) + 0.5 * w / tot[lab]
    return folded


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]


def fit_free(data, lam, pinned):
    d = len(NAMES) + 1
    w = [0.0] * d
    free = [0] + [i + 1 for i in range(len(NAMES)) if not pinned[i]]
    for _ in range(50):
        g = [0.0] * d
        h = [[0.0] * d for _ in range(d)]
        for (lab, x), wt in data.items():
            z = w[0] + sum(w[i + 1] * x[i] for i in range(len(x)))
            p = 1 / (1 + math.exp(-max(-35, min(35, z))))
            xe = (1.0,) + x
            r = wt * (p - lab)
            s = wt * p * (1 - p)
            for i in free:
                g[i] += r * xe[i]
                for j in free:
                    h[i][j] += s * xe[i] * xe[j]
        for i in free[1:]:
            g[i] += lam * w[i]
            h[i][i] += lam
        hs = [[h[i][j] for j in free] for i in free]
        step = solve(hs, [g[i] for i in free])
        for k, i in enumerate(free):
            w[i] -= step[k]
        if max(abs(s) for s in step) < 1e-6:
            break
    return w


def fit(data, lam):
    pinned = [False] * len(NAMES)
    while True:
        w = fit_free(data, lam, pinned)
        wrong = [i for i in range(len(NAMES)) if not pinned[i] and SIGN[i] * w[i + 1] < 0]
        if not wrong:
            return w
        for i in wrong:
            print("// %s pinned at 0 (free fit %+.3f)" % (NAMES[i], w[i + 1]), file=sys.stderr)
            pinned[i] = True


def report(label, path, rows, w, thr):
    called = {}
    for lab, _, x, ident, cls in rows:
        z = w[0] + sum(w[i + 1] * x[i] for i in range(len(x)))
        p = 1 / (1 + math.exp(-max(-35, min(35, z))))
        key = (ident, cls, lab)
        called[key] = called.get(key, False) or p >= thr
    good = [v for (i, c, lab), v in called.items() if lab == 0 and c not in ("spammer", "compromised")]
    bad = [v for (i, c, lab), v in called.items() if lab == 1]
    gb = {}
    for (i, c, lab), v in called.items():
        if lab == 0 and c not in ("spammer", "compromised"):
            gb.setdefault(c, [0, 0])
            gb[c][0] += 1
            gb[c][1] += v
    print("%-5s %-42s legitimate called bad %d of %d (%s); bad caught %d of %d" %
          (label, path.split("/")[-1], sum(good), len(good),
           ", ".join("%s %d/%d" % (c, n[1], n[0]) for c, n in sorted(gb.items())), sum(bad), len(bad)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", nargs="+", required=True)
    ap.add_argument("--check", nargs="*", default=[])
    ap.add_argument("--lambda", dest="lam", type=float, default=1e-3)
    ap.add_argument("--threshold", type=float, default=0.9)
    a = ap.parse_args()
    data = {}
    sets = {}
    for path in a.fit + a.check:
        sets[path] = read(path)
    n = len(a.fit)
    for path in a.fit:
        for k, v in balanced(sets[path]).items():
            data[k] = data.get(k, 0.0) + v / n
    w = fit(data, a.lam)
    print("// bench/reputation_fit_few.py --lambda %g --fit %s" % (a.lam, " ".join(p.split("/")[-1] for p in a.fit)))
    print("inline constexpr double kFewModelBias = %.4f;" % w[0])
    print("inline constexpr double kFewModelWeights[] = {")
    for i, name in enumerate(NAMES):
        print("    %.4f,  // %s" % (w[i + 1], name))
    print("};")
    for path in a.fit:
        report("fit", path, sets[path], w, a.threshold)
    for path in a.check:
        report("check", path, sets[path], w, a.threshold)


if __name__ == "__main__":
    main()

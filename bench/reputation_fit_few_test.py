#!/usr/bin/env python3
"""Test of reputation_fit_few.py on a tiny hand-made sample (ctest
reputation_fit_few_test; never on generator output).

    reputation_fit_few_test.py

1. A sample of 60 snapshots (label, weight, the 12 few-message features)
   where spam verdicts and unknown recipients come with bad senders, FCrDNS
   and "not spam" with good ones, and aligned mail (wrongly) with bad ones:
   the fit prints few_model.h's constants in FewFeature order, holds every
   weight to its sign (aligned pinned at 0, and said so), separates the
   sample, and reports each file.
2. The checked-in few_model.h: its weights are in the script's order and
   obey the same signs.
3. Bad input: a line with a wrong number of fields exits non-zero and names
   the file.
"""
import math
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "reputation_fit_few.py")
HEADER = os.path.join(HERE, "..", "src", "reputation", "few_model.h")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import reputation_fit_few as fitter  # noqa: E402  (NAMES and SIGN, the script's own)

FAILS = 0


def check(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL: " + what)


def sample(path, seed):
    """60 snapshots, half bad; log1p counts as reputation_samples writes them."""
    rnd = random.Random(seed)
    idx = {n: i for i, n in enumerate(fitter.NAMES)}
    with open(path, "w") as f, open(path + ".ids", "w") as g:
        for k in range(60):
            bad = k % 2
            x = [0.0] * len(fitter.NAMES)
            vol = rnd.randint(1, 25)
            x[idx["volume"]] = math.log1p(vol)
            x[idx["network"]] = float(k % 3 == 0)
            # Evidence that goes with bad senders (noisy: some good ones have it too).
            x[idx["spam_verdicts"]] = math.log1p(rnd.randint(1, vol) if bad or rnd.random() < 0.15 else 0)
            x[idx["bounces"]] = math.log1p(rnd.randint(0, 3) if bad else rnd.randint(0, 1))
            x[idx["auth_fail"]] = math.log1p(rnd.randint(0, vol) if bad else 0)
            # Evidence for a sender.
            x[idx["fcrdns"]] = math.log1p(0 if bad and rnd.random() < 0.8 else vol)
            x[idx["not_spam"]] = math.log1p(rnd.randint(0, 2) if not bad else 0)
            # Aligned mail in this sample comes with the bad senders: a fit
            # without the sign guard would count it against a sender.
            x[idx["aligned"]] = math.log1p(vol if bad else rnd.randint(0, vol // 2))
            f.write("%d,%.4f,%s\n" % (bad, 1.0, ",".join("%.4f" % v for v in x)))
            g.write("%s:%d,%s,%d\n" % ("ip" if k % 3 == 0 else "domain", k, "spammer" if bad else "transactional",
                                        1700000000 + k))


def parse(out):
    bias = re.search(r"kFewModelBias = (-?[0-9.]+);", out)
    weights = re.findall(r"^\s+(-?[0-9.]+),\s+// (\w+)$", out, re.M)
    return (float(bias.group(1)) if bias else None), [(n, float(w)) for w, n in weights]


def main():
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
        sample(a, 1)
        sample(b, 2)
        p = subprocess.run([sys.executable, SCRIPT, "--fit", a, "--check", b], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        check(p.returncode == 0, "fit exit %d: %s" % (p.returncode, p.stderr[-300:]))
        bias, w = parse(p.stdout)
        check(bias is not None, "no kFewModelBias line in %r" % p.stdout[:300])
        check([n for n, _ in w] == fitter.NAMES, "weights not in FewFeature order: %r" % [n for n, _ in w])
        wt = dict(w)
        for n, s in zip(fitter.NAMES, fitter.SIGN):
            if n in wt:
                check(s * wt[n] >= 0, "%s weight %+.4f has the wrong sign" % (n, wt[n]))
        check(wt.get("aligned") == 0.0, "aligned (with the bad senders here) not pinned at 0: %r" % wt.get("aligned"))
        check("aligned pinned at 0" in p.stderr, "the pinning is not reported: %r" % p.stderr)
        check(wt.get("spam_verdicts", 0) > 0.1, "spam verdicts do not count against: %r" % wt.get("spam_verdicts"))
        check(wt.get("fcrdns", 0) < 0 or wt.get("not_spam", 0) < 0, "neither FCrDNS nor not-spam counts for a sender")
        # The fit separates its own sample: mean P(bad) of the bad snapshots well above the good ones'.
        if bias is not None and len(w) == len(fitter.NAMES):
            rows = fitter.read(a)
            ps = {0: [], 1: []}
            for lab, _, x, _, _ in rows:
                z = bias + sum(v * xi for (_, v), xi in zip(w, x))
                ps[lab].append(1 / (1 + math.exp(-z)))
            check(sum(ps[1]) / len(ps[1]) > sum(ps[0]) / len(ps[0]) + 0.3,
                  "no separation: bad %.2f, good %.2f" % (sum(ps[1]) / len(ps[1]), sum(ps[0]) / len(ps[0])))
        check(re.search(r"^fit +\S*a\.csv +legitimate called bad \d+ of 30 .*bad caught \d+ of 30$", p.stdout, re.M),
              "no report line for the fit file: %r" % p.stdout[-400:])
        check(re.search(r"^check \S*b\.csv +legitimate called bad", p.stdout, re.M), "no report line for --check")

        # Bad input: a short line.
        with open(b, "a") as f:
            f.write("1,1.0,0.5\n")
        with open(b + ".ids", "a") as f:
            f.write("ip:x,spammer,1\n")
        q = subprocess.run([sys.executable, SCRIPT, "--fit", b], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        check(q.returncode != 0 and "b.csv" in q.stderr and "want 14 fields" in q.stderr,
              "a short line: exit %d, %r" % (q.returncode, q.stderr[-200:]))

    # The checked-in weights: the script's order and signs.
    with open(HEADER) as f:
        _, hw = parse(f.read())
    check([n for n, _ in hw] == fitter.NAMES, "few_model.h order %r" % [n for n, _ in hw])
    for (n, v), s in zip(hw, fitter.SIGN):
        check(s * v >= 0, "few_model.h: %s %+.4f has the wrong sign" % (n, v))

    print("reputation_fit_few_test: %s" % ("FAILED %d" % FAILS if FAILS else "ok"))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

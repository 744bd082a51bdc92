#!/usr/bin/env python3
"""flows_probe_fit.py - fit and test the detector's second model (unanswered fan-out).

    flows_probe_fit.py --fit DIR [DIR ...] [--test DIR [DIR ...]] [--neg-weight 100]

Each DIR is a labelled population in the blind format (flows.binetflow with a
Label column, hosts.csv, meta.json), as bench/blind*/flows_gen.py and
`flows_eval --write-blind` write. Per subscriber host of hosts.csv and tumbling
300 s window it computes the inputs of the probe model of src/flows/detector.cc
(kProbeFeatureNames), from flows that are not mail (25/587/465):

    scan  = the most distinct destinations of failed TCP attempts on one port
            (SYN without ACK, or reset by the responder without payload)
    flood = the most unanswered flows (failed TCP, UDP/ICMP without reply
            bytes) to one destination
    udp   = distinct destinations of UDP flows without reply bytes

and the features are log(1 + the excess of each over LEGIT_MAX). A window is positive when it holds a flow of
the host labelled From-Botnet, negative when the host is never infected;
windows of infected hosts without a bot flow are left out. Logistic regression
(Newton, small L2, weights held >= 0 but the bias; negatives weigh neg_weight
times the positives in total, each host weighing the same within its class)
prints the weights as the C++ initializer of kProbeWeights, then for every
--test DIR the windows of the probe model alone at P >= 0.5: true and false
positives, the legitimate hosts with any window at P >= 0.5, and the infected
hosts found. Python 3 standard library only.
"""

import argparse
import calendar
import collections
import csv
import math
import os
import sys

WINDOW_S = 300
SILENCE_SAMPLE = 1000
# The detector's minimum evidence (kMinScanDsts, kMinFloodFlows, kMinSilentUdp).
MIN_SCAN, MIN_FLOOD, MIN_UDP = 44, 100, 30
MAIL_PORTS = ("25", "587", "465")
LEGIT = ("normal", "mail_server", "nat_gateway")


def failed_tcp(state):
    a, _, b = state.partition("_")
    if "S" in a and "A" not in a:
        return True
    return "R" in b and "P" not in b


def windows(path):
    """[(host, role, infected, label, (scan, flood, udp))] per host and window."""
    roles = {}
    with open(os.path.join(path, "hosts.csv")) as f:
        for r in csv.DictReader(f):
            roles[r["host"]] = r["role"]
    cur, out, days = {}, [], {}
    udp_flows = [0, 0]  # all, answered

    def flush(h, st):
        scan = max((len(s) for s in st["ports"].values()), default=0)
        flood = max(st["flood"].values(), default=0)
        tcp_flood = max(st["tcp_flood"].values(), default=0)
        out.append((h, roles[h], st["bot"], (scan, flood, len(st["udp"]), tcp_flood)))

    with open(os.path.join(path, "flows.binetflow")) as f:
        cols = next(f).strip().split(",")
        ix = {c: i for i, c in enumerate(cols)}
        i_t, i_p, i_s, i_d, i_dp, i_st = (ix[c] for c in ("StartTime", "Proto", "SrcAddr", "DstAddr", "Dport", "State"))
        i_tb, i_sb, i_l = ix["TotBytes"], ix["SrcBytes"], ix["Label"]
        for line in f:
            p = line.rstrip("\n").split(",")
            h = p[i_s]
            if h not in roles:
                continue
            t = p[i_t]
            day = t[:10]
            base = days.get(day)
            if base is None:
                y, m, d = (int(x) for x in day.replace("-", "/").split("/"))
                base = days[day] = calendar.timegm((y, m, d, 0, 0, 0))
            w = (base + int(t[11:13]) * 3600 + int(t[14:16]) * 60 + int(t[17:19])) // WINDOW_S
            st = cur.get(h)
            if st is None or st["w"] != w:
                if st is not None:
                    flush(h, st)
                st = cur[h] = {"w": w, "ports": collections.defaultdict(set), "flood": collections.Counter(),
                               "tcp_flood": collections.Counter(), "udp": set(), "bot": 0}
            if "Botnet" in p[i_l]:
                st["bot"] = 1
            if p[i_dp] in MAIL_PORTS:
                continue
            proto, dst = p[i_p], p[i_d]
            if proto == "tcp":
                if failed_tcp(p[i_st]):
                    st["ports"][p[i_dp]].add(dst)
                    st["flood"][dst] += 1
                    st["tcp_flood"][dst] += 1
            elif p[i_tb] == p[i_sb]:
                st["flood"][dst] += 1
                if proto == "udp":
                    st["udp"].add(dst)
            if proto == "udp":
                udp_flows[0] += 1
                udp_flows[1] += p[i_tb] != p[i_sb]
    for h, st in cur.items():
        flush(h, st)
    infected = {h for h, r in roles.items() if r not in LEGIT}
    # Silence is evidence only where the source records replies (as the
    # detector: at least half of the UDP flows answered).
    replies = udp_flows[0] >= SILENCE_SAMPLE and 2 * udp_flows[1] >= udp_flows[0]
    if not replies:
        print(f"{path}: {udp_flows[1]} of {udp_flows[0]} UDP flows answered: silence not counted", file=sys.stderr)
    return [(h, role, h in infected, bot, x if replies else (x[0], x[3], 0)) for h, role, bot, x in out]


# The most a legitimate host or NAT gateway reached in a window of the training
# data (kProbeLegitMax): each feature counts the excess over it, so that the
# low values every host shows (a failed attempt or two) are not read as evidence.
LEGIT_MAX = (22, 4, 2)


def features(x):
    return [1.0] + [math.log1p(max(0, v - m)) for v, m in zip(x[:3], LEGIT_MAX)]


def gated(x):
    return x[0] < MIN_SCAN and x[1] < MIN_FLOOD and x[2] < MIN_UDP


def fit(rows, neg_weight, lam=1e-3, iters=100):
    data = []
    pos_hosts, neg_hosts = collections.Counter(), collections.Counter()
    for key, h, y, x in rows:
        (pos_hosts if y else neg_hosts)[key, h] += 1
    npos, nneg = len(pos_hosts), len(neg_hosts)
    for key, h, y, x in rows:
        if y:
            w = 1.0 / (pos_hosts[key, h] * npos)
        else:
            w = neg_weight / (neg_hosts[key, h] * nneg)
        data.append((features(x), y, w))
    k = 4
    beta = [0.0] * k
    for _ in range(iters):
        g = [0.0] * k
        H = [[0.0] * k for _ in range(k)]
        for x, y, w in data:
            z = sum(b * v for b, v in zip(beta, x))
            pr = 1 / (1 + math.exp(-max(-50, min(50, z))))
            d, s = w * (pr - y), w * pr * (1 - pr)
            for i in range(k):
                g[i] += d * x[i]
                for j in range(k):
                    H[i][j] += s * x[i] * x[j]
        for i in range(1, k):
            g[i] += lam * beta[i]
            H[i][i] += lam
        for i in range(k):
            H[i][i] += 1e-9
        # weights held >= 0: one at 0 pushed below stays out of the step
        active = [i == 0 or beta[i] > 0 or g[i] < 0 for i in range(k)]
        for i in range(k):
            if not active[i]:
                g[i] = 0
                for j in range(k):
                    H[i][j] = H[j][i] = 0
                H[i][i] = 1
        step = solve(H, g)
        norm = math.sqrt(sum(s * s for s in step))
        if norm > 5:
            step = [s * 5 / norm for s in step]
        beta = [b - s for b, s in zip(beta, step)]
        beta = [b if i == 0 else max(0.0, b) for i, b in enumerate(beta)]
        if norm < 1e-9:
            break
    return beta


def solve(A, b):
    n = len(b)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[piv] = M[piv], M[c]
        for r in range(c + 1, n):
            f = M[r][c] / M[c][c]
            for j in range(c, n + 1):
                M[r][j] -= f * M[c][j]
    x = [0.0] * n
    for c in range(n - 1, -1, -1):
        x[c] = (M[c][n] - sum(M[c][j] * x[j] for j in range(c + 1, n))) / M[c][c]
    return x


def labelled(ws, key):
    for h, role, infected, bot, x in ws:
        if infected and not bot:
            continue
        yield key, h, 1 if (infected and bot) else 0, x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", nargs="*", default=[])
    ap.add_argument("--test", nargs="*", default=[])
    ap.add_argument("--neg-weight", type=float, default=100)
    ap.add_argument("--weights", help="test these (bias,scan,flood,udp) instead of fitting")
    a = ap.parse_args()
    rows = []
    for d in a.fit:
        ws = windows(d)
        rows.extend(labelled(ws, d))
        print(f"fit: {d}: {len(ws)} host-windows", file=sys.stderr)
    beta = [float(v) for v in a.weights.split(",")] if a.weights else fit(rows, a.neg_weight)
    names = ("probe_bias", "probe_scan", "probe_flood", "probe_udp")
    print("constexpr std::array<double, kProbeFeatures> kProbeWeights = {")
    for n, b in zip(names, beta):
        print(f"    {b:.4f},  // {n}")
    print("};")
    for n, b in zip(names[1:], beta[1:]):
        if b > 0:
            print(f"  {n} alone reaches P = 0.5 at {math.expm1(-beta[0] / b) + LEGIT_MAX[names.index(n) - 1]:.1f}")
    for d in a.test:
        ws = windows(d)
        tp = fp = fn = 0
        legit_flagged, found, infected = set(), set(), set()
        for h, role, inf, bot, x in ws:
            z = sum(b * v for b, v in zip(beta, features(x)))
            hit = z >= 0 and not gated(x)
            if inf:
                infected.add(h)
                if bot:
                    tp += hit
                    fn += not hit
                if hit:
                    found.add(h)
            elif hit:
                fp += 1
                legit_flagged.add((h, role))
        print(f"test {d}: bot windows found {tp} of {tp + fn}, legitimate windows flagged {fp}, "
              f"infected hosts with a probe window {len(found)} of {len(infected)}, "
              f"legitimate hosts flagged {len(legit_flagged)} {sorted(legit_flagged)[:5]}")


if __name__ == "__main__":
    sys.exit(main())

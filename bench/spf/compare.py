#!/usr/bin/python3
"""compare.py -- runs the three SPF evaluators on one query list and prints the table.

  compare.py --queries F --ns ADDR --nsd-conf CONF --tmp DIR [--rampart BIN]
             [--rounds 3] [--reps-rampart N] [--reps-libspf2 N] [--reps-pyspf N]

Run by bench/run.sh inside a private mount namespace whose /etc/resolv.conf
names ADDR (libspf2 reads only the system resolver, port 53). nsd must already
serve bench/spf/test.zone on ADDR:53; its query counter (nsd-control
stats_noreset) shows whether a tool's timed passes still reach the server.

Every tool evaluates the whole list once to warm its cache, then N times more in
the same process. CPU per evaluation:
  rampart, pyspf: the process's own CLOCK_PROCESS_CPUTIME_ID around the N passes;
  spfquery: it has no such hook, so it runs twice, with 1 and with 1+N copies of
    the list on its -file input, and the difference of the two processes'
    user+sys times (wait4 rusage) is divided by N x queries. Process start and the
    warm pass cancel out; its result printing (to /dev/null) stays in.
Each tool runs --rounds times, interleaved; the table shows the median round.
Results of the warm pass are compared query by query across the tools.
"""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def nsd_queries(conf):
    out = subprocess.run(["nsd-control", "-c", conf, "stats_noreset"], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"^num\.queries=(\d+)$", out, re.M)
    return int(m.group(1))


def run_rusage(argv, stdin_path=None, stdout_path=os.devnull):
    """Runs argv, returns (user+sys CPU seconds, wall seconds) of that process.
    spfquery's exit status is the last query's result (0 pass, 1 fail, ...), so
    only death by a signal or status > 7 count as failure."""
    with open(stdout_path, "w") as out, open(stdin_path or os.devnull) as inp:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=inp, stdout=out, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if not 0 <= p.returncode <= 7:
        sys.exit(f"compare: {argv[0]} exited {p.returncode}")
    return ru.ru_utime + ru.ru_stime, wall


def parse_spfquery(path):
    # spfquery prints per query: result, SMTP comment, header comment, Received-SPF
    # (with StartError..EndError blocks for errors); the header line closes a query.
    return [line.split()[1] for line in open(path) if line.startswith("Received-SPF:")]


class Tool:
    def __init__(self, name, reps):
        self.name, self.reps, self.rounds, self.results = name, reps, [], None


def run_inprocess(tool, argv, args, nq):
    """rampart / pyspf: the program times its own N passes and prints JSON."""
    out = os.path.join(args.tmp, re.sub(r"[^a-z0-9]+", "_", tool.name) + ".results")
    q0 = nsd_queries(args.nsd_conf)
    r = subprocess.run(argv + [str(tool.reps), out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"compare: {tool.name} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    dq = nsd_queries(args.nsd_conf) - q0
    j = json.loads(r.stdout.strip().splitlines()[-1])
    results = [x.strip() for x in open(out)]
    tool.rounds.append({"cpu": j["cpu_s"], "wall": j["wall_s"], "evals": j["evaluations"],
                        "dns_total": dq, "mode": j.get("mode", ""),
                        "terms": j.get("dns_terms_per_eval"),
                        "calls": j.get("resolver_calls_per_eval")})
    return results


def run_spfquery(tool, args, queries_text, nq):
    once = os.path.join(args.tmp, "spfquery.once")
    many = os.path.join(args.tmp, "spfquery.many")
    if not os.path.exists(many):
        with open(once, "w") as f:
            f.write(queries_text)
        with open(many, "w") as f:
            f.write(queries_text * (1 + tool.reps))
    res = os.path.join(args.tmp, "spfquery.results")
    argv = ["spfquery", "-file", "-"]
    run_rusage(argv, once, res)  # results of one (cold then warm) pass, not timed
    q0 = nsd_queries(args.nsd_conf)
    cpu1, wall1 = run_rusage(argv, once)
    q1 = nsd_queries(args.nsd_conf)
    cpuN, wallN = run_rusage(argv, many)
    q2 = nsd_queries(args.nsd_conf)
    tool.rounds.append({"cpu": cpuN - cpu1, "wall": wallN - wall1, "evals": nq * tool.reps,
                        "dns_timed": (q2 - q1) - (q1 - q0), "mode": ""})
    return parse_spfquery(res)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", required=True)
    ap.add_argument("--ns", required=True)
    ap.add_argument("--nsd-conf", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--rampart")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps-rampart", type=int, default=300)
    ap.add_argument("--reps-libspf2", type=int, default=150)
    ap.add_argument("--reps-pyspf", type=int, default=10)
    args = ap.parse_args()

    queries_text = open(args.queries).read()
    queries = [l.split() for l in queries_text.splitlines() if l.strip()]
    nq = len(queries)
    py = ["/usr/bin/python3", os.path.join(HERE, "pyspf_bench.py"), args.queries, args.ns, "53"]

    tools = []
    zone = os.path.join(HERE, "test.zone")
    if args.rampart:
        probe = subprocess.run([args.rampart, args.queries, args.ns + "@53", "0", os.devnull],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            tools.append((Tool("rampart, CachingResolver+unbound", args.reps_rampart),
                          lambda t: run_inprocess(t, [args.rampart, args.queries, args.ns + "@53"],
                                                  args, nq)))
        else:
            print(f"rampart over its CachingResolver: not available "
                  f"({probe.stderr.strip().splitlines()[0]})")
        probe = subprocess.run([args.rampart, "--unbound-only", args.queries, args.ns + "@53", "0",
                                os.devnull], capture_output=True, text=True)
        if probe.returncode == 0:
            tools.append((Tool("rampart, UnboundResolver alone", max(1, args.reps_rampart // 10)),
                          lambda t: run_inprocess(t, [args.rampart, "--unbound-only", args.queries,
                                                      args.ns + "@53"], args, nq)))
        else:
            print(f"rampart over UnboundResolver: not available "
                  f"({probe.stderr.strip().splitlines()[0]})")
        tools.append((Tool("rampart evaluator alone, no DNS", args.reps_rampart),
                      lambda t: run_inprocess(t, [args.rampart, "--zone", zone, args.queries, "-"],
                                              args, nq)))
    else:
        print("rampart: spf_bench not available (not built: needs targets rampart_spf and rampart_dns, "
              "or the build failed, see above); peers only\n")
    tools.append((Tool("libspf2 1.2.10 spfquery -file", args.reps_libspf2),
                  lambda t: run_spfquery(t, args, queries_text, nq)))
    tools.append((Tool("pyspf 2.0.14, dnspython cache", args.reps_pyspf),
                  lambda t: run_inprocess(t, py, args, nq)))
    tools.append((Tool("pyspf 2.0.14, shared query cache", args.reps_pyspf),
                  lambda t: run_inprocess(t, py[:2] + ["--shared-query-cache"] + py[2:], args, nq)))

    for rnd in range(args.rounds):
        for tool, fn in tools:
            res = fn(tool)
            if tool.results is None:
                tool.results = res
            elif res != tool.results:
                print(f"note: {tool.name} gave different results in round {rnd + 1}")
    # DNS queries of the in-process tools' warm pass: one more run with 0 repetitions
    for tool, fn in tools:
        if "dns_total" in tool.rounds[0]:
            saved, tool.reps = tool.reps, 0
            fn(tool)
            warm = tool.rounds.pop()["dns_total"]
            tool.reps = saved
            for r in tool.rounds:
                r["dns_timed"] = r["dns_total"] - warm

    # ---- table ----
    print(f"SPF check_host, warm caches: {nq} queries (bench/spf/queries.txt) over "
          f"bench/spf/test.zone, served by nsd on {args.ns}:53")
    for tool, _ in tools:
        r = tool.rounds[0]
        if r.get("calls") is not None and r["calls"] >= 0:
            print(f"per evaluation: {r['terms']:.2f} DNS-querying terms (of the limit of 10), "
                  f"{r['calls']:.2f} DNS lookups incl. MX hosts (counted by rampart)")
            break
    print(f"each tool: 1 warm pass + N timed passes in one process; median of {args.rounds} rounds "
          f"(min-max CPU in brackets)\n")
    hdr = (f"{'tool':34} {'N x q':>9} {'CPU us/eval':>20} {'evals/s CPU':>12} "
           f"{'evals/s wall':>12} {'DNS q/eval':>10}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for tool, _ in tools:
        per = [r["cpu"] / r["evals"] * 1e6 for r in tool.rounds]
        med = sorted(range(len(per)), key=lambda i: per[i])[len(per) // 2]
        r = tool.rounds[med]
        us = per[med]
        rows.append((tool.name, us))
        print(f"{tool.name:34} {r['evals']:>9} {us:>9.2f} [{min(per):.2f}-{max(per):.2f}] "
              f"{1e6 / us:>12,.0f} {r['evals'] / r['wall']:>12,.0f} "
              f"{r['dns_timed'] / r['evals']:>10.3f}")
    print()
    peers = [(n, us) for n, us in rows if not n.startswith("rampart")]
    fastest = min(us for _, us in peers)
    for i, (name, base) in enumerate([(n, us) for n, us in rows if n.startswith("rampart")]):
        if i == 0 and "no DNS" not in name:
            for pname, us in peers:
                print(f"{name} vs {pname}: {us / base:.1f}x less CPU per evaluation")
        note = " (no resolver: not like for like)" if "no DNS" in name else ""
        print(f"{name} vs the fastest peer: {fastest / base:.1f}x{note} (goal: >= 10x)")
    print()

    # ---- agreement ----
    names = [t.name for t, _ in tools]
    res = [t.results for t, _ in tools]
    bad = []
    for i, q in enumerate(queries):
        got = [r[i] if i < len(r) else "missing" for r in res]
        if len(set(got)) != 1:
            bad.append((q, got))
    dist = collections.Counter(res[-1])
    print(f"agreement: {nq - len(bad)}/{nq} queries give the same result in all {len(names)} "
          f"runs ({', '.join(f'{k} {v}' for k, v in dist.most_common())})")
    for q, got in bad[:50]:
        print("  DISAGREE " + " ".join(q) + ": " + ", ".join(f"{n}={g}" for n, g in zip(names, got)))
    if len(bad) > 50:
        print(f"  ... and {len(bad) - 50} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())

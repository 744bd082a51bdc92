#!/usr/bin/python3
"""pyspf_bench.py -- pyspf (Debian python3-spf) side of the SPF benchmark.

  /usr/bin/python3 pyspf_bench.py [--shared-query-cache] QUERIES NAMESERVER PORT REPS RESULTS_OUT

Evaluates every "ip sender helo" line of QUERIES with spf.check2() in this one
process: one pass to warm the caches (its results go to RESULTS_OUT, one per
line), then REPS timed passes. DNS goes through one dnspython Resolver with an
LRUCache kept across evaluations (pyspf's own per-query dict cache is new for
every evaluation; --shared-query-cache also keeps that dict across
evaluations, which skips dnspython entirely on hits but never caches empty
answers). Prints one JSON line: evaluations, CPU seconds
(CLOCK_PROCESS_CPUTIME_ID) and wall seconds of the timed passes.
"""
import json
import sys
import time

import dns.resolver
import spf


def main():
    shared = "--shared-query-cache" in sys.argv
    qfile, ns, port, reps, out = [a for a in sys.argv[1:] if not a.startswith("--")]
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [ns]
    res.port = int(port)
    res.cache = dns.resolver.LRUCache(100000)
    res.lifetime = 5.0
    dns.resolver.default_resolver = res  # what spf.DNSLookup_dnspython uses

    queries = [line.split() for line in open(qfile) if line.strip()]
    cache = {}

    def evaluate(ip, sender, helo):
        if shared:
            q = spf.query(ip, sender, helo)
            q.cache = cache
            return q.check()[0]
        return spf.check2(ip, sender, helo)[0]

    with open(out, "w") as f:
        for ip, sender, helo in queries:
            f.write(evaluate(ip, sender, helo) + "\n")
    cpu0, wall0 = time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID), time.monotonic()
    for _ in range(int(reps)):
        for ip, sender, helo in queries:
            evaluate(ip, sender, helo)
    cpu1, wall1 = time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID), time.monotonic()
    print(json.dumps({"evaluations": len(queries) * int(reps), "cpu_s": cpu1 - cpu0,
                      "wall_s": wall1 - wall0,
                      "mode": "shared query cache + dnspython LRUCache" if shared
                      else "dnspython LRUCache across evaluations"}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# File: bench/dkim_bench.py
# dkimpy side of bench/dkim_bench.cc: verifies every message of DIR with
# Debian's python3-dkim in this one process, keys from KEYS ("name<TAB>TXT"
# lines) through a dict dnsfunc (no DNS; dkimpy parses the key each time,
# it has no key cache). One warm pass, then REPS timed passes.
#
#   /usr/bin/python3 bench/dkim_bench.py DIR KEYS REPS
#
# Prints one line: "dkimpy messages=N passed=P cpu_s=C wall_s=W".
import os
import sys
import time

import dkim


def main():
    d, keys_file, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    keys = {}
    with open(keys_file, "rb") as f:
        for line in f.read().splitlines():
            if b"\t" in line:
                n, t = line.split(b"\t", 1)
                keys[n] = t

    def dnsfunc(name, timeout=5):
        return keys.get(name.rstrip(b"."))

    msgs = [open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d)) if n.endswith(".eml")]
    passed = sum(1 for m in msgs if dkim.verify(m, dnsfunc=dnsfunc))
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(reps):
        for m in msgs:
            dkim.verify(m, dnsfunc=dnsfunc)
    c1, w1 = time.process_time(), time.perf_counter()
    print("dkimpy messages=%d passed=%d cpu_s=%.6f wall_s=%.6f" % (len(msgs) * reps, passed, c1 - c0, w1 - w0))


main()

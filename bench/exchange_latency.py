#!/usr/bin/env python3
"""The members' exchange end to end (issue 17): the time from A's publish
(POST /v1/exchange/publish, urgent) to C's live DNS zone answering for the
item, over N items, with three real rampartd members on 127.0.0.1 (mutual
TLS 1.3, the same setup as tests/exchange_test.py). Goal: under 2 s.

usage: exchange_latency.py RAMPARTD RAMPART [N]   (N items, default 50)
"""
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("RAMPARTD_BIN", sys.argv[1] if len(sys.argv) > 1 else "")
os.environ.setdefault("RAMPART_BIN", sys.argv[2] if len(sys.argv) > 2 else "")
os.environ.setdefault("RAMPART_SOURCE_DIR", ROOT)
import exchange_test as xt  # noqa: E402


def main():
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    xt.ExchangeTest.setUpClass()
    try:
        t = xt.ExchangeTest("test_exchange")
        lat = []
        for i in range(n):
            ip = "203.0.113.%d" % (i + 1)
            t0 = time.monotonic()
            st, j = t.publish("A", [{"class": "bot_ip", "kind": "ip", "value": ip}])
            if st != 200:
                raise SystemExit("publish refused: %s %s" % (st, j))
            t.wait_for("C lists " + ip, lambda: t.zone_answer("C", ip) == ["127.0.0.4"], deadline_s=30)
            lat.append(time.monotonic() - t0)
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print("exchange: publish on A to C's zone answering, %d items: median %.3f s, p99 %.3f s, max %.3f s "
              "(goal under 2 s); load %s" % (n, statistics.median(lat), p99, lat[-1],
                                             open("/proc/loadavg").read().split()[0]))
    finally:
        xt.ExchangeTest.tearDownClass()


if __name__ == "__main__":
    main()

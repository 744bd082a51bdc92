#!/usr/bin/env python3
"""Zones that mirror (issue 14), with NSD: Debian's NSD (nsd) is a secondary
of zones served by `rampart dnsbl serve`, with TSIG (hmac-sha256), beside
the Knot test (dnsbl_xfr_test.py).

* NSD transfers the zones (ip4set, dnset) by AXFR, signed, and answers a set
  of queries the same as rampart (rcode and the A/TXT/SOA/NS records).
* The data file changes; rampart notices (--check 1), reloads, sends NOTIFY;
  NSD fetches the change within seconds and answers the new data at the new
  serial. rampart's counters (--stats FILE, rewritten on SIGUSR1) show that
  the first transfers were whole zones and the change went out as an
  incremental IXFR, not a full one.

nsd runs in the foreground with its own configuration on a free 127.0.0.1
port, its files in a temporary directory (never the system service).
Environment: RAMPART_BIN. Needs nsd and python3-dnspython.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from dnsbl_support import ask, free_port, serial, stop, summary

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
NSD = shutil.which("nsd") or "/usr/sbin/nsd"

BL_V1 = """$SOA 1h ns1.bl.example hostmaster.bl.example 0 1h 10m 1w 5m
$NS 1h ns1.bl.example
:2:Listed $
127.0.0.2
10.1.0.0/16 :3:network listed
!10.1.2.3
192.0.2.0/30
10.9.9.9 :4:gone soon
"""
BL_V2 = BL_V1.replace("10.9.9.9 :4:gone soon\n", "10.8.8.8 :5:new entry $\n")
DBL = """$SOA 1h ns1.dbl.example hostmaster.dbl.example 0 1h 10m 1w 5m
$NS 1h ns1.dbl.example
:2:Domain $ listed
spam.example
*.wild.example
"""

QUERIES = [
    ("bl.example", "SOA"),
    ("bl.example", "NS"),
    ("2.0.0.127.bl.example", "A"),
    ("2.0.0.127.bl.example", "TXT"),
    ("1.0.0.127.bl.example", "A"),
    ("5.4.1.10.bl.example", "A"),
    ("5.4.1.10.bl.example", "TXT"),
    ("3.2.1.10.bl.example", "A"),  # excluded
    ("1.2.0.192.bl.example", "TXT"),
    ("9.2.0.192.bl.example", "A"),
    ("9.9.9.10.bl.example", "A"),
    ("9.9.9.10.bl.example", "TXT"),
    ("8.8.8.10.bl.example", "A"),
    ("spam.example.dbl.example", "A"),
    ("spam.example.dbl.example", "TXT"),
    ("x.spam.example.dbl.example", "A"),
    ("a.wild.example.dbl.example", "TXT"),
    ("nothing.example.dbl.example", "A"),
]


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class DnsblNsdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dnsbl-nsd-")
        os.chmod(cls.dir, 0o755)
        cls.bl = os.path.join(cls.dir, "bl.txt")
        cls.dbl = os.path.join(cls.dir, "dbl.txt")
        write(cls.bl, BL_V1)
        write(cls.dbl, DBL)
        cls.nsd_port = free_port()
        cls.stats_path = os.path.join(cls.dir, "stats.prom")
        cls.rampart_err = open(os.path.join(cls.dir, "rampart.log"), "w")
        cls.rampart = subprocess.Popen(
            [os.environ["RAMPART_BIN"], "dnsbl", "serve", "--listen", "127.0.0.1:0", "--check", "1",
             "--xfr-allow", "127.0.0.0/8", "--tsig", "xfr-key:hmac-sha256:" + SECRET,
             "--notify", "127.0.0.1:%d" % cls.nsd_port, "--stats", cls.stats_path,
             "bl.example:ip4set:" + cls.bl, "dbl.example:dnset:" + cls.dbl],
            stdout=subprocess.PIPE, stderr=cls.rampart_err, text=True)
        line = cls.rampart.stdout.readline()
        assert line.startswith("listening 127.0.0.1:"), line
        cls.port = int(line.strip().rsplit(":", 1)[1])
        ndir = os.path.join(cls.dir, "nsd")
        os.mkdir(ndir)
        conf = os.path.join(ndir, "nsd.conf")
        zones = "".join(f"""zone:
    name: "{z}"
    zonefile: "{z}.zone"
    request-xfr: 127.0.0.1@{cls.port} xfr-key
    allow-notify: 127.0.0.1 xfr-key
""" for z in ("bl.example", "dbl.example"))
        with open(conf, "w") as f:
            f.write(f"""server:
    ip-address: 127.0.0.1@{cls.nsd_port}
    port: {cls.nsd_port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{ndir}"
    database: ""
    zonelistfile: "{ndir}/zone.list"
    xfrdfile: "{ndir}/xfrd.state"
    xfrdir: "{ndir}"
    pidfile: "{ndir}/nsd.pid"
    logfile: "{ndir}/nsd.log"
    verbosity: 2
    server-count: 1
    zonefiles-write: 0
remote-control:
    control-enable: no
key:
    name: "xfr-key"
    algorithm: hmac-sha256
    secret: "{SECRET}"
{zones}""")
        cls.nsd_log = os.path.join(ndir, "nsd.log")
        cls.nsd_out = open(os.path.join(ndir, "nsd.out"), "w")
        cls.nsd = subprocess.Popen([NSD, "-d", "-c", conf], stdout=cls.nsd_out, stderr=subprocess.STDOUT)

    @classmethod
    def tearDownClass(cls):
        stop((cls.nsd, cls.rampart))
        cls.rampart.stdout.close()
        cls.rampart_err.close()
        cls.nsd_out.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def logs(self):
        out = []
        for p in (self.nsd_log, os.path.join(self.dir, "nsd", "nsd.out"), os.path.join(self.dir, "rampart.log")):
            if os.path.exists(p):
                with open(p) as f:
                    out.append("== %s\n%s" % (p, f.read()))
        return "\n".join(out)

    def wait_for(self, what, check, deadline_s=20):
        deadline = time.monotonic() + deadline_s
        last = None
        while time.monotonic() < deadline:
            if self.nsd.poll() is not None:
                self.fail("nsd exited (%s)\n%s" % (self.nsd.returncode, self.logs()))
            try:
                last = check()
                if last:
                    return last
            except (dns.exception.Timeout, OSError):
                pass
            time.sleep(0.1)
        self.fail("%s: not within %d s (last %r)\n%s" % (what, deadline_s, last, self.logs()))

    def same_answers(self):
        diffs = []
        for name, qtype in QUERIES:
            a = summary(ask(self.port, name, qtype))
            b = summary(ask(self.nsd_port, name, qtype))
            if a != b:
                diffs.append((name, qtype, a, b))
        return diffs

    def stats(self):
        """rampart's counters: SIGUSR1 rewrites the --stats file."""
        before = os.stat(self.stats_path).st_mtime_ns if os.path.exists(self.stats_path) else 0
        self.rampart.send_signal(signal.SIGUSR1)
        def written():
            if not os.path.exists(self.stats_path) or os.stat(self.stats_path).st_mtime_ns == before:
                return False
            with open(self.stats_path) as f:
                return "rampart_dnsbl_transfers_total" in f.read()
        self.wait_for("rampart writes its counters", written, 10)
        values = {}
        with open(self.stats_path) as f:
            for line in f:
                if line.startswith("rampart_dnsbl_transfers_total"):
                    name, value = line.rsplit(" ", 1)
                    values[name] = int(value)
        return values

    def test_mirror_then_change(self):
        s1 = {z: serial(self.port, z) for z in ("bl.example", "dbl.example")}
        self.wait_for("nsd has the zones at rampart's serial",
                      lambda: all(serial(self.nsd_port, z) == s1[z] for z in s1), 30)
        self.assertEqual(self.same_answers(), [])
        self.assertEqual(summary(ask(self.nsd_port, "9.9.9.10.bl.example", "TXT"))[1],
                         frozenset({("TXT", '"gone soon"')}))
        t1 = self.stats()
        self.assertGreaterEqual(t1['rampart_dnsbl_transfers_total{type="axfr"}']
                                + t1['rampart_dnsbl_transfers_total{type="ixfr_full"}'], 2, t1)

        # The change: rampart reloads, NOTIFYs, NSD fetches it.
        write(self.bl, BL_V2)
        self.wait_for("rampart serves the new data", lambda: ask(self.port, "8.8.8.10.bl.example", "A").answer)
        s2 = serial(self.port, "bl.example")
        self.assertGreater(s2, s1["bl.example"])
        started = time.monotonic()
        self.wait_for("nsd answers the new data",
                      lambda: serial(self.nsd_port, "bl.example") == s2
                      and ask(self.nsd_port, "8.8.8.10.bl.example", "A").answer)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(self.same_answers(), [])
        self.assertEqual(summary(ask(self.nsd_port, "8.8.8.10.bl.example", "TXT"))[1],
                         frozenset({("TXT", '"new entry 10.8.8.8"')}))
        self.assertEqual(ask(self.nsd_port, "9.9.9.10.bl.example", "A").rcode(), dns.rcode.NXDOMAIN)
        t2 = self.stats()
        # The change went out as an incremental transfer, not a full zone.
        self.assertGreater(t2['rampart_dnsbl_transfers_total{type="ixfr"}'],
                           t1['rampart_dnsbl_transfers_total{type="ixfr"}'], (t1, t2))
        self.assertEqual(t2['rampart_dnsbl_transfers_total{type="ixfr_full"}'],
                         t1['rampart_dnsbl_transfers_total{type="ixfr_full"}'], (t1, t2))


if __name__ == "__main__":
    unittest.main()

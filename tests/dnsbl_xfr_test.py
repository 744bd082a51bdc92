#!/usr/bin/env python3
"""Zones that mirror (issue 14): Debian's Knot DNS (knotd) is a secondary of
zones served by `rampart dnsbl serve`, with TSIG (hmac-sha256).

* Knot transfers the zones (ip4set, dnset, ip6trie, ip6tset) by AXFR, signed, and
  answers a set of queries the same as rampart (rcode and the A/TXT records).
* The data file changes; rampart notices (--check 1), reloads, sends NOTIFY;
  Knot fetches the change by IXFR (its log says so, and not an AXFR-style
  one) within seconds and answers the new data; the serial went up.
* The records of an AXFR are those Debian's `rbldnsd -d` dumps for the
  differential test's data files (but for the differences README.md names).
* NOTIFY to a secondary that does not answer: 5 sends, 1, 2, 4, 8 s apart.
* A transfer signed with an unknown key gets NOTAUTH/BADKEY, one with a
  wrong secret NOTAUTH/BADSIG, an unsigned one REFUSED, and a transfer over
  UDP REFUSED.

knotd runs with its own configuration on a free 127.0.0.1 port, its storage
in a temporary directory (never the system service). Environment:
RAMPART_BIN. Needs knot (knotd), rbldnsd and python3-dnspython.
"""

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.zone

from dnsbl_support import ask, free_port, serial, start_knot, stop, summary
from e2e_support import poll

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
KEYRING = dns.tsigkeyring.from_text({"xfr-key.": ("hmac-sha256", SECRET)})
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"

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
:2:Domain $ listed
spam.example
*.wild.example
.both.example
"""

QUERIES = [
    ("bl.example", "SOA"),
    ("bl.example", "NS"),
    ("2.0.0.127.bl.example", "A"),
    ("2.0.0.127.bl.example", "TXT"),
    ("1.0.0.127.bl.example", "A"),
    ("5.4.1.10.bl.example", "A"),
    ("5.4.1.10.bl.example", "TXT"),
    ("1.2.1.10.bl.example", "A"),  # below an empty non-terminal of the /16
    ("3.2.1.10.bl.example", "A"),  # excluded
    ("0.0.127.bl.example", "A"),  # empty non-terminal
    ("1.2.0.192.bl.example", "TXT"),
    ("9.2.0.192.bl.example", "A"),
    ("9.9.9.10.bl.example", "A"),
    ("9.9.9.10.bl.example", "TXT"),
    ("8.8.8.10.bl.example", "A"),
    ("spam.example.dbl.example", "A"),
    ("spam.example.dbl.example", "TXT"),
    ("x.spam.example.dbl.example", "A"),
    ("a.wild.example.dbl.example", "TXT"),
    ("wild.example.dbl.example", "A"),
    ("both.example.dbl.example", "A"),
    ("a.b.both.example.dbl.example", "TXT"),
]


def nib(addr, zone):
    return ".".join(reversed(ipaddress.ip_address(addr).exploded.replace(":", ""))) + "." + zone


# IPv6 zones (the differential test's files): A only, as `$` in the TXT of a
# wildcard is the network's address at a secondary.
for a in ("2001:21ab:c000::1", "2001:21ab:def7:4242::5", "2605:6001:42::bead", "2605:6001:42::beef",
          "2001:db8::1", "::1", "2001:dead::1"):
    QUERIES.append((nib(a, "v6.example"), "A"))
for a in ("2001:20fe:23:41ed::9", "abac:adab:ad00:42f::2", "abac:adab:ad00:42f::3", "abac:adab:ad00:430::3"):
    QUERIES.append((nib(a, "v6t.example"), "A"))
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "dnsbl")


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class DnsblXfrTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dnsbl-xfr-")
        cls.bl = os.path.join(cls.dir, "bl.txt")
        cls.dbl = os.path.join(cls.dir, "dbl.txt")
        write(cls.bl, BL_V1)
        write(cls.dbl, DBL)
        cls.knot_port = free_port()
        # rampart, with the secondary to NOTIFY.
        cls.rampart_err = open(os.path.join(cls.dir, "rampart.log"), "w")
        cls.rampart = subprocess.Popen(
            [os.environ["RAMPART_BIN"], "dnsbl", "serve", "--listen", "127.0.0.1:0", "--check", "1",
             "--xfr-allow", "127.0.0.0/8", "--tsig", "xfr-key:hmac-sha256:" + SECRET,
             "--notify", "127.0.0.1:%d" % cls.knot_port, "--stats", os.path.join(cls.dir, "stats.prom"),
             "bl.example:ip4set:" + cls.bl, "dbl.example:dnset:" + cls.dbl,
             "v6.example:ip6trie:" + os.path.join(DATA, "ip6trie.txt"),
             "v6t.example:ip6tset:" + os.path.join(DATA, "ip6tset.txt")],
            stdout=subprocess.PIPE, stderr=cls.rampart_err, text=True)
        line = cls.rampart.stdout.readline()
        assert line.startswith("listening 127.0.0.1:"), line
        cls.port = int(line.strip().rsplit(":", 1)[1])
        # knotd as a secondary of both zones.
        cls.knot, cls.knot_log, cls.knot_err = start_knot(
            KNOTD, os.path.join(cls.dir, "knot"), cls.knot_port, cls.port, SECRET,
            [("bl.example", True), ("dbl.example", True), ("v6.example", False), ("v6t.example", False)])

    @classmethod
    def tearDownClass(cls):
        stop((cls.knot, cls.rampart))
        cls.rampart.stdout.close()
        cls.rampart_err.close()
        cls.knot_err.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def knot_log_text(self):
        with open(self.knot_log) as f:
            return f.read()

    def wait_for(self, what, check, deadline_s=20):
        value, last = poll(check, deadline_s, (dns.exception.Timeout, OSError))
        if value:
            return value
        with open(os.path.join(self.dir, "rampart.log")) as f:
            rlog = f.read()
        self.fail("%s: not within %d s (last %r)\nknot log:\n%s\nrampart log:\n%s"
                  % (what, deadline_s, last, self.knot_log_text(), rlog))

    def same_answers(self):
        diffs = []
        for name, qtype in QUERIES:
            a = summary(ask(self.port, name, qtype))
            b = summary(ask(self.knot_port, name, qtype))
            if a != b:
                diffs.append((name, qtype, a, b))
        return diffs

    def test_1_mirror_then_ixfr(self):
        s1 = {z: serial(self.port, z) for z in ("bl.example", "dbl.example", "v6.example", "v6t.example")}
        self.wait_for("knot has the zones at rampart's serial",
                      lambda: all(serial(self.knot_port, z) == s1[z] for z in s1))
        self.assertIn("AXFR, incoming", self.knot_log_text())
        self.assertEqual(self.same_answers(), [])
        self.assertEqual(summary(ask(self.knot_port, "9.9.9.10.bl.example", "TXT"))[1],
                         frozenset({("TXT", '"gone soon"')}))

        # The change: rampart reloads, NOTIFYs, Knot fetches it by IXFR.
        write(self.bl, BL_V2)
        self.wait_for("rampart serves the new data",
                      lambda: ask(self.port, "8.8.8.10.bl.example", "A").answer)
        s2 = serial(self.port, "bl.example")
        self.assertGreater(s2, s1["bl.example"])
        self.assertEqual(serial(self.port, "dbl.example"), s1["dbl.example"])  # unchanged
        started = time.monotonic()
        self.wait_for("knot answers the new data",
                      lambda: serial(self.knot_port, "bl.example") == s2
                      and ask(self.knot_port, "8.8.8.10.bl.example", "A").answer)
        self.assertLess(time.monotonic() - started, 10)
        log = self.knot_log_text()
        ixfr = [l for l in log.splitlines() if "[bl.example.] IXFR, incoming" in l]
        self.assertTrue(any("finished" in l for l in ixfr), log)
        self.assertFalse(any("AXFR-style" in l for l in ixfr), log)
        self.assertIn("notify, incoming", log)
        self.assertEqual(self.same_answers(), [])
        self.assertEqual(summary(ask(self.knot_port, "8.8.8.10.bl.example", "TXT"))[1],
                         frozenset({("TXT", '"new entry 10.8.8.8"')}))
        self.assertEqual(ask(self.knot_port, "9.9.9.10.bl.example", "A").rcode(), dns.rcode.NXDOMAIN)

    def test_2_refused_transfers(self):
        # Unsigned while keys are configured: REFUSED.
        q = dns.message.make_query("bl.example", "AXFR")
        r = dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # Over UDP: REFUSED.
        r = dns.query.udp(dns.message.make_query("bl.example", "AXFR"), "127.0.0.1", port=self.port,
                          timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # An unknown key: NOTAUTH with TSIG error BADKEY.
        other = dns.tsigkeyring.from_text({"other-key.": ("hmac-sha256", SECRET)})
        with self.assertRaises(dns.tsig.PeerBadKey):
            dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "bl.example", port=self.port, keyring=other,
                                            keyname="other-key.", timeout=3))
        # The right name with a wrong secret: NOTAUTH with BADSIG.
        wrong = dns.tsigkeyring.from_text({"xfr-key.": ("hmac-sha256", "d3Jvbmctc2VjcmV0")})
        with self.assertRaises(dns.tsig.PeerBadSignature):
            dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "bl.example", port=self.port, keyring=wrong,
                                            keyname="xfr-key.", timeout=3))
        # The right key: the whole zone, every message verified by dnspython.
        z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "bl.example", port=self.port, keyring=KEYRING,
                                            keyname="xfr-key.", timeout=3))
        self.assertIsNotNone(z.get_rdataset("2.0.0.127", "A"))

    def test_3_counters(self):
        # SIGUSR1 writes the counters (Prometheus text) to --stats.
        path = os.path.join(self.dir, "stats.prom")
        self.rampart.send_signal(signal.SIGUSR1)

        def read():
            if not os.path.exists(path):
                return None
            values = {}
            with open(path) as f:
                for line in f:
                    if line and not line.startswith("#"):
                        k, v = line.rsplit(" ", 1)
                        v = v.strip()
                        values[k] = int(v) if v.isdigit() else float(v)  # a histogram's _sum and le bounds
            return values if 'rampart_dnsbl_transfers_total{type="axfr"}' in values else None
        v = self.wait_for("the --stats file", read)
        # Knot's two AXFRs and dnspython's; Knot's IXFR; the unsigned and
        # UDP transfers refused; BADKEY and BADSIG.
        self.assertGreaterEqual(v['rampart_dnsbl_transfers_total{type="axfr"}'], 3)
        self.assertGreaterEqual(v['rampart_dnsbl_transfers_total{type="ixfr"}'], 1)
        self.assertGreaterEqual(v["rampart_dnsbl_transfers_refused_total"], 2)
        self.assertGreaterEqual(v["rampart_dnsbl_tsig_errors_total"], 2)
        self.assertGreater(v['rampart_dnsbl_queries_total{transport="udp"}'], 40)
        self.assertEqual(v['rampart_dnsbl_zone_serial{zone="bl.example"}'], serial(self.port, "bl.example"))
        # The answer latency histogram (issue 15): each UDP answer but the transfers' counted once.
        timed = sum(n for k, n in v.items() if k.startswith('rampart_dns_answer_seconds_count{transport="udp"'))
        self.assertGreater(timed, 40)
        self.assertLessEqual(timed, v['rampart_dnsbl_queries_total{transport="udp"}'])


DUMP_SPECS = ["bl.example:ip4set:ip4set-main.txt,ip4set-second.txt", "dbl.example:dnset:dnset.txt",
              "gen.example:generic:generic.txt", "comb.example:combined:combined.txt",
              "t.example:ip4tset:ip4tset.txt"]


def records(rrsets):
    out = set()
    for name, rdtype, rdatas in rrsets:
        if rdtype == dns.rdatatype.SOA:
            continue
        for rd in rdatas:
            out.add((name.to_text().lower(), dns.rdatatype.to_text(rdtype), rd.to_text().lower()))
    return out


class DumpLikeRbldnsdTest(unittest.TestCase):
    """The records of an AXFR are those `rbldnsd -d` dumps for the same data
    (the differential test's files), but for the differences README.md names."""

    def test_axfr_equals_rbldnsd_dump(self):
        p = subprocess.Popen([os.environ["RAMPART_BIN"], "dnsbl", "serve", "--listen", "127.0.0.1:0",
                              "--xfr-allow", "127.0.0.1/32"] + DUMP_SPECS,
                             cwd=DATA, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(p.stdout.readline().strip().rsplit(":", 1)[1])
            for spec in DUMP_SPECS:
                zone = spec.split(":")[0]
                dump = subprocess.run(["rbldnsd", "-d", "-n", spec], cwd=DATA, capture_output=True, text=True,
                                      timeout=20).stdout
                z = dns.zone.from_text(dump, origin=zone, relativize=False, check_origin=False)
                theirs = records((n, rds.rdtype, rds) for n, node in z.nodes.items() for rds in node.rdatasets)
                ours = records((rr.name, rr.rdtype, rr) for m in
                               dns.query.xfr("127.0.0.1", zone, port=port, relativize=False, timeout=5)
                               for rr in m.answer)
                only_theirs, only_ours = theirs - ours, ours - theirs
                if zone == "dbl.example":
                    # rbldnsd keeps bad..name (no query reaches it); rampart skips it.
                    only_theirs = {r for r in only_theirs if not r[0].startswith("bad.name.")}
                if zone == "bl.example":
                    # A /16's wildcard copied below an empty non-terminal: rbldnsd
                    # writes `$` as that /24's address, rampart as the /16's.
                    strip = lambda rs: {(n, t) for n, t, _ in rs if n.startswith("*.") and t == "TXT"}
                    self.assertEqual(strip(only_theirs), strip(only_ours))
                    self.assertEqual({r for r in only_theirs if r[1] != "TXT" or not r[0].startswith("*.")}, set())
                    self.assertEqual({r for r in only_ours if r[1] != "TXT" or not r[0].startswith("*.")}, set())
                    self.assertLessEqual(len(only_ours), 2)
                    continue
                self.assertEqual((zone, only_theirs, only_ours), (zone, set(), set()))
                self.assertGreater(len(ours), 3)
        finally:
            p.terminate()
            p.wait(timeout=15)
            p.stdout.close()


class NotifyRetryTest(unittest.TestCase):
    """A secondary that never answers gets the NOTIFY 5 times, 1, 2, 4 and 8 s
    apart, each signed, then no more, and rampart logs that it gave up."""

    def test_notify_retries_bounded(self):
        d = tempfile.mkdtemp(prefix="dnsbl-notify-")
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        path = os.path.join(d, "bl.txt")
        write(path, BL_V1)
        p = subprocess.Popen([os.environ["RAMPART_BIN"], "dnsbl", "serve", "--listen", "127.0.0.1:0",
                              "--check", "1", "--tsig", "xfr-key:hmac-sha256:" + SECRET,
                              "--notify", "127.0.0.1:%d" % sink.getsockname()[1], "bl.example:ip4set:" + path],
                             stdout=subprocess.PIPE, stderr=open(os.path.join(d, "log"), "w"), text=True)
        try:
            p.stdout.readline()
            write(path, BL_V2)
            arrivals = []
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                sink.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    data = sink.recv(4096)
                except socket.timeout:
                    break
                m = dns.message.from_wire(data, keyring=KEYRING)  # raises unless the TSIG verifies
                self.assertEqual(m.opcode(), dns.opcode.NOTIFY)
                self.assertEqual(m.question[0].name.to_text(), "bl.example.")
                self.assertTrue(m.had_tsig)
                arrivals.append(time.monotonic())
                if len(arrivals) == 5:
                    deadline = time.monotonic() + 12  # none more (a sixth would come after 8 s)
            self.assertEqual(len(arrivals), 5)
            gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
            for gap, want in zip(gaps, (1, 2, 4, 8)):
                self.assertGreater(gap, want * 0.8, gaps)
                self.assertLess(gap, want + 1.5, gaps)
            with open(os.path.join(d, "log")) as f:
                self.assertIn("no answer after 5 tries, giving up", f.read())
        finally:
            p.terminate()
            p.wait(timeout=15)
            p.stdout.close()
            sink.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)

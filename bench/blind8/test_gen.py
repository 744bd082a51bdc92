#!/usr/bin/env python3
"""Self-check of the blind-8 generators.

Runs every population of senders_gen.py, flows_gen.py and calls_gen.py at
--scale 0.05 with --seed 1 and checks that the output is well-formed per
FORMAT.md; also checks that a run is reproducible for a given seed.

    python3 test_gen.py            # all
    python3 test_gen.py -v Senders # one group
"""
import csv
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
SEED = "1"


def run(gen, out, population, scale=SCALE, seed=SEED):
    subprocess.run([sys.executable, os.path.join(HERE, gen), "--seed", seed, "--out", out,
                    "--population", population, "--scale", scale], check=True)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def populations(gen):
    sys.path.insert(0, HERE)
    mod = __import__(gen[:-3])
    return sorted(getattr(mod, "POPULATIONS", None) or getattr(mod, "POPS"))


class Base(unittest.TestCase):
    gen = None
    files = ()

    @classmethod
    def setUpClass(cls):
        if cls.gen is None:
            raise unittest.SkipTest("base class")
        cls.tmp = tempfile.TemporaryDirectory(prefix="blind8-")
        cls.out = {}
        for p in populations(cls.gen):
            d = os.path.join(cls.tmp.name, p)
            run(cls.gen, d, p)
            cls.out[p] = d

    @classmethod
    def tearDownClass(cls):
        if cls.gen is not None:
            cls.tmp.cleanup()

    def meta(self, d):
        with open(os.path.join(d, "meta.json")) as f:
            return json.load(f)

    def test_at_least_two_populations(self):
        self.assertGreaterEqual(len(self.out), 2)

    def test_deterministic(self):
        p = sorted(self.out)[0]
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            run(self.gen, a, p, scale="0.02", seed="3")
            run(self.gen, b, p, scale="0.02", seed="3")
            for fn in self.files:
                self.assertEqual(digest(os.path.join(a, fn)), digest(os.path.join(b, fn)), fn)
            c = os.path.join(a, "c")
            run(self.gen, c, p, scale="0.02", seed="4")
            self.assertNotEqual(digest(os.path.join(a, self.files[0])), digest(os.path.join(c, self.files[0])))


class Senders(Base):
    gen = "senders_gen.py"
    files = ("events.jsonl", "truth.csv", "meta.json")
    TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
    STR = ("helo", "mail_from", "from", "spf", "dkim", "dmarc", "feedback_id", "list_id", "verdict")
    AUTH = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}

    def test_files(self):
        for p, d in self.out.items():
            m = self.meta(d)
            self.assertEqual(set(m), {"population", "seed", "start", "end", "events", "identities"})
            self.assertEqual((m["population"], m["seed"]), (p, 1))
            n, last, types, ips = 0, m["start"], set(), set()
            with open(os.path.join(d, "events.jsonl")) as f:
                for line in f:
                    e = json.loads(line)
                    n += 1
                    self.assertIsInstance(e["time"], int)
                    self.assertGreaterEqual(e["time"], last)
                    self.assertLess(e["time"], m["end"])
                    last = e["time"]
                    self.assertIn(e.get("type", "message"), self.TYPES)
                    types.add(e.get("type", "message"))
                    ipaddress.ip_address(e["ip"])
                    ips.add(e["ip"])
                    for k in self.STR:
                        if k in e:
                            self.assertIsInstance(e[k], str, k)
                    for k in ("spf", "dkim", "dmarc"):
                        self.assertIn(e[k], self.AUTH)
                    self.assertIsInstance(e["dkim_domains"], list)
                    for x in e["dkim_domains"]:
                        self.assertIsInstance(x, str)
                    self.assertIsInstance(e["fcrdns"], bool)
                    if "list_unsubscribe_one_click" in e:
                        self.assertIsInstance(e["list_unsubscribe_one_click"], bool)
                    self.assertIsInstance(e["recipients"], int)
                    self.assertGreaterEqual(e["recipients"], 1)
                    if "verdict" in e:
                        self.assertIn(e["verdict"], ("spam", "ham"))
            self.assertEqual(n, m["events"])
            self.assertGreater(n, 1000)
            self.assertTrue({"message", "complaint", "bounce", "trap"} <= types, types)
            with open(os.path.join(d, "truth.csv")) as f:
                self.assertEqual(f.readline().strip(), "identity,class,bad_from")
                rows = list(csv.reader(f))
            self.assertEqual(len(rows), m["identities"])
            seen, classes = set(), set()
            for ident, cls, bad in rows:
                self.assertNotIn(ident, seen)
                seen.add(ident)
                self.assertRegex(ident, r"^(ip:[0-9.]+|domain:[a-z0-9.-]+)$")
                if ident.startswith("ip:"):
                    ipaddress.ip_address(ident[3:])
                    self.assertIn(ident[3:], ips)
                self.assertIn(cls, ("bulk", "transactional", "spammer", "compromised", "unknown"))
                classes.add(cls)
                if cls in ("spammer", "compromised"):
                    self.assertTrue(m["start"] <= int(bad) < m["end"])
                else:
                    self.assertEqual(bad, "")
            self.assertEqual(classes, {"bulk", "transactional", "spammer", "compromised", "unknown"}, p)


class Flows(Base):
    gen = "flows_gen.py"
    files = ("flows.binetflow", "hosts.csv", "meta.json")
    HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
    ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
    TS = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")

    def test_files(self):
        import calendar
        import time
        for p, d in self.out.items():
            m = self.meta(d)
            self.assertEqual(set(m), {"population", "seed", "start", "end", "subscribers", "mail_servers", "flows"})
            subs = [ipaddress.ip_network(x) for x in m["subscribers"]]
            mails = [ipaddress.ip_network(x) for x in m["mail_servers"]]
            with open(os.path.join(d, "hosts.csv")) as f:
                self.assertEqual(f.readline().strip(), "host,role,infected_from,infected_until")
                hosts = {}
                for host, role, t0, t1 in csv.reader(f):
                    self.assertNotIn(host, hosts)
                    self.assertIn(role, self.ROLES)
                    a = ipaddress.ip_address(host)
                    self.assertTrue(any(a in s for s in subs), host)
                    if role == "mail_server":
                        self.assertTrue(any(a in s for s in mails), host)
                    if role in ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"):
                        self.assertTrue(m["start"] <= int(t0) <= int(t1) <= m["end"], (host, t0, t1))
                    else:
                        self.assertEqual((t0, t1), ("", ""))
                    hosts[host] = role
            self.assertTrue({"normal", "mail_server", "nat_gateway"} <= set(hosts.values()))
            self.assertGreaterEqual(len({"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"} &
                                        set(hosts.values())), 2)
            n, last, srcs = 0, "", set()
            with open(os.path.join(d, "flows.binetflow")) as f:
                self.assertEqual(f.readline().rstrip("\n"), self.HEADER)
                for line in f:
                    r = line.rstrip("\n").split(",")
                    self.assertEqual(len(r), 15, line)
                    self.assertRegex(r[0], self.TS)
                    self.assertGreaterEqual(r[0], last)
                    last = r[0]
                    float(r[1])
                    self.assertIn(r[2], ("tcp", "udp", "icmp"))
                    ipaddress.ip_address(r[3])
                    ipaddress.ip_address(r[6])
                    self.assertIn(r[5].strip(), ("->", "<->", "<-", "<?>", "?>"))
                    pk, tb, sb = int(r[11]), int(r[12]), int(r[13])
                    self.assertTrue(pk >= 1 and tb >= sb >= 0)
                    self.assertRegex(r[14], r"^flow=(From-Botnet-|From-Normal-|Background)")
                    a = ipaddress.ip_address(r[3])
                    if any(a in s for s in subs):
                        srcs.add(r[3])
                    if "Botnet" in r[14]:
                        self.assertIn(hosts.get(r[3]), ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"))
                    n += 1
            t_first = calendar.timegm(time.strptime(last[:19], "%Y/%m/%d %H:%M:%S"))
            self.assertLess(t_first, m["end"])
            self.assertEqual(n, m["flows"])
            self.assertEqual(srcs - set(hosts), set(), "subscriber sources without a hosts.csv row")


class Calls(Base):
    gen = "calls_gen.py"
    files = ("calls.csv", "meta.json")
    HEADER = ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"]

    def test_files(self):
        for p, d in self.out.items():
            m = self.meta(d)
            self.assertEqual(set(m), {"population", "seed", "start", "end", "own_ranges", "calls"})
            for x in m["own_ranges"]:
                self.assertRegex(x, r"^\d+$")
            n, last, labels, own_seen = 0, m["start"], set(), 0
            with open(os.path.join(d, "calls.csv"), newline="") as f:
                rd = csv.reader(f)
                self.assertEqual(next(rd), self.HEADER)
                for r in rd:
                    self.assertEqual(len(r), 9)
                    t = int(r[0])
                    self.assertTrue(last <= t < m["end"])
                    last = t
                    self.assertTrue(r[1] and r[2])
                    dur = int(r[3])
                    self.assertIn(r[4], ("ANSWERED", "NO ANSWER", "BUSY", "FAILED"))
                    if r[4] != "ANSWERED":
                        self.assertEqual(dur, 0, r)
                    self.assertGreaterEqual(dur, 0)
                    self.assertTrue(r[5])
                    ipaddress.ip_address(r[6])
                    self.assertIn(r[7], ("0", "1"))
                    self.assertRegex(r[8], r"^(normal|[a-z]+:[A-Za-z0-9_.-]+)$")
                    labels.add(r[8].split(":")[0])
                    callee = r[2].lstrip("+")
                    if any(callee.startswith(x) or ("1" + callee).startswith(x) for x in m["own_ranges"]):
                        own_seen += 1
                    n += 1
            self.assertEqual(n, m["calls"])
            self.assertIn("normal", labels)
            self.assertGreaterEqual(len(labels), 3, labels)
            self.assertGreater(own_seen, n // 3)


if __name__ == "__main__":
    unittest.main()

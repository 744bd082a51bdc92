#!/usr/bin/env python3
"""Self-check of the blind generators: python3 -m unittest test_gen (from this directory).

Each generator, each population, --scale 0.02, seeds 1 and 2: files are well-formed per
FORMAT.md, times sorted, truth identities present in the events, labels valid; the same seed
gives byte-identical output."""
import csv
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.02"
SEEDS = (1, 2)
GENS = {
    "senders_gen.py": (["mbp", "isp"], ["events.jsonl", "truth.csv", "meta.json"]),
    "flows_gen.py": (["campus", "isp"], ["flows.binetflow", "hosts.csv", "meta.json"]),
    "calls_gen.py": (["terminating", "mobile"], ["calls.csv", "meta.json"]),
}
_cache = {}


def run(gen, pop, seed, tag=""):
    key = (gen, pop, seed, tag)
    if key not in _cache:
        out = tempfile.mkdtemp(prefix="%s_%s_%d_" % (gen.split("_")[0], pop, seed), dir=_tmp.name)
        subprocess.run([sys.executable, os.path.join(HERE, gen), "--seed", str(seed), "--out", out,
                        "--population", pop, "--scale", SCALE], check=True)
        _cache[key] = out
    return _cache[key]


_tmp = tempfile.TemporaryDirectory(prefix="blind5_test_")


def tearDownModule():
    _tmp.cleanup()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Senders(unittest.TestCase):
    TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
    CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}
    AUTH = {"spf": {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"},
            "dkim": {"pass", "fail", "none"}, "dmarc": {"pass", "fail", "none"}}

    def check(self, pop, seed):
        d = run("senders_gen.py", pop, seed)
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as mf:
            meta = json.load(mf)
        self.assertEqual(meta["population"], pop)
        self.assertEqual(meta["seed"], seed)
        last = -1
        n = 0
        seen = set()
        with open(os.path.join(d, "events.jsonl"), encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                n += 1
                self.assertIsInstance(e["time"], int)
                self.assertGreaterEqual(e["time"], last)
                last = e["time"]
                self.assertTrue(meta["start"] <= e["time"] < meta["end"])
                self.assertIn(e["type"], self.TYPES)
                ipaddress.IPv4Address(e["ip"])
                r = e.get("recipients", 1)
                self.assertIsInstance(r, int)
                self.assertGreaterEqual(r, 1)
                for k, allowed in self.AUTH.items():
                    if k in e:
                        self.assertIn(e[k], allowed)
                for k in ("fcrdns", "list_unsubscribe_one_click"):
                    if k in e:
                        self.assertIsInstance(e[k], bool)
                if "verdict" in e:
                    self.assertIn(e["verdict"], ("spam", "ham"))
                self.assertIsInstance(e.get("dkim_domains", []), list)
                seen.add("ip:" + e["ip"])
                if "from" in e:
                    seen.add("domain:" + e["from"].split("@")[-1])
                for x in e.get("dkim_domains", []):
                    seen.add("domain:" + x)
        self.assertEqual(n, meta["events"])
        with open(os.path.join(d, "truth.csv"), encoding="utf-8", newline="") as f:
            self.assertEqual(f.readline().strip(), "identity,class,bad_from")
            f.seek(0)
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), meta["identities"])
        classes = set()
        for row in rows:
            self.assertIn(row["identity"], seen)
            self.assertIn(row["class"], self.CLASSES)
            classes.add(row["class"])
            if row["class"] in ("spammer", "compromised"):
                b = int(row["bad_from"])
                self.assertTrue(meta["start"] <= b < meta["end"])
            else:
                self.assertEqual(row["bad_from"], "")
        self.assertEqual(len({r["identity"] for r in rows}), len(rows))
        self.assertTrue({"bulk", "spammer", "compromised", "unknown"} <= classes, classes)

    def test_all(self):
        for pop in GENS["senders_gen.py"][0]:
            for seed in SEEDS:
                with self.subTest(pop=pop, seed=seed):
                    self.check(pop, seed)


class Flows(unittest.TestCase):
    HEADER = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
    ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
    INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}

    def check(self, pop, seed):
        d = run("flows_gen.py", pop, seed)
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as mf:
            meta = json.load(mf)
        nets = [ipaddress.ip_network(c) for c in meta["subscribers"]]
        mails = [ipaddress.ip_network(c) for c in meta["mail_servers"]]
        hosts = {}
        with open(os.path.join(d, "hosts.csv"), encoding="ascii") as f:
            self.assertEqual(f.readline().strip(), "host,role,infected_from,infected_until")
            for line in f:
                h, role, a, b = line.rstrip("\n").split(",")
                self.assertIn(role, self.ROLES)
                if role in self.INFECTED:
                    self.assertTrue(meta["start"] <= int(a) < int(b) <= meta["end"], line)
                else:
                    self.assertEqual((a, b), ("", ""))
                if role == "mail_server":
                    self.assertTrue(any(ipaddress.ip_address(h) in m for m in mails))
                hosts[h] = role
        self.assertTrue(self.INFECTED <= set(hosts.values()))
        last = ""
        n = 0
        senders = set()
        bot_src = set()
        with open(os.path.join(d, "flows.binetflow"), encoding="ascii") as f:
            self.assertEqual(f.readline().rstrip("\n"), self.HEADER)
            for line in f:
                p = line.rstrip("\n").split(",")
                self.assertEqual(len(p), 15)
                self.assertGreaterEqual(p[0], last)
                last = p[0]
                self.assertRegex(p[0], r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")
                self.assertIn(p[2], ("tcp", "udp", "icmp"))
                lab = p[14]
                self.assertTrue(lab.startswith("flow=From-Botnet-") or lab.startswith("flow=From-Normal-")
                                or lab.startswith("flow=Background"), lab)
                self.assertTrue(int(p[12]) >= int(p[13]) >= 0)
                ip = ipaddress.ip_address(p[3])
                if any(ip in net for net in nets):
                    senders.add(p[3])
                if lab.startswith("flow=From-Botnet-"):
                    bot_src.add(p[3])
                n += 1
        self.assertEqual(n, meta["flows"])
        for s in senders:
            self.assertIn(s, hosts)
        for s in bot_src:
            self.assertIn(hosts.get(s), self.INFECTED)

    def test_all(self):
        for pop in GENS["flows_gen.py"][0]:
            for seed in SEEDS:
                with self.subTest(pop=pop, seed=seed):
                    self.check(pop, seed)


class Calls(unittest.TestCase):
    HEADER = ["time", "caller", "callee", "duration", "disposition", "trunk", "ip", "external", "label"]

    def check(self, pop, seed):
        d = run("calls_gen.py", pop, seed)
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as mf:
            meta = json.load(mf)
        self.assertTrue(meta["own_ranges"] and all(x.isdigit() for x in meta["own_ranges"]))
        with open(os.path.join(d, "calls.csv"), encoding="ascii", newline="") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], self.HEADER)
        last = -1
        kinds = set()
        for row in rows[1:]:
            self.assertEqual(len(row), 9)
            t = int(row[0])
            self.assertGreaterEqual(t, last)
            last = t
            self.assertTrue(meta["start"] <= t < meta["end"])
            self.assertIn(row[4], ("ANSWERED", "NO ANSWER", "BUSY", "FAILED"))
            dur = int(row[3])
            if row[4] != "ANSWERED":
                self.assertEqual(dur, 0)
            else:
                self.assertGreaterEqual(dur, 0)
            self.assertIn(row[7], ("0", "1"))
            ipaddress.IPv4Address(row[6])
            self.assertTrue(row[5])
            lab = row[8]
            if lab != "normal":
                k, _, camp = lab.partition(":")
                self.assertTrue(k and camp, lab)
                kinds.add(k)
        self.assertEqual(len(rows) - 1, meta["calls"])
        self.assertTrue(len(kinds) >= 3, kinds)

    def test_all(self):
        for pop in GENS["calls_gen.py"][0]:
            for seed in SEEDS:
                with self.subTest(pop=pop, seed=seed):
                    self.check(pop, seed)


class Determinism(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        for gen, (pops, files) in sorted(GENS.items()):
            for pop in pops:
                with self.subTest(gen=gen, pop=pop):
                    a = run(gen, pop, 1)
                    b = run(gen, pop, 1, tag="again")
                    for fn in files:
                        self.assertEqual(digest(os.path.join(a, fn)), digest(os.path.join(b, fn)), fn)

    def test_seeds_differ(self):
        for gen, (pops, files) in sorted(GENS.items()):
            with self.subTest(gen=gen):
                a = run(gen, pops[0], 1)
                b = run(gen, pops[0], 2)
                self.assertNotEqual(digest(os.path.join(a, files[0])), digest(os.path.join(b, files[0])))


if __name__ == "__main__":
    unittest.main()

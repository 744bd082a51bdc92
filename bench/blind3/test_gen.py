#!/usr/bin/env python3
"""Self-checks for bench/blind3 generators (seeds 1-9, small scales only).

    python3 test_gen.py            # or: python3 -m unittest test_gen
"""
import csv
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = "0.05"
EVENT_TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
STR_FIELDS = {"helo", "mail_from", "from", "spf", "dkim", "dmarc", "feedback_id", "list_id", "verdict", "pra",
              "senderid"}
BOOL_FIELDS = {"fcrdns", "list_unsubscribe_one_click"}
AUTH = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}
FLOW_HEADER = ("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,"
               "Label")
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}


def run(script, pop, seed, out):
    subprocess.run([sys.executable, os.path.join(HERE, script), "--seed", str(seed), "--out", out,
                    "--population", pop, "--scale", SCALE], check=True, stderr=subprocess.DEVNULL)


def digest(d):
    h = hashlib.sha256()
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            h.update(name.encode() + f.read())
    return h.hexdigest()


def pops(script):
    out = subprocess.run([sys.executable, os.path.join(HERE, script), "--help"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    start = out.index("{") + 1
    return out[start:out.index("}", start)].split(",")


class Base(unittest.TestCase):
    script = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="blind3-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def gen(self, pop, seed, tag=""):
        out = os.path.join(self.tmp, "%s-%s-%d%s" % (self.script, pop, seed, tag))
        if not os.path.exists(out):
            run(self.script, pop, seed, out)
        return out


class Senders(Base):
    script = "senders_gen.py"

    def test_populations(self):
        self.assertGreaterEqual(len(pops(self.script)), 2)

    def test_determinism(self):
        for pop in pops(self.script):
            a = self.gen(pop, 3)
            b = self.gen(pop, 3, "-again")
            c = self.gen(pop, 4)
            self.assertEqual(digest(a), digest(b), pop)
            self.assertNotEqual(digest(a), digest(c), pop)

    def test_format(self):
        for pop in pops(self.script):
            d = self.gen(pop, 1)
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            self.assertEqual(meta["population"], pop)
            self.assertEqual(meta["seed"], 1)
            seen = set()
            last = -1
            n = 0
            with open(os.path.join(d, "events.jsonl")) as f:
                for line in f:
                    e = json.loads(line)
                    n += 1
                    self.assertIsInstance(e["time"], int)
                    self.assertGreaterEqual(e["time"], last)
                    self.assertTrue(meta["start"] <= e["time"] < meta["end"])
                    last = e["time"]
                    self.assertIn(e.get("type", "message"), EVENT_TYPES)
                    ipaddress.ip_address(e["ip"])
                    for k in STR_FIELDS & set(e):
                        self.assertIsInstance(e[k], str, k)
                    for k in BOOL_FIELDS & set(e):
                        self.assertIsInstance(e[k], bool, k)
                    for k in ("spf", "dkim", "dmarc"):
                        if k in e:
                            self.assertIn(e[k], AUTH)
                    if "verdict" in e:
                        self.assertIn(e["verdict"], ("spam", "ham"))
                    if "recipients" in e:
                        self.assertIsInstance(e["recipients"], int)
                        self.assertGreaterEqual(e["recipients"], 1)
                    self.assertIsInstance(e.get("dkim_domains", []), list)
                    seen.add("ip:" + e["ip"])
                    if "@" in e.get("from", ""):
                        seen.add("domain:" + e["from"].split("@")[1].lower())
                    for x in e.get("dkim_domains", []):
                        seen.add("domain:" + x.lower())
            self.assertEqual(n, meta["events"])
            with open(os.path.join(d, "truth.csv"), newline="") as f:
                rows = list(csv.reader(f))
            self.assertEqual(rows[0], ["identity", "class", "bad_from"])
            self.assertEqual(len(rows) - 1, meta["identities"])
            classes = set()
            for ident, cls, bad in rows[1:]:
                self.assertIn(cls, ("bulk", "transactional", "spammer", "compromised", "unknown"))
                self.assertIn(ident, seen, "truth identity never appears in events")
                classes.add(cls)
                if cls in ("spammer", "compromised"):
                    self.assertTrue(meta["start"] <= int(bad) < meta["end"])
                else:
                    self.assertEqual(bad, "")
            self.assertEqual(classes, {"bulk", "transactional", "spammer", "compromised", "unknown"}, pop)


class Flows(Base):
    script = "flows_gen.py"

    def test_populations(self):
        self.assertGreaterEqual(len(pops(self.script)), 2)

    def test_determinism(self):
        for pop in pops(self.script):
            a = self.gen(pop, 5)
            b = self.gen(pop, 5, "-again")
            c = self.gen(pop, 6)
            self.assertEqual(digest(a), digest(b), pop)
            self.assertNotEqual(digest(a), digest(c), pop)

    def test_format(self):
        for pop in pops(self.script):
            d = self.gen(pop, 2)
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            self.assertEqual(meta["population"], pop)
            subs = [ipaddress.ip_network(x) for x in meta["subscribers"]]
            mails = [ipaddress.ip_network(x) for x in meta["mail_servers"]]
            with open(os.path.join(d, "hosts.csv"), newline="") as f:
                rd = csv.DictReader(f)
                self.assertEqual(rd.fieldnames, ["host", "role", "infected_from", "infected_until"])
                hosts = {row["host"]: row for row in rd}
            roles = set()
            for h, row in hosts.items():
                self.assertIn(row["role"], ROLES)
                roles.add(row["role"])
                infected = row["role"] in ("bot_heavy", "bot_lowslow", "bot_relay", "nat_infected")
                self.assertEqual(bool(row["infected_from"]), infected, h)
                if row["infected_until"]:
                    self.assertLess(int(row["infected_from"]), int(row["infected_until"]))
                if row["role"] == "mail_server":
                    self.assertTrue(any(ipaddress.ip_address(h) in m for m in mails), h)
            self.assertTrue({"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server",
                             "nat_gateway"} <= roles, pop)
            last = ""
            n = 0
            with open(os.path.join(d, "flows.binetflow")) as f:
                self.assertEqual(f.readline().rstrip("\n"), FLOW_HEADER)
                for line in f:
                    c = line.rstrip("\n").split(",")
                    self.assertEqual(len(c), 15)
                    self.assertGreaterEqual(c[0], last)  # fixed-width timestamp: string order = time order
                    self.assertRegex(c[0], r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")
                    last = c[0]
                    self.assertTrue(c[14].startswith(("flow=From-Botnet-", "flow=From-Normal-", "flow=Background-")))
                    src = ipaddress.ip_address(c[3])
                    if any(src in s for s in subs):
                        self.assertIn(c[3], hosts, "subscriber host without a hosts.csv row")
                    int(c[11]), int(c[12]), int(c[13]), float(c[1])
                    n += 1
            self.assertEqual(n, meta["flows"])


if __name__ == "__main__":
    unittest.main()

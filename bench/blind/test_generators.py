"""Tests of the blind generators: deterministic per seed, output in the shared format, truth
covering what occurs. Small scales so the whole file runs in seconds.

  python3 -m unittest discover -s bench/blind -p 'test_*.py'
  RAMPART_BIN=build/apps/rampart/rampart python3 -m unittest bench/blind/test_generators.py

RampartAccepts runs only when RAMPART_BIN names the rampart binary (ctest passes it); it checks
that `reputation replay` and `flows detect` read every line, never what they conclude.
"""

import csv
import filecmp
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flows_gen  # noqa: E402
import senders_gen  # noqa: E402

SCALE = "0.01"
SEED = 7  # a tuning seed (1-9); never 1001 or 2001
AUTH = {"none", "pass", "fail", "softfail", "neutral", "temperror", "permerror"}
TYPES = {"message", "complaint", "trap", "bounce", "notspam", "unsubscribe"}
CLASSES = {"bulk", "transactional", "spammer", "compromised", "unknown"}
ROLES = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected", "normal", "mail_server", "nat_gateway"}
INFECTED = {"bot_heavy", "bot_lowslow", "bot_relay", "nat_infected"}
FLOW_HEADER = ("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,"
               "Label")

_cache = {}
_root = tempfile.TemporaryDirectory(prefix="blind-test-")


def tearDownModule():
    _root.cleanup()


def scratch(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=_root.name)


def generate(tool, population, seed=SEED, scale=SCALE):
    """Runs a generator once per (tool, population, seed) as a separate process; returns the dir."""
    key = (tool, population, seed, scale)
    if key not in _cache:
        d = scratch("%s-%s-" % (tool, population))
        subprocess.run([sys.executable, os.path.join(HERE, tool + "_gen.py"), "--seed", str(seed), "--out", d,
                        "--population", population, "--scale", scale], check=True)
        _cache[key] = d
    return _cache[key]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def org(domain):
    """Enough of an organisational domain for the invented names (co.uk is the only 2-label suffix)."""
    parts = domain.lower().split(".")
    n = 3 if domain.endswith(".co.uk") else 2
    return ".".join(parts[-n:])


class Determinism(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        for tool, pops, files in (("senders", senders_gen.POPULATIONS, ("events.jsonl", "truth.csv", "meta.json")),
                                  ("flows", flows_gen.POPULATIONS, ("flows.binetflow", "hosts.csv", "meta.json"))):
            for pop in pops:
                a = generate(tool, pop)
                b = scratch("again-")
                subprocess.run([sys.executable, os.path.join(HERE, tool + "_gen.py"), "--seed", str(SEED), "--out",
                                b, "--population", pop, "--scale", SCALE], check=True,
                               env=dict(os.environ, PYTHONHASHSEED="123"))
                for f in files:
                    self.assertTrue(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False),
                                    "%s %s %s differs between runs" % (tool, pop, f))

    def test_other_seed_other_world(self):
        for tool, pop, f in (("senders", "isp_inbound", "events.jsonl"), ("flows", "campus", "flows.binetflow")):
            a = generate(tool, pop)
            b = generate(tool, pop, seed=SEED + 1)
            self.assertFalse(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False))

    def test_bad_arguments_exit_2(self):
        for tool in ("senders", "flows"):
            for args in (["--population", "nope"], ["--scale", "0"]):
                r = subprocess.run([sys.executable, os.path.join(HERE, tool + "_gen.py"), "--out",
                                    scratch("bad-")] + args, capture_output=True)
                self.assertEqual(r.returncode, 2, (tool, args))


class Senders(unittest.TestCase):
    def check(self, pop):
        d = generate("senders", pop)
        meta = load_json(os.path.join(d, "meta.json"))
        self.assertEqual(meta["population"], pop)
        self.assertEqual(meta["seed"], SEED)
        last = 0
        ips, doms, n = set(), set(), 0
        per_type = {}
        with open(os.path.join(d, "events.jsonl")) as f:
            for line in f:
                e = json.loads(line)
                n += 1
                t = e["time"]
                self.assertIsInstance(t, int)
                self.assertGreaterEqual(t, last, "events not sorted at line %d" % n)
                self.assertTrue(meta["start"] <= t < meta["end"])
                last = t
                self.assertIn(e["type"], TYPES)
                per_type[e["type"]] = per_type.get(e["type"], 0) + 1
                ipaddress.IPv4Address(e["ip"])
                for k in ("spf", "dkim", "dmarc"):
                    self.assertIn(e[k], AUTH)
                self.assertIsInstance(e["fcrdns"], bool)
                self.assertIsInstance(e["recipients"], int)
                self.assertGreaterEqual(e["recipients"], 1)
                self.assertTrue(e["helo"] and "@" in e["mail_from"] and "@" in e["from"])
                self.assertIsInstance(e["dkim_domains"], list)
                if e["dkim"] != "pass":
                    self.assertEqual(e["dkim_domains"], [])
                ips.add(e["ip"])
                if e["spf"] == "pass":
                    doms.add(org(e["mail_from"].split("@")[1]))
                for dd in e["dkim_domains"]:
                    doms.add(org(dd))
        self.assertEqual(meta["events"], n)
        for typ in ("message", "bounce", "complaint", "trap"):
            self.assertGreater(per_type.get(typ, 0), 0, typ)
        with open(os.path.join(d, "truth.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(meta["identities"], len(rows))
        self.assertEqual(list(rows[0].keys()), ["identity", "class", "bad_from"])
        truth = {}
        for r in rows:
            self.assertNotIn(r["identity"], truth)
            truth[r["identity"]] = r
            self.assertIn(r["class"], CLASSES)
            if r["class"] in ("spammer", "compromised"):
                self.assertTrue(meta["start"] <= int(r["bad_from"]) < meta["end"], r)
            else:
                self.assertEqual(r["bad_from"], "", r)
        classes = {r["class"] for r in rows}
        self.assertTrue({"bulk", "transactional", "spammer", "compromised", "unknown"} <= classes, classes)
        # Every judged identity occurs, verified; every sending IP is judged except the forwarders,
        # which only relay other senders' mail and are left out on purpose.
        w, _ = senders_gen.build(SEED, pop, float(SCALE))
        forwarders = {f[0] for f in w.forwarders}
        for ident in truth:
            kind, key = ident.split(":", 1)
            self.assertIn(key, ips if kind == "ip" else doms, ident)
        self.assertEqual(ips - forwarders, {i.split(":", 1)[1] for i in truth if i.startswith("ip:")})
        return rows

    def test_populations(self):
        a = self.check("isp_inbound")
        b = self.check("mailbox_provider")
        share = lambda rows, c: sum(r["class"] == c for r in rows) / len(rows)  # noqa: E731
        # The two populations differ in mix: bots dominate the ISP's inbound view.
        self.assertGreater(share(a, "spammer"), share(b, "spammer"))


class Flows(unittest.TestCase):
    def check(self, pop):
        d = generate("flows", pop)
        meta = load_json(os.path.join(d, "meta.json"))
        subs = [ipaddress.ip_network(c) for c in meta["subscribers"]]
        mails = [ipaddress.ip_network(c) for c in meta["mail_servers"]]
        with open(os.path.join(d, "hosts.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(list(rows[0].keys()), ["host", "role", "infected_from", "infected_until"])
        hosts = {}
        for r in rows:
            self.assertNotIn(r["host"], hosts)
            hosts[r["host"]] = r
            self.assertIn(r["role"], ROLES)
            a = ipaddress.IPv4Address(r["host"])
            self.assertTrue(any(a in s for s in subs), r)
            self.assertEqual(r["role"] == "mail_server", any(a in m for m in mails), r)
            if r["role"] in INFECTED:
                self.assertTrue(meta["start"] <= int(r["infected_from"]) < int(r["infected_until"]) <= meta["end"], r)
            else:
                self.assertEqual((r["infected_from"], r["infected_until"]), ("", ""), r)
        self.assertTrue(ROLES <= {r["role"] for r in rows}, pop)
        bot_flows = {}
        senders = set()
        last = ""
        n = 0
        with open(os.path.join(d, "flows.binetflow")) as f:
            self.assertEqual(f.readline().rstrip("\n"), FLOW_HEADER)
            for line in f:
                n += 1
                c = line.rstrip("\n").split(",")
                self.assertEqual(len(c), 15, line)
                self.assertGreaterEqual(c[0], last, "not sorted at flow %d" % n)
                last = c[0]
                self.assertRegex(c[0], r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}$")
                self.assertIn(c[2], ("tcp", "udp"))
                float(c[1])
                int(c[4]), int(c[7]), int(c[11]), int(c[12]), int(c[13])
                self.assertLessEqual(int(c[13]), int(c[12]))
                src = ipaddress.IPv4Address(c[3])
                ipaddress.IPv4Address(c[6])
                self.assertRegex(c[14], r"^flow=(From-Botnet-|From-Normal-|Background)")
                if any(src in s for s in subs):
                    senders.add(c[3])
                if c[14].startswith("flow=From-Botnet-"):
                    self.assertIn(c[3], hosts)
                    self.assertIn(hosts[c[3]]["role"], INFECTED)
                    bot_flows.setdefault(c[3], []).append(c[0])
        self.assertEqual(meta["flows"], n)
        self.assertLessEqual(senders, set(hosts), "subscriber hosts without a hosts.csv row")
        for h, r in hosts.items():
            if r["role"] in INFECTED:
                self.assertIn(h, bot_flows, "infected host %s has no bot flow" % h)

    def test_campus(self):
        self.check("campus")

    def test_isp_access(self):
        self.check("isp_access")


@unittest.skipUnless(os.environ.get("RAMPART_BIN"), "RAMPART_BIN not set")
class RampartAccepts(unittest.TestCase):
    """The rampart CLI reads every line (stderr empty, exit 0). Its verdicts are not looked at."""

    def test_reputation_replay(self):
        for pop in senders_gen.POPULATIONS:
            d = generate("senders", pop)
            r = subprocess.run([os.environ["RAMPART_BIN"], "reputation", "replay", "--events",
                                os.path.join(d, "events.jsonl"), "--json"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            self.assertEqual((r.returncode, r.stderr), (0, ""), pop)

    def test_flows_detect(self):
        for pop in flows_gen.POPULATIONS:
            d = generate("flows", pop)
            meta = load_json(os.path.join(d, "meta.json"))
            r = subprocess.run([os.environ["RAMPART_BIN"], "flows", "detect", "--input",
                                os.path.join(d, "flows.binetflow"), "--format", "binetflow", "--subscribers",
                                ",".join(meta["subscribers"]), "--mail-servers", ",".join(meta["mail_servers"]),
                                "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.assertEqual((r.returncode, r.stderr), (0, ""), pop)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Unit test of bench/blind/score_flows.py on a tiny hand-written population.

The figures below are worked out by hand from the flows, hosts and incidents
written here (2-minute windows). The detector is replaced by a fake program that
records its arguments and prints fixed incident lines (a unit test of the
scorer, not of the detector).
"""

import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCORER = os.path.join(HERE, "..", "bench", "blind", "score_flows.py")
T0 = 1700000040  # a multiple of 120: window 0 starts here


def ts(offset):
    t = T0 + offset
    return time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(t)) + ".250000"


# (offset s, src, dst): windows are offset // 120.
FLOWS = [
    (5, "10.0.0.1", "8.8.4.4"),        # heavy bot, window 0 (before its infection)
    (125, "10.0.0.1", "192.0.2.1"),    # window 1
    (250, "10.0.0.1", "192.0.2.2"),    # window 2
    (370, "10.0.0.1", "192.0.2.3"),    # window 3
    (1, "10.0.0.2", "192.0.2.9"),      # low-and-slow, window 0
    (15605, "10.0.0.2", "192.0.2.8"),  # window 130
    (3, "10.0.0.3", "8.8.8.8"),        # normal, window 0
    (130, "10.0.0.3", "8.8.8.8"),      # window 1
    (7, "10.0.0.4", "192.0.2.50"),     # mail server, window 0
    (610, "198.51.100.1", "10.0.0.4"),  # inbound only: no window for 10.0.0.4
    (130, "10.0.0.5", "8.8.8.8"),      # NAT with an infected client, windows 1, 2, 4
    (245, "10.0.0.5", "192.0.2.4"),
    (485, "10.0.0.5", "8.8.8.8"),
    (0, "10.0.0.6", "192.0.2.5"),      # relay abuser, window 0
]

HOSTS = [
    ("10.0.0.1", "bot_heavy", T0 + 120, ""),
    ("10.0.0.2", "bot_lowslow", T0, T0 + 20000),
    ("10.0.0.3", "normal", "", ""),
    ("10.0.0.4", "mail_server", "", ""),
    ("10.0.0.5", "nat_infected", T0 + 240, T0 + 480),
    ("10.0.0.6", "bot_relay", T0, ""),
]

INCIDENTS = [
    {"host": "10.0.0.1", "first_seen": T0 + 130, "last_seen": T0 + 300},
    {"host": "10.0.0.2", "first_seen": T0 + 15600, "last_seen": T0 + 15610},
    {"host": "10.0.0.3", "first_seen": T0 + 10, "last_seen": T0 + 20},
    {"host": "10.0.0.6", "first_seen": T0, "last_seen": T0},
    {"host": "10.9.9.9", "first_seen": T0, "last_seen": T0 + 5},
]


def write_population(d, mail_servers):
    with open(os.path.join(d, "flows.binetflow"), "w") as f:
        f.write("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,"
                "Label\n")
        for off, src, dst in sorted(FLOWS):
            f.write("%s,0.5,tcp,%s,40000,   ->,%s,25,SPA_,0,0,8,900,500,flow=Background\n" % (ts(off), src, dst))
    with open(os.path.join(d, "hosts.csv"), "w") as f:
        f.write("host,role,infected_from,infected_until\n")
        for h in HOSTS:
            f.write("%s,%s,%s,%s\n" % h)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"population": "hand", "seed": 0, "start": T0, "end": T0 + 20000,
                   "subscribers": ["10.0.0.0/24", "10.1.0.0/16"], "mail_servers": mail_servers, "flows": len(FLOWS)},
                  f)


def write_fake_detector(d, rc=0):
    path = os.path.join(d, "fake-rampart")
    with open(path, "w") as f:
        f.write("#!%s\n" % sys.executable)
        f.write("import json, sys\n")
        f.write("open(%r, 'w').write(json.dumps(sys.argv[1:]))\n" % os.path.join(d, "argv.json"))
        for inc in INCIDENTS:
            line = dict(inc, score=1.5, evidence={}, action="block")
            f.write("print(%r)\n" % json.dumps(line))
        f.write("sys.exit(%d)\n" % rc)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def run(args):
    p = subprocess.run([sys.executable, SCORER] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


class ScoreFlows(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = os.path.join(self.tmp.name, "pop")
        os.mkdir(self.d)

    def tearDown(self):
        self.tmp.cleanup()

    def check_figures(self, rep):
        pop = rep["populations"][self.d]
        self.assertEqual(pop["windows"], {"tp": 4, "fp": 1, "fn": 3, "tn": 5})
        self.assertAlmostEqual(pop["f1"], 8 / 12)
        self.assertAlmostEqual(pop["precision"], 0.8)
        self.assertAlmostEqual(pop["recall"], 4 / 7)
        self.assertEqual(pop["ttd_median_s"], 10)
        self.assertEqual(pop["ttd_p90_s"], 15600)
        self.assertEqual(pop["lowslow_within_4h"], 0.0)
        self.assertEqual(pop["legit_flagged"], 1)
        self.assertEqual(pop["infected_hosts"], 4)
        self.assertEqual(pop["infected_detected"], 3)
        self.assertEqual(pop["flagged_unlisted"], ["10.9.9.9"])
        roles = pop["roles"]
        self.assertEqual(roles["bot_heavy"]["detected"], 1)
        self.assertAlmostEqual(roles["bot_heavy"]["window_recall"], 2 / 3)
        self.assertEqual(roles["nat_infected"]["detected"], 0)
        self.assertEqual(roles["nat_infected"]["window_recall"], 0.0)
        self.assertEqual(roles["normal"]["flagged"], 1)
        self.assertEqual(roles["normal"]["fp_windows"], 1)
        self.assertEqual(roles["mail_server"]["flagged"], 0)
        self.assertEqual(rep["total"]["f1"], pop["f1"])

    def test_runs_the_detector_with_meta_arguments_and_scores(self):
        write_population(self.d, ["10.0.0.4/32"])
        fake = write_fake_detector(self.tmp.name)
        rc, out, err = run([fake, self.d, "--json"])
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.tmp.name, "argv.json")) as f:
            argv = json.load(f)
        self.assertEqual(argv, ["flows", "detect", "--input", os.path.join(self.d, "flows.binetflow"), "--format",
                                "binetflow", "--subscribers", "10.0.0.0/24,10.1.0.0/16", "--mail-servers",
                                "10.0.0.4/32", "--json"])
        self.check_figures(json.loads(out))

    def test_no_mail_servers_means_no_option(self):
        write_population(self.d, [])
        fake = write_fake_detector(self.tmp.name)
        rc, _, err = run([fake, self.d, "--json"])
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.tmp.name, "argv.json")) as f:
            self.assertNotIn("--mail-servers", json.load(f))

    def test_incidents_file_and_text_report(self):
        write_population(self.d, ["10.0.0.4/32"])
        inc = os.path.join(self.tmp.name, "incidents.jsonl")
        with open(inc, "w") as f:
            for i in INCIDENTS:
                f.write(json.dumps(i) + "\n")
        rc, out, err = run(["--incidents", inc, self.d, "--json"])
        self.assertEqual(rc, 0, err)
        self.check_figures(json.loads(out))
        rc, out, err = run(["--incidents", inc, self.d])
        self.assertEqual(rc, 0, err)
        self.assertIn("TP=4 FP=1 FN=3 TN=5  F1=0.6667", out)
        self.assertIn("median 10s", out)
        self.assertIn("bot_lowslow found within 4 h: 0.0%", out)
        self.assertIn("legitimate hosts flagged (normal, mail_server, nat_gateway): 1", out)

    def test_failures_exit_2(self):
        write_population(self.d, [])
        fake = write_fake_detector(self.tmp.name, rc=1)
        rc, _, err = run([fake, self.d])
        self.assertEqual(rc, 2)
        self.assertIn("exited 1", err)
        with open(os.path.join(self.d, "hosts.csv"), "w") as f:
            f.write("ip,kind\n1.2.3.4,normal\n")
        rc, _, err = run([write_fake_detector(self.tmp.name), self.d])
        self.assertEqual(rc, 2)
        self.assertIn("header", err)
        rc, _, _ = run([self.d])
        self.assertEqual(rc, 2)
        bad = os.path.join(self.tmp.name, "bad.jsonl")
        with open(bad, "w") as f:
            f.write("{\"host\": \"10.0.0.1\"}\n")
        write_population(self.d, [])
        rc, _, err = run(["--incidents", bad, self.d])
        self.assertEqual(rc, 2)
        self.assertIn("line 1", err)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Test of score_senders.py on hand-written truth and events (ctest
reputation_score_senders_test; never on generator output).

    score_senders_test.py RAMPART

1. A stand-in for rampart prints fixed replay lines, so every figure the
   scorer prints can be worked out by hand and is checked exactly.
2. The real rampart replays a small hand-written events.jsonl: a bulk
   newsletter, a botnet address and an address without any verified mail;
   the scorer's joins and hours come out as the classes rampart gives.
3. Bad input: a missing truth.csv, an unknown class, a failing replay: exit 2.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCORER = os.path.join(HERE, "score_senders.py")
T0 = 1700006400
FAILS = 0


def check(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL: " + what)


def score(rampart, d, *extra):
    return subprocess.run([sys.executable, SCORER, rampart, d, *extra], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def fake_rampart(d, lines):
    """An executable that checks its arguments like the real CLI and prints `lines`."""
    out = os.path.join(d, "replay.out")
    write(out, "".join(json.dumps(l) + "\n" for l in lines))
    exe = os.path.join(d, "fake-rampart")
    write(exe, "#!/bin/sh\n"
          "[ \"$1 $2 $3\" = \"reputation replay --events\" ] && [ \"$5\" = --json ] && [ -f \"$4\" ] || exit 9\n"
          "cat '%s'\n" % out)
    os.chmod(exe, 0o755)
    return exe


def test_fixed_replay():
    with tempfile.TemporaryDirectory() as d:
        write(os.path.join(d, "events.jsonl"), "{}\n")
        write(os.path.join(d, "truth.csv"),
              "identity,class,bad_from\n"
              "domain:news.example,bulk,\n"
              "domain:letters.example,bulk,\n"
              "ip:192.0.2.1,transactional,\n"
              "ip:100.64.0.1,spammer,%d\n"
              "ip:100.64.0.2,spammer,%d\n"
              "ip:100.64.0.3,spammer,%d\n"
              "domain:shop.example,compromised,%d\n"
              "domain:quiet.example,unknown,\n" % (T0, T0, T0, T0 + 3600))
        rep = lambda i, c, at: {"identity": i, "class": c, "score": 0, "reasons": [], "classified_at": at}
        exe = fake_rampart(d, [
            rep("domain:news.example", "bulk", T0),
            rep("domain:letters.example", "spammer", T0),         # legit bulk called spammer
            rep("ip:192.0.2.1", "transactional", T0),
            rep("ip:100.64.0.1", "spammer", T0 + 2 * 3600),        # 2 h
            rep("ip:100.64.0.2", "spammer", T0 + 4 * 3600),        # 4 h
            rep("ip:100.64.0.3", "transactional", T0),             # missed
            rep("domain:shop.example", "compromised", T0 + 5400),  # 0.5 h
            rep("ip:203.0.113.9", "spammer", T0),                  # not in truth: ignored
            # domain:quiet.example is not printed: predicted unknown
        ])
        p = score(exe, d, "--json")
        check(p.returncode == 0, "fixed replay: exit %d: %s" % (p.returncode, p.stderr))
        s = json.loads(p.stdout)
        c = s["classes"]
        # bulk: 1 of 2 right, 1 predicted bulk: P 1, R 0.5, F1 2/3.
        check(abs(c["bulk"]["precision"] - 1) < 1e-9 and abs(c["bulk"]["recall"] - 0.5) < 1e-9, "bulk P/R")
        # transactional: predicted 2 (192.0.2.1, 100.64.0.3), 1 right: P 0.5, R 1, F1 2/3.
        check(abs(c["transactional"]["precision"] - 0.5) < 1e-9, "transactional precision")
        # spammer: predicted 3 (letters, .1, .2), right 2 of 3: P 2/3, R 2/3, F1 2/3.
        check(abs(c["spammer"]["f1"] - 2 / 3) < 1e-9, "spammer F1 %r" % c["spammer"]["f1"])
        check(abs(c["compromised"]["f1"] - 1) < 1e-9, "compromised F1")
        check(abs(c["unknown"]["f1"] - 1) < 1e-9 and c["unknown"]["predicted"] == 1, "unknown (not printed)")
        check(abs(s["macro_f1"] - (2 / 3 + 2 / 3 + 2 / 3 + 1 + 1) / 5) < 1e-9, "macro-F1 %r" % s["macro_f1"])
        check(s["not_in_replay"] == 1, "not in replay")
        check(s["legit_bulk_called_spammer"] == 1, "legit bulk called spammer")
        h = s["hours_to_detection"]
        check(h["spammer"]["n"] == 2 and abs(h["spammer"]["median"] - 3) < 1e-9 and h["spammer"]["missed"] == 1,
              "spammer hours %r" % h["spammer"])
        check(abs(h["compromised"]["median"] - 0.5) < 1e-9, "compromised hours")
        check(h["all"]["n"] == 3 and abs(h["all"]["median"] - 2) < 1e-9, "all hours %r" % h["all"])
        t = score(exe, d)
        check(t.returncode == 0 and "macro-F1 0.800" in t.stdout and "legit bulk called spammer: 1" in t.stdout,
              "table output:\n" + t.stdout)


def message(t, ip, helo, frm, spf, dkim, dmarc, fcrdns, rcpts, one_click=False, dkim_domains=()):
    return {"time": t, "type": "message", "ip": ip, "helo": helo, "mail_from": frm, "from": frm,
            "dkim_domains": list(dkim_domains), "spf": spf, "dkim": dkim, "dmarc": dmarc, "fcrdns": fcrdns,
            "recipients": rcpts, "list_unsubscribe_one_click": one_click}


def test_real_replay(rampart):
    ev = []
    # A newsletter: 6,000 recipients a day for six days, everything aligned
    # (a good class needs five days of consistent mail).
    for day in range(6):
        for k in range(6):
            ev.append(message(T0 + day * 86400 + k * 600, "192.0.2.10", "mta1.news.example",
                              "letters@news.example", "pass", "pass", "pass", True, 1000, True,
                              ["news.example"]))
    # A botnet address from day 1, 10:00: forged freemail, Windows HELO, no
    # FCrDNS, a third of its recipients unknown.
    bot0 = T0 + 86400 + 36000
    for k in range(30):
        t = bot0 + k * 240
        ev.append(message(t, "100.64.9.9", "DESKTOP-1A2B3C", "user%d@freemail.example" % k, "fail", "none",
                          "fail", False, 2))
        if k % 3 == 0:
            b = message(t + 20, "100.64.9.9", "DESKTOP-1A2B3C", "user%d@freemail.example" % k, "fail", "none",
                        "fail", False, 1)
            b["type"] = "bounce"
            ev.append(b)
    ev.sort(key=lambda e: e["time"])
    with tempfile.TemporaryDirectory() as d:
        write(os.path.join(d, "events.jsonl"), "".join(json.dumps(e) + "\n" for e in ev))
        write(os.path.join(d, "truth.csv"),
              "identity,class,bad_from\n"
              "domain:news.example,bulk,\n"
              "ip:192.0.2.10,bulk,\n"
              "ip:::ffff:100.64.9.9,spammer,%d\n"       # written another way: the same address
              "domain:FreeMail.example.,unknown,\n" % bot0)
        p = score(rampart, d, "--json")
        check(p.returncode == 0, "real replay: exit %d: %s" % (p.returncode, p.stderr))
        s = json.loads(p.stdout)
        check(s["identities"] == 4 and s["not_in_replay"] == 1, "forged domain has no identity: %r" % s)
        check(s["classes"]["bulk"]["recall"] == 1.0, "newsletter is bulk: %r" % s["classes"]["bulk"])
        check(s["classes"]["spammer"]["recall"] == 1.0, "bot is a spammer: %r" % s["classes"]["spammer"])
        h = s["hours_to_detection"]["spammer"]
        # Not on its first messages (the unknown recipients must be a
        # significant excess), within two hours.
        check(h["n"] == 1 and 0 <= h["median"] <= 2, "bot found within two hours: %r" % h)
        check(s["legit_bulk_called_spammer"] == 0 and abs(s["macro_f1"] - 1) < 1e-9, "all right: %r" % s)


def test_bad_input(rampart):
    with tempfile.TemporaryDirectory() as d:
        p = score(rampart, d)
        check(p.returncode == 2 and "truth.csv" in p.stderr, "missing truth: %r" % p.stderr)
        write(os.path.join(d, "truth.csv"), "identity,class,bad_from\nip:192.0.2.1,nice,\n")
        p = score(rampart, d)
        check(p.returncode == 2 and "line 2" in p.stderr and "nice" in p.stderr, "bad class: %r" % p.stderr)
        write(os.path.join(d, "truth.csv"), "identity,class,bad_from\nip:192.0.2.1,unknown,\n")
        write(os.path.join(d, "events.jsonl"), "{}\n")
        p = score(os.path.join(d, "no-such-rampart"), d)
        check(p.returncode == 2, "missing binary: %r" % p.stderr)
        exe = os.path.join(d, "failing")
        write(exe, "#!/bin/sh\necho broken >&2\nexit 3\n")
        os.chmod(exe, 0o755)
        p = score(exe, d)
        check(p.returncode == 2 and "exited 3" in p.stderr and "broken" in p.stderr, "failing replay: %r" % p.stderr)
        p = score(rampart, d, "--yaml")
        check(p.returncode == 2, "unknown flag")


def main():
    if len(sys.argv) != 2:
        print("usage: score_senders_test.py RAMPART", file=sys.stderr)
        return 2
    test_fixed_replay()
    test_real_replay(sys.argv[1])
    test_bad_input(sys.argv[1])
    print("score_senders_test: %s" % ("FAILED (%d)" % FAILS if FAILS else "ok"))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

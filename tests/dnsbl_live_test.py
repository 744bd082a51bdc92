#!/usr/bin/env python3
"""Live zones from rampartd (issue 14), end to end with the real components:

* rampartd serves live zones ([dnsbl], port picked free) built from its own
  reputation classes; every zone holds the RFC 5782 test entries.
* Events posted to /v1/events (with a token) make one address a spammer
  (trap hits) and another a bot (a flow detector's finding); both are
  listed over DNS with their category's code and the reasons in TXT,
  polled with a deadline.
* Debian's Knot (knotd) is a secondary: it transfers the live zone (AXFR,
  TSIG), receives the change by IXFR after NOTIFY within seconds (its log
  says IXFR, not an AXFR-style one) and answers the same as rampartd.
* POST /v1/overrides without a token: 401; with a token lacking the
  override right: 403; nothing changes (still listed, no override, no audit
  line). With the right: the delist removes the address from the zone
  (and from Knot), the audit log names who, why and when; the delist sticks
  when more bad events for the address come in.
* GET /metrics carries the DNS server's counters.
* The allow list (DNSWL, wl.example) and the domain list (RHSBL,
  dbl.example) end to end: a compliant newsletter's address is listed as
  bulk in the allow list, a spammer's From domain in the domain list (and
  every name below it); Knot mirrors both by IXFR and answers what Postfix's
  permit_dnswl_client, reject_rbl_client and reject_rhsbl_sender ask as
  rampartd does; the RFC 5782 test entries through Knot (127.0.0.2 and
  TEST listed, 127.0.0.1 and INVALID not).

Environment: RAMPARTD_BIN, RAMPART_SOURCE_DIR. Needs knot (knotd) and
python3-dnspython.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from dnsbl_support import a_records, ask, free_port, serial, start_knot, stop, summary, txt_records
from e2e_support import poll, ready_lines, token_toml

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
DESK = "desk-token-with-override"
READER = "reader-token-without-override"
SPAMMER = "203.0.113.5"
NEIGHBOUR = "203.0.113.6"  # in the spammer's /24 (net: is classed too)
BOT = "198.51.100.77"
LATE = "192.0.2.44"
NEWSLETTER = "100.64.7.20"  # a compliant bulk sender: the allow list (DNSWL)
SPAM_DOMAIN = "spam-shop.example"  # a spammer's domain: the domain list (RHSBL)


def rev(ip, zone):
    return ".".join(reversed(ip.split("."))) + "." + zone


class LiveZonesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dnsbl-live-")
        cls.dns_port = free_port()
        cls.http_port = free_port()
        cls.knot_port = free_port()
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        conf = os.path.join(cls.dir, "rampart.toml")
        with open(conf, "w") as f:
            f.write(f"""{token_toml('desk', DESK, ['scan', 'read', 'events', 'override'])}
{token_toml('reader', READER, ['read', 'events'])}
[dnsbl]
listen = ["127.0.0.1:{cls.dns_port}"]
xfr_allow = ["127.0.0.0/8"]
tsig = ["xfr-key:hmac-sha256:{SECRET}"]
notify = ["127.0.0.1:{cls.knot_port}"]
rebuild_ms = 200

[[dnsbl.zones]]
name = "bl.example"
data = "ip"
list = "block"
codes = {{ spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4", manual = "127.0.0.5" }}

[[dnsbl.zones]]
name = "wl.example"
list = "allow"
codes = {{ bulk = "127.0.10.2", transactional = "127.0.10.3" }}

[[dnsbl.zones]]
name = "dbl.example"
data = "domain"
codes = {{ spammer = "127.0.1.2", compromised = "127.0.1.3" }}
""")
        cls.conf = conf
        cls.err = open(os.path.join(cls.dir, "rampartd.log"), "w")
        cls.start_rampartd()
        # Knot as a secondary of the block list and the domain list.
        cls.knot, cls.knot_log, cls.knot_err = start_knot(
            KNOTD, os.path.join(cls.dir, "knot"), cls.knot_port, cls.dns_port, SECRET,
            [("bl.example", True), ("dbl.example", True), ("wl.example", True)])
        cls.addClassCleanup(stop, (cls.knot,), 30)

    @classmethod
    def start_rampartd(cls):
        zone = os.path.join(os.environ["RAMPART_SOURCE_DIR"], "deploy", "demo", "example.zone")
        cls.rampartd = subprocess.Popen(
            [os.environ["RAMPARTD_BIN"], "--config", cls.conf, "--data-dir", cls.data, "--milter", "127.0.0.1:0",
             "--http", "127.0.0.1:%d" % cls.http_port, "--zone", zone, "--loops", "1"],
            stdout=subprocess.PIPE, stderr=cls.err, text=True)
        # Stopped even when setUpClass fails (unittest then skips tearDownClass, not class cleanups).
        cls.addClassCleanup(stop, (cls.rampartd,), 30)
        lines = ready_lines(cls.rampartd, cls.log)

    @classmethod
    def tearDownClass(cls):
        stop((cls.knot, cls.rampartd), timeout=30)
        cls.rampartd.stdout.close()
        cls.err.close()
        cls.knot_err.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log(cls):
        with open(os.path.join(cls.dir, "rampartd.log")) as f:
            return f.read()

    def knot_log_text(self):
        with open(self.knot_log) as f:
            return f.read()

    def wait_for(self, what, check, deadline_s=20):
        value, last = poll(check, deadline_s, (dns.exception.Timeout, OSError))
        if value:
            return value
        self.fail("%s: not within %d s (last %r)\nknot log:\n%s\nrampartd log:\n%s"
                  % (what, deadline_s, last, self.knot_log_text(), self.log()))

    def http(self, method, path, body=None, token=None, headers=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), method=method,
                                     data=body.encode() if body is not None else None)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post_events(self, events):
        body = "".join(json.dumps(e) + "\n" for e in events)
        status, text = self.http("POST", "/v1/events", body, DESK)
        self.assertEqual(status, 200, text)
        self.assertIn('"rejected": 0', text)

    def spam_events(self, ip):
        now = int(time.time())
        return ([{"time": now, "type": "message", "ip": ip, "recipients": 10}] * 4 +
                [{"time": now, "type": "trap", "ip": ip}] * 3)

    def same_answers(self, names):
        diffs = []
        for name in names:
            for qtype in ("A", "TXT"):
                a = summary(ask(self.dns_port, name, qtype))
                b = summary(ask(self.knot_port, name, qtype))
                if a != b:
                    diffs.append((name, qtype, a, b))
        return diffs

    def test_1_rfc5782_entries_and_first_transfer(self):
        for zone in ("bl.example", "wl.example"):
            self.assertEqual(a_records(self.dns_port, "2.0.0.127." + zone)[1] != [], True, zone)
            self.assertEqual(a_records(self.dns_port, "1.0.0.127." + zone)[0], dns.rcode.NXDOMAIN, zone)
        self.assertEqual(a_records(self.dns_port, "test.dbl.example")[0], dns.rcode.NOERROR)
        self.assertEqual(len(a_records(self.dns_port, "test.dbl.example")[1]), 1)
        self.assertEqual(a_records(self.dns_port, "invalid.dbl.example")[0], dns.rcode.NXDOMAIN)
        self.assertEqual(txt_records(self.dns_port, "2.0.0.127.bl.example"), ["RFC 5782 test entry"])
        s = serial(self.dns_port, "bl.example")
        self.assertGreater(s, 1700000000)  # a time stamp: a restart keeps counting upwards
        self.wait_for("knot has the zones at rampartd's serial",
                      lambda: serial(self.knot_port, "bl.example") == s
                      and serial(self.knot_port, "dbl.example") == serial(self.dns_port, "dbl.example"))
        self.assertIn("AXFR, incoming", self.knot_log_text())
        self.assertEqual(a_records(self.knot_port, "2.0.0.127.bl.example")[1], ["127.0.0.2"])

    def test_2_learned_then_listed_and_mirrored_by_ixfr(self):
        s1 = serial(self.dns_port, "bl.example")
        self.assertIsNotNone(s1)
        self.wait_for("knot at s1", lambda: serial(self.knot_port, "bl.example") == s1)
        now = int(time.time())
        self.post_events(self.spam_events(SPAMMER) + [{"time": now, "type": "bot", "ip": BOT}])
        started = time.monotonic()
        self.wait_for("the spammer listed",
                      lambda: a_records(self.dns_port, rev(SPAMMER, "bl.example"))[1] == ["127.0.0.2"])
        self.wait_for("the bot listed",
                      lambda: a_records(self.dns_port, rev(BOT, "bl.example"))[1] == ["127.0.0.4"])
        txt = txt_records(self.dns_port, rev(SPAMMER, "bl.example"))
        self.assertEqual(len(txt), 1, txt)
        self.assertTrue(txt[0].startswith("spammer: "), txt)
        self.assertIn("TRAP_HITS", txt[0])
        bot_txt = txt_records(self.dns_port, rev(BOT, "bl.example"))
        self.assertTrue(bot_txt and bot_txt[0].startswith("bot: BOT_DETECTED"), bot_txt)
        # The address's /24 is classed too (net: identity): its neighbour is listed.
        self.assertEqual(a_records(self.dns_port, rev(NEIGHBOUR, "bl.example"))[1], ["127.0.0.2"])
        # Nothing in the allow list, the RFC 5782 entries untouched.
        self.assertEqual(a_records(self.dns_port, rev(SPAMMER, "wl.example"))[0], dns.rcode.NXDOMAIN)
        self.assertEqual(a_records(self.dns_port, "1.0.0.127.bl.example")[0], dns.rcode.NXDOMAIN)
        s2 = serial(self.dns_port, "bl.example")
        self.assertGreater(s2, s1)
        # Knot receives the change by IXFR within seconds and answers the same.
        self.wait_for("knot answers the new serial",
                      lambda: serial(self.knot_port, "bl.example") == serial(self.dns_port, "bl.example")
                      and a_records(self.knot_port, rev(BOT, "bl.example"))[1] == ["127.0.0.4"])
        self.assertLess(time.monotonic() - started, 15)
        log = self.knot_log_text()
        ixfr = [l for l in log.splitlines() if "[bl.example.] IXFR, incoming" in l]
        self.assertTrue(any("finished" in l for l in ixfr), log)
        self.assertFalse(any("AXFR-style" in l for l in ixfr), log)
        self.assertIn("notify, incoming", log)
        self.assertEqual(self.same_answers([rev(SPAMMER, "bl.example"), rev(BOT, "bl.example"),
                                            rev(NEIGHBOUR, "bl.example"), "2.0.0.127.bl.example",
                                            "1.0.0.127.bl.example"]), [])

    def test_3_overrides_need_the_right(self):
        name = rev(SPAMMER, "bl.example")
        self.assertEqual(a_records(self.dns_port, name)[1], ["127.0.0.2"])
        body = json.dumps({"identity": "ip:" + SPAMMER, "action": "delist", "reason": "ticket 42"})
        status, text = self.http("POST", "/v1/overrides", body)
        self.assertEqual(status, 401, text)
        status, text = self.http("POST", "/v1/overrides", body, "not-a-token")
        self.assertEqual(status, 401, text)
        status, text = self.http("POST", "/v1/overrides", body, READER)
        self.assertEqual(status, 403, text)
        self.assertIn("override", text)
        # Nothing changed: no override, no audit line, still listed.
        self.assertEqual(self.http("GET", "/v1/overrides", None, READER), (200, '{"overrides": []}'))
        self.assertEqual(self.http("GET", "/v1/audit", None, READER), (200, '{"audit": []}'))
        self.assertFalse(os.path.exists(os.path.join(self.data, "overrides", "audit.jsonl")))
        self.assertEqual(a_records(self.dns_port, name)[1], ["127.0.0.2"])
        # Bad bodies: 400, nothing written.
        for bad in ('{"identity": "ip:' + SPAMMER + '", "action": "nuke", "reason": "x"}',
                    '{"identity": "ip:999.1.1.1", "action": "delist", "reason": "x"}',
                    '{"identity": "ip:' + SPAMMER + '", "action": "delist"}', "not json"):
            status, text = self.http("POST", "/v1/overrides", bad, DESK)
            self.assertEqual(status, 400, (bad, text))
        self.assertEqual(self.http("GET", "/v1/audit", None, READER), (200, '{"audit": []}'))

    def test_4_manual_delist_sticks_and_is_audited(self):
        name = rev(SPAMMER, "bl.example")
        before = int(time.time())
        body = json.dumps({"identity": "ip:" + SPAMMER, "action": "delist", "reason": "ticket 42: cleaned up"})
        status, text = self.http("POST", "/v1/overrides", body, DESK)
        self.assertEqual(status, 200, text)
        rec = json.loads(text)["override"]
        self.assertEqual((rec["identity"], rec["action"], rec["who"]), ("ip:" + SPAMMER, "delist", "desk"))
        self.assertGreaterEqual(rec["at"], before)
        self.wait_for("the delist at rampartd", lambda: a_records(self.dns_port, name)[0] == dns.rcode.NXDOMAIN)
        # Only the address: its listed /24 still lists the neighbour.
        self.assertEqual(a_records(self.dns_port, rev(NEIGHBOUR, "bl.example"))[1], ["127.0.0.2"])
        self.wait_for("the delist at knot", lambda: a_records(self.knot_port, name)[0] == dns.rcode.NXDOMAIN)
        # The audit trail: the endpoint and the append-only file.
        status, text = self.http("GET", "/v1/audit", None, READER)
        self.assertEqual(status, 200)
        audit = json.loads(text)["audit"]
        self.assertEqual(len(audit), 1, audit)
        self.assertEqual(audit[0], rec)
        with open(os.path.join(self.data, "overrides", "audit.jsonl")) as f:
            self.assertEqual([json.loads(l) for l in f], [rec])
        self.assertEqual(json.loads(self.http("GET", "/v1/overrides", None, READER)[1])["overrides"], [rec])
        # More bad events for the address (and a fresh spammer, to know a
        # rebuild happened): the delist sticks.
        self.post_events(self.spam_events(SPAMMER) + self.spam_events(LATE))
        self.wait_for("the late spammer listed",
                      lambda: a_records(self.dns_port, rev(LATE, "bl.example"))[1] == ["127.0.0.2"])
        self.assertEqual(a_records(self.dns_port, name)[0], dns.rcode.NXDOMAIN)
        # A manual block lists (code "manual", the reason in TXT); clear
        # returns the address to its class.
        status, text = self.http("POST", "/v1/overrides", json.dumps(
            {"identity": "ip:" + SPAMMER, "action": "block", "reason": "seen again, case 43"}), DESK)
        self.assertEqual(status, 200, text)
        self.wait_for("the manual block", lambda: a_records(self.dns_port, name)[1] == ["127.0.0.5"])
        self.assertEqual(txt_records(self.dns_port, name), ["listed by hand: seen again, case 43"])
        status, text = self.http("POST", "/v1/overrides", json.dumps(
            {"identity": "ip:" + SPAMMER, "action": "clear", "reason": "back to automatic"}), DESK)
        self.assertEqual(status, 200, text)
        self.wait_for("back to its class", lambda: a_records(self.dns_port, name)[1] == ["127.0.0.2"])
        self.assertEqual(len(json.loads(self.http("GET", "/v1/audit", None, READER)[1])["audit"]), 3)

    def test_5_metrics(self):
        status, text = self.http("GET", "/metrics")
        self.assertEqual(status, 200)
        values = {}
        for line in text.splitlines():
            if line.startswith("rampart_dnsbl_"):
                k, v = line.rsplit(" ", 1)
                values[k] = float(v)
        self.assertGreater(values['rampart_dnsbl_queries_total{transport="udp"}'], 20)
        # The answer latency histogram (issue 15) counts every NXDOMAIN answer once, over UDP or TCP.
        timed = {}
        for line in text.splitlines():
            if line.startswith("rampart_dns_answer_seconds_count{"):
                k, v = line.rsplit(" ", 1)
                timed[k] = float(v)
        self.assertIn("# TYPE rampart_dns_answer_seconds histogram", text)
        self.assertEqual(timed['rampart_dns_answer_seconds_count{transport="udp",rcode="NXDOMAIN"}'] +
                         timed['rampart_dns_answer_seconds_count{transport="tcp",rcode="NXDOMAIN"}'],
                         values['rampart_dnsbl_responses_total{rcode="NXDOMAIN"}'])
        self.assertGreater(values['rampart_dnsbl_responses_total{rcode="NXDOMAIN"}'], 0)
        self.assertGreater(values['rampart_dnsbl_responses_total{rcode="NOERROR"}'], 0)
        self.assertGreaterEqual(values['rampart_dnsbl_transfers_total{type="ixfr"}'], 1)
        # Per zone and rcode: test_1 asked invalid.dbl.example (NXDOMAIN) and test.dbl.example.
        self.assertGreaterEqual(values['rampart_dnsbl_zone_responses_total{zone="dbl.example",rcode="NXDOMAIN"}'], 1)
        self.assertGreaterEqual(values['rampart_dnsbl_zone_responses_total{zone="dbl.example",rcode="NOERROR"}'], 2)
        self.assertGreater(values['rampart_dnsbl_zone_responses_total{zone="bl.example",rcode="NOERROR"}'],
                           values['rampart_dnsbl_zone_responses_total{zone="wl.example",rcode="NOERROR"}'])
        self.assertGreaterEqual(values['rampart_dnsbl_zone_entries{zone="bl.example"}'], 4)
        self.assertEqual(values['rampart_dnsbl_zone_serial{zone="bl.example"}'], serial(self.dns_port, "bl.example"))

    def test_6_restart_keeps_classes_overrides_and_serial(self):
        # The same override store is the scan's: a blocked address reads as
        # REP_SPAMMER with the operator's reason.
        status, text = self.http("POST", "/v1/overrides", json.dumps(
            {"identity": "ip:100.64.1.99", "action": "block", "reason": "case 45"}), DESK)
        self.assertEqual(status, 200, text)
        msg = ("From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
               "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n\r\nHello Bob.\r\n")
        scan = {"X-Client-IP": "100.64.1.99", "X-Mail-From": "alice@good.test", "X-Rcpt-To": "bob@example.net"}
        status, text = self.http("POST", "/v1/scan", msg, DESK, scan)
        self.assertEqual(status, 200, text)
        self.assertIn("REP_SPAMMER", text)
        self.assertIn("ip:100.64.1.99 (score 0.00: OVERRIDE_BLOCK)", text)
        scan["X-Client-IP"] = "100.64.2.98"
        status, text = self.http("POST", "/v1/scan", msg, DESK, scan)
        self.assertEqual(status, 200, text)
        self.assertNotIn("REP_SPAMMER", text)
        # A manual block before the restart; the store (RocksDB under
        # --data-dir) and the overrides survive it.
        status, text = self.http("POST", "/v1/overrides", json.dumps(
            {"identity": "net:192.0.2.128/25", "action": "block", "reason": "case 44"}), DESK)
        self.assertEqual(status, 200, text)
        self.wait_for("the net block", lambda: a_records(self.dns_port, rev("192.0.2.200", "bl.example"))[1]
                      == ["127.0.0.5"])
        before = serial(self.dns_port, "bl.example")
        self.rampartd.send_signal(signal.SIGTERM)
        self.assertEqual(self.rampartd.wait(timeout=60), 0)
        self.rampartd.stdout.close()
        self.start_rampartd()
        # The classes held before the start are walked from the store.
        for ip, code in ((BOT, "127.0.0.4"), (LATE, "127.0.0.2"), (SPAMMER, "127.0.0.2"),
                         ("192.0.2.200", "127.0.0.5")):
            self.wait_for("%s listed again after the restart" % ip,
                          lambda: a_records(self.dns_port, rev(ip, "bl.example"))[1] == [code])
        self.assertEqual(txt_records(self.dns_port, rev("192.0.2.200", "bl.example")),
                         ["listed by hand: case 44"])
        self.assertIn("BOT_DETECTED", txt_records(self.dns_port, rev(BOT, "bl.example"))[0])
        self.assertGreater(serial(self.dns_port, "bl.example"), before)  # never back (RFC 1982)
        self.assertEqual(len(json.loads(self.http("GET", "/v1/audit", None, READER)[1])["audit"]), 5)
        self.assertIn("held a class at start", self.log())

    def test_7_allow_and_domain_zones_through_knot(self):
        now = int(time.time())
        self.wait_for("knot has every zone", lambda: all(
            serial(self.knot_port, z) == serial(self.dns_port, z)
            for z in ("bl.example", "wl.example", "dbl.example")))
        marks = {z: serial(self.dns_port, z) for z in ("wl.example", "dbl.example")}
        log_mark = len(self.knot_log_text())
        # A compliant newsletter (SPF, DKIM, DMARC aligned, one-click
        # unsubscribe) over the bulk volume: BULK with positive evidence.
        letter = {"time": now, "type": "message", "ip": NEWSLETTER, "recipients": 2500,
                  "mail_from": "bounces@mail.news.example", "from": "letters@news.example",
                  "dkim_domains": ["news.example"], "spf": "pass", "dkim": "pass", "dmarc": "pass",
                  "list_unsubscribe_one_click": True, "fcrdns": True, "list_id": "<letters.news.example>"}
        # A spammer's own domain (authenticated: a forged one says nothing
        # about the domain): its mail hits traps.
        spam = [dict(e, mail_from="x@" + SPAM_DOMAIN, dkim_domains=[SPAM_DOMAIN], spf="pass", dkim="pass",
                     dmarc="pass", **{"from": "deals@" + SPAM_DOMAIN})
                for e in self.spam_events("100.64.9.9")]
        self.post_events([letter] * 3 + spam)
        self.wait_for("the newsletter in the allow list",
                      lambda: a_records(self.dns_port, rev(NEWSLETTER, "wl.example"))[1] == ["127.0.10.2"])
        self.assertTrue(txt_records(self.dns_port, rev(NEWSLETTER, "wl.example"))[0].startswith("bulk: "))
        self.wait_for("the spammer's domain in the domain list",
                      lambda: a_records(self.dns_port, SPAM_DOMAIN + ".dbl.example")[1] == ["127.0.1.2"])
        self.assertTrue(txt_records(self.dns_port, SPAM_DOMAIN + ".dbl.example")[0].startswith("spammer: "))
        # Good senders stay out of block lists, bad ones out of the allow list.
        self.assertEqual(a_records(self.dns_port, rev(NEWSLETTER, "bl.example"))[0], dns.rcode.NXDOMAIN)
        self.assertEqual(a_records(self.dns_port, "news.example.dbl.example")[0], dns.rcode.NXDOMAIN)
        self.assertEqual(a_records(self.dns_port, rev("100.64.9.9", "wl.example"))[0], dns.rcode.NXDOMAIN)
        for z in ("wl.example", "dbl.example"):
            self.assertGreater(serial(self.dns_port, z), marks[z], z)
        # Knot takes both changes by IXFR, within seconds (and the block
        # list's, which the same events may change: Knot is asked about it below).
        self.wait_for("knot at the new serials", lambda: all(
            serial(self.knot_port, z) == serial(self.dns_port, z)
            for z in ("wl.example", "dbl.example", "bl.example")))
        log = self.knot_log_text()[log_mark:]
        for z in ("wl.example", "dbl.example"):
            ixfr = [l for l in log.splitlines() if "[%s.] IXFR, incoming" % z in l]
            self.assertTrue(any("finished" in l for l in ixfr), (z, log))
            self.assertFalse(any("AXFR-style" in l for l in ixfr), (z, log))
        # What Postfix asks, answered by the secondary as by rampartd:
        #   permit_dnswl_client wl.example=127.0.10.[2..3]: the client's reversed address;
        #   reject_rbl_client bl.example: the same under the block list;
        #   reject_rhsbl_sender dbl.example: the sender's domain (and a host below it).
        postfix = {
            rev(NEWSLETTER, "wl.example"): (dns.rcode.NOERROR, ["127.0.10.2"]),
            rev(NEWSLETTER, "bl.example"): (dns.rcode.NXDOMAIN, []),
            rev("100.64.9.9", "bl.example"): (dns.rcode.NOERROR, ["127.0.0.2"]),
            SPAM_DOMAIN + ".dbl.example": (dns.rcode.NOERROR, ["127.0.1.2"]),
            "mail." + SPAM_DOMAIN + ".dbl.example": (dns.rcode.NOERROR, ["127.0.1.2"]),
            "news.example.dbl.example": (dns.rcode.NXDOMAIN, []),
            # RFC 5782 5: the test entries of both lists.
            "2.0.0.127.wl.example": (dns.rcode.NOERROR, ["127.0.10.2"]),
            "1.0.0.127.wl.example": (dns.rcode.NXDOMAIN, []),
            "test.dbl.example": (dns.rcode.NOERROR, ["127.0.1.2"]),
            "invalid.dbl.example": (dns.rcode.NXDOMAIN, []),
        }
        for name, want in postfix.items():
            self.assertEqual(a_records(self.knot_port, name), want, name)
            self.assertEqual(a_records(self.dns_port, name), want, name)
        self.assertEqual(self.same_answers(list(postfix)), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

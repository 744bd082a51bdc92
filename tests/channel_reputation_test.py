#!/usr/bin/python3
"""Calls and messages as reputation identities, through a real rampartd (issue 16).

One rampartd ([calls] and [messages] enabled, its RocksDB reputation store
and overrides under --data-dir) on loopback:

* a robocaller dials 300 numbers (POST /v1/calls): the call patterns block
  it, and GET /v1/reputation/voice:+1... calls it a spammer with the reason
  (SPAM_VERDICTS: its calls blocked or tagged); its SIP source address is one
  too; a normal caller's number stays unknown;
* an SMS sender complained about through GSMA 7726 forwards
  (POST /v1/messages/complaints) is a spammer (COMPLAINTS_BAD) on
  sms:+44...; a not-spam report (POST /v1/messages/notspam) shows as
  NOT_SPAM; a short code is its own identity;
* call ends (POST /v1/calls/end) reach the store: a caller whose answered
  calls are hung up within seconds is a spammer for SHORT_CALLS;
* overrides (POST /v1/overrides): a clean number blocked is refused on its
  next call (603, OVERRIDE_BLOCK) and its next SMS (block); the robocaller
  allowed goes through on its next call (OVERRIDE_ALLOW);
* /metrics counts the events handed to the store, the overrides applied and
  the channel identities' class changes;
* rampartd restarted: the classes are still there (the RocksDB store);
* the stored class is a verdict input: after a restart that forgot the call
  and message windows, the short caller and the SMS spammer are still tagged
  by their class alone (the start-up walk of the store; REPUTATION_CLASS,
  SENDER_CLASS_SPAMMER), a normal caller and a clean sender are not.

Environment: RAMPARTD_BIN."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import poll, ready_lines  # noqa: E402
from sip_support import cert, free_port, pem  # noqa: E402

RAMPARTD = os.environ["RAMPARTD_BIN"]
TOKEN = "rmp_channel_reputation_token"
ROBOT, NORMAL, BLOCKED, SHORT = "+13135550100", "+12025550100", "+12025550123", "+13135550155"
SMS_SPAMMER, SMS_BLOCKED, SMS_OK = "+447700900123", "+447700900555", "+447700900777"


class ChannelReputation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rampart-chanrep-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        key = ec.generate_private_key(ec.SECP256R1())
        anchors = os.path.join(cls.dir, "anchors.pem")
        with open(anchors, "wb") as f:
            f.write(pem(cert("STI-CA chanrep", key, None, key, True)))
        cls.conf = os.path.join(cls.dir, "rampart.toml")
        with open(cls.conf, "w") as f:
            f.write("""[[http.tokens]]
name = "desk"
sha256 = "%s"
rights = ["calls", "read", "scan", "events", "override"]

[calls]
enabled = true
trust_anchors = "%s"
""" % (hashlib.sha256(TOKEN.encode()).hexdigest(), anchors))
        cls.port = free_port()
        cls.err = open(os.path.join(cls.dir, "rampartd.log"), "a")
        cls.addClassCleanup(cls.err.close)
        cls.start_rampartd()

    @classmethod
    def start_rampartd(cls):
        cls.rampartd = subprocess.Popen(
            [RAMPARTD, "--config", cls.conf, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:%d" % cls.port,
             "--data-dir", os.path.join(cls.dir, "data"), "--loops", "1"],
            stdout=subprocess.PIPE, stderr=cls.err, text=True)
        cls.addClassCleanup(cls.stop, cls.rampartd)
        ready_lines(cls.rampartd, lambda: cls.log())

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p.stdout:
            p.stdout.close()

    @classmethod
    def log(cls):
        with open(os.path.join(cls.dir, "rampartd.log"), errors="replace") as f:
            return f.read()[-4000:]

    def http(self, method, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Authorization": "Bearer " + TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text.startswith("{") else text)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def call(self, caller, callee, source="198.51.100.20", trunk="carrier-a", call_id=None):
        body = {"from": caller, "to": callee, "source_ip": source, "trunk": trunk}
        if call_id:
            body["call_id"] = call_id
        status, a = self.http("POST", "/v1/calls", body)
        self.assertEqual(status, 200, a)
        return a

    def reputation(self, identity):
        status, r = self.http("GET", "/v1/reputation/" + identity)
        self.assertEqual(status, 200, r)
        return r

    def wait_class(self, identity, want, reason=None):
        """Polls the lookup until the identity has class `want` (and a reason
        starting with `reason`); the events reach the store asynchronously."""
        seen = []

        def check():
            r = self.reputation(identity)
            seen.append(r)
            return r["class"] == want and (reason is None or any(x.startswith(reason) for x in r["reasons"]))
        got, _ = poll(check, 20)
        self.assertTrue(got, "%s: wanted %s (%s), last %s\n%s" % (identity, want, reason, seen[-1:], self.log()))
        return seen[-1]

    def test_1_robocaller_and_normal_caller(self):
        actions = [self.call(ROBOT, "+1202555%04d" % (2000 + i), source="203.0.113.66")["action"]
                   for i in range(300)]
        self.assertIn("block", actions)
        self.assertEqual(actions[0], "allow")
        for i in range(5):
            self.assertEqual(self.call(NORMAL, "+1313555%04d" % (3000 + i))["action"], "allow")
        r = self.wait_class("voice:" + ROBOT, "spammer", "SPAM_VERDICTS")
        self.assertIn("calls blocked or tagged", " ".join(r["reasons"]))
        self.assertGreater(r["classified_at"], 0)
        self.wait_class("sip:203.0.113.66", "spammer", "SPAM_VERDICTS")
        # The normal caller's number: known, not bad (too little to be good yet).
        self.wait_class("voice:" + NORMAL, "unknown", "LOW_VOLUME")
        # Formatting does not matter (the lookup makes the number canonical).
        r = self.reputation("voice:+1-313-555-0100")
        self.assertEqual((r["identity"], r["class"]), ("voice:+13135550100", "spammer"), r)

    def test_2_sms_complaints_7726_and_notspam(self):
        for i in range(40):
            status, v = self.http("POST", "/v1/messages", {
                "channel": "sms", "sender": SMS_SPAMMER, "recipients": ["+4477009%05d" % i],
                "text": "You won a prize, call now"})
            self.assertEqual(status, 200, v)
        self.assertEqual(self.reputation("sms:" + SMS_SPAMMER)["class"], "unknown")
        for _ in range(6):  # the subscribers forward it to 7726, then name the sender
            status, a = self.http("POST", "/v1/messages/complaints", {
                "channel": "sms", "sender": SMS_SPAMMER, "text": "You won a prize, call now"})
            self.assertEqual(status, 200, a)
        r = self.wait_class("sms:" + SMS_SPAMMER, "spammer", "COMPLAINTS_BAD")
        self.assertIn("spam reports", " ".join(r["reasons"]))
        # Its next message carries the stored class (the class change heard), beside the complaints.
        got, _ = poll(lambda: "SENDER_CLASS_SPAMMER" in [
            x["name"] for x in self.http("POST", "/v1/messages", {
                "channel": "sms", "sender": SMS_SPAMMER, "recipients": ["+447700900444"],
                "text": "hi"})[1]["symbols"]], 20)
        self.assertTrue(got, self.log())
        # The same number as a caller is another identity: nothing there.
        self.assertEqual(self.reputation("voice:" + SMS_SPAMMER)["class"], "unknown")
        # Not spam, and a short code.
        status, _ = self.http("POST", "/v1/messages", {"channel": "sms", "sender": SMS_OK,
                                                        "recipients": ["+447700900001"], "text": "see you at 6"})
        self.assertEqual(status, 200)
        status, _ = self.http("POST", "/v1/messages/notspam", {"channel": "sms", "sender": SMS_OK,
                                                               "text": "see you at 6"})
        self.assertEqual(status, 200)
        self.wait_class("sms:" + SMS_OK, "unknown", "NOT_SPAM")
        status, _ = self.http("POST", "/v1/messages", {"channel": "sms", "sender": "72900",
                                                        "recipients": ["+447700900001"], "text": "Your code is 1234"})
        self.assertEqual(status, 200)
        _, last = poll(lambda: self.http("GET", "/v1/reputation/shortcode:72900?counters=1")[1]
                       .get("counters", {}).get("volume", {}).get("day", 0) >= 1, 20)
        self.assertTrue(last, self.http("GET", "/v1/reputation/shortcode:72900?counters=1"))

    def test_3_short_calls_from_call_ends(self):
        for i in range(40):
            cid = "short-%d@chanrep" % i
            self.call(SHORT, "+1202555%04d" % (5000 + i * 37 % 1000), source="192.0.2.55", trunk="carrier-s",
                      call_id=cid)
            status, e = self.http("POST", "/v1/calls/end", {"call_id": cid, "answered": True, "duration": 2})
            self.assertEqual((status, e), (200, {"recorded": True}))
        self.wait_class("voice:" + SHORT, "spammer", "SHORT_CALLS")

    def test_4_overrides_apply_to_calls_and_messages(self):
        # A clean number blocked by hand: its next call is refused, 603.
        self.assertEqual(self.call(BLOCKED, "+13135554000")["action"], "allow")
        status, o = self.http("POST", "/v1/overrides", {"identity": "voice:" + BLOCKED, "action": "block",
                                                        "reason": "ticket 16"})
        self.assertEqual(status, 200, o)
        a = self.call(BLOCKED, "+13135554001")
        self.assertEqual((a["action"], a["code"]), ("block", 603), a)
        self.assertTrue(any(r.startswith("OVERRIDE_BLOCK") for r in a["reasons"]), a)
        # The robocaller allowed by hand (a call centre, say): never blocked again.
        self.assertEqual(self.call(ROBOT, "+12025559999", source="203.0.113.66")["action"], "block")
        status, o = self.http("POST", "/v1/overrides", {"identity": "voice:" + ROBOT, "action": "allow",
                                                        "reason": "verified call centre"})
        self.assertEqual(status, 200, o)
        a = self.call(ROBOT, "+12025559998", source="203.0.113.66")
        self.assertEqual((a["action"], a["code"], a["display_prefix"]), ("allow", 0, ""), a)
        self.assertTrue(any(r.startswith("OVERRIDE_ALLOW") for r in a["reasons"]), a)
        # SMS: a blocked sender's message is blocked, an allowed one is never.
        status, o = self.http("POST", "/v1/overrides", {"identity": "sms:" + SMS_BLOCKED, "action": "block",
                                                        "reason": "fraud"})
        self.assertEqual(status, 200, o)
        status, v = self.http("POST", "/v1/messages", {"channel": "sms", "sender": SMS_BLOCKED,
                                                        "recipients": ["+447700900002"], "text": "hello"})
        self.assertEqual(status, 200, v)
        self.assertEqual(v["action"], "block", v)
        self.assertIn("OVERRIDE_BLOCK", [s["name"] for s in v["symbols"]])
        # A bad channel identity is refused with the reason.
        status, e = self.http("POST", "/v1/overrides", {"identity": "voice:12", "action": "block", "reason": "x"})
        self.assertEqual(status, 400, e)

    def test_5_metrics(self):
        status, text = self.http("GET", "/metrics")
        self.assertEqual(status, 200)

        def value(pattern):
            m = re.search(pattern + r" (\d+)", text)
            return int(m.group(1)) if m else 0
        self.assertGreaterEqual(value(r'rampart_channel_events_total\{channel="voice",type="call"\}'), 300)
        self.assertGreaterEqual(value(r'rampart_channel_events_total\{channel="voice",type="call_end"\}'), 40)
        self.assertGreaterEqual(value(r'rampart_channel_events_total\{channel="sms",type="complaint"\}'), 6)
        self.assertGreaterEqual(value(r'rampart_channel_events_total\{channel="sms",type="not_spam"\}'), 1)
        self.assertGreaterEqual(value(r'rampart_channel_overrides_total\{channel="voice",action="block"\}'), 1)
        self.assertGreaterEqual(value(r'rampart_channel_overrides_total\{channel="voice",action="allow"\}'), 1)
        self.assertGreaterEqual(value(r'rampart_channel_overrides_total\{channel="sms",action="block"\}'), 1)
        # The classes: the robocaller, its source and the SMS spammer became spammers.
        self.assertGreaterEqual(value(r'rampart_channel_class_changes_total\{kind="voice",class="spammer"\}'), 2)
        self.assertGreaterEqual(value(r'rampart_channel_class_changes_total\{kind="sip",class="spammer"\}'), 1)
        self.assertGreaterEqual(value(r'rampart_channel_class_changes_total\{kind="sms",class="spammer"\}'), 1)

    def test_6_restart_keeps_classes_and_overrides(self):
        self.stop(self.rampartd)
        type(self).start_rampartd()
        self.assertEqual(self.reputation("voice:" + ROBOT)["class"], "spammer")
        self.assertEqual(self.reputation("sms:" + SMS_SPAMMER)["class"], "spammer")
        a = self.call(BLOCKED, "+13135554002")
        self.assertEqual((a["action"], a["code"]), ("block", 603), a)

    def test_7_stored_classes_decide_after_a_restart(self):
        # The call and message windows forgotten (their state files removed),
        # the store kept: what still tags the short caller and the SMS spammer
        # is their stored class (read back by the start-up walk); a normal
        # caller and a clean sender are untouched.
        self.stop(self.rampartd)
        for name in ("calls.state", "messages.state"):
            path = os.path.join(self.dir, "data", name)
            if os.path.exists(path):
                os.unlink(path)
        type(self).start_rampartd()
        seen = []

        def short_tagged():
            a = self.call(SHORT, "+12025556998", source="192.0.2.56", trunk="carrier-t")
            seen.append(a)
            return a["action"] == "tag" and a["reason"].startswith("REPUTATION_CLASS voice:" + SHORT)
        got, _ = poll(short_tagged, 20)
        self.assertTrue(got, (seen[-1:], self.log()))
        self.assertEqual(seen[-1]["display_prefix"], "Spam? ")
        self.assertRegex(self.log(), r"channels: [1-9][0-9]* of [0-9]+ caller and sender identities held a bad class")
        status, v = self.http("POST", "/v1/messages", {"channel": "sms", "sender": SMS_SPAMMER,
                                                        "recipients": ["+447700900321"], "text": "hello"})
        self.assertEqual(status, 200, v)
        self.assertEqual(v["action"], "tag", v)
        self.assertEqual([s["name"] for s in v["symbols"]], ["SENDER_CLASS_SPAMMER"], v)
        a = self.call(NORMAL, "+13135556000", source="192.0.2.57", trunk="carrier-t")
        self.assertEqual(a["action"], "allow", a)
        status, v = self.http("POST", "/v1/messages", {"channel": "sms", "sender": SMS_OK,
                                                        "recipients": ["+447700900321"], "text": "see you at 6"})
        self.assertEqual((status, v["action"]), (200, "allow"), v)
        status, text = self.http("GET", "/metrics")
        self.assertRegex(text, r'rampart_channel_class_verdicts_total\{channel="sms",action="tag"\} [1-9]')


if __name__ == "__main__":
    unittest.main(verbosity=2)

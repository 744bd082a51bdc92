#!/usr/bin/python3
"""Kamailio screening calls through rampartd, end to end on loopback (issue 16).

A real Kamailio (Debian 5.6, deploy/kamailio/kamailio.cfg, on a free UDP
port) asks a real rampartd (POST /v1/calls, [calls] enabled) about every
INVITE; SIPp (Debian sip-tester) places the calls and answers them:

* a robocaller dials 300 numbers in sequence (30 calls a second): its first
  calls go through, then every call gets 607 Unwanted;
* at the same time a normal caller places a few calls: all answered, none tagged;
* a call signed by `rampart stir sign` with attestation A (x5u served over
  HTTPS on 127.0.0.1, chain made here with python3-cryptography) reaches the
  callee with P-Asserted-Identity ;verstat=TN-Validation-Passed and no prefix;
* the same Identity on a call from another number (a forged caller ID) reaches
  the callee tagged: verstat=TN-Validation-Failed and "Spam? ";
* a call from outside with a caller ID in the provider's own range and a
  forged Identity (a PASSporT of another number) is refused with 603; the
  same caller ID without an Identity, or signed for it (a number ported
  out), reaches the callee tagged;
* rampartd's /metrics counts the calls by action and verstat;
* Kamailio reports every call's end (dialog module, POST /v1/calls/end): a
  caller whose calls are answered and hung up after a second is tagged once
  five of them ended, while a caller whose calls last 6.5 s is never tagged;
* rampartd restarted (its [calls] and [messages] state files): the
  robocaller's next call is refused with 607 at once, and an SMS sender
  complained about before the restart is still flagged.
* with the chain cached (rampartd answers such calls on its HTTP loop, not
  its worker): signed calls pass as the first did, and a PASSporT whose
  signature was altered is tagged TN-Validation-Failed.

Environment: RAMPART_BIN, RAMPARTD_BIN, RAMPART_SOURCE_DIR."""
import email.utils
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sip_support import cert, free_port, pem, wait_for  # noqa: E402

RAMPART = os.environ["RAMPART_BIN"]
RAMPARTD = os.environ["RAMPARTD_BIN"]
SRC = os.environ["RAMPART_SOURCE_DIR"]
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
TOKEN = "rmp_kamailio_test_token"
ROBOT, NORMAL, SIGNED, FORGED = "+13135550100", "+12025550100", "+12025550142", "+12025550177"
SHORT, LONG, ROBOT2 = "+13135550155", "+12025550166", "+13135550188"
SMS_SPAMMER = "+447700900123"
OWN = "+14155550123"  # in the provider's own range (rampartd [calls] own_ranges)


UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="rampart caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[field1]@127.0.0.1:{uas} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test caller" <sip:[field0]@127.0.0.1>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field1]@127.0.0.1>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Date: {date}
{identity}      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="603" optional="true" next="refused"/>
  <recv response="607" optional="true" next="refused"/>
  <recv response="438" optional="true" next="refused"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK sip:[field1]@127.0.0.1:{uas} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test caller" <sip:[field0]@127.0.0.1>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field1]@127.0.0.1>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
{hold}  <send retrans="500">
    <![CDATA[
      BYE sip:[field1]@127.0.0.1:{uas} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test caller" <sip:[field0]@127.0.0.1>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field1]@127.0.0.1>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" next="done"/>
  <label id="refused"/>
  <label id="done"/>
</scenario>
"""


class KamailioCalls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rampart-kamailio-")
        cls.procs = []
        # The STI-CA, its intermediate and a service provider's signing certificate.
        ca_key, int_key, sp_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
        ca = cert("STI-CA e2e", ca_key, None, ca_key, True)
        inter = cert("STI-CA e2e intermediate", int_key, ca, ca_key, True)
        sp = cert("SHAKEN e2e", sp_key, inter, int_key, False)
        # The x5u's HTTPS server, with a CA of its own (rampartd's https_ca).
        web_key = ec.generate_private_key(ec.SECP256R1())
        web_ca = cert("web CA", web_key, None, web_key, True)
        srv_key = ec.generate_private_key(ec.SECP256R1())
        srv = cert("localhost", srv_key, web_ca, web_key, False,
                   san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        cls.anchors = cls.write("anchors.pem", pem(ca))
        cls.https_ca = cls.write("web-ca.pem", pem(web_ca))
        cls.write("srv.pem", pem(srv))
        cls.write("srv.key", srv_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        cls.sp_key = cls.write("sp.key", sp_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        chain = pem(sp, inter)
        hits = cls.hits = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                ok = self.path == "/sp.pem"
                if ok:
                    hits[0] += 1
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/pem-certificate-chain")
                self.send_header("Cache-Control", "max-age=300")
                self.send_header("Content-Length", str(len(chain) if ok else 0))
                self.end_headers()
                if ok:
                    self.wfile.write(chain)

            def log_message(self, *args):
                pass

        cls.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(cls.dir, "srv.pem"), os.path.join(cls.dir, "srv.key"))
        cls.httpd.socket = tls.wrap_socket(cls.httpd.socket, server_side=True)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.x5u = "https://127.0.0.1:%d/sp.pem" % cls.httpd.server_address[1]

        # rampartd with [calls].
        cls.http_port = free_port()
        cls.conf = cls.write("rampart.toml", ("""[[http.tokens]]
name = "kamailio"
sha256 = "%s"
rights = ["calls", "read", "scan", "events"]

[calls]
enabled = true
own_ranges = ["1415555"]
trust_anchors = "%s"
https_ca = "%s"
state_file = "%s"

[messages]
state_file = "%s"
""" % (hashlib.sha256(TOKEN.encode()).hexdigest(), cls.anchors, cls.https_ca,
       os.path.join(cls.dir, "calls.state"), os.path.join(cls.dir, "messages.state"))).encode())
        cls.rampartd_err = open(os.path.join(cls.dir, "rampartd.log"), "a")
        cls.start_rampartd()

        # The callee: SIPp's built-in UAS, every INVITE it receives logged.
        cls.uas_port = free_port()
        cls.uas_log = os.path.join(cls.dir, "uas-messages.log")
        cls.uas = cls.start([SIPP, "-sn", "uas", "-i", "127.0.0.1", "-p", str(cls.uas_port), "-trace_msg",
                             "-message_file", cls.uas_log, "-nostdin"], "uas.out")
        # Kamailio on a free port with the shipped configuration.
        cls.sip_port = free_port()
        run = os.path.join(cls.dir, "kamailio-run")
        os.mkdir(run)
        cls.kamailio = cls.start(
            [KAMAILIO, "-f", os.path.join(SRC, "deploy", "kamailio", "kamailio.cfg"), "-D", "-E", "-e",
             "-l", "udp:127.0.0.1:%d" % cls.sip_port, "-Y", run, "-P", os.path.join(run, "kamailio.pid"),
             "-m", "64", "-M", "8", "-A", "RAMPART_NO_LISTEN",
             "-A", 'RAMPART_CON="rampart=>http://kamailio:%s@127.0.0.1:%d/v1/calls"' % (TOKEN, cls.http_port)], "kamailio.log")
        wait_for("kamailio listening", lambda: cls.udp_bound(cls.sip_port), 30, lambda: cls.log("kamailio.log"))

    @classmethod
    def start_rampartd(cls):
        zone = os.path.join(SRC, "deploy", "demo", "example.zone")
        cls.rampartd = subprocess.Popen(
            [RAMPARTD, "--config", cls.conf, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:%d" % cls.http_port,
             "--zone", zone, "--loops", "1"], stdout=subprocess.PIPE, stderr=cls.rampartd_err, text=True)
        cls.procs.append(cls.rampartd)
        lines = []
        for _ in range(10):
            line = cls.rampartd.stdout.readline()
            lines.append(line)
            if not line or line.startswith("rampartd: ready"):
                break
        assert lines[-1].startswith("rampartd: ready"), (lines, cls.log("rampartd.log"))

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in cls.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for p in cls.procs:
            if p.stdout:
                p.stdout.close()
        cls.rampartd_err.close()
        cls.httpd.shutdown()
        cls.httpd.server_close()

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @classmethod
    def log(cls, name):
        try:
            with open(os.path.join(cls.dir, name), errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    @classmethod
    def start(cls, argv, out):
        with open(os.path.join(cls.dir, out), "w") as f:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, cwd=cls.dir)
        cls.procs.append(p)
        return p

    @staticmethod
    def udp_bound(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True
        finally:
            s.close()

    def place(self, name, calls, rate, identity=None, wait=True, hold_ms=0, limit=50, source="127.0.0.1"):
        """SIPp places `calls` ([(caller, callee)]) from the loopback address
        `source`, at most `limit` at once, each answered call held `hold_ms`
        before its BYE; returns the process
        (or its responses: [(callee, status)] in order of arrival)."""
        csv = self.write(name + ".csv", ("SEQUENTIAL\n" + "".join("%s;%s;\n" % c for c in calls)).encode())
        idline = "      Identity: %s\n" % identity if identity else ""
        hold = '  <pause milliseconds="%d"/>\n' % hold_ms if hold_ms else ""
        xml = self.write(name + ".xml", UAC.format(uas=self.uas_port, date=email.utils.formatdate(usegmt=True),
                                                   identity=idline, hold=hold).encode())
        msgs = os.path.join(self.dir, name + "-messages.log")
        with open(os.path.join(self.dir, name + ".out"), "w") as out:
            p = subprocess.Popen(
                [SIPP, "127.0.0.1:%d" % self.sip_port, "-sf", xml, "-inf", csv, "-m", str(len(calls)), "-r", str(rate),
                 "-l", str(limit), "-i", source, "-p", str(free_port()), "-trace_msg", "-message_file", msgs,
                 "-nostdin", "-timeout", "120s", "-timeout_error"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        p.msgs = msgs
        p.name = name
        return self.finish(p) if wait else p

    def finish(self, p):
        rc = p.wait(timeout=180)
        self.assertEqual(rc, 0, "sipp %s exit %d\n%s\nkamailio:\n%s\nrampartd:\n%s" % (
            p.name, rc, self.log(p.name + ".out"), self.log("kamailio.log"), self.log("rampartd.log")))
        with open(p.msgs, errors="replace") as f:
            text = f.read()
        out = []
        for m in re.finditer(r"^SIP/2\.0 (\d{3}) [^\r\n]*\r?\n(.*?)(?:\r?\n\r?\n)", text, re.S | re.M):
            status = int(m.group(1))
            if status < 200:
                continue
            cseq = re.search(r"^CSeq:\s*\d+\s+(\w+)", m.group(2), re.M | re.I)
            to = re.search(r"^To:[^\n]*sip:([^@>;]+)@", m.group(2), re.M | re.I)
            if cseq and cseq.group(1) == "INVITE" and to:
                out.append((to.group(1), status))
        return out

    def invites_at_callee(self, caller):
        with open(self.uas_log, errors="replace") as f:
            text = f.read()
        out = []
        for m in re.finditer(r"^INVITE sip:[^\n]*\n(.*?)\r?\n\r?\n", text, re.S | re.M):
            head = m.group(1)
            frm = re.search(r"^From:[^\n]*sip:([^@>;]+)@", head, re.M | re.I)
            if frm and frm.group(1) == caller:
                pai = re.search(r"^P-Asserted-Identity:([^\r\n]*)", head, re.M | re.I)
                out.append(pai.group(1).strip() if pai else None)
        return out

    def api(self, method, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + TOKEN,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def metrics(self):
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % self.http_port)
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()

    def test_1_robocaller_blocked_normal_caller_not(self):
        robot = [(ROBOT, "+1202556%04d" % (1000 + i)) for i in range(300)]
        normal = [(NORMAL, "+1202555%04d" % (200 + i)) for i in range(5)]
        r = self.place("robot", robot, 30, wait=False)
        n = self.place("normal", normal, 2, wait=False)
        got_robot, got_normal = self.finish(r), self.finish(n)
        self.assertEqual(len(got_robot), 300, got_robot[:5])
        # In the order the calls were placed (the callee numbers count up), not the order their
        # answers reached SIPp: a 607 comes back at once, a 200 after the callee, so under load
        # a call's 200 can arrive after its successor's 607.
        self.assertEqual(sorted(c for c, _ in got_robot), [c for _, c in robot])
        statuses = [s for _, s in sorted(got_robot)]
        first = statuses.index(607)
        print("robocaller: %d calls answered, then blocked from call %d on; %d of 300 blocked" % (
            statuses.count(200), first + 1, statuses.count(607)))
        self.assertGreaterEqual(first, 3, "blocked before any pattern could show")
        self.assertLessEqual(first, 30, "the pattern showed long before the block")
        self.assertTrue(all(s == 200 for s in statuses[:first]), statuses[:first])
        self.assertTrue(all(s == 607 for s in statuses[first:]), statuses[first:])
        self.assertEqual([s for _, s in got_normal], [200] * 5)
        pais = self.invites_at_callee(NORMAL)
        self.assertEqual(len(pais), 5)
        self.assertTrue(all(p is None for p in pais), pais)  # untouched: no tag, no verstat

    def signed(self, orig, dest):
        out = subprocess.run([RAMPART, "stir", "sign", "--key", self.sp_key, "--x5u", self.x5u, "--attest", "A",
                              "--orig", orig, "--dest", dest], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def test_2_signed_call_tagged_validated(self):
        identity = self.signed(SIGNED, "+12025550199")
        got = self.place("signed", [(SIGNED, "+12025550199")], 1, identity)
        self.assertEqual(got, [("+12025550199", 200)])
        pais = self.invites_at_callee(SIGNED)
        self.assertEqual(len(pais), 1)
        self.assertIn("verstat=TN-Validation-Passed", pais[0])
        self.assertNotIn("Spam?", pais[0])
        self.assertGreaterEqual(self.hits[0], 1)  # the x5u was fetched over HTTPS

    def test_3_forged_identity_tagged(self):
        # A PASSporT signed for SIGNED, replayed on a call from another number.
        identity = self.signed(SIGNED, "+12025550198")
        got = self.place("forged", [(FORGED, "+12025550198")], 1, identity)
        self.assertEqual(got, [("+12025550198", 200)])
        pais = self.invites_at_callee(FORGED)
        self.assertEqual(len(pais), 1)
        self.assertIn("verstat=TN-Validation-Failed", pais[0])
        self.assertIn('"Spam? ', pais[0])

    def test_4_metrics(self):
        m = self.metrics()
        def value(pattern):
            found = re.search(r"^%s (\d+(?:\.\d+)?)$" % re.escape(pattern), m, re.M)
            return float(found.group(1)) if found else 0
        self.assertGreaterEqual(value('rampart_calls_total{action="block"}'), 270, m[-3000:])
        self.assertGreaterEqual(value('rampart_calls_verstat_total{verstat="TN-Validation-Passed"}'), 1)
        self.assertGreaterEqual(value('rampart_calls_verstat_total{verstat="TN-Validation-Failed"}'), 1)
        self.assertGreaterEqual(value("rampart_calls_assess_seconds_count"), 307)
        # The robocaller among the incidents, with its reasons; the normal caller not.
        req = urllib.request.Request("http://127.0.0.1:%d/v1/calls/incidents" % self.http_port,
                                     headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=10) as r:
            incidents = json.loads(r.read())["incidents"]
        keys = {i["key"]: i for i in incidents}
        self.assertEqual(keys["caller:" + ROBOT]["action"], "block")
        self.assertEqual(keys["caller:" + ROBOT]["attempts"], 300)
        self.assertTrue(any("distinct callees" in r for r in keys["caller:" + ROBOT]["reasons"]))
        self.assertNotIn("caller:" + NORMAL, keys)

    def test_5_call_ends_short_calls_flagged(self):
        # Answered and hung up after 1 s, one call after the other (so each
        # INVITE is judged after the previous call's end reached rampartd).
        short = [(SHORT, "+1202558%04d" % (1000 + 577 * i)) for i in range(8)]
        # The same number of answered calls, 6.5 s each, to four people.
        long_ = [(LONG, "+1202559%04d" % (1000 + 1733 * (i % 4))) for i in range(13)]
        # Each from a network of its own: the loopback /24 the other tests'
        # robocallers dialled from carries their short, sequential calls.
        s = self.place("short", short, 5, wait=False, hold_ms=1000, limit=1, source="127.0.5.1")
        n = self.place("long", long_, 1, wait=False, hold_ms=6500, limit=13, source="127.0.6.1")
        got_short, got_long = self.finish(s), self.finish(n)
        self.assertEqual([st for _, st in got_short], [200] * 8)
        self.assertEqual([st for _, st in got_long], [200] * 13)
        pais = self.invites_at_callee(SHORT)
        self.assertEqual(len(pais), 8)
        tagged = [p is not None and '"Spam? ' in p for p in pais]
        print("short-call caller: calls tagged %s" % tagged)
        self.assertEqual(tagged[:5], [False] * 5, pais)  # fewer than five ended calls: no ratio yet
        self.assertEqual(tagged[5:], [True] * 3, pais)
        long_pais = self.invites_at_callee(LONG)
        self.assertEqual(len(long_pais), 13)
        self.assertTrue(all(p is None for p in long_pais), long_pais)  # at least five ended before the last
        incidents = {i["key"]: i for i in self.api("GET", "/v1/calls/incidents")["incidents"]}
        self.assertIn("caller:" + SHORT, incidents)
        self.assertTrue(any("short calls" in r for r in incidents["caller:" + SHORT]["reasons"]),
                        incidents["caller:" + SHORT])
        self.assertNotIn("caller:" + LONG, incidents)
        m = self.metrics()
        found = re.search(r'^rampart_calls_ended_total\{result="answered"\} (\d+)', m, re.M)
        self.assertIsNotNone(found, m[-3000:])
        self.assertGreaterEqual(int(found.group(1)), 8 + 13)

    def test_6_state_survives_restart(self):
        # An SMS sender reported through the 7726 convention, then a restart.
        self.api("POST", "/v1/messages/complaints",
                 {"channel": "sms", "sender": SMS_SPAMMER, "text": "You have won! Claim at https://win.example/x"})
        before = self.api("POST", "/v1/messages", {"channel": "sms", "sender": SMS_SPAMMER,
                                                   "recipients": ["+447700900999"], "text": "hello"})
        self.assertIn("SENDER_COMPLAINED", [s["name"] for s in before["symbols"]])
        # A robocaller blocked just before the restart (its pattern is of the last minute).
        burst = [st for _, st in self.place("robot2", [(ROBOT2, "+1202557%04d" % (100 + 13 * i)) for i in range(40)], 40)]
        self.assertEqual(burst[-1], 607, burst)
        self.rampartd.send_signal(signal.SIGTERM)
        self.assertEqual(self.rampartd.wait(timeout=30), 0, self.log("rampartd.log"))
        self.assertTrue(os.path.getsize(os.path.join(self.dir, "calls.state")) > 0)
        self.start_rampartd()
        self.assertRegex(self.log("rampartd.log"), r"calls: [1-9][0-9]* entries read back from ")
        # The robocaller's first call after the restart: refused at once.
        got = self.place("robot-after", [(ROBOT2, "+12025570001")], 1)
        self.assertEqual(got, [("+12025570001", 607)], self.log("kamailio.log"))
        after = self.api("POST", "/v1/messages", {"channel": "sms", "sender": SMS_SPAMMER,
                                                  "recipients": ["+447700900998"], "text": "hello again"})
        self.assertIn("SENDER_COMPLAINED", [s["name"] for s in after["symbols"]], after)
        self.assertEqual(after["action"], "tag")
        classes = {(c["channel"], c["sender"]): c for c in self.api("GET", "/v1/messages/senders")["senders"]}
        self.assertEqual(classes[("sms", SMS_SPAMMER)]["class"], "complained", classes)
        self.assertEqual(classes[("sms", SMS_SPAMMER)]["complaints"], 1)
        incidents = {i["key"]: i for i in self.api("GET", "/v1/calls/incidents")["incidents"]}
        self.assertEqual(incidents["caller:" + ROBOT2]["action"], "block")
        link = self.api("POST", "/v1/messages", {"channel": "sms", "sender": "+447700900555",
                                                 "recipients": ["+447700900997"], "text": "see win.example now"})
        self.assertEqual(link["action"], "allow")  # no URL scheme: not a link
        link = self.api("POST", "/v1/messages", {"channel": "sms", "sender": "+447700900555",
                                                 "recipients": ["+447700900997"], "text": "https://win.example/y"})
        self.assertIn("URL_REPORTED", [s["name"] for s in link["symbols"]], link)
        # A fresh caller is not.
        self.assertEqual(self.place("fresh-after", [(NORMAL, "+12025570002")], 1), [("+12025570002", 200)])

    def test_7_forged_identity_on_own_range_refused(self):
        # A PASSporT signed for SIGNED, replayed on a call that claims one of our own numbers.
        forged = self.signed(SIGNED, "+12025550197")
        got = self.place("own-forged", [(OWN, "+12025550197")], 1, forged)
        self.assertEqual(got, [("+12025550197", 603)], self.log("rampartd.log"))
        self.assertEqual(self.invites_at_callee(OWN), [])  # never reached the callee
        # Without an Identity (none expected on this interconnect): a sign only, tagged.
        self.assertEqual(self.place("own-plain", [(OWN, "+12025550196")], 1), [("+12025550196", 200)])
        # Signed for the number itself (ported out, signed by its new provider): tagged, not refused.
        valid = self.signed(OWN, "+12025550195")
        self.assertEqual(self.place("own-signed", [(OWN, "+12025550195")], 1, valid), [("+12025550195", 200)])
        pais = self.invites_at_callee(OWN)
        self.assertEqual(len(pais), 2, pais)
        self.assertIn('"Spam? ', pais[0])
        self.assertIn("verstat=No-TN-Validation", pais[0])
        self.assertIn("verstat=TN-Validation-Passed", pais[1])
        # A normal caller with the same forged Identity: tagged as before, never refused.
        self.assertEqual(self.place("forged-normal", [(FORGED, "+12025550197")], 1, forged),
                         [("+12025550197", 200)])

    def test_8_cached_chain_same_verdicts(self):
        # test_7 fetched the x5u again after the restart: the chain is cached now.
        # (From a network of their own, 127.0.8.0/24: 127.0.0.0/24 is tagged for
        # the robocaller's sequential dialling.)
        for i, (caller, callee) in enumerate([("+16175550131", "+13035550180"), ("+16175550132", "+13035557342")]):
            got = self.place("warm-%d" % i, [(caller, callee)], 1, self.signed(caller, callee), source="127.0.8.1")
            self.assertEqual(got, [(callee, 200)])
            pais = self.invites_at_callee(caller)
            self.assertEqual(len(pais), 1, pais)
            self.assertIn("verstat=TN-Validation-Passed", pais[0])
            self.assertNotIn("Spam?", pais[0], self.log("rampartd.log")[-1500:])
        # The same kind of PASSporT with its signature altered (its first
        # character: every bit of it counts): the verification fails.
        caller, callee = "+16175550133", "+13035554411"
        good = self.signed(caller, callee)
        token, params = good.split(";", 1)
        head, payload, sig = token.split(".")
        bad = "%s.%s.%s;%s" % (head, payload, ("B" if sig[0] != "B" else "C") + sig[1:], params)
        self.assertEqual(self.place("warm-bad", [(caller, callee)], 1, bad, source="127.0.8.1"), [(callee, 200)])
        pais = self.invites_at_callee(caller)
        self.assertEqual(len(pais), 1, pais)
        self.assertIn("verstat=TN-Validation-Failed", pais[0])
        self.assertIn('"Spam? ', pais[0])
        self.assertIn("signature does not verify", self.log("rampartd.log"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

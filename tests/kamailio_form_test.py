#!/usr/bin/python3
"""The shipped Kamailio config's exchange with rampartd, byte for byte, with
hostile SIP (issue 16, kamlat2).

deploy/kamailio/kamailio.cfg builds POST /v1/calls as a form body, each value
percent-encoded by Kamailio's {s.urlencode.param}, and reads the answer (a
form too) with {param.value,...,&}. Here Kamailio (Debian 5.6, the file
unchanged, on a free UDP port) talks to a stand-in for rampartd (an HTTP
server in this test that records every body and answers what the test says)
and relays to a callee in this test, so what Kamailio sent and what it did
with the answer are both seen:

* INVITEs whose caller (P-Asserted-Identity and From user parts), callee
  (Request-URI user), Call-ID, Identity and Date hold quotes, backslashes,
  '&', '=', '%', '+', ';', angle brackets, a tab, a control character and
  UTF-8: the body decodes (strict form parsing) to exactly those values, no
  field more or less;
* a "tag" answer whose prefix and reason need decoding: the callee gets
  P-Asserted-Identity with the decoded prefix before the display name and the
  verstat;
* a "block" answer with code 607: the caller gets 607 Unwanted, the callee
  nothing; with code 603: 603;
* an answer that is not a form (a JSON one, as an older rampartd would send)
  or not a 200: the call goes through untouched (fail open);
* the BYE: POST /v1/calls/end as a form with the hostile Call-ID, answered,
  and the duration.

Environment: RAMPART_SOURCE_DIR."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sip_support import free_port, wait_for  # noqa: E402

SRC = os.environ["RAMPART_SOURCE_DIR"]
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
TOKEN = "rmp_kamailio_form_test"

# What a hostile caller can put in each place and Kamailio still parses.
HOSTILE_USER = "+1202'&=x%2522;y"  # a URI user part (kept escaped by Kamailio)
HOSTILE_CALLID = "q\"u'o\\te&x=y%z+w;<a>{b}@h"
HOSTILE_IDENTITY = "eyJ.x\"y\\z'&a=b%c+d <e>;info=<https://x/?a=1&b=\"2\">;alg=ES256\tq\x01r \xc3\xa9"
HOSTILE_DATE = "Mon, 07 Dec 2026 \"00:00:00\" GMT & x=y%"
HOSTILE_NAME = 'Ev\\"il \\\\ \'x\' & y=z'  # a quoted display name (quoted-pairs inside)


def form(body):
    """The body as a strict form: {name: [values]}; a bad escape raises."""
    return urllib.parse.parse_qs(body, keep_blank_values=True, strict_parsing=True, encoding="utf-8",
                                 errors="strict")


class KamailioForm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rampart-kamailio-form-")
        cls.procs = []
        cls.posts = []  # (path, content type, raw body)
        cls.answer = {"status": 200, "body": b"action=allow&code=0&verstat=No-TN-Validation"}
        lock = cls.lock = threading.Lock()
        posts, answer = cls.posts, cls.answer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as rampartd

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    posts.append((self.path, self.headers.get("Content-Type"), body,
                                  self.headers.get("Authorization")))
                    status, out = (200, b"recorded=true") if self.path.endswith("/end") else (
                        answer["status"], answer["body"])
                self.send_response(status)
                self.send_header("Content-Type", "application/x-www-form-urlencoded")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        cls.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()

        # The callee: answers every INVITE 200 (and BYE 200), keeps what it got.
        cls.uas = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.uas.bind(("127.0.0.1", 0))
        cls.uas_port = cls.uas.getsockname()[1]
        cls.got = []
        cls.stop = False
        threading.Thread(target=cls.callee, daemon=True).start()

        cls.sip_port = free_port()
        run = os.path.join(cls.dir, "kamailio-run")
        os.mkdir(run)
        con = "rampart=>http://kamailio:%s@127.0.0.1:%d/v1/calls" % (TOKEN, cls.httpd.server_address[1])
        with open(os.path.join(cls.dir, "kamailio.log"), "w") as f:
            cls.procs.append(subprocess.Popen(
                [KAMAILIO, "-f", os.path.join(SRC, "deploy", "kamailio", "kamailio.cfg"), "-D", "-E", "-e",
                 "-l", "udp:127.0.0.1:%d" % cls.sip_port, "-Y", run, "-P", os.path.join(run, "kamailio.pid"),
                 "-m", "64", "-M", "8", "-A", "RAMPART_NO_LISTEN", "-A", 'RAMPART_CON="%s"' % con],
                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, cwd=cls.dir))
        wait_for("kamailio listening", lambda: cls.udp_bound(cls.sip_port), 30, lambda: cls.log())
        cls.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.sock.bind(("127.0.0.1", 0))
        cls.sock.settimeout(5)
        cls.me = cls.sock.getsockname()[1]

    @classmethod
    def tearDownClass(cls):
        cls.stop = True
        for p in cls.procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        cls.httpd.shutdown()
        cls.httpd.server_close()
        cls.uas.close()
        cls.sock.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log(cls):
        with open(os.path.join(cls.dir, "kamailio.log"), errors="replace") as f:
            return f.read()[-6000:]

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

    @classmethod
    def callee(cls):
        cls.uas.settimeout(0.2)
        while not cls.stop:
            try:
                data, peer = cls.uas.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            text = data.decode("latin-1")
            head, _, _ = text.partition("\r\n\r\n")
            lines = head.split("\r\n")
            method = lines[0].split(" ", 1)[0]
            if method == "ACK":
                continue
            with cls.lock:
                cls.got.append(text)
            keep = [l for l in lines[1:] if l.split(":", 1)[0].lower() in (
                "via", "from", "to", "call-id", "cseq", "record-route")]
            keep = [l + (";tag=callee" if l.lower().startswith("to:") and "tag=" not in l else "") for l in keep]
            reply = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + (
                "\r\nContact: <sip:callee@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n" % cls.uas_port)
            cls.uas.sendto(reply.encode("latin-1"), peer)

    def invite(self, n, from_user=HOSTILE_USER, pai_user=None, ruri_user="+12025550199", callid=None,
               identity=None, date=None, name=None):
        """Sends one INVITE through Kamailio; (final status, To header of the answer, Call-ID)."""
        callid = callid or "form-%d@test" % n
        ruri = "sip:%s@127.0.0.1:%d" % (ruri_user, self.uas_port)
        display = '"%s" ' % name if name is not None else ""
        msg = ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-f%d\r\n"
               "From: %s<sip:%s@127.0.0.1>;tag=f%d\r\nTo: <sip:%s@127.0.0.1>\r\nCall-ID: %s\r\n"
               "CSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n" % (
                   ruri, self.me, n, display, from_user, n, ruri_user, callid, self.me))
        if pai_user:
            msg += "P-Asserted-Identity: <sip:%s@127.0.0.1>\r\n" % pai_user
        if identity is not None:
            msg += "Identity: %s\r\n" % identity
        if date is not None:
            msg += "Date: %s\r\n" % date
        msg += "Content-Length: 0\r\n\r\n"
        self.sock.sendto(msg.encode("latin-1"), ("127.0.0.1", self.sip_port))
        while True:
            data = self.sock.recv(65535).decode("latin-1")
            if callid not in data or "CSeq: 1 INVITE" not in data:
                continue
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                to = [l for l in data.split("\r\n") if l.lower().startswith("to:")][0]
                return code, to, callid, ruri

    def bye(self, n, callid, to, ruri):
        msg = ("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-a%d\r\nFrom: <sip:x@127.0.0.1>;"
               "tag=f%d\r\n%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (
                   ruri, self.me, n, n, to, callid))
        self.sock.sendto(msg.encode("latin-1"), ("127.0.0.1", self.sip_port))
        msg = ("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-b%d\r\nFrom: <sip:x@127.0.0.1>;"
               "tag=f%d\r\n%s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (
                   ruri, self.me, n, n, to, callid))
        self.sock.sendto(msg.encode("latin-1"), ("127.0.0.1", self.sip_port))
        while True:
            data = self.sock.recv(65535).decode("latin-1")
            if callid in data and "CSeq: 2 BYE" in data and data.startswith("SIP/2.0 2"):
                return

    def last_post(self, path="/v1/calls"):
        with self.lock:
            posts = [p for p in self.posts if p[0] == path]
        self.assertTrue(posts, self.log())
        return posts[-1]

    def set_answer(self, body, status=200):
        with self.lock:
            self.answer["status"] = status
            self.answer["body"] = body

    def relayed(self, callid):
        with self.lock:
            return [m for m in self.got if m.startswith("INVITE") and ("Call-ID: %s\r\n" % callid) in m]

    def test_1_hostile_values_reach_rampartd_intact(self):
        self.set_answer(b"action=allow&code=0&verstat=TN-Validation-Passed&attest=A")
        code, to, callid, ruri = self.invite(1, pai_user="+1313'&=q%41!*()$,", ruri_user="+1%22x'&=y",
                                             callid=HOSTILE_CALLID, identity=HOSTILE_IDENTITY, date=HOSTILE_DATE,
                                             name=HOSTILE_NAME)
        self.assertEqual(code, 200, self.log())
        path, ctype, body, auth = self.last_post()
        self.assertEqual(ctype, "application/x-www-form-urlencoded")
        self.assertTrue(auth and auth.startswith("Basic "))
        raw = body.decode("ascii")  # percent-encoding leaves ASCII only
        self.assertRegex(raw, r"^[A-Za-z0-9_.~%=&-]+$")
        f = form(raw)
        self.assertEqual(sorted(f), ["call_id", "date", "from", "identity", "source_ip", "to"])
        self.assertEqual(f["from"], ["+1313'&=q%41!*()$,"])  # P-Asserted-Identity's user wins over From's
        self.assertEqual(f["to"], ["+1%22x'&=y"])
        self.assertEqual(f["call_id"], [HOSTILE_CALLID])
        # The Identity's bytes (latin-1 on the wire here, UTF-8 é kept as its two bytes).
        self.assertEqual(urllib.parse.unquote_to_bytes(raw.split("identity=")[1].split("&")[0]),
                         HOSTILE_IDENTITY.encode("latin-1"))
        self.assertEqual(f["date"], [HOSTILE_DATE])
        self.assertEqual(f["source_ip"], ["127.0.0.1"])
        self.assertEqual(len(self.relayed(callid)), 1)
        # The call's end: a form with the hostile Call-ID, answered, a duration.
        self.bye(1, callid, to, ruri)
        wait_for("the call's end posted", lambda: any(p[0] == "/v1/calls/end" for p in self.posts), 10, self.log)
        end = form(self.last_post("/v1/calls/end")[2].decode("ascii"))
        self.assertEqual(end["call_id"], [HOSTILE_CALLID])
        self.assertEqual(end["answered"], ["true"])
        self.assertTrue(end["duration"][0].isdigit())

    def test_2_without_optional_headers(self):
        self.set_answer(b"action=allow&code=0&verstat=No-TN-Validation")
        code, _, callid, _ = self.invite(2, from_user="+12025550100")
        self.assertEqual(code, 200, self.log())
        f = form(self.last_post()[2].decode("ascii"))
        self.assertEqual(sorted(f), ["call_id", "from", "source_ip", "to"])  # no Identity, no Date sent
        self.assertEqual(f["from"], ["+12025550100"])
        invite = self.relayed(callid)[0]
        self.assertNotIn("P-Asserted-Identity", invite)  # allowed without an Identity: untouched
        self.assertNotIn("ERROR", self.log())

    def test_3_tag_decodes_the_prefix(self):
        self.set_answer(b"action=tag&code=0&verstat=TN-Validation-Failed&display_prefix=Spam%3F%20"
                        b"&reason=caller%3A%20x%26y%3Dz&reasons=a&reasons=b")
        code, _, callid, _ = self.invite(3, from_user="+12025550111", identity="x.y.z", name="Ann")
        self.assertEqual(code, 200, self.log())
        invite = self.relayed(callid)[0]
        pai = [l for l in invite.split("\r\n") if l.startswith("P-Asserted-Identity:")]
        self.assertEqual(pai, ['P-Asserted-Identity: "Spam? Ann" <sip:+12025550111;'
                               'verstat=TN-Validation-Failed@127.0.0.1;user=phone>'], invite)

    def test_4_block_codes(self):
        for n, (code, body) in enumerate([(607, b"action=block&code=607&verstat=No-TN-Validation"),
                                          (603, b"action=block&code=603&verstat=No-TN-Validation"),
                                          (438, b"action=reject&code=438&verstat=TN-Validation-Failed")]):
            self.set_answer(body)
            got, _, callid, _ = self.invite(40 + n, from_user="+1313555%04d" % n)
            self.assertEqual(got, code, self.log())
            self.assertEqual(self.relayed(callid), [])

    def test_5_fail_open(self):
        # Each after a refusal in the same worker (Kamailio's $var outlives the message).
        for n, (status, body) in enumerate([(200, b'{"action": "block", "code": 607}'),
                                            (500, b"action=block&code=607"), (200, b""),
                                            (200, b"action=block&attest=&code=607"), (200, b"action=maybe")]):
            self.set_answer(b"action=block&code=607")
            self.assertEqual(self.invite(60 + n, from_user="+1313555%04d" % n)[0], 607)
            self.set_answer(body, status)
            code, _, callid, _ = self.invite(50 + n, from_user="+1202555%04d" % n)
            self.assertEqual(code, 200, (status, body, self.log()))
            self.assertEqual(len(self.relayed(callid)), 1)
        log = self.log()
        self.assertIn("unreadable verdict", log)
        self.assertIn("no verdict", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""Outbound complaint reports end to end (issue 17, "Outbound reports").

Real components on 127.0.0.1: Knot DNS serving the sender's and the
provider's DKIM keys, Postfix as the provider's relay delivering into
Maildirs, rampartd with [reports] enabled resolving through Knot
(--nameserver), dkimpy (an independent implementation) signing the
newsletter with CFBL-Address and CFBL-Feedback-ID in h=, and verifying the
reports' own signatures through the same DNS; Python's email package reads
the reports.

* A subscriber's complaint (POST /v1/learn, X-Label: spam) sends one ARF
  report to the RFC 9477 CFBL-Address and one to the configured abuse
  contact of the source network; both are DKIM-signed by the provider,
  RFC 5965 in form, and hold no trace of the subscriber's address or name.
* The same complaint again sends nothing more (counted as duplicate).
* A CFBL-Address the signature does not cover gets no report (counted);
  the network contact still does.
* Without a token no complaint is accepted and nothing is sent.
"""
import email
import email.policy
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import dkim
import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.dirname(__file__))
from dnsbl_support import free_port, stop  # noqa: E402
from e2e_support import token_toml  # noqa: E402

KNOTD = "/usr/sbin/knotd"
POSTFIX = "/usr/sbin/postfix"
TOKEN = "complaints-desk-token"
SUBSCRIBER = "alice.smith@isp.example"


def genkey(path):
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    import base64
    return base64.b64encode(pub).decode()


def txt_chunks(s):
    return " ".join('"%s"' % s[i:i + 200] for i in range(0, len(s), 200))


class ReportsE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("this test runs Postfix and must run as root")
        cls.dir = tempfile.mkdtemp(prefix="reports-e2e-")
        os.chmod(cls.dir, 0o755)  # Postfix's own processes run as postfix
        cls.procs = []
        try:
            cls.start_all()
        except BaseException:
            cls.tearDownClass()  # unittest does not when setUpClass fails: stop what started
            raise

    @classmethod
    def start_all(cls):
        d = cls.dir
        # Keys: the ESP customer's (signs the newsletter), the provider's (signs reports).
        cls.esp_key = os.path.join(d, "esp.key")
        esp_pub = genkey(cls.esp_key)
        cls.isp_key = os.path.join(d, "isp.key")
        isp_pub = genkey(cls.isp_key)
        # Knot, primary for both zones.
        cls.knot_port = free_port()
        kdir = os.path.join(d, "knot")
        os.mkdir(kdir)
        zones = {
            "esp-customer.example": "s1._domainkey 300 IN TXT " + txt_chunks("v=DKIM1; k=rsa; p=" + esp_pub),
            "isp.example": "reports._domainkey 300 IN TXT " + txt_chunks("v=DKIM1; k=rsa; p=" + isp_pub),
        }
        for name, rr in zones.items():
            with open(os.path.join(kdir, name + ".zone"), "w") as f:
                f.write(f"""$ORIGIN {name}.
$TTL 300
@ IN SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 300
@ IN NS ns.{name}.
ns IN A 127.0.0.1
{rr}
""")
        with open(os.path.join(kdir, "knot.conf"), "w") as f:
            f.write(f"""server:
    rundir: "{kdir}"
    listen: 127.0.0.1@{cls.knot_port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{kdir}"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "{kdir}"
    file: "%s.zone"
zone:
  - domain: esp-customer.example
  - domain: isp.example
""")
        cls.knot_log = open(os.path.join(kdir, "knotd.log"), "w")
        cls.procs.append(subprocess.Popen([KNOTD, "-c", os.path.join(kdir, "knot.conf")], stdout=cls.knot_log,
                                          stderr=subprocess.STDOUT))
        cls.wait(lambda: cls.dns_txt("reports._domainkey.isp.example"), "Knot answering")
        # Postfix, the provider's relay: delivers the reports into Maildirs.
        cls.smtp_port = free_port()
        cls.start_postfix()
        # rampartd.
        cls.http_port = free_port()
        data = os.path.join(d, "data")
        os.mkdir(data)
        conf = os.path.join(d, "rampart.toml")
        with open(conf, "w") as f:
            f.write(f"""{token_toml('desk', TOKEN, ['scan', 'read', 'learn'])}
[reputation]
enabled = true

[reports]
enabled = true
from = "fbl-reports@isp.example"
relay = "127.0.0.1:{cls.smtp_port}"
helo = "filter.isp.example"
reporting_mta = "mx.isp.example"
dkim_key = "{cls.isp_key}"
dkim_domain = "isp.example"
dkim_selector = "reports"
own_domains = ["isp.example"]
timeout_ms = 10000

[[reports.contacts]]
match = "198.51.100.0/24"
address = "abuse@net.example"
""")
        cls.err = open(os.path.join(d, "rampartd.log"), "w")
        cls.rampartd = subprocess.Popen(
            [os.environ["RAMPARTD_BIN"], "--config", conf, "--data-dir", data, "--milter", "127.0.0.1:0", "--http",
             "127.0.0.1:%d" % cls.http_port, "--nameserver", "127.0.0.1:%d" % cls.knot_port, "--loops", "2"],
            stdout=subprocess.PIPE, stderr=cls.err, text=True)
        cls.procs.append(cls.rampartd)
        lines = []
        for _ in range(20):
            line = cls.rampartd.stdout.readline()
            lines.append(line)
            if not line or line.startswith("rampartd: ready"):
                break
        assert lines[-1].startswith("rampartd: ready"), (lines, cls.text("rampartd.log"))

    @classmethod
    def start_postfix(cls):
        d = cls.dir
        for sub in ("etc", "queue", "data", "mail"):
            os.makedirs(os.path.join(d, "pf", sub))
        pf = pwd.getpwnam("postfix")
        os.chown(os.path.join(d, "pf", "data"), pf.pw_uid, pf.pw_gid)
        os.chown(os.path.join(d, "pf", "mail"), 65534, 65534)
        with open(os.path.join(d, "pf", "etc", "master.cf"), "w") as f:
            f.write(f"127.0.0.1:{cls.smtp_port} inet n - n - - smtpd\n" + "".join(
                line + "\n" for line in [
                    "pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
                    "rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
                    "flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap",
                    "showq unix n - n - - showq", "error unix - - n - - error", "retry unix - - n - - error",
                    "discard unix - - n - - discard", "virtual unix - n n - - virtual",
                    "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
                    "postlog unix-dgram n - n - 1 postlogd"]))
        pfd = os.path.join(d, "pf")
        with open(os.path.join(pfd, "etc", "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {pfd}/queue
data_directory = {pfd}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.isp.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = esp-customer.example, net.example
virtual_mailbox_base = {pfd}/mail
virtual_mailbox_maps = inline:{{ fbl@esp-customer.example=fbl/, abuse@net.example=abuse/ }}
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
maillog_file = {pfd}/maillog
maillog_file_prefixes = {pfd}
alias_maps =
alias_database =
smtp_dns_support_level = disabled
biff = no
local_header_rewrite_clients =
""")
        r = subprocess.run([POSTFIX, "-c", os.path.join(pfd, "etc"), "start"], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr + cls.text("pf/maillog")
        cls.postfix_started = True

        def accepts():
            import socket
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", cls.smtp_port))
                return True
            except OSError:
                return False
            finally:
                s.close()
        cls.wait(accepts, "Postfix listening")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "postfix_started", False):
            subprocess.run([POSTFIX, "-c", os.path.join(cls.dir, "pf", "etc"), "stop"], capture_output=True)
        stop(cls.procs, timeout=30)
        if getattr(cls, "rampartd", None):
            cls.rampartd.stdout.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def text(cls, rel):
        try:
            with open(os.path.join(cls.dir, rel), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @classmethod
    def wait(cls, check, what, deadline_s=30):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                v = check()
                if v:
                    return v
            except Exception:  # noqa: BLE001 (polling a component that is starting)
                pass
            time.sleep(0.1)
        raise AssertionError("%s: not within %d s\nrampartd:\n%s\npostfix:\n%s" % (
            what, deadline_s, cls.text("rampartd.log")[-4000:], cls.text("pf/maillog")[-4000:]))

    @classmethod
    def dns_txt(cls, name):
        q = dns.message.make_query(name, dns.rdatatype.TXT)
        a = dns.query.udp(q, "127.0.0.1", port=cls.knot_port, timeout=2)
        for rrset in a.answer:
            for rd in rrset:
                return b"".join(rd.strings)
        return None

    def dnsfunc(self, name, timeout=5):
        return self.dns_txt(name.decode() if isinstance(name, bytes) else name)

    def http(self, method, path, body=None, token=TOKEN, headers=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), method=method,
                                     data=body if body is not None else None)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, result):
        _, text = self.http("GET", "/metrics", token=None)
        for line in text.splitlines():
            if line.startswith('rampart_outbound_reports_total{result="%s"}' % result):
                return float(line.split()[-1])
            if result == "cfbl_refused" and line.startswith("rampart_outbound_reports_cfbl_refused_total "):
                return float(line.split()[-1])
        return 0.0

    def maildir(self, box):
        new = os.path.join(self.dir, "pf", "mail", box, "new")
        if not os.path.isdir(new):
            return []
        out = []
        for n in sorted(os.listdir(new)):
            with open(os.path.join(new, n), "rb") as f:
                out.append(f.read())
        return out

    def newsletter(self, mid, cover_cfbl=True):
        msg = ("From: Deals <news@esp-customer.example>\r\n"
               f"To: Alice Smith <{SUBSCRIBER}>\r\n"
               "Subject: Super deals\r\n"
               "Date: Mon, 07 Dec 2026 03:00:00 +0000\r\n"
               f"Message-ID: <{mid}@esp-customer.example>\r\n"
               "CFBL-Address: fbl@esp-customer.example; report=arf\r\n"
               "CFBL-Feedback-ID: 42:campaign-7:list-3\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=us-ascii\r\n"
               "\r\n"
               f"Hello Alice, this went to {SUBSCRIBER}.\r\n"
               f"Unsubscribe: https://esp.example/u?e=alice.smith%40isp.example\r\n").encode()
        heads = [b"from", b"to", b"subject", b"date", b"message-id"]
        if cover_cfbl:
            heads += [b"cfbl-address", b"cfbl-feedback-id"]
        with open(self.esp_key, "rb") as f:
            key = f.read()
        sig = dkim.sign(msg, b"s1", b"esp-customer.example", key, include_headers=heads)
        return sig + msg

    def complain(self, raw, token=TOKEN):
        return self.http("POST", "/v1/learn", raw, token, {
            "X-Label": "spam", "X-Client-IP": "198.51.100.7", "X-Rcpt-To": SUBSCRIBER})

    def check_report(self, raw, to):
        # No trace of the subscriber: not the address, not the local-part, not the name.
        low = raw.lower()
        for secret in (b"alice", b"smith", SUBSCRIBER.encode()):
            self.assertNotIn(secret, low, raw.decode(errors="replace"))
        # The provider's DKIM signature verifies (dkimpy, keys from Knot).
        self.assertTrue(dkim.verify(raw, dnsfunc=self.dnsfunc), raw.decode(errors="replace"))
        m = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "feedback-report")
        self.assertIn(to, m["To"])
        parts = list(m.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/feedback-report", "text/rfc822-headers"])
        fr = parts[1].get_payload()
        fr_text = fr[0].as_string() if isinstance(fr, list) else str(fr)
        self.assertIn("Feedback-Type: abuse", fr_text)
        self.assertIn("Version: 1", fr_text)
        self.assertIn("Source-IP: 198.51.100.7", fr_text)
        self.assertIn("Original-Rcpt-To: <redacted-", fr_text)
        self.assertIn("@isp.example>", fr_text)
        headers = parts[2].get_content() if hasattr(parts[2], "get_content") else parts[2].get_payload()
        self.assertIn("CFBL-Feedback-ID: 42:campaign-7:list-3", headers)
        self.assertIn("Message-ID: <", headers)
        self.assertNotIn("Unsubscribe", headers)  # header section only
        return m

    def test_1_complaint_reports_to_cfbl_and_network_contact(self):
        raw = self.newsletter("n1")
        status, text = self.complain(raw)
        self.assertEqual(status, 200, text)
        fbl = self.wait(lambda: self.maildir("fbl"), "report at the CFBL address")
        abuse = self.wait(lambda: self.maildir("abuse"), "report at the network's abuse contact")
        self.assertEqual(len(fbl), 1)
        self.assertEqual(len(abuse), 1)
        self.check_report(fbl[0], "fbl@esp-customer.example")
        self.check_report(abuse[0], "abuse@net.example")
        self.assertEqual(self.metric("sent"), 2)

        # The same complaint again: counted as duplicates, nothing sent.
        status, text = self.complain(raw)
        self.assertEqual(status, 200, text)
        self.wait(lambda: self.metric("duplicate") >= 2, "duplicates counted")
        self.assertEqual(self.metric("sent"), 2)
        self.assertEqual(len(self.maildir("fbl")), 1)

    def test_2_uncovered_cfbl_address_gets_nothing(self):
        before_fbl = len(self.maildir("fbl"))
        before_abuse = len(self.maildir("abuse"))
        before_refused = self.metric("cfbl_refused")
        status, text = self.complain(self.newsletter("n2", cover_cfbl=False))
        self.assertEqual(status, 200, text)
        self.wait(lambda: len(self.maildir("abuse")) == before_abuse + 1, "the network contact's report")
        self.wait(lambda: self.metric("cfbl_refused") == before_refused + 1, "the CFBL refusal counted")
        self.assertEqual(len(self.maildir("fbl")), before_fbl)

    def test_3_no_token_no_complaint(self):
        sent = self.metric("sent")
        status, _ = self.complain(self.newsletter("n3"), token=None)
        self.assertIn(status, (401, 403))
        status, _ = self.complain(self.newsletter("n3"), token="wrong-token")
        self.assertIn(status, (401, 403))
        # A complaint that was accepted afterwards is reported: the refused ones were not queued before it.
        status, text = self.complain(self.newsletter("n4"))
        self.assertEqual(status, 200, text)
        self.wait(lambda: self.metric("sent") == sent + 2, "n4's two reports")
        for raw in self.maildir("fbl"):
            self.assertNotIn(b"n3@esp-customer.example", raw)


if __name__ == "__main__":
    unittest.main(verbosity=2)

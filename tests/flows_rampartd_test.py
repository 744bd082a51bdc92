#!/usr/bin/env python3
"""The bot detector inside rampartd (issues 14 and 15), end to end with real
components:

* rampartd runs [flows] (a UDP collector on a free port), live DNS zones
  ([dnsbl]) and a RocksDB reputation store in a data dir.
* Debian's softflowd reads a pcap written here (a subscriber host sending
  TCP SYNs to 150 distinct port-25 destinations, plus ordinary web traffic
  of another host) and exports its flows as NetFlow v9 or IPFIX to rampartd
  on 127.0.0.1 (the pcap's packets are never sent anywhere).
* GET /v1/incidents shows the incident with its evidence; the bot's entry
  in the live zone, asked over DNS (dnspython), carries the flow evidence
  in its TXT.
* POST /v1/incidents/ID/release: no token 401, a token without the
  override right 403 (nothing changes), with it 200; the audit log names
  who and why; a restart keeps the released incident.

Environment: RAMPARTD_BIN, RAMPART_SOURCE_DIR, SOFTFLOWD, SOFTFLOWCTL.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import dns.message
import dns.query
import dns.rdatatype

from dnsbl_support import free_port, stop
from e2e_support import poll, ready_lines, token_toml

DESK = "desk-token-with-override"
READER = "reader-token-without-override"
BOT = "100.64.0.7"
USER = "100.64.0.8"


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(src, dst, sport, dport, flags):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    return eth + ip + tcp


def write_pcap(path):
    """The bot: 150 SYN-only attempts to distinct port-25 hosts within 150 s;
    the user: 20 complete web connections. Returns the packet count."""
    t0 = time.time() - 200
    pkts = []
    for i in range(150):
        pkts.append((t0 + i, packet(BOT, "11.0.%d.%d" % (i // 200, i % 200 + 1), 40000 + i, 25, 0x02)))
    for i in range(20):
        for flags in (0x02, 0x10, 0x18, 0x11):
            pkts.append((t0 + i * 5 + 0.1, packet(USER, "192.0.2.%d" % (i + 1), 50000 + i, 443, flags)))
    pkts.sort(key=lambda p: p[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, data in pkts:
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(data), len(data)))
            f.write(data)
    return len(pkts)


def export_pcap(directory, flow_port, version):
    """softflowd reads write_pcap()'s packets and exports them as NetFlow
    `version` ("9" or "10") to 127.0.0.1:flow_port; returns once it has
    processed every packet and exited (30 s deadline)."""
    pcap = os.path.join(directory, "traffic-%s.pcap" % version)
    packets = write_pcap(pcap)
    ctl = os.path.join(directory, "softflowd-%s.ctl" % version)
    with open(os.path.join(directory, "softflowd-%s.log" % version), "w") as log:
        sf = subprocess.Popen([os.environ["SOFTFLOWD"], "-r", pcap, "-v", version, "-n", "127.0.0.1:%d" % flow_port,
                               "-p", os.path.join(directory, "sf.pid"), "-c", ctl, "-d"], stdout=log,
                              stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while sf.poll() is None:
            if time.monotonic() > deadline:
                sf.kill()
                raise AssertionError("softflowd did not process the pcap")
            if os.path.exists(ctl):
                out = subprocess.run([os.environ["SOFTFLOWCTL"], "-c", ctl, "statistics"], capture_output=True,
                                     text=True).stdout
                if "Packets processed: %d" % packets in out:
                    subprocess.run([os.environ["SOFTFLOWCTL"], "-c", ctl, "shutdown"], capture_output=True)
                    break
            time.sleep(0.05)
        if sf.wait(timeout=20) != 0:
            raise AssertionError("softflowd exited with %d" % sf.returncode)


class FlowsInRampartd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="flows-rampartd-")
        cls.dns_port = free_port()
        cls.http_port = free_port()
        cls.flow_port = free_port()
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        cls.conf = os.path.join(cls.dir, "rampart.toml")
        with open(cls.conf, "w") as f:
            f.write(f"""{token_toml('desk', DESK, ['scan', 'read', 'events', 'override'])}
{token_toml('reader', READER, ['read', 'events'])}
[dnsbl]
listen = ["127.0.0.1:{cls.dns_port}"]
rebuild_ms = 200

[[dnsbl.zones]]
name = "bl.example"
data = "ip"
list = "block"
codes = {{ spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4", manual = "127.0.0.5" }}

[flows]
listen = "127.0.0.1:{cls.flow_port}"

[flows.detector]
subscribers_dynamic = ["100.64.0.0/10"]
""")
        cls.err = open(os.path.join(cls.dir, "rampartd.log"), "w")
        cls.start_rampartd()

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
        assert "rampartd: flows udp port %d\n" % cls.flow_port in lines, lines

    @classmethod
    def stop_rampartd(cls):
        stop((cls.rampartd,), timeout=30)
        cls.rampartd.stdout.close()

    @classmethod
    def tearDownClass(cls):
        cls.stop_rampartd()
        cls.err.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log(cls):
        with open(os.path.join(cls.dir, "rampartd.log")) as f:
            return f.read()

    def wait_for(self, what, check, deadline_s=30):
        value, last = poll(check, deadline_s, (dns.exception.Timeout, OSError))
        if value:
            return value
        self.fail("%s: not within %d s (last %r)\nrampartd log:\n%s" % (what, deadline_s, last, self.log()))

    def http(self, method, path, body=None, token=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), method=method,
                                     data=body.encode() if body is not None else None)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def incidents(self, state=""):
        st, body = self.http("GET", "/v1/incidents" + ("?state=" + state if state else ""), token=READER)
        self.assertEqual(st, 200, body)
        return json.loads(body)["incidents"]

    def txt(self, name):
        q = dns.message.make_query(name, "TXT")
        r = dns.query.udp(q, "127.0.0.1", port=self.dns_port, timeout=3)
        return [b"".join(rd.strings).decode() for rrset in r.answer if rrset.rdtype == dns.rdatatype.TXT
                for rd in rrset]

    def export(self, version):
        export_pcap(self.dir, self.flow_port, version)

    def test_incident_zone_release_restart(self):
        st, body = self.http("GET", "/v1/incidents")
        self.assertEqual(st, 401, body)
        self.export(os.environ.get("FLOW_VERSION", "9"))
        inc = self.wait_for("the bot's incident", lambda: [i for i in self.incidents("open") if i["host"] == BOT])[0]
        self.assertEqual(inc["action"], "block")
        self.assertIn("port 25:", inc["summary"])
        self.assertGreaterEqual(inc["evidence"]["distinct_dst25"], 5)
        self.assertFalse([i for i in self.incidents() if i["host"] == USER])
        # The live zone lists the bot with the flow evidence in TXT.
        name = "7.0.64.100.bl.example"
        txt = self.wait_for("bot TXT with flow evidence",
                            lambda: [t for t in self.txt(name) if "flows: port 25:" in t])
        self.assertTrue(txt[0].startswith("bot: flows: port 25:"), txt)
        self.assertIn("BOT_DETECTED", txt[0])
        # Metrics.
        st, metrics = self.http("GET", "/metrics")
        self.assertIn('rampart_flow_incidents{state="open"} 1', metrics)
        self.assertIn('rampart_flow_incidents_active{action="block"} 1', metrics)
        # Release: refused without a token and without the right; nothing changes.
        path = "/v1/incidents/%d/release" % inc["id"]
        body = json.dumps({"reason": "customer cleaned the PC"})
        self.assertEqual(self.http("POST", path, body)[0], 401)
        self.assertEqual(self.http("POST", path, body, token=READER)[0], 403)
        self.assertEqual(self.incidents("open")[0]["id"], inc["id"])
        self.assertEqual(self.http("POST", path, "{\"reason\": 7}", token=DESK)[0], 400)
        self.assertEqual(self.http("POST", "/v1/incidents/99999/release", body, token=DESK)[0], 404)
        st, out = self.http("POST", path, body, token=DESK)
        self.assertEqual(st, 200, out)
        self.assertEqual(json.loads(out)["incident"]["state"], "released")
        self.assertEqual(self.http("POST", path, body, token=DESK)[0], 409)
        st, audit = self.http("GET", "/v1/audit", token=READER)
        last = json.loads(audit)["audit"][-1]
        self.assertEqual((last["action"], last["identity"], last["who"]), ("release", "ip:" + BOT, "desk"))
        self.assertIn("customer cleaned the PC", last["reason"])
        # The evidence leaves the TXT (the reputation class stays until its hysteresis lets it go).
        self.wait_for("TXT without flow evidence",
                      lambda: all("flows:" not in t for t in self.txt(name)) and self.txt(name))
        # A restart keeps it.
        type(self).stop_rampartd()
        type(self).start_rampartd()
        kept = [i for i in self.incidents() if i["id"] == inc["id"]]
        self.assertEqual(kept[0]["state"], "released")
        self.assertEqual(kept[0]["reason"], "customer cleaned the PC")
        self.assertIn("port 25:", kept[0]["summary"])


if __name__ == "__main__":
    unittest.main()

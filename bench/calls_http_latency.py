#!/usr/bin/python3
"""bench/calls_http_latency.py [NAME=]RAMPARTD ... — rampartd alone, without Kamailio: the round
trip of POST /v1/calls on one kept-alive connection (TCP_NODELAY), the body deploy/kamailio's
config builds (from, to, an A-attested Identity, Date, source_ip, call_id), the x5u chain served
over HTTPS on 127.0.0.1 and cached after the first call (20 warm-up calls, not counted). Several
binaries side by side take turns call by call (the order rotating), one rampartd each. Prints per
binary the client's p50/p90/p99/max and rampartd's own rampart_calls_assess_seconds (mean and
buckets): what the client sees beyond that is the HTTP exchange and the scheduling of the moment.

Environment: N (calls per binary, 2000). Run timed at nice -n -19 (bench/README.md, "calllat")."""
import base64, email.utils, hashlib, http.client, ipaddress, json, os, socket, ssl, subprocess, sys, tempfile
import shutil, threading, time, uuid, signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from sip_support import cert, free_port, pem

N = int(os.environ.get("N", "2000"))
bins = sys.argv[1:]
TOKEN = "rmp_calls_bench"
tmp = tempfile.mkdtemp(prefix="rampart-calls-http-bench-")
def write(name, data):
    p = os.path.join(tmp, name); open(p, "wb").write(data); return p
ca_key, sp_key, web_key, srv_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
ca = cert("STI-CA bench", ca_key, None, ca_key, True)
sp = cert("SHAKEN bench", sp_key, ca, ca_key, False)
web_ca = cert("web CA", web_key, None, web_key, True)
srv = cert("localhost", srv_key, web_ca, web_key, False, san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
write("srv.pem", pem(srv))
write("srv.key", srv_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
chain = pem(sp, ca)
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Content-Length", str(len(chain))); self.end_headers(); self.wfile.write(chain)
    def log_message(self, *a): pass
httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); tls.load_cert_chain(os.path.join(tmp, "srv.pem"), os.path.join(tmp, "srv.key"))
httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
x5u = "https://127.0.0.1:%d/sp.pem" % httpd.server_address[1]
conf = write("rampart.toml", ('[[http.tokens]]\nname = "kamailio"\nsha256 = "%s"\nrights = ["calls"]\n\n[calls]\nenabled = true\ntrust_anchors = "%s"\nhttps_ca = "%s"\n' % (
    hashlib.sha256(TOKEN.encode()).hexdigest(), write("anchors.pem", pem(ca)), write("web-ca.pem", pem(web_ca)))).encode())
key_pem = sp_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
callee = "+12025550199"
def body(caller):
    tok = jwt.encode({"attest": "A", "dest": {"tn": [callee.lstrip("+")]}, "iat": int(time.time()),
                      "orig": {"tn": caller.lstrip("+")}, "origid": str(uuid.uuid4())}, key_pem,
                     algorithm="ES256", headers={"ppt": "shaken", "typ": "passport", "x5u": x5u})
    return json.dumps({"from": caller, "to": callee.lstrip("+"), "identity": "%s;info=<%s>;alg=ES256;ppt=shaken" % (tok, x5u),
                       "date": email.utils.formatdate(usegmt=True), "source_ip": "127.0.0.1", "call_id": uuid.uuid4().hex})
auth = "Basic " + base64.b64encode(("kamailio:" + TOKEN).encode()).decode()
procs = []
try:
    res = {}
    bodies = [body("+1202%07d" % (3000000 + i)) for i in range(N + 20)]
    for b in bins:
        name, path = b.split("=", 1) if "=" in b else ("this", b)
        port = free_port()
        p = subprocess.Popen([path, "--config", conf, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:%d" % port,
                              "--zone", os.path.join(ROOT, "deploy", "demo", "example.zone"), "--loops", "1", "--log-level", "warn"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(p)
        while not p.stdout.readline().startswith("rampartd: ready"): pass
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.connect(); c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        res[name] = (c, port, [])
    names = list(res)
    for i, bd in enumerate(bodies):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            c, port, t = res[name]
            t0 = time.perf_counter()
            c.request("POST", "/v1/calls", bd, {"Content-Type": "application/json", "Authorization": auth})
            r = c.getresponse(); data = r.read()
            el = time.perf_counter() - t0
            assert r.status == 200 and b'"allow"' in data, data
            if i >= 20: t.append(el)
    for name in names:
        c, port, t = res[name]
        t.sort()
        q = lambda x: 1e3 * t[min(len(t) - 1, int(x * len(t)))]
        m = http.client.HTTPConnection("127.0.0.1", port); m.request("GET", "/metrics"); txt = m.getresponse().read().decode()
        s = [l for l in txt.splitlines() if l.startswith("rampart_calls_assess_seconds")]
        su = float([l for l in s if "_sum" in l][0].split()[-1]); cn = float([l for l in s if "_count" in l][0].split()[-1])
        print("%-8s round trip p50 %.3f p90 %.3f p99 %.3f max %.3f ms; assess mean %.3f ms; %s" % (name, q(.5), q(.9), q(.99), 1e3 * t[-1], 1e3 * su / cn,
              " ".join(l.split("le=")[1] for l in s if "bucket" in l)))
finally:
    for p in procs: p.send_signal(signal.SIGTERM)
    for p in procs: p.wait(30)
    httpd.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)

#!/usr/bin/python3
"""STIR/SHAKEN differential test (issue 16): `rampart stir verify` against
PASSporTs made by an independent JWT library (PyJWT, Debian python3-jwt), and
`rampart stir sign` checked by PyJWT, with the x5u chains served over real
HTTPS on 127.0.0.1 (Python's ssl) from a PKI made here with python3-cryptography.

Every case prints what it expects and what rampart said; the test fails on
the first difference. RAMPART_BIN names the rampart binary."""
import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

RAMPART = os.environ["RAMPART_BIN"]
NOW = int(time.time())
FROM, TO = "+1 202-555-0100", "+1 (202) 555-0199"
FROM_D, TO_D = "12025550100", "12025550199"
TNAUTH_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(cn, key, issuer_cert, issuer_key, ca, not_before, not_after, tnauth=None, san=None):
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(issuer_cert.subject if issuer_cert else name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=ca))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    if tnauth is not None:
        b = b.add_extension(x509.UnrecognizedExtension(TNAUTH_OID, tnauth), critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def der(tag, value):
    assert len(value) < 128
    return bytes([tag, len(value)]) + value


day = datetime.timedelta(days=1)
t0 = datetime.datetime.utcfromtimestamp(NOW)
ca_key, int_key, sp_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
ca = cert("STI-CA interop", ca_key, None, ca_key, True, t0 - 10 * day, t0 + 30 * day)
inter = cert("STI-CA intermediate", int_key, ca, ca_key, True, t0 - 10 * day, t0 + 30 * day)
spc = der(0x30, der(0xA0, der(0x16, b"1234")))  # TNAuthList with an SPC (RFC 8226, EXPLICIT tags)
sp = cert("SHAKEN 1234", sp_key, inter, int_key, False, t0 - day, t0 + 30 * day, tnauth=spc)
expired = cert("SHAKEN expired", sp_key, inter, int_key, False, t0 - 10 * day, t0 - day, tnauth=spc)
other_tn = der(0x30, der(0xA2, der(0x16, b"12025550111")))
narrow = cert("SHAKEN one number", sp_key, inter, int_key, False, t0 - day, t0 + 30 * day, tnauth=other_tn)
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa_cert = cert("SHAKEN rsa", rsa_key, inter, int_key, False, t0 - day, t0 + 30 * day)
rogue_key = ec.generate_private_key(ec.SECP256R1())
rogue_ca = cert("Rogue CA", rogue_key, None, rogue_key, True, t0 - 10 * day, t0 + 30 * day)
rogue_sp = cert("SHAKEN rogue", sp_key, rogue_ca, rogue_key, False, t0 - day, t0 + 30 * day)

# The HTTPS server's own PKI (not the STI-CA): trusted only through --https-ca.
web_key = ec.generate_private_key(ec.SECP256R1())
web_ca = cert("web CA", web_key, None, web_key, True, t0 - day, t0 + 30 * day)
srv_key = ec.generate_private_key(ec.SECP256R1())
import ipaddress  # noqa: E402
srv = cert("localhost", srv_key, web_ca, web_key, False, t0 - day, t0 + 30 * day,
           san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])

FILES = {
    "/sp.pem": pem(sp, inter),
    "/leaf-only.pem": pem(sp),
    "/expired.pem": pem(expired, inter),
    "/narrow.pem": pem(narrow, inter),
    "/rsa.pem": pem(rsa_cert, inter),
    "/rogue.pem": pem(rogue_sp, rogue_ca),
    "/html.pem": b"<html>not a certificate</html>",
}
HITS = {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        HITS[self.path] = HITS.get(self.path, 0) + 1
        body = FILES.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pem-certificate-chain")
        self.send_header("Cache-Control", "max-age=300")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


tmp = tempfile.mkdtemp(prefix="rampart-stir-")
def write(fname, data):
    path = os.path.join(tmp, fname)
    with open(path, "wb") as f:
        f.write(data)
    return path

anchors = write("anchors.pem", pem(ca))
https_ca = write("web-ca.pem", pem(web_ca))
write("srv.pem", pem(srv))
write("srv.key", srv_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
sp_key_pem = write("sp.key", sp_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
sp_key_sec1 = write("sp-sec1.key", sp_key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                                        serialization.NoEncryption()))
httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(os.path.join(tmp, "srv.pem"), os.path.join(tmp, "srv.key"))
httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()
BASE = f"https://127.0.0.1:{port}"

closed = socket.socket()
closed.bind(("127.0.0.1", 0))
closed_port = closed.getsockname()[1]
closed.close()  # nothing listens here now: connection refused


def passport(path="/sp.pem", attest="A", orig=FROM_D, dest=(TO_D,), iat=None, origid="de305d54-75b4-431b-adb2-eb6b9e546014",
             headers=None, key=sp_key, drop=()):
    url = BASE + path if path.startswith("/") else path
    claims = {"attest": attest, "dest": {"tn": list(dest)}, "iat": NOW if iat is None else iat,
              "orig": {"tn": orig}, "origid": origid}
    for k in drop:
        claims.pop(k, None)
    h = {"ppt": "shaken", "typ": "passport", "x5u": url}
    if headers:
        h.update(headers)
    token = jwt.encode(claims, key, algorithm="ES256", headers=h)
    return token, url


def identity(token, url, params=";alg=ES256;ppt=shaken"):
    return f"{token};info=<{url}>{params}"


def verify(ident, frm=FROM, to=TO, extra=(), with_ca=True):
    cmd = [RAMPART, "stir", "verify", "--identity", ident, "--from", frm, "--to", to, "--now", str(NOW + 5),
           "--trust-anchors", anchors, "--json", "--timeout-ms", "5000", *extra]
    if with_ca:
        cmd += ["--https-ca", https_ca]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: rampart stir verify exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


failures = 0
def case(title, got, status, verstat=None, attest="-", origid="-"):
    global failures
    verstat = verstat or ("TN-Validation-Passed" if status == 0 else "TN-Validation-Failed")
    ok = got["sip_status"] == status and got["verstat"] == verstat
    if attest != "-":
        ok = ok and got["attest"] == attest
    if origid != "-":
        ok = ok and got["origid"] == origid
    print(f"{'ok  ' if ok else 'FAIL'} {title}: expected {status} {verstat}; got {got['sip_status']} "
          f"{got['verstat']} attest={got['attest']} ({got['reason']})")
    if not ok:
        failures += 1


def b64(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- PASSporTs made by PyJWT, verified by rampart ---
for att in "ABC":
    tok, url = passport(attest=att)
    case(f"attestation {att} signed by PyJWT", verify(identity(tok, url)), 0, attest=att,
         origid="de305d54-75b4-431b-adb2-eb6b9e546014")
case("no Identity header", verify(""), 428, verstat="No-TN-Validation")
tok, url = passport()
h, p, s = tok.split(".")
bad = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
case("signature altered", verify(identity(f"{h}.{p}.{bad}", url)), 438)
other_key = ec.generate_private_key(ec.SECP256R1())
tok2, _ = passport(key=other_key)
case("signed by another key", verify(identity(tok2, url)), 438)
case("caller is not orig", verify(identity(tok, url), frm="+12025550101"), 438)
case("callee not in dest", verify(identity(tok, url), to="+12025550198"), 438)
tok3, url3 = passport(dest=("12025550177", TO_D))
case("callee second of two dest numbers", verify(identity(tok3, url3)), 0)
case("ppt parameter missing", verify(identity(tok, url, ";alg=ES256")), 438)
case("ppt parameter not shaken", verify(identity(tok, url, ";alg=ES256;ppt=div")), 438)
tok4, url4 = passport(headers={"ppt": "div"})
case("ppt in PASSporT not shaken", verify(identity(tok4, url4)), 438)
hdr_no_ppt = b64(json.dumps({"alg": "ES256", "typ": "passport", "x5u": url}, separators=(",", ":")).encode())
case("ppt missing in PASSporT", verify(identity(f"{hdr_no_ppt}.{p}.{s}", url)), 438)
none_hdr = b64(json.dumps({"alg": "none", "ppt": "shaken", "typ": "passport", "x5u": url}, separators=(",", ":")).encode())
case("alg none, no signature", verify(identity(f"{none_hdr}.{p}.", url, ";ppt=shaken")), 438)
case("alg none, a signature", verify(identity(f"{none_hdr}.{p}.{s}", url, ";ppt=shaken")), 438)
case("alg parameter none", verify(identity(tok, url, ";alg=none;ppt=shaken")), 438)
tok5, url5 = passport(attest="D")
case("attest D", verify(identity(tok5, url5)), 438)
tok6, url6 = passport(drop=("attest",))
case("attest missing", verify(identity(tok6, url6)), 438)
tok7, url7 = passport(drop=("origid",))
case("origid missing", verify(identity(tok7, url7)), 438)
case("info is not x5u", verify(identity(tok, BASE + "/other.pem")), 438)
case("payload not base64url", verify(identity(f"{h}.%%%.{s}", url)), 438)
case("payload not JSON", verify(identity(f"{h}.{b64(b'not json')}.{s}", url)), 438)
tok8, url8 = passport(iat=NOW - 120)
case("iat 2 minutes old", verify(identity(tok8, url8)), 403)
tok9, url9 = passport(iat=NOW + 120)
case("iat 2 minutes ahead", verify(identity(tok9, url9)), 403)
for path, status, title in [("/expired.pem", 437, "certificate expired"),
                            ("/leaf-only.pem", 437, "intermediate missing"),
                            ("/rogue.pem", 437, "chain to another root"),
                            ("/rsa.pem", 437, "certificate key is RSA"),
                            ("/narrow.pem", 438, "TNAuthList lists another number"),
                            ("/missing.pem", 436, "x5u answers 404"),
                            ("/html.pem", 436, "x5u holds no certificate")]:
    t, u = passport(path=path)
    case(title, verify(identity(t, u)), status)
t, u = passport(path=f"https://127.0.0.1:{closed_port}/sp.pem")
case("x5u connection refused", verify(identity(t, u)), 436)
t, u = passport()
case("HTTPS server not trusted", verify(identity(t, u), with_ca=False), 436)
t, u = passport(path=f"http://127.0.0.1:{port}/sp.pem")
case("x5u not https", verify(identity(t, u)), 436)

# Compact form (RFC 8224 section 4.1): the payload rebuilt from From, To, Date.
date = NOW + 5
compact_claims = {"dest": {"tn": [TO_D]}, "iat": date, "orig": {"tn": FROM_D}}
ctok = jwt.encode(compact_claims, sp_key, algorithm="ES256",
                  headers={"ppt": "shaken", "typ": "passport", "x5u": BASE + "/sp.pem"})
ch, cp, cs = ctok.split(".")
assert json.loads(__import__("base64").urlsafe_b64decode(cp + "==")) == compact_claims
got = verify(identity(f"{ch}..{cs}", BASE + "/sp.pem"))
case("compact form", got, 0, attest=None, origid=None)
case("compact form, other callee", verify(identity(f"{ch}..{cs}", BASE + "/sp.pem"), to="+12025550198"), 438)

# --- rampart signs, PyJWT verifies ---
for keyfile in (sp_key_pem, sp_key_sec1):
    p = subprocess.run([RAMPART, "stir", "sign", "--key", keyfile, "--x5u", BASE + "/sp.pem", "--attest", "B",
                        "--orig", FROM, "--dest", TO, "--iat", str(NOW)], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: rampart stir sign: {p.stderr}")
    value = p.stdout.strip()
    token, params = value.split(";", 1)
    decoded = jwt.decode(token, sp_key.public_key(), algorithms=["ES256"])
    header = jwt.get_unverified_header(token)
    hb, pb, _ = token.split(".")
    import base64  # noqa: E402
    raw_h = base64.urlsafe_b64decode(hb + "=" * (-len(hb) % 4)).decode()
    raw_p = base64.urlsafe_b64decode(pb + "=" * (-len(pb) % 4)).decode()
    canonical = (raw_h == json.dumps(header, sort_keys=True, separators=(",", ":")) and
                 raw_p == json.dumps(decoded, sort_keys=True, separators=(",", ":")))
    ok = (decoded["attest"] == "B" and decoded["orig"] == {"tn": FROM_D} and decoded["dest"] == {"tn": [TO_D]}
          and decoded["iat"] == NOW and len(decoded["origid"]) == 36 and header == {
              "alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": BASE + "/sp.pem"}
          and params == f"info=<{BASE}/sp.pem>;alg=ES256;ppt=shaken" and canonical)
    print(f"{'ok  ' if ok else 'FAIL'} rampart stir sign ({os.path.basename(keyfile)}) verified by PyJWT, canonical JSON")
    failures += 0 if ok else 1
    case("rampart's own signature, verified by rampart", verify(value), 0, attest="B")

p = subprocess.run([RAMPART, "stir", "verify", "--identity", "x", "--from", FROM, "--to", TO], capture_output=True)
print(f"{'ok  ' if p.returncode == 2 else 'FAIL'} bad arguments exit 2 (got {p.returncode})")
failures += 0 if p.returncode == 2 else 1

httpd.shutdown()
print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)

"""Helpers of the SIP tests and the call-latency benchmark (issue 16): free
loopback ports, a small X.509 PKI (python3-cryptography), polling with a deadline."""
import datetime
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from dnsbl_support import free_port  # noqa: F401 (the tests' one port finder, re-exported)


def wait_for(what, pred, timeout=30, log=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("%s: not within %d s\n%s" % (what, timeout, log()))


def cert(cn, key, issuer_cert, issuer_key, ca, san=None):
    t0 = datetime.datetime.utcnow()
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(issuer_cert.subject if issuer_cert else
                      x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(t0 - datetime.timedelta(days=1)).not_valid_after(t0 + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=ca))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

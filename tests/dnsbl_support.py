"""Helpers shared by the DNSBL integration tests (dnsbl_*_test.py)."""
import os
import signal
import socket
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (bound and released)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


def start_knot(knotd, kdir, knot_port, primary_port, secret, zones):
    """knotd as a secondary of rampart on 127.0.0.1: TSIG key `xfr-key`
    (hmac-sha256, `secret`), the primary at `primary_port`; `zones` is a list
    of (name, accepts_notify). Returns (process, log path, log file)."""
    os.mkdir(kdir)
    conf = os.path.join(kdir, "knot.conf")
    zone_lines = "".join(f"""  - domain: {name}
    master: primary
""" + ("    acl: notify_from_primary\n" if notify else "") for name, notify in zones)
    with open(conf, "w") as f:
        f.write(f"""server:
    rundir: "{kdir}"
    listen: 127.0.0.1@{knot_port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{kdir}"
log:
  - target: stderr
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: primary
    address: 127.0.0.1@{primary_port}
    key: xfr-key
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    key: xfr-key
    action: notify
template:
  - id: default
    storage: "{kdir}"
zone:
{zone_lines}""")
    log = os.path.join(kdir, "knotd.log")
    log_file = open(log, "w")
    proc = subprocess.Popen([knotd, "-c", conf], stdout=log_file, stderr=subprocess.STDOUT)
    return proc, log, log_file


def stop(procs, timeout=15):
    """SIGTERM each process still running, SIGKILL what does not exit in time."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def ask(port, name, qtype, tcp=False, timeout=3):
    """One non-recursive query to 127.0.0.1:port over UDP (or TCP)."""
    q = dns.message.make_query(name, qtype)
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=timeout)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)


def summary(r):
    """rcode and the records of the answer section, as a set. A CNAME (rbldnsd's
    dump maps an exclusion to a CNAME to `excluded`; a secondary serves it) is
    left out: what a DNSBL client sees is the rcode and that no A follows."""
    recs = set()
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            continue
        for rd in rrset:
            recs.add((dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return dns.rcode.to_text(r.rcode()), frozenset(recs)


def serial(port, zone):
    """The zone's SOA serial as served at port, or None when it has none yet."""
    r = ask(port, zone, "SOA")
    return r.answer[0][0].serial if r.answer and r.rcode() == dns.rcode.NOERROR else None


def a_records(port, name):
    """(rcode, sorted A addresses) for name."""
    r = ask(port, name, "A")
    return r.rcode(), sorted(rd.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset)


def txt_records(port, name):
    """The TXT answers for name, each one's strings joined."""
    r = ask(port, name, "TXT")
    return [b"".join(rd.strings).decode() for rrset in r.answer if rrset.rdtype == dns.rdatatype.TXT for rd in rrset]

"""Helpers shared by the DNSBL integration tests (dnsbl_*_test.py)."""
import os
import signal
import socket
import subprocess


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

#!/usr/bin/env python3
"""Reload without a dropped query (issue 14): `rampart dnsbl serve` answers
every query while its data is replaced, by SIGHUP and by a changed file
modification time (--check 1), each time loaded beside the old data and
swapped in.

Clients query without pause over UDP and TCP from three threads; each data
generation has its own TXT text, and the test waits (with a deadline) until
the new text is answered before the next change. Any timeout, error rcode or
missing record is a failure. The data set has 200,000 entries so that each
load takes a while with queries in flight.

Environment: RAMPART_BIN. Needs dnspython (python3-dnspython).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import dns.message
import dns.query
import dns.rcode

from dnsbl_support import free_port

ENTRIES = 200_000
QUERY = "2.0.0.127.bl.example"


def write_data(path, generation):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("$SOA 1h ns1.bl.example hostmaster.bl.example %d 1h 10m 1w 5m\n" % (generation + 1))
        f.write(":2:generation %d\n127.0.0.2\n" % generation)
        for i in range(ENTRIES):
            f.write("10.%d.%d.%d\n" % (i >> 16 & 255, i >> 8 & 255, i & 255))
    os.rename(tmp, path)  # as the rbldnsd manual advises: never rewrite in place


class Reload(unittest.TestCase):
    def test_no_query_fails_across_reloads(self):
        tmp = tempfile.mkdtemp(prefix="dnsbl-reload-")
        data = os.path.join(tmp, "bl.txt")
        write_data(data, 0)
        port = free_port()
        rampart = os.path.abspath(os.environ.get("RAMPART_BIN", "build/apps/rampart/rampart"))
        proc = subprocess.Popen([rampart, "dnsbl", "serve", "--listen", "127.0.0.1:%d" % port, "--threads", "2",
                                 "--check", "1", "bl.example:ip4set:" + data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stop = threading.Event()
        lock = threading.Lock()
        seen, failures, counts = set(), [], {"udp": 0, "tcp": 0}

        def ask(tcp):
            q = dns.message.make_query(QUERY, "TXT")
            fn = dns.query.tcp if tcp else dns.query.udp
            return fn(q, "127.0.0.1", port=port, timeout=2.0)

        def client(tcp):
            while not stop.is_set():
                try:
                    r = ask(tcp)
                    texts = [b"".join(rd.strings).decode() for rrset in r.answer for rd in rrset]
                    if r.rcode() != dns.rcode.NOERROR or len(texts) != 1:
                        raise RuntimeError("rcode %s, %d records" % (dns.rcode.to_text(r.rcode()), len(texts)))
                    with lock:
                        seen.add(texts[0])
                        counts["tcp" if tcp else "udp"] += 1
                except Exception as e:  # a timeout or a wrong answer: the failure this test is about
                    with lock:
                        failures.append("%s: %r" % ("tcp" if tcp else "udp", e))

        try:
            deadline = time.monotonic() + 30
            while True:
                self.assertIsNone(proc.poll(), "rampart exited")
                self.assertLess(time.monotonic(), deadline, "not ready")
                try:
                    if ask(False).rcode() == dns.rcode.NOERROR:
                        break
                except Exception:
                    time.sleep(0.05)
            threads = [threading.Thread(target=client, args=(tcp,)) for tcp in (False, False, True)]
            for t in threads:
                t.start()
            for gen in range(1, 9):
                # Odd generations by SIGHUP, even ones by the mtime check.
                write_data(data, gen)
                if gen % 2:
                    proc.send_signal(signal.SIGHUP)
                want = "generation %d" % gen
                deadline = time.monotonic() + 30
                while True:
                    with lock:
                        if want in seen:
                            break
                    self.assertIsNone(proc.poll(), "rampart exited")
                    self.assertLess(time.monotonic(), deadline, "%s never answered" % want)
                    time.sleep(0.02)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            self.assertGreater(counts["udp"], 100)
            self.assertGreater(counts["tcp"], 50)
        finally:
            stop.set()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            err = proc.stderr.read().decode(errors="replace")
            proc.stderr.close()
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err.count("reloaded"), 8, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)

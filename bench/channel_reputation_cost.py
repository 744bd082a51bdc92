#!/usr/bin/python3
"""What the calls' reputation events cost (issue 16): rampartd's CPU and the
wall time per POST /v1/calls, several rampartd side by side, the calls sent
to each in alternating rounds (one HTTP connection, one call at a time).

  bench/channel_reputation_cost.py 3000 main=MAIN_BUILD/apps/rampartd/rampartd:true \
      this=build/apps/rampartd/rampartd:true norep=build/apps/rampartd/rampartd:false

Each LABEL=BINARY:REPUTATION is a rampartd with [reputation] enabled =
REPUTATION (RocksDB store under a temporary --data-dir) and [calls]. CPU is
the process's (all its threads, the store's writer included: 0.5 s after
each round is left for it), from /proc/PID/stat."""
import hashlib, http.client, json, os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from cryptography.hazmat.primitives.asymmetric import ec
from sip_support import cert, free_port, pem
from e2e_support import ready_lines
# label=binary:reputation(true|false) ...; N calls per round
N = int(sys.argv[1])
SETUPS = [(a.split("=")[0], a.split("=")[1].rsplit(":", 1)[0], a.rsplit(":", 1)[1]) for a in sys.argv[2:]]
TOKEN = "rmp_cost"
d = tempfile.mkdtemp(prefix="rampart-chanrep-cost-")
key = ec.generate_private_key(ec.SECP256R1())
open(d + "/a.pem", "wb").write(pem(cert("ca", key, None, key, True)))
procs = {}
for name, binary, rep in SETUPS:
    conf = d + "/%s.toml" % name
    open(conf, "w").write('[[http.tokens]]\nname = "x"\nsha256 = "%s"\nrights = ["calls"]\n\n[reputation]\nenabled = %s\n\n[calls]\nenabled = true\ntrust_anchors = "%s"\n' % (hashlib.sha256(TOKEN.encode()).hexdigest(), rep, d + "/a.pem"))
    port = free_port()
    p = subprocess.Popen([binary, "--config", conf, "--milter", "127.0.0.1:0", "--http", "127.0.0.1:%d" % port,
                          "--data-dir", d + "/data-" + name, "--loops", "1", "--log-level", "warn"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready_lines(p)
    procs[name] = (p, port)

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

tot = {name: [0.0, 0.0, 0] for name, _, _ in SETUPS}
names = [n for n, _, _ in SETUPS]
try:
    for rnd in range(4):
        for name in (names if rnd % 2 == 0 else names[::-1]):
            p, port = procs[name]
            c = http.client.HTTPConnection("127.0.0.1", port)
            c0, t0 = cpu(p.pid), time.monotonic()
            for i in range(N):
                body = json.dumps({"from": "+1202555%04d" % (i % 9000 + 1000), "to": "+1313555%04d" % ((i * 7) % 9000 + 1000),
                                   "source_ip": "198.51.100.%d" % (i % 250), "trunk": "t%d" % (i % 5), "call_id": "c%d-%d" % (rnd, i)})
                c.request("POST", "/v1/calls", body, {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
                r = c.getresponse(); r.read()
                assert r.status == 200
            tot[name][1] += time.monotonic() - t0
            time.sleep(0.5)  # the store's writer finishes (its CPU counts)
            tot[name][0] += cpu(p.pid) - c0
            tot[name][2] += N
    for name in names:
        cs, wall, n = tot[name]
        print("%-12s calls %d  rampartd CPU %.1f us/call  wall %.1f us/call" % (name, n, cs / n * 1e6, wall / n * 1e6))
finally:
    for p, _ in procs.values():
        p.terminate(); p.wait()
    shutil.rmtree(d, True)

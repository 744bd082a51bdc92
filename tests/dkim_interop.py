#!/usr/bin/python3
# File: tests/dkim_interop.py
# dkimpy side of tests/dkim_interop_test.cc: runs a list of sign / verify
# jobs with Debian's python3-dkim (run with /usr/bin/python3).
#
#   /usr/bin/python3 tests/dkim_interop.py KEYS JOBS
#
# KEYS: "name<TAB>TXT record" lines (name without trailing dot) served by the
# dnsfunc. JOBS: one job per line, tab-separated:
#   verify       MESSAGE
#   verify-each  MESSAGE
#   sign    ALGORITHM  HEADER/BODY-CANON  DOMAIN  SELECTOR  KEYFILE  MESSAGE  OUTPUT [IDENTITY [LENGTH]]
# KEYFILE: PEM (RSA) or the base64 ed25519 seed. IDENTITY: i= ("-": none);
# LENGTH "1": add l=. Prints one line per job: "pass" / "fail" (verify, the
# top signature), one word per DKIM-Signature, top first (verify-each),
# "ok" / "error <why>" (sign). The signature field uses the message's line
# ends. Exit status 2 if dkimpy cannot be imported.
import sys

try:
    import dkim
except Exception as e:  # a missing peer must fail the test, not skip it
    print("cannot import dkim (python3-dkim): %s" % e, file=sys.stderr)
    sys.exit(2)


def main():
    keys = {}
    with open(sys.argv[1], "rb") as f:
        for line in f.read().splitlines():
            if b"\t" in line:
                name, txt = line.split(b"\t", 1)
                keys[name.lower().rstrip(b".")] = txt

    def dnsfunc(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))

    with open(sys.argv[2]) as f:
        jobs = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    for job in jobs:
        try:
            if job[0] == "verify":
                msg = open(job[1], "rb").read()
                print("pass" if dkim.verify(msg, dnsfunc=dnsfunc, minkey=1024) else "fail")
            elif job[0] == "verify-each":
                msg = open(job[1], "rb").read()
                d = dkim.DKIM(msg, minkey=1024)
                count = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
                words = []
                for k in range(count):
                    try:
                        words.append("pass" if d.verify(idx=k, dnsfunc=dnsfunc) else "fail")
                    except Exception:
                        words.append("fail")
                print(" ".join(words) if words else "none")
            elif job[0] == "sign":
                alg, canon, domain, selector, keyfile, inp, out = job[1:8]
                identity = job[8] if len(job) > 8 and job[8] != "-" else None
                length = len(job) > 9 and job[9] == "1"
                msg = open(inp, "rb").read()
                key = open(keyfile, "rb").read()
                if alg == "ed25519-sha256":
                    key = key.strip()
                hc, bc = canon.split("/")
                first = msg.find(b"\n")
                linesep = b"\n" if first >= 0 and (first == 0 or msg[first - 1:first] != b"\r") else b"\r\n"
                sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                                canonicalize=(hc.encode(), bc.encode()),
                                signature_algorithm=alg.encode(),
                                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                                identity=identity.encode() if identity else None, length=length,
                                linesep=linesep)
                with open(out, "wb") as o:
                    o.write(sig + msg)
                print("ok")
            else:
                print("error unknown job")
        except Exception as e:
            print("error %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
        sys.stdout.flush()


main()

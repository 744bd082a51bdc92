#!/usr/bin/python3
# File: tests/dkim_interop_gen.py
# Generates the message set of tests/dkim_differential_test.cc: N varied
# messages from a fixed seed, built from the RFC 5322 / RFC 2045-2046 rules
# and the corner cases of RFC 6376 3.4 canonicalization (whitespace runs,
# folds, trailing blank and whitespace-only lines, empty bodies, bodies
# without a final CRLF, 8-bit and long lines, bare LF line ends).
#
#   /usr/bin/python3 tests/dkim_interop_gen.py SEED N OUTDIR
#
# Writes OUTDIR/gen-NNN.eml and OUTDIR/manifest.tsv, one line per message:
# "name<TAB>features" (comma-separated: multipart, base64, long, 8bit,
# trailing-blank, trailing-ws, ws-runs, folded, dup-headers, empty-body,
# no-final-crlf, bare-lf). Same seed, same bytes.
import base64
import os
import random
import sys


def main():
    seed, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    words = ["alpha", "beta", "gamma", "delta", "lunch", "noon", "report", "invoice", "meeting", "hello",
             "caf\xe9", "na\xefve", "\u00fcber", "\u65e5\u672c", "\u20ac5"]
    manifest = []
    for i in range(n):
        feats = set()

        def ws():
            # a run of WSP: mostly one space, sometimes tabs and runs
            r = rnd.random()
            if r < 0.7:
                return " "
            feats.add("ws-runs")
            return rnd.choice(["  ", "\t", " \t ", "\t\t", "   "])

        def text_line(maxw=12, eight=False):
            ws_words = [w for w in words if eight or w.isascii()]
            parts = [rnd.choice(ws_words) for _ in range(rnd.randint(1, maxw))]
            line = ""
            for k, p in enumerate(parts):
                line += (ws() if k else "") + p
            if rnd.random() < 0.15:
                line += rnd.choice([" ", "\t", "  \t"])  # trailing WSP on the line
                feats.add("ws-runs")
            return line

        # ---- header section
        hdr = []
        name_case = lambda s: rnd.choice([s, s.upper(), s.lower()]) if rnd.random() < 0.2 else s
        hdr.append(name_case("From") + ":" + ws() + "Alice Example <alice@example.com>")
        hdr.append(name_case("To") + ":" + ws() + "Bob <bob@example.net>")
        subj = text_line(8)
        if rnd.random() < 0.3:
            feats.add("folded")
            subj = subj + "\r\n" + rnd.choice([" ", "\t", "  "]) + text_line(6)
        hdr.append(name_case("Subject") + ":" + ws() + subj)
        hdr.append("Date: Mon, 13 Nov 2023 10:%02d:00 +0000" % (i % 60))
        hdr.append("Message-ID: <gen-%d@example.com>" % i)
        if rnd.random() < 0.25:
            feats.add("dup-headers")
            hdr.append("Subject: second subject " + str(i))
            hdr.insert(1, "X-Tag: first")
            hdr.append("X-Tag:" + ws() + "second" + ws())
        if rnd.random() < 0.2:
            feats.add("folded")
            hdr.append("Received: from mx%d.example.org (mx.example.org [192.0.2.%d])\r\n\tby mx.example.net;"
                       "\r\n\tMon, 13 Nov 2023 10:00:00 +0000" % (i, i % 250 + 1))

        # ---- body
        kind = rnd.choice(["plain", "plain", "multipart", "long", "8bit", "empty"])
        body = []
        if kind == "empty":
            feats.add("empty-body")
        elif kind == "multipart":
            feats.update(["multipart", "base64"])
            b = "b%d_%d" % (i, rnd.randint(0, 9999))
            hdr.append("MIME-Version: 1.0")
            hdr.append('Content-Type: multipart/mixed;\r\n boundary="%s"' % b)
            body.append("This is a multi-part message in MIME format.")
            body.append("--" + b)
            body.append("Content-Type: text/plain; charset=utf-8")
            body.append("Content-Transfer-Encoding: quoted-printable")
            body.append("")
            for _ in range(rnd.randint(1, 4)):
                body.append(text_line())
            body.append("Caf=C3=A9 soft =")
            body.append("break")
            body.append("--" + b)
            body.append('Content-Type: application/octet-stream; name="x%d.bin"' % i)
            body.append("Content-Transfer-Encoding: base64")
            body.append("")
            raw = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 400)))
            enc = base64.b64encode(raw).decode()
            for k in range(0, len(enc), 76):
                body.append(enc[k:k + 76])
            body.append("--" + b + "--")
        elif kind == "long":
            feats.add("long")
            for _ in range(rnd.randint(1, 3)):
                n_chars = rnd.choice([998, 1000, 2000, 5000])
                line = "".join(rnd.choice("abcdefghij      \t") for _ in range(n_chars))
                feats.add("ws-runs")
                body.append(line)
            body.append(text_line())
        else:
            eight = kind == "8bit"
            if eight:
                feats.add("8bit")
                hdr.append("Content-Type: text/plain; charset=utf-8")
                hdr.append("Content-Transfer-Encoding: 8bit")
            for _ in range(rnd.randint(1, 8)):
                body.append(text_line(eight=eight) if rnd.random() < 0.85 else "")

        # ---- the end of the body
        end = rnd.choice(["crlf", "crlf", "blank", "ws-lines", "none", "none-ws"]) if kind != "empty" else \
            rnd.choice(["empty", "empty-crlf", "empty-blank"])
        text = "\r\n".join(body)
        if end == "crlf":
            text += "\r\n"
        elif end == "blank":
            feats.add("trailing-blank")
            text += "\r\n" * rnd.randint(2, 5)
        elif end == "ws-lines":
            feats.add("trailing-ws")
            text += "\r\n" + rnd.choice([" \r\n", "\t\r\n\r\n", "  \t \r\n \r\n"])
        elif end == "none":
            feats.add("no-final-crlf")
        elif end == "none-ws":
            feats.update(["no-final-crlf", "trailing-ws"])
            text += rnd.choice([" ", "\t", " \t ", "\r\n  ", "\r\n\t"])
        elif end == "empty":
            text = ""
        elif end == "empty-crlf":
            text = "\r\n"
        elif end == "empty-blank":
            text = "\r\n\r\n\r\n"
            feats.add("trailing-blank")

        msg = "\r\n".join(hdr) + "\r\n\r\n" + text
        if rnd.random() < 0.08:
            feats.add("bare-lf")
            msg = msg.replace("\r\n", "\n")
        name = "gen-%03d" % i
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(msg.encode("utf-8"))
        manifest.append(name + "\t" + ",".join(sorted(feats)))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")


main()

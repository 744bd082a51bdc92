#!/usr/bin/env python3
"""bench/messages_content_eval.py RAMPARTD RAMPART CORPUS.tsv — the SMS content
model in rampartd's verdicts, held out: the first half of a labelled TSV corpus
(`label<TAB>text`, e.g. the SMS Spam Collection v.1, Almeida et al., DocEng
2011; not shipped) seeds <data-dir>/sms.model with `rampart classify train`,
then a real rampartd (127.0.0.1, port 0, default [messages]) judges the other
half through POST /v1/messages/batch, each message from its own sender to its
own recipient (so only the content speaks). Prints, per label, the actions and
the share tagged or blocked."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rampartd, rampart, corpus = sys.argv[1:]
    rows = []
    with open(corpus, encoding="utf-8", errors="replace") as f:
        for line in f:
            lab, _, text = line.rstrip("\n").partition("\t")
            if lab in ("spam", "ham") and text:
                rows.append((lab, text))
    half = len(rows) // 2
    tmp = tempfile.mkdtemp(prefix="messages_content_eval.")
    proc = None
    try:
        os.makedirs(os.path.join(tmp, "data"))
        with open(os.path.join(tmp, "train.tsv"), "w", encoding="utf-8") as f:
            for lab, text in rows[:half]:
                f.write(lab + "\t" + text + "\n")
        subprocess.run([rampart, "classify", "train", "--model", os.path.join(tmp, "data", "sms.model"),
                        "--corpus", os.path.join(tmp, "train.tsv"), "--format", "tsv", "--channel", "sms"],
                       check=True, stdout=subprocess.DEVNULL)
        open(os.path.join(tmp, "rampart.toml"), "w").close()
        log = open(os.path.join(tmp, "rampartd.log"), "w")
        proc = subprocess.Popen([rampartd, "--config", os.path.join(tmp, "rampart.toml"), "--milter",
                                 "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data"),
                                 "--zone", os.devnull], stdout=subprocess.PIPE, stderr=log, text=True)
        port = None
        for line in proc.stdout:  # rampartd prints its ports, then "ready" (or exits)
            if line.startswith("rampartd: http 127.0.0.1:"):
                port = int(line.rsplit(":", 1)[1])
            if line.startswith("rampartd: ready"):
                break
        if port is None:
            sys.exit("rampartd did not start:\n" + open(os.path.join(tmp, "rampartd.log")).read())
        test = rows[half:]
        body = "".join(json.dumps({"channel": "sms", "sender": "+1202555%04d" % i,
                                   "recipients": ["+1303555%04d" % i], "text": t[:4096]}) + "\n"
                       for i, (_, t) in enumerate(test))
        req = urllib.request.Request("http://127.0.0.1:%d/v1/messages/batch" % port, data=body.encode(),
                                     method="POST")
        out = urllib.request.urlopen(req, timeout=300).read().decode().splitlines()
        if len(out) != len(test):
            sys.exit("expected %d verdicts, got %d" % (len(test), len(out)))
        counts = collections.Counter()
        for (lab, _), o in zip(test, out):
            counts[(lab, json.loads(o).get("action", "error"))] += 1
        print("trained on %d, judged %d (held out)" % (half, len(test)))
        for lab in ("spam", "ham"):
            n = sum(v for (l, _), v in counts.items() if l == lab)
            flagged = counts[(lab, "tag")] + counts[(lab, "block")]
            print("%s %d: allow %d, tag %d, block %d; tagged or blocked %.2f%%" % (
                lab, n, counts[(lab, "allow")], counts[(lab, "tag")], counts[(lab, "block")],
                100.0 * flagged / max(n, 1)))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

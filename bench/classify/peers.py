#!/usr/bin/env python3
"""bench/classify/peers.py -- run one peer filter over a TREC index with
immediate feedback, and print its figures as one JSON line.

    peers.py --peer bogofilter|spamprobe|crm114|sa-bayes --index FILE --tmp DIR [--limit N]
             [--scores FILE]

Each message, in index order: the peer scores it, then learns its true label
(train-on-everything), each with its own commands:
  bogofilter: bogofilter -T (spamicity), then -s / -n
  spamprobe:  spamprobe score, then spamprobe spam / good
  crm114:     classify <osb unique microgroom> (ham.css | spam.css), score -pR(ham),
              then learn into the true class's file
  sa-bayes:   sa_bayes.pl (SpamAssassin's Bayes alone, in one perl process)
The figures use the same definitions as `rampart classify eval`
(src/classify/metrics.h): 1-ROCA% with ties counted half, lam% with +0.5
smoothing at the peer's own threshold, the false-positive rate at 99% of
spam caught. msgs/s counts wall time of the
score-and-learn loop, process start-up included (that is how these tools are
driven by a mail system).
"""
import argparse, json, math, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))


def roca_pct(rows):
    rows = sorted(rows)
    h = s = 0
    above = 0.0
    i = 0
    while i < len(rows):
        k = i
        th = ts = 0
        while k < len(rows) and rows[k][0] == rows[i][0]:
            if rows[k][1]:
                ts += 1
            else:
                th += 1
            k += 1
        above += ts * h + 0.5 * ts * th
        h += th
        s += ts
        i = k
    return (1 - above / (h * s)) * 100 if h and s else 0.0


def lam_pct(rows, thr):
    ham = sum(1 for _, sp in rows if not sp)
    spam = len(rows) - ham
    fp = sum(1 for sc, sp in rows if not sp and sc >= thr)
    fn = sum(1 for sc, sp in rows if sp and sc < thr)
    hm = (fp + 0.5) / (ham + 0.5)
    sm = (fn + 0.5) / (spam + 0.5)
    logit = lambda p: math.log(p / (1 - p))
    x = (logit(hm) + logit(sm)) / 2
    return 100 / (1 + math.exp(-x))


def fpr_at_tpr(rows, tpr=0.99):
    """The share of ham scored at or above the lowest score that still catches
    ceil(tpr * spam) spam (src/classify/metrics.h fpr_at_tpr)."""
    spam = sorted((sc for sc, sp in rows if sp), reverse=True)
    ham = [sc for sc, sp in rows if not sp]
    if not spam or not ham:
        return 0.0
    need = min(max(math.ceil(tpr * len(spam) - 1e-9), 1), len(spam))
    t = spam[need - 1]
    return sum(1 for sc in ham if sc >= t) / len(ham)


def run(cmd, stdin=None):
    return subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def bogofilter(items, tmp):
    d = os.path.join(tmp, 'bogo')
    os.makedirs(d, exist_ok=True)
    out = []
    for spam, path in items:
        r = run(['bogofilter', '-d', d, '-T', '-I', path])
        f = r.stdout.split()
        out.append(float(f[1]) if len(f) >= 2 else 0.5)
        run(['bogofilter', '-d', d, '-s' if spam else '-n', '-I', path])
    return out, 0.5


def spamprobe(items, tmp):
    d = os.path.join(tmp, 'spamprobe')
    os.makedirs(d, exist_ok=True)
    out = []
    for spam, path in items:
        r = run(['spamprobe', '-d', d, 'score', path])
        f = r.stdout.split()
        out.append(float(f[1]) if len(f) >= 2 else 0.5)
        run(['spamprobe', '-d', d, 'spam' if spam else 'good', path])
    return out, 0.5


def crm114(items, tmp):
    d = os.path.join(tmp, 'crm')
    os.makedirs(d, exist_ok=True)
    ham_css, spam_css = os.path.join(d, 'ham.css'), os.path.join(d, 'spam.css')
    classify = ('-{ isolate (:s:) { classify <osb unique microgroom> (%s | %s) (:s:) } output /:*:s:\\n/ }'
                % (ham_css, spam_css))
    out = []
    for spam, path in items:
        score = 0.0
        if os.path.exists(ham_css) and os.path.exists(spam_css):
            with open(path, 'rb') as fh:
                r = subprocess.run(['crm', classify], stdin=fh, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            line = r.stdout.decode('utf-8', 'replace').split('\n', 1)[0]
            if 'pR:' in line:
                try:
                    score = -float(line.rsplit('pR:', 1)[1].split()[0])
                except ValueError:
                    score = 0.0
        out.append(score)
        with open(path, 'rb') as fh:
            subprocess.run(['crm', '-{ learn <osb unique microgroom> (%s) }' % (spam_css if spam else ham_css)],
                           stdin=fh, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out, 0.0


def sa_bayes(items, tmp):
    d = os.path.join(tmp, 'sa')
    text = ''.join('%s %s\n' % ('spam' if s else 'ham', p) for s, p in items)
    r = subprocess.run(['perl', os.path.join(HERE, 'sa_bayes.pl'), d], input=text, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    out = [float(l.split()[0]) for l in r.stdout.splitlines() if l.strip()]
    if len(out) != len(items):
        sys.exit('sa-bayes: %d scores for %d messages' % (len(out), len(items)))
    return out, 0.5


PEERS = {'bogofilter': bogofilter, 'spamprobe': spamprobe, 'crm114': crm114, 'sa-bayes': sa_bayes}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--peer', required=True, choices=sorted(PEERS))
    ap.add_argument('--index', required=True)
    ap.add_argument('--tmp', required=True)
    ap.add_argument('--limit', type=int, default=0)
    ap.add_argument('--scores')
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.index))
    items = []
    for line in open(a.index):
        f = line.split(None, 1)
        if len(f) != 2:
            continue
        p = f[1].strip()
        items.append((f[0].lower() == 'spam', p if p.startswith('/') else os.path.join(base, p)))
        if a.limit and len(items) >= a.limit:
            break
    os.makedirs(a.tmp, exist_ok=True)
    t0 = time.monotonic()
    scores, thr = PEERS[a.peer](items, a.tmp)
    secs = time.monotonic() - t0
    rows = [(sc, sp) for sc, (sp, _) in zip(scores, items)]
    if a.scores:
        with open(a.scores, 'w') as fh:
            fh.writelines('%.9g %s\n' % (sc, 'spam' if sp else 'ham') for sc, sp in rows)
    print(json.dumps({'peer': a.peer, 'n': len(rows), 'roca_pct': roca_pct(rows), 'lam_pct': lam_pct(rows, thr),
                      'fpr_at_99_tpr': fpr_at_tpr(rows),
                      'seconds': secs, 'msgs_per_sec': len(rows) / secs if secs > 0 else 0}))


if __name__ == '__main__':
    main()

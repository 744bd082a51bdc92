#!/usr/bin/env python3
"""Replay the SMS model's linear learners offline, exactly, to try a change.

    python3 bench/classify/replay.py [--parts first,second,whole] [--orders N]
        [--ham-cues W] [--bag K] [--ends] [--past W] [--refit K] [BUILD_DIR]

For each part of the SMS Spam Collection (as bench/classify/protocol.sh cuts
it: first half = development, second half = held out, whole corpus) and each
order (file order, then `--shuffle 1..N`), it runs `rampart classify eval
--members --features` once, then replays the ensemble's passive-aggressive
and logistic halves in Python on the very feature indices the build saw
(src/classify/model.cc learn_ensemble; float64 here, float32 there: the
replayed parts match to ~1e-4) and adds the character models and the cue
prior from the members file (neither depends on the linear halves). It prints
1-ROCA% and FPR@99 in file order and over the orders, for the default as the
build scored it, the replay, and each candidate asked for:

  --ham-cues W  a ham side of the cold-start cue prior: W x (number of ham cues,
                at most 2) taken off, fading as the prior does, 100 / (100 + n).
                The cues: an emoticon, lol/haha, lor/lah/leh/meh/wat/dun, "da",
                the &lt;#&gt; placeholder, a lone "i", i'm/i'll/i've, "..".
  --bag K       online bagging (Oza and Russell): K copies of both halves, each
                message learned Poisson(1) times per copy, the copies averaged.
  --ends        the first and last word and word pair as extra features.
  --past W      the past used again (a relaxed online SVM, Sculley and Wachman
                2007): after a message inside the passive-aggressive margin,
                one passive-aggressive pass over the W messages before it.
  --refit K     every K messages, one passive-aggressive pass over all the
                messages seen so far (seeded random order).

Pure Python (no numpy): ~1 s per part and order and candidate at load 7.
src/classify/README.md ("seventh session", "sms7") has the figures.
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (1-ROCA% and FPR@99 as the peers bench computes them)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BITS = 1 << 22


def cut(tmp):
    src = os.path.join(ROOT, 'bench/data/sms-spam-collection/SMSSpamCollection')
    with open(src, encoding='utf-8', errors='surrogateescape') as fh:
        rows = [l.rstrip('\r\n') for l in fh if '\t' in l]
    half = len(rows) // 2
    parts = {'first': rows[:half], 'second': rows[half:], 'whole': rows}
    for name, part in parts.items():
        with open(os.path.join(tmp, name + '.tsv'), 'w', encoding='utf-8', errors='surrogateescape') as out:
            out.writelines(r + '\n' for r in part)
    return {k: [r.split('\t', 1)[1] for r in v] for k, v in parts.items()}


def run_order(rampart, tmp, part, order):
    base = os.path.join(tmp, '%s.%d' % (part, order))
    args = [rampart, 'classify', 'eval', '--json', '--corpus', os.path.join(tmp, part + '.tsv'), '--format', 'tsv',
            '--channel', 'sms', '--members', base + '.mem', '--features', base + '.feat']
    if order > 0:
        args += ['--shuffle', str(order)]
    json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    labels, pos, feats = [], [], []
    with open(base + '.feat') as fh:
        for line in fh:
            p = line.split()
            labels.append(int(p[0]))
            pos.append(int(p[1]))
            feats.append([int(x) for x in p[2:]])
    with open(base + '.mem') as fh:
        mem = [[float(x) for x in l.split()] for l in fh]
    return labels, pos, feats, mem


def roca(score, y):
    return peers.roca_pct(list(zip(score, y)))


def fpr99(score, y):
    return peers.fpr_at_tpr(list(zip(score, y)))


def pa_step(wp, y, f, c):
    """One passive-aggressive (PA-I) update on binary features; True when the margin was below 1."""
    n = len(f)
    yy = 1 if y else -1
    loss = 1 - yy * sum(wp.get(i, 0.0) for i in f)
    if loss <= 0:
        return False
    pst = yy * min(c, loss / n)
    for i in f:
        wp[i] = wp.get(i, 0.0) + pst
    return True


def linear(labels, feats, c=0.1, rate=16.0, times=None, past=0, refit=0):
    """The ensemble's two linear halves (model.cc learn_ensemble), prequential.

    past=W: after a message that fell inside the passive-aggressive margin, one
    passive-aggressive pass over the W messages before it (a relaxed online
    SVM's re-optimisation on a window, Sculley and Wachman 2007).
    refit=K: every K messages, one passive-aggressive pass over every message
    seen so far, in a seeded random order.
    The logistic half learns each message once in both cases (replaying it
    made every figure worse, src/classify/README.md "sms7")."""
    wp, wl = {}, {}
    pa_out, lr_out = [0.0] * len(labels), [0.0] * len(labels)
    rng = random.Random(7)
    for t, (y, f) in enumerate(zip(labels, feats)):
        if past or refit:
            s = sum(wp.get(i, 0.0) for i in f)
            l = sum(wl.get(i, 0.0) for i in f)
            x = 1 / math.sqrt(len(f))
            pa_out[t], lr_out[t] = 2 * s, l * x / 2
            violated = pa_step(wp, y, f, c)
            g = y - 1 / (1 + math.exp(-min(40, max(-40, l * x))))
            for i in f:
                wl[i] = wl.get(i, 0.0) + rate * g * x
            if past and violated:
                for j in range(max(0, t - past), t):
                    pa_step(wp, labels[j], feats[j], c)
            if refit and (t + 1) % refit == 0:
                idx = list(range(t + 1))
                rng.shuffle(idx)
                for j in idx:
                    pa_step(wp, labels[j], feats[j], c)
            continue
        n = len(f)
        x = 1 / math.sqrt(n)
        yy = 1 if y else -1
        reps = 1 if times is None else times[t]
        for r in range(max(reps, 1)):
            s = sum(wp.get(i, 0.0) for i in f)
            l = sum(wl.get(i, 0.0) for i in f)
            if r == 0:
                pa_out[t], lr_out[t] = 2 * s, l * x / 2
            if reps == 0:
                break
            loss = 1 - yy * s
            pst = yy * min(c, loss / n) if loss > 0 else 0.0
            g = y - 1 / (1 + math.exp(-min(40, max(-40, l * x))))
            for i in f:
                if pst:
                    wp[i] = wp.get(i, 0.0) + pst
                wl[i] = wl.get(i, 0.0) + rate * g * x
    return [a + b for a, b in zip(pa_out, lr_out)]


HAM_CUES = [re.compile(p) for p in (
    r'[:;]-?[)(pPD]', r'\b(lol|haha+|hehe+)\b', r'\b(lor|lah|leh|meh|wat|dun)\b', r'\bda\b', r'&lt;|&gt;',
    r'\bi\b', r"\b(i'm|im|i'll|ill|i've)\b", r'\.\.')]
TOKEN = re.compile(r"[A-Za-z0-9\x80-\uffff$_']+(?:[.\-@,/][A-Za-z0-9\x80-\uffff$_']+)*")


def ends(text):
    def h(s, salt):
        b = (salt + s).encode('utf-8', 'surrogateescape')
        return (zlib.crc32(b) * 2654435761 + zlib.adler32(b)) % BITS
    toks = [t.lower() for t in TOKEN.findall(text)]
    if not toks:
        return []
    out = [h(toks[0], 'F:'), h(toks[-1], 'L:')]
    if len(toks) > 1:
        out += [h(toks[0] + ' ' + toks[1], 'F2:'), h(toks[-2] + ' ' + toks[-1], 'L2:')]
    return out


def poisson(rng):
    limit, k, p = math.exp(-1), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--parts', default='first')
    ap.add_argument('--orders', type=int, default=10)
    ap.add_argument('--ham-cues', type=float, default=0)
    ap.add_argument('--bag', type=int, default=0)
    ap.add_argument('--ends', action='store_true')
    ap.add_argument('--past', type=int, default=0)
    ap.add_argument('--refit', type=int, default=0)
    ap.add_argument('build', nargs='?', default=os.path.join(ROOT, 'build'))
    a = ap.parse_args()
    rampart = os.path.join(a.build, 'apps/rampart/rampart')
    if not os.access(rampart, os.X_OK):
        sys.exit('bench/classify/replay.py: %s missing (build the rampart target)' % rampart)
    with tempfile.TemporaryDirectory(prefix='rampart-classify-replay.') as tmp:
        texts = cut(tmp)
        print('SMS Spam Collection, TREC immediate feedback; 1-ROCA%% / FPR@99 in file order, '
              'then the mean (FPR@99 range) over --shuffle 1..%d' % a.orders)
        for part in a.parts.split(','):
            rows = {}
            worst = 0.0
            for order in range(a.orders + 1):
                y, pos, feats, mem = run_order(rampart, tmp, part, order)
                text = [texts[part][p] for p in pos]
                rest = [m[3] + m[4] for m in mem]  # the character models and the cue prior
                lin = linear(y, feats)
                worst = max(worst, max(abs(l - (m[1] + m[2])) for l, m in zip(lin, mem)))
                cands = {'build': [m[1] + m[2] + m[3] + m[4] for m in mem],
                         'replay': [l + r for l, r in zip(lin, rest)]}
                if a.ham_cues:
                    cands['ham-cues %g' % a.ham_cues] = [
                        s - a.ham_cues * 100.0 / (100.0 + t) * min(2, sum(1 for c in HAM_CUES if c.search(x)))
                        for t, (s, x) in enumerate(zip(cands['replay'], text))]
                if a.bag:
                    outs = []
                    for k in range(a.bag):
                        rng = random.Random(k + 1)
                        outs.append(linear(y, feats, times=[poisson(rng) for _ in y]))
                    cands['bag %d' % a.bag] = [sum(v) / a.bag + r for v, r in zip(zip(*outs), rest)]
                if a.ends:
                    f2 = [list(dict.fromkeys(f + ends(x))) for f, x in zip(feats, text)]
                    cands['ends'] = [l + r for l, r in zip(linear(y, f2), rest)]
                if a.past:
                    cands['past %d' % a.past] = [l + r for l, r in zip(linear(y, feats, past=a.past), rest)]
                if a.refit:
                    cands['refit %d' % a.refit] = [l + r for l, r in zip(linear(y, feats, refit=a.refit), rest)]
                for name, s in cands.items():
                    rows.setdefault(name, []).append((roca(s, y), fpr99(s, y)))
            for name, r in rows.items():
                line = '%-7s %-13s %.3f / %.4f' % (part, name, r[0][0], r[0][1])
                if len(r) > 1:
                    o = r[1:]
                    line += '   %d orders: %.3f / %.4f (%.4f-%.4f)' % (
                        len(o), sum(x[0] for x in o) / len(o), sum(x[1] for x in o) / len(o),
                        min(x[1] for x in o), max(x[1] for x in o))
                print(line, flush=True)
            print('%-7s replayed linear halves within %.2g of the build\'s' % (part, worst))


if __name__ == '__main__':
    main()

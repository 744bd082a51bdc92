"""Shared helpers of the blind generators (standard library only).

Every random draw comes from a random.Random seeded with a string built from
the run's seed and the name of what is drawn, so one entity's behaviour does
not depend on how many draws another entity made, and a run is reproducible.
"""

import heapq
import json
import math
import os
import random

HOUR = 3600
DAY = 86400


def rng_for(seed, *parts):
    """A random stream of its own for (seed, parts...). String seeds are hashed with SHA-512 by
    random.seed, so the stream does not depend on PYTHONHASHSEED."""
    return random.Random("/".join([str(seed)] + [str(p) for p in parts]))


def scaled(n, scale, minimum=1):
    """n entities at scale 1, at least `minimum` at any scale."""
    return max(minimum, int(round(n * scale)))


def diurnal_profile(peak_hour, depth):
    """24 hourly weights in [1-depth, 1], a cosine peaking at peak_hour (local time)."""
    return [1.0 - depth * 0.5 * (1.0 - math.cos(2 * math.pi * (h - peak_hour) / 24.0)) for h in range(24)]


def poisson_times(rng, t0, t1, per_hour, profile=None, tz_hours=0, weekend=1.0):
    """Times of a Poisson process of mean rate per_hour * profile[local hour] (* weekend on
    Saturdays and Sundays) between t0 and t1, by thinning; increasing floats."""
    if per_hour <= 0 or t1 <= t0:
        return
    top = max(profile) if profile else 1.0
    top *= max(1.0, weekend)
    lam = per_hour * top / HOUR
    t = t0
    while True:
        t += rng.expovariate(lam)
        if t >= t1:
            return
        if profile is None and weekend == 1.0:
            yield t
            continue
        local = t + tz_hours * HOUR
        w = profile[int(local // HOUR) % 24] if profile else 1.0
        # 1970-01-01 was a Thursday: day index 2 and 3 (mod 7) are Saturday and Sunday.
        if int(local // DAY) % 7 in (2, 3):
            w *= weekend
        if rng.random() * top < w:
            yield t


def burst_times(rng, start, hours, count):
    """count message times spread over `hours` from start, front-loaded (ESP queues drain fastest
    at the start of a send); increasing floats."""
    out = sorted(start + hours * HOUR * (rng.random() ** 1.6) for _ in range(count))
    return out


def write_sorted(path, streams):
    """Merge per-entity streams of (time, entity, seq, line) (each non-decreasing) into path.
    Returns the number of lines written. Memory: one pending item per stream."""
    n = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        for item in heapq.merge(*streams):
            f.write(item[3])
            n += 1
    return n


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)


SYLLABLES = ("ka ro mi ta ne su lo vi da pe ri no ba te mo ga li fu se ra zu ko an el or is un "
             "ver mar sol tri nor est ben cal dor fin gal har jor kel lum mav nex pol quin rav "
             "sten tor ulm vex wil yor zan").split()


def word(rng, lo=2, hi=3):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(lo, hi)))


class Names:
    """Unique invented names (domains, addresses) for one run."""

    def __init__(self):
        self.used = set()

    def domain(self, rng, tlds=("com", "net", "org", "io", "de", "co.uk", "fr", "nl")):
        while True:
            d = word(rng) + "." + rng.choice(tlds)
            if d not in self.used:
                self.used.add(d)
                return d

    def claim(self, d):
        self.used.add(d)


class IpAlloc:
    """Unique IPv4 addresses: from a /24 or from a random host of a set of /16 pools."""

    def __init__(self):
        self.used = set()

    def take(self, ip):
        if ip in self.used:
            return None
        self.used.add(ip)
        return ip

    def in_net24(self, rng, net24, lo=2, hi=254):
        for _ in range(1000):
            ip = "%s.%d" % (net24, rng.randint(lo, hi))
            if self.take(ip):
                return ip
        raise RuntimeError("net %s full" % net24)

    def in_pools16(self, rng, pools):
        while True:
            p = rng.choice(pools)
            ip = "%s.%d.%d" % (p, rng.randint(0, 255), rng.randint(1, 254))
            if self.take(ip):
                return ip


def parse_args(description, populations, default_population, argv):
    """The generators' shared command line: --seed, --out, --population,
    --scale, --list. Returns the parsed arguments with --out created, or None
    after printing the population names for --list; bad arguments exit 2."""
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--population", default=default_population)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--list", action="store_true", help="print the population names")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(populations))
        return None
    if a.population not in populations:
        ap.error("unknown population %r (%s)" % (a.population, ", ".join(populations)))
    if not a.scale > 0:
        ap.error("--scale must be > 0")
    if not a.out:
        ap.error("--out DIR is required")
    ensure_dir(a.out)
    return a

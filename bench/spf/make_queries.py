#!/usr/bin/env python3
"""make_queries.py -- writes bench/spf/queries.txt, the SPF benchmark's query list.

Deterministic (fixed seed): run it again after editing test.zone and commit both.
Each line is "ip sender helo", the format spfquery -file reads. For every sender
domain, client IPs are drawn from ranges its record authorises (pass) and from
ranges it does not (fail / softfail / neutral / none, depending on its "all").
"""
import ipaddress
import os
import random

rng = random.Random(7208)


def pick(net, k=1):
    n = ipaddress.ip_network(net)
    return [str(n[rng.randrange(n.num_addresses)]) for _ in range(k)]


# (sender domain, authorised ranges or hosts, share of queries)
INSIDE = {
    "gmail.test": ["74.125.0.0/16", "209.85.128.0/17", "172.217.32.0/20", "2607:f8b0:4000::/36",
                   "2a00:1450:4000::/36", "35.191.0.0/16"],
    "google.test": ["64.233.160.0/19", "2404:6800:4000::/36", "108.177.96.0/19"],
    "outlook.test": ["40.107.0.0/16", "52.100.0.0/14", "2a01:111:f403::/49", "51.4.72.0/24"],
    "amazonses.test": ["54.240.0.0/18", "23.251.224.0/19"],
    "sendgrid.test": ["167.89.0.0/17", "149.72.0.0/16"],
    "mailgun.test": ["159.135.224.0/20", "69.72.32.0/20"],
    "bigbank.test": ["198.51.100.81/32", "198.51.100.82/32", "198.51.101.83/32", "2001:db8:b:1::84/128",
                     "198.51.100.90/32", "198.51.100.0/26", "13.110.208.10/32", "136.147.182.9/32",
                     "54.240.64.0/19", "168.245.0.0/17"],
    "corp.test": ["192.0.2.10/32", "192.0.2.12/32", "2001:db8:c::20/128", "100.51.33.20/32",
                  "100.51.33.21/32", "40.92.0.0/15", "51.5.72.0/24"],
    "hosted.test": ["203.0.113.25/32", "203.0.113.26/32", "198.18.7.40/32", "76.223.176.0/20"],
    "university.test": ["192.0.2.200/32", "2001:db8:100::/48", "198.18.10.1/32", "198.18.11.1/32",
                        "192.0.2.128/25", "66.102.0.0/20", "2800:3f0:4000::/36"],
    "smallbiz.test": ["198.18.20.5/32", "198.18.21.6/32", "2001:db8:20::6/128", "146.20.113.0/24"],
    "newsletter.test": ["205.201.128.0/20", "198.2.128.0/18", "198.37.144.0/20"],
    "shop.test": ["104.47.0.0/17", "166.78.68.0/22", "216.58.192.0/19", "2c0f:fb50:4000::/36"],
    "yahoo.test": ["98.136.0.0/16", "106.10.144.0/20", "2001:4998::/32"],
    "forum.test": ["198.18.30.0/28"],
}
OUTSIDE = ["203.0.113.0/24", "198.18.200.0/24", "100.64.0.0/10", "185.220.100.0/22",
           "45.142.120.0/22", "2001:db8:bad::/48", "2a0e:1d80::/32", "91.92.240.0/20"]
SENDERS = list(INSIDE) + ["nospf.test"]
LOCALS = ["alice", "bob", "noreply", "bounces+1234-abcd", "info", "news", "billing", "j.smith"]
HELOS = ["mail-{}.example.net", "mx{}.provider.example", "smtp{}.relay.example"]

queries = []
for dom in SENDERS:
    inside = INSIDE.get(dom, [])
    n_in = 3 * len(inside)
    for i in range(n_in):
        queries.append((pick(inside[i % len(inside)])[0], dom))
    for _ in range(max(8, n_in // 2)):
        queries.append((pick(rng.choice(OUTSIDE))[0], dom))
rng.shuffle(queries)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "queries.txt")
with open(out, "w") as f:
    for ip, dom in queries:
        helo = rng.choice(HELOS).format(rng.randrange(1, 40))
        f.write(f"{ip} {rng.choice(LOCALS)}@{dom} {helo}\n")
print(f"{len(queries)} queries -> {out}")

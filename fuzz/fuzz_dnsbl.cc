// File: fuzz/fuzz_dnsbl.cc
// Fuzzes the DNSBL server's two parsers (src/dnsbl): the first byte picks
//   even: dnsbl::answer() over a query (the rest of the input) against zones
//         of every data set type, over UDP and TCP; checks that a response
//         is a response to this query (QR, same id), fits the transport
//         (512 bytes without EDNS, 1232 with it) and parses again;
//   odd:  load_dataset_text() of the rest as a data file of the type picked
//         by the second byte, then a few queries against it.
//
//   build-fuzz/fuzz_dnsbl fuzz/corpus/fuzz_dnsbl -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "dns/wire.h"
#include "dnsbl/zones.h"

using namespace rampart;

namespace {

const dnsbl::ZoneSet& zones() {
  static dnsbl::ZoneSetPtr z = [] {
    std::vector<std::pair<std::string, dnsbl::DatasetPtr>> v;
    auto add = [&](const char* zone, const char* type, std::string text) {
      auto ds = dnsbl::load_dataset_text(type, {std::move(text)});
      if (!ds) __builtin_trap();
      v.emplace_back(zone, *ds);
    };
    add("bl.example", "ip4set",
        "$SOA 1h ns1.bl.example hm.bl.example 1 1h 1h 1w 5m\n$NS 1d ns1.bl.example\n:2:Listed $\n127.0.0.2\n"
        "10.0.0.0/8\n!10.1.1.1\n10.2.0.0-10.2.3.255 :3:" +
            std::string(400, 'x') + "\n$= base $= [$]\n");
    for (int i = 0; i < 40; ++i) add("big.example", "ip4set", "10.0.0.1 :" + std::to_string(i) + ":v\n");
    add("trie.example", "ip4trie", "10.0.0.0/8 :2:t $\n10.1.0.0/16\n!10.1.2.3\n");
    add("v6.example", "ip6trie", "2001:db8::/32 :2:v6 $\n::1\n");
    add("v6t.example", "ip6tset", "2001:db8:1:2\n!2001:db8:1:2::1\n");
    add("dbl.example", "dnset", "example.com\n*.wild.example :3:w $\n.both.example\n");
    add("acl.example", "ip4set", "127.0.0.2\n");
    add("acl.example", "acl",
        "10.0.0.0/8 :refuse\n127.0.0.1 :pass\n127.0.0.0/8\n2001:db8::/32 :empty\n0/0 :3:for $\n");
    add("comb.example", "combined",
        "$SOA 1h ns.comb.example hm.comb.example 1 1 1 1 1\n$DATASET ip4set a @\n127.0.0.2\n"
        "$DATASET generic @ a\n@ MX 10 mx.comb.example\nwww A 127.0.0.8\n");
    return dnsbl::ZoneSet::build(v);
  }();
  return *z;
}

void check_reply(std::span<const uint8_t> q, const uint8_t* out, size_t n, size_t limit) {
  if (n == 0) return;
  if (n < 12 || n > limit) __builtin_trap();
  if (!(out[2] & 0x80)) __builtin_trap();                  // QR
  if (out[0] != q[0] || out[1] != q[1]) __builtin_trap();  // id
  auto h = dns::parse_header({out, n});
  if (!h) __builtin_trap();
  if (h->qdcount == 1 && h->rcode == 0) {
    dns::Answer a = dns::parse_response({out, n}, dns::RRType::A);
    if (a.status == dns::Status::kMalformed) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static dnsbl::Collector scratch;
  static uint8_t out[65535];
  if ((data[0] & 1) == 0) {
    std::span<const uint8_t> q(data + 1, size - 1);
    // The client: bits 1-3 of the first byte pick one.
    static const uint8_t kClients[8][5] = {{127, 0, 0, 1, 0},    {127, 0, 0, 9, 0},      {10, 1, 2, 3, 0},
                                           {192, 0, 2, 1, 0},    {32, 1, 13, 184, 1},    {0, 0, 0, 0, 1},
                                           {198, 51, 100, 7, 0}, {255, 255, 255, 255, 0}};
    dnsbl::Client client;
    const uint8_t* c = kClients[(data[0] >> 1) & 7];
    client.v6 = c[4];
    std::memcpy(client.addr, c, 4);
    size_t n = dnsbl::answer(zones(), q, dnsbl::Transport::kUdp, out, sizeof out, scratch, {}, &client);
    bool edns = false;
    if (n >= 12) edns = out[11] != 0;  // ARCOUNT: only our OPT
    check_reply(q, out, n, edns ? 1232 : 512);
    n = dnsbl::answer(zones(), q, dnsbl::Transport::kTcp, out, sizeof out, scratch, {}, &client);
    check_reply(q, out, n, sizeof out);
    return 0;
  }
  if (size < 2) return 0;
  static const char* kTypes[] = {"ip4set", "ip4trie", "ip6trie",  "ip6tset",
                                 "dnset",  "generic", "combined", "ip4tset"};
  const char* type = kTypes[data[1] % 8];
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  dnsbl::LoadReport report;
  auto ds = dnsbl::load_dataset_text(type, {text}, &report);
  if (!ds) return 0;
  auto zs = dnsbl::ZoneSet::build({{"z.example", *ds}});
  for (const char* name : {"2.0.0.127.z.example", "1.0.0.10.z.example", "example.com.z.example", "z.example",
                           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.z.example"}) {
    for (auto t : {dns::RRType::A, dns::RRType::TXT, dns::RRType::ANY, dns::RRType::SOA}) {
      auto q = dns::build_query(1, name, t);
      if (!q) __builtin_trap();
      size_t n = dnsbl::answer(*zs, *q, dnsbl::Transport::kUdp, out, sizeof out, scratch);
      check_reply(*q, out, n, 512);
    }
  }
  return 0;
}

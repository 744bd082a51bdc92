// File: fuzz/fuzz_dnsbl_xfr.cc
// Fuzzes the zone-transfer side of the DNSBL server (src/dnsbl/xfr.h,
// tsig.h); the first byte picks
//   0-1: Xfr::serve() of the rest as a query (AXFR, IXFR, TSIG-signed or
//        not) over TCP (0) or UDP (1) against a small zone set with a key
//        and a journal; every message sent must be a response to it (QR,
//        same id) and parse;
//   2:   tsig_verify() of the rest with a known key;
//   3:   parse_tsig_keyfile() and parse_tsig_key() of the rest as text.
//
//   build-fuzz/fuzz_dnsbl_xfr fuzz/corpus/fuzz_dnsbl_xfr -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/wire.h"
#include "dnsbl/tsig.h"
#include "dnsbl/xfr.h"

using namespace rampart;

namespace {

constexpr uint64_t kNow = 1800000000;

dnsbl::TsigKey key() {
  auto k = dnsbl::parse_tsig_key("xfr-key:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==");
  if (!k) __builtin_trap();
  return *k;
}

struct State {
  std::shared_ptr<dnsbl::Xfr> xfr;
  dnsbl::ZoneSetPtr zones;
};

State& state() {
  static State s = [] {
    dnsbl::XfrOptions o;
    o.allow.push_back(*parse_cidr("127.0.0.0/8"));
    o.keys.push_back(key());
    o.message_size = 512;  // several messages for small zones too
    State st;
    st.xfr = std::make_shared<dnsbl::Xfr>(o);
    const char* soa = "$SOA 1h ns.bl.example hm.bl.example 5 1h 1h 1w 5m\n$NS 1h ns.bl.example\n";
    for (const char* data : {":2:Listed $\n127.0.0.2\n10.1.0.0/16\n!10.1.2.3\n",
                             ":2:Listed $\n127.0.0.2\n10.1.0.0/16\n10.9.9.9 :3:x\n"}) {
      auto ds = dnsbl::load_dataset_text("ip4set", {std::string(soa) + data});
      auto dom = dnsbl::load_dataset_text("dnset", {"spam.example\n*.wild.example\n"});
      if (!ds || !dom) __builtin_trap();
      st.zones = st.xfr->update(dnsbl::ZoneSet::build({{"bl.example", *ds}, {"dbl.example", *dom}}), nullptr,
                                nullptr);
    }
    return st;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  uint8_t mode = data[0] % 4;
  if (mode <= 1) {
    State& st = state();
    dnsbl::Collector scratch;
    std::vector<std::string> out;
    st.xfr->serve(*st.zones, rest, mode == 0 ? dnsbl::Transport::kTcp : dnsbl::Transport::kUdp,
                  *IpAddress::parse("127.0.0.1"), scratch, &out, kNow);
    for (const auto& m : out) {
      if (m.size() < 12 || m.size() > 65535 || rest.size() < 2) __builtin_trap();
      const auto* b = reinterpret_cast<const uint8_t*>(m.data());
      if (!(b[2] & 0x80) || b[0] != rest[0] || b[1] != rest[1]) __builtin_trap();
      if (!dns::parse_header({b, m.size()})) __builtin_trap();
    }
  } else if (mode == 2) {
    static const std::vector<dnsbl::TsigKey> keys{key()};
    dnsbl::TsigCheck c = dnsbl::tsig_verify(rest, keys, kNow);
    if (c.rcode == 0 && c.present && c.unsigned_length >= rest.size()) __builtin_trap();
  } else {
    std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
    auto ks = dnsbl::parse_tsig_keyfile(text);
    if (ks)
      for (const auto& k : *ks)
        if (k.name.empty() || k.secret.empty()) __builtin_trap();
    auto k = dnsbl::parse_tsig_key(text);
    if (k && (k->name.empty() || k->secret.empty())) __builtin_trap();
  }
  return 0;
}

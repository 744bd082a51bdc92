// File: fuzz/fuzz_milter_session.cc
// Fuzz target: a milter session fed arbitrary packets (framed from the
// input), with the full scan pipeline over an in-memory zone. Checks that
// no input crashes or hangs the state machine, and that every byte it
// writes back is a well-formed reply.
//
//   fuzz_milter_session_replay fuzz/corpus/fuzz_milter_session
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/throttle.h"
#include "server/milter/session.h"

using namespace rampart;

namespace {
struct Sink final : server::MilterSink {
  std::string bytes;
  bool closed = false;
  void send(std::string_view b) override { bytes.append(b); }
  void close() override { closed = true; }
};

dns::ZoneResolver& zone() {
  static dns::ZoneResolver* z = [] {
    auto* r = new dns::ZoneResolver;
    auto parsed = dns::parse_zone(
        "good.test. 300 TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "_dmarc.good.test. 300 TXT \"v=DMARC1; p=reject\"\n");
    if (parsed) r->load(*parsed);
    return r;
  }();
  return *z;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeClock clock;
  static policy::PolicyConfig cfg = [] {
    policy::PolicyConfig c;
    c.authserv_id = "mx.example.net";
    c.max_scan_bytes = 4096;
    return c;
  }();
  auto throttle = std::make_shared<policy::Throttle>(clock);
  auto pipe = policy::Pipeline::create(cfg, zone(), clock, throttle);
  server::MilterStats stats;
  Sink sink;
  auto s =
      std::make_shared<server::MilterSession>([&] { return pipe; }, sink, stats, server::SessionOptions{});
  milter::Framer f(1 << 16);
  f.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  for (int i = 0; i < 10000 && !sink.closed; ++i) {
    auto p = f.next();
    if (!p || !*p) break;
    auto cmd = milter::decode(**p);
    if (!cmd) break;
    s->on_command(std::move(*cmd));
  }
  milter::Framer out;
  out.feed(sink.bytes);
  while (true) {
    auto p = out.next();
    if (!p) std::abort();
    if (!*p) break;
    if (!milter::decode_reply(**p)) std::abort();
  }
  if (out.buffered() != 0) std::abort();
  return 0;
}

// Fuzz target: whole SPF evaluation over hostile DNS data. The input is split
// on newlines into TXT records for a.test, b.test, c.test, ... (one each), so
// includes, redirects, macros and loops between them are exercised through
// dns::ZoneResolver. Evaluation must end (bounded lookups) with some result.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/spf/spf.h"
#include "dns/zone_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  rampart::dns::ZoneResolver zone;
  char label = 'a';
  size_t start = 0;
  while (start <= in.size() && label <= 'h') {
    size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    rampart::dns::Record r;
    r.type = rampart::dns::RRType::TXT;
    rampart::dns::Txt txt;
    txt.strings.emplace_back(in.substr(start, nl - start));
    r.data = txt;
    zone.add(std::string(1, label) + ".test", r);
    rampart::dns::Record a;
    a.type = rampart::dns::RRType::A;
    a.data = *rampart::IpAddress::parse("192.0.2.1");
    zone.add(std::string(1, label) + ".test", a);
    ++label;
    start = nl + 1;
  }
  rampart::spf::Evaluator ev(zone);
  rampart::spf::Request req;
  req.ip = *rampart::IpAddress::parse(size % 2 ? "192.0.2.1" : "2001:db8::1");
  req.mail_from = "user@a.test";
  req.helo = "b.test";
  auto out = ev.check_sync(req);
  if (out.dns_lookups > 11) std::abort();
  if (zone.query_count() > 500) std::abort();  // bounded work
  return 0;
}

// Fuzz target: POST /v1/calls bodies (src/server/calls_api.h): the JSON
// request parser and the form one (Kamailio's), then the decision and the
// answer as JSON and as a form (read back by the form parser) for what parsed,
// through the call-pattern detector as the service runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "channels/calls.h"
#include "channels/stir.h"
#include "console/forms.h"
#include "server/calls_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto req = server::parse_call_request(in);
  if (!req) req = server::parse_call_request_form(in);
  if (!req) return 0;
  if (req->from.empty() || req->to.empty()) std::abort();
  static channels::calls::CallPatterns patterns([] {
    channels::calls::Options o;
    o.own_ranges = {"1202555"};
    o.max_keys = 256;
    return o;
  }());
  channels::calls::Call c;
  c.time = req->date;
  c.caller = req->from;
  c.callee = req->to;
  c.trunk = req->trunk;
  c.source_ip = req->source_ip;
  c.external = req->external;
  auto a = patterns.on_invite(c);
  channels::stir::Call sc{.from_tn = req->from, .to_tn = req->to, .date = req->date};
  auto step = channels::stir::check_identity(req->identity, sc);
  channels::stir::Verdict v = std::holds_alternative<channels::stir::Verdict>(step)
                                  ? std::get<channels::stir::Verdict>(step)
                                  : channels::stir::fetch_failed("not fetched in the fuzzer");
  server::CallsConfig cfg;
  const server::CallAnswer answer = server::decide_call(a, v, cfg);
  (void)answer.to_json();
  auto form = console::parse_form(answer.to_form());
  if (!form || !console::find_field(*form, "action") ||
      *console::find_field(*form, "action") != answer.action)
    std::abort();
  return 0;
}

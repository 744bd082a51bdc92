// File: fuzz/fuzz_http.cc
// Fuzz target: rampartd's HTTP/1.1 request parser (src/server/http/parser.h)
// over a stream of pipelined requests, and the /v1/scan envelope read from
// each request's headers. A request that parses consumes at least its header
// section and never more than the buffer. Then the same bytes through an
// HttpConnection and a Router (answers at once and later, output read in
// small steps, the deadlines).
//
//   fuzz_http_replay fuzz/corpus/fuzz_http        # every build (ctest)
//   fuzz_http -max_total_time=60 fuzz/corpus/fuzz_http
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/connection.h"
#include "server/http/parser.h"
#include "server/http/router.h"
#include "server/http/scan.h"

using namespace rampart;

namespace {
// The same bytes through a connection, in two pieces, with a router that
// answers /held later and everything else at once, and output read in small
// steps: every request is answered at most once, in order, output stays
// bounded, and nothing recurses.
void through_connection(std::string_view buf) {
  server::Router router;
  std::vector<server::HttpRespond> held;
  router.add("GET", "/healthz", std::nullopt,
             [](server::HttpRequest&, std::string_view, server::HttpRespond r) {
               r(server::HttpReply{200, "ok"});
             });
  router.add(
      "POST", "/held", server::Right::kScan,
      [&](server::HttpRequest&, std::string_view, server::HttpRespond r) { held.push_back(std::move(r)); });
  server::HttpLimits lim;
  lim.max_body = 1 << 12;
  lim.max_output = 1 << 12;
  server::HttpConnStats stats;
  auto now = std::chrono::steady_clock::now();
  auto c = std::make_shared<server::HttpConnection>(router, lim, stats, now, nullptr);
  const size_t half = buf.size() / 2;
  c->on_input(buf.substr(0, half), now);
  c->on_input(buf.substr(half), now);
  for (int round = 0; round < 10000; ++round) {
    if (c->output().size() > lim.max_output + (1 << 13)) std::abort();  // one answer past the cap at most
    if (!c->output().empty()) {
      c->consumed(std::min<size_t>(c->output().size(), 512), now);
    } else if (!held.empty()) {
      auto r = std::move(held.front());
      held.erase(held.begin());
      r(server::HttpReply{200, "later"});
      r(server::HttpReply{200, "twice"});  // dropped
    } else {
      break;
    }
  }
  now += std::chrono::hours(1);
  (void)c->tick(now);
  if (stats.requests > buf.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 1000 && !buf.empty(); ++i) {
    server::HttpRequest req;
    size_t used = 0;
    std::string err;
    const server::HttpParse r = server::parse_http_request(buf, 1 << 16, req, used, err);
    if (r == server::HttpParse::kIncomplete) break;
    if (r == server::HttpParse::kError) {
      if (err.empty()) std::abort();  // an error always says why
      break;
    }
    if (used < 4 || used > buf.size() || req.body.size() > used) std::abort();
    (void)server::scan_state_from(req);
    (void)server::http_response(200, "application/json", req.body, req.keep_alive);
    buf.remove_prefix(used);
  }
  through_connection(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

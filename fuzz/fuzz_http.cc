// File: fuzz/fuzz_http.cc
// Fuzz target: rampartd's HTTP/1.1 request parser (src/server/http/parser.h)
// over a stream of pipelined requests, and the /v1/scan envelope read from
// each request's headers. A request that parses consumes at least its header
// section and never more than the buffer.
//
//   fuzz_http_replay fuzz/corpus/fuzz_http        # every build (ctest)
//   fuzz_http -max_total_time=60 fuzz/corpus/fuzz_http
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http/parser.h"
#include "server/http/scan.h"

using namespace rampart;

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
  return 0;
}

// Fuzz target: STIR/SHAKEN inputs from the network (src/channels/stir.h,
// x5u.h): the Identity header field and the PASSporT inside it, the x5u
// answer as a certificate chain with its TNAuthList, HTTP dates, Cache-Control
// and x5u URLs. The first byte picks the parser; nothing may crash, and a
// value base64url_decode accepts must encode back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "channels/stir.h"
#include "channels/x5u.h"

namespace {

// A trust store that nothing chains to: the fuzzer exercises chain parsing
// and the checks before the signature.
const char kAnchor[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfjCCASWgAwIBAgIUFDsQkahZ42kUNjJADrLMQLBnktMwCgYIKoZIzj0EAwIw\n"
    "FDESMBAGA1UEAwwJZnV6eiByb290MCAXDTI2MTIwNzAxMzYwM1oYDzIxMjYxMTEz\n"
    "MDEzNjAzWjAUMRIwEAYDVQQDDAlmdXp6IHJvb3QwWTATBgcqhkjOPQIBBggqhkjO\n"
    "PQMBBwNCAAR5fgVHwjIwyFYOsXRYH1Hl64r8wte3hXCmzUj3T3cSerhXnlK4fe90\n"
    "a6IGjzu+N0UzjtaG+/zg9in2iQ6fwkg4o1MwUTAdBgNVHQ4EFgQUUf23QdqKoPEZ\n"
    "whoQwneAAEzwHPEwHwYDVR0jBBgwFoAUUf23QdqKoPEZwhoQwneAAEzwHPEwDwYD\n"
    "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBqaDukRTkQc2M/YbIxL/92\n"
    "5cUe/bq1FCsZJYGbew0PvgIgTR+YQ8lzdEcdMkbCdypoP5WrgOwX2vh66wzYgL3T\n"
    "Pbw=\n"
    "-----END CERTIFICATE-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::channels;
  if (size == 0) return 0;
  const uint8_t which = data[0] % 6;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const stir::Call call{.from_tn = "+12025550100", .to_tn = "12025550199", .date = 1796601600};
  switch (which) {
    case 0: {
      auto step = stir::check_identity(in, call);
      if (auto* c = std::get_if<stir::Checked>(&step)) {
        static auto anchors = stir::TrustAnchors::load_pem(kAnchor);
        if (anchors) (void)stir::verify_with_chain(*c, "", *anchors, call);
      }
      break;
    }
    case 1: {
      auto l = stir::parse_tn_auth_list(in);
      if (l) (void)l->covers("12025550100");
      break;
    }
    case 2: {
      // The x5u answer: split at the first NUL into an Identity and a chain.
      size_t nul = in.find('\0');
      std::string_view identity = in.substr(0, nul);
      std::string_view chain = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
      auto step = stir::check_identity(identity, call);
      static auto anchors = stir::TrustAnchors::load_pem(kAnchor);
      stir::Checked fake;
      fake.signature.assign(64, '\1');
      fake.signing_input = "a.b";
      const stir::Checked& c =
          std::holds_alternative<stir::Checked>(step) ? std::get<stir::Checked>(step) : fake;
      if (anchors) (void)stir::verify_with_chain(c, chain, *anchors, call);
      break;
    }
    case 3: {
      auto d = stir::base64url_decode(in);
      if (d && stir::base64url_encode(*d) != in) std::abort();
      break;
    }
    case 4:
      (void)parse_http_date(in);
      (void)cache_lifetime(in, in, in, 1796601600);
      break;
    default:
      (void)parse_https_url(in);
      (void)stir::parse_identity_field(in);
      break;
  }
  return 0;
}

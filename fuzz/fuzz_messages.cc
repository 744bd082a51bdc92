// Fuzz target: SMS/IM message and complaint bodies (src/channels/messages.h):
// the JSON parsers, then the checker over what parsed (fingerprints, URL and
// number extraction, the sender and text state).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::channels::messages;
  static Checker checker([] {
    Options o;
    o.max_senders = 64;
    o.max_texts = 64;
    return o;
  }());
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto m = parse_message(in)) (void)checker.check(*m, 1796601600).to_json();
  if (auto c = parse_complaint(in)) checker.complaint(*c, 1796601600);
  (void)url_hosts(in);
  (void)phone_numbers(in);
  (void)simhash(normalise(in));
  return 0;
}

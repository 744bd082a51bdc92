// Fuzz target: the state files of the call patterns and of the SMS/IM
// checker (src/channels/calls.h, messages.h save_state/load_state), read back
// at rampartd's start. What loads is saved and read again: the call keys
// must come back whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "channels/calls.h"
#include "channels/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::channels;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNow = 1796601600;
  calls::Options co;
  co.max_keys = 64;
  co.own_ranges = {"1202"};
  calls::CallPatterns p(co);
  p.load_state(in, kNow);
  calls::CallPatterns q(co);
  if (q.load_state(p.save_state(kNow), kNow) != p.keys() || q.keys() != p.keys()) std::abort();
  calls::Call c;
  c.time = kNow;
  c.caller = "+12025550100";
  c.callee = "+12025550199";
  (void)q.on_invite(c);
  c.external = false;  // one of ours calling abroad: the toll-fraud state
  c.callee = "008827335913309";
  (void)q.on_invite(c);
  (void)q.incidents();
  messages::Options mo;
  mo.max_senders = 64;
  mo.max_texts = 64;
  messages::Checker m(mo);
  m.load_state(in, kNow);
  messages::Checker n(mo);
  n.load_state(m.save_state(kNow), kNow);
  messages::Message msg;
  msg.sender = "+12025550100";
  msg.recipients = {"+12025550199"};
  msg.text = "see https://parcel-fee.example/x or call 0800 123 4567, a text long enough to be fingerprinted";
  (void)n.check(msg, kNow).to_json();
  return 0;
}

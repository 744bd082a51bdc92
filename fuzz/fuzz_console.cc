// File: fuzz/fuzz_console.cc
// Fuzz target: the web console's parsers (src/console): a login form body,
// a query string, a Cookie header, the accounts file and the Prometheus
// text the history samples, the saved history. The first byte picks the parser; each must
// return a value or an error, never crash, and keep its bounds (at most
// kMaxFields fields; decoded fields never longer than their input).
//
//   fuzz_console_replay fuzz/corpus/fuzz_console     # every build (ctest)
//   fuzz_console -max_total_time=60 fuzz/corpus/fuzz_console
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "console/accounts.h"
#include "console/forms.h"
#include "console/history.h"
#include "console/sender_history.h"

using namespace rampart::console;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto f = parse_form(in);
      if (f) {
        if (f->size() > kMaxFields) std::abort();
        for (const auto& [k, v] : *f)
          if (k.size() + v.size() > in.size()) std::abort();
      }
      break;
    }
    case 1: {
      auto f = parse_query(in);
      if (f && f->size() > kMaxFields) std::abort();
      break;
    }
    case 2: {
      auto c = parse_cookie_header(in);
      if (c) {
        if (c->size() > kMaxFields) std::abort();
        for (const auto& [k, v] : *c)
          if (k.empty() || k.size() + v.size() > in.size()) std::abort();
      }
      break;
    }
    case 3: {
      auto s = AccountStore::parse(in, "fuzz");
      if (s) {
        // What it writes, it reads back the same.
        auto again = AccountStore::parse(s->serialize(), "again");
        if (!again || again->accounts().size() != s->accounts().size()) std::abort();
      }
      break;
    }
    case 4: {
      auto m = parse_prometheus_text(in);
      if (m) {
        History h;
        h.add(1000, *m);
        h.add(1010, *m);
        (void)h.json(Range::kHour);
        // What it writes, it reads back the same.
        History again;
        if (!again.restore(h.serialize()) || again.json(Range::kDay) != h.json(Range::kDay)) std::abort();
      }
      break;
    }
    case 5: {
      History h;
      if (h.restore(in)) {
        History again;
        if (!again.restore(h.serialize())) std::abort();
      }
      break;
    }
    case 6: {
      // The saved per-sender history: within its bounds, and read back the same.
      SenderHistory h(16, 8);
      if (h.restore(in)) {
        if (h.size() > 16) std::abort();
        SenderHistory again(16, 8);
        if (!again.restore(h.serialize()) || again.serialize() != h.serialize()) std::abort();
      }
      break;
    }
  }
  return 0;
}

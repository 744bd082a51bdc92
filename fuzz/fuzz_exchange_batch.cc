// File: fuzz/fuzz_exchange_batch.cc
// Fuzz target: the exchange's wire form (src/exchange/exchange.h): a batch
// as a member receives it from a pull answer or a push, the frames of a pull
// answer, and the seq-book file. A batch that parses is canonical: encoding
// the parsed batch again gives exactly the bytes the signature covers, so one
// batch has one encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/exchange.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::exchange;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto p = parse_batch(text)) {
    Batch again = p->batch;
    if (canonical_body(p->group, again) != text.substr(0, p->body_len)) std::abort();
    if (p->batch.items.size() > kMaxItems) std::abort();
  }
  std::string_view in = text;
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    const size_t before = in.size();
    auto f = next_frame(in);
    if (!f) break;
    if (in.size() >= before || f->size() > kMaxBatchBytes) std::abort();
    (void)parse_batch(*f);
  }
  if (auto book = SeqBook::parse(text)) {
    auto again = SeqBook::parse(book->to_text());
    if (!again || again->to_text() != book->to_text()) std::abort();
  }
  return 0;
}

// File: bench/exchange_bench.cc
// The members' exchange (src/exchange), one core: items per second
// published (policy checks, canonical form, Ed25519 signature) and applied
// (strict parse, signature check, sequence book, trust tally), beside the
// floor of the same signatures by libsodium alone over the same bytes.
//
//   build/bench/exchange_bench [--items 200000] [--batch 20000]
//
// Prints CPU seconds (CLOCK_PROCESS_CPUTIME_ID) and items/s per core. The
// time from a publish on one member to another member's zone answering is
// measured by tests/exchange_test.py (real rampartd processes), not here.
#include <sodium.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "exchange/exchange.h"

namespace {
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace rampart;
  using namespace rampart::exchange;
  size_t items = 200000, per_batch = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--items")) items = std::strtoul(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--batch")) per_batch = std::strtoul(argv[i + 1], nullptr, 10);
  }
  if (per_batch == 0 || per_batch > kMaxItems) per_batch = kMaxItems;
  auto key = SigningKey::generate();
  if (!key) return 1;
  Member m{"A", key->public_key(), std::string(64, 'a'), {}, 0, {}, {}};
  m.rights.read = m.rights.write = {DataClass::kBotIp};
  auto group = Group::parse("[group]\nname = \"bench\"\n" + member_toml(m));
  if (!group) {
    std::fprintf(stderr, "%s\n", group.error().message.c_str());
    return 1;
  }
  OutboundPolicy pol;
  pol.subscriber_networks = {*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")};
  const int64_t now = 1765000000;
  std::vector<std::string> values;
  values.reserve(items);
  for (size_t i = 0; i < items; ++i)
    values.push_back(
        fmt::format("{}.{}.{}.{}", 100 + (i >> 24) % 100, (i >> 16) & 255, (i >> 8) & 255, i & 255));

  // Publish: checks, canonical form, signature.
  double t0 = cpu_now();
  Publisher pub(*group, "A", pol);
  std::vector<std::string> wire;
  uint64_t seq = 0;
  for (size_t i = 0; i < items; ++i) {
    if (!pub.publish({DataClass::kBotIp, ItemKind::kIp, values[i], 1}, now)) return 1;
    if (pub.pending(DataClass::kBotIp) == per_batch || i + 1 == items)
      wire.push_back(sign_batch("bench", *pub.take(DataClass::kBotIp, ++seq, now), *key));
  }
  const double publish_s = cpu_now() - t0;

  // Apply: parse, verify, sequence book, tally.
  t0 = cpu_now();
  SeqBook book;
  Receiver rx(*group, book);
  Tally tally({{"A", 1.0}}, 1.0, 86400);
  size_t applied = 0, listed = 0;
  for (const auto& w : wire) {
    auto r = rx.accept(w, now);
    if (!r) {
      std::fprintf(stderr, "refused: %s\n", r.error().message.c_str());
      return 1;
    }
    applied += r->parsed.batch.items.size();
    listed += tally.add(r->parsed.batch, now).size();
  }
  const double apply_s = cpu_now() - t0;

  // The floor: the same signatures and checks by libsodium alone.
  t0 = cpu_now();
  size_t ok = 0;
  for (const auto& w : wire) {
    const size_t body = w.rfind("sig ");
    unsigned char sig[64];
    const auto s = key->sign(std::string_view(w).substr(0, body));
    std::memcpy(sig, s.data(), 64);
    ok += crypto_sign_ed25519_verify_detached(sig, reinterpret_cast<const unsigned char*>(w.data()), body,
                                              key->public_key().data()) == 0;
  }
  const double floor_s = cpu_now() - t0;

  size_t bytes = 0;
  for (const auto& w : wire) bytes += w.size();
  std::printf("exchange: %zu items in %zu batches (%zu bytes, %.1f bytes/item)\n", items, wire.size(), bytes,
              static_cast<double>(bytes) / static_cast<double>(items));
  std::printf("  publish (policy, canonical form, Ed25519 sign): %.3f s CPU, %.0f items/s per core\n",
              publish_s, static_cast<double>(items) / publish_s);
  std::printf(
      "  apply (parse, Ed25519 verify, seq book, tally): %.3f s CPU, %.0f items/s per core (%zu listed)\n",
      apply_s, static_cast<double>(applied) / apply_s, listed);
  std::printf("  floor (libsodium sign + verify of the same %zu batches): %.4f s CPU (%zu ok)\n", wire.size(),
              floor_s, ok);
  std::printf("  goal: 100000 items/s per core\n");
  return applied == items && listed == items && ok == wire.size() ? 0 : 1;
}

// File: fuzz/fuzz_arc.cc
// Fuzz target: ARC (src/auth/arc) over a whole message: the three field
// parsers on every header field, chain validation over a ZoneResolver that
// holds the ValiMail suite's public key (so seeded chains reach the crypto),
// the Authentication-Results stamp reader and sealing with cv from the
// stamp. Invariants of ChainResult and SealOutput are checked.
//
//   fuzz_arc fuzz/corpus/fuzz_arc        # libFuzzer build
//   fuzz_arc_replay fuzz/corpus/fuzz_arc # every build (ctest)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/arc/arc.h"
#include "auth/dkim/test_util.h"
#include "dns/zone_resolver.h"

namespace {

struct World {
  World() {
    // The public half of the ValiMail suite's "dummy" key (tests/data/arc).
    const std::string rec =
        "v=DKIM1; k=rsa; "
        "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
        "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/"
        "8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
        "2kryOTIKT+l/K4w3QIDAQAB";
    dns.add("dummy._domainkey.example.org", rampart::dkim::testing::txt_record(rec));
    auto k = rampart::dkim::load_private_key(
        rampart::dkim::testing::generate_pem(rampart::dkim::KeyType::kEd25519));
    if (!k) __builtin_trap();
    key = *k;
  }
  rampart::dns::ZoneResolver dns;
  rampart::dkim::PrivateKey key;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  static World world;
  std::string_view msg(reinterpret_cast<const char*>(data), size);

  const mime::HeaderSection hs = mime::HeaderSection::parse(msg);
  for (const mime::HeaderField& f : hs.fields()) {
    auto kind = arc::field_kind(f.name);
    if (!kind) continue;
    auto inst = arc::read_instance(*kind, f.value_raw);
    if (inst && (*inst < 1 || *inst > arc::kMaxInstance)) __builtin_trap();
    if (*kind == arc::FieldKind::kAar) {
      (void)arc::parse_aar(f.value_raw);
    } else if (*kind == arc::FieldKind::kAms) {
      auto m = arc::parse_ams(f.value_raw);
      if (m && (m->sig.signature.empty() || m->sig.body_hash.empty())) __builtin_trap();
    } else {
      auto s = arc::parse_seal(f.value_raw);
      if (s && s->sig.signature.empty()) __builtin_trap();
    }
  }

  arc::Validator v(world.dns);
  const arc::ChainResult r = v.validate_sync(msg);
  if (r.cv == arc::Cv::kPass &&
      (r.fail != arc::FailReason::kNone || r.instances < 1 || r.sets.size() != r.instances))
    __builtin_trap();
  if (r.cv == arc::Cv::kFail && r.fail == arc::FailReason::kNone) __builtin_trap();
  if (r.oldest_pass > r.instances) __builtin_trap();
  (void)arc::method_result(r);

  arc::SealOptions o;
  o.domain = "example.org";
  o.selector = "fuzz";
  o.authserv_id = "lists.example.org";
  o.headers = {"from", "to", "subject"};
  o.timestamp = 12345;
  o.cv = arc::stamped_cv(msg, o.authserv_id).value_or(arc::Cv::kPass);
  if (o.cv == arc::Cv::kNone) o.cv = arc::Cv::kPass;
  auto s = v.seal_sync(msg, world.key, o);
  if (s && s->added &&
      (s->instance < 1 || s->instance > arc::kMaxInstance || s->seal.empty() || s->ams.empty() ||
       s->aar.empty()))
    __builtin_trap();
  return 0;
}

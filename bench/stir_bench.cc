// STIR/SHAKEN verification speed (issue 16): verifications per second of a
// SHAKEN Identity header with a warm certificate cache (rampart's whole
// check: parse, claims, freshness, cached chain, TNAuthList, ES256), beside
// OpenSSL's ES256 verify alone on the same input (the floor), and with a
// cold cache (the chain parsed and verified every time). Goal: warm within
// 2x of the floor.
//
//   stir_bench [--seconds S]
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "channels/stir.h"
#include "channels/stir_testing.h"

using namespace rampart::channels::stir;
using namespace rampart::channels::stir::testing_pki;

namespace {

double per_op_us(double seconds, const std::function<bool()>& op, long* ops) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  long n = 0;
  while (true) {
    for (int i = 0; i < 64; ++i)
      if (!op()) {
        std::fprintf(stderr, "stir_bench: an operation failed\n");
        std::exit(1);
      }
    n += 64;
    double el = std::chrono::duration<double>(clock::now() - start).count();
    if (el >= seconds) {
      *ops = n;
      return el * 1e6 / static_cast<double>(n);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  Pki pki(
      std::string("\x30\x08\xa0\x06\x16\x04"
                  "1234",
                  10));
  const Call call{.from_tn = "+12025550100", .to_tn = "+12025550199", .date = kNow + 5};
  const std::string identity = pki.sign_call('A', "12025550100", "12025550199", kNow);
  auto step = check_identity(identity, call);
  if (!std::holds_alternative<Checked>(step)) {
    std::fprintf(stderr, "stir_bench: the PASSporT does not check\n");
    return 1;
  }
  const Checked checked = std::get<Checked>(step);

  // The floor: OpenSSL's ES256 verify of the same input (DER signature ready).
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(
      sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(checked.signature.data()), 32, nullptr),
      BN_bin2bn(reinterpret_cast<const unsigned char*>(checked.signature.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_PKEY* pub = X509_get0_pubkey(pki.sp);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  long n_floor = 0, n_warm = 0, n_cold = 0;
  const double floor_us = per_op_us(
      seconds,
      [&] {
        EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pub);
        return EVP_DigestVerify(md, der, static_cast<size_t>(der_len),
                                reinterpret_cast<const unsigned char*>(checked.signing_input.data()),
                                checked.signing_input.size()) == 1;
      },
      &n_floor);
  ChainCache cache;
  const double warm_us = per_op_us(
      seconds,
      [&] {
        auto s = check_identity(identity, call);
        const auto* c = std::get_if<Checked>(&s);
        return c && verify_with_chain(*c, pki.chain, pki.anchors, call, &cache).verstat == Verstat::kPassed;
      },
      &n_warm);
  const double cold_us = per_op_us(
      seconds,
      [&] {
        auto s = check_identity(identity, call);
        const auto* c = std::get_if<Checked>(&s);
        return c && verify_with_chain(*c, pki.chain, pki.anchors, call).verstat == Verstat::kPassed;
      },
      &n_cold);
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  std::printf("%-44s %10s %12s %8s\n", "STIR/SHAKEN verify (one core)", "us/verify", "verify/s", "vs floor");
  std::printf("%-44s %10.1f %12.0f %8.2f\n", "OpenSSL ES256 verify alone (floor)", floor_us, 1e6 / floor_us,
              1.0);
  std::printf("%-44s %10.1f %12.0f %8.2f\n", "rampart, warm certificate cache", warm_us, 1e6 / warm_us,
              warm_us / floor_us);
  std::printf("%-44s %10.1f %12.0f %8.2f\n", "rampart, cold (chain verified each time)", cold_us,
              1e6 / cold_us, cold_us / floor_us);
  std::printf("goal: warm within 2x of the floor: %s (%.2fx)\n", warm_us <= 2 * floor_us ? "met" : "NOT met",
              warm_us / floor_us);
  return 0;
}

// File: fuzz/fuzz_config.cc
// Fuzz target: rampartd's configuration (TOML through core/config.h) read by
// every section reader: policy, daemon ([server], [dns]), feedback (reputation, classify, traps,
// flushing), the reputation store choice and the HTTP tokens ([[http.tokens]], rates), then the unknown-key
// check and the settings in effect. Bad input must be an error, never a crash.
//
//   fuzz_config_replay fuzz/corpus/fuzz_config     # every build (ctest)
//   fuzz_config -max_total_time=60 fuzz/corpus/fuzz_config
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config.h"
#include "policy/feedback.h"
#include "policy/policy.h"
#include "reputation/store_factory.h"
#include "server/http/access.h"

using namespace rampart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cfg = Config::parse(std::string_view(reinterpret_cast<const char*>(data), size), "<fuzz>");
  if (!cfg) {
    if (cfg.error().message.empty()) std::abort();
    return 0;
  }
  (void)policy::PolicyConfig::from(*cfg);
  (void)policy::FeedbackConfig::from(*cfg);
  (void)policy::DaemonConfig::from(*cfg);
  (void)reputation::store_spec(*cfg, "/nonexistent-data-dir");
  (void)server::AccessControl::from(*cfg);
  auto st = cfg->finish();
  if (!st && st.error().message.empty()) std::abort();
  // The settings in effect print as TOML that parses again.
  if (!Config::parse(cfg->effective_toml(), "<effective>")) std::abort();
  return 0;
}

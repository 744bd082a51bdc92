#include <cstdio>

#include "cli.h"

namespace {
int run_version(rampart::cli::Args& a) {
  if (!a.parse({}, {})) return rampart::cli::kUsage;
  std::printf("rampart 0.1.0\n");
  return 0;
}
rampart::cli::Registrar reg("version", "print the version", run_version);
}  // namespace

// rampart token — API tokens for rampartd's HTTP API.
//
// SYNOPSIS
//   rampart token new NAME --rights RIGHT[,RIGHT...]
//
// DESCRIPTION
//   Prints a new random token (32 bytes from OpenSSL's RAND_bytes, hex, with
//   an "rmp_" prefix) on the first line, then the [[http.tokens]] lines for
//   rampart.toml: the token's name, its SHA-256 (rampartd keeps only the
//   hash) and its rights. Rights: scan, read, learn, events, reports, override, publish
//   (src/server/http/access.h). Give the token to the client; put the lines
//   in the configuration and reload rampartd (SIGHUP).
//
// DIAGNOSTICS
//   A missing or malformed NAME (letters, digits, '.', '_', '-'), an unknown
//   right or no right: one line on stderr, exit status 2. The random
//   generator failing: exit status 1.
#include <cstdio>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_HTTP)
#include "core/strings.h"
#include "server/http/access.h"

namespace {

int run_token(rampart::cli::Args& a) {
  using namespace rampart;
  if (!a.parse({"rights"}, {})) return cli::kUsage;
  const auto& pos = a.positional();
  if (pos.size() != 2 || pos[0] != "new")
    return a.usage_error("usage: rampart token new NAME --rights scan,read");
  const std::string& name = pos[1];
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789._-") != std::string::npos)
    return a.usage_error("NAME: letters, digits, '.', '_' and '-' (at most 64)");
  const auto rights = a.get("rights");
  if (!rights)
    return a.usage_error(
        "--rights is required (scan, read, learn, events, reports, override, calls, publish, admin)");
  std::string list;
  uint32_t seen = 0;
  for (std::string_view r : split(*rights, ',')) {
    r = trim(r);
    server::Right right{};
    if (!server::parse_right(r, right))
      return a.usage_error("unknown right '" + std::string(r) +
                           "' (scan, read, learn, events, reports, override, calls, publish, admin)");
    if (seen & static_cast<uint32_t>(right)) continue;
    seen |= static_cast<uint32_t>(right);
    list += (list.empty() ? "\"" : ", \"") + std::string(r) + "\"";
  }
  if (list.empty()) return a.usage_error("--rights names no right");
  auto token = server::new_token();
  if (!token) {
    std::fprintf(stderr, "rampart token: %s\n", token.error().message.c_str());
    return 1;
  }
  std::printf("%s\n\n[[http.tokens]]\nname = \"%s\"\nsha256 = \"%s\"\nrights = [%s]\n", token->c_str(),
              name.c_str(), server::token_sha256_hex(*token).c_str(), list.c_str());
  return 0;
}

rampart::cli::Registrar reg("token", "make an API token for rampartd's HTTP API", run_token);

}  // namespace
#endif  // HAVE_RAMPART_HTTP

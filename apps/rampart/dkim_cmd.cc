// rampart dkim — sign or verify DKIM signatures (RFC 6376, RFC 8463).
//
// SYNOPSIS
//   rampart dkim sign --domain D --selector S --key PEM
//                     [--algorithm rsa-sha256|ed25519-sha256]
//                     [--canonicalization relaxed/relaxed] [--headers from:to:subject...]
//                     [--timestamp T] < in > out
//   rampart dkim verify [--nameserver ADDR[:PORT]] [--zone FILE] [--dns-timeout MS]
//                       [--json] < in
//
// DESCRIPTION
//   sign writes exactly the new DKIM-Signature field followed by the
//   unchanged input. --key names a file holding a PEM private key (PKCS#1 or
//   PKCS#8, RSA or Ed25519) or the base64 32-byte Ed25519 seed of RFC 8463;
//   the algorithm follows the key unless --algorithm says otherwise.
//   --canonicalization is header/body ("relaxed" alone = relaxed/simple);
//   default relaxed/relaxed. --headers defaults to the usual fields present
//   in the message; a name given twice oversigns. --timestamp defaults to
//   now. The new field uses the input's line ends (LF if the input's first
//   line ends in a bare LF, else CRLF).
//
//   verify prints one line per signature, top first:
//     dkim=pass header.d=example.com header.i=@example.com header.s=s1 header.a=rsa-sha256 header.b=...
//   followed by "(reason)" when not a pass, or "dkim=none" without
//   signatures. --json prints an array of {"domain", "selector", "algorithm",
//   "result", "reason", "identity", "fail", "weak", "testing", "header_b"}.
//
// DIAGNOSTICS
//   verify exits 0 whatever the results. Bad arguments, an unreadable or
//   unusable key, a message that cannot be signed: one line on stderr, exit 2.
#if defined(HAVE_RAMPART_DKIM)

#include <cstdio>
#include <ctime>
#include <string>

#include "auth/dkim/dkim.h"
#include "cli.h"
#include "core/clock.h"
#include "core/strings.h"
#include "resolver_opts.h"

namespace rampart::cli {
namespace {

int run_sign(Args& a) {
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  auto domain = a.get("domain");
  auto selector = a.get("selector");
  auto key_path = a.get("key");
  if (!domain) return a.usage_error("sign: --domain is required");
  if (!selector) return a.usage_error("sign: --selector is required");
  if (!key_path) return a.usage_error("sign: --key is required");
  std::string key_text;
  if (!read_input(*key_path, key_text)) return a.usage_error("sign: cannot read key file " + *key_path);
  auto key = dkim::load_private_key(key_text);
  if (!key) return a.usage_error("sign: " + key.error().message);

  dkim::SignOptions o;
  o.domain = *domain;
  o.selector = *selector;
  if (auto alg = a.get("algorithm")) {
    auto parsed = dkim::parse_algorithm(*alg);
    if (!parsed || *parsed == dkim::Algorithm::kRsaSha1)
      return a.usage_error("sign: --algorithm must be rsa-sha256 or ed25519-sha256");
    o.algorithm = *parsed;
  }
  if (auto c = a.get("canonicalization")) {
    const size_t slash = c->find('/');
    auto hc = dkim::parse_canon(c->substr(0, slash));
    auto bc = slash == std::string::npos ? Result<dkim::Canon>(dkim::Canon::kSimple)
                                         : dkim::parse_canon(c->substr(slash + 1));
    if (!hc || !bc) return a.usage_error("sign: --canonicalization must be simple|relaxed[/simple|relaxed]");
    o.header_canon = *hc;
    o.body_canon = *bc;
  }
  if (auto h = a.get("headers")) {
    for (std::string_view name : split(*h, ':')) {
      name = trim(name);
      if (name.empty()) return a.usage_error("sign: --headers has an empty name");
      o.headers.emplace_back(name);
    }
  }
  if (auto t = a.get("timestamp")) {
    int64_t v = 0;
    if (t->empty() || t->size() > 18) return a.usage_error("sign: --timestamp must be a number of seconds");
    for (char ch : *t) {
      if (!is_digit(ch)) return a.usage_error("sign: --timestamp must be a number of seconds");
      v = v * 10 + (ch - '0');
    }
    o.timestamp = v;
  } else {
    o.timestamp = SystemClock().unix_seconds();
  }
  std::string msg;
  read_input("-", msg);
  const size_t lf = msg.find('\n');
  if (lf != std::string::npos && (lf == 0 || msg[lf - 1] != '\r')) o.eol = "\n";
  auto field = dkim::sign(msg, *key, o);
  if (!field) return a.usage_error("sign: " + field.error().message);
  std::fwrite(field->data(), 1, field->size(), stdout);
  std::fwrite(msg.data(), 1, msg.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int run_verify(Args& a) {
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);
  SystemClock clock;
  dkim::Verifier v(**resolver, clock);
  std::string msg;
  read_input("-", msg);
  const auto results = v.verify_sync(msg);
  if (a.flag("json")) {
    std::string out = "[";
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      if (i) out += ", ";
      out += "{\"domain\": \"" + json_escape(r.domain) + "\", \"selector\": \"" + json_escape(r.selector) +
             "\", \"algorithm\": \"" + json_escape(r.algorithm) + "\", \"result\": \"" +
             std::string(dkim::verdict_name(r.result)) + "\", \"reason\": \"" + json_escape(r.reason) +
             "\", \"identity\": \"" + json_escape(r.identity) + "\", \"fail\": \"" +
             std::string(dkim::fail_kind_name(r.fail)) + "\", \"weak\": " + (r.weak ? "true" : "false") +
             ", \"testing\": " + (r.testing ? "true" : "false") + ", \"header_b\": \"" +
             json_escape(r.header_b) + "\"}";
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  if (results.empty()) std::printf("dkim=none (no signatures)\n");
  for (const auto& r : results) {
    std::string line = dkim::method_result(r);
    if (!r.reason.empty()) line += " (" + r.reason + ")";
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int run_dkim(Args& a) {
  std::set<std::string> values = {"domain",           "selector", "key",      "algorithm",
                                  "canonicalization", "headers",  "timestamp"};
  values.insert(resolver_option_names().begin(), resolver_option_names().end());
  if (!a.parse(values, {"json"})) return kUsage;
  if (a.positional().empty()) return a.usage_error("expected 'sign' or 'verify'");
  const std::string& sub = a.positional()[0];
  if (sub == "sign") {
    for (const auto& n : resolver_option_names())
      if (a.get(n)) return a.usage_error("sign: --" + n + " is for verify");
    if (a.flag("json")) return a.usage_error("sign: --json is for verify");
    return run_sign(a);
  }
  if (sub == "verify") {
    for (const char* n :
         {"domain", "selector", "key", "algorithm", "canonicalization", "headers", "timestamp"})
      if (a.get(n)) return a.usage_error(std::string("verify: --") + n + " is for sign");
    return run_verify(a);
  }
  return a.usage_error("unknown subcommand '" + sub + "' (expected 'sign' or 'verify')");
}

Registrar reg("dkim", "sign or verify DKIM signatures (RFC 6376, RFC 8463)", run_dkim);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_DKIM

// rampart arc — validate or seal ARC chains (RFC 8617).
//
// SYNOPSIS
//   rampart arc seal --domain D --selector S --key PEM --srv-id ID
//                    [--headers from:to:subject...] [--timestamp T]
//                    [--cv none|pass|fail] [--results "spf=pass ...; dkim=..."]
//                    [--nameserver ADDR[:PORT]] [--zone FILE] [--dns-timeout MS] < in > out
//   rampart arc verify [--nameserver ADDR[:PORT]] [--zone FILE] [--dns-timeout MS]
//                      [--json] < in
//
// DESCRIPTION
//   seal writes the new ARC set (ARC-Seal, ARC-Message-Signature,
//   ARC-Authentication-Results, in that order) followed by the unchanged
//   input, in the form of the ValiMail signing suite. The AAR copies the
//   results of the input's Authentication-Results fields whose authserv-id
//   is --srv-id (or --results). The chain status cv= is --cv, else the
//   "arc=" result of those fields, else the result of validating the
//   incoming chain (DNS through the resolver options). --headers defaults
//   to the usual fields present; --timestamp to now. --key: PEM (PKCS#1 or
//   PKCS#8, RSA or Ed25519) or the base64 Ed25519 seed of RFC 8463. When the
//   latest ARC-Seal already says cv=fail (or the chain has 50 sets) no set
//   is added: the input is written unchanged and the reason goes to stderr.
//   The new fields use the input's line ends.
//
//   verify prints "arc=<cv>" with the oldest-pass when not 0 and, unless
//   the chain passed, "(reason)". --json prints {"cv", "reason", "fail",
//   "instances", "oldest_pass", "temporary", "sets": [{"instance", "cv",
//   "ams_domain", "ams_selector", "ams_valid", "seal_domain",
//   "seal_selector", "seal_valid"}]}.
//
// DIAGNOSTICS
//   verify exits 0 whatever the result; a key lookup that failed
//   temporarily (SERVFAIL, timeout) is "arc=temperror" ("temporary": true),
//   never "arc=fail". Bad arguments, an unreadable or
//   unusable key: one line on stderr, exit 2. seal exits 1 when the chain
//   could not be validated for a temporary reason (DNS), without output.
#if defined(HAVE_RAMPART_ARC)

#include <cstdio>
#include <string>

#include "auth/arc/arc.h"
#include "cli.h"
#include "core/clock.h"
#include "core/strings.h"
#include "resolver_opts.h"

namespace rampart::cli {
namespace {

const char* const kSealOptions[] = {"domain",  "selector",  "key", "srv-id",
                                    "headers", "timestamp", "cv",  "results"};

int run_seal(Args& a) {
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  if (a.flag("json")) return a.usage_error("seal: --json is for verify");
  auto domain = a.get("domain");
  auto selector = a.get("selector");
  auto key_path = a.get("key");
  auto srv = a.get("srv-id");
  if (!domain) return a.usage_error("seal: --domain is required");
  if (!selector) return a.usage_error("seal: --selector is required");
  if (!key_path) return a.usage_error("seal: --key is required");
  if (!srv) return a.usage_error("seal: --srv-id is required");
  std::string key_text;
  if (!read_input(*key_path, key_text)) return a.usage_error("seal: cannot read key file " + *key_path);
  auto key = dkim::load_private_key(key_text);
  if (!key) return a.usage_error("seal: " + key.error().message);

  arc::SealOptions o;
  o.domain = *domain;
  o.selector = *selector;
  o.authserv_id = *srv;
  if (auto h = a.get("headers")) {
    for (std::string_view name : split(*h, ':')) {
      name = trim(name);
      if (name.empty()) return a.usage_error("seal: --headers has an empty name");
      o.headers.emplace_back(name);
    }
  }
  if (auto t = a.get("timestamp")) {
    int64_t v = 0;
    if (t->empty() || t->size() > 18) return a.usage_error("seal: --timestamp must be a number of seconds");
    for (char ch : *t) {
      if (!is_digit(ch)) return a.usage_error("seal: --timestamp must be a number of seconds");
      v = v * 10 + (ch - '0');
    }
    o.timestamp = v;
  } else {
    o.timestamp = SystemClock().unix_seconds();
  }
  if (auto cv = a.get("cv")) {
    o.cv = arc::parse_cv(*cv);
    if (!o.cv) return a.usage_error("seal: --cv must be none, pass or fail");
  }
  if (auto r = a.get("results")) o.authentication_results = *r;
  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);

  std::string msg;
  read_input("-", msg);
  const size_t lf = msg.find('\n');
  if (lf != std::string::npos && (lf == 0 || msg[lf - 1] != '\r')) o.eol = "\n";
  arc::Validator v(**resolver);
  auto out = v.seal_sync(msg, *key, o);
  if (!out) {
    if (out.error().code == Errc::kTemporary) {
      std::fprintf(stderr, "rampart arc: %s\n", out.error().message.c_str());
      return 1;
    }
    return a.usage_error("seal: " + out.error().message);
  }
  if (!out->added) std::fprintf(stderr, "rampart arc: %s\n", out->reason.c_str());
  const std::string fields = out->fields();
  std::fwrite(fields.data(), 1, fields.size(), stdout);
  std::fwrite(msg.data(), 1, msg.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

std::string opt_bool(const std::optional<bool>& b) {
  if (!b) return "null";
  return *b ? "true" : "false";
}

int run_verify(Args& a) {
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  for (const char* n : kSealOptions)
    if (a.get(n)) return a.usage_error(std::string("verify: --") + n + " is for seal");
  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);
  arc::Validator v(**resolver);
  std::string msg;
  read_input("-", msg);
  const arc::ChainResult r = v.validate_sync(msg);
  if (a.flag("json")) {
    std::string out = "{\"cv\": \"" + std::string(arc::cv_name(r.cv)) + "\", \"reason\": \"" +
                      json_escape(r.reason) + "\", \"fail\": \"" +
                      std::string(arc::fail_reason_name(r.fail)) +
                      "\", \"instances\": " + std::to_string(r.instances) +
                      ", \"oldest_pass\": " + std::to_string(r.oldest_pass) +
                      ", \"temporary\": " + (r.temporary() ? "true" : "false") + ", \"sets\": [";
    for (size_t i = 0; i < r.sets.size(); ++i) {
      const arc::SetResult& s = r.sets[i];
      if (i) out += ", ";
      out += "{\"instance\": " + std::to_string(s.instance) + ", \"cv\": \"" +
             std::string(arc::cv_name(s.cv)) + "\", \"ams_domain\": \"" + json_escape(s.ams_domain) +
             "\", \"ams_selector\": \"" + json_escape(s.ams_selector) +
             "\", \"ams_valid\": " + opt_bool(s.ams_valid) + ", \"seal_domain\": \"" +
             json_escape(s.seal_domain) + "\", \"seal_selector\": \"" + json_escape(s.seal_selector) +
             "\", \"seal_valid\": " + opt_bool(s.seal_valid) + "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  std::string line = arc::method_result(r);
  if (r.cv != arc::Cv::kPass && !r.reason.empty()) line += " (" + r.reason + ")";
  std::printf("%s\n", line.c_str());
  return 0;
}

int run_arc(Args& a) {
  std::set<std::string> values(std::begin(kSealOptions), std::end(kSealOptions));
  values.insert(resolver_option_names().begin(), resolver_option_names().end());
  if (!a.parse(values, {"json"})) return kUsage;
  if (a.positional().empty()) return a.usage_error("expected 'seal' or 'verify'");
  const std::string& sub = a.positional()[0];
  if (sub == "seal") return run_seal(a);
  if (sub == "verify") return run_verify(a);
  return a.usage_error("unknown subcommand '" + sub + "' (expected 'seal' or 'verify')");
}

Registrar reg("arc", "validate or seal ARC chains (RFC 8617)", run_arc);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_ARC

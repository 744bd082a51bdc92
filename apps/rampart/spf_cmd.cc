// rampart spf — check SPF (RFC 7208) for a client IP, HELO and MAIL FROM.
//
// SYNOPSIS
//   rampart spf --ip IP --helo NAME --mail-from ADDR [--nameserver ADDR[:PORT]]
//               [--zone FILE] [--dns-timeout MS] [--receiver NAME]
//               [--default-explanation TEXT] [--helo-check] [--json]
//
// DESCRIPTION
//   Evaluates the MAIL FROM identity (the HELO identity when --mail-from is
//   empty, RFC 7208 2.4) and prints the result, the reason and the
//   Received-SPF header. --helo-check evaluates the HELO identity instead.
//   With --json: {"result", "explanation", "received_spf", "reason",
//   "mechanism", "domain", "identity", "dns_lookups"}.
//
// DIAGNOSTICS
//   Exit status 0 whatever the SPF result; 2 with a one-line error for a bad
//   argument or an unreadable zone file.
#include <cstdio>

#include "auth/spf/spf.h"
#include "cli.h"
#include "resolver_opts.h"

namespace rampart::cli {
namespace {

int run_spf(Args& a) {
  std::set<std::string> values = {"ip", "helo", "mail-from", "receiver", "default-explanation"};
  values.insert(resolver_option_names().begin(), resolver_option_names().end());
  if (!a.parse(values, {"json", "helo-check"})) return kUsage;
  if (!a.positional().empty()) return a.usage_error("unexpected argument '" + a.positional()[0] + "'");
  auto ip_text = a.get("ip");
  if (!ip_text) return a.usage_error("--ip is required");
  auto ip = IpAddress::parse(*ip_text);
  if (!ip) return a.usage_error("--ip: " + ip.error().message);
  if (!a.get("helo") && !a.get("mail-from")) return a.usage_error("--helo or --mail-from is required");
  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);

  spf::Options opt;
  opt.default_explanation = a.get_or("default-explanation", "");
  spf::Evaluator ev(**resolver, opt);
  spf::Request req;
  req.ip = *ip;
  req.helo = a.get_or("helo", "");
  req.mail_from = a.get_or("mail-from", "");
  if (req.mail_from.size() >= 2 && req.mail_from.front() == '<' && req.mail_from.back() == '>')
    req.mail_from = req.mail_from.substr(1, req.mail_from.size() - 2);
  req.receiver = a.get_or("receiver", "rampart");
  spf::Outcome out = a.flag("helo-check") ? ev.check_helo_sync(req) : ev.check_sync(req);
  const std::string header = spf::received_spf(req, out);

  if (a.flag("json")) {
    std::printf(
        "{\"result\": \"%s\", \"explanation\": \"%s\", \"received_spf\": \"%s\", \"reason\": \"%s\", "
        "\"mechanism\": \"%s\", \"domain\": \"%s\", \"identity\": \"%s\", \"dns_lookups\": %u}\n",
        std::string(spf::verdict_name(out.result)).c_str(), json_escape(out.explanation).c_str(),
        json_escape(header).c_str(), json_escape(out.reason).c_str(), json_escape(out.mechanism).c_str(),
        json_escape(out.domain).c_str(), json_escape(out.identity).c_str(), out.dns_lookups);
  } else {
    std::printf("result:      %s\n", std::string(spf::verdict_name(out.result)).c_str());
    std::printf("identity:    %s (%s)\n", out.identity.c_str(), out.identity_kind.c_str());
    std::printf("reason:      %s\n", out.reason.c_str());
    if (!out.explanation.empty()) std::printf("explanation: %s\n", out.explanation.c_str());
    std::printf("lookups:     %u DNS-querying terms, %u void\n", out.dns_lookups, out.void_lookups);
    std::printf("%s\n", header.c_str());
  }
  return 0;
}

Registrar reg("spf", "check SPF (RFC 7208) for an IP, HELO and MAIL FROM", run_spf);

}  // namespace
}  // namespace rampart::cli

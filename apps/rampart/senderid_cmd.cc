// rampart senderid — Sender ID (RFC 4406) check of a message file.
//
// SYNOPSIS
//   rampart senderid --ip IP --message FILE [--scope pra|mfrom] [--mail-from ADDR]
//                    [--helo NAME] [--nameserver ADDR[:PORT]] [--zone FILE]
//                    [--dns-timeout MS] [--json]
//
// DESCRIPTION
//   Reads the message (FILE, or "-" for standard input), finds its Purported
//   Responsible Address (RFC 4407) for the pra scope (the default) or takes
//   --mail-from for the mfrom scope, and evaluates it against the domain's
//   spf2.0 (else v=spf1) record. With --json prints one object:
//     {"result": "pass", "pra": "alice@example.com" | null, "scope": "pra",
//      "reason": "..."}
//   otherwise a readable form. DNS: see resolver_opts.h.
//
// DIAGNOSTICS
//   Bad argument, unreadable file or resolver set-up failure: one line on
//   stderr, exit status 2. Otherwise exit status 0, whatever the result.
#if defined(HAVE_RAMPART_SENDERID) && defined(HAVE_RAMPART_SPF)

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "auth/senderid/senderid.h"
#include "cli.h"
#include "core/strings.h"
#include "resolver_opts.h"

namespace rampart::cli {
namespace {

bool read_file(const std::string& path, std::string& out, std::string& err) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    err = "cannot read " + path;
    return false;
  }
  out = ss.str();
  return true;
}

int run_senderid(Args& a) {
  if (!a.parse(with_resolver_options({"ip", "message", "scope", "mail-from", "helo"}), {"json"}))
    return kUsage;
  if (!a.positional().empty()) return a.usage_error("unexpected argument '" + a.positional()[0] + "'");
  auto ip_text = a.get("ip");
  if (!ip_text) return a.usage_error("--ip is required");
  auto ip = IpAddress::parse(*ip_text);
  if (!ip) return a.usage_error("bad --ip '" + *ip_text + "'");
  auto path = a.get("message");
  if (!path) return a.usage_error("--message is required");
  auto scope = senderid::parse_scope(a.get_or("scope", "pra"));
  if (!scope) return a.usage_error(scope.error().message);

  senderid::Request req;
  req.ip = *ip;
  req.scope = *scope;
  req.helo = a.get_or("helo", "");
  std::string mail_from = a.get_or("mail-from", "");
  if (mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>')
    mail_from = mail_from.substr(1, mail_from.size() - 2);
  req.mail_from = mail_from;
  if (req.scope == senderid::Scope::kMfrom && req.mail_from.empty() && req.helo.empty())
    return a.usage_error("--scope mfrom needs --mail-from (or --helo for the null sender)");

  std::string message, err;
  if (!read_file(*path, message, err)) return a.usage_error(err);

  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);

  senderid::Checker sid(**resolver);
  senderid::Outcome out = sid.check_message_sync(req, message);
  const std::string result(spf::verdict_name(out.spf.result));
  const std::string scope_text(senderid::scope_name(out.scope));
  // RFC 8601 resinfo for method sender-id: "sender-id=pass header.sender=a@b".
  std::string authres = "sender-id=" + result;
  if (out.scope == senderid::Scope::kPra && out.pra) {
    authres += " header." + to_lower(senderid::pra_source_name(out.pra_source)) + "=" + *out.pra;
  } else if (out.scope == senderid::Scope::kMfrom) {
    authres += " smtp.mailfrom=" + (req.mail_from.empty() ? "postmaster@" + req.helo : req.mail_from);
  }
  if (a.flag("json")) {
    std::string pra = out.pra ? "\"" + json_escape(*out.pra) + "\"" : "null";
    std::printf(
        "{\"result\": \"%s\", \"pra\": %s, \"scope\": \"%s\", \"reason\": \"%s\", \"header\": \"%s\"}\n",
        result.c_str(), pra.c_str(), scope_text.c_str(), json_escape(out.reason).c_str(),
        json_escape("Authentication-Results: rampart; " + authres).c_str());
    return 0;
  }
  std::printf("senderid: %s\n", result.c_str());
  std::printf("  scope:  %s\n", scope_text.c_str());
  if (out.pra) {
    std::printf("  pra:    %s (from %s)\n", out.pra->c_str(),
                std::string(senderid::pra_source_name(out.pra_source)).c_str());
  } else if (out.scope == senderid::Scope::kPra) {
    std::printf("  pra:    none\n");
  } else {
    std::printf("  mfrom:  %s\n",
                req.mail_from.empty() ? ("postmaster@" + req.helo).c_str() : req.mail_from.c_str());
  }
  std::printf("  reason: %s\n", out.reason.c_str());
  if (!out.spf.explanation.empty()) std::printf("  explanation: %s\n", out.spf.explanation.c_str());
  std::printf("Authentication-Results: rampart; %s\n", authres.c_str());
  return 0;
}

Registrar reg("senderid", "Sender ID (RFC 4406): check a message's PRA or MAIL FROM", run_senderid);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_SENDERID && HAVE_RAMPART_SPF

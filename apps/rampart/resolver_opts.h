// File: apps/rampart/resolver_opts.h
// The resolver every DNS-using subcommand builds from the same three options:
//   --nameserver ADDR[:PORT]  every query to that server (libunbound forwarder,
//                             no recursion of its own, no /etc/resolv.conf);
//                             IPv6 as ADDR or [ADDR]:PORT
//   --zone FILE               answers from an RFC 1035 master file (ZoneResolver)
//   --dns-timeout MS          an unanswered query becomes kTimeout (temperror)
// Neither --nameserver nor --zone: libunbound with /etc/resolv.conf.
//
//   auto opts = cli::with_resolver_options({"ip", "helo", "mail-from"});
//   if (!args.parse(opts, {"json"})) return cli::kUsage;
//   auto resolver = cli::make_resolver(args);
//   if (!resolver) return args.usage_error(resolver.error().message);
//   spf::Evaluator spf(**resolver);
//
// DIAGNOSTICS: make_resolver() fails (message ready for Args::usage_error,
// exit status 2) on a bad address, port or timeout, an unreadable or
// malformed zone file, --zone together with --nameserver, or a resolver that
// cannot be set up.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "cli.h"
#include "core/result.h"
#include "dns/resolver.h"

namespace rampart::cli {

constexpr int kDefaultDnsTimeoutMs = 3000;

// {"nameserver", "zone", "dns-timeout"}: the options make_resolver() reads.
const std::set<std::string>& resolver_option_names();
// `with_value` plus resolver_option_names().
std::set<std::string> with_resolver_options(std::set<std::string> with_value);

// "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" -> libunbound forwarder "ADDR@PORT"
// (port 53 when absent).
Result<std::string> parse_nameserver(std::string_view text);

// Builds the resolver the parsed --nameserver / --zone / --dns-timeout ask for.
Result<std::unique_ptr<dns::Resolver>> make_resolver(const Args& args,
                                                     int default_timeout_ms = kDefaultDnsTimeoutMs);

}  // namespace rampart::cli

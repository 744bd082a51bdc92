// File: src/auth/spf/spf.h
// SPF (RFC 7208) and the Sender ID record selection (RFC 4406) on top of it:
// decides whether a client IP may send mail for a domain.
//
//   dns::CachingResolver resolver(...);
//   spf::Evaluator spf(resolver, spf::Options{});
//   spf::Request req{.ip = *IpAddress::parse("192.0.2.1"), .helo = "mx.example.org",
//                    .mail_from = "alice@example.com"};
//   spf::Outcome out = spf.check_sync(req);        // blocking (CLI, tests)
//   spf.check(req, [](spf::Outcome o) { ... });     // async, callback once
//   std::string h = spf::received_spf(req, out, "mx.receiver.net");
//
// check() evaluates the MAIL FROM identity (or the HELO identity when
// MAIL FROM is empty, with postmaster@helo, RFC 7208 2.4); check_helo()
// evaluates the HELO identity alone (2.3). Scope selects the records:
// kSpf1 uses "v=spf1" only; kSenderIdMfrom / kSenderIdPra prefer
// "spf2.0/<scopes>" records and fall back to "v=spf1" (RFC 4406 3.3/4.4).
//
// DIAGNOSTICS: DNS failures give kTempError; syntax errors, more than 10 DNS
// mechanisms or more than 2 void lookups give kPermError; Outcome::reason
// always says which term decided and why.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "auth/spf/record.h"
#include "core/clock.h"
#include "core/ip.h"
#include "dns/resolver.h"

namespace rampart::spf {

enum class Verdict { kNone, kNeutral, kPass, kFail, kSoftFail, kTempError, kPermError };

std::string_view verdict_name(Verdict v);  // "pass", "softfail", "temperror", ...

struct Request {
  IpAddress ip;
  std::string helo;       // HELO/EHLO argument as given
  std::string mail_from;  // reverse-path without <>; empty for the null sender
  // For kSenderIdPra: the PRA mailbox (local@domain). Ignored otherwise.
  std::string pra;
  Scope scope = Scope::kSpf1;
  std::string receiver = "unknown";  // %{r} macro: the receiving host's name
};

struct Options {
  unsigned max_dns_mechanisms = 10;  // RFC 7208 4.6.4
  unsigned max_void_lookups = 2;     // RFC 7208 4.6.4
  unsigned max_mx_names = 10;        // per mx mechanism
  unsigned max_ptr_names = 10;       // per ptr mechanism / %{p}
  // Explanation used for fail when the record has no exp= (macros allowed).
  std::string default_explanation;
  // Wall clock for the %{t} macro in explanations; null: the system clock.
  const Clock* clock = nullptr;
};

struct Outcome {
  Verdict result = Verdict::kNone;
  std::string explanation;    // expanded exp= text (fail only), else empty
  std::string reason;         // human-readable: which term decided, or the error
  std::string mechanism;      // the matching term as written, if any
  std::string domain;         // domain whose record decided (after includes/redirect)
  std::string identity;       // the checked identity ("alice@example.com", "postmaster@helo")
  std::string identity_kind;  // "mailfrom", "helo" or "pra"
  unsigned dns_lookups = 0;   // DNS-querying terms counted against the limit
  unsigned void_lookups = 0;
};

class Evaluator {
 public:
  Evaluator(dns::Resolver& resolver, Options options = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  using Done = std::function<void(Outcome)>;
  // MAIL FROM identity (HELO if MAIL FROM is empty), or the PRA for kSenderIdPra.
  void check(const Request& req, Done done);
  // HELO identity only (RFC 7208 2.3).
  void check_helo(const Request& req, Done done);

  Outcome check_sync(const Request& req);
  Outcome check_helo_sync(const Request& req);

  // check_host() of RFC 7208 section 4 with an explicit domain and sender.
  void check_host(const IpAddress& ip, std::string_view domain, std::string_view sender, const Request& ctx,
                  Done done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Received-SPF header field (RFC 7208 9.1), without the trailing CRLF,
// e.g. "Received-SPF: pass (mx.receiver.net: domain of alice@example.com
// designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;
// envelope-from=\"alice@example.com\"; helo=mx.example.org;
// receiver=mx.receiver.net; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\""
std::string received_spf(const Request& req, const Outcome& out);

}  // namespace rampart::spf

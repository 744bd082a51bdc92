// File: src/auth/senderid/senderid.h
// Sender ID (RFC 4406): checks the Purported Responsible Address (RFC 4407)
// or the MAIL FROM identity of a message against the "spf2.0" records of its
// domain (falling back to "v=spf1"), through spf::Evaluator.
//
//   senderid::Checker sid(resolver);                 // any dns::Resolver
//   senderid::Request req{.ip = *IpAddress::parse("192.0.2.1"),
//                         .scope = senderid::Scope::kPra,
//                         .mail_from = "bounce@example.com", .helo = "mx.example.com"};
//   senderid::Outcome out = sid.check_message_sync(req, raw_message);
//   spf::verdict_name(out.spf.result);  // "pass", "fail", ..., "permerror"
//   out.pra;                            // optional "alice@example.com"
//   sid.check(req, headers, [](senderid::Outcome o) { ... });   // async
//
// Scope kPra: the PRA is found by find_pra() (pra.h) and evaluated with
// spf::Scope::kSenderIdPra. Scope kMfrom: the MAIL FROM (or postmaster@HELO
// for the null sender) is evaluated with spf::Scope::kSenderIdMfrom; no
// PRA is computed.
//
// DIAGNOSTICS: as spf::Evaluator (temperror for DNS failures, permerror for
// bad records). For the pra scope a message without a PRA gives permerror
// with the PRA rule in Outcome::reason (RFC 4406 section 4: no PRA can be
// determined, the message is ill-formed). The callback runs exactly once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/senderid/pra.h"
#include "auth/spf/spf.h"
#include "core/ip.h"
#include "core/result.h"
#include "dns/resolver.h"
#include "mime/header.h"

namespace rampart::senderid {

enum class Scope { kPra, kMfrom };

std::string_view scope_name(Scope s);  // "pra" or "mfrom"
Result<Scope> parse_scope(std::string_view s);

struct Request {
  IpAddress ip;
  Scope scope = Scope::kPra;
  std::string mail_from;  // reverse-path without <>; empty for the null sender
  std::string helo;
  std::string receiver = "unknown";  // %{r}
};

struct Outcome {
  spf::Outcome spf;                // result, reason, explanation, domain, ...
  std::optional<std::string> pra;  // the PRA (scope kPra, when one was found)
  Scope scope = Scope::kPra;
  PraSource pra_source = PraSource::kNone;  // the field the PRA came from
  std::string reason;                       // spf.reason, or why there is no PRA
};

class Checker {
 public:
  explicit Checker(dns::Resolver& resolver, spf::Options options = {});
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  using Done = std::function<void(Outcome)>;
  // `headers` is only read before check() returns; the callback may run later.
  void check(const Request& req, const mime::HeaderSection& headers, Done done);
  Outcome check_sync(const Request& req, const mime::HeaderSection& headers);
  Outcome check_message_sync(const Request& req, std::string_view raw_message);

 private:
  spf::Evaluator spf_;
};

}  // namespace rampart::senderid

#include "auth/senderid/senderid.h"

#include <utility>

#include "core/strings.h"

namespace rampart::senderid {

std::string_view scope_name(Scope s) { return s == Scope::kPra ? "pra" : "mfrom"; }

Result<Scope> parse_scope(std::string_view s) {
  if (iequals(s, "pra")) return Scope::kPra;
  if (iequals(s, "mfrom")) return Scope::kMfrom;
  return fail(Errc::kInvalidArgument, "scope must be pra or mfrom, not '" + std::string(s) + "'");
}

namespace {

struct Prepared {
  spf::Request spf_req;
  Outcome partial;  // scope / pra filled; spf filled too when `done`
  bool done = false;
};

Prepared prepare(const Request& req, const mime::HeaderSection& headers) {
  Prepared p;
  p.partial.scope = req.scope;
  p.spf_req.ip = req.ip;
  p.spf_req.helo = req.helo;
  p.spf_req.mail_from = req.mail_from;
  p.spf_req.receiver = req.receiver;
  if (req.scope == Scope::kMfrom) {
    p.spf_req.scope = spf::Scope::kSenderIdMfrom;
    return p;
  }
  p.spf_req.scope = spf::Scope::kSenderIdPra;
  Pra pra = find_pra(headers);
  p.partial.pra_source = pra.source;
  if (!pra.found()) {
    // RFC 4407 section 2 step 6 / RFC 4406: no PRA, the check is a permerror.
    p.partial.spf.result = spf::Verdict::kPermError;
    p.partial.spf.reason = pra.reason;
    p.partial.spf.identity_kind = "pra";
    p.partial.reason = pra.reason;
    p.done = true;
    return p;
  }
  p.spf_req.pra = pra.address();
  p.partial.pra = p.spf_req.pra;
  return p;
}

Outcome finish(Outcome partial, spf::Outcome o) {
  partial.reason = o.reason;
  partial.spf = std::move(o);
  return partial;
}

}  // namespace

Checker::Checker(dns::Resolver& resolver, spf::Options options) : spf_(resolver, std::move(options)) {}

void Checker::check(const Request& req, const mime::HeaderSection& headers, Done done) {
  Prepared p = prepare(req, headers);
  if (p.done) {
    done(std::move(p.partial));
    return;
  }
  spf_.check(p.spf_req, [partial = std::move(p.partial), done = std::move(done)](spf::Outcome o) mutable {
    done(finish(std::move(partial), std::move(o)));
  });
}

Outcome Checker::check_sync(const Request& req, const mime::HeaderSection& headers) {
  Prepared p = prepare(req, headers);
  if (p.done) return std::move(p.partial);
  return finish(std::move(p.partial), spf_.check_sync(p.spf_req));
}

Outcome Checker::check_message_sync(const Request& req, std::string_view raw_message) {
  auto headers = mime::HeaderSection::parse(raw_message);
  return check_sync(req, headers);
}

}  // namespace rampart::senderid

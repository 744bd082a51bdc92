// File: src/reputation/arf_dkim.cc
// DKIM re-verification of a feedback report's original.
#include "reputation/arf_dkim.h"

#include "auth/dkim/dkim.h"
#include "auth/dmarc/orgdomain.h"

namespace rampart::reputation {

OriginalAuth auth_from_dkim(const ArfReport& r, const std::vector<dkim::SignatureResult>& results,
                            const dmarc::PublicSuffixList& psl, const std::vector<std::string>& trusted) {
  OriginalAuth a = auth_from_headers(r, trusted);
  if (!r.original_complete) return a;
  OriginalAuth d;
  d.spf = a.spf;  // SPF only from the trusted field
  d.how = "dkim re-verified";
  for (const dkim::SignatureResult& s : results) {
    if (s.result == dkim::Verdict::kPass) {
      d.dkim = AuthResult::kPass;
      d.dkim_pass_domains.push_back(s.domain);
    } else if (d.dkim != AuthResult::kPass) {
      d.dkim = s.result == dkim::Verdict::kFail ? AuthResult::kFail : AuthResult::kPermError;
      if (s.result == dkim::Verdict::kTempError) d.dkim = AuthResult::kTempError;
    }
  }
  if (results.empty()) d.dkim = AuthResult::kNone;
  // DMARC by DKIM alignment (relaxed); SPF alignment from the trusted result.
  const std::string from_org = psl.organizational_domain(domain_of(r.from));
  d.dmarc = AuthResult::kFail;
  if (!from_org.empty()) {
    for (const std::string& dom : d.dkim_pass_domains)
      if (psl.organizational_domain(dom) == from_org) d.dmarc = AuthResult::kPass;
    const std::string mf = r.original_mail_from.empty() ? r.return_path : r.original_mail_from;
    if (d.spf == AuthResult::kPass && psl.organizational_domain(domain_of(mf)) == from_org)
      d.dmarc = AuthResult::kPass;
  }
  return d;
}

OriginalAuth reauthenticate(const ArfReport& r, dkim::Verifier& verifier, const dmarc::PublicSuffixList& psl,
                            const std::vector<std::string>& trusted) {
  if (!r.original_complete) return auth_from_headers(r, trusted);
  return auth_from_dkim(r, verifier.verify_sync(r.original), psl, trusted);
}

Task<OriginalAuth> reauthenticate_task(const ArfReport& r, dkim::Verifier& verifier,
                                       const dmarc::PublicSuffixList& psl, std::vector<std::string> trusted) {
  if (!r.original_complete) co_return auth_from_headers(r, trusted);
  std::vector<dkim::SignatureResult> results = co_await verifier.verify_task(r.original);
  co_return auth_from_dkim(r, results, psl, trusted);
}

}  // namespace rampart::reputation

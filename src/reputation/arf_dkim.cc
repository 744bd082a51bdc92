// File: src/reputation/arf_dkim.cc
// DKIM re-verification of a feedback report's original.
#include "reputation/arf_dkim.h"

#include "auth/dkim/dkim.h"
#include "auth/dmarc/orgdomain.h"

namespace rampart::reputation {

OriginalAuth reauthenticate(const ArfReport& r, dkim::Verifier& verifier, const dmarc::PublicSuffixList& psl,
                            const std::vector<std::string>& trusted) {
  OriginalAuth a = auth_from_headers(r, trusted);
  if (!r.original_complete) return a;
  OriginalAuth d;
  d.spf = a.spf;  // SPF only from the trusted field
  d.how = "dkim re-verified";
  bool any = false;
  for (const dkim::SignatureResult& s : verifier.verify_sync(r.original)) {
    any = true;
    if (s.result == dkim::Verdict::kPass) {
      d.dkim = AuthResult::kPass;
      d.dkim_pass_domains.push_back(s.domain);
    } else if (d.dkim != AuthResult::kPass) {
      d.dkim = s.result == dkim::Verdict::kFail ? AuthResult::kFail : AuthResult::kPermError;
      if (s.result == dkim::Verdict::kTempError) d.dkim = AuthResult::kTempError;
    }
  }
  if (!any) d.dkim = AuthResult::kNone;
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

}  // namespace rampart::reputation

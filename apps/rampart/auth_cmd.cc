// rampart auth — every sender-authentication check over one message.
//
// SYNOPSIS
//   rampart auth FILE --ip IP --helo NAME --mail-from ADDR [--authserv-id ID]
//                [--nameserver ADDR[:PORT]] [--zone FILE] [--dns-timeout MS] [--json]
//
// DESCRIPTION
//   Runs SPF (RFC 7208, MAIL FROM; HELO when --mail-from is empty), Sender ID
//   (RFC 4406/4407, PRA scope), DKIM (RFC 6376/8463, every signature),
//   DMARC (RFC 7489, with the SPF and DKIM results above; when the build has
//   src/auth/dmarc) and ARC (RFC 8617 chain validation) over FILE ("-":
//   stdin), then prints the RFC 8601 Authentication-Results header field
//   (authserv-id --authserv-id, default this host's name) and one readable
//   line per check saying what was checked and why it came out so.
//   --json prints {"spf": {"result"}, "senderid": {"result", "pra"},
//   "dkim": [{"domain", "selector", "algorithm", "result", "reason"}],
//   "dmarc": {"result", "policy", "disposition"}, "arc": {"cv", "reason"},
//   "authentication_results": "..."} (pra null when there is none; the
//   header unfolded). DKIM and ARC share one parsed-key cache.
//
// DIAGNOSTICS
//   Exit 0 whatever the results (temperror included). Bad arguments, an
//   unreadable FILE: one line on stderr, exit 2.
#if defined(HAVE_RAMPART_SPF) && defined(HAVE_RAMPART_SENDERID) && defined(HAVE_RAMPART_DKIM) && \
    defined(HAVE_RAMPART_ARC) && defined(HAVE_RAMPART_AUTHRES)

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "auth/arc/arc.h"
#include "auth/authres/authres.h"
#include "auth/dkim/dkim.h"
#include "auth/senderid/senderid.h"
#include "auth/spf/spf.h"
#include "cli.h"
#include "core/clock.h"
#include "core/ip.h"
#include "core/strings.h"
#include "mime/header.h"
#include "resolver_opts.h"
#if defined(HAVE_RAMPART_DMARC)
#include "auth/dmarc/dmarc.h"
#endif

namespace rampart::cli {
namespace {

bool read_input(const std::string& path, std::string& out) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  if (f != stdin) std::fclose(f);
  return true;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string domain_of(const std::string& addr) {
  const size_t at = addr.rfind('@');
  return to_lower(at == std::string::npos ? addr : addr.substr(at + 1));
}

#if defined(HAVE_RAMPART_DMARC)
dmarc::AuthResult from_spf(spf::Verdict v) {
  switch (v) {
    case spf::Verdict::kNone: return dmarc::AuthResult::kNone;
    case spf::Verdict::kNeutral: return dmarc::AuthResult::kNeutral;
    case spf::Verdict::kPass: return dmarc::AuthResult::kPass;
    case spf::Verdict::kFail: return dmarc::AuthResult::kFail;
    case spf::Verdict::kSoftFail: return dmarc::AuthResult::kSoftFail;
    case spf::Verdict::kTempError: return dmarc::AuthResult::kTempError;
    case spf::Verdict::kPermError: return dmarc::AuthResult::kPermError;
  }
  return dmarc::AuthResult::kNone;
}

dmarc::AuthResult from_dkim(dkim::Verdict v) {
  switch (v) {
    case dkim::Verdict::kPass: return dmarc::AuthResult::kPass;
    case dkim::Verdict::kFail: return dmarc::AuthResult::kFail;
    case dkim::Verdict::kNeutral: return dmarc::AuthResult::kNeutral;
    case dkim::Verdict::kTempError: return dmarc::AuthResult::kTempError;
    case dkim::Verdict::kPermError: return dmarc::AuthResult::kPermError;
    case dkim::Verdict::kPolicy: return dmarc::AuthResult::kPolicy;
  }
  return dmarc::AuthResult::kNone;
}
#endif

std::string json_str(const std::string& s) { return "\"" + json_escape(s) + "\""; }

int run_auth(Args& a) {
  if (!a.parse(with_resolver_options({"ip", "helo", "mail-from", "authserv-id"}), {"json"})) return kUsage;
  if (a.positional().size() != 1) return a.usage_error("expected one message FILE (or -)");
  auto ip_text = a.get("ip");
  auto helo = a.get("helo");
  auto mail_from = a.get("mail-from");
  if (!ip_text) return a.usage_error("--ip is required");
  if (!helo) return a.usage_error("--helo is required");
  if (!mail_from) return a.usage_error("--mail-from is required (empty for the null sender)");
  auto ip = IpAddress::parse(*ip_text);
  if (!ip) return a.usage_error("--ip: '" + *ip_text + "' is not an IP address");
  std::string mf = *mail_from;
  if (mf.size() >= 2 && mf.front() == '<' && mf.back() == '>') mf = mf.substr(1, mf.size() - 2);
  std::string raw;
  if (!read_input(a.positional()[0], raw)) return a.usage_error("cannot read " + a.positional()[0]);
  auto resolver = make_resolver(a);
  if (!resolver) return a.usage_error(resolver.error().message);
  dns::Resolver& dns = **resolver;
  const std::string authserv = a.get_or("authserv-id", host_name());
  std::string crlf;
  const std::string& msg = dkim::to_crlf(raw, crlf) ? crlf : raw;
  const mime::HeaderSection hs = mime::HeaderSection::parse(msg);

  // SPF (MAIL FROM, or HELO for the null sender).
  spf::Evaluator spf_eval(dns);
  spf::Request sreq;
  sreq.ip = *ip;
  sreq.helo = *helo;
  sreq.mail_from = mf;
  sreq.receiver = authserv;
  const spf::Outcome spf = spf_eval.check_sync(sreq);

  // Sender ID, PRA scope.
  senderid::Checker sid_check(dns);
  senderid::Request qreq;
  qreq.ip = *ip;
  qreq.mail_from = mf;
  qreq.helo = *helo;
  qreq.receiver = authserv;
  const senderid::Outcome sid = sid_check.check_sync(qreq, hs);

  // DKIM, then ARC over the same key cache.
  SystemClock clock;
  dkim::Verifier dkim_v(dns, clock);
  const std::vector<dkim::SignatureResult> sigs = dkim_v.verify_sync(msg);
  arc::Validator arc_v(dns, {}, &dkim_v.key_cache());
  const arc::ChainResult chain = arc_v.validate_sync(msg);

  authres::AuthResults ar;
  ar.authserv_id = authserv;
  {
    authres::ResInfo r;
    r.method = "spf";
    r.result = std::string(spf::verdict_name(spf.result));
    if (mf.empty()) {
      r.props.push_back({"smtp", "helo", *helo});
    } else {
      r.props.push_back({"smtp", "mailfrom", mf});
    }
    ar.results.push_back(std::move(r));
  }
  {
    authres::ResInfo r;
    r.method = "sender-id";
    r.result = std::string(spf::verdict_name(sid.spf.result));
    if (sid.pra) r.props.push_back({"header", to_lower(senderid::pra_source_name(sid.pra_source)), *sid.pra});
    ar.results.push_back(std::move(r));
  }
  if (sigs.empty()) {
    authres::ResInfo r;
    r.method = "dkim";
    r.result = "none";
    ar.results.push_back(std::move(r));
  }
  for (const dkim::SignatureResult& s : sigs) {
    authres::ResInfo r;
    r.method = "dkim";
    r.result = std::string(dkim::verdict_name(s.result));
    if (s.result != dkim::Verdict::kPass && !s.reason.empty()) r.reason = s.reason;
    if (!s.domain.empty()) r.props.push_back({"header", "d", s.domain});
    if (!s.selector.empty()) r.props.push_back({"header", "s", s.selector});
    if (!s.algorithm.empty()) r.props.push_back({"header", "a", s.algorithm});
    if (!s.header_b.empty()) r.props.push_back({"header", "b", s.header_b});
    ar.results.push_back(std::move(r));
  }

  std::string dmarc_json = "{\"result\": \"none\", \"policy\": null, \"disposition\": null}";
  std::string dmarc_line = "DMARC: not in this build";
#if defined(HAVE_RAMPART_DMARC)
  {
    dmarc::Evaluator dm(dns);
    dmarc::Request dreq;
    dreq.author = dmarc::author_domains(hs);
    dreq.spf.result = from_spf(spf.result);
    dreq.spf.scope = mf.empty() ? dmarc::SpfScope::kHelo : dmarc::SpfScope::kMailFrom;
    dreq.spf.domain = mf.empty() ? to_lower(*helo) : domain_of(mf);
    for (const dkim::SignatureResult& s : sigs) {
      if (s.domain.empty()) continue;
      dreq.dkim.push_back({from_dkim(s.result), s.domain, s.selector, s.reason});
    }
    const dmarc::Outcome d = dm.check_sync(dreq);
    const std::string verdict(dmarc::verdict_name(d.verdict));
    const bool has_policy = d.record.has_value();
    dmarc_json =
        "{\"result\": " + json_str(verdict) + ", \"policy\": " +
        (has_policy ? json_str(std::string(dmarc::policy_name(d.policy))) : std::string("null")) +
        ", \"disposition\": " +
        (has_policy ? json_str(std::string(dmarc::policy_name(d.disposition))) : std::string("null")) + "}";
    authres::ResInfo r;
    r.method = "dmarc";
    r.result = verdict;
    if (has_policy) r.comment = "p=" + std::string(dmarc::policy_name(d.policy));
    if (!d.header_from.empty()) r.props.push_back({"header", "from", d.header_from});
    ar.results.push_back(std::move(r));
    dmarc_line =
        "DMARC (From domain " + (d.header_from.empty() ? std::string("?") : d.header_from) + "): " + verdict;
    if (has_policy)
      dmarc_line += ", policy " + std::string(dmarc::policy_name(d.policy)) + " at " + d.policy_domain +
                    ", disposition " + std::string(dmarc::policy_name(d.disposition));
    dmarc_line += std::string(" (SPF ") + (d.spf_aligned ? "aligned" : "not aligned") + ", DKIM " +
                  (d.dkim_aligned ? "aligned" : "not aligned") + ")";
    if (!d.reason.empty()) dmarc_line += ": " + d.reason;
  }
#endif
  {
    authres::ResInfo r;
    r.method = "arc";
    r.result = std::string(arc::cv_name(chain.cv));
    if (chain.cv == arc::Cv::kPass && chain.oldest_pass > 0)
      r.props.push_back({"header", "oldest-pass", std::to_string(chain.oldest_pass)});
    if ((chain.cv == arc::Cv::kFail || chain.cv == arc::Cv::kTempError) && !chain.reason.empty())
      r.reason = chain.reason;
    r.props.push_back({"smtp", "remote-ip", *ip_text});
    ar.results.push_back(std::move(r));
  }
  authres::FormatOptions one_line;
  one_line.fold = false;
  const std::string header_line = authres::format(ar, one_line);

  if (a.flag("json")) {
    std::string out =
        "{\"spf\": {\"result\": " + json_str(std::string(spf::verdict_name(spf.result))) +
        "}, \"senderid\": {\"result\": " + json_str(std::string(spf::verdict_name(sid.spf.result))) +
        ", \"pra\": " + (sid.pra ? json_str(*sid.pra) : std::string("null")) + "}, \"dkim\": [";
    for (size_t i = 0; i < sigs.size(); ++i) {
      const dkim::SignatureResult& s = sigs[i];
      if (i) out += ", ";
      out += "{\"domain\": " + json_str(s.domain) + ", \"selector\": " + json_str(s.selector) +
             ", \"algorithm\": " + json_str(s.algorithm) +
             ", \"result\": " + json_str(std::string(dkim::verdict_name(s.result))) +
             ", \"reason\": " + json_str(s.reason) + "}";
    }
    out += "], \"dmarc\": " + dmarc_json +
           ", \"arc\": {\"cv\": " + json_str(std::string(arc::cv_name(chain.cv))) +
           ", \"reason\": " + json_str(chain.reason) +
           "}, \"authentication_results\": " + json_str(header_line) + "}\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }

  std::string text = authres::format(ar) + "\n\n";
  text +=
      "SPF (" + spf.identity_kind + " " + spf.identity + "): " + std::string(spf::verdict_name(spf.result));
  if (!spf.reason.empty()) text += ": " + spf.reason;
  text += "\n";
  text += "Sender ID (PRA " +
          (sid.pra ? *sid.pra + " from " + std::string(senderid::pra_source_name(sid.pra_source))
                   : std::string("none")) +
          "): " + std::string(spf::verdict_name(sid.spf.result));
  if (!sid.reason.empty()) text += ": " + sid.reason;
  text += "\n";
  if (sigs.empty()) text += "DKIM: none (no DKIM-Signature field)\n";
  for (const dkim::SignatureResult& s : sigs) {
    text += "DKIM (d=" + s.domain + " s=" + s.selector + " " + s.algorithm +
            "): " + std::string(dkim::verdict_name(s.result));
    if (!s.reason.empty()) text += ": " + s.reason;
    text += "\n";
  }
  text += dmarc_line + "\n";
  text += "ARC: " + std::string(arc::cv_name(chain.cv));
  if (chain.instances) text += " (" + std::to_string(chain.instances) + " sets";
  if (chain.instances && chain.oldest_pass) text += ", oldest-pass " + std::to_string(chain.oldest_pass);
  if (chain.instances) text += ")";
  if (!chain.reason.empty()) text += ": " + chain.reason;
  text += "\n";
  std::fputs(text.c_str(), stdout);
  return 0;
}

Registrar reg("auth", "SPF, Sender ID, DKIM, DMARC and ARC over one message (Authentication-Results)",
              run_auth);

}  // namespace
}  // namespace rampart::cli

#endif

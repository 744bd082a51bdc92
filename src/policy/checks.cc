// File: src/policy/checks.cc
// The built-in checks (see checks.h). Each keeps the ScanState alive through
// the shared_ptr it is given and calls done() exactly once.
#include "policy/checks.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "auth/dkim/dkim.h"
#ifdef HAVE_RAMPART_ARC
#include "auth/arc/arc.h"
#endif
#include "auth/dmarc/dmarc.h"
#include "auth/senderid/senderid.h"
#include "auth/spf/spf.h"
#include "core/strings.h"
#include "mime/address.h"
#include "mime/idna.h"
#include "policy/throttle.h"

namespace rampart::policy {

namespace {

using StatePtr = std::shared_ptr<ScanState>;
using Done = std::function<void()>;

std::string upper(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_');
  }
  return out;
}

// ---------------------------------------------------------------- throttle
class ThrottleCheck final : public Check {
 public:
  ThrottleCheck(const PolicyConfig& cfg, std::shared_ptr<Throttle> t) : cfg_(cfg), t_(std::move(t)) {}
  std::string_view name() const override { return "throttle"; }
  Stage stage() const override { return Stage::kMail; }
  void run(const StatePtr& s, Done done) override {
    const Envelope& e = s->env;
    bool exempt = false;
    if (e.has_ip)
      for (const IpPrefix& net : cfg_.throttle_exempt)
        if (net.contains(e.ip)) exempt = true;
    if (e.has_ip && !exempt) {
      const IpAddress ip = e.ip.unmapped();
      const unsigned len = ip.is_v4() ? 24 : 64;
      const std::string net = ip.masked(len).to_string() + "/" + std::to_string(len);
      // One backend call for both (the shared buckets: one round trip).
      const int refused = t_->take_pair("ip:" + ip.to_string(), cfg_.per_ip, "net:" + net, cfg_.per_net);
      if (refused == 1) refuse(*s, "THROTTLE_IP", "client " + ip.to_string());
      if (refused == 2) refuse(*s, "THROTTLE_NET", "network " + net);
    }
    if (!e.auth_user.empty()) {
      if (!t_->take("user:" + e.auth_user, cfg_.per_sasl_user)) {
        refuse(*s, "THROTTLE_SASL_USER", "user " + e.auth_user);
      } else {
        const size_t at = e.mail_from.rfind('@');
        if (at != std::string::npos) {
          const std::string dom = to_lower(e.mail_from.substr(at + 1));
          if (!t_->take("domain:" + dom, cfg_.per_sender_domain))
            refuse(*s, "THROTTLE_SENDER_DOMAIN", "sender domain " + dom);
        }
      }
    }
    done();
  }

 private:
  void refuse(ScanState& s, std::string sym, const std::string& what) {
    s.add(name(), std::move(sym), 0, "rate limit exceeded for " + what);
    s.force(Action::kTempfail, "451 4.7.1 Rate limit exceeded for " + what + ", try again later", name());
  }
  const PolicyConfig& cfg_;
  std::shared_ptr<Throttle> t_;
};

// ---------------------------------------------------------------- FCrDNS
class FcrdnsCheck final : public Check {
 public:
  FcrdnsCheck(const PolicyConfig& cfg, dns::Resolver& r) : cfg_(cfg), dns_(r) {}
  std::string_view name() const override { return "fcrdns"; }
  Stage stage() const override { return Stage::kConnect; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    if (!s->env.has_ip) {
      done();
      return;
    }
    const IpAddress ip = s->env.ip.unmapped();
    std::string q = ip.reverse_name() + (ip.is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
    dns_.resolve(q, dns::RRType::PTR, [this, s, ip, done = std::move(done)](dns::AnswerPtr a) mutable {
      // FCrDNS is a hint, not authentication: a reverse zone that does not
      // answer (common for access networks) is noted, it never holds mail.
      if (a->temporary()) {
        iprev(*s, "temperror", ip, "");
        s->add(name(), "RDNS_TEMPFAIL", 0, "PTR lookup: " + std::string(dns::status_name(a->status)));
        done();
        return;
      }
      std::vector<std::string> names;
      for (const auto& rec : a->records)
        if (const auto* n = rec.name(); n && names.size() < 10) names.push_back(*n);
      if (names.empty()) {
        iprev(*s, "permerror", ip, "");
        s->add(name(), "RDNS_NONE", cfg_.scores("RDNS_NONE"), "no PTR record for " + ip.to_string());
        done();
        return;
      }
      struct Join {
        size_t left;
        bool matched = false, temp = false;
        std::string name;
        Done done;
      };
      auto j = std::make_shared<Join>(Join{names.size(), false, false, {}, std::move(done)});
      for (const auto& n : names) {
        dns_.resolve(
            n, ip.is_v4() ? dns::RRType::A : dns::RRType::AAAA, [this, s, ip, n, j](dns::AnswerPtr fa) {
              if (fa->temporary()) j->temp = true;
              for (const auto& rec : fa->records)
                if (const auto* fip = rec.ip(); fip && *fip == ip && !j->matched) {
                  j->matched = true;
                  j->name = n;
                }
              if (--j->left) return;
              if (j->matched) {
                s->rdns_name = j->name;
                iprev(*s, "pass", ip, j->name);
                s->add(name(), "FCRDNS_OK", cfg_.scores("FCRDNS_OK"), ip.to_string() + " <-> " + j->name);
              } else if (j->temp) {
                iprev(*s, "temperror", ip, "");
                s->add(name(), "RDNS_TEMPFAIL", 0, "forward lookup of the PTR names failed temporarily");
              } else {
                iprev(*s, "fail", ip, "");
                s->add(name(), "FCRDNS_FAIL", cfg_.scores("FCRDNS_FAIL"),
                       "no PTR name of " + ip.to_string() + " maps back to it");
              }
              auto d = std::move(j->done);
              d();
            });
      }
    });
  }

 private:
  static void iprev(ScanState& s, std::string result, const IpAddress& ip, const std::string& host) {
    authres::ResInfo r;
    r.method = "iprev";
    r.result = std::move(result);
    if (!host.empty()) r.comment = host;
    r.props.push_back({"policy", "iprev", ip.to_string()});
    s.auth.push_back(std::move(r));
  }
  const PolicyConfig& cfg_;
  dns::Resolver& dns_;
};

// ---------------------------------------------------------------- DNSBL
class DnsblCheck final : public Check {
 public:
  DnsblCheck(const PolicyConfig& cfg, dns::Resolver& r, bool domains)
      : cfg_(cfg), dns_(r), domains_(domains), zones_(domains ? cfg.dnsbl_domain : cfg.dnsbl_ip) {}
  std::string_view name() const override { return domains_ ? "dnsbl_domain" : "dnsbl_ip"; }
  Stage stage() const override { return domains_ ? Stage::kData : Stage::kConnect; }
  // The client's network and the sender's domain: inbound (a subscriber's
  // dynamic address is listed in policy block lists by design).
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    std::vector<std::string> subjects;
    if (domains_) {
      auto push = [&](std::string d) {
        d = mime::domain_to_ascii(d).value_or(to_lower(d));  // A-labels for DNSBL queries
        if (!d.empty() && d.front() != '[' &&
            std::find(subjects.begin(), subjects.end(), d) == subjects.end())
          subjects.push_back(std::move(d));
      };
      const size_t at = s->env.mail_from.rfind('@');
      if (at != std::string::npos) push(s->env.mail_from.substr(at + 1));
      if (const auto* from = s->headers.first("From")) {
        auto mbs = mime::parse_mailbox_list(from->value());
        if (mbs)
          for (const auto& mb : *mbs) push(mb.domain);
      }
    } else if (s->env.has_ip) {
      subjects.push_back(s->env.ip.unmapped().reverse_name());
    }
    if (subjects.empty() || zones_.empty()) {
      done();
      return;
    }
    struct Join {
      size_t left;
      Done done;
    };
    auto j = std::make_shared<Join>(Join{subjects.size() * zones_.size(), std::move(done)});
    for (const auto& subj : subjects)
      for (const auto& z : zones_) {
        dns_.resolve(subj + "." + z.zone, dns::RRType::A, [this, s, j, subj, &z](dns::AnswerPtr a) {
          if (a->ok()) {
            std::string codes;
            for (const auto& rec : a->records)
              if (const auto* ip = rec.ip()) codes += (codes.empty() ? "" : ",") + ip->to_string();
            const double w = cfg_.scores.known(z.symbol) ? cfg_.scores(z.symbol) : z.weight;
            s->add(name(), z.symbol, w, subj + " listed in " + z.zone + " (" + codes + ")");
          } else if (a->temporary()) {
            if (cfg_.dnsbl_tempfail) {
              s->tempfail(upper(z.symbol), std::string(dns::status_name(a->status)) + " from " + z.zone,
                          name());
            } else {
              s->add(name(), z.symbol + "_UNAVAILABLE", 0,
                     std::string(dns::status_name(a->status)) + " from " + z.zone);
            }
          }
          if (--j->left == 0) {
            auto d = std::move(j->done);
            d();
          }
        });
      }
  }

 private:
  const PolicyConfig& cfg_;
  dns::Resolver& dns_;
  bool domains_;
  const std::vector<DnsblZone>& zones_;
};

// ---------------------------------------------------------------- SPF
class SpfCheck final : public Check {
 public:
  SpfCheck(const PolicyConfig& cfg, dns::Resolver& r) : cfg_(cfg), spf_(r) {}
  std::string_view name() const override { return "spf"; }
  Stage stage() const override { return Stage::kMail; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    if (!s->env.has_ip) {
      done();
      return;
    }
    spf::Request req;
    req.ip = s->env.ip;
    req.helo = s->env.helo;
    req.mail_from = s->env.mail_from;
    req.receiver = cfg_.authserv_id;
    spf_.check(req, [this, s, done = std::move(done)](spf::Outcome o) {
      using V = spf::Verdict;
      const std::string vn(spf::verdict_name(o.result));
      const double score = cfg_.scores("SPF_" + upper(vn));
      if (o.result == V::kTempError) {
        if (cfg_.dns_tempfail) {
          s->tempfail("SPF", o.reason);
        } else {
          s->add(name(), "SPF_TEMPERROR", 0, o.reason);
        }
      } else {
        s->add(name(), "SPF_" + upper(vn), score, o.reason);
      }
      if (o.result == V::kFail && cfg_.spf_reject) {
        std::string why = o.explanation.empty() ? "SPF check failed for " + o.identity : o.explanation;
        s->force(Action::kReject, "550 5.7.23 " + why, name());
      }
      authres::ResInfo r;
      r.method = "spf";
      r.result = vn;
      if (o.identity_kind == "helo") {
        r.props.push_back({"smtp", "helo", s->env.helo});
      } else {
        r.props.push_back({"smtp", "mailfrom", o.identity});
      }
      s->auth.push_back(std::move(r));
      s->spf = std::move(o);
      done();
    });
  }

 private:
  const PolicyConfig& cfg_;
  spf::Evaluator spf_;
};

// ---------------------------------------------------------------- header sanity
class HeaderSanityCheck final : public Check {
 public:
  explicit HeaderSanityCheck(const PolicyConfig& cfg) : cfg_(cfg) {}
  std::string_view name() const override { return "header_sanity"; }
  Stage stage() const override { return Stage::kData; }
  void run(const StatePtr& s, Done done) override {
    const auto& h = s->headers;
    const Scores& sc = cfg_.scores;
    const size_t froms = h.count("From");
    // RFC 5322 3.6 requires exactly one From; without it DMARC has no author
    // to judge, so the message is at least marked whatever its score.
    if (froms == 0) {
      s->add(name(), "MISSING_FROM", sc("MISSING_FROM"), "no From field (RFC 5322 3.6)");
      s->force(Action::kAddHeader, "", name());
    }
    if (froms > 1) {
      s->add(name(), "MULTIPLE_FROM", sc("MULTIPLE_FROM"), std::to_string(froms) + " From fields");
      s->force(Action::kAddHeader, "", name());
    }
    if (froms == 1) {
      const auto* f = h.first("From");
      if (f && !mime::parse_mailbox_list(f->value()))
        s->add(name(), "INVALID_FROM", sc("INVALID_FROM"), "From does not parse");
    }
    if (h.count("Date") == 0)
      s->add(name(), "MISSING_DATE", sc("MISSING_DATE"), "no Date field (RFC 5322 3.6)");
    if (h.count("Message-ID") == 0)
      s->add(name(), "MISSING_MESSAGE_ID", sc("MISSING_MESSAGE_ID"), "no Message-ID field");
    if (h.count("Subject") > 1)
      s->add(name(), "DUPLICATE_SUBJECT", sc("DUPLICATE_SUBJECT"), "more than one Subject field");
    for (auto k : {mime::DefectKind::kNul, mime::DefectKind::kBareCr, mime::DefectKind::kInvalidFieldName,
                   mime::DefectKind::kTooManyFields, mime::DefectKind::kHeaderTooLarge}) {
      if (h.has_defect(k)) {
        s->add(name(), "HEADER_DEFECT", sc("HEADER_DEFECT"),
               std::string("header defect: ") + std::string(mime::defect_name(k)));
        break;
      }
    }
    done();
  }

 private:
  const PolicyConfig& cfg_;
};

// ---------------------------------------------------------------- DKIM
// The message is cut short: over max_scan_bytes, the milter stops buffering
// at the cap (so it holds at most max_scan_bytes), while the HTTP scan holds
// the whole message (longer than the cap). A cut message is checked by DKIM
// and ARC only with the body hashes streamed over the whole body
// (ScanState::body_hashes), else skipped.
bool message_cut(const ScanState& s, const PolicyConfig& cfg) {
  return s.too_large && s.message.size() <= cfg.max_scan_bytes;
}
}  // namespace

std::vector<dkim::BodyHashRequest> body_hash_requests(const mime::HeaderSection& headers) {
  std::vector<dkim::BodyHashRequest> out = dkim::body_hash_requests(headers);
#ifdef HAVE_RAMPART_ARC
  for (const dkim::BodyHashRequest& r : arc::body_hash_requests(headers))
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
#endif
  return out;
}

namespace {

// DKIM cannot be checked: the message is cut and nobody hashed the body as
// it streamed in (the milter does, ScanState::body_hashes, unless the header
// section itself was cut).
bool dkim_unchecked(const ScanState& s, const PolicyConfig& cfg) {
  return message_cut(s, cfg) && !s.body_hashes;
}

class DkimCheck final : public Check {
 public:
  DkimCheck(const PolicyConfig& cfg, dns::Resolver& r, const Clock& clock) : cfg_(cfg), v_(r, clock) {}
  std::string_view name() const override { return "dkim"; }
  Stage stage() const override { return Stage::kData; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    if (dkim_unchecked(*s, cfg_)) {
      s->add(name(), "DKIM_SKIPPED", 0, "message cut at max_scan_bytes: body hashes not checked");
      done();
      return;
    }
    auto on_results = [this, s, done = std::move(done)](std::vector<dkim::SignatureResult> rs) {
      if (rs.empty()) {
        s->add(name(), "DKIM_NONE", cfg_.scores("DKIM_NONE"), "no DKIM-Signature");
        authres::ResInfo r;
        r.method = "dkim";
        r.result = "none";
        s->auth.push_back(std::move(r));
        done();
        return;
      }
      bool pass = false, temp = false;
      for (const auto& r : rs) {
        if (r.result == dkim::Verdict::kPass) pass = true;
        if (r.result == dkim::Verdict::kTempError) temp = true;
      }
      for (const auto& r : rs) {
        const std::string vn(dkim::verdict_name(r.result));
        const double score = cfg_.scores("DKIM_" + upper(vn));
        if (r.result != dkim::Verdict::kTempError)
          s->add(name(), "DKIM_" + upper(vn), pass && score > 0 ? 0 : score,
                 "d=" + r.domain + " s=" + r.selector + (r.reason.empty() ? "" : ": " + r.reason));
        s->dkim.push_back({r.result, r.domain, r.selector});
        authres::ResInfo ri;
        ri.method = "dkim";
        ri.result = vn;
        ri.reason = r.reason;
        if (!r.domain.empty()) ri.props.push_back({"header", "d", r.domain});
        if (!r.selector.empty()) ri.props.push_back({"header", "s", r.selector});
        if (!r.header_b.empty()) ri.props.push_back({"header", "b", r.header_b});
        s->auth.push_back(std::move(ri));
      }
      // A key lookup that failed temporarily only matters when nothing passed.
      if (temp && !pass) {
        if (cfg_.dns_tempfail) {
          s->tempfail("DKIM", "key lookup failed temporarily");
        } else {
          s->add(name(), "DKIM_TEMPERROR", 0, "key lookup failed temporarily");
        }
      }
      done();
    };
    if (s->body_hashes) {
      // The body streamed past max_scan_bytes: `message` holds its header
      // section and a prefix of the body; the hashes cover all of it.
      start(v_.verify_task(s->message, *s->body_hashes), std::move(on_results));
    } else {
      v_.verify(s->message, std::move(on_results));
    }
  }

 private:
  const PolicyConfig& cfg_;
  dkim::Verifier v_;
};

// ---------------------------------------------------------------- ARC
#ifdef HAVE_RAMPART_ARC
class ArcCheck final : public Check {
 public:
  ArcCheck(const PolicyConfig& cfg, dns::Resolver& r) : cfg_(cfg), v_(r) {}
  std::string_view name() const override { return "arc"; }
  Stage stage() const override { return Stage::kData; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    if (message_cut(*s, cfg_) && !s->body_hashes) {
      done();
      return;
    }
    auto on_result = [this, s, done = std::move(done)](arc::ChainResult r) {
      // ARC results only inform (no local override of DMARC yet): a key
      // lookup that failed temporarily is noted, it does not tempfail; a
      // chain not evaluated because of a limit is noted, not scored.
      if (r.temporary() || r.not_evaluated()) {
        s->add(name(), r.temporary() ? "ARC_TEMPERROR" : "ARC_NOT_EVALUATED", 0, r.reason);
        done();
        return;
      }
      const std::string cv(arc::cv_name(r.cv));
      const double score = cfg_.scores("ARC_" + upper(cv));
      std::string why = r.reason;
      if (r.cv == arc::Cv::kPass) why = std::to_string(r.instances) + " ARC set(s) validated";
      s->add(name(), "ARC_" + upper(cv), score, why);
      authres::ResInfo ri;
      ri.method = "arc";
      ri.result = cv;
      if (r.cv == arc::Cv::kPass && r.oldest_pass != 0)
        ri.props.push_back({"header", "oldest-pass", std::to_string(r.oldest_pass)});
      if (r.cv == arc::Cv::kFail) ri.reason = r.reason;
      s->auth.push_back(std::move(ri));
      done();
    };
    if (s->body_hashes) {
      v_.validate(s->message, *s->body_hashes, std::move(on_result));  // body streamed past the cap
    } else {
      v_.validate(s->message, std::move(on_result));
    }
  }

 private:
  const PolicyConfig& cfg_;
  arc::Validator v_;
};
#endif

// ---------------------------------------------------------------- Sender ID
class SenderIdCheck final : public Check {
 public:
  SenderIdCheck(const PolicyConfig& cfg, dns::Resolver& r) : cfg_(cfg), sid_(r) {}
  std::string_view name() const override { return "senderid"; }
  Stage stage() const override { return Stage::kData; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    if (!s->env.has_ip) {
      done();
      return;
    }
    senderid::Request req;
    req.ip = s->env.ip;
    req.scope = senderid::Scope::kPra;
    req.mail_from = s->env.mail_from;
    req.helo = s->env.helo;
    req.receiver = cfg_.authserv_id;
    sid_.check(req, s->headers, [this, s, done = std::move(done)](senderid::Outcome o) {
      using V = spf::Verdict;
      const std::string vn(spf::verdict_name(o.spf.result));
      if (o.spf.result == V::kTempError) {
        if (cfg_.dns_tempfail) {
          s->tempfail("SENDERID", o.reason);
        } else {
          s->add(name(), "SENDERID_TEMPERROR", 0, o.reason);
        }
      } else {
        s->add(name(), "SENDERID_" + upper(vn), cfg_.scores("SENDERID_" + upper(vn)), o.reason);
      }
      authres::ResInfo r;
      r.method = "sender-id";
      r.result = o.spf.result == V::kNone ? "none" : vn;
      // RFC 8601 registers hardfail for sender-id; "fail" is SPF's name for it.
      if (o.spf.result == V::kFail) r.result = "fail";
      if (o.pra) r.props.push_back({"header", to_lower(senderid::pra_source_name(o.pra_source)), *o.pra});
      s->auth.push_back(std::move(r));
      done();
    });
  }

 private:
  const PolicyConfig& cfg_;
  senderid::Checker sid_;
};

// ---------------------------------------------------------------- DMARC
// The results DMARC is made of, as DMARC's types (RFC 7489 4.2).
dmarc::AuthResult to_dmarc(spf::Verdict v) {
  using V = spf::Verdict;
  using A = dmarc::AuthResult;
  switch (v) {
    case V::kPass: return A::kPass;
    case V::kFail: return A::kFail;
    case V::kSoftFail: return A::kSoftFail;
    case V::kNeutral: return A::kNeutral;
    case V::kTempError: return A::kTempError;
    case V::kPermError: return A::kPermError;
    case V::kNone: return A::kNone;
  }
  return A::kNone;
}

dmarc::AuthResult to_dmarc(dkim::Verdict v) {
  using V = dkim::Verdict;
  using A = dmarc::AuthResult;
  switch (v) {
    case V::kPass: return A::kPass;
    case V::kFail: return A::kFail;
    case V::kNeutral: return A::kNeutral;
    case V::kPolicy: return A::kPolicy;
    case V::kTempError: return A::kTempError;
    case V::kPermError: return A::kPermError;
  }
  return A::kNone;
}

// DMARC (RFC 7489) judges the From domain from the SPF and DKIM results; with
// a record (pass or fail) its symbol stands for them, so theirs (and Sender
// ID's, the same SPF records for the PRA) count 0: nothing counted twice. A
// failure gets the score of the domain's policy (DMARC_FAIL_NONE,
// _QUARANTINE, _REJECT) and the policy itself: p=reject rejects
// (policy.dmarc.reject), p=quarantine quarantines (policy.dmarc.quarantine;
// the score can still reject on evidence independent of DMARC, see
// Pipeline::verdict), p=none never does anything on its own.
class DmarcCheck final : public Check {
 public:
  DmarcCheck(const PolicyConfig& cfg, dns::Resolver& r) : cfg_(cfg), dmarc_(r) {}
  std::string_view name() const override { return "dmarc"; }
  Stage stage() const override { return Stage::kData; }
  int wave() const override { return 1; }
  bool inbound_only() const override { return true; }
  void run(const StatePtr& s, Done done) override {
    dmarc::Request req;
    req.author = dmarc::author_domains(s->headers);
    if (s->spf) {
      req.spf.result = to_dmarc(s->spf->result);
      if (s->spf->identity_kind == "helo") {
        req.spf.scope = dmarc::SpfScope::kHelo;
        req.spf.domain = to_lower(s->env.helo);
      } else {
        req.spf.domain = to_lower(s->mail_from_domain());
      }
    }
    for (const auto& d : s->dkim) req.dkim.push_back({to_dmarc(d.result), d.domain, d.selector, ""});
    dmarc_.check(req, [this, s, done = std::move(done)](dmarc::Outcome o) {
      // DKIM skipped (message cut) while the message is DKIM-signed: a
      // failure may only be the skipped DKIM; noted, never enforced or stamped.
      const bool unchecked = o.verdict == dmarc::Verdict::kFail && dkim_unchecked(*s, cfg_) &&
                             s->headers.first("DKIM-Signature") != nullptr;
      const std::string vn(dmarc::verdict_name(o.verdict));
      authres::ResInfo r;
      r.method = "dmarc";
      r.result = vn;
      if (o.record) r.comment = "p=" + std::string(dmarc::policy_name(o.policy));
      if (!o.header_from.empty()) r.props.push_back({"header", "from", o.header_from});
      if (!unchecked) s->auth.push_back(std::move(r));
      const Scores& sc = cfg_.scores;
      switch (o.verdict) {
        case dmarc::Verdict::kPass:
          fold(*s);
          s->add(name(), "DMARC_PASS", sc("DMARC_PASS"), o.reason);
          break;
        case dmarc::Verdict::kNone: s->add(name(), "DMARC_NONE", sc("DMARC_NONE"), o.reason); break;
        case dmarc::Verdict::kPermError:
          s->add(name(), "DMARC_PERMERROR", sc("DMARC_PERMERROR"), o.reason);
          break;
        case dmarc::Verdict::kTempError:
          if (cfg_.dns_tempfail) {
            s->tempfail("DMARC", o.reason, name());
          } else {
            s->add(name(), "DMARC_TEMPERROR", 0, o.reason);
          }
          break;
        case dmarc::Verdict::kFail: {
          if (unchecked) {
            s->add(name(), "DMARC_UNCHECKED", sc("DMARC_UNCHECKED"),
                   "DKIM not checked (message cut at max_scan_bytes): " + o.reason);
            break;
          }
          fold(*s);
          const std::string sym = "DMARC_FAIL_" + upper(dmarc::policy_name(o.disposition));
          s->add(name(), sym, sc(sym), o.reason);
          if (o.disposition == dmarc::Policy::kReject && cfg_.dmarc_reject) {
            s->force(Action::kReject, "550 5.7.1 Rejected by the DMARC policy of " + o.header_from, name());
          } else if (o.disposition != dmarc::Policy::kNone && cfg_.dmarc_quarantine) {
            s->force(Action::kQuarantine, "", name());
          }
          break;
        }
      }
      done();
    });
  }

 private:
  // The SPF, DKIM and Sender ID symbols count 0 once DMARC stands for them.
  static void fold(ScanState& s) {
    for (Symbol& sym : s.symbols)
      if ((sym.check == "spf" || sym.check == "dkim" || sym.check == "senderid") && sym.score != 0) {
        sym.reason += " (counted in DMARC)";
        sym.score = 0;
      }
  }
  const PolicyConfig& cfg_;
  dmarc::Evaluator dmarc_;
};

// ---------------------------------------------------------------- submission
// Authenticated submissions are outbound mail: the inbound checks do not run
// (Check::inbound_only); the throttle applies the user's and the sender
// domain's own limits, the content and reputation checks run as for any
// message, and this check looks for the signs of a compromised account.
class SubmissionCheck final : public Check {
 public:
  explicit SubmissionCheck(const PolicyConfig& cfg) : cfg_(cfg) {}
  std::string_view name() const override { return "submission"; }
  Stage stage() const override { return Stage::kData; }
  void run(const StatePtr& s, Done done) override {
    if (!s->outbound) {
      done();
      return;
    }
    const Scores& sc = cfg_.scores;
    const auto n = static_cast<int64_t>(s->env.rcpts.size());
    if (n > cfg_.submission_max_rcpts)
      s->add(name(), "SUBMISSION_MANY_RCPTS", sc("SUBMISSION_MANY_RCPTS"),
             std::to_string(n) + " recipients (more than " + std::to_string(cfg_.submission_max_rcpts) + ")");
    const size_t at = s->env.mail_from.rfind('@');
    const std::string envelope = at == std::string::npos ? "" : to_lower(s->env.mail_from.substr(at + 1));
    if (const auto* from = s->headers.first("From"); from && !envelope.empty()) {
      if (auto mbs = mime::parse_mailbox_list(from->value()))
        for (const auto& mb : *mbs) {
          const std::string d = to_lower(mb.domain);
          if (d != envelope && !iends_with(d, "." + envelope) && !iends_with(envelope, "." + d)) {
            s->add(name(), "SUBMISSION_FOREIGN_FROM", sc("SUBMISSION_FOREIGN_FROM"),
                   "From domain " + d + " is not the sender's " + envelope);
            break;
          }
        }
    }
    done();
  }

 private:
  const PolicyConfig& cfg_;
};

}  // namespace

void add_default_checks(Pipeline& p, dns::Resolver& resolver, const Clock& clock,
                        std::shared_ptr<Throttle> throttle) {
  const PolicyConfig& cfg = p.config();
  if (throttle) p.add(std::make_unique<ThrottleCheck>(cfg, std::move(throttle)));
  if (cfg.fcrdns) p.add(std::make_unique<FcrdnsCheck>(cfg, resolver));
  if (!cfg.dnsbl_ip.empty()) p.add(std::make_unique<DnsblCheck>(cfg, resolver, false));
  if (cfg.spf) p.add(std::make_unique<SpfCheck>(cfg, resolver));
  if (cfg.header_sanity) p.add(std::make_unique<HeaderSanityCheck>(cfg));
  if (cfg.dkim) p.add(std::make_unique<DkimCheck>(cfg, resolver, clock));
#ifdef HAVE_RAMPART_ARC
  if (cfg.arc) p.add(std::make_unique<ArcCheck>(cfg, resolver));
#endif
  if (cfg.senderid) p.add(std::make_unique<SenderIdCheck>(cfg, resolver));
  if (!cfg.dnsbl_domain.empty()) p.add(std::make_unique<DnsblCheck>(cfg, resolver, true));
  if (cfg.dmarc) p.add(std::make_unique<DmarcCheck>(cfg, resolver));
  p.add(std::make_unique<SubmissionCheck>(cfg));
}

}  // namespace rampart::policy

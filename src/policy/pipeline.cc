// File: src/policy/pipeline.cc
// ScanState bookkeeping, running checks by stage and wave, and the verdict
// (see policy.h).
#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/fixed.h"
#include "core/log.h"
#include "core/strings.h"
#include "policy/checks.h"
#include "policy/policy.h"

namespace rampart::policy {

std::string_view stage_name(Stage s) {
  switch (s) {
    case Stage::kConnect: return "connect";
    case Stage::kHelo: return "helo";
    case Stage::kMail: return "mail";
    case Stage::kRcpt: return "rcpt";
    case Stage::kData: return "data";
  }
  return "?";
}

Result<Stage> parse_stage(std::string_view s) {
  for (Stage st : {Stage::kConnect, Stage::kHelo, Stage::kMail, Stage::kRcpt, Stage::kData})
    if (stage_name(st) == s) return st;
  return fail(Errc::kInvalidArgument, "unknown stage: " + std::string(s));
}

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kAccept: return "accept";
    case Action::kAddHeader: return "add_header";
    case Action::kQuarantine: return "quarantine";
    case Action::kTempfail: return "tempfail";
    case Action::kReject: return "reject";
  }
  return "tempfail";
}

void ScanState::set_message(std::string msg) {
  message = std::move(msg);
  headers = mime::HeaderSection::parse(message);
}

namespace {
constexpr SymbolScore kScores[] = {
    {"SPF_PASS", -1.0, "SPF pass (RFC 7208); with a DMARC record DMARC_* counts instead"},
    {"SPF_FAIL", 6.0, "SPF fail"},
    {"SPF_SOFTFAIL", 2.0, "SPF softfail"},
    {"SPF_NEUTRAL", 0.0, "SPF neutral"},
    {"SPF_NONE", 0.5, "no SPF record"},
    {"SPF_PERMERROR", 1.0, "broken SPF record"},
    {"SENDERID_PASS", 0.0, "Sender ID (PRA) pass; with a DMARC record DMARC_* counts instead"},
    {"SENDERID_FAIL", 1.0, "Sender ID fail"},
    {"SENDERID_SOFTFAIL", 0.0, "Sender ID softfail"},
    {"SENDERID_NEUTRAL", 0.0, "Sender ID neutral"},
    {"SENDERID_NONE", 0.0, "no Sender ID / SPF record for the PRA"},
    {"SENDERID_PERMERROR", 0.0, "Sender ID permerror"},
    {"DKIM_PASS", -1.0, "a DKIM signature verified; with a DMARC record DMARC_* counts instead"},
    {"DKIM_FAIL", 3.0, "a DKIM signature failed (0 when another passed)"},
    {"DKIM_NEUTRAL", 0.0, "DKIM neutral"},
    {"DKIM_POLICY", 0.0, "DKIM signature refused by local policy"},
    {"DKIM_PERMERROR", 0.0, "unusable DKIM signature or key"},
    {"DKIM_NONE", 0.0, "no DKIM-Signature"},
    {"DMARC_PASS", -2.0, "DMARC pass (stands for the SPF, DKIM and Sender ID results)"},
    {"DMARC_FAIL_REJECT", 9.0, "DMARC fail, p=reject (rejected when policy.dmarc.reject)"},
    {"DMARC_FAIL_QUARANTINE", 7.0, "DMARC fail, p=quarantine (quarantined when policy.dmarc.quarantine)"},
    {"DMARC_FAIL_NONE", 4.0, "DMARC fail, p=none (monitoring: never rejects on its own)"},
    {"DMARC_NONE", 0.0, "no DMARC record"},
    {"DMARC_PERMERROR", 0.5, "broken DMARC record"},
    {"DMARC_UNCHECKED", 0.0,
     "DMARC fail not judged: the message was cut at max_scan_bytes before DKIM could verify it"},
    {"ARC_PASS", 0.0, "ARC chain validated (RFC 8617)"},
    {"ARC_FAIL", 1.0, "ARC chain broken"},
    {"ARC_NONE", 0.0, "no ARC set"},
    {"FCRDNS_OK", 0.0, "forward-confirmed reverse DNS"},
    {"FCRDNS_FAIL", 2.0, "no PTR name maps back to the client"},
    {"RDNS_NONE", 2.0, "no PTR record"},
    {"MISSING_FROM", 3.0, "no From field (RFC 5322 3.6); the message is at least marked"},
    {"MULTIPLE_FROM", 3.0, "more than one From field; at least marked"},
    {"INVALID_FROM", 2.0, "From does not parse"},
    {"MISSING_DATE", 1.0, "no Date field"},
    {"MISSING_MESSAGE_ID", 0.5, "no Message-ID field"},
    {"DUPLICATE_SUBJECT", 1.0, "more than one Subject field"},
    {"HEADER_DEFECT", 1.0, "NUL, bare CR, bad field names, too many or too large fields"},
    {"AUTH_SUBMISSION", 0.0, "authenticated submission: judged as outbound mail"},
    {"SUBMISSION_MANY_RCPTS", 3.0, "submission to more than policy.submission.max_rcpts recipients"},
    {"SUBMISSION_FOREIGN_FROM", 3.0, "submission whose From domain is not its MAIL FROM domain"},
    {"REP_SPAMMER", 6.0, "a verified sender identity is classed spammer"},
    {"REP_COMPROMISED", 4.0, "a verified sender identity is classed compromised"},
    {"REP_BULK_OK", -0.5, "a compliant bulk sender"},
    {"REP_BULK", 0.0, "a bulk sender with a negative compliance score"},
    {"REP_TRANSACTIONAL", -0.5, "a transactional sender"},
    {"REP_TRAP_HIT", 0.0, "a recipient is a spam trap"},
    {"CONTENT_SPAM", 5.0, "content classifier: up to this, scaled from P(spam) above the threshold"},
    {"CONTENT_HAM", -1.0, "content classifier: down to this, scaled below the threshold"},
};
}  // namespace

std::span<const SymbolScore> builtin_scores() { return kScores; }

Scores::Scores() {
  for (const auto& sc : kScores) m_.emplace(std::string(sc.name), sc.score);
}

double Scores::operator()(std::string_view symbol) const {
  auto it = m_.find(symbol);
  return it == m_.end() ? 0.0 : it->second;
}

void ScanState::add(std::string_view check, std::string name, double score, std::string reason) {
  symbols.push_back(Symbol{std::move(name), score, std::move(reason), std::string(check)});
}

void ScanState::tempfail(std::string_view label, std::string reason, std::string_view check) {
  if (!temp_failed) tempfail_reason = std::string(label) + ": " + reason;
  temp_failed = true;
  symbols.push_back(Symbol{std::string(label) + "_TEMPFAIL", 0, std::move(reason),
                           check.empty() ? to_lower(label) : std::string(check), true});
}

double ScanState::score_without(std::initializer_list<std::string_view> checks) const {
  double s = 0;
  for (const auto& sym : symbols)
    if (std::find(checks.begin(), checks.end(), sym.check) == checks.end()) s += sym.score;
  return s;
}

namespace {
int rank(Action a) {
  switch (a) {
    case Action::kReject: return 4;
    case Action::kTempfail: return 3;
    case Action::kQuarantine: return 2;
    case Action::kAddHeader: return 1;
    default: return 0;
  }
}
}  // namespace

void ScanState::force(Action a, std::string reply, std::string_view check) {
  if (forced && rank(*forced) >= rank(a)) return;
  forced = a;
  forced_reply = std::move(reply);
  forced_by = std::string(check);
}

double ScanState::score() const {
  double s = 0;
  for (const auto& sym : symbols) s += sym.score;
  return s;
}

const std::string& ScanState::log_id() const {
  if (!env.queue_id.empty()) return env.queue_id;
  if (generated_id.empty()) generated_id = log::new_message_id();
  return generated_id;
}

std::string ScanState::mail_from_domain() const {
  const size_t at = env.mail_from.rfind('@');
  if (at != std::string::npos) return env.mail_from.substr(at + 1);
  return env.helo;
}

Pipeline::Pipeline(const PolicyConfig& cfg, dns::Resolver& resolver, const Clock& clock)
    : cfg_(cfg), resolver_(resolver), clock_(clock) {}

Pipeline::~Pipeline() = default;

std::shared_ptr<Pipeline> Pipeline::create(const PolicyConfig& cfg, dns::Resolver& resolver,
                                           const Clock& clock, std::shared_ptr<Throttle> throttle) {
  std::shared_ptr<Pipeline> p(new Pipeline(cfg, resolver, clock));
  add_default_checks(*p, resolver, clock, std::move(throttle));
  return p;
}

void Pipeline::add(std::unique_ptr<Check> check) { checks_.push_back(std::move(check)); }

void Pipeline::become_outbound(ScanState& s) const {
  s.outbound = true;
  // What inbound-only checks found before the login was known (the milter
  // learns {auth_authen} at MAIL FROM, after connect and HELO) is dropped.
  std::vector<std::string_view> inbound;
  for (const auto& c : checks_)
    if (c->inbound_only()) inbound.push_back(c->name());
  auto is_inbound = [&](const Symbol& sym) {
    return std::find(inbound.begin(), inbound.end(), sym.check) != inbound.end();
  };
  s.symbols.erase(std::remove_if(s.symbols.begin(), s.symbols.end(), is_inbound), s.symbols.end());
  s.auth.clear();  // iprev and the like: inbound authentication
  s.rdns_name.clear();
  s.temp_failed = false;
  s.tempfail_reason.clear();
  for (const auto& sym : s.symbols)
    if (sym.tempfail && !s.temp_failed) {
      s.temp_failed = true;
      s.tempfail_reason = sym.name + ": " + sym.reason;
    }
  s.add("submission", "AUTH_SUBMISSION", cfg_.scores("AUTH_SUBMISSION"),
        "authenticated as " + s.env.auth_user + ": judged as outbound mail");
}

void Pipeline::run(Stage stage, const std::shared_ptr<ScanState>& s, std::function<void()> done) {
  if (!s->outbound && !s->env.auth_user.empty()) become_outbound(*s);
  run_wave(stage, 0, s, std::move(done));
}

void Pipeline::run_wave(Stage stage, int wave, const std::shared_ptr<ScanState>& s,
                        std::function<void()> done) {
  std::vector<Check*> todo;
  int next_wave = -1;
  for (auto& c : checks_) {
    if (c->stage() != stage || (s->outbound && c->inbound_only())) continue;
    if (c->wave() == wave) todo.push_back(c.get());
    if (c->wave() > wave && (next_wave < 0 || c->wave() < next_wave)) next_wave = c->wave();
  }
  // After this wave: the next one, or the caller.
  auto after = [self = shared_from_this(), stage, next_wave, s, done = std::move(done)]() mutable {
    if (next_wave < 0) {
      done();
    } else {
      self->run_wave(stage, next_wave, s, std::move(done));
    }
  };
  if (todo.empty()) {
    after();
    return;
  }
  // Completion counter: one per check plus one for this loop, so a check that
  // finishes before run() returns cannot end the wave early.
  struct Join {
    size_t left;
    std::function<void()> then;
  };
  auto join = std::make_shared<Join>(Join{todo.size() + 1, std::move(after)});
  auto one_done = [join] {
    if (--join->left == 0) {
      auto then = std::move(join->then);
      then();
    }
  };
  for (Check* c : todo) {
    c->counters().runs++;
    const size_t before = s->symbols.size();
    const bool tf = s->temp_failed;
    c->run(s, [c, s, before, tf, one_done] {
      if (s->symbols.size() > before) {
        for (size_t i = before; i < s->symbols.size(); ++i)
          if (s->symbols[i].score > 0) {
            c->counters().hits++;
            break;
          }
      }
      if (s->temp_failed && !tf) c->counters().tempfails++;
      one_done();
    });
  }
  one_done();
}

namespace {
std::string format_score(double v) { return fixed(v, 2); }
}  // namespace

Verdict Pipeline::verdict(const ScanState& s) const {
  Verdict v;
  v.symbols = s.symbols;
  v.score = s.score();
  if (s.forced && *s.forced == Action::kReject) {
    v.action = Action::kReject;
    v.smtp_reply = s.forced_reply;
    v.reason = s.forced_by;
  } else if (s.forced && *s.forced == Action::kTempfail) {
    v.action = Action::kTempfail;
    v.smtp_reply = s.forced_reply;
    v.reason = s.forced_by;
  } else if (s.temp_failed) {
    v.action = Action::kTempfail;
    v.smtp_reply = "451 4.7.1 Temporary failure in policy checks, try again later";
    v.reason = s.tempfail_reason;
  } else if (v.score >= cfg_.reject_score &&
             // A domain's own p=quarantine asks for quarantine: the score
             // rejects only on evidence other than the authentication
             // results DMARC stands for.
             !(s.forced && *s.forced == Action::kQuarantine && s.forced_by == "dmarc" &&
               s.score_without({"spf", "dkim", "senderid", "dmarc"}) < cfg_.reject_score)) {
    v.action = Action::kReject;
    v.smtp_reply = "550 5.7.1 Message refused as spam (score " + format_score(v.score) + ")";
    v.reason = "score";
  } else if (v.score >= cfg_.quarantine_score || (s.forced && *s.forced == Action::kQuarantine)) {
    v.action = Action::kQuarantine;
    v.reason = s.forced && *s.forced == Action::kQuarantine ? s.forced_by : "score";
  } else if (v.score >= cfg_.add_header_score || (s.forced && *s.forced == Action::kAddHeader)) {
    v.action = Action::kAddHeader;
    v.reason = s.forced && *s.forced == Action::kAddHeader ? s.forced_by : "score";
  } else {
    v.action = Action::kAccept;
  }
  authres::AuthResults ar;
  ar.authserv_id = cfg_.authserv_id;
  ar.results = s.auth;
  authres::FormatOptions fo;
  fo.fold = false;
  fo.include_name = false;
  v.authentication_results = authres::format(ar, fo);
  std::string x = "action=";
  x += action_name(v.action);
  x += "; score=" + format_score(v.score) + "; symbols=";
  bool first = true;
  for (const auto& sym : v.symbols) {
    if (x.size() > 700) {
      x += ",...";
      break;
    }
    if (!first) x += ", ";
    first = false;
    x += sym.name + "(" + format_score(sym.score) + ")";
  }
  v.x_rampart = std::move(x);
  return v;
}

Verdict Pipeline::scan_sync(const std::shared_ptr<ScanState>& s) {
  for (Stage st : {Stage::kConnect, Stage::kHelo, Stage::kMail, Stage::kRcpt, Stage::kData}) {
    bool done = false;
    run(st, s, [&done] { done = true; });
    while (!done) resolver_.wait(100);
    // A throttle or a definitive reject before DATA ends the transaction.
    if (s->forced && st != Stage::kData && (*s->forced == Action::kReject || *s->forced == Action::kTempfail))
      break;
  }
  return verdict(*s);
}

}  // namespace rampart::policy

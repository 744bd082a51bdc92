// File: src/policy/pipeline.cc
// ScanState bookkeeping, running checks by stage and wave, and the verdict
// (see policy.h).
#include <algorithm>
#include <cstdio>
#include <memory>

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

void ScanState::add(std::string_view /*check*/, std::string name, double score, std::string reason) {
  symbols.push_back(Symbol{std::move(name), score, std::move(reason)});
}

void ScanState::tempfail(std::string_view check, std::string reason) {
  if (!temp_failed) tempfail_reason = std::string(check) + ": " + reason;
  temp_failed = true;
  symbols.push_back(Symbol{std::string(check) + "_TEMPFAIL", 0, std::move(reason)});
}

namespace {
int rank(Action a) {
  switch (a) {
    case Action::kReject: return 3;
    case Action::kTempfail: return 2;
    case Action::kQuarantine: return 1;
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

void Pipeline::run(Stage stage, const std::shared_ptr<ScanState>& s, std::function<void()> done) {
  run_wave(stage, 0, s, std::move(done));
}

void Pipeline::run_wave(Stage stage, int wave, const std::shared_ptr<ScanState>& s,
                        std::function<void()> done) {
  std::vector<Check*> todo;
  int next_wave = -1;
  for (auto& c : checks_) {
    if (c->stage() != stage) continue;
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
std::string format_score(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
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
  } else if (v.score >= cfg_.reject_score) {
    v.action = Action::kReject;
    v.smtp_reply = "550 5.7.1 Message refused as spam (score " + format_score(v.score) + ")";
    v.reason = "score";
  } else if (v.score >= cfg_.quarantine_score || (s.forced && *s.forced == Action::kQuarantine)) {
    v.action = Action::kQuarantine;
    v.reason = s.forced ? s.forced_by : "score";
  } else if (v.score >= cfg_.add_header_score) {
    v.action = Action::kAddHeader;
    v.reason = "score";
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

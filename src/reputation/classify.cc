// File: src/reputation/classify.cc
// Heavy-mailer rules (see classify.h).
#include "reputation/classify.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace rampart::reputation {

std::string_view class_name(SenderClass c) {
  switch (c) {
    case SenderClass::kUnknown: return "unknown";
    case SenderClass::kBulk: return "bulk";
    case SenderClass::kTransactional: return "transactional";
    case SenderClass::kSpammer: return "spammer";
    case SenderClass::kCompromised: return "compromised";
  }
  return "unknown";
}

std::optional<SenderClass> parse_class(std::string_view s) {
  for (auto c : {SenderClass::kUnknown, SenderClass::kBulk, SenderClass::kTransactional,
                 SenderClass::kSpammer, SenderClass::kCompromised})
    if (s == class_name(c)) return c;
  return std::nullopt;
}

Result<Thresholds> Thresholds::from_config(const Config& cfg, std::string_view prefix) {
  Thresholds t;
  const std::string p = std::string(prefix) + ".";
  auto rd = [&](const char* key, double& field) { field = cfg.get_double(p + key, field); };
  rd("bulk_daily_volume", t.bulk_daily_volume);
  rd("min_volume", t.min_volume);
  rd("complaint_good", t.complaint_good);
  rd("complaint_bad", t.complaint_bad);
  rd("min_complaints", t.min_complaints);
  rd("trap_hits", t.trap_hits);
  rd("trap_rate", t.trap_rate);
  rd("bounce_bad", t.bounce_bad);
  rd("min_bounces", t.min_bounces);
  rd("spam_verdict_bad", t.spam_verdict_bad);
  rd("min_spam_verdicts", t.min_spam_verdicts);
  rd("no_fcrdns_volume", t.no_fcrdns_volume);
  rd("auth_share", t.auth_share);
  rd("one_click_share", t.one_click_share);
  rd("good_history_hours", t.good_history_hours);
  rd("bot_hits_bad", t.bot_hits_bad);
  for (double v :
       {t.bulk_daily_volume, t.min_volume, t.complaint_good, t.complaint_bad, t.min_complaints, t.trap_hits,
        t.trap_rate, t.bounce_bad, t.min_bounces, t.spam_verdict_bad, t.min_spam_verdicts, t.no_fcrdns_volume,
        t.auth_share, t.one_click_share, t.good_history_hours, t.bot_hits_bad})
    if (!(v >= 0)) return fail(Errc::kConfig, p + "*: thresholds must be >= 0");
  if (t.complaint_good > t.complaint_bad)
    return fail(Errc::kConfig, p + "complaint_good must not exceed " + p + "complaint_bad");
  for (double v : {t.auth_share, t.one_click_share, t.spam_verdict_bad, t.bounce_bad})
    if (v > 1) return fail(Errc::kConfig, p + "*_share / *_bad rates must be <= 1");
  return t;
}

namespace {

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", x * 100);
  return b;
}
std::string num(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", x);
  return b;
}
std::string num2(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", x);
  return b;
}
std::string numg(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}

}  // namespace

Assessment classify(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th, SenderClass prev,
                    int64_t prev_since) {
  Assessment a;
  auto val = [&](Metric m, Window w) { return c.value(m, w, now); };
  auto add = [&](const char* code, double w, std::string text) {
    a.score += w;
    a.reasons.push_back(Reason{code, w, std::move(text)});
  };
  const double vol_d = val(Metric::kVolume, Window::kDay), vol_m = val(Metric::kVolume, Window::kMonth);
  const bool network = kind == IdentityKind::kIp || kind == IdentityKind::kNet;

  // Hysteresis: an identity already classed bad leaves its class only when it
  // looks good by the stricter standard (half the thresholds; complaints
  // below complaint_good), so one quiet hour does not flip it back.
  const bool was_bad = is_bad(prev);
  const double f = was_bad ? 0.5 : 1.0;
  const double complaint_limit = was_bad ? th.complaint_good : th.complaint_bad;
  bool bad = false;
  const double traps = val(Metric::kTraps, Window::kMonth);
  if (traps >= f * th.trap_hits && traps >= f * th.trap_rate * vol_m) {
    bad = true;
    add("TRAP_HITS", -5, "spam-trap hits " + num(traps) + " (month) >= " + num(f * th.trap_hits));
  }
  const double compl_d = val(Metric::kComplaints, Window::kDay);
  const double crate = vol_d > 0 ? compl_d / vol_d : (compl_d > 0 ? 1.0 : 0.0);
  if (compl_d >= f * th.min_complaints && crate >= complaint_limit) {
    bad = true;
    add("COMPLAINTS_BAD", -4, "complaint rate " + pct(crate) + " (day) >= " + pct(complaint_limit));
  }
  const double bounces = val(Metric::kBounces, Window::kDay);
  const double brate = vol_d > 0 ? bounces / vol_d : (bounces > 0 ? 1.0 : 0.0);
  if (bounces >= f * th.min_bounces && brate >= f * th.bounce_bad) {
    bad = true;
    add("BOUNCES_BAD", -3, "unknown-recipient bounces " + pct(brate) + " (day) >= " + pct(f * th.bounce_bad));
  }
  const double spam = val(Metric::kSpamVerdict, Window::kDay);
  if (spam >= f * th.min_spam_verdicts && vol_d > 0 && spam / vol_d >= f * th.spam_verdict_bad) {
    bad = true;
    add("SPAM_VERDICTS", -3,
        "scanner spam verdicts " + pct(spam / vol_d) + " (day) >= " + pct(f * th.spam_verdict_bad));
  }
  const double fcrdns_d = val(Metric::kFcrdns, Window::kDay);
  if (network && vol_d >= f * th.no_fcrdns_volume && fcrdns_d < (was_bad ? 0.75 : 0.5) * vol_d) {
    bad = true;
    add("NO_FCRDNS", -3,
        num(vol_d) + " recipients (day) from addresses without forward-confirmed reverse DNS");
  }
  // A flow detector (src/flows) saw this address or network act as a spam
  // bot. One detection reads 1 in the day window at once and 1/e a day later,
  // so N detections within about a day read at least N - 1 + 1/e (and fewer
  // never do): that is the limit (N / e for a fractional N below 1).
  const double bots = val(Metric::kBot, Window::kDay);
  constexpr double kInvE = 0.36787944117144233;
  const double bot_limit = f * std::max(th.bot_hits_bad - 1 + kInvE, th.bot_hits_bad * kInvE);
  if (network && th.bot_hits_bad > 0 && bots >= bot_limit) {
    bad = true;
    add("BOT_DETECTED", -5,
        "flow detector saw it behave like a spam bot: detections " + num2(bots) +
            " (day, decayed) >= " + num2(bot_limit) + " (" + numg(th.bot_hits_bad) + " within about 24 h" +
            (was_bad ? ", halved: already bad)" : ")"));
  }
  if (bad) {
    const double good_hours = static_cast<double>(now - prev_since) / 3600.0;
    if ((is_good(prev) && good_hours >= th.good_history_hours) || prev == SenderClass::kCompromised) {
      a.cls = SenderClass::kCompromised;
      add("WAS_GOOD", 0,
          prev == SenderClass::kCompromised
              ? std::string("compromised before")
              : std::string(class_name(prev)) + " for " + num(good_hours) + " h before: compromised");
    } else {
      a.cls = SenderClass::kSpammer;
    }
    return a;
  }

  if (is_bad(prev) && vol_d < th.min_volume) {
    // A bad identity needs fresh good volume to leave its class, not silence.
    a.cls = SenderClass::kUnknown;
    add("LOW_VOLUME", 0, num(vol_d) + " recipients (day) since a bad class < " + num(th.min_volume));
    return a;
  }
  if (vol_m < th.min_volume) {
    a.cls = SenderClass::kUnknown;
    add("LOW_VOLUME", 0, num(vol_m) + " recipients (month) < " + num(th.min_volume));
    return a;
  }
  const bool bulk = vol_d >= th.bulk_daily_volume || prev == SenderClass::kBulk;
  a.cls = bulk ? SenderClass::kBulk : SenderClass::kTransactional;
  if (bulk)
    add("BULK_VOLUME", 0,
        vol_d >= th.bulk_daily_volume ? num(vol_d) + " recipients (day) >= " + num(th.bulk_daily_volume)
                                      : std::string("bulk sender before"));
  if (crate < th.complaint_good)
    add("COMPLAINTS_OK", 2, "complaint rate " + pct(crate) + " (day) < " + pct(th.complaint_good));
  else
    add("COMPLAINTS_WARN", -1, "complaint rate " + pct(crate) + " (day) >= " + pct(th.complaint_good));
  const double auth = vol_d > 0 ? val(Metric::kAuthAligned, Window::kDay) / vol_d : 0;
  if (!network) {
    // Domain identities are verified by construction; alignment is the bulk rule.
    if (auth >= th.auth_share)
      add("AUTH_ALIGNED", 1, "SPF+DKIM+DMARC aligned " + pct(auth) + " (day)");
    else if (bulk)
      add("NO_AUTH", -2, "bulk with SPF+DKIM+DMARC aligned on only " + pct(auth) + " (day)");
  }
  if (bulk) {
    const double oc = vol_d > 0 ? val(Metric::kOneClick, Window::kDay) / vol_d : 0;
    if (oc >= th.one_click_share)
      add("ONE_CLICK", 1, "RFC 8058 one-click unsubscribe on " + pct(oc) + " (day)");
    else
      add("NO_ONE_CLICK", -2, "bulk with one-click unsubscribe on only " + pct(oc) + " (day)");
  }
  if (network) {
    if (vol_d > 0 && fcrdns_d >= 0.99 * vol_d) add("FCRDNS", 1, "forward-confirmed reverse DNS");
  }
  return a;
}

std::string ClassState::encode() const {
  std::string s = std::string(class_name(cls)) + " " + std::to_string(since);
  if (good_since) s += " " + std::to_string(good_since);
  return s;
}

std::optional<ClassState> ClassState::decode(std::string_view s) {
  const size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto c = parse_class(s.substr(0, sp));
  if (!c) return std::nullopt;
  ClassState st;
  st.cls = *c;
  std::string_view n = s.substr(sp + 1);
  std::string_view g;
  if (const size_t sp2 = n.find(' '); sp2 != std::string_view::npos) {
    g = n.substr(sp2 + 1);
    n = n.substr(0, sp2);
  }
  auto r = std::from_chars(n.data(), n.data() + n.size(), st.since);
  if (r.ec != std::errc() || r.ptr != n.data() + n.size()) return std::nullopt;
  if (!g.empty()) {
    auto r2 = std::from_chars(g.data(), g.data() + g.size(), st.good_since);
    if (r2.ec != std::errc() || r2.ptr != g.data() + g.size()) return std::nullopt;
  }
  return st;
}

ClassState apply_history(Assessment& a, const std::optional<ClassState>& prev, int64_t now) {
  if (prev && a.cls == SenderClass::kUnknown && prev->cls != SenderClass::kUnknown) {
    // Too little recent evidence: keep what was learnt (bad or good).
    a.reasons.push_back(Reason{"KEPT", 0,
                               std::string("kept ") + std::string(class_name(prev->cls)) + " since " +
                                   std::to_string(prev->since) + " (too little new evidence)"});
    a.cls = prev->cls;
    if (is_bad(a.cls)) a.score -= 3;
    return *prev;
  }
  if (prev && prev->cls == a.cls) return *prev;
  ClassState next{a.cls, now, 0};
  if (is_good(a.cls))
    next.good_since = prev && is_good(prev->cls) ? (prev->good_since ? prev->good_since : prev->since) : now;
  return next;
}

}  // namespace rampart::reputation

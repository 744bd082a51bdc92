// File: src/reputation/classify.cc
// Heavy-mailer rules (see classify.h).
#include "reputation/classify.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/fixed.h"
#include "reputation/few_model.h"
#include "reputation/sender_model.h"

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
  rd("model_bad", t.model_bad);
  rd("model_good", t.model_good);
  rd("model_min_volume", t.model_min_volume);
  rd("good_volume", t.good_volume);
  rd("dmarc_good", t.dmarc_good);
  rd("transactional_volume", t.transactional_volume);
  rd("aligned_good", t.aligned_good);
  rd("fcrdns_good", t.fcrdns_good);
  rd("one_click_bulk", t.one_click_bulk);
  rd("min_unsubscribes", t.min_unsubscribes);
  rd("unsubscribe_bulk", t.unsubscribe_bulk);
  rd("good_min_hours", t.good_min_hours);
  rd("spike_factor", t.spike_factor);
  rd("model_min_behaviour", t.model_min_behaviour);
  rd("bad_hold_hours", t.bad_hold_hours);
  rd("complaint_lag_hours", t.complaint_lag_hours);
  rd("few_max_volume", t.few_max_volume);
  rd("few_bad", t.few_bad);
  for (double v : {t.bulk_daily_volume, t.min_volume,       t.complaint_good,      t.complaint_bad,
                   t.min_complaints,    t.trap_hits,        t.trap_rate,           t.bounce_bad,
                   t.min_bounces,       t.spam_verdict_bad, t.min_spam_verdicts,   t.no_fcrdns_volume,
                   t.auth_share,        t.one_click_share,  t.good_history_hours,  t.bot_hits_bad,
                   t.model_bad,         t.model_good,       t.model_min_volume,    t.good_volume,
                   t.dmarc_good,        t.bad_hold_hours,   t.complaint_lag_hours, t.transactional_volume,
                   t.aligned_good,      t.fcrdns_good,      t.one_click_bulk,      t.min_unsubscribes,
                   t.unsubscribe_bulk,  t.good_min_hours,   t.model_min_behaviour, t.spike_factor,
                   t.few_max_volume,    t.few_bad})
    if (!(v >= 0)) return fail(Errc::kConfig, p + "*: thresholds must be >= 0");
  if (t.complaint_good > t.complaint_bad)
    return fail(Errc::kConfig, p + "complaint_good must not exceed " + p + "complaint_bad");
  for (double v :
       {t.auth_share, t.one_click_share, t.spam_verdict_bad, t.bounce_bad, t.model_bad, t.model_good,
        t.dmarc_good, t.aligned_good, t.fcrdns_good, t.one_click_bulk, t.unsubscribe_bulk, t.few_bad})
    if (v > 1) return fail(Errc::kConfig, p + "*_share / *_bad rates and model probabilities must be <= 1");
  if (t.complaint_lag_hours >= 24)
    return fail(Errc::kConfig, p + "complaint_lag_hours must be below 24 (the day window)");
  if (t.model_good > t.model_bad)
    return fail(Errc::kConfig, p + "model_good must not exceed " + p + "model_bad");
  return t;
}

namespace {

std::string pct(double x) { return fixed(x * 100, 2) + "%"; }
std::string num(double x) { return fixed(x, 0); }
std::string num2(double x) { return fixed(x, 2); }
std::string numg(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}

}  // namespace

std::string_view feature_name(Feature f) {
  switch (f) {
    case Feature::kAligned: return "aligned";
    case Feature::kDmarcPass: return "dmarc_pass";
    case Feature::kAuthFail: return "auth_fail";
    case Feature::kBadHelo: return "bad_helo";
    case Feature::kNoFcrdns: return "no_fcrdns";
    case Feature::kBounces: return "bounces";
    case Feature::kComplaints: return "complaints";
    case Feature::kTraps: return "traps";
    case Feature::kSpamVerdicts: return "spam_verdicts";
    case Feature::kOneClick: return "one_click";
    case Feature::kNetwork: return "network";
    case Feature::kCount: break;
  }
  return "?";
}

namespace {
// A checked-in fit (sender_model.h, few_model.h) as weights: one per feature.
template <typename Weights, size_t N>
Weights weights_of(double bias, const double (&fit)[N]) {
  Weights w;
  static_assert(N == std::tuple_size_v<decltype(w.w)>, "one weight per feature");
  w.bias = bias;
  for (size_t i = 0; i < N; ++i) w.w[i] = fit[i];
  return w;
}

// The logistic model's P(bad): 1 / (1 + e^-(bias + w.x)).
template <typename Weights, typename Vector>
double logistic(const Weights& m, const Vector& x) {
  double z = m.bias;
  for (size_t i = 0; i < x.size(); ++i) z += m.w[i] * x[i];
  return 1.0 / (1.0 + std::exp(-z));
}
}  // namespace

const ModelWeights& default_model() {
  static const ModelWeights m = weights_of<ModelWeights>(kSenderModelBias, kSenderModelWeights);
  return m;
}

double bad_probability(const ModelWeights& m, const FeatureVector& x) { return logistic(m, x); }

double overturned_share(const Counters& c, Window w, int64_t now) {
  // Reports beyond the first: one recipient's click is not a rate.
  auto share = [&](Window rw) {
    const double verdicts = c.value(Metric::kSpamVerdict, rw, now);
    if (!(verdicts > 0)) return 0.0;
    const double reports = std::max(0.0, c.value(Metric::kNotSpam, rw, now) - 1);
    return std::clamp(kVerdictsPerNotSpam * reports / verdicts, 0.0, 1.0);
  };
  // Not-spam reports trail the verdicts (a recipient finds the message in
  // the spam folder hours later), so a campaign's first hours read no
  // rescue in the hour and day windows: the month's share, the sender's
  // record, counts too. A takeover's flood of verdicts lowers the month's
  // share by itself.
  return w == Window::kMonth ? share(Window::kMonth) : std::max(share(Window::kDay), share(Window::kMonth));
}

double upheld_verdicts(const Counters& c, Window w, int64_t now) {
  return std::max(0.0, c.value(Metric::kSpamVerdict, w, now)) * (1.0 - overturned_share(c, w, now));
}

HistoryReading history_reading(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th) {
  // The month less the day: the mail before the last day or so (exactly so
  // for mail older than a few days, in part for the day before).
  Counters h;
  h.t = now;
  for (size_t m = 0; m < kMetricCount; ++m) {
    const auto metric = static_cast<Metric>(m);
    const double v = std::max(0.0, c.value(metric, Window::kMonth, now) - c.value(metric, Window::kDay, now));
    for (size_t w = 0; w < kWindowCount; ++w)
      h.v[Counters::index(metric, static_cast<Window>(w))] = static_cast<float>(v);
  }
  HistoryReading r;
  r.volume = h.value(Metric::kVolume, Window::kMonth, now);
  const double denom = r.volume + kFeaturePrior;
  const bool network = kind == IdentityKind::kIp || kind == IdentityKind::kNet;
  const FeatureVector x = sender_features(h, kind, now, Window::kMonth);
  r.p_bad = bad_probability(th.model, x);
  r.spam_share = upheld_verdicts(h, Window::kMonth, now) / denom;
  r.fail_share = r.volume > 0 ? h.value(Metric::kAuthFail, Window::kMonth, now) / r.volume : 0.0;
  r.fcrdns_share = r.volume > 0 ? h.value(Metric::kFcrdns, Window::kMonth, now) / r.volume : 0.0;
  r.good = r.volume >= 2 && r.p_bad < th.model_good && r.spam_share < kCorroboratingSpamVerdicts &&
           r.fail_share < 1 - th.aligned_good && (!network || r.fcrdns_share >= th.fcrdns_good);
  r.text = "history " + num(r.volume) + " recipients: P(bad) " + num2(r.p_bad) + ", spam verdicts " +
           pct(r.spam_share) + ", auth failing " + pct(r.fail_share) +
           (network ? ", FCrDNS " + pct(r.fcrdns_share) : std::string());
  return r;
}

FeatureVector sender_features(const Counters& c, IdentityKind kind, int64_t now, Window win) {
  FeatureVector x{};
  // Spam verdicts are read as those the recipients upheld (upheld_verdicts).
  auto val = [&](Metric m, Window w) {
    return m == Metric::kSpamVerdict ? upheld_verdicts(c, w, now) : c.value(m, w, now);
  };
  const bool month = win == Window::kMonth;
  const Window base = month ? Window::kMonth : Window::kDay;
  const double vd = val(Metric::kVolume, base), vm = val(Metric::kVolume, Window::kMonth);
  const double vh = val(Metric::kVolume, Window::kHour);
  const double recent_base = std::max(vh, vd / 24) + kFeaturePrior;
  // Shares read against kFeaturePrior more recipients than were seen: a
  // share of a handful of messages is weak evidence either way, so a
  // sender's first few messages cannot make any feature extreme.
  const double denom = vd + kFeaturePrior;
  auto day = [&](Metric m) { return vd > 0 ? std::min(1.0, val(m, base) / denom) : 0.0; };
  // The recent (hour) window shows a change of behaviour of a sender with
  // volume in the hour; a small sender's odd message is not one.
  const bool recent_ok = !month && vh >= 2 * kFeaturePrior;
  auto recent = [&](Metric m) {
    return recent_ok ? std::min(1.0, val(m, Window::kHour) / recent_base) : 0.0;
  };
  auto worse = [&](Metric m) { return std::max(day(m), recent(m)); };
  auto at = [&](Feature f) -> double& { return x[static_cast<size_t>(f)]; };
  at(Feature::kAligned) = day(Metric::kAuthAligned);
  at(Feature::kDmarcPass) = std::min(1.0, day(Metric::kAuthAligned) + day(Metric::kDmarcOnly));
  at(Feature::kAuthFail) = worse(Metric::kAuthFail);
  at(Feature::kBadHelo) = worse(Metric::kBadHelo);
  const double no_fcrdns_day = vd > 0 ? std::max(0.0, vd - val(Metric::kFcrdns, base)) / denom : 0.0;
  const double no_fcrdns_recent =
      recent_ok ? std::max(0.0, vh - val(Metric::kFcrdns, Window::kHour)) / recent_base : 0.0;
  at(Feature::kNoFcrdns) = std::min(1.0, std::max(no_fcrdns_day, no_fcrdns_recent));
  // Complaints, trap hits and unknown recipients are counted events: the
  // first one of a small sender is noise, not a rate (one complaint on 30
  // messages is not 3%).
  auto beyond_one = [&](Metric m, Window w) { return std::max(0.0, val(m, w) - 1); };
  at(Feature::kBounces) = std::max(vd > 0 ? std::min(1.0, beyond_one(Metric::kBounces, base) / denom) : 0.0,
                                   recent(Metric::kBounces));
  at(Feature::kComplaints) =
      vd > 0 ? std::min(1.0, beyond_one(Metric::kComplaints, base) / denom / 0.01) : 0.0;
  at(Feature::kTraps) =
      vm > 0 ? std::min(1.0, beyond_one(Metric::kTraps, Window::kMonth) / (vm + kFeaturePrior) / 0.001) : 0.0;
  at(Feature::kSpamVerdicts) = worse(Metric::kSpamVerdict);
  at(Feature::kOneClick) = day(Metric::kOneClick);
  at(Feature::kNetwork) = kind == IdentityKind::kIp || kind == IdentityKind::kNet ? 1.0 : 0.0;
  return x;
}

std::string_view few_feature_name(FewFeature f) {
  switch (f) {
    case FewFeature::kSpamVerdicts: return "spam_verdicts";
    case FewFeature::kAuthFail: return "auth_fail";
    case FewFeature::kBadHelo: return "bad_helo";
    case FewFeature::kNoFcrdns: return "no_fcrdns";
    case FewFeature::kBounces: return "bounces";
    case FewFeature::kObjections: return "objections";
    case FewFeature::kAligned: return "aligned";
    case FewFeature::kDmarcPass: return "dmarc_pass";
    case FewFeature::kFcrdns: return "fcrdns";
    case FewFeature::kNotSpam: return "not_spam";
    case FewFeature::kVolume: return "volume";
    case FewFeature::kNetwork: return "network";
    case FewFeature::kCount: break;
  }
  return "?";
}

FewFeatureVector few_features(const Counters& c, IdentityKind kind, int64_t now) {
  FewFeatureVector x{};
  auto val = [&](Metric m) { return std::max(0.0, c.value(m, Window::kMonth, now)); };
  auto at = [&](FewFeature f) -> double& { return x[static_cast<size_t>(f)]; };
  const double vol = val(Metric::kVolume);
  at(FewFeature::kSpamVerdicts) = std::log1p(val(Metric::kSpamVerdict));
  at(FewFeature::kAuthFail) = std::log1p(val(Metric::kAuthFail));
  at(FewFeature::kBadHelo) = std::log1p(val(Metric::kBadHelo));
  at(FewFeature::kNoFcrdns) = std::log1p(std::max(0.0, vol - val(Metric::kFcrdns)));
  at(FewFeature::kBounces) = std::log1p(val(Metric::kBounces));
  at(FewFeature::kObjections) = std::log1p(val(Metric::kComplaints) + val(Metric::kTraps));
  at(FewFeature::kAligned) = std::log1p(val(Metric::kAuthAligned));
  at(FewFeature::kDmarcPass) = std::log1p(val(Metric::kAuthAligned) + val(Metric::kDmarcOnly));
  at(FewFeature::kFcrdns) = std::log1p(val(Metric::kFcrdns));
  at(FewFeature::kNotSpam) = std::log1p(val(Metric::kNotSpam));
  at(FewFeature::kVolume) = std::log1p(vol);
  at(FewFeature::kNetwork) = kind == IdentityKind::kIp || kind == IdentityKind::kNet ? 1.0 : 0.0;
  return x;
}

const FewModelWeights& default_few_model() {
  static const FewModelWeights m = weights_of<FewModelWeights>(kFewModelBias, kFewModelWeights);
  return m;
}

double few_bad_probability(const FewModelWeights& m, const FewFeatureVector& x) { return logistic(m, x); }

double reception_evidence(const Counters& c, IdentityKind kind, int64_t now, Window w, const Thresholds& th) {
  auto val = [&](Metric m, Window win) {
    return m == Metric::kSpamVerdict ? upheld_verdicts(c, win, now) : c.value(m, win, now);
  };
  const double v = val(Metric::kVolume, w), vh = val(Metric::kVolume, Window::kHour);
  // Counted events beyond the first, over the volume plus kReceptionPrior:
  // a few odd messages of a small sender are not significant; the hour
  // window counts only with volume in it (a burst).
  auto share = [&](Metric m) {
    double s = std::max(0.0, val(m, w) - 1) / (v + kReceptionPrior);
    if (w != Window::kMonth && vh >= 2 * kFeaturePrior)
      s = std::max(s, std::max(0.0, val(m, Window::kHour) - 1) / (vh + kReceptionPrior));
    return std::min(1.0, s);
  };
  const FeatureVector x = sender_features(c, kind, now, w);
  auto wt = [&](Feature f) { return th.model.w[static_cast<size_t>(f)]; };
  double e = wt(Feature::kBounces) * std::max(0.0, share(Metric::kBounces) - kNormalBounces) +
             wt(Feature::kSpamVerdicts) * std::max(0.0, share(Metric::kSpamVerdict) - kNormalSpamVerdicts);
  e += wt(Feature::kComplaints) * x[static_cast<size_t>(Feature::kComplaints)];
  e += wt(Feature::kTraps) * x[static_cast<size_t>(Feature::kTraps)];
  return e;
}

namespace {

// "P(bad) 0.98: auth_fail 100% (+2.1), bad_helo 100% (+1.9), ..." with the
// features that pushed hardest towards bad (or towards good: sign < 0).
std::string model_text(const ModelWeights& m, const FeatureVector& x, double p, int sign) {
  std::vector<std::pair<double, size_t>> parts;
  for (size_t i = 0; i < kFeatureCount; ++i) {
    const double c = m.w[i] * x[i];
    if (c * sign > 0.25) parts.emplace_back(c * sign, i);
  }
  std::sort(parts.rbegin(), parts.rend());
  std::string t = "P(bad) " + num2(p);
  for (size_t k = 0; k < parts.size() && k < 4; ++k) {
    const size_t i = parts[k].second;
    char b[96];
    std::snprintf(b, sizeof b, "%s %s %.0f%% (%+.1f)", k ? "," : ":",
                  std::string(feature_name(static_cast<Feature>(i))).c_str(), x[i] * 100, m.w[i] * x[i]);
    t += b;
  }
  return t;
}

// "P(bad) 0.97 on 3 recipients (month): spam_verdicts 3 (+1.6), auth_fail 3 (+1.2), ..."
// with the counts that pushed hardest towards bad.
std::string few_model_text(const FewModelWeights& m, const FewFeatureVector& x, double p) {
  std::vector<std::pair<double, size_t>> parts;
  for (size_t i = 0; i < kFewFeatureCount; ++i) {
    const double c = m.w[i] * x[i];
    if (c > 0.25 && static_cast<FewFeature>(i) != FewFeature::kVolume) parts.emplace_back(c, i);
  }
  std::sort(parts.rbegin(), parts.rend());
  char b[96];
  std::snprintf(b, sizeof b, "P(bad) %.2f on %.0f recipients (month)", p,
                std::expm1(x[static_cast<size_t>(FewFeature::kVolume)]));
  std::string t = b;
  for (size_t k = 0; k < parts.size() && k < 4; ++k) {
    const size_t i = parts[k].second;
    const auto f = static_cast<FewFeature>(i);
    if (f == FewFeature::kNetwork)
      std::snprintf(b, sizeof b, "%s network (%+.1f)", k ? "," : ":", m.w[i] * x[i]);
    else
      std::snprintf(b, sizeof b, "%s %s %.0f (%+.1f)", k ? "," : ":",
                    std::string(few_feature_name(f)).c_str(), std::expm1(x[i]), m.w[i] * x[i]);
    t += b;
  }
  return t;
}

}  // namespace

namespace {

// Other channels (issue 16): numbers, short codes, IM accounts, SIP
// sources and trunks. Their counters are the channel's events: volume
// (a message's recipients, a call), spam verdicts (the channel's checks
// blocked or tagged it), complaints (report spam, GSMA 7726), not-spam,
// and for calls short answered calls (kBounces). No authentication, HELO or
// sender model: the rules below, with the same thresholds and hysteresis
// as mail.
Assessment classify_channel(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th,
                            SenderClass prev, int64_t prev_since) {
  Assessment a;
  auto val = [&](Metric m, Window w) { return c.value(m, w, now); };
  auto add = [&](const char* code, double w, std::string text) {
    a.score += w;
    a.reasons.push_back(Reason{code, w, std::move(text)});
  };
  const bool calls =
      kind == IdentityKind::kVoice || kind == IdentityKind::kSip || kind == IdentityKind::kTrunk;
  const char* unit = calls ? " calls" : " recipients";
  const double vol_d = val(Metric::kVolume, Window::kDay), vol_m = val(Metric::kVolume, Window::kMonth);
  const bool was_bad = is_bad(prev);
  const double f = was_bad ? 0.5 : 1.0;
  bool bad = false;
  // Complaints: a recipient's "report spam" or a 7726 forward. No lag
  // correction: a complaint about an SMS or a call comes within minutes.
  const double compl_d = val(Metric::kComplaints, Window::kDay);
  const double crate = compl_d / (vol_d + kReceptionPrior);
  const double climit = was_bad ? th.complaint_good : th.complaint_bad;
  if (compl_d >= f * th.min_complaints && crate >= climit) {
    bad = true;
    add("COMPLAINTS_BAD", -4,
        "spam reports " + num(compl_d) + " (day), " + pct(crate) + " of" + unit + " >= " + pct(climit));
  }
  // The channel's own checks (messages: sender and text patterns, the
  // content model; calls: the call patterns and STIR/SHAKEN) blocked or
  // tagged this share of its traffic.
  const double spam = val(Metric::kSpamVerdict, Window::kDay);
  const double srate = spam / (vol_d + kReceptionPrior);
  if (spam >= f * th.min_spam_verdicts && srate >= f * th.spam_verdict_bad) {
    bad = true;
    add("SPAM_VERDICTS", -3,
        std::string(calls ? "calls" : "messages") + " blocked or tagged by the channel's checks " +
            num(spam) + " (day), " + pct(srate) + " >= " + pct(f * th.spam_verdict_bad));
  } else if (spam >= 0.5) {  // one, decayed a little
    add("CHANNEL_FLAGGED", 0,
        std::string(calls ? "calls" : "messages") + " blocked or tagged " + num(spam) + " (day), " +
            pct(srate) + " < " + pct(f * th.spam_verdict_bad));
  }
  // Short answered calls: robocalls are hung up on within seconds.
  const double shorts = val(Metric::kBounces, Window::kDay);
  const double short_rate = shorts / (vol_d + kReceptionPrior);
  if (calls && shorts >= f * th.min_bounces && short_rate >= f * th.spam_verdict_bad) {
    bad = true;
    add("SHORT_CALLS", -2,
        "answered calls shorter than " + std::to_string(kShortCallSeconds) + " s " + num(shorts) +
            " (day), " + pct(short_rate) + " >= " + pct(f * th.spam_verdict_bad));
  }
  const double notspam = val(Metric::kNotSpam, Window::kMonth);
  if (notspam >= 0.5) add("NOT_SPAM", 0, "reported not spam " + num(notspam) + " (month)");
  if (!bad && was_bad && prev_since > 0 && now - prev_since < th.bad_hold_hours * 3600) {
    bad = true;
    add("HELD", -1,
        std::string(class_name(prev)) + " for " + num(static_cast<double>(now - prev_since) / 3600) +
            " h < " + num(th.bad_hold_hours) + " h");
  }
  if (bad) {
    // A number that was good for good_history_hours and turns bad was taken
    // over (a hijacked account, a hacked PBX), as for mail.
    const bool long_good = is_good(prev) && prev_since > 0 &&
                           static_cast<double>(now - prev_since) / 3600.0 >= th.good_history_hours;
    a.cls =
        long_good || prev == SenderClass::kCompromised ? SenderClass::kCompromised : SenderClass::kSpammer;
    return a;
  }
  if (is_bad(prev) && vol_d < th.min_volume) {
    add("LOW_VOLUME", 0, num(vol_d) + unit + " (day) since a bad class < " + num(th.min_volume));
    return a;
  }
  // Good: clean traffic (verdicts within what legitimate traffic gets,
  // complaints below complaint_good) over good_min_hours and in volume.
  const double spam_m = val(Metric::kSpamVerdict, Window::kMonth);
  const double compl_m = val(Metric::kComplaints, Window::kMonth);
  const double srate_m = vol_m > 0 ? spam_m / vol_m : 0.0;
  const double crate_m = vol_m > 0 ? compl_m / vol_m : 0.0;
  a.clean = vol_m >= 2 && srate_m < kNormalSpamVerdicts && crate_m < th.complaint_good;
  const double hours = prev_since > 0 ? static_cast<double>(now - prev_since) / 3600.0 : 0.0;
  // Bulk: a short code (application-to-person by its nature) or the bulk volume.
  const bool bulk =
      kind == IdentityKind::kShortCode || vol_d >= th.bulk_daily_volume || prev == SenderClass::kBulk;
  const double need = bulk ? th.good_volume : th.transactional_volume;
  if (a.clean && hours >= th.good_min_hours && vol_m >= need) {
    a.cls = bulk ? SenderClass::kBulk : SenderClass::kTransactional;
    add("CLEAN_TRAFFIC", 1,
        num(vol_m) + unit + " (month), blocked or tagged " + pct(srate_m) + ", spam reports " + pct(crate_m) +
            ", clean for " + num(hours) + " h");
    return a;
  }
  std::string missing;
  if (!a.clean)
    missing = "blocked or tagged " + pct(srate_m) + " (month), spam reports " + pct(crate_m);
  else if (hours < th.good_min_hours)
    missing = "clean for " + num(hours) + " h < " + num(th.good_min_hours) + " h";
  else
    missing = num(vol_m) + unit + " (month) < " + num(need);
  add(vol_m < need ? "LOW_VOLUME" : "NO_POSITIVE_EVIDENCE", 0, missing);
  return a;
}

}  // namespace

Assessment classify(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th, SenderClass prev,
                    int64_t prev_since) {
  Assessment a;
  if (is_channel_kind(kind)) return classify_channel(c, kind, now, th, prev, prev_since);
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
  // Complaints trail their mail (by complaint_lag_hours on average), so the
  // day window of complaints reads against volume that has decayed since:
  // for an exponential delay of mean L the ratio reads 1 / (1 - L / 24 h)
  // times the true rate; divide that out.
  const double compl_d = val(Metric::kComplaints, Window::kDay);
  const double lag = 1.0 / (1.0 - th.complaint_lag_hours / 24.0);
  const double crate = vol_d > 0 ? compl_d / vol_d / lag : (compl_d > 0 ? 1.0 : 0.0);
  if (compl_d >= f * th.min_complaints && crate >= complaint_limit) {
    bad = true;
    add("COMPLAINTS_BAD", -4, "complaint rate " + pct(crate) + " (day) >= " + pct(complaint_limit));
  }
  const double bounces = val(Metric::kBounces, Window::kDay);
  // Rates of counted events read against kReceptionPrior more recipients:
  // a small sender's first few messages are not a rate.
  const double brate = bounces / (vol_d + kReceptionPrior);
  if (bounces >= f * th.min_bounces && brate >= f * th.bounce_bad) {
    bad = true;
    add("BOUNCES_BAD", -3, "unknown-recipient bounces " + pct(brate) + " (day) >= " + pct(f * th.bounce_bad));
  }
  // Spam verdicts the recipients upheld: those they marked "not spam" (each
  // for kVerdictsPerNotSpam flagged recipients) were the filter's mistakes.
  const double spam = upheld_verdicts(c, Window::kDay, now);
  const double srate = spam / (vol_d + kReceptionPrior);
  if (spam >= f * th.min_spam_verdicts && srate >= f * th.spam_verdict_bad) {
    bad = true;
    add("SPAM_VERDICTS", -3,
        "scanner spam verdicts " + pct(srate) + " (day) >= " + pct(f * th.spam_verdict_bad));
  }
  const double spam_raw = val(Metric::kSpamVerdict, Window::kDay);
  const double overturned = overturned_share(c, Window::kDay, now);
  if (spam_raw >= th.min_spam_verdicts && overturned >= 0.25)
    add("NOT_SPAM_RESCUE", 0,
        "recipients marked " + num(val(Metric::kNotSpam, Window::kDay)) + " messages not spam (day), " +
            num(val(Metric::kNotSpam, Window::kMonth)) + " against " +
            num(val(Metric::kSpamVerdict, Window::kMonth)) + " spam verdicts (month): " + pct(overturned) +
            " of the day's " + num(spam_raw) + " spam verdicts read as the filter's mistakes");
  const double fcrdns_d = val(Metric::kFcrdns, Window::kDay);
  if (network && th.no_fcrdns_volume > 0 && vol_d >= f * th.no_fcrdns_volume &&
      fcrdns_d < (was_bad ? 0.75 : 0.5) * vol_d) {
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
  // The sender model: every signal of the identity's mail at once, over the
  // day window, or the month window for a sender too small for the day. It
  // judges only with model_min_volume recipients: a low-data sender stays
  // unknown whatever its few messages look like.
  const bool by_day = vol_d >= th.model_min_volume;
  const bool judged = by_day || vol_m >= th.model_min_volume;
  const FeatureVector x = sender_features(c, kind, now, by_day ? Window::kDay : Window::kMonth);
  const double p = bad_probability(th.model, x);
  a.p_bad = judged ? p : 0.0;
  // Minimum evidence: configuration signs (authentication, HELO, FCrDNS)
  // are shared by many small legitimate servers, so a spammer call also
  // needs what recipients and filters saw of the mail itself (unknown
  // recipients, complaints, trap hits, spam verdicts) to weigh at least
  // model_min_behaviour in the model's own terms (logit).
  const double behaviour = reception_evidence(c, kind, now, by_day ? Window::kDay : Window::kMonth, th);
  if (judged && p >= (was_bad ? th.model_good : th.model_bad) &&
      (was_bad || behaviour >= th.model_min_behaviour)) {
    bad = true;
    add("MODEL_BAD", -3, std::string(by_day ? "" : "(month) ") + model_text(th.model, x, p, +1));
  }
  // Few messages (README "Few messages"): below few_max_volume recipients
  // (month) the shares above are read against priors that hide what little
  // there is, so the evidence is counted instead: forged or failing
  // authentication, a generic HELO, no FCrDNS, unknown recipients, the
  // filter's verdicts, each against the sender; aligned mail and FCrDNS for
  // it. A sender whose few messages carry no such evidence stays unknown.
  // A server configured as a legitimate one (FCrDNS, a proper HELO, no
  // failing authentication on any message) is not judged on its first few
  // recipients' reception alone (kReceptionPrior: an ESP's new address whose
  // first three messages met two unknown recipients).
  const bool config_sign = val(Metric::kAuthFail, Window::kMonth) > 0 ||
                           val(Metric::kBadHelo, Window::kMonth) > 0 ||
                           val(Metric::kFcrdns, Window::kMonth) < vol_m - 1e-9;
  if (!bad && !was_bad && vol_m > 0 && vol_m < th.few_max_volume && th.few_bad < 1 && config_sign) {
    const FewFeatureVector fx = few_features(c, kind, now);
    const double pf = few_bad_probability(th.few_model, fx);
    if (pf >= th.few_bad) {
      bad = true;
      add("FEW_MESSAGES_BAD", -3, few_model_text(th.few_model, fx, pf) + " >= " + num2(th.few_bad));
    }
  }
  // Corroboration. Unknown recipients and trap hits say how a list was
  // kept; legitimate bulk senders differ widely in that (blind populations:
  // 2-16% unknown recipients on a campaign's day, a few trap hits a month,
  // on fully authenticated, one-click, FCrDNS mail). For a sender that
  // authenticates as itself (SPF+DKIM+DMARC aligned on [aligned_good], and
  // FCrDNS on [fcrdns_good] for an address), a bad call needs evidence
  // about the mail itself: the filter flagging it well beyond its usual false
  // positives (kCorroboratingSpamVerdicts, 15%), complaints at the 0.3% the
  // big providers never allow (kCorroboratingComplaints), trap hits or
  // unknown recipients beyond any list's decay (kCorroboratingTraps,
  // kCorroboratingBounces: harvested addresses), COMPLAINTS_BAD,
  // SPAM_VERDICTS or a flow detector (BOT_DETECTED). Otherwise the bad reasons are kept as one
  // warning (LIST_HYGIENE) and the sender is judged as if clean of them.
  if (bad && !was_bad) {
    const Window cw = by_day ? Window::kDay : Window::kMonth;
    const double cv = by_day ? vol_d : vol_m;
    const double vh = val(Metric::kVolume, Window::kHour);
    // The hour window only for verdicts, which come with their mail:
    // unknown-recipient bounces trail a campaign while its hour volume
    // decays, so their hour-window share after a burst is not a rate.
    auto rval = [&](Metric m, Window w) {
      return m == Metric::kSpamVerdict ? upheld_verdicts(c, w, now) : val(m, w);
    };
    auto rate = [&](Metric m, bool recent) {
      double r = std::max(0.0, rval(m, cw) - 1) / (cv + kReceptionPrior);
      if (recent && by_day && vh >= 2 * kFeaturePrior)
        r = std::max(r, std::max(0.0, rval(m, Window::kHour) - 1) / (vh + kReceptionPrior));
      return r;
    };
    const double aligned_c = cv > 0 ? val(Metric::kAuthAligned, cw) / cv : 0.0;
    const double fcrdns_c = cv > 0 ? val(Metric::kFcrdns, cw) / cv : 0.0;
    const double helo_c = cv > 0 ? val(Metric::kBadHelo, cw) / cv : 1.0;
    // An address vouches for its mail with FCrDNS, or (round 11) with a
    // proper HELO name: the reverse zone is the hosting provider's, and
    // many small operators' servers lack a PTR that confirms, while the
    // HELO and the aligned SPF and DKIM of their own domain are theirs (in
    // blind10's ISP world 3 of the 7 legitimate bulk senders called bad
    // were newsletter servers without FCrDNS, HELO mail.<their domain>).
    // A bot's generic or literal HELO and its forged authentication vouch
    // for nothing.
    const bool vouched = aligned_c >= th.aligned_good &&
                         (!network || fcrdns_c >= th.fcrdns_good || helo_c <= 1 - th.fcrdns_good);
    bool objected = false;
    for (const Reason& r : a.reasons)
      if (r.code == "COMPLAINTS_BAD" || r.code == "SPAM_VERDICTS" || r.code == "BOT_DETECTED")
        objected = true;
    const double spam_r = rate(Metric::kSpamVerdict, true), bounce_r = rate(Metric::kBounces, false);
    if (spam_r >= kCorroboratingSpamVerdicts || bounce_r >= kCorroboratingBounces) objected = true;
    // Trap hits on one recipient in a hundred (month): harvested addresses,
    // beyond any list's decay (legitimate lists in the blind populations:
    // at most 0.3%); hits beyond the first, like the model's feature.
    if (std::max(0.0, traps - 1) / (vol_m + kReceptionPrior) >= kCorroboratingTraps) objected = true;
    // Recipients objecting at the rate the big providers never allow (0.3%).
    if (compl_d >= th.min_complaints && crate >= kCorroboratingComplaints) objected = true;
    // A jump in volume (issue 13, round 10). A sender that is not a list
    // (no one-click unsubscribe, no unsubscribe requests, never bulk) and
    // whose good history (good_history_hours of it, read as
    // history_reading()) sent a sixteenth (spike_factor squared) or less of
    // what it sends now: a receipt mailer or an organisation's server whose
    // account sends in an hour what it sent in weeks, with the reception
    // that made it bad, has been taken over; list hygiene does not explain
    // it (a list's campaigns are its normal mail: lists are not judged so).
    if (vouched && !objected && prev_since > 0 && (is_good(prev) || prev == SenderClass::kUnknown) &&
        prev != SenderClass::kBulk) {
      const double good_hours = static_cast<double>(now - prev_since) / 3600.0;
      const double oc = vol_m > 0 ? val(Metric::kOneClick, Window::kMonth) / vol_m : 0.0;
      const double uns = val(Metric::kUnsubscribes, Window::kMonth);
      const bool list = oc >= th.one_click_bulk ||
                        (uns >= th.min_unsubscribes && vol_m > 0 && uns / vol_m >= th.unsubscribe_bulk);
      if (!list && good_hours >= th.good_history_hours) {
        const HistoryReading h = history_reading(c, kind, now, th);
        const double days = std::min(30.0, std::max(1.0, good_hours / 24 - 1));
        const double before = std::max(1.0, h.volume / days);
        const double current = std::max(vol_d, 8 * vh);
        // spike_factor squared: beyond what a list's cadence gives (a
        // weekly campaign's day reads about 7 times its daily mean), since
        // a newsletter without list headers looks like this too. And
        // spike_factor times the whole history (round 11): a campaign sent
        // every two weeks reads 20 times its daily mean on its day, but no
        // more than its previous campaign, which the history holds (decayed
        // by at most e^-0.7 over the 21 days seen); a taken-over account
        // sends in a day several times all it sent before. Read as
        // `current` (the hour x 8 counts): a takeover is caught in its
        // first hour, before its day holds four times its history (blind4
        // isp_mx: servers whose first hour read 4.5-13 times their
        // history and whose day never reached four times it), so a campaign pushed out within
        // an hour still reads as a jump.
        if (h.good && current >= th.spike_factor * th.spike_factor * before &&
            current >= th.spike_factor * h.volume) {
          objected = true;
          add("VOLUME_JUMP", 0,
              num(current) + " recipients a day now vs " + num2(before) + " before (" + num(h.volume) +
                  " in all), not list mail (one-click " + pct(oc) + ", " + num(uns) +
                  " unsubscribe requests): a jump with bad reception (" + h.text + ")");
        }
      }
    }
    if (vouched && !objected) {
      std::string what;
      for (const Reason& r : a.reasons) what += (what.empty() ? "" : "; ") + r.code + " " + r.text;
      a.reasons.clear();
      a.score = 0;
      bad = false;
      add("LIST_HYGIENE", -1,
          what + "; but authenticated (aligned " + pct(aligned_c) + ") and no objection to the mail itself " +
              "(spam verdicts " + pct(spam_r) + " < " + pct(kCorroboratingSpamVerdicts) + ", complaints " +
              pct(crate) + " < " + pct(kCorroboratingComplaints) + ", unknown recipients " + pct(bounce_r) +
              " < " + pct(kCorroboratingBounces) + ")");
    }
  }
  // A platform (issue 13, round 12). An ESP signs every customer's mail
  // with its own DKIM d= beside the customer's (M3AAWG: the customer is
  // identified by its d=, From and Feedback-ID), a hosted mail service
  // signs its tenants' mail, a list re-signs its posts: mail that a domain
  // other than the From's signed (Metric::kCoSigned). An address whose
  // month is such mail on [aligned_good] of its volume, and a domain whose
  // mail is mostly others' (it signs for them), carries many senders: one
  // customer's bad campaign is that customer's, whose own identities
  // (domain:, fbid:) carry the bad call, not the platform's. blind11: 40
  // and 30 ESP pool addresses called compromised on the days a bad customer
  // blasted a bought list through the pool (its trap hits then filled the
  // month, so SHARED_ADDRESS did not apply, and its blast read as a volume
  // jump). The bad reasons are folded into one warning (PLATFORM) when the
  // platform's month is not bad by the rules' own bars: upheld spam
  // verdicts below [spam_verdict_bad] and complaints below [complaint_bad]
  // of the month's volume plus kReceptionPrior (a platform whose month the
  // filter or the recipients would call spam is not helped; the bars of
  // good mail, 15% and 0.3%, left four of blind11's pool addresses bad: the
  // month of a pool at 11-13% verdicts and 0.3-0.6% complaints on a blast
  // day), authentication failing on less than 1 - [aligned_good] of it,
  // FCrDNS on [fcrdns_good] for an address, after some clean mail
  // (prev_since), and never a flow detector's finding (BOT_DETECTED).
  if (bad && !was_bad && prev_since > 0 && (is_good(prev) || prev == SenderClass::kUnknown) && vol_m > 0) {
    bool bot = false;
    for (const Reason& r : a.reasons)
      if (r.code == "BOT_DETECTED") bot = true;
    const double cos_m = std::min(1.0, val(Metric::kCoSigned, Window::kMonth) / vol_m);
    const double spam_m = upheld_verdicts(c, Window::kMonth, now) / (vol_m + kReceptionPrior);
    const double compl_m = val(Metric::kComplaints, Window::kMonth) / (vol_m + kReceptionPrior);
    const double fail_m = val(Metric::kAuthFail, Window::kMonth) / vol_m;
    const double fcrdns_m = val(Metric::kFcrdns, Window::kMonth) / vol_m;
    if (!bot && cos_m >= th.aligned_good && spam_m < th.spam_verdict_bad && compl_m < th.complaint_bad &&
        fail_m < 1 - th.aligned_good && (!network || fcrdns_m >= th.fcrdns_good)) {
      std::string what;
      for (const Reason& r : a.reasons) what += (what.empty() ? "" : "; ") + r.code + " " + r.text;
      a.reasons.clear();
      a.score = 0;
      bad = false;
      add("PLATFORM", -1,
          what + "; but a platform: " + pct(cos_m) + " of the month's mail signed by a domain other than " +
              "the From's, and its month is not bad by the rules' own bars (spam verdicts " + pct(spam_m) +
              " < " + pct(th.spam_verdict_bad) + ", complaints " + pct(compl_m) + " < " +
              pct(th.complaint_bad) + ", auth failing " + pct(fail_m) +
              (network ? ", FCrDNS " + pct(fcrdns_m) : std::string()) +
              "): one customer's mail, judged as that customer");
    }
  }
  // A shared address (issue 13, round 4). An ESP sends many customers'
  // campaigns from one pool of addresses (M3AAWG sender best practices): one
  // customer's bad campaign moves the address's hour and day windows, while
  // its month stays what the platform is. An address with clean history
  // (good class, or clean while unknown, for good_history_hours) whose month
  // is authenticated, FCrDNS and clean by the model, and whose volume did not
  // jump (a taken-over dedicated address sends in a day what it sent in
  // weeks: spike_factor), is judged by its month: the campaign is the
  // customer's, whose own domain (and Feedback-ID) carry the bad call. The
  // evidence is kept as one warning (SHARED_ADDRESS). A flow detector's
  // finding (BOT_DETECTED) is about the address itself and is never folded.
  if (bad && !was_bad && network && prev_since > 0 &&
      static_cast<double>(now - prev_since) / 3600.0 >= th.good_history_hours &&
      (is_good(prev) || prev == SenderClass::kUnknown)) {
    bool bot = false;
    for (const Reason& r : a.reasons)
      if (r.code == "BOT_DETECTED") bot = true;
    const double good_hours = static_cast<double>(now - prev_since) / 3600.0;
    const double days = std::min(30.0, std::max(1.0, good_hours / 24 - 1));
    const double before = std::max(1.0, (vol_m - vol_d) / days);
    const double current = std::max(vol_d, 8 * val(Metric::kVolume, Window::kHour));
    const FeatureVector xm = sender_features(c, kind, now, Window::kMonth);
    const double pm = bad_probability(th.model, xm);
    const double fail_m = vol_m > 0 ? val(Metric::kAuthFail, Window::kMonth) / vol_m : 1.0;
    const double fcrdns_m = vol_m > 0 ? val(Metric::kFcrdns, Window::kMonth) / vol_m : 0.0;
    // The month holds today's campaign too, and trap hits are read over
    // the month: a pool address whose bad customer blasted a scraped list
    // all day reads a month P(bad) above model_bad from that day on (blind10
    // mailbox_provider: 12 pool addresses of four ESPs called spammer or
    // compromised, traps 41-76% of the feature's cap). Its history (the
    // month less the day, history_reading()) being good mail is the same
    // evidence that the address was the platform's before this campaign.
    const HistoryReading hist = history_reading(c, kind, now, th);
    const bool month_clean = pm < th.model_bad && fail_m < 1 - th.aligned_good && fcrdns_m >= th.fcrdns_good;
    if (!bot && current < th.spike_factor * before && (month_clean || hist.good)) {
      std::string what;
      for (const Reason& r : a.reasons) what += (what.empty() ? "" : "; ") + r.code + " " + r.text;
      a.reasons.clear();
      a.score = 0;
      bad = false;
      add("SHARED_ADDRESS", -1,
          what + "; but " +
              (month_clean ? "the month is clean (" + model_text(th.model, xm, pm, +1) + ", FCrDNS " +
                                 pct(fcrdns_m) + ", auth failing " + pct(fail_m) + ")"
                           : "its history was good mail (" + hist.text + ")") +
              " and the volume did not jump (" + num(current) + " recipients a day now vs " + num2(before) +
              " before): a shared address judged by its month");
    }
  }
  if (!bad && was_bad && prev_since > 0 && now - prev_since < th.bad_hold_hours * 3600) {
    // A bad class is held: a spammer's quiet spell or an account that was
    // cleaned up hours ago has not earned anything back yet.
    bad = true;
    add("HELD", -1,
        std::string(class_name(prev)) + " for " + num(static_cast<double>(now - prev_since) / 3600) +
            " h < " + num(th.bad_hold_hours) + " h");
  }
  if (bad) {
    const double good_hours = static_cast<double>(now - prev_since) / 3600.0;
    const bool long_enough = prev_since > 0 && good_hours >= th.good_history_hours;
    // A sender without a class (a small server) reads as taken over when
    // it sent clean mail for good_history_hours, that mail was good mail,
    // and its volume jumps: the day's volume at least spike_factor times
    // its daily rate before (a snowshoe address that was merely not caught
    // yet sends what it always sent). Good mail before is read from the
    // history itself (the month less the day, history_reading()), not from
    // the one clean moment that started the clean-since: a spammer whose
    // first days the filter already flagged beyond its usual false
    // positives has no good history to lose.
    bool spike = false;
    std::string spike_text;
    if (prev == SenderClass::kUnknown && long_enough) {
      const HistoryReading h = history_reading(c, kind, now, th);
      const double days = std::min(30.0, std::max(1.0, good_hours / 24 - 1));
      const double before = std::max(1.0, h.volume / days);
      // Now: the day, or the last hour at a third of its daily rate (a
      // takeover is caught in its first hour; a diurnal peak of up to three
      // times the mean is no spike).
      const double current = std::max(vol_d, 8 * val(Metric::kVolume, Window::kHour));
      spike = h.good && current >= th.spike_factor * before;
      spike_text =
          ", " + num(current) + " recipients a day now vs " + num2(before) + " before (" + h.text + ")";
    }
    // An account's mail from an end-user machine (issue 13, round 6): an
    // address whose mail passes DMARC (the account's domain vouches for it)
    // while its HELO is generic or a literal and it has no FCrDNS is a
    // client submitting with an account's credentials. A bot cannot pass
    // DMARC for a domain without them, and a spammer's own snowshoe domains
    // come from servers set up for them; bad mail from such a client is a
    // compromised account (stolen credentials or an infected machine), not
    // a spammer of its own.
    bool account = false;
    std::string account_text;
    if (network && prev != SenderClass::kCompromised) {
      const Window aw = by_day ? Window::kDay : Window::kMonth;
      const double av = by_day ? vol_d : vol_m;
      if (av > 0) {
        const double dmarc_a =
            std::min(1.0, (val(Metric::kAuthAligned, aw) + val(Metric::kDmarcOnly, aw)) / av);
        const double fail_a = val(Metric::kAuthFail, aw) / av;
        const double helo_a = std::min(1.0, val(Metric::kBadHelo, aw) / av);
        const double nofc_a = std::max(0.0, 1.0 - val(Metric::kFcrdns, aw) / av);
        account = dmarc_a >= th.dmarc_good && fail_a < 1 - th.dmarc_good && helo_a >= 0.5 && nofc_a >= 0.5;
        account_text = "DMARC pass " + pct(dmarc_a) + " from an end-user host (generic or literal HELO " +
                       pct(helo_a) + ", no FCrDNS " + pct(nofc_a) + (by_day ? ", day" : ", month") +
                       "): an account's credentials, compromised";
      }
    }
    if (account) {
      a.cls = SenderClass::kCompromised;
      add("ACCOUNT_CLIENT", 0, account_text);
    } else if ((is_good(prev) && long_enough) || spike || prev == SenderClass::kCompromised) {
      a.cls = SenderClass::kCompromised;
      add("WAS_GOOD", 0,
          prev == SenderClass::kCompromised ? std::string("compromised before")
          : prev == SenderClass::kUnknown
              ? "good mail (no class) for " + num(good_hours) + " h before" + spike_text + ": compromised"
              : std::string(class_name(prev)) + " for " + num(good_hours) + " h before: compromised");
    } else {
      a.cls = SenderClass::kSpammer;
      if (prev == SenderClass::kUnknown && !spike_text.empty())
        add("NEW_BAD", 0, "no good history to lose" + spike_text);
    }
    return a;
  }

  if (is_bad(prev) && vol_d < th.min_volume) {
    // A bad identity needs fresh good volume to leave its class, not silence.
    a.cls = SenderClass::kUnknown;
    add("LOW_VOLUME", 0, num(vol_d) + " recipients (day) since a bad class < " + num(th.min_volume));
    return a;
  }
  // Nothing bad. Positive evidence (authenticated, aligned mail, FCrDNS for
  // an address, and a model that finds nothing suspicious), over the day
  // window when it has model_min_volume, else the month.
  const Window xw = by_day ? Window::kDay : Window::kMonth;
  const double vol_x = by_day ? vol_d : vol_m;
  auto share = [&](Metric m, Window w, double v) { return v > 0 ? std::min(1.0, val(m, w) / v) : 0.0; };
  const double aligned = share(Metric::kAuthAligned, xw, vol_x);
  const double dmarc = std::min(1.0, aligned + share(Metric::kDmarcOnly, xw, vol_x));
  const double fcrdns_share = share(Metric::kFcrdns, xw, vol_x);
  // List mail: one-click unsubscribe (RFC 8058, what bulk senders must
  // offer), or recipients asking to unsubscribe, or the bulk volume.
  const double oc_m = share(Metric::kOneClick, Window::kMonth, vol_m);
  const double unsubs = val(Metric::kUnsubscribes, Window::kMonth);
  const bool unsub_list = unsubs >= th.min_unsubscribes && vol_m > 0 && unsubs / vol_m >= th.unsubscribe_bulk;
  std::string list_why;
  if (oc_m >= th.one_click_bulk)
    list_why = "one-click unsubscribe on " + pct(oc_m) + " (month)";
  else if (unsub_list)
    list_why = num(unsubs) + " unsubscribe requests (month), " + pct(unsubs / vol_m);
  else if (vol_d >= th.bulk_daily_volume)
    list_why = num(vol_d) + " recipients (day) >= " + num(th.bulk_daily_volume);
  else if (prev == SenderClass::kBulk)
    list_why = "bulk sender before";
  // A mailing list keeps its posters' From (RFC 7960): DMARC fails while
  // the list's own domain passes SPF or DKIM. A domain identity counts only
  // mail verified for that domain, so its share neither aligned nor failed
  // is the list's own authentication; with recipients asking to be taken
  // off the list (unsubscribe requests, [min_unsubscribes] at
  // [unsubscribe_bulk]) it stands in for From alignment.
  const double own_auth = network ? 0.0 : std::max(0.0, 1.0 - dmarc - share(Metric::kAuthFail, xw, vol_x));
  const bool list_auth = !network && aligned < th.aligned_good && own_auth >= th.aligned_good && unsub_list;
  std::string missing;
  auto lack = [&](std::string what) { missing += (missing.empty() ? "" : ", ") + what; };
  if (p >= th.model_good) lack(model_text(th.model, x, p, +1) + " >= " + num2(th.model_good));
  if (aligned < th.aligned_good && !list_auth)
    lack("SPF+DKIM+DMARC aligned " + pct(aligned) + " < " + pct(th.aligned_good));
  if (dmarc < th.dmarc_good && !list_auth) lack("DMARC pass " + pct(dmarc) + " < " + pct(th.dmarc_good));
  if (network && fcrdns_share < th.fcrdns_good)
    lack("FCrDNS " + pct(fcrdns_share) + " < " + pct(th.fcrdns_good));
  // The mail so far is history a later turn for the worse is judged on
  // (COMPROMISED) only when it was good mail, not merely mail nobody
  // reported: a botnet address whose first messages forged their
  // authentication has no good history to lose, whatever it sends later.
  // DMARC passing is the domain's own word for its mail, so it stands for
  // SPF+DKIM+DMARC aligned here (issue 13, round 10): a small
  // organisation's server that signs nothing, or whose SPF record is
  // stale, but passes DMARC on the other is sending good mail (a good class
  // still needs both, as the providers ask of bulk senders).
  a.clean = vol_m >= 2 && p < th.model_good && (dmarc >= th.dmarc_good || list_auth) &&
            (!network || fcrdns_share >= th.fcrdns_good);
  // Consistency: clean mail over good_min_hours, or the bulk senders'
  // requirements met in the bulk volume from the first campaign on (a new
  // customer of an ESP: SPF+DKIM+DMARC aligned and one-click unsubscribe on
  // what the providers ask of a bulk sender, [auth_share] and
  // [one_click_share], over a month volume of [bulk_daily_volume]).
  const bool compliant_bulk = vol_m >= th.bulk_daily_volume && aligned >= th.auth_share &&
                              oc_m >= th.one_click_share && p < th.model_good;
  const bool seasoned =
      is_good(prev) || was_bad || compliant_bulk ||
      (prev == SenderClass::kUnknown && prev_since > 0 && c.t - prev_since >= th.good_min_hours * 3600);
  if (!judged) {
    a.cls = SenderClass::kUnknown;
    add("LOW_VOLUME", 0, num(vol_m) + " recipients (month) < " + num(th.model_min_volume));
    return a;
  }
  // A good class is earned by that positive evidence in a sustained volume;
  // silence about complaints is not enough.
  if (!missing.empty()) {
    a.cls = SenderClass::kUnknown;
    add("NO_POSITIVE_EVIDENCE", 0, missing + (by_day ? " (day)" : " (month)"));
    return a;
  }
  const bool bulk = !list_why.empty();
  const double need = bulk ? th.good_volume : th.transactional_volume;
  if (vol_m < need) {
    a.cls = SenderClass::kUnknown;
    add("LOW_VOLUME", 0,
        num(vol_m) + " recipients (month) < " + num(need) + (bulk ? " (list mail)" : "") + ", clean");
    return a;
  }
  if (!seasoned) {
    // Consistent mail: a sender seen only for days (a throw-away domain,
    // a fresh snowshoe address) has not shown it yet.
    a.cls = SenderClass::kUnknown;
    add("NEW_SENDER", 0,
        "clean mail over " + num(prev_since > 0 ? static_cast<double>(c.t - prev_since) / 3600 : 0) +
            " h < " + num(th.good_min_hours) + " h");
    return a;
  }
  a.cls = bulk ? SenderClass::kBulk : SenderClass::kTransactional;
  if (bulk) add("LIST_MAIL", 0, list_why);
  if (list_auth)
    add("LIST_AUTH", 0,
        "a mailing list: its own domain authenticated " + pct(own_auth) + ", From not aligned (RFC 7960)");
  if (compliant_bulk && !is_good(prev) && !was_bad &&
      !(prev_since > 0 && c.t - prev_since >= th.good_min_hours * 3600))
    add("COMPLIANT_BULK", 0,
        num(vol_m) + " recipients (month) >= " + num(th.bulk_daily_volume) + ", aligned " + pct(aligned) +
            ", one-click " + pct(oc_m) + ": bulk-sender requirements from the first campaign");
  if (crate < th.complaint_good)
    add("COMPLAINTS_OK", 2, "complaint rate " + pct(crate) + " (day) < " + pct(th.complaint_good));
  else
    add("COMPLAINTS_WARN", -1, "complaint rate " + pct(crate) + " (day) >= " + pct(th.complaint_good));
  if (!network) {
    // Domain identities are verified by construction; alignment is the bulk rule.
    if (aligned >= th.auth_share)
      add("AUTH_ALIGNED", 1, "SPF+DKIM+DMARC aligned " + pct(aligned) + (by_day ? " (day)" : " (month)"));
    else if (bulk)
      add("NO_AUTH", -2, "bulk with SPF+DKIM+DMARC aligned on only " + pct(aligned));
  }
  if (bulk) {
    if (oc_m >= th.one_click_share)
      add("ONE_CLICK", 1, "RFC 8058 one-click unsubscribe on " + pct(oc_m) + " (month)");
    else
      add("NO_ONE_CLICK", -2, "bulk with one-click unsubscribe on only " + pct(oc_m) + " (month)");
  }
  if (network && fcrdns_share >= 0.99) add("FCRDNS", 1, "forward-confirmed reverse DNS");
  add("DMARC_ALIGNED", 1,
      "DMARC-aligned " + pct(dmarc) + (by_day ? " (day), " : " (month), ") + model_text(th.model, x, p, -1));
  return a;
}

std::string ClassState::encode() const {
  std::string s = std::string(class_name(cls)) + " " + std::to_string(since);
  if (good_since) s += " " + std::to_string(good_since);
  if (learned) s += " learned";
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
  std::string_view rest;
  if (const size_t sp2 = n.find(' '); sp2 != std::string_view::npos) {
    rest = n.substr(sp2 + 1);
    n = n.substr(0, sp2);
  }
  auto r = std::from_chars(n.data(), n.data() + n.size(), st.since);
  if (r.ec != std::errc() || r.ptr != n.data() + n.size()) return std::nullopt;
  // Then good_since (a number) and the flag "learned", each optional, in that order.
  if (rest.size() >= 7 && rest.substr(rest.size() - 7) == "learned" &&
      (rest.size() == 7 || rest[rest.size() - 8] == ' ')) {
    st.learned = true;
    rest = rest.substr(0, rest.size() == 7 ? 0 : rest.size() - 8);
  }
  if (!rest.empty()) {
    auto r2 = std::from_chars(rest.data(), rest.data() + rest.size(), st.good_since);
    if (r2.ec != std::errc() || r2.ptr != rest.data() + rest.size()) return std::nullopt;
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
  if (prev && prev->cls == a.cls) {
    // Unknown: clean (sending without bad evidence) from now on.
    if (a.cls == SenderClass::kUnknown && !prev->good_since && a.clean) return ClassState{a.cls, now, now};
    return *prev;
  }
  ClassState next{a.cls, now, 0};
  const bool carried =
      prev && (is_good(prev->cls) || (prev->cls == SenderClass::kUnknown && prev->good_since));
  if (is_good(a.cls) || a.clean)
    next.good_since = carried ? (prev->good_since ? prev->good_since : prev->since) : now;
  return next;
}

}  // namespace rampart::reputation

// File: src/reputation/classify.h
// Heavy-mailer classes from decayed counters, with the reasons, by the rules
// the big mailbox providers apply to bulk senders (Google, Yahoo 2024,
// Microsoft 2025): ~5,000 messages a day per organisational domain makes a
// bulk sender, which then needs SPF, DKIM and DMARC aligned, RFC 8058
// one-click unsubscribe, FCrDNS, and a complaint rate below 0.1%, never 0.3%.
//
//   auto th = reputation::Thresholds::from_config(cfg);   // [reputation] table, defaults
//   reputation::Assessment a = reputation::classify(counters, IdentityKind::kDomain, now, th, prev);
//   a.cls;        // SenderClass::kBulk ...
//   a.score;      // sum of the reasons' weights (> 0 good, < 0 bad)
//   for (const Reason& r : a.reasons) log("{} {:+} {}", r.code, r.weight, r.text);
//
// Rules (every threshold is a Thresholds field, TOML key in brackets;
// counted events read against kReceptionPrior more recipients):
//   bad evidence (any one makes the identity bad):
//     TRAP_HITS       trap hits (month) >= [trap_hits] and >= [trap_rate] of volume (month)
//     COMPLAINTS_BAD  complaints (day) >= [min_complaints] and rate >= [complaint_bad]
//                     (the rate corrected for the delay of complaints, [complaint_lag_hours])
//     BOUNCES_BAD     unknown-recipient bounces (day) >= [min_bounces], rate >= [bounce_bad]
//     SPAM_VERDICTS   scanner spam verdicts (day) >= [min_spam_verdicts], share >= [spam_verdict_bad]
//                     (verdicts the recipients upheld: upheld_verdicts(), NOT_SPAM_RESCUE)
//     NO_FCRDNS       ip/net identity, volume (day) >= [no_fcrdns_volume] (0: off, the
//                     default), FCrDNS share < 50%
//     BOT_DETECTED    ip/net identity, flow-detector bot detections (day window)
//                     >= [bot_hits_bad] - 1 + 1/e: [bot_hits_bad] detections within
//                     about the last 24 h (one reads 1, 1/e a day later); no mail
//                     volume needed. [bot_hits_bad] = 0 turns the rule off.
//     MODEL_BAD       the sender model (below): P(bad) >= [model_bad] and the
//                     mail's reception evidence (reception_evidence()) >=
//                     [model_min_behaviour]: configuration signs alone never
//                     make a spammer
//     FEW_MESSAGES_BAD  a sender below [few_max_volume] recipients (month): the
//                     few-message model (few_features(), counted evidence) says
//                     P(bad) >= [few_bad]
//     HELD            an identity classed bad keeps its class for [bad_hold_hours]
//                     (30 days, the month window) whatever it sends meanwhile
//   not bad after all (the reasons folded into one warning):
//     LIST_HYGIENE    a sender that authenticates as itself, without evidence
//                     about the mail itself (README "Corroboration"); a
//                     sender that is no list whose volume jumped
//                     ([spike_factor] over a good history) is not helped
//                     (VOLUME_JUMP)
//     PLATFORM        an ip/net whose month is mail another domain than the
//                     From's signed (Metric::kCoSigned) on [aligned_good] of
//                     it, or a domain that signs others' mail so: an ESP, a
//                     hosted service, a list; its month not bad by the
//                     rules' bars (spam verdicts < [spam_verdict_bad],
//                     complaints < [complaint_bad], auth failing < 1 -
//                     [aligned_good], FCrDNS for an address), after
//                     some clean mail, never BOT_DETECTED: one customer's
//                     campaign is the customer's (README "Platforms")
//     SHARED_ADDRESS  an ip/net with clean history for [good_history_hours] whose
//                     month is authenticated, FCrDNS and below [model_bad] and whose
//                     volume did not jump ([spike_factor]): an ESP's pool address
//                     carrying one customer's campaign (never BOT_DETECTED)
//   bad -> COMPROMISED when the identity held bulk or transactional for
//   [good_history_hours], or had no class but clean mail for that long
//   (ClassState::good_since) and its volume now (day, or hour x 8) is
//   [spike_factor] times its daily rate before, or was compromised already;
//   or is an ip/net whose mail passes DMARC from an end-user host (generic or
//   literal HELO and no FCrDNS: ACCOUNT_CLIENT, an account's credentials);
//   otherwise SPAMMER.
//   no bad evidence: a good class is earned, never the absence of bad:
//     P(bad) < [model_good], SPF+DKIM+DMARC aligned >= [aligned_good], DMARC
//     pass >= [dmarc_good], ip/net FCrDNS >= [fcrdns_good] (day window, or
//     month for a small sender), clean mail over [good_min_hours] to the
//     identity's last event (else NEW_SENDER), and volume (month) >=
//     [good_volume] for list mail, [transactional_volume] otherwise
//     (else LOW_VOLUME); else UNKNOWN (NO_POSITIVE_EVIDENCE, each shortfall).
//     list mail (RFC 8058 one-click on [one_click_bulk] of the month's
//     volume, [min_unsubscribes] unsubscribe requests at [unsubscribe_bulk],
//     volume (day) >= [bulk_daily_volume], or bulk before)  -> BULK (LIST_MAIL)
//       with compliance reasons: AUTH_ALIGNED / NO_AUTH ([auth_share]),
//       ONE_CLICK / NO_ONE_CLICK ([one_click_share]), COMPLAINTS_OK /
//       COMPLAINTS_WARN (between [complaint_good] and [complaint_bad])
//     else                                                  -> TRANSACTIONAL
//   hysteresis: an identity classed bad is judged against half the
//   thresholds (complaints against [complaint_good], the model against
//   [model_good]), is HELD and then needs fresh volume (day) >= [min_volume]
//   to leave its class; apply_history keeps a class while the evidence is
//   merely too thin or not positive (silence does not forgive).
//
// The sender model (sender_model.h, README "The sender model"): a logistic
// regression over the identity's sender signals (Feature, sender_features():
// aligned authentication, auth failures, generic HELOs, FCrDNS, unknown
// recipients, complaints, traps, scanner verdicts, one-click) gives P(bad),
// with weights fit offline on labelled simulated worlds (`reputation_sim
// --fit`, signs constrained) and checked in; it judges on the day window
// when volume (day) >= [model_min_volume], else on the month window when
// volume (month) >= [model_min_volume], else not at all (LOW_VOLUME).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "reputation/counters.h"
#include "reputation/event.h"

namespace rampart::reputation {

enum class SenderClass : uint8_t { kUnknown, kBulk, kTransactional, kSpammer, kCompromised };
std::string_view class_name(SenderClass c);  // "unknown", "bulk", "transactional", "spammer", "compromised"
std::optional<SenderClass> parse_class(std::string_view s);
inline bool is_bad(SenderClass c) { return c == SenderClass::kSpammer || c == SenderClass::kCompromised; }
inline bool is_good(SenderClass c) { return c == SenderClass::kBulk || c == SenderClass::kTransactional; }

// What the sender model reads about an identity (all in [0, 1]); see
// sender_features().
enum class Feature : uint8_t {
  kAligned,       // SPF+DKIM+DMARC pass share (day)
  kDmarcPass,     // DMARC pass share (day)
  kAuthFail,      // SPF fail/softfail or DMARC fail without a DMARC pass (day or recent, the higher)
  kBadHelo,       // generic / literal / one-label HELO share (day or recent)
  kNoFcrdns,      // share without FCrDNS (day or recent)
  kBounces,       // unknown-recipient bounces per recipient (day or recent), capped at 1
  kComplaints,    // complaints beyond the first per recipient (day) / 1%, capped at 1
  kTraps,         // trap hits beyond the first per recipient (month) / 0.1%, capped at 1
  kSpamVerdicts,  // scanner spam verdict share (day or recent)
  kOneClick,      // RFC 8058 one-click share (day)
  kNetwork,       // 1 for ip/net identities, 0 for domains
  kCount
};
constexpr size_t kFeatureCount = static_cast<size_t>(Feature::kCount);
using FeatureVector = std::array<double, kFeatureCount>;
// Pseudo-recipients every share of sender_features() is read against (a
// share is count / (volume + kFeaturePrior)): a handful of messages cannot
// make a feature extreme, so a low-data sender is not judged on noise.
inline constexpr double kFeaturePrior = 5;
std::string_view feature_name(Feature f);  // "aligned", "auth_fail", ...

// Logistic model: P(bad) = 1 / (1 + exp(-(bias + w . x))).
struct ModelWeights {
  double bias = 0;
  FeatureVector w{};
};
// The checked-in fit (sender_model.h).
const ModelWeights& default_model();
double bad_probability(const ModelWeights& m, const FeatureVector& x);

// The features of an identity at `now`, over the day window (and "recent":
// the hour window over max(volume (hour), volume (day) / 24) + 5
// recipients, so a change of behaviour shows within the hour while a single
// odd message of a small sender does not dominate it), or over the month
// window alone (w = kMonth: a sender too small for the day window, and
// what a bad identity must live down before it leaves its class).
FeatureVector sender_features(const Counters& c, IdentityKind kind, int64_t now, Window w = Window::kDay);

// The few-message model (README "Few messages"): a sender with fewer than
// [few_max_volume] recipients in the month is too small for the sender
// model's shares (read against kFeaturePrior) and for the reception rules
// (read against kReceptionPrior), yet a bot address that sent two forged
// messages with an address-literal HELO, both flagged by the filter, has
// shown more than a small server that sent two aligned ones. The evidence
// is counted, not shared out: ln(1 + count) of each signal over the month
// window, so each further piece of evidence weighs less than the one
// before and one message never weighs like many.
enum class FewFeature : uint8_t {
  kSpamVerdicts,  // scanner spam verdicts (recipients of flagged messages, at most 5 each)
  kAuthFail,      // recipients of forged or auth-failing mail (Metric::kAuthFail)
  kBadHelo,       // ... of mail with a generic, literal or one-label HELO
  kNoFcrdns,      // ... of mail from an address without FCrDNS
  kBounces,       // unknown-recipient bounces
  kObjections,    // complaints and trap hits
  kAligned,       // recipients of SPF+DKIM+DMARC aligned mail (evidence for the sender)
  kDmarcPass,     // ... of DMARC-passing mail (aligned or DMARC only)
  kFcrdns,        // ... of mail from an address with FCrDNS
  kNotSpam,       // recipients' "not spam"
  kVolume,        // recipients
  kNetwork,       // 1 for ip/net identities (not a count)
  kCount
};
constexpr size_t kFewFeatureCount = static_cast<size_t>(FewFeature::kCount);
using FewFeatureVector = std::array<double, kFewFeatureCount>;
std::string_view few_feature_name(FewFeature f);  // "spam_verdicts", "auth_fail", ...
// ln(1 + count) per FewFeature over the month window at `now` (kNetwork: 0 or 1).
FewFeatureVector few_features(const Counters& c, IdentityKind kind, int64_t now);
struct FewModelWeights {
  double bias = 0;
  FewFeatureVector w{};
};
// The checked-in fit (few_model.h, bench/reputation_fit_few.py).
const FewModelWeights& default_few_model();
double few_bad_probability(const FewModelWeights& m, const FewFeatureVector& x);

struct Thresholds {
  double bulk_daily_volume = 5000;
  double min_volume = 20;  // day window: what a bad identity needs to leave its class
  double complaint_good = 0.001;
  double complaint_bad = 0.01;
  double min_complaints = 5;
  double trap_hits = 3;
  double trap_rate = 0.0005;
  double bounce_bad = 0.1;
  double min_bounces = 10;
  double spam_verdict_bad = 0.5;
  double min_spam_verdicts = 10;
  // ip/net: that many recipients a day, mostly without FCrDNS, is bad on its
  // own; 0 (the default): off, no FCrDNS is one of the model's features.
  double no_fcrdns_volume = 0;
  double auth_share = 0.95;
  double one_click_share = 0.9;
  // Flow-detector bot detections (kBot events) within about a day that make
  // an ip/net identity SPAMMER (BOT_DETECTED); 0: off.
  double bot_hits_bad = 1;
  // A sender must have sent clean mail this long before bad evidence makes
  // the identity COMPROMISED rather than SPAMMER (a fresh identity that
  // turns bad within days is a spammer warming up).
  double good_history_hours = 72;
  // ... and, for a sender without a class, whose volume now (the day, or
  // the hour x 8) is at least spike_factor times its daily rate before (a
  // sudden spike).
  double spike_factor = 4;
  // Sender model: P(bad) that makes an identity bad, and below which it may
  // be good; the volume it needs to judge (day window, else month).
  double model_bad = 0.9;
  double model_min_volume = 5;
  // What the mail's reception (bounces, complaints, traps, spam verdicts)
  // must add to the model's logit before it calls a sender bad: a spammer
  // call needs more than configuration signs.
  double model_min_behaviour = 1.0;
  // A good class needs clean mail seen for this long (ClassState::good_since).
  double good_min_hours = 120;
  double model_good = 0.5;
  // What a good class needs besides P(bad) < model_good (window: day when
  // it has model_min_volume, else month): SPF+DKIM+DMARC aligned share
  // >= aligned_good (and DMARC pass >= dmarc_good), FCrDNS share >=
  // fcrdns_good for ip/net, and a month volume of good_volume (list mail:
  // bulk) or transactional_volume (anything else: transactional).
  double good_volume = 150;
  double transactional_volume = 500;
  double dmarc_good = 0.8;
  double aligned_good = 0.8;
  double fcrdns_good = 0.9;
  // List mail (BULK rather than TRANSACTIONAL): RFC 8058 one-click on
  // one_click_bulk of the month's volume, or min_unsubscribes unsubscribe
  // requests (month) at a rate >= unsubscribe_bulk, or bulk_daily_volume.
  double one_click_bulk = 0.5;
  double min_unsubscribes = 3;
  double unsubscribe_bulk = 0.0002;
  double bad_hold_hours = 720;  // as long as the month window remembers
  // Mean delay of complaints after their mail: the complaint rate (day) is
  // divided by 1 / (1 - lag / 24 h), what that delay inflates it by.
  double complaint_lag_hours = 6;
  ModelWeights model = default_model();
  // The few-message model: judges senders below few_max_volume recipients
  // (month); P(bad) >= few_bad makes one bad (FEW_MESSAGES_BAD). few_bad = 1
  // turns it off.
  double few_max_volume = 30;
  double few_bad = 0.9;
  FewModelWeights few_model = default_few_model();

  // Keys of the [reputation] table (or `prefix`); absent keys keep defaults.
  // Errc::kConfig for values out of range (negative, complaint_good > complaint_bad).
  static Result<Thresholds> from_config(const Config& cfg, std::string_view prefix = "reputation");
};

// Minimum evidence for a bad call, in the model's own terms: what the
// mail's reception adds to the logit, counting unknown recipients and spam
// verdicts only beyond what legitimate mail also gets (kNormalBounces,
// kNormalSpamVerdicts: list decay and filter false positives), beyond the
// first event, and against kReceptionPrior more recipients (significance
// for a small sender); complaints and trap hits as the model reads them.
// Window w as sender_features().
inline constexpr double kReceptionPrior = 30;
inline constexpr double kNormalBounces = 0.02;
inline constexpr double kNormalSpamVerdicts = 0.05;
// Corroboration of a bad call on a sender that authenticates as itself
// (README "Corroboration"): the filter's spam verdicts on this share of its
// recipients (3 x kNormalSpamVerdicts: filters flag 2-12% of legitimate list
// mail in the populations seen, 23-90% of bad senders' mail), complaints at the rate Google and
// Yahoo tell bulk senders never to reach (0.3%, with min_complaints), or
// unknown recipients on this share (twice the bounce_bad default: beyond
// any list's decay).
inline constexpr double kCorroboratingSpamVerdicts = 3 * kNormalSpamVerdicts;
inline constexpr double kCorroboratingBounces = 0.2;
inline constexpr double kCorroboratingComplaints = 0.003;
// ... or trap hits (beyond the first) on this share of the month's recipients.
inline constexpr double kCorroboratingTraps = 0.01;
double reception_evidence(const Counters& c, IdentityKind kind, int64_t now, Window w, const Thresholds& th);

// Spam verdicts the recipients upheld (README "Verdicts the recipients
// overturn"). A recipient who finds a message in the spam folder and marks
// it "not spam" says the filter was wrong about it; not every recipient
// looks, so each such report (beyond the first: one click is not a rate)
// stands for kVerdictsPerNotSpam flagged recipients (one in five of a
// misfiled message's recipients rescuing it, an assumption). The
// share of a sender's verdicts so overturned (the day window for the hour
// and the day, the month for the month) discounts its verdicts in every
// rule and in the model: a newsletter the filter misjudges is rescued by
// its readers, a spammer's flagged mail is not.
inline constexpr double kVerdictsPerNotSpam = 5;
// The share of the verdicts in window w overturned (0..1) and the verdicts
// left.
double overturned_share(const Counters& c, Window w, int64_t now);
double upheld_verdicts(const Counters& c, Window w, int64_t now);

// The identity's mail before its last day (the month window less the day
// window): what a sender without a class had sent before a turn for the
// worse. Good history (README "Good history must be good mail"): at least 2
// recipients, the sender model's P(bad) of it below model_good, upheld spam
// verdicts under kCorroboratingSpamVerdicts (read against kFeaturePrior),
// auth failing on less than 1 - aligned_good, and for an ip/net FCrDNS on
// fcrdns_good.
struct HistoryReading {
  double volume = 0, p_bad = 0, spam_share = 0, fail_share = 0, fcrdns_share = 0;
  bool good = false;
  std::string
      text;  // "history 42 recipients: P(bad) 0.03, spam verdicts 0.00%, auth failing 0.00%, FCrDNS 100.00%"
};
HistoryReading history_reading(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th);

struct Reason {
  std::string code;  // "COMPLAINTS_BAD"
  double weight = 0;
  std::string text;  // "complaint rate 0.42% (day) >= 0.30%"
};

struct Assessment {
  SenderClass cls = SenderClass::kUnknown;
  double score = 0;
  std::vector<Reason> reasons;
  double p_bad = 0;  // the sender model's P(bad) (0 without enough volume)
  // Mail without bad evidence (P(bad) < model_good, DMARC pass, FCrDNS for
  // an address): history a later turn for the worse reads as COMPROMISED.
  bool clean = false;
};

// What the rules say about the counters alone (prev: the class the identity
// had before and since when it has been good (ClassState::good_since; for
// an unknown identity: clean, 0 if not), or kUnknown; used for BULK
// stickiness and COMPROMISED).
Assessment classify(const Counters& c, IdentityKind kind, int64_t now, const Thresholds& th,
                    SenderClass prev = SenderClass::kUnknown, int64_t prev_since = 0);

// Class state kept per identity: the class and since when, and since when
// it has been good without a break (bulk and transactional alike), which is
// the history COMPROMISED is judged on.
struct ClassState {
  SenderClass cls = SenderClass::kUnknown;
  int64_t since = 0;
  int64_t good_since = 0;  // 0 unless cls is good (or unknown and clean)
  // A bad class that only the members' exchange gave (its evidence, none of
  // this member's own since the class began): a retraction may end it
  // (Engine::set_shared_evidence); one this member earned itself it never ends.
  bool learned = false;
  std::string encode() const;  // "bulk 1700000000 1699000000", "spammer 1700000000 learned"
  static std::optional<ClassState> decode(std::string_view s);
};

// The new state after `a`, given the previous one: hysteresis as above.
// Rewrites a.cls when the previous class is kept (and adds a reason).
ClassState apply_history(Assessment& a, const std::optional<ClassState>& prev, int64_t now);

}  // namespace rampart::reputation

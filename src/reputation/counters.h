// File: src/reputation/counters.h
// Time-decayed counters of one identity: every metric (volume, complaints,
// trap hits, ...) kept over three windows (hour, day, month) as an
// exponentially decayed sum, so a change of behaviour shows within hours and
// an old good history fades.
//
//   reputation::Counters c;                       // empty, at time 0
//   c.add(Metric::kVolume, 120, t);               // 120 recipients at unix time t
//   c.add(Metric::kComplaints, 1, t + 60);
//   double per_day = c.value(Metric::kVolume, Window::kDay, now);   // decayed to `now`
//   Counters sum = merge(a, b);                   // what every store does
//
// Decay: a window of time constant tau keeps sum(w_i * exp(-(now - t_i) / tau)).
// At a steady rate r per second the value tends to r * tau, so the day window
// reads as "per day", the hour window as "per hour", the month window as "per
// 30 days". A record holds the values as of its time stamp `t`; merge(a, b)
// decays both to max(a.t, b.t) and adds. merge is commutative and associative
// (up to rounding), which is what lets RocksDB's merge operator and the Redis
// script apply updates in any order and still agree. Values are stored as
// float (24-bit mantissa: exact for integer counts below 16,777,216).
//
// Encoding (encode/decode): 8-byte little-endian signed time stamp, then
// kMetricCount * kWindowCount little-endian IEEE floats, metric-major:
// 8 + 4*45 = 188 bytes (layout v4). decode() also reads the older layouts
// (v3, kEncodedSizeV3 = 176 bytes: the first 14 metrics, before kCoSigned;
// v2, kEncodedSizeV2 = 140 bytes: the first 11, before the sender
// signals kDmarcOnly/kAuthFail/kBadHelo; v1, kEncodedSizeV1 = 128 bytes:
// the first 10, before kBot), with the missing metrics zero, so stores
// written before keep their data; new metrics are only ever appended.
// encode() always writes v4 (an older reader would reject it: no
// downgrade). Any other length is Errc::kParse.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart::reputation {

enum class Metric : uint8_t {
  kVolume,        // recipients of messages seen
  kAuthAligned,   // ... of which SPF and DKIM passed and DMARC passed (aligned)
  kOneClick,      // ... of which carried RFC 8058 one-click unsubscribe
  kFcrdns,        // ... of which came from an address with forward-confirmed reverse DNS
  kSpamVerdict,   // ... of which the scanner judged spam
  kComplaints,    // user complaints (FBL / ARF, "this is spam")
  kTraps,         // spam-trap hits
  kBounces,       // unknown-recipient bounces
  kNotSpam,       // user "not spam"
  kUnsubscribes,  // unsubscribe requests
  kBot,           // flow-detector bot detections (ip/net only; appended: see Encoding)
  // Sender signals of messages (appended in layout v3), zero for a
  // well-behaved sender, so the sparse stores spend nothing on them there:
  kDmarcOnly,  // recipients of messages that passed DMARC without both SPF and DKIM passing
  kAuthFail,   // ... whose SPF failed or soft-failed, or DMARC failed, without a DMARC pass
  kBadHelo,    // ... whose HELO was generic, an address literal, or no FQDN (helo.h)
  // Appended in layout v4 (issue 13, round 12): recipients of messages
  // that a domain other than the From's signed (a valid DKIM d= of another
  // organisational domain): counted for the address and its network, and
  // for that signer's own identities (domain:, dkim:), not for the From's.
  // An ESP signing its customers' mail, a hosted mail service, a mailing
  // list re-signing its posts: a platform (engine.cc, cosigners_of()).
  kCoSigned,
  kCount
};
constexpr size_t kMetricCount = static_cast<size_t>(Metric::kCount);
std::string_view metric_name(Metric m);

enum class Window : uint8_t { kHour, kDay, kMonth, kCount };
constexpr size_t kWindowCount = static_cast<size_t>(Window::kCount);
std::string_view window_name(Window w);
// Time constant of a window in seconds (3600, 86400, 30 * 86400).
double window_seconds(Window w);

struct Counters {
  int64_t t = 0;  // unix seconds the values are decayed to
  std::array<float, kMetricCount * kWindowCount> v{};

  static size_t index(Metric m, Window w) {
    return static_cast<size_t>(m) * kWindowCount + static_cast<size_t>(w);
  }
  // Adds `amount` to every window of `m` at time `at` (decaying first).
  void add(Metric m, double amount, int64_t at);
  // The value decayed to `now` (no decay for now <= t).
  double value(Metric m, Window w, int64_t now) const;
  // Decays every value to `now` (no-op when now <= t).
  void decay_to(int64_t now);
  bool empty() const;
};

// a + b at max(a.t, b.t).
Counters merge(const Counters& a, const Counters& b);
// exp(-dt / tau) for a window; 1 for dt <= 0.
double decay_factor(Window w, int64_t dt);

constexpr size_t kEncodedSize = 8 + 4 * kMetricCount * kWindowCount;
constexpr size_t kMetricCountV1 = 10;  // metrics before kBot
constexpr size_t kEncodedSizeV1 = 8 + 4 * kMetricCountV1 * kWindowCount;
constexpr size_t kMetricCountV2 = 11;  // metrics before kDmarcOnly
constexpr size_t kEncodedSizeV2 = 8 + 4 * kMetricCountV2 * kWindowCount;
constexpr size_t kMetricCountV3 = 14;  // metrics before kCoSigned
constexpr size_t kEncodedSizeV3 = 8 + 4 * kMetricCountV3 * kWindowCount;
std::string encode(const Counters& c);
void encode_to(const Counters& c, std::string& out);
Result<Counters> decode(std::string_view bytes);

}  // namespace rampart::reputation

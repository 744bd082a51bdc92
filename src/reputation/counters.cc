// File: src/reputation/counters.cc
// Decayed counters: arithmetic, merge and the fixed-size encoding.
#include "reputation/counters.h"

#include <cmath>
#include <cstring>

namespace rampart::reputation {

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::kVolume: return "volume";
    case Metric::kAuthAligned: return "auth_aligned";
    case Metric::kOneClick: return "one_click";
    case Metric::kFcrdns: return "fcrdns";
    case Metric::kSpamVerdict: return "spam_verdict";
    case Metric::kComplaints: return "complaints";
    case Metric::kTraps: return "traps";
    case Metric::kBounces: return "bounces";
    case Metric::kNotSpam: return "not_spam";
    case Metric::kUnsubscribes: return "unsubscribes";
    case Metric::kBot: return "bot";
    case Metric::kDmarcOnly: return "dmarc_only";
    case Metric::kAuthFail: return "auth_fail";
    case Metric::kBadHelo: return "bad_helo";
    case Metric::kCoSigned: return "co_signed";
    case Metric::kCount: break;
  }
  return "?";
}

std::string_view window_name(Window w) {
  switch (w) {
    case Window::kHour: return "hour";
    case Window::kDay: return "day";
    case Window::kMonth: return "month";
    case Window::kCount: break;
  }
  return "?";
}

double window_seconds(Window w) {
  switch (w) {
    case Window::kHour: return 3600.0;
    case Window::kDay: return 86400.0;
    case Window::kMonth: return 30.0 * 86400.0;
    case Window::kCount: break;
  }
  return 1.0;
}

double decay_factor(Window w, int64_t dt) {
  if (dt <= 0) return 1.0;
  return std::exp(-static_cast<double>(dt) / window_seconds(w));
}

void Counters::decay_to(int64_t now) {
  if (now <= t) return;
  for (size_t w = 0; w < kWindowCount; ++w) {
    const double f = decay_factor(static_cast<Window>(w), now - t);
    for (size_t m = 0; m < kMetricCount; ++m) {
      float& x = v[m * kWindowCount + w];
      x = static_cast<float>(x * f);
    }
  }
  t = now;
}

void Counters::add(Metric m, double amount, int64_t at) {
  if (at > t) {
    decay_to(at);
    for (size_t w = 0; w < kWindowCount; ++w)
      v[index(m, static_cast<Window>(w))] += static_cast<float>(amount);
    return;
  }
  // An event older than the record: decay the amount instead.
  for (size_t w = 0; w < kWindowCount; ++w) {
    const auto win = static_cast<Window>(w);
    v[index(m, win)] += static_cast<float>(amount * decay_factor(win, t - at));
  }
}

double Counters::value(Metric m, Window w, int64_t now) const {
  return static_cast<double>(v[index(m, w)]) * decay_factor(w, now - t);
}

bool Counters::empty() const {
  for (float x : v)
    if (x != 0.0f) return false;
  return true;
}

Counters merge(const Counters& a, const Counters& b) {
  Counters out;
  if (a.t == b.t) {
    // No decay (both factors 1): a float sum, the same bits as the double
    // sum rounded to float below (double holds every float sum exactly
    // enough: rounding twice gives the float sum), vectorized. Events of
    // one second folded into a batch (Engine::ops_into) take this path.
    out.t = a.t;
    for (size_t i = 0; i < out.v.size(); ++i) out.v[i] = a.v[i] + b.v[i];
    return out;
  }
  out.t = a.t > b.t ? a.t : b.t;
  for (size_t w = 0; w < kWindowCount; ++w) {
    const auto win = static_cast<Window>(w);
    const double fa = decay_factor(win, out.t - a.t), fb = decay_factor(win, out.t - b.t);
    for (size_t m = 0; m < kMetricCount; ++m) {
      const size_t i = m * kWindowCount + w;
      out.v[i] = static_cast<float>(a.v[i] * fa + b.v[i] * fb);
    }
  }
  return out;
}

void encode_to(const Counters& c, std::string& out) {
  const size_t base = out.size();
  out.resize(base + kEncodedSize);
  char* p = out.data() + base;
  const auto t = static_cast<uint64_t>(c.t);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((t >> (8 * i)) & 0xff);
  for (size_t i = 0; i < c.v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &c.v[i], 4);
    for (int k = 0; k < 4; ++k) p[8 + 4 * i + k] = static_cast<char>((bits >> (8 * k)) & 0xff);
  }
}

std::string encode(const Counters& c) {
  std::string s;
  encode_to(c, s);
  return s;
}

Result<Counters> decode(std::string_view bytes) {
  if (bytes.size() != kEncodedSize && bytes.size() != kEncodedSizeV3 && bytes.size() != kEncodedSizeV2 &&
      bytes.size() != kEncodedSizeV1)
    return fail(Errc::kParse, "counter record of " + std::to_string(bytes.size()) + " bytes, want " +
                                  std::to_string(kEncodedSize) + " (or " + std::to_string(kEncodedSizeV3) +
                                  ", " + std::to_string(kEncodedSizeV2) + ", " +
                                  std::to_string(kEncodedSizeV1) + " of older layouts)");
  const size_t n = (bytes.size() - 8) / 4;  // v1-v3: the first metrics; the rest stay 0
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  Counters c;
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t |= uint64_t{p[i]} << (8 * i);
  c.t = static_cast<int64_t>(t);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) bits |= uint32_t{p[8 + 4 * i + k]} << (8 * k);
    std::memcpy(&c.v[i], &bits, 4);
  }
  return c;
}

}  // namespace rampart::reputation

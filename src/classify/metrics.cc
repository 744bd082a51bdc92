// File: src/classify/metrics.cc
// ROC area, lam% and FPR at a TPR (metrics.h).
#include "classify/metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rampart::classify {

double one_minus_roca_pct(std::span<const Judged> j) {
  std::vector<Judged> v(j.begin(), j.end());
  std::sort(v.begin(), v.end(), [](const Judged& a, const Judged& b) { return a.score < b.score; });
  double hams = 0, spams = 0, above = 0;  // `above`: (spam, ham) pairs ranked right, ties half
  size_t i = 0;
  while (i < v.size()) {
    size_t k = i;
    double th = 0, ts = 0;
    while (k < v.size() && v[k].score == v[i].score) {
      (v[k].spam ? ts : th) += 1;
      ++k;
    }
    above += ts * hams + 0.5 * ts * th;  // spam in this group over every lower ham, half the tied ham
    hams += th;
    spams += ts;
    i = k;
  }
  if (hams == 0 || spams == 0) return 0;
  return (1.0 - above / (hams * spams)) * 100.0;
}

double lam_pct(std::span<const Judged> j, double threshold) {
  double ham = 0, spam = 0, fp = 0, fn = 0;
  for (const Judged& x : j) {
    if (x.spam) {
      spam += 1;
      if (x.score < threshold) fn += 1;
    } else {
      ham += 1;
      if (x.score >= threshold) fp += 1;
    }
  }
  const double hm = (fp + 0.5) / (ham + 0.5), sm = (fn + 0.5) / (spam + 0.5);
  auto logit = [](double p) { return std::log(p / (1.0 - p)); };
  const double l = (logit(hm) + logit(sm)) / 2.0;
  return 100.0 / (1.0 + std::exp(-l));
}

double fpr_at_tpr(std::span<const Judged> j, double tpr) {
  std::vector<double> spam, ham;
  for (const Judged& x : j) (x.spam ? spam : ham).push_back(x.score);
  if (spam.empty() || ham.empty()) return 0;
  std::sort(spam.begin(), spam.end(), std::greater<>());
  // Catch ceil(tpr * n) spam: the threshold is the score of the last caught.
  size_t need = static_cast<size_t>(std::ceil(tpr * static_cast<double>(spam.size()) - 1e-9));
  need = std::clamp<size_t>(need, 1, spam.size());
  const double t = spam[need - 1];
  const auto fp = std::count_if(ham.begin(), ham.end(), [t](double s) { return s >= t; });
  return static_cast<double>(fp) / static_cast<double>(ham.size());
}

}  // namespace rampart::classify

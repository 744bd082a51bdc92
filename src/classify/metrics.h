// File: src/classify/metrics.h
// TREC spam-track figures over (score, truth) pairs collected in order.
//
//   std::vector<classify::Judged> j = {{0.9, true}, {0.2, false}, {0.4, true}};
//   double roca = classify::one_minus_roca_pct(j);     // (1 - ROC area) x 100
//   double lam = classify::lam_pct(j, 0.5);            // at threshold 0.5
//   double fpr = classify::fpr_at_tpr(j, 0.99);        // fraction of ham, [0, 1]
//
// - ROC area: the probability that a random spam scores above a random ham,
//   ties counted one half (Mann-Whitney), computed exactly by sorting;
//   1-ROCA% = (1 - area) x 100. 0 when there is no ham or no spam.
// - lam%: logistic average misclassification (TREC 2005, CEAS 2007 form):
//   hm = (ham at or above threshold + 0.5) / (ham + 0.5),
//   sm = (spam below threshold + 0.5) / (spam + 0.5),
//   lam = logit^-1((logit(hm) + logit(sm)) / 2), x 100.
// - FPR at a TPR: the highest threshold t that still catches at least `tpr`
//   of the spam (score >= t), and the fraction of ham with score >= t (ham
//   tied with t counts as a false positive).
#pragma once

#include <cstddef>
#include <span>

namespace rampart::classify {

struct Judged {
  double score = 0;  // higher: more spammy
  bool spam = false;
};

double one_minus_roca_pct(std::span<const Judged> j);
double lam_pct(std::span<const Judged> j, double threshold);
double fpr_at_tpr(std::span<const Judged> j, double tpr);

}  // namespace rampart::classify
